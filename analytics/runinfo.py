"""What a run records about itself: package version, git commit, time, host-free ids."""

from __future__ import annotations

import logging
import re
import secrets
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics import __version__
from analytics.errors import ConfigError

__all__ = [
    "CLOCK_SKEW",
    "git_commit",
    "new_run_id",
    "package_version",
    "refuse_future_decision",
    "refuse_secret_parameters",
    "utc_now",
]

logger = logging.getLogger(__name__)


def package_version() -> str:
    """The installed package version."""
    return __version__


def git_commit(path: str | Path | None = None) -> str | None:
    """The commit of the source checkout the package runs from, or None.

    ``-dirty`` is appended when tracked files have uncommitted changes, so a
    report never claims a commit it was not built from.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("no git commit for %s: %s", where, exc)
        return None
    return f"{commit}-dirty" if dirty else commit


def utc_now() -> datetime:
    """The current time, tz-aware UTC."""
    return datetime.now(UTC)


def new_run_id(kind: str, as_of: datetime) -> str:
    """A unique, sortable run folder name, e.g. ``go-no-go_asof-20160630_20261203T141500Z_a1b2c3``."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    return f"{kind}_asof-{as_of:%Y%m%d}_{stamp}_{secrets.token_hex(3)}"


CLOCK_SKEW = timedelta(minutes=15)
"""How far a decision time may lie ahead of this machine's clock (skew, not intent)."""


def refuse_future_decision(when: datetime) -> None:
    """A decision time after now has no evidence yet: its report would be all NO DATA.

    >>> refuse_future_decision(datetime(2000, 1, 1, tzinfo=UTC))
    >>> refuse_future_decision(datetime(2999, 1, 1, tzinfo=UTC))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: the decision time 2999-01-01T00:00:00+00:00 is in the future ...
    """
    now = utc_now()
    if when > now + CLOCK_SKEW:
        raise ConfigError(
            f"the decision time {when.isoformat()} is in the future (now"
            f" {now:%Y-%m-%dT%H:%M}Z): the evidence for it does not exist yet."
            " Fix: pass a past --as-of (or as_of in the config), or leave it out"
            " to decide on the config's as_of"
        )


_SECRET_NAME = re.compile(
    r"token|passw|secret|api_?key|bearer|credential|auth|cookie|session", re.IGNORECASE
)
REPORT_PARAMETERS = frozenset(
    {
        "config",
        "as_of",
        "go_live",
        "review_days",
        "baseline_run",
        "run_dir",
        "run_token",
    }
)
"""The notebooks' own parameters (``run_token`` is a completion marker, not a secret)."""


def refuse_secret_parameters(namespace: Mapping[str, object]) -> None:
    """Refuse a credential handed to a report notebook as a parameter.

    Papermill writes every parameter into the executed notebook, which is kept
    with the run: a token given with ``-p token ...`` would sit on disk and in
    any copy of the run. ``namespace`` is the notebook's (the report builders
    pass their caller's globals); a non-empty text under a credential-like name
    (token, password, secret, api key, ...) other than the notebooks' own
    parameters is refused, naming the variable, never its value.

    >>> refuse_secret_parameters({"config": "c.yaml", "run_token": "abc"})
    >>> refuse_secret_parameters({"PROMETHEUS_BEARER_TOKEN": "s3cret"})
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: notebook variable 'PROMETHEUS_BEARER_TOKEN' looks like a credential; credentials are read from the environment or files (PROMETHEUS_BEARER_TOKEN(_FILE), PROMETHEUS_USERNAME/PROMETHEUS_PASSWORD(_FILE), PROMETHEUS_HEADERS; see docs/prometheus.md), never from notebook parameters, which are written into the executed notebook. Fix: remove the parameter (papermill -p) and set the variable in the run's environment
    """
    for name, value in namespace.items():
        if name.startswith("_") or name in REPORT_PARAMETERS:
            continue
        if isinstance(value, str) and value.strip() and _SECRET_NAME.search(name):
            raise ConfigError(
                f"notebook variable {name!r} looks like a credential; credentials are"
                " read from the environment or files (PROMETHEUS_BEARER_TOKEN(_FILE),"
                " PROMETHEUS_USERNAME/PROMETHEUS_PASSWORD(_FILE), PROMETHEUS_HEADERS;"
                " see docs/prometheus.md), never from notebook parameters, which are"
                " written into the executed notebook. Fix: remove the parameter"
                " (papermill -p) and set the variable in the run's environment"
            )
