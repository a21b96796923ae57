"""The post-launch review: did the launch work, and what now?

One object, one method per section, like the go / no-go report. The notebook
``notebooks/post_launch_review.ipynb`` calls the methods in order and shows
what they return; every figure comes from ``analytics.metrics`` and the
evaluators of ``analytics.evaluate``.

The review window is ``[go_live, go_live + review_days)``. The go-live success
criteria (``analytics/defaults/go_live_success.yaml``, overridden by the
config's ``post_launch.criteria``) are evaluated each on its own window: the
review, the first 24 hours or the first week. A criterion kind without an
evaluator is NO DATA with the reason: no evidence, no PASS.

Launch outcome: **PASS** when no blocking success criterion is FAIL or NO DATA,
otherwise **FAIL** (the summary separates failed from unmeasured).

Examples
--------
>>> report = build_post_launch("data/demo/readiness.yaml", "2016-04-01")  # doctest: +SKIP
>>> report.outcome  # doctest: +SKIP
'FAIL'
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from pydantic import ValidationError

from analytics.checklist import checklist_criteria, row_labels
from analytics.config import (
    CriterionConfig,
    ReadinessConfig,
    default_criteria,
    error_location,
    load_config,
    merge_criterion,
    parse_duration,
)
from analytics.criterion_params import param
from analytics.errors import AnalyticsError, ConfigError
from analytics.evaluate import (
    EVALUATORS,
    distrust_unfit_sources,
    newest_record,
    to_criterion,
)
from analytics.evaluators_adoption import evaluate_adoption
from analytics.evaluators_slo import counter_frames
from analytics.evaluators_support import tickets_in_window
from analytics.evidence import Evidence, gather_evidence, parse_as_of
from analytics.frames import LoadResult, file_sha256, to_pandas
from analytics.metrics.histogram import histogram_quantile, parse_le
from analytics.metrics.incidents import critical_incidents
from analytics.metrics.slo import (
    COUNTER_SKEW,
    SLOResult,
    availability_from_counters,
    availability_from_error_counters,
    availability_from_up,
    availability_timeline,
    counter_increase_by_period,
)
from analytics.metrics.support import volume_against_history
from analytics.readiness import (
    CriterionResult,
    Status,
    evaluate_value,
    no_data,
    status_counts,
)
from analytics.report import anomaly_section, slo_section, support_section
from analytics.report.baseline import Baseline, read_baseline
from analytics.report.go_no_go import (
    GoNoGoReport,
    completion_marker,
    evidence_audit,
    write_run_files,
)
from analytics.report.html import CSS, Chart, Html, chart_text, esc, format_value, table
from analytics.runinfo import refuse_secret_parameters
from analytics.sources.alerts import read_alert_history
from analytics.sources.drills import read_drills

__all__ = [
    "CLOSE_MARGIN",
    "PostLaunchReport",
    "RollbackCheck",
    "build_post_launch",
    "disabled_success_criteria",
    "distrust_unfinished_window",
    "success_criteria_configs",
]

logger = logging.getLogger(__name__)

CLOSE_MARGIN: Final = 0.10
"""A passed criterion within this share of its threshold is "close" (see lessons)."""

RUN_JSON_SCHEMA_VERSION: Final = 1
_WINDOWS: Final = ("review", "first_24h", "first_week")
_SOURCE_FIELDS: Final = (
    "source",
    "good_source",
    "total_source",
    "selector",
    "priority",
    "target_hours",
    "priorities",
    "min_coverage",
    "min_events",
)
_IMPACT_PRIORITIES: Final = ("P1", "P2")
_IMPACT_ROWS: Final = 40
_FIRED_ROWS: Final = 20

Evaluator = Callable[[str, CriterionConfig, Evidence], CriterionResult]


# --- criteria -------------------------------------------------------------------------


def success_criteria_configs(
    config: ReadinessConfig, go_live: pd.Timestamp
) -> dict[str, tuple[str, CriterionConfig]]:
    """The go-live success criteria: id -> (window name, criterion config).

    Defaults come from ``go_live_success.yaml``; sources from the config's
    enabled criterion of the same kind; then ``post_launch.criteria``
    overrides. Disabled criteria are left out (:func:`disabled_success_criteria`
    names them).

    Raises
    ------
    ConfigError
        An override names an unknown id without a ``kind``, or a bad field.
    """
    return {
        crit_id: (window, crit)
        for crit_id, (window, crit) in _success_criteria(config, go_live).items()
        if crit.enabled
    }


def disabled_success_criteria(
    config: ReadinessConfig, go_live: pd.Timestamp
) -> list[str]:
    """Ids of the success criteria switched off (``enabled: false``), in order."""
    return [
        crit_id
        for crit_id, (_, crit) in _success_criteria(config, go_live).items()
        if not crit.enabled
    ]


def _success_criteria(
    config: ReadinessConfig, go_live: pd.Timestamp
) -> dict[str, tuple[str, CriterionConfig]]:
    """Every go-live success criterion, switched off or not."""
    merged = default_criteria("go_live_success")
    for crit_id, fields in config.post_launch.criteria.items():
        if crit_id in merged:
            merged[crit_id] = merge_criterion(merged[crit_id], fields)
        elif "kind" in fields:
            merged[crit_id] = {"window": "review", **fields}
        else:
            raise ConfigError(
                f"post_launch.criteria.{crit_id} is not a success criterion and has no"
                f" 'kind'. Fix: use one of {', '.join(sorted(merged))}, or give it a kind"
            )

    out: dict[str, tuple[str, CriterionConfig]] = {}
    for crit_id, fields in merged.items():
        fields = dict(fields)
        window = str(fields.pop("window", "review"))
        if window not in _WINDOWS:
            raise ConfigError(
                f"post_launch.criteria.{crit_id}.window is {window!r}; use one of {_WINDOWS}"
            )
        base = _base_fields(config, str(fields.get("kind", "")))
        params = {**base.pop("params", {}), **fields.pop("params", {})}
        if fields.get("kind") == "adoption":
            params.setdefault("go_live", go_live.isoformat())
        try:
            crit = CriterionConfig.model_validate({**base, **fields, "params": params})
        except ValidationError as exc:
            problems = "; ".join(
                f"{error_location(error) or 'value'}:"
                f" {error['msg'].removeprefix('Value error, ')}"
                for error in exc.errors()
            )
            raise ConfigError(f"post_launch.criteria.{crit_id}: {problems}") from exc
        out[crit_id] = (window, crit)
    return out


def _base_fields(config: ReadinessConfig, kind: str) -> dict[str, Any]:
    """Where the evidence is, taken from the config's criterion of this kind."""
    for crit in config.criteria.values():
        if crit.kind == kind and crit.enabled:
            dumped = crit.model_dump()
            base = {k: dumped[k] for k in _SOURCE_FIELDS if dumped[k] is not None}
            base["params"] = dict(crit.params)
            return base
    return {"params": {}}


# --- local evaluators for kinds the go / no-go report does not have ----------------------


def _critical_incidents(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = to_criterion(crit_id, config)
    start, end = evidence.as_of - config.lookback_timedelta, evidence.as_of
    if not evidence.tickets:
        return no_data(criterion, "no ticket source configured", window_start=start)
    # Incidents only when the config says which source holds them (support tickets
    # marked "critical" by customers are not production incidents).
    names = (config.source,) if config.source else tuple(evidence.tickets)
    tickets = tickets_in_window(evidence, names, start, end)
    found = critical_incidents(
        tickets,
        window_start=start,
        window_end=end,
        priorities=tuple(config.priorities),
    ).iloc[0]
    count = int(found["count"])
    ids = ", ".join(str(i) for i in list(found["ticket_ids"])[:10])
    detail = (
        f"{count} {'/'.join(config.priorities)} incident(s) opened"
        f" {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        + (f": {ids}" if count else "")
        + f"; {len(tickets):,} tickets of any priority opened in the window"
        + f" (source {', '.join(names)})"
    )
    return evaluate_value(
        criterion,
        float(count),
        window_start=start,
        window_end=end,
        evidence_count=len(tickets),
        detail=detail,
        sources=names,
    )


def _ticket_volume_range(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = to_criterion(crit_id, config)
    start, end = evidence.as_of - config.lookback_timedelta, evidence.as_of
    if not evidence.tickets:
        return no_data(criterion, "no ticket source configured", window_start=start)
    created = evidence.all_tickets()["created_at"].dropna()
    if not ((created >= start) & (created < end)).any():
        return no_data(
            criterion,
            f"no ticket opened {start:%Y-%m-%d} to {end:%Y-%m-%d}",
            window_start=start,
            window_end=end,
        )
    history_days = float(param(config.kind, config.params, "history_days"))
    needed_days = float(param(config.kind, config.params, "min_history_days"))
    history_start = max(
        start - pd.Timedelta(days=history_days), created.min().floor("D")
    )
    have_days = (start - history_start) / pd.Timedelta(days=1)
    if have_days < needed_days:
        return no_data(
            criterion,
            f"only {max(have_days, 0):.0f} days of ticket history before go-live;"
            f" {needed_days:g} needed for an expected range",
            window_start=start,
            window_end=end,
        )
    volume = volume_against_history(
        pd.DataFrame({"created_at": created}),
        window_start=start,
        window_end=end,
        history_start=history_start,
        history_end=start,
    )
    judged = volume[volume["expected_high"].notna()]
    inside = int((judged["outside"] == "").sum())
    above = judged.loc[judged["outside"] == "above", "period_start"]
    detail = (
        f"{inside} of {len(judged)} days within the 5th–95th percentile of the same"
        f" weekday, {history_start:%Y-%m-%d} to {start:%Y-%m-%d}; days above:"
        f" {', '.join(f'{d:%m-%d}' for d in above) or 'none'}"
    )
    return evaluate_value(
        criterion,
        100 * inside / len(judged) if len(judged) else None,
        window_start=start,
        window_end=end,
        evidence_count=len(judged),
        detail=detail,
        sources=tuple(evidence.tickets),
    )


def _business_processes(
    crit_id: str, config: CriterionConfig, evidence: Evidence
) -> CriterionResult:
    criterion = to_criterion(crit_id, config)
    start, end = evidence.as_of - config.lookback_timedelta, evidence.as_of
    area = str(param(config.kind, config.params, "area")).casefold()
    if evidence.checklist is None:
        return no_data(
            criterion,
            f"no checklist configured; list the business processes as checklist items"
            f" with area '{area}'",
            window_start=start,
            window_end=end,
        )
    frame = evidence.checklist.frame
    items = frame[frame["area"].astype("string").str.casefold() == area]
    unreadable = _unreadable_checklist_rows(evidence.checklist, area)
    if unreadable:
        # As in go / no-go, an unreadable row is an item without evidence, not no item.
        return no_data(
            criterion,
            f"{len(unreadable)} checklist row(s) that may be '{area}' items could not"
            f" be read, so not every process is known to be up: {'; '.join(unreadable)}"
            f" ({len(items)} readable '{area}' items); fix the rows (see"
            " rejected_rows.csv)",
            window_start=start,
            window_end=end,
            sources=("checklist",),
        )
    if items.empty:
        return no_data(
            criterion,
            f"the checklist has no item with area '{area}'",
            window_start=start,
            window_end=end,
        )
    results = checklist_criteria(
        items, as_of=end, max_age_days=config.lookback_timedelta / pd.Timedelta(days=1)
    )
    up = sum(r.status is Status.PASS for r in results)
    failed = [r.criterion.title for r in results if r.status is Status.FAIL]
    unknown = [r.criterion.title for r in results if r.status is Status.NO_DATA]
    detail = f"{up} of {len(results)} '{area}' items done and verified in the window"
    if failed:
        detail += "; not up: " + "; ".join(failed)
    if unknown and not failed:
        return no_data(
            criterion,
            detail + "; not verified during the review: " + "; ".join(unknown),
            window_start=start,
            window_end=end,
        )
    return evaluate_value(
        criterion,
        100 * up / len(results),
        window_start=start,
        window_end=end,
        evidence_count=len(results),
        detail=detail,
        sources=("checklist",),
    )


def _unreadable_checklist_rows(load: LoadResult, area: str) -> list[str]:
    """Rejected checklist rows of ``area``, or of an area that cannot be known, named.

    The rejected-rows table does not carry the row's area, so the file is read
    again for it (same reader, same row numbers); when that fails, or the row's
    area is empty, the row may be in ``area`` and counts.
    """
    rejected = load.rejected
    if rejected.empty:
        return []
    areas: dict[int, str] = {}
    items: dict[int, str] = {}
    try:
        for number, (item, row_area) in row_labels(load.source_file).items():
            items[number], areas[number] = item, row_area
    except (AnalyticsError, OSError, ValueError):
        pass
    named = []
    for row_number, rows in rejected.groupby("row_number", sort=True):
        number = int(row_number)  # type: ignore[arg-type]  # a row number
        row_area = areas.get(number, "")
        if row_area and row_area.casefold() != area:
            continue
        problems = ", ".join(
            f"{c} {v!r}: {m}"
            for c, v, m in rows[["column", "value", "message"]].itertuples(index=False)
        )
        label = f"row {number}"
        if items.get(number):
            label += f" ({items[number]!r})"
        if not row_area:
            label += ", area unknown"
        named.append(f"{label}: {problems}")
    return named


_LOCAL_EVALUATORS: Final[dict[str, Evaluator]] = {
    "critical_incidents": _critical_incidents,
    "ticket_volume_range": _ticket_volume_range,
    "business_processes": _business_processes,
}


def _sources_ending_before(
    evidence: Evidence, names: Sequence[str], window_start: pd.Timestamp
) -> list[str]:
    """Ticket, survey and activity sources of ``names`` with no record since ``window_start``.

    ``max_data_age`` (see :func:`analytics.evaluate.stale_sources`) is judged
    against the window's end, so an export ending shortly before go-live
    passes it for a 24-hour or one-week window; yet it holds nothing about
    that window, and "0 incidents" measured on it is not evidence. Records
    after the window end (or the run's clock) do not count, as there.
    """
    timed: dict[str, LoadResult] = {**evidence.tickets, **evidence.surveys}
    if evidence.activity is not None:
        timed["activity"] = evidence.activity
    horizon = min(evidence.as_of, evidence.read_at)
    reasons = []
    for name in names:
        load = timed.get(name)
        if load is None:
            continue
        newest = newest_record(load.frame, not_after=horizon)
        if newest is None or newest < window_start:
            last = (
                "no usable record" if newest is None else f"{newest:%Y-%m-%d %H:%M} UTC"
            )
            reasons.append(
                f"source '{name}' has no record from the window's start"
                f" {window_start:%Y-%m-%d %H:%M} UTC on (last record: {last}), so it"
                " shows nothing about the window: export it again after"
                f" {evidence.as_of:%Y-%m-%d %H:%M} UTC"
            )
    return reasons


def _distrust_sources_before(
    result: CriterionResult, evidence: Evidence, window_start: pd.Timestamp
) -> CriterionResult:
    """NO DATA when a source behind ``result`` ends before its window starts."""
    reasons = _sources_ending_before(evidence, result.sources, window_start)
    if not reasons:
        return result
    if result.status is Status.NO_DATA:
        return replace(result, detail="; ".join([result.detail, *reasons]))
    measured = "" if result.value is None else f" (measured {result.value:g} on it)"
    return no_data(
        result.criterion,
        "; ".join(reasons) + measured,
        window_start=result.window_start,
        window_end=result.window_end,
        coverage_ratio=result.coverage_ratio,
        sources=result.sources,
    )


def distrust_unfinished_window(
    result: CriterionResult, evidence: Evidence
) -> CriterionResult:
    """NO DATA when the criterion's window (ending at ``evidence.as_of``) is not over.

    In an interim review the window ends after the run's wall clock
    (``evidence.read_at``): evidence for the rest of it does not exist yet, so
    a value measured on the part so far is not the criterion's value (a day
    still to come has no tickets, a CSAT may still drop). The reason says so
    instead of blaming the exports, which may well be fresh; a result that is
    already NO DATA keeps its own reason (a stale export stays one) and gains
    this one. A window that is over is left as it is.
    """
    now, end = evidence.read_at, evidence.as_of
    if end <= now:
        return result
    reason = (
        f"the window is not over yet: it ends {end:%Y-%m-%d %H:%M} UTC, and evidence"
        f" for after now ({now:%Y-%m-%d %H:%M} UTC) does not exist yet; render the"
        " review again after the window ends"
    )
    if result.status is Status.NO_DATA:
        return replace(result, detail="; ".join(filter(None, [result.detail, reason])))
    so_far = result.value_label or (
        ""
        if result.value is None
        else format_value(result.value, result.criterion.unit)
    )
    measured = f" (so far: {result.status} at {so_far})" if so_far else ""
    return no_data(
        result.criterion,
        reason + measured,
        window_start=result.window_start,
        window_end=result.window_end,
        coverage_ratio=result.coverage_ratio,
        sources=result.sources,
    )


# --- build ----------------------------------------------------------------------------


def build_post_launch(
    config: str | os.PathLike[str],
    go_live: str,
    review_days: int = 28,
    baseline_run: str = "",
) -> PostLaunchReport:
    """Read the evidence as of the end of the review and evaluate the success criteria.

    Parameters
    ----------
    config
        Path of the readiness config (YAML).
    go_live
        Go-live time, ISO 8601 (a date means 00:00 UTC).
    review_days
        Length of the review window in days.
    baseline_run
        Path of the go / no-go ``run.json`` to compare with, or ``""``.

    Raises
    ------
    ConfigError
        A bad config, go-live time or review length, or a baseline that is not
        a go / no-go run of this service (see :func:`read_baseline`).
    """
    refuse_secret_parameters(sys._getframe(1).f_globals)
    if int(review_days) < 1:
        raise ConfigError(f"review_days is {review_days!r}; give a whole number ≥ 1")
    cfg = load_config(Path(config))
    start = parse_as_of(go_live)
    if baseline_run:
        # Refused before any data is read: a run of another service compares nothing.
        read_baseline(
            baseline_run,
            service=cfg.report.service,
            config_path=cfg.source_path,
            go_live=start,
            name=f"baseline_run {baseline_run}",
        )
    end = start + pd.Timedelta(days=int(review_days))
    evidence = gather_evidence(cfg, end)
    return PostLaunchReport(
        evidence=evidence,
        go_live=start,
        review_days=int(review_days),
        baseline_run=baseline_run,
        activity=getattr(evidence, "activity", None),
        licences=getattr(evidence, "licences", None),
    )


@dataclass(frozen=True)
class RollbackCheck:
    """One rollback trigger checked period by period over the review window."""

    name: str
    threshold_text: str
    unit: str
    values: pd.DataFrame
    """``period_start`` and ``value`` (NaN where the period had no data)."""
    fired: pd.DataFrame
    """The periods where the trigger would have fired."""
    reason: str = ""
    """Why there is no data, when there is none."""

    @property
    def status(self) -> Status:
        """FAIL when it would have fired, NO DATA without data, else PASS."""
        if not self.fired.empty:
            return Status.FAIL
        if self.values.empty or self.values["value"].notna().sum() == 0:
            return Status.NO_DATA
        return Status.PASS


class PostLaunchReport:
    """Success criteria, review sections and follow-ups for one launch."""

    def __init__(
        self,
        *,
        evidence: Evidence,
        go_live: pd.Timestamp,
        review_days: int,
        baseline_run: str = "",
        activity: LoadResult | None = None,
        licences: LoadResult | None = None,
    ) -> None:
        self.go_live = go_live
        self.review_days = review_days
        self.review_end = go_live + pd.Timedelta(days=review_days)
        self.baseline_run = baseline_run
        self.activity = activity
        self.licences = licences
        self.evidence = replace(
            evidence, as_of=self.review_end, config=self._review_config(evidence.config)
        )
        # Read like every other input file: one that cannot be used stops the run
        # with the reader's InputError (exit 2), never a note inside the report.
        settings = self.evidence.config.post_launch
        if self.evidence.alerts is None and settings.alerts is not None:
            self.evidence = replace(
                self.evidence, alerts=read_alert_history(settings.alerts)
            )
        if self.evidence.drills is None and settings.drills is not None:
            self.evidence = replace(
                self.evidence,
                drills=read_drills(
                    settings.drills,
                    rto=parse_duration(settings.rto),
                    rpo=parse_duration(settings.rpo),
                ),
            )
        self.windows: dict[str, str] = {}
        self.unfinished: set[str] = set()
        """Success criteria NO DATA only because their window is not over yet."""
        self.results = self._evaluate()
        self.excluded = disabled_success_criteria(self.evidence.config, go_live)
        # The go / no-go sections are reused on the review window, sharing one chart
        # counter so that plotly.js is inlined once and chart ids stay unique.
        self.inner = GoNoGoReport(
            evidence=self.evidence, results=self.results, excluded=[]
        )
        self.generated_at = self.inner.generated_at
        self._rollback: list[RollbackCheck] | None = None

    # ------------------------------------------------------------------ model

    @property
    def outcome(self) -> str:
        """``PASS`` when no blocking criterion is FAIL or NO DATA, else ``FAIL``."""
        return "FAIL" if self.blocking_problems() or not self.results else "PASS"

    def blocking_problems(self) -> list[CriterionResult]:
        """Blocking success criteria that failed or could not be measured."""
        return [
            r
            for r in self.results
            if r.criterion.blocking and r.status in (Status.FAIL, Status.NO_DATA)
        ]

    def chart(self, figure: go.Figure) -> Chart:
        """Wrap a figure; plotly.js is inlined with the report's first chart only."""
        return self.inner.chart(figure)

    def _review_config(self, config: ReadinessConfig) -> ReadinessConfig:
        lookback = f"{self.review_days}d"
        criteria = {
            k: c.model_copy(update={"lookback": lookback})
            for k, c in config.criteria.items()
        }
        return config.model_copy(update={"criteria": criteria})

    def _window_end(self, window: str) -> tuple[pd.Timestamp, str]:
        span = {"first_24h": "24h", "first_week": "7d"}.get(
            window, f"{self.review_days}d"
        )
        end = min(self.go_live + parse_duration(span), self.review_end)
        length = end - self.go_live
        return end, f"{length.total_seconds():.0f}s"

    def _evaluate(self) -> list[CriterionResult]:
        results = []
        configs = success_criteria_configs(self.evidence.config, self.go_live)
        for crit_id, (window, crit) in configs.items():
            end, lookback = self._window_end(window)
            crit = crit.model_copy(update={"lookback": lookback})
            evidence = replace(self.evidence, as_of=end)
            self.windows[crit_id] = window
            result = self._evaluate_one(crit_id, crit, evidence)
            result = distrust_unfit_sources(result, evidence)
            result = _distrust_sources_before(result, evidence, self.go_live)
            if (
                result.status is not Status.NO_DATA
                and evidence.as_of > evidence.read_at
            ):
                # Measured, but on a window not over yet: only time is missing.
                self.unfinished.add(crit_id)
            results.append(distrust_unfinished_window(result, evidence))
        return results

    def _evaluate_one(
        self, crit_id: str, crit: CriterionConfig, evidence: Evidence
    ) -> CriterionResult:
        evaluator = EVALUATORS.get(crit.kind) or _LOCAL_EVALUATORS.get(crit.kind)
        if evaluator is not None:
            return evaluator(crit_id, crit, evidence)
        if crit.kind == "adoption":
            return evaluate_adoption(
                crit,
                self.activity,
                self.licences,
                evidence.as_of,
                criterion_id=crit_id,
                min_coverage=self.evidence.config.min_coverage,
            )
        return no_data(
            to_criterion(crit_id, crit),
            f"not measured: this version has no evaluator for '{crit.kind}' evidence",
            window_start=evidence.as_of - crit.lookback_timedelta,
            window_end=evidence.as_of,
        )

    # --------------------------------------------------------------- sections

    def decision_summary(self) -> Html:
        """The launch outcome with counts, failures and triggers that fired."""
        counts = status_counts(self.results)
        failed = [r for r in self.blocking_problems() if r.status is Status.FAIL]
        unmeasured = [r for r in self.blocking_problems() if r.status is Status.NO_DATA]
        fired = [c for c in self.rollback_checks() if c.status is Status.FAIL]
        service = self.evidence.config.report.service
        parts = [
            CSS,
            '<div class="rr">',
            f"<h2>Post-launch review — {esc(service)}</h2>",
            f"<p>Go-live <b>{self.go_live:%Y-%m-%d %H:%M} UTC</b>; review window"
            f" <b>{self.review_days} days</b>, to {self.review_end:%Y-%m-%d %H:%M} UTC.</p>",
            *self._interim_note(),
            f'<div class="decision decision-{"GO" if self.outcome == "PASS" else "NO-GO"}">'
            f"Launch {esc(self.outcome)}</div>",
            "<p>"
            + ", ".join(f"{_status_cell(s)} {n}" for s, n in counts.items())
            + f" of {len(self.results)} success criteria</p>",
        ]
        for label, items in (("Failed", failed), ("Not measured", unmeasured)):
            if items:
                parts.append(
                    f"<p><b>{label} ({len(items)}):</b></p><ul>"
                    + "".join(f"<li>{esc(r.criterion.title)}</li>" for r in items)
                    + "</ul>"
                )
        if self.excluded:
            parts.append(
                f"<p><b>Not judged ({len(self.excluded)}):</b> switched off in the"
                " config (<code>enabled: false</code>): "
                + ", ".join(esc(crit_id) for crit_id in self.excluded)
                + ".</p>"
            )
        parts.append(
            f"<p>Rollback triggers that would have fired: {len(fired)}"
            + (f" ({esc(', '.join(c.name for c in fired))})" if fired else "")
            + f". Drafted follow-ups: {len(self.lesson_items())}.</p>"
        )
        parts.append(
            '<p class="note">Rule: the launch PASSES when no blocking success criterion'
            " is FAIL or NO DATA; a criterion that could not be measured is not evidence"
            " of success.</p></div>"
        )
        return Html("".join(parts))

    def is_interim(self) -> bool:
        """The review window had not ended when the evidence was read or the review generated."""
        read_at = min(self.evidence.read_at, pd.Timestamp(self.generated_at))
        return bool(read_at < self.review_end)

    def _interim_note(self) -> list[str]:
        if not self.is_interim():
            return []
        return [
            '<p class="note"><b>Interim review:</b> the review window ends'
            f" {self.review_end:%Y-%m-%d %H:%M} UTC, after this report was generated"
            f" ({pd.Timestamp(self.generated_at):%Y-%m-%d %H:%M} UTC). Criteria whose"
            " window is not over lack evidence (NO DATA) and the outcome can still"
            " change; render the review again after the window ends.</p>"
        ]

    def criteria_frame(self) -> pd.DataFrame:
        """The success criteria results as a frame (the table's data)."""
        rows = []
        for result in self.results:
            crit = result.criterion
            rows.append(
                {
                    "id": crit.criterion_id,
                    "status": str(result.status),
                    "criterion": crit.title,
                    "window": self.windows.get(crit.criterion_id, "review"),
                    "value": result.value_label
                    or format_value(result.value, crit.unit),
                    "target": crit.target_text(),
                    "evidence": result.evidence_count,
                    "detail": result.detail,
                }
            )
        return pd.DataFrame(rows)

    def success_criteria(self) -> Html:
        """Each go-live success criterion: PASS / FAIL / NO DATA with its evidence."""
        columns = [
            ("status", "Status"),
            ("criterion", "Criterion"),
            ("window", "Window"),
            ("value", "Measured"),
            ("target", "Target"),
            ("evidence", "Evidence n"),
            ("detail", "How measured / why no data"),
        ]
        markup = table(
            self.criteria_frame(),
            columns,
            cells={"status": _status_cell},
            numeric=("evidence",),
        )
        return Html(
            f'<div class="rr">{markup}<p class="note">Windows: review = go-live to'
            f" {self.review_end:%Y-%m-%d %H:%M} UTC; first_24h and first_week start at"
            " go-live. Success criteria have no warning band: a missed target fails.</p></div>"
        )

    def stabilisation(self) -> Html:
        """The first 24 hours: incidents opened, critical ones, availability and errors."""
        start = self.go_live
        end = min(start + pd.Timedelta(hours=24), self.review_end)
        parts = [
            '<div class="rr">',
            f"<p>{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC.</p>",
        ]
        parts.append(self._tickets_24h(start, end))
        parts.append(self._metrics_in(start, end))
        parts.append("</div>")
        return Html("".join(parts))

    def whole_window(self) -> Html:
        """The review window: SLO and budget, incidents, support, satisfaction, adoption."""
        inner = self.inner
        sections: list[tuple[str, Sequence[Html | Chart]]] = [
            (
                "Service-level objective and error budget",
                [slo_section.slo_summary(inner), slo_section.budget_burndown(inner)],
            ),
            ("Incident timeline", [self._incident_timeline()]),
            ("Incidents: MTTD and MTTR", [support_section.incidents_table(inner)]),
            (
                "Support volume and SLA breaches",
                [
                    support_section.support_sla(inner),
                    support_section.ticket_volume_range(inner),
                ],
            ),
            (
                "Customer satisfaction: CSAT and NPS",
                [support_section.satisfaction(inner)],
            ),
            ("Adoption", [self._adoption()]),
        ]
        parts = ['<div class="rr">']
        for heading, items in sections:
            parts.append(f"<h3>{esc(heading)}</h3>")
            parts.extend(item._repr_html_() for item in items)
        parts.append("</div>")
        return Html("".join(parts))

    def baseline(self) -> Baseline:
        """The go / no-go run compared with, checked, with its warnings.

        Raises
        ------
        ConfigError
            No baseline was given, or it is not a go / no-go run of this service.
        """
        if not self.baseline_run:
            raise ConfigError("no go / no-go run.json was given (baseline_run)")
        return read_baseline(
            self.baseline_run,
            service=self.evidence.config.report.service,
            config_path=self.evidence.config.source_path,
            go_live=self.go_live,
            name=f"baseline_run {self.baseline_run}",
        )

    def _baseline_warnings(self) -> list[str] | None:
        """The baseline's warnings for run.json; None without a usable baseline."""
        if not self.baseline_run:
            return None
        try:
            return list(self.baseline().warnings)
        except ConfigError:
            return None

    def changes_since_go_no_go(self) -> Html:
        """Criteria whose status changed since the go / no-go run, with value deltas."""
        if not self.baseline_run:
            return _note("No go / no-go run.json was given (parameter baseline_run).")
        path = Path(self.baseline_run)
        try:
            record = self.baseline().record
            baseline = {str(c["id"]): c for c in record["criteria"]}
        except (ConfigError, KeyError, TypeError) as exc:
            return _note(f"Cannot compare with the go / no-go run {path.name}: {exc}.")
        rows = []
        for result in self.results:
            before = baseline.get(result.criterion.criterion_id)
            rows.append(_change_row(result, before))
        frame = pd.DataFrame(rows)
        changed = frame[frame["changed"]]
        columns = [
            ("criterion", "Criterion"),
            ("before", "At go / no-go"),
            ("now", "Now"),
            ("value_before", "Value then"),
            ("value_now", "Value now"),
            ("delta", "Change"),
        ]
        cells = {"before": _status_cell, "now": _status_cell}
        warnings = "".join(
            f'<p class="box">Read with care: {esc(text)}</p>'
            for text in self.baseline().warnings
        )
        return Html(
            f'<div class="rr">{warnings}<p>Go / no-go run: decision'
            f" <b>{esc(record.get('decision'))}</b>"
            f" as of {esc(record.get('as_of'))}. {len(changed)} of"
            f" {int((frame['before'] != 'not checked').sum())} success criteria it"
            " also checked changed status (pp: percentage points).</p>"
            + table(
                frame,
                columns,
                cells=cells,
                numeric=("value_before", "value_now", "delta"),
            )
            + "</div>"
        )

    def customer_impact(self) -> Html:
        """Per critical / high incident: requests failed, budget minutes, users active."""
        tickets = self._review_tickets()
        if tickets is None:
            return _note("No ticket source is configured, so there are no incidents.")
        frame = self.impact_frame()
        if frame.empty:
            return _note(
                f"No {'/'.join(_IMPACT_PRIORITIES)} incident was opened in the review window."
            )
        columns = [
            ("ticket_id", "Incident"),
            ("priority", "Priority"),
            ("impact_start", "Impact from"),
            ("impact_end", "To"),
            ("open_hours", "Open h"),
            ("requests_failed", "Requests failed"),
            ("budget_minutes", "Budget min used"),
            ("users_active", "Users active"),
        ]
        shown = frame.head(_IMPACT_ROWS)
        return Html(
            '<div class="rr">'
            + table(
                shown,
                columns,
                numeric=(
                    "open_hours",
                    "requests_failed",
                    "budget_minutes",
                    "users_active",
                ),
            )
            + f'<p class="note">{self._impact_note(len(frame), len(shown))}</p></div>'
        )

    def rollback_triggers(self) -> Html:
        """Error rate, p95 and availability per period against the rollback values."""
        checks = self.rollback_checks()
        rows = []
        for check in checks:
            values = check.values["value"] if not check.values.empty else pd.Series([])
            rows.append(
                {
                    "status": "FIRED"
                    if check.status is Status.FAIL
                    else str(check.status),
                    "trigger": check.name,
                    "threshold": check.threshold_text,
                    "periods": int(values.notna().sum()),
                    "fired": len(check.fired),
                    "first": f"{check.fired['period_start'].min():%Y-%m-%d %H:%M} UTC"
                    if len(check.fired)
                    else "never",
                    "worst": _worst(check),
                    "detail": check.reason,
                }
            )
        columns = [
            ("status", "Status"),
            ("trigger", "Trigger"),
            ("threshold", "Fires when"),
            ("periods", "Periods with data"),
            ("fired", "Periods fired"),
            ("first", "First fired"),
            ("worst", "Worst"),
            ("detail", "Why no data"),
        ]
        parts = [
            '<div class="rr">',
            f"<p>Checked per {esc(self.evidence.config.post_launch.rollback_window)} over"
            " the review window with the config's rollback values.</p>",
            table(pd.DataFrame(rows), columns, cells={"status": _status_cell}),
        ]
        for check in checks:
            if len(check.fired):
                fired = check.fired.head(_FIRED_ROWS)
                parts.append(f"<h4>{esc(check.name)}: would have fired at</h4>")
                parts.append(
                    table(
                        fired,
                        [("period_start", "Period start"), ("value", check.unit)],
                        numeric=("value",),
                    )
                )
        with_data = [c for c in checks if c.status is not Status.NO_DATA]
        if with_data:
            parts.append(self._rollback_chart(with_data))
        parts.append("</div>")
        return Html("".join(parts))

    def dr_drills(self) -> Html:
        """Disaster-recovery drills: achieved recovery time and point vs objectives."""
        settings = self.evidence.config.post_launch
        if settings.drills is None:
            return _note(
                "No disaster-recovery drill records are configured (post_launch.drills)."
            )
        frame = self.drills_frame()
        columns = [
            ("status", "Status"),
            ("drill", "Drill"),
            ("failover_start", "Failover start"),
            ("failover_end", "Failover end"),
            ("last_good_backup", "Last good backup"),
            ("rto_achieved_minutes", "Recovery time min"),
            ("rto_minutes", "RTO min"),
            ("rpo_achieved_minutes", "Recovery point min"),
            ("rpo_minutes", "RPO min"),
            ("detail", "Detail"),
        ]
        return Html(
            '<div class="rr">'
            + table(
                frame,
                columns,
                cells={"status": _status_cell},
                numeric=[c for c, _ in columns if c.endswith("minutes")],
            )
            + '<p class="note">Recovery time = failover end − failover start; recovery point'
            " = failover start − last good backup (data written after it is lost).</p>"
            + self._drills_rejected()
            + "</div>"
        )

    def _drills_rejected(self) -> str:
        """The drill rows that could not be judged, with every reason."""
        load = self.evidence.drills
        if load is None or load.rejected.empty:
            return ""
        return (
            f'<p class="box">{load.rows_rejected} of {load.rows_in} drill rows of'
            f" {esc(Path(load.source_file).name)} were rejected and are not judged"
            " (also in rejected_rows.csv):</p>"
            + table(
                load.rejected,
                [
                    ("row_number", "Line"),
                    ("column", "Column"),
                    ("value", "Value"),
                    ("message", "Why"),
                ],
            )
        )

    def anomaly_review(self) -> Html:
        """Anomalies and degradation trends of ``post_launch.anomaly_sources`` in the review.

        Each source's samples inside the review window are scored per series
        (:func:`analytics.report.anomaly_section.anomalies`, causal rolling MAD)
        and their trend tested (:func:`~analytics.report.anomaly_section.degradation`
        on hourly means, so a month of 5-minute samples stays quick).
        """
        names = self.evidence.config.post_launch.anomaly_sources
        if not names:
            return _note(
                "No metric sources are configured for the anomaly and degradation scan"
                " (post_launch.anomaly_sources); name gauge-like series such as CPU"
                " utilisation or a latency percentile."
            )
        parts = ['<div class="rr">']
        for name in names:
            load = self.evidence.metrics.get(name)
            if load is None:
                reason = self.evidence.unavailable.get(name, "it was not read")
                parts.append(
                    f'<p class="box">Metric source {esc(name)}: no data ({esc(reason)}).</p>'
                )
                continue
            frame = load.frame
            times = pd.to_datetime(frame["timestamp"], utc=True)
            window = frame.loc[(times >= self.go_live) & (times < self.review_end)]
            metrics = sorted(str(m) for m in window["metric"].dropna().unique())
            if not metrics:
                parts.append(
                    f'<p class="box">Metric source {esc(name)} has no samples in the'
                    f" review window ({self.go_live:%Y-%m-%d} to"
                    f" {self.review_end:%Y-%m-%d}).</p>"
                )
                continue
            for metric in metrics:
                parts.append(
                    anomaly_section.anomalies(
                        window, chart=self.chart, metric=metric
                    ).markup
                )
                parts.append(
                    anomaly_section.degradation(
                        _hourly_means(window), chart=self.chart, metric=metric
                    ).markup
                )
        parts.append("</div>")
        return Html("".join(parts))

    def alert_noise(self) -> Html:
        """Alert noise in the review window: per on-call day, flapping, short-lived, co-firing."""
        settings = self.evidence.config.post_launch
        if settings.alerts is None:
            return _note(
                "No alert history is configured (post_launch.alerts): save"
                " Alertmanager's /api/v2/alerts JSON, or a CSV of name, starts_at,"
                " ends_at, and name it there."
            )
        load = self.evidence.alerts
        if load is None:
            return _note("The alert history was not read.")
        if load.rows_in and not load.rows_used:
            reasons = ", ".join(
                f"{code} ({count})"
                for code, count in load.rejected["reason_code"].value_counts().items()
            )
            return _note(
                f"Alert noise is unknown: all {load.rows_in:,} rows of"
                f" {Path(load.source_file).name} were rejected ({reasons}; see"
                ' rejected_rows.csv), so this is not "no alerts". Expected'
                + (
                    " a CSV with the columns name, starts_at, ends_at and optionally"
                    " labels"
                    if load.source_file.lower().removesuffix(".gz").endswith(".csv")
                    else " Alertmanager's GET /api/v2/alerts body: a JSON list of"
                    " alerts, each with labels.alertname, startsAt and endsAt"
                )
                + "."
            )
        frame = load.frame
        inside = (frame["starts_at"] >= self.go_live) & (
            frame["starts_at"] < self.review_end
        )
        outside = int((~inside).sum())
        intro = (
            f'<p class="note">Firings that started in the review window, from'
            f" {esc(Path(load.source_file).name)}"
            + (f"; {outside:,} outside it are left out" if outside else "")
            + "; an alert still firing counts until the end of the window.</p>"
        )
        summary = anomaly_section.alert_noise_summary(
            frame.loc[inside], now=self.review_end
        )
        return Html('<div class="rr">' + intro + summary.markup + "</div>")

    def lessons(self) -> Html:
        """A drafted list of lessons and follow-ups, for the review meeting to edit."""
        items = self.lesson_items()
        if not items:
            return _note(
                "Nothing failed or came close: no follow-up drafted. Add the meeting's own."
            )
        return Html(
            '<div class="rr"><p class="note">Drafted from the results above; edit in the'
            " meeting: add owners and dates.</p><ol>"
            + "".join(f"<li>{esc(text)}</li>" for text in items)
            + "</ol></div>"
        )

    def data_inventory(self) -> Html:
        """Every input file with rows in / used / rejected (as in go / no-go)."""
        return self.inner.data_inventory()

    def run_metadata(self, parameters: dict[str, Any] | None = None) -> Html:
        """Parameters, config, package version and git commit of this run."""
        return self.inner.run_metadata(parameters)

    def run_record(self, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """What a scheduler needs: outcome, criteria, triggers, data, metadata."""
        return {
            "schema_version": RUN_JSON_SCHEMA_VERSION,
            "report": "post-launch",
            "decision": self.outcome,
            "go_live": self.go_live.isoformat(),
            "review_days": self.review_days,
            "review_end": self.review_end.isoformat(),
            "baseline_run": self.baseline_run or None,
            # The baseline is an input like any file: its hash pins what was compared.
            "baseline_sha256": (
                file_sha256(self.baseline_run)
                if self.baseline_run and Path(self.baseline_run).is_file()
                else None
            ),
            "baseline_warnings": self._baseline_warnings(),
            "status_counts": status_counts(self.results),
            "criteria": [r.to_dict() for r in self.results],
            "rollback_triggers": [
                {
                    "name": c.name,
                    "status": str(c.status),
                    "fired": [t.isoformat() for t in c.fired["period_start"]],
                }
                for c in self.rollback_checks()
            ],
            "lessons": self.lesson_items(),
            "excluded_criteria": self.excluded,
            "interim": self.is_interim(),
            **evidence_audit(self.evidence),
            **self.inner.metadata(parameters),
            "title": f"Post-launch review — {self.evidence.config.report.service}",
            "service": self.evidence.config.report.service,
        }

    def finish(
        self,
        run_dir: str = "",
        run_token: str = "",
        parameters: dict[str, Any] | None = None,
    ) -> Html:
        """Write run.json and rejected_rows.csv to ``run_dir`` (if given), then mark completion."""
        if run_dir:
            write_run_files(Path(run_dir), self.run_record(parameters), self.evidence)
        return completion_marker(run_token, f"Launch {self.outcome}.")

    # ------------------------------------------------------------------ frames

    def impact_frame(self) -> pd.DataFrame:
        """One row per P1/P2 incident of the review window, largest impact first."""
        tickets = self._review_tickets()
        columns = [
            "ticket_id",
            "priority",
            "impact_start",
            "impact_end",
            "open_hours",
            "requests_failed",
            "budget_minutes",
            "users_active",
        ]
        if tickets is None or tickets.empty:
            return pd.DataFrame(columns=columns)
        incidents = tickets[tickets["priority"].isin(_IMPACT_PRIORITIES)]
        whole = self._slo(self.go_live, self.review_end)
        rows = []
        for row in incidents.to_dict("records"):
            start = _first_time(row.get("impact_started_at"), row.get("created_at"))
            end = _first_time(row.get("resolved_at"), self.review_end)
            failed, minutes = self._failed_during(start, end, whole)
            rows.append(
                {
                    "ticket_id": row.get("ticket_id"),
                    "priority": row.get("priority"),
                    "impact_start": start,
                    "impact_end": end,
                    "open_hours": (end - start).total_seconds() / 3600,
                    "requests_failed": failed,
                    "budget_minutes": minutes,
                    "users_active": self._users_during(start, end),
                }
            )
        frame = pd.DataFrame(rows, columns=columns)
        return frame.sort_values(
            ["budget_minutes", "impact_start"],
            ascending=[False, True],
            na_position="last",
        ).reset_index(drop=True)

    def rollback_checks(self) -> list[RollbackCheck]:
        """Error rate, p95 latency and availability checks (computed once)."""
        if self._rollback is None:
            self._rollback = [
                self._error_rate_check(),
                self._latency_check(),
                self._availability_check(),
            ]
        return self._rollback

    def drills_frame(self) -> pd.DataFrame:
        """The drills read (rejected rows left out) with achieved recovery time / point
        and a status per drill; empty when no drills file is configured."""
        load = self.evidence.drills
        if load is None:
            return pd.DataFrame(
                columns=["drill", "rto_achieved_minutes", "rpo_achieved_minutes"]
            )
        frame = load.frame.copy()
        frame["rto_achieved_minutes"] = _minutes(
            frame["failover_end"] - frame["failover_start"]
        )
        frame["rpo_achieved_minutes"] = _minutes(
            frame["failover_start"] - frame["last_good_backup"]
        )
        verdicts = [_drill_verdict(r) for r in frame.to_dict("records")]
        frame["status"] = [v[0] for v in verdicts]
        frame["detail"] = [v[1] for v in verdicts]
        return frame

    def lesson_items(self) -> list[str]:
        """Drafted follow-ups: failed, close (within 10 %), unmeasured, fired, missed."""
        items = []
        for result in self.results:
            crit = result.criterion
            value = format_value(result.value, crit.unit)
            target = crit.target_text()
            if result.status is Status.FAIL:
                items.append(
                    f"{crit.title}: FAILED ({value} against {target}). Find the cause and"
                    " agree a fix with an owner and a date."
                )
            elif result.status is Status.WARN or (
                result.status is Status.PASS and _is_close(result)
            ):
                items.append(
                    f"{crit.title}: passed narrowly ({value} against {target}, within"
                    f" {CLOSE_MARGIN:.0%} of the threshold). Watch it; decide whether to act."
                )
            elif crit.criterion_id in self.unfinished:
                items.append(f"{crit.title}: not judged yet ({result.detail}).")
            elif result.status is Status.NO_DATA:
                items.append(
                    f"{crit.title}: not measured ({result.detail}). Set up the evidence"
                    " before the next review."
                )
        for check in self.rollback_checks():
            if check.status is Status.FAIL:
                items.append(
                    f"Rollback trigger '{check.name}' ({check.threshold_text}) would have"
                    f" fired in {len(check.fired)} period(s), first at"
                    f" {check.fired['period_start'].min():%Y-%m-%d %H:%M} UTC. Review why"
                    " no rollback was made and whether the trigger is right."
                )
        if self.evidence.drills is not None:
            for row in self.drills_frame().to_dict("records"):
                if row["status"] != str(Status.PASS):
                    items.append(f"DR drill '{row['drill']}': {row['detail']}.")
            load = self.evidence.drills
            if load.rows_rejected:
                lines = ", ".join(
                    str(n) for n in sorted(set(load.rejected["row_number"]))
                )
                items.append(
                    f"DR drills: {load.rows_rejected} row(s) of"
                    f" {Path(load.source_file).name} could not be judged (lines"
                    f" {lines}; see rejected_rows.csv). Correct and re-run."
                )
        return items

    # ---------------------------------------------------------------- helpers

    def _review_tickets(self) -> pd.DataFrame | None:
        if not self.evidence.tickets:
            return None
        names = tuple(self.evidence.tickets)
        return tickets_in_window(self.evidence, names, self.go_live, self.review_end)

    def _availability_config(self) -> CriterionConfig | None:
        for crit in self.evidence.config.criteria.values():
            if crit.kind == "availability" and crit.enabled:
                return crit
        return None

    def _counters(self) -> tuple[pd.DataFrame, pd.DataFrame, float, bool] | None:
        """The availability criterion's counters: (good or bad, total, target, is_bad).

        ``is_bad`` when the criterion counts errors (``source`` + ``total_source``)
        rather than good requests (``good_source`` + ``total_source``).
        """
        crit = self._availability_config()
        metrics = self.evidence.metrics
        if crit is None or crit.counters is None:
            return None
        part, total, numerator_is_bad = crit.counters
        if part not in metrics or total not in metrics:
            return None
        part_frame, total_frame = counter_frames(crit, self.evidence)
        return part_frame, total_frame, crit.target / 100, numerator_is_bad

    def _up(self) -> tuple[pd.DataFrame, CriterionConfig] | None:
        crit = self._availability_config()
        if crit is None or crit.counters is not None or not crit.source:
            return None
        if crit.source not in self.evidence.metrics:
            return None
        return self.evidence.metrics[crit.source].frame, crit

    def _slo(self, start: pd.Timestamp, end: pd.Timestamp) -> SLOResult | None:
        counters = self._counters()
        if counters is not None:
            part, total, target, is_bad = counters
            count = (
                availability_from_error_counters
                if is_bad
                else availability_from_counters
            )
            return count(part, total, window_start=start, window_end=end, target=target)
        up = self._up()
        if up is not None:
            frame, crit = up
            return availability_from_up(
                frame,
                window_start=start,
                window_end=end,
                target=crit.target / 100,
                selector=crit.selector or None,
            )
        return None

    def _failed_during(
        self, start: pd.Timestamp, end: pd.Timestamp, whole: SLOResult | None
    ) -> tuple[float | None, float | None]:
        """Requests failed and error-budget minutes used in ``[start, end]``.

        ``whole`` is the SLO result of the whole review window.
        """
        if end <= start:
            return None, None
        result = self._slo(start, end)
        if result is None or result.sli is None:
            return None, None
        if self._counters() is not None:
            failed = float(result.valid - result.good)
            if whole is None or not whole.valid:
                return failed, None
            review_minutes = self.review_days * 24 * 60
            return failed, failed / whole.valid * review_minutes
        covered = (end - start).total_seconds() / 60 * result.coverage_ratio
        return None, (1 - result.sli) * covered

    def _users_during(self, start: pd.Timestamp, end: pd.Timestamp) -> int | None:
        if self.activity is None or self.activity.frame.empty:
            return None
        events = self.activity.frame
        inside = events[(events["timestamp"] >= start) & (events["timestamp"] < end)]
        return int(inside["user_id"].nunique())

    def _impact_note(self, total: int, shown: int) -> str:
        counters = self._counters() is not None
        up = self._up() is not None
        how = (
            "requests failed = total minus good requests (from the request counters) while the"
            " incident was open; budget minutes = failed / all requests of the review ×"
            " review minutes"
            if counters
            else "budget minutes = unavailable time of the up-style series while open"
            if up
            else "no request counters or up-style series configured, so failed requests"
            " and budget minutes are unknown"
        )
        users = (
            "users active = distinct users with an activity event while open"
            if self.activity is not None
            else "no activity source, so users active are unknown"
        )
        more = f" Showing {shown} of {total}." if shown < total else ""
        return (
            f"Open from impact start (or creation) to final resolution (or the end of the"
            f" review). {how}; {users}. Empty cells: no data for that span.{more}"
        )

    def _p1_by_source(self, start: pd.Timestamp, end: pd.Timestamp) -> str:
        """``incidents 0 of 5, support 2 of 58``: P1 of all opened, per source."""
        counts = []
        for name in self.evidence.tickets:
            opened = tickets_in_window(self.evidence, (name,), start, end)
            p1 = int((opened["priority"] == "P1").sum()) if len(opened) else 0
            counts.append(f"{name} {p1} of {len(opened):,}")
        return ", ".join(counts)

    def _critical_sources_note(self) -> str:
        """Which sources the critical-incident success criteria count, by title."""
        notes = []
        for result in self.results:
            if result.criterion.criterion_id in self._critical_ids():
                names = ", ".join(result.sources) or "every ticket source"
                notes.append(f"'{result.criterion.title}' counts {names} only")
        return ("The success criterion " + "; ".join(notes) + ".") if notes else ""

    def _critical_ids(self) -> set[str]:
        configs = success_criteria_configs(self.evidence.config, self.go_live)
        return {
            crit_id
            for crit_id, (_, conf) in configs.items()
            if conf.kind == "critical_incidents"
        }

    def _tickets_24h(self, start: pd.Timestamp, end: pd.Timestamp) -> str:
        if not self.evidence.tickets:
            return "<p>No ticket source is configured, so incidents are unknown.</p>"
        tickets = tickets_in_window(
            self.evidence, tuple(self.evidence.tickets), start, end
        )
        if tickets.empty:
            return "<p>No ticket was opened in the first 24 hours.</p>"
        by_priority = (
            tickets.assign(resolved=tickets["resolved_at"].notna())
            .groupby("priority", observed=True)
            .agg(opened=("ticket_id", "count"), resolved=("resolved", "sum"))
            .reset_index()
        )
        by_priority["open_at_24h"] = by_priority["opened"] - by_priority["resolved"]
        critical = tickets[tickets["priority"] == "P1"]
        parts = [
            f"<p>{len(tickets):,} tickets opened in every ticket source, {len(critical)}"
            f" of them P1: {esc(self._p1_by_source(start, end))}."
            f" {esc(self._critical_sources_note())}</p>",
            table(
                by_priority,
                [
                    ("priority", "Priority"),
                    ("opened", "Opened"),
                    ("resolved", "Resolved in the 24 h"),
                    ("open_at_24h", "Still open at 24 h"),
                ],
                numeric=("opened", "resolved", "open_at_24h"),
            ),
        ]
        if len(critical):
            parts.append("<h4>P1 tickets, every source</h4>")
            parts.append(
                table(
                    critical,
                    [
                        ("ticket_id", "Incident"),
                        ("created_at", "Opened"),
                        ("resolved_at", "Resolved"),
                        ("category", "Category"),
                    ],
                )
            )
        hourly = tickets.assign(hour=tickets["created_at"].dt.floor("h"))
        figure = go.Figure()
        for priority, group in hourly.groupby("priority", observed=True):
            counts = group.groupby("hour").size()
            figure.add_bar(
                x=counts.index, y=counts.to_numpy(), name=chart_text(priority)
            )
        figure.update_layout(
            barmode="stack",
            title="Tickets opened per hour in the first 24 h",
            height=320,
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
        )
        parts.append(self.chart(figure)._repr_html_())
        return "".join(parts)

    def _metrics_in(self, start: pd.Timestamp, end: pd.Timestamp) -> str:
        result = self._slo(start, end)
        if result is None:
            return (
                "<p>No availability metrics are configured (criteria.availability source,"
                " or good_source and total_source), so errors and availability in the"
                " first 24 h are unknown.</p>"
            )
        if result.sli is None:
            return (
                "<p>The availability metrics have no samples in the first 24 h, so"
                " errors and availability then are unknown.</p>"
            )
        errors = ""
        if self._counters() is not None:
            errors = (
                f"; {result.valid - result.good:,.0f} failed of {result.valid:,.0f}"
                f" requests (error rate {(1 - result.sli):.3%})"
            )
        return (
            f"<p>Availability {result.sli:.3%} ({esc(result.method)}, data over"
            f" {result.coverage_ratio:.0%} of the 24 h){errors}.</p>"
        )

    def _incident_timeline(self) -> Html:
        tickets = self._review_tickets()
        if tickets is None:
            return _note("No ticket source is configured.")
        incidents = tickets[tickets["priority"].isin(_IMPACT_PRIORITIES)]
        if incidents.empty:
            return _note(
                f"No {'/'.join(_IMPACT_PRIORITIES)} incident in the review window."
            )
        end = incidents["resolved_at"].fillna(self.review_end)
        hours = (end - incidents["created_at"]).dt.total_seconds() / 3600
        figure = go.Figure()
        for priority in _IMPACT_PRIORITIES:
            mask = incidents["priority"] == priority
            if not mask.any():
                continue
            figure.add_bar(
                base=incidents.loc[mask, "created_at"],
                x=hours[mask] * 3600 * 1000,
                y=incidents.loc[mask, "ticket_id"].map(chart_text),
                orientation="h",
                name=priority,
            )
        figure.update_layout(
            title="Critical and high incidents: opened to resolved (open ones to the end)",
            xaxis={"type": "date"},
            yaxis={"showticklabels": len(incidents) <= 40, "autorange": "reversed"},
            height=max(300, min(900, 14 * len(incidents) + 120)),
            margin={"l": 100, "r": 20, "t": 50, "b": 40},
        )
        return Html(self.chart(figure)._repr_html_())

    def _adoption(self) -> Html:
        if self.activity is None or self.activity.frame.empty:
            return _note(
                "No activity source (usage events) is available, so daily active users"
                " and adoption cannot be shown."
            )
        events = self.activity.frame
        inside = events[
            (events["timestamp"] >= self.go_live)
            & (events["timestamp"] < self.review_end)
        ]
        daily = inside.groupby(inside["timestamp"].dt.floor("D"))["user_id"].nunique()
        figure = go.Figure()
        figure.add_scatter(
            x=daily.index, y=daily.to_numpy(), mode="lines+markers", name="DAU"
        )
        figure.update_layout(
            title="Daily active users in the review window",
            height=320,
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
        )
        return Html(
            f"<p>{inside['user_id'].nunique():,} distinct users active in the review"
            f" window ({len(inside):,} events).</p>" + self.chart(figure)._repr_html_()
        )

    def _periods(self) -> pd.DatetimeIndex:
        step = parse_duration(self.evidence.config.post_launch.rollback_window)
        return pd.date_range(self.go_live, self.review_end, freq=step, inclusive="left")

    def _rollback_value(self, kind: str, default: float) -> float:
        for crit in self.evidence.config.criteria.values():
            if crit.kind == kind and crit.rollback is not None:
                return crit.rollback
        return default

    def _error_rate_check(self) -> RollbackCheck:
        threshold = self._rollback_value("error_rate", 5.0)
        name, text = "Error rate", f"> {threshold:g} %"
        counters = self._counters()
        if counters is None:
            return _empty_check(
                name, text, "%", "no good/total request counters configured"
            )
        part, total, _, is_bad = counters
        ratio = self._good_ratio_by_period(part, total, is_bad=is_bad)
        values = [(1 - r) * 100 for r in ratio]
        return _check(name, text, "%", self._periods(), values, lambda v: v > threshold)

    def _good_ratio_by_period(
        self, part: pd.DataFrame, total: pd.DataFrame, *, is_bad: bool
    ) -> list[float]:
        """Good share per rollback period in one pass.

        ``part`` counts good requests, or bad ones when ``is_bad``. NaN (unknown)
        where there is no traffic or no data, and where the part counts more
        than the total beyond scrape skew (``COUNTER_SKEW``): such counters do
        not count the same requests.
        """
        step = parse_duration(self.evidence.config.post_launch.rollback_window)
        periods = self._periods()
        part_inc = counter_increase_by_period(part, periods=periods, step=step)
        total_inc = counter_increase_by_period(total, periods=periods, step=step)
        ratio = part_inc / total_inc.where(total_inc > 0)
        ratio = ratio.where(ratio <= 1.0 + COUNTER_SKEW).clip(upper=1.0)
        good = 1.0 - ratio if is_bad else ratio
        return [float(v) for v in good]

    def _latency_check(self) -> RollbackCheck:
        threshold = self._rollback_value("latency_p95", 2000.0)
        name, text = "Latency p95", f"> {threshold:g} ms"
        crit = next(
            (
                c
                for c in self.evidence.config.criteria.values()
                if c.kind == "latency_p95"
            ),
            None,
        )
        if crit is None or not crit.source or crit.source not in self.evidence.metrics:
            return _empty_check(
                name,
                text,
                "ms",
                "no latency histogram source (criteria.latency_p95.source)",
            )
        samples = self.evidence.metrics[crit.source].frame
        step = parse_duration(self.evidence.config.post_launch.rollback_window)
        try:
            buckets = _bucket_increase_by_period(samples, self._periods(), step)
        except ConfigError as exc:
            return _empty_check(name, text, "ms", str(exc))
        values = [_p95_ms(row) for row in buckets.to_dict("records")]
        return _check(
            name, text, "ms", self._periods(), values, lambda v: v > threshold
        )

    def _availability_check(self) -> RollbackCheck:
        threshold = self._rollback_value("availability", 95.0)
        name, text = "Availability", f"< {threshold:g} %"
        counters = self._counters()
        if counters is not None:
            part, total, _, is_bad = counters
            ratio = self._good_ratio_by_period(part, total, is_bad=is_bad)
            values = [r * 100 for r in ratio]
            return _check(
                name, text, "%", self._periods(), values, lambda v: v < threshold
            )
        up = self._up()
        if up is None:
            return _empty_check(name, text, "%", "no availability metrics configured")
        frame, crit = up
        timeline = availability_timeline(
            frame,
            freq=_freq(self.evidence.config.post_launch.rollback_window),
            window_start=self.go_live,
            window_end=self.review_end,
            selector=crit.selector or None,
        )
        if timeline.empty or timeline["valid"].sum() == 0:
            return _empty_check(
                name,
                text,
                "%",
                "the up-style series has no samples in the review window",
            )
        values = (timeline["availability"] * 100).tolist()
        starts = pd.DatetimeIndex(timeline["period_start"])
        return _check(name, text, "%", starts, values, lambda v: v < threshold)

    def _rollback_chart(self, checks: Sequence[RollbackCheck]) -> str:
        """One panel per trigger measure over a shared time axis (each has its unit)."""
        figure = make_subplots(
            rows=len(checks),
            cols=1,
            shared_xaxes=True,
            vertical_spacing=0.08,
            subplot_titles=[
                chart_text(f"{c.name} ({c.unit}), fires when {c.threshold_text}")
                for c in checks
            ],
        )
        for row, check in enumerate(checks, start=1):
            figure.add_scatter(
                x=check.values["period_start"],
                y=check.values["value"],
                name=chart_text(f"{check.name} ({check.unit})"),
                mode="lines",
                connectgaps=False,
                row=row,
                col=1,
            )
        figure.update_layout(
            title="Rollback trigger measures per period (gaps: no data)",
            height=140 + 170 * len(checks),
            margin={"l": 60, "r": 20, "t": 70, "b": 40},
            showlegend=False,
        )
        return self.chart(figure)._repr_html_()


# --- module helpers ---------------------------------------------------------------------


def _bucket_increase_by_period(
    samples: Any, periods: pd.DatetimeIndex, step: pd.Timedelta
) -> pd.DataFrame:
    """Increase of each ``le`` bucket per period (columns: bounds), in one pass per bound.

    Series of the same bound are summed (like ``sum by (le)``); a period
    without any increment of a bound is NaN for that bound.
    """
    frame = to_pandas(samples)
    labels = frame.groupby("series", sort=False)["labels"].first()
    bounds: dict[float, list[Hashable]] = {}
    for series, series_labels in labels.items():
        if not isinstance(series_labels, Mapping) or "le" not in series_labels:
            raise ConfigError(
                f"series {series!r} has no 'le' label: query the *_bucket series of a"
                " histogram"
            )
        bounds.setdefault(parse_le(series_labels["le"]), []).append(series)
    return pd.DataFrame(
        {
            bound: counter_increase_by_period(
                frame[frame["series"].isin(names)], periods=periods, step=step
            )
            for bound, names in sorted(bounds.items())
        },
        index=periods,
    )


def _p95_ms(buckets: Mapping[Hashable, float]) -> float:
    """p95 in ms of one period's bucket increases; NaN when a bucket has no data."""
    values = {float(b): float(v) for b, v in buckets.items()}  # type: ignore[arg-type]
    if not values or any(math.isnan(v) for v in values.values()):
        return math.nan
    p95 = histogram_quantile(0.95, values)
    return math.nan if p95 is None else p95 * 1000


def _check(
    name: str,
    text: str,
    unit: str,
    starts: pd.DatetimeIndex,
    values: Sequence[float],
    fires: Callable[[float], bool],
) -> RollbackCheck:
    frame = pd.DataFrame({"period_start": starts, "value": list(values)})
    fired = frame[[not math.isnan(v) and fires(v) for v in frame["value"]]]
    reason = (
        "" if frame["value"].notna().any() else "no data in any period of the window"
    )
    return RollbackCheck(name, text, unit, frame, fired.reset_index(drop=True), reason)


def _empty_check(name: str, text: str, unit: str, reason: str) -> RollbackCheck:
    empty = pd.DataFrame(
        {
            "period_start": pd.Series([], dtype="datetime64[ns, UTC]"),
            "value": pd.Series([], dtype="float64"),
        }
    )
    return RollbackCheck(name, text, unit, empty, empty.copy(), reason)


def _worst(check: RollbackCheck) -> str:
    values = check.values["value"].dropna() if not check.values.empty else pd.Series([])
    if values.empty:
        return ""
    worst = values.min() if check.threshold_text.startswith("<") else values.max()
    return f"{worst:,.2f} {check.unit}"


def _freq(duration: str) -> str:
    seconds = int(parse_duration(duration).total_seconds())
    return f"{seconds}s"


def _is_close(result: CriterionResult) -> bool:
    """Within :data:`CLOSE_MARGIN` of the threshold.

    For percentages where higher is better the margin is measured against the
    room below 100 % (the error budget): 99.91 % against 99.9 % is close,
    99.95 % is not. Otherwise against the target itself; a target of 0 has no
    "close".
    """
    crit = result.criterion
    if result.value is None or crit.target == 0:
        return False
    higher_better = crit.op in (">", ">=")
    if crit.unit.startswith("%") and higher_better and crit.target < 100:
        scale = 100 - crit.target
    else:
        scale = abs(crit.target)
    return abs(result.value - crit.target) <= CLOSE_MARGIN * scale


def _change_row(
    result: CriterionResult, before: dict[str, Any] | None
) -> dict[str, Any]:
    now_value = result.value
    then_value = None if before is None else before.get("value")
    delta = (
        now_value - float(then_value)
        if now_value is not None and isinstance(then_value, int | float)
        else None
    )
    then_status = "not checked" if before is None else str(before.get("status"))
    return {
        "criterion": result.criterion.title,
        "before": then_status,
        "now": str(result.status),
        "value_before": format_value(
            float(then_value) if isinstance(then_value, int | float) else None,
            result.criterion.unit,
        ),
        "value_now": format_value(now_value, result.criterion.unit),
        "delta": "" if delta is None else _delta_text(delta, result.criterion.unit),
        # A criterion the go / no-go run did not check has no status to change.
        "changed": before is not None and then_status != str(result.status),
    }


def _delta_text(delta: float, unit: str) -> str:
    """A change of value; a change of a percentage is in percentage points.

    >>> _delta_text(-0.0512, "%"), _delta_text(12.0, "min")
    ('-0.0512 pp', '+12 min')
    """
    shown_unit = "pp" if unit.strip().startswith("%") else unit
    return f"{delta:+.3g} {shown_unit}".strip()


def _first_time(*values: object) -> pd.Timestamp:
    for value in values:
        if value is not None and not pd.isna(value):  # type: ignore[call-overload]  # pandas-stubs
            return pd.Timestamp(value)  # type: ignore[arg-type]  # a timestamp-like
    raise ValueError("no timestamp given")


def _minutes(delta: pd.Series) -> pd.Series:
    minutes: pd.Series = delta.dt.total_seconds() / 60
    return minutes


def _drill_verdict(row: Mapping[Hashable, Any]) -> tuple[str, str]:
    rto, rpo = row["rto_achieved_minutes"], row["rpo_achieved_minutes"]
    misses = []
    if rto > row["rto_minutes"]:
        misses.append(
            f"recovery took {rto:,.0f} min, objective {row['rto_minutes']:,.0f}"
        )
    if rpo > row["rpo_minutes"]:
        misses.append(
            f"data loss window {rpo:,.0f} min, objective {row['rpo_minutes']:,.0f}"
        )
    if misses:
        return str(Status.FAIL), "; ".join(misses)
    return str(Status.PASS), "recovery time and point within objectives"


def _status_cell(value: object) -> str:
    text = str(value)
    css = "FAIL" if text == "FIRED" else text.replace(" ", "-")
    return f'<span class="st st-{esc(css)}">{esc(text)}</span>'


def _hourly_means(samples: pd.DataFrame) -> pd.DataFrame:
    """Samples averaged per series and hour (for trend tests on long series)."""
    frame = samples.assign(
        timestamp=pd.to_datetime(samples["timestamp"], utc=True).dt.floor("h"),
        series=samples["series"].fillna(samples["metric"]).astype(str),
        value=pd.to_numeric(samples["value"], errors="coerce"),
    )
    return (
        frame.groupby(["metric", "series", "timestamp"], sort=True)["value"]
        .mean()
        .reset_index()
    )


def _note(text: str) -> Html:
    return Html(f'<div class="rr"><p class="box">{esc(text)}</p></div>')
