"""Conflict resolution between overlapping matches, the same for annotations and statements.

`resolve(cands, size)` -> the payloads of the candidates kept (runtime.py for entity and
statement rules, passes.py for the DATEs of a sentence).
"""

from __future__ import annotations

from typing import Any


def resolve(cands: list[tuple[int, int, int, int, bool, Any]], size: int) -> list[Any]:
    """Keep non-overlapping candidates (priority, start, end, order, keep_all, payload).

    Preference: higher priority, longer, earlier start, earlier rule. `keep_all`
    candidates (mode all) are always kept and block nothing.
    """
    taken = bytearray(size)
    kept = []
    for _prio, start, end, _order, keep_all, payload in sorted(
        cands, key=lambda c: (-c[0], -(c[2] - c[1]), c[1], c[3])
    ):
        if keep_all:
            kept.append(payload)
        elif not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            kept.append(payload)
    return kept
