"""Latency p95 and error rate read live from a real Prometheus, checked against PromQL.

The fixture server (``tests/prom/conftest.py``) holds 32 days at 60 s ending at
``fixture_data.end``: request counters and a latency histogram (buckets 0.1,
0.2, 0.3, 0.45, 1, +Inf holding 50/30/15/4/1 % of the requests) with a counter
reset on day 10, a 3-hour scrape gap on day 15, 6 hours without traffic on
day 20 and an incident on day 25.

The evaluators pull raw samples with range queries and compute offline; the
truth is Prometheus's own answer at the window end:

* latency: ``histogram_quantile(q, sum by (le) (increase(..._bucket[w])))``;
* error rate: ``increase`` of total minus good over ``increase`` of total.

Samples sit on both window edges, so PromQL's ``increase`` does not
extrapolate and both paths must agree to floating-point rounding. Stated
tolerances: 1e-6 ms for latency, 1e-6 percentage points for the error rate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from analytics.config import load_config, parse_duration
from analytics.evaluate import evaluate_criteria
from analytics.evidence import gather_evidence
from analytics.readiness import CriterionResult, Status

BUCKET = 'app_request_duration_seconds_bucket{job="api"}'
INF_BUCKET = 'app_request_duration_seconds_bucket{job="api",le="+Inf"}'
GOOD = 'app_good_requests_total{job="api"}'
TOTAL = 'app_requests_total{job="api"}'
LATENCY_TOLERANCE_MS = 1e-6
RATE_TOLERANCE_PP = 1e-6


def _config(folder: Path, url: str) -> Path:
    def source(name: str, query: str, lookback: str = "30d") -> str:
        return (
            f"  - name: {name}\n    format: prometheus\n    url: {url}\n"
            f"    query: '{query}'\n    step: 60s\n    lookback: {lookback}\n"
        )

    text = (
        "metrics:\n"
        + source("latency", BUCKET)
        + source("latency_too_long", BUCKET, "40d")  # starts 8 days before the data
        + source("good", GOOD)
        + source("total", TOTAL)
        # A derived error counter: it restarts with the process like its parts.
        + source("errors", f"{TOTAL} - {GOOD}")
        + """\
criteria:
  latency_p95:
    source: latency
    lookback: 7d
  latency_p97_30d:
    kind: latency_p95
    title: p97 over 30 days
    unit: ms
    op: "<"
    target: 400
    lookback: 30d
    source: latency
    params: {quantile: 0.97}
  latency_partial:
    kind: latency_p95
    title: p95 from a pull that starts before the data
    unit: ms
    op: "<"
    target: 400
    lookback: 7d
    source: latency_too_long
  latency_uncovered:
    kind: latency_p95
    title: p95 over 40 days, of which the data holds 32
    unit: ms
    op: "<"
    target: 400
    lookback: 40d
    source: latency_too_long
  error_rate:
    source: errors
    total_source: total
    lookback: 30d
  error_rate_7d:
    kind: error_rate
    title: Error rate, 7 days, from good and total
    unit: "%"
    op: "<"
    target: 0.5
    lookback: 7d
    good_source: good
    total_source: total
"""
    )
    path = folder / "readiness.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _instant(url: str, query: str, at: pd.Timestamp) -> float:
    answer = requests.get(
        f"{url}/api/v1/query",
        params={"query": query, "time": at.timestamp()},
        timeout=30,
    ).json()
    assert answer["status"] == "success", answer
    return float(answer["data"]["result"][0]["value"][1])


@pytest.fixture(scope="module")
def results(prometheus, tmp_path_factory) -> dict[str, CriterionResult]:  # type: ignore[no-untyped-def]
    config = load_config(_config(tmp_path_factory.mktemp("slo-live"), prometheus.url))
    evidence = gather_evidence(config, prometheus.data.end)
    assert not evidence.unavailable
    found, _ = evaluate_criteria(evidence)
    return {r.criterion.criterion_id: r for r in found}


@pytest.mark.parametrize(
    ("crit_id", "quantile", "window", "expected_ms"),
    [
        # 95 % of requests are at or under 0.3 s: the rank falls on that bound.
        ("latency_p95", 0.95, "7d", 300.0),
        # rank 0.97 in (0.3, 0.45] holding 4 %: 0.3 + 0.15 × 2/4 = 0.375 s.
        ("latency_p97_30d", 0.97, "30d", 375.0),
    ],
)
def test_latency_quantile_matches_promql(  # type: ignore[no-untyped-def]
    results, prometheus, crit_id: str, quantile: float, window: str, expected_ms: float
) -> None:
    result = results[crit_id]
    promql = _instant(
        prometheus.url,
        f"histogram_quantile({quantile}, sum by (le) (increase({BUCKET}[{window}])))",
        prometheus.data.end,
    )

    assert result.value is not None
    assert abs(result.value - promql * 1000) < LATENCY_TOLERANCE_MS
    assert result.value == pytest.approx(expected_ms, abs=1e-6)
    count = _instant(
        prometheus.url, f"sum(increase({INF_BUCKET}[{window}]))", prometheus.data.end
    )
    assert result.evidence_count == round(count)
    assert result.coverage_ratio == pytest.approx(1.0)


def test_latency_statuses(results) -> None:  # type: ignore[no-untyped-def]
    assert (
        results["latency_p95"].status is Status.WARN
    )  # 300 ms: < 200 missed, alert 500
    assert results["latency_p97_30d"].status is Status.PASS  # 375 < 400


def _truth_error_percent(data, window: pd.Timedelta) -> float:  # type: ignore[no-untyped-def]
    last = int(data.minutes[-1])
    first = last - int(window.total_seconds() // 60)
    total = float(data.total_increase[first + 1 : last + 1].sum())
    good = float(data.good_increase[first + 1 : last + 1].sum())
    return (total - good) / total * 100


@pytest.mark.parametrize(
    ("crit_id", "window"), [("error_rate", "30d"), ("error_rate_7d", "7d")]
)
def test_error_rate_matches_promql(  # type: ignore[no-untyped-def]
    results, prometheus, crit_id: str, window: str
) -> None:
    result = results[crit_id]
    end = prometheus.data.end
    total = _instant(prometheus.url, f"sum(increase({TOTAL}[{window}]))", end)
    good = _instant(prometheus.url, f"sum(increase({GOOD}[{window}]))", end)
    promql = (total - good) / total * 100
    truth = _truth_error_percent(prometheus.data, parse_duration(window))

    assert result.value is not None
    assert abs(result.value - promql) < RATE_TOLERANCE_PP
    assert abs(result.value - truth) < 1e-9
    assert result.evidence_count == round(total)
    assert np.isfinite(result.value) and result.value > 0


def test_error_rate_statuses(results) -> None:  # type: ignore[no-untyped-def]
    # ~1/7 % background errors plus the incident: above the 0.1 % target and
    # below the 1 % alert over 30 days.
    assert results["error_rate"].status is Status.WARN
    assert "burn rate" in results["error_rate"].detail
    assert results["error_rate_7d"].status is Status.PASS  # target < 0.5 %


def test_pull_that_starts_before_the_data_judges_each_window_by_its_coverage(  # type: ignore[no-untyped-def]
    results,
) -> None:
    # The last 7 days are covered: judged, the same as from a 30-day pull.
    covered = results["latency_partial"]
    assert covered.status is Status.PASS
    assert covered.value == pytest.approx(results["latency_p95"].value, abs=1e-9)
    assert covered.coverage_ratio == pytest.approx(1.0)
    # 32 of 40 days hold data: below min_coverage 0.9, NO DATA.
    uncovered = results["latency_uncovered"]
    assert uncovered.status is Status.NO_DATA
    assert uncovered.coverage_ratio == pytest.approx(0.8, abs=0.001)
    assert "not judged: data covers 80.0% of the evidence window" in uncovered.detail
