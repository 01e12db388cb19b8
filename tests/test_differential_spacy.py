"""iedsl and spaCy (EntityRuler + Matcher) find the same matches for equivalent rules.

The same differential check as `benchmarks/bench.py` runs on a corpus sample
(benchmarks/differential.py), here on small hand-written texts: exact agreement where the two
tokenizers cut the text the same way, and proof that the check does see a difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("spacy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from differential import compare, spacy_engine  # noqa: E402
from workloads import Rule, rule_to_ie, rule_to_spacy, spacy_entity_patterns, write_lexicon_dir  # noqa: E402

from ie_dsl.pipeline import compile_rules  # noqa: E402

NAMES = [
    (("Acme", "Corp"), "ORG"),
    (("First", "National", "Bank"), "ORG"),
    (("National", "Bank"), "ORG"),  # inside the longer ORG: both engines keep the longer one
    (("Beta", "Holdings", "Inc"), "ORG"),
    (("Hong", "Kong"), "PLACE"),
    (("New", "York"), "PLACE"),
    (("John", "Smith"), "PERSON"),
    (("Wall", "Street"), "NAME"),
]
SAY = ("say", "says", "said", "saying")
BUY = ("buy", "buys", "bought", "buying")
RULES = [  # the four shapes of workloads.make_rules
    Rule("ra", 0, (("ent", ("ORG",)), ("words", SAY, False), ("words", ("on", "in"), True),
                   ("gap", 0, 3), ("words", ("profit", "stake", "earnings"), False))),
    Rule("rb", 1, (("ent", ("ORG", "PERSON")), ("words", BUY, False), ("words", ("of",), True),
                   ("gap", 0, 3), ("ent", ("ORG", "PLACE")))),
    Rule("rc", 2, (("ent", ("PERSON", "ORG")), ("words", SAY, False), ("gap", 0, 3),
                   ("words", ("stake", "unit"), False), ("words", ("in",), False), ("ent", ("ORG", "NAME")))),
    Rule("rd", 3, (("words", ("stake", "offices"), False), ("words", ("in", "on"), False), ("gap", 0, 2),
                   ("ent", ("PLACE", "NAME")))),
]  # fmt: skip
TEXTS = [
    "Acme Corp said on Monday its profit rose. John Smith bought a stake in Beta Holdings Inc today.",
    # "Inc." inside a sentence is one token (at a sentence's end iedsl has "Inc" and ".")
    "It went to Beta Holdings Inc. John Smith bought a stake in Beta Holdings Inc. today.",
    "First National Bank said its profit and its earnings grew. It has offices in Hong Kong and New York.",
    "John Smith said he sold a stake in Acme Corp to Beta Holdings Inc last year.",
    "Acme Corp said. Profit rose.",  # spaCy's match crosses the sentence end: dropped
    "Acme Corp said that in the past two years its profit fell.",  # gap too long for both
    "National Bank bought New York offices. The stake on Wall Street was sold.",
    "ACME CORP SAID ITS PROFIT ROSE.\n\nAcme Corp Said Its Stake Rose.",  # names are case-sensitive
]


def engines(tmp_path: Path, rules: list[Rule], spacy_rules: list[Rule] | None = None):
    """iedsl RuleBook and spaCy (nlp, matcher) for the same names and rules (or other spaCy rules)."""
    lex = write_lexicon_dir(NAMES, tmp_path / "lex")
    (tmp_path / "rules.ie").write_text("".join(rule_to_ie(r) + "\n" for r in rules))
    book = compile_rules([lex, tmp_path / "rules.ie"])
    nlp, matcher = spacy_engine(
        spacy_entity_patterns(NAMES), {r.id: rule_to_spacy(r) for r in spacy_rules or rules}
    )
    return book, nlp, matcher


def test_both_engines_agree_exactly(tmp_path: Path) -> None:
    book, nlp, matcher = engines(tmp_path, RULES)
    rep = compare(TEXTS, book, nlp, matcher)
    assert rep.differences == []
    assert rep.docs_agree == len(TEXTS)
    assert rep.iedsl == rep.spacy == rep.common >= 6
    # not vacuous: the matches a reader expects, one per start with the farthest end
    found = sorted((st["rule"]["name"], t[st["span"]["start"] : st["span"]["end"]])
                   for t in TEXTS for st in book.extract("t", t))  # fmt: skip
    assert found == [
        ("ra", "Acme Corp Said Its Stake"),
        ("ra", "Acme Corp said on Monday its profit"),
        ("ra", "First National Bank said its profit"),
        ("rb", "John Smith bought a stake in Beta Holdings Inc"),
        ("rb", "National Bank bought New York"),
        ("rc", "John Smith said he sold a stake in Acme Corp"),
        ("rd", "offices in Hong Kong"),
        ("rd", "stake on Wall Street"),
    ]


def test_a_non_equivalent_pair_is_detected(tmp_path: Path) -> None:
    # iedsl allows a gap of 3 tokens, spaCy only 2: the check must say so
    def said_profit(gap: int) -> Rule:
        return Rule(
            "ra",
            0,
            (("ent", ("ORG",)), ("words", SAY, False), ("gap", 0, gap), ("words", ("profit",), False)),
        )

    ours, theirs = said_profit(3), said_profit(2)
    book, nlp, matcher = engines(tmp_path, [ours], [theirs])
    rep = compare(["Acme Corp said that its net profit rose.", "Acme Corp said its profit rose."],
                  book, nlp, matcher)  # fmt: skip
    assert rep.docs_agree == 1
    assert rep.n_differences == 1
    (d,) = rep.differences
    assert (d.engine, d.text, d.tokens_agree) == ("iedsl", "Acme Corp said that its net profit", True)
    assert rep.agreement == 0.5


def test_a_tokenization_difference_is_reported_as_such(tmp_path: Path) -> None:
    # iedsl splits "1986/87" into three tokens, spaCy keeps one: the gap fits only for spaCy
    book, nlp, matcher = engines(tmp_path, RULES[:1])
    rep = compare(["Acme Corp said in 1986/87 its profit rose."], book, nlp, matcher)
    (d,) = rep.differences
    assert (d.engine, d.text, d.tokens_agree) == ("spacy", "Acme Corp said in 1986/87 its profit", False)
    assert rep.explained_by_tokens == 1
