"""Multiwindow multi-burn-rate policy: oracle factors and replay over history."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.metrics import burn
from analytics.metrics.burn import (
    default_policy,
    error_ratio_thresholds,
    evaluate_alerts_over_history,
    max_burn_rate,
    scaled_policy,
    time_to_detect,
    unreachable_alerts,
)

START = pd.Timestamp("2024-05-01T00:00:00Z")


def test_default_table_for_30_days():
    policy = default_policy()
    assert [(w.long_seconds, w.short_seconds) for w in policy] == [
        (3600, 300),
        (21600, 1800),
        (86400, 7200),
        (259200, 21600),
    ]
    assert [w.factor for w in policy] == pytest.approx([14.4, 6, 3, 1], abs=1e-12)
    assert [w.budget_share for w in policy] == [0.02, 0.05, 0.10, 0.10]
    assert [w.name for w in policy] == ["1h/5m", "6h/30m", "1d/2h", "3d/6h"]


def test_28_day_factors_keep_the_budget_shares():
    factors = [w.factor for w in scaled_policy(28)]
    assert factors == pytest.approx([13.44, 5.6, 2.8, 0.9333], abs=5e-5)


def test_error_ratio_thresholds_for_three_nines():
    assert error_ratio_thresholds(0.999) == pytest.approx(
        [0.0144, 0.006, 0.003, 0.001], abs=1e-12
    )


def test_ninety_percent_page_can_never_fire():
    assert max_burn_rate(0.9) == pytest.approx(10.0)
    messages = unreachable_alerts(0.9)
    assert len(messages) == 1
    assert "1h/5m" in messages[0]
    assert "never fire" in messages[0]
    assert unreachable_alerts(0.999) == []


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5, 99.9])
def test_bad_target(bad):
    with pytest.raises(ConfigError, match="target"):
        error_ratio_thresholds(bad)


def counters(bad_per_minute: np.ndarray, requests_per_minute: float = 1000.0):
    """Good and total counter frames at 60 s from per-minute bad counts."""
    minutes = len(bad_per_minute)
    times = START + pd.to_timedelta(np.arange(minutes), unit="min")
    total = np.arange(minutes) * requests_per_minute
    good = total - np.concatenate(([0.0], np.cumsum(bad_per_minute[1:])))

    def frame(values):
        return pd.DataFrame(
            {
                "timestamp": times,
                "metric": "m",
                "labels": [{}] * minutes,
                "series": "m",
                "value": values,
            }
        )

    return frame(good), frame(total)


def test_full_outage_is_detected_within_one_step_and_clears():
    minutes = 6 * 60
    bad = np.zeros(minutes)
    bad[200:230] = 1000.0  # 30 minutes, every request failing
    good, total = counters(bad)

    fired = evaluate_alerts_over_history(
        good, total, target=0.999, policy=default_policy()[:1]
    )

    assert len(fired) == 1
    row = fired.iloc[0]
    # bad[i] are the errors between minute i - 1 and i: the outage is 199..229.
    incident = START + pd.Timedelta(minutes=199)
    assert row["start"] == incident + pd.Timedelta(minutes=1)  # first evaluation
    # Clears once the 5-minute window no longer holds an error.
    assert row["end"] == incident + pd.Timedelta(minutes=30 + 5)
    assert time_to_detect(fired, incident) == {"1h/5m": 60.0}


def test_two_percent_errors_take_44_minutes_to_page():
    """1h window needs 0.02 × x/60 > 0.0144, x > 43.2 minutes."""
    minutes = 5 * 60
    bad = np.zeros(minutes)
    bad[120:] = 20.0  # 2 % of 1,000 requests a minute
    good, total = counters(bad)
    fired = evaluate_alerts_over_history(
        good, total, target=0.999, policy=default_policy()[:1]
    )
    incident = START + pd.Timedelta(minutes=119)
    assert time_to_detect(fired, incident) == {"1h/5m": 44 * 60.0}
    assert pd.isna(fired.iloc[0]["end"])  # still firing when the data ends


def test_an_error_counter_fires_like_good_and_total():
    minutes = 6 * 60
    bad = np.zeros(minutes)
    bad[200:230] = 1000.0
    good, total = counters(bad)
    errors = total.assign(value=total["value"] - good["value"])
    policy = default_policy()[:2]

    from_good = evaluate_alerts_over_history(good, total, target=0.999, policy=policy)
    from_bad = evaluate_alerts_over_history(
        errors, total, target=0.999, policy=policy, numerator_is_bad=True
    )

    assert len(from_good) >= 1
    pd.testing.assert_frame_equal(from_bad, from_good)


def test_zero_traffic_never_fires():
    minutes = 3 * 60
    times = START + pd.to_timedelta(np.arange(minutes), unit="min")
    flat = pd.DataFrame({"timestamp": times, "series": "m", "value": 5.0})
    fired = evaluate_alerts_over_history(flat, flat, target=0.999)
    assert fired.empty
    assert list(fired.columns) == list(burn.ALERT_COLUMNS)


def test_counter_reset_is_not_an_error_burst():
    minutes = 3 * 60
    bad = np.zeros(minutes)
    good, total = counters(bad)
    for frame in (good, total):
        frame.loc[100:, "value"] -= frame.loc[99, "value"]  # restart at 0
    fired = evaluate_alerts_over_history(good, total, target=0.999)
    assert fired.empty


def test_doctests_run():
    failures, tried = doctest.testmod(burn)
    assert tried > 0
    assert failures == 0
