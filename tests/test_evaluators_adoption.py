"""Adoption criteria: PASS / WARN / FAIL / NO DATA from activity and licence loads."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from analytics.config import CriterionConfig
from analytics.errors import ConfigError
from analytics.evaluators_adoption import (
    ADOPTION_EVALUATORS,
    ADOPTION_KINDS,
    evaluate_adoption,
    evaluate_feature_utilisation,
    evaluate_time_to_first_value,
    evidence_evaluators,
)
from analytics.frames import LoadResult, empty_rejected
from analytics.readiness import Status
from analytics.sources.activity import read_access_log

ROOT = Path(__file__).resolve().parents[1]
APACHE_LOG = ROOT / "data" / "real" / "apache_access_2015-05.log.gz"
AS_OF = "2026-04-01"


def _load(frame: pd.DataFrame, kind: str) -> LoadResult:
    return LoadResult(
        frame, empty_rejected(), f"{kind}.csv", kind, len(frame), len(frame)
    )


def _activity(rows: list[tuple[str, str, str]]) -> LoadResult:
    frame = pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime(
                [r[1] for r in rows], utc=True, format="ISO8601"
            ),
            "feature": [r[2] for r in rows],
        }
    )
    return _load(frame, "activity")


def _licences(count: int, date: str = "2026-01-01") -> LoadResult:
    frame = pd.DataFrame(
        {"date": pd.to_datetime([date], utc=True), "licensed_users": [count]}
    )
    return _load(frame, "licences")


def _config(kind: str, **fields: Any) -> CriterionConfig:
    defaults: dict[str, dict[str, Any]] = {
        "adoption": {"unit": "%", "target": 90, "alert": 70, "lookback": "30d"},
        "feature_utilisation": {
            "unit": "%",
            "target": 80,
            "alert": 60,
            "lookback": "7d",
        },
        "time_to_first_value": {
            "unit": "days",
            "op": "<",
            "target": 30,
            "alert": 45,
            "lookback": "90d",
        },
    }
    return CriterionConfig(title=kind, kind=kind, **{**defaults[kind], **fields})


# Ten users; the data start on 2026-02-01 (before the 30-day window of 03-02 .. 04-01).
MONTH = _activity(
    [("u0", "2026-02-01T09:00:00Z", "search")]
    + [(f"u{i}", f"2026-03-{10 + i:02d}T09:00:00Z", "search") for i in range(1, 9)]
    + [("u1", "2026-04-01T00:00:00Z", "search")]  # at as_of: not yet known
)


# --- adoption (MAU / licensed) --------------------------------------------------------


@pytest.mark.parametrize(
    ("licensed", "status", "value"),
    [(8, Status.PASS, 100.0), (10, Status.WARN, 80.0), (12, Status.FAIL, 8 / 12 * 100)],
)
def test_adoption_statuses(licensed: int, status: Status, value: float) -> None:
    result = evaluate_adoption(
        _config("adoption"), MONTH, _licences(licensed), AS_OF, criterion_id="adopt"
    )
    assert result.status is status
    assert result.value == pytest.approx(value)
    assert result.evidence_count == 8
    assert result.criterion.criterion_id == "adopt"
    assert result.window_start == pd.Timestamp("2026-03-02", tz="UTC")
    assert result.coverage_ratio == 1.0
    assert result.sources == ("activity.csv", "licences.csv")


def test_adoption_no_data_reasons() -> None:
    config = _config("adoption")
    assert (
        "no activity source"
        in evaluate_adoption(config, None, _licences(8), AS_OF).detail
    )
    assert "no licence counts" in evaluate_adoption(config, MONTH, None, AS_OF).detail

    later = evaluate_adoption(config, MONTH, _licences(8, "2026-05-01"), AS_OF)
    assert later.status is Status.NO_DATA and "no licence count" in later.detail

    silent = evaluate_adoption(config, MONTH, _licences(8), "2026-06-01")
    assert silent.status is Status.NO_DATA and "0 events" in silent.detail

    # Data that start mid-window cover too little of it: NO DATA, not a low figure.
    short = _activity([("u1", "2026-03-25T09:00:00Z", "search")])
    partial = evaluate_adoption(config, short, _licences(1), AS_OF)
    assert partial.status is Status.NO_DATA
    assert partial.coverage_ratio == pytest.approx(6.625 / 30)
    assert evaluate_adoption(
        config, short, _licences(1), AS_OF, min_coverage=0.2
    ).status is (Status.PASS)


def test_adoption_first_week() -> None:
    config = _config(
        "adoption",
        target=80,
        params={"mode": "first_week", "go_live": "2026-03-11T00:00:00Z"},
    )
    done = evaluate_adoption(config, MONTH, _licences(8), "2026-03-20")
    # [03-11, 03-18): u1 .. u7 -> 7 of 8 licensed.
    assert (done.status, done.value) == (Status.PASS, 87.5)
    assert done.window_end == pd.Timestamp("2026-03-18", tz="UTC")

    early = evaluate_adoption(config, MONTH, _licences(8), "2026-03-14")
    assert early.status is Status.NO_DATA
    assert "3 users active so far / 8 licensed = 37.5%" in early.detail

    missing = _config("adoption", params={"mode": "first_week"})
    assert "go_live" in evaluate_adoption(missing, MONTH, _licences(8), AS_OF).detail
    with pytest.raises(ConfigError, match="mode"):
        evaluate_adoption(
            _config("adoption", params={"mode": "daily"}), MONTH, None, AS_OF
        )


def test_more_active_users_than_licences_is_no_data_not_above_100() -> None:
    # The user attack: 21 distinct users (one 'U001' besides 'u001') against 10
    # licences passed at 210 %.
    rows = [(f"u{i:03d}", "2026-03-20T09:00:00Z", "search") for i in range(20)]
    before = ("u000", "2026-02-01T09:00:00Z", "search")  # the data cover the window
    events = _activity([before, *rows, ("U001", "2026-03-21T09:00:00Z", "search")])
    result = evaluate_adoption(_config("adoption"), events, _licences(10), AS_OF)
    assert result.status is Status.NO_DATA
    assert result.value is None
    assert (
        "21 distinct active users in the window but only 10 licensed" in result.detail
    )
    assert "1 id(s) differ only in case ('U001' / 'u001')" in result.detail
    assert "Fix the licence file" in result.detail

    # As many users as licences is 100 %, a PASS.
    exact = evaluate_adoption(_config("adoption"), events, _licences(21), AS_OF)
    assert (exact.status, exact.value) == (Status.PASS, 100.0)


def test_first_week_with_more_users_than_licences_is_no_data() -> None:
    config = _config(
        "adoption", params={"mode": "first_week", "go_live": "2026-03-11T00:00:00Z"}
    )
    # [03-11, 03-18): u1 .. u7 active, 5 licences.
    result = evaluate_adoption(config, MONTH, _licences(5), "2026-03-20")
    assert result.status is Status.NO_DATA
    assert "7 distinct active users in the window but only 5 licensed" in result.detail
    assert "differ only in case" not in result.detail


# --- feature utilisation --------------------------------------------------------------

FEATURES = ["search", "export", "share", "alerts", "reports"]


def test_feature_utilisation_statuses_and_detail() -> None:
    rows = [("u0", "2026-03-01T09:00:00Z", "search")] + [
        ("u1", f"2026-03-{26 + i}T09:00:00Z", feature)
        for i, feature in enumerate(["search", "export", "share", "alerts"])
    ]
    config = _config("feature_utilisation", params={"features": FEATURES})
    result = evaluate_feature_utilisation(config, _activity(rows), None, AS_OF)

    assert (result.status, result.value) == (Status.PASS, 80.0)
    assert "4 of 5 configured features" in result.detail
    assert "not used: reports" in result.detail

    three = evaluate_feature_utilisation(config, _activity(rows[:4]), None, AS_OF)
    assert (three.status, three.value) == (Status.WARN, 60.0)
    two = evaluate_feature_utilisation(config, _activity(rows[:3]), None, AS_OF)
    assert (two.status, two.value) == (Status.FAIL, 40.0)


def test_feature_utilisation_no_data() -> None:
    bare = _config("feature_utilisation")
    assert (
        "params.features"
        in evaluate_feature_utilisation(bare, MONTH, None, AS_OF).detail
    )
    config = _config("feature_utilisation", params={"features": FEATURES})
    assert (
        evaluate_feature_utilisation(config, None, None, AS_OF).status is Status.NO_DATA
    )
    quiet = evaluate_feature_utilisation(config, MONTH, None, "2026-03-30")
    assert quiet.status is Status.NO_DATA and "0 events" in quiet.detail
    # A single name instead of a list is refused when the config is loaded.
    with pytest.raises(ValidationError, match="must be a list, got 'search'"):
        _config("feature_utilisation", params={"features": "search"})


# --- time to first value ----------------------------------------------------------------

JOURNEYS = _activity(
    [
        ("a", "2026-01-10T00:00:00Z", "onboarding"),  # reached in 10 days
        ("a", "2026-01-20T00:00:00Z", "insight"),
        ("b", "2026-01-15T00:00:00Z", "onboarding"),  # reached in 20 days
        ("b", "2026-02-04T00:00:00Z", "insight"),
        ("c", "2026-02-01T00:00:00Z", "onboarding"),  # waiting 59 days: a miss
        ("d", "2026-03-25T00:00:00Z", "onboarding"),  # waiting 7 days: undecided
        ("e", "2025-11-01T00:00:00Z", "onboarding"),  # before the 90-day window
        ("e", "2025-11-02T00:00:00Z", "insight"),
    ]
)


def test_time_to_first_value_decided_users() -> None:
    result = evaluate_time_to_first_value(
        _config("time_to_first_value"), JOURNEYS, None, AS_OF
    )
    # Decided: 10, 20 and c at >= 59 days; median 20 -> PASS (< 30).
    assert (result.status, result.value, result.evidence_count) == (
        Status.PASS,
        20.0,
        3,
    )
    assert "1 still waiting less not counted" in result.detail

    mean = evaluate_time_to_first_value(
        _config("time_to_first_value", params={"statistic": "mean"}),
        JOURNEYS,
        None,
        AS_OF,
    )
    assert mean.value == pytest.approx((10 + 20 + 59) / 3)  # 29.7 days, a lower bound
    assert mean.status is Status.PASS
    p90 = evaluate_time_to_first_value(
        _config("time_to_first_value", params={"statistic": "p90"}),
        JOURNEYS,
        None,
        AS_OF,
    )
    assert p90.value == pytest.approx(20 + 0.8 * 39)  # linear between 20 and 59
    assert p90.status is Status.FAIL


def test_time_to_first_value_names_and_no_data() -> None:
    config = _config(
        "time_to_first_value", params={"start_event": "signup", "value_event": "report"}
    )
    result = evaluate_time_to_first_value(config, JOURNEYS, None, AS_OF)
    assert result.status is Status.NO_DATA and "'signup'" in result.detail
    assert (
        evaluate_time_to_first_value(
            _config("time_to_first_value"), None, None, AS_OF
        ).status
        is Status.NO_DATA
    )
    with pytest.raises(ConfigError, match="statistic"):
        evaluate_time_to_first_value(
            _config("time_to_first_value", params={"statistic": "max"}),
            JOURNEYS,
            None,
            AS_OF,
        )


# --- registry, wiring, real data --------------------------------------------------------


def test_registry_and_evidence_adapter() -> None:
    assert tuple(ADOPTION_EVALUATORS) == ADOPTION_KINDS
    table = evidence_evaluators(lambda ev: ev.activity, lambda ev: ev.licences)
    evidence = SimpleNamespace(
        activity=MONTH,
        licences=_licences(10),
        as_of=pd.Timestamp(AS_OF, tz="UTC"),
        config=SimpleNamespace(min_coverage=0.9),
    )
    result = table["adoption"]("adoption", _config("adoption"), evidence)  # type: ignore[arg-type]
    assert (result.status, result.value) == (Status.WARN, 80.0)
    # Named as the evidence names them, so its stale / rejected-rows guards apply.
    assert result.sources == ("activity", "licences")


def test_real_access_log_as_activity() -> None:
    log = read_access_log(APACHE_LOG)
    features = ["presentations", "blog", "projects", "articles", "nosuchsection"]
    config = _config(
        "feature_utilisation", lookback="3d", params={"features": features}
    )
    result = evaluate_feature_utilisation(config, log, None, "2015-05-20T12:00:00Z")
    assert (result.status, result.value) == (Status.PASS, 80.0)
    assert "not used: nosuchsection" in result.detail

    week = _config(
        "adoption",
        target=80,
        params={"mode": "first_week", "go_live": "2015-05-17T10:00:00Z", "days": 3},
    )
    adoption = evaluate_adoption(
        week, log, _licences(2_000, "2015-01-01"), "2015-05-21"
    )
    frame = log.frame
    inside = frame["timestamp"] < pd.Timestamp("2015-05-20T10:00:00Z")
    assert adoption.value == pytest.approx(frame.loc[inside, "user_id"].nunique() / 20)
    assert adoption.evidence_count == int(inside.sum())


def test_time_to_first_value_on_a_feed_covering_little_of_the_window_is_no_data() -> (
    None
):
    # Found by a fresh-user test: five events on one day of a 90-day window gave
    # a blocking PASS from one user (fast starters are seen, slow ones are not).
    from analytics.config import CriterionConfig
    from analytics.evaluators_adoption import evaluate_time_to_first_value
    from analytics.frames import LoadResult, empty_rejected

    events = pd.DataFrame(
        {
            "user_id": ["a", "a"],
            "feature": ["onboarding", "insight"],
            "timestamp": pd.to_datetime(
                ["2026-03-01 09:00", "2026-03-01 10:00"], utc=True
            ),
        }
    )
    load = LoadResult(events, empty_rejected(), "events.csv", "activity", 2, 2)
    config = CriterionConfig(
        title="TTV", kind="time_to_first_value", unit="days", op="<", target=30,
        lookback="90d",
    )  # fmt: skip
    result = evaluate_time_to_first_value(config, load, None, "2026-03-02")
    assert result.status.value == "NO DATA"
    assert result.coverage_ratio is not None and result.coverage_ratio < 0.02
