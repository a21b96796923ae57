"""Threshold SLOs (OpenSLO thresholdMetric): the engine, the criterion, the import.

Every expected number is worked out in the comments next to the data.
"""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from analytics import evaluators_slo
from analytics.config import load_config
from analytics.errors import ConfigError
from analytics.evaluate import EVALUATORS, evaluate_criteria
from analytics.evidence import gather_evidence
from analytics.metrics.slo import threshold_slo
from analytics.readiness import CriterionResult, Status

NAN = float("nan")
START = pd.Timestamp("2024-05-01T00:00:00Z")
END = START + pd.Timedelta(minutes=1)
AS_OF = pd.Timestamp("2024-05-08T00:00:00Z")


def gauge(values: list[float], series: str = "p95", step: str = "10s") -> pd.DataFrame:
    times = pd.date_range(START, periods=len(values), freq=step)
    return pd.DataFrame(
        {
            "timestamp": times,
            "metric": series,
            "labels": [{}] * len(values),
            "series": series,
            "value": values,
        }
    )


# --- the engine -------------------------------------------------------------------------


def test_occurrences_with_a_nan_and_a_missing_sample() -> None:
    # Six 10 s slots in the minute. Points 0.2 0.4 NaN 0.3 0.1, the sixth missing.
    # lte 0.3: good 0.2, 0.3, 0.1 = 3 of 4 known; 2 unknown (NaN + missing).
    result = threshold_slo(
        gauge([0.2, 0.4, NAN, 0.3, 0.1]),
        op="lte",
        value=0.3,
        window_start=START,
        window_end=END,
        target=0.9,
    )
    assert (result.good, result.valid, result.expected) == (3.0, 4.0, 6.0)
    assert result.sli == pytest.approx(0.75)
    assert result.sli_lower_bound == pytest.approx(3 / 6)  # unknown counted as bad
    assert result.sli_upper_bound == pytest.approx(5 / 6)
    assert result.coverage_ratio == pytest.approx(4 / 6)
    assert result.burn_rate == pytest.approx(0.25 / 0.1)


@pytest.mark.parametrize(
    ("op", "good"),
    [("lt", 1.0), ("lte", 2.0), ("gt", 2.0), ("gte", 3.0)],
)
def test_each_operator(op: str, good: float) -> None:
    # Points 1 2 3 4 against 2: lt {1}, lte {1, 2}, gt {3, 4}, gte {2, 3, 4}.
    result = threshold_slo(
        gauge([1.0, 2.0, 3.0, 4.0]),
        op=op,
        value=2,
        window_start=START,
        window_end=START + pd.Timedelta(seconds=40),
        target=0.5,
    )
    assert (result.good, result.valid) == (good, 4.0)
    assert result.sli == pytest.approx(good / 4)
    assert result.coverage_ratio == pytest.approx(1.0)


def test_every_point_of_every_series_counts() -> None:
    # a: 1 1 0 1 1 1 (5 good), b: 0 0 0 1 1 1 (3 good) against gte 1: 8 of 12.
    frame = pd.concat(
        [gauge([1, 1, 0, 1, 1, 1.0], "a"), gauge([0, 0, 0, 1, 1, 1.0], "b")]
    )
    result = threshold_slo(
        frame, op="gte", value=1, window_start=START, window_end=END, target=0.9
    )
    assert (result.good, result.valid, result.series_count) == (8.0, 12.0, 2)
    assert "each of 2 series" in result.notes[0]


@pytest.mark.parametrize(
    ("method", "slice_target", "sli", "lower"),
    [
        # 20 s slices: (0.1, 0.5) share 1/2 | (0.1, 0.2) share 1 | (NaN, NaN) unknown.
        # timeslices at 100 %: 1 good of 2 with data; judged 1 of 3 slices.
        ("timeslices", 1.0, 1 / 2, 1 / 3),
        # At 50 % both slices with data are good: 2 of 2; judged 2 of 3.
        ("timeslices", 0.5, 1.0, 2 / 3),
        # ratio timeslices: mean(1/2, 1) = 0.75; judged (1/2 + 1) / 3 = 0.5.
        ("ratio_timeslices", None, 0.75, 0.5),
    ],
)
def test_timeslices(
    method: str, slice_target: float | None, sli: float, lower: float
) -> None:
    result = threshold_slo(
        gauge([0.1, 0.5, 0.1, 0.2, NAN, NAN]),
        op="lt",
        value=0.3,
        window_start=START,
        window_end=END,
        target=0.5,
        method=method,
        slice_seconds=20,
        slice_target=slice_target,
    )
    assert (result.valid, result.expected) == (2.0, 3.0)
    assert result.sli == pytest.approx(sli)
    assert result.sli_lower_bound == pytest.approx(lower)
    assert result.coverage_ratio == pytest.approx(2 / 3)
    assert result.events == 4.0  # known data points behind the slices


def test_empty_window_and_all_nan_are_no_data() -> None:
    later = gauge([0.1, 0.1]).assign(
        timestamp=lambda f: f["timestamp"] + pd.Timedelta(hours=1)
    )
    for frame in (later, gauge([NAN, NAN, NAN])):
        result = threshold_slo(
            frame, op="lt", value=1, window_start=START, window_end=END, target=0.9
        )
        assert result.sli is None and not result.has_data
        assert result.good == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"op": "eq"}, "threshold operator 'eq'"),
        ({"value": NAN}, "must be finite"),
        ({"slice_seconds": 20.0}, "need method 'timeslices'"),
        ({"method": "timeslices", "slice_seconds": 20.0}, "needs slice_target"),
        ({"method": "timeslices", "slice_target": 0.9}, "slice_seconds must be > 0"),
    ],
)
def test_bad_engine_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "op": "lt",
        "value": 1.0,
        "window_start": START,
        "window_end": END,
        "target": 0.9,
    }
    arguments.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        threshold_slo(gauge([0.1]), **arguments)


# --- the criterion ------------------------------------------------------------------------

# A queue-depth gauge every 10 minutes from AS_OF - 1 h to AS_OF: 40 60 120 <gap>
# 80 200 50. The window [AS_OF - 1 h, AS_OF) is half-open, so 50 (at AS_OF) is
# outside: six 10-minute slots, five known, one missing.
QUEUE_TIMES = pd.date_range(AS_OF - pd.Timedelta(hours=1), AS_OF, freq="10min")
QUEUE = [40.0, 60.0, 120.0, None, 80.0, 200.0, 50.0]


def write_gauge(path: Path) -> Path:
    lines = ["timestamp,metric,queue,value"]
    lines += [
        f"{t:%Y-%m-%dT%H:%M:%SZ},queue_depth,orders,{v:g}"
        for t, v in zip(QUEUE_TIMES, QUEUE, strict=True)
        if v is not None
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_config(folder: Path, criterion: dict[str, Any], **top: Any) -> Path:
    write_gauge(folder / "queue.csv")
    config = {
        "metrics": [{"name": "queue", "path": "queue.csv", "format": "csv"}],
        "criteria": {"queue_ok": criterion},
        **top,
    }
    path = folder / "readiness.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def criterion(**params: Any) -> dict[str, Any]:
    return {
        "kind": "threshold_share",
        "title": "Queue below 100",
        "unit": "%",
        "target": 60,
        "lookback": "1h",
        "source": "queue",
        "params": {"threshold_op": "lt", "threshold_value": 100, **params},
    }


def evaluate(path: Path, crit_id: str = "queue_ok") -> CriterionResult:
    evidence = gather_evidence(load_config(path), AS_OF)
    results, _ = evaluate_criteria(evidence)
    return next(r for r in results if r.criterion.criterion_id == crit_id)


def test_kind_is_registered() -> None:
    assert (
        EVALUATORS["threshold_share"]
        is evaluators_slo.SLO_EVALUATORS["threshold_share"]
    )


def test_criterion_occurrences_judges_the_gap_as_bad(tmp_path: Path) -> None:
    # In [AS_OF - 1 h, AS_OF): 40 60 120 (gap) 80 200 -> 6 slots of 10 min, 5 known.
    # lt 100: 40, 60, 80 good = 3 of 5 (60 %); judged 3 of 6 = 50 % < 60 %.
    result = evaluate(write_config(tmp_path, criterion(), min_coverage=0.5))
    assert result.value == pytest.approx(50.0)
    assert result.status is Status.FAIL
    assert result.coverage_ratio == pytest.approx(5 / 6)
    assert "3 good of 5 data points" in result.detail
    assert "each data point of each of 1 series" in result.detail


def test_criterion_below_min_coverage_is_no_data(tmp_path: Path) -> None:
    result = evaluate(write_config(tmp_path, criterion(), min_coverage=0.9))
    assert result.status is Status.NO_DATA


def test_criterion_timeslices(tmp_path: Path) -> None:
    # 20-min slices: (40, 60) good | (120, gap) bad | (80, 200) half. At 50 %:
    # slices 1 and 3 good, 2 of 3 = 66.7 % >= 60 %.
    params = {"budgeting_method": "timeslices", "time_slice_window": "20m"}
    result = evaluate(write_config(tmp_path, criterion(**params, time_slice_target=50)))
    assert result.value == pytest.approx(200 / 3)
    assert result.status is Status.PASS
    assert "2 good of 3 slices with data" in result.detail


def test_criterion_window_without_samples_is_no_data(tmp_path: Path) -> None:
    path = write_config(tmp_path, criterion())
    evidence = gather_evidence(load_config(path), AS_OF + pd.Timedelta(days=3))
    results, _ = evaluate_criteria(evidence)
    result = next(r for r in results if r.criterion.criterion_id == "queue_ok")
    assert result.status is Status.NO_DATA
    assert "0 known data points" in result.detail


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"threshold_op": "<"}, "threshold_op must be one of"),
        ({"threshold_value": "high"}, "threshold_value: must be a number, got 'high'"),
        ({"threshold_seconds": 1}, "unknown key"),
        ({"budgeting_method": "timeslices"}, "time_slice_window is required"),
    ],
)
def test_criterion_params_are_checked(
    tmp_path: Path, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        evaluate(write_config(tmp_path, criterion(**params)))


# --- OpenSLO import -------------------------------------------------------------------------

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: queue-depth, displayName: Orders queue short}
spec:
  service: orders
  budgetingMethod: %(method)s
  timeWindow: [{duration: 1h, isRolling: true}]
  indicator:
    metadata: {name: queue}
    spec:
      thresholdMetric:
        metricSource: {type: Prometheus, spec: {query: queue}}
  objectives: [%(objectives)s]
"""


def openslo_config(tmp_path: Path, method: str, objectives: str) -> Path:
    write_gauge(tmp_path / "queue.csv")
    text = OPENSLO % {"method": method, "objectives": objectives}
    (tmp_path / "slo.yaml").write_text(text, encoding="utf-8")
    config = {
        "metrics": [{"name": "queue", "path": "queue.csv", "format": "csv"}],
        "openslo": ["slo.yaml"],
        "min_coverage": 0.5,
    }
    path = tmp_path / "readiness.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_openslo_threshold_occurrences_is_imported_and_evaluated(
    tmp_path: Path,
) -> None:
    path = openslo_config(tmp_path, "Occurrences", "{op: lt, value: 100, target: 0.6}")
    crit = load_config(path).criteria["queue-depth"]
    assert (crit.kind, crit.source, crit.title) == (
        "threshold_share",
        "queue",
        "Orders queue short",
    )
    assert crit.params == {"threshold_op": "lt", "threshold_value": 100.0}
    assert crit.target == pytest.approx(60.0)
    result = evaluate(path, "queue-depth")
    assert result.value == pytest.approx(50.0)  # as in the criterion test above


def test_openslo_threshold_timeslices_and_ratio_timeslices(tmp_path: Path) -> None:
    path = openslo_config(
        tmp_path,
        "Timeslices",
        "{op: lt, value: 100, target: 0.6, timeSliceTarget: 0.5, timeSliceWindow: 20m}",
    )
    crit = load_config(path).criteria["queue-depth"]
    assert crit.params == {
        "threshold_op": "lt",
        "threshold_value": 100.0,
        "budgeting_method": "timeslices",
        "time_slice_window": "1200s",
        "time_slice_target": pytest.approx(50.0),
    }
    assert evaluate(path, "queue-depth").value == pytest.approx(200 / 3)

    # RatioTimeslices: mean of the slice shares 1, 0 (120 alone), 1/2 = 0.5.
    path = openslo_config(
        tmp_path,
        "RatioTimeslices",
        "{op: lt, value: 100, target: 0.6, timeSliceWindow: 20}",
    )
    assert evaluate(path, "queue-depth").value == pytest.approx(50.0)


def test_openslo_threshold_with_two_objectives_is_refused(tmp_path: Path) -> None:
    path = openslo_config(
        tmp_path,
        "Occurrences",
        "{op: lt, value: 100, target: 0.6}, {op: lt, value: 150, target: 0.9}",
    )
    with pytest.raises(ConfigError, match="allows only one objective") as caught:
        load_config(path)
    assert "queue-depth" in str(caught.value)


def test_openslo_threshold_without_op_is_refused(tmp_path: Path) -> None:
    path = openslo_config(tmp_path, "Occurrences", "{value: 100, target: 0.6}")
    with pytest.raises(ConfigError, match="needs op and value"):
        load_config(path)


def test_doctests_run() -> None:
    from analytics.metrics import slo

    for module in (evaluators_slo, slo):
        failures, tried = doctest.testmod(module)
        assert tried > 0
        assert failures == 0
