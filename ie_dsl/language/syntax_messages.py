"""What syntax errors say: examples of common mistakes and their messages (for Lark's
match_examples), the names of terminals as users write them, and the checks made before
parsing (nesting depth, unclosed brackets). Used by parser.py only."""

from __future__ import annotations

import re
from collections.abc import Callable

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.source import SourceSpan

MAX_NESTING = 64
Origin = Callable[[int], int]

# Friendly messages for common mistakes: Lark maps a failing parser state to the label of
# the example that fails in the same state (UnexpectedInput.match_examples).
ERROR_EXAMPLES: dict[tuple[str, str, str], list[str]] = {
    ("E101", "unclosed parenthesis", "add the missing `)`"): [
        "rule r: (a b\n",
        "rule r: a (b | c\n",
        "rule r: (?= a\n",
    ],
    ("E102", "unclosed bracket", "a single-token test ends with `]`, as in [~group & !cap]"): [
        "rule r: [cap\n",
        "rule r: [cap & !x\n",
        "rule r: [cap &\n",
        "rule r: [cap |\n",
        "rule r: a [cap\n",
        "rule r: ~warn of [cap\n",
        "rule r: a [cap & !X\n",
    ],
    ("E103", "a rule needs a pattern after `:`", "write the words to find, e.g. ORG warns of THREAT"): [
        "rule r:\n",
        "rule r priority 1:\n",
        "entity T:\n",
    ],
    ("E104", "missing `:` after the rule header", "write `rule NAME [options]: PATTERN`"): [
        "rule r a b\n",
        "entity T a\n",
        "rule r priority 2 a\n",
    ],
    (
        "E105",
        "an operator has nothing to apply to",
        "put a word, type or group before `?`, `*`, `+` or `{m,n}`; `|` needs something on both sides",
    ): [
        "rule r: | a\n",
        "rule r: ( | a)\n",
        "rule r: a (*)\n",
        "rule r: *\n",
    ],
    (
        "E106",
        "a statement must start with use, define, entity, rule or declare",
        "indent continuation lines",
    ): [
        "a b\n",
        "rule r: a\nb\n",
        "warn\n",
    ],
    ("E107", "malformed `=>` emit", 'write `=> type(role, role=capture, field="value")`'): [
        "rule r: a => \n",
        "rule r: a => w(\n",
        "rule r: a => w(x,)\n",
        "rule r: a => w(x y)\n",
    ],
    ("E108", "a `define` needs `NAME = pattern`", "e.g. define WARN = ~warn | raised alarms"): [
        "define W\n",
        "define w = a\n",
        "define W a\n",
    ],
}


# The LALR state after a first statement differs from the state at file start, so
# every example is also tried after one.
ERROR_EXAMPLES = {
    label: examples + ["rule z: a\n" + e for e in examples] for label, examples in ERROR_EXAMPLES.items()
}


LABELS = {label[0]: label for label in ERROR_EXAMPLES}


def unclosed(line: str) -> str | None:
    """The innermost bracket left open in `line` (quoted strings and regexes skipped)."""
    stack: list[str] = []
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|/(?:[^/\\\n]|\\.)+/|[()\[\]]', line):
        tok = m.group()
        if tok in "([":
            stack.append(tok)
        elif tok in ")]" and stack:
            stack.pop()
    return stack[-1] if stack else None


# What nesting_error looks at: a bracket, or a "quoted string" (skipped whole) up to its
# closing quote or its line's end; a backslash in it escapes the next character (so `"\\" (`
# closes the string before the bracket) but not a line break.
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"?|[()\[\]]')


def nesting_error(text: str, path: str, origin: Origin) -> Diagnostic | None:
    """Deep nesting is refused before parsing, so no later stage can hit RecursionError.

    Brackets inside quoted strings do not count (in comments and regexes they do). A regular
    expression does the scanning, so a 1 MB file with few brackets costs little."""
    depth = 0
    for m in _BRACKET_OR_STRING.finditer(text):
        ch = text[m.start()]
        if ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                span = SourceSpan(path, origin(m.start()), origin(m.start() + 1))
                return Diagnostic(
                    "E401",
                    f"patterns nest more than {MAX_NESTING} levels deep",
                    span,
                    "split the pattern with `define` macros",
                )
        elif ch in ")]":
            depth = max(0, depth - 1)
    return None


TERMINAL_NAMES = {
    "WORD": "a word",
    "TYPE_NAME": "a TYPE",
    "MACRO_CALL": "a MACRO(...)",
    "TYPE_FILTER": "a TYPE[attribute=value]",
    "EACH": "each(capture)",
    "STRING": 'a "quoted string"',
    "_NL": "a line break",
    "QUANT": "a quantifier",
    "LEMMA": "~lemma",
    "REGEX": "/regex/",
    "GAP": "`...`",
    "SIGNED_INT": "a number",
    "INT": "a number",
}


# The escapes of a "quoted string" (docs/language.md 3.2), besides \uXXXX. Anything else after
# a backslash is E114: Python's rules (`\q` kept as is, with a SyntaxWarning printed at the
# user; `\x41`, `\N{...}`, octal) are not the language's, and a rule that silently looks for
# a backslash nobody meant is worse than an error.
STRING_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_KNOWN = 'a string knows the escapes \\" \\\\ \\n \\t and \\uXXXX'
_HEX = frozenset("0123456789abcdefABCDEF")


def _escape_problem(body: str, i: int) -> tuple[int, str, str]:
    """(length, message, hint) of the unknown or malformed escape at body[i]."""
    nxt = body[i + 1 : i + 2]
    if nxt == "u":
        digits = body[i + 2 : i + 6]
        good = next((k for k, c in enumerate(digits) if c not in _HEX), len(digits))
        if good < 4:
            return 2 + good, "\\u must be followed by 4 hexadecimal digits", "e.g. \\u00e9 for é"
        return 6, f"\\u{digits} is half of a surrogate pair, not a character", "write the character itself"
    if not nxt.strip():
        hint = f"write \\\\ for a backslash itself; {_KNOWN}"
        return 1 + len(nxt), "a backslash before a blank in a string", hint
    if nxt.isalnum():
        return 2, f"unknown escape \\{nxt} in a string", f"{_KNOWN}; write \\\\ for a backslash itself"
    return 2, f"unknown escape \\{nxt} in a string", f"write {nxt} without the backslash; {_KNOWN}"


def string_value(token: str, path: str, origin: Origin, at: int) -> tuple[str, list[Diagnostic]]:
    """The text of a "quoted string" token found at offset `at` of the parsed text, and an E114
    (at the backslash) for each escape the language does not have."""
    body = token[1:-1]
    out: list[str] = []
    problems: list[Diagnostic] = []
    i = 0
    while i < len(body):
        ch, nxt, digits = body[i], body[i + 1 : i + 2], body[i + 2 : i + 6]
        code = int(digits, 16) if nxt == "u" and len(digits) == 4 and set(digits) <= _HEX else None
        if ch != "\\":
            out.append(ch)
            i += 1
        elif nxt and nxt in STRING_ESCAPES:
            out.append(STRING_ESCAPES[nxt])
            i += 2
        elif code is not None and not 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be written out
            out.append(chr(code))
            i += 6
        else:
            length, message, hint = _escape_problem(body, i)
            start = at + 1 + i  # + 1: the opening quote
            span = SourceSpan(path, origin(start), origin(start + length))
            problems.append(Diagnostic("E114", message, span, hint))
            out.append(body[i : i + length])
            i += length
    return "".join(out), problems
