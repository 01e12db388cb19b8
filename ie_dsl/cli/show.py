"""`iedsl show RULES... INPUTS... -o report.html`: one self-contained HTML page of results."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, err, load_book
from ie_dsl.cli.run import split_paths
from ie_dsl.corroborate import corroborate
from ie_dsl.output import write_atomic
from ie_dsl.reader import read_documents
from ie_dsl.report import Report


def show_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Rule files or directories (@pack: the shipped pack), then inputs "
            "(files, directories, globs, - for stdin)."
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
) -> None:
    """Run rules over documents and write one HTML page to look at the results in a browser.

    The page shows each document with its annotations highlighted by type and its
    statements beside it; filter by statement type and rule, click a statement to
    highlight its sentence and arguments, hover an argument to see where it came from.
    It needs no network access.
    """
    rules, inputs = split_paths(paths)
    if not inputs:
        err("error: no inputs given: iedsl show RULES... INPUTS... -o report.html")
        raise typer.Exit(EXIT_USAGE)
    to_stdout = output is not None and str(output) == "-"
    if output is None:
        err("error: say where to write the page: -o report.html (or -o - for stdout)")
        raise typer.Exit(EXIT_USAGE)
    book = load_book(rules)
    unread: list[tuple[str, str]] = []

    def on_read_error(where: str, reason: str) -> None:
        unread.append((where, reason))
        err(f"warning: skipped {where}: {reason}")

    def on_extract_error(where: str, reason: str) -> None:
        err(f"warning: skipped {where}: extraction failed ({reason})")

    started = time.perf_counter()
    report = Report(book)
    skipped = report.add_all(read_documents(inputs, on_read_error), on_extract_error)
    clusters = [c for c in corroborate(report.statements) if c.documents > 1] if claims else None
    page = report.html(title, [*unread, *skipped], clusters=clusters)
    if to_stdout:
        sys.stdout.write(page)
        sys.stdout.flush()
    else:
        try:
            write_atomic(output, page)
        except OSError as exc:
            err(f"error: cannot write {output}: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
    problems = len(unread) + len(skipped)
    if not quiet:
        where = "stdout" if to_stdout else str(output)
        err(
            f"{report.statement_count} statements from {report.document_count} documents"
            f" in {time.perf_counter() - started:.2f} s; report written to {where}"
            + (f"; {problems} failed" if problems else "")
        )
    raise typer.Exit(EXIT_PROBLEMS if problems else EXIT_OK)
