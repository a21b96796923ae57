"""The post-launch review: success criteria, sections and the rendered notebook."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import ConfigError, InputError
from analytics.readiness import Status
from analytics.report.go_no_go import COMPLETION_MARKER
from analytics.report.post_launch import PostLaunchReport, build_post_launch
from analytics.report.render import render_report

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "readiness.yaml"


@pytest.fixture(scope="module")
def demo() -> PostLaunchReport:
    return build_post_launch(DEMO, "2016-04-01", 28)


def _result(report: PostLaunchReport, crit_id: str) -> tuple[Status, float | None, str]:
    found = next(r for r in report.results if r.criterion.criterion_id == crit_id)
    return found.status, found.value, found.detail


def test_demo_success_criteria_on_real_servicenow_tickets(
    demo: PostLaunchReport,
) -> None:
    # Five P1 incidents were opened on 2016-04-01 in the public ServiceNow log.
    status, value, detail = _result(demo, "critical_incidents_24h")
    assert status is Status.FAIL
    assert value == 5
    assert "INC0013776" in detail

    # 22 of the 28 review days fall inside the 5th–95th percentile range.
    status, value, _ = _result(demo, "ticket_volume")
    assert status is Status.FAIL
    assert value == pytest.approx(100 * 22 / 28)

    # No evaluator or no source: NO DATA with the reason, never an exception.
    for crit_id in ("auth_success", "latency_p95", "adoption_first_week", "csat"):
        status, value, detail = _result(demo, crit_id)
        assert status is Status.NO_DATA and value is None and detail
    assert demo.outcome == "FAIL"


def test_demo_sections_render_without_errors(demo: PostLaunchReport) -> None:
    summary = demo.decision_summary().markup
    assert "Post-launch review" in summary and "Launch FAIL" in summary
    assert "No critical incident in the first 24 h" in summary

    first_day = demo.stabilisation().markup
    assert "444 tickets opened in every ticket source, 5 of them P1" in first_day
    assert "2016-04-01 00:00 to 2016-04-02 00:00 UTC" in first_day
    assert "plotly-graph-div" in first_day

    impact = demo.impact_frame()
    assert set(impact["priority"]) <= {"P1", "P2"}
    assert impact["requests_failed"].isna().all()  # no request counters in the demo

    # The demo's metrics are from 2019: every rollback trigger is NO DATA, said so.
    assert {str(c.status) for c in demo.rollback_checks()} == {"NO DATA"}
    assert "no good/total request counters" in demo.rollback_triggers().markup
    assert "No disaster-recovery drill records" in demo.dr_drills().markup
    assert any("FAILED" in item for item in demo.lesson_items())


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    (tmp_path / "checklist.csv").write_text(
        "item,area,owner,status,evidence,date,blocking\n"
        "Orders flow end to end,business process,Ops,done,https://x/1,2026-03-10,true\n"
        "Invoices <b>sent</b>,business process,Finance,done,https://x/2,2026-03-12,true\n"
        "Runbooks reviewed,support,Desk,done,https://x/3,2026-02-20,true\n",
        "utf-8",
    )
    (tmp_path / "drills.csv").write_text(
        "drill,failover_start,failover_end,last_good_backup,rto_minutes,rpo_minutes\n"
        "db failover,2026-03-05T10:00:00Z,2026-03-05T10:45:00Z,2026-03-05T09:40:00Z,60,15\n"
        "region,2026-03-12T10:00:00Z,2026-03-12T12:30:00Z,2026-03-12T09:55:00Z,,\n",
        "utf-8",
    )
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "report: {service: Shop}\n"
        "checklist: {path: checklist.csv, max_age_days: 30}\n"
        "post_launch:\n"
        "  drills: drills.csv\n"
        "  rto: 2h\n"
        "  rpo: 30m\n"
        "  criteria:\n"
        "    csat: {target: 4.2}\n"
        "    latency_p95: {enabled: false}\n",
        "utf-8",
    )
    return config


def test_small_config_hand_checked(small_config: Path, tmp_path: Path) -> None:
    report = build_post_launch(small_config, "2026-03-01", 14)
    assert report.review_end == pd.Timestamp("2026-03-15", tz="UTC")
    ids = [r.criterion.criterion_id for r in report.results]
    assert "latency_p95" not in ids
    assert (
        next(
            r for r in report.results if r.criterion.criterion_id == "csat"
        ).criterion.target
        == 4.2
    )

    status, value, detail = _result(report, "business_processes")
    assert status is Status.PASS and value == 100
    assert "2 of 2" in detail

    drills = report.drills_frame()
    # db failover: 45 min to recover (RTO 60), 20 min of data lost (RPO 15) -> FAIL.
    # region: 150 min to recover against the default 2 h, 5 min lost within 30 -> FAIL.
    assert drills["rto_achieved_minutes"].tolist() == [45.0, 150.0]
    assert drills["rpo_achieved_minutes"].tolist() == [20.0, 5.0]
    assert drills["rto_minutes"].tolist() == [60.0, 120.0]
    assert drills["status"].tolist() == ["FAIL", "FAIL"]
    assert "data loss window 20 min, objective 15" in drills.loc[0, "detail"]

    # Sections without sources say so; data strings are escaped.
    assert "No ticket source" in report.customer_impact().markup
    assert "no ticket source configured" in report.success_criteria().markup
    assert "<b>sent</b>" not in report.data_inventory().markup
    lessons = report.lessons().markup
    assert "DR drill" in lessons and "not measured" in lessons
    assert report.outcome == "FAIL"

    # Changes since go / no-go, from a hand-made baseline run.json.
    baseline = tmp_path / "run.json"
    baseline.write_text(
        json.dumps(
            {
                "report": "go-no-go",
                "service": "Shop",
                "decision": "GO",
                "as_of": "2026-02-27T00:00:00+00:00",
                "criteria": [
                    {"id": "business_processes", "status": "NO DATA", "value": None},
                    {"id": "csat", "status": "PASS", "value": 4.6},
                ],
            }
        ),
        "utf-8",
    )
    again = build_post_launch(small_config, "2026-03-01", 14, str(baseline))
    changes = again.changes_since_go_no_go().markup
    assert "decision <b>GO</b>" in changes
    assert "changed status" in changes and "not checked" in changes
    assert "Read with care" not in changes
    assert again.run_record()["baseline_warnings"] == []
    assert (
        again.run_record()["baseline_sha256"]
        == hashlib.sha256(baseline.read_bytes()).hexdigest()
    )
    with pytest.raises(ConfigError, match=r"no\.json: cannot read it as a run\.json"):
        build_post_launch(small_config, "2026-03-01", 14, str(tmp_path / "no.json"))

    # A run taken after go-live is compared, with a warning in the section and run.json.
    late = json.loads(baseline.read_text("utf-8"))
    baseline.write_text(json.dumps({**late, "as_of": "2026-03-05T00:00:00Z"}), "utf-8")
    changes = again.changes_since_go_no_go().markup
    assert "Read with care: The go / no-go run is as of 2026-03-05 00:00 UTC" in changes
    assert "after go-live" in again.run_record()["baseline_warnings"][0]

    # A run of another service is refused before any data is read.
    baseline.write_text(json.dumps({**late, "service": "Desk"}), "utf-8")
    with pytest.raises(ConfigError, match=r"of service 'Desk'.*of service 'Shop'"):
        build_post_launch(small_config, "2026-03-01", 14, str(baseline))
    assert "Cannot compare" in again.changes_since_go_no_go().markup


def test_notebook_renders_offline_with_every_chart(tmp_path: Path) -> None:
    outcome = render_report(
        ROOT / "notebooks" / "post_launch_review.ipynb",
        kind="post-launch",
        parameters={
            "config": str(DEMO),
            "go_live": "2016-04-01T00:00:00Z",
            "review_days": 28,
            "baseline_run": "",
        },
        out_root=tmp_path,
        as_of_label=pd.Timestamp("2016-04-29", tz="UTC").to_pydatetime(),
    )
    html = outcome.html_path.read_text("utf-8")
    assert COMPLETION_MARKER in html
    assert "Post-launch review" in html
    divs = html.count('<div class="plotly-graph-div"')
    assert divs >= 2
    assert len(re.findall(r"Plotly\.newPlot\(", html)) >= divs
    assert not re.search(r"<script[^>]*src=['\"]?https?:", html)
    assert "build_post_launch" not in html  # no code in the published report
    record = json.loads(outcome.run_json_path.read_text("utf-8"))
    assert record["report"] == "post-launch"
    assert record["decision"] == outcome.decision == "FAIL"
    assert record["go_live"] == "2016-04-01T00:00:00+00:00"


def test_a_bad_success_criterion_override_is_one_line_naming_it(
    small_config: Path,
) -> None:
    text = small_config.read_text("utf-8").replace(
        "csat: {target: 4.2}", "csat: {target: high, alert: [1]}"
    )
    small_config.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        build_post_launch(small_config, "2026-03-01", 14)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("post_launch.criteria.csat: target:")
    assert "alert:" in message


def test_run_record_names_the_report_for_the_index(small_config: Path) -> None:
    record = build_post_launch(small_config, "2026-03-01", 14).run_record()
    assert record["title"] == "Post-launch review — Shop"
    assert record["service"] == "Shop"


def test_switched_off_success_criteria_are_named_not_hidden(small_config: Path) -> None:
    # Found by a fresh-user test: "Launch PASS ... of 5 success criteria" with the
    # criteria switched off named nowhere (the go/no-go report lists them).
    report = build_post_launch(small_config, "2026-03-01", 14)
    assert report.excluded == ["latency_p95"]
    assert report.run_record()["excluded_criteria"] == ["latency_p95"]
    assert "Not judged (1):" in report.decision_summary().markup
    assert "latency_p95" not in {r.criterion.criterion_id for r in report.results}


def test_a_review_whose_window_is_not_over_says_interim(small_config: Path) -> None:
    now = pd.Timestamp.now(tz="UTC").floor("D")
    going = build_post_launch(
        small_config, (now - pd.Timedelta(days=2)).isoformat(), 14
    )
    assert going.is_interim() and going.run_record()["interim"] is True
    assert "Interim review:" in going.decision_summary().markup
    done = build_post_launch(small_config, "2026-03-01", 14)
    assert not done.is_interim()
    assert "Interim review:" not in done.decision_summary().markup


def test_availability_from_an_error_counter_is_bad_over_total(tmp_path: Path) -> None:
    # Hourly counters over the first 3 days: 1,000 requests an hour and 1 error
    # an hour, except 600 errors by the 13:00 reading of day 2. An increase
    # belongs to the period of its later reading: 13:00-14:00.
    hours = pd.date_range("2026-03-01", periods=73, freq="1h", tz="UTC")
    spike = hours.get_loc(pd.Timestamp("2026-03-02T13:00Z"))
    errors = [float(i + (599 if i >= spike else 0)) for i in range(len(hours))]
    rows = ["timestamp,metric,value"]
    rows += [
        f"{t:%Y-%m-%dT%H:%M:%SZ},requests_total,{1000 * i}" for i, t in enumerate(hours)
    ]
    (tmp_path / "requests.csv").write_text("\n".join(rows) + "\n", "utf-8")
    rows = ["timestamp,metric,value"]
    rows += [
        f"{t:%Y-%m-%dT%H:%M:%SZ},errors_total,{e:g}"
        for t, e in zip(hours, errors, strict=True)
    ]
    (tmp_path / "errors.csv").write_text("\n".join(rows) + "\n", "utf-8")
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "report: {service: Shop}\n"
        "metrics:\n"
        "  - {name: errors, path: errors.csv, format: csv}\n"
        "  - {name: requests, path: requests.csv, format: csv}\n"
        "criteria:\n"
        "  availability: {source: errors, total_source: requests}\n"
        "post_launch: {rollback_window: 1h}\n",
        "utf-8",
    )
    report = build_post_launch(config, "2026-03-01", 3)
    checks = {check.name: check for check in report.rollback_checks()}
    rate = checks["Error rate"].values.set_index("period_start")["value"]
    assert rate[pd.Timestamp("2026-03-02T13:00Z")] == pytest.approx(60.0)
    assert rate[pd.Timestamp("2026-03-02T12:00Z")] == pytest.approx(0.1)
    availability = checks["Availability"].values.set_index("period_start")["value"]
    assert availability[pd.Timestamp("2026-03-02T13:00Z")] == pytest.approx(40.0)
    assert checks["Error rate"].status is Status.FAIL


def test_bad_drill_cells_are_rejected_with_reasons(tmp_path: Path) -> None:
    """30m, 1,5 and -5 are never read as the default objective or accepted."""
    (tmp_path / "drills.csv").write_text(
        "drill,failover_start,failover_end,last_good_backup,rto_minutes,rpo_minutes\n"
        "db,2026-03-10T10:00:00Z,2026-03-10T12:00:00Z,2026-03-10T09:50:00Z,30m,15\n"
        'region,2026-03-12T10:00:00Z,2026-03-12T10:20:00Z,2026-03-12T08:00:00Z,60,"1,5"\n'
        "zero,2026-03-15T10:00:00Z,2026-03-15T10:05:00Z,2026-03-15T10:00:00Z,-5,0\n"
        "late,2026-03-15T10:00:00Z,2026-03-15T09:05:00Z,2026-03-15T10:30:00Z,,\n"
        "ok,2026-03-15T10:00:00Z,2026-03-15T10:05:00Z,2026-03-15T10:00:00Z,,\n",
        "utf-8",
    )
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "report: {service: Shop}\npost_launch:\n  drills: drills.csv\n  rto: 45m\n",
        "utf-8",
    )
    report = build_post_launch(config, "2026-03-01", 28)

    drills = report.drills_frame()
    assert drills["drill"].tolist() == ["ok"]
    assert drills["rto_minutes"].tolist() == [45.0]  # the config's, for an empty cell
    assert drills["rpo_minutes"].tolist() == [60.0]  # the default 1h
    rejected = report.evidence.rejected()
    assert set(rejected["source"]) == {"drills"}
    reasons = rejected.groupby("row_number")["reason_code"].apply(set).to_dict()
    assert reasons == {
        2: {"bad_objective"},
        3: {"bad_objective"},
        4: {"negative_objective"},
        5: {"end_before_start", "backup_after_failover"},
    }
    assert rejected["row_time"].notna().all()
    record = report.run_record()
    entry = next(d for d in record["data"] if d["source"] == "drills")
    assert (entry["rows_in"], entry["rows_used"], entry["rows_rejected"]) == (5, 1, 4)
    assert entry["kind"] == "drills" and len(entry["sha256"]) == 64
    assert record["rejected_rows"] == 4
    section = report.dr_drills().markup
    assert "4 of 5 drill rows of drills.csv were rejected" in section
    assert "30m" in section and "not a number of minutes" in section
    assert any("could not be judged" in item for item in report.lesson_items())


def test_unreadable_drills_file_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "drills.csv").write_text(
        "drill,failover_start\nx,2026-03-10\n", "utf-8"
    )
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "report: {service: Shop}\npost_launch:\n  drills: drills.csv\n", "utf-8"
    )

    with pytest.raises(
        InputError, match=r"drills\.csv: lacks column\(s\) failover_end"
    ):
        build_post_launch(config, "2026-03-01", 28)


def _checklist_review(tmp_path: Path, rows: str) -> tuple[Status, str]:
    (tmp_path / "checklist.csv").write_text(
        "item,area,owner,status,evidence,date,blocking\n"
        "Orders flow end to end,business process,Ops,done,https://x/1,2026-03-10,true\n"
        + rows,
        "utf-8",
    )
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "report: {service: Shop}\n"
        "max_rejected_ratio: 0.9\n"  # one bad row of two is not a degraded file here
        "checklist: {path: checklist.csv, max_age_days: 30}\n",
        "utf-8",
    )
    report = build_post_launch(config, "2026-03-01", 14)
    status, _, detail = _result(report, "business_processes")
    return status, detail


def test_unreadable_business_process_row_is_no_data(tmp_path: Path) -> None:
    """A row rejected (status 'down') is a process not known to be up, not no row."""
    status, detail = _checklist_review(
        tmp_path, "Payroll run,business process,HR,down,https://x/2,2026-03-10,true\n"
    )
    assert status is Status.NO_DATA
    assert "row 3 ('Payroll run')" in detail and "status 'down'" in detail


def test_unreadable_row_of_unknown_area_is_no_data(tmp_path: Path) -> None:
    status, detail = _checklist_review(
        tmp_path, "Payroll run,,HR,down,https://x/2,2026-03-10,true\n"
    )
    assert status is Status.NO_DATA
    assert "row 3 ('Payroll run'), area unknown" in detail


def test_unreadable_row_of_another_area_does_not_count(tmp_path: Path) -> None:
    status, detail = _checklist_review(
        tmp_path, "Runbooks,support,Desk,down,https://x/3,2026-03-10,true\n"
    )
    assert status is Status.PASS, detail


def _incidents_review(tmp_path: Path, last_row: str) -> tuple[Status, str]:
    (tmp_path / "incidents.csv").write_text(
        "number,priority,incident_state,opened_at,resolved_at,closed_at\n"
        "INC1,4 - Low,Closed,2026-02-16 10:47,2026-02-18 03:13,2026-02-21 03:13\n"
        "INC2,3 - Moderate,Closed,2026-02-25 06:00,2026-02-25 14:55,2026-02-28 14:55\n"
        + last_row,
        "utf-8",
    )
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "report: {service: Shop}\n"
        "tickets:\n"
        "  - {name: incidents, path: incidents.csv, format: servicenow_csv}\n",
        "utf-8",
    )
    report = build_post_launch(config, "2026-03-02T09:00:00Z", 28)
    status, _, detail = _result(report, "critical_incidents_24h")
    return status, detail


def test_export_ending_before_go_live_is_no_evidence_for_the_first_day(
    tmp_path: Path,
) -> None:
    """Within max_data_age of the 24 h window's end, yet holding nothing about it."""
    status, detail = _incidents_review(tmp_path, "")
    assert status is Status.NO_DATA
    assert "source 'incidents' has no record from the window's start" in detail
    assert "2026-02-28 14:55 UTC" in detail


def test_export_with_records_in_the_window_is_evidence(tmp_path: Path) -> None:
    status, detail = _incidents_review(
        tmp_path,
        "INC3,4 - Low,Resolved,2026-03-02 12:00,2026-03-02 13:00,\n",
    )
    assert status is Status.PASS, detail
