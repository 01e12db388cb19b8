"""What every command shares: turning IEDslError into rendered diagnostics and exit code 2."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import typer

from ie_dsl.cache import compile_cached
from ie_dsl.diagnostics import Diagnostic, IEDslError, render
from ie_dsl.pipeline import RuleBook
from ie_dsl.resources import data_dir
from ie_dsl.source import SourceFile

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def err(message: str) -> None:
    """`message` and a newline on stderr; nothing if stderr is closed (click drops it then)."""
    typer.echo(message, err=True)


def plug_closed_streams() -> set[int]:
    """Point standard descriptors (0, 1, 2) that are closed at /dev/null; returns those that were.

    Why: the system gives each file a run opens the lowest free descriptor, so with fd 1 or 2
    closed (`>&-`, `2>&-`, a daemon) the output file would become the "stdout" or "stderr"
    of anything writing there by descriptor: a worker process, a C library, a warning.
    Python's own sys.stdout / sys.stderr stay None for a stream closed at start-up.
    """
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        try:
            null = os.open(os.devnull, os.O_RDWR)
        except OSError:
            break  # no /dev/null: nothing better to put there
        if null != fd:  # the lowest free descriptor: fd itself, unless a lower one is free too
            os.dup2(null, fd)
            os.close(null)
    return closed


def show_diagnostics(diags: Iterable[Diagnostic], sources: dict[str, SourceFile], fmt: str = "full") -> None:
    diags = list(diags)
    if diags:
        err(render(diags, sources, fmt))


PACK = "@pack"  # names the rule pack shipped inside the package


OUTSIDE_ROOT_ENV = "IEDSL_ALLOW_OUTSIDE_ROOT"  # set to 1: `use` may leave the rule root


def rule_paths(paths: Iterable[str | Path]) -> list[str | Path]:
    """The rule paths with `@pack` replaced by where the shipped pack is."""
    return [data_dir("rules") if str(p) == PACK else p for p in paths]


def load_book(paths: Iterable[str | Path]) -> RuleBook:
    """Compile rules or exit 2 with every diagnostic shown (sources read back from disk).

    The path `@pack` stands for the rule pack shipped with iedsl. A `use` may reach
    outside the rule root only when IEDSL_ALLOW_OUTSIDE_ROOT=1 or --allow-outside-root.
    Compiled rule sets are cached (ie_dsl/cache.py).
    """
    paths = rule_paths(paths)
    try:
        book = compile_cached(paths, allow_outside_root=os.environ.get(OUTSIDE_ROOT_ENV) == "1")
    except IEDslError as exc:
        sources = {}
        for d in exc.diagnostics:
            if d.span and d.span.file not in sources:
                try:  # as the loader read it: its bytes, bad UTF-8 as U+FFFD (E202 points there)
                    text = Path(d.span.file).read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue
                sources[d.span.file] = SourceFile(d.span.file, text)
        show_diagnostics(exc.diagnostics, sources)
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        err(f"{errors} error{'s' if errors != 1 else ''} in rules; nothing was run")
        raise typer.Exit(EXIT_USAGE) from None
    show_diagnostics(book.warnings, dict(book.sources))
    return book
