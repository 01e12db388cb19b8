"""`iedsl eval RULES... INPUTS... --gold GOLD.jsonl`: score the rules against gold statements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ie_dsl.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, err, load_book, split_paths
from ie_dsl.scale.reader import read_documents
from ie_dsl.tools import coverage
from ie_dsl.tools.evaluate import (
    Counts,
    Evaluation,
    GoldError,
    NearMiss,
    Scoring,
    doc_key,
    evaluate,
    gold_view,
    load_gold,
    load_ignored,
    near_misses,
    text_of,
)

EVAL_FORMATS = ("text", "json")


def eval_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Rule files or directories (@pack: the shipped pack; none: the project's), then inputs."
        ),
    ],
    gold: Annotated[Path, typer.Option("--gold", "-g", help="Gold statements (JSONL).")],
    ignore: Annotated[
        Path | None,
        typer.Option("--ignore", help="JSONL of {article, sentence}: predictions there are not scored."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
    show_coverage: Annotated[
        bool, typer.Option("--coverage", help="Also list rules that never fired or were always overridden.")
    ] = False,
    nearest: Annotated[int, typer.Option("--nearest", help="Nearest rules shown per missed statement.")] = 3,
) -> None:
    """Score rules against gold statements: P, R and F1 overall, per type and per rule.

    Each false positive is listed with its rule, each false negative with the rules that came nearest.

    Exit codes: 0 scored; 1 some documents could not be read; 2 bad usage, gold file or rules.
    """
    rules, inputs = split_paths(paths, "iedsl eval RULES... INPUTS... --gold GOLD.jsonl")
    if not inputs:
        err("error: no inputs given: iedsl eval RULES... INPUTS... --gold GOLD.jsonl")
        raise typer.Exit(EXIT_USAGE)
    if fmt not in EVAL_FORMATS:
        err(f"error: unknown format {fmt!r}; use one of {', '.join(EVAL_FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    try:
        gold_rows = load_gold(gold)
        ignored = load_ignored(ignore) if ignore is not None else set()
    except GoldError as exc:
        err(f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    book = load_book(rules)

    failed: list[str] = []

    def on_error(where: str, reason: str) -> None:
        failed.append(where)
        err(f"warning: skipped {where}: {reason}")

    statements: list[dict[str, Any]] = []
    documents: dict[str, tuple[str, str]] = {}  # doc key -> (doc id, text)
    for doc in read_documents(inputs, on_error):
        try:
            statements.extend(book.extract(doc.id, doc.text))
        except TimeoutError:
            on_error(doc.id, "matching went over the time budget on this document")
            continue
        documents[doc_key(doc.id)] = (doc.id, doc.text)
    scoring = Scoring.of(book.program.schema)
    absent = sorted({gold_view(g, scoring).doc for g in gold_rows} - documents.keys())
    if absent:
        err(
            f"warning: gold statements on {len(absent)} document(s) not among the inputs count as "
            f"missed: {', '.join(absent[:5])}{' …' if len(absent) > 5 else ''}"
        )

    result = evaluate(statements, gold_rows, ignored, scoring)
    misses = near_misses(book, documents, result, limit=nearest)
    report = coverage.measure(book, documents.values()) if show_coverage else None
    if fmt == "json":
        typer.echo(json.dumps(as_json(result, misses, report), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_text(result, misses, report), nl=False)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


# ---- rendering ---------------------------------------------------------------------------


def _cut(text: str, limit: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _roles(values: dict[str, str | None]) -> str:
    return "  ".join(f"{r}={_cut(v, 40)!r}" for r, v in values.items() if v)


def _statement_roles(st: dict[str, Any], order: tuple[str, ...]) -> dict[str, str | None]:
    """A statement's arguments as text, the roles of `order` first, then the others by name."""
    args = st.get("args") or {}
    return {r: text_of(args[r]) for r in [*order, *sorted(set(args) - set(order))] if r in args}


def _where(st: dict[str, Any]) -> str:
    r = st.get("rule") or {}
    return f"{r.get('name', '?')} ({r.get('file', '?')}:{r.get('line', '?')})"


def _table(title: str, rows: dict[str, Counts], extra: dict[str, str] | None = None) -> list[str]:
    width = max([len(title), *(len(k) for k in rows)])
    head = f"{title:<{width}}  {'pred':>5} {'gold':>5} {'match':>6} {'FP':>4} {'P':>6} {'R':>6} {'F1':>6}"
    lines = [head.rstrip() + ("  where" if extra else ""), "-" * (len(head) + (7 if extra else 0))]
    for name, c in rows.items():
        line = (
            f"{name:<{width}}  {c.predicted:>5} {c.gold:>5} {c.matched:>6} {c.predicted - c.matched:>4} "
            f"{c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f}"
        )
        lines.append(line + (f"  {extra[name]}" if extra else ""))
    return lines


def render_text(result: Evaluation, misses: list[NearMiss], report: list[Any] | None) -> str:
    """The terminal report: scores, then the errors with their sentences, then coverage."""
    o = result.overall
    lines = [
        f"Overall: predicted {o.predicted}, gold {o.gold}, matched {o.matched}   "
        f"P={o.precision:.3f} R={o.recall:.3f} F1={o.f1:.3f}",
        "Roles on matched: "
        + "  ".join(f"{r}={v:.3f}" for r, v in result.role_accuracy.items())
        + f"  polarity={result.polarity_accuracy:.3f}",
    ]
    if result.ignored:
        lines.append(f"Ignored: {len(result.ignored)} statements on --ignore sentences (not scored)")
    lines += ["", *_table("type", result.by_type)]
    where = {name: f"{f}:{line}" for name, (f, line) in result.rule_where.items()}
    lines += ["", *_table("rule", result.by_rule, where)]
    lines += ["", "(a rule's R is its share of the gold statements of the types it produces)"]

    lines += ["", f"False positives ({len(result.false_positives)}):"]
    for st in result.false_positives:
        lines.append(f"  {_where(st)}  {doc_key(st.get('doc', ''))}  {st.get('type')}  ")
        lines[-1] += _roles(_statement_roles(st, result.scoring.roles))
        lines.append(f"      > {_cut(text_of(st.get('sentence')) or '')}")

    lines += ["", f"False negatives ({len(misses)}):"]
    for miss in misses:
        g = gold_view(miss.gold, result.scoring)
        lines.append(f"  {g.doc}  {g.type}  {_roles(g.roles)}".rstrip())
        lines.append(f"      > {_cut(miss.gold['sentence'])}")
        if miss.sentence is None:
            lines.append("      (sentence not found in the inputs)")
        for n, a in enumerate(miss.attempts):
            lines.append(f"      {'nearest:' if n == 0 else '        '} {a.describe()}")
        if miss.sentence is not None and not miss.attempts:
            lines.append(f"      nearest: no rule emits {g.type}")
        key = result.scoring.key
        for st in miss.found_instead:
            about = f" {key}={text_of((st.get('args') or {}).get(key))!r}" if key else ""
            lines.append(f"      found instead: {st.get('type')}{about} by {_where(st)}")
    if report is not None:
        lines += ["", coverage.render(report).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _attempt(a: Any) -> dict[str, Any]:
    keys = ("rule", "file", "line", "reached", "total", "failed", "met")
    return {k: getattr(a, k) for k in keys}


def as_json(result: Evaluation, misses: list[NearMiss], report: list[Any] | None) -> dict[str, Any]:
    """Everything `render_text` shows, as plain data for CI (scores rounded to 3 places)."""
    out: dict[str, Any] = {
        "overall": {
            **result.overall.as_dict(),
            "role_accuracy": {r: round(v, 3) for r, v in result.role_accuracy.items()},
            "polarity_accuracy": round(result.polarity_accuracy, 3),
            "ignored": len(result.ignored),
        },
        "by_type": {t: c.as_dict() for t, c in result.by_type.items()},
        "by_rule": {
            name: {**c.as_dict(), "file": result.rule_where[name][0], "line": result.rule_where[name][1]}
            for name, c in result.by_rule.items()
        },
        "false_positives": [
            {
                "rule": (st.get("rule") or {}).get("name"),
                "file": (st.get("rule") or {}).get("file"),
                "line": (st.get("rule") or {}).get("line"),
                "doc": st.get("doc"),
                "type": st.get("type"),
                "args": _statement_roles(st, result.scoring.roles),
                "sentence": text_of(st.get("sentence")),
            }
            for st in result.false_positives
        ],
        "false_negatives": [
            {
                **m.gold,
                "nearest": [_attempt(a) for a in m.attempts],
                "found_instead": [
                    {
                        "rule": (st.get("rule") or {}).get("name"),
                        "type": st.get("type"),
                        **_statement_roles(st, result.scoring.roles),
                    }
                    for st in m.found_instead
                ],
            }
            for m in misses
        ],
    }
    if report is not None:
        out["coverage"] = coverage.as_json(report)
    return out
