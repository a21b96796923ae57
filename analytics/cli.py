"""The ``readiness`` command.

Exit codes (for cron, Airflow and CI):

== ===========================================================================
0  report written (whatever the decision, unless ``--fail-on`` says otherwise)
2  bad input: the config, a parameter or a data file cannot be used
3  the report could not be rendered or written
4  report written, but the decision is one ``--fail-on`` asked to fail on
== ===========================================================================

Errors are printed as one line on stderr, without a traceback (``--debug``
shows it).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from analytics import __version__
from analytics.config import load_config
from analytics.errors import AnalyticsError, RenderError
from analytics.evidence import parse_as_of

__all__ = ["app", "main"]

EXIT_BAD_INPUT = 2
EXIT_RENDER_FAILED = 3
EXIT_DECISION = 4

app = typer.Typer(
    help="Go-live readiness analytics: evidence in, GO / NO-GO out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
report_app = typer.Typer(help="Render reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


class FailOn(StrEnum):
    """Which decisions make the command exit with code 4."""

    never = "never"
    no_go = "no-go"
    conditions = "conditions"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"readiness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Go-live readiness analytics."""


def _fail(message: str, code: int, *, debug: bool) -> None:
    if debug:
        raise
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@report_app.command("go-no-go")
def go_no_go(
    config: Annotated[Path, typer.Option(help="Readiness config (YAML).")],
    out: Annotated[
        Path, typer.Option(help="Folder for run folders; each run gets its own.")
    ],
    as_of: Annotated[
        str,
        typer.Option(
            help="Decision time, ISO 8601 (e.g. 2016-06-30). Default: the config's."
        ),
    ] = "",
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 4 after writing when the decision is this bad.")
    ] = FailOn.never,
    notebook: Annotated[
        Path | None,
        typer.Option(help="Report notebook (default: notebooks/go_no_go.ipynb)."),
    ] = None,
    timeout: Annotated[int, typer.Option(help="Per-cell timeout in seconds.")] = 1800,
    debug: Annotated[
        bool, typer.Option(help="Show tracebacks and debug logs.")
    ] = False,
) -> None:
    """Render the go / no-go readiness report; print the decision and the HTML path."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Imported here so that --help stays fast.
    from analytics.report.render import default_notebook, render_report

    try:
        cfg = load_config(config)
        when = parse_as_of(as_of or cfg.as_of)
        outcome = render_report(
            notebook or default_notebook("go_no_go"),
            kind="go-no-go",
            parameters={"config": str(config.resolve()), "as_of": when.isoformat()},
            out_root=out,
            as_of_label=when,
            timeout_seconds=timeout,
        )
    except RenderError as exc:
        code = (
            EXIT_BAD_INPUT
            if exc.cause_name in ("InputError", "ConfigError")
            else (EXIT_RENDER_FAILED)
        )
        _fail(str(exc), code, debug=debug)
        return
    except AnalyticsError as exc:
        _fail(str(exc), EXIT_BAD_INPUT, debug=debug)
        return

    typer.echo(f"decision: {outcome.decision}")
    typer.echo(f"report: {outcome.html_path}")
    typer.echo(f"run.json: {outcome.run_json_path}")
    bad = {
        FailOn.never: (),
        FailOn.no_go: ("NO-GO",),
        FailOn.conditions: ("NO-GO", "GO WITH CONDITIONS"),
    }[fail_on]
    if outcome.decision in bad:
        raise typer.Exit(EXIT_DECISION)


@app.command("check-config")
def check_config(
    config: Annotated[Path, typer.Option(help="Readiness config (YAML).")],
) -> None:
    """Validate a readiness config without reading any data."""
    try:
        cfg = load_config(config)
    except AnalyticsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    enabled = [c for c in cfg.criteria.values() if c.enabled]
    typer.echo(
        f"ok: {len(enabled)} criteria, {len(cfg.tickets)} ticket and"
        f" {len(cfg.metrics)} metric source(s), checklist: {'yes' if cfg.checklist else 'no'}"
    )


def main() -> None:
    """Console entry point."""
    app(prog_name="readiness")


if __name__ == "__main__":
    main()
