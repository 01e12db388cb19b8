"""`iedsl check RULES...`: every problem in the rules, errors and warnings, at once."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ie_dsl.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    OUTSIDE_ROOT_ENV,
    err,
    kind_of,
    mine,
    rule_paths,
    split_rules,
)
from ie_dsl.diagnostics import render
from ie_dsl.pipeline import diagnose

FORMATS = ("full", "concise", "json")


def check_cli(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Rule files or directories (@pack: the shipped pack). None: the project's."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="full | concise | json")] = "full",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Check rules without running them. Exit 0 clean (or warnings only), 1 warnings with
    --strict, 2 errors in the rules or unusable input."""
    if fmt not in FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    rules, rest = split_rules(paths or [], "iedsl check RULES...")
    if rest:  # every argument of check is a rule path: name what is not one
        what = (
            "a fixture file (it has `cases:`): `iedsl test` runs it"
            if kind_of(rest[0]) == "fixtures"
            else "not a rule file or a directory of rules"
        )
        err(f"error: {rest[0]} is {what}")
        raise typer.Exit(EXIT_USAGE)
    outside = os.environ.get(OUTSIDE_ROOT_ENV) == "1"
    diags, sources = diagnose(rule_paths(rules), outside)
    diags = mine(diags, rules)
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
    # broken rules are exit 2, as for every command that loads them (README: "bad usage or
    # broken rules"); warnings are problems only when asked
    if errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_PROBLEMS if strict and warnings else EXIT_OK)


def _count(k: int, word: str) -> str:
    return f"{k} {word}{'s' if k != 1 else ''}"
