"""Execute a report notebook with papermill and publish it as one offline HTML file.

A run goes to its own folder under the output root and overwrites nothing:

1. a hidden working folder ``.incomplete-<run id>`` is created, with a
   ``private/`` sub-folder (mode 0700) for what must not be published;
2. papermill executes the notebook into ``private/report.ipynb`` (kernel
   ``python3``, its console output in ``private/kernel.log``), passing the
   parameters, the working folder and a random token;
3. the executed notebook must end with the completion marker carrying that
   token (a notebook that stopped early, e.g. ``sys.exit(0)``, has none);
4. nbconvert exports ``report.html`` without code; scripts and stylesheets
   that would be fetched from a network are removed, so the file opens offline;
5. only then is the folder renamed to ``<run id>``. A failed run is renamed
   ``<run id>.failed``, holds no ``report.html`` and records its reason in
   ``failure.json``; earlier reports stay untouched.

The executed notebook is kept apart from the HTML because its outputs and
injected parameters may hold raw data; publish ``report.html`` (and
``run.json``), never ``private/``. A run folder::

    <run id>/
      report.html        the report, one offline file
      run.json           decision, criteria and metadata, for schedulers
      rejected_rows.csv  input rows that could not be used (go/no-go)
      private/
        report.ipynb     the executed notebook
        kernel.log       the kernel's console output

Every write happens inside the working folder, and a rename within the output
root publishes it, so a full disk or a killed process never leaves a
half-written ``report.html`` under a run's final name.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from plotly.offline import get_plotlyjs
from traitlets.config import Config

from analytics.errors import RenderError
from analytics.frames import file_sha256
from analytics.report.go_no_go import COMPLETION_MARKER
from analytics.report.html import PLOTLYJS_AT_EXPORT_ENV
from analytics.runinfo import new_run_id, utc_now

__all__ = [
    "FAILURE_FILE",
    "PRIVATE_DIR",
    "RunOutcome",
    "default_notebook",
    "export_html",
    "render_report",
]

logger = logging.getLogger(__name__)

KERNEL_NAME = "python3"

PRIVATE_DIR = "private"
"""Sub-folder of a run for files that must not be published (executed notebook, kernel log)."""

FAILURE_FILE = "failure.json"
"""Written into ``<run id>.failed``: the one-line reason, report kind and times."""

# <script src="http..."> and <link href="http..."> load from a network; inline ones do not.
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*['\"]?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE
)
_REMOTE_LINK = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*['\"]?(?:https?:)?//[^>]*>", re.IGNORECASE
)
# The lab template's MathJax configuration block; reports contain no maths.
_MATHJAX_CONFIG = re.compile(
    r"<script\b[^>]*type=['\"]text/x-mathjax-config['\"][^>]*>.*?</script>",
    re.IGNORECASE | re.DOTALL,
)
# The lab template keeps each output block on one page when printing
# (``break-inside: avoid-page``); an output taller than what is left of a page
# then moves whole to the next one, leaving page 1 with headings only.
_PRINT_STYLE = (
    "<style>@media print { .jp-OutputArea-child { break-inside: auto; } }</style>"
)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_PLOTLY_DIV = 'class="plotly-graph-div"'
# plotly.js starts with a banner naming its version: it is there once when a
# notebook run in JupyterLab carried it with its first chart.
_PLOTLYJS_BANNER = "plotly.js v"


@dataclass(frozen=True)
class RunOutcome:
    """Where a rendered report went and what it decided."""

    run_dir: Path
    html_path: Path
    run_json_path: Path
    decision: str
    seconds: float
    notebook_path: Path | None = None

    @property
    def html_bytes(self) -> int:
        """Size of the HTML file."""
        return self.html_path.stat().st_size


def default_notebook(name: str) -> Path:
    """The bundled notebook ``notebooks/<name>.ipynb`` of the source checkout."""
    path = Path(__file__).resolve().parents[2] / "notebooks" / f"{name}.ipynb"
    if not path.is_file():
        raise RenderError(
            f"notebook {path} not found: the package is not running from a source"
            " checkout. Fix: install with `pip install -e .` from a clone, or pass --notebook"
        )
    return path


def export_html(notebook: nbformat.NotebookNode, title: str = "") -> str:
    """HTML of an executed notebook: outputs only, no code, nothing fetched from a network.

    ``title`` is the page's ``<title>`` (the browser tab, a bookmark, the PDF
    file name suggested on print); the template escapes it. Without it the
    title is the notebook's file name.
    """
    exporter = HTMLExporter(template_name="lab")  # type: ignore[no-untyped-call]  # nbconvert is untyped
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    if title:
        notebook = copy.deepcopy(notebook)
        notebook.metadata["title"] = title
    body, _ = exporter.from_notebook_node(notebook)
    body = _REMOTE_SCRIPT.sub("", body)
    body = _REMOTE_LINK.sub("", body)
    body = _MATHJAX_CONFIG.sub("", body)
    head = _PRINT_STYLE
    if _PLOTLY_DIV in body and _PLOTLYJS_BANNER not in body:
        head += _plotlyjs_script()
    return _inject_into_head(body, head)


def _plotlyjs_script() -> str:
    """plotly.js inline, once, for charts exported without it (see ``Chart``)."""
    return (
        '<script type="text/javascript">'
        "window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
    )


def _inject_into_head(body: str, markup: str) -> str:
    """Add ``markup`` at the end of the document head (the last style wins)."""
    head_end = _HEAD_END.search(body)
    if head_end is None:
        return markup + body
    return body[: head_end.start()] + markup + "\n" + body[head_end.start() :]


def _check_complete(notebook: nbformat.NotebookNode, token: str, path: Path) -> None:
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    for cell in code_cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise RenderError(
                    f"{path}: a cell raised {output.get('ename')}: {output.get('evalue')}"
                )
    expected = f'data-marker="{COMPLETION_MARKER}" data-run-token="{token}"'
    last_outputs = json.dumps(code_cells[-1].get("outputs", [])) if code_cells else ""
    if expected.replace('"', '\\"') not in last_outputs:
        raise RenderError(
            f"{path}: the notebook ended without its completion marker, so it stopped"
            " early or was changed; the report is not published"
        )


def render_report(
    notebook: str | Path,
    *,
    kind: str,
    parameters: dict[str, Any],
    out_root: str | Path,
    as_of_label: Any,
    timeout_seconds: int = 1800,
) -> RunOutcome:
    """Execute ``notebook`` with ``parameters`` and publish it under ``out_root``.

    Parameters
    ----------
    notebook
        The report notebook (stored without outputs).
    kind
        Report name used in the run folder, e.g. ``"go-no-go"``.
    parameters
        Papermill parameters. Never put secrets here: papermill writes every
        parameter into the executed notebook twice.
    out_root
        Folder that holds one sub-folder per run.
    as_of_label
        The decision time (a datetime) for the folder name.
    timeout_seconds
        Per-cell execution timeout.

    Returns
    -------
    RunOutcome
        The published run folder, its files and the decision from ``run.json``.

    Raises
    ------
    RenderError
        The output folder is not writable or full, a cell failed or timed out,
        the kernel died, the notebook wrote no ``run.json`` or the completion
        marker is missing. The message is one line; nothing is published.
    """
    started = time.perf_counter()
    root = Path(out_root)
    run_id = new_run_id(kind, as_of_label)
    work = root / f".incomplete-{run_id}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        work.mkdir()
        (work / PRIVATE_DIR).mkdir(mode=0o700)
    except OSError as exc:
        raise _unwritable_out(root, exc) from exc

    executed_path = work / PRIVATE_DIR / "report.ipynb"
    failed = root / f"{run_id}.failed"
    try:
        record = _execute_and_export(
            notebook, executed_path, parameters, timeout_seconds, run_id=run_id
        )
    except BaseException as exc:
        error = _as_render_error(exc, failed, timeout_seconds)
        if error is not None and str(work) in str(error):
            # The working folder is renamed to .failed below: name that one.
            moved = RenderError(str(error).replace(str(work), str(failed)))
            moved.cause_name = error.cause_name
            error = moved
        reason = str(error) if error is not None else "interrupted"
        _discard(
            work,
            failed,
            _failure_record(
                run_id, kind, as_of_label, reason, config=parameters.get("config")
            ),
        )
        if error is None or error is exc:
            raise
        raise error from exc

    final = root / run_id
    work.rename(final)
    seconds = time.perf_counter() - started
    logger.info("rendered %s in %.1fs", final, seconds)
    return RunOutcome(
        run_dir=final,
        html_path=final / "report.html",
        run_json_path=final / "run.json",
        decision=str(record["decision"]),
        seconds=seconds,
        notebook_path=final / PRIVATE_DIR / "report.ipynb",
    )


def _execute_and_export(
    notebook: str | Path,
    executed_path: Path,
    parameters: dict[str, Any],
    timeout_seconds: int,
    *,
    run_id: str,
) -> dict[str, Any]:
    """Run the notebook, check it finished, write report.html; return run.json."""
    work = executed_path.parents[1]
    token = secrets.token_hex(8)
    params = {**parameters, "run_dir": str(work.resolve()), "run_token": token}
    logger.info("executing %s into %s", notebook, work)
    _execute(notebook, executed_path, params, timeout_seconds)

    executed = nbformat.read(executed_path, as_version=4)  # type: ignore[no-untyped-call]
    _check_complete(executed, token, executed_path)
    record = _read_run_json(work / "run.json")
    (work / "report.html").write_text(
        export_html(executed, title=_page_title(record)), "utf-8"
    )

    # The notebook is part of what made the report (--notebook may be any file).
    record["notebook"] = {"path": str(Path(notebook)), "sha256": file_sha256(notebook)}
    record["outputs"] = {
        "html": "report.html",
        "notebook": f"{PRIVATE_DIR}/report.ipynb",
        "kernel_log": f"{PRIVATE_DIR}/kernel.log",
        "run_id": run_id,
    }
    (work / "run.json").write_text(json.dumps(record, indent=2), "utf-8")
    return record


def _page_title(record: dict[str, Any]) -> str:
    """``<title>`` of a report: its title, decision and decision time.

    >>> _page_title({"title": "Go / no-go", "decision": "NO-GO",
    ...              "as_of": "2026-03-02T08:00:00+00:00"})
    'Go / no-go — NO-GO — 2026-03-02T08:00:00+00:00'
    """
    parts = (record.get("title"), record.get("decision"), record.get("as_of"))
    return " — ".join(str(p) for p in parts if p)


def _read_run_json(path: Path) -> dict[str, Any]:
    """The run record the notebook wrote; it must exist and carry a decision."""
    if not path.is_file():
        raise RenderError(
            "the notebook wrote no run.json (it must call the report's finish()"
            " with run_dir); the report is not published"
        )
    try:
        record = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise RenderError(f"the notebook wrote an unreadable run.json: {exc}") from exc
    if not isinstance(record, dict) or not record.get("decision"):
        raise RenderError(
            "the notebook's run.json has no decision; the report is not published"
        )
    return record


def _execute(
    notebook: str | Path,
    executed_path: Path,
    params: dict[str, Any],
    timeout_seconds: int,
) -> None:
    """Run papermill with a kernel that talks over local IPC sockets, not TCP.

    Over TCP, code and outputs would cross the loopback interface unencrypted;
    IPC sockets live in a private folder. The kernel process's own stdout and
    stderr (start-up and shutdown chatter) go to ``kernel.log`` in the run
    folder, so a scheduler's log shows only this command's one-line result.
    The kernel's charts leave plotly.js to :func:`export_html`, which keeps the
    notebook papermill saves after every cell small.
    """
    kernel_log = executed_path.parent / "kernel.log"
    with (
        tempfile.TemporaryDirectory(prefix="rr-kernel-") as ipc_dir,
        kernel_log.open("ab") as log,
    ):

        class _QuietKernelManager(AsyncKernelManager):
            async def _async_start_kernel(self, **kw: Any) -> None:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                kw.setdefault("env", {**os.environ, PLOTLYJS_AT_EXPORT_ENV: "1"})
                await super()._async_start_kernel(**kw)

            start_kernel = _async_start_kernel

        kernel_config = Config(
            {"KernelManager": {"transport": "ipc", "ip": str(Path(ipc_dir) / "k")}}
        )
        papermill.execute_notebook(
            str(notebook),
            str(executed_path),
            parameters=params,
            kernel_name=KERNEL_NAME,
            progress_bar=sys.stderr.isatty(),
            execution_timeout=timeout_seconds,
            cwd=str(Path(notebook).resolve().parent),
            config=kernel_config,
            kernel_manager_class=_QuietKernelManager,
        )


def _discard(work: Path, failed: Path, record: dict[str, Any]) -> None:
    """Keep a failed run for diagnosis, without any report.html in it."""
    (work / "report.html").unlink(missing_ok=True)
    try:
        (work / FAILURE_FILE).write_text(json.dumps(record, indent=2), "utf-8")
    except OSError as exc:  # a full disk must not hide the original error
        logger.debug("could not record the failure in %s: %s", work, exc)
    try:
        work.rename(failed)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)


def _failure_record(
    run_id: str, kind: str, as_of_label: Any, reason: str, *, config: Any = None
) -> dict[str, Any]:
    as_of = as_of_label.isoformat() if isinstance(as_of_label, datetime) else None
    return {
        "run_id": run_id,
        "report": kind,
        "config": str(config) if config else None,
        "as_of": as_of,
        "failed_at": utc_now().isoformat(),
        "reason": reason,
    }


def _as_render_error(
    exc: BaseException, failed: Path, timeout_seconds: int
) -> RenderError | None:
    """One-line RenderError for a failed run; None for an interrupt (re-raised as is)."""
    if not isinstance(exc, Exception):
        return None
    if isinstance(exc, RenderError):
        return exc
    kept = f"executed notebook kept in {failed / PRIVATE_DIR}"
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        ename = str(getattr(exc, "ename", "error"))
        evalue = _first_line(str(getattr(exc, "evalue", "")))
        error = RenderError(
            f"the report notebook failed ({ename}: {evalue}); {kept}"
            if evalue
            else f"the report notebook failed ({ename}); {kept}"
        )
        error.cause_name = ename
        return error
    # nbclient's CellTimeoutError is a TimeoutError, hence an OSError: test it first.
    if name == "CellTimeoutError" or isinstance(exc, TimeoutError):
        message = (
            f"a report cell ran longer than the {timeout_seconds} s timeout; {kept}"
        )
    elif name == "DeadKernelError":
        message = (
            "the notebook kernel died while rendering (killed, out of memory or"
            f" crashed); {kept}"
        )
    elif isinstance(exc, OSError):
        message = f"cannot write the report in {failed.parent}: {_os_reason(exc)}"
    else:
        message = f"rendering failed ({name}: {_first_line(str(exc))})"
    error = RenderError(message)
    error.cause_name = name
    return error


def _unwritable_out(root: Path, exc: OSError) -> RenderError:
    """The error for an output folder that cannot be created, in plain words.

    The system's own words mislead here: ``--out /etc/hostname`` fails with
    "File exists" and ``--out /etc/passwd/x`` with "Not a directory".

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     error = _unwritable_out(Path(f.name), FileExistsError(17, "File exists"))
    >>> print(str(error).split(": ", 1)[1].replace(f.name, "<file>"))
    <file> is a file, not a folder. Fix: give --out a folder you can write to (out_root= in Python)
    """
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        reason = f"{existing} is a file, not a folder"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = f"no permission to write in {existing or root}"
    elif exc.errno == errno.EROFS:
        reason = f"{existing or root} is on a read-only file system"
    else:
        reason = _os_reason(exc)
    return RenderError(
        f"cannot create the run folder in {root}: {reason}."
        " Fix: give --out a folder you can write to (out_root= in Python)"
    )


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or _first_line(str(exc))


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
