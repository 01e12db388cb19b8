"""Documents matched in N worker processes, results handed back in input order.

`extract_outcomes(book, rules, items, jobs, budget, streams)` -> iterator of
(Document, Outcome), the same outcomes `outcome()` gives in the calling process, in the
order of `items`, so a run's output does not depend on the number of processes.

Documents go to the workers in batches (fewer round trips for short news articles), and
at most a few batches per worker are in flight: reading stays just ahead of matching, so
memory does not grow with the corpus. On Linux the workers are forked and inherit the
compiled rules; elsewhere each compiles them from the cache.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from ie_dsl.compiler import Program
from ie_dsl.output import dumps
from ie_dsl.pipeline import RuleBook
from ie_dsl.reader import Document, Problem, date_of
from ie_dsl.runtime import extract

BATCH_DOCS = 64  # documents per batch at most
BATCH_CHARS = 1 << 20  # ... or about this much text
IN_FLIGHT = 3  # batches per worker queued ahead


class Outcome(NamedTuple):
    """What matching one document gave: its statements (kept as dicts when the output is
    not streamed), the same as JSON lines when it is, their number, and a failure (kind,
    reason) instead if the document could not be matched."""

    statements: list[dict[str, Any]]
    lines: bytes
    count: int
    failure: tuple[str, str] | None
    note: str | None = None  # the document's `date` could not be read


def failure_of(exc: Exception) -> tuple[str, str]:
    """(kind, reason) for an engine error on one document."""
    if isinstance(exc, TimeoutError):
        return "timeout", "matching went over the time budget on this document"
    return "internal", f"internal error ({exc.__class__.__name__}: {exc}); please report it"


def outcome(
    rules: RuleBook | Program, doc: Document, doc_date: date | None, budget: float | None, streams: bool
) -> Outcome:
    """Match one document with a RuleBook (or a bare Program, on a cluster's worker); an engine
    error costs this document only."""
    try:
        if isinstance(rules, RuleBook):
            found = rules.extract(doc.id, doc.text, budget=budget, doc_date=doc_date)
        else:
            found = extract(rules, doc.id, doc.text, None, budget, doc_date)
        if streams:  # serialized here: a statement that cannot be written fails its document
            return Outcome([], "".join(dumps(st) + "\n" for st in found).encode("utf-8"), len(found), None)
        return Outcome(found, b"", len(found), None)
    except Exception as exc:
        return Outcome([], b"", 0, failure_of(exc))


def problem_of(doc: Document, failure: tuple[str, str]) -> Problem:
    """The report of a document the engine failed on: where it came from, kind, reason."""
    return Problem(doc.source or doc.id, *failure, doc.line, doc=doc.id)


# What a worker needs, set before the workers fork (inherited) or by _start (spawned).
_WORKER: dict[str, Any] = {}


def _start(
    rules: list[str], allow_outside_root: bool, budget: float | None, streams: bool, default: date | None
) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run and the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if "book" not in _WORKER:
        from ie_dsl.cache import compile_cached

        _WORKER["book"] = compile_cached([Path(r) for r in rules], allow_outside_root)
    _WORKER.update(budget=budget, streams=streams, default=default)


def _work(batch: list[Document]) -> list[Outcome]:
    book, budget, streams, default = (_WORKER[k] for k in ("book", "budget", "streams", "default"))
    out = []
    for doc in batch:
        when, note = date_of(doc, default)
        out.append(outcome(book, doc, when, budget, streams)._replace(note=note))
    return out


def _batches(docs: Iterable[Document]) -> Iterator[list[Document]]:
    batch: list[Document] = []
    size = 0
    for doc in docs:
        batch.append(doc)
        size += len(doc.text)
        if len(batch) >= BATCH_DOCS or size >= BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def extract_outcomes(
    book: RuleBook,
    rules: list[str],
    docs: Iterable[Document],
    jobs: int,
    budget: float | None,
    streams: bool,
    default_date: date | None = None,
    allow_outside_root: bool = False,
) -> Iterator[tuple[Document, Outcome]]:
    """(document, outcome) for each of `docs`, in order, matched by `jobs` processes; relative
    dates count from a document's own date, else `default_date`. `rules` are what `book` was
    compiled from (for spawned workers)."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if ctx.get_start_method() == "fork":
        _WORKER["book"] = book
    pool = ctx.Pool(jobs, _start, (rules, allow_outside_root, budget, streams, default_date))
    try:
        pending: deque[tuple[list[Document], Any]] = deque()
        for batch in _batches(docs):
            pending.append((batch, pool.apply_async(_work, (batch,))))
            while len(pending) >= jobs * IN_FLIGHT:
                yield from _ready(pending.popleft())
        while pending:
            yield from _ready(pending.popleft())
    finally:
        pool.terminate()  # finished or stopped: either way no worker outlives the run
        pool.join()
        _WORKER.clear()


def _ready(entry: tuple[list[Document], Any]) -> Iterator[tuple[Document, Outcome]]:
    batch, result = entry
    yield from zip(batch, result.get(), strict=True)
