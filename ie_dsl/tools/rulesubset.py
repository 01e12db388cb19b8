"""Compile only what one rule needs: the rule, the entity rules and lexicons of the types it
uses (through macros and other entity rules), for `iedsl explain NAME`.

Every file is still read and checked (checking is cheap, and a name is only known once all
files are read), but only the needed rules are lowered and compiled, and only the needed
lexicons: explaining one rule of a large rule set costs about what that rule costs.

`compile_for(paths, name)` -> a RuleBook holding the rules named `name` (a statement rule,
or every entity rule of a type) and what they need. Raises NoSuchRule if no rule has that
name, IEDslError as compile_rules does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ie_dsl.diagnostics import IEDslError
from ie_dsl.engine.compiler import compile_program
from ie_dsl.engine.ir import RuleIR
from ie_dsl.engine.lowering import lower
from ie_dsl.language import nodes as n
from ie_dsl.language.analysis import CheckedRule, CheckedRules, check
from ie_dsl.language.loader import load_rules
from ie_dsl.language.nodes import token_types, walk
from ie_dsl.pipeline import RuleBook, _compiling, provenance
from ie_dsl.resources import with_pack


def names_in(pattern: n.Pattern) -> Iterator[str]:
    """Every upper-case name a pattern mentions: types and macros, in token tests too."""
    for node in walk(pattern):
        if isinstance(node, n.Ref):
            yield node.name
        elif isinstance(node, n.TokenSet):
            yield from (t.name for t in token_types(node.test))


def needed_types(checked: CheckedRules, rules: Iterable[CheckedRule]) -> set[str]:
    """The types `rules` use, through their macros and the entity rules of those types."""
    entity_rules: dict[str, list[CheckedRule]] = {}
    for stratum in checked.strata:
        for cr in stratum:
            entity_rules.setdefault(cr.rule.name, []).append(cr)
    types: set[str] = set()
    todo = list(rules)
    while todo:
        cr = todo.pop()
        for name in _names(cr):
            if name in checked.types and name not in types:
                types.add(name)
                todo += entity_rules.get(name, [])
    return types


def _names(cr: CheckedRule) -> set[str]:
    """The names a rule reaches: its pattern's and its macros' bodies', transitively. A loose
    rule is laid out with the grammar's gap macros (ie_dsl/language/loose.py), so it reaches every
    macro visible to it."""
    macros: Mapping[str, n.Define] = cr.macros
    names: set[str] = set()
    todo = [d.body for d in macros.values()] if cr.rule.loose else []
    todo.append(cr.rule.pattern)
    seen: set[str] = set()
    while todo:
        for name in names_in(todo.pop()):
            names.add(name)
            if name in macros and name not in seen:
                seen.add(name)
                todo.append(macros[name].body)
    return names


class NoSuchRule(LookupError):
    """No rule has the name asked for; `names` are those there are (for "did you mean")."""

    def __init__(self, name: str, names: frozenset[str]):
        super().__init__(name)
        self.names = names


def compile_for(paths: Iterable[str | Path], name: str, allow_outside_root: bool = False) -> RuleBook:
    """The rules named `name` under `paths`, and what they need, compiled. Raises NoSuchRule
    if no rule has that name, IEDslError for rules that do not load or check."""
    paths = with_pack(paths)
    with _compiling():
        ruleset = load_rules(paths, allow_outside_root)
        if ruleset.errors:
            raise IEDslError(ruleset.errors)
        checked = check(ruleset)
        everything = [*checked.statements, *(cr for s in checked.strata for cr in s)]
        named = [cr for cr in everything if cr.rule.name == name]
        if not named:
            raise NoSuchRule(name, frozenset(cr.rule.name for cr in everything))
        types = needed_types(checked, named)
        keep = {id(cr) for cr in named}
        strata = tuple(
            kept
            for stratum in checked.strata
            if (kept := tuple(cr for cr in stratum if id(cr) in keep or cr.rule.name in types))
        )
        subset = dataclasses.replace(
            checked,
            strata=strata,
            statements=tuple(cr for cr in checked.statements if id(cr) in keep),
            lexicons=tuple(lx for lx in checked.lexicons if lx.type in types),
        )
        warnings = list(checked.warnings)
        lowered_strata, statements = lower(subset, warnings)
        files = provenance(paths, ruleset.read)

        def relabel(rule: RuleIR) -> RuleIR:  # as compile_rules names files in statements
            stable = files.get(rule.file, rule.file)
            return rule if stable == rule.file else dataclasses.replace(rule, file=stable)

        program = compile_program(
            tuple(tuple(relabel(r) for r in stratum) for stratum in lowered_strata),
            tuple(relabel(r) for r in statements),
            subset.lexicons,
            checked.types,
        )
    return RuleBook(program, ruleset.sources, tuple(warnings), ruleset)
