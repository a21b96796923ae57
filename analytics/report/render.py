"""Execute a report notebook with papermill and publish it as one offline HTML file.

A run goes to its own folder under the output root and overwrites nothing:

1. a hidden working folder ``.incomplete-<run id>`` is created;
2. papermill executes the notebook there (kernel ``python3``), passing the
   parameters, the working folder and a random token;
3. the executed notebook must end with the completion marker carrying that
   token (a notebook that stopped early, e.g. ``sys.exit(0)``, has none);
4. nbconvert exports HTML without code; scripts and stylesheets that would be
   fetched from a network are removed, so the file opens offline;
5. only then is the folder renamed to ``<run id>``. A failed run is renamed
   ``<run id>.failed`` and holds no ``report.html``; earlier reports stay.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from traitlets.config import Config

from analytics.errors import RenderError
from analytics.report.go_no_go import COMPLETION_MARKER
from analytics.runinfo import new_run_id

__all__ = ["RunOutcome", "default_notebook", "export_html", "render_report"]

logger = logging.getLogger(__name__)

KERNEL_NAME = "python3"

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


@dataclass(frozen=True)
class RunOutcome:
    """Where a rendered report went and what it decided."""

    run_dir: Path
    html_path: Path
    run_json_path: Path
    decision: str
    seconds: float

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


def export_html(notebook: nbformat.NotebookNode) -> str:
    """HTML of an executed notebook: outputs only, no code, nothing fetched from a network."""
    exporter = HTMLExporter(template_name="lab")  # type: ignore[no-untyped-call]  # nbconvert is untyped
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(notebook)
    body = _REMOTE_SCRIPT.sub("", body)
    body = _REMOTE_LINK.sub("", body)
    body = _MATHJAX_CONFIG.sub("", body)
    return _inject_print_style(body)


def _inject_print_style(body: str) -> str:
    """Let output blocks break across printed pages (the last style wins)."""
    head_end = _HEAD_END.search(body)
    if head_end is None:
        return _PRINT_STYLE + body
    return body[: head_end.start()] + _PRINT_STYLE + "\n" + body[head_end.start() :]


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

    Raises
    ------
    RenderError
        The output folder is not writable, a cell failed or timed out, the kernel
        died, or the completion marker is missing.
    """
    started = time.perf_counter()
    root = Path(out_root)
    run_id = new_run_id(kind, as_of_label)
    work = root / f".incomplete-{run_id}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        work.mkdir()
    except OSError as exc:
        raise RenderError(
            f"cannot create the run folder in {root}: {exc.strerror}"
        ) from exc

    token = secrets.token_hex(8)
    executed_path = work / "report.ipynb"
    params = {**parameters, "run_dir": str(work.resolve()), "run_token": token}
    logger.info("executing %s into %s", notebook, work)
    try:
        _execute(notebook, executed_path, params, timeout_seconds)
        executed = nbformat.read(executed_path, as_version=4)  # type: ignore[no-untyped-call]
        _check_complete(executed, token, executed_path)
        html_text = export_html(executed)
        (work / "report.html").write_text(html_text, "utf-8")
        run_json = work / "run.json"
        record = json.loads(run_json.read_text("utf-8"))
        record["outputs"] = {
            "html": "report.html",
            "notebook": "report.ipynb",
            "run_id": run_id,
        }
        run_json.write_text(json.dumps(record, indent=2), "utf-8")
    except Exception as exc:
        failed = root / f"{run_id}.failed"
        _discard(work, failed)
        if isinstance(exc, RenderError):
            raise
        if isinstance(exc, OSError):
            raise RenderError(f"cannot write the report in {work}: {exc}") from exc
        error = RenderError(_explain_failure(exc, failed))
        error.cause_name = str(getattr(exc, "ename", type(exc).__name__))
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
    )


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


def _discard(work: Path, failed: Path) -> None:
    """Keep a failed run for diagnosis, without any report.html in it."""
    (work / "report.html").unlink(missing_ok=True)
    try:
        work.rename(failed)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)


def _explain_failure(exc: Exception, failed: Path) -> str:
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        ename = getattr(exc, "ename", "error")
        evalue = str(getattr(exc, "evalue", "")).splitlines()[0:1]
        detail = f"{ename}: {evalue[0]}" if evalue else ename
        return (
            f"the report notebook failed ({detail}); executed notebook kept in {failed}"
        )
    if "Timeout" in name or "timed out" in str(exc):
        return f"a report cell timed out; executed notebook kept in {failed}"
    if "DeadKernel" in name:
        return f"the kernel died while rendering; executed notebook kept in {failed}"
    return f"rendering failed ({name}: {str(exc).splitlines()[0] if str(exc) else ''})"
