"""Checks shared by the CSV readers (ServiceNow, metric files, checklist)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analytics.errors import InputError

__all__ = ["refuse_semicolon_separated", "refuse_shifted_columns", "unsplittable_csv"]

_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_QUOTE_FIX = (
    'put that cell in double quotes ("Smith, J"), or remove the extra comma;'
    ' a quote inside a quoted cell is written twice ("")'
)


def refuse_semicolon_separated(columns: Iterable[object], path: str | Path) -> None:
    """Raise if a comma-separated read found one column whose name holds ``;``.

    A semicolon-separated export (common where the comma is the decimal mark)
    read as comma-separated has its whole header in one column; reporting its
    columns as missing, with a column_map hint, would not help.

    Examples
    --------
    >>> refuse_semicolon_separated(["timestamp", "value"], "up.csv")
    >>> refuse_semicolon_separated(["timestamp;value"], "up.csv")
    Traceback (most recent call last):
    ...
    analytics.errors.InputError: up.csv: is separated by semicolons, not commas. Fix: export with a comma as the separator
    """
    names = [str(name) for name in columns]
    if len(names) == 1 and ";" in names[0]:
        raise InputError(
            path,
            "is separated by semicolons, not commas",
            fix="export with a comma as the separator",
        )


def unsplittable_csv(
    path: str | Path, error: pd.errors.ParserError, *, fix: str
) -> InputError:
    """The error for a CSV pandas could not split into rows, saying where and why.

    pandas knows the line and the field counts ("Expected 7 fields in line 13,
    saw 8") or where an unclosed quote starts; the message passes them on with
    the fix for that case. ``fix`` is for any other parser error.

    Examples
    --------
    >>> error = pd.errors.ParserError(
    ...     "Error tokenizing data. C error: Expected 7 fields in line 13, saw 8\\n"
    ... )
    >>> print(unsplittable_csv("checklist.csv", error, fix="save it as CSV"))
    checklist.csv: line 13 has 8 fields where the header has 7: a cell holds an unquoted comma. Fix: put that cell in double quotes ("Smith, J"), or remove the extra comma; a quote inside a quoted cell is written twice ("")
    """
    text = str(error)
    counts = _FIELD_COUNT.search(text)
    if counts is not None:
        expected, line, seen = counts.groups()
        return InputError(
            path,
            f"line {line} has {seen} fields where the header has {expected}:"
            " a cell holds an unquoted comma",
            fix=_QUOTE_FIX,
        )
    quote = _OPEN_QUOTE.search(text)
    if quote is not None:
        return InputError(
            path,
            f"a quoted cell that starts on line {int(quote.group(1)) + 1} is never"
            ' closed (a " without its pair), so the rest of the file reads as one cell',
            fix='close that quote; a quote inside a quoted cell is written twice ("")',
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return InputError(path, f"is not a well-formed CSV file ({first_line})", fix=fix)


def refuse_shifted_columns(table: pd.DataFrame, path: str | Path) -> None:
    """Raise if pandas took the first column as the index (line 2 had an extra field).

    When the first data line has one field more than the header, ``read_csv``
    does not fail: it moves every column one place and reads the first as the
    index, so each value lands under the wrong name. This refuses that read.

    Examples
    --------
    >>> import io
    >>> shifted = pd.read_csv(io.StringIO("a,b\\n1,2,3\\n"))
    >>> refuse_shifted_columns(shifted, "x.csv")
    Traceback (most recent call last):
    ...
    analytics.errors.InputError: x.csv: line 2 has 3 fields where the header has 2: a cell holds an unquoted comma. Fix: put that cell in double quotes ("Smith, J"), or remove the extra comma; a quote inside a quoted cell is written twice ("")
    """
    if isinstance(table.index, pd.RangeIndex):
        return
    fields = len(table.columns) + table.index.nlevels
    raise InputError(
        path,
        f"line 2 has {fields} fields where the header has {len(table.columns)}:"
        " a cell holds an unquoted comma",
        fix=_QUOTE_FIX,
    )
