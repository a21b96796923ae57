"""The ``params`` each criterion kind accepts, with their defaults: one registry.

A criterion's ``params`` are the options of its ``kind``. :data:`CRITERION_PARAMS`
lists, for every kind that has an evaluator, each option that evaluator (or a
report section showing the criterion) reads, with its default. ``None`` means
no fixed default: the option is required (``limit``, ``threshold_seconds``),
optional without a value (``forecast_peak_rps``), or computed by the evaluator
(``seasonal_periods``); the kind's documentation says which.

:data:`PARAM_TYPES` gives the type each option's value must have: that of its
default (a number, text or true/false), or, for an option without a default or
a duration, the type its evaluator reads (:data:`TYPE_OF_UNSET`).

The registry is read in two places, so that they cannot drift apart:

* when a config is loaded, :class:`~analytics.config.CriterionConfig` and the
  ``post_launch.criteria`` overrides refuse any other key
  (:func:`unknown_params_problem`) and a value of the wrong type
  (:func:`wrong_type_params`), so ``readiness check-config`` catches a
  misspelt option or a quoted number instead of a report failing on it later;
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
>>> PARAM_TYPES["latency_share"]["threshold_seconds"]
'a number'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from analytics.errors import ConfigError

__all__ = [
    "ANY",
    "CRITERION_PARAMS",
    "DURATION",
    "DURATION_PARAMS",
    "LIST",
    "NUMBER",
    "PARAM_TYPES",
    "SWITCH",
    "TEXT",
    "TYPE_OF_UNSET",
    "accepted_params",
    "check_params",
    "param",
    "unknown_params_problem",
    "wrong_type_params",
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

# The types a param's value can be asked to have; each is also the wording of
# the load-time message ("must be a number").
NUMBER: Final = "a number"
"""An int or a float, never true/false nor a quoted number."""
TEXT: Final = "text"
SWITCH: Final = "true or false"
LIST: Final = "a list"
DURATION: Final = "a duration"
"""Such as ``5m`` or ``14d``, or a number of seconds; its value is checked too."""
ANY: Final = "any value"
"""Not checked at load (the evaluator reads it)."""

DURATION_PARAMS: Final = ("horizon", "freq", "time_slice_window")
"""Params that are durations; each must be above zero (checked at load)."""

TYPE_OF_UNSET: Final[Mapping[str, str]] = MappingProxyType(
    {
        # analytics/evaluators_slo.py
        "threshold_seconds": NUMBER,
        "threshold_op": TEXT,
        "threshold_value": NUMBER,
        "time_slice_window": DURATION,
        "time_slice_target": NUMBER,
        # analytics/evaluators_capacity.py
        "forecast_peak_rps": NUMBER,
        "forecast_criterion": TEXT,  # a criterion id
        "limit": NUMBER,
        "seasonal_periods": LIST,
        "models": LIST,
        "aggregate": TEXT,
        # analytics/evaluators_adoption.py
        "go_live": ANY,  # an ISO 8601 time: text, or the timestamp YAML reads from one
        "features": LIST,
    }
)
"""The type of each param whose default is ``None``, by name (the same in every kind)."""


def _type_of(name: str, default: object) -> str:
    if name in DURATION_PARAMS:
        return DURATION
    if default is None:
        return TYPE_OF_UNSET[name]  # a KeyError here: give the new param its type
    if isinstance(default, bool):
        return SWITCH
    if isinstance(default, int | float):
        return NUMBER
    if isinstance(default, str):
        return TEXT
    raise TypeError(f"param {name!r}: no type for a default of {default!r}")


PARAM_TYPES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        kind: MappingProxyType(
            {name: _type_of(name, default) for name, default in opts.items()}
        )
        for kind, opts in CRITERION_PARAMS.items()
    }
)
"""Criterion kind -> {param name: the type its value must have (:data:`NUMBER`, ...)}."""


def _has_type(value: object, expected: str) -> bool:
    if expected == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == DURATION:
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if expected == SWITCH:
        return isinstance(value, bool)
    if expected == TEXT:
        return isinstance(value, str)
    if expected == LIST:
        return isinstance(value, list | tuple)
    return True


def wrong_type_params(
    kind: str, params: Mapping[Any, object]
) -> list[tuple[str, str, object]]:
    """``(key, expected type, value)`` of each param whose value has the wrong type.

    Numbers are read strictly, like the config's own numbers: ``'0.99'`` and
    ``true`` are not numbers, while a whole number is one (``quantile: 1`` is a
    number; its range is the evaluator's to judge). ``null`` for a param
    without a default means "not given". Unknown keys, and kinds without an
    evaluator, are left to :func:`unknown_params_problem`.

    >>> wrong_type_params("latency_p95", {"quantile": "0.99", "unit_scale": 1000})
    [('quantile', 'a number', '0.99')]
    >>> wrong_type_params("first_response", {"statistic": True})
    [('statistic', 'text', True)]
    >>> wrong_type_params("latency_share", {"threshold_seconds": None})
    []
    """
    types = PARAM_TYPES.get(kind, {})
    wrong = []
    for key, value in params.items():
        expected = types.get(key)
        if expected is None or (value is None and CRITERION_PARAMS[kind][key] is None):
            continue
        if not _has_type(value, expected):
            wrong.append((str(key), expected, value))
    return wrong


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
