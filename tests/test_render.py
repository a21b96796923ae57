"""Render the go/no-go notebook for real (papermill + nbconvert) and inspect the output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analytics.errors import RenderError
from analytics.report.render import default_notebook, render_report

pytestmark = pytest.mark.slow


def _render(demo_dir: Path, out: Path, as_of: str):  # type: ignore[no-untyped-def]
    return render_report(
        default_notebook("go_no_go"),
        kind="go-no-go",
        parameters={"config": str(demo_dir / "readiness.yaml"), "as_of": as_of},
        out_root=out,
        as_of_label=pd.Timestamp(as_of),
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("reports")
    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    return _render(demo, out, "2016-06-30T00:00:00+00:00"), out


def test_report_is_published_with_decision_and_marker(rendered) -> None:  # type: ignore[no-untyped-def]
    outcome, _ = rendered
    html = outcome.html_path.read_text("utf-8")
    assert outcome.decision in ("GO", "GO WITH CONDITIONS", "NO-GO")
    assert f">{outcome.decision}</div>" in html
    assert 'data-marker="analytics-report-complete"' in html
    record = json.loads(outcome.run_json_path.read_text("utf-8"))
    assert record["decision"] == outcome.decision
    assert record["title"] and record["service"]
    # The browser tab and a saved PDF are named after the report, not "Notebook".
    assert f"<title>{record['title']} — {outcome.decision} — " in html
    assert record["outputs"]["html"] == "report.html"
    # The notebook that made the report is recorded with its hash (--notebook).
    assert record["notebook"]["path"].endswith("go_no_go.ipynb")
    assert len(record["notebook"]["sha256"]) == 64
    # The executed notebook may hold raw data: it is kept apart, under private/.
    assert record["outputs"]["notebook"] == "private/report.ipynb"
    assert outcome.notebook_path == outcome.run_dir / "private" / "report.ipynb"
    assert outcome.notebook_path.is_file()
    assert not (outcome.run_dir / "report.ipynb").exists()
    assert {c["status"] for c in record["criteria"]} <= {
        "PASS",
        "WARN",
        "FAIL",
        "NO DATA",
    }
    assert (outcome.run_dir / "rejected_rows.csv").is_file()


def test_every_chart_is_html_with_plotly_inline_once(rendered) -> None:  # type: ignore[no-untyped-def]
    outcome, _ = rendered
    html = outcome.html_path.read_text("utf-8")
    chart_divs = re.findall(r'<div class="plotly-graph-div" id="(rr-chart-\d+)"', html)
    assert len(chart_divs) >= 2
    for div_id in chart_divs:
        assert re.search(r'Plotly\.newPlot\(\s*"' + div_id + '"', html), div_id
    # plotly.js itself is inline exactly once, and no output fell back to JSON only.
    assert html.count("plotly.js v") == 1
    assert "application/vnd.plotly.v1+json" not in html
    # ... and it is added at export: the executed notebook, saved by papermill
    # after every cell, carries none of it.
    assert "plotly.js v" not in outcome.notebook_path.read_text("utf-8")


def test_notebook_run_in_jupyterlab_exports_with_plotly_once() -> None:
    """A notebook executed outside the renderer carries plotly.js with its first chart."""
    import plotly.graph_objects as go

    from analytics.report.html import Chart
    from analytics.report.render import export_html

    charts = [
        Chart(
            go.Figure(go.Bar(x=["a"], y=[1])), include_plotlyjs=i == 0, div_id=f"c{i}"
        )
        for i in range(2)
    ]
    cell = new_code_cell("chart")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": c._repr_html_(), "text/plain": "chart"}
        )
        for c in charts
    ]
    notebook = new_notebook(cells=[cell])
    assert export_html(notebook).count("plotly.js v") == 1


def test_html_loads_nothing_from_a_network(rendered) -> None:  # type: ignore[no-untyped-def]
    html = rendered[0].html_path.read_text("utf-8")
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", html, re.IGNORECASE)


def test_html_shows_no_code(rendered) -> None:  # type: ignore[no-untyped-def]
    html = rendered[0].html_path.read_text("utf-8")
    assert "build_go_no_go" not in html
    assert "report.decision_summary()" not in html
    assert 'class="jp-CodeMirrorEditor' not in html
    assert 'class="highlight' not in html


def test_each_run_gets_its_own_folder(rendered, demo_dir: Path) -> None:  # type: ignore[no-untyped-def]
    first, out = rendered
    second = _render(demo_dir, out, "2016-06-30T00:00:00+00:00")
    assert second.run_dir != first.run_dir
    assert first.html_path.is_file() and second.html_path.is_file()
    assert not list(out.glob(".incomplete-*"))


def _notebook(tmp_path: Path, *sources: str) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = new_code_cell('config = ""\nas_of = ""\nrun_dir = ""\nrun_token = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(new_code_cell(s) for s in sources)]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (("import sys; sys.exit(0)", "print('never')"), "SystemExit"),
        (("print('a report that forgot to finish')",), "completion marker"),
    ],
)
def test_truncated_notebook_is_not_published(
    tmp_path: Path, cells: tuple[str, ...], message: str
) -> None:
    path = _notebook(tmp_path, *cells)
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=message):
        render_report(
            path,
            kind="t",
            parameters={},
            out_root=out,
            as_of_label=pd.Timestamp("2016-01-01"),
        )
    assert not list(out.glob("**/report.html"))
    assert len(list(out.glob("*.failed"))) == 1


def test_failing_cell_is_not_published(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "raise ValueError('boom')")
    out = tmp_path / "out"
    with pytest.raises(RenderError, match="ValueError: boom") as info:
        render_report(
            path,
            kind="t",
            parameters={},
            out_root=out,
            as_of_label=pd.Timestamp("2016-01-01"),
        )
    assert info.value.cause_name == "ValueError"
    assert not list(out.glob("**/report.html"))


def test_unwritable_output_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    path = _notebook(tmp_path, "1")
    with pytest.raises(RenderError, match="cannot create the run folder"):
        render_report(
            path,
            kind="t",
            parameters={},
            out_root=blocker / "sub",
            as_of_label=pd.Timestamp("2016-01-01"),
        )


def test_table_of_contents_links_resolve(rendered) -> None:  # type: ignore[no-untyped-def]
    html = rendered[0].html_path.read_text("utf-8")
    contents = html.split('id="Contents"', 1)[1].split("</ul>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', contents)
    assert len(targets) >= 10
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    missing = [t for t in targets if t not in ids]
    assert not missing, missing
