"""A small reference matcher for the tests, written independently of vm.py and compiler.py.

It follows the matching rules S1-S6 of the operator-semantics brief (docs/language.md, section
8, and docs/fuzzing.md) literally, with a plain memoized recursion in continuation-passing
style. It is slow and meant to be obviously correct, so the engine can be checked against it:

    Matcher(pattern, view, lo, hi, mode).at(start) -> the match a rule prefers at `start`
    preferred(node, view, lo, hi, start, mode)     -> the same, for one call
    run(rule, view, lo, hi)                        -> [(start, end, captures)] of one window
    run_pattern(pattern, mode, view, lo, hi)       -> the same for a bare pattern
    reference_statements(book, doc_id, text)       -> what RuleBook.extract should return

The rules, in short:

- S1 `first`: the first match in priority order, as Python's `re` backtracks: greedy repeats
  try one more iteration first, lazy ones one fewer, alternatives left to right, an
  annotation offers its ends longest first.
- S2 an iteration of a repeat past its minimum count that consumes no token is accepted and
  ends the repeat (Python's rule); iterations up to the minimum always run.
- S3 `longest` and `all`: at an alternative, a greedy repeat's or a gap's choice (once more
  or stop) and an annotation's choice of end, take the branch whose best match ends
  farthest (on a tie, the higher-priority branch: for a gap, fewer tokens); at an explicit
  lazy quantifier's choice (`ir.Rep.lazy`), take the preferred branch (stop) if it leads to
  any match at all, else the other.
- S5 look-arounds hold any pattern; a look-behind's pattern may start anywhere in the window
  and must end exactly here; a look-ahead's starts here and may end anywhere in the window.
- S6 an empty preferred match is not reported; the scan is leftmost, goes on at max(end,
  start + 1) after a match, and in mode `all` at every start.

How the recursion works: `go(node, pos, k)` is the best match of `node` from `pos` followed by
the continuation `k` (what is left of the whole pattern, a linked stack of frames), as
(end of the whole match, captures set from here on). Each choice point compares the
complete matches its branches lead to, which is exactly what S1 and S3 ask for. Results
depend only on (node, pos, k), so they are memoized.

Only the non-matching parts of runtime.py are reused: DocView, the lexicon and NUMBER part
of annotate(), resolve(), _statement() and _dedupe(). Entity rules, scope windows, token
tests and the prefilter-free scanning are all re-derived here.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import regex

from ie_dsl.engine import ir
from ie_dsl.language.attrfilter import derive
from ie_dsl.run.runtime import (
    Annotation,
    Candidate,
    DocRun,
    DocView,
    Match,
    _statement,
    annotate,
    finish,
    resolve,
)
from ie_dsl.run.statement import conjoined, to_dict
from ie_dsl.text.segment import segment

Caps = dict[int, tuple[int, int]]  # capture slot -> (start, end) token span

# The recursion goes a few frames deeper per token matched; sentences can be long.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))

NUMBER_WORDS = set(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion trillion dozen".split()
)


def _is_number(text: str, norm: str) -> bool:
    digits = text[:1].isdecimal() and all(ch.isdecimal() or ch in ",." for ch in text)
    return digits or norm in NUMBER_WORDS


CLASSES = {
    "cap": lambda t, n: t[:1].isupper(),
    "upper": lambda t, n: t.isupper(),
    "lower": lambda t, n: t.islower(),
    "title": lambda t, n: t.istitle(),
    "alpha": lambda t, n: t.isalpha(),
    "word": lambda t, n: any(ch.isalnum() for ch in t),
    "punct": lambda t, n: not any(ch.isalnum() for ch in t),
    "any": lambda t, n: True,
    "number": _is_number,
    "num": _is_number,
}


def _anns(v: DocView, type_name: str) -> list[Annotation]:
    return [a for (t, _s, _e), a in v.annotations.items() if t == type_name]


def passes(t: ir.Test, v: DocView, i: int) -> bool:
    """Does token i pass the single-token test `t`?"""
    if isinstance(t, ir.TNorm):
        return v.norms[i] in t.forms
    if isinstance(t, ir.TText):
        return v.texts[i] in t.texts
    if isinstance(t, ir.TRe):
        flags = (regex.IGNORECASE if "i" in t.flags else 0) | (regex.VERBOSE if "x" in t.flags else 0)
        return regex.search(t.pattern, v.texts[i], flags | regex.V0) is not None
    if isinstance(t, ir.TClass):
        return CLASSES[t.name](v.texts[i], v.norms[i])
    if isinstance(t, ir.TIn):
        return any(a.start <= i < a.end for a in _anns(v, t.type))
    if isinstance(t, ir.TNot):
        return not passes(t.test, v, i)
    if isinstance(t, ir.TAnd):
        return all(passes(x, v, i) for x in t.tests)
    if isinstance(t, ir.TOr):
        return any(passes(x, v, i) for x in t.tests)
    assert isinstance(t, ir.TTrue)
    return True


Found = tuple[int, Caps] | None  # (end of the match, captures), or no match
# A continuation: a linked stack (frame, rest), None at the pattern's end. Frames:
#   ("seq", i, k)        items k.. of the Seq numbered i are still to match
#   ("rep", i, n, begun) iteration n (from 1) of the Rep numbered i began at token `begun`
#   ("cap", i, start)    the Cap numbered i began at token `start`
#   ("at", target)       (bottom, in a look-behind) the match must end at token `target`
Frame = tuple[Any, ...]
Stack = tuple[Frame, "Stack"] | None


class Matcher:
    """Matches of one pattern inside the window [lo, hi) of a document, in one mode."""

    def __init__(self, pattern: ir.Node, v: DocView, lo: int, hi: int, mode: str) -> None:
        self.pattern, self.v, self.lo, self.hi, self.mode = pattern, v, lo, hi, mode
        self.nodes: list[ir.Node] = []  # nodes by number: frames and memo keys hold numbers,
        self.number: dict[int, int] = {}  # since ir nodes hash their whole subtree
        self._number(pattern)
        self.memo: dict[tuple[int, int, Stack], Found] = {}
        self._probe: Matcher | None = None

    def _number(self, node: ir.Node) -> None:
        self.number[id(node)] = len(self.nodes)
        self.nodes.append(node)
        for kid in (*getattr(node, "items", ()), *getattr(node, "options", ())):
            self._number(kid)
        if isinstance(node, ir.Rep | ir.Cap | ir.Look):
            self._number(node.item)

    def at(self, start: int) -> Found:
        """The match the rule prefers at token `start` (S1-S3), possibly empty."""
        return self.go(self.pattern, start, None)

    # ---- choice points ----------------------------------------------------------------

    def choose(self, branches: list[Callable[[], Found]]) -> Found:
        """Branches in priority order -> the preferred result: in mode `first` the first
        that matches (S1); else the one ending farthest, the earlier on a tie (S3)."""
        best: Found = None
        for branch in branches:
            got = branch()
            if got is not None and self.mode == "first":
                return got
            if got is not None and (best is None or got[0] > best[0]):
                best = got
        return best

    @staticmethod
    def prefer(branches: list[Callable[[], Found]]) -> Found:
        """An explicit lazy quantifier's choice, in every mode: the first branch that leads
        to a match."""
        for branch in branches:
            got = branch()
            if got is not None:
                return got
        return None

    # ---- the recursion ----------------------------------------------------------------

    def go(self, node: ir.Node, pos: int, k: Stack) -> Found:
        """The preferred match of `node` from token `pos`, then of the continuation `k`."""
        key = (self.number[id(node)], pos, k)
        if key not in self.memo:
            self.memo[key] = self._go(node, pos, k)
        return self.memo[key]

    def _go(self, node: ir.Node, pos: int, k: Stack) -> Found:
        i = self.number[id(node)]
        if isinstance(node, ir.Tok):
            ok = pos < self.hi and passes(node.test, self.v, pos)
            return self.cont(k, pos + 1) if ok else None
        if isinstance(node, ir.Ann):  # the annotation's ends, longest first
            ends = sorted({a.end for a in _anns(self.v, node.type) if a.start == pos and a.end <= self.hi})
            return self.choose([lambda e=e: self.cont(k, e) for e in reversed(ends)])
        if isinstance(node, ir.Seq):
            return self.cont((("seq", i, 0), k), pos)
        if isinstance(node, ir.Alt):
            return self.choose([lambda o=o: self.go(o, pos, k) for o in node.options])
        if isinstance(node, ir.Rep):
            return self.loop(i, 0, pos, k)
        if isinstance(node, ir.Cap):
            return self.go(node.item, pos, (("cap", i, pos), k))
        if isinstance(node, ir.Look):  # zero-width; captures inside are not kept
            return self.cont(k, pos) if self.look(node, pos) != node.negate else None
        assert isinstance(node, ir.Assert)
        return self.cont(k, pos) if pos == (self.lo if node.at_start else self.hi) else None

    def loop(self, i: int, count: int, pos: int, k: Stack) -> Found:
        """The Rep numbered i after `count` iterations, at token `pos`."""
        rep = self.nodes[i]
        assert isinstance(rep, ir.Rep)

        def more() -> Found:
            return self.go(rep.item, pos, (("rep", i, count + 1, pos), k))

        def stop() -> Found:
            return self.cont(k, pos)

        if count < rep.min:
            return more()
        if rep.max is not None and count >= rep.max:
            return stop()
        if rep.lazy:  # an explicit lazy quantifier (`*?`, `??`, `{m,n}?`): S3's exception
            return self.prefer([stop, more])
        return self.choose([more, stop] if rep.greedy else [stop, more])  # a gap: fewer first

    def cont(self, k: Stack, pos: int) -> Found:
        """The continuation `k` from token `pos`: (end, captures set from here on)."""
        if k is None:
            return pos, {}
        frame, rest = k
        if frame[0] == "at":
            return (pos, {}) if pos == frame[1] else None
        if frame[0] == "seq":
            seq = self.nodes[frame[1]]
            assert isinstance(seq, ir.Seq)
            if frame[2] == len(seq.items):
                return self.cont(rest, pos)
            return self.go(seq.items[frame[2]], pos, (("seq", frame[1], frame[2] + 1), rest))
        if frame[0] == "rep":
            rep = self.nodes[frame[1]]
            assert isinstance(rep, ir.Rep)
            if frame[2] > rep.min and pos == frame[3]:  # S2: an empty iteration ends the repeat
                return self.cont(rest, pos)
            return self.loop(frame[1], frame[2], pos, rest)
        assert frame[0] == "cap"
        got = self.cont(rest, pos)
        if got is None:
            return None
        cap = self.nodes[frame[1]]
        assert isinstance(cap, ir.Cap)
        return got[0], {cap.slot: (frame[2], pos), **got[1]}  # a later capture of the slot wins

    def look(self, node: ir.Look, pos: int) -> bool:
        """Does the look-around's pattern match here (S5)? Only existence counts, so the
        search runs in mode `first`, the quickest."""
        if self._probe is None:
            first = self.mode == "first"
            self._probe = self if first else Matcher(self.pattern, self.v, self.lo, self.hi, "first")
        probe = self._probe
        if node.ahead:
            return probe.go(node.item, pos, None) is not None
        return any(probe.go(node.item, j, (("at", pos), None)) is not None for j in range(self.lo, pos + 1))


def preferred(node: ir.Node, v: DocView, lo: int, hi: int, start: int, mode: str) -> Found:
    """The match a rule with pattern `node` and `mode` prefers at token `start` of the window
    [lo, hi): (end, captures), possibly empty, or None."""
    return Matcher(node, v, lo, hi, mode).at(start)


def run_pattern(pattern: ir.Node, mode: str, v: DocView, lo: int, hi: int) -> list[tuple[int, int, Caps]]:
    """The matches a rule reports in one window: leftmost, the preferred match at each start
    unless it is empty (S6); after a match the next start is max(end, start + 1), except in
    mode `all`, which tries every start."""
    matcher = Matcher(pattern, v, lo, hi, mode)
    out = []
    free = lo
    for s in range(lo, hi):
        if s < free:
            continue
        got = matcher.at(s)
        if got is None or got[0] == s:
            continue
        out.append((s, got[0], got[1]))
        if mode != "all":
            free = max(got[0], s + 1)
    return out


def run(rule: ir.RuleIR, v: DocView, lo: int, hi: int) -> list[tuple[int, int, Caps]]:
    """run_pattern for a rule: [(start, end, captures)] of one window."""
    return run_pattern(rule.pattern, rule.mode, v, lo, hi)


def windows(v: DocView, scope: str, size: int) -> list[tuple[int, int]]:
    """Token ranges a rule runs in: each sentence, each paragraph, or for `window N` the
    sentences i .. i+N-1 of each sentence i, cut at the end of its paragraph."""
    sents = v.seg.sentences
    if scope == "paragraph":
        return [
            (sents[p.first_sentence].first_token, sents[p.end_sentence - 1].end_token)
            for p in v.seg.paragraphs
            if p.end_sentence > p.first_sentence
        ]
    if scope == "window":
        out = []
        for i, s in enumerate(sents):
            last = i
            while last + 1 < min(len(sents), i + size) and sents[last + 1].paragraph == s.paragraph:
                last += 1
            out.append((s.first_token, sents[last].end_token))
        return out
    return [(s.first_token, s.end_token) for s in sents]


def slots(rule: ir.RuleIR, caps: Caps) -> list[int]:
    """Captures as the flat slot list runtime._statement reads."""
    flat = [-1] * (2 * len(rule.captures))
    for slot, (s, e) in caps.items():
        flat[2 * slot], flat[2 * slot + 1] = s, e
    return flat


def reference_annotate(program: Any, v: DocView) -> None:
    """Lexicons and NUMBER via runtime.annotate; the entity cascade with this matcher."""
    annotate(dataclasses.replace(program, strata=()), v)
    for stratum in program.strata:
        made: dict[str, list[Candidate[Annotation]]] = {}
        seen: set[tuple[int, int, int]] = set()
        for cr in stratum:
            r = cr.rule
            for lo, hi in windows(v, r.scope, r.window):
                for s, e, _caps in run(r, v, lo, hi):
                    if (r.order, s, e) not in seen:
                        seen.add((r.order, s, e))
                        ann = Annotation(r.output, s, e, None, (), f"rule:{r.name}", r.priority, r.order)
                        cand = Candidate(r.priority, s, e, r.order, r.mode == "all", ann)
                        made.setdefault(r.output, []).append(cand)
        for type_name, cands in made.items():
            old = [Candidate(a.priority, a.start, a.end, a.order, False, a) for a in _anns(v, type_name)]
            v.set_annotations(type_name, resolve(old + cands, len(v.norms)))
        derive(v, program.used, made)  # filtered types (PLACE[kind=x]): the engine's own step


def reference_statements(book: Any, doc_id: str, text: str) -> list[dict[str, Any]]:
    """What `book.extract(doc_id, text)` should return, computed with this matcher."""
    program = book.program
    v = DocView(doc_id, text, segment(text))
    reference_annotate(program, v)
    cands = []
    seen: set[tuple[int, int, int]] = set()  # overlapping windows find a match twice
    for cr in program.statements:
        r = cr.rule
        for lo, hi in windows(v, r.scope, r.window):
            for s, e, caps in run(r, v, lo, hi):
                if (r.order, s, e) not in seen:
                    seen.add((r.order, s, e))
                    match = Match(cr, s, e, caps)
                    cands.append((r.group, Candidate(r.priority, s, e, r.order, r.mode == "all", match)))
    statements = []
    for group in sorted({g for g, _ in cands}):
        for cr, s, e, caps in resolve([c for g, c in cands if g == group], len(v.norms)):
            st = _statement(v, cr, s, e, slots(cr.rule, caps))
            statements.extend(conjoined(v, cr, st, slots(cr.rule, caps)))  # each(): the engine's
    return [to_dict(st) for st in finish(program, DocRun(v), statements)]
