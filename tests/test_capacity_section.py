"""Capacity sections of the go / no-go report: load tests and forecasts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analytics.config import UNTIMED_LOADTEST_FORMATS
from analytics.evaluators_capacity import headroom_forecast
from analytics.report.capacity_section import capacity_forecast, load_test_summary
from analytics.report.go_no_go import GoNoGoReport, build_go_no_go

LOADTESTS = Path(__file__).parent / "fixtures" / "loadtests"
RUN_AT = "2024-01-10T10:00:00Z"  # when the fixture load tests ran (see their README)
START = pd.Timestamp("2024-01-01", tz="UTC")
AS_OF = "2024-01-11"
CROSSING_250 = START + pd.Timedelta(hours=300)  # 100 + 0.5·t = 250


def build(
    folder: Path,
    *,
    loadtests: list[tuple[str, str, str]] | None = None,
    criteria: dict[str, Any] | None = None,
) -> GoNoGoReport:
    """Write an hourly trend metric, copy load tests, write a config, build the report."""
    rng = np.random.default_rng(5)
    t = np.arange(240)
    index = pd.date_range(START, periods=len(t), freq="h")
    values = 100 + 0.5 * t + rng.normal(0, 0.5, len(t))
    (folder / "rps.csv").write_text(
        "timestamp,value\n"
        + "".join(
            f"{ts:%Y-%m-%dT%H:%M:%SZ},{v:.3f}\n"
            for ts, v in zip(index, values, strict=True)
        ),
        encoding="utf-8",
    )
    entries = []
    for name, file, fmt in loadtests or []:
        shutil.copy(LOADTESTS / file, folder / file)
        entry = {"name": name, "path": file, "format": fmt}
        if fmt in UNTIMED_LOADTEST_FORMATS:  # the file does not say when it ran
            entry["started_at"] = RUN_AT
        entries.append(entry)
    config = {
        "metrics": [
            {"name": "rps", "path": "rps.csv", "format": "csv", "metric": "http_rps"}
        ],
        "loadtests": entries,
        "criteria": criteria or {},
    }
    path = folder / "readiness.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return build_go_no_go(path, AS_OF)


def headroom(limit: float, **overrides: Any) -> dict[str, Any]:
    params = {
        "limit": limit,
        "horizon": "4d",
        "freq": "1h",
        "seasonal_periods": [24],
        "models": ["mstl_ets"],
    }
    return {
        "title": "Request-rate headroom",
        "kind": "capacity_headroom",
        "source": "rps",
        "unit": "%",
        "target": 20,
        "lookback": "10d",
        "params": params,
        **overrides,
    }


def test_load_test_summary_without_load_test_says_so(tmp_path: Path) -> None:
    markup = load_test_summary(build(tmp_path)).markup
    assert "Peak capacity is not proven: no load test is configured" in markup
    assert "NO DATA" in markup


def test_load_test_summary_tables_steps_result_knee_and_headroom(
    tmp_path: Path,
) -> None:
    report = build(
        tmp_path,
        loadtests=[
            ("ramp", "locust_stats_history.csv", "locust_history"),
            ("soak", "locust_stats.csv", "locust_stats"),
        ],
        criteria={
            "throughput": {"params": {"forecast_criterion": "rps_headroom"}},
            "rps_headroom": headroom(250),
        },
    )
    markup = load_test_summary(report).markup

    assert "highest sustained throughput 1,200.0 req/s (in soak)" in markup
    assert "knee: 402.0 req/s in ramp" in markup
    # Per-source results and one row per step (4 Locust user counts + 1 run).
    assert "<td>ramp</td>" in markup and "<td>soak</td>" in markup
    assert markup.count("<tr>") == 1 + 2 + 1 + 5
    assert markup.count("<td>no</td>") >= 1  # the 610 req/s step misses p95
    # Headroom against the forecast peak of the capacity_headroom criterion.
    config = report.evidence.config.criteria["rps_headroom"]
    forecast = headroom_forecast("rps_headroom", config, report.evidence).forecast
    assert forecast is not None
    peak = float(forecast.mean.max())
    assert f"forecast peak {peak:,.1f} req/s" in markup
    assert f"{1200 / peak - 1:+.1%}" in markup


def test_load_test_summary_escapes_source_names(tmp_path: Path) -> None:
    report = build(
        tmp_path,
        loadtests=[
            ("<img src=x onerror=alert(1)>", "locust_stats.csv", "locust_stats")
        ],
    )
    markup = load_test_summary(report).markup
    assert "<img" not in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "no forecast peak" in markup


def test_capacity_forecast_without_criterion_is_a_note(tmp_path: Path) -> None:
    markup = capacity_forecast(build(tmp_path)).markup
    assert "No capacity forecast is configured" in markup


def test_capacity_forecast_renders_fan_chart_crossing_and_backtest(
    tmp_path: Path,
) -> None:
    report = build(tmp_path, criteria={"rps_headroom": headroom(250)})
    markup = capacity_forecast(report).markup

    config = report.evidence.config.criteria["rps_headroom"]
    crossing = headroom_forecast("rps_headroom", config, report.evidence).crossing
    assert crossing is not None and crossing.median_at is not None
    assert abs(crossing.median_at - CROSSING_250) <= pd.Timedelta(hours=3)
    when = f"{crossing.median_at:%Y-%m-%d %H:%M}"
    assert f"<td>{when} UTC</td>" in markup
    assert f"median crossing {when}" in markup  # marker in the chart
    assert "Chosen model <b>mstl_ets</b>" in markup
    for text in ("95 % interval", "80 % interval", "limit", "Backtest", "MASE"):
        assert text in markup
    assert "plotly" in markup


def test_capacity_forecast_says_when_intervals_were_widened(tmp_path: Path) -> None:
    # Seasonal naive on a trend misses by a whole day's rise per cycle ahead:
    # its backtest coverage falls short and the bands are widened.
    naive = headroom(250)
    naive["params"] = {**naive["params"], "models": ["seasonal_naive"]}
    report = build(tmp_path, criteria={"naive": naive})
    config = report.evidence.config.criteria["naive"]
    forecast = headroom_forecast("naive", config, report.evidence).forecast
    assert forecast is not None and forecast.intervals_widened

    markup = capacity_forecast(report).markup
    assert "Intervals widened" in markup
    assert "interval widened ×" in markup


def test_capacity_forecast_says_when_intervals_were_narrowed(tmp_path: Path) -> None:
    # mstl_ets on a clean trend: its 80 % band covers 90 % of the backtest, more
    # than 5 points above nominal, so the band is narrowed (symmetric conformal).
    report = build(tmp_path, criteria={"rps": headroom(250)})
    config = report.evidence.config.criteria["rps"]
    forecast = headroom_forecast("rps", config, report.evidence).forecast
    assert forecast is not None and forecast.intervals_narrowed
    assert not forecast.intervals_widened

    markup = capacity_forecast(report).markup
    assert "Intervals narrowed" in markup
    assert "interval narrowed ×" in markup
    assert "Intervals as fitted" not in markup


def test_capacity_forecast_too_short_series_is_explained(tmp_path: Path) -> None:
    report = build(tmp_path, criteria={"short": headroom(250, lookback="2d")})
    markup = capacity_forecast(report).markup
    assert "No forecast for source &#x27;rps&#x27;" in markup
    assert "too short" in markup
    assert "The criterion is NO DATA." in markup


def test_load_test_summary_shows_a_load_test_outside_the_window_as_not_counted(
    tmp_path: Path,
) -> None:
    report = build(
        tmp_path,
        loadtests=[("soak", "locust_stats.csv", "locust_stats")],
        criteria={"throughput": {"lookback": "12h"}},  # the run was 14 h earlier
    )
    markup = load_test_summary(report).markup
    assert "no usable load test within the evidence window" in markup
    assert "Not counted: 1 of 1 load step(s) of &#x27;soak&#x27; started" in markup
    assert "<td>2024-01-10 10:00:00</td>" in markup
    assert "<td>yes</td>" not in markup  # neither in window nor within target
