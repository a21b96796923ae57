from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analytics.config import load_config, missing_files, parse_duration
from analytics.errors import ConfigError


def test_demo_config_loads_with_launch_plan_defaults(demo_dir: Path) -> None:
    config = load_config(demo_dir / "readiness.yaml")
    availability = config.criteria["availability"]
    assert (availability.target, availability.alert, availability.rollback) == (
        99.9,
        99.5,
        95.0,
    )
    assert availability.source == "up"
    assert config.criteria["latency_p95"].target == 200
    assert config.criteria["resolution_p1"].target_hours == 2
    assert config.tickets[0].path.is_absolute()
    assert config.tickets[0].path.is_file()


def test_unknown_key_is_an_error_naming_it(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "min_coverge: 0.9\n")
    with pytest.raises(ConfigError, match="unknown key 'min_coverge'"):
        load_config(path)


def test_typo_in_criterion_field_is_an_error(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availability:\n    targte: 99\n")
    with pytest.raises(ConfigError, match=r"criteria\.availability\.targte"):
        load_config(path)


def test_target_above_100_percent_is_an_error(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  resolution_p1:\n    target: 999\n")
    with pytest.raises(ConfigError, match="above 100 %"):
        load_config(path)


@pytest.mark.parametrize(
    ("criterion", "target", "why"),
    [
        ("availability", "100", "100 % leaves no error budget"),
        ("availability", "0", "0 % or less accepts anything"),
        ("availability", "-5", "0 % or less accepts anything"),
        ("availability", "999", "above 100 % no share of good events can reach it"),
        ("auth_success", "100.0", "100 % leaves no error budget"),
        ("error_rate", "0", "0 % or less allows no error at all"),
        ("error_rate", "100", "100 % allows every request to fail"),
        ("error_rate", "101", "above 100 % is not a share of requests"),
    ],
)
def test_slo_target_must_lie_strictly_between_0_and_100_percent(  # type: ignore[no-untyped-def]
    write, criterion: str, target: str, why: str
) -> None:
    # Refused when the config is loaded (check-config too), in the config's own
    # percent units, naming the key, before any alert check can misname the cause.
    path = write("c.yaml", f"criteria:\n  {criterion}:\n    target: {target}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"criteria.{criterion}.target: is {float(target):g}" in message
    assert why in message
    assert "Fix: write" in message
    assert "ratio" not in message
    assert "alert" not in message


def test_negative_target_is_named_as_such_for_any_kind(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  mttr:\n    target: -5\n")
    with pytest.raises(
        ConfigError, match=r"criteria\.mttr\.target: is -5 min, below zero"
    ):
        load_config(path)


@pytest.mark.parametrize("field", ["target", "alert", "rollback"])
def test_thresholds_must_be_finite(write, field: str) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", f"criteria:\n  latency_p95:\n    {field}: .inf\n")
    with pytest.raises(
        ConfigError,
        match=rf"criteria\.latency_p95\.{field}': Input should be a finite number \(got inf\)",
    ):
        load_config(path)


TICKETS = "tickets:\n  - {{name: desk, path: t.csv, format: {fmt}, {extra}}}\n"


def test_priority_map_values_must_be_p1_to_p4(write) -> None:  # type: ignore[no-untyped-def]
    extra = "priority_map: {Urgent: P0}"
    path = write("c.yaml", TICKETS.format(fmt="servicenow_csv", extra=extra))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert "tickets['desk'].priority_map maps 'Urgent' to 'P0'" in message
    assert "Fix: map each label to one of P1, P2, P3, P4" in message


def test_priority_map_values_are_read_in_any_case(write) -> None:  # type: ignore[no-untyped-def]
    extra = "priority_map: {Urgent: p1, Low: ' P4 '}"
    path = write("c.yaml", TICKETS.format(fmt="jira_csv", extra=extra))
    assert load_config(path).tickets[0].priority_map == {"Urgent": "P1", "Low": "P4"}


def test_unknown_reader_option_is_refused_at_load(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml", TICKETS.format(fmt="servicenow_csv", extra="options: {bogus: 1}")
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "tickets['desk'].options has ['bogus']" in message
    assert "format servicenow_csv (it accepts ['event_log', 'state_map'])" in message


def test_option_the_source_has_a_key_for_is_refused(write) -> None:  # type: ignore[no-untyped-def]
    extra = "options: {timezone: Europe/Berlin}"
    path = write("c.yaml", TICKETS.format(fmt="servicenow_csv", extra=extra))
    with pytest.raises(ConfigError, match=r"Fix: move them out of options"):
        load_config(path)


def test_known_reader_options_load(write) -> None:  # type: ignore[no-untyped-def]
    extra = "options: {date_format: '%d/%m/%Y %H:%M', sla_columns: {}}"
    path = write("c.yaml", TICKETS.format(fmt="jira_csv", extra=extra))
    assert load_config(path).tickets[0].options["date_format"] == "%d/%m/%Y %H:%M"


def test_unknown_criterion_without_kind(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availabilty:\n    target: 99\n")
    with pytest.raises(ConfigError, match="not a default criterion"):
        load_config(path)


def test_reference_to_missing_source(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availability:\n    source: prom\n")
    with pytest.raises(
        ConfigError,
        match=r"criteria\.availability\.source is 'prom', which is not defined",
    ):
        load_config(path)


def test_reference_to_a_source_of_the_wrong_kind(write) -> None:  # type: ignore[no-untyped-def]
    sources = (
        "tickets:\n  - {name: desk, path: t.csv, format: servicenow_csv}\n"
        "metrics:\n  - {name: up, path: up.csv, format: csv}\n"
        "  - {name: req, path: req.csv, format: csv}\n"
    )
    path = write("c.yaml", sources + "criteria:\n  availability:\n    source: desk\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert (
        "criteria.availability.source is 'desk', which is a tickets source" in message
    )
    assert "Fix: use one of ['up', 'req']" in message

    path = write(
        "c.yaml",
        sources + "criteria:\n  mttr:\n    kind: mttr\n    source: up\n",
    )
    with pytest.raises(ConfigError, match="kind mttr reads tickets: sources"):
        load_config(path)


def test_post_launch_anomaly_sources_and_alerts(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    metrics = "metrics:\n  - {name: cpu, path: cpu.csv, format: csv}\n"
    path = write("c.yaml", metrics + "post_launch:\n  anomaly_sources: [mem]\n")
    with pytest.raises(ConfigError, match=r"anomaly_sources names 'mem'.*defined: cpu"):
        load_config(path)

    path = write(
        "sub/c.yaml",
        metrics + "post_launch:\n  anomaly_sources: [cpu]\n  alerts: alerts.json\n",
    )
    config = load_config(path)
    assert config.post_launch.anomaly_sources == ["cpu"]
    assert config.post_launch.alerts == (tmp_path / "sub" / "alerts.json").resolve()
    assert any(m.startswith("post_launch.alerts:") for m in missing_files(config))


def test_missing_file_and_bad_yaml(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write("bad.yaml", "criteria: [\n"))
    with pytest.raises(ConfigError, match="mapping at the top level"):
        load_config(write("list.yaml", "- 1\n"))


def test_bad_lookback(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availability:\n    lookback: 30 days\n")
    with pytest.raises(ConfigError, match="not a duration"):
        load_config(path)


def test_a_title_naming_the_window_follows_a_changed_lookback(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availability:\n    lookback: 3d\n")
    assert load_config(path).criteria["availability"].title == (
        "Availability (3-day rolling)"
    )
    titled = "criteria:\n  availability: {lookback: 3d, title: Uptime}\n"
    assert load_config(write("t.yaml", titled)).criteria["availability"].title == (
        "Uptime"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 2_592_000), ("48h", 172_800), ("15m", 900), ("2w", 1_209_600)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == pd.Timedelta(seconds=seconds)


# --- time zones, durations, as_of and Prometheus URLs are checked at load ---------------

ONE_LINE = "\n"


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert ONE_LINE not in message
    assert message.startswith(f"{path}: invalid config: ")
    return message


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        (
            "tickets:\n  - {name: sn, path: t.csv, timezone: Mars/Olympus}\n",
            "tickets[0].timezone",
        ),
        (
            "metrics:\n  - {name: m, path: m.csv, format: csv, timezone: Mars/Olympus}\n",
            "metrics[0].timezone",
        ),
        (
            "surveys:\n  - {name: s, path: s.csv, timezone: Mars/Olympus}\n",
            "surveys[0].timezone",
        ),
        ("activity: {path: a.csv, timezone: Mars/Olympus}\n", "activity.timezone"),
        ("licences: {path: l.csv, timezone: Mars/Olympus}\n", "licences.timezone"),
        ("checklist: {path: c.csv, timezone: Mars/Olympus}\n", "checklist.timezone"),
        (
            "criteria:\n  availability: {timezone: Mars/Olympus}\n",
            "criteria.availability.timezone",
        ),
        (
            "criteria:\n  first_response:\n    business_hours: {timezone: Mars/Olympus}\n",
            "criteria.first_response.business_hours.timezone",
        ),
        (
            "post_launch:\n  criteria:\n    error_rate: {timezone: Mars/Olympus}\n",
            "post_launch.criteria.error_rate.timezone",
        ),
    ],
)
def test_unknown_time_zone_is_a_config_error_naming_the_key(  # type: ignore[no-untyped-def]
    write, yaml_text: str, key: str
) -> None:
    message = _error(write("c.yaml", yaml_text))
    assert f"{key}: 'Mars/Olympus' is not an IANA zone name. Fix:" in message
    assert "ZoneInfoNotFoundError" not in message


def test_misspelt_time_zone_suggests_the_right_one(write) -> None:  # type: ignore[no-untyped-def]
    message = _error(
        write("c.yaml", "checklist: {path: c.csv, timezone: Europe/Berln}\n")
    )
    assert "such as 'Europe/Berlin'" in message


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        (
            "criteria:\n  availability: {lookback: 0d}\n",
            "criteria.availability.lookback",
        ),
        (
            "metrics:\n  - {name: p, format: prometheus, url: 'http://prom:9090',"
            " query: up, lookback: 0h}\n",
            "metrics[0].lookback",
        ),
        (
            "metrics:\n  - {name: p, format: prometheus, url: 'http://prom:9090',"
            " query: up, step: 0s}\n",
            "metrics[0].step",
        ),
        ("post_launch: {rollback_window: 0m}\n", "post_launch.rollback_window"),
        (
            "post_launch:\n  criteria:\n    error_rate: {lookback: 0d}\n",
            "post_launch.criteria.error_rate.lookback",
        ),
        (
            "criteria:\n  cap: {kind: capacity_headroom, title: c, target: 20,"
            " params: {limit: 10, horizon: 0d}}\n",
            "criteria.cap.params.horizon",
        ),
        (
            "criteria:\n  auth_success: {params: {budgeting_method: timeslices,"
            " time_slice_window: 0}}\n",
            "criteria.auth_success.params.time_slice_window",
        ),
    ],
)
def test_zero_length_window_or_step_is_a_config_error(  # type: ignore[no-untyped-def]
    write, yaml_text: str, key: str
) -> None:
    message = _error(write("c.yaml", yaml_text))
    assert f"{key}: " in message
    assert "is not a positive duration" in message and "Fix: write a length" in message


def test_zero_recovery_point_objective_is_allowed(write) -> None:  # type: ignore[no-untyped-def]
    config = load_config(write("c.yaml", "post_launch: {rpo: 0m}\n"))
    assert parse_duration(config.post_launch.rpo) == pd.Timedelta(0)


@pytest.mark.parametrize(
    "value", ["04/03/2026", "30.06.2026", "June 30 2026", "20260630"]
)
def test_as_of_must_be_iso_8601(write, value: str) -> None:  # type: ignore[no-untyped-def]
    message = _error(write("c.yaml", f"as_of: '{value}'\n"))
    assert f"as_of: '{value}' is not ISO 8601" in message and "Fix: write 20" in message


def test_as_of_as_an_unquoted_yaml_date_is_kept_as_iso_text(write) -> None:  # type: ignore[no-untyped-def]
    assert load_config(write("c.yaml", "as_of: 2016-06-30\n")).as_of == "2016-06-30"
    stamp = load_config(write("d.yaml", "as_of: 2016-06-30T08:00:00Z\n")).as_of
    assert stamp == "2016-06-30T08:00:00+00:00"


def test_prometheus_url_with_credentials_is_refused_without_echoing_them(  # type: ignore[no-untyped-def]
    write,
) -> None:
    path = write(
        "c.yaml",
        "metrics:\n"
        "  - {name: ok, format: prometheus, url: 'http://127.0.0.1:9090', query: up}\n"
        "  - {name: p, format: prometheus, url: 'http://alice:s3cr3t@127.0.0.1:1',"
        " query: up}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "s3cr3t" not in message and "alice" not in message
    assert "metrics[1].url: 'http://127.0.0.1:1'" in message
    assert (
        "PROMETHEUS_PASSWORD_FILE" in message and "PROMETHEUS_BEARER_TOKEN" in message
    )
    # Nor does the chained pydantic error (shown by --debug) carry it.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_a_secret_in_a_url_is_not_echoed_by_other_errors(write) -> None:  # type: ignore[no-untyped-def]
    # The entry also misses its query: pydantic would repeat the whole entry.
    path = write(
        "c.yaml",
        "metrics:\n  - {name: p, format: prometheus, url: 'https://u:s3cr3t@prom'}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "s3cr3t" not in str(caught.value)


def test_prometheus_url_needs_http_and_a_host(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml",
        "metrics:\n  - {name: p, format: prometheus, url: 'prom:9090', query: up}\n",
    )
    assert "metrics[0].url: 'prom:9090' must start with http://" in _error(path)


def test_bundled_configs_still_load() -> None:
    root = Path(__file__).resolve().parents[1]
    for path in (
        root / "data/demo/readiness.yaml",
        root / "data/scenario/readiness.yaml",
    ):
        assert load_config(path).as_of


@pytest.mark.parametrize(
    ("kind", "op", "target", "alert"),
    [
        ("csat", ">=", 4.5, 4.9),
        # Kinds without a bounded scale, so that only the side is wrong.
        ("latency_p95", "<", 200, 100),
        ("throughput", ">", 99.5, 99.9),
        ("mttr", "<=", 0.1, 0.05),
    ],
)
def test_alert_on_the_passing_side_of_the_target_is_refused(
    tmp_path: Path, kind: str, op: str, target: float, alert: float
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "criteria:\n"
        f"  x: {{title: X, kind: {kind}, op: '{op}', target: {target}, alert: {alert}}}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError, match="passing side of target"):
        load_config(path)


@pytest.mark.parametrize(
    ("override", "where"),
    [
        (
            "availability: {target: 100}",
            "post_launch.criteria.availability.target: is 100",
        ),
        (
            "csat: {target: -1}",
            "post_launch.criteria.csat.target: is -1 /5, below zero",
        ),
        (
            "mine: {kind: slo_ratio, title: t, target: 0}",
            "post_launch.criteria.mine.target: is 0, but the target of kind slo_ratio",
        ),
    ],
)
def test_success_criterion_targets_are_checked_at_load(  # type: ignore[no-untyped-def]
    write, override: str, where: str
) -> None:
    path = write("c.yaml", f"post_launch:\n  criteria:\n    {override}\n")
    with pytest.raises(ConfigError, match=re.escape(where)):
        load_config(path)


def test_an_slo_target_written_as_a_ratio_is_refused(write) -> None:  # type: ignore[no-untyped-def]
    metrics = "metrics:\n  - {name: up, path: up.csv, format: csv}\n"
    path = write(
        "c.yaml", metrics + "criteria:\n  availability: {source: up, target: 0.999}\n"
    )
    with pytest.raises(ConfigError, match=r"0\.999 as a ratio is 99\.9 %"):
        load_config(path)


def test_ticket_settings_a_format_ignores_and_bad_urgency_maps_are_refused(
    write,
) -> None:  # type: ignore[no-untyped-def]
    jira = (
        "tickets:\n  - {name: j, path: j.csv, format: jira_csv, date_order: dayfirst}\n"
    )
    with pytest.raises(
        ConfigError, match=r"sets \['date_order'\], which format jira_csv"
    ):
        load_config(write("c.yaml", jira))
    pagerduty = (
        "tickets:\n  - {name: pd, path: p.json, format: pagerduty_json,"
        " options: {urgency_map: {high: P0}}}\n"
    )
    with pytest.raises(ConfigError, match=r"urgency_map maps 'high' to 'P0'"):
        load_config(write("c.yaml", pagerduty))


@pytest.mark.parametrize(
    ("fields", "key", "said"),
    [
        ("target: 45", "target: is 45", "did you mean 4.5?"),
        ("target: 9", "target: is 9", "did you mean 4.5?"),
        ("target: 90", "target: is 90", "did you mean 4.5?"),
        ("target: 0.9", "target: is 0.9", "did you mean 4.5?"),
        ("target: 4.5, alert: 40", "alert: is 40", "did you mean 4?"),
        ("target: 4.5, alert: 0.5", "alert: is 0.5", "did you mean 2.5?"),
        ("target: 500", "target: is 500", "from 1 to 5, e.g. 4.5"),
        ("target: 4.5, rollback: 0", "rollback: is 0", "from 1 to 5, e.g. 4.5"),
    ],
)
def test_csat_thresholds_must_lie_on_the_1_to_5_scale(  # type: ignore[no-untyped-def]
    write, fields: str, key: str, said: str
) -> None:
    # Accepted before, a target of 9 made every report WARN against 9.
    path = write("c.yaml", f"criteria:\n  csat: {{{fields}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"criteria.csat.{key}" in message
    assert "CSAT is a mean of 1–5 scores" in message
    assert said in message


@pytest.mark.parametrize(
    "fields", ["target: 1, alert: 1", "target: 5", "target: 4.2, alert: 3"]
)
def test_csat_thresholds_on_the_scale_are_accepted(write, fields: str) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", f"criteria:\n  csat: {{{fields}}}\n")
    assert load_config(path).criteria["csat"].target == float(
        fields.split()[1].rstrip(",")
    )


@pytest.mark.parametrize(
    ("criterion", "fields", "key"),
    [
        ("adoption", "target: 120", "target: is 120"),
        ("feature_utilisation", "target: 80, alert: 150", "alert: is 150"),
        ("escalation_rate", "target: 150", "target: is 150"),
        ("escalation_rate", "target: 10, alert: 120", "alert: is 120"),
        ("resolution_p2", "target: 95, alert: -5", "alert: is -5"),
    ],
)
def test_share_thresholds_must_lie_between_0_and_100_percent(  # type: ignore[no-untyped-def]
    write, criterion: str, fields: str, key: str
) -> None:
    path = write("c.yaml", f"criteria:\n  {criterion}: {{{fields}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"criteria.{criterion}.{key}" in message
    assert "measures a share in %, from 0 to 100" in message
    assert "Fix: write the share in percent" in message


# --- Prometheus sources --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9090?token=QS-CANARY",
        "http://127.0.0.1:9090/?token=QS-CANARY",
        "https://prom.example/prometheus#QS-CANARY",
    ],
)
def test_prometheus_url_with_a_query_string_is_refused_without_echoing_it(  # type: ignore[no-untyped-def]
    write, url: str
) -> None:
    path = write(
        "c.yaml",
        f"metrics:\n  - {{name: p, format: prometheus, url: '{url}', query: up}}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "QS-CANARY" not in message and "token=" not in message
    assert "metrics[0].url: " in message and "query string or fragment" in message
    assert "PROMETHEUS_BEARER_TOKEN" in message and "docs/prometheus.md" in message
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize(
    ("step", "seconds"), [("30", 30), ("'30'", 30), ("0.5", 0.5), ("30s", 30)]
)
def test_a_step_without_a_unit_is_seconds(write, step: str, seconds: float) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml",
        "metrics:\n  - {name: p, format: prometheus, url: 'http://127.0.0.1:9090',"
        f" query: up, step: {step}}}\n",
    )
    source = load_config(path).metrics[0]
    assert parse_duration(source.step).total_seconds() == seconds


@pytest.mark.parametrize("lookback", ["4", "'4'", "4.5"])
def test_a_lookback_without_a_unit_is_refused_with_the_fix(
    write, lookback: str
) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml",
        "metrics:\n  - {name: p, format: prometheus, url: 'http://127.0.0.1:9090',"
        f" query: up, lookback: {lookback}}}\n",
    )
    message = _error(path)
    number = lookback.strip("'")
    assert f"metrics[0].lookback: {number} has no unit" in message
    assert f"Fix: write the unit, e.g. {number}d or {number}h" in message


def _refusal(path: Path) -> str:
    """The one-line message of the ConfigError that loading ``path`` raises."""
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def _counter_config(queries: dict[str, str], criteria: str) -> str:
    sources = "".join(
        f"  - name: {name}\n    format: prometheus\n    url: http://127.0.0.1:9090\n"
        f"    query: '{query}'\n"
        for name, query in queries.items()
    )
    return f"metrics:\n{sources}criteria:\n{criteria}"


RATIO = "  availability: {good_source: good, total_source: all, selector: {job: api}}\n"


@pytest.mark.parametrize(
    ("query", "operation"),
    [
        ('sum(app_requests_total{job="api"})', "sum(), an aggregation"),
        ("sum by (instance) (app_requests_total)", "sum(), an aggregation"),
        ("sum(app_requests_total) without (pod)", "sum(), an aggregation"),
        ("avg(app_requests_total)", "avg(), an aggregation"),
        ("MAX(app_requests_total)", "max(), an aggregation"),
        ("count by (job) (app_requests_total)", "count(), an aggregation"),
        ("(sum(app_requests_total))", "sum(), an aggregation"),
        ("sum(a_total) - sum(b_total)", "sum(), an aggregation"),
        ('rate(app_requests_total{job="api"}[5m])', "rate(), a range function"),
        ("irate(app_requests_total[1m])", "irate(), a range function"),
        ('increase(app_requests_total{job="api"}[30s])', "increase(), a range"),
        ("max_over_time(app_requests_total[1h])", "max_over_time(), a range"),
        ("sum(rate(app_requests_total[5m]))", "sum(), an aggregation"),
        ("abs(rate(app_requests_total[5m]))", "rate(), a range function"),
    ],
)
def test_a_counter_source_must_query_the_raw_counters(  # type: ignore[no-untyped-def]
    write, query: str, operation: str
) -> None:
    path = write("c.yaml", _counter_config({"good": "good_total", "all": query}, RATIO))
    message = _refusal(path)
    assert "metrics source 'all' (metrics[1].query)" in message
    assert "read as counters by criteria.availability" in message
    assert repr(query) in message
    assert f"returns the result of {operation}" in message
    assert "Fix: query the raw counter series, e.g. '" in message
    assert "the engine takes the increase of each series" in message
    assert "criteria.availability.selector" in message


def test_the_fix_shows_the_selector_inside_the_query(write) -> None:  # type: ignore[no-untyped-def]
    query = 'sum by (job) (increase(app_requests_total{job="api"}[5m]))'
    path = write("c.yaml", _counter_config({"good": "good_total", "all": query}, RATIO))
    assert "e.g. 'app_requests_total{job=\"api\"}'" in _refusal(path)


@pytest.mark.parametrize(
    "criteria",
    [
        "  error_rate: {source: bad, total_source: all}\n",
        "  auth_success: {good_source: bad, total_source: all}\n",
        "  r: {kind: slo_ratio, title: r, unit: '%', target: 99, good_source: bad,"
        " total_source: all}\n",
        "  latency_p95: {source: bad}\n",
        "  l: {kind: latency_share, title: l, unit: '%', target: 99, source: bad,"
        " params: {threshold_seconds: 0.3}}\n",
    ],
)
def test_every_counter_kind_refuses_an_aggregated_source(write, criteria: str) -> None:  # type: ignore[no-untyped-def]
    queries = {"bad": "sum by (le) (x_bucket)", "all": "requests_total"}
    message = _refusal(write("c.yaml", _counter_config(queries, criteria)))
    assert "metrics source 'bad' (metrics[0].query) is read as counters" in message


def test_post_launch_criteria_refuse_an_aggregated_source(write) -> None:  # type: ignore[no-untyped-def]
    text = _counter_config(
        {"good": "good_total", "all": "sum(requests_total)"}, ""
    ).replace("criteria:\n", "")
    text += "post_launch:\n  criteria:\n    availability:\n"
    text += "      {good_source: good, total_source: all}\n"
    assert "post_launch.criteria.availability" in _refusal(write("c.yaml", text))


@pytest.mark.parametrize(
    "query",
    [
        'app_requests_total{job="api"}',
        '{__name__="app_requests_total", job="api"}',
        "job:app_requests_total:sum",  # a recording rule's name
        "sum:app_requests_total",
        "app_requests_total offset 5m",
        "app_requests_total - app_good_requests_total",  # derived error counter
        'label_replace(app_requests_total, "svc", "$1", "job", "(.*)")',
        "app_requests_total * on (instance) group_left (version)"
        " max by (instance, version) (build_info)",
        "app_requests_total and on (instance) max_over_time(up[5m]) == 1",
        'app_requests_total{path="/sum(x)"}',
    ],
)
def test_raw_counters_and_recording_rules_are_accepted(write, query: str) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", _counter_config({"good": "good_total", "all": query}, RATIO))
    assert load_config(path).metrics[1].query == query


def test_sources_not_read_as_counters_may_aggregate(write) -> None:  # type: ignore[no-untyped-def]
    queries = {
        "up": "avg by (job) (up)",
        "p95": "histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))",
        "agg": "sum(requests_total)",
    }
    criteria = (
        "  availability: {source: up}\n"
        "  t: {kind: threshold_share, title: t, unit: '%', target: 99, source: p95,"
        " params: {threshold_op: lte, threshold_value: 0.3}}\n"
        "  error_rate: {enabled: false, source: agg, total_source: agg}\n"
    )
    config = load_config(write("c.yaml", _counter_config(queries, criteria)))
    assert [s.query for s in config.metrics] == list(queries.values())


def test_an_openslo_ratio_on_an_aggregated_source_is_refused(write) -> None:  # type: ignore[no-untyped-def]
    write(
        "slo.yaml",
        """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout}
spec:
  service: checkout
  budgetingMethod: Occurrences
  timeWindow: [{duration: 1d, isRolling: true}]
  indicator:
    metadata: {name: ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: good}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(requests_total)'}}}
  objectives: [{target: 0.999}]
""",
    )
    text = _counter_config({"good": "good_total", "all": "sum(requests_total)"}, "")
    path = write("c.yaml", text.replace("criteria:\n", "openslo: [slo.yaml]\n"))
    message = _refusal(path)
    assert "read as counters by criteria.checkout" in message
    assert "'sum(requests_total)' returns the result of sum()" in message


def test_overriding_one_param_keeps_the_default_others(write) -> None:  # type: ignore[no-untyped-def]
    from analytics.report.post_launch import success_criteria_configs

    path = write(
        "c.yaml",
        "post_launch:\n  criteria:\n    adoption_first_week: {params: {days: 14}}\n",
    )
    configs = success_criteria_configs(
        load_config(path), pd.Timestamp("2026-03-02T09:00Z")
    )
    params = configs["adoption_first_week"][1].params
    assert params["mode"] == "first_week"
    assert params["days"] == 14


def _business_hours(write, settings: str) -> Path:  # type: ignore[no-untyped-def]
    return write(  # type: ignore[no-any-return]
        "c.yaml",
        f"criteria:\n  first_response:\n    business_hours: {{timezone: Europe/Berlin, {settings}}}\n",
    )


@pytest.mark.parametrize(
    "holidays", ["[2026-12-25]", "['2026-12-25']", "[2026-12-25, '2026-12-26']"]
)
def test_business_hours_holidays_may_be_yaml_dates(  # type: ignore[no-untyped-def]
    write, holidays: str
) -> None:
    config = load_config(_business_hours(write, f"holidays: {holidays}"))
    hours = config.criteria["first_response"].business_hours
    assert hours is not None
    assert pd.Timestamp("2026-12-25").date() in hours.schedule().holidays


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ('holidays: ["03/04/2026"]', "holiday '03/04/2026' is not an ISO date"),
        ('holidays: ["25.12.2026"]', "Fix: write it as YYYY-MM-DD"),
        (
            'holidays: ["2026-02-30"]',
            "holiday '2026-02-30' is not a date of the calendar",
        ),
        ("holidays: [2026-12-25 10:00:00]", "a holiday is a whole day"),
        ("weekdays: []", "weekdays is empty: the clock would never run"),
        ("weekdays: [Mon, Funday]", "weekdays has ['Funday'], not day names"),
        ('opens: "17:00", closes: "09:00"', "opening must be before closing"),
        ('opens: "09:00", closes: "09:00"', "opening must be before closing"),
        ('opens: "25:00"', "not between 00:00 and 24:00"),
        ('opens: "nine"', "'nine' is not HH:MM"),
        ("closes: 17:00", "is the number 1020 (YAML 1.1 reads an unquoted 17:00"),
    ],
)
def test_degenerate_business_hours_are_config_errors(  # type: ignore[no-untyped-def]
    write, settings: str, expected: str
) -> None:
    message = _error(_business_hours(write, settings))
    assert "criteria.first_response.business_hours" in message
    assert expected in message


@pytest.mark.parametrize(
    ("objective", "window", "expected"),
    [
        (
            "{targetPercent: 0.999}",
            "{duration: 7d, isRolling: true}",
            "targetPercent is 0.999",
        ),
        (
            "{target: 0.99}",
            "{duration: 0d, isRolling: true}",
            "duration '0d' is zero long",
        ),
        (
            "{target: 0.99, targetPercent: 99.9}",
            "{duration: 7d, isRolling: true}",
            "has both",
        ),
    ],
)
def test_openslo_problems_are_config_errors_naming_the_file(  # type: ignore[no-untyped-def]
    write, objective: str, window: str, expected: str
) -> None:
    slo = write(
        "slo.yaml",
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n"
        "  budgetingMethod: Occurrences\n"
        f"  timeWindow: [{window}]\n"
        "  indicator:\n    metadata: {name: i}\n    spec:\n      ratioMetric:\n"
        "        counter: true\n"
        "        good: {metricSource: {type: Prometheus, spec: {query: g}}}\n"
        "        total: {metricSource: {type: Prometheus, spec: {query: t}}}\n"
        f"  objectives: [{objective}]\n",
    )
    config = write(
        "c.yaml",
        "metrics:\n  - {name: g, path: g.csv, format: csv}\n"
        "  - {name: t, path: t.csv, format: csv}\nopenslo: [slo.yaml]\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    message = str(caught.value)
    assert message.startswith(f"{slo}: SLO 'a': spec.")
    assert expected in message
    assert "Fix:" in message


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("max_rejected_ratio: true\n", "write a number here, not true/false"),
        ("min_coverage: '0.5'\n", "write the number without quotes, e.g. 0.5"),
        (
            "criteria:\n  availability:\n    blocking: 'no'\n",
            "write true or false, without quotes",
        ),
        (
            "criteria:\n  availability:\n    target: '99.9'\n",
            "write the number without quotes, e.g. 99.9",
        ),
        ("criteria:\n  availability:\n    min_events: 2.5\n", "valid integer"),
    ],
)
def test_numbers_and_switches_are_not_coerced_from_other_types(  # type: ignore[no-untyped-def]
    write, text: str, fix: str
) -> None:
    # Lax coercion read `max_rejected_ratio: true` as 1.0: every row could be
    # rejected without the sources turning NO DATA.
    path = write("c.yaml", text)
    with pytest.raises(ConfigError, match=re.escape(fix)):
        load_config(path)


def test_resolution_target_hours_must_be_above_zero(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "c.yaml",
        "criteria:\n  resolution_p1:\n    priority: P1\n    target_hours: 0\n",
    )
    with pytest.raises(ConfigError, match="target_hours"):
        load_config(path)


def test_a_key_given_twice_is_an_error_not_the_last_one_winning(write) -> None:  # type: ignore[no-untyped-def]
    # Found by a fresh-user test: a second `criteria:` block replaced the first,
    # so criteria switched off in it came back, and check-config said ok.
    path = write(
        "c.yaml",
        "criteria:\n  availability: {enabled: false}\n"
        "min_coverage: 0.9\n"
        "criteria:\n  csat: {target: 4.2}\n",
    )
    with pytest.raises(
        ConfigError,
        match=r"key 'criteria' is given twice \(first on line 1, again on line 4\)",
    ):
        load_config(path)
    nested = write("d.yaml", "criteria:\n  csat:\n    target: 4.2\n    target: 3\n")
    with pytest.raises(ConfigError, match="key 'target' is given twice"):
        load_config(nested)


def test_a_duration_written_as_a_bare_number_says_to_add_its_unit(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "max_data_age: 7\n")
    with pytest.raises(ConfigError, match=r"a duration needs its unit, e\.g\. 7d"):
        load_config(path)
