"""Readers of usage events, access logs and licence counts (analytics.sources.activity)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import InputError
from analytics.frames import file_sha256
from analytics.sources.activity import (
    ACCESS_LOG_COLUMNS,
    ACTIVITY_COLUMNS,
    LICENCES_COLUMNS,
    read_access_log,
    read_activity_csv,
    read_activity_parquet,
    read_licences_csv,
)

ROOT = Path(__file__).resolve().parents[1]
APACHE_LOG = ROOT / "data" / "real" / "apache_access_2015-05.log.gz"


# --- the real Apache log (elastic/examples, 10,000 lines) ------------------------------


@pytest.fixture(scope="module")
def apache() -> pd.DataFrame:
    result = read_access_log(APACHE_LOG)
    result.check_accounting()
    assert (result.rows_in, result.rows_used, result.rows_rejected) == (
        10_000,
        10_000,
        0,
    )
    assert result.sha256 == file_sha256(APACHE_LOG)
    return result.frame


def test_real_log_time_range_in_utc(apache: pd.DataFrame) -> None:
    assert tuple(apache.columns) == ACCESS_LOG_COLUMNS
    assert str(apache["timestamp"].dtype) == "datetime64[us, UTC]"
    assert apache["timestamp"].min() == pd.Timestamp("2015-05-17 10:05:00", tz="UTC")
    assert apache["timestamp"].max() == pd.Timestamp("2015-05-20 21:05:59", tz="UTC")
    assert apache["timestamp"].is_monotonic_increasing


def test_real_log_status_classes(apache: pd.DataFrame) -> None:
    classes = (apache["status"] // 100).value_counts().sort_index()
    assert classes.to_dict() == {2: 9_171, 3: 609, 4: 217, 5: 3}


def test_real_log_users_methods_and_features(apache: pd.DataFrame) -> None:
    assert apache["user_id"].nunique() == 1_753
    assert apache["method"].value_counts().to_dict() == {
        "GET": 9_952,
        "HEAD": 42,
        "POST": 5,
        "OPTIONS": 1,
    }
    assert apache["feature"].value_counts().head(2).to_dict() == {
        "presentations": 2_305,
        "blog": 1_959,
    }
    # One real line has a user agent cut off before its closing quote: kept.
    cut = apache.loc[apache["line_number"] == 8_899].iloc[0]
    assert cut["status"] == 200
    assert cut["user_agent"].startswith("Mozilla/5.0 (compatible; Googlebot/2.1")


# --- access-log format details ---------------------------------------------------------

_LOG = "\n".join(
    [
        '10.0.0.1 - - [17/May/2015:12:05:03 +0200] "GET /docs/a?q=1 HTTP/1.1" 200 512',
        '10.0.0.2 - alice [17/May/2015:10:06:00 +0000] "POST /api/v1/x HTTP/1.0" 503 -'
        ' "http://ref/" "agent \\"quoted\\" 1.0"',
        "this is not a log line",
        "",
        '10.0.0.3 - - [17/Foo/2015:10:07:00 +0000] "GET / HTTP/1.1" 200 10',
        '10.0.0.4 - - [17/May/2015:10:08:00 -0500] "-" 408 0',
        '10.0.0.5 - - [17/May/2015:10:09:00 +0000] "GET / HTTP/1.1" 2000 10',
    ]
)


def test_access_log_fields_and_offsets(write) -> None:  # type: ignore[no-untyped-def]
    result = read_access_log(write("access.log", _LOG + "\n"))
    frame = result.frame.set_index("line_number")

    assert str(frame.loc[1, "timestamp"]) == "2015-05-17 10:05:03+00:00"
    assert (frame.loc[1, "feature"], frame.loc[1, "path"]) == ("docs", "/docs/a")
    assert (frame.loc[1, "bytes"], frame.loc[1, "referrer"]) == (512, pd.NA)
    assert frame.loc[2, "method"] == "POST"
    assert pd.isna(frame.loc[2, "bytes"])
    assert frame.loc[2, "user_agent"] == 'agent \\"quoted\\" 1.0'
    # A request Apache logs as "-" (timed out) still has a status: kept.
    assert str(frame.loc[6, "timestamp"]) == "2015-05-17 15:08:00+00:00"
    assert pd.isna(frame.loc[6, "method"]) and frame.loc[6, "status"] == 408


def test_access_log_rejects_malformed_lines_with_line_numbers(write) -> None:  # type: ignore[no-untyped-def]
    result = read_access_log(write("access.log", _LOG))
    result.check_accounting()

    rejected = result.rejected[["row_number", "reason_code"]].values.tolist()
    assert rejected == [
        [3, "malformed_line"],
        [4, "malformed_line"],
        [5, "unparseable_date"],
        [7, "malformed_line"],
    ]
    assert (result.rows_in, result.rows_used) == (7, 3)


def test_access_log_user_and_feature_options(write) -> None:  # type: ignore[no-untyped-def]
    path = write("access.log", _LOG)
    by_login = read_access_log(path, user="auth_user", feature_from="none").frame
    assert by_login["user_id"].isna().sum() == 2
    assert by_login["user_id"].dropna().tolist() == ["alice"]
    assert by_login["feature"].isna().all()


def test_access_log_gzip_equals_plain(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    plain = write("access.log", _LOG)
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    pd.testing.assert_frame_equal(
        read_access_log(plain).frame, read_access_log(packed).frame
    )


def test_access_log_errors(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="does not exist"):
        read_access_log(tmp_path / "missing.log")
    with pytest.raises(InputError, match="is empty"):
        read_access_log(write("empty.log", "\n"))
    with pytest.raises(InputError, match="none of its 2 lines"):
        read_access_log(write("junk.log", "a,b\n1,2\n"))


# --- usage events ---------------------------------------------------------------------


def test_activity_csv_zone_date_order_and_rejections(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "events.csv",
        "who,when,feature\n"
        "u1,29/3/2026 01:30,search\n"  # day first; CET, before the DST change
        "u2,29/3/2026 03:30,\n"  # CEST; empty feature kept as missing
        ",29/3/2026 04:00,search\n"  # no user
        "u3,29/3/2026 02:30,search\n"  # does not exist in Europe/Berlin
        "u4,31/2/2026 10:00,search\n",  # impossible date
    )
    result = read_activity_csv(
        path,
        timezone="Europe/Berlin",
        column_map={"who": "user_id", "when": "timestamp"},
    )
    result.check_accounting()

    assert tuple(result.frame.columns) == ACTIVITY_COLUMNS
    assert result.frame["timestamp"].astype(str).tolist() == [
        "2026-03-29 00:30:00+00:00",
        "2026-03-29 01:30:00+00:00",
    ]
    assert result.frame["feature"].isna().tolist() == [False, True]
    assert result.rejected[["row_number", "reason_code"]].values.tolist() == [
        [4, "missing_value"],
        [5, "nonexistent_local_time"],
        [6, "unparseable_date"],
    ]


def test_activity_csv_requires_columns(write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="timestamp"):
        read_activity_csv(write("events.csv", "user_id,time\nu1,2026-03-01\n"))


def test_activity_parquet_aware_and_naive(tmp_path: Path) -> None:
    aware = tmp_path / "aware.parquet"
    pd.DataFrame(
        {
            "user": ["u1", None],
            "timestamp": pd.to_datetime(
                ["2026-03-01 10:00", "2026-03-01 11:00"], utc=True
            ),
        }
    ).to_parquet(aware)
    result = read_activity_parquet(aware, column_map={"user": "user_id"})
    assert result.frame["user_id"].tolist() == ["u1"]
    assert result.rejected[["row_number", "reason_code"]].values.tolist() == [
        [2, "missing_value"]
    ]

    naive = tmp_path / "naive.parquet"
    pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "timestamp": pd.to_datetime(["2026-07-01 10:00", "2026-03-29 02:30"]),
            "feature": ["a", "b"],
        }
    ).to_parquet(naive)
    result = read_activity_parquet(naive, timezone="Europe/Berlin")
    assert result.frame["timestamp"].astype(str).tolist() == [
        "2026-07-01 08:00:00+00:00"
    ]
    assert result.rejected["reason_code"].tolist() == ["nonexistent_local_time"]


# --- licences -------------------------------------------------------------------------


def test_licences_csv(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "licences.csv",
        "date,licensed_users\n"
        "2026-04-01,120\n"
        "2026-03-01,100\n"
        "2026-03-01,100\n"  # repeat: kept once
        "2026-05-01,130\n"
        "2026-05-01,140\n"  # conflict: the count on 05-01 is unknown
        "2026-06-01,ten\n"
        "2026-07-01,1.5\n"
        "2026-08-01,\n",
    )
    result = read_licences_csv(path)
    result.check_accounting()

    assert tuple(result.frame.columns) == LICENCES_COLUMNS
    assert result.frame["licensed_users"].tolist() == [100, 120]
    assert result.frame["date"].astype(str).tolist() == [
        "2026-03-01 00:00:00+00:00",
        "2026-04-01 00:00:00+00:00",
    ]
    assert result.rejected[["row_number", "reason_code"]].values.tolist() == [
        [4, "duplicate_date"],
        [5, "conflicting_count"],
        [6, "conflicting_count"],
        [7, "unparseable_number"],
        [8, "out_of_range"],
        [9, "missing_value"],
    ]


def test_user_ids_lose_surrounding_blanks_but_keep_their_case(
    write, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # 'U001 ' and ' U001' are the same id; 'u001' is another (ids can be case-sensitive).
    path = write(
        "events.csv",
        "user_id,timestamp\nU001 ,2026-03-01T10:00:00Z\n\tU001,2026-03-01T11:00:00Z\n"
        "u001,2026-03-01T12:00:00Z\n",
    )
    csv_ids = read_activity_csv(path).frame["user_id"].tolist()
    assert csv_ids == ["U001", "U001", "u001"]

    parquet = tmp_path / "events.parquet"
    pd.DataFrame(
        {
            "user_id": ["U001 ", "\u00a0U001", "u001"],
            "timestamp": pd.to_datetime(
                ["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-01 12:00"], utc=True
            ),
        }
    ).to_parquet(parquet)
    assert read_activity_parquet(parquet).frame["user_id"].tolist() == csv_ids
