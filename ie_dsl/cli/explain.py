"""`iedsl explain RULE TEXT_OR_FILE`: why a rule did or did not fire.

The rules come from --rules, else the project file, else rules/ or the shipped pack; only
the named rule and what it needs are compiled (ie_dsl/tools/rulesubset.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    OUTSIDE_ROOT_ENV,
    PACK,
    current_project,
    err,
    fail_rules,
    mine,
    rule_paths,
    show_diagnostics,
)
from ie_dsl.diagnostics import IEDslError
from ie_dsl.language.rulechecks import suggest
from ie_dsl.pipeline import RuleBook
from ie_dsl.scale.reader import read_documents
from ie_dsl.tools.explain import attempts, explain_rule
from ie_dsl.tools.rulesubset import NoSuchRule, compile_for


def _is_path(target: str) -> bool:
    """Does `target` name files? A sentence may be too long, or too odd, to be a path."""
    if "\n" in target or len(target) > 1024:
        return False
    try:
        return Path(target).exists() or (any(ch in target for ch in "*?[") and " " not in target)
    except OSError:
        return False


def _documents(target: str) -> list[tuple[str, str]]:
    """A path (file, directory, glob, JSONL) names documents; anything else is the text itself."""
    if _is_path(target):
        return [
            (d.id, d.text)
            for d in read_documents([target], lambda where, why: err(f"skipped {where}: {why}"))
        ]
    return [("<text>", target)]


def _rule_paths(given: list[str] | None) -> list[str]:
    """--rules, else the project's, else rules/ if there is one here, else the shipped pack."""
    if given:
        return given
    project = current_project()
    if project is not None:
        return list(project.rules)
    return ["rules"] if Path("rules").is_dir() else [PACK]


def _book(rule: str, given: list[str] | None) -> RuleBook:
    """The named rule and only what it needs, compiled; exit 2 for broken rules or a name no
    rule has (with the nearest names)."""
    paths = _rule_paths(given)
    try:
        book = compile_for(rule_paths(paths), rule, os.environ.get(OUTSIDE_ROOT_ENV) == "1")
    except NoSuchRule as exc:
        hint = suggest(rule, exc.names)
        where = ", ".join(paths)
        err(f"error: no rule named {rule!r} in {where}" + (f"; {hint}" if hint else ""))
        raise typer.Exit(EXIT_USAGE) from None
    except IEDslError as exc:
        fail_rules(mine(exc.diagnostics, paths))
    show_diagnostics(mine(book.warnings, paths), dict(book.sources))
    return book


def explain_cli(
    rule: Annotated[str, typer.Argument(help="The rule's name (or an entity type).")],
    target: Annotated[str, typer.Argument(help="A sentence in quotes, or a document, directory or corpus.")],
    rules: Annotated[
        list[str] | None,
        typer.Option("--rules", "-r", help="Rule paths (default: the project's, else rules/, else @pack)."),
    ] = None,
    near_misses: Annotated[
        bool, typer.Option("--near-misses", help="Rank the sentences where the rule came closest.")
    ] = False,
    top: Annotated[int, typer.Option("--top", help="How many near misses to show.")] = 10,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
) -> None:
    """Show how RULE matched each sentence element by element, or how close it came and
    which element failed with what it met. Exit 0 if it matched somewhere, 1 if not."""
    if fmt not in ("text", "json"):
        err(f"error: unknown format {fmt!r}; use text or json")
        raise typer.Exit(EXIT_USAGE)
    book = _book(rule, rules)
    docs = _documents(target)
    if near_misses:
        ranked = [
            (a, doc_id, text)
            for doc_id, text in docs
            for a in attempts(book, doc_id, text, rules=[rule])
            if not a.matched
        ]
        ranked.sort(key=lambda x: (-x[0].reached / x[0].total, x[1], x[0].start))
        rows = [
            {"doc": doc_id, "sentence": _sentence(text, a.start), **_attempt(a)}
            for a, doc_id, text in ranked[:top]
        ]
        if fmt == "json":
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for row in rows:
                typer.echo(
                    f"{row['reached']}/{row['total']}  {row['doc']}: {row['sentence']}\n"
                    f"      {row['failed']}: {row['met']}"
                )
        raise typer.Exit(EXIT_OK if rows else EXIT_PROBLEMS)
    records = [dict(doc=doc_id, **r) for doc_id, text in docs for r in explain_rule(book, rule, doc_id, text)]
    if fmt == "json":
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        for r in records:
            typer.echo(_text(r))
    raise typer.Exit(EXIT_OK if any(r["matched"] for r in records) else EXIT_PROBLEMS)


def _sentence(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return " ".join(text[start : end if end >= 0 else len(text)].split())[:160]


def _attempt(a: object) -> dict[str, object]:
    return {
        k: getattr(a, k)
        for k in ("rule", "file", "line", "reached", "total", "failed", "met", "start", "end")
    }


def _text(r: dict[str, object]) -> str:
    head = f"{r['rule']} ({r['file']}:{r['line']}) on: {r['sentence']}"
    if r["matched"]:
        lines = [head, f"  MATCHED ({r['shape']})" if r.get("shape") else "  MATCHED"]
        for el in r["elements"]:  # type: ignore[attr-defined]
            lines.append(f"    {el['element']:<40} {el['text']!r}")
            for ann in el["annotations"]:
                canon = (
                    f" = {ann['canonical']}" if ann["canonical"] and ann["canonical"] != ann["text"] else ""
                )
                lines.append(f"      {ann['type']} {ann['text']!r}{canon}  from {ann['from']}")
        return "\n".join(lines)
    lines = [head, f"  no match; nearest: {r['near_miss']}"]
    lines += [f"  tokenization: {s}" for s in r["surprises"]]  # type: ignore[attr-defined]
    return "\n".join(lines)
