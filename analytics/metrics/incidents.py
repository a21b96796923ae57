"""Incident timing KPIs: MTTD, MTTA, MTTR variants, response start, critical counts.

Every measure is a wall-clock duration between two columns of the canonical
tickets frame, named in :data:`MEASURES` with its definition. The figures are
mean, median and p90 (linear interpolation between order statistics) with the
number of incidents behind them. When no incident has both timestamps the
result is NO DATA (``count`` 0, times NaN) with a note saying which timestamp
is missing: no export records impact start by default, so MTTD is usually NO
DATA unless ``impact_started_at`` was filled in (for example from postmortems).

Durations are never negative: a pair whose end is before its start is left out
and counted in ``negative_excluded`` (source readers reject such tickets, so
the count is 0 on their output).

Cancelled tickets (``status`` ``Canceled`` or ``Cancelled``, ignoring case:
:data:`CANCELLED_STATUSES`) were never restored, resolved or closed as
incidents: the measures that end at a resolution or closing leave them out and
count them in ``cancelled_excluded``, as
:func:`~analytics.metrics.resolution.resolution_outcome` does. A ticket
without the end timestamp (still open, or closed without ``resolved_at``) is
counted in ``missing``; no other timestamp stands in for it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.frames import to_pandas

__all__ = [
    "CANCELLED_STATUSES",
    "MEASURES",
    "Measure",
    "cancelled_tickets",
    "critical_incidents",
    "group_labels",
    "incident_times",
    "object_labels",
    "status_in",
    "summarise_durations",
]

PRIORITIES: Final = ("P1", "P2", "P3", "P4")
_FRAME: Final = "<tickets frame>"

CANCELLED_STATUSES: Final = frozenset({"canceled", "cancelled"})
"""Ticket statuses (stripped, case-folded) that mean cancelled: ServiceNow's
``Canceled`` (state 8), Jira's ``Cancelled``. The tickets frame keeps each
source's own status label; this is the one place that reads it as cancelled."""


@dataclass(frozen=True)
class Measure:
    """A duration between two ticket timestamps.

    ``skips_cancelled``: cancelled tickets are left out (a resolution or
    closing measure).
    """

    start: str | tuple[str, ...]
    end: str | tuple[str, ...]
    definition: str
    skips_cancelled: bool = False


MEASURES: Final[Mapping[str, Measure]] = {
    "mttd": Measure(
        "impact_started_at",
        "detected_at",
        "mean time to detect: impact_started_at → detected_at (wall clock)",
    ),
    "mtta": Measure(
        "created_at",
        "acknowledged_at",
        "mean time to acknowledge: created_at (triggered) → acknowledged_at",
    ),
    "response_initiation": Measure(
        "created_at",
        ("acknowledged_at", "first_response_at"),
        "incident response start: created_at → earliest of acknowledged_at"
        " and first_response_at",
    ),
    "mttr_restore": Measure(
        "created_at",
        "first_resolved_at",
        "mean time to restore: created_at → first_resolved_at (first resolution,"
        " before any reopening; on-hold time included; cancelled tickets left out)",
        skips_cancelled=True,
    ),
    "mttr_resolve": Measure(
        "created_at",
        "resolved_at",
        "mean time to resolve: created_at → resolved_at (final resolution;"
        " on-hold time included; cancelled tickets left out; a ticket closed"
        " without resolved_at is not measured, its closing time is not used)",
        skips_cancelled=True,
    ),
    "mttr_close": Measure(
        "created_at",
        "closed_at",
        "mean time to close: created_at → closed_at (cancelled tickets left out)",
        skips_cancelled=True,
    ),
    "mttr_from_impact": Measure(
        "impact_started_at",
        "resolved_at",
        "mean time to resolve from impact: impact_started_at → resolved_at"
        " (cancelled tickets left out)",
        skips_cancelled=True,
    ),
}
"""The incident measures, by name. ``end`` given as several columns means the
earliest of them."""

_STAT_COLUMNS: Final = ("count", "mean_seconds", "median_seconds", "p90_seconds")


def incident_times(
    tickets: Any,
    *,
    measures: Sequence[str] | None = None,
    by: str | Sequence[str] | None = "priority",
    period: str | None = None,
    window_start: pd.Timestamp | None = None,
    window_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """MTTD, MTTA, MTTR variants and response start, per group.

    Parameters
    ----------
    tickets
        Canonical tickets frame, pandas or polars.
    measures
        Names from :data:`MEASURES`; all of them by default.
    by
        Column(s) to group by (``"priority"``, ``"assignment_group"``, ...);
        ``None`` for one overall row per measure. Grouping by priority always
        lists P1..P4, empty ones as NO DATA.
    period
        A pandas frequency (``"D"``, ``"W"``, ``"MS"``) to also group by the
        period of ``created_at`` (column ``period_start``, UTC).
    window_start, window_end
        Keep tickets created in ``[window_start, window_end)`` (tz-aware).

    Returns
    -------
    pandas.DataFrame
        One row per measure and group: ``measure``, ``definition``, the group
        columns, ``count``, ``mean_seconds``, ``median_seconds``,
        ``p90_seconds``, ``missing`` (tickets lacking a needed timestamp),
        ``negative_excluded``, ``cancelled_excluded`` (cancelled tickets left
        out of a resolution or closing measure; 0 for the others),
        ``status`` (``"OK"`` or ``"NO DATA"``) and ``note``.

    Examples
    --------
    >>> t0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")
    >>> minute = pd.Timedelta(minutes=1)
    >>> tickets = pd.DataFrame({
    ...     "priority": ["P1", "P1"],
    ...     "created_at": [t0, t0],
    ...     "acknowledged_at": [t0 + 2 * minute, t0 + 4 * minute],
    ...     "impact_started_at": pd.to_datetime([None, None], utc=True),
    ...     "detected_at": [t0, t0],
    ... })
    >>> out = incident_times(tickets, measures=["mtta", "mttd"], by=None)
    >>> out[["measure", "count", "mean_seconds", "status"]].to_numpy().tolist()
    [['mtta', 2, 180.0, 'OK'], ['mttd', 0, nan, 'NO DATA']]
    """
    frame = _window(to_pandas(tickets), window_start, window_end)
    keys = _keys(frame, by, period)
    names = list(MEASURES) if measures is None else list(measures)
    unknown = [n for n in names if n not in MEASURES]
    if unknown:
        raise ConfigError(f"unknown measure(s) {unknown}; choose from {list(MEASURES)}")

    cancelled = cancelled_tickets(frame)
    none = pd.Series(False, index=frame.index)
    tables = []
    for name in names:
        measure = MEASURES[name]
        seconds, missing_columns = _durations(frame, measure)
        table = summarise_durations(
            frame,
            seconds,
            keys,
            cancelled=cancelled if measure.skips_cancelled else none,
        )
        table.insert(0, "definition", measure.definition)
        table.insert(0, "measure", name)
        table["note"] = _note(measure, missing_columns, table)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def summarise_durations(
    frame: pd.DataFrame,
    seconds: pd.Series,
    keys: Sequence[str],
    *,
    cancelled: pd.Series | None = None,
) -> pd.DataFrame:
    """Count, mean, median and p90 of ``seconds`` per group of ``keys``.

    ``seconds`` is NA where a duration cannot be measured (counted in
    ``missing``); negative values are left out and counted in
    ``negative_excluded``. With ``cancelled`` (a boolean mask of ``frame``'s
    rows), those rows are left out, in neither count nor ``missing``, and
    counted in the added column ``cancelled_excluded``. Groups with no
    duration are NO DATA (count 0, NaN). Grouping by ``priority`` lists P1..P4
    even when absent.
    """
    values = pd.to_numeric(seconds, errors="coerce").astype("float64")
    skipped = (
        pd.Series(False, index=frame.index)
        if cancelled is None
        else cancelled.astype(bool)
    )
    values = values.where(~skipped)
    negative = values < 0
    data = pd.DataFrame(
        {
            "seconds": values.where(~negative),
            "missing": values.isna() & ~skipped,
            "negative": negative,
            "cancelled": skipped,
        },
        index=frame.index,
    )
    for key in keys:
        data[key] = group_labels(frame[key])

    if keys:
        groups = data.groupby(list(keys), sort=True, dropna=False)
        stats = pd.DataFrame(
            {
                "count": groups["seconds"].count(),
                "mean_seconds": groups["seconds"].mean(),
                "median_seconds": groups["seconds"].median(),
                "p90_seconds": groups["seconds"].quantile(0.9),
                "missing": groups["missing"].sum(),
                "negative_excluded": groups["negative"].sum(),
                "cancelled_excluded": groups["cancelled"].sum(),
            }
        )
        stats.index = object_labels(stats.index)
        stats = _with_all_priorities(stats, keys).reset_index()
    else:
        column = data["seconds"]
        stats = pd.DataFrame(
            {
                "count": [int(column.count())],
                "mean_seconds": [column.mean()],
                "median_seconds": [column.median()],
                "p90_seconds": [column.quantile(0.9)],
                "missing": [int(data["missing"].sum())],
                "negative_excluded": [int(data["negative"].sum())],
                "cancelled_excluded": [int(data["cancelled"].sum())],
            }
        )
    counted = ["count", "missing", "negative_excluded", "cancelled_excluded"]
    if cancelled is None:
        stats = stats.drop(columns="cancelled_excluded")
        counted.remove("cancelled_excluded")
    for name in counted:
        stats[name] = stats[name].astype("int64")
    for name in _STAT_COLUMNS[1:]:
        stats[name] = stats[name].astype("float64")
    stats["status"] = np.where(stats["count"] > 0, "OK", "NO DATA")
    return stats


def critical_incidents(
    tickets: Any,
    *,
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
    priorities: Sequence[str] = ("P1",),
) -> pd.DataFrame:
    """Critical incidents created in a window, e.g. the first 24 h after go-live.

    Parameters
    ----------
    tickets
        Canonical tickets frame, pandas or polars.
    window_start, window_end
        The window ``[window_start, window_end)``, tz-aware.
    priorities
        Priorities that count as critical.

    Returns
    -------
    pandas.DataFrame
        One row: ``window_start``, ``window_end``, ``priorities``, ``count``,
        ``ticket_ids`` (sorted list), ``still_open`` (not resolved at
        ``window_end``) and ``definition``.

    Examples
    --------
    >>> go_live = pd.Timestamp("2026-03-02 08:00", tz="UTC")
    >>> tickets = pd.DataFrame({
    ...     "ticket_id": ["A", "B", "C"],
    ...     "priority": ["P1", "P2", "P1"],
    ...     "created_at": [go_live + pd.Timedelta(hours=h) for h in (1, 2, 30)],
    ...     "resolved_at": pd.Series([pd.NaT] * 3, dtype="datetime64[us, UTC]"),
    ... })
    >>> out = critical_incidents(tickets, window_start=go_live,
    ...                          window_end=go_live + pd.Timedelta(hours=24))
    >>> int(out.loc[0, "count"]), out.loc[0, "ticket_ids"]
    (1, ['A'])
    """
    frame = _window(to_pandas(tickets), window_start, window_end)
    chosen = frame.loc[frame["priority"].isin(list(priorities))]
    resolved = chosen.get("resolved_at")
    open_at_end = (
        chosen["created_at"].notna()
        if resolved is None
        else resolved.isna() | (resolved >= _utc(window_end))
    )
    return pd.DataFrame(
        {
            "window_start": [_utc(window_start)],
            "window_end": [_utc(window_end)],
            "priorities": [list(priorities)],
            "count": [len(chosen)],
            "ticket_ids": [sorted(map(str, chosen.get("ticket_id", chosen.index)))],
            "still_open": [int(open_at_end.sum())],
            "definition": [
                f"tickets of priority {', '.join(priorities)} created in"
                " [window_start, window_end)"
            ],
        }
    )


def group_labels(values: pd.Series) -> pd.Series:
    """A group key column: missing values become the label ``"(none)"``.

    Text stays text (grouping Arrow-backed strings is several times faster
    than grouping Python objects); :func:`object_labels` turns the grouped
    labels into objects, as every other key gives.

    Examples
    --------
    >>> group_labels(pd.Series(["P1", None], dtype="string")).tolist()
    ['P1', '(none)']
    """
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("(none)")
    return values.astype(object).where(values.notna(), "(none)")


def object_labels(index: pd.Index) -> pd.Index:
    """The group labels of a grouped result as objects, level by level."""
    if isinstance(index, pd.MultiIndex):
        levels = [
            index.get_level_values(i).astype(object) for i in range(index.nlevels)
        ]
        return pd.MultiIndex.from_arrays(levels, names=index.names)
    return index.astype(object)


# --- helpers -------------------------------------------------------------------------


def _durations(frame: pd.DataFrame, measure: Measure) -> tuple[pd.Series, list[str]]:
    """Seconds from ``measure.start`` to ``measure.end``; NA where unmeasurable."""
    needed = [*_as_tuple(measure.start), *_as_tuple(measure.end)]
    absent = [c for c in needed if c not in frame.columns]
    starts = _earliest(frame, _as_tuple(measure.start))
    ends = _earliest(frame, _as_tuple(measure.end))
    seconds = (ends - starts).dt.total_seconds()
    empty = [c for c in needed if c in frame.columns and frame[c].isna().all()]
    return seconds, absent + empty


def _earliest(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    present = [c for c in columns if c in frame.columns]
    if not present:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    for column in present:
        if not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            raise InputError(
                _FRAME,
                f"column {column!r} is {frame[column].dtype}, not tz-aware timestamps",
                fix="convert with pd.to_datetime(..., utc=True)",
            )
    stacked = pd.concat([frame[c].dt.tz_convert("UTC") for c in present], axis=1)
    earliest: pd.Series = stacked.min(axis=1, skipna=True)
    return earliest


def cancelled_tickets(frame: pd.DataFrame) -> pd.Series:
    """True for cancelled tickets (:data:`CANCELLED_STATUSES`; none without ``status``).

    Examples
    --------
    >>> cancelled_tickets(pd.DataFrame({"status": [" Canceled", "Closed", None]})).tolist()
    [True, False, False]
    """
    return status_in(frame, CANCELLED_STATUSES)


def status_in(frame: pd.DataFrame, statuses: Collection[str]) -> pd.Series:
    """True where ``status``, stripped and case-folded, is one of ``statuses``.

    False where the status is missing, and everywhere without a ``status``
    column. Each distinct status is folded once (a frame has few).
    """
    if "status" not in frame.columns:
        return pd.Series(False, index=frame.index)
    codes, distinct = pd.factorize(frame["status"])
    folded = [" ".join(str(value).split()).casefold() for value in distinct]
    hit = np.append(np.isin(folded, list(statuses)), False)
    return pd.Series(hit[codes], index=frame.index)


def _as_tuple(columns: str | tuple[str, ...]) -> tuple[str, ...]:
    return (columns,) if isinstance(columns, str) else columns


def _note(measure: Measure, missing_columns: list[str], table: pd.DataFrame) -> Any:
    if missing_columns:
        text = (
            f"NO DATA where count is 0: {', '.join(missing_columns)} absent in every"
            " ticket"
        )
        if "impact_started_at" in missing_columns:
            text += (
                "; exports do not record impact start: fill impact_started_at"
                " (e.g. from postmortems) to measure it; it is never inferred"
            )
        return np.where(table["count"] == 0, text, "")
    return np.where(
        table["count"] == 0, "no ticket in this group has both timestamps", ""
    )


def _keys(
    frame: pd.DataFrame, by: str | Sequence[str] | None, period: str | None
) -> list[str]:
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise InputError(
            _FRAME,
            f"cannot group by {missing}: no such column; it has {list(frame.columns)}",
            fix="group by a column of the canonical tickets frame",
        )
    if period is not None:
        created = frame["created_at"].dt.tz_convert("UTC").dt.tz_localize(None)
        frame["period_start"] = created.dt.to_period(
            period
        ).dt.start_time.dt.tz_localize("UTC")
        keys.append("period_start")
    return keys


def _with_all_priorities(stats: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Make P1..P4 appear when grouping by priority alone."""
    if list(keys) != ["priority"]:
        return stats
    wanted = list(PRIORITIES) + [p for p in stats.index if p not in PRIORITIES]
    filled = stats.reindex(wanted)
    for name in ("count", "missing", "negative_excluded", "cancelled_excluded"):
        filled[name] = filled[name].fillna(0)
    filled.index.name = "priority"
    return filled


def _window(
    frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    # A shallow copy: columns added later (period_start) stay off the caller's
    # frame, without copying every column of a large one.
    frame = frame.copy(deep=False)
    if "created_at" not in frame.columns:
        raise InputError(
            _FRAME,
            f"no column 'created_at'; it has {list(frame.columns)}",
            fix="pass the canonical tickets frame from a source reader",
        )
    if start is None and end is None:
        return frame
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= frame["created_at"] >= _utc(start)
    if end is not None:
        keep &= frame["created_at"] < _utc(end)
    return frame.loc[keep]


def _utc(instant: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    if stamp.tzinfo is None:
        raise ConfigError(f"{instant!r} has no time zone; pass a tz-aware timestamp")
    return stamp.tz_convert("UTC")
