"""Checks shared by the CSV readers (ServiceNow, metric files, checklist)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from analytics.errors import InputError

__all__ = ["refuse_semicolon_separated"]


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
