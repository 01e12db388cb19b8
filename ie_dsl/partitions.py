"""One part of a Dask job (ie_dsl.distributed), on a worker: read its inputs, match them as
`iedsl run` would, write `part-NNNNN.jsonl` atomically, then its completion record.

A part is a byte range of a plain JSONL file (cut at line starts), one .jsonl.gz file, or a
list of text files. Documents, ids, dates, statements, serialisation and failure records are
those of a local run, so the parts concatenated are the bytes a local run prints.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ie_dsl import reader  # its private readers are used as they are (read_part)
from ie_dsl.output import _mode_for, write_atomic  # _mode_for: private, as write_atomic uses it
from ie_dsl.parallel import outcome, problem_of
from ie_dsl.reader import Document, Problem, ProblemSink, ReadOptions

if TYPE_CHECKING:
    from ie_dsl.distributed import ShippedRules

PROGRESS = "_progress"  # per-part completion records, written by the workers; removed at the end
_CHUNK = 1 << 20


# -- one document, as `iedsl run` does it ---------------------------------------------------


# -- reading one partition --------------------------------------------------------------------


class _Range:
    """A binary file read line by line up to the first line that starts at or past `end`."""

    def __init__(self, fh: Any, end: int | None):
        self.fh, self.end, self.at_line_start = fh, end, True

    def readline(self, size: int = -1) -> bytes:
        if self.end is not None and self.at_line_start and self.fh.tell() >= self.end:
            return b""
        line = self.fh.readline(size)
        self.at_line_start = line.endswith(b"\n")
        return line


def read_part(
    part: dict[str, Any], base: str, on_problem: ProblemSink, options: ReadOptions
) -> Iterator[Document]:
    """The documents of one planned part, named as a local run names them (paths as given)."""
    if "files" in part:
        for given in part["files"]:
            name = reader._display(given)
            opened = reader._display(os.path.join(base, given))

            def renamed(p: Problem, name: str = name, opened: str = opened) -> None:
                on_problem(dataclasses.replace(p, source=name) if p.source == opened else p)

            for doc in reader._read_text_file(os.path.join(base, given), renamed, options):
                yield dataclasses.replace(doc, id=name, source=name)
        return
    given, start, end = part["path"], part["start"], part["end"]
    name, lines = reader._display(given), reader._Lines(part["first_line"] - 1, start)
    try:
        opener: Any = gzip.open if given.endswith(".gz") else open
        with opener(os.path.join(base, given), "rb") as fh:
            if start:  # the line that holds byte start-1 belongs to the part before
                fh.seek(start - 1)
                while (rest := fh.readline(_CHUNK)) and not rest.endswith(b"\n"):
                    pass
                lines.offset = fh.tell()
            yield from reader._jsonl_docs(_Range(fh, end), name, on_problem, options, lines)
    except (OSError, EOFError, zlib.error) as exc:  # as reader._read_jsonl_file reports it
        if lines.number:
            reason = f"cannot read past line {lines.number}: {reader._os_reason(exc)}"
            on_problem(Problem(name, "unreadable", reason, lines.number + 1, lines.offset))
        else:
            on_problem(reader._os_problem(name, exc))


def count_newlines(path: str, lo: int, hi: int) -> int:
    """Newlines in bytes [lo, hi) of a file: how line numbers of a split JSONL file are found."""
    count = 0
    with open(path, "rb") as fh:
        fh.seek(lo)
        left = hi - lo
        while left > 0 and (chunk := fh.read(min(_CHUNK, left))):
            count += chunk.count(b"\n")
            left -= len(chunk)
    return count


# -- one part, on a worker ----------------------------------------------------------------------


def run_part(part: dict[str, Any], shipped: ShippedRules, ctx: dict[str, Any]) -> dict[str, Any]:
    """Extract one part and write it atomically, then its completion record; returns the record.

    `part` is its plan entry (name and inputs); `ctx` holds out_dir, base, the fingerprint's
    digest and the options. The record adds documents, processed, statements, bytes, sha256
    and failed (problem records).
    """
    program = shipped.program()
    options = ReadOptions(ctx["encoding_errors"], ctx["max_doc_bytes"])
    default = date.fromisoformat(ctx["doc_date"]) if ctx["doc_date"] else None
    out_dir = Path(ctx["out_dir"])
    problems: list[Problem] = []
    docs = processed = statements = size = 0
    note = None
    digest = hashlib.sha256()
    with _atomic_file(out_dir / part["name"]) as fh:
        for doc in read_part(part, ctx["base"], problems.append, options):
            when, why = reader.date_of(doc, default)
            note = note or why
            got = outcome(program, doc, when, ctx["budget"], streams=True)
            docs += 1
            if got.failure is not None:
                problems.append(problem_of(doc, got.failure))
                continue
            processed += 1
            statements += got.count
            data = got.lines
            fh.write(data)
            digest.update(data)
            size += len(data)
    record = dict(part, documents=docs, processed=processed, statements=statements, bytes=size)
    record.update(sha256=digest.hexdigest(), failed=[p.record() for p in problems])
    if note:
        record["note"] = note
    (out_dir / PROGRESS).mkdir(exist_ok=True)
    write_atomic(
        out_dir / PROGRESS / f"{part['name']}.json",
        json.dumps({"fingerprint": ctx["digest"], "part": record}),
    )
    return record


@contextmanager
def _atomic_file(path: Path) -> Iterator[Any]:
    """A binary file written under a temporary name in the same directory, synced, then renamed
    over `path`: a reader (or a rerun) sees no file or a complete one, never a torn one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # not the owner-only mode of mkstemp
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


