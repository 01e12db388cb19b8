"""`iedsl corroborate STATEMENTS.jsonl`: claims made in several documents, and who disputes them.

Also the renderer other commands use: `write_clusters(clusters, fmt, out)` (jsonl, json or
a readable table) and `load_statements(text)` for JSONL or JSON statement files.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from ie_dsl import compile_rules
from ie_dsl.claims.corroborate import DEFAULT_WINDOW_DAYS, Cluster, corroborate
from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, err, load_book
from ie_dsl.cli.target import emit, output_problem

FORMATS = ("jsonl", "json", "table")


PACK_DECLARATIONS = "@pack/schema.ie"  # what a claim is, without --rules: the shipped pack's


def write_clusters(clusters: Iterable[Cluster], fmt: str, out: TextIO) -> None:
    """Write clusters as `jsonl` (one cluster per line), `json` (one array) or `table`."""
    clusters = list(clusters)
    if fmt == "jsonl":
        for c in clusters:
            out.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
    elif fmt == "json":
        json.dump([c.to_json() for c in clusters], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "table":
        _table(clusters, out)
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_clusters(clusters: Iterable[Cluster], fmt: str) -> str:
    """`write_clusters` into a string."""
    buf = io.StringIO()
    write_clusters(clusters, fmt, buf)
    return buf.getvalue()


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_line(ev: dict[str, Any], mark: str) -> str:
    span, rule = ev.get("span") or {}, ev.get("rule") or {}
    where = f"{Path(str(ev.get('doc'))).name}:{span.get('start', '?')}-{span.get('end', '?')}"
    kind = str(ev.get("type")) + ("" if ev.get("polarity") == "positive" else f" ({ev.get('polarity')})")
    sentence = _cut((ev.get("sentence") or {}).get("text", ""), 64)
    rule_at = f"{rule.get('name', '?')} ({rule.get('file', '?')}:{rule.get('line', '?')})"
    return f"  {mark} {where:<34} {_cut(kind, 20):<20} {sentence:<64}  {rule_at}".rstrip()


def _table(clusters: list[Cluster], out: TextIO) -> None:
    """One block per cluster: a head line, the claim, then + members and ✗ contradictions."""
    for c in clusters:
        docs = f"{c.documents} doc{'s' if c.documents != 1 else ''}"
        stances = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in c.stances.items())
        polarity = "" if c.polarity == "positive" else f" [{c.polarity}]"
        holder = c.holder or "(no holder)"
        out.write(f"{c.id}  {docs:<7}  {holder}{polarity}  · {stances}" + (f"  · {c.when}" if c.when else ""))
        out.write("\n")
        for label, values in (("about", c.threats), ("from", c.sources), ("to", c.targets)):
            if values:
                out.write(f"  {label:<6} {_cut(' | '.join(values), 150)}\n")
        for ev in c.statements:
            out.write(_evidence_line(ev, "+") + "\n")
        for ev in c.contradictions:
            out.write(_evidence_line(ev, "✗") + f"  [{ev['kind']}: {ev['cluster']}]\n")
        if c.disputes:
            out.write(f"  disputes {', '.join(c.disputes)}\n")
        out.write("\n")
    several = sum(c.documents > 1 for c in clusters)
    disputed = sum(bool(c.contradictions) for c in clusters)
    out.write(
        f"{len(clusters)} cluster{'s' if len(clusters) != 1 else ''}: {several} from more than one"
        f" document, {disputed} with contradictions\n"
    )


def _is_statement(row: Any) -> bool:
    return isinstance(row, dict) and "doc" in row and "type" in row and isinstance(row.get("args", {}), dict)


def load_statements(text: str) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """JSONL statements (or one JSON array of them) -> (statements, [(line, problem)]).

    Lines that are not JSON, or not statement objects (with doc, type, args), are reported
    and left out; for a JSON array, the line is 0 and the problem names the item.
    """
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], [(exc.lineno, f"not JSON: {exc.msg}")]
        bad = [(0, f"item {n} is not a statement") for n, r in enumerate(rows) if not _is_statement(r)]
        return [r for r in rows if _is_statement(r)], bad
    statements, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((n, f"not JSON: {exc.msg}"))
            continue
        if _is_statement(row):
            statements.append(row)
        else:
            problems.append((n, "not a statement (an object with doc, type and args)"))
    return statements, problems


def corroborate_cli(
    statements: Annotated[
        str,
        typer.Argument(
            metavar="STATEMENTS.jsonl",
            help="Statements as `iedsl run --format jsonl` writes them (or a JSON array); - for stdin.",
        ),
    ],
    window: Annotated[
        float,
        typer.Option(
            "--window", "-w", min=0, help="Days within which dated statements of one claim must lie."
        ),
    ] = DEFAULT_WINDOW_DAYS,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="jsonl | json | table (default: table on a terminal, jsonl when piped)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the clusters to this file (atomically); - for stdout."),
    ] = None,
    min_docs: Annotated[
        int, typer.Option("--min-docs", min=1, help="Show only claims found in at least this many documents.")
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    rules: Annotated[
        list[str] | None,
        typer.Option(
            "--rules",
            "-r",
            help="Rules whose declarations (`declare families`, `declare claims`) say what a claim "
            "is; repeatable (default: the shipped pack's).",
        ),
    ] = None,
) -> None:
    """Group statements that make the same claim in different documents into claim clusters.

    Same claim: the same holder (organization, or the speaker's organization), topics that
    share a content word, matching source and target places, dates within --window days;
    the roles and statement types are those the rules declare (--rules).
    Each cluster lists its statements, the number of distinct documents, and its
    contradictions: the claim with the opposite polarity, or a denial disputing it.
    """
    if fmt is None:
        fmt = "table" if output is None and sys.stdout.isatty() else "jsonl"
    if fmt not in FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    if problem := output_problem(output):
        err(f"error: {problem}")
        raise typer.Exit(EXIT_USAGE)
    try:
        text = sys.stdin.read() if statements == "-" else Path(statements).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        err(f"error: cannot read {statements}: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    rows, problems = load_statements(text)
    for line, problem in problems:
        err(
            f"warning: {statements}:{line}: skipped: {problem}"
            if line
            else f"warning: {statements}: {problem}"
        )
    # Without --rules, the pack's declarations alone (quietly: they name types only its rules make).
    schema = (load_book(rules) if rules else compile_rules([PACK_DECLARATIONS])).program.schema
    clusters = [c for c in corroborate(rows, window_days=window, schema=schema) if c.documents >= min_docs]
    written = emit(render_clusters(clusters, fmt), output)
    if written != EXIT_OK:
        raise typer.Exit(written)
    if not quiet:
        several = sum(c.documents > 1 for c in clusters)
        err(
            f"{len(clusters)} claim cluster{'s' if len(clusters) != 1 else ''}"
            f" ({several} from more than one document)"
            f" from {len(rows)} statements" + (f"; {len(problems)} lines skipped" if problems else "")
        )
    raise typer.Exit(EXIT_PROBLEMS if problems else EXIT_OK)
