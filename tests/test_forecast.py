"""Capacity forecasts: known-answer cases, intervals, resampling and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.errors import ConfigError
from analytics.metrics import forecast as fc


def _hourly(values: np.ndarray, start: str = "2024-01-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="h", tz="UTC")
    return pd.Series(values, index=index)


def test_pure_seasonal_series_is_forecast_exactly_by_seasonal_naive() -> None:
    t = np.arange(24 * 21)
    pattern = 50 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.cos(2 * np.pi * t / 168)
    y = _hourly(pattern)

    result = fc.forecast_capacity(
        y, horizon_steps=168, models=("seasonal_naive",), seasonal_periods=(24, 168)
    )

    assert result.model == "seasonal_naive_168"
    np.testing.assert_allclose(result.mean.to_numpy(), pattern[-168:], atol=1e-9)
    assert result.backtest.set_index("model").loc["seasonal_naive_168", "mase"] < 1e-5


def test_planted_linear_trend_crosses_limit_at_computable_time() -> None:
    # y = 100 + 0.5 t (t in hours) plus small noise: crosses 300 at t = 400 h.
    rng = np.random.default_rng(7)
    t = np.arange(24 * 14)
    y = _hourly(100 + 0.5 * t + rng.normal(0, 0.2, len(t)))

    result = fc.forecast_capacity(
        y, horizon_steps=24 * 4, seasonal_periods=(24,), models=("mstl_ets", "ets")
    )
    crossing = fc.capacity_crossing(result, limit=300.0)

    expected = y.index[0] + pd.Timedelta(hours=400)
    assert crossing.median_at is not None
    assert abs(crossing.median_at - expected) <= pd.Timedelta(hours=3)
    assert (
        crossing.earliest_at is not None and crossing.earliest_at <= crossing.median_at
    )
    assert crossing.latest_at is None or crossing.latest_at >= crossing.median_at
    assert crossing.headroom_now == pytest.approx(300 - (100 + 0.5 * t[-1]), abs=1.0)
    assert crossing.headroom_at_horizon < 0
    assert crossing.exceed_probability > 0.9


def test_crossing_time_is_exact_on_a_line() -> None:
    idx = pd.date_range("2024-01-01", periods=10, freq="h")
    line = pd.Series(2.0 * np.arange(10), index=idx)
    assert fc.crossing_time(line, 7.0) == pd.Timestamp("2024-01-01 03:30")
    assert fc.crossing_time(line, 100.0) is None


def test_interval_coverage_near_nominal_with_known_noise() -> None:
    # Seasonal naive on season + iid N(0, 2²): the error of each step is
    # N(0, 2·2²), which the residual-based sd estimates; coverage ≈ nominal.
    rng = np.random.default_rng(11)
    t = np.arange(24 * 10 + 24)
    hits = {0.80: 0, 0.95: 0}
    total = 0
    for _ in range(200):
        y = 100 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 2, len(t))
        fit = fc.fit_model("seasonal_naive_24", y[:-24], 24, (24,))
        for level in hits:
            z = stats.norm.ppf(0.5 + level / 2)
            hits[level] += int(np.sum(np.abs(y[-24:] - fit.mean) <= z * fit.sd))
        total += 24
    assert hits[0.80] / total == pytest.approx(0.80, abs=0.03)
    assert hits[0.95] / total == pytest.approx(0.95, abs=0.02)


def test_intervals_widened_when_backtest_coverage_misses() -> None:
    # Quiet history, noisy recent weeks: the backtest folds see larger errors
    # than the in-sample sd promises, so the intervals are widened and noted.
    rng = np.random.default_rng(3)
    t = np.arange(24 * 14)
    noise = np.where(t < 24 * 10, rng.normal(0, 0.1, len(t)), rng.normal(0, 5, len(t)))
    y = _hourly(50 + 10 * np.sin(2 * np.pi * t / 24) + noise)

    result = fc.forecast_capacity(
        y, horizon_steps=24, seasonal_periods=(24,), models=("seasonal_naive",)
    )

    assert result.intervals_widened
    assert any("widened" in note for note in result.notes)
    assert (
        (result.upper_95 - result.lower_95).gt(result.upper_80 - result.lower_80).all()
    )


def test_conformal_scale_never_narrows() -> None:
    assert fc.conformal_scale(np.zeros(10), np.ones(10), 0.95) == 1.0
    assert fc.conformal_scale(np.full(10, 5.0), np.ones(10), 0.95) > 2.5


def test_regularise_rule_for_repeats_irregular_and_gaps() -> None:
    idx = pd.to_datetime(
        ["2024-01-01 00:00", "2024-01-01 00:00", "2024-01-01 01:20", "2024-01-01 04:00"]
    )
    result = fc.regularise(pd.Series([1.0, 3.0, 5.0, 11.0], index=idx), "h")
    assert result.values.tolist() == [2.0, 5.0, 7.0, 9.0, 11.0]
    assert len(result.notes) == 2

    with pytest.raises(ConfigError, match="gap of 2 empty"):
        fc.regularise(pd.Series([1.0, 3.0, 5.0, 11.0], index=idx), "h", max_gap_steps=1)


def test_unsorted_input_gives_the_same_forecast() -> None:
    t = np.arange(24 * 5)
    y = _hourly(10 + np.sin(2 * np.pi * t / 24))
    kwargs = {
        "horizon_steps": 24,
        "seasonal_periods": (24,),
        "models": ("seasonal_naive",),
    }
    a = fc.forecast_capacity(y, **kwargs)  # type: ignore[arg-type]
    b = fc.forecast_capacity(y.sample(frac=1, random_state=1), **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(a.mean, b.mean)


def test_series_too_short_for_seasonality_is_an_error() -> None:
    y = _hourly(np.ones(24 * 7))
    with pytest.raises(ConfigError, match="too short for seasonal period 168"):
        fc.forecast_capacity(y, horizon_steps=24, seasonal_periods=(24, 168))


def test_unknown_model_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown forecast model 'prophet'"):
        fc.fit_model("prophet", np.ones(100), 10, (24,))


def test_default_models_run_and_report_backtest() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(24 * 7 * 5)
    base = 200 + 30 * np.sin(2 * np.pi * t / 24) + 15 * np.sin(2 * np.pi * t / 168)
    y = _hourly(base + 0.05 * t + rng.normal(0, 3, len(t)))

    result = fc.forecast_capacity(y, horizon_steps=48, folds=2)

    assert set(result.backtest["model"]) == {
        "seasonal_naive_168",
        "seasonal_naive_24",
        "mstl_ets",
        "mstl_level",
        "snaive_mstl",
        "unobserved_components",
        "ets",
    }
    assert result.model in set(result.backtest["model"])
    assert len(result.frame()) == 48
    assert (result.lower_95 <= result.lower_80).all()
    assert (result.upper_80 <= result.upper_95).all()
