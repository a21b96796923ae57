"""The launch checklist: items the team signs off, turned into criteria.

The checklist is a CSV or YAML file the team keeps, one item per row, with the
columns ``item, area, owner, status, evidence, date`` and optionally
``blocking`` (true by default). ``date`` is when the item was last verified.

Each item becomes a criterion (:func:`checklist_criteria`):

* ``done`` with an evidence link, verified no longer than ``max_age_days``
  before the decision time: PASS;
* ``done`` but verified too long ago, with no date, with a date after the
  decision time, with no evidence link, with a placeholder for one (``TBD``,
  ``none``, ``n/a``, ``-``, ...) or with a link a browser would run
  (:func:`evidence_problem`), or, in a YAML checklist, with evidence YAML did
  not read as text (``evidence: no`` or ``false`` is a boolean, ``0`` a number,
  a list or mapping is no link either): NO DATA (the sign-off is not current
  evidence);
* ``open``, ``in progress`` or ``blocked``: FAIL;
* ``n/a``: PASS, shown as not applicable.

In a YAML checklist ``date`` may be a YAML date (``date: 2026-02-24``); a
boolean or number there, or as ``status`` (``status: yes``), rejects the row
with a reason naming the value (see :func:`read_checklist`).

Blocking items that are not PASS block GO; non-blocking ones make it
GO WITH CONDITIONS.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analytics.errors import InputError
from analytics.frames import LoadResult, Rejections, file_sha256
from analytics.readiness import Criterion, CriterionResult, Status
from analytics.sources._compressed import decompression_errors, open_by_content
from analytics.sources._csv import (
    refuse_semicolon_separated,
    refuse_shifted_columns,
    unsplittable_csv,
    wide_text_encoding,
    wide_text_error,
)
from analytics.timeparse import DateOrder, parse_timestamps
from analytics.yamlread import load_yaml

__all__ = [
    "CHECKLIST_COLUMNS",
    "checklist_criteria",
    "evidence_problem",
    "read_checklist",
    "row_labels",
]

logger = logging.getLogger(__name__)

CHECKLIST_COLUMNS = ("item", "area", "owner", "status", "evidence", "date", "blocking")
_REQUIRED = ("item", "area", "owner", "status", "date")
_STATUSES = {
    "done": "done",
    "complete": "done",
    "completed": "done",
    "open": "open",
    "todo": "open",
    "in progress": "in progress",
    "in_progress": "in progress",
    "blocked": "blocked",
    "n/a": "n/a",
    "na": "n/a",
    "not applicable": "n/a",
}
_BOOLEANS = {
    "true": True,
    "yes": True,
    "1": True,
    "false": False,
    "no": False,
    "0": False,
}


# Column of the items frame: why a YAML evidence value is not text (else empty).
_EVIDENCE_NOTE = "evidence_note"
_TEXT_COLUMNS = ("item", "area", "owner")


def _yaml_kind(value: object) -> str:
    """How YAML read a value that is not text: "a YAML boolean", "a number", ..."""
    if isinstance(value, bool):
        return "a YAML boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.datetime | dt.date):
        return "a YAML date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _shown(value: object) -> str:
    """A YAML value as it would be written (``false``, ``0``, ``[a, b]``)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("...").strip()


def _yaml_items(items: list[dict[Any, Any]]) -> _Table:
    """Text cells of YAML items, with what YAML read as another type set apart.

    A value YAML typed (``evidence: no`` is the boolean false, ``date: 2026-02-24``
    a date, ``evidence: 0`` a number) is not silently turned into text:

    * ``evidence`` that is not text (boolean, number, date, list, mapping) is no
      evidence: the cell keeps the value as written and ``evidence_note`` says
      what it is; ``null`` is an empty cell;
    * ``date`` may be a YAML date or date-time (a real date, unambiguous); a
      boolean, number, list or mapping rejects the row;
    * ``status`` must be text: a boolean (``status: yes``) or number is no
      status and rejects the row;
    * ``item``, ``area``, ``owner`` may be numbers or dates (shown as written);
      a boolean (``owner: no``), list or mapping rejects the row;
    * ``blocking`` may be a YAML boolean.
    """
    rows: list[dict[str, str]] = []
    problems: list[tuple[int, str, str, str]] = []
    dates: dict[int, pd.Timestamp] = {}
    for position, raw in enumerate(items):
        item = {str(key).strip().lower(): value for key, value in raw.items()}
        row: dict[str, str] = {}
        note = ""
        for column, value in item.items():
            if value is None:
                row[column] = ""
            elif isinstance(value, str):
                row[column] = value
            else:
                row[column] = _shown(value)
                kind = _yaml_kind(value)
                problem = _yaml_problem(column, value, kind)
                if column == "evidence":
                    note = f"{kind} ({row[column]}), not a link"
                    if isinstance(value, bool):
                        note += " (YAML reads no, off, yes, on as booleans too)"
                elif column == "date" and problem is None:
                    dates[position] = pd.Timestamp(value)
                elif problem is not None:
                    problems.append((position, column, row[column], problem))
        row[_EVIDENCE_NOTE] = note
        rows.append(row)
    table = pd.DataFrame(rows).astype("string")
    return _Table(table, problems, dates)


def _yaml_problem(column: str, value: object, kind: str) -> str | None:
    """Why a non-text YAML value cannot stand in ``column``; None if it can."""
    written = _shown(value)
    if column == "date":
        if isinstance(value, dt.date):
            return None
        return (
            f"date is {kind} ({written}), not a date; write it as YYYY-MM-DD,"
            " e.g. 2026-02-24"
        )
    if column == "status":
        return (
            f"status is {kind} ({written}), not a status; write one of"
            f" {sorted(set(_STATUSES.values()))} (in quotes if YAML reads it otherwise)"
        )
    if column == "blocking":
        if isinstance(value, bool) or value in (0, 1):
            return None
        return f"blocking is {kind} ({written}); write true or false"
    if column in _TEXT_COLUMNS:
        if isinstance(value, bool | list | dict):
            return (
                f"{column} is {kind} ({written}), not text; put it in quotes"
                f' ({column}: "...") if that is what you meant'
            )
        return None
    return None


@dataclass
class _Table:
    """Items of a YAML checklist as text, plus what YAML typed otherwise."""

    table: pd.DataFrame
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(position, column, value as written, message) of cells that reject their row."""
    dates: dict[int, pd.Timestamp] = field(default_factory=dict)
    """Position → the YAML date or date-time of its ``date`` cell."""


def _wide_text(path: Path) -> str | None:
    """The UTF-16 / UTF-32 encoding of the (possibly compressed) file, or None."""
    with decompression_errors(path), open_by_content(path) as handle:
        head = handle.read(4096)
    return wide_text_encoding(head)


def _read_table(path: Path) -> _Table:
    if not path.is_file():
        raise InputError(
            path, "checklist file not found", fix="check checklist.path in the config"
        )
    wide = _wide_text(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        if wide is not None:
            raise InputError(
                path,
                f"is {wide[:6]} text ({wide}), not UTF-8",
                fix=f"re-save it as UTF-8, or convert it: iconv -f {wide} -t UTF-8"
                f" {path.name} > {path.name.split('.')[0] or 'file'}-utf8{path.suffix}",
            )
        try:
            raw = load_yaml(path.read_text("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(
                path, f"not valid YAML ({exc})", fix="fix the YAML syntax"
            ) from exc
        items = raw.get("items") if isinstance(raw, dict) else raw
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InputError(
                path,
                "expected a list of items (mappings)",
                fix="write 'items:' then '- item: ...'",
            )
        return _yaml_items(items)
    if wide is not None:
        raise wide_text_error(path, wide)
    try:
        with decompression_errors(path):
            table = pd.read_csv(
                path, dtype="string", keep_default_na=False, encoding="utf-8"
            )
    except pd.errors.EmptyDataError as exc:
        raise InputError(
            path, "the file is empty", fix="add a header row and items"
        ) from exc
    except pd.errors.ParserError as exc:
        raise unsplittable_csv(
            path, exc, fix="save it as a comma-separated CSV"
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"not a readable UTF-8 CSV ({exc.reason})",
            fix="save it as UTF-8 CSV",
        ) from exc
    refuse_shifted_columns(table, path)
    return _Table(table)


def row_labels(path: str | Path) -> dict[int, tuple[str, str]]:
    """Row number → (item, area) of every checklist row, rejected rows included.

    The rejected-rows table names a row by number only; a caller that must
    know whether a rejected row belongs to an area (the post-launch business
    processes criterion) reads it here. Numbers are those of
    :func:`read_checklist` (the first item is row 2).
    """
    table = _read_table(Path(path)).table
    table.columns = [str(c).strip().lower() for c in table.columns]
    return {
        number: (str(row.get("item") or "").strip(), str(row.get("area") or "").strip())
        for number, row in enumerate(table.to_dict("records"), start=2)
    }


def read_checklist(
    path: str | Path, *, timezone: str = "UTC", date_order: DateOrder = "iso"
) -> LoadResult:
    """Read the launch checklist into a frame of items.

    Rows without an item name, with an unknown status or with an unparseable
    date are rejected with a reason; they do not count as done.

    Returns
    -------
    LoadResult
        ``frame`` has ``CHECKLIST_COLUMNS`` plus ``row_number``; ``date`` is UTC.

    Raises
    ------
    InputError
        The file is missing, empty, not UTF-8, separated by semicolons, lacks a
        column, or has a header but no items (an empty checklist could not
        block GO).
    """
    started = time.perf_counter()
    path = Path(path)
    read = _read_table(path)
    table = read.table
    table.columns = [str(c).strip().lower() for c in table.columns]
    refuse_semicolon_separated(table.columns, path)
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {missing}; the file has {list(table.columns)}",
            fix="add the columns item, area, owner, status, evidence, date (blocking optional)",
        )
    if table.empty:
        # An empty checklist gives no criteria, so nothing in it could block GO.
        raise InputError(
            path,
            "has a header but no items",
            fix="add the launch checklist items, one per row",
        )
    table = table.fillna("")
    for column in ("evidence", "blocking", _EVIDENCE_NOTE):
        if column not in table.columns:
            table[column] = ""
    table["row_number"] = range(2, len(table) + 2)

    rejections = Rejections(path)

    def typed(column: str) -> pd.Series:
        """Rows whose ``column`` cell YAML typed wrongly (already rejected above)."""
        positions = [pos for pos, col, *_ in read.problems if col == column]
        return pd.Series(table.index.isin(positions), index=table.index)

    for position, column, value, message in read.problems:
        rejections.add(
            int(table["row_number"].iloc[position]),
            column,
            value,
            "invalid_value",
            message,
        )
    status = table["status"].str.strip().str.lower().map(_STATUSES)
    bad_status = status.isna() & ~typed("status")
    rejections.add_many(
        table.loc[bad_status, "row_number"],
        "status",
        table.loc[bad_status, "status"],
        "unknown_status",
        f"status must be one of {sorted(set(_STATUSES.values()))}",
    )
    no_item = (table["item"].str.strip() == "") & ~typed("item")
    rejections.add_many(
        table.loc[no_item, "row_number"],
        "item",
        table.loc[no_item, "item"],
        "missing_value",
        "every checklist row needs an item name",
    )
    blocking = (
        table["blocking"].str.strip().str.lower().replace("", "true").map(_BOOLEANS)
    )
    bad_blocking = blocking.isna() & ~typed("blocking")
    rejections.add_many(
        table.loc[bad_blocking, "row_number"],
        "blocking",
        table.loc[bad_blocking, "blocking"],
        "invalid_value",
        "blocking must be true or false",
    )
    parsed = parse_timestamps(
        table["date"],
        timezone=timezone,
        date_order=date_order,
        path=path,
        column="date",
    )
    dates = parsed.values.copy()
    unparseable = parsed.unparseable.copy()
    for position, stamp in read.dates.items():
        # A YAML date or date-time is a real date: no text to read, no order to guess.
        local = stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp
        dates.iloc[position] = local.tz_convert("UTC")
        unparseable.iloc[position] = False
    bad_date = unparseable & ~typed("date")
    rejections.add_many(
        table.loc[bad_date, "row_number"],
        "date",
        table.loc[bad_date, "date"],
        "unparseable_date",
        f"not a date in the {date_order} order",
    )
    rejections.note_row_times(table["row_number"], dates)

    rejected = rejections.frame()
    keep = ~table["row_number"].isin(rejected["row_number"])
    frame = table.loc[keep, [*CHECKLIST_COLUMNS, "row_number", _EVIDENCE_NOTE]].copy()
    frame["status"] = status[keep]
    frame["blocking"] = blocking[keep].astype(bool)
    frame["date"] = dates[keep]
    result = LoadResult(
        frame=frame.reset_index(drop=True),
        rejected=rejected,
        source_file=str(path),
        kind="checklist",
        rows_in=len(table),
        rows_used=int(keep.sum()),
        sha256=file_sha256(path),
        row_times=rejections.row_times(),
    )
    result.check_accounting()
    logger.info(
        "read checklist %s: %d items, %d rejected in %.2fs",
        path,
        len(table),
        result.rows_rejected,
        time.perf_counter() - started,
    )
    return result


def checklist_criteria(
    items: pd.DataFrame, *, as_of: pd.Timestamp, max_age_days: float
) -> list[CriterionResult]:
    """Turn checklist items into criterion results (rules in the module docstring)."""
    results = []
    max_age = pd.Timedelta(days=max_age_days)
    for row in items.itertuples(index=False):
        criterion = Criterion(
            criterion_id=f"checklist:{row.row_number}",
            title=str(row.item),
            area=str(row.area) or "checklist",
            op=">=",
            target=1.0,
            blocking=bool(row.blocking),
            target_label=f"done, with evidence, verified ≤ {max_age_days:g} d",
        )
        status, detail = _item_status(row, as_of, max_age)
        value = (
            1.0 if status is Status.PASS else (0.0 if status is Status.FAIL else None)
        )
        verified = row.date if isinstance(row.date, pd.Timestamp) else None
        results.append(
            CriterionResult(
                criterion,
                status,
                value,
                window_end=verified,
                detail=detail,
                sources=("checklist",),
                value_label=str(row.status),
            )
        )
    return results


# Links a browser would run rather than open. Browsers drop ASCII control characters
# and spaces around a URL and tabs / newlines inside it before reading the scheme, so
# ``java<TAB>script:`` runs; dropping every one of them here is stricter still.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
_ASCII_BLANK_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]+")

# Words people type where the evidence should go. Compared after lower-casing and
# dropping everything but letters and digits, so "N/A", "n.a." and "to do" match,
# and "-", "?" or "..." (nothing left) are placeholders too.
_PLACEHOLDER_EVIDENCE = frozenset(
    {
        "",
        "tbd",
        "tbc",
        "tba",
        "todo",
        "none",
        "nil",
        "null",
        "nan",
        "na",
        "no",
        "yes",
        "ok",
        "x",
        "done",
        "pending",
        "wip",
        "unknown",
        "missing",
        "empty",
        "later",
        "soon",
        "notyet",
        "nothing",
        "placeholder",
        "link",
        "url",
        "evidence",
        "seeabove",
        "seebelow",
    }
)


def evidence_problem(evidence: str) -> str | None:
    """Say why a checklist evidence cell is not evidence, or ``None`` if it is.

    Parameters
    ----------
    evidence
        The cell as written.

    Returns
    -------
    str or None
        ``"no evidence link"`` for an empty cell; ``"a placeholder, not evidence"``
        for ``TBD``, ``none``, ``n/a``, ``-`` and the like; ``"a script, not a
        link"`` for a link a browser
        would run (``javascript:``, ``vbscript:``, ``data:``, in any case and with
        control characters or spaces around or inside the scheme).

    Examples
    --------
    >>> evidence_problem("https://wiki.example/dr-test")
    >>> evidence_problem("TBD")
    'a placeholder, not evidence'
    >>> evidence_problem("java\tscript:alert(1)")
    'a script, not a link'
    """
    if not evidence.strip():
        return "no evidence link"
    if re.sub(r"[^0-9a-z]", "", evidence.lower()) in _PLACEHOLDER_EVIDENCE:
        return "a placeholder, not evidence"
    squeezed = _ASCII_BLANK_OR_CONTROL.sub("", evidence).lower()
    if squeezed.startswith(_SCRIPT_SCHEMES):
        return "a script, not a link"
    return None


def _item_status(
    row: Any, as_of: pd.Timestamp, max_age: pd.Timedelta
) -> tuple[Status, str]:
    status = str(row.status)
    owner = str(row.owner) or "no owner"
    evidence = str(row.evidence).strip()
    verified = row.date
    if status == "n/a":
        return Status.PASS, f"marked not applicable ({owner})"
    if status != "done":
        return Status.FAIL, f"{status} ({owner})"
    if not isinstance(verified, pd.Timestamp) or pd.isna(verified):
        return Status.NO_DATA, f"done but no verification date ({owner})"
    if verified > as_of:
        return Status.NO_DATA, f"verified {verified:%Y-%m-%d}, after the decision time"
    age = as_of - verified
    if age > max_age:
        return (
            Status.NO_DATA,
            f"stale: verified {age.days} days before the decision time, more than"
            f" {max_age.days} ({owner})",
        )
    note = str(getattr(row, _EVIDENCE_NOTE, "") or "")
    if note:
        return Status.NO_DATA, f"done, but the evidence is {note} ({owner})"
    problem = evidence_problem(evidence)
    if problem == "no evidence link":
        return Status.NO_DATA, f"done but no evidence link ({owner})"
    if problem is not None:
        return (
            Status.NO_DATA,
            f"done, but the evidence {evidence!r} is {problem} ({owner})",
        )
    return Status.PASS, f"done, verified {verified:%Y-%m-%d} ({owner})"
