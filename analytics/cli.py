"""The ``readiness`` command.

Exit codes (for cron, Airflow and CI):

== ===========================================================================
0  report written (whatever the decision, unless ``--fail-on`` says otherwise)
2  bad input: the config, a parameter or a data file cannot be used
3  the report could not be rendered or written
4  report written, but the decision is one ``--fail-on`` asked to fail on
== ===========================================================================

Errors are printed as one line on stderr, without a traceback (``--debug``
shows it); so are usage errors (a missing or invalid option), which end with
the ``--help`` to run (see :func:`main`). After every run, successful or not, ``<out>/index.html`` is
regenerated (see :mod:`analytics.report.index`).

Commands: ``report go-no-go``, ``report post-launch`` and ``check-config``.
Both report commands go through :func:`_run_report`, which renders, maps
errors to exit codes, prints the outcome and rewrites the index.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, NoReturn

import pandas as pd
import typer

from analytics import __version__
from analytics.config import ReadinessConfig, load_config, missing_files, named_files
from analytics.errors import AnalyticsError, ConfigError, InputError, RenderError
from analytics.report.baseline import read_baseline
from analytics.runinfo import refuse_future_decision
from analytics.sources._compressed import check_compressed_file
from analytics.timeparse import parse_instant

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
            "--version",
            callback=_version,
            is_eager=True,
            metavar="",  # a flag: no "<bool>" after it in --help
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Go-live readiness analytics."""


def _fail(message: str, code: int, *, debug: bool) -> NoReturn:
    """One ``error:`` line and exit ``code``; ``--debug`` adds the traceback first.

    The exit code is the same with or without ``--debug``: a scheduler reads it.
    """
    if debug:
        traceback.print_exc()
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@dataclass(frozen=True)
class _Paths:
    config: Path
    out: Path
    notebook: Path | None


def _paths(*, config: str, out: str, notebook: str | None) -> _Paths:
    """The report commands' path options, each refused when blank."""
    return _Paths(
        _path_option("--config", config),
        _path_option("--out", out),
        None if notebook is None else _path_option("--notebook", notebook),
    )


def _path_option(option: str, text: str) -> Path:
    """The path given to ``option``; a blank one (an unset variable) is refused.

    >>> _path_option("--out", "reports")
    PosixPath('reports')
    >>> _path_option("--out", " ")
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: --out is empty (an unset variable in a scheduler's command?); give a path
    """
    if not text.strip():
        raise ConfigError(
            f"{option} is empty (an unset variable in a scheduler's command?);"
            " give a path"
        )
    return Path(text)


def _given_instant(option: str, given: str, *, optional: bool) -> pd.Timestamp:
    """The time given to a date option; an empty or blank value is refused.

    A cron line ``--as-of "$DECISION_DATE"`` with the variable unset passes an
    empty string: falling back to a default would judge the wrong moment.

    Examples
    --------
    >>> _given_instant("--as-of", "2026-03-02", optional=True)
    Timestamp('2026-03-02 00:00:00+0000', tz='UTC')
    >>> _given_instant("--as-of", " ", optional=True)
    Traceback (most recent call last):
    ...
    analytics.errors.ConfigError: --as-of is empty: give an ISO 8601 date such as 2026-03-02 or leave the option out
    """
    if not given.strip():
        leave_out = " or leave the option out" if optional else ""
        raise ConfigError(
            f"{option} is empty: give an ISO 8601 date such as 2026-03-02{leave_out}"
        )
    return parse_instant(given, name=option)


def _decision_time(
    option: str, given: str | None, config_as_of: str | None
) -> pd.Timestamp:
    """The decision time from ``option`` (ISO 8601), else the config's ``as_of``.

    ``given`` is None when the option was left out; an empty value is an error.
    """
    if given is not None:
        return _given_instant(option, given, optional=True)
    if config_as_of:
        return parse_instant(config_as_of, name="as_of in the config")
    raise ConfigError(
        f"no decision time: pass {option} (e.g. {option} 2016-06-30T00:00:00Z)"
        " or set as_of in the config"
    )


def _check_timeout(timeout: int) -> None:
    if timeout < 1:
        raise ConfigError(
            f"--timeout {timeout}: the per-cell timeout must be at least 1 second."
            " Fix: pass a whole number of seconds, e.g. --timeout 1800 (the default)"
        )


def _setup_logging(*, debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not debug:
        # nbclient and papermill log a failing cell or a dead kernel as warnings;
        # the command reports that itself, in one line.
        for name in ("nbclient", "papermill", "traitlets"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


# The go/no-go report decides GO / GO WITH CONDITIONS / NO-GO; the post-launch
# review decides PASS / FAIL (FAIL fails like NO-GO).
_BAD_DECISIONS = {
    FailOn.never: (),
    FailOn.no_go: ("NO-GO", "FAIL"),
    FailOn.conditions: ("NO-GO", "GO WITH CONDITIONS", "FAIL"),
}
_KNOWN_DECISIONS = ("GO", "GO WITH CONDITIONS", "NO-GO", "PASS", "FAIL")


def _fails_on(decision: str, fail_on: FailOn) -> bool:
    """Whether ``decision`` should exit 4; an unknown decision counts as NO-GO.

    Examples
    --------
    >>> _fails_on("FAIL", FailOn.no_go), _fails_on("GO WITH CONDITIONS", FailOn.no_go)
    (True, False)
    """
    if fail_on is FailOn.never:
        return False
    if decision not in _KNOWN_DECISIONS:
        return True
    return decision in _BAD_DECISIONS[fail_on]


def _run_report(
    *,
    kind: str,
    notebook: Path | None,
    default_notebook: str,
    parameters: dict[str, Any],
    out: Path,
    as_of: Any,
    timeout: int,
    fail_on: FailOn,
    debug: bool,
) -> None:
    """Render one report, print its outcome, rewrite the index, set the exit code.

    Parameters
    ----------
    kind
        Report name for the run folder and the index (``"go-no-go"``).
    notebook
        The report notebook, or None for the bundled one.
    default_notebook
        Name of the bundled notebook (``notebooks/<name>.ipynb``).
    parameters
        Papermill parameters (no secrets: they are written into the notebook).
    out
        Output root; the run gets its own folder there.
    as_of
        The report's as-of time (a datetime), for the folder name.
    timeout
        Per-cell timeout in seconds.
    fail_on
        Which decisions (``decision`` in the run's ``run.json``) exit 4.
    debug
        Print the traceback before the one-line error (the exit code is the same).
    """
    # Imported here so that --help stays fast.
    from analytics.report import render

    try:
        outcome = render.render_report(
            notebook or render.default_notebook(default_notebook),
            kind=kind,
            parameters=parameters,
            out_root=out,
            as_of_label=as_of,
            timeout_seconds=timeout,
        )
    except RenderError as exc:
        bad_input = exc.cause_name in ("InputError", "ConfigError")
        _update_index(out, debug=debug)
        _fail(
            str(exc), EXIT_BAD_INPUT if bad_input else EXIT_RENDER_FAILED, debug=debug
        )
    except AnalyticsError as exc:
        _update_index(out, debug=debug)
        _fail(str(exc), EXIT_BAD_INPUT, debug=debug)

    index = _update_index(out, debug=debug)
    for warning in _source_warnings(outcome.run_json_path):
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(_decision_line(outcome.decision, outcome.run_json_path))
    typer.echo(f"report: {outcome.html_path}")
    typer.echo(f"run.json: {outcome.run_json_path}")
    if index is not None:
        typer.echo(f"index: {index}")
    if _fails_on(outcome.decision, fail_on):
        raise typer.Exit(EXIT_DECISION)


def _decision_line(decision: str, run_json: Path) -> str:
    """``decision: ...``, saying so when the run is an interim post-launch review.

    An interim review (``"interim": true`` in its run.json: the review window
    was not over) can still change its outcome; the scheduler's log must show
    that without opening the report.
    """
    try:
        record = json.loads(run_json.read_text("utf-8"))
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict) or record.get("interim") is not True:
        return f"decision: {decision}"
    try:
        end = parse_instant(str(record.get("review_end")), name="review_end")
    except AnalyticsError:
        return f"decision: {decision} (interim: the review window is not over)"
    return f"decision: {decision} (interim: the review window ends {end:%Y-%m-%d %H:%M} UTC)"


def _source_warnings(run_json: Path) -> list[str]:
    """Sources the run could not read, from its run.json, for the scheduler's log.

    A NO-GO from an expired credential or an unreachable server must be told
    apart from a NO-GO on the evidence without opening the report.
    """
    try:
        record = json.loads(run_json.read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return [
        f"source {entry.get('source')!r} unavailable, its criteria are NO DATA:"
        f" {entry.get('file')}"
        for entry in record.get("data") or []
        if isinstance(entry, dict) and entry.get("kind") == "unavailable"
    ]


def _update_index(out: Path, *, debug: bool) -> Path | None:
    """Rewrite ``out/index.html``; a failure is a warning, never the run's result."""
    if not out.is_dir():  # the run could not even create its folder
        return None
    from analytics.report.index import write_index

    try:
        return write_index(out)
    except OSError as exc:
        if debug:
            raise
        typer.echo(f"warning: index not updated in {out}: {exc}", err=True)
        return None


_AS_OF_HELP = (
    "Decision time, ISO 8601 only: 2016-06-30 (00:00 UTC) or 2016-06-30T12:00:00Z;"
    " a date-time without an offset is UTC. Default: the config's as_of."
)
_GO_LIVE_HELP = (
    "Go-live time, ISO 8601 only (e.g. 2024-05-06T08:00:00Z); a date-time without"
    " an offset is UTC."
)
_TIMEOUT_HELP = "Per-cell timeout in seconds, at least 1."
_FAIL_ON_HELP = (
    "Exit 4 after writing when the run.json decision is this bad"
    " (an unrecognised decision counts as NO-GO)."
)


@report_app.command("go-no-go")
def go_no_go(
    config: Annotated[str, typer.Option(help="Readiness config (YAML).")],
    out: Annotated[
        str, typer.Option(help="Folder for run folders; each run gets its own.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(help=_AS_OF_HELP, show_default=False),
    ] = None,
    fail_on: Annotated[FailOn, typer.Option(help=_FAIL_ON_HELP)] = FailOn.never,
    notebook: Annotated[
        str | None,
        typer.Option(help="Report notebook (default: notebooks/go_no_go.ipynb)."),
    ] = None,
    timeout: Annotated[int, typer.Option(help=_TIMEOUT_HELP)] = 1800,
    debug: Annotated[
        bool, typer.Option(help="Show tracebacks and debug logs.")
    ] = False,
) -> None:
    """Render the go / no-go readiness report; print the decision and the HTML path."""
    _setup_logging(debug=debug)
    try:
        paths = _paths(config=config, out=out, notebook=notebook)
        _check_timeout(timeout)
        cfg = load_config(paths.config)
        when = _decision_time("--as-of", as_of, cfg.as_of)
        refuse_future_decision(when)
        _refuse_missing_files(paths.config, cfg)
    except AnalyticsError as exc:
        _fail(str(exc), EXIT_BAD_INPUT, debug=debug)

    _run_report(
        kind="go-no-go",
        notebook=paths.notebook,
        default_notebook="go_no_go",
        parameters={"config": str(paths.config.resolve()), "as_of": when.isoformat()},
        out=paths.out,
        as_of=when,
        timeout=timeout,
        fail_on=fail_on,
        debug=debug,
    )


@report_app.command("post-launch")
def post_launch(
    config: Annotated[str, typer.Option(help="Readiness config (YAML).")],
    go_live: Annotated[str, typer.Option(help=_GO_LIVE_HELP)],
    out: Annotated[
        str, typer.Option(help="Folder for run folders; each run gets its own.")
    ],
    days: Annotated[
        int, typer.Option(min=1, help="Review window after go-live, in days.")
    ] = 28,
    baseline: Annotated[
        str | None,
        typer.Option(help="run.json of the go/no-go run to compare with."),
    ] = None,
    fail_on: Annotated[FailOn, typer.Option(help=_FAIL_ON_HELP)] = FailOn.never,
    notebook: Annotated[
        str | None,
        typer.Option(
            help="Report notebook (default: notebooks/post_launch_review.ipynb)."
        ),
    ] = None,
    timeout: Annotated[int, typer.Option(help=_TIMEOUT_HELP)] = 1800,
    debug: Annotated[
        bool, typer.Option(help="Show tracebacks and debug logs.")
    ] = False,
) -> None:
    """Render the post-launch review (as of go-live + days); print its decision and path."""
    _setup_logging(debug=debug)
    try:
        paths = _paths(config=config, out=out, notebook=notebook)
        baseline_path = (
            None if baseline is None else _path_option("--baseline", baseline)
        )
        _check_timeout(timeout)
        cfg = load_config(paths.config)
        start = _given_instant("--go-live", go_live, optional=False)
        _check_review_window(start, days)
        baseline_run = _check_baseline(baseline_path, cfg, start)
        _refuse_missing_files(paths.config, cfg)
    except AnalyticsError as exc:
        _fail(str(exc), EXIT_BAD_INPUT, debug=debug)

    _run_report(
        kind="post-launch",
        notebook=paths.notebook,
        default_notebook="post_launch_review",
        parameters={
            "config": str(paths.config.resolve()),
            "go_live": start.isoformat(),
            "review_days": days,
            "baseline_run": baseline_run,
        },
        out=paths.out,
        as_of=start + timedelta(days=days),
        timeout=timeout,
        fail_on=fail_on,
        debug=debug,
    )


def _check_review_window(go_live: pd.Timestamp, days: int) -> None:
    """A go-live in the future is refused; a review window not yet over is warned about."""
    now = pd.Timestamp.now(tz="UTC")
    if go_live > now + timedelta(minutes=15):
        raise ConfigError(
            f"--go-live {go_live.isoformat()} is in the future (now {now:%Y-%m-%dT%H:%M}Z):"
            " there is nothing to review yet. Fix: pass the time the service went live"
        )
    end = go_live + timedelta(days=days)
    if end > now:
        typer.echo(
            f"warning: the review window ends {end:%Y-%m-%d %H:%M} UTC, after now:"
            " criteria whose evidence is not in yet are NO DATA",
            err=True,
        )


def _check_baseline(
    baseline: Path | None, config: ReadinessConfig, go_live: pd.Timestamp
) -> str:
    """The absolute path of a go/no-go ``run.json`` of this service, or ``""``.

    Refuses (ConfigError) what :func:`read_baseline` refuses; prints its
    warnings (a run after or long before go-live) to stderr, as the review shows them.
    """
    if baseline is None:
        return ""
    checked = read_baseline(
        baseline,
        service=config.report.service,
        config_path=config.source_path,
        go_live=go_live,
        name=f"--baseline {baseline}",
    )
    for warning in checked.warnings:
        typer.echo(f"warning: --baseline {baseline}: {warning}", err=True)
    return str(baseline.resolve())


@app.command("check-config")
def check_config(
    config: Annotated[str, typer.Option(help="Readiness config (YAML).")],
) -> None:
    """Validate a readiness config, its as_of, and the files it names.

    Every file must exist, and each compressed one (.gz, .bz2, .xz, .zip, or
    gzip content) must decompress to its end under a name that matches its
    content. Parses no data: a file that reads but holds the wrong columns or
    values is reported when a report reads it.
    """
    try:
        # Checks every field, as_of (ISO 8601 only) and time zones included.
        cfg = load_config(_path_option("--config", config))
    except AnalyticsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if cfg.as_of:
        try:
            refuse_future_decision(parse_instant(cfg.as_of, name="as_of"))
        except ConfigError as exc:
            typer.echo(f"error: {config}: as_of: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        _refuse_missing_files(Path(config), cfg)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    unreadable = _unreadable_files(cfg)
    if unreadable:
        typer.echo(f"error: {'; '.join(unreadable)}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    enabled = [c for c in cfg.criteria.values() if c.enabled]
    typer.echo(
        f"ok: {len(enabled)} criteria, {len(cfg.tickets)} ticket and"
        f" {len(cfg.metrics)} metric source(s), checklist:"
        f" {'yes (its items are added as criteria when it is read)' if cfg.checklist else 'no'}"
    )


def _refuse_missing_files(path: Path, config: ReadinessConfig) -> None:
    """Every file the config names must exist before a report starts (exit 2, no run)."""
    missing = missing_files(config)
    if missing:
        raise ConfigError(
            f"{path}: {len(missing)} file(s) not found: {'; '.join(missing)}."
            " Fix: correct the paths (they are relative to the config file)"
        )


def _unreadable_files(config: ReadinessConfig) -> list[str]:
    """``"where: problem"`` for each compressed file that does not decompress."""
    problems = []
    for where, path in named_files(config):
        if not path.is_file():
            continue  # a snapshot folder
        try:
            check_compressed_file(path)
        except InputError as exc:
            problems.append(f"{where}: {exc}")
    return problems


def _click_error_class() -> type[Exception]:
    """The ``ClickException`` class typer raises for usage errors.

    Recent typer releases raise the errors of their own copy of click, older
    ones those of click itself: the class is found from typer's public
    ``BadParameter`` so that both work.
    """
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException" and issubclass(cls, Exception):
            return cls
    return typer.BadParameter  # pragma: no cover - every click has ClickException


_CLICK_ERROR: Final = _click_error_class()


def main() -> None:
    """Console entry point: usage errors are one line on stderr, exit 2.

    Click prints a usage error as the usage line, a hint and the error (typer
    draws a box around them); the README promises one line for bad input, so
    the error is printed here, ending with the ``--help`` to run. Bare
    ``readiness`` (or ``readiness report``) still prints its help.
    """
    try:
        code = app(prog_name="readiness", standalone_mode=False)
    except _CLICK_ERROR as exc:
        message = exc.format_message()  # type: ignore[attr-defined]  # ClickException has it
        if type(exc).__name__ != "NoArgsIsHelpError":
            typer.echo(f"error: {message}{_help_hint(exc)}", err=True)
        elif message.strip():  # the help text; typer's rich help is already printed
            typer.echo(message, err=True)
        code = getattr(exc, "exit_code", EXIT_BAD_INPUT)
    except typer.Abort:
        typer.echo("aborted", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


def _help_hint(exc: Exception) -> str:
    """`` (see 'readiness report go-no-go --help')`` when the error knows its command."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "")
    return f" (see '{path} --help')" if path else ""


if __name__ == "__main__":
    main()
