"""Read PagerDuty incidents into the canonical tickets frame.

Two shapes are understood:

* the REST API ``GET /incidents`` JSON (:func:`read_pagerduty_json`), optionally
  with log entries (``include[]=log_entries`` on each incident, or a separate
  ``GET /log_entries`` file);
* the Analytics "raw incidents" export (:func:`read_pagerduty_analytics`),
  JSON (``{"data": [...]}``) or CSV, with ``seconds_to_first_ack``,
  ``seconds_to_resolve``, ``escalation_count`` and ``assignment_count``.

**Acknowledgements vanish on resolution.** An incident's ``acknowledgements``
list only holds the *current* acknowledgements, so it is empty once the
incident is resolved. An empty list is therefore not "never acknowledged":
the acknowledgement time comes from ``acknowledge_log_entry`` log entries or
the analytics ``seconds_to_first_ack`` when present, and is otherwise NA, with
a note counting the resolved incidents whose acknowledgement is unknown.

PagerDuty times are wall clock and include every hour of the day.

Reason codes: ``missing_value`` (no id or created time, or no priority and no
mapped urgency), ``duplicate_id``, ``unparseable_date``, ``unknown_priority`` (a
priority not in the map, or no priority and an urgency not in ``urgency_map``),
``negative_duration`` (a negative
``seconds_to_*``), ``resolved_before_created``, ``unparseable_number`` (also a
count that is not a whole number), ``inconsistent_value`` (analytics export:
``created_at + seconds_to_resolve`` more than a minute from ``resolved_at``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd

from analytics.errors import InputError
from analytics.frames import LoadResult
from analytics.sources._readers import (
    RowRejector,
    finish,
    iso_times,
    normalise_label,
    priority_lookup,
    read_json,
    read_text_csv,
    rename_columns,
    require_columns,
    text_column,
    tickets_frame,
)

__all__ = ["DEFAULT_PRIORITY_MAP", "read_pagerduty_analytics", "read_pagerduty_json"]

logger = logging.getLogger(__name__)

SOURCE: Final = "pagerduty"
DEFAULT_PRIORITY_MAP: Final[Mapping[str, str]] = {
    "P1": "P1",
    "P2": "P2",
    "P3": "P3",
    "P4": "P4",
    "P5": "P4",
    "SEV-1": "P1",
    "SEV-2": "P2",
    "SEV-3": "P3",
    "SEV-4": "P4",
}
"""PagerDuty's default priority names (and common SEV names) to P1..P4.
An incident without a priority takes one from ``urgency_map`` when given, and
is rejected otherwise (``missing_value``; ``unknown_priority`` when its urgency
is not in the map)."""

_ANALYTICS_FIELDS: Final = (
    "id",
    "created_at",
    "resolved_at",
    "priority_name",
    "urgency",
    "status",
    "team_name",
    "service_name",
    "seconds_to_first_ack",
    "seconds_to_resolve",
    "seconds_to_engage",
    "escalation_count",
    "assignment_count",
)
_HINT_JSON: Final = "save the body of GET /incidents (or the analytics raw export)"
_HINT_CSV: Final = "download the analytics raw incidents export as CSV"


def read_pagerduty_json(
    path: str | Path,
    *,
    log_entries: str | Path | None = None,
    priority_map: Mapping[str, str] | None = None,
    urgency_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    known_at: pd.Timestamp | None = None,
) -> LoadResult:
    """Read ``GET /incidents`` JSON as tickets.

    Parameters
    ----------
    path
        JSON with ``{"incidents": [...]}`` (or the list itself).
    log_entries
        Optional JSON of ``GET /log_entries`` (``{"log_entries": [...]}``),
        used with any ``log_entries`` embedded in the incidents.
    priority_map
        Extra priority names → P1..P4 over :data:`DEFAULT_PRIORITY_MAP`.
    urgency_map
        Urgency → P1..P4 for incidents without a priority, e.g.
        ``{"high": "P1", "low": "P3"}``. Off by default: not invented.
    column_map
        Flattened field names (``created_at``, ``priority.summary``, ...) →
        the names this reader expects.
    known_at
        The decision time, tz-aware: log entries after it are not used
        (escalations and reassignments that had not happened yet); a note
        counts them. Acknowledgement and resolution times after it are kept
        and treated as not yet happened by the evaluators.

    Returns
    -------
    LoadResult
        ``kind="tickets"``, ``source="pagerduty"``. ``created_at`` (triggered),
        ``acknowledged_at`` (earliest acknowledgement or ``acknowledge`` log
        entry), ``resolved_at`` (``resolved_at`` field, else the ``resolve``
        log entry, else ``last_status_change_at`` of a resolved incident),
        ``escalated`` and ``reassignment_count`` from log entries (NA without
        them), ``assignment_group`` = escalation policy or team,
        ``category`` = service.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> incident = {"id": "PX1", "status": "resolved", "urgency": "high",
    ...     "priority": {"summary": "P1"}, "created_at": "2026-03-02T10:00:00Z",
    ...     "last_status_change_at": "2026-03-02T10:30:00Z", "acknowledgements": [],
    ...     "log_entries": [{"type": "acknowledge_log_entry",
    ...                      "created_at": "2026-03-02T10:04:00Z"}]}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "incidents.json")
    ...     _ = p.write_text(json.dumps({"incidents": [incident]}))
    ...     r = read_pagerduty_json(p)
    >>> str(r.frame.loc[0, "acknowledged_at"]), str(r.frame.loc[0, "resolved_at"])
    ('2026-03-02 10:04:00+00:00', '2026-03-02 10:30:00+00:00')
    """
    started = time.perf_counter()
    path = Path(path)
    labels = priority_lookup(DEFAULT_PRIORITY_MAP, priority_map)
    document = read_json(path, export_hint=_HINT_JSON)
    incidents = document.get("incidents") if isinstance(document, dict) else document
    if not isinstance(incidents, list) or not incidents:
        raise InputError(
            path,
            "holds no incidents (expected {'incidents': [...]})",
            fix="save the body of GET /incidents for a time range with incidents",
        )
    extra_logs = _log_entries(Path(log_entries)) if log_entries is not None else {}

    table = pd.DataFrame.from_records(
        [_flatten(i, extra_logs, known_at) for i in incidents]
    )
    later = int(table.pop("log.later").sum()) if "log.later" in table else 0
    if column_map:
        table.columns = pd.Index(
            rename_columns(list(table.columns), column_map, None, path)
        )
    require_columns(table, ("id", "created_at"), path, column_map)
    rows = RowRejector(path, table, first_row=1)

    ident = _ids(table, rows)
    created = iso_times(table, "created_at", rows)
    rows.note_row_times(created)
    rows.reject(
        created.isna() & table["created_at"].isna(),
        "created_at",
        table["created_at"],
        "missing_value",
        "no created_at",
    )
    resolved = iso_times(table, "resolved_at", rows)
    status = text_column(table, "status")
    resolved_status = (
        (status.str.casefold() == "resolved") if status is not None else None
    )
    from_logs = iso_times(table, "log.resolve", rows)
    last_change = iso_times(table, "last_status_change_at", rows)
    resolved = resolved.fillna(from_logs)
    if resolved_status is not None:
        resolved = resolved.fillna(last_change.where(resolved_status.fillna(False)))
    rows.reject(
        resolved < created,
        "resolved_at",
        resolved.astype("string"),
        "resolved_before_created",
        "resolved before it was created",
    )

    acknowledged = iso_times(table, "ack.first", rows).fillna(
        iso_times(table, "log.acknowledge", rows)
    )
    priority, original = _priority(table, labels, urgency_map, rows)
    frame = tickets_frame(
        len(table),
        source=SOURCE,
        ticket_id=ident,
        priority=priority,
        priority_original=original,
        status=status,
        created_at=created,
        acknowledged_at=acknowledged,
        detected_at=created,
        first_resolved_at=resolved,
        resolved_at=resolved,
        reassignment_count=table.get("log.reassign_count"),
        escalated=table.get("log.escalated"),
        assignment_group=text_column(table, "group"),
        category=text_column(table, "service.summary"),
    )
    unknown_ack = int(
        (
            (resolved_status.fillna(False) if resolved_status is not None else False)
            & acknowledged.isna()
            & ~rows.rejected
        ).sum()
    )
    notes = [
        "Wall-clock times from PagerDuty (every hour counts). detected_at = created_at"
        " (the alert opened the incident); impact start is not recorded.",
        "acknowledged_at from the acknowledgements list or acknowledge log entries;"
        " the list is empty once an incident is resolved, so an empty list is not"
        " 'never acknowledged'.",
    ]
    if unknown_ack:
        notes.append(
            f"{unknown_ack:,} resolved incident(s) have no acknowledgement time (NA,"
            " not 'unacknowledged'): set options: {log_entries: <saved GET"
            " /log_entries JSON>} on this tickets source (log_entries= in Python),"
            " or use the analytics export (format: pagerduty_analytics)."
        )
    if later and known_at is not None:
        notes.append(
            f"{later:,} log entries dated after the decision time"
            f" ({known_at:%Y-%m-%d %H:%M} UTC) were not used for escalated and"
            " reassignment_count."
        )
    if not table.filter(like="log.").shape[1]:
        notes.append(
            "No log entries: escalated and reassignment_count are unknown (NA)."
        )
    return finish(frame, rows, path, kind="tickets", notes=notes, started=started)


def read_pagerduty_analytics(
    path: str | Path,
    *,
    priority_map: Mapping[str, str] | None = None,
    urgency_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
) -> LoadResult:
    """Read the Analytics raw-incidents export (JSON ``{"data": [...]}`` or CSV).

    ``acknowledged_at = created_at + seconds_to_first_ack`` and, when the
    export has no ``resolved_at``, ``resolved_at = created_at +
    seconds_to_resolve``; ``escalated = escalation_count > 0``;
    ``reassignment_count = assignment_count - 1`` (the first assignment is
    not a reassignment), floored at 0.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = ("id,created_at,priority_name,seconds_to_first_ack,seconds_to_resolve,"
    ...         "escalation_count\\nQ1,2026-03-02T10:00:00Z,P2,120,3600,1\\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "raw.csv")
    ...     _ = p.write_text(text)
    ...     r = read_pagerduty_analytics(p)
    >>> str(r.frame.loc[0, "acknowledged_at"]), bool(r.frame.loc[0, "escalated"])
    ('2026-03-02 10:02:00+00:00', True)
    """
    started = time.perf_counter()
    path = Path(path)
    labels = priority_lookup(DEFAULT_PRIORITY_MAP, priority_map)
    table = _read_analytics(path)
    if column_map:
        table.columns = pd.Index(
            rename_columns(list(table.columns), column_map, _ANALYTICS_FIELDS, path)
        )
    require_columns(table, ("id", "created_at"), path, column_map)
    is_json = not path.suffix.lower().endswith("csv") and "json" in path.name.lower()
    rows = RowRejector(path, table, first_row=1 if is_json else 2)

    ident = _ids(table, rows)
    created = iso_times(table, "created_at", rows)
    rows.note_row_times(created)
    rows.reject(
        table["created_at"].isna(),
        "created_at",
        table["created_at"],
        "missing_value",
        "no created_at",
    )
    to_ack = _seconds(table, "seconds_to_first_ack", rows)
    to_resolve = _seconds(table, "seconds_to_resolve", rows)
    exported = iso_times(table, "resolved_at", rows)
    # Both given and more than a minute apart: the export contradicts itself.
    rows.reject(
        (exported - _plus(created, to_resolve)).abs() > pd.Timedelta(minutes=1),
        "seconds_to_resolve",
        table["seconds_to_resolve"].astype("string")
        if "seconds_to_resolve" in table
        else pd.Series(pd.NA, index=table.index, dtype="string"),
        "inconsistent_value",
        "created_at + seconds_to_resolve is more than a minute away from resolved_at",
    )
    resolved = exported.fillna(_plus(created, to_resolve))
    rows.reject(
        resolved < created,
        "resolved_at",
        resolved.astype("string"),
        "resolved_before_created",
        "resolved before it was created",
    )

    escalations = _count(table, "escalation_count", rows)
    assignments = _count(table, "assignment_count", rows)
    priority, original = _priority(
        table, labels, urgency_map, rows, column="priority_name"
    )
    frame = tickets_frame(
        len(table),
        source=SOURCE,
        ticket_id=ident,
        priority=priority,
        priority_original=original,
        status=text_column(table, "status"),
        created_at=created,
        acknowledged_at=_plus(created, to_ack),
        detected_at=created,
        first_resolved_at=resolved,
        resolved_at=resolved,
        reassignment_count=(assignments - 1).clip(lower=0).round(),
        escalated=(escalations > 0).where(escalations.notna()),
        assignment_group=text_column(table, "team_name"),
        category=text_column(table, "service_name"),
    )
    notes = [
        "Analytics export: acknowledged_at = created_at + seconds_to_first_ack;"
        " resolved_at from the export or created_at + seconds_to_resolve;"
        " escalated = escalation_count > 0; reassignment_count = assignment_count - 1.",
        "detected_at = created_at; impact start is not recorded.",
    ]
    return finish(frame, rows, path, kind="tickets", notes=notes, started=started)


# --- helpers -------------------------------------------------------------------------


def _flatten(
    incident: Any,
    extra_logs: Mapping[str, list[Any]],
    known_at: pd.Timestamp | None = None,
) -> dict[str, Any]:
    if not isinstance(incident, dict):
        return {"id": None, "created_at": None}
    record: dict[str, Any] = {
        k: v for k, v in incident.items() if not isinstance(v, dict | list)
    }
    for name in ("priority", "service", "escalation_policy"):
        value = incident.get(name)
        if isinstance(value, dict):
            record[f"{name}.summary"] = value.get("summary") or value.get("name")
    teams = incident.get("teams") or []
    policy = record.get("escalation_policy.summary")
    record["group"] = (
        teams[0].get("summary") if teams and isinstance(teams[0], dict) else policy
    )
    acks = [
        a.get("at")
        for a in incident.get("acknowledgements") or []
        if isinstance(a, dict)
    ]
    record["ack.first"] = _earliest(acks)

    logs = list(incident.get("log_entries") or []) + list(
        extra_logs.get(str(incident.get("id")), [])
    )
    if not logs:
        return record
    record.update(_from_logs(logs))
    if known_at is not None:
        # Escalations and reassignments are counted as known at the decision time.
        at = pd.to_datetime(
            pd.Series(
                [e.get("created_at") if isinstance(e, dict) else None for e in logs],
                dtype="string",
            ),
            utc=True,
            format="ISO8601",
            errors="coerce",
        )
        later = (at > known_at).fillna(False).to_numpy(dtype=bool)
        record["log.later"] = int(later.sum())
        known = [entry for entry, drop in zip(logs, later, strict=True) if not drop]
        counted = _from_logs(known)
        record["log.escalated"] = counted["log.escalated"]
        record["log.reassign_count"] = counted["log.reassign_count"]
    return record


def _from_logs(logs: list[Any]) -> dict[str, Any]:
    def first(kind: str) -> Any:
        times = [
            e.get("created_at")
            for e in logs
            if isinstance(e, dict) and e.get("type") == f"{kind}_log_entry"
        ]
        return _earliest(times)

    kinds = [e.get("type") for e in logs if isinstance(e, dict)]
    return {
        "log.acknowledge": first("acknowledge"),
        "log.resolve": first("resolve"),
        "log.escalated": "escalate_log_entry" in kinds,
        "log.reassign_count": kinds.count("reassign_log_entry"),
    }


def _earliest(times: list[Any]) -> str | None:
    """Earliest of ISO times (compared as instants, not as text); unreadable ignored."""
    parsed = pd.to_datetime(
        pd.Series(times, dtype="string"), utc=True, format="ISO8601", errors="coerce"
    )
    parsed = parsed.dropna()
    return None if parsed.empty else parsed.min().isoformat()


def _log_entries(path: Path) -> dict[str, list[Any]]:
    document = read_json(path, export_hint="save the body of GET /log_entries")
    entries = document.get("log_entries") if isinstance(document, dict) else document
    by_incident: dict[str, list[Any]] = {}
    for entry in entries or []:
        if isinstance(entry, dict) and isinstance(entry.get("incident"), dict):
            by_incident.setdefault(str(entry["incident"].get("id")), []).append(entry)
    return by_incident


def _read_analytics(path: Path) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(1024).lstrip()
    if head.startswith((b"{", b"[")):
        document = read_json(path, export_hint=_HINT_JSON)
        data = document.get("data") if isinstance(document, dict) else document
        if not isinstance(data, list) or not data:
            raise InputError(
                path, "holds no incidents (expected {'data': [...]})", fix=_HINT_JSON
            )
        return pd.DataFrame.from_records(
            [d if isinstance(d, dict) else {} for d in data]
        )
    names, cells = read_text_csv(path, export_hint=_HINT_CSV)
    cells.columns = pd.Index(names)
    return cells


def _ids(table: pd.DataFrame, rows: RowRejector) -> pd.Series:
    ident = table["id"].astype("string").str.strip()
    rows.reject(
        ident.isna() | (ident == ""), "id", ident, "missing_value", "no incident id"
    )
    rows.reject(
        ident.duplicated(keep="first") & ident.notna(),
        "id",
        ident,
        "duplicate_id",
        "incident id repeats; the first is used",
    )
    return ident


def _seconds(
    table: pd.DataFrame, column: str, rows: RowRejector, *, negative_ok: bool = False
) -> pd.Series:
    if column not in table:
        return pd.Series(float("nan"), index=table.index)
    raw = table[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    rows.reject(
        raw.notna() & values.isna(),
        column,
        raw.astype("string"),
        "unparseable_number",
        "not a number",
    )
    if not negative_ok:
        rows.reject(
            values < 0,
            column,
            raw.astype("string"),
            "negative_duration",
            "a duration or count cannot be negative",
        )
    return values


def _count(table: pd.DataFrame, column: str, rows: RowRejector) -> pd.Series:
    """A count column: a number, not negative, and whole (``1.5`` escalations is no count)."""
    values = _seconds(table, column, rows, negative_ok=False)
    rows.reject(
        values.notna() & (values != values.round()),
        column,
        table[column].astype("string") if column in table else values.astype("string"),
        "unparseable_number",
        "a count must be a whole number",
    )
    return values


def _plus(created: pd.Series, seconds: pd.Series) -> pd.Series:
    return created + pd.to_timedelta(seconds.where(seconds >= 0), unit="s")


def _priority(
    table: pd.DataFrame,
    labels: Mapping[str, str],
    urgency_map: Mapping[str, str] | None,
    rows: RowRejector,
    *,
    column: str = "priority.summary",
) -> tuple[pd.Series, pd.Series]:
    """Canonical P1..P4 from the priority, else from the urgency through ``urgency_map``.

    An incident left without one fits no per-priority criterion: it is
    rejected with the reason (like ServiceNow), not kept as NA and counted
    nowhere.
    """
    none = pd.Series(pd.NA, index=table.index, dtype="string")
    original = text_column(table, column)
    original = none if original is None else original.replace("", pd.NA)
    canonical = original.map(
        lambda v: labels.get(normalise_label(v)) if isinstance(v, str) else None
    ).astype("string")
    rows.reject(
        original.notna() & canonical.isna(),
        column,
        original,
        "unknown_priority",
        "priority not in the priority map; set priority_map: {'<label>': P1, ...}"
        " on this tickets source (priority_map= in Python)",
    )
    urgency = text_column(table, "urgency")
    urgency = none if urgency is None else urgency.replace("", pd.NA)
    if urgency_map:
        by_urgency = (
            urgency.str.casefold()
            .map({k.casefold(): v for k, v in urgency_map.items()})
            .astype("string")
        )
        unmapped = original.isna() & urgency.notna() & by_urgency.isna()
        for value in sorted(urgency[unmapped].unique()):
            rows.reject(
                unmapped & (urgency == value),
                "urgency",
                urgency,
                "unknown_priority",
                f"no priority, and urgency {value!r} is not in urgency_map"
                f" {dict(urgency_map)} (ignoring case): add it, e.g. urgency_map:"
                f" {{{value}: P3}}, on this tickets source (urgency_map= in Python)",
            )
        canonical = canonical.fillna(by_urgency)
        original = original.fillna("urgency: " + urgency)
    rows.reject(
        original.isna(),
        column,
        none.fillna(""),
        "missing_value",
        "no priority"
        + (
            " and no urgency to look up in urgency_map: set one in PagerDuty"
            if urgency_map
            else ": set urgency_map (e.g. {high: P1, low: P3}) on this tickets source"
            " to rank incidents by urgency (urgency_map= in Python), or set"
            " priorities in PagerDuty"
        ),
    )
    return canonical, original
