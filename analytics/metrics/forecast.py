"""Capacity forecasts with honest intervals, and when they cross a limit.

The steps, in the order :func:`forecast_capacity` runs them:

1. **Regularise** (:func:`regularise`): sort by time; samples are put in bins of
   the series' frequency (bin start = timestamp floored to the frequency) and
   repeated or irregular timestamps in one bin are aggregated by ``how``
   (default: mean). Empty bins (gaps) are filled by linear interpolation in time
   when the gap is at most ``max_gap_steps`` bins; a longer gap is an error,
   because a forecast across it would be invented. Every rule applied is listed
   in ``notes``.
2. **Check length**: each seasonal period needs at least two full cycles plus
   the horizon of one backtest fold; a shorter series raises
   :class:`~analytics.errors.ConfigError`.
3. **Backtest** (:func:`backtest`): rolling origins (by default six, a third
   of the horizon apart), each model fitted on the data before the origin and
   scored on the horizon after it: MASE (scaled by the in-sample
   seasonal-naive error at the main period) and empirical coverage of the
   80 % and 95 % intervals.
4. **Choose** (:func:`choose_model`) the model with the lowest mean MASE, or
   the equal-weight mean of the best two when that combination has the lower
   backtest MASE (its name is then ``mean(a, b)``).
5. **Calibrate**: when the chosen forecast's backtest coverage is more than 5
   points off a nominal level, that level's interval half-width is scaled by
   the split-conformal factor (the nominal quantile of ``|error| / predicted
   sd`` over the backtest): wider when coverage fell short, narrower (by
   default only half-way in log scale, see :func:`choose_model`) when the
   intervals were too wide. The result says so in ``notes``.
6. **Forecast** on the full series and locate the crossing of a capacity limit
   (:func:`capacity_crossing`).

Models (all Gaussian predictive distributions with a per-step sd):

============================  ===================================================
name                          model
============================  ===================================================
``seasonal_naive_<lag>``      ``ŷ(t+h) = y(t+h−lag·k)``; sd grows with the number
                              of seasons ahead
``seasonal_median_<lag>``     the median of the same phase over the last five
                              cycles (fewer when the history is shorter); sd per
                              lead from the same rule's errors over the history
``mstl_ets``                  MSTL decomposition (all periods); seasonal parts
                              repeated, the rest by additive-trend ETS (Holt)
``mstl_level``                the same decomposition, the rest by simple
                              exponential smoothing (ETS(A,N,N): a level, no
                              trend)
``snaive_mstl``               the average of ``seasonal_naive_<longest period>``
                              and ``mstl_level`` (a forecast combination)
``unobserved_components``     local level + trigonometric seasonals (up to 6
                              harmonics per period), on at most the last 4
                              cycles of the longest period
``ets``                       additive damped-trend ETS with the main seasonal
                              period (for aggregates such as daily series)
============================  ===================================================

Why level-only variants: on hourly data a one-week horizon is 168 steps, and a
trend estimated from the last hours (Holt's, or the stochastic slope of a local
linear trend) is extrapolated over all of them. On NYC taxi demand that made
``mstl_ets`` 1.7 times and a local-linear-trend ``unobserved_components`` 68
times worse than seasonal naive (benchmarks/results/forecast.md). Series that
really grow (the capacity case) keep ``mstl_ets`` and ``ets``; the rolling-origin
backtest decides which kind a series is.

Why a seasonal median: seasonal naive copies last cycle's one-off events (a
holiday, an incident, a noisy hour) into the forecast; the median of five
cycles ignores up to two unusual ones and averages away part of the noise,
at the cost of reacting a little later to a change of level. On the benchmark
series every cycle count from 3 to 8 beat seasonal naive at lag 168
(benchmarks/results/forecast_median_cycles.md); five is the smallest count
that tolerates two unusual cycles, and the result does not hinge on it.

statsmodels warnings raised while fitting (e.g. convergence) are caught per fit
and recorded in ``notes``; they never pass silently and never stop a forecast.

Examples
--------
>>> t = np.arange(24 * 14)
>>> idx = pd.date_range("2024-01-01", periods=len(t), freq="h", tz="UTC")
>>> y = pd.Series(100 + 10 * np.sin(2 * np.pi * t / 24), index=idx)
>>> fc = forecast_capacity(y, horizon_steps=24, seasonal_periods=(24,),
...                        models=("seasonal_naive_24",))
>>> fc.model, bool(np.allclose(fc.mean.to_numpy(), y.to_numpy()[-24:]))
('seasonal_naive_24', True)
"""

from __future__ import annotations

import functools
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from analytics.errors import ConfigError

__all__ = [
    "DEFAULT_MODELS",
    "CapacityCrossing",
    "Forecast",
    "ForecastModelFit",
    "ModelChoice",
    "RegularSeries",
    "backtest",
    "capacity_crossing",
    "choose_model",
    "conformal_scale",
    "crossing_time",
    "fit_choice",
    "fit_model",
    "forecast_capacity",
    "regularise",
]

# The standard normal for interval half-widths (scalars only; scipy.stats would
# add half a second to every report's start-up).
_NORMAL = NormalDist()

logger = logging.getLogger(__name__)

DEFAULT_MODELS = (
    "seasonal_naive",
    "seasonal_median",
    "mstl_ets",
    "mstl_level",
    "snaive_mstl",
    "ets",
)
"""Models tried by default; ``seasonal_naive`` and ``seasonal_median`` expand to one
per seasonal period. ``unobserved_components`` is available by name: it costs
most of a default run and never won a benchmark series (benchmarks/results/forecast.md)."""

LEVELS = (0.80, 0.95)

SEASONAL_MEDIAN_CYCLES = 5
"""Cycles in a seasonal median: a median of five tolerates two unusual cycles."""


@dataclass(frozen=True)
class RegularSeries:
    """A series on a regular grid, with the rules that were applied to get it."""

    values: pd.Series
    freq: str
    notes: list[str] = field(default_factory=list)


def regularise(
    series: pd.Series,
    freq: str,
    *,
    how: str = "mean",
    max_gap_steps: int = 6,
) -> RegularSeries:
    """Put a series on a regular grid with an explicit, reported rule.

    Parameters
    ----------
    series
        Values indexed by timestamps (any order; repeats allowed).
    freq
        pandas frequency of the grid, e.g. ``"h"`` or ``"D"``.
    how
        Aggregation of several samples in one bin: ``"mean"``, ``"max"``,
        ``"sum"``, ``"median"`` or ``"last"``.
    max_gap_steps
        Longest run of empty bins filled by linear interpolation.

    Examples
    --------
    >>> idx = pd.to_datetime(["2024-01-01 00:10", "2024-01-01 00:50",
    ...                       "2024-01-01 01:00", "2024-01-01 03:00"])
    >>> r = regularise(pd.Series([1.0, 3.0, 4.0, 8.0], index=idx), "h")
    >>> r.values.tolist()
    [2.0, 4.0, 6.0, 8.0]
    >>> r.notes[1]
    '1 empty bin(s) filled by linear interpolation (longest gap 1 bin(s))'
    """
    if how not in {"mean", "max", "sum", "median", "last"}:
        raise ConfigError(
            f"how={how!r} is not an aggregation rule;"
            " use one of 'mean', 'max', 'sum', 'median', 'last'."
        )
    clean = series.dropna().sort_index(kind="stable")
    if clean.empty:
        raise ConfigError("the series has no values to forecast.")

    notes: list[str] = []
    binned = clean.groupby(pd.DatetimeIndex(clean.index).floor(freq)).agg(how)
    if len(binned) < len(clean):
        notes.append(
            f"{len(clean) - len(binned)} sample(s) sharing a {freq!r} bin with another"
            f" were aggregated by {how}"
        )

    grid = binned.asfreq(freq)
    empty = grid.isna()
    if empty.any():
        runs = empty.groupby((~empty).cumsum()).sum()
        longest = int(runs.max())
        if longest > max_gap_steps:
            start = grid.index[empty.to_numpy()][0]
            raise ConfigError(
                f"the series has a gap of {longest} empty {freq!r} bins (first empty"
                f" bin {start}); at most {max_gap_steps} are filled. Fix: forecast the"
                " part after the gap, or raise max_gap_steps."
            )
        grid = grid.interpolate(method="time")
        notes.append(
            f"{int(empty.sum())} empty bin(s) filled by linear interpolation"
            f" (longest gap {longest} bin(s))"
        )
    return RegularSeries(grid.astype(float), freq, notes)


@dataclass(frozen=True)
class ForecastModelFit:
    """Point forecast and per-step predictive sd of one model (arrays of length h)."""

    name: str
    mean: np.ndarray
    sd: np.ndarray
    fit_seconds: float
    warnings: list[str] = field(default_factory=list)


def _seasonal_naive(y: np.ndarray, h: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    steps = np.arange(h)
    mean = y[len(y) - lag + steps % lag]
    residuals = y[lag:] - y[:-lag]
    sigma = math.sqrt(float(np.mean(residuals**2)))
    return mean, sigma * np.sqrt(steps // lag + 1.0)


def _seasonal_median(
    y: np.ndarray, h: int, lag: int, cycles: int = SEASONAL_MEDIAN_CYCLES
) -> tuple[np.ndarray, np.ndarray]:
    n = len(y)
    k = min(cycles, n // lag)
    if k < 1:
        raise ConfigError(
            f"seasonal_median_{lag} needs at least one full cycle of {lag} steps;"
            f" the series has {n}. Fix: use a shorter lag or give more history."
        )
    steps = np.arange(h)
    past = np.array([y[n - lag * j + steps % lag] for j in range(1, k + 1)])
    mean = np.median(past, axis=0)

    # The sd at each lead (in whole cycles) is the RMS error of the same rule
    # at the same lead over the history: each past value predicted by the
    # median of the cycles that were that far behind it.
    leads = steps // lag
    sd_by_lead: dict[int, float] = {}
    for lead in np.unique(leads):
        k_used = min(k, n // lag - int(lead) - 1)
        if k_used < 1:
            sd_by_lead[int(lead)] = math.nan
            continue
        t = np.arange(lag * (int(lead) + k_used), n)
        behind = [y[t - lag * (int(lead) + j)] for j in range(1, k_used + 1)]
        residuals = y[t] - np.median(np.array(behind), axis=0)
        sd_by_lead[int(lead)] = math.sqrt(float(np.mean(residuals**2)))
    return mean, np.array([sd_by_lead[int(lead)] for lead in leads])


def _ets_trend(
    y: np.ndarray, h: int, season: int | None, *, damped: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(
        pd.Series(y),
        error="add",
        trend="add",
        damped_trend=damped,
        seasonal="add" if season else None,
        seasonal_periods=season,
        # Estimating 24+ initial seasonal states is slow; the heuristic start
        # (statsmodels needs 10 cycles for it) is used whenever there is enough data.
        initialization_method="heuristic"
        if len(y) >= 10 * (season or 1)
        else "estimated",
    )
    fitted = model.fit(disp=False)
    frame = fitted.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(
        alpha=0.2
    )
    sd = (frame["pi_upper"] - frame["pi_lower"]).to_numpy() / (2 * _NORMAL.inv_cdf(0.9))
    return frame["mean"].to_numpy(), sd


def _ets_level(y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    fitted = ETSModel(pd.Series(y), error="add", trend=None).fit(disp=False)
    frame = fitted.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(
        alpha=0.2
    )
    sd = (frame["pi_upper"] - frame["pi_lower"]).to_numpy() / (2 * _NORMAL.inv_cdf(0.9))
    return frame["mean"].to_numpy(), sd


@functools.lru_cache(maxsize=16)
def _mstl_seasonal(data: bytes, periods: tuple[int, ...]) -> np.ndarray:
    """MSTL seasonal components (one column per period) of the float64 ``data``.

    Cached on the data itself: the MSTL-based models (and every backtest fold
    of each) decompose the same training part, and the decomposition is most
    of their cost.
    """
    from statsmodels.tsa.seasonal import MSTL

    y = np.frombuffer(data, dtype=float)
    seasonal = np.asarray(MSTL(y, periods=periods).fit().seasonal, dtype=float)
    seasonal = seasonal.reshape(len(y), -1)
    seasonal.flags.writeable = False
    return seasonal


def _mstl_ets(
    y: np.ndarray, h: int, periods: Sequence[int], *, trend: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    # MSTL drops a period unless two full cycles fit; do the same, explicitly.
    usable = sorted(p for p in periods if 2 * p < len(y))
    if not usable:
        return _ets_trend(y, h, None, damped=False) if trend else _ets_level(y, h)
    seasonal = _mstl_seasonal(np.ascontiguousarray(y, float).tobytes(), tuple(usable))
    future_seasonal = np.zeros(h)
    for column, period in zip(seasonal.T, usable, strict=True):
        future_seasonal += column[len(y) - period + np.arange(h) % period]
    rest = y - seasonal.sum(axis=1)
    mean, sd = _ets_trend(rest, h, None, damped=False) if trend else _ets_level(rest, h)
    return mean + future_seasonal, sd


def _snaive_mstl(
    y: np.ndarray, h: int, periods: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    lag = (
        max(p for p in periods if p < len(y)) if any(p < len(y) for p in periods) else 1
    )
    naive_mean, naive_sd = _seasonal_naive(y, h, lag)
    mstl_mean, mstl_sd = _mstl_ets(y, h, periods, trend=False)
    # The sd of an average is at most the average sd (errors fully correlated).
    return (naive_mean + mstl_mean) / 2, (naive_sd + mstl_sd) / 2


def _unobserved_components(
    y: np.ndarray, h: int, periods: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    recent = y[-4 * max(periods) :]
    model = UnobservedComponents(
        recent,
        level="local level",
        freq_seasonal=[{"period": p, "harmonics": min(6, p // 2)} for p in periods],
    )
    frame = model.fit(disp=False).get_forecast(h).summary_frame(alpha=0.05)
    return frame["mean"].to_numpy(), frame["mean_se"].to_numpy()


def fit_model(
    name: str, y: np.ndarray, horizon_steps: int, seasonal_periods: Sequence[int]
) -> ForecastModelFit:
    """Fit one model on ``y`` and forecast ``horizon_steps`` ahead.

    Examples
    --------
    >>> fit = fit_model("seasonal_naive_2", np.array([1.0, 2, 1, 2, 1, 2]), 3, (2,))
    >>> fit.mean.tolist()
    [1.0, 2.0, 1.0]
    """
    runners: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "mstl_ets": lambda: _mstl_ets(y, horizon_steps, seasonal_periods),
        "mstl_level": lambda: _mstl_ets(
            y, horizon_steps, seasonal_periods, trend=False
        ),
        "snaive_mstl": lambda: _snaive_mstl(y, horizon_steps, seasonal_periods),
        "unobserved_components": lambda: _unobserved_components(
            y, horizon_steps, seasonal_periods
        ),
        "ets": lambda: _ets_trend(y, horizon_steps, min(seasonal_periods)),
    }
    if name.startswith("seasonal_naive_"):
        lag = _lag(name, "seasonal_naive_")
        runners[name] = lambda: _seasonal_naive(y, horizon_steps, lag)
    if name.startswith("seasonal_median_"):
        lag = _lag(name, "seasonal_median_")
        runners[name] = lambda: _seasonal_median(y, horizon_steps, lag)
    if name not in runners:
        raise ConfigError(
            f"unknown forecast model {name!r}; available: seasonal_naive_<lag>,"
            " seasonal_median_<lag>, mstl_ets, mstl_level, snaive_mstl,"
            " unobserved_components, ets."
        )

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # Fits may warn (convergence, ill-conditioning): recorded, shown in notes.
        warnings.simplefilter("always")
        mean, sd = runners[name]()
    seconds = time.perf_counter() - started
    messages = [f"{name}: {w.category.__name__}: {w.message}" for w in caught]
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, np.nan)
    return ForecastModelFit(name, np.asarray(mean, float), sd, seconds, messages)


def _lag(name: str, prefix: str) -> int:
    text = name.removeprefix(prefix)
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(
            f"model {name!r} needs a whole number of steps after {prefix!r},"
            f" e.g. {prefix}24."
        )
    return int(text)


def _expand_models(models: Sequence[str], periods: Sequence[int]) -> list[str]:
    out: list[str] = []
    for name in models:
        if name in ("seasonal_naive", "seasonal_median"):
            out += [f"{name}_{p}" for p in sorted(periods, reverse=True)]
        else:
            out.append(name)
    return out


def _check_length(
    n: int, periods: Sequence[int], horizon_steps: int, freq: str
) -> None:
    needed = 2 * max(periods) + horizon_steps
    if n < needed:
        raise ConfigError(
            f"the series has {n} points at frequency {freq!r}, too short for"
            f" seasonal period {max(periods)} and horizon {horizon_steps}: at least"
            f" {needed} are needed (two full cycles plus one horizon to backtest)."
            " Fix: give more history, a shorter seasonal period, or a shorter horizon."
        )


def backtest(
    y: np.ndarray,
    *,
    horizon_steps: int,
    seasonal_periods: Sequence[int],
    models: Sequence[str] = DEFAULT_MODELS,
    folds: int = 3,
    fold_step_steps: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling-origin backtest of each model on the series itself.

    Origins are ``fold_step_steps`` apart (default: one horizon, so the test
    parts do not overlap), the last one a horizon before the end; a fold whose
    training part is shorter than two main cycles is skipped.

    Returns
    -------
    summary
        One row per model: ``model``, ``folds``, ``mase``, ``coverage_80``,
        ``coverage_95``, ``fit_seconds_median``, ``warnings``.
    errors
        One row per model, fold and step: ``model``, ``fold``, ``step``,
        ``error``, ``sd`` (for calibration) and ``scale`` (the fold's MASE
        denominator).
    """
    periods = list(seasonal_periods) or [1]
    m = max(periods)
    n = len(y)
    step = fold_step_steps or horizon_steps
    if step < 1:
        raise ConfigError(f"fold_step_steps must be at least 1, got {step}.")
    origins = [n - horizon_steps - k * step for k in range(folds - 1, -1, -1)]
    origins = [o for o in origins if o >= 2 * m]
    if not origins:
        raise ConfigError("no backtest fold fits: the series is too short.")

    rows: list[dict[str, object]] = []
    error_rows: list[pd.DataFrame] = []
    for name in _expand_models(models, periods):
        abs_scaled: list[float] = []
        hits = dict.fromkeys(LEVELS, 0)
        count = 0
        seconds: list[float] = []
        messages: list[str] = []
        for fold, origin in enumerate(origins):
            train, test = y[:origin], y[origin : origin + horizon_steps]
            fit = fit_model(name, train, len(test), periods)
            seconds.append(fit.fit_seconds)
            messages += fit.warnings
            # A perfectly periodic training part has a zero naive error: floor it.
            floor = 1e-9 * (float(np.mean(np.abs(train))) or 1.0)
            scale = max(float(np.mean(np.abs(train[m:] - train[:-m]))), floor)
            error = test - fit.mean
            abs_scaled.append(float(np.mean(np.abs(error))) / scale)
            for level in LEVELS:
                z = _NORMAL.inv_cdf(0.5 + level / 2)
                hits[level] += int(np.sum(np.abs(error) <= z * fit.sd))
            count += len(test)
            error_rows.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "fold": fold,
                        "step": np.arange(1, len(test) + 1),
                        "error": error,
                        "sd": fit.sd,
                        "scale": scale,
                    }
                )
            )
        rows.append(
            {
                "model": name,
                "folds": len(origins),
                "mase": float(np.mean(abs_scaled)),
                "coverage_80": hits[0.80] / count,
                "coverage_95": hits[0.95] / count,
                "fit_seconds_median": float(np.median(seconds)),
                "warnings": len(messages),
            }
        )
        logger.debug("backtest %s: %s", name, rows[-1])
    return pd.DataFrame(rows), pd.concat(error_rows, ignore_index=True)


def conformal_scale(
    errors: np.ndarray, sd: np.ndarray, level: float, *, narrow: bool = False
) -> float:
    """Factor that makes ``|error| <= z·sd·factor`` hold at ``level``.

    The factor is at least 1 (intervals only widened) unless ``narrow=True``.

    Examples
    --------
    >>> errs = np.array([0.5, -1.0, 2.0, -3.0, 4.0])
    >>> round(conformal_scale(errs, np.ones(5), 0.8), 3)
    3.121
    >>> conformal_scale(np.zeros(5), np.ones(5), 0.8)
    1.0
    >>> round(conformal_scale(errs / 10, np.ones(5), 0.8, narrow=True), 3)
    0.312
    """
    z = _NORMAL.inv_cdf(0.5 + level / 2)
    ratio = np.abs(errors) / sd
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size == 0:
        return 1.0
    k = min(ratio.size, math.ceil((ratio.size + 1) * level))
    needed = float(np.sort(ratio)[k - 1]) / z
    return needed if narrow else max(1.0, needed)


_SIMPLICITY = (
    "seasonal_naive",
    "seasonal_median",
    "ets",
    "mstl_level",
    "snaive_mstl",
    "mstl_ets",
    "unobserved_components",
)
"""Model families from simplest to most complex (the tie-break order)."""


def _simplicity(name: str) -> int:
    family = name.rsplit("_", 1)[0] if name.startswith("seasonal_") else name
    return _SIMPLICITY.index(family) if family in _SIMPLICITY else len(_SIMPLICITY)


@dataclass(frozen=True)
class ModelChoice:
    """The model, or equal-weight combination of models, chosen by backtest.

    Attributes
    ----------
    name
        The model's name, or ``mean(a, b, ...)`` for a combination.
    members
        The models averaged (one for a single model).
    backtest
        The backtest table, with a row for the combination when there is one.
    interval_scale
        Factor applied to the interval half-width per level (1.0 = as fitted).
    notes
        Why this choice, and any rescaling of the intervals.
    """

    name: str
    members: tuple[str, ...]
    backtest: pd.DataFrame
    interval_scale: dict[float, float]
    notes: list[str]


def _combined_scores(
    members: Sequence[str], errors: pd.DataFrame
) -> tuple[float, np.ndarray, np.ndarray, dict[float, float]]:
    """Backtest MASE, errors, sds and coverage of the average of ``members``."""
    parts = [
        errors[errors["model"] == name].sort_values(["fold", "step"])
        for name in members
    ]
    error = np.mean([p["error"].to_numpy() for p in parts], axis=0)
    # The sd of an average is at most the average sd (errors fully correlated);
    # calibration corrects it either way.
    sd = np.mean([p["sd"].to_numpy() for p in parts], axis=0)
    folds = parts[0]["fold"].to_numpy()
    scale = parts[0]["scale"].to_numpy()
    mase = float(
        np.mean(
            [
                np.mean(np.abs(error[folds == f])) / scale[folds == f][0]
                for f in set(folds)
            ]
        )
    )
    coverage = {
        level: float(np.mean(np.abs(error) <= _NORMAL.inv_cdf(0.5 + level / 2) * sd))
        for level in LEVELS
    }
    return mase, error, sd, coverage


def choose_model(
    table: pd.DataFrame,
    errors: pd.DataFrame,
    *,
    combine_top: int = 1,
    simpler_within: float = 0.0,
    coverage_tolerance: float = 0.05,
    narrow: bool = False,
    narrow_fraction: float = 1.0,
) -> ModelChoice:
    """Pick a model (or the mean of the best few) from a backtest and calibrate it.

    Steps:

    1. Rank the models by backtest MASE. Models within ``simpler_within``
       (relative) of the best count as tied, and the simplest of them is put
       first (seasonal naive < ets < mstl_level < snaive_mstl < mstl_ets <
       unobserved_components).
    2. With ``combine_top`` > 1, the equal-weight mean of the first
       ``combine_top`` ranked models (a forecast combination) is scored on the
       same folds (its errors are the mean of the members' errors) and replaces
       the single best model only when its backtest MASE is lower; a row for
       it is then added to the table.
    3. Calibrate each level: when the backtest coverage is more than
       ``coverage_tolerance`` below nominal, the half-width is scaled by the
       split-conformal factor (:func:`conformal_scale`); with ``narrow=True``
       also when it is more than ``coverage_tolerance`` above nominal
       (symmetric calibration), otherwise intervals are never narrowed. A
       narrowing factor ``f < 1`` is applied as ``f ** narrow_fraction`` (in
       log scale, that fraction of the way): the backtest residuals of the
       chosen model understate its errors (it was chosen for having small
       ones, and errors within a fold are correlated, so the evidence is a
       few folds, not hundreds of points), and too narrow an interval hides
       risk while too wide a one only costs headroom. Widening is applied
       in full.

    Parameters
    ----------
    table, errors
        The two frames returned by :func:`backtest`.

    Examples
    --------
    >>> y = np.tile([1.0, 5.0, 3.0, 2.0], 12) + np.linspace(0, 1, 48)
    >>> table, errors = backtest(y, horizon_steps=4, seasonal_periods=(4,),
    ...                          models=("seasonal_naive", "ets"))
    >>> choose_model(table, errors).name
    'ets'
    >>> choose_model(table, errors, combine_top=2).members  # the mean backtests worse
    ('ets',)
    """
    ranked = [str(m) for m in table.sort_values("mase", kind="stable")["model"]]
    best_mase = float(table["mase"].min())
    tied = [
        m
        for m in ranked
        if float(table.loc[table["model"] == m, "mase"].iloc[0])
        <= best_mase * (1 + simpler_within)
    ]
    first = min(tied, key=_simplicity)
    ranked = [first, *(m for m in ranked if m != first)]
    # The combination must earn its place: it is used only when its own
    # backtest MASE is lower than the best single model's (so a model that is
    # exact on the backtest is never averaged with a worse one).
    members: tuple[str, ...] = (first,)
    mase, error, sd, coverage = _combined_scores(members, errors)
    if combine_top > 1:
        top = tuple(ranked[:combine_top])
        scores = _combined_scores(top, errors)
        if len(top) > 1 and scores[0] < mase:
            members, (mase, error, sd, coverage) = top, scores

    if len(members) == 1:
        name = members[0]
    else:
        name = f"mean({', '.join(members)})"
        rows = table[table["model"].isin(members)]
        combined = {
            "model": name,
            "folds": int(rows["folds"].iloc[0]),
            "mase": mase,
            "coverage_80": coverage[0.80],
            "coverage_95": coverage[0.95],
            "fit_seconds_median": float(rows["fit_seconds_median"].sum()),
            "warnings": int(rows["warnings"].sum()),
        }
        table = pd.concat([table, pd.DataFrame([combined])], ignore_index=True)
    notes = [f"model {name} chosen by backtest MASE {mase:.3f}"]

    scale: dict[float, float] = {}
    for level in LEVELS:
        short = coverage[level] < level - coverage_tolerance
        wide = narrow and coverage[level] > level + coverage_tolerance
        scale[level] = 1.0
        if short or wide:
            scale[level] = conformal_scale(error, sd, level, narrow=narrow)
            if scale[level] < 1.0:
                scale[level] **= narrow_fraction
            verb = "widened" if scale[level] >= 1.0 else "narrowed"
            notes.append(
                f"{round(level * 100)} % interval {verb} ×{scale[level]:.2f}"
                f" (conformal, from backtest residuals): backtest coverage was"
                f" {coverage[level]:.0%}"
            )
    return ModelChoice(name, members, table, scale, notes)


def fit_choice(
    choice: ModelChoice,
    y: np.ndarray,
    horizon_steps: int,
    seasonal_periods: Sequence[int],
) -> ForecastModelFit:
    """Fit the chosen model (every member of a combination) and forecast.

    The result's sd is the fitted sd (mean of the members' sds), before the
    calibration factors in ``choice.interval_scale``.
    """
    fits = [fit_model(m, y, horizon_steps, seasonal_periods) for m in choice.members]
    return ForecastModelFit(
        choice.name,
        np.mean([f.mean for f in fits], axis=0),
        np.mean([f.sd for f in fits], axis=0),
        sum(f.fit_seconds for f in fits),
        [w for f in fits for w in f.warnings],
    )


@dataclass(frozen=True)
class Forecast:
    """A forecast with calibrated intervals and the evidence behind the model choice.

    Attributes
    ----------
    model
        The chosen model.
    history
        The regularised series the model was fitted on.
    mean, lower_80, upper_80, lower_95, upper_95
        Forecast and interval bands, indexed by future timestamps.
    sd
        Per-step predictive sd after calibration.
    backtest
        The backtest table (see :func:`backtest`).
    interval_scale
        Factor applied to the interval half-width per level (1.0 = as fitted,
        above 1 widened, below 1 narrowed).
    notes
        Resampling rules, widening, and warnings caught while fitting.
    """

    model: str
    history: pd.Series
    mean: pd.Series
    lower_80: pd.Series
    upper_80: pd.Series
    lower_95: pd.Series
    upper_95: pd.Series
    sd: pd.Series
    backtest: pd.DataFrame
    interval_scale: dict[float, float]
    notes: list[str]

    @property
    def intervals_widened(self) -> bool:
        """Whether backtest coverage missed nominal and intervals were widened."""
        return any(v > 1.0 for v in self.interval_scale.values())

    @property
    def intervals_narrowed(self) -> bool:
        """Whether backtest coverage was above nominal and intervals were narrowed."""
        return any(v < 1.0 for v in self.interval_scale.values())

    def frame(self) -> pd.DataFrame:
        """Forecast table: ``mean``, ``lower_80`` ... ``upper_95`` by timestamp."""
        return pd.DataFrame(
            {
                "mean": self.mean,
                "lower_80": self.lower_80,
                "upper_80": self.upper_80,
                "lower_95": self.lower_95,
                "upper_95": self.upper_95,
            }
        )


def forecast_capacity(
    series: pd.Series,
    *,
    horizon_steps: int,
    freq: str | None = None,
    seasonal_periods: Sequence[int] = (24, 168),
    models: Sequence[str] = DEFAULT_MODELS,
    folds: int = 6,
    how: str = "mean",
    max_gap_steps: int = 6,
    coverage_tolerance: float = 0.05,
    fold_step_steps: int | None = None,
    combine_top: int = 2,
    simpler_within: float = 0.0,
    narrow: bool = True,
    narrow_fraction: float = 0.5,
) -> Forecast:
    """Choose a model by backtest, forecast, and calibrate the intervals.

    Parameters
    ----------
    series
        Values indexed by timestamps.
    horizon_steps
        Steps to forecast, at ``freq``.
    freq
        Grid frequency; inferred from the median spacing when ``None``.
    seasonal_periods
        Seasonal periods in steps (hourly data: ``(24, 168)``).
    models
        Candidate models (see module docstring).
    folds
        Rolling origins in the backtest (folds that leave less than two main
        cycles of training are skipped).
    how, max_gap_steps
        Resampling rule (see :func:`regularise`).
    coverage_tolerance, combine_top, simpler_within, narrow, narrow_fraction
        Model choice and calibration (see :func:`choose_model`); by default
        a narrowing is applied half-way in log scale (the geometric mean of
        the fitted and the conformal half-width).
    fold_step_steps
        Spacing of the backtest origins (default: a third of the horizon, so
        six folds span less than three horizons of history).

    Returns
    -------
    Forecast
    """
    if horizon_steps < 1:
        raise ConfigError(f"horizon_steps must be at least 1, got {horizon_steps}.")
    freq = freq or _infer_freq(series)
    regular = regularise(series, freq, how=how, max_gap_steps=max_gap_steps)
    y = regular.values.to_numpy()
    periods = list(seasonal_periods) or [1]
    _check_length(len(y), periods, horizon_steps, freq)

    table, errors = backtest(
        y,
        horizon_steps=horizon_steps,
        seasonal_periods=periods,
        models=models,
        folds=folds,
        fold_step_steps=fold_step_steps or max(1, horizon_steps // 3),
    )
    choice = choose_model(
        table,
        errors,
        combine_top=combine_top,
        simpler_within=simpler_within,
        coverage_tolerance=coverage_tolerance,
        narrow=narrow,
        narrow_fraction=narrow_fraction,
    )
    fit = fit_choice(choice, y, horizon_steps, periods)
    notes = [*regular.notes, *choice.notes, *fit.warnings]
    return _assemble(
        choice.name, regular.values, fit, choice.backtest, choice.interval_scale, notes
    )


def _assemble(
    name: str,
    history: pd.Series,
    fit: ForecastModelFit,
    table: pd.DataFrame,
    scale: dict[float, float],
    notes: list[str],
) -> Forecast:
    index = pd.date_range(
        history.index[-1],
        periods=len(fit.mean) + 1,
        freq=pd.DatetimeIndex(history.index).freq,
    )[1:]
    mean = pd.Series(fit.mean, index=index, name="mean")
    bands: dict[str, pd.Series] = {}
    for level in LEVELS:
        half = _NORMAL.inv_cdf(0.5 + level / 2) * fit.sd * scale[level]
        tag = round(level * 100)
        bands[f"lower_{tag}"] = pd.Series(fit.mean - half, index=index)
        bands[f"upper_{tag}"] = pd.Series(fit.mean + half, index=index)
    sd = pd.Series(fit.sd * scale[0.95], index=index, name="sd")
    return Forecast(
        model=name,
        history=history,
        mean=mean,
        sd=sd,
        backtest=table,
        interval_scale=scale,
        notes=notes,
        **bands,
    )


def _infer_freq(series: pd.Series) -> str:
    index = pd.DatetimeIndex(series.index).sort_values()
    if len(index) < 3:
        raise ConfigError("cannot infer a frequency from fewer than 3 timestamps.")
    step = pd.Series(index).diff().dropna().median()
    if step <= pd.Timedelta(0):
        raise ConfigError("cannot infer a frequency: timestamps do not advance.")
    return pd.tseries.frequencies.to_offset(step).freqstr


def crossing_time(values: pd.Series, limit: float) -> pd.Timestamp | None:
    """First time a series reaches ``limit``, linearly interpolated between steps.

    ``None`` means the series stays below the limit over its whole span.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="h")
    >>> crossing_time(pd.Series([1.0, 2.0, 3.0, 4.0], index=idx), 2.5)
    Timestamp('2024-01-01 01:30:00')
    """
    above = values.to_numpy() >= limit
    if not above.any():
        return None
    i = int(np.argmax(above))
    if i == 0:
        return pd.Timestamp(values.index[0])
    v0, v1 = float(values.iloc[i - 1]), float(values.iloc[i])
    t0, t1 = pd.Timestamp(values.index[i - 1]), pd.Timestamp(values.index[i])
    return t0 + (t1 - t0) * ((limit - v0) / (v1 - v0))


@dataclass(frozen=True)
class CapacityCrossing:
    """When a forecast reaches a capacity limit, and the headroom left.

    Attributes
    ----------
    limit
        The capacity limit, in the series' unit.
    median_at
        When the forecast mean reaches the limit (``None``: not within horizon).
    earliest_at
        When the upper 95 % band reaches it (the pessimistic date).
    latest_at
        When the lower 95 % band reaches it (``None``: maybe never within horizon).
    headroom_now
        ``limit − peak of the last main seasonal cycle`` of the history.
    headroom_at_horizon
        ``limit − peak of the forecast mean``.
    headroom_now_ratio, headroom_at_horizon_ratio
        The headrooms divided by the limit.
    exceed_probability
        Probability that the value at the last forecast step is above the limit
        (Gaussian predictive distribution, calibrated sd).
    """

    limit: float
    median_at: pd.Timestamp | None
    earliest_at: pd.Timestamp | None
    latest_at: pd.Timestamp | None
    headroom_now: float
    headroom_at_horizon: float
    headroom_now_ratio: float
    headroom_at_horizon_ratio: float
    exceed_probability: float


def capacity_crossing(
    forecast: Forecast, limit: float, *, recent_steps: int = 24
) -> CapacityCrossing:
    """Crossing dates and headroom of a forecast against a capacity limit.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=24 * 10, freq="h")
    >>> y = pd.Series(np.arange(240.0), index=idx)
    >>> fc = forecast_capacity(y, horizon_steps=48, seasonal_periods=(24,),
    ...                        models=("mstl_ets",))
    >>> c = capacity_crossing(fc, limit=260.0)
    >>> c.headroom_now
    21.0
    """
    peak_now = float(forecast.history.iloc[-recent_steps:].max())
    peak_future = float(forecast.mean.max())
    last_sd = float(forecast.sd.iloc[-1])
    z = (limit - float(forecast.mean.iloc[-1])) / last_sd if last_sd > 0 else math.inf
    return CapacityCrossing(
        limit=limit,
        median_at=crossing_time(forecast.mean, limit),
        earliest_at=crossing_time(forecast.upper_95, limit),
        latest_at=crossing_time(forecast.lower_95, limit),
        headroom_now=limit - peak_now,
        headroom_at_horizon=limit - peak_future,
        headroom_now_ratio=(limit - peak_now) / limit,
        headroom_at_horizon_ratio=(limit - peak_future) / limit,
        exceed_probability=_NORMAL.cdf(-z),
    )
