"""The stages called one by one from text, no file written (issue 14, point 3): each gives
what the same text gives read from a directory."""

from __future__ import annotations

import pickle

import pytest

from ie_dsl import compile_rules
from ie_dsl.diagnostics import IEDslError
from ie_dsl.engine import Lowered, Program, compile_checked, compile_program, lower
from ie_dsl.language import CheckedRules, RuleSet, check, check_text, load_texts, parse_text
from ie_dsl.pipeline import compile_text

ORGS = "type: ORG\nentries: [CSTO, NATO]\n"
RULES = (
    'use "orgs.yaml"\ndefine W = ~warn\n'
    "rule r: who:ORG W of x:ORG => warn(who=who, of=x)\n"
    "entity E: ORG bloc\n"
)


def _on_disk(tmp_path, files: dict[str, str]) -> list:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    shown = f"{tmp_path}/"  # the directory's files are named by their absolute paths
    return [
        (d.code, d.message.replace(shown, ""), d.span.start if d.span else None, d.hint.replace(shown, ""))
        for d in info.value.diagnostics
    ]


def _in_memory(files: dict[str, str]) -> list:
    with pytest.raises(IEDslError) as info:
        compile_text(files.pop("main.ie"), files)
    return [(d.code, d.message, d.span.start if d.span else None, d.hint) for d in info.value.diagnostics]


def test_parse_text_gives_the_ast_with_spans_in_the_named_file():
    parsed = parse_text("rule r: a b\n", "x.ie")
    (rule,) = parsed.rules
    assert (parsed.path, rule.name, rule.span.file, rule.span.start) == ("x.ie", "r", "x.ie", 5)
    with pytest.raises(IEDslError) as info:
        parse_text("rule r: (\n")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.file, d.span.start) == ("E101", "<text>", 9)


def test_load_texts_reads_rules_and_lexicons_in_name_order():
    rs = load_texts({"main.ie": RULES, "orgs.yaml": ORGS})
    assert isinstance(rs, RuleSet)
    assert [f.path for f in rs.files] == ["main.ie"] and rs.lexicons[0].type == "ORG"
    assert rs.imports == {"main.ie": ["orgs.yaml"]} and rs.read == [] and not rs.errors
    checked = check(rs)
    assert isinstance(checked, CheckedRules) and "ORG" in checked.types and "E" in checked.types


def test_load_texts_refuses_a_name_that_is_no_rule_file():
    for name in ("notes.txt", "../main.ie", "."):
        with pytest.raises(ValueError, match="not a rule file or lexicon name"):
            load_texts({name: "rule r: a\n"})


def test_check_text_is_load_texts_then_check():
    checked = check_text(RULES, {"orgs.yaml": ORGS})
    assert [cr.rule.name for cr in checked.statements] == ["r"]
    assert [[cr.rule.name for cr in s] for s in checked.strata] == [["E"]]


@pytest.mark.parametrize(
    "files",
    [
        {"main.ie": "rule r: ORGS said\n", "orgs.yaml": ORGS},  # E210 with a hint
        {"main.ie": 'use "../x.ie"\nrule r: a\n'},  # E204
        {"main.ie": 'use "sub/b.ie"\nrule r: B\n', "sub/b.ie": 'use "../main.ie"\ndefine B = b\n'},  # E207
        {"main.ie": "rule r: a\nrule r: b\n"},  # E213
        {"main.ie": "rule r: (a\n", "orgs.yaml": "type: ORG\nentries: [\n"},  # E101, E120
        {"main.ie": "rule r: x:ORG => warn(y)\n", "orgs.yaml": ORGS},  # E218, from the capture names
    ],
)
def test_the_same_problems_as_from_a_directory(tmp_path, files):
    assert _in_memory(dict(files)) == _on_disk(tmp_path, files)


def test_a_used_file_not_given_is_looked_for_by_its_name():
    with pytest.raises(IEDslError) as info:
        check_text('use "lex/places.yaml"\nrule r: a\n')
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.hint) == (
        "E205",
        "used file not found: lex/places.yaml",
        "looked for lex/places.yaml",
    )


def test_the_pack_can_be_used_from_text():
    checked = check_text('use "@pack/lexicons/places.yaml"\nrule r: PLACE\n')
    assert "PLACE" in checked.types


def test_lower_and_compile_one_by_one():
    checked = check_text(RULES, {"orgs.yaml": ORGS})
    lowered = lower(checked)
    assert isinstance(lowered, Lowered) and [r.name for r in lowered.statements] == ["r"]
    program = compile_program(*lowered, checked.lexicons, checked.types, checked.schema)
    assert isinstance(program, Program) and [cr.rule.name for cr in program.statements] == ["r"]
    assert [cr.rule.name for cr in compile_checked(checked).statements] == ["r"]


def test_compile_text_extracts_what_compile_rules_extracts(tmp_path):
    text = "NATO warns of CSTO. CSTO warned of NATO."
    book = compile_text(RULES, {"orgs.yaml": ORGS})
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "main.ie").write_text(RULES, encoding="utf-8")
    (tmp_path / "rules" / "orgs.yaml").write_text(ORGS, encoding="utf-8")
    from_disk = compile_rules([tmp_path / "rules"]).extract("d", text)
    for st in from_disk:
        st["rule"]["file"] = st["rule"]["file"].removeprefix("rules/")
    assert book.extract("d", text) == from_disk and len(from_disk) == 2
    assert book.extract("d", text)[0]["rule"] == {"name": "r", "file": "main.ie", "line": 3}
    assert pickle.loads(pickle.dumps(book)).extract("d", text) == from_disk
