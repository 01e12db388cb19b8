"""Bad documents (docs/reliability.md, "Bad documents"): every class of bad input is either
processed or reported with its path (and line) and reason, and the run goes on.

The fixture is built here: a directory with one text file per class and a JSONL file that
interleaves every broken-line class with good lines. Each good document says "said" once,
so the rule `said` gives exactly one statement per good document: the test can check that
every good document, and nothing else, was processed.
"""

from __future__ import annotations

import builtins
import gzip
import io
import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl.cli import app
from ie_dsl.scale.reader import (
    Document,
    Problem,
    ReadOptions,
    document_date,
    expand_inputs,
    parse_size,
    read_documents,
    read_paths,
)

runner = CliRunner()

GOOD_JSONL = [f"g{k}" for k in range(1, 10)]
# Text files: name -> (bytes, what must happen: an error kind, or None for processed).
TEXT_FILES: dict[str, tuple[bytes, str | None]] = {
    "good.txt": (b"The minister said it again.", None),
    "bom.txt": (b"\xef\xbb\xbfShe said so.", None),
    "empty.txt": (b"", None),  # processed: no statements, not an error
    "blank.md": (b"  \n\n", None),
    "crlf.text": (b"He said\r\nthings.\r\n", None),
    "bad_utf8.txt": (b"line one\ncaf\xe9 said\n", "encoding"),
    "surrogate_utf8.txt": (b"x \xed\xa0\x80 said", "encoding"),  # UTF-8 of U+D800: not valid UTF-8
    "binary.txt": (b"GIF89a\x00\x01said", "binary"),
    "utf16.txt": ("He said.".encode("utf-16"), "encoding"),
    # a JSONL file in UTF-16 is one report for the file, not one per line (or per NUL)
    "utf16.jsonl": ('{"id": "w", "text": "said"}\n{"text": "said"}\n'.encode("utf-16"), "encoding"),
    "big.txt": (b"said " * 2000, "too_large"),  # 10,000 bytes, over --max-doc-bytes 5000
    "noperm.txt": (b"They said.", "unreadable"),
}


def _jsonl_lines() -> list[tuple[bytes, str | None]]:
    """(line, what must happen) for corpus.jsonl: good lines between every broken class."""
    good = iter(GOOD_JSONL)

    def ok() -> tuple[bytes, None]:
        line = json.dumps({"id": next(good), "text": "Officials said\tnothing."}).encode()
        return line.replace(b"\\t", b"\t"), None  # a raw tab in a string: accepted

    return [
        (b"\xef\xbb\xbf" + ok()[0], None),  # a BOM before the first line is dropped
        (b'{"id": "u", "text": "caf\xe9 said"}', "encoding"),
        ok(),
        (b'{"id": "t", "text": "said', "json"),  # cut off
        (b"[1, 2, 3]", "not_object"),
        (b'"a string"', "not_object"),
        (b"null", "not_object"),
        ok(),
        (b'{"id": "nt"}', "text"),
        (b'{"id": "nt2", "text": 5}', "text"),
        (b'{"id": "s1", "text": "x \\ud800 said"}', "encoding"),  # a lone surrogate via an escape
        (b'{"id": "s2\\udfff", "text": "said"}', "encoding"),
        (b'{"id": [1], "text": "said"}', "id"),
        ok(),
        (b'{"id": "d1", "text": "not said", "text": "said"}', "json"),  # which text? ambiguous
        (b'{"id": "d2", "text": "said", "meta": {"k": 1, "k": 2}}', "json"),  # at any depth
        (b"", None),  # blank lines are skipped: neither a document nor an error
        (b"   \t", None),
        (b'{"id": "big", "text": "' + b"said " * 1500 + b'"}', "too_large"),
        (b"[" * 100_000, "too_large"),
        (b"[" * 4_000, "json"),  # nested too deeply for the parser
        ok(),
        (b'{"id": "n", "text": "said", "n": ' + b"9" * 4400 + b"}", "json"),  # over int limits
        (b"\x00\x01\x02 binary garbage \xff\xfe", "encoding"),
        (b"{not json}", "json"),
        ok(),
        (b'{"text": "no id: the line is the id, said"}', None),
        (json.dumps({"id": 7, "text": "an integer id said"}).encode(), None),
        ok(),
        ok(),
        ok(),
    ]


NO_ID_LINE = next(n for n, (line, _) in enumerate(_jsonl_lines(), 1) if line.startswith(b'{"text"'))


def _fixture(tmp_path: Path) -> Path:
    d = tmp_path / "inputs"
    d.mkdir()
    for name, (data, _) in TEXT_FILES.items():
        (d / name).write_bytes(data)
    (d / "corpus.jsonl").write_bytes(b"\n".join(line for line, _ in _jsonl_lines()) + b"\n")
    gz = gzip.compress(b"\n".join(json.dumps({"id": f"z{k}", "text": "said"}).encode() for k in range(50)))
    (d / "cut.jsonl.gz").write_bytes(gz[: len(gz) // 2])  # a download that stopped half-way
    (d / "notes.csv").write_text("ignored: not a known suffix")
    (d / "sub").mkdir()
    (d / "sub" / "inner.txt").write_text("Deeper, he said.")
    return d


def _rules(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir(exist_ok=True)
    (d / "said.ie").write_text("rule said: ~say\n")
    return d


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch):
    """Make files named noperm.txt unreadable: chmod 000, or (as root, who reads anyway) an
    open() that fails the way the system would."""

    def install(directory: Path) -> None:
        target = directory / "noperm.txt"
        target.chmod(0)
        if os.geteuid() != 0:
            return

        def fake_open(file, *args, **kwargs):
            if str(file).endswith("noperm.txt"):
                raise PermissionError(13, "Permission denied", str(file))
            return builtins.open(file, *args, **kwargs)

        monkeypatch.setattr("ie_dsl.scale.reader.open", fake_open, raising=False)

    return install


def _expected_kinds() -> Counter:
    kinds = Counter(kind for _, kind in TEXT_FILES.values() if kind)
    kinds.update(kind for _, kind in _jsonl_lines() if kind)
    kinds["unreadable"] += 1  # cut.jsonl.gz, after the lines it could read
    kinds["missing"] += 3  # the empty directory, the glob that matches nothing, the missing file
    return kinds


def test_every_bad_class_is_reported_and_every_good_document_processed(tmp_path, unreadable):
    inputs = _fixture(tmp_path)
    unreadable(inputs)
    (tmp_path / "emptydir").mkdir()
    errors = tmp_path / "errors.jsonl"
    out = tmp_path / "out.jsonl"
    args = [
        str(inputs),
        str(tmp_path / "emptydir"),
        str(tmp_path / "nomatch*.txt"),
        str(tmp_path / "gone.txt"),
    ]
    result = runner.invoke(
        app,
        [
            "run",
            str(_rules(tmp_path)),
            *args,
            "-o",
            str(out),
            "--max-doc-bytes",
            "5000",
            "--errors",
            str(errors),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr

    records = [json.loads(line) for line in errors.read_text().splitlines()]
    assert Counter(r["kind"] for r in records) == _expected_kinds()
    # Every report names its source (and line for JSONL) and gives a reason on stderr too.
    for r in records:
        where = f"{r['source']}:{r['line']}" if r["line"] else r["source"]
        assert f"warning: skipped {where}: {r['reason']}" in result.stderr
    jsonl = {r["line"]: r["kind"] for r in records if r["source"].endswith("corpus.jsonl")}
    assert jsonl == {n: kind for n, (_, kind) in enumerate(_jsonl_lines(), 1) if kind}
    cut = next(r for r in records if r["source"].endswith(".gz"))
    assert cut["line"] > 1 and "cannot read past line" in cut["reason"]

    statements = [json.loads(line) for line in out.read_text().splitlines()]
    docs = Counter(st["doc"] for st in statements)
    good_text = {
        str(inputs / n) for n, (data, kind) in TEXT_FILES.items() if kind is None and b"said" in data
    }
    readable_z = {f"z{k}" for k in range(50)} & set(docs)
    expected = {
        *good_text,
        str(inputs / "sub" / "inner.txt"),
        *GOOD_JSONL,
        f"{inputs / 'corpus.jsonl'}:{NO_ID_LINE}",
        "7",
        *readable_z,
    }
    assert set(docs) == expected and all(n == 1 for n in docs.values())
    assert readable_z, "the lines of the .gz before the cut are processed"
    processed = len(expected) + 2  # + empty.txt and blank.md: processed, no statements
    failed = sum(_expected_kinds().values())
    assert f"{len(statements)} statements from {processed} documents" in result.stderr
    assert f"; {failed} failed" in result.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])  # with a BOM, and without
def test_a_utf16_jsonl_file_is_reported_once_as_utf16(tmp_path, encoding):
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "g", "text": "said"}\n')
    bad = tmp_path / "wide.jsonl"
    bad.write_bytes("".join(f'{{"id": "w{k}", "text": "said"}}\n' for k in range(3)).encode(encoding))
    seen: list[Problem] = []
    docs = list(read_paths([str(bad), str(good)], seen.append, ReadOptions()))
    assert [d.id for d in docs] == ["g"]
    assert [(p.source, p.kind, p.line) for p in seen] == [(str(bad), "encoding", None)]
    assert "UTF-16" in seen[0].reason and "UTF-8" in seen[0].reason


def test_a_key_given_twice_makes_the_jsonl_line_a_json_error_naming_it(tmp_path):
    corpus = tmp_path / "dup.jsonl"
    corpus.write_bytes(
        b'{"id": "a", "text": "harmless", "text": "said"}\n'
        b'{"id": "b", "text": "said"}\n'
        b'{"id": "c", "id": "c2", "text": "said"}\n'
    )
    seen: list[Problem] = []
    docs = list(read_paths([str(corpus)], seen.append, ReadOptions()))
    assert [d.id for d in docs] == ["b"]  # the others are skipped, not read with the last value
    assert [(p.kind, p.line) for p in seen] == [("json", 1), ("json", 3)]
    assert "'text'" in seen[0].reason and "'id'" in seen[1].reason and "twice" in seen[0].reason


def test_replace_reads_invalid_text_with_u_fffd_and_keeps_offsets(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_bytes(b"caf\xe9 said it")
    (inputs / "b.jsonl").write_bytes(
        b'{"id": "s", "text": "x\\ud800y said"}\n{"id": "u", "text": "\xff said"}\n'
    )
    result = runner.invoke(
        app, ["run", str(_rules(tmp_path)), str(inputs), "-f", "jsonl", "--encoding-errors", "replace"]
    )
    assert result.exit_code == 0, result.output
    got = {st["doc"]: st for st in map(json.loads, result.stdout.splitlines())}
    texts = {str(inputs / "a.txt"): "caf\ufffd said it", "s": "x\ufffdy said", "u": "\ufffd said"}
    assert set(got) == set(texts)
    for doc, st in got.items():  # offsets count characters of the decoded text
        assert texts[doc][st["span"]["start"] : st["span"]["end"]] == "said"
    strict = runner.invoke(app, ["run", str(_rules(tmp_path)), str(inputs), "-f", "jsonl"])
    assert strict.exit_code == 1 and strict.stdout == ""
    assert strict.stderr.count("--encoding-errors replace") == 3


def test_size_limit_is_checked_before_reading_and_can_be_raised_or_lifted(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_bytes(b"said " * 2000)
    seen: list[Problem] = []
    docs = list(read_paths([str(big)], seen.append, ReadOptions(max_doc_bytes=9_999)))
    assert docs == [] and [p.kind for p in seen] == ["too_large"] and "10,000 bytes" in seen[0].reason
    assert len(list(read_paths([str(big)], seen.append, ReadOptions(max_doc_bytes=10_000)))) == 1
    assert len(list(read_paths([str(big)], seen.append, ReadOptions(max_doc_bytes=0)))) == 1
    assert (parse_size("50M"), parse_size("2g"), parse_size("64kb"), parse_size("0")) == (
        50_000_000,
        2_000_000_000,
        64_000,
        0,
    )
    with pytest.raises(ValueError):
        parse_size("lots")
    result = runner.invoke(app, ["run", str(_rules(tmp_path)), str(big), "--max-doc-bytes", "lots"])
    assert result.exit_code == 2 and "--max-doc-bytes" in result.stderr


def test_stdin_text_jsonl_and_limit(tmp_path, monkeypatch):
    rules = str(_rules(tmp_path))
    result = runner.invoke(
        app, ["run", rules, "-", "-f", "jsonl"], input=b"\n\n" + b'{"text": "said"}\n[1]\n'
    )
    assert result.exit_code == 1 and "<stdin>:4: a JSONL line must be an object" in result.stderr
    assert json.loads(result.stdout)["doc"] == "<stdin>:3"
    result = runner.invoke(
        app, ["run", rules, "-", "-f", "jsonl", "--max-doc-bytes", "10"], input=b"said " * 10
    )
    assert result.exit_code == 1 and "<stdin>: too large" in result.stderr
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9 said")))
    seen: list[tuple[str, str]] = []
    assert list(read_documents(["-"], lambda w, r: seen.append((w, r)))) == []
    assert seen[0][0] == "<stdin>" and "invalid UTF-8" in seen[0][1]


def test_inputs_are_sorted_and_read_once_whatever_the_argument_order(tmp_path):
    inputs = _fixture(tmp_path)
    files = [str(inputs / n) for n in ("good.txt", "bom.txt", "crlf.text")]
    one = expand_inputs([str(inputs), *files])
    two = expand_inputs([*reversed(files), f"{inputs}/.", f"{inputs}//good.txt", str(inputs / "*.txt")])
    assert one == sorted(one) and len(one) == len(set(one))
    assert [os.path.abspath(p) for p in one] == [os.path.abspath(p) for p in two]
    assert str(inputs / "notes.csv") not in one and str(inputs / "sub" / "inner.txt") in one


def test_a_directory_or_glob_that_gives_no_file_is_reported(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.pdf").write_bytes(b"%PDF")
    (tmp_path / "d" / "e.txt").mkdir()  # a directory with a text suffix: not a document
    seen: list[Problem] = []
    args = [str(tmp_path / "d"), str(tmp_path / "*.nothing"), str(tmp_path / "d" / "*.txt")]
    assert expand_inputs(args, seen.append) == []
    assert [p.kind for p in seen] == ["missing"] * 3
    assert [p.reason for p in seen] == [
        "no .txt, .text, .md, .jsonl, .jsonl.gz, .ndjson files in this directory",
        "no files match this pattern",
        "no files match this pattern",
    ]
    # A glob names files: they are read whatever their suffix.
    assert expand_inputs([str(tmp_path / "d" / "*")], seen.append) == [str(tmp_path / "d" / "x.pdf")]


def test_the_jsonl_date_is_read_and_a_bad_one_is_noted_once(tmp_path):
    assert document_date(Document("x", "", {"date": "26-FEB-1987 15:02:20.00"})) == date(1987, 2, 26)
    assert document_date(Document("x", "", {"date": "2024-05-01T10:00:00Z"})) == date(2024, 5, 1)
    assert document_date(Document("x", "", {})) is None
    with pytest.raises(ValueError):
        document_date(Document("x", "", {"date": "soon"}))
    corpus = tmp_path / "c.jsonl"
    lines = [
        {"id": "a", "text": "He said.", "date": "soon"},
        {"id": "b", "text": "She said.", "date": "later"},
    ]
    corpus.write_text("".join(json.dumps(x) + "\n" for x in lines))
    result = runner.invoke(app, ["run", str(_rules(tmp_path)), str(corpus), "-f", "jsonl"])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2  # metadata never costs a document
    assert result.stderr.count("note:") == 1 and "c.jsonl:1: `date` 'soon'" in result.stderr
