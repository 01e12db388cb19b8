"""Parse DSL text into nodes (the rule AST). Lark is used here (and by parse_engine.py and
parse_build.py, which this module alone uses) and nowhere else.

`parse_file(text, path)` reads a whole `.ie` file; `parse_pattern(text, path, origin)`
reads one pattern (as found in YAML), with `origin` mapping its offsets into the file.
Syntax errors become IEDslError with located Diagnostics (code E1xx).

Two parsers read the grammar. The one that reads rules (parse_engine.NodeParser) makes
nodes as it parses, with no parse tree, from Lark's tables, lexer and callbacks run by a
lean loop, through a flatter form of the same grammar (`_FLATTER`). When it refuses a text,
the text is parsed again by a stock Lark parser of the grammar as written (Lark's lexer and
loop, a parse tree), built only then, and the E1xx diagnostic is made from its exception:
what users see of an error is what it was. Issue 15, F3: with the stock parser alone,
`(w0 | w1 | ... | w99999)` took 3.6 s to parse (docs/reliability.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import cache, partial
from operator import add
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.language import nodes as n
from ie_dsl.language.parse_engine import NodeParser, Refused, continues
from ie_dsl.language.syntax_messages import (
    ERROR_EXAMPLES,
    LABELS,
    TERMINAL_NAMES,
    Origin,
    nesting_error,
    unclosed,
)
from ie_dsl.resources import grammar_text
from ie_dsl.source import SourceSpan


def _identity(offset: int) -> int:
    return offset


class _Continuations:
    """Post-lexer: a line break followed by indentation continues the statement above."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        for tok in stream:
            if tok.type != "_NL" or not continues(tok):
                yield tok


_GRAMMAR_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "start": "start",
    "maybe_placeholders": False,
}


def stock_parser(postlex: _Continuations) -> Lark:
    """A stock Lark parser of the grammar: parse trees, Lark's own lexer."""
    return Lark(grammar_text(), postlex=postlex, **_GRAMMAR_OPTIONS)


@cache
def _lark() -> Lark:
    """The stock parser, for syntax errors only."""
    return stock_parser(_Continuations())


# The node-building parser reads the same language through a flatter grammar: a one-item
# sequence and an atom without a quantifier are one reduction each (the stock grammar goes
# atom -> quantified -> item -> item+ -> seq), and the options of an alternation are one
# list that grows in place (NodeBuilder.options) instead of a helper rule's tree each. The
# two grammars accept the same texts (tests/test_parser.py); error messages come from the
# stock one, whose parser states the examples of syntax_messages.py were matched against.
_FLATTER = """
%override ?pattern: options -> alt
options: seq | options "|" seq
%override ?seq: item | item item+
%override ?item: WORD ":" quantified -> capture | atom QUANT -> quantify | atom
"""


@cache
def _node_parser() -> NodeParser:
    return NodeParser(grammar_text() + _FLATTER, _Continuations.always_accept, _GRAMMAR_OPTIONS)


# One NodeBuilder holds the path and origin of the text being parsed: one parse at a time.
_BUILDING = threading.Lock()


def _syntax_diagnostic(err: UnexpectedInput, text: str, path: str, origin: Origin) -> Diagnostic:
    try:
        label = err.match_examples(_lark().parse, ERROR_EXAMPLES, use_accepts=True)
    except TypeError:  # lark 1.3.1 formats a ParserState with %d in a debug message
        label = None
    pos = getattr(err, "pos_in_stream", None)
    if pos is None:
        pos = len(text)
    token = getattr(err, "token", None)
    end = (
        pos + max(1, len(str(token)))
        if token is not None and getattr(token, "type", "") != "$END"
        else pos + 1
    )
    span = SourceSpan(path, origin(pos), origin(min(end, len(text)) if text else pos))
    at_end = token is not None and getattr(token, "type", "") in ("_NL", "$END")
    if at_end and (label is None or label[0] in ("E101", "E102", "E105")):
        # a pattern ended early: an unclosed bracket says more than the parser state
        opener = unclosed(text[text.rfind("\n", 0, max(0, pos - 1)) + 1 : pos])
        label = {"(": LABELS["E101"], "[": LABELS["E102"]}.get(opener, label)
    if label is not None and not (at_end and label[0] == "E105"):
        code, message, hint = label
        return Diagnostic(code, message, span, hint)
    if isinstance(err, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else ""
        return Diagnostic(
            "E110",
            f"unexpected character {ch!r}",
            span,
            'quote punctuation to match it as a token, e.g. "(" or "-"',
        )
    if isinstance(err, UnexpectedEOF) or at_end:
        return Diagnostic(
            "E111",
            "the pattern ends too early",
            span,
            "something is missing at the end of the line (a closing `)` or `]`?)",
        )
    expected = sorted(getattr(err, "expected", None) or getattr(err, "accepts", None) or [])
    shown = ", ".join(_describe(e) for e in expected[:6])
    what = repr(str(token)) if str(token).strip() else "line break"
    return Diagnostic("E100", f"unexpected {what}", span, f"expected one of: {shown}" if shown else None)


def _describe(terminal: str) -> str:
    """A terminal as users write it: `(` for LPAR, 'a word' for WORD."""
    if terminal in TERMINAL_NAMES:
        return TERMINAL_NAMES[terminal]
    for t in _lark().terminals:
        if t.name == terminal and t.pattern.type == "str":
            return f"`{t.pattern.value}`"
    return terminal.lower()


def _parse(text: str, path: str, origin: Origin) -> n.RuleFile:
    problem = nesting_error(text, path, origin)
    if problem:
        raise IEDslError([problem])
    parser = _node_parser()
    with _BUILDING:
        parser.builder.begin(path, origin)
        try:
            parsed: n.RuleFile | None = parser.parse(text)
        except Refused:
            parsed = None
        problems = parser.builder.end()
    if parsed is None:
        raise IEDslError([_syntax_error(text, path, origin)])
    if problems:
        raise IEDslError(problems)
    return parsed


def _syntax_error(text: str, path: str, origin: Origin) -> Diagnostic:
    """The E1xx diagnostic of a text the node-building parser refused, from the stock parser."""
    try:
        _lark().parse(text)
    except UnexpectedInput as err:
        return _syntax_diagnostic(err, text, path, origin)
    raise AssertionError(f"{path}: the two parsers disagree on whether the text is well formed")


def parse_file(text: str, path: str) -> n.RuleFile:
    """Parse a whole DSL rule file. Raises IEDslError with a located E1xx diagnostic.

    The statements are parsed one by one (this began when each statement's parse tree was
    built whole; brackets are still counted for E401 per statement, comments included). A
    statement begins at a line that starts with a keyword (continuation lines are indented),
    so this gives what parsing the file at once gives; if some statement fails, the whole
    file is parsed for the diagnostic, which is then exactly the one a whole-file parse gives."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _merged(path, [_parse(chunk, path, origin) for chunk, origin in _statements(text)])
    except IEDslError:
        return _parse(text, path, _identity)


_STATEMENT = re.compile(r"^(?:use|define|entity|rule|declare)\b", re.MULTILINE)


def _statements(text: str) -> Iterator[tuple[str, Origin]]:
    """Each statement of a rule file (with the comments after it) and the map of its
    offsets into the file; text before the first statement too, unless only comments."""
    cuts = [m.start() for m in _STATEMENT.finditer(text)]
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        chunk = text[start:end]
        if not chunk.strip() or chunk.lstrip().startswith("#") and not _STATEMENT.search(chunk):
            continue
        yield chunk + "\n", partial(add, start)  # pos -> start + pos, called per node: no lambda


def _merged(path: str, parts: list[n.RuleFile]) -> n.RuleFile:
    return n.RuleFile(
        path=path,
        uses=tuple(u for p in parts for u in p.uses),
        defines=tuple(d for p in parts for d in p.defines),
        rules=tuple(r for p in parts for r in p.rules),
        declares=tuple(d for p in parts for d in p.declares),
    )


def parse_file_recovering(text: str, path: str) -> tuple[n.RuleFile, list[Diagnostic]]:
    """Parse a DSL file; if it has syntax errors, parse it statement by statement so that
    every broken statement is reported and the good ones are kept (for `iedsl check`)."""
    try:
        return parse_file(text, path), []
    except IEDslError:
        pass
    problems: list[Diagnostic] = []
    parts: list[n.RuleFile] = []
    for chunk, origin in _statements(text):
        try:
            parts.append(_parse(chunk, path, origin))
        except IEDslError as err:
            problems.extend(err.diagnostics)
    return _merged(path, parts), problems


_PATTERN_HEAD = "rule r: "


def parse_pattern(text: str, path: str, origin: Origin = _identity) -> n.Pattern:
    """Parse one pattern (from YAML); `origin` maps its offsets to offsets in `path`.

    The pattern is parsed as the body of a rule, so it gets the same error messages.
    """
    # Inside one pattern every line break is plain whitespace (same length, same offsets).
    flat = text.replace("\r", " ").replace("\n", " ")
    shift = len(_PATTERN_HEAD)
    parsed = _parse(_PATTERN_HEAD + flat + "\n", path, lambda pos: origin(max(0, pos - shift)))
    (rule, *more) = parsed.rules or (None,)
    if rule is None or more or parsed.uses or parsed.defines or parsed.declares or rule.emit or rule.examples:
        span = SourceSpan(path, origin(0), origin(len(text)))
        raise IEDslError(
            [
                Diagnostic(
                    "E112",
                    "a YAML pattern must be one pattern",
                    span,
                    "write `=>` as `emit:` and examples as `examples:` beside `pattern:`",
                )
            ]
        )
    return rule.pattern
