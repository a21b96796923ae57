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

    # One row per model, plus one for the combination when it was chosen.
    models = set(result.backtest["model"])
    assert {m for m in models if not m.startswith("mean(")} == {
        "seasonal_naive_168",
        "seasonal_naive_24",
        "seasonal_median_168",
        "seasonal_median_24",
        "mstl_ets",
        "mstl_level",
        "snaive_mstl",
        "ets",
    }
    assert result.model in set(result.backtest["model"])
    assert len(result.frame()) == 48
    assert (result.lower_95 <= result.lower_80).all()
    assert (result.upper_80 <= result.upper_95).all()


def _seasonal_noise(t: np.ndarray, noise_sd: np.ndarray, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return _hourly(
        50 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, len(t)) * noise_sd
    )


def test_conformal_scale_narrows_only_when_asked() -> None:
    errors, sd = np.full(20, 0.5), np.ones(20)
    z95 = stats.norm.ppf(0.975)
    assert fc.conformal_scale(errors, sd, 0.95) == 1.0
    assert fc.conformal_scale(errors, sd, 0.95, narrow=True) == pytest.approx(
        0.5 / z95, rel=1e-12
    )


def test_backtest_origins_are_fold_step_apart() -> None:
    y = np.arange(24 * 10, dtype=float)
    _, errors = fc.backtest(
        y,
        horizon_steps=24,
        seasonal_periods=(24,),
        models=("seasonal_naive",),
        folds=4,
        fold_step_steps=12,
    )
    # Origins 24·9 − 12·k, k = 3..0: the naive error of step s is 24 at every
    # origin on a line, and the fold's MASE scale is the lag-24 naive error (24).
    assert sorted(errors["fold"].unique()) == [0, 1, 2, 3]
    assert len(errors) == 4 * 24
    np.testing.assert_allclose(errors["error"], 24.0)
    np.testing.assert_allclose(errors["scale"], 24.0)


def _backtest_frames(
    mase: dict[str, float], errors: dict[str, list[float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A hand-made backtest: one fold, unit sd and unit MASE scale."""
    table = pd.DataFrame(
        {
            "model": list(mase),
            "folds": 1,
            "mase": list(mase.values()),
            "coverage_80": 0.8,
            "coverage_95": 0.95,
            "fit_seconds_median": 0.0,
            "warnings": 0,
        }
    )
    frames = [
        pd.DataFrame(
            {
                "model": name,
                "fold": 0,
                "step": np.arange(1, len(e) + 1),
                "error": e,
                "sd": 1.0,
                "scale": 1.0,
            }
        )
        for name, e in errors.items()
    ]
    return table, pd.concat(frames, ignore_index=True)


def test_combination_is_used_only_when_it_backtests_better() -> None:
    # Errors of opposite sign cancel in the mean: MASE 0 beats both members.
    table, errors = _backtest_frames(
        {"ets": 1.0, "mstl_level": 1.2, "mstl_ets": 3.0},
        {"ets": [1.0, -1.0], "mstl_level": [-1.2, 1.2], "mstl_ets": [3.0, 3.0]},
    )
    choice = fc.choose_model(table, errors, combine_top=2)
    assert choice.name == "mean(ets, mstl_level)"
    assert choice.members == ("ets", "mstl_level")
    combined = choice.backtest.set_index("model").loc[choice.name]
    assert combined["mase"] == pytest.approx(0.1)

    # Errors of the same sign: the mean is worse than the best model alone.
    table, errors = _backtest_frames(
        {"ets": 1.0, "mstl_level": 1.2},
        {"ets": [1.0, 1.0], "mstl_level": [1.2, 1.2]},
    )
    assert fc.choose_model(table, errors, combine_top=2).name == "ets"


def test_fit_choice_averages_the_members() -> None:
    y = 10 + np.sin(2 * np.pi * np.arange(24 * 6) / 24) + np.linspace(0, 1, 24 * 6)
    table, errors = _backtest_frames(
        {"seasonal_naive_24": 1.0, "ets": 1.1},
        {"seasonal_naive_24": [1.0], "ets": [-1.0]},
    )
    choice = fc.choose_model(table, errors, combine_top=2)
    fit = fc.fit_choice(choice, y, 24, (24,))
    members = [fc.fit_model(m, y, 24, (24,)) for m in ("seasonal_naive_24", "ets")]
    np.testing.assert_allclose(fit.mean, (members[0].mean + members[1].mean) / 2)
    np.testing.assert_allclose(fit.sd, (members[0].sd + members[1].sd) / 2)


def test_simpler_model_wins_a_near_tie() -> None:
    table, errors = _backtest_frames(
        {"mstl_ets": 0.99, "seasonal_naive_24": 1.0},
        {"mstl_ets": [0.99], "seasonal_naive_24": [1.0]},
    )
    assert fc.choose_model(table, errors).name == "mstl_ets"
    assert fc.choose_model(table, errors, simpler_within=0.02).name == (
        "seasonal_naive_24"
    )


def test_symmetric_calibration_narrows_too_wide_intervals() -> None:
    # Noisy history, quiet recent weeks: the in-sample sd promises wider errors
    # than the backtest sees, so the bands shrink (the default), and say so.
    t = np.arange(24 * 14)
    y = _seasonal_noise(t, np.where(t < 24 * 10, 5.0, 0.5), seed=4)
    kwargs = {"horizon_steps": 24, "seasonal_periods": (24,), "folds": 3}

    wide = fc.forecast_capacity(y, models=("seasonal_naive",), narrow=False, **kwargs)  # type: ignore[arg-type]
    narrow = fc.forecast_capacity(y, models=("seasonal_naive",), **kwargs)  # type: ignore[arg-type]

    assert wide.interval_scale == {0.80: 1.0, 0.95: 1.0}
    assert narrow.intervals_narrowed and not narrow.intervals_widened
    # 95 % cannot be more than 5 points above nominal: only 80 % is narrowed.
    assert 0 < narrow.interval_scale[0.80] < 1
    assert narrow.interval_scale[0.95] == 1.0
    assert any("interval narrowed ×" in note for note in narrow.notes)
    assert (narrow.upper_80 - narrow.lower_80).lt(wide.upper_80 - wide.lower_80).all()


def test_seasonal_median_ignores_an_unusual_cycle() -> None:
    # Six cycles of (1, 5, 3); the last one is 100 higher. The median of the
    # last five cycles is the usual pattern. Its sd at lead 0 is the RMS error
    # of the same rule over the history: only the last cycle (t = 15..17) has
    # five cycles behind it, and each of its values is off by exactly 100.
    y = np.tile([1.0, 5.0, 3.0], 6)
    y[-3:] += 100

    fit = fc.fit_model("seasonal_median_3", y, 4, (3,))

    np.testing.assert_allclose(fit.mean, [1.0, 5.0, 3.0, 1.0])
    np.testing.assert_allclose(fit.sd, [100.0, 100.0, 100.0, 100.0])
    naive = fc.fit_model("seasonal_naive_3", y, 4, (3,))
    np.testing.assert_allclose(naive.mean, [101.0, 105.0, 103.0, 101.0])


def test_seasonal_median_sd_per_lead_by_hand() -> None:
    # A line y = t with lag 2 and two cycles in the median: predicting y[t]
    # from the cycles 1 and 2 behind (t-2, t-4) misses by 3; one cycle further
    # ahead (t-4, t-6) by 5. The forecast repeats the median of the last two
    # cycles: median(y[8], y[6]) = 7 and median(y[9], y[7]) = 8.
    y = np.arange(10.0)

    fit = fc.fit_model("seasonal_median_2", y, 4, (2,))
    mean, sd = fc._seasonal_median(y, 4, 2, cycles=2)
    np.testing.assert_allclose(mean, [7.0, 8.0, 7.0, 8.0])
    np.testing.assert_allclose(sd, [3.0, 3.0, 5.0, 5.0])
    # Five cycles of lag 2 fit in ten points: median(y[8], y[6], ..., y[0]) = 4.
    np.testing.assert_allclose(fit.mean, [4.0, 5.0, 4.0, 5.0])


def test_seasonal_median_needs_one_cycle() -> None:
    with pytest.raises(ConfigError, match="seasonal_median_24 needs at least one"):
        fc.fit_model("seasonal_median_24", np.ones(10), 5, (24,))
    with pytest.raises(ConfigError, match="whole number of steps"):
        fc.fit_model("seasonal_median_x", np.ones(10), 5, (24,))


def test_seasonal_median_expands_per_period() -> None:
    y = np.tile(np.arange(24.0), 10)
    table, _ = fc.backtest(
        y, horizon_steps=24, seasonal_periods=(12, 24), models=("seasonal_median",)
    )
    assert table["model"].tolist() == ["seasonal_median_24", "seasonal_median_12"]
    assert table.set_index("model").loc["seasonal_median_24", "mase"] < 1e-6


def test_narrowing_is_applied_the_given_fraction_in_log_scale() -> None:
    # Twenty errors of 0.5 with unit sd: the conformal 80 % factor is
    # 0.5 / z(0.9). Half-way in log scale is its square root; widening a
    # too-narrow level is never shrunk.
    table, errors = _backtest_frames({"ets": 0.5}, {"ets": [0.5] * 20})
    z80 = stats.norm.ppf(0.9)

    full = fc.choose_model(table, errors, narrow=True)
    half = fc.choose_model(table, errors, narrow=True, narrow_fraction=0.5)

    assert full.interval_scale[0.80] == pytest.approx(0.5 / z80, rel=1e-12)
    assert half.interval_scale[0.80] == pytest.approx((0.5 / z80) ** 0.5, rel=1e-12)
    table, errors = _backtest_frames({"ets": 3.0}, {"ets": [3.0] * 20})
    wide = fc.choose_model(table, errors, narrow=True, narrow_fraction=0.5)
    assert wide.interval_scale[0.80] == pytest.approx(3.0 / z80, rel=1e-12)


def test_mstl_models_share_one_decomposition_equal_to_statsmodels() -> None:
    from statsmodels.tsa.seasonal import MSTL

    rng = np.random.default_rng(2)
    t = np.arange(24 * 7 * 3)
    y = 50 + 10 * np.sin(2 * np.pi * t / 24) + 3 * np.sin(2 * np.pi * t / 168)
    y = y + rng.normal(0, 1, len(t))
    fc._mstl_seasonal.cache_clear()

    level = fc.fit_model("mstl_level", y, 24, (24, 168))
    fc.fit_model("snaive_mstl", y, 24, (24, 168))

    info = fc._mstl_seasonal.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    expected = np.asarray(MSTL(y, periods=(24, 168)).fit().seasonal)
    np.testing.assert_allclose(
        fc._mstl_seasonal(y.tobytes(), (24, 168)), expected, rtol=1e-12
    )
    assert level.mean.shape == (24,)
