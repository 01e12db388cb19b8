"""Work that must grow linearly with its input: counted for the unit tests, timed on demand.

The unit tests used to assert wall-clock limits ("find_dates on 36,000 tokens takes < 5 s"),
which pass or fail with the machine's speed and load, not with the code. They now count
what does not depend on either: the Python lines executed (a `sys.settrace` count, the same
on every machine and run) at a size n and at FACTOR times n. Linear work gives a ratio of
FACTOR; work that is quadratic in Python code gives FACTOR squared. The tests allow
LINEAR_RATIO, between the two. What a line count cannot see (a C-level call that is itself
linear, done once per item) is what the timed run of this script is for:

    .venv/bin/python benchmarks/growth.py                 # every case at n and FACTOR x n
    .venv/bin/python benchmarks/growth.py --cases dates   # names are regular expressions
    .venv/bin/python benchmarks/growth.py --count         # the line counts the tests compare

Each case is `size -> a call` (`CASES`); the time shown is the best of --repeat calls.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FACTOR = 4
LINEAR_RATIO = 1.25 * FACTOR  # linear: FACTOR (plus constant set-up); quadratic: FACTOR ** 2

Case = Callable[[int], Callable[[], object]]  # a size -> the call to measure at that size


def _numbers(n: int) -> Callable[[], object]:
    """find_numbers over 7n tokens: 2n numbers ("one hundred", "twenty")."""
    from ie_dsl.text.numbers import find_numbers

    norms = ["one", "hundred", "and", "x"] * n + ["twenty", "-", "x"] * n
    return lambda: find_numbers(norms)


MONEY_WORDS = (
    "paid 50 mln dlrs , $ 1.5 billion , between 5 and 10 mln Canadian dlrs , 12 cts vs 1.20 "
    "dlrs , 17 - 1 / 2 to 19 dlrs , 45 - mln - dlr , USD 20 m , 5 , 6 , seven , pct"
).split()


def _money(n: int) -> Callable[[], object]:
    """find_money over one 'sentence' of n copies of MONEY_WORDS (7 mentions each)."""
    from ie_dsl.text.money import find_money
    from ie_dsl.text.segment import norm

    texts = MONEY_WORDS * n
    joined = [False] * len(texts)
    return lambda: find_money([norm(w) for w in texts], texts, joined)


DATE_WORDS = (
    "on Thursday , since 2021 , in the past three years , June 2023 , the 15th of May , may "
    "march the first quarter 14/02/2024 early July "
).split()


def _dates(n: int) -> Callable[[], object]:
    """find_dates over one 'sentence' of n copies of DATE_WORDS (at least 7 dates each)."""
    from ie_dsl.text.dates import find_dates
    from ie_dsl.text.segment import norm

    norms = [norm(w) for w in DATE_WORDS] * n
    return lambda: find_dates(norms, DATE_WORDS * n, date(2024, 2, 15))


@cache
def _seed_book() -> Any:
    from ie_dsl import compile_rules

    return compile_rules([ROOT / "rules"])


def seed_documents(n: int) -> list[Any]:
    """n documents cycling through the texts of seeds/."""
    from ie_dsl.scale.reader import Document

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return [Document(f"d{i}", texts[i % len(texts)]) for i in range(n)]


def _report(n: int) -> Callable[[], object]:
    """build_report of the shipped rules over n seed documents."""
    from ie_dsl.tools.report import build_report

    book, docs = _seed_book(), seed_documents(n)
    return lambda: build_report(book, docs)


def _long_word(n: int) -> Callable[[], object]:
    """tokenize and segment one word of 1,000 n letters."""
    from ie_dsl.text.segment import segment, tokenize

    word = "a" * (1000 * n)
    return lambda: (tokenize(word), segment(" " + word + " "))


# The inputs of tests/test_text.py::test_pathological_inputs_are_linear, at 1,000 n characters.
SEGMENT_INPUTS: dict[str, Callable[[int], str]] = {
    "spaces": lambda n: " " * (1000 * n),
    "x+spaces": lambda n: "x" + " " * (1000 * n),
    "ab.": lambda n: "ab." * (330 * n),
    "dots+x": lambda n: "." * (1000 * n) + "x",
    "quotes": lambda n: "!" + "'" * (1000 * n) + " A",
    "url-parens": lambda n: "http://" + ")" * (1000 * n),
    "hyphens": lambda n: "a-" * (500 * n),
    "initials": lambda n: "A. " * (330 * n),
    "lines": lambda n: "x\n" * (500 * n),
    "words+newlines": lambda n: "word " * 10 * n + "\n" * (500 * n) + "word",
    "final-abbreviations": lambda n: "Acme Inc. The " * (100 * n),
}


def _segment(make: Callable[[int], str]) -> Case:
    def case(n: int) -> Callable[[], object]:
        from ie_dsl.text.segment import segment

        text = make(n)
        return lambda: segment(text)

    return case


CASES: dict[str, Case] = {
    "numbers": _numbers,
    "money": _money,
    "dates": _dates,
    "report": _report,
    "long-word": _long_word,
    **{f"segment:{name}": _segment(make) for name, make in SEGMENT_INPUTS.items()},
}
# (n for the line counts of the tests, n for the timed run): counting slows a call 10-30x
SIZES: dict[str, tuple[int, int]] = {
    "numbers": (500, 5000),
    "money": (100, 1000),
    "dates": (50, 500),
    "report": (5, 20),
}
DEFAULT_SIZES = (5, 50)


def lines_executed(call: Callable[[], object], only: str | None = None) -> int:
    """How many Python lines `call()` executes (in files whose path ends with `only`, if given).

    The same count on every machine and run, whatever its speed or load. A tracer that was
    set (a coverage tool, a debugger) is put back afterwards.
    """
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: FrameType, event: str, arg: object) -> Any:
        return local if only is None or frame.f_code.co_filename.endswith(only) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


def line_growth(name: str, n: int | None = None, only: str | None = None) -> float:
    """Lines executed by case `name` at FACTOR x n over those at n (n: the case's test size)."""
    n = n or SIZES.get(name, DEFAULT_SIZES)[0]
    case = CASES[name]
    return lines_executed(case(FACTOR * n), only) / max(1, lines_executed(case(n), only))


def best_time(call: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` calls, in seconds (the others met other work on the machine)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default="", help="comma-separated regular expressions (default: all)")
    p.add_argument("--repeat", type=int, default=3, help="timed calls per size; the best is shown")
    p.add_argument("--count", action="store_true", help="show the line counts the tests compare")
    a = p.parse_args(argv)
    wanted = [re.compile(c) for c in a.cases.split(",") if c]
    names = [k for k in CASES if not wanted or any(w.search(k) for w in wanted)]
    print(f"{'case':<24} {'n':>6} {'seconds':>9} {f'{FACTOR}n':>6} {'seconds':>9} {'growth':>7}")
    for name in names:
        small = SIZES.get(name, DEFAULT_SIZES)[0 if a.count else 1]
        if a.count:
            ratio = line_growth(name, small)
            print(f"{name:<24} {small:>6} {'lines':>9} {FACTOR * small:>6} {'lines':>9} {ratio:>6.2f}x")
            continue
        t1 = best_time(CASES[name](small), a.repeat)
        t2 = best_time(CASES[name](FACTOR * small), a.repeat)
        print(f"{name:<24} {small:>6} {t1:>9.4f} {FACTOR * small:>6} {t2:>9.4f} {t2 / t1:>6.2f}x")
    print(f"(linear: {FACTOR}x; quadratic: {FACTOR * FACTOR}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
