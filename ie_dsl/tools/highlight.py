"""A Pygments lexer for iedsl rule files (`.ie`).

Pygments finds it through the `pygments.lexers` entry point in pyproject.toml, so
`pygmentize -l iedsl rules/stances.ie`, Sphinx and MkDocs code blocks tagged `iedsl` (or
`ie`) and `pygments.lexers.get_lexer_for_filename("x.ie")` all use it. Pygments is not a
dependency of iedsl: only this module imports it, and only Pygments imports this module.

Its terminals and keywords are not written here: they are read from grammar/iedsl.lark by
ie_dsl.tools.lexical when this module is imported (ie_dsl.tools.textmate makes the editors' TextMate
grammar from the same table), so a keyword added to the grammar is highlighted.

A lexer cannot resolve names, so every UPPER_CASE name in a pattern is shown as a type
(`Name.Class`) unless it is written as a call `NAME(` (`Name.Function`). Statement keywords
are recognised at the start of a line, where the language says statements start.
"""

from __future__ import annotations

import re
from typing import Any

from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from ie_dsl.tools.lexical import any_of, table

__all__ = ["IedslLexer"]

# Every terminal and keyword comes from grammar/iedsl.lark through the token table; what is
# written here is only how each is shown (ie_dsl/tools/textmate.py shows the same things the same
# way in editors).
_T = table()
_WORD = _T.word
_NUMBER = _T.number
_NAME = _T.word  # a rule name, capture name, role or option value is a WORD in the grammar
_TYPE = _T.type_name
_MACRO = rf"{_T.name}(?=\()"
# A type with an attribute filter, `PLACE[kind=country]`: a `[` against the type whose first
# word is compared (=, != or in); otherwise the `[` starts a token test after the type.
_FILTERED = rf"{_T.name}(?=\[{_T.filter_test})"
_KEY = r"\w[\w.'’-]*(?=[\t ]*(?:!?=|in\b))"  # attrfilter.py reads the inside of the brackets
_CLASS = rf"(?:{any_of(_T.classes)})(?![\w'’.-])"
_OPTION_VALUE = {"group": Name.Label}  # other options' word values are Name.Constant
_OPERAND = {"SIGNED_INT": (_T.signed_int, Number.Integer), "INT": (_T.int, Number.Integer)}


def _statements() -> list[Any]:
    """`rule NAME` and `entity TYPE` open a header; `define` its name; others are a keyword."""
    found: list[Any] = []
    for s in _T.statements:
        kind = Keyword.Namespace if s.keyword == "use" else Keyword.Declaration
        kw = re.escape(s.keyword)
        if s.header and s.name:
            name, shown = (_TYPE, Name.Class) if s.name == "TYPE_NAME" else (_NAME, Name.Function)
            found.append((rf"^({kw})([ \t]+)({name})", bygroups(kind, Whitespace, shown), "header"))
        elif s.name == "TYPE_NAME":
            found.append((rf"^({kw})\b", kind, "define"))
        else:
            found.append((rf"^({kw})\b", kind))
    return found


def _options() -> list[Any]:
    """`priority 10`, `mode first`, `scope window 2`, `loose`: each option and its operands."""
    found: list[Any] = []
    for opt in _T.options:
        parts, actions = [f"({re.escape(opt.keyword)})"], [Keyword]
        for i, operand in enumerate(opt.operands):
            rx, shown = _OPERAND.get(operand, (_NAME, _OPTION_VALUE.get(opt.keyword, Name.Constant)))
            piece = rf"(\s+)({rx})"
            parts.append(piece if i < opt.required else f"(?:{piece})?")
            actions += [Whitespace, shown]
        found.append(("".join(parts) + ("" if opt.operands else r"\b"), bygroups(*actions)))
    return found


class IedslLexer(RegexLexer):
    """Lexer for iedsl rule files: `use`, `define`, `entity` and `rule` statements and patterns."""

    name = "iedsl"
    aliases = ["iedsl", "ie"]
    filenames = ["*.ie"]
    mimetypes = ["text/x-iedsl"]

    tokens = {
        "root": [
            *_statements(),
            include("pattern"),
        ],
        "space": [
            (r"\s+", Whitespace),
            (_T.comment, Comment.Single),
        ],
        # `rule NAME` / `entity TYPE`, then options up to the `:`.
        "header": [
            include("space"),
            *_options(),
            (r"\d+", Number.Integer),
            (r":", Punctuation, "#pop"),
            default("#pop"),
        ],
        # `define NAME =` or `define NAME(P, Q) =`; the pattern follows in root.
        "define": [
            include("space"),
            (r"([A-Z][A-Z0-9_]*)(\()", bygroups(Name.Function, Punctuation), "params"),
            (r"[A-Z][A-Z0-9_]*", Name.Function),
            (r"=", Operator, "#pop"),
            default("#pop"),
        ],
        "params": [
            include("space"),
            (r"[A-Z][A-Z0-9_]*", Name.Variable),
            (r",", Punctuation),
            (r"\)", Punctuation, "#pop"),
            default("#pop"),
        ],
        # `=> type(role, role=capture, field="value")`
        "emit": [
            include("space"),
            (rf'({_NAME})(\s*)(=)(\s*)(?=")', bygroups(Name.Attribute, Whitespace, Operator, Whitespace)),
            # `target=each(targets)`: one statement per conjunct
            (
                rf"({_NAME})(\s*)(=)(\s*)({re.escape(_T.each)})(\()(\s*)({_NAME})(\s*)(\))",
                bygroups(
                    Name.Attribute, Whitespace, Operator, Whitespace, Keyword, Punctuation,
                    Whitespace, Name.Variable, Whitespace, Punctuation,
                ),
            ),
            # `speaker=?`: resolved from the document
            (
                rf"({_NAME})(\s*)(=)(\s*)({re.escape(_T.resolved)})",
                bygroups(Name.Attribute, Whitespace, Operator, Whitespace, Keyword),
            ),
            (
                rf"({_NAME})(\s*)(=)(\s*)({_NAME})",
                bygroups(Name.Attribute, Whitespace, Operator, Whitespace, Name.Variable),
            ),
            (_NAME, Name.Variable),
            (_T.quote, String.Double, "string"),
            (r",", Punctuation),
            (r"\)", Punctuation, "#pop"),
            default("#pop"),
        ],
        "string": [
            (rf"[^{_T.quote}\\\n]+", String.Double),
            (r"\\.", String.Escape),
            (_T.quote, String.Double, "#pop"),
            default("#pop"),  # an unclosed string ends with its line
        ],
        # Atoms shared by patterns and `[ ... ]` tests.
        "atoms": [
            (_T.quote, String.Double, "string"),
            (_T.regex, String.Regex),
            (_T.lemma, Name.Builtin),
            (rf"({_FILTERED})(\[)", bygroups(Name.Class, Punctuation), "filter"),
            (_TYPE, Name.Class),
            (_NUMBER, Number),
        ],
        "pattern": [
            include("space"),
            (
                rf"({re.escape(_T.emit)})(\s*)({_NAME})(\s*)(\()",
                bygroups(Keyword, Whitespace, Name.Function, Whitespace, Punctuation),
                "emit",
            ),
            (re.escape(_T.emit), Keyword),
            (rf"(?:{any_of(_T.examples)})\b", Keyword),
            # `role="value"` after `@example "..." =>`
            (rf"({_NAME})([ \t]*)(=)(?!>)", bygroups(Name.Attribute, Whitespace, Operator)),
            (rf"({_NAME})([ \t]*)(:)", bygroups(Name.Variable, Whitespace, Punctuation)),
            (any_of(_T.lookarounds), Operator),
            (rf"({_MACRO})(\()", bygroups(Name.Function, Punctuation)),
            include("atoms"),
            (rf"{_T.gap}(?:{_T.quant})?", Operator),
            (_T.quant, Operator),
            (_WORD, Text),
            (r"\[", Punctuation, "brackets"),
            (any_of(("|", "!", *_T.anchors)), Operator),
            (rf"{re.escape(_T.any_token)}(?!\w)", Name.Builtin.Pseudo),
            (rf"[(),:]|{_T.punct}", Punctuation),
        ],
        # An attribute filter: `PLACE[kind=country & capital in (yes, national)]`.
        "filter": [
            (r"[ \t]+", Whitespace),
            (r"\]", Punctuation, "#pop"),
            (r"!=|=", Operator),
            (r"in\b", Operator.Word),
            (r"[&|!]", Operator),
            (r"[(),]", Punctuation),
            (_T.quote, String.Double, "string"),
            (_KEY, Name.Attribute),
            (r"\w[\w.'’-]*", Text),
            default("#pop"),
        ],
        # A single-token test: `[~group & !cap]`.
        "brackets": [
            include("space"),
            (r"\]", Punctuation, "#pop"),
            (r"[&|!]", Operator),
            (r"[()]", Punctuation),
            (_CLASS, Keyword.Type),
            include("atoms"),
            (_WORD, Text),
        ],
    }
