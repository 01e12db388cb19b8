"""`iedsl run --engine dask` on a real LocalCluster: the work split into parts that give every
worker some (by default, --part-size, --part-docs; plain JSONL, .jsonl.gz, text files) with the
bytes of a local run; every output format; extract_bag(errors="skip"); a RuleBook through the
standard pickle; rule provenance that does not depend on the working directory; progress."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import dask.bag as db
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.scale import reader
from ie_dsl.scale.distributed import SKIPPED, JobOptions, extract_bag, run_job
from ie_dsl.scale.output import FORMATS
from ie_dsl.scale.partitions import _KEPT, auto_size, line_cuts, read_part
from ie_dsl.scale.reader import Problem, ReadOptions

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
RULES = ROOT / "rules"  # a copy of it while this module runs (the fixture below)


@pytest.fixture(scope="module", autouse=True)
def _rules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A copy of the shipped rules: every run in this module compiles the same ones, even
    while someone edits rules/."""
    global RULES
    RULES = tmp_path_factory.mktemp("copy") / "rules"
    shutil.copytree(ROOT / "rules", RULES)
    yield
    RULES = ROOT / "rules"


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 short documents (a seed sentence or two each, ~200 bytes) as JSONL, the same
    gzipped, and 40 of them as text files."""
    d = tmp_path_factory.mktemp("split")
    sentences = [
        s.strip()
        for p in sorted((ROOT / "seeds").glob("*.txt"))
        for s in re.split(r"(?<=[.!?])\s+", p.read_text(encoding="utf-8"))
        if len(s.strip()) > 20
    ]
    docs = [
        {
            "id": f"d{k:04d}",
            "text": " ".join(sentences[(k * 7 + j) % len(sentences)] for j in range(1 + k % 2)),
        }
        for k in range(2000)
    ]
    lines = [json.dumps(doc) for doc in docs]
    lines[1234] = '{"id": "broken", "text": '  # a bad line among them: reported once, in its place
    data = ("\n".join(lines) + "\n").encode()
    (d / "docs.jsonl").write_bytes(data)
    (d / "docs.jsonl.gz").write_bytes(gzip.compress(data))
    (d / "small.jsonl").write_text("\n".join(lines[1100:1300]) + "\n")  # for what needs fewer
    (d / "texts").mkdir()
    for doc in docs[:40]:
        (d / "texts" / f"{doc['id']}.txt").write_text(doc["text"], encoding="utf-8")
    return d


_LOCAL: dict[tuple[str, ...], bytes] = {}


def _local(*args: str) -> bytes:
    """What `iedsl run RULES ARGS -q` prints (each asked for once per module)."""
    key = (str(RULES), *args)
    if key not in _LOCAL:
        result = CliRunner().invoke(app, ["run", *key, "-q"])
        assert result.exit_code in (0, 1), result.output
        _LOCAL[key] = result.stdout_bytes
    return _LOCAL[key]


def _parts(out: Path) -> bytes:
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"]
    return b"".join((out / p["name"]).read_bytes() for p in manifest["parts"])


def _job(client: Client, inputs: list[Path], out: Path, **options: int) -> tuple[int, bytes]:
    summary = run_job([RULES], [str(p) for p in inputs], out, scheduler=client, options=JobOptions(**options))
    return summary.parts_written, _parts(out)


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.jsonl.gz", "texts"])
def test_by_default_2000_small_documents_make_parts_for_every_worker(client, corpus, tmp_path, name):
    expected = _local(str(corpus / name), "-f", "jsonl")
    assert expected.count(b"\n") > 10  # the rules find something to compare
    parts, got = _job(client, [corpus / name], tmp_path / "out")
    assert parts >= 2 * WORKERS
    # nothing lost, duplicated or reordered: the very bytes of a local run (so also after sorting)
    assert got == expected
    assert sorted(got.splitlines()) == sorted(expected.splitlines())


def test_part_docs_and_part_size(client, corpus, tmp_path):
    # the two files hold the same lines (documents with their own ids): a local run prints this
    expected = _local(str(corpus / "docs.jsonl"), "-f", "jsonl") * 2
    inputs = [corpus / "docs.jsonl", corpus / "docs.jsonl.gz"]
    parts, got = _job(client, inputs, tmp_path / "docs", part_docs=300)
    assert parts == 2 * 7 and got == expected  # 2,000 lines in parts of 300, per file
    manifest = json.loads((tmp_path / "docs" / "manifest.json").read_text())
    assert [p["first_line"] for p in manifest["parts"][:7]] == [1, 301, 601, 901, 1201, 1501, 1801]
    assert [p["documents"] for p in manifest["parts"][:7]] == [300, 300, 300, 300, 299, 300, 200]
    assert manifest["parts"][4]["failed"][0]["line"] == 1235  # the broken line, numbered as locally
    parts, got = _job(client, inputs, tmp_path / "size", part_size=50_000)
    plain = -(-(corpus / "docs.jsonl").stat().st_size // 50_000)  # byte ranges
    gzipped = len(line_cuts(str(corpus / "docs.jsonl.gz"), 50_000, None)) + 1  # line starts past 50,000
    assert parts == plain + gzipped and gzipped >= plain - 1 > 10 and got == expected
    parts, got = _job(client, [corpus / "texts"], tmp_path / "texts", part_docs=7)
    assert parts == 6 and got == _local(str(corpus / "texts"), "-f", "jsonl")


def test_line_cuts_and_the_default_size(tmp_path):
    lines = [b"x" * (k % 13) for k in range(1000)]
    data = b"\n".join(lines) + b"\n"
    starts = [0] + [i + 1 for i, c in enumerate(data[:-1]) if c == 10]
    for name, blob in (("a.jsonl", data), ("a.jsonl.gz", gzip.compress(data))):
        (tmp_path / name).write_bytes(blob)
        assert line_cuts(str(tmp_path / name), None, 300) == [(starts[k], k + 1) for k in (300, 600, 900)]
        cuts = line_cuts(str(tmp_path / name), 1000, None)
        assert all(b - a >= 1000 for (a, _), (b, _) in zip([(0, 1), *cuts], cuts, strict=False))
        assert all(starts[n - 1] == o for o, n in cuts) and len(cuts) == len(data) // 1000
    assert line_cuts(str(tmp_path / "missing.jsonl"), 10, None) == []
    assert auto_size(2_300_000, 2) == 287_500  # eight parts
    assert auto_size(10**12, 2) == 64_000_000 and auto_size(0, 0) == 1


def test_parts_of_a_gzip_file_read_in_any_order(corpus):
    """A worker takes up a .gz file where its last part of it stopped (not from the start):
    parts read in order, out of order and twice give the documents of the whole file."""
    path = str(corpus / "docs.jsonl.gz")
    starts = [(0, 1), *line_cuts(path, None, 150)]
    plan = [
        {"path": path, "start": s, "end": e, "first_line": n}
        for (s, n), e in zip(starts, [o for o, _ in starts[1:]] + [None], strict=True)
    ]
    problems: list[Problem] = []
    whole = [(d.id, d.line) for d in reader.read_paths([path], problems.append, ReadOptions())]
    assert len(plan) == 14 and len(whole) == 1999 and len(problems) == 1
    for order in (range(14), [3, 1, 2, 2, 0, *range(4, 14)]):
        found: dict[int, list[tuple[str, int | None]]] = {}
        for k in order:
            found[k] = [(d.id, d.line) for d in read_part(plan[k], "", problems.append, ReadOptions())]
            assert k == 13 or path in _KEPT  # left where this part stopped, for the next one
        assert [doc for k in range(14) for doc in found[k]] == whole
    assert len(problems) == 3  # the broken line: in the whole file, then by its part in each order


def test_every_format_works_or_is_refused(client, corpus, tmp_path):
    inputs = [str(corpus / "small.jsonl")]
    base = ["run", str(RULES), *inputs, "--engine", "dask", "--scheduler", client.scheduler.address, "-q"]
    out = tmp_path / "out"
    assert {"jsonl", "json", "csv", "table"} <= set(FORMATS)
    for fmt in FORMATS:
        local = tmp_path / f"local.{fmt}"
        ran = CliRunner().invoke(app, ["run", str(RULES), *inputs, "-q", "-f", fmt, "-o", str(local)])
        assert ran.exit_code == 1, ran.output  # the broken line
        for old in out.glob("statements.*"):
            old.unlink()
        result = CliRunner().invoke(app, [*base, "-f", fmt, "-o", str(out)])
        assert result.exit_code == 1, result.output
        if fmt == "jsonl":  # the parts are the jsonl output
            assert not list(out.glob("statements.*")) and _parts(out) == local.read_bytes()
            continue
        assert [p.name for p in out.glob("statements.*")] == [
            f"statements.{'txt' if fmt == 'table' else fmt}"
        ]
        assert next(out.glob("statements.*")).read_bytes() == local.read_bytes(), fmt
    claims = CliRunner().invoke(app, [*base, "--corroborate", "-f", "json", "-o", str(out)])
    local = CliRunner().invoke(app, ["run", str(RULES), *inputs, "-q", "--corroborate", "-f", "json"])
    assert claims.exit_code == 1 and (out / "claims.json").read_bytes() == local.stdout_bytes
    for bad, message in (
        (["-f", "xml"], "unknown format 'xml'"),
        (["--resume"], "--resume is for local runs"),
        (["--part-size", "1M", "--part-docs", "10"], "not both"),
        (["--part-docs", "0"], "at least 1"),
        (["--part-size", "lots"], "--part-size: not a size"),
    ):
        result = CliRunner().invoke(app, [*base, *bad, "-o", str(out)])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and message in result.stderr, bad
    local_split = CliRunner().invoke(app, ["run", str(RULES), *inputs, "--part-docs", "10"])
    assert local_split.exit_code == 2 and "--engine dask" in local_split.stderr


def test_the_part_flags_on_the_command_line(client, corpus, tmp_path):
    out = tmp_path / "out"
    args = ["run", str(RULES), str(corpus / "docs.jsonl"), "--engine", "dask", "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--scheduler", client.scheduler.address, "--part-docs", "500"])
    assert result.exit_code == 1 and "4 parts written" in result.stderr
    assert "\r" not in result.stderr  # not a terminal: no progress bar
    assert _parts(out) == _local(str(corpus / "docs.jsonl"), "-f", "jsonl")


def test_progress_is_drawn_on_the_stream_given(client, corpus, tmp_path):
    bar = io.StringIO()
    run_job([RULES], [str(corpus / "small.jsonl")], tmp_path / "out", scheduler=client, progress=bar)
    assert re.search(r"\b[0-8]/8\b", bar.getvalue()) and "part" in bar.getvalue()  # eight parts


def test_bag_skips_what_is_no_document(client):
    book = compile_rules([RULES])
    seed = (ROOT / "seeds" / "000_64c20344fc942d5c.txt").read_text(encoding="utf-8")
    good = [{"id": f"g{k}", "text": seed} for k in range(4)]
    bad = [{"id": "no-text"}, {"id": "not-a-string", "text": 3}, {"text": "no id"}, ["not", "a", "dict"]]
    mixed = [good[0], bad[0], good[1], bad[1], bad[2], good[2], bad[3], good[3]]
    got = extract_bag(book, db.from_sequence(mixed, npartitions=3), client=client, errors="skip").compute()
    assert got == [st for d in good for st in book.extract(d["id"], d["text"])] and got
    with pytest.raises(ValueError, match="no `text`"):
        extract_bag(book, db.from_sequence(bad[:1], npartitions=1), client=client).compute()
    # each is reported, on the workers' event topic (events reach the scheduler in batches)
    deadline = time.monotonic() + 30
    while len(events := [e for _, e in client.get_events(SKIPPED)]) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(str(e["doc"]) for e in events[-4:]) == ["None", "None", "no-text", "not-a-string"]


def test_a_rulebook_pickles_with_the_standard_pickle():
    book = compile_rules([RULES])
    again = pickle.loads(pickle.dumps(book))
    assert again.rule_count == book.rule_count and set(again.sources) == set(book.sources)
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert again.extract(path.name, text) == book.extract(path.name, text)
    assert any(book.extract(p.name, p.read_text(encoding="utf-8")) for p in (ROOT / "seeds").glob("*.txt"))


def test_rule_provenance_does_not_depend_on_the_working_directory(client, monkeypatch, tmp_path):
    seed = str(sorted((ROOT / "seeds").glob("*.txt"))[0])
    outputs = []
    for cwd in (ROOT, tmp_path):
        monkeypatch.chdir(cwd)
        outputs.append(_local(seed, "-f", "jsonl"))
        found = compile_rules([RULES]).extract("d", Path(seed).read_text(encoding="utf-8"))
        assert found and {st["rule"]["file"] for st in found} <= {f"rules/{p.name}" for p in RULES.iterdir()}
    summary = run_job([RULES / "stances.ie", RULES], [seed], tmp_path / "out", scheduler=client)
    assert summary.statements and _parts(tmp_path / "out") == outputs[0]
    assert outputs[0] == outputs[1] and b'"file": "rules/' in outputs[0]
