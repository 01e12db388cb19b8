"""Attribute filters (PLACE[kind=country]), W226 anchors that can never hold, each() and the
lexicon names that end in an abbreviation: what check reports, and what is matched."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ie_dsl import IEDslError, compile_rules
from ie_dsl.language import nodes as n
from ie_dsl.language.attrfilter import base_type, canonical, derived_name, parse_filter, predicate
from ie_dsl.pipeline import diagnose
from ie_dsl.source import SourceSpan

PLACES = """\
type: PLACE
entries:
  - {name: France, attrs: {kind: country}}
  - {name: Paris, attrs: {kind: city, capital: national}}
  - {name: Europe, attrs: {kind: region}}
"""


def filter_of(body: str) -> n.AttrTest:
    test, problems = parse_filter(body, "p", lambda x: x, 0)
    assert test is not None and not problems
    return test


def passes(body: str, attrs: dict[str, object]) -> bool:
    return predicate(derived_name("T", filter_of(body)))(attrs)


@pytest.mark.parametrize(
    ("body", "attrs", "expected"),
    [
        ("kind=country", {"kind": "country"}, True),
        ("kind=Country", {"kind": "COUNTRY"}, True),  # a bare value: any case
        ('kind="Country"', {"kind": "country"}, False),  # a quoted value: exactly
        ('kind="Country"', {"kind": "Country"}, True),
        ("kind=country", {}, False),
        ("kind!=city", {}, True),  # no attribute: not equal
        ("kind!=city", {"kind": "city"}, False),
        ("kind in (country, region)", {"kind": "region"}, True),
        ("kind in (country, region)", {"kind": "city"}, False),
        ("!kind in (country, region)", {"kind": "city"}, True),
        ("kind=city & capital=national", {"kind": "city", "capital": "national"}, True),
        ("kind=city & capital=national", {"kind": "city"}, False),
        ("kind=country | capital=national", {"capital": "national"}, True),
        ("!(kind=country | kind=region)", {"kind": "city"}, True),
        ("low=1000000000", {"low": 1_000_000_000}, True),  # numbers compare as JSON writes them
    ],
)
def test_what_a_filter_keeps(body: str, attrs: dict[str, object], expected: bool) -> None:
    assert passes(body, attrs) is expected


_WORDS = st.sampled_from(["kind", "capital", "a", "b-c", "x.y", "in", "Country"])
_VALUES = st.tuples(st.sampled_from(["country", "Region", 'a "q" b', "x]y", "in", ""]), st.booleans())


_SPAN = SourceSpan("p", 0, 0)


def _cmp() -> st.SearchStrategy[n.AttrTest]:
    span = _SPAN
    return st.builds(
        lambda key, values, negate: n.AttrCmp(key, tuple(values), negate and len(values) == 1, span),
        _WORDS,
        st.lists(_VALUES, min_size=1, max_size=3).map(
            lambda vs: [(t, exact or not t or " " in t or "]" in t or '"' in t) for t, exact in vs]
        ),
        st.booleans(),
    )


_TESTS = st.recursive(
    _cmp(),
    lambda inner: st.one_of(
        st.builds(lambda t: n.AttrNot(t, _SPAN), inner),
        st.builds(lambda ts: n.AttrAnd(tuple(ts), _SPAN), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda ts: n.AttrOr(tuple(ts), _SPAN), st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=6,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(_TESTS)
def test_the_canonical_name_reads_back_as_the_same_filter(test: n.AttrTest) -> None:
    text = canonical(test)
    again = filter_of(text)
    assert canonical(again) == text
    assert base_type(derived_name("PLACE", test)) == "PLACE"


def _rules(tmp_path: Path, rules: str, lexicon: str = PLACES) -> Path:
    (tmp_path / "places.yaml").write_text(lexicon, encoding="utf-8")
    (tmp_path / "main.ie").write_text('use "places.yaml"\n' + rules, encoding="utf-8")
    return tmp_path


def _problems(tmp_path: Path, rules: str) -> list[tuple[str, str, int, str | None]]:
    root = _rules(tmp_path, rules)
    text = (root / "main.ie").read_text(encoding="utf-8")
    found, _sources = diagnose([root])
    return [
        (d.code, d.message, d.span.start - text.index("\n") - 1, d.hint)
        for d in found
        if d.code in ("E228", "W226", "W227", "E115")
    ]


def test_an_unknown_attribute_is_a_located_error_with_a_suggestion(tmp_path: Path) -> None:
    got = _problems(tmp_path, "rule r: in PLACE[knd=country]\n")
    assert got == [("E228", "PLACE annotations have no attribute 'knd'", 17, "did you mean kind?")]


def test_attributes_of_types_without_them_and_of_macros(tmp_path: Path) -> None:
    got = _problems(
        tmp_path, "define W = a\nrule r: NUMBER[x=1] W[k=v] DATE[grain=day] MONEY[currency=USD]\n"
    )
    assert [(code, message) for code, message, _at, _hint in got] == [
        ("E228", "NUMBER annotations have no attribute 'x'"),
        ("E228", "W is a macro: only a type has attributes"),
    ]


def test_a_value_no_annotation_has_is_a_warning(tmp_path: Path) -> None:
    got = _problems(
        tmp_path, 'rule r: PLACE[kind=contry] PLACE[kind="City"] MONEY[currency=usd] MONEY[currency="usd"]\n'
    )
    assert [(code, message) for code, message, _at, _hint in got] == [
        ("W227", "no PLACE annotation has kind=contry"),
        ("W227", "no PLACE annotation has kind=City"),  # quoted: exactly
        ("W227", "no MONEY annotation has currency=usd"),  # quoted: exactly (bare usd is USD)
    ]


@pytest.mark.parametrize(
    ("pattern", "at"),
    [
        ("for $ NUMBER", [4]),
        ("said ^ the", [5]),
        ("(a $) b", [3]),
        ("a ^ | b $ c", [2, 8]),
        ("x:(a $ ~warn)", [5]),
    ],
)
def test_an_anchor_that_can_never_hold_is_a_located_warning(
    tmp_path: Path, pattern: str, at: list[int]
) -> None:
    got = _problems(tmp_path, f"rule r: {pattern}\n")
    assert [(code, where - 8) for code, _m, where, _h in got] == [("W226", k) for k in at]


@pytest.mark.parametrize(
    "pattern",
    [
        "a $",
        "^ a",
        "a? $ b?",
        "(x | $) y?",
        "(?= a $) a",
        "a (?<= ^ a)",
        '"$" 5',
        "a (b | $)",
        "^? a",
        "a _* $",
    ],
)
def test_anchors_that_can_hold_are_not_reported(tmp_path: Path, pattern: str) -> None:
    assert _problems(tmp_path, f"rule r: {pattern}\n") == []


def test_a_filter_on_a_type_from_another_stage_is_derived_there(tmp_path: Path) -> None:
    rules = "entity SITE: near PLACE[kind=city]\nrule r: SITE\n"
    book = compile_rules([_rules(tmp_path, rules)])
    got = book.extract("d", "It is near Paris, near France.")
    assert [st["args"]["site"]["text"] for st in got] == ["near Paris"]


def test_a_capture_of_a_filtered_type_has_the_type_and_attrs(tmp_path: Path) -> None:
    book = compile_rules([_rules(tmp_path, "rule r: x:PLACE[kind=city]\n")])
    (st,) = book.extract("d", "In Paris.")
    assert st["args"]["x"] == {
        "text": "Paris",
        "type": "PLACE",
        "canonical": "Paris",
        "attrs": {"kind": "city", "capital": "national"},
        "start": 3,
        "end": 8,
    }


def test_each_of_an_unknown_capture_is_e218(tmp_path: Path) -> None:
    with pytest.raises(IEDslError) as info:
        compile_rules([_rules(tmp_path, "rule r: x:PLACE => t(y=each(z))\n")])
    assert [d.code for d in info.value.diagnostics] == ["E218"]


def test_a_lexicon_name_ending_in_an_abbreviation(tmp_path: Path) -> None:
    orgs = "type: ORG\nentries:\n  - Acme Inc.\n  - {name: Acme Inc Holding, aliases: [Acme Inc]}\n"
    (tmp_path / "orgs.yaml").write_text(orgs, encoding="utf-8")
    (tmp_path / "main.ie").write_text('use "orgs.yaml"\nrule r: ORG\n', encoding="utf-8")
    book = compile_rules([tmp_path])
    assert not [w for w in book.warnings if w.code == "W301"]  # the name without it is listed: it wins
    got = book.extract("d", "Acme Inc. said it. They met Acme Inc.")
    assert [(st["args"]["org"]["text"], st["args"]["org"]["canonical"]) for st in got] == [
        ("Acme Inc.", "Acme Inc."),
        ("Acme Inc", "Acme Inc Holding"),
    ]


def test_a_macro_body_is_measured_with_its_own_files_macros(tmp_path: Path) -> None:
    # common.ie's M is `B gamma` with its own B (optional): `M $` is fine even though the
    # rule's file has a B of two tokens; a parameter counts nothing
    (tmp_path / "common.ie").write_text("define B = alpha?\ndefine M = B gamma?\n", encoding="utf-8")
    rules = 'use "common.ie"\ndefine B = x y\ndefine N(B) = B\nrule r: ~warn $ M N(z) B?\n'
    (tmp_path / "main.ie").write_text(rules, encoding="utf-8")
    found, _sources = diagnose([tmp_path])
    assert [d.code for d in found if d.code == "W226"] == []
    (tmp_path / "main.ie").write_text(rules.replace("M N(z) B?", "M N(z) B"), encoding="utf-8")
    found, _sources = diagnose([tmp_path])
    assert [d.code for d in found if d.code == "W226"] == ["W226"]


def test_doubling_macros_are_measured_once_each(tmp_path: Path) -> None:
    chain = "define M0 = a\n" + "".join(f"define M{i} = M{i - 1} M{i - 1}\n" for i in range(1, 41))
    (tmp_path / "main.ie").write_text(chain + "rule r: $ M40\n", encoding="utf-8")
    found, _sources = diagnose([tmp_path])
    assert [d.code for d in found if d.code == "W226"] == ["W226"]
