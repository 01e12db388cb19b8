"""Checks of what one rule or macro says that need no names resolved: a constant field with a
reserved name (E220), a literal that is not one token where one is needed, or no token at all
(E223). Made by analysis.check_all on every rule and macro body as written, once each.
"""

from __future__ import annotations

from collections.abc import Iterable

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import nodes as n
from ie_dsl.source import SourceSpan
from ie_dsl.text.segment import literal_tokens

# Every statement has these keys: a constant field (`=> warn(x, type="alert")`) may not take one.
RESERVED_FIELDS = frozenset({"doc", "type", "args", "span", "sentence", "rule"})
TOKEN_CLASSES = frozenset(
    {"cap", "upper", "lower", "title", "number", "num", "punct", "any", "alpha", "word"}
)


def reserved_fields(rule: n.Rule) -> list[Diagnostic]:
    """E220 for each constant field of a statement rule's emit that has a reserved name."""
    if rule.emit is None or rule.kind != "rule":
        return []
    return [
        Diagnostic(
            "E220",
            f"{a.role!r} is a reserved statement field",
            a.span,
            "reserved: " + ", ".join(sorted(RESERVED_FIELDS)),
        )
        for a in rule.emit.args
        if a.const is not None and a.role in RESERVED_FIELDS
    ]


def literal_problems(nodes: Iterable[n.Pattern]) -> list[Diagnostic]:
    """E223 for each of `nodes` (pattern nodes, as analysis.walk lists them) that is a word or
    string with no token, or a one-token test (in [ ], after !, a nested ~lemma) whose word,
    string or lemma is not exactly one token."""
    out: list[Diagnostic] = []
    for p in nodes:
        if isinstance(p, (n.Word, n.Exact)):
            if not literal_tokens(p.text):
                out.append(Diagnostic("E223", f"{p.text!r} contains no token", p.span))
        elif isinstance(p, n.TokenSet):
            if isinstance(p.test, n.TLemma) and len(literal_tokens(p.test.lemma)) > 1:
                continue  # ~cross-border stands for its tokens in sequence, the last inflected
            _one_token_tests(p.test, out)
    return out


def _one_token_tests(t: n.TokenTest, out: list[Diagnostic]) -> None:
    """E223 for the words, strings and lemmas of a one-token test, in the order written."""
    match t:
        case n.TWord():
            if t.literal or t.text not in TOKEN_CLASSES:  # a class name names a class
                _one(repr(t.text), t.text, t.span, out)
        case n.TExact():
            _one(repr(t.text), t.text, t.span, out)
        case n.TLemma():
            _one(f"~{t.lemma}", t.lemma, t.span, out)
        case n.TNot():
            _one_token_tests(t.test, out)
        case n.TAnd() | n.TOr():
            for part in t.tests:
                _one_token_tests(part, out)
        case n.TRegex() | n.TType():
            pass
        case _:
            n.unknown(t)


def _one(shown: str, text: str, span: SourceSpan, out: list[Diagnostic]) -> None:
    count = len(literal_tokens(text))
    if count != 1:
        out.append(
            Diagnostic(
                "E223",
                f"{shown} is {count} tokens, not one",
                span,
                "a one-token test cannot hold it; match its tokens in sequence outside [ ] and !",
            )
        )
