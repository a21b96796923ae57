"""A seeded launch scenario whose every KPI is known: an oracle for tests and a demo.

:func:`generate_launch_scenario` writes one coherent launch to a folder: the
metrics of the service (Prometheus-style counters, a latency histogram, gauges),
the incidents and support tickets it caused (ServiceNow and Jira CSV exports),
the survey answers of the customers, their usage events and licence counts, a
launch checklist and a readiness config, and ``truth.json``: the true value of
every KPI it planted, computed from the generator's own ground truth (exact
counts and times), never by calling the package's KPI functions.

Timeline (``go_live`` defaults to Monday 2026-03-02 09:00 UTC):

* metrics from ``go_live - 31 days`` (a pilot on production, so that a 30-day
  availability window before the decision is fully covered) to
  ``go_live + 28 days``, one sample every 5 minutes;
* tickets, surveys and usage from ``go_live - 14 days`` (pilot users) to
  ``go_live + 28 days``;
* the go/no-go decision time ``as_of`` is ``go_live - 1 hour``.

What is planted:

* daily (peak 14:00 UTC) and weekly (weekends at 45 %) traffic cycles, a
  pilot at 8 req/s, 120 req/s after go-live growing 1 % a day;
* a restart of instance ``api-2`` on day 9 after go-live: one scrape is
  missed (``up`` is 0), its counters start again from 0 (a counter reset);
* a slow latency degradation: median latency 75 ms during the pilot, then
  from 80 ms to 125 ms over the four weeks (log-normal, sigma 0.45);
* the only P1: 40 minutes of 30 % errors on day 3 after go-live, from
  14:00 UTC, detected after 7 minutes, resolved at 14:40, with a burst of
  customer tickets while it lasts, and CPU 40 points higher on both instances
  (clients retrying);
* one CSAT answer with the score 0 (a form default), the only row any reader
  should reject (``out_of_range``).

Files (paths relative to ``out_dir``): ``metrics/<name>.csv.gz`` (one per
metric, readable by :func:`~analytics.sources.metric_files.read_metric_csv`),
``metrics/scenario.om.gz`` (OpenMetrics, gzip-compressed to keep the repository
small: ``gunzip -k`` it, then ``promtool tsdb create-blocks-from openmetrics``),
``tickets/servicenow_incidents.csv`` (plain export, day-first dates like the
real log, ``d/m/Y H:M`` in UTC), ``tickets/jira_support.csv`` (Jira's default
``dd/Mon/yy h:mm AM`` format, UTC), ``surveys/csat.csv``, ``surveys/nps.csv``,
``usage/events.csv.gz``, ``usage/licences.csv``, ``checklist.csv``,
``alerts.json`` (Alertmanager API v2 shape: the incident's page, a short
CPU alert at the restart, a flapping latency alert in week 4),
``readiness.yaml`` and ``truth.json``.

Run ``python -m analytics.scenario --out DIR --seed N`` to regenerate. The same
seed and go-live give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.special import ndtr

__all__ = [
    "BUCKET_BOUNDS",
    "FEATURES",
    "ScenarioTruth",
    "generate_launch_scenario",
    "main",
]

logger = logging.getLogger(__name__)

STEP_SECONDS: Final = 300
BUCKET_BOUNDS: Final = ("0.05", "0.1", "0.2", "0.3", "0.5", "1", "2", "+Inf")
"""``le`` labels of the latency histogram, as written."""

FEATURES: Final = (
    "onboarding",
    "insight",
    "dashboard",
    "search",
    "reports",
    "export",
    "settings",
    "sharing",
    "alerts",
    "audit_log",
)
"""The product's features, as listed in the config; ``audit_log`` is never used."""

_INSTANCES: Final = ("api-1", "api-2")
_EPOCH_WEEKDAY: Final = 3
"""1970-01-01 was a Thursday (Monday = 0)."""
_JOB: Final = "api"
_PILOT_RPS: Final = 8.0
_LAUNCH_RPS: Final = 120.0
_BASE_ERROR_RATIO: Final = 0.0002
_INCIDENT_ERROR_RATIO: Final = 0.30
_LATENCY_SIGMA: Final = 0.45
_INCIDENT_CPU: Final = 0.40
_AUTH_PER_REQUEST: Final = 0.03
_AUTH_SUCCESS: Final = 0.998
_AUTH_SUCCESS_INCIDENT: Final = 0.85
_TARGET_HOURS: Final = {"P1": 2.0, "P2": 8.0, "P3": 24.0, "P4": 72.0}
_SNOW_LABELS: Final = {
    "P1": "1 - Critical",
    "P2": "2 - High",
    "P3": "3 - Moderate",
    "P4": "4 - Low",
}
_JIRA_LABELS: Final = {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
# Share of a day's tickets and events per UTC hour: office hours in Europe.
_HOUR_WEIGHTS: Final = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 11, 13, 14, 13, 11, 8, 6, 4, 3, 2, 1, 1],
    dtype=float,
)


@dataclass(frozen=True)
class ScenarioTruth:
    """What :func:`generate_launch_scenario` wrote and the true KPI values.

    Attributes
    ----------
    out_dir
        The folder written.
    seed, go_live, as_of
        The scenario's seed, go-live time and go/no-go decision time (UTC).
    files
        Paths written, relative to ``out_dir``, sorted.
    values
        The content of ``truth.json``: every planted KPI, its window and its
        definition, plus the tolerances within which the package's functions
        are expected to recover it.
    """

    out_dir: Path
    seed: int
    go_live: pd.Timestamp
    as_of: pd.Timestamp
    files: tuple[str, ...]
    values: dict[str, Any] = field(repr=False)

    def __getitem__(self, key: str) -> Any:
        """A top-level section of ``truth.json``, e.g. ``truth["incident"]``."""
        return self.values[key]


# --- the timeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Timeline:
    go_live: pd.Timestamp
    metrics_start: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    as_of: pd.Timestamp
    incident_start: pd.Timestamp
    incident_end: pd.Timestamp
    detected_at: pd.Timestamp
    acknowledged_at: pd.Timestamp
    restart_at: pd.Timestamp

    @classmethod
    def around(cls, go_live: pd.Timestamp) -> _Timeline:
        day = pd.Timedelta(days=1)
        incident = go_live.normalize() + 2 * day + pd.Timedelta(hours=14)
        return cls(
            go_live=go_live,
            metrics_start=go_live - 31 * day,
            start=go_live - 14 * day,
            end=go_live + 28 * day,
            as_of=go_live - pd.Timedelta(hours=1),
            incident_start=incident,
            incident_end=incident + pd.Timedelta(minutes=40),
            detected_at=incident + pd.Timedelta(minutes=7),
            acknowledged_at=incident + pd.Timedelta(minutes=9),
            restart_at=go_live.normalize() + 9 * day + pd.Timedelta(hours=3),
        )

    def days_after_go_live(self, times: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray((times - self.go_live) / pd.Timedelta(days=1), dtype=float)


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent, reproducible stream per part of the scenario."""
    return np.random.default_rng([seed, *part.encode()])


# --- metrics --------------------------------------------------------------------------


@dataclass
class _Metrics:
    times: pd.DatetimeIndex
    requests: dict[str, np.ndarray]  # per instance, requests per step (at its end)
    errors: dict[str, np.ndarray]
    scraped: dict[str, np.ndarray]  # per instance, was the sample taken
    buckets: np.ndarray  # steps x bounds, observations per bucket (not cumulative)
    latency_median: np.ndarray
    latency_sum: np.ndarray
    auth_attempts: np.ndarray
    auth_success: np.ndarray
    cpu: dict[str, np.ndarray]

    @property
    def total_requests(self) -> np.ndarray:
        return sum((self.requests[i] for i in _INSTANCES), np.zeros(len(self.times)))

    @property
    def total_errors(self) -> np.ndarray:
        return sum((self.errors[i] for i in _INSTANCES), np.zeros(len(self.times)))


def _traffic_shape(times: pd.DatetimeIndex) -> np.ndarray:
    """Daily cycle peaking at 14:00 UTC, weekends at 45 %."""
    hours = np.asarray(times.hour + times.minute / 60.0, dtype=float)
    daily = 0.25 + 0.75 * 0.5 * (1.0 - np.cos(2.0 * np.pi * (hours - 2.0) / 24.0))
    weekend = np.where(np.asarray(times.day_of_week) >= 5, 0.45, 1.0)
    return np.asarray(daily * weekend, dtype=float)


def _simulate_metrics(seed: int, line: _Timeline) -> _Metrics:
    rng = _rng(seed, "metrics")
    times = pd.date_range(line.metrics_start, line.end, freq=f"{STEP_SECONDS}s")
    steps = len(times)
    days = line.days_after_go_live(times)
    launched = days > 0

    rps = np.where(launched, _LAUNCH_RPS * (1.0 + 0.01 * np.maximum(days, 0)), 0.0)
    rps = np.where(launched, rps, _PILOT_RPS) * _traffic_shape(times)
    incident = (times > line.incident_start) & (times <= line.incident_end)
    error_ratio = np.where(incident, _INCIDENT_ERROR_RATIO, _BASE_ERROR_RATIO)

    # api-2 is stopped (drained) right after one scrape and back before the next
    # one: that scrape is missed, api-1 serves everything meanwhile.
    restart = int(times.searchsorted(line.restart_at, side="left"))
    share = {name: np.full(steps, 0.5) for name in _INSTANCES}
    share["api-1"][restart], share["api-2"][restart] = 1.0, 0.0
    requests, errors, scraped, cpu = {}, {}, {}, {}
    for name in _INSTANCES:
        lam = rps * STEP_SECONDS * share[name]
        lam[0] = 0.0  # counters are born at 0 with the process
        requests[name] = rng.poisson(lam).astype(float)
        errors[name] = rng.binomial(requests[name].astype(np.int64), error_ratio)
        errors[name] = errors[name].astype(float)
        scraped[name] = np.ones(steps, dtype=bool)
        load = requests[name] / (STEP_SECONDS * _LAUNCH_RPS)
        noise = rng.normal(0.0, 0.015, steps)
        # Clients retrying failed requests burn CPU while the incident lasts.
        retries = np.where(incident, _INCIDENT_CPU, 0.0)
        cpu[name] = np.round(
            np.clip(0.12 + 0.9 * load + retries + noise, 0.01, 0.99), 4
        )
    scraped["api-2"][restart] = False

    total = requests["api-1"] + requests["api-2"]
    median = np.where(
        launched, 0.080 + 0.045 * np.clip(days, 0, 28) / 28.0, 0.075
    ).astype(float)
    buckets = rng.multinomial(total.astype(np.int64), _bucket_probabilities(median))
    mean_latency = median * math.exp(_LATENCY_SIGMA**2 / 2.0)
    attempts = rng.poisson(total * _AUTH_PER_REQUEST)
    success = rng.binomial(
        attempts, np.where(incident, _AUTH_SUCCESS_INCIDENT, _AUTH_SUCCESS)
    )
    return _Metrics(
        times=times,
        requests=requests,
        errors=errors,
        scraped=scraped,
        buckets=buckets.astype(float),
        latency_median=median,
        latency_sum=np.round(total * mean_latency, 3),
        auth_attempts=attempts.astype(float),
        auth_success=success.astype(float),
        cpu=cpu,
    )


def _bucket_probabilities(median: np.ndarray) -> np.ndarray:
    """Probability of each bucket (not cumulative) of a log-normal per step."""
    bounds = np.array([float(b) for b in BUCKET_BOUNDS[:-1]])
    z = (np.log(bounds)[None, :] - np.log(median)[:, None]) / _LATENCY_SIGMA
    cumulative = np.hstack([ndtr(z), np.ones((len(median), 1))])
    probabilities = np.diff(cumulative, axis=1, prepend=0.0)
    return np.asarray(probabilities / probabilities.sum(axis=1, keepdims=True))


def _counter(increments: np.ndarray, scraped: np.ndarray) -> np.ndarray:
    """Cumulative values; after a missed scrape (a restart) the counter restarts."""
    values = np.cumsum(increments)
    for gap in np.flatnonzero(~scraped):
        values[gap:] -= values[gap]
    return values


def _metric_series(metrics: _Metrics) -> dict[str, list[tuple[dict[str, str], Any]]]:
    """Every series to write: family file name → [(labels, values or NaN = unscraped)]."""
    series: dict[str, list[tuple[dict[str, str], Any]]] = {}
    counters = {
        "http_requests_total": metrics.requests,
        "http_requests_errors_total": metrics.errors,
        "http_requests_good_total": {
            name: metrics.requests[name] - metrics.errors[name] for name in _INSTANCES
        },
    }
    for family, per_instance in counters.items():
        series[family] = [
            (
                {"job": _JOB, "instance": name},
                np.where(
                    metrics.scraped[name],
                    _counter(per_instance[name], metrics.scraped[name]),
                    np.nan,
                ),
            )
            for name in _INSTANCES
        ]
    cumulative = np.cumsum(np.cumsum(metrics.buckets, axis=1), axis=0)
    series["http_request_duration_seconds_bucket"] = [
        ({"job": _JOB, "le": le}, cumulative[:, i])
        for i, le in enumerate(BUCKET_BOUNDS)
    ]
    series["auth_attempts_total"] = [({"job": _JOB}, np.cumsum(metrics.auth_attempts))]
    series["auth_success_total"] = [({"job": _JOB}, np.cumsum(metrics.auth_success))]
    series["node_cpu_utilisation"] = [
        (
            {"job": _JOB, "instance": name},
            np.where(metrics.scraped[name], metrics.cpu[name], np.nan),
        )
        for name in _INSTANCES
    ]
    series["up"] = [
        ({"job": _JOB, "instance": name}, metrics.scraped[name].astype(float))
        for name in _INSTANCES
    ]
    return series


def _number(value: float, family: str) -> str:
    if family == "node_cpu_utilisation":
        return f"{value:.4f}"
    if family.endswith("_sum"):
        return f"{value:.3f}"
    return str(int(value))


def _metric_csv(
    family: str, rows: list[tuple[dict[str, str], Any]], stamps: list[str]
) -> str:
    label_names = list(rows[0][0])
    out = io.StringIO()
    out.write(",".join(["timestamp", "value", "metric", *label_names]) + "\n")
    for labels, values in rows:
        tail = ",".join([family, *(labels[n] for n in label_names)])
        out.writelines(
            f"{stamp},{_number(value, family)},{tail}\n"
            for stamp, value in zip(stamps, values.tolist(), strict=True)
            if not math.isnan(value)
        )
    return out.getvalue()


def _openmetrics(metrics: _Metrics, series: Mapping[str, Any]) -> str:
    """OpenMetrics text: one family at a time, each series in time order, seconds."""
    seconds = [str(int(t.timestamp())) for t in metrics.times]
    families = {
        "http_requests": ("counter", "http_requests_total"),
        "http_requests_errors": ("counter", "http_requests_errors_total"),
        "http_requests_good": ("counter", "http_requests_good_total"),
        "auth_attempts": ("counter", "auth_attempts_total"),
        "auth_success": ("counter", "auth_success_total"),
        "node_cpu_utilisation": ("gauge", "node_cpu_utilisation"),
        "up": ("gauge", "up"),
    }
    out = io.StringIO()
    for family, (kind, sample_name) in families.items():
        out.write(f"# TYPE {family} {kind}\n")
        for labels, values in series[sample_name]:
            text = _labels(labels)
            out.writelines(
                f"{sample_name}{text} {_number(value, sample_name)} {stamp}\n"
                for stamp, value in zip(seconds, values.tolist(), strict=True)
                if not math.isnan(value)
            )
    out.write(_openmetrics_histogram(metrics, series, seconds))
    out.write("# EOF\n")
    return out.getvalue()


def _openmetrics_histogram(
    metrics: _Metrics, series: Mapping[str, Any], seconds: list[str]
) -> str:
    family = "http_request_duration_seconds"
    columns = [values.tolist() for _, values in series[f"{family}_bucket"]]
    sums = np.cumsum(metrics.latency_sum).tolist()
    out = io.StringIO()
    out.write(f"# TYPE {family} histogram\n")
    for row, stamp in enumerate(seconds):
        for i, le in enumerate(BUCKET_BOUNDS):
            out.write(
                f'{family}_bucket{{job="{_JOB}",le="{le}"}} {int(columns[i][row])}'
                f" {stamp}\n"
            )
        out.write(f'{family}_count{{job="{_JOB}"}} {int(columns[-1][row])} {stamp}\n')
        out.write(f'{family}_sum{{job="{_JOB}"}} {sums[row]:.3f} {stamp}\n')
    return out.getvalue()


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


# --- tickets --------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (column name → value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _minute(value: pd.Timestamp) -> pd.Timestamp:
    return value.floor("min")


def _arrivals(
    rng: np.random.Generator, line: _Timeline, per_day: Callable[[float], float]
) -> list[pd.Timestamp]:
    """Ticket creation times: Poisson per day, office-hour profile, whole minutes."""
    times: list[pd.Timestamp] = []
    hours = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()
    day = line.start.normalize()
    while day < line.end:
        weekend = day.day_of_week >= 5
        offset = (day + pd.Timedelta(hours=12) - line.go_live) / pd.Timedelta(days=1)
        count = rng.poisson(per_day(float(offset)) * (0.4 if weekend else 1.0))
        chosen = rng.choice(24, size=count, p=hours)
        minutes = rng.integers(0, 60, size=count)
        for hour, minute in zip(chosen.tolist(), minutes.tolist(), strict=True):
            when = day + pd.Timedelta(hours=hour, minutes=minute)
            if line.start <= when < line.end:
                times.append(when)
        day += pd.Timedelta(days=1)
    return sorted(times)


def _launch_volume(
    pilot: float, peak: float, steady: float
) -> Callable[[float], float]:
    def per_day(days_after: float) -> float:
        if days_after < 0:
            return pilot
        return steady + (peak - steady) * math.exp(-days_after / 4.0)

    return per_day


def _resolve_after(
    rng: np.random.Generator, priority: str, median_hours: Mapping[str, float]
) -> pd.Timedelta:
    hours = median_hours[priority] * math.exp(rng.normal(0.0, 0.7))
    return pd.Timedelta(minutes=max(5, round(hours * 60)))


def _servicenow_incidents(seed: int, line: _Timeline) -> pd.DataFrame:
    """Incidents: the planted P1 plus P2..P4 ones, one row each, times in minutes."""
    rng = _rng(seed, "servicenow")
    created = _arrivals(rng, line, _launch_volume(0.4, 3.0, 0.8))
    priorities = rng.choice(["P2", "P3", "P4"], size=len(created), p=[0.15, 0.5, 0.35])
    medians = {"P2": 5.0, "P3": 14.0, "P4": 30.0}
    rows = [
        {
            "created_at": when,
            "priority": str(priority),
            "resolved_at": when + _resolve_after(rng, str(priority), medians),
            "group": f"Service desk {1 + int(rng.integers(0, 3))}",
            "category": str(rng.choice(["Access", "Application", "Network", "Data"])),
            "reassignment_count": int(rng.poisson(0.6)),
        }
        for when, priority in zip(created, priorities.tolist(), strict=True)
    ]
    rows.append(
        {
            "created_at": line.detected_at,
            "priority": "P1",
            "resolved_at": line.incident_end,
            "group": "Platform on-call",
            "category": "Application",
            "reassignment_count": 1,
        }
    )
    frame = pd.DataFrame(rows).sort_values("created_at", kind="stable")
    frame = frame.reset_index(drop=True)
    frame["ticket_id"] = [f"INC{10001 + i:07d}" for i in range(len(frame))]
    frame.loc[frame["resolved_at"] >= line.end, "resolved_at"] = pd.NaT
    return frame


def _snow_date(value: Any) -> str:
    """Day-first like the public ServiceNow log: ``4/3/2026 14:07``."""
    if pd.isna(value):
        return ""
    return f"{value.day}/{value.month}/{value.year} {value.hour:02d}:{value.minute:02d}"


def _servicenow_csv(frame: pd.DataFrame, line: _Timeline) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "number",
            "priority",
            "incident_state",
            "opened_at",
            "resolved_at",
            "closed_at",
            "reassignment_count",
            "reopen_count",
            "assignment_group",
            "category",
        ]
    )
    for row in _records(frame):
        resolved = row["resolved_at"]
        closed = resolved + pd.Timedelta(days=3) if pd.notna(resolved) else pd.NaT
        closed = closed if pd.notna(closed) and closed < line.end else pd.NaT
        state = (
            "Closed"
            if pd.notna(closed)
            else ("Resolved" if pd.notna(resolved) else "In Progress")
        )
        writer.writerow(
            [
                row["ticket_id"],
                _SNOW_LABELS[row["priority"]],
                state,
                _snow_date(row["created_at"]),
                _snow_date(resolved),
                _snow_date(closed),
                row["reassignment_count"],
                0,
                row["group"],
                row["category"],
            ]
        )
    return out.getvalue()


def _jira_tickets(seed: int, line: _Timeline) -> pd.DataFrame:
    """Support tickets with first responses; a burst during the incident."""
    rng = _rng(seed, "jira")
    created = _arrivals(rng, line, _launch_volume(3.0, 60.0, 15.0))
    priorities = rng.choice(
        ["P1", "P2", "P3", "P4"], size=len(created), p=[0.02, 0.10, 0.50, 0.38]
    ).tolist()
    burst = sorted(
        line.incident_start + pd.Timedelta(minutes=int(m))
        for m in rng.integers(2, 45, size=14)
    )
    in_burst = [False] * len(created) + [True] * len(burst)
    created += burst
    priorities += ["P2"] * len(burst)
    medians = {"P1": 1.2, "P2": 4.5, "P3": 14.0, "P4": 36.0}

    rows = []
    for when, priority, flagged in zip(created, priorities, in_burst, strict=True):
        response = pd.Timedelta(
            minutes=max(1, round(9.0 * math.exp(rng.normal(0, 0.7))))
        )
        resolved = when + response + _resolve_after(rng, priority, medians)
        if flagged:
            resolved = max(resolved, line.incident_end + pd.Timedelta(minutes=20))
        rows.append(
            {
                "created_at": when,
                "priority": priority,
                "first_response_at": when + response,
                "resolved_at": resolved if resolved < line.end else pd.NaT,
                "reporter": f"c{int(rng.integers(1, 400)):04d}",
                "agent": f"agent-{int(rng.integers(1, 9))}",
                "kind": str(rng.choice(["Service Request", "Incident", "Question"])),
                "incident_burst": flagged,
            }
        )
    frame = pd.DataFrame(rows).sort_values("created_at", kind="stable")
    frame = frame.reset_index(drop=True)
    frame["ticket_id"] = [f"SUP-{i + 1}" for i in range(len(frame))]
    late = frame["first_response_at"] >= line.end
    frame.loc[late, "first_response_at"] = pd.NaT
    return frame


def _jira_date(value: Any) -> str:
    """Jira's default ``dd/Mon/yy h:mm AM`` (English month names, no locale)."""
    if pd.isna(value):
        return ""
    hour = value.hour % 12 or 12
    half = "AM" if value.hour < 12 else "PM"
    return (
        f"{value.day:02d}/{_MONTHS[value.month - 1]}/{value.year % 100:02d}"
        f" {hour}:{value.minute:02d} {half}"
    )


def _jira_csv(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "Summary",
            "Issue key",
            "Issue id",
            "Issue Type",
            "Status",
            "Priority",
            "Reporter Id",
            "Created",
            "Resolved",
            "Comment",
            "Comment",
        ]
    )
    for number, row in enumerate(_records(frame)):
        summary = (
            "Cannot sign in\nerror 503 on login"
            if row["incident_burst"]
            else row["kind"]
        )
        created, reporter = _jira_date(row["created_at"]), row["reporter"]
        reporter_note = f"{created};{reporter};Any update?"
        answer = (
            _jira_date(row["first_response_at"]) + f";{row['agent']};Looking into it"
            if pd.notna(row["first_response_at"])
            else ""
        )
        writer.writerow(
            [
                summary,
                row["ticket_id"],
                20001 + number,
                row["kind"],
                "Resolved" if pd.notna(row["resolved_at"]) else "In Progress",
                _JIRA_LABELS[row["priority"]],
                row["reporter"],
                _jira_date(row["created_at"]),
                _jira_date(row["resolved_at"]),
                reporter_note,
                answer,
            ]
        )
    return out.getvalue()


# --- surveys --------------------------------------------------------------------------


def _surveys(
    seed: int, tickets: pd.DataFrame, line: _Timeline
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CSAT (1–5) and NPS (0–10) answers linked to resolved Jira tickets."""
    rng = _rng(seed, "surveys")
    happy = [0.02, 0.04, 0.08, 0.31, 0.55]
    unhappy = [0.12, 0.18, 0.25, 0.30, 0.15]
    nps_weights = np.array([1, 1, 1, 1, 2, 2, 3, 6, 12, 14, 10], dtype=float)
    csat, nps = [], []
    for row in _records(tickets):
        if pd.isna(row["resolved_at"]):
            continue
        answered = _minute(
            row["resolved_at"] + pd.Timedelta(hours=float(rng.uniform(0.5, 48.0)))
        )
        hours = (row["resolved_at"] - row["created_at"]) / pd.Timedelta(hours=1)
        weights = happy if hours <= _TARGET_HOURS[row["priority"]] else unhappy
        if rng.random() < 0.35 and answered < line.end:
            csat.append((answered, row["ticket_id"], int(rng.choice(5, p=weights)) + 1))
        if rng.random() < 0.15 and answered < line.end:
            p = nps_weights / nps_weights.sum()
            nps.append((answered, row["ticket_id"], int(rng.choice(11, p=p))))
    return _answers(csat, "C"), _answers(nps, "N")


def _answers(
    rows: Sequence[tuple[pd.Timestamp, str, int]], prefix: str
) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["answered_at", "ticket_id", "score"])
    frame = frame.sort_values(["answered_at", "ticket_id"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["response_id"] = [f"{prefix}{i + 1:05d}" for i in range(len(frame))]
    return frame


def _survey_csv(frame: pd.DataFrame, planted_zero: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["response_id", "answered_at", "ticket_id", "score", "segment"])
    for row in _records(frame):
        segment = (
            "enterprise" if int(row["ticket_id"].split("-")[1]) % 3 == 0 else "smb"
        )
        stamp = row["answered_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow(
            [row["response_id"], stamp, row["ticket_id"], row["score"], segment]
        )
    if planted_zero:
        # A survey form that defaulted to 0: out of the 1..5 range, must be rejected.
        first = frame.iloc[0]
        stamp = first["answered_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow(["C99999", stamp, first["ticket_id"], 0, "smb"])
    return out.getvalue()


# --- usage ----------------------------------------------------------------------------


def _licences(line: _Timeline) -> list[tuple[pd.Timestamp, int]]:
    return [
        (line.start, 50),
        (line.go_live, 500),
        (line.go_live + pd.Timedelta(days=14), 600),
    ]


def _usage(seed: int, line: _Timeline) -> pd.DataFrame:
    """Usage events: pilot users, then the launch cohort and a later top-up."""
    rng = _rng(seed, "usage")
    day = pd.Timedelta(days=1)
    first_active: list[tuple[str, pd.Timestamp]] = []
    for number in range(1, 601):
        user = f"u{number:04d}"
        if number <= 40:
            when = line.start + day * float(rng.uniform(0, 3))
        elif number <= 50:
            continue  # pilot seats never used
        elif number <= 500:
            if rng.random() < 0.9:
                when = line.go_live + day * float(rng.exponential(2.0))
            elif rng.random() < 0.5:
                when = line.go_live + day * float(rng.uniform(7, 28))
            else:
                continue
        else:
            if rng.random() >= 0.85:
                continue
            when = line.go_live + 14 * day + day * float(rng.exponential(3.0))
        if when < line.end:
            first_active.append((user, _second(when)))

    events: list[tuple[str, int, str]] = []
    for user, start in first_active:
        events.extend(_user_events(rng, user, start, line))
    frame = pd.DataFrame(events, columns=["user_id", "timestamp", "feature"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True)
    return frame.sort_values(["timestamp", "user_id"], kind="stable").reset_index(
        drop=True
    )


def _second(value: pd.Timestamp) -> pd.Timestamp:
    return value.floor("s")


def _user_events(
    rng: np.random.Generator, user: str, start: pd.Timestamp, line: _Timeline
) -> list[tuple[str, int, str]]:
    """One user's events (epoch seconds): onboarding first, then a first insight.

    Works on whole seconds rather than Timestamps: this loop runs for every
    user and day.
    """
    others = [
        "dashboard",
        "search",
        "reports",
        "export",
        "settings",
        "sharing",
        "alerts",
    ]
    weights = np.array([30, 25, 15, 8, 5, 4, 3], dtype=float)
    weights /= weights.sum()
    first, stop = int(start.timestamp()), int(line.end.timestamp())
    insight_due = first + int(rng.exponential(4.0) * 86400)
    had_insight = False
    events = [(user, first, "onboarding")]
    for day in range(first - first % 86400, stop, 86400):
        weekday = (day // 86400 + _EPOCH_WEEKDAY) % 7
        if day > first - first % 86400:
            chance = 0.12 if weekday >= 5 else 0.55
            if rng.random() >= chance:
                continue
        count = 1 + int(rng.poisson(3.0))
        for offset in np.sort(rng.integers(6 * 3600, 20 * 3600, size=count)).tolist():
            when = day + offset
            if when <= first or when >= stop:
                continue
            if not had_insight and when >= insight_due:
                feature, had_insight = "insight", True
            elif had_insight and rng.random() < 0.1:
                feature = "insight"
            else:
                feature = others[int(rng.choice(len(others), p=weights))]
            events.append((user, when, feature))
    return events


# --- truth ----------------------------------------------------------------------------


def _iso(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window_mask(
    times: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp
) -> Any:
    """Steps whose increments a counter sampled at ``start`` and ``end`` sees."""
    return (times > start) & (times <= end)


def _ratio_truth(
    good: np.ndarray,
    total: np.ndarray,
    mask: Any,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[str, Any]:
    g, t = float(good[mask].sum()), float(total[mask].sum())
    return {
        "window_start": _iso(start),
        "window_end": _iso(end),
        "good": g,
        "total": t,
        "ratio": g / t if t else None,
    }


def _promql_quantile(q: float, cumulative: np.ndarray) -> float:
    """Linear interpolation inside the bucket holding rank ``q * count``."""
    bounds = [float(b) for b in BUCKET_BOUNDS]
    rank = q * cumulative[-1]
    index = int(np.argmax(cumulative >= rank))
    if index == len(bounds) - 1:
        return bounds[-2]
    lower = 0.0 if index == 0 else bounds[index - 1]
    below = 0.0 if index == 0 else float(cumulative[index - 1])
    inside = float(cumulative[index]) - below
    return float(lower + (bounds[index] - lower) * (rank - below) / inside)


def _mixture_quantile(q: float, medians: np.ndarray, weights: np.ndarray) -> float:
    """Quantile of the log-normal mixture the observations were drawn from."""
    low, high = 1e-4, 10.0
    share = weights / weights.sum()
    for _ in range(80):
        mid = math.sqrt(low * high)
        z = (math.log(mid) - np.log(medians)) / _LATENCY_SIGMA
        if float((share * ndtr(z)).sum()) < q:
            low = mid
        else:
            high = mid
    return math.sqrt(low * high)


def _latency_truth(
    metrics: _Metrics, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, Any]:
    mask = _window_mask(metrics.times, start, end)
    counts = metrics.buckets[mask].sum(axis=0)
    cumulative = np.cumsum(counts)
    return {
        "window_start": _iso(start),
        "window_end": _iso(end),
        "observations": float(cumulative[-1]),
        "bucket_counts": dict(zip(BUCKET_BOUNDS, cumulative.tolist(), strict=True)),
        "p95_seconds_from_buckets": _promql_quantile(0.95, cumulative),
        "p95_seconds_true": _mixture_quantile(
            0.95, metrics.latency_median[mask], metrics.total_requests[mask]
        ),
        "share_within_0_2_seconds": float(cumulative[2] / cumulative[-1]),
    }


def _metrics_truth(metrics: _Metrics, line: _Timeline) -> dict[str, Any]:
    times, total, errors = metrics.times, metrics.total_requests, metrics.total_errors
    good = total - errors
    day, week = pd.Timedelta(days=1), pd.Timedelta(days=7)
    windows = {
        "pre_launch_30d": (line.go_live - 30 * day, line.go_live),
        "decision_30d": (line.as_of - 30 * day, line.as_of),
        "decision_7d": (line.as_of - week, line.as_of),
        "first_24h": (line.go_live, line.go_live + day),
        "post_launch_28d": (line.go_live, line.end),
        "incident": (line.incident_start, line.incident_end),
    }
    availability = {
        name: _ratio_truth(good, total, _window_mask(times, a, b), a, b)
        for name, (a, b) in windows.items()
    }
    error_rate = {
        name: {**value, "ratio": 1.0 - value["ratio"]}
        for name, value in availability.items()
    }
    auth = {
        name: _ratio_truth(
            metrics.auth_success,
            metrics.auth_attempts,
            _window_mask(times, a, b),
            a,
            b,
        )
        for name, (a, b) in windows.items()
    }
    latency = {
        name: _latency_truth(metrics, a, b)
        for name, (a, b) in {
            **windows,
            **{
                f"post_launch_week_{k}": (
                    line.go_live + (k - 1) * week,
                    line.go_live + k * week,
                )
                for k in range(1, 5)
            },
        }.items()
        if name != "incident"
    }
    after = times > line.go_live
    return {
        "definition": (
            "occurrences: good = requests - errors summed over the 5-minute steps"
            " whose sample time t satisfies window_start < t <= window_end (what the"
            " increase of counters sampled at both ends sees); both instances"
        ),
        "availability": availability,
        "error_rate": error_rate,
        "auth_success": auth,
        "latency": latency,
        "counter_reset": {
            "series": 'http_requests_*_total{instance="api-2"}',
            "missed_scrape_at": _iso(line.restart_at),
            "note": "api-2 was drained before the restart: no request was lost",
        },
        "cpu_utilisation_post_launch": {
            name: {
                "mean": float(metrics.cpu[name][after & metrics.scraped[name]].mean()),
                "max": float(metrics.cpu[name][after & metrics.scraped[name]].max()),
            }
            for name in _INSTANCES
        },
        "peak_requests_per_second_5m": float(total.max() / STEP_SECONDS),
        "samples_written": 0,  # filled in once the files are written
    }


def _incident_truth(
    incidents: pd.DataFrame, metrics: _Metrics, line: _Timeline
) -> dict[str, Any]:
    planted = incidents.loc[incidents["priority"] == "P1"].iloc[0]
    mask = _window_mask(metrics.times, line.incident_start, line.incident_end)
    minutes = pd.Timedelta(minutes=1)
    return {
        "ticket_id": planted["ticket_id"],
        "priority": "P1",
        "impact_started_at": _iso(line.incident_start),
        "detected_at": _iso(line.detected_at),
        "acknowledged_at": _iso(line.acknowledged_at),
        "opened_at": _iso(planted["created_at"]),
        "resolved_at": _iso(line.incident_end),
        "impact_minutes": (line.incident_end - line.incident_start) / minutes,
        "mttd_minutes": (line.detected_at - line.incident_start) / minutes,
        "time_to_acknowledge_minutes": (line.acknowledged_at - line.detected_at)
        / minutes,
        "mttr_minutes": (line.incident_end - planted["created_at"]) / minutes,
        "mttr_definition": "opened_at (= detection) to resolved_at, wall clock",
        "error_ratio": float(metrics.total_errors[mask].sum())
        / float(metrics.total_requests[mask].sum()),
        "failed_requests": float(metrics.total_errors[mask].sum()),
        "requests": float(metrics.total_requests[mask].sum()),
        "p1_count": int((incidents["priority"] == "P1").sum()),
    }


def _resolution_truth(tickets: pd.DataFrame) -> dict[str, Any]:
    """Per priority, unresolved tickets counted as not within target (no as_of)."""
    out: dict[str, Any] = {}
    for priority, target in _TARGET_HOURS.items():
        part = tickets.loc[tickets["priority"] == priority]
        hours = _elapsed(part["created_at"], part["resolved_at"], 3600.0)
        within = int((hours <= target).sum())
        out[priority] = {
            "target_hours": target,
            "tickets": len(part),
            "resolved": len(hours),
            "within_target": within,
            "share_within_target": within / len(part) if len(part) else None,
            "median_hours": float(hours.median()) if len(hours) else None,
            "mean_hours": float(hours.mean()) if len(hours) else None,
        }
    return out


def _elapsed(start: pd.Series, end: pd.Series, unit_seconds: float) -> pd.Series:
    """``end - start`` in the unit, missing ends dropped."""
    seconds = (end - start).dropna().dt.total_seconds()
    return seconds / unit_seconds


def _jira_truth(tickets: pd.DataFrame, line: _Timeline) -> dict[str, Any]:
    waits = _elapsed(
        tickets["created_at"], tickets["first_response_at"], 60.0
    ).to_numpy(dtype=float)
    before = tickets["created_at"] < line.go_live
    return {
        "tickets": len(tickets),
        "tickets_before_go_live": int(before.sum()),
        "tickets_first_24h": int(
            (
                (tickets["created_at"] >= line.go_live)
                & (tickets["created_at"] < line.go_live + pd.Timedelta(days=1))
            ).sum()
        ),
        "tickets_during_incident": int(tickets["incident_burst"].sum()),
        "per_priority": _resolution_truth(tickets),
        "first_response": {
            "responses": len(waits),
            "mean_minutes": float(waits.mean()),
            "median_minutes": float(np.median(waits)),
            "share_within_15_minutes": float((waits <= 15).mean()),
        },
    }


def _survey_truth(csat: pd.DataFrame, nps: pd.DataFrame) -> dict[str, Any]:
    scores = csat["score"].to_numpy(dtype=float)
    points = nps["score"].to_numpy(dtype=float)
    promoters, detractors = int((points >= 9).sum()), int((points <= 6).sum())
    return {
        "csat": {
            "responses": len(scores),
            "mean": float(scores.mean()),
            "share_satisfied": float((scores >= 4).mean()),
        },
        "nps": {
            "responses": len(points),
            "promoters": promoters,
            "detractors": detractors,
            "nps": 100.0 * (promoters - detractors) / len(points),
        },
    }


def _adoption_truth(events: pd.DataFrame, line: _Timeline) -> dict[str, Any]:
    day, stamp = pd.Timedelta(days=1), events["timestamp"]
    licences = _licences(line)

    def licensed_before(moment: pd.Timestamp) -> int:
        return [count for when, count in licences if when < moment][-1]

    week_end = line.go_live + 7 * day
    first_week = events.loc[(stamp >= line.go_live) & (stamp < week_end), "user_id"]
    on = (line.go_live + 25 * day).normalize()
    dau = events.loc[(stamp >= on) & (stamp < on + day), "user_id"].nunique()
    mau = events.loc[(stamp >= on - 29 * day) & (stamp < on + day), "user_id"].nunique()
    week = line.go_live.normalize() + 7 * day
    used = set(events.loc[(stamp >= week) & (stamp < week + 7 * day), "feature"])
    return {
        "events": len(events),
        "users": int(events["user_id"].nunique()),
        "licences": [{"date": _iso(when), "licensed_users": n} for when, n in licences],
        "first_week": {
            "window_start": _iso(line.go_live),
            "window_end": _iso(week_end),
            "active_users": int(first_week.nunique()),
            "licensed_users": licensed_before(week_end),
            "adoption_ratio": first_week.nunique() / licensed_before(week_end),
        },
        "daily": {
            "date": on.strftime("%Y-%m-%d"),
            "dau": int(dau),
            "mau_30d": int(mau),
            "stickiness": dau / mau,
            "licensed_users": licensed_before(on + day),
            "mau_over_licences": mau / licensed_before(on + day),
        },
        "feature_utilisation": {
            "week_start": week.strftime("%Y-%m-%d"),
            "features": list(FEATURES),
            "used": sorted(used & set(FEATURES)),
            "ratio": len(used & set(FEATURES)) / len(FEATURES),
        },
        "time_to_first_value": _ttv_truth(events),
    }


def _ttv_truth(events: pd.DataFrame) -> dict[str, Any]:
    onboarding = events.loc[events["feature"] == "onboarding"].groupby("user_id")[
        "timestamp"
    ]
    first = onboarding.min()
    insight = events.loc[events["feature"] == "insight"].merge(
        first.rename("onboarded"), left_on="user_id", right_index=True
    )
    insight = insight.loc[insight["timestamp"] >= insight["onboarded"]]
    reached = insight.groupby("user_id").agg(
        first=("timestamp", "min"), onboarded=("onboarded", "first")
    )
    days = _elapsed(reached["onboarded"], reached["first"], 86400.0).to_numpy()
    return {
        "users_onboarded": len(first),
        "users_with_value": len(days),
        "median_days": float(np.median(days)),
        "mean_days": float(days.mean()),
    }


_TOLERANCES: Final = {
    "availability_ratio": "exact (abs 1e-12): counters are exact and resets handled",
    "error_rate_ratio": "exact (abs 1e-12)",
    "latency_p95_from_buckets": "exact (rel 1e-9): same bucket counts",
    "latency_p95_true": (
        "the bucket interpolation may differ from the continuous p95 by up to the"
        " width of the bucket holding it (0.1 s between 0.2 and 0.3 s); tests allow"
        " abs 0.03 s"
    ),
    "resolution_share_and_hours": "exact (abs 1e-9): whole-minute times",
    "csat_mean_and_nps": "exact (abs 1e-9), the planted score 0 rejected",
    "first_week_adoption": "exact",
    "time_to_first_value_days": "exact (abs 1e-9)",
}


# --- config, checklist ----------------------------------------------------------------


def _checklist(line: _Timeline) -> str:
    day = pd.Timedelta(days=1)
    items = [
        ("Backup and restore rehearsed", "infrastructure", "Platform team", "done", 6),
        ("Alerting on error rate and latency", "infrastructure", "SRE", "done", 4),
        ("Runbook for the login service", "support", "Service desk", "done", 9),
        ("On-call rota for the first four weeks", "support", "Service desk", "done", 3),
        (
            "Load test at 1000 requests per second",
            "applications",
            "Performance",
            "done",
            8,
        ),
        ("Release notes published", "documentation", "Docs team", "done", 2),
        ("Accessibility review", "applications", "UX", "in progress", 5),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item", "area", "owner", "status", "evidence", "date", "blocking"])
    for item, area, owner, status, days_before in items:
        when = (line.as_of - days_before * day).strftime("%Y-%m-%d")
        slug = item.lower().replace(" ", "-")
        evidence = f"https://wiki.example.org/launch/{slug}" if status == "done" else ""
        blocking = "false" if status != "done" else "true"
        writer.writerow([item, area, owner, status, evidence, when, blocking])
    return out.getvalue()


def _readiness_yaml(line: _Timeline, seed: int) -> str:
    return f"""\
# Go / no-go config for the generated launch scenario (seed {seed}).
# Written by analytics.scenario; every true value is in truth.json.
# Paths are relative to this file. Every field is described in docs/config.md.
report:
  title: Go / no-go readiness — generated launch scenario
  service: Customer portal (synthetic launch, known truth)

# One hour before go-live.
as_of: "{_iso(line.as_of)}"
min_coverage: 0.9

tickets:
  - name: incidents
    path: tickets/servicenow_incidents.csv
    format: servicenow_csv
    timezone: UTC          # CSV exports carry stored UTC values
    date_order: dayfirst   # written like the real log: 4/3/2026 14:07
  - name: support
    path: tickets/jira_support.csv
    format: jira_csv
    timezone: UTC          # dates in Jira's default dd/Mon/yy h:mm AM format

metrics:
  - name: requests
    path: metrics/http_requests_total.csv.gz
    format: csv
  - name: requests_good
    path: metrics/http_requests_good_total.csv.gz
    format: csv
  - name: latency
    path: metrics/http_request_duration_seconds_bucket.csv.gz
    format: csv
  - name: auth_attempts
    path: metrics/auth_attempts_total.csv.gz
    format: csv
  - name: auth_success
    path: metrics/auth_success_total.csv.gz
    format: csv
  - name: cpu
    path: metrics/node_cpu_utilisation.csv.gz
    format: csv
# Also written, used by no criterion yet: http_requests_errors_total and up
# (metrics/*.csv.gz). cpu feeds the capacity forecast (cpu_headroom) and the
# post-launch anomaly scan.

surveys:
  - name: csat
    path: surveys/csat.csv
    kind: csat
  - name: nps
    path: surveys/nps.csv
    kind: nps

checklist:
  path: checklist.csv
  max_age_days: 30

activity:
  path: usage/events.csv.gz
  format: activity_csv
licences:
  path: usage/licences.csv

# The post-launch review: gauges scanned for anomalies, and the alert history
# (Alertmanager /api/v2/alerts JSON) for the alert-noise section.
post_launch:
  anomaly_sources: [cpu]
  alerts: alerts.json
  criteria:
    # Production incidents are in the ServiceNow export; Jira holds customer tickets.
    critical_incidents_24h:
      source: incidents

criteria:
  availability:
    good_source: requests_good
    total_source: requests
  latency_p95:
    source: latency
  error_rate:
    good_source: requests_good
    total_source: requests
  auth_success:
    good_source: auth_success
    total_source: auth_attempts
  # The pilot had no critical incident: this criterion has no evidence before go-live.
  resolution_p1:
    blocking: false
  feature_utilisation:
    params:
      features: [onboarding, insight, dashboard, search, reports, export, settings,
                 sharing, alerts, audit_log]
  # Capacity forecast: the busier instance's CPU (max of the two per hour) over the
  # 30-day pilot, forecast one week ahead against an 80 % CPU limit. It extrapolates
  # pilot traffic only and cannot foresee launch traffic (15 times the pilot's), so
  # it informs and does not block; the load test is the capacity evidence.
  cpu_headroom:
    title: CPU headroom one week ahead
    area: performance
    kind: capacity_headroom
    source: cpu
    unit: "%"
    target: 20
    alert: 0
    blocking: false
    lookback: 30d
    params:
      limit: 0.8
      horizon: 7d
      freq: 1h
      aggregate: max
"""


# --- alerts ---------------------------------------------------------------------------


def _alert_firings(
    line: _Timeline,
) -> list[tuple[dict[str, str], pd.Timestamp, pd.Timestamp]]:
    """(labels, start, end) of every firing, derived from the planted events.

    * HighErrorRate pages at detection (7 min into the P1) and resolves 5 min
      after the errors stop; AuthSuccessLow fires with it (a co-firing pair);
    * the api-2 restart on day 9: TargetDown api-2 for one missed scrape, and a
      2-minute HighCPU on api-1, which served everything meanwhile (short-lived);
    * HighLatency (p95 above 250 ms) flaps at the daily peak on day 23, in the
      fourth week of the degradation: 4 firings, each re-fired within 15 min.
    """
    minute = pd.Timedelta(minutes=1)
    job = {"job": _JOB}
    firings = [
        (
            {"alertname": "HighErrorRate", **job, "severity": "page"},
            line.detected_at,
            line.incident_end + 5 * minute,
        ),
        (
            {"alertname": "AuthSuccessLow", **job, "severity": "page"},
            line.detected_at + minute,
            line.incident_end + 5 * minute,
        ),
        (
            {
                "alertname": "TargetDown",
                **job,
                "instance": "api-2",
                "severity": "warning",
            },
            line.restart_at,
            line.restart_at + 5 * minute,
        ),
        (
            {"alertname": "HighCPU", **job, "instance": "api-1", "severity": "warning"},
            line.restart_at + minute,
            line.restart_at + 3 * minute,
        ),
    ]
    peak = line.go_live.normalize() + pd.Timedelta(days=23, hours=13, minutes=30)
    for cycle in range(4):
        start = peak + cycle * 20 * minute
        firings.append(
            (
                {"alertname": "HighLatency", **job, "severity": "warning"},
                start,
                start + 12 * minute,
            )
        )
    return sorted(firings, key=lambda item: (item[1], item[0]["alertname"]))


def _alertmanager_time(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _alerts_json(line: _Timeline) -> str:
    """The firings as Alertmanager API v2 ``/api/v2/alerts`` objects."""
    alerts = []
    for labels, start, end in _alert_firings(line):
        fingerprint = hashlib.sha256(
            json.dumps(labels, sort_keys=True).encode("utf-8")
        ).hexdigest()[:16]
        alerts.append(
            {
                "annotations": {
                    "summary": f"{labels['alertname']} on {labels.get('instance', _JOB)}"
                },
                "endsAt": _alertmanager_time(end),
                "fingerprint": fingerprint,
                "receivers": [{"name": "oncall"}],
                "startsAt": _alertmanager_time(start),
                "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
                "updatedAt": _alertmanager_time(end),
                "generatorURL": "http://prometheus.example.org:9090/graph",
                "labels": labels,
            }
        )
    return json.dumps(alerts, indent=2) + "\n"


def _alerts_truth(line: _Timeline) -> dict[str, Any]:
    firings = _alert_firings(line)
    return {
        "firings": len(firings),
        "names": sorted({labels["alertname"] for labels, _, _ in firings}),
        "flapping": ["HighLatency"],
        "short_lived": ["HighCPU"],
        "cofiring": [["AuthSuccessLow", "HighErrorRate"], ["HighCPU", "TargetDown"]],
    }


# --- writing --------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        # mtime=0 and no file name in the header: identical bytes on every run.
        with (
            path.open("wb") as raw,
            gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6
            ) as handle,
        ):
            handle.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8", newline="")


def _events_csv(events: pd.DataFrame) -> str:
    stamps = events["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
    lines = [
        f"{user},{stamp},{feature}\n"
        for user, stamp, feature in zip(
            events["user_id"].tolist(), stamps, events["feature"].tolist(), strict=True
        )
    ]
    return "user_id,timestamp,feature\n" + "".join(lines)


def _licences_csv(line: _Timeline) -> str:
    rows = "".join(f"{_iso(when)},{count}\n" for when, count in _licences(line))
    return "date,licensed_users\n" + rows


def generate_launch_scenario(
    out_dir: str | Path, *, seed: int = 7, go_live: str = "2026-03-02T09:00:00Z"
) -> ScenarioTruth:
    """Write a launch scenario with known truth to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write (created; files of the same names are replaced).
    seed
        Random seed. The same seed and ``go_live`` give byte-identical files.
    go_live
        Go-live time, ISO 8601 with a zone; it is floored to whole 5 minutes.

    Returns
    -------
    ScenarioTruth
        The files written and the content of ``truth.json``.

    Examples
    --------
    >>> import tempfile
    >>> truth = generate_launch_scenario(tempfile.mkdtemp(), seed=7)
    >>> truth["incident"]["mttd_minutes"], truth["incident"]["p1_count"]
    (7.0, 1)
    >>> "readiness.yaml" in truth.files
    True
    """
    out = Path(out_dir)
    when = pd.Timestamp(go_live)
    if when.tzinfo is None:
        raise ValueError(f"go_live={go_live!r} needs a zone, e.g. 2026-03-02T09:00:00Z")
    line = _Timeline.around(when.tz_convert("UTC").floor(f"{STEP_SECONDS}s"))

    metrics = _simulate_metrics(seed, line)
    incidents = _servicenow_incidents(seed, line)
    tickets = _jira_tickets(seed, line)
    csat, nps = _surveys(seed, tickets, line)
    events = _usage(seed, line)

    texts = _metric_texts(metrics)
    samples = sum(text.count("\n") - 1 for text in texts.values())
    texts["metrics/scenario.om.gz"] = _openmetrics(metrics, _metric_series(metrics))
    texts |= {
        "tickets/servicenow_incidents.csv": _servicenow_csv(incidents, line),
        "tickets/jira_support.csv": _jira_csv(tickets),
        "surveys/csat.csv": _survey_csv(csat, planted_zero=True),
        "surveys/nps.csv": _survey_csv(nps, planted_zero=False),
        "usage/events.csv.gz": _events_csv(events),
        "usage/licences.csv": _licences_csv(line),
        "checklist.csv": _checklist(line),
        "readiness.yaml": _readiness_yaml(line, seed),
        "alerts.json": _alerts_json(line),
    }

    values = _truth(seed, line, metrics, incidents, tickets, (csat, nps), events)
    values["metrics"]["samples_written"] = samples
    texts["truth.json"] = json.dumps(values, indent=2, sort_keys=False) + "\n"
    for name, text in texts.items():
        _write_text(out / name, text)
    logger.info(
        "wrote launch scenario (seed %d) to %s: %d files", seed, out, len(texts)
    )
    return ScenarioTruth(
        out_dir=out,
        seed=seed,
        go_live=line.go_live,
        as_of=line.as_of,
        files=tuple(sorted(texts)),
        values=values,
    )


def _metric_texts(metrics: _Metrics) -> dict[str, str]:
    stamps = [_iso(t) for t in metrics.times]
    return {
        f"metrics/{family}.csv.gz": _metric_csv(family, rows, stamps)
        for family, rows in _metric_series(metrics).items()
    }


def _truth(
    seed: int,
    line: _Timeline,
    metrics: _Metrics,
    incidents: pd.DataFrame,
    tickets: pd.DataFrame,
    surveys: tuple[pd.DataFrame, pd.DataFrame],
    events: pd.DataFrame,
) -> dict[str, Any]:
    return {
        "scenario": {
            "seed": seed,
            "go_live": _iso(line.go_live),
            "as_of_go_no_go": _iso(line.as_of),
            "metrics_start": _iso(line.metrics_start),
            "tickets_and_usage_start": _iso(line.start),
            "end": _iso(line.end),
            "step_seconds": STEP_SECONDS,
            "instances": list(_INSTANCES),
        },
        "metrics": _metrics_truth(metrics, line),
        "incident": _incident_truth(incidents, metrics, line),
        "servicenow": {
            "tickets": len(incidents),
            "per_priority": _resolution_truth(incidents),
            "date_order": "dayfirst",
        },
        "jira": _jira_truth(tickets, line),
        "surveys": _survey_truth(*surveys),
        "adoption": _adoption_truth(events, line),
        "alerts": _alerts_truth(line),
        "planted_rejections": {"surveys/csat.csv": {"out_of_range": 1}},
        "tolerances": dict(_TOLERANCES),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m analytics.scenario --out DIR --seed N``."""
    parser = argparse.ArgumentParser(
        prog="python -m analytics.scenario",
        description="Write the seeded launch scenario and its truth.json.",
    )
    parser.add_argument("--out", required=True, type=Path, help="folder to write")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--go-live", default="2026-03-02T09:00:00Z")
    args = parser.parse_args(argv)
    truth = generate_launch_scenario(args.out, seed=args.seed, go_live=args.go_live)
    print(f"wrote {len(truth.files)} files to {truth.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
