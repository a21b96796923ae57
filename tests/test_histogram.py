"""Histogram quantiles and latency shares: oracles from the design notes."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.metrics import histogram
from analytics.metrics.histogram import (
    METHOD_LATENCY_SHARE,
    bucket_increase,
    histogram_quantile,
    latency_share_slo,
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


# --- latency_share_slo ------------------------------------------------------------------


def _buckets_frame(readings: dict[str, list[float]]) -> pd.DataFrame:
    times = pd.date_range("2024-05-01", periods=3, freq="1min", tz="UTC")
    rows = [
        (t, le, v)
        for le, values in readings.items()
        for t, v in zip(times, values, strict=True)
    ]
    return pd.DataFrame(
        {
            "timestamp": [r[0] for r in rows],
            "labels": [{"le": r[1]} for r in rows],
            "series": [f"b{{le={r[1]}}}" for r in rows],
            "value": [r[2] for r in rows],
        }
    )


def test_latency_share_slo_is_exact_and_budgets() -> None:
    # 180 of 200 requests at or under 0.3 s: SLI 0.9; at a 0.95 target the
    # burn rate is 0.1 / 0.05 = 2 and the budget is overspent by 100 %.
    frame = _buckets_frame(
        {"0.3": [0, 90, 180], "1.0": [0, 99, 199], "+Inf": [0, 100, 200]}
    )
    start, end = frame["timestamp"].min(), frame["timestamp"].max()
    result = latency_share_slo(
        frame, threshold_seconds=0.3, window_start=start, window_end=end, target=0.95
    )
    assert (result.good, result.valid) == (180.0, 200.0)
    assert result.sli == pytest.approx(0.9)
    assert result.sli_lower_bound == result.sli_upper_bound == result.sli
    assert result.burn_rate == pytest.approx(2.0)
    assert result.budget_remaining_ratio == pytest.approx(-1.0)
    assert result.coverage_ratio == 1.0
    assert result.method == METHOD_LATENCY_SHARE


def test_latency_share_slo_off_boundary_lists_the_bounds() -> None:
    frame = _buckets_frame(
        {"0.3": [0, 90, 180], "1": [0, 99, 199], "+Inf": [0, 100, 200]}
    )
    start, end = frame["timestamp"].min(), frame["timestamp"].max()
    with pytest.raises(ConfigError, match=r"boundaries: 0\.3, 1, inf"):
        latency_share_slo(
            frame, threshold_seconds=0.5, window_start=start, window_end=end, target=0.9
        )


def test_latency_share_slo_without_samples_in_the_window_is_no_data() -> None:
    frame = _buckets_frame({"0.3": [0, 90, 180], "+Inf": [0, 100, 200]})
    later = frame["timestamp"].max() + pd.Timedelta(hours=1)
    result = latency_share_slo(
        frame,
        threshold_seconds=0.3,
        window_start=later,
        window_end=later + pd.Timedelta(hours=1),
        target=0.9,
    )
    assert result.sli is None
    assert result.coverage_ratio == 0.0
    # ... but a threshold off the bounds is still refused.
    with pytest.raises(ConfigError, match="not a bucket boundary"):
        latency_share_slo(
            frame,
            threshold_seconds=0.25,
            window_start=later,
            window_end=later + pd.Timedelta(hours=1),
            target=0.9,
        )
