"""ServiceNow exports holding stored codes instead of display values.

Small hand-written exports in the shapes ServiceNow writes with
``sysparm_display_value=false`` (REST) or ``incident.do?JSONv2`` / ``?XML``:
``"priority": "1"``, ``"incident_state": "7"`` or a task ``"state"``; and CSV
exports whose ``incident_state`` column holds the codes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.config import load_config
from analytics.errors import ConfigError
from analytics.evidence import gather_evidence, parse_as_of
from analytics.frames import LoadResult
from analytics.metrics.resolution import resolution_outcome
from analytics.sources.servicenow import (
    read_servicenow_csv,
    read_servicenow_json,
    read_servicenow_xml,
)


def write_json(tmp_path: Path, records: list[dict[str, object]], key: str) -> Path:
    path = tmp_path / "incident.json"
    path.write_text(json.dumps({key: records}), "utf-8")
    return path


def record(number: str, priority: object, state: object, **more: str) -> dict:
    return {
        "number": number,
        "priority": priority,
        "incident_state": state,
        "opened_at": "2026-03-02 09:00:00",
        "resolved_at": "",
        **more,
    }


def test_rest_codes_without_display_values_map(tmp_path: Path) -> None:
    path = write_json(
        tmp_path,
        [
            record("INC1", "1", "7", resolved_at="2026-03-02 10:00:00"),
            record("INC2", "2", "6", resolved_at="2026-03-02 12:30:00"),
            record("INC3", "3", "2"),
            record("INC4", "4", "1"),
        ],
        "result",
    )
    result = read_servicenow_json(path)
    frame = result.frame.set_index("ticket_id")
    assert frame["priority"].tolist() == ["P1", "P2", "P3", "P4"]
    assert frame["priority_original"].tolist() == ["1", "2", "3", "4"]
    assert frame["status"].tolist() == ["Closed", "Resolved", "In Progress", "New"]
    assert frame.loc["INC1", "resolved_at"] == pd.Timestamp("2026-03-02 10:00Z")
    assert result.rejected.empty
    result.check_accounting()


def test_display_value_objects_still_win_over_codes(tmp_path: Path) -> None:
    path = write_json(
        tmp_path,
        [
            record(
                "INC1",
                {"display_value": "1 - Critical", "value": "1"},
                {"display_value": "Closed", "value": "7"},
                resolved_at="2026-03-02 10:00:00",
            ),
            # sysparm_display_value=false with exclude_reference_link=false:
            # objects with only the stored value.
            record("INC2", {"value": "2"}, {"value": "3"}),
        ],
        "result",
    )
    frame = read_servicenow_json(path).frame.set_index("ticket_id")
    assert frame.loc["INC1", "priority_original"] == "1 - Critical"
    assert frame.loc["INC1", "status"] == "Closed"
    assert frame.loc["INC2", "priority"] == "P2"
    assert frame.loc["INC2", "status"] == "On Hold"


def test_task_state_field_is_used_without_incident_state(tmp_path: Path) -> None:
    records = [record("INC1", "1", "7", resolved_at="2026-03-02 10:00:00")]
    records[0]["state"] = records[0].pop("incident_state")
    frame = read_servicenow_json(write_json(tmp_path, records, "records")).frame
    assert frame["status"].tolist() == ["Closed"]


def test_task_state_is_used_record_by_record(tmp_path: Path) -> None:
    # Other records carry incident_state; INC2 has only a task state 6.
    records = [
        record("INC1", "1", "7", resolved_at="2026-03-02 10:00:00"),
        record("INC2", "2", "", resolved_at="2026-03-02 12:00:00"),
        record("INC3", "3", "2"),
    ]
    del records[1]["incident_state"]
    records[1]["state"] = "6"
    # A record with both keeps its incident_state.
    records[2]["state"] = "7"
    result = read_servicenow_json(write_json(tmp_path, records, "result"))
    frame = result.frame.set_index("ticket_id")
    assert frame["status"].to_dict() == {
        "INC1": "Closed",
        "INC2": "Resolved",
        "INC3": "In Progress",
    }
    assert result.rejected.empty


def test_xml_task_state_is_used_record_by_record(tmp_path: Path) -> None:
    path = tmp_path / "incident.xml"
    path.write_text(
        "<xml><incident><number>INC1</number><priority>1</priority>"
        "<incident_state>7</incident_state><opened_at>2026-03-02 09:00:00</opened_at>"
        "<resolved_at>2026-03-02 10:00:00</resolved_at></incident>"
        "<incident><number>INC2</number><priority>2</priority>"
        "<state>6</state><opened_at>2026-03-02 09:00:00</opened_at>"
        "<resolved_at>2026-03-02 11:00:00</resolved_at></incident></xml>",
        "utf-8",
    )
    frame = read_servicenow_xml(path).frame
    assert frame["status"].tolist() == ["Closed", "Resolved"]


def test_a_repeated_record_keeps_its_own_time(tmp_path: Path) -> None:
    # One row per ticket (event_log false): the repeat of INC1 is rejected with
    # its own opened_at as row_time (record 2), not an empty one.
    records = [
        record("INC1", "1", "7", resolved_at="2026-03-02 10:00:00"),
        record("INC1", "3", "6", opened_at="2026-03-04 10:00:00"),
        record("INC1", "3", "6", opened_at="not a date"),
    ]
    result = read_servicenow_json(
        write_json(tmp_path, records, "result"), event_log=False
    )
    rejected = result.rejected.set_index("row_number")
    assert rejected["reason_code"].tolist() == ["duplicate_row", "duplicate_row"]
    assert rejected.loc[2, "row_time"] == pd.Timestamp("2026-03-04 10:00", tz="UTC")
    assert pd.isna(rejected.loc[3, "row_time"])
    result.check_accounting()


def test_unknown_codes_are_rejected_naming_value_and_option(tmp_path: Path) -> None:
    path = write_json(
        tmp_path,
        [
            record("INC1", "1", "7", resolved_at="2026-03-02 10:00:00"),
            record("INC2", "2", "9"),
            record("INC3", "5", "2"),
        ],
        "result",
    )
    result = read_servicenow_json(path)
    assert result.frame["ticket_id"].tolist() == ["INC1"]
    rejected = result.rejected.set_index("row_number")
    assert rejected.loc[2, "reason_code"] == "unknown_state"
    assert rejected.loc[2, "column"] == "incident_state"
    assert rejected.loc[2, "value"] == "9"
    assert "incident_state '9'" in rejected.loc[2, "message"]
    assert "state_map: {'9': '<label>'}" in rejected.loc[2, "message"]
    assert rejected.loc[3, "reason_code"] == "unknown_priority"
    assert rejected.loc[3, "value"] == "5"
    assert "priority '5'" in rejected.loc[3, "message"]
    assert "priority_map: {'5': 'P1'..'P4'}" in rejected.loc[3, "message"]
    assert result.rows_in == result.rows_used + result.rows_rejected == 3


def test_state_map_labels_an_instance_code(tmp_path: Path) -> None:
    path = write_json(tmp_path, [record("INC2", "2", "9")], "result")
    result = read_servicenow_json(path, state_map={"9": "Awaiting Vendor"})
    assert result.frame["status"].tolist() == ["Awaiting Vendor"]
    with pytest.raises(ConfigError, match="keys must be numeric state codes"):
        read_servicenow_json(path, state_map={"Vendor": "Awaiting Vendor"})


def event_log(tmp_path: Path, states: list[str]) -> LoadResult:
    """INC1 updated at 09:00, 10:00, 12:00 and 13:00 with the given state codes."""
    times = ["09:00", "10:00", "12:00", "13:00"]
    records = [
        record(
            "INC1",
            "2",
            state,
            sys_updated_at=f"2026-03-02 {at}:00",
            sys_mod_count=str(count),
            resolved_at="2026-03-02 13:00:00" if state in ("6", "7") else "",
        )
        for count, (state, at) in enumerate(zip(states, times, strict=True))
    ]
    return read_servicenow_json(write_json(tmp_path, records, "records"))


def test_event_log_codes_give_on_hold_time_and_first_resolution(
    tmp_path: Path,
) -> None:
    # New → On Hold (10:00-12:00) → Resolved 12:00 → Closed 13:00.
    result = event_log(tmp_path, ["1", "3", "6", "7"])
    row = result.frame.iloc[0]
    assert row["on_hold_seconds"] == 7200.0
    assert row["first_resolved_at"] == pd.Timestamp("2026-03-02 12:00Z")
    assert row["status"] == "Closed"
    assert result.rows_used == 4


def test_unknown_code_in_one_update_rejects_every_row_of_the_ticket(
    tmp_path: Path,
) -> None:
    result = event_log(tmp_path, ["1", "42", "6", "7"])
    assert result.frame.empty
    assert result.rows_rejected == 4
    assert set(result.rejected["reason_code"]) == {"unknown_state"}
    result.check_accounting()


def test_xml_export_with_stored_codes(tmp_path: Path) -> None:
    path = tmp_path / "incident.xml"
    path.write_text(
        "<xml><incident><number>INC1</number><priority>1</priority>"
        "<incident_state>7</incident_state><opened_at>2026-03-02 09:00:00</opened_at>"
        "<resolved_at>2026-03-02 10:00:00</resolved_at></incident>"
        "<incident><number>INC2</number><priority>2</priority>"
        "<incident_state>99</incident_state><opened_at>2026-03-02 09:00:00"
        "</opened_at><resolved_at/></incident></xml>",
        "utf-8",
    )
    result = read_servicenow_xml(path)
    assert result.frame[["priority", "status"]].to_numpy().tolist() == [
        ["P1", "Closed"]
    ]
    assert result.rejected["reason_code"].tolist() == ["unknown_state"]
    assert "'99'" in result.rejected["message"].iloc[0]


def test_state_map_from_the_config_for_json_and_csv(tmp_path: Path) -> None:
    write_json(tmp_path, [record("INC2", "2", "9")], "result")
    (tmp_path / "incident.csv").write_text(
        "number,priority,incident_state,opened_at,resolved_at\n"
        "INC2,2,9,2026-03-02 09:00:00,\n",
        "utf-8",
    )
    config = tmp_path / "readiness.yaml"
    source = (
        "tickets:\n  - name: sn\n    path: {path}\n    format: {format}\n"
        "    options: {{state_map: {{'9': Awaiting Vendor}}}}\ncriteria: {{}}\n"
    )
    for path, format_ in (
        ("incident.json", "servicenow_json"),
        ("incident.csv", "servicenow_csv"),
    ):
        config.write_text(source.format(path=path, format=format_))
        evidence = gather_evidence(
            load_config(config), parse_as_of("2026-03-03T00:00Z")
        )
        assert evidence.tickets["sn"].frame["status"].tolist() == ["Awaiting Vendor"]


CODES_CSV = (
    "number,priority,incident_state,opened_at,resolved_at\n"
    "INC1,2,6,2026-03-20 10:00:00,2026-03-20 12:00:00\n"
    "INC2,2,7,2026-03-20 10:00:00,\n"
    "INC3,2,8,2026-03-20 10:00:00,\n"
    "INC4,2, 2 ,2026-03-20 10:00:00,\n"
    "INC5,2,99,2026-03-20 10:00:00,\n"
    "INC6,2,Canceled,2026-03-20 10:00:00,\n"
)


@pytest.mark.parametrize("padded", [False, True], ids=["polars", "pandas"])
def test_csv_state_codes_map_and_unknown_ones_are_rejected(
    tmp_path: Path, padded: bool
) -> None:
    # The tester's file: 8 (Canceled) and 7 (Closed) were kept as open states
    # and 99 was accepted silently. A padded header name takes the pandas path.
    text = CODES_CSV.replace("number,", " number,") if padded else CODES_CSV
    path = tmp_path / "incidents.csv"
    path.write_text(text, "utf-8")
    result = read_servicenow_csv(path)
    frame = result.frame.set_index("ticket_id")
    assert frame["status"].to_dict() == {
        "INC1": "Resolved",
        "INC2": "Closed",
        "INC3": "Canceled",
        "INC4": "In Progress",
        "INC6": "Canceled",
    }
    rejected = result.rejected.set_index("row_number")
    assert rejected["reason_code"].to_dict() == {6: "unknown_state"}
    assert rejected.loc[6, "column"] == "incident_state"
    assert rejected.loc[6, "value"] == "99"
    assert "state_map: {'99': '<label>'}" in rejected.loc[6, "message"]
    assert result.rows_in == result.rows_used + result.rows_rejected == 6

    mapped = read_servicenow_csv(path, state_map={"99": "Awaiting Vendor"})
    assert mapped.frame["status"].iloc[-2:].tolist() == ["Awaiting Vendor", "Canceled"]
    assert mapped.rejected.empty
    with pytest.raises(ConfigError, match="keys must be numeric state codes"):
        read_servicenow_csv(path, state_map={"Vendor": "Awaiting Vendor"})


def test_csv_event_log_codes_give_on_hold_time_and_first_resolution() -> None:
    path = Path(__file__).parent / "fixtures" / "servicenow" / "incident_codes.csv"
    result = read_servicenow_csv(path)
    frame = result.frame.set_index("ticket_id")
    assert frame["status"].to_dict() == {
        "INC0000201": "Closed",
        "INC0000202": "Canceled",
        "INC0000204": "Resolved",
    }
    assert frame.loc["INC0000201", "on_hold_seconds"] == 7200.0
    assert frame.loc["INC0000201", "first_resolved_at"] == pd.Timestamp(
        "2026-03-02 11:00Z"
    )
    assert result.rejected["reason_code"].tolist() == ["unknown_state"] * 2
    assert result.rejected["row_number"].tolist() == [8, 9]
    result.check_accounting()


def test_cancelled_csv_code_leaves_the_ticket_out_of_resolution(
    tmp_path: Path,
) -> None:
    # End to end, as in the tester's config: Canceled (8) is not a missed P2.
    (tmp_path / "sn.csv").write_text(CODES_CSV, "utf-8")
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "tickets:\n  - {name: sn, path: sn.csv, format: servicenow_csv}\ncriteria: {}\n"
    )
    evidence = gather_evidence(load_config(config), parse_as_of("2026-03-24T00:00Z"))
    frame = evidence.tickets["sn"].frame
    outcome = resolution_outcome(frame, as_of=pd.Timestamp("2026-03-24", tz="UTC"))
    assert dict(zip(frame["ticket_id"], outcome, strict=True)) == {
        "INC1": "resolved",
        "INC2": "unknown",
        "INC3": "cancelled",
        "INC4": "open",
        "INC6": "cancelled",
    }
    assert evidence.tickets["sn"].rejected["reason_code"].tolist() == ["unknown_state"]


@pytest.mark.parametrize("padded", [False, True], ids=["polars", "pandas"])
def test_a_stray_number_among_labels_is_kept_with_a_note(
    tmp_path: Path, padded: bool
) -> None:
    # A display-value export (labels, no known code) with the UCI log's -100:
    # not a stored code, so kept as written, as before; a note says so.
    header = " number" if padded else "number"
    path = tmp_path / "incidents.csv"
    path.write_text(
        f"{header},priority,incident_state,opened_at,resolved_at\n"
        "INC1,2 - High,New,2026-03-20 10:00:00,\n"
        "INC2,2 - High,-100,2026-03-20 10:00:00,\n"
        "INC3,2 - High,Closed,2026-03-20 10:00:00,2026-03-20 11:00:00\n",
        "utf-8",
    )
    result = read_servicenow_csv(path)
    assert result.frame["status"].tolist() == ["New", "-100", "Closed"]
    assert result.rejected.empty
    assert any("'-100'" in note and "kept as written" in note for note in result.notes)
