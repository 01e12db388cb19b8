"""Name resolution, macro scope and arity, the entity cascade and its cycles."""

from __future__ import annotations

import pytest

from ie_dsl import compile_rules
from ie_dsl.diagnostics import IEDslError
from ie_dsl.pipeline import compile_text

ORGS = {"orgs.yaml": "type: ORG\nentries: [CSTO, NATO]\n"}


def diags(rules: str, files: dict[str, str] | None = None) -> list:
    """The errors of main.ie (`rules`) beside the ORG lexicon and `files`, compiled from text."""
    with pytest.raises(IEDslError) as info:
        compile_text(rules, {**ORGS, **(files or {})})
    return [d for d in info.value.diagnostics if d.severity == "error"]


def test_unknown_type_suggests_close_name():
    (d,) = diags("rule r: ORGS said\n")
    assert d.code == "E210" and "ORG" in d.hint


def test_a_macro_in_brackets_is_named_as_a_macro_not_suggested_as_itself():
    (d,) = diags("define THING = (a | b)\nrule r: x [THING]\n")
    assert d.code == "E210" and d.message == "THING is a macro: only a type can be tested in [ ]"
    assert d.hint == "write it without brackets: THING"
    assert d.span.start == len("define THING = (a | b)\nrule r: x [")


def test_all_caps_word_hint_says_quote_it():
    (d,) = diags("rule r: ORG said ZZZQ\n")
    assert d.code == "E210" and '"ZZZQ"' in d.hint


def test_unknown_capture_in_emit():
    (d,) = diags("rule r: speaker:ORG said => warn(speakr)\n")
    assert d.code == "E218" and "speaker" in d.hint


def test_duplicate_rule_names():
    (d,) = diags("rule r: ORG said\nrule r: ORG warned\n")
    assert d.code == "E213"


def test_macro_arity_and_recursion():
    got = diags("define NEAR(X, Y) = X ...{0,2} Y\ndefine LOOP = a LOOP\nrule r: NEAR(ORG) said\n")
    assert {d.code for d in got} == {"E211", "E212"}


def test_entity_cycle_names_its_rules():
    (d,) = diags("entity A: B x\nentity B: A y\nrule r: A\n")
    assert d.code == "E215" and "A -> B -> A" in d.message
    assert "main.ie:1)" in d.hint and "main.ie:2)" in d.hint


def test_entity_cascade_runs_in_dependency_order():
    # written in reverse order: ALLIANCE uses BLOC, which uses ORG
    book = compile_text("entity ALLIANCE: BLOC and BLOC\nentity BLOC: the? ORG\nrule r: ALLIANCE met\n", ORGS)
    (st,) = book.extract("d", "The CSTO and NATO met.")
    assert st["args"]["alliance"]["text"] == "The CSTO and NATO"


def test_macros_are_file_scoped():
    (d,) = diags("rule r: ORG HIDDEN\n", {"other.ie": "define HIDDEN = secret\n"})
    assert d.code == "E210"


def test_macros_visible_through_use():
    book = compile_text(
        'use "common.ie"\nrule r: ORG SAY\n', {**ORGS, "common.ie": "define SAY = ~say | ~state\n"}
    )
    assert [s["type"] for s in book.extract("d", "CSTO stated it.")] == ["r"]


def test_use_cannot_leave_rule_root(tmp_path):
    root = tmp_path / "rules"
    root.mkdir()
    (tmp_path / "outside.ie").write_text("define X = x\n")
    (root / "main.ie").write_text('use "../outside.ie"\nrule r: a\n')
    with pytest.raises(IEDslError) as info:
        compile_rules([root])
    assert info.value.diagnostics[0].code == "E204"


def test_every_error_is_reported_not_just_the_first():
    got = diags("rule r: ORGS x\nrule s: NATOO y\n", {"b.ie": "rule b: (\n"})
    assert [d.code for d in got] == ["E101", "E210", "E210"]
    assert "ORG" in got[1].hint and "NATO" in got[2].hint


@pytest.mark.parametrize(
    "pattern, column",
    [
        ("a? b*", 9),
        ("(a)*", 9),
        ("...{0,3}", 9),
        ("(a? b?)+", 9),
        ("^ a? $", 9),
        ("OPT OPT", 9),  # through a macro
        ("x:T?", 9),  # through an entity rule's annotation, made optional
    ],
)
def test_a_pattern_that_can_match_nothing_is_a_warning(pattern, column):
    # W225 (it was the error E225): the rule is accepted and only its non-empty matches count
    book = compile_text(f"define OPT = b?\nentity T: c\nrule r: {pattern}\n")
    (w,) = [w for w in book.warnings if w.code != "W201"]  # OPT is used by one case only
    assert (w.code, w.severity, w.message) == ("W225", "warning", "this pattern can match zero tokens")
    assert book.sources[w.span.file].line_col(w.span.start) == (3, column)
    assert w.hint.startswith("only non-empty matches are reported")
    for st in book.extract("d", "a b c. b b a. x"):  # nothing empty is reported
        assert st["span"]["end"] > st["span"]["start"]


@pytest.mark.parametrize("pattern", ["(?= a)", "^", "^ $", "(?<! a) (?= b)", "a{0}"])
def test_a_pattern_that_never_matches_a_token_says_so(pattern):
    book = compile_text(f"rule r: {pattern}\n")
    (w,) = book.warnings
    assert w.code == "W225" and "never reports anything" in w.message
    assert book.extract("d", "a b. a") == []


def test_w225_comes_with_errors_and_from_check(tmp_path):
    from ie_dsl.pipeline import diagnose

    with pytest.raises(IEDslError) as info:  # E218: found by the checks, before lowering
        compile_text("rule r: a?\nrule s: b => w(nope)\n")
    assert sorted(d.code for d in info.value.diagnostics) == ["E218"]
    # `iedsl check` lowers what it can all the same, so the warnings of lowering come too
    cases = (("rule r: a?\nrule s: NOPE\n", "E210"), ("rule r: a?\nrule s: b => w(nope)\n", "E218"))
    for rules, code in cases:
        (tmp_path / "main.ie").write_text(rules)
        found, _sources = diagnose([tmp_path])
        assert sorted((d.code, d.severity) for d in found) == [(code, "error"), ("W225", "warning")]


@pytest.mark.parametrize(
    "rules, code",
    [
        ("rule r scope sentence 3: ORG said\n", "E217"),
        ("entity T: ORG said => foo(org)\nrule r: T\n", "E219"),
    ],
)
def test_options_that_would_be_ignored_are_errors(rules, code):
    assert [d.code for d in diags(rules)] == [code]


@pytest.mark.parametrize(
    "yaml_text, fragment",
    [
        ("rules:\n  - name: r\n    priority: high\n    pattern: ORG said\n", "whole number"),
        ("rules:\n  name: r\n  pattern: ORG said\n", "must be a list"),
        ("define:\n  warn: ~warn\nrules: []\n", "UPPER-case"),
        ("define:\n  NEAR(X, y): X y\nrules: []\n", "UPPER-case"),
    ],
)
def test_yaml_rule_file_mistakes_are_located(yaml_text, fragment):
    got = diags("rule ok: ORG said\n", {"r.yaml": yaml_text})
    assert [d.code for d in got] == ["E206"] and fragment in got[0].message
    assert got[0].span is not None and got[0].span.file == "r.yaml"


def test_unused_defines_and_lexicons_are_warnings():
    unused = {"unused.yaml": "type: FRUIT\nentries: [apple]\n"}
    book = compile_text("define NEVER = x\nrule r: ORG said\n", {**ORGS, **unused})
    assert sorted((w.code, w.severity) for w in book.warnings) == [("W201", "warning"), ("W202", "warning")]


@pytest.mark.parametrize("order", [("rules", "shared"), ("shared", "rules")])
def test_every_given_path_is_a_root_whatever_the_order(tmp_path, order):
    (tmp_path / "shared").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "shared" / "common.ie").write_text("define SAY = ~say\n")
    (tmp_path / "rules" / "main.ie").write_text('use "../shared/common.ie"\nrule r: alpha SAY\n')
    book = compile_rules([tmp_path / name for name in order])
    assert [s["type"] for s in book.extract("d", "Alpha said.")] == ["r"]


def test_use_cycles_are_located_errors(tmp_path):
    (tmp_path / "a.ie").write_text('use "b.ie"\nrule a: alpha\n')
    (tmp_path / "b.ie").write_text('use "a.ie"\nrule b: beta\n')
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert d.code == "E207" and "a.ie -> b.ie -> a.ie" in d.message.replace(str(tmp_path) + "/", "")
    assert d.span is not None and d.span.file.endswith("b.ie")


def test_outside_the_root_only_when_allowed(tmp_path):
    root = tmp_path / "rules"
    root.mkdir()
    (tmp_path / "outside.ie").write_text("define SAY = ~say\n")
    (root / "link.ie").symlink_to(tmp_path / "outside.ie")  # a symbolic link does not help
    (root / "main.ie").write_text('use "link.ie"\nrule r: alpha SAY\n')
    with pytest.raises(IEDslError) as info:
        compile_rules([root])
    assert "E204" in {d.code for d in info.value.diagnostics}
    book = compile_rules([root], allow_outside_root=True)
    assert len(book.extract("d", "Alpha said.")) == 1


def test_size_and_count_limits(tmp_path, monkeypatch):
    import ie_dsl.language.loader as loader

    monkeypatch.setattr(loader, "MAX_RULES", 2)
    (tmp_path / "r.ie").write_text("rule a: x\nrule b: y\nrule c: z\n")
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    assert [d.code for d in info.value.diagnostics if d.severity == "error"] == ["E405"]
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 10)
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    assert "E402" in {d.code for d in info.value.diagnostics}


def _checked_errors(rules: str) -> list:
    """The errors of the checking stage alone (language.check_text: nothing lowered)."""
    from ie_dsl.language import check_text

    with pytest.raises(IEDslError) as info:
        check_text(rules, ORGS)
    return [
        (d.code, d.message, d.span.start, d.hint) for d in info.value.diagnostics if d.severity == "error"
    ]


def test_a_reserved_field_is_found_by_the_checking_stage():
    rules = 'rule r: ~warn of x:_ => warn(x, type="alert")\n'
    reserved = "reserved: args, doc, rule, sentence, span, type"
    assert _checked_errors(rules) == [("E220", "'type' is a reserved statement field", 32, reserved)]


def test_literals_that_are_not_one_token_are_found_by_the_checking_stage_with_other_errors():
    one = "a one-token test cannot hold it; match its tokens in sequence outside [ ] and !"
    rules = (
        "define M = [cross-border & lower]\n"
        'rule r: M NOPE M !~cross-border ""\n'
        'rule s: ~cross-border [!"a b"] !cap\n'
    )
    got = _checked_errors(rules)
    assert got == [
        ("E223", "'cross-border' is 3 tokens, not one", rules.index("cross"), one),  # once for two uses
        ("E210", "unknown type or macro NOPE", rules.index("NOPE"), got[1][3]),
        ("E223", "~cross-border is 3 tokens, not one", rules.index("~cross"), one),
        ("E223", "'' contains no token", rules.index('""'), None),
        (
            "E223",
            "'a b' is 2 tokens, not one",
            rules.index('"a b"'),
            one,
        ),  # ~cross-border alone and cap are fine
    ]
