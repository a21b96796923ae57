"""OpenSLO v1 import."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from analytics import openslo
from analytics.errors import ConfigError
from analytics.openslo import load_openslo, parse_openslo

FIXTURE = Path(__file__).parent / "fixtures" / "openslo" / "slos.yaml"

BASE = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: s}
spec:
  budgetingMethod: %(method)s
  timeWindow: [%(window)s]
  indicator:
    metadata: {name: i}
    spec: %(indicator)s
  objectives: [%(objective)s]
"""
RATIO = (
    "{ratioMetric: {counter: true,"
    " good: {metricSource: {type: Prometheus, spec: {query: g}}},"
    " total: {metricSource: {type: Prometheus, spec: {query: t}}}}}"
)


def slo_text(**parts: str) -> str:
    values = {
        "method": "Occurrences",
        "window": "{duration: 28d, isRolling: true}",
        "indicator": RATIO,
        "objective": "{target: 0.99}",
    }
    values.update(parts)
    return BASE % values


def test_fixture_file_reads_both_slos():
    availability, latency = load_openslo(FIXTURE)

    assert availability.name == "api-availability"
    assert availability.indicator.kind == "ratio"
    assert availability.indicator.bad_query == 'sum(app_requests_total{code=~"5.."})'
    assert availability.indicator.good_query is None
    assert availability.objectives[0].target == pytest.approx(0.999)
    assert availability.time_window.calendar_unit == "month"
    assert availability.time_window.timezone == "Europe/Berlin"
    assert availability.time_window.seconds is None
    assert availability.budgeting_method == "Occurrences"

    assert latency.indicator.kind == "threshold"
    assert latency.indicator.query.startswith("histogram_quantile(0.95")
    assert latency.time_window.seconds == 28 * 86400
    assert latency.budgeting_method == "Timeslices"
    objective = latency.objectives[0]
    assert (objective.op, objective.value, objective.time_slice_window) == (
        "lte",
        0.3,
        "5m",
    )


@pytest.mark.parametrize("method", ["Occurrences", "RatioTimeslices"])
def test_budgeting_methods(method):
    objective = "{target: 0.99, timeSliceWindow: 1m}"
    slo = parse_openslo(slo_text(method=method, objective=objective))[0]
    assert slo.budgeting_method == method


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"method": "Sometimes"}, "budgeting_method"),
        ({"method": "Timeslices"}, "timeSliceWindow"),
        ({"objective": "{target: 1.5}"}, "target"),
        ({"objective": "{displayName: x}"}, "target"),
        ({"window": "{duration: 28 days, isRolling: true}"}, "not a number and a unit"),
        ({"window": "{duration: 1M, isRolling: false}"}, "needs calendar"),
        (
            {
                "window": "{duration: 1M, isRolling: false,"
                " calendar: {timeZone: Mars/Base}}"
            },
            "IANA",
        ),
        (
            {"indicator": "{ratioMetric: {total: {metricSource: {spec: {query: t}}}}}"},
            "exactly one",
        ),
        ({"indicator": "{ratioMetric: {raw: {}}}"}, "raw is not supported"),
        ({"indicator": "{}"}, "ratioMetric or thresholdMetric"),
    ],
)
def test_bad_input_is_a_config_error(parts, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_openslo(slo_text(**parts), source="slo.yaml")
    assert "slo.yaml" in str(caught.value)


def test_wrong_api_version_and_missing_reference():
    with pytest.raises(ConfigError, match="openslo/v1"):
        parse_openslo("apiVersion: openslo/v2\nkind: SLO\nmetadata: {name: x}\n")
    text = slo_text().replace(
        "indicator:\n    metadata: {name: i}\n    spec: " + RATIO, "indicatorRef: nope"
    )
    with pytest.raises(ConfigError, match="indicatorRef 'nope'"):
        parse_openslo(text)


def test_not_yaml():
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_openslo("a: [")


def test_doctests_run():
    failures, tried = doctest.testmod(openslo)
    assert tried > 0
    assert failures == 0


def test_time_slice_window_may_be_seconds():
    # The spec allows a number (seconds) as well as a duration shorthand.
    slo = parse_openslo(
        slo_text(
            method="RatioTimeslices", objective="{target: 0.99, timeSliceWindow: 300}"
        )
    )[0]
    assert slo.objectives[0].time_slice_window == "300s"
