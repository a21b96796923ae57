"""Jira CSV and REST JSON readers: quirks, rejections, real cycle-time export."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import ConfigError, InputError
from analytics.sources.jira import (
    MONTH_NAMES,
    parse_sla_remaining,
    read_jira_csv,
    read_jira_json,
)

FIXTURES = Path(__file__).parent / "fixtures" / "jira"
REAL = Path(__file__).resolve().parents[1] / "data" / "real"
UTC = "UTC"


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


@pytest.fixture(scope="module")
def all_fields() -> pd.DataFrame:
    result = read_jira_csv(
        FIXTURES / "all_fields.csv",
        timezone="Europe/Berlin",
        sla_goals_seconds={"first_response": 600, "resolution": 8 * 3600},
    )
    result.check_accounting()
    return result.frame.set_index("ticket_id")


def test_locale_dates_in_the_users_zone_become_utc(all_fields: pd.DataFrame) -> None:
    # 25/Feb/26 10:17 PM in Berlin (CET, UTC+1) is 21:17 UTC.
    assert all_fields.loc["SD-1", "created_at"] == _utc("2026-02-25 21:17")
    assert all_fields.loc["SD-1", "resolved_at"] == _utc("2026-02-26 00:17")
    assert all_fields.loc["SD-2", "created_at"] == _utc("2026-03-02 08:00")


def test_repeated_columns_are_gathered_not_mangled(all_fields: pd.DataFrame) -> None:
    assert not [c for c in all_fields.columns if "." in c]
    # First response = earliest comment by someone other than the reporter:
    # the reporter's own comment at 22:20 does not count, the agent's at 22:30 does.
    assert all_fields.loc["SD-1", "first_response_at"] == _utc("2026-02-25 21:30")
    assert all_fields.loc["SD-2", "first_response_at"] == _utc("2026-03-02 08:45")


def test_quoted_newlines_and_satisfaction_rating(all_fields: pd.DataFrame) -> None:
    assert list(all_fields.index) == ["SD-1", "SD-2"]
    assert all_fields["csat_score"].tolist() == [5.0, 4.0]
    assert all_fields["priority"].tolist() == ["P1", "P4"]


def test_sla_cells_hold_remaining_time(all_fields: pd.DataFrame) -> None:
    sd1, sd2 = all_fields.loc["SD-1"], all_fields.loc["SD-2"]
    # SD-1: goal 10 min, "-3m" left → breached, 13 min elapsed (= comment at +13 min).
    assert sd1["sla_first_response_remaining_seconds"] == -180
    assert bool(sd1["sla_first_response_breached"])
    assert sd1["sla_first_response_elapsed_seconds"] == 780
    # Goal 8 h, "5h" left → 3 h elapsed, the wall-clock created → resolved.
    assert sd1["sla_resolution_elapsed_seconds"] == 3 * 3600
    assert not bool(sd1["sla_resolution_breached"])
    assert sd2["sla_first_response_elapsed_seconds"] == 45 * 60
    assert sd2["sla_resolution_elapsed_seconds"] == 6 * 3600


def test_sla_elapsed_is_unknown_without_goal() -> None:
    frame = read_jira_csv(FIXTURES / "all_fields.csv", timezone="Europe/Berlin").frame
    assert frame["sla_resolution_elapsed_seconds"].isna().all()
    assert frame["sla_resolution_remaining_seconds"].notna().all()


def test_every_bad_row_is_rejected_with_its_reason() -> None:
    result = read_jira_csv(FIXTURES / "all_fields.csv", timezone="Europe/Berlin")
    reasons = result.rejected.groupby("row_number")["reason_code"].apply(sorted)
    assert reasons.to_dict() == {
        4: ["out_of_range", "resolved_before_created"],
        5: ["duplicate_id"],
        6: ["unknown_priority"],
        7: ["unparseable_date"],
        8: ["unparseable_duration"],
        9: ["nonexistent_local_time"],
    }
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (8, 2, 6)


def test_translated_months_and_headers_via_maps() -> None:
    result = read_jira_csv(
        FIXTURES / "german.csv",
        date_format="%d/%b/%y %H:%M",
        timezone="Europe/Berlin",
        month_names=MONTH_NAMES["de"],
        column_map={
            "Schlüssel": "Issue key",
            "Priorität": "Priority",
            "Erstellt": "Created",
            "Erledigt": "Resolved",
        },
        priority_map={"Hoch": "P2", "Niedrig": "P4"},
    )
    frame = result.frame.set_index("ticket_id")
    assert frame.loc["DE-1", "created_at"] == _utc("2026-03-25 21:17")  # CET
    assert frame.loc["DE-1", "resolved_at"] == _utc("2026-03-26 07:00")
    assert frame.loc["DE-2", "created_at"] == _utc("2026-10-02 07:00")  # CEST
    assert frame.loc["DE-3", "created_at"] == _utc("2026-05-01 08:00")
    assert result.rows_rejected == 0


def test_a_format_that_fits_no_date_is_one_clear_error() -> None:
    with pytest.raises(InputError, match="date_format") as caught:
        read_jira_csv(
            FIXTURES / "german.csv",
            column_map={"Schlüssel": "Issue key", "Erstellt": "Created"},
        )
    assert "german.csv" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("header_only.csv", "no data rows"),
        ("utf16.csv", "UTF-16 text.*re-save it as UTF-8"),
        ("latin1.csv", "not UTF-8"),
        ("search.json", "JSON, not CSV"),
        ("missing.csv", "does not exist"),
    ],
)
def test_bad_files_raise_one_input_error(name: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        read_jira_csv(FIXTURES / name)
    assert name in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_missing_required_column_names_the_fix(write) -> None:  # type: ignore[no-untyped-def]
    path = write("jira.csv", "Key,Created\nA,25/Feb/26 10:17 PM\n")
    with pytest.raises(InputError, match="column_map"):
        read_jira_csv(path)


def test_column_map_to_unknown_name_is_a_config_error(write) -> None:  # type: ignore[no-untyped-def]
    path = write("jira.csv", "Issue key,Created\nA,25/Feb/26 10:17 PM\n")
    with pytest.raises(ConfigError):
        read_jira_csv(path, column_map={"Created": "opened"})


def test_parse_sla_remaining_units() -> None:
    seconds, bad = parse_sla_remaining(
        pd.Series(["-1w 2d", "3h 15m", "-0:45", "90s", "", "x"]), day_hours=8
    )
    assert seconds.tolist()[:4] == [-(40 + 16) * 3600, 3 * 3600 + 900, -2700, 90]
    assert bad.tolist() == [False, False, False, False, False, True]


def test_rest_json_with_changelog_and_sla_cycles() -> None:
    result = read_jira_json(
        FIXTURES / "search.json", sla_fields={"customfield_10030": "first_response"}
    )
    result.check_accounting()
    frame = result.frame.set_index("ticket_id")
    js1 = frame.loc["JS-1"]
    assert js1["created_at"] == _utc("2026-03-02 08:00")
    assert js1["first_resolved_at"] == _utc("2026-03-02 12:00")
    assert js1["resolved_at"] == _utc("2026-03-04 09:00")
    assert js1["first_response_at"] == _utc("2026-03-02 08:20")
    assert js1["sla_first_response_elapsed_seconds"] == 1200
    assert js1["on_hold_seconds"] == 2 * 3600  # Waiting for customer 10:00 → 12:00
    assert (js1["reopen_count"], js1["reassignment_count"]) == (1, 1)
    assert bool(js1["escalated"])  # priority raised High → Highest
    assert js1["csat_score"] == 4
    assert pd.isna(frame.loc["JS-2", "reopen_count"])  # no changelog: unknown
    assert result.rejected["reason_code"].tolist() == ["resolved_before_created"]
    # The interval behind on_hold_seconds (10:00 → 12:00 at +01:00), in UTC.
    assert result.pauses is not None
    assert result.pauses.to_numpy().tolist() == [
        ["JS-1", _utc("2026-03-02 09:00"), _utc("2026-03-02 11:00")]
    ]
    assert set(result.pauses["ticket_id"]) <= set(frame.index)


def test_real_cycle_time_export_rejects_every_impossible_row() -> None:
    path = REAL / "agile_jira_cycle_times.csv"
    result = read_jira_csv(
        path,
        date_format="%Y-%m-%d",
        column_map={
            "id": "Issue key",
            "created_date": "Created",
            "finished_date": "Resolved",
        },
    )
    result.check_accounting()
    # The export has no priority at all, so no issue can be used (each is rejected
    # with the reason); the impossible rows are still named with theirs.
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (4123, 0, 4123)
    codes = result.rejected["reason_code"].value_counts().to_dict()
    assert codes == {
        "missing_value": 4123,
        "resolved_before_created": 1662,
        "negative_duration": 1662,
    }
    missing = result.rejected[result.rejected["reason_code"] == "missing_value"]
    assert missing["message"].str.contains("no Priority column").all()
    raw = pd.read_csv(path)
    finished_first = raw.index[raw["finished_date"] < raw["created_date"]] + 2
    flagged = result.rejected.loc[
        result.rejected["reason_code"] == "resolved_before_created", "row_number"
    ]
    assert sorted(flagged) == sorted(finished_first)


@pytest.mark.parametrize("cell", ["", "   "])
def test_an_issue_without_priority_is_rejected_not_kept_as_na(write, cell) -> None:  # type: ignore[no-untyped-def]
    # The user attack: SUP-8 with an empty Priority was kept with priority NA and
    # counted in no criterion.
    path = write(
        "jira.csv",
        "Issue key,Priority,Created\n"
        "SUP-1,High,25/Feb/26 10:17 PM\n"
        f"SUP-8,{cell},25/Feb/26 10:17 PM\n",
    )
    result = read_jira_csv(path)
    result.check_accounting()
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (2, 1, 1)
    assert result.frame["ticket_id"].tolist() == ["SUP-1"]
    row = result.rejected.iloc[0]
    assert (row["row_number"], row["column"], row["reason_code"]) == (
        3,
        "Priority",
        "missing_value",
    )
    assert "priority is empty" in row["message"] and "export again" in row["message"]


def test_rest_json_issue_without_priority_is_rejected(write) -> None:  # type: ignore[no-untyped-def]
    fields = {"created": "2026-03-02T08:00:00.000+0000", "status": {"name": "Open"}}
    issues = [
        {"key": "JS-1", "fields": {**fields, "priority": {"name": "High"}}},
        {"key": "JS-2", "fields": {**fields, "priority": None}},
        {"key": "JS-3", "fields": fields},  # no priority field at all
    ]
    path = write("search.json", json.dumps({"issues": issues}))
    result = read_jira_json(path)
    result.check_accounting()
    assert result.frame["ticket_id"].tolist() == ["JS-1"]
    assert result.rejected["reason_code"].tolist() == ["missing_value"] * 2
    assert set(result.rejected["column"]) == {"fields.priority"}


def test_rest_json_changelog_is_cut_at_the_decision_time(write) -> None:  # type: ignore[no-untyped-def]
    # Exported a week after the decision: the issue was reopened and raised to
    # Highest after it. At the decision time it was a resolved High issue.
    def change(at: str, field: str, before: str, after: str) -> dict[str, object]:
        item = {"field": field, "fromString": before, "toString": after}
        return {"created": at, "items": [item]}

    issue = {
        "key": "JS-9",
        "fields": {
            "created": "2026-03-02T08:00:00.000+0000",
            "resolutiondate": "2026-03-09T10:00:00.000+0000",
            "priority": {"name": "Highest"},
            "status": {"name": "Done"},
        },
        "changelog": {
            "histories": [
                change("2026-03-02T09:00:00.000+0000", "assignee", None, "ann"),
                change("2026-03-02T12:00:00.000+0000", "status", "Open", "Done"),
                change("2026-03-05T09:00:00.000+0000", "status", "Done", "Reopened"),
                change("2026-03-05T09:30:00.000+0000", "priority", "High", "Highest"),
                change("2026-03-09T10:00:00.000+0000", "status", "Reopened", "Done"),
            ]
        },
    }
    # Open at the decision time, resolved after it (exported as Done).
    opened = {
        "key": "JS-10",
        "fields": {**issue["fields"], "priority": {"name": "Low"}},  # type: ignore[dict-item]
        "changelog": {
            "histories": [
                change("2026-03-06T09:00:00.000+0000", "status", "Open", "Done"),
            ]
        },
    }
    path = write("search.json", json.dumps({"issues": [issue, opened]}))

    late = read_jira_json(path).frame.set_index("ticket_id").loc["JS-9"]
    assert late["resolved_at"] == _utc("2026-03-09 10:00")
    assert (late["priority"], late["reopen_count"], bool(late["escalated"])) == (
        "P1",
        1,
        True,
    )

    result = read_jira_json(path, known_at=_utc("2026-03-04 00:00"))
    result.check_accounting()
    then = result.frame.set_index("ticket_id").loc["JS-9"]
    # Resolved at 12:00 on the 2nd, reopened on the 5th: resolved at the decision time.
    assert then["resolved_at"] == _utc("2026-03-02 12:00")
    still_open = result.frame.set_index("ticket_id").loc["JS-10"]
    assert (still_open["status"], still_open["resolved_at"]) == ("Open", pd.NaT)
    assert pd.isna(still_open["first_resolved_at"])
    assert (then["priority"], then["priority_original"], then["status"]) == (
        "P2",
        "High",
        "Done",
    )
    assert (then["reopen_count"], then["reassignment_count"]) == (0, 0)
    assert not bool(then["escalated"])
    assert then["first_resolved_at"] == _utc("2026-03-02 12:00")
    assert any(
        "4 changelog entries dated after the decision time" in note
        and "2 issues take the priority, status or resolution date" in note
        for note in result.notes
    )


def test_comments_without_reporter_id_say_why_first_response_is_unknown(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "jira.csv",
        "Issue key,Priority,Created,Comment\n"
        'SUP-1,High,25/Feb/26 10:17 PM,"25/Feb/26 10:30 PM;agent;hello"\n',
    )
    result = read_jira_csv(path)
    assert result.frame["first_response_at"].isna().all()
    assert any("no Reporter Id column" in note for note in result.notes)


def test_a_repeated_key_after_a_rejected_first_row_is_worded_truly(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "jira.csv",
        "Issue key,Priority,Created\n"
        "SUP-2,Whatever,25/Feb/26 10:17 PM\n"
        "SUP-2,High,25/Feb/26 10:17 PM\n",
    )
    result = read_jira_csv(path)
    result.check_accounting()
    duplicate = result.rejected.loc[result.rejected["reason_code"] == "duplicate_id"]
    assert "the first row is used" not in duplicate["message"].iloc[0]
    assert "when that row is rejected too" in duplicate["message"].iloc[0]
