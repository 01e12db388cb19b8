"""The HTML report's frame (parsed with html.parser) and data (its JSON block): every statement,
offsets, annotations, escaping, dates, documents left out past a size, and the command."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import re
import stat
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.scale.reader import Document
from ie_dsl.tools.report import KEEP_EMPTY_UP_TO, PAGE_SIZE, Report, build_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from growth import LINEAR_RATIO, line_growth  # noqa: E402

SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
runner = CliRunner()

HOSTILE = (
    "The CSTO said \"</script><script>window.pwned=1</script>\" and 'quotes' & <b>bold</b>.\n"
    'CSTO warned of <img src=x onerror="window.pwned=1"> <!-- and ]]> \u2028 too.\n'
)
HOSTILE_ID = '"><img src=x onerror=alert(1)>.txt'


class Page(HTMLParser):
    """Elements as (tag, attrs, text inside)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str], list[str]]] = []
        self.elements: list[tuple[str, dict[str, str], str]] = []
        self.tags: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("meta", "input", "br"):
            self.elements.append((tag, dict(attrs), ""))
            return
        self.stack.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag):
        while self.stack:
            name, attrs, parts = self.stack.pop()
            text = "".join(parts)
            self.elements.append((name, attrs, text))
            if self.stack:
                self.stack[-1][2].append(text)
            if name == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)

    def find(self, tag: str, cls: str | None = None, **attrs: str) -> list[tuple[str, dict[str, str], str]]:
        return [
            e
            for e in self.elements
            if e[0] == tag
            and (cls is None or cls in e[1].get("class", "").split())
            and all(e[1].get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


@pytest.fixture(scope="module")
def tiny_rules(tmp_path_factory) -> Path:
    """A rule directory that compiles at once: for the command's own behaviour."""
    rules = tmp_path_factory.mktemp("tiny-rules")
    (rules / "orgs.yaml").write_text("type: ORG\nentries: [CSTO]\n", encoding="utf-8")
    (rules / "main.ie").write_text("rule said: ORG said\n", encoding="utf-8")
    return rules


@pytest.fixture(scope="module")
def seed_book():
    return compile_rules([ROOT / "rules"])


@pytest.fixture(scope="module")
def seed_docs():
    return [Document(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in SEEDS]


@pytest.fixture(scope="module")
def seed_page(seed_book, seed_docs):
    html = build_report(seed_book, seed_docs)
    return html, Page(html)


def data_of(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="iedsl-data">(.*?)</script>', html, re.S)
    assert block
    return json.loads(block.group(1))


def test_every_seed_statement_is_in_the_data(seed_page, seed_book, seed_docs):
    html, page = seed_page
    data = data_of(html)
    expected = [seed_book.extract(d.id, d.text) for d in seed_docs]
    assert [d["id"] for d in data["docs"]] == [d.id for d in seed_docs]
    assert [d["t"] for d in data["docs"]] == [d.text for d in seed_docs]
    for doc, found in zip(data["docs"], expected, strict=True):
        assert [(s["t"], s["r"]) for s in doc["s"]] == [(st["type"], st["rule"]["name"]) for st in found]
        assert [s["f"] for s in doc["s"]] == [f"{st['rule']['file']}:{st['rule']['line']}" for st in found]
    total = sum(map(len, expected))
    assert total > 0 and data["page"] == PAGE_SIZE and data["left_out"] == 0
    summary = page.find("span", "summary")[0][2]
    assert summary == f"{total} of {total} statements in {len(seed_docs)} of {len(seed_docs)} documents"
    boxes = {
        e[1]["value"]: e for e in page.find("input") if e[1].get("type") == "checkbox" and "value" in e[1]
    }
    for kind in {st["type"] for found in expected for st in found}:
        assert kind in boxes  # a filter box per statement type
    assert {e[1]["id"] for e in page.elements if "id" in e[1]} >= {"q", "index-list", "docs", "prev", "next"}


def test_sentences_arguments_and_annotations_map_to_their_text(seed_page, seed_book, seed_docs):
    data = data_of(seed_page[0])
    for doc, source in zip(data["docs"], seed_docs, strict=True):
        text = doc["t"]
        starts = [a[1] for a in doc["n"]]
        assert starts == sorted(starts)  # by start (the script's sweep relies on it)
        for kind, s, e in doc["n"]:
            assert 0 <= s < e <= len(text)
            kind_of, _canonical, _attrs, src = data["kinds"][kind]
            assert data["types"][kind_of] and data["src"][src]
        for js, st in zip(doc["s"], seed_book.extract(source.id, source.text), strict=True):
            s, e = js["x"]
            assert text[s:e] == st["sentence"]["text"]
            for (role, a, b, ann), (role2, arg) in zip(js["a"], st["args"].items(), strict=True):
                assert role == role2 and text[a:b] == arg["text"]
                if "type" in arg:
                    kind, start, end = doc["n"][ann]
                    kind_of, canonical, _attrs, _src = data["kinds"][kind]
                    assert (data["types"][kind_of], start, end) == (arg["type"], a, b)
                    assert canonical == arg.get("canonical", "")
                else:
                    assert ann == -1
    sources = set(data["src"])
    assert any(s.startswith("lexicon entry “") and "organizations.yaml:" in s for s in sources)
    assert any(re.match(r"rule THREAT \(.*threats\.ie:\d+\)", s) for s in sources)
    assert [b[2] for b in Page(seed_page[0]).find("button", "key")] == data["types"]


def test_dates_are_dates_and_other_fields_are_json(seed_page, seed_book, seed_docs):
    html, _page = seed_page
    data = data_of(html)
    dated = [
        (js, st)
        for doc, d in zip(data["docs"], seed_docs, strict=True)
        for js, st in zip(doc["s"], seed_book.extract(d.id, d.text), strict=True)
        if "when" in st
    ]
    assert dated
    for js, st in dated:
        when = st["when"]
        assert js["w"] == [when["value"], when["grain"], when["text"], when["start"], when["end"]]
        assert js["m"] == st["modality"]
    assert "{'value'" not in html and "'grain'" not in html  # no Python dict anywhere
    report = Report(seed_book)
    odd = {**dated[0][1], "confidence": {"score": 0.5}, "when": "2024-02"}
    report.add_found("x", "x" * 5000, [odd])
    (js,) = report.docs[0]["s"]
    assert js["w"] == ["2024-02"] and js["e"] == 'confidence={"score": 0.5}'


def test_hostile_documents_are_text_and_nothing_else(book):
    rules = book("rule warned: ORG ...{0,6} ~warn\nrule said: ORG said\n")
    html = build_report(rules, [Document(HOSTILE_ID, HOSTILE + "\ud800 CSTO said.")], title="<x>")
    page = Page(html)
    assert page.tags.count("script") == 2  # the JSON block and the page's own script
    assert "img" not in page.tags and "b" not in page.tags and "x" not in page.tags
    assert page.find("title")[0][2] == "<x>"
    data = data_of(html)  # the JSON block parses back, untouched by the text around it
    assert data["docs"][0]["id"] == HOSTILE_ID
    assert data["docs"][0]["t"] == HOSTILE + "\ufffd CSTO said."  # a lone surrogate: same length
    assert len(data["docs"][0]["s"]) == 3
    assert "</script" not in html.split('id="iedsl-data">', 1)[1].split("</script>", 1)[0]


def test_content_security_policy_allows_only_the_page_itself(seed_page):
    html, page = seed_page
    (csp,) = [
        m[1]["content"] for m in page.find("meta") if m[1].get("http-equiv") == "Content-Security-Policy"
    ]
    assert "default-src 'none'" in csp
    script = [e for e in page.elements if e[0] == "script" and "type" not in e[1]][0][2]
    style = page.find("style")[0][2]

    def digest(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src '{digest(script)}'" in csp and f"style-src '{digest(style)}'" in csp
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)  # nothing to fetch
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def test_extraction_errors_are_listed_or_raised(book, monkeypatch):
    rules = book("rule said: ORG said\n")
    import ie_dsl.tools.report as report

    real = report.annotate

    def flaky(program, view):
        if view.doc_id == "bad":
            raise RuntimeError("boom <here>")
        real(program, view)

    monkeypatch.setattr(report, "annotate", flaky)
    docs = [Document("good", "CSTO said."), Document("bad", "CSTO said.")]
    with pytest.raises(RuntimeError):
        build_report(rules, docs)
    seen = []
    html = build_report(rules, docs, on_error=lambda w, r: seen.append((w, r)))
    assert seen == [("bad", "RuntimeError: boom <here>")]
    assert "<li>bad: RuntimeError: boom &lt;here&gt;</li>" in html
    assert [d["id"] for d in data_of(html)["docs"]] == ["good"]


def test_documents_without_statements_are_left_out_past_a_size(book):
    rules = book("rule said: ORG said\n")
    n = KEEP_EMPTY_UP_TO + 50
    docs = [Document(f"d{k}", "CSTO said." if k % 10 == 0 else "Nothing here.") for k in range(n)]
    with_statements = [d.id for d in docs if d.text.startswith("CSTO")]
    html = build_report(rules, docs)
    data = data_of(html)
    assert [d["id"] for d in data["docs"]] == with_statements  # the early empty ones dropped too
    assert data["left_out"] == n - len(with_statements)
    assert f"{n - len(with_statements)} documents without statements left out" in html
    assert "--all-documents" in Page(html).find("span", "summary")[0][2]
    every = data_of(build_report(rules, docs, all_documents=True))
    assert [d["id"] for d in every["docs"]] == [d.id for d in docs] and every["left_out"] == 0
    few = data_of(build_report(rules, docs[:KEEP_EMPTY_UP_TO]))  # up to the size: all kept
    assert len(few["docs"]) == KEEP_EMPTY_UP_TO and few["left_out"] == 0


def test_many_documents_stay_linear(seed_book, seed_docs):
    """The page and the work (lines executed, the same on any machine) grow with the documents,
    not faster. The time is measured on demand by benchmarks/growth.py."""
    docs = [Document(f"d{i}", seed_docs[i % len(seed_docs)].text) for i in range(40)]
    html = build_report(seed_book, docs)
    assert len(html) < 25_000 * len(docs)
    assert line_growth("report") <= LINEAR_RATIO


def test_cli_show_writes_the_page(tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["show", str(ROOT / "rules"), *map(str, SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "statements from" not in result.stdout  # the summary goes to stderr
    data = data_of(out.read_text(encoding="utf-8"))
    ran = runner.invoke(app, ["run", str(ROOT / "rules"), *map(str, SEEDS), "-f", "jsonl", "-q"])
    assert sum(len(d["s"]) for d in data["docs"]) == len(ran.stdout.splitlines()) > 0
    assert not [p for p in tmp_path.iterdir() if p.name != "report.html"]  # no temporary file left


def test_cli_show_all_documents(tmp_path, tiny_rules):
    corpus = tmp_path / "c.jsonl"
    rows = [{"id": f"d{k}", "text": "Nothing." if k else "CSTO said."} for k in range(KEEP_EMPTY_UP_TO + 1)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "r.html"
    shown = runner.invoke(app, ["show", str(tiny_rules), str(corpus), "-o", str(out)])
    assert shown.exit_code == 0, shown.stderr
    assert f"({KEEP_EMPTY_UP_TO} without statements left out" in shown.stderr
    assert [d["id"] for d in data_of(out.read_text())["docs"]] == ["d0"]
    shown = runner.invoke(app, ["show", str(tiny_rules), str(corpus), "-o", str(out), "--all-documents"])
    assert shown.exit_code == 0 and len(data_of(out.read_text())["docs"]) == len(rows)


def test_cli_show_usage_and_problems(tmp_path):
    rules = str(ROOT / "rules")
    assert runner.invoke(app, ["show", rules, str(SEEDS[0])]).exit_code == 2  # no -o
    assert runner.invoke(app, ["show", rules, "-o", str(tmp_path / "x.html")]).exit_code == 2  # no inputs
    missing = tmp_path / "missing.txt"
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["show", rules, str(SEEDS[0]), str(missing), "-o", str(out)])
    assert result.exit_code == 1
    assert "missing.txt" in out.read_text(encoding="utf-8").split("<main>")[0]  # listed as skipped
    result = runner.invoke(app, ["show", rules, str(SEEDS[0]), "-o", "-", "-q"])
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("where", ["fifo", "directory", "no-directory"])
def test_cli_show_refuses_an_output_it_cannot_replace(tmp_path, tiny_rules, where):
    target = tmp_path / "target"
    if where == "fifo":
        os.mkfifo(target)
    elif where == "directory":
        target.mkdir()
    else:
        target = tmp_path / "missing" / "r.html"
    result = runner.invoke(app, ["show", str(tiny_rules), str(SEEDS[0]), "-o", str(target)])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: -o {target}: ")
    if where == "fifo":
        assert "FIFO" in line and stat.S_ISFIFO(os.lstat(target).st_mode)  # left as it was


def test_cli_show_says_when_the_page_cannot_be_written(tmp_path, tiny_rules, monkeypatch):
    import ie_dsl.cli.target as target

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(target, "write_atomic", full)
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["show", str(tiny_rules), str(SEEDS[0]), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip() == f"error: cannot write {out}: No space left on device; it was not changed"
