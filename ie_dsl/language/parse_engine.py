"""The parser that reads rule text into nodes: Lark's grammar compiler, parse table, lexer
scanners and node callbacks, run by a lean loop of our own. Used by parser.py only.

Why not `Lark.parse`: the rule text of issue 15, F3 (`rule big: (w0 | w1 | ... | w99999)`,
200,000 tokens) took 3.6 s to parse that way, most of it in what Lark does per token and per
reduction for every use (line and column counting, a generator between lexer and parser,
a method call, checks and lookups per step) rather than in the steps themselves. Here:

- Lark compiles the grammar (with parser.py's flatter form of two rules) into its LALR
  table and, with `keep_all_tokens` and parse_build.NodeBuilder as `transformer=`, into the
  callbacks that make nodes at each reduction (no parse tree);
- Lark's own ContextualLexer gives, per parser state, the terminals in Lark's order and the
  keyword callbacks; each state's terminals become one regular expression, as Lark's
  scanner joins them;
- `NodeParser.parse` lexes and parses in one loop: a token is made only for what the
  parser takes, a reduction that only passes its one child up costs a state change.

It only accepts or refuses: a refused text raises `Refused`, and parser.py asks the stock
Lark parser for the error and its message (tests/test_parser.py checks that both lex the
same tokens and accept the same texts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Lark, Token
from lark.lexer import ContextualLexer
from lark.parse_tree_builder import ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from ie_dsl.language.parse_build import NodeBuilder


class Refused(Exception):
    """The text is not in the language (at offset `args[0]`)."""


def continues(newline: str) -> bool:
    """Does a line break token (_NL) end in indentation, that is, continue the statement above
    (comment-only lines do not count)?"""
    tail = newline.rsplit("\n", 1)[-1]
    return tail[:1] in (" ", "\t") and not tail.lstrip().startswith("#")


class _Token(Token):
    """A Lark Token that knows only what this parser and NodeBuilder read: type, text, start
    and end offsets (Lark's constructor also fills in line and column, for errors, which
    this parser leaves to the stock one)."""

    __slots__ = ()

    def __new__(cls, kind: str, value: str, start: int, end: int) -> _Token:
        token = str.__new__(cls, value)
        token.type, token.value, token.start_pos, token.end_pos = kind, value, start, end
        return token


# Per parser state, for the lexer: the `match` of one regular expression of the terminals the
# state takes (blanks before them skipped in the same match), the ignored terminal names,
# and Lark's callbacks by terminal name (a keyword matched as a WORD becomes the keyword
# where the keyword is taken).
_Scan = tuple[Callable[..., Any], frozenset[str], dict[str, Callable[[Token], Token]]]
# Per parser state and terminal: the state to shift to, or else what to reduce: the number
# of symbols, the callback (None for a rule that passes its one child up unchanged, such as
# `?seq: item`) and the name of the rule (for the goto).
_Action = tuple[Any, tuple[int, Callable[[list[Any]], Any] | None, str] | None]
# A run of one-symbol reductions (NodeParser._chain): the callbacks to apply, the state after.
_Chain = tuple[tuple[Callable[[list[Any]], Any], ...], Any]
BLANKS = r"[\t ]+"  # the grammar's `%ignore /[\t ]+/`: no terminal starts with a blank
_BLANK_FORMS = (BLANKS, "[\t ]+", r"[ \t]+", "[ \t]+")  # as Lark may give it back


class NodeParser:
    """Parses rule text into a RuleFile of nodes, or raises Refused. `builder` is the
    NodeBuilder whose begin/end go around each parse."""

    def __init__(self, grammar: str, always_accept: tuple[str, ...], options: dict[str, Any]) -> None:
        self.builder = NodeBuilder()
        # lexer="basic": Lark's own lexer is not used; its contextual one is built below
        lark = Lark(grammar, lexer="basic", transformer=self.builder, keep_all_tokens=True, **options)
        conf = lark.parse_interactive("").parser_state.parse_conf
        if any(isinstance(key, str) for key in conf.callbacks):
            raise TypeError("NodeBuilder must not have callbacks named after terminals")
        self.start, self.end = conf.start_state, conf.end_state
        self.actions: dict[Any, dict[str, _Action]] = {}
        self.goto: dict[Any, dict[str, Any]] = {}
        for state, row in conf.states.items():
            self.actions[state], self.goto[state] = {}, {}
            for symbol, (action, arg) in row.items():
                self.goto[state][symbol] = arg
                if action is Shift:
                    self.actions[state][symbol] = (arg, None)
                else:
                    size, callback = len(arg.expansion), conf.callbacks[arg]
                    unit = size == 1 and isinstance(callback, ExpandSingleChild)
                    reduce = (size, None if unit else callback, str(arg.origin.name))
                    self.actions[state][symbol] = (None, reduce)
        self.chains: dict[tuple[Any, Any, str], _Chain] = {}  # filled as runs are met
        self.scan = self._scanners(
            lark, {state: list(row) for state, row in conf.states.items()}, always_accept
        )

    @staticmethod
    def _scanners(
        lark: Lark, states: dict[Any, list[str]], always_accept: tuple[str, ...]
    ) -> dict[Any, _Scan]:
        """Lark's contextual lexer for the parse table, one regular expression per state."""
        conf = lark.lexer_conf
        blanks = {t.name for t in conf.terminals if t.pattern.to_regexp() in _BLANK_FORMS} & set(conf.ignore)
        scan: dict[Any, _Scan] = {}
        for state, basic in ContextualLexer(conf, states, always_accept).lexers.items():
            terminals = basic.scanner.terminals  # in Lark's order, keywords folded into WORD
            # Each terminal is named by an empty group after it, not a group around it: an
            # alternative then begins with the terminal's first character or class, which
            # the regular-expression engine tests before entering it (a third less time
            # lexing a long alternation). The empty group closes last, so it is `lastgroup`.
            joined = "|".join(f"(?:{t.pattern.to_regexp()})(?P<{t.name}>)" for t in terminals)
            ignored, keywords = frozenset(basic.ignore_types), dict(basic.callback)
            if ignored & keywords.keys():
                raise TypeError("an ignored terminal with a lexer callback is not handled here")
            lead = f"({BLANKS[:-1]}*)" if blanks <= ignored and blanks else "()"  # group 1: blanks
            pattern = f"{lead}(?:{joined})"
            scan[state] = (conf.re_module.compile(pattern, conf.g_regex_flags).match, ignored, keywords)
        return scan

    def _chain(self, below: Any, top: Any, kind: str) -> _Chain:
        """What a run of one-symbol reductions does from state `top` (with `below` under it)
        before terminal `kind`: the callbacks, in order, and the state it ends in. Each such
        reduction replaces the top state by a goto from `below`, so the run depends on these
        three alone (`word` -> `item` -> `seq` before each `|` of a long alternation)."""
        callbacks: list[Callable[[list[Any]], Any]] = []
        state = top
        while state != self.end:
            shift, rule = self.actions[state].get(kind, (None, None))
            if rule is None or rule[0] != 1:
                break
            if rule[1] is not None:
                callbacks.append(rule[1])
            state = self.goto[below][rule[2]]
        return tuple(callbacks), state

    def parse(self, text: str, noted: list[Token] | None = None) -> Any:
        """The value of the start rule for `text` (the callbacks' RuleFile). Raises Refused.
        Every token lexed is appended to `noted` if given (for the tests)."""
        actions, goto, scan, end_state, chains = self.actions, self.goto, self.scan, self.end, self.chains
        make = str.__new__
        states: list[Any] = [self.start]
        values: list[Any] = []
        pos, end = 0, len(text)
        while True:
            if pos < end:  # the next token the parser is given
                match, ignored, keywords = scan[states[-1]]
                m = match(text, pos)
                if m is None:
                    if text[pos:].strip(" \t"):
                        raise Refused(pos)
                    pos = end  # only blanks were left
                    continue
                kind, stop = m.lastgroup, m.end()
                if kind in ignored:
                    pos = stop
                    continue
                start = m.end(1)  # after the blanks
                value = text[start:stop]
                token = make(_Token, value)  # (what _Token() does, without the call)
                token.type, token.value, token.start_pos, token.end_pos = kind, value, start, stop
                if kind in keywords:
                    token = keywords[kind](token)
                    kind = token.type
                pos = stop
                if noted is not None:
                    noted.append(token)
                if kind == "_NL" and continues(token):
                    continue
            else:
                token, kind = None, "$END"
            while True:  # reduce as long as the table says, then shift (or accept at $END)
                top = states[-1]
                action = actions[top].get(kind)
                if action is None:
                    raise Refused(pos)
                shift, rule = action
                if rule is None:
                    states.append(shift)
                    values.append(token)
                    break
                size, callback, name = rule
                if size == 1 and token is not None:  # a run of them at once
                    key = (states[-2], top, kind)
                    run = chains.get(key) or chains.setdefault(key, self._chain(*key))
                    for callback in run[0]:
                        values[-1] = callback(values[-1:])
                    states[-1] = run[1]
                    continue
                if callback is None:
                    states.pop()
                else:
                    children = values[-size:] if size else []
                    if size:
                        del states[-size:]
                        del values[-size:]
                    values.append(callback(children))
                states.append(goto[states[-1]][name])
                if token is None and states[-1] == end_state:
                    return values[-1]
