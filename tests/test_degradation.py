"""Degradation trend: planted trend and level shift, robustness, flat series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.metrics import degradation


def _hourly(values: np.ndarray) -> pd.Series:
    index = pd.date_range("2024-01-01", periods=len(values), freq="h", tz="UTC")
    return pd.Series(values, index=index)


def test_planted_slope_recovered_despite_outliers() -> None:
    rng = np.random.default_rng(2)
    days = np.arange(24 * 14) / 24
    values = 180 + 3.0 * days + rng.normal(0, 2, len(days))
    values[::50] += 500  # outliers that would drag a least-squares slope

    trend = degradation.degradation_trend(_hourly(values), metric="p95", unit="ms")

    assert trend.slope_per_day == pytest.approx(3.0, abs=0.15)
    assert trend.direction == "rising"
    assert trend.ci_low_per_day <= 3.0 <= trend.ci_high_per_day
    assert trend.sentence().startswith("p95 rising by ")


def test_planted_level_shift_is_found() -> None:
    rng = np.random.default_rng(4)
    values = np.r_[rng.normal(150, 3, 200), rng.normal(175, 3, 136)]
    y = _hourly(values)

    trend = degradation.degradation_trend(y, metric="p95", unit="ms")
    shift = degradation.level_shift(y)

    assert trend.direction == "rising"
    assert shift.at == y.index[200]
    assert shift.after_median - shift.before_median == pytest.approx(25, abs=2)
    assert shift.p_value < 1e-6


def test_no_trend_is_flat() -> None:
    rng = np.random.default_rng(9)
    trend = degradation.degradation_trend(_hourly(rng.normal(100, 5, 24 * 7)))
    assert trend.direction == "flat"
    assert "no significant trend" in trend.sentence()


def test_window_keeps_only_recent_points() -> None:
    values = np.r_[np.full(24 * 7, 100.0), 100 + np.arange(24 * 7) / 24 * 2.0]
    trend = degradation.degradation_trend(_hourly(values), window="6D")
    assert trend.slope_per_day == pytest.approx(2.0)


def test_too_few_points_is_an_error() -> None:
    with pytest.raises(ConfigError, match="at least 4"):
        degradation.degradation_trend(_hourly(np.ones(3)), metric="p95")
