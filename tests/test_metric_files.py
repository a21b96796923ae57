"""Tests for analytics.sources.metric_files (CSV and Parquet samples)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analytics.config import load_config
from analytics.errors import InputError
from analytics.evidence import gather_evidence
from analytics.frames import REJECTED_COLUMNS, ROW_TIME, SAMPLES_COLUMNS
from analytics.sources.metric_files import (
    epoch_unit_of,
    parse_values,
    read_metric_csv,
    read_metric_parquet,
    wrong_epoch_unit,
)

FIXTURES = Path(__file__).parent / "fixtures" / "metrics"
T0 = pd.Timestamp("2024-05-01T10:00:00Z")


# --- CSV ------------------------------------------------------------------------------


def test_csv_rows_become_samples_and_bad_rows_are_rejected_with_reasons() -> None:
    result = read_metric_csv(FIXTURES / "up_small.csv")

    assert tuple(result.frame.columns) == SAMPLES_COLUMNS
    assert tuple(result.rejected.columns) == (*REJECTED_COLUMNS, ROW_TIME)
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (9, 4, 5)
    result.check_accounting()

    # row_number is the line in the file, header = line 1.
    rejected = result.rejected[["row_number", "column", "value", "reason_code"]]
    assert rejected.values.tolist() == [
        [5, "timestamp", "yesterday", "unparseable_date"],
        [6, "value", "one", "unparseable_value"],
        [7, "value", "", "missing_value"],
        [8, "timestamp", "2024-05-01 10:00:40+00:00", "duplicate_sample"],
        [10, "value", "NaN", "nan_value"],
    ]
    # Each rejected row keeps its own time where that parsed.
    times = result.rejected[ROW_TIME]
    assert times.isna().tolist() == [True, False, False, False, False]
    assert str(times.dtype) == "datetime64[us, UTC]"


def test_csv_labels_series_and_utc_times() -> None:
    frame = read_metric_csv(FIXTURES / "up_small.csv").frame

    assert frame["series"].tolist() == [
        'up{instance="a:9100",job="api"}',
        'up{instance="a:9100",job="api"}',
        'up{instance="a:9100",job="api"}',
        'up{job="db"}',  # an empty label value means no label
    ]
    assert frame["labels"].iloc[3] == {"job": "db"}
    # 12:00+02:00 is 10:00 UTC.
    assert frame["timestamp"].tolist() == [
        T0,
        T0 + pd.Timedelta(seconds=20),
        T0 + pd.Timedelta(seconds=40),
        T0,
    ]
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    assert frame["value"].tolist() == [1.0, 1.0, 0.0, 1.0]


def test_csv_epoch_seconds_and_metric_argument() -> None:
    result = read_metric_csv(FIXTURES / "epoch_seconds.csv", metric="up")

    assert result.frame["timestamp"].tolist() == [T0, T0 + pd.Timedelta(seconds=20.5)]
    assert result.frame["series"].unique().tolist() == ["up"]
    assert result.rejected[["row_number", "column", "reason_code"]].values.tolist() == [
        [4, "timestamp", "missing_value"]
    ]
    assert any("epoch seconds" in note for note in result.notes)


def test_csv_epoch_milliseconds_raise(tmp_path: Path) -> None:
    path = tmp_path / "ms.csv"
    path.write_text("timestamp,value\n1714557600000,1\n")
    with pytest.raises(
        InputError,
        match=r"ms\.csv, row 2, column 'timestamp': timestamps look like milliseconds",
    ):
        read_metric_csv(path, metric="up")


@pytest.mark.parametrize(
    ("stamp", "unit", "fix"),
    [
        ("1714557600000000", "microseconds", "divide the timestamps by 1000000"),
        (
            "1714557600000000000",
            "nanoseconds",
            "divide the timestamps by 1000000000",
        ),
    ],
)
def test_csv_epoch_in_a_smaller_unit_names_unit_row_and_fix(
    tmp_path: Path, stamp: str, unit: str, fix: str
) -> None:
    path = tmp_path / "us.csv"
    path.write_text(f"timestamp,value\n1714557600,1\n{stamp},2\n")
    with pytest.raises(InputError) as caught:
        read_metric_csv(path, metric="up")
    message = str(caught.value)
    assert "us.csv, row 3, column 'timestamp'" in message
    assert f"timestamps look like {unit} since the epoch, not seconds" in message
    assert fix in message


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "UTF-16LE"), ("utf-16-be", "UTF-16BE"), ("utf-32", "UTF-32LE")],
)
def test_csv_in_utf16_names_the_encoding_and_the_conversion(
    tmp_path: Path, encoding: str, name: str
) -> None:
    # Excel's "Unicode Text": was a generic "not a UTF-8 text file".
    path = tmp_path / "metrics.csv"
    path.write_bytes("timestamp,value,metric\n1714557600,1,up\n".encode(encoding))
    with pytest.raises(InputError) as caught:
        read_metric_csv(path)
    message = str(caught.value)
    assert f"is {name[:6]} text ({name}), not UTF-8" in message
    assert f"iconv -f {name} -t UTF-8 metrics.csv > metrics-utf8.csv" in message


def test_gzipped_utf16_csv_is_named_too(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "metrics.csv.gz"
    text = "timestamp,value,metric\n1714557600,1,up\n"
    path.write_bytes(gzip.compress(text.encode("utf-16")))
    with pytest.raises(InputError, match=r"is UTF-16 text \(UTF-16LE\)"):
        read_metric_csv(path)


def test_epoch_unit_of_each_magnitude() -> None:
    assert epoch_unit_of(1_772_100_000) == "s"
    assert epoch_unit_of(1_772_100_000_000) == "ms"
    assert epoch_unit_of(1_772_100_000_000_000) == "us"
    assert epoch_unit_of(1_772_100_000_000_000_000) == "ns"
    assert epoch_unit_of(60) is None
    found = wrong_epoch_unit(np.array([np.nan, 5.0, 1_772_100_000_000.0]), "s")
    assert found is not None
    assert (found.position, found.looks_like, found.count) == (2, "ms", 1)
    assert wrong_epoch_unit(np.array([np.nan, 5.0, 1_772_100_000.0]), "s") is None


def test_csv_without_metric_column_needs_metric_argument() -> None:
    with pytest.raises(InputError, match="no column 'metric' and no metric name given"):
        read_metric_csv(FIXTURES / "epoch_seconds.csv")


def test_csv_column_map_renames_file_columns() -> None:
    result = read_metric_csv(
        FIXTURES / "missing_column.csv", column_map={"time": "timestamp"}
    )
    assert result.frame["timestamp"].tolist() == [T0]
    assert result.frame["series"].tolist() == ["up"]


def test_csv_column_map_with_unknown_column_raises() -> None:
    with pytest.raises(InputError, match="column_map names columns the file lacks"):
        read_metric_csv(
            FIXTURES / "missing_column.csv", column_map={"when": "timestamp"}
        )


def test_csv_local_time_in_dst_gap_is_rejected() -> None:
    result = read_metric_csv(FIXTURES / "dst_berlin.csv", timezone="Europe/Berlin")

    assert result.rejected[["row_number", "reason_code"]].values.tolist() == [
        [3, "nonexistent_local_time"]
    ]
    # 01:30 CET = 00:30 UTC, 03:30 CEST = 01:30 UTC.
    assert result.frame["timestamp"].tolist() == [
        pd.Timestamp("2024-03-31T00:30:00Z"),
        pd.Timestamp("2024-03-31T01:30:00Z"),
    ]


def test_csv_day_first_dates(tmp_path: Path) -> None:
    path = tmp_path / "dayfirst.csv"
    path.write_text(
        "timestamp,value,metric\n29/2/2024 10:00,1,up\n1/3/2024 10:00,0,up\n"
    )
    frame = read_metric_csv(path).frame
    assert frame["timestamp"].tolist() == [
        pd.Timestamp("2024-02-29T10:00:00Z"),
        pd.Timestamp("2024-03-01T10:00:00Z"),
    ]


def test_csv_conflicting_duplicates_are_all_rejected(tmp_path: Path) -> None:
    path = tmp_path / "conflict.csv"
    path.write_text(
        "timestamp,value,metric\n"
        "2024-05-01T10:00:00Z,1,up\n"
        "2024-05-01T10:00:00Z,0,up\n"
        "2024-05-01T10:00:20Z,1,up\n"
    )
    result = read_metric_csv(path)
    assert result.rejected["reason_code"].tolist() == ["conflicting_sample"] * 2
    assert result.rejected["row_number"].tolist() == [2, 3]
    assert result.frame["timestamp"].tolist() == [T0 + pd.Timedelta(seconds=20)]
    result.check_accounting()


def test_csv_header_only_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("timestamp,value,metric\n")
    with pytest.raises(InputError, match="has a header but no data rows"):
        read_metric_csv(path)


def test_csv_logs_one_info_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="analytics.sources.metric_files")
    read_metric_csv(FIXTURES / "up_small.csv")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "up_small.csv: 4 samples, 2 series, 5 rejected in" in messages[0]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "missing_column.csv",
            "no column 'timestamp' (the file has ['time', 'value', 'metric'])",
        ),
        ("bad_dates.csv", "column 'timestamp' is neither ISO"),
        ("empty.json", "the file is empty"),
        ("does_not_exist.csv", "no such file"),
    ],
)
def test_bad_csv_raises_input_error_naming_the_file(name: str, problem: str) -> None:
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        read_metric_csv(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert problem in message
    assert "Fix:" in message


def test_parquet_given_to_csv_reader_says_so(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    pd.DataFrame({"timestamp": [T0], "value": [1.0]}).to_parquet(path)
    with pytest.raises(
        InputError, match=r"Parquet file, not a CSV\. Fix: use read_metric_parquet"
    ):
        read_metric_csv(path, metric="up")


def test_parse_values_reason_codes() -> None:
    values, reasons = parse_values(
        ["1", "0.5", "NaN", "-Inf", "+Inf", "x", "", None, 2.0]
    )
    assert reasons.tolist() == [
        "",
        "",
        "nan_value",
        "infinite_value",
        "infinite_value",
        "unparseable_value",
        "missing_value",
        "missing_value",
        "",
    ]
    assert values[[0, 1, 8]].tolist() == [1.0, 0.5, 2.0]
    assert np.isnan(values[2:8]).all()


# --- Parquet --------------------------------------------------------------------------


def _write_parquet(path: Path, **columns: object) -> Path:
    pd.DataFrame(columns).to_parquet(path)
    return path


def test_parquet_tz_aware_with_labels_and_missing_value(tmp_path: Path) -> None:
    path = _write_parquet(
        tmp_path / "up.parquet",
        timestamp=pd.to_datetime(
            [
                "2024-05-01T12:00:00+02:00",
                "2024-05-01T10:00:20Z",
                "2024-05-01T10:00:40Z",
            ],
            format="ISO8601",
            utc=True,
        ).tz_convert("Europe/Berlin"),
        value=[1.0, None, 0.0],
        metric=["up", "up", "up"],
        shard=[1, 1, 2],
    )
    result = read_metric_parquet(path)

    assert result.frame["timestamp"].tolist() == [T0, T0 + pd.Timedelta(seconds=40)]
    assert result.frame["series"].tolist() == ['up{shard="1"}', 'up{shard="2"}']
    # Parquet has no header line: row_number is the 1-based row.
    assert result.rejected[["row_number", "reason_code"]].values.tolist() == [
        [2, "missing_value"]
    ]
    result.check_accounting()


def test_parquet_naive_times_need_a_zone(tmp_path: Path) -> None:
    path = _write_parquet(
        tmp_path / "naive.parquet",
        timestamp=pd.to_datetime(["2024-05-01 12:00:00"]),
        value=[1.0],
    )
    with pytest.raises(
        InputError, match=r"naive\.parquet: column 'timestamp' holds naive"
    ):
        read_metric_parquet(path, metric="up")

    result = read_metric_parquet(path, metric="up", timezone="Europe/Berlin")
    assert result.frame["timestamp"].tolist() == [T0]


def test_parquet_text_times_without_offset_need_a_zone(tmp_path: Path) -> None:
    path = _write_parquet(
        tmp_path / "text.parquet", timestamp=["2024-05-01 10:00:00"], value=["1"]
    )
    with pytest.raises(InputError, match="holds text times without an offset"):
        read_metric_parquet(path, metric="up")
    assert read_metric_parquet(path, metric="up", timezone="UTC").frame[
        "timestamp"
    ].tolist() == [T0]


def test_parquet_epoch_seconds_and_column_map(tmp_path: Path) -> None:
    path = _write_parquet(
        tmp_path / "epoch.parquet",
        ts=[1714557600.0, 1714557620.0],
        up=[1, 0],
        name="up",
    )
    result = read_metric_parquet(
        path, column_map={"ts": "timestamp", "up": "value", "name": "metric"}
    )
    assert result.frame["timestamp"].tolist() == [T0, T0 + pd.Timedelta(seconds=20)]
    assert result.frame["value"].tolist() == [1.0, 0.0]


def test_parquet_bad_inputs_name_the_file(tmp_path: Path) -> None:
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("timestamp,value\n")
    with pytest.raises(InputError, match=r"x\.parquet: not a Parquet file"):
        read_metric_parquet(not_parquet, metric="up")

    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.parquet: the file is empty"):
        read_metric_parquet(empty, metric="up")

    no_value = _write_parquet(
        tmp_path / "novalue.parquet", timestamp=[T0], metric=["up"]
    )
    with pytest.raises(InputError, match=r"novalue\.parquet: no column 'value'"):
        read_metric_parquet(no_value)


def test_config_timezone_reaches_the_parquet_reader(tmp_path: Path) -> None:
    times = pd.date_range("2026-03-01", periods=3, freq="h")  # naive: Berlin wall time
    frame = pd.DataFrame({"timestamp": times, "metric": "up", "value": [1.0, 1, 1]})
    frame.to_parquet(tmp_path / "m.parquet")
    source = {"name": "m", "path": "m.parquet", "format": "parquet"}
    (tmp_path / "c.yaml").write_text(
        yaml.safe_dump(
            {"metrics": [{**source, "timezone": "Europe/Berlin"}], "criteria": {}}
        )
    )
    evidence = gather_evidence(
        load_config(tmp_path / "c.yaml"), pd.Timestamp("2026-03-02", tz="UTC")
    )
    first = evidence.metrics["m"].frame["timestamp"].iloc[0]
    assert first == pd.Timestamp("2026-02-28 23:00", tz="UTC")
