"""Readable dumps of each compile stage, for `iedsl debug ast|ir|program` and the golden
files of tests/golden/.

A dump is the same text in every run of the same rules: sets and mappings are sorted, and
an object with no readable value (a compiled test, a cache of answers) is shown by its kind
(`<test>`, `<Answers>`), never by its address."""

from __future__ import annotations

import dataclasses
from typing import Any

from ie_dsl.engine import ir
from ie_dsl.engine.compiler import CompiledRule
from ie_dsl.engine.vm import OPNAMES
from ie_dsl.language import nodes as n


def _clip(items: list[str], limit: int = 200) -> str:
    """The items joined by commas, whole ones only up to about `limit` characters, then `...`."""
    shown, size = [], 0
    for item in items:
        if size + len(item) > limit and shown:
            return ", ".join(shown) + f", ... ({len(items) - len(shown)} more)"
        shown.append(item)
        size += len(item) + 2
    return ", ".join(shown)


def _short(value: Any) -> str:
    """A node as an s-expression without source spans."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [
            _short(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("span", "option_spans") and getattr(value, f.name) not in ((), None, False)
        ]
        return f"{type(value).__name__}({', '.join(fields)})"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, (frozenset, set)):
        return "{" + _clip(sorted(map(repr, value))) + "}"
    if isinstance(value, dict):
        # built from sets, so their order changes with the hash seed
        items = sorted((repr(k), _short(v)) for k, v in value.items())
        return "{" + _clip([f"{k}: {v}" for k, v in items]) + "}"
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if callable(value) and not isinstance(value, type):
        return "<test>"
    return f"<{type(value).__name__}>"


def dump_ast(rule_file: n.RuleFile) -> str:
    """The parsed file: uses, defines and rules, one per line."""
    lines = [f"use {u.path!r}" for u in rule_file.uses]
    lines += [f"define {d.name}({', '.join(d.params)}) = {_short(d.body)}" for d in rule_file.defines]
    for r in rule_file.rules:
        lines.append(f"{r.kind} {r.name} priority={r.priority} mode={r.mode} scope={r.scope}:{r.window}")
        lines.append(f"    {_short(r.pattern)}")
        if r.emit is not None:
            lines.append(f"    => {_short(r.emit)}")
    return "\n".join(lines)


def dump_ir(rule: ir.RuleIR) -> str:
    """One lowered rule: its IR pattern, captures and arguments."""
    caps = ", ".join(f"{i}:{c.name}{list(c.types) if c.types else ''}" for i, c in enumerate(rule.captures))
    return (
        f"{rule.kind} {rule.name} -> {rule.output} ({rule.file}:{rule.line}) group={rule.group}\n"
        f"    pattern  {_short(rule.pattern)}\n    captures {caps}\n    args     {list(rule.args)}"
    )


def dump_program(cr: CompiledRule) -> str:
    """One compiled rule: its instructions, prefilter clauses and first tokens."""
    lines = [f"{cr.rule.kind} {cr.rule.name} ({cr.rule.file}:{cr.rule.line}): {len(cr.code)} instructions"]
    for pc, ins in enumerate(cr.code):
        args = ", ".join(_short(a) for a in ins[1:])
        lines.append(f"  {pc:4d}  e{cr.element_of[pc] if cr.element_of else 0}  {OPNAMES[ins[0]]:<6} {args}")
    lines.append(f"  clauses: {[sorted(c)[:6] for c in cr.clauses]}")
    first = "any token" if cr.first_words is None else sorted(cr.first_words)[:12]
    lines.append(
        f"  first words: {first}; first types: {sorted(cr.first_types)};"
        f" first inside: {sorted(cr.first_inside)}"
    )
    return "\n".join(lines)
