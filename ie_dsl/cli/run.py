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

from ie_dsl.cli.common import EXIT_PROBLEMS, EXIT_USAGE, err, plug_closed_streams, split_paths
from ie_dsl.cli.runner import Runner, Settings
from ie_dsl.scale.checkpoint import Interrupted, SignalGuard
from ie_dsl.scale.output import FORMATS, NotRegularFile, output_target
from ie_dsl.scale.reader import DEFAULT_MAX_DOC_BYTES, ENCODING_ERRORS, ReadOptions, parse_size


def run_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Rule files or directories (@pack: the shipped pack; none: the project's), then "
            "inputs (files, directories, globs, - for stdin; read in sorted order)."
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="jsonl | json | csv | table | parquet (default: table on a terminal, jsonl when piped).",
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
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="local, or dask: run on a Dask cluster, writing -o DIR/part-*.jsonl and a manifest "
            "(docs/scale-out.md).",
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: tcp://HOST:PORT (default: a local cluster of --jobs workers).",
        ),
    ] = None,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="With --engine dask: clear an output directory another job wrote."),
    ] = False,
    part_size: Annotated[
        str | None,
        typer.Option(
            "--part-size",
            help="With --engine dask: cut the inputs into parts of about this size (e.g. 8M; JSONL "
            "uncompressed). Default: four parts per worker, at most 64M each.",
        ),
    ] = None,
    part_docs: Annotated[
        int | None,
        typer.Option(
            "--part-docs", help="With --engine dask: this many documents (JSONL lines, text files) per part."
        ),
    ] = None,
) -> None:
    """Run rules over documents and print the statements they find."""
    closed = plug_closed_streams()
    rules, inputs = split_paths(paths)
    if engine != "local" or part_size is not None or part_docs is not None:
        raise typer.Exit(
            _dask_job(rules, inputs, engine, scheduler, output, fmt, claims, resume, quiet, restart, jobs,
                      encoding_errors, max_doc_bytes, errors, budget, doc_date, part_size, part_docs)
        )  # fmt: skip
    if fmt is None:
        terminal = sys.stdout is not None and sys.stdout.isatty()
        fmt = "table" if output is None and terminal else "jsonl"
    limit = _check_usage(inputs, fmt, output, resume, encoding_errors, max_doc_bytes, errors, jobs, claims)
    if output is None and 1 in closed:  # before any work: there is nowhere to put its result
        err("error: cannot write to stdout: it is closed; give -o FILE or run with stdout open")
        raise typer.Exit(EXIT_PROBLEMS)
    if output is not None:
        output = output_target(output)  # checked by _check_usage; a symbolic link is followed
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
    elif output is not None and (kind := _not_regular(output)):
        problem = (
            f"-o {output}: is {kind}, not a regular file; -o replaces its file in one step, which "
            f"would replace the {kind.split(' ', 1)[1]}: to write there, redirect stdout (> {output})"
        )
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


def _not_regular(path: Path) -> str | None:
    """What `path` (or the file its symbolic link names) is if it exists and is not a regular
    file: "a character device", "a FIFO (named pipe)", ...; else None."""
    try:
        output_target(path)
    except NotRegularFile as exc:
        return exc.kind
    except OSError:
        return None  # e.g. a link loop: reported when the file is opened
    return None


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err(f"error: --doc-date wants YYYY-MM-DD, not {text!r}")
        raise typer.Exit(EXIT_USAGE) from None


def _dask_job(
    rules: list[str],
    inputs: list[str],
    engine: str,
    scheduler: str | None,
    output: Path | None,
    fmt: str | None,
    claims: bool,
    resume: bool,
    quiet: bool,
    restart: bool,
    jobs: int,
    encoding_errors: str,
    max_doc_bytes: str,
    errors: Path | None,
    budget: float,
    doc_date: str | None,
    part_size: str | None,
    part_docs: int | None,
) -> int:
    """`--engine dask`: the options checked, then the job (cli/dask_job.py); the exit code."""
    problem = None
    size = None
    try:
        size = parse_size(part_size) if part_size is not None else None
    except ValueError as exc:
        problem = f"--part-size: {exc}"
    if engine not in ("local", "dask"):
        problem = f"unknown engine {engine!r}; use local or dask"
    elif engine == "local":
        problem = "--part-size and --part-docs cut the work of --engine dask"
    elif output is None or (output.exists() and not output.is_dir()):
        problem = "--engine dask writes a directory of parts: give it as -o DIR"
    elif resume:
        problem = "--resume is for local runs: a Dask job continues when run again"
    elif part_size is not None and part_docs is not None:
        problem = "give --part-size or --part-docs, not both"
    elif (size is not None and size < 1) or (part_docs is not None and part_docs < 1):
        problem = "--part-size and --part-docs must be at least 1"
    if problem:
        err(f"error: {problem}")
        return EXIT_USAGE
    assert output is not None
    fmt = fmt or "jsonl"
    limit = _check_usage(inputs, fmt, None, False, encoding_errors, max_doc_bytes, errors, jobs, claims)
    from ie_dsl.cli.dask_job import DaskRun, dask_job

    run = DaskRun(
        output, fmt, claims, scheduler, jobs or os.cpu_count() or 1, quiet, errors,
        ReadOptions(encoding_errors, limit), budget if budget > 0 else None, _parse_date(doc_date),
        size, part_docs, restart,
    )  # fmt: skip
    return dask_job(rules, inputs, run)
