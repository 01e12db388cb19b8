"""`iedsl diff OLD_RULES NEW_RULES INPUTS...`: what a rule change gains and loses, rule by rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from ie_dsl import IEDslError, compile_rules
from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, current_project, err, kind_of, load_book
from ie_dsl.resources import is_pack
from ie_dsl.scale.reader import read_documents
from ie_dsl.tools.rulediff import Revision, RuleDiffError, as_json, compare, materialize, relabel, render_text

DIFF_FORMATS = ("text", "json")


def _project_form(paths: list[str]) -> bool:
    """`iedsl diff REV INPUTS...` in a project: REV is a revision of the project's rules (not
    a path, not REV:PATH) and what follows it is not rules."""
    project = current_project()
    if project is None or len(paths) < 2 or Path(paths[0]).exists() or is_pack(paths[0]):
        return False
    return ":" not in paths[0] and ":" not in paths[1] and kind_of(paths[1]) != "rules"


def diff_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="OLD_RULES NEW_RULES INPUTS...: each rules argument is a file or directory, @pack, "
            "REV:PATH (PATH at a git revision) or a bare REV (the other rules path at that revision). "
            "In a project, REV INPUTS... compares the project's rules at REV with them now."
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
) -> None:
    """List per rule the statements gained and lost between two versions of the rules.

    Exit codes: 0 identical output; 1 the outputs differ; 2 bad usage, revision or rules.
    """
    if fmt not in DIFF_FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(DIFF_FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    project = current_project()
    if _project_form(paths) and project is not None:
        rev, inputs = paths[0], paths[1:]
        # (old spec, new path) per rules path; the shipped pack is the same on both sides
        pairs = [(p if is_pack(p) else rev, p) for p in project.rules]
    elif len(paths) < 3:
        err("error: iedsl diff OLD_RULES NEW_RULES INPUTS... (in a project: iedsl diff REV INPUTS...)")
        raise typer.Exit(EXIT_USAGE)
    else:
        pairs, inputs = [(paths[0], paths[1])], paths[2:]
    with ExitStack() as stack:
        old: list[tuple[str, Revision | None]] = []
        new: list[tuple[str, Revision | None]] = []
        try:
            for old_spec, new_spec in pairs:
                old.append(_loaded(stack, old_spec, new_spec))
                new.append(_loaded(stack, new_spec, old_spec))
        except RuleDiffError as exc:
            err(f"error: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
        old_paths, new_paths = [p for p, _ in old], [p for p, _ in new]
        try:
            # The old rules' warnings are history: only the new rules' are shown.
            old_book = compile_rules(old_paths)
        except IEDslError:
            err(f"error: the old rules ({', '.join(spec for spec, _ in pairs)}) do not compile:")
            load_book(old_paths)  # shows every error and exits 2
            raise
        new_book = load_book(new_paths)

        def on_error(where: str, reason: str) -> None:
            err(f"warning: skipped {where}: {reason}")

        docs = ((d.id, d.text) for d in read_documents(inputs, on_error))
        result = compare(old_book, new_book, docs, _relabeller(old), _relabeller(new))
    for doc_id in result.skipped:
        err(f"warning: skipped {doc_id}: a token regex took too long on this document")
    if fmt == "json":
        typer.echo(json.dumps(as_json(result), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_text(result), nl=False)
    raise typer.Exit(EXIT_OK if result.identical else EXIT_PROBLEMS)


def _loaded(stack: ExitStack, spec: str, other: str) -> tuple[str, Revision | None]:
    """(the rules path to load, its revision or None) for one rules argument."""
    if is_pack(spec):
        return spec, None
    return stack.enter_context(materialize(spec, other))


def _relabeller(loaded: list[tuple[str, Revision | None]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A statement with its rule file named as at its revision (`REV:path/file`), whichever of
    the loaded rule paths it comes from."""

    def relabelled(st: dict[str, Any]) -> dict[str, Any]:
        for path, revision in loaded:
            out = relabel(st, path, revision)
            if out is not st:
                return out
        return st

    return relabelled
