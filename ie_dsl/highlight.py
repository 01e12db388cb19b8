"""A Pygments lexer for iedsl rule files (`.ie`).

Pygments finds it through the `pygments.lexers` entry point in pyproject.toml, so
`pygmentize -l iedsl rules/stances.ie`, Sphinx and MkDocs code blocks tagged `iedsl` (or
`ie`) and `pygments.lexers.get_lexer_for_filename("x.ie")` all use it. Pygments is not a
dependency of iedsl: only this module imports it, and only Pygments imports this module.

The token rules follow grammar/iedsl.lark. A lexer cannot resolve names, so every
UPPER_CASE name in a pattern is shown as a type (`Name.Class`) unless it is written as a
call `NAME(` (`Name.Function`). Statement keywords are recognised at the start of a line,
where the language says statements start.
"""

from __future__ import annotations

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

__all__ = ["IedslLexer"]

# Terminals of grammar/iedsl.lark, as Python regular expressions.
_WORD = r"[^\W\d_]\w*(?:[-'’.]\w+)*(?:\.(?![.\w]))?"
_NUMBER = r"\d+(?:[.,]\d+)*"
_NAME = r"[^\W\d_]\w*"  # a rule name, capture name, role or option value
_TYPE = r"[A-Z][A-Z0-9_]*(?![\w'’-])"
_MACRO = r"[A-Z][A-Z0-9_]*(?=\()"
# A type with an attribute filter, `PLACE[kind=country]`: a `[` against the type whose first
# word is compared (=, != or in); otherwise the `[` starts a token test after the type.
_FILTERED = r"[A-Z][A-Z0-9_]*(?=\[[\t (!]*(?:\w+|\"(?:[^\"\\\n]|\\.)*\")[\t ]*(?:!?=|in\b))"
_KEY = r"\w[\w.'’-]*(?=[\t ]*(?:!?=|in\b))"
_LEMMA = r"~[^\W\d_]\w*(?:-\w+)*"
_REGEX = r"/(?:[^/\\\n]|\\.)+/[aimsx]*"
_QUANT = r"(?:[?*+]|\{\d*(?:,\d*)?\})\??"
_CLASSES = ("cap", "upper", "lower", "title", "alpha", "word", "punct", "number", "num", "any")
_CLASS = r"(?:" + "|".join(_CLASSES) + r")(?![\w'’.-])"


class IedslLexer(RegexLexer):
    """Lexer for iedsl rule files: `use`, `define`, `entity` and `rule` statements and patterns."""

    name = "iedsl"
    aliases = ["iedsl", "ie"]
    filenames = ["*.ie"]
    mimetypes = ["text/x-iedsl"]

    tokens = {
        "root": [
            (
                rf"^(rule)([ \t]+)({_NAME})",
                bygroups(Keyword.Declaration, Whitespace, Name.Function),
                "header",
            ),
            (
                rf"^(entity)([ \t]+)({_TYPE})",
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
                "header",
            ),
            (r"^(define)\b", Keyword.Declaration, "define"),
            (r"^(use)\b", Keyword.Namespace),
            include("pattern"),
        ],
        "space": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
        ],
        # `rule NAME` / `entity TYPE`, then options up to the `:`.
        "header": [
            include("space"),
            (r"(priority)(\s+)([+-]?\d+)", bygroups(Keyword, Whitespace, Number.Integer)),
            (rf"(mode)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Constant)),
            (rf"(scope)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Constant)),
            (rf"(group)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Label)),
            (r"loose\b", Keyword),
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
                rf"({_NAME})(\s*)(=)(\s*)(each)(\()(\s*)({_NAME})(\s*)(\))",
                bygroups(
                    Name.Attribute, Whitespace, Operator, Whitespace, Keyword, Punctuation,
                    Whitespace, Name.Variable, Whitespace, Punctuation,
                ),
            ),
            # `speaker=?`: resolved from the document
            (
                rf"({_NAME})(\s*)(=)(\s*)(\?)",
                bygroups(Name.Attribute, Whitespace, Operator, Whitespace, Keyword),
            ),
            (
                rf"({_NAME})(\s*)(=)(\s*)({_NAME})",
                bygroups(Name.Attribute, Whitespace, Operator, Whitespace, Name.Variable),
            ),
            (_NAME, Name.Variable),
            (r'"', String.Double, "string"),
            (r",", Punctuation),
            (r"\)", Punctuation, "#pop"),
            default("#pop"),
        ],
        "string": [
            (r'[^"\\\n]+', String.Double),
            (r"\\.", String.Escape),
            (r'"', String.Double, "#pop"),
            default("#pop"),  # an unclosed string ends with its line
        ],
        # Atoms shared by patterns and `[ ... ]` tests.
        "atoms": [
            (r'"', String.Double, "string"),
            (_REGEX, String.Regex),
            (_LEMMA, Name.Builtin),
            (rf"({_FILTERED})(\[)", bygroups(Name.Class, Punctuation), "filter"),
            (_TYPE, Name.Class),
            (_NUMBER, Number),
        ],
        "pattern": [
            include("space"),
            (
                rf"(=>)(\s*)({_NAME})(\s*)(\()",
                bygroups(Keyword, Whitespace, Name.Function, Whitespace, Punctuation),
                "emit",
            ),
            (r"=>", Keyword),
            (r"@(?:counter)?example\b", Keyword),
            # `role="value"` after `@example "..." =>`
            (rf"({_NAME})([ \t]*)(=)(?!>)", bygroups(Name.Attribute, Whitespace, Operator)),
            (rf"({_NAME})([ \t]*)(:)", bygroups(Name.Variable, Whitespace, Punctuation)),
            (r"\(\?<?[=!]", Operator),
            (rf"({_MACRO})(\()", bygroups(Name.Function, Punctuation)),
            include("atoms"),
            (rf"\.\.\.(?:{_QUANT})?", Operator),
            (_QUANT, Operator),
            (_WORD, Text),
            (r"\[", Punctuation, "brackets"),
            (r"[|!^$]", Operator),
            (r"_(?!\w)", Name.Builtin.Pseudo),
            (r"[(),;.:]", Punctuation),
        ],
        # An attribute filter: `PLACE[kind=country & capital in (yes, national)]`.
        "filter": [
            (r"[ \t]+", Whitespace),
            (r"\]", Punctuation, "#pop"),
            (r"!=|=", Operator),
            (r"in\b", Operator.Word),
            (r"[&|!]", Operator),
            (r"[(),]", Punctuation),
            (r'"', String.Double, "string"),
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
