"""Inputs -> Documents: files, directories, globs, `-` for stdin, and JSONL documents.

A `.jsonl` (or `.jsonl.gz`) file, or stdin starting with `{`, holds one JSON object per
line with `text` (and optionally `id`, `date`). Anything else is one document of UTF-8
text. A document that cannot be read is reported through `on_error` and skipped; the
run goes on.
"""

from __future__ import annotations

import glob
import gzip
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    meta: dict[str, object] = field(default_factory=dict)


ErrorSink = Callable[[str, str], None]  # (where, reason)


def _is_jsonl(path: str) -> bool:
    return path.endswith(JSONL_SUFFIXES)


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """Input arguments -> file paths (or `-`), directories and globs expanded, sorted."""
    for item in inputs:
        if item == "-":
            yield item
            continue
        path = Path(item)
        if path.is_dir():
            yield from sorted(
                str(p)
                for p in path.rglob("*")
                if p.is_file() and p.name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES)
            )
        elif any(ch in item for ch in "*?["):
            yield from sorted(glob.glob(item, recursive=True))
        else:
            yield item


def _jsonl_docs(lines: Iterable[bytes], where: str, on_error: ErrorSink) -> Iterator[Document]:
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        loc = f"{where}:{number}"
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            on_error(loc, f"not a JSON line ({err.__class__.__name__}: {err})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            on_error(loc, "a JSONL document needs a string field `text`")
            continue
        doc_id = str(obj.get("id", loc))
        meta = {k: v for k, v in obj.items() if k not in ("id", "text")}
        yield Document(doc_id, obj["text"], meta)


def read_documents(inputs: Iterable[str], on_error: ErrorSink) -> Iterator[Document]:
    """Every document named by `inputs`, in order; unreadable ones go to `on_error`."""
    for item in expand_inputs(inputs):
        if item == "-":
            data = sys.stdin.buffer.read()
            if data.lstrip()[:1] == b"{":
                yield from _jsonl_docs(data.splitlines(), "<stdin>", on_error)
            else:
                text = _decode(data, "<stdin>", on_error)
                if text is not None:
                    yield Document("<stdin>", text)
            continue
        try:
            if _is_jsonl(item):
                opener = gzip.open if item.endswith(".gz") else open
                with opener(item, "rb") as fh:
                    yield from _jsonl_docs(fh, item, on_error)
                continue
            data = Path(item).read_bytes()
        except OSError as err:
            on_error(item, err.strerror or str(err))
            continue
        text = _decode(data, item, on_error)
        if text is not None:
            yield Document(item, text)


def _decode(data: bytes, where: str, on_error: ErrorSink) -> str | None:
    if b"\x00" in data[:8192]:
        on_error(where, "binary file (NUL bytes)")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        on_error(where, f"not valid UTF-8 at byte {err.start}")
        return None
