"""PagerDuty REST and analytics readers, with empty acknowledgements handled honestly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import InputError
from analytics.metrics.incidents import incident_times
from analytics.sources.pagerduty import read_pagerduty_analytics, read_pagerduty_json

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


URGENCY = {"high": "P1", "low": "P3"}  # PD2 has no priority, only an urgency


def test_empty_acknowledgements_are_unknown_not_unacknowledged() -> None:
    result = read_pagerduty_json(FIXTURES / "incidents.json", urgency_map=URGENCY)
    result.check_accounting()
    frame = result.frame.set_index("ticket_id")
    assert pd.isna(frame.loc["PD1", "acknowledged_at"])  # resolved, list emptied
    # Earliest of two acknowledgements given in different offsets.
    assert frame.loc["PD2", "acknowledged_at"] == _utc("2026-03-02 11:05")
    # Resolved without a resolved_at field: last status change of a resolved incident.
    assert frame.loc["PD1", "resolved_at"] == _utc("2026-03-02 10:45")
    assert pd.isna(frame.loc["PD2", "resolved_at"])
    assert any(
        "2 resolved incident(s) have no acknowledgement" in n for n in result.notes
    )
    assert frame["escalated"].isna().all()


def test_log_entries_give_acknowledgement_escalation_and_resolution() -> None:
    result = read_pagerduty_json(
        FIXTURES / "incidents.json", log_entries=FIXTURES / "log_entries.json"
    )
    frame = result.frame.set_index("ticket_id")
    pd1 = frame.loc["PD1"]
    assert pd1["acknowledged_at"] == _utc("2026-03-02 10:03")
    assert pd1["resolved_at"] == _utc("2026-03-02 10:40")
    assert bool(pd1["escalated"])
    assert pd1["reassignment_count"] == 1
    assert (pd1["assignment_group"], pd1["category"]) == ("SRE", "API")


def test_duplicates_and_bad_times_are_rejected() -> None:
    result = read_pagerduty_json(FIXTURES / "incidents.json", urgency_map=URGENCY)
    assert result.rejected[["row_number", "reason_code"]].to_numpy().tolist() == [
        [4, "duplicate_id"],
        [5, "unparseable_date"],
    ]
    assert (result.rows_in, result.rows_used) == (5, 3)


def test_mtta_hand_computed_with_urgency_map() -> None:
    tickets = read_pagerduty_json(
        FIXTURES / "incidents.json",
        log_entries=FIXTURES / "log_entries.json",
        urgency_map={"high": "P1", "low": "P3"},
    ).frame
    table = incident_times(tickets, measures=["mtta"]).set_index("priority")
    # P1: PD1 acknowledged after 3 min, PD2 (urgency high) after 5 min.
    assert table.loc["P1", "count"] == 2
    assert table.loc["P1", "mean_seconds"] == 240
    # P3: PD3 resolved with no acknowledgement record: NO DATA, not zero.
    assert table.loc["P3", "count"] == 0
    assert table.loc["P3", "status"] == "NO DATA"
    assert table.loc["P3", "missing"] == 1


@pytest.mark.parametrize("name", ["raw_incidents.json", "raw_incidents.csv"])
def test_analytics_export(name: str) -> None:
    result = read_pagerduty_analytics(FIXTURES / name)
    result.check_accounting()
    frame = result.frame.set_index("ticket_id")
    assert frame.loc["Q1", "acknowledged_at"] == _utc("2026-03-02 10:02")
    assert frame.loc["Q1", "resolved_at"] == _utc("2026-03-02 10:30")
    assert bool(frame.loc["Q1", "escalated"])
    assert frame.loc["Q1", "reassignment_count"] == 1
    assert pd.isna(frame.loc["Q2", "acknowledged_at"])
    assert not bool(frame.loc["Q2", "escalated"])
    assert result.rejected["reason_code"].tolist() == ["negative_duration"]
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (3, 2, 1)


def test_not_json_is_one_input_error(write) -> None:  # type: ignore[no-untyped-def]
    path = write("incidents.json", "id,created_at\n")
    with pytest.raises(InputError, match="not JSON"):
        read_pagerduty_json(path)


def test_no_incidents_is_an_input_error(write) -> None:  # type: ignore[no-untyped-def]
    path = write("incidents.json", '{"incidents": []}')
    with pytest.raises(InputError, match="no incidents"):
        read_pagerduty_json(path)


def test_column_map_for_renamed_analytics_fields(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "raw.csv",
        "incident_id,created_at,ack_s,sev\nZ1,2026-03-02T10:00:00Z,60,P1\n",
    )
    result = read_pagerduty_analytics(
        path,
        column_map={
            "incident_id": "id",
            "ack_s": "seconds_to_first_ack",
            "sev": "priority_name",
        },
    )
    assert result.frame.loc[0, "acknowledged_at"] == _utc("2026-03-02 10:01")


def test_an_incident_without_priority_or_urgency_map_is_rejected() -> None:
    result = read_pagerduty_json(FIXTURES / "incidents.json")
    result.check_accounting()
    assert "PD2" not in set(result.frame["ticket_id"])
    rejected = result.rejected.set_index("row_number")
    assert rejected.loc[2, "reason_code"] == "missing_value"
    assert rejected.loc[2, "column"] == "priority.summary"
    assert "set urgency_map" in rejected.loc[2, "message"]
    assert (result.rows_in, result.rows_used) == (5, 2)


def test_analytics_urgency_not_in_the_map_is_rejected_with_the_value(write) -> None:  # type: ignore[no-untyped-def]
    # The user attack: PD3 had no priority and urgency 'low' with urgency_map
    # {High: P1}; it was kept as NA and counted in no criterion.
    path = write(
        "pd.csv",
        "id,created_at,priority_name,urgency,seconds_to_first_ack,seconds_to_resolve\n"
        "PD1,2026-02-20T10:00:00Z,P1,high,60,600\n"
        "PD2,2026-02-21T10:00:00Z,,high,60,86400\n"
        "PD3,2026-02-22T10:00:00Z,,low,60,864000\n"
        "PD4,2026-02-23T10:00:00Z,,,60,600\n",
    )
    result = read_pagerduty_analytics(path, urgency_map={"High": "P1"})
    result.check_accounting()
    frame = result.frame.set_index("ticket_id")
    assert frame["priority"].to_dict() == {"PD1": "P1", "PD2": "P1"}
    assert frame.loc["PD2", "priority_original"] == "urgency: high"
    rejected = result.rejected.set_index("row_number")
    assert rejected.loc[4, ["column", "value", "reason_code"]].tolist() == [
        "urgency",
        "low",
        "unknown_priority",
    ]
    assert "urgency 'low' is not in urgency_map" in rejected.loc[4, "message"]
    assert rejected.loc[5, ["column", "reason_code"]].tolist() == [
        "priority_name",
        "missing_value",
    ]
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (4, 2, 2)


def test_log_entries_after_the_decision_time_are_not_counted() -> None:
    # Decided at 10:05: PD1 had been escalated (10:02) but not yet reassigned (10:10).
    result = read_pagerduty_json(
        FIXTURES / "incidents.json",
        log_entries=FIXTURES / "log_entries.json",
        known_at=_utc("2026-03-02 10:05"),
    )
    result.check_accounting()
    pd1 = result.frame.set_index("ticket_id").loc["PD1"]
    assert bool(pd1["escalated"]) and pd1["reassignment_count"] == 0
    # Times after the decision stay: the evaluators treat them as not yet happened.
    assert pd1["acknowledged_at"] == _utc("2026-03-02 10:03")
    assert pd1["resolved_at"] == _utc("2026-03-02 10:40")
    assert any(
        "log entries dated after the decision time (2026-03-02 10:05 UTC)" in n
        for n in result.notes
    )


def test_analytics_export_refuses_fractional_counts_and_self_contradiction(
    tmp_path: Path,
) -> None:
    path = tmp_path / "raw.csv"
    path.write_text(
        "id,created_at,resolved_at,priority_name,seconds_to_first_ack,"
        "seconds_to_resolve,escalation_count\n"
        "Q1,2026-03-02T10:00:00Z,2026-03-02T11:00:00Z,P2,120,3600,1\n"
        "Q2,2026-03-02T10:00:00Z,2026-03-02T11:00:00Z,P2,120,99999999,1\n"
        "Q3,2026-03-02T10:00:00Z,,P2,120,3600,1.5\n"
    )
    result = read_pagerduty_analytics(path)
    assert (result.rows_in, result.rows_used) == (3, 1)
    rejected = result.rejected.set_index("row_number")
    assert rejected.loc[3, "reason_code"] == "inconsistent_value"
    assert rejected.loc[4, ["column", "value", "reason_code"]].tolist() == [
        "escalation_count",
        "1.5",
        "unparseable_number",
    ]
