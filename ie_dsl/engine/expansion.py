"""How many pattern elements rules stand for once their macros are expanded, counted
without expanding them (lowering refuses a rule that would grow past the limits, E406).

`Expansion(scopes).use(ref, macros, args)` -> the size of one macro use; `culprit` names the
macro where the growth passes a limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ie_dsl.language import nodes as n
from ie_dsl.text.segment import literal_tokens

# Macro expansion copies a macro's pattern at every use, so a few lines that use macros
# twice over can stand for 2**40 elements. These limits are on what macros add to what
# is written (pattern elements: words, tests, groups, repeats...), counted before anything
# is expanded: per rule, and over all the rules of a set.
MAX_EXPANSION = 100_000
MAX_EXPANSION_TOTAL = 1_000_000


_CAP = 1 << 62  # sizes saturate here: nested calls can square them at every level


def _mul(a: int, b: int) -> int:
    return min(_CAP, a * b)


@dataclass(frozen=True, slots=True)
class _Size:
    """The expanded size of a pattern inside a macro body: `base` elements, plus, for each
    (parameter, k) in `per`, k times the size of the argument given for that parameter."""

    base: int
    per: tuple[tuple[str, int], ...] = ()

    def plus(self, other: _Size) -> _Size:
        if not other.per:
            return _Size(min(_CAP, self.base + other.base), self.per)
        per = dict(self.per)
        for name, k in other.per:
            per[name] = min(_CAP, per.get(name, 0) + k)
        return _Size(min(_CAP, self.base + other.base), tuple(per.items()))

    def times(self, k: int) -> _Size:
        return _Size(_mul(self.base, k), tuple((name, _mul(c, k)) for name, c in self.per))


_ONE = _Size(1)


def sum_sizes(total: _Size, sizes: Iterable[_Size]) -> _Size:
    """`total` plus each of `sizes`, in order."""
    for size in sizes:
        total = total.plus(size)
    return total


class Expansion:
    """How many pattern elements patterns stand for once their macros are expanded,
    computed without expanding them: each macro's size is worked out once, as a linear
    function of the sizes of its arguments (a parameter's argument is copied wherever the
    parameter is written). The count follows _Lowerer: a macro use is its body lowered
    where the macro is defined, with the arguments lowered where the use is written."""

    def __init__(self, scopes: Mapping[str, Mapping[str, n.Define]]):
        self.scopes = scopes
        self.macro_sizes: dict[tuple[int, int], _Size] = {}
        self.busy: set[tuple[int, int]] = set()
        self.token_counts: dict[str, int] = {}

    def _tokens(self, text: str) -> int:
        if text not in self.token_counts:
            self.token_counts[text] = max(1, len(literal_tokens(text)))
        return self.token_counts[text]

    def home(self, d: n.Define, macros: Mapping[str, n.Define]) -> Mapping[str, n.Define]:
        return self.scopes.get(d.span.file, macros)

    def macro(self, d: n.Define, macros: Mapping[str, n.Define]) -> _Size:
        """The size of `d`'s body, as a function of its parameters' arguments."""
        home = self.home(d, macros)
        key = (id(d), id(home))
        if key not in self.macro_sizes:
            if key in self.busy:  # recursive (E212): it would never stop expanding
                return _Size(_CAP)
            self.busy.add(key)
            params = {p: _Size(0, ((p, 1),)) for p in d.params}
            self.macro_sizes[key] = self.size(d.body, home, params)
            self.busy.discard(key)
        return self.macro_sizes[key]

    def size(self, p: n.Pattern, macros: Mapping[str, n.Define], params: Mapping[str, _Size]) -> _Size:
        """The expanded size of pattern `p` written where `macros` are visible, inside a
        macro body whose parameters stand for `params` (none at rule level)."""
        match p:
            case n.Word() | n.Exact():
                return _Size(self._tokens(p.text))
            case n.TokenSet(test=n.TLemma(lemma=lemma)):
                return _Size(self._tokens(lemma))
            case n.TokenSet() | n.AnyToken() | n.Anchor():
                return _ONE
            case n.Gap():
                return _Size(2)
            case n.Seq():
                return sum_sizes(_ONE, (self.size(q, macros, params) for q in p.items))
            case n.Alt():
                return sum_sizes(_ONE, (self.size(q, macros, params) for q in p.options))
            case n.Repeat() | n.Look() | n.Capture():
                return _ONE.plus(self.size(p.pattern, macros, params))
            case n.Ref():
                return self.use(p, macros, params)
            case _:
                n.unknown(p)

    def use(self, p: n.Ref, macros: Mapping[str, n.Define], params: Mapping[str, _Size]) -> _Size:
        if p.name in params:
            return params[p.name]
        if p.name not in macros:
            return _Size(2)  # a type: its annotation, captured
        d = macros[p.name]
        body = self.macro(d, macros)
        given = dict(zip(d.params, p.args, strict=False))
        total = _Size(2 + body.base)  # the use and its capture, then the body
        for name, k in body.per:
            arg = self.size(given[name], macros, params) if name in given else _ONE
            total = total.plus(arg.times(k))
        return total

    def written(self, p: n.Pattern) -> int:
        """The size of `p` as written, each macro use counted with its arguments only."""
        match p:
            case n.Ref():
                return 2 + sum(self.written(a) for a in p.args)
            case n.Seq():
                return 1 + sum(self.written(q) for q in p.items)
            case n.Alt():
                return 1 + sum(self.written(q) for q in p.options)
            case n.Repeat() | n.Look() | n.Capture():
                return 1 + self.written(p.pattern)
            case n.Word() | n.Exact() | n.TokenSet() | n.AnyToken() | n.Gap() | n.Anchor():
                return self.size(p, {}, {}).base
            case _:
                n.unknown(p)

    def added(self, p: n.Pattern, macros: Mapping[str, n.Define]) -> list[tuple[n.Ref, int]]:
        """The outermost macro uses in rule pattern `p` (not those inside another use's
        arguments, which that use's size includes) and the elements each adds to what is
        written."""
        return [
            (q, max(0, self.use(q, macros, {}).base - self.written(q))) for q in _refs(p) if q.name in macros
        ]

    def culprit(self, use: n.Ref, macros: Mapping[str, n.Define], limit: int) -> n.Define:
        """The first macro, following the uses down from `use`, whose own expansion passes
        `limit` although each macro use in its body stays under it: where the growth is."""
        params: Mapping[str, _Size] = {}
        while True:
            d = macros[use.name]
            given = dict(zip(d.params, use.args, strict=False))
            params = {
                name: self.size(given[name], macros, params) if name in given else _ONE for name in d.params
            }
            macros = self.home(d, macros)
            inner = [
                (self.use(q, macros, params).base, q)
                for q in _refs(d.body)
                if q.name in macros and q.name not in params
            ]
            biggest = max(inner, key=lambda pair: pair[0], default=None)
            if biggest is None or biggest[0] <= limit:
                return d
            use = biggest[1]


def _refs(p: n.Pattern) -> list[n.Ref]:
    """The outermost references in `p` (not those inside a reference's arguments)."""
    out: list[n.Ref] = []
    stack = [p]
    while stack:
        q = stack.pop()
        match q:
            case n.Ref():
                out.append(q)
            case n.Seq():
                stack.extend(reversed(q.items))
            case n.Alt():
                stack.extend(reversed(q.options))
            case n.Repeat() | n.Look() | n.Capture():
                stack.append(q.pattern)
            case n.Word() | n.Exact() | n.TokenSet() | n.AnyToken() | n.Gap() | n.Anchor():
                pass
            case _:
                n.unknown(q)
    return out
