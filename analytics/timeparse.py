"""Turn timestamp text from exports into tz-aware UTC, explicitly.

Exports write dates in many ways: ``2016-02-29 01:16``, ``29/2/2016 01:16``
(day first), ``2/29/2016 1:16`` (month first), with or without a zone. The
input's date order and zone come from the config, or are detected from the
data; when the data cannot tell (every day and month is 12 or less) that is an
error asking the user to choose, never a silent guess.

Naive local times are localised in the configured IANA zone. A local time that
does not exist (spring-forward gap) or happens twice (fall-back hour) is
reported per row, not guessed.

Decision times given by a person (``--as-of``, ``--go-live``, the config's
``as_of``) are different: they are read only as ISO 8601
(:func:`parse_instant`), because a slip there moves every evidence window.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from analytics.errors import ConfigError, InputError

__all__ = [
    "DateOrder",
    "ParsedTimes",
    "detect_date_order",
    "instant_problem",
    "parse_instant",
    "parse_timestamps",
]

logger = logging.getLogger(__name__)

DateOrder = Literal["auto", "iso", "dayfirst", "monthfirst"]

_NUMERIC_DATE = re.compile(
    r"^\s*(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?)?\s*$"
)
_ISO_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
# An ISO time with an hour-only offset (``T10:00+02``), valid ISO 8601 but not
# read by pandas beside full offsets: written out in full before parsing.
_HOUR_OFFSET = re.compile(
    r"(?P<clock>[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)(?P<hours>[+-]\d{2})$"
)
# YYYY-MM-DD, optionally THH:MM[:SS[.fff]] and an offset (Z, +HH:MM, +HHMM).
_ISO_INSTANT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?)?$"
)
_ISO_FORMS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"


@dataclass(frozen=True)
class ParsedTimes:
    """Result of :func:`parse_timestamps`.

    Attributes
    ----------
    values
        The parsed times, dtype ``datetime64[us, UTC]``; NaT where the input
        was empty or could not be used.
    unparseable
        True where a non-empty value is not a date in the expected order.
    nonexistent_or_ambiguous
        True where a naive local time does not exist or exists twice in the zone.
    date_order
        The order used (``"iso"``, ``"dayfirst"`` or ``"monthfirst"``).
    """

    values: pd.Series
    unparseable: pd.Series
    nonexistent_or_ambiguous: pd.Series
    date_order: str


_MIXED_ORDER_FIX = (
    "re-export the file with one date order (ISO 8601 is safest); no date_order"
    " setting reads a file that mixes day-first and month-first dates"
)


def detect_date_order(
    text: pd.Series, *, path: str | Path = "<data>", column: str = "?"
) -> str:
    """Decide whether numeric dates are day first or month first, from the data.

    Parameters
    ----------
    text
        Timestamp strings (missing values allowed).
    path, column
        Where the values come from, for the error message.

    Returns
    -------
    str
        ``"iso"``, ``"dayfirst"`` or ``"monthfirst"``.

    Raises
    ------
    InputError
        If the values contradict each other, or if no value can tell the
        orders apart (every first and second field is 12 or less).

    Examples
    --------
    >>> detect_date_order(pd.Series(["29/2/2016 01:16", "1/3/2016 10:00"]))
    'dayfirst'
    """
    values = text.dropna().astype(str)
    values = values[values.str.strip() != ""]
    if values.empty:
        return "iso"
    iso = values.str.match(_ISO_DATE)
    parts = values.str.extract(_NUMERIC_DATE)
    matched = parts["a"].notna()
    if iso.any() and matched.any():
        raise InputError(
            path,
            f"column {column!r} mixes ISO dates (e.g. {values[iso].iloc[0]!r}) and numeric"
            f" d/m/Y or m/d/Y dates (e.g. {values[matched].iloc[0]!r})",
            fix="clean the export so it uses one format, or set date_order in the"
            " source's config and accept the rows of the other format as rejected",
        )
    if iso.any():
        # Values that are neither ISO nor numeric dates are rejected row by row later.
        return "iso"

    first = pd.to_numeric(parts.loc[matched, "a"])
    second = pd.to_numeric(parts.loc[matched, "b"])
    day_first_evidence = values[matched][first > 12]
    month_first_evidence = values[matched][second > 12]

    if not day_first_evidence.empty and not month_first_evidence.empty:
        raise InputError(
            path,
            f"column {column!r} mixes day-first dates (e.g. {day_first_evidence.iloc[0]!r})"
            f" and month-first dates (e.g. {month_first_evidence.iloc[0]!r})",
            fix=_MIXED_ORDER_FIX,
        )
    if not day_first_evidence.empty:
        return "dayfirst"
    if not month_first_evidence.empty:
        return "monthfirst"
    if not matched.any():
        example = values.iloc[0]
        raise InputError(
            path,
            f"column {column!r} is neither ISO (YYYY-MM-DD) nor a numeric d/m/Y or m/d/Y date",
            value=example,
            fix="set date_order (iso, dayfirst, monthfirst) in the source's config",
        )
    raise InputError(
        path,
        f"column {column!r} is ambiguous: every date has day and month of 12 or less,"
        f" so {values.iloc[0]!r} could be day first or month first",
        fix="set date_order: dayfirst or date_order: monthfirst in the source's config",
    )


def parse_timestamps(
    text: pd.Series,
    *,
    timezone: str,
    date_order: DateOrder = "auto",
    path: str | Path = "<data>",
    column: str = "?",
) -> ParsedTimes:
    """Parse timestamp text to tz-aware UTC.

    Parameters
    ----------
    text
        Timestamp strings; missing values (NaN, empty) stay NaT and are not
        counted as unparseable.
    timezone
        IANA zone of naive values (``"UTC"``, ``"Europe/Berlin"``). Values that
        carry their own offset (``Z``, ``+02:00``) keep it.
    date_order
        ``"iso"``, ``"dayfirst"``, ``"monthfirst"`` or ``"auto"`` (detect with
        :func:`detect_date_order`).
    path, column
        Where the values come from, for error messages.

    Returns
    -------
    ParsedTimes

    Examples
    --------
    >>> p = parse_timestamps(pd.Series(["29/2/2016 01:16", None]), timezone="UTC")
    >>> str(p.values.iloc[0]), bool(p.values.isna().iloc[1]), p.date_order
    ('2016-02-29 01:16:00+00:00', True, 'dayfirst')
    """
    order = (
        detect_date_order(text, path=path, column=column)
        if date_order == "auto"
        else date_order
    )
    raw = text.astype("string").str.strip()
    raw = raw.str.replace(_HOUR_OFFSET, r"\g<clock>\g<hours>:00", regex=True)
    present = raw.notna() & (raw != "")

    has_offset = present & raw.str.contains(_OFFSET, regex=True, na=False)
    if order == "iso":
        naive = pd.to_datetime(
            raw.where(present & ~has_offset), format="ISO8601", errors="coerce"
        )
    else:
        naive = _parse_numeric(
            raw.where(present & ~has_offset), dayfirst=(order == "dayfirst")
        )
        _check_order_fits(raw.where(present & ~has_offset), naive, order, path, column)
    aware = pd.to_datetime(
        raw.where(has_offset), format="ISO8601", errors="coerce", utc=True
    )

    localized = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    bad_local = naive.notna() & localized.isna()
    # One unit whatever pandas infers (it picks seconds for a column with no
    # value at all), so frames from every reader and path compare equal.
    values = (
        localized.dt.tz_convert("UTC")
        .where(~has_offset, aware)
        .astype("datetime64[us, UTC]")
    )
    unparseable = present & values.isna() & ~bad_local
    return ParsedTimes(values, unparseable, bad_local, order)


def _check_order_fits(
    raw: pd.Series, parsed: pd.Series, order: str, path: str | Path, column: str
) -> None:
    """Refuse a configured date order that the data contradicts.

    When most numeric dates fail in the configured order but the other order
    reads them, the config is wrong: rejecting those rows one by one would
    leave a biased remainder (only the dates whose day is 12 or less, with
    day and month swapped) that still looks like evidence. When a smaller but
    real share (over 5 %) fits only the other order, the file mixes the two
    orders: no setting reads it, since its dates with day and month both 12
    or less cannot be told apart. A few such dates (5 % or less) are rejected
    row by row as unparseable.
    """
    present = raw.notna()
    failed = present & parsed.isna()
    if present.sum() == 0 or failed.sum() / present.sum() <= 0.05:
        return
    other = _parse_numeric(raw[failed], dayfirst=(order != "dayfirst"))
    if other.notna().mean() < 0.9:
        return
    other_order = "monthfirst" if order == "dayfirst" else "dayfirst"
    example = raw[failed].iloc[0]
    counts = f"{int(failed.sum()):,} of {int(present.sum()):,} dates"
    if failed.sum() / present.sum() > 0.5:
        raise InputError(
            path,
            f"column {column!r}: {counts} do not fit date_order {order} but do fit"
            f" {other_order}",
            value=example,
            fix=f"set date_order: {other_order} (or auto) for this source",
        )
    raise InputError(
        path,
        f"column {column!r}: {counts} fit only {other_order}, the rest {order}: the"
        " export mixes date orders, and its dates with day and month both 12 or less"
        " cannot be told apart",
        value=example,
        fix=_MIXED_ORDER_FIX,
    )


def _parse_numeric(raw: pd.Series, *, dayfirst: bool) -> pd.Series:
    """Parse ``d/m/Y [H:M[:S]]`` or ``m/d/Y ...`` text to naive timestamps."""
    parts = raw.str.extract(_NUMERIC_DATE)
    day, month = ("a", "b") if dayfirst else ("b", "a")
    iso = (
        parts["year"]
        + "-"
        + parts[month].str.zfill(2)
        + "-"
        + parts[day].str.zfill(2)
        + " "
        + parts["hour"].fillna("0").str.zfill(2)
        + ":"
        + parts["minute"].fillna("00")
        + ":"
        + parts["second"].fillna("00").str.zfill(2)
    )
    # Impossible dates such as 31/2/2016 become NaT here and are reported as unparseable.
    return pd.to_datetime(iso, format="%Y-%m-%d %H:%M:%S", errors="coerce")


def parse_instant(text: str, *, name: str) -> pd.Timestamp:
    """Read a decision time given by a person: ISO 8601 only, as tz-aware UTC.

    A date alone is 00:00 UTC of that day; a date-time without an offset is
    read as UTC; an offset (``Z``, ``+02:00``) is kept and converted. Any
    other spelling (``03/04/2026``, ``30.06.2026``, ``June 30 2026``,
    ``20260630``) is refused rather than guessed, because a day and month
    read the wrong way round would move every evidence window.

    Parameters
    ----------
    text
        The value as given.
    name
        Where it was given (``"--as-of"``, ``"as_of"``), for the message.

    Raises
    ------
    ConfigError
        The value is not ISO 8601, or not a real date; the message names
        ``name``, the value and the ISO spelling to write instead.

    Examples
    --------
    >>> parse_instant("2016-06-30", name="--as-of")
    Timestamp('2016-06-30 00:00:00+0000', tz='UTC')
    >>> parse_instant("2019-07-30T14:00:00+02:00", name="--as-of")
    Timestamp('2019-07-30 12:00:00+0000', tz='UTC')
    """
    problem = instant_problem(text)
    if problem is not None:
        raise ConfigError(f"{name} {problem}")
    stamp = pd.Timestamp(_iso_datetime(text.strip()))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def instant_problem(text: str) -> str | None:
    """Why ``text`` is not an ISO 8601 decision time, with the fix; None if it is one.

    Examples
    --------
    >>> instant_problem("2026-03-04T09:00:00Z") is None
    True
    >>> print(instant_problem("30.06.2026"))
    '30.06.2026' is not ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]). Fix: write 2026-06-30T00:00:00Z
    """
    value = str(text).strip()
    if _ISO_INSTANT.match(value):
        try:
            _iso_datetime(value)
        except ValueError as exc:
            return (
                f"{text!r} is not a real date or time ({exc})."
                " Fix: write one that exists, e.g. 2026-02-28T00:00:00Z"
            )
        return None
    readings = _readings(value)
    if len(readings) == 2:
        (first, first_label), (second, second_label) = readings
        return (
            f"{text!r} is not ISO 8601 ({_ISO_FORMS}), and its day and month could be"
            f" either way round. Fix: write {first} for {first_label}, or {second}"
            f" for {second_label}"
        )
    if len(readings) == 1:
        return f"{text!r} is not ISO 8601 ({_ISO_FORMS}). Fix: write {readings[0][0]}"
    return (
        f"{text!r} is not ISO 8601 ({_ISO_FORMS}). Fix: write e.g. 2026-03-04 or"
        " 2026-03-04T09:00:00Z (a date-time without an offset is read as UTC)"
    )


def _iso_datetime(value: str) -> datetime:
    """``value`` (already matched by the ISO pattern) as a datetime."""
    return datetime.fromisoformat(value.replace("t", "T").replace("z", "Z"))


def _readings(value: str) -> list[tuple[str, str]]:
    """Plausible ISO spellings of a non-ISO time, each with a label such as "4 March".

    Used only to suggest the fix, never to read the value.
    """
    numeric = _NUMERIC_DATE.match(value)
    if numeric is not None:
        clock = (
            f"{int(numeric['hour'] or 0):02d}:{numeric['minute'] or '00'}"
            f":{int(float(numeric['second'] or 0)):02d}"
        )
        found = []
        for day, month in ((numeric["a"], numeric["b"]), (numeric["b"], numeric["a"])):
            text = f"{numeric['year']}-{int(month):02d}-{int(day):02d}T{clock}"
            try:
                stamp = datetime.fromisoformat(text)
            except ValueError:
                continue
            found.append((f"{text}Z", f"{stamp.day} {stamp:%B}"))
        return sorted(set(found))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            guess = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return []
    if pd.isna(guess):
        return []
    guess = (
        guess.tz_localize("UTC") if guess.tzinfo is None else guess.tz_convert("UTC")
    )
    return [(guess.strftime("%Y-%m-%dT%H:%M:%SZ"), f"{guess.day} {guess:%B}")]
