"""Guards that keep unusable evidence from turning into a GO."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.readiness import Decision, Status
from analytics.report.go_no_go import build_go_no_go

HEADER = (
    "number,incident_state,priority,opened_at,resolved_at,closed_at,assignment_group\n"
)
CHECKLIST_HEADER = "item,area,owner,status,evidence,date\n"


def _config(tmp_path: Path, tickets: str, checklist: str, extra: str = "") -> Path:
    (tmp_path / "t.csv").write_text(tickets)
    (tmp_path / "c.csv").write_text(checklist)
    config = tmp_path / "c.yaml"
    config.write_text(
        extra + "as_of: '2016-06-30'\n"
        "tickets:\n  - {name: sn, path: t.csv, date_order: dayfirst}\n"
        "checklist: {path: c.csv}\n"
        "criteria:\n"
        + "".join(
            f"  {c}: {{enabled: false}}\n"
            for c in [
                "availability",
                "latency_p95",
                "throughput",
                "error_rate",
                "auth_success",
                "mttd",
                "mttr",
                "incident_response",
                "first_response",
                "resolution_p1",
                "resolution_p2",
                "resolution_p3",
                "csat",
                "escalation_rate",
                "adoption",
                "feature_utilisation",
                "time_to_first_value",
            ]
        )
        + "  resolution_p4: {target: 50, alert: 40}\n"
    )
    return config


def _tickets(rows: int, bad: int) -> str:
    # Opened 10-29 June: the export reaches the day before the decision time (an
    # export that ends more than max_data_age before it is stale, hence NO DATA).
    good = [
        f"INC{i},Closed,4 - Low,{10 + i % 20}/6/2016 10:00,{10 + i % 20}/6/2016 11:00,"
        f"{10 + i % 20}/6/2016 12:00,G\n"
        for i in range(rows)
    ]
    broken = [f"BAD{i},Closed,4 - Low,not a date,x,x,G\n" for i in range(bad)]
    return HEADER + "".join(good + broken)


GOOD_ITEM = "DR tested,infra,Ops,done,https://x,2016-06-20\n"


def test_clean_evidence_can_give_go(tmp_path: Path) -> None:
    report = build_go_no_go(
        _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    )
    assert report.decision is Decision.GO


def test_a_source_with_many_rejected_rows_is_no_data(tmp_path: Path) -> None:
    report = build_go_no_go(
        _config(tmp_path, _tickets(20, 10), CHECKLIST_HEADER + GOOD_ITEM)
    )
    result = next(
        r for r in report.results if r.criterion.criterion_id == "resolution_p4"
    )
    assert result.status is Status.NO_DATA
    assert "10 of 30 rows of source 'sn' (33%) were rejected" in result.detail
    assert report.decision is Decision.NO_GO


def test_the_rejected_share_limit_is_configurable(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        _tickets(20, 10),
        CHECKLIST_HEADER + GOOD_ITEM,
        "max_rejected_ratio: 0.5\n",
    )
    assert build_go_no_go(config).decision is Decision.GO


def test_an_unreadable_checklist_row_blocks_go(tmp_path: Path) -> None:
    checklist = CHECKLIST_HEADER + GOOD_ITEM + "Load test,apps,Perf,maybe,,2016-06-28\n"
    config = _config(tmp_path, _tickets(20, 0), checklist, "max_rejected_ratio: 1\n")
    report = build_go_no_go(config)
    unreadable = [r for r in report.results if "unreadable" in r.criterion.title]
    assert len(unreadable) == 1
    assert unreadable[0].status is Status.NO_DATA
    assert "maybe" in unreadable[0].detail
    assert report.decision is Decision.NO_GO
    assert "Checklist row 3 (unreadable)" in report.checklist()._repr_html_()


def test_an_ambiguous_decision_time_from_python_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    with pytest.raises(ConfigError, match="either way round"):
        build_go_no_go(config, as_of="03/04/2026")


def test_tickets_changed_after_the_decision_time_are_named() -> None:
    from analytics.evidence import _later_than
    from analytics.frames import LoadResult, empty_rejected

    at = pd.Timestamp("2026-03-02T00:00Z")
    frame = pd.DataFrame(
        {
            "created_at": pd.to_datetime(
                ["2026-02-20", "2026-02-20", "2026-03-05"], utc=True
            ),
            "first_resolved_at": pd.to_datetime(
                ["2026-02-21", "2026-03-04", None], utc=True
            ),
            "resolved_at": pd.to_datetime(
                ["2026-02-21", "2026-03-04", "2026-03-06"], utc=True
            ),
            "closed_at": pd.Series([pd.NaT] * 3, dtype="datetime64[us, UTC]"),
        }
    )
    load = LoadResult(frame, empty_rejected(), "t.csv", "tickets", 3, 3)
    (note,) = _later_than(load, at)
    assert note.startswith("1 tickets opened by the decision time were resolved")
    assert _later_than(load, pd.Timestamp("2026-03-10T00:00Z")) == []


def test_the_decision_box_names_the_criteria_switched_off(tmp_path: Path) -> None:
    """A GO over a config that disabled most of the launch plan says so at the top."""
    report = build_go_no_go(
        _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    )
    assert report.decision is Decision.GO
    summary = report.decision_summary().markup
    assert f"Not judged ({len(report.excluded)}):" in summary
    assert "Availability" in summary and "(availability)" in summary


def test_with_every_criterion_off_the_box_says_why_no_go(tmp_path: Path) -> None:
    config = _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    text = config.read_text().replace(
        "  resolution_p4: {target: 50, alert: 40}\n",
        "  resolution_p4: {enabled: false}\n",
    )
    config.write_text(text.replace("checklist: {path: c.csv}\n", ""))
    report = build_go_no_go(config)
    assert report.decision is Decision.NO_GO
    assert "No criterion was evaluated" in report.decision_summary().markup


def test_a_no_data_value_is_not_shown_as_measured(tmp_path: Path) -> None:
    report = build_go_no_go(
        _config(tmp_path, _tickets(20, 10), CHECKLIST_HEADER + GOOD_ITEM)
    )
    frame = report.criteria_frame().set_index("id")
    assert frame.loc["resolution_p4", "status"] == "NO DATA"
    assert frame.loc["resolution_p4", "value"] == "—"


def test_rows_set_aside_after_the_decision_time_are_counted_apart() -> None:
    from analytics.frames import LoadResult

    rejected = pd.DataFrame(
        {
            "source_file": ["e.csv"] * 4,
            "row_number": [2, 3, 3, 4],
            "column": ["sys_updated_at", "sys_updated_at", "opened_at", "opened_at"],
            "value": ["x"] * 4,
            # Row 3 is also bad on its own, so it is a rejected row, not set aside.
            "reason_code": [
                "after_decision_time",
                "after_decision_time",
                "unparseable_date",
                "unparseable_date",
            ],
            "message": ["m"] * 4,
        }
    )
    load = LoadResult(pd.DataFrame(), rejected, "e.csv", "tickets", 5, 2)
    assert (load.rows_rejected, load.rows_set_aside) == (3, 1)


def test_a_decision_time_in_the_future_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    with pytest.raises(ConfigError, match=r"in the future.*does not exist yet"):
        build_go_no_go(config, as_of="2999-01-01")


def test_a_go_without_a_checklist_says_no_sign_off_was_judged(tmp_path: Path) -> None:
    config = _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    text = config.read_text().replace("checklist: {path: c.csv}\n", "")
    config.write_text(text)
    report = build_go_no_go(config)
    assert report.decision is Decision.GO
    assert "No launch checklist" in report.decision_summary()._repr_html_()
    assert report.run_record()["checklist_configured"] is False
    with_checklist = _config(tmp_path, _tickets(20, 0), CHECKLIST_HEADER + GOOD_ITEM)
    assert build_go_no_go(with_checklist).run_record()["checklist_configured"] is True
