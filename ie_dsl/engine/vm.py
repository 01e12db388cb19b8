"""The matcher's engine: compiled instructions run over one window of a document.

Programs are tuples of instructions made by compiler.py. A search from a start token is a
walk over (instruction, position) states. Straight-line instructions are followed without
bookkeeping, and so is a SPLIT one of whose branches cannot take the next token (its gate,
gates.py: what every path from the branch consumes first); a state where the path
branches (a SPLIT, an annotation with several ends) is solved once per window and
remembered in `Window.memo`, so every search in a window, from every start, costs at
most len(code) * (window length + 1) solved states together: matching is linear in the
window, however the pattern nests.

What a branching state is worth (its match end, or -1):
- mode `first`, and a lazy quantifier's SPLIT in any mode: the first branch that matches
  at all, in priority order (Python's `re`);
- mode `longest` (and `all`) at an alternative, a greedy quantifier or an annotation's
  choice of end: the branch reaching the farthest end; on a tie, the earlier branch.
Captures are then read off the chosen path by replaying it from the start.

Look-around bodies are separate programs. A body of bounded length is checked where it
stands (`holds`: a walk away from the position, as long as the body). A body of any
length is answered by an oracle computed once per window: one pass over the window with
a set of threads per position (a Pike VM) marks every position where the body matches
(look-ahead: starting there; look-behind: ending there), so it costs one linear pass, and
a look-around nested inside another is one more oracle.

The document view `d` must provide `norms` (list by token index), `ann_start[type][pos]`
(ends, longest first) and `ann_end[type][pos]` (starts, longest first).
"""

from __future__ import annotations

from typing import Any

from ie_dsl.engine.gates import far, shut_next, starts_in, tests_let_in
from ie_dsl.engine.opcodes import ANN, ANY, ASSERT, JMP, LOOK, NORM, SAVE, SPLIT, TEST, Code
from ie_dsl.engine.opcodes import OPNAMES as OPNAMES  # (where the rest of iedsl has always found them)

_FAIL = -1  # _walk's result for a dead path; -2 - end for a match end; >= 0 a branching state


class Window:
    """What searches in one window [lo, hi) of one rule share: solved states and oracles."""

    __slots__ = ("lo", "hi", "memo", "looks", "held")

    def __init__(self, lo: int, hi: int, around: Around | None = None):
        """`around`: the look-around answers of another Window on the same tokens and
        annotations, to share (a look-around body is the same for every rule compiled
        with it, see compiler._Gen)."""
        self.lo, self.hi = lo, hi
        self.memo: dict[int, int] = {}  # branching state -> match end, or -1
        if around is None:
            around = ({}, {})
        # id(look code) -> 1 where the body holds; (id(bounded look code), position) -> holds
        self.looks, self.held = around


Around = tuple[dict[int, bytearray], dict[tuple[int, int], bool]]


def search(
    code: Code, d: Any, w: Window, start: int, longest: bool, nslots: int
) -> tuple[int, list[int]] | None:
    """The preferred match of `code` from token `start` in window `w`: (end, capture slots)
    or None. `longest`: mode longest/all ranking (see the module docstring), else first."""
    end = _solve(code, d, w, start, longest)
    if end < 0:
        return None
    return end, _replay(code, d, w, start, longest, nslots)


def _walk(code: Code, d: Any, w: Window, pc: int, pos: int) -> int:
    """Follow straight-line instructions from (pc, pos): _FAIL, -2 - end on MATCH, or the
    key of the branching state reached."""
    lo, hi = w.lo, w.hi
    norms, texts = d.norms, d.texts
    while True:
        ins = code[pc]
        op = ins[0]
        if op == NORM:
            if pos < hi and norms[pos] in ins[1]:
                pc += 1
                pos += 1
                continue
            return _FAIL
        if op == ANY:
            if pos < hi:
                pc += 1
                pos += 1
                continue
            return _FAIL
        if op == SPLIT:
            # most branches cannot take the next token (their gate, see gates.py): follow
            # the other one inline
            if len(ins) > 4:
                # (the second branch is not checked when the first is shut: the walk meets
                # its own gate, or its first token, at once)
                if pos >= hi:
                    gate = ins[4]
                    if gate is not None:
                        pc = ins[2]
                        continue
                    if ins[5] is not None:
                        pc = ins[1]
                        continue
                    return pc * (hi - lo + 1) + pos - lo
                word = norms[pos]
                gate = ins[4]
                if gate is not None and not gate[0].get(word, 0) & gate[1]:
                    got = False  # not one of its words: one of its tests, or a type?
                    if gate[3]:
                        known = gate[4]  # (a token text seen before: one probe)
                        got = None if known is None else known.get(texts[pos])
                        if got is None:
                            got = tests_let_in(gate, d, pos)
                    if not got and (not gate[2] or not starts_in(gate, d, pos, hi)):
                        pc = ins[2]
                        continue
                gate = ins[5]
                if gate is not None and not gate[0].get(word, 0) & gate[1]:
                    got = False
                    if gate[3]:
                        known = gate[4]
                        got = None if known is None else known.get(texts[pos])
                        if got is None:
                            got = tests_let_in(gate, d, pos)
                    if not got and (not gate[2] or not starts_in(gate, d, pos, hi)):
                        pc = ins[1]
                        continue
                return pc * (hi - lo + 1) + pos - lo
            a, b = ins[1], ins[2]
            if _dead(code[a], norms, d, pos, hi):
                pc = b
                continue
            if _dead(code[b], norms, d, pos, hi):
                pc = a
                continue
            return pc * (hi - lo + 1) + pos - lo
        if op == JMP:
            pc = ins[1]
            continue
        if op == TEST:
            if pos < hi and ins[1](d, pos):
                pc += 1
                pos += 1
                continue
            return _FAIL
        if op == ANN:
            ends = d.ann_start.get(ins[1], {}).get(pos)
            if not ends or ends[-1] > hi:
                return _FAIL
            if len(ends) > 1:
                return pc * (hi - lo + 1) + pos - lo
            pc += 1
            pos = ends[0]
            continue
        if op == SAVE:
            pc += 1
            continue
        if op == ASSERT:
            if pos == (lo if ins[1] else hi):
                pc += 1
                continue
            return _FAIL
        if op == LOOK:
            if look(ins, d, w, pos):
                pc += 1
                continue
            return _FAIL
        return -2 - pos  # MATCH


def _dead(ins: tuple[Any, ...], norms: list[str], d: Any, pos: int, hi: int) -> bool:
    """Does instruction `ins` fail at once at `pos` (a token or annotation that is not there)?"""
    op = ins[0]
    if op == NORM:
        return pos >= hi or norms[pos] not in ins[1]
    if op == ANY:
        return pos >= hi
    if op == ANN:
        ends = d.ann_start.get(ins[1], {}).get(pos)
        return not ends or ends[-1] > hi
    if op == TEST:
        return pos >= hi or not ins[1](d, pos)
    return False


def _ends(ins: tuple[Any, ...], d: Any, pos: int, hi: int) -> list[int]:
    """The ends of an ANN instruction's annotations at `pos` inside the window, longest first."""
    return [e for e in d.ann_start.get(ins[1], {}).get(pos, ()) if e <= hi]


def _solve(code: Code, d: Any, w: Window, start: int, longest: bool) -> int:
    """The end of the preferred match from `start`, or -1; fills `w.memo`."""
    root = _walk(code, d, w, 0, start)
    if root < 0:
        return root if root == _FAIL else -2 - root
    memo = w.memo
    if root in memo:
        return memo[root]
    stride = w.hi - w.lo + 1
    # a frame: [key, next branch index, best end so far, the pending branch's walk result]
    stack: list[list[int]] = [[root, 0, -1, _FAIL]]
    active = {root}  # a state met again on its own path is a dead end (cannot happen in
    # compiled code, where every backward jump follows a consumed token; kept as a guard)
    while stack:
        frame = stack[-1]
        key, i, best, pending = frame
        pc, off = divmod(key, stride)
        pos = off + w.lo
        ins = code[pc]
        if ins[0] == SPLIT:
            targets = (ins[1], ins[2])
            ordered = not longest or ins[3]
            nexts = None
        else:  # ANN with several ends
            nexts = _ends(ins, d, pos, w.hi)
            ordered = not longest
            targets = ()
        count = 2 if nexts is None else len(nexts)
        pushed = False
        while i < count:
            r = (
                pending
                if pending != _FAIL
                else (
                    _walk(code, d, w, targets[i], pos)
                    if nexts is None
                    else _walk(code, d, w, pc + 1, nexts[i])
                )
            )
            if r >= 0:
                v = memo.get(r)
                if v is None:
                    if r in active:
                        v = -1
                    else:
                        frame[1], frame[2], frame[3] = i, best, r
                        stack.append([r, 0, -1, _FAIL])
                        active.add(r)
                        pushed = True
                        break
            else:
                v = -1 if r == _FAIL else -2 - r
            pending = _FAIL
            if ordered:
                if v >= 0:
                    best = v
                    break
            elif v > best:
                best = v
            i += 1
        if pushed:
            continue
        memo[key] = best
        active.discard(key)
        stack.pop()
    return memo[root]


def _value(code: Code, d: Any, w: Window, pc: int, pos: int) -> int:
    r = _walk(code, d, w, pc, pos)
    if r >= 0:
        return w.memo.get(r, -1)
    return -1 if r == _FAIL else -2 - r


def _replay(code: Code, d: Any, w: Window, start: int, longest: bool, nslots: int) -> list[int]:
    """The capture slots of the preferred match from `start` (solved already)."""
    caps = [-1] * nslots
    pc, pos = 0, start
    while True:
        ins = code[pc]
        op = ins[0]
        if op == SAVE:
            caps[ins[1]] = pos
            pc += 1
        elif op in (NORM, TEST, ANY):
            pc += 1
            pos += 1
        elif op == JMP:
            pc = ins[1]
        elif op in (ASSERT, LOOK):
            pc += 1
        elif op == SPLIT:
            first = _value(code, d, w, ins[1], pos)
            if not longest or ins[3]:
                pc = ins[1] if first >= 0 else ins[2]
            else:
                pc = ins[1] if first >= _value(code, d, w, ins[2], pos) else ins[2]
        elif op == ANN:
            ends = _ends(ins, d, pos, w.hi)
            best, chosen = -1, ends[0]
            for e in ends:
                v = _value(code, d, w, pc + 1, e)
                if v > best:
                    best, chosen = v, e
                    if not longest:
                        break
            pc += 1
            pos = chosen
        else:  # MATCH
            return caps


def look(ins: tuple[Any, ...], d: Any, w: Window, pos: int) -> bool:
    """Does the LOOK instruction `ins` let the path go on at `pos`?"""
    _op, code, ahead, negate, bounded, gate, close = ins
    if bounded:
        if gate is not None and shut_next(gate, ahead, d, w.lo, w.hi, pos):
            return negate
        if close and far(close, ahead, d, w.lo, w.hi, pos):
            return negate
        key = (id(code), pos)
        found = w.held.get(key)
        if found is None:
            found = w.held[key] = holds(code, ahead, d, w, pos)
        return found != negate
    return oracle(code, ahead, d, w)[pos - w.lo] != negate


def holds(code: Code, ahead: bool, d: Any, w: Window, pos: int) -> bool:
    """Does a bounded look-around body match starting at `pos` (`ahead`; `code` as written)
    or ending there (`code` reversed, walked right to left)? A walk over (pc, position)
    states, each visited once: at most the body's length times its code."""
    lo, hi = w.lo, w.hi
    step = 1 if ahead else -1
    norms = d.norms
    seen: set[tuple[int, int]] = set()
    stack = [(0, pos)]
    while stack:
        pc, p = stack.pop()
        if (pc, p) in seen:
            continue
        seen.add((pc, p))
        ins = code[pc]
        op = ins[0]
        if op == NORM or op == TEST or op == ANY:
            tok = p if ahead else p - 1
            if lo <= tok < hi and (op == ANY or (norms[tok] in ins[1] if op == NORM else ins[1](d, tok))):
                stack.append((pc + 1, p + step))
        elif op == SPLIT:
            stack += ((ins[2], p), (ins[1], p))
        elif op == JMP:
            stack.append((ins[1], p))
        elif op == SAVE:
            stack.append((pc + 1, p))
        elif op == ANN:
            if ahead:
                stack += ((pc + 1, e) for e in _ends(ins, d, p, hi))
            else:
                stack += ((pc + 1, s) for s in d.ann_end.get(ins[1], {}).get(p, ()) if s >= lo)
        elif op == ASSERT:
            if p == (lo if ins[1] else hi):
                stack.append((pc + 1, p))
        elif op == LOOK:
            if look(ins, d, w, p):
                stack.append((pc + 1, p))
        else:  # MATCH
            return True
    return False


def oracle(code: Code, ahead: bool, d: Any, w: Window) -> bytearray:
    """Where a look-around body holds in window `w`: out[pos - lo] is 1 if it matches
    starting at pos (`ahead`; `code` is the body compiled in reverse) or ending at pos
    (look-behind; `code` is the body as written). Computed once per window and body."""
    found = w.looks.get(id(code))
    if found is not None:
        return found
    lo, hi = w.lo, w.hi
    norms = d.norms
    out = bytearray(hi - lo + 1)
    positions = range(hi, lo - 1, -1) if ahead else range(lo, hi + 1)
    moved: list[int] = []  # threads that consumed the token before this position
    later: dict[int, list[int]] = {}  # position -> threads arriving by an annotation
    for pos in positions:
        tok = pos - 1 if ahead else pos  # the token a thread at pos consumes next
        can = lo <= tok < hi
        stack = [*later.pop(pos, ()), *moved, 0]
        seen: set[int] = set()
        moved = []
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            ins = code[pc]
            op = ins[0]
            if op == NORM:
                if can and norms[tok] in ins[1]:
                    moved.append(pc + 1)
            elif op == ANY:
                if can:
                    moved.append(pc + 1)
            elif op == TEST:
                if can and ins[1](d, tok):
                    moved.append(pc + 1)
            elif op == SPLIT:
                stack.append(ins[2])
                stack.append(ins[1])
            elif op == JMP:
                stack.append(ins[1])
            elif op == SAVE:
                stack.append(pc + 1)
            elif op == ANN:
                if ahead:
                    others = [s for s in d.ann_end.get(ins[1], {}).get(pos, ()) if s >= lo]
                else:
                    others = [e for e in d.ann_start.get(ins[1], {}).get(pos, ()) if e <= hi]
                for other in others:
                    later.setdefault(other, []).append(pc + 1)
            elif op == ASSERT:
                if pos == (lo if ins[1] else hi):
                    stack.append(pc + 1)
            elif op == LOOK:
                if look(ins, d, w, pos):
                    stack.append(pc + 1)
            else:  # MATCH
                out[pos - lo] = 1
    w.looks[id(code)] = out
    return out


def explore(code: Code, d: Any, w: Window, start: int, visited: set[int]) -> None:
    """Add to `visited` the key (pc * stride + pos - lo) of every state reachable from
    `start`, whatever the match would be: what explanations read to say how far a rule
    got. Linear in the window, like a search."""
    lo, hi = w.lo, w.hi
    stride = hi - lo + 1
    stack = [(0, start)]
    while stack:
        pc, pos = stack.pop()
        key = pc * stride + pos - lo
        if key in visited:
            continue
        visited.add(key)
        ins = code[pc]
        op = ins[0]
        if op in (NORM, ANY, TEST):
            if pos < hi and (op == ANY or (d.norms[pos] in ins[1] if op == NORM else ins[1](d, pos))):
                stack.append((pc + 1, pos + 1))
        elif op == SPLIT:
            stack += ((ins[2], pos), (ins[1], pos))
        elif op == JMP:
            stack.append((ins[1], pos))
        elif op == ANN:
            stack += ((pc + 1, e) for e in _ends(ins, d, pos, hi))
        elif op == SAVE:
            stack.append((pc + 1, pos))
        elif op == ASSERT:
            if pos == (lo if ins[1] else hi):
                stack.append((pc + 1, pos))
        elif op == LOOK:
            if look(ins, d, w, pos):
                stack.append((pc + 1, pos))
