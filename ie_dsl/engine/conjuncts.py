"""One statement per conjunct: `=> acquire(buyer, target=each(targets))`.

`split(view, rule, statement, caps)` -> the statements a match gives when its rule has
`role=each(capture)` roles (RuleIR.each): one per conjunct of each such capture, and one
per combination when there are several, each with that conjunct as the role's argument (its
own text, offsets, type, canonical, attrs and value). The rest of the statement (span,
sentence, other arguments) is the match's.

The conjuncts of a capture are the annotations of the types its pattern matches (ORG in
`targets:(ORG (, ORG)* (and ORG)?)`), leftmost and longest first, without overlaps; if its
pattern matches no type, the parts of it between commas, semicolons, `and`, `or` and `&`.
A capture that holds no conjunct keeps its one argument.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from ie_dsl.engine.ir import RuleIR
from ie_dsl.language.attrfilter import base_type
from ie_dsl.text.view import DocView

__all__ = ["split"]

SEPARATORS = frozenset({",", ";", "and", "or", "&"})
MAX_STATEMENTS = 1000  # from one match: bounds the product of several each() roles


def _record(view: DocView, s: int, e: int, types: tuple[str, ...]) -> dict[str, Any]:
    """An argument record for tokens [s, e), as runtime._arg makes one."""
    cs, ce = view.char_span(s, e)
    record: dict[str, Any] = {"text": view.text[cs:ce]}
    for t in types:
        ann = view.annotations.get((t, s, e))
        if ann is not None:
            record["type"] = base_type(t)
            if ann.canonical is not None:
                record["canonical"] = ann.canonical
            if ann.attrs:
                record["attrs"] = dict(ann.attrs)
            if ann.value is not None:
                record["value"] = ann.value
            break
    record["start"], record["end"] = cs, ce
    return record


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


def split(view: DocView, rule: RuleIR, statement: dict[str, Any], caps: list[int]) -> list[dict[str, Any]]:
    """The statements of one match whose rule has each() roles (see the module's doc)."""
    slots = dict(rule.args)
    choices: list[tuple[str, list[dict[str, Any]]]] = []
    for role, types in rule.each:
        if role not in statement["args"]:
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
            choices.append((role, [_record(view, a, b, types) for a, b in parts]))
    if not choices:
        return [statement]
    out = []
    for combination in product(*(records for _role, records in choices)):
        args = dict(statement["args"])
        for (role, _records), record in zip(choices, combination, strict=True):
            args[role] = record
        out.append({**statement, "args": args})
        if len(out) == MAX_STATEMENTS:
            break
    return out
