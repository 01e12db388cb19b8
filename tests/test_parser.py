"""DSL text -> nodes, and syntax errors -> located diagnostics."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from ie_dsl.diagnostics import IEDslError
from ie_dsl.language import nodes as n
from ie_dsl.language.parse_engine import NodeParser, Refused
from ie_dsl.language.parser import (
    _FLATTER,
    _GRAMMAR_OPTIONS,
    _Continuations,
    _node_parser,
    parse_file,
    parse_pattern,
    stock_parser,
)
from ie_dsl.language.syntax_messages import ERROR_EXAMPLES, MAX_NESTING
from ie_dsl.resources import grammar_text
from ie_dsl.source import SourceSpan

PACK = Path(__file__).resolve().parent.parent / "rules"


def rule_of(text: str) -> n.Rule:
    (rule,) = parse_file(text, "t.ie").rules
    return rule


def test_statements_and_continuation_lines():
    f = parse_file(
        'use "lexicons/orgs.yaml"\n'
        "define WARN = ~warn | raised alarms\n"
        "# a comment\n"
        "rule r priority 10 mode first scope window 2 group g:\n"
        "    ORG WARN\n"
        "    # a comment inside the body\n"
        "    of THREAT\n"
        '    => warn(speaker=org, threat, polarity="negative")\n',
        "t.ie",
    )
    assert [u.path for u in f.uses] == ["lexicons/orgs.yaml"]
    assert f.defines[0].name == "WARN"
    (r,) = f.rules
    assert (r.priority, r.mode, r.scope, r.window, r.group) == (10, "first", "window", 2, "g")
    assert isinstance(r.pattern, n.Seq) and len(r.pattern.items) == 4
    assert r.emit is not None and [(a.role, a.capture, a.const) for a in r.emit.args] == [
        ("speaker", "org", None),
        ("threat", "threat", None),
        ("polarity", None, "negative"),
    ]


def test_spans_point_at_the_source():
    text = "rule r: ORG warns\n"
    r = rule_of(text)
    org = r.pattern.items[0]
    assert text[org.span.start : org.span.end] == "ORG"
    assert text[r.span.start : r.span.end] == "r"


@pytest.mark.parametrize(
    "pattern, kind",
    [
        ("warns", n.Word),
        ('"CSTO"', n.Exact),
        ("~warn", n.TokenSet),
        ("/^[A-Z]+$/i", n.TokenSet),
        ("[~group & !cap]", n.TokenSet),
        ("!said", n.TokenSet),
        ("_", n.AnyToken),
        ("...", n.Gap),
        ("ORG", n.Ref),
        ("PLACE[kind=country]", n.Ref),
        ("NEAR(a, b)", n.Ref),
        ("(?= a)", n.Look),
        ("(?<! a b)", n.Look),
        ("^", n.Anchor),
        ("a?", n.Repeat),
        ("a{2,}?", n.Repeat),
        ("x:ORG", n.Capture),
        ("a | b", n.Alt),
        (",", n.Word),
    ],
)
def test_each_construct_parses(pattern, kind):
    assert isinstance(parse_pattern(pattern, "p"), kind)


def test_attribute_filters_parse_into_the_type_and_the_filter():
    ref = parse_pattern('PLACE[kind in (country, "Region")] ', "p")
    assert (ref.name, ref.where.key) == ("PLACE", "kind")
    assert ref.where.values == (("country", False), ("Region", True))
    test = parse_pattern("[ORG[!kind=x | a!=b] & cap]", "p").test
    assert isinstance(test, n.TAnd) and test.tests[0].name == "ORG"
    assert isinstance(test.tests[0].where, n.AttrOr)
    # a `[` whose first word is not compared is a token test after the type, as before
    seq = parse_pattern("PLACE[cap]", "p")
    assert isinstance(seq, n.Seq) and seq.items[0].where is None and isinstance(seq.items[1], n.TokenSet)


@pytest.mark.parametrize(
    ("pattern", "column", "message"),
    [
        ("PLACE[kind=]", 11, "expected a value after `=`"),
        ("PLACE[kind in country]", 14, "expected `(` after `in`"),
        ("PLACE[kind=military alliance]", 20, "unexpected 'alliance'"),
        ("PLACE[(kind=a]", 13, "expected `)`"),
    ],
)
def test_a_malformed_filter_is_a_located_e115(pattern, column, message):
    with pytest.raises(IEDslError) as info:
        parse_pattern(pattern, "p")
    (d,) = info.value.diagnostics
    assert d.code == "E115" and message in d.message and d.span.start == column


def test_each_in_an_emit():
    r = rule_of("rule r: t:(a (and a)*) => deal(target=each(t), each=t)\n")
    assert [(a.role, a.capture, a.each) for a in r.emit.args] == [("target", "t", True), ("each", "t", False)]


def test_quantifiers():
    r = parse_pattern("a{2,5}?", "p")
    assert (r.min, r.max, r.greedy) == (2, 5, False)
    g = parse_pattern("...{0,8}", "p")
    assert isinstance(g, n.Gap) and (g.min, g.max) == (0, 8)
    assert parse_pattern("a*", "p").max is None


def test_macro_call_vs_type_followed_by_group():
    call = parse_pattern("NEAR(a, (b c))", "p")
    assert call.called and len(call.args) == 2
    seq = parse_pattern("ORG (from | in)", "p")
    assert isinstance(seq, n.Seq) and isinstance(seq.items[1], n.Alt)


def test_examples_in_dsl():
    r = rule_of('rule r: ORG warns\n    @example "CSTO warns." => org="CSTO"\n    @counterexample "no"\n')
    assert [(e.positive, e.expect) for e in r.examples] == [(True, (("org", "CSTO"),)), (False, ())]


@pytest.mark.parametrize("label, examples", list(ERROR_EXAMPLES.items()))
def test_every_error_example_gets_its_label(label, examples):
    for bad in examples:
        with pytest.raises(IEDslError) as info:
            parse_file(bad, "bad.ie")
        assert info.value.diagnostics[0].code == label[0], bad


def test_error_location_is_file_line_col():
    with pytest.raises(IEDslError) as info:
        parse_file("rule a: ORG\nrule b: ORG (x\n", "bad.ie")
    d = info.value.diagnostics[0]
    assert d.code == "E101" and d.span.file == "bad.ie"
    assert d.span.start >= len("rule a: ORG\n")


def test_deep_nesting_is_a_located_error_not_recursion():
    with pytest.raises(IEDslError) as info:
        parse_file("rule r: " + "(" * 5000 + "a" + ")" * 5000 + "\n", "deep.ie")
    assert info.value.diagnostics[0].code == "E401"


# Every callback of the node builder, with options, emits and examples: the (node, text its
# span covers) of each node, in the order of a walk, as Lark's propagate_positions gave them
# when a parse tree was built and transformed (the spans must not move).
RICH = """use "lexicons/orgs.yaml"
define WARN = ~warn | raised alarms
define NEAR(A, B) = A ...{0,3} B
entity THREAT priority 2: [cap & !(~be | "The")]+ /^[a-z]+$/i
rule r priority -1 mode first scope window 3 group g loose:
    ^ x:ORG (warns | "said")?? of (a b)+ NEAR(ORG, (c d)) ![~x | y] !said
    !"Q" (?= e) (?! f) (?<= g h) (?<! i) _ ... (...{2})? ...{1,} , ; . $
    => warn(speaker=org, threat, polarity="neg", who=?)
    @example "CSTO warns of x." => speaker="CSTO", threat="x"
    @counterexample "nothing"
"""
RICH_SPANS = [
    ("Use", 'use "lexicons/orgs.yaml"'),
    ("TLemma", "~warn"),
    ("TokenSet", "~warn"),
    ("Word", "raised"),
    ("Word", "alarms"),
    ("Seq", "raised alarms"),
    ("Alt", "~warn | raised alarms"),
    ("Define", "define WARN = ~warn | raised alarms"),
    ("Ref", "A"),
    ("Gap", "...{0,3}"),
    ("Ref", "B"),
    ("Seq", "A ...{0,3} B"),
    ("Define", "define NEAR(A, B) = A ...{0,3} B"),
    ("TWord", "cap"),
    ("TLemma", "~be"),
    ("TExact", '"The"'),
    ("TOr", '~be | "The"'),
    ("TNot", '!(~be | "The")'),
    ("TAnd", 'cap & !(~be | "The")'),
    ("TokenSet", '[cap & !(~be | "The")]'),
    ("Repeat", '[cap & !(~be | "The")]+'),
    ("TRegex", "/^[a-z]+$/i"),
    ("TokenSet", "/^[a-z]+$/i"),
    ("Seq", '[cap & !(~be | "The")]+ /^[a-z]+$/i'),
    ("Rule", "THREAT"),
    ("option", "priority 2"),
    ("Anchor", "^"),
    ("Ref", "ORG"),
    ("Capture", "x:ORG"),
    ("Word", "warns"),
    ("Exact", '"said"'),
    ("Alt", 'warns | "said"'),
    ("Repeat", '(warns | "said")??'),
    ("Word", "of"),
    ("Word", "a"),
    ("Word", "b"),
    ("Seq", "a b"),
    ("Repeat", "(a b)+"),
    ("Ref", "ORG"),
    ("Word", "c"),
    ("Word", "d"),
    ("Seq", "c d"),
    ("Ref", "NEAR(ORG, (c d))"),
    ("TLemma", "~x"),
    ("TWord", "y"),
    ("TOr", "~x | y"),
    ("TNot", "![~x | y]"),
    ("TokenSet", "![~x | y]"),
    ("TWord", "said"),
    ("TNot", "!said"),
    ("TokenSet", "!said"),
    ("TExact", '"Q"'),
    ("TNot", '!"Q"'),
    ("TokenSet", '!"Q"'),
    ("Word", "e"),
    ("Look", "(?= e)"),
    ("Word", "f"),
    ("Look", "(?! f)"),
    ("Word", "g"),
    ("Word", "h"),
    ("Seq", "g h"),
    ("Look", "(?<= g h)"),
    ("Word", "i"),
    ("Look", "(?<! i)"),
    ("AnyToken", "_"),
    ("Gap", "..."),
    ("Gap", "...{2}"),
    ("Repeat", "(...{2})"),
    ("Repeat", "(...{2})?"),
    ("Gap", "...{1,}"),
    ("Word", ","),
    ("Word", ";"),
    ("Word", "."),
    ("Anchor", "$"),
    ("Seq", RICH.split("loose:\n    ")[1].split("\n    =>")[0]),
    ("Rule", "r"),
    ("EmitArg", "speaker=org"),
    ("EmitArg", "threat"),
    ("EmitArg", 'polarity="neg"'),
    ("EmitArg", "who=?"),
    ("Emit", '=> warn(speaker=org, threat, polarity="neg", who=?)'),
    ("Example", '@example "CSTO warns of x." => speaker="CSTO", threat="x"'),
    ("Example", '@counterexample "nothing"'),
    ("option", "priority -1"),
    ("option", "mode first"),
    ("option", "scope window 3"),
    ("option", "group g"),
    ("option", "loose"),
]


def spans_of(x: Any, text: str) -> Iterator[tuple[str, str]]:
    """(node type, the text its span covers) for every node under `x`, depth first."""
    if dataclasses.is_dataclass(x):
        for f in dataclasses.fields(x):
            value = getattr(x, f.name)
            if isinstance(value, SourceSpan):
                yield type(x).__name__, text[value.start : value.end]
            else:
                yield from spans_of(value, text)
    elif isinstance(x, tuple):
        for value in x:
            if isinstance(value, SourceSpan):
                yield "option", text[value.start : value.end]
            else:
                yield from spans_of(value, text)


def test_every_node_spans_what_it_was_written_as():
    assert list(spans_of(parse_file(RICH, "t.ie"), RICH)) == RICH_SPANS


def test_a_long_alternation_is_one_alt_of_words():
    words = [f"w{i}" for i in range(20_000)]
    text = "rule big: (" + " | ".join(words) + ")\n"
    alt = rule_of(text).pattern
    assert isinstance(alt, n.Alt) and [w.text for w in alt.options] == words
    assert all(text[w.span.start : w.span.end] == w.text for w in alt.options)
    assert text[alt.span.start : alt.span.end] == " | ".join(words)


def test_problems_found_while_building_come_in_text_order_and_stop_at_a_bad_quantifier():
    with pytest.raises(IEDslError) as info:
        parse_file('rule r: "\\q" a{,} "\\z" b{}\n', "t.ie")
    assert [(d.code, d.span.start) for d in info.value.diagnostics] == [("E114", 9), ("E113", 14)]
    with pytest.raises(IEDslError) as info:  # a syntax error further on is what is reported
        parse_file('rule r: "\\q" a{,} (b\n', "t.ie")
    assert [d.code for d in info.value.diagnostics] == ["E101"]


class _Recording(_Continuations):
    """The post-lexer, noting every token the lexer gave it."""

    def __init__(self) -> None:
        self.seen: list[Token] = []

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        def noted() -> Iterator[Token]:
            for tok in stream:
                self.seen.append(tok)
                yield tok

        return super().process(noted())


Lexed = tuple[list[tuple[str, str, int | None, int | None]], bool]


@pytest.fixture(scope="module")
def stock() -> tuple[Lark, _Recording]:
    """The stock parser (Lark's lexer and loop, the grammar as written), noting its tokens."""
    post = _Recording()
    return stock_parser(post), post


def lexed(tokens: list[Token], accepted: bool) -> Lexed:
    return [(t.type, str(t), t.start_pos, t.end_pos) for t in tokens], accepted


def by_stock(stock: tuple[Lark, _Recording], text: str) -> Lexed:
    """The tokens the stock parser lexed from `text`, and whether it accepted it."""
    parser, post = stock
    post.seen.clear()
    try:
        parser.parse(text)
    except UnexpectedInput:
        return lexed(post.seen, False)
    return lexed(post.seen, True)


def by_nodes(text: str) -> Lexed:
    """The same for the node-building parser (its lean loop, the flatter grammar)."""
    seen: list[Token] = []
    try:
        _node_parser().parse(text, seen)
    except Refused:
        return lexed(seen, False)
    return lexed(seen, True)


LEXED = [
    RICH,
    # keywords and numbers are what the parser state expects: words inside a pattern
    "rule r priority +3 scope sentence 2: rule use define 2 3.5 priority mode\n",
    "define M(A) = A # a comment (with a bracket\n  , B\n\n# only a comment\nentity E: a\n",
    'rule r: "a \\" b" /x\\/y/ ~lemma-x Gen. U.S. ...{2,} a{3} x?? [a|b&!c]\n',
    # attribute filters (a `[` against a type whose first word is compared), each()
    'rule r: t:(ORG[kind=x] (, ORG[k in (a, "b]")])*) [PLACE[!k!=v] & cap] PLACE[cap] $\n'
    "  => d(x=each(t), y=each)\n",
]


@pytest.mark.parametrize("text", LEXED + [p.read_text(encoding="utf-8") for p in sorted(PACK.glob("*.ie"))])
def test_the_lean_loop_lexes_the_tokens_larks_lexer_gives(stock, text):
    tokens, accepted = by_nodes(text)
    assert (tokens, accepted) == by_stock(stock, text)
    assert accepted and len(tokens) > 5


# Token soup from the grammar's vocabulary, for the property below.
VOCABULARY = (
    "rule use define entity priority mode scope group loose r x ORG M( ) ( [ ] | & ! : = => ? "
    "ORG[k=v] ORG[k!=v] ORG[!k in (a, b)] ORG[k=] each( "
    ', ; . ... _ ^ $ (?= (?! (?<= (?<! "s" /r/ ~l 2 +3 {2} {1,} {,} * + ?? @example @counterexample'
).split() + ["\n", "\n  ", "\n# c\n"]


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(
    st.sampled_from(["", "rule r: ", "rule r:\n  ", "define M = ", "entity E mode all: "]),
    st.lists(st.tuples(st.sampled_from(VOCABULARY), st.sampled_from([" ", ""])), max_size=30),
)
def test_the_two_parsers_lex_and_accept_the_same_texts(stock, head, soup):
    text = head + "".join(tok + sep for tok, sep in soup) + "\n"
    tokens, accepted = by_stock(stock, text)
    assert by_nodes(text)[1] == accepted
    if accepted:
        assert by_nodes(text)[0] == tokens


def test_the_flatter_grammar_has_no_conflicts(caplog):
    """Lark settles a shift/reduce conflict silently (as a shift): that would change the
    language of the node-building parser; it logs it at debug level."""
    with caplog.at_level(logging.DEBUG, logger="lark"):
        NodeParser(grammar_text() + _FLATTER, ("_NL",), _GRAMMAR_OPTIONS)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


def test_brackets_in_strings_do_not_count_towards_nesting():
    deep = "(" * (MAX_NESTING + 1)
    assert parse_file(f'rule r: "{deep}" a\n', "t.ie").rules  # inside a string
    assert parse_file(f'rule r: "\\"{deep}" a\n', "t.ie").rules  # after an escaped quote
    for text in (f'rule r: "\\\\" {deep}a', f'rule r: "open\nrule s: {deep}a'):  # string closed/ended
        with pytest.raises(IEDslError) as info:
            parse_file(text + ")" * (MAX_NESTING + 1) + "\n", "t.ie")
        (d,) = info.value.diagnostics
        assert d.code == "E401" and text[d.span.start] == "(" and d.span.start == text.rindex("(")
