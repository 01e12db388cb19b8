"""The cases of benchmarks/bench.py. Each runs inside its own child process: run_case(name, opts)
returns a JSON-able dict (bench.py adds the child's peak RSS).

Throughput cases share one harness (`_throughput`): load the corpus, set the engine up (timed
as setup_s), a first pass (cold) that may stop early under the budget, then timed passes over
the same documents. The other cases (compile, start-up, --jobs, streaming, differential) time
`iedsl` as a user meets it: fresh processes, the installed command.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workloads import Workloads, load_texts

Process = Callable[[int, str], int]  # (document index, text) -> matches (or tokens) found


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _vmrss_mib(pid: int | str = "self", field: str = "VmRSS") -> float | None:
    """Current resident set of a process (VmHWM: its peak), None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _wl(o: dict[str, Any]) -> Workloads:
    return Workloads(Path(o["work"]) / "workloads")


def _texts(o: dict[str, Any]) -> list[str]:
    return load_texts(Path(o["corpus"]), o["limit"] or None)


def _iedsl_bin() -> str:
    return str(Path(sys.executable).parent / "iedsl")


# ---------------------------------------------------------------------------- throughput
def _throughput(
    o: dict[str, Any], setup: Callable[[], Process], docs: Callable[[list[str]], list[str]] | None = None
) -> dict[str, Any]:
    # documents built by `docs` need more text than a --quick slice holds: the whole corpus
    texts = _texts(o) if docs is None else load_texts(Path(o["corpus"]))
    rss_corpus = _maxrss_mib()
    if docs is not None:
        texts = docs(texts)
    t0 = time.perf_counter()
    process = setup()
    setup_s = time.perf_counter() - t0
    # As `iedsl run` does with its rules: what the set-up built lives as long as the run, so
    # keep it out of the collector's full passes (for either engine; long documents trigger
    # them, and each would scan a 10k-name lexicon again).
    gc.freeze()
    rss_setup = _maxrss_mib()
    limit = o["budget"] / (o["runs"] + 1)
    total = len(texts)
    if o.get("fixed_docs"):  # a later round: the slice of the first round, whatever the time
        texts, limit = texts[: o["fixed_docs"]], float("inf")
    n, matches, t0 = len(texts), 0, time.perf_counter()
    for i, text in enumerate(texts):
        matches += process(i, text)
        if (i + 1) % 200 == 0 and i + 1 < len(texts) and time.perf_counter() - t0 > limit:
            n = i + 1  # too slow for the budget: time this leading slice from now on
            break
    first_s = time.perf_counter() - t0
    part = texts[:n]
    times, cpu = [], []
    for _ in range(o["runs"]):
        t0, c0 = time.perf_counter(), time.process_time()
        m = 0
        for i, text in enumerate(part):
            m += process(i, text)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)  # (less moved by other jobs than wall time)
        matches = m
    med = statistics.median(times)
    nbytes = sum(len(t.encode("utf-8")) for t in part)
    return {
        "docs": n,
        "docs_total": total,
        "slice": n / total,
        "bytes": nbytes,
        "median_s": med,
        "times_s": times,
        "first_s": first_s,
        "setup_s": setup_s,
        "mb_s": nbytes / 1e6 / med,
        "docs_s": n / med,
        "s_per_mb": med / (nbytes / 1e6),
        "matches": matches,
        "rss_corpus_mib": rss_corpus,
        "rss_setup_mib": rss_setup,
        "vmrss_mib": _vmrss_mib(),
        "round_medians": [med],
        "cpu_times_s": cpu,
    }


def _spacy_tokenizer() -> Process:
    import spacy

    nlp = spacy.blank("en")
    return lambda i, t: len(nlp.make_doc(t))


def _spacy_phrase(wl: Workloads, size: int) -> Callable[[], Process]:
    def setup() -> Process:
        import spacy
        from spacy.matcher import PhraseMatcher

        nlp = spacy.blank("en")
        pm = PhraseMatcher(nlp.vocab)  # ORTH, as the EntityRuler and the iedsl lexicons
        by_label: dict[str, list[str]] = {}
        with wl.entity_patterns(size).open() as fh:
            for line in fh:
                p = json.loads(line)
                by_label.setdefault(p["label"], []).append(p["pattern"])
        for label, names in sorted(by_label.items()):
            pm.add(label, list(nlp.tokenizer.pipe(names)))
        nlp.tokenizer.rules = nlp.tokenizer.rules  # flush the tokenizer cache the names filled
        return lambda i, t: len(pm(nlp.make_doc(t)))

    return setup


def _spacy_ruler(wl: Workloads, rules: int, flush: bool = True) -> Callable[[], Process]:
    def setup() -> Process:
        from differential import load_spacy_engine

        nlp, matcher = load_spacy_engine(wl.entity_patterns(10_000), wl.rules_spacy(rules), flush)
        return lambda i, t: len(matcher(nlp(t)))

    return setup


def _iedsl(paths: Callable[[], list[Path]]) -> Callable[[], Process]:
    def setup() -> Process:
        from ie_dsl.pipeline import compile_rules

        book = compile_rules(paths())
        return lambda i, t: len(book.extract(f"d{i}", t))

    return setup


def _iedsl_segment() -> Process:
    from ie_dsl.text.segment import segment

    return lambda i, t: len(segment(t).starts)


def _sized_docs(size: int, total: int) -> Callable[[list[str]], list[str]]:
    """Documents of about `size` characters made of consecutive corpus articles (cut at an
    article boundary when one is near), `total` characters in all."""

    def build(texts: list[str]) -> list[str]:
        out: list[str] = []
        cur: list[str] = []
        length = 0
        for t in texts:
            cur.append(t)
            length += len(t) + 2
            if length >= size:
                out.append("\n\n".join(cur)[:size])
                cur, length = [], 0
                if len(out) * size >= total:
                    break
        return out

    return build


# ---------------------------------------------------------------------------- other cases
COMPILE_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import ie_dsl.pipeline as p
try:
    from ie_dsl.cache import compile_cached
except ImportError:  # an engine without the content-hash cache
    compile_cached = None
t1 = time.perf_counter()
mode, paths = sys.argv[1], sys.argv[2:]
out = {"import_s": t1 - t0, "cache": compile_cached is not None}
steps = ["uncached", "cached"] if mode == "cold" else ["cached", "uncached"]
for step in steps:
    if step == "cached" and compile_cached is None:
        continue
    t = time.perf_counter()
    book = (compile_cached if step == "cached" else p.compile_rules)(paths)
    out[step + "_s"] = time.perf_counter() - t
out["rules"] = book.rule_count
print(json.dumps(out))
"""


def _compile(o: dict[str, Any]) -> dict[str, Any]:
    """10k names + 1,000 rules, in fresh processes with a private, empty cache directory.
    First process: compile_rules (cold: content never seen, a nonce comment in every file),
    then compile_cached (a miss: compiles and stores). Second process: compile_cached first
    (a hit if the engine caches by content), then compile_rules again."""
    wl = _wl(o)
    nonce = f"{os.getpid()}-{time.time_ns()}"
    tmp = Path(o["work"]) / "compile" / nonce
    (tmp / "lex").mkdir(parents=True)
    for f in sorted(wl.lexicon(10_000).iterdir()):
        (tmp / "lex" / f.name).write_text(f"# {nonce}\n" + f.read_text())
    (tmp / "rules.ie").write_text(f"# {nonce}\n" + wl.rules_ie(1_000).read_text())
    env = dict(os.environ, IEDSL_CACHE_DIR=str(tmp / "cache"))
    env.pop("IEDSL_NO_CACHE", None)
    runs = []
    for mode in ("cold", "warm"):
        cmd = [sys.executable, "-c", COMPILE_SCRIPT, mode, str(tmp / "lex"), str(tmp / "rules.ie")]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    shutil.rmtree(tmp, ignore_errors=True)
    cold, warm = runs
    return {
        "cold_s": cold["uncached_s"],
        "store_s": cold.get("cached_s"),
        "warm_s": warm.get("cached_s"),
        "new_process_s": warm["uncached_s"],
        "import_s": cold["import_s"],
        "cache": cold["cache"],
        "rules": cold["rules"],
        "runs": runs,
    }


def _cache_env(o: dict[str, Any]) -> dict[str, str]:
    """The environment for `iedsl` commands: a compiled-rules cache in the work directory."""
    env = dict(os.environ, IEDSL_CACHE_DIR=str(Path(o["work"]) / "cache"))
    env.pop("IEDSL_NO_CACHE", None)
    return env


def _startup(o: dict[str, Any]) -> dict[str, Any]:
    """Wall time of `iedsl run rules/ EMPTY.txt` (import + load the shipped pack) with the
    compiled-rules cache warm, without it (IEDSL_NO_CACHE=1), and of a bare interpreter."""
    empty = Path(o["work"]) / "empty.txt"
    empty.write_text("")

    def wall(cmd: list[str], env: dict[str, str] | None = None) -> list[float]:
        out = []
        for k in range(o["startup_runs"] + 1):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
            if k:  # the first run warms the OS page cache and the compiled-rules cache
                out.append(time.perf_counter() - t0)
        return out

    cmd = [_iedsl_bin(), "run", str(Path(o["root"]) / "rules"), str(empty), "-f", "jsonl", "-q"]
    run = wall(cmd, _cache_env(o))
    nocache = wall(cmd, dict(os.environ, IEDSL_NO_CACHE="1"))
    bare = wall([sys.executable, "-c", "pass"])
    imp = wall([sys.executable, "-c", "import ie_dsl.cli"])
    return {
        "median_s": statistics.median(run),
        "min_s": min(run),
        "times_s": run,
        "no_cache_s": statistics.median(nocache),
        "python_bare_s": statistics.median(bare),
        "import_cli_s": statistics.median(imp),
    }


def _corpus_input(o: dict[str, Any]) -> Path:
    """The corpus file, or (with --limit) a JSONL slice of it in the work directory."""
    if not o["limit"]:
        return Path(o["corpus"])
    path = Path(o["work"]) / f"slice{o['limit']}.jsonl"
    if not path.exists():
        with path.open("w") as fh:
            for k, t in enumerate(_texts(o)):
                fh.write(json.dumps({"id": f"d{k}", "text": t}) + "\n")
    return path


def _parallel_capacity() -> float:
    """How many cores two busy processes actually get here now: 2 x (time of one busy loop) /
    (time of two at once). 2.0 on an idle 2-core machine, ~1.0 when other jobs hold a core."""
    loop = [sys.executable, "-c", "sum(range(4 * 10**7))"]
    t0 = time.perf_counter()
    subprocess.run(loop, check=True)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    procs = [subprocess.Popen(loop) for _ in range(2)]
    for p in procs:
        p.wait()
    return 2 * one / (time.perf_counter() - t0)


def _jobs(o: dict[str, Any]) -> dict[str, Any]:
    """`iedsl run rules/ CORPUS --jobs 1` against `--jobs 2` (wall time, whole corpus)."""
    env = dict(os.environ, COLUMNS="200", TERM="dumb", NO_COLOR="1")
    helptext = subprocess.run([_iedsl_bin(), "run", "--help"], capture_output=True, text=True, env=env).stdout
    if "--jobs" not in helptext:
        return {"available": False, "note": "`iedsl run --help` shows no --jobs option"}
    src = _corpus_input(o)
    nbytes = sum(len(t.encode("utf-8")) for t in _texts(o))
    out: dict[str, Any] = {"available": True, "bytes": nbytes, "input": src.name, "loadavg": []}
    out["parallel_capacity"] = _parallel_capacity()
    walls: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    for k in range(o["jobs_runs"] + 1):
        for jobs in (1, 2):  # interleaved, so a busy spell on the machine hits both settings
            cmd = [_iedsl_bin(), "run", str(Path(o["root"]) / "rules"), str(src), "--jobs", str(jobs)]
            r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            p = subprocess.run(
                cmd + ["-f", "jsonl", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                env=_cache_env(o),
            )  # fmt: skip
            wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
            if p.returncode not in (0, 1):
                return {"available": True, "error": f"--jobs {jobs}: exit {p.returncode}: {p.stderr[-2000:]}"}
            if k:  # the first round warms the page cache and the compiled-rules cache
                walls[jobs].append(wall)
                # CPU of the command and its workers (reaped): ~2x the wall time if both cores worked
                cpus[jobs].append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        out["loadavg"].append(os.getloadavg()[0])
    for jobs in (1, 2):
        med = statistics.median(walls[jobs])
        out[f"jobs{jobs}"] = {"median_s": med, "times_s": walls[jobs], "mb_s": nbytes / 1e6 / med,
                              "cpu_s": statistics.median(cpus[jobs])}  # fmt: skip
    out["speedup"] = out["jobs1"]["median_s"] / out["jobs2"]["median_s"]
    return out


def _stream(o: dict[str, Any]) -> dict[str, Any]:
    """JSONL piped into `iedsl run rules/ -` for stream_bytes (or stream_seconds), sampling the
    child's RSS every 0.5 s from /proc to show whether memory stays flat."""
    texts = _texts(o)
    cmd = [_iedsl_bin(), "run", str(Path(o["root"]) / "rules"), "-", "-f", "jsonl", "-q"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_cache_env(o)
    )
    sent = {"bytes": 0, "docs": 0}
    t0 = time.perf_counter()
    deadline = t0 + o["stream_seconds"] if o["stream_seconds"] else float("inf")

    def write() -> None:
        try:
            k = 0
            while sent["bytes"] < o["stream_bytes"] and time.perf_counter() < deadline:
                line = (json.dumps({"id": f"s{k}", "text": texts[k % len(texts)]}) + "\n").encode()
                proc.stdin.write(line)
                sent["bytes"] += len(line)
                sent["docs"] += 1
                k += 1
        except BrokenPipeError:
            pass
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    samples = []
    while proc.poll() is None:
        rss = _vmrss_mib(proc.pid)
        if rss is not None:
            samples.append((time.perf_counter() - t0, sent["bytes"], rss))
        time.sleep(0.5)
    elapsed = time.perf_counter() - t0
    writer.join()
    err = proc.stderr.read().decode(errors="replace")[-2000:]
    after = [s[2] for s in samples if s[0] >= 0.2 * elapsed] or [0.0]
    step = max(1, len(samples) // 60)
    return {
        "exit": proc.returncode,
        "stderr": err,
        "bytes": sent["bytes"],
        "docs": sent["docs"],
        "elapsed_s": elapsed,
        "mb_s": sent["bytes"] / 1e6 / elapsed,
        "rss_max_mib": max((s[2] for s in samples), default=0.0),
        "rss_after_warmup_min_mib": min(after),
        "rss_after_warmup_max_mib": max(after),
        "rss_growth_mib": max(after) - min(after),
        "samples": [[round(t, 1), b, round(r, 1)] for t, b, r in samples[::step]],
    }


def _differential(o: dict[str, Any]) -> dict[str, Any]:
    """Agreement of iedsl and spaCy on the corpus sample, 10k names, 10/100/1,000 rules."""
    from differential import compare, load_spacy_engine

    from ie_dsl.pipeline import compile_rules

    wl = _wl(o)
    texts = load_texts(Path(o["corpus"]), o["sample"])
    out: dict[str, Any] = {"sample_docs": len(texts)}
    for n in (10, 100, 1_000):
        t0 = time.perf_counter()
        book = compile_rules([wl.lexicon(10_000), wl.rules_ie(n)])
        nlp, matcher = load_spacy_engine(wl.entity_patterns(10_000), wl.rules_spacy(n))
        rep = compare(texts, book, nlp, matcher, [f"doc{k}" for k in range(len(texts))])
        out[f"rules{n}"] = rep.as_dict(10) | {"seconds": time.perf_counter() - t0}
    return out


# ---------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Case:
    """One benchmark case: what it measures, and the function that runs it in the child."""

    what: str
    run: Callable[[dict[str, Any]], dict[str, Any]]
    kind: str = "throughput"


def _tp(
    setup: Callable[[dict[str, Any]], Callable[[], Process]],
    docs: Callable[[dict[str, Any]], Callable[[list[str]], list[str]] | None] = lambda o: None,
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda o: _throughput(o, setup(o), docs(o))


def _iedsl_case(lex: int, rules: int, loose: bool = False) -> Case:
    def paths(o: dict[str, Any]) -> Callable[[], Process]:
        ruleset = _wl(o).rules_loose(rules) if loose else _wl(o).rules_ie(rules)
        return _iedsl(lambda: [_wl(o).lexicon(lex), ruleset])

    kind = "loose rules" if loose else "rules"
    return Case(f"iedsl: {lex // 1000}k-name lexicon + {rules} {kind} (extract)", _tp(paths))


def _docsize_case(size: int, pack: bool) -> Case:
    def paths(o: dict[str, Any]) -> Callable[[], Process]:
        if pack:
            return _iedsl(lambda: [Path(o["root"]) / "rules"])
        return _iedsl(lambda: [_wl(o).lexicon(10_000), _wl(o).rules_ie(100)])

    def docs(o: dict[str, Any]) -> Callable[[list[str]], list[str]]:
        return _sized_docs(size, 10**6 if o["quick"] else 2 * 10**6)

    label = f"{size // 1000} KB" if size < 10**6 else f"{size // 10**6} MB"
    rules = "shipped pack" if pack else "10k names + 100 rules"
    return Case(f"iedsl {rules}, documents of {label} (2 MB in all)", _tp(paths, docs), "docsize")


CASES: dict[str, Case] = {
    "spacy_tokenizer": Case("spaCy blank('en') make_doc", _tp(lambda o: _spacy_tokenizer)),
    "spacy_phrase_1k": Case(
        "spaCy make_doc + PhraseMatcher 1k names (ORTH)", _tp(lambda o: _spacy_phrase(_wl(o), 1_000))
    ),
    "spacy_phrase_10k": Case(
        "spaCy make_doc + PhraseMatcher 10k names (ORTH)", _tp(lambda o: _spacy_phrase(_wl(o), 10_000))
    ),
    **{
        f"spacy_ruler10k_matcher{n}": Case(
            f"spaCy EntityRuler 10k + Matcher {n} rules", _tp(lambda o, n=n: _spacy_ruler(_wl(o), n))
        )
        for n in (10, 100, 1_000)
    },
    "spacy_ruler10k_matcher100_nof": Case(
        "same as spacy_ruler10k_matcher100, tokenizer cache not flushed",
        _tp(lambda o: _spacy_ruler(_wl(o), 100, flush=False)),
    ),
    "iedsl_segment": Case("iedsl segment() only (tokens, sentences)", _tp(lambda o: _iedsl_segment)),
    "iedsl_1k_100": _iedsl_case(1_000, 100),
    "iedsl_10k_10": _iedsl_case(10_000, 10),
    "iedsl_10k_100": _iedsl_case(10_000, 100),
    "iedsl_10k_100_loose": _iedsl_case(10_000, 100, loose=True),
    "iedsl_10k_1000": _iedsl_case(10_000, 1_000),
    "iedsl_100k_100": _iedsl_case(100_000, 100),
    "iedsl_pack": Case(
        "iedsl: the shipped rule pack (rules/)", _tp(lambda o: _iedsl(lambda: [Path(o["root"]) / "rules"]))
    ),
    "iedsl_pack_baseline": Case(
        "iedsl: the engine and rule pack of --baseline COMMIT",
        _tp(lambda o: _iedsl(lambda: [Path(o["baseline"]) / "rules"])),
    ),
    "docsize_10k": _docsize_case(10_000, False),
    "docsize_100k": _docsize_case(100_000, False),
    "docsize_1m": _docsize_case(1_000_000, False),
    "docsize_pack_10k": _docsize_case(10_000, True),
    "docsize_pack_100k": _docsize_case(100_000, True),
    "docsize_pack_1m": _docsize_case(1_000_000, True),
    "compile_10k_1000": Case(
        "compile 10k names + 1000 rules: cold, and from the content-hash cache", _compile, "compile"
    ),
    "startup": Case("`iedsl run rules/ empty.txt`: wall time (import + load the pack)", _startup, "startup"),
    "jobs": Case("`iedsl run rules/ CORPUS --jobs 1` vs `--jobs 2`", _jobs, "jobs"),
    "stream": Case("JSONL piped into `iedsl run rules/ -`: RSS over time", _stream, "stream"),
    "differential": Case(
        "iedsl vs spaCy matches on the corpus sample (10k names; 10/100/1000 rules)",
        _differential,
        "differential",
    ),
}


BASELINE = frozenset({"iedsl_pack_baseline"})  # cases run with the --baseline checkout's ie_dsl


def run_case(name: str, opts: dict[str, Any]) -> dict[str, Any]:
    """Run one case (in the current process) and label its result."""
    case = CASES[name]
    res = case.run(opts)
    # ru_maxrss (bench.py) can include the parent's size at fork; VmHWM is this image's own peak
    return {"case": name, "what": case.what, "kind": case.kind, "vmhwm_mib": _vmrss_mib(field="VmHWM")} | res
