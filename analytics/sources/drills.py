"""Read disaster-recovery drill records (``post_launch.drills``), one row per drill.

Columns: ``drill``, ``failover_start``, ``failover_end``, ``last_good_backup``
and optionally ``rto_minutes`` and ``rpo_minutes``, the drill's own recovery
time and recovery point objectives as a plain number of minutes (``30``,
``7.5``). An empty objective cell takes the config's ``post_launch.rto`` /
``rpo``. Times are read with :func:`analytics.timeparse.parse_timestamps`, one
date order for the whole file (ISO 8601 preferred); times without an offset
are UTC.

Rows that cannot be used are rejected with every reason found, never dropped
or given a default silently. Reason codes: ``missing_name``, ``missing_time``,
``unparseable_time``, ``end_before_start`` (failover ends before it starts),
``backup_after_failover`` (the last good backup is after the failover
started), ``bad_objective`` (not a number of minutes: ``30m``, ``1,5``),
``negative_objective``. ``row_number`` is the line in the file, header = 1;
a rejected row's ``row_time`` is its failover start when that parsed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pandas as pd

from analytics.errors import InputError
from analytics.frames import LoadResult, Rejections, file_sha256
from analytics.sources._readers import read_named_csv
from analytics.timeparse import DateOrder, detect_date_order, parse_timestamps

__all__ = ["DRILL_COLUMNS", "read_drills"]

DRILL_COLUMNS: Final = (
    "drill",
    "failover_start",
    "failover_end",
    "last_good_backup",
    "rto_minutes",
    "rpo_minutes",
)
"""Columns of the drills frame (times tz-aware UTC, objectives in minutes)."""

_TIMES: Final = ("failover_start", "failover_end", "last_good_backup")
_HINT: Final = (
    "a CSV with the columns drill, failover_start, failover_end, last_good_backup"
    " (ISO 8601 times such as 2026-03-10T10:00:00Z) and optionally rto_minutes,"
    " rpo_minutes (numbers of minutes)"
)
_MINUTES: Final = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def read_drills(
    path: str | Path, *, rto: pd.Timedelta, rpo: pd.Timedelta
) -> LoadResult:
    """Read the drills CSV; ``rto`` / ``rpo`` are the objectives of rows without their own.

    Returns
    -------
    LoadResult
        Kind ``"drills"``; ``rows_in == rows_used + rows_rejected``.

    Raises
    ------
    InputError
        The file is missing, empty, not a CSV, lacks a column or mixes date
        orders; the message names the file and the fix.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "drills.csv"
    >>> _ = file.write_text(
    ...     "drill,failover_start,failover_end,last_good_backup,rto_minutes\\n"
    ...     "db,2026-03-10T10:00Z,2026-03-10T10:30Z,2026-03-10T09:55Z,45\\n"
    ...     "dns,2026-03-11T10:00Z,2026-03-11T10:30Z,2026-03-11T09:55Z,30m\\n")
    >>> result = read_drills(file, rto=pd.Timedelta("4h"), rpo=pd.Timedelta("1h"))
    >>> result.frame[["drill", "rto_minutes", "rpo_minutes"]].values.tolist()
    [['db', 45.0, 60.0]]
    >>> result.rejected["reason_code"].tolist()
    ['bad_objective']
    """
    path = Path(path)
    cells = read_named_csv(path, ("drill", *_TIMES), export_hint=_HINT)
    rows = pd.Series(range(2, len(cells) + 2), dtype="int64")
    rejections = Rejections(path)

    text = {c: cells[c].astype("string").str.strip().fillna("") for c in _TIMES}
    try:
        order = detect_date_order(
            pd.concat(list(text.values()), ignore_index=True),
            path=path,
            column=", ".join(_TIMES),
        )
    except InputError as exc:
        raise InputError(
            path,
            exc.problem,
            value=exc.value,
            fix="write every time as ISO 8601, such as 2026-03-10T10:00:00Z",
        ) from exc
    # detect_date_order returns one of "iso", "dayfirst", "monthfirst".
    known: DateOrder = "dayfirst" if order == "dayfirst" else "iso"
    if order == "monthfirst":
        known = "monthfirst"
    parsed = {
        c: parse_timestamps(
            text[c], timezone="UTC", date_order=known, path=path, column=c
        )
        for c in _TIMES
    }
    rejections.note_row_times(rows, parsed["failover_start"].values)
    objectives = {
        "rto_minutes": _objective(cells, "rto_minutes", rto, rows, rejections),
        "rpo_minutes": _objective(cells, "rpo_minutes", rpo, rows, rejections),
    }

    name = cells["drill"].astype("string").str.strip().fillna("")
    rejections.add_many(
        rows[name == ""],
        "drill",
        name[name == ""],
        "missing_name",
        "the drill has no name",
    )
    for column in _TIMES:
        empty = text[column] == ""
        rejections.add_many(
            rows[empty], column, text[column][empty], "missing_time", "no time given"
        )
        bad = parsed[column].unparseable | parsed[column].nonexistent_or_ambiguous
        rejections.add_many(
            rows[bad],
            column,
            text[column][bad],
            "unparseable_time",
            "not a time such as 2026-03-10T10:00:00Z"
            + ("" if order == "iso" else f" (the file writes dates {order})"),
        )
    start, end, backup = (parsed[c].values for c in _TIMES)
    backwards = (end < start).fillna(False).astype(bool)
    rejections.add_many(
        rows[backwards],
        "failover_end",
        text["failover_end"][backwards],
        "end_before_start",
        "the failover ends before it starts",
    )
    late_backup = (backup > start).fillna(False).astype(bool)
    rejections.add_many(
        rows[late_backup],
        "last_good_backup",
        text["last_good_backup"][late_backup],
        "backup_after_failover",
        "the last good backup is after the failover started",
    )

    rejected = rejections.frame()
    bad_rows = set(rejected["row_number"].astype("int64")) if len(rejected) else set()
    keep = ~rows.isin(bad_rows)
    frame = pd.DataFrame(
        {
            "drill": name[keep].astype("object"),
            "failover_start": start[keep],
            "failover_end": end[keep],
            "last_good_backup": backup[keep],
            "rto_minutes": objectives["rto_minutes"][keep],
            "rpo_minutes": objectives["rpo_minutes"][keep],
        },
        columns=list(DRILL_COLUMNS),
    ).reset_index(drop=True)
    result = LoadResult(
        frame=frame,
        rejected=rejected,
        source_file=str(path),
        kind="drills",
        rows_in=len(cells),
        rows_used=len(frame),
        sha256=file_sha256(path),
    )
    result.check_accounting()
    return result


def _objective(
    cells: pd.DataFrame,
    column: str,
    default: pd.Timedelta,
    rows: pd.Series,
    rejections: Rejections,
) -> pd.Series:
    """Minutes per row: the cell, or ``default`` when empty; bad cells rejected (NaN)."""
    fallback = default.total_seconds() / 60
    if column not in cells.columns:
        return pd.Series([fallback] * len(cells), dtype="float64")
    text = cells[column].astype("string").str.strip().fillna("")
    number = text.str.fullmatch(_MINUTES)
    bad = (text != "") & ~number
    rejections.add_many(
        rows[bad],
        column,
        text[bad],
        "bad_objective",
        f"not a number of minutes (write 30, or 7.5 with a point); an empty cell"
        f" takes the config's objective of {fallback:g} min",
    )
    values = pd.to_numeric(text.where(number), errors="coerce")
    negative = (values < 0).fillna(False).astype(bool)
    rejections.add_many(
        rows[negative],
        column,
        text[negative],
        "negative_objective",
        "an objective cannot be negative",
    )
    return values.where(text != "", fallback).astype("float64")
