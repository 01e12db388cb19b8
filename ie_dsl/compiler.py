"""Compile IR rules into a Program: instruction lists for vm.py, a prefilter per rule, and
the lexicon phrase index. Built once; matching never looks at the AST or IR again.

`compile_program(strata, statements, lexicons)` -> Program, or IEDslError (E4xx limits).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ie_dsl import ir
from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.lexicon import Lexicon
from ie_dsl.text import norm
from ie_dsl.tokentests import compile_test
from ie_dsl.view import Pair
from ie_dsl.vm import ANN, ANY, ASSERT, JMP, LOOK, MATCH, NORM, SAVE, SPLIT, TEST, Code

MAX_UNROLL = 200  # largest {m,n} bound
MAX_CODE = 50_000  # instructions per rule


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to run: its code, what a window must contain, where a match may start."""

    rule: ir.RuleIR
    code: Code
    nslots: int
    clauses: tuple[frozenset[str], ...]  # each: at least one atom ("w:norm" / "t:TYPE") present
    first_words: frozenset[str] | None  # None: a match may start at any token
    first_types: frozenset[str]
    first_inside: frozenset[str]  # or a token inside an annotation of one of these types
    element_of: tuple[int, ...] = ()  # instruction -> index of the written element it belongs to
    follow: Follow | None = None  # what must come right after the first element, if known


@dataclass(frozen=True)
class RuleIndex:
    """The rules of one stage (an entity stratum or the statement rules), indexed by the
    atoms that wake them: a rule is tried only in windows holding one of its anchor
    clause's words or types, so a stage costs what its woken rules cost, however many
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
    first_words: frozenset[str]  # the words other rules start on (sets of up to 8): found in one pass
    # Rules that begin with known words or types followed by known words are woken instead
    # by those pairs, which are much rarer than either: (head, next word) -> rules, where a
    # head is a word, or a type as a 1-tuple.
    pairs: dict[Pair, tuple[int, ...]]
    pair_words: frozenset[str]  # the word heads
    pair_types: frozenset[str]  # the type heads


@dataclass(frozen=True)
class Program:
    """Everything matching needs, immutable once built."""

    phrases: dict[str, PhraseNode]  # lexicon phrases compared by norm, as a token trie
    exact_phrases: dict[str, PhraseNode]  # case-sensitive phrases, by token text
    strata: tuple[tuple[CompiledRule, ...], ...]
    statements: tuple[CompiledRule, ...]
    stages: tuple[RuleIndex, ...]  # one per stratum, then the statement rules
    types: frozenset[str]
    used: frozenset[str]  # the types some rule matches (built-ins not used are not computed)

    @property
    def anchors(self) -> dict[str, tuple[CompiledRule, ...]]:
        """Atom ("w:word" / "t:TYPE" / "p:HEAD word") -> the statement rules it wakes."""
        idx = self.stages[-1]
        out = {"w:" + w: tuple(idx.rules[k] for k in ks) for w, ks in idx.words.items()}
        out.update({"t:" + t: tuple(idx.rules[k] for k in ks) for t, ks in idx.types.items()})
        for (head, word), ks in idx.pairs.items():  # "p:ORG warns", "p:oil prices"
            name = f"p:{head if isinstance(head, str) else head[0]} {word}"
            out[name] = tuple(idx.rules[k] for k in ks)
        return out

    @cached_property
    def roles(self) -> dict[str, set[str]]:
        """Statement rule name -> the roles its `=>` names."""
        return {cr.rule.name: {role for role, _ in cr.rule.args} for cr in self.statements}

    @property
    def always(self) -> tuple[CompiledRule, ...]:
        """Statement rules tried in every window (no anchor)."""
        idx = self.stages[-1]
        return tuple(idx.rules[k] for k in idx.always)


# ---- code generation ------------------------------------------------------------------


def _plain(node: ir.Node, backward: bool) -> ir.Node:
    """A look-around body: captures dropped (it is zero-width), reversed for look-behind."""
    if isinstance(node, ir.Seq):
        items = [_plain(i, backward) for i in node.items]
        return ir.Seq(tuple(reversed(items) if backward else items))
    if isinstance(node, ir.Alt):
        return ir.Alt(tuple(_plain(o, backward) for o in node.options))
    if isinstance(node, ir.Rep):
        return ir.Rep(_plain(node.item, backward), node.min, node.max, node.greedy)
    if isinstance(node, ir.Cap):
        return _plain(node.item, backward)
    return node


def _bounded(node: ir.Node) -> bool:
    if isinstance(node, ir.Seq):
        return all(_bounded(i) for i in node.items)
    if isinstance(node, ir.Alt):
        return all(_bounded(o) for o in node.options)
    if isinstance(node, ir.Rep):
        return node.max is not None and _bounded(node.item)
    if isinstance(node, ir.Cap):
        return _bounded(node.item)
    return True


class _Gen:
    def __init__(self, rule: ir.RuleIR, errors: list[Diagnostic]):
        self.code: list[list[Any]] = []
        self.rule = rule
        self.errors = errors

    def add(self, *ins: Any) -> int:
        self.code.append(list(ins))
        if len(self.code) > MAX_CODE:
            raise _TooBig()
        return len(self.code) - 1

    def gen(self, node: ir.Node) -> None:
        if isinstance(node, ir.Tok):
            if isinstance(node.test, ir.TNorm):
                self.add(NORM, node.test.forms)
            elif isinstance(node.test, ir.TTrue):  # `_` and the gaps `...`: no call per token
                self.add(ANY)
            else:
                self.add(TEST, compile_test(node.test))
        elif isinstance(node, ir.Ann):
            self.add(ANN, node.type)
        elif isinstance(node, ir.Seq):
            for item in node.items:
                self.gen(item)
        elif isinstance(node, ir.Alt):
            jumps = []
            for option in node.options[:-1]:
                split = self.add(SPLIT, 0, 0)
                self.code[split][1] = len(self.code)
                self.gen(option)
                jumps.append(self.add(JMP, 0))
                self.code[split][2] = len(self.code)
            self.gen(node.options[-1])
            for j in jumps:
                self.code[j][1] = len(self.code)
        elif isinstance(node, ir.Rep):
            self.rep(node)
        elif isinstance(node, ir.Cap):
            self.add(SAVE, 2 * node.slot)
            self.gen(node.item)
            self.add(SAVE, 2 * node.slot + 1)
        elif isinstance(node, ir.Look):
            self.look(node)
        elif isinstance(node, ir.Assert):
            self.add(ASSERT, node.at_start)

    def rep(self, node: ir.Rep) -> None:
        if max(node.min, node.max or 0) > MAX_UNROLL:
            self.errors.append(
                Diagnostic(
                    "E403",
                    f"repeat bound above {MAX_UNROLL} in rule {self.rule.name}",
                    self.rule.span,
                    "use * or + for long runs",
                )
            )
            return
        for _ in range(node.min):
            self.gen(node.item)
        if node.max is None:
            loop = self.add(SPLIT, 0, 0)
            self.code[loop][1 if node.greedy else 2] = len(self.code)
            self.gen(node.item)
            self.add(JMP, loop)
            self.code[loop][2 if node.greedy else 1] = len(self.code)
            return
        splits = []
        for _ in range(node.max - node.min):
            split = self.add(SPLIT, 0, 0)
            self.code[split][1 if node.greedy else 2] = len(self.code)
            splits.append((split, 2 if node.greedy else 1))
            self.gen(node.item)
        for split, slot in splits:
            self.code[split][slot] = len(self.code)

    def look(self, node: ir.Look) -> None:
        if not _bounded(node.item):
            self.errors.append(
                Diagnostic(
                    "E226",
                    f"look-around in rule {self.rule.name} has no length bound",
                    self.rule.span,
                    "use bounded repeats ({m,n}) inside (?= ), (?! ), (?<= ), (?<! )",
                )
            )
            return
        sub = _Gen(self.rule, self.errors)
        sub.gen(_plain(node.item, backward=not node.ahead))
        sub.add(MATCH)
        self.add(LOOK, sub.freeze(), node.ahead, node.negate)

    def freeze(self) -> Code:
        return tuple(tuple(ins) for ins in self.code)


class _TooBig(Exception):
    pass


# ---- prefilter ----------------------------------------------------------------------


def _clauses(node: ir.Node) -> list[frozenset[str]]:
    """Atoms a window must contain for `node` to match (conjunction of disjunctions)."""
    if isinstance(node, ir.Tok):
        if isinstance(node.test, ir.TNorm):
            return [frozenset("w:" + f for f in node.test.forms)]
        if isinstance(node.test, ir.TText):
            return [frozenset("w:" + norm(f) for f in node.test.texts)]
        return []  # other tests ([TYPE] included: the annotation may start before the window)
    if isinstance(node, ir.Ann):
        return [frozenset(["t:" + node.type])]
    if isinstance(node, ir.Seq):
        return [c for item in node.items for c in _clauses(item)]
    if isinstance(node, ir.Alt):
        per_option = [_clauses(o) for o in node.options]
        if all(per_option):
            return [frozenset().union(*(min(cs, key=len) for cs in per_option))]
        return []
    if isinstance(node, ir.Rep):
        return _clauses(node.item) if node.min > 0 else []
    if isinstance(node, ir.Cap):
        return _clauses(node.item)
    if isinstance(node, ir.Look) and not node.negate:
        return _clauses(node.item)
    return []


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
    if isinstance(t, ir.TNorm):
        return t.forms, frozenset(), frozenset(), False
    if isinstance(t, ir.TText):
        return frozenset(norm(x) for x in t.texts), frozenset(), frozenset(), False
    if isinstance(t, ir.TIn):
        return frozenset(), frozenset(), frozenset([t.type]), False
    if isinstance(t, ir.TAnd):  # every conjunct must hold: the first that restricts will do
        for part in t.tests:
            got = _first_of_test(part)
            if got[0] is not None:
                return got
    return None, frozenset(), frozenset(), False


def _first(node: ir.Node) -> First:
    """(words, types, inside, nullable) that can begin a match: a first token is one of the
    words, or begins an annotation of one of the types, or lies inside one of the inside
    types; words None means any token."""
    none: frozenset[str] = frozenset()
    if isinstance(node, ir.Tok):
        return _first_of_test(node.test)
    if isinstance(node, ir.Ann):
        return none, frozenset([node.type]), none, False
    if isinstance(node, (ir.Look, ir.Assert)):
        return none, none, none, True
    if isinstance(node, ir.Cap):
        return _first(node.item)
    if isinstance(node, ir.Rep):
        words, types, inside, nullable = _first(node.item)
        return words, types, inside, nullable or node.min == 0
    parts = node.items if isinstance(node, ir.Seq) else node.options
    words_acc: frozenset[str] | None = none
    types_acc, inside_acc = none, none
    for part in parts:
        words, types, inside, nullable = _first(part)
        words_acc = None if words is None or words_acc is None else words_acc | words
        types_acc |= types
        inside_acc |= inside
        if isinstance(node, ir.Seq) and not nullable:
            return words_acc, types_acc, inside_acc, False
    if isinstance(node, ir.Seq):
        return words_acc, types_acc, inside_acc, True
    return words_acc, types_acc, inside_acc, any(_first(o)[3] for o in parts)


def _unwrap(node: ir.Node) -> ir.Node:
    while isinstance(node, ir.Cap) or (isinstance(node, ir.Seq) and len(node.items) == 1):
        node = node.item if isinstance(node, ir.Cap) else node.items[0]
    return node


def _follow(pattern: ir.Node) -> Follow | None:
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
        words, types, inside, nullable = _first(item)
        if not nullable and words is not None and not inside:
            reach.append((fewest, most, words, types))
        shortest, longest = _width(item)
        if longest is None:
            break
        fewest, most = fewest + shortest, most + longest
    if not reach:
        return None
    one_token = any(isinstance(o, ir.Tok) for o in options)
    return one_token, frozenset(o.type for o in options if isinstance(o, ir.Ann)), tuple(reach)


def _width(node: ir.Node) -> tuple[int, int | None]:
    """The fewest and most tokens `node` can match (None: no bound; an annotation has none)."""
    if isinstance(node, ir.Tok):
        return 1, 1
    if isinstance(node, ir.Ann):
        return 1, None
    if isinstance(node, (ir.Look, ir.Assert)):
        return 0, 0
    if isinstance(node, ir.Cap):
        return _width(node.item)
    if isinstance(node, ir.Rep):
        shortest, longest = _width(node.item)
        if node.max is None or longest is None:
            return node.min * shortest, None if node.max != 0 else 0
        return node.min * shortest, node.max * longest
    widths = [_width(part) for part in (node.items if isinstance(node, ir.Seq) else node.options)]
    highs = [hi for _, hi in widths]
    if isinstance(node, ir.Seq):
        return sum(lo for lo, _ in widths), None if None in highs else sum(h for h in highs if h is not None)
    return min(lo for lo, _ in widths), None if None in highs else max(h for h in highs if h is not None)


def compile_rule(
    rule: ir.RuleIR, errors: list[Diagnostic], mark_elements: bool = False
) -> CompiledRule | None:
    """One RuleIR -> CompiledRule (None if a limit was hit; the reason is in `errors`).

    `mark_elements` (for explanations) saves where each written element starts and the
    match ends in extra capture slots after the rule's own: 2*len(captures) + k.
    """
    if rule.mode == "all" and not _bounded(rule.pattern):
        # every start is searched to its farthest end: unbounded, that is quadratic
        errors.append(
            Diagnostic(
                "E227",
                f"rule {rule.name} has mode all and a repeat with no upper bound",
                rule.span,
                "bound the repeat ({0,20}, ...{0,8}): mode all matches at every start, and an open "
                "repeat makes that cost the square of the sentence length",
            )
        )
        return None
    gen = _Gen(rule, errors)
    before = len(errors)
    items = rule.pattern.items if isinstance(rule.pattern, ir.Seq) else (rule.pattern,)
    starts = []
    marks = 2 * len(rule.captures)
    try:
        for k, item in enumerate(items):
            if mark_elements:
                gen.add(SAVE, marks + k)
            starts.append(len(gen.code))
            gen.gen(item)
        if mark_elements:
            gen.add(SAVE, marks + len(items))
        gen.add(MATCH)
    except _TooBig:
        errors.append(
            Diagnostic(
                "E404",
                f"rule {rule.name} compiles to more than {MAX_CODE} instructions",
                rule.span,
                "lower the {m,n} bounds or split the rule",
            )
        )
        return None
    if len(errors) > before:
        return None
    words, types, inside, nullable = _first(rule.pattern)
    clauses = tuple(dict.fromkeys(_clauses(rule.pattern)))
    return CompiledRule(
        rule=rule,
        code=gen.freeze(),
        nslots=marks + (len(items) + 1 if mark_elements else 0),
        clauses=clauses,
        first_words=None if nullable else words,
        first_types=types,
        first_inside=inside,
        follow=_follow(rule.pattern),
        element_of=tuple(
            bisect.bisect_right(starts, pc) - 1 if pc < len(gen.code) - 1 else len(items)
            for pc in range(len(gen.code))
        ),
    )


# Words too common to anchor a rule on when a rarer clause exists.
_COMMON = frozenset(
    "the a an of to in on at for by with from and or but as is are was were be been has have had "
    "it its this that these those he she they we i you his her their our not no said says say".split()
)


def _rarity(clause: frozenset[str]) -> tuple[int, str]:
    """How often a clause's atoms may be expected in a window, as a sort key (lower: rarer).
    Words are rarer than types (a type such as ORG is on most sentences), uncommon words
    rarer than function words, and fewer atoms rarer than more."""
    weight = sum(1000 if a.startswith("t:") else 50 if a[2:] in _COMMON else 1 for a in clause)
    return weight, min(clause)


def _anchor(cr: CompiledRule) -> frozenset[str] | None:
    """The clause to index a rule by: every atom of it wakes the rule, so the best is the
    rarest."""
    return min(cr.clauses, key=_rarity) if cr.clauses else None


def _index(rules: tuple[CompiledRule, ...]) -> RuleIndex:
    words: dict[str, list[int]] = {}
    types: dict[str, list[int]] = {}
    always: list[int] = []
    bits: dict[frozenset[str], int] = {}
    atom_bits: dict[str, dict[str, int]] = {"w": {}, "t": {}}
    masks: list[int] = []
    first_words: set[str] = set()
    pairs: dict[Pair, list[int]] = {}
    for k, cr in enumerate(rules):
        mask = 0
        for clause in cr.clauses:
            bit = bits.get(clause)
            if bit is None:
                bit = bits[clause] = 1 << len(bits)
                for atom in clause:
                    table = atom_bits[atom[0]]
                    table[atom[2:]] = table.get(atom[2:], 0) | bit
            mask |= bit
        masks.append(mask)
        heads = _pair_heads(cr)
        if heads is not None:  # (the pairs found also tell where the rule may start)
            assert cr.follow is not None
            for head in heads:
                for word in sorted(cr.follow[2][0][2]):
                    pairs.setdefault((head, word), []).append(k)
            continue
        if cr.first_words is not None and len(cr.first_words) <= 8:
            first_words |= cr.first_words
        clause = _anchor(cr)
        if clause is None:
            always.append(k)
            continue
        for atom in sorted(clause):
            (words if atom.startswith("w:") else types).setdefault(atom[2:], []).append(k)
    return RuleIndex(
        rules,
        {w: tuple(ks) for w, ks in words.items()},
        {t: tuple(ks) for t, ks in types.items()},
        tuple(always),
        atom_bits["w"],
        atom_bits["t"],
        tuple(masks),
        frozenset(first_words),
        {p: tuple(ks) for p, ks in pairs.items()},
        frozenset(h for h, _ in pairs if isinstance(h, str)),
        frozenset(h[0] for h, _ in pairs if isinstance(h, tuple)),
    )


def _pair_heads(cr: CompiledRule) -> list[str | tuple[str]] | None:
    """The heads to index a rule by pairs, if its first element is known words or types and
    what follows is known words, and the pairs are not too many to list."""
    if cr.follow is None or cr.first_words is None or cr.first_inside:
        return None
    fewest, most, words, types = cr.follow[2][0]
    if (fewest, most) != (0, 0) or types:
        return None
    heads: list[str | tuple[str]] = [*sorted(cr.first_words), *((t,) for t in sorted(cr.first_types))]
    if not words or not heads or len(heads) * len(words) > 256:
        return None
    return heads


def _used_types(node: ir.Node) -> set[str]:
    """The annotation types a pattern matches on (as an element or inside a token test)."""
    if isinstance(node, ir.Ann):
        return {node.type}
    if isinstance(node, ir.Tok):
        out: set[str] = set()
        stack: list[ir.Test] = [node.test]
        while stack:
            t = stack.pop()
            if isinstance(t, ir.TIn):
                out.add(t.type)
            elif isinstance(t, ir.TNot):
                stack.append(t.test)
            elif isinstance(t, (ir.TAnd, ir.TOr)):
                stack.extend(t.tests)
        return out
    if isinstance(node, (ir.Seq, ir.Alt)):
        parts = node.items if isinstance(node, ir.Seq) else node.options
        return set().union(*(_used_types(p) for p in parts))
    if isinstance(node, (ir.Rep, ir.Cap, ir.Look)):
        return _used_types(node.item)
    return set()


# A token trie of lexicon phrases: node = (what ends here, next token -> node), where what
# ends here is (type, canonical, attrs, source, priority) per phrase, in load order.
Found = tuple[str, str, tuple[tuple[str, str], ...], str, int]
PhraseNode = tuple[list[Found], dict[str, "PhraseNode"]]


def _phrase_index(lexicons: Iterable[Lexicon]) -> tuple[dict[str, PhraseNode], dict[str, PhraseNode]]:
    """Two tries, keyed by first token: phrases compared by norm, and case-sensitive phrases
    compared by exact text. A document position costs the depth it matches, not the number
    of phrases sharing its first word, and a lower-case word never wakes a capitalized name."""
    by_norm: dict[str, PhraseNode] = {}
    by_text: dict[str, PhraseNode] = {}
    for lex in lexicons:
        for p in lex.phrases:
            level = by_norm if p.exact is None else by_text
            node: PhraseNode | None = None
            for w in p.norms if p.exact is None else p.exact:
                node = level.get(w)
                if node is None:
                    node = level[w] = ([], {})
                level = node[1]
            assert node is not None  # a phrase has at least one token
            e = p.entry
            source = f"lexicon:{e.span.file}@{e.span.start}"
            node[0].append((e.type, e.canonical, e.attrs, source, e.priority))
    return by_norm, by_text


def compile_program(
    strata: tuple[tuple[ir.RuleIR, ...], ...],
    statements: tuple[ir.RuleIR, ...],
    lexicons: Iterable[Lexicon],
    types: frozenset[str],
) -> Program:
    """Compile every rule and the lexicons. Raises IEDslError (E4xx) on limits."""
    lexicons = list(lexicons)
    errors: list[Diagnostic] = []
    c_strata = tuple(tuple(c for c in (compile_rule(r, errors) for r in s) if c) for s in strata)
    c_statements = tuple(c for c in (compile_rule(r, errors) for r in statements) if c)
    if errors:
        raise IEDslError(errors)
    every = [cr for stratum in c_strata for cr in stratum] + list(c_statements)
    by_norm, by_text = _phrase_index(lexicons)
    return Program(
        phrases=by_norm,
        exact_phrases=by_text,
        strata=c_strata,
        statements=c_statements,
        stages=tuple(_index(rules) for rules in (*c_strata, c_statements)),
        types=types,
        used=frozenset().union(*(_used_types(cr.rule.pattern) for cr in every)),
    )
