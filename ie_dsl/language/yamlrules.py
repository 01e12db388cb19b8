"""YAML rule files: their data (as yamlfile reads it) -> the same RuleFile a DSL file gives.

`yaml_rule_file(data, source, errors)` reads `use:`, `define:`, `rules:` and `declare:`
(`yaml_declares`);
each pattern is parsed by the DSL parser with its place in the YAML file, so a diagnostic
points into the YAML text. Problems are appended to `errors` (E206 for a rule, macro or
priority that is not as documented); what can still be read is returned.
"""

from __future__ import annotations

import re
from typing import Any

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.language import nodes as n
from ie_dsl.language.yamlfile import LocDict, LocList, pattern_origin, span_of
from ie_dsl.source import SourceFile, SourceSpan

_MACRO_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def yaml_rule_file(data: LocDict, source: SourceFile, errors: list[Diagnostic]) -> n.RuleFile:
    """A YAML rule file -> the same RuleFile a DSL file gives."""
    path = source.path

    def pattern(value: Any, node: Any) -> n.Pattern | None:
        if not isinstance(value, str):
            errors.append(Diagnostic("E206", "a pattern must be a string", span_of(node, path)))
            return None
        try:
            from ie_dsl.language.parser import parse_pattern

            return parse_pattern(value, path, pattern_origin(node, source))
        except IEDslError as err:
            errors.extend(err.diagnostics)
            return None

    uses_raw = data.get("use")
    if isinstance(uses_raw, LocList):
        uses = tuple(
            n.Use(str(u), span_of(nd, path)) for u, nd in zip(uses_raw, uses_raw.nodes, strict=False)
        )
    elif uses_raw is not None:
        uses = (n.Use(str(uses_raw), span_of(data.where("use"), path)),)
    else:
        uses = ()

    defines: list[n.Define] = []
    raw_defs = data.get("define", {})
    if isinstance(raw_defs, LocDict):
        for key, value in raw_defs.items():
            name, _, params = str(key).partition("(")
            names = tuple(p.strip() for p in params.rstrip(")").split(",") if p.strip())
            if not all(_MACRO_NAME.match(x) for x in (name.strip(), *names)):
                errors.append(
                    Diagnostic(
                        "E206",
                        f"macro names and parameters are UPPER-case: {key!r}",
                        span_of(raw_defs.where(key), path),
                        "e.g. NEAR(X, Y)",
                    )
                )
                continue
            body = pattern(value, raw_defs.where(key))
            if body is not None:
                defines.append(n.Define(name.strip(), names, body, span_of(raw_defs.where(key), path)))

    rules: list[n.Rule] = []
    raw_rules = data.get("rules", LocList())
    if not isinstance(raw_rules, LocList):
        errors.append(
            Diagnostic(
                "E206",
                "`rules:` must be a list of rules",
                span_of(data.where("rules"), path),
                "start each rule with `- name:`",
            )
        )
        raw_rules = LocList()
    for item, node in zip(raw_rules, getattr(raw_rules, "nodes", []), strict=False):
        rule = _rule(item, node, path, pattern, errors)
        if rule is not None:
            rules.append(rule)
    declares = yaml_declares(data, path, errors) if "declare" in data else ()
    return n.RuleFile(path=path, uses=uses, defines=tuple(defines), rules=tuple(rules), declares=declares)


def _rule(item: Any, node: Any, path: str, pattern: Any, errors: list[Diagnostic]) -> n.Rule | None:
    if not isinstance(item, LocDict) or not ({"name", "entity"} & item.keys()) or "pattern" not in item:
        errors.append(
            Diagnostic("E206", "a rule needs `name:` (or `entity:`) and `pattern:`", span_of(node, path))
        )
        return None
    kind = "entity" if "entity" in item else "rule"
    name = str(item.get("entity") or item.get("name"))
    body = pattern(item["pattern"], item.where("pattern"))
    if body is None:
        return None
    emit = None
    raw_emit = item.get("emit")
    if isinstance(raw_emit, LocDict):
        espan = span_of(raw_emit.node, path)
        args = [
            n.EmitArg(str(role), str(cap), None, espan) for role, cap in (raw_emit.get("args") or {}).items()
        ]
        args += [
            n.EmitArg(str(k), None, str(v), espan) for k, v in raw_emit.items() if k not in ("type", "args")
        ]
        emit = n.Emit(str(raw_emit.get("type", name)), tuple(args), espan)
    examples = []
    for ex, ex_node in zip(
        item.get("examples") or [], getattr(item.get("examples"), "nodes", []), strict=False
    ):
        text = ex.get("text") if isinstance(ex, dict) else ex
        expected = ex.get("expect") if isinstance(ex, dict) else None
        pairs: tuple[tuple[str, str], ...] = ()
        if isinstance(expected, list) and expected and isinstance(expected[0], dict):
            pairs = tuple((str(k), str(v)) for k, v in (expected[0].get("args") or {}).items())
        examples.append(n.Example(str(text), pairs, True, span_of(ex_node, path)))
    for ex, ex_node in zip(
        item.get("counterexamples") or [], getattr(item.get("counterexamples"), "nodes", []), strict=False
    ):
        examples.append(n.Example(str(ex), (), False, span_of(ex_node, path)))
    scope_raw = str(item.get("scope", "sentence")).split()
    priority = item.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        errors.append(
            Diagnostic(
                "E206",
                f"priority must be a whole number, not {priority!r}",
                span_of(item.where("priority"), path),
                "e.g. priority: 10",
            )
        )
        priority = 0
    return n.Rule(
        kind=kind,
        name=name,
        pattern=body,
        span=span_of(item.where("entity" if kind == "entity" else "name"), path),
        emit=emit,
        priority=priority,
        mode=str(item.get("mode", "longest")),
        scope=scope_raw[0] if scope_raw else "sentence",
        window=int(scope_raw[1])
        if len(scope_raw) > 1 and scope_raw[1].isdigit()
        else (0 if len(scope_raw) > 1 else 1),
        group=str(item["group"]) if "group" in item else None,
        loose=item.get("loose") is True,
        examples=tuple(examples),
        option_spans=tuple(
            (k, span_of(item.where(k), path)) for k in ("priority", "mode", "scope", "group") if k in item
        ),
    )


def yaml_declares(data: LocDict, path: str, errors: list[Diagnostic]) -> tuple[n.Declare, ...]:
    """`declare:` of a YAML rule file -> the Declare nodes a DSL file's `declare` gives: a
    section is a list of values, or a mapping of keys to a value or a list of them."""

    def values(value: Any, node: Any) -> tuple[tuple[str, ...], tuple[SourceSpan, ...]] | None:
        items, nodes = (value, value.nodes) if isinstance(value, LocList) else ([value], [node])
        if not items or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in items):
            errors.append(
                Diagnostic(
                    "E206",
                    "a declared value is a name or a list of names",
                    span_of(node, path),
                    "e.g. `organizations: [ORG, GROUP]`",
                )
            )
            return None
        return tuple(str(v) for v in items), tuple(span_of(nd, path) for nd in nodes)

    raw = data["declare"]
    if not isinstance(raw, LocDict):
        errors.append(
            Diagnostic(
                "E206",
                "`declare:` must map sections to their declarations",
                span_of(data.where("declare"), path),
                "e.g. `declare: {passes: [cues, dates, dedupe], cues: {type: cue}}`",
            )
        )
        return ()
    out = []
    for section, body in raw.items():
        where = raw.where(section)
        head = span_of(where, path)
        items: list[n.DeclareItem] = []
        if isinstance(body, LocDict):
            for key, value in body.items():
                got = values(value, body.where(key))
                if got is not None:
                    items.append(n.DeclareItem(str(key), got[0], got[1], span_of(body.where(key), path)))
        else:
            got = values(body, where)
            if got is not None:
                items.append(n.DeclareItem(None, got[0], got[1], got[1][0]))
        out.append(n.Declare(str(section), tuple(items), head))
    return tuple(out)
