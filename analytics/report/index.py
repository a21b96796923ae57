"""The index page of an output folder: every published run, newest first.

``<out_root>/index.html`` is the one bookmark an executive keeps. It is
regenerated after every run, successful or not, from what is on disk:

- a *published* run is a folder with ``run.json`` and ``report.html`` whose
  name neither starts with ``.`` (``.incomplete-*`` runs still working or
  killed) nor ends with ``.failed``;
- a *failed* run is a ``<run id>.failed`` folder; its ``failure.json``
  (written by the renderer) gives the reason when there is one;
- an ``.incomplete-*`` folder untouched for over an hour (:data:`STALE_AFTER`)
  is most likely a killed run: the page names it in a note, never as a run.

"Latest decision per report" keeps one row per report *kind and config*
(``run.json``'s ``report`` and ``config``), so two services or two configs
rendered into one folder never hide each other. The row's title is
``run.json``'s ``title`` when it has one, else the one the config gives the
report (``report.title``; "Post-launch review — ``report.service``"), read
only while the file still has the ``config_sha256`` the run recorded.

The page is one self-contained file: inline CSS, no scripts, nothing fetched.
Every string taken from disk (folder names, report titles, decisions,
reasons) is HTML-escaped, and links are percent-encoded.

Two runs that finish at the same time both call :func:`write_index`: an
exclusive ``fcntl.flock`` on ``<out_root>/.index.lock`` serialises the scan
and the write, so the last writer sees both runs, and the page is written to
a temporary file and moved into place with ``os.replace``, so a reader never
sees half a page. The holder removes the lock file before it lets go; a
writer that was waiting on the removed file sees that it is gone and locks
the new one, so the lock stays exclusive and no empty file is left behind.

Examples
--------
>>> from analytics.report.index import write_index
>>> write_index("reports")  # doctest: +SKIP
PosixPath('reports/index.html')
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from analytics.report.render import FAILURE_FILE
from analytics.runinfo import utc_now

__all__ = [
    "STALE_AFTER",
    "FailedRun",
    "PublishedRun",
    "render_index_html",
    "scan_runs",
    "stale_incomplete_runs",
    "write_index",
]

logger = logging.getLogger(__name__)

INDEX_NAME = "index.html"
LOCK_NAME = ".index.lock"
INCOMPLETE_PREFIX = ".incomplete-"
STALE_AFTER = timedelta(hours=1)
"""An ``.incomplete-*`` folder unchanged for this long is shown as probably killed."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Shown when run.json has no ``title``.
_KIND_TITLES = {"go-no-go": "Go / no-go readiness", "post-launch": "Post-launch review"}


@dataclass(frozen=True)
class PublishedRun:
    """One published run, as listed on the index page."""

    folder: str
    kind: str
    title: str
    decision: str
    as_of: str
    generated_at: str
    sort_key: datetime
    config: str = ""
    """The config the run used (``run.json``'s ``config``), "" when not recorded."""
    interim: bool = False
    """An interim post-launch review (``run.json``'s ``interim``; older runs lack it)."""
    review_end: str = ""
    """The end of an interim review's window (``run.json``'s ``review_end``)."""

    @property
    def report_key(self) -> tuple[str, str]:
        """Which report this is a run of: its kind and its config."""
        return (self.kind, self.config)


@dataclass(frozen=True)
class FailedRun:
    """One failed run (a ``*.failed`` folder) and its recorded reason."""

    folder: str
    kind: str
    as_of: str
    failed_at: str
    reason: str
    sort_key: datetime
    config: str = ""
    """The config the run was given (``failure.json``'s ``config``), "" when not
    recorded (runs of older versions)."""

    @property
    def report_key(self) -> tuple[str, str]:
        """Which report this was a run of, as :attr:`PublishedRun.report_key`."""
        return (self.kind, self.config)


def scan_runs(
    out_root: str | os.PathLike[str],
) -> tuple[list[PublishedRun], list[FailedRun]]:
    """Published and failed runs under ``out_root``, each list newest first.

    Parameters
    ----------
    out_root
        The folder that holds one sub-folder per run.

    Returns
    -------
    tuple of list
        Published runs and failed runs. A published-looking folder whose
        ``run.json`` cannot be read is listed as failed, with that reason.
    """
    published: list[PublishedRun] = []
    failed: list[FailedRun] = []
    titles: dict[tuple[str, str, str], str] = {}  # one read per config version
    for folder in sorted(Path(out_root).iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        if folder.name.endswith(".failed"):
            failed.append(_failed_run(folder))
            continue
        if (
            not (folder / "report.html").is_file()
            or not (folder / "run.json").is_file()
        ):
            continue
        record = _read_json(folder / "run.json")
        if record is None:
            failed.append(_unreadable_run(folder))
            continue
        published.append(_published_run(folder, record, titles))

    published.sort(key=lambda run: (run.sort_key, run.folder), reverse=True)
    failed.sort(key=lambda run: (run.sort_key, run.folder), reverse=True)
    return published, failed


def write_index(out_root: str | os.PathLike[str]) -> Path:
    """Regenerate ``<out_root>/index.html`` from the run folders; return its path.

    Parameters
    ----------
    out_root
        The folder that holds one sub-folder per run (created if missing).

    Returns
    -------
    Path
        The index page.

    Raises
    ------
    OSError
        The folder cannot be created, locked or written.
    """
    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    target = root / INDEX_NAME

    with _locked(root / LOCK_NAME):
        published, failed = scan_runs(root)
        now = utc_now()
        stale = stale_incomplete_runs(root, now=now)
        page = render_index_html(published, failed, generated_at=now, stale=stale)
        _atomic_write(target, page)

    logger.info(
        "wrote %s: %d published, %d failed run(s)", target, len(published), len(failed)
    )
    return target


def stale_incomplete_runs(
    out_root: str | os.PathLike[str],
    *,
    now: datetime | None = None,
    older_than: timedelta = STALE_AFTER,
) -> list[str]:
    """``.incomplete-*`` folders in which nothing changed for ``older_than``.

    A running report rewrites its executed notebook after every cell, so a
    folder untouched for an hour is almost surely a killed run (SIGKILL, an
    orchestrator's timeout) that could not clean up. Sorted by name.

    Examples
    --------
    >>> stale_incomplete_runs("reports")  # doctest: +SKIP
    ['.incomplete-go-no-go_asof-20240503_20240503T060012Z_a1b2c3']
    """
    now = now or utc_now()
    return [
        folder.name
        for folder in sorted(Path(out_root).iterdir())
        if folder.name.startswith(INCOMPLETE_PREFIX)
        and folder.is_dir()
        and now - _last_change(folder) > older_than
    ]


def render_index_html(
    published: list[PublishedRun],
    failed: list[FailedRun],
    *,
    generated_at: datetime,
    stale: Sequence[str] = (),
) -> str:
    """The index page as one self-contained HTML document (no scripts).

    ``stale`` names leftover ``.incomplete-*`` folders (see
    :func:`stale_incomplete_runs`), shown in a note.
    """
    latest: dict[tuple[str, str], PublishedRun] = {}
    for run in published:
        latest.setdefault(run.report_key, run)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Readiness reports</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Readiness reports</h1>",
        f'<p class="note">Index regenerated {_esc(_display_time(generated_at))}.'
        f" {len(published)} published run(s), {len(failed)} failed.</p>",
        "<h2>Latest decision per report</h2>",
        _latest_table(list(latest.values()), failed),
        "<h2>All published runs (newest first)</h2>",
        _published_table(published),
        "<h2>Failed runs</h2>",
        _failed_table(failed),
        '<p class="note">Failed runs publish no report; their folder keeps the'
        " executed notebook and the kernel log under <code>private/</code> for"
        " diagnosis.</p>",
        _stale_note(stale),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ reading


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return None
    return record if isinstance(record, dict) else None


def _published_run(
    folder: Path, record: dict[str, Any], titles: dict[tuple[str, str, str], str]
) -> PublishedRun:
    generated_at = _text(record.get("generated_at"))
    kind = _text(record.get("report")) or folder.name.split("_", 1)[0]
    parameters = record.get("parameters")
    config = _text(record.get("config")) or (
        _text(parameters.get("config")) if isinstance(parameters, dict) else ""
    )
    sha = _text(record.get("config_sha256"))
    if (kind, config, sha) not in titles:
        titles[kind, config, sha] = _config_title(kind, config, sha)
    return PublishedRun(
        folder=folder.name,
        kind=kind,
        title=(
            _text(record.get("title"))
            or titles[kind, config, sha]
            or _KIND_TITLES.get(kind, kind)
        ),
        decision=_text(record.get("decision")) or "unknown",
        as_of=_text(record.get("as_of")),
        generated_at=generated_at,
        sort_key=_parse_time(generated_at) or _mtime(folder / "run.json"),
        config=config,
        interim=record.get("interim") is True,
        review_end=_text(record.get("review_end")),
    )


def _config_title(kind: str, config: str, sha256: str) -> str:
    """The title the config gives a report of ``kind``; "" unless unchanged since.

    The go/no-go report is titled ``report.title``; the post-launch review
    "Post-launch review — ``report.service``", as on the reports themselves.
    """
    if not config or not sha256:
        return ""
    try:
        content = Path(config).read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            return ""  # edited since the run: its title may not be the run's
        settings = yaml.safe_load(content)
    except (OSError, yaml.YAMLError) as exc:
        logger.debug("no title from %s: %s", config, exc)
        return ""
    report = settings.get("report") if isinstance(settings, dict) else None
    if not isinstance(report, dict):
        return ""
    if kind == "post-launch":
        service = _text(report.get("service"))
        return f"{_KIND_TITLES[kind]} — {service}" if service else ""
    return _text(report.get("title"))


def _failed_run(folder: Path) -> FailedRun:
    record = (
        _read_json(folder / FAILURE_FILE) if (folder / FAILURE_FILE).is_file() else None
    )
    record = record or {}
    failed_at = _text(record.get("failed_at"))
    return FailedRun(
        folder=folder.name,
        kind=_text(record.get("report")) or folder.name.split("_", 1)[0],
        as_of=_text(record.get("as_of")),
        failed_at=failed_at,
        reason=_shared_path_free(_text(record.get("reason")), folder.name)
        or "no reason recorded",
        sort_key=_parse_time(failed_at) or _mtime(folder),
        config=_text(record.get("config")),
    )


def _shared_path_free(reason: str, folder_name: str) -> str:
    """The reason with the run folder's path cut to its name: the index is shared.

    >>> _shared_path_free("kept in /srv/out/run-1.failed/private", "run-1.failed")
    'kept in run-1.failed/private'
    """
    return re.sub(r"[^\s'\"]*/" + re.escape(folder_name), folder_name, reason)


def _unreadable_run(folder: Path) -> FailedRun:
    return FailedRun(
        folder=folder.name,
        kind=folder.name.split("_", 1)[0],
        as_of="",
        failed_at="",
        reason="run.json cannot be read; the report is not listed",
        sort_key=_mtime(folder),
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _last_change(folder: Path) -> datetime:
    """The newest modification time of ``folder`` and of anything inside it."""
    newest = _mtime(folder)
    for parent, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            newest = max(newest, _mtime(Path(parent, name)))
    return newest


def _mtime(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return _EPOCH


# ------------------------------------------------------------------ writing


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (other writers wait).

    The file exists only while someone holds or waits for the lock: the
    holder removes it before letting go. A waiter that then gets the lock on
    the removed file finds ``lock_path`` gone (or a newer file there) and
    starts again, so two writers never both believe they hold it.
    """
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        if _is_current(fd, lock_path):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()  # while still locked: see above
        os.close(fd)  # closing the descriptor releases the lock


def _is_current(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the file at ``path``."""
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` next to ``target`` and move it into place in one step."""
    fd, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}-", suffix=".tmp"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o644)  # mkstemp makes 0600; the page is for readers
        temp.replace(target)  # atomic: os.replace
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


# ------------------------------------------------------------------ HTML

_CSS = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;"
    "color:#1f2933;max-width:72rem}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
    "th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d9dee4;"
    "vertical-align:top}"
    "th{background:#f3f5f7}.note{color:#52606d;font-size:.9rem}"
    ".d{font-weight:600;padding:.1rem .4rem;border-radius:.25rem}"
    ".d-go{background:#d8f3dc;color:#1b4332}"
    ".d-conditions{background:#fff3c4;color:#7c5e10}"
    ".d-nogo{background:#fde2e1;color:#8a1c1c}"
    ".d-other{background:#e4e7eb}"
    "code{font-size:.85rem}"
)


def _esc(value: object) -> str:
    return escape(_text(value), quote=True)


def _decision_badge(decision: str) -> str:
    css = {
        "GO": "d-go",
        "PASS": "d-go",
        "GO WITH CONDITIONS": "d-conditions",
        "NO-GO": "d-nogo",
        "FAIL": "d-nogo",
    }.get(decision, "d-other")
    return f'<span class="d {css}">{_esc(decision)}</span>'


def _interim_mark(run: PublishedRun) -> str:
    """The word "interim" beside the decision of a review whose window was not over."""
    if not run.interim:
        return ""
    end = _display_time(run.review_end) if run.review_end else "later"
    return (
        f' <span class="note" title="the review window ends {_esc(end)}: the outcome'
        ' can still change">interim</span>'
    )


def _link(folder: str) -> str:
    href = quote(folder, safe="") + "/report.html"
    return f'<a href="{_esc(href)}">{_esc(folder)}</a>'


def _display_time(value: datetime | str) -> str:
    if isinstance(value, str):
        parsed = _parse_time(value)
        if parsed is None:
            return value
        value = parsed
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _table(header: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="note">{_esc(empty)}</p>'
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _latest_table(runs: list[PublishedRun], failed: Sequence[FailedRun] = ()) -> str:
    """One row per report; a later failed run of the same report is flagged on it.

    The row stays the last *published* decision (a failed run publishes
    nothing), but a reader must not take it for today's: when a run of the
    same report (kind and config) failed after it, the row says when.
    """
    rows = [
        [
            _esc(run.kind),
            _esc(run.title),
            _config_cell(run.config),
            _decision_badge(run.decision)
            + _interim_mark(run)
            + _newer_failure(run, failed),
            _esc(_display_time(run.as_of)),
            _link(run.folder),
        ]
        for run in runs
    ]
    return _table(
        ["Kind", "Report", "Config", "Decision", "As of", "Report file"],
        rows,
        "No runs yet.",
    )


def _newer_failure(run: PublishedRun, failed: Sequence[FailedRun]) -> str:
    later = [
        f
        for f in failed
        if f.kind == run.kind
        and (f.config == run.config or not f.config)
        and f.sort_key > run.sort_key
    ]
    if not later:
        return ""
    newest = max(later, key=lambda f: f.sort_key)
    return (
        f'<br><span class="note"><b>A later run failed</b>'
        f" ({_esc(_display_time(newest.failed_at or newest.sort_key))}; see Failed runs):"
        " this is not a current decision</span>"
    )


def _config_cell(config: str) -> str:
    """The config's folder and file name, the whole path on hover."""
    if not config:
        return '<span class="note">not recorded</span>'
    short = "/".join(Path(config).parts[-2:])
    return f'<code title="{_esc(config)}">{_esc(short)}</code>'


def _stale_note(stale: Sequence[str]) -> str:
    if not stale:
        return ""
    names = ", ".join(f"<code>{_esc(name)}</code>" for name in stale)
    hours = STALE_AFTER / timedelta(hours=1)
    return (
        f'<p class="note">{len(stale)} unfinished run folder(s) unchanged for over'
        f" {hours:g} hour(s), most likely killed runs: {names}. They publish"
        " nothing; delete them once no run is going (see docs/operating.md).</p>"
    )


def _published_table(runs: list[PublishedRun]) -> str:
    rows = [
        [
            _esc(run.kind),
            _esc(run.title),
            _decision_badge(run.decision) + _interim_mark(run),
            _esc(_display_time(run.as_of)),
            _esc(_display_time(run.generated_at)),
            _link(run.folder),
        ]
        for run in runs
    ]
    return _table(
        ["Kind", "Report", "Decision", "As of", "Generated at", "Run"],
        rows,
        "No published runs.",
    )


def _failed_table(runs: list[FailedRun]) -> str:
    rows = [
        [
            _esc(run.kind),
            _config_cell(run.config),
            _esc(_display_time(run.as_of)),
            _esc(_display_time(run.failed_at)),
            f"<code>{_esc(run.folder)}</code>",
            _esc(run.reason),
        ]
        for run in runs
    ]
    return _table(
        ["Kind", "Config", "As of", "Failed at", "Folder", "Reason"],
        rows,
        "No failed runs.",
    )
