"""Errors raised by the analytics package.

Every error a user can cause says what was wrong, where (file, row, column),
the offending value, and how to fix it. The tree is small::

    AnalyticsError
    ├── InputError        a data file cannot be read or has the wrong shape
    ├── ConfigError       the readiness config or a parameter is invalid
    └── RenderError       a report could not be executed, checked or written

The command-line tool prints ``str(error)`` as one line and exits non-zero;
no traceback is shown unless ``--debug`` is given.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["AnalyticsError", "ConfigError", "InputError", "RenderError"]


class AnalyticsError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(AnalyticsError):
    """A data file cannot be used.

    Parameters
    ----------
    path
        The file the problem is in.
    problem
        What is wrong, in a sentence.
    fix
        What the user can do about it.
    row, column, value
        Where the problem is, when it is about one cell. ``row`` is the
        1-based line number in the file, header included.

    Examples
    --------
    >>> str(InputError("t.csv", "no column 'opened_at'", fix="rename it"))
    "t.csv: no column 'opened_at'. Fix: rename it"
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        fix: str = "",
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.path
        if self.row is not None:
            where += f", row {self.row:,}"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{where}: {self.problem}"
        if self.value is not None:
            text += f" (value {self.value!r})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ConfigError(AnalyticsError):
    """The readiness config, or a parameter given to a report, is invalid."""


class RenderError(AnalyticsError):
    """A report could not be executed, verified or written.

    ``cause_name`` names the error raised inside the notebook, when there was
    one (``"InputError"`` means the data, not the renderer, was at fault).
    """

    cause_name: str = ""
