"""The go / no-go report read live from a real Prometheus, end to end.

The fixture server (``tests/prom/conftest.py``) holds 32 days of request
counters at 60 s ending at ``fixture_data.end``; the 30-day window before it
contains a counter reset, a 3-hour scrape gap, 6 hours without traffic and a
3-hour incident (20 % errors) on day 25 (2024-04-26).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from analytics.readiness import Status
from analytics.report.go_no_go import GoNoGoReport, build_go_no_go
from analytics.report.render import default_notebook, render_report
from analytics.report.slo_section import (
    budget_burndown,
    burn_rate_alerts,
    slo_summary,
)

GOOD = 'app_good_requests_total{job="api"}'
TOTAL = 'app_requests_total{job="api"}'
WINDOW = pd.Timedelta(days=30)
TITLE = "Availability <api> & co"  # must come out escaped
CANARY_PREFIX = "canary-secret-"

# The offline engine reads the same raw samples Prometheus holds, so it must
# agree with the exact fixture counts to rounding, and with Prometheus's own
# increase() (no extrapolation: samples sit on both window edges) to 1e-9.
EXACT_TOLERANCE = 1e-9  # percentage points
PROMQL_TOLERANCE = 1e-6  # percentage points


def _write_config(folder: Path, url: str) -> Path:
    text = f"""\
report:
  title: Live SLO check
  service: api
metrics:
  - name: good_requests
    format: prometheus
    url: {url}
    query: '{GOOD}'
    step: 60s
    lookback: 30d
  - name: all_requests
    format: prometheus
    url: {url}
    query: '{TOTAL}'
    step: 60s
    lookback: 30d
criteria:
  availability:
    title: "{TITLE}"
    good_source: good_requests
    total_source: all_requests
  availability_loose:
    kind: availability
    title: Availability at a 90 % target
    unit: "%"
    target: 90
    lookback: 30d
    blocking: false
    good_source: good_requests
    total_source: all_requests
"""
    path = folder / "readiness.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _truth(data) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Good, total and SLI (ratio) over (end - 30 d, end] from the fixture's counts."""
    last = int(data.minutes[-1])
    first = last - int(WINDOW.total_seconds() // 60)
    good = float(data.good_increase[first + 1 : last + 1].sum())
    total = float(data.total_increase[first + 1 : last + 1].sum())
    return good, total, good / total


def _promql_sli(url: str, at: pd.Timestamp) -> float:
    def value(query: str) -> float:
        answer = requests.get(
            f"{url}/api/v1/query",
            params={"query": query, "time": at.timestamp()},
            timeout=30,
        ).json()
        return float(answer["data"]["result"][0]["value"][1])

    good = value(f"sum(increase({GOOD}[30d]))")
    total = value(f"sum(increase({TOTAL}[30d]))")
    return good / total


@pytest.fixture(scope="module")
def live(prometheus, tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("live-config")
    config = _write_config(folder, prometheus.url)
    report = build_go_no_go(config, as_of=prometheus.data.end.isoformat())
    return report, config


def _result(report: GoNoGoReport, crit_id: str):  # type: ignore[no-untyped-def]
    return next(r for r in report.results if r.criterion.criterion_id == crit_id)


# --- (a) numbers ------------------------------------------------------------------


def test_availability_equals_offline_and_promql_truth(live, prometheus) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    good, total, sli = _truth(prometheus.data)
    result = _result(report, "availability")

    assert result.value is not None
    assert abs(result.value - sli * 100) < EXACT_TOLERANCE
    promql = _promql_sli(prometheus.url, prometheus.data.end)
    assert abs(result.value - promql * 100) < PROMQL_TOLERANCE
    assert result.evidence_count == int(total)
    # 99.77 %: below the 99.9 % target, above the 99.5 % alert threshold.
    assert 99.5 < result.value < 99.9
    assert result.status is Status.WARN
    assert _result(report, "availability_loose").status is Status.PASS
    assert not report.evidence.unavailable
    assert good < total


def test_slo_summary_shows_the_numbers(live, prometheus) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    good, total, sli = _truth(prometheus.data)
    burn = (1 - sli) / 0.001
    html = str(slo_summary(report))

    assert f"{sli * 100:.4f} %" in html  # SLI, observed and judged
    assert "0.100 %" in html  # error budget ratio
    assert "43.2 min" in html  # 0.1 % of 30 days
    assert f"{burn * 100:.1f} %" in html  # consumed
    assert f"{(1 - burn) * 100:.1f} %" in html  # remaining (negative: overspent)
    assert f"{(1 - burn) * 43.2:,.1f} min" in html
    assert f"{burn:.2f}×" in html
    assert f"{total:,.0f}" in html and f"{good:,.0f}" in html
    assert "occurrences (counter increase)" in html
    # Label and query text are escaped, never raw markup.
    assert "Availability &lt;api&gt; &amp; co" in html
    assert TITLE not in html
    assert "app_good_requests_total{job=&quot;api&quot;}" in html


def test_budget_burndown_ends_at_the_remaining_budget(live, prometheus) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    _, _, sli = _truth(prometheus.data)
    remaining = 1 - (1 - sli) / 0.001
    html = str(budget_burndown(report))

    assert html.count('class="plotly-graph-div"') == 2  # one per criterion
    assert f"{remaining * 100:.1f} % at the end" in html
    assert "43.2 min over 30d" in html


def test_burn_rate_alerts_fire_on_the_incident(live) -> None:  # type: ignore[no-untyped-def]
    report, _ = live
    html = str(burn_rate_alerts(report))
    strict, loose = html.split("Availability at a 90 % target")

    # The policy scaled to 30 days: the SRE-workbook thresholds at 99.9 %.
    for threshold in ("1.440 %", "0.600 %", "0.300 %", "0.100 %"):
        assert threshold in strict
    # The 3-hour incident at 20 % errors starts 2024-04-26 00:00 UTC: the
    # 1h/5m page fires within minutes and clears after it.
    rows = [r for r in strict.split("<tr>") if "<td>1h/5m</td>" in r]
    fired = [r for r in rows if "2024-04-26 00:0" in r]
    assert fired, rows
    assert "can never fire" not in strict
    # At 90 % the 1h/5m factor 14.4 exceeds the largest burn rate 10.
    assert "the 1h/5m alert (factor 14.4) can never fire" in loose
    assert html.count('class="plotly-graph-div"') == 2


# --- (b) the rendered report, and no secret in any output ------------------------


@pytest.mark.slow
def test_rendered_report_has_slo_numbers_and_no_secret(  # type: ignore[no-untyped-def]
    live, prometheus, tmp_path, monkeypatch
) -> None:
    _, config = live
    canary = CANARY_PREFIX + np.random.default_rng().bytes(8).hex()
    # The fixture server ignores auth; the kernel inherits the variable and the
    # source sends it as a bearer token. It must never be written anywhere.
    monkeypatch.setenv("PROMETHEUS_BEARER_TOKEN", canary)
    end = prometheus.data.end
    _, _, sli = _truth(prometheus.data)

    outcome = render_report(
        default_notebook("go_no_go"),
        kind="go-no-go",
        parameters={"config": str(config), "as_of": end.isoformat()},
        out_root=tmp_path / "reports",
        as_of_label=end,
        timeout_seconds=300,
    )

    html = outcome.html_path.read_text("utf-8")
    assert outcome.decision == "NO-GO"  # other launch-plan criteria have no evidence
    assert f"{sli * 100:.3f} %" in html  # criteria table, measured value
    assert f"{sli:.4%}" in html  # criteria detail
    assert "of 43.2 min" in html
    assert f"{sli * 100:.4f} %" in html and "Budget remaining" in html
    assert "<td>1h/5m</td>" in html

    written = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    names = {p.relative_to(outcome.run_dir).as_posix() for p in written}
    assert {
        "report.html",
        "run.json",
        "private/report.ipynb",
        "private/kernel.log",
    } <= names
    for path in written:
        assert canary.encode() not in path.read_bytes(), path


# --- (c) a server that is not there ------------------------------------------------


def test_closed_port_is_no_data_and_no_go(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{_closed_port()}"
    config = _write_config(tmp_path, url)
    canary = "canary-" + "f00d" * 8
    monkeypatch.setenv("PROMETHEUS_BEARER_TOKEN", canary)

    report = build_go_no_go(config, as_of="2024-05-03T00:00:00Z")
    # The failed query is reported everywhere; the credential it carried is not.
    everything = json.dumps(report.run_record(), default=str) + "".join(
        str(getattr(report, name)())
        for name in (
            "decision_summary",
            "criteria_table",
            "data_inventory",
            "run_metadata",
        )
    )
    assert canary not in everything

    result = _result(report, "availability")
    assert result.status is Status.NO_DATA
    assert "good_requests" in result.detail and "all_requests" in result.detail
    assert url in result.detail
    assert str(report.decision) == "NO-GO"
    assert set(report.evidence.unavailable) == {"good_requests", "all_requests"}
    for section in (slo_summary, budget_burndown, burn_rate_alerts):
        html = str(section(report))
        assert "source unavailable during this run" in html
        assert "good_requests" in html
        assert "plotly-graph-div" not in html


def test_a_login_page_is_no_data_and_no_go(tmp_path, fake_server) -> None:  # type: ignore[no-untyped-def]
    """A proxy answering 200 with HTML makes the sources unavailable, never a crash."""
    server = fake_server("html")
    config = _write_config(tmp_path, server.url)

    report = build_go_no_go(config, as_of="2024-05-03T00:00:00Z")

    assert set(report.evidence.unavailable) == {"good_requests", "all_requests"}
    result = _result(report, "availability")
    assert result.status is Status.NO_DATA
    assert "source unavailable during this run" in result.detail
    assert (
        f"the server at {server.url} answered 200 with text/html, not the"
        " Prometheus API JSON"
    ) in result.detail
    assert str(report.decision) == "NO-GO"
