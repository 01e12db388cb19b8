"""The progress bar of `iedsl run` on a terminal (tqdm on stderr).

Documents are counted as they are read. How many there are in all is counted beside the
run, in a background thread, so the run starts at once: a text file is one document, a
JSONL file one per line (compressed ones are decompressed for it, at a small fraction of the
cost of matching them). Once the count is in, the bar shows the total, the percentage and
the time left; before (or for stdin, whose size nobody knows) the count and the rate.
"""

from __future__ import annotations

import gzip
import sys
import threading
from typing import Any

from ie_dsl.scale.reader import JSONL_SUFFIXES

_CHUNK = 1 << 20


def count_documents(paths: list[str]) -> int | None:
    """How many documents `paths` (expanded input files) hold: one per text file, one per
    line of a JSONL file; None when it cannot be known (stdin) or a file cannot be read."""
    total = 0
    for path in paths:
        if path == "-":
            return None
        if not path.endswith(JSONL_SUFFIXES):
            total += 1
            continue
        try:
            with (gzip.open if path.endswith(".gz") else open)(path, "rb") as fh:
                last = b"\n"
                while chunk := fh.read(_CHUNK):
                    total += chunk.count(b"\n")
                    last = chunk
                total += not last.endswith(b"\n")
        except (OSError, EOFError, ValueError):
            return None  # the run reports the file; the bar goes on without a total
    return total


class Progress:
    """A tqdm bar of documents on stderr, or nothing when `enabled` is false (not a terminal,
    --quiet). `initial`: documents an interrupted run already did (--resume)."""

    def __init__(self, enabled: bool, paths: list[str], initial: int = 0):
        self.bar: Any = None
        self.paths = paths
        self.total: int | None = None
        self.counter: threading.Thread | None = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=None,
                initial=initial,
                unit="doc",
                desc="iedsl",
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
                mininterval=0.2,
            )

    def _count(self) -> None:
        self.total = count_documents(self.paths)

    def tick(self, doc_id: str) -> None:
        """One more document read (`doc_id` is not shown: ids are long and the bar is not)."""
        if self.bar is None:
            return
        if self.counter is None:
            # started at the first document, not before: `--jobs` forks its workers first
            self.counter = threading.Thread(target=self._count, name="iedsl-count", daemon=True)
            self.counter.start()
        if self.total is not None and self.bar.total is None:
            self.bar.total = max(self.total, self.bar.n + 1)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
