"""Support KPIs: clocks with pauses, targets, breaches, rates, volume and backlog."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.business_hours import BusinessSchedule
from analytics.errors import ConfigError
from analytics.metrics.support import (
    backlog_over_time,
    first_response_times,
    resolution_times,
    sla_breaches,
    sla_elapsed_seconds,
    support_rates,
    volume_against_history,
)

HOUR = 3600.0
OFFICE = BusinessSchedule("Europe/Berlin", "09:00", "17:00")


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _weekend_ticket() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Opened Fri 16:00 Berlin, paused 16:30 → Mon 10:00, resolved Mon 11:00 (CET)."""
    tickets = pd.DataFrame(
        {
            "ticket_id": ["W1"],
            "priority": ["P3"],
            "created_at": [_utc("2026-03-06 15:00")],
            "first_response_at": [_utc("2026-03-06 15:20")],
            "resolved_at": [_utc("2026-03-09 10:00")],
            "on_hold_seconds": pd.array([65.5 * HOUR], dtype="Float64"),
        }
    )
    pauses = pd.DataFrame(
        {
            "ticket_id": ["W1"],
            "pause_start": [_utc("2026-03-06 15:30")],
            "pause_end": [_utc("2026-03-09 09:00")],
        }
    )
    return tickets, pauses


def test_ticket_paused_over_a_weekend() -> None:
    tickets, pauses = _weekend_ticket()
    wall, _ = sla_elapsed_seconds(tickets, exclude_pauses=False)
    wall_sla, rule = sla_elapsed_seconds(tickets, pauses=pauses)
    business, _ = sla_elapsed_seconds(tickets, clock="business", schedule=OFFICE)
    business_sla, _ = sla_elapsed_seconds(
        tickets, clock="business", schedule=OFFICE, pauses=pauses
    )
    # Wall 67 h; minus the 65.5 h pause 1.5 h. Business: Fri 16-17 + Mon 9-11 = 3 h;
    # paused Fri 16:30-17 and Mon 9-10 = 1.5 h, leaving 1.5 h.
    assert wall.iloc[0] == 67 * HOUR
    assert wall_sla.iloc[0] == 1.5 * HOUR
    assert "paused intervals excluded" in rule
    assert (
        business.iloc[0] == 3 * HOUR
    )  # on_hold_seconds cannot be placed: not taken off
    assert business_sla.iloc[0] == 1.5 * HOUR


def test_overlapping_pauses_are_taken_off_once() -> None:
    tickets, pauses = _weekend_ticket()
    # The same weekend pause from a second source, plus one overlapping its end
    # and a reversed interval that pauses nothing: still 65.5 h + 0.5 h paused.
    extra = pd.DataFrame(
        {
            "ticket_id": ["W1", "W1", "W1"],
            "pause_start": [
                _utc("2026-03-06 15:30"),
                _utc("2026-03-09 08:00"),
                _utc("2026-03-09 09:50"),
            ],
            "pause_end": [
                _utc("2026-03-09 09:00"),
                _utc("2026-03-09 09:30"),
                _utc("2026-03-09 09:40"),
            ],
        }
    )
    both = pd.concat([pauses, extra], ignore_index=True)
    wall_sla, _ = sla_elapsed_seconds(tickets, pauses=both)
    business_sla, _ = sla_elapsed_seconds(
        tickets, clock="business", schedule=OFFICE, pauses=both
    )
    assert wall_sla.iloc[0] == 1.0 * HOUR  # 67 h - 66 h paused
    assert business_sla.iloc[0] == 1.0 * HOUR  # 3 h - (0.5 h Fri + 1.5 h Mon)


def test_on_hold_seconds_used_for_a_wall_clock_without_intervals() -> None:
    tickets, _ = _weekend_ticket()
    seconds, rule = sla_elapsed_seconds(tickets)
    assert seconds.iloc[0] == 1.5 * HOUR
    assert "on_hold_seconds excluded" in rule
    _, business_rule = sla_elapsed_seconds(tickets, clock="business", schedule=OFFICE)
    assert "NOT excluded" in business_rule


def test_resolution_against_targets_on_business_clock() -> None:
    tickets, pauses = _weekend_ticket()
    table = resolution_times(
        tickets,
        clock="business",
        schedule=OFFICE,
        pauses=pauses,
        targets_hours={"P3": 1},
    ).set_index("priority")
    p3 = table.loc["P3"]
    assert (p3["count"], p3["mean_seconds"], p3["breached"]) == (1, 1.5 * HOUR, 1)
    assert p3["target_seconds"] == HOUR
    assert table.loc["P1", "status"] == "NO DATA"
    assert "business hours" in p3["definition"]


def _support_tickets() -> pd.DataFrame:
    t0 = _utc("2026-03-02 09:00")
    minutes = [5, 20, 10, None]
    hours = [1, 3, 30, None]
    return pd.DataFrame(
        {
            "ticket_id": ["A", "B", "C", "D"],
            "priority": ["P1", "P1", "P3", "P1"],
            "created_at": [t0] * 4,
            "first_response_at": pd.Series(
                [
                    pd.NaT if m is None else t0 + pd.Timedelta(minutes=m)
                    for m in minutes
                ],
                dtype="datetime64[us, UTC]",
            ),
            "resolved_at": pd.Series(
                [pd.NaT if h is None else t0 + pd.Timedelta(hours=h) for h in hours],
                dtype="datetime64[us, UTC]",
            ),
            "escalated": pd.array([True, False, None, False], dtype="boolean"),
            "reopen_count": pd.array([0, 1, 0, None], dtype="Int64"),
            "reassignment_count": pd.array([0, 2, 1, 0], dtype="Int64"),
        }
    )


def test_first_response_against_15_minutes() -> None:
    table = first_response_times(_support_tickets()).set_index("priority")
    p1 = table.loc["P1"]
    assert (p1["count"], p1["missing"], p1["within_target"], p1["breached"]) == (
        2,
        1,
        1,
        1,
    )
    assert p1["share_within_target"] == 0.5
    assert p1["median_seconds"] == 12.5 * 60


def test_breach_list_worst_first_including_open_tickets() -> None:
    tickets = _support_tickets()
    closed = sla_breaches(tickets)
    assert closed["ticket_id"].tolist() == ["C", "B"]  # 30 h vs 24 h; 3 h vs 2 h
    assert closed["over_by_seconds"].tolist() == [6 * HOUR, HOUR]
    open_too = sla_breaches(tickets, as_of=_utc("2026-03-02 14:00"))
    assert open_too[["ticket_id", "open"]].to_numpy().tolist() == [
        ["D", True],
        ["B", False],
    ]
    responses = sla_breaches(tickets, measure="first_response")
    assert responses["ticket_id"].tolist() == ["B"]


def test_rates_leave_unknown_out_of_the_denominator() -> None:
    row = support_rates(_support_tickets(), by=None).iloc[0]
    assert row["escalation_known"] == 3
    assert row["escalation_rate"] == pytest.approx(1 / 3)
    assert row["reopen_rate"] == pytest.approx(1 / 3)
    assert row["reassignment_rate"] == 0.5
    assert row["mean_reassignments"] == 0.75


def test_rates_by_priority() -> None:
    table = support_rates(_support_tickets()).set_index("priority")
    assert table.loc["P3", "escalation_known"] == 0
    assert pd.isna(table.loc["P3", "escalation_rate"])


def test_volume_outside_expected_range() -> None:
    history = pd.date_range("2026-01-05", periods=28, freq="D", tz="UTC").repeat(4)
    window = pd.DatetimeIndex(
        ["2026-02-02 10:00"] * 9 + ["2026-02-03 10:00"] * 4, tz="UTC"
    )  # Monday 9 (usual 4), Tuesday 4, Wednesday 0
    out = volume_against_history(
        pd.DataFrame({"created_at": history.append(window)}),
        window_start=_utc("2026-02-02"),
        window_end=_utc("2026-02-05"),
        history_start=_utc("2026-01-05"),
        history_end=_utc("2026-02-02"),
    )
    assert out["tickets"].tolist() == [9, 4, 0]
    assert out["outside"].tolist() == ["above", "", "below"]
    assert out["history_periods"].tolist() == [4, 4, 4]


def test_weekly_volume() -> None:
    created = pd.date_range("2026-01-05", periods=35, freq="D", tz="UTC")
    out = volume_against_history(
        pd.DataFrame({"created_at": created}),
        freq="W",
        window_start=_utc("2026-02-02"),
        window_end=_utc("2026-02-09"),
        history_start=_utc("2026-01-05"),
        history_end=_utc("2026-02-02"),
    )
    assert out[["tickets", "expected_median", "outside"]].to_numpy().tolist() == [
        [7, 7.0, ""]
    ]


def test_backlog_counts_open_tickets_at_each_period_end() -> None:
    out = backlog_over_time(
        _support_tickets(), start=_utc("2026-03-02"), end=_utc("2026-03-05")
    )
    # 4 created on day 1; A, B resolved on day 1, C on day 2 (30 h), D never.
    assert out[["created", "resolved", "open_at_end"]].to_numpy().tolist() == [
        [4, 2, 2],
        [0, 1, 1],
        [0, 0, 1],
    ]


def test_business_clock_needs_a_schedule() -> None:
    with pytest.raises(ConfigError, match="schedule"):
        resolution_times(_support_tickets(), clock="business")


def test_polars_input_gives_identical_results() -> None:
    frame = _support_tickets()
    for function in (first_response_times, resolution_times, support_rates):
        expected = function(frame)
        pd.testing.assert_frame_equal(function(pl.from_pandas(frame)), expected)


minutes = st.integers(min_value=0, max_value=14 * 24 * 60)


@settings(max_examples=25, deadline=None)
@given(
    spans=st.lists(
        st.tuples(minutes, minutes, minutes, minutes), min_size=1, max_size=12
    ),
    seed=st.integers(0, 2**16),
)
def test_sla_clock_never_negative_and_order_independent(
    spans: list[tuple[int, int, int, int]], seed: int
) -> None:
    t0 = _utc("2026-03-02 00:00")
    at = [[t0 + pd.Timedelta(minutes=m) for m in span] for span in spans]
    ids = [f"T{i}" for i in range(len(spans))]
    tickets = pd.DataFrame(
        {
            "ticket_id": ids,
            "priority": ["P2"] * len(spans),
            "created_at": [a[0] for a in at],
            "resolved_at": [a[1] for a in at],
        }
    )
    pauses = pd.DataFrame(
        {
            "ticket_id": ids,
            "pause_start": [min(a[2], a[3]) for a in at],
            "pause_end": [max(a[2], a[3]) for a in at],
        }
    )
    for clock, schedule in (("wall", None), ("business", OFFICE)):
        seconds, _ = sla_elapsed_seconds(
            tickets,
            clock=clock,
            schedule=schedule,
            pauses=pauses,  # type: ignore[arg-type]
        )
        assert (seconds.dropna() >= 0).all()
        expected = resolution_times(
            tickets, clock=clock, schedule=schedule, pauses=pauses
        )  # type: ignore[arg-type]
        shuffled = resolution_times(
            tickets.sample(frac=1.0, random_state=seed),
            clock=clock,  # type: ignore[arg-type]
            schedule=schedule,
            pauses=pauses,
        )
        pd.testing.assert_frame_equal(shuffled, expected)


@pytest.mark.slow
def test_real_servicenow_log_wall_clock_shares_match_design() -> None:
    from pathlib import Path

    from analytics.sources.servicenow import read_servicenow_csv

    demo = Path(__file__).resolve().parents[1] / "data" / "demo" / "servicenow"
    tickets = read_servicenow_csv(demo / "incident_event_log.csv.gz").frame
    table = resolution_times(tickets, exclude_pauses=False).set_index("priority")
    # DESIGN.md, among resolved incidents (wall clock): 7.8 / 29.2 / 52.0 / 67.2 %.
    shares = table["share_within_target"].round(3).tolist()
    assert shares == [0.078, 0.292, 0.52, 0.672]
    assert (table["median_seconds"] / HOUR).round(1).tolist() == [80.2, 38.2, 21.6, 5.0]


def test_support_rates_text_keys_give_the_table_object_keys_give() -> None:
    tickets = pd.DataFrame(
        {
            "priority": ["P1", "P1", None, "P2"],
            "reopen_count": pd.array([0, 1, 0, None], dtype="Int64"),
            "reassignment_count": pd.array([2, 0, 1, 0], dtype="Int64"),
        }
    )
    got = support_rates(tickets.astype({"priority": "string"}))
    expected = support_rates(tickets.astype({"priority": object}))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["priority"].tolist() == ["(none)", "P1", "P2"]
