"""`iedsl eval` and ie_dsl.tools.evaluate: the shared scorer's criteria, re-implemented and checked
against it, plus per-type and per-rule scores, false positives and near misses."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.tools.evaluate import (
    Scoring,
    content_words,
    doc_key,
    evaluate,
    load_gold,
    load_ignored,
    overlap,
    same_sentence,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCORE = SHARED / "tools" / "score.py"
SEED_GOLD = SHARED / "eval" / "seeds.gold.jsonl"
runner = CliRunner()

RULES = """use "orgs.yaml"
entity THREAT: (~terrorist | ~extremist) ~group
rule warns priority 10: speaker:ORG ~warn (of | about) threat:THREAT
    => warn(speaker, threat)
rule fears: speaker:ORG ~fear threat:THREAT
    => concern(speaker, threat)
# what is scored: these roles; a prediction matches where its threat overlaps the gold's
declare roles: speaker, organization, threat, source, target
declare claims:
    topic_role = threat
"""
ORGS = """type: ORG
entries:
  - name: Collective Security Treaty Organization
    aliases: [CSTO]
"""
DOCS = {
    "d1.txt": "The CSTO warned of terrorist groups. The CSTO fears extremist groups.",
    "d2.txt": "The CSTO cautioned about terrorist groups.",
}
GOLD = [
    # found, with the speaker given by its full name (the acronym rule makes it right)
    {"article": "d1", "sentence": "The CSTO warned of terrorist groups.", "predicate": "warn",
     "speaker": "Collective Security Treaty Organization", "organization": "CSTO",
     "threat": "terrorist groups", "polarity": "positive"},
    # the rule finds a concern here, but about another threat: a miss and a false positive
    {"article": "d1", "sentence": "The CSTO fears extremist groups.", "predicate": "concern",
     "speaker": "CSTO", "threat": "drug trafficking"},
    # no rule knows "cautioned": a miss; warns gets as far as ORG
    {"article": "d2", "sentence": "The CSTO cautioned about terrorist groups.", "predicate": "warn",
     "speaker": "CSTO", "threat": "terrorist groups"},
]  # fmt: skip


def _setup(tmp_path: Path, gold: list[dict] = GOLD) -> tuple[Path, Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "orgs.yaml").write_text(ORGS)
    (rules / "main.ie").write_text(RULES)
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text)
    gold_path = tmp_path / "gold.jsonl"
    gold_path.write_text("".join(json.dumps(g) + "\n" for g in gold))
    return rules, docs, gold_path


# ---- the criteria --------------------------------------------------------------------------


def test_matching_criteria():
    assert doc_key("seeds/000_abc.txt") == "000_abc" and doc_key("x1") == "x1"
    assert overlap("CSTO", "Collective Security Treaty Organization")  # acronym rule
    assert not overlap("the groups", "the cells")  # a shared stop word is not enough
    assert content_words("Terrorist Groups") == {"terrorist", "groups", "tg"}
    assert same_sentence("a b c", "b") and not same_sentence("", "b")


# ---- a tiny hand-made gold file --------------------------------------------------------------


def test_eval_json_on_tiny_gold(tmp_path):
    rules, docs, gold = _setup(tmp_path)
    result = runner.invoke(app, ["eval", str(rules), str(docs), "--gold", str(gold), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    o = out["overall"]
    assert (o["predicted"], o["gold"], o["matched"]) == (2, 3, 1)
    assert (o["precision"], o["recall"], o["f1"]) == (0.5, 0.333, 0.4)
    assert o["role_accuracy"]["speaker"] == 1.0  # "CSTO" = "Collective Security Treaty Organization"
    assert o["role_accuracy"]["organization"] == 0.0  # gold has one, the rule gives none
    assert out["by_type"]["warn"] == {
        "predicted": 1, "gold": 2, "matched": 1, "precision": 1.0, "recall": 0.5, "f1": 0.667
    }  # fmt: skip
    assert out["by_type"]["concern"]["matched"] == 0
    assert out["by_rule"]["warns"]["precision"] == 1.0 and out["by_rule"]["warns"]["recall"] == 0.5
    assert out["by_rule"]["fears"]["precision"] == 0.0
    # the false positive is charged to the rule that made it, with its sentence
    (fp,) = out["false_positives"]
    assert fp["rule"] == "fears" and fp["line"] == 5 and fp["file"].endswith("main.ie")
    assert fp["sentence"] == "The CSTO fears extremist groups."
    # each miss says which rules came nearest and how far they got
    by_doc = {fn["article"]: fn for fn in out["false_negatives"]}
    d2 = by_doc["d2"]["nearest"]
    assert [a["rule"] for a in d2] == ["warns"]  # only rules emitting `warn` are tried
    assert (d2[0]["reached"], d2[0]["total"], d2[0]["failed"]) == (1, 4, "~warn")
    assert "cautioned" in d2[0]["met"]
    d1 = by_doc["d1"]
    assert [a["rule"] for a in d1["nearest"]] == ["fears"] and d1["nearest"][0]["failed"] is None
    assert d1["found_instead"] == [
        {"rule": "fears", "type": "concern", "speaker": "CSTO", "threat": "extremist groups"}
    ]


def test_eval_text_output(tmp_path):
    rules, docs, gold = _setup(tmp_path)
    result = runner.invoke(app, ["eval", str(rules), str(docs), "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Overall: predicted 2, gold 3, matched 1   P=0.500 R=0.333 F1=0.400" in text
    assert "False positives (1):" in text and "False negatives (2):" in text
    fp_block = text.split("False positives (1):")[1].split("False negatives")[0]
    assert "fears (" in fp_block and "> The CSTO fears extremist groups." in fp_block
    assert "nearest: warns (" in text and '1/4, ~warn: met token "cautioned"' in text


def test_ignore_leaves_predictions_out(tmp_path):
    rules, docs, gold = _setup(tmp_path)
    ignore = tmp_path / "ignore.jsonl"
    ignore.write_text(json.dumps({"article": "d1", "sentence": "the csto   fears extremist groups."}) + "\n")
    result = runner.invoke(
        app, ["eval", str(rules), str(docs), "--gold", str(gold), "--ignore", str(ignore), "-f", "json"]
    )
    o = json.loads(result.stdout)["overall"]
    assert (o["predicted"], o["matched"], o["precision"], o["ignored"]) == (1, 1, 1.0, 1)


def test_bad_usage_exits_2(tmp_path):
    rules, docs, gold = _setup(tmp_path)
    assert runner.invoke(app, ["eval", str(rules), str(docs)]).exit_code == 2  # no --gold
    assert runner.invoke(app, ["eval", str(rules), "--gold", str(gold)]).exit_code == 2  # no inputs
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article": "d1", "sentence": "x", "predicate": "warn"}\n{"article": "d1"}\n')
    result = runner.invoke(app, ["eval", str(rules), str(docs), "--gold", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.stderr
    bad.write_text("not json\n")
    assert runner.invoke(app, ["eval", str(rules), str(docs), "--gold", str(bad)]).exit_code == 2
    args = ["eval", str(rules), str(docs), "--gold", str(gold), "--format", "xml"]
    assert runner.invoke(app, args).exit_code == 2


# ---- the same numbers as the shared scorer -------------------------------------------------------


def _pack_scoring() -> Scoring:
    return Scoring.of(compile_rules([ROOT / "rules"]).program.schema)


def _seed_statements() -> list[dict]:
    book = compile_rules([ROOT / "rules"])
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        out += book.extract(f"seeds/{path.name}", path.read_text(encoding="utf-8"))
    return out


def _perturbed(statements: list[dict]) -> list[dict]:
    """Misses, wrong types, wrong threats, a wrong speaker and a duplicate: every code path."""
    out = []
    for n, st in enumerate(copy.deepcopy(statements)):
        if n % 4 == 1:
            continue
        if n % 5 == 2:
            st["type"] = "concern" if st["type"] != "concern" else "warn"
        if n % 7 == 3:
            st["args"]["threat"] = {"text": "bad weather"}
        if n % 6 == 0 and "speaker" in st["args"]:
            st["args"]["speaker"] = {"text": "Nobody Here"}
        out.append(st)
    return out + copy.deepcopy(out[:2])


def _score_py(tmp_path: Path, statements: list[dict], *extra: str) -> dict:
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(st) + "\n" for st in statements))
    done = subprocess.run(
        [sys.executable, str(SCORE), str(pred), str(SEED_GOLD), "--json", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(not SCORE.exists(), reason="the shared scorer is not beside this checkout")
@pytest.mark.parametrize("variant", ["as extracted", "perturbed", "ignored"])
def test_same_scores_as_shared_scorer(tmp_path, variant):
    statements = _seed_statements()
    gold = load_gold(SEED_GOLD)
    extra: list[str] = []
    ignored = None
    if variant != "as extracted":
        statements = _perturbed(statements)
    if variant == "ignored":
        ignore = tmp_path / "ignore.jsonl"
        rows = [{"article": g["article"], "sentence": g["sentence"]} for g in gold[::5]]
        ignore.write_text(
            json.dumps(rows[0])
            + "\n"
            + json.dumps({"id": rows[1]["article"], "borderline_excluded": rows[1:]})
        )
        extra = ["--ignore", str(ignore)]
        ignored = load_ignored(ignore)
    theirs = _score_py(tmp_path, statements, *extra)
    mine = evaluate(statements, gold, ignored, _pack_scoring())
    o = mine.overall
    assert (o.predicted, o.gold, o.matched) == (theirs["predicted"], theirs["gold"], theirs["matched"])
    assert [round(x, 3) for x in (o.precision, o.recall, o.f1)] == [
        theirs["precision"],
        theirs["recall"],
        theirs["f1"],
    ]
    assert {r: round(v, 3) for r, v in mine.role_accuracy.items()} == theirs["role_accuracy"]
    assert round(mine.polarity_accuracy, 3) == theirs["polarity_accuracy"]
    assert len(mine.false_negatives) == len(theirs["missed"])
    assert len(mine.false_positives) == len(theirs["spurious"])
    if variant != "as extracted":  # the perturbation must really cost something
        assert o.matched < o.gold and o.predicted > o.matched


@pytest.mark.skipif(not SEED_GOLD.exists(), reason="the shared gold is not beside this checkout")
def test_eval_command_on_seeds_agrees_with_library():
    result = runner.invoke(
        app, ["eval", str(ROOT / "rules"), str(ROOT / "seeds"), "--gold", str(SEED_GOLD), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    mine = evaluate(_seed_statements(), load_gold(SEED_GOLD), scoring=_pack_scoring())
    assert out["overall"]["matched"] == mine.overall.matched
    assert out["overall"]["role_accuracy"] == {r: round(v, 3) for r, v in mine.role_accuracy.items()}
    assert sum(r["predicted"] for r in out["by_rule"].values()) == out["overall"]["predicted"]
