"""Compiled rule sets cached on disk, keyed by what they were compiled from.

`compile_cached(paths)` -> RuleBook, the same as pipeline.compile_rules(paths), but the
slow part (reading, parsing and checking rule files and lexicons: about 0.4 s for the
shipped pack, 0.7 s for 10k names and 1,000 rules) is done once per content. An entry is
used only if every file it was made from still has the same bytes (SHA-256) and the
given directories still hold the same rule files; anything else recompiles and replaces
it. Programs are rebuilt from the cached IR (milliseconds), since compiled token tests
are closures.

Where: $IEDSL_CACHE_DIR, else $XDG_CACHE_HOME/iedsl, else ~/.cache/iedsl. IEDSL_NO_CACHE=1
turns caching off. Entries are pickles, so a cache directory is used only if it belongs
to the user and nobody else may write to it; a broken entry is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ie_dsl import __version__
from ie_dsl.engine.compiler import compile_program
from ie_dsl.language.loader import rule_files
from ie_dsl.pipeline import RuleBook, compile_rules

FORMAT = 5  # bump when what is pickled changes shape (5: modules moved into layer subpackages)


def cache_dir() -> Path | None:
    """The cache directory (created private if missing), or None if caching is off or the
    directory is not safe to load pickles from."""
    if os.environ.get("IEDSL_NO_CACHE") == "1":
        return None
    base = os.environ.get("IEDSL_CACHE_DIR")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg) if xdg else Path.home() / ".cache") / "iedsl"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return None  # someone else could plant an entry
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(paths: list[Path]) -> list[str]:
    """What the given paths expand to: a directory's rule files, or the file itself."""
    out = []
    for p in paths:
        real = p.resolve()
        out += [str(f) for f in rule_files(real)] if real.is_dir() else [str(real)]
    return out


def _code_stamp() -> str:
    """Names, sizes and times of iedsl's own modules: an edited checkout never reads entries
    pickled by other code."""
    package = Path(__file__).parent
    return ";".join(
        f"{p.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}"
        for p in sorted(package.rglob("*.py"))
        for st in [p.stat()]
    )


def _key(paths: list[Path], allow_outside_root: bool) -> str:
    # display paths in statements and diagnostics are relative to the working directory
    parts = [__version__, str(FORMAT), sys.version, _code_stamp(), os.getcwd(), str(allow_outside_root)]
    parts += [str(p.resolve()) for p in paths]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _valid(entry: dict[str, Any], paths: list[Path]) -> bool:
    try:
        if entry["listing"] != _listing(paths):
            return False
        return all(_digest(Path(f)) == h for f, h in entry["files"])
    except OSError:
        return False


def compile_cached(paths: Iterable[str | Path], allow_outside_root: bool = False) -> RuleBook:
    """compile_rules(paths), from the cache when the files are unchanged. Raises IEDslError
    as compile_rules does (rules with errors are never cached)."""
    paths = [Path(p) for p in paths]
    where = cache_dir()
    if where is None:
        return compile_rules(paths, allow_outside_root)
    entry_path = where / f"{_key(paths, allow_outside_root)}.pickle"
    try:
        with open(entry_path, "rb") as fh:
            entry = pickle.load(fh)
        if entry.get("format") == FORMAT and _valid(entry, paths):
            ruleset, strata, statements, warnings = entry["book"]
            program = compile_program(strata, statements, ruleset.lexicons, entry["types"], entry["schema"])
            return RuleBook(program, ruleset.sources, warnings, ruleset)
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a broken or foreign entry is rebuilt, never fatal
        pass
    book = compile_rules(paths, allow_outside_root)
    program = book.program
    entry = {
        "format": FORMAT,
        "listing": _listing(paths),
        "files": [(f, _digest(Path(f))) for f in book.ruleset.read],
        # the IR back from the compiled rules; the program is rebuilt from it
        "book": (
            book.ruleset,
            tuple(tuple(cr.rule for cr in stratum) for stratum in program.strata),
            tuple(cr.rule for cr in program.statements),
            book.warnings,
        ),
        "types": program.types,
        "schema": program.schema,
    }
    _store(entry_path, entry)
    return book


def _store(path: Path, entry: dict[str, Any]) -> None:
    """Write an entry atomically; a cache that cannot be written is only slower."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(entry, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, RecursionError):
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass
