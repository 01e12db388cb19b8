"""Token tests as the predicates TEST instructions call: `predicate(ir test, answers)` ->
f(view, token index) -> bool.

A test that looks only at the token (its text, its norm), not at annotations, remembers its
answer per token text in `Answers`, which the tests of one program share; a TEST in a loose
rule's gap (`[!"," & !"."]`, an adverb's regex) is then one dict probe for a word seen before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ie_dsl.engine import ir
from ie_dsl.engine.tokentests import compile_test

MEMO_ENTRIES = 1 << 15  # answers the token tests of a program remember, together


class Answers:
    """The answers token tests remember per token text, all of one program's tests
    together: past MEMO_ENTRIES they are all forgotten, so memory stays bounded (about 3 MB)
    however many tests and distinct tokens there are."""

    def __init__(self) -> None:
        self.tables: list[dict[str, bool]] = []
        self.size = 0
        self.pure: set[Callable[[Any, int], bool]] = set()  # predicates of the token alone
        self.shared: dict[Any, dict[str, bool]] = {}  # a table by what it answers (gates.py)

    def table(self) -> dict[str, bool]:
        self.tables.append({})
        return self.tables[-1]

    def put(self, table: dict[str, bool], text: str, answer: bool) -> None:
        """Remember `answer` for `text` in one of the tables."""
        if self.size >= MEMO_ENTRIES:
            self.full()
        self.size += 1
        table[text] = answer

    def full(self) -> None:
        for t in self.tables:
            t.clear()
        self.size = 0


def predicate(test: ir.Test, answers: Answers) -> Callable[[Any, int], bool]:
    """A token test as a predicate(view, token index). A test that looks only at the token
    (not at annotations) remembers its answer per token text: a regex or a conjunction
    costs one dict probe for a word seen before (token texts repeat: the first 1,000
    Reuters articles have 13,500 distinct tokens in 152,000)."""
    f = compile_test(test)
    if _reads_annotations(test):
        return f
    known = answers.table()

    def remembered(d: Any, i: int) -> bool:
        text = d.texts[i]
        got = known.get(text)
        if got is None:
            got = f(d, i)
            answers.put(known, text, got)
        return got

    answers.pure.add(remembered)
    return remembered


def _reads_annotations(test: ir.Test) -> bool:
    match test:
        case ir.TIn():
            return True
        case ir.TNot():
            return _reads_annotations(test.test)
        case ir.TAnd() | ir.TOr():
            return any(_reads_annotations(t) for t in test.tests)
        case ir.TNorm() | ir.TText() | ir.TRe() | ir.TClass() | ir.TTrue():
            return False
        case _:
            ir.unknown(test)
