"""Post-launch review sections: anomalies, degradation trends and alert noise.

Each function takes canonical data (a samples frame with columns ``timestamp``
(UTC), ``metric``, ``labels``, ``series``, ``value``, or an Alertmanager-style
alert history) and returns :class:`~analytics.report.html.Html` for a notebook
cell. Charts are wrapped by the ``chart`` callable the caller passes (for
example ``report.chart`` of a go/no-go report, which inlines plotly.js once per
report). Every piece of data shown (metric and series names, label values,
alert identities) is escaped, including the names inside charts: plotly
embeds trace names in a ``<script>`` block, where a raw ``</script>`` would end
it, and renders HTML entities in names as the original characters.

Examples
--------
>>> from analytics.report.html import Chart
>>> counter = iter(range(100))
>>> def chart(fig):
...     return Chart(fig, include_plotlyjs=False, div_id=f"c{next(counter)}")
>>> idx = pd.date_range("2024-05-01", periods=24 * 8, freq="h", tz="UTC")
>>> samples = pd.DataFrame({"timestamp": idx, "metric": "p95_ms", "labels": None,
...                         "series": "api", "value": 100.0 + np.arange(len(idx))})
>>> "rising" in str(degradation(samples, chart=chart, metric="p95_ms", unit="ms"))
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.errors import AnalyticsError, ConfigError
from analytics.frames import to_pandas
from analytics.metrics import anomaly as detectors
from analytics.metrics.alert_noise import alert_noise
from analytics.metrics.degradation import degradation_trend
from analytics.report.html import Chart, Html, chart_text, esc, table

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DETECTORS",
    "alert_noise_summary",
    "anomalies",
    "degradation",
]

ChartFn = Callable[[go.Figure], Chart]

DETECTORS = (
    "calibrated_mad_tail",
    "rolling_mad",
    "seasonal_residual",
    "isolation_forest",
)
"""Detector names accepted by :func:`anomalies`."""

DEFAULT_THRESHOLDS: Mapping[str, float] = {
    "calibrated_mad_tail": detectors.CALIBRATED_THRESHOLD,
    "rolling_mad": 0.79,
    "seasonal_residual": 0.90,
    "isolation_forest": 0.90,
}
"""Score thresholds used when none is given: the operating points chosen on the
NAB corpus by ``benchmarks/bench_nab.py`` (robust z ≈ 4.7 for rolling MAD and
≈ 7 for the other two, with the default ``z_scale = 3``; for the calibrated
combination a rank above 99.8 % of the series' earlier scores)."""


def _wrap(parts: Sequence[str]) -> Html:
    return Html('<div class="rr">' + "".join(parts) + "</div>")


def _note(text: str) -> str:
    return f'<p class="box">{esc(text)}</p>'


def _samples_of(samples: Any, metric: str) -> pd.DataFrame:
    frame = to_pandas(samples)
    missing = {"timestamp", "metric", "value"} - set(frame.columns)
    if missing:
        raise ConfigError(
            f"samples frame lacks column(s) {sorted(missing)};"
            f" found {list(frame.columns)}."
        )
    chosen = frame.loc[frame["metric"] == metric].copy()
    if "series" not in chosen:
        chosen["series"] = metric
    chosen["series"] = chosen["series"].fillna(metric).astype(str)
    chosen["timestamp"] = pd.to_datetime(chosen["timestamp"], utc=True)
    chosen["value"] = pd.to_numeric(chosen["value"], errors="coerce")
    return chosen.dropna(subset=["timestamp", "value"])


def _series_values(group: pd.DataFrame) -> pd.Series:
    """One value per timestamp (repeats averaged), in time order."""
    values: pd.Series = group.groupby("timestamp")["value"].mean().sort_index()
    return values


def _rows_per_day(values: pd.Series) -> int:
    if len(values) < 3:
        return 24
    step = pd.Timedelta(pd.Series(values.index).diff().median())
    if pd.isna(step) or step <= pd.Timedelta(0):
        return 24
    return max(2, round(float(pd.Timedelta(days=1) / step)))


def _scores(values: pd.Series, detector: str, options: Mapping[str, Any]) -> pd.Series:
    if detector == "calibrated_mad_tail":
        return detectors.calibrated_mad_tail_scores(
            values, rows_per_hour=_rows_per_day(values) / 24, **options
        )
    if detector == "rolling_mad":
        return detectors.rolling_mad_scores(values, **options)
    if detector == "seasonal_residual":
        params = {"period": _rows_per_day(values), **options}
        return detectors.seasonal_residual_scores(values, **params)
    if detector == "isolation_forest":
        return detectors.isolation_forest_scores(values, **options)
    raise ConfigError(
        f"unknown anomaly detector {detector!r}; available: {', '.join(DETECTORS)}."
    )


def anomalies(
    samples: Any,
    *,
    chart: ChartFn,
    metric: str,
    detector: str = "rolling_mad",
    threshold: float | None = None,
    detector_options: Mapping[str, Any] | None = None,
    max_series: int = 5,
    show_from: pd.Timestamp | None = None,
) -> Html:
    """Series chart with flagged points and a table of anomalous periods.

    Parameters
    ----------
    samples
        Canonical samples frame (pandas or polars).
    chart
        Wraps a plotly figure for display (e.g. ``report.chart``).
    metric
        Metric name to analyse; each distinct ``series`` is scored separately.
    detector
        One of :data:`DETECTORS`.
    threshold
        Score threshold in [0, 1]; default :data:`DEFAULT_THRESHOLDS`.
    detector_options
        Extra keyword arguments for the detector function (``window``,
        ``period``, ``z_scale``, ...). For ``seasonal_residual`` the period
        defaults to one day of rows at the series' median step.
    max_series
        At most this many series are charted (all are in the table).
    show_from
        Samples before this time are history: they are scored (detectors
        that rank against the past need it) but not charted or flagged.
        ``calibrated_mad_tail`` also stops flagging for six hours after a
        flag, its benchmarked operating point.

    Returns
    -------
    Html
        Heading, chart, and the anomalous-periods table (or a note when there
        is nothing to show).
    """
    if detector not in DETECTORS:
        raise ConfigError(
            f"unknown anomaly detector {detector!r}; available: {', '.join(DETECTORS)}."
        )
    level = DEFAULT_THRESHOLDS[detector] if threshold is None else threshold
    options = dict(detector_options or {})
    parts = [f"<h3>Anomalies: {esc(metric)}</h3>"]
    frame = _samples_of(samples, metric)
    if frame.empty:
        parts.append(_note(f"No samples of metric {metric} to analyse."))
        return _wrap(parts)

    figure = go.Figure()
    periods: list[pd.DataFrame] = []
    notes: list[str] = []
    for number, (name, group) in enumerate(frame.groupby("series", sort=True)):
        values = _series_values(group)
        try:
            scores = _scores(values, detector, options)
        except AnalyticsError as error:
            notes.append(f"{name}: not scored ({error})")
            continue
        if show_from is not None:
            shown = values.index >= show_from
            values, scores = values[shown], scores[shown]
        suppress = (
            round(detectors.CALIBRATED_SUPPRESS_HOURS * _rows_per_day(values) / 24)
            if detector == "calibrated_mad_tail"
            else 0
        )
        flags = detectors.flag(scores, threshold=level, suppress=suppress)
        found = detectors.anomalous_periods(scores, threshold=level, gap=2)
        if not found.empty:
            periods.append(found.assign(series=name))
        if number < max_series:
            figure.add_trace(
                go.Scatter(
                    x=values.index,
                    y=values.to_numpy(),
                    mode="lines",
                    name=chart_text(name),
                )
            )
            figure.add_trace(
                go.Scatter(
                    x=values.index[flags.to_numpy()],
                    y=values.to_numpy()[flags.to_numpy()],
                    mode="markers",
                    marker={"color": "#c0392b", "size": 8, "symbol": "x"},
                    name=chart_text(f"{name}: flagged"),
                )
            )
    figure.update_layout(
        height=360,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        yaxis_title=chart_text(metric),
        legend={"orientation": "h"},
    )
    parts.append(
        f'<p class="note">Detector {esc(detector)} (causal), threshold'
        f" {esc(f'{level:.3g}')}; a period is a run of flagged points with gaps of"
        " at most one point.</p>"
    )
    parts.append(chart(figure)._repr_html_())
    if periods:
        table_frame = pd.concat(periods, ignore_index=True)
        table_frame["peak_score"] = table_frame["peak_score"].round(3)
        parts.append(
            table(
                table_frame,
                [
                    ("series", "Series"),
                    ("start", "Start"),
                    ("end", "End"),
                    ("rows", "Flagged points"),
                    ("peak_score", "Peak score"),
                ],
                numeric=("rows", "peak_score"),
            )
        )
    else:
        parts.append(_note("No anomalous periods at this threshold."))
    parts += [_note(text) for text in notes]
    return _wrap(parts)


def degradation(
    samples: Any,
    *,
    chart: ChartFn,
    metric: str,
    unit: str = "",
    window: pd.Timedelta | str | None = None,
    alpha: float = 0.05,
) -> Html:
    """Theil–Sen trend per series with a Mann–Kendall test, as sentences and a chart.

    Parameters
    ----------
    samples
        Canonical samples frame (pandas or polars).
    chart
        Wraps a plotly figure for display.
    metric
        Metric to analyse (e.g. a latency percentile or an error rate).
    unit
        Unit for the sentence (``"ms"`` gives "p95 rising by 4 ms/day").
    window
        Only the last ``window`` of each series is used (default: all).
    alpha
        Significance level of the trend test.

    Returns
    -------
    Html
        One sentence per series and a chart with the data and trend lines.
    """
    parts = [f"<h3>Degradation trend: {esc(metric)}</h3>"]
    frame = _samples_of(samples, metric)
    if frame.empty:
        parts.append(_note(f"No samples of metric {metric} to analyse."))
        return _wrap(parts)
    figure = go.Figure()
    sentences: list[str] = []
    for name, group in frame.groupby("series", sort=True):
        values = _series_values(group)
        if window is not None:
            values = values[values.index > values.index[-1] - pd.Timedelta(window)]
        label = metric if str(name) == metric else f"{metric} ({name})"
        try:
            trend = degradation_trend(
                values, metric=label, unit=unit, window=None, alpha=alpha
            )
        except AnalyticsError as error:
            sentences.append(f"{label}: no trend computed ({error})")
            continue
        sentences.append(trend.sentence() + f", over {trend.points} points.")
        days = (pd.DatetimeIndex(values.index) - values.index[0]) / pd.Timedelta(days=1)
        x = np.asarray(days, dtype=float)
        y = values.to_numpy(dtype=float)
        intercept = float(np.median(y - trend.slope_per_day * x))
        figure.add_trace(
            go.Scatter(x=values.index, y=y, mode="lines", name=chart_text(label))
        )
        figure.add_trace(
            go.Scatter(
                x=values.index,
                y=intercept + trend.slope_per_day * x,
                mode="lines",
                line={"dash": "dash"},
                name=chart_text(f"{label}: Theil–Sen trend"),
            )
        )
    figure.update_layout(
        height=320,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        yaxis_title=chart_text(f"{metric} ({unit})" if unit else metric),
        legend={"orientation": "h"},
    )
    parts.append("<ul>" + "".join(f"<li>{esc(s)}</li>" for s in sentences) + "</ul>")
    if figure.data:
        parts.append(chart(figure)._repr_html_())
    return _wrap(parts)


def alert_noise_summary(alerts_frame: Any, *, top: int = 20, **options: Any) -> Html:
    """Alert-noise tables: per on-call day, flapping, short-lived, co-firing.

    Parameters
    ----------
    alerts_frame
        Alert history (``name``, ``labels``, ``starts_at``, ``ends_at``),
        pandas or polars.
    top
        Rows shown in each of the flapping, short-lived and co-firing tables.
    **options
        Passed to :func:`analytics.metrics.alert_noise.alert_noise`
        (``timezone``, ``handover_hour``, ``short_lived_seconds``, ...).

    Returns
    -------
    Html
        Four tables, each with a one-line explanation.
    """
    noise = alert_noise(to_pandas(alerts_frame), **options)
    per_day = noise.per_oncall_day
    parts = ["<h3>Alert noise</h3>"]
    if per_day.empty:
        parts.append(_note("No alerts in the history."))
        return _wrap(parts)
    firings = int(per_day["alerts"].sum())
    median = float(per_day["alerts"].median())
    busiest = int(per_day["alerts"].max())
    parts.append(
        f'<p class="note">{esc(firings)} firings over {esc(len(per_day))} on-call'
        f" day(s); median {esc(f'{median:.1f}')} per day, busiest day"
        f" {esc(busiest)}.</p>"
    )
    parts.append("<h4>Alerts per on-call day</h4>")
    parts.append(
        table(
            per_day,
            [
                ("oncall_day", "On-call day"),
                ("alerts", "Firings"),
                ("distinct_alerts", "Distinct alerts"),
            ],
            numeric=("alerts", "distinct_alerts"),
        )
    )
    sections: list[tuple[str, pd.DataFrame, list[tuple[str, str]], tuple[str, ...]]]
    sections = [
        (
            "Flapping alerts (re-fired soon after resolving)",
            noise.flapping,
            [
                ("name", "Alert"),
                ("identity", "Identity"),
                ("refires", "Re-fires"),
                ("firings", "Firings"),
            ],
            ("refires", "firings"),
        ),
        (
            "Short-lived firings",
            noise.short_lived.assign(
                duration_seconds=noise.short_lived["duration_seconds"].round(0)
            ),
            [
                ("name", "Alert"),
                ("identity", "Identity"),
                ("starts_at", "Started"),
                ("duration_seconds", "Duration (s)"),
            ],
            ("duration_seconds",),
        ),
        (
            "Alerts that fire together",
            noise.cofiring.assign(jaccard=noise.cofiring["jaccard"].round(2)),
            [
                ("name_a", "Alert A"),
                ("name_b", "Alert B"),
                ("together", "Together"),
                ("jaccard", "Jaccard"),
            ],
            ("together", "jaccard"),
        ),
    ]
    for title, frame, columns, numeric in sections:
        parts.append(f"<h4>{esc(title)}</h4>")
        if frame.empty:
            parts.append(_note("None."))
            continue
        shown = frame.head(top)
        if len(frame) > top:
            parts.append(_note(f"Showing {top} of {len(frame)}."))
        parts.append(table(shown, columns, numeric=numeric))
    return _wrap(parts)
