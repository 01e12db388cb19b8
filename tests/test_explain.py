"""Explanations: how far each rule got, which element failed, what the text had there."""

from __future__ import annotations

from ie_dsl.explain import attempts

RULE = "entity THREAT: terrorist groups\nrule headline: ORG warns of THREAT from PLACE\n"


def test_a_near_miss_names_the_failed_element_and_the_token_met(book):
    b = book(RULE)
    (a,) = attempts(b, "d", "CSTO warns of terrorist groups in Afghanistan.", rules=["headline"])
    assert (a.reached, a.total, a.failed, a.met) == (4, 6, "from", 'met token "in"')
    assert a.describe().startswith("headline (") and a.describe().endswith('from: met token "in"')


def test_a_missing_annotation_is_named(book):
    b = book(RULE)
    (a,) = attempts(b, "d", "Acme warns of terrorist groups from Afghanistan.", rules=["headline"])
    assert a.failed == "ORG" and a.met == 'no ORG annotation at "Acme"'


def test_a_match_is_reported_as_such_and_ranked_first(book):
    b = book(RULE)
    got = attempts(b, "d", "CSTO warns of terrorist groups from Afghanistan.")
    assert got[0].matched and got[0].rule == "headline" or got[0].rule == "THREAT"
    assert all(a.matched for a in got)


def test_only_windows_overlapping_the_given_sentence(book):
    b = book(RULE)
    text = "CSTO warns of terrorist groups in Afghanistan. Nothing here."
    second = (text.index("Nothing"), len(text))
    (a,) = attempts(b, "d", text, sentence=second, rules=["headline"])
    assert a.reached == 0 and a.start >= second[0]
