"""Documents matched in N worker processes, results handed back in input order.

`extract_outcomes(book, rules, items, jobs, budget, streams)` -> iterator of
(Document, Outcome), the same outcomes `outcome()` gives in the calling process, in the
order of `items`, so a run's output does not depend on the number of processes.

Documents go to the workers in batches (fewer round trips for short news articles), and
at most a few batches per worker are in flight: reading stays just ahead of matching, so
memory does not grow with the corpus. On Linux the workers are forked and inherit the
compiled rules; elsewhere each compiles them from the cache.

A document's JSON lines come back in a `Spool`: in memory while small, in a temporary file
once past SPILL_BYTES, so that a dense document (every statement carries its sentence)
costs disk, not the memory of both processes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from ie_dsl.engine.compiler import Program
from ie_dsl.pipeline import RuleBook
from ie_dsl.run.runtime import iter_extract
from ie_dsl.scale.output import dumps
from ie_dsl.scale.reader import Document, Problem, date_of

BATCH_DOCS = 64  # documents per batch at most
BATCH_CHARS = 1 << 20  # ... or about this much text
IN_FLIGHT = 3  # batches per worker queued ahead
SPILL_BYTES = 8 << 20  # a document's output past this goes to a temporary file
CHUNK_BYTES = 1 << 20  # a spooled output is read back in pieces of this size


class Spool:
    """A document's JSON lines, written piece by piece: held in memory up to SPILL_BYTES,
    then in a temporary file in `directory` (None: the system's). It crosses a process
    boundary as its bytes or its file's path; whoever reads it last calls `discard`.
    (tempfile.SpooledTemporaryFile spills the same way, but its file is unnamed and goes
    with its handle, so it cannot be handed from a worker to the parent.)"""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory
        self.data = bytearray()
        self.path: str | None = None
        self.size = 0
        self._fh: Any = None

    def write(self, data: bytes) -> None:
        if self._fh is None and len(self.data) + len(data) > SPILL_BYTES:
            fd, self.path = tempfile.mkstemp(prefix="iedsl-spool-", suffix=".jsonl", dir=self.directory)
            self._fh = os.fdopen(fd, "wb")
            self._fh.write(self.data)
            self.data = bytearray()
        if self._fh is not None:
            self._fh.write(data)
        else:
            self.data += data
        self.size += len(data)

    def close(self) -> None:
        """Done writing: the file (if any) is flushed and closed, so the spool can be sent."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def chunks(self) -> Iterator[bytes]:
        """The lines written, in pieces of at most about CHUNK_BYTES."""
        if self.path is None:
            if self.data:
                yield bytes(self.data)
            return
        with open(self.path, "rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk

    def discard(self) -> None:
        """Free what the spool holds (its file too)."""
        self.close()
        self.data = bytearray()
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None

    def __getstate__(self) -> dict[str, Any]:
        self.close()
        return {"directory": self.directory, "data": self.data, "path": self.path, "size": self.size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _fh=None)


class Outcome(NamedTuple):
    """What matching one document gave: its statements (kept as dicts when the output is
    not streamed), the same as JSON lines when it is (a Spool), their number, and a failure
    (kind, reason) instead if the document could not be matched."""

    statements: list[dict[str, Any]]
    lines: Spool | None
    count: int
    failure: tuple[str, str] | None
    note: str | None = None  # the document's `date` could not be read


def failure_of(exc: Exception) -> tuple[str, str]:
    """(kind, reason) for an engine error on one document."""
    if isinstance(exc, TimeoutError):
        return "timeout", "matching went over the time budget on this document"
    return "internal", f"internal error ({exc.__class__.__name__}: {exc}); please report it"


def outcome(
    rules: RuleBook | Program,
    doc: Document,
    doc_date: date | None,
    budget: float | None,
    streams: bool,
    spool_dir: str | None = None,
) -> Outcome:
    """Match one document with a RuleBook (or a bare Program, on a cluster's worker); an engine
    error costs this document only. When `streams`, the statements are written as JSON lines
    to a Spool (in `spool_dir` once large) as the engine yields them, and none is kept."""
    spool = Spool(spool_dir) if streams else None
    found: list[dict[str, Any]] = []
    count = 0
    try:
        if isinstance(rules, RuleBook):
            found_iter = rules.iter_extract(doc.id, doc.text, budget, doc_date)
        else:
            found_iter = iter_extract(rules, doc.id, doc.text, None, budget, doc_date)
        for st in found_iter:
            count += 1
            if spool is None:
                found.append(st)
            else:  # serialized here: a statement that cannot be written fails its document
                spool.write((dumps(st) + "\n").encode("utf-8"))
    except Exception as exc:
        if spool is not None:
            spool.discard()
        return Outcome([], None, 0, failure_of(exc))
    if spool is not None:
        spool.close()
    return Outcome(found, spool, count, None)


def problem_of(doc: Document, failure: tuple[str, str]) -> Problem:
    """The report of a document the engine failed on: where it came from, kind, reason."""
    return Problem(doc.source or doc.id, *failure, doc.line, doc=doc.id)


# What a worker needs, set before the workers fork (inherited) or by _start (spawned).
_WORKER: dict[str, Any] = {}


def _start(
    rules: list[str],
    allow_outside_root: bool,
    budget: float | None,
    streams: bool,
    default: date | None,
    spool_dir: str,
) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run and the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if "book" not in _WORKER:
        from ie_dsl.cache import compile_cached

        _WORKER["book"] = compile_cached([Path(r) for r in rules], allow_outside_root)
    _WORKER.update(budget=budget, streams=streams, default=default, spool_dir=spool_dir)


def _work(batch: list[Document]) -> list[Outcome]:
    book, budget, streams, default, spool_dir = (
        _WORKER[k] for k in ("book", "budget", "streams", "default", "spool_dir")
    )
    out = []
    for doc in batch:
        when, note = date_of(doc, default)
        out.append(outcome(book, doc, when, budget, streams, spool_dir)._replace(note=note))
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
    compiled from (for spawned workers). The caller discards each outcome's spool once
    read; whatever a stopped run left unread goes with the run's spool directory."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if ctx.get_start_method() == "fork":
        _WORKER["book"] = book
    spools = tempfile.TemporaryDirectory(prefix="iedsl-jobs-")
    pool = ctx.Pool(jobs, _start, (rules, allow_outside_root, budget, streams, default_date, spools.name))
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
        spools.cleanup()


def _ready(entry: tuple[list[Document], Any]) -> Iterator[tuple[Document, Outcome]]:
    batch, result = entry
    yield from zip(batch, result.get(), strict=True)
