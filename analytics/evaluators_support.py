"""Evaluators for the operations and support criteria of the launch plan.

Kinds and what they measure (evidence window ``[as_of - lookback, as_of)``):

=====================  ===============================================================
``mttd``               minutes from ``impact_started_at`` to ``detected_at``
``incident_response``  minutes from ``created_at`` to the earliest of
                       ``acknowledged_at`` and ``first_response_at``
``first_response``     minutes from ``created_at`` to ``first_response_at``;
                       for both response clocks, a ticket still unanswered
                       past the target at the window's end counts with its
                       wait so far, younger ones are pending, and tickets
                       that ended unanswered are unknown (NO DATA above
                       ``max_rejected_ratio``); see ``_unanswered``
``resolution_within``  % of the ``priority``'s tickets resolved within
``_target``            ``target_hours`` (final resolution); open tickets past
                       the target count as missed, younger ones are pending;
                       cancelled tickets are left out; tickets that ended
                       without a resolution time count as missed, and more
                       of them than ``max_rejected_ratio`` of the decided
                       tickets make it NO DATA
``csat``               mean of 1–5 CSAT scores (survey answers; the tickets'
                       ``csat_score`` only when no survey source exists)
``escalation_rate``    % of tickets escalated, of those whose escalation is known
=====================  ===============================================================

Tickets come from ``config.source`` or, when it is not set, from every ticket
source. A ticket counts when it was created in the window. Timestamps at or
after ``as_of`` are not yet known at the decision time and are treated as
missing (point in time), so a response that came later does not count.
Durations are wall clock (every hour counts, on-hold time included), unless a
``first_response`` or ``resolution_within_target`` criterion sets
``business_hours``: then only the working hours of that schedule count (its
zone, weekdays and holidays; DST-correct), and the detail names the clock.
On the wall clock on-hold time is not taken off. On a business-hours clock the
on-hold time of sources whose reader gives paused intervals
(:attr:`~analytics.frames.LoadResult.pauses`: ServiceNow event logs, Jira JSON
with changelog) is taken off where it falls in working hours, and the detail
says "on-hold time excluded"; sources that give on-hold totals only (or
nothing) keep their on-hold time, and the detail says "not excluded (the export
gives totals only)".

A criterion is NO DATA, with the reason, when there is no source, no ticket in
the window, when the needed timestamp or column is empty in every ticket (no
export records impact start by default, so MTTD is usually NO DATA: it is
never inferred), or when fewer than ``min_events`` tickets or answers can be
measured.

Kind-specific options (``params``):

* ``statistic`` (``mttd``, ``incident_response``, ``first_response``):
  ``mean`` (default), ``median`` or ``p90`` of the durations.
* ``confidence`` (``csat``): interval confidence, default 0.95.

Other kinds here take none. The accepted keys and defaults are those of
:data:`~analytics.criterion_params.CRITERION_PARAMS`; any other key is refused
when the config is loaded.

Priorities: when a criterion's config sets ``priorities`` explicitly, only
those tickets count; otherwise every priority does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import pandas as pd

from analytics.business_hours import BusinessSchedule
from analytics.config import CriterionConfig
from analytics.criterion_params import check_params, param
from analytics.errors import ConfigError
from analytics.evaluators_slo import evidence_window
from analytics.evidence import Evidence
from analytics.metrics.incidents import MEASURES, incident_times
from analytics.metrics.resolution import (
    clock_definition,
    resolution_by_priority,
    resolution_outcome,
)
from analytics.metrics.satisfaction import csat_summary
from analytics.metrics.support import (
    first_response_times,
    sla_elapsed_seconds,
    support_rates,
)
from analytics.readiness import (
    Criterion,
    CriterionResult,
    Status,
    evaluate_value,
    no_data,
)

__all__ = [
    "SUPPORT_EVALUATORS",
    "SUPPORT_KINDS",
    "Evaluator",
    "clock_text",
    "criterion_schedule",
    "format_label",
    "outcome_ids",
    "survey_answers",
    "ticket_list",
    "ticket_pauses",
    "ticket_source_names",
    "tickets_in_window",
    "unknown_share_problem",
    "unproven_mean",
]

Evaluator = Callable[[str, CriterionConfig, Evidence], CriterionResult]

SUPPORT_KINDS: Final = (
    "mttd",
    "incident_response",
    "first_response",
    "csat",
    "escalation_rate",
    "resolution_within_target",
)
"""Criterion kinds measured by this module."""

_FORMAT_LABELS: Final[Mapping[str, str]] = {
    "servicenow_csv": "ServiceNow CSV export",
    "jira_csv": "Jira CSV export",
    "jira_json": "Jira REST JSON",
    "pagerduty_json": "PagerDuty REST JSON",
    "pagerduty_analytics": "PagerDuty analytics export",
    "helpdesk_csv": "help-desk CSV table",
}
_COLUMN_MEANING: Final[Mapping[str, str]] = {
    "created_at": "when the ticket was created",
    "impact_started_at": "when impact started",
    "detected_at": "when the incident was detected",
    "acknowledged_at": "when it was acknowledged",
    "first_response_at": "when support first responded",
    "escalated": "whether it was escalated",
    "csat_score": "a satisfaction rating",
}
_STATISTICS: Final = ("mean", "median", "p90")
_TIME_COLUMNS: Final = (
    "first_response_at",
    "acknowledged_at",
    "detected_at",
    "impact_started_at",
    "first_resolved_at",
    "resolved_at",
    "closed_at",
)


# --- shared helpers (also used by the report's support section) ---------------------


def format_label(evidence: Evidence, name: str) -> str:
    """Human name of a ticket source's export format, e.g. ``ServiceNow CSV export``."""
    for source in evidence.config.tickets:
        if source.name == name:
            return _FORMAT_LABELS.get(source.format, source.format)
    return "export"


def criterion_schedule(config: CriterionConfig) -> BusinessSchedule | None:
    """The business-hours schedule a criterion is judged on; None for wall clock."""
    return None if config.business_hours is None else config.business_hours.schedule()


def ticket_pauses(evidence: Evidence, names: Sequence[str]) -> pd.DataFrame | None:
    """The paused intervals of the ticket sources ``names``, in one frame.

    Columns ``ticket_id``, ``pause_start``, ``pause_end`` (the ``pauses=`` of
    :mod:`analytics.metrics.support`); None when no source gives intervals.
    Intervals after the decision time do no harm: the clock functions clip
    each interval to the ticket's measured span, which ends by then.

    Examples
    --------
    >>> from analytics.config import ReadinessConfig
    >>> from analytics.frames import LoadResult, empty_rejected
    >>> t = pd.to_datetime(["2026-03-06 16:30", "2026-03-09 10:00"], utc=True)
    >>> ev = Evidence(ReadinessConfig(criteria={}), as_of=t[1])
    >>> ev.tickets["x"] = LoadResult(pd.DataFrame(), empty_rejected(), "x", "tickets", 0, 0)
    >>> ticket_pauses(ev, ["x"]) is None
    True
    >>> ev.tickets["x"].pauses = pd.DataFrame(
    ...     {"ticket_id": ["T1"], "pause_start": t[:1], "pause_end": t[1:]})
    >>> len(ticket_pauses(ev, ["x"]))
    1
    """
    frames = [
        evidence.tickets[n].pauses
        for n in names
        if n in evidence.tickets and evidence.tickets[n].pauses is not None
    ]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def clock_text(
    schedule: BusinessSchedule | None, evidence: Evidence, names: Sequence[str]
) -> str:
    """Words for a measure's clock, saying whether on-hold time is taken off.

    On a business-hours clock: "on-hold time excluded" when the sources give
    paused intervals, "not excluded (the export gives totals only)" when none
    does, and both, naming the sources, when some do and others give only
    ``on_hold_seconds`` totals.
    """
    with_intervals = [
        n
        for n in names
        if n in evidence.tickets and evidence.tickets[n].pauses is not None
    ]
    text = clock_definition(schedule, pauses_given=bool(with_intervals))
    if schedule is None or not with_intervals:
        return text
    totals_only = [
        n
        for n in names
        if n in evidence.tickets
        and n not in with_intervals
        and _has_on_hold_totals(evidence.tickets[n].frame)
    ]
    if totals_only:
        text += (
            f" for {', '.join(with_intervals)}; on-hold time not excluded for"
            f" {', '.join(totals_only)} (the export gives totals only)"
        )
    return text


def _has_on_hold_totals(frame: pd.DataFrame) -> bool:
    return "on_hold_seconds" in frame and bool(frame["on_hold_seconds"].notna().any())


def ticket_source_names(config: CriterionConfig, evidence: Evidence) -> tuple[str, ...]:
    """The ticket sources a criterion uses: its ``source``, or all ticket sources.

    A ``source`` that names a non-ticket source gives an empty tuple.
    """
    if config.source:
        return (config.source,) if config.source in evidence.tickets else ()
    return tuple(evidence.tickets)


def tickets_in_window(
    evidence: Evidence,
    names: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    with_outcome: bool = False,
    recorded: Sequence[str] = (),
) -> pd.DataFrame:
    """Tickets of ``names`` created in ``[start, end)``, as known at ``end``.

    For each column in ``recorded``, a boolean column ``<column>_recorded``
    says whether the export holds a time there at all (before the masking).

    Timestamps at or after ``end`` (responses, resolutions, ... that happened
    after the decision time) are set to missing: they were not known yet.
    Tickets without ``created_at`` cannot be placed in the window and are left
    out. With ``with_outcome``, column ``resolution_outcome`` holds
    :func:`~analytics.metrics.resolution.resolution_outcome` at ``end``,
    judged before the masking (a ticket closed after ``end`` was open then,
    not closed at an unknown time).

    Examples
    --------
    >>> from analytics.config import ReadinessConfig
    >>> from analytics.frames import LoadResult, empty_rejected
    >>> t = pd.to_datetime(["2026-03-01 10:00", "2026-03-02 10:00"], utc=True)
    >>> frame = pd.DataFrame({"created_at": t, "resolved_at": t + pd.Timedelta(hours=30)})
    >>> ev = Evidence(ReadinessConfig(criteria={}), as_of=t[1])
    >>> ev.tickets["x"] = LoadResult(frame, empty_rejected(), "x.csv", "tickets", 2, 2)
    >>> out = tickets_in_window(ev, ["x"], t[0], t[1])
    >>> len(out), bool(out["resolved_at"].isna().all())
    (1, True)
    """
    frames = [
        evidence.tickets[n].frame
        for n in names
        if n in evidence.tickets and not evidence.tickets[n].frame.empty
    ]
    if not frames:
        return (
            evidence.tickets[names[0]].frame.iloc[0:0].copy()
            if names and names[0] in evidence.tickets
            else pd.DataFrame(
                {"created_at": pd.Series([], dtype="datetime64[us, UTC]")}
            )
        )
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if "created_at" not in frame.columns:
        return frame.iloc[0:0].copy()
    created = frame["created_at"]
    frame = frame.loc[created.notna() & (created >= start) & (created < end)].copy()
    if with_outcome:
        frame["resolution_outcome"] = resolution_outcome(frame, as_of=end)
    for column in recorded:
        frame[f"{column}_recorded"] = (
            frame[column].notna() if column in frame.columns else False
        )
    for column in _TIME_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].where(frame[column] < end)
    return frame.reset_index(drop=True)


def ticket_list(ids: Sequence[str], limit: int = 5) -> str:
    """Ticket ids for a detail text: the first ``limit``, then how many more.

    Examples
    --------
    >>> ticket_list(["INC1", "INC2"])
    'INC1, INC2'
    >>> ticket_list([f"T{i}" for i in range(8)], limit=3)
    'T0, T1, T2 and 5 more'
    """
    shown = ", ".join(ids[:limit])
    more = len(ids) - limit
    return shown + (f" and {more:,} more" if more > 0 else "")


def outcome_ids(
    tickets: pd.DataFrame,
    priorities: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[str, list[str]]:
    """Ids of the tickets of ``priorities`` opened in ``[start, end)``, by outcome.

    Outcomes as :func:`~analytics.metrics.resolution.resolution_outcome` at
    ``end``: ``resolved``, ``unknown``, ``open``, ``cancelled`` (every key
    present); ids sorted.
    """
    created = tickets["created_at"]
    chosen = tickets.loc[
        created.notna()
        & (created >= start)
        & (created < end)
        & tickets["priority"].isin(list(priorities))
    ]
    outcome = resolution_outcome(chosen, as_of=end)
    names = (
        chosen["ticket_id"].astype("string").fillna("(no id)")
        if "ticket_id" in chosen
        else pd.Series(chosen.index.astype(str), index=chosen.index)
    )
    return {
        kind: sorted(str(n) for n in names[outcome == kind])
        for kind in ("resolved", "unknown", "open", "cancelled")
    }


def unknown_share_problem(
    unknown: int,
    ended: int,
    limit: float,
    what: str,
    *,
    lacking: str = "resolution time",
    consequence: str = "so their time to resolve is unknown",
) -> str | None:
    """Why too many tickets that ended without a needed time make a figure not evidence.

    ``unknown`` of ``ended`` tickets ended (resolved, closed) without the
    ``lacking`` time: a resolution time for the resolution measures, a
    response time for the response clocks. Above ``limit`` (the config's
    ``max_rejected_ratio``, the share of unusable rows a figure may rest on)
    the figure is not judged. None when within.

    Examples
    --------
    >>> unknown_share_problem(1, 20, 0.1, "decided P1") is None
    True
    >>> unknown_share_problem(1, 2, 0.1, "decided P1").split(",")[0]
    '1 of 2 decided P1 tickets (50%) ended without a resolution time'
    >>> unknown_share_problem(3, 10, 0.1, "", lacking="first response time").split(",")[0]
    '3 of 10 tickets (30%) ended without a first response time'
    """
    if not ended or unknown / ended <= limit:
        return None
    tickets = f"{what} tickets".strip()
    return (
        f"{unknown} of {ended} {tickets} ({unknown / ended:.0%}) ended without a"
        f" {lacking}, more than the allowed {limit:.0%} (max_rejected_ratio),"
        f" {consequence}"
    )


def survey_answers(
    evidence: Evidence, names: Sequence[str], kind: str = "csat"
) -> pd.DataFrame:
    """Answers of one survey ``kind`` from the survey sources ``names``, in one frame."""
    frames = [
        evidence.surveys[n].frame for n in names if not evidence.surveys[n].frame.empty
    ]
    if not frames:
        return pd.DataFrame(
            {
                "answered_at": pd.Series([], dtype="datetime64[us, UTC]"),
                "kind": pd.Series([], dtype="string"),
                "score": pd.Series([], dtype="float64"),
            }
        )
    frame = pd.concat(frames, ignore_index=True)
    chosen = frame.loc[frame["kind"].astype("string").str.casefold() == kind]
    return chosen.reset_index(drop=True)


# --- evaluator plumbing ----------------------------------------------------------------


def _window(
    config: CriterionConfig, evidence: Evidence
) -> tuple[pd.Timestamp, pd.Timestamp]:
    # Rolling lookback, or the last complete calendar period when ``calendar`` is set.
    return evidence_window(config, evidence.as_of)


def _criterion(crit_id: str, config: CriterionConfig) -> Criterion:
    return Criterion(
        criterion_id=crit_id,
        title=config.title,
        area=config.area,
        op=config.op,
        target=config.target,
        unit=config.unit,
        alert=config.alert,
        rollback=config.rollback,
        blocking=config.blocking,
    )


def _param(config: CriterionConfig, crit_id: str, name: str) -> Any:
    """Param ``name`` of the criterion (or its default), once its keys are checked."""
    check_params(f"criteria.{crit_id}.params", config.kind, config.params)
    return param(config.kind, config.params, name)


def _statistic(config: CriterionConfig, crit_id: str) -> str:
    statistic = str(_param(config, crit_id, "statistic"))
    if statistic not in _STATISTICS:
        raise ConfigError(
            f"criteria.{crit_id}.params.statistic is {statistic!r};"
            f" use one of {', '.join(_STATISTICS)}"
        )
    return statistic


def _by_priority(
    frame: pd.DataFrame, config: CriterionConfig
) -> tuple[pd.DataFrame, str]:
    if "priorities" not in config.model_fields_set:
        return frame, "all priorities"
    chosen = frame.loc[frame["priority"].isin(list(config.priorities))]
    return chosen.reset_index(drop=True), "/".join(config.priorities) + " tickets"


def _ticket_problem(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> str | None:
    """Why no ticket can be used at all, or None."""
    if config.source and config.source not in evidence.tickets:
        return (
            f"source '{config.source}' is not a ticket source; criteria.{crit_id}.source"
            " must name one of the tickets: entries"
            + (f" ({', '.join(evidence.tickets)})" if evidence.tickets else "")
        )
    if not evidence.tickets:
        return (
            "no ticket source configured: add a ServiceNow, Jira, PagerDuty or"
            " help-desk export under tickets:"
        )
    return None


def _scoped_tickets(
    criterion: Criterion,
    crit_id: str,
    config: CriterionConfig,
    evidence: Evidence,
    what: str,
) -> tuple[tuple[str, ...], pd.DataFrame, str] | CriterionResult:
    """The criterion's ticket sources, their tickets opened in its window (in its
    priorities) and a description of that scope; or NO DATA saying why ``what``
    cannot be measured."""
    start, end = _window(config, evidence)
    problem = _ticket_problem(crit_id, config, evidence)
    if problem:
        return no_data(
            criterion,
            f"{what} not measurable: {problem}",
            window_start=start,
            window_end=end,
        )
    names = ticket_source_names(config, evidence)
    frame, scope = _by_priority(tickets_in_window(evidence, names, start, end), config)
    if frame.empty:
        return no_data(
            criterion,
            f"{what} not measurable: "
            + _empty_window_reason(evidence, names, start, end, f"tickets ({scope})"),
            window_start=start,
            window_end=end,
            sources=names,
        )
    return names, frame, scope


def _empty_window_reason(
    evidence: Evidence,
    names: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    what: str,
) -> str:
    spans = []
    for name in names:
        frame = evidence.tickets[name].frame
        label = format_label(evidence, name)
        if frame.empty:
            spans.append(f"'{name}' ({label}) has no tickets at all")
        elif "created_at" not in frame or frame["created_at"].isna().all():
            spans.append(
                f"'{name}' ({label}) has no created_at: ticket creation time unknown,"
                " so its tickets cannot be placed in the window"
            )
        else:
            first, last = frame["created_at"].min(), frame["created_at"].max()
            spans.append(
                f"'{name}' ({label}) has tickets opened {first:%Y-%m-%d} to {last:%Y-%m-%d}"
            )
    return (
        f"no {what} opened in the evidence window {start:%Y-%m-%d %H:%M} –"
        f" {end:%Y-%m-%d %H:%M} UTC; " + "; ".join(spans)
    )


def _missing_columns_reason(
    evidence: Evidence,
    names: Sequence[str],
    window: pd.DataFrame,
    columns: Sequence[str],
    *,
    any_of: bool = False,
) -> str | None:
    """Name the columns empty in every ticket of the window, per source; None if none."""
    empty = [c for c in columns if c not in window or window[c].isna().all()]
    if not empty or (any_of and len(empty) < len(columns)):
        return None
    parts = []
    for name in names:
        frame = evidence.tickets[name].frame
        never = [c for c in empty if c not in frame or frame[c].isna().all()]
        if never:
            meaning = " nor ".join(_COLUMN_MEANING.get(c, c) for c in never)
            parts.append(
                f"'{name}' ({format_label(evidence, name)}) has {' / '.join(never)}"
                f" empty in every ticket: the export does not record {meaning}"
            )
    verb = "are" if len(empty) > 1 else "is"
    text = f"{' and '.join(empty)} {verb} empty in every ticket of the window"
    return text + (": " + "; ".join(parts) if parts else "")


def _needed_text(required: Sequence[str], any_of: Sequence[str]) -> str:
    text = " and ".join(required)
    if any_of:
        text += " and one of " + " / ".join(any_of)
    return text


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min"


_RESPONSE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "first_response": ("first_response_at",),
    "response_initiation": ("acknowledged_at", "first_response_at"),
}
"""The times that end each response clock (the earliest known one counts)."""


@dataclass(frozen=True)
class _Unanswered:
    """The window's tickets with no response yet, sorted by what is known of them.

    ``frame`` holds the window's tickets with the late ones' response time set
    to the window's end, so their wait so far counts (a lower bound: whatever
    happens next, they missed the target). Tickets of a source whose export
    never records the response (no such column, or empty throughout) are not
    in these counts: they are "not recorded", as before.
    """

    frame: pd.DataFrame
    late: int
    """Open, unanswered and past the target at the window's end: counted."""
    pending: int
    """Open, unanswered, still within the target: undecided, not counted."""
    unknown: int
    """Ended (resolved or closed, even after the window's end) with no response
    time in the export: when it was answered is unknown, not counted."""
    cancelled: int
    """Cancelled without a response: left out."""


def _unanswered(
    config: CriterionConfig,
    evidence: Evidence,
    names: Sequence[str],
    measure: str,
    schedule: BusinessSchedule | None,
) -> _Unanswered:
    """Classify the window's unanswered tickets (see :class:`_Unanswered`).

    Leaving every unanswered ticket out would judge only the answered ones: a
    queue where one ticket got a reply in 5 minutes and nine wait for hours
    would pass a 15-minute target. A ticket still open past the target at the
    decision time has missed it whatever happens next; its wait so far is
    counted. The response clock is the criterion's (business hours when set,
    pauses excluded then).
    """
    columns = _RESPONSE_COLUMNS[measure]
    start, end = _window(config, evidence)
    parts = []
    for name in names:
        source = evidence.tickets[name].frame
        records = any(c in source and source[c].notna().any() for c in columns)
        seen = tickets_in_window(
            evidence,
            [name],
            start,
            end,
            with_outcome=True,
            recorded=(*columns, "resolved_at", "closed_at"),
        )
        window, _ = _by_priority(seen, config)
        parts.append(window.assign(_records=records))
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    answered = pd.Series(False, index=frame.index)
    ever_answered = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame:
            answered |= frame[column].notna()
        ever_answered |= frame[f"{column}_recorded"].astype(bool)
    # Resolved or closed in the export (perhaps after the window's end) with no
    # response time at all: when it was answered is unknown, not "never" (a
    # PagerDuty incident's acknowledgements are empty once it is resolved).
    ended_in_export = frame["resolved_at_recorded"].astype(bool) | frame[
        "closed_at_recorded"
    ].astype(bool)
    time_unknown = ~ever_answered & ended_in_export
    open_unanswered = (
        ~answered
        & frame["_records"]
        & (frame["resolution_outcome"] == "open")
        & ~time_unknown
    )
    waited = _waited_seconds(
        frame, open_unanswered, columns[0], end, schedule, names, evidence
    )
    late = open_unanswered & (waited > config.target * 60)
    ended = ~answered & frame["_records"]
    outcome = frame["resolution_outcome"]
    unknown = ended & (
        outcome.isin(["resolved", "unknown"]) | (time_unknown & (outcome == "open"))
    )
    measured = frame.drop(
        columns=["_records", "resolution_outcome"]
        + [c for c in frame.columns if c.endswith("_recorded")]
    )
    if columns[0] not in measured:
        measured[columns[0]] = pd.Series(
            pd.NaT, index=measured.index, dtype="datetime64[us, UTC]"
        )
    measured.loc[late, columns[0]] = end
    return _Unanswered(
        frame=measured,
        late=int(late.sum()),
        pending=int((open_unanswered & ~late).sum()),
        unknown=int(unknown.sum()),
        cancelled=int((ended & (outcome == "cancelled")).sum()),
    )


def _waited_seconds(
    frame: pd.DataFrame,
    waiting: pd.Series,
    column: str,
    end: pd.Timestamp,
    schedule: BusinessSchedule | None,
    names: Sequence[str],
    evidence: Evidence,
) -> pd.Series:
    """Seconds each ``waiting`` ticket has waited by ``end`` on the response clock."""
    if not waiting.any():
        return pd.Series(0.0, index=frame.index)
    subset = frame.loc[waiting, ["created_at"]].assign(**{column: end})
    if "ticket_id" in frame:
        subset["ticket_id"] = frame.loc[waiting, "ticket_id"]
    seconds, _ = sla_elapsed_seconds(
        subset,
        end=column,
        clock="wall" if schedule is None else "business",
        schedule=schedule,
        pauses=None if schedule is None else ticket_pauses(evidence, names),
    )
    return seconds.reindex(frame.index, fill_value=0.0)


def _unanswered_note(gaps: _Unanswered, end: pd.Timestamp) -> str:
    parts = []
    if gaps.late:
        parts.append(
            f"{gaps.late} still unanswered past the target at {end:%Y-%m-%d %H:%M} UTC,"
            " counted with their wait so far (a lower bound; the judged figure is"
            " never below that of the answered tickets alone)"
        )
    if gaps.pending:
        parts.append(
            f"{gaps.pending} unanswered but within the target: not yet counted"
        )
    if gaps.unknown:
        parts.append(
            f"{gaps.unknown} ended without a response time: unknown, not counted"
        )
    if gaps.cancelled:
        parts.append(f"{gaps.cancelled} cancelled before a response: left out")
    return "; ".join(parts)


# --- duration criteria -------------------------------------------------------------


def _duration_result(
    crit_id: str,
    config: CriterionConfig,
    evidence: Evidence,
    *,
    measure: str,
    required: tuple[str, ...],
    any_of: tuple[str, ...] = (),
    what: str,
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    start, end = _window(config, evidence)
    statistic = _statistic(config, crit_id)
    scoped = _scoped_tickets(criterion, crit_id, config, evidence, what)
    if isinstance(scoped, CriterionResult):
        return scoped
    names, frame, scope = scoped
    answered = None
    gaps = None
    if measure in _RESPONSE_COLUMNS:
        gaps = _unanswered(config, evidence, names, measure, criterion_schedule(config))
        if gaps.late:
            answered = _duration_table(frame, measure, config, evidence, names)
        frame = gaps.frame

    table = _duration_table(frame, measure, config, evidence, names)
    if measure == "first_response":
        clock = clock_text(criterion_schedule(config), evidence, names)
        definition = f"created_at → first_response_at, {clock}"
    else:
        definition = MEASURES[measure].definition
    count = int(table["count"])
    missing = int(table["missing"])

    if count < config.min_events:
        absent = _missing_columns_reason(evidence, names, frame, required)
        if absent is None and any_of:
            absent = _missing_columns_reason(
                evidence, names, frame, any_of, any_of=True
            )
        if absent:
            reason = f"{what} not measurable: {absent}"
            if "impact_started_at" in required and (
                "impact_started_at" not in frame
                or frame["impact_started_at"].isna().all()
            ):
                reason += (
                    ". MTTD needs impact start → detection; impact start is never"
                    " inferred from created_at. Fix: fill impact_started_at and"
                    " detected_at (e.g. from postmortems, via column_map)"
                )
        else:
            reason = (
                f"{what}: only {count} of {len(frame)} tickets ({scope}) opened in the"
                f" window have {_needed_text(required, any_of)} known by the decision time;"
                f" need {config.min_events} (min_events)"
            )
        return no_data(
            criterion, reason, window_start=start, window_end=end, sources=names
        )

    if gaps is not None:
        problem = unknown_share_problem(
            gaps.unknown,
            count + gaps.unknown,
            evidence.config.max_rejected_ratio,
            "",
            lacking=f"{what} time",
            consequence="so the rest may be the quick ones; fix the export or set"
            " max_rejected_ratio",
        )
        if problem is not None:
            return no_data(
                criterion,
                f"{what} not judged: {problem}",
                window_start=start,
                window_end=end,
                sources=names,
            )
    value = float(table[f"{statistic}_seconds"]) / 60
    if answered is not None and int(answered["count"]):
        # The late tickets' final times are longer than their wait so far, so
        # counting them must not bring the figure below the answered ones' own.
        value = max(value, float(answered[f"{statistic}_seconds"]) / 60)
    detail = (
        f"{statistic} of {definition}, n={count} ({scope}, opened in the window);"
        f" mean {_minutes(float(table['mean_seconds']))},"
        f" median {_minutes(float(table['median_seconds']))},"
        f" p90 {_minutes(float(table['p90_seconds']))}"
    )
    if measure == "first_response":
        detail += (
            f"; {int(table['within_target'])} of {count} at or under"
            f" {config.target:g} min, {int(table['breached'])} over"
        )
    if gaps is not None and (note := _unanswered_note(gaps, end)):
        detail += f"; of the unanswered tickets: {note}"
        missing -= gaps.pending + gaps.unknown + gaps.cancelled
    if missing:
        detail += f"; {missing} ticket(s) without the needed timestamps not counted"
    result = evaluate_value(
        criterion,
        value,
        window_start=start,
        window_end=end,
        evidence_count=count,
        detail=detail,
        sources=names,
    )
    late = gaps.late if gaps is not None else 0
    return unproven_mean(
        result,
        statistic,
        late,
        "still unanswered",
        "judge once they are answered, or use params.statistic median or p90,"
        " which they cannot move",
    )


def unproven_mean(
    result: CriterionResult, statistic: str, late: int, waiting: str, fix: str
) -> CriterionResult:
    """NO DATA for a mean that passes only because late tickets are not over yet.

    A ticket still open past the target counts with its time so far, a lower
    bound. A median or p90 above which it already lies cannot move when it
    grows, and a failing mean stays failing; but a passing (or WARN) mean can
    be pushed over by one ticket that waits long enough, so it proves nothing.

    >>> from analytics.readiness import Criterion, evaluate_value
    >>> c = Criterion("mttr", "MTTR", "operations", "<", 30, unit="min")
    >>> r = unproven_mean(evaluate_value(c, 12.0), "mean", 1, "still open", "wait")
    >>> r.status.value, r.detail.split(";")[0]
    ('NO DATA', 'a mean of 12 min passes only while 1 ticket(s) still open past the target are counted at their time so far')
    """
    if (
        not late
        or statistic != "mean"
        or result.criterion.op not in ("<", "<=")
        or result.status not in (Status.PASS, Status.WARN)
        or result.value is None
    ):
        return result
    unit = f" {result.criterion.unit}" if result.criterion.unit else ""
    reason = (
        f"a mean of {result.value:g}{unit} passes only while {late} ticket(s) {waiting}"
        " past the target are counted at their time so far; their final times can"
        f" raise the mean without limit, so it is not proof. Fix: {fix}"
    )
    return replace(
        no_data(
            result.criterion,
            f"{reason}; {result.detail}",
            window_start=result.window_start,
            window_end=result.window_end,
            sources=result.sources,
        ),
        evidence_count=result.evidence_count,
    )


def _duration_table(
    frame: pd.DataFrame,
    measure: str,
    config: CriterionConfig,
    evidence: Evidence,
    names: Sequence[str],
) -> pd.Series:
    """One row of count, missing and the mean/median/p90 seconds of ``measure``."""
    if measure != "first_response":
        row: pd.Series = incident_times(frame, measures=[measure], by=None).iloc[0]
        return row
    schedule = criterion_schedule(config)
    response: pd.Series = first_response_times(
        frame,
        targets_minutes=config.target,
        by=None,
        clock="wall" if schedule is None else "business",
        schedule=schedule,
        # The wall clock keeps on-hold time, as its definition says.
        pauses=None if schedule is None else ticket_pauses(evidence, names),
    ).iloc[0]
    return response


def _mttd(crit_id: str, config: CriterionConfig, evidence: Evidence) -> CriterionResult:
    return _duration_result(
        crit_id,
        config,
        evidence,
        measure="mttd",
        required=("impact_started_at", "detected_at"),
        what="MTTD",
    )


def _incident_response(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    return _duration_result(
        crit_id,
        config,
        evidence,
        measure="response_initiation",
        required=("created_at",),
        any_of=("acknowledged_at", "first_response_at"),
        what="incident response start",
    )


def _first_response(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    return _duration_result(
        crit_id,
        config,
        evidence,
        measure="first_response",
        required=("created_at", "first_response_at"),
        what="first response",
    )


# --- CSAT ------------------------------------------------------------------------------


def _interval(low: float, high: float, fmt: str) -> str:
    if math.isnan(low) or math.isnan(high):
        return "interval not computable"
    return f"{format(low, fmt)}–{format(high, fmt)}"


def _csat(crit_id: str, config: CriterionConfig, evidence: Evidence) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    start, end = _window(config, evidence)
    confidence = float(_param(config, crit_id, "confidence"))
    if not 0 < confidence < 1:
        raise ConfigError(
            f"criteria.{crit_id}.params.confidence is {confidence}; use a number"
            " between 0 and 1, e.g. 0.95"
        )

    use_surveys = (
        config.source in evidence.surveys if config.source else bool(evidence.surveys)
    )
    if use_surveys:
        names: tuple[str, ...] = (
            (config.source,) if config.source else _csat_survey_sources(evidence)
        )
        answers = survey_answers(evidence, names, "csat")
        if answers.empty:
            return no_data(
                criterion,
                f"survey source(s) {', '.join(names)} hold no CSAT answers (kind csat,"
                " score 1–5); only other kinds or no valid rows",
                window_start=start,
                window_end=end,
                sources=names,
            )
        undated = int(answers["answered_at"].isna().sum())
        answered = answers["answered_at"]
        scores = answers.loc[(answered >= start) & (answered < end)]
        holding = [n for n in names if not survey_answers(evidence, (n,), "csat").empty]
        basis = f"survey answers answered in the window ({', '.join(holding)})"
        if undated:
            basis += (
                f"; {undated} answer(s) without answered_at cannot be placed in time"
            )
    else:
        problem = _ticket_problem(crit_id, config, evidence)
        if problem:
            return no_data(
                criterion,
                "CSAT not measurable: no survey source configured, and " + problem,
                window_start=start,
                window_end=end,
            )
        names = ticket_source_names(config, evidence)
        frame = tickets_in_window(evidence, names, start, end)
        if frame.empty:
            return no_data(
                criterion,
                "CSAT not measurable (no survey source; using ticket ratings): "
                + _empty_window_reason(evidence, names, start, end, "tickets"),
                window_start=start,
                window_end=end,
                sources=names,
            )
        absent = _missing_columns_reason(evidence, names, frame, ("csat_score",))
        if absent:
            return no_data(
                criterion,
                "CSAT not measurable: no survey source is configured and " + absent,
                window_start=start,
                window_end=end,
                sources=names,
            )
        scores = frame
        basis = (
            "satisfaction ratings on tickets opened in the window (no survey source"
            f" configured; {', '.join(names)})"
        )

    summary = csat_summary(scores, confidence=confidence).iloc[0]
    n = int(summary["n"])
    if n < config.min_events:
        return no_data(
            criterion,
            f"{n} CSAT answer(s) in the evidence window {start:%Y-%m-%d} –"
            f" {end:%Y-%m-%d} from {basis}; need {config.min_events} (min_events)",
            window_start=start,
            window_end=end,
            sources=names,
        )
    level = f"{confidence:.0%}"
    detail = (
        f"mean of 1–5 CSAT scores, n={n},"
        f" {level} interval {_interval(summary['csat_mean_low'], summary['csat_mean_high'], '.2f')}"
        f" (Student t); share of 4–5: {summary['share_satisfied']:.1%}"
        f" ({_interval(summary['share_low'], summary['share_high'], '.1%')}, Wilson);"
        f" from {basis}"
    )
    return evaluate_value(
        criterion,
        float(summary["csat_mean"]),
        window_start=start,
        window_end=end,
        evidence_count=n,
        detail=detail,
        sources=names,
    )


def _csat_survey_sources(evidence: Evidence) -> tuple[str, ...]:
    """Survey sources that can bear on CSAT: all but those holding only other kinds.

    A source whose usable answers are all NPS is not CSAT evidence: its
    rejected rows or age must not judge the CSAT criterion. A source with no
    usable answer at all stays (its rows may all have been rejected).
    """
    kept = tuple(
        name
        for name, load in evidence.surveys.items()
        if load.frame.empty or not survey_answers(evidence, (name,), "csat").empty
    )
    return kept or tuple(evidence.surveys)


# --- escalation rate -------------------------------------------------------------------


def _escalation_rate(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    start, end = _window(config, evidence)
    check_params(f"criteria.{crit_id}.params", config.kind, config.params)
    scoped = _scoped_tickets(criterion, crit_id, config, evidence, "escalation rate")
    if isinstance(scoped, CriterionResult):
        return scoped
    names, frame, scope = scoped
    row = support_rates(frame, by=None).iloc[0]
    known = int(row["escalation_known"])
    if known < config.min_events:
        absent = _missing_columns_reason(evidence, names, frame, ("escalated",))
        reason = (
            f"escalation rate not measurable: {absent}"
            if absent
            else f"escalation known for {known} of {len(frame)} tickets ({scope}) opened"
            f" in the window; need {config.min_events} (min_events)"
        )
        return no_data(
            criterion, reason, window_start=start, window_end=end, sources=names
        )
    rate = float(row["escalation_rate"])
    escalated = round(rate * known)
    unknown = len(frame) - known
    detail = (
        f"{escalated} of {known} tickets ({scope}) opened in the window were escalated"
        " (escalated / tickets whose escalation is known)"
    )
    if unknown:
        detail += f"; {unknown} ticket(s) with unknown escalation left out"
    return evaluate_value(
        criterion,
        rate * 100,
        window_start=start,
        window_end=end,
        evidence_count=known,
        detail=detail,
        sources=names,
    )


# --- resolution within target ------------------------------------------------------


def _resolution_within_target(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = _criterion(crit_id, config)
    start, end = _window(config, evidence)
    problem = _ticket_problem(crit_id, config, evidence)
    if problem:
        return no_data(
            criterion,
            f"resolution not measurable: {problem}",
            window_start=start,
            window_end=end,
        )
    if config.priority is None or config.target_hours is None:
        return no_data(
            criterion,
            f"criteria.{crit_id} needs 'priority' (P1..P4) and 'target_hours'",
            window_start=start,
            window_end=end,
        )

    names = ticket_source_names(config, evidence)
    frames = [evidence.tickets[n].frame for n in names]
    tickets = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    schedule = criterion_schedule(config)
    table = resolution_by_priority(
        tickets,
        targets_hours={config.priority: config.target_hours},
        as_of=end,
        window_start=start,
        schedule=schedule,
        pauses=None if schedule is None else ticket_pauses(evidence, names),
    )
    row = table.loc[table["priority"] == config.priority].iloc[0]
    decided = int(row["tickets"] - row["pending"])
    unknown, cancelled = int(row["unknown"]), int(row["cancelled"])
    ids = outcome_ids(tickets, [config.priority], start, end)
    cancelled_text = (
        f"{cancelled} cancelled ticket(s) left out ({ticket_list(ids['cancelled'])})"
        if cancelled
        else "0 cancelled left out"
    )
    if decided < config.min_events or pd.isna(row["share_within_target"]):
        return no_data(
            criterion,
            f"{int(row['tickets'])} {config.priority} tickets opened in the window,"
            f" {decided} decided (resolved, ended, or open past the target); need"
            f" {config.min_events} (min_events)"
            + (f"; {cancelled_text}" if cancelled else ""),
            window_start=start,
            window_end=end,
            sources=names,
        )

    share = float(row["share_within_target"]) * 100
    within = (
        f"{int(row['within_target'])} of {decided} {config.priority} tickets resolved"
        f" within {config.target_hours:g} h"
    )
    unknown_text = (
        f"{unknown} ended without a resolution time"
        + (f" ({ticket_list(ids['unknown'])})" if unknown else "")
        + " (closed, or in a resolved/closed state, with no resolved_at) counts as"
        " missed"
    )
    problem = unknown_share_problem(
        unknown,
        decided,
        evidence.config.max_rejected_ratio,
        f"decided {config.priority}",
    )
    if problem:
        return no_data(
            criterion,
            f"{config.priority} resolution not judged: {problem}"
            f" ({ticket_list(ids['unknown'])}); counted as missed they would give"
            f" {share:.1f} % ({within}); {cancelled_text}",
            window_start=start,
            window_end=end,
            sources=names,
        )

    clock = clock_text(schedule, evidence, names)
    detail = (
        f"{within} (opened in window, {clock}, final resolution; still open past"
        f" target counts as missed; {int(row['pending'])} still open within target"
        f" not counted; {unknown_text};"
        f" {cancelled_text}); median {row['median_hours']:.1f} h,"
        f" p90 {row['p90_hours']:.1f} h"
    )
    return evaluate_value(
        criterion,
        share,
        window_start=start,
        window_end=end,
        evidence_count=decided,
        detail=detail,
        sources=names,
    )


SUPPORT_EVALUATORS: dict[str, Evaluator] = {
    "mttd": _mttd,
    "incident_response": _incident_response,
    "first_response": _first_response,
    "csat": _csat,
    "escalation_rate": _escalation_rate,
    "resolution_within_target": _resolution_within_target,
}
"""Evaluators for the support and operations kinds; merge into ``evaluate.EVALUATORS``."""
