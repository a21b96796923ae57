"""The readiness command: exit codes and one-line errors, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readiness(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def test_help_lists_the_report_command() -> None:
    result = _readiness("report", "go-no-go", "--help")
    assert result.returncode == 0
    assert "--config" in result.stdout and "--as-of" in result.stdout


def test_check_config_on_demo() -> None:
    result = _readiness("check-config", "--config", "data/demo/readiness.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")


def test_config_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("criteria:\n  availability:\n    target: 999\n")
    result = _readiness(
        "report", "go-no-go", "--config", str(config), "--out", str(tmp_path)
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "above 100 %" in result.stderr


def _ticket_config(tmp_path: Path, csv_text: str | bytes) -> Path:
    data = tmp_path / "tickets.csv"
    if isinstance(csv_text, bytes):
        data.write_bytes(csv_text)
    else:
        data.write_text(csv_text)
    config = tmp_path / "c.yaml"
    config.write_text(
        "as_of: '2016-06-30'\n"
        "tickets:\n  - {name: sn, path: tickets.csv, format: servicenow_csv, date_order: dayfirst}\n"
    )
    return config


HEADER = (
    "number,incident_state,priority,opened_at,resolved_at,closed_at,assignment_group\n"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("number,priority\nINC1,1 - Critical\n", "opened_at"),
        ("", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "tickets.csv"),
        ('{"result": [1, 2, 3]}\n', "tickets.csv"),
    ],
    ids=["missing-column", "empty-file", "binary-file", "json-not-csv"],
)
def test_bad_ticket_file_exits_2_with_one_line(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    config = _ticket_config(tmp_path, content)
    result = _readiness(
        "report", "go-no-go", "--config", str(config), "--out", str(tmp_path / "out")
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "tickets.csv" in result.stderr and expected in result.stderr
    assert result.stderr.startswith("error: ")
    assert not list((tmp_path / "out").glob("**/report.html"))


@pytest.mark.slow
def test_unparseable_date_is_rejected_and_reported(tmp_path: Path) -> None:
    config = _ticket_config(
        tmp_path,
        HEADER
        + "INC1,Closed,1 - Critical,1/6/2016 10:00,1/6/2016 11:00,2/6/2016 10:00,G1\n"
        + "INC2,Closed,1 - Critical,31/13/2016 10:00,1/6/2016 11:00,2/6/2016 10:00,G1\n",
    )
    result = _readiness(
        "report",
        "go-no-go",
        "--config",
        str(config),
        "--out",
        str(tmp_path / "out"),
        "--fail-on",
        "no-go",
    )
    # Written (the date problem is a rejected row), but NO-GO: most criteria have no evidence.
    assert result.returncode == 4, result.stderr
    assert "decision: NO-GO" in result.stdout
    run_json = next((tmp_path / "out").glob("*/run.json"))
    record = json.loads(run_json.read_text())
    assert record["rejected_rows"] == 1
    rejected = (run_json.parent / "rejected_rows.csv").read_text()
    assert "unparseable_date" in rejected and "31/13/2016 10:00" in rejected


def test_check_config_reports_missing_files_and_bad_as_of(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("tickets:\n  - {name: sn, path: nope.csv}\n")
    result = _readiness("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "tickets 'sn'" in result.stderr and "nope.csv" in result.stderr

    config.write_text("as_of: yesterday\n")
    result = _readiness("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "yesterday" in result.stderr
