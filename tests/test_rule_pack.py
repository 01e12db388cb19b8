"""The shipped pack on sentences it was not written for: what it must find, and must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from ie_dsl import compile_rules

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack():
    return compile_rules([ROOT / "rules"])


@pytest.mark.parametrize(
    "sentence, kind, threat",
    [
        (
            "The UN Security Council expressed deep concern over the growing presence of ISIS-K fighters "
            "in northern Afghanistan.",
            "concern",
            "ISIS-K fighters",
        ),
        (
            "Uzbekistan's security service said the Islamic Movement of Uzbekistan poses a threat "
            "to the region.",
            "threat_claim",
            "Islamic Movement of Uzbekistan",
        ),
        (
            "The Taliban rejected the UN report, saying there are no foreign fighters in Afghanistan.",
            "deny",
            "foreign fighters",
        ),
        (
            "Kazakhstan's president said drug trafficking from Afghanistan remains a major challenge.",
            "threat_claim",
            "drug trafficking",
        ),
        (
            "Analysts warn that the Islamic State's Afghan branch could expand into Central Asia.",
            "warn",
            "Islamic State",
        ),
        (
            "Officials fear a resurgence of extremist violence in the Fergana Valley.",
            "concern",
            "extremist violence",
        ),
        (
            "Moscow has repeatedly warned about the threat of terrorism spilling over from Afghanistan.",
            "warn",
            "terrorism",
        ),
        ("Beijing is worried about Uyghur militants using Afghan territory.", "concern", "Uyghur militants"),
        (
            '"Terrorist groups are regrouping in the north," a senior Russian official told reporters.',
            "threat_claim",
            "Terrorist groups",
        ),
        (
            "India expressed alarm at the rise of Lashkar-e-Taiba activity along the Line of Control.",
            "concern",
            "Lashkar-e-Taiba",
        ),
    ],
)
def test_finds_stances_in_unseen_sentences(pack, sentence, kind, threat):
    got = pack.extract("d", sentence)
    assert [(s["type"], s["args"]["threat"]["text"]) for s in got] == [(kind, threat)]


@pytest.mark.parametrize(
    "sentence",
    [
        "The CSTO is ready to help Tajikistan counter threats from Afghanistan.",  # no stance
        "Kabul dismissed the claims as baseless.",  # a denial of nothing dangerous
        "The minister said the government would not allow its soil to be used against any country.",
        "In his address, he noted that a working group on Afghanistan is operating under the CSTO.",
        "Spicer said fears of terrorism dissuaded Americans from traveling to Europe last year.",
        '"Let it die with dignity," he said.',  # "Let" is not Lashkar-e-Taiba's LeT
        "There are indications the Bonn government will also reject the proposed tax, Wagner said.",
        "The TTP militants have unleashed a new spate of terrorist attacks in Pakistan.",  # narration
    ],
)
def test_stays_silent_where_nothing_is_claimed(pack, sentence):
    assert pack.extract("d", sentence) == []


@pytest.mark.parametrize(
    "sentence, args",
    [
        (
            "Foreign Minister Sergei Lavrov expressed concern about ISIS militants in northern Afghanistan.",
            {"speaker": "Sergei Lavrov", "threat": "ISIS militants", "source": "Afghanistan"},
        ),
        (
            "UN envoy Roza Otunbayeva warned that Islamic State Khorasan remains a threat to the region.",
            {"speaker": "Roza Otunbayeva", "organization": "UN", "threat": "Islamic State Khorasan"},
        ),
        (
            "Guards at Hamid Karzai International Airport warned of an attack by Islamic State militants.",
            {"threat": "Islamic State militants"},  # the airport is no speaker
        ),
        (
            "The spokesman said most of the danger to the convoy came from roadside bombs.",
            {"threat": "roadside bombs"},
        ),
        (
            "“Drug cartels are expanding their reach across the border,” the governor said.",
            {"threat": "Drug cartels"},
        ),
    ],
)
def test_roles_in_unseen_sentences(pack, sentence, args):
    (st,) = pack.extract("d", sentence)
    assert {role: arg["text"] for role, arg in st["args"].items()} == args


def test_a_negated_denial_is_no_denial(pack):
    assert (
        pack.extract("d", "The minister did not deny the presence of foreign fighters in the region.") == []
    )


def test_a_quote_attributed_in_the_next_sentence(pack):
    text = (
        "Foreign Minister Sergei Lavrov met his counterparts on Monday. "
        "“Terrorist groups are regrouping in northern Afghanistan.” "
        "Lavrov said this at a briefing in Moscow."
    )
    (st,) = [s for s in pack.extract("d", text) if s["type"] == "threat_claim"]
    assert st["args"]["speaker"]["text"] == "Sergei Lavrov"
    assert st["args"]["speaker"]["via"]["text"] == "Lavrov"
