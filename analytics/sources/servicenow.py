"""Read ServiceNow ``incident`` CSV exports into the canonical tickets frame.

Two shapes of export are understood:

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
``invalid_number``          a count is not a non-negative integer
``resolved_before_opened``  the final (or first) resolution is before
                            ``opened_at``
``duplicate_row``           an exact copy of an earlier row; in a plain
                            export also a repeated ticket number
==========================  =================================================
"""

from __future__ import annotations

import gzip
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.frames import TICKETS_COLUMNS, LoadResult, Rejections, file_sha256
from analytics.sources._csv import refuse_semicolon_separated
from analytics.timeparse import (
    DateOrder,
    ParsedTimes,
    detect_date_order,
    parse_timestamps,
)

__all__ = ["DEFAULT_PRIORITY_MAP", "read_servicenow_csv"]

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

_CANONICAL_PRIORITIES: Final = ("P1", "P2", "P3", "P4")
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
# Columns the reader adds to the raw table (line number, file order); not the file's.
_HELPER_COLUMNS: Final = frozenset({"_row", "_pos"})
_MISSING_MARKERS: Final = ["?", ""]
_RESOLVED_STATES: Final = frozenset({"resolved", "closed"})
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
        ``priority_map`` or ``column_map`` is invalid.

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
      ``incident_state`` is ``Resolved`` or ``Closed``, capped at the final
      ``resolved_at`` (a first resolution cannot come after the final one);
      when no such row exists, it is ``resolved_at``.
    * ``on_hold_seconds`` is the sum, over rows whose state starts with
      ``Awaiting`` (or is ``On Hold``), of the time from that row's
      ``sys_updated_at`` to the next row's. A ticket whose last row is on
      hold gets nothing for that open interval; an interval whose next update
      has an earlier timestamp counts zero.
    * Dates and ``sys_mod_count`` are checked on every row (they order and
      time the log); priority and counts only on the last row (only it is
      used).

    In a plain export ``first_resolved_at`` equals ``resolved_at`` and
    ``on_hold_seconds`` is NA.

    ``row_number`` in ``rejected`` is the parsed row index + 2 (header = line
    1). A quoted cell holding a newline would shift later line numbers; the
    number is then the record's position, not its physical line.

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
    started = time.perf_counter()
    path = Path(path)
    labels = _priority_lookup(priority_map)

    raw = _read_raw(path)
    raw = _apply_column_map(raw, column_map, path)
    _require_columns(raw, _REQUIRED, path, column_map)

    rejections = Rejections(path)
    rows = _select_candidate_rows(raw, rejections, event_log=event_log)
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
    order = _parse_dates(
        rows.candidates, tickets, path, timezone, date_order, rows.event_log
    )
    _check_event_order_columns(rows.candidates, tickets, event_log=rows.event_log)
    frame = _collapse(rows.candidates, tickets, labels, event_log=rows.event_log)

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
    )
    result.notes.extend(_notes(result, timezone, order, event_log=rows.event_log))
    result.check_accounting()

    logger.info(
        "read %s: %d rows, %d tickets, %d rows rejected, %.2f s",
        path,
        result.rows_in,
        len(frame),
        result.rows_rejected,
        time.perf_counter() - started,
    )
    return result


# --- reading the file ---


def _read_raw(path: Path) -> pd.DataFrame:
    """Read every cell as text; ``?`` and empty cells become missing."""
    compression = _sniff(path)
    try:
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
            with gzip.open(path, "rb") as handle:
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
    fix = f"pass column_map={{{example}}} if the export renamed them"
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
    raw: pd.DataFrame, rejections: Rejections, *, event_log: bool | None
) -> _Candidates:
    """Set aside rows without a number and duplicates; decide the export's shape.

    Adds helper columns ``_row`` (1-based line number) and ``_pos`` (file order)
    to ``raw`` in place, after duplicates are found on the file's own columns.
    """
    duplicate = raw.duplicated(keep="first").to_numpy()
    raw["number"] = raw["number"].str.strip()
    raw["_pos"] = np.arange(len(raw))
    # Line numbers assume one line per record; see the docstring of read_servicenow_csv.
    raw["_row"] = raw["_pos"] + 2

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
            " (pass event_log=True if the file is an audit log)",
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
        raise InputError(
            path,
            f"no value of column {column!r} is a date in the"
            f" {_ORDER_FORMATS.get(order, order)} order",
            column=column,
            value=text[present].iloc[0],
            fix="pass date_order= (iso, dayfirst, monthfirst), or column_map if this"
            " is not the column you meant",
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
    rows: pd.DataFrame,
    tickets: _TicketRejector,
    labels: Mapping[str, str],
    *,
    event_log: bool,
) -> pd.DataFrame:
    """One row per ticket, in the canonical columns, rejected tickets removed."""
    sort_keys = (
        ["number", "_mod", "sys_updated_at_t", "_pos"] if event_log else ["number"]
    )
    rows = rows.sort_values(sort_keys, kind="stable", na_position="last")
    last = rows.loc[~rows["number"].duplicated(keep="last")].set_index("number")

    priority = _check_last_rows(last, tickets, labels)
    first_resolved = _first_resolved(rows, last) if event_log else last["resolved_at_t"]
    _check_resolution_order(last, first_resolved, tickets)

    frame = _canonical(last, priority, first_resolved)
    if event_log:
        frame["on_hold_seconds"] = _on_hold_seconds(rows).reindex(last.index).array
    keep = ~frame["ticket_id"].isin(tickets.rejected)
    return frame.loc[keep].reset_index(drop=True)


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
    tickets.reject(
        original[unknown],
        "priority",
        "unknown_priority",
        f"priority is not a known label ({known}, ignoring case); pass"
        " priority_map={'<label>': 'P1'..'P4'} to map it",
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
    """Earliest update in a resolved/closed state, capped at the final resolution."""
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
        "the first update in a Resolved/Closed state is before opened_at",
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


# --- notes ---


def _notes(
    result: LoadResult, timezone: str, order: str, *, event_log: bool
) -> list[str]:
    notes = [
        f"Naive times read as {timezone} (ServiceNow CSV exports hold stored UTC"
        f" values); date order {order}.",
    ]
    if event_log:
        notes += [
            f"Event log: {result.rows_used:,} update rows collapsed to"
            f" {len(result.frame):,} tickets (one row each)."
            " Rows ordered by sys_mod_count, then sys_updated_at, then file order; the"
            " last row gives priority, status, final resolved_at, closed_at, counts,"
            " group, category and created_at (its opened_at).",
            "first_resolved_at = earliest sys_updated_at of a Resolved/Closed row,"
            " capped at resolved_at; resolved_at when there is no such row.",
            "on_hold_seconds = time from each Awaiting*/On Hold update to the next"
            " update of the ticket, summed; an open final interval is not counted.",
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
