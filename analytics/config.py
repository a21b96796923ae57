"""The readiness config: where the evidence is, and what it must show.

A config is a YAML file. Paths in it are relative to the file's own folder.
Criteria start from the launch plan's defaults (``analytics/defaults/
launch_plan.yaml``); the config overrides any field by criterion id, adds new
criteria (with a ``kind``), or switches one off with ``enabled: false`` (the
report lists it as excluded). Unknown keys are errors, so a typo cannot
silently fall back to a default. See ``docs/config.md`` for every field.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pandas as pd
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from analytics.business_hours import BusinessSchedule, parse_holidays
from analytics.criterion_params import (
    DURATION,
    DURATION_PARAMS,
    NUMBER,
    SWITCH,
    TEXT,
    unknown_params_problem,
    wrong_type_params,
)
from analytics.errors import ConfigError
from analytics.timeparse import instant_problem
from analytics.yamlread import load_yaml

__all__ = [
    "BUSINESS_CLOCK_KINDS",
    "PRIORITIES",
    "SLO_TARGET_KINDS",
    "UNTIMED_LOADTEST_FORMATS",
    "ActivitySource",
    "BusinessHours",
    "ChecklistSource",
    "CriterionConfig",
    "LicenceSource",
    "LoadTestSource",
    "MetricSource",
    "PostLaunchSettings",
    "ReadinessConfig",
    "SurveySource",
    "TicketSource",
    "default_criteria",
    "error_location",
    "load_config",
    "merge_criterion",
    "missing_files",
    "named_files",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | int | float) -> pd.Timedelta:
    """Parse ``"30d"``, ``"48h"``, ``"15m"``, ``"2w"`` or seconds into a Timedelta.

    Examples
    --------
    >>> parse_duration("30d")
    Timedelta('30 days 00:00:00')
    >>> parse_duration(90)
    Timedelta('0 days 00:01:30')
    """
    if isinstance(text, int | float):
        return pd.Timedelta(seconds=float(text))
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit, e.g. 30d, 48h, 15m"
        )
    return pd.Timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _iana_zone(value: str) -> str:
    """``value`` when it names an IANA time zone; otherwise a ValueError with the fix."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    else:
        return value
    close = difflib.get_close_matches(
        value, sorted(available_timezones()), n=1, cutoff=0.85
    )
    hint = f"{close[0]!r}" if close else "'UTC' or 'Europe/Berlin'"
    raise ValueError(
        f"{value!r} is not an IANA zone name. Fix: write a tz database name such as"
        f" {hint} (case matters)"
    )


def _iso_instant(value: object) -> object:
    """An ISO 8601 time as text; a ValueError with the fix for any other spelling.

    Unquoted YAML dates arrive as date/datetime objects: their ISO text is kept.
    """
    if isinstance(value, date | datetime):
        value = value.isoformat()
    if isinstance(value, str):
        problem = instant_problem(value)
        if problem is not None:
            raise ValueError(problem)
    return value


def _positive_duration(value: str) -> str:
    """``value`` when it is a duration above zero; otherwise a ValueError with the fix."""
    if parse_duration(value) <= pd.Timedelta(0):
        raise ValueError(
            f"{value!r} is not a positive duration: a window or step of zero length"
            " holds no data. Fix: write a length above zero, e.g. 30d, 48h, 15m or 60s"
        )
    return value


def _duration(value: str) -> str:
    parse_duration(value)
    return value


_BARE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*$")


def _bare_number(value: object) -> str | None:
    """``value`` as plain decimal text when it is a number without a unit, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        value = f"{value:f}" if math.isfinite(value) else str(value)
    if not isinstance(value, str):
        return None
    match = _BARE_NUMBER.match(value)
    if match is None:
        return None
    number = match.group(1)
    return number.rstrip("0").rstrip(".") if "." in number else number


def _bare_seconds(value: object) -> object:
    """A step given as a bare number (``30``, ``"30"``, ``0.5``) is seconds: ``"30s"``.

    Prometheus's own ``step`` parameter reads a bare number as seconds, so that
    is what a Prometheus user means by ``step: 30``.

    >>> _bare_seconds(30), _bare_seconds("0.5"), _bare_seconds("30s")
    ('30s', '0.5s', '30s')
    """
    number = _bare_number(value)
    return value if number is None else f"{number}s"


def _unit_required(value: object) -> object:
    """A range (``lookback``) must say its unit: ``30`` could be seconds or days."""
    number = _bare_number(value)
    if number is not None:
        raise ValueError(
            f"{number} has no unit, and for a range a bare number is ambiguous"
            f" (seconds? days?). Fix: write the unit, e.g. {number}d or {number}h"
        )
    return value


TimeZoneName = Annotated[str, AfterValidator(_iana_zone)]
"""An IANA time zone name, checked when the config is loaded."""
PositiveDuration = Annotated[str, AfterValidator(_positive_duration)]
"""A duration such as ``30d`` that must be above zero (windows, steps)."""
Duration = Annotated[str, AfterValidator(_duration)]
"""A duration such as ``4h`` that may be zero (objectives such as an RPO)."""
StepDuration = Annotated[
    str, BeforeValidator(_bare_seconds), AfterValidator(_positive_duration)
]
"""A metrics source's ``step``: a duration above zero, or a bare number of seconds."""
RangeDuration = Annotated[
    str, BeforeValidator(_unit_required), AfterValidator(_positive_duration)
]
"""A metrics source's ``lookback``: a duration above zero, with its unit."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PRIORITIES = ("P1", "P2", "P3", "P4")
"""The priorities every ticket reader maps its labels to."""

TicketFormat = Literal[
    "servicenow_csv",
    "servicenow_json",
    "servicenow_xml",
    "jira_csv",
    "jira_json",
    "pagerduty_json",
    "pagerduty_analytics",
    "helpdesk_csv",
]


class TicketSource(_Strict):
    """A ticket export. ``format`` names the adapter; ``options`` are passed to it."""

    name: str
    path: Path
    format: TicketFormat = "servicenow_csv"
    timezone: TimeZoneName = "UTC"
    date_order: Literal["auto", "iso", "dayfirst", "monthfirst"] = "auto"
    column_map: dict[str, str] = Field(default_factory=dict)
    priority_map: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("priority_map", mode="before")
    @classmethod
    def _priorities_upper_case(cls, value: object) -> object:
        # "p1" can only mean P1; anything else is refused by _check_ticket_sources,
        # which can name the source.
        if isinstance(value, dict):
            return {
                label: priority.strip().upper()
                if isinstance(priority, str) and priority.strip().upper() in PRIORITIES
                else priority
                for label, priority in value.items()
            }
        return value


class SurveySource(_Strict):
    """A CSAT or NPS survey export."""

    name: str
    path: Path
    kind: Literal["csat", "nps"] | None = None
    timezone: TimeZoneName = "UTC"
    date_format: str = "ISO8601"
    column_map: dict[str, str] = Field(default_factory=dict)


class ActivitySource(_Strict):
    """Usage events: activity CSV/Parquet (user_id, timestamp, feature) or an access log."""

    path: Path
    format: Literal["activity_csv", "activity_parquet", "access_log"] = "activity_csv"
    timezone: TimeZoneName = "UTC"
    date_order: Literal["auto", "iso", "dayfirst", "monthfirst"] = "auto"
    column_map: dict[str, str] = Field(default_factory=dict)


class LicenceSource(_Strict):
    """Licensed users over time (date, licensed_users), each count in force until the next."""

    path: Path
    timezone: TimeZoneName = "UTC"
    date_order: Literal["auto", "iso", "dayfirst", "monthfirst"] = "auto"
    column_map: dict[str, str] = Field(default_factory=dict)


UNTIMED_LOADTEST_FORMATS: Final = frozenset({"locust_stats", "k6_summary"})
"""Load-test formats that do not record when the run took place."""


class LoadTestSource(_Strict):
    """Load-test results: JMeter JTL, Locust CSV or k6 output.

    ``started_at`` (ISO 8601) is when the run began, for the formats that do
    not record it (:data:`UNTIMED_LOADTEST_FORMATS`); without it such a load
    test proves nothing, since its age is unknown. The other formats carry
    their own request times, and giving ``started_at`` for them is an error
    rather than a second, possibly contradicting, time.
    """

    name: str
    path: Path
    format: Literal[
        "jmeter_jtl", "locust_history", "locust_stats", "k6_summary", "k6_ndjson"
    ]
    started_at: str | None = None

    @field_validator("started_at", mode="before")
    @classmethod
    def _started_at_is_iso(cls, value: object) -> object:
        return _iso_instant(value)

    @model_validator(mode="after")
    def _started_at_only_when_the_file_has_no_time(self) -> LoadTestSource:
        if self.started_at is not None and self.format not in UNTIMED_LOADTEST_FORMATS:
            raise ValueError(
                f"loadtests '{self.name}': started_at is only for formats that do not"
                f" record when the run took place ({sorted(UNTIMED_LOADTEST_FORMATS)});"
                f" {self.format} results carry their own request times: remove"
                " started_at"
            )
        return self


class MetricSource(_Strict):
    """Metric samples: files (range-query JSON, CSV, Parquet) or a live Prometheus.

    For ``format: prometheus`` give ``url`` and ``query``; the range pulled is
    ``lookback`` before the decision time at ``step``. Credentials never go
    here: they come from ``PROMETHEUS_*`` environment variables (see README).
    ``format: prometheus_snapshot`` reads a pull saved by
    :func:`analytics.sources.prometheus.save_snapshot`: ``path`` is its folder
    or its ``manifest.json``.
    """

    name: str
    path: Path | None = None
    format: Literal[
        "prometheus_json", "csv", "parquet", "prometheus", "prometheus_snapshot"
    ] = "prometheus_json"
    metric: str | None = None
    timezone: TimeZoneName = "UTC"
    date_order: Literal["auto", "iso", "dayfirst", "monthfirst"] = "auto"
    column_map: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    query: str | None = None
    step: StepDuration = "60s"
    lookback: RangeDuration = "30d"
    verify_tls: bool = Field(default=True, strict=True)

    @field_validator("url")
    @classmethod
    def _url_without_credentials(cls, value: str | None) -> str | None:
        if value is not None:
            _check_prometheus_url(value)
        return value

    @model_validator(mode="after")
    def _where_from(self) -> MetricSource:
        if self.format == "prometheus":
            if not self.url or not self.query:
                raise ValueError(
                    f"metrics source {self.name!r}: format prometheus needs url and query"
                )
        elif self.path is None:
            raise ValueError(
                f"metrics source {self.name!r}: format {self.format} needs a path"
            )
        return self


class ChecklistSource(_Strict):
    """The launch checklist the team keeps (CSV or YAML)."""

    path: Path
    max_age_days: float = Field(default=30.0, gt=0, strict=True)
    date_order: Literal["auto", "iso", "dayfirst", "monthfirst"] = "iso"
    timezone: TimeZoneName = "UTC"


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ENDINGS = ("day", "sday", "nesday", "rsday", "day", "urday", "day")
BUSINESS_CLOCK_KINDS = ("first_response", "resolution_within_target")
"""Criterion kinds that can be judged on a business-hours clock."""
SLO_TARGET_KINDS = (
    "availability",
    "auth_success",
    "slo_ratio",
    "latency_share",
    "threshold_share",
    "error_rate",
)
"""Criterion kinds whose ``target`` is in %, above 0 and below 100; for all but
``error_rate`` (the allowed failing share) it is an objective, which must also be
above 1 % (a value like 0.999 is a ratio written where a percentage belongs)."""
SHARE_KINDS = (
    "resolution_within_target",
    "escalation_rate",
    "adoption",
    "feature_utilisation",
    "ticket_volume_range",
    "business_processes",
)
"""Criterion kinds measured as a share in %: target, alert and rollback lie in 0..100."""
CSAT_SCALE = (1.0, 5.0)
"""Kind ``csat`` is judged on the mean of 1–5 scores: its thresholds lie on that scale."""


def _clock_text(value: object) -> object:
    """Refuse a time of day YAML read as a number (``17:00`` unquoted is 1020)."""
    if isinstance(value, int) and not isinstance(value, bool):
        hours, minutes = divmod(value, 60)
        reading = (
            f" (YAML 1.1 reads an unquoted {hours}:{minutes:02d} as {hours}×60+{minutes})"
            if 0 < hours <= 24 and value >= 60
            else ""
        )
        raise ValueError(
            f"is the number {value}{reading}, not a time of day. Fix: write it in"
            ' quotes as "HH:MM", e.g. "09:00" or "17:30"'
        )
    return value


class BusinessHours(_Strict):
    """Working hours of a support clock (``criteria.<id>.business_hours``).

    Only working time in ``timezone`` counts (DST-correct), holidays none.
    """

    timezone: TimeZoneName
    opens: Annotated[str, BeforeValidator(_clock_text)] = "09:00"
    closes: Annotated[str, BeforeValidator(_clock_text)] = "17:00"
    weekdays: list[str] = Field(default_factory=lambda: list(_WEEKDAYS[:5]))
    holidays: list[str | datetime | date] = Field(default_factory=list)
    """ISO ``YYYY-MM-DD`` text, or an unquoted YAML date (``2026-12-25``)."""

    def schedule(self) -> BusinessSchedule:
        """The :class:`~analytics.business_hours.BusinessSchedule` it describes."""
        days = [_weekday(str(day)) for day in self.weekdays]
        unknown = [w for w, d in zip(self.weekdays, days, strict=True) if d is None]
        if unknown:
            raise ConfigError(
                f"weekdays has {unknown}, not day names. Fix: use Mon..Sun (or Monday..Sunday),"
                " e.g. [Mon, Tue, Wed, Thu, Fri]"
            )
        holidays = parse_holidays(self.holidays)
        return BusinessSchedule(
            self.timezone,
            self.opens,
            self.closes,
            frozenset(_WEEKDAYS.index(d) for d in days if d is not None),
            holidays,
        )

    @model_validator(mode="after")
    def _valid_schedule(self) -> BusinessHours:
        try:
            self.schedule()
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc
        return self


def _weekday(text: str) -> str | None:
    """``"Mon"``, ``"monday"`` → ``"mon"``; None when it names no weekday."""
    name = text.strip().casefold()
    for short in _WEEKDAYS:
        full = short + _WEEKDAY_ENDINGS[_WEEKDAYS.index(short)]
        if name in (short, full):
            return short
    return None


class CriterionConfig(_Strict):
    """One readiness criterion. Fields not used by its ``kind`` are ignored."""

    title: str
    kind: str
    area: str = "general"
    unit: str = ""
    op: Literal[">=", ">", "<=", "<"] = ">="
    target: float = Field(allow_inf_nan=False, strict=True)
    alert: float | None = Field(default=None, allow_inf_nan=False, strict=True)
    rollback: float | None = Field(default=None, allow_inf_nan=False, strict=True)
    lookback: PositiveDuration = "30d"
    blocking: bool = Field(default=True, strict=True)
    enabled: bool = Field(default=True, strict=True)
    source: str | None = None
    selector: dict[str, str] = Field(default_factory=dict)
    good_source: str | None = None
    total_source: str | None = None
    priority: str | None = None
    target_hours: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, strict=True
    )
    priorities: list[str] = Field(default_factory=lambda: ["P1", "P2"])
    min_coverage: float | None = Field(default=None, ge=0, le=1, strict=True)
    min_events: int = Field(default=1, ge=1, strict=True)
    params: dict[str, Any] = Field(default_factory=dict)
    """Kind-specific options, documented with each evaluator; the keys a kind
    accepts are those of :data:`~analytics.criterion_params.CRITERION_PARAMS`."""
    calendar: Literal["day", "week", "month", "quarter"] | None = None
    """When set, the evidence window is the last complete calendar period before
    the decision time (in ``timezone``) instead of the rolling ``lookback``."""
    timezone: TimeZoneName = "UTC"
    """IANA zone of the ``calendar`` periods."""
    business_hours: BusinessHours | None = None
    """When set (first_response, resolution_within_target), durations count only
    these working hours instead of the wall clock."""

    @model_validator(mode="after")
    def _business_clock_kind(self) -> CriterionConfig:
        if self.business_hours is not None and self.kind not in BUSINESS_CLOCK_KINDS:
            raise ValueError(
                f"business_hours applies to kinds {', '.join(BUSINESS_CLOCK_KINDS)},"
                f" not {self.kind!r}; remove it from this criterion"
            )
        return self

    @model_validator(mode="after")
    def _target_then_alert(self) -> CriterionConfig:
        # The target first: an alert judged against a nonsense target would name
        # the wrong problem (target -5 is not "an alert on the passing side").
        problem = _target_problem(self.kind, self.target, self.unit)
        for name in ("target", "alert", "rollback"):
            value = getattr(self, name)
            if problem is None and value is not None:
                problem = _scale_problem(self.kind, value)
            if problem is not None:
                raise _NestedValueError(name, problem)
        return self._alert_beyond_target()

    def _alert_beyond_target(self) -> CriterionConfig:
        # The alert threshold marks where a missed target becomes FAIL, so it lies
        # on the failing side of the target: WARN is the band between the two.
        if self.alert is None:
            return self
        lower_is_better = self.op in ("<", "<=")
        wrong = (
            self.alert < self.target if lower_is_better else self.alert > self.target
        )
        if wrong:
            side = "at or above" if lower_is_better else "at or below"
            raise ValueError(
                f"alert {self.alert:g} is on the passing side of target {self.target:g}"
                f" (op {self.op!r}); with this op the alert must be {side} the target,"
                " e.g. target 200 with alert 500 for '<'. Fix: swap them or remove alert"
            )
        return self

    @model_validator(mode="after")
    def _params_of_kind(self) -> CriterionConfig:
        # Unknown keys first: a duration check on a key the kind does not take
        # would name the wrong problem.
        problem = unknown_params_problem(self.kind, self.params)
        if problem is not None:
            raise _NestedValueError("params", problem)
        _check_param_types(self.kind, self.params, "params")
        _check_duration_params(self.params, "params")
        return self

    @property
    def lookback_timedelta(self) -> pd.Timedelta:
        """The evidence window's length."""
        return parse_duration(self.lookback)

    @property
    def counters(self) -> tuple[str, str, bool] | None:
        """``(numerator source, total source, numerator_is_bad)`` of a counter ratio.

        ``good_source`` + ``total_source`` count good requests; ``source`` +
        ``total_source`` count bad ones (an error counter). None when the
        criterion is not a ratio of counters (e.g. availability from ``up``).

        >>> a = {"title": "a", "kind": "availability", "target": 99.9}
        >>> CriterionConfig(**a, source="errors", total_source="requests").counters
        ('errors', 'requests', True)
        >>> CriterionConfig(**a, source="up").counters is None
        True
        """
        numerator = self.good_source or self.source
        if not self.total_source or numerator is None:
            return None
        return numerator, self.total_source, not self.good_source


def _target_problem(kind: str, target: float, unit: str) -> str | None:
    """Why ``target`` cannot be the target of a criterion of ``kind``, or None.

    >>> _target_problem("availability", 99.9, "%") is None
    True
    >>> print(_target_problem("availability", 100, "%"))  # doctest: +ELLIPSIS
    is 100, but the target of kind availability is an SLO objective in %, above 1...
    >>> print(_target_problem("availability", 0.999, "%"))  # doctest: +ELLIPSIS
    is 0.999, ... 0.999 % looks like a ratio written for a percentage (0.999 as a ratio is 99.9 %)...
    """
    if kind == "error_rate" and not 0.0 < target < 100.0:
        if target > 100:
            why = "above 100 % is not a share of requests"
        elif target == 100:
            why = "100 % allows every request to fail"
        else:
            why = "0 % or less allows no error at all, so one failed request fails it"
        return (
            f"is {target:g}, but the target of kind error_rate is the share of requests"
            f" allowed to fail, in %, above 0 and below 100: {why}. Fix: write the"
            " allowed error share in percent, e.g. 0.1"
        )
    objective = kind in SLO_TARGET_KINDS and kind != "error_rate"
    if objective and not 1.0 < target < 100.0:
        if target > 100:
            why = "above 100 % no share of good events can reach it"
        elif target == 100:
            why = "100 % leaves no error budget, so one bad minute fails it"
        elif target > 0:
            why = (
                f"{target:g} % looks like a ratio written for a percentage"
                f" ({target:g} as a ratio is {target * 100:g} %), and as a percentage"
                " almost any service would pass it"
            )
        else:
            why = "0 % or less accepts anything"
        return (
            f"is {target:g}, but the target of kind {kind} is an SLO objective in %,"
            f" above 1 and below 100: {why}. Fix: write the objective in percent,"
            " e.g. 99.9"
        )
    if target < 0:
        shown = f" {unit}" if unit else ""
        return (
            f"is {target:g}{shown}, below zero; kind {kind} measures a count, duration,"
            " share or score, which is never negative. Fix: write the target as a"
            " number from 0 up"
        )
    return None


def _scale_problem(kind: str, value: float) -> str | None:
    """Why ``value`` is off the scale of ``kind``'s measure, or None (unbounded kinds too).

    >>> print(_scale_problem("csat", 45))  # doctest: +ELLIPSIS
    is 45, but CSAT is a mean of 1–5 scores; did you mean 4.5? Fix: ...
    >>> _scale_problem("csat", 4.5) is None, _scale_problem("mttr", 900) is None
    (True, True)
    >>> print(_scale_problem("adoption", 120))  # doctest: +ELLIPSIS
    is 120, but kind adoption measures a share in %, from 0 to 100: above 100 % ...
    """
    if kind == "csat":
        low, high = CSAT_SCALE
        if low <= value <= high:
            return None
        guess = _csat_guess(value)
        hint = f" did you mean {guess:g}?" if guess is not None else ""
        example = "" if guess is not None else ", e.g. 4.5"
        return (
            f"is {value:g}, but CSAT is a mean of 1–5 scores;{hint} Fix: write the"
            f" mean score from 1 to 5{example}"
        )
    if kind in SHARE_KINDS and not 0.0 <= value <= 100.0:
        why = "above 100 % no share can reach it" if value > 100 else "below 0 %"
        return (
            f"is {value:g}, but kind {kind} measures a share in %, from 0 to 100:"
            f" {why}. Fix: write the share in percent, e.g. 90"
        )
    return None


def _csat_guess(value: float) -> float | None:
    """The 1–5 mean a CSAT threshold off the scale most likely meant, or None."""
    # The usual slips: a ratio of 5 (0.9), a 10-point scale (9), a missing
    # decimal point (45), a percentage of the top score (90).
    for low, high, factor in ((0, 1, 5), (5, 10, 0.5), (10, 50, 0.1), (50, 100, 0.05)):
        if low < value <= high:
            guess = round(value * factor, 2)
            return guess if CSAT_SCALE[0] <= guess <= CSAT_SCALE[1] else None
    return None


class PostLaunchSettings(_Strict):
    """Settings of the post-launch review (``post_launch:``); every field optional.

    ``criteria`` overrides the go-live success criteria of
    ``analytics/defaults/go_live_success.yaml`` by id (same fields as
    ``criteria:``; a new id needs a ``kind``). ``drills`` is a CSV of
    disaster-recovery drills (``drill, failover_start, failover_end,
    last_good_backup`` and optional ``rto_minutes, rpo_minutes``);
    ``rto``/``rpo`` are the objectives for rows without their own.
    ``rollback_window`` is the period over which rollback triggers are checked.
    ``anomaly_sources`` names metric sources of gauge-like series (CPU, memory,
    a latency or error-rate series) scanned for anomalies and degradation
    trends in the review window. ``alerts`` is an alert history (Alertmanager
    ``/api/v2/alerts`` JSON, or a CSV ``name, starts_at, ends_at[, labels]``)
    for the alert-noise section.
    """

    criteria: dict[str, dict[str, Any]] = Field(default_factory=dict)
    drills: Path | None = None
    anomaly_sources: list[str] = Field(default_factory=list)
    alerts: Path | None = None
    rto: Duration = "4h"
    rpo: Duration = "1h"
    rollback_window: PositiveDuration = "1h"

    @field_validator("criteria")
    @classmethod
    def _override_fields(
        cls, criteria: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        # The overrides are merged with the success criteria when the review is
        # built; the fields checked here can be judged on their own already.
        for crit_id, fields in criteria.items():
            where = str(crit_id)
            if "timezone" in fields:
                _check_field(_iana_zone, fields["timezone"], f"{where}.timezone")
            hours = fields.get("business_hours")
            if isinstance(hours, dict) and "timezone" in hours:
                _check_field(
                    _iana_zone, hours["timezone"], f"{where}.business_hours.timezone"
                )
            if "lookback" in fields:
                _check_field(
                    _positive_duration, fields["lookback"], f"{where}.lookback"
                )
            _check_success_params(where, fields)
            _check_success_target(where, fields)
        return criteria


def _check_success_params(crit_id: str, fields: dict[str, Any]) -> None:
    """A success criterion's params, judged by the kind it will have once merged.

    An override's ``params`` replace the default's whole (as any field does);
    without them, the default's params are kept, which matters when the
    override changes the kind. Params taken from the readiness criterion of the
    same kind are checked with that criterion.
    """
    default = default_criteria("go_live_success").get(crit_id, {})
    params = fields["params"] if "params" in fields else default.get("params", {})
    if not isinstance(params, dict):
        return  # a wrong type the merged criterion's validation reports
    kind = fields.get("kind", default.get("kind"))
    problem = unknown_params_problem(kind, params) if isinstance(kind, str) else None
    if problem is not None:
        if "params" not in fields:
            problem += (
                f" (these are the params of the default success criterion {crit_id},"
                f" kept because the override changes its kind but sets no params:"
                f" give params for kind {kind}, or params: {{}})"
            )
        raise _NestedValueError(f"{crit_id}.params", problem)
    if isinstance(kind, str):
        _check_param_types(kind, params, f"{crit_id}.params")
    _check_duration_params(params, f"{crit_id}.params")


def _check_success_target(crit_id: str, fields: dict[str, Any]) -> None:
    """A success criterion's target override, judged like a readiness target."""
    target = fields.get("target")
    if isinstance(target, bool) or not isinstance(target, int | float):
        return  # absent, or a wrong type the merged criterion's validation reports
    default = default_criteria("go_live_success").get(crit_id, {})
    kind = str(fields.get("kind", default.get("kind", "")))
    unit = str(fields.get("unit", default.get("unit", "")))
    problem = _target_problem(kind, float(target), unit)
    if problem is not None:
        raise _NestedValueError(f"{crit_id}.target", problem)


class ReportSettings(_Strict):
    """Texts shown on the report."""

    title: str = "Go / no-go readiness report"
    service: str = "service"


class ReadinessConfig(_Strict):
    """A whole readiness config, with paths resolved against its folder."""

    report: ReportSettings = Field(default_factory=ReportSettings)
    as_of: str | None = None
    """Decision time, ISO 8601; a date-time without an offset is UTC."""
    min_coverage: float = Field(default=0.9, ge=0, le=1, strict=True)
    max_rejected_ratio: float = Field(default=0.1, ge=0, le=1, strict=True)
    max_data_age: str = "7d"
    """A ticket, survey or activity source whose newest record is older than this
    before the decision time (or a post-launch window's end) is stale: the
    criteria measured on it are NO DATA."""
    tickets: list[TicketSource] = Field(default_factory=list)
    metrics: list[MetricSource] = Field(default_factory=list)
    surveys: list[SurveySource] = Field(default_factory=list)
    loadtests: list[LoadTestSource] = Field(default_factory=list)
    activity: ActivitySource | None = None
    licences: LicenceSource | None = None
    checklist: ChecklistSource | None = None
    post_launch: PostLaunchSettings = Field(default_factory=PostLaunchSettings)
    criteria: dict[str, CriterionConfig]
    openslo: list[Path] = Field(default_factory=list)
    """OpenSLO v1 files whose SLOs are added as criteria (see docs/config.md)."""
    source_path: Path | None = None

    @field_validator("max_data_age")
    @classmethod
    def _positive_age(cls, value: str) -> str:
        if parse_duration(value) <= pd.Timedelta(0):
            raise ValueError(
                f"max_data_age {value!r} must be a positive duration, e.g. 7d"
            )
        return value

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of_is_iso(cls, value: object) -> object:
        return _iso_instant(value)


class _NestedValueError(ValueError):
    """A bad value inside a mapping field; ``key`` is its path below that field."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _check_field(check: Any, value: object, key: str) -> None:
    """Run a value check on an entry of a mapping field; name the entry on failure."""
    if not isinstance(value, str):
        raise _NestedValueError(key, f"must be text, got {value!r}")
    try:
        check(value)
    except ValueError as exc:
        raise _NestedValueError(key, str(exc)) from exc


def _check_param_types(kind: str, params: dict[str, Any], where: str) -> None:
    """Each of ``params`` must have its type (:data:`~analytics.criterion_params.PARAM_TYPES`).

    The message names the first wrong one, its value and the fix, worded as for
    the config's own fields (:func:`_type_fix`).
    """
    wrong = wrong_type_params(kind, params)
    if not wrong:
        return
    key, expected, value = wrong[0]
    example = " (e.g. 5m) or a number of seconds" if expected == DURATION else ""
    raise _NestedValueError(
        f"{where}.{key}".lstrip("."),
        f"must be {expected}{example}, got {value!r}" + _type_fix(expected, value),
    )


def _check_duration_params(params: dict[str, Any], where: str) -> None:
    """Duration-valued ``params`` (horizon, freq, time_slice_window) must be above zero."""
    for key in DURATION_PARAMS:
        value = params.get(key)
        if isinstance(value, bool) or value is None:
            continue  # absent, or a wrong type _check_param_types reports
        if isinstance(value, int | float):
            value = f"{value}s"
        _check_field(_positive_duration, value, f"{where}.{key}".lstrip("."))


_CREDENTIALS_FIX = (
    "set PROMETHEUS_USERNAME with PROMETHEUS_PASSWORD (or PROMETHEUS_PASSWORD_FILE),"
    " or PROMETHEUS_BEARER_TOKEN (or PROMETHEUS_BEARER_TOKEN_FILE), in the"
    " environment of the run"
)


def _check_prometheus_url(url: str) -> None:
    """A Prometheus URL must be http(s), name a host and hold no credentials.

    The messages show the URL without its user, password and query string.
    """
    # Imported here: the reader is heavy and only needed for a bad URL.
    from analytics.sources.prometheus import redact_url

    try:
        parts = urlsplit(url)
        shown = redact_url(url)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:  # e.g. a port that is not a number
        raise ValueError(
            "cannot be read as a URL (not shown: it may hold credentials)."
            " Fix: write http:// or https://, the host and the port,"
            " e.g. https://prometheus.example:9090"
        ) from None
    if has_credentials:
        raise ValueError(
            f"{shown!r} carries a user name or password (not shown here);"
            " credentials never come from the config. Fix: remove them from the URL"
            f" and {_CREDENTIALS_FIX}"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{shown!r} must start with http:// or https:// and name a host."
            " Fix: write e.g. https://prometheus.example:9090"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            f"{shown!r} is followed by a query string or fragment (not shown here: it"
            " may hold a token); the API paths are appended to the URL, so nothing"
            " may follow its path. Fix: remove it, and put credentials in the"
            " environment of the run: PROMETHEUS_BEARER_TOKEN (or"
            " PROMETHEUS_BEARER_TOKEN_FILE), PROMETHEUS_USERNAME with"
            " PROMETHEUS_PASSWORD(_FILE), or a header in PROMETHEUS_HEADERS (see"
            " docs/prometheus.md, Credentials)"
        )


def default_criteria(
    name: str = "launch_plan",
) -> dict[str, dict[str, Any]]:
    """The criteria of a bundled defaults file, a fresh copy on each call.

    ``"launch_plan"`` holds the go/no-go criteria, ``"go_live_success"`` the
    post-launch review's.

    Examples
    --------
    >>> default_criteria()["availability"]["kind"]
    'availability'
    """
    text = (
        resources.files("analytics")
        .joinpath(f"defaults/{name}.yaml")
        .read_text("utf-8")
    )
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(text)["criteria"]
    return loaded


def _merge_criteria(path: Path, overrides: object) -> dict[str, dict[str, Any]]:
    criteria = default_criteria()
    if overrides is None:
        return criteria
    if not isinstance(overrides, dict):
        raise ConfigError(
            f"{path}: 'criteria' must be a mapping of criterion id to settings"
        )
    for crit_id, fields in overrides.items():
        if not isinstance(fields, dict):
            raise ConfigError(
                f"{path}: criteria.{crit_id} must be a mapping of settings, got {fields!r}"
            )
        if crit_id in criteria:
            criteria[crit_id] = merge_criterion(criteria[crit_id], fields)
        elif "kind" in fields:
            criteria[crit_id] = fields
        else:
            known = ", ".join(sorted(criteria))
            raise ConfigError(
                f"{path}: criteria.{crit_id} is not a default criterion and has no 'kind'."
                f" Fix: use one of {known}, or give a new criterion its kind, title and target"
            )
    return criteria


_ROLLING_TITLE: Final = re.compile(r" \((\d+-day) rolling\)$")


def merge_criterion(default: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """A default criterion with a config's overrides of it.

    ``params`` merge key by key (an override of one param keeps the others:
    ``{days: 14}`` on the first-week adoption criterion keeps its
    ``mode: first_week``), unless the override changes the ``kind``, whose
    params they then replace; every other field replaces the default's. A default
    title that names the window follows a changed ``lookback``.

    >>> merge_criterion({"title": "Availability (30-day rolling)", "lookback": "30d"},
    ...                 {"lookback": "3d"})["title"]
    'Availability (3-day rolling)'
    >>> merge_criterion({"params": {"mode": "first_week", "days": 7}},
    ...                 {"params": {"days": 14}})["params"]
    {'mode': 'first_week', 'days': 14}
    """
    merged = {**default, **fields}
    same_kind = fields.get("kind", default.get("kind")) == default.get("kind")
    if (
        same_kind
        and isinstance(default.get("params"), dict)
        and isinstance(fields.get("params"), dict)
    ):
        merged["params"] = {**default["params"], **fields["params"]}
    title, lookback = str(default.get("title", "")), fields.get("lookback")
    if "title" not in fields and lookback is not None and _ROLLING_TITLE.search(title):
        days = re.fullmatch(r"\s*(\d+)\s*d\s*", str(lookback))
        window = f"{days.group(1)}-day" if days else str(lookback).strip()
        merged["title"] = _ROLLING_TITLE.sub(f" ({window} rolling)", title)
    return merged


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    for key in ("tickets", "metrics", "surveys", "loadtests"):
        for entry in raw.get(key) or []:
            if isinstance(entry, dict) and "path" in entry:
                entry["path"] = str((base / str(entry["path"])).resolve())
    for key in ("checklist", "activity", "licences"):
        single = raw.get(key)
        if isinstance(single, dict) and "path" in single:
            single["path"] = str((base / str(single["path"])).resolve())
    post_launch = raw.get("post_launch")
    if isinstance(post_launch, dict):
        for key in ("drills", "alerts"):
            if post_launch.get(key):
                post_launch[key] = str((base / str(post_launch[key])).resolve())
    if isinstance(raw.get("openslo"), list):
        raw["openslo"] = [str((base / str(p)).resolve()) for p in raw["openslo"]]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _key_path(loc: tuple[int | str, ...]) -> str:
    """``("tickets", 0, "timezone")`` → ``"tickets[0].timezone"``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def error_location(item: ErrorDetails) -> str:
    """Key path of one validation error, the key inside a mapping field included.

    ``("criteria", "csat")`` with a problem in its ``params`` gives
    ``"criteria.csat.params"``; ``""`` for an error of the whole model.
    """
    where = _key_path(item["loc"])
    cause = item.get("ctx", {}).get("error")
    if isinstance(cause, _NestedValueError):
        where = f"{where}.{cause.key}".lstrip(".")
    return where


_EXPECTED_OF_ERROR: Final[Mapping[str, str]] = {
    "float_type": NUMBER,
    "int_type": NUMBER,
    "bool_type": SWITCH,
    "string_type": TEXT,
}
"""The type a pydantic type error asks for, worded as criterion params' types."""


def _type_fix(expected: str, value: object) -> str:
    """The fix for ``value`` where ``expected`` belongs, or ``""``.

    ``expected`` is a pydantic error type (``"float_type"``) or the type of a
    criterion param (:data:`~analytics.criterion_params.NUMBER`, ...).
    Numbers and switches are read strictly: YAML gives ``0.5`` and ``true``
    their types, so a quoted ``'0.5'`` or a ``true`` where a share belongs is a
    slip that lax coercion would turn into a silent 1.0 (``max_rejected_ratio:
    true`` would accept every row rejected).

    >>> _type_fix("float_type", "99.5%")
    '. Fix: write the number without the % sign, e.g. 99.5'
    >>> _type_fix("bool_type", "no")
    '. Fix: write true or false, without quotes'
    >>> _type_fix(NUMBER, "0.99")
    '. Fix: write the number without quotes, e.g. 0.99'
    >>> _type_fix(NUMBER, True)
    '. Fix: write a number here, not true/false'
    """
    expected = _EXPECTED_OF_ERROR.get(expected, expected)
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip().removesuffix("%").strip()
        example = number if _is_number(number) else "99.95"
        return f". Fix: write the number without the % sign, e.g. {example}"
    if expected == SWITCH:
        return ". Fix: write true or false, without quotes"
    if expected == NUMBER and isinstance(value, str) and _is_number(value):
        return f". Fix: write the number without quotes, e.g. {value.strip()}"
    if expected in (NUMBER, DURATION) and isinstance(value, bool):
        return f". Fix: write {expected} here, not true/false"
    if expected == TEXT and isinstance(value, bool):
        return (
            ". Fix: write text here, not true/false (YAML reads a bare yes, no, on"
            " or off as true/false: quote such a word, e.g. 'no')"
        )
    if (
        expected == TEXT
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return ". Fix: write text here; a duration needs its unit, e.g. 7d or 12h"
    return ""


def _format_validation(path: Path, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = error_location(item)
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            problems.append(f"unknown key '{where}' (check its spelling)")
        elif item["type"] == "value_error":
            # Our validators name the value themselves (a URL without its secret).
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        elif isinstance(value, dict | list):
            # A whole mapping is not repeated: it can hold a URL with a secret.
            problems.append(f"{where}: {item['msg']}")
        else:
            problem = f"'{where}': {item['msg']} (got {value!r})"
            problem += _type_fix(item["type"], value)
            problems.append(problem)
    return f"{path}: invalid config: " + "; ".join(problems)


def _validated(path: Path, raw: dict[str, Any]) -> ReadinessConfig:
    try:
        return ReadinessConfig.model_validate(raw)
    except ValidationError as exc:
        if not _may_hold_secret(exc):
            raise ConfigError(_format_validation(path, exc)) from exc
        message = _format_validation(path, exc)
    # Raised outside the handler, so that no traceback (--debug) shows pydantic's
    # own text, which repeats the URL with its credentials.
    raise ConfigError(message)


def _may_hold_secret(error: ValidationError) -> bool:
    """Whether the error's own text could show a URL (pydantic repeats each input)."""
    return any("url" in item["loc"] for item in error.errors())


def load_config(path: str | Path) -> ReadinessConfig:
    """Read and validate a readiness config.

    Parameters
    ----------
    path
        The YAML file. Relative paths inside it are resolved against its folder.

    Raises
    ------
    ConfigError
        The file is missing, not YAML, or has an unknown key or a bad value;
        the message names the key and the fix.

    Examples
    --------
    >>> cfg = load_config("data/demo/readiness.yaml")  # doctest: +SKIP
    >>> cfg.criteria["availability"].target  # doctest: +SKIP
    99.9
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: config file not found (working directory {Path.cwd()})."
            " Fix: pass the path of an existing YAML file, e.g. data/demo/readiness.yaml"
        )
    try:
        raw = load_yaml(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a YAML mapping at the top level")

    raw["criteria"] = _merge_criteria(path, raw.get("criteria"))
    _resolve_paths(raw, path.parent)
    raw["source_path"] = str(path.resolve())
    config = _validated(path, raw)
    if config.openslo:
        # Imported here: the SLO evaluators import this module.
        from analytics.evaluators_slo import openslo_criteria

        criteria = dict(config.criteria)
        for file in config.openslo:
            # One file at a time, so that an SLO the criteria refuse names its file.
            one = config.model_copy(update={"criteria": criteria, "openslo": [file]})
            try:
                criteria = openslo_criteria(one, path)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = _key_path(first["loc"])
                message = str(first["msg"]).removeprefix("Value error, ")
                raise ConfigError(
                    f"{path}: openslo file {file}: an SLO gives an invalid criterion:"
                    f" {where + ': ' if where else ''}{message}"
                ) from None
        config = config.model_copy(update={"criteria": criteria})
    _check_references(path, config)
    _check_counter_queries(path, config)
    _check_ticket_sources(path, config)
    return config


_SOURCE_GROUPS: Final[Mapping[str, tuple[str, ...]]] = {
    **dict.fromkeys(
        (
            "availability",
            "latency_p95",
            "latency_share",
            "error_rate",
            "auth_success",
            "slo_ratio",
            "threshold_share",
            "capacity_headroom",
        ),
        ("metrics",),
    ),
    **dict.fromkeys(
        (
            "mttd",
            "mttr",
            "incident_response",
            "first_response",
            "escalation_rate",
            "resolution_within_target",
        ),
        ("tickets",),
    ),
    "csat": ("surveys", "tickets"),
    "throughput": ("loadtests",),
}
"""Which config sections a criterion kind's ``source`` / ``good_source`` /
``total_source`` may name; kinds not listed may name any source."""


def _check_references(path: Path, config: ReadinessConfig) -> None:
    names = [
        s.name
        for group in (config.tickets, config.metrics, config.surveys, config.loadtests)
        for s in group
    ]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ConfigError(
            f"{path}: source names must be unique; repeated: {sorted(duplicates)}"
        )
    groups = {
        "metrics": [s.name for s in config.metrics],
        "tickets": [s.name for s in config.tickets],
        "surveys": [s.name for s in config.surveys],
        "loadtests": [s.name for s in config.loadtests],
    }
    for crit_id, crit in config.criteria.items():
        wanted = _SOURCE_GROUPS.get(crit.kind, tuple(groups))
        allowed = [name for group in wanted for name in groups[group]]
        for key in ("source", "good_source", "total_source"):
            ref = getattr(crit, key)
            if ref is None or ref in allowed:
                continue
            under = " or ".join(f"{group}:" for group in wanted)
            found = next((g for g, members in groups.items() if ref in members), None)
            why = (
                f"which is a {found} source, but kind {crit.kind} reads {under} sources"
                if found
                else "which is not defined"
            )
            choices = (
                f"one of {allowed}" if allowed else f"a source you add under {under}"
            )
            raise ConfigError(
                f"{path}: criteria.{crit_id}.{key} is {ref!r}, {why}. Fix: use {choices}"
            )
        if crit.unit == "%" and crit.op in (">=", ">") and crit.target > 100:
            raise ConfigError(
                f"{path}: criteria.{crit_id}.target is {crit.target}, above 100 %."
                " Fix: give percentages as numbers from 0 to 100, e.g. 99.9"
            )
    metric_names = [s.name for s in config.metrics]
    defined = ", ".join(metric_names) if metric_names else "none defined"
    for ref in config.post_launch.anomaly_sources:
        if ref not in metric_names:
            raise ConfigError(
                f"{path}: post_launch.anomaly_sources names {ref!r}, which is not a"
                f" metrics source (defined: {defined})."
                " Fix: use the name of a source under metrics:"
            )


# --- queries of counter sources ---------------------------------------------------------

COUNTER_RATIO_KINDS: Final = ("availability", "error_rate", "auth_success", "slo_ratio")
"""Kinds that take the increase of request counters (when ``total_source`` is set)."""
HISTOGRAM_KINDS: Final = ("latency_p95", "latency_share")
"""Kinds that take the increase of histogram ``*_bucket`` counters (``source``)."""

_AGGREGATIONS: Final = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)
_RANGE_FUNCTIONS: Final = frozenset(
    {
        "rate",
        "irate",
        "increase",
        "delta",
        "idelta",
        "deriv",
        "predict_linear",
        "resets",
        "changes",
        "holt_winters",
        "double_exponential_smoothing",
        "histogram_quantile",
        "histogram_count",
        "histogram_sum",
        "histogram_avg",
        "histogram_fraction",
        "histogram_stddev",
        "histogram_stdvar",
    }
)
_GROUPING: Final = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right"}
)
_KEYWORDS: Final = _GROUPING | {"bool", "offset", "and", "or", "unless", "atan2"}
_BINARY: Final = frozenset(
    {"+", "-", "*", "/", "%", "^", "==", "!=", "<=", ">=", "<", ">"}
)
_PROMQL_TOKEN = re.compile(
    r"""(?P<space>\s+|\#[^\n]*)
    |(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
    |(?P<number>(?:0[xX][0-9a-fA-F]+|\d*\.?\d+(?:[eE][+-]?\d+)?)[a-zA-Z0-9_.]*)
    |(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    |(?P<op>==|!=|<=|>=|=~|!~|[-+*/%^<>=@,()\[\]{}])""",
    re.VERBOSE,
)


_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_KIND_TEXT: Final = {
    "aggregation": "an aggregation",
    "range function": "a range function",
}


def _promql_tokens(query: str) -> list[str] | None:
    """The query's tokens, ``{...}`` and ``[...]`` kept whole; None if unreadable.

    >>> _promql_tokens('sum by (job) (x{a="b}"}[5m])')
    ['sum', 'by', '(', 'job', ')', '(', 'x', '{a="b}"}', '[5m]', ')']
    """
    tokens: list[str] = []
    position = 0
    group_start, closer = -1, ""
    while position < len(query):
        match = _PROMQL_TOKEN.match(query, position)
        if match is None:
            return None
        position = match.end()
        if match.lastgroup == "space":
            continue
        text = match.group()
        if closer:  # inside {...} or [...]: kept as one token
            if text == closer:
                tokens.append(query[group_start:position])
                closer = ""
            continue
        if text in ("{", "["):
            group_start, closer = match.start(), "}" if text == "{" else "]"
            continue
        tokens.append(text)
    return None if closer else tokens


def _closing(tokens: Sequence[str], opening: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``opening``; -1 if there is none."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index] == "(":
            depth += 1
        elif tokens[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _operands(tokens: Sequence[str]) -> list[list[str]] | None:
    """The operands of a binary expression whose values reach the result.

    The right side of ``and`` / ``unless`` only filters, and the "one" side of
    ``group_left`` / ``group_right`` only adds labels: both are left out.
    """
    operands: list[list[str]] = [[]]
    skip: set[int] = set()
    filtering = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "(":
            end = _closing(tokens, index)
            if end < 0:
                return None
            operands[-1].extend(tokens[index : end + 1])
            index = end + 1
            continue
        word = token.lower()  # PromQL keywords ignore case: SUM, By, AND
        binary = token in _BINARY or word in ("and", "or", "unless", "atan2")
        if not binary or not operands[-1] or operands[-1][-1] in ("offset", "@"):
            operands[-1].append(token)  # unary sign, or part of an operand
            index += 1
            continue
        if word in ("and", "unless"):
            filtering = True
        elif word == "or":
            filtering = False
        if filtering:
            skip.add(len(operands))
        index += 1
        # Modifiers after the operator: bool, on(...)/ignoring(...), group_x(...).
        while index < len(tokens) and tokens[index].lower() in _KEYWORDS - {"offset"}:
            word = tokens[index].lower()
            index += 1
            if word in _GROUPING and index < len(tokens) and tokens[index] == "(":
                end = _closing(tokens, index)
                if end < 0:
                    return None
                index = end + 1
            if word == "group_left":
                skip.add(len(operands))
            elif word == "group_right":
                skip.add(len(operands) - 1)
        operands.append([])
    return [part for n, part in enumerate(operands) if part and n not in skip]


def _outer_operation(tokens: Sequence[str]) -> tuple[str, str] | None:
    """``(name, "aggregation" | "range function")`` of the first outermost operation
    that makes a counter's samples something else; None for a plain series."""
    parts = _operands(tokens)
    if parts is None:
        return None
    if len(parts) > 1:
        for part in parts:
            found = _outer_operation(part)
            if found is not None:
                return found
        return None
    if not parts:
        return None
    part = parts[0]
    while part and part[0] in ("-", "+"):
        part = part[1:]
    if not part:
        return None
    head = part[0]
    if head == "(":
        end = _closing(part, 0)
        return _outer_operation(part[1:end]) if end > 0 else None
    following = part[1].lower() if len(part) > 1 else ""
    if head.lower() in _AGGREGATIONS and following in ("(", "by", "without"):
        return head.lower(), "aggregation"
    if following != "(":
        return None  # a selector or a recording rule's name, perhaps with modifiers
    if head in _RANGE_FUNCTIONS or head.endswith("_over_time"):
        return head, "range function"
    # Another function (abs, clamp_min, label_replace, ...): look at its first
    # argument, the vector it works on.
    end = _closing(part, 1)
    if end < 0:
        return None
    argument: list[str] = []
    depth = 0
    for token in part[2:end]:
        depth += token == "("
        depth -= token == ")"
        if token == "," and depth == 0:
            break
        argument.append(token)
    return _outer_operation(argument)


def _selector_example(tokens: Sequence[str]) -> str:
    """The first series selector in the query, to show as the raw series to ask for."""
    index = 0
    while index < len(tokens):
        token, word = tokens[index], tokens[index].lower()
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if word in _GROUPING and following == "(":
            index = _closing(tokens, index + 1) + 1 or len(tokens)
            continue
        if token.startswith("{"):
            return token
        called = following == "(" or (
            word in _AGGREGATIONS and following.lower() in ("by", "without")
        )
        if _IDENT.fullmatch(token) and word not in _KEYWORDS and not called:
            return token + (following if following.startswith("{") else "")
        index += 1
    return ""


def counter_query_problem(query: str) -> str | None:
    """Why a query cannot feed a counter's increase, or None when it can.

    The engine takes each series' increase (counter resets handled per
    series) and sums afterwards, so a counter source must return the raw
    counter series. A query whose outermost operation aggregates series (sum,
    avg, max, ... with or without by/without) or evaluates a range function
    (rate, increase, *_over_time, histogram_quantile, ...) returns something
    else. Selectors, recording-rule names and per-series functions pass.

    Examples
    --------
    >>> counter_query_problem('app_requests_total{job="api"}') is None
    True
    >>> counter_query_problem("job:app_requests:sum") is None
    True
    >>> counter_query_problem('sum by (job) (app_requests_total)')[:43]
    'returns the result of sum(), an aggregation'
    >>> counter_query_problem('rate(app_requests_total[5m])')[:46]
    'returns the result of rate(), a range function'
    """
    tokens = _promql_tokens(query)
    if not tokens:
        return None  # not readable here: the server reports a syntax error
    found = _outer_operation(tokens)
    if found is None:
        return None
    name, kind = found
    if kind == "aggregation":
        why = (
            "a sum (or any aggregate) of counters drops whenever one of the series"
            " resets (a restart), the drop reads as a reset of the whole total and"
            " the requests counted are wrong"
        )
    else:
        why = (
            f"{name}() turns the counter into a rate, a per-window increase or a"
            " summary, not the running total whose increase counts the requests"
        )
    example = _selector_example(tokens)
    shown = f", e.g. {example!r}" if example else ""
    return (
        f"returns the result of {name}(), {_KIND_TEXT[kind]}, not the raw"
        f" counter series: {why}. Fix: query"
        f" the raw counter series{shown}; the engine takes the increase of each"
        " series with its own resets and sums afterwards"
    )


def _counter_readers(config: ReadinessConfig) -> dict[str, list[str]]:
    """Metrics source name -> the criteria (``criteria.<id>``) that read it as counters."""
    readers: dict[str, list[str]] = {}

    def add(where: str, kind: str, fields: Mapping[str, Any]) -> None:
        names: list[object] = []
        if kind in COUNTER_RATIO_KINDS and fields.get("total_source"):
            numerator = fields.get("good_source") or fields.get("source")
            names = [numerator, fields.get("total_source")] if numerator else []
        elif kind in HISTOGRAM_KINDS:
            names = [fields.get("source")]
        for name in names:
            if isinstance(name, str):
                readers.setdefault(name, []).append(where)

    for crit_id, crit in config.criteria.items():
        if crit.enabled:
            add(f"criteria.{crit_id}", crit.kind, crit.model_dump())
    success = default_criteria("go_live_success")
    for crit_id, fields in config.post_launch.criteria.items():
        kind = fields.get("kind", success.get(crit_id, {}).get("kind", ""))
        if fields.get("enabled", True) is not False:
            add(f"post_launch.criteria.{crit_id}", str(kind), fields)
    return readers


def _check_counter_queries(path: Path, config: ReadinessConfig) -> None:
    """A live source read as counters must query the raw counter series."""
    readers = _counter_readers(config)
    for index, source in enumerate(config.metrics):
        if source.format != "prometheus" or source.query is None:
            continue
        if source.name not in readers:
            continue
        problem = counter_query_problem(source.query)
        if problem is None:
            continue
        first = readers[source.name][0]
        raise ConfigError(
            f"{path}: metrics source {source.name!r} (metrics[{index}].query) is read"
            f" as counters by {', '.join(readers[source.name])}, but its query"
            f" {source.query!r} {problem}; to keep only some series use"
            f" {first}.selector, e.g. {{job: api}}"
        )


def _check_ticket_sources(path: Path, config: ReadinessConfig) -> None:
    """``priority_map`` values must be P1..P4, ``options`` ones the format's reader takes.

    Checked here rather than when the export is read, so that check-config
    refuses them too and a report stops before reading anything.
    """
    for source in config.tickets:
        where = f"{path}: tickets[{source.name!r}]"
        for label, priority in source.priority_map.items():
            if priority not in PRIORITIES:
                raise ConfigError(
                    f"{where}.priority_map maps {label!r} to {priority!r}, which is not"
                    f" a priority. Fix: map each label to one of {', '.join(PRIORITIES)}"
                    f" (P1 the most urgent), e.g. {{{label!r}: P1}}"
                )
    if not config.tickets:
        return
    # Imported here: the readers are heavy and only their signatures are needed.
    from analytics.evidence import (
        TICKET_SOURCE_SETTINGS,
        ticket_reader_options,
        ticket_reader_settings,
    )

    for source in config.tickets:
        used = ticket_reader_settings(source.format)
        ignored = sorted(
            key
            for key in set(TICKET_SOURCE_SETTINGS) & source.model_fields_set
            if key not in used and getattr(source, key)
        )
        if ignored:
            hint = (
                " (its dates are read with options.date_format)"
                if source.format == "jira_csv" and "date_order" in ignored
                else ""
            )
            raise ConfigError(
                f"{path}: tickets[{source.name!r}] sets {ignored}, which format"
                f" {source.format} does not use{hint}. Fix: remove"
                f" {'it' if len(ignored) == 1 else 'them'}"
            )
        urgency = source.options.get("urgency_map") or {}
        if not isinstance(urgency, dict):
            continue
        for label, priority in urgency.items():
            if priority not in PRIORITIES:
                raise ConfigError(
                    f"{path}: tickets[{source.name!r}].options.urgency_map maps"
                    f" {label!r} to {priority!r}, which is not a priority. Fix: map"
                    f" each urgency to one of {', '.join(PRIORITIES)}, e.g."
                    f" {{{label!r}: P1}}"
                )

    for source in (s for s in config.tickets if s.options):
        where = f"{path}: tickets[{source.name!r}].options"
        own_keys = sorted(set(source.options) & set(TICKET_SOURCE_SETTINGS))
        if own_keys:
            raise ConfigError(
                f"{where} sets {own_keys}, which the source has keys for."
                f" Fix: move them out of options, e.g. tickets[{source.name!r}]."
                f"{own_keys[0]}"
            )
        accepted = ticket_reader_options(source.format)
        unknown = sorted(set(source.options) - set(accepted))
        if unknown:
            offer = (
                f"use only {accepted}" if accepted else "remove options: it takes none"
            )
            raise ConfigError(
                f"{where} has {unknown}, not an option of format {source.format}"
                f" (it accepts {accepted or 'none'}). Fix: {offer}"
            )


def named_files(config: ReadinessConfig) -> list[tuple[str, Path]]:
    """Every file (or folder) the config names, with where: ``("checklist", path)``.

    Live Prometheus sources name no file and are left out.

    Examples
    --------
    >>> named_files(load_config("data/demo/readiness.yaml"))[0]  # doctest: +SKIP
    ("tickets 'servicenow'", PosixPath('.../incident_event_log.csv.gz'))
    """
    named: list[tuple[str, Path | None]] = [
        *((f"tickets '{s.name}'", s.path) for s in config.tickets),
        *(
            (f"metrics '{s.name}'", s.path)
            for s in config.metrics
            if s.format != "prometheus"
        ),
        *((f"surveys '{s.name}'", s.path) for s in config.surveys),
        *((f"loadtests '{s.name}'", s.path) for s in config.loadtests),
        ("checklist", config.checklist.path if config.checklist else None),
        ("activity", config.activity.path if config.activity else None),
        ("licences", config.licences.path if config.licences else None),
        ("post_launch.drills", config.post_launch.drills),
        ("post_launch.alerts", config.post_launch.alerts),
        *((f"openslo[{i}]", p) for i, p in enumerate(config.openslo)),
    ]
    return [(where, path) for where, path in named if path is not None]


def missing_files(config: ReadinessConfig) -> list[str]:
    """Every file the config names that does not exist (or is a folder where a
    file is expected), as ``"where: path"`` lines.

    Examples
    --------
    >>> missing_files(load_config("data/demo/readiness.yaml"))  # doctest: +SKIP
    []
    """
    # Only these read a folder: a dump of JSON answers, or a saved snapshot.
    folders_ok = {
        f"metrics '{s.name}'"
        for s in config.metrics
        if s.format in ("prometheus_json", "prometheus_snapshot")
    }
    problems = []
    for where, path in named_files(config):
        if not path.exists():
            problems.append(f"{where}: {path}")
        elif path.is_dir() and where not in folders_ok:
            problems.append(f"{where}: {path} (a folder, not a file)")
    return problems
