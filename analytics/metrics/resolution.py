"""Time to resolve tickets, and the share resolved within a target per priority.

Durations here are *wall clock* by default: from ``created_at`` to the
resolution, on-hold time and nights included. They are not SLA clocks, which
pause and count business hours only; a ServiceNow "made SLA" flag can therefore
disagree. With ``schedule=`` :func:`resolution_by_priority` counts only the
working hours of a :class:`~analytics.business_hours.BusinessSchedule`
instead, minus the paused intervals given as ``pauses=``
(:func:`clock_definition` words the rule).

Resolution times are heavy-tailed (on the public ServiceNow log, critical
incidents have a mean of 266 h but a median of 80 h), so the median and p90
are reported beside the mean. Percentiles use linear interpolation between
order statistics (numpy's and pandas' default).

Point in time: with ``as_of`` the answer is what was known at that instant.
Tickets count when created in ``[window_start, as_of)``; a resolution at or
after ``as_of`` is not yet known, so that ticket is unresolved as of then.

One rule for every resolution measure here (:func:`resolution_outcome`):

* a *cancelled* ticket (``status`` ``Canceled`` or ``Cancelled``, ignoring
  case) was never resolved nor missed: it is left out of the SLA shares and
  of MTTR, and counted apart;
* a ticket that *ended without a resolution time* (no ``resolved_at`` but
  closed before ``as_of``, or with a ``status`` of ``Resolved``, ``Closed`` or
  ``Done`` and no end time at all) is not "still open": its time to resolve is
  *unknown*. It counts as not within target (it cannot be shown to have met
  it) and is left out of MTTR and the hour statistics, counted apart. The
  closing time is never used as a resolution time (closing often follows the
  resolution by days);
* any other ticket without a resolution by ``as_of`` is *open*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

import pandas as pd

from analytics.business_hours import BusinessSchedule
from analytics.errors import ConfigError, InputError
from analytics.frames import to_pandas
from analytics.metrics.incidents import cancelled_tickets, status_in
from analytics.metrics.support import sla_elapsed_seconds

__all__ = [
    "DEFAULT_RESOLUTION_TARGETS_HOURS",
    "ENDED_STATUSES",
    "PRIORITIES",
    "TimeToResolve",
    "clock_definition",
    "mean_time_to_resolve",
    "resolution_by_priority",
    "resolution_outcome",
]

PRIORITIES: Final = ("P1", "P2", "P3", "P4")

DEFAULT_RESOLUTION_TARGETS_HOURS: Final[Mapping[str, float]] = MappingProxyType(
    {"P1": 2.0, "P2": 8.0, "P3": 24.0, "P4": 72.0}
)
"""Launch-plan targets: critical 2 h, high 8 h, medium 24 h, low 72 h."""

ENDED_STATUSES: Final = frozenset({"resolved", "closed", "done"})
"""Ticket statuses (stripped, case-folded) that mean the work ended, so a
ticket in one of them with no resolution time is of unknown time, not open."""

_RESOLVED: Final = "resolved"
_UNKNOWN: Final = "unknown"
_OPEN: Final = "open"
_CANCELLED: Final = "cancelled"

_FRAME = "<tickets frame>"
# Kept beside the measured columns: ticket_id ties pauses to tickets and names
# them; status and closed_at tell cancelled and ended tickets apart.
_OPTIONAL_COLUMNS: Final = ("ticket_id", "status", "closed_at")
_SECONDS_PER_HOUR: Final = 3600.0
_RESOLUTION_COLUMNS: Final = {"final": "resolved_at", "first": "first_resolved_at"}
_WALL_CLOCK: Final = (
    "wall clock from created_at to the final resolved_at, on-hold time included;"
    " cancelled tickets left out; a ticket closed without resolved_at has an"
    " unknown time and is left out (counted); open tickets are not in the figures"
)


def resolution_by_priority(
    tickets: Any,
    *,
    targets_hours: Mapping[str, float] = DEFAULT_RESOLUTION_TARGETS_HOURS,
    as_of: pd.Timestamp | None = None,
    window_start: pd.Timestamp | None = None,
    resolution: Literal["final", "first"] = "final",
    schedule: BusinessSchedule | None = None,
    pauses: Any = None,
) -> pd.DataFrame:
    """Tickets resolved within their priority's target, per priority P1..P4.

    Parameters
    ----------
    tickets
        Canonical tickets frame (pandas or polars): ``priority``,
        ``created_at`` and ``resolved_at`` (or ``first_resolved_at``),
        tz-aware.
    targets_hours
        Target hours to resolve per priority. Priorities left out keep
        :data:`DEFAULT_RESOLUTION_TARGETS_HOURS`.
    as_of
        The instant the figures are computed for (tz-aware). Tickets created
        at or after it are left out, and resolutions at or after it are
        treated as not yet known.
    window_start
        Leave out tickets created before this instant (tz-aware).
    resolution
        ``"final"`` measures to ``resolved_at`` (the last resolution, after
        any reopening); ``"first"`` to ``first_resolved_at``.
    schedule
        Business hours: when given, the time to resolve and a ticket's age at
        ``as_of`` count only the schedule's working hours (DST-aware, holidays
        excluded) instead of the wall clock.
    pauses
        With ``schedule``: frame ``ticket_id``, ``pause_start``, ``pause_end``
        of paused intervals, whose working hours are taken off the clock.
        ``on_hold_seconds`` totals cannot be placed in working hours and are
        never subtracted (see :func:`clock_definition`).

    Returns
    -------
    pandas.DataFrame
        One row per priority P1..P4 (always all four), columns:

        - ``priority``, ``target_hours``
        - ``tickets``: tickets of the priority in the window, cancelled ones
          left out
        - ``resolved``: resolved (as of ``as_of``, when given)
        - ``unresolved``: ``tickets - resolved``
        - ``unknown``: unresolved tickets that ended without a resolution
          time (see :func:`resolution_outcome`); never pending
        - ``pending``: open (unresolved, not unknown) and still younger than
          the target at ``as_of`` (their outcome is undecided); always 0
          without ``as_of``
        - ``cancelled``: cancelled tickets of the priority in the window, in
          no other column
        - ``within_target``: resolved in at most ``target_hours``
        - ``share_within_target``: ``within_target / (tickets - pending)``;
          open tickets past their target (all open ones without ``as_of``)
          and tickets of unknown time count as not within target
        - ``share_within_target_resolved``: ``within_target / resolved``
        - ``mean_hours``, ``median_hours``, ``p90_hours``: hours to resolve,
          over resolved tickets

        Shares and hours are NaN where their denominator is zero, never an
        invented 0 or 1. Tickets with another or no priority are not counted.

    Raises
    ------
    InputError
        A required column is missing, its times are not tz-aware, or a
        ticket is resolved before it was created.
    ConfigError
        A target, ``as_of``/``window_start`` or ``resolution`` is invalid.

    Examples
    --------
    Three critical tickets: resolved after 1 h (within the 2 h target), after
    3 h (late), and not at all.

    >>> t = pd.Timestamp("2016-03-01 00:00", tz="UTC")
    >>> hour = pd.Timedelta(hours=1)
    >>> tickets = pd.DataFrame({
    ...     "priority": ["P1", "P1", "P1"],
    ...     "created_at": [t, t, t],
    ...     "resolved_at": [t + hour, t + 3 * hour, pd.NaT],
    ... })
    >>> table = resolution_by_priority(tickets).set_index("priority")
    >>> table.loc["P1", ["tickets", "resolved", "within_target"]].tolist()
    [3, 2, 1]
    >>> p1 = table.loc["P1"]
    >>> round(float(p1["share_within_target"]), 3), float(p1["median_hours"])
    (0.333, 2.0)
    >>> float(p1["share_within_target_resolved"])
    0.5
    >>> bool(pd.isna(table.loc["P2", "share_within_target"]))
    True
    """
    column = _resolution_column(resolution)
    targets = _check_targets(targets_hours)
    frame = _select(tickets, ("priority", "created_at", column), as_of, window_start)
    frame = frame.loc[frame["priority"].isin(PRIORITIES)]
    outcome = _outcomes(frame, column, as_of)
    cancelled = frame.loc[outcome == _CANCELLED, "priority"].value_counts()
    frame = frame.loc[outcome != _CANCELLED]
    outcome = outcome.loc[frame.index]

    hours = _hours_to_resolve(frame, column, as_of)
    if schedule is not None:
        hours = _business_hours(frame, column, hours.notna(), schedule, pauses)
    # A Series maps by index look-up, vectorised (a dict maps value by value).
    target = frame["priority"].map(pd.Series(targets)).astype("float64")
    resolved = hours.notna()
    unknown = outcome == _UNKNOWN
    if as_of is None:
        pending = pd.Series(False, index=frame.index)
    else:
        age_hours = _age_hours(frame, _utc(as_of), schedule, pauses)
        pending = ~resolved & ~unknown & (age_hours <= target)

    per_ticket = pd.DataFrame(
        {
            "priority": frame["priority"],
            "resolved": resolved,
            "unknown": unknown,
            "pending": pending,
            "within_target": resolved & (hours <= target),
            "hours": hours,
        }
    )
    return _summarise(per_ticket, targets, cancelled)


def resolution_outcome(
    tickets: Any,
    *,
    as_of: pd.Timestamp | None = None,
    resolution: Literal["final", "first"] = "final",
) -> pd.Series:
    """What is known of each ticket's resolution: one rule for SLAs and MTTR.

    Returns, per ticket (the frame's index), one of:

    - ``"cancelled"``: ``status`` is ``Canceled``/``Cancelled`` (ignoring case
      and blanks; :func:`~analytics.metrics.incidents.cancelled_tickets`).
      Neither resolved nor missed: left out of resolution shares and MTTR.
    - ``"resolved"``: ``resolved_at`` (``first_resolved_at`` with
      ``resolution="first"``) is known, before ``as_of`` when given.
    - ``"unknown"``: no resolution time, but the ticket ended: ``closed_at``
      is before ``as_of`` (or set, without ``as_of``), or the ticket has no
      resolution nor closing time at all while its ``status`` says it ended
      (:data:`ENDED_STATUSES`). Its time to resolve is unknown: not "still
      open". The closing time is not taken for the resolution time.
    - ``"open"``: anything else (a resolution or closing at or after
      ``as_of`` was not known then).

    ``status`` and ``closed_at`` are optional columns; without them no
    ticket is cancelled or unknown. A plain export gives each ticket's last
    status, which may be later than ``as_of``.

    Examples
    --------
    >>> t = pd.Timestamp("2026-02-20 10:00", tz="UTC")
    >>> none = pd.NaT
    >>> tickets = pd.DataFrame({
    ...     "status": ["Resolved", "Closed", "Closed", "Canceled", "In Progress"],
    ...     "created_at": [t] * 5,
    ...     "resolved_at": pd.Series([t, none, none, none, none], dtype="datetime64[us, UTC]"),
    ...     "closed_at": pd.Series([none, none, t, none, none], dtype="datetime64[us, UTC]"),
    ... })
    >>> resolution_outcome(tickets).tolist()
    ['resolved', 'unknown', 'unknown', 'cancelled', 'open']
    """
    column = _resolution_column(resolution)
    frame = _checked(tickets, ("created_at", column))
    return _outcomes(frame, column, as_of).rename("outcome")


@dataclass(frozen=True)
class TimeToResolve:
    """Mean, median and p90 time to resolve, with the number of tickets behind it.

    ``count == 0`` means no data: the times are then NaN. The tickets of the
    priorities and window that are *not* in the figures are named, by
    outcome (:func:`resolution_outcome`): ``unknown_ids`` ended without a
    resolution time, ``open_ids`` were not resolved by ``as_of``,
    ``cancelled_ids`` were cancelled. Ticket ids are the ``ticket_id`` column,
    else the frame's index labels, as text, sorted.
    """

    mean_seconds: float
    median_seconds: float
    p90_seconds: float
    count: int
    priorities: tuple[str, ...]
    definition: str = _WALL_CLOCK
    unknown_ids: tuple[str, ...] = ()
    open_ids: tuple[str, ...] = ()
    cancelled_ids: tuple[str, ...] = ()
    open_late_ids: tuple[str, ...] = ()
    """Open tickets older than ``open_past_seconds`` at ``as_of``: in the
    figures with their age so far (a lower bound), and not in ``open_ids``."""
    resolved_mean_seconds: float = math.nan
    """Mean over the resolved tickets alone (equal to ``mean_seconds`` when no
    ticket is open late); NaN when none is resolved."""

    @property
    def mean_hours(self) -> float:
        """``mean_seconds`` in hours."""
        return self.mean_seconds / _SECONDS_PER_HOUR


def mean_time_to_resolve(
    tickets: Any,
    *,
    priorities: tuple[str, ...] = ("P1", "P2"),
    as_of: pd.Timestamp | None = None,
    window_start: pd.Timestamp | None = None,
    open_past_seconds: float | None = None,
) -> TimeToResolve:
    """Mean time to resolve (MTTR) of resolved tickets of the given priorities.

    Definition: wall-clock seconds from ``created_at`` to the *final*
    ``resolved_at``, on-hold time included, over tickets resolved (before
    ``as_of``, when given) that were created in ``[window_start, as_of)``.
    The same rule as :func:`resolution_by_priority` (see
    :func:`resolution_outcome`): cancelled tickets are left out; a ticket that
    ended without ``resolved_at`` has an unknown time and is left out of the
    figures (the closing time is not taken for it); open tickets are not in
    the figures. Each of these is named in the result.

    Parameters
    ----------
    tickets
        Canonical tickets frame (pandas or polars).
    priorities
        Priorities to include.
    as_of, window_start
        As in :func:`resolution_by_priority`.
    open_past_seconds
        With ``as_of``: open tickets older than this at ``as_of`` (a target
        they have missed whatever happens next) count in the figures with
        their age so far, a lower bound of their time to resolve
        (``open_late_ids``). Without it, open tickets are left out, so a
        queue of old unresolved incidents cannot lower the figure.

    Returns
    -------
    TimeToResolve
        Mean, median and p90 in seconds, the count (0 → times are NaN) and
        the tickets left out, by reason.

    Examples
    --------
    >>> t = pd.Timestamp("2016-03-01 00:00", tz="UTC")
    >>> tickets = pd.DataFrame({
    ...     "ticket_id": ["A", "B", "C", "D"],
    ...     "priority": ["P1", "P2", "P3", "P2"],
    ...     "status": ["Resolved", "Resolved", "Resolved", "Closed"],
    ...     "created_at": [t, t, t, t],
    ...     "resolved_at": [t + pd.Timedelta(minutes=m) for m in (10, 30, 60)] + [pd.NaT],
    ... })
    >>> mttr = mean_time_to_resolve(tickets)
    >>> mttr.mean_seconds, mttr.median_seconds, mttr.count, mttr.unknown_ids
    (1200.0, 1200.0, 2, ('D',))

    An open P1 ticket 50 minutes old at ``as_of``, with a 30-minute target:

    >>> tickets.loc[4] = ["E", "P1", "In Progress", t, pd.NaT]
    >>> late = mean_time_to_resolve(tickets, as_of=t + pd.Timedelta(minutes=50),
    ...                             open_past_seconds=1800)
    >>> late.count, late.mean_seconds, late.open_late_ids, late.open_ids
    (3, 1800.0, ('E',), ())
    >>> late.resolved_mean_seconds
    1200.0
    """
    frame = _select(
        tickets, ("priority", "created_at", "resolved_at"), as_of, window_start
    )
    frame = frame.loc[frame["priority"].isin(priorities)]
    outcome = _outcomes(frame, "resolved_at", as_of)
    names = (
        frame["ticket_id"].astype("string").fillna("(no id)")
        if "ticket_id" in frame.columns
        else pd.Series(frame.index.astype(str), index=frame.index)
    )

    def named(kind: str) -> tuple[str, ...]:
        return tuple(sorted(str(name) for name in names[outcome == kind]))

    frame = frame.loc[outcome != _CANCELLED]
    seconds = _hours_to_resolve(frame, "resolved_at", as_of) * _SECONDS_PER_HOUR
    resolved_mean = float(seconds.mean()) if seconds.notna().any() else math.nan
    late = pd.Series(False, index=frame.index)
    if open_past_seconds is not None and as_of is not None:
        age = _age_hours(frame, _utc(as_of), None, None) * _SECONDS_PER_HOUR
        late = (outcome.loc[frame.index] == _OPEN) & (age > open_past_seconds)
        seconds = seconds.where(~late, age)
    open_ids = tuple(
        sorted(
            str(n)
            for n in names.loc[frame.index][(outcome.loc[frame.index] == _OPEN) & ~late]
        )
    )
    seconds = seconds.dropna()
    empty = seconds.empty
    return TimeToResolve(
        mean_seconds=math.nan if empty else float(seconds.mean()),
        median_seconds=math.nan if empty else float(seconds.median()),
        p90_seconds=math.nan if empty else float(seconds.quantile(0.9)),
        count=len(seconds),
        priorities=tuple(priorities),
        unknown_ids=named(_UNKNOWN),
        open_ids=open_ids,
        cancelled_ids=named(_CANCELLED),
        open_late_ids=tuple(sorted(str(n) for n in names.loc[frame.index][late])),
        resolved_mean_seconds=resolved_mean,
    )


def clock_definition(
    schedule: BusinessSchedule | None, *, pauses_given: bool = False
) -> str:
    """Words for the clock :func:`resolution_by_priority` used.

    Examples
    --------
    >>> clock_definition(None)
    'wall clock, on-hold time included'
    >>> clock_definition(BusinessSchedule("Europe/Berlin")).split(";")[0]
    'business hours 09:00-17:00 Mon-Fri Europe/Berlin'
    >>> clock_definition(BusinessSchedule("UTC"), pauses_given=True).split("; ")[1]
    'on-hold time excluded (paused intervals)'
    """
    if schedule is None:
        return "wall clock, on-hold time included"
    days = "".join("MTWTFSS"[d] if d in schedule.weekdays else "-" for d in range(7))
    named = "Mon-Fri" if days == "MTWTF--" else f"days {days}"
    holidays = f", {len(schedule.holidays)} holiday(s)" if schedule.holidays else ""
    paused = (
        "on-hold time excluded (paused intervals)"
        if pauses_given
        else "on-hold time not excluded (the export gives totals only, which"
        " cannot be placed in working hours)"
    )
    return (
        f"business hours {schedule.opens}-{schedule.closes} {named}"
        f" {schedule.timezone}{holidays}; {paused}"
    )


# --- helpers ---


def _resolution_column(resolution: str) -> str:
    if resolution not in _RESOLUTION_COLUMNS:
        raise ConfigError(
            f"resolution={resolution!r} is not one of"
            f" {', '.join(map(repr, _RESOLUTION_COLUMNS))}"
        )
    return _RESOLUTION_COLUMNS[resolution]


def _check_targets(targets_hours: Mapping[str, float]) -> dict[str, float]:
    """Targets for P1..P4: the given ones over the launch-plan defaults."""
    unknown = sorted(set(targets_hours) - set(PRIORITIES))
    if unknown:
        raise ConfigError(
            f"targets_hours has {unknown}; priorities are {', '.join(PRIORITIES)}"
        )
    targets = {
        p: float(t)
        for p, t in {**DEFAULT_RESOLUTION_TARGETS_HOURS, **targets_hours}.items()
    }
    bad = {p: t for p, t in targets.items() if not (math.isfinite(t) and t > 0)}
    if bad:
        raise ConfigError(f"targets_hours must be positive hours; got {bad}")
    return targets


def _utc(instant: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    if stamp.tzinfo is None:
        raise ConfigError(
            f"{instant!r} has no time zone; pass a tz-aware timestamp,"
            " e.g. pd.Timestamp('2016-06-01', tz='UTC')"
        )
    return stamp.tz_convert("UTC")


def _select(
    tickets: Any,
    columns: tuple[str, ...],
    as_of: pd.Timestamp | None,
    window_start: pd.Timestamp | None,
) -> pd.DataFrame:
    """Check the columns; keep tickets created in ``[window_start, as_of)``.

    Keeps ``columns``, and ``ticket_id``, ``status`` and ``closed_at`` when
    present (they name tickets and tell cancelled and ended ones apart).
    """
    frame = _checked(tickets, columns)

    start = None if window_start is None else _utc(window_start)
    end = None if as_of is None else _utc(as_of)
    if start is not None and end is not None and start >= end:
        raise ConfigError(f"window_start {start} is not before as_of {end}")

    keep = frame["created_at"].notna()
    if start is not None:
        keep &= frame["created_at"] >= start
    if end is not None:
        keep &= frame["created_at"] < end
    # Only the columns used: filtering copies, and a tickets frame has some
    # twenty columns.
    optional = [name for name in _OPTIONAL_COLUMNS if name in frame.columns]
    return frame.loc[keep, list(dict.fromkeys([*columns, *optional]))]


def _checked(tickets: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """The tickets as pandas, with ``columns`` present and their times tz-aware."""
    frame = to_pandas(tickets)
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise InputError(
            _FRAME,
            f"missing column(s) {', '.join(missing)}; it has"
            f" {', '.join(map(str, frame.columns))}",
            fix="pass the canonical tickets frame from a source reader",
        )
    times = [name for name in columns if name.endswith("_at")]
    if "closed_at" in frame.columns:
        times.append("closed_at")
    for name in times:
        if not isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            raise InputError(
                _FRAME,
                f"column {name!r} is {frame[name].dtype}, not tz-aware timestamps",
                fix="convert with pd.to_datetime(..., utc=True)",
            )
    return frame


def _outcomes(
    frame: pd.DataFrame, column: str, as_of: pd.Timestamp | None
) -> pd.Series:
    """:func:`resolution_outcome` of a checked frame."""
    index = frame.index
    no_time = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    resolved_at = frame[column]
    closed_at = frame["closed_at"] if "closed_at" in frame.columns else no_time
    if as_of is None:
        resolved, closed = resolved_at.notna(), closed_at.notna()
    else:
        end = _utc(as_of)
        resolved, closed = resolved_at < end, closed_at < end
    # No time at all, yet the status says the work ended: when is unknown.
    timeless = resolved_at.isna() & closed_at.isna()
    ended = (timeless & status_in(frame, ENDED_STATUSES)) | closed
    outcome = pd.Series(_OPEN, index=index, dtype=object)
    outcome[ended.to_numpy(dtype=bool)] = _UNKNOWN
    outcome[resolved.to_numpy(dtype=bool)] = _RESOLVED
    outcome[cancelled_tickets(frame).to_numpy(dtype=bool)] = _CANCELLED
    return outcome


def _hours_to_resolve(
    frame: pd.DataFrame, column: str, as_of: pd.Timestamp | None
) -> pd.Series:
    """Hours from creation to resolution; NaN if unresolved (as of ``as_of``)."""
    resolved_at = frame[column]
    if as_of is not None:
        resolved_at = resolved_at.where(resolved_at < _utc(as_of))
    seconds = (resolved_at - frame["created_at"]).dt.total_seconds()

    negative = seconds < 0
    if negative.any():
        example = frame.loc[negative].iloc[0]
        raise InputError(
            _FRAME,
            f"{int(negative.sum()):,} ticket(s) have {column} before created_at"
            f" (e.g. created {example['created_at']}, resolved {example[column]})",
            fix="load tickets with a source reader (it rejects them) or drop them",
        )
    return (seconds / _SECONDS_PER_HOUR).astype("float64")


def _business_hours(
    frame: pd.DataFrame,
    column: str,
    resolved: pd.Series,
    schedule: BusinessSchedule,
    pauses: Any,
) -> pd.Series:
    """Working hours from creation to resolution; NaN where unresolved."""
    ends = frame[column].where(resolved)
    seconds = _business_seconds(frame, ends, schedule, pauses)
    return (seconds / _SECONDS_PER_HOUR).astype("float64")


def _age_hours(
    frame: pd.DataFrame,
    as_of: pd.Timestamp,
    schedule: BusinessSchedule | None,
    pauses: Any,
) -> pd.Series:
    """Hours on the clock from creation to ``as_of`` (a ticket still open)."""
    if schedule is None:
        seconds: pd.Series = (as_of - frame["created_at"]).dt.total_seconds()
    else:
        now = pd.Series(as_of, index=frame.index)
        seconds = _business_seconds(frame, now, schedule, pauses)
    return (seconds / _SECONDS_PER_HOUR).astype("float64")


def _business_seconds(
    frame: pd.DataFrame, ends: pd.Series, schedule: BusinessSchedule, pauses: Any
) -> pd.Series:
    spans = pd.DataFrame(
        {
            "ticket_id": frame.get("ticket_id", frame.index),
            "created_at": frame["created_at"],
            "end": ends,
        },
        index=frame.index,
    )
    seconds, _ = sla_elapsed_seconds(
        spans,
        end="end",
        clock="business",
        schedule=schedule,
        pauses=pauses,
        exclude_pauses=pauses is not None,
    )
    return seconds


def _summarise(
    per_ticket: pd.DataFrame, targets: Mapping[str, float], cancelled: pd.Series
) -> pd.DataFrame:
    """Per-priority counts, shares and hour statistics; P1..P4 always present."""
    groups = per_ticket.groupby("priority")
    counts = pd.DataFrame(
        {
            "tickets": groups.size(),
            "resolved": groups["resolved"].sum(),
            "unknown": groups["unknown"].sum(),
            "pending": groups["pending"].sum(),
            "within_target": groups["within_target"].sum(),
        }
    )
    counts = counts.reindex(list(PRIORITIES), fill_value=0).astype("int64")
    hours = groups["hours"]

    table = pd.DataFrame(index=pd.Index(PRIORITIES, name="priority"))
    table["target_hours"] = [targets[p] for p in PRIORITIES]
    table["tickets"] = counts["tickets"]
    table["resolved"] = counts["resolved"]
    table["unresolved"] = counts["tickets"] - counts["resolved"]
    table["unknown"] = counts["unknown"]
    table["pending"] = counts["pending"]
    table["cancelled"] = cancelled.reindex(PRIORITIES, fill_value=0).astype("int64")
    table["within_target"] = counts["within_target"]

    decided = counts["tickets"] - counts["pending"]
    table["share_within_target"] = _ratio(counts["within_target"], decided)
    table["share_within_target_resolved"] = _ratio(
        counts["within_target"], counts["resolved"]
    )
    table["mean_hours"] = hours.mean().reindex(PRIORITIES).astype("float64")
    table["median_hours"] = hours.median().reindex(PRIORITIES).astype("float64")
    table["p90_hours"] = hours.quantile(0.9).reindex(PRIORITIES).astype("float64")
    return table.reset_index()


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator``, NaN (not 0, not inf) where the denominator is 0."""
    return (numerator / denominator.where(denominator > 0)).astype("float64")
