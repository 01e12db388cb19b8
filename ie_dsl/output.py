"""Statements -> jsonl | json | csv | table, written to a stream or atomically to a file."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

FORMATS = ("jsonl", "json", "csv", "table")
ROLES = ("speaker", "organization", "threat", "source", "target")


def dumps(statement: dict[str, Any]) -> str:
    """One statement as a JSON line (keys in schema order, non-ASCII kept)."""
    return json.dumps(statement, ensure_ascii=False)


def _arg_text(arg: Any) -> str:
    if not isinstance(arg, dict):
        return ""
    return str(arg.get("canonical") or arg.get("text") or "")


def _roles(statements: list[dict[str, Any]]) -> list[str]:
    seen = {role for st in statements for role in st["args"]}
    return [r for r in ROLES if r in seen] + sorted(seen - set(ROLES))


def write(statements: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """Write statements to `out` in `fmt`."""
    if fmt == "jsonl":
        for st in statements:
            out.write(dumps(st) + "\n")
        return
    rows = list(statements)
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    roles = _roles(rows)
    header = ["doc", "type", "polarity", *roles, "sentence", "rule"]
    table = [
        [
            Path(st["doc"]).name,
            st["type"],
            st["polarity"],
            *(_arg_text(st["args"].get(r)) for r in roles),
            st["sentence"]["text"],
            f"{st['rule']['name']} ({st['rule']['file']}:{st['rule']['line']})",
        ]
        for st in rows
    ]
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(table)
        return
    _table(header, table, out)


def _table(header: list[str], rows: list[list[str]], out: TextIO, width: int = 28) -> None:
    def cut(cell: str, limit: int) -> str:
        cell = " ".join(cell.split())
        return cell if len(cell) <= limit else cell[: limit - 1] + "…"

    limits = [min(width, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(header)]
    limits[-2] = 60  # sentences are long: give them room
    lines = [header] + rows
    for n, line in enumerate(lines):
        out.write(
            "  ".join(cut(c, lim).ljust(lim) for c, lim in zip(line, limits, strict=False)).rstrip() + "\n"
        )
        if n == 0:
            out.write("  ".join("-" * lim for lim in limits) + "\n")
    out.write(f"{len(rows)} statement{'s' if len(rows) != 1 else ''}\n")


def write_atomic(path: Path, content: str) -> None:
    """Replace `path` with `content` in one step: readers see the old file or the new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render(statements: Iterable[dict[str, Any]], fmt: str) -> str:
    buf = io.StringIO()
    write(statements, fmt, buf)
    return buf.getvalue()
