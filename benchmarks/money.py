"""What the built-in MONEY type costs on Reuters-21578, beside NUMBER and segmentation.

    .venv/bin/python benchmarks/money.py [--corpus PATH] [--repeat 3]

Every document is segmented once (not timed); then, for the whole corpus, the CPU time of
money.money_annotations (MONEY), of numbers.find_numbers over every sentence (NUMBER, as
runtime.annotate calls it) and of text.segment, the best of --repeat passes each, measured in
the same run so that their ratios hold on a busy machine. Also prints how many mentions were
found, by currency, and how many are ranges.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ie_dsl.text.money import money_annotations  # noqa: E402
from ie_dsl.text.numbers import find_numbers  # noqa: E402
from ie_dsl.text.segment import segment  # noqa: E402
from ie_dsl.text.view import DocView  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"


def best(call: Callable[[], object], repeat: int) -> float:
    """The least CPU time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    views = [DocView(str(i), t, segment(t)) for i, t in enumerate(texts)]

    def numbers() -> None:
        for v in views:
            for s in v.seg.sentences:
                find_numbers(v.norms[s.first_token : s.end_token])

    found = [money_annotations(v) for v in views]
    money_s = best(lambda: [money_annotations(v) for v in views], args.repeat)
    number_s = best(numbers, args.repeat)
    segment_s = best(lambda: [segment(t) for t in texts], args.repeat)
    mentions = [a for anns in found for a in anns]
    size = sum(map(len, texts)) / 1e6
    print(f"{len(texts)} documents, {size:.2f} M characters, {len(mentions)} MONEY mentions")
    print(f"ranges: {sum(1 for a in mentions if len(a.attrs) > 1)}")
    print(
        "by currency:",
        ", ".join(f"{c} {k}" for c, k in Counter(a.attrs[0][1] for a in mentions).most_common(12)),
    )
    print(f"MONEY   {money_s:6.2f} s CPU  ({size / money_s:5.1f} M chars/s)")
    print(f"NUMBER  {number_s:6.2f} s CPU  (MONEY / NUMBER = {money_s / number_s:.2f})")
    print(f"segment {segment_s:6.2f} s CPU  (MONEY / segment = {money_s / segment_s:.2f})")


if __name__ == "__main__":
    main()
