"""Read load-test results and derive the capacity they prove.

Every reader returns a :class:`~analytics.frames.LoadResult` of kind
``"loadtest steps"`` whose frame holds *load steps*, one row per load level,
with the columns of :data:`LOAD_STEPS_COLUMNS`:

==================  ============================================================
column              meaning
==================  ============================================================
``step``            step label: window start (raw results) or user count
``started_at``      when the step began, tz-aware UTC; NaT when the format does
                    not record it (Locust ``*_stats.csv``, k6 summary): the
                    config's ``loadtests[].started_at`` then supplies it
``duration_s``      seconds the step lasted (NaN when the format does not say)
``requests``        requests completed in the step
``throughput_rps``  requests per second
``p95_ms``          95th percentile latency, milliseconds
``error_ratio``     failed / all requests
==================  ============================================================

Its ``rows_in`` counts the rows of the file that the format's reader reads,
not the steps, and ``rows_in == rows_used + rows_rejected``: a row that cannot
be used is listed in ``rejected`` with a reason and counts in no step (its
request adds neither to the throughput nor to p95 or the error ratio; an
unknown outcome is never taken for a success). The rows of a timed format
carry their own time (``row_times``), so that a criterion can compare the
rejected rows of its evidence window with the used ones.

Formats, the rows counted, and the rule that makes steps out of them:

* JMeter JTL CSV (:func:`read_jmeter_jtl`): every data row, one request;
  requests are put in windows of ``step_seconds`` from the first request's
  start (``timeStamp``, epoch milliseconds, JMeter's default); p95 is the
  linear-interpolation percentile of ``elapsed``; failures are ``success``
  false. The delimiter may be ``,`` (JMeter's default), ``;`` or a tab.
* Locust ``*_stats_history.csv`` (:func:`read_locust_history`): the
  ``Aggregated`` rows (the per-request-name rows are parts of them and are not
  read), grouped by ``User Count``; a step's throughput and p95 are the
  medians of its rows (Locust's percentiles cover a recent window, not the
  step), its error ratio is failures/s over requests/s summed; a step starts
  at its first ``Timestamp`` (epoch seconds).
* Locust ``*_stats.csv`` (:func:`read_locust_stats`) and k6
  ``--summary-export`` JSON (:func:`read_k6_summary`): the ``Aggregated`` row
  or the summary, one whole-run step, with no run time (neither format
  records one).
* k6 ``--out json`` NDJSON (:func:`read_k6_ndjson`): the
  ``http_req_duration`` and ``http_req_failed`` points (other metrics' lines
  are not read), put in ``step_seconds`` windows like JTL. A request is a
  duration point; its outcome is the ``http_req_failed`` point of the same
  time and tags (k6 writes both for each request), else its
  ``expected_response`` tag.

Reason codes of rejected rows:

=====================  =========================================================
``missing_value``      an empty cell, a ``null`` value, a point without ``data``
``unparseable_number`` a cell or value that is not a number (``"1,234"``)
``invalid_number``     a negative or infinite latency or rate
``unparseable_time``   a k6 point time that is not ISO 8601
``unknown_outcome``    JTL ``success`` neither true nor false; a k6 request with
                       no ``http_req_failed`` point of its time and tags and no
                       ``expected_response`` tag
``invalid_value``      a k6 ``http_req_failed`` value other than 0 or 1
``no_request``         a k6 ``http_req_failed`` point with no duration point of
                       its time and tags
``no_requests``        a Locust history row in which no request completed
``not_an_object``      a k6 line that is JSON but not an object
``cut_short``          a k6 file's last line, incomplete (k6 was stopped)
=====================  =========================================================

Times that cannot be trusted stop the read with an
:class:`~analytics.errors.InputError` naming the row, the value and the fix: a
JTL ``timeStamp`` that is not epoch milliseconds, is in scientific notation
(``1.772E+12``: the file was saved from a spreadsheet, which rounds it), or is
a whole multiple of 10 s on every row (too coarse to place the requests in
their second); so does a file with no request row at all.

Then :func:`load_capacity` gives the highest sustained throughput within
target, the knee of the latency curve, and the headroom against a forecast peak.

Examples
--------
>>> steps = pd.DataFrame({"step": [1, 2, 3], "started_at": pd.NaT, "duration_s": 60.0,
...     "requests": [6000, 12000, 18000], "throughput_rps": [100.0, 200.0, 300.0],
...     "p95_ms": [50.0, 80.0, 400.0], "error_ratio": [0.0, 0.0, 0.02]})
>>> cap = load_capacity(steps, p95_target_ms=200, forecast_peak_rps=150)
>>> cap.sustained_rps, round(cap.headroom_ratio, 3)
(200.0, 0.333)
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.frames import LoadResult, Rejections, file_sha256
from analytics.sources._compressed import decompression_errors, open_by_content
from analytics.sources.metric_files import (
    EPOCH_UNITS,
    refuse_wide_text,
    wrong_epoch_unit,
)

__all__ = [
    "LOAD_STEPS_COLUMNS",
    "LOAD_STEPS_KIND",
    "LoadCapacity",
    "latency_knee",
    "load_capacity",
    "read_jmeter_jtl",
    "read_k6_ndjson",
    "read_k6_summary",
    "read_locust_history",
    "read_locust_stats",
]

logger = logging.getLogger(__name__)

_UTC = pd.DatetimeTZDtype(tz="UTC")

LOAD_STEPS_COLUMNS = (
    "step",
    "started_at",
    "duration_s",
    "requests",
    "throughput_rps",
    "p95_ms",
    "error_ratio",
)

LOAD_STEPS_KIND: Final = "loadtest steps"
"""``LoadResult.kind`` of every load-test reader."""

_JTL_DELIMITERS: Final = (",", ";", "\t")
_SCIENTIFIC: Final = re.compile(r"^[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+$")
_COARSE_MS: Final = 10_000  # every timeStamp a multiple of this: rounded, not ms
_SPREADSHEET_FIX: Final = (
    "re-export the results from JMeter (or use the original .jtl); do not open"
    " and save it in a spreadsheet, which rounds 13-digit numbers"
)
_K6_METRICS: Final = ("http_req_duration", "http_req_failed")


def _require(frame: pd.DataFrame, path: str | Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {missing}; found {list(frame.columns)}",
            fix="export the results with the default column set",
        )


def _empty_steps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": pd.Series(dtype=float),
            "started_at": pd.Series(dtype=_UTC),
            **{c: pd.Series(dtype=float) for c in LOAD_STEPS_COLUMNS[2:]},
        }
    )


def _windows(
    started: pd.Series, elapsed_ms: pd.Series, failed: pd.Series, step_seconds: float
) -> pd.DataFrame:
    # ``started``: tz-aware start time of each request; all three share an index.
    if started.empty:
        return _empty_steps()
    first = started.min()
    offset_s = (started - first).dt.total_seconds()
    window = np.floor(offset_s / step_seconds).astype(int)
    grouped = pd.DataFrame(
        {"w": window, "ms": elapsed_ms.astype(float), "bad": failed.astype(float)}
    ).groupby("w")
    offsets = grouped.size().index * step_seconds
    out = pd.DataFrame(
        {
            "step": offsets,
            "started_at": first + pd.to_timedelta(offsets, unit="s"),
            "duration_s": float(step_seconds),
            "requests": grouped.size().to_numpy(),
            "p95_ms": grouped["ms"].quantile(0.95).to_numpy(),
            "error_ratio": grouped["bad"].mean().to_numpy(),
        }
    )
    out["throughput_rps"] = out["requests"] / step_seconds
    return out[list(LOAD_STEPS_COLUMNS)].reset_index(drop=True)


def _result(
    path: str | Path,
    steps: pd.DataFrame,
    rejections: Rejections,
    *,
    rows_in: int,
    rows_used: int,
    notes: list[str],
) -> LoadResult:
    result = LoadResult(
        frame=steps,
        rejected=rejections.frame(),
        source_file=str(path),
        kind=LOAD_STEPS_KIND,
        rows_in=rows_in,
        rows_used=rows_used,
        sha256=file_sha256(path),
        notes=notes,
        row_times=rejections.row_times(),
    )
    result.check_accounting()
    return result


def _rejected_note(rows_in: int, rejections: Rejections, what: str) -> list[str]:
    """A note when rows were rejected: they count in no step."""
    frame = rejections.frame()
    if frame.empty:
        return []
    count = frame["row_number"].nunique()
    reasons = ", ".join(
        f"{code} {n:,}"
        for code, n in frame.drop_duplicates("row_number")["reason_code"]
        .value_counts()
        .items()
    )
    return [
        f"{count:,} of {rows_in:,} {what} rejected ({reasons}): they count in no"
        " load step; see rejected_rows.csv"
    ]


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    # 1-based line in the file, header = line 1.
    return pd.Series(frame.index.to_numpy() + 2, index=frame.index)


def _numbers(
    frame: pd.DataFrame,
    rows: pd.Series,
    column: str,
    rejections: Rejections,
    *,
    what: str,
) -> pd.Series:
    """``frame[column]`` as finite non-negative floats; other rows are rejected (NaN)."""
    text = frame[column].astype("string").str.strip().fillna("")
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    empty = text.eq("")
    unparseable = numbers.isna() & ~empty
    invalid = numbers.notna() & ~(np.isfinite(numbers) & (numbers >= 0))
    rejections.add_many(
        rows[empty],
        column,
        text[empty],
        "missing_value",
        f"{column} is empty: the {what} is unknown, so the row counts in no step",
    )
    rejections.add_many(
        rows[unparseable],
        column,
        text[unparseable],
        "unparseable_number",
        f"{column} is not a number (a thousands separator or a decimal comma?):"
        f" the {what} is unknown, so the row counts in no step",
    )
    rejections.add_many(
        rows[invalid],
        column,
        text[invalid],
        "invalid_number",
        f"{column} is negative or infinite: not a {what}; the row counts in no step",
    )
    return numbers.where(~invalid)


def read_jmeter_jtl(path: str | Path, *, step_seconds: float = 60.0) -> LoadResult:
    """Read a JMeter CSV results file (JTL) into load steps.

    Every data row is one request and one input row. A row whose ``elapsed``
    is empty or not a number, or whose ``success`` is neither true nor false,
    is rejected and counts in no step.

    Raises
    ------
    InputError
        A missing column; no request row; a ``timeStamp`` that is not epoch
        milliseconds, is in scientific notation, or is a multiple of 10 s on
        every row (precision lost, e.g. saved from a spreadsheet).

    Examples
    --------
    >>> import tempfile, os
    >>> text = "timeStamp,elapsed,success\\n0,100,true\\n500,300,false\\n900,,true\\n"
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jtl", delete=False) as f:
    ...     _ = f.write(text)
    >>> load = read_jmeter_jtl(f.name, step_seconds=1)
    >>> load.frame[["requests", "error_ratio"]].values.tolist()
    [[2.0, 0.5]]
    >>> load.rows_in, load.rows_used, load.rejected["reason_code"].tolist()
    (3, 2, ['missing_value'])
    >>> os.remove(f.name)
    """
    frame = _read_csv(path, delimiters=_JTL_DELIMITERS)
    _require(frame, path, ["timeStamp", "elapsed", "success"])
    if frame.empty:
        raise InputError(
            path,
            "no request rows: the file has only a header",
            fix="check that the load test ran and use the results file JMeter"
            " wrote (-l results.jtl)",
        )
    rows = _row_numbers(frame)
    started = _jtl_times(frame, path)
    rejections = Rejections(path)
    rejections.note_row_times(rows, started)
    elapsed = _numbers(frame, rows, "elapsed", rejections, what="request's latency")
    outcome = frame["success"].astype("string").str.strip().str.lower().fillna("")
    unknown = ~outcome.isin(["true", "false"])
    rejections.add_many(
        rows[unknown],
        "success",
        frame.loc[unknown, "success"],
        "unknown_outcome",
        "success is neither true nor false: the request's outcome is unknown (not"
        " taken for a success), so it counts in no step",
    )
    used = elapsed.notna() & ~unknown
    steps = _windows(
        started[used], elapsed[used], outcome[used].eq("false"), step_seconds
    )
    rows_in = len(frame)
    notes = _rejected_note(rows_in, rejections, "JTL request rows were")
    logger.info("read %s: %d requests, %d steps", path, rows_in, len(steps))
    return _result(
        path,
        steps,
        rejections,
        rows_in=rows_in,
        rows_used=int(used.sum()),
        notes=notes,
    )


def _jtl_times(frame: pd.DataFrame, path: str | Path) -> pd.Series:
    """The JTL ``timeStamp`` as tz-aware UTC, refusing times that lost precision."""
    text = frame["timeStamp"].astype("string").str.strip().fillna("")
    scientific = text.str.match(_SCIENTIFIC).fillna(False).astype(bool)
    if scientific.any():
        position = int(np.flatnonzero(scientific.to_numpy())[0])
        raise InputError(
            path,
            f"timeStamp is in scientific notation on {int(scientific.sum()):,} of"
            f" {len(text):,} rows: the epoch milliseconds were rounded (by a"
            " spreadsheet?), so requests cannot be placed in their second",
            row=int(frame.index[position]) + 2,
            column="timeStamp",
            value=text.iloc[position],
            fix=_SPREADSHEET_FIX,
        )
    started = _epoch(frame, path, "timeStamp", "ms")
    millis = pd.to_numeric(text, errors="coerce")
    if len(millis) > 1 and (millis % _COARSE_MS == 0).all():
        raise InputError(
            path,
            f"every timeStamp is a whole multiple of {_COARSE_MS // 1000} s: the"
            " epoch milliseconds lost their precision, so requests cannot be"
            " placed in their second",
            row=2,
            column="timeStamp",
            value=text.iloc[0],
            fix=_SPREADSHEET_FIX,
        )
    return started


def read_locust_history(path: str | Path) -> LoadResult:
    """Read Locust's ``*_stats_history.csv`` into one step per user count.

    The input rows are the ``Aggregated`` rows. One whose ``User Count``,
    ``Requests/s``, ``Failures/s`` or ``95%`` is not a number (Locust writes
    ``N/A`` percentiles before a request completes), or in which no request
    completed, is rejected and counts in no step.
    """
    frame = _read_csv(path)
    _require(frame, path, ["User Count", "Name", "Requests/s", "Failures/s", "95%"])
    aggregated = frame["Name"].astype("string").str.strip().eq("Aggregated")
    rows_frame = frame[aggregated.fillna(False).astype(bool)]
    if rows_frame.empty:
        raise InputError(
            path,
            "no 'Aggregated' row"
            + (": the file has only a header" if frame.empty else ""),
            fix="use the *_stats_history.csv Locust writes with --csv",
        )
    rows = _row_numbers(rows_frame)
    rejections = Rejections(path)
    timed = "Timestamp" in rows_frame
    started = _epoch(rows_frame, path, "Timestamp", "s") if timed else None
    if started is not None:
        rejections.note_row_times(rows, started)
    rps = _numbers(rows_frame, rows, "Requests/s", rejections, what="throughput")
    idle = rps.eq(0)
    rejections.add_many(
        rows[idle],
        "Requests/s",
        rows_frame.loc[idle, "Requests/s"],
        "no_requests",
        "no request completed in Locust's window at this time (its percentiles"
        " are N/A): the row measures neither throughput nor latency",
    )
    # An idle row's N/A percentiles are no further fault.
    active = rows_frame[~idle]
    numbers = {
        column: _numbers(active, rows[~idle], column, rejections, what=what)
        for column, what in (
            ("User Count", "load level"),
            ("Failures/s", "failure rate"),
            ("95%", "p95 latency"),
        )
    }
    numbers["Requests/s"] = rps
    table = pd.DataFrame(numbers, index=rows_frame.index)
    used = table.notna().all(axis=1) & ~idle
    table = table[used]
    grouped = table.groupby("User Count", sort=True)
    users = grouped.size().index
    steps = pd.DataFrame(
        {
            # A user count is whole: 10, not 10.0.
            "step": users.astype("int64") if (users % 1 == 0).all() else users,
            "duration_s": np.nan,
            "requests": np.nan,
            "throughput_rps": grouped["Requests/s"].median().to_numpy(),
            "p95_ms": grouped["95%"].median().to_numpy(),
            "error_ratio": (
                grouped["Failures/s"].sum() / grouped["Requests/s"].sum()
            ).to_numpy(),
        }
    )
    steps.insert(1, "started_at", pd.Series(pd.NaT, index=steps.index, dtype=_UTC))
    if started is not None:
        kept = started[used]
        steps["started_at"] = kept.groupby(table["User Count"]).min().to_numpy()
        span = kept.groupby(table["User Count"]).agg(lambda s: s.max() - s.min())
        steps["duration_s"] = span.dt.total_seconds().to_numpy(dtype=float)
    rows_in = len(rows_frame)
    notes = _rejected_note(rows_in, rejections, "Locust Aggregated history rows were")
    if len(frame) > rows_in:
        notes.append(
            f"Locust history: {len(frame) - rows_in:,} per-request-name rows not"
            " read (the Aggregated rows hold their totals)"
        )
    logger.info("read %s: %d rows, %d steps", path, rows_in, len(steps))
    return _result(
        path,
        steps,
        rejections,
        rows_in=rows_in,
        rows_used=int(used.sum()),
        notes=notes,
    )


def read_locust_stats(path: str | Path) -> LoadResult:
    """Read Locust's end-of-run ``*_stats.csv`` (the ``Aggregated`` row) as one step.

    The ``Aggregated`` row is the one input row; a cell of it that is not a
    number is an :class:`~analytics.errors.InputError`, as is a run without
    requests.
    """
    frame = _read_csv(path)
    columns = ["Name", "Request Count", "Failure Count", "Requests/s", "95%"]
    _require(frame, path, columns)
    total = frame[frame["Name"].astype("string").str.strip().eq("Aggregated")]
    if total.empty:
        raise InputError(path, "no 'Aggregated' row", fix="use Locust's own stats CSV")
    row_number = int(total.index[0]) + 2
    row = total.iloc[0]

    def number(column: str) -> float:
        try:
            value = float(str(row[column]).strip())
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise InputError(
                path,
                "not a non-negative number in the Aggregated row",
                row=row_number,
                column=column,
                value=row[column],
                fix="use the *_stats.csv Locust writes with --csv, unedited",
            )
        return value

    requests = number("Request Count")
    if requests == 0:
        raise InputError(
            path,
            "the Aggregated row counts no request: the run proves nothing",
            row=row_number,
            column="Request Count",
            value=row["Request Count"],
            fix="check that the load test ran against the service",
        )
    rps, p95 = number("Requests/s"), number("95%")
    steps = _one_step(
        requests=requests,
        rps=rps,
        p95=p95,
        errors=number("Failure Count") / requests,
    )
    return _result(path, steps, Rejections(path), rows_in=1, rows_used=1, notes=[])


def read_k6_summary(path: str | Path) -> LoadResult:
    """Read k6's ``--summary-export`` JSON as one step (one input row).

    Without an ``http_req_failed`` metric the error ratio is unknown (NaN), so
    the step meets no error target.
    """
    try:
        with decompression_errors(path), open_by_content(path) as stream:
            metrics = json.loads(stream.read().decode("utf-8"))["metrics"]
        reqs, duration = metrics["http_reqs"], metrics["http_req_duration"]
        failed = metrics.get("http_req_failed") or {}
        p95 = float(duration["p(95)"])
        requests, rps = float(reqs["count"]), float(reqs["rate"])
        errors = float(failed.get("value", failed.get("rate", math.nan)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            path,
            "not a k6 summary with http_reqs count and rate and http_req_duration"
            f" p(95) ({exc!r})",
            fix="export with k6 run --summary-export (p(95) is a default trend stat)",
        ) from exc
    notes = []
    if math.isnan(errors):
        notes.append(
            "k6 summary without http_req_failed: the error ratio is unknown, so the"
            " run meets no error-ratio target"
        )
    steps = _one_step(requests=requests, rps=rps, p95=p95, errors=errors)
    return _result(path, steps, Rejections(path), rows_in=1, rows_used=1, notes=notes)


@dataclass
class _K6Points:
    """The k6 points read, before they are matched into requests."""

    durations: list[tuple[int, str, str, float, str | None]]
    failures: list[tuple[int, str, str, float]]
    rejections: Rejections
    rows_in: int = 0


def read_k6_ndjson(path: str | Path, *, step_seconds: float = 60.0) -> LoadResult:
    """Read k6's ``--out json`` NDJSON points into load steps.

    The input rows are the lines of ``http_req_duration`` and
    ``http_req_failed`` points (plus any malformed point, and a last line cut
    short). A request is a duration point; the n-th duration point of a time
    and tag set is matched with the n-th failure point of the same time and
    tags. A request without one takes its outcome from its
    ``expected_response`` tag, else it is rejected (``unknown_outcome``): its
    outcome is never taken for a success.

    Raises
    ------
    InputError
        A line that is not JSON (other than an incomplete last line), or no
        ``http_req_duration`` or ``http_req_failed`` point at all.
    """
    points = _k6_points(path)
    rejections = points.rejections
    if points.rows_in == 0:
        raise InputError(
            path, "no http_req_duration points", fix="run k6 with --out json"
        )
    d = pd.DataFrame(
        points.durations, columns=["row", "time", "tags", "ms", "expected"]
    )
    f = pd.DataFrame(points.failures, columns=["row", "time", "tags", "failed"])
    d_start = _k6_times(d, rejections)
    f_start = _k6_times(f, rejections)
    d, f = d[d_start.notna()], f[f_start.notna()]
    d_start = d_start[d_start.notna()]

    # k6 writes one http_req_failed point per request, at its time, with its tags.
    key = ["time", "tags", "n"]
    d = d.assign(n=d.groupby(["time", "tags"]).cumcount())
    f = f.assign(n=f.groupby(["time", "tags"]).cumcount())
    matched = d.merge(
        f[[*key, "failed", "row"]], on=key, how="left", suffixes=("", "_failed")
    )
    matched.index = d.index
    by_tag = matched["expected"].map({"true": 0.0, "false": 1.0})
    failed = matched["failed"].fillna(by_tag)
    unknown = failed.isna()
    rejections.add_many(
        matched.loc[unknown, "row"],
        "http_req_failed",
        matched.loc[unknown, "time"],
        "unknown_outcome",
        "no http_req_failed point with this request's time and tags (k6 stopped"
        " before writing it?) and no expected_response tag: the request's outcome"
        " is unknown (not taken for a success), so it counts in no step",
    )
    paired = set(matched["row_failed"].dropna().astype("int64"))
    alone = ~f["row"].isin(paired)
    rejections.add_many(
        f.loc[alone, "row"],
        "http_req_duration",
        f.loc[alone, "time"],
        "no_request",
        "no http_req_duration point with this http_req_failed point's time and"
        " tags: the request's latency is unknown, so it counts in no step",
    )
    known = ~unknown
    steps = _windows(
        d_start[known], matched.loc[known, "ms"], failed[known] > 0, step_seconds
    )
    rows_used = int(known.sum()) + int((~alone).sum())
    notes = _rejected_note(points.rows_in, rejections, "k6 request points were")
    logger.info("read %s: %d requests, %d steps", path, int(known.sum()), len(steps))
    return _result(
        path,
        steps,
        rejections,
        rows_in=points.rows_in,
        rows_used=rows_used,
        notes=notes,
    )


def _k6_points(path: str | Path) -> _K6Points:
    """The duration and failure points of a k6 NDJSON file; bad points rejected."""
    points = _K6Points([], [], Rejections(path))
    # Read as bytes (plain, or gzip as k6 writes for --out json=x.gz); json
    # decodes each line and refuses bytes that are not UTF-8.
    with decompression_errors(path), open_by_content(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                shown = line[:80].decode("utf-8", errors="replace")
                if not line.endswith(b"\n"):
                    # The last line of a file k6 was stopped while writing.
                    points.rows_in += 1
                    points.rejections.add(
                        line_number,
                        "",
                        shown,
                        "cut_short",
                        "the last line is incomplete JSON (k6 stopped while writing"
                        " it): a point may be lost",
                    )
                    continue
                raise InputError(
                    path,
                    "not JSON",
                    row=line_number,
                    value=shown,
                    fix="use the file k6 wrote with --out json, unedited",
                ) from exc
            _k6_point(record, line_number, points)
    return points


def _k6_point(record: Any, line_number: int, points: _K6Points) -> None:
    """Sort one NDJSON record into ``points`` (or reject it, or skip it)."""
    reject = points.rejections.add
    if not isinstance(record, dict):
        points.rows_in += 1
        reject(
            line_number,
            "",
            json.dumps(record)[:80],
            "not_an_object",
            "the line is JSON but not a k6 output object",
        )
        return
    if record.get("type") != "Point":
        return
    metric = record.get("metric")
    if metric is not None and metric not in _K6_METRICS:
        return  # another metric: not read
    points.rows_in += 1
    data = record.get("data")
    if metric is None or not isinstance(data, dict):
        column = "metric" if metric is None else "data"
        reject(
            line_number,
            column,
            "",
            "missing_value",
            f"a Point without {column}: a request's {metric or 'point'} may be lost",
        )
        return
    time, value = data.get("time"), data.get("value")
    if not isinstance(time, str) or not time.strip():
        reject(
            line_number,
            "data.time",
            time,
            "missing_value",
            f"a {metric} point without a time: it counts in no step",
        )
        return
    if value is None:
        reject(
            line_number,
            "data.value",
            value,
            "missing_value",
            f"a {metric} point with a null value: it counts in no step",
        )
        return
    # JSON true/false is a valid http_req_failed value, not a duration.
    numeric = isinstance(value, int | float) and not (
        isinstance(value, bool) and metric == "http_req_duration"
    )
    number = float(value) if numeric else math.nan
    tags_value = data.get("tags") or {}
    tags = json.dumps(tags_value, sort_keys=True, default=str)
    if metric == "http_req_duration":
        if math.isnan(number):
            reject(
                line_number,
                "data.value",
                value,
                "unparseable_number",
                "an http_req_duration value that is not a number: the request's"
                " latency is unknown, so it counts in no step",
            )
        elif not (math.isfinite(number) and number >= 0):
            reject(
                line_number,
                "data.value",
                value,
                "invalid_number",
                "a negative or infinite http_req_duration: the request counts in"
                " no step",
            )
        else:
            expected = (
                tags_value.get("expected_response")
                if isinstance(tags_value, dict)
                else None
            )
            points.durations.append(
                (line_number, time, tags, float(number), _text_or_none(expected))
            )
        return
    if number not in (0, 1):
        reject(
            line_number,
            "data.value",
            value,
            "invalid_value",
            "an http_req_failed value other than 0 or 1: the request's outcome is"
            " unknown",
        )
        return
    points.failures.append((line_number, time, tags, float(number)))


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip().lower()


def _k6_times(points: pd.DataFrame, rejections: Rejections) -> pd.Series:
    """The points' times as tz-aware UTC; unparseable ones rejected (NaT)."""
    started = pd.to_datetime(
        points["time"], utc=True, format="ISO8601", errors="coerce"
    )
    started = pd.Series(started, index=points.index, dtype=_UTC)
    rejections.note_row_times(points["row"], started)
    bad = started.isna()
    rejections.add_many(
        points.loc[bad, "row"],
        "data.time",
        points.loc[bad, "time"],
        "unparseable_time",
        "the point's time is not ISO 8601: it counts in no step",
    )
    return started


def _one_step(
    *, requests: float, rps: float, p95: float, errors: float
) -> pd.DataFrame:
    # Neither Locust's stats CSV nor k6's summary records when the run took place.
    return pd.DataFrame(
        {
            "step": ["run"],
            "started_at": pd.Series([pd.NaT], dtype=_UTC),
            "duration_s": [requests / rps if rps else math.nan],
            "requests": [requests],
            "throughput_rps": [rps],
            "p95_ms": [p95],
            "error_ratio": [errors],
        }
    )


_TOOL_DEFAULT: Final = {
    "ms": "JMeter writes epoch milliseconds by default"
    " (jmeter.save.saveservice.timestamp_format=ms)",
    "s": "Locust's --csv history writes epoch seconds",
}


def _epoch(
    frame: pd.DataFrame, path: str | Path, column: str, unit: Literal["s", "ms"]
) -> pd.Series:
    """``frame[column]`` (Unix epoch in ``unit``) as tz-aware UTC; an error names the row.

    Numbers that are times in another unit (seconds or microseconds in a JTL,
    milliseconds in a Locust history; see
    :func:`~analytics.sources.metric_files.wrong_epoch_unit`) are refused, not
    read as 1970 or as a year after 5138.
    """
    numbers = pd.to_numeric(frame[column].astype("string").str.strip(), errors="coerce")
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(
            path,
            f"{column} is not a Unix time in {EPOCH_UNITS[unit]}",
            row=int(frame.index[position]) + 2,  # header is line 1
            column=column,
            value=frame[column].iloc[position],
            fix="export with the tool's default epoch timestamps"
            + (
                " (jmeter.save.saveservice.timestamp_format=ms)" if unit == "ms" else ""
            ),
        )
    found = wrong_epoch_unit(values, unit)
    if found is not None:
        raise InputError(
            path,
            found.problem(f"{column} values", unit, len(values))
            + f"; {_TOOL_DEFAULT[unit]}",
            row=int(frame.index[found.position]) + 2,
            column=column,
            value=frame[column].iloc[found.position],
            fix=f"{found.fix(unit)} in the {column} column, or export the results"
            " again with the tool's default timestamps",
        )
    return pd.to_datetime(values, unit=unit, utc=True).to_series(index=frame.index)


def _read_csv(
    path: str | Path, *, delimiters: tuple[str, ...] = (",",)
) -> pd.DataFrame:
    """The CSV as text cells (empty cells ``""``), with the first delimiter that
    splits the header into more than one column. UTF-16/32 text is refused
    naming its encoding and the conversion."""
    refuse_wide_text(path)
    try:
        with decompression_errors(path):
            chosen = delimiters[0]
            for delimiter in delimiters:
                header = pd.read_csv(path, sep=delimiter, nrows=0, encoding="utf-8-sig")
                if len(header.columns) > 1:
                    chosen = delimiter
                    break
            return pd.read_csv(
                path,
                sep=chosen,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
    except (OSError, ValueError) as exc:
        raise InputError(
            path, f"cannot read CSV ({exc})", fix="check the file"
        ) from exc


def latency_knee(steps: pd.DataFrame) -> float | None:
    """Throughput at the knee of the latency curve (``None``: fewer than 3 steps).

    The knee is the step farthest below the chord from the lowest- to the
    highest-throughput step, both axes scaled to [0, 1] (the Kneedle idea):
    where latency stops being flat and starts to climb.

    Examples
    --------
    >>> s = pd.DataFrame({"throughput_rps": [100, 200, 400, 600],
    ...                   "p95_ms": [60, 70, 170, 925]})
    >>> latency_knee(s)
    400.0
    """
    curve = steps.sort_values("throughput_rps")[["throughput_rps", "p95_ms"]].dropna()
    if len(curve) < 3:
        return None
    x = curve["throughput_rps"].to_numpy(dtype=float)
    y = curve["p95_ms"].to_numpy(dtype=float)
    xs = (x - x.min()) / (np.ptp(x) or 1.0)
    ys = (y - y.min()) / (np.ptp(y) or 1.0)
    gap = xs - ys
    return float(x[int(np.argmax(gap))]) if gap.max() > 0 else None


@dataclass(frozen=True)
class LoadCapacity:
    """What a load test proves about capacity.

    Attributes
    ----------
    sustained_rps
        Highest step throughput with p95 and error ratio within target
        (``None``: no step met the targets).
    knee_rps
        Throughput at the knee of the latency curve.
    forecast_peak_rps
        The peak traffic the capacity is compared with.
    headroom_ratio
        ``sustained / forecast peak − 1`` (``None`` without both).
    meets_target_rps
        Whether ``sustained_rps`` reaches ``target_rps``.
    """

    sustained_rps: float | None
    knee_rps: float | None
    forecast_peak_rps: float | None
    headroom_ratio: float | None
    meets_target_rps: bool | None


def load_capacity(
    steps: pd.DataFrame,
    *,
    p95_target_ms: float = 200.0,
    error_ratio_target: float = 0.01,
    target_rps: float | None = None,
    forecast_peak_rps: float | None = None,
    min_duration_s: float = 0.0,
) -> LoadCapacity:
    """Highest sustained throughput within target, the knee, and headroom.

    Steps shorter than ``min_duration_s`` do not count as sustained.
    """
    if p95_target_ms <= 0 or not 0 <= error_ratio_target <= 1:
        raise ConfigError("p95_target_ms must be > 0 and error_ratio_target in [0, 1].")
    long_enough = steps["duration_s"].fillna(math.inf) >= min_duration_s
    ok = (
        (steps["p95_ms"] <= p95_target_ms)
        & (steps["error_ratio"] <= error_ratio_target)
        & long_enough
    )
    sustained = float(steps.loc[ok, "throughput_rps"].max()) if ok.any() else None

    headroom = None
    if sustained is not None and forecast_peak_rps:
        headroom = sustained / forecast_peak_rps - 1.0
    meets = None if target_rps is None else bool(sustained and sustained >= target_rps)
    return LoadCapacity(
        sustained_rps=sustained,
        knee_rps=latency_knee(steps),
        forecast_peak_rps=forecast_peak_rps,
        headroom_ratio=headroom,
        meets_target_rps=meets,
    )
