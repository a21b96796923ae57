"""Rolling and calendar SLO windows in IANA zones, and time budgets."""

from __future__ import annotations

import doctest
import itertools

import pandas as pd
import pytest

from analytics import slo_windows
from analytics.errors import ConfigError
from analytics.metrics.slo import error_budget_seconds
from analytics.slo_windows import (
    SLOWindow,
    calendar_window,
    calendar_windows,
    rolling_window,
    time_budget_seconds,
)

HOUR = pd.Timedelta(hours=1)


@pytest.mark.parametrize(
    ("at", "hours"),
    [
        ("2024-03-31T12:00:00Z", 23),  # spring forward
        ("2024-10-27T12:00:00Z", 25),  # fall back
        ("2024-06-01T12:00:00Z", 24),
    ],
)
def test_dst_days_in_berlin(at, hours):
    start, end = calendar_window("day", at, "Europe/Berlin")
    assert (end - start) / HOUR == hours


def test_new_york_changes_on_other_days():
    start, end = calendar_window("day", "2024-03-10T12:00:00Z", "America/New_York")
    assert (end - start) / HOUR == 23
    assert str(start) == "2024-03-10 05:00:00+00:00"


def test_month_week_quarter_in_berlin():
    start, end = calendar_window("month", "2024-03-01T00:30:00+01:00", "Europe/Berlin")
    assert (str(start), (end - start) / HOUR) == ("2024-02-29 23:00:00+00:00", 743)

    start, end = calendar_window("week", "2024-03-27T10:00:00Z", "Europe/Berlin")
    assert str(start) == "2024-03-24 23:00:00+00:00"  # Monday 25 March, local midnight
    assert (end - start) / HOUR == 7 * 24 - 1

    start, end = calendar_window("quarter", "2024-02-10T10:00:00Z", "Europe/Berlin")
    assert str(start) == "2023-12-31 23:00:00+00:00"
    assert str(end) == "2024-03-31 22:00:00+00:00"
    assert (end - start) / HOUR == 91 * 24 - 1


def test_an_instant_belongs_to_its_local_day():
    # 23:30 UTC on 31 May is already 1 June in Berlin.
    start, _ = calendar_window("month", "2024-05-31T23:30:00Z", "Europe/Berlin")
    assert str(start) == "2024-05-31 22:00:00+00:00"


def test_calendar_windows_tile_a_range():
    windows = calendar_windows("month", "2024-01-15T00:00Z", "2024-04-02T00:00Z", "UTC")
    assert [w.start.month for w in windows] == [1, 2, 3, 4]
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))


def test_rolling_window():
    window = rolling_window("2024-05-31T00:00:00Z", "28D")
    assert window.seconds == 28 * 86400
    assert str(window.start) == "2024-05-03 00:00:00+00:00"


def test_time_budgets_match_the_oracles():
    assert time_budget_seconds(0.999, 30 * 86400) / 60 == pytest.approx(43.2)
    assert time_budget_seconds(
        0.99, rolling_window("2024-05-29T00:00Z", "28D")
    ) / 60 == (pytest.approx(403.2))
    week = SLOWindow(*calendar_window("week", "2024-05-08T00:00Z"), kind="week")
    assert time_budget_seconds(0.9995, week) / 60 == pytest.approx(5.04)
    dst_day = SLOWindow(
        *calendar_window("day", "2024-03-31T12:00Z", "Europe/Berlin"), "day"
    )
    assert time_budget_seconds(0.999, dst_day) == error_budget_seconds(0.999, 23 * 3600)


def test_bad_zone_and_naive_time():
    with pytest.raises(ConfigError, match="IANA"):
        calendar_window("day", "2024-01-01T00:00Z", "Mars/Olympus")
    with pytest.raises(ConfigError, match="time zone"):
        calendar_window("day", "2024-01-01T00:00", "UTC")
    with pytest.raises(ConfigError, match="calendar unit"):
        calendar_window("fortnight", "2024-01-01T00:00Z")  # type: ignore[arg-type]


def test_doctests_run():
    failures, tried = doctest.testmod(slo_windows)
    assert tried > 0
    assert failures == 0
