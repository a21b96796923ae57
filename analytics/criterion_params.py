"""The ``params`` each criterion kind accepts, with their defaults: one registry.

A criterion's ``params`` are the options of its ``kind``. :data:`CRITERION_PARAMS`
lists, for every kind that has an evaluator, each option that evaluator (or a
report section showing the criterion) reads, with its default. ``None`` means
no fixed default: the option is required (``limit``, ``threshold_seconds``),
optional without a value (``forecast_peak_rps``), or computed by the evaluator
(``seasonal_periods``); the kind's documentation says which.

The registry is read in two places, so that they cannot drift apart:

* when a config is loaded, :class:`~analytics.config.CriterionConfig` and the
  ``post_launch.criteria`` overrides refuse any other key
  (:func:`unknown_params_problem`), so ``readiness check-config`` catches a
  misspelt option instead of a report failing on it later;
* the evaluators check the same sets (:func:`check_params`) and take their
  defaults from here (:func:`param`).

A kind that is not listed has no evaluator (it is NO DATA with that reason);
its params are not checked.

Examples
--------
>>> accepted_params("csat")
('confidence',)
>>> print(unknown_params_problem("csat", {"confidnce": 0.9}))
unknown key(s) ['confidnce'] for kind csat; did you mean 'confidence'? It accepts ['confidence']
>>> param("latency_p95", {}, "quantile")
0.95
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from analytics.errors import ConfigError

__all__ = [
    "CRITERION_PARAMS",
    "accepted_params",
    "check_params",
    "param",
    "unknown_params_problem",
]


def _frozen(options: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(options))


_SLICES: Final[Mapping[str, object]] = {
    "budgeting_method": "occurrences",
    "time_slice_window": None,
    "time_slice_target": None,
}
"""OpenSLO budgeting by time slices (``analytics.evaluators_slo.slice_settings``)."""

_BY_KIND: Final[dict[str, Mapping[str, object]]] = {
    # analytics/evaluate.py
    "availability": {},
    "mttr": {},
    # analytics/evaluators_slo.py
    "latency_p95": {"quantile": 0.95, "unit_scale": 1000.0},
    "latency_share": {"threshold_seconds": None},
    "error_rate": {},
    "auth_success": _SLICES,
    "slo_ratio": _SLICES,
    "threshold_share": {
        "threshold_op": None,
        "threshold_value": None,
        **_SLICES,
    },
    # analytics/evaluators_support.py
    "mttd": {"statistic": "mean"},
    "incident_response": {"statistic": "mean"},
    "first_response": {"statistic": "mean"},
    "csat": {"confidence": 0.95},
    "escalation_rate": {},
    "resolution_within_target": {},
    # analytics/evaluators_capacity.py
    "throughput": {
        "p95_ms": 200.0,
        "error_ratio": 0.01,
        "min_duration_s": 0.0,
        "forecast_peak_rps": None,
        "forecast_criterion": None,
    },
    "capacity_headroom": {
        "limit": None,
        "horizon": "14d",
        "freq": "1h",
        "seasonal_periods": None,
        "models": None,
        "folds": 6,
        "how": "mean",
        "max_gap_steps": 6,
        "aggregate": None,
    },
    # analytics/evaluators_adoption.py (the post-launch review sets go_live)
    "adoption": {"mode": "mau", "go_live": None, "days": 7},
    "feature_utilisation": {"features": None, "feature_column": "feature"},
    "time_to_first_value": {
        "statistic": "median",
        "start_event": "onboarding",
        "value_event": "insight",
        "event_column": "feature",
    },
    # analytics/report/post_launch.py: go-live success criteria only
    "critical_incidents": {},
    "ticket_volume_range": {"history_days": 90, "min_history_days": 14},
    "business_processes": {"area": "business process"},
}

CRITERION_PARAMS: Final[Mapping[str, Mapping[str, object]]] = MappingProxyType(
    {kind: _frozen(options) for kind, options in _BY_KIND.items()}
)
"""Criterion kind -> {param name: default (``None``: none)}."""


def accepted_params(kind: str) -> tuple[str, ...] | None:
    """The params ``kind`` accepts, sorted; None for a kind without an evaluator.

    >>> accepted_params("availability"), accepted_params("no_such_kind")
    ((), None)
    """
    options = CRITERION_PARAMS.get(kind)
    return None if options is None else tuple(sorted(options))


def unknown_params_problem(kind: str, params: Mapping[Any, object]) -> str | None:
    """What is wrong with ``params`` for ``kind``, or None when every key is known.

    The text names the unknown keys, a close accepted key for a misspelt one
    (did you mean ...?) and the accepted keys. A kind without an evaluator
    is not checked (None).

    >>> print(unknown_params_problem("availability", {"quantile": 0.9}))
    unknown key(s) ['quantile'] for kind availability, which takes no params. Fix: remove params
    >>> print(unknown_params_problem("csat", {"min_responses": 1}))
    unknown key(s) ['min_responses'] for kind csat; it accepts ['confidence']. Fix: remove it or use an accepted key
    """
    accepted = accepted_params(kind)
    if accepted is None:
        return None
    unknown = sorted(str(key) for key in params if key not in accepted)
    if not unknown:
        return None
    head = f"unknown key(s) {unknown} for kind {kind}"
    if not accepted:
        return f"{head}, which takes no params. Fix: remove params"
    close = {
        key: match[0]
        for key in unknown
        if (match := difflib.get_close_matches(key.casefold(), accepted, n=1))
    }
    if not close:
        them = "it" if len(unknown) == 1 else "them"
        return (
            f"{head}; it accepts {list(accepted)}. Fix: remove {them} or use an"
            " accepted key"
        )
    if len(unknown) == 1:
        hint = f"did you mean {close[unknown[0]]!r}?"
    else:
        hint = "did you mean " + ", ".join(
            f"{right!r} for {wrong!r}" for wrong, right in close.items()
        )
        hint += "?"
    return f"{head}; {hint} It accepts {list(accepted)}"


def check_params(where: str, kind: str, params: Mapping[Any, object]) -> None:
    """Raise :class:`ConfigError` at ``where`` (``criteria.<id>.params``) for unknown keys.

    >>> check_params("criteria.p95.params", "latency_p95", {"quantle": 0.9})
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: criteria.p95.params: unknown key(s) ['quantle'] for kind latency_p95; did you mean 'quantile'? It accepts ['quantile', 'unit_scale']
    """
    problem = unknown_params_problem(kind, params)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")


def param(kind: str, params: Mapping[str, Any], name: str) -> Any:
    """The value of param ``name``: as given in ``params``, else its default.

    Raises
    ------
    KeyError
        ``name`` is not a param of ``kind`` in :data:`CRITERION_PARAMS`: an
        evaluator reading an option the registry does not list, which the
        config would refuse at load.
    """
    options = CRITERION_PARAMS.get(kind, {})
    if name not in options:
        raise KeyError(
            f"param {name!r} is not registered for kind {kind!r} in CRITERION_PARAMS"
        )
    return params.get(name, options[name])
