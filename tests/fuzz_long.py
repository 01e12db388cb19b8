"""The long fuzz campaign (`make fuzz`): tests/test_fuzz.py with the `long` Hypothesis profile.

    IEDSL_FUZZ_EXAMPLES=N   examples per property in one round (default 10,000; the CLI and
                            `debug ast` properties run a small share of N, see test_fuzz.fuzz)
    IEDSL_FUZZ_SECONDS=S    keep starting new rounds, each with fresh random seeds, until S
                            seconds have passed (a round is never cut short; default: one round)

Prints how many examples each property ran, the total and the time taken. Exit code: pytest's
(0 when every property held; a failure prints the falsifying example and a
@reproduce_failure line to replay it, see docs/fuzzing.md).
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


def one_round() -> tuple[int, Counter[str]]:
    """Run the properties once with the long profile: (pytest exit code, examples per property)."""
    fd, counts_path = tempfile.mkstemp(prefix="iedsl-fuzz-counts-", suffix=".json")
    os.close(fd)
    env = {**os.environ, "IEDSL_FUZZ_PROFILE": "long", "IEDSL_FUZZ_COUNTS": counts_path}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "test_fuzz.py")]
    try:
        code = subprocess.call(command, env=env, cwd=HERE.parent)
        text = Path(counts_path).read_text(encoding="utf-8")
        counts = Counter(json.loads(text) if text.strip() else {})
    finally:
        os.unlink(counts_path)
    return code, counts


def main() -> int:
    budget = float(os.environ.get("IEDSL_FUZZ_SECONDS") or 0)
    started = time.monotonic()
    total: Counter[str] = Counter()
    rounds = 0
    while True:
        code, counts = one_round()
        total.update(counts)
        rounds += 1
        if code != 0 or time.monotonic() - started >= budget:
            break
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {rounds} round{'s' * (rounds != 1)} in {elapsed:.0f} s")
    width = max((len(name) for name in total), default=0)
    for name, count in sorted(total.items()):
        print(f"  {name:<{width}}  {count:>9,}")
    print(f"  {'total':<{width}}  {sum(total.values()):>9,} examples" + ("" if code == 0 else "; FAILED"))
    return code


if __name__ == "__main__":
    sys.exit(main())
