"""SLO evaluators (latency p95, error rate, auth success), partial data, calendar
windows and OpenSLO import, on small hand-computed metric files.

Every expected number is worked out in the comments next to the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from analytics.config import load_config
from analytics.errors import ConfigError
from analytics.evaluate import EVALUATORS, evaluate_criteria
from analytics.evaluators_slo import SLO_EVALUATORS, evidence_window
from analytics.evidence import gather_evidence
from analytics.metrics.slo import availability_from_counters
from analytics.readiness import CriterionResult, Status
from analytics.report import slo_section
from analytics.report.go_no_go import build_go_no_go

AS_OF = pd.Timestamp("2024-05-08T00:00:00Z")
# Seven samples at 10-minute spacing that end at AS_OF: the window [AS_OF - 1h, AS_OF].
TIMES = pd.date_range(AS_OF - pd.Timedelta(hours=1), AS_OF, freq="10min")


def _stamp(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%dT%H:%M:%SZ}"


def write_counter(
    path: Path,
    metric: str,
    values: list[float],
    *,
    times: pd.DatetimeIndex = TIMES,
    labels: dict[str, str] | None = None,
) -> Path:
    """A CSV of one counter series (appends when the file exists)."""
    labels = labels or {}
    header = ["timestamp", "metric", *labels, "value"]
    lines = [] if path.exists() else [",".join(header)]
    lines += [
        ",".join([_stamp(t), metric, *labels.values(), f"{v:g}"])
        for t, v in zip(times, values, strict=True)
    ]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def write_histogram(
    path: Path, buckets: dict[str, list[float]], extra: dict[str, str] | None = None
) -> Path:
    """A CSV of ``latency_bucket`` counters, one series per ``le``."""
    lines = [] if path.exists() else ["timestamp,metric,instance,le,value"]
    instance = (extra or {}).get("instance", "a")
    for le, values in buckets.items():
        lines += [
            f"{_stamp(t)},latency_bucket,{instance},{le},{v:g}"
            for t, v in zip(TIMES, values, strict=True)
        ]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def write_config(
    folder: Path,
    sources: dict[str, str],
    criteria: dict[str, Any],
    **top: Any,
) -> Path:
    """A readiness config: CSV metric sources by name → file, and criteria."""
    config = {
        "report": {"service": "api"},
        "metrics": [
            {"name": name, "path": file, "format": "csv"}
            for name, file in sources.items()
        ],
        "criteria": criteria,
        **top,
    }
    path = folder / "readiness.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def evaluate(path: Path, as_of: pd.Timestamp = AS_OF) -> dict[str, CriterionResult]:
    evidence = gather_evidence(load_config(path), as_of)
    results, _ = evaluate_criteria(evidence)
    return {r.criterion.criterion_id: r for r in results}


def one(path: Path, crit_id: str, as_of: pd.Timestamp = AS_OF) -> CriterionResult:
    return evaluate(path, as_of)[crit_id]


def test_kinds_are_registered() -> None:
    for kind in (
        "latency_p95",
        "latency_share",
        "error_rate",
        "auth_success",
        "slo_ratio",
    ):
        assert EVALUATORS[kind] is SLO_EVALUATORS[kind]


# --- latency_p95 ------------------------------------------------------------------


def test_latency_p95_from_bucket_increase_with_a_reset(tmp_path: Path) -> None:
    # Every request lands in (0.2, 0.3]. The process restarts after the third
    # sample: 10, 20, 30, 5, 15, 25, 35 increases by 10+10+5+10+10+10 = 55.
    # Buckets (increase): 0.1: 0, 0.2: 0, 0.3: 55, 0.45: 55, +Inf: 55, so
    # p95 = 0.2 + 0.1 × (0.95·55 − 0) / 55 = 0.295 s = 295 ms (DESIGN.md oracle).
    rising = [10.0, 20, 30, 5, 15, 25, 35]
    flat = [3.0, 3, 3, 0, 0, 0, 0]
    write_histogram(
        tmp_path / "lat.csv",
        {"0.1": flat, "0.2": flat, "0.3": rising, "0.45": rising, "+Inf": rising},
    )
    path = write_config(
        tmp_path,
        {"latency": "lat.csv"},
        {"latency_p95": {"source": "latency", "lookback": "1h"}},
    )

    result = one(path, "latency_p95")

    assert result.value == pytest.approx(295.0, abs=1e-9)
    assert result.evidence_count == 55
    assert result.coverage_ratio == pytest.approx(1.0)
    assert result.status is Status.WARN  # target < 200 ms, alert > 500 ms
    assert "p95" in result.detail and "histogram_quantile" in result.detail


def test_latency_quantile_param_and_le_spellings_merge(tmp_path: Path) -> None:
    # Two instances; "1" and "1.0" are the same bucket. Final minus first:
    # a: 0: 3, 0.5: 5, 1: 7, +Inf: 9;  b: 0: 3, 0.5: 6, 1.0: 7, +Inf: 10
    # sum: 0: 6, 0.5: 11, 1: 14, +Inf: 19 → p50 = 0.35 s (DESIGN.md oracle).
    def ramp(last: float) -> list[float]:
        return [last * i / 6 for i in range(7)]

    write_histogram(
        tmp_path / "lat.csv",
        {"0": ramp(3), "0.5": ramp(5), "1": ramp(7), "+Inf": ramp(9)},
        {"instance": "a"},
    )
    write_histogram(
        tmp_path / "lat.csv",
        {"0": ramp(3), "0.5": ramp(6), "1.0": ramp(7), "+Inf": ramp(10)},
        {"instance": "b"},
    )
    criteria = {
        "latency_p50": {
            "kind": "latency_p95",
            "title": "p50",
            "unit": "ms",
            "op": "<",
            "target": 400,
            "lookback": "1h",
            "source": "latency",
            "params": {"quantile": 0.5},
        },
        "latency_p50_b": {
            "kind": "latency_p95",
            "title": "p50 of instance b, in seconds",
            "unit": "s",
            "op": "<",
            "target": 1,
            "lookback": "1h",
            "source": "latency",
            "selector": {"instance": "b"},
            "params": {"quantile": 0.5, "unit_scale": 1},
        },
    }
    path = write_config(tmp_path, {"latency": "lat.csv"}, criteria)

    results = evaluate(path)

    assert results["latency_p50"].value == pytest.approx(350.0)
    assert results["latency_p50"].status is Status.PASS
    assert results["latency_p50"].evidence_count == 19
    # b alone: 0: 3, 0.5: 6, 1: 7, +Inf: 10 → rank 5 in (0, 0.5]: 0.5 × 2/3.
    assert results["latency_p50_b"].value == pytest.approx(0.5 * 2 / 3)


def _latency_config(
    tmp_path: Path, buckets: dict[str, list[float]], **crit: Any
) -> Path:
    write_histogram(tmp_path / "lat.csv", buckets)
    fields = {"source": "latency", "lookback": "1h", **crit}
    return write_config(tmp_path, {"latency": "lat.csv"}, {"latency_p95": fields})


def test_latency_in_the_inf_bucket_is_no_data_unless_it_already_fails(
    tmp_path: Path,
) -> None:
    # Every request is slower than the highest finite bound, 0.45 s: the p95
    # is only known to be above 450 ms. Against < 200 ms with alert 500 ms
    # that could be WARN or FAIL: NO DATA. With alert 400 ms it fails anyway.
    zero = [0.0] * 7
    slow = [float(10 * i) for i in range(7)]
    buckets = {"0.1": zero, "0.45": zero, "+Inf": slow}
    warn = one(_latency_config(tmp_path, buckets), "latency_p95")
    assert warn.status is Status.NO_DATA
    assert "above the highest finite bucket" in warn.detail
    # The evidence is the 60 observations (+Inf increase 0 → 60), not none.
    assert warn.evidence_count == 60
    assert "p95 of 60 observations lies above" in warn.detail

    (tmp_path / "lat.csv").unlink()
    fail = one(_latency_config(tmp_path, buckets, alert=400), "latency_p95")
    assert fail.status is Status.FAIL
    assert fail.value == pytest.approx(450.0)
    assert "lower bound" in fail.detail


def test_latency_without_observations_is_no_data(tmp_path: Path) -> None:
    flat = [7.0] * 7
    result = one(_latency_config(tmp_path, {"0.1": flat, "+Inf": flat}), "latency_p95")
    assert result.status is Status.NO_DATA
    assert result.value is None
    assert "0 observations" in result.detail


def test_latency_without_source_and_bad_params(tmp_path: Path) -> None:
    path = write_config(tmp_path, {}, {})
    result = one(path, "latency_p95")  # launch-plan default, no source
    assert result.status is Status.NO_DATA
    assert "no histogram source" in result.detail

    flat = [1.0] * 7
    bad = _latency_config(
        tmp_path, {"+Inf": flat}, params={"quantile": 0.95, "quantil": 0.9}
    )
    with pytest.raises(ConfigError, match="quantil"):
        one(bad, "latency_p95")


# --- error_rate and auth_success --------------------------------------------------

# Total requests with a restart after the fourth sample: increase 7000.
TOTAL = [0.0, 1000, 2000, 3000, 2000, 3000, 4000]


def test_error_rate_from_an_error_counter(tmp_path: Path) -> None:
    # Errors 0 0 1 1 1 2 14 increase by 14: 14 / 7000 = 0.2 % → WARN (< 0.1, alert 1).
    write_counter(tmp_path / "err.csv", "errors_total", [0, 0, 1, 1, 1, 2, 14])
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    crit = {"source": "errors", "total_source": "all", "lookback": "1h"}
    path = write_config(
        tmp_path, {"errors": "err.csv", "all": "all.csv"}, {"error_rate": crit}
    )

    result = one(path, "error_rate")

    assert result.value == pytest.approx(0.2)
    assert result.evidence_count == 7000
    assert result.status is Status.WARN
    assert "14 errors of 7,000" in result.detail
    assert "burn rate 2.00×" in result.detail


def test_availability_from_an_error_counter_is_bad_over_total(tmp_path: Path) -> None:
    # source + total_source: 14 errors of 7,000 → 99.8 %, not the up-series reading
    # of the error counter that source alone would mean.
    write_counter(tmp_path / "err.csv", "errors_total", [0, 0, 1, 1, 1, 2, 14])
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    crit = {"source": "errors", "total_source": "all", "lookback": "1h"}
    path = write_config(
        tmp_path, {"errors": "err.csv", "all": "all.csv"}, {"availability": crit}
    )

    result = one(path, "availability")

    assert result.value == pytest.approx(99.8)
    assert result.sources == ("errors", "all")
    # The SLO sections read the same counters the same way.
    report = build_go_no_go(path, AS_OF)
    summary = slo_section.slo_summary(report).markup
    assert "bad: <code>errors</code>" in summary
    assert "99.8000 %" in summary
    assert "plotly" in slo_section.budget_burndown(report).markup
    alerts = slo_section.burn_rate_alerts(report).markup
    assert "cannot be evaluated" not in alerts
    assert "No counter samples" not in alerts


def test_error_rate_from_good_and_total(tmp_path: Path) -> None:
    # Good = total − errors: 7000 − 14 good, the same 0.2 %.
    errors = [0, 0, 1, 1, 0, 1, 13]  # the error counter restarts with the process
    good = [t - e for t, e in zip(TOTAL, errors, strict=True)]
    write_counter(tmp_path / "good.csv", "good_total", good)
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    crit = {"good_source": "good", "total_source": "all", "lookback": "1h"}
    path = write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"error_rate": crit}
    )
    assert one(path, "error_rate").value == pytest.approx(0.2)


def _write_six_errors_in_6000(folder: Path) -> None:
    """good.csv and all.csv: 6,000 requests over the hour of TIMES, 6 of them bad."""
    total = [float(1000 * i) for i in range(7)]
    errors = [0, 0, 1, 1, 1, 2, 6]
    write_counter(folder / "all.csv", "requests_total", total)
    write_counter(
        folder / "good.csv",
        "good_total",
        [t - e for t, e in zip(total, errors, strict=True)],
    )


@pytest.mark.parametrize(
    ("lookback", "value", "because"),
    [
        # The counters (every 10 min) cover the last hour of a 90-minute window:
        # coverage 2/3. 6 errors of 6,000 requests; the 30 minutes without data
        # hold 6,000 / 60 × 30 = 3,000 requests at the observed rate, counted as
        # errors: (6 + 3,000) / 9,000 = 33.4 %.
        (
            "90m",
            3006 / 9000 * 100,
            "when the requests at the observed rate in the 33.3% of the window"
            " without data count as errors (judged)",
        ),
        # Fully covered: nothing unknown, the judged figure is the observed 0.1 %.
        ("1h", 0.1, "(judged; no time without data and no uncounted first values)"),
    ],
)
def test_error_rate_detail_names_the_actual_cause_of_the_judged_bound(
    tmp_path: Path, lookback: str, value: float, because: str
) -> None:
    _write_six_errors_in_6000(tmp_path)
    crit = {
        "good_source": "good",
        "total_source": "all",
        "lookback": lookback,
        "min_coverage": 0.5,
    }
    path = write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"error_rate": crit}
    )
    result = one(path, "error_rate")
    assert result.value == pytest.approx(value)
    assert "6 errors of 6,000 requests, 0.1000 %" in result.detail
    assert because in result.detail
    assert "first seen" not in result.detail


def test_burndown_is_labelled_observed_and_names_the_judged_budget(
    tmp_path: Path,
) -> None:
    # Counters cover the last hour of a 90-minute window (coverage 2/3): 6 bad of
    # 6,000 requests. Target 99 %: observed burn 0.001 / 0.01 = 0.1, 90.0 % of
    # the budget left. Judged: the 3,000 requests of the 30 minutes without data
    # count as bad, SLI 5,994 / 9,000, burn (3,006 / 9,000) / 0.01 = 33.4,
    # remaining 1 − 33.4 = −3,240.0 %. Budget 0.01 × 90 min = 0.9 min.
    _write_six_errors_in_6000(tmp_path)
    crit = {
        "good_source": "good",
        "total_source": "all",
        "lookback": "90m",
        "target": 99,
        "alert": 98,
        "min_coverage": 0.5,
    }
    path = write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"availability": crit}
    )
    report = build_go_no_go(path, AS_OF)
    chart = slo_section.budget_burndown(report).markup
    assert (
        "Error budget remaining, availability, observed data: 90.0 % at the end;"
        " judged -3240.0 % (time without data counted as bad)"
        " (budget 0.9 min over 90m)"
    ) in chart
    assert "budget remaining (observed)" in chart


def test_error_counter_born_in_the_window_is_judged_pessimistically(
    tmp_path: Path,
) -> None:
    # Totals increase by 6000. The error series is first seen at the fourth
    # sample with value 3 (born at its first errors) and ends at 5: counted
    # increase 2 (0.0333 %), judged (2 + 3) / 6000 = 0.08333 % → PASS < 0.1.
    write_counter(
        tmp_path / "all.csv", "requests_total", [float(1000 * i) for i in range(7)]
    )
    write_counter(tmp_path / "err.csv", "errors_total", [3, 3, 4, 5], times=TIMES[3:])
    crit = {"source": "errors", "total_source": "all", "lookback": "1h"}
    path = write_config(
        tmp_path, {"errors": "err.csv", "all": "all.csv"}, {"error_rate": crit}
    )

    result = one(path, "error_rate")

    assert result.value == pytest.approx(5 / 6000 * 100)
    assert "0.0333 %" in result.detail
    assert result.status is Status.PASS


@pytest.mark.parametrize("kind", ["error_rate", "availability"])
def test_an_error_counter_silent_for_half_the_window_is_no_data(
    tmp_path: Path, kind: str
) -> None:
    # Found by a fresh-user test: the error counter's samples start half-way
    # through the window with a value far above one scrape's worth of errors
    # (it existed before; its earlier samples are missing). The errors of the
    # silent half are unknown: they used to count as none, giving a PASS.
    write_counter(
        tmp_path / "all.csv", "requests_total", [float(1000 * i) for i in range(7)]
    )
    write_counter(
        tmp_path / "err.csv", "errors_total", [600, 601, 602, 603], times=TIMES[3:]
    )
    crit = {"source": "errors", "total_source": "all", "lookback": "1h"}
    path = write_config(tmp_path, {"errors": "err.csv", "all": "all.csv"}, {kind: crit})

    result = one(path, kind)

    assert result.status is Status.NO_DATA
    assert result.coverage_ratio == pytest.approx(0.5)


def _write_old_counters(
    folder: Path, times: pd.DatetimeIndex, steps: dict[str, float]
) -> dict[str, str]:
    """Long-running counters of two instances, first seen at ``times[0]``.

    ``steps`` is each instance's total step per sample; the totals
    start at 123456 (a) and 98765 (b), the good counters 456 and 65 lower,
    the error counters at 456 and 65. Three errors on ``a`` at the third step.
    """
    index = pd.Series(range(len(times)), dtype=float)
    errors = {"a": (index >= 3) * 3.0, "b": index * 0.0}
    for instance, first in (("a", 123456.0), ("b", 98765.0)):
        total = first + steps[instance] * index
        bad = errors[instance] + (456.0 if instance == "a" else 65.0)
        labels = {"instance": instance}
        write_counter(
            folder / "all.csv",
            "requests_total",
            list(total),
            times=times,
            labels=labels,
        )
        write_counter(
            folder / "good.csv",
            "good_total",
            list(total - bad),
            times=times,
            labels=labels,
        )
        write_counter(
            folder / "err.csv", "errors_total", list(bad), times=times, labels=labels
        )
    return {"all": "all.csv", "good": "good.csv", "errors": "err.csv"}


def test_old_counters_first_seen_two_intervals_into_the_window_pass(
    tmp_path: Path,
) -> None:
    # Found by a tester with a real Prometheus: counters that ran long before
    # the window, whose samples start two scrape intervals after its start
    # (at 123456 and 98765). Those first values are no requests of the window
    # (far above 10x the later steps: old counters, not births); they used to
    # be counted as failed, a FAIL at 100 % coverage. Samples at 20..60 min,
    # 4 steps: total a 4 x 1000 + b 4 x 500 = 6000, 3 errors: 99.95 % and
    # 0.05 %, coverage 100 % (two intervals before the first are scrape timing).
    sources = _write_old_counters(tmp_path, TIMES[2:], {"a": 1000.0, "b": 500.0})
    ratio = {"total_source": "all", "lookback": "1h"}
    criteria = {
        "availability": {"good_source": "good", **ratio},
        "error_rate": {"source": "errors", **ratio},
        "auth_success": {"good_source": "good", **ratio},
    }
    results = evaluate(write_config(tmp_path, sources, criteria))

    assert results["availability"].value == pytest.approx(5997 / 6000 * 100)
    assert results["auth_success"].value == pytest.approx(5997 / 6000 * 100)
    assert results["error_rate"].value == pytest.approx(3 / 6000 * 100)
    for crit_id in criteria:
        assert results[crit_id].status is Status.PASS, results[crit_id].detail
        assert results[crit_id].coverage_ratio == 1.0


def test_old_counters_first_seen_late_count_the_unseen_time_as_failed(
    tmp_path: Path,
) -> None:
    # The same counters, every minute over the last 60 min of a 65 min window:
    # 60 steps, total a 60 x 60 + b 60 x 40 = 6000, 3 errors, coverage 60/65.
    # The 5 unseen minutes hold 6000 / 60 x 5 = 500 requests at the observed
    # rate, failed in the judged bound: 5997 / 6500 = 92.2615 % and an error
    # rate of 503 / 6500 = 7.7385 %. The first values add nothing.
    times = pd.date_range(AS_OF - pd.Timedelta(hours=1), AS_OF, freq="1min")
    sources = _write_old_counters(tmp_path, times, {"a": 60.0, "b": 40.0})
    ratio = {"total_source": "all", "lookback": "65m"}
    criteria = {
        "availability": {"good_source": "good", **ratio},
        "error_rate": {"source": "errors", **ratio},
    }
    results = evaluate(write_config(tmp_path, sources, criteria))

    assert results["availability"].value == pytest.approx(5997 / 6500 * 100)
    assert results["error_rate"].value == pytest.approx(503 / 6500 * 100)
    assert results["availability"].coverage_ratio == pytest.approx(60 / 65)
    assert results["availability"].status is Status.FAIL


def test_zero_traffic_is_no_data_for_every_ratio_kind(tmp_path: Path) -> None:
    flat = [500.0] * 7
    write_counter(tmp_path / "all.csv", "requests_total", flat)
    write_counter(tmp_path / "err.csv", "errors_total", [1.0] * 7)
    write_counter(tmp_path / "good.csv", "good_total", [499.0] * 7)
    criteria = {
        "error_rate": {"source": "errors", "total_source": "all", "lookback": "1h"},
        "auth_success": {
            "good_source": "good",
            "total_source": "all",
            "lookback": "1h",
        },
    }
    sources = {"errors": "err.csv", "all": "all.csv", "good": "good.csv"}
    results = evaluate(write_config(tmp_path, sources, criteria))
    for crit_id in criteria:
        assert results[crit_id].status is Status.NO_DATA
        assert results[crit_id].value is None
        assert "no traffic" in results[crit_id].detail


def test_auth_success_from_good_and_from_failure_counters(tmp_path: Path) -> None:
    # 7000 logins; 6985 good → 99.7857 % > 99.5 PASS. 40 failures → 99.4286 %
    # FAIL (no alert threshold in the launch plan).
    write_counter(tmp_path / "all.csv", "logins_total", TOTAL)
    write_counter(
        tmp_path / "good.csv", "logins_ok_total", [0, 998, 1995, 2993, 1998, 2992, 3985]
    )
    write_counter(
        tmp_path / "fail.csv", "logins_failed_total", [0, 5, 10, 20, 10, 20, 30]
    )
    criteria = {
        "auth_success": {
            "good_source": "good",
            "total_source": "all",
            "lookback": "1h",
        },
        "auth_failures": {
            "kind": "auth_success",
            "title": "Auth from failures",
            "unit": "%",
            "op": ">",
            "target": 99.5,
            "lookback": "1h",
            "source": "fail",
            "total_source": "all",
        },
    }
    sources = {"all": "all.csv", "good": "good.csv", "fail": "fail.csv"}
    results = evaluate(write_config(tmp_path, sources, criteria))

    # good increase: 998+997+998+1998+994+993 = 6978 → 99.6857 %
    assert results["auth_success"].value == pytest.approx(6978 / 7000 * 100)
    assert results["auth_success"].status is Status.PASS
    # failures: 5+5+10+10+10+10 = 50 → 99.2857 %
    assert results["auth_failures"].value == pytest.approx((1 - 50 / 7000) * 100)
    assert results["auth_failures"].status is Status.FAIL


def test_ratio_without_counters_is_no_data(tmp_path: Path) -> None:
    results = evaluate(write_config(tmp_path, {}, {}))
    for crit_id in ("error_rate", "auth_success"):
        assert results[crit_id].status is Status.NO_DATA
        assert "no counters configured" in results[crit_id].detail


# --- partial data blocks GO --------------------------------------------------------


def _prometheus_json(path: Path, metric: str, values: list[float]) -> Path:
    body = {
        "status": "success",
        "warnings": ["store eu-2 unavailable: results may be incomplete"],
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"__name__": metric, "job": "api"},
                    "values": [
                        [int(t.timestamp()), f"{v:g}"]
                        for t, v in zip(TIMES, values, strict=True)
                    ],
                }
            ],
        },
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_partial_data_from_prometheus_warnings_is_no_data(tmp_path: Path) -> None:
    # Good = total and no errors: the numbers alone would PASS all three; the
    # server's warning on the total counter must still make them NO DATA.
    _prometheus_json(tmp_path / "all.json", "requests_total", TOTAL)
    write_counter(tmp_path / "good.csv", "good_total", TOTAL)
    write_counter(tmp_path / "err.csv", "errors_total", [0.0] * 7)
    config = {
        "metrics": [
            {"name": "all", "path": "all.json", "format": "prometheus_json"},
            {"name": "good", "path": "good.csv", "format": "csv"},
            {"name": "errors", "path": "err.csv", "format": "csv"},
        ],
        "criteria": {
            "availability": {
                "good_source": "good",
                "total_source": "all",
                "lookback": "1h",
            },
            "error_rate": {"source": "errors", "total_source": "all", "lookback": "1h"},
            "auth_success": {
                "good_source": "good",
                "total_source": "all",
                "lookback": "1h",
            },
        },
    }
    path = tmp_path / "readiness.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")

    results = evaluate(path)

    for crit_id in ("availability", "error_rate", "auth_success"):
        result = results[crit_id]
        assert result.status is Status.NO_DATA, crit_id
        assert "partial data blocks GO" in result.detail
        assert "store eu-2 unavailable" in result.detail
        assert "all" in result.sources


def test_partial_note_on_a_histogram_is_no_data(tmp_path: Path) -> None:
    rising = [float(10 * i) for i in range(7)]
    path = _latency_config(tmp_path, {"0.3": rising, "+Inf": rising})
    # Every request in the lowest bucket (0, 0.3]: p95 = 0.3 × 0.95 = 285 ms.
    assert one(path, "latency_p95").value == pytest.approx(285.0)
    evidence = gather_evidence(load_config(path), AS_OF)
    evidence.metrics["latency"].notes.append(
        "partial data: the first sample is 3 h after the requested start"
    )
    results, _ = evaluate_criteria(evidence)
    result = next(r for r in results if r.criterion.criterion_id == "latency_p95")
    assert result.status is Status.NO_DATA
    assert "the first sample is 3 h after" in result.detail


# --- calendar windows --------------------------------------------------------------


def _hourly_counters(folder: Path, start: str, end: str) -> dict[str, str]:
    times = pd.date_range(start, end, freq="1h", tz="UTC")
    total = [1000.0 * i for i in range(len(times))]
    # one bad request every hour: SLI 999/1000 = 99.9 % exactly
    good = [999.0 * i for i in range(len(times))]
    write_counter(folder / "all.csv", "requests_total", total, times=times)
    write_counter(folder / "good.csv", "good_total", good, times=times)
    return {"all": "all.csv", "good": "good.csv"}


def test_calendar_month_over_a_dst_change(tmp_path: Path) -> None:
    # Decision on 10 April: the last complete month in Berlin is March 2024,
    # 2024-02-29T23:00Z .. 2024-03-31T22:00Z, 743 h (the clocks go forward).
    # Budget at 99.9 %: 0.001 × 743 h = 44.58 min.
    sources = _hourly_counters(tmp_path, "2024-02-20", "2024-04-10")
    calendar = {"calendar": "month", "timezone": "Europe/Berlin"}
    criteria = {
        "availability": {"good_source": "good", "total_source": "all", **calendar},
        "error_rate": {"good_source": "good", "total_source": "all", **calendar},
    }
    as_of = pd.Timestamp("2024-04-10T09:30:00Z")
    results = evaluate(write_config(tmp_path, sources, criteria), as_of)

    for crit_id in criteria:
        result = results[crit_id]
        assert result.window_start == pd.Timestamp("2024-02-29T23:00:00Z")
        assert result.window_end == pd.Timestamp("2024-03-31T22:00:00Z")
        assert (result.window_end - result.window_start) == pd.Timedelta(hours=743)
        assert result.evidence_count == 743 * 1000
    assert "of 44.6 min" in results["availability"].detail
    assert results["availability"].value == pytest.approx(99.9)
    assert results["error_rate"].value == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("unit", "as_of", "length", "factors", "budget"),
    [
        # March 2024 in Berlin is 743 h: factor = share × 743 h / long window:
        # 0.02 × 743 = 14.86, 0.05 × 743/6 = 6.192, 0.1 × 743/24 = 3.096,
        # 0.1 × 743/72 = 1.032; budget 0.001 × 743 × 60 = 44.58 min.
        (
            "month",
            "2024-04-10T09:30:00Z",
            "743h",
            ["14.86", "6.192", "3.096", "1.032"],
            "44.6",
        ),
        # The week 2024-03-25 .. 2024-03-31 in Berlin is 167 h (clocks forward):
        # 0.02 × 167 = 3.34, 0.05 × 167/6 = 1.392, 0.1 × 167/24 = 0.6958,
        # 0.1 × 167/72 = 0.2319; budget 0.001 × 167 × 60 = 10.02 min.
        (
            "week",
            "2024-04-01T09:30:00Z",
            "167h",
            ["3.34", "1.392", "0.6958", "0.2319"],
            "10.0",
        ),
    ],
)
def test_calendar_burn_policy_and_burndown_use_the_period_length(
    tmp_path: Path,
    unit: str,
    as_of: str,
    length: str,
    factors: list[str],
    budget: str,
) -> None:
    # Not the 30-day policy of the (unused) default lookback: 14.4, 6, 3, 1.
    sources = _hourly_counters(tmp_path, "2024-02-20", "2024-04-10")
    crit = {
        "good_source": "good",
        "total_source": "all",
        "calendar": unit,
        "timezone": "Europe/Berlin",
    }
    path = write_config(tmp_path, sources, {"availability": crit})
    report = build_go_no_go(path, pd.Timestamp(as_of))

    alerts = slo_section.burn_rate_alerts(report).markup
    assert f"Policy for an SLO window of {length}, calendar {unit} in" in alerts
    for factor in factors:
        assert f">{factor}<" in alerts
    assert ">14.4<" not in alerts
    burndown = slo_section.budget_burndown(report).markup
    assert f"budget {budget} min over {length}, calendar {unit}" in burndown


@pytest.mark.parametrize(
    ("unit", "as_of", "start", "hours"),
    [
        # Monday 00:00 Berlin exactly: the week that just ended is complete.
        ("week", "2024-03-31T22:00:00Z", "2024-03-24T23:00:00Z", 167),
        ("day", "2024-10-28T10:00:00Z", "2024-10-26T22:00:00Z", 25),
        ("quarter", "2024-04-01T12:00:00Z", "2023-12-31T23:00:00Z", 2183),
    ],
)
def test_evidence_window_is_the_last_complete_period(
    tmp_path: Path, unit: str, as_of: str, start: str, hours: int
) -> None:
    path = write_config(
        tmp_path, {}, {"availability": {"calendar": unit, "timezone": "Europe/Berlin"}}
    )
    crit = load_config(path).criteria["availability"]
    first, last = evidence_window(crit, pd.Timestamp(as_of))
    assert first == pd.Timestamp(start)
    assert (last - first) / pd.Timedelta(hours=1) == hours
    assert last <= pd.Timestamp(as_of)


def test_calendar_config_is_validated(tmp_path: Path) -> None:
    path = write_config(tmp_path, {}, {"availability": {"calendar": "fortnight"}})
    with pytest.raises(ConfigError, match="calendar"):
        load_config(path)
    path = write_config(
        tmp_path, {}, {"availability": {"calendar": "month", "timezone": "Mars/Base"}}
    )
    with pytest.raises(ConfigError, match="IANA"):
        load_config(path)


# --- OpenSLO import ------------------------------------------------------------------

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability, displayName: Checkout availability}
spec:
  service: checkout
  budgetingMethod: Occurrences
  timeWindow: [{duration: 1h, isRolling: true}]
  indicator:
    metadata: {name: checkout-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: good}}}
        total: {metricSource: {type: Prometheus, spec: {query: all}}}
  objectives: [{displayName: ok, target: 0.999}]
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: login-errors}
spec:
  ratioMetric:
    counter: true
    bad: {metricSource: {type: Prometheus, spec: {query: 'login_failed_total'}}}
    total: {metricSource: {type: Prometheus, spec: {query: all}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: login-success}
spec:
  service: login
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2024-01-01 00:00:00", timeZone: Europe/Berlin}
  indicatorRef: login-errors
  objectives: [{targetPercent: 99.5}]
"""


def _openslo_config(
    tmp_path: Path, text: str = OPENSLO, *, live_source: bool = True
) -> Path:
    (tmp_path / "slos").mkdir(exist_ok=True)
    (tmp_path / "slos" / "checkout.yaml").write_text(text, encoding="utf-8")
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    write_counter(
        tmp_path / "good.csv",
        "good_total",
        [t - 7 * (i > 0) for i, t in enumerate(TOTAL)],
    )
    config = {
        "metrics": [
            {"name": "all", "path": "all.csv", "format": "csv"},
            {"name": "good", "path": "good.csv", "format": "csv"},
        ],
        "openslo": ["slos/checkout.yaml"],
    }
    if live_source:  # never pulled by these tests: only named by the bad query
        config["metrics"].append(
            {
                "name": "login_failures",
                "format": "prometheus",
                "url": "http://127.0.0.1:9",
                "query": "login_failed_total",
            }
        )
    path = tmp_path / "readiness.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_openslo_slos_become_criteria(tmp_path: Path) -> None:
    config = load_config(_openslo_config(tmp_path))

    assert config.openslo == [(tmp_path / "slos" / "checkout.yaml").resolve()]
    checkout = config.criteria["checkout-availability"]
    assert checkout.kind == "availability"
    assert (checkout.good_source, checkout.total_source) == ("good", "all")
    assert checkout.target == pytest.approx(99.9)
    assert checkout.lookback_timedelta == pd.Timedelta(hours=1)
    assert checkout.title == "Checkout availability"
    login = config.criteria["login-success"]
    # bad/total: the bad query is a Prometheus source's own query text.
    assert (login.kind, login.source, login.total_source) == (
        "slo_ratio",
        "login_failures",
        "all",
    )
    assert (login.calendar, login.timezone) == ("month", "Europe/Berlin")
    assert login.target == pytest.approx(99.5)


def test_openslo_criterion_is_evaluated(tmp_path: Path) -> None:
    path = _openslo_config(tmp_path, OPENSLO.split("---")[0], live_source=False)
    # good readings 0, 993, 1993, 2993, 1993, 2993, 3993 (restart after the
    # fourth) increase by 993 + 1000 + 1000 + 1993 + 1000 + 1000 = 6986 of 7000.
    result = one(path, "checkout-availability")
    assert result.value == pytest.approx(6986 / 7000 * 100)
    assert result.status is Status.FAIL  # 99.8 % is below the 99.9 % target
    assert result.window_end - result.window_start == pd.Timedelta(hours=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            [
                (
                    "budgetingMethod: Occurrences\n  timeWindow: [{",
                    "budgetingMethod: Timeslices\n  timeWindow: [{",
                ),
                (
                    "target: 0.999}]",
                    "target: 0.999, timeSliceTarget: 0.9, timeSliceWindow: 1M}]",
                ),
            ],
            "timeSliceWindow 1M has no fixed length",
        ),
        (
            [("{query: good}", "{query: 'sum(rate(ok[5m]))'}")],
            "names no metrics source",
        ),
        ([("name: checkout-availability,", "name: availability,")], "already exists"),
        (
            [("duration: 1h, isRolling: true", "duration: 1M, isRolling: true")],
            "no fixed length",
        ),
        (
            [("counter: true\n        good", "counter: false\n        good")],
            "counter: false",
        ),
    ],
)
def test_openslo_refusals(
    tmp_path: Path, changes: list[tuple[str, str]], message: str
) -> None:
    text = OPENSLO
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    with pytest.raises(ConfigError, match=message):
        load_config(_openslo_config(tmp_path, text))


@pytest.mark.parametrize(
    ("duration", "lookback", "days"),
    [
        # 12 days and more used to become "1.0368e+06s" (scientific notation).
        ("12d", "12d", 12),
        ("14d", "14d", 14),
        ("28d", "28d", 28),
        ("30d", "30d", 30),
        ("4w", "28d", 28),
        ("672h", "28d", 28),  # 672 = 28 x 24
        ("300h", "1080000s", 12.5),  # 300 h = 1 080 000 s, not whole days
    ],
)
def test_openslo_long_rolling_window_is_an_exact_lookback(
    tmp_path: Path, duration: str, lookback: str, days: float
) -> None:
    text = OPENSLO.replace(
        "duration: 1h, isRolling", f"duration: {duration}, isRolling"
    )
    crit = load_config(_openslo_config(tmp_path, text)).criteria[
        "checkout-availability"
    ]
    assert crit.lookback == lookback
    assert crit.lookback_timedelta == pd.Timedelta(days=days)


def test_openslo_invalid_criterion_names_the_slo_and_the_field_path() -> None:
    from analytics.evaluators_slo import _openslo_validated

    fields = {
        "title": "t",
        "kind": "availability",
        "unit": "%",
        "target": 99.9,
        "lookback": "2.4192e+06s",
    }
    with pytest.raises(ConfigError) as caught:
        _openslo_validated(fields, "readiness.yaml: slos.yaml: SLO 'shop-avail-28d'")
    message = str(caught.value)
    assert message.startswith("readiness.yaml: slos.yaml: SLO 'shop-avail-28d':")
    assert "spec.timeWindow[0].duration" in message
    assert "'2.4192e+06s' is not a duration" in message


def _slice_slo(method: str, objective: str) -> str:
    return (
        OPENSLO.split("---")[0]
        .replace("budgetingMethod: Occurrences", f"budgetingMethod: {method}")
        .replace("target: 0.999}]", objective + "}]")
    )


def test_openslo_timeslices_become_a_slice_criterion(tmp_path: Path) -> None:
    # 20-minute slices of the hour (readings every 10 min): good increments
    # 993+1000 | 1000+1993 | 1000+1000 of 2000 | 3000 | 2000: ratios 0.9965,
    # 0.99767, 1. At timeSliceTarget 0.999 only the last slice is good: 1/3.
    text = _slice_slo(
        "Timeslices", "target: 0.3, timeSliceTarget: 0.999, timeSliceWindow: 20m"
    )
    path = _openslo_config(tmp_path, text, live_source=False)
    crit = load_config(path).criteria["checkout-availability"]
    assert crit.kind == "slo_ratio"
    assert (crit.good_source, crit.total_source) == ("good", "all")
    assert crit.params == {
        "budgeting_method": "timeslices",
        "time_slice_window": "1200s",
        "time_slice_target": pytest.approx(99.9),
    }

    result = one(path, "checkout-availability")
    assert result.value == pytest.approx(100 / 3)
    assert result.status is Status.PASS  # 33.3 % of slices good >= 30 %
    assert "timeslices (share of good slices)" in result.detail
    assert "1 good of 3 slices" in result.detail


def test_openslo_ratio_timeslices_window_in_minutes(tmp_path: Path) -> None:
    # RatioTimeslices, timeSliceWindow given as a number, which OpenSLO v1 reads
    # as minutes: mean(1993/2000, 2993/3000, 1) = 0.997927.
    text = _slice_slo("RatioTimeslices", "target: 0.999, timeSliceWindow: 20")
    path = _openslo_config(tmp_path, text, live_source=False)
    crit = load_config(path).criteria["checkout-availability"]
    assert crit.params == {
        "budgeting_method": "ratio_timeslices",
        "time_slice_window": "1200s",
    }
    result = one(path, "checkout-availability")
    mean = (1993 / 2000 + 2993 / 3000 + 1.0) / 3
    assert result.value == pytest.approx(mean * 100)
    assert result.status is Status.FAIL  # 99.79 % < 99.9 %


# --- time slices from the readiness config ---------------------------------------------

# Good readings 0 1000 1990 2990 | reset 1900 2900 3900 against TOTAL: good
# increments 1000, 990, 1000, 1900, 1000, 1000; totals 1000, 1000, 1000,
# 2000, 1000, 1000. 20-minute slices: 1990/2000 = 0.995, 2900/3000 = 0.96667,
# 2000/2000 = 1.
SLICE_GOOD = [0.0, 1000, 1990, 2990, 1900, 2900, 3900]


def _slice_config(tmp_path: Path, params: dict[str, Any], **extra: Any) -> Path:
    write_counter(tmp_path / "good.csv", "good_total", SLICE_GOOD)
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    crit = {
        "kind": "slo_ratio",
        "title": "Sliced",
        "unit": "%",
        "target": 60,
        "lookback": "1h",
        "good_source": "good",
        "total_source": "all",
        "params": params,
        **extra,
    }
    return write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"sliced": crit}
    )


def test_timeslices_criterion_from_the_config(tmp_path: Path) -> None:
    # A slice is good at >= 99 %: slices 0 (0.995) and 2 (1.0) are, 1 is not.
    path = _slice_config(
        tmp_path,
        {
            "budgeting_method": "timeslices",
            "time_slice_window": "20m",
            "time_slice_target": 99,
        },
    )
    result = one(path, "sliced")
    assert result.value == pytest.approx(200 / 3)
    assert result.status is Status.PASS
    assert result.evidence_count == 7000
    assert result.coverage_ratio == 1.0
    assert "2 good of 3 slices" in result.detail


def test_ratio_timeslices_criterion_from_the_config(tmp_path: Path) -> None:
    path = _slice_config(
        tmp_path,
        {"budgeting_method": "ratio_timeslices", "time_slice_window": "20m"},
        target=99,
    )
    result = one(path, "sliced")
    assert result.value == pytest.approx((0.995 + 2900 / 3000 + 1.0) / 3 * 100)
    assert result.status is Status.FAIL  # 98.72 % < 99 %
    assert "ratio timeslices (mean of slice ratios)" in result.detail


def test_auth_success_from_a_failure_counter_by_timeslices(tmp_path: Path) -> None:
    # Failures 0 10 10 10 | 0 0 0 (restart): 10 in slice 0 of 2000 (0.995),
    # none after. 99 % slice target: every slice good, 100 %.
    write_counter(tmp_path / "fail.csv", "auth_failed_total", [0, 10, 10, 10, 0, 0, 0])
    write_counter(tmp_path / "all.csv", "auth_total", TOTAL)
    crit = {
        "source": "fail",
        "total_source": "all",
        "lookback": "1h",
        "params": {
            "budgeting_method": "Timeslices",
            "time_slice_window": 1200,
            "time_slice_target": 99,
        },
    }
    path = write_config(
        tmp_path, {"fail": "fail.csv", "all": "all.csv"}, {"auth_success": crit}
    )
    result = one(path, "auth_success")
    assert result.value == pytest.approx(100.0)
    assert "bad / total" in result.detail


def test_unknown_slices_count_as_bad_and_lower_coverage(tmp_path: Path) -> None:
    # Flat counters in the middle 20 minutes: slice 1 has no traffic. Slices 0
    # and 2 are good: observed 100 %, judged 2/3 (unknown as bad), coverage
    # 2/3 < the 0.9 default min_coverage → NO DATA.
    write_counter(tmp_path / "good.csv", "good_total", [0, 10, 20, 20, 20, 30, 40])
    write_counter(tmp_path / "all.csv", "requests_total", [0, 10, 20, 20, 20, 30, 40])
    crit = {
        "kind": "slo_ratio",
        "title": "Sliced",
        "unit": "%",
        "target": 60,
        "lookback": "1h",
        "good_source": "good",
        "total_source": "all",
        "params": {
            "budgeting_method": "timeslices",
            "time_slice_window": "20m",
            "time_slice_target": 99,
        },
    }
    path = write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"sliced": crit}
    )
    result = one(path, "sliced")
    assert result.status is Status.NO_DATA
    assert result.coverage_ratio == pytest.approx(2 / 3)

    crit["min_coverage"] = 0.5
    path = write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"sliced": crit}
    )
    result = one(path, "sliced")
    assert result.value == pytest.approx(200 / 3)
    assert "1 of 3 slices unknown" in result.detail


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"budgeting_method": "minutes"}, "not one of occurrences"),
        ({"budgeting_method": "timeslices", "time_slice_target": 99}, "required"),
        (
            {"budgeting_method": "timeslices", "time_slice_window": "5m"},
            "time_slice_target is required",
        ),
        (
            {
                "budgeting_method": "timeslices",
                "time_slice_window": "5m",
                "time_slice_target": 0.95,
            },
            "looks like a ratio",
        ),
        (
            {
                "budgeting_method": "ratio_timeslices",
                "time_slice_window": "5m",
                "time_slice_target": 95,
            },
            "only for budgeting_method timeslices",
        ),
        ({"time_slice_window": "5m"}, "need budgeting_method"),
        ({"budgeting_method": "timeslices", "time_slice_window": "soon"}, "soon"),
        ({"slices": 3}, "unknown key"),
    ],
)
def test_slice_params_are_checked(
    tmp_path: Path, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        one(_slice_config(tmp_path, params), "sliced")


# --- latency_share -------------------------------------------------------------------

# Per 10 minutes: 100 requests, 10 under 0.1 s, 90 under 0.3 s, 99 under 1 s.
SHARE_BUCKETS = {
    "0.1": [10.0 * i for i in range(7)],
    "0.3": [90.0 * i for i in range(7)],
    "1": [99.0 * i for i in range(7)],
    "+Inf": [100.0 * i for i in range(7)],
}


def _share_config(tmp_path: Path, threshold: object, **extra: Any) -> Path:
    crit = {
        "kind": "latency_share",
        "title": "Requests within 1 s",
        "area": "performance",
        "unit": "%",
        "target": 98.5,
        "lookback": "1h",
        "source": "latency",
        "params": {"threshold_seconds": threshold},
        **extra,
    }
    return write_config(tmp_path, {"latency": "lat.csv"}, {"within": crit})


@pytest.mark.parametrize("le", ["1", "1.0"])
@pytest.mark.parametrize("threshold", [1, 1.0])
def test_latency_share_matches_le_1_and_1_0(
    tmp_path: Path, le: str, threshold: float
) -> None:
    # 594 of 600 requests at or under 1 s: 99 % ≥ 98.5 %.
    buckets = {(le if k == "1" else k): v for k, v in SHARE_BUCKETS.items()}
    write_histogram(tmp_path / "lat.csv", buckets)
    result = one(_share_config(tmp_path, threshold), "within")
    assert result.value == pytest.approx(99.0)
    assert result.status is Status.PASS
    assert result.evidence_count == 600
    assert "594 of 600 requests took <= 1 s" in result.detail


def test_latency_share_threshold_must_be_a_bucket_bound(tmp_path: Path) -> None:
    write_histogram(tmp_path / "lat.csv", SHARE_BUCKETS)
    with pytest.raises(ConfigError) as caught:
        one(_share_config(tmp_path, 0.5), "within")
    message = str(caught.value)
    assert "criteria.within.params.threshold_seconds" in message
    assert "0.5" in message and "not a bucket boundary" in message
    assert "boundaries: 0.1, 0.3, 1, inf" in message


def test_latency_share_with_a_reset_and_summed_instances(tmp_path: Path) -> None:
    # Instance a as above; instance b restarts after the third reading:
    # +Inf 0 100 200 | 50 150 250 350 → 200 + 50 + 300 = 550; le=0.3 at 90 %
    # of each reading → 495. Together (540 + 495) / (600 + 550) = 0.9.
    write_histogram(tmp_path / "lat.csv", SHARE_BUCKETS)
    restart = [0.0, 100, 200, 50, 150, 250, 350]
    write_histogram(
        tmp_path / "lat.csv",
        {
            "0.3": [v * 0.9 for v in restart],
            "1": restart,
            "+Inf": restart,
        },
        extra={"instance": "b"},
    )
    result = one(_share_config(tmp_path, 0.3, target=90, alert=80), "within")
    assert result.value == pytest.approx(90.0)
    assert result.status is Status.PASS


def test_latency_share_is_judged_with_time_without_data_as_slow(
    tmp_path: Path,
) -> None:
    # A 90-minute window whose samples (every 10 min) cover only its last hour:
    # 30 min before the first sample is more than two scrape intervals, so
    # coverage is 60 / 90. Observed: 540 of 600 requests <= 0.3 s, 90 %. Judged
    # like availability: the 30 minutes without data hold 600 / 60 min × 30 min
    # = 300 requests at the observed rate, all counted as slow:
    # 540 / (600 + 300) = 60 %.
    write_histogram(tmp_path / "lat.csv", SHARE_BUCKETS)
    path = _share_config(
        tmp_path, 0.3, target=90, alert=80, lookback="90m", min_coverage=0.5
    )
    result = one(path, "within")
    assert result.value == pytest.approx(60.0)
    assert result.status is Status.FAIL  # 90 % observed would have passed
    assert result.coverage_ratio == pytest.approx(2 / 3)
    assert result.evidence_count == 600
    assert "540 of 600 requests took <= 0.3 s, 90.0000%" in result.detail
    assert "60.0000% when time without data counts as slow (judged)" in result.detail
    # budget 10 %, consumed (1 - 0.6) / 0.1 = 4 budgets: -300 % remaining
    assert "error budget remaining -300.0% when judged so" in result.detail
    # The SLO summary reads the same judged figure.
    report = build_go_no_go(path, AS_OF)
    summary = slo_section.slo_summary(report).markup
    assert "60.0000 %" in summary
    assert "about 300 requests at the observed rate" in summary


def test_latency_share_without_requests_is_no_data(tmp_path: Path) -> None:
    write_histogram(tmp_path / "lat.csv", {k: [5.0] * 7 for k in SHARE_BUCKETS})
    result = one(_share_config(tmp_path, 0.3), "within")
    assert result.status is Status.NO_DATA
    assert "no requests" in result.detail


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        (None, "threshold_seconds must be a positive"),
        (0, "threshold_seconds must be a positive"),
        (-1, "threshold_seconds must be a positive"),
        # A value of the wrong type is refused when the config is loaded.
        ("fast", "threshold_seconds: must be a number, got 'fast'"),
    ],
)
def test_latency_share_threshold_is_checked(
    tmp_path: Path, threshold: object, message: str
) -> None:
    write_histogram(tmp_path / "lat.csv", SHARE_BUCKETS)
    with pytest.raises(ConfigError, match=message):
        one(_share_config(tmp_path, threshold), "within")


def test_zero_traffic_is_said_to_be_no_traffic_not_missing_samples(
    tmp_path: Path,
) -> None:
    # Both counters are sampled every 10 minutes but never increase: 0 requests.
    write_counter(tmp_path / "good.csv", "good_total", [42.0] * 7)
    write_counter(tmp_path / "all.csv", "requests_total", [42.0] * 7)
    counters = {"good_source": "good", "total_source": "all", "lookback": "1h"}
    criteria = {"availability": counters, "error_rate": counters}
    path = write_config(tmp_path, {"good": "good.csv", "all": "all.csv"}, criteria)
    results = evaluate(path)
    for crit_id in criteria:
        result = results[crit_id]
        assert result.status is Status.NO_DATA
        assert result.detail.startswith(
            "no traffic: the total counter did not increase in the evidence window"
            " (0 requests, though 2 counter series have samples there)"
        )
        assert "no samples" not in result.detail


def test_good_counting_more_requests_than_total_is_no_data(tmp_path: Path) -> None:
    # The good counter sums two instances, total one: good 2 × 0.95 × total.
    # Capping the ratio at 1 would report 0 % errors and 100 % availability.
    good = [2 * 0.95 * t for t in TOTAL]
    write_counter(tmp_path / "good.csv", "good_total", good)
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    counters = {"good_source": "good", "total_source": "all", "lookback": "1h"}
    criteria = {
        "error_rate": counters,
        "auth_success": counters,
        "availability": counters,
    }
    sources = {"good": "good.csv", "all": "all.csv"}
    results = evaluate(write_config(tmp_path, sources, criteria))
    for crit_id in criteria:
        assert results[crit_id].status is Status.NO_DATA, crit_id
        assert "do not count the same requests" in results[crit_id].detail, crit_id


def test_good_a_hair_above_total_is_scrape_timing_and_capped(tmp_path: Path) -> None:
    good = [t * 1.002 for t in TOTAL]  # 0.2 % over: within COUNTER_SKEW
    write_counter(tmp_path / "good.csv", "good_total", good)
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    crit = {"good_source": "good", "total_source": "all", "lookback": "1h"}
    path = write_config(
        tmp_path, {"good": "good.csv", "all": "all.csv"}, {"error_rate": crit}
    )
    assert one(path, "error_rate").value == pytest.approx(0.0)


def test_buckets_that_fall_as_le_rises_are_no_data(tmp_path: Path) -> None:
    # le=0.1 grows ten times faster than +Inf: two histograms summed, not one.
    fast = [float(100 * i) for i in range(7)]
    slow = [float(10 * i) for i in range(7)]
    buckets = {"0.1": fast, "0.5": slow, "+Inf": slow}
    result = one(_latency_config(tmp_path, buckets), "latency_p95")
    assert result.status is Status.NO_DATA
    assert "le=0.1 bucket counts 600 observations but le=0.5 only 60" in result.detail


def test_p95_above_a_top_bucket_equal_to_the_alert_fails(tmp_path: Path) -> None:
    # Every request is slower than 0.5 s; alert 500 ms: the p95 is above 500 ms,
    # so strictly past the alert threshold: FAIL, not NO DATA.
    zero = [0.0] * 7
    slow = [float(10 * i) for i in range(7)]
    buckets = {"0.1": zero, "0.5": zero, "+Inf": slow}
    result = one(_latency_config(tmp_path, buckets, alert=500), "latency_p95")
    assert result.status is Status.FAIL
    assert "lower bound" in result.detail


def test_negative_counter_readings_are_no_data(tmp_path: Path) -> None:
    # A per-interval delta or gauge, not a counter: read as resets, its dip to
    # -40 would subtract 40 errors and make the error rate look better.
    errors = [0.0, 5.0, 9.0, -40.0, 2.0, 6.0, 9.0]
    write_counter(tmp_path / "bad.csv", "errors_total", errors)
    write_counter(tmp_path / "all.csv", "requests_total", TOTAL)
    crit = {"source": "bad", "total_source": "all", "lookback": "1h"}
    path = write_config(
        tmp_path,
        {"bad": "bad.csv", "all": "all.csv"},
        {"error_rate": crit, "availability": crit},
    )
    for crit_id in ("error_rate", "availability"):
        result = one(path, crit_id)
        assert result.status is Status.NO_DATA, crit_id
        assert "counter errors_total reads -40 at" in result.detail
        assert "cumulative counter" in result.detail


def test_negative_bucket_readings_are_no_data(tmp_path: Path) -> None:
    rising = [float(10 * i) for i in range(7)]
    dipping = [0.0, 10.0, -5.0, 30.0, 40.0, 50.0, 60.0]
    buckets = {"0.1": dipping, "0.5": rising, "+Inf": rising}
    result = one(_latency_config(tmp_path, buckets), "latency_p95")
    assert result.status is Status.NO_DATA
    assert "reads -5 at" in result.detail


def test_selector_keeps_other_jobs_out_of_counter_kinds(tmp_path: Path) -> None:
    # api serves 1,000 requests an interval with 0.5 % errors; batch 100 times
    # that without errors. Unselected, batch dilutes the errors to 0.005 %.
    api, batch = {"job": "api"}, {"job": "batch"}
    api_total = [float(1000 * i) for i in range(7)]
    batch_total = [100 * v for v in api_total]
    write_counter(tmp_path / "all.csv", "requests_total", api_total, labels=api)
    write_counter(tmp_path / "all.csv", "requests_total", batch_total, labels=batch)
    write_counter(
        tmp_path / "bad.csv", "errors_total", [v / 200 for v in api_total], labels=api
    )
    write_counter(tmp_path / "bad.csv", "errors_total", [0.0] * 7, labels=batch)
    crit = {"source": "bad", "total_source": "all", "lookback": "1h", "selector": api}
    criteria = {"error_rate": crit, "availability": crit}
    path = write_config(tmp_path, {"bad": "bad.csv", "all": "all.csv"}, criteria)
    results = evaluate(path)
    assert results["error_rate"].value == pytest.approx(0.5)
    assert results["availability"].value == pytest.approx(99.5)

    criteria = {"error_rate": {**crit, "selector": {"job": "apii"}}}
    path = write_config(tmp_path, {"bad": "bad.csv", "all": "all.csv"}, criteria)
    result = one(path, "error_rate")
    assert result.status is Status.NO_DATA
    assert "selector {'job': 'apii'} matches none of the series of bad" in result.detail


def test_silent_counters_before_the_decision_count_as_failed(tmp_path: Path) -> None:
    # Samples stop 30 minutes before as_of: half the 1 h window has no data.
    # 3,000 requests in the covered half, so about 3,000 more in the silent half
    # count as failed in the judged bound: 2,997 good of 6,000 → 49.95 %.
    times = TIMES[:4]
    write_counter(
        tmp_path / "good.csv", "good_total", [0, 999, 1998, 2997], times=times
    )
    write_counter(
        tmp_path / "all.csv", "requests_total", [0, 1000, 2000, 3000], times=times
    )
    crit = {"good_source": "good", "total_source": "all", "lookback": "1h"}
    sources = {"good": "good.csv", "all": "all.csv"}
    result = one(
        write_config(tmp_path, sources, {"availability": crit}), "availability"
    )
    assert result.status is Status.NO_DATA  # 50 % coverage, below min_coverage 0.9
    # With the coverage floor lowered, the silent half is judged as failed.
    crit["min_coverage"] = 0.4
    result = one(
        write_config(tmp_path, sources, {"availability": crit}), "availability"
    )
    assert result.status is Status.FAIL
    assert result.value == pytest.approx(49.95)
    assert result.coverage_ratio == pytest.approx(0.5)


def test_a_scrape_gap_loses_no_requests_but_silence_at_the_end_does() -> None:
    times = pd.date_range("2024-05-01", periods=13, freq="5min", tz="UTC")

    def counter(keep: list[int]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "timestamp": times[keep],
                "metric": "c",
                "labels": [{}] * len(keep),
                "series": "c",
                "value": [100.0 * i for i in keep],
            }
        )

    def slo(keep: list[int]) -> Any:
        total = counter(keep)
        return availability_from_counters(
            total, total, window_start=times[0], window_end=times[-1], target=0.99
        )

    # No samples from 00:35 to 00:45: the 00:50 sample still counts them all.
    gap = slo([0, 1, 2, 3, 4, 5, 6, 10, 11, 12])
    assert (gap.coverage_ratio, gap.sli, gap.sli_lower_bound) == (1.0, 1.0, 1.0)
    # Silent from 00:40 to the end (20 min, more than two intervals): unknown.
    silent = slo([0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert silent.coverage_ratio == pytest.approx(40 / 60)
    assert silent.sli == 1.0
    assert silent.sli_lower_bound == pytest.approx(40 / 60)


def test_latency_quantile_counts_time_without_data_as_slower(tmp_path: Path) -> None:
    # Found by a fresh-user test: a p95 was judged on the covered part alone at
    # 92.5 % coverage. Buckets (increase): 0.2: 6, 0.3: 60, +Inf: 60.
    rising = [10.0, 20, 30, 40, 50, 60, 70]
    buckets = {"0.1": [0.0] * 7, "0.2": [1.0, 2, 3, 4, 5, 6, 7], "0.3": rising}
    buckets["+Inf"] = rising
    # 60 of 62 minutes covered: the judged p95 is the observed quantile at level
    # 0.95 / (60/62) = 0.98167: 0.2 + 0.1 × (0.98167·60 − 6) / 54 s.
    path = _latency_config(tmp_path, buckets, lookback="62min")
    result = one(path, "latency_p95", AS_OF + pd.Timedelta(minutes=2))
    level = 0.95 / (60 / 62)
    assert result.value == pytest.approx(1000 * (0.2 + 0.1 * (level * 60 - 6) / 54))
    assert "observed p95 294.444 ms" in result.detail
    # 60 of 65 minutes: 7.7 % unknown is more than the slowest 5 %: no bound.
    (tmp_path / "lat.csv").unlink()
    path = _latency_config(tmp_path, buckets, lookback="65min")
    result = one(path, "latency_p95", AS_OF + pd.Timedelta(minutes=5))
    assert result.status is Status.NO_DATA
    assert "the p95 has no upper bound" in result.detail
    assert result.evidence_count == 60


def test_latency_share_on_buckets_that_are_no_histogram_is_no_data(
    tmp_path: Path,
) -> None:
    # Found by a fresh-user test: a +Inf series cut short (an export sorted by
    # `le` and truncated) made the threshold bucket the largest, and the share
    # read 100 % PASS where the true share was 94 %.
    rising = [0.0, 10, 20, 30, 40, 50, 60]
    cut = [0.0, 10, 20, 30, 40, 50, 50]  # +Inf stops growing early
    write_histogram(tmp_path / "lat.csv", {"0.5": rising, "+Inf": cut})
    fields = {
        "kind": "latency_share", "title": "fast", "unit": "%", "target": 95,
        "source": "latency", "lookback": "1h", "params": {"threshold_seconds": 0.5},
    }  # fmt: skip
    path = write_config(tmp_path, {"latency": "lat.csv"}, {"fast": fields})
    result = one(path, "fast")
    assert result.status is Status.NO_DATA
    assert "not the buckets of one histogram" in result.detail
