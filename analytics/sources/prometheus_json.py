"""Read saved Prometheus query results (JSON) into the canonical samples frame.

Two shapes are accepted, per file:

* a full HTTP API response, as ``/api/v1/query_range`` or ``/api/v1/query``
  return it::

      {"status": "success", "warnings": [...],
       "data": {"resultType": "matrix", "result": [{"metric": {...}, "values": [...]}]}}

* the bare ``data.result`` list, as many dump scripts save it.

Several files (a list, a folder or a glob) are merged into one frame. Range
queries split into chunks share their boundary sample, so a sample repeated
with the same series, timestamp and value is kept once and the copy is
rejected as ``duplicate_sample``; copies that disagree are all rejected as
``conflicting_sample``. ``"NaN"`` values are gaps (``nan_value``: unknown,
never good) and ``"+Inf"``/``"-Inf"`` are ``infinite_value``.

In the rejected rows, ``row_number`` is the 1-based position of the sample
within its file in reading order (series after series, sample after sample)
and ``source_file`` names the file. ``LoadResult.source_file`` is the file's
path for one file and the paths joined with ``";"`` for several;
``LoadResult.sha256`` is then the hash of the per-file hash list (one
``"<sha256>  <path>"`` line per file, as ``sha256sum`` prints it).

A response that carries ``warnings`` (for example a partial answer from a
federated or remote-read setup) is loaded but marked incomplete: the result's
``partial`` is True and each warning is a note starting ``"partial data:"``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.errors import InputError
from analytics.frames import file_sha256, repeat_text
from analytics.sources._compressed import decompression_errors, open_by_content
from analytics.sources.metric_files import (
    MILLISECONDS_THRESHOLD,
    TIMESTAMP_DTYPE,
    SamplesLoadResult,
    assemble_samples,
    epoch_seconds_to_utc,
    parse_values,
    series_key,
)

__all__ = ["PARTIAL_NOTE_PREFIX", "read_prometheus_json"]

logger = logging.getLogger(__name__)

PARTIAL_NOTE_PREFIX = "partial data:"
"""Notes about warnings in a response start with this text."""

_FIX_EXPORT = (
    "save the body of a successful /api/v1/query_range response,"
    " or its data.result list"
)
_WILDCARDS = frozenset("*?[")


def read_prometheus_json(
    paths: str | Path | Sequence[str | Path],
    *,
    metric: str | None = None,
    range_only: bool = False,
) -> SamplesLoadResult:
    """Read Prometheus query results saved as JSON into the samples frame.

    Parameters
    ----------
    paths
        A file, a folder (every ``*.json`` in it, sorted by name), a glob
        pattern such as ``"dump/*.json"``, or a sequence of these (read in the
        given order).
    metric
        Metric name for series without ``__name__`` (the result of an
        expression such as ``sum by (job) (up)``); default ``""``.
    range_only
        Refuse instant-query results (``resultType`` vector, or a bare list of
        series with one ``value`` each): one sample per series has no scrape
        interval and covers no window, so an SLO cannot be measured on it.
        The readiness config's metrics sources read files this way.

    Returns
    -------
    SamplesLoadResult
        Kind ``"samples"``; one input row is one sample, so
        ``rows_in == rows_used + rows_rejected``. ``partial`` is True when a
        response carried warnings.

    Raises
    ------
    InputError
        A file is missing, empty or not JSON; holds an error response; has
        another shape (``resultType`` scalar or string, a series without
        ``values``; with ``range_only``, an instant-query result); or has
        timestamps in milliseconds. The message names the
        file, the problem and the fix.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "up.json"
    >>> _ = file.write_text(
    ...     '[{"metric": {"__name__": "up", "job": "api"},'
    ...     ' "values": [[1714557600, "1"], [1714557620, "NaN"]]}]'
    ... )
    >>> result = read_prometheus_json(file)
    >>> result.rows_in, result.rows_used, result.rejected["reason_code"].tolist()
    (2, 1, ['nan_value'])
    >>> result.frame["series"].iloc[0]
    'up{job="api"}'
    """
    started = time.perf_counter()
    files = _resolve_paths(paths)

    raws: list[pd.DataFrame] = []
    notes: list[str] = []
    partial = False
    for path in files:
        raw, file_notes, file_partial = _read_file(
            path, metric or "", range_only=range_only
        )
        raws.append(raw)
        notes.extend(file_notes)
        partial = partial or file_partial

    raw = pd.concat(raws, ignore_index=True)
    frame, rejected, rejection_notes = assemble_samples(raw)
    hashes = {str(path): file_sha256(path) for path in files}
    result = SamplesLoadResult(
        frame=frame,
        rejected=rejected,
        source_file=";".join(str(path) for path in files),
        kind="samples",
        rows_in=len(raw),
        rows_used=len(frame),
        sha256=_combined_hash(hashes),
        notes=[*notes, *rejection_notes],
        partial=partial,
        files=tuple(str(path) for path in files),
        file_hashes=hashes,
    )
    if len(files) > 1:
        logger.info(
            "merged %d files: %d samples, %d series, %d rejected in %.3f s",
            len(files),
            len(frame),
            frame["series"].nunique(),
            len(rejected),
            time.perf_counter() - started,
        )
    return result


# --- finding files ---------------------------------------------------------------


def _resolve_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    if not items:
        raise InputError(
            "<no paths>", "no file given", fix="pass a file, folder or glob"
        )
    found: list[Path] = []
    for item in items:
        found.extend(_expand(item))
    return list(dict.fromkeys(found))


def _expand(item: str | Path) -> list[Path]:
    path = Path(item)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise InputError(
                path, "the folder holds no *.json files", fix="point at the dump folder"
            )
        return files
    if path.is_file():
        return [path]
    if _WILDCARDS & set(str(item)):
        files = _glob(path)
        if not files:
            raise InputError(
                item, "no file matches this pattern", fix="check the pattern"
            )
        return files
    raise InputError(path, "no such file or folder", fix="check the path")


def _glob(pattern: Path) -> list[Path]:
    """Expand a pattern whose wildcards may sit in any part of the path."""
    parts = pattern.parts
    first = next(i for i, part in enumerate(parts) if _WILDCARDS & set(part))
    base = Path(*parts[:first]) if first else Path()
    return sorted(p for p in base.glob(str(Path(*parts[first:]))) if p.is_file())


# --- one file -------------------------------------------------------------------


def _read_file(
    path: Path, default_metric: str, *, range_only: bool
) -> tuple[pd.DataFrame, list[str], bool]:
    """Raw samples of one file, its notes, and whether it is partial."""
    started = time.perf_counter()
    body = _load_json(path)
    series, result_type, warnings = _result_list(body, path)
    if range_only and _is_instant_result(series, result_type):
        raise InputError(
            path,
            "holds an instant-query result (what /api/v1/query returns: resultType"
            f" vector, one sample per series, at {_instant_time(series)}), not samples"
            " over a time range, so no availability or SLO can be measured on it",
            fix="save a range query instead: the body of a /api/v1/query_range"
            " response covering the evidence window",
        )

    raw = _file_samples(series, path, result_type, default_metric)

    notes = [f"{PARTIAL_NOTE_PREFIX} {path}: {warning}" for warning in warnings]
    if not series:
        notes.append(f"{path}: the query result holds no series")
    logger.info(
        "read %s: %d samples, %d series in %.3f s",
        path,
        len(raw),
        len(series),
        time.perf_counter() - started,
    )
    return raw, notes, bool(warnings)


def _is_instant_result(series: list[Any], result_type: str | None) -> bool:
    """Whether a result is an instant vector (declared, or bare series with ``value``)."""
    if result_type is not None:
        return result_type == "vector"
    return bool(series) and all(
        isinstance(item, dict) and "value" in item and "values" not in item
        for item in series
    )


def _instant_time(series: list[Any]) -> str:
    """The evaluation time of an instant result, for messages; ``"one time"`` if unknown."""
    try:
        seconds = float(series[0]["value"][0])
        return f"{pd.Timestamp(seconds, unit='s', tz='UTC'):%Y-%m-%d %H:%M:%S} UTC"
    except (IndexError, KeyError, TypeError, ValueError):
        return "one time"


def _load_json(path: Path) -> Any:
    # gzip, bzip2 and xz dumps are read by content, like the ticket readers.
    with decompression_errors(path), open_by_content(path) as stream:
        content = stream.read()
    if not content.strip():
        raise InputError(
            path,
            "the file is empty",
            fix=f"export the query result again: {_FIX_EXPORT}",
        )
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise InputError(
            path,
            f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            fix=_FIX_EXPORT,
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(path, "not a UTF-8 JSON file", fix=_FIX_EXPORT) from exc


def _result_list(body: Any, path: Path) -> tuple[list[Any], str | None, list[str]]:
    """The list of series, the declared result type (None if bare), the warnings."""
    if isinstance(body, list):
        return body, None, []
    if not isinstance(body, dict):
        raise InputError(
            path,
            f"expected a JSON object or list, found {type(body).__name__}",
            fix=_FIX_EXPORT,
        )
    status = body.get("status")
    if status == "error":
        raise InputError(
            path,
            "the file holds a Prometheus error response"
            f" ({body.get('errorType', '?')}: {body.get('error', '?')})",
            fix="fix the query or its time range, run it again, save the new response",
        )
    data = body if "resultType" in body else body.get("data")
    if status not in ("success", None) or not isinstance(data, dict):
        raise InputError(
            path,
            "not a Prometheus query response"
            " (no status 'success' with a 'data' object)",
            fix=_FIX_EXPORT,
        )
    result_type = data.get("resultType")
    if result_type not in ("matrix", "vector"):
        raise InputError(
            path,
            f"resultType {result_type!r} holds no series",
            fix="query an instant vector or a range (resultType vector or matrix)",
        )
    result = data.get("result")
    if not isinstance(result, list):
        raise InputError(path, "data.result is not a list", fix=_FIX_EXPORT)
    return result, result_type, _warnings(body)


def _warnings(body: dict[str, Any]) -> list[str]:
    warnings = body.get("warnings") or []
    if isinstance(warnings, str):
        return [warnings]
    return [str(warning) for warning in warnings]


def _file_samples(
    series: list[Any], path: Path, result_type: str | None, default_metric: str
) -> pd.DataFrame:
    """Raw samples of every series of one file; row_number = 1-based position.

    Each series is checked and split into arrays in reading order (so the first
    problem in the file is the one reported); the columns are then built once
    for the whole file, the text columns from one copy of each distinct text.
    """
    if not series:
        return _empty_raw(path)
    names: list[str] = []
    keys: list[str] = []
    label_sets: list[dict[str, str]] = []
    seconds: list[np.ndarray] = []
    value_text: list[Any] = []
    for index, item in enumerate(series):
        name, labels, key, stamps, texts = _series_parts(
            item, index, path, result_type, default_metric
        )
        names.append(name)
        keys.append(key)
        label_sets.append(labels)
        seconds.append(stamps)
        value_text.extend(texts)

    counts = np.asarray([len(stamps) for stamps in seconds], dtype=np.int64)
    code = np.repeat(np.arange(len(series), dtype=np.int64), counts)
    times = epoch_seconds_to_utc(np.concatenate(seconds), path)
    values, reasons = parse_values(value_text)
    # One dict per series, shared by its rows; copied per row later. A file of
    # empty series keeps the empty list it always had (pandas: float64 column).
    label_column: Any = (
        np.asarray([*label_sets, None], dtype=object)[:-1][code] if len(code) else []
    )
    raw = pd.DataFrame(
        {
            "source_file": _text_column([str(path)], np.zeros(len(code), np.int64)),
            "row_number": np.arange(1, len(code) + 1, dtype="int64"),
            "timestamp": times.array,
            "metric": _text_column(names, code),
            "labels": label_column,
            "series": _text_column(keys, code),
            "value": values,
            "reason": reasons.astype(object),
            "column": np.where(reasons != "", "value", "").astype(object),
            "raw": np.asarray([str(v) for v in value_text], dtype=object),
        },
        index=pd.RangeIndex(len(code)),
    )
    return raw.astype({"timestamp": TIMESTAMP_DTYPE})


def _series_parts(
    item: Any, index: int, path: Path, result_type: str | None, default_metric: str
) -> tuple[str, dict[str, str], str, np.ndarray, list[Any]]:
    """Name, labels, key, timestamps (s) and raw values of one series, checked."""
    if not isinstance(item, dict) or not isinstance(item.get("metric", {}), dict):
        raise InputError(
            path,
            f"series {index + 1} is not an object with a 'metric' object",
            fix=_FIX_EXPORT,
        )
    labels = {str(k): str(v) for k, v in item.get("metric", {}).items()}
    name = labels.pop("__name__", default_metric)
    key = series_key(name, labels)
    pairs = _pairs(item, index, key, path, result_type)

    seconds, value_text = _split_pairs(pairs, index, key, path)
    finite = seconds[np.isfinite(seconds)]
    if (np.abs(finite) > MILLISECONDS_THRESHOLD).any():
        epoch_seconds_to_utc(seconds, path)  # raises, naming this series' values
    return name, labels, key, seconds, value_text


def _text_column(texts: list[str], codes: np.ndarray) -> Any:
    """``texts[code]`` per row, typed as pandas types a repeated ``str`` scalar."""
    if len(codes):
        return repeat_text(texts, codes)
    return pd.array([], dtype=_SCALAR_TEXT_DTYPE)


_SCALAR_TEXT_DTYPE: Any = pd.DataFrame({"text": "x"}, index=pd.RangeIndex(1))[
    "text"
].dtype
"""The dtype of a column filled from one ``str`` scalar (``str``, or object)."""


def _pairs(
    item: dict[str, Any], index: int, key: str, path: Path, result_type: str | None
) -> list[Any]:
    has_values, has_value = "values" in item, "value" in item
    if result_type == "matrix" or (result_type is None and has_values):
        pairs = item.get("values")
    elif result_type == "vector" or (result_type is None and has_value):
        pairs = [item.get("value")]
    else:
        pairs = None
    if not isinstance(pairs, list) or (result_type == "vector" and not has_value):
        expected = "'value' pair" if result_type == "vector" else "'values' list"
        extra = " (native histograms are not supported)" if "histograms" in item else ""
        raise InputError(
            path,
            f"series {index + 1} ({key}) has no {expected}{extra}",
            fix=_FIX_EXPORT,
        )
    return pairs


def _split_pairs(
    pairs: list[Any], index: int, key: str, path: Path
) -> tuple[np.ndarray, list[Any]]:
    """Timestamps (float seconds) and raw values of ``[[t, "v"], ...]``."""
    seconds = np.empty(len(pairs), dtype=float)
    value_text: list[Any] = []
    for position, pair in enumerate(pairs):
        try:
            stamp, value = pair
            seconds[position] = float(stamp)
        except (TypeError, ValueError) as exc:
            raise InputError(
                path,
                f"series {index + 1} ({key}), sample {position + 1} is not a"
                ' [timestamp, "value"] pair',
                value=pair,
                fix=_FIX_EXPORT,
            ) from exc
        value_text.append(value)
    if not np.isfinite(seconds).all():
        raise InputError(
            path,
            f"series {index + 1} ({key}) has a timestamp that is not a finite number",
            fix=_FIX_EXPORT,
        )
    return seconds, value_text


def _empty_raw(path: Path) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_file": pd.Series(dtype=object),
            "row_number": pd.Series(dtype="int64"),
            "timestamp": pd.Series(dtype=TIMESTAMP_DTYPE),
            "metric": pd.Series(dtype=object),
            "labels": pd.Series(dtype=object),
            "series": pd.Series(dtype=object),
            "value": pd.Series(dtype=float),
            "reason": pd.Series(dtype=object),
            "column": pd.Series(dtype=object),
            "raw": pd.Series(dtype=object),
        }
    )


def _combined_hash(hashes: dict[str, str]) -> str:
    if len(hashes) == 1:
        return next(iter(hashes.values()))
    listing = "".join(f"{digest}  {path}\n" for path, digest in hashes.items())
    return hashlib.sha256(listing.encode()).hexdigest()
