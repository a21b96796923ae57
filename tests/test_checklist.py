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
