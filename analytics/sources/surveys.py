"""Read CSAT / NPS survey exports, and help-desk ticket tables that carry CSAT.

* :func:`read_survey_csv` reads survey answers into the canonical survey frame
  (``response_id``, ``answered_at``, ``kind``, ``score``, ``ticket_id``,
  ``segment``), ``kind="survey"``. CSAT scores are whole numbers 1..5, NPS
  0..10; anything else is rejected with ``out_of_range``.
* :func:`read_helpdesk_csv` reads a flat help-desk table (one row per ticket
  with priority, first response, resolution and a satisfaction rating, like
  the widely copied *synthetic* "customer support tickets" table) into the
  tickets frame.
* :func:`attach_csat` links survey answers to tickets by ``ticket_id``.

Times: ``date_format="ISO8601"`` (the default) reads each value on its own
(:func:`analytics.timeparse.parse_timestamps`): a value with an offset (``Z``,
``+02:00``) is converted from it, one without is local time in the source's
``timezone``, and a date alone (``2026-02-21``) is 00:00 local time that day
(counted in a note). A file may mix them, as exports do across a summer-time
change.

A repeated id: the first row with it is the answer (or ticket); later rows are
rejected as ``duplicate_id``, saying whether that first row was used or was
itself rejected (then no row of that id is used). Rejections name the file's
own column (``Customer Satisfaction Rating``, not ``csat_score``).

Reason codes: ``missing_value``, ``duplicate_id``, ``unparseable_number``,
``out_of_range``, ``unparseable_date``, ``nonexistent_local_time``,
``unknown_priority``, ``unknown_kind``, ``resolved_before_first_response``,
``first_response_before_created``, ``resolved_before_created``. In a help-desk
table a bad satisfaction rating (``unparseable_number``, ``out_of_range``)
does not reject the ticket: see :func:`read_helpdesk_csv`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from analytics.errors import ConfigError, InputError
from analytics.frames import LoadResult, to_pandas
from analytics.sources._readers import (
    RowRejector,
    finish,
    normalise_label,
    parse_formatted_dates,
    priority_lookup,
    read_text_csv,
    rename_columns,
    require_columns,
    text_column,
    tickets_frame,
)

__all__ = [
    "HELPDESK_COLUMNS",
    "SCORE_RANGES",
    "SURVEY_COLUMNS",
    "attach_csat",
    "read_helpdesk_csv",
    "read_survey_csv",
]

SURVEY_COLUMNS: Final = (
    "response_id",
    "answered_at",
    "kind",
    "score",
    "ticket_id",
    "segment",
)
"""Columns of the canonical survey-responses frame."""

SCORE_RANGES: Final[Mapping[str, tuple[int, int]]] = {"csat": (1, 5), "nps": (0, 10)}
"""Allowed whole-number scores per survey kind."""

HELPDESK_COLUMNS: Final[Mapping[str, str]] = {
    "Ticket ID": "ticket_id",
    "Ticket Priority": "priority",
    "Ticket Status": "status",
    "Ticket Type": "category",
    "Ticket Channel": "channel",
    "First Response Time": "first_response_at",
    "Time to Resolution": "resolved_at",
    "Customer Satisfaction Rating": "csat_score",
}
"""Default help-desk column names (the synthetic support-ticket table's) →
canonical names. ``Time to Resolution`` holds a *timestamp* there, not a
duration. Override with ``column_map``."""

_HELPDESK_PRIORITIES: Final = {
    "Critical": "P1",
    "High": "P2",
    "Medium": "P3",
    "Low": "P4",
}
_SURVEY_FIELDS: Final = (
    "response_id",
    "answered_at",
    "kind",
    "score",
    "ticket_id",
    "segment",
)
_HINT: Final = "export the survey answers as CSV with a header row"
_DATE_ONLY: Final = r"^\d{4}-\d{2}-\d{2}$"
_LISTED: Final = 10


def read_survey_csv(
    path: str | Path,
    *,
    kind: Literal["csat", "nps"] | None = None,
    timezone: str = "UTC",
    date_format: str = "ISO8601",
    column_map: Mapping[str, str] | None = None,
) -> LoadResult:
    """Read CSAT or NPS answers into the survey frame.

    Parameters
    ----------
    path
        CSV with at least a ``score`` column (after ``column_map``).
    kind
        ``"csat"`` or ``"nps"`` for every row; ``None`` reads a ``kind``
        column instead.
    timezone
        Zone of ``answered_at`` values without an offset.
    date_format
        ``strptime`` format of ``answered_at``, or ``"ISO8601"``: each value
        with its own offset (``Z``, ``+01:00``; mixed offsets are fine) or
        none (local time in ``timezone``); a date alone is 00:00 local time.
    column_map
        The file's names → ``response_id``, ``answered_at``, ``kind``,
        ``score``, ``ticket_id``, ``segment``.

    Returns
    -------
    LoadResult
        ``kind="survey"``. ``response_id`` is the row number when the file has
        none. A row without a score is not an answer: ``missing_value``. A
        repeated ``response_id``: the first row is the answer, later ones are
        ``duplicate_id``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = "ticket_id,score,answered_at\\nT1,5,2026-03-02\\nT2,7,2026-03-02\\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "csat.csv")
    ...     _ = p.write_text(text)
    ...     r = read_survey_csv(p, kind="csat")
    >>> r.frame["score"].tolist(), r.rejected["reason_code"].tolist()
    ([5.0], ['out_of_range'])
    """
    started = time.perf_counter()
    path = Path(path)
    names, cells = read_text_csv(path, export_hint=_HINT)
    names = rename_columns(names, column_map, _SURVEY_FIELDS, path)
    table = _single_columns(names, cells, path)
    require_columns(table, ("score",) if kind else ("score", "kind"), path, column_map)
    rows = RowRejector(path, table, file_names=_file_names(column_map))

    kinds = (
        pd.Series(kind, index=table.index, dtype="string")
        if kind
        else (table["kind"].astype("string").str.strip().str.casefold())
    )
    rows.reject(
        ~kinds.isin(list(SCORE_RANGES)).fillna(False),
        "kind",
        kinds,
        "unknown_kind",
        "kind must be csat or nps",
    )
    score, problems = _scores(table["score"], kinds)
    for mask, code, message in problems:
        rows.reject(mask, "score", table["score"], code, message)

    answered = pd.Series(pd.NaT, index=table.index, dtype="datetime64[us, UTC]")
    day_only = pd.Series(False, index=table.index)
    if "answered_at" in table:
        answered = _answer_times(table["answered_at"], rows, timezone, date_format)
        rows.note_row_times(answered)
        if date_format == "ISO8601":
            text = table["answered_at"].astype("string").str.strip()
            day_only = text.str.fullmatch(_DATE_ONLY).fillna(False).astype(bool)
    ident = (
        table["response_id"].astype("string").str.strip()
        if "response_id" in table
        else pd.Series((rows.row_numbers).astype(str), dtype="string")
    )
    _reject_repeats(ident, rows, "response_id", "response id")
    date_only = int((day_only & answered.notna() & ~rows.rejected).sum())
    frame = pd.DataFrame(
        {
            "response_id": ident,
            "answered_at": answered,
            "kind": kinds,
            "score": score,
            "ticket_id": _optional(table, "ticket_id"),
            "segment": _optional(table, "segment"),
        }
    )
    notes = [
        "CSAT scores are whole numbers 1..5, NPS 0..10; others rejected.",
        "Linked to tickets by ticket_id where present.",
    ]
    if date_only:
        notes.append(
            f"{date_only:,} answer(s) give a date without a time in answered_at:"
            f" each is read as 00:00 in {timezone} that day."
        )
    return finish(
        frame,
        rows,
        path,
        kind="survey",
        notes=notes,
        started=started,
        sort_by="response_id",
    )


def read_helpdesk_csv(
    path: str | Path,
    *,
    timezone: str = "UTC",
    column_map: Mapping[str, str] | None = None,
    priority_map: Mapping[str, str] | None = None,
    source: str = "helpdesk",
    order_violation: Literal["reject", "flag"] = "reject",
) -> LoadResult:
    """Read a flat help-desk ticket table with CSAT into the tickets frame.

    Parameters
    ----------
    path
        CSV (plain or gzip); quoted multi-line cells are fine.
    timezone
        Zone of naive timestamps.
    column_map
        The file's names → canonical names, merged over
        :data:`HELPDESK_COLUMNS` (``ticket_id``, ``priority``, ``status``,
        ``category``, ``created_at``, ``first_response_at``, ``resolved_at``,
        ``csat_score``).
    priority_map
        Labels → P1..P4 over ``Critical/High/Medium/Low → P1..P4``.
    source
        Value of the ``source`` column.
    order_violation
        A ticket resolved before its first response is impossible:
        ``"reject"`` it (reason ``resolved_before_first_response``) or
        ``"flag"`` it (kept; listed in the notes with its count, and its
        ``first_response_at`` set to NA so no negative duration can arise).

    Returns
    -------
    LoadResult
        ``kind="tickets"``. Without a ``created_at`` column (the synthetic
        table has none: its "Date of Purchase" is not the ticket's creation)
        ``created_at`` stays NA and every time-to-X KPI is NO DATA; with one,
        it is each row's time (``row_times``, and ``row_time`` of its
        rejections), as for the other ticket readers.

        A satisfaction rating that is not a whole number 1..5 (``4.5``,
        ``great``) is left out but its ticket is used: its priority and times
        count, its ``csat_score`` is NA. Such a row counts once, as used (rows
        in = used + rejected still holds); each left-out rating is listed in a
        note with its row, value and reason code (``out_of_range``,
        ``unparseable_number``). A ticket rejected for another reason is not
        listed again for its rating.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = ("Ticket ID,Ticket Priority,First Response Time,Time to Resolution,"
    ...         "Customer Satisfaction Rating\\n"
    ...         "1,Critical,2023-06-01 12:00:00,2023-06-01 13:00:00,4.0\\n"
    ...         "2,Low,2023-06-01 12:00:00,2023-06-01 11:00:00,2.0\\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "tickets.csv")
    ...     _ = p.write_text(text)
    ...     r = read_helpdesk_csv(p)
    >>> r.frame[["ticket_id", "priority", "csat_score"]].to_numpy().tolist()
    [['1', 'P1', 4.0]]
    >>> r.rejected[["column", "reason_code"]].to_numpy().tolist()
    [['Time to Resolution', 'resolved_before_first_response']]
    """
    started = time.perf_counter()
    path = Path(path)
    labels = priority_lookup(_HELPDESK_PRIORITIES, priority_map)
    names, cells = read_text_csv(path, export_hint="export the tickets as CSV")
    mapping = {k: v for k, v in HELPDESK_COLUMNS.items() if k in names}
    mapping.update(column_map or {})
    names = rename_columns(names, mapping, None, path)
    table = _single_columns(names, cells, path)
    require_columns(table, ("ticket_id",), path, column_map)
    rows = RowRejector(path, table, file_names=_file_names(mapping))

    ident = table["ticket_id"].astype("string").str.strip()
    rows.reject(ident.isna(), "ticket_id", ident, "missing_value", "no ticket id")
    times = {
        name: _answer_times(table[name], rows, timezone, "ISO8601", column=name)
        if name in table
        else None
        for name in ("created_at", "first_response_at", "resolved_at", "closed_at")
    }
    if times["created_at"] is not None:
        rows.note_row_times(times["created_at"])
    priority, original = _priority(table, labels, rows)
    wrong_order = _check_order(times, table, rows, order_violation)
    _reject_repeats(ident, rows, "ticket_id", "ticket id")
    flagged = int((wrong_order & ~rows.rejected).sum())
    csat, left_out = None, None
    if "csat_score" in table:
        csat, problems = _scores(
            table["csat_score"], pd.Series("csat", index=table.index), missing_ok=True
        )
        csat, left_out = _leave_out_ratings(
            csat, problems, table["csat_score"], rows, mapping
        )

    frame = tickets_frame(
        len(table),
        source=source,
        ticket_id=ident,
        priority=priority,
        priority_original=original,
        status=text_column(table, "status"),
        created_at=times["created_at"],
        first_response_at=times["first_response_at"],
        first_resolved_at=times["resolved_at"],
        resolved_at=times["resolved_at"],
        closed_at=times["closed_at"],
        category=text_column(table, "category"),
        csat_score=csat,
    )
    notes = [f"Help-desk table read with columns {mapping!r}; times in {timezone}."]
    if times["created_at"] is None:
        notes.append(
            "No created_at column: ticket creation time unknown, so first response"
            " and resolution durations are NO DATA (never inferred)."
        )
    if flagged:
        notes.append(
            f"{flagged:,} ticket(s) resolved before their first response: kept"
            " (order_violation='flag') with first_response_at set to NA."
        )
    if left_out:
        notes.append(left_out)
    return finish(frame, rows, path, kind="tickets", notes=notes, started=started)


def attach_csat(tickets: Any, responses: Any) -> pd.DataFrame:
    """Fill the tickets' ``csat_score`` from CSAT answers linked by ``ticket_id``.

    The latest answer per ticket wins (by ``answered_at``, then file order);
    a ticket's own score is kept where it has no linked answer.

    Examples
    --------
    >>> tickets = pd.DataFrame({"ticket_id": ["A", "B"],
    ...     "csat_score": pd.array([None, 3.0], dtype="Float64")})
    >>> answers = pd.DataFrame({"ticket_id": ["A", "A"], "kind": ["csat", "csat"],
    ...     "score": [2.0, 5.0],
    ...     "answered_at": pd.to_datetime(["2026-03-01", "2026-03-02"], utc=True)})
    >>> attach_csat(tickets, answers)["csat_score"].tolist()
    [5.0, 3.0]
    """
    frame = to_pandas(tickets).copy()
    answers = to_pandas(responses)
    answers = answers.loc[(answers["kind"] == "csat") & answers["ticket_id"].notna()]
    if "answered_at" in answers:
        answers = answers.sort_values("answered_at", kind="stable", na_position="first")
    latest = answers.groupby("ticket_id", sort=False)["score"].last()
    linked = frame["ticket_id"].map(latest).astype("Float64")
    frame["csat_score"] = linked.fillna(frame["csat_score"].astype("Float64"))
    return frame


# --- helpers -------------------------------------------------------------------------


def _single_columns(names: list[str], cells: pd.DataFrame, path: Path) -> pd.DataFrame:
    seen = pd.Series(names)
    if seen.duplicated().any():
        twice = sorted(set(seen[seen.duplicated()]))
        raise InputError(
            path,
            f"column(s) {', '.join(twice)} appear more than once",
            fix="map only one column to each name with column_map",
        )
    cells = cells.copy()
    cells.columns = pd.Index(names)
    return cells


def _scores(
    raw: pd.Series, kinds: pd.Series, *, missing_ok: bool = False
) -> tuple[pd.Series, list[tuple[pd.Series, str, str]]]:
    """Scores as numbers, and the problems found: ``(mask, reason code, message)``."""
    score = pd.to_numeric(raw, errors="coerce").astype("float64")
    problems = []
    if not missing_ok:
        problems.append(
            (raw.isna(), "missing_value", "no score: the row is not an answer")
        )
    problems.append(
        (raw.notna() & np.isnan(score), "unparseable_number", "score is not a number")
    )
    low = kinds.map({k: v[0] for k, v in SCORE_RANGES.items()}).astype("float64")
    high = kinds.map({k: v[1] for k, v in SCORE_RANGES.items()}).astype("float64")
    bad = score.notna() & ((score < low) | (score > high) | (score % 1 != 0))
    problems.append(
        (
            bad & raw.notna(),
            "out_of_range",
            "score is not a whole number in the kind's range (CSAT 1..5, NPS 0..10)",
        )
    )
    return score.astype("Float64"), problems


def _leave_out_ratings(
    csat: pd.Series,
    problems: list[tuple[pd.Series, str, str]],
    raw: pd.Series,
    rows: RowRejector,
    mapping: Mapping[str, str],
) -> tuple[pd.Series, str | None]:
    """A help-desk table's bad ratings set to NA (ticket kept), and the note listing them.

    Rows rejected for another reason are not listed: they are not used at all.
    """
    column = _file_names(mapping).get("csat_score", "csat_score")
    code = pd.Series(pd.NA, index=csat.index, dtype="string")
    for mask, reason, _ in problems:
        code = code.mask(mask.fillna(False).astype(bool) & code.isna(), reason)
    csat = csat.mask(code.notna())
    listed = code.notna() & ~rows.rejected
    count = int(listed.sum())
    if not count:
        return csat, None
    shown = ", ".join(
        f"row {row} {value!r} ({reason})"
        for row, value, reason in zip(
            rows.row_numbers[listed][:_LISTED],
            raw[listed][:_LISTED],
            code[listed][:_LISTED],
            strict=True,
        )
    )
    if count > _LISTED:
        shown += f" and {count - _LISTED:,} more"
    return csat, (
        f"{count:,} ticket(s) used without their satisfaction rating, which is not a"
        f" whole number 1..5 in column {column!r}: {shown}. Their priority and times"
        " count; their CSAT does not."
    )


def _reject_repeats(
    ident: pd.Series, rows: RowRejector, column: str, noun: str
) -> None:
    """Reject later rows of a repeated id, saying truly what became of the first.

    Runs after every other check, so that it knows whether the first row with
    the id was used or was itself rejected.
    """
    later = ident.duplicated(keep="first") & ident.notna()
    if not later.any():
        return
    first = ~ident.duplicated(keep="first") & ident.notna()
    first_was_rejected = pd.Series(
        rows.rejected[first].to_numpy(), index=ident[first].to_numpy()
    )
    first_rejected = ident.map(first_was_rejected).fillna(False).astype(bool)
    rows.reject(
        later & ~first_rejected,
        column,
        ident,
        "duplicate_id",
        f"{noun} repeats an earlier row; the first row with this id is used",
    )
    rows.reject(
        later & first_rejected,
        column,
        ident,
        "duplicate_id",
        f"{noun} repeats an earlier row, which was itself rejected: no row with"
        " this id is used (correct the first row, or remove the repeats)",
    )


def _file_names(column_map: Mapping[str, str] | None) -> dict[str, str]:
    """Our column names → the file's, from a column map (file's name → ours)."""
    return {ours: theirs for theirs, ours in (column_map or {}).items()}


def _answer_times(
    text: pd.Series,
    rows: RowRejector,
    timezone: str,
    date_format: str,
    *,
    column: str = "answered_at",
) -> pd.Series:
    values, unparseable, bad_local = parse_formatted_dates(
        text, date_format=date_format, timezone=timezone
    )
    rows.reject(
        unparseable,
        column,
        text,
        "unparseable_date",
        "not an ISO 8601 date or date-time (YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM])"
        if date_format == "ISO8601"
        else f"not a date in the format {date_format}",
    )
    rows.reject(
        bad_local,
        column,
        text,
        "nonexistent_local_time",
        f"this local time does not exist or happens twice in {timezone}",
    )
    return values


def _priority(
    table: pd.DataFrame, labels: Mapping[str, str], rows: RowRejector
) -> tuple[pd.Series | None, pd.Series | None]:
    original = text_column(table, "priority")
    if original is None:
        return None, None
    canonical = original.map(
        lambda v: labels.get(normalise_label(v)) if isinstance(v, str) else None
    ).astype("string")
    rows.reject(
        original.notna() & canonical.isna(),
        "priority",
        original,
        "unknown_priority",
        "priority label not in the priority map; set priority_map: {'<label>': P1,"
        " ...} on this tickets source (priority_map= in Python)",
    )
    return canonical, original


def _check_order(
    times: dict[str, pd.Series | None],
    table: pd.DataFrame,
    rows: RowRejector,
    mode: str,
) -> pd.Series:
    """Reject times out of order; the tickets resolved before their first response.

    With ``mode="flag"`` those tickets are kept with ``first_response_at`` set
    to NA (in ``times``); the caller counts the ones finally kept.
    """
    if mode not in ("reject", "flag"):
        raise ConfigError(f"order_violation={mode!r} is not 'reject' or 'flag'")
    created, response, resolved = (
        times["created_at"],
        times["first_response_at"],
        times["resolved_at"],
    )
    if created is not None:
        for name, later in (("first_response_at", response), ("resolved_at", resolved)):
            if later is not None:
                rows.reject(
                    later < created,
                    name,
                    table[name],
                    f"{name.removesuffix('_at')}_before_created",
                    f"{rows.file_names.get(name, name)} is before"
                    f" {rows.file_names.get('created_at', 'created_at')}",
                )
    none = pd.Series(False, index=table.index)
    if response is None or resolved is None:
        return none
    wrong = (resolved < response).fillna(False).astype(bool)
    if mode == "reject":
        rows.reject(
            wrong,
            "resolved_at",
            table["resolved_at"],
            "resolved_before_first_response",
            "resolved before the first response, which is impossible",
        )
        return none
    times["first_response_at"] = response.where(~wrong)
    return wrong


def _optional(table: pd.DataFrame, name: str) -> pd.Series:
    if name not in table:
        return pd.Series(pd.NA, index=table.index, dtype="string")
    return table[name].astype("string").str.strip()
