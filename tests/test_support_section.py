"""The report's incident and support sections on small exports and on the demo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_evaluators_support import AS_OF, SN_RES, write_config

from analytics.report.go_no_go import GoNoGoReport, build_go_no_go
from analytics.report.html import Chart, Html
from analytics.report.support_section import (
    incidents_table,
    satisfaction,
    support_sla,
    support_window,
    ticket_volume_range,
)

SECTIONS = (incidents_table, support_sla, ticket_volume_range, satisfaction)


def text(markup: str) -> str:
    """Visible text of a table row sequence, cells joined by '|'."""
    return re.sub(r"(\s*\|\s*)+", "|", re.sub(r"<[^>]+>", "|", markup))


@pytest.fixture
def report(tmp_path: Path) -> GoNoGoReport:
    """Help-desk and PagerDuty tickets plus a survey, decided at AS_OF."""
    return build_go_no_go(write_config(tmp_path, pd_source=True, survey=True), AS_OF)


def test_window_is_longest_support_lookback(report: GoNoGoReport) -> None:
    start, end = support_window(report)
    # resolution criteria keep their 90-day default lookback
    assert (end - start).days == 90


def test_incidents_table_rows_and_no_data(report: GoNoGoReport) -> None:
    markup = incidents_table(report)._repr_html_()
    plain = text(markup)
    assert (
        "|MTTA (to acknowledge)|P1|measured|2|6.0 min|6.0 min|" in plain
    )  # Q1 2, Q3 10 min
    assert "|MTTD (to detect)|P1|NO DATA|0|" in plain
    assert "impact_started_at" in plain
    assert "mean time to detect: impact_started_at → detected_at" in markup


def test_data_strings_are_escaped(report: GoNoGoReport) -> None:
    for section in SECTIONS:
        out = section(report)
        markup = out._repr_html_()
        if isinstance(out, Html):
            assert "<script>alert" not in markup
            assert "<b>vip</b>" not in markup
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in incidents_table(report).markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in support_sla(report).markup
    assert "&lt;b&gt;vip&lt;/b&gt;" in satisfaction(report).markup


def test_support_sla_counts(report: GoNoGoReport) -> None:
    plain = text(support_sla(report).markup)
    # First response P2: T2 20 min (help desk) measured; PagerDuty has no first response.
    assert "|first response|P2|measured|15 min|1|20.0 min|" in plain
    # Resolution P2: T2 10 h breached the 8 h target; Q2 and Q4 (10, 15 min) within.
    assert "|resolution|P2|measured|8 h|3|" in plain
    row = re.search(
        r"\|resolution\|P2\|measured\|8 h\|3\|[^|]*\|[^|]*\|[^|]*\|(\d+)\|(\d+)\|",
        plain,
    )
    assert row is not None and row.groups() == ("2", "1")
    assert "Worst breaches" in plain
    assert "wall clock" in plain.lower()


def test_satisfaction_from_survey(report: GoNoGoReport) -> None:
    plain = text(satisfaction(report).markup)
    assert "|4|4.25|" in plain  # n and mean of 5, 5, 4, 3
    assert "75.0%" in plain
    assert "|4|2|1|1|25.0|" in plain  # NPS: 2 promoters, 1 passive, 1 detractor


def test_volume_chart(report: GoNoGoReport) -> None:
    chart = ticket_volume_range(report)
    assert isinstance(chart, Chart)
    assert "expected range" in chart.figure.layout.title.text


def test_no_survey_and_no_tickets_notes(tmp_path: Path) -> None:
    helpdesk = build_go_no_go(
        write_config(tmp_path, pd_source=False, survey=False), AS_OF
    )
    markup = satisfaction(helpdesk).markup
    assert "No survey source is configured" in markup
    assert "not a survey" in markup
    empty = tmp_path / "empty.yaml"
    empty.write_text("criteria: {}\n", "utf-8")
    nothing = build_go_no_go(empty, AS_OF)
    for section in SECTIONS:
        out = section(nothing)
        assert isinstance(out, Html)
        assert "No " in out.markup


def test_demo_sections_render(demo_dir: Path) -> None:
    demo = build_go_no_go(demo_dir / "readiness.yaml", "2016-06-30")
    incidents = incidents_table(demo).markup
    assert "NO DATA" in incidents and "ServiceNow CSV export" in incidents
    sla = support_sla(demo).markup
    assert "do not record when support first responded" in sla
    # Without first responses in the export, no ticket is a first-response breach.
    assert "|first response|INC" not in text(sla)
    assert isinstance(ticket_volume_range(demo), Chart)
    assert "No survey source is configured" in satisfaction(demo).markup


def test_cancelled_and_unknown_tickets_are_not_open_breaches(tmp_path: Path) -> None:
    (tmp_path / "sn_res.csv").write_text(SN_RES, "utf-8")
    config = tmp_path / "sn_res.yaml"
    config.write_text(
        "tickets:\n  - {name: sn, path: sn_res.csv, format: servicenow_csv,"
        " date_order: dayfirst}\ncriteria: {}\n",
        "utf-8",
    )
    report = build_go_no_go(config, "2026-03-02T08:00:00Z")
    plain = text(support_sla(report).markup)
    assert "1 cancelled ticket(s) are left out of resolution (INC005)." in plain
    assert "2 ticket(s) ended without a resolution time" in plain
    assert "not measured and not open (INC002, INC003)" in plain
    # Breaches: no resolution breach at all (INC002, INC003 unknown, INC005
    # cancelled; the rest within target); first responses are not recorded.
    assert "No ticket breached its target." in plain
    # Resolution P1: INC001 measured (1 h), INC002 not measured; INC005 left out.
    assert "|resolution|P1|measured|2 h|1|" in plain
    incidents = text(incidents_table(report).markup)
    # MTTR (to resolve) P1: INC001 only; INC002 not measurable; INC005 cancelled.
    assert "|MTTR (to resolve)|P1|measured|1|1.0 h|1.0 h|1.0 h|1|1|" in incidents
    resolution = text(report.resolution().markup)
    # Priority, target, opened, resolved, unresolved, unknown, pending, cancelled.
    assert "|P1|2|2|1|1|1|0|1|1|50.0%|" in resolution
