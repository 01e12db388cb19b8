"""A Dask job's pieces (ie_dsl.scale.distributed): the rules as the workers get them (ShippedRules),
how the inputs are cut into parts (plan, on the client), and one part's work on a worker
(run_part: read its inputs, match them as `iedsl run` would, write `part-NNNNN.jsonl`
atomically, then its completion record).

A part is a range of lines of a JSONL file (plain or gzipped; cut at line starts), or a list of
text files. Documents, ids, dates, statements, serialisation and failure records are those of
a local run, so the parts concatenated are the bytes a local run prints.
"""

from __future__ import annotations

import dataclasses
import gc
import gzip
import hashlib
import json
import os
import pickle
import struct
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ie_dsl import __version__
from ie_dsl.engine.compiler import Program
from ie_dsl.pipeline import RuleBook
from ie_dsl.scale import reader  # its private readers are used as they are (read_part)
from ie_dsl.scale.output import _mode_for, write_atomic  # _mode_for: private, as write_atomic uses it
from ie_dsl.scale.parallel import outcome, problem_of
from ie_dsl.scale.reader import Document, Problem, ProblemSink, ReadOptions

if TYPE_CHECKING:
    from distributed import Client

PROGRESS = "_progress"  # per-part completion records, written by the workers; removed at the end
_RECEIVED = 0  # how many ShippedRules this process unpickled (tests check the rules travel once)
_PROGRAMS: dict[str, Program] = {}  # digest -> the program, loaded once per process
_CHUNK = 1 << 20

PARTS_PER_WORKER = 4  # by default: enough parts that a worker finishing early finds more
MAX_PART_BYTES = 64_000_000  # by default, however few the workers: a part stays a few minutes' work
MAX_FILES_PER_PART = 256  # text files per part at most (a part's record lists them)


# -- the rules, sent to the workers ------------------------------------------------------------


class ShippedRules:
    """Compiled rules as bytes, for the workers: unpickled once per worker process.

    A RuleBook is pickled with the standard pickle (as its IR: the worker recompiles the
    Program, a fraction of a second); a bare Program is cloudpickled (it holds closures).
    The wrapper itself is plain data, so Dask sends it without its fallback serializers. A
    worker running another iedsl version refuses it, naming both.

    The process that makes it keeps the Program under its digest. With `inherited`, for
    workers forked from this process afterwards (the job's own LocalCluster, on Linux, and
    any worker its nannies fork again), no bytes are made at all: they have the Program.
    """

    def __init__(self, rules: RuleBook | Program, inherited: bool = False):
        if inherited:
            self.blob = b""
            self.digest = f"inherited-{uuid.uuid4().hex}"
        else:
            if isinstance(rules, RuleBook):
                self.blob = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
            else:
                import cloudpickle

                self.blob = cloudpickle.dumps(rules)
            self.digest = hashlib.sha256(self.blob).hexdigest()
        self.version = __version__
        _PROGRAMS.clear()
        _PROGRAMS[self.digest] = rules.program if isinstance(rules, RuleBook) else rules

    def __getstate__(self) -> dict[str, Any]:
        return {"blob": self.blob, "digest": self.digest, "version": self.version}

    def __setstate__(self, state: dict[str, Any]) -> None:
        global _RECEIVED
        _RECEIVED += 1
        self.__dict__.update(state)

    def __dask_tokenize__(self) -> str:
        return self.digest  # the same rules scatter to the same key: a second job sends nothing

    def program(self) -> Program:
        """The Program, from this process's cache if it was loaded before."""
        if self.version != __version__:
            raise RuntimeError(
                f"the client runs iedsl {self.version} but this worker has iedsl {__version__}: "
                "install the same iedsl version on every worker"
            )
        if self.digest not in _PROGRAMS:
            if not self.blob:
                raise RuntimeError("the rules were left to workers forked from the client; this one was not")
            _PROGRAMS.clear()  # one rule set at a time is the common case; do not hoard old ones
            loaded = pickle.loads(self.blob)
            _PROGRAMS[self.digest] = loaded.program if isinstance(loaded, RuleBook) else loaded
            _freeze_on_worker()
        return _PROGRAMS[self.digest]


def _freeze_on_worker() -> None:
    """On a Dask worker, whose rules live as long as it does: keep their many objects out of
    the cyclic collector's full passes, as `iedsl run` does (cli/runner.py). Not in a
    process of the user's own (a local Dask scheduler), whose heap is not ours to freeze."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return
    gc.freeze()


# -- the plan, on the client ----------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """How inputs are cut: `docs` lines (documents) per part, else parts of about `size` bytes
    (of uncompressed JSONL, or of text files), and at most `files` text files per part."""

    size: int
    docs: int | None = None
    files: int = MAX_FILES_PER_PART


def auto_size(total: int, workers: int) -> int:
    """The default part size: `total` input bytes in PARTS_PER_WORKER parts per worker (so
    2,000 short articles on two workers make eight parts), at most MAX_PART_BYTES."""
    return max(1, min(MAX_PART_BYTES, -(-total // (max(workers, 1) * PARTS_PER_WORKER))))


def input_bytes(path: str) -> int:
    """A file's size, uncompressed for a .gz (gzip's trailer gives it modulo 4 GiB for the last
    member: an estimate, only used to choose a part size); 0 if it cannot be read."""
    try:
        size = os.stat(path).st_size
        if not path.endswith(".gz") or size < 18:
            return size
        with open(path, "rb") as fh:
            fh.seek(-4, os.SEEK_END)
            return max(size, struct.unpack("<I", fh.read(4))[0])
    except OSError:
        return 0


def plan(client: Client, paths: list[str], split: Split, base: str) -> list[dict[str, Any]]:
    """Parts in input order, named part-00000.jsonl, ...: text files grouped (`split.docs`
    files, or up to `split.size` bytes and `split.files` files); a JSONL file in line ranges
    of `split.docs` lines, or of about `split.size` bytes. Plain JSONL cut by size is planned
    by counting newlines in byte ranges, in parallel; other JSONL files are read once each,
    on the workers, to find their cuts (gzip cannot be entered in the middle)."""
    units: list[dict[str, Any]] = []
    texts: list[str] = []
    text_bytes = 0
    scans: list[tuple[int, str]] = []  # (unit index, path): cut by a scan of the whole file
    for path in paths:
        full = os.path.join(base, path)
        if not reader._is_jsonl(path):
            texts.append(path)
            text_bytes += input_bytes(full)
            if len(texts) == (split.docs or split.files) or (not split.docs and text_bytes >= split.size):
                units.append({"files": texts})
                texts, text_bytes = [], 0
            continue
        if texts:
            units.append({"files": texts})
            texts, text_bytes = [], 0
        whole = {"path": path, "start": 0, "end": None, "first_line": 1}
        size = input_bytes(full)
        if split.docs is None and size <= split.size:
            units.append(whole)
        elif split.docs is None and not path.endswith(".gz"):
            units.extend(_ranges(client, path, full, size, split.size))
        else:
            scans.append((len(units), path))
            units.append(whole)
    if texts:
        units.append({"files": texts})
    if scans:
        found = client.gather(
            client.map(
                line_cuts,
                [os.path.join(base, p) for _, p in scans],
                every_bytes=None if split.docs else split.size,
                every_lines=split.docs,
                pure=False,
            )
        )
        for (at, path), cuts in reversed(list(zip(scans, found, strict=True))):
            starts = [(0, 1), *cuts]
            ends = [offset for offset, _ in cuts] + [None]
            units[at : at + 1] = [
                {"path": path, "start": s, "end": e, "first_line": line}
                for (s, line), e in zip(starts, ends, strict=True)
            ]
    width = max(5, len(str(len(units) - 1)))
    return [{"name": f"part-{n:0{width}d}.jsonl", **unit} for n, unit in enumerate(units)]


def _ranges(client: Client, path: str, full: str, size: int, step: int) -> list[dict[str, Any]]:
    """A plain JSONL file in byte ranges of `step`; a range's first line is the one starting
    in it, whose number comes from the newlines before it (counted on the workers)."""
    starts = list(range(0, size, step))
    ends = [*starts[1:], None]
    # A line starting at or past o counts 2 + the newlines in [0, o-1): one for line 1, one for itself.
    counts = client.gather(
        client.map(
            count_newlines,
            [full] * len(starts),
            [max(s - 1, 0) for s in starts],
            [(e or size + 1) - 1 for e in ends],
            pure=False,
        )
    )
    units, seen = [], 0
    for n, (start, end) in enumerate(zip(starts, ends, strict=True)):
        units.append({"path": path, "start": start, "end": end, "first_line": 1 if n == 0 else 2 + seen})
        seen += counts[n]
    return units


def line_cuts(path: str, every_bytes: int | None, every_lines: int | None) -> list[tuple[int, int]]:
    """Where to cut a JSONL file (plain or .gz; offsets in the uncompressed bytes), as
    (offset, number of the line starting there): every `every_lines` lines, or at the first
    line start at least `every_bytes` past the previous cut. A file that cannot be read to
    its end is cut as far as it could be read: the part holding the damage reports it."""
    cuts: list[tuple[int, int]] = []
    offset = newlines = 0  # bytes and newlines before the chunk
    target = every_bytes or 0  # by size: the next cut is at the first line start at or past this
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                at = seen = 0  # the search goes on from chunk[at:]; seen: newlines in chunk[:at]
                while True:
                    if every_lines:
                        nl = at - 1
                        for _ in range(every_lines * (len(cuts) + 1) - newlines - seen):
                            nl = chunk.find(b"\n", nl + 1)
                            if nl < 0:
                                break
                    else:
                        nl = chunk.find(b"\n", max(target - 1 - offset, at))
                    if nl < 0:
                        break
                    seen += chunk.count(b"\n", at, nl + 1)
                    at = nl + 1
                    cuts.append((offset + at, newlines + seen + 1))
                    target = offset + at + (every_bytes or 0)
                newlines += chunk.count(b"\n")
                offset += len(chunk)
    except (OSError, EOFError, zlib.error):
        pass
    return [(o, n) for o, n in cuts if o < offset]  # no empty part after a final newline


# -- reading one partition --------------------------------------------------------------------


class _Range:
    """A binary file read line by line up to the first line that starts at or past `end`
    (then `reached`, and the file is at that line's start)."""

    def __init__(self, fh: Any, end: int | None):
        self.fh, self.end, self.at_line_start, self.reached = fh, end, True, False

    def readline(self, size: int = -1) -> bytes:
        if self.end is not None and self.at_line_start and self.fh.tell() >= self.end:
            self.reached = True
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
    path = os.path.join(base, given)
    fh = kept = None
    try:
        fh, at = _open(path, start)
        # A UTF-16 file is reported once, by the part that reads its first line.
        if at is None and start and reader._utf16(fh.peek(4)[:4]):
            return
        if at != start:  # at: a line start this file is at already (one kept from a part before)
            # The line that holds byte start-1 belongs to the part before. In a .gz file,
            # seeking decompresses what lies between: about 0.1 s per 20 MB.
            fh.seek(max(start - 1, 0))
            while start and (rest := fh.readline(_CHUNK)) and not rest.endswith(b"\n"):
                pass
        lines.offset = fh.tell()
        ranged = _Range(fh, end)
        yield from reader._jsonl_docs(ranged, name, on_problem, options, lines)
        if ranged.reached and path.endswith(".gz"):
            kept, fh = fh, None
    except (OSError, EOFError, zlib.error) as exc:  # as reader._read_jsonl_file reports it
        if lines.number:
            reason = f"cannot read past line {lines.number}: {reader._os_reason(exc)}"
            on_problem(Problem(name, "unreadable", reason, lines.number + 1, lines.offset))
        else:
            on_problem(reader._os_problem(name, exc))
    finally:
        if fh is not None:
            fh.close()
    if kept is not None:
        _keep(path, kept)


# .gz files this worker stopped reading at the end of a part, by path: (identity, file). The
# next part of the same file that this worker does goes on from there instead of
# decompressing the file from its start again (which made a file in N parts cost N/2 reads).
_KEPT: dict[str, tuple[tuple[int, int, int], Any]] = {}
_KEEP = 4


def _identity(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def _open(path: str, start: int) -> tuple[Any, int | None]:
    """`path` opened for a part starting at `start`, and the line start it is at if it is one
    a part before stopped at (no further than `start`), else None."""
    entry = _KEPT.pop(path, None)  # taken out while in use: another thread opens its own
    if entry is not None:
        identity, fh = entry
        if identity == _identity(path) and fh.tell() <= start:
            return fh, fh.tell()
        fh.close()
    return (gzip.open if path.endswith(".gz") else open)(path, "rb"), None


def _keep(path: str, fh: Any) -> None:
    try:
        _KEPT[path] = (_identity(path), fh)
    except OSError:
        fh.close()
        return
    while len(_KEPT) > _KEEP:
        _KEPT.pop(next(iter(_KEPT)))[1].close()


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
            assert got.lines is not None  # streams=True: the lines are spooled
            processed += 1
            statements += got.count
            try:
                for data in got.lines.chunks():
                    fh.write(data)
                    digest.update(data)
                    size += len(data)
            finally:
                got.lines.discard()
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
