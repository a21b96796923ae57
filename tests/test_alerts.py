"""Alert-history reader: Alertmanager API v2 JSON and CSV, with exact accounting."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.errors import InputError
from analytics.metrics.alert_noise import alert_noise
from analytics.sources.alerts import ALERT_COLUMNS, read_alert_history


def _alert(name: str | None, starts: str | None, ends: str | None, **labels: str):
    body: dict[str, object] = {
        "annotations": {"summary": "x"},
        "fingerprint": "abc",
        "receivers": [{"name": "oncall"}],
        "status": {"state": "active", "inhibitedBy": [], "silencedBy": []},
        "updatedAt": "2024-05-01T12:00:00.000Z",
        "labels": {**({"alertname": name} if name else {}), **labels},
    }
    if starts is not None:
        body["startsAt"] = starts
    if ends is not None:
        body["endsAt"] = ends
    return body


def test_alertmanager_v2_json(tmp_path: Path) -> None:
    file = tmp_path / "alerts.json"
    file.write_text(
        json.dumps(
            [
                _alert(
                    "HighCPU",
                    "2024-05-01T10:00:00.123456789Z",
                    "2024-05-01T10:02:00Z",
                    instance="a",
                ),
                _alert("HighCPU", "2024-05-01T10:05:00+02:00", "0001-01-01T00:00:00Z"),
                _alert(None, "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z"),
                _alert("Bad", "yesterday-ish", "2024-05-01T10:01:00Z"),
                _alert("Bad", "2024-05-01T10:00:00Z", "soon"),
                _alert("NoStart", None, "2024-05-01T10:01:00Z"),
                _alert("Backwards", "2024-05-01T10:00:00Z", "2024-05-01T09:00:00Z"),
                "not an alert",
            ]
        ),
        "utf-8",
    )

    result = read_alert_history(file)

    assert result.kind == "alerts"
    assert tuple(result.frame.columns) == ALERT_COLUMNS
    assert result.rows_in == 8 == result.rows_used + result.rows_rejected
    assert result.rows_used == 2
    assert result.rejected.set_index("row_number")["reason_code"].to_dict() == {
        3: "missing_name",
        4: "unparseable_time",
        5: "unparseable_time",
        6: "missing_start",
        7: "end_before_start",
        8: "not_an_object",
    }
    frame = result.frame
    assert str(frame["starts_at"].dt.tz) == "UTC"
    # +02:00 is converted: 08:05 UTC sorts first.
    assert frame["starts_at"].tolist() == [
        pd.Timestamp("2024-05-01T08:05:00Z"),
        pd.Timestamp("2024-05-01T10:00:00.123456Z"),  # microseconds, as every frame
    ]
    assert pd.isna(frame.loc[0, "ends_at"])  # Go's zero time: still firing
    assert frame.loc[1, "labels"] == {"instance": "a"}
    assert result.notes  # still-firing alerts are explained


def test_v1_envelope_and_gzip(tmp_path: Path) -> None:
    file = tmp_path / "alerts.json.gz"
    body = {
        "status": "success",
        "data": [_alert("Up", "2024-05-01T10:00:00Z", "2024-05-01T10:03:00Z")],
    }
    file.write_bytes(gzip.compress(json.dumps(body).encode()))

    result = read_alert_history(file)

    assert result.rows_used == 1 and result.frame.loc[0, "name"] == "Up"


def test_csv_with_json_labels(tmp_path: Path) -> None:
    file = tmp_path / "alerts.csv"
    file.write_text(
        "name,starts_at,ends_at,labels\n"
        'HighLatency,2024-05-01T10:00:00Z,2024-05-01T10:04:00Z,"{""route"": ""/api""}"\n'
        "HighLatency,2024-05-01 10:10,2024-05-01 10:12,\n"
        ",2024-05-01T10:00:00Z,2024-05-01T10:04:00Z,\n"
        "X,2024-02-31T10:00,,\n"
        'Y,2024-05-01T10:00:00Z,,"[1, 2]"\n'
        "Z,2024-05-01T10:00:00Z,,\n",
        "utf-8",
    )

    result = read_alert_history(file, timezone="Europe/Berlin")

    assert result.rows_in == 6 == result.rows_used + result.rows_rejected
    assert result.rejected.set_index("row_number")["reason_code"].to_dict() == {
        4: "missing_name",
        5: "unparseable_time",
        6: "bad_labels",
    }
    frame = result.frame
    assert frame["name"].tolist() == ["HighLatency", "HighLatency", "Z"]
    # Naive times are read in the given zone (CEST, UTC+2).
    assert frame.loc[0, "starts_at"] == pd.Timestamp("2024-05-01T08:10:00Z")
    assert frame.loc[1, "labels"] == {"route": "/api"}
    assert pd.isna(frame.loc[2, "ends_at"])
    # The frame is what the alert-noise metric takes.
    noise = alert_noise(frame, now=pd.Timestamp("2024-05-01T12:00:00Z"))
    assert int(noise.per_oncall_day["alerts"].sum()) == 3


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("alerts.json", "", "is empty"),
        ("alerts.json", "[{", "is not valid JSON"),
        ("alerts.json", '{"alerts": []}', "not a list of alerts"),
        ("alerts.json", "name,starts_at\n", "is not JSON"),
        ("alerts.csv", "name,starts_at\nA,2024-05-01\n", "lacks column(s) ends_at"),
        ("alerts.csv", "name;starts_at;ends_at\nA;x;y\n", "semicolons"),
        ("alerts.txt", "x", "neither .json nor .csv"),
    ],
)
def test_bad_files_name_the_file_and_the_fix(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    file = tmp_path / name
    file.write_text(content, "utf-8")

    with pytest.raises(InputError, match="Fix:") as caught:
        read_alert_history(file)

    assert problem in str(caught.value)
    assert name in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_alert_history(tmp_path / "nope.json")


def test_csv_date_order_is_one_per_file(tmp_path: Path) -> None:
    """05/03 is 5 March because 13/03 shows the file writes the day first."""
    file = tmp_path / "alerts.csv"
    file.write_text(
        "name,starts_at,ends_at\n"
        "A,05/03/2026 10:00,05/03/2026 10:05\n"
        "B,13/03/2026 10:00,13/03/2026 10:05\n"
        "C,March 5 2026 10:00,\n"
        "D,31/02/2026 10:00,\n",
        "utf-8",
    )

    result = read_alert_history(file)

    assert result.frame["starts_at"].tolist() == [
        pd.Timestamp("2026-03-05T10:00:00Z"),
        pd.Timestamp("2026-03-13T10:00:00Z"),
    ]
    rejected = result.rejected.set_index("row_number")
    assert rejected["reason_code"].to_dict() == {
        4: "unparseable_time",
        5: "unparseable_time",
    }


def test_csv_row_time_of_rejected_rows(tmp_path: Path) -> None:
    file = tmp_path / "alerts.csv"
    file.write_text(
        "name,starts_at,ends_at\n"
        ",2026-03-05T10:00:00Z,2026-03-05T10:05:00Z\n"
        "B,2026-03-05T11:00:00Z,2026-03-05T10:00:00Z\n"
        "C,soon,\n",
        "utf-8",
    )

    rejected = read_alert_history(file).rejected.set_index("row_number")

    assert rejected["row_time"].iloc[:2].tolist() == [
        pd.Timestamp("2026-03-05T10:00:00Z"),
        pd.Timestamp("2026-03-05T11:00:00Z"),
    ]
    assert pd.isna(rejected.loc[4, "row_time"])


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (["05/03/2026 10:00", "2026-03-13T10:00:00Z"], "mixes ISO dates"),
        (
            ["05/03/2026 10:00", "13/03/2026 10:00", "03/13/2026 10:00"],
            "mixes day-first",
        ),
        (["05/03/2026 10:00", "06/03/2026 10:00"], "ambiguous"),
    ],
)
def test_csv_mixed_or_ambiguous_dates_are_an_error(
    tmp_path: Path, rows: list[str], problem: str
) -> None:
    file = tmp_path / "alerts.csv"
    file.write_text(
        "name,starts_at,ends_at\n" + "".join(f"A,{r},\n" for r in rows), "utf-8"
    )

    with pytest.raises(InputError) as error:
        read_alert_history(file)

    message = str(error.value)
    assert "alerts.csv" in message and problem in message
    assert "no date_order setting" in message


def test_alertmanager_groups_shape(tmp_path: Path) -> None:
    """GET /api/v2/alerts/groups: the groups' alerts are read, repeats counted once."""
    first = {**_alert("HighCPU", "2024-05-01T10:00:00Z", "2024-05-01T10:02:00Z")}
    first["fingerprint"] = "f1"
    second = {**_alert("HighLatency", "2024-05-01T11:00:00Z", "2024-05-01T11:02:00Z")}
    second["fingerprint"] = "f2"
    groups = [
        {"labels": {"job": "api"}, "receiver": {"name": "oncall"}, "alerts": [first]},
        {"labels": {}, "receiver": {"name": "mail"}, "alerts": [second, first]},
    ]
    file = tmp_path / "groups.json"
    file.write_text(json.dumps(groups), "utf-8")

    result = read_alert_history(file)

    assert result.rows_in == 3 == result.rows_used + result.rows_rejected
    assert result.frame["name"].tolist() == ["HighCPU", "HighLatency"]
    assert result.rejected["reason_code"].tolist() == ["duplicate"]
    assert result.rejected["row_number"].tolist() == [3]
