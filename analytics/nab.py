"""Score anomaly detectors the way the Numenta Anomaly Benchmark (NAB) does.

Implemented from NAB's published scoring rules (Lavin & Ahmad, 2015, and the
NAB documentation), not from its source:

* Each labelled anomaly sits in a *window* of rows. The first ``p`` rows of a
  file are a *probationary period* (``p = min(floor(0.15 n), 0.15 × 5000)``)
  that is never scored, so a detector can learn.
* A row is a *detection* when its anomaly score is at least the threshold.
* Each row gets an unweighted value from the scaled sigmoid
  ``σ(y) = 2 / (1 + e^{5y}) − 1`` of its relative position ``y``:

  - inside a window, ``y = −(right − i + 1) / width`` (−1 at the left edge,
    close to 0 at the right edge), so earlier detections earn more;
  - after a window, ``y = |i − right| / (width − 1)`` measured from the
    previous window's right edge (``σ`` is then negative and reaches −1 for
    ``y > 3``);
  - before the first window, the value is −1.

* Only the first detection in a window counts: it earns ``A_TP × σ(y) / σ(−1)``
  (a detection on the window's first row earns exactly ``A_TP``). Every
  detection outside windows costs ``A_FP × σ(y)`` (a negative number). A window
  without any detection costs ``−A_FN``.
* Scores are normalised over a corpus between a *null* detector (no detections:
  ``−A_FN`` per window) and a *perfect* one (``A_TP`` per window):
  ``100 × (S − S_null) / (S_perfect − S_null)``.

The row counts (``tp``, ``tn``, ``fp``, ``fn``) are informational, as in NAB's
score summaries: rows (after probation) inside/outside windows with/without a
detection.

Examples
--------
>>> round(scaled_sigmoid(-1.0), 6)
0.986614
>>> ts = pd.date_range("2024-01-01", periods=10, freq="h")
>>> windows = [(ts[6], ts[8])]
>>> scores = [0, 0, 0, 0, 0, 0, 0, 1.0, 0, 0]
>>> result = score_file(ts, scores, windows, threshold=0.5, profile=STANDARD)
>>> round(result.score, 6)
0.943742
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError

__all__ = [
    "STANDARD",
    "EventCounts",
    "FileScore",
    "NabProfile",
    "event_counts",
    "load_profiles",
    "load_thresholds",
    "load_windows",
    "normalised_score",
    "probationary_length",
    "read_nab_series",
    "scaled_sigmoid",
    "score_file",
]

PROBATIONARY_PERCENT = 0.15
"""Share of each file that is never scored (NAB's default)."""


@dataclass(frozen=True)
class NabProfile:
    """Weights of one NAB application profile (its cost matrix)."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


STANDARD = NabProfile("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0)
"""NAB's standard profile."""


@dataclass(frozen=True)
class FileScore:
    """The NAB score of one detector on one data file at one threshold.

    Attributes
    ----------
    score
        Raw (unnormalised) score: sum of TP rewards, FP penalties and FN costs.
    tp, tn, fp, fn
        Row counts after the probationary period (see module docstring).
    total_count
        Rows in the file, probationary rows included.
    windows_count
        Anomaly windows in the file.
    windows_detected
        Windows with at least one detection.
    """

    score: float
    tp: int
    tn: int
    fp: int
    fn: int
    total_count: int
    windows_count: int
    windows_detected: int


def scaled_sigmoid(relative_position: float) -> float:
    """NAB's scaled sigmoid ``2 / (1 + e^{5y}) − 1``, fixed at −1 beyond ``y = 3``.

    Examples
    --------
    >>> scaled_sigmoid(0.0)
    0.0
    >>> scaled_sigmoid(3.5)
    -1.0
    """
    if relative_position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * relative_position)) - 1.0


def probationary_length(rows_count: int, percent: float = PROBATIONARY_PERCENT) -> int:
    """Rows at the start of a file that are never scored.

    Examples
    --------
    >>> probationary_length(4032), probationary_length(10320)
    (604, 750)
    """
    return int(min(math.floor(percent * rows_count), percent * 5000))


def _row_values(
    times: Sequence[pd.Timestamp], windows: Sequence[tuple[pd.Timestamp, pd.Timestamp]]
) -> tuple[np.ndarray, np.ndarray]:
    """Unweighted sigmoid value and window number (−1 outside) of every row.

    Walks the rows in file order, as NAB does: a window opens at the first row
    whose time reaches its start and closes at the first row equal to its end.
    """
    index_of: dict[pd.Timestamp, int] = {}
    for i, t in enumerate(times):
        index_of.setdefault(t, i)

    values = np.empty(len(times))
    window_of = np.full(len(times), -1, dtype=np.int64)
    pending = sorted(windows)
    current: int | None = None
    right = width = 0
    prev_right: int | None = None
    prev_width = 0
    opened = 0

    for i, t in enumerate(times):
        if pending and t >= pending[0][0]:
            start, end = pending.pop(0)
            current = opened
            opened += 1
            right = _index(index_of, end)
            width = right - _index(index_of, start) + 1
            window_end = end
        if current is not None:
            values[i] = scaled_sigmoid(-(right - i + 1) / width)
            window_of[i] = current
            if t == window_end:
                prev_right, prev_width, current = i, width, None
        elif prev_right is None:
            values[i] = -1.0
        else:
            values[i] = scaled_sigmoid(abs(prev_right - i) / (prev_width - 1))
    return values, window_of


def _index(index_of: Mapping[pd.Timestamp, int], t: pd.Timestamp) -> int:
    if t not in index_of:
        raise ConfigError(
            f"anomaly window limit {t} is not a timestamp of the data file."
            " Fix: use window limits taken from the file's own timestamps."
        )
    return index_of[t]


def score_file(
    timestamps: Iterable[pd.Timestamp] | pd.DatetimeIndex,
    anomaly_scores: Iterable[float] | np.ndarray,
    windows: Sequence[tuple[pd.Timestamp, pd.Timestamp]],
    *,
    threshold: float,
    profile: NabProfile = STANDARD,
    probationary_percent: float = PROBATIONARY_PERCENT,
) -> FileScore:
    """NAB score of one file's anomaly scores at one threshold.

    Parameters
    ----------
    timestamps
        Row timestamps in file order (repeats allowed, as in NAB's files).
    anomaly_scores
        One score per row; a row is a detection when ``score >= threshold``.
    windows
        ``(start, end)`` of each anomaly window; both must be row timestamps.
    threshold
        Detection threshold.
    profile
        Cost-matrix weights.
    probationary_percent
        Share of rows (at most ``percent × 5000``) never scored.

    Returns
    -------
    FileScore

    Examples
    --------
    >>> ts = pd.date_range("2024-01-01", periods=10, freq="h")
    >>> score_file(ts, np.zeros(10), [(ts[6], ts[8])], threshold=0.5).score
    -1.0
    """
    times = list(pd.DatetimeIndex(list(timestamps)))
    scores = np.asarray(list(anomaly_scores), dtype=float)
    if len(scores) != len(times):
        raise ConfigError(
            f"{len(scores)} anomaly scores for {len(times)} timestamps."
            " Fix: give exactly one score per row."
        )

    values, window_of = _row_values(
        times, [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows]
    )
    scored = np.arange(len(times)) >= probationary_length(
        len(times), probationary_percent
    )
    detected = scores >= threshold
    in_window = window_of >= 0

    total = 0.0
    first_hit: dict[int, float] = {}
    for i in np.flatnonzero(detected & scored):
        if in_window[i]:
            first_hit.setdefault(int(window_of[i]), float(values[i]))
        else:
            total += profile.fp_weight * float(values[i])
    total += profile.tp_weight * sum(first_hit.values()) / scaled_sigmoid(-1.0)
    total -= profile.fn_weight * (len(windows) - len(first_hit))

    return FileScore(
        score=total,
        tp=int(np.sum(detected & scored & in_window)),
        tn=int(np.sum(~detected & scored & ~in_window)),
        fp=int(np.sum(detected & scored & ~in_window)),
        fn=int(np.sum(~detected & scored & in_window)),
        total_count=len(times),
        windows_count=len(windows),
        windows_detected=len(first_hit),
    )


def normalised_score(
    raw_total: float, windows_count: int, profile: NabProfile = STANDARD
) -> float:
    """NAB's 0–100 scale: null detector 0, perfect detector 100.

    Examples
    --------
    >>> round(normalised_score(-24.0131054891, 116), 4)
    39.6495
    """
    null = -profile.fn_weight * windows_count
    perfect = profile.tp_weight * windows_count
    return 100.0 * (raw_total - null) / (perfect - null)


@dataclass(frozen=True)
class EventCounts:
    """Event-level view of detections in one file (after probation).

    ``false_alarm_events`` counts runs of consecutive detected rows outside
    windows; ``scored_days`` is the scored time span in days.
    """

    windows_count: int
    windows_detected: int
    false_alarm_events: int
    scored_days: float


def event_counts(
    timestamps: Iterable[pd.Timestamp] | pd.DatetimeIndex,
    anomaly_scores: Iterable[float] | np.ndarray,
    windows: Sequence[tuple[pd.Timestamp, pd.Timestamp]],
    *,
    threshold: float,
    probationary_percent: float = PROBATIONARY_PERCENT,
) -> EventCounts:
    """Windows detected and false-alarm events, for event precision and recall.

    Examples
    --------
    >>> ts = pd.date_range("2024-01-01", periods=10, freq="h")
    >>> s = [0, 0, 0, 0, 1, 1, 0, 1, 0, 0]
    >>> c = event_counts(ts, s, [(ts[6], ts[8])], threshold=0.5, probationary_percent=0)
    >>> c.windows_detected, c.false_alarm_events, c.scored_days
    (1, 1, 0.375)
    """
    times = pd.DatetimeIndex(list(timestamps))
    scores = np.asarray(list(anomaly_scores), dtype=float)
    start = probationary_length(len(times), probationary_percent)
    wins = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows]

    in_window = np.zeros(len(times), dtype=bool)
    detected_windows = 0
    for a, b in wins:
        mask = np.asarray((times >= a) & (times <= b))
        in_window |= mask
        mask[:start] = False
        detected_windows += bool(np.any(mask & (scores >= threshold)))

    alarm = (scores >= threshold) & ~in_window
    alarm[:start] = False
    rising = alarm & ~np.concatenate([[False], alarm[:-1]])
    span = (times[-1] - times[start]) if len(times) > start else pd.Timedelta(0)
    return EventCounts(
        windows_count=len(wins),
        windows_detected=detected_windows,
        false_alarm_events=int(rising.sum()),
        scored_days=span / pd.Timedelta(days=1),
    )


def load_windows(
    path: str | Path,
) -> dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    """Read NAB's ``combined_windows.json``: file key → list of windows."""
    raw = _read_json(path)
    return {
        key: [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in value]
        for key, value in raw.items()
    }


def load_profiles(path: str | Path) -> dict[str, NabProfile]:
    """Read NAB's ``profiles.json`` into :class:`NabProfile` objects."""
    raw = _read_json(path)
    try:
        return {
            name: NabProfile(
                name,
                tp_weight=float(p["CostMatrix"]["tpWeight"]),
                fp_weight=float(p["CostMatrix"]["fpWeight"]),
                fn_weight=float(p["CostMatrix"]["fnWeight"]),
            )
            for name, p in raw.items()
        }
    except (KeyError, TypeError) as exc:
        raise InputError(
            path, f"profile without a full CostMatrix ({exc})", fix="use NAB's format"
        ) from exc


def load_thresholds(path: str | Path) -> dict[str, dict[str, float]]:
    """Read NAB's ``thresholds.json``: detector → profile → threshold."""
    raw = _read_json(path)
    return {
        detector: {profile: float(v["threshold"]) for profile, v in by_profile.items()}
        for detector, by_profile in raw.items()
    }


def read_nab_series(path: str | Path) -> pd.DataFrame:
    """Read a NAB data or results CSV (``timestamp`` column parsed, order kept)."""
    try:
        frame = pd.read_csv(path)
        frame["timestamp"] = pd.to_datetime(
            frame["timestamp"], format="%Y-%m-%d %H:%M:%S"
        )
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(
            path,
            f"not a NAB CSV with a 'timestamp' column ({exc})",
            fix="check the file",
        ) from exc
    return frame


def _read_json(path: str | Path) -> dict[str, Any]:
    try:
        with Path(path).open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InputError(
            path, f"cannot read JSON ({exc})", fix="check the file"
        ) from exc
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object at the top level")
    return data
