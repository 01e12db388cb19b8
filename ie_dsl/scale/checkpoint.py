"""Interrupted runs: signals that stop a run cleanly, and checkpoints that let it resume.

`iedsl run ... -o FILE --format jsonl` writes statements to `FILE.partial` as each document
finishes and appends a mark to `FILE.progress` (documents done, bytes of `FILE.partial`
that hold their statements, ...) at most every MARK_EVERY seconds and when the run stops.
The order of the two writes is what makes a crash safe:
the statements reach the file before the mark that counts them, so a kill at any moment
leaves at most some statements past the last mark, and resuming cuts them off. At the end
`FILE.partial` is renamed over `FILE` in one step and `FILE.progress` is removed, so
`FILE` is only ever the previous file or a complete one.

Every run writing `-o FILE`, whatever its format, holds an exclusive `flock` on
`FILE.partial` from start to end (`lock_partial`), so a second run to the same FILE is
refused instead of one silently replacing the other's output.

`SignalGuard` turns SIGINT, SIGTERM and SIGHUP into an `Interrupted` exception, raised at
once while a document is being matched (so a long document does not delay the stop) but
held back while statements and their mark are being written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

try:  # POSIX: a second run writing the same FILE is refused instead of mixing outputs
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

VERSION = 1
_COMPACT_AT = 256 * 1024  # rewrite FILE.progress as header + last mark beyond this size
# A mark is written at most this often (and when the run stops on a signal or an error): a
# write per document was 4% of a run's time, and a killed run redoes at most this much work.
MARK_EVERY = 0.05  # seconds


class CheckpointError(Exception):
    """A run cannot be resumed (or started): the message says why and what to do."""


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, so `except Exception` in the run loop lets it pass."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """SIGINT, SIGTERM, ..."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process a signal stopped (130, 143)."""
        return 128 + self.signum


class SignalGuard:
    """Within `with SignalGuard() as guard:`, a stop signal raises `Interrupted`.

    Inside `with guard.atomic():` the exception waits until the block ends, so a block of
    writes happens entirely or not at all. After `guard.close()` (the run is complete and
    only being finalized) signals are ignored. A second signal while stopping is ignored
    too: the clean-up is short. Signals ignored when the run started (`nohup`, `cmd &` in a
    script) stay ignored.
    """

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.received: int | None = None
        self._depth = 0
        self._closed = False
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> SignalGuard:
        for name in self.NAMES:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                if signal.getsignal(signum) == signal.SIG_IGN:
                    continue
                self._saved[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                break
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None or self._closed:
            return
        self.received = signum
        if self._depth == 0:
            raise Interrupted(signum)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Hold a signal back until the block has run."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self.received is not None and not self._closed:
            self._closed = True  # raise once; the clean-up that follows is not interrupted
            raise Interrupted(self.received)

    def close(self) -> None:
        """The run is complete: from now on a signal changes nothing."""
        self._closed = True


@dataclass(frozen=True)
class Mark:
    """How far a run got: `docs` documents read (in input order), `processed` of them without
    error, their `statements`, held in the first `bytes` bytes of FILE.partial; `failed`
    problems so far and the size of the errors file; the id of the last document."""

    docs: int = 0
    processed: int = 0
    statements: int = 0
    bytes: int = 0
    failed: int = 0
    errors_bytes: int = 0
    last: str | None = None


def fingerprint(sources: Mapping[str, str], paths: Iterable[str], options: Mapping[str, object]) -> dict:
    """What must not change between a run and its resumption: rule texts, input files, options.

    Inputs are compared by path, size and modification time, not content: hashing a large
    corpus would cost as much as the run.
    """
    rules = hashlib.sha256()
    for path in sorted(sources):
        rules.update(json.dumps([path, sources[path]]).encode())  # ASCII: json escapes the rest
    inputs = hashlib.sha256()
    for path in paths:
        try:
            st = os.stat(path)
            inputs.update(json.dumps([path, st.st_size, st.st_mtime_ns]).encode())
        except OSError:
            inputs.update(json.dumps([path, None]).encode())
    return {"rules": rules.hexdigest(), "inputs": inputs.hexdigest(), "options": dict(options)}


class Checkpoint:
    """FILE.partial and FILE.progress of one `-o FILE --format jsonl` run.

    `Checkpoint(target, fp, resume=..., errors=...)` starts afresh, or with `resume=True`
    continues the checkpoint left by an interrupted run with the same fingerprint `fp`
    (`resumed` is then its last mark; `note` says what was found). Raises CheckpointError.
    `clock` gives the seconds that MARK_EVERY is measured in (a test passes its own).
    """

    def __init__(
        self,
        target: Path,
        fp: dict,
        *,
        resume: bool,
        errors: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.target = Path(target)
        self.partial = partial_path(self.target)
        self.progress = self.target.with_name(self.target.name + ".progress")
        self.fingerprint = fp
        self.errors = errors
        self.note: str | None = None
        self.resumed: Mark | None = None
        self.errors_before: str | None = None  # the errors file the interrupted run wrote
        self._clock = clock
        # Unbuffered: every write is in the OS when it returns, and a failed one leaves
        # nothing in a buffer to fail again on close. Open for the whole run: it holds the lock.
        self._out, created = lock_partial(self.target)
        existed = not created
        try:
            previous = self._read_progress() if self.progress.exists() else None
            if resume:
                self._resume(previous, existed)
            elif previous is not None:
                self.note = f"discarding the checkpoint of an interrupted run ({self._done(previous[1])})"
            if self.resumed is None:
                self._write_progress(Mark())
                self._truncate(0)  # after the new header: a crash in between resumes from 0
            self.mark = self.resumed or Mark()
            self._marked = self.mark  # the last mark in FILE.progress
            # None until a commit writes a mark: the first is always due. (0.0 was "long ago"
            # only on a machine up for more than MARK_EVERY: monotonic() starts near boot.)
            self._marked_at: float | None = None
            self._log = open(self.progress, "ab", buffering=0)
        except BaseException:
            self._out.close()  # and with it the lock
            raise

    def _resume(self, previous: tuple[dict, Mark] | None, existed: bool) -> None:
        if previous is None or not existed:
            if previous is None and not existed:
                what = "no checkpoint"
            elif previous is None:
                what = f"{self.partial} has no usable {self.progress.name} beside it"
            else:  # e.g. the last run was stopped just after renaming its output into place
                what = f"{self.partial} is missing"
            self.note = f"nothing to resume for {self.target} ({what}); starting from the beginning"
            return
        header, mark = previous
        size = self.partial.stat().st_size
        changed = [
            k
            for k in ("rules", "inputs", "options")
            if header.get("fingerprint", {}).get(k) != self.fingerprint[k]
        ]
        if changed:
            raise CheckpointError(
                f"cannot resume {self.target}: the {' and the '.join(changed)} changed since the interrupted "
                "run; run again without --resume to start over"
            )
        if size < mark.bytes or (mark.bytes and self._byte_at(mark.bytes - 1) != b"\n"):
            raise CheckpointError(
                f"cannot resume {self.target}: {self.partial} is shorter than its checkpoint says (was the "
                "machine restarted?); run again without --resume to start over"
            )
        self._truncate(mark.bytes)  # statements written after the last mark are written again
        self.resumed = mark
        self.errors_before = header.get("errors")
        self.note = f"resuming {self.target}: {self._done(mark)} already done"
        self._write_progress(mark)

    def _byte_at(self, offset: int) -> bytes:
        with open(self.partial, "rb") as fh:
            fh.seek(offset)
            return fh.read(1)

    @staticmethod
    def _done(mark: Mark) -> str:
        return f"{mark.docs:,} documents, {mark.statements:,} statements"

    def _read_progress(self) -> tuple[dict, Mark] | None:
        """The header and last complete mark of FILE.progress, or None if it is unusable."""
        try:
            lines = self.progress.read_bytes().split(b"\n")[:-1]  # a torn last line has no newline
            header = json.loads(lines[0])
            if header.get("iedsl_progress") != VERSION:
                return None
            mark = Mark(**json.loads(lines[-1])) if len(lines) > 1 else Mark()
        except (OSError, ValueError, TypeError, IndexError):
            return None
        return header, mark

    def _write_progress(self, mark: Mark) -> None:
        """Replace FILE.progress by a header and `mark`, in one step."""
        header = {"iedsl_progress": VERSION, "fingerprint": self.fingerprint, "errors": self.errors}
        tmp = self.progress.with_name(self.progress.name + ".tmp")
        tmp.write_bytes(_line(header) + _line(vars(mark)))
        os.replace(tmp, self.progress)

    def write(self, data: bytes) -> None:
        """Append statements of a document not finished yet (not counted until `commit`)."""
        _write_all(self._out, data)

    def discard(self) -> None:
        """Drop what `write` appended since the last mark (its document failed)."""
        self._truncate(self.mark.bytes)

    def _truncate(self, size: int) -> None:
        self._out.truncate(size)
        self._out.seek(size)  # truncate() leaves the position (and tell()) where it was

    def commit(self, data: bytes, mark: Mark) -> None:
        """Append one document's statements (`data`); the mark that counts them follows
        (now if the last one written is MARK_EVERY old, else with a later one)."""
        _write_all(self._out, data)  # in the OS before the mark: a killed process loses neither
        self.mark = mark
        if self._marked_at is None or self._clock() - self._marked_at >= MARK_EVERY:
            self._write_mark()

    def _write_mark(self) -> None:
        _write_all(self._log, _line(vars(self.mark)))
        self._marked, self._marked_at = self.mark, self._clock()
        if self._log.tell() > _COMPACT_AT:
            self._log.close()
            self._write_progress(self.mark)
            self._log = open(self.progress, "ab", buffering=0)

    def rollback(self) -> None:
        """After an interruption: write the last document's mark, cut FILE.partial back to
        it and keep both files."""
        try:
            if self._marked is not self.mark:
                self._write_mark()  # its statements are in FILE.partial already
        except OSError:
            pass  # a full disk: the mark before it is in FILE.progress, --resume starts there
        try:
            self._truncate(self.mark.bytes)
        except OSError:
            pass  # --resume cuts it back to the mark anyway
        finally:
            self._out.close()
            self._log.close()

    def finish(self) -> None:
        """Make FILE.partial the new FILE (durably) and remove FILE.progress."""
        os.fsync(self._out.fileno())
        os.replace(self.partial, self.target)
        self._out.close()  # the lock goes with it, after the rename
        _fsync_dir(self.target.parent)
        self._log.close()
        self.progress.unlink(missing_ok=True)


def partial_path(target: Path) -> Path:
    """FILE.partial of an output FILE: where jsonl statements go, and the run's lock."""
    target = Path(target)
    return target.with_name(target.name + ".partial")


def lock_partial(target: Path) -> tuple[Any, bool]:
    """Open FILE.partial of output `target` for appending (unbuffered) and lock it.

    Returns the open file, which holds the lock until it is closed, and whether this call
    created the file (a run that only needs the lock removes it again). Raises
    CheckpointError if another run holds the lock, or FILE.partial cannot be opened or is
    not a regular file (a FIFO would block the open, a symbolic link would be renamed over
    FILE in place of the statements).
    """
    partial = partial_path(target)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(10):  # each retry means another run finished in between: rare
        created = True
        try:
            try:
                fd = os.open(partial, flags | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                created = False
                fd = os.open(partial, flags)
        except FileNotFoundError:
            continue  # removed between the two opens: try again
        except OSError as exc:
            # ENXIO: a FIFO nobody reads; ELOOP: a symbolic link (O_NOFOLLOW)
            why = "not a regular file" if exc.errno in (errno.ENXIO, errno.ELOOP) else exc.strerror or exc
            raise CheckpointError(f"cannot write {partial}: {why}") from None
        out = os.fdopen(fd, "ab", buffering=0)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise CheckpointError(f"cannot write {partial}: not a regular file")
            os.set_blocking(fd, True)
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    raise CheckpointError(
                        f"another iedsl run is writing {target} ({partial} is locked)"
                    ) from None
                # Locked, but is it still FILE.partial? A run that held the lock may have
                # renamed or removed it between our open and our lock: then start over.
                try:
                    now = os.stat(partial, follow_symlinks=False)
                except FileNotFoundError:
                    now = None
                mine = os.fstat(fd)
                if now is None or (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
                    out.close()
                    continue
        except BaseException:
            out.close()
            raise
        return out, created
    raise CheckpointError(f"cannot lock {partial}: other runs keep replacing it")


def _write_all(fh: Any, data: bytes) -> None:
    """An unbuffered write may write less than asked (a full disk): go on or fail, never stop half-way."""
    view = memoryview(data)
    while view:
        written = fh.write(view)
        if not written:
            raise OSError(28, "No space left on device")
        view = view[written:]


def _line(obj: object) -> bytes:
    return (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")


def _fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` survive a power cut, where the system allows it."""
    try:
        fd = os.open(directory if str(directory) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
