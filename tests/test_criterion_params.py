"""The params registry: every kind's options, checked at load and by the evaluators."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from analytics.config import (
    CriterionConfig,
    PostLaunchSettings,
    default_criteria,
    load_config,
)
from analytics.criterion_params import (
    ANY,
    CRITERION_PARAMS,
    DURATION,
    DURATION_PARAMS,
    LIST,
    NUMBER,
    PARAM_TYPES,
    SWITCH,
    TEXT,
    TYPE_OF_UNSET,
    accepted_params,
    check_params,
    param,
    unknown_params_problem,
    wrong_type_params,
)
from analytics.errors import ConfigError
from analytics.evaluate import EVALUATORS
from analytics.report import post_launch
from analytics.report.post_launch import success_criteria_configs

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


# --- the registry and what reads it ---------------------------------------------------


def test_every_kind_with_an_evaluator_is_registered_and_no_other() -> None:
    # A kind missing here would have its params refused; a kind here without an
    # evaluator would be documented as taking options nothing reads.
    evaluated = set(EVALUATORS) | set(post_launch._LOCAL_EVALUATORS)
    assert set(CRITERION_PARAMS) == evaluated


def test_every_default_criterion_kind_is_registered() -> None:
    for name in ("launch_plan", "go_live_success"):
        for crit_id, fields in default_criteria(name).items():
            assert fields["kind"] in CRITERION_PARAMS, f"{name}: {crit_id}"
            assert (
                unknown_params_problem(fields["kind"], fields.get("params", {})) is None
            )


def _docs_table() -> list[str]:
    """The rows of docs/config.md's "Kind-specific params" table."""
    text = (ROOT / "docs" / "config.md").read_text("utf-8")
    section = text.split("## Kind-specific `params`", 1)[1]
    table = section.split("| kind | `params` |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    return table.splitlines()


def _documented_params() -> dict[str, dict[str, str | None]]:
    """The table of docs/config.md's "Kind-specific params": kind -> {param: default}."""
    documented: dict[str, dict[str, str | None]] = {}
    for row in _docs_table():
        kinds_cell, params_cell = row.strip("|").split("|")
        kinds = re.findall(r"`(\w+)`", re.sub(r"\(.*?\)", "", kinds_cell))
        # Backquoted names outside parentheses are params; "(default X; ...)" their default.
        entries = re.findall(
            r"`(\w+)`(?: \((?:default ([^);]*))?[^)]*\))?", params_cell
        )
        for kind in kinds:
            documented[kind] = {name: default or None for name, default in entries}
    return documented


def _documented_notes() -> dict[tuple[str, str], str]:
    """(kind, param) -> the parenthesis after the param in the docs table, or ""."""
    notes = {}
    for row in _docs_table():
        kinds_cell, params_cell = row.strip("|").split("|")
        kinds = re.findall(r"`(\w+)`", re.sub(r"\(.*?\)", "", kinds_cell))
        for name, note in re.findall(r"`(\w+)`(?: \(([^)]*)\))?", params_cell):
            for kind in kinds:
                notes[kind, name] = note
    return notes


def test_docs_table_gives_the_type_of_each_param_without_a_default() -> None:
    notes = _documented_notes()
    for kind, options in CRITERION_PARAMS.items():
        for name, default in options.items():
            expected = PARAM_TYPES[kind][name]
            if default is None and expected != ANY:
                assert expected in notes[kind, name], f"{kind}.{name}"


def test_docs_table_lists_every_kind_and_param_with_its_default() -> None:
    documented = _documented_params()
    assert set(documented) == set(CRITERION_PARAMS)
    for kind, options in CRITERION_PARAMS.items():
        assert set(documented[kind]) == set(options), kind
        for name, default in options.items():
            shown = documented[kind][name]
            if default is None:
                assert shown is None, f"{kind}.{name}: documented default {shown!r}"
            elif isinstance(default, int | float):
                assert shown is not None and float(shown) == default, f"{kind}.{name}"
            else:
                assert shown == default, f"{kind}.{name}"


# A value of each type; 1 is a positive duration (seconds) too.
EXAMPLE_OF_TYPE: dict[str, object] = {
    NUMBER: 1,
    TEXT: "x",
    SWITCH: True,
    LIST: ["x"],
    DURATION: 1,
    ANY: "2026-03-01T09:00:00Z",
}


@pytest.mark.parametrize("kind", sorted(CRITERION_PARAMS))
def test_every_registered_param_loads(kind: str) -> None:
    params = {name: EXAMPLE_OF_TYPE[t] for name, t in PARAM_TYPES[kind].items()}
    crit = CriterionConfig(title="t", kind=kind, target=3, params=params)
    assert crit.params == params


def test_every_param_has_a_type() -> None:
    # A param without a default needs its type in TYPE_OF_UNSET (import fails
    # otherwise); one with a default takes the default's type.
    assert set(PARAM_TYPES) == set(CRITERION_PARAMS)
    for kind, options in CRITERION_PARAMS.items():
        assert set(PARAM_TYPES[kind]) == set(options), kind
        for name, default in options.items():
            expected = PARAM_TYPES[kind][name]
            assert expected in EXAMPLE_OF_TYPE, f"{kind}.{name}"
            if default is not None and name not in DURATION_PARAMS:
                assert not wrong_type_params(kind, {name: default}), f"{kind}.{name}"
    assert set(TYPE_OF_UNSET) == {
        name
        for options in CRITERION_PARAMS.values()
        for name, default in options.items()
        if default is None
    }
    assert PARAM_TYPES["latency_share"]["threshold_seconds"] == NUMBER
    assert PARAM_TYPES["threshold_share"]["threshold_op"] == TEXT
    assert PARAM_TYPES["capacity_headroom"]["horizon"] == DURATION


def test_an_unregistered_param_cannot_be_read() -> None:
    assert param("csat", {}, "confidence") == 0.95
    assert param("csat", {"confidence": 0.9}, "confidence") == 0.9
    with pytest.raises(KeyError, match="'min_responses' is not registered"):
        param("csat", {}, "min_responses")


def test_kinds_without_an_evaluator_are_not_checked() -> None:
    assert accepted_params("not_a_kind") is None
    crit = CriterionConfig(title="t", kind="not_a_kind", target=3, params={"x": 1})
    assert crit.params == {"x": 1}


def test_the_evaluators_check_the_same_registry() -> None:
    with pytest.raises(ConfigError, match=r"criteria\.x\.params: unknown key\(s\)"):
        check_params("criteria.x.params", "throughput", {"p95": 300})


# --- unknown params are refused when the config is loaded --------------------------------


def _assert_one_line_load_error(
    tmp_path: Path, yaml_text: str, fragments: tuple[str, ...]
) -> None:
    """Loading ``yaml_text`` fails with one line naming the file and each fragment."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid config: ")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("yaml_text", "fragments"),
    [
        (
            "criteria:\n  csat:\n    params: {min_responses: 1}\n",
            (
                "criteria.csat.params: unknown key(s) ['min_responses'] for kind csat",
                "it accepts ['confidence']",
            ),
        ),
        (
            "criteria:\n  latency_p95:\n    params: {quantle: 0.9}\n",
            (
                "criteria.latency_p95.params: unknown key(s) ['quantle']",
                "did you mean 'quantile'?",
                "It accepts ['quantile', 'unit_scale']",
            ),
        ),
        (
            "criteria:\n  error_rate:\n    params: {quantile: 0.9}\n",
            ("criteria.error_rate.params", "which takes no params"),
        ),
        (
            "criteria:\n  q: {kind: threshold_share, title: q, target: 99,"
            " params: {threshold_op: lt, threshold_valu: 3}}\n",
            (
                "criteria.q.params",
                "['threshold_valu']",
                "did you mean 'threshold_value'?",
            ),
        ),
        (
            "post_launch:\n  criteria:\n    csat: {params: {confidnce: 0.9}}\n",
            (
                "post_launch.criteria.csat.params: unknown key(s) ['confidnce']",
                "did you mean 'confidence'?",
            ),
        ),
        (
            "post_launch:\n  criteria:\n    ticket_volume:\n"
            "      params: {history_days: 60, min_days: 7}\n",
            (
                "post_launch.criteria.ticket_volume.params: unknown key(s) ['min_days']",
                "did you mean 'min_history_days'?",
            ),
        ),
        (
            "post_launch:\n  criteria:\n    mine: {kind: adoption, title: m,"
            " target: 50, params: {mode: first_week, day: 7}}\n",
            ("post_launch.criteria.mine.params", "did you mean 'days'?"),
        ),
        (
            "post_launch:\n  criteria:\n    ticket_volume: {kind: critical_incidents}\n",
            (
                "post_launch.criteria.ticket_volume.params: unknown key(s)"
                " ['history_days', 'min_history_days'] for kind critical_incidents",
                "params of the default success criterion ticket_volume",
            ),
        ),
    ],
    ids=[
        "readiness",
        "did-you-mean",
        "kind-without-params",
        "new-criterion",
        "post-launch",
        "post-launch-local-kind",
        "post-launch-new-id",
        "post-launch-changed-kind",
    ],
)
def test_unknown_param_is_a_config_error_at_load(
    tmp_path: Path, yaml_text: str, fragments: tuple[str, ...]
) -> None:
    _assert_one_line_load_error(tmp_path, yaml_text, fragments)


def test_unknown_key_is_named_before_a_bad_duration(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("criteria:\n  csat:\n    params: {horizon: 0d}\n", "utf-8")
    with pytest.raises(ConfigError, match=re.escape("unknown key(s) ['horizon']")):
        load_config(path)


# --- params of the wrong type are refused when the config is loaded ---------------------

LATENCY_SHARE = (
    "  ls: {kind: latency_share, title: x, unit: '%%', target: 95, params: %s}\n"
)


@pytest.mark.parametrize(
    ("yaml_text", "fragments"),
    [
        # The fresh-user test's files (cfg_pq_str, cfg_pq_true, cfg_ls_str,
        # cfg_ls_true, cfg_fr_stat), which a report failed on after ~10 s.
        (
            "criteria:\n  latency_p95: {params: {quantile: '0.99'}}\n",
            (
                "criteria.latency_p95.params.quantile: must be a number, got '0.99'."
                " Fix: write the number without quotes, e.g. 0.99",
            ),
        ),
        (
            "criteria:\n  latency_p95: {params: {quantile: true}}\n",
            (
                "criteria.latency_p95.params.quantile: must be a number, got True."
                " Fix: write a number here, not true/false",
            ),
        ),
        (
            "criteria:\n" + LATENCY_SHARE % "{threshold_seconds: '0.3'}",
            (
                "criteria.ls.params.threshold_seconds: must be a number, got '0.3'."
                " Fix: write the number without quotes, e.g. 0.3",
            ),
        ),
        (
            "criteria:\n" + LATENCY_SHARE % "{threshold_seconds: true}",
            (
                "criteria.ls.params.threshold_seconds: must be a number, got True."
                " Fix: write a number here, not true/false",
            ),
        ),
        (
            "criteria:\n  first_response: {params: {statistic: true}}\n",
            (
                "criteria.first_response.params.statistic: must be text, got True."
                " Fix: write text here, not true/false",
                "quote such a word, e.g. 'no'",
            ),
        ),
        # Others of each type.
        (
            "criteria:\n  csat: {params: {confidence: 95%}}\n",
            (
                "criteria.csat.params.confidence: must be a number, got '95%'",
                "Fix: write the number without the % sign, e.g. 95",
            ),
        ),
        (
            "criteria:\n  q: {kind: threshold_share, title: q, target: 99,"
            " params: {threshold_op: lt, threshold_value: '3'}}\n",
            ("criteria.q.params.threshold_value: must be a number, got '3'",),
        ),
        (
            "criteria:\n  q: {kind: threshold_share, title: q, target: 99,"
            " params: {threshold_op: 1, threshold_value: 3}}\n",
            ("criteria.q.params.threshold_op: must be text, got 1",),
        ),
        (
            "criteria:\n  cap: {kind: capacity_headroom, title: c, target: 20,"
            " params: {limit: '80'}}\n",
            ("criteria.cap.params.limit: must be a number, got '80'", "e.g. 80"),
        ),
        (
            "criteria:\n  cap: {kind: capacity_headroom, title: c, target: 20,"
            " params: {limit: 80, horizon: true}}\n",
            (
                "criteria.cap.params.horizon: must be a duration (e.g. 5m) or a number"
                " of seconds, got True. Fix: write a duration here, not true/false",
            ),
        ),
        (
            "criteria:\n  f: {kind: feature_utilisation, title: f, target: 50,"
            " params: {features: 'search, export'}}\n",
            ("criteria.f.params.features: must be a list, got 'search, export'",),
        ),
        (
            "post_launch:\n  criteria:\n    csat: {params: {confidence: '0.9'}}\n",
            (
                "post_launch.criteria.csat.params.confidence: must be a number,"
                " got '0.9'. Fix: write the number without quotes, e.g. 0.9",
            ),
        ),
        (
            "post_launch:\n  criteria:\n    ticket_volume:\n"
            "      params: {history_days: true}\n",
            (
                "post_launch.criteria.ticket_volume.params.history_days: must be a"
                " number, got True",
            ),
        ),
    ],
    ids=[
        "quoted-quantile",
        "true-quantile",
        "quoted-threshold-seconds",
        "true-threshold-seconds",
        "true-statistic",
        "percent",
        "quoted-threshold-value",
        "number-op",
        "quoted-limit",
        "true-duration",
        "features-not-a-list",
        "post-launch",
        "post-launch-local-kind",
    ],
)
def test_param_of_the_wrong_type_is_a_config_error_at_load(
    tmp_path: Path, yaml_text: str, fragments: tuple[str, ...]
) -> None:
    _assert_one_line_load_error(tmp_path, yaml_text, fragments)


def test_whole_numbers_are_numbers(tmp_path: Path) -> None:
    # An int where the default is a float (and the reverse) is a number all the same.
    path = tmp_path / "c.yaml"
    path.write_text(
        "criteria:\n"
        "  latency_p95: {params: {unit_scale: 1000}}\n"
        "  csat: {params: {confidence: 1}}\n"
        + LATENCY_SHARE
        % "{threshold_seconds: 1}"
        + "  tp: {kind: throughput, title: t, target: 100,"
        " params: {p95_ms: 300, error_ratio: 0, min_duration_s: 60,"
        " forecast_peak_rps: 50}}\n"
        "  cap: {kind: capacity_headroom, title: c, target: 20,"
        " params: {limit: 80, folds: 4.0, horizon: 86400}}\n"
        "post_launch:\n  criteria:\n    ticket_volume:\n"
        "      params: {history_days: 60.5, min_history_days: 7}\n",
        "utf-8",
    )
    criteria = load_config(path).criteria
    assert criteria["latency_p95"].params == {"unit_scale": 1000}
    assert criteria["ls"].params == {"threshold_seconds": 1}
    assert criteria["tp"].params["error_ratio"] == 0
    assert criteria["cap"].params["folds"] == 4.0


def test_null_is_not_given_for_a_param_without_a_default() -> None:
    crit = CriterionConfig(
        title="t", kind="throughput", target=3, params={"forecast_peak_rps": None}
    )
    assert crit.params == {"forecast_peak_rps": None}
    with pytest.raises(ValidationError, match="must be a number, got None"):
        CriterionConfig(title="t", kind="csat", target=4, params={"confidence": None})


def test_a_criterion_built_in_code_is_checked_too() -> None:
    with pytest.raises(ValidationError, match=re.escape("['min_responses']")):
        CriterionConfig(title="t", kind="csat", target=4, params={"min_responses": 1})
    with pytest.raises(ValidationError, match="did you mean 'limit'"):
        PostLaunchSettings(
            criteria={"cap": {"kind": "capacity_headroom", "params": {"limt": 1}}}
        )
    with pytest.raises(ValidationError, match=re.escape("got '0.9'. Fix:")):
        CriterionConfig(title="t", kind="csat", target=4, params={"confidence": "0.9"})
    with pytest.raises(ValidationError, match=re.escape("must be a number, got '1'")):
        PostLaunchSettings(
            criteria={"cap": {"kind": "capacity_headroom", "params": {"limit": "1"}}}
        )


def test_changing_a_success_criterion_kind_with_its_params_loads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "post_launch:\n  criteria:\n"
        "    ticket_volume: {kind: critical_incidents, params: {}}\n",
        "utf-8",
    )
    configs = success_criteria_configs(
        load_config(path), pd.Timestamp("2026-03-01", tz="UTC")
    )
    assert configs["ticket_volume"][1].params == {}


# --- every config we ship or test with still loads -----------------------------------


def _fixture_configs() -> list[Path]:
    """Readiness configs under tests/fixtures, less the deliberately broken ones."""
    found = []
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.y*ml")):
        if path.parent.name == "bad_input" and path.name.startswith("config_"):
            continue  # each is refused on purpose, for its own reason (test_bad_input)
        if "apiVersion" in path.read_text("utf-8"):
            continue  # an OpenSLO file, not a readiness config
        found.append(path)
    return found


BUNDLED = [
    ROOT / "data" / "demo" / "readiness.yaml",
    ROOT / "data" / "scenario" / "readiness.yaml",
    *_fixture_configs(),
]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_configs_and_their_success_criteria_load(path: Path) -> None:
    config = load_config(path)
    # The post-launch review merges params of the readiness criterion of the same
    # kind, the defaults and the overrides (go_live for adoption): all accepted.
    success = success_criteria_configs(config, pd.Timestamp("2026-03-01", tz="UTC"))
    assert success
    for crit_id, crit in config.criteria.items():
        assert unknown_params_problem(crit.kind, crit.params) is None, crit_id


def test_the_fixture_configs_are_found() -> None:
    assert any(p.parent.name == "after_window" for p in BUNDLED)


def _yaml_examples() -> list[tuple[str, Any]]:
    examples = []
    for doc in DOCS:
        text = doc.read_text("utf-8")
        for number, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
            try:
                loaded = yaml.safe_load(block)
            except yaml.YAMLError:
                continue  # not a whole YAML document
            if isinstance(loaded, dict):
                examples.append((f"{doc.name}[{number}]", loaded))
    return examples


def _criteria_of(example: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Criteria of a whole config, or of a fragment listing criteria by id."""
    if isinstance(example.get("criteria"), dict):
        return dict(example["criteria"])
    return {
        key: value
        for key, value in example.items()
        if isinstance(value, dict) and "kind" in value
    }


def test_docs_examples_hold_only_known_params() -> None:
    defaults = default_criteria()
    checked = 0
    for where, example in _yaml_examples():
        for crit_id, fields in _criteria_of(example).items():
            merged = {**defaults.get(crit_id, {}), **fields}
            crit = CriterionConfig.model_validate(merged)  # refuses unknown params
            assert unknown_params_problem(crit.kind, crit.params) is None, where
            checked += 1
        if isinstance(example.get("post_launch"), dict):
            PostLaunchSettings.model_validate(example["post_launch"])
    assert checked >= 3  # the examples of docs/config.md, prometheus.md and README


# --- OpenSLO import produces only registered params -----------------------------------

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: %(name)s}
spec:
  budgetingMethod: %(method)s
  timeWindow: [{duration: 1h, isRolling: true}]
  indicator:
    metadata: {name: %(name)s-sli}
    spec: %(indicator)s
  objectives: [%(objective)s]
"""
GOOD_TOTAL = (
    "{ratioMetric: {counter: true, good: {metricSource: {type: Prometheus,"
    " spec: {query: good}}}, total: {metricSource: {type: Prometheus,"
    " spec: {query: total}}}}}"
)
BAD_TOTAL = GOOD_TOTAL.replace("good:", "bad:").replace("query: good", "query: bad")
THRESHOLD = (
    "{thresholdMetric: {metricSource: {type: Prometheus, spec: {query: gauge}}}}"
)
SLICES = "timeSliceTarget: 0.95, timeSliceWindow: 5m"


def test_openslo_import_produces_registered_params(tmp_path: Path) -> None:
    slos = [
        ("ok", "Occurrences", GOOD_TOTAL, "{target: 0.99}"),
        ("bad", "Occurrences", BAD_TOTAL, "{target: 0.99}"),
        ("sliced", "Timeslices", GOOD_TOTAL, f"{{target: 0.99, {SLICES}}}"),
        ("mean", "RatioTimeslices", BAD_TOTAL, "{target: 0.99, timeSliceWindow: 5m}"),
        ("gauge", "Occurrences", THRESHOLD, "{op: lt, value: 3, target: 0.99}"),
        (
            "gauge-sliced",
            "Timeslices",
            THRESHOLD,
            f"{{op: lt, value: 3, target: 0.99, {SLICES}}}",
        ),
    ]
    text = "---\n".join(
        OPENSLO % {"name": n, "method": m, "indicator": i, "objective": o}
        for n, m, i, o in slos
    )
    (tmp_path / "slos.yaml").write_text(text, "utf-8")
    sources = "".join(
        f"  - {{name: {name}, path: {name}.csv, format: csv}}\n"
        for name in ("good", "bad", "total", "gauge")
    )
    config = tmp_path / "c.yaml"
    config.write_text(f"metrics:\n{sources}openslo: [slos.yaml]\n", "utf-8")
    criteria = load_config(config).criteria
    kinds = {name: criteria[name].kind for name, *_ in slos}
    assert kinds == {
        "ok": "availability",
        "bad": "slo_ratio",
        "sliced": "slo_ratio",
        "mean": "slo_ratio",
        "gauge": "threshold_share",
        "gauge-sliced": "threshold_share",
    }
    assert set(criteria["gauge-sliced"].params) == set(
        CRITERION_PARAMS["threshold_share"]
    )
