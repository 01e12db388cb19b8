"""`-o` of the commands that write one whole file at the end (`show`, `corroborate`).

`output_problem(path)` says, before any work, why `path` cannot be written (one line for an
exit-2 usage error): a directory, a device, FIFO or socket (written atomically, the file
would be renamed over it), a missing or read-only directory. `emit(text, path)` then writes
the text atomically to `path`, or to stdout when `path` is None or "-", and turns a failure
into one line on stderr and an exit code instead of a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, err
from ie_dsl.scale.output import NotRegularFile, output_target, silence_stdout, write_atomic

EXIT_PIPE = 128 + 13  # stdout closed by the reader (`... | head`), as SIGPIPE would give


def is_stdout(path: Path | None) -> bool:
    return path is None or str(path) == "-"


def output_problem(path: Path | None, option: str = "-o") -> str | None:
    """Why `-o path` cannot be written, as `-o PATH: reason`; None if it can (or is stdout).
    `option` names another option that writes a file the same way (`--junit`); only `-o`
    can be replaced by redirecting stdout."""
    if is_stdout(path):
        return None
    assert path is not None
    try:
        target = output_target(path)
    except NotRegularFile as exc:
        redirect = f": to write there, redirect stdout (> {path})" if option == "-o" else ""
        return (
            f"{option} {path}: is {exc.kind}, not a regular file; {option} replaces its file in one "
            f"step, which would replace the {exc.kind.split(' ', 1)[1]}{redirect}"
        )
    except OSError as exc:  # a link loop, a path through a file
        return f"{option} {path}: {exc.strerror or exc}"
    if target.is_dir():
        return f"{option} {path}: is a directory"
    parent = target.resolve().parent
    if not parent.is_dir():
        return f"{option} {path}: the directory {path.parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"{option} {path}: cannot write in {path.parent}"
    return None


def emit(text: str, path: Path | None) -> int:
    """Write `text` to `path` atomically (stdout for None or "-"); returns the exit code:
    EXIT_OK, EXIT_PROBLEMS when it could not be written (said on stderr), EXIT_PIPE when the
    program reading stdout closed it."""
    if is_stdout(path):
        if sys.stdout is None:  # started with stdout closed (`>&-`)
            err("error: cannot write to stdout: it is closed")
            return EXIT_PROBLEMS
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
            return EXIT_PIPE
        except OSError as exc:  # a full disk, /dev/full
            silence_stdout()
            err(f"error: cannot write to stdout: {exc.strerror or exc}")
            return EXIT_PROBLEMS
        return EXIT_OK
    assert path is not None
    try:
        write_atomic(path, text)
    except OSError as exc:  # NotRegularFile (made since the check), no space, no permission
        reason = str(exc) if isinstance(exc, NotRegularFile) else exc.strerror or str(exc)
        err(f"error: cannot write {path}: {reason}; it was not changed")
        return EXIT_PROBLEMS
    return EXIT_OK
