"""Loose rules: a skeleton of words and types, with English allowed in between.

`rule r loose: ORG warns of THREAT from PLACE` names the skeleton of a clause. This module
decides, from the rule's elements and the English phrase grammar the rule can see (an
ordinary rule file, rules/english.ie in the shipped pack), what the matcher allows between
them and which variants of the clause are also matched. It knows no English itself: every
word list and phrase shape comes from macros of the grammar, found by name:

- each element is a noun phrase `N` (a type or a choice of types, maybe captured, or a
  macro that stands for one), a particle `P` (a word that the grammar's `LOOSE_PARTICLE`
  lists: of, from, about ...) or a predicate `V` (anything else: a verb, `~lemma`, a
  macro of verb phrases);
- between two elements of kinds X and Y stands the macro `LOOSE_X_Y` if the grammar
  defines it (`LOOSE_N_V`: apposition, relative clauses set off by commas, auxiliaries,
  negation, adverbs ...); before the first element `LOOSE_START_X`, after the last
  `LOOSE_X_END` (look-arounds that refuse a type buried in another phrase, for instance);
- a plain word in predicate position matches every form of its verb (`warns`: `~warn`);
- voice: for `N1 V N2 ...` (a direct object, V one verb or a choice of verbs), the
  passive `N2 LOOSE_PASSIVE V-participle by N1 ...`; where the grammar defines
  `NOMINAL_<VERB>` (NOMINAL_ACQUIRE = acquisition | takeover), the nominalizations
  `N1 's NOMINAL of N2 ...` and `NOMINAL of N2 by N1 ...`.

`layout(pattern, macros, types)` -> a Layout: one list of Parts per variant, the active
clause first; `shape(parts)` names a variant (active, passive, nominalization). Lowering
turns each Part into IR: elements as written (captures and all), glue (the grammar's
macros, `'s`, `by` ...) without captures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ie_dsl.language import nodes as n
from ie_dsl.text.morph import lemmas, participles

PARTICLES = "LOOSE_PARTICLE"  # the grammar's macro listing particle words
PASSIVE = "LOOSE_PASSIVE"  # the grammar's passive auxiliary group (was, has been, is being ...)


@dataclass(frozen=True, slots=True)
class Part:
    """One element of a loose pattern, `kind` N, P, V (or NOM, a nominalized verb), with
    the glue that the expansion puts right before it after any gap (`lead`: the passive's
    auxiliaries, a possessive), or a gap of the grammar (`kind` "gap"). Glue and gaps are
    never captured. `inserted`: an element the expansion added (a passive's `by`, a
    nominalization's noun and `of`), which the rule does not have where its span points."""

    kind: str
    node: n.Pattern
    label: str  # what an explanation calls it: the element as written, or the macro's name
    lead: tuple[n.Pattern, ...] = ()
    inserted: bool = False


Layout = tuple[tuple[Part, ...], ...]  # variants, the active clause first


def layout(pattern: n.Pattern, macros: Mapping[str, n.Define], types: frozenset[str]) -> Layout:
    """The variants of a loose rule's pattern, each as a sequence of elements and glue."""
    written = _named(pattern.items if isinstance(pattern, n.Seq) else (pattern,))
    particles = _words(macros.get(PARTICLES))
    kinds = [_kind(e, particles, types, macros) for e in written]
    elements = [
        Part(k, _as_verb(e) if k == "V" else e, _label(e)) for e, k in zip(written, kinds, strict=True)
    ]
    variants = [_glued(elements, macros)]
    verb = next((i for i, k in enumerate(kinds) if k == "V"), None)
    if verb is not None and 0 < verb < len(kinds) - 1 and kinds[verb - 1] == "N":
        lemma_set = _lemmas(written[verb])
        if kinds[verb + 1] == "N" and lemma_set and PASSIVE in macros:
            variants.append(_glued(_passive(elements, verb, lemma_set), macros))
        for lemma in sorted(lemma_set):
            nominal = macros.get(f"NOMINAL_{lemma.upper()}")
            if nominal is not None:
                variants.extend(_glued(v, macros) for v in _nominal(elements, verb, nominal))
    return tuple(variants)


def _named(written: tuple[n.Pattern, ...]) -> tuple[n.Pattern, ...]:
    """The elements with the captures a type or macro written alone makes implicitly
    (`ORG` -> `org:ORG`, `org_2` ...) written out, so that every variant, where an element
    may stand twice or elsewhere, fills the same names."""
    taken = {e.name for e in written if isinstance(e, n.Capture)}
    counts: dict[str, int] = {}
    out = []
    for e in written:
        if isinstance(e, n.Ref):
            e = n.Capture(n.implicit_name(e.name.lower(), counts, taken), e, e.span)
        out.append(e)
    return tuple(out)


def _kind(
    e: n.Pattern, particles: frozenset[str], types: frozenset[str], macros: Mapping[str, n.Define]
) -> str:
    inner = e.pattern if isinstance(e, n.Capture) else e
    if _is_type(inner, types, macros):
        return "N"
    options = inner.options if isinstance(inner, n.Alt) else (inner,)
    if all(isinstance(o, n.Word) and o.text.lower() in particles for o in options):
        return "P"  # a particle, or a choice of particles: (of | about)
    return "V"


def _is_type(
    p: n.Pattern, types: frozenset[str], macros: Mapping[str, n.Define], seen: frozenset[str] = frozenset()
) -> bool:
    """A type, or a choice of types (`ORG | PLACE`), maybe captured inside, or a macro
    without parameters that stands for one (`define HOLDER = ORG | PLACE`): a noun phrase."""
    if isinstance(p, n.Capture):
        return _is_type(p.pattern, types, macros, seen)
    if isinstance(p, n.Alt):
        return all(_is_type(o, types, macros, seen) for o in p.options)
    if not isinstance(p, n.Ref):
        return False
    if p.name in types:
        return True
    d = macros.get(p.name)
    return (
        d is not None
        and not d.params
        and not p.args
        and p.name not in seen
        and _is_type(d.body, types, macros, seen | {p.name})
    )


def _label(e: n.Pattern) -> str:
    inner = e.pattern if isinstance(e, n.Capture) else e
    if isinstance(inner, n.Ref):
        return inner.name
    if isinstance(inner, n.Word):
        return inner.text
    return type(inner).__name__.lower()


def _words(d: n.Define | None) -> frozenset[str]:
    """The plain words of a macro that is an alternation of words."""
    if d is None:
        return frozenset()
    body = d.body.options if isinstance(d.body, n.Alt) else (d.body,)
    return frozenset(o.text.lower() for o in body if isinstance(o, n.Word))


def _lemmas(e: n.Pattern) -> frozenset[str]:
    """The verbs a predicate element names: `warns` -> {warn}, `~acquire` -> {acquire},
    `(~destabilize | ~destabilise)` -> both; nothing if one option is not a verb."""
    inner = e.pattern if isinstance(e, n.Capture) else e
    if isinstance(inner, n.Word) and " " not in inner.text.strip():
        return lemmas(inner.text.lower())
    if isinstance(inner, n.TokenSet) and isinstance(inner.test, n.TLemma):
        return frozenset([inner.test.lemma.lower()])
    if isinstance(inner, n.Alt):
        each = [_lemmas(o) for o in inner.options]
        return frozenset().union(*each) if all(each) else frozenset()
    return frozenset()


def _as_verb(e: n.Pattern) -> n.Pattern:
    """A plain one-word predicate matches every form of its verb(s), as `~verb` would. (A
    choice of words is matched as written: `(high | elevated)` are not verb forms.)"""
    inner = e.pattern if isinstance(e, n.Capture) else e
    if not isinstance(inner, n.Word) or " " in inner.text.strip():
        return e
    forms: list[n.Pattern] = [
        n.TokenSet(n.TLemma(lemma, inner.span), inner.span) for lemma in sorted(lemmas(inner.text.lower()))
    ]
    verb: n.Pattern = forms[0] if len(forms) == 1 else n.Alt(tuple(forms), inner.span) if forms else inner
    return n.Capture(e.name, verb, e.span) if isinstance(e, n.Capture) else verb


def _glued(parts: list[Part], macros: Mapping[str, n.Define]) -> tuple[Part, ...]:
    """Elements with the grammar's gap macro between each two (by their kinds)."""
    out: list[Part] = []
    prev = "START"
    for part in parts:
        name = f"LOOSE_{prev}_{part.kind}"
        if name in macros:
            out.append(Part("gap", n.Ref(name, (), part.node.span), name))
        out.append(part)
        prev = part.kind
    if f"LOOSE_{prev}_END" in macros:
        out.append(Part("gap", n.Ref(f"LOOSE_{prev}_END", (), parts[-1].node.span), f"LOOSE_{prev}_END"))
    return tuple(out)


def shape(parts: tuple[Part, ...]) -> str:
    """What a variant of layout() is: "passive" (the passive's auxiliaries lead its verb),
    "nominalization" (a nominalized verb stands for it) or "active"."""
    if any(p.kind == "NOM" for p in parts):
        return "nominalization"
    if any(isinstance(x, n.Ref) and x.name == PASSIVE for p in parts for x in p.lead):
        return "passive"
    return "active"


def _passive(elements: list[Part], verb: int, lemma_set: frozenset[str]) -> list[Part]:
    """`N1 V N2 rest` -> `N2 <passive auxiliaries> V-participle by N1 rest`."""
    subject, v, obj = elements[verb - 1], elements[verb], elements[verb + 1]
    span = v.node.span
    forms = sorted({f for lemma in lemma_set for f in participles(lemma)})
    words = tuple(n.Word(f, span) for f in forms)
    participle: n.Pattern = n.Alt(words, span) if len(words) > 1 else words[0]
    if isinstance(v.node, n.Capture):
        participle = n.Capture(v.node.name, participle, span)
    verb_part = Part("V", participle, v.label, lead=(n.Ref(PASSIVE, (), span),))
    by = Part("P", n.Word("by", span), "by", inserted=True)
    return [*elements[: verb - 1], obj, verb_part, by, subject, *elements[verb + 2 :]]


def _nominal(elements: list[Part], verb: int, nominal: n.Define) -> list[list[Part]]:
    """`N1 V [of] N2 rest` -> `N1 's NOMINAL of N2 rest`, and `NOMINAL of N2 by N1 rest`."""
    subject, v = elements[verb - 1], elements[verb]
    span = v.node.span
    possessive = n.Alt((n.Word("'s", span), n.Word("’s", span)), span)
    noun = Part("NOM", n.Ref(nominal.name, (), span), nominal.name, inserted=True)
    rest = elements[verb + 1 :]
    if rest and rest[0].kind == "N":
        rest = [Part("P", n.Word("of", span), "of", inserted=True), *rest]
    by = Part("P", n.Word("by", span), "by", inserted=True)
    before = [*elements[: verb - 1], subject, Part("NOM", noun.node, noun.label, (possessive,), True), *rest]
    after = [*elements[: verb - 1], noun, *rest, by, subject]
    return [before, after]
