"""The HTML report's structure, parsed with html.parser: every statement, offsets, escaping, CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.reader import Document
from ie_dsl.report import build_report

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
    """Elements as (tag, attrs, text inside) with the text pieces of each document section."""

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
def seed_book():
    return compile_rules([ROOT / "rules"])


@pytest.fixture(scope="module")
def seed_docs():
    return [Document(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in SEEDS]


@pytest.fixture(scope="module")
def seed_page(seed_book, seed_docs):
    html = build_report(seed_book, seed_docs)
    return html, Page(html)


def _data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="iedsl-data">(.*?)</script>', html, re.S)
    assert block
    return json.loads(block.group(1))


def _pieces(page: Page, doc: int) -> list[tuple[int, str, dict[str, str]]]:
    """(offset, text, attrs) of every text piece of document number `doc`, in order."""
    section = [e for e in page.elements if e[0] == "section" and e[1].get("data-d") == str(doc)]
    assert len(section) == 1
    # pieces are the spans with data-o; they appear in document order and only in .text
    start = page.elements.index(section[0])
    spans = []
    for tag, attrs, text in reversed(page.elements[:start]):
        if tag == "section":
            break
        if tag == "span" and "data-o" in attrs:
            spans.append((int(attrs["data-o"]), text, attrs))
    return sorted(spans, key=lambda p: p[0])


def test_every_seed_statement_is_listed(seed_page, seed_book, seed_docs):
    _html, page = seed_page
    expected = [seed_book.extract(d.id, d.text) for d in seed_docs]
    items = page.find("li", "st")
    assert len(items) == sum(map(len, expected)) > 0
    for number, found in enumerate(expected):
        mine = [e for e in items if e[1]["data-d"] == str(number)]
        assert [(e[1]["data-type"], e[1]["data-rule"]) for e in mine] == [
            (st["type"], st["rule"]["name"]) for st in found
        ]
    summary = page.find("span", "summary")[0][2]
    assert summary == f"{len(items)} of {len(items)} statements in {len(seed_docs)} documents"


def test_pieces_rebuild_each_document_at_the_right_offsets(seed_page, seed_docs):
    _html, page = seed_page
    for number, doc in enumerate(seed_docs):
        pieces = _pieces(page, number)
        assert "".join(text for _o, text, _a in pieces) == doc.text
        for offset, text, _attrs in pieces:
            assert doc.text[offset : offset + len(text)] == text


def test_sentences_and_arguments_map_to_their_text(seed_page, seed_book, seed_docs):
    html, page = seed_page
    data = _data(html)
    for number, doc in enumerate(seed_docs):
        starts = {o for o, _t, _a in _pieces(page, number)} | {len(doc.text)}
        for st, js in zip(seed_book.extract(doc.id, doc.text), data["docs"][number]["s"], strict=True):
            s, e = js["x"]
            assert (s, e) == (st["sentence"]["start"], st["sentence"]["end"])
            assert s in starts and e in starts  # a sentence is a run of whole pieces
            assert doc.text[s:e] == st["sentence"]["text"]
            for (role, a, b, ann), (role2, arg) in zip(js["a"], st["args"].items(), strict=True):
                assert role == role2 and doc.text[a:b] == arg["text"] and a in starts and b in starts
                if "type" in arg:
                    kind, canonical, _attrs, _src = data["docs"][number]["n"][ann]
                    assert data["types"][kind] == arg["type"]
                    assert canonical == arg.get("canonical", "")
                else:
                    assert ann == -1
    # the chips in the list show the argument texts
    chips = page.find("span", "val")
    texts = [
        arg["text"]
        for d in seed_docs
        for st in seed_book.extract(d.id, d.text)
        for arg in st["args"].values()
    ]
    assert [c[2] for c in chips] == texts


def test_annotation_pieces_name_their_annotations(seed_page, seed_docs):
    html, page = seed_page
    data = _data(html)
    pieces = _pieces(page, 0)
    anns = data["docs"][0]["n"]
    covered = [p for p in pieces if "data-a" in p[2]]
    assert covered
    for _o, _text, attrs in covered:
        ids = [int(i) for i in attrs["data-a"].split()]
        kinds = {f"t{anns[i][0]}" for i in ids}
        assert set(attrs["class"].split()) & kinds  # coloured by one of its annotations
    sources = {data["src"][a[3]] for a in anns}
    assert any(s.startswith("lexicon entry “") and "organizations.yaml:" in s for s in sources)
    assert any(re.match(r"rule THREAT \(.*threats\.ie:\d+\)", s) for s in sources)
    legend = page.find("button", "key")
    assert [b[2] for b in legend] == data["types"]


def test_hostile_documents_are_text_and_nothing_else(book):
    rules = book("rule warned: ORG ...{0,6} ~warn\nrule said: ORG said\n")
    html = build_report(rules, [Document(HOSTILE_ID, HOSTILE + "\ud800 CSTO said.")], title="<x>")
    page = Page(html)
    assert page.tags.count("script") == 2  # the JSON block and the page's own script
    assert "img" not in page.tags and "b" not in page.tags and "x" not in page.tags
    pieces = _pieces(page, 0)
    assert "".join(t for _o, t, _a in pieces) == HOSTILE + "\ufffd CSTO said."
    assert [e[2] for e in page.find("span", "docid")] == [HOSTILE_ID]
    assert page.find("title")[0][2] == "<x>"
    assert len(page.find("li", "st")) == 3
    data = _data(html)  # the JSON block parses back, untouched by the text around it
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


def test_extraction_errors_are_listed_or_raised(book, monkeypatch):
    rules = book("rule said: ORG said\n")
    import ie_dsl.report as report

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
    assert len(Page(html).find("li", "st")) == 1


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
    page = Page(out.read_text(encoding="utf-8"))
    ran = runner.invoke(app, ["run", str(ROOT / "rules"), *map(str, SEEDS), "-f", "jsonl", "-q"])
    assert len(page.find("li", "st")) == len(ran.stdout.splitlines()) > 0


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
