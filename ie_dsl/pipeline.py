"""The stages put together: rule paths -> RuleBook (a compiled Program plus what produced it).

load (loader) -> check (analysis) -> lower (lowering) -> compile (compiler)

A statement's `rule.file` names its rule file by the rule root given (a directory, or a given
file's directory) and the path inside it, `rules/threats.ie`, wherever the rules were compiled
from; diagnostics keep paths as the user can open them from the working directory.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.engine.compiler import Program, compile_program
from ie_dsl.engine.ir import RuleIR
from ie_dsl.engine.lowering import lower
from ie_dsl.language.analysis import check, check_all
from ie_dsl.language.loader import RuleSet, display_path, load_rules, load_texts
from ie_dsl.language.schema import Schema
from ie_dsl.resources import PACK, data_dir, with_pack
from ie_dsl.run.runtime import extract, iter_extract, statements
from ie_dsl.run.statement import Statement
from ie_dsl.source import SourceFile
from ie_dsl.text.segment import forget_literals


@dataclass(frozen=True)
class RuleBook:
    """Compiled rules ready to run, with their sources (for diagnostics) and warnings."""

    program: Program
    sources: Mapping[str, SourceFile]
    warnings: tuple[Diagnostic, ...]
    ruleset: RuleSet  # what was read, for tools that look at the rules themselves

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as what compiled it (the rules' IR, lexicons and sources, as the rule
        cache stores them; compiled token tests are closures and RE2 objects, which do not
        pickle): unpickling recompiles the Program from them, in a fraction of a second."""
        strata = tuple(tuple(cr.rule for cr in stratum) for stratum in self.program.strata)
        statements = tuple(cr.rule for cr in self.program.statements)
        program, sources = self.program, dict(self.sources)
        state = (strata, statements, program.types, sources, self.warnings, self.ruleset, program.schema)
        return _restore, state

    @property
    def rule_count(self) -> int:
        return len(self.program.statements) + sum(len(s) for s in self.program.strata)

    def extract(
        self,
        doc_id: str,
        text: str,
        overridden: list[dict[str, Any]] | None = None,
        budget: float | None = None,
        doc_date: date | None = None,
    ) -> list[dict[str, Any]]:
        """Statements found in one document, as dicts (see runtime.extract)."""
        return extract(self.program, doc_id, text, overridden, budget, doc_date)

    def statements(
        self,
        doc_id: str,
        text: str,
        overridden: list[Statement] | None = None,
        budget: float | None = None,
        doc_date: date | None = None,
    ) -> list[Statement]:
        """The same statements as typed values (run/statement.Statement; `to_dict` of each
        is what extract returns)."""
        return statements(self.program, doc_id, text, overridden, budget, doc_date)

    def iter_extract(
        self, doc_id: str, text: str, budget: float | None = None, doc_date: date | None = None
    ) -> Iterator[dict[str, Any]]:
        """The same statements, yielded piece by piece (for huge documents)."""
        return iter_extract(self.program, doc_id, text, None, budget, doc_date)


def _restore(
    strata: tuple[tuple[RuleIR, ...], ...],
    statements: tuple[RuleIR, ...],
    types: frozenset[str],
    sources: dict[str, SourceFile],
    warnings: tuple[Diagnostic, ...],
    ruleset: RuleSet,
    schema: Schema,
) -> RuleBook:
    """A pickled RuleBook back (see RuleBook.__reduce__)."""
    with _compiling():
        program = compile_program(strata, statements, ruleset.lexicons, types, schema)
    return RuleBook(program, sources, warnings, ruleset)


def diagnose(
    paths: Iterable[str | Path], allow_outside_root: bool = False
) -> tuple[list[Diagnostic], Mapping[str, SourceFile]]:
    """Every problem in the rules under `paths`, errors and warnings, without raising.

    Goes through the same stages as compile_rules; rules with problems are still lowered,
    so one run also reports the problems of lowering (a rule too large, E406; W225).
    """
    ruleset: RuleSet | None = None
    paths = with_pack(paths)
    try:
        with _compiling():
            ruleset = load_rules(paths, allow_outside_root)
            if _refused(ruleset):
                return list(ruleset.errors), ruleset.sources
            checked, found = check_all(ruleset)
            warnings = list(checked.warnings)
            try:
                # a recursive macro (E212) cannot be expanded: report it, do not try
                recursive = any(d.code == "E212" for d in found)
                strata, statements = lower(checked, warnings) if not recursive else ((), ())
                if not found:
                    compile_program(strata, statements, checked.lexicons, checked.types, checked.schema)
            except IEDslError as exc:
                found += exc.diagnostics
    except IEDslError as exc:  # too deep to check at all
        return exc.diagnostics, ruleset.sources if ruleset is not None else {}
    return found + warnings, ruleset.sources


def compile_rules(paths: Iterable[str | Path], allow_outside_root: bool = False) -> RuleBook:
    """Load, check, lower and compile the rules under `paths` (`@pack`, `@pack/FILE`: the
    shipped pack). Raises IEDslError."""
    paths = with_pack(paths)
    with _compiling():
        ruleset = load_rules(paths, allow_outside_root)
        if _refused(ruleset):
            raise IEDslError(ruleset.errors)
        checked = check(ruleset)
        warnings = list(checked.warnings)
        try:
            strata, statements = lower(checked, warnings)
        except IEDslError as exc:  # the warnings of every stage go with the errors, as check() does
            raise IEDslError([*exc.diagnostics, *warnings]) from None
        files = provenance(paths, ruleset.read)
        strata = tuple(tuple(_relabel(r, files) for r in stratum) for stratum in strata)
        statements = tuple(_relabel(r, files) for r in statements)
        program = compile_program(strata, statements, checked.lexicons, checked.types, checked.schema)
    return RuleBook(program, ruleset.sources, tuple(warnings), ruleset)


def compile_text(text: str, files: Mapping[str, str] | None = None, name: str = "main.ie") -> RuleBook:
    """A rule file's text (named `name`) and the files beside it (`files`, name -> text: lexicon
    YAML, rule files it `use`s) -> RuleBook, as compile_rules gives for a directory holding
    them; statements and diagnostics name the files as given. No file is read or written but
    the shipped pack's that a `use` names (language.load_texts). Raises IEDslError."""
    with _compiling():
        ruleset = load_texts({**(files or {}), name: text})
        if _refused(ruleset):
            raise IEDslError(ruleset.errors)
        checked = check(ruleset)
        warnings = list(checked.warnings)
        try:
            strata, statements = lower(checked, warnings)
        except IEDslError as exc:  # with the warnings, as compile_rules gives them
            raise IEDslError([*exc.diagnostics, *warnings]) from None
        program = compile_program(strata, statements, checked.lexicons, checked.types, checked.schema)
    return RuleBook(program, ruleset.sources, tuple(warnings), ruleset)


def provenance(paths: Iterable[str | Path], read: Iterable[str]) -> dict[str, str]:
    """Display path (as the loader names a file, relative to the working directory) -> the
    name statements give it: the name of the rule root it lies under (the first of `paths`
    that holds it: a directory, or a given file's directory) and the path inside that root,
    with `/` (`rules/threats.ie`). The same wherever the rules are compiled from, so that
    a local run, `--jobs` and the workers of a cluster write the same bytes. A file of the
    shipped pack reached by `use "@pack/..."` is `@pack/...`; a file outside every root (a
    `use` allowed to leave it) keeps its absolute path."""
    roots = []
    for given in paths:
        real = Path(given).resolve()
        roots.append(real if real.is_dir() else real.parent)
    names: dict[str, str] = {}
    for file in read:
        path = Path(file)
        root = next((r for r in roots if path.is_relative_to(r)), None)
        inside = (root.name, *path.relative_to(root).parts) if root is not None else None
        if inside is None and path.is_relative_to(pack := data_dir("rules").resolve()):
            inside = (PACK, *path.relative_to(pack).parts)
        names[display_path(path)] = "/".join(p for p in inside if p) if inside else path.as_posix()
    return names


def _relabel(rule: RuleIR, files: Mapping[str, str]) -> RuleIR:
    stable = files.get(rule.file, rule.file)
    return rule if stable == rule.file else dataclasses.replace(rule, file=stable)


def _refused(ruleset: RuleSet) -> bool:
    """Was the rule set refused as a whole while it was read (E405, too many rules)? Then
    the files after the limit were not read, and checking the rest would only add errors
    about names those files define."""
    return any(d.code == "E405" for d in ruleset.errors)


@contextmanager
def _compiling() -> Iterator[None]:
    """Patterns are limited in depth where they are parsed; chains of macros using
    macros, entities using entities, `use` of files using files or `!` in [ ] are not,
    and a very long one would exhaust Python's stack: that is a rule error, not a crash.

    The cyclic garbage collector is paused meanwhile (as it was after): parsing and
    compiling make millions of short-lived objects that reference counting frees, and the
    collector's passes over them took a third of the time (100,000 alternatives: 6.3 s ->
    4.5 s to check)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    except RecursionError:
        raise IEDslError(
            [
                Diagnostic(
                    "E401",
                    "rules nest too deeply (a chain of macros, entities, `use` or `!`)",
                    None,
                    "shorten the chain: each link is one level",
                )
            ]
        ) from None
    finally:
        forget_literals()
        if was_enabled:
            gc.enable()
