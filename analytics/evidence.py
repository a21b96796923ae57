"""Gather the evidence a readiness config points at.

Reads every configured source once, through the loaders in
``analytics.sources``, and keeps each load's audit trail (rows in, used,
rejected, hash, time range) for the report's data section and ``run.json``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.checklist import read_checklist
from analytics.config import (
    LoadTestSource,
    MetricSource,
    ReadinessConfig,
    TicketSource,
    parse_duration,
)
from analytics.errors import AnalyticsError, ConfigError
from analytics.frames import (
    REJECTED_COLUMNS,
    ROW_TIME,
    LoadResult,
    to_pandas,
)
from analytics.runinfo import utc_now
from analytics.sources import loadtests
from analytics.sources._compressed import decompression_errors
from analytics.sources.activity import (
    read_access_log,
    read_activity_csv,
    read_activity_parquet,
    read_licences_csv,
)
from analytics.sources.jira import read_jira_csv, read_jira_json
from analytics.sources.metric_files import read_metric_csv, read_metric_parquet
from analytics.sources.pagerduty import read_pagerduty_analytics, read_pagerduty_json
from analytics.sources.prometheus import (
    PrometheusLoadResult,
    PrometheusSource,
    load_snapshot,
)
from analytics.sources.prometheus_json import read_prometheus_json
from analytics.sources.servicenow import (
    read_servicenow_csv,
    read_servicenow_json,
    read_servicenow_xml,
)
from analytics.sources.surveys import read_helpdesk_csv, read_survey_csv
from analytics.timeparse import parse_instant

logger = logging.getLogger(__name__)

_INVENTORY_COLUMNS = [
    "source",
    "kind",
    "file",
    "rows_in",
    "rows_used",
    "rows_rejected",
    "rows_set_aside",
    "records",
    "first",
    "last",
    "sha256",
    "provenance",
]

_TICKET_READERS: dict[str, Callable[..., LoadResult]] = {
    "servicenow_csv": read_servicenow_csv,
    "servicenow_json": read_servicenow_json,
    "servicenow_xml": read_servicenow_xml,
    "jira_csv": read_jira_csv,
    "jira_json": read_jira_json,
    "pagerduty_json": read_pagerduty_json,
    "pagerduty_analytics": read_pagerduty_analytics,
    "helpdesk_csv": read_helpdesk_csv,
}
_LOADTEST_READERS: dict[str, Callable[[Path], LoadResult]] = {
    "jmeter_jtl": loadtests.read_jmeter_jtl,
    "locust_history": loadtests.read_locust_history,
    "locust_stats": loadtests.read_locust_stats,
    "k6_summary": loadtests.read_k6_summary,
    "k6_ndjson": loadtests.read_k6_ndjson,
}

__all__ = [
    "TICKET_SOURCE_SETTINGS",
    "Evidence",
    "gather_evidence",
    "parse_as_of",
    "ticket_reader_options",
]


def parse_as_of(text: str | pd.Timestamp | None) -> pd.Timestamp:
    """The decision time as tz-aware UTC.

    ISO 8601 only (see :func:`analytics.timeparse.parse_instant`): a date
    without a time means the start of that day in UTC; a naive date-time is
    read as UTC; an explicit offset is kept and converted. ``03/04/2026`` is
    refused, not guessed.

    Examples
    --------
    >>> parse_as_of("2016-06-30")
    Timestamp('2016-06-30 00:00:00+0000', tz='UTC')
    >>> parse_as_of("2019-07-30T14:00:00+02:00")
    Timestamp('2019-07-30 12:00:00+0000', tz='UTC')
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        raise ConfigError(
            "no decision time: pass --as-of (e.g. --as-of 2016-06-30) or set as_of in the config"
        )
    if isinstance(text, pd.Timestamp):
        return (
            text.tz_localize("UTC") if text.tzinfo is None else text.tz_convert("UTC")
        )
    # ISO 8601 only: a day and month read the wrong way round would move every window.
    return parse_instant(str(text), name="as_of")


@dataclass
class Evidence:
    """Everything read for one report, by source name."""

    config: ReadinessConfig
    as_of: pd.Timestamp
    tickets: dict[str, LoadResult] = field(default_factory=dict)
    metrics: dict[str, LoadResult] = field(default_factory=dict)
    surveys: dict[str, LoadResult] = field(default_factory=dict)
    loadtests: dict[str, LoadResult] = field(default_factory=dict)
    checklist: LoadResult | None = None
    activity: LoadResult | None = None
    licences: LoadResult | None = None
    alerts: LoadResult | None = None
    """The post-launch review's alert history (``post_launch.alerts``), when read."""
    drills: LoadResult | None = None
    """The post-launch review's DR drill records (``post_launch.drills``), when read."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Live sources that could not be read, with the reason (their criteria are NO DATA)."""
    read_at: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(utc_now()))
    """Wall-clock time (UTC) the evidence was gathered: no record can be later."""

    def loads(self) -> list[tuple[str, LoadResult]]:
        """Every load, named, in config order (checklist last)."""
        named = [
            *self.tickets.items(),
            *self.metrics.items(),
            *self.surveys.items(),
            *self.loadtests.items(),
        ]
        for name in ("activity", "licences", "alerts", "drills", "checklist"):
            load = getattr(self, name)
            if load is not None:
                named.append((name, load))
        return named

    def inventory(self) -> pd.DataFrame:
        """One row per input file: rows in / used / rejected, time range, hash."""
        rows = []
        for name, load in self.loads():
            column = {
                "tickets": "created_at",
                "samples": "timestamp",
                "survey": "answered_at",
                "activity": "timestamp",
                "licences": "date",
                "checklist": "date",
                "alerts": "starts_at",
                "drills": "failover_start",
                "loadtest steps": "started_at",
            }.get(load.kind, "")
            first, last = load.time_range(column)
            rows.append(
                {
                    "source": name,
                    "kind": load.kind,
                    "file": load.source_file,
                    "rows_in": load.rows_in,
                    "rows_used": load.rows_used,
                    "rows_rejected": load.rows_rejected,
                    # Of rows_rejected: sound rows recorded after the decision
                    # time, set aside rather than bad (the report counts apart).
                    "rows_set_aside": load.rows_set_aside,
                    "records": len(load.frame),
                    "first": first,
                    "last": last,
                    "sha256": load.sha256,
                    # Query, server, range, step and pull time of Prometheus data.
                    "provenance": (
                        load.provenance()
                        if isinstance(load, PrometheusLoadResult)
                        else None
                    ),
                }
            )
        for name, reason in self.unavailable.items():
            rows.append(
                {
                    "source": name,
                    "kind": "unavailable",
                    "file": reason,
                    "rows_in": 0,
                    "rows_used": 0,
                    "rows_rejected": 0,
                    "rows_set_aside": 0,
                    "records": 0,
                    "first": None,
                    "last": None,
                    "sha256": "",
                    "provenance": None,
                }
            )
        return pd.DataFrame(rows, columns=_INVENTORY_COLUMNS)

    def rejected(self) -> pd.DataFrame:
        """All rejected rows of all sources, with the source name first.

        The last column is each row's own time (:data:`ROW_TIME`), NaT where
        the reader does not know it.
        """
        parts = [
            _with_row_time(load.rejected).assign(source=name)
            for name, load in self.loads()
            if not load.rejected.empty
        ]
        columns = ["source", *REJECTED_COLUMNS, ROW_TIME]
        if not parts:
            return pd.DataFrame(columns=columns)
        frame = pd.concat(parts, ignore_index=True)
        return frame[columns]

    def all_tickets(self) -> pd.DataFrame:
        """Tickets of every ticket source in one frame."""
        frames = [load.frame for load in self.tickets.values() if not load.frame.empty]
        if not frames:
            return (
                next(iter(self.tickets.values())).frame
                if self.tickets
                else pd.DataFrame()
            )
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> list[dict[str, Any]]:
        """The data inventory, JSON-ready."""
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in row.items()}
            for row in self.inventory().to_dict("records")
        ]
        for record in records:
            for key in ("first", "last"):
                value = record[key]
                record[key] = (
                    None if value is None or pd.isna(value) else value.isoformat()
                )
        return records


TICKET_SOURCE_SETTINGS = ("timezone", "date_order", "column_map", "priority_map")
"""Reader arguments a tickets source sets with its own keys, never under ``options``."""


def ticket_reader_options(ticket_format: str) -> list[str]:
    """The ``options:`` a tickets source of ``ticket_format`` accepts.

    They are the keyword arguments of the format's reader, less the file and the
    settings the source has keys for (:data:`TICKET_SOURCE_SETTINGS`).

    >>> ticket_reader_options("servicenow_csv")
    ['event_log', 'state_map']
    """
    parameters = inspect.signature(_TICKET_READERS[ticket_format]).parameters
    return sorted(set(parameters) - {"path", "known_at", *TICKET_SOURCE_SETTINGS})


def ticket_reader_settings(ticket_format: str) -> list[str]:
    """Which of :data:`TICKET_SOURCE_SETTINGS` the format's reader uses.

    >>> ticket_reader_settings("jira_csv")
    ['column_map', 'priority_map', 'timezone']
    """
    parameters = inspect.signature(_TICKET_READERS[ticket_format]).parameters
    return sorted(set(parameters) & set(TICKET_SOURCE_SETTINGS))


def _call_reader(
    reader: Callable[..., LoadResult], path: Path, name: str, kwargs: dict[str, Any]
) -> LoadResult:
    """Call a reader with the config's options, turning unknown options into a ConfigError."""
    accepted = set(inspect.signature(reader).parameters)
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ConfigError(
            f"source {name!r}: option(s) {unknown} are not understood by {reader.__name__};"
            f" it accepts {sorted(accepted - {'path'})}"
        )
    return reader(path, **kwargs)


def _load_tickets(source: TicketSource, as_of: pd.Timestamp) -> LoadResult:
    reader = _TICKET_READERS[source.format]
    shared: dict[str, Any] = {
        "timezone": source.timezone,
        "date_order": source.date_order,
        # Event logs are cut at the decision time (readers that take it).
        "known_at": as_of,
    }
    if source.column_map:
        shared["column_map"] = source.column_map
    if source.priority_map:
        shared["priority_map"] = source.priority_map
    # Shared settings apply where the format has them; options are checked strictly.
    accepted = set(inspect.signature(reader).parameters)
    shared = {k: v for k, v in shared.items() if k in accepted}
    return _call_reader(reader, source.path, source.name, {**shared, **source.options})


def _load_metrics(source: MetricSource, as_of: pd.Timestamp) -> LoadResult:
    if source.format == "prometheus":
        return _pull_prometheus(source, as_of)
    path = source.path
    assert path is not None  # the config model requires a path for file formats
    if source.format == "prometheus_snapshot":
        return load_snapshot(path)
    if source.format == "prometheus_json":
        return read_prometheus_json(path, range_only=True)
    if source.format == "csv":
        return read_metric_csv(
            path,
            timezone=source.timezone,
            date_order=source.date_order,
            metric=source.metric,
            column_map=source.column_map or None,
        )
    return read_metric_parquet(
        path,
        metric=source.metric,
        column_map=source.column_map or None,
        timezone=source.timezone,
    )


def _pull_prometheus(source: MetricSource, as_of: pd.Timestamp) -> LoadResult:
    assert source.url is not None and source.query is not None
    start = as_of - parse_duration(source.lookback)
    step = parse_duration(source.step).total_seconds()
    client = PrometheusSource(source.url, verify_tls=source.verify_tls)
    try:
        return client.range_query(source.query, start, as_of, step)
    finally:
        client.close()


def _load_loadtest(source: LoadTestSource) -> LoadResult:
    # rows_in counts the file's rows (requests, history rows, points), not steps.
    load = _LOADTEST_READERS[source.format](source.path)
    load.notes.insert(
        0,
        f"{source.name}: {load.rows_used:,} rows of raw {source.format} results"
        f" aggregated into {len(load.frame):,} load steps",
    )
    if source.started_at is not None:
        # The format records no time: the run's start comes from the config.
        load.frame["started_at"] = parse_instant(source.started_at, name="started_at")
        load.notes.append(
            f"{source.name}: run start {source.started_at} taken from the config"
            " (the file does not record it)"
        )
    return load


def _load_activity(config: ReadinessConfig) -> LoadResult:
    source = config.activity
    assert source is not None
    if source.format == "access_log":
        return read_access_log(source.path)
    if source.format == "activity_parquet":
        return read_activity_parquet(
            source.path, timezone=source.timezone, column_map=source.column_map or None
        )
    return read_activity_csv(
        source.path,
        timezone=source.timezone,
        date_order=source.date_order,
        column_map=source.column_map or None,
    )


def _later_than(load: LoadResult, as_of: pd.Timestamp) -> list[str]:
    """A note when an export holds tickets changed after the decision time.

    Such an export was taken later, and each ticket's priority and state are
    its last ones, not those known at ``as_of``: an open P1 downgraded a week
    later counts as the lower priority. ServiceNow event logs, and Jira REST
    issues with a changelog, are cut at the decision time by their reader
    (``known_at``) and so never trigger this; exports of one row per ticket
    hold only the last state, so the report says how many tickets this can
    touch.
    """
    frame = to_pandas(load.frame)
    columns = [
        c for c in ("first_resolved_at", "resolved_at", "closed_at") if c in frame
    ]
    if frame.empty or not columns:
        return []
    later = np.zeros(len(frame), dtype=bool)
    for column in columns:
        later |= (frame[column] > as_of).fillna(False).to_numpy(dtype=bool)
    opened = frame["created_at"] <= as_of if "created_at" in frame else True
    count = int((later & np.asarray(opened, dtype=bool)).sum())
    if count == 0:
        return []
    return [
        f"{count:,} tickets opened by the decision time were resolved or closed after"
        " it: the export was taken later, so their priority and state are the last"
        " exported, not those known at the decision time (a later priority change"
        " can move a ticket between criteria). Fix: evaluate with an export taken at"
        " the decision time"
    ]


def gather_evidence(config: ReadinessConfig, as_of: pd.Timestamp) -> Evidence:
    """Read every source named in ``config``.

    Raises the loaders' ``InputError`` for a file that cannot be used at all;
    rows that cannot be used are kept in each load's rejected table. A
    compressed file that cannot be decompressed (cut short, corrupt, or named
    ``.gz`` without being gzip) is an ``InputError`` naming it, whichever
    reader opened it.
    """
    evidence = Evidence(config=config, as_of=as_of)
    for ticket_source in config.tickets:
        with decompression_errors(ticket_source.path):
            load = _load_tickets(ticket_source, as_of)
        load.notes.extend(_later_than(load, as_of))
        evidence.tickets[ticket_source.name] = load
    for metric_source in config.metrics:
        try:
            with decompression_errors(metric_source.path):
                evidence.metrics[metric_source.name] = _load_metrics(
                    metric_source, as_of
                )
        except AnalyticsError as exc:
            if metric_source.format != "prometheus":
                raise
            # A live source that fails mid-run makes its criteria NO DATA, never GO.
            logger.warning("source %s unavailable: %s", metric_source.name, exc)
            evidence.unavailable[metric_source.name] = str(exc)
    for survey in config.surveys:
        with decompression_errors(survey.path):
            evidence.surveys[survey.name] = read_survey_csv(
                survey.path,
                kind=survey.kind,
                timezone=survey.timezone,
                date_format=survey.date_format,
                column_map=survey.column_map or None,
            )
    for loadtest in config.loadtests:
        with decompression_errors(loadtest.path):
            evidence.loadtests[loadtest.name] = _load_loadtest(loadtest)
    if config.activity is not None:
        with decompression_errors(config.activity.path):
            evidence.activity = _load_activity(config)
    if config.licences is not None:
        lic = config.licences
        with decompression_errors(lic.path):
            evidence.licences = read_licences_csv(
                lic.path,
                timezone=lic.timezone,
                date_order=lic.date_order,
                column_map=lic.column_map or None,
            )
    if config.checklist is not None:
        with decompression_errors(config.checklist.path):
            evidence.checklist = read_checklist(
                config.checklist.path,
                timezone=config.checklist.timezone,
                date_order=config.checklist.date_order,
            )
    return evidence


def _with_row_time(rejected: pd.DataFrame) -> pd.DataFrame:
    """``rejected`` with a :data:`ROW_TIME` column (all NaT when the reader gave none)."""
    if ROW_TIME in rejected:
        return rejected
    unknown = pd.Series(pd.NaT, index=rejected.index, dtype="datetime64[us, UTC]")
    return rejected.assign(**{ROW_TIME: unknown})
