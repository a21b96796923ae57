"""Anomaly detectors: planted spike, causality, score range."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import ConfigError
from analytics.metrics import anomaly

Detector = Callable[[pd.Series], pd.Series]

DETECTORS: dict[str, Detector] = {
    "rolling_mad": lambda y: anomaly.rolling_mad_scores(y, window=48),
    "seasonal_residual": lambda y: anomaly.seasonal_residual_scores(y, period=24),
    "isolation_forest": lambda y: anomaly.isolation_forest_scores(
        y, min_train_points=200, refit_every=100
    ),
    "calibrated_rolling_mad": lambda y: anomaly.calibrate_to_history(
        anomaly.rolling_mad_scores(y, window=48)
    ),
}


def _seasonal_series(n: int = 24 * 20, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    index = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC")
    values = 100 + 20 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n)
    return pd.Series(values, index=index)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_planted_spike_is_flagged(name: str) -> None:
    y = _seasonal_series()
    spike_at = 24 * 15 + 5
    y.iloc[spike_at] += 60  # three times the daily amplitude

    scores = DETECTORS[name](y)
    # Rolling MAD ignores the daily cycle, whose swing inflates its MAD; a
    # calibrated score is a rank among the past, so only a record passes 0.995.
    threshold = {"rolling_mad": 0.7, "calibrated_rolling_mad": 0.995}.get(name, 0.9)
    flags = anomaly.flag(scores, threshold=threshold)

    assert flags.iloc[spike_at]
    assert flags.sum() == 1
    assert scores.iloc[spike_at] == scores.max()


@pytest.mark.parametrize("name", list(DETECTORS))
def test_scores_are_in_unit_interval(name: str) -> None:
    y = _seasonal_series(seed=1)
    y.iloc[300] = 1e6
    scores = DETECTORS[name](y)
    assert scores.between(0, 1).all()
    assert scores.index.equals(y.index)


@pytest.mark.parametrize("name", list(DETECTORS))
@settings(max_examples=5, deadline=None)
@given(cut=st.integers(250, 470), seed=st.integers(0, 1000))
def test_score_at_t_does_not_change_when_future_changes(
    name: str, cut: int, seed: int
) -> None:
    y = _seasonal_series()
    changed = y.copy()
    noise = np.random.default_rng(seed).normal(0, 50, len(y) - cut - 1)
    changed.iloc[cut + 1 :] += noise

    before = DETECTORS[name](y).iloc[: cut + 1]
    after = DETECTORS[name](changed).iloc[: cut + 1]

    pd.testing.assert_series_equal(before, after)


def test_flat_history_gives_finite_scores() -> None:
    y = pd.Series(np.r_[np.full(100, 5.0), 6.0])
    scores = anomaly.rolling_mad_scores(y)
    assert scores.iloc[-1] == pytest.approx(1.0)
    assert scores.iloc[:-1].eq(0).all()


def test_invalid_threshold_and_window() -> None:
    with pytest.raises(ConfigError, match="threshold"):
        anomaly.flag(pd.Series([0.5]), threshold=2)
    with pytest.raises(ConfigError, match="window"):
        anomaly.rolling_mad_scores(pd.Series([1.0, 2.0]), window=2)


def test_scale_floor_keeps_flat_series_quiet() -> None:
    # A mostly flat CPU series with a tiny wiggle: the floor (2 % of the recent
    # range) keeps the wiggle unremarkable, while a real jump still scores high.
    rng = np.random.default_rng(0)
    y = pd.Series(np.r_[rng.normal(50, 5, 300), np.full(300, 2.0), 2.01, 2.0, 40.0])
    scores = anomaly.rolling_mad_scores(y, window=48)
    assert scores.iloc[600] < 0.5  # 0.01 above a flat 2.0
    assert scores.iloc[602] > 0.99  # jump to 40


def test_suppression_flags_first_of_each_burst() -> None:
    scores = pd.Series([0.0, 0.95, 0.96, 0.97, 0.0, 0.0, 0.0, 0.99, 0.0])
    assert anomaly.flag(scores, threshold=0.9, suppress=3).tolist() == [
        False, True, False, False, False, False, False, True, False,
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="suppress"):
        anomaly.flag(scores, suppress=-1)


@settings(max_examples=20, deadline=None)
@given(
    values=st.lists(st.floats(0, 1), min_size=1, max_size=60),
    suppress=st.integers(0, 10),
    cut=st.integers(0, 59),
)
def test_suppression_is_causal(values: list[float], suppress: int, cut: int) -> None:
    scores = pd.Series(values)
    cut = min(cut, len(values) - 1)
    full = anomaly.flag(scores, threshold=0.5, suppress=suppress)
    prefix = anomaly.flag(scores.iloc[: cut + 1], threshold=0.5, suppress=suppress)
    assert full.iloc[: cut + 1].tolist() == prefix.tolist()


def test_anomalous_periods_merge_gaps() -> None:
    idx = pd.date_range("2024-01-01", periods=8, freq="h", tz="UTC")
    scores = pd.Series([0, 0.95, 0.2, 0.97, 0, 0, 0.99, 0], index=idx)
    periods = anomaly.anomalous_periods(scores, threshold=0.9, gap=2)
    assert periods["start"].tolist() == [idx[1], idx[6]]
    assert periods["rows"].tolist() == [2, 1]
    assert periods["peak_score"].tolist() == [0.97, 0.99]
    assert anomaly.anomalous_periods(scores * 0, threshold=0.9).empty


def test_invalid_floor_parameters() -> None:
    y = pd.Series(np.arange(50.0))
    with pytest.raises(ConfigError, match="floor_fraction"):
        anomaly.rolling_mad_scores(y, floor_fraction=1.5)
    with pytest.raises(ConfigError, match="floor_window"):
        anomaly.seasonal_residual_scores(y, floor_window=1)


def _tail(y: pd.Series) -> pd.Series:
    return anomaly.windowed_tail_scores(y, long_window=96, short_window=4)


def test_windowed_tail_finds_a_burst_no_single_point_reveals() -> None:
    # Five points each 3 sd high: unremarkable one by one, clear as a short window.
    rng = np.random.default_rng(3)
    y = pd.Series(rng.normal(10.0, 1.0, 600))
    y.iloc[500:505] += 3.0

    scores = _tail(y)
    point = anomaly.rolling_mad_scores(y, window=96)

    # The burst is the most unusual stretch for the short window, and it stands
    # further above the rest of the series than any single point does.
    assert int(scores.idxmax()) in range(502, 506)
    assert scores.iloc[504] > 0.8
    assert scores.iloc[504] - scores.iloc[:500].max() > 0.1
    assert point.iloc[500:505].max() - point.iloc[:500].max() < 0.15
    assert scores.between(0, 1).all()


@settings(max_examples=5, deadline=None)
@given(cut=st.integers(250, 470), seed=st.integers(0, 1000))
def test_windowed_tail_is_causal(cut: int, seed: int) -> None:
    y = _seasonal_series()
    changed = y.copy()
    changed.iloc[cut + 1 :] += np.random.default_rng(seed).normal(
        0, 50, len(y) - cut - 1
    )
    pd.testing.assert_series_equal(
        _tail(y).iloc[: cut + 1], _tail(changed).iloc[: cut + 1]
    )


def test_windowed_tail_rejects_bad_windows_and_flat_history_is_quiet() -> None:
    with pytest.raises(ConfigError, match="short_window"):
        anomaly.windowed_tail_scores(
            pd.Series([1.0] * 10), long_window=4, short_window=5
        )
    with pytest.raises(ConfigError, match="long_window"):
        anomaly.windowed_tail_scores(
            pd.Series([1.0] * 10), long_window=2, short_window=1
        )
    flat = anomaly.windowed_tail_scores(
        pd.Series(np.full(300, 5.0)), long_window=48, short_window=2
    )
    assert flat.eq(0).all()


def test_combine_scores_is_the_pointwise_max() -> None:
    a, b = pd.Series([0.1, 0.9, 0.3]), pd.Series([0.5, 0.2, 0.3])
    assert anomaly.combine_scores(a, b).tolist() == [0.5, 0.9, 0.3]
    with pytest.raises(ConfigError, match="different indexes"):
        anomaly.combine_scores(a, b.set_axis([5, 6, 7]))
    with pytest.raises(ConfigError, match="at least one"):
        anomaly.combine_scores()
