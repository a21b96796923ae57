"""Time-slice SLOs, the latency-share kind and snapshot sources against a real Prometheus.

The fixture server (``tests/prom/conftest.py``) holds 32 days at 60 s of
request counters and a latency histogram, with a counter reset (day 10), a
3-hour scrape gap (day 15), 6 hours without traffic (day 20) and a 3-hour
incident at 20 % errors (day 25).

* The slice figures are checked against a second implementation: a numpy
  pass over the fixture's own per-minute increments (the numbers written to
  Prometheus), with the same slice rule (an increment belongs to the slice of
  its later reading; one that spans the scrape gap belongs to none).
* ``latency_share`` is checked against Prometheus's own
  ``increase(le="0.3") / increase(le="+Inf")`` at the window end.
* A report is built live, every pull is saved as a snapshot, and a config
  whose sources are those snapshots gives the very same criteria.

Tolerances: 1e-9 for slice ratios (exact sums of integers), 1e-6 percentage
points against PromQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from analytics.config import load_config, missing_files
from analytics.errors import ConfigError, InputError
from analytics.readiness import Status
from analytics.report.go_no_go import GoNoGoReport, build_go_no_go
from analytics.report.slo_section import slo_summary
from analytics.sources.prometheus import PrometheusLoadResult, save_snapshot

GOOD = 'app_good_requests_total{job="api"}'
TOTAL = 'app_requests_total{job="api"}'
BUCKET = 'app_request_duration_seconds_bucket{job="api"}'
WINDOW_MINUTES = 30 * 1440
SLICE_MINUTES = 5
SOURCES = {"good": GOOD, "total": TOTAL, "latency": BUCKET}
CRITERIA = """\
criteria:
  availability:
    good_source: good
    total_source: total
  sliced:
    kind: slo_ratio
    title: Five-minute slices with >= 99 % good requests
    unit: "%"
    target: 99
    lookback: 30d
    good_source: good
    total_source: total
    params: {budgeting_method: timeslices, time_slice_window: 5m, time_slice_target: 99}
  sliced_mean:
    kind: slo_ratio
    title: Mean of five-minute ratios
    unit: "%"
    target: 99
    lookback: 30d
    blocking: false
    good_source: good
    total_source: total
    params: {budgeting_method: ratio_timeslices, time_slice_window: 5m}
  within_300ms:
    kind: latency_share
    title: Requests within 300 ms
    area: performance
    unit: "%"
    target: 95
    lookback: 30d
    source: latency
    params: {threshold_seconds: 0.3}
"""


def _live_config(folder: Path, url: str, criteria: str = CRITERIA) -> Path:
    sources = "".join(
        f"  - {{name: {name}, format: prometheus, url: '{url}', query: '{query}',"
        " step: 60s, lookback: 30d}\n"
        for name, query in SOURCES.items()
    )
    path = folder / "readiness.yaml"
    path.write_text("metrics:\n" + sources + criteria, encoding="utf-8")
    return path


def _snapshot_config(folder: Path, snapshots: dict[str, Path]) -> Path:
    sources = "".join(
        f"  - {{name: {name}, format: prometheus_snapshot, path: '{path}'}}\n"
        for name, path in snapshots.items()
    )
    path = folder / "from_snapshots.yaml"
    path.write_text("metrics:\n" + sources + CRITERIA, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def live(prometheus, tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("slices-live")
    report = build_go_no_go(
        _live_config(folder, prometheus.url), as_of=prometheus.data.end.isoformat()
    )
    return report, folder


def _result(report: GoNoGoReport, crit_id: str):  # type: ignore[no-untyped-def]
    return next(r for r in report.results if r.criterion.criterion_id == crit_id)


def sliced_notes(report: GoNoGoReport) -> tuple[str, ...]:
    """Notes of the ``sliced`` criterion's SLO, recomputed as the report does."""
    from analytics.evaluators_slo import counter_slice_slo, slice_settings

    config = report.evidence.config.criteria["sliced"]
    settings = slice_settings("sliced", config)
    assert settings is not None
    return counter_slice_slo(config, report.evidence, settings)[0].notes


def _slice_truth(data) -> tuple[np.ndarray, np.ndarray, int]:  # type: ignore[no-untyped-def]
    """Good and total events per 5-minute slice of (end − 30 d, end], from numpy."""
    last = int(data.minutes[-1])
    first = last - WINDOW_MINUTES
    scraped = np.zeros(last + 1, dtype=bool)
    scraped[data.minutes] = True
    minute = np.arange(first + 1, last + 1)
    # An increment exists where this minute and the one before were scraped.
    placed = scraped[minute] & scraped[minute - 1]
    slice_of = (minute - first - 1) // SLICE_MINUTES
    count = WINDOW_MINUTES // SLICE_MINUTES
    good = np.bincount(
        slice_of[placed], data.good_increase[minute[placed]], minlength=count
    )
    total = np.bincount(
        slice_of[placed], data.total_increase[minute[placed]], minlength=count
    )
    with_data = np.bincount(slice_of[placed], minlength=count) > 0
    known = with_data & (total > 0)
    return good[known], total[known], count


def test_timeslices_match_a_numpy_pass_over_the_fixture(live, prometheus) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    good, total, count = _slice_truth(prometheus.data)
    ratios = good / total
    good_slices = int(np.sum(ratios >= 0.99))

    sliced = _result(report, "sliced")
    assert sliced.value == pytest.approx(good_slices / count * 100, abs=1e-9)
    # Slices end on whole 5 minutes: (…, 00:00] holds the incident's first
    # minute, so its 3 hours make 37 bad slices. Unknown, counted as bad in the
    # judged value: the 3-hour gap's 36 slices (the increment across it is
    # placed nowhere) and 71 of the 6 hours without traffic (the slice that
    # ends at its start and the one that holds its end have traffic).
    assert len(ratios) - good_slices == 37
    assert count - len(ratios) == 36 + 71
    # The pull sends last_over_time(selector[step - 1 ms]), so Prometheus's
    # 5-minute lookback does not repeat the last sample into the gap: all 36 of
    # its slices are "no data" (they read as flat counters, "no traffic", when
    # the selector was sent as it is).
    notes = " ".join(sliced_notes(report))
    assert "107 of 8,640 slices are unknown (36 no data, 71 no traffic)" in notes
    assert sliced.coverage_ratio == pytest.approx(len(ratios) / count)
    assert sliced.status is Status.FAIL  # 97.3 % of slices < 99 %
    assert f"{good_slices:,} good of {len(ratios):,} slices" in sliced.detail

    mean = _result(report, "sliced_mean")
    assert mean.value == pytest.approx(ratios.sum() / count * 100, abs=1e-9)


def test_latency_share_matches_promql(live, prometheus) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    at = prometheus.data.end
    bucket = BUCKET[:-1]

    def value(query: str) -> float:
        answer = requests.get(
            f"{prometheus.url}/api/v1/query",
            params={"query": query, "time": at.timestamp()},
            timeout=30,
        ).json()
        return float(answer["data"]["result"][0]["value"][1])

    promql = value(f'sum(increase({bucket},le="0.3"}}[30d]))') / value(
        f'sum(increase({bucket},le="+Inf"}}[30d]))'
    )
    within = _result(report, "within_300ms")
    assert within.value == pytest.approx(promql * 100, abs=1e-6)
    assert within.value == pytest.approx(95.0, abs=1e-9)  # 50 + 30 + 15 % of requests
    assert within.status is Status.PASS


def test_slo_summary_renders_the_new_kinds(live) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    html = str(slo_summary(report))
    for heading in (
        "Requests within 300 ms (within_300ms)",
        "Five-minute slices with &gt;= 99 % good requests (sliced)",
        "Mean of five-minute ratios (sliced_mean)",
    ):
        assert heading in html
    assert "occurrences (histogram buckets: share at or under a threshold)" in html
    assert "timeslices (share of good slices)" in html
    assert "ratio timeslices (mean of slice ratios)" in html
    assert "Latency threshold" in html and "0.3 s" in html
    unknown = html.split("Unknown slices", 1)[1][:200]
    assert ">107<" in unknown, unknown


def test_threshold_between_bounds_is_a_config_error(prometheus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    criteria = CRITERIA.replace("threshold_seconds: 0.3", "threshold_seconds: 0.25")
    config = _live_config(tmp_path, prometheus.url, criteria)
    with pytest.raises(
        ConfigError, match=r"boundaries: 0\.1, 0\.2, 0\.3, 0\.45, 1, inf"
    ):
        build_go_no_go(config, as_of=prometheus.data.end.isoformat())


def test_report_from_snapshots_gives_the_same_numbers(live, prometheus) -> None:  # type: ignore[no-untyped-def]
    report, folder = live
    snapshots = {}
    for name in SOURCES:
        load = report.evidence.metrics[name]
        assert isinstance(load, PrometheusLoadResult)
        snapshots[name] = save_snapshot(load, folder / "snapshots" / name)
    # A folder or its manifest.json are both accepted.
    snapshots["good"] = snapshots["good"].parent
    config = _snapshot_config(folder, snapshots)
    assert load_config(config).metrics[0].format == "prometheus_snapshot"

    again = build_go_no_go(config, as_of=prometheus.data.end.isoformat())

    for before in report.results:
        after = _result(again, before.criterion.criterion_id)
        assert (after.status, after.value, after.coverage_ratio) == (
            before.status,
            before.value,
            before.coverage_ratio,
        ), before.criterion.criterion_id
    assert str(again.decision) == str(report.decision)

    inventory = again.evidence.inventory().set_index("source")
    provenance = inventory.loc["total", "provenance"]
    live_load = report.evidence.metrics["total"]
    assert isinstance(live_load, PrometheusLoadResult)
    assert provenance["query"] == TOTAL
    assert provenance["server"] == prometheus.url
    assert provenance["step_seconds"] == 60.0
    assert provenance["pulled_at"] == live_load.pulled_at.isoformat()
    assert provenance["range_end"] == prometheus.data.end.isoformat()
    assert provenance["snapshot"].endswith("manifest.json")
    # The live report recorded where its data came from too (no snapshot).
    assert (
        report.evidence.inventory()
        .set_index("source")
        .loc["total", "provenance"]["snapshot"]
        is None
    )
    # run.json carries the manifest; the data section names the snapshot.
    record = json.loads(json.dumps(again.run_record(), default=str))
    listed = {item["source"]: item for item in record["data"]}
    assert listed["latency"]["provenance"]["query"] == BUCKET
    assert "read from the snapshot" in again.data_inventory().markup


def test_snapshot_source_needs_an_existing_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = _snapshot_config(tmp_path, dict.fromkeys(SOURCES, tmp_path / "nowhere"))
    assert missing_files(load_config(config))  # check-config names it
    with pytest.raises(InputError, match=r"manifest\.json: missing from the snapshot"):
        build_go_no_go(config, as_of=pd.Timestamp("2024-05-01", tz="UTC").isoformat())


def test_a_snapshot_of_an_aggregated_query_is_no_data(prometheus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A snapshot's query is only known once read: checked at evaluation."""
    from analytics.sources.prometheus import PrometheusSource

    end = prometheus.data.end
    source = PrometheusSource(prometheus.url, environ={})
    queries = {
        "good": GOOD,
        "total": f"sum({TOTAL})",
        "latency": f"sum by (le) ({BUCKET})",
    }
    snapshots = {
        name: save_snapshot(
            source.range_query(query, end - pd.Timedelta(days=2), end, 300),
            tmp_path / name,
        )
        for name, query in queries.items()
    }
    config = tmp_path / "c.yaml"
    config.write_text(
        "metrics:\n"
        + "".join(
            f"  - {{name: {name}, format: prometheus_snapshot, path: '{path}'}}\n"
            for name, path in snapshots.items()
        )
        + "criteria:\n"
        "  availability: {good_source: good, total_source: total, lookback: 1d}\n"
        "  latency_p95: {source: latency, lookback: 1d}\n",
        encoding="utf-8",
    )
    report = build_go_no_go(config, as_of=end.isoformat())

    availability = _result(report, "availability")
    assert availability.status is Status.NO_DATA
    assert f"total holds the answer of the query 'sum({TOTAL})'" in (
        availability.detail
    )
    assert "returns the result of sum(), an aggregation" in availability.detail
    assert "pull and save the snapshot again" in availability.detail
    latency = _result(report, "latency_p95")
    assert latency.status is Status.NO_DATA
    assert "latency holds the answer of the query 'sum by (le)" in latency.detail
