"""The `iedsl` command line: a typer app whose commands are thin wrappers over the library.

Results go to stdout, diagnostics and progress to stderr. Exit codes: 0 success,
1 the tool ran but found problems (e.g. documents that failed), 2 bad usage or rules,
141 the program reading stdout went away (`iedsl ... | head`).
"""

from __future__ import annotations

import os
import sys

import typer

from ie_dsl.cli import debug, run
from ie_dsl.cli.check import check_cli
from ie_dsl.cli.common import EXIT_PROBLEMS, OUTSIDE_ROOT_ENV, err, plug_closed_streams
from ie_dsl.cli.corroborate import corroborate_cli
from ie_dsl.cli.diff import diff_cli
from ie_dsl.cli.eval import eval_cli
from ie_dsl.cli.explain import explain_cli
from ie_dsl.cli.show import show_cli
from ie_dsl.cli.streams import StdoutError, guard_streams
from ie_dsl.cli.target import EXIT_PIPE
from ie_dsl.cli.test import run_tests_cli
from ie_dsl.output import PipeClosed

app = typer.Typer(
    name="iedsl",
    no_args_is_help=True,
    add_completion=False,
    help="Rule-based information extraction for news.\n\n"
    "Exit codes: 0 ok, 1 problems found, 2 bad usage or rules.",
)


@app.callback()
def _options(
    allow_outside_root: bool = typer.Option(
        False, "--allow-outside-root", help="Let `use` read files outside the rule directories."
    ),
) -> None:
    """Options for every command (before the command's name)."""
    if allow_outside_root:
        os.environ[OUTSIDE_ROOT_ENV] = "1"


app.command("run")(run.run_cli)
app.command("test")(run_tests_cli)
app.command("check")(check_cli)
app.command("explain")(explain_cli)
app.command("eval")(eval_cli)
app.command("diff")(diff_cli)
app.command("show")(show_cli)
app.command("corroborate")(corroborate_cli)
app.add_typer(debug.app, name="debug")


def _command(args: list[str]) -> str | None:
    """The command named in `args` (the first word that is not an option: the options
    before it take no value)."""
    return next((a for a in args if not a.startswith("-")), None)


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
