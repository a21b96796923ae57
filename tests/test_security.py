"""Untrusted text is shown escaped in every report section; CSV exports defuse formulas.

Payloads go in through every text field a user or an export controls: the
report title and service, a criterion title, ServiceNow ``assignment_group``,
``category`` and (rejected) ``priority`` cells, and the checklist's ``item``,
``owner``, ``evidence`` and (rejected) ``status`` cells.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest

from analytics.report.go_no_go import GoNoGoReport, build_go_no_go

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_URL = "javascript:alert(1)"
PLOTLY_LINK = '<a href="javascript:alert(1)">x</a>'
PAYLOADS = (SCRIPT, IMG, JS_URL, PLOTLY_LINK)

FORMULAS = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)")

SECTIONS = (
    "decision_summary",
    "criteria_table",
    "availability",
    "resolution",
    "resolution_chart",
    "ticket_volume",
    "checklist",
    "data_inventory",
    "run_metadata",
)


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _write_inputs(folder: Path) -> Path:
    header = "number,priority,incident_state,opened_at,resolved_at,assignment_group,category\n"
    rows = []
    for index, payload in enumerate(PAYLOADS, start=1):
        for priority in ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low"):
            number = f"INC{index}{priority[0]}"
            rows.append(
                ",".join(
                    [
                        number,
                        priority,
                        "Closed",
                        f"2016-06-{10 + index:02d} 08:00:00",
                        f"2016-06-{10 + index:02d} 09:30:00",
                        _csv_cell(payload),
                        _csv_cell(payload),
                    ]
                )
            )
    # Rejected rows: their values are shown in the report and written to
    # rejected_rows.csv.
    for index, value in enumerate((*PAYLOADS, *FORMULAS), start=1):
        rows.append(
            f"BAD{index},{_csv_cell(value)},Closed,2016-06-20 08:00:00,"
            f"2016-06-20 09:00:00,{_csv_cell(SCRIPT)},x"
        )
    (folder / "incidents.csv").write_text(header + "\n".join(rows) + "\n", "utf-8")

    checklist = ["item,area,owner,status,evidence,date,blocking"]
    for payload in PAYLOADS:
        checklist.append(
            ",".join(
                [
                    _csv_cell(payload),
                    _csv_cell(payload),
                    _csv_cell(payload),
                    "done",
                    _csv_cell(payload),
                    "2016-06-25",
                    "true",
                ]
            )
        )
    checklist.append(
        f"Launch review,ops,{_csv_cell(IMG)},done,{JS_URL},2016-06-25,true"
    )
    for value in (SCRIPT, *FORMULAS):
        checklist.append(
            f"Rejected item,ops,someone,{_csv_cell(value)},https://e.org,2016-06-25,"
        )
    (folder / "checklist.csv").write_text("\n".join(checklist) + "\n", "utf-8")

    config = folder / "readiness.yaml"
    config.write_text(
        f"""
report:
  title: {_yaml(SCRIPT + " " + PLOTLY_LINK)}
  service: {_yaml(IMG + " " + JS_URL)}
as_of: "2016-06-30T00:00:00Z"
tickets:
  - name: sn
    path: incidents.csv
    format: servicenow_csv
    date_order: iso
checklist:
  path: checklist.csv
  max_age_days: 30
criteria:
  xss_probe:
    kind: latency_p95
    title: {_yaml(SCRIPT + IMG + PLOTLY_LINK)}
    area: {_yaml(IMG)}
    unit: {_yaml(SCRIPT)}
    target: 1
""",
        "utf-8",
    )
    return config


def _yaml(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> GoNoGoReport:
    folder = tmp_path_factory.mktemp("xss")
    return build_go_no_go(_write_inputs(folder), as_of="2016-06-30T00:00:00Z")


_PLOTLY_LIBRARY = re.compile(
    r"<script[^>]*>(?:(?!</script>).)*plotly\.js v(?:(?!</script>).)*</script>",
    re.DOTALL,
)


def _markup(report: GoNoGoReport, section: str) -> str:
    shown = getattr(report, section)()
    text: str = shown._repr_html_()
    # plotly.js itself contains sanitiser code mentioning javascript: URLs;
    # only the report's own markup and figure data are checked.
    return _PLOTLY_LIBRARY.sub("<script>/*plotly.js*/</script>", text)


def _assert_inert(text: str, where: str) -> None:
    lowered = text.lower()
    assert "<script>alert" not in lowered, where
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered), where
    assert not re.search(r"<img\b", lowered), where
    assert not re.search(r"\bhref\s*=\s*[\"']?\s*javascript:", lowered), where
    assert not re.search(r"\bsrc\s*=\s*[\"']?\s*javascript:", lowered), where
    # Inside a chart's JSON, a raw "<a href=" would be drawn as a live link by plotly.
    assert not re.search(r"<a\s", lowered), where
    assert "\\u003ca href" not in lowered, where


@pytest.mark.parametrize("section", SECTIONS)
def test_section_shows_payloads_escaped(report: GoNoGoReport, section: str) -> None:
    _assert_inert(_markup(report, section), section)


def test_finish_marker_is_inert(report: GoNoGoReport) -> None:
    markup = report.finish(run_token=SCRIPT)._repr_html_()
    _assert_inert(markup, "finish")
    assert html.escape(SCRIPT) in markup


@pytest.mark.parametrize(
    ("section", "payload"),
    [
        ("decision_summary", SCRIPT),
        ("decision_summary", IMG),
        ("decision_summary", PLOTLY_LINK),
        ("criteria_table", SCRIPT + IMG + PLOTLY_LINK),
        ("checklist", SCRIPT),
        ("checklist", IMG),
        ("checklist", JS_URL),
        ("checklist", PLOTLY_LINK),
        ("data_inventory", SCRIPT),
        ("data_inventory", PLOTLY_LINK),
    ],
)
def test_payload_is_visible_in_escaped_form(
    report: GoNoGoReport, section: str, payload: str
) -> None:
    """Escaped, not dropped: the reader can see what the data said."""
    assert html.escape(payload, quote=True) in _markup(report, section)


def test_evidence_links_are_never_clickable_javascript(report: GoNoGoReport) -> None:
    markup = _markup(report, "checklist").lower()
    hrefs = re.findall(r"\bhref\s*=\s*[\"']?([^\"'\s>]*)", markup)
    assert all(not h.strip().startswith("javascript:") for h in hrefs), hrefs
    assert JS_URL in markup  # shown as text


def test_checklist_items_still_counted(report: GoNoGoReport) -> None:
    """Payload text is data, not a reason to drop an item."""
    assert report.evidence.checklist is not None
    assert report.evidence.checklist.rows_used == len(PAYLOADS) + 1
    assert report.evidence.checklist.rows_rejected == 1 + len(FORMULAS)


def test_rejected_rows_csv_neutralises_formulas(
    report: GoNoGoReport, tmp_path: Path
) -> None:
    report.finish(str(tmp_path))
    with (tmp_path / "rejected_rows.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert "value" in header
    values = [row[header.index("value")] for row in body]
    for formula in FORMULAS:
        assert "'" + formula in values, (formula, values)
    for row in body:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
    # Every formula payload was rejected in both files.
    assert len(body) == len(PAYLOADS) + len(FORMULAS) + 1 + len(FORMULAS)


# --- the same payloads through the go/no-go's support and the post-launch sections ------

POST_LAUNCH_SECTIONS = (
    "decision_summary",
    "success_criteria",
    "stabilisation",
    "whole_window",
    "changes_since_go_no_go",
    "customer_impact",
    "rollback_triggers",
    "dr_drills",
    "anomaly_review",
    "alert_noise",
    "lessons",
    "data_inventory",
    "run_metadata",
)


@pytest.fixture(scope="module")
def post_launch_report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from analytics.report.post_launch import build_post_launch

    folder = tmp_path_factory.mktemp("xss_post_launch")
    return build_post_launch(
        _write_inputs(folder), go_live="2016-06-01", review_days=28
    )


@pytest.mark.parametrize("section", POST_LAUNCH_SECTIONS)
def test_post_launch_section_shows_payloads_escaped(
    post_launch_report, section: str
) -> None:  # type: ignore[no-untyped-def]
    shown = getattr(post_launch_report, section)()
    text = _PLOTLY_LIBRARY.sub("<script>/*plotly.js*/</script>", shown._repr_html_())
    _assert_inert(text, section)


@pytest.mark.parametrize(
    "section", ["incidents_table", "support_sla", "ticket_volume_range", "satisfaction"]
)
def test_support_section_shows_payloads_escaped(
    report: GoNoGoReport, section: str
) -> None:
    from analytics.report import support_section

    shown = getattr(support_section, section)(report)
    text = _PLOTLY_LIBRARY.sub("<script>/*plotly.js*/</script>", shown._repr_html_())
    _assert_inert(text, section)


@pytest.mark.parametrize(
    "name", ["token", "PROMETHEUS_BEARER_TOKEN", "api_key", "password"]
)
def test_a_credential_passed_as_a_notebook_parameter_is_refused(name: str) -> None:
    # Papermill writes parameters into the executed notebook; `-p token ...`
    # was run without a word. The builders look at the notebook's namespace.
    from analytics.errors import ConfigError
    from analytics.report.post_launch import build_post_launch

    demo = str(Path(__file__).resolve().parents[1] / "data" / "demo" / "readiness.yaml")
    namespace = {
        "build_go_no_go": build_go_no_go,
        "build_post_launch": build_post_launch,
        "config": demo,
        "as_of": "",
        "run_token": "a-completion-marker-not-a-secret",
        name: "CANARY-SECRET",
    }
    for call in (
        "build_go_no_go(config, as_of)",
        "build_post_launch(config, '2016-04-01T00:00:00Z')",
    ):
        with pytest.raises(ConfigError) as caught:
            exec(call, namespace)  # the notebook's own call, as papermill runs it
        assert f"notebook variable {name!r} looks like a credential" in str(
            caught.value
        )
        assert "CANARY" not in str(caught.value)
