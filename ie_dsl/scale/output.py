"""Statements -> jsonl | json | csv | table | parquet, written to a stream or atomically to a file.

csv and parquet are the flat table of frames.py (one row per statement, docs/tables.md);
parquet needs pyarrow (`pip install 'iedsl[arrow]'`) and is the one binary format.

The sinks at the end are where `iedsl run` sends each document's statements: stdout, memory
(formats that need every statement first), or a checkpointed file (see checkpoint.py).

A file is written atomically (a new file renamed over the old), and only a regular file can
be: renaming over a device, a FIFO or a socket would replace it (as root, `-o /dev/null`
would replace /dev/null), so such a target is refused (`NotRegularFile`). A symbolic link is
followed: the file it names is replaced and the link kept.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from ie_dsl.scale import frames
from ie_dsl.scale.checkpoint import Checkpoint, CheckpointError, Mark, lock_partial, partial_path

if TYPE_CHECKING:
    from ie_dsl.pipeline import RuleBook

FORMATS = ("jsonl", "json", "csv", "table", "parquet")
BINARY_FORMATS = ("parquet",)


# Characters JSON allows raw in a string but that str.splitlines() and older JavaScript take
# for line breaks: escaped, so one statement is one line for every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def dumps(statement: dict[str, Any]) -> str:
    """One statement as a JSON line (keys in schema order, non-ASCII kept, except the three
    Unicode line breaks, which are escaped)."""
    line = json.dumps(statement, ensure_ascii=False)
    return line.translate(_LINE_BREAKS) if not line.isascii() else line


def _arg_text(arg: Any) -> str:
    if not isinstance(arg, dict):
        return ""
    return str(arg.get("canonical") or arg.get("text") or "")


def _roles(statements: list[dict[str, Any]], order: tuple[str, ...]) -> list[str]:
    """The roles the statements have: those of `order` (the declared order) first, then by name."""
    seen = {role for st in statements for role in st["args"]}
    return [r for r in order if r in seen] + sorted(seen - set(order))


def write(
    statements: Iterable[dict[str, Any]], fmt: str, out: TextIO, layout: frames.Layout | None = None
) -> None:
    """Write statements to `out` in `fmt` (a text format). `layout`: the roles and fields that
    get csv columns and the order of the table's (frames.layout_of(book)); by default, the
    roles found, by name."""
    if fmt == "jsonl":
        for st in statements:
            out.write(dumps(st) + "\n")
        return
    if fmt in BINARY_FORMATS:
        raise ValueError(f"{fmt} is binary: use write_binary")
    rows = list(statements)
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    if fmt == "csv":
        frames.write_csv(rows, out, frames.resolve_layout(rows, layout))
        return
    roles = _roles(rows, layout.order if layout is not None else ())
    header = ["doc", "type", "polarity", *roles, "sentence", "rule"]
    table = [
        [
            Path(st["doc"]).name,  # for people, in a narrow column; csv and parquet keep the id whole
            st["type"],
            st["polarity"],
            *(_arg_text(st["args"].get(r)) for r in roles),
            st["sentence"]["text"],
            f"{st['rule']['name']} ({st['rule']['file']}:{st['rule']['line']})",
        ]
        for st in rows
    ]
    _table(header, table, out)


def write_binary(
    statements: Iterable[dict[str, Any]], fmt: str, out: IO[bytes], layout: frames.Layout | None = None
) -> None:
    """Write statements to the binary file `out` in `fmt` (parquet). Raises frames.MissingArrow."""
    if fmt != "parquet":
        raise ValueError(f"{fmt} is not a binary format")
    rows = list(statements)
    frames.write_parquet(rows, out, frames.resolve_layout(rows, layout))


def _table(header: list[str], rows: list[list[str]], out: TextIO, width: int = 28) -> None:
    def cut(cell: str, limit: int) -> str:
        cell = " ".join(cell.split())
        return cell if len(cell) <= limit else cell[: limit - 1] + "…"

    limits = [min(width, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(header)]
    limits[-2] = 60  # sentences are long: give them room
    lines = [header] + rows
    for n, line in enumerate(lines):
        out.write(
            "  ".join(cut(c, lim).ljust(lim) for c, lim in zip(line, limits, strict=False)).rstrip() + "\n"
        )
        if n == 0:
            out.write("  ".join("-" * lim for lim in limits) + "\n")
    out.write(f"{len(rows)} statement{'s' if len(rows) != 1 else ''}\n")


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """An output path names something a file cannot be renamed over: a device, a FIFO, ..."""

    def __init__(self, path: Path, kind: str):
        super().__init__(errno.EINVAL, f"{path} is {kind}, not a regular file")
        self.path, self.kind = path, kind

    def __str__(self) -> str:  # without the "[Errno 22]" of OSError: the message says it all
        return str(self.strerror)


def output_target(path: Path) -> Path:
    """The file that writing `path` atomically replaces: `path` itself, or, for a symbolic
    link, the file it names (so the link is kept and the data lands where it points).

    Raises NotRegularFile when that exists and is not a regular file; a missing file is fine
    (it is created). Other OSErrors (a link loop, no permission) are raised as they come.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
        raise NotRegularFile(path, kind)
    return target


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` (text is written as UTF-8) in one step: readers see the
    old file or the new one.

    The new file keeps the old one's permissions, or gets the usual ones for a new file
    (not the owner-only mode of a temporary file). A symbolic link is followed (see
    output_target); a target that is not a regular file raises NotRegularFile, untouched.
    """
    with atomic_writer(path) as fh:
        fh.write(content.encode("utf-8") if isinstance(content, str) else content)


@contextmanager
def atomic_writer(path: Path) -> Iterator[IO[bytes]]:
    """A binary file whose content replaces `path` in one step when the block ends without
    an exception (as write_atomic, for writers that want a file object); on an exception
    `path` is left as it was and the temporary file removed."""
    path = output_target(Path(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, _mode_for(path))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # the only way to read it is to set it
        os.umask(umask)
        return 0o666 & ~umask


def render(statements: Iterable[dict[str, Any]], fmt: str) -> str:
    buf = io.StringIO()
    write(statements, fmt, buf)
    return buf.getvalue()


class PipeClosed(Exception):
    """stdout was closed by the program reading it."""


def _write_stdout(write: Callable[[], None]) -> None:
    """Run `write` (to stdout). A closed pipe raises PipeClosed; another write error (a full
    disk, /dev/full) is raised as it is. Either way stdout is then pointed at /dev/null, so
    the interpreter's last flush of what is still buffered does not fail a second time."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OSError(errno.EBADF, "stdout is closed")
    try:
        write()
    except BrokenPipeError:
        silence_stdout()
        raise PipeClosed() from None
    except OSError:
        silence_stdout()
        raise


class Sink:
    """Where statements go.

    `add(found, data, mark)` ends each document: its statements as dicts (`found`, for
    sinks that hold them) or the last of them as JSON lines (`data`, for streaming sinks,
    which may have had earlier blocks through `write`), and the counts so far. `discard`
    drops what `write` gave since the last `add` (a document failed half-way), where that
    is possible. `finish` once at the end; `abort` after an interruption; `left` says what
    the output looks like then.
    """

    streams = False  # whether the sink takes JSON-lines bytes (write, data) rather than dicts
    where = "stdout"  # what a write error names

    def add(self, found: list[dict[str, Any]], data: bytes, mark: Mark) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        pass

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def left(self) -> str:
        return ""


class StdoutSink(Sink):
    """JSON lines to stdout as they come (what `write` gave cannot be taken back)."""

    streams = True

    def add(self, found: list[dict[str, Any]], data: bytes, mark: Mark) -> None:
        self.write(data)

    def write(self, data: bytes) -> None:
        def to_stdout() -> None:
            buffer = getattr(sys.stdout, "buffer", None)
            if buffer is None:
                sys.stdout.write(data.decode("utf-8"))
            else:  # JSON lines are UTF-8 whatever the locale
                sys.stdout.flush()
                buffer.write(data)
                buffer.flush()
            sys.stdout.flush()

        _write_stdout(to_stdout)

    def left(self) -> str:
        return "; the statements of those documents were written to stdout"


class FormatUnavailable(CheckpointError):
    """A format this run cannot write: its library is missing, or binary data would go to a
    terminal. A CheckpointError, as what a sink raises when it is opened: the run stops
    before reading any document with this one-line message (exit 2)."""


class MemorySink(Sink):
    """json, csv, table and parquet need every statement before the first byte (a header, a
    list, a schema); so does `render`, if given (statements -> the text to write instead).

    With an `output` file, the sink holds FILE.partial locked from its creation to `finish`
    or `abort`, as a jsonl run does, so two runs to one FILE cannot both write it (raises
    CheckpointError if another run holds it). FILE.partial is removed again if the sink
    created it; one an interrupted jsonl run left is kept for its --resume.

    `book`: the compiled rules, whose roles and fields make the csv and parquet columns
    (frames.layout_of), so that every run of one rule set has one schema. Raises
    FormatUnavailable for parquet without pyarrow, or to a terminal.
    """

    def __init__(
        self,
        fmt: str,
        output: Path | None,
        render: Callable[[list[dict[str, Any]]], str] | None = None,
        book: RuleBook | None = None,
    ):
        self.fmt, self.output, self.render = fmt, output, render
        self.layout = frames.layout_of(book) if book is not None else None
        self.rows: list[dict[str, Any]] = []
        self._lock: Any = None
        self._created = False
        if render is None and fmt in BINARY_FORMATS:
            _check_binary(fmt, output)
        if output is not None:
            self.where = str(output)
            self._lock, self._created = lock_partial(output)

    def add(self, found: list[dict[str, Any]], data: bytes, mark: Mark) -> None:
        self.rows.extend(found)

    def finish(self) -> None:
        try:
            if self.render is None and self.fmt in BINARY_FORMATS:
                self._finish_binary()
                return
            if self.render is not None:
                text = self.render(self.rows)
            else:
                buf = io.StringIO()
                write(self.rows, self.fmt, buf, self.layout)
                text = buf.getvalue()
            if self.output is not None:
                write_atomic(self.output, text)
                return

            def to_stdout() -> None:
                sys.stdout.write(text)
                sys.stdout.flush()

            _write_stdout(to_stdout)
        finally:
            self._unlock()  # after the rename: the next run to FILE sees the new one

    def _finish_binary(self) -> None:
        if self.output is not None:
            with atomic_writer(self.output) as fh:
                write_binary(self.rows, self.fmt, fh, self.layout)
            return
        buf = io.BytesIO()
        write_binary(self.rows, self.fmt, buf, self.layout)

        def to_stdout() -> None:
            sys.stdout.flush()
            sys.stdout.buffer.write(buf.getvalue())
            sys.stdout.buffer.flush()

        _write_stdout(to_stdout)

    def abort(self) -> None:
        self._unlock()

    def _unlock(self) -> None:
        """Release FILE.partial, removed first (still locked, so no other run is using it) if
        this sink created it, or if it is an empty one with no FILE.progress: the lock file
        of a run that was killed, not a checkpoint anything could resume."""
        if self._lock is None:
            return
        try:
            partial = partial_path(self.output)
            stale = not os.fstat(self._lock.fileno()).st_size and not _progress_of(self.output).exists()
            if self._created or stale:
                partial.unlink(missing_ok=True)
        finally:
            self._lock.close()
            self._lock = None

    def left(self) -> str:
        return f"; {self.output} was not changed" if self.output else "; nothing was written"


def _check_binary(fmt: str, output: Path | None) -> None:
    """Raise FormatUnavailable if `fmt` cannot be written here (see MemorySink)."""
    try:
        frames.require_arrow()
    except frames.MissingArrow as exc:
        raise FormatUnavailable(f"-f {fmt}: {exc}") from None
    if output is None and (
        sys.stdout is None or getattr(sys.stdout, "buffer", None) is None or sys.stdout.isatty()
    ):
        raise FormatUnavailable(f"-f {fmt} writes binary data: give -o FILE, or redirect stdout to a file")


def _progress_of(target: Path) -> Path:
    return target.with_name(target.name + ".progress")


class CheckpointSink(Sink):
    """JSON lines to FILE.partial, each document committed with its mark (see checkpoint.py)."""

    streams = True

    def __init__(self, checkpoint: Checkpoint):
        self.cp = checkpoint
        self.where = str(checkpoint.partial)

    def add(self, found: list[dict[str, Any]], data: bytes, mark: Mark) -> None:
        self.cp.commit(data, mark)

    def write(self, data: bytes) -> None:
        self.cp.write(data)

    def discard(self) -> None:
        self.cp.discard()

    def finish(self) -> None:
        self.cp.finish()

    def abort(self) -> None:
        self.cp.rollback()

    def left(self) -> str:
        return (
            f"; {self.cp.target} was not changed; the statements so far are in {self.cp.partial}: "
            "run the same command with --resume to continue"
        )


def silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # e.g. a test's stdout has no file descriptor
        pass
