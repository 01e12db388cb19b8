"""A small reference matcher for the tests, written independently of vm.py and compiler.py.

It enumerates every match of an `ie_dsl.ir` pattern, in priority order, with a plain
recursive generator, and derives the per-rule modes and the statements from that. It is
slow and obviously correct, so the engine can be checked against it:

    matches(node, view, lo, hi, pos)          -> every (end, captures), best first
    preferred(node, view, lo, hi, start, mode) -> the one match a rule keeps at `start`
    run(rule, view, lo, hi)                   -> [(start, end, captures)] of one window
    reference_statements(book, doc_id, text)  -> what RuleBook.extract should return

Only the non-matching parts of runtime.py are reused: DocView, the lexicon and NUMBER part
of annotate(), resolve(), _statement() and _dedupe(). Entity rules, scope windows, token
tests and the prefilter-free scanning are all re-derived here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import regex

from ie_dsl import ir
from ie_dsl.runtime import Annotation, DocView, _statement, annotate, finish, resolve
from ie_dsl.text import segment

Caps = dict[int, tuple[int, int]]  # capture slot -> (start, end) token span

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


def matches(
    node: ir.Node, v: DocView, lo: int, hi: int, pos: int, caps: Caps | None = None
) -> Iterator[tuple[int, Caps]]:
    """Every match of `node` from token `pos` inside [lo, hi), in priority order."""
    caps = {} if caps is None else caps

    def m(n: ir.Node, p: int, c: Caps) -> Iterator[tuple[int, Caps]]:
        return matches(n, v, lo, hi, p, c)

    if isinstance(node, ir.Tok):
        if pos < hi and passes(node.test, v, pos):
            yield pos + 1, caps
    elif isinstance(node, ir.Ann):  # longest annotation first
        ends = [a.end for a in _anns(v, node.type) if a.start == pos and a.end <= hi]
        for end in sorted(ends, reverse=True):
            yield end, caps
    elif isinstance(node, ir.Seq):

        def seq(k: int, p: int, c: Caps) -> Iterator[tuple[int, Caps]]:
            if k == len(node.items):
                yield p, c
                return
            for e, c2 in m(node.items[k], p, c):
                yield from seq(k + 1, e, c2)

        yield from seq(0, pos, caps)
    elif isinstance(node, ir.Alt):
        for option in node.options:
            yield from m(option, pos, caps)
    elif isinstance(node, ir.Rep):

        def rep(count: int, p: int, c: Caps) -> Iterator[tuple[int, Caps]]:
            def more() -> Iterator[tuple[int, Caps]]:
                for e, c2 in m(node.item, p, c):
                    # an unbounded loop past its minimum may not iterate without advancing
                    # (ECMAScript's rule; test_cases._loops_on_empty says where it matters)
                    if not (e == p and node.max is None and count >= node.min):
                        yield from rep(count + 1, e, c2)

            if count < node.min:
                yield from more()
            elif node.max is not None and count >= node.max:
                yield p, c
            elif node.greedy:
                yield from more()
                yield p, c
            else:
                yield p, c
                yield from more()

        yield from rep(0, pos, caps)
    elif isinstance(node, ir.Cap):
        for e, c in m(node.item, pos, caps):
            yield e, {**c, node.slot: (pos, e)}
    elif isinstance(node, ir.Look):  # captures inside a look-around are not kept
        if node.ahead:
            found = any(True for _ in m(node.item, pos, {}))
        else:
            found = any(e == pos for j in range(lo, pos + 1) for e, _ in m(node.item, j, {}))
        if found != node.negate:
            yield pos, caps
    else:
        assert isinstance(node, ir.Assert)
        if pos == (lo if node.at_start else hi):
            yield pos, caps


def preferred(node: ir.Node, v: DocView, lo: int, hi: int, start: int, mode: str) -> tuple[int, Caps] | None:
    """`first`: the first match in priority order. `longest` and `all`: the farthest end,
    with the captures of the first match reaching it."""
    best: tuple[int, Caps] | None = None
    for end, caps in matches(node, v, lo, hi, start):
        if mode == "first":
            return end, caps
        if best is None or end > best[0]:
            best = (end, caps)
    return best


def run(rule: ir.RuleIR, v: DocView, lo: int, hi: int) -> list[tuple[int, int, Caps]]:
    """Leftmost scan of one window: after a match the next start is max(end, start + 1),
    except in mode `all`, which keeps one match per start."""
    out = []
    free = lo
    for s in range(lo, hi):
        if s < free:
            continue
        got = preferred(rule.pattern, v, lo, hi, s, rule.mode)
        if got is None:
            continue
        out.append((s, got[0], got[1]))
        if rule.mode != "all":
            free = max(got[0], s + 1)
    return out


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
        made: dict[str, list[tuple[int, int, int, int, bool, Annotation]]] = {}
        seen: set[tuple[int, int, int]] = set()
        for cr in stratum:
            r = cr.rule
            for lo, hi in windows(v, r.scope, r.window):
                for s, e, _caps in run(r, v, lo, hi):
                    if (r.order, s, e) not in seen:
                        seen.add((r.order, s, e))
                        ann = Annotation(r.output, s, e, None, (), f"rule:{r.name}", r.priority, r.order)
                        cand = (r.priority, s, e, r.order, r.mode == "all", ann)
                        made.setdefault(r.output, []).append(cand)
        for type_name, cands in made.items():
            old = [(a.priority, a.start, a.end, a.order, False, a) for a in _anns(v, type_name)]
            v.set_annotations(type_name, resolve(old + cands, len(v.norms)))


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
                    cands.append((r.group, (r.priority, s, e, r.order, r.mode == "all", (cr, s, e, caps))))
    statements = []
    for group in sorted({g for g, _ in cands}):
        for cr, s, e, caps in resolve([c for g, c in cands if g == group], len(v.norms)):
            statements.append(_statement(v, cr, s, e, slots(cr.rule, caps)))
    return finish(program, v, statements)
