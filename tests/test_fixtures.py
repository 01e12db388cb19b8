"""Fixture files and rule examples as test cases (ie_dsl.tools.fixtures): loading with located
errors, matching semantics, the diff shown for failures, and --update rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from ie_dsl import compile_rules
from ie_dsl.diagnostics import render
from ie_dsl.source import SourceFile
from ie_dsl.tools.fixtures import (
    FixtureError,
    example_cases,
    load_fixture,
    parse_fixture,
    render_failure,
    result_json,
    run_case,
)
from ie_dsl.tools.fixtures.update import rewrite

LEXICONS = {
    "orgs.yaml": "type: ORG\nentries:\n  - {name: Collective Security Treaty Organization, aliases: [CSTO]}\n"
    "  - United Nations\n",
    "places.yaml": "type: PLACE\nentries: [Afghanistan, Tajikistan, Russia]\n",
}
RULES = """use "orgs.yaml"
use "places.yaml"
rule warn_from priority 10:
    speaker:ORG ~warn of ...{0,3} threat:(~attack | ~threat) (from source:PLACE)?
    => warn(speaker, threat, source)
rule praise:
    speaker:ORG ~praise target:PLACE
    => praise(speaker, target)
"""
TEXT = "The CSTO warned of attacks from Afghanistan."


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    for name, body in LEXICONS.items():
        (d / name).write_text(body, encoding="utf-8")
    (d / "main.ie").write_text(RULES, encoding="utf-8")
    return d


@pytest.fixture
def book(rules_dir: Path):
    return compile_rules([rules_dir])


def fixture(tmp_path: Path, body: str, name: str = "f.yaml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return load_fixture(path)


def only_case(tmp_path: Path, body: str):
    return fixture(tmp_path, "cases:\n" + body).cases[0]


# -- loading -------------------------------------------------------------------------------


def test_a_case_reads_text_expectations_and_flags(tmp_path):
    (tmp_path / "rules").mkdir()
    fx = fixture(
        tmp_path,
        "rules: rules\npartial: true\ncases:\n"
        "  - name: one\n    text: hello\n    complete: true\n"
        "    expect:\n"
        "      - {type: warn, polarity: negative, rule: r, args: {a: x, b: ~, c: {type: ORG}}}\n",
    )
    (case,) = fx.cases
    assert fx.rules == (str(tmp_path / "rules"),)
    assert (case.name, case.line, case.texts, case.complete) == ("one", 4, ("hello",), True)
    (exp,) = case.expect
    assert (exp.type, exp.polarity, exp.rule, exp.partial) == ("warn", "negative", "r", True)
    assert exp.args == (("a", "x"), ("b", None), ("c", (("type", "ORG"),)))


def test_a_document_case_reads_the_file_beside_the_fixture(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Body of the document.", encoding="utf-8")
    case = only_case(tmp_path, "  - name: d\n    document: docs/a.txt\n    expect: []\n")
    assert case.texts == ("Body of the document.",)
    assert case.complete  # an empty expect list means "nothing here"


@pytest.mark.parametrize(
    "body, code, line, col",
    [
        ("cases:\n  - name: a\n    txt: x\n", "E602", 3, 10),
        ("cases:\n  - name: a\n    text: x\n    expect:\n      - args: {a: b}\n", "E606", 5, 9),
        ("cases:\n  - name: a\n    text: x\n    expect: {type: w}\n", "E606", 4, 13),
        ("cases:\n  - name: a\n    text: x\n    partial: sometimes\n", "E607", 4, 14),
        ("cases:\n  - name: a\n    text: x\n  - name: a\n    text: y\n", "E603", 4, 5),
        ("cases:\n  - text: x\n", "E603", 2, 5),
        ("cases:\n  - name: a\n    text: x\n    nothing: [y]\n", "E604", 2, 5),
        ("cases:\n  - name: a\n    document: nowhere.txt\n", "E605", 3, 15),
        ("rules: ../missing\ncases: []\n", "E608", 1, 8),
        ("cases: {a: 1}\n", "E601", 1, 8),
        ("cases:\n  - name: a\n    text: x\n    expect:\n      - {type: w, args: {a: yes}}\n", "E606", 5, 29),
        ("cases:\n  - name: a\n    text: [x\n", "E120", 4, 1),
    ],
)
def test_malformed_fixtures_are_located(tmp_path, body, code, line, col):
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        load_fixture(path)
    diag = info.value.diagnostics[0]
    assert diag.code == code
    assert info.value.sources[str(path)].line_col(diag.span.start) == (line, col)
    assert f"{path}:{line}:{col}" in render([diag], info.value.sources)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    with pytest.raises(FixtureError) as info:
        fixture(tmp_path, "cases:\n  - name: a\n    txt: x\n  - name: b\n    text: y\n    complete: 1\n")
    assert [d.code for d in info.value.diagnostics] == ["E602", "E604", "E607"]


def test_unknown_keys_suggest_the_near_one(tmp_path):
    with pytest.raises(FixtureError) as info:
        only_case(tmp_path, "  - name: a\n    text: x\n    expect:\n      - {type: w, polarty: negative}\n")
    assert "did you mean `polarity`" in info.value.diagnostics[0].hint


# -- matching ------------------------------------------------------------------------------


def run(book, tmp_path, body):
    return run_case(book, only_case(tmp_path, body))


CSTO_WARN = "{type: warn, args: {speaker: CSTO, threat: attacks, source: Afghanistan}}"


def test_exact_expectation_by_text_passes(book, tmp_path):
    assert run(book, tmp_path, f"  - name: a\n    text: {TEXT}\n    expect: [{CSTO_WARN}]\n").passed


def test_canonical_name_matches_too(book, tmp_path):
    args = "speaker: Collective Security Treaty Organization, threat: attacks, source: Afghanistan"
    body = "{type: warn, args: {" + args + "}}"
    assert run(book, tmp_path, f"  - name: a\n    text: {TEXT}\n    expect: [{body}]\n").passed


def test_missing_args_fail_unless_partial(book, tmp_path):
    exp = "[{type: warn, args: {threat: attacks}}]"
    strict = run(book, tmp_path, f"  - name: a\n    text: {TEXT}\n    expect: {exp}\n")
    assert not strict.passed
    assert ("speaker", "nothing", '"CSTO" (Collective Security Treaty Organization)') in strict.missing[
        0
    ].differences
    loose = run(book, tmp_path, f"  - name: a\n    text: {TEXT}\n    partial: true\n    expect: {exp}\n")
    assert loose.passed


def test_a_null_argument_must_be_absent(book, tmp_path):
    body = (
        "  - name: a\n    text: The CSTO warned of attacks.\n    partial: true\n"
        "    expect: [{type: warn, args: {source: ~}}]\n"
    )
    assert run(book, tmp_path, body).passed
    body = body.replace("The CSTO warned of attacks.", TEXT)
    assert not run(book, tmp_path, body).passed


def test_argument_fields_and_polarity_and_rule(book, tmp_path):
    args = "speaker: {type: ORG, text: CSTO}, threat: attacks, source: Afghanistan"
    ok = "{type: warn, polarity: positive, rule: warn_from, args: {" + args + "}}"
    assert run(book, tmp_path, f"  - name: a\n    text: {TEXT}\n    expect: [{ok}]\n").passed
    for right, wrong in (
        ("polarity: positive", "polarity: negative"),
        ("rule: warn_from", "rule: praise"),
        ("type: ORG", "type: PLACE"),
    ):
        bad = ok.replace(right, wrong)
        assert not run(book, tmp_path, f"  - name: b\n    text: {TEXT}\n    expect: [{bad}]\n").passed


def test_matching_is_one_to_one_and_order_independent(book, tmp_path):
    text = "The CSTO warned of attacks from Russia. The CSTO warned of threats from Afghanistan."
    exp = "[{type: warn, args: {source: Afghanistan}}, {type: warn, args: {source: Russia}}]"
    base = f"  - name: a\n    text: {text}\n    partial: true\n    complete: true\n    expect: "
    assert run(book, tmp_path, base + exp + "\n").passed
    # two expectations that both fit one statement need two statements
    twice = "[{type: warn, args: {source: Russia}}, {type: warn, args: {source: Russia}}]"
    result = run(book, tmp_path, base + twice + "\n")
    assert len(result.missing) == 1 and not result.passed


def test_a_partial_expectation_never_steals_the_only_fit_of_another(book, tmp_path):
    text = "The CSTO warned of attacks from Russia. The CSTO warned of threats from Afghanistan."
    exp = "[{type: warn, args: {}}, {type: warn, args: {source: Russia}}]"
    assert run(
        book, tmp_path, f"  - name: a\n    text: {text}\n    partial: true\n    expect: {exp}\n"
    ).passed


def test_extra_statements_fail_only_complete_cases(book, tmp_path):
    text = "The CSTO warned of attacks from Russia. The United Nations praised Tajikistan."
    base = f"  - name: a\n    text: {text}\n    partial: true\n"
    exp = "    expect: [{type: warn, args: {source: Russia}}]\n"
    assert run(book, tmp_path, base + exp).passed
    result = run(book, tmp_path, base + "    complete: true\n" + exp)
    assert not result.passed
    assert [st["type"] for st in result.extra] == ["praise"]


def test_nothing_and_empty_expect_demand_silence(book, tmp_path):
    quiet = "  - name: a\n    nothing:\n      - The CSTO met in Russia.\n      - It rained.\n"
    assert run(book, tmp_path, quiet).passed
    loud = "  - name: a\n    nothing:\n      - The CSTO met in Russia.\n      - " + TEXT + "\n"
    result = run(book, tmp_path, loud)
    assert [st["sentence"]["text"] for st in result.extra] == [TEXT]
    assert not run(book, tmp_path, f"  - name: b\n    text: {TEXT}\n    expect: []\n").passed


def test_a_case_without_expect_fails_until_written(book, tmp_path):
    result = run(book, tmp_path, f"  - name: a\n    text: {TEXT}\n")
    assert not result.passed and "--update" in result.message


# -- the diff ------------------------------------------------------------------------------


def test_the_diff_shows_missing_nearest_per_argument_and_extra(book, tmp_path):
    text = "The CSTO warned of attacks from Russia. The United Nations praised Tajikistan."
    body = (
        f"  - name: wrong source\n    text: {text}\n    complete: true\n"
        "    expect: [{type: warn, args: {speaker: CSTO, threat: attacks, source: Afghanistan}}]\n"
    )
    out = render_failure(run(book, tmp_path, body))
    lines = out.splitlines()
    assert lines[0] == f"FAIL {tmp_path / 'f.yaml'}:2 wrong source"
    assert '  missing: warn(speaker="CSTO", threat="attacks", source="Afghanistan")' in lines
    assert any(
        ln.startswith("    nearest: warn(") and "by warn_from (" in ln and "main.ie:3)" in ln for ln in lines
    )
    assert '      source: expected "Afghanistan", got "Russia"' in lines
    extra = [ln for ln in lines if ln.startswith("  extra: ")]
    assert (
        len(extra) == 1 and "praise(" in extra[0] and "by praise (" in extra[0] and "main.ie:6)" in extra[0]
    )


def test_json_result_carries_the_structure(book, tmp_path):
    exp = "[{type: warn, args: {speaker: CSTO, threat: attacks}}]"
    body = f"  - name: a\n    text: {TEXT}\n    expect: {exp}\n"
    data = result_json(run(book, tmp_path, body))
    assert data["status"] == "failed" and data["line"] == 2
    (miss,) = data["missing"]
    assert miss["differences"] == [{"field": "source", "expected": "nothing", "got": '"Afghanistan"'}]
    assert miss["nearest"]["rule"]["name"] == "warn_from"


# -- rule examples -------------------------------------------------------------------------


def test_dsl_examples_run_against_their_rule(tmp_path, rules_dir):
    (rules_dir / "main.ie").write_text(
        RULES.replace(
            "    => warn(speaker, threat, source)\n",
            "    => warn(speaker, threat, source)\n"
            '    @example "The CSTO warned of attacks from Russia." => source="Russia"\n'
            '    @example "The CSTO warned of attacks from Russia." => source="Afghanistan"\n'
            '    @counterexample "The CSTO praised Russia."\n'
            '    @counterexample "The CSTO warned of threats."\n',
        ),
        encoding="utf-8",
    )
    book = compile_rules([rules_dir])
    cases = example_cases(book)
    assert [c.name for c in cases] == [
        "warn_from example 1",
        "warn_from example 2",
        "warn_from counterexample 1",
        "warn_from counterexample 2",
    ]
    assert [c.line for c in cases] == [6, 7, 8, 9]
    assert [run_case(book, c).passed for c in cases] == [True, False, True, False]
    assert cases[0].id == f"{rules_dir / 'main.ie'}:6 warn_from example 1"


def test_an_example_fails_when_another_rule_wins(tmp_path, rules_dir):
    (rules_dir / "main.ie").write_text(
        RULES
        + "rule loud priority 99 group warn:\n    ~warn of ~attack\n    => warn()\n"
        + "rule quiet group warn:\n    ORG ~warn of\n    => warn()\n"
        + '    @example "The CSTO warned of attacks."\n',
        encoding="utf-8",
    )
    book = compile_rules([rules_dir])
    (case,) = example_cases(book)
    result = run_case(book, case)
    assert not result.passed and result.missing[0].beaten_by == "loud"
    assert "but beaten by loud" in render_failure(result)


def test_yaml_examples_check_every_expected_statement(tmp_path, rules_dir):
    (rules_dir / "y.yaml").write_text(
        "use: [orgs.yaml, places.yaml]\nrules:\n"
        "  - name: praised\n    pattern: 'who:ORG ~praise place:PLACE'\n"
        "    emit: {type: lauds, args: {who: who, place: place}}\n"
        "    examples:\n"
        "      - text: The CSTO praised Russia and the United Nations praised Tajikistan.\n"
        "        expect:\n          - {type: lauds, args: {place: Russia}}\n"
        "          - {type: lauds, args: {place: Afghanistan}}\n"
        "      - text: The CSTO praised Russia.\n"
        "        expect: [{type: warn, args: {place: Russia}}]\n"
        "    counterexamples: [The CSTO praised the weather.]\n",
        encoding="utf-8",
    )
    book = compile_rules([rules_dir])
    cases = [c for c in example_cases(book) if c.file.endswith("y.yaml")]
    results = [run_case(book, c) for c in cases]
    assert [c.name for c in cases] == ["praised example 1", "praised example 2", "praised counterexample 1"]
    assert [r.passed for r in results] == [False, False, True]
    assert results[0].missing[0].expected.args == (("place", "Afghanistan"),)
    assert results[1].missing[0].differences[0] == ("type", "warn", "lauds")


def test_entity_examples_look_at_annotations(tmp_path, rules_dir):
    (rules_dir / "e.ie").write_text(
        'entity THREATWORD:\n    ~attack | ~threat\n    @example "Two attacks." => threatword="attacks"\n'
        '    @example "Two attacks." => threatword="bombs"\n    @counterexample "Two bombs."\n',
        encoding="utf-8",
    )
    book = compile_rules([rules_dir])
    cases = [c for c in example_cases(book) if c.entity]
    assert [run_case(book, c).passed for c in cases] == [True, False, True]


def test_entity_examples_must_name_the_type(tmp_path, rules_dir):
    (rules_dir / "e.ie").write_text(
        'entity THREATWORD:\n    ~attack\n    @example "Two attacks." => threat="attacks"\n', encoding="utf-8"
    )
    with pytest.raises(FixtureError) as info:
        example_cases(compile_rules([rules_dir]))
    assert info.value.diagnostics[0].code == "E609"


# -- --update ------------------------------------------------------------------------------


UPDATE_FIXTURE = """# header comment stays
cases:
  - name: wrong
    text: The CSTO warned of attacks from Russia.   # trailing comment stays
    expect:
      # this comment goes with the old expectations
      - {type: warn, args: {source: Afghanistan}}
    # a comment after the list stays
  - name: right
    text: The CSTO praised Tajikistan.
    expect: [{type: praise, args: {speaker: CSTO, target: Tajikistan}}]   # untouched
  - name: new
    text: 'The United Nations praised Russia: yes.'
  - name: now empty
    text: It rained.
    expect:
      - {type: praise, args: {}}
  - name: silent
    nothing: [The CSTO warned of attacks.]
"""


def test_update_rewrites_failing_expectations_and_keeps_the_rest(book, tmp_path):
    fx = fixture(tmp_path, UPDATE_FIXTURE)
    results = [run_case(book, c) for c in fx.cases]
    assert [r.passed for r in results] == [False, True, False, False, False]
    text, done, skipped = rewrite(fx, results)
    assert done == ["wrong", "new", "now empty"]
    assert skipped and "silent" in skipped[0]
    assert text.startswith("# header comment stays\n")
    assert "# trailing comment stays" in text and "# a comment after the list stays" in text
    assert "goes with the old" not in text
    assert "expect: [{type: praise, args: {speaker: CSTO, target: Tajikistan}}]   # untouched" in text
    assert (
        "    expect:\n      - type: warn\n        rule: warn_from\n"
        "        args: {speaker: CSTO, threat: attacks, source: Russia}\n"
        "    # a comment after the list stays" in text
    )
    assert (
        "    text: 'The United Nations praised Russia: yes.'\n    expect:\n      - type: praise\n"
        "        rule: praise\n" in text
    )
    assert "    text: It rained.\n    expect: []\n" in text
    updated = parse_fixture(SourceFile(fx.path, text))
    again = [run_case(book, c).passed for c in updated.cases]
    assert again == [True, True, True, True, False]


def test_update_writes_polarity_and_quotes_yaml_words(tmp_path, rules_dir):
    (rules_dir / "main.ie").write_text(
        RULES + 'rule no_words:\n    yes: ("no" | "yes")\n    => said(yes, polarity="negative")\n',
        encoding="utf-8",
    )
    book = compile_rules([rules_dir])
    fx = fixture(tmp_path, "cases:\n  - name: a\n    text: They said no.\n")
    text, done, _ = rewrite(fx, [run_case(book, c) for c in fx.cases])
    assert "      - type: said\n        polarity: negative\n        rule: no_words\n" in text
    assert "        args: {'yes': 'no'}\n" in text
    assert run_case(book, parse_fixture(SourceFile(fx.path, text)).cases[0]).passed
