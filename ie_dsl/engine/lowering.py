"""Lower checked rules to IR: expand macros hygienically, tokenize literals, add implicit
captures, and resolve `=>` arguments to capture slots.

`lower(checked)` -> ir.Lowered (entity strata, statement rules) as RuleIR, or IEDslError.

Hygiene: a macro's parameters are substituted as patterns (never as text), names in its
body resolve where the macro is defined, and the types it mentions are never captured
implicitly, so using a macro adds no capture the rule did not ask for. Captures written
explicitly in a macro body (`speaker:PERSON`) are the macro's named parts: they become
captures of the rule that uses it. Nothing inside a look-around is captured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.engine import ir
from ie_dsl.engine.expansion import MAX_EXPANSION, MAX_EXPANSION_TOTAL, Expansion
from ie_dsl.engine.ir import nullable
from ie_dsl.engine.irbuild import alt, consumes, direct_types, seq
from ie_dsl.language import loose
from ie_dsl.language import nodes as n
from ie_dsl.language.analysis import TOKEN_CLASSES, CheckedRule, CheckedRules
from ie_dsl.language.attrfilter import derived_name
from ie_dsl.source import SourceSpan
from ie_dsl.text.morph import inflections
from ie_dsl.text.segment import FINAL_ABBREVIATIONS, literal_tokens, norm, norms, plain_word

DEFAULT_GAP = 6  # `...` without bounds means `...{0,6}`
_EACH = re.compile(r"each\((\w+)\)")  # a YAML emit's `role: each(capture)`


@dataclass
class _RuleScope:
    """What lowering one rule accumulates: capture slots, and where to report problems."""

    rule: n.Rule
    captures: list[ir.CaptureInfo] = field(default_factory=list)
    explicit: dict[str, int] = field(default_factory=dict)  # name -> its one slot
    implicit: list[int] = field(default_factory=list)  # slots named once lowering is done
    errors: list[Diagnostic] = field(default_factory=list)

    def new_slot(self, name: str, types: tuple[str, ...], implicit: bool) -> int:
        """A capture slot. Explicit captures of one name share a slot, so the one set last
        wins; implicit ones get their final names in `name_implicit()`."""
        if not implicit and name in self.explicit:
            slot = self.explicit[name]
            old = self.captures[slot]
            self.captures[slot] = ir.CaptureInfo(
                name, old.types + tuple(t for t in types if t not in old.types)
            )
            return slot
        self.captures.append(ir.CaptureInfo(name, types))
        slot = len(self.captures) - 1
        if implicit:
            self.implicit.append(slot)
        else:
            self.explicit[name] = slot
        return slot

    def name_implicit(self) -> None:
        """place, place_2, ...: in order of appearance, never an explicit capture's name."""
        taken = set(self.explicit)
        counts: dict[str, int] = {}
        for slot in self.implicit:
            base, types = self.captures[slot].name, self.captures[slot].types
            self.captures[slot] = ir.CaptureInfo(n.implicit_name(base, counts, taken), types)


class _Lowerer:
    def __init__(self, types: frozenset[str], scopes: Mapping[str, Mapping[str, n.Define]]):
        self.types = types
        self.scopes = scopes  # a macro body resolves names in the file that defines it

    def test(self, t: n.TokenTest) -> ir.Test:
        # a word, string or lemma of more or fewer tokens than one is E223, found before
        # lowering (language/rulechecks.py): here it stands for its first token (or last)
        match t:
            case n.TWord() if t.text in TOKEN_CLASSES and not t.literal:
                return ir.TClass(t.text)
            case n.TWord():
                return ir.TNorm(frozenset(norm(x) for x in literal_tokens(t.text)[:1]))
            case n.TExact():
                return ir.TText(frozenset(literal_tokens(t.text)[:1]))
            case n.TLemma():
                toks = literal_tokens(t.lemma)
                return ir.TNorm(inflections(norm(toks[-1] if toks else t.lemma)))
            case n.TRegex():  # (E224, a regex RE2 refuses, is found before lowering: rulechecks.py)
                return ir.TRe(t.pattern, t.flags)
            case n.TType():
                return ir.TIn(t.name if t.where is None else derived_name(t.name, t.where))
            case n.TNot():
                return ir.TNot(self.test(t.test))
            case n.TAnd():
                return ir.TAnd(tuple(self.test(x) for x in t.tests))
            case n.TOr():
                parts = [self.test(x) for x in t.tests]
                if all(isinstance(p, ir.TNorm) for p in parts):
                    return ir.TNorm(frozenset().union(*(p.forms for p in parts)))  # type: ignore[union-attr]
                return ir.TOr(tuple(parts))
            case _:
                n.unknown(t)

    def words(self, text: str, exact: bool) -> ir.Node:
        toks = literal_tokens(text)
        if not toks:  # E223 (language/rulechecks.py)
            return ir.Seq(())

        def one(x: str) -> ir.Node:
            node: ir.Node = ir.Tok(ir.TText(frozenset([x])) if exact else ir.TNorm(frozenset([norm(x)])))
            if x in FINAL_ABBREVIATIONS:  # `Inc.` is also the `Inc` and full stop ending a sentence
                node = ir.Alt((node, ir.Seq((one(x[:-1]), one(".")))))
            return node

        return seq([one(x) for x in toks])

    @staticmethod
    def one_words(options: tuple[n.Pattern, ...]) -> list[str | None]:
        """Per option, the norm of its word if it is a plain word (one token, lowered by
        `words` to one set test), else None; normalized in bulk (segment.norms): an
        alternation may have 100,000 words."""
        texts = [p.text if isinstance(p, n.Word) and plain_word(p.text) else "" for p in options]
        return [form or None for form in norms(texts)]

    def node(
        self,
        p: n.Pattern,
        scope: _RuleScope,
        macros: Mapping[str, n.Define],
        params: Mapping[str, ir.Node],
        private: bool,
        captured: bool,
    ) -> ir.Node:
        """Lower one pattern node. `private`: inside a look-around (nothing is captured);
        `captured`: inside an explicit capture or a macro body (no implicit captures)."""

        def sub(q: n.Pattern, cap: bool = captured) -> ir.Node:
            return self.node(q, scope, macros, params, private, cap)

        match p:
            case n.Word():
                return self.words(p.text, False)
            case n.Exact():
                return self.words(p.text, True)
            case n.TokenSet(test=n.TLemma(lemma=lemma)) if len(literal_tokens(lemma)) > 1:
                toks = literal_tokens(lemma)  # ~cross-border: inflect the last token only
                head = [ir.Tok(ir.TNorm(frozenset([norm(x)]))) for x in toks[:-1]]
                return seq(head + [ir.Tok(ir.TNorm(inflections(norm(toks[-1]))))])
            case n.TokenSet():
                return ir.Tok(self.test(p.test))
            case n.AnyToken():
                return ir.Tok(ir.TTrue())
            case n.Gap():
                hi = p.max if p.max is not None or p.open else max(DEFAULT_GAP, p.min)
                return ir.Rep(ir.Tok(ir.TTrue()), p.min, hi, greedy=False)
            case n.Seq():
                return seq([sub(x) for x in p.items])
            case n.Alt():
                return alt([w or sub(x) for w, x in zip(self.one_words(p.options), p.options, strict=True)])
            case n.Repeat():
                return ir.Rep(sub(p.pattern), p.min, p.max, p.greedy, lazy=not p.greedy)
            case n.Look():  # zero-width: nothing inside is captured
                inner = self.node(p.pattern, scope, macros, params, private=True, captured=True)
                return ir.Look(inner, p.ahead, p.negate)
            case n.Anchor():
                return ir.Assert(p.at_start)
            case n.Capture():
                inner = sub(p.pattern, cap=True)
                if private:
                    return inner
                return ir.Cap(scope.new_slot(p.name, direct_types(inner), implicit=False), inner)
            case n.Ref():
                return self.ref(p, scope, macros, params, private, captured)
            case _:
                n.unknown(p)

    def ref(
        self,
        p: n.Ref,
        scope: _RuleScope,
        macros: Mapping[str, n.Define],
        params: Mapping[str, ir.Node],
        private: bool,
        captured: bool,
    ) -> ir.Node:
        if p.name in params:
            return params[p.name]
        if p.name in macros:
            d = macros[p.name]
            args = {
                name: self.node(a, scope, macros, params, private, captured)
                for name, a in zip(d.params, p.args, strict=False)
            }
            home = self.scopes.get(d.span.file, macros)
            inner = self.node(d.body, scope, home, args, private, captured=True)
        else:
            inner = ir.Ann(p.name if p.where is None else derived_name(p.name, p.where))
        if private or captured:
            return inner
        return ir.Cap(scope.new_slot(p.name.lower(), direct_types(inner), implicit=True), inner)


def _type_of(p: n.Pattern, types: frozenset[str]) -> str | None:
    """The type an element stands for, if it is one type reference (maybe captured)."""
    while isinstance(p, n.Capture):
        p = p.pattern
    return p.name if isinstance(p, n.Ref) and p.name in types and not p.args else None


def _slots(scope: _RuleScope, name: str | None) -> tuple[int, ...]:
    """Every slot captured under `name` (alternatives may each capture it)."""
    return tuple(i for i, c in enumerate(scope.captures) if c.name == name)


def _lower_loose(
    lowerer: _Lowerer, cr: CheckedRule, scope: _RuleScope, types: frozenset[str]
) -> list[ir.Variant]:
    """A loose rule's variants (loose.layout), each with one IR item per part: the elements
    lowered as written, the grammar's gaps and glue without captures; so explanations can
    say what each element and gap took."""
    variants = []
    for parts in loose.layout(cr.rule.pattern, cr.macros, types):
        items = []
        for part in parts:
            glue = part.kind in ("gap", "NOM")  # inserted by the expansion: never captured
            lead = [lowerer.node(x, scope, cr.macros, {}, private=False, captured=True) for x in part.lead]
            item = lowerer.node(part.node, scope, cr.macros, {}, private=False, captured=glue)
            items.append(seq([*lead, item]) if lead else item)
        elements = tuple((p.node.span, None if p.kind == "gap" else _type_of(p.node, types)) for p in parts)
        gaps = tuple(p.label if p.kind == "gap" or p.inserted else None for p in parts)
        variants.append(ir.Variant(loose.shape(parts), ir.Seq(tuple(items)), elements, gaps))
    return variants


def lower_rule(
    cr: CheckedRule, types: frozenset[str], scopes: Mapping[str, Mapping[str, n.Define]]
) -> tuple[ir.RuleIR | None, list[Diagnostic]]:
    """One checked rule -> RuleIR (or None) and the problems found."""
    rule = cr.rule
    scope = _RuleScope(rule)
    lowerer = _Lowerer(types, scopes)
    if rule.loose:
        shapes = _lower_loose(lowerer, cr, scope, types)
        if len(shapes) == 1:
            (only,) = shapes
            pattern, elements, gaps, variants = only.pattern, only.elements, only.gaps, ()
        else:  # one choice of the variants, which the explanations take apart again
            pattern = ir.Alt(tuple(seq(list(v.pattern.items)) for v in shapes))
            elements, gaps, variants = ((rule.pattern.span, None),), (), tuple(shapes)
    else:
        written = rule.pattern.items if isinstance(rule.pattern, n.Seq) else (rule.pattern,)
        # One IR item per written element (not flattened), so explanations can say which failed.
        items = [lowerer.node(p, scope, cr.macros, {}, private=False, captured=False) for p in written]
        pattern = items[0] if len(items) == 1 else ir.Seq(tuple(items))
        elements = tuple((p.span, _type_of(p, types)) for p in written)
        gaps, variants = (), ()
    scope.name_implicit()
    if nullable(pattern):  # allowed: the matcher reports only matches of one token or more
        some = consumes(pattern)
        scope.errors.append(
            Diagnostic(
                "W225",
                "this pattern can match zero tokens"
                if some
                else "this pattern never matches a token, so the rule never reports anything",
                rule.pattern.span,
                "only non-empty matches are reported; "
                + (
                    "make an item required (check ?, * and {0,n}) if every match should have a token"
                    if some
                    else "add an item that matches a token (look-arounds, anchors and {0} match none)"
                ),
                severity="warning",
            )
        )
    names = [c.name for c in scope.captures]
    args: list[tuple[str, tuple[int, ...]]] = []
    each: list[tuple[str, tuple[str, ...]]] = []
    fields: list[tuple[str, str]] = []
    output = rule.name
    if rule.emit is not None and rule.kind == "rule":
        output = rule.emit.type
        for a in rule.emit.args:
            listed = _EACH.fullmatch(a.capture or "") if not a.each else None
            if a.each or listed:  # role=each(capture): a statement per conjunct
                a = replace(a, capture=listed.group(1) if listed else a.capture, each=True)
                if a.capture in names:
                    each.append((a.role, _inner_types(pattern, set(_slots(scope, a.capture)))))
            if a.const is not None:  # a reserved name is E220 (language/rulechecks.py)
                fields.append((a.role, a.const))
            elif a.capture == n.RESOLVED:  # no capture: attribution fills it (attribution.py)
                args.append((a.role, ()))
            elif a.capture in names:  # (a name of no capture is E218, found before lowering)
                args.append((a.role, _slots(scope, a.capture)))
    elif rule.kind == "rule":
        for name in dict.fromkeys(c.name for c in scope.captures):
            args.append((name, _slots(scope, name)))
    return (
        ir.RuleIR(
            name=rule.name,
            kind=rule.kind,
            output=output,
            pattern=pattern,
            captures=tuple(scope.captures),
            args=tuple(args),
            fields=tuple(fields),
            priority=rule.priority,
            mode=rule.mode,
            scope=rule.scope,
            window=rule.window,
            group=rule.group or output,
            file=cr.file,
            line=0,  # filled in by lower(), which has the sources
            span=rule.span,
            elements=elements,
            gaps=gaps,
            variants=variants,
            order=cr.order,
            each=tuple(each),
        ),
        scope.errors,
    )


def lower(checked: CheckedRules, warnings: list[Diagnostic] | None = None) -> ir.Lowered:
    """All checked rules -> ir.Lowered: (entity strata, statement rules) as IR. Raises IEDslError with
    the errors found; the warnings found (W225) are added to `warnings` when it is given.

    A rule whose macros would expand past MAX_EXPANSION elements, or the rule at which the
    rule set passes MAX_EXPANSION_TOTAL, is E406 and is not expanded at all (nor is any
    later rule that uses macros, once the total is passed)."""
    errors: list[Diagnostic] = []
    expansion = Expansion(checked.scopes)
    total = 0

    def where(span: SourceSpan) -> str:
        source = checked.sources.get(span.file)
        return f"{span.file}:{source.line_col(span.start)[0]}" if source else span.file

    def fits(cr: CheckedRule) -> bool:
        nonlocal total
        uses = expansion.added(cr.rule.pattern, cr.macros)
        added = sum(k for _use, k in uses)
        if added == 0:
            return True
        if total > MAX_EXPANSION_TOTAL:  # reported once, at the rule that passed it
            return False
        name = cr.rule.name
        if added > MAX_EXPANSION:
            use, k = max(uses, key=lambda pair: pair[1])
            grows = expansion.culprit(use, cr.macros, MAX_EXPANSION)
            what = f"macro {use.name}" if k > MAX_EXPANSION else f"the macros of rule {name}"
            errors.append(
                Diagnostic(
                    "E406",
                    f"{what} would expand to more than {MAX_EXPANSION} pattern elements in rule {name}",
                    use.span,
                    f"{grows.name} ({where(grows.span)}) is where it grows past the limit: each use "
                    "of a macro or of a parameter copies its whole pattern, so a macro that uses "
                    "another twice is twice its size; put long lists of words in a lexicon",
                )
            )
            return False
        total += added
        if total > MAX_EXPANSION_TOTAL:
            errors.append(
                Diagnostic(
                    "E406",
                    f"macros would expand to more than {MAX_EXPANSION_TOTAL} pattern elements over "
                    f"all rules, passed at rule {name}",
                    cr.rule.span,
                    "each use of a macro copies its whole pattern: put long lists of words in a "
                    "lexicon, or run several rule sets",
                )
            )
            return False
        return True

    def one(cr: CheckedRule) -> ir.RuleIR | None:
        if not fits(cr):
            return None
        rir, diags = lower_rule(cr, checked.types, checked.scopes)
        errors.extend(d for d in diags if d.severity == "error")
        if warnings is not None:
            warnings.extend(d for d in diags if d.severity != "error")
        if rir is None:
            return None
        source = checked.sources.get(cr.file)
        line = source.line_col(cr.rule.span.start)[0] if source else 0
        return replace(rir, line=line)

    strata = tuple(tuple(r for r in (one(cr) for cr in stratum) if r) for stratum in checked.strata)
    statements = tuple(r for r in (one(cr) for cr in checked.statements) if r)
    if errors:
        raise IEDslError(errors)
    return ir.Lowered(strata, statements)


def _inner_types(node: ir.Node, slots: set[int], inside: bool = False) -> tuple[str, ...]:
    """The types of the annotations matched inside the captures `slots` of `node` (not in
    look-arounds), in the order written: what `each(capture)` splits the capture into."""
    out: list[str] = []
    stack: list[tuple[ir.Node, bool]] = [(node, inside)]
    while stack:
        item, within = stack.pop()
        match item:
            case ir.Ann():
                if within and item.type not in out:
                    out.append(item.type)
            case ir.Cap():
                stack.append((item.item, within or item.slot in slots))
            case ir.Seq():
                stack.extend((p, within) for p in reversed(item.items))
            case ir.Alt():
                stack.extend((p, within) for p in reversed(item.options))
            case ir.Rep():
                stack.append((item.item, within))
            case ir.Tok() | ir.Look() | ir.Assert():  # not an annotation; none in look-arounds
                pass
            case _:
                ir.unknown(item)
    return tuple(out)
