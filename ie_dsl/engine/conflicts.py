"""Conflict resolution between overlapping matches, the same for annotations and statements.

`resolve(cands, size)` -> the payloads of the candidates kept (runtime.py for entity and
statement rules, passes.py for the DATEs of a sentence). A candidate is a `Candidate`;
its payload is an Annotation (entity rules, lexicons, built-ins) or a runtime `Match`
(statement rules).
"""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

P = TypeVar("P")


class Candidate(NamedTuple, Generic[P]):
    """One match competing for its tokens [start, end). (A NamedTuple: one is made per
    lexicon match, and a tuple is the cheapest record Python makes.)"""

    priority: int
    start: int
    end: int
    order: int  # the rule's load order (-1: lexicons and built-ins)
    keep_all: bool  # a `mode all` match: always kept, blocks nothing
    payload: P


def resolve(cands: list[Candidate[P]], size: int) -> list[P]:
    """The payloads of the candidates kept, without overlaps, in order of preference:
    higher priority, longer, earlier start, earlier rule. `keep_all` candidates are always
    kept and block nothing."""
    taken = bytearray(size)
    kept = []
    for _prio, start, end, _order, keep_all, payload in sorted(
        cands, key=lambda c: (-c.priority, c.start - c.end, c.start, c.order)
    ):
        if keep_all:
            kept.append(payload)
        elif not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            kept.append(payload)
    return kept
