"""NAB scorer: golden test against NAB's own results, plus hand-computed cases."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import nab
from analytics.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "nab"
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def _summary_rows(profile: str) -> list[dict[str, str]]:
    path = FIXTURES / f"windowedGaussian_{profile}_scores_subset.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("profile_name", PROFILES)
def test_reproduces_nab_windowed_gaussian_scores(profile_name: str) -> None:
    windows = nab.load_windows(FIXTURES / "windows_subset.json")
    profile = nab.load_profiles(FIXTURES / "profiles.json")[profile_name]
    threshold = nab.load_thresholds(FIXTURES / "thresholds.json")["windowedGaussian"][
        profile_name
    ]

    rows = _summary_rows(profile_name)
    assert len(rows) == 3
    for row in rows:
        name = row["File"].split("/")[1]
        frame = nab.read_nab_series(FIXTURES / f"windowedGaussian_{name}.gz")
        result = nab.score_file(
            frame["timestamp"],
            frame["anomaly_score"],
            windows[row["File"]],
            threshold=threshold,
            profile=profile,
        )

        assert result.score == pytest.approx(float(row["Score"]), abs=1e-6), row["File"]
        counts = (result.tp, result.tn, result.fp, result.fn, result.total_count)
        expected = tuple(int(row[k]) for k in ("TP", "TN", "FP", "FN", "Total_Count"))
        assert counts == expected, row["File"]


def test_normalisation_reproduces_published_corpus_score() -> None:
    # NAB's score summary total for the windowed Gaussian, over 116 windows.
    assert nab.normalised_score(-24.0131054891, 116) == pytest.approx(39.6495, abs=1e-4)
    assert nab.normalised_score(-116.0, 116) == 0.0
    assert nab.normalised_score(116.0, 116) == 100.0


def test_scaled_sigmoid_known_values() -> None:
    assert nab.scaled_sigmoid(0.0) == 0.0
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert nab.scaled_sigmoid(3.0001) == -1.0


def _hourly(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=n, freq="h")


def test_hand_computed_tp_fp_fn() -> None:
    # 20 rows, probation 3; window rows 10..14 (width 5).
    ts = _hourly(20)
    windows = [(ts[10], ts[14])]
    scores = np.zeros(20)
    scores[5] = 1.0  # FP before any window: −A_FP
    scores[12] = 1.0  # TP: y = −(14 − 12 + 1) / 5 = −0.6
    scores[13] = 1.0  # second detection in the window: ignored
    scores[16] = 1.0  # FP after the window: y = |16 − 14| / 4 = 0.5

    result = nab.score_file(ts, scores, windows, threshold=0.5, profile=nab.STANDARD)

    tp = nab.scaled_sigmoid(-0.6) / nab.scaled_sigmoid(-1.0)
    fp = -0.11 + 0.11 * nab.scaled_sigmoid(0.5)
    assert result.score == pytest.approx(tp + fp, abs=1e-12)
    assert (result.tp, result.fp, result.fn, result.tn) == (2, 2, 3, 10)


def test_missed_window_and_probation() -> None:
    ts = _hourly(20)
    scores = np.zeros(20)
    scores[1] = 1.0  # inside the probationary period: not scored
    result = nab.score_file(ts, scores, [(ts[10], ts[14])], threshold=0.5)
    assert result.score == -1.0
    assert result.fp == 0


def test_window_limit_not_in_file_is_an_error() -> None:
    ts = _hourly(10)
    with pytest.raises(ConfigError, match="not a timestamp"):
        nab.score_file(
            ts, np.zeros(10), [(ts[3], pd.Timestamp("2030-01-01"))], threshold=1
        )


def test_event_counts() -> None:
    ts = _hourly(10)
    scores = [0, 0, 0, 0, 1, 1, 0, 1, 0, 0]
    counts = nab.event_counts(
        ts, scores, [(ts[6], ts[8])], threshold=0.5, probationary_percent=0
    )
    assert counts.windows_detected == 1
    assert counts.false_alarm_events == 1


@given(
    st.lists(st.floats(0, 1), min_size=30, max_size=30),
    st.floats(0.05, 0.95),
)
def test_score_bounded_by_null_and_perfect(
    scores: list[float], threshold: float
) -> None:
    ts = _hourly(30)
    windows = [(ts[10], ts[14]), (ts[20], ts[24])]
    result = nab.score_file(ts, scores, windows, threshold=threshold)
    assert result.score <= 2.0 + 1e-12
    assert result.tp + result.tn + result.fp + result.fn == 30 - 4
