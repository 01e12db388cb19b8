"""The shipped rule pack over the seed articles: score against gold, offsets exact."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ie_dsl import compile_rules

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def seed_statements() -> list[dict]:
    book = compile_rules([ROOT / "rules"])
    out = []
    for path in SEEDS:
        out.extend(book.extract(f"seeds/{path.name}", path.read_text(encoding="utf-8")))
    return out


def test_seeds_are_the_shared_ones_byte_for_byte():
    assert len(SEEDS) == 5
    if SHARED.is_dir():
        for path in SEEDS:
            assert path.read_bytes() == (SHARED / "seeds" / path.name).read_bytes()


def test_every_offset_slices_its_text(seed_statements):
    assert seed_statements
    texts = {f"seeds/{p.name}": p.read_text(encoding="utf-8") for p in SEEDS}
    for st in seed_statements:
        text = texts[st["doc"]]
        for arg in st["args"].values():
            assert text[arg["start"] : arg["end"]] == arg["text"]
        assert text[st["sentence"]["start"] : st["sentence"]["end"]] == st["sentence"]["text"]
        assert st["sentence"]["start"] <= st["span"]["start"] < st["span"]["end"] <= st["sentence"]["end"]
        assert st["rule"]["file"].endswith((".ie", ".yaml")) and st["rule"]["line"] > 0


def test_statement_types_are_the_packs(seed_statements):
    assert {st["type"] for st in seed_statements} == {"warn", "concern", "threat_claim", "deny"}
    assert all(st["polarity"] == "negative" for st in seed_statements if st["type"] == "deny")


@pytest.mark.skipif(
    not (SHARED / "tools" / "score.py").is_file(),
    reason="../shared/ (gold and scorer) not beside the checkout",
)
def test_seed_f1_at_least_085(seed_statements, tmp_path):
    spec = importlib.util.spec_from_file_location("score", SHARED / "tools" / "score.py")
    score = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(score)
    gold = [
        json.loads(line)
        for line in (SHARED / "eval" / "seeds.gold.jsonl").read_text().splitlines()
        if line.strip()
    ]
    result = score.score(seed_statements, gold)
    assert result["f1"] >= 0.85, result
