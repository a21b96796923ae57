"""Business-hours clocks in the first-response and resolution criteria and the report.

Hand-computed on Europe/Berlin working hours 09:00-17:00 Mon-Fri across the
2026 spring-forward weekend (Sunday 29 March, 02:00 CET → 03:00 CEST): Friday
27 March is UTC+1, Monday 30 March UTC+2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from analytics.business_hours import BusinessSchedule
from analytics.config import CriterionConfig, load_config
from analytics.errors import ConfigError
from analytics.evaluators_support import SUPPORT_EVALUATORS
from analytics.evidence import Evidence, gather_evidence, parse_as_of
from analytics.metrics.resolution import clock_definition, resolution_by_priority
from analytics.readiness import CriterionResult, Status
from analytics.report.go_no_go import build_go_no_go
from analytics.report.support_section import support_sla

AS_OF = "2026-03-30T08:00:00Z"  # Monday 10:00 CEST

# B1: opened Fri 16:00 CET, first response Mon 09:15 CEST, resolved Mon 09:30 CEST.
#     Business: 1 h Friday + 15 min = 75 min to respond, 1.5 h to resolve.
#     Wall: 64 h 15 min and 64 h 30 min.
# B2: opened Fri 16:30 CET, first response Fri 16:35 CET (5 min both clocks),
#     still open at AS_OF: 30 min Friday + 1 h Monday = 1.5 h on the business
#     clock (within the 2 h target: pending), 64.5 h on the wall clock (missed).
HELPDESK = """\
Ticket ID,Ticket Priority,Ticket Type,Created,First Response Time,Time to Resolution
B1,Critical,Incident,2026-03-27 15:00:00,2026-03-30 07:15:00,2026-03-30 07:30:00
B2,Critical,Incident,2026-03-27 15:30:00,2026-03-27 15:35:00,
"""

BERLIN = {"timezone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"}


def write(tmp_path: Path, *, business: bool) -> Path:
    """A help-desk export and a config with P1 first-response / resolution criteria."""
    (tmp_path / "helpdesk.csv").write_text(HELPDESK, "utf-8")
    hours = (
        "    business_hours: {timezone: Europe/Berlin, opens: '09:00', closes: '17:00',"
        " weekdays: [Mon, Tue, Wed, Thu, Fri]}\n"
        if business
        else ""
    )
    path = tmp_path / "readiness.yaml"
    path.write_text(
        "tickets:\n"
        "  - name: hd\n"
        "    path: helpdesk.csv\n"
        "    format: helpdesk_csv\n"
        "    column_map: {Created: created_at}\n"
        "criteria:\n"
        "  first_response:\n"
        "    lookback: 30d\n" + hours + "  resolution_p1:\n"
        "    lookback: 30d\n" + hours,
        "utf-8",
    )
    return path


def evaluate(path: Path, crit_id: str) -> CriterionResult:
    evidence: Evidence = gather_evidence(load_config(path), parse_as_of(AS_OF))
    config = evidence.config.criteria[crit_id]
    return SUPPORT_EVALUATORS[config.kind](crit_id, config, evidence)


def test_first_response_on_business_hours_across_weekend_and_dst(
    tmp_path: Path,
) -> None:
    result = evaluate(write(tmp_path, business=True), "first_response")
    # mean of 75 and 5 minutes
    assert result.value == pytest.approx(40.0)
    assert "business hours 09:00-17:00 Mon-Fri Europe/Berlin" in result.detail

    wall = evaluate(write(tmp_path, business=False), "first_response")
    assert wall.value == pytest.approx((64 * 60 + 15 + 5) / 2)
    assert "wall clock" in wall.detail


def test_resolution_within_target_on_business_hours(tmp_path: Path) -> None:
    result = evaluate(write(tmp_path, business=True), "resolution_p1")
    # B1 within 2 business hours; B2 still open at 1.5 business hours: pending.
    assert result.value == pytest.approx(100.0)
    assert result.evidence_count == 1
    assert "1 of 1 P1 tickets resolved within 2 h" in result.detail
    assert "1 still open within target not counted" in result.detail
    assert "business hours 09:00-17:00 Mon-Fri Europe/Berlin" in result.detail
    assert "on-hold time not excluded (the export gives totals only" in result.detail

    wall = evaluate(write(tmp_path, business=False), "resolution_p1")
    # B1 took 64.5 h; B2 is open past 2 h: both missed.
    assert wall.value == pytest.approx(0.0)
    assert wall.status is Status.FAIL
    assert "wall clock" in wall.detail


def test_report_names_the_clock_of_each_measure(tmp_path: Path) -> None:
    markup = support_sla(build_go_no_go(write(tmp_path, business=True), AS_OF)).markup
    assert "business hours 09:00-17:00 Mon-Fri Europe/Berlin" in markup
    assert "on-hold time not excluded (the export gives totals only)" in markup
    assert "<th>Clock</th>" in markup or "Clock" in markup
    assert "Wall clock: nights" not in markup

    wall = support_sla(build_go_no_go(write(tmp_path, business=False), AS_OF)).markup
    assert "Wall clock: nights" in wall
    assert "business hours" not in wall


def test_ticket_paused_over_a_weekend_with_holiday_resolution_clock() -> None:
    # Opened Fri 2026-03-06 16:00 UTC, paused 16:30 → Mon 10:00, resolved Mon
    # 11:00; Mon 9 March is a holiday, so Monday's hours do not count at all.
    # Working hours: Fri 16:00-17:00 = 1 h, minus the paused 16:30-17:00 = 0.5 h.
    t = pd.to_datetime(["2026-03-06 16:00", "2026-03-10 11:00"], utc=True)
    tickets = pd.DataFrame(
        {"ticket_id": ["T1"], "priority": ["P1"], "created_at": t[:1]}
    ).assign(resolved_at=t[1:])
    pauses = pd.DataFrame(
        {
            "ticket_id": ["T1"],
            "pause_start": pd.to_datetime(["2026-03-06 16:30"], utc=True),
            "pause_end": pd.to_datetime(["2026-03-09 10:00"], utc=True),
        }
    )
    schedule = BusinessSchedule(
        "UTC", holidays=frozenset({pd.Timestamp("2026-03-09").date()})
    )
    table = resolution_by_priority(tickets, schedule=schedule, pauses=pauses)
    p1 = table.set_index("priority").loc["P1"]
    # Tue 10 March 09:00-11:00 counts: 0.5 h + 2 h.
    assert float(p1["median_hours"]) == pytest.approx(2.5)
    assert int(p1["within_target"]) == 0
    without_pauses = resolution_by_priority(tickets, schedule=schedule)
    assert float(without_pauses.loc[0, "median_hours"]) == pytest.approx(3.0)
    assert "on-hold time excluded" in clock_definition(schedule, pauses_given=True)


def test_dst_change_inside_a_business_hours_interval() -> None:
    # Sunday working hours 00:00-12:00 in Berlin: on 29 March that window is
    # 11 real hours (02:00-03:00 does not exist). Opened 00:30 CET (Sat 23:30
    # UTC), resolved 11:30 CEST (09:30 UTC): 10 hours, not the 11 the local
    # clock faces differ by.
    schedule = BusinessSchedule("Europe/Berlin", "00:00", "12:00", frozenset({6}))
    tickets = pd.DataFrame(
        {
            "priority": ["P3"],
            "created_at": pd.to_datetime(["2026-03-28 23:30"], utc=True),
            "resolved_at": pd.to_datetime(["2026-03-29 09:30"], utc=True),
        }
    )
    table = resolution_by_priority(
        tickets, schedule=schedule, as_of=pd.Timestamp("2026-04-01", tz="UTC")
    )
    p3 = table.set_index("priority").loc["P3"]
    assert float(p3["median_hours"]) == pytest.approx(10.0)
    assert int(p3["within_target"]) == 1


def test_business_hours_config_is_checked() -> None:
    base = {"title": "t", "target": 15.0}
    with pytest.raises(ValidationError, match="applies to kinds first_response"):
        CriterionConfig.model_validate(
            {**base, "kind": "mttr", "business_hours": BERLIN}
        )
    with pytest.raises(ValidationError, match="weekdays has \\['Funday'\\]"):
        CriterionConfig.model_validate(
            {
                **base,
                "kind": "first_response",
                "business_hours": {**BERLIN, "weekdays": ["Mon", "Funday"]},
            }
        )
    with pytest.raises(ValidationError, match="not an IANA zone"):
        CriterionConfig.model_validate(
            {
                **base,
                "kind": "first_response",
                "business_hours": {"timezone": "Mars/Olympus"},
            }
        )
    config = CriterionConfig.model_validate(
        {
            **base,
            "kind": "first_response",
            "business_hours": {
                **BERLIN,
                "weekdays": ["monday"],
                "holidays": ["2026-04-06"],
            },
        }
    )
    assert config.business_hours is not None
    schedule = config.business_hours.schedule()
    assert schedule.weekdays == frozenset({0})
    assert len(schedule.holidays) == 1
    with pytest.raises(ConfigError):
        BusinessSchedule("UTC", "17:00", "09:00")


# --- a ServiceNow event log paused over a weekend ---------------------------------
#
# Europe/Berlin 09:00-17:00 Mon-Fri, March 2026 (UTC+1 throughout).
# S1: opened Fri 6 March 14:00, Awaiting User Info from Fri 16:00 until the
#     update of Mon 9 March 11:00, resolved Mon 13:00 (Berlin times).
#     Business hours to resolve: Fri 14-17 (3 h) + Mon 09-13 (4 h) = 7 h.
#     Paused in working hours: Fri 16-17 (1 h) + Mon 09-11 (2 h) = 3 h,
#     so 7 - 3 = 4 h with the pause excluded.
#     Wall clock on hold: Fri 16:00 → Mon 11:00 = 67 h.
# S2: opened Mon 10:00, resolved Mon 14:00, never paused: 4 h on both.
# With a 5 h P1 target: 2 of 2 within with the pause excluded, 1 of 2 without.
SN_AS_OF = "2026-03-10T00:00:00Z"
SN_LOG = """number,priority,incident_state,sys_mod_count,opened_at,sys_updated_at,resolved_at
S1,1 - Critical,New,0,2026-03-06 13:00,2026-03-06 13:00,
S1,1 - Critical,Active,1,2026-03-06 13:00,2026-03-06 13:30,
S1,1 - Critical,Awaiting User Info,2,2026-03-06 13:00,2026-03-06 15:00,
S1,1 - Critical,Active,3,2026-03-06 13:00,2026-03-09 10:00,
S1,1 - Critical,Resolved,4,2026-03-06 13:00,2026-03-09 12:00,2026-03-09 12:00
S2,1 - Critical,New,0,2026-03-09 09:00,2026-03-09 09:00,
S2,1 - Critical,Resolved,1,2026-03-09 09:00,2026-03-09 13:00,2026-03-09 13:00
"""


def write_servicenow(tmp_path: Path) -> Path:
    """The event log above, with a Berlin business-hours P1 criterion of 5 h."""
    (tmp_path / "incidents.csv").write_text(SN_LOG, "utf-8")
    path = tmp_path / "readiness.yaml"
    path.write_text(
        "tickets:\n"
        "  - name: sn\n"
        "    path: incidents.csv\n"
        "    format: servicenow_csv\n"
        "criteria:\n"
        "  resolution_p1:\n"
        "    lookback: 30d\n"
        "    target_hours: 5\n"
        "    business_hours: {timezone: Europe/Berlin, opens: '09:00',"
        " closes: '17:00', weekdays: [Mon, Tue, Wed, Thu, Fri]}\n",
        "utf-8",
    )
    return path


def servicenow_evidence(tmp_path: Path) -> Evidence:
    return gather_evidence(
        load_config(write_servicenow(tmp_path)), parse_as_of(SN_AS_OF)
    )


def test_servicenow_pause_over_a_weekend_is_taken_off_business_hours(
    tmp_path: Path,
) -> None:
    evidence = servicenow_evidence(tmp_path)
    load = evidence.tickets["sn"]
    assert load.pauses is not None
    assert load.pauses.to_numpy().tolist() == [
        [
            "S1",
            pd.Timestamp("2026-03-06 15:00", tz="UTC"),
            pd.Timestamp("2026-03-09 10:00", tz="UTC"),
        ]
    ]
    frame = load.frame.set_index("ticket_id")
    assert frame.loc["S1", "on_hold_seconds"] == 67 * 3600

    schedule = BusinessSchedule("Europe/Berlin")
    targets = {"P1": 5.0}
    paused = resolution_by_priority(
        load.frame, targets_hours=targets, schedule=schedule, pauses=load.pauses
    ).set_index("priority")
    kept = resolution_by_priority(
        load.frame, targets_hours=targets, schedule=schedule
    ).set_index("priority")
    # Hours to resolve: S1 4 h and S2 4 h with the pause off; 7 h and 4 h without.
    assert paused.loc["P1", "mean_hours"] == pytest.approx(4.0, abs=1e-9)
    assert paused.loc["P1", "within_target"] == 2
    assert kept.loc["P1", "mean_hours"] == pytest.approx(5.5, abs=1e-9)
    assert kept.loc["P1", "within_target"] == 1


def test_servicenow_pause_in_the_criterion_and_the_report(tmp_path: Path) -> None:
    result = evaluate_servicenow(servicenow_evidence(tmp_path))
    assert result.value == pytest.approx(100.0)
    assert "2 of 2 P1 tickets resolved within 5 h" in result.detail
    assert "on-hold time excluded" in result.detail

    markup = support_sla(build_go_no_go(write_servicenow(tmp_path), SN_AS_OF)).markup
    assert "on-hold time excluded" in markup
    assert "not excluded" not in markup


def test_servicenow_without_intervals_keeps_the_pause(tmp_path: Path) -> None:
    # Only the on_hold_seconds totals (as a plain export or another reader
    # gives): nothing is taken off the business clock, and the detail says so.
    evidence = servicenow_evidence(tmp_path)
    evidence.tickets["sn"].pauses = None
    result = evaluate_servicenow(evidence)
    assert result.value == pytest.approx(50.0)
    assert "1 of 2 P1 tickets resolved within 5 h" in result.detail
    assert "on-hold time not excluded (the export gives totals only" in result.detail


def evaluate_servicenow(evidence: Evidence) -> CriterionResult:
    config = evidence.config.criteria["resolution_p1"]
    return SUPPORT_EVALUATORS[config.kind]("resolution_p1", config, evidence)
