"""Capacity-planning sections of the go / no-go report.

Two sections, each a function of a :class:`~analytics.report.go_no_go.GoNoGoReport`
returning trusted markup (every piece of data escaped):

* :func:`load_test_summary`: the load steps of every load test, what they
  prove (highest sustained throughput within the p95 and error targets of the
  ``throughput`` criterion), the knee of the latency curve, and the headroom
  against the forecast peak traffic.
* :func:`capacity_forecast`: for each ``capacity_headroom`` criterion, the
  forecast fan chart (80 % and 95 % bands) with the limit line and crossing
  dates, the chosen model and its backtest table, and whether the intervals
  were widened or narrowed after the backtest.

The numbers come from :mod:`analytics.evaluators_capacity`, so the sections
and the criteria table always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from analytics.config import CriterionConfig
from analytics.errors import ConfigError
from analytics.evaluators_capacity import (
    HeadroomForecast,
    LoadTestCapacity,
    headroom_forecast,
    loadtest_capacity,
)
from analytics.report.html import Html, chart_text, esc, table

if TYPE_CHECKING:
    from analytics.report.go_no_go import GoNoGoReport

__all__ = ["capacity_forecast", "load_test_summary"]


def _note(text: str) -> str:
    return f'<p class="box">{esc(text)}</p>'


def _wrap(parts: list[str]) -> Html:
    return Html('<div class="rr">' + "".join(parts) + "</div>")


def _criteria_of_kind(
    report: GoNoGoReport, kind: str
) -> list[tuple[str, CriterionConfig]]:
    return [
        (crit_id, config)
        for crit_id, config in report.evidence.config.criteria.items()
        if config.kind == kind and config.enabled
    ]


def _rps(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} req/s"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


def _span(capacity: LoadTestCapacity) -> str:
    start, end = capacity.window_start, capacity.window_end
    if start is None or end is None:
        return ""
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"


def _when(stamp: pd.Timestamp | None) -> str:
    return "not within the horizon" if stamp is None else f"{stamp:%Y-%m-%d %H:%M} UTC"


# -------------------------------------------------------------- load tests


def load_test_summary(report: GoNoGoReport) -> Html:
    """Load steps, the sustained throughput they prove, the knee and the headroom.

    Uses the first enabled ``throughput`` criterion's targets (its ``params``:
    ``p95_ms``, ``error_ratio``, ``min_duration_s``) and sources
    (``source``, or every load test). Without a load test it says so: the
    peak-capacity criterion is then NO DATA.
    """
    found = _criteria_of_kind(report, "throughput")
    if not found:
        return _wrap(
            [_note("No throughput criterion is enabled, so load tests are not judged.")]
        )
    crit_id, config = found[0]
    try:
        capacity = loadtest_capacity(crit_id, config, report.evidence)
    except ConfigError as exc:
        return _wrap([_note(f"The {crit_id} criterion cannot be evaluated: {exc}")])
    if capacity is None:
        where = (
            f"source '{config.source}' is not a load test"
            if config.source
            else "no load test is configured"
        )
        return _wrap(
            [
                _note(
                    f"Peak capacity is not proven: {where}. The criterion '{config.title}'"
                    f" (target {config.op} {config.target:g} {config.unit}) is NO DATA."
                    " Add the results under loadtests: (JMeter JTL, Locust CSV, k6"
                    " summary or NDJSON)."
                )
            ]
        )
    return _wrap(_load_test_parts(config, capacity))


def _load_test_parts(config: CriterionConfig, capacity: LoadTestCapacity) -> list[str]:
    s = capacity.settings
    steps = capacity.steps.copy()
    long_enough = steps["duration_s"].fillna(float("inf")) >= s.min_duration_s
    within = (
        (steps["p95_ms"] <= s.p95_ms)
        & (steps["error_ratio"] <= s.error_ratio)
        & long_enough
        & steps["in_window"]
    )
    steps["within"] = within.map({True: "yes", False: "no"})
    steps["counted"] = steps["in_window"].map({True: "yes", False: "no"})
    steps["started"] = (
        steps["started_at"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("unknown")
    )
    steps["error_pct"] = steps["error_ratio"] * 100
    targets = f"p95 ≤ {s.p95_ms:g} ms, error ratio ≤ {s.error_ratio:.2%}"
    if s.min_duration_s > 0:
        targets += f", step at least {s.min_duration_s:g} s"

    sustained = capacity.sustained_rps
    verdict = (
        "no usable load test within the evidence window (see below): peak capacity"
        f" is not proven and the criterion '{config.title}' is NO DATA"
        if not capacity.per_source
        else "no load step met the targets: no sustained throughput is proven"
        if sustained is None
        else f"highest sustained throughput {_rps(sustained)} (in"
        f" {capacity.best_source}), against the target {config.op}"
        f" {config.target:g} {config.unit}"
    )
    parts = [
        f"<p>Load steps of {esc(', '.join(capacity.sources))}; a step counts as"
        f" sustained when {esc(targets)} and it ran within the evidence window"
        f" {esc(_span(capacity))}. Result: <b>{esc(verdict)}</b>.</p>"
    ]
    for reason in capacity.not_counted.values():
        parts.append(_note(f"Not counted: {reason}."))
    knees = {n: c.knee_rps for n, c in capacity.per_source.items() if c.knee_rps}
    knee = (
        "no latency knee: no load test has 3 or more steps with a bend in the curve"
        if not knees
        else "latency starts to climb at the knee: "
        + ", ".join(f"{_rps(v)} in {n}" for n, v in knees.items())
    )
    parts.append(f"<p>{esc(knee)}.</p>")
    if capacity.forecast_peak_rps is not None and sustained is not None:
        headroom = sustained / capacity.forecast_peak_rps - 1.0
        parts.append(
            f"<p>Headroom against the forecast peak {esc(_rps(capacity.forecast_peak_rps))}"
            f" ({esc(capacity.forecast_peak_note)}): <b>{esc(_ratio(headroom))}</b>.</p>"
        )
    else:
        parts.append(
            f'<p class="note">Headroom: {esc(capacity.forecast_peak_note)}.</p>'
        )

    summary = pd.DataFrame(
        [
            {
                "source": name,
                "sustained": _rps(c.sustained_rps),
                "knee": _rps(c.knee_rps),
                "meets": {True: "yes", False: "no", None: ""}[c.meets_target_rps],
                "headroom": _ratio(c.headroom_ratio),
            }
            for name, c in capacity.per_source.items()
        ]
    )
    parts.append(
        table(
            summary,
            [
                ("source", "Load test"),
                ("sustained", "Sustained throughput"),
                ("knee", "Latency knee"),
                ("meets", f"Meets {config.op} {config.target:g}"),
                ("headroom", "Headroom vs forecast peak"),
            ],
            numeric=("sustained", "knee", "headroom"),
        )
    )
    parts.append(
        table(
            steps,
            [
                ("source", "Load test"),
                ("step", "Step"),
                ("started", "Started UTC"),
                ("counted", "In window"),
                ("duration_s", "Duration s"),
                ("requests", "Requests"),
                ("throughput_rps", "Throughput req/s"),
                ("p95_ms", "p95 ms"),
                ("error_pct", "Errors %"),
                ("within", "Within target"),
            ],
            numeric=("duration_s", "requests", "throughput_rps", "p95_ms", "error_pct"),
        )
    )
    parts.append(
        '<p class="note">Steps: window start in seconds (raw JMeter / k6 results),'
        " user count (Locust history) or the whole run (summary exports, whose p95"
        " covers the whole run).</p>"
    )
    return parts


# ---------------------------------------------------------------- forecasts


def capacity_forecast(report: GoNoGoReport) -> Html:
    """Forecast fan chart, limit, crossing dates and backtest per ``capacity_headroom``.

    When no such criterion is configured the section says how to add one.
    """
    found = _criteria_of_kind(report, "capacity_headroom")
    if not found:
        return _wrap(
            [
                _note(
                    "No capacity forecast is configured. Add a criterion of kind"
                    " capacity_headroom with a metrics source and params.limit (and"
                    " optionally horizon, freq, seasonal_periods) to forecast headroom"
                    " and the date a capacity limit is reached."
                )
            ]
        )
    parts: list[str] = []
    for crit_id, config in found:
        parts.append(f"<h4>{esc(config.title)} ({esc(crit_id)})</h4>")
        try:
            result = headroom_forecast(crit_id, config, report.evidence)
        except ConfigError as exc:
            parts.append(_note(f"Not forecast: {exc}"))
            continue
        if result.forecast is None or result.crossing is None:
            parts.append(
                _note(
                    f"No forecast for source '{config.source}': {result.reason}."
                    " The criterion is NO DATA."
                )
            )
            continue
        parts += _forecast_parts(report, crit_id, config, result)
    return _wrap(parts)


def _forecast_parts(
    report: GoNoGoReport,
    crit_id: str,
    config: CriterionConfig,
    result: HeadroomForecast,
) -> list[str]:
    fc, c, s = result.forecast, result.crossing, result.settings
    assert fc is not None and c is not None
    unit = f" {config.unit}" if config.unit and config.unit != "%" else ""
    crossing_rows = pd.DataFrame(
        [
            {"what": "median (forecast mean)", "when": _when(c.median_at)},
            {"what": "earliest (upper 95 % band)", "when": _when(c.earliest_at)},
            {"what": "latest (lower 95 % band)", "when": _when(c.latest_at)},
        ]
    )
    parts = [
        f"<p>Source <b>{esc(config.source)}</b>, limit <b>{esc(f'{s.limit:g}')}</b>,"
        f" horizon {esc(s.horizon)} ({s.horizon_steps} steps of {esc(s.freq)}),"
        f" seasonal periods {esc(', '.join(str(p) for p in s.seasonal_periods))}."
        f" Chosen model <b>{esc(fc.model)}</b> (by backtest MASE;"
        " <code>mean(…)</code> is the average of the best models).</p>",
        f"<p>Headroom now {esc(f'{c.headroom_now_ratio:.1%}')}"
        f" ({esc(f'{c.headroom_now:,.4g}')}{esc(unit)} below the limit at the recent peak);"
        f" at the horizon <b>{esc(f'{c.headroom_at_horizon_ratio:.1%}')}</b>"
        f" (forecast peak {esc(f'{fc.mean.max():,.4g}')}). Probability of being above the"
        f" limit at the end of the horizon: {esc(f'{c.exceed_probability:.0%}')}.</p>",
        "<p><b>Limit reached</b></p>",
        table(crossing_rows, [("what", "Crossing"), ("when", "Date")]),
        report.chart(_fan_chart(crit_id, config, result))._repr_html_(),
    ]
    rescaled = [n for n in fc.notes if "widened" in n or "narrowed" in n]
    if fc.intervals_widened:
        parts.append(
            _note(
                "Intervals widened: the chosen model's backtest coverage missed the"
                " nominal level, so its bands were scaled up (split conformal): "
                + "; ".join(rescaled)
            )
        )
    elif fc.intervals_narrowed:
        parts.append(
            _note(
                "Intervals narrowed: the chosen model's backtest coverage was above"
                " the nominal level, so its bands were scaled down (split"
                " conformal): " + "; ".join(rescaled)
            )
        )
    else:
        parts.append(
            '<p class="note">Intervals as fitted: the backtest coverage was within'
            " tolerance of the nominal 80 % and 95 %.</p>"
        )
    backtest = fc.backtest.assign(
        chosen=fc.backtest["model"].eq(fc.model).map({True: "✓", False: ""}),
        coverage_80=fc.backtest["coverage_80"] * 100,
        coverage_95=fc.backtest["coverage_95"] * 100,
    )
    parts.append("<p><b>Backtest</b> (rolling origins, one horizon apart)</p>")
    parts.append(
        table(
            backtest,
            [
                ("chosen", "Chosen"),
                ("model", "Model"),
                ("folds", "Folds"),
                ("mase", "MASE"),
                ("coverage_80", "80 % coverage %"),
                ("coverage_95", "95 % coverage %"),
                ("fit_seconds_median", "Fit s (median)"),
                ("warnings", "Warnings"),
            ],
            numeric=(
                "folds",
                "mase",
                "coverage_80",
                "coverage_95",
                "fit_seconds_median",
                "warnings",
            ),
        )
    )
    other = [
        n
        for n in [*result.notes, *fc.notes]
        if "widened" not in n and "narrowed" not in n
    ]
    if other:
        parts.append(
            '<p class="note">Rules and notes:</p><ul class="note">'
            + "".join(f"<li>{esc(n)}</li>" for n in other)
            + "</ul>"
        )
    return parts


def _band(
    figure: go.Figure, lower: pd.Series, upper: pd.Series, name: str, alpha: float
) -> None:
    x = [*lower.index, *upper.index[::-1]]
    y = [*lower.to_numpy(), *upper.to_numpy()[::-1]]
    figure.add_scatter(
        x=x,
        y=y,
        fill="toself",
        mode="lines",
        line={"width": 0},
        fillcolor=f"rgba(31, 119, 180, {alpha})",
        name=name,
        hoverinfo="skip",
    )


def _fan_chart(
    crit_id: str, config: CriterionConfig, result: HeadroomForecast
) -> go.Figure:
    fc, c, s = result.forecast, result.crossing, result.settings
    assert fc is not None and c is not None
    shown = max(2 * max(s.seasonal_periods), s.horizon_steps)
    history = fc.history.iloc[-shown:]
    figure = go.Figure()
    figure.add_scatter(
        x=history.index,
        y=history.to_numpy(),
        mode="lines",
        name="history",
        line={"color": "#444"},
    )
    _band(figure, fc.lower_95, fc.upper_95, "95 % interval", 0.15)
    _band(figure, fc.lower_80, fc.upper_80, "80 % interval", 0.3)
    figure.add_scatter(
        x=fc.mean.index,
        y=fc.mean.to_numpy(),
        mode="lines",
        name=f"forecast ({chart_text(fc.model)})",
        line={"color": "rgb(31, 119, 180)"},
    )
    figure.add_hline(
        y=s.limit, line_dash="dash", line_color="#c0392b", annotation_text="limit"
    )
    for label, when in (
        ("median crossing", c.median_at),
        ("earliest crossing", c.earliest_at),
        ("latest crossing", c.latest_at),
    ):
        if when is not None:
            figure.add_scatter(
                x=[when],
                y=[s.limit],
                mode="markers",
                marker={"size": 10, "symbol": "x"},
                name=f"{label} {when:%Y-%m-%d %H:%M}",
            )
    unit = chart_text(config.unit) if config.unit and config.unit != "%" else ""
    figure.update_layout(
        title=f"{chart_text(config.title)} ({chart_text(crit_id)}): forecast with 80 / 95 % bands",
        yaxis={"title": unit or chart_text(config.source)},
        height=400,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return figure
