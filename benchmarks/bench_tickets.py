"""Benchmark: ticket load + collapse + KPI table on the ServiceNow event log, scaled.

Not a timed test. Run::

    .venv/bin/python benchmarks/bench_tickets.py            # ×2, a quick check
    .venv/bin/python benchmarks/bench_tickets.py --scale 100  # the issue's ≈14 M rows

The real public ServiceNow event log (141,712 rows, 24,918 incidents; from
``../shared/realdata/tickets/``, else the copy bundled in ``data/demo/``) is
repeated ``--scale`` times with incident numbers made unique (``INC…-k``),
written once as plain CSV, and three pipelines run on it, each in a fresh
child process so peak memory (max RSS) is measured per pipeline:

* ``package``: ``read_servicenow_csv`` (load, validate, collapse) then the
  incident, resolution and rate KPI tables of this package;
* ``naive``: a straightforward pandas version of the same KPIs (read every
  column, sort, take each ticket's last row, group by priority);
* ``scan``: the floor, reading only the needed columns once and nothing else.

Printed: seconds, peak MiB and the machine's 1-minute load average before and
after, per pipeline; ``naive / package`` (goal ≥ 5) and ``package / scan``
(goal ≤ 2).
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["main"]

_ROOT = Path(__file__).resolve().parents[1]
_SHARED = (
    _ROOT.parent / "shared" / "realdata" / "tickets" / "uci_incident_event_log.csv.gz"
)
REAL = (
    _SHARED
    if _SHARED.exists()
    else _ROOT / "data" / "demo" / "servicenow" / "incident_event_log.csv.gz"
)
NEEDED = [
    "number",
    "incident_state",
    "priority",
    "opened_at",
    "resolved_at",
    "closed_at",
    "sys_updated_at",
    "sys_mod_count",
    "reassignment_count",
    "reopen_count",
    "assignment_group",
    "category",
]


def scaled_copy(scale: int, directory: Path) -> Path:
    """Write the event log repeated ``scale`` times with unique incident numbers."""
    target = directory / f"events_x{scale}.csv"
    with gzip.open(REAL, "rt", encoding="utf-8") as handle:
        header = handle.readline()
        body = handle.read().splitlines()
    with target.open("w", encoding="utf-8") as out:
        out.write(header)
        for copy in range(scale):
            suffix = f"-{copy}"
            # The number is the first field: suffix it to keep tickets apart.
            out.writelines(line.replace(",", suffix + ",", 1) + "\n" for line in body)
    return target


def run_package(path: Path) -> int:
    """This package: load + collapse + KPI tables."""
    from analytics.metrics.incidents import incident_times
    from analytics.metrics.resolution import resolution_by_priority
    from analytics.metrics.support import support_rates
    from analytics.sources.servicenow import read_servicenow_csv

    result = read_servicenow_csv(path, event_log=True, date_order="dayfirst")
    tickets = result.frame
    incident_times(tickets, measures=["mttr_restore", "mttr_resolve", "mttr_close"])
    resolution_by_priority(tickets)
    support_rates(tickets)
    return len(tickets)


def run_naive(path: Path) -> int:
    """A straightforward pandas version of the same KPIs."""
    raw = pd.read_csv(path, dtype=str, na_values=["?"], keep_default_na=False)
    for column in ("opened_at", "resolved_at", "closed_at", "sys_updated_at"):
        raw[column] = pd.to_datetime(
            raw[column], format="%d/%m/%Y %H:%M", errors="coerce"
        )
    raw["sys_mod_count"] = pd.to_numeric(raw["sys_mod_count"])
    raw = raw.sort_values(["number", "sys_mod_count", "sys_updated_at"])
    last = raw.groupby("number").tail(1).copy()
    last["hours"] = (last["resolved_at"] - last["opened_at"]).dt.total_seconds() / 3600
    last["close_hours"] = (
        last["closed_at"] - last["opened_at"]
    ).dt.total_seconds() / 3600
    targets = {"1 - Critical": 2, "2 - High": 8, "3 - Moderate": 24, "4 - Low": 72}
    last["within"] = last["hours"] <= last["priority"].map(targets)
    last.groupby("priority").agg(
        mean=("hours", "mean"),
        median=("hours", "median"),
        p90=("hours", lambda h: h.quantile(0.9)),
        within=("within", "mean"),
        close_mean=("close_hours", "mean"),
        close_median=("close_hours", "median"),
        close_p90=("close_hours", lambda h: h.quantile(0.9)),
        reopened=("reopen_count", lambda c: (pd.to_numeric(c) > 0).mean()),
        reassigned=("reassignment_count", lambda c: (pd.to_numeric(c) > 0).mean()),
    )
    return len(last)


def run_scan(path: Path) -> int:
    """The floor: read the needed columns once."""
    frame = pd.read_csv(path, usecols=NEEDED, dtype=str, engine="pyarrow")
    return len(frame)


def _child(name: str, path: str, queue: Any) -> None:
    runner = {"package": run_package, "naive": run_naive, "scan": run_scan}[name]
    started = time.perf_counter()
    rows = runner(Path(path))
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((name, seconds, peak_mib, rows))


def measure(name: str, path: Path) -> tuple[str, float, float, int]:
    """Run one pipeline in a fresh process; return its time and peak memory."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(name, str(path), queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"{name} pipeline failed (exit code {process.exitcode})")
    result: tuple[str, float, float, int] = queue.get()
    return result


def main(argv: list[str] | None = None) -> int:
    """Build the scaled file, run the three pipelines, print times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=int,
        default=2,
        help="copies of the log (default 2; the issue's goal is stated at 100)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = scaled_copy(args.scale, Path(tmp))
        print(
            f"scaled file ×{args.scale}: {path.stat().st_size / 2**20:,.0f} MiB,"
            f" written in {time.perf_counter() - started:.1f} s"
        )
        results, loads = {}, {}
        for name in ("scan", "package", "naive"):
            # Other work on the machine moves the times: show the 1-minute
            # load average before and after each pipeline.
            before = os.getloadavg()[0]
            results[name] = measure(name, path)
            loads[name] = (before, os.getloadavg()[0])

    for name, seconds, peak, rows in results.values():
        print(
            f"{name:8s} {seconds:8.2f} s  peak {peak:8.0f} MiB  rows {rows:,}"
            f"  load {loads[name][0]:.1f} → {loads[name][1]:.1f}"
        )
    package, naive, scan = (results[n][1] for n in ("package", "naive", "scan"))
    print(f"naive / package = {naive / package:.2f}  (goal ≥ 5)")
    print(f"package / scan  = {package / scan:.2f}  (goal ≤ 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
