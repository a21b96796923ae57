"""Evaluators for the adoption criteria of the launch plan.

Kinds and what they measure (evidence window ``[as_of - lookback, as_of)``):

=======================  =============================================================
``adoption``             % of licensed users active: distinct users with an event in
                         the window / licence count in force at ``as_of``
                         (``params.mode: mau``, the default, with ``lookback: 30d``);
                         or % active in the first ``params.days`` (default 7) after
                         ``params.go_live`` (``params.mode: first_week``)
``feature_utilisation``  % of the configured features (``params.features``) used at
                         least once in the window (``lookback: 7d`` = weekly)
``time_to_first_value``  days from a user's first ``params.start_event`` (default
                         ``onboarding``) to their first ``params.value_event``
                         (default ``insight``), for users who started in the window;
                         ``params.statistic``: ``median`` (default), ``mean``, ``p90``
=======================  =============================================================

The ``params`` defaults above are those of
:data:`~analytics.criterion_params.CRITERION_PARAMS`, where the accepted keys
are listed too (others are refused when the config is loaded).

Each evaluator is a pure function of the criterion's config, the *activity*
and *licences* loads (``LoadResult`` or None) and the decision time; events at
or after ``as_of`` are not yet known. A criterion is NO DATA, with the reason,
when a source is missing, the window has fewer than ``min_events`` events (a
silent feed is not 0 % adoption), the activity data start too late to cover
``min_coverage`` of the window, no licence count is in force, or a
first-week window has not ended yet.

Time to first value treats users still waiting like the resolution criteria
treat open tickets: a user waiting longer than the target is already a miss
and counts with the waiting time so far (a lower bound); a user waiting less
is undecided and left out (the detail says how many).

Wiring (the ``Evidence`` object has no activity or licence source yet)::

    # analytics/evaluate.py, once Evidence has `activity` and `licences`
    # (LoadResult | None, read with analytics.sources.activity):
    from analytics.evaluators_adoption import evidence_evaluators

    EVALUATORS.update(
        evidence_evaluators(lambda ev: ev.activity, lambda ev: ev.licences)
    )

:func:`evidence_evaluators` adapts the pure functions to the
``(crit_id, config, evidence)`` evaluator signature and passes
``evidence.as_of`` and ``evidence.config.min_coverage``. Config sources to add:
``activity`` (``format``: ``activity_csv``, ``activity_parquet`` or
``access_log``, plus the readers' options) and ``licences`` (CSV).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np
import pandas as pd

from analytics.config import CriterionConfig
from analytics.criterion_params import param
from analytics.errors import ConfigError
from analytics.frames import LoadResult
from analytics.metrics.adoption import (
    WindowAdoption,
    adoption_in_window,
    feature_utilisation,
    first_week_adoption,
    time_to_first_value,
    user_ids_differing_in_case,
)
from analytics.readiness import Criterion, CriterionResult, evaluate_value, no_data

if TYPE_CHECKING:
    from analytics.evidence import Evidence

__all__ = [
    "ADOPTION_EVALUATORS",
    "ADOPTION_KINDS",
    "AdoptionEvaluator",
    "evaluate_adoption",
    "evaluate_feature_utilisation",
    "evaluate_time_to_first_value",
    "evidence_evaluators",
]

ADOPTION_KINDS: Final = ("adoption", "feature_utilisation", "time_to_first_value")
"""Criterion kinds measured by this module."""

_DEFAULT_MIN_COVERAGE: Final = 0.9
_STATISTICS: Final = ("median", "mean", "p90")


class AdoptionEvaluator(Protocol):
    """Signature shared by the evaluators of this module."""

    def __call__(
        self,
        config: CriterionConfig,
        activity: LoadResult | None,
        licences: LoadResult | None,
        as_of: str | pd.Timestamp,
        *,
        criterion_id: str | None = None,
        min_coverage: float | None = None,
    ) -> CriterionResult: ...


# --- adoption -------------------------------------------------------------------------


def evaluate_adoption(
    config: CriterionConfig,
    activity: LoadResult | None,
    licences: LoadResult | None,
    as_of: str | pd.Timestamp,
    *,
    criterion_id: str | None = None,
    min_coverage: float | None = None,
) -> CriterionResult:
    """Adoption: % of licensed users active in the window, or in the first week.

    Parameters
    ----------
    config
        The criterion's config; ``params.mode`` is ``"mau"`` (default) or
        ``"first_week"`` (needs ``params.go_live``; ``params.days`` default 7).
    activity, licences
        Activity and licences loads, or None when not configured.
    as_of
        Decision time (naive = UTC).
    criterion_id
        Id shown in the report (default: the kind).
    min_coverage
        Share of the window the activity data must cover (default: the
        criterion's ``min_coverage``, else 0.9).

    Returns
    -------
    CriterionResult
        Value in % of licensed users.

    Examples
    --------
    >>> from analytics.frames import LoadResult, empty_rejected
    >>> events = pd.DataFrame({"user_id": ["a", "b", "c"], "feature": ["x"] * 3,
    ...     "timestamp": pd.to_datetime(["2026-02-20 10:00", "2026-03-20 10:00",
    ...                                  "2026-03-25 10:00"], utc=True)})
    >>> seats = pd.DataFrame({"date": pd.to_datetime(["2026-01-01"], utc=True),
    ...                       "licensed_users": [3]})
    >>> load = lambda f, k: LoadResult(f, empty_rejected(), f"{k}.csv", k, len(f), len(f))
    >>> config = CriterionConfig(title="Adoption", kind="adoption", unit="%",
    ...                          target=90, alert=70, lookback="30d")
    >>> r = evaluate_adoption(config, load(events, "activity"), load(seats, "licences"),
    ...                       "2026-03-31")
    >>> r.status.value, round(r.value, 1)
    ('FAIL', 66.7)
    """
    criterion = _criterion(criterion_id, config)
    mode = param(config.kind, config.params, "mode")
    if mode not in ("mau", "first_week"):
        raise ConfigError(
            f"criterion {criterion.criterion_id!r}: params.mode is {mode!r};"
            " use 'mau' or 'first_week'"
        )
    end = _utc(as_of)
    missing = _missing_sources(criterion, activity, licences, end, config)
    if missing is not None:
        return missing
    assert activity is not None and licences is not None  # checked just above

    if mode == "first_week":
        return _first_week(criterion, config, activity, licences, end)
    start = end - config.lookback_timedelta
    summary = adoption_in_window(
        activity.frame, licences.frame, window_start=start, window_end=end
    )
    sources = _sources(activity, licences)
    if summary.events < config.min_events:
        return _too_few(criterion, summary.events, config, start, end, sources)
    if not summary.licensed_users:
        return no_data(
            criterion,
            f"no licence count above 0 is in force at {end:%Y-%m-%d %H:%M} UTC",
            window_start=start,
            window_end=end,
            sources=sources,
        )
    if summary.exceeds_licences:
        return _more_users_than_licences(criterion, summary, activity, sources)
    detail = (
        f"{summary.active_users:,} distinct users with an event in the window"
        f" / {summary.licensed_users:,} licensed users in force at its end"
        f" ({summary.events:,} events)"
    )
    return evaluate_value(
        criterion,
        summary.adoption_ratio * 100,
        window_start=start,
        window_end=end,
        coverage_ratio=_coverage(activity, start, end),
        min_coverage=_min_coverage(config, min_coverage),
        evidence_count=summary.events,
        detail=detail,
        sources=sources,
    )


def _first_week(
    criterion: Criterion,
    config: CriterionConfig,
    activity: LoadResult,
    licences: LoadResult,
    as_of: pd.Timestamp,
) -> CriterionResult:
    go_live_text = param(config.kind, config.params, "go_live")
    if not go_live_text:
        return no_data(
            criterion,
            "criterion needs params.go_live (the go-live time) for mode first_week",
        )
    go_live = _utc(go_live_text)
    days = int(param(config.kind, config.params, "days"))
    week_end = go_live + pd.Timedelta(days=days)
    sources = _sources(activity, licences)
    if as_of <= go_live:
        return no_data(
            criterion,
            f"go-live {go_live:%Y-%m-%d %H:%M} UTC is not before the decision time",
            window_start=go_live,
            window_end=week_end,
            sources=sources,
        )

    summary = first_week_adoption(
        activity.frame, licences.frame, go_live=go_live, days=days, as_of=as_of
    )
    share = (
        f"{summary.adoption_ratio:.1%}"
        if math.isfinite(summary.adoption_ratio)
        else "unknown"
    )
    so_far = (
        f"{summary.active_users:,} users active so far"
        f" / {summary.licensed_users or 0:,} licensed = {share}"
    )
    if not summary.window_complete:
        return no_data(
            criterion,
            f"the first {days} days after go-live end at {week_end:%Y-%m-%d %H:%M} UTC,"
            f" after the decision time; {so_far}",
            window_start=go_live,
            window_end=week_end,
            sources=sources,
        )
    if summary.events < config.min_events:
        return _too_few(criterion, summary.events, config, go_live, week_end, sources)
    if not summary.licensed_users:
        return no_data(
            criterion,
            f"no licence count above 0 is in force at {week_end:%Y-%m-%d %H:%M} UTC",
            window_start=go_live,
            window_end=week_end,
            sources=sources,
        )
    if summary.exceeds_licences:
        return _more_users_than_licences(criterion, summary, activity, sources)
    detail = (
        f"{summary.active_users:,} distinct users with an event in the first {days}"
        f" days after go-live / {summary.licensed_users:,} licensed users in force at"
        f" the end of that period ({summary.events:,} events)"
    )
    return evaluate_value(
        criterion,
        summary.adoption_ratio * 100,
        window_start=go_live,
        window_end=week_end,
        evidence_count=summary.events,
        detail=detail,
        sources=sources,
    )


# --- feature utilisation --------------------------------------------------------------


def evaluate_feature_utilisation(
    config: CriterionConfig,
    activity: LoadResult | None,
    licences: LoadResult | None,
    as_of: str | pd.Timestamp,
    *,
    criterion_id: str | None = None,
    min_coverage: float | None = None,
) -> CriterionResult:
    """Feature utilisation: % of ``params.features`` used at least once in the window.

    ``licences`` is not used (accepted for a uniform signature).
    ``params.feature_column`` names the event's feature column (default
    ``feature``).

    Examples
    --------
    >>> from analytics.frames import LoadResult, empty_rejected
    >>> events = pd.DataFrame({"user_id": ["a", "a", "b"],
    ...     "feature": ["search", "search", "export"],
    ...     "timestamp": pd.to_datetime(["2026-03-01 10:00", "2026-03-25 10:00",
    ...                                  "2026-03-26 10:00"], utc=True)})
    >>> load = LoadResult(events, empty_rejected(), "events.csv", "activity", 3, 3)
    >>> config = CriterionConfig(title="Features", kind="feature_utilisation",
    ...     unit="%", target=80, alert=60, lookback="7d",
    ...     params={"features": ["search", "export", "share"]})
    >>> r = evaluate_feature_utilisation(config, load, None, "2026-03-28")
    >>> r.status.value, round(r.value, 1)
    ('WARN', 66.7)
    """
    criterion = _criterion(criterion_id, config)
    end = _utc(as_of)
    start = end - config.lookback_timedelta
    features = param(config.kind, config.params, "features")
    if not features:
        return no_data(
            criterion,
            "criterion needs params.features: the list of the product's features",
            window_start=start,
            window_end=end,
        )
    if activity is None:
        return no_data(
            criterion,
            "no activity source configured (usage events or an access log)",
            window_start=start,
            window_end=end,
        )

    usage = feature_utilisation(
        activity.frame,
        _names(features, criterion),
        window_start=start,
        window_end=end,
        feature_column=str(param(config.kind, config.params, "feature_column")),
    )
    sources = _sources(activity, None)
    if usage.events < config.min_events:
        return _too_few(criterion, usage.events, config, start, end, sources)
    unused = ", ".join(usage.unused[:10]) + (" …" if len(usage.unused) > 10 else "")
    detail = (
        f"{usage.features_used} of {usage.features_total} configured features used at"
        f" least once in the window ({usage.events:,} events)"
        + (f"; not used: {unused}" if usage.unused else "")
    )
    return evaluate_value(
        criterion,
        usage.utilisation_ratio * 100,
        window_start=start,
        window_end=end,
        coverage_ratio=_coverage(activity, start, end),
        min_coverage=_min_coverage(config, min_coverage),
        evidence_count=usage.events,
        detail=detail,
        sources=sources,
    )


# --- time to first value --------------------------------------------------------------


def evaluate_time_to_first_value(
    config: CriterionConfig,
    activity: LoadResult | None,
    licences: LoadResult | None,
    as_of: str | pd.Timestamp,
    *,
    criterion_id: str | None = None,
    min_coverage: float | None = None,
) -> CriterionResult:
    """Time to first value in days, for users whose start event is in the window.

    ``licences`` is not used (uniform signature). The target is read in days.
    An activity feed that starts inside the window covers only its later part:
    users who started before it are unseen and the slow ones have not yet
    decided, so the value would be biased low; below ``min_coverage`` it is
    NO DATA, as for adoption.

    Examples
    --------
    >>> from analytics.frames import LoadResult, empty_rejected
    >>> events = pd.DataFrame({"user_id": ["a", "a", "b", "b"],
    ...     "feature": ["onboarding", "insight", "onboarding", "insight"],
    ...     "timestamp": pd.to_datetime(["2026-03-01 00:00", "2026-03-11 00:00",
    ...                                  "2026-03-02 00:00", "2026-03-22 00:00"],
    ...                                 utc=True)})
    >>> load = LoadResult(events, empty_rejected(), "events.csv", "activity", 4, 4)
    >>> config = CriterionConfig(title="TTV", kind="time_to_first_value",
    ...     unit="days", op="<", target=30, alert=45, lookback="31d")
    >>> r = evaluate_time_to_first_value(config, load, None, "2026-04-01")
    >>> r.status.value, r.value, r.evidence_count
    ('PASS', 15.0, 2)
    >>> longer = config.model_copy(update={"lookback": "90d"})
    >>> evaluate_time_to_first_value(longer, load, None, "2026-04-01").status.value
    'NO DATA'
    """
    criterion = _criterion(criterion_id, config)
    end = _utc(as_of)
    start = end - config.lookback_timedelta
    statistic = str(param(config.kind, config.params, "statistic"))
    if statistic not in _STATISTICS:
        raise ConfigError(
            f"criterion {criterion.criterion_id!r}: params.statistic is {statistic!r};"
            f" use one of {', '.join(_STATISTICS)}"
        )
    if activity is None:
        return no_data(
            criterion,
            "no activity source configured (usage events with onboarding and value"
            " events)",
            window_start=start,
            window_end=end,
        )

    start_event = str(param(config.kind, config.params, "start_event"))
    value_event = str(param(config.kind, config.params, "value_event"))
    users = time_to_first_value(
        activity.frame,
        start_event=start_event,
        value_event=value_event,
        event_column=str(param(config.kind, config.params, "event_column")),
        as_of=end,
    )
    users = users[(users["started_at"] >= start) & (users["started_at"] < end)]
    reached = users["days_to_value"].dropna()
    waiting = users.loc[~users["reached"], "days_waiting"]
    late = waiting[waiting >= config.target]
    pending = len(waiting) - len(late)

    decided = pd.concat([reached, late]).to_numpy(dtype=float)
    sources = _sources(activity, None)
    if len(decided) < config.min_events:
        return no_data(
            criterion,
            f"{len(users)} users had their first '{start_event}' in the window;"
            f" {len(reached)} reached '{value_event}', {len(late)} waiting past"
            f" {config.target:g} days, {pending} still waiting less;"
            f" need {config.min_events} decided",
            window_start=start,
            window_end=end,
            sources=sources,
        )
    value = _statistic(decided, statistic)
    detail = (
        f"{statistic} days from first '{start_event}' to first '{value_event}' over"
        f" {len(decided)} users who started in the window: {len(reached)} reached it,"
        f" {len(late)} still waiting past {config.target:g} days counted at their"
        f" waiting time so far (a lower bound); {pending} still waiting less not counted;"
        f" median {np.median(decided):.1f} d, p90 {np.quantile(decided, 0.9):.1f} d"
    )
    return evaluate_value(
        criterion,
        value,
        window_start=start,
        window_end=end,
        coverage_ratio=_coverage(activity, start, end),
        min_coverage=_min_coverage(config, min_coverage),
        evidence_count=len(decided),
        detail=detail,
        sources=sources,
    )


ADOPTION_EVALUATORS: Final[dict[str, AdoptionEvaluator]] = {
    "adoption": evaluate_adoption,
    "feature_utilisation": evaluate_feature_utilisation,
    "time_to_first_value": evaluate_time_to_first_value,
}
"""Kind → pure evaluator ``(config, activity, licences, as_of, *, criterion_id,
min_coverage)``. Use :func:`evidence_evaluators` for the ``EVALUATORS`` table."""


def evidence_evaluators(
    activity_of: Callable[[Evidence], LoadResult | None],
    licences_of: Callable[[Evidence], LoadResult | None],
) -> dict[str, Callable[[str, CriterionConfig, Evidence], CriterionResult]]:
    """Adapt :data:`ADOPTION_EVALUATORS` to ``(crit_id, config, evidence)``.

    Parameters
    ----------
    activity_of, licences_of
        Where the evidence keeps the activity and licences loads, e.g.
        ``lambda ev: ev.activity``.

    Examples
    --------
    >>> table = evidence_evaluators(lambda ev: None, lambda ev: None)
    >>> sorted(table)
    ['adoption', 'feature_utilisation', 'time_to_first_value']
    """

    def adapt(
        evaluator: AdoptionEvaluator,
    ) -> Callable[[str, CriterionConfig, Evidence], CriterionResult]:
        def evaluate(
            crit_id: str, config: CriterionConfig, evidence: Evidence
        ) -> CriterionResult:
            activity, licences = activity_of(evidence), licences_of(evidence)
            result = evaluator(
                config,
                activity,
                licences,
                evidence.as_of,
                criterion_id=crit_id,
                min_coverage=(
                    config.min_coverage
                    if config.min_coverage is not None
                    else evidence.config.min_coverage
                ),
            )
            return _named_sources(result, activity, licences)

        return evaluate

    return {kind: adapt(evaluator) for kind, evaluator in ADOPTION_EVALUATORS.items()}


# --- helpers --------------------------------------------------------------------------


def _criterion(criterion_id: str | None, config: CriterionConfig) -> Criterion:
    # NOTE: the same mapping as analytics.evaluate.to_criterion; not imported from
    # there because evaluate.py will import this module (a cycle).
    return Criterion(
        criterion_id=criterion_id or config.kind,
        title=config.title,
        area=config.area,
        op=config.op,
        target=config.target,
        unit=config.unit,
        alert=config.alert,
        rollback=config.rollback,
        blocking=config.blocking,
    )


def _missing_sources(
    criterion: Criterion,
    activity: LoadResult | None,
    licences: LoadResult | None,
    as_of: pd.Timestamp,
    config: CriterionConfig,
) -> CriterionResult | None:
    start = as_of - config.lookback_timedelta
    if activity is None:
        return no_data(
            criterion,
            "no activity source configured (usage events or an access log)",
            window_start=start,
            window_end=as_of,
        )
    if licences is None:
        return no_data(
            criterion,
            "no licence counts configured: adoption is measured against licensed users",
            window_start=start,
            window_end=as_of,
        )
    return None


def _more_users_than_licences(
    criterion: Criterion,
    summary: WindowAdoption,
    activity: LoadResult,
    sources: tuple[str, ...],
) -> CriterionResult:
    """NO DATA: more distinct active users than licences cannot be real adoption."""
    start, end = summary.window_start, summary.window_end
    variants = user_ids_differing_in_case(
        activity.frame, window_start=start, window_end=end
    )
    hint = ""
    if variants:
        shown = "; ".join(" / ".join(repr(u) for u in g) for g in variants[:3])
        more = f" and {len(variants) - 3} more" if len(variants) > 3 else ""
        hint = (
            f"; {len(variants)} id(s) differ only in case ({shown}{more}), which"
            " count as different users"
        )
    return no_data(
        criterion,
        f"{summary.active_users:,} distinct active users in the window but only"
        f" {summary.licensed_users:,} licensed users in force at"
        f" {end:%Y-%m-%d %H:%M} UTC ({summary.adoption_ratio:.0%}): more users than"
        f" licences is a data problem, not adoption{hint}. Fix the licence file"
        " (a count that is out of date or too low) or the user ids in the activity"
        " export (one person under several ids)",
        window_start=start,
        window_end=end,
        sources=sources,
    )


def _too_few(
    criterion: Criterion,
    events: int,
    config: CriterionConfig,
    start: pd.Timestamp,
    end: pd.Timestamp,
    sources: tuple[str, ...],
) -> CriterionResult:
    return no_data(
        criterion,
        f"{events} events in the window, need {config.min_events}: a silent feed is"
        " unknown, not zero use",
        window_start=start,
        window_end=end,
        sources=sources,
    )


def _coverage(activity: LoadResult, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Share of the window after the first event of the data (data before it unknown)."""
    first, _ = activity.time_range("timestamp")
    if first is None:
        return 0.0
    covered = end - max(start, first)
    return float(min(1.0, max(0.0, covered / (end - start))))


def _min_coverage(config: CriterionConfig, given: float | None) -> float:
    if given is not None:
        return given
    if config.min_coverage is not None:
        return config.min_coverage
    return _DEFAULT_MIN_COVERAGE


def _named_sources(
    result: CriterionResult, activity: LoadResult | None, licences: LoadResult | None
) -> CriterionResult:
    """``result`` naming its sources as the evidence does (``activity``, ``licences``).

    The pure evaluators name the files; the evidence's guards (stale or mostly
    rejected sources, see :func:`analytics.evaluate.unfit_sources`) look sources
    up by their evidence name, so with file names they would never apply.
    """
    files = [
        (name, Path(load.source_file).name)
        for name, load in (("activity", activity), ("licences", licences))
        if load is not None
    ]
    named: list[str] = []
    for source in result.sources:
        match = [n for n, file in files if file == source and n not in named]
        named.append(match[0] if match else source)
    return replace(result, sources=tuple(named))


def _sources(
    activity: LoadResult | None, licences: LoadResult | None
) -> tuple[str, ...]:
    return tuple(
        Path(r.source_file).name for r in (activity, licences) if r is not None
    )


def _names(features: Any, criterion: Criterion) -> Sequence[str]:
    if isinstance(features, str) or not isinstance(features, list | tuple):
        raise ConfigError(
            f"criterion {criterion.criterion_id!r}: params.features must be a list"
            f" of feature names, got {features!r}"
        )
    return [str(f) for f in features]


def _statistic(values: np.ndarray[Any, Any], statistic: str) -> float:
    if statistic == "mean":
        return float(np.mean(values))
    if statistic == "p90":
        return float(np.quantile(values, 0.9))
    return float(np.median(values))


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
