"""Scheduled runs: concurrent runs, a killed run, kernel faults, the index page.

Most tests start the ``readiness`` command as a scheduler would (a
subprocess) and inspect the output folder afterwards. Small stand-in
notebooks (written per test) make the faults deterministic; the concurrency
test renders the real go/no-go notebook.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analytics.cli import FailOn, _fails_on
from analytics.errors import RenderError
from analytics.report import render
from analytics.report.index import scan_runs, write_index
from analytics.report.render import render_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
GO_NO_GO_PARAMETERS = ("config", "as_of", "run_dir", "run_token")
POST_LAUNCH_PARAMETERS = (
    "config",
    "go_live",
    "review_days",
    "baseline_run",
    "run_dir",
    "run_token",
)
# Writes run.json like a real report does, then prints the completion marker.
FINISH_CELL = """
import json, pathlib
from datetime import UTC, datetime
from IPython.display import HTML, display
params = {k: v for k, v in globals().items() if k in PARAMETER_NAMES}
record = {"report": KIND, "decision": DECISION, "as_of": AS_OF,
          "generated_at": datetime.now(UTC).isoformat(), "parameters": params}
pathlib.Path(run_dir, "run.json").write_text(json.dumps(record))
display(HTML('<div data-marker="analytics-report-complete" data-run-token="'
             + run_token + '">End of report.</div>'))
"""


# --------------------------------------------------------------------- helpers


def _readiness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def _notebook(path: Path, names: tuple[str, ...], *cells: str) -> Path:
    """A notebook with a papermill parameters cell for ``names``, then ``cells``."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = new_code_cell("\n".join(f"{name} = ''" for name in names))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(new_code_cell(source) for source in cells)]
    nbformat.write(nb, path)
    return path


def _finishing_notebook(
    path: Path,
    *,
    kind: str = "go-no-go",
    decision: str = "GO",
    as_of: str = "2016-06-30T00:00:00+00:00",
    names: tuple[str, ...] = GO_NO_GO_PARAMETERS,
) -> Path:
    setup = (
        f"KIND = {kind!r}; DECISION = {decision!r}; AS_OF = {as_of!r};"
        f" PARAMETER_NAMES = {names!r}"
    )
    return _notebook(path, names, setup, FINISH_CELL)


def _config(tmp_path: Path) -> Path:
    """A small valid config: one ServiceNow file of two tickets (renders fast)."""
    (tmp_path / "tickets.csv").write_text(
        "number,incident_state,priority,opened_at,resolved_at,closed_at,assignment_group\n"
        "INC1,Closed,1 - Critical,1/6/2016 10:00,1/6/2016 11:00,2/6/2016 10:00,G1\n"
        "INC2,Closed,3 - Moderate,3/6/2016 10:00,3/6/2016 18:00,4/6/2016 10:00,G2\n"
    )
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "as_of: '2016-06-30'\n"
        "tickets:\n"
        "  - {name: sn, path: tickets.csv, format: servicenow_csv, date_order: dayfirst}\n"
    )
    return config


def _published_html(out: Path) -> list[Path]:
    """Every report.html that is not inside an ``.incomplete-*`` or ``*.failed`` folder."""
    return [
        path
        for path in out.rglob("report.html")
        if not any(
            part.startswith(".incomplete-") or part.endswith(".failed")
            for part in path.relative_to(out).parts
        )
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _good_run(out: Path, tmp_path: Path) -> Path:
    """Publish one good run (and the index, as the command does); return its folder."""
    outcome = render_report(
        _finishing_notebook(tmp_path / "good.ipynb"),
        kind="go-no-go",
        parameters={"config": "", "as_of": ""},
        out_root=out,
        as_of_label=pd.Timestamp("2016-06-30", tz="UTC"),
    )
    write_index(out)
    return outcome.run_dir


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


# ------------------------------------------------------------ concurrent runs


def test_two_concurrent_runs_publish_distinct_folders_and_both_are_indexed(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    out = tmp_path / "reports"
    command = [
        sys.executable, "-m", "analytics.cli", "report", "go-no-go",
        "--config", str(config), "--out", str(out),
    ]  # fmt: skip
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=300) for run in runs]

    for run, (stdout, stderr) in zip(runs, results, strict=True):
        assert run.returncode == 0, stderr
        assert "decision: NO-GO" in stdout
    published = _published_html(out)
    assert len({html.parent for html in published}) == 2
    assert not list(out.glob(".incomplete-*"))
    assert not list(out.glob(".index.html-*"))  # no temporary index left behind
    index = (out / "index.html").read_text("utf-8")
    for html in published:
        assert f'href="{html.parent.name}/report.html"' in index
        record = json.loads((html.parent / "run.json").read_text("utf-8"))
        assert record["outputs"]["notebook"] == "private/report.ipynb"
        assert (html.parent / "private" / "report.ipynb").is_file()


def test_index_writers_racing_each_other_lose_no_run(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    barrier = threading.Barrier(8)

    def finish_run(number: int) -> None:
        folder = out / f"go-no-go_asof-20240101_run{number}"
        folder.mkdir()
        (folder / "report.html").write_text("<p>report</p>")
        (folder / "run.json").write_text(json.dumps({"decision": "GO"}))
        barrier.wait()
        write_index(out)

    threads = [threading.Thread(target=finish_run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    index = (out / "index.html").read_text("utf-8")
    assert all(f"run{n}/report.html" in index for n in range(8))
    # The lock file is removed by its last holder: only the page is left.
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["index.html"]


# ----------------------------------------------------------------- killed run


def test_killed_run_publishes_nothing_and_keeps_the_good_run(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    good = _good_run(out, tmp_path)
    before = {p: _digest(p) for p in (good / "report.html", out / "index.html")}
    slow = _notebook(
        tmp_path / "slow.ipynb", GO_NO_GO_PARAMETERS, "import time; time.sleep(120)"
    )

    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "analytics.cli",
            "report",
            "go-no-go",
            "--config",
            str(_config(tmp_path)),
            "--out",
            str(out),
            "--notebook",
            str(slow),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Mid-way: the working folder exists and papermill has started the notebook.
        assert _wait_for(lambda: bool(list(out.glob(".incomplete-*"))), 60)
        assert _wait_for(
            lambda: bool(list(out.glob(".incomplete-*/private/report.ipynb"))), 60
        )
        kernels = _children(run.pid)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)

    # The orphaned kernel notices that its parent is gone and exits by itself.
    for pid in kernels:
        if not _wait_for(lambda pid=pid: not _alive(pid), 15):  # type: ignore[misc]
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"kernel {pid} outlived the killed run")
    assert run.returncode == -signal.SIGKILL
    assert _published_html(out) == [good / "report.html"]
    assert {p: _digest(p) for p in before} == before
    assert len(list(out.glob(".incomplete-*"))) == 1
    published, failed = scan_runs(out)
    assert [run.folder for run in published] == [good.name]
    assert failed == []
    index = (out / "index.html").read_text("utf-8")
    assert index.rstrip().endswith("</html>") and f"{good.name}/report.html" in index


# ------------------------------------------------------------ kernel faults


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "kernel died"),
        ("import time; time.sleep(30)", "ran longer than the 2 s timeout"),
        ("raise SystemExit(0)", "SystemExit"),
    ],
    ids=["kernel-dies", "cell-times-out", "cell-exits"],
)
def test_kernel_fault_exits_3_and_publishes_nothing(
    tmp_path: Path, cell: str, expected: str
) -> None:
    out = tmp_path / "reports"
    good = out / "go-no-go_asof-20160601_20160601T000000Z_000000"
    good.mkdir(parents=True)
    (good / "report.html").write_text("<p>the previous good report</p>")
    (good / "run.json").write_text(json.dumps({"report": "go-no-go", "decision": "GO"}))
    before = _digest(good / "report.html")
    notebook = _notebook(tmp_path / "fault.ipynb", GO_NO_GO_PARAMETERS, cell)

    result = _readiness(
        "report", "go-no-go", "--config", str(_config(tmp_path)), "--out", str(out),
        "--notebook", str(notebook), "--timeout", "2",
    )  # fmt: skip

    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert _published_html(out) == [good / "report.html"]
    assert _digest(good / "report.html") == before
    (failed,) = out.glob("*.failed")
    assert not (failed / "report.html").exists()
    assert (failed / "private" / "report.ipynb").is_file()
    reason = json.loads((failed / "failure.json").read_text("utf-8"))["reason"]
    assert expected in reason
    # The working folder is gone by then: messages name the .failed one.
    assert ".incomplete-" not in reason + result.stderr
    index = (out / "index.html").read_text("utf-8")
    assert f"{good.name}/report.html" in index and failed.name in index
    assert expected in index


# ------------------------------------------------------- unwritable output


def test_output_under_a_regular_file_exits_3(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = _readiness(
        "report", "go-no-go", "--config", str(_config(tmp_path)),
        "--out", str(blocker / "reports"),
    )  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "cannot create the run folder" in result.stderr
    # Plain words, not the system's "Not a directory", and the fix.
    assert f"{blocker} is a file, not a folder" in result.stderr
    assert "Fix: give --out a folder you can write to" in result.stderr


def test_permission_denied_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root ignores chmod 500, so the refusal is simulated where the run folder is made.
    real_mkdir = Path.mkdir

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        if self.name.startswith(".incomplete-"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(
        RenderError, match=r"cannot create the run folder .*no permission to write in"
    ):
        render_report(
            tmp_path / "unused.ipynb",
            kind="go-no-go",
            parameters={},
            out_root=tmp_path / "reports",
            as_of_label=pd.Timestamp("2016-06-30", tz="UTC"),
        )
    assert list((tmp_path / "reports").iterdir()) == []


def test_disk_full_while_writing_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(render, "export_html", full)
    out = tmp_path / "reports"
    with pytest.raises(RenderError, match="no space left on device"):
        render_report(
            _finishing_notebook(tmp_path / "nb.ipynb"),
            kind="go-no-go",
            parameters={"config": "", "as_of": ""},
            out_root=out,
            as_of_label=pd.Timestamp("2016-06-30", tz="UTC"),
        )
    assert _published_html(out) == []
    assert not list(out.glob(".incomplete-*"))
    (failed,) = out.glob("*.failed")
    assert "no space left" in (failed / "failure.json").read_text("utf-8")


# ------------------------------------------------------------- post-launch


def test_post_launch_command(tmp_path: Path) -> None:
    decision, code = "FAIL", 4  # --fail-on no-go reads the post-launch decision
    out = tmp_path / "reports"
    baseline = tmp_path / "baseline.json"
    # A go/no-go run of the same service (the config's default name) before go-live.
    baseline.write_text(
        json.dumps(
            {
                "report": "go-no-go",
                "service": "service",
                "decision": "GO",
                "as_of": "2024-05-05T08:00:00+00:00",
                "criteria": [],
            }
        )
    )
    notebook = _finishing_notebook(
        tmp_path / "post.ipynb",
        kind="post-launch",
        decision=decision,
        as_of="2024-06-03T08:00:00+00:00",
        names=POST_LAUNCH_PARAMETERS,
    )

    result = _readiness(
        "report", "post-launch", "--config", str(_config(tmp_path)),
        "--go-live", "2024-05-06T08:00:00Z", "--days", "28",
        "--baseline", str(baseline), "--out", str(out),
        "--notebook", str(notebook), "--fail-on", "no-go",
    )  # fmt: skip

    assert result.returncode == code, result.stderr
    assert f"decision: {decision}" in result.stdout
    (html,) = _published_html(out)
    assert html.parent.name.startswith("post-launch_asof-20240603_")
    params = json.loads((html.parent / "run.json").read_text("utf-8"))["parameters"]
    assert params["go_live"].startswith("2024-05-06T08:00:00")
    assert params["review_days"] == 28
    assert params["baseline_run"] == str(baseline.resolve())
    assert params["config"] == str((tmp_path / "readiness.yaml").resolve())
    assert "post-launch" in (out / "index.html").read_text("utf-8")


def test_post_launch_bad_baseline_exits_2(tmp_path: Path) -> None:
    result = _readiness(
        "report", "post-launch", "--config", str(_config(tmp_path)),
        "--go-live", "2024-05-06", "--baseline", str(tmp_path / "missing.json"),
        "--out", str(tmp_path / "reports"),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("error: --baseline") and "Fix:" in result.stderr
    assert result.stderr.count("\n") == 1


def test_fail_on_reads_both_vocabularies_and_fails_unknown_decisions() -> None:
    assert _fails_on("NO-GO", FailOn.no_go)
    assert not _fails_on("GO WITH CONDITIONS", FailOn.no_go)
    assert _fails_on("GO WITH CONDITIONS", FailOn.conditions)
    assert _fails_on("MAYBE", FailOn.no_go)
    assert _fails_on("FAIL", FailOn.no_go) and not _fails_on("PASS", FailOn.conditions)
    assert not _fails_on("NO-GO", FailOn.never)


# ------------------------------------------------------------------ index page


def _run_folder(out: Path, name: str, record: dict[str, object]) -> Path:
    folder = out / name
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<p>report</p>")
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def test_index_escapes_hostile_strings(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    _run_folder(
        out,
        'go-no-go_x"><svg onload=alert(1)>',  # a folder name cannot hold "/"
        {
            "report": "<img src=x onerror=alert(2)>",
            "title": '<script>alert("title")</script>',
            "decision": "<b onmouseover=alert(3)>GO</b>",
            "as_of": "javascript:alert(4)",
            "generated_at": "2024-01-01T00:00:00+00:00",
        },
    )
    failed = out / "go-no-go_y.failed"
    failed.mkdir()
    (failed / "failure.json").write_text(
        json.dumps({"reason": "<iframe src=javascript:alert(5)>", "report": "<u>k</u>"})
    )

    page = write_index(out).read_text("utf-8")

    for raw in ("<script", "<img", "<svg", "<b ", "<iframe", "<u>", "alert(2)>"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;b onmouseover=alert(3)&gt;GO&lt;/b&gt;" in page
    assert "&lt;iframe src=javascript:alert(5)&gt;" in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert (
        hrefs == ["go-no-go_x%22%3E%3Csvg%20onload%3Dalert%281%29%3E/report.html"] * 2
    )  # latest-per-report table and the full list


def test_index_lists_published_runs_newest_first_and_failed_apart(
    tmp_path: Path,
) -> None:
    out = tmp_path / "reports"
    for name, generated in [("old", "2024-01-01"), ("new", "2024-03-01")]:
        _run_folder(
            out,
            f"go-no-go_asof-{name}",
            {"decision": "GO", "generated_at": f"{generated}T00:00:00+00:00"},
        )
    _run_folder(out, ".incomplete-go-no-go_asof-busy", {"decision": "GO"})
    (out / "go-no-go_asof-nohtml").mkdir()
    (out / "go-no-go_asof-nohtml" / "run.json").write_text("{}")
    broken = _run_folder(out, "go-no-go_asof-broken", {})
    (broken / "run.json").write_text("{not json")
    (out / "go-no-go_asof-crashed.failed").mkdir()

    published, failed = scan_runs(out)
    page = write_index(out).read_text("utf-8")

    assert [run.folder for run in published] == [
        "go-no-go_asof-new",
        "go-no-go_asof-old",
    ]
    assert page.index("asof-new/report.html") < page.index("asof-old/report.html")
    assert "busy" not in page and "nohtml" not in page
    assert {run.folder: run.reason for run in failed} == {
        "go-no-go_asof-broken": "run.json cannot be read; the report is not listed",
        "go-no-go_asof-crashed.failed": "no reason recorded",
    }
    assert "<script" not in page and "http" not in page  # self-contained
    assert (out / "index.html").stat().st_mode & 0o777 == 0o644
