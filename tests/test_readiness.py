from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.readiness import (
    Criterion,
    Decision,
    Status,
    decide,
    evaluate_value,
    no_data,
    status_counts,
)

AVAILABILITY = Criterion(
    "availability", "Availability", "reliability", ">=", 99.9, "%", 99.5
)
LATENCY = Criterion("latency_p95", "p95", "performance", "<", 200, "ms", 500)
AUTH = Criterion("auth", "Auth", "reliability", ">", 99.5, "%")


@pytest.mark.parametrize(
    ("criterion", "value", "status"),
    [
        (AVAILABILITY, 99.95, Status.PASS),
        (AVAILABILITY, 99.9, Status.PASS),
        (AVAILABILITY, 99.7, Status.WARN),
        (AVAILABILITY, 99.5, Status.WARN),
        (AVAILABILITY, 99.49, Status.FAIL),
        (LATENCY, 150, Status.PASS),
        (LATENCY, 200, Status.WARN),
        (LATENCY, 500, Status.WARN),
        (LATENCY, 501, Status.FAIL),
        (AUTH, 99.5, Status.FAIL),
        (AUTH, 99.6, Status.PASS),
    ],
)
def test_status_from_target_and_alert(
    criterion: Criterion, value: float, status: Status
) -> None:
    assert evaluate_value(criterion, value).status is status


@pytest.mark.parametrize("value", [None, math.nan, math.inf])
def test_missing_or_non_finite_value_is_no_data(value: float | None) -> None:
    result = evaluate_value(AVAILABILITY, value)
    assert result.status is Status.NO_DATA
    assert result.value is None


def test_low_coverage_is_no_data_even_when_value_passes() -> None:
    result = evaluate_value(AVAILABILITY, 100.0, coverage_ratio=0.5, min_coverage=0.9)
    assert result.status is Status.NO_DATA
    assert "50.0%" in result.detail


def test_decision_rules() -> None:
    passing = evaluate_value(AVAILABILITY, 99.99)
    warn = evaluate_value(AVAILABILITY, 99.7)
    fail = evaluate_value(AVAILABILITY, 90.0)
    missing = no_data(AVAILABILITY, "no source")
    optional = Criterion("x", "Optional", "docs", ">=", 1.0, blocking=False)
    optional_fail = evaluate_value(optional, 0.0)

    assert decide([passing]) is Decision.GO
    assert decide([passing, warn]) is Decision.GO_WITH_CONDITIONS
    assert decide([passing, fail]) is Decision.NO_GO
    assert decide([passing, missing]) is Decision.NO_GO
    assert decide([passing, optional_fail]) is Decision.GO_WITH_CONDITIONS
    assert decide([]) is Decision.NO_GO


def test_status_counts_lists_every_status() -> None:
    counts = status_counts([evaluate_value(AVAILABILITY, 99.99)])
    assert counts == {"PASS": 1, "WARN": 0, "FAIL": 0, "NO DATA": 0}


def test_target_text() -> None:
    assert AVAILABILITY.target_text() == "≥ 99.9 %"
    assert AVAILABILITY.alert_text() == "< 99.5 %"
    assert LATENCY.alert_text() == "> 500 ms"


statuses = st.sampled_from(list(Status))


@given(st.lists(st.tuples(statuses, st.booleans()), min_size=1))
def test_no_evidence_never_gives_go(items: list[tuple[Status, bool]]) -> None:
    results = []
    for status, blocking in items:
        crit = Criterion("c", "C", "a", ">=", 1.0, blocking=blocking)
        value = {
            Status.PASS: 2.0,
            Status.FAIL: 0.0,
            Status.WARN: None,
            Status.NO_DATA: None,
        }[status]
        result = no_data(crit, "x") if value is None else evaluate_value(crit, value)
        results.append(result)
    decision = decide(results)
    if any(r.status is Status.NO_DATA for r in results):
        assert decision is not Decision.GO


def test_low_coverage_reason_names_the_value_as_not_judged() -> None:
    # The value passed in is what would be judged (a pessimistic bound for the
    # SLO kinds), never "the covered part's" figure: the text must not claim so.
    result = evaluate_value(AVAILABILITY, 5.99, coverage_ratio=0.067, min_coverage=0.9)
    assert result.detail.startswith("not judged: data covers 6.7% of the evidence")
    assert "would have judged is 5.99 %" in result.detail
    assert "covered part" not in result.detail


def test_run_json_gives_no_value_for_a_criterion_not_judged() -> None:
    # A scheduler reading run.json must not take the unjudged figure for a measurement.
    result = evaluate_value(AVAILABILITY, 80.97, coverage_ratio=0.3, min_coverage=0.9)
    assert result.status is Status.NO_DATA
    assert result.to_dict()["value"] is None
    assert "80.97" in result.to_dict()["detail"]
    assert evaluate_value(AVAILABILITY, 99.95).to_dict()["value"] == 99.95
