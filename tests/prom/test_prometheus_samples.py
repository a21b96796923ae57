"""Converting API series objects into the samples frame, without a server.

``_series_arrays`` parses the pairs with ``itemgetter`` (in the fetching
thread) and ``_samples`` sorts once, keeps reason
codes as small integers and builds the text columns through Arrow. The
reference below is the plain version it replaced (object arrays of strings,
one sort for the de-duplication and another for the frame): on random answers
with NaN, infinities, repeated and conflicting samples and series split over
chunks, both must give the same frame and the same rejected rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.frames import REJECTED_COLUMNS, SAMPLES_COLUMNS
from analytics.sources.metric_files import TIMESTAMP_DTYPE, series_key
from analytics.sources.prometheus import (
    _REJECT_TEXT,
    SOURCE_NAME,
    _samples,
    _series_arrays,
)


def reference_samples(
    series: Sequence[dict[str, Any]],
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    keys: list[str] = []
    names: list[str] = []
    label_sets: list[dict[str, str]] = []
    index: dict[str, int] = {}
    codes, stamps, values = [], [], []
    for item in series:
        labels = {str(k): str(v) for k, v in item.get("metric", {}).items()}
        name = labels.pop("__name__", "")
        key = series_key(name, labels) if (name or labels) else "scalar"
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
            names.append(name)
            label_sets.append(labels)
        pairs = item.get("values") or []
        codes.append(np.full(len(pairs), index[key], dtype=np.int64))
        stamps.append(np.fromiter((pair[0] for pair in pairs), float, len(pairs)))
        values.append(np.array([pair[1] for pair in pairs], dtype=float))
    code = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
    stamp = np.concatenate(stamps) if stamps else np.empty(0)
    value = np.concatenate(values) if values else np.empty(0)
    millis = np.rint(stamp * 1000.0).astype(np.int64)

    reasons = np.full(len(code), "", dtype=object)
    reasons[np.isnan(value)] = "nan_value"
    reasons[np.isinf(value)] = "infinite_value"
    usable = np.flatnonzero(reasons == "")
    order = usable[np.lexsort((millis[usable], code[usable]))]
    same = (code[order][1:] == code[order][:-1]) & (
        millis[order][1:] == millis[order][:-1]
    )
    if same.any():
        group = np.concatenate(([0], np.cumsum(~same)))
        grouped = pd.DataFrame({"group": group, "value": value[order]})
        distinct = grouped.groupby("group")["value"].transform("nunique").to_numpy()
        size = grouped.groupby("group")["value"].transform("size").to_numpy()
        later = grouped.duplicated("group", keep="first").to_numpy()
        reasons[order[(size > 1) & (distinct > 1)]] = "conflicting_sample"
        reasons[order[(distinct == 1) & later]] = "duplicate_sample"

    keep = reasons == ""
    order = np.lexsort((millis[keep], code[keep]))
    kept_code = code[keep][order]
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(
                millis[keep][order], unit="ms", utc=True
            ).astype(TIMESTAMP_DTYPE),
            "metric": np.asarray(names, dtype=object)[kept_code],
            "labels": np.asarray([*label_sets, None], dtype=object)[:-1][kept_code],
            "series": np.asarray(keys, dtype=object)[kept_code],
            "value": value[keep][order],
        },
        columns=list(SAMPLES_COLUMNS),
    )
    rows = []
    for position in np.flatnonzero(reasons != ""):
        reason = str(reasons[position])
        column, text = _REJECT_TEXT[reason]
        shown = (
            str(pd.Timestamp(int(millis[position]), unit="ms", tz="UTC"))
            if column == "timestamp"
            else str(value[position])
        )
        rows.append(
            {
                "source_file": SOURCE_NAME,
                "row_number": int(position) + 1,
                "column": column,
                "value": shown,
                "reason_code": reason,
                "message": f"{text} (series {keys[int(code[position])]})",
            }
        )
    rejected = pd.DataFrame(rows, columns=list(REJECTED_COLUMNS)).astype(
        {"row_number": "int64"}
    )
    return frame, rejected, len(code)


VALUE_TEXTS = ["0", "1", "2.5", "1e-7", "NaN", "+Inf", "-Inf", "-0", "10", "0.1"]


@st.composite
def answers(draw: Any) -> list[dict[str, Any]]:
    """Series objects as a range answer holds them, possibly over several chunks."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    found = []
    for _ in range(draw(st.integers(0, 6))):
        which = int(rng.integers(0, 4))
        metric = (
            {}
            if which == 3
            else {"__name__": "m", "job": f"j{which}", "path": 'a"b\\c'}
        )
        count = int(rng.integers(0, 30))
        stamps = 1_714_557_600 + rng.integers(0, 25, size=count) * 15
        stamps = stamps + rng.choice([0, 0.0004, 0.5], size=count)
        pairs = [
            [
                int(t) if float(t).is_integer() else float(t),
                str(rng.choice(VALUE_TEXTS)),
            ]
            for t in stamps
        ]
        found.append({"metric": metric, "values": pairs})
    return found


def assert_same(series: list[dict[str, Any]]) -> None:
    frame, rejected, rows_in = _samples([_series_arrays(item) for item in series])
    plain_frame, plain_rejected, plain_rows_in = reference_samples(series)
    pd.testing.assert_frame_equal(frame, plain_frame, check_exact=True)
    pd.testing.assert_frame_equal(rejected, plain_rejected, check_exact=True)
    assert rows_in == plain_rows_in


@settings(max_examples=300, deadline=None)
@given(series=answers())
def test_samples_match_the_plain_conversion(series: list[dict[str, Any]]) -> None:
    assert_same(series)


def test_samples_of_an_empty_answer_match() -> None:
    assert_same([])
    assert_same([{"metric": {"__name__": "up"}, "values": []}])


def test_chunks_in_time_order_match() -> None:
    # The usual answer: each chunk lists every series in time order, so sorting
    # by series alone orders the samples; a repeat at the border is a duplicate.
    chunks = [(0, 4), (3, 8)]
    series = [
        {
            "metric": {"__name__": "up", "job": job},
            "values": [[1_714_557_600 + 15 * k, str(k % 3)] for k in range(a, b)],
        }
        for a, b in chunks
        for job in ("b", "a")
    ]
    assert_same(series)


def test_text_columns_keep_the_inferred_dtype() -> None:
    series = [{"metric": {"__name__": "up"}, "values": [[1, "1"], [2, "0"]]}]
    frame, _, _ = _samples([_series_arrays(item) for item in series])
    expected = pd.Series(np.array(["up"], dtype=object)).dtype
    assert frame["series"].dtype == expected
    assert frame["metric"].dtype == expected
