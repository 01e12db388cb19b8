"""Single-token tests compiled to predicates: `compile_test(ir test)` -> f(view, token index).

The matcher (vm.py) calls a predicate for a TEST instruction; words compared by norm are
NORM instructions instead and never come here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ie_dsl.engine import ir
from ie_dsl.text.tokenregex import compile_token_regex

NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion trillion dozen".split()
)
_DIGITS = re.compile(r"^\d[\d,.]*$")


def _class_test(name: str) -> Callable[[Any, int], bool]:
    tests: dict[str, Callable[[str], bool]] = {
        "cap": lambda t: t[:1].isupper(),
        "upper": lambda t: t.isupper(),
        "lower": lambda t: t.islower(),
        "title": lambda t: t.istitle(),
        "alpha": lambda t: t.isalpha(),
        "word": lambda t: any(ch.isalnum() for ch in t),
        "punct": lambda t: not any(ch.isalnum() for ch in t),
        "any": lambda t: True,
    }
    if name in ("number", "num"):
        return lambda d, i: bool(_DIGITS.match(d.texts[i])) or d.norms[i] in NUMBER_WORDS
    f = tests[name]
    return lambda d, i: f(d.texts[i])


def compile_test(t: ir.Test) -> Callable[[Any, int], bool]:
    """A single-token test -> predicate(doc_view, token_index)."""
    match t:
        case ir.TNorm(forms=forms):
            return lambda d, i: d.norms[i] in forms
        case ir.TText(texts=texts):
            return lambda d, i: d.texts[i] in texts
        case ir.TRe():
            rx = compile_token_regex(t.pattern, t.flags)
            return lambda d, i: rx.search(d.texts[i]) is not None
        case ir.TClass():
            return _class_test(t.name)
        case ir.TIn(type=typ):
            return lambda d, i: i in d.covered(typ)
        case ir.TNot():
            inner = compile_test(t.test)
            return lambda d, i: not inner(d, i)
        case ir.TAnd():
            parts = [compile_test(x) for x in t.tests]
            return lambda d, i: all(p(d, i) for p in parts)
        case ir.TOr():
            parts = [compile_test(x) for x in t.tests]
            return lambda d, i: any(p(d, i) for p in parts)
        case ir.TTrue():
            return lambda d, i: True
        case _:
            ir.unknown(t)
