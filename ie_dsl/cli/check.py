"""`iedsl check RULES...`: every problem in the rules, errors and warnings, at once."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, OUTSIDE_ROOT_ENV, PACK, err
from ie_dsl.diagnostics import render
from ie_dsl.pipeline import diagnose
from ie_dsl.resources import data_dir

FORMATS = ("full", "concise", "json")
UNUSABLE = ("E201", "E202")  # a rule path that does not exist or cannot be read


def check_cli(
    paths: Annotated[list[str], typer.Argument(help="Rule files or directories (@pack: the shipped pack).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="full | concise | json")] = "full",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Check rules without running them. Exit 0 clean, 1 problems (warnings with --strict),
    2 unusable input."""
    if fmt not in FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    outside = os.environ.get(OUTSIDE_ROOT_ENV) == "1"
    diags, sources = diagnose([data_dir("rules") if p == PACK else p for p in paths], outside)
    errors = [d for d in diags if d.severity == "error"]
    warnings = [d for d in diags if d.severity != "error"]
    if diags:
        # diagnostics are this command's result: JSON to stdout, prose to stderr like everywhere
        if fmt == "json":
            typer.echo(render(diags, sources, "json"))
        else:
            err(render(diags, sources, fmt))
    if fmt != "json":
        err(f"{_count(len(errors), 'error')}, {_count(len(warnings), 'warning')}")
    if any(d.code in UNUSABLE for d in errors):
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_PROBLEMS if errors or (strict and warnings) else EXIT_OK)


def _count(k: int, word: str) -> str:
    return f"{k} {word}{'s' if k != 1 else ''}"
