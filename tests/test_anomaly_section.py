"""Post-launch review sections: anomalies, degradation and alert noise as HTML."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.errors import ConfigError
from analytics.report import anomaly_section
from analytics.report.html import Chart

EVIL = '<script>alert("x")</script>'


class Charts:
    """Chart wrapper that records the figures it was given."""

    def __init__(self) -> None:
        self.figures: list[go.Figure] = []
        self._ids = itertools.count(1)

    def __call__(self, figure: go.Figure) -> Chart:
        self.figures.append(figure)
        return Chart(figure, include_plotlyjs=False, div_id=f"t-{next(self._ids)}")


def _samples(series: str = "api", spike_at: int | None = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    idx = pd.date_range("2024-05-01", periods=24 * 16, freq="h", tz="UTC")
    t = np.arange(len(idx))
    values = 100 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, len(idx))
    if spike_at is not None:
        values[spike_at] += 80
    return pd.DataFrame(
        {
            "timestamp": idx,
            "metric": "latency_p95_ms",
            "labels": [{"service": series}] * len(idx),
            "series": series,
            "value": values,
        }
    )


@pytest.mark.parametrize("detector", ["rolling_mad", "seasonal_residual"])
def test_anomalies_lists_the_planted_spike(detector: str) -> None:
    samples = _samples()
    charts = Charts()
    html = str(
        anomaly_section.anomalies(
            samples, chart=charts, metric="latency_p95_ms", detector=detector
        )
    )
    spike_time = samples["timestamp"].iloc[300].strftime("%Y-%m-%d %H:%M UTC")
    assert spike_time in html
    assert len(charts.figures) == 1
    flagged = charts.figures[0].data[1]
    assert pd.Timestamp(flagged.x[0]) == samples["timestamp"].iloc[300]


def test_anomalies_escapes_names_and_handles_quiet_series() -> None:
    samples = _samples(series=EVIL, spike_at=None)
    samples["metric"] = EVIL
    html = str(
        anomaly_section.anomalies(samples, chart=Charts(), metric=EVIL, threshold=0.99)
    )
    assert EVIL not in html
    assert "&lt;script&gt;" in html
    assert "No anomalous periods" in html


def test_anomalies_without_samples_and_unknown_detector() -> None:
    html = str(anomaly_section.anomalies(_samples(), chart=Charts(), metric="nope"))
    assert "No samples" in html
    with pytest.raises(ConfigError, match="detector"):
        anomaly_section.anomalies(
            _samples(), chart=Charts(), metric="latency_p95_ms", detector="magic"
        )


def test_degradation_sentence_and_chart() -> None:
    idx = pd.date_range("2024-05-01", periods=24 * 10, freq="h", tz="UTC")
    rising = pd.DataFrame(
        {
            "timestamp": idx,
            "metric": "p95",
            "labels": None,
            "series": EVIL,
            "value": 200 + 4.0 * np.arange(len(idx)) / 24,
        }
    )
    short = rising.head(3).assign(series="short")
    charts = Charts()
    html = str(
        anomaly_section.degradation(
            pd.concat([rising, short]), chart=charts, metric="p95", unit="ms"
        )
    )
    assert "rising by 4 ms/day" in html
    assert "no trend computed" in html
    assert EVIL not in html
    assert len(charts.figures) == 1


def test_alert_noise_summary_tables_escape_identities() -> None:
    t0 = pd.Timestamp("2024-05-01 10:00", tz="UTC")
    alerts = pd.DataFrame(
        {
            "name": ["HighCPU", "HighCPU", EVIL],
            "labels": [{"instance": EVIL}, {"instance": EVIL}, {}],
            "starts_at": [t0, t0 + pd.Timedelta("5min"), t0 + pd.Timedelta("30s")],
            "ends_at": [
                t0 + pd.Timedelta("1min"),
                t0 + pd.Timedelta("20min"),
                t0 + pd.Timedelta("25min"),
            ],
        }
    )
    html = str(anomaly_section.alert_noise_summary(alerts))
    assert EVIL not in html
    for heading in ("Alerts per on-call day", "Flapping", "Short-lived", "together"):
        assert heading in html
    assert "3 firings over 1 on-call day(s)" in html


def test_alert_noise_summary_empty_history() -> None:
    empty = pd.DataFrame(
        {
            "name": pd.Series(dtype=str),
            "labels": pd.Series(dtype=object),
            "starts_at": pd.Series(dtype="datetime64[ns, UTC]"),
            "ends_at": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )
    assert "No alerts" in str(anomaly_section.alert_noise_summary(empty))
