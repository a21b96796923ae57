"""Evaluate readiness criteria against gathered evidence.

One evaluator per criterion ``kind``. Each evaluator takes the evidence window
``[as_of - lookback, as_of)``, calls a metric function from
``analytics.metrics`` and hands the value to :func:`readiness.evaluate_value`.
A kind with no evaluator yet, or with no configured source, is NO DATA with
the reason spelled out: no evidence, no GO.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from analytics.checklist import checklist_criteria
from analytics.config import CriterionConfig, parse_duration
from analytics.evaluators_adoption import evidence_evaluators
from analytics.evaluators_capacity import CAPACITY_EVALUATORS
from analytics.evaluators_slo import (
    SLO_EVALUATORS,
    counter_frames,
    counter_problem,
    evidence_window,
    no_traffic_reason,
    partial_sources,
    unmeasured_reason,
)
from analytics.evaluators_support import (
    SUPPORT_EVALUATORS,
    ticket_list,
    unknown_share_problem,
    unproven_mean,
)
from analytics.evidence import Evidence
from analytics.metrics.resolution import TimeToResolve, mean_time_to_resolve
from analytics.metrics.slo import (
    availability_from_counters,
    availability_from_error_counters,
    availability_from_up,
)
from analytics.readiness import (
    Criterion,
    CriterionResult,
    Status,
    evaluate_value,
    no_data,
)
from analytics.sources.servicenow import AFTER_DECISION

__all__ = [
    "EVALUATORS",
    "degraded_sources",
    "distrust_unfit_sources",
    "evaluate_criteria",
    "newest_record",
    "stale_sources",
    "to_criterion",
    "unfit_sources",
    "window_rejections",
]

Evaluator = Callable[[str, CriterionConfig, Evidence], CriterionResult]


def to_criterion(criterion_id: str, config: CriterionConfig) -> Criterion:
    """The comparison part of a criterion's config."""
    return Criterion(
        criterion_id=criterion_id,
        title=config.title,
        area=config.area,
        op=config.op,
        target=config.target,
        unit=config.unit,
        alert=config.alert,
        rollback=config.rollback,
        blocking=config.blocking,
    )


def _window(
    config: CriterionConfig, evidence: Evidence
) -> tuple[pd.Timestamp, pd.Timestamp]:
    # Rolling lookback, or the last complete calendar period when ``calendar`` is set.
    return evidence_window(config, evidence.as_of)


def _availability(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = to_criterion(crit_id, config)
    start, end = _window(config, evidence)
    min_coverage = (
        config.min_coverage
        if config.min_coverage is not None
        else evidence.config.min_coverage
    )
    wanted = [n for n in (config.source, config.good_source, config.total_source) if n]
    down = [
        f"{n}: {evidence.unavailable[n]}" for n in wanted if n in evidence.unavailable
    ]
    if down:
        return no_data(
            criterion,
            "source unavailable during this run; " + "; ".join(down),
            window_start=start,
            window_end=end,
            sources=tuple(wanted),
        )
    partial = partial_sources(wanted, evidence)
    if partial:  # partial data blocks GO
        return no_data(
            criterion,
            "partial data blocks GO; " + "; ".join(partial),
            window_start=start,
            window_end=end,
            sources=tuple(wanted),
        )
    if config.counters is not None:
        part, total, numerator_is_bad = config.counters
        names: tuple[str, ...] = (part, total)
        problem = counter_problem(config, evidence)
        if problem:
            return no_data(
                criterion, problem, window_start=start, window_end=end, sources=names
            )
        count = (
            availability_from_error_counters
            if numerator_is_bad
            else availability_from_counters
        )
        result = count(
            *counter_frames(config, evidence),
            window_start=start,
            window_end=end,
            target=config.target / 100,
        )
    elif config.source:
        names = (config.source,)
        result = availability_from_up(
            evidence.metrics[config.source].frame,
            window_start=start,
            window_end=end,
            target=config.target / 100,
            selector=config.selector or None,
        )
    else:
        return no_data(
            criterion,
            "no metric source configured: set criteria.availability.source (an up-style"
            " series), or total_source with good_source or source (counters)",
            window_start=start,
            window_end=end,
        )

    if result.sli is None or result.valid < config.min_events:
        return no_data(
            criterion,
            no_traffic_reason(result, config.min_events)
            if config.counters is not None
            else unmeasured_reason(result)
            or f"no samples in the evidence window ({result.method})",
            window_start=start,
            window_end=end,
            coverage_ratio=result.coverage_ratio,
            sources=names,
        )
    # Judged on the pessimistic bound: time without data counts as down.
    lower = result.sli_lower_bound if result.sli_lower_bound is not None else result.sli
    # The budget quoted is that of the judged (pessimistic) value, as in the SLO table.
    remaining = (
        result.budget_remaining_ratio_lower
        if result.budget_remaining_ratio_lower is not None
        else result.budget_remaining_ratio
    )
    detail = (
        f"{result.method}; {result.sli:.4%} over the {result.coverage_ratio:.1%} of the"
        f" window with data, {lower:.4%} when time without data counts as down (judged);"
        f" error budget remaining {remaining:.1%}"
        f" of {result.error_budget_seconds / 60:.1f} min when judged so"
    )
    return evaluate_value(
        criterion,
        lower * 100,
        window_start=start,
        window_end=end,
        coverage_ratio=result.coverage_ratio,
        min_coverage=min_coverage,
        evidence_count=int(result.valid),
        detail=detail,
        sources=names,
    )


def _ticket_sources(config: CriterionConfig, evidence: Evidence) -> tuple[str, ...]:
    return (config.source,) if config.source else tuple(evidence.tickets)


def _tickets(config: CriterionConfig, evidence: Evidence) -> pd.DataFrame:
    names = _ticket_sources(config, evidence)
    frames = [evidence.tickets[n].frame for n in names]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _mttr(crit_id: str, config: CriterionConfig, evidence: Evidence) -> CriterionResult:
    criterion = to_criterion(crit_id, config)
    start, end = _window(config, evidence)
    if not evidence.tickets:
        return no_data(
            criterion, "no ticket source configured", window_start=start, window_end=end
        )
    summary = mean_time_to_resolve(
        _tickets(config, evidence),
        priorities=tuple(config.priorities),
        as_of=end,
        window_start=start,
        # An open ticket older than the target has missed it whatever happens
        # next: it counts with its age so far instead of leaving the figure.
        open_past_seconds=config.target * 60,
    )
    sources = _ticket_sources(config, evidence)
    scope = "/".join(config.priorities)
    left_out = _mttr_left_out(summary)
    if summary.count < config.min_events:
        return no_data(
            criterion,
            f"{summary.count} resolved (or open past the target) {scope} tickets"
            f" opened in the window; need"
            f" {config.min_events} (min_events); {left_out}",
            window_start=start,
            window_end=end,
            sources=sources,
        )
    mean = f"{summary.mean_seconds / 60:,.0f} min"
    problem = unknown_share_problem(
        len(summary.unknown_ids),
        summary.count + len(summary.unknown_ids),
        evidence.config.max_rejected_ratio,
        f"ended {scope}",
    )
    if problem:
        return no_data(
            criterion,
            f"MTTR not judged: {problem}; the {summary.count} measured ones give a"
            f" mean of {mean}; {left_out}",
            window_start=start,
            window_end=end,
            sources=sources,
        )
    counted = f"{summary.count} resolved {scope} tickets"
    if summary.open_late_ids:
        resolved = summary.count - len(summary.open_late_ids)
        counted = (
            f"{resolved} resolved and {len(summary.open_late_ids)} still open past the"
            f" target at the decision time ({ticket_list(summary.open_late_ids)}),"
            f" counted with their age so far (a lower bound; the judged figure is"
            f" never below the resolved tickets' own mean,"
            f" {summary.resolved_mean_seconds / 60:,.0f} min), {scope} tickets"
        )
    detail = (
        f"mean of opened → final resolved_at (wall clock) over {counted}; median"
        f" {(summary.median_seconds or 0) / 60:,.0f} min, p90 {(summary.p90_seconds or 0) / 60:,.0f} min;"
        f" {left_out}"
    )
    value = summary.mean_seconds / 60
    if summary.open_late_ids and not math.isnan(summary.resolved_mean_seconds):
        # The open tickets' final times are longer than their age so far, so
        # counting them must not bring the figure below the resolved ones' own.
        value = max(value, summary.resolved_mean_seconds / 60)
    result = evaluate_value(
        criterion,
        value,
        window_start=start,
        window_end=end,
        evidence_count=summary.count,
        detail=detail,
        sources=sources,
    )
    return unproven_mean(
        result,
        "mean",
        len(summary.open_late_ids),
        "still open (not resolved)",
        "judge once they are resolved",
    )


def _mttr_left_out(summary: TimeToResolve) -> str:
    """Name the tickets of the window that MTTR leaves out, and why."""
    parts = []
    if summary.unknown_ids:
        parts.append(
            f"{len(summary.unknown_ids)} ended without resolved_at, time unknown"
            f" ({ticket_list(summary.unknown_ids)})"
        )
    if summary.open_ids:
        parts.append(
            f"{len(summary.open_ids)} not resolved by the decision time and still"
            f" within the target ({ticket_list(summary.open_ids)})"
        )
    if summary.cancelled_ids:
        parts.append(
            f"{len(summary.cancelled_ids)} cancelled"
            f" ({ticket_list(summary.cancelled_ids)})"
        )
    if not parts:
        return "no ticket of the window left out"
    return "left out: " + "; ".join(parts)


EVALUATORS: dict[str, Evaluator] = {
    "availability": _availability,
    "mttr": _mttr,
    **CAPACITY_EVALUATORS,
    **SUPPORT_EVALUATORS,
    **SLO_EVALUATORS,
    **evidence_evaluators(lambda ev: ev.activity, lambda ev: ev.licences),
}
"""Criterion kinds this version can measure. Others evaluate to NO DATA."""


def evaluate_criteria(evidence: Evidence) -> tuple[list[CriterionResult], list[str]]:
    """Evaluate every enabled criterion, then the checklist items.

    Returns
    -------
    results
        Criterion results in config order, checklist items last.
    excluded
        Ids of criteria switched off with ``enabled: false`` (shown in the report).
    """
    results: list[CriterionResult] = []
    excluded: list[str] = []
    for crit_id, config in evidence.config.criteria.items():
        if not config.enabled:
            excluded.append(crit_id)
            continue
        evaluator = EVALUATORS.get(config.kind)
        if evaluator is None:
            start, end = _window(config, evidence)
            # latency_p95, error_rate and auth_success live in evaluators_slo (issue 3);
            # a kind without an evaluator (e.g. a typo) is honestly NO DATA.
            results.append(
                no_data(
                    to_criterion(crit_id, config),
                    f"not measured: this version has no evaluator for '{config.kind}'"
                    " evidence; mark it non-blocking or disable it only if the launch"
                    " plan allows",
                    window_start=start,
                    window_end=end,
                )
            )
            continue
        results.append(evaluator(crit_id, config, evidence))

    if evidence.checklist is not None and evidence.config.checklist is not None:
        results.extend(
            checklist_criteria(
                evidence.checklist.frame,
                as_of=evidence.as_of,
                max_age_days=evidence.config.checklist.max_age_days,
            )
        )
        results.extend(_unreadable_checklist_items(evidence))
    unfit = unfit_sources(evidence)
    return [_distrust(r, unfit, evidence) for r in results], excluded


def distrust_unfit_sources(
    result: CriterionResult, evidence: Evidence
) -> CriterionResult:
    """NO DATA when a source behind ``result`` is degraded or stale (see :func:`unfit_sources`),
    or too many rows of its own evidence window were rejected (see :func:`window_rejections`).

    A result that is already NO DATA keeps its status and gains the reason,
    so that the cause of an empty measurement is not hidden.
    """
    return _distrust(result, unfit_sources(evidence), evidence)


def unfit_sources(evidence: Evidence) -> dict[str, str]:
    """Sources whose rows are not evidence: too many rejected, or stale; with the reasons."""
    unfit = degraded_sources(evidence)
    for name, reason in stale_sources(evidence).items():
        unfit[name] = f"{unfit[name]}; {reason}" if name in unfit else reason
    return unfit


def degraded_sources(evidence: Evidence) -> dict[str, str]:
    """Sources whose rejected share exceeds ``max_rejected_ratio``, with the reason.

    When many rows of a file cannot be used, what remains is a biased sample
    (for example only the dates that happened to parse), so a value measured
    on it is not evidence. Event-log rows set aside only because they were
    updated after the decision time are sound rows and count on neither side.
    """
    limit = evidence.config.max_rejected_ratio
    degraded = {}
    for name, load in evidence.loads():
        # Rows updated after the decision time are sound, only not known then.
        later = load.rows_set_aside
        bad, considered = load.rows_rejected - later, load.rows_in - later
        if considered and bad / considered > limit:
            degraded[name] = (
                f"{bad:,} of {considered:,} rows of source '{name}'"
                f" ({bad / considered:.0%}) were rejected, more than the"
                f" allowed {limit:.0%} (max_rejected_ratio); see rejected_rows.csv"
            )
    return degraded


def stale_sources(evidence: Evidence) -> dict[str, str]:
    """Ticket, survey and activity sources that end too long before the decision time.

    A source's newest record is the latest time in any of its time columns
    (created, updated, resolved, answered, ...) at or before the decision
    time. Records dated later do not count: the decision only reads up to
    ``as_of``, a single later date cannot be checked against anything, and a
    date after the run's wall clock (``evidence.read_at``) cannot exist at
    all — one mistyped year (2036 for 2026) would otherwise vouch for a whole
    export. When the newest record is more than ``max_data_age`` before
    that horizon — the decision time, or the run's wall clock when it is
    earlier — or the source holds no record up to then, nothing shows that it
    covers the evidence window: an old export would report "no incident" or a
    good CSAT for days it never saw.

    Age is measured at the horizon, not at ``as_of``: a decision time after
    the clock (an interim post-launch review, whose window ends in the
    future) cannot ask for records newer than now, so an export made today
    is fresh. Whether a window that is not over yet holds enough evidence is
    the criterion's own question (see
    :func:`analytics.report.post_launch.distrust_unfinished_window`). For the
    go / no-go report ``as_of`` is at most the clock skew after now, so the
    horizon is ``as_of`` itself.
    """
    limit = parse_duration(evidence.config.max_data_age)
    horizon = min(evidence.as_of, evidence.read_at)
    cutoff = horizon - limit
    measured_at = (
        f"{horizon:%Y-%m-%d %H:%M} UTC"
        if horizon == evidence.as_of
        else f"this run's clock ({horizon:%Y-%m-%d %H:%M} UTC; the decision time"
        f" {evidence.as_of:%Y-%m-%d %H:%M} UTC is later)"
    )
    timed = [*evidence.tickets.items(), *evidence.surveys.items()]
    if evidence.activity is not None:
        timed.append(("activity", evidence.activity))
    stale = {}
    for name, load in timed:
        newest = newest_record(load.frame, not_after=horizon)
        if newest is None:
            stale[name] = (
                f"source '{name}' holds no usable record up to"
                f" {horizon:%Y-%m-%d %H:%M} UTC, so it cannot show that it covers the"
                " evidence window"
            )
        elif newest < cutoff:
            stale[name] = (
                f"source '{name}' ends at {newest:%Y-%m-%d %H:%M} UTC,"
                f" {_days(horizon - newest)} before {measured_at} (more than max_data_age"
                f" {evidence.config.max_data_age}): export it again, or raise"
                " max_data_age if the service was really that quiet"
            )
        else:
            continue
        later = _later_records_note(load.frame, horizon, evidence.read_at)
        if later:
            stale[name] += f"; {later}"
    return stale


def newest_record(
    frame: pd.DataFrame, *, not_after: pd.Timestamp | None = None
) -> pd.Timestamp | None:
    """Latest value of any tz-aware time column of ``frame``; None when there is none.

    With ``not_after``, values later than it are left out (see
    :func:`stale_sources` for why a later date does not show freshness).

    >>> t = pd.Timestamp("2026-03-01 10:00", tz="UTC")
    >>> later = pd.Timestamp("2036-03-01 10:00", tz="UTC")
    >>> frame = pd.DataFrame({"created_at": [t], "resolved_at": [later]})
    >>> newest_record(frame)
    Timestamp('2036-03-01 10:00:00+0000', tz='UTC')
    >>> newest_record(frame, not_after=pd.Timestamp("2026-05-15", tz="UTC"))
    Timestamp('2026-03-01 10:00:00+0000', tz='UTC')
    """
    latest = []
    for column in _time_columns(frame):
        values = frame[column]
        if not_after is not None:
            values = values[values <= not_after]
        latest.append(values.max())
    known = [t for t in latest if not pd.isna(t)]
    return max(known) if known else None


def _time_columns(frame: pd.DataFrame) -> list[str]:
    return [
        str(column)
        for column in frame.columns
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype)
    ]


def _later_records_note(
    frame: pd.DataFrame, horizon: pd.Timestamp, read_at: pd.Timestamp
) -> str:
    """Say how many records carry a time after ``horizon`` and so were not counted."""
    columns = _time_columns(frame)
    if not columns:
        return ""
    times = frame[columns]
    later = (times > horizon).any(axis=1)
    if not later.any():
        return ""
    latest = times[later].max().max()
    impossible = int((times > read_at).any(axis=1).sum())
    note = (
        f"{int(later.sum()):,} record(s) dated after {horizon:%Y-%m-%d %H:%M} UTC"
        f" (latest {latest:%Y-%m-%d %H:%M} UTC) do not count toward freshness"
    )
    if impossible:
        note += (
            f", {impossible:,} of them later than this run's clock"
            f" ({read_at:%Y-%m-%d %H:%M} UTC), which cannot be right: check those"
            " dates in the export"
        )
    return note


def _days(span: pd.Timedelta) -> str:
    days = span / pd.Timedelta(days=1)
    return f"{days:.1f} days" if days < 10 else f"{days:.0f} days"


def window_rejections(
    result: CriterionResult, evidence: Evidence
) -> tuple[list[str], list[str]]:
    """Rejected rows inside ``result``'s evidence window: (blocking reasons, notes).

    A file's overall rejected share can be small while the rows of one
    criterion's window are mostly rejected (one unreadable score among nine
    answers of the window): the value measured on the rest is then a biased
    sample. Per source behind ``result``, rejected rows whose own time
    (:data:`~analytics.frames.ROW_TIME`) falls in ``[window_start,
    window_end)`` are compared with the used rows of that window; a share
    above ``max_rejected_ratio`` is a reason for NO DATA, a smaller non-zero
    one a note for the detail. Rows set aside only because they were updated
    after the decision time are sound and count on neither side; rejected
    rows of unknown time count only in :func:`degraded_sources`.

    Examples
    --------
    >>> from analytics.config import ReadinessConfig
    >>> from analytics.frames import LoadResult
    >>> from analytics.readiness import Criterion, evaluate_value
    >>> t = pd.Timestamp("2026-03-01", tz="UTC")
    >>> times = pd.Series([t] * 9, index=range(2, 11))
    >>> rejected = pd.DataFrame({"source_file": "csat.csv", "row_number": [2, 3],
    ...     "reason_code": "unparseable_number"})
    >>> load = LoadResult(pd.DataFrame(), rejected, "csat.csv", "survey", 9, 7,
    ...     row_times=times)
    >>> evidence = Evidence(ReadinessConfig(criteria={}), as_of=t + pd.Timedelta("1D"))
    >>> evidence.surveys["csat"] = load
    >>> criterion = Criterion("csat", "CSAT", "support", ">", 4.5)
    >>> result = evaluate_value(criterion, 4.6, window_start=t - pd.Timedelta("7D"),
    ...     window_end=t + pd.Timedelta("1D"), sources=("csat",))
    >>> blocking, notes = window_rejections(result, evidence)
    >>> print(blocking[0].split(", more")[0])
    2 of 9 rows of source 'csat' in this criterion's evidence window (22%) were rejected
    """
    start, end = result.window_start, result.window_end
    if start is None or end is None:
        return [], []
    limit = evidence.config.max_rejected_ratio
    loads = dict(evidence.loads())
    blocking, notes = [], []
    for name in result.sources:
        counts = (
            loads[name].window_rows(start, end, set_aside=(AFTER_DECISION,))
            if name in loads
            else None
        )
        if counts is None or counts[1] == 0:
            continue
        used, rejected = counts
        share = rejected / (used + rejected)
        text = (
            f"{rejected:,} of {used + rejected:,} rows of source '{name}' in this"
            f" criterion's evidence window ({share:.0%}) were rejected"
        )
        if share > limit:
            blocking.append(
                f"{text}, more than the allowed {limit:.0%} (max_rejected_ratio), so"
                " the rest is a biased sample; see rejected_rows.csv"
            )
        else:
            notes.append(
                f"{text}, within max_rejected_ratio {limit:.0%}; see rejected_rows.csv"
            )
    return blocking, notes


def _distrust(
    result: CriterionResult, degraded: dict[str, str], evidence: Evidence
) -> CriterionResult:
    biased, notes = window_rejections(result, evidence)
    reasons = [degraded[s] for s in result.sources if s in degraded] + biased
    if not reasons:
        if not notes:
            return result
        return replace(result, detail="; ".join([result.detail, *notes]))
    if result.status is Status.NO_DATA:
        return replace(result, detail="; ".join([result.detail, *reasons, *notes]))
    measured = (
        "" if result.value is None else f" (measured {result.value:g} on the rest)"
    )
    return no_data(
        result.criterion,
        "; ".join([*reasons, *notes]) + measured,
        window_start=result.window_start,
        window_end=result.window_end,
        coverage_ratio=result.coverage_ratio,
        sources=result.sources,
    )


def _unreadable_checklist_items(evidence: Evidence) -> list[CriterionResult]:
    """A checklist row that could not be read is an item without evidence, not no item."""
    assert evidence.checklist is not None
    rejected = evidence.checklist.rejected
    results = []
    for row_number, rows in rejected.groupby("row_number", sort=True):
        problems = "; ".join(
            f"{c} {v!r}: {m}"
            for c, v, m in rows[["column", "value", "message"]].itertuples(index=False)
        )
        criterion = Criterion(
            criterion_id=f"checklist:{row_number}",
            title=f"Checklist row {row_number} (unreadable)",
            area="checklist",
            op=">=",
            target=1.0,
            target_label="a readable checklist item",
        )
        results.append(no_data(criterion, problems, sources=("checklist",)))
    return results
