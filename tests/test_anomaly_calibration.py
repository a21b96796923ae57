"""History calibration and the mean ensemble: oracle, causality, range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import ConfigError
from analytics.metrics import anomaly


def _brute_force(values: list[float], history_points: int | None) -> list[float]:
    """Independent oracle: count the earlier scores strictly below, one by one."""
    out = []
    for t, value in enumerate(values):
        first = 0 if history_points is None else max(0, t - history_points)
        past = values[first:t]
        out.append(sum(v < value for v in past) / (len(past) + 1))
    return out


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) | st.floats(0, 1),
        min_size=1,
        max_size=80,
    ),
    history_points=st.none() | st.integers(1, 30),
)
def test_matches_brute_force_count(
    values: list[float], history_points: int | None
) -> None:
    result = anomaly.calibrate_to_history(
        pd.Series(values), history_points=history_points
    )
    assert result.tolist() == pytest.approx(_brute_force(values, history_points))
    assert result.between(0, 1).all()
    assert (result < 1).all()


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.floats(0, 1), min_size=2, max_size=60),
    cut=st.integers(0, 58),
    history_points=st.none() | st.integers(1, 20),
)
def test_appending_future_points_never_changes_past_scores(
    values: list[float], cut: int, history_points: int | None
) -> None:
    cut = min(cut, len(values) - 2)
    full = anomaly.calibrate_to_history(
        pd.Series(values), history_points=history_points
    )
    prefix = anomaly.calibrate_to_history(
        pd.Series(values[: cut + 1]), history_points=history_points
    )
    assert full.iloc[: cut + 1].tolist() == prefix.tolist()


def test_planted_spike_is_the_only_record_late_in_a_seasonal_series() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(24 * 20)
    y = pd.Series(100 + 20 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, len(t)))
    spike_at = 24 * 15 + 5
    y.iloc[spike_at] += 60

    calibrated = anomaly.calibrate_to_history(anomaly.rolling_mad_scores(y, window=48))

    # Above every earlier score: the highest rank possible at that point.
    assert calibrated.iloc[spike_at] == pytest.approx(spike_at / (spike_at + 1))
    flags = anomaly.flag(calibrated, threshold=0.995)
    assert flags.iloc[spike_at]
    assert flags.sum() == 1


def test_constant_scores_stay_at_zero_and_threshold_needs_history() -> None:
    assert anomaly.calibrate_to_history(pd.Series(np.zeros(50))).eq(0).all()
    # A rising series is a new record every time, yet rank n / (n + 1) only
    # passes 0.99 once 99 points of history exist: a built-in warm-up.
    rising = anomaly.calibrate_to_history(pd.Series(np.arange(200.0)))
    flags = anomaly.flag(rising, threshold=0.99)
    assert int(np.flatnonzero(flags.to_numpy())[0]) == 99


def test_history_window_forgets_old_extremes() -> None:
    scores = pd.Series([0.9, 0.1, 0.2, 0.3, 0.5])
    expanding = anomaly.calibrate_to_history(scores)
    windowed = anomaly.calibrate_to_history(scores, history_points=3)
    assert expanding.iloc[-1] == pytest.approx(3 / 5)  # 0.9 is still in the past
    assert windowed.iloc[-1] == pytest.approx(3 / 4)  # 0.9 has left the window


def test_index_is_kept_and_bad_inputs_are_rejected() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    result = anomaly.calibrate_to_history(pd.Series([0.1, 0.2, 0.3], index=idx))
    assert result.index.equals(idx)
    with pytest.raises(ConfigError, match="history_points"):
        anomaly.calibrate_to_history(pd.Series([0.1]), history_points=0)
    with pytest.raises(ConfigError, match="NaN at position 1"):
        anomaly.calibrate_to_history(pd.Series([0.1, np.nan]))


def test_combine_scores_mean_and_bad_how() -> None:
    a, b = pd.Series([0.1, 0.9, 0.3]), pd.Series([0.5, 0.2, 0.3])
    assert anomaly.combine_scores(a, b, how="mean").tolist() == pytest.approx(
        [0.3, 0.55, 0.3]
    )
    with pytest.raises(ConfigError, match="how must be"):
        anomaly.combine_scores(a, b, how="median")


def _max_of_calibrated(y: pd.Series) -> pd.Series:
    """The benchmark's best row: calibrated rolling MAD or windowed tail, whichever
    is higher."""
    return anomaly.combine_scores(
        anomaly.calibrate_to_history(anomaly.rolling_mad_scores(y, window=96)),
        anomaly.calibrate_to_history(
            anomaly.windowed_tail_scores(y, long_window=288, short_window=6)
        ),
        how="max",
    )


def _noisy_series(n: int = 1500, seed: int = 4) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(50 + rng.normal(0, 2, n))


def test_max_of_calibrated_flags_a_planted_level_shift_once() -> None:
    y = _noisy_series()
    y.iloc[1200:] += 15  # a lasting level shift, 7.5 sd
    scores = _max_of_calibrated(y)

    # The shift is a record for its detector: the highest rank possible there.
    assert scores.iloc[1200] == pytest.approx(1200 / 1201)
    flags = anomaly.flag(scores, threshold=0.998, suppress=72)
    hits = np.flatnonzero(flags.to_numpy())
    assert hits[hits >= 1200].tolist() == [1200]
    # Pure noise still sets a record now and then: at rank 0.998 with two
    # detectors, a few flags in 1,200 points is the expected price.
    assert (hits < 1200).sum() <= 3
    assert scores.between(0, 1).all()


@settings(max_examples=5, deadline=None)
@given(cut=st.integers(600, 1400), seed=st.integers(0, 1000))
def test_max_of_calibrated_is_causal(cut: int, seed: int) -> None:
    y = _noisy_series()
    changed = y.copy()
    changed.iloc[cut + 1 :] += np.random.default_rng(seed).normal(
        0, 30, len(y) - cut - 1
    )
    pd.testing.assert_series_equal(
        _max_of_calibrated(y).iloc[: cut + 1],
        _max_of_calibrated(changed).iloc[: cut + 1],
    )
