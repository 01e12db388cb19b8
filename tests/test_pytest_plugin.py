"""The pytest plugin (entry point `iedsl`): where a project enables it (project file or
conftest.py), fixture files become one test item per case, failing with the same diff as
`iedsl test`; elsewhere it collects nothing."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

LEXICONS = {
    "rules/orgs.yaml": (
        "type: ORG\nentries:\n  - {name: Collective Security Treaty Organization, aliases: [CSTO]}\n"
    ),
    "rules/places.yaml": "type: PLACE\nentries: [Afghanistan, Russia]\n",
    "rules/main.ie": 'use "orgs.yaml"\nuse "places.yaml"\nrule warn_from:\n'
    "    speaker:ORG ~warn of ...{0,3} threat:~attack (from source:PLACE)?\n"
    "    => warn(speaker, threat, source)\n",
}
FIXTURE = """rules: ../../rules
cases:
  - name: right
    text: The CSTO warned of attacks from Afghanistan.
    expect: [{type: warn, args: {speaker: CSTO, threat: attacks, source: Afghanistan}}]
  - name: wrong source
    text: The CSTO warned of attacks from Afghanistan.
    expect: [{type: warn, args: {speaker: CSTO, threat: attacks, source: Russia}}]
  - name: quiet
    nothing: [The CSTO met in Russia.]
"""
# Same key, different format (like this repository's tests/cases/): never collected.
OTHER_CASES = "cases:\n  - {name: x, rules: 'rule r: a', text: a, expect: []}\n"


OPT_IN = 'pytest_plugins = ["ie_dsl.tools.pytest_fixtures"]\n'


def _files(pytester: pytest.Pytester) -> None:
    for path, body in LEXICONS.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    (pytester.path / "tests" / "fixtures").mkdir(parents=True)
    (pytester.path / "tests" / "cases").mkdir()
    (pytester.path / "tests" / "cases" / "engine.yaml").write_text(OTHER_CASES, encoding="utf-8")


@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    """A rule repository whose conftest.py opts in."""
    _files(pytester)
    (pytester.path / "conftest.py").write_text(OPT_IN, encoding="utf-8")
    return pytester


@pytest.fixture
def bare(pytester: pytest.Pytester) -> pytest.Pytester:
    """The same files and no opting in."""
    _files(pytester)
    return pytester


def test_plugin_is_registered_by_its_entry_point(pytester: pytest.Pytester):
    result = pytester.runpytest("--trace-config", "-q", "--co")
    result.stdout.fnmatch_lines(["*ie_dsl/tools/pytest_plugin.py*"])


def test_one_item_per_case_with_the_diff_as_failure_text(repo: pytest.Pytester):
    (repo.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE, encoding="utf-8")
    result = repo.runpytest("-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tests/fixtures/pack.yaml::right PASSED*",
            "*tests/fixtures/pack.yaml::wrong source FAILED*",
            "*tests/fixtures/pack.yaml::quiet PASSED*",
            "FAIL tests/fixtures/pack.yaml:6 wrong source",
            '  missing: warn(speaker="CSTO", threat="attacks", source="Russia")',
            "    nearest: warn(*) by warn_from (*main.ie:3)",
            '      source: expected "Russia", got "Afghanistan"',
        ]
    )
    assert "engine.yaml" not in result.stdout.str()


def test_k_selects_cases_by_name(repo: pytest.Pytester):
    (repo.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE, encoding="utf-8")
    repo.runpytest("-k", "quiet").assert_outcomes(passed=1, deselected=2)


def test_a_malformed_fixture_is_a_located_collection_error(repo: pytest.Pytester):
    (repo.path / "tests" / "fixtures" / "bad.yaml").write_text(
        "rules: ../../rules\ncases:\n  - name: x\n    txt: y\n", encoding="utf-8"
    )
    result = repo.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*E602*unknown key `txt`*", "*tests/fixtures/bad.yaml:4:10*"])


def test_rules_from_the_ini_option(repo: pytest.Pytester):
    repo.makeini("[pytest]\niedsl_rules = rules\n")
    (repo.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE.replace("rules: ../../rules\n", ""))
    repo.runpytest().assert_outcomes(passed=2, failed=1)


def test_a_fixture_without_rules_is_a_collection_error(repo: pytest.Pytester):
    (repo.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE.replace("rules: ../../rules\n", ""))
    result = repo.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*this fixture names no rules*"])


def test_an_unrelated_suite_is_left_alone(bare: pytest.Pytester):
    (bare.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE, encoding="utf-8")
    (bare.path / "tests" / "test_own.py").write_text("def test_own():\n    pass\n", encoding="utf-8")
    result = bare.runpytest("-v")
    result.assert_outcomes(passed=1)
    assert "pack.yaml" not in result.stdout.str()


def test_a_project_file_turns_it_on_for_its_own_fixtures_only(bare: pytest.Pytester):
    (bare.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE, encoding="utf-8")
    other = bare.path / "vendor" / "fixtures"
    other.mkdir(parents=True)
    (other / "theirs.yaml").write_text(FIXTURE, encoding="utf-8")
    (bare.path / "iedsl.toml").write_text('rules = ["rules"]\nfixtures = ["tests/fixtures"]\npytest = true\n')
    result = bare.runpytest("-v")
    result.assert_outcomes(passed=2, failed=1)
    assert "theirs.yaml" not in result.stdout.str()


def test_a_project_file_that_says_no_keeps_it_off(bare: pytest.Pytester):
    (bare.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE, encoding="utf-8")
    (bare.path / "pyproject.toml").write_text('[tool.iedsl]\nfixtures = ["tests/fixtures"]\npytest = false\n')
    result = bare.runpytest("-v")
    assert "pack.yaml" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_fixtures_without_rules_use_the_projects(bare: pytest.Pytester):
    (bare.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE.replace("rules: ../../rules\n", ""))
    (bare.path / "pyproject.toml").write_text(
        '[tool.iedsl]\nrules = ["rules"]\nfixtures = ["tests/fixtures"]\npytest = true\n'
    )
    bare.runpytest().assert_outcomes(passed=2, failed=1)


def test_rule_errors_are_located_with_a_caret(repo: pytest.Pytester):
    (repo.path / "rules" / "main.ie").write_text("rule broken: ORG (warns\n", encoding="utf-8")
    (repo.path / "tests" / "fixtures" / "pack.yaml").write_text(FIXTURE, encoding="utf-8")
    result = repo.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*do not compile*", "*E101*", "*rules/main.ie:1:*", "*^*"])


def test_a_broken_project_file_is_a_usage_error(bare: pytest.Pytester):
    (bare.path / "iedsl.toml").write_text("pytest = maybe\n")
    result = bare.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*iedsl*iedsl.toml*not valid TOML*"])
