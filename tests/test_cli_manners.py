"""What users of ruff or black expect of a command line (issue 13, point 6): --version, -h,
`python -m ie_dsl`, shell completion, a progress bar with a total, exit codes as README says
for every command, `explain` from the project compiling only what the rule needs, `debug -`."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import __version__
from ie_dsl.cli import app
from ie_dsl.cli.progress import Progress, count_documents
from ie_dsl.tools.rulesubset import NoSuchRule, compile_for

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
APP = "from ie_dsl.cli import app; app(prog_name='iedsl')"


def _run(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "orgs.yaml").write_text("type: ORG\nentries: [{name: Acme Corp, aliases: [Acme]}, Globex]\n")
    (d / "places.yaml").write_text("type: PLACE\nentries: [Kenya, Peru]\n")
    (d / "people.yaml").write_text("type: PERSON\nentries: [Ann Lee]\n")
    (d / "main.ie").write_text(
        "entity BUYER: ORG\n"
        "rule buys: buyer:BUYER ~buy target:ORG\n"
        "rule visits: PERSON ~visit PLACE\n"
        '    @example "Ann Lee visited Peru."\n'
    )
    return d


def test_version_and_short_help():
    assert _run("--version").stdout == f"iedsl {__version__}\n"
    for args in (["-h"], ["run", "-h"], ["debug", "tokens", "-h"]):
        result = _run(*args)
        assert result.exit_code == 0 and "Usage:" in result.stdout, args


def test_python_m_ie_dsl_is_the_same_command():
    done = subprocess.run([sys.executable, "-m", "ie_dsl", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"iedsl {__version__}\n"
    done = subprocess.run([sys.executable, "-m", "ie_dsl", "check", "/no/such/rules"], capture_output=True)
    assert done.returncode == 2 and b"E201" in done.stderr


@pytest.mark.parametrize(
    ("shell", "mark"), [("bash", "complete -o"), ("zsh", "#compdef iedsl"), ("fish", "complete")]
)
def test_completion_scripts_for_each_shell(shell: str, mark: str):
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # the shell given, not detected
    done = subprocess.run(
        [sys.executable, "-c", APP, "--show-completion", shell], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and mark in done.stdout and "_IEDSL_COMPLETE" in done.stdout


def test_completion_completes_commands_and_options():
    env = {**os.environ, "_IEDSL_COMPLETE": "complete_bash", "COMP_WORDS": "iedsl ex", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-c", APP], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["explain"]
    env = {**env, "COMP_WORDS": "iedsl run --for", "COMP_CWORD": "2"}
    done = subprocess.run([sys.executable, "-c", APP], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["--format"]


def test_exit_codes_of_every_command(rules: Path, tmp_path: Path):
    doc = tmp_path / "doc.txt"
    doc.write_text("Acme bought Globex.")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "b.ie").write_text("rule b: ORG (\n")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("")
    r, d, b = str(rules), str(doc), str(broken)
    cases = {
        # 0: success
        ("run", r, d, "-q", "-f", "jsonl"): 0,
        ("check", r): 0,
        ("test", r): 0,
        ("explain", "buys", "Acme bought Globex.", "-r", r): 0,
        ("eval", r, d, "--gold", str(gold)): 0,
        ("show", r, d, "-o", str(tmp_path / "r.html"), "-q"): 0,
        ("debug", "tokens", d): 0,
        # 1: the tool ran and found problems
        ("run", r, d, str(tmp_path / "missing.txt"), "-q", "-f", "jsonl"): 1,
        ("explain", "buys", "Nobody bought anything.", "-r", r): 1,
        ("check", r, "--strict"): 0,
        # 2: bad usage or broken rules
        ("run", b, d): 2,
        ("check", b): 2,
        ("test", b): 2,
        ("explain", "b", "x", "-r", b): 2,
        ("explain", "no_such_rule", "x", "-r", r): 2,
        ("eval", b, d, "--gold", str(gold)): 2,
        ("show", b, d, "-o", str(tmp_path / "r.html")): 2,
        ("diff", b, r, d): 2,
        ("debug", "ast", b): 2,
        ("debug", "tokens", str(tmp_path / "missing.txt")): 2,
        ("run", r, d, "--format", "xml"): 2,
        ("init", str(doc)): 2,
    }
    for args, code in cases.items():
        result = _run(*args)
        assert result.exit_code == code, (args, result.output)
        assert "Traceback" not in result.output


def test_debug_reads_stdin():
    result = _run("debug", "tokens", "-", stdin="Hello there.")
    assert result.exit_code == 0 and "'Hello'" in result.stdout and "'there'" in result.stdout
    result = _run("debug", "sentences", "-", stdin="One. Two.")
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 2


def test_explain_compiles_only_what_the_rule_needs(rules: Path):
    book = compile_for([rules], "buys")
    names = sorted(
        cr.rule.name for cr in [*book.program.statements, *(c for s in book.program.strata for c in s)]
    )
    assert names == ["BUYER", "buys"]  # not `visits`, nor PERSON's or PLACE's lexicons
    assert {lx.type for lx in book.ruleset.lexicons} >= {"PERSON", "PLACE"}  # read, not compiled
    assert book.extract("d", "Acme bought Globex.")[0]["args"]["buyer"]["text"] == "Acme"
    with pytest.raises(NoSuchRule) as info:
        compile_for([rules], "buy")
    assert "buys" in info.value.names
    result = _run("explain", "buy", "x", "-r", str(rules))
    assert result.exit_code == 2 and "did you mean buys?" in result.stderr


def test_explain_takes_the_projects_rules(rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "iedsl.toml").write_text('rules = ["rules"]\n')
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = _run("explain", "visits", "Ann Lee visited Kenya.")
    assert result.exit_code == 0 and "MATCHED" in result.stdout and "rules/main.ie:3" in result.stdout


def test_documents_are_counted_for_the_total(tmp_path: Path):
    plain = tmp_path / "a.jsonl"
    plain.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n{"id": 3, "text": "c"}')
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"id": 4, "text": "d"}\n{"id": 5, "text": "e"}\n'))
    text = tmp_path / "c.txt"
    text.write_text("f")
    assert count_documents([str(plain), str(packed), str(text)]) == 6
    assert count_documents([str(text), "-"]) is None  # stdin: nobody knows
    assert count_documents([str(tmp_path / "gone.jsonl")]) is None


def test_the_bar_shows_total_percent_rate_and_eta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": k, "text": "x"}) + "\n" for k in range(4)))
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stderr", screen)
    bar = Progress(True, [str(corpus)])
    bar.tick("0")
    assert bar.counter is not None
    bar.counter.join()  # the count runs beside the run; here it is awaited
    bar.tick("1")
    bar.bar.refresh()
    shown = screen.getvalue().replace("\r", "\n").splitlines()[-1]
    assert "50%" in shown and "2/4" in shown and "doc/s" in shown and "<" in shown  # elapsed<left
    bar.close()
    quiet = Progress(False, [str(corpus)])
    quiet.tick("0")
    quiet.close()
    assert quiet.bar is None and quiet.counter is None
