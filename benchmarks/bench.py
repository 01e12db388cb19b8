"""iedsl against spaCy's matchers on Reuters-21578 (issue 7). Run on demand: `make bench`.

    .venv/bin/python benchmarks/bench.py                      # every case, 2 rounds (~30 min)
    .venv/bin/python benchmarks/bench.py --quick              # 1,000 documents, 1 pass: a smoke run
    .venv/bin/python benchmarks/bench.py --cases 'iedsl_.*,spacy_tokenizer'
    .venv/bin/python benchmarks/bench.py --list

Every case runs in its own child process, so its peak RSS (getrusage) is its own; the child
also records the peak right after loading the corpus ("+MiB over corpus"). A throughput case
makes a first (cold) pass, then --runs timed passes (the median is reported). A case whose
first pass exceeds budget / (runs + 1) stops at the next 200-document boundary and is timed
on that leading slice (the "slice" column; speeds are on the bytes processed). With --rounds
N the throughput cases are run N times, interleaved, on the first round's slice, and the median
is taken over all their timed passes (other jobs on a shared machine hit one round, not all).

Generated workloads, slices and results go to the work directory (default /tmp/iedsl-bench,
env IEDSL_BENCH_WORK, --work), never into the project: the corpus is for research use only.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cases  # noqa: E402
from bench_report import render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path("/work/shared/corpora/reuters21578/reuters21578.jsonl.gz")


def parse_size(s: str) -> int:
    """'2G', '200M', '64K' or a number of bytes."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?)B?", s.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {s}")
    return int(float(m[1]) * {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[m[2]])


def args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=CORPUS, help="JSONL(.gz) with a `text` field")
    p.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("IEDSL_BENCH_WORK", "/tmp/iedsl-bench")),
        help="work directory for generated files and results (outside the project)",
    )
    p.add_argument("--out", type=Path, help="results prefix (default WORK/results/bench-TIMESTAMP)")
    p.add_argument("--cases", default="", help="comma-separated case names or regular expressions")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument(
        "--quick", action="store_true", help="smoke run: 1,000 documents, 1 pass, small budgets and stream"
    )
    p.add_argument("--runs", type=int, default=3, help="timed passes after the first (default 3)")
    p.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="repeat the throughput cases, interleaved, and pool their passes (default 2)",
    )
    p.add_argument(
        "--budget", type=float, default=90.0, help="seconds per throughput case before slicing (default 90)"
    )
    p.add_argument("--limit", type=int, default=0, help="use only the first N documents (0: all)")
    p.add_argument("--sample", type=int, default=2000, help="documents in the differential sample")
    p.add_argument(
        "--stream-bytes",
        type=parse_size,
        default=parse_size("2G"),
        help="JSONL bytes to stream into `iedsl run -` (default 2G)",
    )
    p.add_argument(
        "--stream-seconds",
        type=float,
        default=300.0,
        help="stop the stream after this many seconds (0: no limit; default 300)",
    )
    p.add_argument(
        "--baseline",
        help="a commit whose engine and rule pack iedsl_pack_baseline runs (to compare in one run)",
    )
    p.add_argument("--startup-runs", type=int, default=9, help="runs of `iedsl run` start-up (median)")
    p.add_argument("--jobs-runs", type=int, default=2, help="timed runs of each --jobs setting")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-opts", help=argparse.SUPPRESS)
    return p


def options(a: argparse.Namespace) -> dict[str, Any]:
    """What a child needs to know, as plain JSON data."""
    o = {
        "corpus": str(a.corpus),
        "work": str(a.work),
        "runs": a.runs,
        "budget": a.budget,
        "limit": a.limit,
        "sample": a.sample,
        "stream_bytes": a.stream_bytes,
        "stream_seconds": a.stream_seconds,
        "startup_runs": a.startup_runs,
        "jobs_runs": a.jobs_runs,
        "root": str(ROOT),
        "quick": a.quick,
        "rounds": a.rounds,
    }
    if a.quick:
        o.update(
            runs=1,
            rounds=1,
            budget=min(a.budget, 20.0),
            limit=a.limit or 1000,
            sample=min(a.sample, 300),
            stream_bytes=min(a.stream_bytes, 20 * 10**6),
            stream_seconds=20.0,
            startup_runs=3,
            jobs_runs=1,
        )
    return o


def select(spec: str) -> list[str]:
    """Case names matching the comma-separated names/regexes (all when empty), in table order."""
    names = list(bench_cases.CASES)
    if not spec:
        return names
    pats = [s.strip() for s in spec.split(",") if s.strip()]
    chosen = [n for n in names if any(n == p or re.fullmatch(p, n) for p in pats)]
    unknown = [p for p in pats if not any(n == p or re.fullmatch(p, n) for n in names)]
    if unknown:
        sys.exit(f"unknown case(s): {', '.join(unknown)} (see --list)")
    return chosen


def run_child(name: str, opts: dict[str, Any]) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its result is the last line of its stdout. A
    baseline case imports ie_dsl from the --baseline checkout."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--child-opts", json.dumps(opts)]
    env = None
    if name in bench_cases.BASELINE:
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [opts["baseline"], os.environ.get("PYTHONPATH")])),
        )
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {
            "case": name,
            "error": f"exit {proc.returncode}",
            "stderr": proc.stderr[-3000:],
            "wall_s": wall,
        }
    res = json.loads(lines[-1])
    res["wall_s"] = round(wall, 2)
    return res


def pool(base: dict[str, Any], more: dict[str, Any]) -> None:
    """Add a later round's passes to a throughput result: the median is over all passes."""
    base["times_s"] += more["times_s"]
    base["cpu_times_s"] = base.get("cpu_times_s", []) + more.get("cpu_times_s", [])
    base["round_medians"] += more["round_medians"]
    med = statistics.median(base["times_s"])
    base.update(
        median_s=med,
        mb_s=base["bytes"] / 1e6 / med,
        docs_s=base["docs"] / med,
        s_per_mb=med / (base["bytes"] / 1e6),
        maxrss_mib=max(base["maxrss_mib"], more["maxrss_mib"]),
    )
    rm = base["round_medians"]
    base["round_spread"] = (max(rm) - min(rm)) / med


def baseline(work: Path, commit: str) -> dict[str, str]:
    """The engine and rule pack of `commit` (ie_dsl, grammar, rules), unpacked once under
    WORK/baseline/: what the baseline cases import and run."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", "--short", f"{commit}^{{commit}}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    if not sha:
        sys.exit(f"--baseline: no commit {commit!r} in {ROOT}")
    where = work / "baseline" / sha
    if not (where / "ie_dsl").is_dir():
        where.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "ie_dsl", "grammar", "rules"], capture_output=True, cwd=ROOT, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return {"baseline": str(where), "baseline_commit": sha}


def environment() -> dict[str, Any]:
    """Versions, machine and load, for the record."""

    def out(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    try:  # not `import spacy`: children inherit the parent's peak RSS through fork + exec
        spacy_version = importlib.metadata.version("spacy")
    except importlib.metadata.PackageNotFoundError:
        spacy_version = None
    return {
        "commit": out("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(out("git", "status", "--porcelain", "--untracked-files=no", "ie_dsl", "rules")),
        "python": platform.python_version(),
        "spacy": spacy_version,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "loadavg_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    a = args_parser().parse_args(argv)
    if a.child:
        res = bench_cases.run_case(a.child, json.loads(a.child_opts))
        res["maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(res))
        return 0
    if a.list:
        for name, case in bench_cases.CASES.items():
            print(f"{name:30s} {case.what}")
        return 0
    names = select(a.cases)
    opts = options(a)
    work = a.work.resolve()
    if work == ROOT or ROOT in work.parents:
        sys.exit("--work must lie outside the project: the corpus and anything derived from it stay out")
    a.work.mkdir(parents=True, exist_ok=True)
    from workloads import prepare

    prepare(a.work, a.corpus, log=lambda m: print(m, file=sys.stderr))
    if a.baseline:
        opts |= baseline(work, a.baseline)
    elif needs := [n for n in names if n in bench_cases.BASELINE]:
        sys.exit(f"{', '.join(needs)}: give the commit to compare with, --baseline COMMIT")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = a.out or a.work / "results" / f"bench-{stamp}{'-quick' if a.quick else ''}"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"env": environment(), "options": opts, "results": {}}
    fixed: dict[str, int] = {}
    for rnd in range(opts["rounds"]):
        for name in names:
            if rnd and bench_cases.CASES[name].kind not in ("throughput", "docsize"):
                continue  # only throughput cases are repeated
            print(f"[{time.strftime('%H:%M:%S')}] round {rnd + 1}: {name} ...", file=sys.stderr, flush=True)
            res = run_child(name, opts | {"fixed_docs": fixed.get(name, 0)})
            if rnd == 0 or name not in doc["results"] or "error" in doc["results"][name]:
                doc["results"][name] = res
                fixed[name] = res.get("docs", 0)
            elif "error" not in res:
                pool(doc["results"][name], res)
            keys = ("median_s", "mb_s", "slice")
            brief = res.get("error") or ", ".join(f"{k}={res[k]:.3g}" for k in keys if k in res)
            print(f"    {brief} ({res.get('wall_s')} s)", file=sys.stderr, flush=True)
            out.with_suffix(".json").write_text(json.dumps(doc, indent=1))  # partial results survive
    doc["env"]["loadavg_end"] = os.getloadavg()
    doc["env"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1))
    md = render(doc)
    out.with_suffix(".md").write_text(md)
    print(md)
    print(f"results: {out.with_suffix('.json')} and {out.with_suffix('.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
