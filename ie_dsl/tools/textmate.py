"""Generate the TextMate grammar of rule files (editors/iedsl.tmLanguage.json) from the token table.

`grammar()` -> the TextMate grammar as a dict; `render()` -> its JSON text, as the file holds it.
Every terminal and keyword comes from ie_dsl.tools.lexical (read from grammar/iedsl.lark); what is
written here is only how each construct is scoped, which follows the Pygments lexer
(ie_dsl/tools/highlight.py) kind for kind. Regenerate the file after changing the grammar:

    python -m ie_dsl.tools.textmate editors/iedsl.tmLanguage.json

(without a path it prints the grammar). tests/test_highlight.py fails while the file in the
repository differs from what this module makes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ie_dsl.tools.lexical import Lexical, any_of, table

__all__ = ["grammar", "main", "render"]

Rule = dict[str, Any]
_EDGE = r"(?<![\w'’-])"  # TextMate searches a line: a match must not start inside a word
_CLOSE = r"(?=^\S)"  # a statement ends where the next one starts, at column 0
_OPTION_SCOPES = {"group": "entity.name.label.group"}
_STATEMENT_SCOPES = {"use": "keyword.control.import"}


def _s(name: str) -> str:
    return f"{name}.iedsl"


def _captures(*names: str | None) -> dict[str, Rule]:
    return {str(i): {"name": _s(n)} for i, n in enumerate(names, 1) if n}


def _inc(*keys: str) -> list[Rule]:
    return [{"include": f"#{k}"} for k in keys]


def _statements(t: Lexical) -> tuple[list[str], dict[str, Rule]]:
    """The repository entries for the statement keywords, and their keys in grammar order."""
    keys: list[str] = []
    repo: dict[str, Rule] = {}
    for st in t.statements:
        kw = re.escape(st.keyword)
        scope = _STATEMENT_SCOPES.get(st.keyword, f"keyword.control.{st.keyword}")
        if st.header and st.name:
            key = f"{st.keyword}-header"
            if st.name == "TYPE_NAME":
                name, named = t.type_name, "entity.name.type"
            else:
                name, named = t.word, f"entity.name.function.{st.keyword}"
            repo[key] = {
                "begin": rf"^({kw})\s+({name})",
                "beginCaptures": _captures(scope, named),
                "end": rf"(:)|{_CLOSE}",
                "endCaptures": _captures("punctuation.separator.colon"),
                "patterns": _inc("comment", "options"),
            }
        elif st.name == "TYPE_NAME":
            key = st.keyword
            repo[key] = _define(t, kw, scope)
        else:
            key = st.keyword
            repo[key] = {"match": rf"^({kw})\b", "captures": _captures(scope)}
        keys.append(key)
    return keys, repo


def _define(t: Lexical, kw: str, scope: str) -> Rule:
    return {
        "comment": "define NAME = ... or define NAME(X, Y) = ...; the pattern follows the `=`.",
        "begin": rf"^({kw})\b",
        "beginCaptures": _captures(scope),
        "end": rf"(=)|{_CLOSE}",
        "endCaptures": _captures("keyword.operator.assignment"),
        "patterns": [
            *_inc("comment"),
            {
                "begin": rf"({t.name})(\()",
                "beginCaptures": _captures("entity.name.function.macro", "punctuation.section.parens.begin"),
                "end": rf"(\))|{_CLOSE}",
                "endCaptures": _captures("punctuation.section.parens.end"),
                "patterns": [
                    {"match": t.name, "name": _s("variable.parameter.macro")},
                    {"match": ",", "name": _s("punctuation.separator.comma")},
                ],
            },
            {"match": t.name, "name": _s("entity.name.function.macro")},
        ],
    }


def _options(t: Lexical) -> Rule:
    patterns = []
    for opt in t.options:
        rx, names = rf"\b({re.escape(opt.keyword)})", ["keyword.control.option"]
        for i, operand in enumerate(opt.operands):
            if operand in ("INT", "SIGNED_INT"):
                piece, name = (t.int if operand == "INT" else t.signed_int), "constant.numeric.integer"
            else:
                piece = t.word
                name = _OPTION_SCOPES.get(opt.keyword, f"constant.language.{opt.keyword}")
            rx += rf"\s+({piece})" if i < opt.required else rf"(?:\s+({piece}))?"
            names.append(name)
        patterns.append({"match": rx + ("" if opt.operands else r"\b"), "captures": _captures(*names)})
    return {"patterns": patterns}


def _emit(t: Lexical) -> Rule:
    word, assign = t.word, "keyword.operator.assignment"
    return {
        "comment": '=> type(role, role=capture, field="value")',
        "begin": rf"({re.escape(t.emit)})\s*({word})\s*(\()",
        "beginCaptures": _captures(
            "keyword.control.emit", "entity.name.function.statement", "punctuation.section.parens.begin"
        ),
        "end": rf"(\))|{_CLOSE}",
        "endCaptures": _captures("punctuation.section.parens.end"),
        "patterns": [
            *_inc("comment"),
            {
                "comment": "role=? : resolved from the document",
                "match": rf"({word})\s*(=)\s*({re.escape(t.resolved)})",
                "captures": _captures("entity.other.attribute-name", assign, "keyword.control.resolved"),
            },
            {
                "comment": "role=each(capture): one statement per conjunct",
                "match": rf"({word})\s*(=)\s*({re.escape(t.each)})(\()\s*({word})\s*(\))",
                "captures": _captures(
                    "entity.other.attribute-name", assign, "keyword.control.each",
                    "punctuation.section.parens.begin", "variable.parameter.capture",
                    "punctuation.section.parens.end",
                ),
            },
            {
                "match": rf"({word})\s*(=)\s*({word})",
                "captures": _captures("entity.other.attribute-name", assign, "variable.parameter.capture"),
            },
            {"match": rf"({word})\s*(=)", "captures": _captures("entity.other.attribute-name", assign)},
            {"match": word, "name": _s("variable.parameter.capture")},
            *_inc("string"),
            {"match": ",", "name": _s("punctuation.separator.comma")},
        ],
    }


def _atoms(t: Lexical) -> dict[str, Rule]:
    """What patterns and `[ ... ]` tests are made of."""
    if not re.fullmatch(r"[^\\\[\](){}.^$|?*+]", t.lemma[0]):
        raise ValueError("grammar/iedsl.lark: LEMMA no longer starts with one literal character")
    q = re.escape(t.quote)
    return {
        "string": {
            "begin": q,
            "beginCaptures": {"0": {"name": _s("punctuation.definition.string.begin")}},
            "end": f"({q})|$",
            "endCaptures": _captures("punctuation.definition.string.end"),
            "name": _s("string.quoted.double"),
            "patterns": [{"match": r"\\.", "name": _s("constant.character.escape")}],
        },
        "regex": {
            "match": rf"(\/)({t.regex_body})(\/)({t.regex_flags})",
            "name": _s("string.regexp"),
            "captures": _captures(
                "punctuation.definition.string.begin", None, "punctuation.definition.string.end",
                "keyword.other.flags",
            ),
        },
        "lemma": {
            "match": rf"({t.lemma[0]})({t.lemma[1:]})",
            "name": _s("support.function.lemma"),
            "captures": _captures("punctuation.definition.lemma"),
        },
        "type-filter": {
            "comment": "a type with an attribute filter: PLACE[kind=country], ORG[kind in (a, b)]",
            "begin": rf"{_EDGE}({t.name})(\[){t.filter_test}",
            "beginCaptures": _captures("entity.name.type", "punctuation.section.brackets.begin"),
            "end": rf"(\])|{_CLOSE}",
            "endCaptures": _captures("punctuation.section.brackets.end"),
            "patterns": [
                *_inc("comment"),
                {"match": "!=|=", "name": _s("keyword.operator.comparison")},
                {"match": r"\bin\b", "name": _s("keyword.operator.word")},
                {"match": "[&|!]", "name": _s("keyword.operator.logical")},
                {"match": "[(),]", "name": _s("punctuation.separator")},
                *_inc("string"),
                # attrfilter.py reads the inside of the brackets: a key is what is compared
                {"match": r"\w[\w.'’-]*(?=[\t ]*(?:!?=|in\b))", "name": _s("entity.other.attribute-name")},
            ],
        },
        "type": {"match": _EDGE + t.type_name, "name": _s("entity.name.type")},
        "token-class": {
            "match": rf"{_EDGE}(?:{any_of(t.classes)})(?![\w'’.-])",
            "name": _s("support.type.token-class"),
        },
        "number": {"match": _EDGE + t.number, "name": _s("constant.numeric")},
        "word": {
            "comment": "a plain word; consumed whole so nothing inside it is scoped",
            "match": _EDGE + t.word,
        },
    }


def grammar() -> Rule:
    """The TextMate grammar (a JSON-ready dict) of the rule language."""
    t = table()
    statements, statement_repo = _statements(t)
    repo: dict[str, Rule] = {
        "comment": {"match": t.comment, "name": _s("comment.line.number-sign")},
        **statement_repo,
        "options": _options(t),
        "pattern": {
            "patterns": _inc(
                "comment", "emit", "example", "expect-arg", "capture", "lookaround", "macro-call",
                "string", "regex", "lemma", "type-filter", "type", "gap", "quantifier", "brackets",
                "number", "word", "operator", "any-token", "punctuation",
            )
        },
        "emit": _emit(t),
        "example": {
            "patterns": [
                {"match": rf"(?:{any_of(t.examples)})\b", "name": _s("keyword.control.example")},
                {"match": re.escape(t.emit), "name": _s("keyword.control.emit")},
            ]
        },
        "expect-arg": {
            "comment": 'role="value" after @example "..." =>',
            "match": rf"{_EDGE}({t.word})\s*(=)(?!>)",
            "captures": _captures("entity.other.attribute-name", "keyword.operator.assignment"),
        },
        "capture": {
            "match": rf"{_EDGE}({t.word})\s*(:)",
            "captures": _captures("variable.parameter.capture", "punctuation.separator.capture"),
        },
        "lookaround": {"match": any_of(t.lookarounds), "name": _s("keyword.operator.lookaround")},
        "macro-call": {
            "match": rf"{_EDGE}({t.name})(\()",
            "captures": _captures("entity.name.function.macro", "punctuation.section.parens.begin"),
        },
        "gap": {"match": rf"{t.gap}(?:{t.quant})?", "name": _s("keyword.operator.gap")},
        "quantifier": {"match": t.quant, "name": _s("keyword.operator.quantifier")},
        "brackets": {
            "comment": "a test on one token: [~group & !cap]",
            "begin": r"\[",
            "beginCaptures": {"0": {"name": _s("punctuation.section.brackets.begin")}},
            "end": rf"(\])|{_CLOSE}",
            "endCaptures": _captures("punctuation.section.brackets.end"),
            "name": _s("meta.token-test"),
            "patterns": [
                *_inc("comment", "token-class"),
                {"match": "[&|!]", "name": _s("keyword.operator.logical")},
                {"match": "[()]", "name": _s("punctuation.section.parens")},
                *_inc("string", "regex", "lemma", "type-filter", "type", "number", "word"),
            ],
        },
        **_atoms(t),
        "operator": {
            "patterns": [
                {"match": r"\|", "name": _s("keyword.operator.alternation")},
                {"match": "!", "name": _s("keyword.operator.negation")},
                {"match": any_of(t.anchors), "name": _s("keyword.operator.anchor")},
            ]
        },
        "any-token": {
            "match": rf"(?<!\w){re.escape(t.any_token)}(?!\w)",
            "name": _s("constant.language.any-token"),
        },
        "punctuation": {
            "patterns": [
                {"match": "[()]", "name": _s("punctuation.section.parens")},
                {"match": f",|{t.punct}", "name": _s("punctuation.separator")},
                {"match": ":", "name": _s("punctuation.separator.colon")},
            ]
        },
    }
    return {
        "name": "iedsl",
        "scopeName": "source.iedsl",
        "fileTypes": ["ie"],
        "comment": (
            "iedsl rule files (.ie). Generated by `python -m ie_dsl.tools.textmate` from grammar/iedsl.lark: "
            "do not edit by hand. docs/language.md explains the language."
        ),
        "patterns": _inc("comment", *statements, "pattern"),
        "repository": repo,
    }


def render() -> str:
    """The grammar as the JSON text of editors/iedsl.tmLanguage.json."""
    return json.dumps(grammar(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m ie_dsl.tools.textmate [PATH]`: write the grammar to PATH (atomically), or print it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m ie_dsl.tools.textmate [PATH]", file=sys.stderr)
        return 2
    if not args:
        sys.stdout.write(render())
        return 0
    from ie_dsl.scale.output import write_atomic  # only when writing a file

    try:
        write_atomic(Path(args[0]), render())
    except OSError as err:
        print(f"error: cannot write {args[0]}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
