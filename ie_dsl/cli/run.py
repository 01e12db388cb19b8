"""`iedsl run RULES... INPUTS...`: extract statements from documents.

This module is the command's options and their checks; cli/runner.py does the run.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.checkpoint import Interrupted, SignalGuard
from ie_dsl.cli.common import EXIT_USAGE, PACK, err
from ie_dsl.cli.runner import Runner, Settings
from ie_dsl.loader import RULE_SUFFIXES
from ie_dsl.output import FORMATS
from ie_dsl.reader import DEFAULT_MAX_DOC_BYTES, ENCODING_ERRORS, ReadOptions, parse_size


def looks_like_rules(arg: str) -> bool:
    """A rule file, a directory holding `.ie` files, or `@pack`."""
    if arg == PACK:
        return True
    path = Path(arg)
    if path.is_file():
        return path.suffix in RULE_SUFFIXES
    return path.is_dir() and any(path.rglob("*.ie"))


def split_paths(paths: list[str]) -> tuple[list[str], list[str]]:
    """The leading rule paths (the first always), then the inputs."""
    k = 1
    while k < len(paths) and looks_like_rules(paths[k]):
        k += 1
    return paths[:k], paths[k:]


def run_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Rule files or directories (@pack: the shipped pack), then inputs "
            "(files, directories, globs, - for stdin; read in sorted order)."
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="jsonl | json | csv | table (default: table on a terminal, jsonl when piped).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write results to this file (atomically: old file or complete one)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted `-o FILE` jsonl run where it stopped."),
    ] = False,
    encoding_errors: Annotated[
        str,
        typer.Option(
            "--encoding-errors",
            help="strict: report invalid UTF-8 and skip the document; replace: read it with U+FFFD.",
        ),
    ] = "strict",
    max_doc_bytes: Annotated[
        str,
        typer.Option("--max-doc-bytes", help="Skip larger documents (e.g. 50M, 1G; 0: no limit)."),
    ] = f"{DEFAULT_MAX_DOC_BYTES // 1_000_000}M",
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Also write one JSON line per failed document or input to this file."),
    ] = None,
    budget: Annotated[
        float,
        typer.Option(
            "--budget", help="Seconds of matching allowed per document; past it, it fails (0: none)."
        ),
    ] = 0.0,
    doc_date: Annotated[
        str | None,
        typer.Option("--doc-date", help="YYYY-MM-DD: the date of documents that do not give their own."),
    ] = None,
    claims: Annotated[
        bool,
        typer.Option("--corroborate", help="Print claim clusters across documents instead of statements."),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", help="Match documents in this many processes (0: one per core); same output."
        ),
    ] = 1,
) -> None:
    """Run rules over documents and print the statements they find."""
    rules, inputs = split_paths(paths)
    if fmt is None:
        fmt = "table" if output is None and sys.stdout.isatty() else "jsonl"
    limit = _check_usage(inputs, fmt, output, resume, encoding_errors, max_doc_bytes, errors, jobs, claims)
    settings = Settings(
        fmt,
        output,
        quiet,
        ReadOptions(encoding_errors, limit),
        errors,
        budget if budget > 0 else None,
        _parse_date(doc_date),
        jobs or os.cpu_count() or 1,
        claims,
    )
    with SignalGuard() as guard:
        run = Runner(settings, guard)
        try:
            code = run.execute(rules, inputs, resume)
        except Interrupted as exc:
            code = run.stopped(exc)
        finally:
            if run.errors_fh is not None:
                run.errors_fh.close()
    raise typer.Exit(code)


def _check_usage(
    inputs: list[str],
    fmt: str,
    output: Path | None,
    resume: bool,
    encoding_errors: str,
    max_doc_bytes: str,
    errors: Path | None,
    jobs: int,
    claims: bool,
) -> int:
    """Every usage error before any work (exit 2); returns the document size limit in bytes."""
    problem = None
    try:
        limit = parse_size(max_doc_bytes)
    except ValueError as exc:
        problem, limit = f"--max-doc-bytes: {exc}", 0
    if not inputs:
        problem = "no inputs given: iedsl run RULES... INPUTS..."
    elif fmt not in FORMATS:
        problem = f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}"
    elif encoding_errors not in ENCODING_ERRORS:
        problem = f"--encoding-errors must be one of {', '.join(ENCODING_ERRORS)}"
    elif jobs < 0:
        problem = "--jobs must be 0 (one per core) or more"
    elif resume and claims:
        problem = "--resume continues a file of statements, not of claim clusters"
    elif resume and (output is None or fmt != "jsonl"):
        problem = "--resume needs -o FILE and the jsonl format"
    elif resume and "-" in inputs:
        problem = "--resume cannot read stdin again: give the inputs as files"
    elif output is not None and output.is_dir():
        problem = f"-o {output}: is a directory"
    elif output is not None and not output.resolve().parent.is_dir():
        problem = f"-o {output}: the directory {output.parent} does not exist"
    elif output is not None and not os.access(output.resolve().parent, os.W_OK):
        problem = f"-o {output}: cannot write in {output.parent}"
    elif errors is not None and output is not None and errors.resolve() == output.resolve():
        problem = "--errors and -o name the same file"
    if problem:
        err(f"error: {problem}")
        raise typer.Exit(EXIT_USAGE)
    return limit


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err(f"error: --doc-date wants YYYY-MM-DD, not {text!r}")
        raise typer.Exit(EXIT_USAGE) from None
