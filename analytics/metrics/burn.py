"""Multiwindow, multi-burn-rate alerting: the policy, its limits, and its history.

An alert of a window pair fires when the error ratio over *both* its long and
its short window exceeds ``factor × (1 − target)``. The factor is the burn
rate that would spend ``budget_share`` of the error budget within the long
window::

    factor = budget_share × period / long_window

For a 30-day SLO the usual table (SRE workbook) is:

=============  ============  ======  ==============  ========
long window    short window  factor  budget consumed severity
=============  ============  ======  ==============  ========
1 h            5 min         14.4    2 %             page
6 h            30 min        6       5 %             page
1 d            2 h           3       10 %            ticket
3 d            6 h           1       10 %            ticket
=============  ============  ======  ==============  ========

:func:`scaled_policy` keeps the budget shares for another period (28 days:
13.44, 5.6, 2.8, 0.9333). The largest burn rate a service can show is
``1 / (1 − target)`` (every request failing): a pair whose factor is above it
can never fire, and :func:`unreachable_alerts` says so.

:func:`evaluate_alerts_over_history` replays a policy over good and total
request counters and lists when each alert would have fired and cleared;
:func:`time_to_detect` reads the detection delay of an incident from that list.
Windows with no traffic have no error ratio and never fire (0/0 is unknown,
not good and not bad).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from analytics.errors import ConfigError
from analytics.frames import to_pandas

__all__ = [
    "ALERT_COLUMNS",
    "DEFAULT_PERIOD_DAYS",
    "BurnWindow",
    "default_policy",
    "error_ratio_thresholds",
    "evaluate_alerts_over_history",
    "max_burn_rate",
    "scaled_policy",
    "time_to_detect",
    "unreachable_alerts",
]

DEFAULT_PERIOD_DAYS = 30.0
"""SLO period the default table is written for."""

ALERT_COLUMNS = (
    "window",
    "severity",
    "factor",
    "threshold",
    "start",
    "end",
    "duration_seconds",
)
"""Columns of the firings frame; ``end`` is NaT while still firing at the data's end."""

_HOUR = 3600.0


@dataclass(frozen=True)
class BurnWindow:
    """One window pair of a multiwindow multi-burn-rate policy.

    Examples
    --------
    >>> BurnWindow(3600, 300, 14.4, 0.02, "page").name
    '1h/5m'
    """

    long_seconds: float
    short_seconds: float
    factor: float
    budget_share: float
    severity: str

    @property
    def name(self) -> str:
        """``"1h/5m"``-style label of the pair."""
        return f"{_duration(self.long_seconds)}/{_duration(self.short_seconds)}"


_SHARES = (
    (1 * _HOUR, 300.0, 0.02, "page"),
    (6 * _HOUR, 1800.0, 0.05, "page"),
    (24 * _HOUR, 2 * _HOUR, 0.10, "ticket"),
    (72 * _HOUR, 6 * _HOUR, 0.10, "ticket"),
)


def scaled_policy(period_days: float) -> tuple[BurnWindow, ...]:
    """The default window pairs with factors scaled to an SLO period.

    The budget shares (2 %, 5 %, 10 %, 10 %) stay; ``factor = share × period /
    long window``.

    Examples
    --------
    >>> [round(w.factor, 4) for w in scaled_policy(28)]
    [13.44, 5.6, 2.8, 0.9333]
    """
    if not period_days > 0:
        raise ConfigError(f"period_days must be > 0, got {period_days!r}")
    period_seconds = period_days * 86_400.0
    return tuple(
        BurnWindow(long, short, share * period_seconds / long, share, severity)
        for long, short, share, severity in _SHARES
    )


def default_policy() -> tuple[BurnWindow, ...]:
    """The SRE-workbook table for a 30-day SLO.

    Examples
    --------
    >>> [(w.name, round(w.factor, 6)) for w in default_policy()]
    [('1h/5m', 14.4), ('6h/30m', 6.0), ('1d/2h', 3.0), ('3d/6h', 1.0)]
    """
    return scaled_policy(DEFAULT_PERIOD_DAYS)


def max_burn_rate(target: float) -> float:
    """The largest possible burn rate, ``1 / (1 − target)`` (all requests failing).

    Examples
    --------
    >>> round(max_burn_rate(0.9), 6)
    10.0
    """
    _check_target(target)
    return 1.0 / (1.0 - target)


def error_ratio_thresholds(
    target: float, policy: Sequence[BurnWindow] | None = None
) -> list[float]:
    """Error ratio each pair alerts above: ``factor × (1 − target)``.

    Examples
    --------
    >>> [round(t, 6) for t in error_ratio_thresholds(0.999)]
    [0.0144, 0.006, 0.003, 0.001]
    """
    _check_target(target)
    return [w.factor * (1.0 - target) for w in policy or default_policy()]


def unreachable_alerts(
    target: float, policy: Sequence[BurnWindow] | None = None
) -> list[str]:
    """One message per window pair that can never fire at this target.

    A pair needs an error ratio above ``factor × (1 − target)``; the error
    ratio cannot exceed 1, so a factor above ``1 / (1 − target)`` never fires.

    Examples
    --------
    >>> unreachable_alerts(0.9)[0][:60]
    'the 1h/5m alert (factor 14.4) can never fire at target 90 %:'
    >>> unreachable_alerts(0.999)
    []
    """
    ceiling = max_burn_rate(target)
    return [
        f"the {w.name} alert (factor {w.factor:g}) can never fire at target"
        f" {target:.4%}".replace(".0000%", " %")
        + f": the largest possible burn rate is 1 / (1 − target) = {ceiling:g};"
        " lower its factor or drop it"
        for w in policy or default_policy()
        if w.factor * (1.0 - target) >= 1.0
    ]


# --- replaying a policy over history --------------------------------------------------


def evaluate_alerts_over_history(
    good: Any,
    total: Any,
    *,
    target: float,
    policy: Sequence[BurnWindow] | None = None,
    step_seconds: float = 60.0,
    numerator_is_bad: bool = False,
) -> pd.DataFrame:
    """When each alert of ``policy`` would have fired and cleared.

    The counters (samples frames, one or more series each; resets handled) are
    summed and read on a grid of ``step_seconds`` from the first to the last
    sample. At each grid time the error ratio ``1 − Δgood / Δtotal`` over each
    long and short window is compared with ``factor × (1 − target)``. Grid
    points before the first full long window are not evaluated. A missing
    sample holds the counter's last value, so traffic during a scrape gap
    appears at the first sample after it.

    Parameters
    ----------
    good, total
        Counter samples frames (pandas or polars) of good and of all requests;
        with ``numerator_is_bad``, ``good`` holds the bad (error) requests and
        the error ratio is ``Δbad / Δtotal`` on the grid of the total counters.
    target
        Objective as a ratio, for example 0.999.
    policy
        Window pairs; default :func:`default_policy`.
    step_seconds
        Evaluation interval (like a rule group's interval).

    Returns
    -------
    pandas.DataFrame
        One row per firing, columns :data:`ALERT_COLUMNS`, sorted by start.

    Examples
    --------
    >>> times = pd.date_range("2024-05-01", periods=241, freq="1min", tz="UTC")
    >>> total = np.arange(241) * 100.0
    >>> bad = np.where(np.arange(241) > 200, (np.arange(241) - 200) * 100.0, 0)
    >>> def frame(values):
    ...     return pd.DataFrame({"timestamp": times, "series": "x", "value": values})
    >>> fired = evaluate_alerts_over_history(frame(total - bad), frame(total),
    ...                                      target=0.999, policy=default_policy()[:1])
    >>> fired[["window", "start"]].to_dict("records")
    [{'window': '1h/5m', 'start': Timestamp('2024-05-01 03:21:00+0000', tz='UTC')}]
    """
    _check_target(target)
    if not step_seconds > 0:
        raise ConfigError(f"step_seconds must be > 0, got {step_seconds!r}")
    windows = tuple(policy or default_policy())
    if numerator_is_bad:
        # An error counter may be born late or sample sparsely: the grid follows total.
        grid, total_sum = _counter_on_grid(total, step_seconds, "total", None)
        _, bad_sum = _counter_on_grid(good, step_seconds, "bad", grid)
        good_sum = total_sum - bad_sum
    else:
        grid, good_sum = _counter_on_grid(good, step_seconds, "good", None)
        _, total_sum = _counter_on_grid(total, step_seconds, "total", grid)

    rows: list[dict[str, Any]] = []
    for window in windows:
        threshold = window.factor * (1.0 - target)
        firing = _above(
            good_sum, total_sum, window.long_seconds, step_seconds, threshold
        )
        firing &= _above(
            good_sum, total_sum, window.short_seconds, step_seconds, threshold
        )
        rows.extend(_runs(firing, grid, window, threshold))
    frame = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    frame["duration_seconds"] = frame["duration_seconds"].astype(float)
    return frame.sort_values(["start", "window"], kind="stable").reset_index(drop=True)


def time_to_detect(
    firings: pd.DataFrame, incident_start: str | datetime | pd.Timestamp
) -> dict[str, float | None]:
    """Seconds from an incident's start to the first firing of each window pair.

    A firing counts when it is still active at or after ``incident_start``;
    one already active then detects it at once (0 s). None means the pair
    never fired for it.

    Examples
    --------
    >>> firings = pd.DataFrame({"window": ["1h/5m"],
    ...     "start": [pd.Timestamp("2024-05-01T10:02Z")],
    ...     "end": [pd.Timestamp("2024-05-01T11:00Z")]})
    >>> time_to_detect(firings, "2024-05-01T10:00Z")
    {'1h/5m': 120.0}
    """
    began = pd.Timestamp(incident_start)
    if began.tzinfo is None:
        raise ConfigError(f"incident_start {incident_start!r} needs a time zone")
    delays: dict[str, float | None] = {}
    for name, group in firings.groupby("window", sort=False):
        relevant = group[group["end"].isna() | (group["end"] > began)]
        if relevant.empty:
            delays[str(name)] = None
            continue
        first = relevant["start"].min()
        delays[str(name)] = max((first - began).total_seconds(), 0.0)
    return delays


def _counter_on_grid(
    samples: Any, step_seconds: float, role: str, grid: pd.DatetimeIndex | None
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Reset-free sum of the counters, read at each grid time (last value held)."""
    frame = to_pandas(samples)
    missing = [c for c in ("timestamp", "series", "value") if c not in frame.columns]
    if missing:
        raise ConfigError(f"{role} samples have no column {missing[0]!r}")
    frame = frame[frame["value"].notna()].sort_values(["series", "timestamp"])
    if frame.empty:
        raise ConfigError(f"{role} samples are empty: nothing to evaluate")

    steps = frame.groupby("series", sort=False)["value"].diff()
    increments = np.where(
        steps.isna(), 0.0, np.where(steps >= 0, steps, frame["value"])
    )
    frame = frame.assign(cumulative=increments)
    frame["cumulative"] = frame.groupby("series", sort=False)["cumulative"].cumsum()

    if grid is None:
        step = pd.Timedelta(seconds=step_seconds)
        grid = pd.date_range(
            frame["timestamp"].min(), frame["timestamp"].max(), freq=step
        )
    total = np.zeros(len(grid))
    for _, series in frame.groupby("series", sort=False):
        held = series.set_index("timestamp")["cumulative"]
        total += held.reindex(grid, method="ffill").fillna(0.0).to_numpy()
    return grid, total


def _above(
    good: np.ndarray,
    total: np.ndarray,
    window_seconds: float,
    step_seconds: float,
    threshold: float,
) -> np.ndarray:
    """At each grid point: error ratio over the trailing window > threshold."""
    lag = round(window_seconds / step_seconds)
    result = np.zeros(len(total), dtype=bool)
    if lag < 1 or lag >= len(total):
        return result
    requests = total[lag:] - total[:-lag]
    served = good[lag:] - good[:-lag]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(requests > 0, 1.0 - served / requests, np.nan)
    result[lag:] = np.nan_to_num(ratio, nan=-1.0) > threshold
    return result


def _runs(
    firing: np.ndarray, grid: pd.DatetimeIndex, window: BurnWindow, threshold: float
) -> list[dict[str, Any]]:
    edges = np.diff(np.concatenate(([0], firing.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    rows = []
    for first, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        cleared = stop < len(grid)
        end = grid[stop] if cleared else pd.NaT
        rows.append(
            {
                "window": window.name,
                "severity": window.severity,
                "factor": window.factor,
                "threshold": threshold,
                "start": grid[first],
                "end": end,
                "duration_seconds": (
                    (grid[stop] - grid[first]).total_seconds() if cleared else None
                ),
            }
        )
    return rows


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _check_target(target: float) -> None:
    if isinstance(target, bool) or not 0.0 < float(target) < 1.0:
        raise ConfigError(
            "target must be a ratio strictly between 0 and 1 (e.g. 0.999),"
            f" got {target!r}"
        )
