"""Parse DSL text into nodes (the rule AST). Lark is used here and nowhere else.

`parse_file(text, path)` reads a whole `.ie` file; `parse_pattern(text, path, origin)`
reads one pattern (as found in YAML), with `origin` mapping its offsets into the file.
Syntax errors become IEDslError with located Diagnostics (code E1xx).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from ie_dsl import nodes as n
from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.nodes import RESOLVED
from ie_dsl.resources import grammar_text
from ie_dsl.source import SourceSpan
from ie_dsl.syntax_messages import (
    ERROR_EXAMPLES,
    LABELS,
    TERMINAL_NAMES,
    Origin,
    nesting_error,
    string_value,
    unclosed,
)


def _identity(offset: int) -> int:
    return offset


class _Continuations:
    """Post-lexer: a line break followed by indentation continues the statement above."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        for tok in stream:
            if tok.type == "_NL":
                tail = tok.value.rsplit("\n", 1)[-1]
                if tail[:1] in (" ", "\t") and not tail.lstrip().startswith("#"):
                    continue
            yield tok


@cache
def _lark() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        start="start",
        postlex=_Continuations(),
        propagate_positions=True,
        maybe_placeholders=False,
    )


@v_args(meta=True, inline=True)
class _ToNodes(Transformer):
    """Lark tree -> nodes; positions are mapped to file offsets through `origin`."""

    def __init__(self, path: str, origin: Origin):
        super().__init__()
        self.path = path
        self.origin = origin
        self.problems: list[Diagnostic] = []  # bad string escapes: all reported, after the transform

    def _unquote(self, tok: Token) -> str:
        """The text of a "quoted string" token, its unknown escapes noted as E114."""
        value, problems = string_value(str(tok), self.path, self.origin, tok.start_pos or 0)
        self.problems.extend(problems)
        return value

    def _span(self, meta: Any) -> SourceSpan:
        if getattr(meta, "empty", True):
            return SourceSpan(self.path, self.origin(0), self.origin(0))
        return SourceSpan(self.path, self.origin(meta.start_pos), self.origin(meta.end_pos))

    def _tspan(self, tok: Token) -> SourceSpan:
        return SourceSpan(self.path, self.origin(tok.start_pos), self.origin(tok.end_pos))

    # -- file level
    def start(self, meta: Any, *items: Any) -> n.RuleFile:
        return n.RuleFile(
            path=self.path,
            uses=tuple(i for i in items if isinstance(i, n.Use)),
            defines=tuple(i for i in items if isinstance(i, n.Define)),
            rules=tuple(i for i in items if isinstance(i, n.Rule)),
        )

    def use_stmt(self, meta: Any, path: Token) -> n.Use:
        return n.Use(self._unquote(path), self._span(meta))

    def macro_head(self, meta: Any, call: Token, *params: Token) -> tuple[str, tuple[str, ...]]:
        return call[:-1], tuple(str(p) for p in params if p.type == "TYPE_NAME")

    def define_stmt(self, meta: Any, head: Any, body: n.Pattern) -> n.Define:
        if isinstance(head, tuple):
            name, params = head
        else:
            name, params = str(head), ()
        return n.Define(name, params, body, self._span(meta))

    def opt_priority(self, meta: Any, value: Token) -> tuple[str, Any, SourceSpan]:
        return ("priority", int(value), self._span(meta))

    def opt_mode(self, meta: Any, value: Token) -> tuple[str, Any, SourceSpan]:
        return ("mode", str(value), self._span(meta))

    def opt_scope(self, meta: Any, value: Token, size: Token | None = None) -> tuple:
        return ("scope", (str(value), int(size) if size else 1), self._span(meta))

    def opt_group(self, meta: Any, value: Token) -> tuple[str, Any, SourceSpan]:
        return ("group", str(value), self._span(meta))

    def opt_loose(self, meta: Any) -> tuple[str, Any, SourceSpan]:
        return ("loose", True, self._span(meta))

    def body(self, meta: Any, pattern: n.Pattern, *rest: Any) -> tuple:
        emit = next((r for r in rest if isinstance(r, n.Emit)), None)
        examples = tuple(r for r in rest if isinstance(r, n.Example))
        return pattern, emit, examples

    def _rule(self, kind: str, meta: Any, name: Token, parts: tuple) -> n.Rule:
        *options, (pattern, emit, examples) = parts
        fields: dict[str, Any] = {}
        for key, value, _span in options:
            if key == "scope":
                fields["scope"], fields["window"] = value
            else:
                fields[key] = value
        return n.Rule(
            kind=kind,
            name=str(name),
            pattern=pattern,
            span=self._tspan(name),
            emit=emit,
            examples=examples,
            option_spans=tuple((k, s) for k, _v, s in options),
            **fields,
        )

    def entity_stmt(self, meta: Any, name: Token, *parts: Any) -> n.Rule:
        return self._rule("entity", meta, name, parts)

    def rule_stmt(self, meta: Any, name: Token, *parts: Any) -> n.Rule:
        return self._rule("rule", meta, name, parts)

    def emit(self, meta: Any, name: Token, *args: Any) -> n.Emit:
        return n.Emit(str(name), tuple(a for a in args if isinstance(a, n.EmitArg)), self._span(meta))

    def emit_capture(self, meta: Any, name: Token) -> n.EmitArg:
        return n.EmitArg(str(name), str(name), None, self._span(meta))

    def emit_renamed(self, meta: Any, role: Token, capture: Token) -> n.EmitArg:
        return n.EmitArg(str(role), str(capture), None, self._span(meta))

    def emit_resolved(self, meta: Any, role: Token) -> n.EmitArg:
        return n.EmitArg(str(role), RESOLVED, None, self._span(meta))

    def emit_const(self, meta: Any, role: Token, value: Token) -> n.EmitArg:
        return n.EmitArg(str(role), None, self._unquote(value), self._span(meta))

    def example(self, meta: Any, text: Token, *expects: Any) -> n.Example:
        pairs = tuple(e for e in expects if isinstance(e, tuple))
        return n.Example(self._unquote(text), pairs, True, self._span(meta))

    def counterexample(self, meta: Any, text: Token) -> n.Example:
        return n.Example(self._unquote(text), (), False, self._span(meta))

    def expect_arg(self, meta: Any, role: Token, value: Token) -> tuple[str, str]:
        return (str(role), self._unquote(value))

    # -- patterns
    def alt(self, meta: Any, *options: n.Pattern) -> n.Pattern:
        return options[0] if len(options) == 1 else n.Alt(options, self._span(meta))

    def seq(self, meta: Any, *items: n.Pattern) -> n.Pattern:
        return items[0] if len(items) == 1 else n.Seq(items, self._span(meta))

    def capture(self, meta: Any, name: Token, pattern: n.Pattern) -> n.Capture:
        return n.Capture(str(name), pattern, self._span(meta))

    def quantify(self, meta: Any, atom: n.Pattern, quant: Token | None = None) -> n.Pattern:
        if quant is None:
            return atom
        q = str(quant)
        greedy = not (len(q) > 1 and q.endswith("?"))
        body = q[:-1] if not greedy else q
        if body == "?":
            lo, hi = 0, 1
        elif body == "*":
            lo, hi = 0, None
        elif body == "+":
            lo, hi = 1, None
        else:
            inner = body[1:-1]
            if not any(ch.isdigit() for ch in inner):
                raise IEDslError(
                    [
                        Diagnostic(
                            "E113",
                            f"{q!r} repeats without a number",
                            self._tspan(quant),
                            "write {n}, {m,n}, {m,} or {,n}",
                        )
                    ]
                )
            if "," in inner:
                a, b = inner.split(",", 1)
                lo, hi = int(a or 0), (int(b) if b else None)
            else:
                lo = hi = int(inner)
        if isinstance(atom, n.Gap):  # a quantifier on `...` sets the gap's bounds
            return n.Gap(lo, hi, self._span(meta), open=hi is None)
        return n.Repeat(atom, lo, hi, greedy, self._span(meta))

    def word(self, meta: Any, tok: Token) -> n.Word:
        return n.Word(str(tok), self._tspan(tok))

    def exact(self, meta: Any, tok: Token) -> n.Exact:
        return n.Exact(self._unquote(tok), self._tspan(tok))

    def lemma(self, meta: Any, tok: Token) -> n.TokenSet:
        return n.TokenSet(n.TLemma(tok[1:], self._tspan(tok)), self._tspan(tok))

    def regex(self, meta: Any, tok: Token) -> n.TokenSet:
        return n.TokenSet(self.t_regex(meta, tok), self._tspan(tok))

    def t_bracket(self, meta: Any, test: n.TokenTest) -> tuple[str, n.TokenTest]:
        return ("bracket", test)

    def negation(self, meta: Any, test: Any) -> n.TokenSet:
        if isinstance(test, tuple):  # ![ ... ]: the test inside, class names included
            test = test[1]
        elif isinstance(test, n.TWord):  # outside [ ], `!number` is the word "number"
            test = n.TWord(test.text, test.span, literal=True)
        return n.TokenSet(n.TNot(test, self._span(meta)), self._span(meta))

    def token_set(self, meta: Any, test: n.TokenTest) -> n.TokenSet:
        return n.TokenSet(test, self._span(meta))

    def any_token(self, meta: Any) -> n.AnyToken:
        return n.AnyToken(self._span(meta))

    def gap(self, meta: Any, tok: Token) -> n.Gap:
        return n.Gap(0, None, self._tspan(tok))

    def ref(self, meta: Any, tok: Token) -> n.Ref:
        return n.Ref(str(tok), (), self._tspan(tok))

    def call(self, meta: Any, name: Token, *args: Any) -> n.Ref:
        items = tuple(a for a in args if not isinstance(a, Token))
        return n.Ref(name[:-1], items, self._span(meta), called=True)

    def group(self, meta: Any, pattern: n.Pattern) -> n.Pattern:
        if isinstance(pattern, n.Gap):  # `(...{2})?` repeats the group: the gap's bounds stay
            return n.Repeat(pattern, 1, 1, True, self._span(meta))
        return pattern

    def look_ahead(self, meta: Any, p: n.Pattern) -> n.Look:
        return n.Look(p, True, False, self._span(meta))

    def look_ahead_not(self, meta: Any, p: n.Pattern) -> n.Look:
        return n.Look(p, True, True, self._span(meta))

    def look_behind(self, meta: Any, p: n.Pattern) -> n.Look:
        return n.Look(p, False, False, self._span(meta))

    def look_behind_not(self, meta: Any, p: n.Pattern) -> n.Look:
        return n.Look(p, False, True, self._span(meta))

    def sentence_start(self, meta: Any) -> n.Anchor:
        return n.Anchor(True, self._span(meta))

    def sentence_end(self, meta: Any) -> n.Anchor:
        return n.Anchor(False, self._span(meta))

    # -- single-token tests
    def t_word(self, meta: Any, tok: Token) -> n.TWord:
        return n.TWord(str(tok), self._tspan(tok))

    def t_exact(self, meta: Any, tok: Token) -> n.TExact:
        return n.TExact(self._unquote(tok), self._tspan(tok))

    def t_lemma(self, meta: Any, tok: Token) -> n.TLemma:
        return n.TLemma(tok[1:], self._tspan(tok))

    def t_regex(self, meta: Any, tok: Token) -> n.TRegex:
        body, _, flags = str(tok)[1:].rpartition("/")
        return n.TRegex(body.replace("\\/", "/"), flags, self._tspan(tok))

    def t_type(self, meta: Any, tok: Token) -> n.TType:
        return n.TType(str(tok), self._tspan(tok))

    def t_neg(self, meta: Any, test: n.TokenTest) -> n.TNot:
        return n.TNot(test, self._span(meta))

    def t_and(self, meta: Any, *tests: n.TokenTest) -> n.TokenTest:
        return n.TAnd(tests, self._span(meta))

    def t_or(self, meta: Any, *tests: n.TokenTest) -> n.TokenTest:
        return n.TOr(tests, self._span(meta))


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
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise IEDslError([_syntax_diagnostic(err, text, path, origin)]) from None
    to_nodes = _ToNodes(path, origin)
    try:
        parsed = to_nodes.transform(tree)
    except VisitError as err:  # a transformer bug, or an E1xx it raised: keep the original
        if isinstance(err.orig_exc, IEDslError):
            raise IEDslError([*to_nodes.problems, *err.orig_exc.diagnostics]) from None
        raise err.orig_exc from err
    if to_nodes.problems:
        raise IEDslError(to_nodes.problems)
    return parsed


def parse_file(text: str, path: str) -> n.RuleFile:
    """Parse a whole DSL rule file. Raises IEDslError with a located E1xx diagnostic.

    The statements are parsed one by one: Lark's tree of a whole file is about 30 KB per
    rule (1,000 rules: 32 MiB at once), the nodes made from it a tenth of that. A statement
    begins at a line that starts with a keyword (continuation lines are indented), so this
    gives what parsing the file at once gives; if some statement fails, the whole file is
    parsed for the diagnostic, which is then exactly the one a whole-file parse gives."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _merged(path, [_parse(chunk, path, origin) for chunk, origin in _statements(text)])
    except IEDslError:
        return _parse(text, path, _identity)


_STATEMENT = re.compile(r"^(?:use|define|entity|rule)\b", re.MULTILINE)


def _statements(text: str) -> Iterator[tuple[str, Origin]]:
    """Each statement of a rule file (with the comments after it) and the map of its
    offsets into the file; text before the first statement too, unless only comments."""
    cuts = [m.start() for m in _STATEMENT.finditer(text)]
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        chunk = text[start:end]
        if not chunk.strip() or chunk.lstrip().startswith("#") and not _STATEMENT.search(chunk):
            continue
        yield chunk + "\n", lambda pos, at=start: pos + at


def _merged(path: str, parts: list[n.RuleFile]) -> n.RuleFile:
    return n.RuleFile(
        path=path,
        uses=tuple(u for p in parts for u in p.uses),
        defines=tuple(d for p in parts for d in p.defines),
        rules=tuple(r for p in parts for r in p.rules),
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
    if rule is None or more or parsed.uses or parsed.defines or rule.emit or rule.examples:
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
