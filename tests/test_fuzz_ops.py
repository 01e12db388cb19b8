"""Differential operator fuzz: random rules over a four-word alphabet, three matchers.

Each case is a random rule (`rule r mode M: PATTERN` over the words ka lo mu ne) and a random
sentence of 1 to 12 of those words. The rule is generated as a small tree, which gives three
things at once: the rule text, the `ie_dsl.engine.ir` pattern the specification gives it (written
here, not taken from the engine's parser, so a parser bug shows), and a Python regex over one
letter per token. Then, for every case:

(a) `test_engine_agrees_with_reference`: the engine (`compile_rules` + `RuleBook.extract`),
    projected to token spans and captures, equals tests/reference.py on the same text. A rule
    the engine refuses is a disagreement too (the specification accepts every generated rule:
    a pattern that can match nothing only warns, look-arounds may hold any pattern).
(b) `test_reference_agrees_with_regex`: where the `regex` module decides the answer (mode
    `first`: its own backtracking order; modes `longest` and `all` when no explicit lazy
    quantifier outside a look-around offers a choice: the farthest end, found by testing
    `(?:P)(?=.{k}\\Z)` from the longest end down), tests/reference.py gives the same matches
    and captures. Where it cannot decide, a third matcher does: every path from a start
    enumerated in priority order, then S1/S3 applied to the tree of their decisions. This
    keeps the reference honest.

What is covered: sequence, `|` (also at the top), groups, `? * + {n} {m,n} {m,} {,n}` and
their lazy forms, `_`, `!w`, `[w | w]`, `![w | w]`, gaps in every form (`...`, `...?`,
`...*`, `...+`, `...{n}`, `...{m,n}`, `...{m,}`, `...{,n}`, with or without a trailing `?`)
and quantified bracketed gaps such as `(...{2})?`, look-arounds of any length (bounded and
unbounded, nested, negated, look-ahead inside look-behind), `^ $`, named captures (also
inside repeats and look-arounds), modes longest, first and all (mode all only with bounded
repeats: an open repeat there is E227).

Budget: `IEDSL_FUZZ_OPS_RULES` rules per test (default 400 in the normal suite, 5,000 with
`IEDSL_FUZZ_PROFILE=long`), `IEDSL_FUZZ_OPS_SENTENCES` sentences per rule (default 12). The
normal suite uses fixed seeds; the long profile a fresh seed per run, printed, and
`IEDSL_FUZZ_OPS_SEED` replays one. When `IEDSL_FUZZ_OPS_COUNTS` names a file, the number of
cases each test compared is written there as JSON. A disagreement prints the rule, the
sentence and every matcher's result, shrunk to a small case.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import regex
from reference import run_pattern

from ie_dsl import IEDslError, compile_rules
from ie_dsl.engine import ir
from ie_dsl.run.runtime import DocView
from ie_dsl.text.segment import segment

ALPHABET = ("ka", "lo", "mu", "ne")
LETTER = {"ka": "a", "lo": "b", "mu": "c", "ne": "d"}
DEFAULT_GAP = 6  # `...` alone is `...{0,6}` (docs/language.md 4.3)

LONG = os.environ.get("IEDSL_FUZZ_PROFILE") == "long"
RULES = int(os.environ.get("IEDSL_FUZZ_OPS_RULES") or (5000 if LONG else 400))
SENTENCES = int(os.environ.get("IEDSL_FUZZ_OPS_SENTENCES") or 12)
SEED = int(os.environ.get("IEDSL_FUZZ_OPS_SEED") or (random.SystemRandom().randrange(10**9) if LONG else 0))

# ---- generated patterns: a small tree that knows its rule text, IR and regex ---------------


@dataclass(frozen=True)
class Word:
    word: str


@dataclass(frozen=True)
class AnyTok:
    pass


@dataclass(frozen=True)
class OneOf:
    """`[a | b]`, `![a | b]` or, with one word and `negate`, `!a`."""

    words: tuple[str, ...]
    negate: bool


@dataclass(frozen=True)
class Gap:
    """`...` with bounds: `written` is the text after the dots (`""`, `?`, `{2,}`, `{,3}?`)."""

    lo: int
    hi: int | None
    written: str


@dataclass(frozen=True)
class Seq:
    items: tuple[Pat, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Pat, ...]


@dataclass(frozen=True)
class Group:
    """Parentheses with no quantifier: `(P)`."""

    item: Pat


@dataclass(frozen=True)
class Rep:
    item: Pat
    lo: int
    hi: int | None
    greedy: bool
    written: str  # the quantifier as written: `?`, `*`, `+`, `{2}`, `{1,3}`, `{2,}`, `{,2}`, + `?`


@dataclass(frozen=True)
class Cap:
    name: str
    item: Pat


@dataclass(frozen=True)
class Look:
    item: Pat
    ahead: bool
    negate: bool


@dataclass(frozen=True)
class Anchor:
    at_start: bool


Pat = Word | AnyTok | OneOf | Gap | Seq | Alt | Group | Rep | Cap | Look | Anchor
ATOMS = (Word, AnyTok, OneOf, Gap, Anchor)


def kids(p: Pat) -> tuple[Pat, ...]:
    """The sub-patterns of `p`, in order."""
    if isinstance(p, Seq):
        return p.items
    if isinstance(p, Alt):
        return p.options
    if isinstance(p, Group | Rep | Cap | Look):
        return (p.item,)
    return ()


def with_kids(p: Pat, new: tuple[Pat, ...]) -> Pat:
    """`p` with its sub-patterns replaced by `new` (as many as kids(p))."""
    if isinstance(p, Seq):
        return Seq(new)
    if isinstance(p, Alt):
        return Alt(new)
    if isinstance(p, Group | Rep | Cap | Look):
        return dataclasses.replace(p, item=new[0])
    return p


def dsl(p: Pat) -> str:
    """The pattern in rule syntax."""
    if isinstance(p, Alt):
        return " | ".join(dsl(o) for o in p.options)
    if isinstance(p, Seq):
        return " ".join(f"({dsl(x)})" if isinstance(x, Alt) else dsl(x) for x in p.items)
    return _atom(p)


def _atom(p: Pat) -> str:
    """The pattern as one atom (a quantifier or a capture may follow or precede it)."""
    if isinstance(p, Word):
        return p.word
    if isinstance(p, AnyTok):
        return "_"
    if isinstance(p, OneOf):
        inner = p.words[0] if len(p.words) == 1 and p.negate else "[" + " | ".join(p.words) + "]"
        return ("!" if p.negate else "") + inner
    if isinstance(p, Gap):
        return "..." + p.written
    if isinstance(p, Anchor):
        return "^" if p.at_start else "$"
    if isinstance(p, Group):
        return f"({dsl(p.item)})"
    if isinstance(p, Rep):
        plain = isinstance(p.item, Word | AnyTok | OneOf)  # a quantifier on `...` sets its bounds
        return (_atom(p.item) if plain else f"({dsl(p.item)})") + p.written
    if isinstance(p, Cap):  # `name:` takes one quantified atom
        plain = isinstance(p.item, Word | AnyTok | OneOf | Gap | Group | Rep)
        return f"{p.name}:" + (_atom(p.item) if plain else f"({dsl(p.item)})")
    if isinstance(p, Look):
        opener = {(True, False): "(?=", (True, True): "(?!", (False, False): "(?<=", (False, True): "(?<!"}
        return f"{opener[p.ahead, p.negate]} {dsl(p.item)})"
    return f"({dsl(p)})"


def rule_text(p: Pat, mode: str) -> str:
    return f"rule r mode {mode}: {dsl(p)}\n"


def to_ir(p: Pat, slots: dict[str, int]) -> ir.Node:
    """The IR the specification gives `p`; `slots` collects capture name -> slot."""
    if isinstance(p, Word):
        return ir.Tok(ir.TNorm(frozenset([p.word])))
    if isinstance(p, AnyTok):
        return ir.Tok(ir.TTrue())
    if isinstance(p, OneOf):
        test: ir.Test = ir.TOr(tuple(ir.TNorm(frozenset([w])) for w in p.words))
        return ir.Tok(ir.TNot(test) if p.negate else test)
    if isinstance(p, Gap):  # fewer tokens first, but not an explicit lazy quantifier (S3)
        return ir.Rep(ir.Tok(ir.TTrue()), p.lo, p.hi, greedy=False)
    if isinstance(p, Anchor):
        return ir.Assert(p.at_start)
    if isinstance(p, Seq):
        return ir.Seq(tuple(to_ir(x, slots) for x in p.items))
    if isinstance(p, Alt):
        return ir.Alt(tuple(to_ir(x, slots) for x in p.options))
    if isinstance(p, Group):
        return to_ir(p.item, slots)
    if isinstance(p, Rep):  # S4: on a bracketed gap too, the quantifier repeats the group
        return ir.Rep(to_ir(p.item, slots), p.lo, p.hi, p.greedy, lazy=not p.greedy)
    if isinstance(p, Cap):
        slot = slots.setdefault(p.name, len(slots))
        return ir.Cap(slot, to_ir(p.item, slots))
    assert isinstance(p, Look)
    return ir.Look(to_ir(p.item, slots), p.ahead, p.negate)


def _bounds(lo: int, hi: int | None) -> str:
    return f"{{{lo},{'' if hi is None else hi}}}"


def to_regex(p: Pat, in_look: bool = False) -> str:
    """A Python `regex` pattern over one letter per token (see LETTER); `^`/`$` are the ends
    of the string (the window). Captures inside look-arounds are not kept, as in the DSL."""
    if isinstance(p, Word):
        return LETTER[p.word]
    if isinstance(p, AnyTok):
        return "."
    if isinstance(p, OneOf):
        return "[" + ("^" if p.negate else "") + "".join(LETTER[w] for w in p.words) + "]"
    if isinstance(p, Gap):
        return "." + _bounds(p.lo, p.hi) + "?"
    if isinstance(p, Anchor):
        return "(?<!.)" if p.at_start else "(?!.)"
    if isinstance(p, Seq):
        return "".join(to_regex(x, in_look) for x in p.items)
    if isinstance(p, Alt):
        return "(?:" + "|".join(to_regex(x, in_look) for x in p.options) + ")"
    if isinstance(p, Group):
        return "(?:" + to_regex(p.item, in_look) + ")"
    if isinstance(p, Rep):
        return "(?:" + to_regex(p.item, in_look) + ")" + _bounds(p.lo, p.hi) + ("" if p.greedy else "?")
    if isinstance(p, Cap):
        inner = to_regex(p.item, in_look)
        return f"(?:{inner})" if in_look else f"(?P<{p.name}>{inner})"
    assert isinstance(p, Look)
    opener = {(True, False): "(?=", (True, True): "(?!", (False, False): "(?<=", (False, True): "(?<!"}
    return opener[p.ahead, p.negate] + to_regex(p.item, True) + ")"


def lazy_choice(p: Pat) -> bool:
    """Does an explicit lazy quantifier outside look-arounds offer a choice? Then the regex
    module cannot say what modes longest and all prefer (S3), only mode first. (A gap is
    ranked by its end in those modes, like a greedy choice.)"""
    if isinstance(p, Look):
        return False
    if isinstance(p, Rep) and p.lo != p.hi and not p.greedy:
        return True
    return any(lazy_choice(k) for k in kids(p))


def unbounded(p: Pat) -> bool:
    """Does `p` hold a repeat or gap with no upper bound (refused in mode all, E227)?"""
    return (isinstance(p, Gap | Rep) and p.hi is None) or any(unbounded(k) for k in kids(p))


# ---- the generator -------------------------------------------------------------------------

QUANTS = [  # (written, lo, hi)
    ("?", 0, 1), ("*", 0, None), ("+", 1, None), ("{2}", 2, 2), ("{0,2}", 0, 2), ("{1,3}", 1, 3),
    ("{2,}", 2, None), ("{1,}", 1, None), ("{,2}", 0, 2), ("{1}", 1, 1), ("{0,1}", 0, 1),
]
GAPS = [  # (written, lo, hi)
    ("", 0, DEFAULT_GAP), ("?", 0, 1), ("*", 0, None), ("+", 1, None), ("{2}", 2, 2),
    ("{0,2}", 0, 2), ("{1,3}", 1, 3), ("{2,}", 2, None), ("{,1}", 0, 1), ("{1}", 1, 1), ("{0,}", 0, None),
]


class PatternGen:
    """Random patterns. `bounded`: no open repeat or gap anywhere (for mode all)."""

    def __init__(self, rnd: random.Random, bounded: bool) -> None:
        self.r = rnd
        self.bounded = bounded
        self.names = 0

    def pattern(self, depth: int, in_look: bool = False) -> Pat:
        if self.r.random() < 0.15:
            return Alt(tuple(self.seq(depth, in_look) for _ in range(self.r.choice([2, 2, 3]))))
        return self.seq(depth, in_look)

    def seq(self, depth: int, in_look: bool) -> Pat:
        items = tuple(self.item(depth, in_look) for _ in range(self.r.choice([1, 1, 2, 2, 3, 4])))
        return items[0] if len(items) == 1 else Seq(items)

    def quant(self) -> tuple[str, int, int | None, bool]:
        written, lo, hi = self.r.choice([q for q in QUANTS if not (self.bounded and q[2] is None)])
        lazy = self.r.random() < 0.35
        return written + ("?" if lazy else ""), lo, hi, not lazy

    def atom(self) -> Pat:
        roll = self.r.random()
        if roll < 0.6:
            return Word(self.r.choice(ALPHABET))
        if roll < 0.72:
            return AnyTok()
        if roll < 0.84:
            return OneOf((self.r.choice(ALPHABET),), True)
        return OneOf(tuple(self.r.sample(ALPHABET, 2)), self.r.random() < 0.4)

    def gap(self) -> Gap:
        written, lo, hi = self.r.choice([g for g in GAPS if not (self.bounded and g[2] is None)])
        if written in ("", "?", "*", "+") or self.r.random() < 0.7:
            return Gap(lo, hi, written)
        return Gap(lo, hi, written + "?")  # a `?` after a gap's braces changes nothing

    def item(self, depth: int, in_look: bool) -> Pat:
        roll = self.r.random()
        if depth <= 0 or roll < 0.3:
            return self.atom()
        if roll < 0.4:
            return self.gap()
        if roll < 0.5:  # a quantified atom
            written, lo, hi, greedy = self.quant()
            return Rep(self.atom(), lo, hi, greedy, written)
        if roll < 0.64:  # a quantified group, sometimes of a bare gap (S4)
            written, lo, hi, greedy = self.quant()
            body = self.gap() if self.r.random() < 0.25 else self.pattern(depth - 1, in_look)
            return Rep(body, lo, hi, greedy, written)
        if roll < 0.69:
            return Group(self.gap() if self.r.random() < 0.5 else self.pattern(depth - 1, in_look))
        if roll < 0.74:
            return Alt(tuple(self.seq(depth - 1, in_look) for _ in range(2)))
        if roll < 0.86:
            ahead, negate = self.r.random() < 0.5, self.r.random() < 0.4
            return Look(self.pattern(depth - 1, in_look=True), ahead, negate)
        if roll < 0.95:
            self.names += 1
            name = f"c{self.names}"  # before the inner pattern takes its own names
            whole = self.r.random() < 0.5
            inner = self.pattern(depth - 1, in_look) if whole else self.item(depth - 1, in_look)
            if isinstance(inner, Look | Anchor):
                inner = self.atom()
            return Cap(name, inner)
        return Anchor(self.r.random() < 0.5)


@dataclass
class Rule:
    pattern: Pat
    mode: str

    @property
    def text(self) -> str:
        return rule_text(self.pattern, self.mode)


def make_rule(rnd: random.Random) -> Rule:
    mode = rnd.choices(["longest", "first", "all"], [45, 35, 20])[0]
    gen = PatternGen(rnd, bounded=mode == "all")
    return Rule(gen.pattern(rnd.choice([2, 3, 3, 4])), mode)


def make_sentence(rnd: random.Random) -> list[str]:
    return [rnd.choice(ALPHABET) for _ in range(rnd.randint(1, 12))]


# ---- the three matchers, each giving [(start, end, ((capture, start, end), ...))] -----------

Match = tuple[int, int, tuple[tuple[str, int, int], ...]]


def _caps(found: dict[int, tuple[int, int]], names: dict[int, str]) -> tuple[tuple[str, int, int], ...]:
    """Captures as sorted (name, start, end), the empty ones left out."""
    return tuple(sorted((names[slot], s, e) for slot, (s, e) in found.items() if e > s))


def _view(words: list[str]) -> DocView:
    text = " ".join(words)
    v = DocView("doc", text, segment(text))
    assert len(v.norms) == len(words) and len(v.seg.sentences) == 1, words
    return v


def reference_matches(p: Pat, mode: str, words: list[str]) -> list[Match]:
    """tests/reference.py on the sentence (one window, the whole sentence)."""
    slots: dict[str, int] = {}
    node = to_ir(p, slots)
    names = {slot: name for name, slot in slots.items()}
    return [(s, e, _caps(c, names)) for s, e, c in run_pattern(node, mode, _view(words), 0, len(words))]


_REGEX_CACHE: dict[str, Any] = {}


def _compiled(pattern: str) -> Any:
    if pattern not in _REGEX_CACHE:
        if len(_REGEX_CACHE) > 5000:
            _REGEX_CACHE.clear()
        _REGEX_CACHE[pattern] = regex.compile(pattern, regex.V0)
    return _REGEX_CACHE[pattern]


def regex_matches(p: Pat, mode: str, words: list[str]) -> list[Match] | None:
    """The `regex` module's answer, or None where it cannot give one (modes longest and all
    with a lazy choice; a regex time-out)."""
    if mode != "first" and lazy_choice(p):
        return None
    body = to_regex(p)
    subject = "".join(LETTER[w] for w in words)
    n = len(subject)

    def at(s: int) -> Any:
        if mode == "first":
            return _compiled(body).match(subject, s, timeout=5)
        for end in range(n, s - 1, -1):  # the farthest end, then the first path reaching it
            m = _compiled(f"(?:{body})(?=.{{{n - end}}}\\Z)").match(subject, s, timeout=5)
            if m:
                return m
        return None

    out: list[Match] = []
    free = 0
    try:
        for s in range(n):
            if s < free:
                continue
            m = at(s)
            if m is None or m.end() == s:  # S6: an empty match is not reported
                continue
            spans = [(name, *m.span(name)) for name in m.re.groupindex]
            caps = tuple(sorted((name, a, b) for name, a, b in spans if b > a))
            out.append((s, m.end(), caps))
            if mode != "all":
                free = max(m.end(), s + 1)
    except TimeoutError:
        return None
    return out


def engine_book(directory: Path, rule: Rule) -> Any:
    """The engine's RuleBook for the rule, or the codes of the errors it was refused with."""
    (directory / "main.ie").write_text(rule.text, encoding="utf-8")
    try:
        return compile_rules([directory])
    except IEDslError as err:
        return "refused: " + " ".join(sorted({d.code for d in err.diagnostics if d.severity == "error"}))


def engine_matches(book: Any, words: list[str]) -> list[Match] | str:
    """The engine's statements on the sentence, as token spans and captures (or why none)."""
    if isinstance(book, str):
        return book
    text = " ".join(words)
    starts, ends, pos = {}, {}, 0
    for i, w in enumerate(words):
        starts[pos], ends[pos + len(w)] = i, i + 1
        pos += len(w) + 1
    try:
        statements = book.extract("doc", text)
    except Exception as err:  # noqa: BLE001 - a crash is a finding, reported like a mismatch
        return f"crash: {type(err).__name__}: {err}"
    out = []
    for st in statements:
        # an offset off the token boundaries shows as -1 (and so disagrees)
        args = st["args"].items()
        caps = tuple(sorted((name, starts.get(a["start"], -1), ends.get(a["end"], -1)) for name, a in args))
        out.append((starts.get(st["span"]["start"], -1), ends.get(st["span"]["end"], -1), caps))
    return out


# ---- a third matcher: every path, then the choice rules applied to the tree of paths --------
#
# Where the regex module cannot decide (modes longest and all with a lazy choice), the
# reference is checked against a different algorithm for the same rules: enumerate every
# complete match from a start in priority order, each with the decisions it took at its choice
# points, then apply S1/S3 to the tree those decisions form. It works on the generated tree and
# the words directly, so it shares nothing with tests/reference.py or the IR.

PATH_LIMIT = 2000  # more complete paths than this from one start: not decided
STEP_LIMIT = 100_000  # more steps than this for one case: not decided

Decisions = tuple[tuple[str, int], ...]  # ("far" | "lazy", branch index in priority order)
Walk = tuple[int, dict[str, tuple[int, int]], Decisions]  # (end, captures by name, decisions)


class _TooMany(Exception):
    pass


class PathEnum:
    """Every complete match of a generated pattern on `words`, in priority order (S1, with
    S2's empty iterations), as (end, captures, decisions); look-arounds by existence (S5)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.looks: dict[tuple[int, int], bool] = {}  # (id of the Look, token) -> holds
        self.steps = 0

    def paths(self, p: Pat, pos: int, caps: dict[str, tuple[int, int]]) -> Iterator[Walk]:
        self.steps += 1
        if self.steps > STEP_LIMIT:
            raise _TooMany
        words, n = self.words, len(self.words)
        if isinstance(p, Word | AnyTok | OneOf):
            if pos < n:
                ok = (
                    isinstance(p, AnyTok)
                    or (isinstance(p, Word) and words[pos] == p.word)
                    or (isinstance(p, OneOf) and (words[pos] in p.words) != p.negate)
                )
                if ok:
                    yield pos + 1, caps, ()
        elif isinstance(p, Gap):  # any tokens, fewer first, ranked by end (not lazy, S3)
            yield from self.loop(Rep(AnyTok(), p.lo, p.hi, False, ""), 0, pos, caps, gap=True)
        elif isinstance(p, Anchor):
            if pos == (0 if p.at_start else n):
                yield pos, caps, ()
        elif isinstance(p, Group):
            yield from self.paths(p.item, pos, caps)
        elif isinstance(p, Cap):
            for end, c, d in self.paths(p.item, pos, caps):
                yield end, {**c, p.name: (pos, end)}, d
        elif isinstance(p, Look):
            if self.look(p, pos) != p.negate:
                yield pos, caps, ()
        elif isinstance(p, Alt):
            for i, option in enumerate(p.options):
                for end, c, d in self.paths(option, pos, caps):
                    yield end, c, (("far", i), *d)
        elif isinstance(p, Seq):
            yield from self.seq(p, 0, pos, caps)
        else:
            assert isinstance(p, Rep)
            yield from self.loop(p, 0, pos, caps)

    def look(self, p: Look, pos: int) -> bool:
        key = (id(p), pos)
        if key not in self.looks:
            if p.ahead:
                found = any(True for _ in self.paths(p.item, pos, {}))
            else:
                found = any(e == pos for j in range(pos + 1) for e, _c, _d in self.paths(p.item, j, {}))
            self.looks[key] = found
        return self.looks[key]

    def seq(self, p: Seq, k: int, at: int, c: dict[str, tuple[int, int]]) -> Iterator[Walk]:
        if k == len(p.items):
            yield at, c, ()
            return
        for e1, c1, d1 in self.paths(p.items[k], at, c):
            for e2, c2, d2 in self.seq(p, k + 1, e1, c1):
                yield e2, c2, d1 + d2

    def loop(
        self, rep: Rep, count: int, at: int, c: dict[str, tuple[int, int]], gap: bool = False
    ) -> Iterator[Walk]:
        def more() -> Iterator[Walk]:
            for e1, c1, d1 in self.paths(rep.item, at, c):
                if count + 1 > rep.lo and e1 == at:  # S2: an empty iteration ends the repeat
                    yield e1, c1, d1
                else:
                    for e2, c2, d2 in self.loop(rep, count + 1, e1, c1, gap):
                        yield e2, c2, d1 + d2

        if count < rep.lo:
            yield from more()
        elif rep.hi is not None and count >= rep.hi:
            yield at, c, ()
        elif rep.greedy:
            for e, c1, d in more():
                yield e, c1, (("far", 0), *d)
            yield at, c, (("far", 1),)
        else:
            kind = "far" if gap else "lazy"
            yield at, c, ((kind, 0),)
            for e, c1, d in more():
                yield e, c1, ((kind, 1), *d)


def _decide(paths: list[Walk], depth: int, mode: str) -> Walk:
    """S1/S3 on a non-empty list of paths (in priority order) that share their first `depth`
    decisions: group them by the next decision, decide each group, then choose."""
    if mode == "first" or len(paths) == 1:
        return paths[0]
    kind = paths[0][2][depth][0]
    groups: dict[int, list[Walk]] = {}
    for path in paths:
        groups.setdefault(path[2][depth][1], []).append(path)
    results = [_decide(groups[i], depth + 1, mode) for i in sorted(groups)]
    if kind == "lazy":  # the preferred branch if it leads to any match at all
        return results[0]
    return max(results, key=lambda r: r[0])  # the farthest end; max keeps the first on a tie


def path_matches(p: Pat, mode: str, words: list[str]) -> list[Match] | None:
    """The matches found by enumerating paths, or None when that is too big to finish."""
    enum = PathEnum(words)
    out: list[Match] = []
    free = 0
    try:
        for s in range(len(words)):
            if s < free:
                continue
            paths = []
            for path in enum.paths(p, s, {}):
                paths.append(path)
                if len(paths) > PATH_LIMIT:
                    return None
            if not paths:
                continue
            end, caps, _d = _decide(paths, 0, mode)
            if end == s:  # S6
                continue
            out.append((s, end, tuple(sorted((name, a, b) for name, (a, b) in caps.items() if b > a))))
            if mode != "all":
                free = max(end, s + 1)
    except _TooMany:
        return None
    return out


# ---- disagreements: shrink, show, count ----------------------------------------------------


def _subtrees(p: Pat, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Pat]]:
    yield path, p
    for i, k in enumerate(kids(p)):
        yield from _subtrees(k, (*path, i))


def _replace(p: Pat, path: tuple[int, ...], new: Pat) -> Pat:
    if not path:
        return new
    ks = list(kids(p))
    ks[path[0]] = _replace(ks[path[0]], path[1:], new)
    return with_kids(p, tuple(ks))


def _smaller(p: Pat) -> Iterator[Pat]:
    """Patterns one step simpler than `p`: a node replaced by one of its parts, an item of a
    sequence or an option dropped, a repeat's bounds narrowed."""
    for path, node in _subtrees(p):
        parts = kids(node)
        for k in parts:
            yield _replace(p, path, k)
        if isinstance(node, Seq | Alt) and len(parts) > 2:
            for i in range(len(parts)):
                yield _replace(p, path, with_kids(node, parts[:i] + parts[i + 1 :]))
        if not isinstance(node, Word):
            yield _replace(p, path, Word("ka"))


def _size(rule: Rule, words: list[str]) -> tuple[int, int]:
    return sum(1 for _ in _subtrees(rule.pattern)) + len(words), len(rule.text)


def shrink(
    rule: Rule, words: list[str], fails: Callable[[Rule, list[str]], bool], budget: int = 300
) -> tuple[Rule, list[str]]:
    """A smaller rule and sentence on which `fails` still holds (greedy, at most `budget` tries)."""
    tries = 0
    progress = True
    while progress and tries < budget:
        progress = False
        candidates = [(rule, words[:i] + words[i + 1 :]) for i in range(len(words)) if len(words) > 1]
        candidates += [(Rule(q, rule.mode), words) for q in _smaller(rule.pattern)]
        for cand_rule, cand_words in candidates:
            if tries >= budget:
                break
            if _size(cand_rule, cand_words) < _size(rule, words):
                tries += 1
                if fails(cand_rule, cand_words):
                    rule, words, progress = cand_rule, cand_words, True
                    break
    return rule, words


def _show(m: list[Match] | str | None) -> str:
    if m is None:
        return "(not decided)"
    if isinstance(m, str):
        return m
    parts = []
    for s, e, caps in m:
        cs = ", ".join(f"{name}={a}..{b}" for name, a, b in caps)
        parts.append(f"{s}..{e}" + (f" [{cs}]" if cs else ""))
    return "; ".join(parts) or "no match"


def nullable(p: Pat) -> bool:
    """Can `p` match zero tokens?"""
    if isinstance(p, Word | AnyTok | OneOf):
        return False
    if isinstance(p, Gap | Rep) and p.lo == 0:
        return True
    if isinstance(p, Gap):
        return False
    if isinstance(p, Anchor | Look):
        return True
    if isinstance(p, Alt):
        return any(nullable(o) for o in p.options)
    return all(nullable(k) for k in kids(p))


def tags(rule: Rule) -> list[str]:
    """Which rules of the specification a (shrunk) case exercises, to sort disagreements."""
    found = set()
    for _path, node in _subtrees(rule.pattern):
        if isinstance(node, Rep) and isinstance(node.item, Gap):
            found.add("S4 quantified (...)")
        if isinstance(node, Rep) and nullable(node.item) and node.hi != node.lo:
            found.add("S2 repeat of an empty-able body")
        if isinstance(node, Look) and unbounded(node.item):
            found.add("S5 unbounded look-around")
        if isinstance(node, Look) and any(isinstance(x, Look) for _q, x in _subtrees(node.item)):
            found.add("S5 nested look-around")
    if rule.mode != "first" and lazy_choice(rule.pattern):
        found.add("S3 lazy quantifier in " + rule.mode)
    if rule.mode != "first" and any(isinstance(x, Gap) and x.lo != x.hi for _q, x in _subtrees(rule.pattern)):
        found.add("S3 gap in " + rule.mode)
    if nullable(rule.pattern):
        found.add("S6 pattern can match nothing")
    return sorted(found)


def report(rule: Rule, words: list[str], results: dict[str, list[Match] | str | None]) -> str:
    """One disagreement, as a block a person can act on (spans are token ranges [start, end))."""
    tokens = " ".join(f"{i}:{w}" for i, w in enumerate(words))
    lines = [f"  rule:      {rule.text.strip()}", f"  sentence:  {' '.join(words)}   ({tokens})"]
    lines += [f"  {name + ':':<11}{_show(got)}" for name, got in results.items()]
    lines.append(f"  as regex:  {to_regex(rule.pattern)}")
    lines.append(f"  exercises: {', '.join(tags(rule)) or '-'}")
    return "\n".join(lines)


def _emit(capsys: pytest.CaptureFixture[str], line: str, counts: dict[str, int]) -> None:
    """Print `line` past pytest's capture, and add `counts` to the IEDSL_FUZZ_OPS_COUNTS file."""
    with capsys.disabled():
        print(f"\n{line} (seed {SEED}, {RULES} rules x {SENTENCES} sentences)")
    target = os.environ.get("IEDSL_FUZZ_OPS_COUNTS")
    if target:
        path = Path(target)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        total = json.loads(text) if text.strip() else {}
        for label, n in counts.items():
            total[label] = total.get(label, 0) + n
        path.write_text(json.dumps(total, indent=1), encoding="utf-8")


def _cases(seed: int) -> Iterator[tuple[int, Rule, list[list[str]]]]:
    """`RULES` random rules, each with `SENTENCES` random sentences, from `seed`."""
    rnd = random.Random(seed)
    for i in range(RULES):
        rule = make_rule(rnd)
        yield i, rule, [make_sentence(rnd) for _ in range(SENTENCES)]


class Findings:
    """Disagreements by class: counted, and a few of each class shrunk and shown, one per
    set of specification rules the shrunk case exercises (see `tags`)."""

    def __init__(self, shrinks: int = 8, shown: int = 4) -> None:
        self.shrinks, self.most = shrinks, shown  # per class: cases shrunk, cases shown
        self.counts: dict[str, int] = {}
        self.tried: dict[str, int] = {}
        self.shown: dict[str, dict[tuple[str, ...], str]] = {}  # class -> tags -> text

    def add(self, kind: str, n: int, show: Callable[[], tuple[Rule, str]]) -> None:
        """`n` disagreeing cases of class `kind`; `show()` shrinks one and describes it."""
        self.counts[kind] = self.counts.get(kind, 0) + n
        shown = self.shown.setdefault(kind, {})
        if self.tried.get(kind, 0) < self.shrinks and len(shown) < self.most:
            self.tried[kind] = self.tried.get(kind, 0) + 1
            rule, text = show()
            shown.setdefault(tuple(tags(rule)), text)

    def message(self, compared: int) -> str:
        """The summary line, then the cases shown."""
        summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.counts.items()))
        blocks = [f"{sum(self.counts.values())} of {compared} cases disagree ({summary})"]
        for kind, shown in sorted(self.shown.items()):
            blocks += [f"[{kind}] shrunk:\n{text}" for text in shown.values()]
        return "\n".join(blocks)


# ---- the properties ------------------------------------------------------------------------


def oracle_matches(p: Pat, mode: str, words: list[str]) -> tuple[str, list[Match] | None]:
    """(which oracle decided, its matches): the regex module where it can, else the path
    enumeration; ("none", None) when neither can."""
    got = regex_matches(p, mode, words)
    if got is not None:
        return "regex", got
    got = path_matches(p, mode, words)
    return ("paths", got) if got is not None else ("none", None)


def test_reference_agrees_with_oracles(capsys: pytest.CaptureFixture[str]) -> None:
    """(b) tests/reference.py == the `regex` module wherever it decides, and == the path
    enumeration elsewhere (modes longest and all with a lazy choice); see the top."""
    started = time.monotonic()
    decided = {"regex": 0, "paths": 0, "none": 0}
    findings = Findings()

    def fails(rule: Rule, words: list[str]) -> bool:
        _, want = oracle_matches(rule.pattern, rule.mode, words)
        return want is not None and reference_matches(rule.pattern, rule.mode, words) != want

    def show(i: int, rule: Rule, words: list[str]) -> tuple[Rule, str]:
        small, small_words = shrink(rule, words, fails)
        results = {
            "reference": reference_matches(small.pattern, small.mode, small_words),
            "regex": regex_matches(small.pattern, small.mode, small_words),
            "paths": path_matches(small.pattern, small.mode, small_words),
        }
        return small, f"rule #{i} (seed {SEED}):\n" + report(small, small_words, results)

    for i, rule, sentences in _cases(SEED):
        for words in sentences:
            oracle, want = oracle_matches(rule.pattern, rule.mode, words)
            decided[oracle] += 1
            if want is not None and reference_matches(rule.pattern, rule.mode, words) != want:
                findings.add(f"reference != {oracle}", 1, lambda i=i, r=rule, w=words: show(i, r, w))
    compared = decided["regex"] + decided["paths"]
    _emit(
        capsys,
        f"reference vs oracles: {compared:,} fuzz cases in {time.monotonic() - started:.1f} s "
        f"({decided['regex']:,} decided by the regex module, {decided['paths']:,} by the path "
        f"enumeration, {decided['none']:,} by neither)",
        {"reference vs regex": decided["regex"], "reference vs paths": decided["paths"]},
    )
    assert decided["none"] < compared // 20, f"{decided['none']} cases undecided, {compared} compared"
    assert not findings.counts, findings.message(compared)


def _kind(got: list[Match] | str) -> str:
    """The class of an engine result that disagrees: differs, crash, or refused with its codes."""
    if isinstance(got, str):
        return got if got.startswith("refused") else got.split(":")[0]
    return "differs"


def test_engine_agrees_with_reference(capsys: pytest.CaptureFixture[str]) -> None:
    """(a) the engine's statements == tests/reference.py, for every case (see top)."""
    started = time.monotonic()
    compared = 0
    findings = Findings()
    with tempfile.TemporaryDirectory(prefix="iedsl-fuzz-ops-") as tmp:
        directory = Path(tmp)

        def engine(rule: Rule, words: list[str]) -> list[Match] | str:
            return engine_matches(engine_book(directory, rule), words)

        def show(i: int, rule: Rule, words: list[str], kind: str) -> tuple[Rule, str]:
            def fails(r: Rule, w: list[str]) -> bool:
                got = engine(r, w)
                return got != reference_matches(r.pattern, r.mode, w) and _kind(got) == kind

            small, small_words = shrink(rule, words, fails, budget=150)
            results = {
                "engine": engine(small, small_words),
                "reference": reference_matches(small.pattern, small.mode, small_words),
                "regex": regex_matches(small.pattern, small.mode, small_words),
            }
            return small, f"rule #{i} (seed {SEED + 1}):\n" + report(small, small_words, results)

        for i, rule, sentences in _cases(SEED + 1):
            book = engine_book(directory, rule)
            if isinstance(book, str):  # refused: every sentence disagrees, shown once
                compared += len(sentences)
                first = sentences[0]
                findings.add(book, len(sentences), lambda i=i, r=rule, w=first, b=book: show(i, r, w, b))
                continue
            for words in sentences:
                compared += 1
                got = engine_matches(book, words)
                if got != reference_matches(rule.pattern, rule.mode, words):
                    k = _kind(got)
                    findings.add(k, 1, lambda i=i, r=rule, w=words, k=k: show(i, r, w, k))
    _emit(
        capsys,
        f"engine vs reference: {compared:,} fuzz cases in {time.monotonic() - started:.1f} s, "
        f"{sum(findings.counts.values()):,} disagree",
        {"engine vs reference": compared},
    )
    assert not findings.counts, findings.message(compared)
