"""The report in a real headless Chromium (Debian's chromium + chromium-driver), via Selenium.

The test starts the browser itself on file:// URLs. It fails, never skips, when the
browser is missing: `make test` installs it. Set IEDSL_SCREENSHOT=docs/report-seeds.png to
save the screenshot shown in docs/report.md. The seed report is checked in depth (every
document's text rebuilt from its pieces, a click, hover cards, filters); a report of 20,000
synthetic documents with about 35,000 statements (benchmarks/report_scale.py makes them) for
what makes it scale: only a page of documents and a chunk of the index rendered, search,
paging, the index; a claims page for collapsed clusters. Load times are measured by
benchmarks/report_scale.py and written in docs/performance.md, not asserted here.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.cli import app
from ie_dsl.run.runtime import Annotation
from ie_dsl.scale.reader import Document
from ie_dsl.tools.report import PAGE_SIZE, Report, build_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from report_scale import synthetic_documents  # noqa: E402

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]
HOSTILE = (
    '<script>window.pwned=1</script> 😀 "CSTO" warned <img src=x onerror="window.pwned=1"> it\'s & <b>\n'
)


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: install Debian's chromium and chromium-driver "
            "(apt-get install -y chromium chromium-driver; make test does it)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="iedsl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory):
    """(path of `iedsl show rules/ seeds/`, the statements `iedsl run rules/ seeds/` gives)."""
    out = tmp_path_factory.mktemp("report") / "seeds.html"
    here = os.getcwd()
    os.chdir(ROOT)  # documents named seeds/..., as a user at the top of the checkout sees them
    try:
        shown = CliRunner().invoke(app, ["show", "rules/", "seeds/", "-o", str(out), "-q"])
        ran = CliRunner().invoke(app, ["run", "rules/", "seeds/", "-f", "jsonl", "-q"])
    finally:
        os.chdir(here)
    assert shown.exit_code == 0, shown.output
    assert ran.exit_code == 0, ran.output
    return out, [json.loads(line) for line in ran.stdout.splitlines()]


def _errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _visible(driver, css: str) -> list:
    return [el for el in driver.find_elements("css selector", css) if el.is_displayed()]


def _marked_texts(driver, cls: str) -> list[tuple[int, str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.' + arguments[0]))"
        ".map(e => [+e.getAttribute('data-o'), e.textContent]);",
        cls,
    )


def _search(driver, query: str) -> None:
    box = driver.find_element("id", "q")
    box.clear()
    box.send_keys(query + "\n")


def _sections(driver) -> list[int]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('section.doc')).map(s => +s.dataset.d)"
    )


def test_seed_report_in_chromium(browser, seed_report):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    path, statements = seed_report
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert _errors(browser) == []
    items = browser.find_elements("css selector", "li.st")
    assert len(items) == len(statements) > 0
    assert browser.find_element("id", "shown").text == str(len(statements))

    # each document's pieces rebuild its text, each piece at its offset
    texts = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in ROOT.glob("seeds/*.txt")}
    pieces = browser.execute_script(
        "return Array.from(document.querySelectorAll('section.doc')).map(s => [s.querySelector('.docid')"
        ".textContent, Array.from(s.querySelectorAll('.text>span')).map(e => [+e.dataset.o, e.textContent])])"
    )
    assert sorted(doc for doc, _p in pieces) == sorted(texts)
    for doc, parts in pieces:
        assert "".join(t for _o, t in parts) == texts[doc]
        assert all(texts[doc][o : o + len(t)] == t for o, t in parts)
    assert browser.execute_script("return document.querySelectorAll('#index-list li').length") == len(texts)

    # click a statement with several arguments: its sentence and arguments light up
    pick = next(i for i, st in enumerate(statements) if len(st["args"]) >= 3)
    st = statements[pick]
    target = items[pick]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()
    assert "sel" in target.get_attribute("class").split()
    sentence = _marked_texts(browser, "hl-sent")
    assert sentence[0][0] == st["sentence"]["start"]
    assert "".join(t for _o, t in sentence) == st["sentence"]["text"]
    marked = _marked_texts(browser, "hl-arg")
    for arg in st["args"].values():
        inside = [t for o, t in marked if arg["start"] <= o < arg["end"]]
        assert "".join(inside) == arg["text"]
    when = st.get("when") or {}
    spans = [*st["args"].values(), *([when] if "start" in when else [])]
    assert sum(len(t) for _o, t in marked) == sum(a["end"] - a["start"] for a in spans)
    in_view = browser.execute_script(
        "const r = document.querySelector('.hl-sent').getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight;"
    )
    assert in_view, "the sentence was not scrolled into view"

    # hovering an argument, in the list and in the text, names role, type, canonical and source
    role, arg = next((r, a) for r, a in st["args"].items() if "canonical" in a)
    chip = target.find_elements("css selector", ".arg")[list(st["args"]).index(role)]
    ActionChains(browser).move_to_element(chip).perform()
    tip = browser.find_element("id", "tip")
    assert tip.is_displayed()
    card = tip.text
    assert f"{role} · {arg['type']}" in card and f"canonical: {arg['canonical']}" in card
    assert "lexicon entry" in card or "from rule" in card
    assert f"rule {st['rule']['name']} ({st['rule']['file']}:{st['rule']['line']})" in card
    piece = browser.execute_script(
        "return Array.from(document.querySelectorAll('.hl-arg')).find(e => +e.dataset.o === arguments[0]);",
        arg["start"],
    )
    ActionChains(browser).move_to_element(piece).perform()
    card = tip.text
    assert arg["type"] in card and f"argument: {role} in {st['type']}" in card
    if os.environ.get("IEDSL_SCREENSHOT"):
        browser.execute_script("window.scrollBy(0, -120)")
        ActionChains(browser).move_to_element(chip).perform()
        browser.save_screenshot(os.environ["IEDSL_SCREENSHOT"])

    # a dated statement shows its date as a date
    dated = [(i, s) for i, s in enumerate(statements) if s.get("when")]
    assert dated
    for i, s in dated:
        chip = items[i].find_element("css selector", ".arg.when")
        text = browser.execute_script("return arguments[0].textContent", chip)
        assert text == f"when {s['when']['value']} “{s['when']['text']}”"

    # filters: one statement type, then one rule
    kinds = sorted({s["type"] for s in statements})
    keep = st["type"]
    for box in browser.find_elements("css selector", "#f-types input"):
        if box.get_attribute("value") != keep:
            box.click()
    shown = _visible(browser, "li.st")
    assert len(shown) == sum(s["type"] == keep for s in statements) and len(kinds) > 1
    assert {el.get_attribute("data-type") for el in shown} == {keep}
    assert browser.find_element("id", "shown").text == str(len(shown))
    for box in browser.find_elements("css selector", "#f-types input"):
        if not box.is_selected():
            box.click()
    Select(browser.find_element("id", "f-rule")).select_by_value(st["rule"]["name"])
    shown = _visible(browser, "li.st")
    assert len(shown) == sum(s["rule"]["name"] == st["rule"]["name"] for s in statements)
    assert _errors(browser) == []

    # the error check is live: an error in the page is caught
    browser.execute_script("setTimeout(() => { throw new Error('probe'); }, 0)")
    browser.execute_script("return new Promise(r => setTimeout(r, 50))")
    assert any("probe" in e["message"] for e in _errors(browser))


def test_hostile_document_stays_text_in_chromium(browser, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "orgs.yaml").write_text("type: ORG\nentries: [CSTO]\n")
    (rules / "main.ie").write_text("rule warned: ORG ...{0,2} ~warn\n")
    doc = tmp_path / '"><script>alert(1)<script>.txt'
    doc.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "hostile.html"
    result = CliRunner().invoke(app, ["show", str(rules), str(doc), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(out.as_uri())
    assert browser.execute_script("return window.pwned") is None
    assert browser.execute_script("return document.querySelector('.text').textContent") == HOSTILE
    assert browser.find_element("css selector", ".docid").text == doc.as_posix()
    assert (
        browser.execute_script("return document.querySelectorAll('main img, main b, main script').length")
        == 0
    )
    # offsets count code points (the emoji is one), as Python's do
    browser.find_element("css selector", "li.st").click()
    assert _marked_texts(browser, "hl-arg") == [[HOSTILE.index("CSTO"), "CSTO"]]
    assert _errors(browser) == []


@pytest.fixture(scope="module")
def big_report(tmp_path_factory):
    """20,000 synthetic documents with their statements (~35,000), put in a report as found."""
    book = compile_rules([ROOT / "rules"])
    docs = synthetic_documents()
    report = Report(book)
    for doc in docs:
        marks = [
            Annotation(arg["type"], arg["start"], arg["end"], None, (), "builtin:synthetic")
            for st in doc["statements"]
            for arg in st["args"].values()
        ]
        report.add_found(doc["id"], doc["text"], doc["statements"], marks)
    out = tmp_path_factory.mktemp("big") / "big.html"
    out.write_text(report.html("20,000 documents"), encoding="utf-8")
    return out, docs


def test_twenty_thousand_documents_render_a_page_at_a_time(browser, big_report):
    path, docs = big_report
    statements = sum(len(d["statements"]) for d in docs)
    assert len(docs) == 20_000 and 30_000 < statements < 40_000
    browser.get_log("browser")
    browser.get(path.as_uri())
    assert _errors(browser) == []
    # at first: one page of documents, one chunk of the index
    assert _sections(browser) == list(range(PAGE_SIZE))
    assert browser.execute_script("return document.querySelectorAll('#index-list li').length") == 200
    assert browser.find_element("id", "pos").text == "documents 1–20 of 20000"
    assert browser.find_element("id", "shown").text == str(statements)
    first = browser.find_element("css selector", "#index-list li")
    assert first.text.split() == [docs[0]["id"], str(len(docs[0]["statements"]))]

    # paging
    browser.find_element("id", "next").click()
    assert _sections(browser) == list(range(PAGE_SIZE, 2 * PAGE_SIZE))
    assert browser.find_element("id", "pos").text == "documents 21–40 of 20000"
    browser.find_element("id", "prev").click()
    assert _sections(browser) == list(range(PAGE_SIZE))

    # the index: more entries on demand; an entry far away turns to its page
    browser.execute_script("document.getElementById('index-more').click()")
    assert browser.execute_script("return document.querySelectorAll('#index-list li').length") == 400
    browser.execute_script("document.querySelector('#index-list li[data-d=\"345\"] a').click()")
    assert 345 in _sections(browser) and len(_sections(browser)) == PAGE_SIZE
    assert browser.find_element("id", "pos").text == "documents 341–360 of 20000"

    # search: a role value and a type select statements, and the documents that have them
    _search(browser, "source:syria type:warn")

    def wanted(st: dict) -> bool:
        return st["type"] == "warn" and "syria" in st["args"]["source"]["text"].lower()

    matching = [d for d in docs if any(wanted(st) for st in d["statements"])]
    assert browser.find_element("id", "ndocs").text == str(len(matching)) and 0 < len(matching) < len(docs)
    assert browser.find_element("id", "shown").text == str(
        sum(wanted(st) for d in matching for st in d["statements"])
    )
    shown = [d["id"] for d in matching[:PAGE_SIZE]]
    assert (
        browser.execute_script(
            "return Array.from(document.querySelectorAll('section.doc .docid')).map(e => e.textContent)"
        )
        == shown
    )
    assert {el.get_attribute("data-type") for el in _visible(browser, "li.st")} == {"warn"}
    # plain words look in the text and the id; a quoted phrase is one term
    _search(browser, '"article-01234"')
    assert _sections(browser) == [1234]
    _search(browser, "Somalia Tajikistan")
    both = [d for d in docs if "Somalia" in d["text"] and "Tajikistan" in d["text"]]
    assert browser.find_element("id", "ndocs").text == str(len(both))
    _search(browser, "")
    assert browser.find_element("id", "pos").text == "documents 1–20 of 20000"
    assert _errors(browser) == []


def test_large_clusters_collapse(browser, tmp_path):
    book = compile_rules([ROOT / "rules"])
    seeds = sorted(ROOT.glob("seeds/*.txt"))
    docs = [Document(f"d{k:02d}/{p.name}", p.read_text(encoding="utf-8")) for k in range(6) for p in seeds]
    out = tmp_path / "claims.html"
    out.write_text(build_report(book, docs, claims=True), encoding="utf-8")
    browser.get(out.as_uri())
    assert _errors(browser) == []
    biggest = browser.find_element("css selector", "li.cl")
    evidence = biggest.find_elements("css selector", ".cl-ev > li:not(.all):not(.cl-con)")
    assert len(evidence) == 3  # a few members shown...
    button = biggest.find_element("css selector", "button[data-all='m']")
    total = int(button.text.split()[2])
    assert button.text == f"show all {total} statements" and total > 3
    button.click()  # ... and all of them on demand
    evidence = biggest.find_elements("css selector", ".cl-ev > li:not(.all):not(.cl-con)")
    assert len(evidence) == total
    # turning the page shows its first document, not the claims above it
    browser.find_element("id", "next").click()
    top, head = browser.execute_script(
        "return [document.querySelector('section.doc').getBoundingClientRect().top,"
        " document.getElementById('bar').offsetHeight]"
    )
    assert head <= top <= head + 40
    # a member's link turns to its document (on another page) and selects the statement
    links = [e.find_element("css selector", "a.go") for e in evidence]
    at = [tuple(map(int, a.get_attribute("data-go").split())) for a in links]
    k = max(n for n, (d, _i) in enumerate(at) if not PAGE_SIZE <= d < 2 * PAGE_SIZE)  # not on this page
    link, (d, i) = links[k], at[k]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    selected = browser.find_element("css selector", "li.st.sel")
    assert (selected.get_attribute("data-d"), selected.get_attribute("data-i")) == (str(d), str(i))
    sentence = "".join(t for _o, t in _marked_texts(browser, "hl-sent"))
    assert sentence and sentence in evidence[k].text
    assert _errors(browser) == []
