"""The readiness command: exit codes and one-line errors, run as a user runs it."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
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

    # As the report would refuse it: no evidence exists yet for a future time.
    config.write_text("as_of: '2999-01-01'\n")
    result = _readiness("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "2999-01-01T00:00:00+00:00 is in the future" in result.stderr


# --- bad input is refused before anything runs: exit 2, one line, the key and the fix ---


def _bad_input(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        (
            "03/04/2026",
            "write 2026-03-04T00:00:00Z for 4 March, or 2026-04-03T00:00:00Z",
        ),
        ("30.06.2026", "write 2026-06-30T00:00:00Z"),
        ("June 30 2026", "write 2026-06-30T00:00:00Z"),
        ("20260630", "write 2026-06-30T00:00:00Z"),
    ],
)
def test_as_of_must_be_iso_8601(tmp_path: Path, value: str, fix: str) -> None:
    result = _readiness(
        "report", "go-no-go", "--config", "data/demo/readiness.yaml",
        "--out", str(tmp_path / "out"), "--as-of", value,
    )  # fmt: skip
    _bad_input(result, f"--as-of {value!r} is not ISO 8601", fix)
    assert not (tmp_path / "out").exists()


def test_go_live_must_be_iso_8601(tmp_path: Path) -> None:
    result = _readiness(
        "report", "post-launch", "--config", "data/scenario/readiness.yaml",
        "--out", str(tmp_path / "out"), "--go-live", "03/02/2026",
    )  # fmt: skip
    _bad_input(result, "--go-live '03/02/2026' is not ISO 8601", "2026-03-02T00:00:00Z")


def test_go_live_in_the_future_is_refused(tmp_path: Path) -> None:
    result = _readiness(
        "report", "post-launch", "--config", "data/scenario/readiness.yaml",
        "--out", str(tmp_path / "out"), "--go-live", "2999-01-01",
    )  # fmt: skip
    _bad_input(result, "--go-live 2999-01-01T00:00:00+00:00 is in the future", "Fix:")


@pytest.mark.parametrize(
    ("yaml_text", "fragments"),
    [
        (
            "as_of: '04/03/2026'\n",
            ("as_of: '04/03/2026' is not ISO 8601", "Fix: write"),
        ),
        (
            "as_of: '2016-06-30'\n"
            "tickets:\n  - {name: sn, path: t.csv, timezone: Mars/Olympus}\n",
            ("tickets[0].timezone: 'Mars/Olympus' is not an IANA zone name", "Fix:"),
        ),
        (
            "as_of: '2016-06-30'\ncriteria:\n  availability: {lookback: 0d}\n",
            ("criteria.availability.lookback: '0d' is not a positive duration", "Fix:"),
        ),
        (
            "as_of: '2016-06-30'\n"
            "metrics:\n  - {name: up, format: prometheus,"
            " url: 'http://user:s3cr3t@127.0.0.1:1', query: up}\n",
            ("metrics[0].url: 'http://127.0.0.1:1'", "PROMETHEUS_USERNAME"),
        ),
        (
            "as_of: '2016-06-30'\ncriteria:\n  csat: {params: {min_responses: 1}}\n",
            (
                "criteria.csat.params: unknown key(s) ['min_responses'] for kind csat",
                "it accepts ['confidence']",
            ),
        ),
        (
            "as_of: '2016-06-30'\n"
            "post_launch:\n  criteria:\n    latency_p95: {params: {quantle: 0.9}}\n",
            (
                "post_launch.criteria.latency_p95.params: unknown key(s) ['quantle']",
                "did you mean 'quantile'?",
                "It accepts ['quantile', 'unit_scale']",
            ),
        ),
        # A param of the wrong type (a fresh-user test's files): refused at load,
        # not after a report ran for seconds and left a .failed run folder.
        (
            "as_of: '2016-06-30'\ncriteria:\n  latency_p95: {params: {quantile: '0.99'}}\n",
            (
                "criteria.latency_p95.params.quantile: must be a number, got '0.99'",
                "Fix: write the number without quotes, e.g. 0.99",
            ),
        ),
        (
            "as_of: '2016-06-30'\ncriteria:\n  latency_p95: {params: {quantile: true}}\n",
            (
                "criteria.latency_p95.params.quantile: must be a number, got True",
                "Fix: write a number here, not true/false",
            ),
        ),
        (
            "as_of: '2016-06-30'\ncriteria:\n  ls: {kind: latency_share, title: x,"
            " unit: '%', target: 95, params: {threshold_seconds: '0.3'}}\n",
            (
                "criteria.ls.params.threshold_seconds: must be a number, got '0.3'",
                "Fix: write the number without quotes, e.g. 0.3",
            ),
        ),
        (
            "as_of: '2016-06-30'\ncriteria:\n  ls: {kind: latency_share, title: x,"
            " unit: '%', target: 95, params: {threshold_seconds: true}}\n",
            (
                "criteria.ls.params.threshold_seconds: must be a number, got True",
                "Fix: write a number here, not true/false",
            ),
        ),
        (
            "as_of: '2016-06-30'\n"
            "criteria:\n  first_response: {params: {statistic: true}}\n",
            (
                "criteria.first_response.params.statistic: must be text, got True",
                "Fix: write text here, not true/false",
            ),
        ),
    ],
    ids=[
        "as_of",
        "timezone",
        "lookback",
        "url-credentials",
        "unknown-param",
        "unknown-success-param",
        "quoted-quantile",
        "true-quantile",
        "quoted-threshold",
        "true-threshold",
        "true-statistic",
    ],
)
def test_config_problems_exit_2_in_check_config_and_report(
    tmp_path: Path, yaml_text: str, fragments: tuple[str, ...]
) -> None:
    (tmp_path / "t.csv").write_text(HEADER)
    config = tmp_path / "c.yaml"
    config.write_text(yaml_text)

    checked = _readiness("check-config", "--config", str(config))
    reported = _readiness(
        "report", "go-no-go", "--config", str(config), "--out", str(tmp_path / "out")
    )

    for result in (checked, reported):
        _bad_input(result, str(config), *fragments)
        assert "s3cr3t" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["go-no-go", "post-launch"])
def test_timeout_must_be_at_least_one_second(tmp_path: Path, command: str) -> None:
    extra = ("--go-live", "2026-03-02T09:00:00Z") if command == "post-launch" else ()
    result = _readiness(
        "report", command, "--config", "data/scenario/readiness.yaml",
        "--out", str(tmp_path / "out"), "--timeout", "0", *extra,
    )  # fmt: skip
    _bad_input(result, "--timeout 0", "at least 1 second", "Fix:")


def test_version_is_a_plain_flag() -> None:
    help_text = _readiness("--help").stdout
    (line,) = [row for row in help_text.splitlines() if "--version" in row]
    assert "<bool>" not in line
    version = _readiness("--version")
    assert version.returncode == 0 and version.stdout.startswith("readiness ")


def test_help_says_iso_8601_and_utc() -> None:
    boxed = _readiness("report", "go-no-go", "--help").stdout
    text = " ".join(boxed.replace("│", " ").split())  # rich draws a box around it
    assert "ISO 8601 only" in text and "UTC" in text


@pytest.mark.parametrize(
    ("record", "fragments"),
    [
        (
            {"report": "go-no-go", "service": "IT service desk", "config": "demo.yaml"},
            (
                "is a go / no-go run of service 'IT service desk' (config demo.yaml)",
                "this review is of service 'Customer portal",
                "data/scenario/readiness.yaml",
                "Fix: pass the run.json of this service's go / no-go run",
            ),
        ),
        (
            {"report": "post-launch", "service": "Customer portal"},
            ("its 'report' is 'post-launch'", "Fix:"),
        ),
    ],
    ids=["other-service", "post-launch-run"],
)
def test_post_launch_refuses_a_baseline_of_another_service_or_report(
    tmp_path: Path, record: dict[str, str], fragments: tuple[str, ...]
) -> None:
    baseline = tmp_path / "run.json"
    baseline.write_text(json.dumps({"decision": "GO", "criteria": [], **record}))
    result = _readiness(
        "report", "post-launch", "--config", "data/scenario/readiness.yaml",
        "--out", str(tmp_path / "out"), "--go-live", "2026-03-02T09:00:00Z",
        "--baseline", str(baseline),
    )  # fmt: skip
    _bad_input(result, f"--baseline {baseline}", *fragments)
    assert not (tmp_path / "out").exists()


# --- damaged compressed files, empty dates, an unwritable --out, usage errors ---


def _gzip_config(tmp_path: Path, content: bytes) -> Path:
    (tmp_path / "up.csv.gz").write_bytes(content)
    config = tmp_path / "c.yaml"
    config.write_text(
        "as_of: '2016-06-29'\n"
        "metrics:\n  - {name: up, path: up.csv.gz, format: csv, metric: up}\n"
    )
    return config


_GZIP_CASES = [
    pytest.param(
        b"timestamp,value\n2016-06-28T00:00:00Z,1\n",
        "is named .gz but is not gzip-compressed",
        "remove .gz from its name",
        id="plain-csv-named-gz",
    ),
    pytest.param(
        gzip.compress(b"timestamp,value\n" + b"2016-06-28T00:00:00Z,1\n" * 500)[:40],
        "is a damaged gzip file, cut short",
        "export or copy it again",
        id="truncated-gzip",
    ),
]


@pytest.mark.parametrize(("content", "problem", "fix"), _GZIP_CASES)
def test_check_config_reads_compressed_files_to_the_end(
    tmp_path: Path, content: bytes, problem: str, fix: str
) -> None:
    config = _gzip_config(tmp_path, content)
    _bad_input(
        _readiness("check-config", "--config", str(config)), "up.csv.gz", problem, fix
    )


@pytest.mark.slow
@pytest.mark.parametrize(("content", "problem", "fix"), _GZIP_CASES)
def test_damaged_gzip_exits_2_naming_the_file(
    tmp_path: Path, content: bytes, problem: str, fix: str
) -> None:
    """It used to exit 3 with a bare BadGzipFile or EOFError and no file name."""
    config = _gzip_config(tmp_path, content)
    result = _readiness(
        "report", "go-no-go", "--config", str(config), "--out", str(tmp_path / "out")
    )
    _bad_input(result, "up.csv.gz", problem, fix)


@pytest.mark.parametrize(
    ("command", "option", "value", "fix"),
    [
        ("go-no-go", "--as-of", "", "2026-03-02 or leave the option out"),
        ("go-no-go", "--as-of", "  ", "2026-03-02 or leave the option out"),
        ("post-launch", "--go-live", "", "such as 2026-03-02"),
    ],
)
def test_empty_date_option_is_refused_not_defaulted(
    tmp_path: Path, command: str, option: str, value: str, fix: str
) -> None:
    """A cron line --as-of "$DECISION_DATE" with the variable unset must not judge as_of."""
    result = _readiness(
        "report", command, "--config", "data/scenario/readiness.yaml",
        "--out", str(tmp_path / "out"), option, value,
    )  # fmt: skip
    _bad_input(result, f"{option} is empty: give an ISO 8601 date", fix)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("inside", [False, True], ids=["out-is-a-file", "under-a-file"])
def test_out_that_is_a_file_says_so_and_exits_3(tmp_path: Path, inside: bool) -> None:
    blocker = tmp_path / "hostname"
    blocker.write_text("a file\n")
    out = blocker / "x" if inside else blocker
    result = _readiness(
        "report", "go-no-go", "--config", "data/demo/readiness.yaml", "--out", str(out)
    )
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1
    assert f"{blocker} is a file, not a folder" in result.stderr
    assert "Fix: give --out a folder you can write to" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["report", "post-launch", "--go-live", "2026-03-02", "--days", "0"], "--days"),
        (["report", "go-no-go", "--fail-on", "nogo"], "'nogo'"),
        (["report", "go-no-go", "--out", "x"], "Missing option '--config'"),
        (["reprot"], "No such command 'reprot'"),
    ],
    ids=["days-0", "fail-on-typo", "missing-config", "unknown-command"],
)
def test_usage_error_is_one_line_with_a_help_hint(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    config = ["--config", "data/scenario/readiness.yaml", "--out", str(tmp_path)]
    full = args if fragment.startswith(("Missing", "No such")) else [*args, *config]
    result = _readiness(*full)
    _bad_input(result, fragment, "--help')")
    assert "╭" not in result.stderr and "Usage:" not in result.stderr


def test_bare_command_still_prints_help() -> None:
    result = _readiness()
    assert result.returncode == 2
    assert "report" in result.stdout + result.stderr
    assert "error:" not in result.stderr


def test_unavailable_sources_are_warned_about_for_the_scheduler_log(
    tmp_path: Path,
) -> None:
    from analytics.cli import _source_warnings

    run_json = tmp_path / "run.json"
    run_json.write_text(
        json.dumps(
            {
                "data": [
                    {"source": "tickets", "kind": "tickets", "file": "t.csv"},
                    {
                        "source": "prom",
                        "kind": "unavailable",
                        "file": "HTTP 401 from http://prom:9090",
                    },
                ]
            }
        )
    )
    assert _source_warnings(run_json) == [
        "source 'prom' unavailable, its criteria are NO DATA: HTTP 401 from"
        " http://prom:9090"
    ]
    assert _source_warnings(tmp_path / "missing.json") == []


@pytest.mark.parametrize("option", ["--out", "--config"])
def test_a_blank_path_option_is_refused_not_read_as_the_current_folder(
    tmp_path: Path, option: str
) -> None:
    # Found by a fresh-user test: `--out "$REPORT_DIR"` with the variable unset
    # published into the current folder and exited 0.
    args = {"--config": "data/demo/readiness.yaml", "--out": str(tmp_path / "out")}
    args[option] = ""
    result = _readiness(
        "report", "go-no-go", *(part for pair in args.items() for part in pair),
        cwd=ROOT,
    )  # fmt: skip
    _bad_input(result, f"{option} is empty", "give a path")
    assert not list(ROOT.glob("go-no-go_asof-*"))


def test_debug_shows_the_traceback_and_keeps_the_exit_code(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("criteria:\n  availability: {target: 150}\n")
    result = _readiness(
        "report", "go-no-go", "--config", str(config),
        "--out", str(tmp_path / "out"), "--debug",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: ")


def test_a_missing_data_file_stops_the_report_before_any_run_folder(
    tmp_path: Path,
) -> None:
    # Found by a fresh-user test: a missing file check-config would have caught
    # was found only inside the notebook, leaving a .failed run in the index.
    (tmp_path / "folder.csv").mkdir()
    config = tmp_path / "c.yaml"
    config.write_text(
        "as_of: '2016-06-30'\n"
        "tickets:\n  - {name: sn, path: nope.csv}\nchecklist: {path: folder.csv}\n"
    )
    out = tmp_path / "out"
    result = _readiness(
        "report", "go-no-go", "--config", str(config), "--out", str(out)
    )
    _bad_input(
        result, "2 file(s) not found", "nope.csv", "folder.csv (a folder, not a file)"
    )
    assert not out.exists()
    result = _readiness("check-config", "--config", str(config))
    _bad_input(result, "folder.csv (a folder, not a file)")


def test_a_future_decision_time_stops_the_report_before_any_run_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = _readiness(
        "report", "go-no-go", "--config", "data/demo/readiness.yaml",
        "--out", str(out), "--as-of", "2999-01-01",
    )  # fmt: skip
    _bad_input(result, "is in the future")
    assert not out.exists()


def test_a_metric_csv_path_that_is_a_folder_is_refused_up_front(tmp_path: Path) -> None:
    (tmp_path / "tdir.csv").mkdir()
    config = tmp_path / "c.yaml"
    config.write_text(
        "as_of: '2016-06-30'\nmetrics:\n  - {name: m, path: tdir.csv, format: csv}\n"
    )
    result = _readiness("check-config", "--config", str(config))
    _bad_input(result, "metrics 'm'", "tdir.csv (a folder, not a file)")


def test_an_interim_review_says_so_on_the_decision_line(tmp_path: Path) -> None:
    from analytics.cli import _decision_line

    run_json = tmp_path / "run.json"
    run_json.write_text(
        json.dumps(
            {
                "report": "post-launch",
                "decision": "FAIL",
                "review_end": "2026-12-25T00:00:00+00:00",
                "interim": True,
            }
        )
    )
    assert _decision_line("FAIL", run_json) == (
        "decision: FAIL (interim: the review window ends 2026-12-25 00:00 UTC)"
    )
    run_json.write_text(json.dumps({"interim": True, "review_end": "soon"}))
    assert _decision_line("PASS", run_json) == (
        "decision: PASS (interim: the review window is not over)"
    )
    # A finished review, a go/no-go run (no "interim") or no run.json: as before.
    run_json.write_text(json.dumps({"interim": False, "review_end": "2026-03-15"}))
    assert _decision_line("PASS", run_json) == "decision: PASS"
    run_json.write_text(json.dumps({"report": "go-no-go", "decision": "GO"}))
    assert _decision_line("GO", run_json) == "decision: GO"
    assert _decision_line("NO-GO", tmp_path / "missing.json") == "decision: NO-GO"


def test_the_post_launch_command_prints_the_interim_decision_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command as a scheduler runs it; rendering is replaced by a run folder
    # holding the run.json an interim review writes.
    from typer.testing import CliRunner

    from analytics import cli
    from analytics.report import render

    run_dir = tmp_path / "out" / "post-launch_run"
    run_dir.mkdir(parents=True)
    run_json = run_dir / "run.json"
    run_json.write_text(
        json.dumps(
            {
                "report": "post-launch",
                "decision": "PASS",
                "review_end": "2026-12-25T00:00:00+00:00",
                "interim": True,
                "generated_at": "2026-12-04T23:00:00+00:00",
            }
        )
    )

    def fake_render(*_args: object, **_kwargs: object) -> render.RunOutcome:
        return render.RunOutcome(
            run_dir=run_dir,
            html_path=run_dir / "report.html",
            run_json_path=run_json,
            decision="PASS",
            seconds=0.0,
        )

    monkeypatch.setattr(render, "render_report", fake_render)
    (tmp_path / "readiness.yaml").write_text("report: {service: Shop}\n", "utf-8")
    go_live = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT00:00:00Z")
    result = CliRunner().invoke(
        cli.app,
        [
            "report", "post-launch", "--config", str(tmp_path / "readiness.yaml"),
            "--go-live", go_live, "--days", "28", "--out", str(tmp_path / "out"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "decision: PASS (interim: the review window ends 2026-12-25 00:00 UTC)"
        in result.stdout
    )
