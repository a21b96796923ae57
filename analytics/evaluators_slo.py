"""Evaluators for request-level SLO criteria: latency p95, error rate, auth success.

Wired into the evaluator table through :data:`SLO_EVALUATORS`:

``latency_p95``
    A latency quantile from a classic Prometheus histogram. ``source`` names a
    metrics source holding the ``*_bucket`` counters (``le`` label), from
    files or a live range pull. The increase of every bucket over the evidence
    window (counter resets handled, no extrapolation, series that differ in
    other labels summed like ``sum by (le)``) feeds
    :func:`analytics.metrics.histogram.histogram_quantile`, which interpolates
    inside a bucket exactly as PromQL does. The value is in ms.

    ``params`` (optional): ``quantile`` (default 0.95) and ``unit_scale``
    (default 1000: bucket bounds in seconds, value in ms). ``selector``
    filters series by label (``le`` excluded).

    No observation in the window is NO DATA. A quantile that falls in the
    ``+Inf`` bucket is only known to lie above the highest finite bound: that
    bound is judged when it already fails the criterion, otherwise NO DATA.

``error_rate``
    ``100 × increase(errors) / increase(total)`` in %. ``source`` is the
    error counter and ``total_source`` the request counter; alternatively
    ``good_source`` and ``total_source`` (errors = total − good). The judged
    value is the pessimistic bound: the requests of time without data (at the
    observed rate) and the first value of an error counter born inside the
    window (at its first error) count as errors.

``latency_share``
    The share of requests at or under a latency threshold, in %, from the
    same ``*_bucket`` counters: ``100 × increase(bucket le=threshold) /
    increase(bucket le=+Inf)`` over the evidence window (occurrences; exact,
    no interpolation; :func:`analytics.metrics.histogram.latency_share_slo`).
    ``params``: ``threshold_seconds`` (required; must be one of the
    histogram's bucket bounds, ``le="1"`` and ``le="1.0"`` both match; a
    threshold between bounds is a :class:`ConfigError` listing the bounds).
    ``selector`` filters series by label. No request is NO DATA.

``auth_success`` (and the generic ``slo_ratio``)
    ``100 × increase(good) / increase(total)`` in % from ``good_source`` and
    ``total_source``, or ``100 × (1 − bad / total)`` from ``source`` (the
    failure counter) and ``total_source``; the engine of availability from
    counters (occurrences), judged on the pessimistic bound.

    ``params`` (optional) choose another OpenSLO budgeting method:
    ``budgeting_method`` ``occurrences`` (default), ``timeslices`` (share of
    time slices whose own ratio reaches ``time_slice_target``, in %) or
    ``ratio_timeslices`` (mean of the slice ratios); ``time_slice_window``
    (a duration such as ``5m``) is the slice length. The target is then the
    share of slices (or the mean ratio) in %. Slices with no data or no
    traffic are unknown: they lower the coverage, and the judged value (the
    pessimistic bound) counts them as bad, like time without data for
    availability. See :func:`analytics.metrics.slo.availability_from_counter_slices`.

``threshold_share``
    A gauge-like metric (a latency percentile, a queue depth; OpenSLO
    ``thresholdMetric``) compared with a threshold. ``source`` names the
    metrics source (``selector`` filters series). ``params``:
    ``threshold_op`` (``lt``, ``lte``, ``gt``, ``gte``) and
    ``threshold_value`` (required): a data point is good when
    ``value threshold_op threshold_value``; ``budgeting_method``
    ``occurrences`` (default: share of good data points, every point of
    every series), ``timeslices`` (share of slices whose share of good points
    reaches ``time_slice_target`` in %) or ``ratio_timeslices`` (mean of the
    slices' shares), with ``time_slice_window``. NaN samples and missing
    scrapes are unknown: they lower the coverage and the judged value counts
    them as bad. No data point in the window is NO DATA. See
    :func:`analytics.metrics.slo.threshold_slo`.

The ``params`` each kind accepts, and their defaults, are those of
:data:`~analytics.criterion_params.CRITERION_PARAMS`: the config refuses any
other key when it is loaded, and the checks here read the same registry.

Rules shared by every kind here, and by ``availability`` (see
:func:`source_problems`):

* zero traffic (0/0) is NO DATA, never 0 % or 100 %;
* a source that was unavailable during the run, or that reported partial data
  (a load with ``partial`` set or a note starting ``"partial data:"``), makes
  the criterion NO DATA with the reason: partial data blocks GO;
* a pull whose samples start after (or end before) its requested range only
  carries a ``"coverage:"`` note: the criterion's own coverage of its window
  decides (below ``min_coverage`` it is NO DATA), so a covered window is judged;
* a counter source (ratios of counters, histogram buckets) whose query
  aggregates or applies a range function is refused when the config is loaded;
  a snapshot of such a query makes the criterion NO DATA (:func:`query_problem`);
* the evidence window is :func:`evidence_window`: the rolling ``lookback``
  before the decision time, or, with ``calendar`` set, the last complete
  calendar period before it in ``timezone``.

:func:`openslo_criteria` turns the SLOs of OpenSLO files named in the config
(``openslo:``) into criteria; see ``docs/config.md`` for the mapping.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from analytics.config import (
    CriterionConfig,
    MetricSource,
    ReadinessConfig,
    counter_query_problem,
    parse_duration,
)
from analytics.criterion_params import check_params, param
from analytics.errors import ConfigError
from analytics.evidence import Evidence
from analytics.frames import LoadResult, to_pandas
from analytics.metrics.histogram import (
    bucket_increase,
    histogram_quantile,
    latency_share_slo,
)
from analytics.metrics.slo import (
    COUNTER_SKEW,
    THRESHOLD_OPS,
    SLOResult,
    availability_from_counter_slices,
    availability_from_counters,
    availability_from_error_counters,
    threshold_slo,
)
from analytics.openslo import OpenSLO, OpenSLOTimeWindow, load_openslo
from analytics.readiness import (
    Criterion,
    CriterionResult,
    Status,
    evaluate_value,
    no_data,
)
from analytics.slo_windows import calendar_window

if TYPE_CHECKING:
    from analytics.evaluate import Evaluator

__all__ = [
    "PARTIAL_PREFIX",
    "SLO_EVALUATORS",
    "SliceSettings",
    "ThresholdSettings",
    "counter_frames",
    "counter_problem",
    "counter_slice_slo",
    "evidence_window",
    "latency_share_result",
    "latency_share_threshold",
    "negative_counter",
    "no_traffic_reason",
    "not_cumulative",
    "openslo_criteria",
    "partial_sources",
    "query_problem",
    "slice_settings",
    "source_problems",
    "threshold_settings",
    "threshold_share_result",
    "unmeasured_reason",
]

PARTIAL_PREFIX: Final = "partial data:"
"""Notes of a load that may be incomplete start with this text."""

_METHOD_NAMES: Final = {
    "occurrences": "occurrences",
    "Occurrences": "occurrences",
    "timeslices": "timeslices",
    "Timeslices": "timeslices",
    "ratio_timeslices": "ratio_timeslices",
    "RatioTimeslices": "ratio_timeslices",
}


# --- shared rules -------------------------------------------------------------------


def evidence_window(
    config: CriterionConfig, as_of: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The evidence window of a criterion, UTC.

    Rolling: ``[as_of − lookback, as_of]``. With ``calendar`` set: the last
    *complete* calendar period (day, ISO week, month, quarter) in the
    criterion's ``timezone`` that ends at or before ``as_of``, so a decision
    taken on 10 April judges March. Its length follows the zone's clock
    changes (March in Europe/Berlin is 743 h).

    Examples
    --------
    >>> crit = CriterionConfig(title="a", kind="availability", target=99.9,
    ...                        calendar="month", timezone="Europe/Berlin")
    >>> start, end = evidence_window(crit, pd.Timestamp("2024-04-10", tz="UTC"))
    >>> str(start), str(end), (end - start) / pd.Timedelta(hours=1)
    ('2024-02-29 23:00:00+00:00', '2024-03-31 22:00:00+00:00', 743.0)
    """
    if config.calendar is None:
        return as_of - config.lookback_timedelta, as_of
    current_start, _ = calendar_window(config.calendar, as_of, config.timezone)
    return calendar_window(
        config.calendar, current_start - pd.Timedelta(microseconds=1), config.timezone
    )


def partial_sources(names: Sequence[str], evidence: Evidence) -> list[str]:
    """``"name: note"`` for each named metrics source that reported partial data.

    A load is partial when it has ``partial`` set (live Prometheus pulls and
    range-query JSON with ``warnings``) or a note starting ``"partial data:"``.
    """
    found = []
    for name in names:
        load = evidence.metrics.get(name)
        if load is None:
            continue
        notes = [n for n in load.notes if n.startswith(PARTIAL_PREFIX)]
        if notes or bool(getattr(load, "partial", False)):
            reason = "; ".join(notes) if notes else "the source flagged partial data"
            found.append(f"{name}: {reason}")
    return found


def source_problems(names: Sequence[str], evidence: Evidence) -> str | None:
    """Why the named metrics sources cannot be judged, or None when they can.

    Unavailable during the run, not loaded, or partial data: each makes the
    criterion NO DATA (no evidence, no GO).
    """
    down = [
        f"{n}: {evidence.unavailable[n]}" for n in names if n in evidence.unavailable
    ]
    if down:
        return "source unavailable during this run; " + "; ".join(down)
    missing = [n for n in names if n not in evidence.metrics]
    if missing:
        return f"metrics source(s) {missing} not loaded: define them under metrics:"
    partial = partial_sources(names, evidence)
    if partial:
        return "partial data blocks GO; " + "; ".join(partial)
    return None


def _criterion(crit_id: str, config: CriterionConfig) -> Criterion:
    # Imported here: analytics.evaluate imports this module to wire the kinds.
    from analytics.evaluate import to_criterion

    return to_criterion(crit_id, config)


def _min_coverage(config: CriterionConfig, evidence: Evidence) -> float:
    if config.min_coverage is not None:
        return config.min_coverage
    return evidence.config.min_coverage


def counter_frames(config: CriterionConfig, evidence: Evidence) -> tuple[Any, Any]:
    """A counter criterion's numerator and total samples, filtered by its ``selector``.

    Every reader of a criterion's counters (evaluators, SLO sections, the
    post-launch review) takes them from here, so a selector such as
    ``{job: api}`` keeps another job's traffic out of every figure alike.
    """
    assert config.counters is not None
    part, total, _ = config.counters
    frames = (evidence.metrics[part].frame, evidence.metrics[total].frame)
    if not config.selector:
        return frames
    selector = config.selector
    return _select(to_pandas(frames[0]), selector), _select(
        to_pandas(frames[1]), selector
    )


def counter_problem(config: CriterionConfig, evidence: Evidence) -> str:
    """Why a counter criterion's samples cannot be counted, or ``""``.

    The selector matches no series of a source, or a counter reads below 0
    in the evidence window (:func:`negative_counter`).
    """
    assert config.counters is not None
    start, end = evidence_window(config, evidence.as_of)
    for name in config.counters[:2]:
        reason = query_problem(name, evidence)
        if reason:
            return reason
    for name, frame in zip(
        config.counters[:2], counter_frames(config, evidence), strict=True
    ):
        if config.selector and len(frame) == 0 and len(evidence.metrics[name].frame):
            return (
                f"selector {dict(config.selector)} matches none of the series of"
                f" {name}. Fix: use labels the series carry, e.g."
                f" {_label_example(evidence.metrics[name].frame)}"
            )
        reason = negative_counter(frame, start, end)
        if reason:
            return reason
    return ""


def query_problem(name: str, evidence: Evidence) -> str:
    """Why the query behind a counter source cannot be counted, or ``""``.

    Live sources are checked when the config is loaded
    (:func:`analytics.config.counter_query_problem`); a snapshot's query is
    only known once it is read, so it is checked here too.
    """
    query = getattr(evidence.metrics.get(name), "query", "")
    problem = counter_query_problem(query) if query else None
    if problem is None:
        return ""
    return (
        f"{name} holds the answer of the query {query!r}, which {problem}; then"
        " pull and save the snapshot again"
    )


def _label_example(samples: Any) -> str:
    frame = to_pandas(samples)
    labels = frame["labels"].iloc[0] if "labels" in frame and len(frame) else None
    return str(dict(labels)) if isinstance(labels, Mapping) and labels else "{}"


def _select(frame: pd.DataFrame, selector: Mapping[str, str]) -> pd.DataFrame:
    if not selector or frame.empty:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    for key, wanted in selector.items():
        if key == "__name__":
            keep &= (frame["metric"] == wanted).to_numpy()
        else:
            keep &= np.fromiter(
                (
                    isinstance(lab, Mapping) and lab.get(key) == wanted
                    for lab in frame["labels"]
                ),
                dtype=bool,
                count=len(frame),
            )
    return frame[keep]


# --- latency ------------------------------------------------------------------------


def _latency_params(crit_id: str, params: Mapping[str, Any]) -> tuple[float, float]:
    check_params(f"criteria.{crit_id}.params", "latency_p95", params)
    quantile = param("latency_p95", params, "quantile")
    scale = param("latency_p95", params, "unit_scale")
    if not isinstance(quantile, int | float) or not 0.0 < float(quantile) < 1.0:
        raise ConfigError(
            f"criteria.{crit_id}.params.quantile must be between 0 and 1, e.g. 0.95;"
            f" got {quantile!r}"
        )
    if not isinstance(scale, int | float) or not float(scale) > 0:
        raise ConfigError(
            f"criteria.{crit_id}.params.unit_scale must be a positive number"
            f" (1000 for seconds → ms); got {scale!r}"
        )
    return float(quantile), float(scale)


def not_cumulative(buckets: dict[float, float]) -> str:
    """Why the bucket increases are not cumulative, or ``""`` when they are.

    A histogram's ``le`` buckets count every observation at or under their
    bound, so their increases never fall as the bound rises. Scrapes taken a
    moment apart can break that by a little (allowed: ``COUNTER_SKEW`` of the
    larger count, at least one observation); more means series of different
    histograms, instances or labels were summed.

    >>> not_cumulative({0.1: 10.0, 0.5: 40.0, math.inf: 50.0})
    ''
    >>> not_cumulative({0.1: 100.0, 0.5: 40.0, math.inf: 50.0})
    'the le=0.1 bucket counts 100 observations but le=0.5 only 40'
    """
    bounds = sorted(buckets)
    for low, high in itertools.pairwise(bounds):
        small, large = buckets[high], buckets[low]
        if large - small > max(1.0, COUNTER_SKEW * large):
            return (
                f"the le={_le(low)} bucket counts {large:,.0f} observations but"
                f" le={_le(high)} only {small:,.0f}"
            )
    return ""


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else f"{bound:g}"


def _bucket_frame(load: LoadResult, selector: Mapping[str, str]) -> pd.DataFrame:
    frame = _select(to_pandas(load.frame), selector)
    if frame.empty:
        return frame
    has_le = np.fromiter(
        (isinstance(lab, Mapping) and "le" in lab for lab in frame["labels"]),
        dtype=bool,
        count=len(frame),
    )
    return frame[has_le]


def _histogram_inputs(
    crit_id: str, criterion: Criterion, config: CriterionConfig, evidence: Evidence
) -> tuple[
    pd.Timestamp, pd.Timestamp, tuple[str, ...], pd.DataFrame, CriterionResult | None
]:
    """Window, source, selected buckets and an early NO DATA for a histogram kind."""
    start, end, names, early = _source_inputs(
        criterion,
        config,
        evidence,
        f"no histogram source configured: set criteria.{crit_id}.source to a"
        " metrics source of *_bucket series (with an le label)",
    )
    if early is not None:
        return start, end, names, pd.DataFrame(), early
    frame = _bucket_frame(evidence.metrics[names[0]], config.selector)
    problem = query_problem(names[0], evidence) or _bucket_problem(
        frame, config, start, end
    )
    early = _unusable(criterion, start, end, names, problem) if problem else None
    return start, end, names, frame, early


def _bucket_problem(
    frame: pd.DataFrame, config: CriterionConfig, start: pd.Timestamp, end: pd.Timestamp
) -> str:
    """Why a histogram source's selected buckets cannot be used, or ``""``."""
    if frame.empty:
        return (
            f"{config.source} holds no histogram bucket series (samples with an le"
            " label) matching the selector"
        )
    return negative_counter(frame, start, end)


def negative_counter(samples: Any, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Why counter samples in ``[start, end]`` cannot be a counter's, or ``""``.

    A counter only counts up from 0; a drop is a restart, read as a reset. A
    negative reading is no reset: the series is a gauge or a per-interval
    delta, and taking its increase would give a wrong event count (a drop to
    -5 would add -5 events). So it is refused, naming the first such sample.

    >>> t = pd.to_datetime(["2026-03-02 10:00", "2026-03-02 10:01"], utc=True)
    >>> s = pd.DataFrame({"timestamp": t, "series": "errors_total", "value": [3.0, -2.0]})
    >>> print(negative_counter(s, t[0], t[1]))  # doctest: +ELLIPSIS
    counter errors_total reads -2 at 2026-03-02 10:01:00+00:00 ... Fix: ...
    >>> negative_counter(s, t[0], t[0])
    ''
    """
    frame = to_pandas(samples)
    if frame.empty:
        return ""
    values = frame["value"].to_numpy(dtype=float)
    stamps = frame["timestamp"]
    below = (values < 0) & (stamps >= start).to_numpy() & (stamps <= end).to_numpy()
    if not below.any():
        return ""
    first = frame.loc[below].sort_values("timestamp", kind="stable").iloc[0]
    return (
        f"counter {first['series']} reads {first['value']:g} at {first['timestamp']}"
        f" ({int(below.sum()):,} negative sample(s) in the window): a counter never"
        " goes below 0, so this series is a gauge or a per-interval delta and its"
        " increase would be a wrong event count. Fix: point the criterion at a"
        " cumulative counter (*_total, *_bucket) or clean the metric file"
    )


def _span_coverage(
    frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> float:
    inside = frame[(frame["timestamp"] >= start) & (frame["timestamp"] <= end)]
    if inside.empty:
        return 0.0
    span = (inside["timestamp"].max() - inside["timestamp"].min()).total_seconds()
    return float(min(max(span / (end - start).total_seconds(), 0.0), 1.0))


def _latency_p95(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    quantile, scale = _latency_params(crit_id, config.params)
    start, end, names, frame, early = _histogram_inputs(
        crit_id, criterion, config, evidence
    )
    if early is not None:
        return early
    try:
        buckets = bucket_increase(frame, window_start=start, window_end=end)
        seconds = histogram_quantile(quantile, buckets) if buckets else None
    except ConfigError as exc:
        return no_data(
            criterion, str(exc), window_start=start, window_end=end, sources=names
        )
    inverted = _not_one_histogram(config, buckets)
    if inverted:
        return no_data(
            criterion, inverted, window_start=start, window_end=end, sources=names
        )
    observations = buckets.get(math.inf, 0.0)
    infinite = frame[np.array([_is_inf(lab["le"]) for lab in frame["labels"]])]
    coverage = _span_coverage(infinite if not infinite.empty else frame, start, end)
    label = f"p{quantile * 100:g}"
    if seconds is None or observations < config.min_events:
        return no_data(
            criterion,
            f"{observations:,.0f} observations in the evidence window (need"
            f" {config.min_events}): no requests, no {label}",
            window_start=start,
            window_end=end,
            coverage_ratio=coverage,
            sources=names,
        )

    finite = [b for b in buckets if math.isfinite(b)]
    below_top = max((buckets[b] for b in finite), default=0.0)
    method = (
        f"{label} of {observations:,.0f} observations: increase of each bucket over the"
        " window (counter resets handled, no extrapolation), linear interpolation"
        " inside the bucket like PromQL histogram_quantile"
    )
    value = seconds * scale
    # Below min_coverage evaluate_value says NO DATA with the coverage itself.
    if _min_coverage(config, evidence) <= coverage < 1.0:
        # Time without data is unknown, never good: its requests (at the
        # observed rate) may all have been slow. The observed share c of all
        # requests must then hold the whole quantile: the judged p_q is the
        # observed quantile at level q / c, and past 100 % it has no bound.
        level = quantile / coverage if coverage > 0 else math.inf
        if level > 1.0:
            unbounded = no_data(
                criterion,
                f"data cover {coverage:.1%} of the window, less than the {label}"
                f" needs: the requests of the {1 - coverage:.1%} without data could"
                f" all be slower than any observed, so the {label} has no upper"
                f" bound (observed {label} {value:g} {config.unit}, not judged)",
                window_start=start,
                window_end=end,
                coverage_ratio=coverage,
                sources=names,
            )
            return replace(unbounded, evidence_count=int(observations))
        observed = value
        seconds = histogram_quantile(level, buckets)
        value = seconds * scale if seconds is not None else value
        method += (
            f"; observed {label} {observed:g} {config.unit}, judged at the"
            f" {level:.2%} level ({value:g} {config.unit}) so that the requests of the"
            f" {1 - coverage:.1%} of the window without data count as slower"
        )
        quantile = level
    above_top = bool(finite) and below_top < quantile * observations
    if above_top:
        # The quantile lies in the +Inf bucket: it is only known to be above
        # the highest finite bound, so judge a value just above it.
        floor = evaluate_value(criterion, math.nextafter(value, math.inf))
        if floor.status is not Status.FAIL:
            unknown = no_data(
                criterion,
                f"the {label} of {observations:,.0f} observations lies above the"
                f" highest finite bucket ({value:g} {config.unit}); the histogram"
                " cannot say how far above. Add larger buckets",
                window_start=start,
                window_end=end,
                coverage_ratio=coverage,
                sources=names,
            )
            # The evidence is the observations, not none: only their quantile is unknown.
            return replace(unknown, evidence_count=int(observations))
        method += (
            f"; the {label} lies above the highest finite bucket, so the value is a"
            " lower bound (and already fails)"
        )
    result = evaluate_value(
        criterion,
        value,
        window_start=start,
        window_end=end,
        coverage_ratio=coverage,
        min_coverage=_min_coverage(config, evidence),
        evidence_count=int(observations),
        detail=method,
        sources=names,
    )
    if above_top and result.status is not Status.NO_DATA:
        # Shown at the bound, judged strictly above it (the bound may equal the alert).
        result = replace(result, status=Status.FAIL)
    return result


def _not_one_histogram(
    config: CriterionConfig, buckets: dict[float, float]
) -> str | None:
    """Why bucket increases that shrink with the bound are no histogram, or None."""
    inverted = not_cumulative(buckets)
    if not inverted:
        return None
    return (
        f"{config.source}: {inverted}, so these are not the buckets of one"
        " histogram. Fix: select every *_bucket series of one histogram with the"
        " same labels (criteria.selector); a +Inf series that stops early is an"
        " export cut short"
    )


def _is_inf(bound: object) -> bool:
    """True for an ``le`` value meaning +Inf."""
    try:
        return math.isinf(float(str(bound)))
    except ValueError:
        return False


# --- latency: share under a threshold ---------------------------------------------------


def latency_share_threshold(crit_id: str, config: CriterionConfig) -> float:
    """The ``params.threshold_seconds`` of a ``latency_share`` criterion, checked.

    Raises
    ------
    ConfigError
        Unknown params, or a missing, non-numeric or non-positive threshold.
    """
    check_params(f"criteria.{crit_id}.params", "latency_share", config.params)
    threshold = param("latency_share", config.params, "threshold_seconds")
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or threshold <= 0
    ):
        raise ConfigError(
            f"criteria.{crit_id}.params.threshold_seconds must be a positive number,"
            f" a bucket bound of the histogram in seconds (e.g. 0.3); got {threshold!r}"
        )
    return float(threshold)


def latency_share_result(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> SLOResult:
    """The SLO behind a ``latency_share`` criterion (its sources must be usable).

    Raises
    ------
    ConfigError
        The threshold is not a bucket bound (the message lists the bounds),
        or a parameter is invalid.
    """
    assert config.source is not None
    threshold = latency_share_threshold(crit_id, config)
    start, end = evidence_window(config, evidence.as_of)
    frame = _bucket_frame(evidence.metrics[config.source], config.selector)
    try:
        return latency_share_slo(
            frame,
            threshold_seconds=threshold,
            window_start=start,
            window_end=end,
            target=config.target / 100.0,
        )
    except ConfigError as exc:
        raise ConfigError(
            f"criteria.{crit_id}.params.threshold_seconds"
            f" (source {config.source!r}): {exc}"
        ) from exc


def _latency_share(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    threshold = latency_share_threshold(crit_id, config)
    start, end, names, frame, early = _histogram_inputs(
        crit_id, criterion, config, evidence
    )
    if early is not None:
        return early
    try:
        buckets = bucket_increase(frame, window_start=start, window_end=end)
    except ConfigError:
        buckets = {}  # latency_share_result names the problem below
    problem = _not_one_histogram(config, buckets)
    if problem is not None:
        # A bucket above the +Inf one (a +Inf series cut short): the share
        # would read the threshold bucket as the total and say 100 %.
        return no_data(
            criterion, problem, window_start=start, window_end=end, sources=names
        )

    result = latency_share_result(crit_id, config, evidence)
    if result.sli is None or result.valid < config.min_events:
        return no_data(
            criterion,
            f"{result.valid:,.0f} requests observed in the evidence window (need"
            f" {config.min_events}): no requests, no latency share",
            window_start=start,
            window_end=end,
            coverage_ratio=result.coverage_ratio,
            sources=names,
        )
    # Judged like availability: requests in time without data, at the observed
    # rate, count as slow (SLOResult.sli_lower_bound).
    judged = result.sli if result.sli_lower_bound is None else result.sli_lower_bound
    remaining = result.budget_remaining_ratio_lower
    detail = (
        f"{result.method}: {result.good:,.0f} of {result.valid:,.0f} requests took"
        f" <= {threshold:g} s, {result.sli:.4%} over the {result.coverage_ratio:.1%}"
        f" of the window with data, {judged:.4%} when time without data counts as"
        f" slow (judged); error budget remaining {remaining or 0.0:.1%} when judged so"
    )
    return evaluate_value(
        criterion,
        judged * 100.0,
        window_start=start,
        window_end=end,
        coverage_ratio=result.coverage_ratio,
        min_coverage=_min_coverage(config, evidence),
        evidence_count=int(result.valid),
        detail=detail,
        sources=names,
    )


# --- ratios of counters ---------------------------------------------------------------


def _counter_slo(
    config: CriterionConfig,
    evidence: Evidence,
    start: pd.Timestamp,
    end: pd.Timestamp,
    target: float,
) -> tuple[SLOResult, tuple[str, ...], str]:
    """The occurrences SLO of a criterion's counters, its sources and their roles."""
    assert config.counters is not None
    part_name, total_name, numerator_is_bad = config.counters
    part, total = counter_frames(config, evidence)
    count = (
        availability_from_error_counters
        if numerator_is_bad
        else availability_from_counters
    )
    result = count(part, total, window_start=start, window_end=end, target=target)
    roles = "bad / total" if numerator_is_bad else "good / total"
    return result, (part_name, total_name), roles


def _ratio_sources(config: CriterionConfig) -> tuple[str, ...] | None:
    if config.total_source and (config.good_source or config.source):
        first = config.good_source or config.source
        assert first is not None
        return (first, config.total_source)
    return None


def _ratio_inputs(
    crit_id: str, config: CriterionConfig, evidence: Evidence, what: str
) -> tuple[Criterion, pd.Timestamp, pd.Timestamp, CriterionResult | None]:
    criterion = _criterion(crit_id, config)
    start, end = evidence_window(config, evidence.as_of)
    names = _ratio_sources(config)
    if names is None:
        missing = (
            f"no counters configured: set criteria.{crit_id}.total_source and"
            f" either source ({what} counter) or good_source"
        )
        return criterion, start, end, _unusable(criterion, start, end, (), missing)
    problem = source_problems(names, evidence) or counter_problem(config, evidence)
    early = _unusable(criterion, start, end, names, problem) if problem else None
    return criterion, start, end, early


def _source_inputs(
    criterion: Criterion, config: CriterionConfig, evidence: Evidence, missing: str
) -> tuple[pd.Timestamp, pd.Timestamp, tuple[str, ...], CriterionResult | None]:
    """Window, sources and an early NO DATA for a kind that reads one ``source``.

    ``missing`` is the reason given when the criterion names no source.
    """
    start, end = evidence_window(config, evidence.as_of)
    if not config.source:
        return start, end, (), _unusable(criterion, start, end, (), missing)
    names = (config.source,)
    problem = source_problems(names, evidence)
    early = _unusable(criterion, start, end, names, problem) if problem else None
    return start, end, names, early


def _unusable(
    criterion: Criterion,
    start: pd.Timestamp,
    end: pd.Timestamp,
    names: tuple[str, ...],
    reason: str,
) -> CriterionResult:
    return no_data(criterion, reason, window_start=start, window_end=end, sources=names)


def unmeasured_reason(result: SLOResult) -> str | None:
    """Why events were counted but no SLI came out (e.g. good above total), or None.

    None also when nothing was counted: that is plain no traffic.
    """
    if result.sli is None and result.valid > 0:
        return "; ".join(result.notes) or "no SLI could be computed"
    return None


def no_traffic_reason(result: SLOResult, min_events: int) -> str:
    """Why a ratio of counters with too few requests is NO DATA.

    Counters with samples in the window but no increase of the total are no
    traffic, not missing samples.

    >>> from analytics.metrics.slo import slo_from_counts
    >>> r = slo_from_counts(method="m", target=0.99, window_start="2024-05-01T00:00Z",
    ...     window_end="2024-05-02T00:00Z", good=0, valid=0, coverage_ratio=1.0,
    ...     series_count=2)
    >>> print(no_traffic_reason(r, 1))  # doctest: +ELLIPSIS
    no traffic: the total counter did not increase in the evidence window ...
    """
    reason = unmeasured_reason(result)
    if reason is not None:
        return reason
    if result.valid <= 0 and result.series_count > 0:
        return (
            "no traffic: the total counter did not increase in the evidence window"
            f" (0 requests, though {result.series_count:,} counter series have samples"
            " there); no traffic is no data, not 0 % or 100 %"
        )
    if result.valid <= 0:
        return f"no counter samples in the evidence window ({result.method})"
    return (
        f"{result.valid:,.0f} requests counted in the evidence window (need"
        f" {min_events}): too little traffic to judge, no data rather than 0 % or 100 %"
    )


def _no_traffic(
    criterion: Criterion,
    result: SLOResult,
    config: CriterionConfig,
    names: tuple[str, ...],
) -> CriterionResult | None:
    if result.sli is not None and result.valid >= config.min_events:
        return None
    return no_data(
        criterion,
        no_traffic_reason(result, config.min_events),
        window_start=result.window_start,
        window_end=result.window_end,
        coverage_ratio=result.coverage_ratio,
        sources=names,
    )


def _error_rate(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion, start, end, early = _ratio_inputs(crit_id, config, evidence, "error")
    if early is not None:
        return early
    # The target only feeds the budget fields of SLOResult, not reported here.
    reference = 1.0 - config.target / 100.0
    reference = reference if 0.0 < reference < 1.0 else 0.999
    result, names, roles = _counter_slo(config, evidence, start, end, reference)
    empty = _no_traffic(criterion, result, config, names)
    if empty is not None:
        return empty
    assert result.sli is not None and result.sli_lower_bound is not None
    observed = (1.0 - result.sli) * 100.0
    judged = (1.0 - result.sli_lower_bound) * 100.0
    bad = result.valid - result.good
    detail = (
        f"occurrences ({roles} counters): {bad:,.0f} errors of {result.valid:,.0f}"
        f" requests, {observed:.4f} %; {judged:.4f} %"
        f" {_judged_because(result, 'errors')}; coverage {result.coverage_ratio:.1%}"
    )
    if config.target > 0:
        detail += (
            f"; burn rate {judged / config.target:.2f}× the {config.target:g} % budget"
        )
    return evaluate_value(
        criterion,
        judged,
        window_start=start,
        window_end=end,
        coverage_ratio=result.coverage_ratio,
        min_coverage=_min_coverage(config, evidence),
        evidence_count=int(result.valid),
        detail=detail,
        sources=names,
    )


def _judged_because(result: SLOResult, bad: str) -> str:
    """Why the judged (pessimistic) figure is what it is, from its actual causes.

    The requests estimated for time without data (coverage below 100 %) and
    the uncounted first values of counters first seen in the window (the
    ``possible undercount`` notes) count as ``bad``; with neither, nothing was
    unknown and the judged figure is the observed one.

    >>> from analytics.metrics.slo import slo_from_counts
    >>> r = slo_from_counts(method="m", target=0.99, window_start="2024-05-01T00:00Z",
    ...     window_end="2024-05-02T00:00Z", good=90, valid=100, coverage_ratio=0.8,
    ...     series_count=2)
    >>> _judged_because(r, "errors")
    'when the requests at the observed rate in the 20.0% of the window without data count as errors (judged)'
    """
    causes = []
    if result.coverage_ratio < 1.0:
        causes.append(
            "the requests at the observed rate in the"
            f" {1.0 - result.coverage_ratio:.1%} of the window without data"
        )
    if any(note.startswith("possible undercount") for note in result.notes):
        causes.append("the first values of counters first seen in the window")
    if not causes:
        return "(judged; no time without data and no uncounted first values)"
    return f"when {' and '.join(causes)} count as {bad} (judged)"


def _success_ratio(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    settings = slice_settings(crit_id, config)
    if settings is not None:
        return _slice_ratio(crit_id, config, evidence, settings)
    criterion, start, end, early = _ratio_inputs(crit_id, config, evidence, "failure")
    if early is not None:
        return early
    result, names, roles = _counter_slo(
        config, evidence, start, end, config.target / 100.0
    )
    empty = _no_traffic(criterion, result, config, names)
    if empty is not None:
        return empty
    assert result.sli is not None and result.sli_lower_bound is not None
    lower = result.sli_lower_bound
    detail = (
        f"occurrences ({roles} counters): {result.good:,.0f} good of"
        f" {result.valid:,.0f}, {result.sli:.4%}; {lower:.4%}"
        f" {_judged_because(result, 'bad')}; error budget remaining"
        f" {result.budget_remaining_ratio or 0.0:.1%}"
    )
    return evaluate_value(
        criterion,
        lower * 100.0,
        window_start=start,
        window_end=end,
        coverage_ratio=result.coverage_ratio,
        min_coverage=_min_coverage(config, evidence),
        evidence_count=int(result.valid),
        detail=detail,
        sources=names,
    )


# --- budgeting by time slices -----------------------------------------------------------


@dataclass(frozen=True)
class SliceSettings:
    """How a ratio criterion is budgeted by time slices (OpenSLO).

    ``method`` is ``"timeslices"`` or ``"ratio_timeslices"``; ``slice_seconds``
    the slice length; ``slice_target`` the ratio (0..1] a slice must reach to
    be good (timeslices only).
    """

    method: Literal["timeslices", "ratio_timeslices"]
    slice_seconds: float
    slice_target: float | None


def slice_settings(crit_id: str, config: CriterionConfig) -> SliceSettings | None:
    """The time-slice budgeting of a ratio criterion, or None for occurrences.

    Reads ``params.budgeting_method`` (``occurrences``, ``timeslices``,
    ``ratio_timeslices``; the OpenSLO spellings ``Timeslices`` and
    ``RatioTimeslices`` are accepted), ``params.time_slice_window`` (a
    duration such as ``5m``, or seconds) and ``params.time_slice_target`` (in
    %, like every target of the config: ``95`` means a slice is good when at
    least 95 % of its events are good).

    Raises
    ------
    ConfigError
        Unknown keys, an unknown method, a missing or bad window or target.

    Examples
    --------
    >>> crit = CriterionConfig(title="t", kind="slo_ratio", target=99,
    ...     params={"budgeting_method": "timeslices", "time_slice_window": "5m",
    ...             "time_slice_target": 95})
    >>> slice_settings("x", crit)
    SliceSettings(method='timeslices', slice_seconds=300.0, slice_target=0.95)
    """
    where = f"criteria.{crit_id}.params"
    check_params(where, config.kind, config.params)
    given = param(config.kind, config.params, "budgeting_method")
    method = _METHOD_NAMES.get(str(given))
    if method is None:
        raise ConfigError(
            f"{where}.budgeting_method {given!r} is not one of occurrences,"
            " timeslices, ratio_timeslices"
        )
    window = param(config.kind, config.params, "time_slice_window")
    target = param(config.kind, config.params, "time_slice_target")
    if method == "occurrences":
        if window is not None or target is not None:
            raise ConfigError(
                f"{where}: time_slice_window and time_slice_target need"
                " budgeting_method timeslices or ratio_timeslices"
            )
        return None
    seconds = _slice_seconds(where, window)
    if method == "ratio_timeslices":
        if target is not None:
            raise ConfigError(
                f"{where}.time_slice_target is only for budgeting_method timeslices;"
                " ratio_timeslices averages the slice ratios. Remove it"
            )
        return SliceSettings("ratio_timeslices", seconds, None)
    return SliceSettings("timeslices", seconds, _slice_target(where, target))


def _slice_seconds(where: str, window: object) -> float:
    if window is None:
        raise ConfigError(
            f"{where}.time_slice_window is required for a time-slice method:"
            " the slice length, e.g. 5m"
        )
    try:
        seconds = (
            float(window)
            if isinstance(window, int | float) and not isinstance(window, bool)
            else parse_duration(str(window)).total_seconds()
        )
    except ValueError as exc:
        raise ConfigError(f"{where}.time_slice_window: {exc}") from exc
    if not seconds > 0:
        raise ConfigError(f"{where}.time_slice_window must be > 0, got {window!r}")
    return seconds


def _slice_target(where: str, target: object) -> float:
    if (
        isinstance(target, bool)
        or not isinstance(target, int | float)
        or not 0.0 < float(target) <= 100.0
    ):
        raise ConfigError(
            f"{where}.time_slice_target is required for timeslices: the share of"
            f" good events that makes a slice good, in % (0 < x <= 100),"
            f" e.g. 95; got {target!r}"
        )
    if float(target) <= 1.0:
        raise ConfigError(
            f"{where}.time_slice_target {target!r} looks like a ratio; give a"
            f" percentage like every target of the config, e.g."
            f" {float(target) * 100:g} for {target!r}"
        )
    return float(target) / 100.0


def counter_slice_slo(
    config: CriterionConfig,
    evidence: Evidence,
    settings: SliceSettings,
) -> tuple[SLOResult, tuple[str, ...], str]:
    """The time-slice SLO of a ratio criterion's counters, its sources and their roles.

    The sources must be usable (see :func:`source_problems`).
    """
    start, end = evidence_window(config, evidence.as_of)
    assert config.counters is not None and config.total_source is not None
    numerator_name = config.counters[0]
    part, total = counter_frames(config, evidence)
    result = availability_from_counter_slices(
        part,
        total,
        window_start=start,
        window_end=end,
        target=config.target / 100.0,
        slice_seconds=settings.slice_seconds,
        method=settings.method,
        slice_target=settings.slice_target,
        numerator_is_bad=not config.good_source,
    )
    roles = "good / total" if config.good_source else "bad / total"
    return result, (numerator_name, config.total_source), roles


def _slice_ratio(
    crit_id: str,
    config: CriterionConfig,
    evidence: Evidence,
    settings: SliceSettings,
) -> CriterionResult:
    criterion, start, end, early = _ratio_inputs(crit_id, config, evidence, "failure")
    if early is not None:
        return early
    result, names, roles = counter_slice_slo(config, evidence, settings)
    if result.sli is None or (result.events or 0.0) < config.min_events:
        return no_data(
            criterion,
            f"no {settings.slice_seconds:g} s slice of the evidence window has traffic"
            f" and data ({result.events or 0.0:,.0f} requests in known slices, need"
            f" {config.min_events}): no traffic is no data, not 0 % or 100 %",
            window_start=start,
            window_end=end,
            coverage_ratio=result.coverage_ratio,
            sources=names,
        )
    assert result.sli_lower_bound is not None and result.expected is not None
    unknown = result.expected - result.valid
    if settings.method == "timeslices":
        counted = (
            f"{result.good:,.0f} good of {result.valid:,.0f} slices with data (a slice"
            f" is good at >= {(settings.slice_target or 0.0):.4%} good events)"
        )
    else:
        counted = f"mean slice ratio over {result.valid:,.0f} slices with data"
    detail = (
        f"{result.method} ({roles} counters, {settings.slice_seconds:g} s slices):"
        f" {counted}, {result.sli:.4%}; {unknown:,.0f} of {result.expected:,.0f}"
        f" slices unknown (no data or no traffic), counted as bad:"
        f" {result.sli_lower_bound:.4%} (judged); coverage {result.coverage_ratio:.1%};"
        f" {result.events or 0.0:,.0f} requests; error budget remaining"
        f" {result.budget_remaining_ratio or 0.0:.1%}"
    )
    return evaluate_value(
        criterion,
        result.sli_lower_bound * 100.0,
        window_start=start,
        window_end=end,
        coverage_ratio=result.coverage_ratio,
        min_coverage=_min_coverage(config, evidence),
        evidence_count=int(result.events or 0.0),
        detail=detail,
        sources=names,
    )


# --- threshold metrics --------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdSettings:
    """A ``threshold_share`` criterion's threshold and budgeting.

    ``op`` is ``lt``, ``lte``, ``gt`` or ``gte`` and ``value`` the threshold:
    a data point is good when ``point op value``. ``slices`` is None for
    occurrences, else the time-slice budgeting.
    """

    op: str
    value: float
    slices: SliceSettings | None


def threshold_settings(crit_id: str, config: CriterionConfig) -> ThresholdSettings:
    """The ``params`` of a ``threshold_share`` criterion, checked.

    ``threshold_op`` (``lt``, ``lte``, ``gt``, ``gte``) and
    ``threshold_value`` (a number) are required; ``budgeting_method``,
    ``time_slice_window`` and ``time_slice_target`` as for ``slo_ratio``
    (:func:`slice_settings`).

    Raises
    ------
    ConfigError
        Unknown keys, a missing or unknown operator, a missing or
        non-numeric value, or bad slice settings.

    Examples
    --------
    >>> crit = CriterionConfig(title="t", kind="threshold_share", target=99,
    ...     params={"threshold_op": "lte", "threshold_value": 0.3})
    >>> threshold_settings("x", crit)
    ThresholdSettings(op='lte', value=0.3, slices=None)
    """
    where = f"criteria.{crit_id}.params"
    check_params(where, "threshold_share", config.params)
    op = param("threshold_share", config.params, "threshold_op")
    if op not in THRESHOLD_OPS:
        raise ConfigError(
            f"{where}.threshold_op must be one of {sorted(THRESHOLD_OPS)} (a data"
            f" point is good when its value op threshold_value); got {op!r}"
        )
    value = param("threshold_share", config.params, "threshold_value")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
    ):
        raise ConfigError(
            f"{where}.threshold_value must be a finite number in the metric's own"
            f" unit (e.g. 0.3 for 300 ms in seconds); got {value!r}"
        )
    slices = slice_settings(crit_id, config)
    return ThresholdSettings(str(op), float(value), slices)


def threshold_share_result(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> SLOResult:
    """The SLO of a ``threshold_share`` criterion over its evidence window.

    The source must be usable (see :func:`source_problems`).

    Raises
    ------
    ConfigError
        Bad params, or a scrape interval that cannot be inferred.
    """
    settings = threshold_settings(crit_id, config)
    start, end = evidence_window(config, evidence.as_of)
    assert config.source is not None
    frame = _select(to_pandas(evidence.metrics[config.source].frame), config.selector)
    slices = settings.slices
    return threshold_slo(
        frame,
        op=settings.op,
        value=settings.value,
        window_start=start,
        window_end=end,
        target=config.target / 100.0,
        method="occurrences" if slices is None else slices.method,
        slice_seconds=None if slices is None else slices.slice_seconds,
        slice_target=None if slices is None else slices.slice_target,
    )


def _threshold_share(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    settings = threshold_settings(crit_id, config)
    start, end, names, early = _source_inputs(
        criterion,
        config,
        evidence,
        f"no metric source configured: set criteria.{crit_id}.source to a"
        " metrics source of the gauge-like series to compare with the threshold",
    )
    if early is not None:
        return early

    try:
        result = threshold_share_result(crit_id, config, evidence)
    except ConfigError as exc:
        return no_data(
            criterion, str(exc), window_start=start, window_end=end, sources=names
        )
    points = result.events or 0.0
    if result.sli is None or points < config.min_events:
        return no_data(
            criterion,
            f"{points:,.0f} known data points of {config.source} in the evidence"
            f" window (need {config.min_events}): no data is no data, not 0 % or"
            " 100 %",
            window_start=start,
            window_end=end,
            coverage_ratio=result.coverage_ratio,
            sources=names,
        )
    assert result.sli_lower_bound is not None
    return evaluate_value(
        criterion,
        result.sli_lower_bound * 100.0,
        window_start=start,
        window_end=end,
        coverage_ratio=result.coverage_ratio,
        min_coverage=_min_coverage(config, evidence),
        evidence_count=int(points),
        detail=_threshold_detail(settings, result),
        sources=names,
    )


def _threshold_detail(settings: ThresholdSettings, result: SLOResult) -> str:
    rule = (
        f"value {THRESHOLD_OPS[settings.op]} {settings.value:g}, each data point of"
        f" each of {result.series_count} series"
    )
    assert result.expected is not None and result.sli_lower_bound is not None
    unknown = result.expected - result.valid
    if settings.slices is None:
        counted = f"{result.good:,.0f} good of {result.valid:,.0f} data points"
        missing = f"{unknown:,.0f} of {result.expected:,.0f} expected points"
    else:
        slice_rule = (
            f" (a slice is good at >= {settings.slices.slice_target:.4%} good points)"
            if settings.slices.slice_target is not None
            else " (mean of the slices' shares)"
        )
        counted = (
            f"{settings.slices.slice_seconds:g} s slices, {result.good:,.0f} good of"
            f" {result.valid:,.0f} slices with data{slice_rule}"
        )
        missing = f"{unknown:,.0f} of {result.expected:,.0f} slices"
    return (
        f"{result.method}, {rule}: {counted}, {result.sli:.4%}; {missing} unknown"
        f" (NaN or missing), counted as bad: {result.sli_lower_bound:.4%} (judged);"
        f" coverage {result.coverage_ratio:.1%}; error budget remaining"
        f" {result.budget_remaining_ratio or 0.0:.1%}"
    )


SLO_EVALUATORS: dict[str, Evaluator] = {
    "latency_p95": _latency_p95,
    "error_rate": _error_rate,
    "auth_success": _success_ratio,
    "slo_ratio": _success_ratio,
    "latency_share": _latency_share,
    "threshold_share": _threshold_share,
}
"""Criterion kinds measured from request counters and latency histograms."""


# --- OpenSLO ---------------------------------------------------------------------------


def _metric_source(query: str, metrics: Sequence[MetricSource], where: str) -> str:
    """The metrics source an OpenSLO query names: by source name, else by its query."""
    text = " ".join(query.split())
    for source in metrics:
        if source.name == text:
            return source.name
    for source in metrics:
        if source.query is not None and " ".join(source.query.split()) == text:
            return source.name
    names = [s.name for s in metrics]
    raise ConfigError(
        f"{where}: metricSource query {query!r} names no metrics source of the"
        f" readiness config. Fix: write the name of one of {names or 'the sources'}"
        " as the query, or give a format: prometheus source the same query"
    )


def _openslo_criterion(
    slo: OpenSLO, metrics: Sequence[MetricSource], where: str
) -> dict[str, Any]:
    indicator = slo.indicator
    if indicator.kind == "threshold":
        return {
            **_openslo_threshold(slo, metrics, where),
            **_openslo_window(slo, where),
        }
    if not indicator.counter:
        raise ConfigError(
            f"{where}: ratioMetric counter: false is not supported; the queries must"
            " select counters (the engine computes their increase)"
        )
    if len(slo.objectives) != 1:
        raise ConfigError(
            f"{where}: {len(slo.objectives)} objectives; one objective per ratio SLO"
            " is supported"
        )
    assert indicator.total_query is not None
    fields: dict[str, Any] = {
        "title": slo.display_name or slo.objectives[0].display_name or slo.name,
        "area": "reliability",
        "unit": "%",
        "op": ">=",
        "target": round(slo.objectives[0].target * 100.0, 10),
        "total_source": _metric_source(indicator.total_query, metrics, where),
    }
    if indicator.good_query is not None:
        fields["kind"] = "availability"
        fields["good_source"] = _metric_source(indicator.good_query, metrics, where)
    else:
        assert indicator.bad_query is not None
        fields["kind"] = "slo_ratio"
        fields["source"] = _metric_source(indicator.bad_query, metrics, where)
    if slo.budgeting_method != "Occurrences":
        # The availability evaluator counts occurrences only: slices go to slo_ratio,
        # which takes good/total as well as bad/total.
        fields["kind"] = "slo_ratio"
        fields["params"] = _openslo_slice_params(slo, where)
    fields.update(_openslo_window(slo, where))
    return fields


def _openslo_threshold(
    slo: OpenSLO, metrics: Sequence[MetricSource], where: str
) -> dict[str, Any]:
    """A ``threshold_share`` criterion from a thresholdMetric SLO (without window)."""
    if len(slo.objectives) != 1:
        raise ConfigError(
            f"{where}: {len(slo.objectives)} objectives; OpenSLO v1 allows only one"
            " objective when the SLI is a thresholdMetric. Fix: keep one objective,"
            " or write one SLO per threshold"
        )
    objective = slo.objectives[0]
    assert objective.op is not None and objective.value is not None  # OpenSLO model
    assert slo.indicator.query is not None
    params: dict[str, Any] = {
        "threshold_op": objective.op,
        "threshold_value": float(objective.value),
    }
    if slo.budgeting_method != "Occurrences":
        params.update(_openslo_slice_params(slo, where))
    return {
        "kind": "threshold_share",
        "title": slo.display_name or objective.display_name or slo.name,
        "area": "reliability",
        "unit": "%",
        "op": ">=",
        "target": round(objective.target * 100.0, 10),
        "source": _metric_source(slo.indicator.query, metrics, where),
        "params": params,
    }


def _openslo_window(slo: OpenSLO, where: str) -> dict[str, Any]:
    """``lookback``, or ``calendar`` and ``timezone``, from the SLO's timeWindow."""
    fields: dict[str, Any] = {}
    window = slo.time_window
    if window.is_rolling:
        if window.seconds is None:
            raise ConfigError(
                f"{where}: a rolling window of {window.duration} has no fixed length;"
                " use days or weeks (e.g. 28d)"
            )
        fields["lookback"] = _duration_text(window.seconds)
    else:
        unit = window.calendar_unit
        if unit not in ("day", "week", "month", "quarter"):
            raise ConfigError(
                f"{where}: calendar window {window.duration} is not supported; use one"
                " day, week, month or quarter (1d, 1w, 1M, 1Q)"
            )
        fields["calendar"] = unit
        fields["timezone"] = window.timezone
    return fields


def _duration_text(seconds: float) -> str:
    """An exact duration: whole days as days, anything else as whole seconds.

    Never in scientific notation (``f"{2419200.0:g}"`` is ``2.4192e+06``, which is
    not a duration).

    Examples
    --------
    >>> _duration_text(28 * 86_400.0)
    '28d'
    >>> _duration_text(30 * 3_600.0)
    '108000s'
    >>> _duration_text(1_200.0)
    '1200s'
    """
    whole = round(seconds)
    return f"{whole // 86_400}d" if whole % 86_400 == 0 else f"{whole}s"


# The OpenSLO field each criterion field is built from, for errors in the result.
_OPENSLO_FIELDS: Final[Mapping[str, str]] = {
    "lookback": "spec.timeWindow[0].duration",
    "calendar": "spec.timeWindow[0].duration",
    "timezone": "spec.timeWindow[0].calendar.timeZone",
    "target": "spec.objectives[0].target",
    "time_slice_window": "spec.objectives[0].timeSliceWindow",
    "time_slice_target": "spec.objectives[0].timeSliceTarget",
    "threshold_op": "spec.objectives[0].op",
    "threshold_value": "spec.objectives[0].value",
}


def _openslo_validated(fields: dict[str, Any], where: str) -> CriterionConfig:
    """The criterion built from an SLO; a refusal names the SLO and its field path."""
    try:
        return CriterionConfig.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        field = next(
            (_OPENSLO_FIELDS[p] for p in reversed(loc) if p in _OPENSLO_FIELDS), ""
        )
        criterion_field = ".".join(loc)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"{where}: {field or 'spec'} gives an invalid criterion"
            f" ({criterion_field or 'criterion'}): {message}"
        ) from None


def _openslo_slice_params(slo: OpenSLO, where: str) -> dict[str, Any]:
    """``params`` of a Timeslices or RatioTimeslices SLO (one objective)."""
    objective = slo.objectives[0]
    assert objective.time_slice_window is not None  # checked by the OpenSLO model
    seconds = OpenSLOTimeWindow(
        duration=objective.time_slice_window, is_rolling=True
    ).seconds
    if seconds is None:
        raise ConfigError(
            f"{where}: timeSliceWindow {objective.time_slice_window} has no fixed"
            " length; use seconds, minutes or hours (e.g. 5m)"
        )
    params: dict[str, Any] = {
        "budgeting_method": (
            "timeslices" if slo.budgeting_method == "Timeslices" else "ratio_timeslices"
        ),
        "time_slice_window": _duration_text(seconds),
    }
    if slo.budgeting_method == "Timeslices":
        assert objective.time_slice_target is not None
        params["time_slice_target"] = round(objective.time_slice_target * 100.0, 10)
    return params


def openslo_criteria(
    config: ReadinessConfig, path: str | Path = "config"
) -> dict[str, CriterionConfig]:
    """The config's criteria plus one criterion per SLO of its OpenSLO files.

    Each ``kind: SLO`` becomes a criterion whose id is the SLO's
    ``metadata.name``: a ``ratioMetric`` with ``good``/``total`` becomes an
    ``availability`` criterion (``good_source``/``total_source``), one with
    ``bad``/``total`` an ``slo_ratio`` criterion (``source``/``total_source``).
    Every ``metricSource.spec.query`` must name a metrics source of the
    readiness config, either by its ``name`` or by being exactly its
    ``query`` (whitespace aside). The objective's ``target`` becomes the
    target in %, a rolling ``timeWindow`` the ``lookback``, a calendar one
    ``calendar`` and ``timezone``. An SLO budgeted by ``Timeslices`` or
    ``RatioTimeslices`` becomes an ``slo_ratio`` criterion (good/total or
    bad/total) with ``params`` ``budgeting_method``, ``time_slice_window`` and,
    for Timeslices, ``time_slice_target`` (the objective's
    ``timeSliceTarget`` in %). A ``thresholdMetric`` SLO becomes a
    ``threshold_share`` criterion: ``source`` is its query's metrics source,
    ``params`` ``threshold_op`` / ``threshold_value`` the objective's ``op`` /
    ``value``, plus the slice params of its budgeting method.

    Raises
    ------
    ConfigError
        An unsupported SLO (several objectives, non-counter ratio, a rolling
        month, a slice window of months), a query that names no source, or an
        id already used by a criterion.
    """
    criteria = dict(config.criteria)
    for file in config.openslo:
        for slo in load_openslo(file):
            where = f"{path}: {file}: SLO {slo.name!r}"
            if slo.name in criteria:
                raise ConfigError(
                    f"{where}: a criterion with id {slo.name!r} already exists;"
                    " rename the SLO or the criterion"
                )
            fields = _openslo_criterion(slo, config.metrics, where)
            criteria[slo.name] = _openslo_validated(fields, where)
    return criteria
