"""The go / no-go run.json a post-launch review may compare with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.report.baseline import read_baseline

GO_LIVE = pd.Timestamp("2026-03-02T09:00:00Z")


def _run_json(tmp_path: Path, config: Path, **fields: Any) -> Path:
    record = {
        "report": "go-no-go",
        "service": "Shop",
        "decision": "GO",
        "as_of": "2026-03-01T00:00:00+00:00",
        "config": str(config),
        "config_sha256": None,
        "criteria": [],
        **fields,
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record), "utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "readiness.yaml"
    path.write_text("report: {service: Shop}\n", "utf-8")
    return path


def _read(path: Path, config: Path, service: str = "Shop") -> list[str]:
    baseline = read_baseline(
        path, service=service, config_path=config, go_live=GO_LIVE, name="--baseline x"
    )
    return list(baseline.warnings)


def test_a_run_of_this_service_the_day_before_go_live_is_taken_as_is(
    tmp_path: Path, config: Path
) -> None:
    assert _read(_run_json(tmp_path, config), config) == []


def test_a_run_of_another_service_is_refused_naming_both(
    tmp_path: Path, config: Path
) -> None:
    other = tmp_path / "demo.yaml"
    path = _run_json(tmp_path, other, service="IT service desk")
    with pytest.raises(ConfigError) as caught:
        _read(path, config)
    message = str(caught.value)
    assert "--baseline x: is a go / no-go run of service 'IT service desk'" in message
    assert f"(config {other})" in message
    assert f"this review is of service 'Shop' (config {config})" in message
    assert "Fix: pass the run.json of this service's go / no-go run" in message


@pytest.mark.parametrize("kind", ["post-launch", None])
def test_a_run_json_of_another_report_kind_is_refused(
    tmp_path: Path, config: Path, kind: str | None
) -> None:
    path = _run_json(tmp_path, config, report=kind)
    with pytest.raises(ConfigError, match=f"its 'report' is {kind!r}, so it is not"):
        _read(path, config)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("{", "cannot read it as a run.json"), ("[]", "no decision")],
)
def test_unreadable_files_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "run.json"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=problem):
        _read(path, tmp_path / "c.yaml")


@pytest.mark.parametrize(
    ("as_of", "warning"),
    [
        ("2026-03-03T00:00:00+00:00", "after go-live (2026-03-02 09:00 UTC)"),
        ("2026-01-15T00:00:00+00:00", "46 days before go-live (more than 30)"),
        ("last week", "no readable decision time (as_of 'last week')"),
    ],
)
def test_a_run_far_from_go_live_is_taken_with_a_warning(
    tmp_path: Path, config: Path, as_of: str, warning: str
) -> None:
    (only,) = _read(_run_json(tmp_path, config, as_of=as_of), config)
    assert warning in only


def test_exactly_30_days_before_go_live_is_no_warning(
    tmp_path: Path, config: Path
) -> None:
    path = _run_json(tmp_path, config, as_of="2026-01-31T09:00:00+00:00")
    assert _read(path, config) == []


def test_another_or_changed_config_is_a_warning(tmp_path: Path, config: Path) -> None:
    moved = _run_json(tmp_path, tmp_path / "old.yaml")
    (warning,) = _read(moved, config)
    assert "built from config" in warning and "old.yaml" in warning

    changed = _run_json(tmp_path, config, config_sha256="0" * 64)
    (warning,) = _read(changed, config)
    assert "changed after the go / no-go run" in warning


@pytest.mark.parametrize(
    ("folder", "why"),
    [
        ("go-no-go_asof-20260301_20260301T000000Z_abc123.failed", "a failed run"),
        (".incomplete-go-no-go_asof-20260301_abc123", "has not finished"),
    ],
)
def test_a_run_that_was_never_published_is_no_baseline(
    tmp_path: Path, config: Path, folder: str, why: str
) -> None:
    # Found by a fresh-user test: a run whose disk filled after the notebook
    # finished kept a run.json with decision GO in its .failed folder, and the
    # Makefile's `ls -td ... | head -1` picked it as the baseline.
    run_dir = tmp_path / folder
    run_dir.mkdir()
    path = _run_json(run_dir, config)
    with pytest.raises(ConfigError, match=why):
        _read(path, config)


def test_a_symlink_to_a_failed_runs_run_json_is_refused(
    tmp_path: Path, config: Path
) -> None:
    run_dir = tmp_path / "go-no-go_asof-20260301_x.failed"
    run_dir.mkdir()
    target = _run_json(run_dir, config)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="a failed run"):
        _read(link, config)
