"""Performance-degradation trends: a robust slope with a significance test.

The slope is Theil–Sen (median of pairwise slopes), which a few outliers do
not move; significance is the Mann–Kendall test (Kendall's tau between time
and value), which makes no normality assumption. The result reads as a
sentence: ``"p95 rising by 4.2 ms/day (95 % CI 3.1 to 5.3, p = 0.001)"``.

Examples
--------
>>> idx = pd.date_range("2024-01-01", periods=14 * 24, freq="h")
>>> y = pd.Series(200 + (np.arange(len(idx)) / 24) * 5.0, index=idx)
>>> trend = degradation_trend(y, metric="p95", unit="ms")
>>> trend.slope_per_day, trend.direction
(5.0, 'rising')
>>> trend.sentence()
'p95 rising by 5 ms/day (95 % CI 5 to 5, p < 0.001)'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.errors import ConfigError

__all__ = ["DegradationTrend", "LevelShift", "degradation_trend", "level_shift"]


@dataclass(frozen=True)
class DegradationTrend:
    """A robust trend of one metric over a window.

    Attributes
    ----------
    metric, unit
        What was measured, for the sentence.
    slope_per_day
        Theil–Sen slope, in ``unit`` per day.
    ci_low_per_day, ci_high_per_day
        Confidence interval of the slope.
    p_value
        Two-sided Mann–Kendall p-value.
    direction
        ``"rising"``, ``"falling"`` or ``"flat"`` (not significant at ``alpha``).
    points
        Points used.
    """

    metric: str
    unit: str
    slope_per_day: float
    ci_low_per_day: float
    ci_high_per_day: float
    p_value: float
    direction: str
    points: int

    def sentence(self) -> str:
        """The trend as one plain sentence."""
        p = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        if self.direction == "flat":
            return f"{self.metric} shows no significant trend ({p})"
        return (
            f"{self.metric} {self.direction} by {abs(self.slope_per_day):.3g}"
            f" {self.unit}/day (95 % CI {self.ci_low_per_day:.3g} to"
            f" {self.ci_high_per_day:.3g}, {p})"
        )


def degradation_trend(
    series: pd.Series,
    *,
    metric: str = "value",
    unit: str = "",
    window: pd.Timedelta | str | None = None,
    alpha: float = 0.05,
) -> DegradationTrend:
    """Theil–Sen slope per day and Mann–Kendall significance of a time series.

    Parameters
    ----------
    series
        Values indexed by timestamps (latency percentile, error rate, ...).
    metric, unit
        Names used in :meth:`DegradationTrend.sentence`.
    window
        Only the last ``window`` of data is used (default: all).
    alpha
        Significance level for calling a trend rising or falling.
    """
    y = series.dropna().sort_index()
    if window is not None:
        y = y[y.index > y.index[-1] - pd.Timedelta(window)]
    if len(y) < 4:
        raise ConfigError(
            f"{metric}: {len(y)} point(s) in the window; a trend needs at least 4."
        )

    days = (pd.DatetimeIndex(y.index) - y.index[0]) / pd.Timedelta(days=1)
    x = np.asarray(days, dtype=float)
    values = y.to_numpy(dtype=float)
    slope, _, low, high = stats.theilslopes(values, x, alpha=1 - 0.95)
    tau = stats.kendalltau(x, values)
    p_value = float(tau.pvalue) if np.isfinite(tau.pvalue) else 1.0

    direction = "flat"
    if p_value < alpha:
        direction = "rising" if slope > 0 else "falling"
    return DegradationTrend(
        metric=metric,
        unit=unit,
        slope_per_day=float(np.round(slope, 12)),
        ci_low_per_day=float(low),
        ci_high_per_day=float(high),
        p_value=p_value,
        direction=direction,
        points=len(values),
    )


@dataclass(frozen=True)
class LevelShift:
    """The most likely single change in level of a series."""

    at: object
    before_median: float
    after_median: float
    p_value: float


def level_shift(series: pd.Series, *, min_segment: int = 10) -> LevelShift:
    """Locate the split that best separates two levels (medians), with a test.

    The split maximises the Mann–Whitney statistic between the parts; its
    p-value is Bonferroni-corrected for the number of splits tried.

    Examples
    --------
    >>> y = pd.Series(np.r_[np.full(50, 100.0), np.full(50, 130.0)])
    >>> shift = level_shift(y + np.tile([0.0, 1.0], 50))
    >>> shift.at, shift.after_median - shift.before_median
    (50, 30.0)
    """
    values = series.to_numpy(dtype=float)
    n = len(values)
    if n < 2 * min_segment:
        raise ConfigError(
            f"a level shift needs at least {2 * min_segment} points, got {n}."
        )

    ranks = stats.rankdata(values)
    splits = np.arange(min_segment, n - min_segment + 1)
    best, best_z = min_segment, 0.0
    for k in splits:
        u = ranks[:k].sum() - k * (k + 1) / 2
        mean, sd = k * (n - k) / 2, np.sqrt(k * (n - k) * (n + 1) / 12)
        z = abs(u - mean) / sd
        if z > best_z:
            best, best_z = int(k), float(z)

    p_value = min(1.0, 2 * stats.norm.sf(best_z) * len(splits))
    return LevelShift(
        at=series.index[best],
        before_median=float(np.median(values[:best])),
        after_median=float(np.median(values[best:])),
        p_value=float(p_value),
    )
