"""Markdown tables from a benchmarks/bench.py results document (render(doc) -> str).

.venv/bin/python benchmarks/bench_report.py RESULTS.json     # re-render a saved run
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

PAIRS = (  # (iedsl case, spaCy case): the same work done by both engines
    ("iedsl_segment", "spacy_tokenizer", "tokenize (iedsl also splits sentences)"),
    ("iedsl_10k_10", "spacy_ruler10k_matcher10", "10k names + 10 rules"),
    ("iedsl_10k_100", "spacy_ruler10k_matcher100", "10k names + 100 rules"),
    ("iedsl_10k_100", "spacy_ruler10k_matcher100_nof", "10k names + 100 rules (spaCy cache not flushed)"),
    ("iedsl_10k_1000", "spacy_ruler10k_matcher1000", "10k names + 1000 rules"),
    ("iedsl_10k_100", "spacy_tokenizer", "10k names + 100 rules vs spaCy's bare tokenizer"),
)


def _f(x: float | None, nd: int = 2, unit: str = "") -> str:
    if x is None:
        return "n/a"
    if unit:
        return _f(x, nd) + unit
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def _get(res: dict[str, Any], name: str) -> dict[str, Any] | None:
    r = res.get(name)
    return r if r and "error" not in r else None


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str = "s_per_mb") -> float | None:
    return a[key] / b[key] if a and b and b.get(key) else None


def throughput_table(res: dict[str, Any]) -> list[str]:
    rows = [
        "| case | what | slice | median s | whole corpus s | round spread | docs/s | MB/s | peak RSS MiB "
        "| +MiB over corpus | setup s | first pass s | matches |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    # the corpus size, from a case that read all of it: sliced cases are scaled to it (~)
    full = [r["bytes"] for r in res.values() if r.get("kind") == "throughput" and r.get("slice") == 1]
    corpus_mb = max(full) / 1e6 if full else None
    for name, r in res.items():
        if r.get("kind") not in ("throughput", "docsize"):
            continue
        if "error" in r:
            rows.append(f"| {name} | {r.get('what', '')} | error: {r['error']} |" + " |" * 10)
            continue
        sl = f"{r['slice']:.0%}" + ("" if r["slice"] == 1 else f" ({r['docs']:,} docs)")
        spread = f"{r['round_spread']:.0%}" if "round_spread" in r else "-"
        if r["kind"] == "docsize" or corpus_mb is None:
            whole = "-"
        elif r["slice"] == 1:
            whole = _f(r["median_s"], 1)
        else:
            whole = "~" + _f(r["s_per_mb"] * corpus_mb, 0)
        rows.append(
            f"| {name} | {r['what']} | {sl} | {_f(r['median_s'], 3)} | {whole} | {spread} "
            f"| {r['docs_s']:,.0f} | {_f(r['mb_s'])} "
            f"| {r['maxrss_mib']:.0f} | {r['maxrss_mib'] - r['rss_corpus_mib']:+.0f} | {_f(r['setup_s'])} "
            f"| {_f(r['first_s'])} | {r['matches']:,} |"
        )
    return rows


def pair_table(res: dict[str, Any]) -> list[str]:
    rows = [
        "| work | iedsl case | iedsl MB/s | spaCy case | spaCy MB/s | iedsl / spaCy speed |",
        "|---|---|--:|---|--:|--:|",
    ]
    for ours, theirs, what in PAIRS:
        a, b = _get(res, ours), _get(res, theirs)
        if a and b:
            rows.append(
                f"| {what} | {ours} | {_f(a['mb_s'])} | {theirs} | {_f(b['mb_s'])} | {_f(_ratio(b, a))}x |"
            )
    return rows


def _met(value: float | None, target: float, below: bool) -> str:
    if value is None:
        return "not measured"
    return "**met**" if (value <= target if below else value >= target) else "**not met**"


def targets_table(res: dict[str, Any]) -> list[str]:
    g = lambda n: _get(res, n)  # noqa: E731
    i100, i10, i1000 = g("iedsl_10k_100"), g("iedsl_10k_10"), g("iedsl_10k_1000")
    rows = ["| target (issue 7) | measured | target | |", "|---|--:|--:|---|"]

    def add(
        what: str, value: float | None, target: float, below: bool, unit: str = "", note: str = ""
    ) -> None:
        op = "<=" if below else ">="
        rows.append(
            f"| {what} | {_f(value)}{unit if value is not None else ''} | {op} {_f(target)}{unit} "
            f"| {_met(value, target, below)}{' ' + note if note else ''} |"
        )

    add("10k names + 100 rules, whole corpus, MB/s", i100 and i100["mb_s"], 3.0, False)
    add("... speed vs spaCy's bare tokenizer", _ratio(g("spacy_tokenizer"), i100), 0.9, False, "x")
    add(
        "... speed vs spaCy EntityRuler + Matcher 100",
        _ratio(g("spacy_ruler10k_matcher100"), i100),
        12,
        False,
        "x",
    )
    sp = _ratio(g("spacy_ruler10k_matcher1000"), g("spacy_ruler10k_matcher10"))
    add(
        "1000 rules / 10 rules, time per MB (iedsl)",
        _ratio(i1000, i10),
        2.0,
        True,
        "x",
        f"(spaCy EntityRuler + Matcher: {_f(sp, 1, 'x')})",
    )
    add(
        "100 rules / 10 rules, time per MB (iedsl; the baselines' target)",
        _ratio(i100, i10),
        1.5,
        True,
        "x",
        f"(spaCy: {_f(_ratio(g('spacy_ruler10k_matcher100'), g('spacy_ruler10k_matcher10')), 1, 'x')})",
    )
    add(
        "100k-name / 1k-name lexicon (100 rules), time per MB",
        _ratio(g("iedsl_100k_100"), g("iedsl_1k_100")),
        1.3,
        True,
        "x",
        f"(spaCy PhraseMatcher 10k/1k: {_f(_ratio(g('spacy_phrase_10k'), g('spacy_phrase_1k')), 2, 'x')})",
    )
    c = g("compile_10k_1000")
    add("compile 10k names + 1000 rules, cold, s", c and c["cold_s"], 1.0, True)
    if c and c.get("cache"):
        add("... the same rules from the content-hash cache (new process), s", c["warm_s"], 1.0, True)
    elif c:
        rows.append(
            "| ... from the content-hash cache | not available | <= 1.00 | no ie_dsl.cache in this build |"
        )
    over = {
        n: r["maxrss_mib"] - r["rss_corpus_mib"] for n in ("iedsl_10k_1000", "iedsl_100k_100") if (r := g(n))
    }
    add(
        "peak memory over the loaded corpus, 10k names + 1000 rules, MiB",
        over.get("iedsl_10k_1000"),
        50,
        True,
        "",
        f"(100k names + 100 rules: {_f(over.get('iedsl_100k_100'), 0, ' MiB')})",
    )
    for label, base, prefix in (("10k names + 100 rules", "iedsl_10k_100", "docsize_"),
                                ("shipped pack", "iedsl_pack", "docsize_pack_")):  # fmt: skip
        per_mb = {
            n: r["s_per_mb"] for n in (base, prefix + "10k", prefix + "100k", prefix + "1m") if (r := g(n))
        }
        worst = max(per_mb.values()) / min(per_mb.values()) if len(per_mb) > 1 else None
        what = f"document size ({label}): slowest / fastest time per MB, documents of 0.8-1,000 KB"
        add(what, worst, 1.3, True, "x", "(the threshold is this report's)")
        # linear: past the size where a document's working set leaves the CPU caches, time
        # per MB should stop growing; a ten times longer document then costs ten times more
        big = [per_mb.get(prefix + "100k"), per_mb.get(prefix + "1m")]
        growth = big[1] / big[0] if big[0] and big[1] else None
        what = f"linear in document size ({label}): time per MB, 1 MB / 100 KB documents"
        add(what, growth, 1.3, True, "x", "(the threshold is this report's)")
    s = g("stream")
    if s:
        add(
            f"streaming: RSS growth after warm-up over {s['bytes'] / 1e6:,.0f} MB, MiB",
            s["rss_growth_mib"],
            20,
            True,
            "",
            "(flat memory; the threshold is this report's)",
        )
    st = g("startup")
    add("`iedsl run` start-up (import + pack), s", st and st["median_s"], 0.3, True)
    j = g("jobs")
    if j and not j.get("available"):
        rows.append(
            "| `--jobs 2` vs `--jobs 1` on 2 cores | not available | >= 1.70x | `--jobs` not in this build |"
        )
    else:
        add("`--jobs 2` vs `--jobs 1` on 2 cores", j and j.get("speedup"), 1.7, False, "x")
    return rows


def _cpu_per_mb(r: dict[str, Any] | None) -> float | None:
    """Median CPU seconds per MB of a throughput result (wall time if it has none)."""
    if r is None:
        return None
    cpu = r.get("cpu_times_s")
    return (statistics.median(cpu) if cpu else r["median_s"]) / (r["bytes"] / 1e6)


def loose_table(res: dict[str, Any], opts: dict[str, Any]) -> list[str]:
    """Issue 12's speed targets, as ratios of CPU time per MB in this run (other jobs on a
    shared machine move CPU time less than wall time)."""
    g = lambda n: _get(res, n)  # noqa: E731
    rows = []
    strict, loose = _cpu_per_mb(g("iedsl_10k_100")), _cpu_per_mb(g("iedsl_10k_100_loose"))
    if strict and loose:
        rows.append(("the 100 rules as loose rules / as written, speed", strict / loose, 0.67))
    pack, base = _cpu_per_mb(g("iedsl_pack")), _cpu_per_mb(g("iedsl_pack_baseline"))
    if pack and base:
        commit = f"`{opts.get('baseline_commit', '?')}`"
        rows.append((f"shipped pack / engine and pack of {commit}, speed", base / pack, 1.0))
    if not rows:
        return []
    out = [
        "",
        "### Targets (issue 12: loose rules)",
        "",
        "| target | measured | target | |",
        "|---|--:|--:|---|",
    ]
    for what, value, target in rows:
        out.append(
            f"| {what} (CPU time per MB) | {_f(value)}x | >= {_f(target)}x | {_met(value, target, False)} |"
        )
    return out


def other_sections(res: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if c := _get(res, "compile_10k_1000"):
        cached = (
            f"`compile_cached` storing it {_f(c['store_s'])} s, then in a new process loading it "
            f"{_f(c['warm_s'], 3)} s; "
            if c.get("cache")
            else "no compiled-rules cache in this build; "
        )
        out += [
            "",
            "### Compile (10k names + 1000 rules)",
            "",
            f"`compile_rules` cold {_f(c['cold_s'])} s, again in a new process {_f(c['new_process_s'])} s; "
            f"{cached}`import ie_dsl.pipeline` {_f(c['import_s'])} s; {c['rules']} rules.",
        ]
    if s := _get(res, "startup"):
        out += [
            "",
            "### Start-up",
            "",
            f"`iedsl run rules/ empty.txt`: median {_f(s['median_s'], 3)} s (min {_f(s['min_s'], 3)} s) "
            f"over {len(s['times_s'])} runs with the compiled-rules cache warm; without the cache "
            f"(IEDSL_NO_CACHE=1) {_f(s.get('no_cache_s'), 3)} s; "
            f"bare `python -c pass` {_f(s['python_bare_s'], 3)} s; "
            f"`python -c 'import ie_dsl.cli'` {_f(s['import_cli_s'], 3)} s.",
        ]
    if j := _get(res, "jobs"):
        out += ["", "### --jobs", ""]
        if not j.get("available"):
            out.append(f"Not available: {j['note']}.")
        else:
            loads = ", ".join(_f(x) for x in j.get("loadavg", []))
            cpu = (
                f"; CPU time of the command and its workers {_f(j['jobs1']['cpu_s'])} s and "
                f"{_f(j['jobs2']['cpu_s'])} s; load average after each round: {loads}; two busy processes "
                f"got {_f(j.get('parallel_capacity'))} cores' worth just before"
                if "cpu_s" in j["jobs1"]
                else ""
            )
            out.append(
                f"`--jobs 1` {_f(j['jobs1']['median_s'])} s ({_f(j['jobs1']['mb_s'])} MB/s), "
                f"`--jobs 2` {_f(j['jobs2']['median_s'])} s ({_f(j['jobs2']['mb_s'])} MB/s): "
                f"{_f(j['speedup'])}x on {j['input']}{cpu}."
            )
    if s := _get(res, "stream"):
        out += [
            "",
            "### Streaming",
            "",
            f"{s['bytes'] / 1e6:,.0f} MB ({s['docs']:,} documents) piped into `iedsl run rules/ -` in "
            f"{_f(s['elapsed_s'], 0)} s ({_f(s['mb_s'])} MB/s), exit {s['exit']}. RSS of `iedsl`: "
            f"max {_f(s['rss_max_mib'], 0)} MiB; after the first 20% of the run between "
            f"{_f(s['rss_after_warmup_min_mib'], 1)} and {_f(s['rss_after_warmup_max_mib'], 1)} MiB.",
            "",
            "| s | MB sent | RSS MiB |",
            "|--:|--:|--:|",
        ]
        samples = s["samples"]
        for t, b, r in samples[:: max(1, len(samples) // 12)]:
            out.append(f"| {t:.0f} | {b / 1e6:,.0f} | {r:.1f} |")
    if d := _get(res, "differential"):
        out += [
            "",
            f"### Differential (first {d['sample_docs']:,} documents)",
            "",
            "| rules | iedsl matches | spaCy matches | common | agreement | docs agreeing | differences "
            "| of which tokenization differs |",
            "|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for n in (10, 100, 1000):
            r = d.get(f"rules{n}")
            if r:
                out.append(
                    f"| {n} | {r['iedsl']:,} | {r['spacy']:,} | {r['common']:,} | {r['agreement']:.2%} "
                    f"| {r['docs_agree']:,}/{r['docs']:,} | {r['n_differences']} "
                    f"| {r['explained_by_tokens']} |"
                )
        for n in (10, 100, 1000):
            for x in (d.get(f"rules{n}") or {}).get("differences", [])[:5]:
                out.append(
                    f"- {n} rules, {x['engine']} only, {x['doc']} {tuple(x['match'])}: "
                    f"`{x['text']}` (tokenization {'agrees' if x['tokens_agree'] else 'differs'})"
                )
    errors = [(n, r) for n, r in res.items() if "error" in r]
    if errors:
        out += ["", "### Errors", ""] + [
            f"- {n}: {r['error']}: {r.get('stderr', '')[-500:]}" for n, r in errors
        ]
    return out


def render(doc: dict[str, Any]) -> str:
    """The whole report: environment, throughput table, pairs, targets, the other cases."""
    env, o, res = doc["env"], doc["options"], doc["results"]
    dirty = " (with uncommitted changes in ie_dsl/ or rules/)" if env.get("dirty") else ""
    head = [
        f"Commit `{env['commit']}`{dirty}, "
        f"{env['started']} to {env.get('finished', '?')}; Python {env['python']}, spaCy {env['spacy']}, "
        f"{env['cpus']} CPUs; load average {_f(env['loadavg_start'][0])} at the start, "
        f"{_f(env.get('loadavg_end', [None])[0])} at the end.",
        f"{o['runs']} timed passes after a first pass (median); budget {o['budget']:.0f} s per case; "
        f"{'first ' + str(o['limit']) + ' documents' if o['limit'] else 'the whole corpus'}"
        f"{' (QUICK run)' if o['quick'] else ''}. MB = 10^6 bytes of text; MiB = 2^20 bytes of memory.",
        "",
        "### Throughput",
        "",
        *throughput_table(res),
        "",
        "### iedsl / spaCy, pair by pair (same run)",
        "",
        *pair_table(res),
        "",
        "### Targets",
        "",
        *targets_table(res),
        *loose_table(res, o),
    ]
    return "\n".join(head + other_sections(res)) + "\n"


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())))
