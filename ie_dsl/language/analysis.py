"""Check a RuleSet: resolve names, order the entity cascade, find cycles.

`check(ruleset)` -> CheckedRules, or IEDslError listing every problem (E2xx) with
"did you mean" hints. Macros are file-scoped: a file sees its own `define`s and those of
the rule files it `use`s. Types (lexicon types, entity types, NUMBER, DATE, MONEY) are global.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.language import nodes as n
from ie_dsl.language.anchors import misplaced_anchors
from ie_dsl.language.lexicon import Lexicon
from ie_dsl.language.loader import RuleSet
from ie_dsl.language.rulechecks import TOKEN_CLASSES as TOKEN_CLASSES  # the class names of [ ], for lowering
from ie_dsl.language.rulechecks import (
    literal_problems,
    no_grammar,
    open_repeat,
    regex_problems,
    reserved_fields,
    suggest,
    unknown_captures,
)
from ie_dsl.language.schema import NOTHING, Schema, build_schema
from ie_dsl.language.scoping import declared, hidden_types
from ie_dsl.source import SourceFile, SourceSpan
from ie_dsl.text.money import CURRENCIES

BUILTIN_TYPES = frozenset({"NUMBER", "DATE", "MONEY"})
# The attributes of the built-in types' annotations, and the values each takes (None: any).
BUILTIN_ATTRIBUTES: dict[str, dict[str, frozenset[str] | None]] = {
    "NUMBER": {},
    "DATE": {"grain": frozenset({"day", "week", "month", "quarter", "year", "decade"})},
    "MONEY": {"currency": CURRENCIES, "low": None, "high": None},
}
MODES = ("longest", "first", "all")
SCOPES = ("sentence", "paragraph", "window")


@dataclass(frozen=True)
class CheckedRule:
    rule: n.Rule
    file: str
    macros: Mapping[str, n.Define]  # the macros visible where the rule is written
    order: int  # position in load order: the last tie-break


@dataclass(frozen=True)
class CheckedRules:
    strata: tuple[tuple[CheckedRule, ...], ...]  # entity rules, dependencies first
    statements: tuple[CheckedRule, ...]
    types: frozenset[str]
    lexicons: tuple[Lexicon, ...]
    sources: Mapping[str, SourceFile]
    warnings: tuple[Diagnostic, ...]
    scopes: Mapping[str, Mapping[str, n.Define]]  # file -> the macros visible in it
    schema: Schema = NOTHING  # what the rule files declare for the passes after matching


class _Checker:
    def __init__(self, rs: RuleSet):
        self.rs = rs
        self.errors: list[Diagnostic] = []
        self.by_path = {f.path: f for f in rs.files}
        entity_types = {r.name for f in rs.files for r in f.rules if r.kind == "entity"}
        self.types = frozenset(entity_types | {lx.type for lx in rs.lexicons} | BUILTIN_TYPES)
        self.warnings: list[Diagnostic] = []
        # type -> attribute -> the values its annotations have (None: any value)
        self.attributes: dict[str, dict[str, set[str] | None]] = {
            t: {k: None if v is None else set(v) for k, v in attrs.items()}
            for t, attrs in BUILTIN_ATTRIBUTES.items()
        }
        for lx in rs.lexicons:
            known = self.attributes.setdefault(lx.type, {})
            for entry in lx.entries:
                for key, value in entry.attrs:
                    values = known.setdefault(key, set())
                    if values is not None:
                        values.add(value)
        self.declared = declared(rs)  # file -> the types it declares (ie_dsl/language/scoping.py)

    def macros_for(self, f: n.RuleFile) -> dict[str, n.Define]:
        scope: dict[str, n.Define] = {}
        for used in self.rs.imports.get(f.path, []):
            if used in self.by_path:
                scope.update({d.name: d for d in self.by_path[used].defines})
        own: dict[str, n.Define] = {}
        for d in f.defines:
            if d.name in own:
                self.errors.append(
                    Diagnostic(
                        "E214", f"{d.name} is defined twice in this file", d.span, "rename one of them"
                    )
                )
            own[d.name] = d
        # a macro hides only a type its file sees (its rule root's, or a used file's)
        self.errors += hidden_types(self.rs, f, self.by_path, BUILTIN_TYPES, self.declared)
        scope.update(own)
        return scope

    def check_pattern(
        self, pattern: n.Pattern, macros: Mapping[str, n.Define], params: frozenset[str]
    ) -> set[str]:
        """Report unknown names and literals that are not the tokens they must be (E223); return
        the types the pattern uses (through macros too)."""
        used: set[str] = set()
        nodes = list(n.walk(pattern))
        for node in nodes:
            if isinstance(node, n.Ref):
                self._check_ref(node, macros, params, used)
                if node.where is not None:
                    self._check_where(node.name, node.where, node.span, macros, params)
            elif isinstance(node, n.TokenSet):
                for t in n.token_types(node.test):
                    if t.name in self.types:
                        used.add(t.name)
                    elif t.name in macros or t.name in params:
                        what = "a macro" if t.name in macros else "a macro parameter"
                        message = f"{t.name} is {what}: only a type can be tested in [ ]"
                        hint = f"write it without brackets: {t.name}"
                        self.errors.append(Diagnostic("E210", message, t.span, hint))
                    else:
                        self._unknown(t.name, t.span, macros)
                    if t.where is not None:
                        self._check_where(t.name, t.where, t.span, macros, params)
            elif isinstance(node, n.Gap) and node.max is not None and node.max < node.min:
                self.errors.append(Diagnostic("E222", "a gap's maximum is below its minimum", node.span))
            elif isinstance(node, n.Repeat) and node.max is not None and node.max < node.min:
                self.errors.append(Diagnostic("E222", "a repeat's maximum is below its minimum", node.span))
        self.errors += literal_problems(nodes)
        self.errors += regex_problems(nodes)
        return used

    def _check_ref(
        self, ref: n.Ref, macros: Mapping[str, n.Define], params: frozenset[str], used: set[str]
    ) -> None:
        if ref.name in params:
            if ref.called:
                self.errors.append(Diagnostic("E211", f"parameter {ref.name} takes no arguments", ref.span))
            return
        if ref.name in macros:
            d = macros[ref.name]
            if len(ref.args) != len(d.params):
                self.errors.append(
                    Diagnostic(
                        "E211",
                        f"{ref.name} takes {len(d.params)} argument(s), {len(ref.args)} given",
                        ref.span,
                        f"defined as {ref.name}({', '.join(d.params)})"
                        if d.params
                        else f"write {ref.name} without ( )",
                    )
                )
            used |= self._macro_types(d, macros, set())
            return
        if ref.name in self.types:
            if ref.called:
                self.errors.append(
                    Diagnostic(
                        "E211",
                        f"type {ref.name} takes no arguments",
                        ref.span,
                        f"put a space before ( to start a group: {ref.name} (...)",
                    )
                )
            used.add(ref.name)
            return
        self._unknown(ref.name, ref.span, macros)

    def _check_where(
        self,
        name: str,
        where: n.AttrTest,
        span: SourceSpan,
        macros: Mapping[str, n.Define],
        params: frozenset[str],
    ) -> None:
        """E228 for a filter on a macro or on an attribute no annotation of the type has;
        W227 for a value none has (where the values are known)."""
        if name not in self.types:
            if name in macros or name in params:
                what = "a macro" if name in macros else "a macro parameter"
                hint = "filter a type: PLACE[kind=country]"
                message = f"{name} is {what}: only a type has attributes"
                self.errors.append(Diagnostic("E228", message, span, hint))
            return  # an unknown name is E210 already
        known = self.attributes.get(name, {})
        for cmp in n.attr_tests(where):
            if cmp.key not in known:
                have = ", ".join(sorted(known))
                hint = suggest(cmp.key, frozenset(known)) or (
                    f"{name} annotations have: {have}"
                    if have
                    else f"no {name} annotation has attributes (only lexicon entries' attrs and "
                    "the built-in DATE and MONEY have them)"
                )
                message = f"{name} annotations have no attribute {cmp.key!r}"
                self.errors.append(Diagnostic("E228", message, cmp.span, hint))
                continue
            values = known[cmp.key]
            if values is None:
                continue
            folded = {v.lower(): v for v in values}
            for text, exact in cmp.values:
                if (text in values) if exact else (text.lower() in folded):
                    continue
                close = suggest(text, frozenset(values))
                self.warnings.append(
                    Diagnostic(
                        "W227",
                        f"no {name} annotation has {cmp.key}={text}",
                        cmp.span,
                        close or f"the values of {cmp.key}: " + ", ".join(sorted(values)[:12]),
                        severity="warning",
                    )
                )

    def _macro_types(self, d: n.Define, macros: Mapping[str, n.Define], seen: set[str]) -> set[str]:
        out: set[str] = set()
        if d.name in seen:
            return out
        seen.add(d.name)
        for node in n.walk(d.body):
            if isinstance(node, n.Ref):
                if node.name in self.types:
                    out.add(node.name)
                elif node.name in macros:
                    out |= self._macro_types(macros[node.name], macros, seen)
            elif isinstance(node, n.TokenSet):
                out |= {t.name for t in n.token_types(node.test) if t.name in self.types}
        return out

    def _unknown(self, name: str, span: object, macros: Mapping[str, n.Define]) -> None:
        hint = suggest(name, self.types | set(macros))
        if hint is None:
            hint = (
                f'to match the word literally, quote it: "{name}"; types come from lexicons '
                "(type:), entity rules and the built-ins NUMBER, DATE and MONEY"
            )
        self.errors.append(Diagnostic("E210", f"unknown type or macro {name}", span, hint))  # type: ignore[arg-type]

    def check_macro_cycles(self, f: n.RuleFile, macros: Mapping[str, n.Define]) -> None:
        for d in f.defines:
            if self._reaches(d.name, d.body, macros, set()):
                self.errors.append(
                    Diagnostic(
                        "E212",
                        f"macro {d.name} refers to itself",
                        d.span,
                        "macros are expanded, so they cannot be recursive",
                    )
                )

    def _reaches(self, target: str, body: n.Pattern, macros: Mapping[str, n.Define], seen: set[str]) -> bool:
        for node in n.walk(body):
            if isinstance(node, n.Ref) and node.name in macros:
                if node.name == target:
                    return True
                if node.name not in seen:
                    seen.add(node.name)
                    if self._reaches(target, macros[node.name].body, macros, seen):
                        return True
        return False

    def check_rule(self, rule: n.Rule, macros: Mapping[str, n.Define]) -> set[str]:
        spans = dict(rule.option_spans)
        if rule.mode not in MODES:
            self.errors.append(
                Diagnostic(
                    "E216",
                    f"unknown mode {rule.mode!r}",
                    spans.get("mode", rule.span),
                    suggest(rule.mode, frozenset(MODES)) or "use longest, first or all",
                )
            )
        if rule.scope not in SCOPES or rule.window < 1 or (rule.scope != "window" and rule.window != 1):
            self.errors.append(
                Diagnostic(
                    "E217",
                    "scope window needs a whole number of sentences, at least 1"
                    if rule.scope == "window"
                    else f"unknown scope {rule.scope!r}" + (f" {rule.window}" if rule.window != 1 else ""),
                    spans.get("scope", rule.span),
                    "use sentence, paragraph, or window N (N sentences)",
                )
            )
        if rule.kind == "entity" and rule.emit is not None:
            self.errors.append(
                Diagnostic(
                    "E219",
                    f"entity {rule.name} cannot emit a statement",
                    rule.emit.span,
                    f"an entity rule makes {rule.name} annotations; use `rule` to emit statements",
                )
            )
        self.errors += reserved_fields(rule)
        return self.check_pattern(rule.pattern, macros, frozenset())


def _where(cr: CheckedRule, sources: Mapping[str, SourceFile]) -> str:
    src = sources.get(cr.file)
    return f"{cr.file}:{src.line_col(cr.rule.span.start)[0]}" if src else cr.file


def _order_entities(
    deps: dict[int, set[str]],
    entity_rules: list[CheckedRule],
    errors: list[Diagnostic],
    sources: Mapping[str, SourceFile],
) -> tuple[tuple[CheckedRule, ...], ...]:
    """Group entity rules into strata: a type is made only after every type it uses."""
    producers: dict[str, list[int]] = {}
    for i, cr in enumerate(entity_rules):
        producers.setdefault(cr.rule.name, []).append(i)
    type_deps = {t: set().union(*(deps[i] for i in idx)) & producers.keys() for t, idx in producers.items()}
    level: dict[str, int] = {}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(t: str, path: list[str]) -> int:
        if state.get(t) == 2:
            return level[t]
        if state.get(t) == 1:
            cycle = path[path.index(t) :] + [t]
            rules = [entity_rules[i] for c in cycle[:-1] for i in producers[c]]
            where = ", ".join(f"{cr.rule.name} ({_where(cr, sources)})" for cr in rules)
            errors.append(
                Diagnostic(
                    "E215",
                    "entity rules depend on each other in a cycle: " + " -> ".join(cycle),
                    rules[0].rule.span,
                    f"rules in the cycle: {where}",
                )
            )
            return 0
        state[t] = 1
        lv = 1 + max((visit(d, path + [t]) for d in sorted(type_deps[t])), default=-1)
        state[t] = 2
        level[t] = lv
        return lv

    for t in sorted(producers):
        visit(t, [])
    if not level:
        return ()
    strata: list[list[CheckedRule]] = [[] for _ in range(max(level.values()) + 1)]
    for cr in entity_rules:
        strata[level.get(cr.rule.name, 0)].append(cr)
    return tuple(tuple(s) for s in strata if s)


def check(rs: RuleSet) -> CheckedRules:
    """Resolve and order the rules of `rs`. Raises IEDslError with every problem found,
    including the files that failed to load."""
    checked, errors = check_all(rs)
    if errors:
        raise IEDslError(errors + list(checked.warnings))
    return checked


def check_all(rs: RuleSet) -> tuple[CheckedRules, list[Diagnostic]]:
    """Like check(), but returns the errors beside what could be checked (for `iedsl check`,
    which goes on to report problems of later stages too)."""
    c = _Checker(rs)
    entity_rules: list[CheckedRule] = []
    statements: list[CheckedRule] = []
    deps: dict[int, set[str]] = {}
    names: dict[str, n.Rule] = {}
    order = 0
    scopes: dict[str, Mapping[str, n.Define]] = {}
    for f in rs.files:
        macros = scopes[f.path] = c.macros_for(f)
        c.check_macro_cycles(f, macros)
        for d in f.defines:
            c.check_pattern(d.body, macros, frozenset(d.params))
        for rule in f.rules:
            used = c.check_rule(rule, macros)
            cr = CheckedRule(rule, f.path, macros, order)
            order += 1
            if rule.kind == "entity":
                deps[len(entity_rules)] = used
                entity_rules.append(cr)
                continue
            if rule.name in names:
                c.errors.append(
                    Diagnostic(
                        "E213",
                        f"rule {rule.name} is defined twice",
                        rule.span,
                        "rule names identify statements' provenance; rename one",
                    )
                )
            names[rule.name] = rule
            statements.append(cr)
    for f in rs.files:  # once the macros of every file are known (a body is read in its own):
        # W226, E218, E227, W229
        for d in f.defines:
            c.warnings += misplaced_anchors(d.body, scopes[f.path], c.types, scopes, frozenset(d.params))
        for rule in f.rules:
            c.warnings += misplaced_anchors(rule.pattern, scopes[f.path], c.types, scopes)
            c.errors += unknown_captures(rule, scopes[f.path], scopes, c.types)
            c.errors += open_repeat(rule, scopes[f.path], scopes, c.types)
            c.warnings += no_grammar(rule, scopes[f.path])
    strata = _order_entities(deps, entity_rules, c.errors, rs.sources)
    schema, said = build_schema(rs.files, rs.sources, frozenset(c.types))
    c.errors += [d for d in said if d.severity != "warning"]
    warnings = [*rs.warnings, *c.warnings, *_unused(rs, entity_rules, schema.types)]
    warnings += [d for d in said if d.severity == "warning"]
    checked = CheckedRules(
        strata, tuple(statements), c.types, tuple(rs.lexicons), rs.sources, tuple(warnings), scopes, schema
    )
    return checked, rs.errors + c.errors


LOOSE_PREFIXES = ("LOOSE_", "NOMINAL_")  # the macros loose.py looks up by name


def _unused(rs: RuleSet, entity_rules: list[CheckedRule], declared: frozenset[str]) -> list[Diagnostic]:
    """Warnings for what nothing uses (a type the declarations name is used: the passes read
    it), and for types nothing can create."""
    mentioned: set[str] = set(declared)
    bodies = [r.pattern for f in rs.files for r in f.rules] + [d.body for f in rs.files for d in f.defines]
    for body in bodies:
        for node in n.walk(body):
            if isinstance(node, n.Ref):
                mentioned.add(node.name)
            elif isinstance(node, n.TokenSet):
                mentioned.update(t.name for t in n.token_types(node.test))
    if any(r.loose for f in rs.files for r in f.rules):  # loose rules use a grammar's macros by name
        mentioned.update(d.name for f in rs.files for d in f.defines if d.name.startswith(LOOSE_PREFIXES))
    out = [
        Diagnostic(
            "W201",
            f"define {d.name} is never used",
            d.span,
            "remove it, or use it in a rule",
            severity="warning",
        )
        for f in rs.files
        for d in f.defines
        if d.name not in mentioned
    ]
    made = {cr.rule.name for cr in entity_rules}
    for lex in rs.lexicons:
        span = SourceSpan(lex.path, 0, 1)
        if lex.type not in mentioned:
            out.append(
                Diagnostic(
                    "W202",
                    f"lexicon type {lex.type} is never used by a rule",
                    span,
                    f"refer to it as {lex.type} in a pattern, or drop the file",
                    severity="warning",
                )
            )
        elif (
            not lex.phrases
            and lex.type not in made
            and all(other.type != lex.type or not other.phrases for other in rs.lexicons)
        ):
            out.append(
                Diagnostic(
                    "W203",
                    f"nothing creates {lex.type}: its lexicon has no entries",
                    span,
                    "rules that need it can never match",
                    severity="warning",
                )
            )
    return out
