"""Read Jira and Jira Service Management exports into the canonical tickets frame.

Two shapes are understood:

* the CSV "all fields" export (:func:`read_jira_csv`);
* the REST search JSON, ``/rest/api/*/search?expand=changelog``
  (:func:`read_jira_json`).

Quirks of the CSV export handled here, deliberately:

* **Dates follow the exporting user's profile**: format (``25/Feb/26 10:17 PM``
  by default), zone and language. Month names may be translated (``Mär``,
  ``févr.``); pass ``month_names`` to map them to English abbreviations, and
  ``timezone`` for the user's zone. A date column where no value fits the format
  is an :class:`~analytics.errors.InputError`, not a pile of rejected rows.
* **Repeated column names** (``Comment``, ``Labels``, ``Watchers``,
  ``Sprint``, ...): the header is read as written, never through pandas'
  ``Comment.1`` renaming, and the cells of a repeated name are gathered as a
  list. Comments (``date;author id;text``) give ``first_response_at``: the
  earliest comment by someone other than the reporter (needs ``Reporter Id``).
* **Quoted newlines** inside cells are read as one record; ``row_number`` in
  the rejected rows is the record's position + 1 (header = 1), which is the
  physical line only when no earlier cell holds a newline.
* **SLA cells hold remaining time**, negative once breached (``-2h 30m``), not
  elapsed time. They become ``sla_<name>_remaining_seconds`` and
  ``sla_<name>_breached`` columns, and ``sla_<name>_elapsed_seconds`` only when
  the SLA goal is given (``elapsed = goal - remaining``); without the goal the
  elapsed time is unknown and stays NA. These columns come after
  ``TICKETS_COLUMNS``.

Reason codes in ``LoadResult.rejected``:

==========================  =================================================
reason code                 meaning
==========================  =================================================
``missing_value``           no issue key, no created date, or no priority
``duplicate_id``            the issue key repeats; only the first row is read
``unparseable_date``        a date does not fit ``date_format``
``nonexistent_local_time``  a local time skipped or repeated by a DST change
``unknown_priority``        a priority label not in the priority map
``resolved_before_created`` the resolution date is before the created date
``inconsistent_duration``   a ``cycle_time_days`` column disagrees with dates
``out_of_range``            a satisfaction rating outside 1..5
``unparseable_duration``    an SLA cell that is not a duration
==========================  =================================================
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from analytics.errors import InputError
from analytics.frames import LoadResult
from analytics.sources._readers import (
    RowRejector,
    finish,
    iso_times,
    normalise_label,
    parse_formatted_dates,
    priority_lookup,
    read_json,
    read_text_csv,
    rename_columns,
    require_columns,
    text_column,
    tickets_frame,
)

__all__ = [
    "DEFAULT_PRIORITY_MAP",
    "JIRA_DATE_FORMAT",
    "MONTH_NAMES",
    "parse_sla_remaining",
    "read_jira_csv",
    "read_jira_json",
]

SOURCE: Final = "jira"

JIRA_DATE_FORMAT: Final = "%d/%b/%y %I:%M %p"
"""Jira's default export format, ``dd/MMM/yy h:mm a`` (``25/Feb/26 10:17 PM``)."""

DEFAULT_PRIORITY_MAP: Final[Mapping[str, str]] = {
    "Highest": "P1",
    "Blocker": "P1",
    "Critical": "P1",
    "High": "P2",
    "Major": "P2",
    "Medium": "P3",
    "Minor": "P3",
    "Low": "P4",
    "Lowest": "P4",
    "Trivial": "P4",
}
"""Jira's built-in priority names to P1..P4 (case and blanks ignored)."""

MONTH_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "de": {
        "Jän": "Jan",
        "Mär": "Mar",
        "Mai": "May",
        "Okt": "Oct",
        "Dez": "Dec",
    },
    "fr": {
        "janv.": "Jan",
        "févr.": "Feb",
        "mars": "Mar",
        "avr.": "Apr",
        "mai": "May",
        "juin": "Jun",
        "juil.": "Jul",
        "août": "Aug",
        "sept.": "Sep",
        "oct.": "Oct",
        "nov.": "Nov",
        "déc.": "Dec",
    },
}
"""Small month-name maps for translated exports; pass one (or your own) as
``month_names``. Only names that differ from English need an entry."""

_SLA_COLUMNS: Final[Mapping[str, str]] = {
    "Time to first response": "first_response",
    "Time to resolution": "resolution",
}
_CSV_FIELDS: Final = {
    "ticket_id": "Issue key",
    "created_at": "Created",
    "resolved_at": "Resolved",
    "priority": "Priority",
    "status": "Status",
    "category": "Issue Type",
    "csat_score": "Satisfaction rating",
    "reporter_id": "Reporter Id",
    "comment": "Comment",
    "cycle_time_days": "cycle_time_days",
}
_REQUIRED_CSV: Final = ("Issue key", "Created")
_RESOLVED_STATUSES: Final = frozenset({"done", "resolved", "closed", "cancelled"})
_PAUSE_STATUSES: Final = frozenset(
    {"waiting for customer", "pending", "on hold", "waiting for support"}
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])", re.IGNORECASE)
_DURATION_TEXT = re.compile(r"^\s*-?\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$", re.IGNORECASE)
_CLOCK_TEXT = re.compile(r"^\s*(-?)(\d+):(\d{2})(?::(\d{2}))?\s*$")
_UNIT_SECONDS: Final = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60, "s": 1}


def read_jira_csv(
    path: str | Path,
    *,
    date_format: str = JIRA_DATE_FORMAT,
    timezone: str = "UTC",
    month_names: Mapping[str, str] | None = None,
    priority_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    sla_columns: Mapping[str, str] | None = None,
    sla_goals_seconds: Mapping[str, float] | None = None,
    sla_duration_day_hours: float = 8.0,
) -> LoadResult:
    """Read a Jira CSV export (plain or gzip) as a tickets frame.

    Parameters
    ----------
    path
        The CSV file.
    date_format
        ``strptime`` format of the export's dates, from the exporting user's
        profile. ``"%Y-%m-%d"`` for ISO dates.
    timezone
        IANA zone of the exporting user's profile: Jira writes dates in it.
    month_names
        Translated month names to English abbreviations, e.g.
        ``MONTH_NAMES["de"]`` or ``{"Mär": "Mar"}``.
    priority_map
        Extra priority labels → P1..P4, merged over :data:`DEFAULT_PRIORITY_MAP`.
    column_map
        The file's column names → the Jira names this reader expects
        (``Issue key``, ``Created``, ``Resolved``, ``Priority``, ``Status``,
        ``Issue Type``, ``Satisfaction rating``, ``Reporter Id``, ``Comment``,
        ``cycle_time_days`` and SLA column names).
    sla_columns
        SLA column name → short name used in the output columns; default
        ``Time to first response`` → ``first_response`` and
        ``Time to resolution`` → ``resolution`` (those present are used).
    sla_goals_seconds
        Goal of each SLA (short name → seconds), to turn remaining time into
        elapsed time. Without it elapsed time stays NA.
    sla_duration_day_hours
        Hours in a ``d`` of an SLA cell (Jira's time-tracking day, 8 by default;
        a week is five such days).

    Returns
    -------
    LoadResult
        ``kind="tickets"``, ``source="jira"``, one row per issue, sorted by
        ``ticket_id``: ``TICKETS_COLUMNS`` then the SLA columns.

    Raises
    ------
    InputError
        Missing, empty, non-UTF-8 or non-CSV file; missing required column; a
        date column where no value fits ``date_format``.
    ConfigError
        ``priority_map`` or ``column_map`` is invalid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = (
    ...     "Issue key,Priority,Created,Resolved,Labels,Labels\\n"
    ...     "SD-1,High,25/Feb/26 10:17 PM,26/Feb/26 9:00 AM,vip,eu\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     csv = pathlib.Path(tmp, "jira.csv")
    ...     _ = csv.write_text(text)
    ...     result = read_jira_csv(csv, timezone="Europe/Berlin")
    >>> str(result.frame.loc[0, "created_at"]), result.frame.loc[0, "priority"]
    ('2026-02-25 21:17:00+00:00', 'P2')
    """
    started = time.perf_counter()
    path = Path(path)
    labels = priority_lookup(DEFAULT_PRIORITY_MAP, priority_map)
    sla_names = dict(_SLA_COLUMNS if sla_columns is None else sla_columns)

    names, cells = read_text_csv(
        path, export_hint="export the issues as CSV (all fields)"
    )
    names = rename_columns(names, column_map, (*_CSV_FIELDS.values(), *sla_names), path)
    table = _gather_repeated(names, cells, path, repeated_ok={"Comment"})
    require_columns(table, _REQUIRED_CSV, path, column_map)

    rows = RowRejector(path, table)
    frame = _csv_tickets(table, rows, labels, date_format, timezone, month_names, path)
    sla = _sla_frame(table, rows, sla_names, sla_goals_seconds, sla_duration_day_hours)
    frame = pd.concat([frame, sla], axis=1)

    notes = [
        f"Dates read with format {date_format!r} in {timezone}"
        + (f", month names mapped {dict(month_names)!r}" if month_names else "")
        + ".",
        "CSV export has no status history: first_resolved_at = resolved_at;"
        " reopen, reassignment, escalation and on-hold time unknown (NA).",
    ]
    if sla_names.keys() & set(table.columns):
        notes.append(
            "SLA cells hold remaining time (negative = breached);"
            " elapsed = goal - remaining, NA where the goal was not given."
        )
    if "Comment" in table and "Reporter Id" not in table:
        notes.append(
            "Comment columns but no Reporter Id column: a reply cannot be told from"
            " the reporter's own comments, so first_response_at is unknown (NA)."
            " Fix: export the Reporter Id field too, or map it with column_map."
        )
    return finish(frame, rows, path, kind="tickets", notes=notes, started=started)


def read_jira_json(
    path: str | Path,
    *,
    priority_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    sla_fields: Mapping[str, str] | None = None,
    resolved_statuses: Iterable[str] = _RESOLVED_STATUSES,
    pause_statuses: Iterable[str] = _PAUSE_STATUSES,
    known_at: pd.Timestamp | None = None,
) -> LoadResult:
    """Read the Jira REST search JSON (``issues`` with ``changelog``) as tickets.

    Parameters
    ----------
    path
        A JSON file holding ``{"issues": [...]}`` (one search page or several
        concatenated into one list) or the list itself.
    priority_map
        Extra priority labels → P1..P4.
    column_map
        Flattened field names (``fields.created``, ``key``, ...) → the names
        this reader expects, for custom fields standing in for standard ones.
    sla_fields
        JSM SLA custom field id → role: ``"first_response"`` or
        ``"resolution"``, e.g. ``{"customfield_10030": "first_response"}``.
        The first *completed cycle*'s stop time gives ``first_response_at``;
        ``elapsedTime`` and ``breached`` become ``sla_<role>_elapsed_seconds``
        and ``sla_<role>_breached``.
    resolved_statuses, pause_statuses
        Status names (case ignored) meaning resolved, and meaning the clock is
        paused (waiting for the customer).
    known_at
        The decision time, tz-aware. An export is often taken later: changelog
        entries after it are not used (reopens, reassignments, pauses and
        escalations that had not happened yet), and an issue whose priority or
        status changed after it gets the value it had then (the ``fromString``
        of the first later change), and one resolved after it the resolution
        it had then (none, or the earlier resolution it was reopened from).
        A note counts the issues this touched. Issues without a changelog keep
        their exported values (dates after ``known_at`` are treated as not yet
        happened by the evaluators).

    Returns
    -------
    LoadResult
        ``kind="tickets"``; from the changelog: ``first_resolved_at`` (first
        move into a resolved status), ``reopen_count`` (moves out of one),
        ``reassignment_count`` (assignee changes after the first assignment),
        ``on_hold_seconds`` (time in pause statuses) and ``escalated``
        (priority raised, or status ``Escalated``). NA without a changelog.
        ``pauses`` holds the intervals behind ``on_hold_seconds`` (from a move
        into a pause status to the next status change; a pause still open at
        the last change is not counted): ``ticket_id``, ``pause_start``,
        ``pause_end``, their durations summing to ``on_hold_seconds`` per
        kept issue. None when no issue has a changelog.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> issue = {"key": "SD-1", "fields": {"created": "2026-02-25T22:17:00.000+0100",
    ...     "resolutiondate": None, "priority": {"name": "Highest"},
    ...     "status": {"name": "Open"}}}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "search.json")
    ...     _ = p.write_text(json.dumps({"issues": [issue]}))
    ...     result = read_jira_json(p)
    >>> result.frame.loc[0, "priority"], str(result.frame.loc[0, "created_at"])
    ('P1', '2026-02-25 21:17:00+00:00')
    """
    started = time.perf_counter()
    path = Path(path)
    labels = priority_lookup(DEFAULT_PRIORITY_MAP, priority_map)
    document = read_json(
        path, export_hint="save the search response with expand=changelog"
    )
    issues = document.get("issues") if isinstance(document, dict) else document
    if not isinstance(issues, list) or not issues:
        raise InputError(
            path,
            "holds no issues (expected {'issues': [...]} from /rest/api/3/search)",
            fix="save the body of a search request that matched issues",
        )

    records = [_flatten_issue(issue, sla_fields or {}) for issue in issues]
    table = pd.DataFrame.from_records(records)
    if column_map:
        names = rename_columns(list(table.columns), column_map, None, path)
        table.columns = pd.Index(names)
    require_columns(table, ("key", "fields.created"), path, column_map)

    rows = RowRejector(path, table, first_row=1)
    history = pd.DataFrame(
        [
            _history(
                issue,
                set(map(str.casefold, resolved_statuses)),
                set(map(str.casefold, pause_statuses)),
                known_at,
            )
            for issue in issues
        ],
        index=table.index,
    )
    rewound = _rewind(
        table, history, known_at, set(map(str.casefold, resolved_statuses))
    )
    frame = _json_tickets(table, rows, labels, history)
    notes = [
        "REST JSON: times carry their own offsets. Status history from changelog;"
        " issues without one have NA history fields.",
        "on_hold_seconds = time from each move into a pause status to the next"
        " status change, summed; the same intervals are kept as paused intervals,"
        " which a business-hours clock takes off.",
        "row_number is the issue's 1-based position in the list.",
    ]
    later = int(history["changes_after"].sum())
    if known_at is not None and later:
        notes.append(
            f"{later:,} changelog entries dated after the decision time"
            f" ({known_at:%Y-%m-%d %H:%M} UTC) were not used; {rewound:,} issues"
            " take the priority, status or resolution date they had then."
        )
    result = finish(frame, rows, path, kind="tickets", notes=notes, started=started)
    result.pauses = _pause_frame(frame, history, kept=~rows.rejected.to_numpy())
    return result


def _rewind(
    table: pd.DataFrame,
    history: pd.DataFrame,
    known_at: pd.Timestamp | None,
    resolved_statuses: set[str],
) -> int:
    """Priority, status and resolution date as they were at ``known_at``.

    Only issues with a changelog change (in ``table``, in place); the count of
    issues changed is returned. Priority and status take the value before their
    first later change. An issue resolved after ``known_at`` was, at that time,
    either open (no resolution date) or resolved by an earlier move that it
    was later reopened from (that move's time).
    """
    if known_at is None:
        return 0
    changed = np.zeros(len(table), dtype=bool)
    for field in ("priority", "status"):
        then = history[f"{field}_then"]
        column = f"fields.{field}"
        mask = then.notna().to_numpy(dtype=bool)
        if mask.any() and column in table:
            table[column] = table[column].astype(object).where(~mask, then)
            changed |= mask
    column = "fields.resolutiondate"
    if column in table:
        with_history = history["reopen_count"].notna().to_numpy(dtype=bool)
        stated = pd.to_datetime(
            table[column], utc=True, errors="coerce", format="ISO8601"
        )
        later = with_history & (stated > known_at).fillna(False).to_numpy(dtype=bool)
        status = table.get("fields.status", pd.Series("", index=table.index))
        resolved_then = status.astype("string").str.casefold().isin(resolved_statuses)
        earlier = pd.to_datetime(history["last_resolved_at"], utc=True)
        value = earlier.where(resolved_then.to_numpy(dtype=bool))
        cells = [None if pd.isna(v) else v.isoformat() for v in value]
        table[column] = (
            table[column]
            .astype(object)
            .where(~later, pd.Series(cells, index=table.index, dtype=object))
        )
        changed |= later
    return int(changed.sum())


def parse_sla_remaining(
    text: pd.Series, *, day_hours: float = 8.0
) -> tuple[pd.Series, pd.Series]:
    """Parse Jira SLA cells (``-2h 30m``, ``1d 4h``, ``-0:45``) to seconds.

    Parameters
    ----------
    text
        SLA cells; empty cells are missing, not zero.
    day_hours
        Hours in a ``d`` (Jira's working day); ``w`` is five days.

    Returns
    -------
    tuple of pandas.Series
        Seconds (``Float64``, negative when breached, NA when missing or
        unreadable) and a boolean mask of non-empty cells that are unreadable.

    Examples
    --------
    >>> cells = pd.Series(["-2h 30m", "1d", "0:45", "x", None])
    >>> seconds, bad = parse_sla_remaining(cells)
    >>> seconds.tolist()
    [-9000.0, 28800.0, 2700.0, <NA>, <NA>]
    >>> bad.tolist()
    [False, False, False, True, False]
    """
    units = {**_UNIT_SECONDS, "d": day_hours * 3600, "w": 5 * day_hours * 3600}
    raw = text.astype("string").str.strip()
    present = raw.notna() & (raw != "")
    values: list[float | None] = []
    for cell in raw.fillna(""):
        values.append(_duration_seconds(str(cell), units))
    seconds = pd.Series(pd.array(values, dtype="Float64"), index=text.index)
    unreadable = present & seconds.isna()
    return seconds, unreadable.astype(bool)


def _duration_seconds(cell: str, units: Mapping[str, float]) -> float | None:
    clock = _CLOCK_TEXT.match(cell)
    if clock:
        sign = -1.0 if clock.group(1) else 1.0
        secs = int(clock.group(2)) * 3600 + int(clock.group(3)) * 60
        return sign * (secs + int(clock.group(4) or 0))
    if not _DURATION_TEXT.match(cell):
        return None
    total = sum(float(n) * units[u.lower()] for n, u in _DURATION_PART.findall(cell))
    return -total if cell.lstrip().startswith("-") else total


# --- CSV -----------------------------------------------------------------------------


def _gather_repeated(
    names: list[str], cells: pd.DataFrame, path: Path, *, repeated_ok: set[str]
) -> pd.DataFrame:
    """One column per distinct name; a repeated name's cells become a list.

    Jira repeats a header once per value (``Labels``, ``Comment``, ...). A
    repeated column that this reader needs as a single value is an error.
    """
    columns: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        positions = [i for i, n in enumerate(names) if n == name]
        if len(positions) == 1:
            columns[name] = cells.iloc[:, positions[0]]
            continue
        single = set(_CSV_FIELDS.values()) - repeated_ok - {"Labels"}
        if name in single:
            raise InputError(
                path,
                f"column {name!r} appears {len(positions)} times; it must be single",
                fix="export again, or map one of them with column_map",
            )
        block = cells.iloc[:, positions]
        columns[name] = [
            [v for v in row if isinstance(v, str)] for row in block.to_numpy()
        ]
    return pd.DataFrame(columns, index=cells.index)


def _csv_tickets(
    table: pd.DataFrame,
    rows: RowRejector,
    labels: Mapping[str, str],
    date_format: str,
    timezone: str,
    month_names: Mapping[str, str] | None,
    path: Path,
) -> pd.DataFrame:
    key = table["Issue key"].str.strip()
    rows.reject(
        key.isna() | (key == ""),
        "Issue key",
        key,
        "missing_value",
        "the row has no issue key",
    )
    rows.reject(
        key.duplicated(keep="first") & key.notna(),
        "Issue key",
        key,
        "duplicate_id",
        "issue key repeats an earlier row's; only the first row with a key is read"
        " (when that row is rejected too, the issue is not used)",
    )

    parse: dict[str, Any] = {
        "date_format": date_format,
        "timezone": timezone,
        "month_names": month_names,
    }
    created = _dates(table, "Created", rows, path, **parse)
    rows.note_row_times(created)
    rows.reject(
        table["Created"].isna(),
        "Created",
        table["Created"],
        "missing_value",
        "the issue has no created date",
    )
    resolved = _dates(table, "Resolved", rows, path, **parse)
    rows.reject(
        resolved < created,
        "Resolved",
        table.get("Resolved"),
        "resolved_before_created",
        "resolved before it was created",
    )
    _check_cycle_time(table, created, resolved, rows)

    priority, original = _priorities(table, "Priority", labels, rows)
    csat = _csat(table, rows, "Satisfaction rating")
    first_response = _first_comment_response(table, created, **parse)
    return tickets_frame(
        len(table),
        source=SOURCE,
        ticket_id=key,
        priority=priority,
        priority_original=original,
        status=text_column(table, "Status"),
        created_at=created,
        first_response_at=first_response,
        first_resolved_at=resolved,
        resolved_at=resolved,
        category=text_column(table, "Issue Type"),
        csat_score=csat,
    )


def _dates(
    table: pd.DataFrame,
    column: str,
    rows: RowRejector,
    path: Path,
    *,
    date_format: str,
    timezone: str,
    month_names: Mapping[str, str] | None,
) -> pd.Series:
    if column not in table:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[us, UTC]")
    values, unparseable, bad_local = parse_formatted_dates(
        table[column],
        date_format=date_format,
        timezone=timezone,
        month_names=month_names,
    )
    present = table[column].notna()
    if present.any() and unparseable[present].all():
        raise InputError(
            path,
            f"no value of column {column!r} fits the date format {date_format!r}",
            column=column,
            value=table.loc[present, column].iloc[0],
            fix='set options: {date_format: "<the exporting user\'s profile format>",'
            " month_names: {...}} on this tickets source (month_names for translated"
            " month names; date_format= / month_names= in Python)",
        )
    rows.reject(
        unparseable,
        column,
        table[column],
        "unparseable_date",
        f"not a date in the format {date_format!r}",
    )
    rows.reject(
        bad_local,
        column,
        table[column],
        "nonexistent_local_time",
        f"this local time does not exist or happens twice in {timezone}",
    )
    return values


def _check_cycle_time(
    table: pd.DataFrame, created: pd.Series, resolved: pd.Series, rows: RowRejector
) -> None:
    """A ``cycle_time_days`` column must agree with the dates it was computed from."""
    if "cycle_time_days" not in table:
        return
    stated = pd.to_numeric(table["cycle_time_days"], errors="coerce")
    days = (resolved.dt.normalize() - created.dt.normalize()).dt.days
    rows.reject(
        stated < 0,
        "cycle_time_days",
        table["cycle_time_days"],
        "negative_duration",
        "cycle time is negative",
    )
    rows.reject(
        days.notna() & stated.notna() & (stated >= 0) & (stated != days),
        "cycle_time_days",
        table["cycle_time_days"],
        "inconsistent_duration",
        "cycle_time_days differs from the days between created and resolved",
    )


def _first_comment_response(
    table: pd.DataFrame,
    created: pd.Series,
    *,
    date_format: str,
    timezone: str,
    month_names: Mapping[str, str] | None,
) -> pd.Series:
    """Earliest comment (``date;author;text``) by anyone but the reporter."""
    empty = pd.Series(pd.NaT, index=table.index, dtype="datetime64[us, UTC]")
    if "Comment" not in table or "Reporter Id" not in table:
        return empty
    comments = table["Comment"].map(lambda v: v if isinstance(v, list) else [v])
    exploded = comments.explode().dropna()
    parts = exploded.astype("string").str.split(";", n=2, expand=True)
    if parts.shape[1] < 2:
        return empty
    when, _, _ = parse_formatted_dates(
        parts[0], date_format=date_format, timezone=timezone, month_names=month_names
    )
    reporter = table["Reporter Id"].reindex(parts.index)
    by_other = parts[1].str.strip() != reporter.astype("string").str.strip()
    first = when.where(by_other.fillna(True) & (when >= created.reindex(when.index)))
    return first.groupby(level=0).min().reindex(table.index).astype(empty.dtype)


def _sla_frame(
    table: pd.DataFrame,
    rows: RowRejector,
    sla_names: Mapping[str, str],
    goals: Mapping[str, float] | None,
    day_hours: float,
) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for column, name in sla_names.items():
        if column not in table:
            continue
        remaining, unreadable = parse_sla_remaining(table[column], day_hours=day_hours)
        rows.reject(
            unreadable,
            column,
            table[column],
            "unparseable_duration",
            "SLA cell is not a duration like '-2h 30m'",
        )
        goal = (goals or {}).get(name)
        out[f"sla_{name}_remaining_seconds"] = remaining
        out[f"sla_{name}_breached"] = (remaining < 0).astype("boolean")
        out[f"sla_{name}_elapsed_seconds"] = (
            (float(goal) - remaining)
            if goal is not None
            else pd.Series(pd.NA, index=table.index, dtype="Float64")
        )
    return pd.DataFrame(out, index=table.index)


# --- REST JSON -----------------------------------------------------------------------


def _flatten_issue(issue: Any, sla_fields: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(issue, dict):
        return {"key": None}
    fields = issue.get("fields") or {}
    record: dict[str, Any] = {"key": issue.get("key")}
    for name, value in fields.items():
        if isinstance(value, dict) and name not in sla_fields:
            keys = ("name", "value", "displayName", "rating")
            value = next((value[k] for k in keys if k in value), None)
        record[f"fields.{name}"] = value
    for field_id, role in sla_fields.items():
        record.update(_sla_cycle(fields.get(field_id), role))
    return record


def _sla_cycle(value: Any, role: str) -> dict[str, Any]:
    """The first completed cycle of a JSM SLA field."""
    cycles = (value or {}).get("completedCycles") if isinstance(value, dict) else None
    if not cycles:
        return {}
    first = cycles[0]
    stop = (first.get("stopTime") or {}).get("epochMillis")
    elapsed = (first.get("elapsedTime") or {}).get("millis")
    return {
        f"sla.{role}.stop": stop,
        f"sla.{role}.elapsed_ms": elapsed,
        f"sla.{role}.breached": first.get("breached"),
    }


def _json_tickets(
    table: pd.DataFrame,
    rows: RowRejector,
    labels: Mapping[str, str],
    history: pd.DataFrame,
) -> pd.DataFrame:
    key = table["key"].astype("string").str.strip()
    rows.reject(key.isna() | (key == ""), "key", key, "missing_value", "no issue key")
    rows.reject(
        key.duplicated(keep="first") & key.notna(),
        "key",
        key,
        "duplicate_id",
        "issue key repeats an earlier issue's; only the first is read (when that one"
        " is rejected too, the issue is not used)",
    )

    created = iso_times(table, "fields.created", rows, noun="date")
    rows.note_row_times(created)
    rows.reject(
        table["fields.created"].isna(),
        "fields.created",
        table["fields.created"],
        "missing_value",
        "no created date",
    )
    resolved = iso_times(table, "fields.resolutiondate", rows, noun="date")
    rows.reject(
        resolved < created,
        "fields.resolutiondate",
        table.get("fields.resolutiondate"),
        "resolved_before_created",
        "resolved before it was created",
    )

    first_move = pd.to_datetime(history["first_resolved_at"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    first_move = first_move.where(first_move.notna(), resolved)
    first_resolved = first_move.where(first_move <= resolved, resolved)
    priority, original = _priorities(table, "fields.priority", labels, rows)
    extra = {
        c.replace("sla.", "sla_").replace(".", "_"): table[c]
        for c in table.columns
        if c.startswith("sla.")
    }
    frame = tickets_frame(
        len(table),
        source=SOURCE,
        ticket_id=key,
        priority=priority,
        priority_original=original,
        status=text_column(table, "fields.status"),
        created_at=created,
        first_response_at=_epoch_ms(table.get("sla.first_response.stop")),
        first_resolved_at=first_resolved,
        resolved_at=resolved,
        on_hold_seconds=history["on_hold_seconds"],
        reassignment_count=history["reassignment_count"],
        reopen_count=history["reopen_count"],
        escalated=history["escalated"],
        category=text_column(table, "fields.issuetype"),
        csat_score=_csat(table, rows, "fields.satisfaction"),
    )
    for name, values in extra.items():
        if name.endswith("_elapsed_ms"):
            frame[name.removesuffix("_ms") + "_seconds"] = (
                pd.to_numeric(values, errors="coerce").astype("Float64") / 1000
            ).to_numpy()
        elif name.endswith("_breached"):
            frame[name] = values.astype("boolean").to_numpy()
    return frame


def _history(
    issue: Any,
    resolved_statuses: set[str],
    pause_statuses: set[str],
    known_at: pd.Timestamp | None = None,
) -> dict[str, Any]:
    """First resolution, reopens, reassignments, pauses, escalation: changelog.

    Entries after ``known_at`` are left out; ``priority_then`` and
    ``status_then`` are the values before the first later change (None when
    the field did not change after it).
    """
    unknown: dict[str, Any] = {
        "first_resolved_at": pd.NaT,
        "reopen_count": pd.NA,
        "reassignment_count": pd.NA,
        "on_hold_seconds": pd.NA,
        "escalated": pd.NA,
        "pauses": None,
        "priority_then": None,
        "status_then": None,
        "changes_after": 0,
        "last_resolved_at": pd.NaT,
    }
    changelog = issue.get("changelog") if isinstance(issue, dict) else None
    if not isinstance(changelog, dict) or "histories" not in changelog:
        return unknown
    events = []
    for entry in changelog["histories"]:
        at = pd.to_datetime(entry.get("created"), utc=True, format="ISO8601")
        for item in entry.get("items", []):
            events.append(
                (at, item.get("field"), item.get("fromString"), item.get("toString"))
            )
    events.sort(key=lambda e: e[0])
    unknown_then = [e for e in events if known_at is not None and e[0] > known_at]
    events = [e for e in events if known_at is None or e[0] <= known_at]
    then = {
        field: next((e[2] for e in unknown_then if e[1] == field), None)
        for field in ("priority", "status")
    }

    first_resolved, reopens, reassigns, held, escalated = pd.NaT, 0, 0, 0.0, False
    last_resolved = pd.NaT
    paused_since: pd.Timestamp | None = None
    pauses: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for at, field, before, after in events:
        if field == "status":
            now, was = str(after or "").casefold(), str(before or "").casefold()
            if now in resolved_statuses and pd.isna(first_resolved):
                first_resolved = at
            if now in resolved_statuses and was not in resolved_statuses:
                last_resolved = at
            reopens += int(was in resolved_statuses and now not in resolved_statuses)
            escalated |= now == "escalated"
            if paused_since is not None:
                held += (at - paused_since).total_seconds()
                if at > paused_since:
                    pauses.append((paused_since, at))
                paused_since = None
            if now in pause_statuses:
                paused_since = at
        elif field == "assignee":
            reassigns += int(before is not None)
        elif field == "priority":
            escalated |= _raised(before, after)
    return {
        "first_resolved_at": first_resolved,
        "reopen_count": reopens,
        "reassignment_count": reassigns,
        "on_hold_seconds": held,
        "escalated": escalated,
        "pauses": pauses,
        "priority_then": then["priority"],
        "status_then": then["status"],
        "changes_after": len(unknown_then),
        "last_resolved_at": last_resolved,
    }


def _pause_frame(
    frame: pd.DataFrame, history: pd.DataFrame, *, kept: Any
) -> pd.DataFrame | None:
    """:attr:`LoadResult.pauses` of the kept issues; None without any changelog."""
    if history["pauses"].isna().all():
        return None
    spans = [
        (ticket_id, start, end)
        for ticket_id, intervals in zip(
            frame["ticket_id"].to_numpy()[kept],
            history["pauses"].to_numpy()[kept],
            strict=True,
        )
        for start, end in intervals or ()
    ]
    times = "datetime64[us, UTC]"
    pauses = pd.DataFrame(
        spans, columns=["ticket_id", "pause_start", "pause_end"]
    ).astype({"ticket_id": "string", "pause_start": times, "pause_end": times})
    order = ["ticket_id", "pause_start", "pause_end"]
    return pauses.sort_values(order, kind="stable").reset_index(drop=True)


def _raised(before: Any, after: Any) -> bool:
    rank = {k.casefold(): int(v[1]) for k, v in DEFAULT_PRIORITY_MAP.items()}
    old, new = rank.get(str(before).casefold()), rank.get(str(after).casefold())
    return old is not None and new is not None and new < old


def _epoch_ms(values: pd.Series | None) -> pd.Series | None:
    if values is None:
        return None
    millis = pd.to_numeric(values, errors="coerce")
    return pd.to_datetime(millis, unit="ms", utc=True).astype("datetime64[us, UTC]")


def _priorities(
    table: pd.DataFrame, column: str, labels: Mapping[str, str], rows: RowRejector
) -> tuple[pd.Series, pd.Series]:
    """Canonical P1..P4 and the original label; a ticket without either is rejected.

    A ticket with no priority, or one the map does not know, fits no
    per-priority criterion: it is rejected with the reason, like ServiceNow,
    rather than kept as NA and counted nowhere.
    """
    original = text_column(table, column)
    absent = original is None
    if original is None:
        original = pd.Series(pd.NA, index=table.index, dtype="string")
    original = original.replace("", pd.NA)
    canonical = original.map(
        lambda v: labels.get(normalise_label(v)) if isinstance(v, str) else None
    ).astype("string")
    rows.reject(
        original.isna(),
        column,
        original.fillna(""),
        "missing_value",
        (
            f"the export has no {column} column, so no issue has a priority: export"
            " it with the Priority field"
            if absent
            else "priority is empty, so the issue fits no per-priority criterion: set"
            " its priority in Jira and export again"
        ),
    )
    known = ", ".join(sorted({label.title() for label in DEFAULT_PRIORITY_MAP}))
    rows.reject(
        original.notna() & canonical.isna(),
        column,
        original,
        "unknown_priority",
        f"priority label not in the priority map ({known}, ignoring case); set"
        " priority_map: {'<label>': P1, ...} on this tickets source (priority_map="
        " in Python)",
    )
    return canonical, original


def _csat(table: pd.DataFrame, rows: RowRejector, column: str) -> pd.Series | None:
    if column not in table:
        return None
    raw = table[column]
    if raw.map(lambda v: isinstance(v, dict)).any():
        raw = raw.map(lambda v: v.get("rating") if isinstance(v, dict) else v)
    score = pd.to_numeric(raw, errors="coerce")
    rows.reject(
        raw.notna() & score.isna(),
        column,
        raw.astype("string"),
        "unparseable_number",
        "satisfaction rating is not a number",
    )
    rows.reject(
        score.notna() & ((score < 1) | (score > 5) | (score % 1 != 0)),
        column,
        raw.astype("string"),
        "out_of_range",
        "satisfaction rating is not a whole number in 1..5",
    )
    return score.astype("Float64")
