"""One statement per conjunct: `=> acquire(buyer, target=each(targets))`.

`conjuncts(view, rule, roles, caps)` -> the conjuncts of a match's `role=each(capture)`
captures (RuleIR.each), from which run/runtime makes the statements of the match: one per
conjunct of each such capture, and one per combination when there are several (at most
MAX_STATEMENTS), each with that conjunct as the role's argument (its own text, offsets,
type, canonical, attrs and value). The rest of the statement (span, sentence, other
arguments) is the match's.

The conjuncts of a capture are the annotations of the types its pattern matches (ORG in
`targets:(ORG (, ORG)* (and ORG)?)`), leftmost and longest first, without overlaps; if its
pattern matches no type, the parts of it between commas, semicolons, `and`, `or` and `&`.
A capture that holds no conjunct keeps its one argument.
"""

from __future__ import annotations

from collections.abc import Container

from ie_dsl.engine.ir import RuleIR
from ie_dsl.text.view import DocView

__all__ = ["MAX_STATEMENTS", "conjuncts"]

SEPARATORS = frozenset({",", ";", "and", "or", "&"})
MAX_STATEMENTS = 1000  # from one match: bounds the product of several each() roles


def _parts(view: DocView, s: int, e: int, types: tuple[str, ...]) -> list[tuple[int, int]]:
    """The conjuncts in tokens [s, e): annotations of `types`, else runs between separators."""
    out: list[tuple[int, int]] = []
    if types:
        i = s
        while i < e:
            ends = [end for t in types for end in view.ann_start.get(t, {}).get(i, ()) if end <= e]
            if ends:
                out.append((i, max(ends)))
                i = max(ends)
            else:
                i += 1
        return out
    norms, start = view.norms, s
    for i in range(s, e + 1):
        if i == e or norms[i] in SEPARATORS:
            if i > start:
                out.append((start, i))
            start = i + 1
    return out


def conjuncts(
    view: DocView, rule: RuleIR, roles: Container[str], caps: list[int]
) -> list[tuple[str, tuple[str, ...], list[tuple[int, int]]]]:
    """(role, its capture's types, the token spans of its conjuncts) for each each() role of
    `rule` among `roles` (those the match's statement has) whose capture holds conjuncts;
    run/runtime makes one statement per combination (see the module's doc)."""
    slots = dict(rule.args)
    out: list[tuple[str, tuple[str, ...], list[tuple[int, int]]]] = []
    for role, types in rule.each:
        if role not in roles:
            continue
        found = next(
            (
                (caps[2 * k], caps[2 * k + 1])
                for k in reversed(slots[role])
                if caps[2 * k + 1] > caps[2 * k] >= 0
            ),
            None,
        )
        if found is None:
            continue
        parts = _parts(view, *found, types)
        if parts:
            out.append((role, types, parts))
    return out
