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


def _loose_book(tmp_path, rules: str):
    """A rule book of `rules` with the pack's English grammar beside it (as a user's copy)."""
    import shutil
    from pathlib import Path

    from ie_dsl import compile_rules

    root = Path(__file__).resolve().parent.parent / "rules"
    (tmp_path / "lexicons").mkdir()
    shutil.copy(root / "english.ie", tmp_path / "english.ie")
    shutil.copy(root / "lexicons" / "titles.yaml", tmp_path / "lexicons" / "titles.yaml")
    (tmp_path / "m.ie").write_text('use "english.ie"\n' + rules, encoding="utf-8")
    return compile_rules([tmp_path])


def _shown(record) -> list[tuple[str, str]]:
    """(element, the text it took) of an explained match, the elements that took some."""
    return [(e["element"], e["text"]) for e in record["elements"] if e["text"]]


def test_a_loose_rule_explains_its_gaps_by_the_grammar_macro(tmp_path):
    from ie_dsl.tools.explain import explain_rule

    book = _loose_book(
        tmp_path, 'entity ORG: "NATO"\nentity THREAT: terrorism\nrule w loose: ORG speaks of THREAT\n'
    )
    (record,) = explain_rule(book, "w", "d", "NATO, the alliance, spoke on Monday of terrorism.")
    shown = _shown(record)
    assert ("(skipped: LOOSE_N_V)", ", the alliance,") in shown
    assert ("(skipped: LOOSE_V_P)", "on Monday") in shown
    assert ("speaks", "spoke") in shown
    assert "shape" not in record  # (one shape: no passive, no nominalization of speak)


def test_a_loose_rule_with_a_passive_explains_the_shape_that_matched(tmp_path):
    from ie_dsl.tools.explain import attempts, explain_rule

    book = _loose_book(
        tmp_path, 'entity ORG: "Acme" | "Globex"\nrule buy loose: buyer:ORG acquires target:ORG\n'
    )
    passive, nominal, active = explain_rule(
        book,
        "buy",
        "d",
        "Globex was quietly acquired by Acme. Acme's acquisition of Globex closed. Acme has acquired Globex.",
    )
    assert passive["shape"] == "passive"
    assert _shown(passive) == [
        ("target:ORG", "Globex"),
        ("acquires", "was quietly acquired"),
        ("(by)", "by"),
        ("buyer:ORG", "Acme"),
    ]
    assert nominal["shape"] == "nominalization"
    assert _shown(nominal) == [
        ("buyer:ORG", "Acme"),
        ("(NOMINAL_ACQUIRE)", "'s acquisition"),
        ("(of)", "of"),
        ("target:ORG", "Globex"),
    ]
    assert active["shape"] == "active" and ("acquires", "acquired") in _shown(active)
    # a near miss is that of the shape that got furthest, element by element
    (miss,) = attempts(book, "d", "Globex was quietly praised by Acme.", rules=["buy"])
    assert not miss.matched and miss.total > 1
    assert miss.failed in ("acquires", "acquires (passive)")  # (both shapes stop at the verb)
    assert miss.met == 'met token "praised"'
    (miss,) = attempts(book, "d", "Globex was acquired by its rivals.", rules=["buy"])
    # ("its rivals" is taken as the lead of the noun phrase that must follow "by")
    assert (miss.failed, miss.met) == ("buyer:ORG (passive)", 'no ORG annotation at "."')


def test_a_loose_rule_names_the_boundary_that_kept_it_from_starting(tmp_path):
    from ie_dsl.tools.explain import attempts

    book = _loose_book(
        tmp_path, 'entity ORG: "NATO"\nentity THREAT: terrorism\nrule w loose: ORG speaks of THREAT\n'
    )
    (miss,) = attempts(book, "d", "Rivals of NATO spoke of terrorism.", rules=["w"])
    assert not miss.matched
    assert miss.failed == "(boundary: LOOSE_START_N)"
    assert miss.met == 'ORG "NATO" follows "Rivals of"'
    (hit,) = attempts(book, "d", "NATO spoke of terrorism.", rules=["w"])
    assert hit.matched
