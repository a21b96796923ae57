"""The post-launch review's anomaly and alert-noise sections, on the launch scenario."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analytics.errors import InputError
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


def _scenario_with_alerts(tmp_path: Path, name: str, content: str) -> Path:
    text = SCENARIO.read_text("utf-8").replace("path: ", f"path: {SCENARIO.parent}/")
    text = re.sub(r"  alerts: .*\n", f"  alerts: {name}\n", text)
    (tmp_path / name).write_text(content, "utf-8")
    config = tmp_path / "readiness.yaml"
    config.write_text(text, "utf-8")
    return config


def test_unreadable_alert_history_stops_the_run(tmp_path: Path) -> None:
    """Like any other input file: the reader's message, never a note in the report."""
    config = _scenario_with_alerts(tmp_path, "alerts.json", '{"not": "a list"}')

    with pytest.raises(InputError) as error:
        build_post_launch(config, GO_LIVE, 28)

    assert "alerts.json" in str(error.value)
    assert "not a list of alerts" in str(error.value)


def test_alert_csv_with_an_extra_field_stops_the_run(tmp_path: Path) -> None:
    config = _scenario_with_alerts(
        tmp_path,
        "alerts.csv",
        "name,starts_at,ends_at\nA,2026-03-03T10:00:00Z,\nB,2026-03-03T10:00:00Z,,x\n",
    )

    with pytest.raises(InputError, match=r"alerts\.csv: line 3 has 4 fields"):
        build_post_launch(config, GO_LIVE, 28)


def test_all_alert_rows_rejected_is_not_no_alerts(tmp_path: Path) -> None:
    """Objects without labels.alertname or startsAt: unknown noise, said so."""
    rows = [{"labels": {"job": "api"}, "alerts_here": []}] * 2
    config = _scenario_with_alerts(tmp_path, "alerts.json", json.dumps(rows))
    report = build_post_launch(config, GO_LIVE, 28)

    text = _text(report.alert_noise().markup)
    assert "all 2 rows of alerts.json were rejected" in text
    assert 'not "no alerts"' in text or "not &quot;no alerts&quot;" in text
    assert "/api/v2/alerts" in text
    assert "No alerts in the history" not in text
    inventory = report.evidence.inventory().set_index("source")
    assert inventory.loc["alerts", "rows_rejected"] == 2
