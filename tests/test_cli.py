"""The command line through typer's CliRunner: exit codes, stdout vs stderr, formats."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ie_dsl.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _rules(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "orgs.yaml").write_text(
        "type: ORG\nentries:\n  - name: Collective Security Treaty Organization\n    aliases: [CSTO]\n"
    )
    (d / "main.ie").write_text(text)
    return d


def test_run_jsonl_to_stdout(tmp_path):
    rules = _rules(tmp_path, "rule warned: ORG ~warn\n")
    doc = tmp_path / "a.txt"
    doc.write_text("The CSTO warned again.")
    result = runner.invoke(app, ["run", str(rules), str(doc), "--format", "jsonl", "-q"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    st = json.loads(line)
    assert st["type"] == "warned" and st["args"]["org"]["text"] == "CSTO"


def test_run_output_file_json_and_csv(tmp_path):
    rules = _rules(tmp_path, "rule warned: ORG ~warn\n")
    doc = tmp_path / "a.txt"
    doc.write_text("The CSTO warned again. CSTO warns.")
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["run", str(rules), str(doc), "--format", "json", "-o", str(out), "-q"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert len(json.loads(out.read_text())) == 2
    result = runner.invoke(app, ["run", str(rules), str(doc), "--format", "csv", "-q"])
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("doc,type,polarity") and len(lines) == 3


def test_jsonl_documents_and_stdin(tmp_path):
    rules = _rules(tmp_path, "rule warned: ORG ~warn\n")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "x1", "text": "CSTO warns."}) + "\nnot json\n")
    result = runner.invoke(app, ["run", str(rules), str(corpus), "-f", "jsonl", "-q"])
    assert result.exit_code == 1  # one broken line: reported, run goes on
    assert json.loads(result.stdout.splitlines()[0])["doc"] == "x1"
    assert "c.jsonl:2" in result.stderr
    result = runner.invoke(app, ["run", str(rules), "-", "-f", "jsonl", "-q"], input="CSTO warned.")
    assert result.exit_code == 0 and json.loads(result.stdout)["doc"] == "<stdin>"


def test_broken_rule_exits_2_with_location_and_caret(tmp_path):
    rules = _rules(tmp_path, "rule ok: ORG ~warn\nrule bad: ORG (warns\n")
    doc = tmp_path / "a.txt"
    doc.write_text("x")
    result = runner.invoke(app, ["run", str(rules), str(doc)])
    assert result.exit_code == 2
    assert "main.ie:2:" in result.stderr and "^" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_type_suggests(tmp_path):
    rules = _rules(tmp_path, "rule r: ORGG ~warn\n")
    doc = tmp_path / "a.txt"
    doc.write_text("x")
    result = runner.invoke(app, ["run", str(rules), str(doc)])
    assert result.exit_code == 2
    assert "E210" in result.stderr and "did you mean ORG?" in result.stderr


def test_no_inputs_is_usage_error(tmp_path):
    rules = _rules(tmp_path, "rule r: ORG ~warn\n")
    result = runner.invoke(app, ["run", str(rules)])
    assert result.exit_code == 2


def test_debug_tokens_and_sentences(tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text("Gen. Andrey Serdyukov warned al-Qaeda.\nSecond line")
    result = runner.invoke(app, ["debug", "sentences", str(doc)])
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 2
    result = runner.invoke(app, ["debug", "tokens", str(doc)])
    assert "'Gen.'" in result.stdout and "'al'" in result.stdout


def test_run_corroborate_and_doc_date():
    seeds = str(ROOT / "seeds")
    result = runner.invoke(app, ["run", str(ROOT / "rules"), seeds, "--corroborate", "-f", "jsonl", "-q"])
    assert result.exit_code == 0
    clusters = [json.loads(line) for line in result.stdout.splitlines()]
    assert max(c["documents"] for c in clusters) >= 4
    dated = ["run", str(ROOT / "rules"), seeds, "--doc-date", "2024-02-15", "-f", "jsonl", "-q"]
    result = runner.invoke(app, dated)
    whens = [json.loads(line)["when"] for line in result.stdout.splitlines() if '"when"' in line]
    assert {"value": "2024-02-15", "grain": "day", "text": "Thursday"}.items() <= whens[0].items()
    assert runner.invoke(app, ["run", str(ROOT / "rules"), seeds, "--doc-date", "Feb 15"]).exit_code == 2


def test_run_corroborate_keeps_the_run_options(tmp_path):
    # clusters come from the same run as statements: bad documents, --errors, -o, --jobs
    (tmp_path / "docs").mkdir()
    for p in sorted((ROOT / "seeds").iterdir()):
        (tmp_path / "docs" / p.name).write_bytes(p.read_bytes())
    (tmp_path / "docs" / "bad.txt").write_bytes(b"caf\xe9 warns")
    out, errors = tmp_path / "claims.json", tmp_path / "errors.jsonl"
    args = ["run", str(ROOT / "rules"), str(tmp_path / "docs"), "--corroborate", "-f", "json", "-q"]
    result = runner.invoke(app, [*args, "-o", str(out), "--errors", str(errors), "--jobs", "2"])
    assert result.exit_code == 1  # the undecodable document
    assert json.loads(errors.read_text())["kind"] == "encoding"
    clusters = json.loads(out.read_text())
    assert max(c["documents"] for c in clusters) >= 4
    replaced = runner.invoke(app, [*args, "--encoding-errors", "replace"])
    assert replaced.exit_code == 0 and json.loads(replaced.stdout) == clusters
    assert runner.invoke(app, [*args, "-o", str(out), "--resume"]).exit_code == 2


def test_allow_outside_root_is_an_explicit_option(tmp_path, monkeypatch):
    root = tmp_path / "rules"
    root.mkdir()
    (tmp_path / "shared.ie").write_text("define SAY = ~say\n")
    (root / "main.ie").write_text('use "../shared.ie"\nrule r: alpha SAY\n')
    doc = tmp_path / "d.txt"
    doc.write_text("Alpha said.")
    monkeypatch.setenv("IEDSL_ALLOW_OUTSIDE_ROOT", "0")  # restored after the test
    refused = runner.invoke(app, ["run", str(root), str(doc), "-f", "jsonl", "-q"])
    assert refused.exit_code == 2 and "E204" in refused.stderr
    allowed = runner.invoke(app, ["--allow-outside-root", "run", str(root), str(doc), "-f", "jsonl", "-q"])
    assert allowed.exit_code == 0 and json.loads(allowed.stdout)["type"] == "r"
