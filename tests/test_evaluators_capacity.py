"""Capacity evaluators: load-test throughput and forecast headroom, end to end."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from analytics.config import UNTIMED_LOADTEST_FORMATS
from analytics.errors import ConfigError
from analytics.evaluators_capacity import CAPACITY_EVALUATORS, headroom_forecast
from analytics.readiness import CriterionResult, Status
from analytics.report.go_no_go import GoNoGoReport, build_go_no_go

LOADTESTS = Path(__file__).parent / "fixtures" / "loadtests"
RUN_AT = "2024-01-10T10:00:00Z"  # when the fixture load tests ran (see their README)
START = pd.Timestamp("2024-01-01", tz="UTC")
AS_OF = "2024-01-11"  # 240 hourly samples before it
# Instance "a": y = 100 + 0.5·t (t in hours since START) plus N(0, 0.5²) noise;
# instance "b" is 50 higher. "a" reaches 250 at t = 300 h.
CROSSING_250 = START + pd.Timedelta(hours=300)

FAST = {"freq": "1h", "seasonal_periods": [24], "models": ["mstl_ets"]}


def write_rps_csv(path: Path) -> Path:
    """Hourly request rates of two instances with a planted linear trend."""
    rng = np.random.default_rng(3)
    t = np.arange(240)
    index = pd.date_range(START, periods=len(t), freq="h")
    lines = ["timestamp,value,instance"]
    for instance, offset in (("a", 0.0), ("b", 50.0)):
        values = 100 + offset + 0.5 * t + rng.normal(0, 0.5, len(t))
        lines += [
            f"{ts:%Y-%m-%dT%H:%M:%SZ},{v:.3f},{instance}"
            for ts, v in zip(index, values, strict=True)
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_config(
    folder: Path,
    *,
    loadtests: list[tuple[str, str, str]] | None = None,
    criteria: dict[str, Any] | None = None,
) -> Path:
    """A readiness config with the rps metric and the given load tests."""
    write_rps_csv(folder / "rps.csv")
    entries = []
    for name, file, fmt in loadtests or []:
        shutil.copy(LOADTESTS / file, folder / file)
        entry = {"name": name, "path": file, "format": fmt}
        if fmt in UNTIMED_LOADTEST_FORMATS:  # the file does not say when it ran
            entry["started_at"] = RUN_AT
        entries.append(entry)
    config = {
        "report": {"service": "api"},
        "metrics": [
            {"name": "rps", "path": "rps.csv", "format": "csv", "metric": "http_rps"}
        ],
        "loadtests": entries,
        "criteria": criteria or {},
    }
    path = folder / "readiness.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def headroom_criterion(**params: Any) -> dict[str, Any]:
    """A capacity_headroom criterion on instance a: headroom ≥ 20 %, alert below 0."""
    return {
        "title": "Request-rate headroom",
        "kind": "capacity_headroom",
        "source": "rps",
        "selector": {"instance": "a"},
        "unit": "%",
        "target": 20,
        "alert": 0,
        "lookback": "10d",
        "params": {**FAST, "horizon": "4d", **params},
    }


def evaluate(report: GoNoGoReport, crit_id: str) -> CriterionResult:
    config = report.evidence.config.criteria[crit_id]
    return CAPACITY_EVALUATORS[config.kind](crit_id, config, report.evidence)


def test_kinds_exported() -> None:
    assert set(CAPACITY_EVALUATORS) == {"throughput", "capacity_headroom"}


def test_throughput_without_load_test_is_no_data(tmp_path: Path) -> None:
    report = build_go_no_go(write_config(tmp_path), AS_OF)
    result = evaluate(report, "throughput")
    assert result.status is Status.NO_DATA
    assert result.value is None
    assert "no load test is configured" in result.detail


def test_throughput_source_that_is_not_a_load_test_is_a_config_error(
    tmp_path: Path,
) -> None:
    path = write_config(
        tmp_path,
        loadtests=[("ramp", "locust_stats_history.csv", "locust_history")],
        criteria={"throughput": {"source": "rps"}},
    )
    with pytest.raises(ConfigError, match="'rps', which is a metrics source"):
        build_go_no_go(path, AS_OF)


def test_throughput_from_locust_history_fails_below_alert(tmp_path: Path) -> None:
    # Steps 102/198/402/610 req/s, p95 61/71/170/925 ms: 402 is the last within
    # p95 200 ms and 1 % errors; below the alert 500 → FAIL.
    path = write_config(
        tmp_path,
        loadtests=[("ramp", "locust_stats_history.csv", "locust_history")],
        criteria={"throughput": {"params": {"forecast_peak_rps": 300}}},
    )
    result = evaluate(build_go_no_go(path, AS_OF), "throughput")
    assert result.status is Status.FAIL
    assert result.value == 402.0
    assert result.evidence_count == 4
    assert result.sources == ("ramp",)
    assert "latency knee at 402.0 req/s in ramp" in result.detail
    assert "headroom +34.0% over the forecast peak 300.0 req/s" in result.detail


def test_throughput_params_move_the_targets(tmp_path: Path) -> None:
    # p95 ≤ 1000 ms and errors ≤ 6 % admit the 610 req/s step: above alert → WARN.
    path = write_config(
        tmp_path,
        loadtests=[("ramp", "locust_stats_history.csv", "locust_history")],
        criteria={"throughput": {"params": {"p95_ms": 1000, "error_ratio": 0.06}}},
    )
    result = evaluate(build_go_no_go(path, AS_OF), "throughput")
    assert (result.status, result.value) == (Status.WARN, 610.0)


def test_throughput_best_of_all_load_tests_passes(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        loadtests=[
            ("ramp", "locust_stats_history.csv", "locust_history"),
            ("soak", "locust_stats.csv", "locust_stats"),
            ("k6", "k6_summary.json", "k6_summary"),
        ],
    )
    report = build_go_no_go(path, AS_OF)
    result = evaluate(report, "throughput")
    assert (result.status, result.value) == (Status.PASS, 1200.0)
    assert result.sources == ("ramp", "soak", "k6")
    assert "in soak" in result.detail

    only_k6 = report.evidence.config.criteria["throughput"].model_copy(
        update={"source": "k6"}
    )
    k6 = CAPACITY_EVALUATORS["throughput"]("throughput", only_k6, report.evidence)
    assert (k6.status, k6.value) == (Status.PASS, 1050.0)


def test_throughput_no_step_within_target_proves_nothing(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        loadtests=[("jtl", "jmeter.jtl", "jmeter_jtl")],
        criteria={"throughput": {"params": {"p95_ms": 50}}},
    )
    result = evaluate(build_go_no_go(path, AS_OF), "throughput")
    assert (result.status, result.value) == (Status.FAIL, 0.0)
    assert "no load step of jtl" in result.detail


def test_unknown_param_is_a_config_error(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        loadtests=[("ramp", "locust_stats_history.csv", "locust_history")],
        criteria={"throughput": {"params": {"p95": 300}}},
    )
    # Criteria are evaluated while the report is built, so the error surfaces there.
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['p95'\]"):
        build_go_no_go(path, AS_OF)


def test_headroom_fails_when_trend_crosses_the_limit(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        criteria={
            "tight": headroom_criterion(limit=250),
            "loose": headroom_criterion(limit=400),
        },
    )
    report = build_go_no_go(path, AS_OF)

    tight = evaluate(report, "tight")
    # Forecast peak at the horizon's end, t = 335 h: 100 + 0.5·335 = 267.5.
    assert tight.status is Status.FAIL
    assert tight.value == pytest.approx((250 - 267.5) / 250 * 100, abs=1.5)
    assert tight.evidence_count == 240
    assert "model mstl_ets" in tight.detail

    forecast = headroom_forecast(
        "tight", report.evidence.config.criteria["tight"], report.evidence
    )
    assert forecast.crossing is not None and forecast.crossing.median_at is not None
    assert abs(forecast.crossing.median_at - CROSSING_250) <= pd.Timedelta(hours=3)
    assert f"{forecast.crossing.median_at:%Y-%m-%d %H:%M} UTC (median)" in tight.detail

    loose = evaluate(report, "loose")
    assert loose.status is Status.PASS
    assert loose.value == pytest.approx((400 - 267.5) / 400 * 100, abs=1.0)
    assert "not within the horizon (median)" in loose.detail


def test_headroom_of_too_short_series_is_no_data(tmp_path: Path) -> None:
    short = {**headroom_criterion(limit=250), "lookback": "2d"}
    path = write_config(tmp_path, criteria={"short": short})
    result = evaluate(build_go_no_go(path, AS_OF), "short")
    assert result.status is Status.NO_DATA
    assert "too short" in result.detail
    assert "48 points" in result.detail


def test_headroom_needs_one_series_or_an_aggregate(tmp_path: Path) -> None:
    both = {**headroom_criterion(limit=600), "selector": {}}
    summed = {**headroom_criterion(limit=600, aggregate="sum"), "selector": {}}
    path = write_config(tmp_path, criteria={"both": both, "summed": summed})
    report = build_go_no_go(path, AS_OF)

    result = evaluate(report, "both")
    assert result.status is Status.NO_DATA
    assert "2 series match" in result.detail

    # a + b = 250 + t: 585 at the horizon's end → (600 − 585) / 600 = 2.5 %,
    # below the 20 % target, above the alert 0 % → WARN.
    total = evaluate(report, "summed")
    assert total.status is Status.WARN
    assert total.value == pytest.approx((600 - 585) / 600 * 100, abs=1.5)


def test_headroom_without_limit_is_a_config_error(tmp_path: Path) -> None:
    criterion = headroom_criterion()
    path = write_config(tmp_path, criteria={"nolimit": criterion})
    with pytest.raises(ConfigError, match="limit is missing"):
        build_go_no_go(path, AS_OF)


# A load test counts only inside the criterion's evidence window (30 days before
# the decision time by default); the fixtures ran on 2024-01-10 10:00 UTC.


def test_an_old_load_test_proves_nothing(tmp_path: Path) -> None:
    # The user attack: a JTL from long before the window gave PASS and GO.
    path = write_config(tmp_path, loadtests=[("old", "jmeter.jtl", "jmeter_jtl")])
    report = build_go_no_go(path, "2026-03-02")
    result = evaluate(report, "throughput")
    assert result.status is Status.NO_DATA
    assert result.value is None
    assert "no load test ran within the evidence window" in result.detail
    # One 60-second step (the JTL default) holding all 30 requests.
    assert "1 of 1 load step(s) of 'old' started 2024-01-10 10:00 UTC" in result.detail
    assert "2026-01-31 00:00 – 2026-03-02 00:00 UTC (1 before it)" in result.detail
    assert str(report.decision) != "GO"


def test_a_load_test_after_the_decision_time_proves_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path, loadtests=[("later", "jmeter.jtl", "jmeter_jtl")])
    result = evaluate(build_go_no_go(path, "2024-01-10T10:00:05Z"), "throughput")
    assert result.status is Status.NO_DATA
    assert "ending after the decision time" in result.detail


def test_a_longer_lookback_lets_an_older_load_test_count(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        loadtests=[("ramp", "locust_stats_history.csv", "locust_history")],
        criteria={"throughput": {"lookback": "60d"}},
    )
    result = evaluate(build_go_no_go(path, "2024-03-01"), "throughput")
    assert result.value == 402.0
    assert "in ramp (run 2024-01-10 10:00 UTC" in result.detail


def test_a_summary_without_its_run_time_proves_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, loadtests=[("k6", "k6_summary.json", "k6_summary")])
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    del data["loadtests"][0]["started_at"]
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = evaluate(build_go_no_go(config, AS_OF), "throughput")
    assert result.status is Status.NO_DATA
    assert "'k6' (k6_summary) does not record when it ran" in result.detail
    assert "set started_at" in result.detail


def test_started_at_for_a_format_with_request_times_is_a_config_error(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, loadtests=[("jtl", "jmeter.jtl", "jmeter_jtl")])
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["loadtests"][0]["started_at"] = "2024-01-10T10:00:00Z"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="started_at is only for formats"):
        build_go_no_go(config, AS_OF)


def test_only_the_load_test_inside_the_window_counts(tmp_path: Path) -> None:
    # "soak" (1,200 req/s) ran a year before the decision time; "ramp" in the window.
    config = write_config(
        tmp_path,
        loadtests=[
            ("ramp", "locust_stats_history.csv", "locust_history"),
            ("soak", "locust_stats.csv", "locust_stats"),
        ],
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["loadtests"][1]["started_at"] = "2023-01-10T10:00:00Z"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = evaluate(build_go_no_go(config, AS_OF), "throughput")
    assert (result.status, result.value) == (Status.FAIL, 402.0)
    assert result.evidence_count == 4
    assert (
        "not counted: 1 of 1 load step(s) of 'soak' started 2023-01-10" in result.detail
    )
