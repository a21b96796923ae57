"""SLO sections of the go / no-go report: summary, budget burn-down, burn-rate alerts.

Each function takes a :class:`~analytics.report.go_no_go.GoNoGoReport` and
returns :class:`~analytics.report.html.Html` to display, charts included
(made with ``report.chart`` so that plotly.js is inlined once per report).
They cover every enabled criterion of kind ``availability``:

* with ``total_source`` and ``good_source`` (or ``source``, an error counter),
  the *occurrences* method: :func:`analytics.metrics.slo.availability_from_counters`
  (:func:`~analytics.metrics.slo.availability_from_error_counters`);
* with ``source`` alone (an ``up``-style series), the *timeslices* method:
  :func:`analytics.metrics.slo.availability_from_up`.

The summary (:func:`slo_summary`) also covers the request-level SLOs that
have a budget of their own: ``latency_share`` criteria (share of requests
under a latency threshold, from histogram buckets:
:func:`analytics.evaluators_slo.latency_share_result`) and ``slo_ratio`` /
``auth_success`` criteria budgeted by time slices
(:func:`analytics.evaluators_slo.counter_slice_slo`) and ``threshold_share``
criteria (a gauge-like metric against a threshold, OpenSLO thresholdMetric:
:func:`analytics.evaluators_slo.threshold_share_result`). The burn-down and the
burn-rate alerts stay with the availability criteria.

The figures are recomputed with the same functions, window and target the
evaluator uses (:func:`analytics.evaluators_slo.evidence_window`: the rolling
lookback or the last complete calendar period), so they match the criteria
table. A criterion without a source, or whose source could not be read during
the run (``evidence.unavailable``), gets a note saying so, never an exception.
Every text that comes from the config or the data (titles, source names,
queries, label values, notes) is escaped.

Examples
--------
>>> from analytics.report.go_no_go import build_go_no_go  # doctest: +SKIP
>>> report = build_go_no_go("readiness.yaml", as_of="2024-05-03")  # doctest: +SKIP
>>> slo_summary(report)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.config import CriterionConfig, MetricSource, parse_duration
from analytics.criterion_params import param
from analytics.errors import AnalyticsError
from analytics.evaluators_slo import (
    counter_frames,
    counter_slice_slo,
    evidence_window,
    latency_share_result,
    slice_settings,
    threshold_share_result,
)
from analytics.frames import to_pandas
from analytics.metrics.burn import (
    BurnWindow,
    error_ratio_thresholds,
    evaluate_alerts_over_history,
    max_burn_rate,
    scaled_policy,
    unreachable_alerts,
)
from analytics.metrics.slo import (
    THRESHOLD_OPS,
    SLOResult,
    availability_from_counters,
    availability_from_error_counters,
    availability_from_up,
    availability_timeline,
)
from analytics.readiness import CriterionResult
from analytics.report.html import Html, chart_text, esc, table
from analytics.sources.prometheus import PARTIAL_NOTE_PREFIX, redact_url

if TYPE_CHECKING:
    from analytics.report.go_no_go import GoNoGoReport

__all__ = ["budget_burndown", "burn_rate_alerts", "slo_summary"]

_CHART_POINTS = 1500
"""At most this many points per line in a chart (the HTML stays small)."""

_MAX_FIRINGS_LISTED = 40
"""Firings listed one by one; the per-window summary counts them all."""

_DAY_SECONDS = 86_400.0


# --- what each availability criterion is measured from ------------------------------


@dataclass
class _Subject:
    """One SLO criterion, its window and its evidence (or why there is none)."""

    crit_id: str
    config: CriterionConfig
    start: pd.Timestamp
    end: pd.Timestamp
    result: CriterionResult | None
    # "counters", "up", "slices" (counters by time slices), "latency" (buckets) or
    # "threshold" (a gauge against a threshold); empty when there is a problem.
    method: str = ""
    # With method "counters": the numerator counts good requests, or bad ones
    # (an error counter) when numerator_is_bad.
    good: pd.DataFrame | None = None
    total: pd.DataFrame | None = None
    numerator_is_bad: bool = False
    up: pd.DataFrame | None = None
    sources: tuple[str, ...] = ()
    problem: str = ""
    load_notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Title and id, as shown in headings (not escaped)."""
        return f"{self.config.title} ({self.crit_id})"

    @property
    def target(self) -> float:
        """Objective as a ratio (config targets are percentages)."""
        return self.config.target / 100.0


_SLICE_KINDS = ("slo_ratio", "auth_success")
_SUMMARY_ONLY = ("slices", "latency", "threshold")


def _subjects(report: GoNoGoReport, *, every_slo: bool = False) -> list[_Subject]:
    """Availability criteria; with ``every_slo`` also latency-share and slice SLOs."""
    evidence = report.evidence
    results = {r.criterion.criterion_id: r for r in report.results}
    subjects = []
    for crit_id, config in evidence.config.criteria.items():
        method = _method(crit_id, config) if config.enabled else None
        if method is None or (method in _SUMMARY_ONLY and not every_slo):
            continue
        start, end = evidence_window(config, evidence.as_of)
        subject = _Subject(
            crit_id=crit_id,
            config=config,
            start=start,
            end=end,
            result=results.get(crit_id),
            method=method,
        )
        subject.sources = _subject_sources(config, method)
        if not subject.sources:
            subject.problem = (
                "no metric source is configured: set good_source and total_source"
                " (request counters) or source (an up-style series)"
            )
            subject.method = ""
            subjects.append(subject)
            continue
        down = [
            f"{name}: {evidence.unavailable[name]}"
            for name in subject.sources
            if name in evidence.unavailable
        ]
        missing = [
            name
            for name in subject.sources
            if name not in evidence.metrics and name not in evidence.unavailable
        ]
        if down:
            subject.problem = "source unavailable during this run; " + "; ".join(down)
        elif missing:
            subject.problem = f"no samples were read for source(s) {', '.join(missing)}"
        if subject.problem:
            subject.method = ""
            subjects.append(subject)
            continue
        frames = [to_pandas(evidence.metrics[name].frame) for name in subject.sources]
        for name in subject.sources:
            subject.load_notes.extend(
                f"{name}: {note}"
                for note in evidence.metrics[name].notes
                if note.startswith(PARTIAL_NOTE_PREFIX)
            )
        if subject.method == "counters":
            subject.good, subject.total = (
                to_pandas(f) for f in counter_frames(config, evidence)
            )
            subject.numerator_is_bad = bool(config.counters and config.counters[2])
        elif subject.method == "up":
            subject.up = frames[0]
        subjects.append(subject)
    return subjects


def _method(crit_id: str, config: CriterionConfig) -> str | None:
    """How a criterion's SLO is computed here, or None when it is not an SLO shown."""
    if config.kind == "availability":
        return "counters" if config.counters is not None or not config.source else "up"
    if config.kind == "latency_share":
        return "latency"
    if config.kind == "threshold_share":
        return "threshold"
    if config.kind in _SLICE_KINDS:
        try:
            return "slices" if slice_settings(crit_id, config) is not None else None
        except AnalyticsError:
            return None  # the criteria table already says what is wrong
    return None


def _subject_sources(config: CriterionConfig, method: str) -> tuple[str, ...]:
    if method == "counters" and config.counters is not None:
        return config.counters[:2]
    if method == "up" and config.source:
        return (config.source,)
    if method in ("latency", "threshold") and config.source:
        return (config.source,)
    numerator = config.good_source or config.source
    if method == "slices" and numerator and config.total_source:
        return (numerator, config.total_source)
    return ()


def _slo(subject: _Subject, report: GoNoGoReport) -> SLOResult:
    """The same computation as the criterion's evaluator."""
    evidence = report.evidence
    if subject.method == "latency":
        return latency_share_result(subject.crit_id, subject.config, evidence)
    if subject.method == "threshold":
        return threshold_share_result(subject.crit_id, subject.config, evidence)
    if subject.method == "slices":
        settings = slice_settings(subject.crit_id, subject.config)
        assert settings is not None
        return counter_slice_slo(subject.config, evidence, settings)[0]
    if subject.method == "counters":
        count = (
            availability_from_error_counters
            if subject.numerator_is_bad
            else availability_from_counters
        )
        return count(
            subject.good,
            subject.total,
            window_start=subject.start,
            window_end=subject.end,
            target=subject.target,
        )
    return availability_from_up(
        subject.up,
        window_start=subject.start,
        window_end=subject.end,
        target=subject.target,
        selector=subject.config.selector or None,
    )


_ROLES = {
    "counters": ("good", "total"),
    "up": ("up",),
    "latency": ("buckets",),
    "threshold": ("metric",),
}
_UNITS = {
    "counters": "events",
    "up": "slots",
    "slices": "slices",
    "latency": "requests",
    "threshold": "data points",
}


def _source_lines(report: GoNoGoReport, subject: _Subject) -> list[str]:
    """One escaped line per source: its query and server, or its file."""
    configured: dict[str, MetricSource] = {
        s.name: s for s in report.evidence.config.metrics
    }
    roles = _ROLES.get(
        subject.method,
        ("good" if subject.config.good_source else "bad", "total"),
    )
    if subject.method == "counters" and subject.numerator_is_bad:
        roles = ("bad", "total")
    lines = []
    for role, name in zip(roles, subject.sources, strict=False):
        source = configured.get(name)
        if source is None:
            lines.append(f"{esc(role)}: <code>{esc(name)}</code>")
        elif source.format == "prometheus":
            lines.append(
                f"{esc(role)}: <code>{esc(name)}</code>, PromQL"
                f" <code>{esc(source.query)}</code> at {esc(redact_url(source.url or ''))},"
                f" step {esc(source.step)}, lookback {esc(source.lookback)}"
            )
        else:
            shown = source.path.name if source.path is not None else ""
            lines.append(
                f"{esc(role)}: <code>{esc(name)}</code>, file {esc(shown)}"
                f" ({esc(source.format)})"
            )
    return lines


# --- formatting ----------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value * 100:.{digits}f} %"


def _minutes(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    return f"{seconds / 60:,.1f} min"


def _when(stamp: object) -> str:
    if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp):
        return ""
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def _hours(seconds: float) -> str:
    if seconds >= _DAY_SECONDS:
        return f"{seconds / 3600:,.1f} h ({seconds / _DAY_SECONDS:.1f} d)"
    return f"{seconds / 3600:,.2f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def _window_length(subject: _Subject) -> str:
    """The evidence window's real length: ``30d``, ``7d``, ``743h`` (a month with DST).

    For a calendar criterion the period named too: its length is not the
    ``lookback``, which such a criterion does not use.
    """
    seconds = round((subject.end - subject.start).total_seconds())
    if seconds % 86_400 == 0:
        length = f"{seconds // 86_400}d"
    elif seconds % 3600 == 0:
        length = f"{seconds // 3600}h"
    elif seconds % 60 == 0:
        length = f"{seconds // 60}m"
    else:
        length = f"{seconds}s"
    config = subject.config
    if config.calendar is None:
        return length
    return f"{length}, calendar {config.calendar} in {config.timezone}"


def _note(text: str) -> str:
    return f'<p class="box">{esc(text)}</p>'


def _heading(subject: _Subject) -> str:
    status = str(subject.result.status) if subject.result is not None else ""
    badge = (
        f' <span class="st st-{esc(status.replace(" ", "-"))}">{esc(status)}</span>'
        if status
        else ""
    )
    return f"<h4>{esc(subject.label)}{badge}</h4>"


def _wrap(parts: Sequence[str]) -> Html:
    return Html('<div class="rr rr-slo">' + "".join(parts) + "</div>")


def _no_subjects() -> Html:
    return _wrap(
        [
            _note(
                "No availability or other SLO criterion is enabled, so there is no SLO"
                " to show."
                " Add criteria.availability with good_source and total_source"
                " (request counters) or source (an up-style series)."
            )
        ]
    )


# --- 1. summary ----------------------------------------------------------------------


def slo_summary(report: GoNoGoReport) -> Html:
    """SLI, error budget, consumption, burn rate and coverage of each SLO criterion.

    For every enabled ``availability``, ``latency_share``,
    ``threshold_share`` and time-sliced ``slo_ratio`` / ``auth_success``
    criterion: the budgeting method, the
    observed SLI and the pessimistic one (unknown time or events counted as
    bad, which is what the criterion is judged on), the error budget as a
    ratio and as time over the window, the share of it consumed and
    remaining (with minutes; negative when overspent), the burn rate over the
    whole window, the coverage of the window by data and the number of valid
    events or slots.

    Parameters
    ----------
    report
        The built go / no-go report.

    Returns
    -------
    Html
        One table per criterion, or a note when there is no source, a source
        was unavailable during the run, or the window holds no data.
    """
    subjects = _subjects(report, every_slo=True)
    if not subjects:
        return _no_subjects()
    parts: list[str] = []
    for subject in subjects:
        parts.append(_heading(subject))
        if subject.problem:
            parts.append(_note(f"No SLO figures: {subject.problem}."))
            continue
        parts.append(
            "<p>Sources: " + "; ".join(_source_lines(report, subject)) + "</p>"
        )
        try:
            result = _slo(subject, report)
        except AnalyticsError as exc:
            parts.append(_note(f"The SLO cannot be computed: {exc}"))
            continue
        parts.append(_summary_table(subject, result))
        notes = [*result.notes, *subject.load_notes]
        if notes:
            parts.append(
                '<ul class="note">'
                + "".join(f"<li>{esc(n)}</li>" for n in notes)
                + "</ul>"
            )
    parts.append(
        '<p class="note">SLI = good / valid; error budget = 1 − target; burn rate ='
        " (1 − SLI) / (1 − target) over the window; budget consumed = burn rate;"
        " remaining = 1 − consumed (negative when overspent). The criterion is"
        " judged on the pessimistic SLI, where time or events without data count"
        " as bad.</p>"
    )
    return _wrap(parts)


def _summary_table(subject: _Subject, result: SLOResult) -> str:
    budget = result.error_budget_seconds
    unit = _UNITS.get(subject.method, "events")
    if result.slice_seconds is not None:
        unit = "slices"
    if result.sli is None:
        return _note(
            f"No data in the window {_when(subject.start)} – {_when(subject.end)}"
            f" ({result.method}): {result.valid:,.0f} valid {unit}; the criterion is"
            " NO DATA, never 100 %."
        )
    remaining = result.budget_remaining_ratio
    remaining_lower = result.budget_remaining_ratio_lower
    rows = [
        ("Method", result.method),
        ("Window", f"{_when(subject.start)} – {_when(subject.end)}"),
        ("SLI (observed)", _pct(result.sli, 4)),
        ("SLI judged (no data counted as bad)", _pct(result.sli_lower_bound, 4)),
        ("SLI if no data were good", _pct(result.sli_upper_bound, 4)),
        ("Target", _pct(result.target, 3)),
        ("Error budget (ratio)", _pct(result.error_budget_ratio, 3)),
        ("Error budget (time over the window)", _minutes(budget)),
        ("Budget consumed", _pct(result.budget_consumed_ratio)),
        (
            "Budget remaining",
            f"{_pct(remaining)} ({_minutes(None if remaining is None else remaining * budget)})",
        ),
        (
            "Budget remaining, pessimistic",
            f"{_pct(remaining_lower)}"
            f" ({_minutes(None if remaining_lower is None else remaining_lower * budget)})",
        ),
        (
            "Burn rate over the window",
            "–" if result.burn_rate is None else f"{result.burn_rate:.2f}×",
        ),
        ("Coverage of the window by data", _pct(result.coverage_ratio)),
        (f"Valid {unit}", f"{result.valid:,.0f}"),
        (f"Good {unit}", f"{result.good:,.0f}"),
        ("Series", f"{result.series_count:,}"),
        *_extra_rows(subject, result),
    ]
    frame = pd.DataFrame(rows, columns=["measure", "value"])
    return table(
        frame, [("measure", "Measure"), ("value", "Value")], numeric=("value",)
    )


def _extra_rows(subject: _Subject, result: SLOResult) -> list[tuple[str, str]]:
    """Rows only some methods have: slices, thresholds, requests behind slices."""
    rows: list[tuple[str, str]] = []
    if result.slice_seconds is not None and result.expected is not None:
        rows.append(("Slice length", _hours(result.slice_seconds)))
        rows.append(("Slices in the window", f"{result.expected:,.0f}"))
        rows.append(("Unknown slices", f"{result.expected - result.valid:,.0f}"))
    if result.slice_target is not None:
        rows.append(("Slice is good at", _pct(result.slice_target, 3)))
    if subject.method == "threshold":
        kind, params = subject.config.kind, subject.config.params
        op = THRESHOLD_OPS.get(str(param(kind, params, "threshold_op")), "?")
        value = param(kind, params, "threshold_value")
        rows.append(("Data point is good at", f"value {op} {value}"))
        if result.events is not None:
            rows.append(("Known data points", f"{result.events:,.0f}"))
    elif result.events is not None:
        rows.append(("Requests in slices with data", f"{result.events:,.0f}"))
    if subject.method == "latency":
        threshold = param(
            subject.config.kind, subject.config.params, "threshold_seconds"
        )
        rows.append(("Latency threshold", f"{threshold:g} s" if threshold else "–"))
    return rows


# --- counters on a time grid ---------------------------------------------------------


def _cumulative(samples: pd.DataFrame, grid: pd.DatetimeIndex) -> np.ndarray:
    """Reset-free sum of all counter series, read at each grid time (last value held).

    A drop in a series is a restart from zero: the reading after it is the
    increase since the restart. Before a series' first sample it contributes 0.
    """
    frame = samples[samples["value"].notna()].sort_values(["series", "timestamp"])
    total = np.zeros(len(grid))
    if frame.empty:
        return total
    steps = frame.groupby("series", sort=False)["value"].diff()
    increments = np.where(
        steps.isna(), 0.0, np.where(steps >= 0, steps, frame["value"])
    )
    frame = frame.assign(cumulative=increments)
    frame["cumulative"] = frame.groupby("series", sort=False)["cumulative"].cumsum()
    for _, series in frame.groupby("series", sort=False):
        held = series.drop_duplicates("timestamp", keep="last").set_index("timestamp")
        values = held["cumulative"].reindex(grid, method="ffill").fillna(0.0)
        total += values.to_numpy(dtype=float)
    return total


def _step_seconds(report: GoNoGoReport, subject: _Subject) -> float:
    """Evaluation step: the coarsest configured step of the sources, else the data's."""
    steps = []
    for source in report.evidence.config.metrics:
        if source.name in subject.sources and source.format == "prometheus":
            steps.append(parse_duration(source.step).total_seconds())
    if steps:
        return max(max(steps), 1.0)
    frame = subject.total if subject.total is not None else subject.up
    if frame is None or len(frame) < 2:
        return 60.0
    gaps = frame.sort_values("timestamp")["timestamp"].diff().dt.total_seconds()
    gaps = gaps[gaps > 0]
    return float(max(gaps.median(), 1.0)) if not gaps.empty else 60.0


def _display_grid(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    seconds = (end - start).total_seconds()
    step = max(60.0, math.ceil(seconds / _CHART_POINTS / 60.0) * 60.0)
    grid = pd.date_range(start, end, freq=pd.Timedelta(seconds=step))
    if grid[-1] < end:
        grid = pd.DatetimeIndex([*grid, end])
    return grid


# --- 2. budget burn-down -------------------------------------------------------------


def budget_burndown(report: GoNoGoReport) -> Html:
    """Error budget remaining over the SLO window, cumulative from its start.

    The budget is ``(1 − target)`` of the valid events (counters) or valid
    slots (up samples) of the whole window; at each time the chart shows the
    share not yet spent by the bad events or slots since the window's start.
    The curve is the observed data: it ends at the summary's observed *budget
    remaining* and falls below zero when the budget is overspent. The title
    names the judged figure too (the pessimistic bound, time without data
    counted as bad), which the criterion is decided on. A dotted line shows an even burn (the budget spent
    exactly by the window's end).

    Parameters
    ----------
    report
        The built go / no-go report.

    Returns
    -------
    Html
        One chart per criterion with data, or a note saying why there is none.
    """
    subjects = _subjects(report)
    if not subjects:
        return _no_subjects()
    parts: list[str] = []
    for subject in subjects:
        parts.append(_heading(subject))
        if subject.problem:
            parts.append(_note(f"No burn-down: {subject.problem}."))
            continue
        try:
            curve = _burndown_curve(subject)
            judged = _slo(subject, report).budget_remaining_ratio_lower
        except AnalyticsError as exc:
            parts.append(_note(f"No burn-down: {exc}"))
            continue
        if curve is None:
            parts.append(
                _note(
                    "No burn-down: no valid events or slots in the window"
                    f" {_when(subject.start)} – {_when(subject.end)}."
                )
            )
            continue
        parts.append(_burndown_chart(report, subject, curve, judged))
    return _wrap(parts)


def _burndown_curve(subject: _Subject) -> pd.DataFrame | None:
    """Columns ``time`` and ``remaining`` (ratio of the budget), or None without data."""
    grid = _display_grid(subject.start, subject.end)
    if subject.method == "counters":
        assert subject.good is not None and subject.total is not None
        part = _cumulative(to_pandas(subject.good), grid)
        total = _cumulative(to_pandas(subject.total), grid)
        bad = np.maximum(
            part - part[0]
            if subject.numerator_is_bad
            else (total - total[0]) - (part - part[0]),
            0.0,
        )
        valid = float(total[-1] - total[0])
        times = grid
    else:
        step = (grid[1] - grid[0]) if len(grid) > 1 else pd.Timedelta(minutes=1)
        timeline = availability_timeline(
            subject.up,
            freq=f"{int(step.total_seconds())}s",
            window_start=subject.start,
            window_end=subject.end,
            selector=subject.config.selector or None,
        )
        bad = np.cumsum((timeline["valid"] - timeline["good"]).to_numpy(dtype=float))
        valid = float(timeline["valid"].sum())
        bad = np.concatenate(([0.0], bad))
        ends = [min(t + step, subject.end) for t in timeline["period_start"]]
        times = pd.DatetimeIndex([subject.start, *ends])
    if valid <= 0:
        return None
    budget = (1.0 - subject.target) * valid
    return pd.DataFrame({"time": times, "remaining": 1.0 - bad / budget})


def _burndown_chart(
    report: GoNoGoReport,
    subject: _Subject,
    curve: pd.DataFrame,
    judged: float | None,
) -> str:
    budget_minutes = (
        (1.0 - subject.target) * (subject.end - subject.start).total_seconds() / 60
    )
    figure = go.Figure()
    figure.add_scatter(
        x=curve["time"],
        y=curve["remaining"] * 100,
        mode="lines",
        name="budget remaining (observed)",
        customdata=curve["remaining"] * budget_minutes,
        hovertemplate="%{x}<br>%{y:.1f} % of the budget (%{customdata:.1f} min)"
        "<extra></extra>",
    )
    figure.add_scatter(
        x=[subject.start, subject.end],
        y=[100, 0],
        mode="lines",
        name="even burn",
        line={"dash": "dot", "color": "#888"},
    )
    figure.add_hline(y=0, line_color="#8a1010", line_width=1)
    final = float(curve["remaining"].iloc[-1])
    # The curve is the observed data; the criterion is judged on the pessimistic
    # bound (time without data counts as bad), named beside it.
    judged_text = (
        f"; judged {judged * 100:.1f} % (time without data counted as bad)"
        if judged is not None
        else ""
    )
    figure.update_layout(
        title=chart_text(
            f"Error budget remaining, {subject.crit_id}, observed data:"
            f" {final * 100:.1f} % at the end{judged_text}"
            f" (budget {budget_minutes:,.1f} min over {_window_length(subject)})"
        ),
        yaxis={"title": "% of error budget remaining"},
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return report.chart(figure)._repr_html_()


# --- 3. burn-rate alerts -------------------------------------------------------------


def burn_rate_alerts(report: GoNoGoReport) -> Html:
    """The multiwindow multi-burn-rate policy replayed over the window's history.

    The default window pairs (1 h/5 m, 6 h/30 m, 1 d/2 h, 3 d/6 h with 2, 5,
    10 and 10 % of the budget) are scaled to the criterion's evidence window (its
    lookback, or the real length of its calendar period: 7 d, 743 h for a month
    with a DST change)
    (:func:`analytics.metrics.burn.scaled_policy`) and evaluated over the good
    and total counters (:func:`~analytics.metrics.burn.evaluate_alerts_over_history`)
    at the sources' step. Shown: the policy with its thresholds, a warning for
    each pair that can never fire at the target, each window pair's firings
    (count, time firing, first ones listed), and a chart of the burn rate over
    the two page windows (1 h and 6 h) against their factors.

    Parameters
    ----------
    report
        The built go / no-go report.

    Returns
    -------
    Html
        Tables and a chart per counter-based criterion; a note for a criterion
        measured from ``up`` samples, without a source, or whose source was
        unavailable.
    """
    subjects = _subjects(report)
    if not subjects:
        return _no_subjects()
    parts: list[str] = []
    for subject in subjects:
        parts.append(_heading(subject))
        if subject.problem:
            parts.append(_note(f"No burn-rate alerts: {subject.problem}."))
            continue
        if subject.method != "counters":
            parts.append(
                _note(
                    "Burn-rate alerts are evaluated over request counters: this criterion"
                    " is measured from up samples. Set good_source and total_source to"
                    " see when the alerts would have fired."
                )
            )
            continue
        try:
            parts.extend(_alert_parts(report, subject))
        except AnalyticsError as exc:
            parts.append(_note(f"Burn-rate alerts cannot be evaluated: {exc}"))
    return _wrap(parts)


def _alert_parts(report: GoNoGoReport, subject: _Subject) -> list[str]:
    assert subject.good is not None and subject.total is not None
    # The evidence window's real length: a calendar criterion's period (7 d, or
    # 743 h to 745 h for a month with a DST change) is not its lookback.
    days = (subject.end - subject.start).total_seconds() / _DAY_SECONDS
    policy = scaled_policy(days)
    target = subject.target
    step = _step_seconds(report, subject)
    longest = max(w.long_seconds for w in policy)
    earliest = subject.start - pd.Timedelta(seconds=longest)
    good = _clip(to_pandas(subject.good), earliest, subject.end)
    total = _clip(to_pandas(subject.total), earliest, subject.end)
    if good.empty or total.empty:
        return [
            _note(
                "No counter samples in the window: nothing to evaluate"
                " (the criterion is NO DATA)."
            )
        ]

    parts = [_policy_table(policy, target, days, _window_length(subject))]
    parts.extend(
        f'<p class="box"><b>Warning:</b> {esc(message)}</p>'
        for message in unreachable_alerts(target, policy)
    )
    firings = evaluate_alerts_over_history(
        good,
        total,
        target=target,
        policy=policy,
        step_seconds=step,
        numerator_is_bad=subject.numerator_is_bad,
    )
    firings = firings[firings["end"].isna() | (firings["end"] > subject.start)]
    parts.append(_firings_tables(policy, firings, subject, step))
    parts.extend(_late_start_note(policy, total, subject, report.evidence.as_of))
    parts.append(_burn_chart(report, subject, good, total, policy, step))
    return parts


def _late_start_note(
    policy: Sequence[BurnWindow],
    total: pd.DataFrame,
    subject: _Subject,
    as_of: pd.Timestamp,
) -> list[str]:
    """Say which pairs could not be evaluated from the window's start."""
    first = total["timestamp"].min()
    late = [
        (w.name, first + pd.Timedelta(seconds=w.long_seconds))
        for w in policy
        if first + pd.Timedelta(seconds=w.long_seconds) > subject.start
    ]
    if not late:
        return []
    listed = ", ".join(f"{name} from {_when(since)}" for name, since in late)
    longest = max(w.long_seconds for w in policy)
    # A calendar period ends before the decision time; the sources' lookback
    # counts back from the decision time to the period's start.
    reach = (
        subject.config.lookback
        if subject.config.calendar is None
        else _hours((as_of - subject.start).total_seconds())
    )
    return [
        f'<p class="note">The counters start at {esc(_when(first))}: a pair is evaluated'
        f" only once its long window is full ({esc(listed)}). A source lookback of"
        f" {esc(reach)} plus {esc(_hours(longest))} replays the whole window.</p>"
    ]


def _clip(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    keep = (frame["timestamp"] >= start) & (frame["timestamp"] <= end)
    return frame[keep]


def _policy_table(
    policy: Sequence[BurnWindow], target: float, days: float, length: str
) -> str:
    thresholds = error_ratio_thresholds(target, policy)
    frame = pd.DataFrame(
        {
            "window": [w.name for w in policy],
            "severity": [w.severity for w in policy],
            "share": [_pct(w.budget_share, 0) for w in policy],
            "factor": [f"{w.factor:.4g}" for w in policy],
            "threshold": [_pct(t, 3) for t in thresholds],
        }
    )
    return (
        f"<p>Policy for an SLO window of {esc(length)} ({days:.4g} days; the 30-day"
        " factors scaled to it, each pair keeping its share of the budget) at target"
        f" {_pct(target, 3)}: an alert fires"
        " when the error ratio over both its long and its short window exceeds factor"
        f" × (1 − target). The largest possible burn rate is {max_burn_rate(target):,.4g}"
        " (every request failing).</p>"
        + table(
            frame,
            [
                ("window", "Long / short window"),
                ("severity", "Severity"),
                ("share", "Budget consumed when it fires"),
                ("factor", "Burn-rate factor"),
                ("threshold", "Error-ratio threshold"),
            ],
            numeric=("factor", "threshold"),
        )
    )


def _firings_tables(
    policy: Sequence[BurnWindow],
    firings: pd.DataFrame,
    subject: _Subject,
    step: float,
) -> str:
    summary = []
    for window in policy:
        mine = firings[firings["window"] == window.name]
        ends = mine["end"].fillna(subject.end)
        firing_seconds = float((ends - mine["start"]).dt.total_seconds().sum())
        summary.append(
            {
                "window": window.name,
                "severity": window.severity,
                "firings": f"{len(mine):,}",
                "time": _hours(firing_seconds) if len(mine) else "",
                "first": _when(mine["start"].min()) if len(mine) else "never fired",
                "active": "yes" if bool(mine["end"].isna().any()) else "no",
            }
        )
    parts = [
        f"<p>Replayed every {step:g} s over {_when(subject.start)} –"
        f" {_when(subject.end)} (windows reach back before the start when data"
        " exists; a window without traffic has no error ratio and never fires).</p>",
        table(
            pd.DataFrame(summary),
            [
                ("window", "Window pair"),
                ("severity", "Severity"),
                ("firings", "Firings"),
                ("time", "Time firing"),
                ("first", "First fired"),
                ("active", "Firing at the decision time"),
            ],
            numeric=("firings",),
        ),
    ]
    if firings.empty:
        parts.append("<p>No alert of this policy would have fired in the window.</p>")
        return "".join(parts)
    listed = firings.head(_MAX_FIRINGS_LISTED)
    rows = pd.DataFrame(
        {
            "window": listed["window"],
            "severity": listed["severity"],
            "start": listed["start"].map(_when),
            "end": listed["end"].map(lambda e: _when(e) or "still firing"),
            "duration": [
                _hours(float(s)) if s is not None and math.isfinite(s) else ""
                for s in listed["duration_seconds"]
            ],
        }
    )
    more = len(firings) - len(listed)
    parts.append(
        table(
            rows,
            [
                ("window", "Window pair"),
                ("severity", "Severity"),
                ("start", "Fired"),
                ("end", "Cleared"),
                ("duration", "Duration"),
            ],
        )
    )
    if more > 0:
        parts.append(
            f'<p class="note">{more:,} later firings are not listed; the summary above'
            " counts them all.</p>"
        )
    return "".join(parts)


def _burn_chart(
    report: GoNoGoReport,
    subject: _Subject,
    good: pd.DataFrame,
    total: pd.DataFrame,
    policy: Sequence[BurnWindow],
    step: float,
) -> str:
    pages = [w for w in policy if w.severity == "page"][:2] or list(policy[:2])
    first = min(good["timestamp"].min(), total["timestamp"].min())
    grid = pd.date_range(
        max(first, subject.start - pd.Timedelta(seconds=pages[-1].long_seconds)),
        subject.end,
        freq=pd.Timedelta(seconds=step),
    )
    good_sum, total_sum = _cumulative(good, grid), _cumulative(total, grid)
    budget = 1.0 - subject.target
    bucket = max(1, math.ceil(len(grid[grid >= subject.start]) / _CHART_POINTS))
    figure = go.Figure()
    colours = ("#c0392b", "#2c6fbb")
    for window, colour in zip(pages, colours, strict=False):
        rate = _burn_series(good_sum, total_sum, window.long_seconds, step, budget)
        series = pd.Series(rate, index=grid)
        series = series[series.index >= subject.start]
        shown = series.resample(pd.Timedelta(seconds=step * bucket)).max()
        figure.add_scatter(
            x=shown.index,
            y=shown.where(shown > 0).to_numpy(),
            mode="lines",
            name=f"burn rate over {window.name.split('/')[0]}",
            line={"color": colour},
            connectgaps=False,
        )
        # A trace, not a shape: shapes on a log axis take log10 coordinates.
        figure.add_scatter(
            x=[subject.start, subject.end],
            y=[window.factor, window.factor],
            mode="lines",
            name=f"{window.name} alert factor {window.factor:.4g}",
            line={"color": colour, "dash": "dash"},
        )
    figure.add_scatter(
        x=[subject.start, subject.end],
        y=[1.0, 1.0],
        mode="lines",
        name="1 = budget spent exactly over the window",
        line={"color": "#888", "dash": "dot"},
    )
    per = "" if bucket == 1 else f"; highest per {_hours(step * bucket)}"
    figure.update_layout(
        title=chart_text(
            f"Burn rate over the page windows, {subject.crit_id} (log scale{per};"
            " gaps: no traffic)"
        ),
        yaxis={"type": "log", "title": "burn rate (× budget pace)"},
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return report.chart(figure)._repr_html_()


def _burn_series(
    good: np.ndarray,
    total: np.ndarray,
    window_seconds: float,
    step: float,
    budget: float,
) -> np.ndarray:
    """Burn rate over the trailing window at each grid point; NaN without traffic."""
    lag = round(window_seconds / step)
    rate = np.full(len(total), np.nan)
    if lag < 1 or lag >= len(total):
        return rate
    requests = total[lag:] - total[:-lag]
    served = good[lag:] - good[:-lag]
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = np.where(requests > 0, 1.0 - served / requests, np.nan)
    rate[lag:] = np.clip(errors, 0.0, 1.0) / budget
    return rate
