"""Charts in reports: decimated long lines and compact timestamps keep what the chart shows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.report.html import MAX_LINE_POINTS, Chart, minmax_indices


def _trace_json(chart: Chart, index: int = 0) -> dict:  # type: ignore[type-arg]
    return json.loads(chart.figure.to_json())["data"][index]  # type: ignore[no-any-return]


def test_minmax_keeps_every_spike_and_gap() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(100, 1, 20_000)
    y[[17, 9_999, 19_998]] = [500, -300, 400]
    y[5_000:5_010] = np.nan
    keep = minmax_indices(y, 2_000)
    assert len(keep) <= 2_000 + 1_000  # a gap adds at most one point per run
    assert {17, 9_999, 19_998} <= set(keep.tolist())
    assert np.isnan(y[keep]).any()
    assert np.all(np.diff(keep) > 0)
    assert np.nanmax(y[keep]) == 500 and np.nanmin(y[keep]) == -300


def test_long_line_is_decimated_with_a_note_and_short_ones_are_not() -> None:
    times = pd.date_range("2026-03-02 09:00", periods=10_000, freq="5min", tz="UTC")
    values = np.sin(np.arange(10_000) / 50.0)
    values[1234] = 9.0
    figure = go.Figure(
        [
            go.Scatter(x=times, y=values, mode="lines", name="long"),
            go.Scatter(x=times[:10], y=values[:10], mode="lines", name="short"),
            go.Scatter(x=times[[1234]], y=[9.0], mode="markers", name="flag"),
        ]
    )
    chart = Chart(figure, include_plotlyjs=False, div_id="t")
    assert chart.decimated == 1
    assert len(chart.figure.data[0].y) <= MAX_LINE_POINTS
    assert max(chart.figure.data[0].y) == 9.0
    assert len(chart.figure.data[1].y) == 10
    assert "drawn from the lowest and highest" in chart._repr_html_()


def test_band_traces_keep_every_point() -> None:
    x = pd.date_range("2026-03-02", periods=5_000, freq="min", tz="UTC")
    figure = go.Figure(
        [
            go.Scatter(x=x, y=np.ones(5_000), mode="lines"),
            go.Scatter(x=x, y=np.zeros(5_000), mode="lines", fill="tonexty"),
        ]
    )
    chart = Chart(figure, include_plotlyjs=False, div_id="t")
    assert chart.decimated == 0
    assert "drawn from the lowest" not in chart._repr_html_()


def test_utc_times_are_written_short_and_other_zones_untouched() -> None:
    utc = pd.date_range("2026-03-29 00:00", periods=60, freq="h", tz="UTC")
    paris = utc.tz_convert("Europe/Paris")
    seconds = utc + pd.Timedelta(seconds=30)
    figure = go.Figure(
        [
            go.Scatter(x=utc, y=np.arange(60.0)),
            go.Scatter(x=paris, y=np.arange(60.0)),
            go.Scatter(x=seconds, y=np.arange(60.0)),
        ]
    )
    chart = Chart(figure, include_plotlyjs=False, div_id="t")
    assert _trace_json(chart, 0)["x"][:2] == ["2026-03-29T00:00", "2026-03-29T01:00"]
    # Across the DST change in Paris the offsets differ: left as plotly writes them.
    assert _trace_json(chart, 1)["x"][0].startswith("2026-03-29T01:00:00")
    # Seconds would be lost: left whole.
    assert _trace_json(chart, 2)["x"][0].startswith("2026-03-29T00:00:30")


def test_category_labels_are_not_taken_for_times() -> None:
    labels = [str(i) for i in range(100)]
    chart = Chart(
        go.Figure(go.Bar(x=labels, y=np.arange(100.0))),
        include_plotlyjs=False,
        div_id="t",
    )
    assert _trace_json(chart)["x"][:3] == ["0", "1", "2"]
