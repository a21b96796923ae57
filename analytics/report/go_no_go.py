"""The go / no-go readiness report: one object, one method per section.

The notebook ``notebooks/go_no_go.ipynb`` calls these methods in order, one
per heading, and displays what they return. All logic lives here and in the
modules it calls; the notebook only decides the order.

Examples
--------
>>> report = build_go_no_go("data/demo/readiness.yaml", as_of="2016-06-30")  # doctest: +SKIP
>>> report.decision.value  # doctest: +SKIP
'NO-GO'
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analytics.config import CriterionConfig, load_config
from analytics.evaluate import evaluate_criteria
from analytics.evidence import Evidence, gather_evidence, parse_as_of
from analytics.frames import ROW_TIME, LoadResult, file_sha256
from analytics.metrics.resolution import (
    DEFAULT_RESOLUTION_TARGETS_HOURS,
    resolution_by_priority,
)
from analytics.metrics.slo import availability_timeline
from analytics.metrics.volume import ticket_volume
from analytics.readiness import CriterionResult, Decision, Status, decide, status_counts
from analytics.report.html import CSS, Chart, Html, chart_text, esc, format_value, table
from analytics.runinfo import (
    git_commit,
    package_version,
    refuse_future_decision,
    refuse_secret_parameters,
    utc_now,
)

__all__ = [
    "COMPLETION_MARKER",
    "GoNoGoReport",
    "build_go_no_go",
    "completion_marker",
    "evidence_audit",
    "neutralise_formula",
    "write_run_files",
]

logger = logging.getLogger(__name__)

COMPLETION_MARKER = "analytics-report-complete"
"""Text the last cell prints; the renderer refuses to publish a notebook without it."""

RUN_JSON_SCHEMA_VERSION = 1


def build_go_no_go(
    config: str | os.PathLike[str], as_of: str | None = None
) -> GoNoGoReport:
    """Read the evidence, evaluate the criteria and return the report.

    Parameters
    ----------
    config
        Path of the readiness config (YAML).
    as_of
        Decision time (ISO 8601). Empty or None: the config's ``as_of``.
    """
    refuse_secret_parameters(sys._getframe(1).f_globals)
    cfg = load_config(Path(config))
    when = parse_as_of(as_of if as_of else cfg.as_of)
    refuse_future_decision(when)
    evidence = gather_evidence(cfg, when)
    results, excluded = evaluate_criteria(evidence)
    return GoNoGoReport(evidence=evidence, results=results, excluded=excluded)


def neutralise_formula(value: object) -> object:
    """Make a cell safe to open in a spreadsheet: prefix text that starts a formula.

    Examples
    --------
    >>> neutralise_formula("=HYPERLINK(1)"), neutralise_formula("ok"), neutralise_formula(3)
    ("'=HYPERLINK(1)", 'ok', 3)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def evidence_audit(evidence: Evidence) -> dict[str, Any]:
    """The data part of run.json: every input file and how many rows were rejected."""
    return {
        "data": evidence.to_dict(),
        # Rows, as in each file's rows_in = rows_used + rows_rejected; one row can
        # carry several reasons, each a line of rejected_rows.csv.
        "rejected_rows": sum(load.rows_rejected for _, load in evidence.loads()),
        # Of rejected_rows: recorded after the decision time, set aside (not bad).
        "set_aside_rows": sum(load.rows_set_aside for _, load in evidence.loads()),
        "rejected_reasons": len(evidence.rejected()),
    }


def write_run_files(folder: Path, record: dict[str, Any], evidence: Evidence) -> None:
    """Write run.json and rejected_rows.csv (formulas defused) into a run folder.

    ``row_time`` is written as ISO 8601 UTC text, empty when unknown.
    """
    (folder / "run.json").write_text(json.dumps(record, indent=2, default=str), "utf-8")
    rejected = evidence.rejected()
    times = pd.to_datetime(rejected[ROW_TIME], utc=True)
    rejected[ROW_TIME] = times.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    rejected = rejected.map(neutralise_formula)
    rejected.to_csv(folder / "rejected_rows.csv", index=False)
    logger.info("wrote run.json and rejected_rows.csv to %s", folder)


def completion_marker(run_token: str, closing: str) -> Html:
    """The last output of a report; the renderer publishes nothing without it."""
    return Html(
        f'<div class="rr rr-complete" data-marker="{COMPLETION_MARKER}"'
        f' data-run-token="{esc(run_token)}"><p class="note">End of report.'
        f" {esc(closing)}</p></div>"
    )


def _status_cell(value: object) -> str:
    text = str(value)
    return f'<span class="st st-{esc(text.replace(" ", "-"))}">{esc(text)}</span>'


class GoNoGoReport:
    """Criteria results plus the evidence behind them, ready to display."""

    def __init__(
        self,
        *,
        evidence: Evidence,
        results: list[CriterionResult],
        excluded: Sequence[str],
    ) -> None:
        self.evidence = evidence
        self.results = results
        self.excluded = list(excluded)
        self.decision: Decision = decide(results)
        self.generated_at = utc_now()
        self._charts = 0

    @property
    def config_path(self) -> Path:
        """The config file this report was built from."""
        return Path(self.evidence.config.source_path or "")

    # ----------------------------------------------------------------- tables

    def criteria_frame(self) -> pd.DataFrame:
        """Every criterion result as a frame (the criteria table's data)."""
        rows = []
        for result in self.results:
            crit = result.criterion
            rows.append(
                {
                    "id": crit.criterion_id,
                    "status": str(result.status),
                    "criterion": crit.title,
                    "area": crit.area,
                    # A NO DATA value was not judged: showing it beside a target
                    # reads as a measurement. The detail says what it was.
                    "value": "—"
                    if result.status is Status.NO_DATA
                    else result.value_label or format_value(result.value, crit.unit),
                    "target": crit.target_text(),
                    "alert": crit.alert_text(),
                    "window": _window_text(result),
                    "coverage": ""
                    if result.coverage_ratio is None
                    else f"{result.coverage_ratio:.1%}",
                    "evidence": result.evidence_count,
                    "blocking": "yes" if crit.blocking else "no",
                    "detail": result.detail,
                }
            )
        return pd.DataFrame(rows)

    # --------------------------------------------------------------- sections

    def decision_summary(self) -> Html:
        """The decision, why, and how much evidence stands behind it."""
        counts = status_counts(self.results)
        blockers = [
            r
            for r in self.results
            if r.criterion.blocking and r.status in (Status.FAIL, Status.NO_DATA)
        ]
        conditions = [
            r
            for r in self.results
            if r.status is Status.WARN
            or (not r.criterion.blocking and r.status in (Status.FAIL, Status.NO_DATA))
        ]
        settings = self.evidence.config.report
        css_decision = str(self.decision).replace(" ", "-")
        parts = [
            CSS,
            '<div class="rr">',
            f"<h2>{esc(settings.title)}</h2>",
            f"<p>Service <b>{esc(settings.service)}</b>, decision time"
            f" <b>{self.evidence.as_of:%Y-%m-%d %H:%M} UTC</b></p>",
            f'<div class="decision decision-{esc(css_decision)}">{esc(self.decision)}</div>',
            "<p>"
            + ", ".join(f"{_status_cell(s)} {n}" for s, n in counts.items())
            + "</p>",
        ]
        if blockers:
            parts.append(
                f"<p><b>Blocking criteria not met ({len(blockers)}):</b></p><ul>"
                + "".join(
                    f"<li>{_status_cell(r.status)} {esc(r.criterion.title)}</li>"
                    for r in blockers
                )
                + "</ul>"
            )
        if conditions:
            parts.append(
                f"<p><b>Conditions ({len(conditions)}):</b></p><ul>"
                + "".join(
                    f"<li>{_status_cell(r.status)} {esc(r.criterion.title)}</li>"
                    for r in conditions
                )
                + "</ul>"
            )
        if not self.results:
            parts.append(
                "<p><b>No criterion was evaluated</b>: none is configured or every one"
                " is disabled, so there is no evidence for a GO.</p>"
            )
        if self.excluded:
            parts.append(
                f"<p><b>Not judged ({len(self.excluded)}):</b> switched off in the"
                " config (enabled: false), so this decision says nothing about them: "
                + ", ".join(esc(self._title(e)) for e in self.excluded)
                + "</p>"
            )
        if self.evidence.config.checklist is None:
            parts.append(
                "<p><b>No launch checklist</b> is configured (checklist: in the config),"
                " so this decision says nothing about sign-offs such as runbooks,"
                " on-call or the rollback plan.</p>"
            )
        inv = self.evidence.inventory()
        if not inv.empty:
            set_aside = sum(load.rows_set_aside for _, load in self.evidence.loads())
            rejected = int(inv["rows_rejected"].sum()) - set_aside
            later = (
                f", {set_aside:,} set aside as recorded after the decision time"
                if set_aside
                else ""
            )
            parts.append(
                f'<p class="note">Evidence: {len(inv)} source(s) in {_file_count(inv)}'
                " file(s),"
                f" {int(inv['rows_in'].sum()):,} rows read, {int(inv['rows_used'].sum()):,}"
                f" used, {rejected:,} rejected with a reason{later}"
                " (see Data and rejected rows).</p>"
            )
        parts.append(
            '<p class="note">Rules: NO-GO if any blocking criterion is FAIL or NO DATA;'
            " GO WITH CONDITIONS if any criterion is WARN or a non-blocking one is FAIL or"
            " NO DATA; otherwise GO. Missing, stale or partial evidence is NO DATA.</p>"
        )
        parts.append("</div>")
        return Html("".join(parts))

    def _title(self, crit_id: str) -> str:
        """A criterion's title from the config, else its id."""
        config = self.evidence.config.criteria.get(crit_id)
        title = getattr(config, "title", "") if config is not None else ""
        return f"{title} ({crit_id})" if title else crit_id

    def criteria_table(self) -> Html:
        """Every criterion: status, value, target, alert threshold, window, evidence."""
        frame = self.criteria_frame()
        columns = [
            ("status", "Status"),
            ("criterion", "Criterion"),
            ("area", "Area"),
            ("value", "Measured"),
            ("target", "Target"),
            ("alert", "Alert"),
            ("window", "Evidence window"),
            ("coverage", "Coverage"),
            ("evidence", "Evidence n"),
            ("blocking", "Blocking"),
            ("detail", "How measured / why no data"),
        ]
        markup = table(
            frame,
            columns,
            cells={"status": _status_cell},
            numeric=("value", "evidence"),
        )
        excluded = ""
        if self.excluded:
            excluded = (
                '<p class="note">Excluded by the config (enabled: false): '
                + ", ".join(esc(e) for e in self.excluded)
                + "</p>"
            )
        return Html(f'<div class="rr">{markup}{excluded}</div>')

    def availability(self) -> Html | Chart:
        """Availability over the evidence window, per hour or six hours, with gaps shown."""
        crit_id, config = self._first_of_kind("availability")
        if config is None:
            return _note(
                "No availability criterion is enabled, so there is nothing to chart."
            )
        if config.counters is not None:
            return _note(
                "Availability is measured from request counters: see the service-level"
                " objective, error budget and burn-rate sections below."
            )
        if not config.source or config.source not in self.evidence.metrics:
            reason = self.evidence.unavailable.get(config.source or "", "")
            return _note(
                "No availability samples to chart"
                + (f": source unavailable ({reason})." if reason else ".")
            )
        start = self.evidence.as_of - config.lookback_timedelta
        end = self.evidence.as_of
        freq = "1h" if config.lookback_timedelta <= pd.Timedelta(days=7) else "6h"
        samples = self.evidence.metrics[config.source].frame
        timeline = availability_timeline(
            samples,
            freq=freq,
            window_start=start,
            window_end=end,
            selector=config.selector or None,
        )
        if timeline.empty or timeline["valid"].sum() == 0:
            first, last = self.evidence.metrics[config.source].time_range("timestamp")
            span = (
                "no samples at all"
                if first is None
                else f"samples from {first} to {last}"
            )
            return _note(
                f"No samples of source '{config.source}' in the evidence window"
                f" {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC; the source has {span}."
                " The availability criterion is therefore NO DATA."
            )
        figure = go.Figure()
        figure.add_scatter(
            x=timeline["period_start"],
            y=timeline["availability"] * 100,
            mode="lines+markers",
            name="availability",
            connectgaps=False,
        )
        figure.add_bar(
            x=timeline["period_start"],
            y=timeline["coverage"] * 100,
            name="coverage",
            yaxis="y2",
            opacity=0.25,
        )
        figure.add_hline(y=config.target, line_dash="dash", annotation_text="target")
        figure.update_layout(
            title=f"Availability per {freq} ({chart_text(crit_id)}; gaps are periods without data)",
            yaxis={"title": "availability %"},
            yaxis2={
                "title": "coverage %",
                "overlaying": "y",
                "side": "right",
                "range": [0, 100],
            },
            height=380,
            margin={"l": 60, "r": 60, "t": 50, "b": 40},
        )
        return self.chart(figure)

    def resolution(self) -> Html:
        """Resolution time by priority against the per-priority targets."""
        start, end = self._ticket_window()
        if not self.evidence.tickets:
            return _note("No ticket source is configured.")
        by_priority = resolution_by_priority(
            self.evidence.all_tickets(),
            targets_hours=self._resolution_targets(),
            as_of=end,
            window_start=start,
        )
        columns = [
            ("priority", "Priority"),
            ("target_hours", "Target h"),
            ("tickets", "Opened"),
            ("resolved", "Resolved"),
            ("unresolved", "Unresolved"),
            ("unknown", "Ended, time unknown"),
            ("pending", "Open, in target"),
            ("cancelled", "Cancelled, left out"),
            ("within_target", "Within target"),
            ("share_within_target", "Share within"),
            ("share_within_target_resolved", "Share of resolved"),
            ("mean_hours", "Mean h"),
            ("median_hours", "Median h"),
            ("p90_hours", "p90 h"),
        ]
        shares = dict.fromkeys(
            ("share_within_target", "share_within_target_resolved"), _percent_cell
        )
        markup = table(
            by_priority, columns, cells=shares, numeric=[c for c, _ in columns[1:]]
        )
        return Html(
            f'<div class="rr"><p>Tickets opened {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC),'
            " wall-clock time from opened to final resolution, as known at the decision time."
            " Cancelled tickets are left out; a ticket that ended (closed, or in a"
            " resolved/closed state) without a resolution time has an unknown time and"
            " counts as not within target."
            f" Resolution times are heavy-tailed: read the median and p90 beside the mean.</p>"
            f"{markup}</div>"
        )

    def resolution_chart(self) -> Html | Chart:
        """Distribution of hours to resolve per priority (log scale), with targets."""
        start, end = self._ticket_window()
        if not self.evidence.tickets:
            return _note("No ticket source is configured.")
        tickets = self.evidence.all_tickets()
        window = tickets[
            (tickets["created_at"] >= start)
            & (tickets["created_at"] < end)
            & tickets["resolved_at"].notna()
            & (tickets["resolved_at"] <= end)
        ]
        if window.empty:
            return _note("No tickets opened and resolved in the window.")
        hours = (window["resolved_at"] - window["created_at"]).dt.total_seconds() / 3600
        figure = go.Figure()
        for priority, target in sorted(self._resolution_targets().items()):
            values = hours[window["priority"] == priority]
            figure.add_box(
                y=values.clip(lower=1 / 60),
                name=f"{chart_text(priority)} (target {target:g} h)",
            )
        figure.update_layout(
            title="Hours from opened to final resolution (log scale)",
            yaxis={"type": "log", "title": "hours"},
            height=380,
            showlegend=False,
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
        )
        return self.chart(figure)

    def ticket_volume(self) -> Html | Chart:
        """Tickets opened per day in the ticket window, by priority."""
        start, end = self._ticket_window()
        if not self.evidence.tickets:
            return _note("No ticket source is configured.")
        volume = ticket_volume(
            self.evidence.all_tickets(), window_start=start, window_end=end
        )
        figure = go.Figure()
        for column in [c for c in volume.columns if c not in ("period_start", "total")]:
            figure.add_bar(
                x=volume["period_start"], y=volume[column], name=chart_text(column)
            )
        figure.update_layout(
            barmode="stack",
            title="Tickets opened per day",
            height=340,
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
        )
        return self.chart(figure)

    def checklist(self) -> Html:
        """The launch checklist items with their status as criteria."""
        items = [
            r for r in self.results if r.criterion.criterion_id.startswith("checklist:")
        ]
        if self.evidence.checklist is None:
            return _note(
                "No launch checklist is configured: add checklist.path to the config."
            )
        source = self.evidence.checklist.frame.set_index("row_number")
        rows = []
        for result in items:
            row_number = int(result.criterion.criterion_id.split(":")[1])
            item: dict[str, Any] = {
                "item": result.criterion.title,
                "area": "",
                "owner": "",
                "evidence": "",
                "date": None,
            }
            if row_number in source.index:  # else a row that could not be read
                item = {str(k): v for k, v in source.loc[row_number].items()}
            rows.append(
                {
                    "status": str(result.status),
                    "item": item["item"],
                    "area": item["area"],
                    "owner": item["owner"],
                    "evidence": item["evidence"],
                    "date": item["date"],
                    "blocking": "yes" if result.criterion.blocking else "no",
                    "detail": result.detail,
                }
            )
        columns = [
            ("status", "Status"),
            ("item", "Item"),
            ("area", "Area"),
            ("owner", "Owner"),
            ("evidence", "Evidence"),
            ("date", "Verified"),
            ("blocking", "Blocking"),
            ("detail", "Detail"),
        ]
        max_age = (
            self.evidence.config.checklist.max_age_days
            if self.evidence.config.checklist
            else 0
        )
        return Html(
            f'<div class="rr"><p>Items verified more than {max_age:g} days before the decision'
            " time are stale (NO DATA).</p>"
            + table(pd.DataFrame(rows), columns, cells={"status": _status_cell})
            + "</div>"
        )

    def data_inventory(self) -> Html:
        """Every input file with rows in / used / rejected, and rejections by reason."""
        inventory = self.evidence.inventory()
        rejected = self.evidence.rejected()
        columns = [
            ("source", "Source"),
            ("kind", "Kind"),
            ("file", "File"),
            ("rows_in", "Rows in"),
            ("rows_used", "Used"),
            ("rows_rejected", "Rejected"),
            ("records", "Records"),
            ("first", "First"),
            ("last", "Last"),
            ("sha256", "SHA-256"),
        ]
        inventory = inventory.assign(
            file=inventory["file"].where(
                inventory["kind"] == "unavailable",
                inventory["file"].map(_shown_files),
            ),
            sha256=inventory["sha256"].str[:12],
        )
        parts = [
            '<div class="rr">',
            table(
                inventory,
                columns,
                numeric=("rows_in", "rows_used", "rows_rejected", "records"),
            ),
            "<p>Rows in = used + rejected for every file. A ticket event log has several rows"
            " per ticket, so records (tickets) are fewer than rows used.</p>",
        ]
        if rejected.empty:
            parts.append("<p>No rows were rejected.</p>")
        else:
            by_reason = (
                rejected.groupby(["source", "reason_code"])
                .agg(
                    rows=("row_number", "nunique"),
                    example=("message", "first"),
                )
                .reset_index()
            )
            parts.append("<h4>Rejected rows by reason</h4>")
            parts.append(
                table(
                    by_reason,
                    [
                        ("source", "Source"),
                        ("reason_code", "Reason"),
                        ("rows", "Rows"),
                        ("example", "Message (first)"),
                    ],
                    numeric=("rows",),
                )
            )
            parts.append("<h4>First rejected rows</h4>")
            parts.append(
                table(
                    rejected.head(20),
                    [
                        ("source", "Source"),
                        ("row_number", "Row"),
                        ("column", "Column"),
                        ("value", "Value"),
                        ("reason_code", "Reason"),
                        ("message", "Message"),
                    ],
                )
            )
            parts.append(
                f'<p class="note">All {len(rejected):,} rejections are in'
                " rejected_rows.csv beside this report.</p>"
            )
        notes = _notes_by_rule(self.evidence.loads())
        if notes:
            parts.append(
                "<h4>Rules applied while reading</h4><ul>"
                + "".join(
                    f"<li><b>{esc(', '.join(names))}</b>: {esc(note)}</li>"
                    for note, names in notes.items()
                )
                + "</ul>"
            )
        parts.append("</div>")
        return Html("".join(parts))

    def run_metadata(self, parameters: dict[str, Any] | None = None) -> Html:
        """Parameters, config, package version and git commit of this run."""
        meta = self.metadata(parameters)
        rows = pd.DataFrame(
            [
                {"key": k, "value": v if isinstance(v, str) else json.dumps(v)}
                for k, v in meta.items()
            ]
        )
        return Html(
            '<div class="rr">'
            + table(rows, [("key", "Field"), ("value", "Value")])
            + "</div>"
        )

    def metadata(self, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run metadata as a dict (also written to run.json)."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "as_of": self.evidence.as_of.isoformat(),
            "config": str(self.config_path),
            "config_sha256": file_sha256(self.config_path)
            if self.config_path.is_file()
            else None,
            "parameters": parameters or {},
            "package_version": package_version(),
            "git_commit": git_commit(),
            # Shown so that a report built with certificate checks off says so.
            "prometheus_tls_verification": {
                s.name: s.verify_tls
                for s in self.evidence.config.metrics
                if s.format == "prometheus"
            },
            "rejected_share_limit": self.evidence.config.max_rejected_ratio,
        }

    def run_record(self, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """Everything a scheduler needs: decision, criteria, data, metadata."""
        return {
            "schema_version": RUN_JSON_SCHEMA_VERSION,
            "report": "go-no-go",
            "title": self.evidence.config.report.title,
            "service": self.evidence.config.report.service,
            "decision": str(self.decision),
            "status_counts": status_counts(self.results),
            "criteria": [r.to_dict() for r in self.results],
            "excluded_criteria": self.excluded,
            "checklist_configured": self.evidence.config.checklist is not None,
            **evidence_audit(self.evidence),
            **self.metadata(parameters),
        }

    def finish(
        self,
        run_dir: str = "",
        run_token: str = "",
        parameters: dict[str, Any] | None = None,
    ) -> Html:
        """Write run.json and rejected_rows.csv to ``run_dir`` (if given), then mark completion.

        The marker is the last output of the notebook; the renderer publishes
        nothing unless it finds it with the expected token.
        """
        if run_dir:
            write_run_files(Path(run_dir), self.run_record(parameters), self.evidence)
        return completion_marker(run_token, f"Decision: {self.decision}.")

    # ---------------------------------------------------------------- helpers

    def chart(self, figure: go.Figure) -> Chart:
        """Wrap a figure for display; the first chart of a report carries plotly.js inline."""
        self._charts += 1
        return Chart(
            figure,
            include_plotlyjs=self._charts == 1,
            div_id=f"rr-chart-{self._charts}",
        )

    def _first_of_kind(self, kind: str) -> tuple[str, CriterionConfig | None]:
        for crit_id, config in self.evidence.config.criteria.items():
            if config.kind == kind and config.enabled:
                return crit_id, config
        return "", None

    def _ticket_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        lookbacks = [
            c.lookback_timedelta
            for c in self.evidence.config.criteria.values()
            if c.kind == "resolution_within_target" and c.enabled
        ]
        lookback = max(lookbacks) if lookbacks else pd.Timedelta(days=90)
        return self.evidence.as_of - lookback, self.evidence.as_of

    def _resolution_targets(self) -> dict[str, float]:
        targets = dict(DEFAULT_RESOLUTION_TARGETS_HOURS)
        for config in self.evidence.config.criteria.values():
            if (
                config.kind == "resolution_within_target"
                and config.priority
                and config.target_hours
            ):
                targets[config.priority] = config.target_hours
        return targets


def _percent_cell(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1%}"


def _note(text: str) -> Html:
    return Html(f'<div class="rr"><p class="box">{esc(text)}</p></div>')


def _window_text(result: CriterionResult) -> str:
    if result.window_start is None and result.window_end is None:
        return ""
    if result.window_start is None and result.window_end is not None:
        return f"verified {result.window_end:%Y-%m-%d}"
    assert result.window_start is not None and result.window_end is not None
    return f"{result.window_start:%Y-%m-%d %H:%M} – {result.window_end:%Y-%m-%d %H:%M}"


def _notes_by_rule(loads: list[tuple[str, LoadResult]]) -> dict[str, list[str]]:
    """Each reader note once, with the sources it applied to, in reading order.

    >>> from types import SimpleNamespace as Load
    >>> _notes_by_rule([("cpu", Load(notes=["UTC"])), ("mem", Load(notes=["UTC", "x"]))])
    {'UTC': ['cpu', 'mem'], 'x': ['mem']}
    """
    grouped: dict[str, list[str]] = {}
    for name, load in loads:
        for note in load.notes:
            sources = grouped.setdefault(note, [])
            if name not in sources:
                sources.append(name)
    return grouped


def _shown_files(joined: str) -> str:
    """A source's file name, or its folder and file count when it read several.

    >>> _shown_files("/d/up/a.json;/d/up/b.json")
    'up/ (2 files: a.json, b.json)'
    >>> _shown_files("/d/t.csv")
    't.csv'
    """
    paths = [Path(p) for p in str(joined).split(";") if p]
    if len(paths) <= 1:
        return paths[0].name if paths else ""
    names = [p.name for p in paths]
    listed = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return f"{paths[0].parent.name}/ ({len(paths)} files: {listed})"


def _file_count(inventory: pd.DataFrame) -> int:
    readable = inventory[inventory["kind"] != "unavailable"]
    return sum(len([p for p in str(f).split(";") if p]) for f in readable["file"])
