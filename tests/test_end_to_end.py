"""The LANGUAGE.md section 1 example, end to end."""

from __future__ import annotations

THREATS = """
define WARN = ~warn | ~caution | issued a warning | raised alarms

entity THREAT:
    (international | ~extremist | ~terrorist | ~militant | and | ,){0,4}
    (~group | ~organization | ~network | terrorism | extremism | drug trafficking)

rule warn_of_threat priority 10:
    speaker:(ORG) ...{0,8} WARN ...{0,6} (of | about | over | that) ...{0,6}
    threat:THREAT ...{0,4} (from | in) source:PLACE
    => warn(speaker, threat, source)

rule headline: ORG warns of THREAT from PLACE
"""


def test_warn_rule_emits_statement_with_offsets(book):
    b = book(THREATS)
    text = "The CSTO warned of international terrorist groups from Afghanistan."
    (st,) = [s for s in b.extract("d1", text) if s["type"] == "warn"]
    assert st["rule"]["name"] == "warn_of_threat"
    assert st["args"]["speaker"]["canonical"] == "Collective Security Treaty Organization"
    assert st["args"]["threat"]["text"] == "international terrorist groups"
    assert st["args"]["source"]["text"] == "Afghanistan"
    for arg in st["args"].values():
        assert text[arg["start"] : arg["end"]] == arg["text"]
    assert text[st["sentence"]["start"] : st["sentence"]["end"]] == st["sentence"]["text"]


def test_rule_without_emit_is_named_after_rule_and_captures_types(book):
    b = book(THREATS)
    got = b.extract("d", "CSTO warns of terrorist groups from Afghanistan")
    heads = [s for s in got if s["type"] == "headline"]
    assert len(heads) == 1
    assert set(heads[0]["args"]) == {"org", "threat", "place"}
    assert heads[0]["args"]["place"]["canonical"] == "Afghanistan"


def test_no_statement_when_words_missing(book):
    b = book(THREATS)
    assert b.extract("d", "The CSTO met in Afghanistan to discuss trade.") == []


def test_overridden_matches_name_their_winner(book):
    b = book(
        "rule low priority 1 group g: ORG warned\nrule high priority 5 group g: The ORG warned\n"
    )
    lost: list = []
    (st,) = b.extract("d", "The CSTO warned.", lost)
    assert st["rule"]["name"] == "high"
    assert [(x["rule"]["name"], x["overridden_by"]) for x in lost] == [("low", "high")]


def test_date_is_a_builtin_type_and_statements_say_when(book):
    from datetime import date

    b = book("rule warned: ORG ~warn on DATE\nrule any: ORG ~warn\n")
    got = b.extract("d", "The CSTO warned on Thursday.", doc_date=date(2024, 2, 15))
    (st,) = [s for s in got if s["type"] == "warned"]
    assert st["args"]["date"]["value"] == "2024-02-15" and st["args"]["date"]["attrs"] == {"grain": "day"}
    assert st["when"] == {"value": "2024-02-15", "grain": "day", "text": "Thursday", "start": 19, "end": 27}
    assert list(st) == ["doc", "type", "polarity", "when", "args", "span", "sentence", "rule"]
    (undated,) = [s for s in b.extract("d", "The CSTO warned.") if s["type"] == "any"]
    assert "when" not in undated
