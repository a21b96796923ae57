"""The run index page: one latest row per report and config, killed runs, the lock."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.report import index
from analytics.report.index import scan_runs, stale_incomplete_runs, write_index


def _config(path: Path, title: str) -> tuple[str, str]:
    """Write a config with ``report.title``; return its path and SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"report:\n  title: {title}\n", "utf-8")
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def _run(out: Path, name: str, **record: object) -> Path:
    folder = out / name
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<p>report</p>")
    (folder / "run.json").write_text(json.dumps({"report": "go-no-go", **record}))
    return folder


def _latest_section(page: str) -> str:
    start = page.index("<h2>Latest decision per report</h2>")
    return page[start : page.index("<h2>All published runs", start)]


def test_latest_decision_is_kept_per_report_and_config(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    demo, demo_sha = _config(tmp_path / "demo" / "readiness.yaml", "Real-data go/no-go")
    scenario, scenario_sha = _config(
        tmp_path / "scenario" / "readiness.yaml", "Scenario go/no-go"
    )
    # make demo: the real-data run first, then the scenario's go/no-go.
    _run(
        out, "go-no-go_asof-20160630_a", decision="NO-GO", config=demo,
        config_sha256=demo_sha, generated_at="2026-01-01T10:00:00+00:00",
    )  # fmt: skip
    _run(
        out, "go-no-go_asof-20260302_b", decision="GO", config=scenario,
        config_sha256=scenario_sha, generated_at="2026-01-01T10:05:00+00:00",
    )  # fmt: skip
    _run(
        out, "go-no-go_asof-20260302_old", decision="NO-GO", config=scenario,
        config_sha256=scenario_sha, generated_at="2025-12-01T10:05:00+00:00",
    )  # fmt: skip

    latest = _latest_section(write_index(out).read_text("utf-8"))

    assert latest.count("<tr>") == 3  # header + one row per config
    assert "go-no-go_asof-20160630_a/report.html" in latest
    assert "go-no-go_asof-20260302_b/report.html" in latest
    assert "_old/report.html" not in latest
    assert "Real-data go/no-go" in latest and "Scenario go/no-go" in latest
    assert "demo/readiness.yaml" in latest and "scenario/readiness.yaml" in latest


def test_title_comes_from_run_json_or_the_unchanged_config(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    config, sha = _config(tmp_path / "c" / "readiness.yaml", "From the config")
    _run(out, "go-no-go_a", title="From run.json", config=config, config_sha256=sha)
    _run(out, "go-no-go_b", config=config, config_sha256=sha)
    _run(out, "go-no-go_c", config=config, config_sha256="0" * 64)  # edited since
    _run(out, "go-no-go_d", parameters={"config": str(tmp_path / "gone.yaml")})
    post = tmp_path / "p" / "readiness.yaml"
    post.parent.mkdir()
    post.write_text("report: {title: Go/no-go title, service: Portal}\n", "utf-8")
    post_sha = hashlib.sha256(post.read_bytes()).hexdigest()
    review = _run(out, "post-launch_e", config=str(post), config_sha256=post_sha)
    record = json.loads((review / "run.json").read_text())
    (review / "run.json").write_text(json.dumps({**record, "report": "post-launch"}))

    titles = {run.folder: run.title for run in scan_runs(out)[0]}

    assert titles == {
        "go-no-go_a": "From run.json",
        "go-no-go_b": "From the config",
        "go-no-go_c": "Go / no-go readiness",
        "go-no-go_d": "Go / no-go readiness",
        "post-launch_e": "Post-launch review — Portal",  # as the review titles itself
    }
    assert {run.config for run in scan_runs(out)[0]} == {
        config,
        str(post),
        str(tmp_path / "gone.yaml"),
    }


def _age(folder: Path, hours: float) -> None:
    stamp = (datetime.now(UTC) - timedelta(hours=hours)).timestamp()
    for parent, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            os.utime(Path(parent, name), (stamp, stamp))
    os.utime(folder, (stamp, stamp))


def test_killed_runs_older_than_an_hour_are_named_in_a_note(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    killed = out / ".incomplete-go-no-go_asof-20240503_killed"
    (killed / "private").mkdir(parents=True)
    (killed / "private" / "report.ipynb").write_text("{}")
    _age(killed, hours=3)
    running = out / ".incomplete-go-no-go_asof-20240503_running"
    (running / "private").mkdir(parents=True)
    (running / "private" / "report.ipynb").write_text("{}")
    _age(running, hours=3)
    (running / "private" / "report.ipynb").write_text('{"cells": []}')  # just now

    page = write_index(out).read_text("utf-8")

    assert stale_incomplete_runs(out) == [killed.name]
    assert "1 unfinished run folder(s)" in page and killed.name in page
    assert running.name not in page
    assert scan_runs(out) == ([], [])  # never listed as runs


def test_no_note_without_killed_runs(tmp_path: Path) -> None:
    page = write_index(tmp_path).read_text("utf-8")
    assert "unfinished run folder" not in page


def test_index_leaves_no_lock_file(tmp_path: Path) -> None:
    write_index(tmp_path)
    write_index(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]


def test_lock_stays_exclusive_while_its_file_is_removed(tmp_path: Path) -> None:
    lock = tmp_path / index.LOCK_NAME
    holders: list[int] = []
    most = [0]
    guard = threading.Lock()

    def hold(number: int) -> None:
        for _ in range(15):
            with index._locked(lock):
                with guard:
                    holders.append(number)
                    most[0] = max(most[0], len(holders))
                time.sleep(0.001)
                with guard:
                    holders.remove(number)

    threads = [threading.Thread(target=hold, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most[0] == 1
    assert not lock.exists()


def test_a_later_failed_run_of_the_same_report_is_flagged_on_its_latest_row(
    tmp_path: Path,
) -> None:
    # Found by a fresh-user test: after a run failed, "Latest decision" still
    # showed the older GO with nothing saying a newer run had failed.
    out = tmp_path / "reports"
    demo, demo_sha = _config(tmp_path / "demo" / "readiness.yaml", "Demo")
    other, other_sha = _config(tmp_path / "other" / "readiness.yaml", "Other")
    for name, config, sha in (("a", demo, demo_sha), ("b", other, other_sha)):
        _run(
            out, f"go-no-go_asof-20260302_{name}", decision="GO", config=config,
            config_sha256=sha, generated_at="2026-03-02T10:00:00+00:00",
        )  # fmt: skip
    failed = out / "go-no-go_asof-20260303_c.failed"
    failed.mkdir()
    (failed / "failure.json").write_text(
        json.dumps(
            {
                "report": "go-no-go", "config": demo, "as_of": "2026-03-03T00:00:00+00:00",
                "failed_at": "2026-03-03T10:00:00+00:00", "reason": "bad input",
            }
        )
    )  # fmt: skip

    latest = _latest_section(write_index(out).read_text("utf-8"))
    rows = latest.split("<tr>")[2:]
    flagged = [row for row in rows if "A later run failed" in row]
    assert len(flagged) == 1 and "demo/readiness.yaml" in flagged[0]
    page = (out / "index.html").read_text("utf-8")
    failed_section = page[page.index("<h2>Failed runs</h2>") :]
    assert "demo/readiness.yaml" in failed_section


def test_an_interim_review_is_marked_beside_its_decision(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    post = {"report": "post-launch", "config": str(tmp_path / "p.yaml")}
    _run(
        out, "post-launch_interim", **post, decision="FAIL", interim=True,
        review_end="2026-12-25T00:00:00+00:00",
        generated_at="2026-12-04T23:00:00+00:00",
    )  # fmt: skip
    # A finished review, and one written before run.json had "interim".
    _run(
        out, "post-launch_done", **post, decision="PASS", interim=False,
        generated_at="2026-12-03T23:00:00+00:00",
    )  # fmt: skip
    _run(
        out, "post-launch_old", **post, decision="PASS",
        generated_at="2026-12-02T23:00:00+00:00",
    )  # fmt: skip

    runs, _ = scan_runs(out)
    assert [(r.folder, r.interim) for r in runs] == [
        ("post-launch_interim", True),
        ("post-launch_done", False),
        ("post-launch_old", False),
    ]
    page = write_index(out).read_text("utf-8")
    latest = _latest_section(page)
    assert ">FAIL</span> <span" in latest and ">interim</span>" in latest
    assert "the review window ends 2026-12-25 00:00 UTC" in latest
    published = page[page.index("<h2>All published runs") :]
    rows = published.split("<tr>")[2:]  # header, then newest first
    assert len(rows) == 3
    assert ">interim</span>" in rows[0]
    assert all("interim" not in row for row in rows[1:])
