"""ServiceNow incident CSV/JSON/XML readers: collapse rule, rejections, bad input, real log."""

from __future__ import annotations

import doctest
import gzip
import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analytics.evidence as evidence
import analytics.sources.servicenow as servicenow
from analytics.config import TicketFormat
from analytics.errors import ConfigError, InputError
from analytics.frames import REJECTED_COLUMNS, ROW_TIME, TICKETS_COLUMNS, LoadResult
from analytics.sources.servicenow import (
    read_servicenow_csv,
    read_servicenow_json,
    read_servicenow_xml,
)

FIXTURES = Path(__file__).parent / "fixtures" / "servicenow"
EVENT_LOG = FIXTURES / "incident_event_log.csv"
RENAMED = FIXTURES / "incidents_renamed.csv"
ROOT = Path(__file__).resolve().parents[1]
REAL_LOG_CANDIDATES = (
    ROOT / "data" / "demo" / "servicenow" / "incident_event_log.csv.gz",
)
RENAMED_MAP = {
    "Number": "number",
    "Priority": "priority",
    "State": "incident_state",
    "Opened": "opened_at",
    "Resolved": "resolved_at",
    "Closed": "closed_at",
}
HEADER = "number,priority,incident_state,opened_at,resolved_at\n"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture(scope="module")
def log() -> LoadResult:
    return read_servicenow_csv(EVENT_LOG)


def assert_pauses_sum_to_on_hold(frame: pd.DataFrame, pauses: pd.DataFrame) -> None:
    """Per ticket, the paused intervals add up to ``on_hold_seconds``."""
    assert (pauses["pause_end"] > pauses["pause_start"]).all()
    lengths = (pauses["pause_end"] - pauses["pause_start"]).dt.total_seconds()
    summed = lengths.groupby(pauses["ticket_id"].to_numpy()).sum()
    assert set(summed.index) <= set(frame["ticket_id"])
    expected = frame.set_index("ticket_id")["on_hold_seconds"].astype("float64")
    got = summed.reindex(expected.index, fill_value=0.0)
    pd.testing.assert_series_equal(
        got, expected, check_names=False, check_index_type=False, rtol=1e-12
    )


def ticket(result: LoadResult, ticket_id: str) -> pd.Series:
    rows = result.frame.loc[result.frame["ticket_id"] == ticket_id]
    assert len(rows) == 1, f"{ticket_id} not exactly once in the frame"
    return rows.iloc[0]


# --- the event-log fixture, hand-checked ---


def test_frame_has_exactly_the_canonical_columns_and_kept_tickets(
    log: LoadResult,
) -> None:
    assert tuple(log.frame.columns) == TICKETS_COLUMNS
    assert log.kind == "tickets"
    assert log.frame["ticket_id"].tolist() == [
        "INC0000001",
        "INC0000002",
        "INC0000003",
        "INC0000006",
        "INC0000007",
    ]
    assert set(log.frame["source"]) == {"servicenow"}
    assert len(log.sha256) == 64


def test_times_are_tz_aware_utc_and_day_first(log: LoadResult) -> None:
    for name in TICKETS_COLUMNS:
        if name.endswith("_at"):
            assert str(log.frame[name].dt.tz) == "UTC", name
    # 13/3/2016 can only be 13 March: the file is day first.
    assert ticket(log, "INC0000003")["created_at"] == utc("2016-03-13 09:00")
    assert ticket(log, "INC0000001")["closed_at"] == utc("2016-03-05 12:00")


def test_priorities_are_mapped_and_the_original_kept(log: LoadResult) -> None:
    assert log.frame["priority"].tolist() == ["P1", "P2", "P3", "P4", "P4"]
    assert log.frame["priority_original"].tolist() == [
        "1 - Critical",
        "2 - High",
        "3 - Moderate",
        "4 - Low",
        "4 - Low",
    ]


def test_last_row_by_sys_mod_count_gives_the_attributes(log: LoadResult) -> None:
    # INC0000002's row with sys_mod_count 2 sits before sys_mod_count 1 in the file.
    reopened = ticket(log, "INC0000002")
    assert reopened["status"] == "Closed"
    assert reopened["reopen_count"] == 1
    assert reopened["closed_at"] == utc("2016-03-07 09:00")
    first = ticket(log, "INC0000001")
    assert first["reassignment_count"] == 1
    assert first["assignment_group"] == "Group 2"


def test_reopened_ticket_keeps_first_and_final_resolution_apart(
    log: LoadResult,
) -> None:
    reopened = ticket(log, "INC0000002")
    assert reopened["first_resolved_at"] == utc("2016-03-01 10:00")
    assert reopened["resolved_at"] == utc("2016-03-02 08:00")
    plain = ticket(log, "INC0000001")
    assert plain["first_resolved_at"] == plain["resolved_at"] == utc("2016-02-29 02:46")


def test_unresolved_ticket_has_no_resolution(log: LoadResult) -> None:
    open_ticket = ticket(log, "INC0000007")
    assert pd.isna(open_ticket["resolved_at"])
    assert pd.isna(open_ticket["first_resolved_at"])
    assert open_ticket["status"] == "Active"


def test_on_hold_seconds_sums_awaiting_intervals(log: LoadResult) -> None:
    # Awaiting User Info 10:00 → 14:00, Awaiting Vendor 15:00 → 16:00 → 18:00: 7 h.
    assert ticket(log, "INC0000003")["on_hold_seconds"] == 7 * 3600
    assert ticket(log, "INC0000001")["on_hold_seconds"] == 0


def test_pauses_are_the_on_hold_intervals(log: LoadResult) -> None:
    # The spans that sum to on_hold_seconds, as exact intervals.
    assert log.pauses is not None
    assert log.pauses.to_numpy().tolist() == [
        ["INC0000003", utc("2016-03-13 10:00"), utc("2016-03-13 14:00")],
        ["INC0000003", utc("2016-03-13 15:00"), utc("2016-03-13 16:00")],
        ["INC0000003", utc("2016-03-13 16:00"), utc("2016-03-13 18:00")],
    ]
    assert str(log.pauses["pause_start"].dtype) == "datetime64[us, UTC]"
    assert_pauses_sum_to_on_hold(log.frame, log.pauses)


def test_plain_export_has_no_pause_intervals() -> None:
    assert read_servicenow_csv(EVENT_LOG, event_log=False).pauses is None


def test_pauses_leave_out_rejected_tickets_and_empty_spans(tmp_path: Path) -> None:
    # INC2 is rejected (bad priority); INC1's second hold is closed by an
    # update stamped earlier (counts zero) and its last hold is still open.
    path = tmp_path / "log.csv"
    path.write_text(
        "number,priority,incident_state,opened_at,resolved_at,sys_mod_count,"
        "sys_updated_at\n"
        "INC1,1 - Critical,On Hold,2016-03-01 10:00,,0,2016-03-01 10:00\n"
        "INC1,1 - Critical,Active,2016-03-01 10:00,,1,2016-03-01 11:00\n"
        "INC1,1 - Critical,On Hold,2016-03-01 10:00,,2,2016-03-01 12:00\n"
        "INC1,1 - Critical,On Hold,2016-03-01 10:00,,3,2016-03-01 11:30\n"
        "INC2,9 - Odd,On Hold,2016-03-01 10:00,,0,2016-03-01 10:00\n"
        "INC2,9 - Odd,Active,2016-03-01 10:00,,1,2016-03-01 11:00\n",
        encoding="utf-8",
    )
    result = read_servicenow_csv(path)
    assert result.pauses is not None
    assert result.pauses.to_numpy().tolist() == [
        ["INC1", utc("2016-03-01 10:00"), utc("2016-03-01 11:00")]
    ]
    assert ticket(result, "INC1")["on_hold_seconds"] == 3600
    assert_pauses_sum_to_on_hold(result.frame, result.pauses)


def test_fields_not_in_the_export_stay_empty(log: LoadResult) -> None:
    for name in (
        "first_response_at",
        "acknowledged_at",
        "detected_at",
        "impact_started_at",
        "escalated",
        "csat_score",
    ):
        assert log.frame[name].isna().all(), name


def test_rejections_carry_every_row_of_a_rejected_ticket(log: LoadResult) -> None:
    rejected = log.rejected
    # The canonical columns, then the rows' own (opened) time.
    assert tuple(rejected.columns) == (*REJECTED_COLUMNS, ROW_TIME)
    by_row = dict(zip(rejected["row_number"], rejected["reason_code"], strict=True))
    assert by_row == {
        16: "unknown_priority",
        17: "unknown_priority",
        18: "resolved_before_opened",
        19: "resolved_before_opened",
        22: "duplicate_row",
        25: "unparseable_date",
        26: "unparseable_date",
        27: "missing_value",
    }
    unparseable = rejected.loc[rejected["reason_code"] == "unparseable_date"]
    assert set(unparseable["column"]) == {"opened_at"}
    assert set(unparseable["value"]) == {"31/2/2016 10:00"}


def test_unknown_priority_message_lists_labels_and_the_fix(log: LoadResult) -> None:
    row = log.rejected.loc[log.rejected["reason_code"] == "unknown_priority"].iloc[0]
    assert row["value"] == "5 - Planning"
    assert "'1 - Critical'" in row["message"]
    assert "'4 - Low'" in row["message"]
    assert "priority_map" in row["message"]


def test_accounting_adds_up(log: LoadResult) -> None:
    assert log.rows_in == 26
    assert log.rows_used == 18
    assert log.rows_rejected == 8
    log.check_accounting()


def test_notes_state_the_rules(log: LoadResult) -> None:
    text = " ".join(log.notes)
    assert "sys_mod_count, then sys_updated_at, then file order" in text
    assert "UTC" in text
    assert "8 rows rejected" in text


def test_one_info_line_per_file(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="analytics.sources.servicenow"):
        read_servicenow_csv(EVENT_LOG)
    lines = [r.getMessage() for r in caplog.records if r.name == servicenow.__name__]
    assert len(lines) == 1
    assert "incident_event_log.csv" in lines[0]
    assert "26 rows, 5 tickets, 8 rows rejected" in lines[0]


def test_doctests_run() -> None:
    failures, tried = doctest.testmod(servicenow)
    assert tried > 0
    assert failures == 0


# --- options ---


def test_priority_map_adds_a_label() -> None:
    result = read_servicenow_csv(EVENT_LOG, priority_map={"5 - planning": "P4"})
    assert ticket(result, "INC0000004")["priority"] == "P4"
    assert ticket(result, "INC0000004")["priority_original"] == "5 - Planning"
    result.check_accounting()


def test_priority_map_rejects_a_non_canonical_value() -> None:
    with pytest.raises(ConfigError, match="P1, P2, P3, P4"):
        read_servicenow_csv(EVENT_LOG, priority_map={"5 - Planning": "P5"})


def test_column_map_reads_a_renamed_plain_export() -> None:
    result = read_servicenow_csv(RENAMED, column_map=RENAMED_MAP)
    frame = result.frame
    assert frame["ticket_id"].tolist() == ["INC1001", "INC1002", "INC1003"]
    assert frame["priority"].tolist() == ["P1", "P2", "P3"]
    assert frame["created_at"].iloc[0] == utc("2016-03-02 09:00")
    assert frame["resolved_at"].iloc[1] == utc("2016-03-15 20:00")
    # A plain export: first resolution is the resolution; no log, so no on-hold time.
    assert frame["first_resolved_at"].equals(frame["resolved_at"])
    assert frame["on_hold_seconds"].isna().all()
    assert frame["reassignment_count"].isna().all()
    assert "first_resolved_at = resolved_at" in " ".join(result.notes)


def test_column_map_naming_an_absent_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"'Nummer'.*not in the file"):
        read_servicenow_csv(RENAMED, column_map={"Nummer": "number"})


def test_timezone_localises_naive_times() -> None:
    result = read_servicenow_csv(
        RENAMED, column_map=RENAMED_MAP, timezone="Europe/Berlin"
    )
    # 2 March 2016 09:00 in Berlin (winter, UTC+1) is 08:00 UTC.
    assert result.frame["created_at"].iloc[0] == utc("2016-03-02 08:00")


def test_nonexistent_local_time_rejects_the_ticket(tmp_path: Path) -> None:
    path = tmp_path / "dst.csv"
    path.write_text(
        HEADER
        + "INC1,2 - High,Resolved,27/3/2016 02:30,27/3/2016 05:00\n"
        + "INC2,2 - High,Resolved,26/3/2016 02:30,26/3/2016 05:00\n",
        encoding="utf-8",
    )
    result = read_servicenow_csv(path, timezone="Europe/Berlin")
    assert result.frame["ticket_id"].tolist() == ["INC2"]
    assert result.rejected["reason_code"].tolist() == ["nonexistent_local_time"]
    assert result.rejected["row_number"].tolist() == [2]
    result.check_accounting()


def test_event_log_false_rejects_repeated_numbers() -> None:
    result = read_servicenow_csv(EVENT_LOG, event_log=False)
    duplicates = result.rejected.loc[result.rejected["reason_code"] == "duplicate_row"]
    # Every row after a ticket's first in file order, plus the exact copy on line 22.
    assert sorted(duplicates["row_number"]) == [
        *(3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15, 17, 19, 21, 22, 24, 26)
    ]
    assert ticket(result, "INC0000001")["status"] == "New"
    result.check_accounting()


def test_gzip_is_read_by_content(tmp_path: Path) -> None:
    packed = tmp_path / "export.csv"  # gzip content without a .gz suffix
    packed.write_bytes(gzip.compress(EVENT_LOG.read_bytes()))
    result = read_servicenow_csv(packed)
    expected = read_servicenow_csv(EVENT_LOG)
    pd.testing.assert_frame_equal(result.frame, expected.frame)


def test_a_file_where_every_ticket_is_rejected_gives_an_empty_frame(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "INC1,9 - Whatever,Active,1/3/2016 10:00,?\n"
        + "INC2,1 - Critical,Resolved,13/3/2016 10:00,12/3/2016 10:00\n",
        encoding="utf-8",
    )
    result = read_servicenow_csv(path)
    assert result.frame.empty
    assert tuple(result.frame.columns) == TICKETS_COLUMNS
    assert result.rows_rejected == 2
    result.check_accounting()


@settings(max_examples=25, deadline=None)
@given(st.permutations(EVENT_LOG.read_text("utf-8").splitlines()[1:]))
def test_result_does_not_depend_on_row_order(lines: list[str]) -> None:
    header = EVENT_LOG.read_text("utf-8").splitlines()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shuffled.csv"
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
        result = read_servicenow_csv(path)
    expected = read_servicenow_csv(EVENT_LOG)
    pd.testing.assert_frame_equal(result.frame, expected.frame)
    assert result.rows_rejected == expected.rows_rejected


# --- bad input ---


def test_missing_column_names_file_column_columns_present_and_fix(
    tmp_path: Path,
) -> None:
    path = tmp_path / "no_opened.csv"
    path.write_text(
        "number,priority,incident_state,resolved_at\nINC1,1,New,?\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        read_servicenow_csv(path)
    message = str(caught.value)
    assert "no_opened.csv" in message
    assert "opened_at" in message
    assert "number, priority, incident_state, resolved_at" in message
    assert "column_map" in message


def test_event_log_without_sys_updated_at_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        HEADER + "INC1,1,New,1/3/2016 10:00,?\nINC1,1,Active,1/3/2016 10:00,?\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"sys_updated_at \(event log\)"):
        read_servicenow_csv(path)


def test_a_date_column_with_no_readable_date_is_an_input_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(
        HEADER
        + "INC1,1,Resolved,2016-03-01 10:00,yesterday\n"
        + "INC2,1,Resolved,2016-03-02 10:00,last week\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_servicenow_csv(path)
    message = str(caught.value)
    assert "dates.csv" in message
    assert "resolved_at" in message
    assert "date_order" in message


def test_ambiguous_dates_ask_for_date_order(tmp_path: Path) -> None:
    path = tmp_path / "ambiguous.csv"
    path.write_text(HEADER + "INC1,1,Resolved,1/3/2016 10:00,2/3/2016 10:00\n", "utf-8")
    with pytest.raises(InputError, match=r"ambiguous.*date_order"):
        read_servicenow_csv(path)
    result = read_servicenow_csv(path, date_order="monthfirst")
    assert result.frame["created_at"].iloc[0] == utc("2016-01-03 10:00")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (HEADER.encode(), "no data rows"),
        (b'{"number": "INC1", "priority": "1"}\n', "looks like JSON"),
        (b'[{"number": "INC1"}]', "looks like JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (HEADER.encode() + "INC1,1,Résolu,1/3/2016,?\n".encode("latin-1"), "not UTF-8"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "header-only",
        "json-object",
        "json-array",
        "png",
        "latin1",
    ],
)
def test_unusable_files_raise_one_clear_input_error(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "incidents.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_servicenow_csv(path)
    message = str(caught.value)
    assert str(path) in message
    assert problem in message
    assert "Fix:" in message


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_servicenow_csv(tmp_path / "nowhere.csv")


# --- the real public event log ---


@pytest.fixture(scope="module")
def real_log() -> LoadResult:
    for path in REAL_LOG_CANDIDATES:
        if path.exists():
            return read_servicenow_csv(path)
    pytest.fail(f"the bundled ServiceNow event log is missing: {REAL_LOG_CANDIDATES}")


@pytest.mark.slow
def test_real_log_collapses_to_one_row_per_incident(real_log: LoadResult) -> None:
    assert real_log.rows_in == 141_712
    assert len(real_log.frame) == 24_918
    assert real_log.rows_used + real_log.rows_rejected == real_log.rows_in
    assert real_log.rows_rejected == 0
    counts = real_log.frame["priority"].value_counts().to_dict()
    assert counts == {"P1": 270, "P2": 408, "P3": 23_466, "P4": 774}
    assert int((real_log.frame["reopen_count"] > 0).sum()) == 275
    assert real_log.frame["created_at"].min() == utc("2016-02-29 01:16")


@pytest.mark.slow
def test_real_log_first_and_final_resolution(real_log: LoadResult) -> None:
    frame = real_log.frame
    both = frame["resolved_at"].notna()
    assert (
        frame.loc[both, "first_resolved_at"] <= frame.loc[both, "resolved_at"]
    ).all()
    assert int((frame["first_resolved_at"] < frame["resolved_at"]).sum()) == 558
    assert int((frame["on_hold_seconds"] > 0).sum()) == 5_818


@pytest.mark.slow
def test_real_log_pauses_sum_to_on_hold_seconds(real_log: LoadResult) -> None:
    assert real_log.pauses is not None
    assert real_log.pauses["ticket_id"].nunique() == 5_818
    assert_pauses_sum_to_on_hold(real_log.frame, real_log.pauses)


def test_missing_opened_at_or_priority_rejects_as_missing_value(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(
        HEADER
        + "INC1,1,New,?,?\nINC2,,New,1/3/2016 10:00,?\nINC3,2,New,13/3/2016 10:00,?\n",
        encoding="utf-8",
    )
    result = read_servicenow_csv(path)
    assert result.frame["ticket_id"].tolist() == ["INC3"]
    rejected = result.rejected[["row_number", "column", "reason_code"]]
    assert rejected.to_numpy().tolist() == [
        [2, "opened_at", "missing_value"],
        [3, "priority", "missing_value"],
    ]
    result.check_accounting()


# --- JSON and XML exports: the same tickets as the equivalent CSV ---

EXPORT_CSV = FIXTURES / "incident_export.csv"
EXPORTS = {
    "json-records": (read_servicenow_json, FIXTURES / "incident_export.json"),
    "json-rest": (read_servicenow_json, FIXTURES / "incident_export_rest.json"),
    "xml": (read_servicenow_xml, FIXTURES / "incident_export.xml"),
}


@pytest.fixture(scope="module")
def export_csv() -> LoadResult:
    return read_servicenow_csv(EXPORT_CSV)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_json_and_xml_give_the_same_tickets_as_the_csv(
    name: str, export_csv: LoadResult
) -> None:
    reader, path = EXPORTS[name]
    result = reader(path)
    pd.testing.assert_frame_equal(result.frame, export_csv.frame)
    assert (result.rows_in, result.rows_used) == (8, 7)
    assert (export_csv.rows_in, export_csv.rows_used) == (8, 7)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_json_and_xml_rejections_number_records_from_one(
    name: str, export_csv: LoadResult
) -> None:
    reader, path = EXPORTS[name]
    rejected = reader(path).rejected
    expected = export_csv.rejected.assign(
        source_file=str(path), row_number=export_csv.rejected["row_number"] - 1
    )
    pd.testing.assert_frame_equal(rejected, expected)
    assert rejected[["row_number", "reason_code"]].to_numpy().tolist() == [
        [7, "unknown_priority"]
    ]


def test_json_export_hand_checked(export_csv: LoadResult) -> None:
    result = read_servicenow_json(FIXTURES / "incident_export.json")
    critical = ticket(result, "INC0000101")
    # The reference object's display_value, not its code or sys_id.
    assert critical["priority"] == "P1"
    assert critical["priority_original"] == "1 - Critical"
    assert critical["assignment_group"] == "Network"
    assert critical["resolved_at"] == utc("2026-03-02 09:30")
    reopened = ticket(result, "INC0000102")
    assert reopened["first_resolved_at"] == utc("2026-03-02 12:00")
    assert reopened["resolved_at"] == utc("2026-03-03 10:00")
    assert reopened["reopen_count"] == 1
    assert pd.isna(ticket(result, "INC0000104")["assignment_group"])
    assert any("ServiceNow JSON exports hold stored UTC" in n for n in result.notes)


def test_json_options_are_those_of_the_csv_reader(tmp_path: Path) -> None:
    records = [
        {
            "Number": "INC9",
            "Prio": {"display_value": "5 - Planning", "value": "5"},
            "incident_state": "Active",
            "opened_at": "2026-03-02 08:00:00",
            "resolved_at": None,
        }
    ]
    path = tmp_path / "incident.json"
    path.write_text(json.dumps({"result": records}))
    result = read_servicenow_json(
        path,
        column_map={"Number": "number", "Prio": "priority"},
        priority_map={"5 - Planning": "P4"},
        timezone="Europe/Berlin",
        event_log=False,
    )
    row = ticket(result, "INC9")
    assert row["priority"] == "P4"
    assert row["created_at"] == utc("2026-03-02 07:00")


XML_HEAD = "<xml><incident><number>INC1</number><priority>1</priority>"
XML_TAIL = (
    "<incident_state>New</incident_state><opened_at>2026-03-02 08:00:00</opened_at>"
    "<resolved_at/></incident></xml>"
)


@pytest.mark.parametrize(
    ("reader", "content", "problem"),
    [
        (read_servicenow_json, b"number,priority\n", "is not JSON"),
        (read_servicenow_json, b"", "is empty"),
        (read_servicenow_json, b'{"records": []}', "holds no records"),
        (read_servicenow_json, b'{"result": {"number": "INC1"}}', "not a list"),
        (read_servicenow_json, b'[{"number": "INC1"}]', "not a ServiceNow export"),
        (read_servicenow_json, b'{"rows": []}', "not a ServiceNow export"),
        (read_servicenow_json, b'{"records": ["INC1"]}', "record 1 is a JSON str"),
        (
            read_servicenow_json,
            b'{"records": [{"number": {"link": "x"}}]}',
            "object without 'value'",
        ),
        (
            read_servicenow_json,
            b'{"error": {"message": "User Not Authenticated"}, "status": "failure"}',
            "User Not Authenticated",
        ),
        (read_servicenow_json, b"\xff\xfe{\x00", "not"),
        (read_servicenow_xml, b'{"records": []}', "not well-formed XML"),
        (read_servicenow_xml, b"<xml></xml>", "no <incident> records"),
        (read_servicenow_xml, b"<records><incident/></records>", "root element"),
        (read_servicenow_xml, b"<xml><problem/></xml>", "<problem>"),
        (
            read_servicenow_xml,
            b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "INC1">]>'
            + XML_HEAD.replace("INC1", "&a;").encode()
            + XML_TAIL.encode(),
            "<!DOCTYPE xml>",
        ),
    ],
    ids=[
        "json-csv",
        "json-empty",
        "json-no-records",
        "json-single-record",
        "json-bare-list",
        "json-other-object",
        "json-record-not-object",
        "json-reference-without-value",
        "json-error-response",
        "json-utf16-garbage",
        "xml-json",
        "xml-no-incidents",
        "xml-other-root",
        "xml-other-table",
        "xml-doctype",
    ],
)
def test_unusable_json_and_xml_raise_one_clear_input_error(
    tmp_path: Path, reader: Callable[..., LoadResult], content: bytes, problem: str
) -> None:
    path = tmp_path / "incident.export"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        reader(path)
    message = str(caught.value)
    assert str(path) in message
    assert problem in message
    assert "Fix:" in message


def test_xml_reads_gzip_and_the_doctest_shape(tmp_path: Path) -> None:
    path = tmp_path / "incident.xml.gz"
    path.write_bytes(gzip.compress((XML_HEAD + XML_TAIL).encode()))
    result = read_servicenow_xml(path)
    assert result.frame["priority"].tolist() == ["P1"]
    assert result.frame["status"].tolist() == ["New"]


def test_new_formats_are_registered() -> None:
    assert evidence._TICKET_READERS["servicenow_json"] is read_servicenow_json
    assert evidence._TICKET_READERS["servicenow_xml"] is read_servicenow_xml
    assert {"servicenow_json", "servicenow_xml"} <= set(get_args(TicketFormat))


DOWNGRADED_LATER = (
    "number,priority,incident_state,opened_at,resolved_at,sys_updated_at,sys_mod_count\n"
    "INC1,1 - Critical,New,2026-02-20 10:00:00,,2026-02-20 10:00:00,0\n"
    "INC1,1 - Critical,Resolved,2026-02-20 10:00:00,2026-02-20 11:00:00,2026-02-20 11:00:00,1\n"
    "INC2,1 - Critical,New,2026-02-20 10:00:00,,2026-02-20 10:00:00,0\n"
    "INC2,1 - Critical,Active,2026-02-20 10:00:00,,2026-02-21 10:00:00,1\n"
    "INC2,4 - Low,Active,2026-02-20 10:00:00,,2026-03-04 10:00:00,2\n"
    "INC2,4 - Low,Resolved,2026-02-20 10:00:00,2026-03-05 10:00:00,2026-03-05 10:00:00,3\n"
    "INC3,3 - Moderate,New,2026-03-03 09:00:00,,2026-03-03 09:00:00,0\n"
)


@pytest.mark.parametrize("fast", [True, False])
def test_an_event_log_is_cut_at_the_decision_time(tmp_path: Path, fast: bool) -> None:
    # INC2 was an open P1 at the decision time and was downgraded only later;
    # INC3 was opened after it. Cut at 2026-03-02, INC2 is still an open P1.
    path = tmp_path / "log.csv"
    path.write_text(DOWNGRADED_LATER, encoding="utf-8")
    known_at = pd.Timestamp("2026-03-02T00:00Z")
    options = {
        "timezone": "UTC",
        "date_order": "auto",
        "event_log": None,
        "priority_map": None,
        "column_map": None,
        "known_at": known_at,
    }
    if fast:
        result = read_servicenow_csv(
            path, **{k: v for k, v in options.items() if v is not None}
        )
    else:
        result = servicenow._read_export(path, servicenow._CSV, **options)
    frame = result.frame.set_index("ticket_id")
    assert list(frame.index) == ["INC1", "INC2"]
    assert frame.loc["INC2", "priority"] == "P1"
    assert frame.loc["INC2", "status"] == "Active"
    assert pd.isna(frame.loc["INC2", "resolved_at"])
    later = result.rejected[result.rejected["reason_code"] == "after_decision_time"]
    assert sorted(later["row_number"]) == [6, 7, 8]
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (7, 4, 3)


def test_a_utf16_export_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text("number,priority\nINC1,1 - Critical\n", encoding="utf-16")
    with pytest.raises(InputError, match=r"is UTF-16 text \(UTF-16LE\), not UTF-8"):
        servicenow.read_servicenow_csv(path)
