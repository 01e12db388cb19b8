"""`iedsl run RULES... INPUTS...`: extract statements from documents."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, PACK, err, load_book
from ie_dsl.loader import RULE_SUFFIXES
from ie_dsl.output import FORMATS, write, write_atomic
from ie_dsl.reader import read_documents


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
            "(files, directories, globs, - for stdin)."
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
        Path | None, typer.Option("--output", "-o", help="Write results to this file (atomically).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")] = False,
) -> None:
    """Run rules over documents and print the statements they find."""
    rules, inputs = split_paths(paths)
    if not inputs:
        err("error: no inputs given: iedsl run RULES... INPUTS...")
        raise typer.Exit(EXIT_USAGE)
    if fmt is None:
        fmt = "table" if output is None and sys.stdout.isatty() else "jsonl"
    if fmt not in FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    book = load_book(rules)
    failed: list[tuple[str, str]] = []

    def on_error(where: str, reason: str) -> None:
        failed.append((where, reason))
        err(f"warning: skipped {where}: {reason}")

    started = time.perf_counter()
    statements = []
    docs = 0
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    stream_out = output is None and fmt == "jsonl"
    for doc in read_documents(inputs, on_error):
        docs += 1
        progress.tick(doc.id)
        try:
            found = book.extract(doc.id, doc.text)
        except TimeoutError:
            on_error(doc.id, "a /regex/ token test took too long on this document")
            continue
        except Exception as exc:  # an engine bug must not lose the rest of the run
            on_error(doc.id, f"internal error ({exc.__class__.__name__}: {exc}); please report it")
            continue
        if stream_out:
            write(found, fmt, sys.stdout)
            sys.stdout.flush()
        else:
            statements.extend(found)
    progress.close()
    if not stream_out:
        if output is not None:
            buf = io.StringIO()
            write(statements, fmt, buf)
            write_atomic(output, buf.getvalue())
        else:
            write(statements, fmt, sys.stdout)
    if not quiet:
        elapsed = time.perf_counter() - started
        count = len(statements) if not stream_out else None
        what = f"{count} statements from " if count is not None else ""
        err(f"{what}{docs} documents in {elapsed:.2f} s" + (f"; {len(failed)} failed" if failed else ""))
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


class _Progress:
    """A one-line progress display on stderr (only on a terminal)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.count = 0
        self.last = 0.0

    def tick(self, doc_id: str) -> None:
        self.count += 1
        now = time.monotonic()
        if self.enabled and now - self.last > 0.2:
            self.last = now
            sys.stderr.write(f"\r\x1b[K{self.count} documents… {doc_id[-50:]}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
