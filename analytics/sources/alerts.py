"""Read an alert history: Alertmanager API v2 JSON or a CSV, one row per firing.

Two formats are accepted (chosen by the file name, or by ``format``):

* **Alertmanager JSON**: the body of ``GET /api/v2/alerts`` (a list of alerts
  with ``labels.alertname``, ``startsAt`` and ``endsAt``), also the
  ``{"status": ..., "data": [...]}`` envelope of the older v1 API, and the
  body of ``GET /api/v2/alerts/groups`` (a list of groups, each with its
  ``alerts``): the groups' alerts are read in order, and an alert listed in
  several groups (same ``fingerprint`` and ``startsAt``) is counted once, its
  repeats rejected as ``duplicate``. Gzip is fine.
* **CSV**: columns ``name``, ``starts_at``, ``ends_at`` and optionally
  ``labels`` (a JSON object as text, e.g. ``{"instance": "api-1"}``).

Times are read with :func:`analytics.timeparse.parse_timestamps`: JSON times
are ISO 8601 (RFC 3339); in a CSV the date order is decided once for the whole
file from ``starts_at`` and ``ends_at`` together (ISO, day first or month
first). A file mixing orders, or whose numeric dates could be either (every day
and month 12 or less), is an ``InputError``, never a guess per row.

The result is the alert-history frame that
:func:`analytics.metrics.alert_noise.alert_noise` takes: ``name``,
``labels`` (dict, ``alertname`` left out), ``starts_at``, ``ends_at``
(tz-aware UTC; missing when the alert is still firing). Times without a zone
are read in ``timezone``. An empty ``ends_at`` (or Go's zero time
``0001-01-01T00:00:00Z``) means "still firing".

Rows that cannot be used are rejected, never dropped silently. Reason codes:
``not_an_object`` (a JSON list item that is not an object), ``missing_name``,
``missing_start``, ``unparseable_time`` (also a naive local time that does not
exist or exists twice in ``timezone``), ``bad_labels`` (labels that are not a
JSON object), ``end_before_start``, ``duplicate`` (groups shape only).
``row_number`` is the 1-based position in the JSON list (in the groups shape:
of the alert among all the groups' alerts), or the line in the CSV with the
header as line 1. A rejected row's ``row_time`` is its start when that parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from analytics.errors import InputError
from analytics.frames import LoadResult, Rejections, file_sha256
from analytics.sources._readers import read_json, read_named_csv
from analytics.timeparse import detect_date_order, parse_timestamps

__all__ = ["ALERT_COLUMNS", "read_alert_history"]

ALERT_COLUMNS: Final = ("name", "labels", "starts_at", "ends_at")
"""Columns of the alert-history frame."""

AlertFormat = Literal["auto", "alertmanager_json", "csv"]

_JSON_HINT: Final = (
    "save the body of Alertmanager's GET /api/v2/alerts (a JSON list of alerts"
    " with labels.alertname, startsAt and endsAt)"
)
_CSV_HINT: Final = (
    "export a CSV with the columns name, starts_at, ends_at and optionally"
    " labels (a JSON object as text)"
)
_GO_ZERO_TIME: Final = "0001-01-01T00:00:00Z"
_EXPECTED_SHAPE: Final = (
    "a JSON list of alerts, each with labels.alertname, startsAt and endsAt"
    " (GET /api/v2/alerts), or a list of groups each with its 'alerts'"
    " (GET /api/v2/alerts/groups)"
)


def read_alert_history(
    path: str | Path, *, format: AlertFormat = "auto", timezone: str = "UTC"
) -> LoadResult:
    """Read an alert history into the alert-history frame.

    Parameters
    ----------
    path
        The file (``.json``/``.json.gz``: Alertmanager; ``.csv``/``.csv.gz``: CSV).
    format
        ``"auto"`` (by file name), ``"alertmanager_json"`` or ``"csv"``.
    timezone
        IANA zone of times written without an offset.

    Returns
    -------
    LoadResult
        Kind ``"alerts"``; one input row is one firing, so
        ``rows_in == rows_used + rows_rejected``.

    Raises
    ------
    InputError
        The file is missing, empty, not JSON / CSV, has another shape or lacks
        a column; the message names the file and the fix.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "alerts.json"
    >>> _ = file.write_text(json.dumps([
    ...     {"labels": {"alertname": "HighCPU", "instance": "a"},
    ...      "startsAt": "2024-05-01T10:00:00Z", "endsAt": "2024-05-01T10:02:00Z"},
    ...     {"labels": {"instance": "b"}, "startsAt": "2024-05-01T10:00:00Z"}]))
    >>> result = read_alert_history(file)
    >>> result.rows_in, result.rows_used, result.rejected["reason_code"].tolist()
    (2, 1, ['missing_name'])
    >>> result.frame.loc[0, "labels"]
    {'instance': 'a'}
    """
    path = Path(path)
    chosen = _format_of(path) if format == "auto" else format
    rejections = Rejections(path)
    if chosen == "alertmanager_json":
        raw = _raw_from_json(path, rejections)
        date_order = "iso"
    elif chosen == "csv":
        raw = _raw_from_csv(path, rejections)
        date_order = _csv_date_order(raw, path)
    else:
        raise InputError(
            path,
            f"unknown alert-history format {format!r}",
            fix="use auto, alertmanager_json or csv",
        )
    rows_in = len(raw) + len(rejections.frame())
    frame = _assemble(raw, rejections, timezone, date_order, path)
    result = LoadResult(
        frame=frame,
        rejected=rejections.frame(),
        source_file=str(path),
        kind="alerts",
        rows_in=rows_in,
        rows_used=len(frame),
        sha256=file_sha256(path),
        notes=[
            "An alert without an end is still firing; it counts until the end of"
            " the review window."
        ]
        if frame["ends_at"].isna().any()
        else [],
    )
    result.check_accounting()
    return result


def _format_of(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".json"):
        return "alertmanager_json"
    if name.endswith(".csv"):
        return "csv"
    raise InputError(
        path,
        "is neither .json nor .csv, so its format is unknown",
        fix="name it *.json (Alertmanager /api/v2/alerts) or *.csv, or set the format",
    )


def _raw_from_json(path: Path, rejections: Rejections) -> pd.DataFrame:
    """One raw row per alert object: row, name, labels, starts_at, ends_at (text)."""
    body = read_json(path, export_hint=_JSON_HINT)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        body = body["data"]
    if not isinstance(body, list):
        raise InputError(
            path,
            f"holds a JSON {type(body).__name__}, not a list of alerts",
            fix=_JSON_HINT,
        )
    grouped = _is_groups_shape(body)
    if grouped:
        body = [alert for group in body for alert in group["alerts"]]
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    for number, item in enumerate(body, start=1):
        if grouped and isinstance(item, dict) and item.get("fingerprint"):
            key = (str(item.get("fingerprint")), str(item.get("startsAt")))
            if key in seen:
                rejections.add(
                    number,
                    "fingerprint",
                    key[0],
                    "duplicate",
                    f"the same alert (fingerprint and startsAt {key[1]}) is listed"
                    " in an earlier group; counted once",
                )
                continue
            seen.add(key)
        if not isinstance(item, dict):
            rejections.add(
                number,
                "",
                json.dumps(item)[:200],
                "not_an_object",
                "an alert must be a JSON object",
            )
            continue
        labels = item.get("labels")
        rows.append(
            {
                "row": number,
                "name": labels.get("alertname") if isinstance(labels, dict) else None,
                "labels": labels if labels is not None else {},
                "starts_at": item.get("startsAt"),
                "ends_at": item.get("endsAt"),
            }
        )
    return pd.DataFrame(rows, columns=["row", "name", "labels", "starts_at", "ends_at"])


def _is_groups_shape(body: list[Any]) -> bool:
    """The body of ``/api/v2/alerts/groups``: every item a group with an ``alerts`` list."""
    return bool(body) and all(
        isinstance(item, dict)
        and isinstance(item.get("alerts"), list)
        and "startsAt" not in item
        for item in body
    )


def _raw_from_csv(path: Path, rejections: Rejections) -> pd.DataFrame:
    cells = read_named_csv(
        path, ("name", "starts_at", "ends_at"), export_hint=_CSV_HINT
    )
    return pd.DataFrame(
        {
            "row": range(2, len(cells) + 2),
            "name": cells["name"].to_numpy(),
            "labels": cells["labels"].to_numpy() if "labels" in cells else None,
            "starts_at": cells["starts_at"].to_numpy(),
            "ends_at": cells["ends_at"].to_numpy(),
        }
    )


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _time_text(values: pd.Series) -> pd.Series:
    """Stripped text; empty for missing values and Go's zero time (still firing)."""
    text = pd.Series([_text(v) for v in values], index=values.index, dtype="object")
    return text.where(text != _GO_ZERO_TIME, "")


def _csv_date_order(raw: pd.DataFrame, path: Path) -> str:
    """One date order for the whole CSV, from starts_at and ends_at together."""
    both = pd.concat(
        [_time_text(raw["starts_at"]), _time_text(raw["ends_at"])], ignore_index=True
    )
    try:
        return detect_date_order(both, path=path, column="starts_at, ends_at")
    except InputError as exc:
        raise InputError(
            path,
            exc.problem,
            value=exc.value,
            fix="write every time in one form, preferably ISO 8601 such as"
            " 2024-05-01T10:00:00Z, or numeric dates in one order with at least one"
            " day above 12 (the alert history has no date_order setting)",
        ) from exc


def _labels(value: object) -> dict[str, str] | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return {}
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if not isinstance(value, dict):
        return None
    return {str(k): str(v) for k, v in value.items() if k != "alertname"}


def _assemble(
    raw: pd.DataFrame,
    rejections: Rejections,
    timezone: str,
    date_order: str,
    path: Path,
) -> pd.DataFrame:
    start_text, end_text = _time_text(raw["starts_at"]), _time_text(raw["ends_at"])
    order: Any = date_order  # "iso", "dayfirst" or "monthfirst"
    starts = parse_timestamps(
        start_text, timezone=timezone, date_order=order, path=path, column="starts_at"
    )
    ends = parse_timestamps(
        end_text, timezone=timezone, date_order=order, path=path, column="ends_at"
    )
    example = (
        "an ISO 8601 time such as 2024-05-01T10:00:00Z"
        if date_order == "iso"
        else f"a {date_order} date such as the file's others"
    )
    rejections.note_row_times(raw["row"], starts.values)
    kept: list[dict[str, Any]] = []
    for i, record in enumerate(raw.to_dict("records")):
        number = int(record["row"])
        name = _text(record["name"])
        if not name:
            rejections.add(
                number, "name", "", "missing_name", "the alert has no name (alertname)"
            )
            continue
        labels = _labels(record["labels"])
        if labels is None:
            rejections.add(
                number,
                "labels",
                _text(record["labels"])[:200],
                "bad_labels",
                "labels must be a JSON object of label name to value",
            )
            continue
        if not start_text.iloc[i]:
            rejections.add(
                number,
                "starts_at",
                _text(record["starts_at"]),
                "missing_start",
                "no start time",
            )
            continue
        start = starts.values.iloc[i]
        if pd.isna(start):
            rejections.add(
                number,
                "starts_at",
                start_text.iloc[i],
                "unparseable_time",
                f"not {example}"
                if not starts.nonexistent_or_ambiguous.iloc[i]
                else f"a local time that does not exist or exists twice in {timezone}",
            )
            continue
        end: pd.Timestamp | None = None  # still firing
        if end_text.iloc[i]:
            end = ends.values.iloc[i]
            if pd.isna(end):
                rejections.add(
                    number,
                    "ends_at",
                    end_text.iloc[i],
                    "unparseable_time",
                    f"not {example}"
                    if not ends.nonexistent_or_ambiguous.iloc[i]
                    else f"a local time that does not exist or exists twice in {timezone}",
                )
                continue
            if end < start:
                rejections.add(
                    number,
                    "ends_at",
                    end_text.iloc[i],
                    "end_before_start",
                    f"ends before it starts ({start_text.iloc[i]})",
                )
                continue
        kept.append(
            {"name": name, "labels": labels, "starts_at": start, "ends_at": end}
        )
    frame = pd.DataFrame(
        {
            "name": pd.Series([r["name"] for r in kept], dtype="object"),
            "labels": pd.Series([r["labels"] for r in kept], dtype="object"),
            "starts_at": pd.to_datetime(
                pd.Series([r["starts_at"] for r in kept], dtype="object"), utc=True
            ),
            "ends_at": pd.to_datetime(
                pd.Series([r["ends_at"] for r in kept], dtype="object"), utc=True
            ),
        }
    )
    return frame.sort_values("starts_at", kind="stable").reset_index(drop=True)
