"""Read metric samples from CSV and Parquet files into the canonical samples frame.

A metric file holds one sample per row: a ``timestamp``, a ``value``, an optional
``metric`` name, and any number of other columns, which become labels::

    timestamp,value,metric,job,instance
    2024-05-01T10:00:00Z,1,up,api,a:9100

The samples frame has the columns of :data:`analytics.frames.SAMPLES_COLUMNS`:
``timestamp`` (tz-aware UTC), ``metric``, ``labels`` (dict, ``__name__``
excluded, empty label values dropped as in Prometheus), ``series`` (see
:func:`series_key`) and ``value`` (float), sorted by series and timestamp.

Rows that cannot be used are rejected with a reason code, never dropped:

==========================  ==================================================
reason code                 meaning
==========================  ==================================================
``missing_value``           empty timestamp, value or metric name (Parquet:
                            also a null or NaN value)
``unparseable_date``        timestamp is not a date in the expected format
``nonexistent_local_time``  naive local time that does not exist or exists
                            twice in ``timezone`` (DST change)
``unparseable_value``       value is not a number
``nan_value``               value is ``NaN``: a gap, unknown, never good
``infinite_value``          value is ``+Inf`` or ``-Inf``
``duplicate_sample``        same series and timestamp as an earlier sample,
                            same value: kept once
``conflicting_sample``      same series and timestamp, different values: all
                            copies rejected, the instant is unknown
==========================  ==================================================

The rejected frame carries each row's timestamp as ``row_time`` where it parsed
(NaT where it did not).

The building blocks :class:`SamplesLoadResult`, :func:`series_key`,
:func:`parse_values`, :func:`epoch_seconds_to_utc` and :func:`assemble_samples`
are shared with :mod:`analytics.sources.prometheus_json` and any other source of
samples; :func:`wrong_epoch_unit` (epoch numbers in another unit than the
format's) with :mod:`analytics.sources.loadtests`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from analytics.errors import InputError
from analytics.frames import (
    REJECTED_COLUMNS,
    ROW_TIME,
    SAMPLES_COLUMNS,
    LoadResult,
    file_sha256,
)
from analytics.sources._compressed import decompression_errors, open_by_content
from analytics.sources._csv import (
    refuse_semicolon_separated,
    refuse_shifted_columns,
    unsplittable_csv,
    wide_text_encoding,
    wide_text_error,
)
from analytics.timeparse import DateOrder, parse_timestamps

__all__ = [
    "EPOCH_UNITS",
    "TIMESTAMP_DTYPE",
    "SamplesLoadResult",
    "WrongEpochUnit",
    "assemble_samples",
    "epoch_seconds_to_utc",
    "epoch_unit_of",
    "parse_values",
    "read_metric_csv",
    "read_metric_parquet",
    "refuse_wide_text",
    "series_key",
    "wrong_epoch_unit",
]

logger = logging.getLogger(__name__)

TIMESTAMP_DTYPE: Final = "datetime64[us, UTC]"
"""Timestamp dtype of every samples frame this package builds."""

MILLISECONDS_THRESHOLD = 1e11
"""Epoch seconds above this (year 5138) are almost surely milliseconds."""

EPOCH_UNITS: Final[Mapping[str, str]] = {
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
}
"""Units of epoch numbers, by pandas' name, and what they are called in messages."""

_EPOCH_FACTORS: Final[Mapping[str, float]] = {
    "s": 1.0,
    "ms": 1e3,
    "us": 1e6,
    "ns": 1e9,
}
# Epoch seconds from 1e8 (1973-03-03) to MILLISECONDS_THRESHOLD (5138): the
# range in which a number is read as a time in one unit. The units are 1000
# apart and the range 1000 wide, so a number in it fits exactly one unit.
_EARLIEST_EPOCH_SECONDS: Final = 1e8

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DMY_START = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_RESERVED = ("timestamp", "value", "metric")

_REASON_TEXT = {
    "missing_value": "empty cell: the sample is unknown",
    "unparseable_date": "not a date in the expected format",
    "nonexistent_local_time": (
        "local time does not exist or exists twice in the zone (DST change)"
    ),
    "unparseable_value": "value is not a number",
    "nan_value": "value is NaN: a gap, counted as unknown, never as good",
    "infinite_value": "value is infinite",
    "duplicate_sample": (
        "same series and timestamp as an earlier sample with the same value"
        " (for example a chunk border): kept once"
    ),
    "conflicting_sample": (
        "another sample of this series at this timestamp has a different value:"
        " every copy is rejected and the instant is unknown"
    ),
}
_REASON_COLUMN = {
    "missing_value": "value",
    "unparseable_date": "timestamp",
    "nonexistent_local_time": "timestamp",
    "unparseable_value": "value",
    "nan_value": "value",
    "infinite_value": "value",
    "duplicate_sample": "timestamp",
    "conflicting_sample": "value",
}


@dataclass
class SamplesLoadResult(LoadResult):
    """A :class:`~analytics.frames.LoadResult` for samples read from one or more files.

    Rejected rows are counted per ``(source_file, row_number)`` pair, because
    row numbers restart in each file.

    Attributes
    ----------
    partial
        True when a source said its data may be incomplete (Prometheus
        ``warnings``); the notes then hold lines starting ``"partial data:"``.
    files
        Every file read, in reading order.
    file_hashes
        SHA-256 of each file's bytes, by path.
    """

    partial: bool = False
    files: tuple[str, ...] = ()
    file_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        """Number of input samples rejected (one sample may carry several reasons)."""
        if self.rejected.empty:
            return 0
        return len(self.rejected[["source_file", "row_number"]].drop_duplicates())


def series_key(metric: str, labels: Mapping[str, str]) -> str:
    """Stable text key of a series: the metric name and its labels sorted by name.

    Label values are quoted and escaped as in the Prometheus text format.

    Examples
    --------
    >>> series_key("up", {"job": "b", "instance": "a"})
    'up{instance="a",job="b"}'
    >>> series_key("up", {})
    'up'
    """
    if not labels:
        return metric
    pairs = ",".join(f'{name}="{_escape(labels[name])}"' for name in sorted(labels))
    return f"{metric}{{{pairs}}}"


def read_metric_csv(
    path: str | Path,
    *,
    timezone: str = "UTC",
    date_order: DateOrder = "auto",
    metric: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> SamplesLoadResult:
    """Read a CSV of metric samples into the canonical samples frame.

    Parameters
    ----------
    path
        The CSV file (UTF-8, header line first).
    timezone
        IANA zone of naive timestamps; values with an offset keep it.
    date_order
        ``"auto"``, ``"iso"``, ``"dayfirst"`` or ``"monthfirst"``, see
        :func:`analytics.timeparse.parse_timestamps`. A column of plain numbers
        is read as epoch seconds instead.
    metric
        Metric name for rows without one; required when there is no
        ``metric`` column.
    column_map
        Renames file columns to canonical ones, ``{file column: canonical}``,
        for example ``{"time": "timestamp", "up": "value"}``.

    Returns
    -------
    SamplesLoadResult
        Kind ``"samples"``. ``row_number`` in ``rejected`` is the line in the
        file (header = line 1; a quoted newline inside a cell shifts later lines).

    Raises
    ------
    InputError
        The file is missing, empty, separated by semicolons, not a CSV,
        lacks a column, has a header but no data rows, or holds millisecond
        epoch timestamps.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "up.csv").write_text(
    ...     "timestamp,value,job\\n"
    ...     "2024-05-01T10:00:00Z,1,api\\n"
    ...     "2024-05-01T10:00:20Z,0,api\\n"
    ... )
    >>> result = read_metric_csv(folder / "up.csv", metric="up")
    >>> result.frame["series"].iloc[0], result.frame["value"].tolist()
    ('up{job="api"}', [1.0, 0.0])
    """
    started = time.perf_counter()
    path = Path(path)
    table = _read_csv_text(path)
    refuse_semicolon_separated(table.columns, path)
    table = _rename_columns(table, column_map, path)
    _require_columns(table, path, metric)
    if table.empty:
        raise InputError(
            path,
            "has a header but no data rows",
            fix="check the export's time range; it selected no samples",
        )

    text = table.apply(lambda column: column.str.strip())
    times, time_reasons, time_order = _csv_timestamps(
        text["timestamp"], path, timezone=timezone, date_order=date_order
    )
    raw = _raw_samples(
        path=path,
        row_numbers=np.arange(len(text), dtype="int64") + 2,
        times=times,
        time_text=text["timestamp"],
        time_reasons=time_reasons,
        value_text=text["value"].tolist(),
        table=text.drop(columns=["timestamp", "value"]),
        metric=metric,
    )
    notes = [f"timestamps read as {time_order}; naive values taken in {timezone}"]
    return _finish(raw, path, notes=notes, started=started)


def read_metric_parquet(
    path: str | Path,
    *,
    metric: str | None = None,
    column_map: Mapping[str, str] | None = None,
    timezone: str | None = None,
) -> SamplesLoadResult:
    """Read a Parquet file of metric samples into the canonical samples frame.

    Parameters
    ----------
    path
        The Parquet file.
    metric
        Metric name for rows without one; required when there is no
        ``metric`` column.
    column_map
        Renames file columns to canonical ones, ``{file column: canonical}``.
    timezone
        IANA zone of naive timestamps. Required when the ``timestamp`` column
        is naive (no zone): there is no safe default.

    Returns
    -------
    SamplesLoadResult
        Kind ``"samples"``. ``row_number`` in ``rejected`` is the 1-based row
        (Parquet has no header line). A null or NaN value is ``missing_value``.

    Raises
    ------
    InputError
        The file is missing, empty, not Parquet, lacks a column, or holds naive
        timestamps and no ``timezone`` was given.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "up.parquet"
    >>> pd.DataFrame({
    ...     "timestamp": pd.to_datetime(["2024-05-01T10:00:00Z"]), "value": [1.0]
    ... }).to_parquet(file)
    >>> read_metric_parquet(file, metric="up").frame["series"].tolist()
    ['up']
    """
    started = time.perf_counter()
    path = Path(path)
    table = _read_parquet_table(path)
    table = _rename_columns(table, column_map, path)
    _require_columns(table, path, metric)

    times, time_reasons = _parquet_timestamps(table["timestamp"], path, timezone)
    value_text, value_reasons = _parquet_values(table["value"])
    raw = _raw_samples(
        path=path,
        row_numbers=np.arange(len(table), dtype="int64") + 1,
        times=times,
        time_text=_cells_as_text(table["timestamp"]),
        time_reasons=time_reasons,
        value_text=value_text,
        table=table.drop(columns=["timestamp", "value"]).apply(_cells_as_text),
        metric=metric,
        value_reasons=value_reasons,
    )
    return _finish(raw, path, notes=[], started=started)


# --- reading -------------------------------------------------------------------


def _read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as text (stripped later); empty cells are ''."""
    _require_file(path)
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        raise InputError(
            path, "this is a Parquet file, not a CSV", fix="use read_metric_parquet"
        )
    refuse_wide_text(path)
    try:
        # The compression follows the name (.gz, .bz2, .xz, .zip).
        with decompression_errors(path):
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise InputError(
            path,
            "the file is empty",
            fix="export again with a header line such as timestamp,value,metric",
        ) from exc
    except pd.errors.ParserError as exc:
        raise unsplittable_csv(
            path, exc, fix="check the delimiter is a comma and quotes are balanced"
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            "not a UTF-8 text file",
            fix="save the CSV as UTF-8, or use read_metric_parquet for Parquet",
        ) from exc
    refuse_shifted_columns(table, path)
    return table


_WIDE_HEAD: Final = 4096


def refuse_wide_text(path: str | Path) -> None:
    """Refuse a text file in UTF-16 or UTF-32 (gzip, bzip2, xz: its content).

    The error says which encoding and gives the ``iconv`` command that converts
    it (:func:`~analytics.sources._csv.wide_text_error`). A file that cannot
    be opened is left to the reader, which reports that.
    """
    try:
        with decompression_errors(path), open_by_content(path) as stream:
            head = stream.read(_WIDE_HEAD)
    except OSError:
        return
    wide = wide_text_encoding(head)
    if wide is not None:
        raise wide_text_error(path, wide)


def _read_parquet_table(path: Path) -> pd.DataFrame:
    _require_file(path)
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors subclass these
        problem = (
            "the file is empty" if path.stat().st_size == 0 else "not a Parquet file"
        )
        raise InputError(
            path,
            f"{problem} ({exc})",
            fix="write it with DataFrame.to_parquet, or use read_metric_csv for CSV",
        ) from exc


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(path, "no such file", fix="check the path")
    if path.stat().st_size == 0:
        raise InputError(
            path, "the file is empty", fix="export the data again; the file has 0 bytes"
        )


def _rename_columns(
    table: pd.DataFrame, column_map: Mapping[str, str] | None, path: Path
) -> pd.DataFrame:
    if not column_map:
        return table
    unknown = [name for name in column_map if name not in table.columns]
    if unknown:
        raise InputError(
            path,
            f"column_map names columns the file lacks: {unknown}"
            f" (the file has {list(table.columns)})",
            fix="map existing column names, {file column: canonical name}",
        )
    return table.rename(columns=dict(column_map))


def _require_columns(table: pd.DataFrame, path: Path, metric: str | None) -> None:
    missing = [name for name in ("timestamp", "value") if name not in table.columns]
    if missing:
        raise InputError(
            path,
            f"no column {missing[0]!r} (the file has {list(table.columns)})",
            fix="rename the columns to timestamp and value,"
            " or set column_map: {'<your column>': timestamp, ...} on this metrics"
            " source (column_map= in Python)",
        )
    if "metric" not in table.columns and metric is None:
        raise InputError(
            path,
            "no column 'metric' and no metric name given",
            fix="add a metric column, or set metric: <name> on this metrics source"
            " (metric= in Python)",
        )


# --- parsing -------------------------------------------------------------------


def _csv_timestamps(
    text: pd.Series,
    path: Path,
    *,
    timezone: str,
    date_order: DateOrder,
    first_row: int = 2,
) -> tuple[pd.Series, np.ndarray, str]:
    """Parse a text column; plain numbers are epoch seconds.

    ``first_row`` is the row number of the first value (CSV: line 2).
    """
    present = text != ""
    if present.any() and text[present].str.match(_NUMBER).all():
        seconds = pd.to_numeric(text.where(present), errors="coerce")
        times = epoch_seconds_to_utc(
            seconds.to_numpy(dtype=float), path, rows=np.arange(len(text)) + first_row
        )
        reasons = np.where(present.to_numpy(), "", "missing_value")
        return times.set_axis(text.index), reasons, "epoch seconds"

    parsed = parse_timestamps(
        text.where(present),
        timezone=timezone,
        date_order=_date_order(text[present], date_order),
        path=path,
        column="timestamp",
    )
    reasons = np.select(
        [
            ~present.to_numpy(),
            parsed.unparseable.to_numpy(dtype=bool),
            parsed.nonexistent_or_ambiguous.to_numpy(dtype=bool),
        ],
        ["missing_value", "unparseable_date", "nonexistent_local_time"],
        default="",
    )
    times = parsed.values.astype(TIMESTAMP_DTYPE)
    return times, reasons, f"{parsed.date_order} dates"


def _date_order(text: pd.Series, date_order: DateOrder) -> DateOrder:
    """Settle "auto" as ISO when ISO dates appear and no d/m/Y-style date does.

    ``parse_timestamps`` in auto mode refuses a whole column when one value is
    neither ISO nor numeric; settling the order here rejects that row alone
    (``unparseable_date``) instead. A column with no recognisable date at all
    still raises.
    """
    if date_order != "auto":
        return date_order
    if text.str.match(_ISO_START).any() and not text.str.match(_DMY_START).any():
        return "iso"
    return "auto"


def _parquet_timestamps(
    column: pd.Series, path: Path, timezone: str | None
) -> tuple[pd.Series, np.ndarray]:
    """Convert a Parquet timestamp column (datetime, epoch seconds or text) to UTC."""
    missing = column.isna().to_numpy()
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        times = column.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(column.dtype):
        zone = _require_zone(path, timezone, "holds naive datetimes")
        times = column.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        bad_local = ~missing & times.isna().to_numpy()
        reasons = np.select(
            [missing, bad_local],
            ["missing_value", "nonexistent_local_time"],
            default="",
        )
        return times.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE), reasons
    elif pd.api.types.is_numeric_dtype(column.dtype):
        seconds = column.to_numpy(dtype=float, na_value=np.nan)
        times = epoch_seconds_to_utc(
            seconds, path, rows=np.arange(len(column)) + 1
        ).set_axis(column.index)
    else:
        text = _cells_as_text(column)
        naive = (text != "") & ~text.str.contains(_OFFSET, na=False)
        zone = (
            _require_zone(path, timezone, "holds text times without an offset")
            if naive.any()
            else "UTC"
        )
        times, reasons, _ = _csv_timestamps(
            text, path, timezone=zone, date_order="auto", first_row=1
        )
        return times, reasons
    reasons = np.where(missing, "missing_value", "")
    return times.astype(TIMESTAMP_DTYPE), reasons


def _require_zone(path: Path, timezone: str | None, what: str) -> str:
    if timezone is None:
        raise InputError(
            path,
            f"column 'timestamp' {what}, so the instant is unknown",
            fix="set timezone: <IANA zone> (e.g. UTC) on this metrics source, or write"
            " tz-aware times in the Parquet file (Python: pass timezone=)",
        )
    return timezone


def _parquet_values(column: pd.Series) -> tuple[list[Any], np.ndarray | None]:
    """Values as objects for :func:`parse_values`; nulls and NaN are missing."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
        column.dtype
    ):
        numbers = column.to_numpy(dtype=float, na_value=np.nan)
        reasons = np.where(np.isnan(numbers), "missing_value", "")
        return numbers.tolist(), reasons
    text = _cells_as_text(column)
    return text.tolist(), None


def _cells_as_text(column: pd.Series) -> pd.Series:
    """Any column as stripped text, '' for missing cells."""
    text = column.astype("string").str.strip()
    return text.fillna("").astype(object)


@dataclass(frozen=True)
class WrongEpochUnit:
    """The first of ``count`` epoch numbers that are not in the expected unit."""

    # Position of the first such number in the values checked.
    position: int
    value: float
    # The unit it is a 1973..5138 time in (a key of EPOCH_UNITS); None if none.
    looks_like: str | None
    count: int

    def fix(self, unit: str) -> str:
        """How to convert the numbers to ``unit``: ``"divide ... by 1000"``."""
        if self.looks_like is None:
            return f"write the times as epoch {EPOCH_UNITS[unit]}"
        ratio = _EPOCH_FACTORS[self.looks_like] / _EPOCH_FACTORS[unit]
        if ratio > 1:
            return f"divide the timestamps by {ratio:.0f}"
        return f"multiply the timestamps by {1 / ratio:.0f}"

    def problem(self, what: str, unit: str, total: int) -> str:
        """``"<what> look like epoch microseconds, not milliseconds (n of m)"``."""
        shown = f"{self.count:,} of {total:,} values"
        if self.looks_like is None:
            return f"{what} are too large to be epoch {EPOCH_UNITS[unit]} ({shown})"
        return (
            f"{what} look like epoch {EPOCH_UNITS[self.looks_like]}, not"
            f" {EPOCH_UNITS[unit]} ({shown})"
        )


def epoch_unit_of(value: float) -> str | None:
    """The unit (a key of :data:`EPOCH_UNITS`) in which ``value`` is a time in 1973..5138.

    Examples
    --------
    >>> [epoch_unit_of(v) for v in (1772100000, 1772100000000, 1.7721e15, 1e20, 60)]
    ['s', 'ms', 'us', None, None]
    """
    size = abs(float(value))
    for unit, factor in _EPOCH_FACTORS.items():
        if _EARLIEST_EPOCH_SECONDS <= size / factor < MILLISECONDS_THRESHOLD:
            return unit
    return None


def wrong_epoch_unit(values: np.ndarray, unit: str) -> WrongEpochUnit | None:
    """The epoch numbers (NaN ignored) that are not in ``unit``, if any.

    A number is in the wrong unit when, read in ``unit``, it is after the year
    5138 (it is then a time in a smaller unit: milliseconds read as seconds),
    or, for a unit below seconds, when it is a time since 1973 in a larger
    unit (seconds read as milliseconds would be January 1970). Smaller
    numbers are left alone: offsets from zero are common in tests and tools.

    Examples
    --------
    >>> found = wrong_epoch_unit(np.array([1772100000.0, 1772100001.0]), "ms")
    >>> found.looks_like, found.position, found.count, found.fix("ms")
    ('s', 0, 2, 'multiply the timestamps by 1000')
    >>> wrong_epoch_unit(np.array([0.0, 500.0, 1772100000000.0]), "ms") is None
    True
    """
    size = np.abs(np.asarray(values, dtype=float))
    with np.errstate(invalid="ignore"):
        seconds = size / _EPOCH_FACTORS[unit]
        wrong = np.isfinite(size) & (
            (seconds >= MILLISECONDS_THRESHOLD)
            | ((seconds < _EARLIEST_EPOCH_SECONDS) & (size >= _EARLIEST_EPOCH_SECONDS))
        )
    if not wrong.any():
        return None
    position = int(np.flatnonzero(wrong)[0])
    value = float(np.asarray(values, dtype=float)[position])
    return WrongEpochUnit(position, value, epoch_unit_of(value), int(wrong.sum()))


def epoch_seconds_to_utc(
    seconds: np.ndarray, path: str | Path, *, rows: np.ndarray | None = None
) -> pd.Series:
    """Epoch seconds (float, NaN allowed) to UTC times rounded to the millisecond.

    Returns a Series with a default index; NaN becomes NaT. ``rows`` (the
    file's row number of each value), when given, lets an error name the row.

    Raises
    ------
    InputError
        If a value looks like milliseconds (or micro- or nanoseconds: above
        1e11 seconds, after the year 5138), a classic unit bug.
    """
    found = wrong_epoch_unit(seconds, "s")
    if found is not None:
        looks = (
            f"look like {EPOCH_UNITS[found.looks_like]} since the epoch, not seconds"
            if found.looks_like is not None
            else "are too large to be epoch seconds"
        )
        raise InputError(
            path,
            f"timestamps {looks} ({found.count:,} values above 1e11)",
            row=None if rows is None else int(rows[found.position]),
            column=None if rows is None else "timestamp",
            value=found.value,
            fix=found.fix("s") + " (Prometheus writes float seconds)",
        )
    millis = np.rint(seconds * 1000.0)
    # NaN cannot be an int64: keep them as NaT via a masked conversion.
    times = pd.to_datetime(
        pd.Series(millis).astype("Int64"), unit="ms", utc=True, errors="coerce"
    )
    return times.astype(TIMESTAMP_DTYPE)


def parse_values(raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Parse sample values as floats and give a reason code per unusable value.

    Returns
    -------
    tuple of numpy arrays
        The floats (NaN where unusable) and the reason codes ('' where fine):
        ``missing_value``, ``unparseable_value``, ``nan_value``,
        ``infinite_value``.

    Examples
    --------
    >>> values, reasons = parse_values(["1", "NaN", "+Inf", "x", ""])
    >>> reasons.tolist()
    ['', 'nan_value', 'infinite_value', 'unparseable_value', 'missing_value']
    """
    text = np.asarray([_value_text(value) for value in raw], dtype=object)
    try:
        numbers = text.astype(float)
        unparseable = np.zeros(len(text), dtype=bool)
    except ValueError:
        numbers, unparseable = _parse_one_by_one(text)
    empty = text == ""
    reasons = np.select(
        [empty, unparseable, np.isnan(numbers), np.isinf(numbers)],
        ["missing_value", "unparseable_value", "nan_value", "infinite_value"],
        default="",
    )
    numbers[reasons != ""] = np.nan
    return numbers, reasons


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return "NaN"
    return str(value).strip()


def _parse_one_by_one(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    numbers = np.full(len(text), np.nan)
    unparseable = np.zeros(len(text), dtype=bool)
    for i, item in enumerate(text):
        try:
            numbers[i] = float(item)
        except ValueError:
            unparseable[i] = item != ""
    return numbers, unparseable


# --- assembling ----------------------------------------------------------------


def _raw_samples(
    *,
    path: Path,
    row_numbers: np.ndarray,
    times: pd.Series,
    time_text: pd.Series,
    time_reasons: np.ndarray,
    value_text: list[Any],
    table: pd.DataFrame,
    metric: str | None,
    value_reasons: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per input row: parsed fields plus a reason code ('' when usable).

    ``table`` holds the text of the metric column (if any) and the label columns.
    """
    values, parsed_reasons = parse_values(value_text)
    if value_reasons is not None:
        parsed_reasons = np.where(value_reasons != "", value_reasons, parsed_reasons)

    names = (
        table["metric"]
        if "metric" in table.columns
        else pd.Series("", index=table.index)
    )
    names = names.where(names != "", metric or "")
    label_columns = [name for name in table.columns if name not in _RESERVED]
    keys, labels = _series_of_rows(names, table[label_columns])

    bad_time = time_reasons != ""
    bad_value = parsed_reasons != ""
    no_name = (names == "").to_numpy()
    reasons = np.select(
        [bad_time, bad_value, no_name],
        [time_reasons, parsed_reasons, "missing_value"],
        default="",
    )
    columns = np.select(
        [bad_time, bad_value, no_name], ["timestamp", "value", "metric"], default=""
    )
    shown = np.select(
        [bad_time, bad_value],
        [
            time_text.to_numpy(dtype=object),
            np.asarray([_value_text(v) for v in value_text], dtype=object),
        ],
        default="",
    )
    return pd.DataFrame(
        {
            "source_file": str(path),
            "row_number": row_numbers,
            "timestamp": np.asarray(times),
            "metric": names.to_numpy(dtype=object),
            "labels": labels,
            "series": keys,
            "value": values,
            "reason": reasons.astype(object),
            "column": columns.astype(object),
            "raw": shown.astype(object),
        }
    ).astype({"timestamp": TIMESTAMP_DTYPE})


def _series_of_rows(
    names: pd.Series, labels: pd.DataFrame
) -> tuple[np.ndarray, list[Any]]:
    """Series key and label dict per row, computed once per distinct series."""
    if names.empty:
        return np.array([], dtype=object), []
    combined = labels.assign(__metric__=names.to_numpy())
    codes = combined.groupby(list(combined.columns), sort=False, dropna=False).ngroup()
    firsts = combined.drop_duplicates()
    keys: list[str] = []
    dicts: list[dict[str, str]] = []
    for row in firsts.itertuples(index=False, name=None):
        *label_values, name = row
        found = {
            label: str(value)
            for label, value in zip(labels.columns, label_values, strict=True)
            if value != "" and label != "__name__"
        }
        keys.append(series_key(str(name), found))
        dicts.append(found)
    picked = codes.to_numpy()
    # The dicts are shared per series here; assemble_samples copies them per row.
    return np.asarray(keys, dtype=object)[picked], [dicts[i] for i in picked]


def assemble_samples(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Split raw rows into the samples frame and rejected rows, de-duplicating.

    ``raw`` has one row per input sample in reading order, with the columns of
    the samples frame plus ``source_file``, ``row_number``, ``reason`` ('' when
    usable), ``column`` and ``raw`` (the offending text). Repeated samples
    (same series and timestamp) keep their first copy when every copy has the
    same value (``duplicate_sample``); otherwise every copy is rejected
    (``conflicting_sample``).

    Returns
    -------
    tuple
        ``(samples frame, rejected frame, notes)``.
    """
    raw = raw.reset_index(drop=True)
    reasons = raw["reason"].to_numpy(dtype=object).copy()
    usable = raw[reasons == ""]

    key = ["series", "timestamp"]
    repeated = usable.duplicated(key, keep=False)
    if repeated.any():
        copies = usable[repeated]
        distinct = copies.groupby(key, sort=False)["value"].transform("nunique")
        later = copies.duplicated(key, keep="first")
        reasons[copies.index[(distinct > 1).to_numpy()]] = "conflicting_sample"
        reasons[copies.index[((distinct == 1) & later).to_numpy()]] = "duplicate_sample"

    kept = raw[reasons == ""].sort_values(key, kind="stable")
    frame = kept.loc[:, list(SAMPLES_COLUMNS)].reset_index(drop=True)
    frame["labels"] = [dict(labels) for labels in frame["labels"]]

    rejected = _rejected_frame(raw, reasons)
    return frame, rejected, _rejection_notes(rejected)


def _rejected_frame(raw: pd.DataFrame, reasons: np.ndarray) -> pd.DataFrame:
    bad = reasons != ""
    part = raw[bad]
    codes = reasons[bad]
    duplicate = codes == "duplicate_sample"
    conflicting = codes == "conflicting_sample"
    columns = np.select(
        [duplicate, conflicting],
        ["timestamp", "value"],
        default=part["column"].to_numpy(dtype=object),
    )
    shown = np.select(
        [duplicate, conflicting],
        [
            part["timestamp"].astype(str).to_numpy(dtype=object),
            part["value"].astype(str).to_numpy(dtype=object),
        ],
        default=part["raw"].to_numpy(dtype=object),
    )
    messages = [
        f"{_REASON_TEXT[code]} (series {series})" if series else _REASON_TEXT[code]
        for code, series in zip(codes, part["series"], strict=True)
    ]
    return pd.DataFrame(
        {
            "source_file": part["source_file"].to_numpy(dtype=object),
            "row_number": part["row_number"].to_numpy(dtype="int64"),
            "column": columns.astype(object),
            "value": shown.astype(object),
            "reason_code": codes.astype(object),
            "message": np.asarray(messages, dtype=object),
            ROW_TIME: part["timestamp"].array,
        },
        columns=[*REJECTED_COLUMNS, ROW_TIME],
    )


def _rejection_notes(rejected: pd.DataFrame) -> list[str]:
    if rejected.empty:
        return []
    counts = rejected["reason_code"].value_counts(sort=False)
    listed = ", ".join(f"{code} {count:,}" for code, count in sorted(counts.items()))
    return [f"rejected {len(rejected):,} samples: {listed}"]


def _finish(
    raw: pd.DataFrame, path: Path, *, notes: list[str], started: float
) -> SamplesLoadResult:
    frame, rejected, rejection_notes = assemble_samples(raw)
    if raw.empty:
        notes.append("the file holds no data rows")
    digest = file_sha256(path)
    result = SamplesLoadResult(
        frame=frame,
        rejected=rejected,
        source_file=str(path),
        kind="samples",
        rows_in=len(raw),
        rows_used=len(frame),
        sha256=digest,
        notes=[*notes, *rejection_notes],
        files=(str(path),),
        file_hashes={str(path): digest},
    )
    logger.info(
        "read %s: %d samples, %d series, %d rejected in %.3f s",
        path,
        len(frame),
        frame["series"].nunique(),
        len(rejected),
        time.perf_counter() - started,
    )
    return result


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
