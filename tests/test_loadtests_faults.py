"""Load-test readers on damaged files: rows rejected with reasons, clear errors.

Every file is hand-made in ``tmp_path``; the expected counts are written next
to the assertions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from analytics.errors import InputError
from analytics.frames import LoadResult
from analytics.readiness import Status
from analytics.report.go_no_go import build_go_no_go
from analytics.sources import loadtests as lt

JTL_HEADER = "timeStamp,elapsed,label,success\n"
T0 = 1772000000000  # 2026-02-25 06:13:20 UTC, in epoch milliseconds


def jtl(tmp_path: Path, rows: list[str], name: str = "r.jtl") -> Path:
    path = tmp_path / name
    path.write_text(JTL_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def jtl_rows(count: int, *, every_ms: int = 100, failed_every: int = 0) -> list[str]:
    """``count`` requests ``every_ms`` apart, 50 ms each; every n-th failed."""
    return [
        f"{T0 + i * every_ms},50,GET /,"
        + ("false" if failed_every and i % failed_every == 0 else "true")
        for i in range(count)
    ]


def reasons(load: LoadResult) -> dict[int, str]:
    """Reason code of each rejected row, by row number."""
    rejected = load.rejected
    return dict(zip(rejected["row_number"], rejected["reason_code"], strict=True))


def assert_adds_up(load: LoadResult) -> None:
    load.check_accounting()
    assert load.kind == lt.LOAD_STEPS_KIND
    assert load.rows_in == load.rows_used + load.rows_rejected


# ----------------------------------------------------------------- JMeter JTL


def test_jtl_counts_file_rows_not_steps(tmp_path: Path) -> None:
    # 1,200 requests over 120 s: 2 steps of 60 s, but 1,200 input rows.
    load = lt.read_jmeter_jtl(jtl(tmp_path, jtl_rows(1200)))
    assert (load.rows_in, load.rows_used, load.rows_rejected) == (1200, 1200, 0)
    assert len(load.frame) == 2
    assert load.row_times is not None and len(load.row_times) == 1200
    assert_adds_up(load)


def test_jtl_timestamp_in_scientific_notation_is_an_error(tmp_path: Path) -> None:
    path = jtl(tmp_path, ["1.772E+12,50,GET /,true"] * 3, name="excel.jtl")
    with pytest.raises(InputError) as caught:
        lt.read_jmeter_jtl(path)
    message = str(caught.value)
    assert "excel.jtl, row 2, column 'timeStamp'" in message
    assert "scientific notation" in message and "'1.772E+12'" in message
    assert "re-export the results from JMeter" in message
    assert "spreadsheet" in message


def test_jtl_timestamps_too_coarse_for_their_second_are_an_error(
    tmp_path: Path,
) -> None:
    # Plain digits, but every one a multiple of 10 s: the milliseconds were lost.
    path = jtl(tmp_path, [f"{T0},50,GET /,true", f"{T0 + 10_000},50,GET /,true"])
    with pytest.raises(InputError, match=r"whole multiple of 10 s.*re-export"):
        lt.read_jmeter_jtl(path)


def test_jtl_whole_second_timestamps_still_place_requests(tmp_path: Path) -> None:
    # Multiples of 1 s are coarse but place each request in its second.
    load = lt.read_jmeter_jtl(jtl(tmp_path, jtl_rows(20, every_ms=1000)))
    assert load.frame["requests"].tolist() == [20]


def test_jtl_elapsed_with_a_thousands_separator_is_a_rejected_row(
    tmp_path: Path,
) -> None:
    rows = jtl_rows(10)
    rows[3] = f'{T0 + 300},"1,234",GET /,true'  # line 5
    load = lt.read_jmeter_jtl(jtl(tmp_path, rows), step_seconds=1)
    assert reasons(load) == {5: "unparseable_number"}
    assert load.rejected.loc[0, "value"] == "1,234"
    assert load.rejected.loc[0, "column"] == "elapsed"
    # The row counts in no step: 9 requests, p95 of the 50 ms ones.
    assert load.frame["requests"].tolist() == [9]
    assert load.frame["p95_ms"].tolist() == [50.0]
    assert_adds_up(load)


def test_jtl_empty_elapsed_is_rejected_not_a_request(tmp_path: Path) -> None:
    rows = jtl_rows(10, failed_every=5)  # rows 0 and 5 failed
    rows[2] = f"{T0 + 200},,GET /,true"  # line 4
    load = lt.read_jmeter_jtl(jtl(tmp_path, rows), step_seconds=1)
    assert reasons(load) == {4: "missing_value"}
    row = load.frame.iloc[0]
    assert (row["requests"], row["error_ratio"]) == (9, pytest.approx(2 / 9))
    assert "1 of 10 JTL request rows were rejected" in load.notes[0]
    assert_adds_up(load)


@pytest.mark.parametrize("value", ["", "maybe", "1"])
def test_jtl_unknown_success_is_not_taken_for_a_success(
    tmp_path: Path, value: str
) -> None:
    rows = jtl_rows(4)
    rows[1] = f"{T0 + 100},50,GET /,{value}"  # line 3
    load = lt.read_jmeter_jtl(jtl(tmp_path, rows), step_seconds=1)
    assert reasons(load) == {3: "unknown_outcome"}
    assert load.frame["requests"].tolist() == [3]
    assert_adds_up(load)


def test_jtl_success_in_capitals_is_read(tmp_path: Path) -> None:
    rows = [f"{T0},50,GET /,TRUE", f"{T0 + 100},50,GET /,FALSE"]
    load = lt.read_jmeter_jtl(jtl(tmp_path, rows), step_seconds=1)
    assert load.frame["error_ratio"].tolist() == [0.5]


def test_jtl_negative_elapsed_is_rejected(tmp_path: Path) -> None:
    rows = jtl_rows(3)
    rows[0] = f"{T0},-5,GET /,true"
    load = lt.read_jmeter_jtl(jtl(tmp_path, rows), step_seconds=1)
    assert reasons(load) == {2: "invalid_number"}


def test_jtl_with_only_bad_rows_has_no_steps(tmp_path: Path) -> None:
    load = lt.read_jmeter_jtl(jtl(tmp_path, [f"{T0},x,GET /,true"]))
    assert load.frame.empty
    assert list(load.frame.columns) == list(lt.LOAD_STEPS_COLUMNS)
    assert isinstance(load.frame["started_at"].dtype, pd.DatetimeTZDtype)
    assert (load.rows_in, load.rows_used, load.rows_rejected) == (1, 0, 1)


def test_jtl_header_only_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"h\.jtl: no request rows.*only a header"):
        lt.read_jmeter_jtl(jtl(tmp_path, [], name="h.jtl"))


def test_empty_jtl_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jtl"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.jtl: cannot read CSV"):
        lt.read_jmeter_jtl(path)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_jtl_with_another_delimiter_is_read(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "d.jtl"
    text = JTL_HEADER + "".join(r + "\n" for r in jtl_rows(4, failed_every=2))
    path.write_text(text.replace(",", delimiter), encoding="utf-8")
    load = lt.read_jmeter_jtl(path, step_seconds=1)
    assert load.frame["error_ratio"].tolist() == [0.5]


# --------------------------------------------------------------- k6 NDJSON


def k6_line(metric: str, time: str, value: Any, **tags: str) -> str:
    data = {"time": time, "value": value, "tags": tags}
    return json.dumps({"type": "Point", "metric": metric, "data": data})


def k6_file(tmp_path: Path, lines: list[str], *, end: str = "\n") -> Path:
    path = tmp_path / "k6.ndjson"
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def k6_requests(
    count: int, *, failed: set[int], missing: frozenset[int] | set[int] = frozenset()
) -> list[str]:
    """Duration and failure points of ``count`` requests 0.1 s apart.

    Requests in ``failed`` failed; those in ``missing`` have no failure point.
    """
    lines = [
        json.dumps({"type": "Metric", "metric": "http_req_duration", "data": {}}),
    ]
    for i in range(count):
        time = f"2026-02-25T06:13:{20 + i // 10:02d}.{i % 10}00000Z"
        lines.append(k6_line("http_reqs", time, 1, name="GET /"))
        lines.append(k6_line("http_req_duration", time, 50.0, name="GET /"))
        if i not in missing:
            lines.append(
                k6_line("http_req_failed", time, int(i in failed), name="GET /")
            )
    return lines


def test_k6_missing_failure_point_never_makes_failures_zero(tmp_path: Path) -> None:
    # 10 requests, half failed; the failure point of request 3 is lost.
    lines = k6_requests(10, failed={0, 2, 4, 6, 8}, missing={3})
    load = lt.read_k6_ndjson(k6_file(tmp_path, lines), step_seconds=60)
    # Line 1 declares the metric; each request then has 3 lines (http_reqs first).
    assert reasons(load) == {1 + 3 * 3 + 2: "unknown_outcome"}
    row = load.frame.iloc[0]
    assert (row["requests"], row["error_ratio"]) == (9, pytest.approx(5 / 9))
    # Input rows are the duration and failure points only: 10 + 9.
    assert (load.rows_in, load.rows_used) == (19, 18)
    assert any("unknown_outcome 1" in note for note in load.notes)
    assert_adds_up(load)


def test_k6_without_any_failure_point_has_no_usable_request(tmp_path: Path) -> None:
    lines = k6_requests(4, failed=set(), missing={0, 1, 2, 3})
    load = lt.read_k6_ndjson(k6_file(tmp_path, lines))
    assert set(reasons(load).values()) == {"unknown_outcome"}
    assert load.frame.empty
    assert (load.rows_in, load.rows_used, load.rows_rejected) == (4, 0, 4)


def test_k6_request_without_failure_point_takes_expected_response_tag(
    tmp_path: Path,
) -> None:
    time = "2026-02-25T06:13:20.5Z"
    lines = [
        k6_line("http_req_duration", time, 40, expected_response="false"),
        k6_line("http_req_duration", time, 60, expected_response="true"),
    ]
    load = lt.read_k6_ndjson(k6_file(tmp_path, lines), step_seconds=1)
    assert load.rejected.empty
    assert load.frame["error_ratio"].tolist() == [0.5]


def test_k6_failure_points_match_requests_by_time_and_tags(tmp_path: Path) -> None:
    # Written out of order: each failure point belongs to its own request.
    a, b = "2026-02-25T06:13:20.1Z", "2026-02-25T06:13:20.2Z"
    lines = [
        k6_line("http_req_duration", a, 10, name="a"),
        k6_line("http_req_duration", b, 20, name="b"),
        k6_line("http_req_failed", b, 1, name="b"),
        k6_line("http_req_duration", b, 30, name="c"),
        k6_line("http_req_failed", a, 0, name="a"),
        k6_line("http_req_failed", a, 1, name="other"),  # no such request
    ]
    load = lt.read_k6_ndjson(k6_file(tmp_path, lines), step_seconds=1)
    # Request c has no failure point; the last failure point has no request.
    assert reasons(load) == {4: "unknown_outcome", 6: "no_request"}
    row = load.frame.iloc[0]
    assert (row["requests"], row["error_ratio"]) == (2, 0.5)
    assert_adds_up(load)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"type":"Point","metric":"http_req_duration","data":'
            '{"time":"2026-02-25T06:14:00Z","value":null}}',
            "missing_value",
        ),
        (
            '{"type":"Point","metric":"http_req_duration",'
            '"time":"2026-02-25T06:14:00Z"}',
            "missing_value",
        ),
        (
            '{"type":"Point","metric":"http_req_duration","data":{"value":5}}',
            "missing_value",
        ),
        (
            '{"type":"Point","metric":"http_req_duration","data":'
            '{"time":"2026-02-25T06:14:00Z","value":"5ms"}}',
            "unparseable_number",
        ),
        (
            '{"type":"Point","metric":"http_req_duration","data":'
            '{"time":"2026-02-25T06:14:00Z","value":-1}}',
            "invalid_number",
        ),
        (
            '{"type":"Point","metric":"http_req_duration","data":'
            '{"time":"yesterday","value":5}}',
            "unparseable_time",
        ),
        (
            '{"type":"Point","metric":"http_req_failed","data":'
            '{"time":"2026-02-25T06:14:00Z","value":0.5}}',
            "invalid_value",
        ),
        (
            '{"type":"Point","data":{"time":"2026-02-25T06:14:00Z","value":1}}',
            "missing_value",
        ),
        ("[1, 2]", "not_an_object"),
    ],
)
def test_k6_bad_point_is_a_rejected_line(
    tmp_path: Path, line: str, reason: str
) -> None:
    good = k6_requests(2, failed={1})[1:]  # 6 lines, 4 of them read
    load = lt.read_k6_ndjson(k6_file(tmp_path, [*good, line]), step_seconds=1)
    assert reasons(load) == {7: reason}
    assert load.rejected.loc[0, "message"]
    assert load.frame["requests"].tolist() == [2]
    assert (load.rows_in, load.rows_used) == (5, 4)
    assert_adds_up(load)


def test_k6_last_line_cut_short_is_rejected(tmp_path: Path) -> None:
    lines = k6_requests(2, failed=set())[1:]
    path = k6_file(tmp_path, [*lines, '{"type":"Point","metric":"http_req_fa'], end="")
    load = lt.read_k6_ndjson(path, step_seconds=1)
    assert reasons(load) == {7: "cut_short"}
    assert load.frame["requests"].tolist() == [2]
    assert_adds_up(load)


def test_k6_line_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    lines = k6_requests(2, failed=set())[1:]
    path = k6_file(tmp_path, [lines[0], "not json", *lines[1:]])
    with pytest.raises(InputError, match=r"k6\.ndjson, row 2: not JSON"):
        lt.read_k6_ndjson(path)


def test_k6_without_request_points_is_a_clear_error(tmp_path: Path) -> None:
    path = k6_file(tmp_path, [k6_line("vus", "2026-02-25T06:13:20Z", 5)])
    with pytest.raises(InputError, match="no http_req_duration points"):
        lt.read_k6_ndjson(path)


def test_k6_summary_without_counts_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text(
        json.dumps({"metrics": {"http_reqs": {}, "http_req_duration": {"p(95)": 5}}}),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"summary\.json: not a k6 summary"):
        lt.read_k6_summary(path)


# --------------------------------------------------------------------- Locust

HISTORY_HEADER = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,95%\n"


def history(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "h_stats_history.csv"
    path.write_text(HISTORY_HEADER + "".join(r + "\n" for r in rows), "utf-8")
    return path


def test_locust_history_bad_cells_are_rejected_rows(tmp_path: Path) -> None:
    rows = [
        "1772000000,0,,Aggregated,0,0,N/A",  # 2: nothing completed yet
        "1772000001,10,,Aggregated,100,0,40",  # 3
        "1772000001,10,GET,/api,100,0,40",  # 4: a part of row 3, not read
        "1772000002,10,,Aggregated,102,1,N/A",  # 5: no p95
        "1772000003,10,,Aggregated,1.234,0,44",  # 6
        "1772000004,ten,,Aggregated,99,0,41",  # 7
        "1772000005,20,,Aggregated,,0,70",  # 8
    ]
    load = lt.read_locust_history(history(tmp_path, rows))
    assert reasons(load) == {
        2: "no_requests",
        5: "unparseable_number",
        7: "unparseable_number",
        8: "missing_value",
    }
    assert (load.rows_in, load.rows_used) == (6, 2)
    steps = load.frame
    assert steps["step"].tolist() == [10]
    assert steps["p95_ms"].tolist() == [42.0]
    assert any("1 per-request-name rows not read" in n for n in load.notes)
    assert_adds_up(load)


def test_locust_history_header_only_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no 'Aggregated' row: the file has only"):
        lt.read_locust_history(history(tmp_path, []))


def test_empty_locust_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x_stats.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="cannot read CSV"):
        lt.read_locust_stats(path)


STATS_HEADER = "Type,Name,Request Count,Failure Count,Requests/s,95%\n"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (",Aggregated,12 000,60,1200.0,180", "Request Count"),
        (",Aggregated,12000,60,1200.0,N/A", "95%"),
        (",Aggregated,12000,,1200.0,180", "Failure Count"),
    ],
)
def test_locust_stats_bad_cell_names_row_and_column(
    tmp_path: Path, row: str, column: str
) -> None:
    path = tmp_path / "x_stats.csv"
    path.write_text(STATS_HEADER + "GET,/api,1,0,1,1\n" + row + "\n", "utf-8")
    with pytest.raises(InputError, match=rf"x_stats\.csv, row 3, column '{column}'"):
        lt.read_locust_stats(path)


def test_locust_stats_without_requests_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x_stats.csv"
    path.write_text(STATS_HEADER + ",Aggregated,0,0,0,N/A\n", "utf-8")
    with pytest.raises(InputError, match="counts no request"):
        lt.read_locust_stats(path)


# ------------------------------------------------------------- end to end


def run(tmp_path: Path, file: Path, fmt: str, target: float) -> Any:
    config = {
        "report": {"service": "api"},
        "as_of": "2026-03-02T08:00:00Z",
        "loadtests": [{"name": "lt", "path": file.name, "format": fmt}],
        "criteria": {"throughput": {"target": target, "alert": target / 2}},
    }
    path = tmp_path / "readiness.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return build_go_no_go(path)


def throughput(report: Any) -> Any:
    return next(r for r in report.results if r.criterion.criterion_id == "throughput")


def test_k6_cut_short_fails_like_the_whole_file(tmp_path: Path) -> None:
    # 40 requests a second for 60 s, half failed; one failure point lost.
    lines = []
    for i in range(2400):
        time = f"2026-02-25T06:{13 + (20 + i // 40) // 60:02d}:"
        time += f"{(20 + i // 40) % 60:02d}.{i % 40 * 25:03d}Z"
        lines.append(k6_line("http_req_duration", time, 50.0))
        if i != 7:
            lines.append(k6_line("http_req_failed", time, i % 2))
    report = run(tmp_path, k6_file(tmp_path, lines), "k6_ndjson", 10)
    result = throughput(report)
    assert result.status is Status.FAIL and result.value == 0.0
    row = report.evidence.inventory().iloc[0]
    assert (row["rows_in"], row["rows_used"], row["rows_rejected"]) == (4799, 4798, 1)
    assert row["records"] == 1


def test_jtl_rows_in_counts_requests_in_the_inventory(tmp_path: Path) -> None:
    report = run(tmp_path, jtl(tmp_path, jtl_rows(1200)), "jmeter_jtl", 5)
    row = report.evidence.inventory().iloc[0]
    assert (row["rows_in"], row["rows_used"], row["rows_rejected"]) == (1200, 1200, 0)
    assert row["records"] == 2
    assert throughput(report).status is Status.PASS
    note = "lt: 1,200 rows of raw jmeter_jtl results aggregated into 2 load steps"
    assert note in report.evidence.loadtests["lt"].notes


def test_load_test_without_usable_rows_is_no_data(tmp_path: Path) -> None:
    lines = k6_requests(4, failed=set(), missing={0, 1, 2, 3})
    report = run(tmp_path, k6_file(tmp_path, lines), "k6_ndjson", 1)
    result = throughput(report)
    assert result.status is Status.NO_DATA
    assert "load test 'lt' has no usable load step" in result.detail
    assert "; ;" not in result.detail


# ------------------------------------------------ timestamps in the wrong unit


@pytest.mark.parametrize(
    ("scale", "looks", "fix"),
    [
        (1000, "microseconds", "divide the timestamps by 1000"),
        (0.001, "seconds", "multiply the timestamps by 1000"),
    ],
)
def test_jtl_timestamps_in_another_unit_name_unit_row_and_fix(
    tmp_path: Path, scale: float, looks: str, fix: str
) -> None:
    # Microseconds crashed (strftime on a year-58000 time, exit 3); seconds
    # were read as January 1970 and the criterion had no data, with no hint.
    rows = [f"{int((T0 + i * 1000) * scale)},50,GET /,true" for i in range(5)]
    path = jtl(tmp_path, rows, name="unit.jtl")
    with pytest.raises(InputError) as caught:
        lt.read_jmeter_jtl(path)
    message = str(caught.value)
    assert "unit.jtl, row 2, column 'timeStamp'" in message
    assert f"look like epoch {looks}, not milliseconds (5 of 5 values)" in message
    assert f"(value '{int(T0 * scale)}')" in message
    assert "JMeter writes epoch milliseconds" in message
    assert fix in message


def test_jtl_one_row_in_another_unit_is_named(tmp_path: Path) -> None:
    rows = jtl_rows(5, every_ms=1000)
    rows[3] = f"{(T0 + 3000) // 1000},50,GET /,true"  # line 5, in seconds
    with pytest.raises(InputError, match=r"row 5, column 'timeStamp'.*1 of 5 values"):
        lt.read_jmeter_jtl(jtl(tmp_path, rows))


def test_locust_history_in_milliseconds_is_an_error(tmp_path: Path) -> None:
    rows = [f"{(1772000000 + i) * 1000},10,,Aggregated,100,0,40" for i in range(3)]
    with pytest.raises(InputError) as caught:
        lt.read_locust_history(history(tmp_path, rows))
    message = str(caught.value)
    assert "h_stats_history.csv, row 2, column 'Timestamp'" in message
    assert "look like epoch milliseconds, not seconds (3 of 3 values)" in message
    assert "Locust's --csv history writes epoch seconds" in message
    assert "divide the timestamps by 1000" in message


def test_locust_history_in_seconds_still_reads(tmp_path: Path) -> None:
    rows = [f"{1772000000 + i},10,,Aggregated,100,0,40" for i in range(3)]
    load = lt.read_locust_history(history(tmp_path, rows))
    assert load.frame["started_at"].tolist() == [
        pd.Timestamp(1772000000, unit="s", tz="UTC")
    ]


def test_jtl_infinite_timestamp_is_not_a_time(tmp_path: Path) -> None:
    path = jtl(tmp_path, [f"{T0},50,GET /,true", "inf,50,GET /,true"])
    with pytest.raises(
        InputError, match=r"row 3, column 'timeStamp': timeStamp is not"
    ):
        lt.read_jmeter_jtl(path)


# ------------------------------------------------------------ UTF-16 CSV files


@pytest.mark.parametrize(
    ("encoding", "name"), [("utf-16", "UTF-16LE"), ("utf-16-be", "UTF-16BE")]
)
@pytest.mark.parametrize("reader", ["jtl", "history", "stats"])
def test_utf16_load_test_csv_names_encoding_and_conversion(
    tmp_path: Path, encoding: str, name: str, reader: str
) -> None:
    text, read, file_name = {
        "jtl": (
            JTL_HEADER + "\n".join(jtl_rows(3)) + "\n",
            lt.read_jmeter_jtl,
            "r.jtl",
        ),
        "history": (
            HISTORY_HEADER + "1772000001,10,,Aggregated,100,0,40\n",
            lt.read_locust_history,
            "h_stats_history.csv",
        ),
        "stats": (
            STATS_HEADER + ",Aggregated,12000,60,1200.0,180\n",
            lt.read_locust_stats,
            "x_stats.csv",
        ),
    }[reader]
    path = tmp_path / file_name
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert f"is UTF-16 text ({name}), not UTF-8" in message
    assert f"iconv -f {name} -t UTF-8 {file_name}" in message
