"""Adoption metrics: hand-computed cases, the real access log, pandas = polars, properties."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import ConfigError, InputError
from analytics.metrics import adoption
from analytics.sources.activity import read_access_log

ROOT = Path(__file__).resolve().parents[1]
APACHE_LOG = ROOT / "data" / "real" / "apache_access_2015-05.log.gz"


def _events(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime(
                [r[1] for r in rows], utc=True, format="ISO8601"
            ),
            "feature": pd.Series([r[2] for r in rows], dtype="string"),
        }
    )


# Europe/Berlin changes to summer time on 2026-03-29 (that local day has 23 hours);
# u1's last two events are 1 hour apart in UTC but on either side of a local month end.
SMALL = _events(
    [
        ("u1", "2026-03-28T23:30:00Z", "search"),  # Berlin 03-29 00:30 (CET)
        ("u2", "2026-03-29T12:00:00Z", "export"),  # Berlin 03-29 14:00 (CEST)
        ("u1", "2026-03-31T21:30:00Z", "search"),  # Berlin 03-31 23:30
        ("u1", "2026-03-31T22:30:00Z", "share"),  # Berlin 04-01 00:30: next month
        ("u3", "2026-04-01T10:00:00Z", "search"),
    ]
)


# --- DAU / WAU / MAU / stickiness -----------------------------------------------------


def test_daily_active_users_in_local_days_across_dst_and_month_end() -> None:
    series = adoption.active_users(
        SMALL, timezone="Europe/Berlin", wau_days=3, mau_days=4
    )

    assert series["date"].dt.strftime("%m-%d").tolist() == [
        "03-29",
        "03-30",
        "03-31",
        "04-01",
    ]
    assert series["events"].tolist() == [2, 0, 1, 2]
    assert series["dau"].tolist() == [2, 0, 1, 2]
    # WAU (3 days): 29-31 {u1, u2}; 30-01 {u1, u3}. MAU (4 days): 29-01 {u1, u2, u3}.
    assert series["wau"].tolist()[2:] == [2, 2]
    assert series["wau"].isna().tolist() == [True, True, False, False]
    assert series["mau"].isna().tolist() == [True, True, True, False]
    assert series["mau"].iloc[3] == 3
    assert series["stickiness"].iloc[3] == pytest.approx(2 / 3)
    assert series["stickiness"].iloc[:3].isna().all()


def test_daily_active_users_in_utc_days_differ() -> None:
    series = adoption.active_users(SMALL, wau_days=3, mau_days=4, allow_partial=True)

    assert series["date"].dt.strftime("%m-%d").tolist() == [
        "03-28",
        "03-29",
        "03-30",
        "03-31",
        "04-01",
    ]
    assert series["dau"].tolist() == [1, 1, 0, 1, 1]
    assert series["wau"].tolist() == [1, 2, 2, 2, 2]
    assert series["mau"].tolist() == [1, 2, 2, 2, 3]
    assert series["mau_complete"].tolist() == [False, False, False, True, True]


def test_active_users_over_a_given_span_counts_zero_days() -> None:
    series = adoption.active_users(
        SMALL, start="2026-03-27", end="2026-04-02", mau_days=2, wau_days=1
    )
    assert series["dau"].tolist() == [0, 1, 1, 0, 1, 1, 0]
    assert series["mau"].tolist()[1:] == [1, 2, 1, 1, 2, 1]
    assert series["stickiness"].tolist()[1:4] == [1.0, 0.5, 0.0]


def test_empty_activity_needs_a_span() -> None:
    empty = SMALL.iloc[0:0]
    with pytest.raises(InputError, match="no events"):
        adoption.active_users(empty)
    series = adoption.active_users(
        empty, start="2026-03-01", end="2026-03-02", mau_days=1
    )
    assert series["dau"].tolist() == [0, 0]
    assert series["stickiness"].isna().all()  # 0 / 0 is unknown, not 100 %


def test_naive_timestamps_are_refused() -> None:
    naive = SMALL.assign(timestamp=SMALL["timestamp"].dt.tz_localize(None))
    with pytest.raises(InputError, match="tz-aware"):
        adoption.active_users(naive)


# --- licences -------------------------------------------------------------------------

SEATS = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-03-30 00:00", "2026-04-01 12:00"], utc=True),
        "licensed_users": [4, 2],
    }
)


def test_licensed_adoption_uses_the_count_in_force_each_day() -> None:
    table = adoption.licensed_adoption(SMALL, SEATS, mau_days=2, allow_partial=True)

    assert table["licensed_users"].tolist() == [pd.NA, pd.NA, 4, 4, 2]
    # MAU (2 days) over 03-28 .. 04-01 (UTC days): {u1}, {u1,u2}, {u2}, {u1}, {u1,u3}.
    assert table["mau"].tolist() == [1, 2, 1, 1, 2]
    ratios = table["adoption_ratio"].tolist()
    assert all(math.isnan(r) for r in ratios[:2])  # no licence in force yet
    assert ratios[2:] == [0.25, 0.25, 1.0]


def test_licensed_users_at_moments() -> None:
    at = pd.Series(pd.to_datetime(["2026-03-30 00:00", "2026-03-30 00:01"], utc=True))
    assert adoption.licensed_users_at(SEATS, at).tolist() == [pd.NA, 4]


def test_adoption_in_window_and_no_data() -> None:
    window = adoption.adoption_in_window(
        SMALL, SEATS, window_start="2026-03-29", window_end="2026-04-01"
    )
    assert (window.active_users, window.events, window.licensed_users) == (2, 3, 4)
    assert window.adoption_ratio == 0.5

    unlicensed = adoption.adoption_in_window(
        SMALL, None, window_start="2026-03-29", window_end="2026-04-01"
    )
    assert unlicensed.licensed_users is None and math.isnan(unlicensed.adoption_ratio)
    zero = SEATS.assign(licensed_users=[0, 0])
    assert math.isnan(
        adoption.adoption_in_window(
            SMALL, zero, window_start="2026-03-29", window_end="2026-04-01"
        ).adoption_ratio
    )


def test_first_week_adoption_complete_and_partial() -> None:
    seats = pd.DataFrame(
        {"date": pd.to_datetime(["2026-01-01"], utc=True), "licensed_users": [4]}
    )
    week = adoption.first_week_adoption(
        SMALL, seats, go_live="2026-03-29 00:00", days=3
    )
    # [03-29 00:00, 04-01 00:00) UTC: u2, u1.
    assert (week.active_users, week.licensed_users, week.adoption_ratio) == (2, 4, 0.5)
    assert week.window_complete

    partial = adoption.first_week_adoption(
        SMALL, seats, go_live="2026-03-29 00:00", days=7, as_of="2026-03-30 00:00"
    )
    assert (partial.active_users, partial.window_complete) == (1, False)
    assert partial.window_end == pd.Timestamp("2026-04-05", tz="UTC")


# --- features -------------------------------------------------------------------------


def test_feature_utilisation_window() -> None:
    usage = adoption.feature_utilisation(
        SMALL,
        ["search", "export", "share", "alerts", "search"],
        window_start="2026-03-30",
        window_end="2026-04-02",
    )
    assert (usage.features_total, usage.features_used) == (4, 2)
    assert usage.used == ("search", "share")
    assert usage.unused == ("alerts", "export")
    assert usage.utilisation_ratio == 0.5
    assert usage.events == 3


def test_feature_list_must_be_given() -> None:
    with pytest.raises(ConfigError, match="empty"):
        adoption.feature_utilisation(
            SMALL, [], window_start="2026-03-01", window_end="2026-04-01"
        )
    with pytest.raises(ConfigError, match="list"):
        adoption.feature_utilisation(
            SMALL, "search", window_start="2026-03-01", window_end="2026-04-01"
        )


def test_weekly_feature_utilisation_marks_partial_weeks() -> None:
    weekly = adoption.weekly_feature_utilisation(
        SMALL,
        ["search", "export", "share", "alerts"],
        start="2026-03-23",
        end="2026-04-02",
    )
    # Week of Mon 03-23: u1 search (03-28), u2 export (03-29) -> 2 of 4.
    # Week of Mon 03-30: search, share -> 2 of 4, but the data end on Thursday 04-02.
    assert weekly["week_start"].dt.strftime("%m-%d").tolist() == ["03-23", "03-30"]
    assert weekly["features_used"].tolist() == [2, 2]
    assert weekly["events"].tolist() == [2, 3]
    assert weekly["week_complete"].tolist() == [True, False]
    assert weekly["utilisation_ratio"].iloc[0] == 0.5
    assert math.isnan(weekly["utilisation_ratio"].iloc[1])


# --- time to first value --------------------------------------------------------------

JOURNEYS = _events(
    [
        ("a", "2026-03-01T00:00:00Z", "onboarding"),
        ("a", "2026-03-03T12:00:00Z", "insight"),
        ("a", "2026-03-09T00:00:00Z", "insight"),
        ("b", "2026-03-01T00:00:00Z", "insight"),  # value before onboarding: ignored
        ("b", "2026-03-02T00:00:00Z", "onboarding"),
        ("b", "2026-03-12T00:00:00Z", "onboarding"),  # the first start counts
        ("b", "2026-03-22T00:00:00Z", "insight"),
        ("c", "2026-03-05T00:00:00Z", "insight"),  # never onboarded: not measurable
        ("d", "2026-03-20T00:00:00Z", "onboarding"),
    ]
)


def test_time_to_first_value_per_user() -> None:
    table = adoption.time_to_first_value(JOURNEYS, as_of="2026-03-25")

    assert table["user_id"].tolist() == ["a", "b", "d"]
    assert table["reached"].tolist() == [True, True, False]
    assert table["days_to_value"].tolist()[:2] == [2.5, 20.0]
    assert table["days_waiting"].tolist()[2] == 5.0

    earlier = adoption.time_to_first_value(JOURNEYS, as_of="2026-03-21")
    assert earlier["reached"].tolist() == [True, False, False]
    assert earlier["days_waiting"].tolist()[1:] == [19.0, 1.0]


def test_time_to_first_value_configurable_names() -> None:
    renamed = JOURNEYS.assign(
        feature=JOURNEYS["feature"].replace(
            {"onboarding": "signup", "insight": "report"}
        )
    )
    table = adoption.time_to_first_value(
        renamed, start_event="signup", value_event="report"
    )
    assert table["days_to_value"].tolist() == [2.5, 20.0, None] or (
        table["days_to_value"].tolist()[:2] == [2.5, 20.0]
        and math.isnan(table["days_to_value"].iloc[2])
    )
    assert table["days_waiting"].isna().all()  # no as_of: waiting time unknown


# --- cohorts and engagement -----------------------------------------------------------

WEEKS = _events(
    [
        ("a", "2026-03-02T09:00:00Z", None),  # week 03-02
        ("b", "2026-03-04T09:00:00Z", None),
        ("c", "2026-03-06T09:00:00Z", None),
        ("a", "2026-03-09T09:00:00Z", None),  # week 03-09
        ("b", "2026-03-10T09:00:00Z", None),
        ("d", "2026-03-11T09:00:00Z", None),
        ("a", "2026-03-17T09:00:00Z", None),  # week 03-16
        ("d", "2026-03-18T09:00:00Z", None),
        ("d", "2026-03-19T09:00:00Z", None),
    ]
)


def test_cohort_retention_hand_computed() -> None:
    table = adoption.cohort_retention(
        WEEKS, periods=3, start="2026-03-02", end="2026-03-18"
    )

    first = table[table["cohort_start"] == pd.Timestamp("2026-03-02")]
    assert first["cohort_users"].tolist() == [3, 3, 3]
    assert first["active_users"].tolist() == [3, 2, 1]
    # The week of 03-16 is cut by the data's end (03-18): NO DATA.
    assert first["retention_ratio"].tolist()[:2] == [1.0, pytest.approx(2 / 3)]
    assert math.isnan(first["retention_ratio"].iloc[2])

    second = table[table["cohort_start"] == pd.Timestamp("2026-03-09")]
    assert second["cohort_users"].tolist() == [1, 1, 1]
    assert second["active_users"].tolist() == [1, 1, 0]
    assert second["period_complete"].tolist() == [True, False, False]


def test_engagement_rate_per_week() -> None:
    table = adoption.engagement(
        WEEKS, min_active_days=2, start="2026-03-02", end="2026-03-22"
    )

    assert table["active_users"].tolist() == [3, 3, 2]
    assert table["engaged_users"].tolist() == [0, 0, 1]
    assert table["engagement_ratio"].tolist() == [0.0, 0.0, 0.5]
    assert table["events_per_active_user"].tolist() == [1.0, 1.0, 1.5]


def test_engagement_with_no_active_user_is_no_data() -> None:
    table = adoption.engagement(
        WEEKS, freq="D", min_active_days=1, start="2026-03-07", end="2026-03-08"
    )
    assert table["active_users"].tolist() == [0, 0]
    assert table["engagement_ratio"].isna().all()


# --- the real access log ----------------------------------------------------------------


@pytest.fixture(scope="module")
def apache() -> pd.DataFrame:
    return read_access_log(APACHE_LOG).frame


def test_real_log_requests_per_hour(apache: pd.DataFrame) -> None:
    hourly = adoption.request_stats(apache, "h")

    assert len(hourly) == 84  # 2015-05-17 10:00 .. 05-20 21:00 UTC
    assert hourly["requests"].sum() == 10_000
    assert (hourly["requests"].min(), hourly["requests"].max()) == (74, 136)
    busiest = hourly.loc[hourly["requests"].idxmax(), "period_start"]
    assert busiest == pd.Timestamp("2015-05-19 19:00", tz="UTC")
    assert hourly["requests_per_second"].iloc[0] == pytest.approx(74 / 3600)
    assert hourly["active_users"].max() == 59


def test_real_log_5xx_share(apache: pd.DataFrame) -> None:
    hourly = adoption.request_stats(apache, "h")

    assert hourly[
        ["status_2xx", "status_3xx", "status_4xx", "status_5xx"]
    ].sum().tolist() == [
        9_171,
        609,
        217,
        3,
    ]
    assert hourly["status_5xx"].sum() / hourly["requests"].sum() == pytest.approx(
        0.0003
    )
    failing = hourly[hourly["status_5xx"] > 0]
    assert failing["period_start"].dt.strftime("%m-%d %H").tolist() == [
        "05-18 03",
        "05-18 15",
        "05-20 14",
    ]
    assert failing["error_5xx_ratio"].tolist() == pytest.approx(
        [1 / 114, 1 / 133, 1 / 122]
    )


def test_real_log_distinct_users_per_day(apache: pd.DataFrame) -> None:
    daily = adoption.request_stats(apache, "D")
    assert daily["requests"].tolist() == [1_632, 2_893, 2_896, 2_579]
    assert daily["active_users"].tolist() == [341, 627, 561, 505]
    assert adoption.active_users(apache)["dau"].tolist() == [341, 627, 561, 505]


def test_request_stats_refuses_calendar_periods(apache: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="fixed period"):
        adoption.request_stats(apache, "MS")


# --- pandas and polars give the same result -------------------------------------------

_CALLS: dict[str, Callable[[Any], Any]] = {
    "active_users": lambda f: adoption.active_users(
        f, timezone="Europe/Berlin", mau_days=3
    ),
    "licensed_adoption": lambda f: adoption.licensed_adoption(f, pl.from_pandas(SEATS)),
    "weekly_features": lambda f: adoption.weekly_feature_utilisation(
        f, ["search", "share"]
    ),
    "time_to_value": lambda f: adoption.time_to_first_value(f, as_of="2026-04-05"),
    "cohorts": lambda f: adoption.cohort_retention(f, freq="D", periods=3),
    "engagement": lambda f: adoption.engagement(f, freq="D", min_active_days=1),
    "first_week": lambda f: adoption.first_week_adoption(
        f, SEATS, go_live="2026-03-29"
    ),
    "features": lambda f: adoption.feature_utilisation(
        f, ["search"], window_start="2026-03-01", window_end="2026-04-05"
    ),
}


@pytest.mark.parametrize("name", sorted(_CALLS))
def test_polars_input_gives_identical_results(name: str) -> None:
    frame = pd.concat([SMALL, JOURNEYS], ignore_index=True)
    from_pandas = _CALLS[name](frame)
    from_polars = _CALLS[name](pl.from_pandas(frame))
    if isinstance(from_pandas, pd.DataFrame):
        pd.testing.assert_frame_equal(from_pandas, from_polars)
    else:
        assert from_pandas == from_polars


def test_polars_request_stats_identical(apache: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        adoption.request_stats(apache, "h"),
        adoption.request_stats(pl.from_pandas(apache), "h"),
    )


# --- properties -------------------------------------------------------------------------

_EVENT_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", "u4", "u5"]),
        st.integers(min_value=0, max_value=40 * 24 * 60),  # minutes after the start
        st.sampled_from(["search", "export", "share", None]),
    ),
    min_size=1,
    max_size=60,
)


def _frame(rows: list[tuple[str, int, str | None]]) -> pd.DataFrame:
    base = pd.Timestamp("2026-03-01", tz="UTC")
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": [base + pd.Timedelta(minutes=r[1]) for r in rows],
            "feature": pd.Series([r[2] for r in rows], dtype="string"),
        }
    )


@settings(max_examples=40, deadline=None)
@given(_EVENT_ROWS)
def test_stickiness_is_a_share_and_matches_brute_force(
    rows: list[tuple[str, int, str | None]],
) -> None:
    frame = _frame(rows)
    series = adoption.active_users(
        frame, timezone="Europe/Berlin", mau_days=7, allow_partial=True
    )

    sticky = series["stickiness"].dropna()
    assert ((sticky >= 0) & (sticky <= 1)).all()
    assert (series["dau"] <= series["wau"]).all()

    local = (
        frame["timestamp"]
        .dt.tz_convert("Europe/Berlin")
        .dt.tz_localize(None)
        .dt.normalize()
    )
    for _, row in series.iterrows():
        inside = (local > row["date"] - pd.Timedelta(days=7)) & (local <= row["date"])
        assert row["mau"] == frame.loc[inside, "user_id"].nunique()


@settings(max_examples=30, deadline=None)
@given(_EVENT_ROWS, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(
    rows: list[tuple[str, int, str | None]], random: Any
) -> None:
    frame = _frame(rows)
    shuffled = frame.iloc[random.sample(range(len(frame)), len(frame))]
    for call in (
        lambda f: adoption.active_users(f, start="2026-03-01", end="2026-04-12"),
        lambda f: adoption.cohort_retention(f, start="2026-03-01", end="2026-04-12"),
        lambda f: adoption.engagement(f, start="2026-03-01", end="2026-04-12"),
        lambda f: adoption.weekly_feature_utilisation(
            f, ["search", "export"], start="2026-03-01", end="2026-04-12"
        ),
        lambda f: adoption.request_stats(f.assign(status=200), "D", start="2026-03-01"),
    ):
        pd.testing.assert_frame_equal(call(frame), call(shuffled))


@settings(max_examples=30, deadline=None)
@given(_EVENT_ROWS)
def test_retention_and_utilisation_are_shares(
    rows: list[tuple[str, int, str | None]],
) -> None:
    frame = _frame(rows)
    retention = adoption.cohort_retention(frame, freq="D", periods=5)[
        "retention_ratio"
    ].dropna()
    assert ((retention >= 0) & (retention <= 1)).all()
    weekly = adoption.weekly_feature_utilisation(
        frame, ["search", "x"], allow_partial=True
    )
    assert weekly["utilisation_ratio"].between(0, 1).all()
    assert np.all(adoption.time_to_first_value(frame)["days_to_value"].dropna() >= 0)


def test_window_adoption_flags_more_users_than_licences() -> None:
    events = pd.DataFrame(
        {
            "user_id": ["u001", "U001", "u002"],
            "timestamp": pd.to_datetime(["2026-03-02"] * 3, utc=True),
        }
    )
    seats = pd.DataFrame(
        {"date": pd.to_datetime(["2026-03-01"], utc=True), "licensed_users": [2]}
    )
    window = {"window_start": "2026-03-01", "window_end": "2026-03-03"}
    summary = adoption.adoption_in_window(events, seats, **window)
    assert (summary.active_users, summary.licensed_users) == (3, 2)
    assert summary.exceeds_licences
    assert adoption.user_ids_differing_in_case(events, **window) == [("U001", "u001")]
    fewer = adoption.adoption_in_window(events.iloc[:2], seats, **window)
    assert not fewer.exceeds_licences


def test_ids_differing_only_in_surrounding_blanks_are_one_user() -> None:
    events = pd.DataFrame(
        {
            "user_id": ["u1", " u1", "u1\t", "   "],
            "timestamp": pd.to_datetime(["2026-03-02"] * 4, utc=True),
        }
    )
    window = adoption.adoption_in_window(
        events, None, window_start="2026-03-01", window_end="2026-03-08"
    )
    assert (window.active_users, window.events) == (1, 3)


@pytest.mark.parametrize("count", ["abc", -3])
def test_a_licence_count_that_is_not_a_count_is_an_error(count: object) -> None:
    seats = pd.DataFrame({"date": ["2026-03-01"], "licensed_users": [count]})
    with pytest.raises(InputError, match=f"not a count of users.*{count}"):
        adoption.adoption_in_window(
            SMALL, seats, window_start="2026-03-01", window_end="2026-03-08"
        )


def test_a_window_ending_before_it_starts_is_an_error() -> None:
    with pytest.raises(ConfigError, match="is after window_end"):
        adoption.adoption_in_window(
            SMALL, SEATS, window_start="2026-03-08", window_end="2026-03-01"
        )
    with pytest.raises(ConfigError, match="'soon' is not a date"):
        adoption.adoption_in_window(
            SMALL, SEATS, window_start="soon", window_end="2026-03-01"
        )
