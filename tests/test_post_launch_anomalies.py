"""The post-launch review's anomaly and alert-noise sections, on the launch scenario."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.report.post_launch import PostLaunchReport, build_post_launch

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenario" / "readiness.yaml"
GO_LIVE = "2026-03-02T09:00:00Z"


@pytest.fixture(scope="module")
def review() -> PostLaunchReport:
    return build_post_launch(SCENARIO, GO_LIVE, 28)


def _text(markup: str) -> str:
    without_scripts = re.sub(r"<script.*?</script>", "", markup, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without_scripts))


def test_anomaly_review_flags_the_planted_incident(review: PostLaunchReport) -> None:
    markup = review.anomaly_review().markup
    text = _text(markup)

    assert "Anomalies: node_cpu_utilisation" in text
    assert "Degradation trend: node_cpu_utilisation" in text
    assert "plotly-graph-div" in markup
    # The P1 ran 14:00–14:40 UTC on 2026-03-04 and drove CPU up (client retries).
    periods = re.findall(r"2026-03-04 14:(\d\d) UTC", text)
    assert periods, text[:2000]
    assert all(0 <= int(minute) <= 45 for minute in periods)


def test_alert_noise_lists_the_flapping_alert(review: PostLaunchReport) -> None:
    text = _text(review.alert_noise().markup)
    flapping = text.split("Flapping alerts")[1].split("Short-lived firings")[0]
    short = text.split("Short-lived firings")[1].split("Alerts that fire together")[0]

    assert "8 firings over 3 on-call day(s)" in text
    assert "HighLatency" in flapping and "HighErrorRate" not in flapping
    assert "HighCPU" in short
    assert "AuthSuccessLow" in text.split("Alerts that fire together")[1]


def test_alerts_are_in_the_data_inventory(review: PostLaunchReport) -> None:
    inventory = review.evidence.inventory().set_index("source")
    assert inventory.loc["alerts", "kind"] == "alerts"
    assert inventory.loc["alerts", "rows_used"] == 8
    assert inventory.loc["alerts", "rows_rejected"] == 0
    assert "alerts.json" in review.data_inventory().markup


def test_notes_when_not_configured(tmp_path: Path) -> None:
    text = SCENARIO.read_text("utf-8")
    trimmed = re.sub(r"post_launch:\n(  .*\n)+", "", text)
    assert "anomaly_sources" not in trimmed
    config = tmp_path / "readiness.yaml"
    config.write_text(trimmed.replace("path: ", f"path: {SCENARIO.parent}/"), "utf-8")
    report = build_post_launch(config, GO_LIVE, 28)

    assert "post_launch.anomaly_sources" in report.anomaly_review().markup
    assert "No alert history is configured" in report.alert_noise().markup


def test_unreadable_alert_history_is_a_note(tmp_path: Path) -> None:
    text = SCENARIO.read_text("utf-8").replace("path: ", f"path: {SCENARIO.parent}/")
    (tmp_path / "alerts.json").write_text('{"not": "a list"}', "utf-8")
    config = tmp_path / "readiness.yaml"
    config.write_text(text, "utf-8")
    report = build_post_launch(config, GO_LIVE, 28)

    note = report.alert_noise().markup
    assert "alerts.json" in note and "not a list of alerts" in note
    assert "alerts" not in set(report.evidence.inventory()["source"])
