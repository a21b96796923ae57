"""Load-test readers on hand-made files, and the capacity derived from them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import InputError
from analytics.sources import loadtests as lt

FIXTURES = Path(__file__).parent / "fixtures" / "loadtests"


def test_jmeter_jtl_windows() -> None:
    steps = lt.read_jmeter_jtl(FIXTURES / "jmeter.jtl", step_seconds=10).frame

    assert list(steps.columns) == list(lt.LOAD_STEPS_COLUMNS)
    assert steps["requests"].tolist() == [10, 20]
    assert steps["throughput_rps"].tolist() == [1.0, 2.0]
    # 100..190 ms: p95 = 100 + 0.95·9·10; 100..290 ms: 100 + 0.95·19·10.
    assert steps["p95_ms"].tolist() == pytest.approx([185.5, 280.5])
    assert steps["error_ratio"].tolist() == pytest.approx([0.0, 0.05])


def test_locust_history_steps_and_capacity() -> None:
    steps = lt.read_locust_history(FIXTURES / "locust_stats_history.csv").frame

    assert steps["step"].tolist() == [10, 20, 40, 80]
    assert steps["throughput_rps"].tolist() == [102.0, 198.0, 402.0, 610.0]
    assert steps["p95_ms"].tolist() == [61.0, 71.0, 170.0, 925.0]
    assert steps["error_ratio"].tolist() == pytest.approx([0, 0, 2 / 804, 61 / 1220])

    cap = lt.load_capacity(steps, forecast_peak_rps=300.0, target_rps=1000.0)
    assert cap.sustained_rps == 402.0
    assert cap.knee_rps == 402.0
    assert cap.headroom_ratio == pytest.approx(402 / 300 - 1)
    assert cap.meets_target_rps is False


def test_locust_stats_one_step() -> None:
    steps = lt.read_locust_stats(FIXTURES / "locust_stats.csv").frame
    row = steps.iloc[0]
    assert (row["throughput_rps"], row["p95_ms"]) == (1200.0, 180.0)
    assert row["error_ratio"] == pytest.approx(60 / 12000)
    assert row["duration_s"] == pytest.approx(10.0)

    cap = lt.load_capacity(steps, target_rps=1000.0)
    assert cap.sustained_rps == 1200.0
    assert cap.meets_target_rps is True
    assert cap.knee_rps is None


def test_k6_summary_one_step() -> None:
    steps = lt.read_k6_summary(FIXTURES / "k6_summary.json").frame
    row = steps.iloc[0]
    assert (row["requests"], row["throughput_rps"], row["p95_ms"]) == (
        63000,
        1050.0,
        185.5,
    )
    assert row["error_ratio"] == pytest.approx(0.001)


def test_k6_ndjson_windows() -> None:
    steps = lt.read_k6_ndjson(FIXTURES / "k6_output.ndjson", step_seconds=10).frame
    assert steps["requests"].tolist() == [4, 5]
    assert steps["throughput_rps"].tolist() == [0.4, 0.5]
    # 100..130: 100 + 0.95·3·10; 200..600: 200 + 0.95·4·100.
    assert steps["p95_ms"].tolist() == pytest.approx([128.5, 580.0])
    assert steps["error_ratio"].tolist() == pytest.approx([0.0, 0.2])


def test_no_step_within_target() -> None:
    steps = pd.DataFrame(
        {
            "step": [1],
            "started_at": [pd.NaT],
            "duration_s": [60.0],
            "requests": [10],
            "throughput_rps": [5.0],
            "p95_ms": [900.0],
            "error_ratio": [0.0],
        }
    )
    cap = lt.load_capacity(steps, forecast_peak_rps=3.0)
    assert cap.sustained_rps is None
    assert cap.headroom_ratio is None


def test_missing_column_names_the_file_and_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jtl"
    bad.write_text("timeStamp,latency\n1,2\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"bad.jtl: missing column\(s\) \['elapsed', 'success'\]"
    ):
        lt.read_jmeter_jtl(bad)


RUN = pd.Timestamp("2024-01-10 10:00", tz="UTC")  # when the fixture load tests ran


@pytest.mark.parametrize(
    ("read", "file", "starts"),
    [
        (lambda p: lt.read_jmeter_jtl(p, step_seconds=10), "jmeter.jtl", [0, 10]),
        (lambda p: lt.read_k6_ndjson(p, step_seconds=10), "k6_output.ndjson", [0, 10]),
        # One step per user count from its first row (two Aggregated rows, 10 s apart).
        (lt.read_locust_history, "locust_stats_history.csv", [0, 20, 40, 60]),
    ],
)
def test_timed_formats_say_when_each_step_began(read, file, starts) -> None:  # type: ignore[no-untyped-def]
    steps = read(FIXTURES / file).frame
    assert isinstance(steps["started_at"].dtype, pd.DatetimeTZDtype)
    expected = [RUN + pd.Timedelta(seconds=s) for s in starts]
    assert steps["started_at"].tolist() == expected


@pytest.mark.parametrize(
    ("read", "file"),
    [
        (lt.read_locust_stats, "locust_stats.csv"),
        (lt.read_k6_summary, "k6_summary.json"),
    ],
)
def test_untimed_formats_leave_the_start_unknown(read, file) -> None:  # type: ignore[no-untyped-def]
    steps = read(FIXTURES / file).frame
    assert list(steps.columns) == list(lt.LOAD_STEPS_COLUMNS)
    assert isinstance(steps["started_at"].dtype, pd.DatetimeTZDtype)
    assert steps["started_at"].isna().all()


def test_jtl_time_that_is_not_epoch_milliseconds_names_row_and_fix(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "dates.jtl"
    bad.write_text(
        "timeStamp,elapsed,success\n1704880800000,100,true\n"
        "2024/01/10 10:00:01,100,true\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        lt.read_jmeter_jtl(bad)
    message = str(caught.value)
    assert "dates.jtl" in message and "row 3" in message
    assert "2024/01/10 10:00:01" in message
    assert "timestamp_format=ms" in message
