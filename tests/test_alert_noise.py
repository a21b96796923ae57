"""Alert noise: hand-made history with known flapping, short-lived and co-firing."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.errors import ConfigError
from analytics.metrics.alert_noise import alert_noise

T0 = pd.Timestamp("2024-05-01 08:00", tz="UTC")


def _alert(
    name: str, start_min: float, end_min: float, **labels: str
) -> dict[str, object]:
    return {
        "name": name,
        "labels": labels,
        "starts_at": T0 + pd.Timedelta(minutes=start_min),
        "ends_at": T0 + pd.Timedelta(minutes=end_min),
    }


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # Flapping on instance a: fires, resolves, refires 5 and 4 min later.
            _alert("HighCPU", 0, 2, instance="a"),
            _alert("HighCPU", 7, 9, instance="a"),
            _alert("HighCPU", 13, 40, instance="a"),
            # Fires with each HighCPU start, within 2 min.
            _alert("HighLoad", 1, 30),
            _alert("HighLoad", 8, 30),
            _alert("HighLoad", 14, 30),
            # 09:00 next day: the first minute of the on-call day of 2 May.
            _alert("DiskFull", 60 * 25, 60 * 26),
        ]
    )


def test_per_oncall_day_uses_handover_hour() -> None:
    noise = alert_noise(_history(), handover_hour=9)
    # 08:00–08:14 belong to the on-call day that began on 30 April at 09:00.
    assert noise.per_oncall_day["oncall_day"].astype(str).tolist() == [
        "2024-04-30",
        "2024-05-02",
    ]
    assert noise.per_oncall_day["alerts"].tolist() == [6, 1]


def test_short_lived_and_flapping() -> None:
    noise = alert_noise(_history())
    assert noise.short_lived["name"].tolist() == ["HighCPU", "HighCPU"]
    assert noise.short_lived["duration_seconds"].tolist() == [120.0, 120.0]

    flapping = noise.flapping
    assert flapping["name"].tolist() == ["HighCPU"]
    assert flapping["refires"].tolist() == [2]
    assert flapping["firings"].tolist() == [3]


def test_cofiring_pairs() -> None:
    cofiring = alert_noise(_history()).cofiring
    top = cofiring.iloc[0]
    assert (top["name_a"], top["name_b"], top["together"]) == ("HighCPU", "HighLoad", 3)
    assert top["jaccard"] == pytest.approx(1.0)
    assert len(cofiring) == 1


def test_missing_columns_is_an_error() -> None:
    with pytest.raises(ConfigError, match="ends_at"):
        alert_noise(pd.DataFrame({"name": ["x"], "starts_at": [T0]}))
