"""Rule nodes built while the LALR parser reduces: Lark's `transformer=` callbacks, one
method per grammar rule (or alias), so no parse tree is made and none is walked after.

Used by parse_engine.py only, whose Lark is built with `keep_all_tokens=True`, so each
callback gets every token its rule matched, brackets and keywords included, and what the
callbacks of the rules below it returned. Spans are taken from those: a node's span runs
from the start of its rule's first child to the end of its last, which is what Lark's
`propagate_positions` gave.

A pattern or single-token test travels up as `(node, start, end)`: the node and the text its
rule covered (`start`, `end` are offsets in the parsed text). The two differ for brackets:
`(a b)` gives the node of `a b`, whose span is `a b`, but covers `(a b)`, so a sequence it
begins starts at the `(`. Statements, options, emits and examples travel as plain values.

Problems found while building are collected, not raised, so that a syntax error further on
is still the one reported (as when the tree was parsed first and transformed after): an
unknown string escape (E114) is noted and building goes on; a quantifier without a number
(E113) is noted and ends the noting, as an exception raised there ended the walk of the
tree before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from lark import Token

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import nodes as n
from ie_dsl.language.attrfilter import parse_filter
from ie_dsl.language.nodes import RESOLVED
from ie_dsl.language.syntax_messages import string_value
from ie_dsl.source import SourceSpan

Part = tuple[Any, int, int]  # (node, start, end): a pattern or test and the text it covered
Children = list[Any]  # Tokens and what the callbacks below returned


class _Option(NamedTuple):
    key: str
    value: Any
    span: SourceSpan


class _Body(NamedTuple):
    pattern: n.Pattern
    emit: n.Emit | None
    examples: tuple[n.Example, ...]


def _identity(offset: int) -> int:
    return offset


def _start(child: Any) -> int:
    return child.start_pos if isinstance(child, Token) else child[1]


def _end(child: Any) -> int:
    return child.end_pos if isinstance(child, Token) else child[2]


class NodeBuilder:
    """The callbacks (by rule name) that turn what a rule matched into nodes.

    One instance serves one Lark parser; `begin(path, origin)` sets what spans are made of
    before each parse (the caller holds a lock around begin, parse and `end`), and `end()`
    returns the problems found."""

    def __init__(self) -> None:
        self.path = ""
        self.origin: Callable[[int], int] = _identity
        self.problems: list[Diagnostic] = []
        self.stopped = False  # after an E113: nothing more is noted

    def begin(self, path: str, origin: Callable[[int], int]) -> None:
        """Get ready to build the nodes of one text of `path`; `origin` maps its offsets to
        offsets in the file."""
        self.path, self.origin, self.problems, self.stopped = path, origin, [], False

    def end(self) -> list[Diagnostic]:
        """The problems found since `begin` (E114s, then at most one E113)."""
        problems, self.problems = self.problems, []
        return problems

    def _note(self, problems: list[Diagnostic]) -> None:
        if not self.stopped:
            self.problems.extend(problems)

    def _span(self, start: int, end: int) -> SourceSpan:
        return SourceSpan(self.path, self.origin(start), self.origin(end))

    def _over(self, c: Children) -> SourceSpan:
        """The span of a whole rule: its first child's start to its last child's end."""
        return self._span(_start(c[0]), _end(c[-1]))

    def _tspan(self, tok: Token) -> SourceSpan:
        return SourceSpan(self.path, self.origin(tok.start_pos), self.origin(tok.end_pos))

    def _unquote(self, tok: Token) -> str:
        """The text of a "quoted string" token, its unknown escapes noted as E114."""
        value, problems = string_value(str(tok), self.path, self.origin, tok.start_pos)
        self._note(problems)
        return value

    # -- file level
    def start(self, c: Children) -> n.RuleFile:
        return n.RuleFile(
            path=self.path,
            uses=tuple(i for i in c if isinstance(i, n.Use)),
            defines=tuple(i for i in c if isinstance(i, n.Define)),
            rules=tuple(i for i in c if isinstance(i, n.Rule)),
            declares=tuple(i for i in c if isinstance(i, n.Declare)),
        )

    def use_stmt(self, c: Children) -> n.Use:  # "use" STRING
        return n.Use(self._unquote(c[1]), self._over(c))

    def _values(self, c: Children) -> tuple[tuple[str, ...], tuple[SourceSpan, ...]]:
        """The values of a declaration line (tokens; the commas between them left out)."""
        toks = [t for t in c if t.type in ("WORD", "TYPE_NAME", "TYPE_FILTER", "STRING")]
        values = tuple(self._unquote(t) if t.type == "STRING" else str(t) for t in toks)
        return values, tuple(self._tspan(t) for t in toks)

    def decl_item(self, c: Children) -> n.DeclareItem:  # key "=" value ("," value)*
        values, spans = self._values(c[2:])
        return n.DeclareItem(str(c[0]), values, spans, self._tspan(c[0]))

    def declare_stmt(self, c: Children) -> n.Declare:  # "declare" WORD ":" (values | items)
        items = [i for i in c[3:] if isinstance(i, n.DeclareItem)]
        if not items:
            values, spans = self._values(c[3:])
            items = [n.DeclareItem(None, values, spans, spans[0])]
        return n.Declare(str(c[1]), tuple(items), self._tspan(c[1]))

    def macro_head(self, c: Children) -> tuple[str, tuple[str, ...]]:  # NAME( T, T )
        return c[0][:-1], tuple(str(p) for p in c[1:] if p.type == "TYPE_NAME")

    def define_stmt(self, c: Children) -> n.Define:  # "define" head "=" pattern
        head = c[1]
        name, params = (str(head), ()) if isinstance(head, Token) else head
        return n.Define(name, params, c[-1][0], self._over(c))

    def opt_priority(self, c: Children) -> _Option:
        return _Option("priority", int(c[1]), self._over(c))

    def opt_mode(self, c: Children) -> _Option:
        return _Option("mode", str(c[1]), self._over(c))

    def opt_scope(self, c: Children) -> _Option:  # "scope" WORD INT?
        return _Option("scope", (str(c[1]), int(c[2]) if len(c) > 2 else 1), self._over(c))

    def opt_group(self, c: Children) -> _Option:
        return _Option("group", str(c[1]), self._over(c))

    def opt_loose(self, c: Children) -> _Option:
        return _Option("loose", True, self._over(c))

    def body(self, c: Children) -> _Body:  # pattern emit? example*
        emit = next((r for r in c if isinstance(r, n.Emit)), None)
        return _Body(c[0][0], emit, tuple(r for r in c if isinstance(r, n.Example)))

    def _rule(self, kind: str, c: Children) -> n.Rule:  # KEYWORD NAME option* ":" body
        name, body = c[1], c[-1]
        options = [o for o in c if isinstance(o, _Option)]
        fields: dict[str, Any] = {}
        for key, value, _span in options:
            if key == "scope":
                fields["scope"], fields["window"] = value
            else:
                fields[key] = value
        return n.Rule(
            kind=kind,
            name=str(name),
            pattern=body.pattern,
            span=self._tspan(name),
            emit=body.emit,
            examples=body.examples,
            option_spans=tuple((o.key, o.span) for o in options),
            **fields,
        )

    def entity_stmt(self, c: Children) -> n.Rule:
        return self._rule("entity", c)

    def rule_stmt(self, c: Children) -> n.Rule:
        return self._rule("rule", c)

    def emit(self, c: Children) -> n.Emit:  # "=>" NAME "(" args ")"
        return n.Emit(str(c[1]), tuple(a for a in c if isinstance(a, n.EmitArg)), self._over(c))

    def emit_capture(self, c: Children) -> n.EmitArg:
        return n.EmitArg(str(c[0]), str(c[0]), None, self._over(c))

    def emit_renamed(self, c: Children) -> n.EmitArg:  # role "=" capture
        return n.EmitArg(str(c[0]), str(c[2]), None, self._over(c))

    def emit_resolved(self, c: Children) -> n.EmitArg:  # role "=" "?"
        return n.EmitArg(str(c[0]), RESOLVED, None, self._over(c))

    def emit_each(self, c: Children) -> n.EmitArg:  # role "=" "each(" capture ")"
        return n.EmitArg(str(c[0]), str(c[3]), None, self._over(c), each=True)

    def emit_const(self, c: Children) -> n.EmitArg:  # role "=" STRING
        return n.EmitArg(str(c[0]), None, self._unquote(c[2]), self._over(c))

    def example(self, c: Children) -> n.Example:  # "@example" STRING ("=>" expect, ...)?
        pairs = tuple(e[0] for e in c[2:] if not isinstance(e, Token))
        return n.Example(self._unquote(c[1]), pairs, True, self._over(c))

    def counterexample(self, c: Children) -> n.Example:
        return n.Example(self._unquote(c[1]), (), False, self._over(c))

    def expect_arg(self, c: Children) -> Part:  # role "=" STRING
        return (str(c[0]), self._unquote(c[2])), c[0].start_pos, c[2].end_pos

    # -- patterns (each returns a Part)
    def options(self, c: Children) -> Children:  # seq | options "|" seq (the flatter grammar)
        if len(c) == 1:
            return c
        c[0].append(c[1])
        c[0].append(c[2])
        return c[0]

    def alt(self, c: Children) -> Part:  # options: [seq, "|", seq, ...]
        c = c[0]
        if len(c) == 1:
            return c[0]
        start, end = c[0][1], c[-1][2]
        return n.Alt(tuple(p[0] for p in c[::2]), self._span(start, end)), start, end

    def seq(self, c: Children) -> Part:  # item item+ (one item is passed up by Lark)
        start, end = c[0][1], c[-1][2]
        return n.Seq(tuple(p[0] for p in c), self._span(start, end)), start, end

    def capture(self, c: Children) -> Part:  # WORD ":" quantified
        start, end = c[0].start_pos, c[2][2]
        return n.Capture(str(c[0]), c[2][0], self._span(start, end)), start, end

    def quantify(self, c: Children) -> Part:  # atom QUANT?
        if len(c) == 1:
            return c[0]
        (atom, start, _), quant = c
        end = quant.end_pos
        bounds = self._bounds(quant)
        if bounds is None:
            return c[0]
        (lo, hi), greedy = bounds
        if isinstance(atom, n.Gap):  # a quantifier on `...` sets the gap's bounds
            return n.Gap(lo, hi, self._span(start, end), open=hi is None), start, end
        return n.Repeat(atom, lo, hi, greedy, self._span(start, end)), start, end

    def _bounds(self, quant: Token) -> tuple[tuple[int, int | None], bool] | None:
        """((min, max), greedy) of a quantifier; None (and an E113 noted) for `{}` or `{,}`."""
        q = str(quant)
        greedy = not (len(q) > 1 and q.endswith("?"))
        body = q[:-1] if not greedy else q
        if body in ("?", "*", "+"):
            return {"?": (0, 1), "*": (0, None), "+": (1, None)}[body], greedy
        inner = body[1:-1]
        if not any(ch.isdigit() for ch in inner):
            hint = "write {n}, {m,n}, {m,} or {,n}"
            self._note([Diagnostic("E113", f"{q!r} repeats without a number", self._tspan(quant), hint)])
            self.stopped = True
            return None
        if "," in inner:
            a, b = inner.split(",", 1)
            return (int(a or 0), int(b) if b else None), greedy
        return (int(inner), int(inner)), greedy

    def _token(self, node: Any, tok: Token) -> Part:
        return node, tok.start_pos, tok.end_pos

    def word(self, c: Children) -> Part:  # written out: a list of words is mostly this call
        tok = c[0]
        start, end, origin = tok.start_pos, tok.end_pos, self.origin
        return n.Word(tok.value, SourceSpan(self.path, origin(start), origin(end))), start, end

    def exact(self, c: Children) -> Part:
        return self._token(n.Exact(self._unquote(c[0]), self._tspan(c[0])), c[0])

    def lemma(self, c: Children) -> Part:
        span = self._tspan(c[0])
        return self._token(n.TokenSet(n.TLemma(c[0][1:], span), span), c[0])

    def regex(self, c: Children) -> Part:
        return self._token(n.TokenSet(self.t_regex(c)[0], self._tspan(c[0])), c[0])

    def t_bracket(self, c: Children) -> Part:  # "[" test "]" after "!"
        return ("bracket", c[1][0]), c[0].start_pos, c[-1].end_pos

    def negation(self, c: Children) -> Part:  # "!" negatable
        test = c[1][0]
        if isinstance(test, tuple):  # ![ ... ]: the test inside, class names included
            test = test[1]
        elif isinstance(test, n.TWord):  # outside [ ], `!number` is the word "number"
            test = n.TWord(test.text, test.span, literal=True)
        span = self._over(c)
        return n.TokenSet(n.TNot(test, span), span), _start(c[0]), _end(c[-1])

    def _whole(self, c: Children, make: Callable[[SourceSpan], Any]) -> Part:
        """A node over all of `c`, made by `make(span)`."""
        start, end = _start(c[0]), _end(c[-1])
        return make(self._span(start, end)), start, end

    def token_set(self, c: Children) -> Part:  # "[" test "]"
        return self._whole(c, lambda span: n.TokenSet(c[1][0], span))

    def any_token(self, c: Children) -> Part:
        return self._whole(c, n.AnyToken)

    def gap(self, c: Children) -> Part:
        return self._token(n.Gap(0, None, self._tspan(c[0])), c[0])

    def ref(self, c: Children) -> Part:
        return self._token(n.Ref(str(c[0]), (), self._tspan(c[0])), c[0])

    def _where(self, tok: Token) -> tuple[str, n.AttrTest | None]:
        """The type and the filter of a TYPE_FILTER token (`PLACE[kind=country]`); a
        malformed filter is noted (E115) and read as no filter."""
        name, _, rest = str(tok).partition("[")
        where, problems = parse_filter(rest[:-1], self.path, self.origin, tok.start_pos + len(name) + 1)
        self._note(problems)
        return name, where

    def ref_where(self, c: Children) -> Part:  # TYPE[filter]
        name, where = self._where(c[0])
        return self._token(n.Ref(name, (), self._tspan(c[0]), where=where), c[0])

    def call(self, c: Children) -> Part:  # NAME( item (, item)* )
        items = tuple(a[0] for a in c[1:-1] if not isinstance(a, Token))
        return self._whole(c, lambda span: n.Ref(c[0][:-1], items, span, called=True))

    def group(self, c: Children) -> Part:  # "(" pattern ")"
        pattern, start, end = c[1][0], c[0].start_pos, c[2].end_pos
        if isinstance(pattern, n.Gap):  # `(...{2})?` repeats the group: the gap's bounds stay
            return n.Repeat(pattern, 1, 1, True, self._span(start, end)), start, end
        return pattern, start, end

    def look_ahead(self, c: Children) -> Part:
        return self._whole(c, lambda span: n.Look(c[1][0], True, False, span))

    def look_ahead_not(self, c: Children) -> Part:
        return self._whole(c, lambda span: n.Look(c[1][0], True, True, span))

    def look_behind(self, c: Children) -> Part:
        return self._whole(c, lambda span: n.Look(c[1][0], False, False, span))

    def look_behind_not(self, c: Children) -> Part:
        return self._whole(c, lambda span: n.Look(c[1][0], False, True, span))

    def sentence_start(self, c: Children) -> Part:
        return self._whole(c, lambda span: n.Anchor(True, span))

    def sentence_end(self, c: Children) -> Part:
        return self._whole(c, lambda span: n.Anchor(False, span))

    # -- single-token tests (each returns a Part)
    def t_word(self, c: Children) -> Part:
        return self._token(n.TWord(str(c[0]), self._tspan(c[0])), c[0])

    def t_exact(self, c: Children) -> Part:
        return self._token(n.TExact(self._unquote(c[0]), self._tspan(c[0])), c[0])

    def t_lemma(self, c: Children) -> Part:
        return self._token(n.TLemma(c[0][1:], self._tspan(c[0])), c[0])

    def t_regex(self, c: Children) -> Part:
        body, _, flags = str(c[0])[1:].rpartition("/")
        return self._token(n.TRegex(body.replace("\\/", "/"), flags, self._tspan(c[0])), c[0])

    def t_type(self, c: Children) -> Part:
        return self._token(n.TType(str(c[0]), self._tspan(c[0])), c[0])

    def t_type_where(self, c: Children) -> Part:  # TYPE[filter] inside [ ]
        name, where = self._where(c[0])
        return self._token(n.TType(name, self._tspan(c[0]), where), c[0])

    def t_neg(self, c: Children) -> Part:  # "!" test
        return self._whole(c, lambda span: n.TNot(c[1][0], span))

    def t_and(self, c: Children) -> Part:  # test ("&" test)+
        return self._whole(c, lambda span: n.TAnd(tuple(t[0] for t in c[::2]), span))

    def t_or(self, c: Children) -> Part:  # test ("|" test)+
        return self._whole(c, lambda span: n.TOr(tuple(t[0] for t in c[::2]), span))

    def t_atom(self, c: Children) -> Part:  # "(" test ")": the test, over the brackets
        return c[1][0], c[0].start_pos, c[2].end_pos
