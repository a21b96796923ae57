"""Alert noise for the post-launch review: volume, flapping, short-lived, co-firing.

Input is an alert history in Alertmanager's shape, one row per firing:
``name`` (``alertname``), ``labels`` (dict), ``starts_at``, ``ends_at``
(tz-aware; a missing end means still firing and is treated as "now").

* **alerts per on-call day**: firings counted by the on-call day their start
  falls in; the day starts at ``handover_hour`` in ``timezone``.
* **short-lived**: a firing that resolved within ``short_lived_seconds``.
* **flapping**: an alert identity (name + labels) that fired again within
  ``flap_gap_seconds`` of its previous resolution, at least ``flap_min_cycles``
  times.
* **co-firing groups**: pairs of alert names whose firings start within
  ``cofire_seconds`` of each other; the Jaccard ratio
  ``together / (firings_a + firings_b − together)`` says how often.

Examples
--------
>>> t = pd.Timestamp("2024-05-01 10:00", tz="UTC")
>>> alerts = pd.DataFrame({
...     "name": ["HighCPU", "HighCPU", "HighLatency"],
...     "labels": [{"instance": "a"}, {"instance": "a"}, {}],
...     "starts_at": [t, t + pd.Timedelta("3min"), t + pd.Timedelta("30s")],
...     "ends_at": [t + pd.Timedelta("1min"), t + pd.Timedelta("20min"),
...                 t + pd.Timedelta("25min")]})
>>> alert_noise(alerts).short_lived["name"].tolist()
['HighCPU']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from analytics.errors import ConfigError

__all__ = ["AlertNoise", "alert_noise"]


@dataclass(frozen=True)
class AlertNoise:
    """Alert-noise tables.

    Attributes
    ----------
    per_oncall_day
        ``oncall_day``, ``alerts`` (firings), ``distinct_alerts``.
    short_lived
        Firings shorter than the threshold: ``name``, ``identity``,
        ``starts_at``, ``duration_seconds``.
    flapping
        ``identity``, ``name``, ``refires`` (re-fired within the gap),
        ``firings``.
    cofiring
        ``name_a``, ``name_b``, ``together``, ``jaccard``, sorted by jaccard.
    """

    per_oncall_day: pd.DataFrame
    short_lived: pd.DataFrame
    flapping: pd.DataFrame
    cofiring: pd.DataFrame


def _identity(name: str, labels: object) -> str:
    pairs = labels if isinstance(labels, dict) else {}
    return name + json.dumps(pairs, sort_keys=True)


def alert_noise(
    alerts: pd.DataFrame,
    *,
    timezone: str = "UTC",
    handover_hour: int = 9,
    short_lived_seconds: float = 300.0,
    flap_gap_seconds: float = 900.0,
    flap_min_cycles: int = 1,
    cofire_seconds: float = 120.0,
    now: pd.Timestamp | None = None,
) -> AlertNoise:
    """Alerts per on-call day, short-lived and flapping alerts, co-firing pairs."""
    missing = {"name", "starts_at", "ends_at"} - set(alerts.columns)
    if missing:
        raise ConfigError(
            f"alert history lacks column(s) {sorted(missing)};"
            f" found {list(alerts.columns)}."
        )
    frame = alerts.copy()
    if "labels" not in frame:
        frame["labels"] = pd.Series([{}] * len(frame), index=frame.index, dtype=object)
    frame["ends_at"] = frame["ends_at"].fillna(now or pd.Timestamp.now(tz="UTC"))
    frame["identity"] = [
        _identity(n, la) for n, la in zip(frame["name"], frame["labels"], strict=True)
    ]
    frame["duration_seconds"] = (
        frame["ends_at"] - frame["starts_at"]
    ).dt.total_seconds()
    frame = frame.sort_values("starts_at", kind="stable").reset_index(drop=True)

    local = frame["starts_at"].dt.tz_convert(timezone) - pd.Timedelta(
        hours=handover_hour
    )
    frame["oncall_day"] = local.dt.date
    per_day = (
        frame.groupby("oncall_day")
        .agg(alerts=("name", "size"), distinct_alerts=("name", "nunique"))
        .reset_index()
    )

    short = frame.loc[
        frame["duration_seconds"] < short_lived_seconds,
        ["name", "identity", "starts_at", "duration_seconds"],
    ].reset_index(drop=True)

    return AlertNoise(
        per_oncall_day=per_day,
        short_lived=short,
        flapping=_flapping(frame, flap_gap_seconds, flap_min_cycles),
        cofiring=_cofiring(frame, cofire_seconds),
    )


def _flapping(frame: pd.DataFrame, gap_seconds: float, min_cycles: int) -> pd.DataFrame:
    previous_end = frame.groupby("identity")["ends_at"].shift(1)
    gap = (frame["starts_at"] - previous_end).dt.total_seconds()
    # Overlapping firings (negative gap) are duplicates, not flaps.
    frame = frame.assign(refire=gap.between(0, gap_seconds))
    table = (
        frame.groupby(["identity", "name"])
        .agg(refires=("refire", "sum"), firings=("refire", "size"))
        .reset_index()
    )
    table = table[table["refires"] >= min_cycles]
    return table.sort_values("refires", ascending=False, kind="stable").reset_index(
        drop=True
    )


def _cofiring(frame: pd.DataFrame, window_seconds: float) -> pd.DataFrame:
    starts = frame["starts_at"].to_numpy()
    names = frame["name"].to_numpy()
    window = pd.Timedelta(seconds=window_seconds).to_timedelta64()
    together: dict[tuple[str, str], int] = {}
    j = 0
    for i in range(len(frame)):
        while starts[i] - starts[j] > window:
            j += 1
        for a, b in combinations(sorted({names[i], *names[j:i]}), 2):
            if names[i] in (a, b):
                together[(a, b)] = together.get((a, b), 0) + 1

    counts = frame["name"].value_counts()
    rows = [
        {
            "name_a": a,
            "name_b": b,
            "together": n,
            "jaccard": n / (counts[a] + counts[b] - n),
        }
        for (a, b), n in together.items()
    ]
    table = pd.DataFrame(rows, columns=["name_a", "name_b", "together", "jaccard"])
    return table.sort_values("jaccard", ascending=False, kind="stable").reset_index(
        drop=True
    )
