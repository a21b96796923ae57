"""Tests for analytics.sources.prometheus_json (saved Prometheus query results)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import InputError
from analytics.frames import REJECTED_COLUMNS, ROW_TIME, SAMPLES_COLUMNS
from analytics.sources import prometheus_json
from analytics.sources.metric_files import (
    TIMESTAMP_DTYPE,
    assemble_samples,
    epoch_seconds_to_utc,
    parse_values,
    series_key,
)
from analytics.sources.prometheus_json import PARTIAL_NOTE_PREFIX, read_prometheus_json

FIXTURES = Path(__file__).parent / "fixtures" / "metrics"
REAL_DUMP = Path(__file__).resolve().parents[1] / "data" / "demo" / "prometheus" / "up"
T0 = pd.Timestamp("2024-05-01T10:00:00Z")  # 1714557600


def test_full_matrix_response_is_read_with_rejections_and_warnings() -> None:
    result = read_prometheus_json(FIXTURES / "response_matrix.json")

    assert result.kind == "samples"
    assert tuple(result.frame.columns) == SAMPLES_COLUMNS
    assert tuple(result.rejected.columns) == (*REJECTED_COLUMNS, ROW_TIME)
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (7, 5, 2)
    result.check_accounting()

    rejected = result.rejected.set_index("row_number")
    assert rejected.loc[3, "reason_code"] == "nan_value"
    assert rejected.loc[3, "value"] == "NaN"
    assert rejected.loc[6, "reason_code"] == "infinite_value"
    assert rejected.loc[6, "value"] == "+Inf"
    assert set(result.rejected["source_file"]) == {
        str(FIXTURES / "response_matrix.json")
    }

    assert result.partial is True
    assert [n for n in result.notes if n.startswith(PARTIAL_NOTE_PREFIX)] == [
        f"{PARTIAL_NOTE_PREFIX} {FIXTURES / 'response_matrix.json'}:"
        " query timed out on one store: results may be incomplete"
    ]


def test_samples_frame_is_canonical_sorted_and_utc() -> None:
    frame = read_prometheus_json(FIXTURES / "response_matrix.json").frame

    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    assert frame["series"].tolist() == [
        'up{instance="a:9100",job="api"}',
        'up{instance="a:9100",job="api"}',
        'up{instance="a:9100",job="api"}',
        'up{instance="b:9100",job="db"}',
        'up{instance="b:9100",job="db"}',
    ]
    assert frame["timestamp"].tolist() == [
        T0,
        T0 + pd.Timedelta(seconds=20),
        T0 + pd.Timedelta(seconds=60),
        T0 + pd.Timedelta(seconds=0.5),
        T0 + pd.Timedelta(seconds=40.5),
    ]
    assert frame["value"].tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]
    assert frame["labels"].iloc[0] == {"instance": "a:9100", "job": "api"}
    assert (frame["metric"] == "up").all()


def test_label_dicts_are_independent_per_row() -> None:
    frame = read_prometheus_json(FIXTURES / "response_matrix.json").frame
    frame["labels"].iloc[0]["job"] = "changed"
    assert frame["labels"].iloc[1]["job"] == "api"


def test_vector_response_and_unnamed_series() -> None:
    result = read_prometheus_json(FIXTURES / "response_vector.json", metric="up_expr")

    # Sorted by series key: "_" sorts before "{".
    assert result.frame["series"].tolist() == ['up_expr{job="db"}', 'up{job="api"}']
    assert result.frame["value"].tolist() == [0.0, 1.0]
    assert result.partial is False
    assert not any(n.startswith(PARTIAL_NOTE_PREFIX) for n in result.notes)


def test_chunks_share_a_border_sample_and_one_conflicts() -> None:
    files = [FIXTURES / "chunks" / "part1.json", FIXTURES / "chunks" / "part2.json"]
    result = read_prometheus_json(files)

    # 12 samples: api repeats 10:00:40 with the same value (kept once), db
    # repeats it with 1 and 0 (both copies rejected: the instant is unknown).
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (12, 9, 3)
    result.check_accounting()
    reasons = result.rejected[["source_file", "row_number", "reason_code"]]
    assert reasons.values.tolist() == [
        [str(files[0]), 6, "conflicting_sample"],
        [str(files[1]), 1, "duplicate_sample"],
        [str(files[1]), 4, "conflicting_sample"],
    ]
    db = result.frame[result.frame["series"] == 'up{job="db"}']
    assert T0 + pd.Timedelta(seconds=40) not in set(db["timestamp"])
    assert result.source_file == ";".join(str(f) for f in files)
    assert set(result.file_hashes) == {str(f) for f in files}
    assert len(result.sha256) == 64


def test_row_numbers_restart_per_file_and_accounting_counts_pairs() -> None:
    files = [FIXTURES / "chunks" / "part1.json", FIXTURES / "chunks" / "part2.json"]
    result = read_prometheus_json(files)
    # Row 4 is rejected in part2 only, row 6 in part1 only: pairs are distinct.
    assert result.rows_rejected == len(result.rejected) == 3


def test_folder_glob_and_list_give_the_same_frame(tmp_path: Path) -> None:
    for name in ("part1.json", "part2.json"):
        shutil.copy(FIXTURES / "chunks" / name, tmp_path / name)
    (tmp_path / "README.txt").write_text("not read")

    from_folder = read_prometheus_json(tmp_path)
    from_glob = read_prometheus_json(str(tmp_path / "part*.json"))
    from_list = read_prometheus_json([tmp_path / "part1.json", tmp_path / "part2.json"])

    pd.testing.assert_frame_equal(from_folder.frame, from_list.frame)
    pd.testing.assert_frame_equal(from_glob.frame, from_list.frame)
    assert from_folder.files == (
        str(tmp_path / "part1.json"),
        str(tmp_path / "part2.json"),
    )


def test_one_info_line_per_file(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="analytics.sources.prometheus_json")
    read_prometheus_json(FIXTURES / "chunks")
    per_file = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("read ")
    ]
    assert len(per_file) == 2
    assert "part1.json: 6 samples, 2 series in" in per_file[0]


def test_empty_result_is_no_series_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    path.write_text(
        '{"status": "success", "data": {"resultType": "matrix", "result": []}}'
    )
    result = read_prometheus_json(path)
    assert result.frame.empty
    assert tuple(result.frame.columns) == SAMPLES_COLUMNS
    assert result.rows_in == 0
    assert any("holds no series" in note for note in result.notes)


def test_series_key_sorts_and_escapes() -> None:
    assert series_key("up", {"job": 'a"b', "instance": "x\\y"}) == (
        'up{instance="x\\\\y",job="a\\"b"}'
    )


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "error_response.json",
            "Prometheus error response (bad_data: exceeded maximum",
        ),
        ("not_json.json", "not JSON (Expecting value at line 1, column 1)"),
        ("empty.json", "the file is empty"),
        ("millis.json", "timestamps look like milliseconds"),
        ("scalar.json", "resultType 'scalar' holds no series"),
        ("missing_values.json", "series 1 (up{job=\"api\"}) has no 'values' list"),
    ],
)
def test_bad_files_raise_input_error_naming_the_file(name: str, problem: str) -> None:
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        read_prometheus_json(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert problem in message
    assert "Fix:" in message


def test_bad_file_among_good_ones_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"millis\.json: timestamps look like"):
        read_prometheus_json(
            [FIXTURES / "chunks" / "part1.json", FIXTURES / "millis.json"]
        )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            '{"status": "success",'
            ' "data": {"resultType": "string", "result": [1, "x"]}}',
            "'string'",
        ),
        ('{"data": 3}', "not a Prometheus query response"),
        ('"up"', "expected a JSON object or list, found str"),
        ('[{"metric": {"job": "a"}, "values": [[1714557600]]}]', "is not a [timestamp"),
        ('[{"metric": {"job": "a"}, "histograms": []}]', "native histograms"),
    ],
)
def test_other_shapes_raise(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(body)
    with pytest.raises(InputError, match=r"odd\.json") as caught:
        read_prometheus_json(path)
    assert problem in str(caught.value)


def test_missing_paths_raise(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        read_prometheus_json(tmp_path / "nope.json")
    with pytest.raises(InputError, match="no file matches"):
        read_prometheus_json(str(tmp_path / "*.json"))
    with pytest.raises(InputError, match=r"holds no \*\.json files"):
        read_prometheus_json(tmp_path)


# --- the real dump: 48 h of `up` from a public Prometheus (MIT licence) ---------------


@pytest.fixture(scope="module")
def real_dump() -> pd.DataFrame:
    if not REAL_DUMP.is_dir():
        pytest.fail(f"bundled real data missing at {REAL_DUMP}")
    result = read_prometheus_json(REAL_DUMP)
    result.check_accounting()
    # The 8 six-hour chunks do not overlap: no border duplicates, nothing rejected.
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (
        54_712,
        54_712,
        0,
    )
    assert len(result.files) == 8
    assert result.partial is False
    return result.frame


@pytest.mark.slow
def test_real_dump_counts(real_dump: pd.DataFrame) -> None:
    assert len(real_dump) == 54_712
    assert real_dump["series"].nunique() == 9
    jobs = real_dump["labels"].map(lambda labels: labels["job"])
    assert jobs.nunique() == 7  # prophet has three instances
    assert jobs.value_counts().to_dict() == {
        "Thoth Dgraph aggregate-exporter (test)": 8_640,
        "prophet": 8_640,
        "thoth metrics": 8_640,
        "Thoth Dgraph aggregate-exporter (stage)": 8_639,
        "Thoth Metrics (stage)": 8_638,
        "Thoth Metrics (test)": 8_635,
        "fourier": 2_880,
    }
    assert set(real_dump["value"]) == {0.0, 1.0}
    assert int((real_dump["value"] == 0).sum()) == 5_549


@pytest.mark.slow
def test_real_dump_prophet_has_3045_zero_samples(real_dump: pd.DataFrame) -> None:
    prophet = real_dump[
        real_dump["labels"].map(lambda labels: labels["job"] == "prophet")
    ]
    assert int((prophet["value"] == 0).sum()) == 3_045
    assert prophet["series"].nunique() == 3


@pytest.mark.slow
def test_real_dump_spans_48_hours_at_20_and_60_seconds(real_dump: pd.DataFrame) -> None:
    first, last = real_dump["timestamp"].min(), real_dump["timestamp"].max()
    assert first >= pd.Timestamp("2019-07-28T10:00:00Z")
    assert last < pd.Timestamp("2019-07-30T10:00:00Z")
    assert (last - first) > pd.Timedelta(hours=47, minutes=59)

    gaps = real_dump.groupby("series")["timestamp"].diff().dt.total_seconds()
    spacing = gaps.groupby(real_dump["series"]).median().round(3)
    assert sorted(spacing.value_counts().items()) == [(20.0, 5), (60.0, 4)]


# --- the per-file build against the per-series one it replaced -------------------------


def reference_file_samples(
    series: list[Any], path: Path, result_type: str | None, default_metric: str
) -> pd.DataFrame:
    """One small frame per series, concatenated: the straightforward version."""
    parts = []
    for index, item in enumerate(series):
        labels = {str(k): str(v) for k, v in item.get("metric", {}).items()}
        name = labels.pop("__name__", default_metric)
        key = series_key(name, labels)
        pairs = prometheus_json._pairs(item, index, key, path, result_type)
        seconds, value_text = prometheus_json._split_pairs(pairs, index, key, path)
        times = epoch_seconds_to_utc(seconds, path)
        values, reasons = parse_values(value_text)
        parts.append(
            pd.DataFrame(
                {
                    "source_file": str(path),
                    "timestamp": np.asarray(times),
                    "metric": name,
                    "labels": [labels] * len(pairs),
                    "series": key,
                    "value": values,
                    "reason": reasons.astype(object),
                    "column": np.where(reasons != "", "value", "").astype(object),
                    "raw": np.asarray([str(v) for v in value_text], dtype=object),
                },
                index=pd.RangeIndex(len(pairs)),
            ).astype({"timestamp": TIMESTAMP_DTYPE})
        )
    if not parts:
        return prometheus_json._empty_raw(path)
    raw = pd.concat(parts, ignore_index=True)
    raw.insert(1, "row_number", np.arange(1, len(raw) + 1, dtype="int64"))
    return raw


VALUE_TEXTS = ["0", "1", "2.5", "NaN", "+Inf", "-Inf", "x", "", "1e3", None]


@st.composite
def result_lists(draw: Any) -> list[dict[str, Any]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    found = []
    for _ in range(draw(st.integers(0, 5))):
        metric = {"__name__": "up"} if rng.random() < 0.7 else {}
        metric["job"] = str(rng.choice(["a", 'b"q', "c\\d"]))
        stamps = 1_714_557_600 + rng.integers(0, 20, size=int(rng.integers(0, 12)))
        values = [
            [int(t) if rng.random() < 0.5 else float(t) + 0.25, rng.choice(VALUE_TEXTS)]
            for t in stamps
        ]
        found.append({"metric": metric, "values": values})
    return found


@settings(max_examples=200, deadline=None)
@given(series=result_lists(), default_metric=st.sampled_from(["", "m"]))
def test_file_frame_matches_the_per_series_build(
    series: list[dict[str, Any]], default_metric: str
) -> None:
    path = Path("dump.json")
    fast = prometheus_json._file_samples(series, path, "matrix", default_metric)
    plain = reference_file_samples(series, path, "matrix", default_metric)
    # The loader's output must be identical. The raw frame may differ in one
    # dtype: per series, an empty series made the internal text columns object.
    results = zip(assemble_samples(fast), assemble_samples(plain), strict=True)
    for got, expected in results:
        if isinstance(got, pd.DataFrame):
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
        else:
            assert got == expected
    pd.testing.assert_frame_equal(fast, plain, check_exact=True, check_dtype=False)
    internal = ["reason", "column", "raw"]
    pd.testing.assert_frame_equal(
        fast.drop(columns=internal), plain.drop(columns=internal), check_exact=True
    )


def test_millisecond_timestamps_name_the_first_such_series() -> None:
    series = [
        {"metric": {"job": "a"}, "values": [[1_714_557_600, "1"]]},
        {"metric": {"job": "b"}, "values": [[1_714_557_600_000, "1"]] * 2},
        {"metric": {"job": "c"}, "values": [[1_714_557_600_000, "1"]] * 5},
    ]
    with pytest.raises(InputError, match=r"\(2 values above 1e11\)"):
        prometheus_json._file_samples(series, Path("dump.json"), "matrix", "")


def test_a_vector_is_refused_where_a_range_is_needed(tmp_path: Path) -> None:
    # The readiness config's metrics sources need samples over a window; one
    # instant sample per series would end in a bare "cannot infer the scrape
    # interval" far from the file.
    with pytest.raises(InputError) as caught:
        read_prometheus_json(FIXTURES / "response_vector.json", range_only=True)
    message = str(caught.value)
    assert "response_vector.json: holds an instant-query result" in message
    assert (
        "Fix: save a range query instead: the body of a /api/v1/query_range" in message
    )

    bare = tmp_path / "bare.json"
    bare.write_text('[{"metric": {"__name__": "up"}, "value": [1772409300, "1"]}]')
    with pytest.raises(InputError, match=r"at 2026-03-01 23:55:00 UTC\), not samples"):
        read_prometheus_json(bare, range_only=True)

    # A range result still loads, and without range_only so does the vector.
    assert read_prometheus_json(
        FIXTURES / "response_matrix.json", range_only=True
    ).rows_used
    assert read_prometheus_json(FIXTURES / "response_vector.json").rows_used == 2
