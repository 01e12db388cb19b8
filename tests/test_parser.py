"""DSL text -> nodes, and syntax errors -> located diagnostics."""

from __future__ import annotations

import pytest

from ie_dsl import nodes as n
from ie_dsl.diagnostics import IEDslError
from ie_dsl.parser import parse_file, parse_pattern
from ie_dsl.syntax_messages import ERROR_EXAMPLES


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
