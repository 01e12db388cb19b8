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
    ("E106", "a statement must start with use, define, entity or rule", "indent continuation lines"): [
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


def nesting_error(text: str, path: str, origin: Origin) -> Diagnostic | None:
    """Deep nesting is refused before parsing, so no later stage can hit RecursionError."""
    depth = 0
    quote: str | None = None
    prev = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and prev != "\\":
                quote = None
        elif ch == '"':
            quote = ch
        elif ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                span = SourceSpan(path, origin(i), origin(i + 1))
                return Diagnostic(
                    "E401",
                    f"patterns nest more than {MAX_NESTING} levels deep",
                    span,
                    "split the pattern with `define` macros",
                )
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "\n":
            quote = None
        prev = ch
    return None


TERMINAL_NAMES = {
    "WORD": "a word",
    "TYPE_NAME": "a TYPE",
    "MACRO_CALL": "a MACRO(...)",
    "STRING": 'a "quoted string"',
    "_NL": "a line break",
    "QUANT": "a quantifier",
    "LEMMA": "~lemma",
    "REGEX": "/regex/",
    "GAP": "`...`",
    "SIGNED_INT": "a number",
    "INT": "a number",
}
