"""What a rule needs to be worth trying, and the index that finds the rules worth trying.

From a rule's IR: its clauses (sets of atoms, `w:word` / `t:TYPE`, of which a window must
hold one each), where a match may begin (`first`), and what must follow its first element
and how far (`follow`). From the compiled rules of a stage: a RuleIndex, which wakes rules
by their rarest clause or by (first element, next word) pairs, and holds every clause as a
bit so a window is checked against a rule with one integer test. runtime._rule_matches
reads it; docs/architecture.md says why a window pays only for rules that can match it.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, NamedTuple

from ie_dsl.engine import ir
from ie_dsl.text.segment import norm
from ie_dsl.text.view import Pair

if TYPE_CHECKING:
    from ie_dsl.engine.compiler import CompiledRule


@dataclass(frozen=True)
class RuleIndex:
    """The rules of one stage (an entity stratum or the statement rules), indexed by what
    wakes them: the atoms of their rarest clause, or (first element, next word) pairs. A
    rule is tried only in windows that meet all its clauses, from starts where what must
    follow its first element does; so a stage costs what its woken rules cost, however many
    rules it has."""

    rules: tuple[CompiledRule, ...]
    words: dict[str, tuple[int, ...]]  # norm -> indexes into rules
    types: dict[str, tuple[int, ...]]  # annotation type -> indexes into rules
    always: tuple[int, ...]  # rules with no anchor: tried in every window
    # The clauses as bit sets, so that checking a rule against a window is one integer test
    # however many clauses it has: each distinct clause of the stage is a bit, an atom sets
    # the bits of the clauses it is in, and a rule can match in a window only if the bits
    # of the window's atoms cover its mask.
    word_bits: dict[str, int]
    type_bits: dict[str, int]
    masks: tuple[int, ...]  # by rule
    # Rules whose pattern is a choice (a loose rule's variants, an entity's shapes) may
    # also need one of several masks, one per alternative (see `options`); None: no choice.
    choices: tuple[tuple[int, ...] | None, ...]
    # For a rule that begins with a choice (CompiledRule.branches): per option, the masks
    # of its alternatives (a window holds the option if it covers one); None: no branches.
    forks: tuple[tuple[tuple[int, ...], ...] | None, ...]
    first_words: frozenset[str]  # the words other rules start on (sets of up to 8): found in one pass
    # Rules that begin with known words or types followed by known words are woken instead
    # by those pairs, which are much rarer than either: (head, next word) -> rules, where a
    # head is a word, or a type as a 1-tuple.
    pairs: dict[Pair, tuple[int, ...]]
    pair_words: frozenset[str]  # the word heads
    pair_types: frozenset[str]  # the type heads


def clauses(node: ir.Node) -> list[frozenset[str]]:
    """Atoms a window must contain for `node` to match (conjunction of disjunctions)."""
    match node:
        case ir.Tok(test=ir.TNorm(forms=forms)):
            return [frozenset(map("w:".__add__, forms))]
        case ir.Tok(test=ir.TText(texts=texts)):
            return [frozenset(map("w:".__add__, map(norm, texts)))]
        case ir.Tok():  # other tests ([TYPE] included: the annotation may start before the window)
            return []
        case ir.Ann():
            return [frozenset(["t:" + node.type])]
        case ir.Seq():
            return [c for item in node.items for c in clauses(item)]
        case ir.Alt():
            per_option = [clauses(o) for o in node.options]
            if all(per_option):
                return [frozenset().union(*(min(cs, key=len) for cs in per_option))]
            return []
        case ir.Rep():
            return clauses(node.item) if node.min > 0 else []
        case ir.Cap():
            return clauses(node.item)
        case ir.Look():
            return [] if node.negate else clauses(node.item)
        case ir.Assert():
            return []
        case _:
            ir.unknown(node)


MAX_OPTIONS = 32  # alternatives kept apart in `options`; past that, they merge into clauses

Conj = tuple[frozenset[str], ...]  # clauses that must all hold


def options(node: ir.Node) -> list[Conj]:
    """What a window must hold for `node` to match, as alternatives each of which is a
    conjunction of clauses (one holds if all its clauses do): where `clauses` merges the
    options of a choice into one clause of their atoms (`ORG warns | PLACE's warning` needs
    ORG or PLACE, and warns or warning), this keeps them apart (ORG and warns, or PLACE and
    warning). Up to MAX_OPTIONS alternatives; a part with more is taken as its clauses."""
    match node:
        case ir.Alt():
            out: list[Conj] = []
            for o in node.options:
                got = options(o)
                if not all(got):  # an option that needs nothing: the choice needs nothing
                    return [()]
                out += got
            out = _simplest(out)
            return out if len(out) <= MAX_OPTIONS else [tuple(clauses(node))]
        case ir.Seq():
            acc: list[Conj] = [()]
            for item in node.items:
                got = options(item)
                if len(acc) * len(got) > MAX_OPTIONS:
                    got = [tuple(clauses(item))]
                acc = [a + b for a in acc for b in got]
            return acc
        case ir.Rep():
            return options(node.item) if node.min > 0 else [()]
        case ir.Cap():
            return options(node.item)
        case ir.Look() if not node.negate:
            return options(node.item)
        case ir.Tok() | ir.Ann() | ir.Look() | ir.Assert():
            return [tuple(clauses(node))]
        case _:
            ir.unknown(node)


def _simplest(alts: list[Conj]) -> list[Conj]:
    """The same alternatives, fewer: those of one clause merged into one clause (a or b is
    one clause of both), and any that needs all another needs, and more, left out."""
    single = frozenset().union(*(a[0] for a in alts if len(a) == 1))
    out: list[Conj] = [(single,)] if single else []
    for a in dict.fromkeys(a for a in alts if len(a) > 1):
        if any(_implies(a, b) for b in out):  # b holds whenever a does: b says enough
            continue
        out = [b for b in out if not _implies(b, a)]
        out.append(a)
    return out


def _implies(a: Conj, b: Conj) -> bool:
    """Does a window that holds every clause of `a` hold every clause of `b`? (Each clause
    of b has one of a's inside it.)"""
    return all(any(ca <= cb for ca in a) for cb in b)


First = tuple[frozenset[str] | None, frozenset[str], frozenset[str], bool]
# What must come after a rule's first element, when its elements are simple enough to say:
# (the first element may be one token, the types it may be an annotation of, Reach...). Most
# starts fail there, and checking is cheaper than a search.
# Reach: (fewest, most tokens after the first element's end, words, types): within that
# distance, a token is one of the words or starts an annotation of one of the types.
Reach = tuple[int, int, frozenset[str], frozenset[str]]
Follow = tuple[bool, frozenset[str], tuple[Reach, ...]]


def _first_of_test(t: ir.Test) -> First:
    """What a token passing `t` must be: one of some words, or inside an annotation of some
    types; (None, ...) if it can be any token."""
    anything: First = (None, frozenset(), frozenset(), False)
    match t:
        case ir.TNorm():
            return t.forms, frozenset(), frozenset(), False
        case ir.TText():
            return frozenset(norm(x) for x in t.texts), frozenset(), frozenset(), False
        case ir.TIn():
            return frozenset(), frozenset(), frozenset([t.type]), False
        case ir.TAnd():  # every conjunct must hold: the first that restricts will do
            for part in t.tests:
                got = _first_of_test(part)
                if got[0] is not None:
                    return got
            return anything
        case ir.TRe() | ir.TClass() | ir.TNot() | ir.TOr() | ir.TTrue():
            return anything
        case _:
            ir.unknown(t)


def first(node: ir.Node) -> First:
    """(words, types, inside, nullable) that can begin a match: a first token is one of the
    words, or begins an annotation of one of the types, or lies inside one of the inside
    types; words None means any token."""
    none: frozenset[str] = frozenset()
    match node:
        case ir.Tok():
            return _first_of_test(node.test)
        case ir.Ann():
            return none, frozenset([node.type]), none, False
        case ir.Look() | ir.Assert():
            return none, none, none, True
        case ir.Cap():
            return first(node.item)
        case ir.Rep():
            words, types, inside, nullable = first(node.item)
            return words, types, inside, nullable or node.min == 0
        case ir.Seq():
            return _first_of_parts(node.items, True)
        case ir.Alt():
            return _first_of_parts(node.options, False)
        case _:
            ir.unknown(node)


def _first_of_parts(parts: tuple[ir.Node, ...], in_sequence: bool) -> First:
    """`first` of a sequence of `parts` (in_sequence), or of a choice of them."""
    none: frozenset[str] = frozenset()
    words_acc: frozenset[str] | None = none
    types_acc, inside_acc = none, none
    some_nullable = False  # an option can match nothing (each part is looked at once)
    for part in parts:
        words, types, inside, nullable = first(part)
        words_acc = None if words is None or words_acc is None else words_acc | words
        types_acc |= types
        inside_acc |= inside
        some_nullable = some_nullable or nullable
        if in_sequence and not nullable:
            return words_acc, types_acc, inside_acc, False
    if in_sequence:
        return words_acc, types_acc, inside_acc, True
    return words_acc, types_acc, inside_acc, some_nullable


def _unwrap(node: ir.Node) -> ir.Node:
    """`node` without the captures and one-item sequences around what it matches."""
    while True:
        match node:
            case ir.Cap():
                node = node.item
            case ir.Seq() if len(node.items) == 1:
                node = node.items[0]
            case ir.Tok() | ir.Ann() | ir.Seq() | ir.Alt() | ir.Rep() | ir.Look() | ir.Assert():
                return node
            case _:
                ir.unknown(node)


def follow(pattern: ir.Node) -> Follow | None:
    """For a pattern that begins with token or annotation elements and goes on with elements
    of bounded length, the required words or types after the first and how far: else None."""
    pattern = _unwrap(pattern)
    if not isinstance(pattern, ir.Seq) or len(pattern.items) < 2:
        return None
    head = _unwrap(pattern.items[0])
    options = [_unwrap(o) for o in head.options] if isinstance(head, ir.Alt) else [head]
    if not all(isinstance(o, (ir.Tok, ir.Ann)) for o in options):
        return None
    reach: list[Reach] = []
    fewest, most = 0, 0
    for item in pattern.items[1:]:
        words, types, inside, nullable = first(item)
        if not nullable and words is not None and not inside:
            reach.append((fewest, most, words, types))
        shortest, longest = width(item)
        if longest is None:
            break
        fewest, most = fewest + shortest, most + longest
    if not reach:
        return None
    one_token = any(isinstance(o, ir.Tok) for o in options)
    return one_token, frozenset(o.type for o in options if isinstance(o, ir.Ann)), tuple(reach)


# A branch of a rule that begins with a choice: (first words or None for any token, first
# types, first inside types, the alternatives of clauses it needs: prefilter.options).
Branch = tuple[frozenset[str] | None, frozenset[str], frozenset[str], tuple["Conj", ...]]


MIN_BRANCHES = 5  # fewer options (a loose rule's variants) start where the rule does: no gain


def branches(pattern: ir.Node) -> tuple[Branch, ...]:
    """For a pattern that begins with a choice (a loose rule's variants, THREAT's shapes),
    each option's first tokens and what a window must hold for it: a window then starts
    searches only where an option it holds can begin ("new" begins THREAT's "new militant
    groups", but not in a window without a militant word). () for any other pattern."""
    pattern = _unwrap(pattern)
    head = _unwrap(pattern.items[0]) if isinstance(pattern, ir.Seq) and pattern.items else pattern
    if not isinstance(head, ir.Alt) or len(head.options) < MIN_BRANCHES:
        return ()
    out = []
    for option in head.options:
        words, types, inside, nullable = first(option)
        out.append((None if nullable else words, types, inside, tuple(options(option))))
    if all(b[0] is None for b in out):
        return ()
    return tuple(out)


# One element of a chain: it begins with one of these words or an annotation of these
# types, fewest..most tokens (most None: no bound) after the element before it begins (the
# first element: after the match's start).
Link = tuple[frozenset[str], frozenset[str], int, int | None]
Chain = tuple[Link, ...]


def chains(pattern: ir.Node) -> tuple[Chain, ...]:
    """For each alternative of a pattern (a loose rule's variants: active, passive,
    nominal; else the pattern), the elements that must begin at increasing positions, each
    as the atoms it begins with and how far after the element before it: `ORG warns of
    THREAT` needs ORG at the start, then a form of warn, then of, then THREAT, in that
    order, and `ORG said (on)? talks` needs talks one or two tokens after said. Elements
    that may match nothing, or begin with any token, are left out (their length counts in
    the distance). () when some alternative has fewer than two (nothing to order)."""
    pattern = _unwrap(pattern)
    out = []
    for variant in pattern.options if isinstance(pattern, ir.Alt) else (pattern,):
        variant = _unwrap(variant)
        chain: list[Link] = []
        fewest, most = 0, 0  # tokens from the last element's begin (or the start) so far
        for item in variant.items if isinstance(variant, ir.Seq) else (variant,):
            words, types, inside, nullable = first(item)
            if not nullable and words is not None and not inside:
                chain.append((words, types, fewest, most))
                fewest, most = 0, 0
            shortest, longest = width(item)
            fewest += shortest
            most = None if most is None or longest is None else most + longest
        if len(chain) < 2:
            return ()
        out.append(tuple(chain))
    return tuple(out)


def near(body: ir.Node) -> tuple[Reach, ...]:
    """What a look-around body (in the order it is walked: a look-behind's reversed) needs
    close to where it is checked, as Reach from that position: the words or types its
    leading elements must begin with, and, for a body of bounded length with one set of
    clauses, an atom of each clause within that length. vm.look answers from these before
    walking; a body nested inside says nothing (it may look beyond)."""
    body = _unwrap(_without_looks(body))
    items = body.items if isinstance(body, ir.Seq) else (body,)
    reach: list[Reach] = []
    fewest, most = 0, 0
    for item in items:
        words, types, inside, nullable = first(item)
        if not nullable and words is not None and not inside:
            reach.append((fewest, most, words, types))
        shortest, longest = width(item)
        if longest is None:
            break
        fewest, most = fewest + shortest, most + longest
    total = width(body)[1]
    alts = options(body)
    if total and len(alts) == 1:
        for clause in alts[0]:
            words = frozenset(a[2:] for a in clause if a.startswith("w:"))
            reach.append((0, total - 1, words, frozenset(a[2:] for a in clause if a.startswith("t:"))))
    return tuple(dict.fromkeys(reach))


def _without_looks(node: ir.Node) -> ir.Node:
    """`node` with its look-arounds taken as holding (they may look outside it)."""
    match node:
        case ir.Look():
            return ir.Seq(())
        case ir.Seq():
            return ir.Seq(tuple(_without_looks(i) for i in node.items))
        case ir.Alt():
            return ir.Alt(tuple(_without_looks(o) for o in node.options))
        case ir.Rep():
            return ir.Rep(_without_looks(node.item), node.min, node.max, node.greedy, node.lazy)
        case ir.Cap():
            return ir.Cap(node.slot, _without_looks(node.item))
        case ir.Tok() | ir.Ann() | ir.Assert():
            return node
        case _:
            ir.unknown(node)


def width(node: ir.Node) -> tuple[int, int | None]:
    """The fewest and most tokens `node` can match (None: no bound; an annotation has none)."""
    match node:
        case ir.Tok():
            return 1, 1
        case ir.Ann():
            return 1, None
        case ir.Look() | ir.Assert():
            return 0, 0
        case ir.Cap():
            return width(node.item)
        case ir.Rep():
            shortest, longest = width(node.item)
            if node.max is None or longest is None:
                return node.min * shortest, None if node.max != 0 else 0
            return node.min * shortest, node.max * longest
        case ir.Seq():
            widths = [width(part) for part in node.items]
            highs = [hi for _, hi in widths]
            most = None if None in highs else sum(h for h in highs if h is not None)
            return sum(lo for lo, _ in widths), most
        case ir.Alt():
            widths = [width(part) for part in node.options]
            highs = [hi for _, hi in widths]
            most = None if None in highs else max(h for h in highs if h is not None)
            return min(lo for lo, _ in widths), most
        case _:
            ir.unknown(node)


# Words too common to anchor a rule on when a rarer clause exists.
_COMMON = frozenset(
    "the a an of to in on at for by with from and or but as is are was were be been has have had "
    "it its this that these those he she they we i you his her their our not no said says say".split()
)


_COMMON_ATOMS = frozenset("w:" + w for w in _COMMON)
_NAME = itemgetter(slice(2, None))  # "w:oil" -> "oil"


class _Clause(NamedTuple):
    """A clause as the index reads it: its words and its types, each sorted, and its rarity:
    how often its atoms may be expected in a window, as a sort key (lower: rarer). Words are
    rarer than types (a type such as ORG is on most sentences), uncommon words rarer than
    function words, and fewer atoms rarer than more: each type weighs 1000, each common word
    50, each other word 1; ties go to the clause with the least atom."""

    words: list[str]
    types: list[str]
    rarity: tuple[int, str]


def _read(clause: frozenset[str]) -> _Clause:
    """The clause read, with no loop in Python over its atoms: it may have 100,000."""
    atoms = sorted(clause)
    cut = bisect_left(atoms, "w:")  # "t:TYPE" atoms sort before "w:word" ones
    common = len(clause & _COMMON_ATOMS)  # (a type weighs 1000, a common word 50, a word 1)
    rarity = 1000 * cut + 50 * common + len(atoms) - cut - common, atoms[0] if atoms else ""
    return _Clause(list(map(_NAME, atoms[cut:])), list(map(_NAME, atoms[:cut])), rarity)


def index(rules: tuple[CompiledRule, ...]) -> RuleIndex:
    words: dict[str, list[int]] = {}
    types: dict[str, list[int]] = {}
    always: list[int] = []
    bits: dict[frozenset[str], int] = {}
    word_bits: dict[str, int] = {}
    type_bits: dict[str, int] = {}
    masks: list[int] = []
    choices: list[tuple[int, ...] | None] = []
    forks: list[tuple[tuple[int, ...], ...] | None] = []
    first_words: set[str] = set()
    pairs: dict[Pair, list[int]] = {}
    reading = cache(_read)  # each distinct clause is read once

    def mask_of(conj: tuple[frozenset[str], ...]) -> int:
        mask = 0
        for clause in conj:
            bit = bits.get(clause)
            if bit is None:
                bit = bits[clause] = 1 << len(bits)
                got = reading(clause)
                for table, names in ((word_bits, got.words), (type_bits, got.types)):
                    had = {name: table[name] | bit for name in table.keys() & names}
                    table.update(dict.fromkeys(names, bit))
                    table.update(had)
            mask |= bit
        return mask

    for k, cr in enumerate(rules):
        masks.append(mask_of(cr.clauses))
        alts = tuple(mask_of(conj) for conj in cr.options)
        choices.append(alts if len(alts) > 1 and all(alts) else None)
        forks.append(tuple(tuple(mask_of(conj) for conj in b[3]) for b in cr.branches) or None)
        paired = _pairs_of(cr)
        if paired:  # (the pairs found also tell where the rule may start)
            for pair in paired:
                pairs.setdefault(pair, []).append(k)
            continue
        if cr.first_words is not None and len(cr.first_words) <= 8:
            first_words |= cr.first_words
        if not cr.clauses:
            always.append(k)
            continue
        # its anchor: every atom of the clause wakes the rule, so the best is the rarest
        anchor = min((reading(c) for c in cr.clauses), key=attrgetter("rarity"))
        for table, names in ((words, anchor.words), (types, anchor.types)):
            for name in table.keys() & names:
                table[name].append(k)
            table.update({name: [k] for name in names if name not in table})
    return RuleIndex(
        rules,
        {w: tuple(ks) for w, ks in words.items()},
        {t: tuple(ks) for t, ks in types.items()},
        tuple(always),
        word_bits,
        type_bits,
        tuple(masks),
        tuple(choices),
        tuple(forks),
        frozenset(first_words),
        {p: tuple(ks) for p, ks in pairs.items()},
        frozenset(h for h, _ in pairs if isinstance(h, str)),
        frozenset(h[0] for h, _ in pairs if isinstance(h, tuple)),
    )


def _pairs_of(cr: CompiledRule) -> list[Pair]:
    """The (head, next word) pairs to index a rule by: if its first element is known words
    or types, what follows right after is known words, and the pairs are not too many to
    list; else none."""
    if cr.follow is None or cr.first_words is None or cr.first_inside:
        return []
    fewest, most, words, types = cr.follow[2][0]
    if (fewest, most) != (0, 0) or types:
        return []
    heads: list[str | tuple[str]] = [*sorted(cr.first_words), *((t,) for t in sorted(cr.first_types))]
    if len(heads) * len(words) > 256 or not _COMMON.isdisjoint(cr.first_words):
        return []  # (a head such as `the` is on every line: its pairs cost more than they save)
    return [(head, word) for head in heads for word in sorted(words)]
