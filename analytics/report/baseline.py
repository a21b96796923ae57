"""The go / no-go run a post-launch review compares with (``--baseline``).

A review compares its success criteria with the ``run.json`` of the go / no-go
run before the launch. That comparison only means something for the same
service, from a go / no-go report, taken before go-live and not long before it:

* a file that is not a go / no-go ``run.json``, or one of another service
  (``report.service`` of the config), is refused with a :class:`ConfigError`;
* a run taken after go-live, more than :data:`MAX_BASELINE_AGE` before it, with
  no readable ``as_of``, or built from another config file (or the same file
  since changed) is accepted with a warning the review shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.errors import ConfigError
from analytics.frames import file_sha256
from analytics.timeparse import parse_instant

__all__ = ["MAX_BASELINE_AGE", "Baseline", "read_baseline"]

MAX_BASELINE_AGE = pd.Timedelta(days=30)
"""A go / no-go run older than this at go-live is shown with a warning."""

_FIX = "Fix: pass the run.json of this service's go / no-go run"


@dataclass(frozen=True)
class Baseline:
    """A go / no-go ``run.json`` accepted as the baseline of a review."""

    path: Path
    record: dict[str, Any]
    """The run.json as read."""
    warnings: tuple[str, ...]
    """Why the comparison should be read with care; empty when it need not be."""


def read_baseline(
    path: str | Path,
    *,
    service: str,
    config_path: Path | None,
    go_live: pd.Timestamp,
    name: str = "baseline",
) -> Baseline:
    """Read a go / no-go ``run.json`` and check that a review may compare with it.

    Parameters
    ----------
    path
        The ``run.json`` of a published go / no-go run.
    service
        ``report.service`` of the review's config.
    config_path
        The review's config file, to notice a baseline built from another one.
    go_live
        Go-live time (tz-aware).
    name
        How messages call the baseline, e.g. ``"--baseline run.json"``.

    Raises
    ------
    ConfigError
        The file is in a failed or unfinished run's folder, cannot be read as
        JSON, holds no decision or criteria, is not from a go / no-go report,
        or is of another service.
    """
    path = Path(path)
    # Through any symlink: a link to a failed run's run.json is that run.json.
    folder = path.resolve().parent
    if folder.name.endswith(".failed") or (folder / "failure.json").exists():
        # A run that failed after its notebook finished keeps a run.json with a
        # decision; it was never published and must not be compared with.
        raise ConfigError(
            f"{name}: is in the folder of a failed run ({folder.name}), which was"
            f" never published. {_FIX}"
        )
    if folder.name.startswith(".incomplete-"):
        raise ConfigError(
            f"{name}: is in the folder of a run that has not finished or was"
            f" interrupted ({folder.name}). {_FIX}"
        )
    record = _read_record(path, name)
    kind = record.get("report")
    if kind != "go-no-go":
        raise ConfigError(
            f"{name}: its 'report' is {kind!r}, so it is not the run.json of a"
            f" go / no-go run. {_FIX}"
        )
    theirs = record.get("service")
    if theirs != service:
        raise ConfigError(
            f"{name}: is a go / no-go run of service {theirs!r} (config"
            f" {record.get('config')}), but this review is of service {service!r}"
            f" (config {config_path}); their criteria cannot be compared. {_FIX},"
            " made with this config (readiness report go-no-go --config"
            f" {config_path})"
        )
    warnings = [
        *_timing_warnings(record, go_live),
        *_config_warnings(record, config_path),
    ]
    return Baseline(path=path, record=record, warnings=tuple(warnings))


def _read_record(path: Path, name: str) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{name}: cannot read it as a run.json ({exc}). {_FIX}"
        ) from exc
    if not isinstance(record, dict) or "decision" not in record:
        raise ConfigError(f"{name}: not a run.json (no decision). {_FIX}")
    if not isinstance(record.get("criteria"), list):
        raise ConfigError(f"{name}: not a run.json (no list of criteria). {_FIX}")
    return record


def _timing_warnings(record: dict[str, Any], go_live: pd.Timestamp) -> list[str]:
    as_of = record.get("as_of")
    try:
        decided = parse_instant(str(as_of), name="as_of")
    except ConfigError:
        return [
            f"The go / no-go run gives no readable decision time (as_of {as_of!r}),"
            " so it cannot be placed before go-live."
        ]
    shown = f"The go / no-go run is as of {decided:%Y-%m-%d %H:%M} UTC"
    if decided > go_live:
        return [
            f"{shown}, after go-live ({go_live:%Y-%m-%d %H:%M} UTC): its values already"
            " hold post-launch data, so it is no before / after baseline."
        ]
    age = go_live - decided
    if age > MAX_BASELINE_AGE:
        return [
            f"{shown}, {age.days} days before go-live (more than"
            f" {MAX_BASELINE_AGE.days}): the service may have changed since; a"
            " go / no-go run closer to go-live compares better."
        ]
    return []


def _config_warnings(record: dict[str, Any], config_path: Path | None) -> list[str]:
    theirs = record.get("config")
    if config_path is None or not isinstance(theirs, str):
        return []
    if Path(theirs).resolve() != config_path.resolve():
        return [
            f"The go / no-go run was built from config {theirs}, this review from"
            f" {config_path}: criteria with the same id may be measured differently."
        ]
    sha = record.get("config_sha256")
    if sha and config_path.is_file() and sha != file_sha256(config_path):
        return [
            f"The config {config_path} changed after the go / no-go run (its SHA-256"
            " differs): criteria with the same id may be measured differently."
        ]
    return []
