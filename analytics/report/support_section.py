"""Incident and support sections of the go / no-go report.

Each function takes a :class:`~analytics.report.go_no_go.GoNoGoReport` and
returns something a notebook displays (:class:`~analytics.report.html.Html`
or a :class:`~analytics.report.html.Chart`). Without a ticket or survey source
they return a note that says so, never an exception.

The ticket window is ``[as_of - lookback, as_of)`` with the longest lookback of
the enabled operations / support criteria (90 days when none). Tickets count
when created in it, and only what was known at the decision time is used
(timestamps at or after it are treated as missing). Durations are wall clock
(every hour counts, on-hold time included), except in :func:`support_sla`
where a first-response or resolution criterion with ``business_hours`` puts
its measure on that business-hours clock, minus the on-hold time of the
sources that give paused intervals; the section says which clock each row
used and whether on-hold time was excluded. Every string that comes from data
(priorities, assignment groups, categories, segments) is escaped.

Examples
--------
>>> from analytics.report.go_no_go import build_go_no_go
>>> report = build_go_no_go("data/demo/readiness.yaml", "2016-06-30")  # doctest: +SKIP
>>> incidents_table(report)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import plotly.graph_objects as go

from analytics.business_hours import BusinessSchedule
from analytics.evaluators_support import (
    clock_text,
    criterion_schedule,
    format_label,
    survey_answers,
    ticket_list,
    ticket_pauses,
    tickets_in_window,
)
from analytics.metrics.incidents import MEASURES, incident_times
from analytics.metrics.resolution import DEFAULT_RESOLUTION_TARGETS_HOURS
from analytics.metrics.satisfaction import csat_summary, nps_summary
from analytics.metrics.support import (
    first_response_times,
    resolution_times,
    sla_breaches,
    volume_against_history,
)
from analytics.report.html import Chart, Html, esc, table

if TYPE_CHECKING:
    from analytics.report.go_no_go import GoNoGoReport

__all__ = [
    "incidents_table",
    "satisfaction",
    "support_sla",
    "support_window",
    "ticket_volume_range",
]

_WINDOW_KINDS: Final = (
    "mttd",
    "mttr",
    "incident_response",
    "first_response",
    "resolution_within_target",
    "csat",
    "escalation_rate",
)
_INCIDENT_MEASURES: Final = (
    "mttd",
    "mtta",
    "response_initiation",
    "mttr_restore",
    "mttr_resolve",
    "mttr_close",
)
# How the incidents table names each measure (the id stays in the definitions).
_MEASURE_LABELS: Final = {
    "mttd": "MTTD (to detect)",
    "mtta": "MTTA (to acknowledge)",
    "response_initiation": "Response start",
    "mttr_restore": "MTTR (to restore)",
    "mttr_resolve": "MTTR (to resolve)",
    "mttr_close": "MTTR (to close)",
}
_HISTORY: Final = pd.Timedelta(days=90)
_MIN_HISTORY_DAYS: Final = 14
_TOP_GROUPS: Final = 15
_BREACH_ROWS: Final = 15


def support_window(report: GoNoGoReport) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The ticket window: the longest lookback of the enabled support criteria.

    Returns ``(as_of - lookback, as_of)``; 90 days when no such criterion is
    enabled.
    """
    lookbacks = [
        c.lookback_timedelta
        for c in report.evidence.config.criteria.values()
        if c.kind in _WINDOW_KINDS and c.enabled
    ]
    lookback = max(lookbacks) if lookbacks else pd.Timedelta(days=90)
    return report.evidence.as_of - lookback, report.evidence.as_of


# --- incidents ---------------------------------------------------------------------


def incidents_table(report: GoNoGoReport) -> Html:
    """MTTD, MTTA, response start and MTTR variants by priority, NO DATA rows shown.

    Each measure is listed for P1..P4 with count, mean, median and p90; a
    priority without a measurable ticket is a NO DATA row with the reason
    (e.g. no export records impact start, so MTTD is NO DATA). A second table
    gives time to final resolution by assignment group (largest groups first).
    """
    evidence = report.evidence
    if not evidence.tickets:
        return _note(
            "No ticket source is configured, so MTTD, MTTA and MTTR cannot be measured:"
            " add a ServiceNow, Jira, PagerDuty or help-desk export under tickets:."
        )
    start, end = support_window(report)
    names = tuple(evidence.tickets)
    tickets = tickets_in_window(evidence, names, start, end)
    if tickets.empty:
        return _note(_no_tickets_text(report, start, end))

    times = incident_times(tickets, measures=list(_INCIDENT_MEASURES), by="priority")
    times = times.assign(
        label=times["measure"].map(lambda m: _MEASURE_LABELS.get(m, m)),
        mean=times["mean_seconds"].map(_duration),
        median=times["median_seconds"].map(_duration),
        p90=times["p90_seconds"].map(_duration),
        note=[
            _sourced_note(report, measure, str(note), int(count))
            for measure, note, count in zip(
                times["measure"], times["note"], times["count"], strict=True
            )
        ],
    )
    columns = [
        ("label", "Measure"),
        ("priority", "Priority"),
        ("status", "Status"),
        ("count", "n"),
        ("mean", "Mean"),
        ("median", "Median"),
        ("p90", "p90"),
        ("missing", "Not measurable"),
        ("cancelled_excluded", "Cancelled, left out"),
        ("note", "Why no data"),
    ]
    definitions = "".join(
        f"<li><b>{esc(_MEASURE_LABELS[name])}</b> ({esc(name)}):"
        f" {esc(MEASURES[name].definition)}</li>"
        for name in _INCIDENT_MEASURES
    )
    parts = [
        '<div class="rr">',
        f"<p>{len(tickets):,} tickets opened {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC),"
        " as known at the decision time; wall clock, on-hold time included. Read the"
        " median and p90 beside the mean: these times are heavy-tailed.</p>",
        table(
            times,
            columns,
            cells={"status": _status_cell},
            numeric=("count", "mean", "median", "p90", "missing", "cancelled_excluded"),
        ),
        f"<p>Definitions:</p><ul>{definitions}</ul>",
    ]
    if "assignment_group" in tickets and tickets["assignment_group"].notna().any():
        by_group = incident_times(
            tickets, measures=["mttr_resolve"], by="assignment_group"
        ).sort_values(["count", "assignment_group"], ascending=[False, True])
        shown = by_group.head(_TOP_GROUPS)
        shown = shown.assign(
            mean=shown["mean_seconds"].map(_duration),
            median=shown["median_seconds"].map(_duration),
            p90=shown["p90_seconds"].map(_duration),
        )
        parts.append(
            f"<h4>Time to final resolution by assignment group (largest {len(shown)}"
            f" of {len(by_group)})</h4>"
        )
        parts.append(
            table(
                shown,
                [
                    ("assignment_group", "Assignment group"),
                    ("status", "Status"),
                    ("count", "Resolved n"),
                    ("mean", "Mean"),
                    ("median", "Median"),
                    ("p90", "p90"),
                    ("missing", "Unresolved"),
                    ("cancelled_excluded", "Cancelled, left out"),
                ],
                cells={"status": _status_cell},
                numeric=(
                    "count",
                    "mean",
                    "median",
                    "p90",
                    "missing",
                    "cancelled_excluded",
                ),
            )
        )
    parts.append("</div>")
    return Html("".join(parts))


# --- SLA ---------------------------------------------------------------------------


def support_sla(report: GoNoGoReport) -> Html:
    """First response and resolution against per-priority targets, with breaches.

    Targets: the first-response criterion's target (minutes, every priority;
    15 min by default) and the resolution criteria's ``target_hours`` per
    priority (2 / 8 / 24 / 72 h by default). Each measure runs on its
    criterion's clock: wall clock (on-hold time included) by default, the
    criterion's ``business_hours`` when set (per priority for resolution),
    minus on-hold time where the ticket sources give paused intervals; the
    ``Clock`` column and the text name it. Open tickets already past their
    target at the decision time are breaches too.
    """
    evidence = report.evidence
    if not evidence.tickets:
        return _note(
            "No ticket source is configured, so first response and resolution cannot"
            " be checked against their targets."
        )
    start, end = support_window(report)
    tickets = tickets_in_window(
        evidence, tuple(evidence.tickets), start, end, with_outcome=True
    )
    if tickets.empty:
        return _note(_no_tickets_text(report, start, end))
    outcome = tickets["resolution_outcome"]
    # Cancelled tickets have no resolution to measure; tickets that ended
    # without a resolution time are not open either: neither is a breach.
    resolvable = tickets.loc[outcome != "cancelled"]
    measurable = tickets.loc[outcome.isin(["resolved", "open"])]

    response_target = _first_response_target(report)
    resolution_targets = _resolution_targets(report)
    response_clock = _schedules(report, "first_response")["*"]
    resolution_clocks = _schedules(report, "resolution_within_target")
    names = tuple(evidence.tickets)
    pauses = ticket_pauses(evidence, names)
    response = first_response_times(
        tickets,
        targets_minutes=response_target,
        **_clock_arguments(response_clock, pauses),
    ).assign(clock=clock_text(response_clock, evidence, names))
    # A ticket without first_response_at is only "waiting" when its export
    # records first responses at all; otherwise the time is unknown, not late.
    recording = _systems_recording(report, "first_response_at")
    response_open = sla_breaches(
        tickets.loc[tickets["source"].isin(recording)]
        if "source" in tickets
        else tickets.iloc[0:0],
        measure="first_response",
        targets=response_target,
        as_of=end,
        **_clock_arguments(response_clock, pauses),
    )
    resolution, resolution_open = _resolution_on_clocks(
        resolvable, measurable, resolution_targets, resolution_clocks, end, report
    )

    rows = []
    for name, frame, breaches, targets, unit in (
        (
            "first response",
            response,
            response_open,
            dict.fromkeys(("P1", "P2", "P3", "P4"), response_target * 60),
            "min",
        ),
        (
            "resolution",
            resolution,
            resolution_open,
            {p: h * 3600 for p, h in resolution_targets.items()},
            "h",
        ),
    ):
        open_late = breaches.loc[breaches["open"]].groupby("priority").size()
        for record in frame.to_dict("records"):
            priority = record["priority"]
            target_seconds = targets.get(str(priority), math.nan)
            rows.append(
                {
                    "measure": name,
                    "priority": priority,
                    "status": record["status"],
                    "target": _target_text(target_seconds, unit),
                    "count": record["count"],
                    "mean": _duration(record["mean_seconds"]),
                    "median": _duration(record["median_seconds"]),
                    "p90": _duration(record["p90_seconds"]),
                    "within": record["within_target"],
                    "breached": record["breached"],
                    "open_late": int(open_late.get(priority, 0)),
                    "share": _percent(record["share_within_target"]),
                    "missing": record["missing"],
                    "clock": record["clock"],
                }
            )
    summary = pd.DataFrame(rows)
    columns = [
        ("measure", "Measure"),
        ("priority", "Priority"),
        ("status", "Status"),
        ("target", "Target"),
        ("count", "Measured n"),
        ("mean", "Mean"),
        ("median", "Median"),
        ("p90", "p90"),
        ("within", "Within target"),
        ("breached", "Breached"),
        ("open_late", "Open past target"),
        ("share", "Share within (measured)"),
        ("missing", "Not measured"),
        ("clock", "Clock"),
    ]
    response_text = clock_text(response_clock, evidence, names)
    resolution_text = _clocks_text(resolution_clocks, report)
    caveat = _clock_caveat(response_clock, resolution_clocks, pauses is not None)
    parts = [
        '<div class="rr">',
        f"<p>Tickets opened {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC). First response:"
        f" created_at → first_response_at on the {esc(response_text)}. Resolution:"
        f" created_at → resolved_at (final resolution) on the {esc(resolution_text)}."
        f" {caveat} Tickets without the end timestamp are not measured; open ones"
        " already past their target at the decision time are counted separately."
        f" {_resolution_left_out(tickets)}</p>",
        table(
            summary,
            columns,
            cells={"status": _status_cell},
            numeric=[c for c, _ in columns[3:-1]],
        ),
    ]
    if summary.loc[summary["measure"] == "first response", "count"].sum() == 0:
        parts.append(_box(_first_response_absent(report, tickets)))
    breaches = pd.concat(
        [
            response_open.assign(measure="first response"),
            resolution_open.assign(measure="resolution"),
        ],
        ignore_index=True,
    )
    if breaches.empty:
        parts.append("<p>No ticket breached its target.</p>")
    else:
        extra = [c for c in ("category", "assignment_group") if c in tickets]
        info = tickets.drop_duplicates("ticket_id")[["ticket_id", *extra]]
        worst = (
            breaches.sort_values("over_by_seconds", ascending=False)
            .head(_BREACH_ROWS)
            .merge(info, on="ticket_id", how="left")
        )
        worst = worst.assign(
            elapsed=worst["elapsed_seconds"].map(_duration),
            target=worst["target_seconds"].map(_duration),
            over=worst["over_by_seconds"].map(_duration),
            state=worst["open"].map({True: "open", False: "done late"}),
        )
        parts.append(
            f"<h4>Worst breaches ({len(worst)} of {len(breaches):,})</h4>"
            + table(
                worst,
                [
                    ("measure", "Measure"),
                    ("ticket_id", "Ticket"),
                    ("priority", "Priority"),
                    *[(c, c.replace("_", " ").capitalize()) for c in extra],
                    ("elapsed", "Elapsed"),
                    ("target", "Target"),
                    ("over", "Over by"),
                    ("state", "State"),
                ],
                numeric=("elapsed", "target", "over"),
            )
        )
    parts.append("</div>")
    return Html("".join(parts))


# --- volume ------------------------------------------------------------------------


def ticket_volume_range(report: GoNoGoReport) -> Html | Chart:
    """Tickets opened per day against the range expected from the 90 days before.

    Expected range: the 5th to 95th percentile of the daily counts of the same
    weekday in the 90 days before the window (or the part of them the data
    covers; at least 14 days). Days above or below are highlighted.
    """
    evidence = report.evidence
    if not evidence.tickets:
        return _note("No ticket source is configured, so there is no ticket volume.")
    start, end = support_window(report)
    tickets = evidence.all_tickets()
    created: pd.Series = pd.Series(
        tickets["created_at"].dropna()
        if "created_at" in tickets
        else pd.Series([], dtype="datetime64[us, UTC]")
    )
    first_created = pd.Timestamp(created.min()) if len(created) else end
    in_window = created[(created >= start) & (created < end)]
    if in_window.empty:
        return _note(_no_tickets_text(report, start, end))

    history_start = max(start - _HISTORY, first_created.floor("D"))
    history_days = (start - history_start) / pd.Timedelta(days=1)
    volume = volume_against_history(
        pd.DataFrame({"created_at": created}),
        window_start=start,
        window_end=end,
        history_start=history_start,
        history_end=start,
    )
    if history_days < _MIN_HISTORY_DAYS:
        for column in ("expected_low", "expected_median", "expected_high"):
            volume[column] = math.nan
        volume["outside"] = ""
        range_text = (
            f"no expected range: the data starts {first_created:%Y-%m-%d}, leaving"
            f" {max(history_days, 0):.0f} of the {_MIN_HISTORY_DAYS} days of history needed"
        )
    else:
        range_text = (
            f"expected range = 5th–95th percentile of the same weekday,"
            f" {history_start:%Y-%m-%d} to {start:%Y-%m-%d}"
        )
    above = int((volume["outside"] == "above").sum())
    below = int((volume["outside"] == "below").sum())

    colours = volume["outside"].map({"above": "#c0392b", "below": "#e67e22"})
    figure = go.Figure()
    figure.add_scatter(
        x=volume["period_start"],
        y=volume["expected_high"],
        mode="lines",
        line={"width": 0},
        name="expected high",
        showlegend=False,
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=volume["period_start"],
        y=volume["expected_low"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(90, 120, 160, 0.2)",
        name="expected range",
    )
    figure.add_scatter(
        x=volume["period_start"],
        y=volume["expected_median"],
        mode="lines",
        line={"dash": "dash", "color": "#5a78a0"},
        name="expected median",
    )
    figure.add_bar(
        x=volume["period_start"],
        y=volume["tickets"],
        marker={"color": colours.fillna("#7f8c8d").tolist()},
        customdata=volume["outside"].replace("", "inside"),
        hovertemplate="%{x|%Y-%m-%d}: %{y} tickets (%{customdata})<extra></extra>",
        name="tickets opened",
    )
    figure.update_layout(
        title=(
            f"Tickets opened per day (UTC): {above} day(s) above and {below} below the"
            f" expected range<br><sup>{esc(range_text)}</sup>"
        ),
        yaxis={"title": "tickets"},
        height=380,
        margin={"l": 60, "r": 20, "t": 70, "b": 40},
    )
    return report.chart(figure)


# --- satisfaction ------------------------------------------------------------------


def satisfaction(report: GoNoGoReport) -> Html:
    """CSAT (mean and share of 4–5, with intervals) and NPS from survey answers.

    Answers count when answered in the CSAT criterion's window. Without a
    survey source, a note says so; if the tickets carry satisfaction ratings,
    their CSAT is shown, labelled as such.
    """
    evidence = report.evidence
    start, end = _satisfaction_window(report)
    period = f"{start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC)"
    parts = ['<div class="rr">']
    if not evidence.surveys:
        parts.append(
            _box(
                "No survey source is configured: CSAT and NPS from surveys cannot be"
                " shown. Add the survey export under surveys: in the config."
            )
        )
        tickets = (
            tickets_in_window(evidence, tuple(evidence.tickets), start, end)
            if evidence.tickets
            else pd.DataFrame()
        )
        if "csat_score" in tickets and tickets["csat_score"].notna().any():
            parts.append(
                f"<p>Satisfaction ratings recorded on tickets opened {period}"
                " (not a survey):</p>"
            )
            parts.append(_csat_table(csat_summary(tickets)))
        elif evidence.tickets:
            parts.append(
                "<p>The tickets carry no satisfaction rating either, so CSAT is NO"
                " DATA.</p>"
            )
        parts.append("</div>")
        return Html("".join(parts))

    names = tuple(evidence.surveys)
    parts.append(f"<p>Survey answers ({esc(', '.join(names))}) answered {period}.</p>")
    for kind in ("csat", "nps"):
        answers = survey_answers(evidence, names, kind)
        undated = int(answers["answered_at"].isna().sum())
        answered = answers["answered_at"]
        answers = answers.loc[(answered >= start) & (answered < end)]
        parts.append(f"<h4>{kind.upper()}</h4>")
        if answers.empty:
            parts.append(
                f"<p>No {kind.upper()} answers in the window: {kind.upper()} is NO DATA.</p>"
            )
        elif kind == "csat":
            parts.append(_csat_table(csat_summary(answers)))
            if "segment" in answers and answers["segment"].notna().any():
                parts.append(
                    _csat_table(csat_summary(answers, by="segment"), "segment")
                )
        else:
            parts.append(_nps_table(nps_summary(answers)))
            if "segment" in answers and answers["segment"].notna().any():
                parts.append(_nps_table(nps_summary(answers, by="segment"), "segment"))
        if undated:
            parts.append(
                f'<p class="note">{undated} {kind.upper()} answer(s) have no answered_at'
                " and cannot be placed in the window; they are not counted.</p>"
            )
    parts.append("</div>")
    return Html("".join(parts))


# --- helpers -----------------------------------------------------------------------


def _csat_table(summary: pd.DataFrame, by: str | None = None) -> str:
    shown = summary.assign(
        mean=summary["csat_mean"].map(lambda v: _number(v, ".2f")),
        mean_ci=[
            _range(lo, hi, ".2f")
            for lo, hi in zip(
                summary["csat_mean_low"], summary["csat_mean_high"], strict=True
            )
        ],
        share=summary["share_satisfied"].map(_percent),
        share_ci=[
            _range(lo, hi, ".1%")
            for lo, hi in zip(summary["share_low"], summary["share_high"], strict=True)
        ],
    )
    columns = [
        *([(by, by.capitalize())] if by else []),
        ("n", "Answers"),
        ("mean", "CSAT mean (1–5)"),
        ("mean_ci", "95 % interval (t)"),
        ("share", "Share 4–5"),
        ("share_ci", "95 % interval (Wilson)"),
    ]
    return table(shown, columns, numeric=("n", "mean", "share"))


def _nps_table(summary: pd.DataFrame, by: str | None = None) -> str:
    shown = summary.assign(
        score=summary["nps"].map(lambda v: _number(v, ".1f")),
        ci=[
            _range(lo, hi, ".1f")
            for lo, hi in zip(summary["nps_low"], summary["nps_high"], strict=True)
        ],
    )
    columns = [
        *([(by, by.capitalize())] if by else []),
        ("n", "Answers"),
        ("promoters", "Promoters 9–10"),
        ("passives", "Passives 7–8"),
        ("detractors", "Detractors 0–6"),
        ("score", "NPS"),
        ("ci", "95 % interval (Wald)"),
    ]
    return table(
        shown, columns, numeric=("n", "promoters", "passives", "detractors", "score")
    )


def _satisfaction_window(report: GoNoGoReport) -> tuple[pd.Timestamp, pd.Timestamp]:
    for config in report.evidence.config.criteria.values():
        if config.kind == "csat" and config.enabled:
            return (
                report.evidence.as_of - config.lookback_timedelta,
                report.evidence.as_of,
            )
    return support_window(report)


def _first_response_target(report: GoNoGoReport) -> float:
    for config in report.evidence.config.criteria.values():
        if config.kind == "first_response" and config.enabled:
            return config.target
    return 15.0


def _schedules(report: GoNoGoReport, kind: str) -> dict[str, BusinessSchedule | None]:
    """Clock per priority of the enabled criteria of ``kind`` (``"*"``: default).

    None is the wall clock. A first-response criterion covers every priority;
    a resolution criterion its ``priority``.
    """
    clocks: dict[str, BusinessSchedule | None] = {"*": None}
    for config in report.evidence.config.criteria.values():
        if config.kind != kind or not config.enabled:
            continue
        key = "*" if kind == "first_response" else str(config.priority)
        if key not in clocks or clocks[key] is None:
            clocks[key] = criterion_schedule(config)
    return clocks


def _clock_arguments(
    schedule: BusinessSchedule | None, pauses: pd.DataFrame | None
) -> dict[str, Any]:
    """Clock keywords of the support metrics; paused intervals only with a schedule."""
    if schedule is None:
        return {"clock": "wall"}
    return {"clock": "business", "schedule": schedule, "pauses": pauses}


def _resolution_left_out(tickets: pd.DataFrame) -> str:
    """Say which tickets the resolution rows leave out or cannot measure."""
    outcome = tickets["resolution_outcome"]
    ids = tickets.get("ticket_id", pd.Series(tickets.index, index=tickets.index))
    parts = []
    cancelled = sorted(map(str, ids[outcome == "cancelled"]))
    unknown = sorted(map(str, ids[outcome == "unknown"]))
    if cancelled:
        parts.append(
            f"{len(cancelled):,} cancelled ticket(s) are left out of resolution"
            f" ({esc(ticket_list(cancelled))})."
        )
    if unknown:
        parts.append(
            f"{len(unknown):,} ticket(s) ended without a resolution time (closed, or"
            " in a resolved/closed state, with no resolved_at): not measured and not"
            f" open ({esc(ticket_list(unknown))}); the resolution criteria count"
            " them as missed."
        )
    return " ".join(parts)


def _resolution_on_clocks(
    tickets: pd.DataFrame,
    breachable: pd.DataFrame,
    targets: Mapping[str, float],
    clocks: Mapping[str, BusinessSchedule | None],
    as_of: pd.Timestamp,
    report: GoNoGoReport,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolution table and breaches, each priority on its criterion's clock.

    ``tickets`` are measured; ``breachable`` (resolved or still open) are
    checked for breaches. The wall clock keeps on-hold time; a business clock
    takes off the paused intervals the ticket sources give (none: nothing is
    taken off).
    """
    names = tuple(report.evidence.tickets)
    pauses = ticket_pauses(report.evidence, names)
    tables, breaches = [], []
    for schedule in dict.fromkeys(clocks.values()):
        priorities = [
            p
            for p in ("P1", "P2", "P3", "P4")
            if clocks.get(p, clocks["*"]) == schedule
        ]
        if not priorities:
            continue
        arguments = _clock_arguments(schedule, pauses)
        table = resolution_times(
            tickets,
            targets_hours=targets,
            exclude_pauses=schedule is not None and pauses is not None,
            **arguments,
        )
        tables.append(
            table.loc[table["priority"].isin(priorities)].assign(
                clock=clock_text(schedule, report.evidence, names)
            )
        )
        late = sla_breaches(
            breachable,
            measure="resolution",
            targets=targets,
            as_of=as_of,
            **arguments,
        )
        breaches.append(late.loc[late["priority"].isin(priorities)])
    resolution = pd.concat(tables, ignore_index=True).sort_values("priority")
    return resolution.reset_index(drop=True), pd.concat(breaches, ignore_index=True)


def _clocks_text(
    clocks: Mapping[str, BusinessSchedule | None], report: GoNoGoReport
) -> str:
    names = tuple(report.evidence.tickets)
    named = {p: s for p, s in clocks.items() if p != "*"}
    if all(s == clocks["*"] for s in named.values()):
        return clock_text(clocks["*"], report.evidence, names)
    return "; ".join(
        f"{p}: {clock_text(named.get(p, clocks['*']), report.evidence, names)}"
        for p in ("P1", "P2", "P3", "P4")
    )


def _clock_caveat(
    response: BusinessSchedule | None,
    resolution: Mapping[str, BusinessSchedule | None],
    intervals: bool,
) -> str:
    if response is None and all(s is None for s in resolution.values()):
        return (
            "Wall clock: nights, weekends and on-hold time count; an SLA clock that"
            " pauses would give lower numbers."
        )
    held = (
        "on-hold time excluded where the export gives paused intervals (its"
        " working hours are taken off)"
        if intervals
        else "on-hold time not excluded (the export gives totals only)"
    )
    return (
        "A business-hours clock counts only working hours in its zone (holidays and"
        f" days off excluded, DST-correct); {held}."
    )


def _resolution_targets(report: GoNoGoReport) -> dict[str, float]:
    targets = dict(DEFAULT_RESOLUTION_TARGETS_HOURS)
    for config in report.evidence.config.criteria.values():
        if (
            config.kind == "resolution_within_target"
            and config.enabled
            and config.priority
            and config.target_hours
        ):
            targets[config.priority] = config.target_hours
    return targets


def _systems_recording(report: GoNoGoReport, column: str) -> list[str]:
    """Values of ``source`` (the ticket system) whose tickets record ``column``."""
    systems: set[str] = set()
    for load in report.evidence.tickets.values():
        frame = load.frame
        if column in frame and "source" in frame and frame[column].notna().any():
            systems.update(str(v) for v in frame["source"].dropna().unique())
    return sorted(systems)


def _no_tickets_text(
    report: GoNoGoReport, start: pd.Timestamp, end: pd.Timestamp
) -> str:
    spans = []
    for name, load in report.evidence.tickets.items():
        frame = load.frame
        label = format_label(report.evidence, name)
        if frame.empty:
            spans.append(f"'{name}' ({label}) has no tickets")
        elif "created_at" not in frame or frame["created_at"].isna().all():
            spans.append(
                f"'{name}' ({label}) has no ticket creation time, so no ticket can be"
                " placed in the window"
            )
        else:
            spans.append(
                f"'{name}' ({label}) has tickets opened"
                f" {frame['created_at'].min():%Y-%m-%d} to {frame['created_at'].max():%Y-%m-%d}"
            )
    return (
        f"No tickets opened in the window {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC): "
        + "; ".join(spans)
        + "."
    )


def _sourced_note(report: GoNoGoReport, measure: str, note: str, count: int) -> str:
    if count or not note:
        return note
    columns = [
        c
        for c in ("impact_started_at", "detected_at", "acknowledged_at", "closed_at")
        if c in note
    ]
    silent = [
        f"{format_label(report.evidence, name)} '{name}'"
        for name, load in report.evidence.tickets.items()
        if columns
        and all(c not in load.frame or load.frame[c].isna().all() for c in columns)
    ]
    if silent and measure in ("mttd", "mttr_from_impact"):
        return note + f" (not recorded by: {', '.join(silent)})"
    return note


def _first_response_absent(report: GoNoGoReport, tickets: pd.DataFrame) -> str:
    if "first_response_at" in tickets and tickets["first_response_at"].notna().any():
        return "No ticket in the window has a first response by the decision time."
    sources = ", ".join(
        f"'{name}' ({format_label(report.evidence, name)})"
        for name in report.evidence.tickets
    )
    return (
        "First response is NO DATA: no ticket in the window has first_response_at;"
        f" the export(s) {sources} do not record when support first responded."
    )


def _duration(seconds: Any) -> str:
    if seconds is None or pd.isna(seconds):
        return ""
    value = float(seconds)
    if abs(value) < 3600:
        return f"{value / 60:.1f} min"
    if abs(value) < 72 * 3600:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} d"


def _target_text(seconds: float, unit: str) -> str:
    if math.isnan(seconds):
        return ""
    return f"{seconds / 60:g} min" if unit == "min" else f"{seconds / 3600:g} h"


def _percent(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1%}"


def _number(value: Any, fmt: str) -> str:
    return "" if value is None or pd.isna(value) else format(float(value), fmt)


def _range(low: Any, high: Any, fmt: str) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "none (fewer than 2 answers, or all alike)"
    return f"{format(float(low), fmt)} – {format(float(high), fmt)}"


_STATUS_CLASS: Final[Mapping[str, str]] = {"OK": "INFO", "NO DATA": "NO-DATA"}
# The KPI tables' "OK" says the measure has data, not that it met a target:
# shown as "measured" in a neutral colour, never as a green pass beside a
# value far over its target.
_STATUS_TEXT: Final[Mapping[str, str]] = {"OK": "measured"}


def _status_cell(value: object) -> str:
    text = str(value)
    css = _STATUS_CLASS.get(text, "NO-DATA")
    shown = _STATUS_TEXT.get(text, text)
    return f'<span class="st st-{esc(css)}">{esc(shown)}</span>'


def _box(text: str) -> str:
    return f'<p class="box">{esc(text)}</p>'


def _note(text: str) -> Html:
    return Html(f'<div class="rr">{_box(text)}</div>')
