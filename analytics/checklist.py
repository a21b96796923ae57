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
  (:func:`evidence_problem`): NO DATA (the sign-off is not current evidence);
* ``open``, ``in progress`` or ``blocked``: FAIL;
* ``n/a``: PASS, shown as not applicable.

Blocking items that are not PASS block GO; non-blocking ones make it
GO WITH CONDITIONS.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analytics.errors import InputError
from analytics.frames import LoadResult, Rejections, file_sha256
from analytics.readiness import Criterion, CriterionResult, Status
from analytics.sources._compressed import decompression_errors
from analytics.sources._csv import (
    refuse_semicolon_separated,
    refuse_shifted_columns,
    unsplittable_csv,
)
from analytics.timeparse import DateOrder, parse_timestamps

__all__ = [
    "CHECKLIST_COLUMNS",
    "checklist_criteria",
    "evidence_problem",
    "read_checklist",
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


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(
            path, "checklist file not found", fix="check checklist.path in the config"
        )
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            raw = yaml.safe_load(path.read_text("utf-8"))
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
        return pd.DataFrame(items).astype("string")
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
    return table


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
    table = _read_table(path)
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
    for column in ("evidence", "blocking"):
        if column not in table.columns:
            table[column] = ""
    table["row_number"] = range(2, len(table) + 2)

    rejections = Rejections(path)
    status = table["status"].str.strip().str.lower().map(_STATUSES)
    bad_status = status.isna()
    rejections.add_many(
        table.loc[bad_status, "row_number"],
        "status",
        table.loc[bad_status, "status"],
        "unknown_status",
        f"status must be one of {sorted(set(_STATUSES.values()))}",
    )
    no_item = table["item"].str.strip() == ""
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
    bad_blocking = blocking.isna()
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
    rejections.add_many(
        table.loc[parsed.unparseable, "row_number"],
        "date",
        table.loc[parsed.unparseable, "date"],
        "unparseable_date",
        f"not a date in the {date_order} order",
    )

    rejected = rejections.frame()
    keep = ~table["row_number"].isin(rejected["row_number"])
    frame = table.loc[keep, [*CHECKLIST_COLUMNS, "row_number"]].copy()
    frame["status"] = status[keep]
    frame["blocking"] = blocking[keep].astype(bool)
    frame["date"] = parsed.values[keep]
    result = LoadResult(
        frame=frame.reset_index(drop=True),
        rejected=rejected,
        source_file=str(path),
        kind="checklist",
        rows_in=len(table),
        rows_used=int(keep.sum()),
        sha256=file_sha256(path),
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
    problem = evidence_problem(evidence)
    if problem == "no evidence link":
        return Status.NO_DATA, f"done but no evidence link ({owner})"
    if problem is not None:
        return (
            Status.NO_DATA,
            f"done, but the evidence {evidence!r} is {problem} ({owner})",
        )
    return Status.PASS, f"done, verified {verified:%Y-%m-%d} ({owner})"
