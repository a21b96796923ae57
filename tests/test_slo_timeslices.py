"""OpenSLO Timeslices and RatioTimeslices over request counters, hand-computed.

Every case uses counters read every 5 minutes and 10-minute slices unless said
otherwise. Slice *k* holds the increments whose later reading lies in
``(start + 10k min, start + 10(k+1) min]``, so each slice gets the two
increments read at its 5th and 10th minute.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import ConfigError
from analytics.metrics.slo import (
    METHOD_COUNTER_RATIO_TIMESLICES,
    METHOD_COUNTER_TIMESLICES,
    availability_from_counter_slices,
    availability_from_counters,
    counter_slices,
)

START = pd.Timestamp("2024-05-01T00:00:00Z")
SLICE = 600.0


def counter(name: str, values: list[float], *, offset: int = 0) -> pd.DataFrame:
    """One counter series read every 5 minutes from START + offset readings."""
    times = START + pd.to_timedelta((np.arange(len(values)) + offset) * 5, unit="min")
    return pd.DataFrame(
        {
            "timestamp": times,
            "metric": name,
            "labels": [{}] * len(values),
            "series": name,
            "value": values,
        }
    )


def from_increments(increments: list[float]) -> list[float]:
    """Counter readings (starting at 0) with these increments."""
    return [0.0, *np.cumsum(increments).tolist()]


def slices(good: pd.DataFrame, total: pd.DataFrame, **kwargs: object):  # type: ignore[no-untyped-def]
    end = kwargs.pop("end", START + pd.Timedelta(minutes=60))
    return availability_from_counter_slices(
        good,
        total,
        window_start=START,
        window_end=end,
        slice_seconds=kwargs.pop("slice_seconds", SLICE),
        **kwargs,  # type: ignore[arg-type]
    )


# Six 10-minute slices in one hour. Requests per 5 minutes and good ones:
#   slice 0: 50+50 = 100 requests, 50+50 = 100 good   ratio 1.00
#   slice 1: 50+50 = 100,          45+45 =  90        ratio 0.90
#   slice 2: 10+10 =  20,           5+ 5 =  10        ratio 0.50
#   slice 3: 50+50 = 100,          49+49 =  98        ratio 0.98
#   slice 4: 50+50 = 100,          50+50 = 100        ratio 1.00
#   slice 5: 50+50 = 100,          47+47 =  94        ratio 0.94
TOTAL_INC = [50.0, 50, 50, 50, 10, 10, 50, 50, 50, 50, 50, 50]
GOOD_INC = [50.0, 50, 45, 45, 5, 5, 49, 49, 50, 50, 47, 47]
RATIOS = [1.0, 0.9, 0.5, 0.98, 1.0, 0.94]


def test_slice_table_holds_each_slice_ratio() -> None:
    table = counter_slices(
        counter("good", from_increments(GOOD_INC)),
        counter("total", from_increments(TOTAL_INC)),
        window_start=START,
        window_end=START + pd.Timedelta(hours=1),
        slice_seconds=SLICE,
    )
    assert len(table) == 6
    assert table["state"].eq("known").all()
    assert table["ratio"].tolist() == pytest.approx(RATIOS)
    assert table["total_events"].tolist() == [100, 100, 20, 100, 100, 100]
    assert table["slice_start"].iloc[1] == START + pd.Timedelta(minutes=10)
    assert table["slice_end"].iloc[-1] == START + pd.Timedelta(hours=1)


def test_timeslices_counts_slices_that_meet_the_slice_target() -> None:
    # Slice target 0.95: slices 0, 3, 4 are good (1.0, 0.98, 1.0); 1, 2, 5 bad.
    result = slices(
        counter("good", from_increments(GOOD_INC)),
        counter("total", from_increments(TOTAL_INC)),
        target=0.5,
        method="timeslices",
        slice_target=0.95,
    )
    assert result.method == METHOD_COUNTER_TIMESLICES
    assert (result.good, result.valid, result.expected) == (3.0, 6.0, 6.0)
    assert result.sli == pytest.approx(0.5)
    assert result.sli_lower_bound == result.sli_upper_bound == pytest.approx(0.5)
    assert result.coverage_ratio == 1.0
    assert result.events == 520.0
    # Budget: 50 % of the hour's slices may be bad; exactly that many were.
    assert result.error_budget_seconds == pytest.approx(1800.0)
    assert result.burn_rate == pytest.approx(1.0)
    assert (result.slice_seconds, result.slice_target) == (SLICE, 0.95)


def test_a_ratio_equal_to_the_slice_target_is_good() -> None:
    # Slice 1 has 90 good of 100: exactly a 0.9 target, so it is good;
    # only slice 2 (0.5) misses: 5 good of 6.
    result = slices(
        counter("good", from_increments(GOOD_INC)),
        counter("total", from_increments(TOTAL_INC)),
        target=0.5,
        method="timeslices",
        slice_target=0.9,
    )
    assert result.good == 5.0
    assert result.sli == pytest.approx(5 / 6)


def test_ratio_timeslices_is_the_mean_of_slice_ratios() -> None:
    # mean(1, 0.9, 0.5, 0.98, 1, 0.94) = 5.32 / 6 = 0.88667, while the
    # occurrences SLI is 492 / 520 = 0.94615: the quiet bad slice 2 (20
    # requests) weighs as much as a busy one.
    good = counter("good", from_increments(GOOD_INC))
    total = counter("total", from_increments(TOTAL_INC))
    result = slices(good, total, target=0.9, method="ratio_timeslices")
    occurrences = availability_from_counters(
        good,
        total,
        window_start=START,
        window_end=START + pd.Timedelta(hours=1),
        target=0.9,
    )

    assert result.method == METHOD_COUNTER_RATIO_TIMESLICES
    assert result.sli == pytest.approx(sum(RATIOS) / 6)
    assert result.good == pytest.approx(5.32)
    assert occurrences.sli == pytest.approx(492 / 520)
    assert result.slice_target is None


def test_counter_reset_inside_a_slice() -> None:
    # Totals 0 50 100 | 150 200 (restart) 30 80: slice 0 gets 50+50 = 100,
    # slice 1 gets 50+50 = 100, slice 2 gets 30 (reading after the reset) + 50.
    # Good 0 50 100 | 150 190 | 20 60: slice 2 gets 20 + 40 = 60 of 80 = 0.75.
    total = counter("total", [0.0, 50, 100, 150, 200, 30, 80])
    good = counter("good", [0.0, 50, 100, 150, 190, 20, 60])
    table = counter_slices(
        good,
        total,
        window_start=START,
        window_end=START + pd.Timedelta(minutes=30),
        slice_seconds=SLICE,
    )
    assert table["total_events"].tolist() == [100, 100, 80]
    assert table["good_events"].tolist() == [100, 90, 60]
    assert table["ratio"].tolist() == pytest.approx([1.0, 0.9, 0.75])


def test_scrape_gap_makes_slices_unknown_never_good() -> None:
    # Readings at minutes 0, 5, 10, then nothing until 35, 40, 45, 50, 55, 60.
    # The increment 10 → 35 spans more than a slice: placed nowhere. Slices 1
    # (10, 20] and 2 (20, 30] have no increment: "no data". Slice 3 (30, 40]
    # has the 35 → 40 increment only.
    minutes = [0, 5, 10, 35, 40, 45, 50, 55, 60]
    values = [0.0, 50, 100, 400, 450, 500, 550, 600, 650]
    times = START + pd.to_timedelta(minutes, unit="m")
    total = pd.DataFrame(
        {"timestamp": times, "series": "t", "metric": "t", "value": values}
    )
    good = total.assign(series="g", metric="g")
    result = slices(good, total, target=0.9, method="timeslices", slice_target=0.99)

    table = counter_slices(
        good, total, window_start=START, window_end=times[-1], slice_seconds=SLICE
    )
    assert table["state"].tolist() == [
        "known",
        "no data",
        "no data",
        "known",
        "known",
        "known",
    ]
    assert table["total_events"].iloc[3] == 50  # only 35 → 40
    assert (result.good, result.valid, result.expected) == (4.0, 4.0, 6.0)
    assert result.sli == 1.0
    assert result.sli_lower_bound == pytest.approx(4 / 6)
    assert result.sli_upper_bound == 1.0
    assert result.coverage_ratio == pytest.approx(4 / 6)
    assert any("span more than one 600 s slice" in n for n in result.notes)
    assert any("2 no data" in n for n in result.notes)


def test_zero_traffic_slice_is_unknown_not_good() -> None:
    # Slice 1 has no request: flat counters. Not good, not bad: unknown.
    total = counter("total", from_increments([10.0, 10, 0, 0, 10, 10]))
    good = counter("good", from_increments([10.0, 10, 0, 0, 5, 5]))
    table = counter_slices(
        good,
        total,
        window_start=START,
        window_end=START + pd.Timedelta(minutes=30),
        slice_seconds=SLICE,
    )
    assert table["state"].tolist() == ["known", "no traffic", "known"]
    assert math.isnan(table["ratio"].iloc[1])

    result = slices(
        good,
        total,
        end=START + pd.Timedelta(minutes=30),
        target=0.5,
        method="ratio_timeslices",
    )
    assert result.sli == pytest.approx((1.0 + 0.5) / 2)
    assert result.sli_lower_bound == pytest.approx(1.5 / 3)
    assert result.sli_upper_bound == pytest.approx(2.5 / 3)
    assert result.coverage_ratio == pytest.approx(2 / 3)
    assert any("1 no traffic" in n for n in result.notes)


def test_good_counter_missing_while_total_moves_is_unknown() -> None:
    # The good counter is only read for the first 10 minutes: slices 1, 2 have
    # traffic but no good reading. Counting them as 0 good would be a wrong
    # number; they are unknown.
    total = counter("total", from_increments([10.0] * 6))
    good = counter("good", [0.0, 10, 20])
    table = counter_slices(
        good,
        total,
        window_start=START,
        window_end=START + pd.Timedelta(minutes=30),
        slice_seconds=SLICE,
    )
    assert table["state"].tolist() == ["known", "no good data", "no good data"]


def test_bad_over_total_counts_a_silent_error_counter_as_zero_errors() -> None:
    # Error counter 0 0 2 | 2 2 (no reading after minute 20): slice 0 has 2
    # errors of 20 (0.9); slice 1 has 0 of 20 (1.0); slice 2 has no
    # bad-counter increment: 0 errors, said in a note. Timeslices at 0.95:
    # slices 1 and 2 are good.
    total = counter("total", from_increments([10.0] * 6))
    bad = counter("bad", [0.0, 0, 2, 2, 2])
    result = slices(
        bad,
        total,
        end=START + pd.Timedelta(minutes=30),
        target=0.5,
        method="timeslices",
        slice_target=0.95,
        numerator_is_bad=True,
    )
    assert (result.good, result.valid) == (2.0, 3.0)
    assert any("no bad-counter increment" in n for n in result.notes)


def test_no_data_at_all_is_no_data() -> None:
    empty = counter("total", [])
    result = slices(empty, empty, target=0.9, method="ratio_timeslices")
    assert result.sli is None
    assert not result.has_data
    assert result.coverage_ratio == 0.0
    assert result.burn_rate is None


def test_last_slice_may_be_shorter() -> None:
    # 25 minutes in 10-minute slices: 3 slices, the last one 5 minutes long.
    total = counter("total", from_increments([10.0] * 5))
    result = slices(
        total,
        total,
        end=START + pd.Timedelta(minutes=25),
        target=0.9,
        method="ratio_timeslices",
    )
    assert result.expected == 3.0
    assert any("last slice is shorter" in n for n in result.notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "minutes"}, "not a slice budgeting method"),
        ({"method": "timeslices"}, "needs slice_target"),
        ({"method": "timeslices", "slice_target": 95}, r"ratio in \(0, 1\]"),
        (
            {"method": "ratio_timeslices", "slice_target": 0.9},
            "takes no slice_target",
        ),
        ({"method": "ratio_timeslices", "slice_seconds": 0}, "slice_seconds"),
    ],
)
def test_bad_arguments_are_config_errors(
    kwargs: dict[str, object], message: str
) -> None:
    total = counter("total", from_increments([10.0] * 4))
    with pytest.raises(ConfigError, match=message):
        slices(total, total, target=0.9, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 50), min_size=12, max_size=12),
    st.lists(st.floats(0, 1), min_size=12, max_size=12),
    st.sampled_from(["timeslices", "ratio_timeslices"]),
)
def test_bounds_hold_and_stay_in_range(
    totals: list[int], shares: list[float], method: str
) -> None:
    total_inc = [float(t) for t in totals]
    good_inc = [math.floor(t * s) for t, s in zip(totals, shares, strict=True)]
    result = slices(
        counter("good", from_increments([float(g) for g in good_inc])),
        counter("total", from_increments(total_inc)),
        target=0.9,
        method=method,  # type: ignore[arg-type]
        slice_target=0.9 if method == "timeslices" else None,
    )
    if result.sli is None:
        assert sum(total_inc) == 0 or result.valid == 0
        return
    assert result.sli_lower_bound is not None and result.sli_upper_bound is not None
    assert 0.0 <= result.sli_lower_bound <= result.sli <= result.sli_upper_bound <= 1.0
    assert 0.0 <= result.coverage_ratio <= 1.0
