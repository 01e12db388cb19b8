"""iedsl check, explain and debug through the real command line app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ie_dsl.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def rules_dir(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "orgs.yaml").write_text("type: ORG\nentries: [CSTO]\n")
    (d / "places.yaml").write_text("type: PLACE\nentries: [Afghanistan]\n")
    (d / "main.ie").write_text(text)
    return d


THREE_MISTAKES = (
    "define NEVER = x\n"
    "rule a: ORG (warns\n"
    "rule b: ORGG said PLACE\n"
    "rule c: speaker:ORG said PLACE => warn(speakr)\n"
)


def test_check_reports_every_problem_across_stages(tmp_path):
    d = rules_dir(tmp_path, THREE_MISTAKES)
    result = runner.invoke(app, ["check", str(d), "--format", "concise"])
    assert result.exit_code == 2  # errors in the rules
    lines = result.stderr.strip().splitlines()
    assert [line.split()[2] for line in lines[:-1]] == ["E101", "E210", "E218", "W201"]
    assert lines[0].endswith("main.ie:2:19: error E101 unclosed parenthesis")
    assert lines[-1] == "3 errors, 1 warning"


def test_check_json_and_exit_codes(tmp_path):
    d = rules_dir(tmp_path, "define NEVER = x\nrule ok: ORG said PLACE\n")
    result = runner.invoke(app, ["check", str(d), "--format", "json"])
    assert result.exit_code == 0  # warnings only
    (w,) = json.loads(result.stdout)
    assert (w["code"], w["line"], w["column"]) == ("W201", 1, 1)
    assert runner.invoke(app, ["check", str(d), "--strict"]).exit_code == 1
    assert runner.invoke(app, ["check", str(tmp_path / "missing")]).exit_code == 2


def test_check_is_clean_on_the_shipped_pack():
    result = runner.invoke(app, ["check", str(ROOT / "rules"), "--strict"])
    assert result.exit_code == 0, result.stderr


def test_explain_a_match_element_by_element(tmp_path):
    d = rules_dir(tmp_path, "rule headline: ORG warns of PLACE\n")
    result = runner.invoke(app, ["explain", "headline", "CSTO warns of Afghanistan.", "--rules", str(d)])
    assert result.exit_code == 0
    assert "MATCHED" in result.stdout
    assert "ORG 'CSTO'" in result.stdout and "orgs.yaml:2" in result.stdout


def test_explain_a_near_miss_and_json(tmp_path):
    d = rules_dir(tmp_path, "rule headline: ORG warns of PLACE\n")
    result = runner.invoke(app, ["explain", "headline", "CSTO warns about Afghanistan.", "-r", str(d)])
    assert result.exit_code == 1
    assert '2/4, of: met token "about"' in result.stdout
    result = runner.invoke(
        app, ["explain", "headline", "CSTO warns about Afghanistan.", "-r", str(d), "-f", "json"]
    )
    (rec,) = json.loads(result.stdout)
    assert (rec["matched"], rec["reached"], rec["total"]) == (False, 2, 4)


def test_explain_near_misses_over_a_corpus(tmp_path):
    d = rules_dir(tmp_path, "rule headline: ORG warns of PLACE\n")
    corpus = tmp_path / "c.txt"
    corpus.write_text("Nothing at all.\nCSTO warns about Afghanistan.\nCSTO said so.\n")
    result = runner.invoke(
        app, ["explain", "headline", str(corpus), "-r", str(d), "--near-misses", "--top", "2"]
    )
    first = result.stdout.splitlines()[0]
    assert first.startswith("2/4") and "CSTO warns about Afghanistan." in first


def test_explain_unknown_rule_suggests(tmp_path):
    d = rules_dir(tmp_path, "rule headline: ORG warns of PLACE\n")
    result = runner.invoke(app, ["explain", "headlin", "x", "-r", str(d)])
    assert result.exit_code == 2 and "did you mean headline?" in result.stderr


def test_debug_stages(tmp_path):
    d = rules_dir(tmp_path, "define W = ~warn\nrule headline: ORG W of PLACE\n")
    ast = runner.invoke(app, ["debug", "ast", str(d)]).stdout
    assert "rule headline" in ast and "Ref('W')" in ast
    irs = runner.invoke(app, ["debug", "ir", str(d)]).stdout
    assert "captures 0:org['ORG']" in irs and "'warned'" in irs
    program = runner.invoke(app, ["debug", "program", str(d)]).stdout
    assert "ANN" in program and "MATCH" in program and "clauses" in program


def test_explain_takes_a_sentence_longer_than_any_file_name(tmp_path):
    d = rules_dir(tmp_path, "rule headline: ORG warns of PLACE\n")
    sentence = "CSTO warns about Afghanistan, " + "and so on, " * 40 + "it said."
    result = runner.invoke(app, ["explain", "headline", sentence, "-r", str(d)])
    assert result.exit_code == 1 and "no match; nearest: headline" in result.stdout
