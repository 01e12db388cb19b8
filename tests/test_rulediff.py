"""`iedsl diff` and ie_dsl.tools.rulediff: gained and lost statements per rule, and git revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.tools.rulediff import RuleDiffError, compare, parse_revision, render_text

runner = CliRunner()

ORGS = "type: ORG\nentries:\n  - name: Collective Security Treaty Organization\n    aliases: [CSTO]\n"
OLD = """use "orgs.yaml"
rule warns: speaker:ORG ~warn
    => warn(speaker)
rule fears: speaker:ORG ~fear
    => concern(speaker)
rule gone: ORG ~praise
    => praise(org)
"""
# warns now needs "of" and captures what follows; fears is only moved down (same output);
# gone is removed; denies is new.
NEW = """use "orgs.yaml"
rule warns: speaker:ORG ~warn of threat:(_ _)
    => warn(speaker, threat)
rule denies: ORG ~deny
    => deny(org)

rule fears: speaker:ORG ~fear
    => concern(speaker)
"""
DOC_A = "The CSTO warned of terrorist groups. The CSTO fears unrest."
DOC_B = "The CSTO warned yesterday. The CSTO praised Kazakhstan. The CSTO denied it."


def _rules(where: Path, text: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "orgs.yaml").write_text(ORGS)
    (where / "main.ie").write_text(text)
    return where


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(DOC_A)
    (docs / "b.txt").write_text(DOC_B)
    return docs


def test_compare_gains_and_losses(tmp_path):
    old = compile_rules([_rules(tmp_path / "old", OLD)])
    new = compile_rules([_rules(tmp_path / "new", NEW)])
    diff = compare(old, new, [("a", DOC_A), ("b", DOC_B)])
    rules = {c.rule: c for c in diff.rules}
    assert [c.rule for c in diff.rules] == ["warns", "denies", "fears", "gone"]
    warns = rules["warns"]
    assert (warns.old, warns.new) == (2, 1)
    assert [(st["doc"], st["args"]["threat"]["text"]) for st in warns.gained] == [("a", "terrorist groups")]
    assert [(st["doc"], st["sentence"]["text"]) for st in warns.lost] == [
        ("a", "The CSTO warned of terrorist groups."),
        ("b", "The CSTO warned yesterday."),
    ]
    assert rules["fears"].changed is False and rules["fears"].line == 7  # moved: same output
    assert rules["denies"].status == "added" and [st["type"] for st in rules["denies"].gained] == ["deny"]
    assert rules["gone"].status == "removed" and len(rules["gone"].lost) == 1
    assert (diff.gained, diff.lost, diff.identical) == (2, 3, False)

    text = render_text(diff)
    block = text.split("warns (")[1].split("\n\n")[0]
    assert block.splitlines()[1:] == [
        "  - a  warn  speaker='CSTO'",
        "      > The CSTO warned of terrorist groups.",
        "  + a  warn  speaker='CSTO'  threat='terrorist groups'",
        "      > The CSTO warned of terrorist groups.",
        "  - b  warn  speaker='CSTO'",
        "      > The CSTO warned yesterday.",
    ]
    assert "[new rule]: +1 -0" in text and "[removed rule]: +0 -1" in text
    assert "fears (" not in text.split("\n\nrule ")[0]  # unchanged rules are only in the summary
    assert text.endswith("2 gained, 3 lost in 3 rules on 2 documents\n")


def test_diff_command_exit_codes_and_json(tmp_path):
    old = _rules(tmp_path / "old", OLD)
    new = _rules(tmp_path / "new", NEW)
    docs = _docs(tmp_path)
    result = runner.invoke(app, ["diff", str(old), str(new), str(docs)])
    assert result.exit_code == 1, result.output
    assert "+ a.txt  warn  speaker='CSTO'  threat='terrorist groups'" in result.stdout
    result = runner.invoke(app, ["diff", str(old), str(old), str(docs)])
    assert result.exit_code == 0 and "identical output on 2 documents" in result.stdout
    out = json.loads(runner.invoke(app, ["diff", str(old), str(new), str(docs), "-f", "json"]).stdout)
    assert (out["identical"], out["gained"], out["lost"]) == (False, 2, 3)
    gone = next(r for r in out["rules"] if r["rule"] == "gone")
    assert gone["lost"][0]["sentence"]["text"] == "The CSTO praised Kazakhstan."
    assert runner.invoke(app, ["diff", str(old), str(new)]).exit_code == 2  # no inputs
    assert runner.invoke(app, ["diff", str(old), str(new), str(docs), "-f", "xml"]).exit_code == 2


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose rules/ holds OLD at the first commit and NEW in the working tree."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    top = tmp_path / "repo"
    _rules(top / "rules", OLD)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=top,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "rules")
    git("commit", "-q", "-m", "old rules")
    (top / "rules" / "main.ie").write_text(NEW)
    _docs(top)
    monkeypatch.chdir(top)
    return top


@pytest.mark.parametrize("spec", ["HEAD", "HEAD:rules", "HEAD:./rules"])
def test_diff_against_a_git_revision(repo, spec):
    result = runner.invoke(app, ["diff", spec, "rules", "docs"])
    assert result.exit_code == 1, result.output
    assert "2 gained, 3 lost in 3 rules on 2 documents" in result.stdout
    # the old rules are shown where they are in the repository, not in a temporary directory
    assert "gone (HEAD:rules/main.ie:6) [removed rule]" in result.stdout


def test_git_revision_from_a_subdirectory_and_of_one_file(repo, monkeypatch):
    monkeypatch.chdir(repo / "docs")
    result = runner.invoke(app, ["diff", "HEAD:../rules/main.ie", "../rules/main.ie", "."])
    assert result.exit_code == 1, result.output
    assert "gone (HEAD:rules/main.ie:6)" in result.stdout
    result = runner.invoke(app, ["diff", "HEAD", "../rules", ".", "-f", "json"])
    assert json.loads(result.stdout)["lost"] == 3


def test_two_revisions_and_bad_revisions(repo):
    result = runner.invoke(app, ["diff", "HEAD:rules", "HEAD:rules", "docs"])
    assert result.exit_code == 0, result.output
    for spec in ["nosuchrev", "HEAD:nope", "HEAD~5:rules"]:
        result = runner.invoke(app, ["diff", spec, "rules", "docs"])
        assert result.exit_code == 2, spec
        assert result.stderr.startswith("error: "), result.stderr
    with pytest.raises(RuleDiffError, match="neither a path nor a revision"):
        parse_revision("nosuchrev", "rules")
    assert parse_revision("HEAD", "rules").label == "HEAD:rules"
