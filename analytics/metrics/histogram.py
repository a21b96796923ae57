"""Latency SLIs from Prometheus histogram buckets (classic, cumulative ``le`` buckets).

Two readings of the same buckets:

* :func:`histogram_quantile` estimates a quantile the way PromQL's
  ``histogram_quantile`` does: find the bucket holding the rank and
  interpolate linearly inside it, assuming observations spread evenly. The
  lowest bucket starts at 0 when its upper bound is positive; a rank in the
  ``+Inf`` bucket returns the highest finite bound.
* :func:`share_below` is exact, with no interpolation: the share of requests
  at or under a threshold that *is* a bucket boundary. This is the latency SLI
  an SLO should use ("95 % of requests within 300 ms"); a threshold between
  boundaries is refused rather than guessed. :func:`latency_share_slo` turns
  it into an SLO over a window (occurrences: good = increase of the bucket at
  the threshold, valid = increase of the ``+Inf`` bucket).

Bucket bounds are matched as numbers, so ``le="1"`` (Prometheus 2) and
``le="1.0"`` (Prometheus 3) are the same bucket. Counters are turned into
per-window bucket counts with :func:`bucket_increase`, which handles resets
like :func:`analytics.metrics.slo.counter_increase`. No observations give
None (NO DATA), never 0 or 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from analytics.errors import ConfigError
from analytics.frames import to_pandas
from analytics.metrics.slo import (
    SLOResult,
    availability_from_counters,
    counter_increase,
    slo_from_counts,
)

__all__ = [
    "METHOD_LATENCY_SHARE",
    "bucket_increase",
    "histogram_quantile",
    "latency_share_slo",
    "parse_le",
    "share_below",
]

METHOD_LATENCY_SHARE = "occurrences (histogram buckets: share at or under a threshold)"

BucketCounts = Mapping[str, float] | Mapping[float, float] | Mapping[str | float, float]


def parse_le(bound: str | float) -> float:
    """An ``le`` label value as a number: ``"1"`` and ``"1.0"`` are both 1.0.

    Examples
    --------
    >>> parse_le("1.0") == parse_le("1"), parse_le("+Inf")
    (True, inf)
    """
    if isinstance(bound, int | float):
        return float(bound)
    text = str(bound).strip()
    try:
        return float(text)
    except ValueError as exc:
        raise ConfigError(
            f"le={bound!r} is not a bucket bound (a number or +Inf)"
        ) from exc


def histogram_quantile(q: float, buckets: BucketCounts) -> float | None:
    """Quantile ``q`` of cumulative bucket counts, interpolated like PromQL.

    Parameters
    ----------
    q
        Quantile in [0, 1], e.g. 0.95.
    buckets
        Cumulative count per upper bound (``le``), text or number; must hold
        ``+Inf``. Counts that decrease with the bound (possible when buckets
        are scraped at slightly different times) are raised to the running
        maximum, as Prometheus does.

    Returns
    -------
    float or None
        None when there are no observations.

    Examples
    --------
    >>> histogram_quantile(0.5, {"0": 6, "0.5": 11, "1": 14, "+Inf": 19})
    0.35
    >>> round(histogram_quantile(
    ...     0.95, {"0.1": 0, "0.2": 0, "0.3": 40, "0.45": 40, "+Inf": 40}), 6)
    0.295
    """
    if not 0.0 <= q <= 1.0:
        raise ConfigError(f"quantile must be in [0, 1], got {q!r}")
    bounds, counts = _sorted_buckets(buckets)
    observations = counts[-1]
    if observations <= 0:
        return None

    rank = q * observations
    index = int(np.searchsorted(counts, rank, side="left"))
    if index == len(bounds) - 1:  # the +Inf bucket
        return float(bounds[-2]) if len(bounds) > 1 else None
    upper = float(bounds[index])
    if index == 0:
        if upper <= 0:
            return upper
        lower, below = 0.0, 0.0
    else:
        lower, below = float(bounds[index - 1]), float(counts[index - 1])
    inside = float(counts[index]) - below
    if inside <= 0:
        return upper
    return float(lower + (upper - lower) * (rank - below) / inside)


def share_below(threshold_seconds: float, buckets: BucketCounts) -> float | None:
    """Share of observations at or under a bucket boundary (exact, no interpolation).

    Raises
    ------
    ConfigError
        If the threshold is not one of the bucket bounds (listed in the message).

    Examples
    --------
    >>> share_below(0.3, {"0.1": 50, "0.3": 95, "1.0": 100, "+Inf": 100})
    0.95
    >>> share_below(1, {"0.1": 50, "0.3": 95, "1.0": 100, "+Inf": 100})
    1.0
    """
    bounds, counts = _sorted_buckets(buckets)
    matches = np.flatnonzero(np.isclose(bounds, float(threshold_seconds), rtol=1e-9))
    if matches.size == 0:
        listed = ", ".join(f"{b:g}" for b in bounds)
        raise ConfigError(
            f"latency threshold {threshold_seconds!r} s is not a bucket boundary"
            f" (boundaries: {listed}); use one of them, or add a bucket at the"
            " threshold to the service's histogram"
        )
    if counts[-1] <= 0:
        return None
    return float(counts[matches[0]] / counts[-1])


def bucket_increase(
    samples: Any,
    *,
    window_start: str | datetime | pd.Timestamp,
    window_end: str | datetime | pd.Timestamp,
) -> dict[float, float]:
    """Increase of each ``le`` bucket over ``[window_start, window_end]``.

    ``samples`` is a samples frame of ``*_bucket`` counters (pandas or polars)
    whose ``labels`` hold ``le``; series that differ in other labels are
    summed per bound (like ``sum by (le)``). Resets are handled per series.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=3, freq="1min", tz="UTC")
    >>> rows = [(t, le, v) for le, values in (("0.5", [0, 4, 9]), ("+Inf", [0, 5, 12]))
    ...         for t, v in zip(times, values)]
    >>> frame = pd.DataFrame({"timestamp": [r[0] for r in rows],
    ...     "labels": [{"le": r[1]} for r in rows],
    ...     "series": [f"b{{le={r[1]}}}" for r in rows], "value": [r[2] for r in rows]})
    >>> bucket_increase(frame, window_start=times[0], window_end=times[-1])
    {0.5: 9.0, inf: 12.0}
    """
    frame = to_pandas(samples)
    start, end = pd.Timestamp(window_start), pd.Timestamp(window_end)
    if start.tzinfo is None or end.tzinfo is None:
        raise ConfigError("window_start and window_end need a time zone")
    inside = frame[(frame["timestamp"] >= start) & (frame["timestamp"] <= end)]

    totals: dict[float, float] = {}
    for _, series in inside.groupby("series", sort=False):
        labels = series["labels"].iloc[0]
        if not isinstance(labels, Mapping) or "le" not in labels:
            raise ConfigError(
                f"series {series['series'].iloc[0]!r} has no 'le' label:"
                " query the *_bucket series of a histogram"
            )
        bound = parse_le(labels["le"])
        ordered = series.sort_values("timestamp")["value"].to_numpy(dtype=float)
        totals[bound] = totals.get(bound, 0.0) + counter_increase(ordered)
    return dict(sorted(totals.items()))


def _sorted_buckets(buckets: BucketCounts) -> tuple[np.ndarray, np.ndarray]:
    merged: dict[float, float] = {}
    for bound, count in buckets.items():
        value = parse_le(bound)
        merged[value] = merged.get(value, 0.0) + float(count)
    if math.inf not in merged:
        raise ConfigError(
            f"the buckets have no +Inf bucket (bounds: {sorted(merged)});"
            " select every *_bucket series of the histogram"
        )
    bounds = np.asarray(sorted(merged), dtype=float)
    counts = np.maximum.accumulate(np.asarray([merged[b] for b in bounds], dtype=float))
    return bounds, counts


def latency_share_slo(
    samples: Any,
    *,
    threshold_seconds: float,
    window_start: str | datetime | pd.Timestamp,
    window_end: str | datetime | pd.Timestamp,
    target: float,
) -> SLOResult:
    """Latency SLO: share of requests at or under a bucket bound over a window.

    ``good`` is the increase of the bucket whose bound equals
    ``threshold_seconds`` (``le="1"`` and ``le="1.0"`` both match 1.0) and
    ``valid`` the increase of the ``+Inf`` bucket, both from
    :func:`bucket_increase` (resets handled, no extrapolation, series summed
    per bound), so ``sli`` is exact, with no interpolation. Buckets whose
    cumulative counts decrease with the bound are raised to the running
    maximum, as in :func:`histogram_quantile`. No observation gives
    ``sli = None`` (NO DATA).

    The bounds and ``coverage_ratio`` are those of
    :func:`~analytics.metrics.slo.availability_from_counters` with the
    threshold bucket as the good counter and the ``+Inf`` bucket as the total:
    requests in time without samples, at the observed rate, count as slow in
    ``sli_lower_bound`` (the judged figure), as do the first values of bucket
    series born in the window.

    Raises
    ------
    ConfigError
        ``threshold_seconds`` is not a bucket bound (the message lists them),
        or the buckets have no ``+Inf`` bucket.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=3, freq="1min", tz="UTC")
    >>> rows = [(t, le, v) for le, values in (("0.3", [0, 90, 190]),
    ...         ("1.0", [0, 99, 199]), ("+Inf", [0, 100, 200]))
    ...         for t, v in zip(times, values)]
    >>> frame = pd.DataFrame({"timestamp": [r[0] for r in rows],
    ...     "labels": [{"le": r[1]} for r in rows],
    ...     "series": [f"b{{le={r[1]}}}" for r in rows], "value": [r[2] for r in rows]})
    >>> r = latency_share_slo(frame, threshold_seconds=1, window_start=times[0],
    ...                       window_end=times[-1], target=0.99)
    >>> r.good, r.valid, r.sli
    (199.0, 200.0, 0.995)
    """
    frame = to_pandas(samples)
    start, end = pd.Timestamp(window_start), pd.Timestamp(window_end)
    # The bound is checked against every bucket of the frame, so a window
    # without samples is NO DATA rather than a misleading threshold error.
    known_bounds = {
        parse_le(lab["le"])
        for lab in frame["labels"]
        if isinstance(lab, Mapping) and "le" in lab
    }
    share_below(threshold_seconds, dict.fromkeys(known_bounds | {math.inf}, 0.0))
    buckets = bucket_increase(frame, window_start=start, window_end=end)
    good, observations = 0.0, 0.0
    if buckets:
        share_below(threshold_seconds, buckets)  # the bound is one of these
        bounds, counts = _sorted_buckets(buckets)
        at = np.flatnonzero(np.isclose(bounds, float(threshold_seconds), rtol=1e-9))
        good, observations = float(counts[at[0]]), float(counts[-1])

    # The two buckets read as a good and a total counter: the same coverage and
    # pessimistic bound as availability (time without data counts as bad).
    les = [_le_bound(lab) for lab in frame["labels"]]
    at_threshold = np.array(
        [
            le is not None and math.isclose(le, threshold_seconds, rel_tol=1e-9)
            for le in les
        ],
        dtype=bool,
    )
    infinite = np.array([le is not None and math.isinf(le) for le in les], dtype=bool)
    counters = availability_from_counters(
        frame[at_threshold],
        frame[infinite],
        window_start=start,
        window_end=end,
        target=target,
    )
    notes = [
        f"share of requests at or under {threshold_seconds:g} s: increase of the"
        f" le={threshold_seconds:g} bucket / increase of the +Inf bucket over the"
        " window (resets handled, no extrapolation, no interpolation)",
        *(
            _bucket_words(note)
            for note in counters.notes[1:]
            if "no data in the window" not in note and "no traffic" not in note
        ),
    ]
    return slo_from_counts(
        method=METHOD_LATENCY_SHARE,
        target=target,
        window_start=start,
        window_end=end,
        good=good,
        valid=observations,
        coverage_ratio=counters.coverage_ratio,
        series_count=int(frame["series"].nunique()),
        notes=notes,
        bounds=(counters.sli_lower_bound, counters.sli_upper_bound),
    )


_BUCKET_WORDS = (
    ("total counters", "+Inf bucket series"),
    ("total counter", "+Inf bucket series"),
    ("good counters", "threshold bucket series"),
    ("good counter", "threshold bucket series"),
    ("counted as failed", "counted as slow"),
)


def _bucket_words(note: str) -> str:
    """An availability note about good/total counters, said of the two buckets."""
    for old, new in _BUCKET_WORDS:
        note = note.replace(old, new)
    return note


def _le_bound(labels: object) -> float | None:
    """The ``le`` bound of a bucket series' labels, or None without a valid one."""
    if not isinstance(labels, Mapping) or "le" not in labels:
        return None
    try:
        return parse_le(labels["le"])
    except ConfigError:
        return None
