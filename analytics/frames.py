"""Canonical frames, rejected rows and the result every loader returns.

Loaders turn a source's own format into one of a few canonical frames
(see ``docs``/DESIGN: samples, tickets, ...). Rows that cannot be used are
never dropped silently: they go into a *rejected rows* table with a reason
code, and ``LoadResult.check_accounting`` proves that
``rows_in == rows_used + rows_rejected``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type stubs

__all__ = [
    "AFTER_DECISION_TIME",
    "REJECTED_COLUMNS",
    "ROW_TIME",
    "SAMPLES_COLUMNS",
    "TICKETS_COLUMNS",
    "LoadResult",
    "Rejections",
    "empty_rejected",
    "file_sha256",
    "repeat_text",
    "series_time_order",
    "to_pandas",
]

SAMPLES_COLUMNS = ("timestamp", "metric", "labels", "series", "value")
"""Samples frame: one row per sample. ``labels`` is a dict of label name to value
(``__name__`` excluded); ``series`` is a stable text key of metric and labels."""

TICKETS_COLUMNS = (
    "ticket_id",
    "source",
    "priority",
    "priority_original",
    "status",
    "created_at",
    "first_response_at",
    "acknowledged_at",
    "detected_at",
    "impact_started_at",
    "first_resolved_at",
    "resolved_at",
    "closed_at",
    "on_hold_seconds",
    "reassignment_count",
    "reopen_count",
    "escalated",
    "assignment_group",
    "category",
    "csat_score",
)
"""Tickets frame: one row per ticket. All ``*_at`` columns are tz-aware UTC.
``first_resolved_at`` is the first time the ticket reached a resolved state,
``resolved_at`` the final resolution (they differ for reopened tickets)."""

REJECTED_COLUMNS = (
    "source_file",
    "row_number",
    "column",
    "value",
    "reason_code",
    "message",
)
"""Rejected rows: ``row_number`` is the 1-based line in the file, header = line 1."""

ROW_TIME: Final = "row_time"
"""Optional column of the rejected-rows frame: the row's own time (tz-aware UTC).

Its answer, creation or event time as far as it parsed, NaT when unknown. A
loader that knows its rows' times fills it (see :meth:`Rejections.note_row_times`),
so that a criterion can count the rejected rows of its own evidence window."""


AFTER_DECISION_TIME: Final = "after_decision_time"
"""Reason code of sound rows recorded after the decision time (set aside, not bad)."""


class Rejections:
    """Collects rejected rows while a loader works.

    Examples
    --------
    >>> r = Rejections("incidents.csv")
    >>> r.add(3, "opened_at", "13/13/2016", "unparseable_date", "not a date")
    >>> len(r.frame())
    1
    >>> r.note_row_times(pd.Series([2, 3]), pd.to_datetime(["2026-03-01", None], utc=True))
    >>> r.frame()["row_time"].tolist()
    [NaT]
    >>> r.row_times().tolist()
    [Timestamp('2026-03-01 00:00:00+0000', tz='UTC')]
    """

    def __init__(self, source_file: str | Path) -> None:
        self.source_file = str(source_file)
        self._rows: list[dict[str, Any]] = []
        self._frames: list[pd.DataFrame] = []
        self._times: list[pd.Series] = []

    def add(
        self,
        row_number: int,
        column: str,
        value: object,
        reason_code: str,
        message: str,
    ) -> None:
        """Reject one row."""
        self._rows.append(
            {
                "source_file": self.source_file,
                "row_number": int(row_number),
                "column": column,
                "value": "" if value is None else str(value),
                "reason_code": reason_code,
                "message": message,
            }
        )

    def add_many(
        self,
        row_numbers: pd.Series,
        column: str,
        values: pd.Series,
        reason_code: str,
        message: str,
    ) -> None:
        """Reject many rows with one reason (vectorised; values become text)."""
        if len(row_numbers) == 0:
            return
        self._frames.append(
            pd.DataFrame(
                {
                    "source_file": self.source_file,
                    "row_number": row_numbers.astype("int64").to_numpy(),
                    "column": column,
                    "value": values.astype("string").fillna("").to_numpy(),
                    "reason_code": reason_code,
                    "message": message,
                }
            )
        )

    def note_row_times(self, row_numbers: pd.Series, times: Any) -> None:
        """Remember the own time of input rows (NaT where it did not parse).

        Rows rejected so far or later get it as :data:`ROW_TIME`; a row noted
        twice keeps its first known time.
        """
        # Naive times are UTC already (polars hands them over without a zone).
        values = pd.to_datetime(pd.Series(times).reset_index(drop=True), utc=True)
        values = values.astype("datetime64[us, UTC]")
        values.index = pd.Index(np.asarray(row_numbers, dtype="int64"))
        self._times.append(values.dropna())

    def row_times(self) -> pd.Series | None:
        """Known time of each noted input row, by row number; None if none was noted."""
        if not self._times:
            return None
        times = pd.concat(self._times) if len(self._times) > 1 else self._times[0]
        times = times[~times.index.duplicated(keep="first")].sort_index()
        return times.rename(ROW_TIME).rename_axis("row_number")

    def frame(self) -> pd.DataFrame:
        """All rejections so far, sorted by row number.

        With :data:`ROW_TIME` after the canonical columns when row times were
        noted.
        """
        parts = [*self._frames]
        if self._rows:
            parts.append(pd.DataFrame(self._rows))
        if not parts:
            return empty_rejected()
        out = pd.concat(parts, ignore_index=True)
        out = out.sort_values("row_number", kind="stable").reset_index(drop=True)
        times = self.row_times()
        if times is not None:
            # reindex, not map: it keeps the dtype when no time is known at all.
            known = times.reindex(out["row_number"].astype("int64"))
            out[ROW_TIME] = known.to_numpy()
        return out


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-rows frame with the canonical columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECTED_COLUMNS})


@dataclass
class LoadResult:
    """What a loader returns: the canonical frame plus everything needed to audit it.

    Attributes
    ----------
    frame
        The canonical frame (samples, tickets, ...).
    rejected
        Rejected rows with reason codes (columns ``REJECTED_COLUMNS``).
    source_file
        Path of the file read.
    kind
        ``"tickets"``, ``"samples"``, ...
    rows_in
        Data rows in the file (header excluded).
    rows_used
        Input rows that contributed to ``frame``. For an event log this counts
        every update row of a ticket that was kept, so ``rows_in`` can exceed
        ``len(frame)``.
    sha256
        Hash of the file's bytes, for reproducibility.
    notes
        Rules applied that a reader of the report should know about.
    pauses
        For tickets only: the exact intervals each kept ticket spent paused
        (on hold / waiting), one row per interval, columns ``ticket_id``,
        ``pause_start``, ``pause_end`` (tz-aware UTC, ``pause_start <
        pause_end``), ready for the ``pauses=`` argument of
        :mod:`analytics.metrics.support` and
        :func:`~analytics.metrics.resolution.resolution_by_priority`. Per
        ticket the durations sum to ``on_hold_seconds``. None when the export
        gives no intervals (on-hold totals at most); an empty frame when it
        could give them but no kept ticket was paused.
    row_times
        The own time of each input row (answered, created or event time), by
        row number, for the rows whose time the loader read; None when it
        does not note them. Rejected rows carry the same time as
        :data:`ROW_TIME`; :meth:`window_rows` counts both sides from it.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    source_file: str
    kind: str
    rows_in: int
    rows_used: int
    sha256: str = ""
    notes: list[str] = field(default_factory=list)
    pauses: pd.DataFrame | None = None
    row_times: pd.Series | None = None

    @property
    def rows_rejected(self) -> int:
        """Number of input rows rejected (one row may carry several reasons)."""
        if self.rejected.empty:
            return 0
        # Row numbers restart in each file, so a row is identified by (file, row).
        return len(self.rejected.drop_duplicates(["source_file", "row_number"]))

    @property
    def rows_set_aside(self) -> int:
        """Rejected rows whose only reason is ``after_decision_time``.

        They are sound rows, only not known at the decision time (an event
        log's later updates): reports count them apart from bad rows.
        """
        if self.rejected.empty:
            return 0
        only_later = (
            (self.rejected["reason_code"] == AFTER_DECISION_TIME)
            .groupby([self.rejected["source_file"], self.rejected["row_number"]])
            .all()
        )
        return int(only_later.sum())

    def check_accounting(self) -> None:
        """Raise ``AssertionError`` unless input rows = used rows + rejected rows."""
        total = self.rows_used + self.rows_rejected
        if total != self.rows_in:
            raise AssertionError(
                f"{self.source_file}: {self.rows_in} rows in, but {self.rows_used} used"
                f" + {self.rows_rejected} rejected = {total}"
            )

    def window_rows(
        self,
        start: pd.Timestamp,
        end: pd.Timestamp,
        *,
        set_aside: Collection[str] = (),
    ) -> tuple[int, int] | None:
        """Input rows timed in ``[start, end)``: ``(used, rejected)``; None if untimed.

        Rows whose only reasons are in ``set_aside`` (sound rows the loader
        left out, such as updates after the decision time) count on neither
        side. Rows of unknown time are not counted here.

        Examples
        --------
        >>> times = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01",
        ...     "2026-02-02"], utc=True), index=[2, 3, 4])
        >>> rejected = pd.DataFrame({"source_file": ["s.csv"], "row_number": [3],
        ...     "reason_code": ["unparseable_number"]})
        >>> load = LoadResult(pd.DataFrame(), rejected, "s.csv", "survey", 3, 2,
        ...     row_times=times)
        >>> load.window_rows(pd.Timestamp("2026-01-15", tz="UTC"),
        ...     pd.Timestamp("2026-03-01", tz="UTC"))
        (1, 1)
        """
        if self.row_times is None:
            return None
        times = self.row_times
        inside = times.index[(times >= start) & (times < end)]

        # A row may carry several reasons; it is set aside only if all are.
        reasons = self.rejected.loc[self.rejected["row_number"].isin(inside)]
        kept_aside = (
            reasons["reason_code"]
            .isin(list(set_aside))
            .groupby(reasons["row_number"])
            .all()
        )
        rejected = int((~kept_aside).sum())
        return len(inside) - len(kept_aside), rejected

    def time_range(
        self, column: str
    ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """First and last value of a timestamp column of ``frame`` (None if empty)."""
        if self.frame.empty or column not in self.frame:
            return None, None
        values = self.frame[column].dropna()
        if values.empty:
            return None, None
        return values.min(), values.max()


def _inferred_text_dtype() -> Any:
    """The dtype pandas gives a column built from an object array of ``str``."""
    return pd.Series(np.array(["x"], dtype=object)).dtype


def repeat_text(texts: Sequence[str], codes: np.ndarray) -> Any:
    """A text column holding ``texts[code]`` for every code, built without Python str.

    Gives exactly the dtype pandas infers from an object array of ``str`` (its
    Arrow-backed ``str`` dtype, or ``object`` where string inference is off or
    the column is empty), so a frame built from it equals one built from
    ``np.asarray(texts, dtype=object)[codes]``; only much faster for many rows
    of few distinct texts, such as series keys.

    Examples
    --------
    >>> column = repeat_text(["up", "down"], np.array([0, 0, 1]))
    >>> pd.Series(column).tolist()
    ['up', 'up', 'down']
    """
    dtype = _inferred_text_dtype()
    # pandas infers nothing from an empty object array: it stays object.
    if len(codes) and isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        taken = pa.array(list(texts), type=pa.large_string()).take(
            pa.array(np.asarray(codes, dtype=np.int64))
        )
        return pd.array(taken, dtype=dtype)
    return np.asarray(list(texts), dtype=object)[np.asarray(codes, dtype=np.int64)]


def series_time_order(code: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """The stable sort of rows by series code, then time: ``lexsort((ticks, code))``.

    Samples usually come grouped by series and in time order within each
    (loaders, chunked pulls), so a stable sort by code alone, cheap on such
    runs, already orders them; that is checked, and the full two-key sort is
    done only when it fails. Ties keep their row order either way.

    Examples
    --------
    >>> series_time_order(np.array([1, 1, 0, 1]), np.array([5, 6, 9, 7])).tolist()
    [2, 0, 1, 3]
    >>> series_time_order(np.array([1, 1, 0]), np.array([6, 5, 9])).tolist()
    [2, 1, 0]
    """
    order = np.argsort(code, kind="stable")
    sorted_code, sorted_ticks = code[order], ticks[order]
    later_series = sorted_code[1:] != sorted_code[:-1]
    if (later_series | (sorted_ticks[1:] >= sorted_ticks[:-1])).all():
        return order
    return np.lexsort((ticks, code))


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def to_pandas(frame: Any) -> pd.DataFrame:
    """Accept a pandas or polars DataFrame and return pandas.

    The package computes in pandas; polars input is converted once at the
    boundary (via Arrow, so timestamps keep their zone).
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    to_pd = getattr(frame, "to_pandas", None)
    if to_pd is None:
        raise TypeError(
            f"expected a pandas or polars DataFrame, got {type(frame).__name__}"
        )
    result = to_pd()
    if not isinstance(result, pd.DataFrame):
        raise TypeError(
            f"{type(frame).__name__}.to_pandas() did not return a DataFrame"
        )
    return result
