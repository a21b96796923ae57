"""CSAT and NPS with intervals, checked against hand computation."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import InputError
from analytics.metrics.satisfaction import (
    csat_summary,
    nps_summary,
    satisfaction_trend,
    wilson_interval,
)


def test_wilson_interval_textbook_values() -> None:
    # 8 of 10 at 95 %: (0.4902, 0.9433); 0 of 10: lower bound exactly 0.
    low, high = wilson_interval(8, 10)
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 10)[0] == pytest.approx(0.0, abs=1e-12)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_csat_mean_and_share_with_intervals() -> None:
    answers = pd.DataFrame({"kind": ["csat"] * 4 + ["nps"], "score": [5, 4, 3, 5, 0]})
    row = csat_summary(answers).iloc[0]
    assert (row["n"], row["csat_mean"], row["satisfied"]) == (4, 4.25, 3)
    # t(0.975, 3) = 3.18245; s = 0.957427; half-width = 3.18245 * 0.957427 / 2.
    half = 3.182446 * 0.9574271 / 2
    assert row["csat_mean_low"] == pytest.approx(4.25 - half, abs=1e-5)
    # 4.25 + half = 5.77 is off the 1..5 scale: the upper end is clipped to 5.
    assert row["csat_mean_high"] == 5.0
    assert (row["share_low"], row["share_high"]) == pytest.approx(wilson_interval(3, 4))
    assert "Wilson" in row["definition"]


def test_csat_from_tickets_frame_by_priority() -> None:
    tickets = pd.DataFrame(
        {
            "priority": ["P1", "P1", "P2"],
            "csat_score": pd.array([5.0, None, 2.0], dtype="Float64"),
        }
    )
    table = csat_summary(tickets, by="priority").set_index("priority")
    assert table.loc["P1", "n"] == 1
    assert table.loc["P2", "share_satisfied"] == 0.0
    assert pd.isna(table.loc["P1", "csat_mean_low"])  # one answer: no interval


def test_nps_hand_computed() -> None:
    scores = [10] * 5 + [9] * 3 + [8, 7] + [6, 3]
    row = nps_summary(pd.DataFrame({"kind": "nps", "score": scores})).iloc[0]
    # 8 promoters, 2 passives, 2 detractors of 12: NPS = (8 - 2) / 12 = 50.
    assert (row["promoters"], row["passives"], row["detractors"]) == (8, 2, 2)
    assert row["nps"] == pytest.approx(50.0)
    plus, minus = 8 / 12, 2 / 12
    se = 100 * math.sqrt((plus + minus - (plus - minus) ** 2) / 12)
    assert row["nps_low"] == pytest.approx(50 - 1.959964 * se, abs=1e-4)


def test_no_answers_is_no_data() -> None:
    row = nps_summary(pd.DataFrame({"kind": ["csat"], "score": [5]})).iloc[0]
    assert (row["n"], row["status"]) == (0, "NO DATA")
    assert math.isnan(row["nps"])


def test_trend_by_week() -> None:
    answers = pd.DataFrame(
        {
            "kind": ["csat"] * 4,
            "score": [5, 3, 4, 2],
            "answered_at": pd.to_datetime(
                ["2026-03-02", "2026-03-04", "2026-03-10", "2026-03-11"], utc=True
            ),
        }
    )
    trend = satisfaction_trend(answers)
    assert trend["csat_mean"].tolist() == [4.0, 3.0]
    assert trend["period_start"].tolist() == [
        pd.Timestamp("2026-03-02", tz="UTC"),
        pd.Timestamp("2026-03-09", tz="UTC"),
    ]


def test_wrong_frame_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no nps scores"):
        nps_summary(pd.DataFrame({"csat_score": [5]}))


def test_polars_input_gives_identical_results() -> None:
    answers = pd.DataFrame(
        {"kind": ["csat"] * 3, "score": [5, 4, 1], "segment": list("aab")}
    )
    expected = csat_summary(answers, by="segment")
    pd.testing.assert_frame_equal(
        csat_summary(pl.from_pandas(answers), by="segment"), expected
    )


@settings(max_examples=50, deadline=None)
@given(
    scores=st.lists(st.integers(0, 10), min_size=1, max_size=60),
    seed=st.integers(0, 999),
)
def test_nps_in_range_and_order_independent(scores: list[int], seed: int) -> None:
    answers = pd.DataFrame({"kind": "nps", "score": scores})
    row = nps_summary(answers).iloc[0]
    assert -100 <= row["nps"] <= 100
    one_kind = len(scores) < 2 or len({(s >= 9) - (s <= 6) for s in scores}) == 1
    if one_kind:  # no spread to estimate: no interval, never a zero-width one
        assert pd.isna(row["nps_low"]) and pd.isna(row["nps_high"])
    else:
        assert -100 <= row["nps_low"] <= row["nps"] <= row["nps_high"] <= 100
    shuffled = nps_summary(answers.sample(frac=1.0, random_state=seed))
    pd.testing.assert_frame_equal(shuffled, nps_summary(answers))


def test_identical_answers_give_no_interval_not_a_certain_one() -> None:
    # Found by a fresh-user test: four 5s gave "5.00–5.00", one NPS answer "0.0 – 0.0".
    csat = csat_summary(pd.DataFrame({"kind": "csat", "score": [5, 5, 5, 5]})).iloc[0]
    assert csat["csat_mean"] == 5 and pd.isna(csat["csat_mean_low"])
    assert csat["share_low"] < 1  # Wilson still bounds the share honestly
    nps = nps_summary(pd.DataFrame({"kind": "nps", "score": [8]})).iloc[0]
    assert nps["nps"] == 0 and pd.isna(nps["nps_low"]) and pd.isna(nps["nps_high"])
