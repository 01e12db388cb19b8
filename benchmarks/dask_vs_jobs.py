"""`iedsl run --engine dask` on a two-worker LocalCluster against `iedsl run --jobs 2` (issue 16).

    .venv/bin/python benchmarks/dask_vs_jobs.py                  # the whole Reuters corpus, 2 rounds
    .venv/bin/python benchmarks/dask_vs_jobs.py --rounds 3 --limit 2000

Each round runs, in alternating order, the two commands as a user types them (end to end: the
process starts, loads the rules, runs, writes, exits):

    iedsl run RULES CORPUS --jobs 2 -f jsonl -o WORK/jobs.jsonl -q
    iedsl run RULES CORPUS --engine dask --jobs 2 -o WORK/dask-N/ -q     (its own LocalCluster)

and, unless --no-warm, the job alone on a LocalCluster that is already running (run_job with
scheduler=client: what a second job on a running cluster costs). It checks that the outputs are
byte-identical after sorting their lines (and says whether they are identical as they are),
and prints wall time, the CPU our processes used, and the CPU other processes used meanwhile
("foreign": the machine is shared; where it is large, a core was not ours), then the ratios
per round, of the best wall times and of the median CPU times. --json FILE keeps
the figures. Everything goes to the work directory (default /tmp/iedsl-dask-bench), never into
the project: the corpus is for research use only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path("/work/shared/corpora/reuters21578/reuters21578.jsonl.gz")
IEDSL = [sys.executable, "-c", "from ie_dsl.cli import main; main()"]


def busy_seconds() -> float:
    """CPU seconds every process on the machine has used (not idle, not waiting for I/O)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], cwd: Path) -> dict[str, float]:
    """Run a command; its wall time, the CPU it (and its children) used, and foreign CPU."""
    cpu, busy, start = children_cpu(), busy_seconds(), time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - start
    own = children_cpu() - cpu
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:  # 1: documents failed
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return {"wall": wall, "cpu": own, "foreign": max(0.0, busy_seconds() - busy - own)}


def shown(r: dict[str, float]) -> str:
    return f"{r['wall']:6.2f} s wall, {r['cpu']:6.2f} s CPU, {r['foreign']:5.2f} s foreign"


def sorted_lines(data: bytes) -> list[bytes]:
    return sorted(data.splitlines())


def parts_of(out: Path) -> bytes:
    manifest = json.loads((out / "manifest.json").read_text())
    return b"".join((out / p["name"]).read_bytes() for p in manifest["parts"])


def limited(corpus: Path, limit: int | None, work: Path) -> Path:
    """The corpus, or its first `limit` lines as a .jsonl.gz in the work directory."""
    if limit is None:
        return corpus
    target = work / f"first-{limit}.jsonl.gz"
    opener = gzip.open if str(corpus).endswith(".gz") else open
    with opener(corpus, "rb") as src, gzip.open(target, "wb") as dst:
        for n, line in enumerate(src):
            if n >= limit:
                break
            dst.write(line)
    return target


def warm_runs(rules: str, corpus: Path, work: Path, rounds: int) -> list[dict[str, float]]:
    """The job alone, `rounds` times, on one LocalCluster started first (forked workers, as
    `iedsl run --engine dask` starts them); CPU of this process and the workers through psutil."""
    import psutil

    from ie_dsl.pipeline import compile_rules
    from ie_dsl.scale.distributed import _connect, run_job

    book = compile_rules([rules])
    results = []
    with _connect(None, 2) as client:
        pids = list(client.run(os.getpid).values())
        procs = [psutil.Process()] + [psutil.Process(p) for p in pids]

        def cpu() -> float:
            return sum(sum(p.cpu_times()[:2]) for p in procs)

        for n in range(rounds):
            out = work / f"warm-{n}"
            shutil.rmtree(out, ignore_errors=True)
            own, busy, start = cpu(), busy_seconds(), time.perf_counter()
            run_job(book, [str(corpus)], out, scheduler=client)
            wall = time.perf_counter() - start
            used = cpu() - own
            results.append({"wall": wall, "cpu": used, "foreign": max(0.0, busy_seconds() - busy - used)})
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=CORPUS, help="JSONL(.gz), one document per line")
    p.add_argument("--rules", default=str(ROOT / "rules"), help="rule paths (default: the shipped pack)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="only the first N documents")
    p.add_argument(
        "--work", type=Path, default=Path(os.environ.get("IEDSL_BENCH_WORK", "/tmp/iedsl-dask-bench"))
    )
    p.add_argument("--no-warm", action="store_true", help="skip the job on an already running cluster")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--from-git", metavar="REV", help="measure the code and rules of this commit (e.g. HEAD)")
    a = p.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    corpus = limited(a.corpus, a.limit, a.work)
    # Copies of the code and the rules: on a shared checkout, an edit to any module of ie_dsl
    # during the benchmark would make the next command recompile the rules (the cache is keyed
    # by the code), and an edit to rules/ would make the outputs differ.
    # With --from-git REV, the copies are of that commit (a working tree others are editing
    # may not even import).
    code = a.work / "code"
    shutil.rmtree(code, ignore_errors=True)
    code.mkdir()
    if a.from_git:
        tar = subprocess.run(
            ["git", "archive", a.from_git, "ie_dsl", "grammar", "rules"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(code)], input=tar.stdout, check=True)
    else:
        for name in ("ie_dsl", "grammar", "rules"):
            shutil.copytree(ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(code))
    if a.rules == str(ROOT / "rules"):
        a.rules = str(code / "rules")
    # one run before timing compiles the rules into the cache: both commands then load them from it
    seed = next((ROOT / "seeds").glob("*.txt"))
    subprocess.run([*IEDSL, "run", a.rules, str(seed), "-q", "-f", "jsonl"], capture_output=True, cwd=a.work)
    rows: dict[str, list[dict[str, float]]] = {"jobs": [], "dask": []}
    identical = sorted_equal = True
    for n in range(a.rounds):
        jobs_out, dask_out = a.work / "jobs.jsonl", a.work / f"dask-{n}"
        shutil.rmtree(dask_out, ignore_errors=True)
        run = [*IEDSL, "run", a.rules, str(corpus), "--jobs", "2", "-q", "-o"]
        commands = {
            "jobs": [*run, str(jobs_out), "-f", "jsonl"],
            "dask": [*run, str(dask_out), "--engine", "dask"],
        }
        for name in ("jobs", "dask") if n % 2 == 0 else ("dask", "jobs"):
            rows[name].append(timed(commands[name], a.work))  # not ROOT: its ie_dsl would come first
            print(f"round {n + 1} {name:5}: {shown(rows[name][-1])}")
        mine, theirs = jobs_out.read_bytes(), parts_of(dask_out)
        identical &= mine == theirs
        sorted_equal &= sorted_lines(mine) == sorted_lines(theirs)
        ratio = rows["dask"][-1]["wall"] / rows["jobs"][-1]["wall"]
        print(f"round {n + 1}: dask / jobs = {ratio:.2f}; {len(mine.splitlines())} statements")
    warm = [] if a.no_warm else warm_runs(a.rules, corpus, a.work, a.rounds)
    for n, r in enumerate(warm):
        print(f"warm  {n + 1}     : {shown(r)}")
    ratios = [d["wall"] / j["wall"] for d, j in zip(rows["dask"], rows["jobs"], strict=True)]
    each = ", ".join(f"{r:.2f}" for r in ratios)
    best = {name: min(r["wall"] for r in rows[name]) for name in rows}
    cpu = {name: statistics.median(r["cpu"] for r in rows[name]) for name in rows}
    print(
        f"dask / jobs per round: {each} (median {statistics.median(ratios):.2f}); best of each: "
        f"{best['dask']:.2f} / {best['jobs']:.2f} s = {best['dask'] / best['jobs']:.2f}; median CPU: "
        f"{cpu['dask']:.2f} / {cpu['jobs']:.2f} s = {cpu['dask'] / cpu['jobs']:.2f}"
    )
    print(f"outputs byte-identical after sorting: {sorted_equal}; identical as they are: {identical}")
    if a.json:
        summary: dict[str, Any] = {"corpus": str(corpus), "rounds": rows, "warm": warm, "ratios": ratios}
        summary.update(sorted_equal=sorted_equal, identical=identical, cpus=os.cpu_count())
        a.json.write_text(json.dumps(summary, indent=1) + "\n")
    if not sorted_equal:
        raise SystemExit("the outputs differ")


if __name__ == "__main__":
    main()
