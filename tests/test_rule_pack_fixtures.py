"""The shipped rule pack is tested with its own fixtures (tests/fixtures/) and examples, the
way a rule writer would: `iedsl test rules/ tests/fixtures/`. Every rule of rules/ must have
a positive case and a negative one, and a wrong expectation must make the run fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.tools.fixtures import load_fixture

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
runner = CliRunner()


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_the_pack_passes_its_fixtures_and_examples(in_root):
    res = runner.invoke(app, ["test", "rules/", "tests/fixtures/"])
    assert res.exit_code == 0, res.output
    summary = res.stdout.splitlines()[-1]
    passed = int(re.fullmatch(r"(\d+) passed, 0 failed", summary).group(1))
    cases = sum(len(load_fixture(p).cases) for p in sorted(FIXTURES.glob("*.yaml")))
    assert passed > cases >= 60  # the fixtures, plus the examples written in the rules


def test_a_wrong_expectation_makes_the_run_fail(in_root, tmp_path):
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "cases:\n"
        "  - name: the threat is misread\n"
        "    text: Kyrgyzstan warned on Friday of growing extremist activity in Batken.\n"
        "    expect:\n"
        "      - type: warn\n"
        "        args: {organization: Kyrgyzstan, threat: extremist groups, source: Batken}\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["test", "rules/", "tests/fixtures/", str(wrong)])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert f"FAIL {wrong}:2 the threat is misread" in lines
    assert '      threat: expected "extremist groups", got "growing extremist activity"' in lines
    line = next(
        n
        for n, text in enumerate((ROOT / "rules" / "stances.ie").read_text().splitlines(), 1)
        if text.startswith("rule warns_loose")
    )
    assert any(ln.startswith("    nearest: warn(") and f"(rules/stances.ie:{line})" in ln for ln in lines)
    assert re.fullmatch(r"\d+ passed, 1 failed", lines[-1])


def _rules() -> list[tuple[str, str]]:
    """(kind, name) of every rule and entity rule of the shipped pack; kind "cue" for the
    ConText cue rules, whose statements are consumed (their cases check polarity/modality)."""
    book = compile_rules([ROOT / "rules"])
    return [
        ("cue" if r.emit is not None and r.emit.type == "cue" else r.kind, r.name)
        for f in book.ruleset.files
        for r in f.rules
    ]


def test_every_rule_has_a_positive_and_a_negative_fixture():
    cases = [c for p in sorted(FIXTURES.glob("*.yaml")) for c in load_fixture(p).cases]
    names = [c.name for c in cases]
    missing = []
    for kind, rule in _rules():
        positive = [c for c in cases if c.name.startswith(f"{rule}:")]
        if kind == "cue":  # a cue leaves no statement: its cases check what it changes
            positive = [c for c in positive if any(e.polarity or e.modality for e in c.expect or ())]
        elif kind == "rule":  # the case pins the statement to the rule
            positive = [c for c in positive if any(e.rule == rule for e in c.expect or ())]
        else:  # an argument of the entity's type is checked
            positive = [
                c
                for c in positive
                for e in c.expect or ()
                for _, want in e.args
                if isinstance(want, tuple) and ("type", rule) in want
            ]
        if not positive:
            missing.append(f"{rule}: no positive case")
        if not any(n.startswith(f"no {rule}:") for n in names):
            missing.append(f"{rule}: no negative case")
    assert not missing
