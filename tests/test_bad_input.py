"""A corpus of bad and awkward inputs, one case per file in tests/fixtures/bad_input.

For every case the reader either raises one clear :class:`AnalyticsError` (one
line, naming the file, with the fix) or loads the file with the bad rows
rejected with a reason, so that rows in = rows used + rows rejected. No bare
library exception (pandas, json, gzip, yaml, pydantic) may escape.

Cases where the current code is unclear or wrong are marked
``xfail(strict=True)`` with the reason; fixing the code makes them pass.
"""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from analytics.checklist import read_checklist
from analytics.config import load_config
from analytics.errors import AnalyticsError, ConfigError, InputError
from analytics.frames import LoadResult
from analytics.metrics.slo import counter_increase
from analytics.readiness import Status
from analytics.report.go_no_go import build_go_no_go
from analytics.sources.jira import read_jira_csv
from analytics.sources.metric_files import read_metric_csv
from analytics.sources.prometheus_json import read_prometheus_json
from analytics.sources.servicenow import read_servicenow_csv
from analytics.sources.surveys import read_survey_csv

BAD = Path(__file__).resolve().parent / "fixtures" / "bad_input"


@dataclass(frozen=True)
class Case:
    """One bad input and what must happen to it."""

    reader: Callable[..., Any]
    file: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    # An error: its message must match every pattern (case-insensitive).
    error: tuple[str, ...] = ()
    # Rows: these reason codes, and this many rows used.
    reasons: tuple[str, ...] = ()
    used: int | None = None


def _error(reader: Callable[..., Any], file: str, *hints: str, **kw: Any) -> Case:
    return Case(reader, file, kw, error=hints)


def _rows(
    reader: Callable[..., Any], file: str, used: int, *reasons: str, **kw: Any
) -> Case:
    return Case(reader, file, kw, reasons=reasons, used=used)


SEMICOLON = (
    r"(separated|delimited) by semicolons?|semicolon[- ]separated|delimiter|separator"
)

CASES: dict[str, Any] = {
    # --- ServiceNow CSV -----------------------------------------------------------
    "sn-truncated-gzip": _error(
        read_servicenow_csv,
        "sn_truncated.csv.gz",
        "cannot be read",
        "damaged gzip",
        "fix: export or copy it again",
    ),
    "sn-not-utf8": _error(read_servicenow_csv, "sn_latin1.csv", "utf-8", "iconv"),
    "sn-bom": _rows(read_servicenow_csv, "sn_bom.csv", 2),
    "sn-semicolon": _error(read_servicenow_csv, "sn_semicolon.csv", SEMICOLON),
    "sn-empty": _error(read_servicenow_csv, "sn_empty.csv", "is empty", "fix:"),
    "sn-header-only": _error(
        read_servicenow_csv, "sn_header_only.csv", "no data rows", "fix:"
    ),
    "sn-renamed-column": _error(
        read_servicenow_csv, "sn_renamed_column.csv", "opened_at", "column_map"
    ),
    "sn-duplicate-ids-plain": _rows(
        read_servicenow_csv, "sn_duplicate_ids.csv", 2, "duplicate_row", event_log=False
    ),
    "sn-duplicate-ids-auto": _error(
        read_servicenow_csv, "sn_duplicate_ids.csv", "event.?log", "repeat"
    ),
    "sn-resolved-before-opened": _rows(
        read_servicenow_csv,
        "sn_resolved_before_opened.csv",
        2,
        "resolved_before_opened",
    ),
    "sn-unknown-priority": _rows(
        read_servicenow_csv, "sn_unknown_priority.csv", 2, "unknown_priority"
    ),
    "sn-negative-count": _rows(
        read_servicenow_csv, "sn_negative_count.csv", 1, "invalid_number"
    ),
    "sn-dst-gap": _rows(
        read_servicenow_csv,
        "sn_dst_gap.csv",
        2,
        "nonexistent_local_time",
        timezone="Europe/Berlin",
    ),
    "sn-ambiguous-date-order": _error(
        read_servicenow_csv, "sn_ambiguous_order.csv", "ambiguous", "date_order"
    ),
    "sn-wrong-date-order": _error(
        read_servicenow_csv,
        "sn_dayfirst.csv",
        "do not fit date_order monthfirst but do fit dayfirst",
        "date_order",
        date_order="monthfirst",
    ),
    "sn-unparseable-date": _rows(
        read_servicenow_csv,
        "sn_unparseable_date.csv",
        2,
        "unparseable_date",
        date_order="iso",
    ),
    # --- Prometheus JSON ----------------------------------------------------------
    "prom-nan-inf": _rows(
        read_prometheus_json, "prom_nan_inf.json", 2, "nan_value", "infinite_value"
    ),
    "prom-error-body": _error(
        read_prometheus_json, "prom_error_body.json", "error response", "bad_data"
    ),
    "prom-truncated": _error(read_prometheus_json, "prom_truncated.json", "not json"),
    "prom-empty": _error(read_prometheus_json, "prom_empty.json", "empty"),
    "prom-milliseconds": _error(
        read_prometheus_json, "prom_millis.json", "milliseconds", "1000"
    ),
    "prom-html-proxy-page": _error(
        read_prometheus_json, "prom_html_error_page.json", "not json"
    ),
    "prom-conflicting-samples": _rows(
        read_prometheus_json,
        "prom_conflicting.json",
        1,
        "conflicting_sample",
        "duplicate_sample",
    ),
    "prom-counter-reset": _rows(read_prometheus_json, "prom_counter_reset.json", 6),
    "prom-truncated-gzip": _error(
        read_prometheus_json, "prom_truncated.json.gz", "damaged gzip", "again"
    ),
    # --- metric CSV ---------------------------------------------------------------
    "metric-semicolon": _error(
        read_metric_csv, "metric_semicolon.csv", SEMICOLON, metric="up"
    ),
    "metric-not-utf8": _error(
        read_metric_csv, "metric_latin1.csv", "utf-8", "fix:", metric="up"
    ),
    "metric-bom": _rows(read_metric_csv, "metric_bom.csv", 1, metric="up"),
    "metric-renamed-column": _error(
        read_metric_csv,
        "metric_missing_value_column.csv",
        "'value'",
        "column_map",
        metric="up",
    ),
    "metric-bad-rows": _rows(
        read_metric_csv,
        "metric_bad_rows.csv",
        2,
        "unparseable_date",
        "unparseable_value",
        "nan_value",
        metric="up",
    ),
    "metric-header-only": _error(
        read_metric_csv, "metric_header_only.csv", "no data rows", metric="up"
    ),
    # A plain CSV named .gz, and a gzip cut short: pandas used to raise
    # BadGzipFile / EOFError naming no file.
    "metric-not-gzip": _error(
        read_metric_csv,
        "metric_not_gzip.csv.gz",
        "named .gz but is not gzip-compressed",
        "remove .gz from its name",
        metric="up",
    ),
    "metric-truncated-gzip": _error(
        read_metric_csv,
        "metric_truncated.csv.gz",
        "damaged gzip file, cut short",
        "export or copy it again",
        metric="up",
    ),
    # --- checklist ----------------------------------------------------------------
    "checklist-empty": _error(read_checklist, "checklist_empty.csv", "empty", "fix:"),
    "checklist-not-utf8": _error(
        read_checklist, "checklist_latin1.csv", "utf-8", "fix:"
    ),
    "checklist-bom": _rows(read_checklist, "checklist_bom.csv", 1),
    "checklist-bad-rows": _rows(
        read_checklist,
        "checklist_bad_rows.csv",
        1,
        "unknown_status",
        "missing_value",
        "unparseable_date",
        "invalid_value",
    ),
    "checklist-semicolon": _error(read_checklist, "checklist_semicolon.csv", SEMICOLON),
    "checklist-missing-column": _error(
        read_checklist, "checklist_missing_column.csv", "owner", "fix:"
    ),
    "checklist-truncated-gzip": _error(
        read_checklist, "checklist_truncated.csv.gz", "damaged gzip", "fix:"
    ),
    "checklist-header-only": _error(
        read_checklist, "checklist_header_only.csv", "no (data rows|items)"
    ),
    # --- surveys ------------------------------------------------------------------
    "survey-out-of-range": _rows(
        read_survey_csv,
        "survey_out_of_range.csv",
        1,
        "out_of_range",
        "unparseable_number",
        "duplicate_id",
        kind="csat",
    ),
    "survey-empty": _error(read_survey_csv, "survey_empty.csv", "empty", kind="csat"),
    "survey-bad-date": _rows(
        read_survey_csv, "survey_bad_dates.csv", 1, "unparseable_date", kind="csat"
    ),
    # --- Jira ---------------------------------------------------------------------
    "jira-bad-rows": _rows(
        read_jira_csv,
        "jira_bad_rows.csv",
        1,
        "duplicate_id",
        "unknown_priority",
        "resolved_before_created",
        "negative_duration",
    ),
    "jira-header-only": _error(read_jira_csv, "jira_header_only.csv", "no data rows"),
    "jira-wrong-date-format": _error(
        read_jira_csv, "jira_iso_dates.csv", "date format", "date_format="
    ),
    "jira-truncated-gzip": _error(
        read_jira_csv, "jira_truncated.csv.gz", "cannot be read", "damaged gzip"
    ),
    # --- config -------------------------------------------------------------------
    "config-typo-key": _error(
        load_config, "config_typo_key.yaml", "unknown key 'checklst'", "spelling"
    ),
    "config-criterion-typo": _error(
        load_config, "config_criterion_typo.yaml", "availabilty", "fix:"
    ),
    "config-target-above-100": _error(
        load_config, "config_target_999.yaml", "above 100 %", "fix:"
    ),
    "config-target-with-percent-sign": _error(
        load_config, "config_target_above_100.yaml", "99.95%", "fix:"
    ),
    "config-bad-yaml": _error(load_config, "config_bad_yaml.yaml", "not valid yaml"),
    "config-unknown-format": _error(
        load_config, "config_unknown_format.yaml", "servicenow_xlsx", "servicenow_csv"
    ),
    "config-bad-lookback": _error(
        load_config, "config_bad_lookback.yaml", "not a duration", "30d"
    ),
}


def _params() -> list[Any]:
    params = []
    for name, case in CASES.items():
        if isinstance(case, Case):
            params.append(pytest.param(case, id=name))
        else:
            params.append(pytest.param(*case.values, id=name, marks=case.marks))
    return params


def _run(case: Case) -> tuple[LoadResult | None, AnalyticsError | None]:
    try:
        result = case.reader(BAD / case.file, **case.kwargs)
    except AnalyticsError as error:
        return None, error
    except Exception as error:  # the point of the corpus
        pytest.fail(
            f"{case.file}: bare {type(error).__module__}.{type(error).__name__}"
            f" escaped: {error}"
        )
    return result, None


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case) -> None:
    result, error = _run(case)
    if case.error:
        assert error is not None, f"{case.file}: loaded without an error"
        message = str(error)
        assert case.file in message, f"message does not name the file: {message}"
        assert "\n" not in message, "the CLI prints errors as one line"
        if isinstance(error, InputError):
            assert error.fix, f"InputError without a fix: {message}"
        else:
            assert isinstance(error, ConfigError)
        # Hints are looked for in the text around the path, not in the file name.
        text = message.replace(str(BAD / case.file), "<file>")
        for hint in case.error:
            assert re.search(hint, text, re.IGNORECASE), (hint, message)
        return
    assert error is None, f"{case.file}: unexpected error {error}"
    assert result is not None
    assert result.rows_in == result.rows_used + result.rows_rejected
    assert result.rows_used == case.used
    codes = set(result.rejected["reason_code"])
    assert codes == set(case.reasons)
    assert (result.rejected["message"].str.len() > 0).all()
    assert result.rejected["row_number"].notna().all()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    used = {c.file if isinstance(c, Case) else c.values[0].file for c in CASES.values()}
    used |= {"sn_resolved_in_2099.csv"}  # its own test below
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()}
    assert on_disk - used == set(), "fixture files without a case"


def test_counter_reset_is_an_increase_not_a_drop() -> None:
    result = read_prometheus_json(BAD / "prom_counter_reset.json")
    # 100 -> 160 -> 220, reset, 5 -> 70 -> 130: 60 + 60 + 5 + 65 + 60.
    assert counter_increase(result.frame["value"]) == 250.0


def test_resolution_far_in_the_future_is_kept_but_not_known_at_decision_time() -> None:
    """A resolved_at in 2099 is not rejected by the reader (it cannot know 'now')."""
    result = read_servicenow_csv(BAD / "sn_resolved_in_2099.csv")
    assert result.rows_in == result.rows_used + result.rows_rejected == 3


def test_series_starting_after_the_window_is_no_data_not_go() -> None:
    report = build_go_no_go(BAD / "after_window" / "readiness.yaml")
    availability = next(
        r for r in report.results if r.criterion.criterion_id == "availability"
    )
    assert availability.status is Status.NO_DATA
    assert str(report.decision) != "GO"
    load = report.evidence.metrics["up"]
    assert load.rows_in == load.rows_used + load.rows_rejected == 120


def test_gzip_prometheus_dump_is_read_by_content(tmp_path: Path) -> None:
    dump = tmp_path / "counter.json.gz"
    dump.write_bytes(gzip.compress((BAD / "prom_counter_reset.json").read_bytes()))
    assert read_prometheus_json(dump).rows_used == 6


def test_damaged_gzip_in_a_config_is_an_input_error_naming_it(tmp_path: Path) -> None:
    """build_go_no_go used to raise a bare BadGzipFile (no file name)."""
    shutil.copy(BAD / "metric_truncated.csv.gz", tmp_path / "up.csv.gz")
    config = tmp_path / "readiness.yaml"
    config.write_text(
        "as_of: '2016-06-29'\n"
        "metrics:\n  - {name: up, path: up.csv.gz, format: csv, metric: up}\n"
    )
    with pytest.raises(
        InputError, match=r"up\.csv\.gz: cannot be read: .*damaged gzip"
    ):
        build_go_no_go(config)
