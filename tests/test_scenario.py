"""The launch scenario: deterministic, readable, and an oracle the KPIs recover.

Tolerances: counts, ratios, shares and hours are exact up to float rounding
(the generator writes whole counts and whole-minute times); the histogram p95
equals the interpolation of the true bucket counts and lies within 0.03 s of
the continuous p95 of the distribution the latencies were drawn from.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics.frames import LoadResult
from analytics.metrics.adoption import (
    active_users,
    first_week_adoption,
    time_to_first_value,
    weekly_feature_utilisation,
)
from analytics.metrics.histogram import bucket_increase, histogram_quantile
from analytics.metrics.resolution import mean_time_to_resolve, resolution_by_priority
from analytics.metrics.satisfaction import csat_summary, nps_summary
from analytics.metrics.slo import availability_from_counters
from analytics.report.capacity_section import capacity_forecast
from analytics.report.go_no_go import build_go_no_go
from analytics.scenario import FEATURES, ScenarioTruth, generate_launch_scenario
from analytics.sources.activity import read_activity_csv, read_licences_csv
from analytics.sources.jira import read_jira_csv
from analytics.sources.metric_files import read_metric_csv
from analytics.sources.servicenow import read_servicenow_csv
from analytics.sources.surveys import read_survey_csv

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "scenario"
EXACT = 1e-9


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> ScenarioTruth:
    return generate_launch_scenario(tmp_path_factory.mktemp("scenario"), seed=7)


@pytest.fixture(scope="module")
def loads(scenario: ScenarioTruth) -> dict[str, LoadResult]:
    """Every file of the scenario read by the package's readers."""
    folder = scenario.out_dir
    results: dict[str, LoadResult] = {
        str(path.relative_to(folder)): read_metric_csv(path)
        for path in sorted((folder / "metrics").glob("*.csv.gz"))
    }
    results["tickets/servicenow_incidents.csv"] = read_servicenow_csv(
        folder / "tickets/servicenow_incidents.csv", date_order="dayfirst"
    )
    results["tickets/jira_support.csv"] = read_jira_csv(
        folder / "tickets/jira_support.csv"
    )
    for kind in ("csat", "nps"):
        results[f"surveys/{kind}.csv"] = read_survey_csv(
            folder / f"surveys/{kind}.csv", kind=kind
        )
    results["usage/events.csv.gz"] = read_activity_csv(folder / "usage/events.csv.gz")
    results["usage/licences.csv"] = read_licences_csv(folder / "usage/licences.csv")
    return results


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _window(section: dict[str, Any]) -> dict[str, pd.Timestamp]:
    return {
        "window_start": pd.Timestamp(section["window_start"]),
        "window_end": pd.Timestamp(section["window_end"]),
    }


# --- determinism -------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(
    scenario: ScenarioTruth, tmp_path: Path
) -> None:
    # A second run, in another process, through the command line.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.scenario",
            "--out",
            str(tmp_path),
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert _hashes(tmp_path) == _hashes(scenario.out_dir)
    assert set(scenario.files) == set(_hashes(tmp_path))


def test_committed_example_is_the_seed_7_output(scenario: ScenarioTruth) -> None:
    assert _hashes(COMMITTED) == _hashes(scenario.out_dir)


def test_go_live_needs_a_zone(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a zone"):
        generate_launch_scenario(tmp_path, go_live="2026-03-02 09:00")


# --- every file loads, nothing rejected unless planted ------------------------------


def test_every_file_loads_with_exact_accounting(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    planted = scenario["planted_rejections"]
    data_files = [
        name
        for name in scenario.files
        if name.endswith((".csv", ".csv.gz")) and name != "checklist.csv"
    ]

    assert sorted(loads) == sorted(data_files)
    for name, result in loads.items():
        assert result.rows_in == result.rows_used + result.rows_rejected, name
        expected = planted.get(name, {})
        found = result.rejected["reason_code"].value_counts().to_dict()
        assert found == expected, name


def test_metric_samples_count_matches_the_truth(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    used = sum(r.rows_used for n, r in loads.items() if n.startswith("metrics/"))

    assert used == scenario["metrics"]["samples_written"]


# --- the KPI functions recover the planted truth -------------------------------------


@pytest.mark.parametrize(
    "window", ["pre_launch_30d", "decision_30d", "post_launch_28d", "incident"]
)
def test_availability_from_counters_is_exact(
    scenario: ScenarioTruth, loads: dict[str, LoadResult], window: str
) -> None:
    truth = scenario["metrics"]["availability"][window]

    result = availability_from_counters(
        loads["metrics/http_requests_good_total.csv.gz"].frame,
        loads["metrics/http_requests_total.csv.gz"].frame,
        target=0.999,
        **_window(truth),
    )

    assert result.valid == truth["total"]
    assert result.good == truth["good"]
    assert result.sli == pytest.approx(truth["ratio"], abs=EXACT)


def test_error_rate_and_auth_success_are_exact(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    errors = scenario["metrics"]["error_rate"]["post_launch_28d"]
    auth = scenario["metrics"]["auth_success"]["decision_7d"]

    requests = availability_from_counters(
        loads["metrics/http_requests_good_total.csv.gz"].frame,
        loads["metrics/http_requests_total.csv.gz"].frame,
        target=0.999,
        **_window(errors),
    )
    logins = availability_from_counters(
        loads["metrics/auth_success_total.csv.gz"].frame,
        loads["metrics/auth_attempts_total.csv.gz"].frame,
        target=0.995,
        **_window(auth),
    )

    assert requests.sli is not None and logins.sli is not None
    assert 1 - requests.sli == pytest.approx(errors["ratio"], abs=EXACT)
    assert logins.sli == pytest.approx(auth["ratio"], abs=EXACT)


@pytest.mark.parametrize(
    "window", ["decision_7d", "post_launch_week_1", "post_launch_week_4"]
)
def test_histogram_p95_recovers_the_planted_latency(
    scenario: ScenarioTruth, loads: dict[str, LoadResult], window: str
) -> None:
    truth = scenario["metrics"]["latency"][window]

    buckets = bucket_increase(
        loads["metrics/http_request_duration_seconds_bucket.csv.gz"].frame,
        **_window(truth),
    )
    p95 = histogram_quantile(0.95, buckets)

    assert p95 == pytest.approx(truth["p95_seconds_from_buckets"], rel=EXACT)
    assert p95 == pytest.approx(truth["p95_seconds_true"], abs=0.03)


def test_latency_degrades_over_the_four_weeks(scenario: ScenarioTruth) -> None:
    latency = scenario["metrics"]["latency"]
    weekly = [
        latency[f"post_launch_week_{k}"]["p95_seconds_true"] for k in (1, 2, 3, 4)
    ]

    assert weekly == sorted(weekly)
    assert weekly[0] < 0.2 < weekly[-1]


@pytest.mark.parametrize(
    "source", ["tickets/servicenow_incidents.csv", "tickets/jira_support.csv"]
)
def test_resolution_by_priority_is_exact(
    scenario: ScenarioTruth, loads: dict[str, LoadResult], source: str
) -> None:
    truth = scenario["servicenow" if "servicenow" in source else "jira"]
    table = resolution_by_priority(loads[source].frame).set_index("priority")

    for priority, expected in truth["per_priority"].items():
        row = table.loc[priority]
        assert row["tickets"] == expected["tickets"], priority
        assert row["within_target"] == expected["within_target"], priority
        assert row["share_within_target"] == pytest.approx(
            expected["share_within_target"], abs=EXACT
        )
        assert row["median_hours"] == pytest.approx(expected["median_hours"], abs=EXACT)


def test_the_planted_incident_is_the_only_p1_and_its_mttr_is_recovered(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    incident = scenario["incident"]
    frame = loads["tickets/servicenow_incidents.csv"].frame

    p1 = frame.loc[frame["priority"] == "P1"]
    mttr = mean_time_to_resolve(frame, priorities=("P1",))

    assert p1["ticket_id"].tolist() == [incident["ticket_id"]]
    assert p1["created_at"].iloc[0] == pd.Timestamp(incident["detected_at"])
    assert mttr.count == 1
    assert mttr.mean_seconds / 60 == pytest.approx(incident["mttr_minutes"], abs=EXACT)


def test_first_responses_come_from_the_jira_comments(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    truth = scenario["jira"]["first_response"]
    frame = loads["tickets/jira_support.csv"].frame

    minutes = (
        frame["first_response_at"] - frame["created_at"]
    ).dropna() / pd.Timedelta(minutes=1)

    assert len(minutes) == truth["responses"]
    assert minutes.mean() == pytest.approx(truth["mean_minutes"], abs=EXACT)


def test_csat_and_nps_are_exact(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    truth = scenario["surveys"]

    csat = csat_summary(loads["surveys/csat.csv"].frame).iloc[0]
    nps = nps_summary(loads["surveys/nps.csv"].frame).iloc[0]

    assert csat["n"] == truth["csat"]["responses"]
    assert csat["csat_mean"] == pytest.approx(truth["csat"]["mean"], abs=EXACT)
    assert csat["share_satisfied"] == pytest.approx(
        truth["csat"]["share_satisfied"], abs=EXACT
    )
    assert nps["n"] == truth["nps"]["responses"]
    assert nps["nps"] == pytest.approx(truth["nps"]["nps"], abs=EXACT)


def test_adoption_is_exact(
    scenario: ScenarioTruth, loads: dict[str, LoadResult]
) -> None:
    truth = scenario["adoption"]
    events = loads["usage/events.csv.gz"].frame
    licences = loads["usage/licences.csv"].frame

    week = first_week_adoption(events, licences, go_live=scenario.go_live)
    daily = active_users(events).set_index("date")
    day = daily.loc[pd.Timestamp(truth["daily"]["date"])]
    ttv = time_to_first_value(events)
    features = weekly_feature_utilisation(events, FEATURES).set_index("week_start")

    assert week.active_users == truth["first_week"]["active_users"]
    assert week.adoption_ratio == pytest.approx(
        truth["first_week"]["adoption_ratio"], abs=EXACT
    )
    assert (day["dau"], day["mau"]) == (
        truth["daily"]["dau"],
        truth["daily"]["mau_30d"],
    )
    assert ttv["days_to_value"].median() == pytest.approx(
        truth["time_to_first_value"]["median_days"], abs=EXACT
    )
    week_start = pd.Timestamp(truth["feature_utilisation"]["week_start"])
    assert features.loc[week_start, "utilisation_ratio"] == pytest.approx(
        truth["feature_utilisation"]["ratio"], abs=EXACT
    )


# --- the readiness config and the go/no-go report ------------------------------------


def test_check_config_accepts_the_committed_config() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.cli",
            "check-config",
            "--config",
            str(COMMITTED / "readiness.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_go_no_go_decides_and_measures_the_true_availability(
    scenario: ScenarioTruth,
) -> None:
    report = build_go_no_go(scenario.out_dir / "readiness.yaml")
    by_id = {r.criterion.criterion_id: r for r in report.results}

    assert report.decision.value in {"GO", "GO WITH CONDITIONS", "NO-GO"}
    availability = by_id["availability"]
    assert availability.status == "PASS"
    assert availability.value == pytest.approx(
        scenario["metrics"]["availability"]["decision_30d"]["ratio"] * 100, abs=1e-9
    )


def test_go_no_go_forecasts_cpu_headroom_with_a_fan_chart(
    scenario: ScenarioTruth,
) -> None:
    report = build_go_no_go(scenario.out_dir / "readiness.yaml")
    by_id = {r.criterion.criterion_id: r for r in report.results}
    cpu = read_metric_csv(scenario.out_dir / "metrics/node_cpu_utilisation.csv.gz")
    frame, as_of = cpu.frame, scenario.as_of
    pilot = frame[
        (frame["timestamp"] >= as_of - pd.Timedelta(days=30))
        & (frame["timestamp"] < as_of)
    ]
    # Oracle for "headroom now": the busiest hour of the last week, hourly mean
    # per instance then max over instances, against the 0.8 limit.
    hourly = pilot.groupby([pilot["timestamp"].dt.floor("h"), "series"])["value"]
    peak = hourly.mean().groupby(level=0).max().iloc[-168:].max()

    headroom = by_id["cpu_headroom"]
    html = str(capacity_forecast(report))

    assert headroom.status == "PASS"
    assert not headroom.criterion.blocking
    assert f"now {(0.8 - peak) / 0.8:.1%}" in headroom.detail
    assert 70 < headroom.value < 90
    assert "Backtest" in html and "80 % interval" in html and "limit" in html
    assert "No capacity forecast is configured" not in html


# --- promtool accepts the OpenMetrics file ------------------------------------------


def test_promtool_backfills_every_sample(
    scenario: ScenarioTruth, tmp_path: Path
) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus package"
    text = gzip.decompress((scenario.out_dir / "metrics/scenario.om.gz").read_bytes())
    source = tmp_path / "scenario.om"
    source.write_bytes(text)
    samples = sum(
        1 for line in text.decode().splitlines() if line and not line.startswith("#")
    )

    done = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=2000h",
            str(source),
            str(tmp_path / "tsdb"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    metas = [json.loads(p.read_text()) for p in (tmp_path / "tsdb").glob("*/meta.json")]
    assert sum(meta["stats"]["numSamples"] for meta in metas) == samples
