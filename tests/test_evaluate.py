"""A criterion is not judged on a sample that its own window's rejected rows biased.

The whole-file rule (``max_rejected_ratio`` over every row of a source) misses
a file where the rejected rows are few overall but many of the criterion's
window: one unreadable low CSAT score among nine answers of the window turned
GO WITH CONDITIONS into GO.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from analytics.config import load_config
from analytics.evaluate import evaluate_criteria
from analytics.evidence import Evidence, gather_evidence
from analytics.frames import ROW_TIME, LoadResult
from analytics.readiness import CriterionResult, Decision, Status, decide
from analytics.report.go_no_go import write_run_files
from analytics.sources.servicenow import AFTER_DECISION

AS_OF = "2026-03-02T08:00:00Z"
OTHERS = [
    "adoption",
    "auth_success",
    "availability",
    "error_rate",
    "escalation_rate",
    "feature_utilisation",
    "first_response",
    "incident_response",
    "latency_p95",
    "mttd",
    "mttr",
    "resolution_p1",
    "resolution_p2",
    "resolution_p3",
    "resolution_p4",
    "throughput",
    "time_to_first_value",
]
# Nine answers in the 90-day CSAT window: mean 40/9 = 4.44 (WARN); without the
# 3 it is 37/8 = 4.625 (PASS).
IN_WINDOW = [3, 5, 5, 4, 5, 4, 5, 5, 4]
OLD = 193  # answers long before the window: the file has 202 rows


def _survey(tmp_path: Path, *, low_score: str = "3", old_score: str = "5") -> Path:
    lines = ["response_id,answered_at,score"]
    for i in range(OLD):
        old = old_score if i == 0 else "5"
        lines.append(f"O{i},2025-06-{1 + i % 28:02d}T10:00:00Z,{old}")
    for i, score in enumerate(IN_WINDOW):
        text = low_score if i == 0 else str(score)
        lines.append(f"W{i},2026-02-{20 + i:02d}T10:00:00Z,{text}")
    path = tmp_path / "csat.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _gather(tmp_path: Path, survey: Path, *, limit: float = 0.1) -> Evidence:
    disabled = "\n".join(f"  {name}: {{enabled: false}}" for name in OTHERS)
    config = tmp_path / "readiness.yaml"
    config.write_text(
        f'as_of: "{AS_OF}"\nmax_rejected_ratio: {limit}\ncriteria:\n{disabled}\n'
        f"surveys:\n  - {{name: csat, path: {survey.name}, kind: csat}}\n"
    )
    return gather_evidence(load_config(config), pd.Timestamp(AS_OF))


def _evaluate(
    tmp_path: Path, survey: Path, *, limit: float = 0.1
) -> tuple[list[CriterionResult], Decision, LoadResult]:
    evidence = _gather(tmp_path, survey, limit=limit)
    results, _ = evaluate_criteria(evidence)
    return results, decide(results), evidence.surveys["csat"]


def _csat(results: list[CriterionResult]) -> CriterionResult:
    return next(r for r in results if r.criterion.criterion_id == "csat")


def test_sound_file_is_go_with_conditions(tmp_path: Path) -> None:
    results, decision, _ = _evaluate(tmp_path, _survey(tmp_path))
    assert _csat(results).status is Status.WARN
    assert decision is Decision.GO_WITH_CONDITIONS


def test_unreadable_low_score_in_the_window_does_not_make_go(tmp_path: Path) -> None:
    results, decision, load = _evaluate(tmp_path, _survey(tmp_path, low_score="five"))

    # 1 of 202 rows is rejected overall (under 10 %), but 1 of the window's 9.
    assert load.rows_rejected == 1 and load.rows_in == 202
    csat = _csat(results)
    assert csat.status is Status.NO_DATA
    assert decision is Decision.NO_GO
    assert "1 of 9 rows of source 'csat'" in csat.detail
    assert "max_rejected_ratio" in csat.detail
    assert "rejected_rows.csv" in csat.detail
    assert load.rejected[ROW_TIME].tolist() == [pd.Timestamp("2026-02-20T10:00:00Z")]


def test_window_share_under_the_limit_is_named_in_the_detail(tmp_path: Path) -> None:
    results, _, _ = _evaluate(tmp_path, _survey(tmp_path, low_score="five"), limit=0.2)

    csat = _csat(results)
    assert csat.status is Status.PASS  # 8 answers, judged: 1 of 9 is within 20 %
    assert "1 of 9 rows of source 'csat' in this criterion's evidence window" in (
        csat.detail
    )
    assert "within max_rejected_ratio 20%" in csat.detail


def test_old_reject_outside_the_window_does_not_block(tmp_path: Path) -> None:
    results, decision, load = _evaluate(tmp_path, _survey(tmp_path, old_score="five"))

    assert load.rows_rejected == 1
    csat = _csat(results)
    assert csat.status is Status.WARN
    assert "rejected" not in csat.detail
    assert decision is Decision.GO_WITH_CONDITIONS


def test_reject_of_unknown_time_counts_only_in_the_whole_file_rule(
    tmp_path: Path,
) -> None:
    survey = _survey(tmp_path)
    survey.write_text(survey.read_text() + "X1,yesterday,1\n")
    results, _, load = _evaluate(tmp_path, survey)

    assert load.rejected["reason_code"].tolist() == ["unparseable_date"]
    assert load.rejected[ROW_TIME].isna().all()
    assert _csat(results).status is Status.WARN


@pytest.mark.parametrize(
    ("low_score", "old_score"), [("3", "5"), ("five", "5"), ("3", "five")]
)
def test_counts_add_up(tmp_path: Path, low_score: str, old_score: str) -> None:
    _, _, load = _evaluate(
        tmp_path, _survey(tmp_path, low_score=low_score, old_score=old_score)
    )

    assert load.rows_in == load.rows_used + load.rows_rejected == OLD + len(IN_WINDOW)
    window = load.window_rows(pd.Timestamp("2025-12-02T08:00:00Z"), pd.Timestamp(AS_OF))
    assert window is not None and sum(window) == len(IN_WINDOW)
    assert window[1] == (low_score == "five")


def test_rows_set_aside_after_the_decision_count_on_neither_side() -> None:
    t = pd.Timestamp("2026-03-01T10:00:00Z")
    times = pd.Series([t, t, t], index=[2, 3, 4])
    rejected = pd.DataFrame(
        {
            "source_file": "sn.csv",
            "row_number": [3, 4, 4],
            "reason_code": [AFTER_DECISION, AFTER_DECISION, "unknown_priority"],
        }
    )
    load = LoadResult(
        pd.DataFrame(), rejected, "sn.csv", "tickets", 3, 1, row_times=times
    )

    # Row 3 is only later (sound), row 4 also has a real problem.
    assert load.window_rows(
        t - pd.Timedelta("1D"), t + pd.Timedelta("1D"), set_aside=(AFTER_DECISION,)
    ) == (1, 1)
    assert load.window_rows(t + pd.Timedelta("1h"), t + pd.Timedelta("1D")) == (0, 0)


def test_rejected_rows_csv_carries_the_row_time_as_iso_text(tmp_path: Path) -> None:
    survey = _survey(tmp_path, low_score="five")
    survey.write_text(survey.read_text() + "X1,yesterday,1\n")
    write_run_files(tmp_path, {}, _gather(tmp_path, survey))

    with (tmp_path / "rejected_rows.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row_number"], r[ROW_TIME]) for r in rows] == [
        ("195", "2026-02-20T10:00:00Z"),
        ("204", ""),
    ]
