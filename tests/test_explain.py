"""Explanations: how far each rule got, which element failed, what the text had there."""

from __future__ import annotations

from ie_dsl.tools.explain import attempts

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


def test_a_loose_rule_explains_its_gaps_by_the_grammar_macro(tmp_path):
    # (a rule with passive or nominal variants is explained as one element: see language.md 7.6)
    import shutil
    from pathlib import Path

    from ie_dsl import compile_rules
    from ie_dsl.tools.explain import explain_rule

    root = Path(__file__).resolve().parent.parent / "rules"
    (tmp_path / "lexicons").mkdir()
    shutil.copy(root / "english.ie", tmp_path / "english.ie")
    shutil.copy(root / "lexicons" / "titles.yaml", tmp_path / "lexicons" / "titles.yaml")
    (tmp_path / "m.ie").write_text(
        'use "english.ie"\nentity ORG: "NATO"\nentity THREAT: terrorism\n'
        "rule w loose: ORG speaks of THREAT\n",
        encoding="utf-8",
    )
    book = compile_rules([tmp_path])
    (record,) = explain_rule(book, "w", "d", "NATO, the alliance, spoke on Monday of terrorism.")
    shown = [(e["element"], e["text"]) for e in record["elements"]]
    assert ("(skipped: LOOSE_N_V)", ", the alliance,") in shown
    assert ("(skipped: LOOSE_V_P)", "on Monday") in shown
    assert ("speaks", "spoke") in shown


def test_a_loose_rule_names_the_boundary_that_kept_it_from_starting(tmp_path):
    import shutil
    from pathlib import Path

    from ie_dsl import compile_rules
    from ie_dsl.tools.explain import attempts

    root = Path(__file__).resolve().parent.parent / "rules"
    (tmp_path / "lexicons").mkdir()
    shutil.copy(root / "english.ie", tmp_path / "english.ie")
    shutil.copy(root / "lexicons" / "titles.yaml", tmp_path / "lexicons" / "titles.yaml")
    (tmp_path / "m.ie").write_text(
        'use "english.ie"\nentity ORG: "NATO"\nentity THREAT: terrorism\n'
        "rule w loose: ORG speaks of THREAT\n",
        encoding="utf-8",
    )
    book = compile_rules([tmp_path])
    (miss,) = attempts(book, "d", "Rivals of NATO spoke of terrorism.", rules=["w"])
    assert not miss.matched
    assert miss.failed == "(boundary: LOOSE_START_N)"
    assert miss.met == 'ORG "NATO" follows "Rivals of"'
    (hit,) = attempts(book, "d", "NATO spoke of terrorism.", rules=["w"])
    assert hit.matched
