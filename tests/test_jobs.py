"""`iedsl run --jobs N`: the same output as one process, in the same order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def iedsl() -> list[str]:
    script = Path(sys.executable).with_name("iedsl")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ie_dsl.cli import main; main()"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed articles many times over (more than a batch), with broken lines among them."""
    d = tmp_path_factory.mktemp("jobs")
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    lines = [json.dumps({"id": f"doc-{k:04d}", "text": texts[k % len(texts)]}) for k in range(300)]
    lines[7] = '{"id": "broken"'
    lines[150] = "[1, 2]"
    (d / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def run(corpus: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [*iedsl(), "run", str(ROOT / "rules"), str(corpus / "corpus.jsonl"), "-q", *extra]
    return subprocess.run(args, capture_output=True)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_two_processes_write_the_same_bytes_as_one(corpus, fmt):
    one = run(corpus, "-f", fmt, "--errors", str(corpus / f"one.{fmt}.errors"))
    two = run(corpus, "-f", fmt, "--jobs", "2", "--errors", str(corpus / f"two.{fmt}.errors"))
    assert one.returncode == two.returncode == 1  # the two broken lines
    assert len(one.stdout) > 100_000 and two.stdout == one.stdout
    assert (corpus / f"two.{fmt}.errors").read_bytes() == (corpus / f"one.{fmt}.errors").read_bytes()


def test_output_file_and_failures_in_order(corpus):
    one = run(corpus, "-o", str(corpus / "one.jsonl"), "--budget", "0.000001")
    two = run(corpus, "-o", str(corpus / "two.jsonl"), "--budget", "0.000001", "-j", "0")
    assert one.returncode == two.returncode == 1
    assert (corpus / "two.jsonl").read_bytes() == (corpus / "one.jsonl").read_bytes()
    # every document over its budget is reported, in input order, whatever process matched it
    assert two.stderr.count(b"time budget") == one.stderr.count(b"time budget") > 0
    assert two.stderr == one.stderr


def test_a_negative_job_count_is_a_usage_error(corpus):
    bad = run(corpus, "--jobs", "-1")
    assert bad.returncode == 2 and b"--jobs" in bad.stderr


def test_a_spool_keeps_small_output_in_memory_and_spills_large_output_to_a_file(tmp_path, monkeypatch):
    import pickle

    from ie_dsl.scale import parallel

    monkeypatch.setattr(parallel, "SPILL_BYTES", 10)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 4)
    small = parallel.Spool(str(tmp_path))
    small.write(b"abc\n")
    assert small.path is None and b"".join(small.chunks()) == b"abc\n"
    big = parallel.Spool(str(tmp_path))
    for k in range(5):
        big.write(b"line %d\n" % k)
    big.close()
    assert big.path is not None and Path(big.path).parent == tmp_path and big.size == 35
    sent = pickle.loads(pickle.dumps(big))  # what a worker hands the parent: the file's path
    assert b"".join(sent.chunks()) == b"".join(b"line %d\n" % k for k in range(5))
    assert max(len(c) for c in sent.chunks()) <= 4
    sent.discard()
    assert not list(tmp_path.iterdir())


def test_a_document_whose_output_is_spooled_gives_the_same_bytes_and_leaves_no_file(tmp_path):
    # One dense sentence: 1,600 statements each carrying the 6.4 KB sentence, over 8 MB of
    # output, which the worker spools to a file instead of sending it through the pipe.
    (tmp_path / "r.ie").write_text("rule r: a b\n", encoding="utf-8")
    docs = [{"id": "small", "text": "a b."}, {"id": "dense", "text": "a b " * 1600}]
    docs.append({"id": "after", "text": "a b."})
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    spools = tmp_path / "tmp"
    spools.mkdir()
    env = {**os.environ, "TMPDIR": str(spools)}
    base = [*iedsl(), "run", str(tmp_path / "r.ie"), str(tmp_path / "docs.jsonl"), "-q"]
    one = subprocess.run([*base, "-o", str(tmp_path / "one.jsonl")], capture_output=True, env=env)
    two = subprocess.run([*base, "-o", str(tmp_path / "two.jsonl"), "-j", "2"], capture_output=True, env=env)
    assert one.returncode == two.returncode == 0, two.stderr
    out = (tmp_path / "two.jsonl").read_bytes()
    assert len(out) > 8 << 20 and out.count(b"\n") == 1602
    assert out == (tmp_path / "one.jsonl").read_bytes()
    assert not list(spools.iterdir())  # the spool and the run's spool directory are gone
