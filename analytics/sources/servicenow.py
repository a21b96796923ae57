"""Read ServiceNow ``incident`` exports into the canonical tickets frame.

CSV (:func:`read_servicenow_csv`), JSON (:func:`read_servicenow_json`, the
``JSONv2`` table export and the REST Table API) and XML
(:func:`read_servicenow_xml`) exports are read into the same raw table and go
through the same validation and collapse. Two shapes of export are understood:

* a plain list export, one row per incident;
* an *event log* (audit trail), one row per update of an incident, such as the
  public UCI "incident management process enriched event log" (141,712 rows
  for 24,918 incidents). It is collapsed to one row per incident with the rule
  described in :func:`read_servicenow_csv`.

ServiceNow CSV (and XML) exports carry the *stored* UTC values, not the
exporting user's display zone, so naive times are read as UTC by default.
Excel and PDF exports are different: they carry the user's display zone and
format; pass ``timezone=`` for those.

Rows that cannot be used are listed in ``LoadResult.rejected`` with one of the
reason codes below. When a ticket is rejected, every input row of that ticket
is listed, so that ``rows_in == rows_used + rows_rejected`` holds exactly.

==========================  =================================================
reason code                 meaning
==========================  =================================================
``missing_value``           no ``number``; or the ticket's last row has no
                            ``opened_at`` or no ``priority``; or (event log)
                            a row has no ``sys_updated_at``/``sys_mod_count``
``unparseable_date``        a date in any row of the ticket is not a date in
                            the file's date order
``nonexistent_local_time``  a naive local time does not exist (or happens
                            twice) in ``timezone``
``unknown_priority``        the last row's priority is not a known label
``unknown_state``           a stored ``incident_state`` code (a number) that
                            is not a known state code nor in ``state_map``
``invalid_number``          a count is not a non-negative integer
``resolved_before_opened``  the final (or first) resolution is before
                            ``opened_at``
``duplicate_row``           an exact copy of an earlier row; in a plain
                            export also a repeated ticket number
==========================  =================================================
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal, cast
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import polars as pl

from analytics.errors import ConfigError, InputError
from analytics.frames import (
    AFTER_DECISION_TIME,
    TICKETS_COLUMNS,
    LoadResult,
    Rejections,
    file_sha256,
)
from analytics.sources._compressed import decompression_errors
from analytics.sources._csv import (
    refuse_semicolon_separated,
    wide_text_encoding,
    wide_text_error,
)
from analytics.timeparse import (
    DateOrder,
    ParsedTimes,
    detect_date_order,
    parse_timestamps,
)

__all__ = [
    "DEFAULT_PRIORITY_MAP",
    "DEFAULT_STATE_CODES",
    "read_servicenow_csv",
    "read_servicenow_json",
    "read_servicenow_xml",
]

logger = logging.getLogger(__name__)

SOURCE: Final = "servicenow"

DEFAULT_PRIORITY_MAP: Final[Mapping[str, str]] = {
    "1 - Critical": "P1",
    "2 - High": "P2",
    "3 - Moderate": "P3",
    "4 - Low": "P4",
    "1": "P1",
    "2": "P2",
    "3": "P3",
    "4": "P4",
    "Critical": "P1",
    "High": "P2",
    "Moderate": "P3",
    "Medium": "P3",
    "Low": "P4",
}
"""ServiceNow priority labels and codes to canonical P1..P4 (matched ignoring
case and surrounding blanks)."""

DEFAULT_STATE_CODES: Final[Mapping[str, str]] = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
"""Stored ``incident_state`` (and task ``state``) codes of an out-of-the-box
ServiceNow instance and their labels. JSON and XML exports without display
values hold these codes; an instance's own codes go in ``state_map``."""

_CANONICAL_PRIORITIES: Final = ("P1", "P2", "P3", "P4")
_STATE_CODE: Final = r"-?\d+"
_REQUIRED: Final = ("number", "priority", "incident_state", "opened_at", "resolved_at")
_OPTIONAL: Final = (
    "closed_at",
    "reassignment_count",
    "reopen_count",
    "assignment_group",
    "category",
    "sys_updated_at",
    "sys_mod_count",
)
_EVENT_LOG_REQUIRED: Final = ("sys_updated_at",)
# Every column the reader uses; the fast path parses only these into text.
_USED: Final = (*_REQUIRED, *_OPTIONAL)
# Columns the reader adds to the raw table (line number, file order); not the file's.
_HELPER_COLUMNS: Final = frozenset({"_row", "_pos"})
_MISSING_MARKERS: Final = ["?", ""]
_RESOLVED_STATES: Final = frozenset({"resolved"})
"""States whose first update is a resolution. Not ``Closed``: closing often
follows the resolution by days, and a ticket closed without being resolved has
no known resolution time (see analytics.metrics.resolution)."""
_ON_HOLD_PREFIXES: Final = ("awaiting", "on hold")
_NOT_IN_EXPORT: Final = (
    "first_response_at",
    "acknowledged_at",
    "detected_at",
    "impact_started_at",
    "escalated",
    "csat_score",
)
_SNIFF_BYTES: Final = 64 * 1024
_NOT_UTF8_FIX: Final = (
    "export the file again as UTF-8 CSV, or convert it (iconv -t UTF-8)"
)
_ORDER_FORMATS: Final = {
    "iso": "ISO (YYYY-MM-DD HH:MM)",
    "dayfirst": "day-first d/m/Y H:M",
    "monthfirst": "month-first m/d/Y H:M",
}


def read_servicenow_csv(
    path: str | Path,
    *,
    timezone: str = "UTC",
    date_order: DateOrder = "auto",
    event_log: bool | None = None,
    priority_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    state_map: Mapping[str, str] | None = None,
    known_at: pd.Timestamp | None = None,
) -> LoadResult:
    """Read a ServiceNow incident CSV export (plain or gzip) as a tickets frame.

    Parameters
    ----------
    path
        The CSV file; ``.gz`` (or any gzip content) is decompressed.
    timezone
        IANA zone of naive timestamps. The default ``"UTC"`` is right for
        ServiceNow CSV exports, which carry stored UTC values; Excel/PDF
        exports carry the exporting user's display zone instead.
    date_order
        ``"auto"`` (detect once from all date columns together), ``"iso"``,
        ``"dayfirst"`` or ``"monthfirst"``. An order the data cannot tell
        raises :class:`~analytics.errors.InputError`.
    event_log
        ``True`` if the file has one row per update, ``False`` for one row
        per incident, ``None`` to decide from the data: a ticket number that
        repeats (after exact duplicate rows are set aside) means an event log.
    priority_map
        Extra or overriding priority labels, e.g. ``{"5 - Planning": "P4"}``.
        Merged over :data:`DEFAULT_PRIORITY_MAP`; values must be P1..P4.
    column_map
        The file's column names mapped to the ServiceNow names this reader
        expects, for renamed exports, e.g. ``{"Number": "number"}``.
    state_map
        Extra or overriding stored state codes, e.g. ``{"9": "Awaiting
        Vendor"}``, merged over :data:`DEFAULT_STATE_CODES`. An
        ``incident_state`` that is a number (a stored code, as the Table API
        writes without display values) is replaced by its label, so ``8`` is
        ``Canceled`` and ``7`` ``Closed``; a number with no label rejects its
        ticket (``unknown_state``). Labels such as ``Resolved`` are kept.
    known_at
        The decision time. An event log's updates after it were not known
        then: those rows are set aside (``after_decision_time``) before each
        ticket is collapsed, so a ticket keeps the priority and state it had
        at that time. None uses every row. Exports of one row per ticket
        hold only their last state and are not cut.
    Returns
    -------
    LoadResult
        ``kind="tickets"``; ``frame`` has exactly ``TICKETS_COLUMNS``, one row
        per kept ticket, sorted by ``ticket_id``; ``source="servicenow"``.

    Raises
    ------
    InputError
        The file is missing, empty, has no data rows, is not a UTF-8 CSV
        (or is separated by semicolons),
        lacks a required column, or a date column cannot be read at all.
    ConfigError
        ``priority_map``, ``column_map`` or ``state_map`` is invalid.

    Notes
    -----
    Columns used: ``number`` → ``ticket_id``, ``priority`` → ``priority``
    (original in ``priority_original``), ``incident_state`` → ``status``,
    ``opened_at`` → ``created_at``, ``resolved_at``, ``closed_at``,
    ``reassignment_count``, ``reopen_count``, ``assignment_group``,
    ``category``; in an event log also ``sys_mod_count`` and
    ``sys_updated_at``. ``first_response_at``, ``acknowledged_at``,
    ``detected_at``, ``impact_started_at`` and ``csat_score`` are not in this
    export and stay empty; ``escalated`` is unknown (NA).

    **Event-log collapse.** Each ticket's rows (exact duplicates removed) are
    ordered by ``sys_mod_count``, then ``sys_updated_at``, then file order.

    * The *last* row gives the ticket's attributes: priority, status,
      ``resolved_at`` (the final resolution), ``closed_at``, the counts,
      assignment group, category, and ``created_at`` (its ``opened_at``).
    * ``first_resolved_at`` is the earliest ``sys_updated_at`` of a row whose
      ``incident_state`` is ``Resolved`` (not ``Closed``: a closing time is
      never taken for a resolution time), capped at the final
      ``resolved_at`` (a first resolution cannot come after the final one);
      when no such row exists, it is ``resolved_at``.
    * ``on_hold_seconds`` is the sum, over rows whose state starts with
      ``Awaiting`` (or is ``On Hold``), of the time from that row's
      ``sys_updated_at`` to the next row's. A ticket whose last row is on
      hold gets nothing for that open interval; an interval whose next update
      has an earlier timestamp counts zero.
    * ``pauses`` of the result lists those same intervals (each with a
      positive length) per kept ticket: ``ticket_id``, ``pause_start`` (the
      on-hold update), ``pause_end`` (the next update). Per ticket their
      durations sum to ``on_hold_seconds``; a business-hours clock takes their
      working hours off (:mod:`analytics.metrics.support`).
    * Dates and ``sys_mod_count`` are checked on every row (they order and
      time the log); priority and counts only on the last row (only it is
      used).

    In a plain export ``first_resolved_at`` equals ``resolved_at``,
    ``on_hold_seconds`` is NA and ``pauses`` is None.

    ``row_number`` in ``rejected`` is the parsed row index + 2 (header = line
    1). A quoted cell holding a newline would shift later line numbers; the
    number is then the record's position, not its physical line.

    The file is read and collapsed with polars (timings in
    ``benchmarks/results/tickets.md``); files with an unusual layout (blank
    lines, ragged rows, repeated or padded header names) take the pandas path.
    Both give the same frame, rejections and errors;
    ``tests/test_servicenow_fast_path.py`` checks that.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = (
    ...     "number,priority,incident_state,opened_at,resolved_at\\n"
    ...     "INC1,1 - Critical,Resolved,29/2/2016 01:16,29/2/2016 02:16\\n"
    ...     "INC2,4 - Low,Active,1/3/2016 10:00,?\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     csv = pathlib.Path(tmp, "incidents.csv")
    ...     _ = csv.write_text(text)
    ...     result = read_servicenow_csv(csv)
    >>> result.frame[["ticket_id", "priority", "status"]].to_numpy().tolist()
    [['INC1', 'P1', 'Resolved'], ['INC2', 'P4', 'Active']]
    >>> str(result.frame.loc[0, "resolved_at"])
    '2016-02-29 02:16:00+00:00'
    """
    fast = _read_csv_fast(
        Path(path),
        timezone=timezone,
        date_order=date_order,
        event_log=event_log,
        priority_map=priority_map,
        column_map=column_map,
        state_map=state_map,
        known_at=known_at,
    )
    if fast is not None:
        return fast
    return _read_export(
        Path(path),
        _CSV,
        timezone=timezone,
        date_order=date_order,
        event_log=event_log,
        priority_map=priority_map,
        column_map=column_map,
        state_map=state_map,
        known_at=known_at,
    )


def read_servicenow_json(
    path: str | Path,
    *,
    timezone: str = "UTC",
    date_order: DateOrder = "auto",
    event_log: bool | None = None,
    priority_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    state_map: Mapping[str, str] | None = None,
    known_at: pd.Timestamp | None = None,
) -> LoadResult:
    """Read a ServiceNow incident JSON export (plain or gzip) as a tickets frame.

    Two shapes are understood: the table export ``{"records": [...]}`` (the
    ``incident.do?JSONv2`` export) and the REST Table API response
    ``{"result": [...]}``. Each record is an object of field name → value. A
    value is a string (or number, boolean, null) or, for reference and choice
    fields, an object such as ``{"display_value": "...", "value": "..."}`` or
    ``{"link": "...", "value": "..."}``: for ``priority``,
    ``incident_state`` (or ``state``), ``assignment_group`` and ``category``
    its ``display_value`` is used when present, else its ``value``; other
    fields use ``value`` (the stored value; a display value of a date would
    be in the exporting user's zone).

    Raw codes without display values (``incident.do?JSONv2``, REST
    ``sysparm_display_value=false``: ``"priority": "1"``,
    ``"incident_state": "7"``) are mapped too: priority codes 1..4 by
    :data:`DEFAULT_PRIORITY_MAP`, state codes by :data:`DEFAULT_STATE_CODES`
    over ``state_map`` (e.g. ``{"9": "Awaiting Vendor"}`` for an instance's
    own state). A numeric state with no label rejects its ticket
    (``unknown_state``); an unknown priority code is ``unknown_priority``.
    Records with a task ``state`` but no ``incident_state`` use ``state``.

    Keyword options, the output, the collapse rule and the rejection reasons
    are those of :func:`read_servicenow_csv`; the stored values in these
    exports are UTC (``YYYY-MM-DD HH:MM:SS``), so the default ``timezone`` is
    right. ``column_map`` renames the records' field names.

    ``row_number`` in ``rejected`` is the 1-based index of the record in the
    list (the first record is row 1).

    Raises
    ------
    InputError
        The file is missing, not UTF-8 JSON, not one of the two shapes, holds
        no records, or a record or value is not of the shapes above; and as
        for :func:`read_servicenow_csv`.
    ConfigError
        ``priority_map`` or ``column_map`` is invalid.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> records = [
    ...     {"number": "INC1", "priority": {"display_value": "1 - Critical",
    ...      "value": "1"}, "incident_state": "Resolved",
    ...      "opened_at": "2016-02-29 01:16:00", "resolved_at": "2016-02-29 02:16:00"},
    ... ]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     export = pathlib.Path(tmp, "incident.json")
    ...     _ = export.write_text(json.dumps({"records": records}))
    ...     result = read_servicenow_json(export)
    >>> result.frame[["ticket_id", "priority", "priority_original"]].to_numpy().tolist()
    [['INC1', 'P1', '1 - Critical']]
    """
    return _read_export(
        Path(path),
        _JSON,
        timezone=timezone,
        date_order=date_order,
        event_log=event_log,
        priority_map=priority_map,
        column_map=column_map,
        state_map=state_map,
        known_at=known_at,
    )


def read_servicenow_xml(
    path: str | Path,
    *,
    timezone: str = "UTC",
    date_order: DateOrder = "auto",
    event_log: bool | None = None,
    priority_map: Mapping[str, str] | None = None,
    column_map: Mapping[str, str] | None = None,
    state_map: Mapping[str, str] | None = None,
    known_at: pd.Timestamp | None = None,
) -> LoadResult:
    """Read a ServiceNow incident XML export (plain or gzip) as a tickets frame.

    The shape is the ``incident.do?XML`` export, ``<xml><incident>...
    </incident>...</xml>``, each ``<incident>`` holding one child element per
    field (the list's "Export → XML" file, rooted at ``<unload>``, is read the
    same way). An element's text is its value; for ``priority``,
    ``incident_state``, ``assignment_group`` and ``category`` a
    ``display_value`` attribute, when present, is used instead.

    A document type declaration (``<!DOCTYPE``, which can declare entities) is
    refused rather than parsed.

    Keyword options, the output, the collapse rule and the rejection reasons
    are those of :func:`read_servicenow_csv`; the stored values in this export
    are UTC (``YYYY-MM-DD HH:MM:SS``). ``column_map`` renames the field
    element names.

    ``row_number`` in ``rejected`` is the 1-based index of the ``<incident>``
    element (the first one is row 1).

    Raises
    ------
    InputError
        The file is missing, not well-formed XML, has a ``<!DOCTYPE``, has a
        root other than ``<xml>``/``<unload>`` or children other than
        ``<incident>``, or holds no incidents; and as for
        :func:`read_servicenow_csv`.
    ConfigError
        ``priority_map`` or ``column_map`` is invalid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = (
    ...     "<xml><incident><number>INC1</number><priority>2</priority>"
    ...     "<incident_state>Active</incident_state>"
    ...     "<opened_at>2016-02-29 01:16:00</opened_at><resolved_at/></incident></xml>"
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     export = pathlib.Path(tmp, "incident.xml")
    ...     _ = export.write_text(text)
    ...     result = read_servicenow_xml(export)
    >>> result.frame[["ticket_id", "priority", "status"]].to_numpy().tolist()
    [['INC1', 'P2', 'Active']]
    """
    return _read_export(
        Path(path),
        _XML,
        timezone=timezone,
        date_order=date_order,
        event_log=event_log,
        priority_map=priority_map,
        column_map=column_map,
        state_map=state_map,
        known_at=known_at,
    )


# --- the shared pipeline ---


@dataclass(frozen=True)
class _Export:
    """How one export format is read into the raw text table."""

    label: str
    # Reads the raw table: every cell text or missing, one row per record.
    read: Callable[[Path, Mapping[str, str] | None], pd.DataFrame]
    # The rejection row number of the first record.
    first_row: int
    # Whether a record's task ``state`` stands in for a missing
    # ``incident_state`` (JSON, XML). Stored state codes are labelled in every
    # format.
    codes: bool = False


AFTER_DECISION: Final = AFTER_DECISION_TIME
"""Reason code of event-log rows updated after the decision time (``known_at``)."""


def _after_message(known_at: pd.Timestamp) -> str:
    return (
        f"updated after the decision time ({known_at:%Y-%m-%d %H:%M} UTC), so not"
        " known then: not used (the ticket keeps its state at the decision time)"
    )


def _read_export(
    path: Path,
    export: _Export,
    *,
    timezone: str,
    date_order: DateOrder,
    event_log: bool | None,
    priority_map: Mapping[str, str] | None,
    column_map: Mapping[str, str] | None,
    state_map: Mapping[str, str] | None = None,
    known_at: pd.Timestamp | None = None,
) -> LoadResult:
    """Raw table → validated, collapsed tickets frame (every format's pipeline)."""
    started = time.perf_counter()
    labels = _priority_lookup(priority_map)
    states = _state_lookup(state_map)

    raw = export.read(path, column_map)
    raw = _apply_column_map(raw, column_map, path)
    if export.codes:
        raw = _state_fallback(raw)
    _require_columns(raw, _REQUIRED, path, column_map)

    rejections = Rejections(path)
    rows = _select_candidate_rows(
        raw, rejections, event_log=event_log, first_row=export.first_row
    )
    if rows.event_log:
        _require_columns(
            raw,
            _EVENT_LOG_REQUIRED,
            path,
            column_map,
            why=" (event log)",
            repeated=rows.repeated,
        )

    tickets = _TicketRejector(raw, rows.candidates, rejections)
    kept_numbers = _label_state_codes(
        rows.candidates, tickets, states, stored=export.codes
    )
    order = _parse_dates(
        rows.candidates, tickets, path, timezone, date_order, rows.event_log
    )
    # A row's own time is its ticket's opening (as written on that row).
    rejections.note_row_times(rows.candidates["_row"], rows.candidates["opened_at_t"])
    others = raw.loc[~raw.index.isin(rows.candidates.index)]
    rejections.note_row_times(
        others["_row"], _own_times(others["opened_at"], order, timezone, path)
    )
    _check_event_order_columns(rows.candidates, tickets, event_log=rows.event_log)
    if rows.event_log and known_at is not None:
        later = rows.candidates["sys_updated_at_t"] > known_at
        rejections.add_many(
            rows.candidates.loc[later, "_row"],
            "sys_updated_at",
            rows.candidates.loc[later, "sys_updated_at"],
            AFTER_DECISION,
            _after_message(known_at),
        )
        rows = replace(rows, candidates=rows.candidates.loc[~later])
        tickets.narrow_to(rows.candidates)
    frame, pauses = _collapse(
        rows.candidates, tickets, labels, event_log=rows.event_log
    )

    used = raw["number"].isin(frame["ticket_id"]) & raw.index.isin(
        rows.candidates.index
    )
    result = LoadResult(
        frame=frame,
        rejected=rejections.frame(),
        source_file=str(path),
        kind="tickets",
        rows_in=len(raw),
        rows_used=int(used.sum()),
        sha256=file_sha256(path),
        pauses=pauses,
        row_times=rejections.row_times(),
    )
    result.notes.extend(kept_numbers)
    return _finish(
        result, export.label, timezone, order, event_log=rows.event_log, started=started
    )


def _finish(
    result: LoadResult,
    label: str,
    timezone: str,
    order: str,
    *,
    event_log: bool,
    started: float,
) -> LoadResult:
    """Notes, the row accounting check and the log line, for every read path."""
    result.notes.extend(_notes(result, label, timezone, order, event_log=event_log))
    result.check_accounting()
    logger.info(
        "read %s: %d rows, %d tickets, %d rows rejected, %.2f s",
        result.source_file,
        result.rows_in,
        len(result.frame),
        result.rows_rejected,
        time.perf_counter() - started,
    )
    return result


# --- reading the file ---


def _read_raw(path: Path, column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read every cell as text; ``?`` and empty cells become missing."""
    compression = _sniff(path)
    try:
        with decompression_errors(path):
            raw = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=_MISSING_MARKERS,
                encoding="utf-8-sig",
                compression=compression,
            )
    except UnicodeDecodeError as error:
        raise InputError(
            path,
            f"is not UTF-8 text ({error.reason} at byte {error.start:,})",
            fix=_NOT_UTF8_FIX,
        ) from error
    except pd.errors.EmptyDataError as error:
        raise InputError(
            path, "is empty", fix="export the incident table again with its header row"
        ) from error
    except (pd.errors.ParserError, OSError, EOFError) as error:
        raise InputError(
            path,
            f"is not a well-formed CSV file ({error})",
            fix="export the incident list from ServiceNow as CSV",
        ) from error

    raw.columns = pd.Index([str(name).strip() for name in raw.columns])
    refuse_semicolon_separated(raw.columns, path)
    if raw.empty:
        raise InputError(
            path,
            "has a header but no data rows",
            fix="check the export's filter; it selected no incidents",
        )
    return raw


def _sniff(path: Path) -> Literal["gzip"] | None:
    """Look at the first bytes: refuse what is clearly not a UTF-8 CSV.

    Returns the compression to pass to pandas (gzip is recognised by content,
    not only by the ``.gz`` suffix).
    """
    not_csv = "export the incident list from ServiceNow as CSV"
    try:
        with path.open("rb") as handle:
            magic = handle.read(2)
        compression: Literal["gzip"] | None = "gzip" if magic == b"\x1f\x8b" else None
        if compression:
            with decompression_errors(path), gzip.open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        else:
            with path.open("rb") as handle:
                head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError as error:
        raise InputError(path, "does not exist", fix="check the path") from error
    except (OSError, EOFError) as error:
        raise InputError(path, f"cannot be read ({error})", fix=not_csv) from error

    if not head.strip():
        raise InputError(
            path, "is empty", fix="export the incident table with its header"
        )
    if b"\x00" in head:
        wide = wide_text_encoding(head)
        if wide is not None:
            raise wide_text_error(path, wide)
        raise InputError(path, "is a binary file, not a CSV text file", fix=not_csv)
    if head.lstrip().startswith((b"{", b"[")):
        raise InputError(path, "looks like JSON, not CSV", fix=not_csv)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniff limit is not an error.
        if error.start < len(head) - 3:
            raise InputError(
                path,
                f"is not UTF-8 text (byte {head[error.start]:#04x} at {error.start:,})",
                fix=_NOT_UTF8_FIX,
            ) from error
    return compression


# --- JSON and XML exports: records → the same raw text table ---

_JSON_FIX: Final = (
    "export the incident table as JSON (incident.do?JSONv2) or save the REST"
    " Table API response (/api/now/table/incident)"
)
_XML_FIX: Final = "export the incident table as XML (incident.do?XML)"
# Fields whose display value (a label or a name) is wanted rather than the
# stored value (a code or a sys_id).
_DISPLAY_FIELDS: Final = frozenset(
    {"priority", "incident_state", "state", "assignment_group", "category"}
)
_XML_ROOTS: Final = frozenset({"xml", "unload"})
_XML_RECORD: Final = "incident"


def _read_bytes(path: Path, fix: str) -> bytes:
    """The file's bytes, gzip decompressed by content; empty files refused."""
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            with decompression_errors(path):
                data = gzip.decompress(data)
    except FileNotFoundError as error:
        raise InputError(path, "does not exist", fix="check the path") from error
    except (OSError, EOFError) as error:
        raise InputError(path, f"cannot be read ({error})", fix=fix) from error
    if not data.strip():
        raise InputError(path, "is empty", fix=fix)
    return data


def _display_fields(column_map: Mapping[str, str] | None) -> frozenset[str]:
    """The file's names of the fields read by display value."""
    renamed = {
        theirs for theirs, ours in (column_map or {}).items() if ours in _DISPLAY_FIELDS
    }
    return _DISPLAY_FIELDS | renamed


def _raw_table(records: list[dict[str, str | None]]) -> pd.DataFrame:
    """Records (field → text or None) → the raw table the CSV reader produces."""
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    raw = pd.DataFrame.from_records(records, columns=list(columns))
    raw = raw.astype(object).where(raw.notna(), np.nan)
    raw.columns = pd.Index([str(name).strip() for name in raw.columns])
    return raw


def _text(value: object) -> str | None:
    """A scalar JSON/XML value as CSV-like text; missing markers become None."""
    if value is None:
        return None
    # JSON booleans as ServiceNow writes them in CSV.
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return None if text in _MISSING_MARKERS else text


def _read_json_raw(path: Path, column_map: Mapping[str, str] | None) -> pd.DataFrame:
    data = _read_bytes(path, _JSON_FIX)
    try:
        document = json.loads(data)
    except UnicodeDecodeError as error:
        raise InputError(
            path, f"is not UTF-8 text ({error.reason})", fix=_NOT_UTF8_FIX
        ) from error
    except json.JSONDecodeError as error:
        raise InputError(
            path,
            f"is not JSON ({error.msg} at line {error.lineno}, column {error.colno})",
            fix=_JSON_FIX,
        ) from error
    records = _json_records(document, path)
    display = _display_fields(column_map)
    return _raw_table(
        [_json_record(record, index, display, path) for index, record in records]
    )


def _json_records(document: object, path: Path) -> list[tuple[int, object]]:
    """The record list of either JSON shape, with 1-based record indexes."""
    if isinstance(document, dict) and "error" in document and "result" not in document:
        error = document["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise InputError(
            path,
            f"is a ServiceNow error response, not an export ({message!r})",
            fix=_JSON_FIX,
        )
    key = next(
        (
            k
            for k in ("records", "result")
            if isinstance(document, dict) and k in document
        ),
        None,
    )
    if key is None:
        found = (
            f"an object with keys {', '.join(map(repr, list(document)[:5]))}"
            if isinstance(document, dict)
            else f"a JSON {type(document).__name__}"
        )
        raise InputError(
            path,
            f'is {found}, not a ServiceNow export ({{"records": [...]}} or'
            ' {"result": [...]})',
            fix=_JSON_FIX,
        )
    assert isinstance(document, dict)
    records = document[key]
    if not isinstance(records, list):
        raise InputError(
            path,
            f"{key!r} is a JSON {type(records).__name__}, not a list of records",
            fix=_JSON_FIX + "; query the table, not one record",
        )
    if not records:
        raise InputError(
            path,
            f"{key!r} holds no records",
            fix="check the export's filter; it selected no incidents",
        )
    return list(enumerate(records, start=1))


def _json_record(
    record: object, index: int, display: frozenset[str], path: Path
) -> dict[str, str | None]:
    if not isinstance(record, dict):
        raise InputError(
            path,
            f"record {index:,} is a JSON {type(record).__name__}, not an object of"
            " fields",
            row=index,
            fix=_JSON_FIX,
        )
    return {
        str(field): _json_value(value, field in display, index, str(field), path)
        for field, value in record.items()
    }


def _json_value(
    value: object, display: bool, index: int, field: str, path: Path
) -> str | None:
    """A field's text: a scalar, or the wanted part of a reference object."""
    if isinstance(value, dict):
        keys = ("display_value", "value") if display else ("value",)
        wanted = next((key for key in keys if key in value), None)
        if wanted is None:
            raise InputError(
                path,
                f"record {index:,} field {field!r} is an object without"
                f" {' or '.join(map(repr, keys))}",
                row=index,
                column=field,
                fix="export with sysparm_display_value=false (or all)",
            )
        value = value[wanted]
    if isinstance(value, (dict, list)):
        raise InputError(
            path,
            f"record {index:,} field {field!r} holds a nested"
            f" {type(value).__name__}, not a value",
            row=index,
            column=field,
            fix=_JSON_FIX,
        )
    return _text(value)


class _RefuseDoctype(ElementTree.TreeBuilder):
    """A tree builder that stops at a document type declaration."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeFoundError(name)


class _DoctypeFoundError(Exception):
    """Raised by :class:`_RefuseDoctype`; carries the declared root name."""


def _read_xml_raw(path: Path, column_map: Mapping[str, str] | None) -> pd.DataFrame:
    data = _read_bytes(path, _XML_FIX)
    parser = ElementTree.XMLParser(target=_RefuseDoctype())
    try:
        parser.feed(data)
        root = parser.close()
    except _DoctypeFoundError as error:
        raise InputError(
            path,
            f"has a document type declaration (<!DOCTYPE {error}>), which can"
            " declare entities; it is refused",
            fix="remove the <!DOCTYPE ...> part; ServiceNow exports have none",
        ) from error
    except ElementTree.ParseError as error:
        raise InputError(
            path, f"is not well-formed XML ({error})", fix=_XML_FIX
        ) from error
    if root.tag not in _XML_ROOTS:
        raise InputError(
            path,
            f"has root element <{root.tag}>, not <xml> (or <unload>)",
            fix=_XML_FIX,
        )
    others = sorted({child.tag for child in root} - {_XML_RECORD})
    if others:
        raise InputError(
            path,
            f"holds <{'>, <'.join(others)}> elements; only <{_XML_RECORD}> records"
            " are read",
            fix=_XML_FIX + " of the incident table only",
        )
    if len(root) == 0:
        raise InputError(
            path,
            f"holds no <{_XML_RECORD}> records",
            fix="check the export's filter; it selected no incidents",
        )
    display = _display_fields(column_map)
    records = []
    for element in root:
        record: dict[str, str | None] = {}
        for field in element:
            shown = field.get("display_value") if field.tag in display else None
            record[field.tag] = _text(shown if shown is not None else field.text)
        records.append(record)
    return _raw_table(records)


_CSV: Final = _Export("CSV", _read_raw, first_row=2)
_JSON: Final = _Export("JSON", _read_json_raw, first_row=1, codes=True)
_XML: Final = _Export("XML", _read_xml_raw, first_row=1, codes=True)


def _apply_column_map(
    raw: pd.DataFrame, column_map: Mapping[str, str] | None, path: Path
) -> pd.DataFrame:
    if not column_map:
        return raw
    known = (*_REQUIRED, *_OPTIONAL)
    for theirs, ours in column_map.items():
        if ours not in known:
            raise ConfigError(
                f"column_map maps {theirs!r} to {ours!r}, not a column this reader"
                f" uses; expected one of {', '.join(known)}"
            )
        if theirs not in raw.columns:
            raise InputError(
                path,
                f"column_map names column {theirs!r}, which is not in the file;"
                f" its columns are {', '.join(map(str, raw.columns))}",
                fix="correct the left-hand names of column_map",
            )
    renamed = raw.rename(columns=dict(column_map))
    if renamed.columns.duplicated().any():
        twice = sorted(set(renamed.columns[renamed.columns.duplicated()]))
        raise InputError(
            path,
            f"after column_map, column(s) {', '.join(twice)} appear twice",
            fix="map only one of the file's columns to each ServiceNow name",
        )
    return renamed


def _require_columns(
    raw: pd.DataFrame,
    required: tuple[str, ...],
    path: Path,
    column_map: Mapping[str, str] | None,
    *,
    why: str = "",
    repeated: str | None = None,
) -> None:
    """Refuse a file without ``required``.

    ``repeated`` is the ticket number whose repetition made the reader guess an
    event log; the message then says so and how to read a plain export.
    """
    missing = [name for name in required if name not in raw.columns]
    if not missing:
        return
    # The reader's helper columns are not the file's: leave them out.
    there = ", ".join(str(c) for c in raw.columns if c not in _HELPER_COLUMNS)
    example = ", ".join(f"'<your name for {name}>': {name!r}" for name in missing)
    mapped = f" (after column_map {dict(column_map)!r})" if column_map else ""
    fix = (
        f"set column_map: {{{example}}} on this source in the config if the export"
        " renamed them (column_map= in Python)"
    )
    guess = ""
    if repeated is not None:
        guess = (
            f"; ticket number {repeated!r} repeats, so the file was read as an"
            " event log (one row per update)"
        )
        fix = (
            "if the file is a plain export (one row per incident), set"
            " options: {event_log: false} in the ticket source config"
            f" (event_log=False in Python); otherwise {fix}"
        )
    raise InputError(
        path,
        f"required column(s) {', '.join(missing)}{why} not found{mapped};"
        f" the file has: {there}{guess}",
        fix=fix,
    )


def _priority_lookup(priority_map: Mapping[str, str] | None) -> dict[str, str]:
    """Normalised label → P1..P4, defaults overridden by ``priority_map``."""
    merged = {**DEFAULT_PRIORITY_MAP, **(priority_map or {})}
    for label, canonical in merged.items():
        if canonical not in _CANONICAL_PRIORITIES:
            raise ConfigError(
                f"priority_map maps {label!r} to {canonical!r}; values must be one of"
                f" {', '.join(_CANONICAL_PRIORITIES)}"
            )
    return {_normalise_label(label): canonical for label, canonical in merged.items()}


def _state_lookup(state_map: Mapping[str, str] | None) -> dict[str, str]:
    """State code → label, defaults overridden by ``state_map``."""
    merged = {**DEFAULT_STATE_CODES, **(state_map or {})}
    for code, label in merged.items():
        if not re.fullmatch(_STATE_CODE, str(code).strip()) or not str(label).strip():
            raise ConfigError(
                f"state_map maps {code!r} to {label!r}; keys must be numeric state"
                " codes and values state labels, e.g. {'9': 'Awaiting Vendor'}"
            )
    return {str(code).strip(): str(label).strip() for code, label in merged.items()}


def _label_state_codes(
    rows: pd.DataFrame,
    tickets: _TicketRejector,
    states: Mapping[str, str],
    *,
    stored: bool,
) -> list[str]:
    """Replace numeric ``incident_state`` codes by labels in place.

    A number with no label rejects its ticket when the states are stored codes:
    always in a JSON/XML export (``stored``), and in a CSV that holds a known
    code or no label at all. A CSV of labels with no known code (a
    display-value export) keeps such a number as written, as it always did (the
    public UCI log has ``-100``); the returned note says so.
    """
    state = rows["incident_state"].str.strip()
    coded = state.str.fullmatch(_STATE_CODE, na=False)
    if not coded.any():
        return []
    labels = state.where(coded).map(states)
    unknown = coded & labels.isna()
    values = sorted(state[unknown].unique())
    notes: list[str] = []
    known = bool((coded & ~unknown).any())
    if values and not stored and not known and _holds_labels(rows["incident_state"]):
        notes = _kept_numbers_note(values, int(unknown.sum()))
    else:
        for value in values:
            tickets.reject_rows(
                unknown & (state == value),
                "incident_state",
                "unknown_state",
                _unknown_state_message(value, states),
            )
    rows.loc[coded & ~unknown, "incident_state"] = labels[coded & ~unknown]
    return notes


def _holds_labels(state: pd.Series) -> bool:
    """Whether some state text is a label (not blank, not a stored code)."""
    stripped = state.str.strip()
    label = stripped.notna() & (stripped != "")
    return bool((label & ~stripped.str.fullmatch(_STATE_CODE, na=False)).any())


def _kept_numbers_note(values: list[str], rows: int) -> list[str]:
    if not values:
        return []
    shown = ", ".join(repr(value) for value in values)
    return [
        f"incident_state holds labels and no known state code; {rows:,} row(s)"
        f" hold a number that is no state code ({shown}), kept as written. If it is an instance's own state,"
        " label it with options: {state_map: {'<code>': '<label>'}}."
    ]


def _unknown_state_message(value: str, states: Mapping[str, str]) -> str:
    known = ", ".join(f"{code} {label}" for code, label in states.items())
    return (
        f"incident_state {value!r} is a stored state code with no known label"
        f" (known: {known}); map it with options: {{state_map: {{'{value}':"
        " '<label>'}} in the ticket source config (state_map= in Python)"
    )


def _state_code_labels(state: pd.Series, states: Mapping[str, str]) -> pd.Series:
    """Per state text: its label if it is a known stored code, ``""`` if an
    unknown code, missing if it is not a code (as :func:`_label_state_codes`)."""
    stripped = state.str.strip()
    coded = stripped.str.fullmatch(_STATE_CODE, na=False)
    labels = stripped.where(coded).map(states)
    return labels.where(~coded | labels.notna(), "")


def _state_fallback(raw: pd.DataFrame) -> pd.DataFrame:
    """Use a record's task ``state`` where it has no ``incident_state``.

    Record by record: in a file where some records carry ``incident_state``
    and others only ``state``, each record uses its own.
    """
    if "state" not in raw:
        return raw
    if "incident_state" not in raw:
        return raw.rename(columns={"state": "incident_state"})
    raw["incident_state"] = raw["incident_state"].where(
        raw["incident_state"].notna(), raw["state"]
    )
    return raw


def _normalise_label(label: str) -> str:
    return " ".join(str(label).split()).casefold()


# --- choosing rows ---


@dataclass(frozen=True)
class _Candidates:
    candidates: pd.DataFrame
    event_log: bool
    # The first repeating ticket number, when it made the reader guess an event log.
    repeated: str | None = None


def _select_candidate_rows(
    raw: pd.DataFrame,
    rejections: Rejections,
    *,
    event_log: bool | None,
    first_row: int,
) -> _Candidates:
    """Set aside rows without a number and duplicates; decide the export's shape.

    Adds helper columns ``_row`` (row number: ``first_row`` for the first
    record, so the 1-based line number in a CSV) and ``_pos`` (file order)
    to ``raw`` in place, after duplicates are found on the file's own columns.
    """
    duplicate = raw.duplicated(keep="first").to_numpy()
    raw["number"] = raw["number"].str.strip()
    raw["_pos"] = np.arange(len(raw))
    # CSV line numbers assume one line per record; see read_servicenow_csv.
    raw["_row"] = raw["_pos"] + first_row

    no_number = raw["number"].isna() | (raw["number"] == "")
    rejections.add_many(
        raw.loc[no_number, "_row"],
        "number",
        raw.loc[no_number, "number"],
        "missing_value",
        "the row has no incident number, so it belongs to no ticket",
    )
    exact = duplicate & ~no_number
    rejections.add_many(
        raw.loc[exact, "_row"],
        "number",
        raw.loc[exact, "number"],
        "duplicate_row",
        "exact copy of an earlier row (every column equal); the earlier row is used",
    )

    rest = raw.loc[~no_number & ~duplicate]
    repeats = rest["number"].duplicated(keep="first")
    is_event_log = bool(repeats.any()) if event_log is None else event_log
    repeated = None
    if event_log is None and is_event_log:
        repeated = str(rest.loc[repeats, "number"].iloc[0])
    if not is_event_log:
        rejections.add_many(
            rest.loc[repeats, "_row"],
            "number",
            rest.loc[repeats, "number"],
            "duplicate_row",
            "ticket number repeats in a one-row-per-ticket export; the first is used"
            " (set options: {event_log: true} on this tickets source if the file is"
            " an audit log; event_log=True in Python)",
        )
        rest = rest.loc[~repeats]
    return _Candidates(rest.copy(), is_event_log, repeated)


class _TicketRejector:
    """Rejects whole tickets: every input row carrying a bad ticket's number."""

    def __init__(
        self, raw: pd.DataFrame, candidates: pd.DataFrame, rejections: Rejections
    ):
        self._numbers = raw["number"]
        self._rows = raw["_row"]
        self._rejections = rejections
        self._candidates = candidates
        self.rejected: set[str] = set()

    def reject(
        self, bad: pd.Series, column: str, reason_code: str, message: str
    ) -> None:
        """Reject the tickets in ``bad`` (ticket number → offending value)."""
        if bad.empty:
            return
        rows = self._numbers.isin(bad.index)
        self._rejections.add_many(
            self._rows[rows],
            column,
            self._numbers[rows].map(bad),
            reason_code,
            message + "; every row of this ticket is rejected",
        )
        self.rejected.update(bad.index)

    def narrow_to(self, candidates: pd.DataFrame) -> None:
        """Later masks are of these candidate rows (a subset of the first ones)."""
        self._candidates = candidates

    def reject_rows(
        self, mask: pd.Series, column: str, reason_code: str, message: str
    ) -> None:
        """Reject the tickets of the candidate rows in ``mask`` (first bad value)."""
        if not mask.any():
            return
        bad = self._candidates.loc[mask].groupby("number", sort=False)[column].first()
        self.reject(bad.astype("string").fillna(""), column, reason_code, message)


# --- dates ---


def _parse_dates(
    rows: pd.DataFrame,
    tickets: _TicketRejector,
    path: Path,
    timezone: str,
    date_order: DateOrder,
    event_log: bool,
) -> str:
    """Parse the date columns in place (as ``<name>_t``); reject bad tickets.

    Returns the date order used.
    """
    columns = ["opened_at", "resolved_at"]
    columns += [name for name in ("closed_at", "sys_updated_at") if name in rows]
    if not event_log and "sys_updated_at" in columns:
        columns.remove("sys_updated_at")

    # Event logs repeat each date on many rows: parse every distinct text once.
    distinct = pd.Series(
        pd.unique(pd.concat([rows[name].dropna() for name in columns])), dtype="string"
    )
    order = date_order
    if date_order == "auto":
        # detect_date_order returns one of "iso", "dayfirst", "monthfirst".
        detected = detect_date_order(distinct, path=path, column=", ".join(columns))
        order = cast(DateOrder, detected)
    parsed = parse_timestamps(
        distinct,
        timezone=timezone,
        date_order=order,
        path=path,
        column=", ".join(columns),
    )
    lookup = pd.Index(distinct)

    for name in columns:
        values, unparseable, bad_local = _look_up(rows[name], lookup, parsed)
        _refuse_unreadable_column(rows[name], unparseable, order, path, name)
        rows[f"{name}_t"] = values
        tickets.reject_rows(
            unparseable,
            name,
            "unparseable_date",
            f"{name} is not a date in the {_ORDER_FORMATS.get(order, order)} order",
        )
        tickets.reject_rows(
            bad_local,
            name,
            "nonexistent_local_time",
            f"{name} does not exist (or happens twice) in {timezone} because of a"
            " daylight-saving change; pass the export's real timezone",
        )
    return order


def _own_times(text: pd.Series, order: str, timezone: str, path: Path) -> pd.Series:
    """``opened_at`` times of rows set aside before parsing (duplicates, no number).

    Only the rejected rows' own time (``row_time``) comes from them, so a text
    that is not a date in the file's order gives NaT, never an error.
    """
    distinct = pd.Series(pd.unique(text.dropna()), dtype="string")
    if distinct.empty:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    try:
        parsed = parse_timestamps(
            distinct,
            timezone=timezone,
            date_order=cast(DateOrder, order),
            path=path,
            column="opened_at",
        ).values
    except InputError:
        # The whole set contradicts the order (few rows, all odd): unknown times.
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    codes = pd.Index(distinct).get_indexer(pd.Index(text))
    values = parsed.array.take(codes, allow_fill=True)
    return pd.Series(values, index=text.index)


def _look_up(
    text: pd.Series, lookup: pd.Index, parsed: ParsedTimes
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Values, unparseable and nonexistent flags of ``text`` from the distinct parse."""
    codes = lookup.get_indexer(pd.Index(text))  # -1 where missing
    values = parsed.values.array.take(codes, allow_fill=True)
    # A False sentinel at the end: code -1 (missing text) picks it.
    flags = parsed.unparseable.to_numpy(dtype=bool, na_value=False)
    unparseable = np.append(flags, False)[codes]
    local = parsed.nonexistent_or_ambiguous.to_numpy(dtype=bool, na_value=False)
    bad_local = np.append(local, False)[codes]
    return (
        pd.Series(values, index=text.index),
        pd.Series(unparseable, index=text.index),
        pd.Series(bad_local, index=text.index),
    )


def _refuse_unreadable_column(
    text: pd.Series, unparseable: pd.Series, order: str, path: Path, column: str
) -> None:
    """A column where *no* present value is a date is a format problem, not bad rows."""
    present = text.notna()
    if present.any() and unparseable[present].all():
        raise _unreadable_column_error(order, path, column, text[present].iloc[0])


def _unreadable_column_error(
    order: str, path: Path, column: str, value: object
) -> InputError:
    return InputError(
        path,
        f"no value of column {column!r} is a date in the"
        f" {_ORDER_FORMATS.get(order, order)} order",
        column=column,
        value=value,
        fix="set date_order: iso, dayfirst or monthfirst on this tickets source, or"
        " column_map if this is not the column you meant (date_order= / column_map="
        " in Python)",
    )


def _check_event_order_columns(
    rows: pd.DataFrame, tickets: _TicketRejector, *, event_log: bool
) -> None:
    """In an event log, every row needs the values that order and time it."""
    if not event_log:
        return
    tickets.reject_rows(
        rows["sys_updated_at"].isna(),
        "sys_updated_at",
        "missing_value",
        "sys_updated_at is missing, so the update cannot be placed in time",
    )
    if "sys_mod_count" not in rows:
        rows["_mod"] = np.nan
        return
    mod = _to_count(rows["sys_mod_count"])
    tickets.reject_rows(
        rows["sys_mod_count"].isna(),
        "sys_mod_count",
        "missing_value",
        "sys_mod_count is missing, so the update cannot be ordered",
    )
    tickets.reject_rows(
        rows["sys_mod_count"].notna() & mod.isna(),
        "sys_mod_count",
        "invalid_number",
        "sys_mod_count is not a non-negative integer",
    )
    rows["_mod"] = mod


def _to_count(text: pd.Series) -> pd.Series:
    """Text → non-negative integer (Float64); NA where it is not one."""
    numbers = pd.to_numeric(text.str.strip(), errors="coerce")
    valid = numbers.notna() & (numbers >= 0) & (numbers % 1 == 0)
    return numbers.where(valid).astype("Float64")


# --- collapsing to one row per ticket ---


def _collapse(
    candidates: pd.DataFrame,
    tickets: _TicketRejector,
    labels: Mapping[str, str],
    *,
    event_log: bool,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One row per ticket, in the canonical columns, rejected tickets removed.

    Also the kept tickets' paused intervals (None for a plain export).
    """
    sort_keys = (
        ["number", "_mod", "sys_updated_at_t", "_pos"] if event_log else ["number"]
    )
    # Order only the columns the rule reads (reordering every text column of a
    # large export is the slowest step), then take the last rows whole.
    narrow = ["incident_state", "sys_updated_at_t"] if event_log else []
    rows = candidates[list(dict.fromkeys([*sort_keys, *narrow]))].sort_values(
        sort_keys, kind="stable", na_position="last"
    )
    at_end = rows.index[~rows["number"].duplicated(keep="last").to_numpy()]
    last = candidates.loc[at_end].set_index("number")

    priority = _check_last_rows(last, tickets, labels)
    first_resolved = _first_resolved(rows, last) if event_log else last["resolved_at_t"]
    _check_resolution_order(last, first_resolved, tickets)

    frame = _canonical(last, priority, first_resolved)
    if event_log:
        frame["on_hold_seconds"] = _on_hold_seconds(rows).reindex(last.index).array
    keep = ~frame["ticket_id"].isin(tickets.rejected)
    frame = frame.loc[keep].reset_index(drop=True)
    if not event_log:
        return frame, None
    spans = _pause_spans(rows)
    return frame, _pause_frame(
        spans["number"], spans["start"], spans["end"], kept=frame["ticket_id"]
    )


def _check_last_rows(
    last: pd.DataFrame, tickets: _TicketRejector, labels: Mapping[str, str]
) -> pd.Series:
    """Validate the values taken from the last row; return canonical priorities."""
    tickets.reject(
        last.loc[last["opened_at"].isna(), "opened_at"].fillna(""),
        "opened_at",
        "missing_value",
        "opened_at is empty, so the ticket has no start",
    )
    tickets.reject(
        last.loc[last["priority"].isna(), "priority"].fillna(""),
        "priority",
        "missing_value",
        "priority is empty",
    )
    original = last["priority"].str.strip()
    priority = original.map(lambda label: labels.get(_normalise_label(label)))
    unknown = original.notna() & priority.isna()
    known = ", ".join(repr(label) for label in DEFAULT_PRIORITY_MAP)
    for value in sorted(original[unknown].unique()):
        tickets.reject(
            original[unknown & (original == value)],
            "priority",
            "unknown_priority",
            f"priority {value!r} is not a known label or code ({known}, ignoring"
            f" case); map it with priority_map: {{'{value}': 'P1'..'P4'}} in the"
            " ticket source config (priority_map= in Python)",
        )
    for name in ("reassignment_count", "reopen_count"):
        if name in last:
            bad = last[name].notna() & _to_count(last[name]).isna()
            tickets.reject(
                last.loc[bad, name],
                name,
                "invalid_number",
                f"{name} is not a non-negative integer",
            )
    return priority


def _first_resolved(rows: pd.DataFrame, last: pd.DataFrame) -> pd.Series:
    """Earliest update in the Resolved state, capped at the final resolution."""
    state = rows["incident_state"].str.strip().str.casefold()
    resolved_rows = rows.loc[state.isin(_RESOLVED_STATES)]
    earliest = resolved_rows.groupby("number")["sys_updated_at_t"].min()
    earliest = earliest.reindex(last.index)
    final = last["resolved_at_t"]
    capped = earliest.where(final.isna() | (earliest <= final), final)
    return capped.fillna(final)


def _check_resolution_order(
    last: pd.DataFrame, first_resolved: pd.Series, tickets: _TicketRejector
) -> None:
    opened = last["opened_at_t"]
    before = last["resolved_at_t"] < opened
    tickets.reject(
        last.loc[before, "resolved_at"],
        "resolved_at",
        "resolved_before_opened",
        "resolved_at (final resolution) is before opened_at",
    )
    first_before = (first_resolved < opened) & ~before
    tickets.reject(
        last.loc[first_before, "resolved_at"].fillna(""),
        "sys_updated_at",
        "resolved_before_opened",
        "the first update in the Resolved state is before opened_at",
    )


def _on_hold_seconds(rows: pd.DataFrame) -> pd.Series:
    """Seconds spent in Awaiting*/On Hold states, per ticket (rows already ordered)."""
    state = rows["incident_state"].str.strip().str.casefold()
    on_hold = state.str.startswith(_ON_HOLD_PREFIXES, na=False)
    updated = rows["sys_updated_at_t"]
    following = updated.groupby(rows["number"], sort=False).shift(-1)
    seconds = (following - updated).dt.total_seconds().clip(lower=0)
    held = seconds.where(on_hold, 0.0).fillna(0.0)
    return held.groupby(rows["number"], sort=False).sum().astype("Float64")


def _pause_spans(rows: pd.DataFrame) -> pd.DataFrame:
    """The intervals :func:`_on_hold_seconds` sums: ``number``, ``start``, ``end``.

    Each Awaiting*/On Hold row opens an interval that the ticket's next update
    closes; an open final interval and one of zero or negative length (the
    next update is not later) add nothing to the total, so they are left out.
    """
    state = rows["incident_state"].str.strip().str.casefold()
    on_hold = state.str.startswith(_ON_HOLD_PREFIXES, na=False)
    updated = rows["sys_updated_at_t"]
    following = updated.groupby(rows["number"], sort=False).shift(-1)
    spans = on_hold & (following > updated).fillna(False).astype(bool)
    return pd.DataFrame(
        {
            "number": rows.loc[spans, "number"],
            "start": updated[spans],
            "end": following[spans],
        }
    )


def _pause_frame(
    numbers: pd.Series, starts: pd.Series, ends: pd.Series, *, kept: pd.Series
) -> pd.DataFrame:
    """:attr:`LoadResult.pauses` of the kept tickets, sorted, in fixed dtypes.

    Both CSV paths end here, so their pauses agree value for value and dtype.
    """
    times = "datetime64[us, UTC]"
    frame = pd.DataFrame(
        {
            "ticket_id": numbers.to_numpy(dtype=object),
            "pause_start": starts.to_numpy(),
            "pause_end": ends.to_numpy(),
        }
    )
    frame = frame.loc[frame["ticket_id"].isin(set(kept))]
    frame = frame.astype(
        {
            "ticket_id": pd.StringDtype(na_value=np.nan),
            "pause_start": times,
            "pause_end": times,
        }
    )
    order = ["ticket_id", "pause_start", "pause_end"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def _canonical(
    last: pd.DataFrame, priority: pd.Series, first_resolved: pd.Series
) -> pd.DataFrame:
    n = len(last)
    created = last["opened_at_t"]
    no_time = pd.Series(pd.NaT, index=last.index, dtype=created.dtype)
    closed = last.get("closed_at_t", no_time)
    columns = {
        "ticket_id": last.index.to_numpy(),
        "source": SOURCE,
        "priority": priority,
        "priority_original": last["priority"].str.strip(),
        "status": last["incident_state"].str.strip(),
        "created_at": created,
        **{name: no_time for name in _NOT_IN_EXPORT if name.endswith("_at")},
        "first_resolved_at": first_resolved,
        "resolved_at": last["resolved_at_t"],
        "closed_at": closed,
        "on_hold_seconds": pd.array([pd.NA] * n, dtype="Float64"),
        "reassignment_count": _optional_count(last, "reassignment_count"),
        "reopen_count": _optional_count(last, "reopen_count"),
        "escalated": pd.array([pd.NA] * n, dtype="boolean"),
        "assignment_group": _optional_text(last, "assignment_group"),
        "category": _optional_text(last, "category"),
        "csat_score": pd.array([pd.NA] * n, dtype="Float64"),
    }
    frame = pd.DataFrame(
        {name: _values(value) for name, value in columns.items()}, index=range(n)
    )
    return frame[list(TICKETS_COLUMNS)]


def _values(value: object) -> object:
    """Drop a Series' ticket index (keeping its dtype): columns align by position."""
    return value.array if isinstance(value, pd.Series) else value


def _optional_count(last: pd.DataFrame, name: str) -> pd.Series:
    if name not in last:
        return pd.Series(pd.NA, index=last.index, dtype="Int64")
    return _to_count(last[name]).astype("Int64")


def _optional_text(last: pd.DataFrame, name: str) -> pd.Series:
    if name not in last:
        return pd.Series(pd.NA, index=last.index, dtype="string")
    return last[name].str.strip().astype("string")


# --- the fast CSV path (polars) ---
#
# Same rules, same output, another engine: the file is read with polars, the
# row-level work (duplicates, dates, ordering, the collapse) runs there, and
# only the one-row-per-ticket frame is handed to pandas. Text rules that
# Python defines (str.strip, casefold, pd.to_numeric, the date parser) are
# applied to each column's *distinct* values with the pandas code above and
# joined back, so both paths agree on every value. Anything unusual in the
# file's layout (repeated or padded header names, blank lines, ragged rows, a
# file polars refuses) goes to the pandas path, which also raises its errors.

# Every character ``str.strip()`` removes: polars is told to strip exactly these.
_PY_WHITESPACE: Final = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def _read_csv_fast(
    path: Path,
    *,
    timezone: str,
    date_order: DateOrder,
    event_log: bool | None,
    priority_map: Mapping[str, str] | None,
    column_map: Mapping[str, str] | None,
    state_map: Mapping[str, str] | None = None,
    known_at: pd.Timestamp | None = None,
) -> LoadResult | None:
    """The CSV pipeline in polars; None when the file needs the pandas path."""
    started = time.perf_counter()
    labels = _priority_lookup(priority_map)
    states = _state_lookup(state_map)
    read = _polars_table(path, _sniff(path), column_map)
    if read is None:
        return None
    refuse_semicolon_separated(read.header, path)
    mapped = _apply_column_map(pd.DataFrame(columns=read.header), column_map, path)
    names = [str(name) for name in mapped.columns]
    _require_columns(pd.DataFrame(columns=names), _REQUIRED, path, column_map)
    renamed = dict(zip(read.header, names, strict=True))
    table = read.rows.rename({name: renamed[name] for name in read.rows.columns})
    sha256 = read.sha256

    rejections = Rejections(path)
    rows, is_event_log, repeated = _fast_candidates(
        table, read.duplicate, rejections, event_log
    )
    del table, read
    if is_event_log:
        _require_columns(
            pd.DataFrame(columns=names),
            _EVENT_LOG_REQUIRED,
            path,
            column_map,
            why=" (event log)",
            repeated=repeated,
        )
    kept = rows["_candidate"].sum()
    candidates = rows if kept == rows.height else rows.filter(pl.col("_candidate"))
    if candidates.is_empty():
        # No ticket at all: the pandas path gives the empty frame its dtypes.
        return None
    tickets = _FastRejector(rows, rejections)
    candidates, kept_numbers = _fast_state_codes(candidates, tickets, states)
    candidates, order = _fast_dates(
        candidates, tickets, path, timezone, date_order, event_log=is_event_log
    )
    rejections.note_row_times(
        pd.Series(candidates["_row"].to_numpy()), candidates["opened_at_t"].to_pandas()
    )
    others = rows.filter(~pl.col("_candidate")).select("_row", "opened_at")
    rejections.note_row_times(
        pd.Series(others["_row"].to_numpy()),
        _own_times(
            pd.Series(others["opened_at"].to_list(), dtype=object),
            order,
            timezone,
            path,
        ),
    )
    candidates = _fast_event_order(candidates, tickets, event_log=is_event_log)
    if is_event_log and known_at is not None:
        later = pl.col("sys_updated_at_t") > known_at.to_pydatetime()
        _add_rows(
            rejections,
            candidates.filter(later),
            "sys_updated_at",
            AFTER_DECISION,
            _after_message(known_at),
        )
        candidates = candidates.filter(later.not_().fill_null(True))
    frame, pauses = _fast_collapse(candidates, tickets, labels, event_log=is_event_log)

    # Every candidate's ticket is in the frame unless it was rejected.
    rejected = tickets.rejected_numbers().implode()
    used = candidates.filter(~pl.col("number").is_in(rejected)).height
    result = LoadResult(
        frame=frame,
        rejected=rejections.frame(),
        source_file=str(path),
        kind="tickets",
        rows_in=rows.height,
        rows_used=used,
        sha256=sha256,
        pauses=pauses,
        row_times=rejections.row_times(),
    )
    result.notes.extend(kept_numbers)
    return _finish(
        result, "CSV", timezone, order, event_log=is_event_log, started=started
    )


@dataclass(frozen=True)
class _FastTable:
    """The file as the fast path reads it: only the columns the reader uses."""

    # The file's column names (stripped), every column.
    header: list[str]
    # The used columns, under the file's names, one row per record.
    rows: pl.DataFrame
    # True for a record equal in *every* column to an earlier record.
    duplicate: pl.Series
    sha256: str


def _polars_table(
    path: Path,
    compression: Literal["gzip"] | None,
    column_map: Mapping[str, str] | None = None,
) -> _FastTable | None:
    """The used columns of every record (``?`` and empty cells missing).

    None when the file needs the pandas path: polars cannot read it, or its
    layout is one the two engines read differently (repeated or padded header
    names, blank lines, rows with more fields than the header).
    """
    try:
        header = pd.read_csv(
            path,
            nrows=0,
            dtype=str,
            encoding="utf-8-sig",
            compression=compression,
        ).columns
        scan = _scan_csv(path)
        names = scan.collect_schema().names()
    # Any trouble reading (polars is stricter about ragged rows and bad bytes):
    # the pandas path reads the file, or raises the error users know.
    except Exception:
        return None
    if [str(name).strip() for name in header] != names or len(set(names)) != len(names):
        return None
    # Only the columns the reader uses (after column_map) are parsed into
    # text, plus the first and last ones for the layout checks.
    renamed = dict(column_map or {})
    used = [name for name in names if renamed.get(name, name) in _USED]
    wanted = list(dict.fromkeys([names[0], *used, names[-1]]))
    # The pass over the bytes (hash, counts) runs beside the parse: hashing
    # and numpy release the GIL, as polars does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        counting = pool.submit(_count_bytes, path, plain=compression is None)
        try:
            # One chunk per column: polars realigns many small chunks on every
            # later step of a large file (seconds each at 14 M rows).
            rows: pl.DataFrame | None = (
                scan.select(wanted).collect(engine="streaming").rechunk()
            )
        except Exception:
            rows = None
        counts = counting.result()
    if rows is None:
        return None
    try:
        if _lines_are_records(rows, counts, names):
            hashes = rows.hash_rows()
        else:
            # Every column is parsed (so a row with more fields than the
            # header is refused, as pandas does) but only hashed, in chunks.
            hashed = scan.select(*wanted, _hash=pl.struct(pl.all()).hash())
            rows = hashed.collect(engine="streaming").rechunk()
            hashes = rows.get_column("_hash")
    except Exception:
        return None
    if rows.is_empty() or _has_blank_lines(rows.select(wanted), first=names[0]):
        return None
    duplicate = _exact_duplicates(scan, hashes)
    return _FastTable(names, rows.select(used), duplicate, counts.sha256)


def _scan_csv(path: Path) -> pl.LazyFrame:
    """The file, lazily, every cell text; ``?`` and empty cells missing."""
    return pl.scan_csv(
        path, infer_schema=False, null_values=_MISSING_MARKERS, encoding="utf8"
    )


@dataclass(frozen=True)
class _ByteCounts:
    """What one pass over a file's bytes finds."""

    sha256: str
    # Line ends, separators and quotes; None when not counted (compressed).
    newlines: int | None = None
    commas: int | None = None
    quotes: int | None = None
    ends_with_newline: bool = True


_BLOCK_BYTES: Final = 1 << 24


def _count_bytes(path: Path, *, plain: bool) -> _ByteCounts:
    """The file's SHA-256 and, for an uncompressed file, its byte counts.

    The counts ride along on the pass the hash needs anyway.
    """
    digest = hashlib.sha256()
    newlines = commas = quotes = 0
    last = b"\n"
    block = bytearray(_BLOCK_BYTES)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(block):
            view = memoryview(block)[:size]
            digest.update(view)
            if plain:
                values = np.frombuffer(block, dtype=np.uint8, count=size)
                newlines += int(np.count_nonzero(values == ord("\n")))
                commas += int(np.count_nonzero(values == ord(",")))
                quotes += int(np.count_nonzero(values == ord('"')))
                last = bytes(view[-1:])
    if not plain:
        return _ByteCounts(digest.hexdigest())
    return _ByteCounts(
        digest.hexdigest(), newlines, commas, quotes, ends_with_newline=last == b"\n"
    )


def _lines_are_records(
    rows: pl.DataFrame, counts: _ByteCounts, names: list[str]
) -> bool:
    """Whether every line is one record with exactly as many fields as the header.

    Then reading only some columns cannot miss a row with too many fields
    (which pandas refuses). Proof from counts: no quotes, so records are
    lines; the last column is never missing, so no line has too few fields;
    and the file's separators add up to exactly ``len(names) - 1`` a line.
    """
    if counts.newlines is None or counts.commas is None or counts.quotes:
        return False
    lines = counts.newlines + (0 if counts.ends_with_newline else 1)
    if rows.height + 1 != lines or rows[names[-1]].null_count():
        return False
    return counts.commas == (len(names) - 1) * lines


def _has_blank_lines(rows: pl.DataFrame, *, first: str) -> bool:
    """Whether a row may be a blank line: pandas skips those, polars reads them."""
    blank = pl.col(first).is_null() | (pl.col(first).str.strip_chars() == "")
    others = [name for name in rows.columns if name != first]
    if not others:
        return bool(rows.select(blank.any()).item())
    # A cheap filter on one column first: only those rows are checked fully.
    maybe = rows.filter(pl.col(others[-1]).is_null() & blank)
    if not maybe.height:
        return False
    empty = pl.all_horizontal([pl.col(name).is_null() for name in others])
    return bool(maybe.select(empty.any()).item())


def _fast_candidates(
    table: pl.DataFrame,
    duplicate: pl.Series,
    rejections: Rejections,
    event_log: bool | None,
) -> tuple[pl.DataFrame, bool, str | None]:
    """Rows without a number and duplicates set aside; the export's shape decided.

    Returns the used columns of every row with ``_row`` (line number), ``_pos``
    (file order) and ``_candidate`` (kept for the collapse), and as
    :func:`_select_candidate_rows` whether it is an event log and the first
    repeated number.
    """
    needed = [c for c in _USED if c in table.columns]
    rows = table.select(needed).with_columns(
        number=pl.col("number").str.strip_chars(_PY_WHITESPACE),
        _pos=pl.int_range(pl.len(), dtype=pl.Int64),
        _duplicate=duplicate,
    )
    rows = rows.with_columns(
        _row=pl.col("_pos") + 2,
        _no_number=pl.col("number").is_null() | (pl.col("number") == ""),
    )
    _add_rows(
        rejections,
        rows.filter("_no_number"),
        "number",
        "missing_value",
        "the row has no incident number, so it belongs to no ticket",
    )
    _add_rows(
        rejections,
        rows.filter(pl.col("_duplicate") & ~pl.col("_no_number")),
        "number",
        "duplicate_row",
        "exact copy of an earlier row (every column equal); the earlier row is used",
    )
    rest = ~pl.col("_no_number") & ~pl.col("_duplicate")
    # Only the two columns needed: filtering every text column copies it.
    repeats = (
        rows.select("_pos", "number", _rest=rest)
        .filter("_rest")
        .filter(~pl.col("number").is_first_distinct())
    )
    is_event_log = repeats.height > 0 if event_log is None else event_log
    repeated = None
    if event_log is None and is_event_log:
        repeated = str(repeats["number"][0])
    candidate = rest
    if not is_event_log:
        repeat_rows = rows.filter(pl.col("_pos").is_in(repeats["_pos"].implode()))
        _add_rows(
            rejections,
            repeat_rows,
            "number",
            "duplicate_row",
            "ticket number repeats in a one-row-per-ticket export; the first is used"
            " (set options: {event_log: true} on this tickets source if the file is"
            " an audit log; event_log=True in Python)",
        )
        candidate = rest & ~pl.col("_pos").is_in(repeats["_pos"].implode())
    rows = rows.with_columns(_candidate=candidate).drop("_duplicate", "_no_number")
    return rows, is_event_log, repeated


def _exact_duplicates(scan: pl.LazyFrame, hashes: pl.Series) -> pl.Series:
    """True for a record equal, in every column, to an earlier record.

    ``hashes`` hash each record (all its columns, or only some: equal records
    always hash alike, so none is missed); only the few records whose hash
    repeats are read again whole and compared cell by cell.
    """
    duplicate = np.zeros(len(hashes), dtype=bool)
    if hashes.n_unique() == len(hashes):
        # No hash repeats (the usual case): far cheaper to count than to flag.
        return pl.Series("_duplicate", duplicate)
    maybe = hashes.is_duplicated()
    if maybe.any():
        positions = maybe.arg_true()
        whole = (
            scan.with_row_index("_record")
            .filter(pl.col("_record").is_in(positions.implode()))
            .drop("_record")
            .collect(engine="streaming")
        )
        first = whole.select(pl.struct(pl.all()).is_first_distinct()).to_series()
        duplicate[positions.to_numpy()[~first.to_numpy()]] = True
    return pl.Series("_duplicate", duplicate)


def _add_rows(
    rejections: Rejections, rows: pl.DataFrame, column: str, code: str, message: str
) -> None:
    """Reject ``rows`` (with their ``_row``), showing their ``column`` value."""
    if rows.is_empty():
        return
    rejections.add_many(
        pd.Series(rows["_row"].to_numpy()),
        column,
        pd.Series(rows[column].to_list(), dtype=object),
        code,
        message,
    )


class _FastRejector:
    """:class:`_TicketRejector` for polars rows: rejects every row of a ticket."""

    def __init__(self, rows: pl.DataFrame, rejections: Rejections) -> None:
        self._rows = rows.select("number", "_row")
        self._rejections = rejections
        self.rejected: list[pl.Series] = []

    def reject(self, bad: pl.DataFrame, column: str, code: str, message: str) -> None:
        """Reject the tickets in ``bad`` (columns ``number`` and ``value``)."""
        if bad.is_empty():
            return
        bad = bad.with_columns(pl.col("value").cast(pl.String).fill_null(""))
        hit = self._rows.join(bad, on="number", how="inner", maintain_order="left")
        _add_rows(
            self._rejections,
            hit.rename({"value": column}) if column != "number" else hit,
            column,
            code,
            message + "; every row of this ticket is rejected",
        )
        self.rejected.append(bad["number"])

    def reject_rows(
        self,
        candidates: pl.DataFrame,
        mask: pl.Expr,
        column: str,
        code: str,
        message: str,
    ) -> None:
        """Reject the tickets of the candidate rows in ``mask`` (first bad value)."""
        bad = (
            candidates.filter(mask)
            .group_by("number", maintain_order=True)
            .agg(value=pl.col(column).drop_nulls().first())
        )
        self.reject(bad, column, code, message)

    def rejected_numbers(self) -> pl.Series:
        return pl.concat([pl.Series("number", [], pl.String), *self.rejected])


def _map_distinct(
    rows: pl.DataFrame,
    column: str,
    function: Callable[[pd.Series], pd.Series],
    name: str,
    dtype: pl.DataType,
) -> pl.DataFrame:
    """Add ``name``: ``function`` (pandas, on text) applied to each distinct value."""
    distinct = rows[column].drop_nulls().unique()
    mapped = function(pd.Series(distinct.to_list(), dtype=str))
    values = pl.Series(
        name, mapped.astype(object).where(mapped.notna(), None).tolist(), dtype=dtype
    )
    lookup = pl.DataFrame({column: distinct, name: values})
    return rows.join(lookup, on=column, how="left", maintain_order="left")


def _fast_state_codes(
    rows: pl.DataFrame, tickets: _FastRejector, states: Mapping[str, str]
) -> tuple[pl.DataFrame, list[str]]:
    """:func:`_label_state_codes` (CSV) on polars rows: codes become labels."""
    rows = _map_distinct(
        rows,
        "incident_state",
        lambda state: _state_code_labels(state, states),
        "_state_label",
        pl.String(),
    )
    label = pl.col("_state_label")
    unknown = label == ""
    unknown_rows = rows.filter(unknown).select(_strip("incident_state")).to_series()
    values = sorted(unknown_rows.unique().to_list())
    notes: list[str] = []
    known = rows.select((label.is_not_null() & ~unknown).any()).item()
    distinct = rows["incident_state"].drop_nulls().unique().to_list()
    if values and not known and _holds_labels(pd.Series(distinct, dtype=str)):
        notes = _kept_numbers_note(values, unknown_rows.len())
    else:
        for value in values:
            tickets.reject_rows(
                rows,
                unknown & (_strip("incident_state") == value),
                "incident_state",
                "unknown_state",
                _unknown_state_message(value, states),
            )
    rows = rows.with_columns(
        incident_state=pl.when(label.is_not_null() & ~unknown)
        .then(label)
        .otherwise(pl.col("incident_state"))
    ).drop("_state_label")
    return rows, notes


def _fast_dates(
    rows: pl.DataFrame,
    tickets: _FastRejector,
    path: Path,
    timezone: str,
    date_order: DateOrder,
    *,
    event_log: bool,
) -> tuple[pl.DataFrame, str]:
    """:func:`_parse_dates` on polars rows: adds ``<name>_t`` columns."""
    columns = ["opened_at", "resolved_at"]
    columns += [name for name in ("closed_at", "sys_updated_at") if name in rows]
    if not event_log and "sys_updated_at" in columns:
        columns.remove("sys_updated_at")

    # Each column's distinct texts first (far fewer): the same first-seen order.
    texts = [rows[name].drop_nulls().unique(maintain_order=True) for name in columns]
    distinct_texts = pl.concat(texts).unique(maintain_order=True)
    distinct = pd.Series(distinct_texts.to_list(), dtype="string")
    order = date_order
    if date_order == "auto":
        detected = detect_date_order(distinct, path=path, column=", ".join(columns))
        order = cast(DateOrder, detected)
    parsed = parse_timestamps(
        distinct,
        timezone=timezone,
        date_order=order,
        path=path,
        column=", ".join(columns),
    )
    values = pl.from_pandas(parsed.values).cast(pl.Datetime("us", "UTC"))
    unparseable = parsed.unparseable.to_numpy(dtype=bool, na_value=False)
    bad_local = parsed.nonexistent_or_ambiguous.to_numpy(dtype=bool, na_value=False)
    # Texts that are not dates, or not local times: usually none, so the
    # per-row checks below are skipped.
    bad_texts = distinct_texts.filter(pl.Series(unparseable)).implode()
    bad_local_texts = distinct_texts.filter(pl.Series(bad_local)).implode()
    lookup = pl.DataFrame({"_text": distinct_texts, "_value": values})
    rows = rows.with_columns(
        rows.select(name)
        .join(lookup, left_on=name, right_on="_text", how="left", maintain_order="left")
        .get_column("_value")
        .alias(f"{name}_t")
        for name in columns
    )

    for name in columns:
        if unparseable.any():
            readable = pl.col(name).is_not_null() & ~pl.col(name).is_in(bad_texts)
            present = rows[name].drop_nulls()
            if len(present) and rows.filter(readable).is_empty():
                raise _unreadable_column_error(order, path, name, present[0])
            tickets.reject_rows(
                rows,
                pl.col(name).is_in(bad_texts),
                name,
                "unparseable_date",
                f"{name} is not a date in the {_ORDER_FORMATS.get(order, order)} order",
            )
        if bad_local.any():
            tickets.reject_rows(
                rows,
                pl.col(name).is_in(bad_local_texts),
                name,
                "nonexistent_local_time",
                f"{name} does not exist (or happens twice) in {timezone} because of"
                " a daylight-saving change; pass the export's real timezone",
            )
    return rows, order


def _fast_event_order(
    rows: pl.DataFrame, tickets: _FastRejector, *, event_log: bool
) -> pl.DataFrame:
    """:func:`_check_event_order_columns` on polars rows: adds ``_mod``."""
    if not event_log:
        return rows
    tickets.reject_rows(
        rows,
        pl.col("sys_updated_at").is_null(),
        "sys_updated_at",
        "missing_value",
        "sys_updated_at is missing, so the update cannot be placed in time",
    )
    if "sys_mod_count" not in rows:
        return rows.with_columns(_mod=pl.lit(None, dtype=pl.Float64))
    rows = _map_distinct(rows, "sys_mod_count", _to_count, "_mod", pl.Float64())
    tickets.reject_rows(
        rows,
        pl.col("sys_mod_count").is_null(),
        "sys_mod_count",
        "missing_value",
        "sys_mod_count is missing, so the update cannot be ordered",
    )
    tickets.reject_rows(
        rows,
        pl.col("sys_mod_count").is_not_null() & pl.col("_mod").is_null(),
        "sys_mod_count",
        "invalid_number",
        "sys_mod_count is not a non-negative integer",
    )
    # -0 and 0 are the same count; a float sort would put -0.0 first.
    return rows.with_columns(pl.col("_mod") + 0.0)


def _fast_collapse(
    candidates: pl.DataFrame,
    tickets: _FastRejector,
    labels: Mapping[str, str],
    *,
    event_log: bool,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """:func:`_collapse` on polars rows: one pandas row per kept ticket, pauses."""
    keys = ["number", "_mod", "sys_updated_at_t", "_pos"] if event_log else ["number"]
    # Order only the columns the rule reads, then take the last rows whole
    # (reordering every column of a large log costs time and a second copy).
    order = candidates.select(
        _at=pl.arg_sort_by(keys, nulls_last=True, maintain_order=True)
    ).to_series()
    narrow = ["number", "incident_state", "sys_updated_at_t"] if event_log else []
    rows = candidates.select(
        pl.col(list(dict.fromkeys(["number", *narrow]))).gather(order), order
    )
    # Rows are grouped by ticket now: number each ticket (an integer key).
    new_ticket = pl.col("number").ne_missing(pl.col("number").shift(1))
    rows = rows.with_columns(_ticket=new_ticket.cum_sum().set_sorted())
    at_end = rows.filter(pl.col("number").ne_missing(pl.col("number").shift(-1)))
    last = candidates[at_end["_at"]].with_columns(_ticket=at_end["_ticket"])
    if event_log:
        rows = _map_distinct(rows, "incident_state", _state_kind, "_state", pl.String())
        last = last.with_columns(_per_ticket_event_times(rows).drop("_ticket"))
        capped = pl.when(
            pl.col("resolved_at_t").is_null()
            | (pl.col("_earliest") <= pl.col("resolved_at_t"))
        )
        last = last.with_columns(
            _first_resolved=capped.then("_earliest")
            .otherwise("resolved_at_t")
            .fill_null(pl.col("resolved_at_t"))
        )
    else:
        last = last.with_columns(
            _first_resolved=pl.col("resolved_at_t"),
            _on_hold=pl.lit(None, dtype=pl.Float64),
        )

    last = _fast_check_last_rows(last, tickets, labels)
    _fast_check_resolution_order(last, tickets)

    kept = last.filter(~pl.col("number").is_in(tickets.rejected_numbers().implode()))
    frame = _fast_canonical(kept)
    if last["_priority"].null_count() == last.height:
        # pandas maps priorities none of which is known to an object column.
        frame["priority"] = frame["priority"].astype(object)
    if not event_log:
        return frame, None
    return frame, _fast_pause_frame(_fast_pause_spans(rows), kept["number"])


def _state_kind(state: pd.Series) -> pd.Series:
    """``resolved``, ``on_hold`` or ``other`` for each state text."""
    folded = state.str.strip().str.casefold()
    kind = pd.Series("other", index=state.index, dtype=object)
    kind[folded.isin(_RESOLVED_STATES)] = "resolved"
    kind[folded.str.startswith(_ON_HOLD_PREFIXES, na=False)] = "on_hold"
    return kind


def _per_ticket_event_times(rows: pl.DataFrame) -> pl.DataFrame:
    """Per ticket, in ticket order: ``_earliest`` and ``_on_hold``.

    ``_earliest`` is the first update in the Resolved state (as
    :func:`_first_resolved` before capping) and ``_on_hold`` the seconds of
    :func:`_on_hold_seconds`; ``rows`` are ordered and numbered by ``_ticket``.
    """
    same = pl.col("_ticket") == pl.col("_ticket").shift(-1)
    updated = pl.col("sys_updated_at_t")
    following = pl.when(same).then(updated.shift(-1))
    micros = (following - updated).dt.total_microseconds()
    seconds = (micros.cast(pl.Float64) / 1_000_000).clip(lower_bound=0.0)
    held = pl.when(pl.col("_state") == "on_hold").then(seconds).otherwise(0.0)
    return (
        rows.select("_ticket", "_state", updated, _held=held.fill_null(0.0))
        .group_by("_ticket", maintain_order=True)
        .agg(
            _earliest=updated.filter(pl.col("_state") == "resolved").min(),
            _on_hold=pl.col("_held").sum(),
        )
    )


def _fast_pause_spans(rows: pl.DataFrame) -> pl.DataFrame:
    """:func:`_pause_spans` on polars rows (ordered, numbered by ``_ticket``)."""
    same = pl.col("_ticket") == pl.col("_ticket").shift(-1)
    updated = pl.col("sys_updated_at_t")
    following = pl.when(same).then(updated.shift(-1))
    return (
        rows.select("number", "_state", start=updated, end=following)
        .filter((pl.col("_state") == "on_hold") & (pl.col("end") > pl.col("start")))
        .drop("_state")
    )


def _fast_pause_frame(spans: pl.DataFrame, kept: pl.Series) -> pd.DataFrame:
    """:func:`_pause_frame` on polars spans: the same values, order and dtypes."""
    # Strings sort by code point in both engines (UTF-8 bytes keep that order).
    order = ["number", "start", "end"]
    chosen = spans.filter(pl.col("number").is_in(kept.implode())).sort(
        order, maintain_order=True
    )
    times = pd.DatetimeTZDtype("us", "UTC")
    return pd.DataFrame(
        {
            "ticket_id": chosen["number"]
            .to_pandas()
            .astype(pd.StringDtype(na_value=np.nan)),
            "pause_start": chosen["start"].to_pandas().astype(times),
            "pause_end": chosen["end"].to_pandas().astype(times),
        }
    )


def _strip(column: str) -> pl.Expr:
    """``str.strip()`` exactly: the same whitespace characters."""
    return pl.col(column).str.strip_chars(_PY_WHITESPACE)


def _fast_check_last_rows(
    last: pl.DataFrame, tickets: _FastRejector, labels: Mapping[str, str]
) -> pl.DataFrame:
    """:func:`_check_last_rows` on polars rows; adds ``_priority``."""
    for name, message in (
        ("opened_at", "opened_at is empty, so the ticket has no start"),
        ("priority", "priority is empty"),
    ):
        tickets.reject(
            last.filter(pl.col(name).is_null()).select("number", value=pl.lit("")),
            name,
            "missing_value",
            message,
        )
    last = last.with_columns(_original=_strip("priority"))
    last = _map_distinct(
        last,
        "_original",
        lambda original: original.map(
            lambda label: labels.get(_normalise_label(label))
        ),
        "_priority",
        pl.String(),
    )
    unknown = last.filter(
        pl.col("_original").is_not_null() & pl.col("_priority").is_null()
    )
    known = ", ".join(repr(label) for label in DEFAULT_PRIORITY_MAP)
    for value in sorted(unknown["_original"].unique().to_list()):
        tickets.reject(
            unknown.filter(pl.col("_original") == value).select(
                "number", value="_original"
            ),
            "priority",
            "unknown_priority",
            f"priority {value!r} is not a known label or code ({known}, ignoring"
            f" case); map it with priority_map: {{'{value}': 'P1'..'P4'}} in the"
            " ticket source config (priority_map= in Python)",
        )
    for name in ("reassignment_count", "reopen_count"):
        if name in last:
            last = _map_distinct(last, name, _to_count, f"_{name}", pl.Float64())
            tickets.reject(
                last.filter(
                    pl.col(name).is_not_null() & pl.col(f"_{name}").is_null()
                ).select("number", value=name),
                name,
                "invalid_number",
                f"{name} is not a non-negative integer",
            )
    return last


def _fast_check_resolution_order(last: pl.DataFrame, tickets: _FastRejector) -> None:
    """:func:`_check_resolution_order` on polars rows."""
    opened = pl.col("opened_at_t")
    before = (pl.col("resolved_at_t") < opened).fill_null(value=False)
    tickets.reject(
        last.filter(before).select("number", value="resolved_at"),
        "resolved_at",
        "resolved_before_opened",
        "resolved_at (final resolution) is before opened_at",
    )
    first_before = (pl.col("_first_resolved") < opened).fill_null(value=False)
    tickets.reject(
        last.filter(first_before & ~before).select("number", value="resolved_at"),
        "sys_updated_at",
        "resolved_before_opened",
        "the first update in the Resolved state is before opened_at",
    )


def _fast_canonical(last: pl.DataFrame) -> pd.DataFrame:
    """The canonical tickets frame, in the dtypes the pandas path gives."""
    n = last.height
    text = pd.StringDtype(na_value=np.nan)
    times = "datetime64[us, UTC]"
    no_time = pd.Series(pd.NaT, index=range(n), dtype=times)

    def column(name: str, dtype: Any) -> pd.Series:
        values: pd.Series = (
            last[name].to_pandas()
            if name in last
            else pd.Series([None] * n, dtype=object)
        )
        return values.astype(dtype)

    columns = {
        "ticket_id": column("number", text),
        "source": pd.Series(SOURCE, index=range(n), dtype=text),
        "priority": column("_priority", text),
        "priority_original": column("_original", text),
        "status": last.select(_strip("incident_state"))
        .to_series()
        .to_pandas()
        .astype(text),
        "created_at": column("opened_at_t", times),
        **{name: no_time for name in _NOT_IN_EXPORT if name.endswith("_at")},
        "first_resolved_at": column("_first_resolved", times),
        "resolved_at": column("resolved_at_t", times),
        "closed_at": column("closed_at_t", times) if "closed_at_t" in last else no_time,
        "on_hold_seconds": column("_on_hold", "Float64"),
        "reassignment_count": column("_reassignment_count", "Float64").astype("Int64"),
        "reopen_count": column("_reopen_count", "Float64").astype("Int64"),
        "escalated": pd.Series(pd.NA, index=range(n), dtype="boolean"),
        "assignment_group": _fast_text(last, "assignment_group"),
        "category": _fast_text(last, "category"),
        "csat_score": pd.Series(pd.NA, index=range(n), dtype="Float64"),
    }
    frame = pd.DataFrame({name: value.array for name, value in columns.items()})
    return frame[list(TICKETS_COLUMNS)]


def _fast_text(last: pl.DataFrame, name: str) -> pd.Series:
    if name not in last:
        return pd.Series(pd.NA, index=range(last.height), dtype="string")
    return last.select(_strip(name)).to_series().to_pandas().astype("string")


# --- notes ---


def _notes(
    result: LoadResult, label: str, timezone: str, order: str, *, event_log: bool
) -> list[str]:
    notes = [
        f"Naive times read as {timezone} (ServiceNow {label} exports hold stored UTC"
        f" values); date order {order}.",
    ]
    if event_log:
        notes += [
            f"Event log: {result.rows_used:,} update rows collapsed to"
            f" {len(result.frame):,} tickets (one row each)."
            " Rows ordered by sys_mod_count, then sys_updated_at, then file order; the"
            " last row gives priority, status, final resolved_at, closed_at, counts,"
            " group, category and created_at (its opened_at).",
            "first_resolved_at = earliest sys_updated_at of a Resolved row,"
            " capped at resolved_at; resolved_at when there is no such row.",
            "on_hold_seconds = time from each Awaiting*/On Hold update to the next"
            " update of the ticket, summed; an open final interval is not counted."
            " The same intervals are kept as paused intervals, which a"
            " business-hours clock takes off.",
        ]
    else:
        notes.append("One row per ticket; first_resolved_at = resolved_at.")
    notes.append(
        "Not in this export (left empty): first_response_at, acknowledged_at,"
        " detected_at, impact_started_at, csat_score; escalated unknown."
    )
    reasons = result.rejected["reason_code"].value_counts().to_dict()
    detail = ", ".join(f"{code} {count:,}" for code, count in sorted(reasons.items()))
    notes.append(
        f"{len(result.frame):,} tickets from {result.rows_used:,} rows;"
        f" {result.rows_rejected:,} rows rejected"
        + (f" ({detail})." if detail else ".")
    )
    return notes
