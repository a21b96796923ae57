"""Gather the evidence a readiness config points at.

Reads every configured source once, through the loaders in
``analytics.sources``, and keeps each load's audit trail (rows in, used,
rejected, hash, time range) for the report's data section and ``run.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics.checklist import read_checklist
from analytics.config import MetricSource, ReadinessConfig, TicketSource
from analytics.errors import ConfigError
from analytics.frames import REJECTED_COLUMNS, LoadResult
from analytics.sources.metric_files import read_metric_csv, read_metric_parquet
from analytics.sources.prometheus_json import read_prometheus_json
from analytics.sources.servicenow import read_servicenow_csv

__all__ = ["Evidence", "gather_evidence", "parse_as_of"]


def parse_as_of(text: str | pd.Timestamp | None) -> pd.Timestamp:
    """The decision time as tz-aware UTC.

    A date without a time means the start of that day in UTC; a naive
    date-time is read as UTC; an explicit offset is kept and converted.

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
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"as_of {text!r} is not a date or date-time; write it as ISO 8601,"
            " e.g. 2016-06-30 or 2016-06-30T12:00:00Z"
        ) from exc
    if pd.isna(stamp):
        raise ConfigError(f"as_of {text!r} is not a date")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass
class Evidence:
    """Everything read for one report, by source name."""

    config: ReadinessConfig
    as_of: pd.Timestamp
    tickets: dict[str, LoadResult] = field(default_factory=dict)
    metrics: dict[str, LoadResult] = field(default_factory=dict)
    checklist: LoadResult | None = None

    def loads(self) -> list[tuple[str, LoadResult]]:
        """Every load, named, in config order (checklist last)."""
        named = [*self.tickets.items(), *self.metrics.items()]
        if self.checklist is not None:
            named.append(("checklist", self.checklist))
        return named

    def inventory(self) -> pd.DataFrame:
        """One row per input file: rows in / used / rejected, time range, hash."""
        rows = []
        for name, load in self.loads():
            column = {"tickets": "created_at", "samples": "timestamp"}.get(
                load.kind, "date"
            )
            first, last = load.time_range(column)
            rows.append(
                {
                    "source": name,
                    "kind": load.kind,
                    "file": load.source_file,
                    "rows_in": load.rows_in,
                    "rows_used": load.rows_used,
                    "rows_rejected": load.rows_rejected,
                    "records": len(load.frame),
                    "first": first,
                    "last": last,
                    "sha256": load.sha256,
                }
            )
        return pd.DataFrame(rows)

    def rejected(self) -> pd.DataFrame:
        """All rejected rows of all sources, with the source name first."""
        parts = [
            load.rejected.assign(source=name)
            for name, load in self.loads()
            if not load.rejected.empty
        ]
        if not parts:
            return pd.DataFrame(columns=["source", *REJECTED_COLUMNS])
        frame = pd.concat(parts, ignore_index=True)
        return frame[["source", *REJECTED_COLUMNS]]

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


def _load_tickets(source: TicketSource) -> LoadResult:
    return read_servicenow_csv(
        source.path,
        timezone=source.timezone,
        date_order=source.date_order,
        column_map=source.column_map or None,
        priority_map=source.priority_map or None,
    )


def _load_metrics(source: MetricSource) -> LoadResult:
    if source.format == "prometheus_json":
        return read_prometheus_json(source.path)
    if source.format == "csv":
        return read_metric_csv(
            source.path,
            timezone=source.timezone,
            date_order=source.date_order,
            metric=source.metric,
            column_map=source.column_map or None,
        )
    return read_metric_parquet(
        source.path, metric=source.metric, column_map=source.column_map or None
    )


def gather_evidence(config: ReadinessConfig, as_of: pd.Timestamp) -> Evidence:
    """Read every source named in ``config``.

    Raises the loaders' ``InputError`` for a file that cannot be used at all;
    rows that cannot be used are kept in each load's rejected table.
    """
    evidence = Evidence(config=config, as_of=as_of)
    for ticket_source in config.tickets:
        evidence.tickets[ticket_source.name] = _load_tickets(ticket_source)
    for metric_source in config.metrics:
        evidence.metrics[metric_source.name] = _load_metrics(metric_source)
    if config.checklist is not None:
        evidence.checklist = read_checklist(
            config.checklist.path,
            timezone=config.checklist.timezone,
            date_order=config.checklist.date_order,
        )
    return evidence
