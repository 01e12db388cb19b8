"""`iedsl diff OLD_RULES NEW_RULES INPUTS...`: what a rule change gains and loses, rule by rule."""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Annotated

import typer

from ie_dsl import IEDslError, compile_rules
from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, err, load_book
from ie_dsl.reader import read_documents
from ie_dsl.rulediff import RuleDiffError, as_json, compare, materialize, relabel, render_text

DIFF_FORMATS = ("text", "json")


def diff_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="OLD_RULES NEW_RULES INPUTS...: each rules argument is a file or directory, @pack, "
            "REV:PATH (PATH at a git revision) or a bare REV (the other rules path at that revision)."
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
) -> None:
    """List per rule the statements gained and lost between two versions of the rules.

    Exit codes: 0 identical output; 1 the outputs differ; 2 bad usage, revision or rules.
    """
    if len(paths) < 3:
        err("error: iedsl diff OLD_RULES NEW_RULES INPUTS...")
        raise typer.Exit(EXIT_USAGE)
    if fmt not in DIFF_FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(DIFF_FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    old_spec, new_spec, inputs = paths[0], paths[1], paths[2:]
    with ExitStack() as stack:
        try:
            old_path, old_rev = stack.enter_context(materialize(old_spec, new_spec))
            new_path, new_rev = stack.enter_context(materialize(new_spec, old_spec))
        except RuleDiffError as exc:
            err(f"error: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
        try:
            # The old rules' warnings are history: only the new rules' are shown.
            old_book = compile_rules([old_path])
        except IEDslError:
            err(f"error: the old rules ({old_spec}) do not compile:")
            load_book([old_path])  # shows every error and exits 2
            raise
        new_book = load_book([new_path])

        def on_error(where: str, reason: str) -> None:
            err(f"warning: skipped {where}: {reason}")

        docs = ((d.id, d.text) for d in read_documents(inputs, on_error))
        result = compare(
            old_book,
            new_book,
            docs,
            lambda st: relabel(st, old_path, old_rev),
            lambda st: relabel(st, new_path, new_rev),
        )
    for doc_id in result.skipped:
        err(f"warning: skipped {doc_id}: a token regex took too long on this document")
    if fmt == "json":
        typer.echo(json.dumps(as_json(result), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_text(result), nl=False)
    raise typer.Exit(EXIT_OK if result.identical else EXIT_PROBLEMS)
