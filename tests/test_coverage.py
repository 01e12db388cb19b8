"""ie_dsl.tools.coverage: rules that never fire, rules whose matches always lose, and the counts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.run.runtime import DocView, annotate
from ie_dsl.text.segment import segment
from ie_dsl.tools.coverage import RuleCoverage, Tally, entity_pass, measure, render

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

RULES = """use "orgs.yaml"
entity THREAT: ~terrorist ~group
entity THREAT: ~terrorist
entity ORG: "CSTO"
rule strong priority 10 group g: ORG ~warn
    => warn(org)
rule weak group g: ORG ~warn of
    => warn(org)
rule never: ORG ~applaud
    => praise(org)
"""
DOCS = [
    ("a", "The CSTO warned of terrorist groups."),
    ("b", "Again the CSTO warns of terrorist groups. Nothing else."),
]


def _by_line(report: list[RuleCoverage]) -> dict[int, RuleCoverage]:
    return {c.line: c for c in report}


def test_never_fired_and_always_overridden(book):
    b = book(RULES)
    report = measure(b, DOCS)
    assert [c.rule for c in report] == ["THREAT", "THREAT", "ORG", "strong", "weak", "never"]
    c = _by_line(report)
    assert (c[2].fired, c[2].overridden) == (2, 0)  # the longer THREAT wins ...
    assert (c[3].fired, c[3].overridden, c[3].beaten_by) == (0, 2, {"THREAT": 2})  # ... this one loses
    # an entity rule for a lexicon type loses the tie to the lexicon (loaded first)
    assert c[4].fired == 0 and c[4].overridden == 2
    ((winner, n),) = c[4].beaten_by.items()
    assert winner.startswith("lexicon:") and winner.endswith("orgs.yaml") and n == 2
    assert (c[5].fired, c[5].overridden) == (2, 0)
    assert (c[7].fired, c[7].overridden, c[7].beaten_by) == (0, 2, {"strong": 2})
    assert c[7].always_overridden and not c[7].never_fired
    assert (c[9].fired, c[9].overridden) == (0, 0) and c[9].never_fired

    text = render(report)
    assert text.startswith("Coverage: 2 of 6 rules produced output; 1 never fired, 3 always overridden\n")
    never = text.split("Never fired (1):\n")[1].split("Always")[0]
    assert never.strip().startswith("never (") and "main.ie:9)" in never
    beaten = text.split("Always overridden (3):\n")[1]
    assert "weak (" in beaten and "main.ie:7): 2 matches, beaten by strong ×2" in beaten
    assert "main.ie:3): 2 matches, beaten by THREAT ×2" in beaten


def test_partly_overridden_rule_is_not_reported(book):
    b = book(RULES)
    report = measure(b, [*DOCS, ("c", "The CSTO warned again.")])  # `weak` cannot match here
    c = _by_line(report)
    assert (c[5].fired, c[7].fired, c[7].overridden) == (3, 0, 2)
    # one document where the short THREAT stands alone: it fired, so it is not listed
    report = measure(b, [*DOCS, ("d", "A terrorist attack.")])
    c = _by_line(report)
    assert (c[3].fired, c[3].overridden) == (1, 2)
    assert "main.ie:3)" not in render(report)


def test_everything_fired_says_so(book):
    b = book('use "orgs.yaml"\nrule r: ORG ~warn\n')
    report = measure(b, DOCS)
    assert report == [RuleCoverage("r", report[0].file, 2, 2, 0, {})]
    assert render(report).endswith("Every rule produced output.\n")


def test_entity_pass_annotates_as_the_engine_does():
    """The coverage pass repeats the engine's stratum loop: it must give the same annotations."""
    b = compile_rules([ROOT / "rules"])
    order = [cr.rule.order for s in b.program.strata for cr in s]
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        tallies = {o: Tally() for o in order}
        mine = entity_pass(b, path.name, text, tallies)
        engine = DocView(path.name, text, segment(text))
        annotate(b.program, engine)
        assert mine.annotations == engine.annotations
        kept = sum(1 for a in engine.annotations.values() if a.source.startswith("rule:"))
        assert sum(t.fired for t in tallies.values()) == kept


def test_statement_counts_match_extract_on_the_pack():
    b = compile_rules([ROOT / "rules"])
    docs = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    report = measure(b, docs)
    statements = [st for d, t in docs for st in b.extract(d, t)]
    cues = {cr.rule.name for cr in b.program.statements if cr.rule.output == "cue"}
    names = {cr.rule.name for cr in b.program.statements} - cues
    assert sum(c.fired for c in report if c.rule in names) == len(statements)
    assert all(c.fired for c in report if c.rule in cues)  # applied cues count as fired


def test_eval_coverage_option(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "orgs.yaml").write_text("type: ORG\nentries:\n  - name: CSTO\n")
    (rules / "main.ie").write_text(RULES.replace('entity ORG: "CSTO"\n', ""))
    doc = tmp_path / "a.txt"
    doc.write_text(DOCS[0][1])
    gold = tmp_path / "gold.jsonl"
    row = {"article": "a", "sentence": DOCS[0][1], "predicate": "warn", "speaker": "CSTO"}
    gold.write_text(json.dumps(row) + "\n")
    base = ["eval", str(rules), str(doc), "--gold", str(gold), "--coverage"]
    result = runner.invoke(app, base)
    assert result.exit_code == 0, result.output
    assert "Never fired (1):\n  never (" in result.stdout
    assert "beaten by strong ×1" in result.stdout
    out = json.loads(runner.invoke(app, [*base, "-f", "json"]).stdout)
    weak = next(c for c in out["coverage"] if c["rule"] == "weak")
    assert weak["always_overridden"] and weak["beaten_by"] == {"strong": 1}
