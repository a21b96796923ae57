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
        if set(result.sources) & {"incidents", "support", "csat", "nps", "activity"}:
            assert result.status is Status.NO_DATA, result.criterion.criterion_id
            assert "max_data_age" in result.detail
    assert decide(results) is not Decision.GO


def test_criteria_on_stale_activity_are_no_data(late_evidence) -> None:  # type: ignore[no-untyped-def]
    # The adoption criteria named their files, not the evidence's source names,
    # so a stale activity export slipped past: time to first value (lookback 90 d)
    # passed on March events at a decision time in June.
    results = _by_id(evaluate_criteria(late_evidence)[0])
    for crit_id in ("adoption", "feature_utilisation", "time_to_first_value"):
        assert "activity" in results[crit_id].sources
        assert results[crit_id].status is Status.NO_DATA
        assert "source 'activity' ends at 2026-03-30" in results[crit_id].detail


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


def _with_support_row_dated(evidence, when: pd.Timestamp):  # type: ignore[no-untyped-def]
    """``evidence`` with one more support ticket whose closed_at is ``when``."""
    load = evidence.tickets["support"]
    extra = load.frame.tail(1).copy()
    extra["ticket_id"] = "LATE-1"
    extra["closed_at"] = when
    frame = pd.concat([load.frame, extra], ignore_index=True)
    return replace(
        evidence, tickets={**evidence.tickets, "support": replace(load, frame=frame)}
    )


def test_a_far_future_date_does_not_make_an_old_export_fresh(late_evidence) -> None:  # type: ignore[no-untyped-def]
    # The user attack: one closed_at in 2036 made an export ending 2026-03-30 look fresh.
    evidence = _with_support_row_dated(
        replace(late_evidence, read_at=pd.Timestamp("2026-12-03", tz="UTC")),
        pd.Timestamp("2036-03-01 10:10", tz="UTC"),
    )
    reason = stale_sources(evidence)["support"]
    assert "ends at 2026-03-30" in reason
    assert "1 record(s) dated after 2026-06-01 00:00 UTC" in reason
    assert "latest 2036-03-01 10:10 UTC" in reason
    assert "later than this run's clock (2026-12-03 00:00 UTC)" in reason
    results, _ = evaluate_criteria(evidence)
    on_support = [r for r in results if "support" in r.sources]
    assert on_support and all(r.status is Status.NO_DATA for r in on_support)
    assert decide(results) is not Decision.GO


def test_records_after_the_decision_time_do_not_show_freshness(late_evidence) -> None:  # type: ignore[no-untyped-def]
    # A plausible later date (before the run's clock) does not count either: the
    # decision reads only up to as_of, and one later date cannot be checked.
    evidence = _with_support_row_dated(
        replace(late_evidence, read_at=pd.Timestamp("2026-12-03", tz="UTC")),
        pd.Timestamp("2026-06-10", tz="UTC"),
    )
    reason = stale_sources(evidence)["support"]
    assert "1 record(s) dated after 2026-06-01 00:00 UTC" in reason
    assert "run's clock" not in reason


def test_a_decision_time_after_the_run_clock_counts_only_up_to_the_clock() -> None:
    # as_of in the future: records between the clock and as_of cannot exist yet.
    config = load_config(SCENARIO).model_copy(update={"max_data_age": "365d"})
    evidence = gather_evidence(config, pd.Timestamp("2026-04-01", tz="UTC"))
    evidence = replace(evidence, read_at=pd.Timestamp("2026-01-01", tz="UTC"))
    evidence = _with_support_row_dated(evidence, pd.Timestamp("2026-03-31", tz="UTC"))
    reason = stale_sources(evidence)["support"]
    assert "no usable record up to 2026-01-01 00:00 UTC" in reason
    assert "later than this run's clock" in reason


def test_a_fresh_export_with_a_wrong_future_date_stays_fresh() -> None:
    # Freshness is shown by the records up to the decision time; the wrong date
    # neither helps nor hurts.
    config = load_config(SCENARIO)
    evidence = gather_evidence(config, pd.Timestamp(config.as_of))
    evidence = _with_support_row_dated(evidence, pd.Timestamp("2036-03-01", tz="UTC"))
    assert stale_sources(evidence) == {}
