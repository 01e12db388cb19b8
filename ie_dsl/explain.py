"""Why a rule did or did not fire: how far each rule's pattern got in a sentence.

`attempts(book, doc_id, text, sentence=None, rules=None)` -> list of Attempt, best first.

The matcher is run as usual, but with a `visited` set that remembers every
(instruction, position) pair the search explored. Each instruction belongs to one element
of the pattern as written, so the furthest element reached and the token met there say
where the pattern stopped: `from PLACE: met token "in"`, or `ORG: no ORG annotation at
"Acme"`. Nothing of this runs during `iedsl run`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ie_dsl.compiler import CompiledRule
from ie_dsl.pipeline import RuleBook
from ie_dsl.runtime import DocView, annotate, windows
from ie_dsl.text import segment
from ie_dsl.vm import search


@dataclass(frozen=True)
class Attempt:
    """The best try of one rule in one window."""

    rule: str
    file: str
    line: int
    reached: int  # written elements matched
    total: int  # written elements in the pattern
    failed: str | None  # the element that failed, as written (None: the rule matched)
    met: str | None  # what the text had there
    start: int  # character span of the try, from its first token to where it stopped
    end: int

    @property
    def matched(self) -> bool:
        return self.failed is None

    def describe(self) -> str:
        """One line: `rule (file:line): 3/5, from PLACE: met token "in"`."""
        head = f"{self.rule} ({self.file}:{self.line}): {self.reached}/{self.total}"
        return f"{head}, matched" if self.matched else f"{head}, {self.failed}: {self.met}"


class _Recorder(set):  # type: ignore[type-arg]
    """A visited set that also keeps the furthest (element, position) explored."""

    def __init__(self, element_of: tuple[int, ...], stride: int, lo: int):
        super().__init__()
        self.element_of, self.stride, self.lo = element_of, stride, lo
        self.best = (-1, -1)

    def add(self, key: int) -> None:
        super().add(key)
        pc, pos = divmod(key, self.stride)
        here = (self.element_of[pc], pos + self.lo)
        if here > self.best:
            self.best = here


def _element_text(book: RuleBook, cr: CompiledRule, index: int) -> tuple[str, str | None]:
    span, type_name = cr.rule.elements[index]
    source = book.sources.get(span.file)
    text = source.text[span.start : span.end] if source else "?"
    return " ".join(text.split()), type_name


def _try_rule(book: RuleBook, view: DocView, cr: CompiledRule, lo: int, hi: int) -> Attempt | None:
    total = len(cr.rule.elements) or 1
    # progress = (matched, elements reached, tokens covered); ties keep the earliest start
    best: tuple[tuple[bool, int, int], int, int] | None = None  # (progress, start, stop position)
    for start in range(lo, hi):
        rec = _Recorder(cr.element_of, hi - lo + 1, lo)
        found = search(cr.code, view, lo, hi, start, rec, True, cr.nslots)
        element, pos = (total, found[0]) if found else rec.best
        progress = (found is not None, element, pos - start)
        if best is None or progress > best[0]:
            best = (progress, start, pos)
    if best is None:
        return None
    (matched, element, _covered), start, pos = best
    r = cr.rule
    cs = view.seg.starts[start]
    ce = view.seg.ends[max(start, min(pos, hi) - 1)]
    if matched:
        return Attempt(r.name, r.file, r.line, total, total, None, None, cs, ce)
    failed, type_name = _element_text(book, cr, element)
    if pos >= hi:
        met = "the end of the sentence"
    elif type_name:
        met = f'no {type_name} annotation at "{view.texts[pos]}"'
    else:
        met = f'met token "{view.texts[pos]}"'
    return Attempt(r.name, r.file, r.line, element, total, failed, met, cs, ce)


def attempts(
    book: RuleBook,
    doc_id: str,
    text: str,
    sentence: tuple[int, int] | None = None,
    rules: Iterable[str] | None = None,
) -> list[Attempt]:
    """How far each rule got in each window of `text` (or only windows that overlap the
    character span `sentence`), best first: matches, then the most elements reached."""
    view = DocView(doc_id, text, segment(text))
    annotate(book.program, view)
    wanted = set(rules) if rules is not None else None
    everything = [*book.program.statements, *(cr for s in book.program.strata for cr in s)]
    out = []
    for cr in everything:
        if wanted is not None and cr.rule.name not in wanted:
            continue
        for lo, hi in windows(view, cr.rule.scope, cr.rule.window):
            if hi <= lo:
                continue
            if sentence is not None:
                cs, ce = view.char_span(lo, hi)
                if ce <= sentence[0] or cs >= sentence[1]:
                    continue
            tried = _try_rule(book, view, cr, lo, hi)
            if tried is not None:
                out.append(tried)
    out.sort(key=lambda a: (not a.matched, -a.reached / a.total, -a.reached, a.rule, a.start))
    return out
