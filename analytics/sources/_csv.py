"""Checks shared by the CSV readers (ServiceNow, metric files, checklist, and the
readers built on :func:`analytics.sources._readers.read_text_csv`: Jira, PagerDuty,
surveys, help-desk tables, activity, licences, alerts).

Each check turns a file the readers cannot split into one
:class:`~analytics.errors.InputError` saying what the file is and how to fix it:
text in UTF-16 or UTF-32 rather than UTF-8 (:func:`wide_text_encoding`), a
header separated by semicolons or tabs rather than commas
(:func:`refuse_other_delimiter`), a row with a comma too many or an unclosed
quote (:func:`unsplittable_csv`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import pandas as pd

from analytics.errors import InputError

__all__ = [
    "header_delimiter",
    "refuse_other_delimiter",
    "refuse_semicolon_separated",
    "refuse_shifted_columns",
    "unsplittable_csv",
    "wide_text_encoding",
    "wide_text_error",
]

_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_QUOTE_FIX = (
    'put that cell in double quotes ("Smith, J"), or remove the extra comma;'
    ' a quote inside a quoted cell is written twice ("")'
)
# Byte-order marks, longest first: UTF-32LE's starts with UTF-16LE's.
_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)
_WIDE_SAMPLE: Final = 4096
_SHOWN_NAMES: Final = 12
_OTHER_DELIMITERS: Final = {";": "semicolons (;)", "\t": "tabs"}


def wide_text_encoding(head: bytes) -> str | None:
    """``"UTF-16LE"``, ``"UTF-16BE"``, ``"UTF-32LE"`` or ``"UTF-32BE"`` if ``head`` is such text.

    Known by its byte-order mark, or, without one, by ASCII characters each
    followed (little-endian) or preceded (big-endian) by a NUL byte. Such a
    file holds NUL bytes, so without this check it would be called binary.
    Excel's "Unicode Text" and some Windows tools save UTF-16.

    Examples
    --------
    >>> wide_text_encoding("a,b\\n".encode("utf-16"))
    'UTF-16LE'
    >>> wide_text_encoding("a,b\\n1,2\\n".encode("utf-16-be"))
    'UTF-16BE'
    >>> wide_text_encoding(b"a,b\\n1,2\\n") is None
    True
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:_WIDE_SAMPLE]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if _ascii_between_nuls(even, odd):
        return "UTF-16LE"
    if _ascii_between_nuls(odd, even):
        return "UTF-16BE"
    return None


def _ascii_between_nuls(text: bytes, nuls: bytes) -> bool:
    """True if ``nuls`` is (nearly) all NUL and ``text`` (nearly) all printable ASCII."""
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in text)
    return nuls.count(0) >= 0.9 * len(nuls) and printable >= 0.9 * len(text)


def wide_text_error(path: str | Path, encoding: str) -> InputError:
    """The error for a file in ``encoding`` (from :func:`wide_text_encoding`), with the fix.

    Examples
    --------
    >>> print(wide_text_error("data/issues.csv", "UTF-16LE"))
    data/issues.csv: is UTF-16 text (UTF-16LE), not UTF-8. Fix: re-save it as UTF-8 (in Excel: Save As "CSV UTF-8"), or convert it: iconv -f UTF-16LE -t UTF-8 issues.csv > issues-utf8.csv
    """
    name = Path(path).name
    stem = name.split(".")[0] or "file"
    return InputError(
        path,
        f"is {encoding[:6]} text ({encoding}), not UTF-8",
        fix='re-save it as UTF-8 (in Excel: Save As "CSV UTF-8"), or convert it:'
        f" iconv -f {encoding} -t UTF-8 {name} > {stem}-utf8.csv",
    )


def header_delimiter(header: str | Iterable[object]) -> str | None:
    """``";"`` or ``"\\t"`` when a CSV header holds no comma but splits on it into names.

    ``header`` is the header line, or its names as a comma-separated read gave
    them (a file separated by something else gives one name). Quoted names are
    allowed. None when the header has a comma (outside quotes) or no other
    separator splits it into two names or more.

    Examples
    --------
    >>> header_delimiter("Summary;Issue key;Created")
    ';'
    >>> header_delimiter(["user_id\\ttimestamp"])
    '\\t'
    >>> header_delimiter(["user_id", "time;stamp"]) is None
    True
    """
    line = header if isinstance(header, str) else ",".join(map(str, header))
    line = line.lstrip("\ufeff").splitlines()[0] if line.strip() else ""
    if len(_split(line, ",")) > 1:
        return None
    counts = {d: len(_split(line, d)) for d in _OTHER_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 1 else None


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def refuse_other_delimiter(header: str | Iterable[object], path: str | Path) -> None:
    """Raise if the CSV header is separated by semicolons or tabs, not commas.

    A semicolon-separated export (Excel's CSV where the comma is the decimal
    mark, as in German or French settings) or a tab-separated one read as
    comma-separated has its whole header in one column; reporting its columns
    as missing, with a column_map hint, would not help. The message names the
    separator and the columns the header splits into. The readers take
    comma-separated files only (there is no delimiter option), so the fix is
    to export or convert with commas. ``header`` is as for
    :func:`header_delimiter`.

    Examples
    --------
    >>> refuse_other_delimiter(["timestamp", "value"], "up.csv")
    >>> refuse_other_delimiter(["timestamp;value"], "up.csv")
    Traceback (most recent call last):
    ...
    analytics.errors.InputError: up.csv: is separated by semicolons (;), not commas: its header has no comma but splits on ';' into 2 columns (timestamp, value). Fix: export it again with a comma as the separator, or convert it (open it in a spreadsheet and save it as CSV with ',' as the field delimiter); the readers take comma-separated files only
    """
    delimiter = header_delimiter(header)
    if delimiter is None:
        return
    line = header if isinstance(header, str) else ",".join(map(str, header))
    names = [
        n.strip() for n in _split(line.lstrip("\ufeff").splitlines()[0], delimiter)
    ]
    shown = ", ".join(names[:_SHOWN_NAMES]) + (
        f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
    )
    symbol = "tab" if delimiter == "\t" else repr(delimiter)
    raise InputError(
        path,
        f"is separated by {_OTHER_DELIMITERS[delimiter]}, not commas: its header has"
        f" no comma but splits on {symbol} into {len(names)} columns ({shown})",
        fix="export it again with a comma as the separator, or convert it (open it"
        " in a spreadsheet and save it as CSV with ',' as the field delimiter);"
        " the readers take comma-separated files only",
    )


def refuse_semicolon_separated(columns: Iterable[object], path: str | Path) -> None:
    """Raise if a comma-separated read found one column holding the whole header.

    Kept for the readers that call it; the same check as
    :func:`refuse_other_delimiter` (semicolons or tabs).

    Examples
    --------
    >>> refuse_semicolon_separated(["timestamp", "value"], "up.csv")
    >>> refuse_semicolon_separated(["timestamp;value"], "up.csv")
    Traceback (most recent call last):
    ...
    analytics.errors.InputError: up.csv: is separated by semicolons (;), not commas: its header has no comma but splits on ';' into 2 columns (timestamp, value). Fix: export it again with a comma as the separator, or convert it (open it in a spreadsheet and save it as CSV with ',' as the field delimiter); the readers take comma-separated files only
    """
    refuse_other_delimiter(columns, path)


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
