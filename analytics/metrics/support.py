"""Support KPIs: first response and resolution against targets, rates, volume, backlog.

Clocks. ``clock="wall"`` counts every second from start to end; with
``exclude_pauses`` the paused time is taken off (an SLA clock). ``clock=
"business"`` counts only the working hours of a
:class:`~analytics.business_hours.BusinessSchedule` (zone, hours, holidays,
DST-correct), also minus pauses. Pauses come from a ``pauses`` frame
(``ticket_id``, ``pause_start``, ``pause_end``: exact intervals, e.g. from a
ServiceNow event log or a Jira changelog). Without it, a wall clock to
resolution subtracts the ticket's ``on_hold_seconds`` (its total on-hold time);
a business clock cannot place that time in the working hours and does not
subtract it; the ``definition`` column says which rule applied.

Targets default to the launch plan: first response 15 minutes for every
priority; resolution critical (P1) 2 h, high 8 h, medium 24 h, low 72 h.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from analytics.business_hours import BusinessSchedule, business_seconds
from analytics.errors import ConfigError, InputError
from analytics.frames import to_pandas
from analytics.metrics.incidents import (
    group_labels,
    object_labels,
    summarise_durations,
)

__all__ = [
    "DEFAULT_FIRST_RESPONSE_TARGET_MINUTES",
    "DEFAULT_RESOLUTION_TARGET_HOURS",
    "backlog_over_time",
    "first_response_times",
    "resolution_times",
    "sla_breaches",
    "sla_elapsed_seconds",
    "support_rates",
    "volume_against_history",
]

PRIORITIES: Final = ("P1", "P2", "P3", "P4")
DEFAULT_FIRST_RESPONSE_TARGET_MINUTES: Final[Mapping[str, float]] = dict.fromkeys(
    PRIORITIES, 15.0
)
"""Launch plan: first support response within 15 minutes, any priority."""
DEFAULT_RESOLUTION_TARGET_HOURS: Final[Mapping[str, float]] = {
    "P1": 2.0,
    "P2": 8.0,
    "P3": 24.0,
    "P4": 72.0,
}
"""Launch plan: critical 2 h, high 8 h, medium 24 h, low 72 h."""

Clock = Literal["wall", "business"]
_FRAME: Final = "<tickets frame>"
_RESOLUTION_ENDS: Final = ("resolved_at", "first_resolved_at", "closed_at")


def sla_elapsed_seconds(
    tickets: Any,
    *,
    start: str = "created_at",
    end: str = "resolved_at",
    clock: Clock = "wall",
    schedule: BusinessSchedule | None = None,
    pauses: Any = None,
    exclude_pauses: bool = True,
) -> tuple[pd.Series, str]:
    """Seconds on the chosen clock from ``start`` to ``end``, per ticket.

    Parameters
    ----------
    tickets
        Canonical tickets frame, pandas or polars.
    start, end
        Timestamp columns.
    clock
        ``"wall"`` or ``"business"`` (needs ``schedule``).
    schedule
        Working hours for the business clock.
    pauses
        Optional frame ``ticket_id``, ``pause_start``, ``pause_end`` (tz-aware).
    exclude_pauses
        Take paused time off the clock (SLA clock).

    Returns
    -------
    tuple
        Seconds (``float64``, NaN where a timestamp is missing or ``end`` is
        before ``start``) indexed like the frame, and the definition used.

    Examples
    --------
    A ticket opened Friday 16:00, paused 16:30 until Monday 10:00, resolved
    Monday 11:00, with 09:00-17:00 working hours: 3 business hours, 1.5 of
    them paused.

    >>> t = pd.to_datetime(["2026-03-06 16:00", "2026-03-09 11:00"], utc=True)
    >>> tickets = pd.DataFrame({"ticket_id": ["T1"], "created_at": t[:1],
    ...                         "resolved_at": t[1:]})
    >>> pauses = pd.DataFrame({"ticket_id": ["T1"],
    ...     "pause_start": pd.to_datetime(["2026-03-06 16:30"], utc=True),
    ...     "pause_end": pd.to_datetime(["2026-03-09 10:00"], utc=True)})
    >>> seconds, _ = sla_elapsed_seconds(tickets, clock="business",
    ...     schedule=BusinessSchedule("UTC"), pauses=pauses)
    >>> float(seconds.iloc[0]) / 3600
    1.5
    """
    frame = to_pandas(tickets)
    _require(frame, (start, end))
    if clock == "business" and schedule is None:
        raise ConfigError("clock='business' needs schedule=BusinessSchedule(...)")
    if clock not in ("wall", "business"):
        raise ConfigError(f"clock={clock!r} is not 'wall' or 'business'")

    begins, ends = frame[start], frame[end]
    valid = begins.notna() & ends.notna() & (ends >= begins)
    total = _clock_seconds(begins, ends, clock, schedule)
    paused, rule = _paused_seconds(
        frame, begins, ends, clock, schedule, pauses, exclude_pauses, end
    )

    seconds = (total - paused).clip(lower=0.0).where(valid)
    where = "business hours of the schedule" if clock == "business" else "wall clock"
    definition = f"{start} → {end}, {where}; {rule}"
    return seconds.astype("float64"), definition


def first_response_times(
    tickets: Any,
    *,
    targets_minutes: Mapping[str, float]
    | float = DEFAULT_FIRST_RESPONSE_TARGET_MINUTES,
    clock: Clock = "wall",
    schedule: BusinessSchedule | None = None,
    pauses: Any = None,
    by: str | Sequence[str] | None = "priority",
) -> pd.DataFrame:
    """First response time against per-priority targets.

    Definition: ``created_at → first_response_at`` on the chosen clock. Tickets
    with no ``first_response_at`` are not measured (``missing``): an export
    without that column gives NO DATA, never zero.

    Returns
    -------
    pandas.DataFrame
        Per group: ``definition``, ``count``, ``mean_seconds``,
        ``median_seconds``, ``p90_seconds``, ``missing``, ``status``,
        ``within_target``, ``breached``, ``share_within_target`` (of measured
        tickets; NaN when none).

    Examples
    --------
    >>> t0 = pd.Timestamp("2026-03-02 09:00", tz="UTC")
    >>> tickets = pd.DataFrame({
    ...     "priority": ["P1", "P1", "P2"],
    ...     "created_at": [t0] * 3,
    ...     "first_response_at": [t0 + pd.Timedelta(minutes=m) for m in (5, 20, 10)],
    ... })
    >>> out = first_response_times(tickets).set_index("priority")
    >>> out.loc["P1", ["count", "within_target", "breached"]].tolist()
    [2, 1, 1]
    """
    targets = _targets(targets_minutes, 60.0)
    seconds, definition = sla_elapsed_seconds(
        tickets,
        end="first_response_at",
        clock=clock,
        schedule=schedule,
        pauses=pauses,
    )
    return _against_targets(to_pandas(tickets), seconds, targets, by, definition)


def resolution_times(
    tickets: Any,
    *,
    targets_hours: Mapping[str, float] | float = DEFAULT_RESOLUTION_TARGET_HOURS,
    clock: Clock = "wall",
    schedule: BusinessSchedule | None = None,
    pauses: Any = None,
    exclude_pauses: bool = True,
    by: str | Sequence[str] | None = "priority",
    resolution: Literal["final", "first"] = "final",
) -> pd.DataFrame:
    """Resolution time against per-priority targets (same columns as first response).

    Definition: ``created_at → resolved_at`` (``resolution="final"``) or
    ``→ first_resolved_at`` on the chosen clock, pauses excluded unless
    ``exclude_pauses=False``. Unresolved tickets are ``missing``; see
    :func:`sla_breaches` with ``as_of`` for open tickets already past target.

    Examples
    --------
    >>> t0 = pd.Timestamp("2026-03-02 09:00", tz="UTC")
    >>> tickets = pd.DataFrame({
    ...     "priority": ["P1", "P1"],
    ...     "created_at": [t0, t0],
    ...     "resolved_at": [t0 + pd.Timedelta(hours=1), t0 + pd.Timedelta(hours=3)],
    ... })
    >>> out = resolution_times(tickets, by=None)
    >>> row = out.iloc[0]
    >>> int(row["count"]), float(row["median_seconds"]), int(row["within_target"])
    (2, 7200.0, 1)
    """
    targets = _targets(targets_hours, 3600.0)
    end = "resolved_at" if resolution == "final" else "first_resolved_at"
    seconds, definition = sla_elapsed_seconds(
        tickets,
        end=end,
        clock=clock,
        schedule=schedule,
        pauses=pauses,
        exclude_pauses=exclude_pauses,
    )
    return _against_targets(to_pandas(tickets), seconds, targets, by, definition)


def sla_breaches(
    tickets: Any,
    *,
    measure: Literal["first_response", "resolution"] = "resolution",
    targets: Mapping[str, float] | float | None = None,
    clock: Clock = "wall",
    schedule: BusinessSchedule | None = None,
    pauses: Any = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Tickets over their target, worst first.

    ``targets`` are minutes for first response and hours for resolution (the
    launch-plan defaults when None). With ``as_of``, tickets still waiting
    (no response / not resolved) whose clock at ``as_of`` is already past
    target are listed too, with ``open=True``.

    Returns
    -------
    pandas.DataFrame
        ``ticket_id``, ``priority``, ``elapsed_seconds``, ``target_seconds``,
        ``over_by_seconds``, ``open``.

    Examples
    --------
    >>> t0 = pd.Timestamp("2026-03-02 09:00", tz="UTC")
    >>> tickets = pd.DataFrame({
    ...     "ticket_id": ["A", "B"], "priority": ["P1", "P1"],
    ...     "created_at": [t0, t0],
    ...     "resolved_at": [t0 + pd.Timedelta(hours=3), pd.NaT],
    ... })
    >>> out = sla_breaches(tickets, as_of=t0 + pd.Timedelta(hours=5))
    >>> out[["ticket_id", "over_by_seconds", "open"]].to_numpy().tolist()
    [['B', 10800.0, True], ['A', 3600.0, False]]
    """
    frame = to_pandas(tickets).copy()
    if measure == "first_response":
        end, unit = "first_response_at", 60.0
        default: Mapping[str, float] = DEFAULT_FIRST_RESPONSE_TARGET_MINUTES
    else:
        end, unit, default = "resolved_at", 3600.0, DEFAULT_RESOLUTION_TARGET_HOURS
    target_by_priority = _targets(default if targets is None else targets, unit)
    _require(frame, ("created_at", end))

    is_open = frame[end].isna()
    if as_of is not None:
        stamp = _utc(as_of)
        is_open = is_open | (frame[end] > stamp)
        frame[end] = frame[end].where(~is_open, stamp)
        frame = frame.loc[frame["created_at"] < stamp]
        is_open = is_open.loc[frame.index]
    seconds, _ = sla_elapsed_seconds(
        frame, end=end, clock=clock, schedule=schedule, pauses=pauses
    )
    target = frame["priority"].map(target_by_priority).astype("float64")
    over = seconds - target
    breached = over > 0
    out = pd.DataFrame(
        {
            "ticket_id": frame.get(
                "ticket_id", pd.Series(frame.index, index=frame.index)
            ),
            "priority": frame["priority"],
            "elapsed_seconds": seconds,
            "target_seconds": target,
            "over_by_seconds": over,
            "open": is_open.astype(bool),
        }
    ).loc[breached]
    return out.sort_values(
        ["over_by_seconds", "ticket_id"], ascending=[False, True]
    ).reset_index(drop=True)


def support_rates(
    tickets: Any, *, by: str | Sequence[str] | None = "priority"
) -> pd.DataFrame:
    """Escalation, reopen and reassignment rates per group.

    Definitions: escalation rate = escalated / tickets whose ``escalated`` is
    known; reopen rate = tickets with ``reopen_count > 0`` / tickets with a
    known count; reassignment rate = tickets with ``reassignment_count > 0``
    / known, and the mean reassignment count. Unknown values are left out of
    the denominators (``*_known`` columns); a rate with no known value is NaN.

    Examples
    --------
    >>> tickets = pd.DataFrame({
    ...     "priority": ["P1", "P1", "P1", "P1"],
    ...     "escalated": pd.array([True, False, None, False], dtype="boolean"),
    ...     "reopen_count": pd.array([0, 1, 0, 0], dtype="Int64"),
    ...     "reassignment_count": pd.array([0, 2, 1, 0], dtype="Int64"),
    ... })
    >>> row = support_rates(tickets, by=None).iloc[0]
    >>> rates = row[["escalation_rate", "reopen_rate", "reassignment_rate"]]
    >>> [round(float(r), 3) for r in rates]
    [0.333, 0.25, 0.5]
    """
    frame = to_pandas(tickets)
    keys = _keys(frame, by)
    data = pd.DataFrame(index=frame.index)
    for key in keys:
        data[key] = group_labels(frame[key])
    escalated = _column(frame, "escalated", "boolean")
    reopens = _column(frame, "reopen_count", "Float64")
    reassigns = _column(frame, "reassignment_count", "Float64")
    data["tickets"] = 1
    data["escalated_known"] = escalated.notna().astype(int)
    data["escalated"] = escalated.fillna(False).astype(int)
    data["reopen_known"] = reopens.notna().astype(int)
    data["reopened"] = (reopens > 0).fillna(False).astype(int)
    data["reassignment_known"] = reassigns.notna().astype(int)
    data["reassigned"] = (reassigns > 0).fillna(False).astype(int)
    data["reassignments"] = reassigns.fillna(0).astype(float)

    sums = data.groupby(keys, sort=True).sum() if keys else data.sum().to_frame().T
    out = pd.DataFrame(index=object_labels(sums.index) if keys else sums.index)
    out["tickets"] = sums["tickets"].astype("int64")
    for name, known, hits in (
        ("escalation", "escalated_known", "escalated"),
        ("reopen", "reopen_known", "reopened"),
        ("reassignment", "reassignment_known", "reassigned"),
    ):
        out[f"{name}_known"] = sums[known].astype("int64")
        out[f"{name}_rate"] = _ratio(sums[hits], sums[known])
    out["mean_reassignments"] = _ratio(
        sums["reassignments"], sums["reassignment_known"]
    )
    out["definition"] = (
        "rate = tickets with the event / tickets where it is known (unknown left out)"
    )
    return out.reset_index(drop=not keys)


def volume_against_history(
    tickets: Any,
    *,
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
    history_start: pd.Timestamp,
    history_end: pd.Timestamp,
    freq: Literal["D", "W"] = "D",
    low_quantile: float = 0.05,
    high_quantile: float = 0.95,
    by_weekday: bool = True,
) -> pd.DataFrame:
    """Tickets created per day or week, against the range seen in history.

    Expected range: the ``low_quantile`` .. ``high_quantile`` of the counts
    per period in ``[history_start, history_end)`` (empty periods count as
    zero); for days with ``by_weekday``, of the same weekday only. Periods
    are UTC days or weeks starting Monday.

    Returns
    -------
    pandas.DataFrame
        ``period_start``, ``tickets``, ``expected_low``, ``expected_median``,
        ``expected_high``, ``history_periods``, ``outside`` ("above", "below"
        or ""); the expected columns are NaN (and ``outside`` empty) when the
        history has no period of that kind.

    Examples
    --------
    >>> days = pd.date_range("2026-01-05", periods=28, freq="D", tz="UTC")
    >>> created = days.repeat(3).append(pd.DatetimeIndex(
    ...     ["2026-02-02 10:00"] * 9, tz="UTC"))
    >>> out = volume_against_history(
    ...     pd.DataFrame({"created_at": created}),
    ...     window_start=pd.Timestamp("2026-02-02", tz="UTC"),
    ...     window_end=pd.Timestamp("2026-02-03", tz="UTC"),
    ...     history_start=pd.Timestamp("2026-01-05", tz="UTC"),
    ...     history_end=pd.Timestamp("2026-02-02", tz="UTC"))
    >>> out[["tickets", "expected_high", "outside"]].to_numpy().tolist()
    [[9, 3.0, 'above']]
    """
    frame = to_pandas(tickets)
    _require(frame, ("created_at",))
    if not 0 <= low_quantile < high_quantile <= 1:
        raise ConfigError("need 0 <= low_quantile < high_quantile <= 1")
    history = _counts(frame["created_at"], _utc(history_start), _utc(history_end), freq)
    window = _counts(frame["created_at"], _utc(window_start), _utc(window_end), freq)

    season = (lambda index: index.day_of_week) if (freq == "D" and by_weekday) else None
    rows = []
    for start, count in zip(window.index, window.to_numpy(), strict=True):
        same = history
        if season is not None:
            same = history[season(history.index) == start.weekday()]
        low, mid, high = (
            (float(same.quantile(q)) for q in (low_quantile, 0.5, high_quantile))
            if len(same)
            else (np.nan, np.nan, np.nan)
        )
        outside = "above" if count > high else "below" if count < low else ""
        rows.append((start, int(count), low, mid, high, len(same), outside))
    return pd.DataFrame(
        rows,
        columns=[
            "period_start",
            "tickets",
            "expected_low",
            "expected_median",
            "expected_high",
            "history_periods",
            "outside",
        ],
    )


def backlog_over_time(
    tickets: Any,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    freq: str = "D",
) -> pd.DataFrame:
    """Open tickets at the end of each period, with the period's inflow and outflow.

    A ticket is open at instant t when ``created_at <= t`` and it has no
    ``resolved_at`` at or before t (the final resolution: a reopened ticket
    counts as open until it is finally resolved).

    Examples
    --------
    >>> t = pd.to_datetime(["2026-03-02 10:00", "2026-03-02 11:00"], utc=True)
    >>> tickets = pd.DataFrame({"created_at": t,
    ...     "resolved_at": pd.to_datetime(["2026-03-03 09:00", None], utc=True)})
    >>> out = backlog_over_time(tickets, start=pd.Timestamp("2026-03-02", tz="UTC"),
    ...                         end=pd.Timestamp("2026-03-04", tz="UTC"))
    >>> out[["created", "resolved", "open_at_end"]].to_numpy().tolist()
    [[2, 0, 2], [0, 1, 1]]
    """
    frame = to_pandas(tickets)
    _require(frame, ("created_at", "resolved_at"))
    starts = pd.date_range(_utc(start), _utc(end), freq=freq, inclusive="left")
    edges = starts.append(pd.DatetimeIndex([_utc(end)]))
    created = np.sort(_epoch(frame["created_at"].dropna()))
    resolved = np.sort(_epoch(frame["resolved_at"].dropna()))
    at_edges = _epoch(pd.Series(edges))

    # Counts of events strictly before each edge; open = created - resolved.
    created_before = np.searchsorted(created, at_edges, side="left")
    resolved_before = np.searchsorted(resolved, at_edges, side="left")
    return pd.DataFrame(
        {
            "period_start": starts,
            "period_end": edges[1:],
            "created": np.diff(created_before),
            "resolved": np.diff(resolved_before),
            "open_at_end": (created_before - resolved_before)[1:],
        }
    )


# --- helpers -------------------------------------------------------------------------


def _clock_seconds(
    begins: pd.Series, ends: pd.Series, clock: str, schedule: BusinessSchedule | None
) -> pd.Series:
    if clock == "business" and schedule is not None:
        return business_seconds(begins, ends, schedule).astype("float64")
    return (ends - begins).dt.total_seconds().astype("float64")


def _paused_seconds(
    frame: pd.DataFrame,
    begins: pd.Series,
    ends: pd.Series,
    clock: str,
    schedule: BusinessSchedule | None,
    pauses: Any,
    exclude: bool,
    end_column: str,
) -> tuple[pd.Series, str]:
    zero = pd.Series(0.0, index=frame.index)
    if not exclude:
        return zero, "pauses included"
    if pauses is not None:
        return _interval_pauses(
            frame, begins, ends, clock, schedule, to_pandas(pauses)
        ), ("paused intervals excluded")
    has_hold = "on_hold_seconds" in frame and frame["on_hold_seconds"].notna().any()
    if not has_hold:
        return zero, "no pause data (nothing excluded)"
    if clock == "wall" and end_column in _RESOLUTION_ENDS:
        held = pd.to_numeric(frame["on_hold_seconds"], errors="coerce").fillna(0.0)
        return held.astype("float64"), "on_hold_seconds excluded"
    return zero, (
        "on-hold time NOT excluded: on_hold_seconds cannot be placed in this clock,"
        " and the readiness config has no setting for paused intervals"
        " (Python: pass pauses= with intervals)"
    )


def _interval_pauses(
    frame: pd.DataFrame,
    begins: pd.Series,
    ends: pd.Series,
    clock: str,
    schedule: BusinessSchedule | None,
    pauses: pd.DataFrame,
) -> pd.Series:
    needed = ("ticket_id", "pause_start", "pause_end")
    missing = [c for c in needed if c not in pauses.columns]
    if missing:
        raise InputError(
            "<pauses frame>",
            f"missing column(s) {missing}",
            fix="pass a frame with ticket_id, pause_start, pause_end",
        )
    _require(frame, ("ticket_id",))
    spans = pd.DataFrame(
        {
            "ticket_id": frame["ticket_id"],
            "begin": begins,
            "end": ends,
            "row": frame.index,
        }
    )
    joined = _merged_pauses(pauses).merge(spans, on="ticket_id", how="inner")
    lo = joined[["pause_start", "begin"]].max(axis=1)
    hi = joined[["pause_end", "end"]].min(axis=1)
    overlap = _clock_seconds(lo, hi.where(hi > lo, lo), clock, schedule).fillna(0.0)
    per_row = overlap.groupby(joined["row"].to_numpy()).sum()
    return per_row.reindex(frame.index, fill_value=0.0).astype("float64")


def _merged_pauses(pauses: pd.DataFrame) -> pd.DataFrame:
    """One interval per stretch of paused time per ticket.

    Intervals of one ticket that overlap or touch (two sources both marking
    the ticket on hold, a repeated changelog entry) are joined, so paused time
    is taken off the clock once, not once per interval. Rows without both
    ends, or ending before they start, pause nothing and are left out.

    Examples
    --------
    >>> t = pd.to_datetime(["2026-03-02 10:00", "2026-03-02 11:00",
    ...                     "2026-03-02 10:30", "2026-03-02 12:00"], utc=True)
    >>> p = pd.DataFrame({"ticket_id": ["T1", "T1"], "pause_start": t[[0, 2]],
    ...                   "pause_end": t[[1, 3]]})
    >>> m = _merged_pauses(p)
    >>> len(m), str(m["pause_end"].iloc[0] - m["pause_start"].iloc[0])
    (1, '0 days 02:00:00')
    """
    usable = pauses.loc[
        pauses["pause_start"].notna()
        & pauses["pause_end"].notna()
        & (pauses["pause_end"] > pauses["pause_start"]),
        ["ticket_id", "pause_start", "pause_end"],
    ].sort_values(["ticket_id", "pause_start"], kind="stable")
    if usable.empty:
        return usable.reset_index(drop=True)
    ticket = usable["ticket_id"]
    reach = usable.groupby(ticket, sort=False)["pause_end"].cummax()
    reached_before = reach.groupby(ticket, sort=False).shift()
    starts_stretch = reached_before.isna() | (usable["pause_start"] > reached_before)
    stretch = starts_stretch.cumsum().to_numpy()
    return (
        usable.groupby(stretch, sort=False)
        .agg(
            ticket_id=("ticket_id", "first"),
            pause_start=("pause_start", "min"),
            pause_end=("pause_end", "max"),
        )
        .reset_index(drop=True)
    )


def _against_targets(
    frame: pd.DataFrame,
    seconds: pd.Series,
    targets: Mapping[str, float],
    by: str | Sequence[str] | None,
    definition: str,
) -> pd.DataFrame:
    keys = _keys(frame, by)
    table = summarise_durations(frame, seconds, keys)
    target = frame["priority"].map(targets).astype("float64")
    within = (seconds <= target) & seconds.notna()
    breached = (seconds > target) & seconds.notna()
    flags = pd.DataFrame({"within_target": within, "breached": breached})
    for key in keys:
        flags[key] = frame[key].astype(object).where(frame[key].notna(), "(none)")
    if keys:
        sums = flags.groupby(keys, sort=True)[["within_target", "breached"]].sum()
        table = table.merge(sums.reset_index(), on=keys, how="left")
    else:
        table["within_target"] = int(within.sum())
        table["breached"] = int(breached.sum())
    for name in ("within_target", "breached"):
        table[name] = table[name].fillna(0).astype("int64")
    table["share_within_target"] = _ratio(table["within_target"], table["count"])
    if keys == ["priority"]:
        table["target_seconds"] = table["priority"].map(targets).astype("float64")
    table.insert(0, "definition", definition)
    return table


def _targets(
    targets: Mapping[str, float] | float, unit_seconds: float
) -> dict[str, float]:
    given = (
        {p: float(targets) for p in PRIORITIES}
        if isinstance(targets, int | float)
        else dict(targets)
    )
    bad = {p: t for p, t in given.items() if not (np.isfinite(t) and t > 0)}
    if bad:
        raise ConfigError(f"targets must be positive; got {bad}")
    return {p: float(t) * unit_seconds for p, t in given.items()}


def _keys(frame: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    _require(frame, tuple(keys))
    return keys


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            _FRAME,
            f"missing column(s) {', '.join(missing)};"
            f" it has {', '.join(map(str, frame.columns))}",
            fix="pass the canonical tickets frame from a source reader",
        )


def _column(frame: pd.DataFrame, name: str, dtype: Any) -> pd.Series:
    if name not in frame:
        empty: pd.Series = pd.Series(pd.NA, index=frame.index, dtype=dtype)
        return empty
    values: pd.Series = frame[name].astype(dtype)
    return values


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype("float64")


def _counts(
    created: pd.Series, start: pd.Timestamp, end: pd.Timestamp, freq: str
) -> pd.Series:
    """Tickets per UTC day or Monday-started week in ``[start, end)``, zeros kept."""
    inside = created[(created >= start) & (created < end)]
    starts = pd.date_range(
        _period_start(start, freq), end, freq=_STEP[freq], inclusive="left"
    )
    labels = _period_start_series(inside, freq)
    return labels.value_counts().reindex(starts, fill_value=0).sort_index()


_STEP: Final = {"D": "D", "W": "7D"}


def _period_start(instant: pd.Timestamp, freq: str) -> pd.Timestamp:
    day = instant.tz_convert("UTC").floor("D")
    return day if freq == "D" else day - pd.Timedelta(days=day.weekday())


def _period_start_series(values: pd.Series, freq: str) -> pd.Series:
    days: pd.Series = values.dt.tz_convert("UTC").dt.floor("D")
    if freq == "D":
        return days
    weeks: pd.Series = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return weeks


def _epoch(values: pd.Series) -> np.ndarray[Any, np.dtype[np.int64]]:
    return pd.DatetimeIndex(values).tz_convert("UTC").as_unit("us").asi8


def _utc(instant: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    if stamp.tzinfo is None:
        raise ConfigError(f"{instant!r} has no time zone; pass a tz-aware timestamp")
    return stamp.tz_convert("UTC")
