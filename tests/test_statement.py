"""The typed statement (run/statement.py): built by `make`, changed by the passes through
`replace`, serialised by `to_dict`, the one place that orders a statement's keys."""

from __future__ import annotations

import dataclasses

import pytest

from ie_dsl.pipeline import compile_text
from ie_dsl.run.statement import Arg, RuleRef, SentenceRef, Span, Statement, Via, When, to_dict

LEXICON = {"o.yaml": "type: ORG\nentries:\n  - {name: Acme Corp, aliases: [Acme], attrs: {kind: firm}}\n"}
CUES = (
    'rule possibly mode all group cue: may => cue(modality="possible")\n'
    "declare cues:\n    type = cue\n    modalities = asserted, possible\n"
)


def full() -> Statement:
    return Statement(
        "d",
        "warn",
        "negative",
        (("confidence", "high"), ("source", "wire")),
        (
            ("speaker", Arg("he", "PERSON", "Al", (("k", "v"),), None, 0, 2, Via("he", 0, 2))),
            ("threat", Arg("x")),
        ),
        Span(0, 9),
        SentenceRef("he warned", 0, 9),
        RuleRef("r", "main.ie", 3),
        modality="possible",
        when=When("2024-02-15", (("grain", "day"),), "Thursday", 10, 18),
        overridden_by="other",
    )


def test_to_dict_alone_orders_the_keys_of_a_statement_and_of_its_parts():
    d = to_dict(full())
    assert list(d) == [
        "doc",
        "type",
        "polarity",
        "modality",
        "confidence",
        "source",
        "when",
        "args",
        "span",
        "sentence",
        "rule",
        "overridden_by",
    ]
    assert list(d["when"]) == ["value", "grain", "text", "start", "end"]
    assert list(d["args"]["speaker"]) == ["text", "type", "canonical", "attrs", "start", "end", "via"]
    assert d["args"]["threat"] == {"text": "x"}  # what an argument does not have, it does not say
    minimal = to_dict(dataclasses.replace(full(), modality=None, when=None, overridden_by=None, fields=()))
    assert list(minimal) == ["doc", "type", "polarity", "args", "span", "sentence", "rule"]


def test_a_statement_is_frozen_and_hashable():
    st = full()
    with pytest.raises(dataclasses.FrozenInstanceError):
        st.polarity = "positive"  # type: ignore[misc]
    assert len({st, dataclasses.replace(st)}) == 1
    assert st.field("source") == "wire" and st.field("nothing") is None
    assert st.arg("threat") == Arg("x") and st.arg("target") is None


def test_statements_are_the_typed_values_extract_serialises():
    rule = 'rule warns: org:ORG may warn of threat:storms => warn(confidence="high", org, threat)\n'
    book = compile_text(rule + CUES, LEXICON)
    text = "On 3 March 2024 Acme may warn of storms."
    typed = book.statements("d", text)
    assert [to_dict(st) for st in typed] == book.extract("d", text)
    (st,) = typed
    assert (st.modality, st.field("confidence"), st.when and st.when.value) == (
        "possible",
        "high",
        "2024-03-03",
    )
    org = st.arg("org")
    assert org is not None and (org.canonical, org.attrs, text[org.start : org.end]) == (
        "Acme Corp",
        (("kind", "firm"),),
        "Acme",
    )


def test_a_rules_own_modality_field_gives_way_to_the_cues_pass_and_moves_after_polarity():
    book = compile_text('rule warns: org:ORG warned => warn(modality="firm", org)\n' + CUES, LEXICON)
    (st,) = book.extract("d", "Acme warned. It may.")
    assert list(st)[:4] == ["doc", "type", "polarity", "modality"] and st["modality"] == "asserted"
    plain = compile_text('rule warns: org:ORG warned => warn(modality="firm", zeta="z", org)\n', LEXICON)
    (st,) = plain.extract("d", "Acme warned.")  # no cues declared: the field stays a field, by name
    assert list(st)[:5] == ["doc", "type", "polarity", "modality", "zeta"] and st["modality"] == "firm"


def test_overridden_gets_the_lost_matches_and_the_applied_cues_as_statements_of_either_kind():
    book = compile_text(
        "rule long priority 2: org:ORG warned => warn(org)\nrule short: warned => warn()\n" + CUES, LEXICON
    )
    lost: list[dict] = []
    typed_lost: list[Statement] = []
    text = "Acme warned. It may."
    assert [to_dict(st) for st in book.statements("d", text, typed_lost)] == book.extract("d", text, lost)
    assert [to_dict(st) for st in typed_lost] == lost
    assert [(st["rule"]["name"], st.get("overridden_by")) for st in lost] == [
        ("short", "long"),
        ("possibly", None),
    ]
