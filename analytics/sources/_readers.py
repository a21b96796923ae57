"""Reading helpers shared by the Jira, PagerDuty, survey, activity and alert readers.

CSV and JSON files (plain or gzip) are sniffed before parsing so that a wrong
file gets a clear error; :class:`RowRejector` collects rejected rows with
reason codes and :func:`finish` checks that used + rejected = input rows.
Private: the public readers live in the format modules.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.frames import TICKETS_COLUMNS, LoadResult, Rejections, file_sha256
from analytics.sources._compressed import decompression_errors
from analytics.sources._csv import (
    refuse_other_delimiter,
    refuse_semicolon_separated,
    unsplittable_csv,
    wide_text_encoding,
    wide_text_error,
)
from analytics.timeparse import parse_timestamps

__all__ = [
    "RowRejector",
    "finish",
    "iso_times",
    "normalise_label",
    "parse_formatted_dates",
    "priority_lookup",
    "read_json",
    "read_named_csv",
    "read_text_csv",
    "rename_columns",
    "require_columns",
    "text_column",
    "tickets_frame",
]

logger = logging.getLogger(__name__)

_SNIFF_BYTES: Final = 64 * 1024


class RowRejector:
    """Rejects input rows (one row = one ticket) and remembers which.

    ``file_names`` maps the reader's column names to the file's own (the
    inverse of the column map applied), so that each rejection names the
    column as the user sees it in the file; names not in it are shown as given.
    """

    def __init__(
        self,
        path: Path,
        table: pd.DataFrame,
        *,
        first_row: int = 2,
        file_names: Mapping[str, str] | None = None,
    ) -> None:
        self.rejections = Rejections(path)
        self.file_names = dict(file_names or {})
        self.row_numbers = pd.Series(
            np.arange(len(table)) + first_row, index=table.index
        )
        self.rejected = pd.Series(False, index=table.index)

    def reject(
        self,
        mask: pd.Series,
        column: str,
        values: pd.Series | None,
        reason_code: str,
        message: str,
    ) -> None:
        """Reject the rows where ``mask`` is true (NA counts as false)."""
        mask = mask.fillna(False).astype(bool) if mask.dtype != bool else mask
        if not mask.any():
            return
        shown = values if values is not None else pd.Series("", index=mask.index)
        shown = shown.map(lambda v: "; ".join(v) if isinstance(v, list) else v)
        self.rejections.add_many(
            self.row_numbers[mask],
            self.file_names.get(column, column),
            shown[mask],
            reason_code,
            message,
        )
        self.rejected |= mask

    def note_row_times(self, times: pd.Series) -> None:
        """Record each row's own time (NaT where unknown) for its rejection, if any.

        A criterion counts the rejected rows of its evidence window by it.
        """
        self.rejections.note_row_times(
            self.row_numbers, times.reindex(self.row_numbers.index)
        )


def finish(
    frame: pd.DataFrame,
    rows: RowRejector,
    path: Path,
    *,
    kind: str,
    notes: list[str],
    started: float,
    sort_by: str | list[str] = "ticket_id",
) -> LoadResult:
    """Keep the unrejected rows sorted by ``sort_by``, check the accounting, log one line."""
    kept = frame.loc[~rows.rejected.to_numpy()]
    kept = kept.sort_values(sort_by, kind="stable").reset_index(drop=True)
    result = LoadResult(
        frame=kept,
        rejected=rows.rejections.frame(),
        source_file=str(path),
        kind=kind,
        rows_in=len(frame),
        rows_used=len(kept),
        sha256=file_sha256(path),
        notes=notes,
        row_times=rows.rejections.row_times(),
    )
    result.check_accounting()
    logger.info(
        "read %s: %d rows, %d used, %d rejected, %.2f s",
        path,
        result.rows_in,
        result.rows_used,
        result.rows_rejected,
        time.perf_counter() - started,
    )
    return result


def tickets_frame(n: int, *, source: str, **columns: pd.Series | None) -> pd.DataFrame:
    """A canonical tickets frame of ``n`` rows; columns not given are NA."""
    out: dict[str, pd.Series] = {}
    for name in TICKETS_COLUMNS:
        dtype: Any = _TICKET_DTYPES.get(name, "datetime64[us, UTC]")
        value = columns.get(name)
        if name == "source":
            out[name] = pd.Series([source] * n, dtype=dtype)
        elif value is None:
            out[name] = pd.Series([None] * n, dtype=dtype)
        else:
            out[name] = value.reset_index(drop=True).astype(dtype)
    return pd.DataFrame(out)


_TICKET_DTYPES: Final = {
    "ticket_id": "string",
    "source": "string",
    "priority": "string",
    "priority_original": "string",
    "status": "string",
    "on_hold_seconds": "Float64",
    "reassignment_count": "Int64",
    "reopen_count": "Int64",
    "escalated": "boolean",
    "assignment_group": "string",
    "category": "string",
    "csat_score": "Float64",
}


def text_column(table: pd.DataFrame, column: str) -> pd.Series | None:
    """A stripped text column, or None when absent."""
    if column not in table:
        return None
    return table[column].astype("string").str.strip()


def iso_times(
    table: pd.DataFrame, column: str, rows: RowRejector, *, noun: str = "time"
) -> pd.Series:
    """An ISO 8601 column as UTC times; NaT when absent.

    A value that does not parse is rejected as ``unparseable_date`` ("not an
    ISO 8601 <noun>") and becomes NaT.
    """
    if column not in table:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[us, UTC]")
    text = table[column].astype("string")
    values = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    rows.reject(
        text.notna() & values.isna(),
        column,
        text,
        "unparseable_date",
        f"not an ISO 8601 {noun}",
    )
    return values.astype("datetime64[us, UTC]")


def normalise_label(label: str) -> str:
    """Case- and blank-insensitive key of a label."""
    return " ".join(str(label).split()).casefold()


def priority_lookup(
    defaults: Mapping[str, str], overrides: Mapping[str, str] | None
) -> dict[str, str]:
    merged = {**defaults, **(overrides or {})}
    for label, canonical in merged.items():
        if canonical not in ("P1", "P2", "P3", "P4"):
            raise ConfigError(
                f"priority_map maps {label!r} to {canonical!r}; values must be P1..P4"
            )
    return {normalise_label(k): v for k, v in merged.items()}


def rename_columns(
    names: list[str],
    column_map: Mapping[str, str] | None,
    known: Iterable[str] | None,
    path: Path,
) -> list[str]:
    """Header ``names`` after ``column_map`` (file name → ours), checked.

    ``known`` is the set of names the reader uses (None: any name).
    """
    if not column_map:
        return names
    allowed = None if known is None else set(known)
    for theirs, ours in column_map.items():
        if allowed is not None and ours not in allowed:
            raise ConfigError(
                f"column_map maps {theirs!r} to {ours!r}, not a column this reader"
                f" uses; expected one of {', '.join(sorted(allowed))}"
            )
        if theirs not in names:
            raise InputError(
                path,
                f"column_map names column {theirs!r}, which is not in the file;"
                f" its columns are {', '.join(dict.fromkeys(names))}",
                fix="correct the left-hand names of column_map",
            )
    return [column_map.get(n, n) for n in names]


def require_columns(
    table: pd.DataFrame,
    required: Iterable[str],
    path: Path,
    column_map: Mapping[str, str] | None,
) -> None:
    """Raise an :class:`InputError` listing the missing columns and the fix."""
    missing = [name for name in required if name not in table.columns]
    if not missing:
        return
    example = ", ".join(f"'<your name for {name}>': {name!r}" for name in missing)
    mapped = f" (after column_map {dict(column_map)!r})" if column_map else ""
    raise InputError(
        path,
        f"required column(s) {', '.join(missing)} not found{mapped}; the file has:"
        f" {', '.join(map(str, table.columns))}",
        fix=f"set column_map: {{{example}}} on this source in the config if the"
        " export renamed them (column_map= in Python)",
    )


def _sniff(path: Path, *, expect: Literal["csv", "json"], export_hint: str) -> bytes:
    """First bytes of the (possibly gzip) file; refuse what is clearly wrong.

    UTF-16 or UTF-32 text is named as such (it holds NUL bytes, but it is not
    binary); a CSV header separated by semicolons or tabs is refused with the
    separator named.
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else Path.open
        with decompression_errors(path), opener(path, "rb") as handle:
            head: bytes = handle.read(_SNIFF_BYTES)
    except FileNotFoundError as error:
        raise InputError(path, "does not exist", fix="check the path") from error
    except (OSError, EOFError) as error:
        raise InputError(path, f"cannot be read ({error})", fix=export_hint) from error

    if not head.strip():
        raise InputError(path, "is empty", fix=export_hint)
    wide = wide_text_encoding(head)
    if wide is not None:
        raise wide_text_error(path, wide)
    if b"\x00" in head:
        raise InputError(
            path, f"is a binary file, not {expect.upper()}", fix=export_hint
        )
    looks_json = head.lstrip().lstrip(b"\xef\xbb\xbf").startswith((b"{", b"["))
    if expect == "csv" and looks_json:
        raise InputError(path, "looks like JSON, not CSV", fix=export_hint)
    if expect == "json" and not looks_json:
        raise InputError(
            path, "is not JSON (it does not start with { or [)", fix=export_hint
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            raise InputError(
                path,
                f"is not UTF-8 text (byte {head[error.start]:#04x} at {error.start:,})",
                fix="export again as UTF-8, or convert it (iconv -t UTF-8)",
            ) from error
    if expect == "csv":
        # Before pandas: a data cell with a comma would otherwise be reported
        # as a row with too many fields.
        refuse_other_delimiter(head.decode("utf-8", errors="replace"), path)
    return magic


def read_named_csv(
    path: Path, required: Iterable[str], *, export_hint: str
) -> pd.DataFrame:
    """The cells of a CSV export as text, by lower-case column name.

    The ``required`` columns (lower case) must be there, or an
    :class:`InputError` names those missing and the file's own header; a
    repeated column name keeps its first column. Row ``i`` of the result is
    file line ``i + 2``.
    """
    names, cells = read_text_csv(path, export_hint=export_hint)
    refuse_semicolon_separated(names, path)
    lowered = [n.strip().lower() for n in names]
    missing = [c for c in required if c not in lowered]
    if missing:
        raise InputError(
            path,
            f"lacks column(s) {', '.join(missing)}; found {', '.join(names) or 'none'}",
            fix=export_hint,
        )
    cells.columns = pd.Index(lowered)
    return cells.loc[:, ~cells.columns.duplicated()].reset_index(drop=True)


def read_text_csv(path: Path, *, export_hint: str) -> tuple[list[str], pd.DataFrame]:
    """Header names exactly as written (repeats kept) and the cells as text.

    Empty cells are missing. The header is not passed through pandas, so a
    repeated name is never renamed ``Name.1``.
    """
    magic = _sniff(path, expect="csv", export_hint=export_hint)
    try:
        with decompression_errors(path):
            cells = pd.read_csv(
                path,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig",
                compression="gzip" if magic == b"\x1f\x8b" else None,
            )
    except UnicodeDecodeError as error:
        raise InputError(
            path, f"is not UTF-8 text ({error.reason})", fix="export again as UTF-8"
        ) from error
    except pd.errors.ParserError as error:
        raise unsplittable_csv(path, error, fix=export_hint) from error
    except (pd.errors.EmptyDataError, OSError, EOFError) as error:
        raise InputError(
            path, f"is not a well-formed CSV file ({error})", fix=export_hint
        ) from error
    names = [str(n).strip() if isinstance(n, str) else "" for n in cells.iloc[0]]
    data = cells.iloc[1:].reset_index(drop=True)
    if data.empty:
        raise InputError(
            path,
            "has a header but no data rows",
            fix="check the export's filter; it selected nothing",
        )
    return names, data


def read_json(path: Path, *, export_hint: str) -> Any:
    """Parse a (possibly gzip) JSON file, with a readable error."""
    magic = _sniff(path, expect="json", export_hint=export_hint)
    opener = gzip.open if magic == b"\x1f\x8b" else Path.open
    try:
        with decompression_errors(path), opener(path, "rt", encoding="utf-8-sig") as h:
            return json.load(h)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(
            path, f"is not valid JSON ({error})", fix=export_hint
        ) from error


def parse_formatted_dates(
    text: pd.Series,
    *,
    date_format: str,
    timezone: str,
    month_names: Mapping[str, str] | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse dates written with ``date_format`` in ``timezone`` to UTC.

    Returns the values, a mask of unparseable non-empty cells and a mask of
    local times that do not exist or are ambiguous in the zone.

    Each value is read on its own: with ``"ISO8601"`` (parsed by
    :func:`analytics.timeparse.parse_timestamps`) a value with an offset
    (``Z``, ``+02:00``, ``+0200``, ``+02``) is converted from it and one
    without is local time in ``timezone``, so a column may mix offsets (a
    summer-time change, ``Z`` beside ``+01:00``) and naive values; a date
    alone is 00:00 local time. A ``strptime`` format with ``%z`` or ``%Z``
    reads every value's own offset; any other format is local time.

    Examples
    --------
    >>> values, bad, _ = parse_formatted_dates(
    ...     pd.Series(["2026-03-28T10:00:00+01:00", "2026-03-30T10:00:00+02:00",
    ...                "2026-03-30 10:00", "2026-03-31", "31/03/2026"]),
    ...     date_format="ISO8601", timezone="Europe/Berlin")
    >>> [str(v) for v in values]
    ['2026-03-28 09:00:00+00:00', '2026-03-30 08:00:00+00:00', '2026-03-30 08:00:00+00:00', '2026-03-30 22:00:00+00:00', 'NaT']
    >>> bad.tolist()
    [False, False, False, False, True]
    """
    raw = text.astype("string").str.strip()
    present = raw.notna() & (raw != "")
    for local, english in (month_names or {}).items():
        raw = raw.str.replace(
            rf"(?<![^\W\d_]){re.escape(local)}(?![^\W\d_])",
            english,
            regex=True,
            case=False,
        )
    if date_format == "ISO8601":
        parsed = parse_timestamps(
            raw.where(present), timezone=timezone, date_order="iso"
        )
        return (
            parsed.values.astype("datetime64[us, UTC]"),
            parsed.unparseable.astype(bool),
            parsed.nonexistent_or_ambiguous.astype(bool),
        )
    if "%z" in date_format or "%Z" in date_format:
        # Every value carries its own offset; they may differ (summer time).
        values = pd.to_datetime(
            raw.where(present), format=date_format, errors="coerce", utc=True
        )
        bad_local = pd.Series(False, index=text.index)
        parsed_any = values
    else:
        parsed_any = pd.to_datetime(
            raw.where(present), format=date_format, errors="coerce"
        )
        zoned = parsed_any.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
        bad_local = parsed_any.notna() & zoned.isna()
        values = zoned.dt.tz_convert("UTC")
    values = values.astype("datetime64[us, UTC]")
    unparseable = present & parsed_any.isna()
    return values, unparseable.astype(bool), bad_local.astype(bool)
