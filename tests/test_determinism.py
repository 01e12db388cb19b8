"""Determinism (docs/reliability.md, "Determinism"): the same rules and inputs give the same
bytes, whatever the order of the input arguments, the process (hash seed) or the format."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "seeds").glob("*.txt"))
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
runner = CliRunner()


def iedsl() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("iedsl")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ie_dsl.cli import main; main()"]


def _run_with_hash_seeds(args: list[str], seeds: tuple[str, ...]) -> list[bytes]:
    """The stdout of `iedsl run ARGS` in one process per PYTHONHASHSEED value, run side by side."""
    procs = [
        subprocess.Popen(
            [*iedsl(), "run", *args, "-f", "jsonl", "-q"],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in seeds
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        outputs.append(out)
    return outputs


def test_argument_order_does_not_change_the_bytes(monkeypatch):
    monkeypatch.chdir(ROOT)
    outputs = set()
    for inputs in (SEEDS, SEEDS[::-1], [SEEDS[2], "seeds", SEEDS[0]], ["./seeds/"], ["seeds/*.txt"]):
        result = runner.invoke(app, ["run", "rules", *inputs, "-f", "jsonl", "-q"])
        assert result.exit_code == 0, result.stderr
        outputs.add(result.stdout_bytes)
    (only,) = outputs
    statements = [json.loads(line) for line in only.splitlines()]
    assert len(statements) >= 5 and [st["doc"] for st in statements] == sorted(st["doc"] for st in statements)


def test_separate_processes_with_different_hash_seeds_give_the_same_bytes(tmp_path):
    args = ["rules", *SEEDS[::-1]]
    if REUTERS.is_file():  # and a corpus with many statements, from more rules
        with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
            lines = [next(fh) for _ in range(400)]
        (tmp_path / "corpus.jsonl").write_text("".join(lines), encoding="utf-8")
        (tmp_path / "more").mkdir()
        (tmp_path / "more" / "more.ie").write_text(
            "rule said: ~say\nrule move: ~rise | ~fall\nrule pct: NUMBER pct\n"
        )
        args = ["rules", str(tmp_path / "more"), *SEEDS[::-1], str(tmp_path / "corpus.jsonl")]
    one, two = _run_with_hash_seeds(args, ("1", "2024"))
    if one != two:
        pairs = zip(one.splitlines(), two.splitlines(), strict=False)
        first = next(((x, y) for x, y in pairs if x != y), "one output is a prefix of the other")
        pytest.fail(f"the outputs differ; the first differing lines: {first}")
    assert one.count(b"\n") >= 5


def test_formats_and_destinations_agree(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    base = ["run", "rules", "seeds", "-q"]
    streamed = runner.invoke(app, [*base, "-f", "jsonl"]).stdout_bytes
    assert runner.invoke(app, [*base, "-f", "jsonl", "-o", str(tmp_path / "a.jsonl")]).exit_code == 0
    assert (tmp_path / "a.jsonl").read_bytes() == streamed
    statements = [json.loads(line) for line in streamed.splitlines()]
    assert runner.invoke(app, [*base, "-f", "json", "-o", str(tmp_path / "a.json")]).exit_code == 0
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == statements
    rows = list(csv.reader(io.StringIO(runner.invoke(app, [*base, "-f", "csv"]).stdout)))
    # the document id in full: a/news.txt and b/news.txt stay two documents
    assert [(st["doc"], st["type"]) for st in statements] == [(r[0], r[1]) for r in rows[1:]]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_two_runs_in_one_process_give_the_same_bytes(fmt, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ["run", "rules", "seeds", "-q", "-f", fmt]
    assert runner.invoke(app, args).stdout_bytes == runner.invoke(app, args).stdout_bytes
