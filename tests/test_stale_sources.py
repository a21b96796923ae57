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


# --- an interim post-launch review: freshness at min(window end, now) ---------------

# The run's wall clock in these tests; a review window that ends after it is interim.
NOW = pd.Timestamp("2026-12-04 23:00", tz="UTC")


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> pd.Timestamp:
    """Freeze the clock the evidence and the report read (``utc_now``) at ``NOW``."""
    monkeypatch.setattr("analytics.evidence.utc_now", lambda: NOW.to_pydatetime())
    monkeypatch.setattr(
        "analytics.report.go_no_go.utc_now", lambda: NOW.to_pydatetime()
    )
    return NOW


def _interim_exports(folder: Path, *, tickets_to: str, csat_to: str) -> Path:
    """A helpdesk export (two tickets a day from 2026-08-20) and a CSAT survey
    (two answers a day from 2026-11-01), each ending at the given time; a config."""
    lines = ["ticket_id,priority,status,created_at,first_response_at,resolved_at"]
    for n, t in enumerate(
        pd.date_range("2026-08-20", tickets_to, freq="12h", tz="UTC"), start=1
    ):
        done = t + pd.Timedelta(hours=2)
        lines.append(
            f"H{n},Medium,Resolved,{t:%Y-%m-%dT%H:%M:%SZ},"
            f"{t + pd.Timedelta(minutes=5):%Y-%m-%dT%H:%M:%SZ},{done:%Y-%m-%dT%H:%M:%SZ}"
        )
    (folder / "hd.csv").write_text("\n".join(lines) + "\n", "utf-8")
    lines = ["response_id,answered_at,score"]
    for n, t in enumerate(
        pd.date_range("2026-11-01", csat_to, freq="12h", tz="UTC"), start=1
    ):
        lines.append(f"S{n},{t:%Y-%m-%dT%H:%M:%SZ},5")
    (folder / "csat.csv").write_text("\n".join(lines) + "\n", "utf-8")
    config = folder / "readiness.yaml"
    config.write_text(
        "report: {service: interim-test}\n"
        "tickets:\n"
        "  - {name: hd, path: hd.csv, format: helpdesk_csv}\n"
        "surveys:\n"
        "  - {name: csat, path: csat.csv, kind: csat}\n"
        "post_launch:\n"
        "  criteria:\n"
        "    availability: {enabled: false}\n"
        "    auth_success: {enabled: false}\n"
        "    latency_p95: {enabled: false}\n"
        "    adoption_first_week: {enabled: false}\n"
        "    business_processes: {enabled: false}\n",
        "utf-8",
    )
    return config


def test_an_export_made_today_is_fresh_for_an_interim_review(
    tmp_path: Path, frozen_now: pd.Timestamp
) -> None:
    # The tester's case: go-live 2026-11-27, 28 days (to 2026-12-25), exports
    # ending today. Judged at the window's end they were "20 days" old and the
    # advice was to export them again.
    config = _interim_exports(
        tmp_path, tickets_to="2026-12-04 18:00", csat_to="2026-12-04 12:00"
    )
    review = build_post_launch(str(config), "2026-11-27T00:00:00Z", 28, "")
    assert review.is_interim() and review.evidence.read_at == frozen_now
    evidence = replace(review.evidence, as_of=review.review_end)
    assert stale_sources(evidence) == {}

    results = _by_id(review.results)
    # The first 24 h are over: judged on the evidence as before.
    assert results["critical_incidents_24h"].status is Status.PASS
    # The 28-day window is not: NO DATA, saying why, not blaming the exports.
    for crit_id in ("csat", "ticket_volume"):
        result = results[crit_id]
        assert result.status is Status.NO_DATA, crit_id
        assert (
            "the window is not over yet: it ends 2026-12-25 00:00 UTC" in result.detail
        )
        assert "evidence for after now (2026-12-04 23:00 UTC) does not exist yet" in (
            result.detail
        )
        assert "export it again" not in result.detail
        assert "max_data_age" not in result.detail
    assert "so far: PASS at 5 /5" in results["csat"].detail
    assert review.outcome == "FAIL"  # blocking criteria not judged yet
    lessons = " ".join(review.lesson_items())
    assert "Customer satisfaction above 4.0: not judged yet" in lessons
    assert "export it again" not in lessons


def test_a_stale_export_is_still_stale_in_an_interim_review(
    tmp_path: Path, frozen_now: pd.Timestamp
) -> None:
    # Go-live 2026-11-10, 28 days (to 2026-12-08, after now). The survey export
    # ends 2026-11-25 12:00: 9.5 days before now, more than max_data_age 7d.
    config = _interim_exports(
        tmp_path, tickets_to="2026-12-04 18:00", csat_to="2026-11-25 12:00"
    )
    review = build_post_launch(str(config), "2026-11-10T00:00:00Z", 28, "")
    assert review.is_interim()
    stale = stale_sources(replace(review.evidence, as_of=review.review_end))
    assert set(stale) == {"csat"}
    assert (
        "source 'csat' ends at 2026-11-25 12:00 UTC, 9.5 days before this run's clock"
        " (2026-12-04 23:00 UTC; the decision time 2026-12-08 00:00 UTC is later)"
        " (more than max_data_age 7d): export it again" in stale["csat"]
    )
    csat = _by_id(review.results)["csat"]
    assert csat.status is Status.NO_DATA
    assert "export it again" in csat.detail
    assert "the window is not over yet" in csat.detail  # and it is not over either
    lessons = " ".join(review.lesson_items())
    assert "Customer satisfaction above 4.0: not measured" in lessons
    assert "Set up the evidence" in lessons


def test_a_finished_review_judges_freshness_at_its_window_end(
    tmp_path: Path, frozen_now: pd.Timestamp
) -> None:
    # Go-live 2026-11-01, 28 days: the window ended 2026-11-29, before now.
    # Exports ending 2026-11-28 are fresh for it; the review is not interim and
    # every criterion is judged.
    config = _interim_exports(
        tmp_path, tickets_to="2026-11-28 18:00", csat_to="2026-11-28 12:00"
    )
    review = build_post_launch(str(config), "2026-11-01T00:00:00Z", 28, "")
    assert not review.is_interim()
    assert review.unfinished == set()
    results = _by_id(review.results)
    assert results["csat"].status is Status.PASS
    assert all("not over" not in r.detail for r in results.values())
    # A survey export ending 2026-11-25 12:00 is stale for a review that ended
    # 2026-12-04 00:00 (go-live 2026-11-06): its age counts to the window's end
    # (8.5 days), not to now (9.5 days).
    stale_dir = tmp_path / "stale"
    stale_dir.mkdir()
    config = _interim_exports(
        stale_dir, tickets_to="2026-12-03 18:00", csat_to="2026-11-25 12:00"
    )
    later = build_post_launch(str(config), "2026-11-06T00:00:00Z", 28, "")
    assert not later.is_interim()
    csat = _by_id(later.results)["csat"]
    assert csat.status is Status.NO_DATA
    assert (
        "source 'csat' ends at 2026-11-25 12:00 UTC, 8.5 days before 2026-12-04"
        " 00:00 UTC (more than max_data_age 7d): export it again" in csat.detail
    )


def test_go_no_go_freshness_is_judged_at_the_decision_time_as_before(
    tmp_path: Path, frozen_now: pd.Timestamp
) -> None:
    # A go/no-go decision time is never after the clock (beyond 15 minutes'
    # skew): freshness is measured at it, with the same reason as before.
    config = _interim_exports(
        tmp_path, tickets_to="2026-11-25 18:00", csat_to="2026-11-20 12:00"
    )
    as_of = pd.Timestamp("2026-11-29", tz="UTC")
    evidence = gather_evidence(load_config(config), as_of)
    assert evidence.read_at == frozen_now
    stale = stale_sources(evidence)
    assert set(stale) == {"csat"}
    assert stale["csat"] == (
        "source 'csat' ends at 2026-11-20 12:00 UTC, 8.5 days before"
        " 2026-11-29 00:00 UTC (more than max_data_age 7d): export it again, or raise"
        " max_data_age if the service was really that quiet"
    )
    results, _ = evaluate_criteria(evidence)
    on_csat = [r for r in results if "csat" in r.sources]
    assert on_csat and all(r.status is Status.NO_DATA for r in on_csat)
    assert all("not over" not in r.detail for r in results)
    # At a decision time a day earlier the same export is fresh.
    earlier = gather_evidence(load_config(config), as_of - pd.Timedelta(days=2))
    assert stale_sources(earlier) == {}
