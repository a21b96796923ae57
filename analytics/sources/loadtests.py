"""Read load-test results and derive the capacity they prove.

Every reader returns a *load steps* frame, one row per load level, with the
columns of :data:`LOAD_STEPS_COLUMNS`:

==================  ============================================================
column              meaning
==================  ============================================================
``step``            step label: window start (raw results) or user count
``started_at``      when the step began, tz-aware UTC; NaT when the format does
                    not record it (Locust ``*_stats.csv``, k6 summary): the
                    config's ``loadtests[].started_at`` then supplies it
``duration_s``      seconds the step lasted (NaN when the format does not say)
``requests``        requests completed in the step
``throughput_rps``  requests per second
``p95_ms``          95th percentile latency, milliseconds
``error_ratio``     failed / all requests
==================  ============================================================

Formats and the rule that makes steps out of them:

* JMeter JTL CSV (:func:`read_jmeter_jtl`): one row per request; requests are
  put in windows of ``step_seconds`` from the first request's start
  (``timeStamp``, epoch milliseconds, JMeter's default); p95 is the
  linear-interpolation percentile of ``elapsed``; failures are ``success`` false.
* Locust ``*_stats_history.csv`` (:func:`read_locust_history`): the
  ``Aggregated`` rows, grouped by ``User Count``; a step's throughput and p95 are
  the medians of its rows (Locust's percentiles cover a recent window, not the
  step), its error ratio is failures/s over requests/s summed; a step starts
  at its first ``Timestamp`` (epoch seconds).
* Locust ``*_stats.csv`` (:func:`read_locust_stats`) and k6
  ``--summary-export`` JSON (:func:`read_k6_summary`): one whole-run step, with
  no run time (neither format records one).
* k6 ``--out json`` NDJSON (:func:`read_k6_ndjson`): ``http_req_duration`` and
  ``http_req_failed`` points in ``step_seconds`` windows, like JTL.

Then :func:`load_capacity` gives the highest sustained throughput within
target, the knee of the latency curve, and the headroom against a forecast peak.

Examples
--------
>>> steps = pd.DataFrame({"step": [1, 2, 3], "started_at": pd.NaT, "duration_s": 60.0,
...     "requests": [6000, 12000, 18000], "throughput_rps": [100.0, 200.0, 300.0],
...     "p95_ms": [50.0, 80.0, 400.0], "error_ratio": [0.0, 0.0, 0.02]})
>>> cap = load_capacity(steps, p95_target_ms=200, forecast_peak_rps=150)
>>> cap.sustained_rps, round(cap.headroom_ratio, 3)
(200.0, 0.333)
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.sources._compressed import decompression_errors, open_by_content

__all__ = [
    "LOAD_STEPS_COLUMNS",
    "LoadCapacity",
    "latency_knee",
    "load_capacity",
    "read_jmeter_jtl",
    "read_k6_ndjson",
    "read_k6_summary",
    "read_locust_history",
    "read_locust_stats",
]

logger = logging.getLogger(__name__)

_UTC = pd.DatetimeTZDtype(tz="UTC")

LOAD_STEPS_COLUMNS = (
    "step",
    "started_at",
    "duration_s",
    "requests",
    "throughput_rps",
    "p95_ms",
    "error_ratio",
)


def _require(frame: pd.DataFrame, path: str | Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {missing}; found {list(frame.columns)}",
            fix="export the results with the default column set",
        )


def _windows(
    started: pd.Series, elapsed_ms: pd.Series, failed: pd.Series, step_seconds: float
) -> pd.DataFrame:
    # ``started``: tz-aware start time of each request.
    first = started.min()
    offset_s = (started - first).dt.total_seconds()
    window = np.floor(offset_s / step_seconds).astype(int)
    grouped = pd.DataFrame({"w": window, "ms": elapsed_ms, "bad": failed}).groupby("w")
    offsets = grouped.size().index * step_seconds
    out = pd.DataFrame(
        {
            "step": offsets,
            "started_at": first + pd.to_timedelta(offsets, unit="s"),
            "duration_s": float(step_seconds),
            "requests": grouped.size().to_numpy(),
            "p95_ms": grouped["ms"].quantile(0.95).to_numpy(),
            "error_ratio": grouped["bad"].mean().to_numpy(),
        }
    )
    out["throughput_rps"] = out["requests"] / step_seconds
    return out[list(LOAD_STEPS_COLUMNS)].reset_index(drop=True)


def read_jmeter_jtl(path: str | Path, *, step_seconds: float = 60.0) -> pd.DataFrame:
    """Read a JMeter CSV results file (JTL) into load steps.

    Examples
    --------
    >>> import tempfile, os
    >>> text = "timeStamp,elapsed,success\\n0,100,true\\n500,300,false\\n"
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jtl", delete=False) as f:
    ...     _ = f.write(text)
    >>> steps = read_jmeter_jtl(f.name, step_seconds=1)
    >>> steps[["requests", "error_ratio"]].values.tolist()
    [[2.0, 0.5]]
    >>> os.remove(f.name)
    """
    frame = _read_csv(path)
    _require(frame, path, ["timeStamp", "elapsed", "success"])
    failed = ~frame["success"].astype(str).str.lower().eq("true")
    steps = _windows(
        _epoch(frame, path, "timeStamp", "ms"), frame["elapsed"], failed, step_seconds
    )
    logger.info("read %s: %d requests, %d steps", path, len(frame), len(steps))
    return steps


def read_locust_history(path: str | Path) -> pd.DataFrame:
    """Read Locust's ``*_stats_history.csv`` into one step per user count."""
    frame = _read_csv(path)
    _require(frame, path, ["User Count", "Name", "Requests/s", "Failures/s", "95%"])
    rows = frame[frame["Name"] == "Aggregated"]
    rows = rows[pd.to_numeric(rows["Requests/s"], errors="coerce") > 0]
    grouped = rows.groupby("User Count", sort=True)
    steps = pd.DataFrame(
        {
            "step": grouped.size().index,
            "duration_s": np.nan,
            "requests": np.nan,
            "throughput_rps": grouped["Requests/s"].median().to_numpy(),
            "p95_ms": grouped["95%"].median().to_numpy(),
            "error_ratio": (
                grouped["Failures/s"].sum() / grouped["Requests/s"].sum()
            ).to_numpy(),
        }
    )
    steps.insert(1, "started_at", pd.Series(pd.NaT, index=steps.index, dtype=_UTC))
    if "Timestamp" in rows:
        started = _epoch(rows, path, "Timestamp", "s")
        steps["started_at"] = started.groupby(rows["User Count"]).min().to_numpy()
        span = grouped["Timestamp"].agg(lambda s: s.max() - s.min())
        steps["duration_s"] = span.to_numpy(dtype=float)
    logger.info("read %s: %d rows, %d steps", path, len(frame), len(steps))
    return steps


def read_locust_stats(path: str | Path) -> pd.DataFrame:
    """Read Locust's end-of-run ``*_stats.csv`` (the ``Aggregated`` row) as one step."""
    frame = _read_csv(path)
    _require(
        frame, path, ["Name", "Request Count", "Failure Count", "Requests/s", "95%"]
    )
    total = frame[frame["Name"] == "Aggregated"]
    if total.empty:
        raise InputError(path, "no 'Aggregated' row", fix="use Locust's own stats CSV")
    row = total.iloc[0]
    requests = float(row["Request Count"])
    return _one_step(
        requests=requests,
        rps=float(row["Requests/s"]),
        p95=float(row["95%"]),
        errors=float(row["Failure Count"]) / requests if requests else math.nan,
    )


def read_k6_summary(path: str | Path) -> pd.DataFrame:
    """Read k6's ``--summary-export`` JSON as one step."""
    try:
        with decompression_errors(path), open_by_content(path) as stream:
            metrics = json.loads(stream.read().decode("utf-8"))["metrics"]
        reqs, duration = metrics["http_reqs"], metrics["http_req_duration"]
        failed = metrics.get("http_req_failed", {})
        p95 = float(duration["p(95)"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            path,
            f"not a k6 summary with http_reqs and http_req_duration p(95) ({exc!r})",
            fix="export with k6 run --summary-export (p(95) is a default trend stat)",
        ) from exc
    return _one_step(
        requests=float(reqs["count"]),
        rps=float(reqs["rate"]),
        p95=p95,
        errors=float(failed.get("value", failed.get("rate", math.nan))),
    )


def read_k6_ndjson(path: str | Path, *, step_seconds: float = 60.0) -> pd.DataFrame:
    """Read k6's ``--out json`` NDJSON points into load steps."""
    durations: list[tuple[str, float]] = []
    failures: list[tuple[str, float]] = []
    # Read as bytes (plain, or gzip as k6 writes for --out json=x.gz); json
    # decodes each line and refuses bytes that are not UTF-8.
    with decompression_errors(path), open_by_content(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise InputError(
                    path,
                    "not JSON",
                    row=line_number,
                    value=line[:80].decode("utf-8", errors="replace"),
                ) from exc
            if record.get("type") != "Point":
                continue
            point = (record["data"]["time"], float(record["data"]["value"]))
            if record["metric"] == "http_req_duration":
                durations.append(point)
            elif record["metric"] == "http_req_failed":
                failures.append(point)
    if not durations:
        raise InputError(
            path, "no http_req_duration points", fix="run k6 with --out json"
        )

    d = pd.DataFrame(durations, columns=["time", "ms"])
    # k6 writes one http_req_failed point per request, at the same time.
    failed = pd.Series(0.0, index=d.index)
    if len(failures) == len(durations):
        failed = pd.Series([v for _, v in failures], index=d.index)
    start = pd.to_datetime(d["time"], utc=True, format="ISO8601")
    steps = _windows(start, d["ms"], failed > 0, step_seconds)
    logger.info("read %s: %d requests, %d steps", path, len(d), len(steps))
    return steps


def _one_step(
    *, requests: float, rps: float, p95: float, errors: float
) -> pd.DataFrame:
    # Neither Locust's stats CSV nor k6's summary records when the run took place.
    return pd.DataFrame(
        {
            "step": ["run"],
            "started_at": pd.Series([pd.NaT], dtype=_UTC),
            "duration_s": [requests / rps if rps else math.nan],
            "requests": [requests],
            "throughput_rps": [rps],
            "p95_ms": [p95],
            "error_ratio": [errors],
        }
    )


def _epoch(
    frame: pd.DataFrame, path: str | Path, column: str, unit: Literal["s", "ms"]
) -> pd.Series:
    """``frame[column]`` (Unix epoch in ``unit``) as tz-aware UTC; an error names the row."""
    numbers = pd.to_numeric(frame[column], errors="coerce")
    bad = numbers.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            path,
            f"{column} is not a Unix time in {'milliseconds' if unit == 'ms' else 'seconds'}",
            row=int(frame.index[position]) + 2,  # header is line 1
            column=column,
            value=frame[column].iloc[position],
            fix="export with the tool's default epoch timestamps"
            + (
                " (jmeter.save.saveservice.timestamp_format=ms)" if unit == "ms" else ""
            ),
        )
    return pd.to_datetime(numbers, unit=unit, utc=True)


def _read_csv(path: str | Path) -> pd.DataFrame:
    try:
        with decompression_errors(path):
            return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(
            path, f"cannot read CSV ({exc})", fix="check the file"
        ) from exc


def latency_knee(steps: pd.DataFrame) -> float | None:
    """Throughput at the knee of the latency curve (``None``: fewer than 3 steps).

    The knee is the step farthest below the chord from the lowest- to the
    highest-throughput step, both axes scaled to [0, 1] (the Kneedle idea):
    where latency stops being flat and starts to climb.

    Examples
    --------
    >>> s = pd.DataFrame({"throughput_rps": [100, 200, 400, 600],
    ...                   "p95_ms": [60, 70, 170, 925]})
    >>> latency_knee(s)
    400.0
    """
    curve = steps.sort_values("throughput_rps")[["throughput_rps", "p95_ms"]].dropna()
    if len(curve) < 3:
        return None
    x = curve["throughput_rps"].to_numpy(dtype=float)
    y = curve["p95_ms"].to_numpy(dtype=float)
    xs = (x - x.min()) / (np.ptp(x) or 1.0)
    ys = (y - y.min()) / (np.ptp(y) or 1.0)
    gap = xs - ys
    return float(x[int(np.argmax(gap))]) if gap.max() > 0 else None


@dataclass(frozen=True)
class LoadCapacity:
    """What a load test proves about capacity.

    Attributes
    ----------
    sustained_rps
        Highest step throughput with p95 and error ratio within target
        (``None``: no step met the targets).
    knee_rps
        Throughput at the knee of the latency curve.
    forecast_peak_rps
        The peak traffic the capacity is compared with.
    headroom_ratio
        ``sustained / forecast peak − 1`` (``None`` without both).
    meets_target_rps
        Whether ``sustained_rps`` reaches ``target_rps``.
    """

    sustained_rps: float | None
    knee_rps: float | None
    forecast_peak_rps: float | None
    headroom_ratio: float | None
    meets_target_rps: bool | None


def load_capacity(
    steps: pd.DataFrame,
    *,
    p95_target_ms: float = 200.0,
    error_ratio_target: float = 0.01,
    target_rps: float | None = None,
    forecast_peak_rps: float | None = None,
    min_duration_s: float = 0.0,
) -> LoadCapacity:
    """Highest sustained throughput within target, the knee, and headroom.

    Steps shorter than ``min_duration_s`` do not count as sustained.
    """
    if p95_target_ms <= 0 or not 0 <= error_ratio_target <= 1:
        raise ConfigError("p95_target_ms must be > 0 and error_ratio_target in [0, 1].")
    long_enough = steps["duration_s"].fillna(math.inf) >= min_duration_s
    ok = (
        (steps["p95_ms"] <= p95_target_ms)
        & (steps["error_ratio"] <= error_ratio_target)
        & long_enough
    )
    sustained = float(steps.loc[ok, "throughput_rps"].max()) if ok.any() else None

    headroom = None
    if sustained is not None and forecast_peak_rps:
        headroom = sustained / forecast_peak_rps - 1.0
    meets = None if target_rps is None else bool(sustained and sustained >= target_rps)
    return LoadCapacity(
        sustained_rps=sustained,
        knee_rps=latency_knee(steps),
        forecast_peak_rps=forecast_peak_rps,
        headroom_ratio=headroom,
        meets_target_rps=meets,
    )
