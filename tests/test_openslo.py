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
        ({"method": "Sometimes"}, "spec.budgetingMethod"),
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


def test_time_slice_window_as_a_number_is_minutes():
    # OpenSLO v1: "default interpretation of unit if specified as a number in minutes".
    slo = parse_openslo(
        slo_text(
            method="RatioTimeslices", objective="{target: 0.99, timeSliceWindow: 5}"
        )
    )[0]
    assert slo.objectives[0].time_slice_window == "5m"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            {"objective": "{targetPercent: 0.999}"},
            "spec.objectives[0].targetPercent is 0.999, an objective of 0.999 %; that"
            " looks like a ratio written where a percentage belongs",
        ),
        (
            {"objective": "{target: 99.9}"},
            "spec.objectives[0].target is 99.9, but target is a ratio below 1;"
            " 99.9 looks like a percentage. Fix: write targetPercent: 99.9",
        ),
        ({"objective": "{target: 0.005}"}, "an objective of 0.5 %"),
        ({"objective": "{targetPercent: 100}"}, "must be below 100"),
        ({"objective": "{target: '0.99'}"}, "target is '0.99', not a number"),
        ({"objective": "{target: true}"}, "target is True, not a number"),
        (
            {"objective": "{target: 0.99, targetPercent: 99.9}"},
            "spec.objectives[0] has both target (0.99) and targetPercent (99.9)",
        ),
        ({"objective": "{displayName: x}"}, "needs target"),
        (
            {"window": "{duration: 0d, isRolling: true}"},
            "spec.timeWindow[0].duration '0d' is zero long",
        ),
        (
            {"window": "{duration: 28 days, isRolling: true}"},
            "is not a number and a unit",
        ),
        (
            {"window": "{duration: 28d, isRolling: 'false'}"},
            "isRolling is 'false', not true or false",
        ),
        (
            {"window": "{duration: 1M, calendar: {startTime: '2026-01-01 00:00:00'}}"},
            "spec.timeWindow[0].calendar has no timeZone; OpenSLO v1 requires it",
        ),
        (
            {"window": "{duration: 1M, isRolling: true, calendar: {timeZone: UTC}}"},
            "has isRolling: true and a calendar",
        ),
        ({"window": "{duration: 1M, calendar: x}"}, "calendar must be a mapping"),
        (
            {"window": "{duration: 1M, calendar: {timeZone: Mars/Base}}"},
            "calendar.timeZone 'Mars/Base' is not an IANA zone",
        ),
        (
            {
                "method": "Timeslices",
                "objective": "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 0}",
            },
            "timeSliceWindow is 0",
        ),
        (
            {
                "method": "Timeslices",
                "objective": "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 0m}",
            },
            "timeSliceWindow '0m' is zero long",
        ),
        (
            {
                "method": "Timeslices",
                "objective": "{target: 0.99, timeSliceTarget: 1.5, timeSliceWindow: 5m}",
            },
            "spec.objectives[0].timeSliceTarget: Input should be less than or equal to 1 (got 1.5)",
        ),
        ({"method": "Sometimes"}, "spec.budgetingMethod: Input should be"),
        (
            {
                "indicator": "{ratioMetric: {counter: 'no', good: {metricSource: {spec: {query: g}}}, total: {metricSource: {spec: {query: t}}}}}"
            },
            "ratioMetric.counter is 'no', not true or false",
        ),
        ({"indicator": "{ratioMetric: [a]}"}, "ratioMetric must be a mapping"),
        ({"indicator": "[a]"}, "the indicator's spec must be a mapping"),
    ],
)
def test_every_bad_field_is_one_config_error_naming_file_field_and_value(
    tmp_path: Path, parts: dict[str, str], expected: str
) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(slo_text(**parts), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_openslo(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: SLO 's': ")
    assert expected in message


def test_a_calendar_window_with_its_time_zone_is_read() -> None:
    window = "{duration: 1M, calendar: {startTime: '2026-01-01 00:00:00', timeZone: Europe/Berlin}}"
    slo = parse_openslo(slo_text(window=window))[0]
    assert (slo.time_window.is_rolling, slo.time_window.timezone) == (
        False,
        "Europe/Berlin",
    )
    assert slo.time_window.calendar_unit == "month"


def test_target_percent_alone_is_read_as_a_ratio() -> None:
    slo = parse_openslo(slo_text(objective="{targetPercent: 99.9}"))[0]
    assert slo.objectives[0].target == pytest.approx(0.999)
