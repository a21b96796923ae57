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

   * **tuning split / held-out split**: realAWSCloudwatch (17 files) is the
     tuning split on which new detector designs were compared (leave one
     file out within it); realKnownCause (7 files) is scored at the pair that
     is best on realAWSCloudwatch. The calibrated detectors were designed
     looking at realAWSCloudwatch only, so realKnownCause is held out for
     their design as well as their operating point.

4. ``selected by CV`` is a detector *and* operating point chosen together on
   the training files of each split, among every candidate below (so the
   choice of detector is held out too).
5. Event precision, recall and false alarms per series-day are those of the
   leave-one-file-out flags (held out). Final numbers are recomputed with the
   reference scorer :func:`analytics.nab.score_file` and compared with the
   vectorised sum used by the grid search.

``calibrated(...)`` rows pass a detector's score through
:func:`analytics.metrics.anomaly.calibrate_to_history` (its causal rank among
the same file's earlier scores) before thresholding.

Published detectors (random cut forest, Twitter ADVec, Numenta HTM, Skyline,
windowed Gaussian) are shown on the same files from NAB's per-file score
summaries, at the thresholds NAB optimised on all 58 files.

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
    "calibrated(rolling_mad)",
    "calibrated(rolling_mad_24h)",
    "calibrated(seasonal_residual)",
    "calibrated(isolation_forest)",
    "calibrated(windowed_tail_24h_0.5h)",
    "mean(calibrated rolling_mad, rolling_mad_24h, windowed_tail_24h_0.5h)",
    "max(calibrated rolling_mad, windowed_tail_24h_0.5h)",
    "max(calibrated rolling_mad, seasonal_residual, isolation_forest)",
)
"""Detectors with their own row; every candidate enters ``selected by CV``."""

Windows = list[tuple[pd.Timestamp, pd.Timestamp]]


def _step_rows(frame: pd.DataFrame, hours: float) -> int:
    step = pd.Timedelta(frame["timestamp"].diff().median())
    return max(1, round(float(pd.Timedelta(hours=hours) / step)))


def _rolling_mad(frame: pd.DataFrame, hours: float = 8.0) -> np.ndarray:
    y = frame["value"]
    return anomaly.rolling_mad_scores(
        y, window=max(12, _step_rows(frame, hours)), z_scale=Z_SCALE
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
    "rolling_mad_24h": partial(_rolling_mad, hours=24.0),
    "seasonal_residual": _seasonal,
    "isolation_forest": _isolation,
    **{
        f"windowed_tail_{lh:g}h_{sh:g}h": partial(_tail, long_hours=lh, short_hours=sh)
        for lh, sh in TAIL_GRID
    },
}
CALIBRATED = (
    "rolling_mad",
    "rolling_mad_24h",
    "seasonal_residual",
    "isolation_forest",
    "windowed_tail_24h_0.5h",
)
"""Detectors also scored after :func:`anomaly.calibrate_to_history`."""
COMBINED = {
    "max(windowed_tail_24h_0.5h, rolling_mad)": (
        "max",
        ("windowed_tail_24h_0.5h", "rolling_mad"),
    ),
    "mean(calibrated rolling_mad, rolling_mad_24h, windowed_tail_24h_0.5h)": (
        "mean",
        (
            "calibrated(rolling_mad)",
            "calibrated(rolling_mad_24h)",
            "calibrated(windowed_tail_24h_0.5h)",
        ),
    ),
    "max(calibrated rolling_mad, windowed_tail_24h_0.5h)": (
        "max",
        ("calibrated(rolling_mad)", "calibrated(windowed_tail_24h_0.5h)"),
    ),
    "max(calibrated rolling_mad, seasonal_residual, isolation_forest)": (
        "max",
        (
            "calibrated(rolling_mad)",
            "calibrated(seasonal_residual)",
            "calibrated(isolation_forest)",
        ),
    ),
}
PUBLISHED = (
    "randomCutForest",
    "twitterADVec",
    "windowedGaussian",
    "skyline",
    "numenta",
)
"""NAB scoreboard detectors whose per-file scores are shown on the same files."""


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
    all_windows: dict[str, Windows]

    def tuning_mask(self) -> np.ndarray:
        """True for the tuning split's files (realAWSCloudwatch)."""
        return np.array([self.keys[p].startswith("realAWS") for p in self.paths])

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
    aws = corpus.tuning_mask()
    folder: list[tuple[int, ...]] = [()] * len(corpus.paths)
    for test in (aws, ~aws):
        chosen = _argmax(tables[~test].sum(axis=0))
        for i in np.flatnonzero(test):
            folder[int(i)] = chosen
    # Leave one file out inside the tuning split (realAWSCloudwatch only).
    tuning_total = tables[aws].sum(axis=0)
    tuning_lofo = [
        _argmax(tuning_total - tables[i]) if aws[i] else folder[i]
        for i in range(len(corpus.paths))
    ]
    return {
        "in_sample": [best] * len(corpus.paths),
        "lofo": lofo,
        "folder": folder,
        "tuning_lofo": tuning_lofo,
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


_ONE_THRESHOLD = np.array([-np.log(0.5)])
"""A grid of one threshold, 0.5, for scores that are already flags (0 or 1)."""


def _outcome(
    corpus: _Corpus,
    points: list[tuple[int, ...]],
    scores: list[dict[str, np.ndarray]],
    grid: np.ndarray = U_GRID,
    only: np.ndarray | None = None,
) -> _Outcome:
    """Reference NAB score and event counts of each file at its operating point.

    ``only`` (a boolean mask over the files) restricts the files counted.
    """
    raw = 0.0
    detected = alarms = windows_used = 0
    days = 0.0
    per_file = {}
    for i, path in enumerate(corpus.paths):
        if only is not None and not only[i]:
            continue
        c, j, k = points[i]
        frame, wins = corpus.frames[path], corpus.windows[path]
        flags = _flags(scores[c][path], grid[k], corpus.hold_rows(path, j))
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
    aws = corpus.tuning_mask()
    tuning = _outcome(corpus, points["tuning_lofo"], scores, only=aws)
    known = _outcome(corpus, points["folder"], scores, only=~aws)
    _, j, k = points["in_sample"][0]
    held = results["lofo"]
    calibrated = "calibrated" in name
    row: dict[str, object] = {
        "detector": name,
        "z_threshold": None if calibrated else round(float(U_GRID[k]) * Z_SCALE, 3),
        "score_threshold": round(1.0 - float(np.exp(-U_GRID[k])), 6),
        "suppress_hours": int(HOLD_HOURS[j]),
        "nab_in_sample": round(results["in_sample"].score, 1),
        "nab_held_out_lofo": round(held.score, 1),
        "nab_held_out_folder": round(results["folder"].score, 1),
        "nab_tuning_aws_lofo": round(tuning.score, 1),
        "nab_held_out_known_cause": round(known.score, 1),
        "known_cause_event_recall": round(known.recall, 3),
        "known_cause_false_alarms_per_series_day": round(known.alarms_per_day, 3),
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
    return _Corpus(paths, keys, frames, wins, fast, windows)


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
    for base in CALIBRATED:
        name = f"calibrated({base})"
        t0 = time.perf_counter()
        scores[name] = {
            p: anomaly.calibrate_to_history(pd.Series(scores[base][p])).to_numpy()
            for p in corpus.paths
        }
        seconds[name] = seconds[base] + time.perf_counter() - t0
    for name, (how, parts) in COMBINED.items():
        scores[name] = {
            p: anomaly.combine_scores(
                *(pd.Series(scores[part][p]) for part in parts), how=how
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
    if "calibrated" in names[_argmax(stacked.sum(axis=0))[0]]:
        row["z_threshold"] = None  # the in-sample pick's threshold is a rank
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
    published = _published(corpus)
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
        + "\n\n## Published detectors on the same files (NAB's own per-file scores)\n\n"
        + _markdown(published)
        + "\n\n"
        + _verdict(table, wide, published)
        + "\n\n## Raw standard-profile score per file, held out (leave one file out)\n\n"
        + _markdown(wide.reset_index())
        + "\n"
    )
    print(table.to_string(index=False))
    print(published.to_string(index=False))


def _nab_threshold(
    corpus: _Corpus, wg: dict[str, np.ndarray]
) -> tuple[dict[str, object], dict[str, float]]:
    """The windowed Gaussian at NAB's own threshold 1.0, no suppression."""
    # A fixed threshold is an operating point like any other: the same for
    # every file whichever way it is "chosen".
    point: list[tuple[int, ...]] = [(0, 0, 0)] * len(corpus.paths)
    flags = [{p: (wg[p] >= 1.0).astype(float) for p in corpus.paths}]
    every = _outcome(corpus, point, flags, _ONE_THRESHOLD)
    tuning = _outcome(corpus, point, flags, _ONE_THRESHOLD, corpus.tuning_mask())
    known = _outcome(corpus, point, flags, _ONE_THRESHOLD, ~corpus.tuning_mask())
    row: dict[str, object] = {
        "detector": "windowedGaussian (NAB threshold 1.0)",
        "z_threshold": None,
        "score_threshold": 1.0,
        "suppress_hours": 0,
        "nab_in_sample": None,
        "nab_held_out_lofo": round(every.score, 1),
        "nab_held_out_folder": round(every.score, 1),
        "nab_tuning_aws_lofo": round(tuning.score, 1),
        "nab_held_out_known_cause": round(known.score, 1),
        "known_cause_event_recall": round(known.recall, 3),
        "known_cause_false_alarms_per_series_day": round(known.alarms_per_day, 3),
        "event_recall": round(every.recall, 3),
        "event_precision": round(every.precision, 3),
        "false_alarms_per_series_day": round(every.alarms_per_day, 3),
        "goal_met": every.recall >= 0.5 and every.alarms_per_day <= 1.0,
        "detector_seconds": None,
    }
    return row, every.per_file


def _published(corpus: _Corpus) -> pd.DataFrame:
    """NAB's own standard-profile scores of scoreboard detectors, on our files.

    Each detector at the threshold NAB optimised for it on all 58 files, so
    these files were part of its tuning (in-sample, like our ``nab_in_sample``).
    """
    aws = corpus.tuning_mask()
    keys = [corpus.keys[p] for p in corpus.paths]
    windows = np.array([corpus.fast[p].n_windows for p in corpus.paths])
    rows = []
    for detector in PUBLISHED:
        summary = (
            NAB / f"reference_results/score_summaries/{detector}_standard_scores.csv"
        )
        with summary.open(encoding="utf-8") as handle:
            by_file = {r["File"]: float(r["Score"]) for r in csv.DictReader(handle)}
        raw = np.array([by_file[k] for k in keys])
        corpus_files = [k for k in by_file if "/" in k]
        row: dict[str, object] = {"detector": detector}
        for label, mask in (
            ("all_24", np.ones(len(keys), dtype=bool)),
            ("tuning_aws", aws),
            ("known_cause", ~aws),
        ):
            score = nab.normalised_score(raw[mask].sum(), int(windows[mask].sum()))
            row[f"nab_{label}"] = round(score, 1)
        full = nab.normalised_score(
            sum(by_file[k] for k in corpus_files),
            sum(len(corpus.all_windows[k]) for k in corpus_files),
        )
        row["nab_full_corpus_58"] = round(full, 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _header(corpus: _Corpus, n_windows: int, worst: float, wall: float) -> str:
    aws = corpus.tuning_mask()
    tuning_windows = sum(corpus.fast[p].n_windows for p in np.array(corpus.paths)[aws])
    return (
        f"# NAB standard profile, {len(corpus.paths)} real series"
        f" ({n_windows} windows)\n\n"
        "Files: the realAWSCloudwatch and realKnownCause folders present locally"
        " (not the full 58-file corpus, so the numbers are not directly the"
        " scoreboard's; every comparison below is on the same files).\n\n"
        f"Scorer golden check: worst |difference| from NAB's windowedGaussian"
        f" per-file scores = {worst:.2e}.\n\n"
        f"numpy {np.__version__}, statsmodels {statsmodels.__version__},"
        f" scikit-learn {sklearn.__version__}, pandas {pd.__version__};"
        f" {os.cpu_count()} CPU(s); wall time {wall:.0f} s."
        " Command: `.venv/bin/python benchmarks/bench_nab.py`.\n\n"
        "Operating point = (score threshold, alarm suppression after a flag)."
        " `nab_in_sample`: one pair for all files, chosen on the same files"
        " (optimistic). `nab_held_out_lofo`: each file scored at the"
        " pair best on the other 23 files. `nab_held_out_folder`: pair chosen on"
        " the other folder.\n\n"
        f"Tuning split: realAWSCloudwatch ({int(aws.sum())} files,"
        f" {tuning_windows} windows); `nab_tuning_aws_lofo` is leave one file out"
        " inside it. Held-out split: realKnownCause"
        f" ({int((~aws).sum())} files, {n_windows - tuning_windows} windows);"
        " `nab_held_out_known_cause` scores it at the pair best on"
        " realAWSCloudwatch. The calibrated detectors (`calibrated(...)`, the"
        " causal rank of a detector's score among the same file's earlier"
        " scores) and their mean were designed by comparing candidates on"
        " realAWSCloudwatch only, so `nab_held_out_known_cause` is their clean"
        " held-out figure: neither their design nor their operating point saw"
        " those files. The older rows (raw detectors, windowed_tail) were"
        " designed looking at all 24 files, and so were the two"
        " `max(calibrated ...)` rows: they were added in a second round, after"
        " realKnownCause had been scored once, by comparing a few max and mean"
        " combinations of calibrated scores on all 24 files (max scored higher"
        " than mean, leave one file out, in every pair tried). For them no column is free of"
        " design choices made on the same files; `selected by CV` holds out the"
        " choice among the rows but not the writing of the list.\n\n"
        "The z/threshold/suppression columns show the in-sample pair; for"
        " calibrated scores the threshold is a rank (0.997: above 99.7 % of the"
        " file's earlier scores) and z does not apply. Event recall, precision"
        " and false alarms per series-day are of the leave-one-file-out flags"
        " (the known_cause_ columns: of the held-out split's flags); `goal_met`"
        " is recall ≥ 0.5 with ≤ 1 false-alarm event per series-day."
        " `selected by CV` picks the detector too, among every row above, the"
        " uncalibrated rolling_mad_24h and the windowed_tail variants (long"
        " 12/24/48 h × short 0.25/0.5/1 h), on the training files of each split.\n\n"
    )


def _verdict(table: pd.DataFrame, wide: pd.DataFrame, published: pd.DataFrame) -> str:
    """Plain statement of wins and losses, computed from the results."""
    by = table.set_index("detector")
    ref = published.set_index("detector")
    wg_fixed = float(
        str(by.loc["windowedGaussian (NAB threshold 1.0)", "nab_held_out_lofo"])
    )
    wg_cv = by.loc["windowedGaussian, same procedure"]
    rcf_all = float(str(ref.loc["randomCutForest", "nab_all_24"]))
    rcf_known = float(str(ref.loc["randomCutForest", "nab_known_cause"]))
    lines = ["## Wins and losses", ""]
    for row in table.itertuples():
        if str(row.detector).startswith("windowedGaussian"):
            continue
        lofo = float(str(row.nab_held_out_lofo))
        folder = float(str(row.nab_held_out_folder))
        known = float(str(row.nab_held_out_known_cause))
        against = [
            f"{'beats' if lofo > wg_fixed else 'loses to'} the windowed Gaussian at"
            f" NAB's threshold ({wg_fixed})",
            f"{'beats' if lofo > wg_cv.nab_held_out_lofo else 'loses to'} it under"
            f" the same procedure ({wg_cv.nab_held_out_lofo})",
            f"{'beats' if lofo > rcf_all else 'below'} random cut forest on the"
            f" same files ({rcf_all})",
            f"realKnownCause held out {known} vs random cut forest {rcf_known}",
        ]
        if folder <= float(str(wg_cv.nab_held_out_folder)):
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
  to detected moves the normalised score by about 2 points (about 5 on the 19 windows
  of realKnownCause), and the leave-one-file-out and folder-split figures of one
  detector differ by up to 20 points.
- The published detectors' thresholds were optimised by NAB on all 58 files, these 24
  included: their figures here are in-sample, comparable to our `nab_in_sample` rather
  than to a held-out column.
- Choosing the calibrated rolling MAD's 24 h window and the mean ensemble's members
  was itself a comparison of a handful of candidates on realAWSCloudwatch, so
  `nab_tuning_aws_lofo` is optimistic for them; `nab_held_out_known_cause` is not.
  Both failed there, which is why the second round exists.
- The full 58-file corpus (34 files not present locally) would be the independent
  check against the scoreboard.
- IsolationForest dominates runtime (refitted every 500 rows on every file);
  calibration adds well under a second per detector over all files.
"""


def _markdown(table: pd.DataFrame) -> str:
    cells = table.astype(object).where(table.notna(), "")
    lines = ["| " + " | ".join(map(str, table.columns)) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in cells.to_numpy()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
