"""Readiness criteria and the go / no-go decision.

Each criterion compares one measured value with its target and alert
threshold and gets a status:

========  ==============================================================
PASS      the value meets the target
WARN      the target is missed, but the alert threshold is not crossed
FAIL      the alert threshold is crossed (or the target is missed and
          there is no alert threshold)
NO DATA   no value could be measured: no source, no rows in the window,
          coverage below the minimum, or stale evidence
========  ==============================================================

The decision (:func:`decide`):

* **NO-GO** if any blocking criterion is FAIL or NO DATA: no evidence, no GO;
* **GO WITH CONDITIONS** if any criterion is WARN, or a non-blocking one is
  FAIL or NO DATA (it must be followed up, but does not stop the launch);
* **GO** otherwise.

This module knows targets, not formulas: values come from ``analytics.metrics``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

__all__ = [
    "Criterion",
    "CriterionResult",
    "Decision",
    "Status",
    "decide",
    "evaluate_value",
    "no_data",
    "status_counts",
]


class Status(StrEnum):
    """Outcome of one criterion."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    NO_DATA = "NO DATA"


class Decision(StrEnum):
    """Overall readiness decision."""

    GO = "GO"
    GO_WITH_CONDITIONS = "GO WITH CONDITIONS"
    NO_GO = "NO-GO"


_OPS = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
}
# The alert threshold is crossed when the value is on the far side of it:
# for a ">=" target (higher is better) that is strictly below the alert value.
_ALERT_CROSSED = {
    ">=": lambda v, a: v < a,
    ">": lambda v, a: v < a,
    "<=": lambda v, a: v > a,
    "<": lambda v, a: v > a,
}


@dataclass(frozen=True)
class Criterion:
    """What a criterion demands: target, direction and alert threshold."""

    criterion_id: str
    title: str
    area: str
    op: str
    target: float
    unit: str = ""
    alert: float | None = None
    rollback: float | None = None
    blocking: bool = True
    target_label: str = ""
    """Shown instead of the numeric target when set (e.g. for checklist items)."""

    def target_text(self) -> str:
        """The target as a person reads it, e.g. ``≥ 99.9 %``."""
        if self.target_label:
            return self.target_label
        return f"{_OP_TEXT[self.op]} {_number(self.target)} {self.unit}".strip()

    def alert_text(self) -> str:
        """The alert threshold as text, or an empty string."""
        if self.alert is None:
            return ""
        side = "<" if self.op in (">=", ">") else ">"
        return f"{side} {_number(self.alert)} {self.unit}".strip()


_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class CriterionResult:
    """A criterion's outcome, with the evidence behind it.

    Attributes
    ----------
    value
        The measured value in the criterion's unit. None when NO DATA, except
        where a value was computed but not judged (coverage below the
        minimum): it is kept here and named in ``detail``, but ``run.json``
        leaves it out.
    window_start, window_end
        The evidence window (UTC).
    coverage_ratio
        Share of the window covered by data (None when not applicable).
    evidence_count
        Events, tickets or samples behind the value.
    detail
        One sentence: how the value was measured, or why there is no data.
    """

    criterion: Criterion
    status: Status
    value: float | None
    window_start: pd.Timestamp | None = None
    window_end: pd.Timestamp | None = None
    coverage_ratio: float | None = None
    evidence_count: int | None = None
    detail: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)
    value_label: str = ""
    """Shown instead of the numeric value when set (e.g. ``done`` for a checklist item)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``run.json``.

        A NO DATA criterion has no ``value``: a figure computed on too little
        evidence (low coverage, say) was not judged, and a scheduler reading
        ``value`` must not take it for a measurement. The detail names it.
        """
        crit = asdict(self.criterion)
        return {
            "id": self.criterion.criterion_id,
            "title": self.criterion.title,
            "area": self.criterion.area,
            "status": str(self.status),
            "value": None if self.status is Status.NO_DATA else self.value,
            "value_label": self.value_label or None,
            "unit": self.criterion.unit,
            "op": crit["op"],
            "target": crit["target"],
            "alert": crit["alert"],
            "rollback": crit["rollback"],
            "blocking": self.criterion.blocking,
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "coverage_ratio": self.coverage_ratio,
            "evidence_count": self.evidence_count,
            "detail": self.detail,
            "sources": list(self.sources),
        }


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else ts.isoformat()


def evaluate_value(
    criterion: Criterion,
    value: float | None,
    *,
    window_start: pd.Timestamp | None = None,
    window_end: pd.Timestamp | None = None,
    coverage_ratio: float | None = None,
    min_coverage: float = 0.0,
    evidence_count: int | None = None,
    detail: str = "",
    sources: tuple[str, ...] = (),
) -> CriterionResult:
    """Compare a measured value with a criterion.

    A missing or non-finite value, or coverage below ``min_coverage``, is
    NO DATA: gaps are unknown, never good.

    Examples
    --------
    >>> c = Criterion("availability", "Availability", "reliability", ">=", 99.9, "%", 99.5)
    >>> [evaluate_value(c, v).status.value for v in (99.95, 99.7, 99.4, None)]
    ['PASS', 'WARN', 'FAIL', 'NO DATA']
    """
    if value is None or not math.isfinite(value):
        return no_data(
            criterion,
            detail or "no value could be measured",
            window_start=window_start,
            window_end=window_end,
            coverage_ratio=coverage_ratio,
            sources=sources,
        )
    if coverage_ratio is not None and coverage_ratio < min_coverage:
        # ``value`` is what would have been judged (for the SLO kinds the
        # pessimistic bound, not the covered part's figure): say so plainly.
        reason = (
            f"not judged: data covers {coverage_ratio:.1%} of the evidence window,"
            f" below the required {min_coverage:.0%} (the value it would have"
            f" judged is {_number(value)} {criterion.unit})"
        )
        return CriterionResult(
            criterion,
            Status.NO_DATA,
            value,
            window_start,
            window_end,
            coverage_ratio,
            evidence_count,
            reason + (f". {detail}" if detail else ""),
            sources,
        )

    if _OPS[criterion.op](value, criterion.target):
        status = Status.PASS
    elif criterion.alert is not None and not _ALERT_CROSSED[criterion.op](
        value, criterion.alert
    ):
        status = Status.WARN
    else:
        status = Status.FAIL
    return CriterionResult(
        criterion,
        status,
        value,
        window_start,
        window_end,
        coverage_ratio,
        evidence_count,
        detail,
        sources,
    )


def no_data(
    criterion: Criterion,
    detail: str,
    *,
    window_start: pd.Timestamp | None = None,
    window_end: pd.Timestamp | None = None,
    coverage_ratio: float | None = None,
    sources: tuple[str, ...] = (),
) -> CriterionResult:
    """A NO DATA result with the reason in ``detail``."""
    return CriterionResult(
        criterion,
        Status.NO_DATA,
        None,
        window_start,
        window_end,
        coverage_ratio,
        0,
        detail,
        sources,
    )


def decide(results: list[CriterionResult]) -> Decision:
    """The overall decision from criterion results (rules in the module docstring).

    An empty list is NO-GO: with no criteria there is no evidence.

    Examples
    --------
    >>> c = Criterion("x", "X", "a", ">=", 1.0)
    >>> decide([evaluate_value(c, 2.0)]).value
    'GO'
    >>> decide([evaluate_value(c, 2.0), evaluate_value(c, None)]).value
    'NO-GO'
    """
    if not results:
        return Decision.NO_GO
    blocking_bad = any(
        r.criterion.blocking and r.status in (Status.FAIL, Status.NO_DATA)
        for r in results
    )
    if blocking_bad:
        return Decision.NO_GO
    conditional = any(
        r.status is Status.WARN or r.status in (Status.FAIL, Status.NO_DATA)
        for r in results
    )
    return Decision.GO_WITH_CONDITIONS if conditional else Decision.GO


def status_counts(results: list[CriterionResult]) -> dict[str, int]:
    """How many criteria have each status (every status present, zero if none)."""
    counts = Counter(str(r.status) for r in results)
    return {str(s): counts.get(str(s), 0) for s in Status}
