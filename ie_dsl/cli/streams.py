"""Standard output and error for every command but `run` (which handles its own, cli/run.py).

`guard_streams(closed)` puts writers over descriptors 1 and 2 in sys.stdout and sys.stderr
that turn what can go wrong with them into what `run` does (docs/reliability.md, "Output
files and streams"; tests/test_streams.py):

- the program reading stdout went away (`iedsl check -f json ... | head -c 10`): PipeClosed
  is raised, which main() turns into exit 141, as SIGPIPE would give, with nothing more said;
- another write error on stdout (a full disk, /dev/full), or stdout closed when iedsl
  started (`>&-`): StdoutError, which main() turns into one line on stderr and exit 1;
- stderr closed or failing: what is written there is dropped and the command goes on.

After a failure the descriptor is pointed at /dev/null and later writes are dropped, so the
interpreter's last flush cannot fail again ("Exception ignored ... BrokenPipeError").
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import TextIO

from ie_dsl.scale.output import PipeClosed


class StdoutError(OSError):
    """A write to stdout failed, other than by a closed pipe (see the module doc)."""


class _Descriptor(io.RawIOBase):
    """Writes to file descriptor `fd` (1 or 2); see the module doc for failures."""

    def __init__(self, fd: int, closed: bool) -> None:
        super().__init__()
        self.fd = fd
        self.was_closed = closed  # closed when the program started: nothing can be written
        self.dropping = False  # a write failed: the rest is dropped

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return not self.was_closed and os.isatty(self.fd)

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        size = len(data)
        if self.dropping:
            return size
        try:
            if self.was_closed:
                raise OSError(errno.EBADF, "it is closed")
            return os.write(self.fd, data)
        except OSError as exc:
            self.dropping = True
            _to_null(self.fd)
            if self.fd != 1:
                return size  # stderr: there is nowhere left to say anything
            if isinstance(exc, BrokenPipeError):
                raise PipeClosed() from None
            raise StdoutError(exc.errno, exc.strerror) from None


def _to_null(fd: int) -> None:
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    os.dup2(null, fd)
    os.close(null)


def _text(fd: int, closed: bool, like: TextIO | None, line_buffering: bool) -> TextIO:
    """A text stream over `fd` with the encoding and error handling of `like`, if any."""
    return io.TextIOWrapper(
        io.BufferedWriter(_Descriptor(fd, closed)),
        encoding=getattr(like, "encoding", None) or "utf-8",
        errors=getattr(like, "errors", None) or "strict",
        line_buffering=line_buffering,
    )


def guard_streams(closed: set[int]) -> None:
    """Replace sys.stdout and sys.stderr by guarded writers (see the module doc); `closed` are
    the descriptors that were closed when the program started (cli.common.plug_closed_streams)."""
    out, error = sys.stdout, sys.stderr
    sys.stdout = _text(1, 1 in closed, out, bool(out is not None and out.line_buffering))
    sys.stderr = _text(2, 2 in closed, error, True)
    for old in (out, error):  # nothing was written to them yet; what was, is flushed now
        if old is not None:
            try:
                old.flush()
            except (OSError, ValueError):
                pass
