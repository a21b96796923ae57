"""Read usage events, web access logs and licence counts.

Three canonical frames come out of this module:

* **activity** (``kind="activity"``): one row per usage event, columns
  :data:`ACTIVITY_COLUMNS` (``user_id`` text, ``timestamp`` tz-aware UTC,
  ``feature`` text or missing), sorted by time. Read from CSV
  (:func:`read_activity_csv`), Parquet (:func:`read_activity_parquet`) or an
  Apache / nginx access log (:func:`read_access_log`, which keeps the request's
  method, path, protocol, status, bytes, referrer and user agent as well).
* **licences** (``kind="licences"``): ``date`` (tz-aware UTC, the moment the
  count takes effect) and ``licensed_users`` (whole number ≥ 0), sorted by date.
  A count stays in force until the next row (:func:`read_licences_csv`).

Rows that cannot be used are rejected with a reason code, never dropped:

==========================  ==================================================
reason code                 meaning
==========================  ==================================================
``missing_value``           empty user id, timestamp or licence count
``unparseable_date``        timestamp is not a date in the expected format
``nonexistent_local_time``  naive local time that does not exist or exists
                            twice in ``timezone`` (DST change)
``malformed_line``          access-log line that is not in common or combined
                            log format (the line number is the file's line)
``unparseable_number``      licence count is not a number
``out_of_range``            licence count is negative or not whole
``duplicate_date``          same licence date and count as an earlier row
``conflicting_count``       same licence date, different counts: all copies
                            rejected, the count on that date is unknown
==========================  ==================================================
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from analytics.errors import InputError
from analytics.frames import LoadResult
from analytics.sources._compressed import decompression_errors
from analytics.sources._readers import (
    RowRejector,
    finish,
    read_text_csv,
    rename_columns,
    require_columns,
)
from analytics.timeparse import DateOrder, parse_timestamps

__all__ = [
    "ACCESS_LOG_COLUMNS",
    "ACTIVITY_COLUMNS",
    "LICENCES_COLUMNS",
    "read_access_log",
    "read_activity_csv",
    "read_activity_parquet",
    "read_licences_csv",
]

ACTIVITY_COLUMNS: Final = ("user_id", "timestamp", "feature")
"""Activity frame: one usage event per row; ``timestamp`` is tz-aware UTC."""

ACCESS_LOG_COLUMNS: Final = (
    *ACTIVITY_COLUMNS,
    "method",
    "path",
    "protocol",
    "status",
    "bytes",
    "referrer",
    "user_agent",
    "line_number",
)
"""Activity frame read from an access log: one request per row.

``status`` is the HTTP status (int), ``bytes`` the response size (``<NA>`` for
``-``), ``referrer`` and ``user_agent`` are missing in common log format.
``line_number`` is the 1-based line in the log."""

LICENCES_COLUMNS: Final = ("date", "licensed_users")
"""Licences frame: the count in force from ``date`` (UTC) until the next row."""

_ACTIVITY_FIELDS: Final = ACTIVITY_COLUMNS
_LICENCE_FIELDS: Final = LICENCES_COLUMNS
_ACTIVITY_HINT: Final = (
    "export usage events as CSV with a header row: user_id,timestamp,feature"
)
_LICENCE_HINT: Final = "export licence counts as CSV with a header: date,licensed_users"
_LOG_HINT: Final = "pass an Apache or nginx access log in common or combined format"

# host ident authuser [time] "request" status bytes ["referrer" "user agent"]
# Quoted fields may contain backslash-escaped quotes, as Apache and nginx write them.
# A user agent cut off before its closing quote (seen in real logs) is kept as written:
# the request's time, status and size are intact.
_QUOTED: Final = r'"((?:[^"\\]|\\.)*)"'
_LOG_LINE: Final = re.compile(
    r"^(\S+) (\S+) (\S+) \[([^\]]+)\] "
    + _QUOTED
    + r" (\d{3}) (\d+|-)"
    + r"(?: "
    + _QUOTED
    + r' "((?:[^"\\]|\\.)*)"?'
    + r")?\s*$"
)
_LOG_TIME: Final = re.compile(
    r"^(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$"
)
_MONTHS: Final = {
    name: f"{number:02d}"
    for number, name in enumerate(
        [
            "jan",
            "feb",
            "mar",
            "apr",
            "may",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
        ],
        start=1,
    )
}
_REQUEST: Final = re.compile(r"^([A-Za-z]+) (\S+)(?: (HTTP/[\d.]+))?$")


# --- usage events ---------------------------------------------------------------------


def read_activity_csv(
    path: str | Path,
    *,
    timezone: str = "UTC",
    date_order: DateOrder = "auto",
    column_map: Mapping[str, str] | None = None,
) -> LoadResult:
    """Read usage events from CSV into the activity frame.

    Parameters
    ----------
    path
        CSV (plain or gzip) with a header and columns ``user_id``,
        ``timestamp`` and optionally ``feature`` (after ``column_map``).
    timezone
        IANA zone of naive timestamps; values with an offset keep it.
    date_order
        ``"iso"``, ``"dayfirst"``, ``"monthfirst"`` or ``"auto"`` (detected,
        an error when the data cannot tell).
    column_map
        The file's names → ``user_id``, ``timestamp``, ``feature``.

    Returns
    -------
    LoadResult
        ``kind="activity"``, columns :data:`ACTIVITY_COLUMNS`, sorted by time.
        An empty feature is kept as missing (the event still counts as
        activity).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = "user,ts,feature\\nu1,2026-03-01 10:00,search\\n,2026-03-01 11:00,x\\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "events.csv")
    ...     _ = p.write_text(text)
    ...     r = read_activity_csv(p, column_map={"user": "user_id", "ts": "timestamp"})
    >>> r.frame["timestamp"].astype(str).tolist(), r.rejected["reason_code"].tolist()
    (['2026-03-01 10:00:00+00:00'], ['missing_value'])
    """
    started = time.perf_counter()
    path = Path(path)
    names, cells = read_text_csv(path, export_hint=_ACTIVITY_HINT)
    names = rename_columns(names, column_map, _ACTIVITY_FIELDS, path)
    table = _first_of_each(names, cells)
    require_columns(table, ("user_id", "timestamp"), path, column_map)
    rows = RowRejector(path, table)

    user = _reject_missing(table, "user_id", rows)
    stamps = _event_times(table["timestamp"], rows, path, timezone, date_order)
    rows.note_row_times(stamps)
    feature = (
        _text(table["feature"])
        if "feature" in table
        else pd.Series(pd.NA, index=table.index, dtype="string")
    )

    frame = pd.DataFrame({"user_id": user, "timestamp": stamps, "feature": feature})
    notes = [f"Naive timestamps read as {timezone}, converted to UTC."]
    return finish(
        frame,
        rows,
        path,
        kind="activity",
        notes=notes,
        started=started,
        sort_by=["timestamp", "user_id"],
    )


def read_activity_parquet(
    path: str | Path,
    *,
    timezone: str = "UTC",
    column_map: Mapping[str, str] | None = None,
) -> LoadResult:
    """Read usage events from Parquet into the activity frame.

    Parameters
    ----------
    path
        Parquet file with ``user_id``, ``timestamp`` (a datetime, with or
        without a zone, or ISO text) and optionally ``feature``.
    timezone
        IANA zone of naive timestamps.
    column_map
        The file's names → canonical names.

    Returns
    -------
    LoadResult
        As :func:`read_activity_csv`; ``row_number`` in ``rejected`` is the
        1-based row (Parquet has no header line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp(), "events.parquet")
    >>> pd.DataFrame({"user_id": ["u1"], "timestamp": pd.to_datetime(
    ...     ["2026-03-01 10:00"]).tz_localize("Europe/Berlin")}).to_parquet(p)
    >>> str(read_activity_parquet(p).frame["timestamp"].iloc[0])
    '2026-03-01 09:00:00+00:00'
    """
    started = time.perf_counter()
    path = Path(path)
    table = _read_parquet(path)
    if column_map:
        missing = [name for name in column_map if name not in table.columns]
        if missing:
            raise InputError(
                path,
                f"column_map names column(s) {', '.join(missing)}, not in the file;"
                f" its columns are {', '.join(map(str, table.columns))}",
                fix="correct the left-hand names of column_map",
            )
        table = table.rename(columns=dict(column_map))
    require_columns(table, ("user_id", "timestamp"), path, column_map)
    table = table.reset_index(drop=True)
    rows = RowRejector(path, table, first_row=1)

    user = _reject_missing(table, "user_id", rows)
    stamps = _parquet_times(table["timestamp"], rows, path, timezone)
    rows.note_row_times(stamps)
    feature = (
        _text(table["feature"])
        if "feature" in table
        else pd.Series(pd.NA, index=table.index, dtype="string")
    )

    frame = pd.DataFrame({"user_id": user, "timestamp": stamps, "feature": feature})
    notes = [f"Naive timestamps read as {timezone}, converted to UTC."]
    return finish(
        frame,
        rows,
        path,
        kind="activity",
        notes=notes,
        started=started,
        sort_by=["timestamp", "user_id"],
    )


# --- access logs ----------------------------------------------------------------------


def read_access_log(
    path: str | Path,
    *,
    user: Literal["client", "auth_user"] = "client",
    feature_from: Literal["path_prefix", "none"] = "path_prefix",
) -> LoadResult:
    """Read an Apache / nginx access log (common or combined format) as activity.

    Each line is one request::

        host ident authuser [17/May/2015:10:05:03 +0000] "GET /a/b HTTP/1.1" 200 2326 "referrer" "agent"

    The time carries its own offset and is converted to UTC. The file may be
    gzip-compressed (detected from its first bytes).

    Parameters
    ----------
    path
        The log file, plain or ``.gz``.
    user
        Which field identifies the user: ``"client"`` (the host / address,
        the default for logs without logins) or ``"auth_user"`` (the
        authenticated user; lines with ``-`` are kept with a missing user).
    feature_from
        ``"path_prefix"``: the feature is the first segment of the path
        (``/reports/42?x=1`` → ``reports``; ``/`` → ``/``); ``"none"``: no
        feature.

    Returns
    -------
    LoadResult
        ``kind="activity"``, columns :data:`ACCESS_LOG_COLUMNS`, sorted by
        time then line. A request that is not ``METHOD target [protocol]``
        (for example ``-`` for a request that timed out) is kept, since it
        still got a status, with missing method, path and protocol. Lines not
        in the format are rejected as ``malformed_line``, bad times as
        ``unparseable_date``; ``row_number`` is the file's line number.

    Raises
    ------
    InputError
        The file is missing, empty, binary, or has no line in the format.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> log = (
    ...     '10.0.0.1 - - [17/May/2015:12:05:03 +0200] "GET /docs/a HTTP/1.1" 200 512\\n'
    ...     "not a log line\\n"
    ... )
    >>> p = pathlib.Path(tempfile.mkdtemp(), "access.log")
    >>> _ = p.write_text(log)
    >>> r = read_access_log(p)
    >>> row = r.frame.iloc[0]
    >>> str(row["timestamp"]), row["feature"], int(row["status"])
    ('2015-05-17 10:05:03+00:00', 'docs', 200)
    >>> r.rejected[["row_number", "reason_code"]].values.tolist()
    [[2, 'malformed_line']]
    """
    started = time.perf_counter()
    path = Path(path)
    lines = _read_log_lines(path)
    table = pd.DataFrame({"line": pd.Series(lines, dtype="string")})
    rows = RowRejector(path, table, first_row=1)

    parts = table["line"].str.extract(_LOG_LINE)
    rows.reject(
        parts[0].isna(),
        "line",
        table["line"].str.slice(0, 200),
        "malformed_line",
        "not an access-log line in common or combined log format",
    )
    if rows.rejected.all():
        raise InputError(
            path,
            f"none of its {len(lines):,} lines is in common or combined log format",
            value=lines[0][:120] if lines else None,
            fix=_LOG_HINT,
        )
    stamps = _log_times(parts[3], rows)
    rows.note_row_times(stamps)
    frame = _log_frame(parts, stamps, rows, user=user, feature_from=feature_from)
    notes = [
        "Access log: one row per request; times converted from their own offset to UTC.",
        f"User = the log's {'client address' if user == 'client' else 'authenticated user'}"
        f"; feature = {'first path segment' if feature_from == 'path_prefix' else 'none'}.",
    ]
    return finish(
        frame,
        rows,
        path,
        kind="activity",
        notes=notes,
        started=started,
        sort_by=["timestamp", "line_number"],
    )


def _read_log_lines(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else Path.open
        with decompression_errors(path), opener(path, "rb") as handle:
            data: bytes = handle.read()
    except FileNotFoundError as error:
        raise InputError(path, "does not exist", fix="check the path") from error
    except (OSError, EOFError) as error:
        raise InputError(path, f"cannot be read ({error})", fix=_LOG_HINT) from error
    if not data.strip():
        raise InputError(path, "is empty", fix=_LOG_HINT)
    if b"\x00" in data[:65536]:
        raise InputError(path, "is a binary file, not a text log", fix=_LOG_HINT)
    # Paths and agents may hold bytes that are not UTF-8: keep them visible, never fail.
    return data.decode("utf-8", errors="backslashreplace").splitlines()


def _log_times(text: pd.Series, rows: RowRejector) -> pd.Series:
    parts = text.str.extract(_LOG_TIME)
    month = parts[1].str.lower().map(_MONTHS)
    iso = (
        parts[2]
        + "-"
        + month
        + "-"
        + parts[0]
        + "T"
        + parts[3]
        + ":"
        + parts[4]
        + ":"
        + parts[5]
        + parts[6]
        + parts[7]
        + ":"
        + parts[8]
    )
    stamps = pd.to_datetime(iso, format="ISO8601", utc=True, errors="coerce")
    rows.reject(
        stamps.isna() & ~rows.rejected,
        "time",
        text,
        "unparseable_date",
        "request time is not dd/Mon/yyyy:HH:MM:SS ±hhmm",
    )
    return stamps.astype("datetime64[us, UTC]")


def _log_frame(
    parts: pd.DataFrame,
    stamps: pd.Series,
    rows: RowRejector,
    *,
    user: str,
    feature_from: str,
) -> pd.DataFrame:
    request = parts[4].str.extract(_REQUEST)
    target = request[1]
    path = target.str.replace(r"[?#].*$", "", regex=True)
    if feature_from == "path_prefix":
        segment = path.str.extract(r"^/*([^/]*)")[0]
        feature = segment.where(segment != "", "/").where(path.notna())
    else:
        feature = pd.Series(pd.NA, index=parts.index, dtype="string")
    user_field = parts[0] if user == "client" else parts[2]
    return pd.DataFrame(
        {
            "user_id": user_field.where(user_field != "-").astype("string"),
            "timestamp": stamps,
            "feature": feature.astype("string"),
            "method": request[0].astype("string"),
            "path": path.astype("string"),
            "protocol": request[2].astype("string"),
            "status": pd.to_numeric(parts[5]).astype("Int64"),
            "bytes": pd.to_numeric(parts[6].replace("-", pd.NA)).astype("Int64"),
            "referrer": parts[7].astype("string"),
            "user_agent": parts[8].astype("string"),
            "line_number": rows.row_numbers.astype("int64"),
        }
    )


# --- licences -------------------------------------------------------------------------


def read_licences_csv(
    path: str | Path,
    *,
    timezone: str = "UTC",
    date_order: DateOrder = "auto",
    column_map: Mapping[str, str] | None = None,
) -> LoadResult:
    """Read licence counts over time into the licences frame.

    Parameters
    ----------
    path
        CSV with ``date`` and ``licensed_users`` (after ``column_map``). A
        date without a time means the start of that day in ``timezone``.
    timezone
        IANA zone of naive dates.
    date_order
        As for :func:`read_activity_csv`.
    column_map
        The file's names → ``date``, ``licensed_users``.

    Returns
    -------
    LoadResult
        ``kind="licences"``, columns :data:`LICENCES_COLUMNS`, sorted by date.
        Each count is in force from its date until the next row's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = "date,licensed_users\\n2026-03-01,100\\n2026-04-01,-5\\n2026-05-01,120\\n"
    >>> p = pathlib.Path(tempfile.mkdtemp(), "licences.csv")
    >>> _ = p.write_text(text)
    >>> r = read_licences_csv(p)
    >>> r.frame["licensed_users"].tolist(), r.rejected["reason_code"].tolist()
    ([100, 120], ['out_of_range'])
    """
    started = time.perf_counter()
    path = Path(path)
    names, cells = read_text_csv(path, export_hint=_LICENCE_HINT)
    names = rename_columns(names, column_map, _LICENCE_FIELDS, path)
    table = _first_of_each(names, cells)
    require_columns(table, _LICENCE_FIELDS, path, column_map)
    rows = RowRejector(path, table)

    dates = _event_times(table["date"], rows, path, timezone, date_order, column="date")
    counts = _licence_counts(table["licensed_users"], rows)
    _reject_duplicate_dates(dates, counts, rows)

    frame = pd.DataFrame({"date": dates, "licensed_users": counts})
    notes = ["A licence count is in force from its date until the next row's date."]
    return finish(
        frame,
        rows,
        path,
        kind="licences",
        notes=notes,
        started=started,
        sort_by=["date"],
    )


def _licence_counts(text: pd.Series, rows: RowRejector) -> pd.Series:
    raw = text.astype("string").str.strip().str.replace(",", "", regex=False)
    number = pd.to_numeric(raw, errors="coerce")
    rows.reject(
        raw.isna() & ~rows.rejected,
        "licensed_users",
        raw,
        "missing_value",
        "licence count is empty",
    )
    rows.reject(
        raw.notna() & number.isna() & ~rows.rejected,
        "licensed_users",
        raw,
        "unparseable_number",
        "licence count is not a number",
    )
    rows.reject(
        number.notna() & ((number < 0) | (number % 1 != 0)) & ~rows.rejected,
        "licensed_users",
        raw,
        "out_of_range",
        "licence count is not a whole number ≥ 0",
    )
    return number.where(~rows.rejected, 0).fillna(0).astype("int64")


def _reject_duplicate_dates(
    dates: pd.Series, counts: pd.Series, rows: RowRejector
) -> None:
    usable = ~rows.rejected & dates.notna()
    pairs = pd.DataFrame({"date": dates, "count": counts})[usable]
    conflicting = pairs.groupby("date")["count"].transform("nunique") > 1
    conflict_mask = pd.Series(False, index=dates.index)
    conflict_mask[conflicting[conflicting].index] = True
    rows.reject(
        conflict_mask,
        "date",
        dates.astype("string"),
        "conflicting_count",
        "the same date has different licence counts; the count on that date is unknown",
    )
    repeat = pairs.loc[~conflicting].duplicated(keep="first")
    repeat_mask = pd.Series(False, index=dates.index)
    repeat_mask[repeat[repeat].index] = True
    rows.reject(
        repeat_mask,
        "date",
        dates.astype("string"),
        "duplicate_date",
        "same date and count as an earlier row; kept once",
    )


# --- shared helpers -------------------------------------------------------------------


def _first_of_each(names: list[str], cells: pd.DataFrame) -> pd.DataFrame:
    """Name the cells; a repeated column name keeps its first column."""
    keep = [i for i, name in enumerate(names) if name and name not in names[:i]]
    table = cells.iloc[:, keep].copy()
    table.columns = [names[i] for i in keep]
    return table


def _text(values: pd.Series) -> pd.Series:
    """Stripped text; empty cells are missing."""
    text = values.astype("string").str.strip()
    return text.where(text != "")


def _reject_missing(table: pd.DataFrame, column: str, rows: RowRejector) -> pd.Series:
    values = _text(table[column])
    rows.reject(
        values.isna(),
        column,
        values,
        "missing_value",
        f"{column} is empty: an event without a user cannot be counted",
    )
    return values


def _event_times(
    text: pd.Series,
    rows: RowRejector,
    path: Path,
    timezone: str,
    date_order: DateOrder,
    *,
    column: str = "timestamp",
) -> pd.Series:
    parsed = parse_timestamps(
        text, timezone=timezone, date_order=date_order, path=path, column=column
    )
    raw = text.astype("string")
    rows.reject(
        (raw.isna() | (raw.str.strip() == "")) & ~rows.rejected,
        column,
        raw,
        "missing_value",
        f"{column} is empty",
    )
    rows.reject(
        parsed.unparseable & ~rows.rejected,
        column,
        raw,
        "unparseable_date",
        f"not a date in the {parsed.date_order} format",
    )
    rows.reject(
        parsed.nonexistent_or_ambiguous & ~rows.rejected,
        column,
        raw,
        "nonexistent_local_time",
        f"local time does not exist or happens twice in {timezone} (DST change)",
    )
    values: pd.Series = parsed.values.astype("datetime64[us, UTC]")
    return values


def _read_parquet(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(path, "does not exist", fix="check the path")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise InputError(
            path, f"is not a readable Parquet file ({error})", fix=_ACTIVITY_HINT
        ) from error
    if table.empty:
        raise InputError(path, "has no rows", fix="check the export's filter")
    return table


def _parquet_times(
    values: pd.Series, rows: RowRejector, path: Path, timezone: str
) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        aware: pd.Series = values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        return aware
    if pd.api.types.is_datetime64_dtype(values.dtype):
        local = values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        rows.reject(
            values.notna() & local.isna(),
            "timestamp",
            values.astype("string"),
            "nonexistent_local_time",
            f"local time does not exist or happens twice in {timezone} (DST change)",
        )
        rows.reject(
            values.isna(),
            "timestamp",
            values.astype("string"),
            "missing_value",
            "timestamp is empty",
        )
        utc: pd.Series = local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        return utc
    return _event_times(values.astype("string"), rows, path, timezone, "auto")
