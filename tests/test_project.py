"""A rule project (issue 13): `iedsl init`, the project file, reuse of the shipped pack
without copying, scoped names, fixtures beside rules, and what a path on the command line is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import IEDslError, compile_rules
from ie_dsl.cli import app
from ie_dsl.language.project import ProjectError, find_project, load_project

runner = CliRunner()


def _run(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project made by `iedsl init`, the working directory inside it."""
    (tmp_path / ".git").mkdir()  # the walk up stops here, whatever lies above tmp_path
    made = _run("init", str(tmp_path / "acq"))
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(tmp_path / "acq")
    monkeypatch.delenv("IEDSL_ALLOW_OUTSIDE_ROOT", raising=False)
    return tmp_path / "acq"


# ---- init and the project file ---------------------------------------------------------


def test_init_makes_a_project_whose_tests_pass_at_once(project: Path):
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == [
        "fixtures/example.yaml",
        "iedsl.toml",
        "lexicons/companies.yaml",
        "rules/example.ie",
    ]
    result = _run("test", "-v")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "4 passed, 0 failed"  # 2 rule examples, 2 fixture cases
    assert "PASS fixtures/example.yaml:3 a company opens a site abroad" in result.stdout


def test_init_never_overwrites(project: Path):
    before = (project / "rules" / "example.ie").read_text()
    (project / "rules" / "example.ie").write_text(before + "# mine\n")
    result = _run("init", str(project))
    assert result.exit_code == 2 and "already has" in result.stderr and "nothing was written" in result.stderr
    assert (project / "rules" / "example.ie").read_text().endswith("# mine\n")


def test_init_into_pyproject_keeps_what_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    assert _run("init", str(tmp_path), "--pyproject").exit_code == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "mine"\n') and "[tool.iedsl]" in text
    assert not (tmp_path / "iedsl.toml").exists()
    found = find_project(tmp_path / "rules")
    assert found is not None and found.file == tmp_path / "pyproject.toml"
    monkeypatch.chdir(tmp_path)
    assert _run("test").exit_code == 0


def test_every_command_finds_the_project_from_below(project: Path, monkeypatch: pytest.MonkeyPatch):
    deeper = project / "notes" / "drafts"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    assert _run("check").exit_code == 0
    assert _run("test").exit_code == 0
    ran = _run("run", "-", "-f", "jsonl", "-q", stdin="Globex opened a plant in Kenya.")
    assert ran.exit_code == 0, ran.output
    st = json.loads(ran.stdout)
    assert st["type"] == "opens" and st["rule"]["file"] == "rules/example.ie"
    shown = _run("explain", "opens_site", "Acme opened an office in Kenya.")
    assert shown.exit_code == 0 and "MATCHED" in shown.stdout
    dumped = _run("debug", "annotations", "-", stdin="Globex opened a plant in Kenya.")
    assert dumped.exit_code == 0 and "COMPANY" in dumped.stdout and "PLACE" in dumped.stdout


def test_the_walk_stops_at_a_repository_top(tmp_path: Path):
    (tmp_path / "iedsl.toml").write_text('rules = ["rules"]\n')
    inner = tmp_path / "checkout" / "sub"
    inner.mkdir(parents=True)
    assert find_project(inner).file == tmp_path / "iedsl.toml"  # type: ignore[union-attr]
    (tmp_path / "checkout" / ".git").mkdir()
    assert find_project(inner) is None


def test_only_the_projects_fixtures_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # another rule set's fixtures two levels up (issue 13: `iedsl test` ran another checkout's)
    theirs = tmp_path / "tests" / "fixtures"
    theirs.mkdir(parents=True)
    (theirs / "x.yaml").write_text("cases:\n  - name: theirs\n    text: x\n    expect: [{type: t}]\n")
    work = tmp_path / "work" / "acq"
    (work / "rules").mkdir(parents=True)
    (work / "rules" / "r.ie").write_text('rule r: "Acme" ~buy\n    @example "Acme bought it."\n')
    monkeypatch.chdir(work)
    result = _run("test", "rules")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "theirs" not in result.output


def test_option_defaults_come_from_the_project(project: Path):
    with (project / "iedsl.toml").open("a") as fh:
        fh.write('[run]\nformat = "csv"\nquiet = true\n')
    ran = _run("run", "-", stdin="Globex opened a plant in Kenya.")
    assert ran.exit_code == 0 and ran.stdout.startswith("doc,type,polarity") and ran.stderr == ""
    assert _run("run", "-", "-f", "jsonl", stdin="Globex opened a plant in Kenya.").stdout.startswith("{")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules = [\n", "not valid TOML"),
        ('rulez = ["rules"]\n', "iedsl.toml:1: unknown key 'rulez' (did you mean rules?)"),
        ("pytest = 1\n", "pytest is true or false"),
        ('[run]\nformt = "csv"\n', "[run] formt: `iedsl run` has no option --formt; did you mean format?"),
    ],
)
def test_a_broken_project_file_is_one_line_and_exit_2(project: Path, text: str, message: str):
    (project / "iedsl.toml").write_text(text)
    result = _run("check")
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_project_and_no_project_options(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert _run("check").exit_code == 2  # no project here: no rules
    assert _run("--project", str(project), "check").exit_code == 0
    assert _run("--project", str(project / "iedsl.toml"), "test").exit_code == 0
    monkeypatch.chdir(project)
    result = _run("--no-project", "test")
    assert result.exit_code == 2 and "no rules or fixtures given" in result.stderr
    with pytest.raises(ProjectError, match="no iedsl.toml"):
        load_project(tmp_path)


# ---- reuse of the shipped pack, and scoped names ------------------------------------------


def test_use_any_file_of_the_pack(tmp_path: Path):
    (tmp_path / "a.ie").write_text('use "@pack/lexicons/places.yaml"\nrule in_place: ~visit PLACE\n')
    (tmp_path / "b.yaml").write_text(
        'use: ["@pack/lexicons/organizations.yaml"]\nrules:\n  - name: org_said\n    pattern: ORG ~say\n'
    )
    book = compile_rules([tmp_path])
    found = book.extract("d", "They visited Kenya. NATO said so.")
    assert {st["type"] for st in found} == {"in_place", "org_said"}
    assert compile_rules(["@pack"]).rule_count > 50
    assert compile_rules(["@pack/lexicons/places.yaml", tmp_path / "a.ie"]).rule_count == 1


def test_a_use_cannot_leave_the_pack(tmp_path: Path):
    (tmp_path / "a.ie").write_text('use "@pack/../pyproject.toml"\nrule r: x\n')
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    (d,) = info.value.diagnostics
    assert d.code == "E204" and "leaves the shipped pack" in d.message and d.span.file.endswith("a.ie")


def test_a_users_type_never_meets_a_pack_macro_it_did_not_import(tmp_path: Path):
    # the pack's common.ie defines the macro STATE; this user's STATE is a type
    (tmp_path / "states.yaml").write_text("type: STATE\nentries: [Texas, Ohio]\n")
    (tmp_path / "r.ie").write_text("rule moved: ~move to STATE\n")
    book = compile_rules([tmp_path, "@pack"])
    assert [st["type"] for st in book.extract("d", "They moved to Texas.")] == ["moved"]


def test_a_clash_a_use_brings_in_is_reported_in_the_users_file(tmp_path: Path):
    (tmp_path / "states.yaml").write_text("type: STATE\nentries: [Texas, Ohio]\n")
    (tmp_path / "r.ie").write_text('rule moved: ~move to STATE\n\nuse "@pack/common.ie"\n')
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert d.code == "E214" and d.span.file.endswith("r.ie") and d.span.start > 0
    assert "macro STATE of @pack/common.ie" in d.message and "states.yaml" in d.message


def test_pack_warnings_are_not_the_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "r.ie").write_text('use "@pack/common.ie"\nrule said: HOLDER SAY\n')
    monkeypatch.chdir(tmp_path)
    result = _run("check", "r.ie", "--strict")
    assert result.exit_code == 0, result.stderr  # common.ie's unused macros are the pack's business
    assert result.stderr.strip() == "0 errors, 0 warnings"


# ---- fixtures beside rules, links, and what a path is -------------------------------------


def test_fixtures_beside_rules_are_never_rules(project: Path):
    (project / "rules" / "fixtures").mkdir()
    (project / "fixtures" / "example.yaml").rename(project / "rules" / "fixtures" / "example.yaml")
    (project / "rules" / "example.cases.yaml").write_text(
        "cases:\n  - name: nothing here\n    nothing: [Nobody opened anything.]\n"
    )
    assert _run("check").exit_code == 0
    # without a project, fixtures inside the rule directories are found; in one, its
    # `fixtures` key names where they are
    alone = _run("--no-project", "test", "rules", "lexicons")
    assert alone.exit_code == 0, alone.output
    assert alone.stdout.splitlines()[-1] == "5 passed, 0 failed"
    settings = (project / "iedsl.toml").read_text().replace('fixtures = ["fixtures"]', 'fixtures = ["rules"]')
    (project / "iedsl.toml").write_text(settings)
    result = _run("test")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == "5 passed, 0 failed"
    named = _run("check", "rules/example.cases.yaml")
    assert named.exit_code == 2 and "is a fixture file" in named.stderr
    (project / "rules" / "more.ie").write_text('use "example.cases.yaml"\nrule r: x\n')
    used = _run("check")
    assert used.exit_code == 2 and "E203" in used.stderr and "this is a fixture file" in used.stderr


def test_a_linked_lexicon_folder_is_refused_by_name_or_followed(tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "companies.yaml").write_text("type: COMPANY\nentries: [Acme, Globex]\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.ie").write_text("rule buys: COMPANY ~buy COMPANY\n")
    (rules / "lexicons").symlink_to(shared)
    with pytest.raises(IEDslError) as info:
        compile_rules([rules])
    link = [d for d in info.value.diagnostics if d.code == "E204"]
    assert len(link) == 1 and "rules/lexicons is a symbolic link" in link[0].message
    assert "none of its files is read" in link[0].message
    for book in (compile_rules([rules, shared]), compile_rules([rules], allow_outside_root=True)):
        assert len(book.extract("d", "Acme bought Globex.")) == 1


def test_a_lexicon_folder_is_rules_for_run_and_test_alike(project: Path):
    (project / "doc.txt").write_text("Globex opened a plant in Kenya.")
    ran = _run("run", "rules", "lexicons", "doc.txt", "-f", "jsonl", "-q")
    assert ran.exit_code == 0 and json.loads(ran.stdout)["doc"] == "doc.txt"
    late = _run("run", "rules", "doc.txt", "lexicons", "-q")
    assert late.exit_code == 2 and "lexicons holds rules" in late.stderr and "after the inputs" in late.stderr
    tested = _run("test", "rules", "lexicons", "fixtures")
    assert tested.exit_code == 0 and tested.stdout.splitlines()[-1] == "4 passed, 0 failed"
