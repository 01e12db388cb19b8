"""The `iedsl` command line: a typer app whose commands are thin wrappers over the library.

Results go to stdout, diagnostics and progress to stderr. Exit codes: 0 success,
1 the tool ran but found problems (e.g. documents that failed), 2 bad usage or rules.
"""

from __future__ import annotations

import os

import typer

from ie_dsl.cli import debug, run
from ie_dsl.cli.check import check_cli
from ie_dsl.cli.common import OUTSIDE_ROOT_ENV
from ie_dsl.cli.corroborate import corroborate_cli
from ie_dsl.cli.diff import diff_cli
from ie_dsl.cli.eval import eval_cli
from ie_dsl.cli.explain import explain_cli
from ie_dsl.cli.show import show_cli
from ie_dsl.cli.test import run_tests_cli

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


def main() -> None:
    """Console-script entry point."""
    app()
