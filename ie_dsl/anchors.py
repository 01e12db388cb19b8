"""Anchors that can never hold: a `$` with tokens required after it, a `^` with tokens
required before it (W226).

`misplaced_anchors(pattern, macros)` -> a warning per such anchor. `$` is the end of the
rule's scope and `^` its start, so `for $ NUMBER` (a dollar sign meant, `"$"` needed) or
`said ^ the` can match nothing. What is required around an anchor is counted from the
least number of tokens each item takes (a macro: its body's; a macro parameter: none), so
the warning is never given for a pattern that can match: `a? $`, `(x | $)` and `(?= a $)`
are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from ie_dsl import nodes as n
from ie_dsl.diagnostics import Diagnostic
from ie_dsl.text import literal_tokens

__all__ = ["misplaced_anchors", "least_tokens"]


def least_tokens(
    p: n.Pattern,
    macros: Mapping[str, n.Define],
    types: frozenset[str],
    seen: frozenset = frozenset(),
    memo: dict[str, int] | None = None,
) -> int:
    """The fewest tokens `p` can match (0 where it cannot be known: a macro parameter, a
    macro that refers to itself, an unknown name). Each macro is counted once (`memo`):
    a macro used twice in the next one's body must not double the work per level."""
    memo = {} if memo is None else memo
    if isinstance(p, (n.Word, n.Exact)):
        return 1 if literal_tokens(p.text) else 0
    if isinstance(p, (n.TokenSet, n.AnyToken)):
        return 1
    if isinstance(p, n.Gap):
        return p.min
    if isinstance(p, n.Capture):
        return least_tokens(p.pattern, macros, types, seen, memo)
    if isinstance(p, n.Repeat):
        return p.min * least_tokens(p.pattern, macros, types, seen, memo)
    if isinstance(p, n.Seq):
        return sum(least_tokens(i, macros, types, seen, memo) for i in p.items)
    if isinstance(p, n.Alt):
        return min(least_tokens(o, macros, types, seen, memo) for o in p.options)
    if isinstance(p, n.Ref):
        if p.name in macros and p.name not in seen:
            if p.name not in memo:
                memo[p.name] = least_tokens(macros[p.name].body, macros, types, seen | {p.name}, memo)
            return memo[p.name]
        return 1 if p.name in types and not p.called else 0
    return 0  # look-arounds and anchors take no token


def misplaced_anchors(
    pattern: n.Pattern, macros: Mapping[str, n.Define], types: frozenset[str]
) -> list[Diagnostic]:
    """W226 for each `^` that must follow a token and each `$` that a token must follow."""
    out: list[Diagnostic] = []
    memo: dict[str, int] = {}

    def width(p: n.Pattern) -> int:
        return least_tokens(p, macros, types, memo=memo)

    def visit(p: n.Pattern, before: int, after: int) -> None:
        if isinstance(p, n.Anchor):
            if p.at_start and before:
                out.append(_warning(p, "a token must come before `^` (the start of the scope) here"))
            elif not p.at_start and after:
                out.append(_warning(p, "a token must come after `$` (the end of the scope) here"))
        elif isinstance(p, n.Seq):
            widths = [width(i) for i in p.items]
            total, done = sum(widths), 0
            for item, w in zip(p.items, widths, strict=True):
                visit(item, before + done, after + total - done - w)
                done += w
        elif isinstance(p, n.Alt):
            for o in p.options:
                visit(o, before, after)
        elif isinstance(p, (n.Capture, n.Repeat)):
            visit(p.pattern, before, after)
        elif isinstance(p, n.Look):  # its body is matched from here, alone
            visit(p.pattern, 0, 0)
        elif isinstance(p, n.Ref):  # what an argument stands next to is the macro's business
            for a in p.args:
                visit(a, 0, 0)

    visit(pattern, 0, 0)
    return out


def _warning(anchor: n.Anchor, what: str) -> Diagnostic:
    sign = "^" if anchor.at_start else "$"
    return Diagnostic(
        "W226",
        f"{what}, so this can never match",
        anchor.span,
        f'`{sign}` alone is an anchor; to match the character {sign}, quote it: "{sign}"',
        severity="warning",
    )
