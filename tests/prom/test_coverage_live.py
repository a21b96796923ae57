"""A pull that reaches back before the data: each criterion judges its own window.

The fixture server (``tests/prom/conftest.py``) holds data from
``fixture_data.start``. With the decision time 4 days later and every source
pulling 10 days (``lookback: 10d``), each pull starts 6 days before the first
sample and carries a ``coverage:`` note, not a ``partial data:`` one:

* a criterion over the last 3 days has data for its whole window and is
  judged, with the same numbers as from a pull that starts inside the data;
* a criterion over the last 7 days has data for 4 of them (57 %, below
  ``min_coverage`` 0.9) and is NO DATA through its own coverage.

Every kind that reads metrics is checked on both sides. Response
``warnings`` (the server's own "this answer may be incomplete") still block.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.config import load_config
from analytics.evaluate import evaluate_criteria
from analytics.evidence import gather_evidence
from analytics.readiness import CriterionResult, Status
from analytics.sources.prometheus import (
    COVERAGE_NOTE_PREFIX,
    LOOKBACK_NOTE,
    PARTIAL_NOTE_PREFIX,
)

GOOD = 'app_good_requests_total{job="api"}'
TOTAL = 'app_requests_total{job="api"}'
BUCKET = 'app_request_duration_seconds_bucket{job="api"}'
# Up-like (1 wherever the counter has a sample) and gauge-like series, made
# by PromQL: fine for the kinds that do not count a counter's increase.
UP = f"{TOTAL} >= bool 0"
RATE = f"rate({TOTAL}[5m])"
DAYS_OF_DATA = 4
KINDS = {
    "availability": "good_source: good\n    total_source: total",
    "error_rate": "good_source: good\n    total_source: total",
    "slo_ratio": (
        "good_source: good\n    total_source: total\n    params: {budgeting_method:"
        " timeslices, time_slice_window: 5m, time_slice_target: 90}"
    ),
    "latency_p95": "source: latency",
    "latency_share": "source: latency\n    params: {threshold_seconds: 0.3}",
    "availability_up": "source: up",
    "threshold_share": (
        "source: rate\n    params: {threshold_op: gte, threshold_value: 1}"
    ),
}
TARGETS = {  # kind: (op, target, unit)
    "availability": (">=", 90, "%"),
    "error_rate": ("<", 5, "%"),
    "slo_ratio": (">=", 90, "%"),
    "latency_p95": ("<", 400, "ms"),
    "latency_share": (">=", 90, "%"),
    "availability_up": (">=", 90, "%"),
    "threshold_share": (">=", 90, "%"),
}


def _config(folder: Path, url: str, lookback: str = "10d") -> Path:
    def source(name: str, query: str) -> str:
        return (
            f"  - name: {name}\n    format: prometheus\n    url: {url}\n"
            f"    query: '{query}'\n    step: 60s\n    lookback: {lookback}\n"
        )

    sources = [("good", GOOD), ("total", TOTAL), ("latency", BUCKET)]
    sources += [("up", UP), ("rate", RATE)]
    criteria = []
    for name, fields in KINDS.items():
        kind = "availability" if name == "availability_up" else name
        op, target, unit = TARGETS[name]
        for days in (3, 7):
            criteria.append(
                f"  {name}_{days}d:\n    kind: {kind}\n    title: {name} {days}d\n"
                f'    op: "{op}"\n    target: {target}\n    unit: "{unit}"\n'
                f"    lookback: {days}d\n    {fields}\n"
            )
    text = (
        "metrics:\n"
        + "".join(source(n, q) for n, q in sources)
        + "criteria:\n"
        + "".join(criteria)
    )
    path = folder / "readiness.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _evaluate(config: Path, as_of: pd.Timestamp) -> dict[str, CriterionResult]:
    evidence = gather_evidence(load_config(config), as_of)
    assert not evidence.unavailable, evidence.unavailable
    found, _ = evaluate_criteria(evidence)
    return {r.criterion.criterion_id: r for r in found}


@pytest.fixture(scope="module")
def as_of(prometheus) -> pd.Timestamp:  # type: ignore[no-untyped-def]
    return prometheus.data.start + pd.Timedelta(days=DAYS_OF_DATA)


@pytest.fixture(scope="module")
def long_pull(prometheus, as_of, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Sources pulling 10 days before a decision 4 days into the data."""
    config = _config(tmp_path_factory.mktemp("long"), prometheus.url)
    evidence = gather_evidence(load_config(config), as_of)
    return evidence, _evaluate(config, as_of)


@pytest.fixture(scope="module")
def short_pull(prometheus, as_of, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The same sources pulling 3 days: every pull starts inside the data."""
    config = _config(tmp_path_factory.mktemp("short"), prometheus.url, "3d")
    return _evaluate(config, as_of)


def test_the_pulls_carry_coverage_notes_not_partial_data(long_pull) -> None:  # type: ignore[no-untyped-def]
    evidence, _ = long_pull
    for name, load in evidence.metrics.items():
        assert not load.partial, name
        assert not [n for n in load.notes if n.startswith(PARTIAL_NOTE_PREFIX)]
        late = [
            n
            for n in load.notes
            if n.startswith(COVERAGE_NOTE_PREFIX) and n != LOOKBACK_NOTE
        ]
        assert len(late) == 1, (name, load.notes)
        assert "after the requested start" in late[0]
        # Not plain selectors: sent as they are, with a note that Prometheus's
        # lookback may carry older samples into a gap.
        assert (LOOKBACK_NOTE in load.notes) == (name in ("up", "rate")), name


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_covered_window_is_judged_as_from_a_pull_inside_the_data(  # type: ignore[no-untyped-def]
    long_pull, short_pull, name: str
) -> None:
    _, results = long_pull
    result = results[f"{name}_3d"]
    assert result.status is not Status.NO_DATA, result.detail
    assert result.coverage_ratio == pytest.approx(1.0, abs=0.002)
    # The 7 extra days before the data change nothing in the window.
    same = short_pull[f"{name}_3d"]
    assert result.value == pytest.approx(same.value, rel=1e-12)
    assert result.status is same.status


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_window_the_data_does_not_cover_is_no_data(long_pull, name: str) -> None:  # type: ignore[no-untyped-def]
    _, results = long_pull
    result = results[f"{name}_7d"]
    assert result.status is Status.NO_DATA
    # 4 of 7 days hold data; the timeslices kinds count slots, the counters time.
    assert result.coverage_ratio == pytest.approx(DAYS_OF_DATA / 7, abs=0.01)
    assert "not judged: data covers 57." in result.detail
    assert "below the required 90%" in result.detail


def test_availability_over_the_covered_window_is_exact(long_pull, prometheus) -> None:  # type: ignore[no-untyped-def]
    _, results = long_pull
    data = prometheus.data
    last = DAYS_OF_DATA * 1440
    first = last - 3 * 1440
    good = float(data.good_increase[first + 1 : last + 1].sum())
    total = float(data.total_increase[first + 1 : last + 1].sum())
    result = results["availability_3d"]
    assert result.value == pytest.approx(good / total * 100, abs=1e-9)
    assert result.evidence_count == int(total)


def test_response_warnings_still_block(fake_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The server's own warnings are partial data: NO DATA, whatever the coverage."""
    server = fake_server("warnings")  # answers 'up' = 1 with a warning
    config = tmp_path / "readiness.yaml"
    config.write_text(
        f"""\
metrics:
  - {{name: up, format: prometheus, url: "{server.url}", query: up, step: 60s,
     lookback: 1h}}
criteria:
  availability: {{source: up, lookback: 1h, min_coverage: 0}}
""",
        encoding="utf-8",
    )
    evidence = gather_evidence(load_config(config), pd.Timestamp("2024-05-01T10:01Z"))
    assert evidence.metrics["up"].partial
    found, _ = evaluate_criteria(evidence)
    result = next(r for r in found if r.criterion.criterion_id == "availability")
    assert result.status is Status.NO_DATA
    assert "partial data blocks GO" in result.detail
    assert "store b unavailable" in result.detail


@pytest.fixture(scope="module")
def ended_early(prometheus, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Sources pulling 10 days before a decision 2 days after the data ends."""
    config = _config(tmp_path_factory.mktemp("ended"), prometheus.url)
    return _evaluate(config, prometheus.data.end + pd.Timedelta(days=2))


@pytest.mark.parametrize("name", sorted(KINDS))
def test_data_that_ends_before_the_decision_is_no_data(ended_early, name: str) -> None:  # type: ignore[no-untyped-def]
    # 5 of the last 7 days hold data; of the last 3 days only 1.
    for days, share in ((7, 5 / 7), (3, 1 / 3)):
        result = ended_early[f"{name}_{days}d"]
        assert result.status is Status.NO_DATA, (days, result.detail)
        assert result.coverage_ratio == pytest.approx(share, abs=0.01)
        assert "not judged: data covers" in result.detail
