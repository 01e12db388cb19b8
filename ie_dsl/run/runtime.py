"""Run a Program over one document: text -> annotations -> statements.

`extract(program, doc_id, text)` -> list of statement dicts (LANGUAGE.md section 5, made by
statement.to_dict); `statements(...)` -> the typed statement.Statement values.

Order of work: segment; lexicon phrases and NUMBER; entity strata in dependency order
(each stratum's annotations are final before the next runs); statement rules. Conflicts
are resolved the same way for annotations (per type) and statements (per group): higher
priority wins, then the longer match, then the earlier start, then the earlier rule in
load order; a candidate overlapping an accepted one is dropped. Matches of `mode all`
rules are always kept.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from ie_dsl.engine.compiler import CompiledRule, Program, RuleIndex
from ie_dsl.engine.conflicts import Candidate, resolve
from ie_dsl.engine.gates import shut
from ie_dsl.engine.phrases import Cand, phrase_matches
from ie_dsl.engine.stage import Starts, first_positions, forked, idle, idle_words, last_start, spaced
from ie_dsl.engine.stage import live as live_rules
from ie_dsl.engine.vm import Around, Window, search
from ie_dsl.language.attrfilter import base_type, derive
from ie_dsl.run.docrun import DocRun
from ie_dsl.run.passes import finish
from ie_dsl.run.statement import Statement, conjoined, to_dict
from ie_dsl.run.statement import make as _statement
from ie_dsl.text.cutting import chunks
from ie_dsl.text.dates import find_dates, find_document_date
from ie_dsl.text.money import money_annotations
from ie_dsl.text.numbers import find_numbers
from ie_dsl.text.segment import norms, segment, token_words, tokens
from ie_dsl.text.view import Annotation, BudgetExceeded, DocView

__all__ = [
    "Annotation",
    "BudgetExceeded",
    "Candidate",
    "DocRun",
    "DocView",
    "Match",
    "Statement",
    "annotate",
    "extract",
    "finish",
    "iter_extract",
    "iter_statements",
    "resolve",
    "run_rule",
    "statements",
]


class Match(NamedTuple):
    """A match of a rule in a document: tokens [start, end) and its capture slots (slot k
    spans tokens caps[2k]..caps[2k+1], -1 where the slot took nothing)."""

    rule: CompiledRule
    start: int
    end: int
    caps: list[int]


def windows(view: DocView, scope: str, size: int) -> Iterator[tuple[int, int]]:
    """The (first token, end token) windows of a scope, in order."""
    los, his = view.windows(scope, size)
    return zip(los, his, strict=True)


def run_rule(
    cr: CompiledRule,
    view: DocView,
    lo: int,
    hi: int,
    at: list[int] | None = None,
    around: Around | None = None,
) -> list[tuple[int, int, list[int]]]:
    """Matches (start, end, capture slots) of one rule in tokens [lo, hi), by its mode.
    `at`: where a match may start in the document, ascending (else the rule's first positions);
    `around`: look-around answers the rules of a stage share in this window (vm.Window)."""
    mode = cr.rule.mode
    if at is None and cr.first_words is None:
        starts: Iterable[int] = range(lo, hi)
    else:
        at = view.first_positions(cr) if at is None else at
        starts = at[bisect.bisect_left(at, lo) : bisect.bisect_left(at, hi)]
    out: list[tuple[int, int, list[int]]] = []
    if starts and cr.chains:
        last = last_start(cr.chains, view, lo, hi)
        starts = [s for s in starts if s <= last]
        if starts:
            starts = spaced(cr.chains, view, lo, hi, starts)
    if starts and cr.entry is not None:  # a choice of many first tokens: one check, not one per option
        starts = [s for s in starts if not shut(cr.entry, view, s, hi)]
    if not starts:
        return out
    w = Window(lo, hi, around)  # what one search solved, every later start reuses
    free = lo
    for s in starts:
        if s < free:
            continue
        m = search(cr.code, view, w, s, mode != "first", cr.nslots)
        if m is None or m[0] == s:  # an empty match is not reported
            continue
        out.append((s, m[0], m[1]))
        if mode != "all":
            free = m[0]
    return out


def _rule_matches(index: RuleIndex, view: DocView, deadline: float | None = None) -> Iterator[Match]:
    """Every match of the stage's rules in their scopes' windows; past `deadline` (a
    time.monotonic()), BudgetExceeded.

    Only the rules that can match in the document are tried (`_live`), each only in the
    windows that hold an atom of every clause it has, and from the starts where what must
    follow its first element does. So a document costs the rules that can match in it, not
    all of them.
    """
    rules, masks = index.rules, index.masks
    live, at, bits, choices = live_rules(index, view)
    if not live:
        return
    # where the rules may start was found in one pass (annotate, Program.starting_words);
    # a long list of first words (THREAT's modifiers, nouns ...) is cut to those the
    # document holds, so that first_positions looks them up instead of scanning
    present: dict[int, Starts] = {}
    for k in live:
        fw = rules[k].first_words
        if fw is not None and len(fw) > 8:
            present[k] = Starts(frozenset(view.words.intersection(fw)), rules[k])
    by_scope: dict[tuple[str, int], list[int]] = {}
    for k in live:
        r = rules[k].rule
        by_scope.setdefault((r.scope, r.window), []).append(k)
    seen: set[tuple[int, int, int]] = set()
    # where each rule may start in the document (None: anywhere), so that a window with no
    # start of a rule costs one bisection, not a run
    starts: dict[int, list[int] | None] = {k: at[k] for k in at}
    forks = index.forks
    ways: dict[tuple[int, int], list[int]] = {}  # (rule, option) -> where the option may begin
    for key, ks in by_scope.items():
        los, his = view.windows(*key)
        firsts, ends = view.window_sentences(*key)
        for wi, a in enumerate(firsts):
            b = ends[wi]
            held = bits[a] if b == a + 1 else reduce(or_, bits[a:b])
            todo = [k for k in ks if masks[k] & held == masks[k]]
            if choices:  # (a rule with forks checks its options below)
                todo = [
                    k for k in todo if k not in choices or forks[k] or any(m & held == m for m in choices[k])
                ]
            if not todo:
                continue
            if deadline is not None and time.monotonic() > deadline:
                raise BudgetExceeded(f"{view.doc_id}: over its time budget")
            lo, hi = los[wi], his[wi]
            around: Around | None = None
            for k in todo:  # ascending, as `live`
                if forks[k] is not None and k not in at:
                    here = forked(rules[k], choices[k], held, view, lo, hi, ways)
                    if here is not None and not here:
                        continue  # no option the window holds begins in it
                else:
                    here = None
                if here is None:
                    here = starts.get(k, _UNKNOWN)
                    if here is _UNKNOWN:
                        here = starts[k] = first_positions(view, present.get(k, rules[k]))
                if here is not None:
                    i = bisect.bisect_left(here, lo)
                    if i == len(here) or here[i] >= hi:
                        continue
                if around is None:
                    around = ({}, {})
                cr = rules[k]
                yield from _new(cr, run_rule(cr, view, lo, hi, here, around), seen)


_UNKNOWN: Any = object()


def _new(
    cr: CompiledRule, found: list[tuple[int, int, list[int]]], seen: set[tuple[int, int, int]]
) -> Iterator[Match]:
    """Matches not found before: overlapping windows find a match twice."""
    for s, e, caps in found:
        if (cr.rule.order, s, e) not in seen:
            seen.add((cr.rule.order, s, e))
            yield Match(cr, s, e, caps)


def _outcomes(cands: list[Cand], chosen: list[Annotation]) -> list[tuple[Annotation, Annotation | None]]:
    """(annotation, None) for each kept entity match, (annotation, winner) for each dropped
    one: the first kept annotation that blocks it (mode-all matches block nothing)."""
    kept = {id(a) for a in chosen}
    blocking = [a for a in chosen if not any(c.keep_all and c.payload is a for c in cands)]
    out: list[tuple[Annotation, Annotation | None]] = []
    for c in cands:
        ann = c.payload
        if id(ann) in kept:
            out.append((ann, None))
        else:
            out.append((ann, next(w for w in blocking if w.start < ann.end and ann.start < w.end)))
    return out


def _builtin_matches(view: DocView, wanted: set[str], by_type: dict[str, list[Cand]]) -> None:
    """NUMBER, DATE and MONEY annotations, for the built-in types in `wanted`."""
    norms, texts = view.norms, view.texts
    for sent in view.seg.sentences:
        lo, hi = sent.first_token, sent.end_token
        if "NUMBER" in wanted:
            for a, b, value in find_numbers(norms[lo:hi]):
                ann = Annotation("NUMBER", lo + a, lo + b, None, (), "builtin:NUMBER", value=value)
                by_type.setdefault("NUMBER", []).append(Candidate(0, lo + a, lo + b, -1, False, ann))
        if "DATE" in wanted:
            for a, b, d in find_dates(norms[lo:hi], texts[lo:hi], view.doc_date):
                # the value is ISO 8601 (a day, a month, a year, or an interval "start/end")
                ann = Annotation(
                    "DATE", lo + a, lo + b, None, (("grain", d.grain),), "builtin:DATE", value=d.value or None
                )
                by_type.setdefault("DATE", []).append(Candidate(0, lo + a, lo + b, -1, False, ann))
    if "MONEY" in wanted:  # (money.py looks only at sentences with a currency in them)
        by_type["MONEY"] = [Candidate(0, a.start, a.end, -1, False, a) for a in money_annotations(view)]


BUILT_IN = frozenset({"NUMBER", "DATE", "MONEY"})


def annotate(
    program: Program,
    view: DocView,
    outcomes: list[tuple[Annotation, Annotation | None]] | None = None,
    builtins: bool = True,
    stating: bool = False,
    deadline: float | None = None,
) -> bool:
    """Add lexicon, NUMBER, DATE, MONEY and entity-rule annotations to `view`, cascade by
    cascade, and those of attribute filters (PLACE[kind=country]) once their type is settled.

    `builtins` False computes NUMBER, DATE and MONEY only if a rule matches them (extract: they are
    costly and `when` finds its dates itself). If `outcomes` is a list, each entity-rule
    match is appended to it with None if it was kept, or with the annotation that beat it
    (for coverage). `stating` (extract): stop before the entity rules, and return False,
    if no statement could be made in the document whatever they find (_idle); else True.
    Past `deadline` (a time.monotonic()), BudgetExceeded."""
    by_type: dict[str, list[Cand]] = {}
    phrase_matches(program.phrases, program.exact_phrases, view, by_type)
    wanted = BUILT_IN if builtins else BUILT_IN & {base_type(t) for t in program.used}
    if wanted:
        _builtin_matches(view, wanted, by_type)
    size = len(view.norms)
    for type_name, cands in by_type.items():
        view.set_annotations(type_name, resolve(cands, size))
    derive(view, program.used, by_type)  # PLACE[kind=country] and the like (attrfilter.py)
    if stating and idle(program, view):
        return False
    view.prefetch(view.words.intersection(program.starting_words))  # (one pass for all stages)
    for stage in program.stages[:-1]:
        made: dict[str, list[Cand]] = {}
        for m in _rule_matches(stage, view, deadline):
            r, s, e = m.rule.rule, m.start, m.end
            ann = Annotation(r.output, s, e, None, (), f"rule:{r.name}", r.priority, r.order)
            made.setdefault(r.output, []).append(Candidate(r.priority, s, e, r.order, r.mode == "all", ann))
        for type_name, cands in made.items():
            old = [Candidate(a.priority, a.start, a.end, a.order, False, a) for a in view.of_type(type_name)]
            chosen = resolve(old + cands, size)
            view.set_annotations(type_name, chosen)
            if outcomes is not None:
                outcomes.extend(_outcomes(cands, chosen))
        derive(view, program.used, made)
    return True


def extract(
    program: Program,
    doc_id: str,
    text: str,
    overridden: list[dict[str, Any]] | None = None,
    budget: float | None = None,
    doc_date: date | None = None,
) -> list[dict[str, Any]]:
    """All statements the program finds in one document, in a deterministic order, in their
    serialised form (statement.to_dict); statements() gives the typed values.

    If `overridden` is a list, every match that lost a conflict is appended to it as a
    statement with an extra key `overridden_by` (the winning rule's name), and every cue
    applied to other statements (type `cue`): coverage needs to know what a rule found
    even when it is not in the output. `budget`
    (seconds) bounds the time spent on the document: past it, BudgetExceeded. `doc_date`
    is the document's date (else a dateline's, if the text starts with one): DATE
    expressions are normalized against it, and a statement whose sentence is dated says
    `when`. A document over CHUNK_CHARS characters is matched piece by piece (see
    iter_extract), with the same offsets.
    """
    lost: list[Statement] | None = None if overridden is None else []
    out = [to_dict(st) for st in statements(program, doc_id, text, lost, budget, doc_date)]
    if overridden is not None and lost:
        overridden.extend(to_dict(st) for st in lost)
    return out


def statements(
    program: Program,
    doc_id: str,
    text: str,
    overridden: list[Statement] | None = None,
    budget: float | None = None,
    doc_date: date | None = None,
) -> list[Statement]:
    """extract()'s statements as typed values (statement.Statement); `overridden`, if a
    list, receives the lost matches and applied cues as Statements."""
    if len(text) > CHUNK_CHARS and _cut_between(program) is not None:
        return list(iter_statements(program, doc_id, text, overridden, budget, doc_date))
    toks = tokens(text)
    token_norms = None
    if overridden is None and program.stating is not None:
        token_norms = norms(toks[2])
        if idle_words(program, token_words(toks[2], token_norms)):
            return []  # (no statement can be made: most news articles; nothing more to do)
    seg = segment(text, toks)
    view = DocView(doc_id, text, seg, token_norms=token_norms if seg.texts is toks[2] else None)
    if doc_date is not None:
        view.doc_date = doc_date
    deadline = None if budget is None else time.monotonic() + budget
    return _matched(program, DocRun(view, deadline, overridden))


def _matched(program: Program, run: DocRun) -> list[Statement]:
    """The statements of one segmented text (a document, or a piece of one), with offsets
    into that text."""
    view, overridden = run.view, run.overridden
    if not annotate(program, view, builtins=False, stating=overridden is None, deadline=run.deadline):
        return []  # (no statement can be made: finish() would make [] of nothing)
    if overridden is None and program.strata and idle(program, view, settled=True):
        return []  # (the types the entity rules made wake no statement rule: cues alone make none)
    cands: dict[str, list[Candidate[Match]]] = {}
    stated = False  # a match of a rule that is not a cue (cues alone make no statement)
    cue = program.schema.cue_type
    for m in _rule_matches(program.stages[-1], view, run.deadline):
        r = m.rule.rule
        cand = Candidate(r.priority, m.start, m.end, r.order, r.mode == "all", m)
        cands.setdefault(r.group, []).append(cand)
        stated = stated or r.output != cue
    if not stated and overridden is None:
        return []  # (finish() would drop the cues and return [])
    found: list[Statement] = []
    for group in sorted(cands):
        chosen = resolve(cands[group], len(view.norms))
        for cr, s, e, caps in chosen:
            st = _statement(view, cr, s, e, caps)
            found.extend(conjoined(view, cr, st, caps) if cr.rule.each else (st,))  # each()
        if overridden is not None:
            overridden.extend(_losers(view, cands[group], chosen))
    return finish(program, run, found)


def _losers(view: DocView, cands: list[Candidate[Match]], chosen: list[Match]) -> list[Statement]:
    """The candidates `resolve` dropped, as statements naming the rule that beat them."""
    kept = {id(m) for m in chosen}
    out = []
    for cr, s, e, caps in (c.payload for c in cands if id(c.payload) not in kept):
        winner = next(w for w in chosen if w.start < e and s < w.end)
        out.append(replace(_statement(view, cr, s, e, caps), overridden_by=winner.rule.rule.name))
    return out


CHUNK_CHARS = 1_000_000
# The scopes whose windows lie inside one sentence, or one paragraph (a `window` stops at its
# paragraph's end): where a document whose rules have such scopes may be cut.
SENTENCE_SCOPES = frozenset({"sentence"})
PARAGRAPH_SCOPES = frozenset({"sentence", "paragraph", "window"})


def iter_extract(
    program: Program,
    doc_id: str,
    text: str,
    overridden: list[dict[str, Any]] | None = None,
    budget: float | None = None,
    doc_date: date | None = None,
) -> Iterator[dict[str, Any]]:
    """extract()'s statements, yielded a piece of the document at a time (arguments as
    extract's; see iter_statements): a caller that writes them as they come holds one piece
    at a time. A piece's `overridden` entries are appended before its first statement is
    yielded."""
    lost: list[Statement] | None = None if overridden is None else []
    for st in iter_statements(program, doc_id, text, lost, budget, doc_date):
        if overridden is not None and lost:
            overridden.extend(to_dict(x) for x in lost)
            lost.clear()
        yield to_dict(st)
    if overridden is not None and lost:
        overridden.extend(to_dict(x) for x in lost)


def iter_statements(
    program: Program,
    doc_id: str,
    text: str,
    overridden: list[Statement] | None = None,
    budget: float | None = None,
    doc_date: date | None = None,
) -> Iterator[Statement]:
    """statements(), yielded a piece of the document at a time.

    A document over CHUNK_CHARS characters is cut into pieces of about that size (chunks)
    where no match can reach across: between paragraphs, or between sentences if every
    rule's scope is `sentence` (a rule set with a scope reaching further is matched whole).
    Each piece is segmented and matched alone, and the statements are those of the whole
    document, with offsets into it, in the same order. A paragraph (or a sentence) is never
    cut, however long: memory is bounded by the larger of CHUNK_CHARS and the longest
    paragraph (sentence), and a single run-on paragraph of many megabytes costs about 1 KB
    per token, as a document of that size matched whole does.

    One thing is resolved per piece: speakers and organizations (attribution) are looked for
    in the statement's piece only, so a "he", a surname, a title or "the organization" whose
    referent is named only in another piece is left as the piece alone says. A piece's
    statements are yielded once the piece is done, and its `overridden` entries appended then.
    """
    level = _cut_between(program)
    if len(text) <= CHUNK_CHARS or level is None:
        yield from statements(program, doc_id, text, overridden, budget, doc_date)
        return
    deadline = None if budget is None else time.monotonic() + budget
    if doc_date is None:  # the document's dateline dates every piece; a piece's start is none
        doc_date = find_document_date(text[:400])
    for offset, piece in chunks(text, CHUNK_CHARS, sentences=level == "sentence"):
        view = DocView(doc_id, piece, segment(piece), doc_date)
        lost: list[Statement] | None = None if overridden is None else []
        found = _matched(program, DocRun(view, deadline, lost))
        del view  # the piece's tokens and annotations go before the next piece is segmented
        if overridden is not None and lost:
            overridden.extend(st.shifted(offset) for st in lost)
        yield from (st.shifted(offset) for st in found)


def _cut_between(program: Program) -> str | None:
    """Where a document may be cut for the program's rules: "sentence" if every rule's scope
    is a sentence, "paragraph" if every scope lies inside a paragraph, else None (nowhere)."""
    scopes = {cr.rule.scope for stage in program.stages for cr in stage.rules}
    if scopes <= SENTENCE_SCOPES:
        return "sentence"
    return "paragraph" if scopes <= PARAGRAPH_SCOPES else None
