"""The vectorised per-series steps of analytics.metrics.slo against plain ones.

``_counter_series`` and ``_spacing_by_series`` sort once and work on integer
series codes. The references below are the straightforward versions they
replaced (a pandas groupby per series): on random frames, with unsorted rows,
repeated timestamps, NaN values, gaps and counter resets, both must give the
same figures bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.metrics.slo import (
    _counter_series,
    _factorize_runs,
    _known,
    _median_spacing,
    _prepare,
    _spacing_by_series,
    availability_from_counters,
    availability_from_up,
    counter_increase,
)

T0 = pd.Timestamp("2024-05-01T00:00:00Z")


# --- the straightforward versions --------------------------------------------------


def reference_spacing_by_series(data: pd.DataFrame) -> dict[str, float]:
    if data.empty:
        return {}
    ordered = data.sort_values(["series", "timestamp"], kind="stable")
    gaps = ordered.groupby("series", sort=False)["timestamp"].diff().dt.total_seconds()
    gaps = gaps[gaps > 0]
    medians = gaps.groupby(ordered.loc[gaps.index, "series"]).median()
    return {str(name): round(float(value), 3) for name, value in medians.items()}


def reference_median_spacing(data: pd.DataFrame) -> float | None:
    spacing = list(reference_spacing_by_series(data).values())
    return float(np.median(spacing)) if spacing else None


def reference_counter_series(
    data: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.DataFrame, float]:
    data = _known(data)
    spacing_all = reference_median_spacing(data)
    rows = []
    for key, group in data.groupby("series", sort=True):
        readings = group.sort_values("timestamp", kind="stable")
        inside = readings[
            (readings["timestamp"] >= start) & (readings["timestamp"] <= end)
        ]
        if inside.empty:
            continue
        spacing = reference_median_spacing(readings)
        spacing = spacing if spacing is not None else spacing_all
        first_time = inside["timestamp"].iloc[0]
        late = (first_time - start).total_seconds() >= (spacing or 0.0)
        born = (
            bool((readings["timestamp"] < start).sum() == 0)
            and bool(late and first_time > start)
            and float(inside["value"].iloc[0]) > 0
        )
        rows.append(
            {
                "series": key,
                "increase": counter_increase(inside["value"].to_numpy()),
                "first_time": first_time,
                "last_time": inside["timestamp"].iloc[-1],
                "first_value": float(inside["value"].iloc[0]),
                "born": born,
            }
        )
    columns = ["series", "increase", "first_time", "last_time", "first_value", "born"]
    frame = pd.DataFrame(rows, columns=columns).astype(
        {"born": bool, "increase": float}
    )
    inside = data[(data["timestamp"] >= start) & (data["timestamp"] <= end)]
    return frame, (spacing_all or 0.0) if not inside.empty else 0.0


# --- random frames -------------------------------------------------------------------


@st.composite
def counter_frames(draw: Any) -> pd.DataFrame:
    """Several series, unsorted, with jitter, gaps, repeats, resets and NaN."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    parts = []
    for index in range(draw(st.integers(1, 5))):
        count = int(rng.integers(0, 40))
        step = float(rng.choice([1.0, 10.0, 15.0, 0.0005]))
        offsets = np.cumsum(rng.choice([0, 1, 1, 1, 2, 5], size=count)) * step
        offsets = offsets + rng.choice([0.0, 0.001, 0.0015], size=count)
        offsets = offsets + float(rng.integers(-20, 60)) * step
        values = np.cumsum(
            rng.uniform(0, 10, size=count).round(int(rng.integers(0, 4)))
        )
        if count and rng.random() < 0.5:
            values[int(rng.integers(0, count)) :] -= values.max() / 2  # a reset
        values = np.abs(values)
        values[rng.random(count) < 0.1] = np.nan
        parts.append(
            pd.DataFrame(
                {
                    "timestamp": T0 + pd.to_timedelta(offsets, unit="s"),
                    "metric": "c",
                    "labels": [{"i": str(index)}] * count,
                    "series": f'c{{i="{index}"}}' if index != 3 else "c",
                    "value": values,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    order = rng.permutation(len(frame)) if rng.random() < 0.5 else np.arange(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame["timestamp"] = frame["timestamp"].astype(
        draw(st.sampled_from(["datetime64[us, UTC]", "datetime64[ns, UTC]"]))
    )
    return frame


windows = st.tuples(st.floats(-50, 300), st.floats(1, 600)).map(
    lambda pair: (
        T0 + pd.Timedelta(seconds=round(pair[0], 3)),
        T0 + pd.Timedelta(seconds=round(pair[0] + pair[1], 3)),
    )
)


@settings(max_examples=300, deadline=None)
@given(frame=counter_frames(), window=windows)
def test_counter_series_matches_the_groupby_version(
    frame: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp]
) -> None:
    data = _prepare(frame, None)
    fast, fast_spacing = _counter_series(data, *window)
    plain, plain_spacing = reference_counter_series(data, *window)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    assert fast_spacing == pytest.approx(plain_spacing, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(frame=counter_frames())
def test_spacing_matches_the_groupby_version(frame: pd.DataFrame) -> None:
    data = _prepare(frame, None)
    assert _spacing_by_series(data) == reference_spacing_by_series(data)
    assert _median_spacing(data) == reference_median_spacing(data)


@settings(max_examples=50, deadline=None)
@given(good=counter_frames(), total=counter_frames(), window=windows)
def test_counter_slo_is_independent_of_row_order(
    good: pd.DataFrame, total: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp]
) -> None:
    # The sorted-input shortcut and the full sort must give the same result.
    start, end = window
    first = availability_from_counters(
        good, total, window_start=start, window_end=end, target=0.99
    )
    ordered = availability_from_counters(
        good.sort_values(["series", "timestamp"], kind="stable"),
        total.sort_values(["series", "timestamp"], kind="stable"),
        window_start=start,
        window_end=end,
        target=0.99,
    )
    assert first == ordered


def test_up_intervals_use_the_same_spacing() -> None:
    times = T0 + pd.to_timedelta([0, 10, 20, 40, 50, 61.5], unit="s")
    up = pd.DataFrame(
        {"timestamp": times, "series": "up", "value": [1.0, 1, 0, 1, np.nan, 1]}
    )
    result = availability_from_up(
        up, window_start=T0, window_end=T0 + pd.Timedelta(minutes=1), target=0.9
    )
    assert result.expected == 6.0
    assert "10 s (1 series)" in " ".join(result.notes)


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(st.sampled_from(["b", "a", 'c{x="1"}', "é", "", None]), max_size=30),
    dtype=st.sampled_from(["str", "object"]),
)
def test_run_factorize_matches_pandas(keys: list[str | None], dtype: str) -> None:
    column = pd.Series(keys, dtype=dtype)
    codes, names = _factorize_runs(column)
    expected_codes, expected_names = pd.factorize(column, sort=True)
    assert codes.tolist() == expected_codes.tolist()
    assert names == [str(name) for name in expected_names]
