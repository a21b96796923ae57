"""Support and operations evaluators on small hand-computed exports and the demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from analytics.business_hours import BusinessSchedule
from analytics.config import CriterionConfig, load_config
from analytics.errors import ConfigError
from analytics.evaluate import EVALUATORS
from analytics.evaluators_support import (
    SUPPORT_EVALUATORS,
    clock_text,
    ticket_pauses,
    tickets_in_window,
)
from analytics.evidence import Evidence, gather_evidence, parse_as_of
from analytics.frames import LoadResult, empty_rejected
from analytics.readiness import CriterionResult, Status

AS_OF = "2026-03-10T00:00:00Z"

HELPDESK = """\
Ticket ID,Ticket Priority,Ticket Type,Created,First Response Time,Time to Resolution,Customer Satisfaction Rating
T1,Critical,Incident,2026-03-02 10:00:00,2026-03-02 10:05:00,2026-03-02 11:00:00,5
T2,High,<script>alert(1)</script>,2026-03-03 09:00:00,2026-03-03 09:20:00,2026-03-03 19:00:00,4
T3,Medium,Billing,2026-03-04 12:00:00,2026-03-04 12:10:00,2026-03-05 10:00:00,2
T4,Low,Billing,2026-03-05 08:00:00,2026-03-05 08:45:00,,
T5,Low,Billing,2026-01-01 09:00:00,2026-01-01 09:01:00,2026-01-01 10:00:00,1
T6,Critical,Incident,2026-03-09 23:00:00,2026-03-10 00:30:00,,
"""

PAGERDUTY = """\
id,created_at,priority_name,urgency,status,seconds_to_first_ack,seconds_to_resolve,escalation_count,assignment_count,team_name,service_name
Q1,2026-03-02T10:00:00Z,P1,high,resolved,120,1800,1,2,<script>alert(2)</script>,API
Q2,2026-03-03T10:00:00Z,P2,high,resolved,60,600,0,1,SRE,API
Q3,2026-03-04T10:00:00Z,P1,high,resolved,600,900,0,1,SRE,API
Q4,2026-03-05T10:00:00Z,P2,high,resolved,180,900,0,1,SRE,API
"""

SURVEY = """\
response_id,answered_at,kind,score,ticket_id,segment
S1,2026-03-02 12:00,csat,5,T1,<b>vip</b>
S2,2026-03-03 12:00,csat,5,T2,smb
S3,2026-03-04 12:00,csat,4,T3,smb
S4,2026-03-05 12:00,csat,3,T4,smb
S5,2026-01-15 12:00,csat,1,T5,smb
N1,2026-03-02 12:00,nps,10,,smb
N2,2026-03-03 12:00,nps,9,,smb
N3,2026-03-04 12:00,nps,7,,smb
N4,2026-03-05 12:00,nps,3,,smb
"""

CRITERIA = """\
criteria:
  mttd: {lookback: 30d}
  incident_response: {lookback: 30d, source: pd}
  first_response: {lookback: 30d, source: hd}
  csat: {lookback: 30d}
  escalation_rate: {lookback: 30d}
"""


def write_config(tmp_path: Path, *, pd_source: bool, survey: bool) -> Path:
    """Write the fixture exports and a readiness config naming them."""
    (tmp_path / "helpdesk.csv").write_text(HELPDESK, "utf-8")
    (tmp_path / "pd.csv").write_text(PAGERDUTY, "utf-8")
    (tmp_path / "survey.csv").write_text(SURVEY, "utf-8")
    lines = [
        "tickets:",
        "  - name: hd",
        "    path: helpdesk.csv",
        "    format: helpdesk_csv",
        "    column_map: {Created: created_at}",
    ]
    if pd_source:
        lines += ["  - name: pd", "    path: pd.csv", "    format: pagerduty_analytics"]
    if survey:
        lines += ["surveys:", "  - name: answers", "    path: survey.csv"]
    criteria = CRITERIA if pd_source else CRITERIA.replace(", source: pd", "")
    path = tmp_path / "readiness.yaml"
    path.write_text("\n".join(lines) + "\n" + criteria, "utf-8")
    return path


def evidence_for(path: Path) -> Evidence:
    """Gather the evidence of a config at AS_OF."""
    return gather_evidence(load_config(path), parse_as_of(AS_OF))


def run(evidence: Evidence, crit_id: str, **override: object) -> CriterionResult:
    """Evaluate one criterion of the evidence's config, with field overrides."""
    config = evidence.config.criteria[crit_id]
    if override:
        config = CriterionConfig.model_validate(
            {**config.model_dump(exclude_unset=True), **override}
        )
    return SUPPORT_EVALUATORS[config.kind](crit_id, config, evidence)


@pytest.fixture
def both(tmp_path: Path) -> Evidence:
    """Help-desk and PagerDuty tickets plus a survey."""
    return evidence_for(write_config(tmp_path, pd_source=True, survey=True))


@pytest.fixture
def helpdesk_only(tmp_path: Path) -> Evidence:
    """Help-desk tickets only, no survey."""
    return evidence_for(write_config(tmp_path, pd_source=False, survey=False))


def test_kinds_cover_the_launch_plan() -> None:
    assert set(SUPPORT_EVALUATORS) == {
        "mttd",
        "incident_response",
        "first_response",
        "csat",
        "escalation_rate",
        "resolution_within_target",
    }


def test_first_response_mean_wall_clock(both: Evidence) -> None:
    # In window: 5, 20, 10, 45 min; T6's response came after as_of, so at as_of
    # it had waited 60 min unanswered: past the target whatever came next, it
    # counts with its wait so far.
    result = run(both, "first_response")
    # 28 min would be WARN (over 15, not over 30), but T6's final time can push
    # the mean anywhere: a mean resting on a ticket still waiting proves nothing.
    assert result.status is Status.NO_DATA
    assert "a mean of 28 min passes only while 1 ticket(s) still unanswered" in (
        result.detail
    )
    assert result.evidence_count == 5
    assert result.sources == ("hd",)
    assert "mean of created_at → first_response_at, wall clock" in result.detail
    assert "n=5" in result.detail
    assert "2 of 5 at or under 15 min" in result.detail
    assert "p90 54.0 min" in result.detail
    assert "1 still unanswered past the target at 2026-03-10 00:00 UTC" in result.detail
    assert result.window_start == pd.Timestamp("2026-02-08", tz="UTC")


def test_first_response_median_statistic_and_bad_params(both: Evidence) -> None:
    result = run(both, "first_response", params={"statistic": "median"})
    assert result.value == pytest.approx(20.0)  # 5, 10, 20, 45 and T6's 60 so far
    assert result.status is Status.WARN
    with pytest.raises(ConfigError, match="statistic"):
        run(both, "first_response", params={"statistic": "max"})
    # An unknown key is refused when the criterion is built (the config is loaded) ...
    with pytest.raises(ValidationError, match=r"unknown key\(s\) \['clock'\]"):
        run(both, "first_response", params={"clock": "business"})
    # ... and by the evaluator's own check, which reads the same registry.
    config = both.config.criteria["first_response"]
    unchecked = config.model_copy(update={"params": {"clock": "business"}})
    with pytest.raises(ConfigError, match=r"first_response\.params: unknown key"):
        SUPPORT_EVALUATORS["first_response"]("first_response", unchecked, both)


def test_min_events_gives_no_data(both: Evidence) -> None:
    result = run(both, "first_response", min_events=6)
    assert result.status is Status.NO_DATA
    assert "only 5 of 5 tickets" in result.detail
    assert "need 6 (min_events)" in result.detail


def test_incident_response_from_pagerduty_acknowledgements(both: Evidence) -> None:
    # 2, 1, 10 and 3 minutes to acknowledge: mean 4 min < 5.
    result = run(both, "incident_response")
    assert result.status is Status.PASS
    assert result.value == pytest.approx(4.0)
    assert result.evidence_count == 4
    assert "earliest of acknowledged_at and first_response_at" in result.detail


def test_incident_response_priorities_only_when_set(both: Evidence) -> None:
    result = run(both, "incident_response", priorities=["P1"])
    assert result.value == pytest.approx(6.0)  # Q1 2 min, Q3 10 min
    assert "P1 tickets" in result.detail


def test_mttd_no_data_names_the_missing_impact_start(both: Evidence) -> None:
    result = run(both, "mttd")
    assert result.status is Status.NO_DATA
    assert result.value is None
    assert "impact_started_at" in result.detail
    assert "PagerDuty analytics export" in result.detail
    assert "help-desk CSV table" in result.detail
    assert "never inferred" in result.detail


def test_mttd_measured_when_impact_start_is_filled(both: Evidence) -> None:
    t0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")
    minute = pd.Timedelta(minutes=1)
    frame = pd.DataFrame(
        {
            "ticket_id": ["A", "B", "C"],
            "priority": ["P1", "P2", "P1"],
            "created_at": [t0 + 10 * minute, t0 + 20 * minute, t0 + 1000 * minute],
            "impact_started_at": [t0, t0 + 5 * minute, t0],
            "detected_at": [t0 + 6 * minute, t0 + 17 * minute, t0 + 20000 * minute],
        }
    )
    evidence = Evidence(
        config=both.config,
        as_of=both.as_of,
        tickets={"pm": LoadResult(frame, empty_rejected(), "pm.csv", "tickets", 3, 3)},
    )
    result = run(evidence, "mttd", source=None)
    # C was detected after as_of: not known yet, so only 6 and 12 minutes count.
    assert result.status is Status.PASS
    assert result.value == pytest.approx(9.0)
    assert result.evidence_count == 2
    assert "impact_started_at → detected_at" in result.detail
    assert "1 ticket(s) without the needed timestamps" in result.detail


def test_csat_from_survey_answers_in_window(both: Evidence) -> None:
    # 5, 5, 4, 3 in the window (the January 1 is outside): mean 4.25.
    result = run(both, "csat")
    assert result.status is Status.WARN
    assert result.value == pytest.approx(4.25)
    assert result.evidence_count == 4
    assert "n=4" in result.detail
    assert "share of 4–5: 75.0%" in result.detail
    assert "Student t" in result.detail and "Wilson" in result.detail
    assert result.sources == ("answers",)


def test_csat_from_ticket_ratings_without_survey(helpdesk_only: Evidence) -> None:
    # T1 5, T2 4, T3 2 (T4 and T6 unrated): mean 11/3 < 4.0 alert.
    result = run(helpdesk_only, "csat")
    assert result.status is Status.FAIL
    assert result.value == pytest.approx(11 / 3)
    assert "no survey source configured" in result.detail
    assert "share of 4–5: 66.7%" in result.detail


def test_escalation_rate_from_pagerduty(both: Evidence) -> None:
    result = run(both, "escalation_rate", source="pd")
    assert result.status is Status.FAIL  # 25 % > 20 % alert
    assert result.value == pytest.approx(25.0)
    assert "1 of 4 tickets" in result.detail


def test_escalation_rate_mixed_sources_leave_unknown_out(both: Evidence) -> None:
    result = run(both, "escalation_rate")
    assert result.value == pytest.approx(25.0)
    assert "5 ticket(s) with unknown escalation left out" in result.detail


def test_escalation_unknown_is_no_data(helpdesk_only: Evidence) -> None:
    result = run(helpdesk_only, "escalation_rate")
    assert result.status is Status.NO_DATA
    assert "escalated is empty in every ticket" in result.detail
    assert "help-desk CSV table" in result.detail


def test_no_ticket_source_and_empty_window(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("criteria: {}\n", "utf-8")
    evidence = evidence_for(path)
    for crit_id in ("mttd", "first_response", "escalation_rate", "csat"):
        result = run(evidence, crit_id)
        assert result.status is Status.NO_DATA
        assert "no ticket source configured" in result.detail
    later = evidence_for(write_config(tmp_path, pd_source=False, survey=False))
    later.as_of = parse_as_of("2027-01-01")
    result = run(later, "first_response")
    assert result.status is Status.NO_DATA
    assert "no tickets (all priorities) opened in the evidence window" in result.detail
    assert "has tickets opened 2026-01-01 to 2026-03-09" in result.detail


def test_tickets_in_window_masks_later_timestamps(both: Evidence) -> None:
    start, end = both.as_of - pd.Timedelta(days=30), both.as_of
    frame = tickets_in_window(both, ["hd"], start, end)
    assert sorted(frame["ticket_id"]) == ["T1", "T2", "T3", "T4", "T6"]
    t6 = frame.set_index("ticket_id").loc["T6"]
    assert pd.isna(t6["first_response_at"])


def test_demo_servicenow_mttd_is_no_data_with_reason(demo_dir: Path) -> None:
    evidence = gather_evidence(
        load_config(demo_dir / "readiness.yaml"), parse_as_of("2016-06-30")
    )
    result = run(evidence, "mttd")
    assert result.status is Status.NO_DATA
    assert "ServiceNow CSV export" in result.detail
    assert "does not record when impact started" in result.detail
    for crit_id in ("incident_response", "first_response", "csat", "escalation_rate"):
        other = run(evidence, crit_id)
        assert other.status is Status.NO_DATA
        assert "ServiceNow CSV export" in other.detail


def test_clock_text_says_which_sources_have_on_hold_time_excluded(
    helpdesk_only: Evidence,
) -> None:
    berlin = BusinessSchedule("Europe/Berlin")
    t = pd.to_datetime(["2026-03-02 10:00", "2026-03-02 11:00"], utc=True)
    held = pd.DataFrame(
        {"ticket_id": ["A", "B"], "created_at": t, "on_hold_seconds": [60.0, 0.0]}
    )
    helpdesk_only.tickets["sn"] = LoadResult(
        held, empty_rejected(), "sn.csv", "tickets", 2, 2
    )
    helpdesk_only.tickets["totals"] = LoadResult(
        held, empty_rejected(), "totals.csv", "tickets", 2, 2
    )
    names = ["sn", "totals"]
    assert ticket_pauses(helpdesk_only, names) is None
    assert "on-hold time not excluded (the export gives totals only" in clock_text(
        berlin, helpdesk_only, names
    )
    assert clock_text(None, helpdesk_only, names) == "wall clock, on-hold time included"

    helpdesk_only.tickets["sn"].pauses = pd.DataFrame(
        {"ticket_id": ["A"], "pause_start": t[:1], "pause_end": t[1:]}
    )
    pauses = ticket_pauses(helpdesk_only, names)
    assert pauses is not None and len(pauses) == 1
    text = clock_text(berlin, helpdesk_only, names)
    assert "on-hold time excluded (paused intervals) for sn" in text
    assert "on-hold time not excluded for totals (the export gives totals only)" in text
    assert "not excluded" not in clock_text(berlin, helpdesk_only, ["sn"])


# --- cancelled tickets and tickets that ended without a resolution time -----------

# The tester's plain export: INC005 was cancelled; INC002 (Closed, no dates)
# and INC003 (Closed, closed_at 10 h after opening, no resolved_at) ended at an
# unknown resolution time.
SN_RES = """\
number,priority,incident_state,opened_at,resolved_at,closed_at
INC001,1 - Critical,Resolved,20/2/2026 10:00,20/2/2026 11:00,
INC002,1 - Critical,Closed,21/2/2026 10:00,,
INC003,2 - High,Closed,22/2/2026 10:00,,22/2/2026 20:00
INC004,2 - High,Resolved,23/2/2026 10:00,23/2/2026 10:30,
INC005,1 - Critical,Canceled,24/2/2026 10:00,,
INC006,2 - High,Resolved,28/2/2026 10:00,28/2/2026 10:30,
"""


def sn_res_evidence(tmp_path: Path, limit: float) -> Evidence:
    (tmp_path / "sn_res.csv").write_text(SN_RES, "utf-8")
    path = tmp_path / "sn_res.yaml"
    path.write_text(
        f"max_rejected_ratio: {limit}\ntickets:\n"
        "  - {name: incidents, path: sn_res.csv, format: servicenow_csv,"
        " date_order: dayfirst}\ncriteria: {}\n",
        "utf-8",
    )
    return gather_evidence(load_config(path), parse_as_of("2026-03-02T08:00:00Z"))


def test_unknown_resolution_times_beyond_the_limit_are_no_data(tmp_path: Path) -> None:
    evidence = sn_res_evidence(tmp_path, 0.1)
    p1 = run(evidence, "resolution_p1")
    assert p1.status is Status.NO_DATA
    # INC005 is not a miss; INC002 is 1 of the 2 decided P1 tickets: 50 % > 10 %.
    assert "1 of 2 decided P1 tickets (50%) ended without a resolution time" in (
        p1.detail
    )
    assert "(INC002)" in p1.detail
    assert "1 cancelled ticket(s) left out (INC005)" in p1.detail
    assert "50.0 % (1 of 2 P1 tickets resolved within 2 h)" in p1.detail
    p2 = run(evidence, "resolution_p2")
    assert p2.status is Status.NO_DATA
    assert "1 of 3 decided P2 tickets (33%)" in p2.detail and "(INC003)" in p2.detail

    mttr = EVALUATORS["mttr"]("mttr", evidence.config.criteria["mttr"], evidence)
    assert mttr.status is Status.NO_DATA
    # The 3 measured: INC001 60 min, INC004 and INC006 30 min.
    assert "2 of 5 ended P1/P2 tickets (40%)" in mttr.detail
    assert "the 3 measured ones give a mean of 40 min" in mttr.detail
    assert "2 ended without resolved_at, time unknown (INC002, INC003)" in mttr.detail
    assert "1 cancelled (INC005)" in mttr.detail


def test_within_the_limit_unknown_times_count_as_missed(tmp_path: Path) -> None:
    evidence = sn_res_evidence(tmp_path, 0.5)
    p1 = run(evidence, "resolution_p1")
    # 1 within target of 2 decided (INC002 missed): 50 %, below the 90 % alert.
    assert (p1.status, p1.value, p1.evidence_count) == (Status.FAIL, 50.0, 2)
    assert "1 of 2 P1 tickets resolved within 2 h" in p1.detail
    assert "1 ended without a resolution time (INC002)" in p1.detail
    assert "1 cancelled ticket(s) left out (INC005)" in p1.detail
    p2 = run(evidence, "resolution_p2")
    assert p2.value == pytest.approx(200 / 3)
    assert "0 cancelled left out" in p2.detail

    mttr = EVALUATORS["mttr"]("mttr", evidence.config.criteria["mttr"], evidence)
    # Both MTTR and the SLAs leave INC003 unmeasured: its time is unknown.
    assert (mttr.status, mttr.value, mttr.evidence_count) == (Status.FAIL, 40.0, 3)
    assert "over 3 resolved P1/P2 tickets" in mttr.detail
    assert (
        "left out: 2 ended without resolved_at, time unknown (INC002, INC003);"
        " 1 cancelled (INC005)"
    ) in mttr.detail


def _response_evidence(
    tmp_path: Path, rows: list[tuple[str, str, str | None, str | None, str]]
) -> Evidence:
    """Help-desk-like tickets (id, created, first response, resolved, status) at AS_OF."""

    def times(values: list[str | None]) -> pd.Series:
        return pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[us, UTC]")

    frame = pd.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "priority": "P2",
            "created_at": times([r[1] for r in rows]),
            "first_response_at": times([r[2] for r in rows]),
            "resolved_at": times([r[3] for r in rows]),
            "status": [r[4] for r in rows],
        }
    )
    path = tmp_path / "c.yaml"
    path.write_text("criteria:\n  first_response: {lookback: 30d}\n", "utf-8")
    evidence = Evidence(load_config(path), as_of=parse_as_of(AS_OF))
    evidence.tickets["hd"] = LoadResult(
        frame, empty_rejected(), "hd.csv", "tickets", len(frame), len(frame)
    )
    return evidence


def test_first_response_counts_tickets_still_waiting_past_the_target(
    tmp_path: Path,
) -> None:
    # Found by review: unanswered tickets were left out, so one quick reply among
    # nine tickets waiting for hours gave a PASS on a 15-minute target.
    waiting = [(f"W{i}", "2026-03-09 09:00", None, None, "Open") for i in range(9)]
    evidence = _response_evidence(
        tmp_path,
        [("Q", "2026-03-09 09:00", "2026-03-09 09:05", None, "Open"), *waiting],
    )
    result = run(evidence, "first_response")
    assert result.status is Status.FAIL
    assert result.evidence_count == 10
    # Nine waited 15 h by the decision time (a lower bound), one 5 min.
    assert result.value == pytest.approx((9 * 15 * 60 + 5) / 10)
    assert "9 still unanswered past the target" in result.detail


def test_first_response_pending_unknown_and_cancelled_tickets(tmp_path: Path) -> None:
    evidence = _response_evidence(
        tmp_path,
        [
            ("A", "2026-03-08 09:00", "2026-03-08 09:05", None, "Open"),
            ("B", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("C", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("D", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("E", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("F", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("G", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("H", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("I", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("J", "2026-03-08 09:00", "2026-03-08 09:10", None, "Open"),
            ("P", "2026-03-09 23:55", None, None, "Open"),  # 5 min old: pending
            ("R", "2026-03-08 09:00", None, "2026-03-08 12:00", "Resolved"),
            ("X", "2026-03-08 09:00", None, None, "Canceled"),
        ],
    )
    result = run(evidence, "first_response")
    assert result.status is Status.PASS
    assert result.evidence_count == 10
    assert "1 unanswered but within the target: not yet counted" in result.detail
    assert "1 ended without a response time: unknown, not counted" in result.detail
    assert "1 cancelled before a response: left out" in result.detail
    assert "without the needed timestamps" not in result.detail

    # Two resolved without a response among ten answered: 2 of 12 is over 10 %.
    more = _response_evidence(
        tmp_path,
        [
            *[(f"A{i}", "2026-03-08 09:00", "2026-03-08 09:05", None, "Open")
              for i in range(10)],
            ("R1", "2026-03-08 09:00", None, "2026-03-08 12:00", "Resolved"),
            ("R2", "2026-03-08 09:00", None, "2026-03-08 12:00", "Resolved"),
        ]
    )  # fmt: skip
    result = run(more, "first_response")
    assert result.status is Status.NO_DATA
    assert "2 of 12 tickets (17%) ended without a first response time" in result.detail


def test_mttr_counts_incidents_still_open_past_the_target(tmp_path: Path) -> None:
    # One P1 restored in 10 minutes and two still open for 14 h at the decision
    # time: leaving the open ones out gave a 10-minute MTTR and a PASS.
    evidence = _response_evidence(
        tmp_path,
        [
            ("A", "2026-03-09 10:00", None, "2026-03-09 10:10", "Resolved"),
            ("B", "2026-03-09 10:00", None, None, "In Progress"),
            ("C", "2026-03-09 10:00", None, None, "In Progress"),
            ("D", "2026-03-09 23:50", None, None, "New"),  # 10 min old: pending
        ],
    )
    config = CriterionConfig(title="MTTR", kind="mttr", unit="min", op="<", target=30)
    result = EVALUATORS["mttr"]("mttr", config, evidence)
    assert result.status is Status.FAIL
    assert result.evidence_count == 3
    assert result.value == pytest.approx((10 + 2 * 14 * 60) / 3)
    assert "2 still open past the target at the decision time (B, C)" in result.detail
    assert "1 not resolved by the decision time and still within the target (D)" in (
        result.detail
    )


def test_late_tickets_never_bring_the_figure_below_the_answered_ones(
    tmp_path: Path,
) -> None:
    # Resolved in 5 h; one open for 40 min (past 30): its age so far would pull
    # the mean down to 2.8 h, though its final time can only be longer.
    evidence = _response_evidence(
        tmp_path,
        [
            ("A", "2026-03-09 18:00", None, "2026-03-09 23:00", "Resolved"),
            ("B", "2026-03-09 23:20", None, None, "In Progress"),
        ],
    )
    config = CriterionConfig(
        title="MTTR", kind="mttr", unit="min", op="<", target=30, alert=200
    )
    result = EVALUATORS["mttr"]("mttr", config, evidence)
    assert result.value == pytest.approx(300.0)
    assert result.status is Status.FAIL


def test_csat_is_not_judged_by_a_damaged_nps_source(tmp_path: Path) -> None:
    # Found by a fresh-user test: with no `source:` set, CSAT counted the NPS
    # file's rejected rows in its window and turned NO DATA, naming the NPS file.
    from analytics.evaluate import evaluate_criteria

    csat = ["response_id,answered_at,kind,score"] + [
        f"C{i},2026-03-0{1 + i % 8} 12:00,csat,5" for i in range(12)
    ]
    nps = ["response_id,answered_at,kind,score"] + [
        f"N{i},2026-03-0{1 + i % 8} 12:00,nps,{'x' if i % 3 == 0 else 9}"
        for i in range(12)
    ]
    (tmp_path / "csat.csv").write_text("\n".join(csat) + "\n", "utf-8")
    (tmp_path / "nps.csv").write_text("\n".join(nps) + "\n", "utf-8")
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "surveys:\n  - {name: csat, path: csat.csv}\n  - {name: nps, path: nps.csv}\n"
        "criteria:\n  csat: {lookback: 30d}\n",
        "utf-8",
    )
    results, _ = evaluate_criteria(evidence_for(config))
    csat_result = next(r for r in results if r.criterion.criterion_id == "csat")
    assert csat_result.sources == ("csat",)
    assert csat_result.status is Status.PASS, csat_result.detail


def test_a_passing_mttr_that_rests_on_an_open_incident_is_no_data(
    tmp_path: Path,
) -> None:
    # Found by a fresh-user test: twenty incidents restored in 1 minute and one
    # open for 31 minutes gave MTTR PASS, though that one may run for days.
    rows = [
        (f"A{i}", "2026-03-09 22:00", None, "2026-03-09 22:01", "Resolved")
        for i in range(20)
    ]
    evidence = _response_evidence(
        tmp_path, [*rows, ("OPEN", "2026-03-09 23:29", None, None, "In Progress")]
    )
    config = CriterionConfig(title="MTTR", kind="mttr", unit="min", op="<", target=30)
    result = EVALUATORS["mttr"]("mttr", config, evidence)
    assert result.status is Status.NO_DATA
    assert "still open (not resolved) past the target" in result.detail
    assert "judge once they are resolved" in result.detail
    assert result.evidence_count == 21


def test_a_ticket_resolved_later_with_no_response_time_is_unknown_not_waiting(
    tmp_path: Path,
) -> None:
    # Found by a fresh-user test: a PagerDuty incident resolved after the
    # decision time, its acknowledgements empty (as the API leaves them), was
    # counted as "still unanswered past the target".
    answered = [
        (f"A{i}", "2026-03-09 22:00", "2026-03-09 22:05", None, "Open")
        for i in range(10)
    ]
    evidence = _response_evidence(
        tmp_path,
        [*answered, ("Q2", "2026-03-09 23:00", None, "2026-03-10 02:00", "Resolved")],
    )
    result = run(evidence, "first_response")
    assert result.status is Status.PASS
    assert result.evidence_count == 10
    assert "1 ended without a response time: unknown, not counted" in result.detail
    assert "still unanswered past the target" not in result.detail
