from __future__ import annotations

import pandas as pd
import pytest

from analytics.checklist import checklist_criteria, read_checklist
from analytics.errors import InputError
from analytics.readiness import Status

AS_OF = pd.Timestamp("2016-06-30", tz="UTC")
HEADER = "item,area,owner,status,evidence,date,blocking\n"


def test_statuses_follow_the_rules(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.csv",
        HEADER
        + "DR tested,infra,Ops,done,https://x,2016-06-20,true\n"
        + "Runbooks,support,Desk,done,https://x,2016-04-01,true\n"
        + "Load test,apps,Perf,in progress,,2016-06-28,true\n"
        + "Docs,docs,Docs,done,,2016-06-25,true\n"
        + "Future,docs,Docs,done,https://x,2016-07-05,true\n"
        + "Security,apps,Sec,open,,2016-06-10,false\n"
        + "Legacy,apps,Sec,n/a,,2016-06-10,true\n",
    )
    load = read_checklist(path)
    results = checklist_criteria(load.frame, as_of=AS_OF, max_age_days=30)
    statuses = [r.status for r in results]
    assert statuses == [
        Status.PASS,
        Status.NO_DATA,  # stale: 90 days old
        Status.FAIL,
        Status.NO_DATA,  # done without evidence link
        Status.NO_DATA,  # verified after the decision time
        Status.FAIL,
        Status.PASS,
    ]
    assert results[5].criterion.blocking is False
    assert "stale" in results[1].detail


def test_bad_rows_are_rejected_with_reasons(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.csv",
        HEADER
        + "DR tested,infra,Ops,done,https://x,2016-06-20,true\n"
        + "Odd,infra,Ops,maybe,https://x,2016-06-20,true\n"
        + ",infra,Ops,done,https://x,2016-06-20,true\n"
        + "Date,infra,Ops,done,https://x,June 20th,true\n"
        + "Flag,infra,Ops,done,https://x,2016-06-20,perhaps\n",
    )
    load = read_checklist(path)
    assert load.rows_in == 5
    assert load.rows_used == 1
    assert sorted(load.rejected["reason_code"]) == [
        "invalid_value",
        "missing_value",
        "unknown_status",
        "unparseable_date",
    ]
    assert load.rejected["row_number"].tolist() == [3, 4, 5, 6]
    load.check_accounting()


def test_missing_column_names_the_file_and_columns(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.csv", "item,status\nx,done\n")
    with pytest.raises(
        InputError, match=r"c\.csv: missing column\(s\) \['area', 'owner', 'date'\]"
    ):
        read_checklist(path)


def test_empty_file(write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="empty"):
        read_checklist(write("c.csv", ""))


def test_yaml_checklist(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml",
        "items:\n  - {item: DR, area: infra, owner: Ops, status: done, evidence: 'https://x',"
        " date: '2016-06-20'}\n",
    )
    load = read_checklist(path)
    results = checklist_criteria(load.frame, as_of=AS_OF, max_age_days=30)
    assert [r.status for r in results] == [Status.PASS]


@pytest.mark.parametrize(
    "link", ["javascript:alert(5)", " JavaScript :alert(1)", "data:text/html;x"]
)
def test_a_script_is_not_evidence(write, link: str) -> None:  # type: ignore[no-untyped-def]
    path = write("c.csv", HEADER + f"DR tested,infra,Ops,done,{link},2016-06-20,true\n")
    (result,) = checklist_criteria(
        read_checklist(path).frame, as_of=AS_OF, max_age_days=30
    )
    assert result.status is Status.NO_DATA
    assert "script" in result.detail


@pytest.mark.parametrize(
    "link",
    [
        '"java\tscript:alert(4)"',
        '"\tjavascript:alert(4)"',
        '"java\nscript:alert(4)"',
        '"\x01javascript:alert(4)"',
        '"vb script :msgbox"',
        '"DATA:text/html;base64,PHNjcmlwdD4="',
    ],
)
def test_a_script_hidden_by_control_characters_is_not_evidence(
    write, link: str
) -> None:  # type: ignore[no-untyped-def]
    path = write("c.csv", HEADER + f"DR tested,infra,Ops,done,{link},2016-06-20,true\n")
    (result,) = checklist_criteria(
        read_checklist(path).frame, as_of=AS_OF, max_age_days=30
    )
    assert result.status is Status.NO_DATA
    assert "a script, not a link" in result.detail


@pytest.mark.parametrize(
    "placeholder",
    ["TBD", "none", "-", "n/a", "N.A.", "?", "pending", "To do", "---", "null", "TBC"],
)
def test_a_placeholder_is_not_evidence(write, placeholder: str) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.csv", HEADER + f"DR tested,infra,Ops,done,{placeholder},2016-06-20,true\n"
    )
    (result,) = checklist_criteria(
        read_checklist(path).frame, as_of=AS_OF, max_age_days=30
    )
    assert result.status is Status.NO_DATA
    assert f"{placeholder!r} is a placeholder, not evidence" in result.detail


@pytest.mark.parametrize(
    "evidence",
    [
        "https://wiki.example/dr",
        "OPS-1234",
        "runbook v2 signed off by CAB",
        "javadoc:x",
    ],
)
def test_real_evidence_still_passes(write, evidence: str) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.csv", HEADER + f"DR tested,infra,Ops,done,{evidence},2016-06-20,true\n"
    )
    (result,) = checklist_criteria(
        read_checklist(path).frame, as_of=AS_OF, max_age_days=30
    )
    assert result.status is Status.PASS


YAML_ITEM = "  - {{item: DR, area: infra, owner: Ops, status: done, evidence: {evidence}, date: 2016-06-20}}\n"


@pytest.mark.parametrize(
    ("evidence", "shown"),
    [
        ("no", "a YAML boolean (false)"),
        ("false", "a YAML boolean (false)"),
        ("yes", "a YAML boolean (true)"),
        ("0", "a number (0)"),
        ("12.5", "a number (12.5)"),
        ("[a, b]", "a list ([a, b])"),
        ("{url: x}", "a mapping ({url: x})"),
        ("2016-06-01", "a YAML date (2016-06-01)"),
    ],
)
def test_yaml_evidence_that_is_not_text_is_no_evidence(  # type: ignore[no-untyped-def]
    write, evidence: str, shown: str
) -> None:
    path = write("c.yaml", "items:\n" + YAML_ITEM.format(evidence=evidence))
    load = read_checklist(path)
    assert load.rows_used == 1
    (result,) = checklist_criteria(load.frame, as_of=AS_OF, max_age_days=30)
    assert result.status is Status.NO_DATA
    assert shown in result.detail
    assert "not a link" in result.detail


def test_yaml_null_evidence_is_no_evidence_link(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "items:\n" + YAML_ITEM.format(evidence="null"))
    (result,) = checklist_criteria(
        read_checklist(path).frame, as_of=AS_OF, max_age_days=30
    )
    assert result.status is Status.NO_DATA
    assert "no evidence link" in result.detail


def test_the_testers_yaml_checklist_is_not_go(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "cl4.yaml",
        "- {item: DR, area: infra, owner: me, status: done, evidence: 'https://w/x', date: 2016-06-24}\n"
        "- {item: Sec, area: security, owner: sec, status: done, evidence: no, date: 2016-06-24}\n"
        "- {item: Pen, area: security, owner: sec, status: done, evidence: false, date: 2016-06-24}\n",
    )
    results = checklist_criteria(
        read_checklist(path).frame, as_of=AS_OF, max_age_days=30
    )
    assert [r.status for r in results] == [Status.PASS, Status.NO_DATA, Status.NO_DATA]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2016-06-20", "2016-06-19 22:00:00+00:00"),  # a YAML date: local midnight
        ("2016-06-20 10:00:00", "2016-06-20 08:00:00+00:00"),  # naive: local time
        ("'2016-06-20'", "2016-06-19 22:00:00+00:00"),  # text, as in a CSV
    ],
)
def test_yaml_dates_are_real_dates_in_any_date_order(  # type: ignore[no-untyped-def]
    write, date: str, expected: str
) -> None:
    path = write(
        "c.yaml",
        f"- {{item: DR, area: infra, owner: Ops, status: done, evidence: 'https://x', date: {date}}}\n",
    )
    order = "iso" if date.startswith("'") else "dayfirst"
    load = read_checklist(path, timezone="Europe/Berlin", date_order=order)
    assert load.rejected.empty
    assert str(load.frame["date"].iloc[0]) == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "yes", "status is a YAML boolean (true), not a status"),
        ("status", "1", "status is a number (1), not a status"),
        ("date", "20160620", "date is a number (20160620), not a date"),
        ("date", "true", "date is a YAML boolean (true), not a date"),
        ("owner", "no", "owner is a YAML boolean (false), not text"),
        ("item", "[a]", "item is a list ([a]), not text"),
        ("blocking", "maybe", "blocking must be true or false"),
        ("blocking", "2", "blocking is a number (2)"),
    ],
)
def test_yaml_fields_of_the_wrong_type_reject_the_row(  # type: ignore[no-untyped-def]
    write, field: str, value: str, message: str
) -> None:
    item = {
        "item": "DR",
        "area": "infra",
        "owner": "Ops",
        "status": "done",
        "evidence": "'https://x'",
        "date": "2016-06-20",
        "blocking": "true",
    }
    item[field] = value
    text = ", ".join(f"{k}: {v}" for k, v in item.items())
    valid = "{item: Ok, area: a, owner: o, status: done, evidence: 'https://x', date: 2016-06-20}"
    path = write("c.yaml", f"- {{{text}}}\n- {valid}\n")
    load = read_checklist(path)
    assert load.rows_used == 1
    (reason,) = load.rejected.to_dict("records")
    assert reason["row_number"] == 2
    assert reason["column"] == field
    assert message in reason["message"]


def test_yaml_numbers_in_text_fields_are_text(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml",
        "- {item: 42, area: 7, owner: 2016-01-01, status: done, evidence: 'https://x',"
        " date: 2016-06-20, blocking: false}\n",
    )
    load = read_checklist(path)
    assert load.rejected.empty
    row = load.frame.iloc[0]
    assert (row["item"], row["area"], row["owner"], row["blocking"]) == (
        "42",
        "7",
        "2016-01-01",
        False,
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_utf16_checklist_is_named_with_the_iconv_fix(  # type: ignore[no-untyped-def]
    tmp_path, encoding: str
) -> None:
    path = tmp_path / "chk.csv"
    path.write_text(HEADER + "DR,infra,Ops,done,https://x,2016-06-20,true\n", encoding)
    with pytest.raises(InputError, match=r"chk\.csv: is UTF-16 text .*iconv -f UTF-16"):
        read_checklist(path)


def test_a_utf16_yaml_checklist_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "chk.yaml"
    path.write_text("- {item: DR}\n", "utf-16")
    with pytest.raises(InputError, match=r"chk\.yaml: is UTF-16 text .*iconv"):
        read_checklist(path)


def test_rejected_rows_carry_their_date_as_row_time(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.csv",
        HEADER
        + "DR tested,infra,Ops,done,https://x,2016-06-20,true\n"
        + "Odd,infra,Ops,maybe,https://x,2016-06-21,true\n"
        + "Date,infra,Ops,done,https://x,June 20th,true\n",
    )
    load = read_checklist(path)
    times = dict(
        zip(load.rejected["row_number"], load.rejected["row_time"], strict=True)
    )
    assert str(times[3]) == "2016-06-21 00:00:00+00:00"
    assert pd.isna(times[4])
    assert load.row_times is not None
    assert load.row_times.index.tolist() == [2, 3]
