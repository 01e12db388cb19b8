"""The `iedsl` command line: a typer app whose commands are thin wrappers over the library.

Results go to stdout, diagnostics and progress to stderr. Exit codes: 0 success,
1 the tool ran but found problems (e.g. documents that failed), 2 bad usage or rules,
141 the program reading stdout went away (`iedsl ... | head`).
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ie_dsl import __version__
from ie_dsl.cli import debug, run
from ie_dsl.cli.check import check_cli
from ie_dsl.cli.common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    OUTSIDE_ROOT_ENV,
    err,
    plug_closed_streams,
    set_project,
)
from ie_dsl.cli.corroborate import corroborate_cli
from ie_dsl.cli.diff import diff_cli
from ie_dsl.cli.eval import eval_cli
from ie_dsl.cli.explain import explain_cli
from ie_dsl.cli.init import init_cli
from ie_dsl.cli.show import show_cli
from ie_dsl.cli.streams import StdoutError, guard_streams
from ie_dsl.cli.target import EXIT_PIPE
from ie_dsl.cli.test import run_tests_cli
from ie_dsl.language.project import Project, ProjectError, find_project, load_project
from ie_dsl.scale.output import PipeClosed

app = typer.Typer(
    name="iedsl",
    no_args_is_help=True,
    # --install-completion / --show-completion: bash, zsh, fish, PowerShell (docs/own-rules.md)
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Rule-based information extraction for news.\n\n"
    "Exit codes: 0 ok, 1 problems found, 2 bad usage or rules.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iedsl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    ctx: typer.Context,
    allow_outside_root: Annotated[
        bool, typer.Option("--allow-outside-root", help="Let `use` read files outside the rule directories.")
    ] = False,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            help="The project file (iedsl.toml, pyproject.toml) or its directory. Default: the "
            "nearest one in the working directory or above.",
        ),
    ] = None,
    no_project: Annotated[
        bool, typer.Option("--no-project", help="Use no project file: rules and fixtures only as given.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Options for every command (before the command's name)."""
    found = None
    if not no_project and ctx.resilient_parsing is False:
        try:
            found = load_project(project) if project is not None else find_project()
        except ProjectError as exc:
            err(f"error: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
    set_project(found)
    if allow_outside_root or (found is not None and found.allow_outside_root):
        os.environ[OUTSIDE_ROOT_ENV] = "1"
    if found is not None:
        ctx.default_map = _defaults(ctx, found)


def _defaults(ctx: typer.Context, project: Project) -> dict[str, dict[str, Any]]:
    """The project's option defaults as click's default_map: {command: {parameter: value}},
    each key checked against the command's long option names (exit 2 naming a wrong one).
    A relative path given for a path option is taken from the project's directory."""
    # duck-typed: typer 0.28 carries its own copy of click, earlier ones use click itself
    commands: dict[str, Any] = getattr(ctx.command, "commands", {})
    out: dict[str, dict[str, Any]] = {}
    for command, values in project.defaults.items():
        cmd = commands.get(command)
        if cmd is None or not values:
            continue
        by_name = {
            opt[2:]: param
            for param in cmd.params
            if param.param_type_name == "option"
            for opt in param.opts
            if opt.startswith("--")
        }
        table: dict[str, Any] = {}
        for key, value in values.items():
            param = by_name.get(key.replace("_", "-"))
            if param is None or param.name is None:
                close = difflib.get_close_matches(key, list(by_name), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                err(
                    f"error: {project.file}: [{command}] {key}: `iedsl {command}` has no option --{key}{hint}"
                )
                raise typer.Exit(EXIT_USAGE)
            if type(param.type).__name__ == "Path" and isinstance(value, str) and value != "-":
                value = str(project.root / value)
            table[param.name] = value
        out[command] = table
    return out


app.command("run")(run.run_cli)
app.command("test")(run_tests_cli)
app.command("check")(check_cli)
app.command("explain")(explain_cli)
app.command("eval")(eval_cli)
app.command("diff")(diff_cli)
app.command("show")(show_cli)
app.command("corroborate")(corroborate_cli)
app.command("init")(init_cli)
app.add_typer(debug.app, name="debug")


def _command(args: list[str]) -> str | None:
    """The command named in `args`: the first word that is not an option or the value of
    `--project` (the only option before a command that takes one)."""
    words = iter(args)
    for a in words:
        if a == "--project":
            next(words, None)
        elif not a.startswith("-"):
            return a
    return None


def main() -> None:
    """Console-script entry point.

    Standard descriptors closed at start are pointed at /dev/null first, so no file a command
    opens takes their place. `run` handles its streams itself; every other command writes
    through cli/streams.py: a reader of stdout that goes away ends it with 141, a failing or
    closed stdout with one line on stderr and exit 1, a closed stderr changes nothing but the
    silence, never a traceback."""
    if _command(sys.argv[1:]) == "run":  # it plugs and checks the streams itself
        app()
        return
    guard_streams(plug_closed_streams())
    try:
        app()
    except PipeClosed:
        raise SystemExit(EXIT_PIPE) from None
    except StdoutError as exc:
        err(f"error: cannot write to stdout: {exc.strerror}")
        raise SystemExit(EXIT_PROBLEMS) from None
