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
