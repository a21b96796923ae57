"""NAB benchmark: golden check of the scorer, then our detectors on the real series.

Run separately (never by the tests)::

    .venv/bin/python benchmarks/bench_nab.py

Writes ``benchmarks/results/nab.md`` and ``nab.csv``. The threshold of each
detector is chosen once over all files (as NAB does), from a grid.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import statsmodels

from analytics import nab
from analytics.metrics import anomaly

NAB = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "metrics" / "nab"
OUT = Path(__file__).resolve().parent / "results"
GRID = np.round(np.arange(0.50, 1.0001, 0.01), 4)

DETECTORS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "rolling_mad": lambda y: anomaly.rolling_mad_scores(y, window=96),
    "seasonal_residual": lambda y: anomaly.seasonal_residual_scores(y, period=288),
    "isolation_forest": lambda y: anomaly.isolation_forest_scores(y, refit_every=500),
}


def golden(windows: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]) -> float:
    """Worst absolute difference from NAB's own windowedGaussian standard scores."""
    summary = (
        NAB / "reference_results/score_summaries/windowedGaussian_standard_scores.csv"
    )
    with summary.open(encoding="utf-8") as handle:
        reference = {r["File"]: float(r["Score"]) for r in csv.DictReader(handle)}
    worst = 0.0
    for path in sorted((NAB / "reference_results/windowedGaussian").glob("*/*.gz")):
        key = f"{path.parent.name}/{path.name.removeprefix('windowedGaussian_')[:-3]}"
        frame = nab.read_nab_series(path)
        result = nab.score_file(
            frame["timestamp"], frame["anomaly_score"], windows[key], threshold=1.0
        )
        worst = max(worst, abs(result.score - reference[key]))
    return worst


def main() -> None:
    started = time.perf_counter()
    windows = nab.load_windows(NAB / "labels/combined_windows.json")
    worst = golden(windows)
    files = sorted((NAB / "data").glob("real*/*.csv"))
    keys = [f"{p.parent.name}/{p.name}" for p in files]

    rows = []
    for name, detector in DETECTORS.items():
        t0 = time.perf_counter()
        scored = []
        for path in files:
            frame = nab.read_nab_series(path)
            scored.append((frame, detector(frame["value"]).to_numpy()))
        seconds = time.perf_counter() - t0
        best = None
        for threshold in GRID:
            total = sum(
                nab.score_file(f["timestamp"], s, windows[k], threshold=threshold).score
                for (f, s), k in zip(scored, keys, strict=True)
            )
            if best is None or total > best[1]:
                best = (threshold, total)
        assert best is not None
        counts = [
            nab.event_counts(f["timestamp"], s, windows[k], threshold=best[0])
            for (f, s), k in zip(scored, keys, strict=True)
        ]
        n_windows = sum(len(windows[k]) for k in keys)
        detected = sum(c.windows_detected for c in counts)
        alarms = sum(c.false_alarm_events for c in counts)
        days = sum(c.scored_days for c in counts)
        rows.append(
            {
                "detector": name,
                "threshold": best[0],
                "nab_standard": round(nab.normalised_score(best[1], n_windows), 1),
                "event_recall": round(detected / n_windows, 3),
                "event_precision": round(detected / max(detected + alarms, 1), 3),
                "false_alarms_per_series_day": round(alarms / days, 3),
                "seconds": round(seconds, 1),
            }
        )
        print(rows[-1], flush=True)

    # The windowed Gaussian on the same files, from NAB's own per-row output.
    wg_total = 0.0
    for key in keys:
        folder, file = key.split("/")
        frame = nab.read_nab_series(
            NAB
            / f"reference_results/windowedGaussian/{folder}/windowedGaussian_{file}.gz"
        )
        wg_total += nab.score_file(
            frame["timestamp"], frame["anomaly_score"], windows[key], threshold=1.0
        ).score
    n_windows = sum(len(windows[k]) for k in keys)
    rows.append(
        {
            "detector": "windowedGaussian (NAB output)",
            "threshold": 1.0,
            "nab_standard": round(nab.normalised_score(wg_total, n_windows), 1),
        }
    )

    table = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    table.to_csv(OUT / "nab.csv", index=False)
    header = (
        f"# NAB standard profile, {len(files)} real series ({n_windows} windows)\n\n"
        f"Scorer golden check: worst |difference| from NAB's windowedGaussian"
        f" per-file scores = {worst:.2e}.\n"
        f"numpy {np.__version__}, statsmodels {statsmodels.__version__},"
        f" scikit-learn {sklearn.__version__}, pandas {pd.__version__};"
        f" wall time {time.perf_counter() - started:.0f} s.\n\n"
    )
    (OUT / "nab.md").write_text(header + _markdown(table) + "\n")
    print(header + table.to_string(index=False))


def _markdown(table: pd.DataFrame) -> str:
    cells = table.astype(object).where(table.notna(), "")
    lines = ["| " + " | ".join(map(str, table.columns)) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in cells.to_numpy()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
