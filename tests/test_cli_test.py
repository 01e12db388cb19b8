"""`iedsl test` through typer's CliRunner: output, summary line, exit codes, json, junit, -k,
--update, default fixture discovery, fixtures that name their own rules, --coverage."""

from __future__ import annotations

import errno
import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl.cli import app

runner = CliRunner()

RULES = """use "orgs.yaml"
use "places.yaml"
rule warn_from:
    speaker:ORG ~warn of ...{0,3} threat:(~attack | ~threat) (from source:PLACE)?
    => warn(speaker, threat, source)
    @example "The CSTO warned of attacks from Russia." => source="Russia"
"""
LEXICONS = {
    "orgs.yaml": (
        "type: ORG\nentries:\n  - {name: Collective Security Treaty Organization, aliases: [CSTO]}\n"
    ),
    "places.yaml": "type: PLACE\nentries: [Afghanistan, Russia]\n",
}
GOOD = """rules: ../rules
cases:
  - name: warns from Afghanistan
    text: The CSTO warned of attacks from Afghanistan.
    expect:
      - {type: warn, args: {speaker: CSTO, threat: attacks, source: Afghanistan}}
  - name: quiet
    nothing: [The CSTO met in Russia.]
"""
WRONG = """cases:
  - name: wrong source
    text: The CSTO warned of attacks from Afghanistan.
    expect:
      - {type: warn, args: {speaker: CSTO, threat: attacks, source: Russia}}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rule repository: rules/, tests/fixtures/good.yaml; the working directory is its root."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, body in LEXICONS.items():
        (rules / name).write_text(body, encoding="utf-8")
    (rules / "main.ie").write_text(RULES, encoding="utf-8")
    fixtures = tmp_path / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    (fixtures / "good.yaml").write_text(GOOD.replace("../rules", "../../rules"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, ["test", *args])


def test_all_pass_prints_the_summary_and_exits_0(project):
    res = invoke("rules/", "tests/fixtures/")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == ["3 passed, 0 failed"]


def test_without_fixtures_tests_fixtures_beside_the_rules_is_used(project):
    res = invoke("rules/")
    assert res.exit_code == 0 and res.stdout.strip() == "3 passed, 0 failed"
    res = invoke("rules/main.ie", "rules/orgs.yaml", "rules/places.yaml")
    assert res.stdout.strip() == "3 passed, 0 failed"


def test_without_any_fixture_only_examples_run(project):
    (project / "tests" / "fixtures" / "good.yaml").unlink()
    res = invoke("rules/")
    assert res.exit_code == 0 and res.stdout.strip() == "1 passed, 0 failed"
    assert "rule examples only" in res.stderr


def test_a_wrong_expectation_fails_with_its_diff(project):
    (project / "tests" / "fixtures" / "wrong.yaml").write_text(WRONG, encoding="utf-8")
    res = invoke("rules/")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0] == "FAIL tests/fixtures/wrong.yaml:2 wrong source"
    assert '      source: expected "Russia", got "Afghanistan"' in lines
    assert any("by warn_from (rules/main.ie:3)" in ln for ln in lines)
    assert lines[-1] == "3 passed, 1 failed"


def test_fixtures_alone_use_their_own_rules(project):
    res = invoke("tests/fixtures/good.yaml")
    assert res.exit_code == 0 and res.stdout.strip() == "3 passed, 0 failed"
    (project / "tests" / "fixtures" / "wrong.yaml").write_text(WRONG, encoding="utf-8")
    res = invoke("tests/fixtures/wrong.yaml")
    assert res.exit_code == 2
    assert "tests/fixtures/wrong.yaml:1:1" in res.stderr and "E608" in res.stderr


def test_malformed_fixture_exits_2_with_location(project):
    (project / "bad.yaml").write_text(
        "cases:\n  - name: x\n    text: y\n    expected: []\n", encoding="utf-8"
    )
    res = invoke("rules/", "bad.yaml")
    assert res.exit_code == 2
    assert "bad.yaml:4:15" in res.stderr and "did you mean `expect`" in res.stderr
    assert res.stdout == ""


def test_broken_rules_exit_2(project):
    (project / "rules" / "main.ie").write_text("rule r: (a b\n", encoding="utf-8")
    res = invoke("rules/")
    assert res.exit_code == 2 and "E101" in res.stderr


def test_rules_after_fixtures_are_a_usage_error(project):
    res = invoke("tests/fixtures/good.yaml", "rules/main.ie")
    assert res.exit_code == 2 and "rules come before fixtures" in res.stderr


def test_k_selects_by_substring_of_the_case_id(project):
    (project / "tests" / "fixtures" / "wrong.yaml").write_text(WRONG, encoding="utf-8")
    res = invoke("rules/", "-k", "QUIET", "-v")
    assert res.exit_code == 0
    assert res.stdout.splitlines() == ["PASS tests/fixtures/good.yaml:7 quiet", "1 passed, 0 failed"]
    assert invoke("rules/", "-k", "main.ie:6").stdout.strip() == "1 passed, 0 failed"
    res = invoke("rules/", "-k", "no such case")
    assert res.exit_code == 1 and "no cases ran" in res.stderr


def test_json_format(project):
    (project / "tests" / "fixtures" / "wrong.yaml").write_text(WRONG, encoding="utf-8")
    res = invoke("rules/", "--format", "json")
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert (data["passed"], data["failed"]) == (3, 1)
    failed = [c for c in data["cases"] if c["status"] == "failed"]
    assert [c["name"] for c in failed] == ["wrong source"]
    assert failed[0]["missing"][0]["differences"] == [
        {"field": "source", "expected": '"Russia"', "got": '"Afghanistan"'}
    ]
    assert {c["kind"] for c in data["cases"]} == {"example", "fixture"}


def test_junit_is_written(project):
    (project / "tests" / "fixtures" / "wrong.yaml").write_text(WRONG, encoding="utf-8")
    (project / "out").mkdir()
    res = invoke("rules/", "--junit", "out/report.xml")
    assert res.exit_code == 1
    suite = ET.parse(project / "out" / "report.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("4", "1")
    failures = [tc for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert [tc.get("name") for tc in failures] == ["wrong source"]
    assert 'source: expected "Russia", got "Afghanistan"' in failures[0].find("failure").text
    assert not [p for p in os.listdir(project / "out") if p != "report.xml"]  # no temp file left


def test_update_only_when_asked(project):
    wrong = project / "tests" / "fixtures" / "wrong.yaml"
    wrong.write_text("# keep me\n" + WRONG, encoding="utf-8")
    assert invoke("rules/").exit_code == 1
    assert wrong.read_text(encoding="utf-8") == "# keep me\n" + WRONG
    res = invoke("rules/", "--update")
    assert res.exit_code == 0
    assert "updated 1 case in tests/fixtures/wrong.yaml" in res.stderr
    assert res.stdout.strip().endswith("3 passed, 1 failed")  # the run, before the rewrite
    text = wrong.read_text(encoding="utf-8")
    assert text.startswith("# keep me\ncases:\n  - name: wrong source\n")
    assert "args: {speaker: CSTO, threat: attacks, source: Afghanistan}" in text
    assert invoke("rules/").stdout.strip() == "4 passed, 0 failed"


def test_update_leaves_examples_and_nothing_cases_failing(project):
    (project / "rules" / "main.ie").write_text(
        RULES.replace('source="Russia"', 'source="Kabul"'), encoding="utf-8"
    )
    quiet = project / "tests" / "fixtures" / "quiet.yaml"
    quiet.write_text("cases:\n  - name: q\n    nothing: [The CSTO warned of attacks.]\n", encoding="utf-8")
    res = invoke("rules/", "--update")
    assert res.exit_code == 1
    assert "not updated: rules/main.ie:6 warn_from example 1" in res.stderr
    assert "not updated: tests/fixtures/quiet.yaml:2 q" in res.stderr
    assert quiet.read_text(encoding="utf-8").endswith("nothing: [The CSTO warned of attacks.]\n")


def test_unknown_format_is_a_usage_error(project):
    assert invoke("rules/", "--format", "xml").exit_code == 2


def test_coverage_lists_rules_that_never_fired(project):
    (project / "rules" / "more.ie").write_text(
        'use "orgs.yaml"\nrule never:\n    ORG ~applaud\n', encoding="utf-8"
    )
    res = invoke("rules/", "--coverage")
    assert res.exit_code == 0
    assert "never (rules/more.ie:2)" in res.stdout
    assert res.stdout.splitlines()[-1] == "3 passed, 0 failed"


@pytest.mark.parametrize("kind", ["fifo", "directory", "missing directory"])
def test_a_junit_path_that_cannot_be_a_file_is_refused_before_any_case_runs(project, kind):
    target = project / "report.xml"
    if kind == "fifo":
        os.mkfifo(target)  # writing it atomically would replace it; opening it would block
    elif kind == "directory":
        target.mkdir()
    else:
        target = project / "nowhere" / "report.xml"
    res = invoke("rules/", "--junit", str(target))
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.startswith(f"error: --junit {target}: "), res.stderr
    assert res.stdout == ""  # nothing ran
    assert {"fifo": "not a regular file", "directory": "is a directory"}.get(
        kind, "does not exist"
    ) in res.stderr
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_a_junit_file_that_cannot_be_written_at_the_end_is_one_line_and_exit_1(project, monkeypatch):
    def full(path: Path, content: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("ie_dsl.cli.test.write_atomic", full)
    res = invoke("rules/", "--junit", "report.xml")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "error: cannot write report.xml: No space left on device; it was not changed" in res.stderr
    assert res.stdout.strip().endswith("3 passed, 0 failed")  # the cases themselves passed


def test_an_update_that_cannot_be_written_leaves_the_fixture_and_fails(project, monkeypatch):
    wrong = project / "tests" / "fixtures" / "wrong.yaml"
    wrong.write_text(WRONG, encoding="utf-8")

    def refused(path: Path, content: str) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr("ie_dsl.cli.test.write_atomic", refused)
    res = invoke("rules/", "--update")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert (
        "error: cannot update tests/fixtures/wrong.yaml: Permission denied; it was not changed" in res.stderr
    )
    assert "updated" not in res.stderr.replace("not updated", "")
    assert wrong.read_text(encoding="utf-8") == WRONG


@pytest.mark.parametrize("command", ["run", "test"])
def test_rules_that_are_not_utf8_are_located_as_check_locates_them(project, command):
    """E202 under `run` and `test` (load_book) carries line:col and the line, as under `check`."""
    (project / "rules" / "main.ie").write_bytes(b'rule r: "x"\nrule s: caf\xe9 y\n')
    (project / "doc.txt").write_text("x\n", encoding="utf-8")
    args = ["run", "rules/", "doc.txt"] if command == "run" else ["test", "rules/"]
    res = runner.invoke(app, args)
    checked = runner.invoke(app, ["check", "rules/"])
    assert res.exit_code == checked.exit_code == 2
    assert "error[E202]" in res.stderr and " --> rules/main.ie:2:12" in res.stderr, res.stderr
    located = checked.stderr.split("\n1 error")[0]
    assert located in res.stderr  # the same rendering: message, location, line, caret, hint
