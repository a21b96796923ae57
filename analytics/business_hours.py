"""Business-hours clocks: working seconds between two UTC instants.

A :class:`BusinessSchedule` says when the support clock runs: opening and
closing time of day, the working weekdays, holidays, all in one IANA zone.
Each working day's window is placed in the zone *on that date*, so a day with
a daylight-saving change is 23 or 25 hours long when the window spans the
change, and a 09:00-17:00 window stays at 09:00 local time all year.

The computation is vectorised: the working windows of every day in range are
laid out once in UTC and a cumulative sum turns "business seconds up to t"
into a lookup, so ``business(start, end) = B(end) - B(start)``.

Local opening or closing times that do not exist (spring-forward gap) move
forward to the first valid instant; ones that happen twice (fall-back) take
the first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.errors import ConfigError

__all__ = ["BusinessSchedule", "business_seconds", "parse_holidays"]

_DAY_SECONDS = 86_400


@dataclass(frozen=True)
class BusinessSchedule:
    """Working hours in a zone, with working weekdays and holidays.

    Parameters
    ----------
    timezone
        IANA zone the hours are in, e.g. ``"Europe/Berlin"``.
    opens, closes
        Local time of day as ``"HH:MM"``; ``closes="24:00"`` means midnight at
        the end of the day. ``opens="00:00", closes="24:00"`` with all seven
        weekdays is a 24×7 clock (still DST-aware: a day can be 23 h long).
    weekdays
        Working weekdays, Monday = 0 .. Sunday = 6.
    holidays
        Local dates with no working hours.

    Examples
    --------
    >>> s = BusinessSchedule("Europe/Berlin", opens="09:00", closes="17:00")
    >>> fri = pd.Timestamp("2026-03-27 15:00", tz="Europe/Berlin")
    >>> mon = pd.Timestamp("2026-03-30 10:00", tz="Europe/Berlin")
    >>> s.seconds_between(fri, mon) / 3600
    3.0
    """

    timezone: str = "UTC"
    opens: str = "09:00"
    closes: str = "17:00"
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        open_s, close_s = _clock(self.opens), _clock(self.closes)
        if not 0 <= open_s < close_s <= _DAY_SECONDS:
            raise ConfigError(
                f"business hours {self.opens}-{self.closes}: opening must be before"
                ' closing within one day (use closes: "24:00" for midnight;'
                " closes='24:00' in Python)"
            )
        if not set(self.weekdays) <= set(range(7)):
            raise ConfigError(
                f"weekdays {sorted(self.weekdays)} must be 0 (Mon)..6 (Sun)"
            )
        if not self.weekdays:
            raise ConfigError(
                "weekdays is empty: the clock would never run, so no ticket could be"
                " timed. Fix: list the working days, e.g. [Mon, Tue, Wed, Thu, Fri]"
            )
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        try:
            pd.Timestamp("2000-01-01", tz=self.timezone)
        except Exception as error:  # pandas raises several kinds for a bad zone
            raise ConfigError(
                f"timezone {self.timezone!r} is not an IANA zone"
            ) from error

    @classmethod
    def always(cls, timezone: str = "UTC") -> BusinessSchedule:
        """A 24×7 clock in ``timezone``."""
        return cls(timezone, "00:00", "24:00", frozenset(range(7)))

    def seconds_between(self, start: pd.Timestamp, end: pd.Timestamp) -> float:
        """Business seconds in ``[start, end)`` for one pair of tz-aware instants."""
        starts = pd.Series([start]).dt.tz_convert("UTC")
        ends = pd.Series([end]).dt.tz_convert("UTC")
        return float(business_seconds(starts, ends, self).iloc[0])

    def windows(self, first: dt.date, last: dt.date) -> pd.DataFrame:
        """Working windows (``start``, ``end`` in UTC) of the local dates in range."""
        return _working_windows(self, first, last)

    def _place(self, days: pd.DatetimeIndex) -> pd.DataFrame:
        n = len(days)
        opens = days + pd.Timedelta(seconds=_clock(self.opens))
        closes = days + pd.Timedelta(seconds=_clock(self.closes))
        first = np.ones(n, dtype=bool)
        start = opens.tz_localize(
            self.timezone, ambiguous=first, nonexistent="shift_forward"
        )
        end = closes.tz_localize(
            self.timezone, ambiguous=first, nonexistent="shift_forward"
        )
        return pd.DataFrame(
            {"start": start.tz_convert("UTC"), "end": end.tz_convert("UTC")}
        )


def business_seconds(starts: Any, ends: Any, schedule: BusinessSchedule) -> pd.Series:
    """Business seconds between pairs of UTC instants, per row.

    Parameters
    ----------
    starts, ends
        tz-aware timestamps (Series or array-like of equal length). A pair
        with a missing side, or ``end < start``, gives NA: never a negative or
        invented duration.
    schedule
        The working hours.

    Returns
    -------
    pandas.Series
        ``Float64`` seconds, indexed like ``starts``.

    Examples
    --------
    A 24×7 clock in Berlin across the spring-forward night counts 23 h for a
    day that a naive "24 h per day" rule would count as 24.

    >>> s = BusinessSchedule.always("Europe/Berlin")
    >>> start = pd.Series(pd.to_datetime(["2026-03-28 11:00"], utc=True))
    >>> end = pd.Series(pd.to_datetime(["2026-03-29 10:00"], utc=True))
    >>> float(business_seconds(start, end, s).iloc[0]) / 3600
    23.0
    """
    start = pd.Series(starts).reset_index(drop=True)
    end = pd.Series(ends).reset_index(drop=True)
    index = starts.index if isinstance(starts, pd.Series) else start.index
    valid = start.notna() & end.notna() & (end >= start)
    out = pd.Series(pd.NA, index=range(len(start)), dtype="Float64")
    if not valid.any():
        return out.set_axis(index)

    lo = min(start[valid].min(), end[valid].min()).tz_convert(schedule.timezone)
    hi = max(start[valid].max(), end[valid].max()).tz_convert(schedule.timezone)
    windows = _working_windows(
        schedule, lo.date() - dt.timedelta(days=1), hi.date() + dt.timedelta(days=1)
    )
    cumulative = _cumulative(windows)
    elapsed = cumulative(end[valid]) - cumulative(start[valid])
    out[valid] = elapsed
    return out.set_axis(index)


def _working_windows(
    schedule: BusinessSchedule, first: dt.date, last: dt.date
) -> pd.DataFrame:
    days = pd.date_range(first, last, freq="D")
    holiday = np.array([day in schedule.holidays for day in days.date], dtype=bool)
    keep = days.day_of_week.isin(sorted(schedule.weekdays)) & ~holiday
    return schedule._place(days[keep])


def _cumulative(windows: pd.DataFrame) -> Any:
    """Function t ↦ business seconds from the first window up to t."""
    starts = _epoch_seconds(windows["start"])
    ends = _epoch_seconds(windows["end"])
    lengths = ends - starts
    before = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])

    def at(instants: pd.Series) -> np.ndarray[Any, np.dtype[np.float64]]:
        t = _epoch_seconds(instants)
        i = np.searchsorted(starts, t, side="right") - 1
        inside = np.clip(t - starts[np.maximum(i, 0)], 0.0, lengths[np.maximum(i, 0)])
        return np.where(i >= 0, before[np.maximum(i, 0)] + inside, 0.0)

    return at


def _epoch_seconds(values: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    stamps = pd.DatetimeIndex(values).tz_convert("UTC").as_unit("us")
    return stamps.asi8.astype(np.float64) / 1e6


def _clock(text: str) -> int:
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError as error:
        raise ConfigError(f"time of day {text!r} is not HH:MM") from error
    if not (0 <= minutes < 60 and 0 <= hours <= 24) or (hours == 24 and minutes):
        raise ConfigError(f"time of day {text!r} is not between 00:00 and 24:00")
    return hours * 3600 + minutes * 60


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_holidays(dates: Iterable[str | dt.date]) -> frozenset[dt.date]:
    """Holiday dates from ISO ``YYYY-MM-DD`` text or dates, for :class:`BusinessSchedule`.

    Only ISO text is read: ``03/04/2026`` is 3 April in one country and 4 March
    in another, so it is refused rather than guessed. A date-time is refused
    too (a holiday is a whole local day).

    Raises
    ------
    ConfigError
        A value that is not an ISO date, naming it and the fix.

    Examples
    --------
    >>> sorted(parse_holidays(["2026-12-25", dt.date(2026, 12, 26)]))
    [datetime.date(2026, 12, 25), datetime.date(2026, 12, 26)]
    >>> parse_holidays(["03/04/2026"])
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: holiday '03/04/2026' is not an ISO date (YYYY-MM-DD): only ISO is read, so that a date such as 03/04/2026 is never guessed as 3 April or 4 March. Fix: write it as YYYY-MM-DD, e.g. 2026-04-03 for 3 April
    """
    out = set()
    for value in dates:
        if isinstance(value, dt.datetime):
            raise ConfigError(
                f"holiday {value.isoformat()!r} is a date and time; a holiday is a"
                f" whole day. Fix: write the date alone, e.g. {value.date().isoformat()}"
            )
        if isinstance(value, dt.date):
            out.add(value)
            continue
        text = str(value).strip()
        day = None
        if _ISO_DATE.fullmatch(text):
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                day = None
            if day is None:
                raise ConfigError(
                    f"holiday {value!r} is not a date of the calendar."
                    " Fix: write a real date as YYYY-MM-DD, e.g. 2026-12-25"
                )
        if day is None:
            raise ConfigError(
                f"holiday {value!r} is not an ISO date (YYYY-MM-DD): only ISO is read,"
                " so that a date such as 03/04/2026 is never guessed as 3 April or"
                " 4 March. Fix: write it as YYYY-MM-DD, e.g. 2026-04-03 for 3 April"
            )
        out.add(day)
    return frozenset(out)
