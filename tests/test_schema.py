"""Declarations (`declare` in DSL files, `declare:` in YAML rule files): what they make, and
their diagnostics, located at the culprit as every rule error is (ie_dsl/language/schema.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ie_dsl import IEDslError, compile_rules
from ie_dsl.diagnostics import Diagnostic, render_full
from ie_dsl.language.parser import parse_file
from ie_dsl.language.schema import NOTHING, build_schema
from ie_dsl.pipeline import diagnose

ATTRIBUTION = """declare attribution:
    person = EXEC
    organizations = FIRM, BANK
    states = PLACE[kind="country"], PLACE[capital=national]
    person_role = spokesperson
    pronouns = She, he
"""


def _schema(text: str) -> tuple[object, list[Diagnostic]]:
    return build_schema([parse_file(text, "main.ie")])


def _problems(tmp_path: Path, text: str, yaml: str | None = None) -> list[Diagnostic]:
    (tmp_path / "main.ie").write_text(text, encoding="utf-8")
    if yaml is not None:
        (tmp_path / "decl.yaml").write_text(yaml, encoding="utf-8")
    found, _sources = diagnose([tmp_path])
    return found


def _where(tmp_path: Path, d: Diagnostic) -> str:
    """The diagnostic as `iedsl check` shows it, paths relative to the rule directory."""
    _found, sources = diagnose([tmp_path])
    return render_full(d, sources).replace(str(tmp_path) + "/", "")


def test_nothing_declared_is_no_attribution_no_cues_and_dates_then_dedupe() -> None:
    schema, problems = _schema("rule r: a\n")
    assert schema == NOTHING and problems == []
    assert NOTHING.passes == ("dates", "dedupe") and NOTHING.cue_type is None
    assert NOTHING.attribution is None and NOTHING.claims is None and NOTHING.roles == ()


def test_a_declaration_is_read_into_the_schema() -> None:
    schema, problems = _schema(ATTRIBUTION + "declare roles: spokesperson, company\n")
    assert problems == []
    a = schema.attribution  # type: ignore[attr-defined]
    assert a.person == "EXEC" and a.organizations == ("FIRM", "BANK") and a.speaker == "spokesperson"
    # filters in their canonical form (as lowering names them), pronouns folded
    assert a.states == ('PLACE[kind="country"]', "PLACE[capital=national]")
    assert a.pronouns == {"she", "he"} and a.organization is None
    # a declared pass runs without `declare passes`, in the usual order
    assert schema.passes == ("attribution", "dates", "dedupe")  # type: ignore[attr-defined]
    assert schema.role_key("company") < schema.role_key("aaa")  # type: ignore[attr-defined]


def test_values_may_continue_on_the_next_lines() -> None:
    schema, problems = _schema("declare roles: a, b,\n    c\n")
    assert problems == [] and schema.roles == ("a", "b", "c")  # type: ignore[attr-defined]


def test_the_schema_survives_the_cache_and_pickling(tmp_path: Path) -> None:
    (tmp_path / "main.ie").write_text("declare cues:\n    type = hedge\nrule r: a => t()\n")
    book = compile_rules([tmp_path])
    back = pickle.loads(pickle.dumps(book))
    assert back.program.schema == book.program.schema and back.program.schema.cue_type == "hedge"


@pytest.mark.parametrize(
    ("text", "code", "message", "caret"),
    [
        ("declare pases: cues\n", "E230", "unknown declaration 'pases'", "pases: cues\n  |         ^^^^^"),
        (
            "declare cues:\n    type = hedge\n    scope = 6\n",
            "E231",
            "unknown key 'scope' in `declare cues`",
            "    scope = 6\n  |     ^^^^^",
        ),
        (
            "declare attribution:\n    person = EXEC, FIRM\n",
            "E231",
            "attribution person takes one value, not 2",
            "    person = EXEC, FIRM\n  |     ^^^^^^",
        ),
        (
            "declare attribution:\n    person = exec\n",
            "E231",
            "'exec' is not a type name",
            "    person = exec\n  |              ^^^^",
        ),
        (
            "declare attribution:\n    person = EXEC\n    person_role = SPEAKER\n",
            "E231",
            "'SPEAKER' is a type name, not a role",
            "    person_role = SPEAKER\n  |                   ^^^^^^^",
        ),
        (
            "declare attribution:\n    person_role = spokesperson\n",
            "E231",
            "`declare attribution` needs `person = ...`",
            "declare attribution:\n  |         ^^^^^^^^^^^",
        ),
        ("declare roles:\n    a = b\n", "E231", "`declare roles` is a list of names, not keys", "^^^^^"),
        ("declare cues: hedge\n", "E231", "`declare cues` takes `key = value` lines", "^^^^"),
        ("declare roles: a\ndeclare roles: b\n", "E232", "roles is declared twice", "at main.ie:1:9"),
        ("declare passes: dates, dedupe, dates\n", "E233", "pass dates is listed twice", "^^^^^"),
        ("declare passes: dedupe, dates\n", "E233", "dedupe must be the last pass", "^^^^^^"),
        ("declare passes: cues\n", "E233", "pass cues needs `declare cues`", "^^^^"),
        ("declare passes: dates, ranking\n", "E233", "unknown pass 'ranking'", "^^^^^^^"),
    ],
)
def test_bad_declarations_are_located(tmp_path: Path, text: str, code: str, message: str, caret: str) -> None:
    (d,) = [d for d in _problems(tmp_path, text) if d.severity == "error"]
    assert (d.code, d.message) == (code, message)
    shown = _where(tmp_path, d)
    assert f"error[{code}]: {message}\n --> main.ie:" in shown and caret in shown and "= hint:" in shown
    with pytest.raises(IEDslError):
        compile_rules([tmp_path])


def test_a_malformed_filter_is_an_e115_at_its_place(tmp_path: Path) -> None:
    text = "declare attribution:\n    person = EXEC\n    states = PLACE[kind=]\n"
    (d,) = [d for d in _problems(tmp_path, text) if d.severity == "error"]
    assert d.code == "E115" and "^" in _where(tmp_path, d) and ":3:" in _where(tmp_path, d)


def test_a_declaration_no_pass_reads_is_a_warning(tmp_path: Path) -> None:
    found = _problems(tmp_path, "declare passes: dates\ndeclare cues:\n    type = hedge\nrule r: a\n")
    assert [(d.code, d.severity) for d in found] == [("W230", "warning")]
    found = _problems(tmp_path, "declare modality:\n    refuse = refused\nrule r: a\n")
    assert [(d.code, d.message) for d in found] == [
        ("W230", "`declare modality` does nothing without `declare cues`")
    ]


def test_yaml_declarations_and_their_problems(tmp_path: Path) -> None:
    ok = "declare:\n  roles: [company, target]\n  cues: {type: hedge, modalities: [stated, likely]}\n"
    (tmp_path / "decl.yaml").write_text(ok, encoding="utf-8")
    (tmp_path / "main.ie").write_text("rule r: a => t()\n", encoding="utf-8")
    schema = compile_rules([tmp_path]).program.schema
    assert schema.roles == ("company", "target") and schema.cues is not None
    assert schema.cues.modalities == ("stated", "likely") and schema.passes == ("cues", "dates", "dedupe")
    bad = "declare:\n  cues: {type: hedge, scope: 6}\n  roles: {a: b}\n  passes: [{x: 1}]\n"
    found = _problems(tmp_path, "rule r: a\n", bad)
    assert [(d.code, d.message) for d in found] == [
        ("E206", "a declared value is a name or a list of names"),
        ("E231", "unknown key 'scope' in `declare cues`"),
        ("E231", "`declare roles` is a list of names, not keys"),
    ]
    assert all(d.span is not None and d.span.file.endswith("decl.yaml") for d in found)
    found = _problems(tmp_path, "rule r: a\n", "declare: [cues]\n")
    assert [d.code for d in found] == ["E206"]


def test_declare_inside_a_pattern_is_a_word(tmp_path: Path) -> None:
    yaml = "rules:\n  - name: r\n    pattern: |\n      a\n      declare roles: x\n"
    (tmp_path / "r.yaml").write_text(yaml, encoding="utf-8")
    book = compile_rules([tmp_path])
    assert book.program.schema == NOTHING and [cr.rule.name for cr in book.program.statements] == ["r"]


def test_a_declared_type_nothing_makes_is_a_warning_and_counts_as_used(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text("type: EXEC\nentries: [Jane Roe]\n", encoding="utf-8")
    (tmp_path / "posts.yaml").write_text("type: POST\nentries: [chief executive]\n", encoding="utf-8")
    text = 'use "people.yaml"\nuse "posts.yaml"\nrule r: EXEC\n'
    text += "declare attribution:\n    person = EXEC\n    title = POST\n    organizations = FIRMS\n"
    found = _problems(tmp_path, text)
    # POST is used by the declarations (no W202); FIRMS is made by nothing
    assert [(d.code, d.message) for d in found] == [
        ("W231", "nothing makes FIRMS: the passes will find none")
    ]
    assert ":7:21" in _where(tmp_path, found[0])

