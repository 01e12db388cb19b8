"""Why a rule did or did not fire: how far each rule's pattern got in a sentence.

`attempts(book, doc_id, text, sentence=None, rules=None)` -> list of Attempt, best first.

The matcher is run as usual; where it finds nothing, `vm.explore` lists every
(instruction, position) pair a search could reach. Each instruction belongs to one element
of the pattern as written, so the furthest element reached and the token met there say
where the pattern stopped: `from PLACE: met token "in"`, or `ORG: no ORG annotation at
"Acme"`. Nothing of this runs during `iedsl run`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ie_dsl.engine.compiler import CompiledRule, compile_rule
from ie_dsl.engine.vm import Window, explore, search
from ie_dsl.pipeline import RuleBook
from ie_dsl.run.runtime import DocView, annotate, run_rule, windows
from ie_dsl.text.segment import segment


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
    added = cr.rule.gaps[index] if cr.rule.gaps else None
    if added:  # a loose rule's gap (say what it may skip), or glue of its passive ...
        return (f"(skipped: {added})" if added.startswith("LOOSE_") else f"({added})"), None
    source = book.sources.get(span.file)
    text = source.text[span.start : span.end] if source else "?"
    return " ".join(text.split()), type_name


_SHAPES: dict[int, tuple[object, list[CompiledRule]]] = {}  # id(RuleIR) -> (it, _shapes)


def _shapes(cr: CompiledRule) -> list[CompiledRule]:
    """The rule compiled with its elements' bounds saved (compile_rule's mark_elements); a
    loose rule with several clause shapes (ir.Variant: active, passive ...), each shape as a
    rule of its own, so that an explanation says what each element and gap of the shape took.
    Remembered per rule (explanations of a corpus, the evaluator's misses)."""
    hit = _SHAPES.get(id(cr.rule))
    if hit is None or hit[0] is not cr.rule:
        if len(_SHAPES) > 4096:
            _SHAPES.clear()
        rules = [
            replace(cr.rule, pattern=v.pattern, elements=v.elements, gaps=v.gaps, variants=())
            for v in cr.rule.variants
        ] or [cr.rule]
        shapes = []
        for r in rules:
            c = compile_rule(r, [], mark_elements=True)
            assert c is not None  # (the rule, or a part of it, compiled once already)
            shapes.append(c)
        hit = _SHAPES[id(cr.rule)] = (cr.rule, shapes)
    return hit[1]


def _shape_name(cr: CompiledRule, k: int) -> str | None:
    """The name of a rule's k-th shape ("passive" ...), or None if it has one shape."""
    return cr.rule.variants[k].name if cr.rule.variants else None


def _try_rule(book: RuleBook, view: DocView, cr: CompiledRule, lo: int, hi: int) -> Attempt | None:
    """The best try of the rule in tokens [lo, hi): of its best shape, if it has several."""
    if not cr.rule.variants:
        return _try_shape(book, view, cr, lo, hi, None)
    tries = [
        t
        for k, shape in enumerate(_shapes(cr))
        if (t := _try_shape(book, view, shape, lo, hi, _shape_name(cr, k))) is not None
    ]
    return max(tries, key=lambda t: (t.matched, t.reached / t.total, t.reached), default=None)


def _try_shape(
    book: RuleBook, view: DocView, cr: CompiledRule, lo: int, hi: int, shape: str | None
) -> Attempt | None:
    total = len(cr.rule.elements) or 1
    # progress = (matched, elements reached, tokens covered); ties keep the earliest start
    best: tuple[tuple[bool, int, int], int, int] | None = None  # (progress, start, stop position)
    w = Window(lo, hi)
    for start in range(lo, hi):
        found = search(cr.code, view, w, start, cr.rule.mode != "first", cr.nslots)
        if found is not None and found[0] > start:
            element, pos = total, found[0]
        else:
            rec = _Recorder(cr.element_of, hi - lo + 1, lo)
            explore(cr.code, view, w, start, rec)
            element, pos = rec.best
            found = None
        progress = (found is not None, element, pos - start)
        if best is None or progress > best[0]:
            best = (progress, start, pos)
    if best is None:
        return None
    (matched, element, _covered), start, pos = best
    r = cr.rule
    if not matched and (boundary := _start_boundary(book, view, cr, lo, hi)) is not None:
        start, failed, met = boundary
        cs, ce = view.seg.starts[start], view.seg.ends[start]
        return Attempt(r.name, r.file, r.line, 0, total, failed, met, cs, ce)
    cs = view.seg.starts[start]
    ce = view.seg.ends[max(start, min(pos, hi) - 1)]
    if matched:
        return Attempt(r.name, r.file, r.line, total, total, None, None, cs, ce)
    failed, type_name = _element_text(book, cr, element)
    if shape is not None and shape != "active":
        failed = f"{failed} ({shape})"
    if pos >= hi:
        met = "the end of the sentence"
    elif type_name:
        met = f'no {type_name} annotation at "{view.texts[pos]}"'
    else:
        met = f'met token "{view.texts[pos]}"'
    return Attempt(r.name, r.file, r.line, element, total, failed, met, cs, ce)


def _start_boundary(
    book: RuleBook, view: DocView, cr: CompiledRule, lo: int, hi: int
) -> tuple[int, str, str] | None:
    """Where a loose rule's first noun phrase is in the text but the grammar's boundary before
    it (`LOOSE_START_N`: "Rivals of NATO warned") keeps the rule from starting there:
    (token, the boundary, what stood before it). Reported instead of a farther-reaching try
    elsewhere, because it is the reason a reader expects."""
    gaps = cr.rule.gaps
    if not gaps or not gaps[0] or len(cr.rule.elements) < 2:
        return None
    first = _element_text(book, cr, 1)[0]
    types = {t for t in re.findall(r"\b[A-Z][A-Z0-9_]*\b", first) if view.of_type(t)}
    for t in sorted(types):
        for a in view.of_type(t):
            if not lo < a.start < hi:
                continue
            rec = _Recorder(cr.element_of, hi - lo + 1, lo)
            explore(cr.code, view, Window(lo, hi), a.start, rec)
            if rec.best[0] == 0:  # stopped by the boundary before the first element
                before = " ".join(view.texts[max(lo, a.start - 3) : a.start])
                return a.start, f"(boundary: {gaps[0]})", f'{t} "{view.texts[a.start]}" follows "{before}"'
    return None


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


# ---- one rule, in detail ---------------------------------------------------------------


def rules_named(book: RuleBook, name: str) -> list[CompiledRule]:
    """The compiled rules called `name` (an entity type may have several rules)."""
    everything = [*book.program.statements, *(cr for s in book.program.strata for cr in s)]
    return [cr for cr in everything if cr.rule.name == name]


def _where(book: RuleBook, source: str) -> str:
    """`lexicon:<file>@<offset>` -> `<file>:<line>`; rule and built-in sources as they are."""
    if source.startswith("lexicon:"):
        path, _, offset = source[len("lexicon:") :].rpartition("@")
        src = book.sources.get(path)
        return f"{path}:{src.line_col(int(offset))[0]}" if src else path
    return source


def _annotations_in(book: RuleBook, view: DocView, s: int, e: int) -> list[dict[str, object]]:
    out = []
    for (type_name, a, b), ann in sorted(view.annotations.items(), key=lambda kv: (kv[0][1], -kv[0][2])):
        if s <= a and b <= e:
            cs, ce = view.char_span(a, b)
            out.append(
                {
                    "type": type_name,
                    "text": view.text[cs:ce],
                    "canonical": ann.canonical,
                    "from": _where(book, ann.source),
                }
            )
    return out


def _surprises(view: DocView, lo: int, hi: int, failed: str) -> list[str]:
    """Words of the failed element that the sentence has only inside a larger token."""
    out = []
    norms = set(view.norms[lo:hi])
    for word in re.findall(r"(?<![~/\"A-Z_])\b[a-z][\w'’.-]*", failed):
        w = word.lower()
        if w in norms:
            continue
        for i in range(lo, hi):
            if w in view.norms[i] and w != view.norms[i]:
                out.append(f'"{word}" occurs only inside the token "{view.texts[i]}"')
                break
    return out


def _shape_match(
    cr: CompiledRule, shapes: list[CompiledRule], view: DocView, lo: int, hi: int
) -> tuple[tuple[int, int, list[int]] | None, int]:
    """The rule's first match in [lo, hi), with its elements' bounds, and which shape made
    it: the first shape that matches where the rule does (the rule is their choice)."""
    if not cr.rule.variants:
        return next(iter(run_rule(shapes[0], view, lo, hi)), None), 0
    whole = next(iter(run_rule(cr, view, lo, hi)), None)
    if whole is None:
        return None, 0
    for k, shape in enumerate(shapes):
        got = [m for m in run_rule(shape, view, lo, hi) if m[0] == whole[0]]
        if got:
            return next((m for m in got if m[1] == whole[1]), got[0]), k
    return None, 0


def explain_rule(book: RuleBook, name: str, doc_id: str, text: str) -> list[dict[str, object]]:
    """For each window of `text`: the rule's match, element by element (with the
    annotations each element covered and where they came from), or its nearest miss."""
    view = DocView(doc_id, text, segment(text))
    annotate(book.program, view)
    out = []
    for cr in rules_named(book, name):
        shapes = _shapes(cr)
        base = 2 * len(cr.rule.captures)
        for lo, hi in windows(view, cr.rule.scope, cr.rule.window):
            if hi <= lo:
                continue
            sent = view.sentence_of(lo)
            record: dict[str, object] = {
                "rule": name,
                "file": cr.rule.file,
                "line": cr.rule.line,
                "sentence": view.text[sent.start : sent.end],
            }
            found, k_shape = _shape_match(cr, shapes, view, lo, hi)
            if found is not None:
                _s, _e, caps = found
                bounds = caps[base:]
                record["matched"] = True
                if cr.rule.variants:
                    record["shape"] = _shape_name(cr, k_shape)
                record["elements"] = [
                    {
                        "element": _element_text(book, shapes[k_shape], k)[0],
                        "text": view.text[slice(*view.char_span(a, b))] if b > a else "",
                        "annotations": _annotations_in(book, view, a, b),
                    }
                    for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
                ]
            else:
                tried = _try_rule(book, view, cr, lo, hi)
                record["matched"] = False
                record["near_miss"] = tried.describe() if tried else None
                record["reached"] = tried.reached if tried else 0
                record["total"] = tried.total if tried else len(cr.rule.elements)
                record["surprises"] = _surprises(view, lo, hi, tried.failed or "") if tried else []
            out.append(record)
    return out
