"""The passes after matching, run in the order a rule set declares (schema.py).

`finish(program, run, statements)` -> the document's statements: each pass the rule set's
Schema lists runs in turn, then the statements are put in document order, and `dedupe` (if
listed, always last) drops repeats. The passes:

- `attribution`: speakers and organizations resolved across the document (attribution.py);
- `cues`: polarity and modality from cue statements, which are consumed (context.py);
- `dates`: `when`, the DATE of the statement's sentence nearest to it;
- `dedupe`: statements identical to an earlier one (all but their rule) are dropped.

A rule set that declares nothing runs `dates` and `dedupe` only: its statements are as
matched. Each pass takes (program, run, statements) and returns the statements; `run` is the
DocRun of the document (its view, and where applied cues go).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ie_dsl.engine.compiler import Program
from ie_dsl.engine.conflicts import Candidate, resolve
from ie_dsl.engine.phrases import Cand
from ie_dsl.run.attribution import attribute
from ie_dsl.run.cues import apply_context
from ie_dsl.run.docrun import DocRun
from ie_dsl.run.statement import Statement, When
from ie_dsl.text.dates import find_dates
from ie_dsl.text.view import Annotation, DocView

Statements = list[Statement]
Pass = Callable[[Program, DocRun, Statements], Statements]


def _attribution(program: Program, run: DocRun, statements: Statements) -> Statements:
    schema = program.schema
    if statements and schema.attribution is not None:
        return attribute(run.view, statements, program.roles, schema.attribution, schema.role_key)
    return statements


def _cues(program: Program, run: DocRun, statements: Statements) -> Statements:
    cues = program.schema.cues
    return statements if cues is None else apply_context(run.view, statements, cues, run.overridden)


def _dates(program: Program, run: DocRun, statements: Statements) -> Statements:
    return [_date(run, st) for st in statements]


# name -> the pass; `dedupe` is not here: it runs after the sort, on the final order
PASSES: dict[str, Pass] = {"attribution": _attribution, "cues": _cues, "dates": _dates}


def finish(program: Program, run: DocRun, statements: Statements) -> Statements:
    """The declared passes over one document's matched statements, then document order
    (and `dedupe`, if declared)."""
    passes = program.schema.passes
    for name in passes:
        if name in PASSES:
            statements = PASSES[name](program, run, statements)
    statements.sort(key=lambda st: (st.span.start, st.span.end, st.type, st.rule.name))
    return _dedupe(statements) if "dedupe" in passes else statements


def _sentence_dates(view: DocView, first: int, end: int) -> list[Annotation]:
    """The DATE annotations in tokens [first, end): those made by annotate() if rules asked
    for DATE, else found now for this sentence only (most sentences hold no statement)."""
    if "DATE" in view.ann_start:
        return [a for a in view.of_type("DATE") if first <= a.start and a.end <= end]
    cands: list[Cand] = []
    # the document's date is looked for only if a date in the sentence needs it
    for a, b, d in find_dates(view.norms[first:end], view.texts[first:end], lambda: view.doc_date):
        ann = Annotation(
            "DATE", first + a, first + b, None, (("grain", d.grain),), "builtin:DATE", value=d.value
        )
        cands.append(Candidate(0, first + a, first + b, -1, False, ann))
    return resolve(cands, end)


def _date(run: DocRun, st: Statement) -> Statement:
    """The statement with `when`: the DATE of its sentence nearest to its span, if there
    is one."""
    view = run.view
    sent = view.sentence_of(bisect.bisect_right(view.seg.starts, st.span.start) - 1)
    dated = run.dates.get(sent.first_token)
    if dated is None:
        dated = [a for a in _sentence_dates(view, sent.first_token, sent.end_token) if a.value]
        run.dates[sent.first_token] = dated
    if not dated:
        return st
    mid = (st.span.start + st.span.end) / 2
    best = min(dated, key=lambda a: (abs(view.seg.starts[a.start] - mid), a.start))
    cs, ce = view.char_span(best.start, best.end)
    return replace(st, when=When(best.value, best.attrs, view.text[cs:ce], cs, ce))


def _dedupe(statements: Statements) -> Statements:
    """The statements (sorted by span, as finish() sorts them) without those identical (all
    but their rule and sentence: Statement.content) to an earlier one from another rule."""
    seen: set[tuple[Any, ...]] = set()
    span: Any = None
    out = []
    for st in statements:
        # identical statements have the same span, and the sort puts them together: keys are
        # kept for one span at a time, not for the whole document
        if st.span != span:
            seen.clear()
            span = st.span
        key = st.content()
        if key not in seen:
            seen.add(key)
            out.append(st)
    return out
