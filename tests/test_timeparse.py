from __future__ import annotations

import pandas as pd
import pytest

from analytics.errors import ConfigError, InputError
from analytics.timeparse import (
    detect_date_order,
    instant_problem,
    parse_instant,
    parse_timestamps,
)


def test_day_first_with_impossible_date_is_unparseable() -> None:
    parsed = parse_timestamps(
        pd.Series(["29/2/2016 01:16", "5/3/2016 12:00", None, "31/2/2016 10:00", "x"]),
        timezone="UTC",
        date_order="dayfirst",
    )
    assert parsed.values.iloc[0] == pd.Timestamp("2016-02-29 01:16", tz="UTC")
    assert parsed.values.iloc[1] == pd.Timestamp("2016-03-05 12:00", tz="UTC")
    assert parsed.unparseable.tolist() == [False, False, False, True, True]
    assert str(parsed.values.dt.tz) == "UTC"


def test_month_first() -> None:
    parsed = parse_timestamps(
        pd.Series(["3/5/2016 12:00"]), timezone="UTC", date_order="monthfirst"
    )
    assert parsed.values.iloc[0] == pd.Timestamp("2016-03-05 12:00", tz="UTC")


def test_local_zone_converted_to_utc_and_dst_gaps_reported() -> None:
    parsed = parse_timestamps(
        pd.Series(
            [
                "2016-01-15 10:00",
                "2016-03-27 02:30",
                "2016-10-30 02:30",
                "2016-07-01T10:00+02:00",
            ]
        ),
        timezone="Europe/Berlin",
    )
    assert parsed.values.iloc[0] == pd.Timestamp("2016-01-15 09:00", tz="UTC")
    # 02:30 does not exist on 27 March and happens twice on 30 October in Berlin.
    assert parsed.nonexistent_or_ambiguous.tolist() == [False, True, True, False]
    assert parsed.values.iloc[3] == pd.Timestamp("2016-07-01 08:00", tz="UTC")
    assert not parsed.unparseable.any()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["29/2/2016 01:16", "1/3/2016"], "dayfirst"),
        (["2/29/2016 01:16", "3/1/2016"], "monthfirst"),
        (["2016-02-29 01:16"], "iso"),
    ],
)
def test_detect_date_order(values: list[str], expected: str) -> None:
    assert detect_date_order(pd.Series(values)) == expected


def test_ambiguous_dates_are_an_error_that_says_how_to_choose() -> None:
    with pytest.raises(InputError, match=r"ambiguous.*date_order: dayfirst"):
        detect_date_order(
            pd.Series(["1/2/2016", "3/4/2016"]), path="t.csv", column="opened_at"
        )


def test_mixed_orders_are_an_error() -> None:
    with pytest.raises(InputError, match="mixes day-first"):
        detect_date_order(pd.Series(["13/1/2016", "1/13/2016"]))


def test_configured_order_contradicted_by_the_data_is_an_error() -> None:
    # Month-first dates read as day-first: most fail, the rest would be silently swapped.
    values = pd.Series([f"{m}/{d}/2016 10:00" for m in (1, 2, 3) for d in range(1, 29)])
    with pytest.raises(
        InputError, match="do not fit date_order dayfirst but do fit monthfirst"
    ):
        parse_timestamps(values, timezone="UTC", date_order="dayfirst", path="t.csv")


def test_a_file_mixing_orders_is_refused_with_no_order_to_switch_to() -> None:
    # Found by a fresh-user test: 2 of 12 month-first dates in a day-first file
    # were answered with "set date_order: monthfirst", which breaks the other 10,
    # and auto mode advised setting an order that was then refused.
    values = pd.Series(["25/2/2026 10:00"] * 10 + ["2/25/2026 10:00"] * 2)
    with pytest.raises(InputError) as caught:
        parse_timestamps(values, timezone="UTC", date_order="dayfirst", path="t.csv")
    message = str(caught.value)
    assert "2 of 12 dates fit only monthfirst, the rest dayfirst" in message
    assert "no date_order setting reads a file that mixes" in message
    assert "set date_order: monthfirst" not in message
    with pytest.raises(InputError) as caught:
        detect_date_order(values)
    assert "no date_order setting reads a file that mixes" in str(caught.value)


def test_a_few_bad_dates_in_the_configured_order_are_rejected_not_an_error() -> None:
    values = pd.Series(["29/2/2016 01:16"] * 40 + ["2/29/2016 01:16"])
    parsed = parse_timestamps(values, timezone="UTC", date_order="dayfirst")
    assert int(parsed.unparseable.sum()) == 1


# --- decision times given by a person: ISO 8601 only ------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04", "2026-03-04 00:00"),  # a date alone: 00:00 UTC
        ("2026-03-04T09:30", "2026-03-04 09:30"),  # no offset: UTC
        ("2026-03-04T09:30:15Z", "2026-03-04 09:30:15"),
        ("2026-03-04 09:30:00+02:00", "2026-03-04 07:30"),
        ("2026-03-04T09:30:00.5-0100", "2026-03-04 10:30:00.5"),
        (" 2026-03-04T09:30:00z ", "2026-03-04 09:30"),
    ],
)
def test_parse_instant_reads_iso_8601_as_utc(text: str, expected: str) -> None:
    assert parse_instant(text, name="--as-of") == pd.Timestamp(expected, tz="UTC")


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        # Day and month could be either way round: both readings are offered.
        ("03/04/2026", "2026-03-04T00:00:00Z for 4 March, or 2026-04-03T00:00:00Z"),
        ("03/04/2026 10:30", "2026-03-04T10:30:00Z for 4 March"),
        ("30.06.2026", "write 2026-06-30T00:00:00Z"),
        ("June 30 2026", "write 2026-06-30T00:00:00Z"),
        ("20260630", "write 2026-06-30T00:00:00Z"),
        ("yesterday", "write e.g. 2026-03-04"),
        ("2026-02-30", "write one that exists"),
        ("2026-W10", "write e.g. 2026-03-04"),
    ],
)
def test_parse_instant_refuses_everything_else_with_the_fix(
    text: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_instant(text, name="--as-of")
    message = str(caught.value)
    assert message.startswith(f"--as-of {text!r} is not")
    assert fix in message
    assert "\n" not in message
    assert instant_problem(text) is not None


def test_instant_problem_is_none_for_iso() -> None:
    assert instant_problem("2016-06-30T00:00:00Z") is None


def test_hour_only_offsets_mix_with_full_offsets_and_local_times() -> None:
    # ISO 8601 allows +01; pandas refuses it beside other offsets ("Mixed timezones").
    parsed = parse_timestamps(
        pd.Series(
            ["2026-03-28T10:00+01", "2026-03-30T10:00:00+02:00", "2026-03-30 10:00"]
        ),
        timezone="Europe/Berlin",
    )
    assert [str(v) for v in parsed.values] == [
        "2026-03-28 09:00:00+00:00",
        "2026-03-30 08:00:00+00:00",
        "2026-03-30 08:00:00+00:00",
    ]
