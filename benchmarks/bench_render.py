"""Benchmark: ``make demo``'s report rendering against the papermill + nbconvert floor.

Not a timed test. Run::

    .venv/bin/python benchmarks/bench_render.py --repeat 3

Each side runs in this process, one after the other, ``--repeat`` times:

* ``floor``: papermill executes an empty notebook (one parameters cell) with
  the same ``python3`` kernel, then nbconvert exports it to HTML with the
  same exporter settings — the cost no report can avoid;
* ``floor + imports``: the same notebook with one more cell that imports
  what every report needs before it reads any evidence (pandas, plotly and
  this package's report modules) — when it alone is above 2× the floor, no
  report can meet that goal, whatever its own code does;
* the three reports ``make demo`` renders, through
  :func:`analytics.report.render.render_report` exactly as the CLI calls it:
  the go/no-go on the real public data (141,712 ServiceNow rows, 54,712
  samples), the go/no-go of the generated scenario, and the scenario's
  28-day post-launch review.

Printed per report: median seconds, the ratio report / floor (goal ≤ 2), the
HTML size (goal under 6 MB, plotly.js included once) and where the time went
inside the kernel (papermill's per-cell durations: importing the package,
building the report — reading and evaluating the evidence — and drawing the
sections), so that the distance to the goal can be read off. With
``--markdown FILE`` the table is also written there.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import papermill
from nbformat.v4 import new_code_cell, new_notebook

from analytics.report.render import default_notebook, export_html, render_report

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_GO_LIVE = "2026-03-02T09:00:00+00:00"


@dataclass(frozen=True)
class Job:
    """One report of ``make demo``: notebook, parameters and as-of label."""

    name: str
    notebook: str
    kind: str
    parameters: dict[str, object]
    as_of: str


JOBS = (
    Job(
        "go/no-go, real public data",
        "go_no_go",
        "go-no-go",
        {
            "config": str(ROOT / "data" / "demo" / "readiness.yaml"),
            "as_of": "2016-06-30T00:00:00+00:00",
        },
        "2016-06-30T00:00:00+00:00",
    ),
    Job(
        "go/no-go, scenario",
        "go_no_go",
        "go-no-go",
        {"config": str(ROOT / "data" / "scenario" / "readiness.yaml"), "as_of": ""},
        SCENARIO_GO_LIVE,
    ),
    Job(
        "post-launch review, scenario",
        "post_launch_review",
        "post-launch",
        {
            "config": str(ROOT / "data" / "scenario" / "readiness.yaml"),
            "go_live": SCENARIO_GO_LIVE,
            "review_days": 28,
            "baseline_run": "",
        },
        "2026-03-30T09:00:00+00:00",
    ),
)


@dataclass
class Timings:
    """Seconds of each run of one report, its HTML size and kernel-side phases."""

    runs: list[float] = field(default_factory=list)
    html_bytes: int = 0
    phases: dict[str, list[float]] = field(default_factory=dict)

    def add_phases(self, notebook: Path) -> None:
        """Add papermill's per-cell durations, grouped by what the cell does."""
        executed = nbformat.read(notebook, as_version=4)
        sums = {"import": 0.0, "build": 0.0, "sections": 0.0}
        for cell in executed.cells:
            if cell.cell_type != "code":
                continue
            seconds = float(cell.metadata.get("papermill", {}).get("duration") or 0)
            if cell.source.lstrip().startswith(("from ", "import ")):
                sums["import"] += seconds
            elif "= build_" in cell.source:
                sums["build"] += seconds
            else:
                sums["sections"] += seconds
        for phase, seconds in sums.items():
            self.phases.setdefault(phase, []).append(seconds)


# The import cells of the report notebooks, as one cell.
REPORT_IMPORTS = (
    "import pandas, plotly\n"
    "from analytics.report.go_no_go import build_go_no_go\n"
    "from analytics.report import capacity_section, slo_section, support_section"
)


def _floor_once(folder: Path, *, imports: bool = False) -> float:
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    params = new_code_cell("config = ''")
    params.metadata["tags"] = ["parameters"]
    notebook.cells = [params]
    if imports:
        notebook.cells.append(new_code_cell(REPORT_IMPORTS))
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


def _report_once(job: Job, folder: Path, timings: Timings) -> None:
    started = time.perf_counter()
    outcome = render_report(
        default_notebook(job.notebook),
        kind=job.kind,
        parameters=dict(job.parameters),
        out_root=folder,
        as_of_label=pd.Timestamp(job.as_of),
    )
    timings.runs.append(time.perf_counter() - started)
    timings.html_bytes = outcome.html_bytes
    if outcome.notebook_path is not None:
        timings.add_phases(outcome.notebook_path)


def _table(floor: float, imports: float, results: dict[str, Timings]) -> list[str]:
    lines = [
        "| report | median s | × floor (goal ≤ 2) | HTML MB (goal < 6) "
        "| import s | build s | sections s | papermill + export s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| floor: empty notebook | {floor:.2f} | 1.00 | | | | | {floor:.2f} |",
        f"| floor + imports only | {imports:.2f} | {imports / floor:.2f} | | | | | |",
    ]
    for name, timing in results.items():
        median = statistics.median(timing.runs)
        phase = {k: statistics.median(v) for k, v in timing.phases.items()}
        rest = median - sum(phase.values())
        lines.append(
            f"| {name} | {median:.2f} | {median / floor:.2f} "
            f"| {timing.html_bytes / 1e6:.2f} | {phase.get('import', 0):.2f} "
            f"| {phase.get('build', 0):.2f} | {phase.get('sections', 0):.2f} "
            f"| {rest:.2f} |"
        )
    return lines


def main() -> None:
    """Render floor and reports ``--repeat`` times; print medians, ratios and sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--markdown", type=Path, help="also write the table to this Markdown file"
    )
    args = parser.parse_args()

    floors: list[float] = []
    with_imports: list[float] = []
    results = {job.name: Timings() for job in JOBS}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            floor_dir = Path(tmp) / f"floor{i}"
            floor_dir.mkdir()
            floors.append(_floor_once(floor_dir))
            imports_dir = Path(tmp) / f"imports{i}"
            imports_dir.mkdir()
            with_imports.append(_floor_once(imports_dir, imports=True))
            for job in JOBS:
                _report_once(job, Path(tmp) / "reports", results[job.name])

    floor = statistics.median(floors)
    lines = _table(floor, statistics.median(with_imports), results)
    print("\n".join(lines))
    print(
        "import = the package's import cell; build = reading and evaluating the"
        " evidence; sections = drawing the report; the last column is the rest"
        " (kernel start, papermill, nbconvert export, writing files)."
    )
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
