"""The Dask engine (ie_dsl.scale.distributed) on a real LocalCluster: the same statements and bytes as a
local run, the rules shipped once per worker, atomic parts with a manifest, and reruns that
complete a failed job with identical output."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import cloudpickle
import dask.bag as db
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

import ie_dsl.scale.distributed as dist
import ie_dsl.scale.partitions as parts
from ie_dsl import RuleBook, compile_rules
from ie_dsl.cli import app
from ie_dsl.scale.distributed import JobError, JobOptions, extract_bag, run_job
from ie_dsl.scale.reader import Problem

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
WORKERS = 2

# Functions of this module run on the workers (client.run): send them by value, the workers
# cannot import a test module.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def shipped_book() -> RuleBook:
    return compile_rules([ROOT / "rules"])


def _local(*args: str) -> tuple[bytes, list[dict]]:
    """What `iedsl run ARGS --format jsonl` prints, and its --errors records."""
    with tempfile.TemporaryDirectory() as tmp:
        errors = Path(tmp) / "errors.jsonl"
        result = CliRunner().invoke(app, ["run", *args, "--format", "jsonl", "-q", "--errors", str(errors)])
        assert result.exit_code in (0, 1), result.output
        records = [json.loads(line) for line in errors.read_text().splitlines()]
    return result.stdout_bytes, records


def _parts(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(out.glob("part-*.jsonl")))


def _received(client: Client) -> int:
    """How many times the workers unpickled a ShippedRules so far."""
    return sum(client.run(lambda: parts._RECEIVED).values())


def _corpus(tmp_path: Path) -> list[str]:
    """A JSONL file of seeds and broken lines, a .jsonl.gz cut off half-way, text files good and bad."""
    good = [
        json.dumps({"id": f"s{k}-{p.stem}", "text": p.read_text()}).encode() for k in range(3) for p in SEEDS
    ]
    undated = json.dumps({"id": "baddate", "text": SEEDS[2].read_text(), "date": "someday"})
    lines = [
        b"\xef\xbb\xbf" + good[0],  # a BOM before the first line is dropped
        *good[1:5],
        b'{"id": "cut", "text": "warned',  # bad JSON
        json.dumps({"text": SEEDS[0].read_text()}).encode(),  # no id: `path:line` is the id
        b"",
        b"[1, 2]",  # not an object
        json.dumps({"id": "dated", "text": SEEDS[1].read_text(), "date": "2023-04-05"}).encode(),
        undated.encode(),  # a note, not a failure
        *good[5:10],
        b'{"id": "nt"}',  # no text
        b'{"id": "u", "text": "caf\xe9"}',  # invalid UTF-8
        *good[10:],
    ]
    (tmp_path / "corpus.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    gz = gzip.compress(b"\n".join(good[:6]))
    (tmp_path / "more.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    (tmp_path / "bad.txt").write_bytes(b"The CSTO warned \xff of threats.")  # not UTF-8
    (tmp_path / "good.txt").write_text(SEEDS[3].read_text())
    return [str(tmp_path / name) for name in ("bad.txt", "corpus.jsonl", "good.txt", "more.jsonl.gz")]


def test_bag_gives_the_statements_of_a_local_run(client, shipped_book):
    docs = [{"id": str(p), "text": p.read_text(), "date": "2024-02-01"} for p in SEEDS]
    expected = [
        st for d in docs for st in shipped_book.extract(d["id"], d["text"], doc_date=date(2024, 2, 1))
    ]
    got = extract_bag(shipped_book, db.from_sequence(docs, npartitions=3), client=client).compute()
    assert got == expected and len(got) > 20
    bad = db.from_sequence([{"text": "no id"}], npartitions=1)
    with pytest.raises(ValueError, match="`id` and `text`"):
        extract_bag(shipped_book, bad, client=client).compute()


def test_rules_are_shipped_once_per_worker(client, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "main.ie").write_text("rule warned: ~warn\n")  # a rule set of its own: never sent before
    book = compile_rules([rules])
    docs = db.from_sequence([{"id": f"d{k}", "text": "They warned."} for k in range(16)], npartitions=8)
    before = _received(client)
    assert len(extract_bag(book, docs, client=client).compute()) == 16
    # once per worker, not once per partition (8); Dask may copy the scattered data to a
    # worker once more when it balances load, so allow one extra copy, still far below 8
    assert 1 <= _received(client) - before <= WORKERS + 1
    # The control: the same object put into every task travels with every task.
    before = _received(client)
    embedded = docs.map_partitions(
        dist._extract_partition, dist.ShippedRules(book.program), None, None, "raise"
    )
    assert len(embedded.compute()) == 16
    assert _received(client) - before >= 8
    # A job: five parts, the rules (again a rule set not sent before) scattered once.
    (rules / "main.ie").write_text("rule warned_job: ~warn\n")
    before = _received(client)
    summary = run_job(
        compile_rules([rules]),
        [str(p) for p in SEEDS],
        tmp_path / "out",
        scheduler=client,
        options=JobOptions(part_docs=1),
    )
    assert summary.parts_written == 5
    assert 1 <= _received(client) - before <= WORKERS + 1  # not once per part


def test_job_equals_local_run_and_reruns_identically(client, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)  # relative paths: document ids as given, as in a local run
    expected, _ = _local("rules", "seeds")
    out = tmp_path / "out"
    summary = run_job(["rules"], ["seeds"], out, scheduler=client, options=JobOptions(part_docs=2))
    assert _parts(out) == expected
    assert (summary.documents, summary.statements, summary.failed) == (5, expected.count(b"\n"), 0)
    assert (summary.parts_written, summary.parts_skipped) == (3, 0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["statements"] == summary.statements
    assert [p["name"] for p in manifest["parts"]] == [
        "part-00000.jsonl",
        "part-00001.jsonl",
        "part-00002.jsonl",
    ]
    assert manifest["parts"][0]["files"] == [
        "seeds/000_64c20344fc942d5c.txt",
        "seeds/001_68b44f11f460efa7.txt",
    ]
    assert set(manifest["fingerprint"]) == {"rules", "inputs", "options"}
    assert sorted(os.listdir(out)) == [".lock", "manifest.json", *(p["name"] for p in manifest["parts"])]
    first = (out / "manifest.json").read_bytes()
    again = run_job(["rules"], ["seeds"], out, scheduler=client, options=JobOptions(part_docs=2))
    assert (again.parts_written, again.parts_skipped, again.statements) == (0, 3, summary.statements)
    # What a killed job leaves: a part missing, a part cut short, a temp file half-written.
    (out / "part-00000.jsonl").unlink()
    with open(out / "part-00001.jsonl", "r+b") as fh:
        fh.truncate(100)
    (out / ".part-00002.jsonl.x1y2.tmp").write_bytes(b'{"doc": "half')
    again = run_job(["rules"], ["seeds"], out, scheduler=client, options=JobOptions(part_docs=2))
    assert (again.parts_written, again.parts_skipped) == (2, 1)
    assert _parts(out) == expected and (out / "manifest.json").read_bytes() == first
    assert not list(out.glob(".*.tmp")) and not (out / "_progress").exists()


def test_split_jsonl_and_bad_documents(client, tmp_path):
    inputs = _corpus(tmp_path)
    expected, errors = _local(str(ROOT / "rules"), *inputs, "--doc-date", "2020-01-15")
    heard: list[Problem] = []
    out = tmp_path / "out"
    # 4000-byte parts: lines cross part boundaries, and line numbers must still be right
    summary = run_job(
        [ROOT / "rules"],
        inputs,
        out,
        scheduler=client,
        on_problem=heard.append,
        options=JobOptions(part_size=4000, doc_date=date(2020, 1, 15)),
    )
    assert summary.parts_written > 10
    assert _parts(out) == expected
    assert f'"doc": "{inputs[1]}:7"'.encode() in expected  # the line without an id
    manifest = json.loads((out / "manifest.json").read_text())
    failed = [p for part in manifest["parts"] for p in part["failed"]]
    assert failed == errors
    assert {p["kind"] for p in failed} == {"json", "not_object", "text", "encoding", "unreadable"}
    assert {p["source"] for p in failed if p["kind"] == "encoding"} == {inputs[0], inputs[1]}
    assert sorted(map(json.dumps, (p.record() for p in heard))) == sorted(map(json.dumps, errors))
    assert summary.failed == len(errors) == manifest["failed"]
    assert summary.notes and "someday" in summary.notes[0]
    assert summary.processed == summary.documents >= 15  # reading failures are not documents


def test_iedsl_run_engine_dask_on_a_scheduler(client, tmp_path):
    """The command line: `iedsl run --engine dask --scheduler tcp://...` writes the parts of a
    local run, the --errors records in input order, exit code 1 for the bad documents."""
    inputs = _corpus(tmp_path)
    expected, errors = _local(str(ROOT / "rules"), *inputs)
    out, found = tmp_path / "out", tmp_path / "errors.jsonl"
    base = ["run", str(ROOT / "rules"), *inputs, "--engine", "dask"]
    args = [*base, "-o", str(out), "--errors", str(found)]
    result = CliRunner().invoke(app, [*args, "--scheduler", client.scheduler.address])
    assert result.exit_code == 1, result.output
    assert _parts(out) == expected
    assert [json.loads(line) for line in found.read_text().splitlines()] == errors
    assert f"parts written to {out}" in result.stderr
    again = CliRunner().invoke(app, [*args, "--scheduler", client.scheduler.address])
    assert again.exit_code == 1 and "kept from an earlier run" in again.stderr and _parts(out) == expected
    other = CliRunner().invoke(app, [*base, "--doc-date", "2020-01-01", "-o", str(out)])
    assert other.exit_code == 2 and "another job" in other.stderr
    assert CliRunner().invoke(app, base).exit_code == 2  # no -o DIR


def _fail_once(flag: str) -> None:
    """On a worker: the next part to be read, on any worker, raises (once: the flag file says)."""
    original = parts.__dict__.setdefault("_original_read_part", parts.read_part)

    def flaky(*args: object, **kwargs: object) -> Iterator[object]:
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return original(*args, **kwargs)
        raise RuntimeError("injected failure")

    parts.read_part = flaky


def _restore() -> None:
    parts.read_part = parts.__dict__.get("_original_read_part", parts.read_part)


def test_failed_task_then_rerun_completes(client, tmp_path):
    inputs = [str(p) for p in SEEDS]
    expected, _ = _local(str(ROOT / "rules"), *inputs)
    options = JobOptions(part_docs=1, retries=0)
    out = tmp_path / "out"
    client.run(_fail_once, str(tmp_path / "flag1"))
    try:
        with pytest.raises(JobError, match="1 of 5 parts failed.*injected failure.*run the same job again"):
            run_job([ROOT / "rules"], inputs, out, scheduler=client, options=options)
        assert not json.loads((out / "manifest.json").read_text())["complete"]
        assert len(list(out.glob("part-*.jsonl"))) == 4
        again = run_job([ROOT / "rules"], inputs, out, scheduler=client, options=options)
        assert (again.parts_written, again.parts_skipped) == (1, 4)
        assert _parts(out) == expected
        # With retries (the default), Dask reruns the task and the job completes at once.
        client.run(_fail_once, str(tmp_path / "flag2"))
        done = run_job(
            [ROOT / "rules"],
            inputs,
            tmp_path / "out2",
            scheduler=client.scheduler.address,
            options=JobOptions(part_docs=1),
        )
        assert (tmp_path / "flag2").exists() and done.parts_written == 5
        assert _parts(tmp_path / "out2") == expected
    finally:
        client.run(_restore)


def test_a_part_that_cannot_be_written_fails_the_job_until_fixed(client, tmp_path):
    inputs = [str(p) for p in SEEDS]
    out = tmp_path / "out"
    (out / "part-00001.jsonl").mkdir(parents=True)  # os.replace cannot put a file there
    with pytest.raises(JobError, match="part-00001.jsonl"):
        run_job(
            [ROOT / "rules"], inputs, out, scheduler=client, options=JobOptions(part_docs=2, retries=0)
        )
    (out / "part-00001.jsonl").rmdir()
    again = run_job([ROOT / "rules"], inputs, out, scheduler=client, options=JobOptions(part_docs=2))
    assert (again.parts_written, again.parts_skipped) == (1, 2)
    assert _parts(out) == _local(str(ROOT / "rules"), *inputs)[0]


def test_other_rules_or_options_are_refused_unless_restarted(client, tmp_path):
    inputs = [str(p) for p in SEEDS]
    out = tmp_path / "out"
    run_job([ROOT / "rules"], inputs, out, scheduler=client, options=JobOptions(part_docs=2))
    with pytest.raises(JobError, match="another job.*options"):
        run_job([ROOT / "rules"], inputs, out, scheduler=client, options=JobOptions(part_docs=1))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "main.ie").write_text("rule warned: ~warn\n")
    with pytest.raises(JobError, match="rules"):
        run_job([rules], inputs, out, scheduler=client, options=JobOptions(part_docs=2))
    summary = run_job(
        [rules], inputs, out, scheduler=client, options=JobOptions(part_docs=5, restart=True)
    )
    assert summary.parts_written == 1 and sorted(p.name for p in out.glob("part-*")) == ["part-00000.jsonl"]
    assert _parts(out) == _local(str(rules), *inputs)[0]


def test_a_job_starts_its_own_local_cluster(tmp_path):
    summary = run_job([ROOT / "rules"], [str(SEEDS[0])], tmp_path / "out", n_workers=1)
    assert (
        summary.documents == 1 and _parts(tmp_path / "out") == _local(str(ROOT / "rules"), str(SEEDS[0]))[0]
    )


def test_stdin_is_refused(client, tmp_path):
    with pytest.raises(JobError, match="stdin"):
        run_job([ROOT / "rules"], ["-"], tmp_path / "out", scheduler=client)


def test_bag_without_a_cluster():
    """No distributed client: the rules travel as one shared graph key (any Dask scheduler)."""
    code = (
        "import dask.bag as db; from pathlib import Path\n"
        "from ie_dsl import compile_rules; from ie_dsl.scale.distributed import extract_bag\n"
        "book = compile_rules(['rules'])\n"
        "docs = [{'id': str(p), 'text': p.read_text()} for p in sorted(Path('seeds').glob('*.txt'))]\n"
        "bag = extract_bag(book, db.from_sequence(docs, npartitions=3))\n"
        "keys = [k for k in dict(bag.__dask_graph__()) if str(k).startswith('ShippedRules')]\n"
        "local = [st for d in docs for st in book.extract(d['id'], d['text'])]\n"
        "print(len(keys), bag.compute(scheduler='sync') == local)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.split() == ["1", "True"], result.stderr


def test_without_dask(tmp_path):
    code = (
        "import sys; sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "import ie_dsl, ie_dsl.scale.distributed as d\n"
        "try:\n    d.run_job(['rules'], ['seeds'], sys.argv[1])\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "install iedsl[dask]" in result.stdout
