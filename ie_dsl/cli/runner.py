"""The work of `iedsl run` behind its options: read, match (in this process or N), write,
report, stop cleanly.

Where the statements go decides how a run can end (docs/reliability.md):

- no `-o`, jsonl: streamed to stdout, one document's statements at a time;
- `-o FILE`, jsonl: streamed to `FILE.partial` with a checkpoint in `FILE.progress`, renamed
  over FILE at the end; an interrupted run leaves FILE as it was and `--resume` continues;
- json, csv, table, claim clusters: held in memory and written at the end (to FILE atomically).

A bad document is reported on stderr (and in `--errors FILE`) and the run goes on. A stop
signal ends the run after cleaning up, with exit code 128 + the signal number.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import typer

from ie_dsl.claims.corroborate import corroborate
from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, OUTSIDE_ROOT_ENV, err, load_book, rule_paths
from ie_dsl.cli.corroborate import render_clusters
from ie_dsl.cli.progress import Progress
from ie_dsl.pipeline import RuleBook
from ie_dsl.scale.checkpoint import Checkpoint, CheckpointError, Interrupted, Mark, SignalGuard, fingerprint
from ie_dsl.scale.output import CheckpointSink, MemorySink, PipeClosed, Sink, StdoutSink, dumps
from ie_dsl.scale.parallel import extract_outcomes, failure_of, outcome, problem_of
from ie_dsl.scale.reader import Document, Problem, ReadOptions, date_of, expand_inputs, read_paths

EXIT_PIPE = 128 + 13  # stdout closed by the reader (`iedsl run ... | head`), as SIGPIPE would give
_BLOCK = 1 << 20  # a document's statements reach a streaming sink in blocks of about this size


@dataclass(frozen=True)
class Settings:
    """What the options of `iedsl run` ask for."""

    fmt: str
    output: Path | None
    quiet: bool
    read: ReadOptions
    errors: Path | None
    budget: float | None
    default_date: date | None
    jobs: int = 1
    claims: bool = False


class Runner:
    """One run's state: counts, where statements go, and how to stop cleanly."""

    def __init__(self, settings: Settings, guard: SignalGuard):
        self.fmt, self.output, self.quiet = settings.fmt, settings.output, settings.quiet
        self.options = settings.read
        self.budget = settings.budget  # seconds of matching per document, or None
        self.errors_path = settings.errors
        self.default_date = settings.default_date  # --doc-date
        self.jobs = settings.jobs  # processes matching documents
        self.claims = settings.claims  # print claim clusters instead of statements
        self.guard = guard
        self.sink: Sink | None = None
        self.errors_fh: IO[bytes] | None = None
        self.started = time.perf_counter()
        self.mark = Mark()  # counts so far, including a resumed run's
        self.resumed = 0  # documents done by the interrupted run
        self.skip = 0  # of those, how many are still to be read past
        self.errors_before: str | None = None  # the errors file of the interrupted run
        self.date_noted = False
        self.read = 0  # documents read to be matched
        self.held: list[tuple[int, Problem]] = []  # reading problems waiting for their turn

    # -- the run --------------------------------------------------------------------------

    def execute(self, rules: list[str], inputs: list[str], resume: bool) -> int:
        """Load, read, extract, write; returns the exit code."""
        book = load_book(rules)
        # the compiled rules live as long as the run: keep their many small objects out of
        # the collector's full passes, which a long document's objects trigger; after it, an
        # in-process caller (tests, a program embedding the CLI) has its objects collected again
        gc.freeze()
        try:
            return self._run(book, rules, inputs, resume)
        finally:
            gc.unfreeze()

    def _run(self, book: RuleBook, rules: list[str], inputs: list[str], resume: bool) -> int:
        early: list[Problem] = []  # reported once we know whether they were reported before
        paths = expand_inputs(inputs, early.append)
        try:
            self.sink = self._open_sink(book, paths, resume)
        except CheckpointError as exc:
            err(f"error: {exc}")
            return EXIT_USAGE
        try:
            self._open_errors()
        except typer.Exit:
            self.sink.abort()
            raise
        for problem in early:
            self.problem(problem)
        # sys.stderr is None when the run started with fd 2 closed (`2>&-`, a daemon)
        terminal = sys.stderr is not None and sys.stderr.isatty()
        progress = Progress(terminal and not self.quiet, paths, self.skip)  # resumed: from where it was
        try:
            docs = self._todo(read_paths(paths, self._read_problem, self.options), progress)
            if self.jobs > 1:
                self._parallel(book, rules, docs)
            else:
                for doc in docs:
                    self._one(book, doc)
            if self.skip:
                raise CheckpointError("the inputs hold fewer documents than the checkpoint counts")
        except CheckpointError as exc:
            self.sink.abort()
            err(f"error: cannot resume: {exc}; run again without --resume to start over")
            return EXIT_USAGE
        except OSError as exc:  # e.g. the disk is full: the checkpoint still allows --resume
            self.sink.abort()
            where = self.sink.where
            left = "" if self.output is None else self.sink.left()  # stdout itself failed
            err(f"error: cannot write to {where}: {exc.strerror or exc} ({self._how_far()}){left}")
            return EXIT_PROBLEMS
        except PipeClosed:
            return EXIT_PIPE
        except Exception:  # unforeseen: leave the output as an interruption would, then report
            self.sink.abort()
            raise
        finally:
            progress.close()
        self.guard.close()  # complete: a signal from here on would only lose the result
        try:
            self.sink.finish()
        except PipeClosed:  # `-f json | head -c 10`: as for jsonl, no success is claimed
            return EXIT_PIPE
        except OSError as exc:
            left = "" if self.output is None else self.sink.left()
            err(f"error: cannot write to {self.sink.where}: {exc.strerror or exc}{left}")
            return EXIT_PROBLEMS
        if not self.quiet:
            elapsed = time.perf_counter() - self.started
            resumed = f" (resumed after {self.resumed})" if self.resumed else ""
            err(
                f"{_n(self.mark.statements, 'statement')} from {_n(self.mark.processed, 'document')} "
                f"in {elapsed:.2f} s" + (f"; {self.mark.failed} failed" if self.mark.failed else "") + resumed
            )
        return EXIT_PROBLEMS if self.mark.failed else EXIT_OK

    def _one(self, book: RuleBook, doc: Document) -> None:
        """Extract one document, hand its statements to the sink, and commit its mark.

        Streaming sinks get the statements as the engine yields them (a huge document is
        matched piece by piece), in blocks of about a megabyte, so memory does not grow with
        a document's output; the mark that counts the document comes last.
        """
        sink = self.sink
        assert sink is not None
        if not sink.streams:
            got = outcome(book, doc, self._date(doc), self.budget, streams=False)
            self._commit(doc, got.statements, got.count, bytearray(), 0, got.failure)
            return
        count = written = 0  # statements, and bytes already handed to the sink
        block = bytearray()
        failure: Exception | None = None  # from the engine: costs this document only

        def engine() -> Iterator[dict[str, Any]]:  # so that all engine code runs inside next()
            yield from book.iter_extract(doc.id, doc.text, self.budget, self._date(doc))

        statements = engine()
        while True:
            try:
                st = next(statements, None)
                # Serialized here: a statement that cannot be written fails only its document.
                line = (dumps(st) + "\n").encode("utf-8") if st is not None else b""
            except Exception as exc:
                failure = exc
                break
            if st is None:
                break
            block += line
            count += 1
            if len(block) >= _BLOCK:  # a write error here stops the run: it is not the document's
                with self.guard.atomic():
                    sink.write(bytes(block))
                written += len(block)
                block.clear()
        self._commit(doc, [], count, block, written, None if failure is None else failure_of(failure))

    def _parallel(self, book: RuleBook, rules: list[str], docs: Iterator[Document]) -> None:
        """--jobs N: documents matched in N processes, committed here in input order."""
        assert self.sink is not None
        allow = os.environ.get(OUTSIDE_ROOT_ENV) == "1"
        paths = [str(p) for p in rule_paths(rules)]
        streams, when = self.sink.streams, self.default_date
        done = 0
        for doc, got in extract_outcomes(book, paths, docs, self.jobs, self.budget, streams, when, allow):
            done += 1
            self._release(done)
            self._note(got.note)
            written = 0
            if got.lines is not None:  # a large output comes in pieces from the worker's spool
                try:
                    for chunk in got.lines.chunks():
                        with self.guard.atomic():
                            self.sink.write(chunk)
                        written += len(chunk)
                finally:
                    got.lines.discard()
            self._commit(doc, got.statements, got.count, bytearray(), written, got.failure)
        self._release(self.read + 1)

    def _read_problem(self, problem: Problem) -> None:
        """A document the reader could not read. With --jobs, reading runs ahead of matching:
        the problem waits until the documents read before it are committed, so reports and
        the errors file come in the same order as with one process."""
        if self.jobs > 1 and not self.skip:
            self.held.append((self.read, problem))
        else:
            self.problem(problem)

    def _release(self, upto: int) -> None:
        """Report the held problems that came before document number `upto` was read."""
        while self.held and self.held[0][0] < upto:
            self.problem(self.held.pop(0)[1])

    def _commit(
        self,
        doc: Document,
        found: list[dict[str, Any]],
        count: int,
        block: bytearray,
        written: int,
        failure: tuple[str, str] | None,
    ) -> None:
        """Hand a document's statements (or its failure) to the sink and count it: the mark
        that counts the document comes last. `written` bytes of it went to the sink already."""
        sink = self.sink
        assert sink is not None
        if failure is not None:
            found, count = [], 0
            block.clear()
            if written:
                with self.guard.atomic():
                    sink.discard()
                written = 0
            self.problem(problem_of(doc, failure))
        m = self.mark  # after the problem, if any, was counted
        with self.guard.atomic():
            new = dataclasses.replace(
                m,
                docs=m.docs + 1,
                processed=m.processed + int(failure is None),
                statements=m.statements + count,
                bytes=m.bytes + written + len(block),
                errors_bytes=self.errors_fh.tell() if self.errors_fh else 0,
                last=doc.id,
            )
            sink.add(found, bytes(block), new)
            self.mark = new

    def _date(self, doc: Document) -> date | None:
        """The document's own date (JSONL `date`), else --doc-date: relative dates count from it."""
        when, note = date_of(doc, self.default_date)
        self._note(note)
        return when

    def _note(self, note: str | None) -> None:
        if note and not self.date_noted:
            self.date_noted = True
            err(f"note: {note} (noted once)")

    def _todo(self, docs: Iterator[Document], progress: Progress) -> Iterator[Document]:
        """The documents to match: past those an interrupted run finished (the last of which
        must be the one it recorded)."""
        for doc in docs:
            if not self.skip:
                progress.tick(doc.id)
                self.read += 1
                yield doc
                continue
            self.skip -= 1
            if not self.skip and doc.id != self.mark.last:
                raise CheckpointError(
                    f"the last document done was {self.mark.last!r}, but in this run it is {doc.id!r}"
                )

    def problem(self, problem: Problem) -> None:
        """Report a document or input that failed: stderr, the errors file, the count."""
        if self.skip:
            return  # before the resume point: the interrupted run reported and counted it
        with self.guard.atomic():  # the count and the errors file agree, whatever the timing
            self.mark = dataclasses.replace(self.mark, failed=self.mark.failed + 1)
            if self.errors_fh is not None:
                line = json.dumps(problem.record(), ensure_ascii=False) + "\n"
                try:
                    self.errors_fh.write(line.encode("utf-8", "replace"))  # unbuffered: one write
                except OSError as exc:  # raised here, it would pass for the reader's own error
                    why = exc.strerror or exc
                    err(
                        f"warning: cannot write --errors {self.errors_path} ({why}); reporting on stderr only"
                    )
                    self.errors_fh.close()
                    self.errors_fh = None
        err(f"warning: skipped {problem.where}: {problem.reason}")

    # -- where statements go --------------------------------------------------------------

    def _open_sink(self, book: RuleBook, paths: list[str], resume: bool) -> Sink:
        if self.claims:  # every statement first, then the clusters they make
            fmt = self.fmt if self.fmt in ("jsonl", "json", "table") else "jsonl"
            schema = book.program.schema

            def clusters(rows: list[dict[str, Any]]) -> str:
                return render_clusters(corroborate(rows, schema=schema), fmt)

            return MemorySink(fmt, self.output, clusters)
        if self.output is None:
            return StdoutSink() if self.fmt == "jsonl" else MemorySink(self.fmt, None, book=book)
        if self.fmt != "jsonl":
            return MemorySink(self.fmt, self.output, book=book)  # book: the csv, parquet columns
        options = {
            "encoding_errors": self.options.encoding_errors,
            "max_doc_bytes": self.options.max_doc_bytes,
        }
        sources = {path: src.text for path, src in book.sources.items()}
        errors = str(self.errors_path.resolve()) if self.errors_path else None
        cp = Checkpoint(self.output, fingerprint(sources, paths, options), resume=resume, errors=errors)
        if cp.note:
            err(f"note: {cp.note}")
        if cp.resumed is not None:
            self.mark = cp.resumed
            self.resumed = self.skip = cp.resumed.docs
            self.errors_before = cp.errors_before
        return CheckpointSink(cp)

    def _open_errors(self) -> None:
        if self.errors_path is None:
            return
        path = self.errors_path
        # Resuming with the same errors file: keep what the interrupted run wrote up to its mark.
        keep = self.mark.errors_bytes if self.errors_before == str(path.resolve()) else 0
        try:
            if keep and path.is_file() and path.stat().st_size >= keep:
                self.errors_fh = open(path, "ab", buffering=0)  # open for the whole run
                self.errors_fh.truncate(keep)  # problems after the last mark are found again
                self.errors_fh.seek(keep)  # truncate() leaves tell() where it was
            else:
                self.errors_fh = open(path, "wb", buffering=0)
        except OSError as exc:
            err(f"error: cannot write --errors {path}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_USAGE) from None

    # -- stopping -------------------------------------------------------------------------

    def stopped(self, exc: Interrupted) -> int:
        """After a stop signal: leave the output consistent and say how far the run got."""
        left = ""
        if self.sink is not None:
            self.sink.abort()
            left = self.sink.left()
        err(f"interrupted by {exc.name} ({self._how_far()}){left}")
        return exc.exit_code

    def _how_far(self) -> str:
        if self.sink is None:
            return "before any document was read"
        m = self.mark
        failed = f", {m.failed} failed" if m.failed else ""
        return f"after {_n(m.docs, 'document')}: {_n(m.statements, 'statement')}{failed}"


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
