"""What a rule needs to be worth trying.

From a rule's IR: its clauses (sets of atoms, `w:word` / `t:TYPE`, of which a window must
hold one each), where a match may begin (`first`), and what must follow its first element
and how far (`follow`). ruleindex.py indexes the compiled rules of a stage by them;
docs/architecture.md says why a window pays only for rules that can match it.
"""

from __future__ import annotations

from ie_dsl.engine import ir
from ie_dsl.text.segment import norm


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
