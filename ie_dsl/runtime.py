"""Run a Program over one document: text -> annotations -> statements.

`extract(program, doc_id, text)` -> list of Statement dicts (LANGUAGE.md section 5).

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
from dataclasses import dataclass
from datetime import date
from typing import Any

from ie_dsl.attribution import attribute
from ie_dsl.compiler import CompiledRule, Program
from ie_dsl.context import apply_context
from ie_dsl.dates import find_dates, find_document_date
from ie_dsl.numbers import find_numbers
from ie_dsl.text import Segmentation, Sentence, norm, segment
from ie_dsl.vm import search


@dataclass(frozen=True, slots=True)
class Annotation:
    """A typed token span [start, end) with where it came from."""

    type: str
    start: int
    end: int
    canonical: str | None
    attrs: tuple[tuple[str, str], ...]
    source: str  # "lexicon:<file>@<offset>" or "rule:<name>"
    priority: int = 0
    order: int = 0
    value: int | float | str | None = None  # NUMBER's number; DATE's ISO 8601 value


class BudgetExceeded(TimeoutError):
    """A document took longer than its time budget (the run reports it and goes on)."""


class DocView:
    """A segmented document as the matcher sees it: token forms and annotation indexes."""

    def __init__(self, doc_id: str, text: str, seg: Segmentation):
        self.doc_id = doc_id
        self.text = text
        self.seg = seg
        self.texts = [text[s:e] for s, e in zip(seg.starts, seg.ends, strict=False)]
        self.norms = [norm(t) for t in self.texts]
        self.ann_start: dict[str, dict[int, list[int]]] = {}
        self.ann_end: dict[str, dict[int, list[int]]] = {}
        self.annotations: dict[tuple[str, int, int], Annotation] = {}
        self.types_at: list[set[str]] = [set() for _ in self.texts]
        self._covered: dict[str, set[int]] = {}
        self._sentence_firsts = [s.first_token for s in seg.sentences]
        self.deadline: float | None = None  # time.monotonic() past which matching stops
        self.doc_date: date | None = None  # what "on Thursday" and "last year" count from
        self.dates: list[tuple[int, Annotation]] | None = None  # for `when`, made on first use
        self.cues: list[dict[str, Any]] | None = None  # where applied cue statements go, if anywhere

    def set_annotations(self, type_name: str, anns: Iterable[Annotation]) -> None:
        """Replace all annotations of `type_name` (after conflict resolution)."""
        for key in [k for k in self.annotations if k[0] == type_name]:
            del self.annotations[key]
            self.types_at[key[1]].discard(type_name)
        starts: dict[int, list[int]] = {}
        ends: dict[int, list[int]] = {}
        for a in anns:
            self.annotations[(a.type, a.start, a.end)] = a
            starts.setdefault(a.start, []).append(a.end)
            ends.setdefault(a.end, []).append(a.start)
            self.types_at[a.start].add(a.type)
        for lst in starts.values():
            lst.sort(reverse=True)  # longest first
        for lst in ends.values():
            lst.sort()
        self.ann_start[type_name] = starts
        self.ann_end[type_name] = ends
        self._covered.pop(type_name, None)

    def covered(self, type_name: str) -> set[int]:
        """Token indices inside any annotation of `type_name`."""
        got = self._covered.get(type_name)
        if got is None:
            got = {i for (t, s, e) in self.annotations if t == type_name for i in range(s, e)}
            self._covered[type_name] = got
        return got

    def atoms(self, lo: int, hi: int) -> set[str]:
        """Prefilter atoms present in tokens [lo, hi): words and annotation types."""
        out = {"w:" + w for w in self.norms[lo:hi]}
        for i in range(lo, hi):
            if self.types_at[i]:
                out.update("t:" + t for t in self.types_at[i])
        return out

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of tokens [start, end)."""
        return self.seg.starts[start], self.seg.ends[end - 1]

    def sentence_of(self, token: int) -> Sentence:
        """The sentence holding token index `token`."""
        return self.seg.sentences[bisect.bisect_right(self._sentence_firsts, token) - 1]


def resolve(cands: list[tuple[int, int, int, int, bool, Any]], size: int) -> list[Any]:
    """Keep non-overlapping candidates (priority, start, end, order, keep_all, payload).

    Preference: higher priority, longer, earlier start, earlier rule. `keep_all`
    candidates (mode all) are always kept and block nothing.
    """
    taken = bytearray(size)
    kept = []
    for _prio, start, end, _order, keep_all, payload in sorted(
        cands, key=lambda c: (-c[0], -(c[2] - c[1]), c[1], c[3])
    ):
        if keep_all:
            kept.append(payload)
        elif not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            kept.append(payload)
    return kept


def windows(view: DocView, scope: str, size: int) -> Iterator[tuple[int, int]]:
    sents = view.seg.sentences
    if scope == "paragraph":
        for p in view.seg.paragraphs:
            if p.end_sentence > p.first_sentence:
                yield sents[p.first_sentence].first_token, sents[p.end_sentence - 1].end_token
    elif scope == "window":
        for p in view.seg.paragraphs:  # windows stop at the paragraph's end
            for i in range(p.first_sentence, p.end_sentence):
                last = min(p.end_sentence, i + size) - 1
                yield sents[i].first_token, sents[last].end_token
    else:
        for s in sents:
            yield s.first_token, s.end_token


def _passes(cr: CompiledRule, atoms: set[str]) -> bool:
    return all(not clause.isdisjoint(atoms) for clause in cr.clauses)


def run_rule(cr: CompiledRule, view: DocView, lo: int, hi: int) -> list[tuple[int, int, list[int]]]:
    """Matches (start, end, capture slots) of one rule in tokens [lo, hi), by its mode."""
    mode = cr.rule.mode
    fw, ft = cr.first_words, cr.first_types
    if fw is None:
        starts: Iterable[int] = range(lo, hi)
    else:
        norms, types_at = view.norms, view.types_at
        starts = [i for i in range(lo, hi) if norms[i] in fw or (ft and not ft.isdisjoint(types_at[i]))]
    out = []
    visited: set[int] = set()
    free = lo
    for s in starts:
        if s < free:
            continue
        m = search(cr.code, view, lo, hi, s, visited, mode != "first", cr.nslots)
        if m is None:
            continue
        out.append((s, m[0], m[1]))
        visited = set()
        if mode != "all":
            free = max(m[0], s + 1)
    return out


def _rule_matches(
    rules: Iterable[CompiledRule], view: DocView
) -> Iterator[tuple[CompiledRule, int, int, list[int]]]:
    """Every match of `rules` in their scopes' windows: (rule, start, end, captures).

    Rules are tried on a window only if it holds the words and types they need.
    """
    by_scope: dict[tuple[str, int], list[CompiledRule]] = {}
    for cr in rules:
        by_scope.setdefault((cr.rule.scope, cr.rule.window), []).append(cr)
    seen: set[tuple[int, int, int]] = set()
    for key, scoped in by_scope.items():
        for lo, hi in windows(view, *key):
            if view.deadline is not None and time.monotonic() > view.deadline:
                raise BudgetExceeded(f"{view.doc_id}: over its time budget")
            atoms = view.atoms(lo, hi)
            for cr in scoped:
                if not _passes(cr, atoms):
                    continue
                for s, e, caps in run_rule(cr, view, lo, hi):
                    if (cr.rule.order, s, e) not in seen:  # overlapping windows find a match twice
                        seen.add((cr.rule.order, s, e))
                        yield cr, s, e, caps


def _outcomes(cands: list[tuple[int, int, int, int, bool, Annotation]], chosen: list[Annotation]) -> list:
    """(annotation, None) for each kept entity match, (annotation, winner) for each dropped
    one: the first kept annotation that blocks it (mode-all matches block nothing)."""
    kept = {id(a) for a in chosen}
    blocking = [a for a in chosen if not any(c[4] and c[5] is a for c in cands)]
    out: list[tuple[Annotation, Annotation | None]] = []
    for *_ignored, ann in cands:
        if id(ann) in kept:
            out.append((ann, None))
        else:
            out.append((ann, next(w for w in blocking if w.start < ann.end and ann.start < w.end)))
    return out


def annotate(
    program: Program, view: DocView, outcomes: list[tuple[Annotation, Annotation | None]] | None = None
) -> None:
    """Add lexicon, NUMBER and entity-rule annotations to `view`, cascade by cascade.

    If `outcomes` is a list, each entity-rule match is appended to it with None if it was
    kept, or with the annotation that beat it (for coverage)."""
    by_type: dict[str, list[tuple[int, int, int, int, bool, Annotation]]] = {}
    norms, texts = view.norms, view.texts
    phrases = program.phrases
    for sent in view.seg.sentences:
        lo, hi = sent.first_token, sent.end_token
        for i in range(lo, hi):
            cands = phrases.get(norms[i])
            if not cands:
                continue
            for p in cands:
                k = len(p.norms)
                if i + k > hi:
                    continue
                if k > 1 and tuple(norms[i : i + k]) != p.norms:
                    continue
                if p.exact is not None and tuple(texts[i : i + k]) != p.exact:
                    continue
                e = p.entry
                prio = e.priority
                ann = Annotation(
                    e.type, i, i + k, e.canonical, e.attrs, f"lexicon:{e.span.file}@{e.span.start}", prio
                )
                by_type.setdefault(e.type, []).append((prio, i, i + k, -1, False, ann))
        for a, b, value in find_numbers(norms[lo:hi]):
            ann = Annotation("NUMBER", lo + a, lo + b, None, (), "builtin:NUMBER", value=value)
            by_type.setdefault("NUMBER", []).append((0, lo + a, lo + b, -1, False, ann))
        for a, b, d in find_dates(norms[lo:hi], texts[lo:hi], view.doc_date):
            # the value is ISO 8601 (a day, a month, a year, or an interval "start/end")
            ann = Annotation(
                "DATE", lo + a, lo + b, None, (("grain", d.grain),), "builtin:DATE", value=d.value or None
            )
            by_type.setdefault("DATE", []).append((0, lo + a, lo + b, -1, False, ann))
    size = len(norms)
    for type_name, cands in by_type.items():
        view.set_annotations(type_name, resolve(cands, size))
    for stratum in program.strata:
        made: dict[str, list[tuple[int, int, int, int, bool, Annotation]]] = {}
        for cr, s, e, _caps in _rule_matches(stratum, view):
            r = cr.rule
            ann = Annotation(r.output, s, e, None, (), f"rule:{r.name}", r.priority, r.order)
            made.setdefault(r.output, []).append((r.priority, s, e, r.order, r.mode == "all", ann))
        for type_name, cands in made.items():
            old = [
                (a.priority, a.start, a.end, a.order, False, a)
                for k, a in view.annotations.items()
                if k[0] == type_name
            ]
            chosen = resolve(old + cands, size)
            view.set_annotations(type_name, chosen)
            if outcomes is not None:
                outcomes.extend(_outcomes(cands, chosen))


def _arg(view: DocView, cr: CompiledRule, slot: int, caps: list[int]) -> dict[str, Any] | None:
    s, e = caps[2 * slot], caps[2 * slot + 1]
    if s < 0 or e <= s:
        return None
    cs, ce = view.char_span(s, e)
    record: dict[str, Any] = {"text": view.text[cs:ce]}
    for t in cr.rule.captures[slot].types:
        ann = view.annotations.get((t, s, e))
        if ann is not None:
            record["type"] = t
            if ann.canonical is not None:
                record["canonical"] = ann.canonical
            if ann.attrs:
                record["attrs"] = dict(ann.attrs)
            if ann.value is not None:
                record["value"] = ann.value
            break
    record["start"], record["end"] = cs, ce
    return record


def _statement(view: DocView, cr: CompiledRule, s: int, e: int, caps: list[int]) -> dict[str, Any]:
    r = cr.rule
    fields = dict(r.fields)
    args = {}
    for role, slots in r.args:
        for slot in reversed(slots):
            rec = _arg(view, cr, slot, caps)
            if rec is not None:
                args[role] = rec
                break
    cs, ce = view.char_span(s, e)
    sent = view.sentence_of(s)
    out: dict[str, Any] = {
        "doc": view.doc_id,
        "type": r.output,
        "polarity": fields.pop("polarity", "positive"),
    }
    out.update(sorted(fields.items()))
    out["args"] = args
    out["span"] = {"start": cs, "end": ce}
    out["sentence"] = {"text": view.text[sent.start : sent.end], "start": sent.start, "end": sent.end}
    out["rule"] = {"name": r.name, "file": r.file, "line": r.line}
    return out


def candidates(program: Program, atoms: set[str]) -> list[CompiledRule]:
    """Statement rules anchored on one of `atoms` (or on none), in load order.

    The anchor index makes a window cost only the rules that can match in it, however
    many rules there are.
    """
    found = {cr.rule.order: cr for cr in program.always}
    for atom in atoms:
        for cr in program.anchors.get(atom, ()):
            found[cr.rule.order] = cr
    return [found[k] for k in sorted(found)]


def extract(
    program: Program,
    doc_id: str,
    text: str,
    overridden: list[dict[str, Any]] | None = None,
    budget: float | None = None,
    doc_date: date | None = None,
) -> list[dict[str, Any]]:
    """All statements the program finds in one document, in a deterministic order.

    If `overridden` is a list, every match that lost a conflict is appended to it as a
    statement with an extra key `overridden_by` (the winning rule's name), and every cue
    applied to other statements (type `cue`): coverage needs to know what a rule found
    even when it is not in the output. `budget`
    (seconds) bounds the time spent on the document: past it, BudgetExceeded. `doc_date`
    is the document's date (else a dateline's, if the text starts with one): DATE
    expressions are normalized against it, and a statement whose sentence is dated says
    `when`.
    """
    if len(text) > CHUNK_CHARS:
        return list(iter_extract(program, doc_id, text, overridden, budget, doc_date))
    view = DocView(doc_id, text, segment(text))
    view.doc_date = doc_date or find_document_date(text[:400])
    if budget is not None:
        view.deadline = time.monotonic() + budget
    if overridden is not None:  # cues are applied, not output: coverage still sees them
        view.cues = overridden
    annotate(program, view)
    doc_atoms: set[str] = view.atoms(0, len(view.norms))
    rules = candidates(program, doc_atoms)
    cands: dict[str, list[tuple[int, int, int, int, bool, Any]]] = {}
    for cr, s, e, caps in _rule_matches(rules, view):
        r = cr.rule
        cands.setdefault(r.group, []).append((r.priority, s, e, r.order, r.mode == "all", (cr, s, e, caps)))
    statements = []
    for group in sorted(cands):
        chosen = resolve(cands[group], len(view.norms))
        statements.extend(_statement(view, cr, s, e, caps) for cr, s, e, caps in chosen)
        if overridden is not None:
            overridden.extend(_losers(view, cands[group], chosen))
    return finish(program, view, statements)


def finish(program: Program, view: DocView, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What follows matching: speakers and organizations resolved across the document,
    `when`, polarity and modality from cues, then document order without duplicates."""
    attribute(
        view, statements, {cr.rule.name: {role for role, _ in cr.rule.args} for cr in program.statements}
    )
    for st in statements:
        _date(view, st)
    statements = apply_context(view, statements, view.cues)
    statements.sort(key=lambda st: (st["span"]["start"], st["span"]["end"], st["type"], st["rule"]["name"]))
    return _dedupe(statements)


def _losers(view: DocView, cands: list[tuple[int, int, int, int, bool, Any]], chosen: list[Any]) -> list:
    """The candidates `resolve` dropped, as statements naming the rule that beat them."""
    kept = {id(c) for c in chosen}
    out = []
    for *_ignored, (cr, s, e, caps) in (c for c in cands if id(c[5]) not in kept):
        winner = next(w for w in chosen if w[1] < e and s < w[2])
        st = _statement(view, cr, s, e, caps)
        st["overridden_by"] = winner[0].rule.name
        out.append(st)
    return out


CHUNK_CHARS = 1_000_000


def iter_extract(
    program: Program,
    doc_id: str,
    text: str,
    overridden: list[dict[str, Any]] | None = None,
    budget: float | None = None,
    doc_date: date | None = None,
) -> Iterator[dict[str, Any]]:
    """extract(), one piece of the document at a time: memory stays bounded by the piece
    size (CHUNK_CHARS), not the document's, when the caller writes statements as they come."""
    deadline = None if budget is None else time.monotonic() + budget
    doc_date = doc_date or find_document_date(text[:400])
    for offset, piece in chunks(text, CHUNK_CHARS):
        left = None if deadline is None else deadline - time.monotonic()
        for st in extract(program, doc_id, piece, overridden, left, doc_date):
            yield _shifted(st, offset)


def chunks(text: str, size: int) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering `text`, each at most about `size` characters, cut at a
    paragraph break where there is one (so no sentence or paragraph scope is split), else
    at a line break, a sentence end, or a space."""
    start = 0
    while len(text) - start > size:
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            cut = text.rfind(sep, start + size // 2, start + size)
            if cut >= 0:
                cut += len(sep)
                break
        if cut < 0:
            cut = start + size  # no space in half a megabyte: not text, cut anywhere
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _shifted(st: dict[str, Any], offset: int) -> dict[str, Any]:
    """A statement found in a piece of a document, with offsets into the whole document."""
    parts = [st["span"], st["sentence"]]
    for arg in st["args"].values():
        parts += [arg, arg.get("via") or {}]
    for part in parts:
        if "start" in part:  # a derived argument (a demonym's country) has no offsets
            part["start"] += offset
            part["end"] += offset
    return st


def _date(view: DocView, st: dict[str, Any]) -> None:
    """`when`: the DATE of the statement's sentence nearest to its span, if there is one."""
    sent = view.sentence_of(bisect.bisect_right(view.seg.starts, st["span"]["start"]) - 1)
    if view.dates is None:  # every DATE of the document, by first token (once)
        view.dates = sorted((s, a) for (t, s, _e), a in view.annotations.items() if t == "DATE" and a.value)
    lo = bisect.bisect_left(view.dates, (sent.first_token,), key=lambda d: (d[0],))
    dated = [a for s, a in view.dates[lo:] if s < sent.end_token and a.end <= sent.end_token]
    if not dated:
        return
    mid = (st["span"]["start"] + st["span"]["end"]) / 2
    best = min(dated, key=lambda a: (abs(view.seg.starts[a.start] - mid), a.start))
    cs, ce = view.char_span(best.start, best.end)
    when = {"value": best.value, **dict(best.attrs), "text": view.text[cs:ce], "start": cs, "end": ce}
    rest = {k: st.pop(k) for k in ("args", "span", "sentence", "rule")}
    st["when"] = when
    st.update(rest)


def _dedupe(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop a statement identical (all but its rule) to an earlier one from another rule."""
    seen: set[str] = set()
    out = []
    for st in statements:
        key = repr([(k, v) for k, v in st.items() if k not in ("rule", "sentence")])  # span fixes it
        if key not in seen:
            seen.add(key)
            out.append(st)
    return out
