"""`iedsl run --jobs N`: the same output as one process, in the same order."""

from __future__ import annotations

import json
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
