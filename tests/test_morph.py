"""English inflection (ie_dsl.text.morph): forms of a lemma, and lemmas of a form."""

from __future__ import annotations

import pytest

from ie_dsl.text import morph
from ie_dsl.text.morph import (
    gerund,
    inflections,
    lemmas,
    participles,
    past,
    plurals,
    third_person,
    verb_forms,
)

# Common regular verbs of news text: every form of each must map back to it.
REGULAR = """
accept accuse achieve acquire add admit agree allege announce appeal apply argue arrest
assassinate attack benefit bomb cancel capture cause challenge change charge claim combat
commit complete condemn control create declare defeat delay deny deploy detain determine
develop die echo enter equip escape evacuate focus free fuel guarantee honor hope ignore
injure invade invite issue kidnap kill label negotiate occur offer open organize panic
patrol persuade plan pose prefer promise quit quiz refer refuse release require retire
secure seize settle signal stop submit target total traffic transfer travel try unite
urge veto visit vote warn welcome worry
"""


def test_regular_verb_forms() -> None:
    assert verb_forms("warn") == (
        frozenset({"warns"}),
        frozenset({"warned"}),
        frozenset({"warned"}),
        frozenset({"warning"}),
    )
    assert third_person("deny") == {"denies"}
    assert past("deny") == {"denied"}
    assert gerund("deny") == {"denying"}
    assert third_person("go") == {"goes"}
    assert third_person("veto") == {"vetoes"}
    assert third_person("fix") == {"fixes"}
    assert third_person("play") == {"plays"}
    assert past("play") == {"played"}


@pytest.mark.parametrize(
    ("lemma", "expected"),
    [
        ("buy", {"buy", "buys", "bought", "buying", "buyings"}),
        ("sell", {"sell", "sells", "sold", "selling", "sellings"}),
        ("shoot", {"shoot", "shoots", "shot", "shooting", "shootings"}),
        ("take", {"take", "takes", "took", "taken", "taking", "takings"}),
        ("leave", {"leave", "leaves", "left", "leaving", "leavings"}),
        ("win", {"win", "wins", "won", "winning", "winnings"}),
        ("lose", {"lose", "loses", "lost", "losing", "losings"}),
        ("send", {"send", "sends", "sent", "sending", "sendings"}),
    ],
)
def test_irregular_verbs_have_their_forms_and_no_regular_ones(lemma: str, expected: set[str]) -> None:
    assert inflections(lemma) == expected


def test_irregular_variants_and_extras() -> None:
    assert past("burn") == {"burned", "burnt"}
    assert participles("get") == {"got", "gotten"}
    assert past("hang") == {"hung", "hanged"}
    assert past("lie") == {"lay", "lied"} and participles("lie") == {"lain", "lied"}
    assert {"is", "am", "are", "was", "were", "been", "being", "'s"} <= inflections("be")
    assert {"has", "had", "having", "'ve"} <= inflections("have")
    assert {"does", "did", "done", "doing"} <= inflections("do")
    assert {"denial", "denials"} <= inflections("deny")
    assert gerund("begin") == {"beginning"} and gerund("forget") == {"forgetting"}
    assert gerund("overrun") == {"overrunning"} and gerund("upset") == {"upsetting"}


def test_irregular_table_is_large_and_covers_news_verbs() -> None:
    news = "bought sold shot fled lost won sent left fought sought struck hit led held slew"
    for form in news.split():
        assert any(morph.is_irregular(lemma) for lemma in lemmas(form)), form
    assert sum(1 for _ in morph._IRREGULAR_VERBS) >= 300


def test_ee_verbs() -> None:
    assert inflections("flee") == {"flee", "flees", "fled", "fleeing", "fleeings"}
    assert inflections("agree") == {"agree", "agrees", "agreed", "agreeing", "agreeings"}
    assert inflections("free") == {"free", "frees", "freed", "freeing", "freeings"}
    assert {"seeing", "saw", "seen"} <= inflections("see")
    assert "fleing" not in inflections("flee") and "agreing" not in inflections("agree")


def test_no_regular_forms_that_are_other_words() -> None:
    assert "seed" not in inflections("see")  # see is irregular
    assert "leaded" not in inflections("lead")
    assert "stared" not in inflections("star")  # star doubles: starred
    assert "hoped" not in inflections("hop") and "planed" not in inflections("plan")


def test_e_and_ie_and_ye_verbs() -> None:
    assert inflections("pose") == {"pose", "poses", "posed", "posing", "posings"}
    assert gerund("die") == {"dying"} and past("die") == {"died"}
    assert gerund("dye") == {"dyeing"}
    assert gerund("age") == {"ageing", "aging"}
    assert gerund("argue") == {"arguing"}


def test_consonant_doubling() -> None:
    assert past("plan") == {"planned"} and gerund("plan") == {"planning"}
    assert past("stop") == {"stopped"}
    assert past("quit") == {"quit", "quitted"} and gerund("quit") == {"quitting"}
    assert past("quiz") == {"quizzed"}
    assert past("visit") == {"visited"} and "visitted" not in inflections("visit")
    assert past("open") == {"opened"} and past("target") == {"targeted"}
    assert past("commit") == {"committed"} and past("occur") == {"occurred"}
    assert past("fix") == {"fixed"} and past("show") == {"showed"}
    assert past("panic") == {"panicked"} and gerund("traffic") == {"trafficking"}
    assert past("travel") == {"traveled", "travelled"}  # both spellings
    assert past("fuel") == {"fueled", "fuelled"}
    assert past("control") == {"controlled"}
    assert past("appeal") == {"appealed"}
    assert past("benefit") == {"benefited", "benefitted"}


def test_prefixed_words_double_like_their_root() -> None:
    assert past("unplan") == {"unplanned"} and past("outgun") == {"outgunned"}
    assert past("recommit") == {"recommitted"} and past("decontrol") == {"decontrolled"}
    assert past("render") == {"rendered"}  # re-nder is no prefix and root
    assert past("debit") == {"debited"} and past("debut") == {"debuted"}
    assert lemmas("uncommitted") == {"uncommit"} and lemmas("rearranged") == {"rearrange"}
    assert lemmas("refocusing") == {"refocus", "refocusing"} and lemmas("debuted") == {"debut"}


def test_ll_stems() -> None:
    assert lemmas("called") == {"call"} and lemmas("unfilled") == {"unfill"}
    assert lemmas("bankrolled") == {"bankroll"} and lemmas("dialled") == {"dial"}
    assert lemmas("installed") == {"install", "instal"}  # the British spelling has one l


def test_y_verbs() -> None:
    assert verb_forms("deny") == ({"denies"}, {"denied"}, {"denied"}, {"denying"})
    assert verb_forms("try") == ({"tries"}, {"tried"}, {"tried"}, {"trying"})
    assert verb_forms("stay") == ({"stays"}, {"stayed"}, {"stayed"}, {"staying"})


def test_participles() -> None:
    assert participles("acquire") == {"acquired"}
    assert participles("buy") == {"bought"}
    assert participles("shoot") == {"shot"}
    assert participles("take") == {"taken"}
    assert participles("warn") == {"warned"}
    assert participles("write") == {"written"}
    assert participles("withdraw") == {"withdrawn"}


def test_plurals() -> None:
    assert plurals("threat") == {"threats"}
    assert plurals("crisis") == {"crises"}
    assert plurals("person") == {"people", "persons"}
    assert plurals("gunman") == {"gunmen"} and plurals("spokesman") == {"spokesmen"}
    assert plurals("human") == {"humans"}
    assert plurals("country") == {"countries"}
    assert plurals("photo") == {"photos", "photoes"} and plurals("hero") >= {"heroes"}
    assert {"men", "manned"} <= inflections("man")  # a noun in the table is still a verb
    assert plurals("spokeswoman") == {"spokeswomen"} and plurals("grandchild") == {"grandchildren"}
    assert plurals("spokesperson") == {"spokespeople", "spokespersons"}
    assert lemmas("schoolchildren") == {"schoolchild"} and lemmas("housewives") == {"housewife"}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("warns", {"warn"}),
        ("warned", {"warn"}),
        ("warning", {"warn", "warning"}),
        ("warnings", {"warn", "warning"}),
        ("posing", {"pose", "posing"}),
        ("planned", {"plan"}),
        ("denied", {"deny"}),
        ("denies", {"deny"}),
        ("fled", {"flee"}),
        ("fleeing", {"flee", "fleeing"}),
        ("agreed", {"agree"}),
        ("bought", {"buy"}),
        ("left", {"leave", "left"}),
        ("found", {"find", "found"}),
        ("acquired", {"acquire"}),
        ("acquires", {"acquire"}),
        ("visited", {"visit"}),
        ("invited", {"invite"}),
        ("entered", {"enter"}),
        ("ignored", {"ignore"}),
        ("determined", {"determine"}),
        ("negotiated", {"negotiate"}),
        ("travelled", {"travel"}),
        ("controlled", {"control"}),
        ("panicked", {"panic"}),
        ("committed", {"commit"}),
        ("used", {"use"}),
        ("dying", {"die", "dying"}),
        ("caused", {"cause"}),
        ("focused", {"focus"}),
        ("passes", {"pass"}),
        ("vetoes", {"veto"}),
        ("does", {"do"}),
        ("is", {"be"}),
        ("lay", {"lay", "lie"}),
        ("men", {"man"}),
        ("crises", {"crisis"}),
        ("lives", {"life", "live"}),
        ("put", {"put"}),
        ("need", {"need"}),
        ("proceed", {"proceed"}),
        ("news", {"news"}),
        ("during", {"during"}),
    ],
)
def test_lemmas(form: str, expected: set[str]) -> None:
    assert lemmas(form) == expected


def test_lemmas_lower_cases() -> None:
    assert lemmas("Warned") == {"warn"}


def test_every_irregular_form_maps_back_to_its_lemma() -> None:
    for lemma in morph._IRREGULAR_VERBS:
        for form in inflections(lemma):
            assert lemma in lemmas(form), (lemma, form, lemmas(form))
    for lemma in morph._IRREGULAR_NOUNS:
        for form in plurals(lemma):
            assert lemma in lemmas(form), (lemma, form, lemmas(form))


@pytest.mark.parametrize("lemma", REGULAR.split())
def test_every_regular_form_maps_back_to_its_lemma(lemma: str) -> None:
    for form in set().union(*verb_forms(lemma)) | {lemma}:
        assert lemma in lemmas(form), (lemma, form, lemmas(form))


def test_every_lemma_inflects_to_its_form() -> None:
    words = set(REGULAR.split()) | set(morph._IRREGULAR_VERBS) | set(morph._IRREGULAR_NOUNS)
    forms = {form for word in words for form in inflections(word)}
    forms |= {"hundred", "string", "sled", "morning", "changed", "welcomed", "installed", "bathed"}
    for form in forms:
        found = lemmas(form)
        assert found, form
        assert all(form in inflections(lemma) for lemma in found), (form, found)


def test_compounds_of_irregular_verbs_inflect_like_their_verb() -> None:
    """overrun like run, forget like get: the doubling list knows the compounds."""
    table = morph._IRREGULAR_VERBS
    for lemma in table:
        for i in range(2, len(lemma) - 1):
            head, tail = lemma[:i], lemma[i:]
            if tail in table and len(tail) > 2:
                assert gerund(lemma) == {head + g for g in gerund(tail)}, lemma
                assert third_person(lemma) == {head + t for t in third_person(tail)}, lemma
