"""Business-hours clock: weekends, holidays and daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.business_hours import BusinessSchedule, business_seconds, parse_holidays
from analytics.errors import ConfigError

HOUR = 3600.0


def _between(schedule: BusinessSchedule, start: str, end: str, zone: str) -> float:
    return schedule.seconds_between(
        pd.Timestamp(start, tz=zone), pd.Timestamp(end, tz=zone)
    )


def test_spring_forward_day_has_23_hours_on_a_24x7_clock() -> None:
    # Berlin moves 02:00 → 03:00 on Sunday 29 March 2026.
    always = BusinessSchedule.always("Europe/Berlin")
    assert _between(
        always, "2026-03-28 12:00", "2026-03-29 12:00", "Europe/Berlin"
    ) == (23 * HOUR)


def test_dst_change_inside_a_working_window() -> None:
    # Window 00:00-06:00 local every day: on 29 March it lasts 5 h, on 25 October 7 h.
    night = BusinessSchedule("Europe/Berlin", "00:00", "06:00", frozenset(range(7)))
    spring = _between(night, "2026-03-29 00:00", "2026-03-29 12:00", "Europe/Berlin")
    autumn = _between(night, "2026-10-25 00:00", "2026-10-25 12:00", "Europe/Berlin")
    assert (spring, autumn) == (5 * HOUR, 7 * HOUR)


def test_opening_hours_stay_local_across_a_dst_weekend() -> None:
    # New York springs forward on Sunday 8 March 2026: 09:00 on Monday is 13:00 UTC
    # (it was 14:00 UTC the Friday before). Fri 16:00 → Mon 10:00 is 1 h + 1 h.
    office = BusinessSchedule("America/New_York")
    start = pd.Timestamp("2026-03-06 21:00", tz="UTC")  # 16:00 EST
    end = pd.Timestamp("2026-03-09 14:00", tz="UTC")  # 10:00 EDT
    assert office.seconds_between(start, end) == 2 * HOUR


def test_holidays_and_weekends_are_skipped() -> None:
    office = BusinessSchedule(
        "UTC", holidays=parse_holidays(["2026-04-03"])
    )  # Good Friday
    # Thu 2 April 16:00 → Mon 6 April 10:00: Thu 1 h + Mon 1 h.
    assert _between(office, "2026-04-02 16:00", "2026-04-06 10:00", "UTC") == 2 * HOUR


def test_missing_or_reversed_pairs_are_na_never_negative() -> None:
    office = BusinessSchedule("UTC")
    starts = pd.Series(
        pd.to_datetime(["2026-03-02 10:00", None, "2026-03-02 12:00"], utc=True)
    )
    ends = pd.Series(
        pd.to_datetime(
            ["2026-03-02 11:00", "2026-03-02 11:00", "2026-03-02 10:00"], utc=True
        )
    )
    out = business_seconds(starts, ends, office)
    assert out.iloc[0] == HOUR
    assert out.iloc[1:].isna().all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opens": "17:00", "closes": "09:00"},
        {"opens": "9"},
        {"timezone": "Mars/Base"},
        {"weekdays": frozenset({7})},
    ],
)
def test_invalid_schedules_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        BusinessSchedule(**kwargs)  # type: ignore[arg-type]


instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)
).map(lambda d: pd.Timestamp(d, tz="UTC"))


@settings(max_examples=60, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_business_time_is_additive_bounded_and_non_negative(
    a: pd.Timestamp, b: pd.Timestamp, c: pd.Timestamp
) -> None:
    first, middle, last = sorted([a, b, c])
    office = BusinessSchedule("Europe/Berlin", "08:30", "17:15")
    whole = office.seconds_between(first, last)
    parts = office.seconds_between(first, middle) + office.seconds_between(middle, last)
    assert whole == pytest.approx(parts, abs=1e-6)
    assert 0 <= whole <= (last - first).total_seconds() + 1e-6


def test_holidays_are_iso_only_never_guessed() -> None:
    import datetime as dt

    from analytics.errors import ConfigError

    assert parse_holidays(["2026-04-03", dt.date(2026, 4, 6)]) == {
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),
    }
    for text in ("03/04/2026", "2026/04/03", "3 April 2026", "20260403"):
        with pytest.raises(ConfigError, match="not an ISO date"):
            parse_holidays([text])


def test_a_schedule_without_working_days_is_refused() -> None:
    from analytics.errors import ConfigError

    with pytest.raises(ConfigError, match="weekdays is empty"):
        BusinessSchedule("UTC", weekdays=frozenset())
