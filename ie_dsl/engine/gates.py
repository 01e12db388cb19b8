"""What a path from an instruction can take first: the gates that let the matcher drop a
branch without walking into it.

A loose rule's gaps are long chains of optional parts (an apposition?, an official?, an
adverbial?, auxiliaries ...), each a SPLIT whose first branch opens another choice. At a
token that begins none of them, walking each branch to see it fail made a solved state per
part (vm._solve). A gate is what every path from an instruction can consume first, found
once per rule here: the words (as bits, see `Gate`), the annotation types that may begin
there, and the token tests. At a SPLIT, a branch whose gate the token does not pass is
dropped on the spot (vm._walk), so a gap the sentence does not use costs one straight walk.

`gated(code)` -> the same code with a gate (or None: the branch may go on without a token,
or take any token) after each SPLIT's operands: (SPLIT, first, second, lazy, gate_first,
gate_second). The answer is exact for words and types and conservative elsewhere: a
look-around or an anchor is taken as passing, so a gate never drops a branch that could
match.

At run time (vm.py): `shut(gate, view, pos, hi)` (can no path through the gate go on at
pos?), `lets_in`, `tests_let_in`, `starts_in`, and for a look-around body `shut_next` (from
the token next to the position) and `far` (what the body needs is out of its reach,
prefilter.near).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ie_dsl.engine.opcodes import ANN, ANY, ASSERT, JMP, LOOK, MATCH, NORM, SAVE, SPLIT, TEST, Code
from ie_dsl.engine.predicates import Answers

# (bits of each word the rule's NORM instructions name, the bits of this gate's words,
# the types an annotation may begin with, the tests one of which the token may pass,
# what the tests answered per token text if they look at the token alone, or None, and
# the Answers that table belongs to)
Gate = tuple[
    dict[str, int], int, tuple[str, ...], tuple[Callable[[Any, int], bool], ...], dict[str, bool] | None, Any
]

MAX_TESTS = 6  # a gate with more token tests than this is not worth checking: none

_OPEN = (True, 0, frozenset(), frozenset())  # a path goes on without consuming: no gate


def gated(code: Code, answers: Answers | None = None) -> Code:
    """`code` with a gate for both operands of every SPLIT (see the module docstring).
    `answers`: where gates whose tests look at the token alone remember their answer per
    token text (see predicates.Answers), or None."""
    if not any(ins[0] == SPLIT for ins in code):
        return code
    bits: dict[frozenset[str], int] = {}  # each distinct NORM set: one bit
    words: dict[str, int] = {}
    for ins in code:
        if ins[0] == NORM and ins[1] not in bits:
            bit = bits[ins[1]] = 1 << len(bits)
            for w in ins[1]:
                words[w] = words.get(w, 0) | bit
    firsts = _firsts(code, bits)
    made: dict[tuple[int, frozenset[str], frozenset[Any]], Gate | None] = {}

    def gate(pc: int) -> Gate | None:
        is_open, mask, types, tests = firsts[pc]
        if is_open or len(tests) > MAX_TESTS:
            return None
        key = (mask, types, tests)
        if key not in made:
            known = None
            if tests and answers is not None and tests <= answers.pure:
                # whether one of the tests lets a token text in: the same for every gate
                # with these tests, in any rule (one table)
                known = answers.shared.get(tests)
                if known is None:
                    known = answers.shared[tests] = answers.table()
            made[key] = (words, mask, tuple(sorted(types)), tuple(tests), known, answers)
        return made[key]

    return tuple(
        (SPLIT, ins[1], ins[2], ins[3], gate(ins[1]), gate(ins[2])) if ins[0] == SPLIT else ins
        for ins in code
    )


def first(code: Code) -> Gate | None:
    """What the first token of any match of gated `code` must be, when it begins with a
    choice (the union of its first SPLIT's gates, after any zero-width instructions);
    else None."""
    pc = 0
    while code[pc][0] in (SAVE, LOOK, ASSERT):  # zero-width: the choice after them decides
        pc += 1
    ins = code[pc]
    if ins[0] != SPLIT or len(ins) < 6 or ins[4] is None or ins[5] is None:
        return None
    a, b = ins[4], ins[5]
    tests = tuple(dict.fromkeys(a[3] + b[3]))
    if len(tests) > MAX_TESTS:
        return None
    return (a[0], a[1] | b[1], tuple(sorted(set(a[2] + b[2]))), tests, None, None)


def entry(code: Code, answers: Answers | None = None) -> Gate | None:
    """The gate of a look-around body's first instruction: what the token next to the
    position must be for the body to match at all (None: it may match without a token).
    A look-behind's body is reversed, so its gate is about the token before the position,
    and its types about annotations ending there (vm.look reads it so)."""
    return gated(((SPLIT, 1, 1, False), *_shifted(code)), answers)[0][4]


def _shifted(code: Code) -> Code:
    """`code` with every jump target one further (for a SPLIT put before it)."""
    out = []
    for ins in code:
        if ins[0] == SPLIT:
            out.append((SPLIT, ins[1] + 1, ins[2] + 1, *ins[3:]))
        elif ins[0] == JMP:
            out.append((JMP, ins[1] + 1))
        else:
            out.append(ins)
    return tuple(out)


First = tuple[bool, int, frozenset[str], frozenset[Any]]  # (open, word bits, types, tests)


def _firsts(code: Code, bits: dict[frozenset[str], int]) -> list[First]:
    """Per instruction, what the paths from it consume first, over the instructions that
    consume nothing (SPLIT, JMP, SAVE, ASSERT, LOOK), in one pass from the end: the code is
    acyclic once consuming instructions are cut (a loop goes back only after a token)."""
    out: list[First | None] = [None] * len(code)
    on_path = bytearray(len(code))
    for root in range(len(code) - 1, -1, -1):
        if out[root] is not None:
            continue
        stack = [root]
        while stack:
            pc = stack[-1]
            if out[pc] is not None:
                stack.pop()
                continue
            nexts = _epsilon(code, pc)
            if nexts is None:
                out[pc] = _consumes(code[pc], bits)
                stack.pop()
                continue
            if not on_path[pc]:
                on_path[pc] = 1
                for t in nexts:
                    if out[t] is None:
                        if on_path[t]:  # a loop that takes no token: say nothing
                            out[t] = _OPEN
                        else:
                            stack.append(t)
                continue
            out[pc] = _union([out[t] for t in nexts])  # type: ignore[misc]
            on_path[pc] = 0
            stack.pop()
    return out  # type: ignore[return-value]


def _epsilon(code: Code, pc: int) -> tuple[int, ...] | None:
    """Where instruction `pc` goes without consuming a token, or None if it consumes (or
    ends the match)."""
    ins = code[pc]
    op = ins[0]
    if op == SPLIT:
        return (ins[1], ins[2])
    if op == JMP:
        return (ins[1],)
    if op in (NORM, TEST, ANY, ANN, MATCH):
        return None
    return (pc + 1,)  # SAVE, ASSERT, LOOK: zero-width, taken as passing


def _consumes(ins: tuple[Any, ...], bits: dict[frozenset[str], int]) -> First:
    op = ins[0]
    if op == NORM:
        return False, bits[ins[1]], frozenset(), frozenset()
    if op == ANN:
        return False, 0, frozenset([ins[1]]), frozenset()
    if op == TEST:
        return False, 0, frozenset(), frozenset([ins[1]])
    return _OPEN  # ANY takes every token; MATCH ends the match here


def _union(parts: list[First]) -> First:
    if any(p[0] for p in parts):
        return _OPEN
    mask = 0
    for p in parts:
        mask |= p[1]
    if len(parts) == 1:
        return parts[0]
    return False, mask, frozenset().union(*(p[2] for p in parts)), frozenset().union(*(p[3] for p in parts))


# ---- at run time (vm.py): does a token pass a gate? ------------------------------------


def shut(gate: tuple[Any, ...], d: Any, pos: int, hi: int) -> bool:
    """Can no path through `gate` (gates.Gate) go on at `pos`?"""
    if pos >= hi:
        return True
    return not lets_in(gate, d, pos) and not starts_in(gate, d, pos, hi)


def lets_in(gate: tuple[Any, ...], d: Any, tok: int) -> bool:
    """Is token `tok` one of the gate's words, or does it pass one of its tests?"""
    if gate[0].get(d.norms[tok], 0) & gate[1]:
        return True
    if not gate[3]:
        return False
    known = gate[4]
    got = None if known is None else known.get(d.texts[tok])
    return tests_let_in(gate, d, tok) if got is None else got


def tests_let_in(gate: tuple[Any, ...], d: Any, tok: int) -> bool:
    """Does token `tok` pass one of the gate's tests? Remembered per token text where the
    tests look at the token alone."""
    got = any(test(d, tok) for test in gate[3])
    if gate[4] is not None:
        gate[5].put(gate[4], d.texts[tok], got)
    return got


def starts_in(gate: tuple[Any, ...], d: Any, pos: int, hi: int) -> bool:
    """Does an annotation of one of the gate's types start at `pos` and end by `hi`?"""
    for t in gate[2]:
        ends = d.ann_start.get(t)
        if ends is not None:
            at = ends.get(pos)
            if at and at[-1] <= hi:
                return True
    return False


def shut_next(gate: tuple[Any, ...], ahead: bool, d: Any, lo: int, hi: int, pos: int) -> bool:
    """Can a bounded look-around body with entry `gate` not match at `pos`: from the token
    at pos (ahead), or from the one before it and the annotations ending at pos (behind)?"""
    if ahead:
        return shut(gate, d, pos, hi)
    tok = pos - 1
    if tok < lo:
        return True
    if lets_in(gate, d, tok):
        return False
    for t in gate[2]:
        starts = d.ann_end.get(t)
        if starts is not None:
            at = starts.get(pos)
            if at and at[-1] >= lo:  # (starts ascending: the last is the nearest)
                return False
    return True


def far(close: tuple[Any, ...], ahead: bool, d: Any, lo: int, hi: int, pos: int) -> bool:
    """Is something a bounded look-around body needs (prefilter.near: after fewest to most
    tokens walked from `pos`, one of some words or an annotation of some types) missing?"""
    norms = d.norms
    for fewest, most, words, types in close:
        if ahead:
            a, b = pos + fewest, min(hi, pos + most + 1)  # the tokens it may be
            if a >= b:
                return True
            if words and not words.isdisjoint(norms[a:b]):
                continue
            if any(p in d.ann_start.get(t, ()) for t in types for p in range(a, b)):
                continue
        else:
            a, b = max(lo, pos - most - 1), pos - fewest
            if a >= b:
                return True
            if words and not words.isdisjoint(norms[a:b]):
                continue
            if any(p in d.ann_end.get(t, ()) for t in types for p in range(a + 1, b + 1)):
                continue
        return True
    return False
