"""Ticket volume over time."""

from __future__ import annotations

import pandas as pd

from analytics.frames import to_pandas

__all__ = ["ticket_volume"]


def ticket_volume(
    tickets: object,
    *,
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
    freq: str = "D",
) -> pd.DataFrame:
    """Tickets opened per period, by priority, over ``[window_start, window_end)``.

    Every period of the window is present, with zero where nothing was opened,
    so a quiet day shows as zero rather than vanishing.

    Returns
    -------
    pandas.DataFrame
        Columns ``period_start`` (UTC) and one column per priority, plus ``total``.

    Examples
    --------
    >>> t = pd.DataFrame({"created_at": pd.to_datetime(
    ...     ["2016-03-01 10:00", "2016-03-01 11:00", "2016-03-03 09:00"], utc=True),
    ...     "priority": ["P1", "P3", "P3"]})
    >>> v = ticket_volume(t, window_start=pd.Timestamp("2016-03-01", tz="UTC"),
    ...                   window_end=pd.Timestamp("2016-03-04", tz="UTC"))
    >>> v["total"].tolist()
    [2, 0, 1]
    """
    frame = to_pandas(tickets)
    in_window = frame[
        (frame["created_at"] >= window_start) & (frame["created_at"] < window_end)
    ]
    periods = pd.date_range(
        window_start.floor(freq), window_end, freq=freq, inclusive="left"
    )

    counts = (
        in_window.assign(period_start=in_window["created_at"].dt.floor(freq))
        .groupby(["period_start", "priority"])
        .size()
        .unstack("priority", fill_value=0)
        .reindex(periods, fill_value=0)
    )
    counts.index.name = "period_start"
    counts.columns = [str(c) for c in counts.columns]
    counts["total"] = counts.sum(axis=1)
    return counts.reset_index()
