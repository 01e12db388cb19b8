"""How `iedsl show` and `iedsl corroborate` scale: page size, load time in Chromium, memory.

    .venv/bin/python benchmarks/report_scale.py page        # 20,000 synthetic documents -> report
    .venv/bin/python benchmarks/report_scale.py corroborate # 1,000 seed documents -> claims
    .venv/bin/python benchmarks/report_scale.py corpus      # the whole Reuters corpus -> report
    .venv/bin/python benchmarks/report_scale.py all --work /tmp/iedsl-report-bench

`page` writes 20,000 synthetic news-like documents (made here from word lists: no corpus
text; `synthetic_documents`, also used by tests/test_report_browser.py) with about 35,000
statements, builds the report with the shipped rules, and opens it in headless Chromium
(Debian's chromium + chromium-driver, as the browser test does) several times: the load
time is the Performance API's navigation timing (the page's script runs before
DOMContentLoaded ends, so it includes parsing the data and rendering the first page),
and it times a search, a page turn and a click. `corroborate` runs `iedsl corroborate`
under /usr/bin/time -v on the statements of 1,000 documents cycling through seeds/ (the
case of issue 16: one claim repeated 2,600 times). `corpus` runs `iedsl show` over the
whole Reuters corpus, by default and with --all-documents. Every figure is printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IEDSL = ROOT / ".venv" / "bin" / "iedsl"
CORPUS = Path("/work/shared/corpora/reuters21578/reuters21578.jsonl.gz")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

HOLDERS = [
    "NATO", "The United Nations", "Russia", "The CSTO", "China", "The European Union", "Iran",
    "The Shanghai Cooperation Organisation", "Pakistan", "India", "Turkey", "The African Union",
]  # fmt: skip
THREATS = [
    "terrorist groups", "drug trafficking", "extremist organizations", "militants", "terrorism",
    "armed groups", "radical ideologies", "arms smuggling", "insurgents", "jihadist fighters",
]  # fmt: skip
PLACES = [
    "Afghanistan", "Syria", "Iraq", "Central Asia", "Tajikistan", "Pakistan", "Libya", "Mali",
    "Somalia", "Yemen", "Ukraine", "the Sahel",
]  # fmt: skip
DATES = [("12 March 2024", "2024-03-12", "day"), ("June 2023", "2023-06", "month"), ("2022", "2022", "year")]
# (type, rule of the shipped pack that finds it, the sentence: words and {slots})
STANCES = [
    ("warn", "warn_of_threat", ["{h}", " warned of ", "{t}", " from ", "{p}", "."]),
    ("concern", "concern_about_threat", ["{h}", " expressed concern over ", "{t}", " in ", "{p}", "."]),
    ("threat_claim", "said_poses",
     ["{h}", " said that ", "{t}", " from ", "{p}", " pose a threat to ", "{q}", "."]),
    ("warn", "warn_of_threat", ["{h}", " warned in ", "{d}", " of ", "{t}", " in ", "{p}", "."]),
]  # fmt: skip
ROLES = {"{h}": ("organization", "ORG"), "{t}": ("threat", "THREAT"), "{p}": ("source", "PLACE"),
         "{q}": ("target", "PLACE")}  # fmt: skip
FILLER = (
    "officials markets week talks prices report meeting government plans season growth board "
    "shares trade analysts exports harvest budget committee council output demand figures"
).split()


def synthetic_documents(n: int = 20_000, seed: int = 16) -> list[dict[str, Any]]:
    """`n` short news-like documents made from the word lists above, each with 1 to 3
    sentences the shipped rules find statements in (about 1.75 a document) between filler
    sentences: {"id", "text", "statements"}, the statements as `iedsl run` would write them
    for those sentences (what the browser test puts in a report without running rules)."""
    r = random.Random(seed)
    out = []
    for k in range(n):
        doc_id, text, statements = f"synthetic/{k // 1000:02d}/article-{k:05d}", "", []
        for _ in range(r.choice((1, 1, 2, 2, 2, 3))):
            text += " ".join(r.choice(FILLER) for _ in range(r.randint(6, 14))).capitalize() + ". "
            kind, rule, parts = r.choice(STANCES)
            fill = {"{h}": r.choice(HOLDERS), "{t}": r.choice(THREATS), "{p}": r.choice(PLACES)}
            fill["{q}"] = r.choice(PLACES)
            day = r.choice(DATES)
            fill["{d}"] = day[0]
            start, args, when = len(text), {}, None
            for part in parts:
                words = fill.get(part, part)
                if part in ROLES:
                    role, kind_of = ROLES[part]
                    args[role] = {
                        "text": words,
                        "type": kind_of,
                        "start": len(text),
                        "end": len(text) + len(words),
                    }
                elif part == "{d}":
                    when = {"value": day[1], "grain": day[2], "text": words, "start": len(text)}
                    when["end"] = len(text) + len(words)
                text += words
            statement: dict[str, Any] = {
                "doc": doc_id,
                "type": kind,
                "polarity": "positive",
                "args": args,
                "span": {"start": start, "end": len(text) - 1},
                "sentence": {"text": text[start:], "start": start, "end": len(text)},
                "rule": {"name": rule, "file": "rules/stances.ie", "line": 15},
            }
            if when:
                statement["when"] = when
            statements.append(statement)
            text += " "
        out.append({"id": doc_id, "text": text.rstrip() + "\n", "statements": statements})
    return out


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    """Documents as JSONL {"id", "text"} (statements left out: `iedsl show` finds its own)."""
    lines = (json.dumps({"id": row["id"], "text": row["text"]}) + "\n" for row in rows)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def timed(cmd: list[str]) -> dict[str, Any]:
    """Run `cmd` under /usr/bin/time -v: wall and CPU seconds, peak RSS in MiB, exit code, the
    last line it said on stderr."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=False)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)
    assert wall and rss and cpu, done.stderr
    seconds = int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])
    said = [line for line in done.stderr.splitlines() if line and not line.startswith("\t")]
    return {
        "wall_s": seconds,
        "cpu_s": sum(map(float, cpu)),  # user + system: what a busy machine does not inflate
        "rss_mib": int(rss[1]) / 1024,
        "exit": done.returncode,
        "said": said[-1:],
    }


def browser() -> Any:
    """Headless Chromium through Selenium, as tests/test_report_browser.py starts it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="iedsl-bench-")
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1000")
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


LOAD = """const n = performance.getEntriesByType('navigation')[0];
return {dom_s: n.domContentLoadedEventEnd / 1000, load_s: n.loadEventEnd / 1000,
        sections: document.querySelectorAll('section.doc').length,
        index: document.querySelectorAll('#index-list li').length,
        nodes: document.getElementsByTagName('*').length};"""
# an action's time: until the frame after it is painted
ACT = """const t0 = performance.now(); %s;
return new Promise(r => requestAnimationFrame(
  () => setTimeout(() => r((performance.now() - t0) / 1000), 0)));"""


def measure_page(path: Path, loads: int = 5) -> dict[str, Any]:
    """Open `path` `loads` times in a fresh tab: load timings, and a search, a page turn, a click."""
    driver = browser()
    try:
        runs = []
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(path.as_uri())
            runs.append(driver.execute_script(LOAD))
        act = {  # a page turn, a click (where there is a statement), then a search
            "next_page_s": "document.getElementById('next').click()",
            "click_statement_s": "const li = document.querySelector('li.st:not([hidden])');"
            " if (li) li.click()",
            "search_s": "const q = document.getElementById('q'); q.value = 'source:syria type:warn';"
            " q.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))",
        }
        acts = {name: driver.execute_script(ACT % js) for name, js in act.items()}
        acts["search_matches"] = driver.find_element("id", "ndocs").text
    finally:
        driver.quit()
    dom = sorted(r["dom_s"] for r in runs)
    return {"loads": runs, "dom_median_s": dom[len(dom) // 2], "dom_max_s": dom[-1], **acts}


def case_page(work: Path) -> dict[str, Any]:
    docs = write_jsonl(synthetic_documents(), work / "synthetic.jsonl")
    page = work / "synthetic.html"
    shown = timed([str(IEDSL), "show", str(ROOT / "rules"), str(docs), "-o", str(page)])
    return {"show": shown, "page_mb": page.stat().st_size / 1e6, "chromium": measure_page(page)}


def case_corroborate(work: Path) -> dict[str, Any]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    docs = write_jsonl(
        [{"id": f"d{k:04d}/seed-{k % len(texts)}.txt", "text": texts[k % len(texts)]} for k in range(1000)],
        work / "seeds1000.jsonl",
    )
    statements = work / "seeds1000.statements.jsonl"
    ran = timed([str(IEDSL), "run", str(ROOT / "rules"), str(docs), "-f", "jsonl", "-o", str(statements)])
    out = work / "claims.jsonl"
    claims = timed([str(IEDSL), "corroborate", str(statements), "-f", "jsonl", "-o", str(out)])
    page = work / "seeds1000.html"
    shown = timed([str(IEDSL), "show", str(ROOT / "rules"), str(docs), "--corroborate", "-o", str(page)])
    biggest = max(len(json.loads(line)["statements"]) for line in out.read_text().splitlines())
    return {
        "run": ran,
        "statements": sum(1 for _ in statements.open()),
        "corroborate": claims,
        "biggest_cluster": biggest,
        "show_corroborate": shown,
        "page_mb": page.stat().st_size / 1e6,
        "chromium": measure_page(page, loads=3),
    }


def case_corpus(work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, extra in (("default", []), ("all_documents", ["--all-documents"])):
        page = work / f"reuters-{name}.html"
        out[name] = timed([str(IEDSL), "show", str(ROOT / "rules"), str(CORPUS), "-o", str(page), *extra])
        out[name]["page_mb"] = page.stat().st_size / 1e6
        out[name]["chromium"] = measure_page(page, loads=3)
    return out


CASES = {"page": case_page, "corroborate": case_corroborate, "corpus": case_corpus}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("case", choices=[*CASES, "all"])
    parser.add_argument("--work", type=Path, default=None, help="keep the inputs and pages here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="iedsl-report-bench-"))
    if work.resolve().is_relative_to(ROOT):
        sys.exit("--work must be outside the project (the corpus stays out of it)")
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    names = list(CASES) if args.case == "all" else [args.case]
    results = {"loadavg_start": list(__import__("os").getloadavg())}
    for name in names:
        results[name] = CASES[name](work)
        print(json.dumps({name: results[name]}, indent=1), flush=True)
    results["loadavg_end"] = list(__import__("os").getloadavg())
    results["elapsed_s"] = time.time() - started
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(f"results in {work / 'results.json'}", file=sys.stderr)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
