"""How long reading rule text takes: one huge alternation (issue 15, F3) and the shipped pack.

An on-demand benchmark, not a test:

    .venv/bin/python benchmarks/parse_speed.py              # 100,000 alternatives, the pack
    .venv/bin/python benchmarks/parse_speed.py --words 40000 --repeat 5

Each case is the best of --repeat runs, as wall time (time.perf_counter) and as CPU time
(time.process_time, or the child's user + system time for a subprocess). On a shared
machine the CPU time is the steadier of the two. The code measured is the checkout this
script is in (subprocesses get PYTHONPATH set to it), so copying the script into an older
checkout (`git archive COMMIT | tar -x -C DIR`) measures that one for a before/after table.

Cases:

- `grammar`: building the parser (the grammar is compiled once per process; the first parse
  pays for it). Measured in a fresh subprocess each time, since it is cached after.
- `alternatives`: `parser.parse_file` of `rule big: (w0 | w1 | ... | wN-1)`, in process.
- `pack`: `parser.parse_file` of every `.ie` file of `rules/` and `parser.parse_pattern` of
  every pattern of its YAML rule files, in process.
- `check stage ...`: the stages of `iedsl check` on the big rule, in process, with the
  cyclic garbage collector paused as the pipeline pauses it: reading and parsing
  (`load_rules`), the checks of analysis.py, lowering, compiling.
- `cold compile_rules ...`: one `compile_rules([big.ie])` in a fresh interpreter, timed
  around that call only (after `import ie_dsl`): what a user waits for, and more than the
  stages above, which are measured warm (the grammar built, the interpreter's caches and
  memory already grown) and without the garbage collector's pass when compiling ends. Also
  for a quarter and a half of --words, to show that the time grows linearly.
- `iedsl check ...`: `iedsl check` of the same, end to end in a subprocess (interpreter
  start, imports, reading, parsing, lowering, compiling; IEDSL_NO_CACHE=1 so the
  compiled-rules cache does not skip the work).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's ie_dsl, also in process
CHECK = "import sys; from ie_dsl.cli import main; sys.argv[0] = 'iedsl'; main()"
Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def big_alternation(words: int) -> str:
    """One rule of `words` one-word alternatives."""
    return "rule big: (" + " | ".join(f"w{i}" for i in range(words)) + ")\n"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_time(call: Callable[[], object], repeat: int) -> Timing:
    """The fastest of `repeat` calls (the others met other work on the machine): wall and CPU
    seconds, this process's and its waited-for children's."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu + _children_cpu() - children)
    return min(walls), min(cpus)


def pack_texts() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(path, text) of every `.ie` file of rules/, and (path, pattern) of every YAML rule
    pattern (`pattern:` of its rules and the bodies of its `define:`)."""
    from ie_dsl.language.yamlfile import LocDict, LocList, load_yaml
    from ie_dsl.source import SourceFile

    files = [(str(p), p.read_text(encoding="utf-8")) for p in sorted((ROOT / "rules").rglob("*.ie"))]
    patterns: list[tuple[str, str]] = []
    for p in sorted((ROOT / "rules").rglob("*.yaml")):
        data = load_yaml(SourceFile(str(p), p.read_text(encoding="utf-8")))
        if not isinstance(data, LocDict):
            continue
        rules = data.get("rules")
        for rule in rules if isinstance(rules, LocList) else ():
            if isinstance(rule, LocDict) and isinstance(rule.get("pattern"), str):
                patterns.append((str(p), rule["pattern"]))
        defines = data.get("define")
        for body in defines.values() if isinstance(defines, LocDict) else ():
            if isinstance(body, str):
                patterns.append((str(p), body))
    return files, patterns


def parse_pack(files: list[tuple[str, str]], patterns: list[tuple[str, str]]) -> None:
    from ie_dsl.language.parser import parse_file, parse_pattern

    for path, text in files:
        parse_file(text, path)
    for path, text in patterns:
        parse_pattern(text, path)


def _env() -> dict[str, str]:
    """The environment of a subprocess that imports ie_dsl from this checkout."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "IEDSL_NO_CACHE": "1"}


def run_check(paths: list[str], repeat: int) -> Timing:
    """Best times of `iedsl check PATHS` (exit 0 expected)."""
    command = [sys.executable, "-c", CHECK, "check", "-f", "concise", *paths]

    def call() -> None:
        done = subprocess.run(command, env=_env(), capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"iedsl check {paths} failed:\n{done.stdout}{done.stderr}")

    return best_time(call, repeat)


def _timed(into: list[Timing], function: Callable[..., Any], *args: Any) -> Any:
    """function(*args), its wall and CPU time appended to `into`."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    into.append((time.perf_counter() - wall, time.process_time() - cpu))
    return result


STAGES = ("read and parse", "analysis checks", "lower", "compile")


def check_stages(path: Path, repeat: int) -> list[tuple[str, Timing]]:
    """Best times of each stage of `iedsl check PATH`, in process (see the module doc)."""
    from ie_dsl.pipeline import _compiling, check_all, compile_program, load_rules, lower

    runs: list[list[Timing]] = []
    for _ in range(repeat):
        timed: list[Timing] = []
        with _compiling():
            rules = _timed(timed, load_rules, [path])
            checked = _timed(timed, check_all, rules)[0]
            strata, statements = _timed(timed, lower, checked, [])
            _timed(timed, compile_program, strata, statements, checked.lexicons, checked.types)
        runs.append(timed)
    return [
        (f"check stage: {name}", (min(r[i][0] for r in runs), min(r[i][1] for r in runs)))
        for i, name in enumerate(STAGES)
    ]


COLD = (
    "import sys, time, ie_dsl; t, c = time.perf_counter(), time.process_time(); "
    "ie_dsl.compile_rules([sys.argv[1]]); print(time.perf_counter() - t, time.process_time() - c)"
)


def cold_compile(path: Path, repeat: int) -> Timing:
    """Best times of one compile_rules([path]) in a fresh interpreter each time."""

    def one() -> Timing:
        out = subprocess.run(
            [sys.executable, "-c", COLD, str(path)], env=_env(), capture_output=True, text=True, check=True
        )
        wall, cpu = out.stdout.split()
        return float(wall), float(cpu)

    runs = [one() for _ in range(repeat)]
    return min(w for w, _ in runs), min(c for _, c in runs)


def grammar_time(repeat: int) -> Timing:
    """Best times to build the parser, each in a fresh interpreter (lark imported first)."""
    code = (
        "import time, lark, ie_dsl.language.parser as p; t, c = time.perf_counter(), time.process_time(); "
        "p.parse_file('rule r: a\\n', 'x.ie'); print(time.perf_counter() - t, time.process_time() - c)"
    )

    def one() -> Timing:
        out = subprocess.run(
            [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True, cwd=ROOT
        )
        wall, cpu = out.stdout.split()
        return float(wall), float(cpu)

    runs = [one() for _ in range(repeat)]
    return min(w for w, _ in runs), min(c for _, c in runs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--words", type=int, default=100_000, help="alternatives in the big rule")
    p.add_argument("--repeat", type=int, default=3, help="runs per case; the best is shown")
    a = p.parse_args(argv)
    from ie_dsl.language.parser import parse_file

    text = big_alternation(a.words)
    files, patterns = pack_texts()
    parse_file("rule warm: up\n", "warm.ie")  # the grammar is built once, outside the timings
    rows = [
        ("grammar (first parse, fresh process)", grammar_time(a.repeat)),
        (
            f"alternatives: parse_file, {a.words:,} words",
            best_time(lambda: parse_file(text, "big.ie"), a.repeat),
        ),
        (
            f"pack: {len(files)} .ie files + {len(patterns)} YAML patterns",
            best_time(lambda: parse_pack(files, patterns), a.repeat),
        ),
    ]
    with tempfile.TemporaryDirectory(prefix="iedsl-parse-speed-") as tmp:
        big = Path(tmp) / "big.ie"
        big.write_text(text, encoding="utf-8")
        rows += check_stages(big, a.repeat)
        for words in (a.words // 4, a.words // 2, a.words):
            sized = Path(tmp) / f"big{words}.ie"
            sized.write_text(big_alternation(words), encoding="utf-8")
            rows.append((f"cold compile_rules, {words:,} alternatives", cold_compile(sized, a.repeat)))
        rows.append((f"iedsl check, {a.words:,} alternatives", run_check([str(big)], a.repeat)))
        rows.append(("iedsl check rules/", run_check([str(ROOT / "rules")], a.repeat)))
    print(f"{'case':<48} {'wall s':>8} {'CPU s':>8}")
    for name, (wall, cpu) in rows:
        print(f"{name:<48} {wall:>8.3f} {cpu:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
