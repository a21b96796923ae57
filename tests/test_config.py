from __future__ import annotations

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
    path = write("c.yaml", "criteria:\n  availability:\n    target: 999\n")
    with pytest.raises(ConfigError, match="above 100 %"):
        load_config(path)


def test_unknown_criterion_without_kind(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availabilty:\n    target: 99\n")
    with pytest.raises(ConfigError, match="not a default criterion"):
        load_config(path)


def test_reference_to_missing_source(write) -> None:  # type: ignore[no-untyped-def]
    path = write("c.yaml", "criteria:\n  availability:\n    source: prom\n")
    with pytest.raises(ConfigError, match="source 'prom', which is not defined"):
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


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 2_592_000), ("48h", 172_800), ("15m", 900), ("2w", 1_209_600)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == pd.Timedelta(seconds=seconds)
