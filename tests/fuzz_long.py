"""The long fuzz campaign (`make fuzz`): tests/test_fuzz.py with the `long` Hypothesis profile,
then the differential operator fuzz tests/test_fuzz_ops.py on its large budget.

    IEDSL_FUZZ_EXAMPLES=N    examples per property in one round (default 10,000; the CLI and
                             `debug ast` properties run a small share of N, see test_fuzz.fuzz)
    IEDSL_FUZZ_OPS_RULES=N   random rules per operator-fuzz test in one round (default 5,000,
                             12 sentences each; see tests/test_fuzz_ops.py)
    IEDSL_FUZZ_SECONDS=S     keep starting new rounds, each with fresh random seeds, until S
                             seconds have passed (a round is never cut short; default: one round)

Prints how many examples each property ran and how many cases each operator-fuzz comparison
made, the totals and the time taken. Exit code: pytest's (0 when everything held; a failing
property prints the falsifying example and a @reproduce_failure line to replay it, a failing
operator comparison prints shrunk cases and the seed to replay them, see docs/fuzzing.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_tests(test_file: str, counts_variable: str) -> tuple[int, Counter[str]]:
    """Run one test file under pytest with the long profile: (exit code, the counts the
    tests wrote to the JSON file named by `counts_variable`)."""
    fd, counts_path = tempfile.mkstemp(prefix="iedsl-fuzz-counts-", suffix=".json")
    os.close(fd)
    env = {**os.environ, "IEDSL_FUZZ_PROFILE": "long", counts_variable: counts_path}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / test_file)]
    try:
        code = subprocess.call(command, env=env, cwd=HERE.parent)
        text = Path(counts_path).read_text(encoding="utf-8")
        counts = Counter(json.loads(text) if text.strip() else {})
    finally:
        os.unlink(counts_path)
    return code, counts


def one_round() -> tuple[int, int, Counter[str], Counter[str]]:
    """The properties, then the operator fuzz: (the two exit codes, examples per property,
    cases per operator comparison)."""
    code, examples = run_tests("test_fuzz.py", "IEDSL_FUZZ_COUNTS")
    ops_code, cases = run_tests("test_fuzz_ops.py", "IEDSL_FUZZ_OPS_COUNTS")
    return code, ops_code, examples, cases


def show(title: str, counts: Counter[str], unit: str, failed: bool) -> None:
    """Print one table of counts with its total."""
    width = max((len(name) for name in counts), default=0)
    print(f"  {title}")
    for name, count in sorted(counts.items()):
        print(f"    {name:<{width}}  {count:>11,}")
    print(f"    {'total':<{width}}  {sum(counts.values()):>11,} {unit}" + ("; FAILED" if failed else ""))


def main() -> int:
    budget = float(os.environ.get("IEDSL_FUZZ_SECONDS") or 0)
    started = time.monotonic()
    examples: Counter[str] = Counter()
    cases: Counter[str] = Counter()
    rounds = 0
    while True:
        code, ops_code, round_examples, round_cases = one_round()
        examples.update(round_examples)
        cases.update(round_cases)
        rounds += 1
        if code != 0 or ops_code != 0 or time.monotonic() - started >= budget:
            break
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {rounds} round{'s' * (rounds != 1)} in {elapsed:.0f} s")
    show("properties (tests/test_fuzz.py)", examples, "examples", code != 0)
    show("operator fuzz (tests/test_fuzz_ops.py)", cases, "cases", ops_code != 0)
    return code or ops_code


if __name__ == "__main__":
    sys.exit(main())
