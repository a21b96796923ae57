"""Customer satisfaction: CSAT (mean and share of 4–5) and NPS, with intervals.

Definitions and intervals:

* **CSAT mean** of the 1..5 scores, with a Student-t interval
  ``mean ± t(1 - α/2, n - 1) · s / √n`` clipped to 1..5 (a mean cannot
  leave the scale; small samples would otherwise show e.g. 3.3–5.5), NaN
  for fewer than two answers.
* **CSAT share satisfied**: answers of 4 or 5 / all answers, with a
  **Wilson score interval** (well behaved near 0 and 1 and for small n).
* **NPS** = % promoters (9–10) − % detractors (0–6), −100..100, with a
  normal-approximation (Wald) interval of a difference of two multinomial
  proportions: ``SE = 100 · √((p₊ + p₋ − (p₊ − p₋)²) / n)``, clipped to
  −100..100.

Every row carries its response count ``n``; a group with none is NO DATA
(``n`` 0, values NaN), never a made-up score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from analytics.errors import InputError
from analytics.frames import to_pandas

__all__ = ["csat_summary", "nps_summary", "satisfaction_trend", "wilson_interval"]

_FRAME: Final = "<survey frame>"
_CSAT_DEFINITION: Final = (
    "CSAT: mean of 1..5 scores (Student-t interval; none when fewer than 2 answers or"
    " all equal) and share of 4–5 (Wilson interval)"
)
_NPS_DEFINITION: Final = (
    "NPS = % of 9–10 minus % of 0–6 (Wald interval of the difference of proportions;"
    " none when fewer than 2 answers or all in one category)"
)


def wilson_interval(
    successes: int, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    if n == 0:
        return math.nan, math.nan
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def csat_summary(
    responses: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """CSAT as mean and as share of 4–5, with counts and intervals, per group.

    Parameters
    ----------
    responses
        The survey frame (``kind``, ``score``; only ``kind == "csat"`` rows are
        used) or a tickets frame (``csat_score``). pandas or polars.
    by
        Grouping column(s), e.g. ``"segment"`` or ``"priority"``.
    period
        Pandas frequency to group by the period of ``answered_at`` (or of
        ``created_at`` for a tickets frame): column ``period_start``.
    confidence
        Interval confidence level.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``n``, ``csat_mean``, ``csat_mean_low``,
        ``csat_mean_high``, ``satisfied`` (answers of 4–5),
        ``share_satisfied``, ``share_low``, ``share_high``, ``status``,
        ``definition``.

    Examples
    --------
    >>> answers = pd.DataFrame({"kind": ["csat"] * 4, "score": [5, 4, 3, 5]})
    >>> row = csat_summary(answers).iloc[0]
    >>> int(row["n"]), float(row["csat_mean"]), float(row["share_satisfied"])
    (4, 4.25, 0.75)
    >>> round(float(row["csat_mean_low"]), 3), round(float(row["csat_mean_high"]), 3)
    (2.727, 5.0)
    """
    data = _scores(responses, "csat", period)
    keys = _keys(data, by, period)

    def summarise(scores: pd.Series) -> dict[str, Any]:
        values = scores.dropna().to_numpy(dtype=float)
        n = len(values)
        satisfied = int((values >= 4).sum())
        low, high = _t_interval(values, confidence)
        share_low, share_high = wilson_interval(satisfied, n, confidence)
        return {
            "n": n,
            "csat_mean": float(values.mean()) if n else math.nan,
            "csat_mean_low": low,
            "csat_mean_high": high,
            "satisfied": satisfied,
            "share_satisfied": satisfied / n if n else math.nan,
            "share_low": share_low,
            "share_high": share_high,
        }

    return _per_group(data, keys, summarise, _CSAT_DEFINITION)


def nps_summary(
    responses: Any,
    *,
    by: str | Sequence[str] | None = None,
    period: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Net Promoter Score per group, with counts and an interval.

    Parameters
    ----------
    responses
        The survey frame (``kind == "nps"`` rows, ``score`` 0..10).
    by, period, confidence
        As in :func:`csat_summary`.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``n``, ``promoters``, ``passives``, ``detractors``,
        ``nps``, ``nps_low``, ``nps_high``, ``status``, ``definition``.

    Examples
    --------
    >>> answers = pd.DataFrame({"kind": ["nps"] * 5, "score": [10, 9, 8, 6, 0]})
    >>> row = nps_summary(answers).iloc[0]
    >>> int(row["n"]), float(row["nps"])
    (5, 0.0)
    """
    data = _scores(responses, "nps", period)
    keys = _keys(data, by, period)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)

    def summarise(scores: pd.Series) -> dict[str, Any]:
        values = scores.dropna().to_numpy(dtype=float)
        n = len(values)
        promoters = int((values >= 9).sum())
        detractors = int((values <= 6).sum())
        if not n:
            nps = low = high = math.nan
        else:
            plus, minus = promoters / n, detractors / n
            nps = 100 * (plus - minus)
            se = 100 * math.sqrt(max(plus + minus - (plus - minus) ** 2, 0.0) / n)
            low, high = max(nps - z * se, -100.0), min(nps + z * se, 100.0)
            if n < 2 or se == 0:
                # All answers in one category (or just one): the Wald interval
                # collapses to a point, which would read as certainty.
                low = high = math.nan
        return {
            "n": n,
            "promoters": promoters,
            "passives": n - promoters - detractors,
            "detractors": detractors,
            "nps": nps,
            "nps_low": low,
            "nps_high": high,
        }

    return _per_group(data, keys, summarise, _NPS_DEFINITION)


def satisfaction_trend(
    responses: Any,
    *,
    kind: Literal["csat", "nps"] = "csat",
    freq: str = "W",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """CSAT or NPS per period (``period_start``), oldest first.

    Examples
    --------
    >>> answers = pd.DataFrame({"kind": ["csat"] * 3, "score": [5, 3, 4],
    ...     "answered_at": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-10"],
    ...                                   utc=True)})
    >>> satisfaction_trend(answers)[["n", "csat_mean"]].to_numpy().tolist()
    [[2.0, 4.0], [1.0, 4.0]]
    """
    summary = csat_summary if kind == "csat" else nps_summary
    return summary(responses, period=freq, confidence=confidence)


# --- helpers -------------------------------------------------------------------------


def _scores(responses: Any, kind: str, period: str | None) -> pd.DataFrame:
    frame = to_pandas(responses)
    if "score" in frame.columns and "kind" in frame.columns:
        data = frame.loc[frame["kind"].astype("string").str.casefold() == kind].copy()
        time_column = "answered_at"
    elif kind == "csat" and "csat_score" in frame.columns:
        data = frame.rename(columns={"csat_score": "score"}).copy()
        time_column = "created_at"
    else:
        raise InputError(
            _FRAME,
            f"no {kind} scores: expected columns kind and score (survey frame)"
            f"{' or csat_score (tickets frame)' if kind == 'csat' else ''};"
            f" it has {', '.join(map(str, frame.columns))}",
            fix="pass the frame from read_survey_csv or a ticket reader",
        )
    data["score"] = pd.to_numeric(data["score"], errors="coerce").astype("float64")
    if period is not None:
        if time_column not in data.columns:
            raise InputError(
                _FRAME,
                f"no {time_column} column to group by period",
                fix="load answers with their answered_at times",
            )
        naive = data[time_column].dt.tz_convert("UTC").dt.tz_localize(None)
        data["period_start"] = naive.dt.to_period(period).dt.start_time.dt.tz_localize(
            "UTC"
        )
    return data


def _keys(
    data: pd.DataFrame, by: str | Sequence[str] | None, period: str | None
) -> list[str]:
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise InputError(
            _FRAME,
            f"cannot group by {missing}: no such column",
            fix="group by a column of the frame",
        )
    return [*keys, "period_start"] if period is not None else keys


def _per_group(
    data: pd.DataFrame, keys: list[str], summarise: Any, definition: str
) -> pd.DataFrame:
    if keys:
        groups = data.groupby(keys, sort=True, dropna=False)["score"]
        rows = [
            {
                **dict(
                    zip(keys, name if isinstance(name, tuple) else (name,), strict=True)
                ),
                **summarise(scores),
            }
            for name, scores in groups
        ]
        out = pd.DataFrame(rows) if rows else pd.DataFrame(columns=keys)
    else:
        out = pd.DataFrame([summarise(data["score"])])
    if out.empty:
        return out
    out["status"] = np.where(out["n"] > 0, "OK", "NO DATA")
    out["definition"] = definition
    return out


_CSAT_MIN: Final = 1.0
_CSAT_MAX: Final = 5.0


def _t_interval(values: np.ndarray[Any, Any], confidence: float) -> tuple[float, float]:
    n = len(values)
    spread = float(values.std(ddof=1)) if n >= 2 else 0.0
    if n < 2 or spread == 0:
        # Identical answers (four 5s) give a zero-width interval, which would
        # read as certainty: the t interval has nothing to estimate the spread from.
        return math.nan, math.nan
    t = float(stdtrit(n - 1, 0.5 + confidence / 2))  # Student t quantile
    half = t * spread / math.sqrt(n)
    mean = float(values.mean())
    return max(mean - half, _CSAT_MIN), min(mean + half, _CSAT_MAX)
