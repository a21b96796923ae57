"""Causal anomaly detectors for operational series, with scores in [0, 1].

Every detector is *causal*: the score at time ``t`` uses only values at or
before ``t``, so it is the score an online monitor would have shown then, and
changing a later value never changes it. Scores are in ``[0, 1]``; a point is
flagged when its score is at least ``threshold`` (configurable per call).

=========================  ===================================================
detector                   score at t
=========================  ===================================================
``rolling_mad``            robust z = |y − median| / (1.4826 · MAD) over the
                           previous ``window`` points, mapped to [0, 1]
``seasonal_residual``      robust z of the residual after removing the
                           seasonal profile (median of the same phase over the
                           previous ``cycles`` cycles) and the recent level
``isolation_forest``       IsolationForest on lag, rolling and calendar
                           features, refitted on the past every ``refit_every``
                           points; robust z of the isolation score against
                           the training points' scores
``windowed_tail``          short window against long window: the mean of the
                           last ``short_window`` robust z's (each against the
                           previous ``long_window`` points), itself as a robust
                           z against its own previous ``long_window`` values
=========================  ===================================================

:func:`combine_scores` takes the pointwise maximum (or mean) of several
detectors' scores (a point is as anomalous as the most alarmed detector says).

**History calibration.** :func:`calibrate_to_history` turns any detector's
score into the share of the same series' *earlier* scores that are strictly
lower: the score's causal empirical distribution function. A threshold on the
calibrated score is then a tail probability, the same on a calm series as on a
noisy one (a robust z of 6 may be routine on one series and unheard of on
another). With a threshold ``q``, no alarm is possible before ``q / (1 − q)``
points of history, which acts as a natural warm-up.

**Scale floor.** A flat stretch has MAD 0, which would make any wiggle an
infinite z. The scale used for z is therefore never below ``floor_fraction``
times the value range (max − min) of the previous ``floor_window`` points, nor
below a tiny absolute floor tied to the series' magnitude. Both are causal.

**Calibration.** The robust z maps to ``[0, 1]`` by ``1 − exp(−|z| / z_scale)``,
which is one minus the tail probability ``P(|Z| > |z|)`` of a Laplace
(double-exponential) reference with scale ``z_scale``; heavy tails suit
operational data better than a Gaussian reference, and the score does not
saturate at 1.0 until ``|z| > 36 · z_scale``. With the default ``z_scale = 3``,
z = 3 scores 0.63 and z = 9 scores 0.95. Points without enough history score 0.

**Alarm suppression.** :func:`flag` can suppress further flags for
``suppress`` rows after each flag, so one incident raises one alarm (the
Numenta Anomaly Benchmark rewards only the first detection in a window and
charges every detection outside one). Suppression only looks back, so flags
stay causal.

Examples
--------
>>> y = pd.Series(np.r_[np.tile([10.0, 11.0, 9.0, 10.5], 25), 40.0, 10.0])
>>> s = rolling_mad_scores(y, window=48)
>>> bool(s.iloc[100] > 0.9), bool(s.iloc[99] < 0.5)
(True, True)
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

from analytics.errors import ConfigError

__all__ = [
    "CALIBRATED_SUPPRESS_HOURS",
    "CALIBRATED_THRESHOLD",
    "anomalous_periods",
    "calibrate_to_history",
    "calibrated_mad_tail_scores",
    "combine_scores",
    "flag",
    "isolation_forest_scores",
    "rolling_mad_scores",
    "seasonal_residual_scores",
    "windowed_tail_scores",
]

MAD_TO_SD = 1.4826


def _to_unit(z: np.ndarray | pd.Series, z_scale: float) -> np.ndarray:
    values = np.nan_to_num(np.asarray(z, dtype=float), nan=0.0, posinf=np.inf)
    unit: np.ndarray = 1.0 - np.exp(-np.abs(values) / z_scale)
    return unit


def _robust_z(
    value: pd.Series, centre: pd.Series, mad: pd.Series, floor: pd.Series | float
) -> pd.Series:
    scale = np.maximum(MAD_TO_SD * mad, floor)
    return (value - centre) / scale


def _scale_floor(
    y: pd.Series, *, floor_fraction: float, floor_window: int
) -> pd.Series:
    """Causal lower bound of the z scale at every point.

    ``floor_fraction`` × (max − min) of the previous ``floor_window`` values,
    and never below ``1e-6`` × the magnitude of the past median, so a flat
    history gives a finite (large) z rather than a division by zero.
    """
    if not 0.0 <= floor_fraction < 1.0:
        raise ConfigError(f"floor_fraction must be in [0, 1), got {floor_fraction}.")
    if floor_window < 2:
        raise ConfigError(f"floor_window must be at least 2, got {floor_window}.")
    past = y.shift(1)
    rolling = past.rolling(floor_window, min_periods=1)
    spread = (rolling.max() - rolling.min()).fillna(0.0)
    magnitude = past.abs().expanding(min_periods=1).median().fillna(0.0)
    absolute = 1e-6 * np.maximum(magnitude, 1.0)
    return (floor_fraction * spread).clip(lower=absolute)


def rolling_mad_scores(
    series: pd.Series,
    *,
    window: int = 48,
    min_periods: int | None = None,
    z_scale: float = 3.0,
    floor_fraction: float = 0.02,
    floor_window: int = 2000,
) -> pd.Series:
    """Robust rolling median/MAD score of each point against the previous ``window``.

    Parameters
    ----------
    series
        Values in time order.
    window
        Number of previous points the median and MAD are taken over.
    min_periods
        Points of history needed before scoring (default ``window // 2``).
    z_scale
        Scale of the Laplace reference: a robust z of ``z_scale`` scores
        ``1 − e^{−1}`` (see module docstring).
    floor_fraction, floor_window
        The z scale is at least ``floor_fraction`` × the value range of the
        previous ``floor_window`` points (see module docstring).

    Returns
    -------
    pandas.Series
        Scores in [0, 1], same index as ``series``.
    """
    if window < 3:
        raise ConfigError(f"window must be at least 3 points, got {window}.")
    y = series.astype(float)
    past = y.shift(1)
    need = min_periods or window // 2
    centre = past.rolling(window, min_periods=need).median()
    mad = (past - centre).abs().rolling(window, min_periods=need).median()
    floor = _scale_floor(y, floor_fraction=floor_fraction, floor_window=floor_window)
    z = _robust_z(y, centre, mad, floor)
    return pd.Series(_to_unit(z, z_scale), index=series.index, name="score")


def seasonal_residual_scores(
    series: pd.Series,
    *,
    period: int = 24,
    cycles: int = 4,
    level_window: int = 24,
    z_scale: float = 3.0,
    floor_fraction: float = 0.02,
    floor_window: int = 2000,
) -> pd.Series:
    """Robust z-score of the residual after a causal seasonal decomposition.

    The seasonal profile at ``t`` is the median of the values at the same phase
    in the previous ``cycles`` cycles, each taken relative to the level of its
    own time (rolling median of the previous ``level_window`` points); the
    residual's spread is the rolling MAD of past residuals, floored as in
    :func:`rolling_mad_scores` (the floor uses the range of the values).

    Parameters
    ----------
    series
        Values in time order, one per step of the seasonal grid.
    period
        Points per seasonal cycle (24 for hourly data with a daily cycle).
    cycles
        Previous cycles the seasonal profile is the median of.
    level_window
        Points of the rolling median that sets the recent level.
    z_scale, floor_fraction, floor_window
        As in :func:`rolling_mad_scores`.

    Returns
    -------
    pandas.Series
        Scores in [0, 1], same index as ``series``.

    Examples
    --------
    >>> t = np.arange(24 * 10)
    >>> y = pd.Series(10 + 5 * np.sin(2 * np.pi * t / 24))
    >>> y.iloc[200] += 6
    >>> s = seasonal_residual_scores(y, period=24)
    >>> int(s.idxmax())
    200
    """
    y = series.astype(float).reset_index(drop=True)
    level = y.shift(1).rolling(level_window, min_periods=level_window // 2).median()
    relative = y - level
    lagged = pd.concat(
        [relative.shift(k * period) for k in range(1, cycles + 1)], axis=1
    )
    profile = lagged.median(axis=1, skipna=True)
    profile[lagged.notna().sum(axis=1) < max(1, cycles // 2)] = np.nan

    residual = relative - profile
    past = residual.shift(1)
    window = period * cycles
    centre = past.rolling(window, min_periods=period).median()
    mad = (past - centre).abs().rolling(window, min_periods=period).median()
    floor = _scale_floor(y, floor_fraction=floor_fraction, floor_window=floor_window)
    z = _robust_z(residual, centre, mad, floor)
    return pd.Series(_to_unit(z, z_scale), index=series.index, name="score")


def windowed_tail_scores(
    series: pd.Series,
    *,
    long_window: int,
    short_window: int,
    min_periods: int | None = None,
    z_scale: float = 3.0,
    short_floor: float = 0.1,
    floor_fraction: float = 0.02,
    floor_window: int = 2000,
) -> pd.Series:
    """How unusual the recent short window is against the long window before it.

    Two robust stages, both causal:

    1. the robust z of each point against the previous ``long_window`` points
       (median and MAD, scale floored as in :func:`rolling_mad_scores`);
    2. the mean of the last ``short_window`` of those z's, itself turned into a
       robust z against its own previous ``long_window`` values. This is the
       tail of the short-term average under the long-term distribution (the
       idea behind NAB's windowed Gaussian and anomaly likelihood, with median
       and MAD instead of mean and sd so past anomalies do not widen it).

    The second stage's scale is never below ``short_floor`` (in units of the
    first stage's z): a flat history would otherwise turn any wiggle into an
    alarm.

    Parameters
    ----------
    series
        Values in time order.
    long_window
        Points of history each stage compares against (e.g. one day of rows).
    short_window
        Points averaged in the short window (e.g. half an hour of rows).
    min_periods
        History needed before scoring (default ``long_window // 4``).
    z_scale
        Scale of the Laplace reference mapping z to [0, 1] (module docstring).
    short_floor
        Floor of the second stage's scale, in z units.
    floor_fraction, floor_window
        As in :func:`rolling_mad_scores`, for the first stage.

    Returns
    -------
    pandas.Series
        Scores in [0, 1], same index as ``series``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = pd.Series(rng.normal(10.0, 1.0, 400))
    >>> y.iloc[300:305] += 4.0   # a short burst, each point only 4 sd high
    >>> s = windowed_tail_scores(y, long_window=96, short_window=4)
    >>> bool(s.iloc[303] > 0.95), bool(s.iloc[:300].max() < s.iloc[303])
    (True, True)
    """
    if long_window < 3:
        raise ConfigError(f"long_window must be at least 3 points, got {long_window}.")
    if not 1 <= short_window <= long_window:
        raise ConfigError(
            f"short_window must be between 1 and long_window ({long_window}),"
            f" got {short_window}."
        )
    if short_floor <= 0:
        raise ConfigError(f"short_floor must be > 0, got {short_floor}.")
    y = series.astype(float).reset_index(drop=True)
    need = min_periods or max(2, long_window // 4)

    past = y.shift(1)
    centre = past.rolling(long_window, min_periods=need).median()
    mad = (past - centre).abs().rolling(long_window, min_periods=need).median()
    floor = _scale_floor(y, floor_fraction=floor_fraction, floor_window=floor_window)
    point_z = _robust_z(y, centre, mad, floor)

    # The short-window mean, judged against its own recent distribution.
    short = point_z.rolling(short_window, min_periods=1).mean()
    past_short = short.shift(1)
    short_centre = past_short.rolling(long_window, min_periods=need).median()
    short_mad = (
        (past_short - short_centre)
        .abs()
        .rolling(long_window, min_periods=need)
        .median()
    )
    z: pd.Series = (short - short_centre) / np.maximum(
        MAD_TO_SD * short_mad, short_floor
    )
    return pd.Series(_to_unit(z, z_scale), index=series.index, name="score")


def combine_scores(*scores: pd.Series, how: str = "max") -> pd.Series:
    """Pointwise maximum or mean of several detectors' scores (same index).

    Parameters
    ----------
    *scores
        Score series in [0, 1], all on the same index.
    how
        ``"max"`` (the most alarmed detector decides) or ``"mean"`` (the
        detectors vote; best on calibrated scores, see
        :func:`calibrate_to_history`).

    Returns
    -------
    pandas.Series
        Scores in [0, 1], same index. Causal when every input is.

    Examples
    --------
    >>> combine_scores(pd.Series([0.1, 0.9]), pd.Series([0.5, 0.2])).tolist()
    [0.5, 0.9]
    >>> combine_scores(pd.Series([0.1, 0.9]), pd.Series([0.5, 0.2]), how="mean").tolist()
    [0.3, 0.55]
    """
    if not scores:
        raise ConfigError("combine_scores needs at least one score series.")
    if how not in ("max", "mean"):
        raise ConfigError(f"how must be 'max' or 'mean', got {how!r}.")
    first = scores[0]
    for other in scores[1:]:
        if not other.index.equals(first.index):
            raise ConfigError(
                "combine_scores: the score series have different indexes;"
                " score the same rows with every detector."
            )
    stacked = np.vstack([s.to_numpy(dtype=float) for s in scores])
    combined = stacked.max(axis=0) if how == "max" else stacked.mean(axis=0)
    return pd.Series(combined, index=first.index, name="score")


def calibrate_to_history(
    scores: pd.Series, *, history_points: int | None = None
) -> pd.Series:
    """Share of the series' earlier scores strictly below each score (causal).

    The calibrated score at ``t`` is ``#{s < t : score_s < score_t} / (n + 1)``
    over the ``n`` previous scores (all of them, or the last
    ``history_points``). It is one minus the empirical tail probability of the
    score under the series' own past, so one threshold means the same
    rarity on every series. The first point scores 0; ties with the past do
    not count as exceeding it, so a constant series stays at 0.

    Parameters
    ----------
    scores
        Any detector's scores, in time order (no NaN).
    history_points
        Most recent previous scores compared against (``None``: all of them).

    Returns
    -------
    pandas.Series
        Calibrated scores in [0, 1), same index as ``scores``.

    Examples
    --------
    >>> s = pd.Series([0.2, 0.1, 0.3, 0.3, 0.05, 0.9])
    >>> calibrate_to_history(s).round(3).tolist()
    [0.0, 0.0, 0.667, 0.5, 0.0, 0.833]
    """
    if history_points is not None and history_points < 1:
        raise ConfigError(
            f"history_points must be at least 1 or None, got {history_points}."
        )
    values = scores.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ConfigError(
            "calibrate_to_history: scores contain NaN at position"
            f" {int(np.flatnonzero(np.isnan(values))[0])}; fill or drop them first."
        )

    # A sorted copy of the past; bisect counts the earlier scores below each one.
    past: list[float] = []
    calibrated = np.zeros(len(values))
    for t, value in enumerate(values):
        calibrated[t] = bisect.bisect_left(past, value) / (len(past) + 1)
        bisect.insort(past, value)
        if history_points is not None and len(past) > history_points:
            del past[bisect.bisect_left(past, values[t - history_points])]
    return pd.Series(calibrated, index=scores.index, name="score")


def calibrated_mad_tail_scores(series: pd.Series, *, rows_per_hour: float) -> pd.Series:
    """The NAB benchmark's best detector: max of two history-calibrated scores.

    The rolling MAD score over the previous 8 hours (at least 12 points) and
    the windowed tail score (24 hours of history, the last half hour against
    it), each passed through :func:`calibrate_to_history` and combined with
    the maximum. Causal; scores in [0, 1). The operating point measured by
    ``benchmarks/bench_nab.py`` is a threshold of about 0.998 with 6 hours of
    suppression after a flag (:data:`CALIBRATED_THRESHOLD`). The first
    scores have little history to rank against and cannot reach it.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> y = pd.Series(rng.normal(10, 1, 2000))
    >>> y.iloc[1900] = 40.0
    >>> scores = calibrated_mad_tail_scores(y, rows_per_hour=4)
    >>> bool(scores.iloc[1900] >= CALIBRATED_THRESHOLD), bool(scores.between(0, 1).all())
    (True, True)
    """
    if not rows_per_hour > 0:
        raise ConfigError(f"rows_per_hour must be > 0, got {rows_per_hour!r}")

    def rows(hours: float) -> int:
        return max(1, round(hours * rows_per_hour))

    mad = rolling_mad_scores(series, window=max(12, rows(8)))
    tail = windowed_tail_scores(
        series, long_window=max(12, rows(24)), short_window=rows(0.5)
    )
    return combine_scores(calibrate_to_history(mad), calibrate_to_history(tail))


CALIBRATED_THRESHOLD = 0.998
"""Threshold of :func:`calibrated_mad_tail_scores` chosen by the NAB benchmark."""
CALIBRATED_SUPPRESS_HOURS = 6.0
"""Hours without a new flag after one, for :func:`calibrated_mad_tail_scores`."""


def _features(y: pd.Series, index: pd.Index, lags: tuple[int, ...]) -> pd.DataFrame:
    past = y.shift(1)
    features = {f"lag_{k}": y - y.shift(k) for k in lags}
    features["level_gap"] = y - past.rolling(24, min_periods=2).mean()
    features["rolling_sd"] = y.rolling(12, min_periods=2).std()
    features["value"] = y
    frame = pd.DataFrame(features)
    if isinstance(index, pd.DatetimeIndex):
        hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
        frame["hour_sin"] = np.sin(2 * np.pi * hour / 24)
        frame["hour_cos"] = np.cos(2 * np.pi * hour / 24)
        frame["weekday"] = index.day_of_week.to_numpy()
    return frame


def isolation_forest_scores(
    series: pd.Series,
    *,
    lags: tuple[int, ...] = (1, 2, 24),
    train_points: int = 1000,
    min_train_points: int = 200,
    refit_every: int = 200,
    random_state: int = 0,
    z_scale: float = 3.0,
) -> pd.Series:
    """IsolationForest scores on lag, rolling and calendar features, causally.

    The forest is fitted on the ``train_points`` points before a block and
    scores the next ``refit_every`` points, so no point is scored by a model
    that saw it or anything later. A point's score is the robust z of its
    isolation score against the training points' scores, mapped to [0, 1] as
    in the module docstring. The first ``min_train_points`` score 0.

    Parameters
    ----------
    series
        Values in time order; a :class:`~pandas.DatetimeIndex` adds hour-of-day
        and weekday features.
    lags
        Differences ``y_t − y_{t−k}`` used as features.
    train_points
        Most recent points each forest is fitted on.
    min_train_points
        Points of history before the first forest is fitted.
    refit_every
        Points scored by each forest before it is refitted.
    random_state
        Seed of the forests, for reproducible scores.
    z_scale
        As in :func:`rolling_mad_scores`.

    Returns
    -------
    pandas.Series
        Scores in [0, 1], same index as ``series``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = pd.Series(rng.normal(10, 1, 600))
    >>> y.iloc[500] = 30
    >>> s = isolation_forest_scores(y, min_train_points=200)
    >>> int(s.idxmax())
    500
    """
    from sklearn.ensemble import IsolationForest

    y = series.astype(float).reset_index(drop=True)
    features = _features(y, series.index, lags).to_numpy()
    features = np.nan_to_num(features, nan=0.0)
    scores = np.zeros(len(y))

    for start in range(min_train_points, len(y), refit_every):
        train = features[max(0, start - train_points) : start]
        forest = IsolationForest(n_estimators=100, random_state=random_state).fit(train)
        block = features[start : start + refit_every]
        # score_samples is −(anomaly score) of the original paper; a block's
        # scores are robust z against the training points' own scores.
        raw = -forest.score_samples(block)
        base = -forest.score_samples(train)
        centre = float(np.median(base))
        spread = max(MAD_TO_SD * float(np.median(np.abs(base - centre))), 1e-9)
        z = np.clip((raw - centre) / spread, 0, None)
        scores[start : start + len(block)] = _to_unit(z, z_scale)
    return pd.Series(scores, index=series.index, name="score")


def flag(scores: pd.Series, *, threshold: float = 0.9, suppress: int = 0) -> pd.Series:
    """Boolean flags: ``score >= threshold``, optionally one per incident.

    Parameters
    ----------
    scores
        Detector scores in [0, 1], in time order.
    threshold
        A row is a candidate when its score is at least this.
    suppress
        After a flag, the next ``suppress`` rows are not flagged whatever their
        score (0: no suppression). Depends only on earlier rows, so causal.

    Returns
    -------
    pandas.Series
        Booleans, same index as ``scores``.

    Examples
    --------
    >>> flag(pd.Series([0.1, 0.95]), threshold=0.9).tolist()
    [False, True]
    >>> flag(pd.Series([0.95, 0.97, 0.2, 0.99, 0.96]), threshold=0.9, suppress=2).tolist()
    [True, False, False, True, False]
    """
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold must be in [0, 1], got {threshold}.")
    if suppress < 0:
        raise ConfigError(f"suppress must be 0 or more rows, got {suppress}.")
    candidate = np.asarray(scores.to_numpy(dtype=float) >= threshold)
    if suppress == 0:
        return pd.Series(candidate, index=scores.index, name="flag")
    flags = np.zeros(len(candidate), dtype=bool)
    free_from = 0
    for i in np.flatnonzero(candidate):
        if i >= free_from:
            flags[i] = True
            free_from = int(i) + suppress + 1
    return pd.Series(flags, index=scores.index, name="flag")


def anomalous_periods(
    scores: pd.Series, *, threshold: float = 0.9, gap: int = 1
) -> pd.DataFrame:
    """Runs of rows scoring at least ``threshold``, merged across short gaps.

    Parameters
    ----------
    scores
        Detector scores in [0, 1], indexed by time (or position).
    threshold
        A row is anomalous when its score is at least this.
    gap
        Runs separated by at most ``gap − 1`` normal rows are one period.

    Returns
    -------
    pandas.DataFrame
        ``start``, ``end`` (index labels of the first and last anomalous row),
        ``rows`` (anomalous rows) and ``peak_score``, in time order.

    Examples
    --------
    >>> s = pd.Series([0.1, 0.95, 0.97, 0.2, 0.2, 0.99])
    >>> anomalous_periods(s, threshold=0.9)[["start", "end", "rows"]].values.tolist()
    [[1, 2, 2], [5, 5, 1]]
    """
    if gap < 1:
        raise ConfigError(f"gap must be at least 1 row, got {gap}.")
    hits = np.flatnonzero(flag(scores, threshold=threshold).to_numpy())
    columns = ["start", "end", "rows", "peak_score"]
    if len(hits) == 0:
        return pd.DataFrame(columns=columns)
    breaks = np.flatnonzero(np.diff(hits) > gap)
    firsts = np.r_[hits[0], hits[breaks + 1]]
    lasts = np.r_[hits[breaks], hits[-1]]
    values = scores.to_numpy(dtype=float)
    above = values >= threshold
    records = [
        {
            "start": scores.index[a],
            "end": scores.index[b],
            "rows": int(above[a : b + 1].sum()),
            "peak_score": float(values[a : b + 1].max()),
        }
        for a, b in zip(firsts, lasts, strict=True)
    ]
    return pd.DataFrame(records, columns=columns)
