"""SLO windows: rolling, and calendar periods (day to quarter) in a time zone.

A calendar window is the local period that contains a given instant, from
local midnight of its first day to local midnight after its last day, in an
IANA zone; it is returned as UTC instants. Its length follows the zone's
clock changes: a day is 23 or 25 hours on a DST change, March in Berlin is
743 hours. Weeks start on Monday (ISO 8601). A local midnight that does not
exist (a few zones change their clocks at midnight) moves to the first valid
instant after it; one that exists twice takes the earlier.

The time budget of a window is ``(1 − target) × its length``, the same as
:func:`analytics.metrics.slo.error_budget_seconds`.

Examples
--------
>>> start, end = calendar_window("day", "2024-03-31T12:00:00Z", "Europe/Berlin")
>>> (end - start) / pd.Timedelta(hours=1)
23.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from analytics.errors import ConfigError
from analytics.metrics.slo import error_budget_seconds

__all__ = [
    "CalendarUnit",
    "SLOWindow",
    "calendar_window",
    "calendar_windows",
    "rolling_window",
    "time_budget_seconds",
]

CalendarUnit = Literal["day", "week", "month", "quarter"]
TimeLike = str | datetime | pd.Timestamp

_UNITS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class SLOWindow:
    """A window ``[start, end)`` in UTC, with how it was defined."""

    start: pd.Timestamp
    end: pd.Timestamp
    kind: str
    timezone: str = "UTC"

    @property
    def seconds(self) -> float:
        """Length in seconds (a DST day is 82,800 or 90,000)."""
        return float((self.end - self.start).total_seconds())


def rolling_window(end: TimeLike, length: str | pd.Timedelta) -> SLOWindow:
    """The rolling window of ``length`` that ends at ``end``.

    Examples
    --------
    >>> w = rolling_window("2024-05-31T00:00:00Z", "30D")
    >>> str(w.start), w.seconds
    ('2024-05-01 00:00:00+00:00', 2592000.0)
    """
    last = _utc(end, "end")
    span = pd.Timedelta(length)
    if span <= pd.Timedelta(0):
        raise ConfigError(f"window length must be positive, got {length!r}")
    return SLOWindow(last - span, last, f"rolling {length}")


def calendar_window(
    unit: CalendarUnit, at: TimeLike, timezone: str = "UTC"
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start and end of the local calendar ``unit`` containing ``at``.

    Examples
    --------
    >>> start, end = calendar_window("month", "2024-03-15T00:00:00Z", "Europe/Berlin")
    >>> str(start), str(end), (end - start) / pd.Timedelta(hours=1)
    ('2024-02-29 23:00:00+00:00', '2024-03-31 22:00:00+00:00', 743.0)
    """
    zone = _zone(timezone)
    local = _utc(at, "at").tz_convert(zone)
    first_day = _period_start(unit, local.tz_localize(None).normalize())
    next_day = _period_start(unit, first_day + _period(unit))
    return _local_midnight(first_day, zone), _local_midnight(next_day, zone)


def calendar_windows(
    unit: CalendarUnit, start: TimeLike, end: TimeLike, timezone: str = "UTC"
) -> list[SLOWindow]:
    """Every calendar window that overlaps ``[start, end)``, in order.

    Examples
    --------
    >>> [w.seconds / 3600 for w in calendar_windows(
    ...     "day", "2024-10-26T12:00Z", "2024-10-28T12:00Z", "Europe/Berlin")]
    [24.0, 25.0, 24.0]
    """
    first, last = _utc(start, "start"), _utc(end, "end")
    if last <= first:
        raise ConfigError(f"end {last} must be after start {first}")
    windows = []
    cursor = first
    while cursor < last:
        window_start, window_end = calendar_window(unit, cursor, timezone)
        windows.append(SLOWindow(window_start, window_end, unit, timezone))
        cursor = window_end
    return windows


def time_budget_seconds(target: float, window: SLOWindow | float) -> float:
    """Allowed bad time in a window: ``(1 − target) × length``.

    Examples
    --------
    >>> week = SLOWindow(pd.Timestamp("2024-05-06", tz="UTC"),
    ...                  pd.Timestamp("2024-05-13", tz="UTC"), "week")
    >>> round(time_budget_seconds(0.9995, week) / 60, 6)
    5.04
    """
    seconds = window.seconds if isinstance(window, SLOWindow) else float(window)
    return error_budget_seconds(target, seconds)


def _period_start(unit: str, day: pd.Timestamp) -> pd.Timestamp:
    if unit == "day":
        return day
    if unit == "week":
        return day - pd.Timedelta(days=day.day_of_week)
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    raise ConfigError(f"calendar unit {unit!r} is not one of {', '.join(_UNITS)}")


def _period(unit: str) -> pd.DateOffset:
    sizes = {
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(weeks=1),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
    }
    if unit not in sizes:
        raise ConfigError(f"calendar unit {unit!r} is not one of {', '.join(_UNITS)}")
    return sizes[unit]


def _local_midnight(day: pd.Timestamp, zone: ZoneInfo) -> pd.Timestamp:
    local = day.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return local.tz_convert("UTC")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"time zone {name!r} is not an IANA zone name such as 'Europe/Berlin'"
        ) from exc


def _utc(value: TimeLike, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} {value!r} is not a date and time") from exc
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise ConfigError(f"{name} {value!r} has no time zone, e.g. add 'Z' for UTC")
    return stamp.tz_convert("UTC")
