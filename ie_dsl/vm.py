"""The matcher's engine: a bounded backtracker over compiled instructions.

Programs are lists of tuples made by compiler.py. The search explores (instruction,
position) pairs in priority order and never visits a pair twice (the `visited` set), so a
search costs at most len(code) * (window length + 1) steps, however the pattern nests:
no exponential backtracking. Positions are token indices; an annotation is one edge from
its first token to past its last.

The document view `d` must provide: `norms` and `texts` (lists by token index),
`ann_start[type][pos]` (ends, longest first), `ann_end[type][pos]` (starts, longest
first) and `covered(type)` (token indices inside annotations of that type).
"""

from __future__ import annotations

from typing import Any

NORM, TEST, ANN, SPLIT, JMP, SAVE, ASSERT, LOOK, MATCH, ANY = range(10)
OPNAMES = ("NORM", "TEST", "ANN", "SPLIT", "JMP", "SAVE", "ASSERT", "LOOK", "MATCH", "ANY")

Code = tuple[tuple[Any, ...], ...]


def search(
    code: Code, d: Any, lo: int, hi: int, start: int, visited: set[int], longest: bool, nslots: int
) -> tuple[int, list[int]] | None:
    """Match `code` from token `start` within [lo, hi).

    Returns (end, capture slots) of the preferred match, or None. `longest`: the match
    with the farthest end (captures from the highest-priority path reaching it);
    otherwise the first match in priority order. `visited` may be shared across starts
    while no match is found (a pair that failed once fails again).
    """
    norms = d.norms
    caps = [-1] * nslots
    stride = hi - lo + 1
    best: tuple[int, list[int]] | None = None
    stack: list[tuple[int, int]] = [(0, start)]
    while stack:
        pc, pos = stack.pop()
        if pc < 0:  # restore a capture slot on backtrack
            caps[-1 - pc] = pos
            continue
        while True:
            key = pc * stride + pos - lo
            if key in visited:
                break
            visited.add(key)
            ins = code[pc]
            op = ins[0]
            if op == NORM:
                if pos < hi and norms[pos] in ins[1]:
                    pc += 1
                    pos += 1
                    continue
                break
            if op == SPLIT:
                stack.append((ins[2], pos))
                pc = ins[1]
                continue
            if op == ANY:
                if pos < hi:
                    pc += 1
                    pos += 1
                    continue
                break
            if op == JMP:
                pc = ins[1]
                continue
            if op == TEST:
                if pos < hi and ins[1](d, pos):
                    pc += 1
                    pos += 1
                    continue
                break
            if op == ANN:
                ends = d.ann_start.get(ins[1], {}).get(pos)
                if not ends:
                    break
                ok = [e for e in ends if e <= hi]
                if not ok:
                    break
                pc += 1
                for e in reversed(ok[1:]):
                    stack.append((pc, e))
                pos = ok[0]
                continue
            if op == SAVE:
                slot = ins[1]
                stack.append((-1 - slot, caps[slot]))
                caps[slot] = pos
                pc += 1
                continue
            if op == ASSERT:
                if pos == (lo if ins[1] else hi):
                    pc += 1
                    continue
                break
            if op == LOOK:
                found = exists(ins[1], d, lo, hi, pos, ins[2])
                if found != ins[3]:
                    pc += 1
                    continue
                break
            # MATCH
            if not longest:
                return pos, caps[:]
            if best is None or pos > best[0]:
                best = (pos, caps[:])
            break
    return best


def exists(code: Code, d: Any, lo: int, hi: int, pos: int, forward: bool) -> bool:
    """Does `code` match starting at `pos` (forward) or ending at `pos` (backward)?

    Used for look-around; `code` has no captures. A backward program is the compiled
    reversal of the look-behind pattern and walks tokens right to left.
    """
    if forward:
        return search(code, d, lo, hi, pos, set(), False, 0) is not None
    norms = d.norms
    visited: set[int] = set()
    stride = hi - lo + 1
    stack = [(0, pos)]
    while stack:
        pc, p = stack.pop()
        while True:
            key = pc * stride + p - lo
            if key in visited:
                break
            visited.add(key)
            ins = code[pc]
            op = ins[0]
            if op == NORM or op == TEST or op == ANY:
                if p > lo and (op == ANY or (norms[p - 1] in ins[1] if op == NORM else ins[1](d, p - 1))):
                    pc += 1
                    p -= 1
                    continue
                break
            if op == SPLIT:
                stack.append((ins[2], p))
                pc = ins[1]
                continue
            if op == JMP:
                pc = ins[1]
                continue
            if op == ANN:
                starts = [s for s in d.ann_end.get(ins[1], {}).get(p, ()) if s >= lo]
                if not starts:
                    break
                pc += 1
                for s in reversed(starts[1:]):
                    stack.append((pc, s))
                p = starts[0]
                continue
            if op == SAVE:
                pc += 1
                continue
            if op == ASSERT:
                if p == (lo if ins[1] else hi):
                    pc += 1
                    continue
                break
            if op == LOOK:
                if exists(ins[1], d, lo, hi, p, ins[2]) != ins[3]:
                    pc += 1
                    continue
                break
            return True  # MATCH
    return False
