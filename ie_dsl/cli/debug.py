"""`iedsl debug tokens|sentences|annotations|ast|ir|program`: each stage, for people
debugging rules or the engine."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.cli.common import EXIT_USAGE, current_project, err, load_book, split_rules
from ie_dsl.run.runtime import DocView, annotate
from ie_dsl.text.segment import norm, segment
from ie_dsl.tools.dump import dump_ast, dump_ir, dump_program

app = typer.Typer(no_args_is_help=True, help="Print each stage of the engine for a document.")
_RULES_HELP = "Rule files or directories (none: the project's)."


def _read(path: str) -> str:
    """A document's text: a UTF-8 file, or stdin for `-`. Exit 2 if it cannot be read."""
    try:
        if path == "-":
            if sys.stdin is None:
                raise OSError("stdin is closed")
            return sys.stdin.buffer.read().decode("utf-8")
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err(f"error: cannot read {'stdin' if path == '-' else path}: {exc}")
        raise typer.Exit(EXIT_USAGE) from None


def _rules(given: list[str] | None) -> list[str]:
    """The rule paths given, else the project's; exit 2 with neither."""
    rules, _rest = split_rules(given or [], "iedsl debug COMMAND RULES...")
    return [*rules, *_rest]


@app.command("tokens")
def tokens_cli(file: Annotated[str, typer.Argument(help="A text document (- for stdin).")]) -> None:
    """One line per token: index, start, end, text, norm, joined-to-previous."""
    text = _read(file)
    seg = segment(text)
    for s_idx, sent in enumerate(seg.sentences):
        typer.echo(f"# sentence {s_idx} (paragraph {sent.paragraph}) [{sent.start}:{sent.end}]")
        for i in range(sent.first_token, sent.end_token):
            s, e = seg.starts[i], seg.ends[i]
            joined = "+" if i > 0 and seg.ends[i - 1] == s else " "
            typer.echo(f"{i:6d} {s:7d} {e:7d} {joined} {text[s:e]!r:24} {norm(text[s:e])!r}")


@app.command("sentences")
def sentences_cli(file: Annotated[str, typer.Argument(help="A text document (- for stdin).")]) -> None:
    """One line per sentence: paragraph, start, end, tokens, text."""
    text = _read(file)
    seg = segment(text)
    for i, sent in enumerate(seg.sentences):
        ntok = sent.end_token - sent.first_token
        where = f"[{sent.start}:{sent.end}]"
        typer.echo(f"{i:4d} p{sent.paragraph:<3d} {where} {ntok:3d} tok  {text[sent.start : sent.end]}")


@app.command("annotations")
def annotations_cli(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Rule files or directories (none: the project's), then a text document (- for stdin)."
        ),
    ],
    as_json: Annotated[bool | None, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """Every annotation (lexicon, NUMBER, entity rules) with its source."""
    *rules, file = paths
    if not rules and current_project() is None:
        err("error: iedsl debug annotations RULES... FILE (no project file here or above to take rules from)")
        raise typer.Exit(EXIT_USAGE)
    book = load_book(rules or list(current_project().rules))  # type: ignore[union-attr]
    text = _read(file)
    view = DocView("<stdin>" if file == "-" else file, text, segment(text))
    annotate(book.program, view)
    for (_t, s, e), ann in sorted(view.annotations.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        cs, ce = view.char_span(s, e)
        row = {
            "type": ann.type,
            "text": text[cs:ce],
            "start": cs,
            "end": ce,
            "canonical": ann.canonical,
            "source": ann.source,
        }
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{cs:6d} {ce:6d} {ann.type:12} {text[cs:ce]!r:40} {ann.canonical or '':30} {ann.source}"
            )


@app.command("ast")
def ast_cli(rules: Annotated[list[str] | None, typer.Argument(help=_RULES_HELP)] = None) -> None:
    """The parsed rule files (the AST), one statement per line."""
    book = load_book(_rules(rules))
    for f in book.ruleset.files:
        typer.echo(f"# {f.path}\n{dump_ast(f)}")


@app.command("ir")
def ir_cli(rules: Annotated[list[str] | None, typer.Argument(help=_RULES_HELP)] = None) -> None:
    """The lowered rules (IR): macros expanded, literals tokenized, captures numbered."""
    program = load_book(_rules(rules)).program
    for cr in [*(c for s in program.strata for c in s), *program.statements]:
        typer.echo(dump_ir(cr.rule))


@app.command("program")
def program_cli(rules: Annotated[list[str] | None, typer.Argument(help=_RULES_HELP)] = None) -> None:
    """The compiled matcher program: instructions, prefilter clauses, anchors."""
    program = load_book(_rules(rules)).program
    for cr in [*(c for s in program.strata for c in s), *program.statements]:
        typer.echo(dump_program(cr))
    typer.echo(
        f"# anchors: {len(program.anchors)} atoms index {len(program.statements)} statement rules; "
        f"{len(program.always)} always tried"
    )
