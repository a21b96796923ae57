"""Histogram quantiles and latency shares: oracles from the design notes."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.metrics import histogram
from analytics.metrics.histogram import (
    bucket_increase,
    histogram_quantile,
    parse_le,
    share_below,
)


def test_p50_interpolates_inside_the_bucket():
    buckets = {"0": 6, "0.5": 11, "1": 14, "+Inf": 19}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.35, abs=1e-12)


def test_p95_with_every_observation_near_220_ms():
    buckets = {"0.1": 0, "0.2": 0, "0.3": 1000, "0.45": 1000, "+Inf": 1000}
    assert histogram_quantile(0.95, buckets) == pytest.approx(0.295, abs=1e-12)


def test_rank_in_the_inf_bucket_gives_the_highest_finite_bound():
    assert histogram_quantile(0.99, {"0.1": 1, "1": 2, "+Inf": 10}) == 1.0


def test_no_observations_is_no_data():
    assert histogram_quantile(0.5, {"0.1": 0, "+Inf": 0}) is None
    assert share_below(0.1, {"0.1": 0, "+Inf": 0}) is None


def test_non_monotonic_buckets_are_fixed_like_prometheus():
    # 0.2 holds 4 < 5: raised to 5, so the median sits at the top of 0.1.
    assert histogram_quantile(0.5, {"0.1": 5, "0.2": 4, "+Inf": 10}) == pytest.approx(
        0.1
    )


def test_le_1_and_1_0_are_the_same_bucket():
    assert parse_le("1") == parse_le("1.0") == 1.0
    prometheus2 = {"0.5": 80, "1": 95, "+Inf": 100}
    prometheus3 = {"0.5": 80, "1.0": 95, "+Inf": 100}
    assert share_below(1.0, prometheus2) == share_below(1, prometheus3) == 0.95


def test_threshold_off_a_boundary_is_refused():
    with pytest.raises(ConfigError, match=r"not a bucket boundary.*0\.5, 1, inf"):
        share_below(0.2, {"0.5": 80, "1": 95, "+Inf": 100})


def test_missing_inf_bucket_is_refused():
    with pytest.raises(ConfigError, match=r"\+Inf"):
        histogram_quantile(0.5, {"0.5": 1})


@pytest.mark.parametrize("q", [-0.1, 1.1])
def test_quantile_out_of_range(q):
    with pytest.raises(ConfigError):
        histogram_quantile(q, {"+Inf": 1})


def test_bucket_increase_handles_resets_and_both_le_spellings():
    times = pd.date_range("2024-05-01", periods=4, freq="1min", tz="UTC")
    rows = []
    for instance, le, values in (
        ("a", "1", [0, 10, 2, 5]),  # reset after 10: increase 10 + 5
        ("b", "1.0", [0, 3, 6, 9]),
        ("a", "+Inf", [0, 12, 3, 7]),
        ("b", "+Inf", [0, 4, 8, 12]),
    ):
        rows += [
            {
                "timestamp": t,
                "labels": {"le": le, "instance": instance},
                "series": f"b{{instance={instance},le={le}}}",
                "value": float(v),
            }
            for t, v in zip(times, values, strict=True)
        ]
    counts = bucket_increase(
        pd.DataFrame(rows), window_start=times[0], window_end=times[-1]
    )
    assert counts == {1.0: 24.0, float("inf"): 31.0}
    assert share_below(1.0, counts) == pytest.approx(24 / 31)


def test_doctests_run():
    failures, tried = doctest.testmod(histogram)
    assert tried > 0
    assert failures == 0
