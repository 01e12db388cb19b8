"""What every command shares: the project, telling rule paths from inputs and fixtures, and
turning IEDslError into rendered diagnostics and exit code 2."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import typer

from ie_dsl.cache import compile_cached
from ie_dsl.diagnostics import Diagnostic, IEDslError, render
from ie_dsl.language.loader import RULE_SUFFIXES, is_fixture, read_sources
from ie_dsl.language.project import PROJECT_FILE, Project
from ie_dsl.pipeline import RuleBook
from ie_dsl.resources import PACK as PACK  # re-exported: the commands name the pack by it
from ie_dsl.resources import data_dir, is_pack, with_pack
from ie_dsl.source import SourceFile

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def err(message: str) -> None:
    """`message` and a newline on stderr; nothing if stderr is closed (click drops it then)."""
    typer.echo(message, err=True)


def plug_closed_streams() -> set[int]:
    """Point standard descriptors (0, 1, 2) that are closed at /dev/null; returns those that were.

    Why: the system gives each file a run opens the lowest free descriptor, so with fd 1 or 2
    closed (`>&-`, `2>&-`, a daemon) the output file would become the "stdout" or "stderr"
    of anything writing there by descriptor: a worker process, a C library, a warning.
    Python's own sys.stdout / sys.stderr stay None for a stream closed at start-up.
    """
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        try:
            null = os.open(os.devnull, os.O_RDWR)
        except OSError:
            break  # no /dev/null: nothing better to put there
        if null != fd:  # the lowest free descriptor: fd itself, unless a lower one is free too
            os.dup2(null, fd)
            os.close(null)
    return closed


def show_diagnostics(diags: Iterable[Diagnostic], sources: dict[str, SourceFile], fmt: str = "full") -> None:
    diags = list(diags)
    if diags:
        err(render(diags, sources, fmt))


OUTSIDE_ROOT_ENV = "IEDSL_ALLOW_OUTSIDE_ROOT"  # set to 1: `use` may leave the rule root

_project: Project | None = None  # the project of this invocation, set by the app's callback


def set_project(project: Project | None) -> None:
    """Make `project` the one every command of this invocation uses (None: no project)."""
    global _project
    _project = project


def current_project() -> Project | None:
    """The project found for this invocation (by cli._options), or None."""
    return _project


def rule_paths(paths: Iterable[str | Path]) -> list[str | Path]:
    """The rule paths with `@pack` (and `@pack/FILE`) replaced by where the shipped pack is."""
    return with_pack(paths)


# A lexicon or rule file's top level, as opposed to a fixture's (`cases:`) or other YAML.
_RULE_YAML = re.compile(rb"^(?:entries|rules|define|use)\s*:", re.MULTILINE)


def _rule_yaml(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return bool(_RULE_YAML.search(fh.read(1 << 16)))
    except OSError:
        return False


def kind_of(arg: str) -> str:
    """What a command-line path holds: "rules" (`@pack...`, a rule file or lexicon, a
    directory of them), "fixtures" (a fixture file, or a directory of fixtures and no
    rules) or "other" (documents, or nothing that exists). The same answer for every
    command: a lexicon folder is rules for `run` as for `test`.

    A path that does not exist is rules if its name says so (`x.ie`, `x.yaml`), so that
    reading it reports a missing rule file."""
    if is_pack(arg):
        return "rules"
    path = Path(arg)
    try:
        if path.is_file():
            if path.suffix == ".ie":
                return "rules"
            if path.suffix in (".yaml", ".yml"):
                return "fixtures" if is_fixture(path) else "rules"
            return "other"
        if path.is_dir():
            return _dir_kind(path)
    except OSError:
        return "other"
    return "rules" if path.suffix in RULE_SUFFIXES else "other"


def _dir_kind(directory: Path) -> str:
    """A directory with a `.ie` file or a rule or lexicon YAML below it is rules (fixtures
    may sit among them); one with only fixtures (and their documents) is fixtures."""
    fixtures = False
    for top, _dirs, names in os.walk(directory, followlinks=True):
        for name in names:
            path = Path(top, name)
            if path.suffix == ".ie":
                return "rules"
            if path.suffix in (".yaml", ".yml"):
                if is_fixture(path):
                    fixtures = True
                elif _rule_yaml(path):
                    return "rules"
    return "fixtures" if fixtures else "other"


def looks_like_rules(arg: str) -> bool:
    """A rule file, a directory holding rule files or lexicons, or `@pack...`."""
    return kind_of(arg) == "rules"


def split_rules(args: list[str], usage: str) -> tuple[list[str], list[str]]:
    """(rule paths, the arguments after them). The leading arguments that are rules are the
    rules; with none, the project's rules (then every argument is an input), else the first
    argument (a missing rules path is reported as one). Exits 2 when no rules can be found."""
    k = 0
    while k < len(args) and looks_like_rules(args[k]):
        k += 1
    if k == 0:
        if _project is not None:
            return list(_project.rules), list(args)
        if not args:
            err(f"error: no rules given, and no {PROJECT_FILE} here or above: {usage}")
            raise typer.Exit(EXIT_USAGE)
        k = 1
    return list(args[:k]), list(args[k:])


def split_paths(paths: list[str], usage: str = "iedsl run RULES... INPUTS...") -> tuple[list[str], list[str]]:
    """(rule paths, inputs) for `run`, `show` and `eval`. A path that holds rules after an
    input is a usage error (exit 2): reading it as a document would be silently wrong."""
    rules, inputs = split_rules(paths, usage)
    late = next((a for a in inputs if looks_like_rules(a)), None)
    if late is not None:
        err(
            f"error: {late} holds rules (rule files or lexicons), but comes after the inputs: "
            f"give every rule path first ({usage})"
        )
        raise typer.Exit(EXIT_USAGE)
    return rules, inputs


def _pack_given(paths: Iterable[str | Path]) -> bool:
    pack = data_dir("rules").resolve()
    return any(Path(p).resolve().is_relative_to(pack) for p in with_pack(paths))


def mine(diags: Iterable[Diagnostic], paths: Iterable[str | Path]) -> list[Diagnostic]:
    """The diagnostics a user of `paths` should see: warnings in files of the shipped pack
    (a macro of a used pack file that the user's rules leave unused) only when the pack is
    among the rule paths itself. Errors are always shown."""
    paths = list(paths)
    if _pack_given(paths):
        return list(diags)
    pack = data_dir("rules").resolve()

    def in_pack(d: Diagnostic) -> bool:
        try:
            return d.span is not None and Path(d.span.file).resolve().is_relative_to(pack)
        except OSError:
            return False

    return [d for d in diags if d.severity == "error" or not in_pack(d)]


def load_book(paths: Iterable[str | Path]) -> RuleBook:
    """Compile rules or exit 2 with every diagnostic shown (sources read back from disk).

    The path `@pack` stands for the rule pack shipped with iedsl. A `use` may reach
    outside the rule root only when IEDSL_ALLOW_OUTSIDE_ROOT=1, --allow-outside-root or the
    project file's `allow-outside-root = true`.
    Compiled rule sets are cached (ie_dsl/cache.py).
    """
    paths = rule_paths(paths)
    try:
        book = compile_cached(paths, allow_outside_root=os.environ.get(OUTSIDE_ROOT_ENV) == "1")
    except IEDslError as exc:
        fail_rules(mine(exc.diagnostics, paths))
    show_diagnostics(mine(book.warnings, paths), dict(book.sources))
    return book


def fail_rules(diags: list[Diagnostic]) -> None:
    """Show the diagnostics of rules that do not compile, and exit 2."""
    show_diagnostics(diags, read_sources(diags))
    errors = sum(d.severity == "error" for d in diags)
    err(f"{errors} error{'s' if errors != 1 else ''} in rules; nothing was run")
    raise typer.Exit(EXIT_USAGE) from None
