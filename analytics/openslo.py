"""Import SLOs written in the OpenSLO v1 YAML format.

Supported: ``kind: SLO`` documents (``apiVersion: openslo/v1``) with an
inline ``indicator`` or an ``indicatorRef`` to a ``kind: SLI`` document in the
same file; ``ratioMetric`` with ``good``/``total`` or ``bad``/``total``
queries; ``thresholdMetric``; rolling or calendar ``timeWindow`` (calendar with
an IANA ``timeZone``); ``budgetingMethod`` ``Occurrences``, ``Timeslices`` or
``RatioTimeslices``; objectives with ``target`` or ``targetPercent`` and, for
time slices, ``timeSliceTarget`` and ``timeSliceWindow``.

``timeSliceWindow`` is a duration shorthand (``5m``) or a number of minutes
(the spec: "default interpretation of unit if specified as a number in minutes"). Not supported (refused with a clear message):
``ratioMetric.raw`` and ``rawType``, several time windows, composite SLOs.

The budgeting methods mean different things (OpenSLO): *Occurrences* is the
ratio of good to total events over the window; *Timeslices* the share of
good time slices (a slice is good when its own ratio meets
``timeSliceTarget``); *RatioTimeslices* the mean of the slice ratios, which
is biased when traffic is uneven. Reports name the method used.

Examples
--------
>>> text = '''
... apiVersion: openslo/v1
... kind: SLO
... metadata: {name: api-availability}
... spec:
...   service: api
...   budgetingMethod: Occurrences
...   timeWindow: [{duration: 28d, isRolling: true}]
...   indicator:
...     metadata: {name: api-ok}
...     spec:
...       ratioMetric:
...         counter: true
...         good: {metricSource: {type: Prometheus, spec: {query: sum(ok_total)}}}
...         total: {metricSource: {type: Prometheus, spec: {query: sum(all_total)}}}
...   objectives: [{displayName: ok, target: 0.999}]
... '''
>>> slo = parse_openslo(text)[0]
>>> slo.name, slo.indicator.good_query, slo.time_window.seconds
('api-availability', 'sum(ok_total)', 2419200.0)
>>> slo.objectives[0].target
0.999
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analytics.errors import ConfigError
from analytics.yamlread import load_yaml_all

__all__ = [
    "OpenSLO",
    "OpenSLOIndicator",
    "OpenSLOObjective",
    "OpenSLOTimeWindow",
    "load_openslo",
    "parse_openslo",
]

BudgetingMethod = Literal["Occurrences", "Timeslices", "RatioTimeslices"]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w|M|Q|Y)\s*$")
_FIXED_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_CALENDAR_UNITS = {"M": "month", "Q": "quarter", "Y": "year", "w": "week", "d": "day"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenSLOIndicator(_Model):
    """The SLI: a ratio of two queries or a threshold on one.

    ``kind`` is ``"ratio"`` (``good_query`` or ``bad_query`` over
    ``total_query``) or ``"threshold"`` (``query`` compared with each
    objective's ``op`` and ``value``). ``source_type`` is the metric source
    named in the file, e.g. ``"Prometheus"``.
    """

    name: str
    kind: Literal["ratio", "threshold"]
    source_type: str
    counter: bool = True
    good_query: str | None = None
    bad_query: str | None = None
    total_query: str | None = None
    query: str | None = None


class OpenSLOTimeWindow(_Model):
    """``duration`` as written (``28d``, ``1M``), rolling or calendar."""

    duration: str
    is_rolling: bool
    timezone: str = "UTC"
    calendar_start: str | None = None

    @property
    def seconds(self) -> float | None:
        """Length of a fixed duration; None for calendar months, quarters, years."""
        amount, unit = _duration_parts(self.duration)
        return float(amount * _FIXED_SECONDS[unit]) if unit in _FIXED_SECONDS else None

    @property
    def calendar_unit(self) -> str | None:
        """``"month"``, ``"week"``, ... for a calendar window of one unit, else None."""
        amount, unit = _duration_parts(self.duration)
        return (
            _CALENDAR_UNITS.get(unit) if not self.is_rolling and amount == 1 else None
        )


class OpenSLOObjective(_Model):
    """One objective: the target ratio and, for thresholds and slices, the rest."""

    display_name: str = ""
    target: float = Field(gt=0, lt=1)
    op: Literal["lt", "lte", "gt", "gte"] | None = None
    value: float | None = None
    time_slice_target: float | None = Field(default=None, gt=0, le=1)
    time_slice_window: str | None = None


class OpenSLO(_Model):
    """An SLO from an OpenSLO v1 file."""

    name: str
    display_name: str = ""
    service: str = ""
    description: str = ""
    indicator: OpenSLOIndicator
    time_window: OpenSLOTimeWindow
    budgeting_method: BudgetingMethod
    objectives: tuple[OpenSLOObjective, ...]

    @model_validator(mode="after")
    def _check_consistency(self) -> OpenSLO:
        timeslices = self.budgeting_method in ("Timeslices", "RatioTimeslices")
        for objective in self.objectives:
            if timeslices and objective.time_slice_window is None:
                raise ValueError(
                    f"budgetingMethod {self.budgeting_method} needs timeSliceWindow"
                    " in every objective"
                )
            if (
                self.budgeting_method == "Timeslices"
                and objective.time_slice_target is None
            ):
                raise ValueError("budgetingMethod Timeslices needs timeSliceTarget")
            if self.indicator.kind == "threshold" and (
                objective.op is None or objective.value is None
            ):
                raise ValueError(
                    "a thresholdMetric SLO needs op and value in objectives"
                )
        return self


def load_openslo(path: str | Path) -> list[OpenSLO]:
    """Read every ``kind: SLO`` of an OpenSLO v1 YAML file (several documents allowed).

    Raises
    ------
    ConfigError
        The file cannot be read, is not YAML, or an SLO is invalid; the
        message names the file, the SLO and the field.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"{file}: cannot read the OpenSLO file ({exc.strerror})"
        ) from exc
    return parse_openslo(text, source=str(file))


def parse_openslo(text: str, *, source: str = "<text>") -> list[OpenSLO]:
    """Parse OpenSLO v1 YAML text; see :func:`load_openslo`."""
    try:
        documents = [doc for doc in load_yaml_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from exc
    for number, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict):
            raise ConfigError(f"{source}: document {number} is not a mapping")
        if doc.get("apiVersion") != "openslo/v1":
            raise ConfigError(
                f"{source}: document {number} has apiVersion"
                f" {doc.get('apiVersion')!r}; only 'openslo/v1' is supported"
            )
    slis = {
        _name(doc, source): doc.get("spec") or {}
        for doc in documents
        if doc.get("kind") == "SLI"
    }
    slos = [doc for doc in documents if doc.get("kind") == "SLO"]
    if not slos:
        raise ConfigError(f"{source}: no document of kind SLO")
    return [_slo(doc, slis, source) for doc in slos]


def _slo(doc: dict[str, Any], slis: dict[str, Any], source: str) -> OpenSLO:
    name = _name(doc, source)
    where = f"{source}: SLO {name!r}"
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: no spec mapping")
    try:
        return OpenSLO.model_validate(
            {
                "name": name,
                "display_name": str(doc.get("metadata", {}).get("displayName", "")),
                "service": str(spec.get("service", "")),
                "description": str(spec.get("description", "")),
                "indicator": _indicator(spec, slis, where),
                "time_window": _time_window(spec, where),
                "budgeting_method": spec.get("budgetingMethod"),
                "objectives": tuple(
                    _objective(item, where, index)
                    for index, item in enumerate(_list(spec, "objectives", where))
                ),
            }
        )
    except ValidationError as exc:
        raise _model_error(where, "", exc) from exc


def _model_error(where: str, prefix: str, error: ValidationError) -> ConfigError:
    """The first problem pydantic found, at its OpenSLO field path, with the value."""
    first = error.errors()[0]
    field = ".".join(p for p in (prefix, _spec_path(first["loc"])) if p != "spec")
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    message = str(first["msg"]).removeprefix("Value error, ")
    return ConfigError(f"{where}: {field or 'spec'}: {message}{shown}")


_SPEC_NAMES = {
    "budgeting_method": "spec.budgetingMethod",
    "objectives": "spec.objectives",
    "indicator": "spec.indicator",
    "time_window": "spec.timeWindow[0]",
    "display_name": "displayName",
    "time_slice_target": "timeSliceTarget",
    "time_slice_window": "timeSliceWindow",
}


def _spec_path(loc: tuple[int | str, ...]) -> str:
    """A model error's location in the OpenSLO file's own spelling."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += "." + _SPEC_NAMES.get(str(part), str(part))
    return text.lstrip(".") or "spec"


def _indicator(
    spec: dict[str, Any], slis: dict[str, Any], where: str
) -> OpenSLOIndicator:
    if "indicator" in spec:
        block = spec["indicator"]
        if not isinstance(block, dict):
            raise ConfigError(
                f"{where}: spec.indicator must be a mapping with metadata and spec"
                f" (got {block!r:.60})"
            )
        name, sli = _name(block, where), block.get("spec")
    elif "indicatorRef" in spec:
        name = str(spec["indicatorRef"])
        if name not in slis:
            raise ConfigError(
                f"{where}: indicatorRef {name!r} names no SLI document in this file"
                f" (found: {sorted(slis) or 'none'})"
            )
        sli = slis[name]
    else:
        raise ConfigError(f"{where}: give spec.indicator or spec.indicatorRef")
    if not isinstance(sli, dict):
        raise ConfigError(
            f"{where}: the indicator's spec must be a mapping holding ratioMetric or"
            f" thresholdMetric (got {sli!r:.60})"
        )

    if "ratioMetric" in sli:
        ratio = sli["ratioMetric"]
        if not isinstance(ratio, dict):
            raise ConfigError(
                f"{where}: ratioMetric must be a mapping with good or bad, and total"
                f" (got {ratio!r:.60})"
            )
        return _ratio(name, ratio, where)
    if "thresholdMetric" in sli:
        query, kind = _query(sli["thresholdMetric"], where, "thresholdMetric")
        return OpenSLOIndicator(
            name=name, kind="threshold", source_type=kind, query=query
        )
    raise ConfigError(f"{where}: the indicator needs ratioMetric or thresholdMetric")


def _ratio(name: str, ratio: dict[str, Any], where: str) -> OpenSLOIndicator:
    if "raw" in ratio or "rawType" in ratio:
        raise ConfigError(
            f"{where}: ratioMetric.raw is not supported; use good/total or bad/total"
        )
    if "total" not in ratio or ("good" in ratio) == ("bad" in ratio):
        raise ConfigError(
            f"{where}: ratioMetric needs total and exactly one of good or bad"
        )
    total, kind = _query(ratio["total"], where, "ratioMetric.total")
    good = (
        _query(ratio["good"], where, "ratioMetric.good")[0] if "good" in ratio else None
    )
    bad = _query(ratio["bad"], where, "ratioMetric.bad")[0] if "bad" in ratio else None
    return OpenSLOIndicator(
        name=name,
        kind="ratio",
        source_type=kind,
        counter=_flag(ratio, "counter", True, where, "ratioMetric.counter"),
        good_query=good,
        bad_query=bad,
        total_query=total,
    )


def _query(block: Any, where: str, field: str) -> tuple[str, str]:
    source = block.get("metricSource") if isinstance(block, dict) else None
    spec = source.get("spec") if isinstance(source, dict) else None
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: {field} needs metricSource with a spec")
    query = spec.get("query") or spec.get("promql")
    if not isinstance(query, str) or not query.strip():
        raise ConfigError(f"{where}: {field}.metricSource.spec needs a query")
    return query.strip(), str(source.get("type", "")) if source else ""


def _time_window(spec: dict[str, Any], where: str) -> OpenSLOTimeWindow:
    windows = _list(spec, "timeWindow", where)
    if len(windows) != 1 or not isinstance(windows[0], dict):
        raise ConfigError(f"{where}: timeWindow must hold exactly one window")
    window = windows[0]
    field = "spec.timeWindow[0]"
    duration = str(window.get("duration", ""))
    _duration_parts(duration, where, f"{field}.duration")
    calendar = window.get("calendar")
    if calendar is not None and not isinstance(calendar, dict):
        raise ConfigError(
            f"{where}: {field}.calendar must be a mapping with startTime and timeZone"
            f" (got {calendar!r:.60})"
        )
    # The spec: isRolling "if omitted assumed false if calendar: is present".
    rolling = _flag(window, "isRolling", calendar is None, where, f"{field}.isRolling")
    if rolling and calendar:
        raise ConfigError(
            f"{where}: {field} has isRolling: true and a calendar; a window is either"
            " rolling or calendar-aligned. Fix: remove calendar for a rolling window,"
            " or set isRolling: false"
        )
    if not rolling and not calendar:
        raise ConfigError(
            f"{where}: a calendar timeWindow (isRolling: false) needs calendar"
            " with startTime and timeZone"
        )
    zone = "UTC"
    if calendar:
        # OpenSLO v1 marks neither startTime nor timeZone optional: periods in an
        # unstated zone would start at a guessed midnight, so the zone is required.
        if calendar.get("timeZone") in (None, ""):
            raise ConfigError(
                f"{where}: {field}.calendar has no timeZone; OpenSLO v1 requires it for"
                " a calendar window (its periods start at midnight in that zone)."
                " Fix: add timeZone: UTC, or the IANA zone of the service, e.g."
                " timeZone: Europe/Berlin"
            )
        zone = str(calendar["timeZone"])
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"{where}: {field}.calendar.timeZone {zone!r} is not an IANA zone."
                " Fix: write a tz database name such as 'UTC' or 'Europe/Berlin'"
            ) from exc
    start = calendar.get("startTime") if calendar else None
    return OpenSLOTimeWindow(
        duration=duration,
        is_rolling=rolling,
        timezone=zone,
        calendar_start=None if start is None else str(start),
    )


def _flag(
    block: dict[str, Any], key: str, default: bool, where: str, field: str
) -> bool:
    """A true/false field; text such as "false" is refused, not read as true."""
    value = block.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(
            f"{where}: {field} is {value!r}, not true or false. Fix: write"
            f" {key}: true or {key}: false, without quotes"
        )
    return value


def _objective(item: Any, where: str, index: int = 0) -> OpenSLOObjective:
    field = f"spec.objectives[{index}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: {field} must be a mapping (got {item!r:.60})")
    target = _target(item, where, field)
    window = item.get("timeSliceWindow")
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, int | float | str):
            raise ConfigError(
                f"{where}: {field}.timeSliceWindow is {window!r}; write a duration"
                " such as 5m"
            )
        if isinstance(window, int | float):
            # A bare number is minutes (OpenSLO v1).
            if window <= 0 or window != int(window):
                raise ConfigError(
                    f"{where}: {field}.timeSliceWindow is {window!r}; a number here is"
                    " whole minutes above zero (OpenSLO v1). Fix: write a duration such"
                    " as 5m"
                )
            window = f"{int(window)}m"
        _duration_parts(str(window), where, f"{field}.timeSliceWindow")
    try:
        return OpenSLOObjective(
            display_name=str(item.get("displayName", "")),
            target=target,
            op=item.get("op"),
            value=item.get("value"),
            time_slice_target=item.get("timeSliceTarget"),
            time_slice_window=None if window is None else str(window),
        )
    except ValidationError as exc:
        raise _model_error(where, field, exc) from exc


def _target(item: dict[str, Any], where: str, field: str) -> float:
    """The objective's target as a ratio, from exactly one of target / targetPercent.

    Both must lie strictly between 0 and 1 (0 and 100 %); an objective of 1 % or
    less is taken for a ratio written where a percentage belongs (as the
    readiness config does for SLO targets).
    """
    has_ratio, has_percent = "target" in item, "targetPercent" in item
    if has_ratio and has_percent:
        raise ConfigError(
            f"{where}: {field} has both target ({item['target']!r}) and targetPercent"
            f" ({item['targetPercent']!r}); OpenSLO v1 allows only one of them, and"
            " which one is meant is not guessed. Fix: keep one, e.g. target: 0.999"
            " or targetPercent: 99.9"
        )
    if not has_ratio and not has_percent:
        raise ConfigError(
            f"{where}: {field} needs target (a ratio, e.g. 0.999) or targetPercent"
            " (e.g. 99.9)"
        )
    key = "target" if has_ratio else "targetPercent"
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigError(
            f"{where}: {field}.{key} is {value!r}, not a number. Fix: write e.g."
            f" {'target: 0.999' if has_ratio else 'targetPercent: 99.9'}"
        )
    percent = float(value) * (100.0 if has_ratio else 1.0)
    if has_ratio and value >= 1:
        raise ConfigError(
            f"{where}: {field}.target is {value!r}, but target is a ratio below 1;"
            f" {value!r} looks like a percentage. Fix: write targetPercent: {value!r},"
            f" or target: {float(value) / 100:g}"
        )
    if not has_ratio and value >= 100:
        raise ConfigError(
            f"{where}: {field}.targetPercent is {value!r}, but it must be below 100"
            " (an objective of 100 % leaves no error budget). Fix: write e.g."
            " targetPercent: 99.9"
        )
    if percent <= 1.0:
        if has_ratio:
            raise ConfigError(
                f"{where}: {field}.target is {value!r}, an objective of {percent:g} %:"
                " almost any service would pass it. Fix: write the ratio, e.g."
                " target: 0.999 for 99.9 %"
            )
        raise ConfigError(
            f"{where}: {field}.targetPercent is {value!r}, an objective of {value!r} %;"
            f" that looks like a ratio written where a percentage belongs ({value!r}"
            f" as a ratio is {float(value) * 100:g} %), and almost any service would"
            f" pass it. Fix: write targetPercent: {float(value) * 100:g}, or"
            f" target: {value!r}"
        )
    return float(value) if has_ratio else float(value) / 100.0


def _list(spec: dict[str, Any], key: str, where: str) -> list[Any]:
    value = spec.get(key)
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: spec.{key} must be a non-empty list")
    return value


def _name(doc: Any, where: str = "OpenSLO") -> str:
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError(
            f"{where}: a document or indicator has no metadata.name ({doc!r:.80})."
            " Fix: add metadata: {name: ...}"
        )
    return name


def _duration_parts(
    text: str, where: str = "OpenSLO", field: str = "duration"
) -> tuple[int, str]:
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(
            f"{where}: {field} {text!r} is not a number and a unit"
            " (s, m, h, d, w, M, Q, Y). Fix: write e.g. 28d or 1M"
        )
    if int(match.group(1)) == 0:
        raise ConfigError(
            f"{where}: {field} {text!r} is zero long: a window of zero length holds"
            " no data. Fix: write a length above zero, e.g. 28d, 1w or 5m"
        )
    return int(match.group(1)), match.group(2)
