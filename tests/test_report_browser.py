"""The seed report in a real headless Chromium (Debian's chromium + chromium-driver), via Selenium.

The test starts the browser itself on file:// URLs. It fails, never skips, when the
browser is missing: `make test` installs it. Set IEDSL_SCREENSHOT=docs/report-seeds.png to
save the screenshot shown in docs/report.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl.cli import app

ROOT = Path(__file__).resolve().parent.parent
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
HOSTILE = '<script>window.pwned=1</script> "CSTO" warned <img src=x onerror="window.pwned=1"> it\'s & <b>\n'


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
    assert sum(len(t) for _o, t in marked) == sum(a["end"] - a["start"] for a in st["args"].values())
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
    assert "sel" in target.get_attribute("class").split()  # still shown, still selected
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
    browser.find_element("css selector", "li.st").click()
    assert "".join(t for _o, t in _marked_texts(browser, "hl-arg")) == "CSTO"
    assert _errors(browser) == []
