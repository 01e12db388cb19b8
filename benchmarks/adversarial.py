"""Time against sentence length for adversarial rules (issue 5, item 1).

An on-demand benchmark, not a test:

    .venv/bin/python benchmarks/adversarial.py            # 1,000 - 100,000 tokens, 128 KB - 1 MB
    .venv/bin/python benchmarks/adversarial.py --quick    # stops at 10,000 tokens / 256 KB

Each rule lives in its own rule file (`main.ie` in a temporary directory); `pack` is the
shipped `rules/`. Each case (rule, input, size) runs in its own subprocess with a wall-clock
limit, so a runaway case is reported as "timeout" instead of hanging the benchmark. The time
is the best of --repeat runs of `RuleBook.extract` (time.perf_counter); compiling is not timed.

Inputs (none of them lets the `a` run end in `b`, the failing case that hurts backtrackers):

- `no b`:   "a a a ... a": the prefilter sees no `b` and skips the rule, as it would in real use.
- `decoy`:  "c b a a a ... a": the `c` and `b` up front get past the prefilter, so the matcher
            really tries every `a` and fails.
- `ends b`: "a a a ... a b": only for `mode all`, where every start matches and so is a full scan.
- `words`:  only for the pack: the words of seeds/ without sentence punctuation, repeated.

Sentences are one sentence of N tokens (no punctuation); documents are lines of 100 tokens
ending in "." repeated up to the size.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RULES: dict[str, str] = {
    "(a|a)* b": "rule r: (a | a)* b",
    "(a* a*)* b": "rule r: (a* a*)* b",
    "(a | a _?)+ b": "rule r: (a | a _?)+ b",
    "(a{0,5} a{0,5}){0,20} b": "rule r: (a{0,5} a{0,5}){0,20} b",
    "a ...{0,50} b ...{0,50} c": "rule r: a ...{0,50} b ...{0,50} c",
    "/^(a|a)+$/ b": "rule r: /^(a|a)+$/ b",
    "(?<! x) a (?! y) b": "rule r: (?<! x) a (?! y) b",
    "mode all: a _{0,200} b": "rule r mode all: a _{0,200} b",
    "pack": "",  # the shipped rules/
}

SENTENCE_TOKENS = (1_000, 10_000, 100_000)
DOC_KB = (128, 256, 512, 1024)
LINE_TOKENS = 100


def inputs_for(rule: str) -> list[str]:
    if rule == "pack":
        return ["no b", "words"]
    if rule.startswith("mode all"):
        return ["no b", "decoy", "ends b"]
    return ["no b", "decoy"]


def _words(kind: str, n: int) -> list[str]:
    if kind == "words":
        text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
        pool = re.sub(r"[.!?;:]+", " ", text).split()
        return [pool[i % len(pool)] for i in range(n)]
    body = ["a"] * n
    if kind == "decoy":
        return ["c", "b"] + body
    if kind == "ends b":
        return body + ["b"]
    return body


def make_text(kind: str, unit: str, size: int) -> str:
    """One sentence of `size` tokens (unit "tokens") or a document of `size` KB (unit "KB")."""
    if unit == "tokens":
        return " ".join(_words(kind, size))
    target = size * 1024
    lines = []
    total = 0
    words = _words(kind, LINE_TOKENS * 64)  # a pool of lines, so "words" lines differ
    i = 0
    while True:
        chunk = words[(i % 64) * LINE_TOKENS : (i % 64 + 1) * LINE_TOKENS]
        if kind == "decoy":
            chunk = ["c", "b"] + ["a"] * LINE_TOKENS
        elif kind == "ends b":
            chunk = ["a"] * LINE_TOKENS + ["b"]
        line = " ".join(chunk) + ".\n"
        if total + len(line) > target:
            break
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines)


def worker(rule: str, kind: str, unit: str, size: int, repeat: int) -> None:
    """Run in the subprocess: print one time per line, flushed, so a timeout keeps the ones done."""
    sys.path.insert(0, str(ROOT))
    from ie_dsl import compile_rules

    with tempfile.TemporaryDirectory() as tmp:
        if rule == "pack":
            book = compile_rules([ROOT / "rules"])
        else:
            Path(tmp, "main.ie").write_text(RULES[rule] + "\n", encoding="utf-8")
            book = compile_rules([tmp])
        text = make_text(kind, unit, size)
        for _ in range(repeat):
            t0 = time.perf_counter()
            book.extract("bench", text)
            print(f"{time.perf_counter() - t0:.6f}", flush=True)


def measure(rule: str, kind: str, unit: str, size: int, repeat: int, timeout: float) -> float | None:
    """Best time of the case, or None if not even one run finished within `timeout` seconds."""
    cmd = [sys.executable, __file__, "--case", rule, kind, unit, str(size), "--repeat", str(repeat)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        out, err, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err, code = "", 0
    times = [float(x) for x in out.split()]
    if code != 0:
        sys.exit(f"case {rule!r} {kind} {size} {unit} failed:\n{err}")
    return min(times) if times else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="stop at 10,000 tokens and 256 KB")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the best is kept (3)")
    ap.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds per case (60)")
    ap.add_argument("--case", nargs=4, metavar=("RULE", "INPUT", "UNIT", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        rule, kind, unit, size = args.case
        worker(rule, kind, unit, int(size), args.repeat)
        return

    tokens = SENTENCE_TOKENS[:2] if args.quick else SENTENCE_TOKENS
    kbs = DOC_KB[:2] if args.quick else DOC_KB
    print(f"| {'rule':<26} | {'input':<6} | {'size':>14} | {'seconds':>8} | {'growth':>13} |")
    print(f"|{'-' * 28}|{'-' * 8}|{'-' * 16}|{'-' * 10}|{'-' * 15}|")
    for rule in RULES:
        for kind in inputs_for(rule):
            for unit, sizes, step in (("tokens", tokens, "decade"), ("KB", kbs, "doubling")):
                prev: float | None = None
                timed_out = False
                for size in sizes:
                    # after a timeout, larger sizes would only time out too
                    best = None if timed_out else measure(rule, kind, unit, size, args.repeat, args.timeout)
                    secs = "not run" if timed_out else "timeout" if best is None else f"{best:.4f}"
                    growth = ""
                    if prev is not None and best is not None and prev > 0:
                        growth = f"x{best / prev:.1f}/{step}"
                    label = f"{size:,} tokens" if unit == "tokens" else f"{size:,} KB doc"
                    cell = rule.replace("|", "\\|")  # a Markdown table cell
                    print(f"| {cell:<26} | {kind:<6} | {label:>14} | {secs:>8} | {growth:>13} |", flush=True)
                    prev = best
                    timed_out = best is None


if __name__ == "__main__":
    main()
