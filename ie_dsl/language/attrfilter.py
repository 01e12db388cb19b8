"""Attribute filters: `PLACE[kind=country]`, `PLACE[kind!=city]`, `PLACE[kind in (country,
region)]`, combined with `!`, `&`, `|` and parentheses as the tests inside `[ ... ]` are.

- `parse_filter(body, ...)` reads what is between the brackets into nodes (nodes.AttrTest),
  with an E115 for what is malformed (parse_build.py calls it for the grammar's TYPE_FILTER
  token; the grammar only finds where a filter ends).
- `derived_name(type, filter)` is the name of the annotations a filter keeps, such as
  `PLACE[kind=country]`, written in one canonical way: lowering makes `Ann` and `TIn` of it,
  so the matcher, the prefilter and the compiled program know a filter only as a type.
- `derive(view, used, changed)` makes those annotations in a document, from the annotations
  of their type, each time that type's annotations are settled (runtime.annotate); the
  filter is read back from the name (`predicate`), so nothing else needs to carry it.

A value written as a bare word compares in any case (`kind=Country` is `kind=country`), a
quoted one exactly; an annotation without the attribute fails `=` and `in`, and passes `!=`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import cache

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import nodes as n
from ie_dsl.language.syntax_messages import string_value
from ie_dsl.source import SourceSpan
from ie_dsl.text.view import DocView

Origin = Callable[[int], int]
_LEX = re.compile(r'\s*(?:(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<word>[\w][\w.\'’-]*)|(?P<op>!=|[=!&|(),]))')


class _Bad(Exception):
    """A malformed filter: (offset in the body, message)."""


class _Parser:
    """A recursive-descent reader of one filter's body; depth is bounded by parser.py's
    nesting limit (E401), which counts these brackets too."""

    def __init__(self, body: str, path: str, origin: Origin, at: int) -> None:
        self.body, self.path, self.origin, self.at = body, path, origin, at
        self.tokens: list[tuple[str, str, int, int]] = []  # (kind, text, start, end) in body
        self.problems: list[Diagnostic] = []
        pos = 0
        while pos < len(body):
            m = _LEX.match(body, pos)
            if m is None:
                if not body[pos:].strip():
                    break
                raise _Bad(pos + len(body[pos:]) - len(body[pos:].lstrip()), "unexpected character")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind), m.start(kind), m.end()))
            pos = m.end()
        self.i = 0

    def span(self, start: int, end: int) -> SourceSpan:
        return SourceSpan(self.path, self.origin(self.at + start), self.origin(self.at + end))

    def peek(self) -> tuple[str, str, int, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, text: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] == text:
            self.i += 1
            return True
        return False

    def here(self) -> int:
        tok = self.peek()
        return tok[2] if tok is not None else len(self.body)

    def whole(self) -> n.AttrTest:
        test = self.any()
        if self.peek() is not None:
            raise _Bad(self.here(), f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return test

    def any(self) -> n.AttrTest:
        start, tests = self.here(), [self.all()]
        while self.take("|"):
            tests.append(self.all())
        return tests[0] if len(tests) == 1 else n.AttrOr(tuple(tests), self.span(start, self.last()))

    def all(self) -> n.AttrTest:
        start, tests = self.here(), [self.one()]
        while self.take("&"):
            tests.append(self.one())
        return tests[0] if len(tests) == 1 else n.AttrAnd(tuple(tests), self.span(start, self.last()))

    def last(self) -> int:
        return self.tokens[self.i - 1][3] if self.i else 0

    def one(self) -> n.AttrTest:
        start = self.here()
        if self.take("!"):
            return n.AttrNot(self.one(), self.span(start, self.last()))
        if self.take("("):
            test = self.any()
            if not self.take(")"):
                raise _Bad(self.here(), "expected `)`")
            return test
        key = self.value("an attribute name")[0]
        if self.take("="):
            values, negate = (self.value("a value after `=`"),), False
        elif self.take("!="):
            values, negate = (self.value("a value after `!=`"),), True
        elif self.peek() is not None and self.peek()[:2] == ("word", "in"):  # type: ignore[index]
            self.i += 1
            if not self.take("("):
                raise _Bad(self.here(), "expected `(` after `in`: in (a, b)")
            found = [self.value("a value")]
            while self.take(","):
                found.append(self.value("a value"))
            if not self.take(")"):
                raise _Bad(self.here(), "expected `,` or `)` in the list of values")
            values, negate = tuple(found), False
        else:
            raise _Bad(self.here(), f"expected `=`, `!=` or `in` after {key!r}")
        return n.AttrCmp(key, values, negate, self.span(start, self.last()))

    def value(self, what: str) -> tuple[str, bool]:
        tok = self.peek()
        if tok is None or tok[0] == "op":
            raise _Bad(self.here(), f"expected {what}")
        self.i += 1
        if tok[0] == "word":
            return tok[1], False
        text, problems = string_value(tok[1], self.path, self.origin, self.at + tok[2])
        self.problems.extend(problems)
        return text, True


def parse_filter(body: str, path: str, origin: Origin, at: int) -> tuple[n.AttrTest | None, list[Diagnostic]]:
    """The filter written between the brackets of `TYPE[...]` (`body`, found at offset `at`
    of the parsed text; `origin` maps offsets into the file), or None and an E115."""
    try:
        parser = _Parser(body, path, origin, at)
        return parser.whole(), parser.problems
    except _Bad as bad:
        where, message = bad.args
        span = SourceSpan(path, origin(at + where), origin(at + where + 1))  # (at the end: the `]`)
        hint = "write key=value, key!=value or key in (a, b), joined by & and |; quote values with spaces"
        return None, [Diagnostic("E115", f"malformed attribute filter: {message}", span, hint)]


def _value_text(value: tuple[str, bool]) -> str:
    text, exact = value
    return json.dumps(text, ensure_ascii=False) if exact else text.lower()


def canonical(test: n.AttrTest, top: bool = True) -> str:
    """The filter written one way (parse_filter reads it back to the same test)."""
    if isinstance(test, n.AttrCmp):
        key = (
            test.key
            if re.fullmatch(r"[\w][\w.'’-]*", test.key) and test.key != "in"
            else json.dumps(test.key)
        )
        if len(test.values) > 1:
            return f"{key} in ({', '.join(_value_text(v) for v in test.values)})"
        return f"{key}{'!=' if test.negate else '='}{_value_text(test.values[0])}"
    if isinstance(test, n.AttrNot):
        return "!" + canonical(test.test, top=False)
    glue = " & " if isinstance(test, n.AttrAnd) else " | "
    text = glue.join(canonical(t, top=False) for t in test.tests)
    return text if top else f"({text})"


def derived_name(type_name: str, test: n.AttrTest) -> str:
    """The name of the annotations of `type_name` that pass `test`: `PLACE[kind=country]`."""
    return f"{type_name}[{canonical(test)}]"


def base_type(name: str) -> str:
    """The type a derived name filters (`PLACE` of `PLACE[kind=country]`); a type's own name
    for any other."""
    return name.split("[", 1)[0]


Check = Callable[[dict[str, object]], bool]


def _compile(test: n.AttrTest) -> Check:
    if isinstance(test, n.AttrCmp):
        key, negate = test.key, test.negate
        exact = frozenset(text for text, is_exact in test.values if is_exact)
        folded = frozenset(text.lower() for text, is_exact in test.values if not is_exact)

        def compare(attrs: dict[str, object]) -> bool:
            value = attrs.get(key)
            if value is None:
                return negate
            text = value if isinstance(value, str) else json.dumps(value)
            return (text in exact or text.lower() in folded) != negate

        return compare
    if isinstance(test, n.AttrNot):
        inner = _compile(test.test)
        return lambda attrs: not inner(attrs)
    parts = [_compile(t) for t in test.tests]
    if isinstance(test, n.AttrAnd):
        return lambda attrs: all(p(attrs) for p in parts)
    return lambda attrs: any(p(attrs) for p in parts)


@cache
def predicate(name: str) -> Check:
    """The test of a derived name (`PLACE[kind=country]`) on an annotation's attrs."""
    body = name.split("[", 1)[1][:-1]
    test, problems = parse_filter(body, "", lambda x: x, 0)
    if test is None or problems:
        raise ValueError(f"not a derived type name: {name!r}")
    return _compile(test)


@cache
def _by_base(used: frozenset[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name in sorted(used):
        if "[" in name:
            out.setdefault(base_type(name), []).append(name)
    return {base: tuple(names) for base, names in out.items()}


def derive(view: DocView, used: frozenset[str], changed: Iterable[str]) -> None:
    """Make, in `view`, the annotations of the derived names in `used` whose type is in
    `changed` (types whose annotations were just settled): those of the type that pass."""
    by_base = _by_base(used)
    if not by_base:
        return
    for base in changed:
        for name in by_base.get(base, ()):
            keep = predicate(name)
            view.set_annotations(
                name, [a._replace(type=name) for a in view.of_type(base) if keep(dict(a.attrs))]
            )
