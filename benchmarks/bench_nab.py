"""NAB benchmark: golden check of the scorer, then our detectors on the real series.

Run separately (never by the tests)::

    .venv/bin/python benchmarks/bench_nab.py

Writes ``benchmarks/results/nab.md``, ``nab.csv`` and ``nab_per_file.csv``.

Procedure:

1. Each detector scores every file causally with fixed parameters derived from
   the file's sampling step only (windows in hours of rows); nothing is tuned
   per file.
2. An operating point is a pair (score threshold, alarm suppression after each
   flag: 0, 6, 24, 48 or 72 hours of rows). The threshold grid is
   ``1 − exp(−u)`` for 60 values of ``u`` from 0.3 to 40 (``u`` is the robust
   z divided by the Laplace scale 3).
3. Three ways to fix the operating point, all reported:

   * **in-sample**: the pair with the highest summed raw NAB standard-profile
     score over all files (as NAB itself optimises thresholds, on the files it
     scores; an optimistic number);
   * **leave one file out** (the headline): each file is scored at the pair
     that is best on the *other* files;
   * **folder split**: the pair is chosen on one folder (realAWSCloudwatch or
     realKnownCause) and scored on the other.

4. ``selected by CV`` is a detector *and* operating point chosen together on
   the training files of each split, among every candidate below (so the
   choice of detector is held out too).
5. Event precision, recall and false alarms per series-day are those of the
   leave-one-file-out flags (held out). Final numbers are recomputed with the
   reference scorer :func:`analytics.nab.score_file` and compared with the
   vectorised sum used by the grid search.

The windowed Gaussian rows are NAB's own per-row output for the same files:
once at NAB's threshold 1.0 with no suppression (the scoreboard's setting,
optimised by NAB on all 58 files), once through the same operating-point
procedure as ours.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import statsmodels

from analytics import nab
from analytics.metrics import anomaly

NAB = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "metrics" / "nab"
OUT = Path(__file__).resolve().parent / "results"
U_GRID = np.geomspace(0.3, 40.0, 60)
HOLD_HOURS = (0.0, 6.0, 24.0, 48.0, 72.0)
Z_SCALE = 3.0
TAIL_GRID = [(lh, sh) for lh in (12.0, 24.0, 48.0) for sh in (0.25, 0.5, 1.0)]
"""(long, short) windows in hours of the windowed-tail candidates."""
SHOWN = (
    "rolling_mad",
    "seasonal_residual",
    "isolation_forest",
    "windowed_tail_24h_0.5h",
    "max(windowed_tail_24h_0.5h, rolling_mad)",
)
"""Detectors with their own row; every candidate enters ``selected by CV``."""

Windows = list[tuple[pd.Timestamp, pd.Timestamp]]


def _step_rows(frame: pd.DataFrame, hours: float) -> int:
    step = pd.Timedelta(frame["timestamp"].diff().median())
    return max(1, round(float(pd.Timedelta(hours=hours) / step)))


def _rolling_mad(frame: pd.DataFrame) -> np.ndarray:
    y = frame["value"]
    return anomaly.rolling_mad_scores(
        y, window=max(12, _step_rows(frame, 8)), z_scale=Z_SCALE
    ).to_numpy()


def _seasonal(frame: pd.DataFrame) -> np.ndarray:
    y = frame["value"]
    return anomaly.seasonal_residual_scores(
        y,
        period=max(2, _step_rows(frame, 24)),
        level_window=max(6, _step_rows(frame, 2)),
        z_scale=Z_SCALE,
    ).to_numpy()


def _isolation(frame: pd.DataFrame) -> np.ndarray:
    y = frame["value"].set_axis(pd.DatetimeIndex(frame["timestamp"]))
    return anomaly.isolation_forest_scores(
        y, refit_every=500, min_train_points=300, z_scale=Z_SCALE
    ).to_numpy()


def _tail(frame: pd.DataFrame, long_hours: float, short_hours: float) -> np.ndarray:
    return anomaly.windowed_tail_scores(
        frame["value"],
        long_window=max(12, _step_rows(frame, long_hours)),
        short_window=_step_rows(frame, short_hours),
        z_scale=Z_SCALE,
    ).to_numpy()


DETECTORS: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "rolling_mad": _rolling_mad,
    "seasonal_residual": _seasonal,
    "isolation_forest": _isolation,
    **{
        f"windowed_tail_{lh:g}h_{sh:g}h": partial(_tail, long_hours=lh, short_hours=sh)
        for lh, sh in TAIL_GRID
    },
}
COMBINED = {
    "max(windowed_tail_24h_0.5h, rolling_mad)": (
        "windowed_tail_24h_0.5h",
        "rolling_mad",
    ),
}


def _score_one(args: tuple[str, str]) -> tuple[str, str, np.ndarray, float]:
    name, path = args
    frame = nab.read_nab_series(path)
    t0 = time.perf_counter()
    scores = DETECTORS[name](frame)
    return name, path, scores, time.perf_counter() - t0


def golden(windows: dict[str, Windows]) -> float:
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


class _FastFile:
    """Row values of one file, cached for the grid search (same rules as nab)."""

    def __init__(self, frame: pd.DataFrame, windows: Windows) -> None:
        times = list(pd.DatetimeIndex(frame["timestamp"]))
        self.values, self.window_of = nab._row_values(times, windows)
        self.start = nab.probationary_length(len(times))
        self.n_windows = len(windows)

    def score(self, flags: np.ndarray) -> float:
        hits = np.flatnonzero(flags[self.start :]) + self.start
        inside = self.window_of[hits] >= 0
        fp = nab.STANDARD.fp_weight * float(self.values[hits[~inside]].sum())
        first: dict[int, float] = {}
        for i in hits[inside]:
            first.setdefault(int(self.window_of[i]), float(self.values[i]))
        tp = nab.STANDARD.tp_weight * sum(first.values()) / nab.scaled_sigmoid(-1.0)
        return fp + tp - nab.STANDARD.fn_weight * (self.n_windows - len(first))


def _flags(scores: np.ndarray, u: float, hold: int) -> np.ndarray:
    threshold = 1.0 - float(np.exp(-u))
    return anomaly.flag(
        pd.Series(scores), threshold=threshold, suppress=hold
    ).to_numpy()


@dataclass
class _Corpus:
    paths: list[str]
    keys: dict[str, str]
    frames: dict[str, pd.DataFrame]
    windows: dict[str, Windows]
    fast: dict[str, _FastFile]

    def hold_rows(self, path: str, hold_index: int) -> int:
        hours = HOLD_HOURS[hold_index]
        return 0 if hours == 0 else _step_rows(self.frames[path], hours)

    def table(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        """Raw NAB score of every file at every (suppression, threshold) pair."""
        out = np.zeros((len(self.paths), len(HOLD_HOURS), len(U_GRID)))
        for i, path in enumerate(self.paths):
            for j in range(len(HOLD_HOURS)):
                hold = self.hold_rows(path, j)
                for k, u in enumerate(U_GRID):
                    out[i, j, k] = self.fast[path].score(_flags(scores[path], u, hold))
        return out


def _argmax(total: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(total)), total.shape))


def _operating_points(
    tables: np.ndarray, corpus: _Corpus
) -> dict[str, list[tuple[int, ...]]]:
    """Per file, the (candidate, hold, u) index chosen in-sample and held out.

    ``tables`` is files × candidates × holds × thresholds.
    """
    total = tables.sum(axis=0)
    best = _argmax(total)
    lofo = [_argmax(total - tables[i]) for i in range(len(corpus.paths))]
    aws = np.array([corpus.keys[p].startswith("realAWS") for p in corpus.paths])
    folder: list[tuple[int, ...]] = [()] * len(corpus.paths)
    for test in (aws, ~aws):
        chosen = _argmax(tables[~test].sum(axis=0))
        for i in np.flatnonzero(test):
            folder[int(i)] = chosen
    return {
        "in_sample": [best] * len(corpus.paths),
        "lofo": lofo,
        "folder": folder,
    }


@dataclass
class _Outcome:
    score: float
    recall: float
    precision: float
    alarms_per_day: float
    per_file: dict[str, float]
    detected: int
    alarms: int


def _outcome(
    corpus: _Corpus,
    points: list[tuple[int, ...]],
    scores: list[dict[str, np.ndarray]],
) -> _Outcome:
    """Reference NAB score and event counts of each file at its operating point."""
    raw = 0.0
    detected = alarms = windows_used = 0
    days = 0.0
    per_file = {}
    for i, path in enumerate(corpus.paths):
        c, j, k = points[i]
        frame, wins = corpus.frames[path], corpus.windows[path]
        flags = _flags(scores[c][path], U_GRID[k], corpus.hold_rows(path, j))
        result = nab.score_file(frame["timestamp"], flags, wins, threshold=0.5)
        fast_total = corpus.fast[path].score(flags)
        assert abs(result.score - fast_total) < 1e-9, (path, result, fast_total)
        counts = nab.event_counts(frame["timestamp"], flags, wins, threshold=0.5)
        raw += result.score
        detected += counts.windows_detected
        alarms += counts.false_alarm_events
        days += counts.scored_days
        windows_used += len(wins)
        per_file[corpus.keys[path]] = result.score
    return _Outcome(
        score=nab.normalised_score(raw, windows_used),
        recall=detected / windows_used,
        precision=detected / max(detected + alarms, 1),
        alarms_per_day=alarms / days,
        per_file=per_file,
        detected=detected,
        alarms=alarms,
    )


def _row(
    name: str,
    corpus: _Corpus,
    tables: np.ndarray,
    scores: list[dict[str, np.ndarray]],
    seconds: float | None,
) -> tuple[dict[str, object], _Outcome, list[tuple[int, ...]]]:
    points = _operating_points(tables, corpus)
    results = {how: _outcome(corpus, p, scores) for how, p in points.items()}
    _, j, k = points["in_sample"][0]
    held = results["lofo"]
    row: dict[str, object] = {
        "detector": name,
        "z_threshold": round(float(U_GRID[k]) * Z_SCALE, 3),
        "score_threshold": round(1.0 - float(np.exp(-U_GRID[k])), 6),
        "suppress_hours": int(HOLD_HOURS[j]),
        "nab_in_sample": round(results["in_sample"].score, 1),
        "nab_held_out_lofo": round(held.score, 1),
        "nab_held_out_folder": round(results["folder"].score, 1),
        "event_recall": round(held.recall, 3),
        "event_precision": round(held.precision, 3),
        "false_alarms_per_series_day": round(held.alarms_per_day, 3),
        "goal_met": held.recall >= 0.5 and held.alarms_per_day <= 1.0,
        "detector_seconds": None if seconds is None else round(seconds, 1),
    }
    print(row, flush=True)
    return row, held, points["lofo"]


def _corpus() -> _Corpus:
    windows = nab.load_windows(NAB / "labels/combined_windows.json")
    files = sorted((NAB / "data").glob("real*/*.csv"))
    paths = [str(p) for p in files]
    keys = {str(p): f"{p.parent.name}/{p.name}" for p in files}
    frames = {p: nab.read_nab_series(p) for p in paths}
    wins = {p: windows[keys[p]] for p in paths}
    fast = {p: _FastFile(frames[p], wins[p]) for p in paths}
    return _Corpus(paths, keys, frames, wins, fast)


def _wg_scores(corpus: _Corpus) -> dict[str, np.ndarray]:
    out = {}
    for path in corpus.paths:
        folder, file = corpus.keys[path].split("/")
        frame = nab.read_nab_series(
            NAB
            / f"reference_results/windowedGaussian/{folder}/windowedGaussian_{file}.gz"
        )
        assert len(frame) == len(corpus.frames[path])
        out[path] = frame["anomaly_score"].to_numpy(dtype=float)
    return out


def main() -> None:
    started = time.perf_counter()
    worst = golden(nab.load_windows(NAB / "labels/combined_windows.json"))
    corpus = _corpus()
    n_windows = sum(f.n_windows for f in corpus.fast.values())

    jobs = [(name, p) for name in DETECTORS for p in corpus.paths]
    jobs.sort(key=lambda j: -len(corpus.frames[j[1]]))  # longest first, for the pool
    scores: dict[str, dict[str, np.ndarray]] = {name: {} for name in DETECTORS}
    seconds: dict[str, float] = dict.fromkeys(DETECTORS, 0.0)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for name, path, values, took in pool.map(_score_one, jobs):
            scores[name][path] = values
            seconds[name] += took
    for name, parts in COMBINED.items():
        scores[name] = {
            p: anomaly.combine_scores(
                *(pd.Series(scores[part][p]) for part in parts)
            ).to_numpy()
            for p in corpus.paths
        }
        seconds[name] = sum(seconds[part] for part in parts)

    names = list(scores)
    tables = {name: corpus.table(scores[name]) for name in names}
    rows, per_file = [], {}
    for name in SHOWN:
        row, held, _ = _row(
            name, corpus, tables[name][:, None], [scores[name]], seconds[name]
        )
        rows.append(row)
        per_file[name] = held.per_file

    # Detector and operating point chosen together on the training files.
    stacked = np.stack([tables[name] for name in names], axis=1)
    row, held, picks = _row(
        "selected by CV", corpus, stacked, [scores[n] for n in names], None
    )
    chosen = pd.Series([names[p[0]] for p in picks]).value_counts()
    row["detector"] = (
        "selected by CV (" + ", ".join(f"{n} ×{c}" for n, c in chosen.items()) + ")"
    )
    rows.append(row)
    per_file["selected by CV"] = held.per_file

    wg = _wg_scores(corpus)
    row, held, _ = _row(
        "windowedGaussian, same procedure",
        corpus,
        corpus.table(wg)[:, None],
        [wg],
        None,
    )
    rows.append(row)
    wg_fixed = _nab_threshold(corpus, wg)
    rows.append(wg_fixed[0])
    per_file["windowedGaussian (threshold 1.0)"] = wg_fixed[1]

    table = pd.DataFrame(rows)
    wide = pd.DataFrame(per_file).round(4)
    wide.index.name = "file"
    OUT.mkdir(exist_ok=True)
    table.to_csv(OUT / "nab.csv", index=False)
    wide.reset_index().melt(
        id_vars="file", var_name="detector", value_name="raw_score_held_out"
    ).to_csv(OUT / "nab_per_file.csv", index=False)
    (OUT / "nab.md").write_text(
        _header(corpus, n_windows, worst, time.perf_counter() - started)
        + _markdown(table)
        + "\n\n"
        + _verdict(table, wide)
        + "\n\n## Raw standard-profile score per file, held out (leave one file out)\n\n"
        + _markdown(wide.reset_index())
        + "\n"
    )
    print(table.to_string(index=False))


def _nab_threshold(
    corpus: _Corpus, wg: dict[str, np.ndarray]
) -> tuple[dict[str, object], dict[str, float]]:
    """The windowed Gaussian at NAB's own threshold 1.0, no suppression."""
    raw = 0.0
    detected = alarms = windows_used = 0
    days = 0.0
    per_file = {}
    for path in corpus.paths:
        frame, wins = corpus.frames[path], corpus.windows[path]
        result = nab.score_file(frame["timestamp"], wg[path], wins, threshold=1.0)
        counts = nab.event_counts(frame["timestamp"], wg[path], wins, threshold=1.0)
        raw += result.score
        detected += counts.windows_detected
        alarms += counts.false_alarm_events
        days += counts.scored_days
        windows_used += len(wins)
        per_file[corpus.keys[path]] = result.score
    score = round(nab.normalised_score(raw, windows_used), 1)
    recall, per_day = detected / windows_used, alarms / days
    row: dict[str, object] = {
        "detector": "windowedGaussian (NAB threshold 1.0)",
        "z_threshold": None,
        "score_threshold": 1.0,
        "suppress_hours": 0,
        "nab_in_sample": None,
        "nab_held_out_lofo": score,
        "nab_held_out_folder": score,
        "event_recall": round(recall, 3),
        "event_precision": round(detected / max(detected + alarms, 1), 3),
        "false_alarms_per_series_day": round(per_day, 3),
        "goal_met": recall >= 0.5 and per_day <= 1.0,
        "detector_seconds": None,
    }
    return row, per_file


def _header(corpus: _Corpus, n_windows: int, worst: float, wall: float) -> str:
    return (
        f"# NAB standard profile, {len(corpus.paths)} real series"
        f" ({n_windows} windows)\n\n"
        "Files: the realAWSCloudwatch and realKnownCause folders present locally"
        " (not the full 58-file corpus, so the numbers are not directly the"
        " scoreboard's; the windowed Gaussian rows are on the same files).\n\n"
        f"Scorer golden check: worst |difference| from NAB's windowedGaussian"
        f" per-file scores = {worst:.2e}.\n\n"
        f"numpy {np.__version__}, statsmodels {statsmodels.__version__},"
        f" scikit-learn {sklearn.__version__}, pandas {pd.__version__};"
        f" {os.cpu_count()} CPU(s); wall time {wall:.0f} s."
        " Command: `.venv/bin/python benchmarks/bench_nab.py`.\n\n"
        "Operating point = (score threshold, alarm suppression after a flag)."
        " `nab_in_sample`: one pair for all files, chosen on the same files"
        " (optimistic). `nab_held_out_lofo` (headline): each file scored at the"
        " pair best on the other 23 files. `nab_held_out_folder`: pair chosen on"
        " the other folder. The z/threshold/suppression columns show the"
        " in-sample pair. Event recall, precision and false alarms per series-day"
        " are of the held-out (leave-one-file-out) flags; `goal_met` is recall ≥"
        " 0.5 with ≤ 1 false-alarm event per series-day. `selected by CV` picks"
        " the detector too, among rolling_mad, seasonal_residual,"
        " isolation_forest, windowed_tail (long 12/24/48 h × short 0.25/0.5/1 h)"
        " and the max combination, on the training files of each split.\n\n"
    )


def _verdict(table: pd.DataFrame, wide: pd.DataFrame) -> str:
    """Plain statement of wins and losses, computed from the results."""
    by = table.set_index("detector")
    wg_fixed = float(
        by.loc["windowedGaussian (NAB threshold 1.0)", "nab_held_out_lofo"]
    )
    wg_cv = by.loc["windowedGaussian, same procedure"]
    lines = ["## Wins and losses", ""]
    for row in table.itertuples():
        if str(row.detector).startswith("windowedGaussian"):
            continue
        lofo, folder = (
            float(str(row.nab_held_out_lofo)),
            float(str(row.nab_held_out_folder)),
        )
        against = [
            f"{'beats' if lofo > wg_fixed else 'loses to'} the windowed Gaussian at"
            f" NAB's threshold ({wg_fixed})",
            f"{'beats' if lofo > wg_cv.nab_held_out_lofo else 'loses to'} it under"
            f" the same procedure ({wg_cv.nab_held_out_lofo})",
        ]
        if folder <= float(wg_cv.nab_held_out_folder):
            against.append(
                f"folder split {folder} vs the windowed Gaussian's"
                f" {wg_cv.nab_held_out_folder}: loses"
            )
        column = (
            "selected by CV"
            if str(row.detector).startswith("selected")
            else str(row.detector)
        )
        worse = int((wide[column] < wide["windowedGaussian (threshold 1.0)"]).sum())
        lines.append(
            f"- {row.detector}: held out {lofo} (leave one file out), {folder}"
            f" (folder split), in-sample {row.nab_in_sample}; "
            + "; ".join(against)
            + f". Worse than the windowed Gaussian (threshold 1.0) on {worse} of"
            f" {len(wide)} files."
        )
    return "\n".join(lines) + "\n" + _NOTES


_NOTES = """
- Held-out numbers on 24 files and 49 windows are noisy: one window turned from missed
  to detected moves the normalised score by about 2 points, and the leave-one-file-out
  and folder-split figures of one detector differ by up to 20 points.
- The windowed-tail detector and its defaults (long 24 h, short 0.5 h, second-stage scale
  floor 0.1) were designed while looking at these same 24 files; only the thresholds and
  suppression are held out in its own row. The `selected by CV` row also holds out the
  choice among the candidates, but the candidate list itself was written after seeing
  results here. The full 58-file corpus (34 files not present locally) would be the
  independent check.
- Against the published scoreboard (full corpus: windowed Gaussian 39.6, Twitter ADVec
  47.1, random cut forest 51.7, best about 70–75) nothing here is comparable until the
  other 34 NAB files are run; on these 24 files the windowed Gaussian at its own
  threshold scores only the figure above.
- IsolationForest dominates runtime (refitted every 500 rows on every file).
"""


def _markdown(table: pd.DataFrame) -> str:
    cells = table.astype(object).where(table.notna(), "")
    lines = ["| " + " | ".join(map(str, table.columns)) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in cells.to_numpy()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
