"""A scrape gap in ``up`` stays a gap: Prometheus's lookback never fills it with 1s.

A range query evaluates a plain selector at each step with the most recent
sample up to 5 minutes old, so after a gap starts (no samples and no staleness
markers: a Prometheus outage, a backfill) the last ``up`` of 1 comes back at
every step for 5 minutes. The fixture's ``up{job="api"}`` (``conftest.py``) has
an 8-minute gap of its own and the 3-hour gap of every series; the pull must
return no point in either, and the availability must be the one counted from
the raw samples (good samples over the window's scrape slots).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from analytics.config import load_config
from analytics.evaluate import evaluate_criteria
from analytics.evidence import gather_evidence
from analytics.metrics.slo import availability_from_up
from analytics.sources.prometheus import (
    COVERAGE_NOTE_PREFIX,
    LOOKBACK_NOTE,
    PrometheusSource,
    load_snapshot,
    save_snapshot,
)

UP = 'up{job="api"}'
THIRTY_DAYS = pd.Timedelta(days=30)
START = pd.Timestamp("2024-04-01T00:00:00Z")  # conftest.START


def _minute(offset: int) -> pd.Timestamp:
    return START + pd.Timedelta(minutes=offset)


def _gaps(minutes: np.ndarray) -> dict[int, tuple[int, int]]:
    """Runs of minutes without a sample, by length: ``{length: (first, end)}``."""
    after = np.flatnonzero(np.diff(minutes) > 1)
    return {
        int(minutes[i + 1] - minutes[i] - 1): (int(minutes[i] + 1), int(minutes[i + 1]))
        for i in after
    }


@pytest.fixture(scope="module")
def gaps(prometheus) -> tuple[tuple[int, int], tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The 3-hour gap of every series and the 8-minute gap of up alone."""
    assert prometheus.data.start == START
    found = _gaps(prometheus.data.up_minutes)
    assert sorted(found) == [8, 180]
    return found[180], found[8]


def _raw_range(url: str, query: str, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    answer = requests.get(
        f"{url}/api/v1/query_range",
        params={
            "query": query,
            "start": start.timestamp(),
            "end": end.timestamp(),
            "step": 60,
        },
        timeout=30,
    ).json()
    return {
        pd.Timestamp(float(t), unit="s", tz="UTC"): float(v)
        for t, v in answer["data"]["result"][0]["values"]
    }


def _instant(url: str, query: str, at: pd.Timestamp) -> float:
    answer = requests.get(
        f"{url}/api/v1/query",
        params={"query": query, "time": at.timestamp()},
        timeout=30,
    ).json()
    return float(answer["data"]["result"][0]["value"][1])


def _hand(prometheus) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Good raw samples, raw samples and scrape slots of the 30 days before the end."""
    data = prometheus.data
    end_minute = int(data.minutes[-1])
    inside = (data.up_minutes >= end_minute - 30 * 1440) & (
        data.up_minutes < end_minute
    )
    return float(np.sum(data.up[inside] >= 1)), float(inside.sum()), 30 * 1440.0


def test_the_gap_steps_are_missing_not_good(prometheus, gaps) -> None:  # type: ignore[no-untyped-def]
    _, up_gap = gaps
    start, end = _minute(up_gap[0] - 2), _minute(up_gap[1] + 2)
    # The bug this guards against: the selector sent as it is repeats the last
    # 1 for 5 minutes into the gap.
    plain = _raw_range(prometheus.url, UP, start, end)
    repeated = [_minute(m) for m in range(up_gap[0], up_gap[0] + 5)]
    assert all(plain.get(stamp) == 1.0 for stamp in repeated)

    pulled = PrometheusSource(prometheus.url, environ={}).range_query(
        UP, start, end, 60
    )

    assert pulled.sent_query == 'last_over_time(up{job="api"}[59999ms])'
    assert pulled.query == UP
    times = set(pulled.frame["timestamp"])
    gap = {_minute(m) for m in range(*up_gap)}
    assert not times & gap
    expected = {_minute(m) for m in range(up_gap[0] - 2, up_gap[1] + 3)} - gap
    assert times == expected
    assert (pulled.frame["value"] == 1.0).all()
    assert (pulled.frame["metric"] == "up").all()
    assert pulled.frame["series"].iloc[0] == UP
    assert LOOKBACK_NOTE not in pulled.notes


def test_the_long_gap_has_no_point_either(prometheus, gaps) -> None:  # type: ignore[no-untyped-def]
    long_gap, _ = gaps
    start, end = _minute(long_gap[0] - 1), _minute(long_gap[1])
    pulled = PrometheusSource(prometheus.url, environ={}).range_query(
        UP, start, end, 60
    )
    assert list(pulled.frame["timestamp"]) == [start, end]


def test_a_step_shorter_than_the_scrape_interval_has_one_point_per_sample(  # type: ignore[no-untyped-def]
    prometheus, gaps
) -> None:
    """At 15 s steps a point stands only where a scrape lies, so the inferred
    interval is the scrape interval and every missing scrape is one slot."""
    _, up_gap = gaps
    data = prometheus.data
    start, end = _minute(up_gap[0] - 60), _minute(up_gap[0] + 60)
    pulled = PrometheusSource(prometheus.url, environ={}).range_query(
        UP, start, end, 15
    )
    raw = data.up_minutes[
        (data.up_minutes >= up_gap[0] - 60) & (data.up_minutes <= up_gap[0] + 60)
    ]
    assert list(pulled.frame["timestamp"]) == [_minute(int(m)) for m in raw]

    result = availability_from_up(
        pulled.frame, window_start=start, window_end=end, target=0.99
    )
    assert result.expected == 120.0
    assert result.valid == 120.0 - (up_gap[1] - up_gap[0])
    assert result.good == result.valid
    assert any("60 s (1 series)" in note for note in result.notes)


def test_availability_is_counted_from_the_raw_samples(prometheus, gaps) -> None:  # type: ignore[no-untyped-def]
    long_gap, up_gap = gaps
    end = prometheus.data.end
    good, known, slots = _hand(prometheus)
    # The server agrees on the raw samples (the range ends 1 s before the
    # decision time, as the criterion's window [end - 30d, end) does).
    before = end - pd.Timedelta(seconds=1)
    assert _instant(prometheus.url, f"sum_over_time({UP}[30d])", before) == good
    assert _instant(prometheus.url, f"count_over_time({UP}[30d])", before) == known
    assert slots - known == (long_gap[1] - long_gap[0]) + (up_gap[1] - up_gap[0])

    pulled = PrometheusSource(prometheus.url, environ={}).range_query(
        UP, end - THIRTY_DAYS, end, 60
    )
    result = availability_from_up(
        pulled.frame, window_start=end - THIRTY_DAYS, window_end=end, target=0.999
    )

    assert (result.good, result.valid, result.expected) == (good, known, slots)
    assert result.sli == pytest.approx(good / known, abs=1e-12)
    assert result.sli_lower_bound == pytest.approx(good / slots, abs=1e-12)
    assert result.coverage_ratio == pytest.approx(known / slots, abs=1e-12)


def _config(folder: Path, url: str, target: float, source: str) -> Path:
    path = folder / "readiness.yaml"
    path.write_text(
        "metrics:\n"
        f"  - {{name: up, format: prometheus, url: '{url}', query: '{UP}',"
        " step: 60s, lookback: 31d}\n"
        f"  - {{name: snap, format: prometheus_snapshot, path: '{source}'}}\n"
        "criteria:\n"
        "  avail_up:\n    kind: availability\n    title: up\n    unit: '%'\n"
        f"    op: '>='\n    target: {target}\n    lookback: 30d\n    source: up\n"
        "  avail_snap:\n    kind: availability\n    title: up, snapshot\n"
        f"    unit: '%'\n    op: '>='\n    target: {target}\n    lookback: 30d\n"
        "    source: snap\n",
        encoding="utf-8",
    )
    return path


def test_the_criterion_and_its_snapshot_judge_the_raw_samples(  # type: ignore[no-untyped-def]
    prometheus, tmp_path: Path
) -> None:
    end = prometheus.data.end
    good, _, slots = _hand(prometheus)
    judged = good / slots * 100
    pulled = PrometheusSource(prometheus.url, environ={}).range_query(
        UP, end - pd.Timedelta(days=31), end, 60
    )
    manifest = save_snapshot(pulled, tmp_path / "up")
    assert json.loads(manifest.read_text())["sent_query"] == pulled.sent_query

    # A target between the judged value and what the repeats would have given
    # (every gap's first 5 minutes good): only the fixed pull fails it.
    repeats = 5 * 2 * 100 / slots
    target = round(judged + repeats / 2, 6)
    config = _config(tmp_path, prometheus.url, target, str(manifest))
    evidence = gather_evidence(load_config(config), end)
    assert not evidence.unavailable, evidence.unavailable
    results = {r.criterion.criterion_id: r for r in evaluate_criteria(evidence)[0]}

    for name in ("avail_up", "avail_snap"):
        assert results[name].value == pytest.approx(judged, abs=1e-9), name
        assert results[name].status.name == "FAIL", name
    snap = evidence.metrics["snap"]
    assert snap.sent_query == pulled.sent_query
    assert not [n for n in snap.notes if "saved before pulls kept" in n]


def test_an_old_snapshot_says_its_gaps_may_hold_repeats(  # type: ignore[no-untyped-def]
    prometheus, tmp_path: Path
) -> None:
    end = prometheus.data.end
    pulled = PrometheusSource(prometheus.url, environ={}).range_query(
        UP, end - pd.Timedelta(days=1), end, 60
    )
    manifest = save_snapshot(pulled, tmp_path / "old")
    stored = json.loads(manifest.read_text())
    del stored["sent_query"]  # as saved before the field existed
    manifest.write_text(json.dumps(stored), encoding="utf-8")

    loaded = load_snapshot(manifest)

    assert loaded.sent_query == ""
    assert loaded.provenance()["sent_query"] is None
    old = [n for n in loaded.notes if "saved before pulls kept" in n]
    assert len(old) == 1 and old[0].startswith(COVERAGE_NOTE_PREFIX)
    pd.testing.assert_frame_equal(loaded.frame, pulled.frame)
