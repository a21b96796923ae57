"""Stale or empty ticket, survey and activity exports are not evidence: NO DATA, never GO."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from analytics.config import load_config
from analytics.evaluate import evaluate_criteria, stale_sources
from analytics.evidence import gather_evidence
from analytics.readiness import Decision, Status, decide
from analytics.report.post_launch import build_post_launch

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenario" / "readiness.yaml"
# The scenario's ticket and survey exports end on 2026-03-30, its metrics too.
LATE = pd.Timestamp("2026-06-01", tz="UTC")


@pytest.fixture(scope="module")
def late_evidence():  # type: ignore[no-untyped-def]
    return gather_evidence(load_config(SCENARIO), LATE)


def _by_id(results):  # type: ignore[no-untyped-def]
    return {r.criterion.criterion_id: r for r in results}


def test_exports_ending_long_before_the_decision_are_stale(late_evidence) -> None:  # type: ignore[no-untyped-def]
    stale = stale_sources(late_evidence)
    assert {"incidents", "support", "csat", "nps", "activity"} <= set(stale)
    assert "2026-03-30" in stale["support"]
    assert "max_data_age 7d" in stale["support"]


def test_criteria_on_stale_exports_are_no_data_and_block_go(late_evidence) -> None:  # type: ignore[no-untyped-def]
    results, _ = evaluate_criteria(late_evidence)
    for result in results:
        if set(result.sources) & {"incidents", "support", "csat", "nps"}:
            assert result.status is Status.NO_DATA, result.criterion.criterion_id
            assert "max_data_age" in result.detail
    assert decide(results) is not Decision.GO


def test_a_longer_max_data_age_accepts_the_same_exports(late_evidence) -> None:  # type: ignore[no-untyped-def]
    config = late_evidence.config.model_copy(update={"max_data_age": "90d"})
    evidence = replace(late_evidence, config=config)
    assert stale_sources(evidence) == {}
    results = _by_id(evaluate_criteria(evidence)[0])
    measured = [r for r in results.values() if "csat" in r.sources]
    assert measured and all(r.status is not Status.NO_DATA for r in measured)


def test_fresh_exports_at_the_scenario_decision_time_are_not_stale() -> None:
    config = load_config(SCENARIO)
    assert stale_sources(gather_evidence(config, pd.Timestamp(config.as_of))) == {}


def test_an_empty_export_cannot_show_it_covers_the_window(late_evidence) -> None:  # type: ignore[no-untyped-def]
    load = late_evidence.surveys["csat"]
    empty = replace(load, frame=load.frame.iloc[0:0])
    evidence = replace(
        late_evidence,
        surveys={**late_evidence.surveys, "csat": empty},
        config=late_evidence.config.model_copy(update={"max_data_age": "365d"}),
    )
    assert set(stale_sources(evidence)) == {"csat"}
    assert "no usable record" in stale_sources(evidence)["csat"]


def test_post_launch_review_after_the_data_ends_is_not_a_pass() -> None:
    review = build_post_launch(str(SCENARIO), "2030-01-01T00:00:00Z", 28, "")
    results = _by_id(review.results)
    critical = results["critical_incidents_24h"]
    assert critical.status is Status.NO_DATA
    assert "max_data_age" in critical.detail
    assert review.outcome == "FAIL"


def test_no_data_keeps_its_reason_and_gains_the_rejection_one(late_evidence) -> None:  # type: ignore[no-untyped-def]
    load = late_evidence.surveys["csat"]
    assert load.rows_rejected == 1  # one score out of range in the scenario
    # As if the file had two rows: half of it rejected, over max_rejected_ratio.
    mostly_rejected = replace(load, rows_in=2, rows_used=1)
    evidence = replace(
        late_evidence, surveys={**late_evidence.surveys, "csat": mostly_rejected}
    )
    results = _by_id(evaluate_criteria(evidence)[0])
    csat = next(r for r in results.values() if "csat" in r.sources)
    assert csat.status is Status.NO_DATA
    assert "max_rejected_ratio" in csat.detail and "max_data_age" in csat.detail
