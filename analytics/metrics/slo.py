"""Availability SLOs: SLI, error budget, burn rate, with missing data kept unknown.

The formulas are the ones shared by the SRE workbook, OpenSLO, Sloth and Pyrra::

    SLI                     = good / valid
    error budget (ratio)    = 1 - target
    error budget (time)     = (1 - target) * window          99.9 % over 30 d = 43.2 min
    burn rate               = (1 - SLI) / (1 - target)
    budget consumed (ratio) = burn rate over the SLO window  (the window given here)
    budget remaining        = 1 - budget consumed            (negative when overspent)

Five kinds of budgeting are offered, and every result names its method:

* **timeslices over up samples** (:func:`availability_from_up`): each scrape
  interval of each series is one slot. A sample with value >= 1 is a good slot,
  any lower value (0, or a fraction such as an ``avg(up)`` over instances with
  one down) a bad slot, and a slot with no sample is *unknown*, never good.
* **occurrences (counter increase)** (:func:`availability_from_counters`,
  :func:`availability_from_error_counters`): the increase of good (or bad) and
  total request counters over the window, with counter resets handled.
* **timeslices over counters** (:func:`availability_from_counter_slices`,
  ``method="timeslices"``, OpenSLO *Timeslices*): the window is cut into
  slices of ``slice_seconds``; a slice is good when its own ratio of good to
  total events meets ``slice_target``; ``SLI = good slices / slices with
  data``.
* **ratio timeslices over counters** (same function,
  ``method="ratio_timeslices"``, OpenSLO *RatioTimeslices*): ``SLI = mean of
  the slice ratios`` over the slices with data. Every slice weighs the same
  whatever its traffic, so a busy bad slice counts no more than a quiet one.

* **threshold metrics** (:func:`threshold_slo`, OpenSLO *thresholdMetric*): a
  data point of a gauge-like series is good when ``value op threshold``;
  budgeted by occurrences (share of good points), timeslices or ratio
  timeslices over the points of each slice.

A slice with no counter increment in it (no scrape), with zero traffic, or
(good/total) with no good-counter increment while the total counter has one,
is *unknown*: it is neither good nor bad, lowers ``coverage_ratio``, counts as
bad in ``sli_lower_bound`` and as good (ratio 1) in ``sli_upper_bound``.

Missing data is never turned into good data. ``sli`` is the observed
attainment over the known slots or counted events; ``sli_lower_bound`` counts
every unknown as bad and ``sli_upper_bound`` every unknown as good. Zero valid
slots or zero traffic give ``sli = None``: the caller reports NO DATA.
``budget_consumed_ratio`` and ``budget_remaining_ratio`` follow the observed
``sli``; ``budget_consumed_ratio_upper`` and ``budget_remaining_ratio_lower``
follow ``sli_lower_bound``, the pessimistic reading.

Windows are half-open, ``[window_start, window_end)``, for up samples (so
neighbouring windows share no sample) and closed for counters (a counter
reading at each edge is what the increase is measured between).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type stubs
import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs either
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Tick

from analytics.errors import ConfigError
from analytics.frames import series_time_order, to_pandas

__all__ = [
    "COUNTER_SKEW",
    "METHOD_COUNTER_RATIO_TIMESLICES",
    "METHOD_COUNTER_TIMESLICES",
    "METHOD_OCCURRENCES",
    "METHOD_THRESHOLD_OCCURRENCES",
    "METHOD_THRESHOLD_RATIO_TIMESLICES",
    "METHOD_THRESHOLD_TIMESLICES",
    "METHOD_TIMESLICES",
    "SLICE_METHODS",
    "THRESHOLD_OPS",
    "UP_GOOD",
    "SLOResult",
    "availability_from_counter_slices",
    "availability_from_counters",
    "availability_from_error_counters",
    "availability_from_up",
    "availability_timeline",
    "burn_rate",
    "counter_increase",
    "counter_increase_by_period",
    "counter_slices",
    "error_budget_seconds",
    "slo_from_counts",
    "threshold_slo",
]

COUNTER_SKEW = 0.01
"""How far a good (or bad) counter's increase may exceed the total's before the
pair is judged mismatched (NO DATA) rather than read at slightly different times."""

UP_GOOD = 1.0
"""An ``up``-style sample at or above this value is a good slot; below it, bad."""

TimeLike = str | datetime | pd.Timestamp

METHOD_TIMESLICES = "timeslices over up samples"
METHOD_OCCURRENCES = "occurrences (counter increase)"
METHOD_COUNTER_TIMESLICES = "timeslices (share of good slices)"
METHOD_COUNTER_RATIO_TIMESLICES = "ratio timeslices (mean of slice ratios)"

SLICE_METHODS: dict[str, str] = {
    "timeslices": METHOD_COUNTER_TIMESLICES,
    "ratio_timeslices": METHOD_COUNTER_RATIO_TIMESLICES,
}
"""Slice budgeting methods of :func:`availability_from_counter_slices`, by key."""

SliceMethod = Literal["timeslices", "ratio_timeslices"]

_SLICE_COLUMNS = (
    "slice_start",
    "slice_end",
    "good_events",
    "total_events",
    "ratio",
    "state",
)

_TIMELINE_COLUMNS = (
    "period_start",
    "good",
    "valid",
    "expected",
    "availability",
    "coverage",
)


@dataclass(frozen=True)
class SLOResult:
    """An availability SLO evaluated over one window.

    Attributes
    ----------
    method
        Budgeting method: ``"timeslices over up samples"``,
        ``"occurrences (counter increase)"``, ``"timeslices (share of good
        slices)"`` or ``"ratio timeslices (mean of slice ratios)"``.
    target
        Objective as a ratio, for example 0.999.
    window_start, window_end, window_seconds
        The SLO window (UTC) and its length.
    good, valid
        Good and valid slots (timeslices over up), events (occurrences) or
        slices (counter slices: good slices, or the sum of the slice ratios
        for ratio timeslices; valid = slices with data).
    expected
        Slots the window should hold given each series' scrape interval
        (timeslices over up), or the number of slices (counter slices); None
        for occurrences.
    sli
        Observed attainment ``good / valid``; None when nothing was observed.
    sli_lower_bound, sli_upper_bound
        Attainment with every unknown slot or uncounted event taken as bad /
        as good. ``lower <= sli <= upper``; None with ``sli``.
    coverage_ratio
        Share of the window covered by actual data, 0..1.
    error_budget_ratio, error_budget_seconds
        ``1 - target`` and that share of the window in seconds.
    burn_rate
        ``(1 - sli) / (1 - target)``; None with ``sli``.
    budget_consumed_ratio, budget_remaining_ratio
        Share of the error budget used and left, from the observed ``sli``.
        Remaining is negative when the budget is overspent.
    budget_consumed_ratio_upper, budget_remaining_ratio_lower
        The same from ``sli_lower_bound`` (the pessimistic reading).
    series_count
        Series that contributed data.
    notes
        Rules applied and caveats a reader of the report should see.
    events
        Valid events (requests) behind the figures, when the method counts
        slices or slots of counted events; None otherwise.
    slice_seconds, slice_target
        Slice length and per-slice target ratio of the counter-slice methods
        (``slice_target`` only for ``timeslices``); None otherwise.
    """

    method: str
    target: float
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    window_seconds: float
    good: float
    valid: float
    expected: float | None
    sli: float | None
    sli_lower_bound: float | None
    sli_upper_bound: float | None
    coverage_ratio: float
    error_budget_ratio: float
    error_budget_seconds: float
    burn_rate: float | None
    budget_consumed_ratio: float | None
    budget_remaining_ratio: float | None
    budget_consumed_ratio_upper: float | None
    budget_remaining_ratio_lower: float | None
    series_count: int
    notes: tuple[str, ...] = ()
    events: float | None = None
    slice_seconds: float | None = None
    slice_target: float | None = None

    @property
    def has_data(self) -> bool:
        """False when nothing was observed: report NO DATA, never 100 %."""
        return self.sli is not None


# --- small formulas ----------------------------------------------------------------


def error_budget_seconds(target: float, window_seconds: float) -> float:
    """Time the service may be unavailable in a window: ``(1 - target) * window``.

    Parameters
    ----------
    target
        Objective as a ratio in (0, 1), for example 0.999.
    window_seconds
        Length of the SLO window.

    Examples
    --------
    >>> round(error_budget_seconds(0.999, 30 * 86400) / 60, 6)
    43.2
    >>> round(error_budget_seconds(0.99, 28 * 86400) / 60, 6)
    403.2
    """
    _check_target(target)
    if not window_seconds >= 0:
        raise ConfigError(f"window_seconds must be >= 0, got {window_seconds!r}")
    return (1.0 - target) * float(window_seconds)


def burn_rate(sli: float, target: float) -> float:
    """How fast the error budget burns: ``(1 - sli) / (1 - target)``.

    1 means the budget lasts exactly the window; the largest possible value is
    ``1 / (1 - target)`` (everything failing).

    Examples
    --------
    >>> round(burn_rate(0.998, 0.999), 6)
    2.0
    """
    _check_target(target)
    if not 0.0 <= sli <= 1.0:
        raise ConfigError(f"sli must be a ratio in [0, 1], got {sli!r}")
    return (1.0 - sli) / (1.0 - target)


def counter_increase(values: Iterable[float] | np.ndarray | pd.Series) -> float:
    """Increase of a counter over consecutive readings, counter resets handled.

    A drop means the counter restarted from zero, so the reading after the drop
    is the increase since the reset. NaN readings are skipped. No extrapolation
    to window edges is done (unlike PromQL ``increase``): this is the increase
    between the first and the last reading.

    Examples
    --------
    >>> counter_increase([0, 1, 2, 3, 2, 3, 4])
    7.0
    >>> counter_increase([5])
    0.0
    """
    readings = np.fromiter(values, dtype=float)
    return _increase(readings[~np.isnan(readings)])


def _increase(readings: np.ndarray) -> float:
    """:func:`counter_increase` of float readings already free of NaN."""
    if readings.size < 2:
        return 0.0
    steps = np.diff(readings)
    return float(np.where(steps >= 0, steps, readings[1:]).sum())


def counter_increase_by_period(
    samples: Any, *, periods: pd.DatetimeIndex, step: pd.Timedelta
) -> pd.Series:
    """Increase of counters (summed over series) in each period, in one pass.

    Each series is sorted by time and its consecutive readings give
    increments (a drop is a reset: the new reading is the increment). An
    increment belongs to the period holding its *later* reading, so the
    periods add up exactly to the increase over their union. Periods with no
    increment at all are NaN (no data), not 0.

    This is the fast path for many short windows (rollback checks); for one
    window use :func:`availability_from_counters`, whose coverage and bound
    bookkeeping this function does not do.

    Parameters
    ----------
    samples
        Samples frame of one or more counter series (pandas or polars).
    periods
        Period starts (UTC), evenly spaced by ``step``.
    step
        Period length.

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=7, freq="5min", tz="UTC")
    >>> s = pd.DataFrame({"timestamp": t, "series": "c", "value": [0, 1, 2, 3, 2, 3, 4]})
    >>> starts = pd.date_range("2024-01-01", periods=3, freq="15min", tz="UTC")
    >>> counter_increase_by_period(s, periods=starts, step=pd.Timedelta("15min")).tolist()
    [2.0, 4.0, 1.0]
    """
    frame = to_pandas(samples).sort_values(["series", "timestamp"], kind="stable")
    steps = frame.groupby("series", sort=False)["value"].diff()
    increments = steps.where(steps >= 0, frame["value"]).where(steps.notna())
    data = pd.DataFrame({"timestamp": frame["timestamp"], "inc": increments}).dropna()

    first = periods[0] if len(periods) else pd.Timestamp(0, tz="UTC")
    index = np.floor((data["timestamp"] - first) / step).astype("int64")
    inside = (index >= 0) & (index < len(periods))
    sums = data.loc[inside, "inc"].groupby(index[inside]).sum()
    return pd.Series(sums.reindex(range(len(periods))).to_numpy(), index=periods)


# --- timeslices over up samples ------------------------------------------------------


def availability_from_up(
    samples: Any,
    *,
    window_start: TimeLike,
    window_end: TimeLike,
    target: float,
    scrape_interval_seconds: float | None = None,
    selector: Mapping[str, str] | None = None,
) -> SLOResult:
    """Availability from ``up``-style samples by the timeslice method.

    Each series' window is cut into ``window / scrape interval`` expected
    slots. Every sample in ``[window_start, window_end)`` fills one slot: good
    when its value is >= 1, bad below (0, or a fraction: an averaged ``up`` of
    0.5 means an instance was down, so the slot is not good). Slots with no sample are
    unknown: they lower ``coverage_ratio`` and ``sli_lower_bound`` but never
    count as good. Series are summed (sum of good / sum of valid). Only series
    with at least one sample in the window take part; a series that starts
    late keeps its missing head as unknown.

    Parameters
    ----------
    samples
        Samples frame (pandas or polars), see
        :data:`analytics.frames.SAMPLES_COLUMNS`. NaN values are unknown.
    window_start, window_end
        The SLO window, tz-aware (ISO text with offset, datetime or Timestamp).
    target
        Objective as a ratio, for example 0.999.
    scrape_interval_seconds
        Slot length for every series. Default: each series' median spacing of
        samples, NaN ones included (in the window; else in the whole frame;
        else the median of the other series). When more than half of a
        series' scrapes are missing the median overstates the interval and
        hides the gaps: pass the configured interval then.
    selector
        Exact label matches, for example ``{"job": "api"}``; the key
        ``"__name__"`` matches the ``metric`` column.

    Returns
    -------
    SLOResult
        ``sli`` is None (NO DATA) when no sample lies in the window.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=6, freq="10s", tz="UTC")
    >>> up = pd.DataFrame({"timestamp": times, "metric": "up", "labels": [{}] * 6,
    ...                    "series": "up", "value": [1, 1, 0, 1, 1, 1.0]})
    >>> up = up.drop(index=[4])  # one scrape missing
    >>> r = availability_from_up(up, window_start="2024-05-01T00:00:00Z",
    ...                          window_end="2024-05-01T00:01:00Z", target=0.9)
    >>> r.good, r.valid, r.expected, r.sli, r.sli_lower_bound, r.sli_upper_bound
    (4.0, 5.0, 6.0, 0.8, 0.6666666666666666, 0.8333333333333334)
    """
    start, end, window_seconds = _window(window_start, window_end)
    _check_target(target)
    data = _prepare(samples, selector)
    inside = data[(data["timestamp"] >= start) & (data["timestamp"] < end)]

    intervals, interval_note = _scrape_intervals(data, inside, scrape_interval_seconds)
    per_series = _slots_per_series(inside, intervals, window_seconds)

    good = float(per_series["good"].sum())
    valid = float(per_series["valid"].sum())
    expected = float(per_series["expected"].sum())
    unknown = float(per_series["unknown"].sum())
    covered = float(per_series["covered"].sum())

    sli = good / valid if valid > 0 else None
    known_and_unknown = valid + unknown
    lower = good / known_and_unknown if sli is not None else None
    upper = (good + unknown) / known_and_unknown if sli is not None else None
    coverage = min(covered / expected, 1.0) if expected > 0 else 0.0

    partly = inside["value"].between(0.0, 1.0, inclusive="neither")
    notes = [
        "timeslices: one slot per scrape interval per series; value >= 1 good,"
        " below 1 bad, no sample unknown (never good)",
        *interval_note,
        *(
            [
                f"{int(partly.sum()):,} samples between 0 and 1 (an average over"
                " instances?) counted as bad slots: select single instances to"
                " count each one's slots"
            ]
            if partly.any()
            else []
        ),
        *_slot_notes(per_series, unknown, expected),
    ]
    return _result(
        method=METHOD_TIMESLICES,
        target=target,
        window=(start, end, window_seconds),
        counts=(good, valid, expected),
        slis=(sli, lower, upper),
        coverage=coverage,
        series_count=len(per_series),
        notes=notes,
    )


def availability_timeline(
    samples: Any,
    *,
    freq: str = "1h",
    window_start: TimeLike | None = None,
    window_end: TimeLike | None = None,
    selector: Mapping[str, str] | None = None,
    scrape_interval_seconds: float | None = None,
) -> pd.DataFrame:
    """Availability per period (timeslice method), for charts.

    Uses the same slot rules as :func:`availability_from_up`, period by period:
    the scrape interval of each series is taken over the whole window.

    Parameters
    ----------
    samples
        Samples frame (pandas or polars).
    freq
        Fixed period length as a pandas frequency (``"5min"``, ``"1h"``, ``"1D"``).
    window_start, window_end
        Default: the first sample's period start and the end of the last
        sample's period.
    selector, scrape_interval_seconds
        As in :func:`availability_from_up`.

    Returns
    -------
    pandas.DataFrame
        Columns ``period_start``, ``good``, ``valid``, ``expected``,
        ``availability`` (``good / valid``; NaN where no sample: no data, not
        100 %) and ``coverage`` (share of expected slots with a sample).
        Always pandas, whatever the input.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=12, freq="10min", tz="UTC")
    >>> up = pd.DataFrame({"timestamp": times, "metric": "up", "labels": [{}] * 12,
    ...                    "series": "up", "value": [1.0] * 5 + [0.0] + [1.0] * 6})
    >>> availability_timeline(up, freq="1h")[["good", "valid", "availability"]]
       good  valid  availability
    0   5.0    6.0      0.833333
    1   6.0    6.0      1.000000
    """
    step = _fixed_step(freq)
    data = _prepare(samples, selector)
    if data.empty and (window_start is None or window_end is None):
        return _empty_timeline()
    start = _utc(window_start, "window_start") if window_start is not None else None
    end = _utc(window_end, "window_end") if window_end is not None else None
    start = start if start is not None else data["timestamp"].min().floor(freq)
    end = end if end is not None else data["timestamp"].max().floor(freq) + step
    start, end, window_seconds = _window(start, end)

    inside = data[(data["timestamp"] >= start) & (data["timestamp"] < end)]
    intervals, _ = _scrape_intervals(data, inside, scrape_interval_seconds)
    periods = pd.date_range(start, end, freq=step, inclusive="left")
    offsets = (periods - start).total_seconds().to_numpy()
    lengths = np.minimum(offsets + step.total_seconds(), window_seconds) - offsets
    return _timeline_table(inside, intervals, periods, lengths)


# --- occurrences over counters -------------------------------------------------------


def availability_from_counters(
    good: Any,
    total: Any,
    *,
    window_start: TimeLike,
    window_end: TimeLike,
    target: float,
) -> SLOResult:
    """Availability from good and total request counters (occurrences method).

    The increase of each series over ``[window_start, window_end]`` is computed
    with :func:`counter_increase` (resets handled) and summed per frame;
    ``sli = good increase / total increase``. Zero total increase is NO DATA
    (``sli`` None), never 100 %.

    ``coverage_ratio`` is the share of the window between the first and the last
    sample of the total counters in it. Requests served between an instance's
    last scrape and its restart are invisible to any method.

    A series first seen *inside* the window with a non-zero value (no sample
    before the window, and at least one scrape interval after its start) may
    have been born there, like a labelled counter created by its first event:
    Prometheus loses that first value and so does this increase. The bounds
    take it into account: ``sli_lower_bound`` counts every such total-counter
    value as bad requests, ``sli_upper_bound`` as good ones, and a note names
    the series. A first value more than ten times the series' largest later
    step (and above 10) is no birth but an older counter whose earlier samples
    are missing, good or total alike: its first value (its whole past) is not
    counted, and the time before its first sample is time without data.

    Parameters
    ----------
    good, total
        Samples frames (pandas or polars) of counters, one or more series each.
    window_start, window_end
        The SLO window, tz-aware.
    target
        Objective as a ratio, for example 0.999.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=7, freq="5min", tz="UTC")
    >>> def counter(name, values):
    ...     return pd.DataFrame({"timestamp": times, "metric": name,
    ...                          "labels": [{}] * 7, "series": name, "value": values})
    >>> total = counter("requests", [0, 100, 200, 300, 50, 150, 250.0])
    >>> good = counter("good", [0, 100, 199, 299, 50, 150, 249.0])
    >>> r = availability_from_counters(good, total, window_start=times[0],
    ...                                window_end=times[-1], target=0.99)
    >>> r.good, r.valid, round(r.sli, 4), round(r.burn_rate, 3)
    (548.0, 550.0, 0.9964, 0.364)
    """
    return _from_counters(good, total, window_start, window_end, target, is_bad=False)


def availability_from_error_counters(
    bad: Any,
    total: Any,
    *,
    window_start: TimeLike,
    window_end: TimeLike,
    target: float,
) -> SLOResult:
    """Availability from bad (error) and total request counters.

    Same rules as :func:`availability_from_counters`, with
    ``sli = 1 - bad increase / total increase``. An error counter is often born
    at its first error; such an uncounted first value is counted as bad in
    ``sli_lower_bound``.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=7, freq="5min", tz="UTC")
    >>> def counter(name, values):
    ...     return pd.DataFrame({"timestamp": times, "metric": name,
    ...                          "labels": [{}] * 7, "series": name, "value": values})
    >>> total = counter("requests", [0, 1000, 2000, 3000, 2000, 3000, 4000.0])
    >>> errors = counter("errors", [0, 0, 1, 1, 1, 2, 7.0])
    >>> r = availability_from_error_counters(errors, total, window_start=times[0],
    ...                                      window_end=times[-1], target=0.999)
    >>> r.valid, r.good, r.sli
    (7000.0, 6993.0, 0.999)
    """
    return _from_counters(bad, total, window_start, window_end, target, is_bad=True)


def _from_counters(
    numerator: Any,
    total: Any,
    window_start: TimeLike,
    window_end: TimeLike,
    target: float,
    *,
    is_bad: bool,
) -> SLOResult:
    start, end, window_seconds = _window(window_start, window_end)
    _check_target(target)
    part_data = _prepare(numerator, None)
    part, part_spacing = _counter_series(part_data, start, end)
    part = _unlikely_births(part, part_data, start, end)
    # The total counters follow the same rule: a long-running one first seen
    # in the window (its earlier samples missing) is not born there, so its
    # first value, the requests of its whole life, is not of this window.
    whole_data = _prepare(total, None)
    whole, spacing = _counter_series(whole_data, start, end)
    whole = _unlikely_births(whole, whole_data, start, end)
    known = _counter_span(whole, start, end, spacing)
    covered = max((known[1] - known[0]).total_seconds(), 0.0)
    # The numerator's own silence at the window's edges: its requests are counted
    # by the total but their outcome is unknown. Series born in the window are
    # not silent before their birth (their first value is bounded below).
    # No such series at all (an error counter never incremented) bounds nothing.
    existing = part[~part["born"].astype(bool)]
    part_known = (
        _counter_span(existing, start, end, part_spacing or spacing)
        if not existing.empty
        else (start, end)
    )
    both = (max(known[0], part_known[0]), min(known[1], part_known[1]))
    both_seconds = max((both[1] - both[0]).total_seconds(), 0.0)

    counted = float(part["increase"].sum())
    requests = float(whole["increase"].sum())
    part_missed = float(part.loc[part["born"], "first_value"].sum())
    whole_missed = float(whole.loc[whole["born"], "first_value"].sum())
    outcome_unknown = (
        requests / covered * (covered - both_seconds) if covered > 0 else 0.0
    )
    part_missed += outcome_unknown

    notes = [
        "occurrences: increase of each counter over the window, resets handled,"
        " no extrapolation to the window edges",
        *_born_notes(part, "bad" if is_bad else "good"),
        *_born_notes(whole, "total"),
    ]
    coverage = min(both_seconds / window_seconds, 1.0) if window_seconds > 0 else 0.0
    # Requests in the time without samples are unknown: estimated at the rate
    # seen in the covered time, they count as failed in the lower bound.
    unseen = requests / covered * (window_seconds - covered) if covered > 0 else 0.0
    slis, good_events, sli_note = _counter_slis(
        counted, requests, part_missed, whole_missed + unseen, is_bad=is_bad
    )
    notes.extend(sli_note)
    if covered < window_seconds:
        notes.append(
            f"total counters cover {covered / window_seconds:.1%} of the window (no"
            " sample within two scrape intervals of its start or end); about"
            f" {unseen:,.0f} requests at the observed rate fell in the time without"
            " samples, counted as failed in the lower bound (judged)"
        )
    if both_seconds < covered:
        role = "bad" if is_bad else "good"
        notes.append(
            f"the {role} counters are silent for"
            f" {(covered - both_seconds) / 3600:,.1f} h at the window's edges that the"
            f" total counters cover: the outcome of about {outcome_unknown:,.0f} requests"
            " is unknown (counted as failed in the lower bound, judged); coverage"
            f" {coverage:.1%}"
        )
    return _result(
        method=METHOD_OCCURRENCES,
        target=target,
        window=(start, end, window_seconds),
        counts=(good_events, requests, None),
        slis=slis,
        coverage=coverage,
        series_count=len(part) + len(whole),
        notes=notes,
    )


def _counter_slis(
    counted: float,
    requests: float,
    part_missed: float,
    whole_missed: float,
    *,
    is_bad: bool,
) -> tuple[tuple[float | None, float | None, float | None], float, list[str]]:
    """(sli, lower, upper), good events, notes for occurrences.

    ``whole_missed`` are requests of unknown outcome — uncounted first values
    of born-in-window total series, and the requests estimated for time the
    total counters do not cover: all bad for the lower bound, all good for the
    upper one. Uncounted numerator values widen the bound on their side.
    """
    good_events = max(requests - counted, 0.0) if is_bad else counted
    if requests <= 0:
        note = "total increase is 0 in the window: no traffic, NO DATA (not 100 %)"
        return (None, None, None), good_events, [note]

    notes: list[str] = []
    ratio = counted / requests
    role = "bad" if is_bad else "good"
    if ratio > 1.0 + COUNTER_SKEW:
        note = (
            f"{role} increase ({counted:,.0f}) exceeds the total increase"
            f" ({requests:,.0f}) by {ratio - 1:.1%}: the {role} and total counters do not"
            " count the same requests (e.g. different instances, jobs or labels), so"
            " there is no SLI: NO DATA. Fix: select both with the same labels"
        )
        return (None, None, None), good_events, [note]
    if ratio > 1.0:
        notes.append(
            f"{role} increase ({counted:,.0f}) exceeds the total increase"
            f" ({requests:,.0f}) by {ratio - 1:.2%}, within the {COUNTER_SKEW:.0%} allowed"
            " for scrape timing; ratio capped at 1"
        )
    missed = max(part_missed, whole_missed)
    widened = requests + whole_missed
    if is_bad:
        sli = 1.0 - min(ratio, 1.0)
        lower = 1.0 - min((counted + missed) / widened, 1.0)
        upper = 1.0 - min(counted / widened, 1.0)
    else:
        sli = min(ratio, 1.0)
        lower = min(counted / widened, 1.0)
        upper = min((counted + missed) / widened, 1.0)
    return (sli, min(lower, sli), max(upper, sli)), good_events, notes


def _counter_series(
    data: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.DataFrame, float]:
    """Per series: increase in [start, end], first/last sample, born-in-window flag;
    and the median scrape interval of the series (seconds, 0 when unknown).

    Samples with a NaN value are left out, as if never scraped. One sort of the
    whole frame; each series is then a contiguous block of it, and its samples in
    the window a contiguous block of that.
    """
    columns = ["series", "increase", "first_time", "last_time", "first_value", "born"]
    rows = _series_rows(data, known_only=True)
    low, high = _naive(start), _naive(end)
    at = np.flatnonzero((rows.stamp >= low) & (rows.stamp <= high))
    if at.size == 0:
        empty = pd.DataFrame([], columns=columns)
        return empty.astype({"born": bool, "increase": float}), 0.0

    # First and last in-window row of every series that has one.
    owner = rows.code[at]
    heads = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    first_row = at[heads]
    last_row = at[np.r_[heads[1:], at.size] - 1]
    present = owner[heads]

    # A series may have been born in the window: nothing before it, first seen
    # at least one scrape interval after the start, with a non-zero value.
    spacing = _spacing_per_code(rows)
    known = spacing[~np.isnan(spacing)]
    spacing_all = float(np.median(known)) if known.size else 0.0
    threshold = np.where(np.isnan(spacing), spacing_all, spacing)[present]
    first_time = pd.DatetimeIndex(rows.stamp[first_row]).tz_localize("UTC")
    lead = (first_time - start).total_seconds().to_numpy()
    earlier = np.bincount(rows.code[rows.stamp < low], minlength=len(rows.names))
    first_value = rows.value[first_row]
    born = (
        (earlier[present] == 0)
        & (lead >= threshold)
        & (first_time > start)
        & (first_value > 0)
    )

    increase = [
        _increase(rows.value[head : tail + 1])
        for head, tail in zip(first_row, last_row, strict=True)
    ]
    series = pd.DataFrame(
        {
            "series": [rows.names[code] for code in present],
            "increase": np.asarray(increase, dtype=float),
            "first_time": first_time,
            "last_time": pd.DatetimeIndex(rows.stamp[last_row]).tz_localize("UTC"),
            "first_value": first_value,
            "born": np.asarray(born, dtype=bool),
        },
        columns=columns,
    )
    return series, spacing_all


def _unlikely_births(
    series: pd.DataFrame, data: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Un-flag "born in the window" where the first value is too large for a birth.

    A counter created by its first event is exported from then on, so its
    first sample counts at most about one scrape interval of events. A first
    value above ten times the largest step the series takes later (and above
    10, room for a burst) is an older counter whose earlier samples are
    missing: a gap, whose events are unknown, not a birth whose first value
    bounds them.

    >>> t = pd.date_range("2024-05-01 10:00", periods=4, freq="1min", tz="UTC")
    >>> data = pd.DataFrame({"timestamp": t, "series": "e", "value": [600.0, 602, 604, 606]})
    >>> s = pd.DataFrame({"series": ["e"], "first_value": [600.0], "born": [True]})
    >>> bool(_unlikely_births(s, data, t[0] - pd.Timedelta("1h"), t[-1])["born"].iloc[0])
    False
    """
    if series.empty or not series["born"].any():
        return series
    inside = data[(data["timestamp"] >= start) & (data["timestamp"] <= end)]
    inside = inside[inside["value"].notna()].sort_values(["series", "timestamp"])
    steps = inside.groupby("series", sort=False)["value"].diff().clip(lower=0.0)
    largest = steps.groupby(inside["series"], sort=False).max()
    step = series["series"].map(largest).astype(float)
    unlikely = (
        series["born"].astype(bool)
        & step.notna()
        & (series["first_value"].astype(float) > np.maximum(10.0 * step, 10.0))
    )
    if not unlikely.any():
        return series
    marked = series.copy()
    marked.loc[unlikely, "born"] = False
    return marked


def _counter_span(
    series: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, spacing: float
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The part of ``[start, end]`` in which the counters' requests are known.

    Counters are cumulative: a scrape gap between two samples loses no
    request, the later sample counts them. What is unknown is the time before
    the first sample and after the last one in the window; up to two scrape
    intervals of it is ordinary scrape timing, more is time without data. No
    series at all: an empty span.

    >>> t = pd.to_datetime(["2024-05-01 00:00", "2024-05-01 00:40"], utc=True)
    >>> s = pd.DataFrame({"first_time": t[:1], "last_time": t[1:]})
    >>> lo, hi = _counter_span(s, t[0], t[0] + pd.Timedelta("1h"), spacing=300.0)
    >>> (hi - lo).total_seconds()
    2400.0
    """
    if series.empty:
        return start, start
    first, last = series["first_time"].min(), series["last_time"].max()
    allowance = pd.Timedelta(seconds=2.0 * spacing)
    low = first if first - start > allowance else start
    high = last if end - last > allowance else end
    return low, high


def _born_notes(series: pd.DataFrame, role: str) -> list[str]:
    if not series["born"].any():
        return []
    born = series[series["born"]]
    return [
        f"possible undercount: {role} counter {row.series} first seen at"
        f" {row.first_time} with value {row.first_value:g} and no earlier"
        " sample; that first value is not in the increase (the bounds account for it)"
        for row in born.itertuples()
    ]


# --- time slices over counters ---------------------------------------------------------


def counter_slices(
    numerator: Any,
    total: Any,
    *,
    window_start: TimeLike,
    window_end: TimeLike,
    slice_seconds: float,
    numerator_is_bad: bool = False,
) -> pd.DataFrame:
    """Good and total events per time slice of the window, and each slice's state.

    The window ``[window_start, window_end]`` is cut into slices of
    ``slice_seconds`` from ``window_start`` (the last one shorter when the
    window is not a whole number of slices). Slice *k* holds the counter
    increments whose later reading lies in ``(start + k·s, start + (k+1)·s]``,
    which is what PromQL ``increase(x[s])`` evaluated at the slice's end
    reads (without extrapolation). Both readings of an increment must lie in
    the window; resets are handled as in :func:`counter_increase`. Series are
    summed per slice.

    An increment whose readings are more than one slice apart (a scrape gap)
    cannot be placed in one slice: it is left out and counted in the notes of
    :func:`availability_from_counter_slices`; the slices it spans hold no
    increment and are unknown.

    Parameters
    ----------
    numerator
        Samples frame of the good counters, or of the bad (error) counters with
        ``numerator_is_bad=True``.
    total
        Samples frame of the total (valid events) counters.
    window_start, window_end
        The SLO window, tz-aware.
    slice_seconds
        Slice length in seconds (OpenSLO ``timeSliceWindow``).
    numerator_is_bad
        Keyword-only. The numerator counts bad events: ``good = total - bad``.

    Returns
    -------
    pandas.DataFrame
        One row per slice: ``slice_start``, ``slice_end`` (UTC), ``good_events``,
        ``total_events`` (NaN when the slice has no increment), ``ratio``
        (good / total in [0, 1]; NaN when unknown) and ``state``: ``"known"``,
        ``"no data"`` (no total-counter increment), ``"no traffic"`` (total
        increase 0) or ``"no good data"`` (good/total only: the total counter
        moved but the good counter has no increment in the slice). Only
        ``"known"`` slices have a ratio.

    Examples
    --------
    >>> t = pd.date_range("2024-05-01", periods=7, freq="5min", tz="UTC")
    >>> def c(name, values):
    ...     return pd.DataFrame({"timestamp": t, "metric": name, "labels": [{}] * 7,
    ...                          "series": name, "value": values})
    >>> total = c("all", [0, 100, 200, 200, 200, 300, 400.0])
    >>> good = c("ok", [0, 100, 150, 150, 150, 250, 350.0])
    >>> s = counter_slices(good, total, window_start=t[0], window_end=t[-1],
    ...                    slice_seconds=600)
    >>> s[["good_events", "total_events", "ratio", "state"]]
       good_events  total_events  ratio       state
    0        150.0         200.0   0.75       known
    1          0.0           0.0    NaN  no traffic
    2        200.0         200.0   1.00       known
    """
    table, _ = _slice_table(
        numerator,
        total,
        window_start=window_start,
        window_end=window_end,
        slice_seconds=slice_seconds,
        numerator_is_bad=numerator_is_bad,
    )
    return table


def availability_from_counter_slices(
    numerator: Any,
    total: Any,
    *,
    window_start: TimeLike,
    window_end: TimeLike,
    target: float,
    slice_seconds: float,
    method: SliceMethod,
    slice_target: float | None = None,
    numerator_is_bad: bool = False,
) -> SLOResult:
    """An SLO over counters by the OpenSLO *Timeslices* or *RatioTimeslices* method.

    The slices come from :func:`counter_slices`. With ``S`` slices in the
    window, ``K`` of them known (with traffic and data) and ``U = S - K``
    unknown:

    * ``method="timeslices"``: a known slice is good when its ratio is at
      least ``slice_target`` (OpenSLO ``timeSliceTarget``);
      ``sli = good slices / K``, ``sli_lower_bound = good / S`` (unknown slices
      bad), ``sli_upper_bound = (good + U) / S`` (unknown slices good).
    * ``method="ratio_timeslices"``: ``sli = mean of the K slice ratios``,
      ``sli_lower_bound = sum of ratios / S``, ``sli_upper_bound = (sum + U) / S``.

    ``coverage_ratio = K / S``; no known slice gives ``sli = None`` (NO DATA).
    The error budget is the share ``1 - target`` of the slices, so its time
    form ``(1 - target) × window`` is the time the service may spend in bad
    slices (timeslices). ``events`` is the number of requests in known slices.

    Parameters
    ----------
    numerator, total
        Samples frames of counters (good or bad, and total), as in
        :func:`counter_slices`.
    window_start, window_end
        The SLO window, tz-aware.
    target
        Objective as a ratio of slices (timeslices) or mean ratio, e.g. 0.99.
    slice_seconds
        Slice length in seconds, at least the counters' scrape interval.
    method
        ``"timeslices"`` or ``"ratio_timeslices"``.
    slice_target
        Ratio a slice must reach to be good, in (0, 1]; required for
        ``timeslices``, refused for ``ratio_timeslices``.
    numerator_is_bad
        Keyword-only. ``numerator`` counts bad events. A known slice without a
        bad-counter increment counts 0 bad events (an error counter is often
        absent until the first error); a note says how many.

    Examples
    --------
    >>> t = pd.date_range("2024-05-01", periods=7, freq="5min", tz="UTC")
    >>> def c(name, values):
    ...     return pd.DataFrame({"timestamp": t, "metric": name, "labels": [{}] * 7,
    ...                          "series": name, "value": values})
    >>> total = c("all", [0, 100, 200, 200, 200, 300, 400.0])
    >>> good = c("ok", [0, 100, 150, 150, 150, 250, 350.0])
    >>> r = availability_from_counter_slices(good, total, window_start=t[0],
    ...     window_end=t[-1], target=0.5, slice_seconds=600, method="timeslices",
    ...     slice_target=0.9)
    >>> r.good, r.valid, r.expected, r.sli, r.sli_lower_bound, r.sli_upper_bound
    (1.0, 2.0, 3.0, 0.5, 0.3333333333333333, 0.6666666666666666)
    >>> r = availability_from_counter_slices(good, total, window_start=t[0],
    ...     window_end=t[-1], target=0.5, slice_seconds=600,
    ...     method="ratio_timeslices")
    >>> r.sli, round(r.coverage_ratio, 4)
    (0.875, 0.6667)
    """
    start, end, window_seconds = _window(window_start, window_end)
    _check_target(target)
    _check_slice_method(method, slice_target)
    table, extra_notes = _slice_table(
        numerator,
        total,
        window_start=start,
        window_end=end,
        slice_seconds=slice_seconds,
        numerator_is_bad=numerator_is_bad,
    )

    known = table[table["state"] == "known"]
    slices = float(len(table))
    unknown = slices - len(known)
    if method == "timeslices":
        assert slice_target is not None
        # A tolerance of 1e-12 keeps a ratio that equals the target (0.95 read
        # as 0.9499999999) from being called bad by float rounding.
        good = float((known["ratio"] >= slice_target - 1e-12).sum())
        rule = (
            f"timeslices: {len(table):,} slices of {slice_seconds:g} s; a slice is"
            f" good when its ratio of good to total events is >= {slice_target:g};"
            " SLI = good slices / slices with data"
        )
    else:
        good = float(known["ratio"].sum())
        rule = (
            f"ratio timeslices: {len(table):,} slices of {slice_seconds:g} s;"
            " SLI = mean of the slice ratios over slices with data (each slice"
            " weighs the same, whatever its traffic: biased when traffic is uneven)"
        )
    valid = float(len(known))
    sli = good / valid if valid > 0 else None
    lower = good / slices if sli is not None else None
    upper = (good + unknown) / slices if sli is not None else None

    notes = [rule, *extra_notes, *_unknown_slice_notes(table)]
    result = _result(
        method=SLICE_METHODS[method],
        target=target,
        window=(start, end, window_seconds),
        counts=(good, valid, slices),
        slis=(sli, lower, upper),
        coverage=valid / slices if slices > 0 else 0.0,
        series_count=int(table.attrs.get("series_count", 0)),
        notes=notes,
    )
    return _with_slices(
        result,
        events=float(known["total_events"].sum()),
        slice_seconds=float(slice_seconds),
        slice_target=slice_target,
    )


def slo_from_counts(
    *,
    method: str,
    target: float,
    window_start: TimeLike,
    window_end: TimeLike,
    good: float,
    valid: float,
    coverage_ratio: float,
    series_count: int,
    notes: Sequence[str] = (),
    bounds: tuple[float | None, float | None] | None = None,
) -> SLOResult:
    """An occurrences SLO from counts already taken (e.g. histogram buckets).

    ``sli = good / valid`` (None when ``valid`` is 0: NO DATA). Without
    ``bounds`` there are no unknown events, so the bounds equal the SLI;
    ``bounds`` gives ``(sli_lower_bound, sli_upper_bound)`` worked out
    elsewhere (each kept on its side of the SLI; None means the SLI). The
    budget figures follow as in every :class:`SLOResult`.

    Examples
    --------
    >>> r = slo_from_counts(method="m", target=0.95, window_start="2024-05-01T00:00Z",
    ...     window_end="2024-05-02T00:00Z", good=90, valid=100, coverage_ratio=1.0,
    ...     series_count=6)
    >>> round(r.sli, 2), round(r.burn_rate, 6)
    (0.9, 2.0)
    """
    start, end, window_seconds = _window(window_start, window_end)
    _check_target(target)
    if good < 0 or valid < 0 or good > valid:
        raise ConfigError(
            f"need 0 <= good <= valid, got good={good!r} and valid={valid!r}"
        )
    sli = good / valid if valid > 0 else None
    lower, upper = sli, sli
    if sli is not None and bounds is not None:
        low, high = bounds
        lower = sli if low is None else min(low, sli)
        upper = sli if high is None else max(high, sli)
    return _result(
        method=method,
        target=target,
        window=(start, end, window_seconds),
        counts=(float(good), float(valid), None),
        slis=(sli, lower, upper),
        coverage=float(coverage_ratio),
        series_count=series_count,
        notes=list(notes),
    )


def _check_slice_method(method: str, slice_target: float | None) -> None:
    if method not in SLICE_METHODS:
        raise ConfigError(
            f"method {method!r} is not a slice budgeting method;"
            f" use one of {sorted(SLICE_METHODS)}"
        )
    if method == "timeslices":
        if slice_target is None:
            raise ConfigError(
                "method 'timeslices' needs slice_target, the ratio a slice must"
                " reach to be good (OpenSLO timeSliceTarget), e.g. 0.95"
            )
        if not 0.0 < slice_target <= 1.0:
            raise ConfigError(
                f"slice_target must be a ratio in (0, 1], got {slice_target!r}"
            )
    elif slice_target is not None:
        raise ConfigError(
            "method 'ratio_timeslices' takes no slice_target (the slice ratios are"
            " averaged); remove it or use method 'timeslices'"
        )


def _increments(data: pd.DataFrame) -> pd.DataFrame:
    """Consecutive-reading increments per series: ``prev``, ``time``, ``inc``."""
    ordered = data.sort_values(["series", "timestamp"], kind="stable")
    grouped = ordered.groupby("series", sort=False)
    steps = grouped["value"].diff()
    increments = pd.DataFrame(
        {
            "series": ordered["series"],
            "prev": grouped["timestamp"].shift(),
            "time": ordered["timestamp"],
            "inc": steps.where(steps >= 0, ordered["value"]),
        }
    )
    return increments[steps.notna()]


def _slice_sums(
    data: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    slice_seconds: float,
    count: int,
) -> tuple[np.ndarray, np.ndarray, int, float, int]:
    """Per slice: summed increments, number of increments; then what was left out."""
    parts = _increments(data)
    parts = parts[(parts["prev"] >= start) & (parts["time"] <= end)]
    gap = (parts["time"] - parts["prev"]).dt.total_seconds()
    spanning = parts[gap > slice_seconds + 1e-6]
    placed = parts[gap <= slice_seconds + 1e-6]
    offset = (placed["time"] - start).dt.total_seconds().to_numpy()
    index = np.ceil(offset / slice_seconds - 1e-9).astype(np.int64) - 1
    index = np.clip(index, 0, count - 1)
    sums = np.bincount(index, weights=placed["inc"].to_numpy(float), minlength=count)
    counts = np.bincount(index, minlength=count)
    series = int(parts["series"].nunique())
    return sums, counts, len(spanning), float(spanning["inc"].sum()), series


def _slice_table(
    numerator: Any,
    total: Any,
    *,
    window_start: TimeLike,
    window_end: TimeLike,
    slice_seconds: float,
    numerator_is_bad: bool,
) -> tuple[pd.DataFrame, list[str]]:
    start, end, window_seconds = _window(window_start, window_end)
    if not slice_seconds > 0:
        raise ConfigError(f"slice_seconds must be > 0, got {slice_seconds!r}")
    count = math.ceil(window_seconds / slice_seconds - 1e-9)
    top = _known(_prepare(numerator, None))
    whole = _known(_prepare(total, None))
    part_sum, part_n, part_span, part_lost, _ = _slice_sums(
        top, start, end, slice_seconds, count
    )
    total_sum, total_n, span, lost, series = _slice_sums(
        whole, start, end, slice_seconds, count
    )

    traffic = total_n > 0
    state = np.where(~traffic, "no data", "known").astype(object)
    state[traffic & (total_sum <= 0)] = "no traffic"
    if not numerator_is_bad:
        state[(state == "known") & (part_n == 0)] = "no good data"
    known = state == "known"
    good = np.where(numerator_is_bad, total_sum - part_sum, part_sum)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(known, good / np.where(known, total_sum, 1.0), np.nan)
    capped = int(np.sum(known & ((raw > 1.0) | (raw < 0.0))))

    starts = start + pd.to_timedelta(np.arange(count) * slice_seconds, unit="s")
    ends = starts + pd.Timedelta(seconds=slice_seconds)
    ends = ends.where(ends <= end, end)
    table = pd.DataFrame(
        {
            "slice_start": starts,
            "slice_end": ends,
            "good_events": np.where(traffic, good, np.nan),
            "total_events": np.where(traffic, total_sum, np.nan),
            "ratio": np.clip(raw, 0.0, 1.0),
            "state": state,
        },
        columns=list(_SLICE_COLUMNS),
    )
    table.attrs["series_count"] = series

    notes: list[str] = []
    if count * slice_seconds > window_seconds + 1e-6:
        notes.append(
            f"the window is not a whole number of {slice_seconds:g} s slices:"
            " the last slice is shorter and weighs as much as the others"
        )
    for role, spans, events in (
        ("total", span, lost),
        ("bad" if numerator_is_bad else "good", part_span, part_lost),
    ):
        if spans:
            notes.append(
                f"{spans:,} {role}-counter increments ({events:,.0f} events) span"
                f" more than one {slice_seconds:g} s slice (a scrape gap): not placed"
                " in any slice; the slices they span are unknown"
            )
    if capped:
        notes.append(
            f"{capped:,} slices have a good/total ratio outside [0, 1] (good and"
            " total counters read at different times): capped"
        )
    if numerator_is_bad:
        quiet = int(np.sum(known & (part_n == 0)))
        if quiet:
            notes.append(
                f"{quiet:,} known slices have no bad-counter increment: counted as"
                " 0 bad events (an error counter may be absent until its first error)"
            )
    return table, notes


def _unknown_slice_notes(table: pd.DataFrame) -> list[str]:
    counts = table["state"].value_counts()
    unknown = {k: int(v) for k, v in counts.items() if k != "known"}
    if not unknown:
        return []
    listed = ", ".join(f"{count:,} {state}" for state, count in sorted(unknown.items()))
    return [
        f"{sum(unknown.values()):,} of {len(table):,} slices are unknown ({listed}):"
        " neither good nor bad; they lower coverage, count as bad in"
        " sli_lower_bound and as good in sli_upper_bound"
    ]


def _with_slices(
    result: SLOResult,
    *,
    events: float,
    slice_seconds: float,
    slice_target: float | None,
) -> SLOResult:
    return replace(
        result, events=events, slice_seconds=slice_seconds, slice_target=slice_target
    )


# --- threshold metrics (OpenSLO thresholdMetric) ----------------------------------------

THRESHOLD_OPS: dict[str, str] = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
"""Comparison operators of a threshold SLI (OpenSLO ``op``), with their symbols."""

METHOD_THRESHOLD_OCCURRENCES = (
    "occurrences (share of data points meeting the threshold)"
)
METHOD_THRESHOLD_TIMESLICES = "timeslices (share of good slices of data points)"
METHOD_THRESHOLD_RATIO_TIMESLICES = (
    "ratio timeslices (mean of the slices' shares of good data points)"
)


def threshold_slo(
    samples: Any,
    *,
    op: str,
    value: float,
    window_start: TimeLike,
    window_end: TimeLike,
    target: float,
    method: str = "occurrences",
    slice_seconds: float | None = None,
    slice_target: float | None = None,
    scrape_interval_seconds: float | None = None,
) -> SLOResult:
    """An SLO on a gauge-like metric compared with a threshold (OpenSLO thresholdMetric).

    A data point (one sample of one series, ``value`` not NaN) is *good* when
    ``sample op value`` holds, e.g. ``op="lte", value=0.3``: the sample is at
    most 0.3. Every data point of every series counts. NaN samples and missing
    scrapes are *unknown*, never good.

    * ``method="occurrences"``: ``SLI = good points / known points``. Each
      series' window holds ``window / scrape interval`` expected points (the
      interval as in :func:`availability_from_up`); unknown points lower
      ``coverage_ratio`` (known / expected) and count as bad in
      ``sli_lower_bound``.
    * ``method="timeslices"``: the window is cut into ``slice_seconds`` slices
      from its start; a slice is good when its share of good points is at
      least ``slice_target``; ``SLI = good slices / slices with a known
      point``.
    * ``method="ratio_timeslices"``: ``SLI = mean of the slices' shares of
      good points`` over the slices with a known point.

    For the slice methods a slice without a known point is unknown:
    ``coverage_ratio = slices with data / slices`` and it counts as bad in
    ``sli_lower_bound``. No known point in the window gives ``sli = None``
    (NO DATA).

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=6, freq="10s", tz="UTC")
    >>> p95 = pd.DataFrame({"timestamp": times, "series": "p95",
    ...                     "value": [0.2, 0.25, 0.4, float("nan"), 0.3, 0.1]})
    >>> r = threshold_slo(p95, op="lte", value=0.3, target=0.9,
    ...     window_start="2024-05-01T00:00:00Z", window_end="2024-05-01T00:01:00Z")
    >>> r.good, r.valid, r.expected, r.sli, round(r.sli_lower_bound, 4)
    (4.0, 5.0, 6.0, 0.8, 0.6667)
    """
    start, end, window_seconds = _window(window_start, window_end)
    _check_target(target)
    compare = _threshold_compare(op, value)
    data = _prepare(samples, None)
    inside = data[(data["timestamp"] >= start) & (data["timestamp"] < end)]

    # Good is 1, bad 0, unknown stays NaN: never good.
    met = compare(inside["value"].to_numpy(dtype=float))
    marked = inside.assign(
        value=np.where(inside["value"].notna(), met.astype(float), np.nan)
    )
    rule = (
        f"a data point is good when its value {THRESHOLD_OPS[op]} {value:g}; every"
        f" point of each of {marked['series'].nunique()} series counts; NaN or"
        " missing points are unknown (never good)"
    )
    if method == "occurrences":
        if slice_seconds is not None or slice_target is not None:
            raise ConfigError(
                "slice_seconds and slice_target need method 'timeslices' or"
                " 'ratio_timeslices'; remove them for occurrences"
            )
        return _threshold_points(
            data,
            marked,
            scrape_interval_seconds,
            (start, end, window_seconds),
            target,
            rule,
        )
    _check_slice_method(method, slice_target)
    if slice_seconds is None or not slice_seconds > 0:
        raise ConfigError(f"slice_seconds must be > 0, got {slice_seconds!r}")
    return _threshold_slices(
        marked,
        (start, end, window_seconds),
        target,
        method,
        slice_seconds,
        slice_target,
        rule,
    )


def _threshold_compare(op: str, value: float) -> Any:
    if op not in THRESHOLD_OPS:
        raise ConfigError(
            f"threshold operator {op!r} is not one of {sorted(THRESHOLD_OPS)}"
            " (OpenSLO op: lt, lte, gt, gte)"
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"threshold value must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"threshold value must be finite, got {value!r}")
    functions = {
        "lt": np.less,
        "lte": np.less_equal,
        "gt": np.greater,
        "gte": np.greater_equal,
    }
    function = functions[op]
    return lambda values: function(values, float(value))


def _threshold_points(
    data: pd.DataFrame,
    marked: pd.DataFrame,
    interval: float | None,
    window: tuple[pd.Timestamp, pd.Timestamp, float],
    target: float,
    rule: str,
) -> SLOResult:
    """Occurrences: one expected point per scrape interval per series."""
    intervals, interval_note = _scrape_intervals(data, marked, interval)
    per_series = _slots_per_series(marked, intervals, window[2])

    good = float(per_series["good"].sum())
    valid = float(per_series["valid"].sum())
    expected = float(per_series["expected"].sum())
    unknown = float(per_series["unknown"].sum())
    covered = float(per_series["covered"].sum())

    sli = good / valid if valid > 0 else None
    lower = good / (valid + unknown) if sli is not None else None
    upper = (good + unknown) / (valid + unknown) if sli is not None else None
    result = _result(
        method=METHOD_THRESHOLD_OCCURRENCES,
        target=target,
        window=window,
        counts=(good, valid, expected),
        slis=(sli, lower, upper),
        coverage=min(covered / expected, 1.0) if expected > 0 else 0.0,
        series_count=len(per_series),
        notes=[rule, *interval_note, *_slot_notes(per_series, unknown, expected)],
    )
    return replace(result, events=valid)


def _threshold_slices(
    marked: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp, float],
    target: float,
    method: str,
    slice_seconds: float,
    slice_target: float | None,
    rule: str,
) -> SLOResult:
    """Timeslices / ratio timeslices over the known data points of every series."""
    start, _, window_seconds = window
    known = marked[marked["value"].notna()]
    count = math.ceil(window_seconds / slice_seconds - 1e-9)
    offset = (known["timestamp"] - start).dt.total_seconds().to_numpy()
    index = np.minimum(np.floor(offset / slice_seconds).astype(np.int64), count - 1)
    points = np.bincount(index, minlength=count).astype(float)
    good_points = np.bincount(index, weights=known["value"].to_numpy(), minlength=count)

    has_data = points > 0
    share = np.divide(good_points, points, out=np.zeros(count), where=has_data)
    if method == "timeslices":
        assert slice_target is not None
        good = float(np.sum(has_data & (share >= slice_target - 1e-12)))
        name = METHOD_THRESHOLD_TIMESLICES
    else:
        good = float(share[has_data].sum())
        name = METHOD_THRESHOLD_RATIO_TIMESLICES
    valid, slices = float(has_data.sum()), float(count)
    unknown = slices - valid

    sli = good / valid if valid > 0 else None
    lower = good / slices if sli is not None else None
    upper = (good + unknown) / slices if sli is not None else None
    notes = [rule, f"{slice_seconds:g} s slices cut from the window start"]
    if unknown > 0:
        notes.append(
            f"{unknown:,.0f} of {slices:,.0f} slices hold no known data point:"
            " unknown, taken as bad in sli_lower_bound"
        )
    result = _result(
        method=name,
        target=target,
        window=window,
        counts=(good, valid, slices),
        slis=(sli, lower, upper),
        coverage=valid / slices if slices > 0 else 0.0,
        series_count=int(known["series"].nunique()),
        notes=notes,
    )
    return replace(
        result,
        events=float(points.sum()),
        slice_seconds=slice_seconds,
        slice_target=slice_target if method == "timeslices" else None,
    )


# --- shared steps ---------------------------------------------------------------------


def _result(
    *,
    method: str,
    target: float,
    window: tuple[pd.Timestamp, pd.Timestamp, float],
    counts: tuple[float, float, float | None],
    slis: tuple[float | None, float | None, float | None],
    coverage: float,
    series_count: int,
    notes: list[str],
) -> SLOResult:
    """Assemble an SLOResult: budget figures follow from the SLIs."""
    start, end, window_seconds = window
    good, valid, expected = counts
    sli, lower, upper = slis
    budget = 1.0 - target
    rate = (1.0 - sli) / budget if sli is not None else None
    rate_pessimistic = (1.0 - lower) / budget if lower is not None else None
    if sli is None:
        notes.append("no data in the window: report NO DATA")
    return SLOResult(
        method=method,
        target=target,
        window_start=start,
        window_end=end,
        window_seconds=window_seconds,
        good=good,
        valid=valid,
        expected=expected,
        sli=sli,
        sli_lower_bound=lower,
        sli_upper_bound=upper,
        coverage_ratio=coverage,
        error_budget_ratio=budget,
        error_budget_seconds=budget * window_seconds,
        burn_rate=rate,
        budget_consumed_ratio=rate,
        budget_remaining_ratio=1.0 - rate if rate is not None else None,
        budget_consumed_ratio_upper=rate_pessimistic,
        budget_remaining_ratio_lower=(
            1.0 - rate_pessimistic if rate_pessimistic is not None else None
        ),
        series_count=series_count,
        notes=tuple(notes),
    )


def _prepare(samples: Any, selector: Mapping[str, str] | None) -> pd.DataFrame:
    """Validate a samples frame and keep the selected series (UTC, float values)."""
    frame = to_pandas(samples)
    missing = [c for c in ("timestamp", "series", "value") if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"samples frame has no column {missing[0]!r}"
            f" (columns: {list(frame.columns)}); load it with analytics.sources"
            " (read_prometheus_json, read_metric_csv)"
        )
    times = frame["timestamp"]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ConfigError(
            f"samples column 'timestamp' must be tz-aware datetimes, got {times.dtype};"
            " localise it first, e.g. .dt.tz_localize('UTC')"
        )
    if selector:
        frame = frame[_matches(frame, selector)]
    data = pd.DataFrame(
        {
            "timestamp": frame["timestamp"].dt.tz_convert("UTC"),
            "series": frame["series"].astype(str),
            "value": pd.to_numeric(frame["value"], errors="coerce").astype(float),
        }
    )
    # NaN values stay: their timestamps still show a scrape happened (which helps
    # infer the interval), but they count as unknown, never as valid slots.
    return data.reset_index(drop=True)


def _known(data: pd.DataFrame) -> pd.DataFrame:
    return data[data["value"].notna()]


def _matches(frame: pd.DataFrame, selector: Mapping[str, str]) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    for name, wanted in selector.items():
        if name == "__name__":
            keep &= frame["metric"] == wanted
        elif "labels" in frame.columns:
            keep &= frame["labels"].map(
                lambda labels, name=name, wanted=wanted: (
                    isinstance(labels, Mapping) and labels.get(name) == wanted
                )
            )
        elif name in frame.columns:
            keep &= frame[name] == wanted
        else:
            keep &= False
    return keep.astype(bool)


def _scrape_intervals(
    data: pd.DataFrame, inside: pd.DataFrame, given: float | None
) -> tuple[dict[str, float], list[str]]:
    """Slot length per series present in the window, and a note saying how."""
    names = sorted(inside["series"].unique())
    if given is not None:
        if not given > 0:
            raise ConfigError(f"scrape_interval_seconds must be > 0, got {given!r}")
        return dict.fromkeys(names, float(given)), [
            f"scrape interval given: {given:g} s"
        ]

    in_window = _spacing_by_series(inside)
    anywhere = _spacing_by_series(data[data["series"].isin(names)])
    found = {name: in_window.get(name, anywhere.get(name)) for name in names}
    known = [value for value in found.values() if value is not None]
    if len(known) < len(found) and not known:
        raise ConfigError(
            "cannot infer the scrape interval: no series has two samples; give each"
            " series two or more samples (a metric file covering a longer range, or"
            " for format: prometheus a longer lookback or a shorter step on the"
            " metrics source) (Python: pass scrape_interval_seconds=)"
        )
    fallback = float(np.median(known)) if known else 0.0
    intervals = {
        name: value if value is not None else fallback for name, value in found.items()
    }
    return intervals, _interval_notes(intervals, len(known) < len(found))


def _interval_notes(intervals: dict[str, float], used_fallback: bool) -> list[str]:
    if not intervals:
        return []
    counts = pd.Series(intervals).value_counts().sort_index()
    listed = ", ".join(
        f"{seconds:g} s ({count} series)" for seconds, count in counts.items()
    )
    note = f"scrape interval inferred from the median spacing of samples: {listed}"
    if used_fallback:
        note += "; series with a single sample use the median of the others"
    return [note]


def _spacing_by_series(data: pd.DataFrame) -> dict[str, float]:
    """Median gap between consecutive distinct timestamps per series, in seconds.

    Rounded to the millisecond; series with fewer than two timestamps are absent.
    """
    if data.empty:
        return {}
    rows = _series_rows(data)
    spacing = _spacing_per_code(rows)
    return {
        name: float(value)
        for name, value in zip(rows.names, spacing, strict=True)
        if not np.isnan(value)
    }


def _median_spacing(data: pd.DataFrame) -> float | None:
    """Median over series of their median sample spacing (None without any)."""
    spacing = list(_spacing_by_series(data).values())
    return float(np.median(spacing)) if spacing else None


@dataclass(frozen=True)
class _SeriesRows:
    """Samples sorted by series, then time, with the series as integer codes.

    ``names`` are the series keys in sorted order and ``code`` indexes them, so
    each series is one contiguous block. Rows without a time or a series key
    are left out: they can fall in no window and have no spacing.
    """

    names: list[str]
    code: np.ndarray
    stamp: np.ndarray
    value: np.ndarray


def _series_rows(data: pd.DataFrame, *, known_only: bool = False) -> _SeriesRows:
    """Factorize the series keys once and sort every sample by (series, time).

    ``known_only`` leaves out samples whose value is NaN.
    """
    code, names = _factorize_runs(data["series"])
    stamp = data["timestamp"].dt.tz_localize(None).to_numpy()
    value = data["value"].to_numpy(dtype=float)
    usable = (code >= 0) & ~np.isnat(stamp)
    if known_only:
        usable &= ~np.isnan(value)
    if not usable.all():
        code, stamp, value = code[usable], stamp[usable], value[usable]
    code = code.astype(np.int64, copy=False)
    ticks = stamp.view(np.int64)
    step = np.diff(code)
    if not ((step > 0) | ((step == 0) & (np.diff(ticks) >= 0))).all():
        # Stable: samples at the same time keep their order in the frame.
        order = series_time_order(code, ticks)
        code, stamp, value = code[order], stamp[order], value[order]
    return _SeriesRows(names, code, stamp, value)


def _factorize_runs(keys: pd.Series) -> tuple[np.ndarray, list[str]]:
    """``pd.factorize(keys, sort=True)``, factorizing only the first key of each run.

    Samples come grouped by series, so the keys form a few long runs. For an
    Arrow-backed column without missing keys, finding the runs (one comparison
    of neighbours in Arrow) and factorizing their first keys is several times
    cheaper than hashing every key; other columns take ``pd.factorize``.
    """
    if isinstance(keys.dtype, pd.StringDtype) and keys.dtype.storage == "pyarrow":
        texts = pa.array(keys.array)
        if len(texts) > 1 and texts.null_count == 0:
            changed = pc.not_equal(texts.slice(1), texts.slice(0, len(texts) - 1))
            heads = np.flatnonzero(np.r_[True, changed.to_numpy(zero_copy_only=False)])
            head_codes, names = pd.factorize(keys.take(heads), sort=True)
            runs = np.diff(np.r_[heads, len(texts)])
            return np.repeat(head_codes, runs), [str(name) for name in names]
    code, names = pd.factorize(keys, sort=True)
    return code, [str(name) for name in names]


def _spacing_per_code(rows: _SeriesRows) -> np.ndarray:
    """Median spacing of each series in seconds (rounded to the ms), NaN if none.

    The median of an even count is the mean of the two middle gaps, as in
    ``groupby().median()``. Gaps are ordered as integers (the conversion to
    seconds keeps their order), and a series whose gaps are all equal, the
    usual case, needs no sort at all.
    """
    gaps = np.diff(rows.stamp.view(np.int64))
    keep = (rows.code[1:] == rows.code[:-1]) & (gaps > 0)
    gaps, owner = gaps[keep], rows.code[1:][keep]
    count = len(rows.names)
    sizes = np.bincount(owner, minlength=count)
    has = sizes > 0
    starts = np.cumsum(sizes) - sizes
    low = starts + (sizes - 1) // 2
    high = starts + sizes // 2

    # Series are contiguous in ``owner``; only those with unequal gaps are sorted.
    first = starts[has]
    uneven = np.zeros(count, dtype=bool)
    if gaps.size:
        smallest = np.minimum.reduceat(gaps, first)
        largest = np.maximum.reduceat(gaps, first)
        uneven[has] = smallest != largest
    if uneven.any():
        rows_uneven = uneven[owner]
        part = np.lexsort((gaps[rows_uneven], owner[rows_uneven]))
        gaps = gaps.copy()
        gaps[rows_uneven] = gaps[rows_uneven][part]

    unit = np.datetime_data(rows.stamp.dtype)[0]
    middle = np.concatenate((gaps[low[has]], gaps[high[has]]))
    # pandas' own conversion, so the seconds match .dt.total_seconds() exactly.
    as_timedelta = pd.TimedeltaIndex(middle.astype(f"m8[{unit}]"))
    seconds = as_timedelta.total_seconds().to_numpy()
    half = int(has.sum())
    medians = np.full(count, np.nan)
    medians[has] = [
        round(float(value), 3) for value in (seconds[half:] + seconds[:half]) / 2
    ]
    return medians


def _naive(stamp: pd.Timestamp) -> np.datetime64:
    """A UTC Timestamp as a naive numpy datetime64, for comparing with rows.stamp."""
    return stamp.tz_convert("UTC").tz_localize(None).to_datetime64()


def _slots_per_series(
    inside: pd.DataFrame, intervals: Mapping[str, float], window_seconds: float
) -> pd.DataFrame:
    """Good, valid, expected, unknown and covered slots for each series."""
    counts = (
        inside.assign(good=inside["value"] >= UP_GOOD, valid=inside["value"].notna())
        .groupby("series", sort=True)
        .agg(good=("good", "sum"), valid=("valid", "sum"))
        .astype(float)
    )
    interval = counts.index.map(lambda name: intervals[name]).to_numpy(dtype=float)
    counts["interval"] = interval
    counts["expected"] = window_seconds / interval
    counts["unknown"] = (counts["expected"] - counts["valid"]).clip(lower=0.0)
    counts["covered"] = np.minimum(counts["valid"], counts["expected"])
    return counts


def _slot_notes(per_series: pd.DataFrame, unknown: float, expected: float) -> list[str]:
    notes = []
    if unknown > 0 and expected > 0:
        notes.append(
            f"{unknown:,.0f} of {expected:,.0f} expected slots"
            f" ({unknown / expected:.2%}) have no sample: unknown, taken as bad"
            " in sli_lower_bound and as good in sli_upper_bound"
        )
    excess = per_series[per_series["valid"] > per_series["expected"] * 1.01]
    notes.extend(
        f"series {name} has {row.valid:,.0f} samples for {row.expected:,.0f} expected"
        " slots: check the scrape interval"
        for name, row in excess.iterrows()
    )
    return notes


def _timeline_table(
    inside: pd.DataFrame,
    intervals: Mapping[str, float],
    periods: pd.DatetimeIndex,
    lengths: np.ndarray,
) -> pd.DataFrame:
    names = sorted(intervals)
    slot = np.asarray([intervals[name] for name in names], dtype=float)
    period_of = periods.searchsorted(inside["timestamp"], side="right") - 1
    position = {name: index for index, name in enumerate(names)}
    series_of = inside["series"].map(position).to_numpy(dtype=int)

    shape = (len(periods), len(names))
    valid = np.zeros(shape)
    good = np.zeros(shape)
    np.add.at(
        valid, (period_of, series_of), inside["value"].notna().to_numpy(dtype=float)
    )
    np.add.at(
        good,
        (period_of, series_of),
        (inside["value"] >= UP_GOOD).to_numpy(dtype=float),
    )
    expected = lengths[:, None] / slot[None, :]
    covered = np.minimum(valid, expected).sum(axis=1)

    valid_sum, expected_sum = valid.sum(axis=1), expected.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        availability = np.where(valid_sum > 0, good.sum(axis=1) / valid_sum, np.nan)
        coverage = np.where(expected_sum > 0, covered / expected_sum, 0.0)
    return pd.DataFrame(
        {
            "period_start": periods,
            "good": good.sum(axis=1),
            "valid": valid_sum,
            "expected": expected_sum,
            "availability": availability,
            "coverage": np.minimum(coverage, 1.0),
        }
    )


def _empty_timeline() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=float) for name in _TIMELINE_COLUMNS})
    frame["period_start"] = pd.Series(dtype="datetime64[us, UTC]")
    return frame


def _fixed_step(freq: str) -> pd.Timedelta:
    problem = (
        f"freq {freq!r} is not a fixed period; use for example '5min', '1h' or '1D'"
    )
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError) as exc:
        raise ConfigError(problem) from exc
    if not isinstance(offset, Tick):
        raise ConfigError(problem)
    step = pd.Timedelta(offset)
    if step <= pd.Timedelta(0):
        raise ConfigError(f"freq {freq!r} must be a positive period")
    return step


def _window(start: TimeLike, end: TimeLike) -> tuple[pd.Timestamp, pd.Timestamp, float]:
    first, last = _utc(start, "window_start"), _utc(end, "window_end")
    if last <= first:
        raise ConfigError(f"window_end {last} must be after window_start {first}")
    return first, last, (last - first).total_seconds()


def _utc(value: TimeLike, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} {value!r} is not a date and time") from exc
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise ConfigError(
            f"{name} {value!r} has no time zone; give one, e.g. '2024-05-01T00:00:00Z'"
        )
    return stamp.tz_convert("UTC")


def _check_target(target: float) -> None:
    if (
        isinstance(target, bool)
        or not isinstance(target, int | float)
        or math.isnan(target)
    ):
        raise ConfigError(f"target must be a ratio such as 0.999, got {target!r}")
    if 1.0 < target <= 100.0:
        raise ConfigError(
            f"target {target!r} looks like a percentage;"
            " give a ratio, e.g. 0.999 for 99.9 %"
        )
    if not 0.0 < target < 1.0:
        raise ConfigError(
            f"target must be a ratio strictly between 0 and 1, got {target!r}"
            " (1.0 leaves no error budget)"
        )
