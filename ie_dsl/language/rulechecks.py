"""Checks of what one rule or macro says: a constant field with a reserved name (E220), a
literal that is not one token where one is needed, or no token at all (E223), a token regex
RE2 refuses (E224), made on every rule and macro body as written, once each; and, with the
macros a rule sees, an `=>` argument that names no capture (E218), `mode all` with a
repeat that has no bound (E227) and a loose rule with no grammar (W229). Made by
analysis.check_all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import loose
from ie_dsl.language import nodes as n
from ie_dsl.language.captures import capture_names
from ie_dsl.source import SourceSpan
from ie_dsl.text.segment import literal_tokens
from ie_dsl.text.tokenregex import FLAGS, TokenRegexError, compile_token_regex

Macros = Mapping[str, n.Define]

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
    """E223 for each of `nodes` (pattern nodes, as nodes.walk lists them) that is a word or
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


def regex_problems(nodes: Iterable[n.Pattern]) -> list[Diagnostic]:
    """E224 for each token regex of `nodes` (pattern nodes, as nodes.walk lists them)
    with a flag iedsl does not know or a pattern RE2 refuses."""
    out: list[Diagnostic] = []
    for p in nodes:
        if isinstance(p, n.TokenSet):
            for t in _regexes(p.test):
                problem = _regex_problem(t)
                if problem is not None:
                    out.append(problem)
    return out


def _regexes(t: n.TokenTest) -> Iterable[n.TRegex]:
    match t:
        case n.TRegex():
            yield t
        case n.TNot():
            yield from _regexes(t.test)
        case n.TAnd() | n.TOr():
            for part in t.tests:
                yield from _regexes(part)
        case n.TWord() | n.TExact() | n.TLemma() | n.TType():
            pass
        case _:
            n.unknown(t)


def _regex_problem(t: n.TRegex) -> Diagnostic | None:
    unknown = sorted(set(t.flags) - set(FLAGS))
    if unknown:
        return Diagnostic(
            "E224",
            f"regex flag {unknown[0]!r} is not supported",
            t.span,
            "flags: i (ignore case), a (ASCII classes); RE2 has no verbose mode",
        )
    try:
        compile_token_regex(t.pattern, t.flags)
    except TokenRegexError as err:
        return Diagnostic(
            "E224",
            f"token regex refused: {err}",
            t.span,
            "token regexes use RE2 syntax, which runs in linear time: no backreferences, "
            "look-arounds or possessive quantifiers (use the rule's own (?= ) and (?<! ))",
        )
    return None


def suggest(name: str, candidates: set[str] | frozenset[str]) -> str | None:
    """A 'did you mean' phrase for `name`, or None."""
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    if not close:
        close = [c for c in sorted(candidates) if c.lower() == name.lower()][:1]
    return "did you mean " + " or ".join(close) + "?" if close else None


_EACH = re.compile(r"each\((\w+)\)")  # role=each(capture), as a YAML rule file writes it


def unknown_captures(
    rule: n.Rule, macros: Macros, scopes: Mapping[str, Macros], types: frozenset[str]
) -> list[Diagnostic]:
    """E218 for each `=>` argument of a statement rule that names a capture its pattern does
    not make (captures.capture_names: the names lowering gives its slots)."""
    if rule.emit is None or rule.kind != "rule":
        return []
    names = capture_names(rule, macros, scopes, types)
    out = []
    for a in rule.emit.args:
        listed = _EACH.fullmatch(a.capture or "") if not a.each else None
        capture = listed.group(1) if listed else a.capture
        if a.const is not None or capture == n.RESOLVED or capture in names:
            continue
        out.append(
            Diagnostic(
                "E218",
                f"no capture named {capture!r} in rule {rule.name}",
                a.span,
                suggest(capture or "", frozenset(names))
                or (
                    "captures here: " + ", ".join(names)
                    if names
                    else "the pattern captures nothing; name a part with name:PART or use an UPPER-case type"
                ),
            )
        )
    return out


def no_grammar(rule: n.Rule, macros: Macros) -> list[Diagnostic]:
    """W229 if `rule` is loose and sees no English phrase grammar (no LOOSE_ macro): nothing
    may then stand between its skeleton's elements. A `use` brings the macros of the file it
    names, not those of the files that file uses."""
    if not rule.loose or any(name.startswith("LOOSE_") for name in macros):
        return []
    return [
        Diagnostic(
            "W229",
            f"loose rule {rule.name} sees no English phrase grammar: it matches its skeleton's "
            "elements side by side",
            rule.span,
            'add `use "@pack/english.ie"` (or your own grammar) to this file: a `use` in a file '
            "it uses does not carry over",
            severity="warning",
        )
    ]


def open_repeat(
    rule: n.Rule, macros: Macros, scopes: Mapping[str, Macros], types: frozenset[str]
) -> list[Diagnostic]:
    """E227 if `rule` has mode all and its pattern (macros expanded, a loose rule as laid
    out) has a repeat with no upper bound: every start is searched to its farthest end, so
    an open repeat makes that cost the square of the sentence length."""
    if rule.mode != "all":
        return []
    if rule.loose:
        parts = [
            q
            for variant in loose.layout(rule.pattern, macros, types)
            for p in variant
            for q in (*p.lead, p.node)
        ]
    else:
        parts = [rule.pattern]
    if all(_bounded(p, macros, scopes, {}, frozenset()) for p in parts):
        return []
    return [
        Diagnostic(
            "E227",
            f"rule {rule.name} has mode all and a repeat with no upper bound",
            rule.span,
            "bound the repeat ({0,20}, ...{0,8}): mode all matches at every start, and an open "
            "repeat makes that cost the square of the sentence length",
        )
    ]


def _bounded(
    p: n.Pattern, macros: Macros, scopes: Mapping[str, Macros], args: Mapping[str, bool], seen: frozenset[str]
) -> bool:
    """Does every match of `p` have at most some number of tokens? `args`: whether each
    parameter's argument is bounded; `seen`: the macros being expanded (a cycle is E2xx of
    its own: taken as bounded here). A look-around's body is not taken: it is answered apart."""
    match p:
        case n.Word() | n.Exact() | n.TokenSet() | n.AnyToken() | n.Anchor() | n.Look():
            return True
        case n.Gap():
            return p.max is not None or not p.open  # (plain `...` has the default bound)
        case n.Repeat():
            return p.max is not None and _bounded(p.pattern, macros, scopes, args, seen)
        case n.Capture():
            return _bounded(p.pattern, macros, scopes, args, seen)
        case n.Seq():
            return all(_bounded(q, macros, scopes, args, seen) for q in p.items)
        case n.Alt():
            return all(_bounded(q, macros, scopes, args, seen) for q in p.options)
        case n.Ref():
            if p.name in args:
                return args[p.name]
            d = macros.get(p.name)
            if d is None or p.name in seen:
                return True  # a type: an annotation is answered whole
            given = {
                x: _bounded(a, macros, scopes, args, seen) for x, a in zip(d.params, p.args, strict=False)
            }
            return _bounded(d.body, scopes.get(d.span.file, macros), scopes, given, seen | {p.name})
        case _:
            n.unknown(p)
