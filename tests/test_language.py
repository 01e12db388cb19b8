"""Every "must work" example of ../shared/LANGUAGE.md, as written there."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ie_dsl import compile_rules
from ie_dsl.diagnostics import IEDslError
from ie_dsl.engine.lowering import lower
from ie_dsl.language.analysis import check
from ie_dsl.language.loader import load_rules

THREATS_IE = """\
# Statements about threats, for news on regional security.
use "lexicons/organizations.yaml"      # defines ORG
use "lexicons/places.yaml"             # defines PLACE
use "common.ie"                        # shared definitions (PERSON, SAY, ...)

define WARN = ~warn | ~caution | issued a warning | raised alarms

entity THREAT:
    (international | ~extremist | ~terrorist | ~militant | and | ,){0,4}
    (~group | ~organization | ~network | terrorism | extremism | drug trafficking)

rule warn_of_threat priority 10:
    speaker:(PERSON | ORG) ...{0,8} WARN ...{0,6} (of | about | over | that) ...{0,6}
    threat:THREAT ...{0,4} (from | in) source:PLACE
    => warn(speaker, threat, source)

rule headline: ORG warns of THREAT from PLACE
"""

WARN_YAML = """\
use: [lexicons/organizations.yaml, lexicons/places.yaml, common.ie]
define:
  WARN: "~warn | ~caution | issued a warning | raised alarms"
rules:
  - name: warn_of_threat
    priority: 10
    pattern: |
      speaker:(PERSON | ORG) ...{0,8} WARN ...{0,6} (of | about | over | that) ...{0,6}
      threat:THREAT ...{0,4} (from | in) source:PLACE
    emit: {type: warn, args: {speaker: speaker, threat: threat, source: source}}
    examples:
      - text: "The CSTO warned of terrorist groups from Afghanistan."
        expect: [{type: warn, args: {speaker: CSTO, threat: terrorist groups, source: Afghanistan}}]
    counterexamples:
      - "The CSTO denied that it had ever warned anyone."
"""

ORGS_YAML = """\
type: ORG
case: smart     # insensitive | sensitive | smart: all-caps entries such as CSTO match exactly
entries:
  - name: Collective Security Treaty Organization
    aliases: [CSTO, ODKB]
    attrs: {kind: military alliance}
  - Shanghai Cooperation Organisation
"""

COMMON_IE = "entity PERSON: [FIRSTNAME] [cap]\n"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "organizations.yaml").write_text(ORGS_YAML)
    (tmp_path / "lexicons" / "places.yaml").write_text("type: PLACE\nentries: [Afghanistan, Central Asia]\n")
    (tmp_path / "lexicons" / "names.yaml").write_text("type: FIRSTNAME\ncase: sensitive\nentries: [Andrey]\n")
    (tmp_path / "common.ie").write_text(COMMON_IE)
    (tmp_path / "threats.ie").write_text(THREATS_IE)
    return tmp_path


def test_section1_threats_ie(pack):
    book = compile_rules([pack])
    text = (
        "Andrey Serdyukov warned of international extremist and terrorist groups from Afghanistan. "
        "CSTO warns of terrorist groups from Afghanistan"
    )
    got = book.extract("d", text)
    warn = [s for s in got if s["type"] == "warn"]
    assert [w["args"]["speaker"]["text"] for w in warn] == ["Andrey Serdyukov", "CSTO"]
    assert warn[0]["args"]["threat"]["text"] == "international extremist and terrorist groups"
    # a rule with no `=>` emits its own name, each type captured under its lower-cased name
    (head,) = [s for s in got if s["type"] == "headline"]
    assert set(head["args"]) == {"org", "threat", "place"}


@pytest.mark.parametrize("form", ["warn", "warns", "warned", "warning"])
def test_lemma_matches_every_inflection(pack, form):
    book = compile_rules([pack])
    got = book.extract("d", f"CSTO {form} of terrorist groups from Afghanistan")
    assert any(s["rule"]["name"] == "warn_of_threat" for s in got)


def test_bare_word_is_case_insensitive_quoted_is_exact(tmp_path):
    (tmp_path / "r.ie").write_text('rule a: warns "CSTO"\nrule b: "issued a warning"\n')
    book = compile_rules([tmp_path])
    assert [s["rule"]["name"] for s in book.extract("d", "WARNS CSTO. warns csto.")] == ["a"]
    assert [s["rule"]["name"] for s in book.extract("d", "It issued a warning. It Issued a warning.")] == [
        "b"
    ]


def test_gap_and_any_token(tmp_path):
    (tmp_path / "r.ie").write_text("rule gap: alpha ...{0,2} omega\nrule one: alpha _ omega\n")
    book = compile_rules([tmp_path])
    assert {s["rule"]["name"] for s in book.extract("d", "alpha x omega")} == {"gap", "one"}
    assert {s["rule"]["name"] for s in book.extract("d", "alpha x y omega")} == {"gap"}
    assert book.extract("d", "alpha x y z omega") == []


def test_entity_cycle_is_an_error_naming_its_rules(tmp_path):
    (tmp_path / "r.ie").write_text("entity A: B a\nentity B: A b\nrule r: A\n")
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    assert "A -> B -> A" in info.value.diagnostics[0].message


def test_constant_field(tmp_path):
    (tmp_path / "o.yaml").write_text(ORGS_YAML)
    (tmp_path / "t.ie").write_text(
        "entity THREAT: terrorist groups\n"
        'rule d: ORG denied THREAT\n    => deny(org, threat, polarity="negative")\n'
    )
    (st,) = compile_rules([tmp_path]).extract("d", "The CSTO denied terrorist groups.")
    assert st["type"] == "deny" and st["polarity"] == "negative" and set(st["args"]) == {"org", "threat"}


def test_section3_yaml_compiles_to_the_same_rule(pack):
    (pack / "threats.ie").write_text(THREATS_IE.split("rule warn_of_threat")[0])  # keep THREAT
    (pack / "warn.yaml").write_text(WARN_YAML)
    from_yaml = _lowered(pack, "warn_of_threat")
    (pack / "warn.yaml").unlink()
    (pack / "threats.ie").write_text(THREATS_IE)
    from_dsl = _lowered(pack, "warn_of_threat")
    assert from_yaml == from_dsl


def _lowered(path: Path, name: str):
    _strata, statements = lower(check(load_rules([path])))
    (rule,) = [r for r in statements if r.name == name]
    return replace(rule, file="", line=0, order=0, span=None, elements=tuple(t for _s, t in rule.elements))


def test_section3_yaml_pattern_error_at_its_real_line_and_column(pack):
    (pack / "bad.yaml").write_text(
        WARN_YAML.replace("threat:THREAT ...{0,4}", "threat:THREAT ...{0,4} [cap &")
    )
    with pytest.raises(IEDslError) as info:
        compile_rules([pack])
    (d,) = info.value.diagnostics
    text = (pack / "bad.yaml").read_text()
    line = text[: d.span.start].count("\n") + 1
    line_start = text.rfind("\n", 0, d.span.start) + 1
    assert line == 9  # the pattern's second line, in file coordinates
    assert text.index("[cap &", line_start) < d.span.start


def test_section4_lexicon(tmp_path):
    (tmp_path / "o.yaml").write_text(ORGS_YAML + "  - name: Militant group\n    inflect: true\n")
    (tmp_path / "r.ie").write_text("rule r: ORG\n")
    book = compile_rules([tmp_path])
    got = book.extract(
        "d", "ODKB met the shanghai cooperation organisation. Csto did not. Militant groups too."
    )
    assert [(s["args"]["org"]["text"], s["args"]["org"]["canonical"]) for s in got] == [
        ("ODKB", "Collective Security Treaty Organization"),
        ("shanghai cooperation organisation", "Shanghai Cooperation Organisation"),
        ("Militant groups", "Militant group"),
    ]
    assert got[0]["args"]["org"]["attrs"] == {"kind": "military alliance"}


def test_section5_statement_shape(pack):
    text = "Andrey Serdyukov warned of terrorist groups from Afghanistan."
    (st,) = [s for s in compile_rules([pack]).extract("seeds/x.txt", text) if s["type"] == "warn"]
    assert list(st) == ["doc", "type", "polarity", "args", "span", "sentence", "rule"]
    assert st["doc"] == "seeds/x.txt" and st["polarity"] == "positive"
    assert st["args"]["speaker"] == {"text": "Andrey Serdyukov", "type": "PERSON", "start": 0, "end": 16}
    assert st["args"]["source"]["canonical"] == "Afghanistan"
    assert st["span"] == {"start": 0, "end": 60}
    assert st["sentence"] == {"text": text, "start": 0, "end": len(text)}
    assert st["rule"]["name"] == "warn_of_threat" and st["rule"]["line"] == 12
    assert st["rule"]["file"].endswith("threats.ie")


def test_section2_number_value(tmp_path):
    (tmp_path / "r.ie").write_text("rule amassed: up to NUMBER members\n")
    book = compile_rules([tmp_path])
    (a,) = book.extract("d", "IS-KP had amassed up to 6,500 members.")
    (b,) = book.extract("d", "They had up to ten members.")
    assert a["args"]["number"]["value"] == 6500 and b["args"]["number"]["value"] == 10
