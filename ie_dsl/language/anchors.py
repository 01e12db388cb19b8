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

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import nodes as n
from ie_dsl.text.segment import literal_tokens

__all__ = ["misplaced_anchors", "least_tokens"]


Scopes = Mapping[str, Mapping[str, n.Define]]  # file -> the macros visible in it


class _Widths:
    """The fewest tokens a pattern can match (0 where it cannot be known: a macro parameter,
    a macro that refers to itself, an unknown name). A macro's body is read with the macros
    of the file that defines it (`scopes`, as lowering does), and counted once (`memo`): a
    macro used twice in the next one's body must not double the work per level."""

    def __init__(self, types: frozenset[str], scopes: Scopes) -> None:
        self.types, self.scopes = types, scopes
        self.memo: dict[tuple[str, str], int] = {}

    def of(self, p: n.Pattern, macros: Mapping[str, n.Define], params: frozenset[str] = frozenset()) -> int:
        if isinstance(p, (n.Word, n.Exact)):
            return 1 if literal_tokens(p.text) else 0
        if isinstance(p, (n.TokenSet, n.AnyToken)):
            return 1
        if isinstance(p, n.Gap):
            return p.min
        if isinstance(p, n.Capture):
            return self.of(p.pattern, macros, params)
        if isinstance(p, n.Repeat):
            return p.min * self.of(p.pattern, macros, params)
        if isinstance(p, n.Seq):
            return sum(self.of(i, macros, params) for i in p.items)
        if isinstance(p, n.Alt):
            return min(self.of(o, macros, params) for o in p.options)
        if isinstance(p, n.Ref) and p.name not in params:
            d = macros.get(p.name)
            if d is None:
                return 1 if p.name in self.types and not p.called else 0
            key = (d.span.file, d.name)
            if key not in self.memo:
                self.memo[key] = 0  # while it is counted: a cycle (E212) counts nothing
                home = self.scopes.get(d.span.file, macros)
                self.memo[key] = self.of(d.body, home, frozenset(d.params))
            return self.memo[key]
        return 0  # look-arounds, anchors and macro parameters take no token


def least_tokens(
    p: n.Pattern, macros: Mapping[str, n.Define], types: frozenset[str], scopes: Scopes | None = None
) -> int:
    """The fewest tokens `p` can match, written where `macros` are visible (see _Widths)."""
    return _Widths(types, scopes or {}).of(p, macros)


def misplaced_anchors(
    pattern: n.Pattern,
    macros: Mapping[str, n.Define],
    types: frozenset[str],
    scopes: Scopes | None = None,
    params: frozenset[str] = frozenset(),
) -> list[Diagnostic]:
    """W226 for each `^` that must follow a token and each `$` that a token must follow in
    `pattern`, written where `macros` are visible (in a macro body, with its `params`);
    `scopes` gives the macros of each file, for the bodies of macros defined elsewhere."""
    out: list[Diagnostic] = []
    widths = _Widths(types, scopes or {})

    def width(p: n.Pattern) -> int:
        return widths.of(p, macros, params)

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
