"""Adoption and business metrics from usage events, licence counts and access logs.

Input is the *activity* frame (``user_id``, ``timestamp`` tz-aware UTC,
``feature``; see :mod:`analytics.sources.activity`), pandas or polars, and for
licence-based ratios the *licences* frame (``date``, ``licensed_users``).
Every function returns a pandas frame (series) or a small frozen dataclass
(one window); results do not depend on row order.

Definitions (a *day* is a calendar day in ``timezone``, so a day at a DST
change has 23 or 25 hours; a *week* runs Monday to Sunday):

* **DAU** on day *d*: distinct users with at least one event on *d*.
  **WAU** / **MAU**: distinct users with an event in the 7 / 30 days ending
  with *d* (rolling, *d* included).
* **Stickiness** = DAU / MAU on the same day, in [0, 1].
* **Adoption ratio** = users active in a window / licensed users in force at
  the window's end (the last licence row dated before the end). The daily
  series uses MAU and the count in force during the day (the last row dated
  before the next day starts). More distinct active users than licences is
  not adoption above 100 %: the licence count or the user ids are wrong
  (:attr:`WindowAdoption.exceeds_licences`, :func:`user_ids_differing_in_case`).
* **First-week adoption**: users active in ``[go_live, go_live + 7 days)`` /
  licensed users in force at the end of that week.
* **Feature utilisation**: configured features used at least once in a window
  / configured features. Events of features not in the list are ignored.
* **Time to first value** per user: from the user's first ``start_event``
  (default ``onboarding``) to their first ``value_event`` (default
  ``insight``) at or after it.
* **Cohort retention**: users whose first event falls in period *c* form
  cohort *c*; retention in period *c + k* = cohort users active in it /
  cohort users.
* **Engagement rate** per period: users active on at least
  ``min_active_days`` distinct days in the period / users active in it.
* **Request statistics** (access log): requests, requests per second, status
  classes, 5xx share of requests and distinct users per period.

The data are assumed complete between the first and last day given (default:
the first and last event). A figure that needs days outside that span (a
30-day MAU on the data's 10th day, a week cut by the span's edge) is NO DATA:
NaN, flagged ``*_complete = False``, never a figure from a partial window,
unless ``allow_partial=True``. A ratio with a zero denominator is NaN (0/0 is
unknown, not 100 %).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.frames import to_pandas

__all__ = [
    "FeatureUsage",
    "WindowAdoption",
    "active_users",
    "adoption_in_window",
    "cohort_retention",
    "engagement",
    "feature_utilisation",
    "first_week_adoption",
    "licensed_adoption",
    "licensed_users_at",
    "request_stats",
    "time_to_first_value",
    "user_ids_differing_in_case",
    "weekly_feature_utilisation",
]

_ACTIVITY: Final = "<activity frame>"
_LICENCES: Final = "<licences frame>"
_EPOCH_WEEKDAY_OFFSET: Final = 3
"""1970-01-01 was a Thursday: day number + 3 counts from the Monday before it."""

DateLike = str | pd.Timestamp | None


# --- one window -----------------------------------------------------------------------


@dataclass(frozen=True)
class WindowAdoption:
    """Users active in one window against licensed users.

    Attributes
    ----------
    window_start, window_end
        The window ``[start, end)``, UTC.
    active_users
        Distinct users with an event in the window.
    events
        Events in the window.
    licensed_users
        Licence count in force at the window's end; None when no licence row
        is dated before it.
    adoption_ratio
        ``active_users / licensed_users``; NaN without licences or with 0.
    window_complete
        False when the data end (``as_of``) falls inside the window: the
        counts are then for the part up to ``as_of`` only.
    """

    window_start: pd.Timestamp
    window_end: pd.Timestamp
    active_users: int
    events: int
    licensed_users: int | None
    adoption_ratio: float
    window_complete: bool = True

    @property
    def exceeds_licences(self) -> bool:
        """More distinct active users than licences: a data problem, not a ratio.

        >>> t = pd.Timestamp("2026-03-01", tz="UTC")
        >>> WindowAdoption(t, t, 21, 40, 10, 2.1).exceeds_licences
        True
        """
        return (
            self.licensed_users is not None and self.active_users > self.licensed_users
        )


@dataclass(frozen=True)
class FeatureUsage:
    """Which configured features were used in one window.

    Attributes
    ----------
    features_total
        Configured features.
    features_used
        Configured features with at least one event in the window.
    utilisation_ratio
        ``features_used / features_total``.
    used, unused
        The feature names, sorted.
    events
        Events in the window (any feature).
    """

    window_start: pd.Timestamp
    window_end: pd.Timestamp
    features_total: int
    features_used: int
    utilisation_ratio: float
    used: tuple[str, ...]
    unused: tuple[str, ...]
    events: int


def adoption_in_window(
    activity: Any,
    licences: Any | None,
    *,
    window_start: DateLike,
    window_end: DateLike,
) -> WindowAdoption:
    """Users active in ``[window_start, window_end)`` / licensed users then.

    Parameters
    ----------
    activity
        Activity frame (pandas or polars).
    licences
        Licences frame (``date``, ``licensed_users``) or None.
    window_start, window_end
        The window; naive values are UTC.

    Returns
    -------
    WindowAdoption

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"],
    ...     "timestamp": pd.to_datetime(
    ...         ["2026-03-02 09:00", "2026-03-05 10:00", "2026-03-20 10:00"], utc=True),
    ... })
    >>> seats = pd.DataFrame({"date": pd.to_datetime(["2026-03-01"], utc=True),
    ...                       "licensed_users": [4]})
    >>> a = adoption_in_window(events, seats, window_start="2026-03-01",
    ...                        window_end="2026-03-08")
    >>> a.active_users, a.licensed_users, a.adoption_ratio
    (2, 4, 0.5)
    """
    events = _activity(activity)
    start, end = _window(window_start, window_end)
    inside = events[(events["timestamp"] >= start) & (events["timestamp"] < end)]

    active = int(inside["user_id"].nunique())
    licensed = _licence_at(licences, end)

    ratio = active / licensed if licensed else math.nan
    return WindowAdoption(start, end, active, len(inside), licensed, ratio)


def user_ids_differing_in_case(
    activity: Any,
    *,
    window_start: DateLike,
    window_end: DateLike,
) -> list[tuple[str, ...]]:
    """Groups of user ids active in the window that are equal ignoring case.

    Ids are compared as given (the readers strip surrounding blanks but never
    fold case, since some systems' ids are case-sensitive); a group here is a
    hint that one person may be counted twice. Groups are sorted.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["u001", "U001", "u002"],
    ...     "timestamp": pd.to_datetime(["2026-03-02"] * 3, utc=True)})
    >>> user_ids_differing_in_case(events, window_start="2026-03-01",
    ...                            window_end="2026-03-03")
    [('U001', 'u001')]
    """
    events = _activity(activity)
    start, end = _window(window_start, window_end)
    inside = events[(events["timestamp"] >= start) & (events["timestamp"] < end)]
    groups: dict[str, list[str]] = {}
    for user in inside["user_id"].unique():
        groups.setdefault(str(user).casefold(), []).append(str(user))
    return sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 1)


def first_week_adoption(
    activity: Any,
    licences: Any | None,
    *,
    go_live: DateLike,
    days: int = 7,
    as_of: DateLike = None,
) -> WindowAdoption:
    """Share of licensed users active in the first ``days`` after go-live.

    Parameters
    ----------
    activity, licences
        As for :func:`adoption_in_window`.
    go_live
        The go-live time (naive = UTC).
    days
        Length of the first "week".
    as_of
        When the data end. If it falls inside the week, only events before it
        count and ``window_complete`` is False (the ratio can still grow).

    Returns
    -------
    WindowAdoption
        Licensed users are those in force at the end of the full week.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a", "b", "c"], "timestamp": pd.to_datetime(
    ...     ["2026-03-02 10:00", "2026-03-08 23:00", "2026-03-09 10:00"], utc=True)})
    >>> seats = pd.DataFrame({"date": pd.to_datetime(["2026-01-01"], utc=True),
    ...                       "licensed_users": [4]})
    >>> first_week_adoption(events, seats, go_live="2026-03-02 08:00").adoption_ratio
    0.5
    """
    start = _utc(go_live)
    full_end = start + pd.Timedelta(days=days)
    cut = full_end if as_of is None else min(full_end, _utc(as_of))

    counted = adoption_in_window(activity, None, window_start=start, window_end=cut)
    licensed = _licence_at(licences, full_end)

    ratio = counted.active_users / licensed if licensed else math.nan
    return WindowAdoption(
        start,
        full_end,
        counted.active_users,
        counted.events,
        licensed,
        ratio,
        window_complete=cut >= full_end,
    )


def feature_utilisation(
    activity: Any,
    features: Sequence[str],
    *,
    window_start: DateLike,
    window_end: DateLike,
    feature_column: str = "feature",
) -> FeatureUsage:
    """Share of the configured features used at least once in a window.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"], "feature": ["search", "export", "other"],
    ...     "timestamp": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-04"],
    ...                                 utc=True)})
    >>> u = feature_utilisation(events, ["search", "export", "share", "alerts"],
    ...                         window_start="2026-03-02", window_end="2026-03-09")
    >>> u.features_used, u.utilisation_ratio, u.unused
    (2, 0.5, ('alerts', 'share'))
    """
    wanted = _feature_list(features)
    events = _activity(activity, extra=(feature_column,))
    start, end = _window(window_start, window_end)
    inside = events[(events["timestamp"] >= start) & (events["timestamp"] < end)]

    seen = set(inside[feature_column].dropna().astype(str))
    used = tuple(sorted(f for f in wanted if f in seen))
    unused = tuple(sorted(f for f in wanted if f not in seen))

    return FeatureUsage(
        start,
        end,
        len(wanted),
        len(used),
        len(used) / len(wanted),
        used,
        unused,
        len(inside),
    )


# --- daily and weekly series ----------------------------------------------------------


def active_users(
    activity: Any,
    *,
    timezone: str = "UTC",
    start: DateLike = None,
    end: DateLike = None,
    wau_days: int = 7,
    mau_days: int = 30,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Daily DAU, WAU, MAU and stickiness (DAU / MAU).

    Parameters
    ----------
    activity
        Activity frame (pandas or polars).
    timezone
        Zone whose calendar days are counted.
    start, end
        First and last day the data cover (inclusive; default: the days of
        the first and last event). Events outside are ignored.
    wau_days, mau_days
        Rolling window lengths in days.
    allow_partial
        Report WAU / MAU / stickiness for windows reaching before ``start``
        (counted on the covered part only) instead of NaN.

    Returns
    -------
    pandas.DataFrame
        One row per day: ``date`` (naive calendar date in ``timezone``),
        ``events``, ``dau``, ``wau``, ``mau`` (float, NaN when the window is
        not covered), ``stickiness``, ``wau_complete``, ``mau_complete``.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a", "b", "a"], "timestamp": pd.to_datetime(
    ...     ["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-02 10:00"], utc=True)})
    >>> s = active_users(events, wau_days=2, mau_days=2)
    >>> s[["dau", "wau", "stickiness"]].values.tolist()
    [[2.0, nan, nan], [1.0, 2.0, 0.5]]
    """
    events = _activity(activity)
    day = _local_days(events["timestamp"], timezone)
    first, last = _span(day, start, end, timezone)
    keep = (day >= first) & (day <= last)
    users, days = _user_codes(events["user_id"][keep]), day[keep]
    n_days = last - first + 1

    frame = pd.DataFrame({"date": _dates(np.arange(first, last + 1))})
    frame["events"] = np.bincount(days - first, minlength=n_days).astype("int64")
    frame["dau"] = _rolling_distinct(users, days, first, n_days, 1).astype(float)
    for name, width in (("wau", wau_days), ("mau", mau_days)):
        counts = _rolling_distinct(users, days, first, n_days, width).astype(float)
        complete = np.arange(n_days) >= width - 1
        frame[name] = counts if allow_partial else np.where(complete, counts, np.nan)
        frame[f"{name}_complete"] = complete

    frame["stickiness"] = _ratio(frame["dau"], frame["mau"])
    return frame[
        [
            "date",
            "events",
            "dau",
            "wau",
            "mau",
            "stickiness",
            "wau_complete",
            "mau_complete",
        ]
    ]


def licensed_adoption(
    activity: Any,
    licences: Any,
    *,
    timezone: str = "UTC",
    start: DateLike = None,
    end: DateLike = None,
    mau_days: int = 30,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Daily MAU / licensed users, with the licence count in force each day.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``mau``, ``mau_complete``, ``licensed_users`` (Int64, NA
        before the first licence row), ``adoption_ratio`` (NaN when MAU or the
        count is unknown, or the count is 0).

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a", "b"], "timestamp": pd.to_datetime(
    ...     ["2026-03-01 10:00", "2026-03-02 10:00"], utc=True)})
    >>> seats = pd.DataFrame({"date": pd.to_datetime(["2026-03-02"], utc=True),
    ...                       "licensed_users": [4]})
    >>> licensed_adoption(events, seats, mau_days=1)["adoption_ratio"].tolist()
    [nan, 0.25]
    """
    series = active_users(
        activity,
        timezone=timezone,
        start=start,
        end=end,
        mau_days=mau_days,
        allow_partial=allow_partial,
    )

    next_day = series["date"] + pd.Timedelta(days=1)
    day_end = next_day.dt.tz_localize(
        timezone, ambiguous=False, nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
    licensed = licensed_users_at(licences, day_end)

    return pd.DataFrame(
        {
            "date": series["date"],
            "mau": series["mau"],
            "mau_complete": series["mau_complete"],
            "licensed_users": licensed,
            "adoption_ratio": _ratio(series["mau"], licensed.astype("Float64")),
        }
    )


def licensed_users_at(licences: Any, moments: pd.Series) -> pd.Series:
    """Licence count in force just before each moment (the last row dated earlier).

    Examples
    --------
    >>> seats = pd.DataFrame({"date": pd.to_datetime(["2026-03-01", "2026-04-01"],
    ...                       utc=True), "licensed_users": [100, 120]})
    >>> at = pd.Series(pd.to_datetime(["2026-02-01", "2026-04-01", "2026-04-02"],
    ...                utc=True))
    >>> licensed_users_at(seats, at).tolist()
    [<NA>, 100, 120]
    """
    table = _licences(licences)
    when = pd.to_datetime(pd.Series(moments), utc=True).astype("datetime64[us, UTC]")
    left = pd.DataFrame(
        {"at": when.reset_index(drop=True), "order": np.arange(len(when))}
    )
    left = left.sort_values("at", kind="stable")

    merged = pd.merge_asof(
        left,
        table.rename(columns={"date": "at"}),
        on="at",
        allow_exact_matches=False,
    ).sort_values("order")
    return pd.Series(
        merged["licensed_users"].to_numpy(), index=pd.Series(moments).index
    ).astype("Int64")


def weekly_feature_utilisation(
    activity: Any,
    features: Sequence[str],
    *,
    timezone: str = "UTC",
    start: DateLike = None,
    end: DateLike = None,
    feature_column: str = "feature",
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Share of the configured features used at least once in each week.

    Returns
    -------
    pandas.DataFrame
        ``week_start`` (naive Monday in ``timezone``), ``events``,
        ``features_used``, ``features_total``, ``utilisation_ratio`` (NaN for
        a week the data do not cover in full), ``week_complete``.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a", "a", "b"],
    ...     "feature": ["search", "export", "search"],
    ...     "timestamp": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-10"],
    ...                                 utc=True)})
    >>> w = weekly_feature_utilisation(events, ["search", "export"],
    ...                                start="2026-03-02", end="2026-03-15")
    >>> w["utilisation_ratio"].tolist()
    [1.0, 0.5]
    """
    wanted = _feature_list(features)
    events = _activity(activity, extra=(feature_column,))
    day = _local_days(events["timestamp"], timezone)
    first, last = _span(day, start, end, timezone)
    keep = (day >= first) & (day <= last)
    week = _week_number(day[keep])
    feature = events[feature_column][keep].astype("string").to_numpy()

    weeks = np.arange(_week_number(first), _week_number(last) + 1)
    table = pd.DataFrame({"week": week, "feature": feature})
    used = table[table["feature"].isin(wanted)].groupby("week")["feature"].nunique()
    counts = table.groupby("week").size()

    frame = pd.DataFrame({"week_start": _dates(weeks * 7 - _EPOCH_WEEKDAY_OFFSET)})
    frame["events"] = counts.reindex(weeks, fill_value=0).to_numpy().astype("int64")
    frame["features_used"] = used.reindex(weeks, fill_value=0).to_numpy()
    frame["features_total"] = len(wanted)
    complete = _week_complete(weeks, first, last)
    ratio = frame["features_used"] / len(wanted)
    frame["utilisation_ratio"] = ratio if allow_partial else ratio.where(complete)
    frame["week_complete"] = complete
    return frame


# --- users over time ------------------------------------------------------------------


def time_to_first_value(
    activity: Any,
    *,
    start_event: str = "onboarding",
    value_event: str = "insight",
    event_column: str = "feature",
    as_of: DateLike = None,
) -> pd.DataFrame:
    """Per user: first ``start_event`` → first ``value_event`` at or after it.

    Parameters
    ----------
    activity
        Activity frame; the event name is in ``event_column``.
    start_event, value_event
        Event names (exact match).
    as_of
        Decision time: events at or after it are not yet known. Users who
        have not reached value get ``days_waiting`` up to it.

    Returns
    -------
    pandas.DataFrame
        One row per user with a start event: ``user_id``, ``started_at``,
        ``first_value_at`` (NaT if not yet), ``reached`` (bool),
        ``days_to_value`` (float days, NaN if not reached), ``days_waiting``
        (NaN if reached or without ``as_of``). Users with a value event but
        no start event are not measurable and are left out.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "a"],
    ...     "feature": ["onboarding", "insight", "onboarding", "insight"],
    ...     "timestamp": pd.to_datetime(["2026-03-01 00:00", "2026-03-04 12:00",
    ...                                  "2026-03-02 00:00", "2026-03-09 00:00"], utc=True)})
    >>> t = time_to_first_value(events, as_of="2026-03-10")
    >>> t[["user_id", "days_to_value", "days_waiting"]].values.tolist()
    [['a', 3.5, nan], ['b', nan, 8.0]]
    """
    events = _activity(activity, extra=(event_column,))
    if as_of is not None:
        events = events[events["timestamp"] < _utc(as_of)]
    name = events[event_column].astype("string")

    started = events[name == start_event].groupby("user_id")["timestamp"].min()
    values = events[name == value_event][["user_id", "timestamp"]]
    stamp_type = events["timestamp"].dtype
    values = values.merge(
        started.rename("started_at").rename_axis("user_id").reset_index(),
        on="user_id",
    )
    values = values[values["timestamp"] >= values["started_at"]]
    first_value = values.groupby("user_id")["timestamp"].min()

    out = pd.DataFrame({"started_at": started.astype(stamp_type)})
    out["first_value_at"] = first_value.reindex(out.index).astype(stamp_type)
    out["reached"] = out["first_value_at"].notna()
    out["days_to_value"] = _days(out["first_value_at"] - out["started_at"])
    waiting = (
        _days(_utc(as_of) - out["started_at"])
        if as_of is not None
        else pd.Series(np.nan, index=out.index)
    )
    out["days_waiting"] = waiting.where(~out["reached"])
    out = out.rename_axis("user_id").reset_index()
    return out.sort_values("user_id", kind="stable").reset_index(drop=True)


def cohort_retention(
    activity: Any,
    *,
    freq: Literal["D", "W"] = "W",
    periods: int = 8,
    timezone: str = "UTC",
    start: DateLike = None,
    end: DateLike = None,
) -> pd.DataFrame:
    """New-user cohorts and their retention per following period.

    A user's cohort is the period of their first event in the data. Users of
    the first period include everyone already active before the data start
    (the data cannot tell them apart from new users).

    Returns
    -------
    pandas.DataFrame
        One row per cohort and period offset ``period`` (0 .. ``periods`` - 1):
        ``cohort_start`` (naive date), ``period``, ``period_start``,
        ``cohort_users``, ``active_users``, ``retention_ratio`` (NaN when the
        period is not fully covered by the data), ``period_complete``.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a", "b", "a", "c"],
    ...     "timestamp": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-10",
    ...                                  "2026-03-11"], utc=True)})
    >>> r = cohort_retention(events, periods=2, start="2026-03-02", end="2026-03-15")
    >>> r["cohort_users"].tolist(), r["active_users"].tolist()
    ([2, 2, 1, 1], [2, 1, 1, 0])
    >>> r["retention_ratio"].tolist()
    [1.0, 0.5, 1.0, nan]
    """
    events = _activity(activity)
    day = _local_days(events["timestamp"], timezone)
    first, last = _span(day, start, end, timezone)
    keep = (day >= first) & (day <= last)
    period = day[keep] if freq == "D" else _week_number(day[keep])
    table = pd.DataFrame({"user": events["user_id"][keep].to_numpy(), "p": period})
    table = table.drop_duplicates()
    table["cohort"] = table.groupby("user")["p"].transform("min")

    sizes = table.groupby("cohort")["user"].nunique()
    active = (
        table.assign(k=table["p"] - table["cohort"]).groupby(["cohort", "k"]).size()
    )
    grid = pd.MultiIndex.from_product([sizes.index, range(periods)], names=["c", "k"])
    rows = grid.to_frame(index=False)
    rows["cohort_users"] = rows["c"].map(sizes).astype("int64")
    rows["active_users"] = active.reindex(grid, fill_value=0).to_numpy().astype("int64")

    starts = (
        rows["c"] + rows["k"]
        if freq == "D"
        else (rows["c"] + rows["k"]) * 7 - _EPOCH_WEEKDAY_OFFSET
    )
    length = 1 if freq == "D" else 7
    complete = (starts >= first) & (starts + length - 1 <= last)
    first_start = rows["c"] if freq == "D" else rows["c"] * 7 - _EPOCH_WEEKDAY_OFFSET
    return pd.DataFrame(
        {
            "cohort_start": _dates(first_start.to_numpy()),
            "period": rows["k"].astype("int64"),
            "period_start": _dates(starts.to_numpy()),
            "cohort_users": rows["cohort_users"],
            "active_users": rows["active_users"],
            "retention_ratio": (rows["active_users"] / rows["cohort_users"]).where(
                complete
            ),
            "period_complete": complete.to_numpy(),
        }
    )


def engagement(
    activity: Any,
    *,
    freq: Literal["D", "W"] = "W",
    min_active_days: int = 3,
    timezone: str = "UTC",
    start: DateLike = None,
    end: DateLike = None,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Engagement rate: share of a period's active users active on enough days.

    Returns
    -------
    pandas.DataFrame
        ``period_start`` (naive date), ``active_users``, ``engaged_users``
        (active on ≥ ``min_active_days`` distinct days), ``engagement_ratio``
        (NaN with no active user or for a period not fully covered),
        ``events``, ``events_per_active_user``, ``period_complete``.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2026-03-02 09:00", "2026-03-03 09:00",
    ...                                  "2026-03-03 12:00", "2026-03-04 09:00"], utc=True)})
    >>> e = engagement(events, min_active_days=2, start="2026-03-02", end="2026-03-08")
    >>> row = e.iloc[0]
    >>> int(row["active_users"]), int(row["engaged_users"]), float(row["engagement_ratio"])
    (2, 1, 0.5)
    """
    events = _activity(activity)
    day = _local_days(events["timestamp"], timezone)
    first, last = _span(day, start, end, timezone)
    keep = (day >= first) & (day <= last)
    days = day[keep]
    period = days if freq == "D" else _week_number(days)
    table = pd.DataFrame(
        {"user": events["user_id"][keep].to_numpy(), "p": period, "d": days}
    )

    all_periods = (
        np.arange(first, last + 1)
        if freq == "D"
        else np.arange(_week_number(first), _week_number(last) + 1)
    )
    active_days = table.drop_duplicates().groupby(["p", "user"]).size()
    active = active_days.groupby(level="p").size().reindex(all_periods, fill_value=0)
    engaged = (
        (active_days >= min_active_days)
        .groupby(level="p")
        .sum()
        .reindex(all_periods, fill_value=0)
    )
    counts = table.groupby("p").size().reindex(all_periods, fill_value=0)

    starts = all_periods if freq == "D" else all_periods * 7 - _EPOCH_WEEKDAY_OFFSET
    complete = (
        np.ones(len(all_periods), dtype=bool)
        if freq == "D"
        else _week_complete(all_periods, first, last)
    )
    ratio = _ratio(engaged.astype(float), active.astype(float))
    return pd.DataFrame(
        {
            "period_start": _dates(starts),
            "active_users": active.to_numpy().astype("int64"),
            "engaged_users": engaged.to_numpy().astype("int64"),
            "engagement_ratio": ratio.to_numpy()
            if allow_partial
            else ratio.where(complete).to_numpy(),
            "events": counts.to_numpy().astype("int64"),
            "events_per_active_user": _ratio(
                counts.astype(float), active.astype(float)
            ).to_numpy(),
            "period_complete": complete,
        }
    )


# --- access logs ----------------------------------------------------------------------


def request_stats(
    access_log: Any,
    freq: str = "h",
    *,
    start: DateLike = None,
    end: DateLike = None,
) -> pd.DataFrame:
    """Request rate, status classes, 5xx share and active users per period.

    Parameters
    ----------
    access_log
        Activity frame from :func:`analytics.sources.activity.read_access_log`
        (``timestamp``, ``status``, ``user_id``; ``bytes`` optional), pandas
        or polars.
    freq
        A fixed period (``"min"``, ``"15min"``, ``"h"``, ``"D"``), in UTC.
    start, end
        First and last period to report (default: those of the first and last
        request). Periods with no request have 0 requests and NaN error share.
        The first and last period may be only partly covered (a log starting
        at 10:05 fills 55 minutes of the 10:00 hour), so their rate reads low.

    Returns
    -------
    pandas.DataFrame
        ``period_start`` (UTC), ``requests``, ``requests_per_second``,
        ``status_2xx`` .. ``status_5xx``, ``error_5xx_ratio`` (5xx / requests),
        ``active_users`` (distinct users), ``bytes``.

    Examples
    --------
    >>> log = pd.DataFrame({"user_id": ["a", "b", "a"], "status": [200, 503, 404],
    ...     "timestamp": pd.to_datetime(["2015-05-17 10:05", "2015-05-17 10:59",
    ...                                  "2015-05-17 12:01"], utc=True)})
    >>> s = request_stats(log, "h")
    >>> s["requests"].tolist(), s["status_5xx"].tolist(), s["active_users"].tolist()
    ([2, 0, 1], [1, 0, 0], [2, 0, 1])
    >>> s["error_5xx_ratio"].tolist()
    [0.5, nan, 0.0]
    """
    log = _activity(access_log, extra=("status",))
    seconds = _period_seconds(freq)
    period = log["timestamp"].dt.floor(freq)
    first = period.min() if start is None else _utc(start).floor(freq)
    last = period.max() if end is None else _utc(end).floor(freq)
    if pd.isna(first) or pd.isna(last):
        raise InputError(_ACTIVITY, "has no requests and no start / end was given")
    index = pd.date_range(first, last, freq=freq, name="period_start")

    status_class = pd.to_numeric(log["status"]) // 100
    grouped = pd.DataFrame(
        {
            "period_start": period,
            "user": log["user_id"],
            "cls": status_class,
            "bytes": pd.to_numeric(log["bytes"]) if "bytes" in log else 0,
        }
    ).groupby("period_start")

    out = pd.DataFrame(index=index)
    out["requests"] = _per_period(grouped.size(), index)
    out["requests_per_second"] = out["requests"] / seconds
    for cls in (2, 3, 4, 5):
        out[f"status_{cls}xx"] = _per_period(grouped["cls"].agg(_count_of(cls)), index)
    out["error_5xx_ratio"] = _ratio(out["status_5xx"], out["requests"])
    out["active_users"] = _per_period(grouped["user"].nunique(), index)
    out["bytes"] = _per_period(grouped["bytes"].sum(), index)
    return out.reset_index()


# --- helpers --------------------------------------------------------------------------


def _per_period(counts: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """Counts on the full period index; a period without requests counts 0."""
    return counts.reindex(index, fill_value=0).astype("int64")


def _count_of(status_class: int) -> Any:
    def count(classes: pd.Series) -> int:
        return int((classes == status_class).sum())

    return count


def _activity(frame: Any, *, extra: Sequence[str] = ()) -> pd.DataFrame:
    """The activity frame as pandas, checked; rows without a user or time dropped."""
    data = to_pandas(frame)
    missing = [c for c in ("user_id", "timestamp", *extra) if c not in data.columns]
    if missing:
        raise InputError(
            _ACTIVITY,
            f"has no column(s) {', '.join(missing)}; it has {', '.join(map(str, data.columns))}",
            fix="read the events with analytics.sources.activity, or rename the columns",
        )
    stamps = data["timestamp"]
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        raise InputError(
            _ACTIVITY,
            f"column 'timestamp' has dtype {stamps.dtype}, not tz-aware times",
            fix="localise the times (e.g. .dt.tz_localize('UTC')) before computing KPIs",
        )
    # Blanks around an id are never part of it (the readers strip them too):
    # " u1" and "u1" are one user, not two.
    users = data["user_id"].astype("string").str.strip()
    users = users.mask(users == "")
    data = data.assign(timestamp=stamps.dt.tz_convert("UTC"), user_id=users)
    return data[data["user_id"].notna() & data["timestamp"].notna()]


def _licences(frame: Any) -> pd.DataFrame:
    data = to_pandas(frame)
    missing = [c for c in ("date", "licensed_users") if c not in data.columns]
    if missing:
        raise InputError(
            _LICENCES,
            f"has no column(s) {', '.join(missing)}; it has {', '.join(map(str, data.columns))}",
            fix="read licence counts with analytics.sources.activity.read_licences_csv",
        )
    counts = pd.to_numeric(data["licensed_users"], errors="coerce")
    bad = (counts.isna() & data["licensed_users"].notna()) | (counts < 0)
    if bad.any():
        where = int(np.flatnonzero(bad.to_numpy())[0])
        value = data["licensed_users"].iloc[where]
        raise InputError(
            _LICENCES,
            f"licensed_users at position {where} (0-based) is not a count of users",
            value=value.item() if isinstance(value, np.generic) else value,
            fix="give whole numbers of 0 or more (read the file with"
            " analytics.sources.activity.read_licences_csv to list such rows)",
        )
    try:
        dates = pd.to_datetime(data["date"], utc=True)
    except (ValueError, TypeError) as error:
        raise InputError(
            _LICENCES,
            f"column 'date' holds a value that is not a date ({error})",
            fix="give ISO dates, e.g. 2026-03-01",
        ) from None
    table = pd.DataFrame(
        {"date": dates.astype("datetime64[us, UTC]"), "licensed_users": counts}
    ).dropna()
    return table.sort_values(["date", "licensed_users"], kind="stable")


def _licence_at(licences: Any | None, moment: pd.Timestamp) -> int | None:
    if licences is None:
        return None
    value = licensed_users_at(licences, pd.Series([moment])).iloc[0]
    return None if pd.isna(value) else int(value)


def _utc(value: DateLike) -> pd.Timestamp:
    if value is None:
        raise ConfigError("a window bound is missing: pass a date or date-time")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{value!r} is not a date or date-time; pass ISO 8601, e.g. 2026-03-01"
        ) from None
    if pd.isna(stamp):
        raise ConfigError(f"{value!r} is not a date or date-time (NaT)")
    if stamp.tzinfo is None:
        return stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC")


def _window(start: DateLike, end: DateLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` in UTC; a window that ends before it starts is an error.

    >>> _window("2026-03-08", "2026-03-01")
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: window_start 2026-03-08 00:00:00+00:00 is after window_end 2026-03-01 00:00:00+00:00: swap them
    """
    first, last = _utc(start), _utc(end)
    if first > last:
        raise ConfigError(f"window_start {first} is after window_end {last}: swap them")
    return first, last


def _local_days(
    stamps: pd.Series, timezone: str
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Calendar day numbers (days since 1970-01-01) in ``timezone``."""
    local = stamps.dt.tz_convert(timezone).dt.tz_localize(None)
    days: np.ndarray[Any, np.dtype[np.int64]] = (
        local.to_numpy().astype("datetime64[D]").astype("int64")
    )
    return days


def _day_of(value: str | pd.Timestamp, timezone: str) -> int:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return (stamp.normalize() - pd.Timestamp("1970-01-01")).days


def _span(
    days: np.ndarray[Any, np.dtype[np.int64]],
    start: DateLike,
    end: DateLike,
    timezone: str,
) -> tuple[int, int]:
    if (start is None or end is None) and len(days) == 0:
        raise InputError(
            _ACTIVITY,
            "has no events, so the days it covers are unknown",
            fix="check that the activity source's file holds events for the period"
            " (Python: pass start= and end= to report the covered days with zero"
            " activity)",
        )
    first = int(days.min()) if start is None else _day_of(start, timezone)
    last = int(days.max()) if end is None else _day_of(end, timezone)
    if last < first:
        raise ConfigError(f"end {end!r} is before start {start!r}")
    return first, last


def _dates(days: np.ndarray[Any, Any]) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(days, dtype="int64"), unit="D"))


def _week_number(days: Any) -> Any:
    """Monday-based week number of day numbers (scalar or array)."""
    return (days + _EPOCH_WEEKDAY_OFFSET) // 7


def _week_complete(
    weeks: np.ndarray[Any, Any], first: int, last: int
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    monday = weeks * 7 - _EPOCH_WEEKDAY_OFFSET
    result: np.ndarray[Any, np.dtype[np.bool_]] = (monday >= first) & (
        monday + 6 <= last
    )
    return result


def _user_codes(users: pd.Series) -> np.ndarray[Any, np.dtype[np.int64]]:
    codes, _ = pd.factorize(users)
    return codes.astype("int64")


def _rolling_distinct(
    users: np.ndarray[Any, np.dtype[np.int64]],
    days: np.ndarray[Any, np.dtype[np.int64]],
    first: int,
    n_days: int,
    width: int,
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Distinct users active in the ``width`` days ending with each day.

    A user active on day *d* counts on days *d* .. *d + width - 1*. Per user,
    with active days sorted, day *dᵢ* adds the days not already covered by
    *dᵢ₋₁*: from ``max(dᵢ, dᵢ₋₁ + width)`` to ``dᵢ + width - 1``. A difference
    array then counts users per day in one pass.
    """
    pairs = pd.DataFrame({"u": users, "d": days - first}).drop_duplicates()
    pairs = pairs.sort_values(["u", "d"])
    previous_end = pairs.groupby("u")["d"].shift() + width
    begin = np.maximum(pairs["d"].to_numpy(), previous_end.fillna(-1).to_numpy())
    stop = pairs["d"].to_numpy() + width

    diff = np.zeros(n_days + width + 1, dtype="int64")
    np.add.at(diff, begin.astype("int64"), 1)
    np.add.at(diff, stop.astype("int64"), -1)
    counts: np.ndarray[Any, np.dtype[np.int64]] = np.cumsum(diff)[:n_days]
    return counts


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0 or unknown."""
    num = pd.to_numeric(numerator).astype(float)
    den = pd.to_numeric(denominator).astype("Float64").astype(float)
    result: pd.Series = (num / den.where(den > 0)).astype(float)
    return result


def _days(delta: pd.Series) -> pd.Series:
    days: pd.Series = delta.dt.total_seconds() / 86400
    return days


def _period_seconds(freq: str) -> float:
    problem = ConfigError(
        f"freq {freq!r} is not a fixed period; use e.g. 'min', '15min', 'h' or 'D'"
    )
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as error:
        raise problem from error
    # A fixed period has the same length from any start (months and weeks do not).
    bases = [
        pd.Timestamp(day, tz="UTC")
        for day in ("2001-01-15", "2001-01-31", "2001-02-28")
    ]
    lengths = {(base + offset - base).total_seconds() for base in bases}
    if len(lengths) != 1 or isinstance(offset, pd.offsets.Week):
        raise problem
    return float(lengths.pop())


def _feature_list(features: Sequence[str]) -> list[str]:
    if isinstance(features, str):
        raise ConfigError(
            f"features must be a list of feature names, got the string {features!r}"
        )
    wanted = list(dict.fromkeys(str(f) for f in features))
    if not wanted:
        raise ConfigError(
            "the feature list is empty: configure the product's features"
            " (params.features) to measure feature utilisation"
        )
    return wanted
