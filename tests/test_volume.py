from __future__ import annotations

import pandas as pd
import polars as pl

from analytics.metrics.volume import ticket_volume


def _tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "created_at": pd.to_datetime(
                [
                    "2016-03-01 10:00",
                    "2016-03-01 11:00",
                    "2016-03-03 09:00",
                    "2016-03-09 00:00",
                ],
                utc=True,
            ),
            "priority": ["P1", "P3", "P3", "P3"],
        }
    )


def test_every_day_present_with_zero_for_quiet_days() -> None:
    volume = ticket_volume(
        _tickets(),
        window_start=pd.Timestamp("2016-03-01", tz="UTC"),
        window_end=pd.Timestamp("2016-03-05", tz="UTC"),
    )
    assert volume["total"].tolist() == [2, 0, 1, 0]
    assert volume["P1"].tolist() == [1, 0, 0, 0]
    assert str(volume["period_start"].dt.tz) == "UTC"


def test_polars_input_gives_same_counts() -> None:
    kwargs = {
        "window_start": pd.Timestamp("2016-03-01", tz="UTC"),
        "window_end": pd.Timestamp("2016-03-05", tz="UTC"),
    }
    pandas_result = ticket_volume(_tickets(), **kwargs)
    polars_result = ticket_volume(pl.from_pandas(_tickets()), **kwargs)
    assert pandas_result["total"].tolist() == polars_result["total"].tolist()
