"""Survey exports and the synthetic help-desk table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import InputError
from analytics.sources.surveys import attach_csat, read_helpdesk_csv, read_survey_csv

FIXTURES = Path(__file__).parent / "fixtures" / "surveys"
SYNTHETIC = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "real"
    / "kaggle_synthetic_customer_support_tickets.csv.gz"
)


def test_csat_export_rejects_out_of_range_and_non_numbers() -> None:
    result = read_survey_csv(FIXTURES / "csat.csv", kind="csat")
    result.check_accounting()
    reasons = dict(
        zip(result.rejected["row_number"], result.rejected["reason_code"], strict=True)
    )
    assert reasons == {
        6: "out_of_range",  # 0
        7: "out_of_range",  # 4.5
        8: "unparseable_number",  # great
        9: "missing_value",  # no score
        10: "duplicate_id",  # R1 again
    }
    frame = result.frame
    assert frame["score"].tolist() == [5.0, 4.0, 3.0, 5.0]
    assert frame["ticket_id"].isna().tolist() == [False, False, True, False]
    assert frame["answered_at"].iloc[0] == pd.Timestamp("2026-03-02 10:00", tz="UTC")


def test_nps_export_with_column_map() -> None:
    result = read_survey_csv(
        FIXTURES / "nps.csv",
        kind="nps",
        column_map={"id": "response_id", "when": "answered_at"},
    )
    assert result.frame["score"].tolist() == [10.0, 9.0, 8.0, 6.0, 0.0]
    assert result.rejected["reason_code"].tolist() == ["out_of_range"]


def test_kind_column_and_unknown_kind() -> None:
    result = read_survey_csv(FIXTURES / "mixed.csv")
    assert result.frame["kind"].tolist() == ["csat", "nps"]
    assert result.rejected["reason_code"].tolist() == ["unknown_kind"]


def test_missing_score_column_is_an_input_error(write) -> None:  # type: ignore[no-untyped-def]
    path = write("csat.csv", "id,rating\nR1,5\n")
    with pytest.raises(InputError, match=r"score.*column_map") as caught:
        read_survey_csv(path, kind="csat")
    assert "csat.csv" in str(caught.value)


def test_attach_csat_links_by_ticket_id() -> None:
    answers = read_survey_csv(FIXTURES / "csat.csv", kind="csat").frame
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T4", "T99"],
            "csat_score": pd.array([None] * 3, "Float64"),
        }
    )
    linked = attach_csat(tickets, answers)
    assert linked["csat_score"].tolist()[:2] == [5.0, 5.0]
    assert pd.isna(linked["csat_score"].iloc[2])


@pytest.fixture(scope="module")
def synthetic() -> object:
    return read_helpdesk_csv(SYNTHETIC)


def test_synthetic_file_parses_multiline_cells_and_maps_priority(synthetic) -> None:  # type: ignore[no-untyped-def]
    synthetic.check_accounting()
    assert (
        synthetic.rows_in == 8469
    )  # multi-line quoted descriptions are one record each
    frame = synthetic.frame
    assert set(frame["priority"]) == {"P1", "P2", "P3", "P4"}
    pairs = frame.groupby("priority_original")["priority"].first().to_dict()
    assert pairs == {"Critical": "P1", "High": "P2", "Medium": "P3", "Low": "P4"}
    scores = frame["csat_score"].dropna()
    assert set(scores) == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_synthetic_impossible_orderings_rejected_or_flagged(synthetic) -> None:  # type: ignore[no-untyped-def]
    codes = synthetic.rejected["reason_code"].value_counts().to_dict()
    assert codes == {"resolved_before_first_response": 1365}
    assert synthetic.rows_used == 8469 - 1365
    flagged = read_helpdesk_csv(SYNTHETIC, order_violation="flag")
    assert flagged.rows_used == 8469
    assert any("1,365 ticket(s)" in note for note in flagged.notes)
    frame = flagged.frame
    assert not (frame["resolved_at"] < frame["first_response_at"]).any()
    # No creation time in this table: durations are not measurable, and we say so.
    assert frame["created_at"].isna().all()
    assert any("No created_at column" in note for note in flagged.notes)


# --- answered_at: each value with its own offset, or local time -----------------------

_HEADER = "response_id,answered_at,score\n"


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # Across a summer-time change, each value with the offset of its day.
        (
            ["2026-03-28T10:00:00+01:00", "2026-03-30T10:00:00+02:00"],
            ["2026-03-28 09:00", "2026-03-30 08:00"],
        ),
        (
            ["2026-02-20T10:00:00Z", "2026-02-21T10:00:00+01:00"],
            ["2026-02-20 10:00", "2026-02-21 09:00"],
        ),
        # No offset: local time in the source's zone (UTC here).
        (
            ["2026-02-20T10:00:00Z", "2026-02-21 10:00"],
            ["2026-02-20 10:00", "2026-02-21 10:00"],
        ),
        # A date alone: 00:00 that day.
        (
            ["2026-02-20T10:00:00Z", "2026-02-21"],
            ["2026-02-20 10:00", "2026-02-21 00:00"],
        ),
        # Hour-only and compact offsets are ISO 8601 too.
        (
            ["2026-02-20T10:00+02", "2026-02-21T10:00:00-0500"],
            ["2026-02-20 08:00", "2026-02-21 15:00"],
        ),
    ],
)
def test_answer_times_may_mix_offsets_and_local_times(
    write, cells: list[str], expected: list[str]
) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"C{i},{cell},5\n" for i, cell in enumerate(cells))
    result = read_survey_csv(write("csat.csv", _HEADER + rows), kind="csat")
    assert result.rejected.empty
    assert result.frame["answered_at"].tolist() == [
        pd.Timestamp(t, tz="UTC") for t in expected
    ]


def test_local_times_and_dates_use_the_source_zone_and_dates_are_noted(write) -> None:  # type: ignore[no-untyped-def]
    text = _HEADER + (
        "C1,2026-03-28 10:00,5\n"  # CET, +01:00
        "C2,2026-03-30 10:00,4\n"  # CEST, +02:00
        "C3,2026-03-30,4\n"  # 00:00 CEST
        "C4,2026-03-31T10:00:00Z,3\n"
    )
    result = read_survey_csv(
        write("csat.csv", text), kind="csat", timezone="Europe/Berlin"
    )
    assert result.frame["answered_at"].tolist() == [
        pd.Timestamp(t, tz="UTC")
        for t in (
            "2026-03-28 09:00",
            "2026-03-30 08:00",
            "2026-03-29 22:00",
            "2026-03-31 10:00",
        )
    ]
    assert any(
        "1 answer(s) give a date without a time" in n and "00:00 in Europe/Berlin" in n
        for n in result.notes
    )


def test_a_bad_answer_time_among_mixed_offsets_is_rejected_alone(write) -> None:  # type: ignore[no-untyped-def]
    text = _HEADER + (
        "C1,2026-02-20T10:00:00Z,5\nC2,21/02/2026 10:00,4\nC3,2026-02-22T10:00+01:00,4\n"
    )
    result = read_survey_csv(write("csat.csv", text), kind="csat")
    result.check_accounting()
    bad = result.rejected.iloc[0]
    assert (bad["row_number"], bad["column"], bad["reason_code"]) == (
        3,
        "answered_at",
        "unparseable_date",
    )
    assert "not an ISO 8601 date or date-time" in bad["message"]
    assert result.rows_used == 2


def test_a_strptime_format_with_offsets_may_mix_them(write) -> None:  # type: ignore[no-untyped-def]
    text = _HEADER + "C1,28.03.2026 10:00 +0100,5\nC2,30.03.2026 10:00 +0200,4\n"
    result = read_survey_csv(
        write("csat.csv", text), kind="csat", date_format="%d.%m.%Y %H:%M %z"
    )
    assert result.frame["answered_at"].tolist() == [
        pd.Timestamp("2026-03-28 09:00", tz="UTC"),
        pd.Timestamp("2026-03-30 08:00", tz="UTC"),
    ]


def test_survey_rejections_name_the_files_own_column(write) -> None:  # type: ignore[no-untyped-def]
    text = "id,when,Rating\nR1,2026-03-01,4.5\nR2,2026-03-01,5\n"
    result = read_survey_csv(
        write("csat.csv", text),
        kind="csat",
        column_map={"id": "response_id", "when": "answered_at", "Rating": "score"},
    )
    assert result.rejected[["column", "value", "reason_code"]].values.tolist() == [
        ["Rating", "4.5", "out_of_range"]
    ]


def test_a_repeated_response_id_says_whether_the_first_was_used(write) -> None:  # type: ignore[no-untyped-def]
    text = _HEADER + (
        "R1,2026-03-01,9\n"  # rejected: out of range
        "R1,2026-03-01,5\n"
        "R2,2026-03-01,5\n"
        "R2,2026-03-01,4\n"
    )
    result = read_survey_csv(write("csat.csv", text), kind="csat")
    result.check_accounting()
    repeats = result.rejected.loc[result.rejected["reason_code"] == "duplicate_id"]
    messages = dict(zip(repeats["row_number"], repeats["message"], strict=True))
    assert "was itself rejected: no row with this id is used" in messages[3]
    assert "the first row with this id is used" in messages[5]
    assert result.frame["response_id"].tolist() == ["R2"]


# --- help-desk table: a bad rating does not lose the ticket ---------------------------

_HELPDESK = (
    "Ticket ID,Created,Ticket Priority,First Response Time,Time to Resolution,"
    "Customer Satisfaction Rating\n"
    "1,2026-02-20 09:00:00,Critical,2026-02-20 10:00:00,2026-02-20 12:00:00,4.5\n"
    "2,2026-02-20 09:30:00,High,2026-02-20 13:00:00,2026-02-20 12:00:00,5\n"
    "3,2026-02-21 09:00:00,Urgent,2026-02-21 10:00:00,2026-02-21 12:00:00,5\n"
    "4,2026-02-22 09:00:00,Low,2026-02-22 10:00:00,2026-02-22 12:00:00,great\n"
    "5,2026-02-23 09:00:00,Low,,,\n"
    "1,2026-02-24 09:00:00,Low,2026-02-24 10:00:00,2026-02-24 12:00:00,3\n"
    "3,2026-02-25 09:00:00,Low,2026-02-25 10:00:00,2026-02-25 12:00:00,3\n"
)


@pytest.fixture
def helpdesk(write):  # type: ignore[no-untyped-def]
    return read_helpdesk_csv(
        write("hd.csv", _HELPDESK), column_map={"Created": "created_at"}
    )


def test_a_bad_rating_keeps_the_ticket_and_is_listed(helpdesk) -> None:  # type: ignore[no-untyped-def]
    helpdesk.check_accounting()
    frame = helpdesk.frame.set_index("ticket_id")
    assert sorted(frame.index) == ["1", "4", "5"]
    # Ticket 1 (4.5) and 4 ("great"): resolution facts used, rating left out.
    assert frame.loc["1", "priority"] == "P1"
    assert frame.loc["1", "resolved_at"] == pd.Timestamp("2026-02-20 12:00", tz="UTC")
    assert frame["csat_score"].isna().all()
    (note,) = [n for n in helpdesk.notes if "without their satisfaction rating" in n]
    assert note.startswith("2 ticket(s) used without their satisfaction rating")
    assert "'Customer Satisfaction Rating'" in note
    assert "row 2 '4.5' (out_of_range)" in note
    assert "row 5 'great' (unparseable_number)" in note
    # Rows in = used + rejected: 7 = 3 + 4, the left-out ratings on neither side.
    assert (helpdesk.rows_in, helpdesk.rows_used, helpdesk.rows_rejected) == (7, 3, 4)


def test_helpdesk_rejections_name_the_files_columns_and_values(helpdesk) -> None:  # type: ignore[no-untyped-def]
    rejected = helpdesk.rejected.set_index("row_number")
    assert rejected.loc[3, ["column", "value", "reason_code"]].tolist() == [
        "Time to Resolution",
        "2026-02-20 12:00:00",
        "resolved_before_first_response",
    ]
    assert rejected.loc[4, ["column", "value"]].tolist() == [
        "Ticket Priority",
        "Urgent",
    ]
    assert set(rejected["column"]) <= {
        "Ticket ID",
        "Ticket Priority",
        "Time to Resolution",
    }


def test_helpdesk_repeated_id_message_is_true(helpdesk) -> None:  # type: ignore[no-untyped-def]
    rejected = helpdesk.rejected.set_index("row_number")
    assert rejected.loc[7, "reason_code"] == "duplicate_id"
    assert "the first row with this id is used" in rejected.loc[7, "message"]
    # Ticket 3's first row (row 4) was rejected for its priority: none is used.
    assert rejected.loc[8, "reason_code"] == "duplicate_id"
    assert (
        "was itself rejected: no row with this id is used" in rejected.loc[8, "message"]
    )


def test_helpdesk_row_times_are_the_creation_times(helpdesk) -> None:  # type: ignore[no-untyped-def]
    assert helpdesk.row_times is not None
    assert helpdesk.row_times.index.tolist() == list(range(2, 9))
    assert helpdesk.row_times[8] == pd.Timestamp("2026-02-25 09:00", tz="UTC")
    assert helpdesk.rejected["row_time"].notna().all()
    assert helpdesk.time_range("created_at") == (
        pd.Timestamp("2026-02-20 09:00", tz="UTC"),
        pd.Timestamp("2026-02-23 09:00", tz="UTC"),
    )
