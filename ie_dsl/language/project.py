"""A rule project: the file that names a project's rules, fixtures and options once.

The project file is `iedsl.toml`, or the `[tool.iedsl]` table of a `pyproject.toml`, with
the same keys (docs/own-rules.md):

    rules = ["rules", "lexicons"]   # rule paths: files, directories, @pack/FILE
    fixtures = ["fixtures"]         # fixture files or directories (`iedsl test`, pytest)
    pytest = true                   # the pytest plugin collects the fixtures
    allow-outside-root = false      # may `use` leave the rule directories?
    [run]                           # defaults of a command's options, by long name
    jobs = 2

`find_project(start)` walks up from `start` (the working directory) to the first directory
holding either file, and stops at a repository's top (a directory with `.git`), so a
project never borrows another checkout's. Paths are relative to the project file's
directory; in a `Project` they are absolute (or `@pack...`).

In: a directory, or a project file. Out: `Project`, or `ProjectError` naming the file
(and the line, when it can be found) and what is wrong.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ie_dsl.resources import is_pack

if sys.version_info >= (3, 11):
    import tomllib
else:  # the standard library has a TOML reader from 3.11; tomli is the same code before
    import tomli as tomllib

PROJECT_FILE = "iedsl.toml"
PYPROJECT = "pyproject.toml"
# the commands whose options a project file may give defaults for, in a table of that name
COMMANDS = ("run", "test", "check", "explain", "eval", "show", "diff", "corroborate")
KEYS = ("rules", "fixtures", "pytest", "allow-outside-root", *COMMANDS)
DEFAULT_RULES = ("rules",)
DEFAULT_FIXTURES = ("fixtures",)


class ProjectError(Exception):
    """A project file that cannot be used: the message names the file (and line) and why."""


@dataclass(frozen=True)
class Project:
    """A project file's settings, its paths made absolute."""

    file: Path  # iedsl.toml or pyproject.toml
    rules: tuple[str, ...]  # rule paths: absolute, or @pack / @pack/FILE
    fixtures: tuple[str, ...]  # fixture files or directories, absolute
    pytest: bool = False  # does the pytest plugin collect this project's fixtures?
    allow_outside_root: bool = False
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # command -> option -> value

    @property
    def root(self) -> Path:
        """The project's directory: the project file's."""
        return self.file.parent

    def owns(self, path: str | Path) -> bool:
        """Is `path` inside the project's directory?"""
        try:
            return Path(path).resolve().is_relative_to(self.root.resolve())
        except OSError:
            return False


def _table(path: Path) -> dict[str, Any] | None:
    """The settings in `path`: all of an iedsl.toml, `[tool.iedsl]` of a pyproject.toml
    (None when it has none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: cannot read the project file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if path.name == PYPROJECT and "[tool.iedsl]" not in text:
            return None  # someone else's broken pyproject.toml is not ours to report
        raise ProjectError(f"{path}: not valid TOML: {exc}") from None
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("iedsl")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ProjectError(f"{path}: [tool.iedsl] must be a table")
        return table
    return data


def find_project(start: Path | None = None) -> Project | None:
    """The project of `start` (default: the working directory): the nearest `iedsl.toml`,
    or `pyproject.toml` with `[tool.iedsl]`, in it or above it, not above a directory
    holding `.git`. None if there is none. Raises ProjectError for a broken one."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in (PROJECT_FILE, PYPROJECT):
            candidate = d / name
            if candidate.is_file():
                table = _table(candidate)
                if table is not None:
                    return _project(candidate, table)
        if (d / ".git").exists():
            return None
    return None


def load_project(path: Path) -> Project:
    """The project of a named project file, or of the nearest one in a named directory or
    above. Raises ProjectError when there is none or it is broken."""
    if path.is_dir():
        found = find_project(path)
        if found is None:
            raise ProjectError(f"no {PROJECT_FILE} (or pyproject.toml with [tool.iedsl]) in {path} or above")
        return found
    if not path.is_file():
        raise ProjectError(f"project file not found: {path}")
    table = _table(path)
    if table is None:
        raise ProjectError(f"{path} has no [tool.iedsl] table")
    return _project(path.resolve(), table)


def _project(file: Path, table: dict[str, Any]) -> Project:
    text = file.read_text(encoding="utf-8")
    where = _Locator(file, text)
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f"; the keys are {', '.join(KEYS)}"
            raise ProjectError(f"{where(key)}: unknown key {key!r}{hint}")
    rules = _paths(table, "rules", DEFAULT_RULES, file, where)
    fixtures = _paths(table, "fixtures", DEFAULT_FIXTURES, file, where)
    flags = {key: _flag(table, key, where) for key in ("pytest", "allow-outside-root")}
    defaults: dict[str, dict[str, Any]] = {}
    for command in COMMANDS:
        value = table.get(command, {})
        if not isinstance(value, dict):
            raise ProjectError(f"{where(command)}: [{command}] must be a table of option defaults")
        defaults[command] = dict(value)
    return Project(file, rules, fixtures, flags["pytest"], flags["allow-outside-root"], defaults)


def _paths(
    table: Mapping[str, Any], key: str, default: tuple[str, ...], file: Path, where: _Locator
) -> tuple[str, ...]:
    raw = table.get(key, list(default))
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(p, str) and p for p in items):
        raise ProjectError(f"{where(key)}: {key} is a path or a list of paths")
    if key in table and not items:
        raise ProjectError(f"{where(key)}: {key} names no path")
    # relative to the project file's directory, so that every command finds the same files
    return tuple(p if is_pack(p) else str((file.parent / p).resolve()) for p in items)


def _flag(table: Mapping[str, Any], key: str, where: _Locator) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ProjectError(f"{where(key)}: {key} is true or false, not {value!r}")
    return value


class _Locator:
    """`file:line` of a key in the project file (tomllib gives no positions): its first
    line `key =` or `[key]` (`[tool.iedsl.key]`), or the file alone if not found."""

    def __init__(self, file: Path, text: str):
        self.file, self.lines = file, text.splitlines()

    def __call__(self, key: str) -> str:
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}\s*=|\[\s*(?:tool\.iedsl\.)?{re.escape(key)}\s*\])")
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return f"{self.file}:{number}"
        return str(self.file)
