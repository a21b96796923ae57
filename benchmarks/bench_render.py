"""Benchmark: the go/no-go report's rendering against the papermill + nbconvert floor.

Not a timed test. Run::

    .venv/bin/python benchmarks/bench_render.py --repeat 3

Both sides run in this process, one after the other, the same number of times:

* ``floor``: papermill executes an empty notebook (one parameters cell) with
  the same ``python3`` kernel, then nbconvert exports it to HTML with the
  same exporter settings — the cost no report can avoid;
* ``report``: :func:`analytics.report.render.render_report` on the bundled
  demo config, which also reads 141,712 ServiceNow rows and 54,712 samples,
  evaluates the criteria and writes run.json.

Printed: median seconds of each, the ratio report / floor (goal ≤ 2) and the
HTML size in MiB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import papermill
from nbformat.v4 import new_code_cell, new_notebook

from analytics.report.render import default_notebook, export_html, render_report

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "demo" / "readiness.yaml"


def _floor_once(folder: Path) -> float:
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    params = new_code_cell("config = ''")
    params.metadata["tags"] = ["parameters"]
    notebook.cells = [params]
    source = folder / "empty.ipynb"
    nbformat.write(notebook, source)

    started = time.perf_counter()
    papermill.execute_notebook(
        str(source),
        str(folder / "out.ipynb"),
        kernel_name="python3",
        progress_bar=False,
    )
    html = export_html(nbformat.read(folder / "out.ipynb", as_version=4))
    (folder / "out.html").write_text(html, "utf-8")
    return time.perf_counter() - started


def _report_once(folder: Path) -> tuple[float, int]:
    started = time.perf_counter()
    outcome = render_report(
        default_notebook("go_no_go"),
        kind="go-no-go",
        parameters={"config": str(CONFIG), "as_of": "2016-06-30T00:00:00+00:00"},
        out_root=folder,
        as_of_label=pd.Timestamp("2016-06-30", tz="UTC"),
    )
    return time.perf_counter() - started, outcome.html_bytes


def main() -> None:
    """Run both sides ``--repeat`` times and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    floors, reports, size = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            floor_dir = Path(tmp) / f"floor{i}"
            floor_dir.mkdir()
            floors.append(_floor_once(floor_dir))
            seconds, size = _report_once(Path(tmp) / "reports")
            reports.append(seconds)

    floor, report = statistics.median(floors), statistics.median(reports)
    print(f"floor (papermill + nbconvert, empty notebook): {floor:6.2f} s median")
    print(f"go/no-go report on the demo data:             {report:6.2f} s median")
    print(f"ratio report / floor: {report / floor:.2f} (goal <= 2)")
    print(f"HTML size: {size / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
