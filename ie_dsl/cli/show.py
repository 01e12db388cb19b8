"""`iedsl show RULES... INPUTS... -o report.html`: one self-contained HTML page of results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.claims.corroborate import corroborate
from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, err, load_book, split_paths
from ie_dsl.cli.target import emit, is_stdout, output_problem
from ie_dsl.scale.reader import read_documents
from ie_dsl.tools.report import KEEP_EMPTY_UP_TO, Report


def show_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Rule files or directories (@pack: the shipped pack; none: the project's), then "
            "inputs (files, directories, globs, - for stdin)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the HTML page here (atomically); '-' for stdout."),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="The page's title.")] = "iedsl report",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    claims: Annotated[
        bool, typer.Option("--corroborate", help="Add the claims made in more than one document.")
    ] = False,
    all_documents: Annotated[
        bool,
        typer.Option(
            "--all-documents",
            help=f"Keep documents without statements however many there are (by default they "
            f"are left out past {KEEP_EMPTY_UP_TO} documents).",
        ),
    ] = False,
) -> None:
    """Run rules over documents and write one HTML page to look at the results in a browser.

    The page shows the documents a page at a time, with their annotations highlighted by
    type and their statements beside them, and an index of the documents with their counts;
    search (words, type:, rule:, a role such as source:), filter by statement type and
    rule, click a statement to highlight its sentence and arguments, hover an argument to
    see where it came from. It needs no network access.
    """
    rules, inputs = split_paths(paths, "iedsl show RULES... INPUTS... -o report.html")
    if not inputs:
        err("error: no inputs given: iedsl show RULES... INPUTS... -o report.html")
        raise typer.Exit(EXIT_USAGE)
    if output is None:
        err("error: say where to write the page: -o report.html (or -o - for stdout)")
        raise typer.Exit(EXIT_USAGE)
    if problem := output_problem(output):
        err(f"error: {problem}")
        raise typer.Exit(EXIT_USAGE)
    book = load_book(rules)
    unread: list[tuple[str, str]] = []

    def on_read_error(where: str, reason: str) -> None:
        unread.append((where, reason))
        err(f"warning: skipped {where}: {reason}")

    def on_extract_error(where: str, reason: str) -> None:
        err(f"warning: skipped {where}: extraction failed ({reason})")

    started = time.perf_counter()
    report = Report(book, all_documents=all_documents)
    skipped = report.add_all(read_documents(inputs, on_read_error), on_extract_error)
    clusters = (
        [c for c in corroborate(report.statements, schema=book.program.schema) if c.documents > 1]
        if claims
        else None
    )
    written = emit(report.html(title, [*unread, *skipped], clusters=clusters), output)
    if written != EXIT_OK:
        raise typer.Exit(written)
    problems = len(unread) + len(skipped)
    if not quiet:
        where = "stdout" if is_stdout(output) else str(output)
        left = (
            f" ({report.left_out} without statements left out: --all-documents keeps them)"
            if report.left_out
            else ""
        )
        err(
            f"{report.statement_count} statements from {report.document_count} documents{left}"
            f" in {time.perf_counter() - started:.2f} s; report written to {where}"
            + (f"; {problems} failed" if problems else "")
        )
    raise typer.Exit(EXIT_PROBLEMS if problems else EXIT_OK)
