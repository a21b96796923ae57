"""Incident KPIs: hand-computed MTTx, NO DATA, order and engine independence."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.errors import ConfigError
from analytics.metrics.incidents import MEASURES, critical_incidents, incident_times

T0 = pd.Timestamp("2026-03-02 10:00", tz="UTC")
MIN = pd.Timedelta(minutes=1)
NAT = pd.NaT


def _tickets() -> pd.DataFrame:
    def times(minutes: list[float | None]) -> pd.Series:
        return pd.Series(
            [NAT if m is None else T0 + m * MIN for m in minutes],
            dtype="datetime64[us, UTC]",
        )

    return pd.DataFrame(
        {
            "ticket_id": ["I1", "I2", "I3", "I4"],
            "priority": ["P1", "P1", "P2", "P1"],
            "created_at": times([0, 0, 0, 0]),
            "detected_at": times([0, 0, 0, 0]),
            "impact_started_at": times([None, None, None, None]),
            "acknowledged_at": times([2, 4, None, 12]),
            "first_response_at": times([5, 1, 30, None]),
            "first_resolved_at": times([20, 40, 60, None]),
            "resolved_at": times([20, 100, 60, None]),
            "closed_at": times([60, None, None, None]),
        }
    )


def test_hand_computed_measures_for_p1() -> None:
    table = incident_times(_tickets()).set_index(["measure", "priority"])
    mtta = table.loc[("mtta", "P1")]
    # Acknowledged after 2, 4 and 12 minutes: mean 6, median 4, p90 = 4 + 0.8 * 8.
    assert (mtta["count"], mtta["mean_seconds"], mtta["median_seconds"]) == (
        3,
        360,
        240,
    )
    assert mtta["p90_seconds"] == pytest.approx(10.4 * 60)
    start = table.loc[("response_initiation", "P1")]
    # Earliest of acknowledgement and first response: 2, 1, 12 minutes.
    assert start["mean_seconds"] == 5 * 60
    restore = table.loc[("mttr_restore", "P1")]
    resolve = table.loc[("mttr_resolve", "P1")]
    assert (restore["mean_seconds"], resolve["mean_seconds"]) == (30 * 60, 60 * 60)
    assert table.loc[("mttr_close", "P1"), "count"] == 1


def test_no_impact_start_means_mttd_is_no_data_and_says_why() -> None:
    table = incident_times(_tickets(), measures=["mttd"], by=None)
    row = table.iloc[0]
    assert (row["count"], row["status"]) == (0, "NO DATA")
    assert np.isnan(row["mean_seconds"])
    assert "impact_started_at" in row["note"]
    assert "never inferred" in row["note"]


def test_priorities_without_tickets_are_listed_as_no_data() -> None:
    table = incident_times(_tickets(), measures=["mtta"]).set_index("priority")
    assert list(table.index) == ["P1", "P2", "P3", "P4"]
    assert table.loc["P4", "status"] == "NO DATA"
    assert table.loc["P2", "missing"] == 1


def test_every_measure_names_its_definition() -> None:
    table = incident_times(_tickets(), by=None)
    assert list(table["measure"]) == list(MEASURES)
    assert table["definition"].str.contains("→").all()


def test_period_grouping_and_window() -> None:
    table = incident_times(
        _tickets(),
        measures=["mtta"],
        by=None,
        period="D",
        window_start=T0 - pd.Timedelta(hours=1),
        window_end=T0 + pd.Timedelta(hours=1),
    )
    assert table["period_start"].tolist() == [pd.Timestamp("2026-03-02", tz="UTC")]
    assert table["count"].tolist() == [3]


def test_unknown_measure_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="mttx"):
        incident_times(_tickets(), measures=["mttx"])


def test_critical_incidents_in_first_24_hours() -> None:
    out = critical_incidents(
        _tickets(), window_start=T0, window_end=T0 + pd.Timedelta(hours=24)
    )
    assert out.loc[0, "count"] == 3
    assert out.loc[0, "ticket_ids"] == ["I1", "I2", "I4"]
    assert out.loc[0, "still_open"] == 1


def test_polars_input_gives_identical_results() -> None:
    frame = _tickets()
    expected = incident_times(frame)
    actual = incident_times(pl.from_pandas(frame))
    pd.testing.assert_frame_equal(actual, expected)


timestamps = st.integers(min_value=0, max_value=10 * 24 * 60).map(
    lambda m: T0 + pd.Timedelta(minutes=m)
)
rows = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        timestamps,
        timestamps,
        timestamps,
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


def _frame(
    data: list[tuple[str, pd.Timestamp, pd.Timestamp, pd.Timestamp, bool]],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(len(data))],
            "priority": [r[0] for r in data],
            "created_at": pd.Series([r[1] for r in data], dtype="datetime64[us, UTC]"),
            "acknowledged_at": pd.Series(
                [r[2] if r[4] else NAT for r in data], dtype="datetime64[us, UTC]"
            ),
            "resolved_at": pd.Series([r[3] for r in data], dtype="datetime64[us, UTC]"),
        }
    )


@settings(max_examples=25, deadline=None)
@given(data=rows, seed=st.integers(0, 2**16))
def test_results_do_not_depend_on_row_order_and_are_never_negative(
    data: list[tuple[str, pd.Timestamp, pd.Timestamp, pd.Timestamp, bool]], seed: int
) -> None:
    frame = _frame(data)
    measures = ["mtta", "mttr_resolve", "response_initiation"]
    expected = incident_times(frame, measures=measures)
    shuffled = frame.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(incident_times(shuffled, measures=measures), expected)
    stats = expected[["mean_seconds", "median_seconds", "p90_seconds"]]
    assert (stats.fillna(0) >= 0).all().all()
    assert ((expected["count"] == 0) == stats["mean_seconds"].isna()).all()


def test_created_at_is_required() -> None:
    from analytics.errors import InputError

    with pytest.raises(InputError, match="created_at"):
        incident_times(pd.DataFrame({"priority": ["P1"]}))


def test_window_needs_tz_aware_bounds() -> None:
    with pytest.raises(ConfigError, match="time zone"):
        incident_times(_tickets(), window_start=dt.datetime(2026, 3, 2))  # type: ignore[arg-type]


@pytest.mark.parametrize("by", ["priority", ["priority", "group"], "group"])
def test_text_group_keys_give_the_table_object_keys_give(by: str | list[str]) -> None:
    # Text keys are grouped as Arrow strings (faster), object keys as objects:
    # the tables, labels and their dtypes must not differ.
    tickets = _tickets()
    tickets["group"] = ["a", None, "b", "a"]
    as_text = tickets.astype({"priority": "string", "group": "string"})
    as_objects = tickets.astype({"priority": object, "group": object})

    got = incident_times(as_text, measures=["mtta", "mttr_resolve"], by=by)
    expected = incident_times(as_objects, measures=["mtta", "mttr_resolve"], by=by)

    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    if "group" in by:
        assert "(none)" in got["group"].tolist()


def test_cancelled_tickets_are_left_out_of_resolution_measures_only() -> None:
    # I4 (P1, acknowledged after 12 min, never resolved) was cancelled: it
    # stays in MTTA but leaves every resolution and closing measure, counted
    # in cancelled_excluded rather than in missing.
    tickets = _tickets().assign(status=["Resolved", "Resolved", "Closed", " canceled"])
    table = incident_times(tickets).set_index(["measure", "priority"])
    assert table.loc[("mtta", "P1"), "count"] == 3
    assert table.loc[("mtta", "P1"), "cancelled_excluded"] == 0
    resolve = table.loc[("mttr_resolve", "P1")]
    assert (resolve["count"], resolve["missing"], resolve["cancelled_excluded"]) == (
        2,
        0,
        1,
    )
    # Closed: I1 after 60 min; I2 not closed (missing); I4 left out.
    close = table.loc[("mttr_close", "P1")]
    assert (close["count"], close["missing"], close["cancelled_excluded"]) == (1, 1, 1)
    assert "cancelled tickets left out" in MEASURES["mttr_resolve"].definition
    # Without a status column nothing is cancelled.
    plain = incident_times(_tickets(), measures=["mttr_resolve"], by=None)
    assert plain.loc[0, "cancelled_excluded"] == 0
    assert plain.loc[0, "missing"] == 1
