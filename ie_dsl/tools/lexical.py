"""The lexical grammar of rule files as one table, read from grammar/iedsl.lark by Lark.

`table()` -> Lexical: the regular expressions of the grammar's terminals and its keywords,
sorted by where the grammar uses them. Both highlighters are built from it: the Pygments
lexer (highlight.py) when it is imported, the TextMate grammar (textmate.py, which writes
editors/iedsl.tmLanguage.json) when it is generated. A keyword or option added to the
grammar, or a terminal whose expression changes, reaches both without being copied by hand.

The expressions are Python `re` syntax as Lark gives them back; the subset the grammar uses
(classes, `(?=`, `(?!`, `\\w`) reads the same in Oniguruma, the TextMate engine.
`unplaced()` names the grammar's terminals this table does not read: tests/test_highlight.py
requires none, so a new kind of terminal fails the tests until the highlighters know it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache

from lark import Lark
from lark.grammar import Rule, Terminal
from lark.lexer import PatternStr, TerminalDef

from ie_dsl.language.analysis import TOKEN_CLASSES
from ie_dsl.resources import grammar_text

__all__ = ["Lexical", "Option", "Statement", "any_of", "table", "unplaced"]


@dataclass(frozen=True)
class Option:
    """A rule or entity option: `priority 10`, `scope window 2`, `loose`. `operands` are
    the terminal names after the keyword, in order; `required` how many always appear."""

    keyword: str
    operands: tuple[str, ...]
    required: int


@dataclass(frozen=True)
class Statement:
    """A statement keyword (`rule`) and the terminal that names what it declares (`WORD`,
    `TYPE_NAME`, or None), and whether options and a `:` follow that name (a header)."""

    keyword: str
    name: str | None
    header: bool


@dataclass(frozen=True)
class Lexical:
    """The token table. Regular expressions are strings; keyword tuples are in grammar order."""

    word: str  # a plain word: WORD's first alternative
    number: str  # WORD's second alternative
    type_name: str  # TYPE_NAME: an UPPER_CASE name not followed by word characters
    name: str  # what MACRO_CALL, TYPE_FILTER and TYPE_NAME start with
    filter_test: str  # TYPE_FILTER's look-ahead after its `[`: the first word is compared
    lemma: str
    string: str
    quote: str  # what opens and closes a STRING
    regex: str
    regex_body: str  # what is between a REGEX's slashes
    regex_flags: str  # what follows its closing slash
    quant: str
    gap: str
    comment: str
    signed_int: str
    int: str
    punct: str  # PUNCT: the punctuation that is a word in a pattern
    statements: tuple[Statement, ...]
    options: tuple[Option, ...]
    emit: str  # `=>`
    each: str  # `each` of `role=each(capture)`
    resolved: str  # `?` of `role=?`
    examples: tuple[str, ...]  # `@example`, `@counterexample`
    lookarounds: tuple[str, ...]  # `(?=`, `(?!`, `(?<=`, `(?<!`
    anchors: tuple[str, ...]  # `^`, `$`
    any_token: str  # `_`
    operators: tuple[str, ...]  # `|`, `!`, `&`
    punctuation: tuple[str, ...]  # `(`, `)`, `[`, `]`, `,`, `:`, `=`
    classes: tuple[str, ...]  # the token classes of `[cap]`: words the grammar does not name


# The fields that are regular expressions (the others are literals).
_EXPRESSIONS = frozenset(
    "word number type_name name filter_test lemma string regex regex_body regex_flags quant gap "
    "comment signed_int int punct".split()
)
# Single-character terminals that the highlighters treat by hand, by their role.
_OPERATORS = ("|", "!", "&")
_PUNCTUATION = ("(", ")", "[", "]", ",", ":", "=")


def any_of(literals: tuple[str, ...] | list[str]) -> str:
    """A regular expression for any of the literals, the longest tried first."""
    return "|".join(re.escape(x) for x in sorted(literals, key=lambda x: (-len(x), x)))


def _lark() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="basic")


def _literal(term: TerminalDef) -> str:
    if not isinstance(term.pattern, PatternStr):
        raise ValueError(f"grammar/iedsl.lark: {term.name} was a string, lexical.py reads it as one")
    return str(term.pattern.value)


def _top_alternatives(rx: str) -> list[str]:
    """`a|b(c|d)` -> ['a', 'b(c|d)']: the alternatives outside groups and classes."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(rx):
        ch = rx[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 1 if rx[i + 1 : i + 2] != "]" else 2  # `[]...]` and `[^]...]` are not used
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(rx[start:i])
            start = i + 1
        i += 1
    return [*parts, rx[start:]]


def _group_end(rx: str, start: int) -> int:
    """The index after the group that opens at rx[start] (a `(`)."""
    depth, i, in_class = 0, start, False
    while i < len(rx):
        ch = rx[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group in {rx!r}")


def _between(rx: str, opener: str, close: int) -> str:
    if not rx.startswith(opener):
        raise ValueError(f"grammar/iedsl.lark: REGEX no longer starts with {opener!r}; see lexical.py")
    return rx[len(opener) : close]


def _strip(rx: str, suffix: str, what: str) -> str:
    if not rx.endswith(suffix):
        raise ValueError(f"grammar/iedsl.lark: {what} no longer ends with {suffix!r}; see lexical.py")
    return rx[: -len(suffix)]


def _first_terminals(rules: list[Rule], origin: str, terms: dict[str, TerminalDef]) -> list[tuple[Rule, str]]:
    """The rules of `origin` with the literal each begins with, in grammar order."""
    found = []
    for rule in rules:
        if rule.origin.name == origin and rule.expansion and isinstance(rule.expansion[0], Terminal):
            head = terms[rule.expansion[0].name]
            if isinstance(head.pattern, PatternStr):
                found.append((rule, _literal(head)))
    return found


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _statements(rules: list[Rule], terms: dict[str, TerminalDef]) -> tuple[Statement, ...]:
    kinds = [r.expansion[0].name for r in rules if r.origin.name == "_statement"]
    found: dict[str, Statement] = {}
    for kind in kinds:
        for rule, keyword in _first_terminals(rules, kind, terms):
            second = rule.expansion[1] if len(rule.expansion) > 1 else None
            name = None
            if isinstance(second, Terminal) and second.name in ("WORD", "TYPE_NAME"):
                name = second.name
            header = any(isinstance(s, Terminal) and s.name == "COLON" for s in rule.expansion)
            found.setdefault(keyword, Statement(keyword, name, header))
    return tuple(found.values())


def _options(rules: list[Rule], terms: dict[str, TerminalDef]) -> tuple[Option, ...]:
    forms: dict[str, list[tuple[str, ...]]] = {}
    for rule, keyword in _first_terminals(rules, "option", terms):
        forms.setdefault(keyword, []).append(tuple(s.name for s in rule.expansion[1:]))
    return tuple(
        Option(k, max(v, key=len), min(len(f) for f in v)) for k, v in forms.items()
    )


def _by_alias(rules: list[Rule], terms: dict[str, TerminalDef], prefix: str) -> tuple[str, ...]:
    atoms = _first_terminals(rules, "atom", terms)
    return _unique([lit for rule, lit in atoms if str(rule.alias).startswith(prefix)])


@cache
def table() -> Lexical:
    """The token table of grammar/iedsl.lark (read once per process)."""
    lark = _lark()
    terms = {t.name: t for t in lark.terminals}
    # control characters written as escapes, so that the TextMate file stays readable
    rx = {name: t.pattern.to_regexp().replace("\t", r"\t").replace("\n", r"\n") for name, t in terms.items()}
    rules = lark.rules
    word, number = _top_alternatives(rx["WORD"])
    name = _strip(rx["MACRO_CALL"], r"\(", "MACRO_CALL")
    filter_rx = rx["TYPE_FILTER"]
    head = name + r"\["
    if not filter_rx.startswith(head + "(?="):
        raise ValueError("grammar/iedsl.lark: TYPE_FILTER no longer reads NAME[(?=...); see lexical.py")
    regex = rx["REGEX"]
    close = regex.rindex(r"\/")
    emit_args = [r for r in rules if r.origin.name == "emit_arg"]
    resolved = [terms[r.expansion[-1].name] for r in emit_args if r.alias == "emit_resolved"]
    found = Lexical(
        word=word,
        number=number,
        type_name=rx["TYPE_NAME"],
        name=name,
        filter_test=filter_rx[len(head) : _group_end(filter_rx, len(head))],
        lemma=rx["LEMMA"],
        string=rx["STRING"],
        quote=rx["STRING"][0],
        regex=regex,
        regex_body=_between(regex, r"\/", close),
        regex_flags=regex[close + 2 :],
        quant=rx["QUANT"],
        gap=rx["GAP"],
        comment=rx["COMMENT"],
        signed_int=rx["SIGNED_INT"],
        int=rx["INT"],
        punct=rx["PUNCT"],
        statements=_statements(rules, terms),
        options=_options(rules, terms),
        emit=_unique([lit for _, lit in _first_terminals(rules, "emit", terms)])[0],
        each=_strip(rx["EACH"], r"\(", "EACH"),
        resolved=_literal(resolved[0]),
        examples=_unique([lit for _, lit in _first_terminals(rules, "example", terms)]),
        lookarounds=_by_alias(rules, terms, "look_"),
        anchors=_by_alias(rules, terms, "sentence_"),
        any_token=_by_alias(rules, terms, "any_token")[0],
        operators=_OPERATORS,
        punctuation=_PUNCTUATION,
        classes=tuple(sorted(TOKEN_CLASSES, key=lambda c: (-len(c), c))),
    )
    for f in fields(found):
        value = getattr(found, f.name)
        # the highlighters number the groups they wrap around these expressions
        if f.name in _EXPRESSIONS and re.compile(value).groups:
            raise ValueError(f"lexical.py: {f.name} {value!r} has a capturing group; make it (?:...)")
    return found


# Terminals read by name in table(), and those the highlighters need not know.
_READ = {
    "WORD", "TYPE_NAME", "MACRO_CALL", "TYPE_FILTER", "LEMMA", "STRING", "REGEX", "QUANT",
    "GAP", "COMMENT", "SIGNED_INT", "INT", "PUNCT", "EACH", "COMMA",
}
_LAYOUT = {"_NL"}  # line breaks: the highlighters go line by line


def unplaced() -> list[str]:
    """The grammar's terminals that the table does not place (each `NAME: 'literal'`):
    none, unless the grammar gained a kind of token that the highlighters cannot show."""
    t = table()
    lark = _lark()
    literals = {
        *(s.keyword for s in t.statements), *(o.keyword for o in t.options), t.emit, t.resolved,
        *t.examples, *t.lookarounds, *t.anchors, t.any_token, *t.operators, *t.punctuation,
    }
    missing = []
    for term in lark.terminals:
        if term.name in _READ or term.name in _LAYOUT or term.name in lark.ignore_tokens:
            continue
        if not (isinstance(term.pattern, PatternStr) and term.pattern.value in literals):
            missing.append(f"{term.name}: {term.pattern.to_regexp()!r}")
    return missing
