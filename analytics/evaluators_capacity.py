"""Evaluators for capacity criteria: load-test throughput and forecast headroom.

Two criterion kinds, wired into the evaluator table through
:data:`CAPACITY_EVALUATORS`:

``throughput``
    The highest *sustained* throughput proven by load tests: the largest step
    throughput at which p95 latency and the error ratio both stay within
    target (:func:`analytics.sources.loadtests.load_capacity`). Sources are
    ``config.source`` (one load test) or every configured load test; the best
    of them counts. No load test configured is NO DATA; load tests in which no
    step met the targets prove 0 req/s (FAIL).

    Only load steps that ran inside the criterion's evidence window count
    (started at or after its start, ``lookback`` before the decision time, and
    ended by the decision time): an old test says nothing about the system
    going live, and one after the decision time was not known then. A step
    whose start is unknown (Locust ``*_stats.csv``, k6 summary without
    ``loadtests[].started_at``) does not count either. When no step of any
    load test counts, the criterion is NO DATA with the run times found; a
    load test all of whose rows were rejected by its reader has no step (NO
    DATA, naming it). Rows a reader rejected count in no step (an unknown
    outcome is never taken for a success), and too many of them in the window
    make the criterion NO DATA (``max_rejected_ratio``).

    ``params`` (all optional):

    ======================  ==================================================
    ``p95_ms``              p95 latency target of a step, ms (default 200)
    ``error_ratio``         error ratio target of a step (default 0.01)
    ``min_duration_s``      shortest step that counts as sustained (default 0)
    ``forecast_peak_rps``   peak traffic to compare capacity with
    ``forecast_criterion``  id of a ``capacity_headroom`` criterion whose
                            forecast peak (highest forecast mean) is the peak
    ======================  ==================================================

``capacity_headroom``
    Forecast a metric source (``config.source``, ``selector``; samples in the
    lookback window before the decision time) with
    :func:`analytics.metrics.forecast.forecast_capacity` and report the
    headroom at the horizon, ``(limit − forecast peak) / limit`` in %. With the
    default ``op: ">="`` it passes when the headroom is at least the target.
    A series too short for the seasonality, or with a gap too long to fill, is
    NO DATA with the forecaster's reason.

    ``params``:

    ======================  ==================================================
    ``limit``               capacity limit in the series' unit (required, > 0)
    ``horizon``             forecast horizon, e.g. ``"14d"`` (default 14d)
    ``freq``                grid frequency, e.g. ``"1h"`` (default 1h)
    ``seasonal_periods``    periods in steps (default: one day and one week
                            at ``freq`` when they are whole steps)
    ``models``              candidate models (default: ``DEFAULT_MODELS`` of
                            the forecast module; ``unobserved_components``
                            only when listed)
    ``folds``               backtest origins, a third of the horizon apart
                            (default 6)
    ``how``                 aggregation within a grid bin (default mean)
    ``max_gap_steps``       longest gap filled by interpolation (default 6)
    ``aggregate``           how several selected series are combined per bin:
                            ``sum``, ``mean`` or ``max`` (default: one series
                            is required)
    ======================  ==================================================

Unknown ``params`` keys raise :class:`~analytics.errors.ConfigError`, so a typo
cannot silently fall back to a default: when the config is loaded, and again
here. Both check :data:`~analytics.criterion_params.CRITERION_PARAMS`, which
also holds the defaults.

The forecast behind a ``capacity_headroom`` criterion is computed once per
evidence and shared with the report's capacity section
(:func:`headroom_forecast`).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from analytics.config import CriterionConfig, parse_duration
from analytics.criterion_params import check_params, param
from analytics.errors import ConfigError
from analytics.evaluators_slo import evidence_window
from analytics.evidence import Evidence
from analytics.frames import to_pandas
from analytics.metrics.forecast import (
    DEFAULT_MODELS,
    CapacityCrossing,
    Forecast,
    capacity_crossing,
    forecast_capacity,
)
from analytics.readiness import Criterion, CriterionResult, evaluate_value, no_data
from analytics.sources.loadtests import LoadCapacity, load_capacity

if TYPE_CHECKING:
    from analytics.evaluate import Evaluator

__all__ = [
    "CAPACITY_EVALUATORS",
    "HeadroomForecast",
    "HeadroomSettings",
    "LoadTestCapacity",
    "ThroughputSettings",
    "headroom_forecast",
    "headroom_settings",
    "loadtest_capacity",
    "steps_in_window",
    "throughput_settings",
]


def _criterion(crit_id: str, config: CriterionConfig) -> Criterion:
    # Imported here: analytics.evaluate may import this module to wire the kinds.
    from analytics.evaluate import to_criterion

    return to_criterion(crit_id, config)


def _window(
    config: CriterionConfig, evidence: Evidence
) -> tuple[pd.Timestamp, pd.Timestamp]:
    # Rolling lookback, or the last complete calendar period when ``calendar`` is set.
    return evidence_window(config, evidence.as_of)


def _number(crit_id: str, config: CriterionConfig, key: str) -> float:
    """Param ``key`` (or its default) as a number."""
    value = param(config.kind, config.params, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"criteria.{crit_id}.params.{key} must be a number, got {value!r}"
        )
    return float(value)


# --------------------------------------------------------------- throughput


@dataclass(frozen=True)
class ThroughputSettings:
    """The ``params`` of a ``throughput`` criterion, validated, with defaults."""

    p95_ms: float
    error_ratio: float
    min_duration_s: float
    forecast_peak_rps: float | None
    forecast_criterion: str | None


def throughput_settings(crit_id: str, config: CriterionConfig) -> ThroughputSettings:
    """Validate a ``throughput`` criterion's ``params``.

    Raises
    ------
    ConfigError
        An unknown key, a non-numeric target, or a ``forecast_criterion`` that
        is not a string.

    Examples
    --------
    >>> cfg = CriterionConfig(title="t", kind="throughput", target=1000,
    ...                       params={"p95_ms": 300})
    >>> throughput_settings("throughput", cfg).p95_ms
    300.0
    """
    params = config.params
    check_params(f"criteria.{crit_id}.params", config.kind, params)
    peak = param(config.kind, params, "forecast_peak_rps")
    criterion = param(config.kind, params, "forecast_criterion")
    if criterion is not None and not isinstance(criterion, str):
        raise ConfigError(
            f"criteria.{crit_id}.params.forecast_criterion must be a criterion id,"
            f" got {criterion!r}"
        )
    return ThroughputSettings(
        p95_ms=_number(crit_id, config, "p95_ms"),
        error_ratio=_number(crit_id, config, "error_ratio"),
        min_duration_s=_number(crit_id, config, "min_duration_s"),
        forecast_peak_rps=None
        if peak is None
        else _number(crit_id, config, "forecast_peak_rps"),
        forecast_criterion=criterion,
    )


@dataclass(frozen=True)
class LoadTestCapacity:
    """What the configured load tests prove, per source and overall.

    Attributes
    ----------
    sources
        Load-test source names used, in config order.
    steps
        Load steps of every source, with a ``source`` column first.
    per_source
        :class:`~analytics.sources.loadtests.LoadCapacity` of each source.
    best_source
        The source with the highest sustained throughput (``None``: none met
        the targets).
    settings
        The targets applied.
    forecast_peak_rps, forecast_peak_note
        The peak traffic compared with, and where it came from (or why there
        is none).
    window_start, window_end
        The evidence window a load step must have run in to count.
    not_counted
        Why steps of a source do not count (ran outside the window, or when is
        unknown), or why it has none (all its rows rejected), by source; a
        source none of whose steps count is not in :attr:`per_source`.

    ``steps`` has an ``in_window`` column: whether the step counts.
    """

    sources: tuple[str, ...]
    steps: pd.DataFrame
    per_source: dict[str, LoadCapacity]
    best_source: str | None
    settings: ThroughputSettings
    forecast_peak_rps: float | None
    forecast_peak_note: str
    window_start: pd.Timestamp | None = None
    window_end: pd.Timestamp | None = None
    not_counted: dict[str, str] = field(default_factory=dict)

    @property
    def best(self) -> LoadCapacity | None:
        """The capacity of :attr:`best_source`."""
        return None if self.best_source is None else self.per_source[self.best_source]

    @property
    def sustained_rps(self) -> float | None:
        """Highest sustained throughput over all sources (``None``: none met target)."""
        best = self.best
        return None if best is None else best.sustained_rps


def _forecast_peak(
    settings: ThroughputSettings, evidence: Evidence
) -> tuple[float | None, str]:
    if settings.forecast_peak_rps is not None:
        return settings.forecast_peak_rps, "forecast peak given in the config"
    if settings.forecast_criterion is None:
        return None, (
            "no forecast peak: set params.forecast_peak_rps, or params."
            "forecast_criterion to a capacity_headroom criterion forecasting traffic"
        )
    crit_id = settings.forecast_criterion
    config = evidence.config.criteria.get(crit_id)
    if config is None or config.kind != "capacity_headroom":
        raise ConfigError(
            f"params.forecast_criterion {crit_id!r} is not a capacity_headroom"
            " criterion of this config"
        )
    result = headroom_forecast(crit_id, config, evidence)
    if result.forecast is None:
        return None, f"no forecast peak: forecast {crit_id!r} failed ({result.reason})"
    peak = float(result.forecast.mean.max())
    return peak, (
        f"forecast peak of {crit_id!r} (highest forecast mean over"
        f" {result.settings.horizon})"
    )


def loadtest_capacity(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> LoadTestCapacity | None:
    """Sustained throughput of the load tests a ``throughput`` criterion names.

    Only steps run inside the criterion's evidence window count (see the
    module docstring). Returns ``None`` when no load test is configured (or
    ``config.source`` is not one).
    """
    settings = throughput_settings(crit_id, config)
    if config.source is not None:
        names: tuple[str, ...] = (
            (config.source,) if config.source in evidence.loadtests else ()
        )
    else:
        names = tuple(evidence.loadtests)
    if not names:
        return None
    start, end = _window(config, evidence)
    peak, peak_note = _forecast_peak(settings, evidence)
    per_source: dict[str, LoadCapacity] = {}
    not_counted: dict[str, str] = {}
    frames = []
    for name in names:
        steps = evidence.loadtests[name].frame
        counted = steps_in_window(steps, start, end)
        frames.append(
            steps.assign(source=name, in_window=counted)[
                ["source", *steps.columns, "in_window"]
            ]
        )
        if steps.empty:
            load = evidence.loadtests[name]
            not_counted[name] = (
                f"load test '{name}' has no usable load step: all {load.rows_in:,}"
                " of its rows were rejected (see rejected_rows.csv)"
            )
        elif not counted.all():
            not_counted[name] = _not_counted_reason(
                name, steps, counted, start, end, evidence
            )
        if not counted.any():
            continue
        per_source[name] = load_capacity(
            steps[counted],
            p95_target_ms=settings.p95_ms,
            error_ratio_target=settings.error_ratio,
            target_rps=config.target,
            forecast_peak_rps=peak,
            min_duration_s=settings.min_duration_s,
        )
    proven = {
        n: c.sustained_rps for n, c in per_source.items() if c.sustained_rps is not None
    }
    best = max(proven, key=lambda n: proven[n]) if proven else None
    return LoadTestCapacity(
        sources=names,
        steps=pd.concat(frames, ignore_index=True),
        per_source=per_source,
        best_source=best,
        settings=settings,
        forecast_peak_rps=peak,
        forecast_peak_note=peak_note,
        window_start=start,
        window_end=end,
        not_counted=not_counted,
    )


def steps_in_window(
    steps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.Series:
    """Whether each load step ran inside ``[start, end]``: began at or after
    ``start`` and ended (start + duration, when known) by ``end``.

    A step whose start is unknown (NaT) is not inside.

    Examples
    --------
    >>> t = pd.Timestamp("2026-02-20 10:00", tz="UTC")
    >>> steps = pd.DataFrame({"started_at": [t, t - pd.Timedelta(days=60), pd.NaT],
    ...                       "duration_s": [60.0, 60.0, 60.0]})
    >>> steps_in_window(steps, t - pd.Timedelta(days=30), t + pd.Timedelta(days=1)).tolist()
    [True, False, False]
    """
    started = steps["started_at"]
    ended = started + pd.to_timedelta(steps["duration_s"].fillna(0.0), unit="s")
    inside = started.notna() & (started >= start) & (ended <= end)
    return inside.astype(bool)


def _not_counted_reason(
    name: str,
    steps: pd.DataFrame,
    counted: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    evidence: Evidence,
) -> str:
    """Why (some) steps of load test ``name`` do not count, and what to do."""
    window = f"the evidence window {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"
    outside = steps[~counted]
    parts = []
    unknown = outside["started_at"].isna()
    if unknown.any():
        fmt = next((s.format for s in evidence.config.loadtests if s.name == name), "")
        parts.append(
            f"load test '{name}' ({fmt}) does not record when it ran, so its age is"
            f" unknown: set started_at (ISO 8601, e.g. 2026-02-20T10:00:00Z) on its"
            " loadtests entry, or export a format with request times (JMeter JTL,"
            " k6 --out json, Locust stats history)"
        )
    timed = outside.loc[~unknown, "started_at"]
    if not timed.empty:
        before, after = int((timed < start).sum()), int((timed >= start).sum())
        when = [
            label
            for count, label in (
                (before, f"{before} before it"),
                (after, f"{after} ending after the decision time"),
            )
            if count
        ]
        first, last = f"{timed.min():%Y-%m-%d %H:%M}", f"{timed.max():%Y-%m-%d %H:%M}"
        parts.append(
            f"{len(timed)} of {len(steps)} load step(s) of '{name}' started"
            f" {first if first == last else f'{first} – {last}'} UTC, outside"
            f" {window} ({', '.join(when)}) and do not count: run the load test again"
            " against the release, or widen the criterion's lookback only if that"
            " test still describes it"
        )
    return "; ".join(parts)


def _run_start(capacity: LoadTestCapacity, name: str) -> str:
    steps = capacity.steps
    started = steps.loc[(steps["source"] == name) & steps["in_window"], "started_at"]
    return f"run {started.min():%Y-%m-%d %H:%M} UTC"


def _throughput(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    start, end = _window(config, evidence)
    capacity = loadtest_capacity(crit_id, config, evidence)
    if capacity is None:
        where = (
            f"source {config.source!r} is not a load test"
            if config.source is not None
            else "no load test is configured"
        )
        return no_data(
            criterion,
            f"{where}: add its results under loadtests: (JMeter JTL, Locust CSV or"
            " k6 output) to prove peak capacity",
            window_start=start,
            window_end=end,
            sources=(config.source,) if config.source else (),
        )
    if not capacity.per_source:
        unusable = all(evidence.loadtests[n].frame.empty for n in capacity.sources)
        return no_data(
            criterion,
            (
                "no load test has a usable load step; "
                if unusable
                else "no load test ran within the evidence window; "
            )
            + "; ".join(capacity.not_counted.values()),
            window_start=start,
            window_end=end,
            sources=capacity.sources,
        )
    s = capacity.settings
    targets = f"p95 ≤ {s.p95_ms:g} ms and error ratio ≤ {s.error_ratio:.2%}"
    if s.min_duration_s > 0:
        targets += f" for at least {s.min_duration_s:g} s"
    steps = int(capacity.steps["in_window"].sum())
    best = capacity.best
    if best is None or best.sustained_rps is None:
        detail = (
            f"no load step of {', '.join(capacity.per_source)} ({steps} steps in the"
            f" window) met {targets}: no sustained throughput is proven (0 req/s)"
        )
        value = 0.0
    else:
        assert capacity.best_source is not None
        detail = (
            f"highest step throughput with {targets}: {best.sustained_rps:,.1f} req/s"
            f" in {capacity.best_source} ({_run_start(capacity, capacity.best_source)};"
            f" {steps} load steps in the window from {len(capacity.per_source)} load"
            " test(s))"
        )
        knees = [
            f"{c.knee_rps:,.1f} req/s in {n}"
            for n, c in capacity.per_source.items()
            if c.knee_rps is not None
        ]
        if knees:
            detail += f"; latency knee at {', '.join(knees)}"
        if best.headroom_ratio is not None and capacity.forecast_peak_rps:
            detail += (
                f"; headroom {best.headroom_ratio:+.1%} over the forecast peak"
                f" {capacity.forecast_peak_rps:,.1f} req/s"
            )
        value = best.sustained_rps
    if capacity.not_counted:
        detail += "; not counted: " + "; ".join(capacity.not_counted.values())
    return evaluate_value(
        criterion,
        value,
        window_start=start,
        window_end=end,
        evidence_count=steps,
        detail=detail,
        sources=capacity.sources,
    )


# --------------------------------------------------------- capacity headroom


@dataclass(frozen=True)
class HeadroomSettings:
    """The ``params`` of a ``capacity_headroom`` criterion, validated."""

    limit: float
    horizon: str
    freq: str
    horizon_steps: int
    seasonal_periods: tuple[int, ...]
    models: tuple[str, ...]
    folds: int
    how: str
    max_gap_steps: int
    aggregate: str | None


def _duration_text(delta: pd.Timedelta) -> str:
    """A config-style duration: ``14d``, ``1h``, ``90s``.

    >>> _duration_text(pd.Timedelta(days=14)), _duration_text(pd.Timedelta(seconds=5400))
    ('14d', '90m')
    """
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _offset(freq: str) -> str:
    """A pandas frequency string for a config duration (``"15m"`` is minutes)."""
    return str(pd.tseries.frequencies.to_offset(parse_duration(freq)).freqstr)


def _default_periods(step: pd.Timedelta) -> tuple[int, ...]:
    periods = []
    for span in (pd.Timedelta(days=1), pd.Timedelta(weeks=1)):
        ratio = span / step
        if ratio >= 2 and float(ratio).is_integer():
            periods.append(int(ratio))
    return tuple(periods) or (1,)


def headroom_settings(crit_id: str, config: CriterionConfig) -> HeadroomSettings:
    """Validate a ``capacity_headroom`` criterion's ``params``.

    Raises
    ------
    ConfigError
        No ``limit``, an unknown key, or a value of the wrong type.

    Examples
    --------
    >>> cfg = CriterionConfig(title="t", kind="capacity_headroom", target=20,
    ...                       params={"limit": 800, "horizon": "2d", "freq": "1h"})
    >>> s = headroom_settings("cpu", cfg)
    >>> s.horizon_steps, s.seasonal_periods
    (48, (24, 168))

    A bare number is seconds, as ``check-config`` reads it:

    >>> bare = cfg.model_copy(update={"params": {"limit": 800, "horizon": 172800}})
    >>> headroom_settings("cpu", bare).horizon
    '2d'
    """
    params = config.params
    where = f"criteria.{crit_id}.params"
    check_params(where, config.kind, params)
    if "limit" not in params:
        raise ConfigError(
            f"{where}.limit is missing: give the capacity limit in the series' unit"
        )
    limit = _number(crit_id, config, "limit")
    if not limit > 0:
        raise ConfigError(f"{where}.limit must be > 0, got {limit:g}")
    try:
        # A bare number is seconds, as the load-time check reads it.
        horizon_td = parse_duration(param(config.kind, params, "horizon"))
        step = parse_duration(param(config.kind, params, "freq"))
        horizon, freq = _duration_text(horizon_td), _duration_text(step)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if step <= pd.Timedelta(0) or horizon_td < step:
        raise ConfigError(f"{where}: horizon {horizon} is shorter than one step {freq}")
    # Computed defaults: the registry has none for these two.
    periods_raw = param(config.kind, params, "seasonal_periods")
    if periods_raw is None:
        periods_raw = _default_periods(step)
    models_raw = param(config.kind, params, "models")
    if models_raw is None:
        models_raw = DEFAULT_MODELS
    if not isinstance(periods_raw, Sequence) or not all(
        isinstance(p, int) and not isinstance(p, bool) and p >= 1 for p in periods_raw
    ):
        raise ConfigError(
            f"{where}.seasonal_periods must be a list of whole steps, got {periods_raw!r}"
        )
    if isinstance(models_raw, str) or not isinstance(models_raw, Sequence):
        raise ConfigError(f"{where}.models must be a list of names, got {models_raw!r}")
    aggregate = param(config.kind, params, "aggregate")
    if aggregate not in (None, "sum", "mean", "max"):
        raise ConfigError(
            f"{where}.aggregate must be sum, mean or max, got {aggregate!r}"
        )
    return HeadroomSettings(
        limit=limit,
        horizon=horizon,
        freq=freq,
        horizon_steps=int(horizon_td // step),
        seasonal_periods=tuple(int(p) for p in periods_raw),
        models=tuple(str(m) for m in models_raw),
        folds=int(_number(crit_id, config, "folds")),
        how=str(param(config.kind, params, "how")),
        max_gap_steps=int(_number(crit_id, config, "max_gap_steps")),
        aggregate=None if aggregate is None else str(aggregate),
    )


@dataclass(frozen=True)
class HeadroomForecast:
    """The forecast behind a ``capacity_headroom`` criterion, or why there is none.

    Attributes
    ----------
    settings
        The validated parameters.
    series
        The selected samples in the window, one value per timestamp (may be empty).
    forecast, crossing
        The forecast and its crossing of ``settings.limit`` (``None`` when no
        forecast could be made).
    reason
        Why there is no forecast (empty when there is one).
    notes
        How the series was selected and combined.
    """

    settings: HeadroomSettings
    series: pd.Series
    forecast: Forecast | None
    crossing: CapacityCrossing | None
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def _matches(labels: object, selector: Mapping[str, str], metric: object) -> bool:
    for name, wanted in selector.items():
        if name == "__name__":
            if metric != wanted:
                return False
        elif not isinstance(labels, Mapping) or labels.get(name) != wanted:
            return False
    return True


def _select_series(
    samples: pd.DataFrame,
    config: CriterionConfig,
    settings: HeadroomSettings,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[pd.Series, list[str], str]:
    """One series of the window: (values by time, notes, reason if unusable)."""
    frame = to_pandas(samples)
    if config.selector:
        keep = [
            _matches(lab, config.selector, met)
            for lab, met in zip(frame["labels"], frame["metric"], strict=True)
        ]
        frame = frame[keep]
    frame = frame[
        (frame["timestamp"] >= start)
        & (frame["timestamp"] < end)
        & frame["value"].notna()
    ]
    empty = pd.Series(dtype=float)
    if frame.empty:
        return empty, [], "no samples of the selected series in the evidence window"
    names = sorted(frame["series"].astype(str).unique())
    notes = [f"series: {', '.join(names[:5])}" + (" …" if len(names) > 5 else "")]
    if len(names) == 1:
        values = frame.set_index("timestamp")["value"].astype(float)
        return values.rename(names[0]), notes, ""
    if settings.aggregate is None:
        return (
            empty,
            notes,
            f"{len(names)} series match ({', '.join(names[:3])}"
            f"{' …' if len(names) > 3 else ''}): narrow the selector, or set"
            " params.aggregate to sum, mean or max",
        )
    bins = frame["timestamp"].dt.floor(_offset(settings.freq))
    per_series = frame.groupby([bins, frame["series"]])["value"].agg(settings.how)
    combined = per_series.groupby(level=0).agg(settings.aggregate)
    notes.append(
        f"{len(names)} series combined by {settings.aggregate} per {settings.freq} bin"
        f" (each series first aggregated by {settings.how} within the bin)"
    )
    return combined.astype(float).rename("combined"), notes, ""


_CACHE: dict[tuple[int, str], tuple[weakref.ref[Evidence], HeadroomForecast]] = {}


def headroom_forecast(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> HeadroomForecast:
    """Forecast the series of a ``capacity_headroom`` criterion (cached per evidence).

    Raises
    ------
    ConfigError
        Invalid ``params`` (see the module docstring). Data that cannot be
        forecast gives a result with ``forecast=None`` and a ``reason``.
    """
    key = (id(evidence), crit_id)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is evidence:
        return cached[1]
    result = _compute_headroom(crit_id, config, evidence)
    for stale in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[stale]
    _CACHE[key] = (weakref.ref(evidence), result)
    return result


def _compute_headroom(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> HeadroomForecast:
    settings = headroom_settings(crit_id, config)
    empty = pd.Series(dtype=float)
    if config.source is None:
        return HeadroomForecast(
            settings,
            empty,
            None,
            None,
            f"no metric source configured: set criteria.{crit_id}.source",
        )
    if config.source in evidence.unavailable:
        return HeadroomForecast(
            settings,
            empty,
            None,
            None,
            f"source unavailable during this run; {evidence.unavailable[config.source]}",
        )
    if config.source not in evidence.metrics:
        return HeadroomForecast(
            settings,
            empty,
            None,
            None,
            f"source {config.source!r} is not a metrics source",
        )
    start, end = _window(config, evidence)
    series, notes, reason = _select_series(
        evidence.metrics[config.source].frame, config, settings, start, end
    )
    if reason:
        return HeadroomForecast(settings, series, None, None, reason, notes)
    try:
        forecast = forecast_capacity(
            series,
            horizon_steps=settings.horizon_steps,
            freq=_offset(settings.freq),
            seasonal_periods=settings.seasonal_periods,
            models=settings.models,
            folds=settings.folds,
            how=settings.how,
            max_gap_steps=settings.max_gap_steps,
        )
    except ConfigError as exc:
        return HeadroomForecast(settings, series, None, None, str(exc), notes)
    crossing = capacity_crossing(
        forecast, settings.limit, recent_steps=max(settings.seasonal_periods)
    )
    return HeadroomForecast(settings, series, forecast, crossing, "", notes)


def _when(stamp: pd.Timestamp | None) -> str:
    return "not within the horizon" if stamp is None else f"{stamp:%Y-%m-%d %H:%M} UTC"


def _capacity_headroom(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    start, end = _window(config, evidence)
    result = headroom_forecast(crit_id, config, evidence)
    sources = (config.source,) if config.source else ()
    if result.forecast is None or result.crossing is None:
        return no_data(
            criterion,
            f"no forecast: {result.reason}",
            window_start=start,
            window_end=end,
            sources=sources,
        )
    c, s, fc = result.crossing, result.settings, result.forecast
    detail = (
        f"headroom at the {s.horizon} horizon = (limit {s.limit:g} − forecast peak"
        f" {fc.mean.max():,.4g}) / limit; now {c.headroom_now_ratio:.1%};"
        f" model {fc.model}; limit reached {_when(c.median_at)} (median),"
        f" earliest {_when(c.earliest_at)}; P(above limit at horizon)"
        f" {c.exceed_probability:.0%}"
    )
    if fc.intervals_widened:
        detail += "; intervals widened after backtest"
    elif fc.intervals_narrowed:
        detail += "; intervals narrowed after backtest"
    return evaluate_value(
        criterion,
        c.headroom_at_horizon_ratio * 100,
        window_start=start,
        window_end=end,
        evidence_count=len(fc.history),
        detail=detail,
        sources=sources,
    )


CAPACITY_EVALUATORS: dict[str, Evaluator] = {
    "throughput": _throughput,
    "capacity_headroom": _capacity_headroom,
}
"""Evaluators by criterion kind: ``throughput`` and ``capacity_headroom``."""
