"""A segmented document as the matcher sees it: token forms, annotations and their indexes.

`DocView(doc_id, text, segmentation)` is built once per document (runtime.extract); the
annotation passes fill it and the matcher (vm.py) reads it. Everything a rule needs per
token is a list lookup or a set/dict probe, and what only some rules need (positions of a
word, the windows of a scope, the document date) is computed on first use.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from itertools import compress
from typing import Any, NamedTuple

from ie_dsl.text.dates import find_document_date
from ie_dsl.text.segment import Segmentation, Sentence, norms

_UNSET: Any = object()
Pair = tuple[str | tuple[str], str]  # (a word or a type as a 1-tuple, the word after it)


class Annotation(NamedTuple):
    """A typed token span [start, end) with where it came from. (A NamedTuple rather than a
    frozen dataclass: made for every lexicon match, and five times faster to make.)"""

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
    """Token texts and norms, annotations by type and position, and lazily built indexes."""

    def __init__(
        self,
        doc_id: str,
        text: str,
        seg: Segmentation,
        doc_date: date | None = _UNSET,
        token_norms: list[str] | None = None,
    ):
        """`token_norms`: the norms of seg.texts, if the caller has them already."""
        self.doc_id = doc_id
        self.text = text
        self.seg = seg
        self.texts = seg.texts
        self.norms = norms(seg.texts) if token_norms is None else token_norms
        self.words: set[str] = set(self.norms)
        self.ann_start: dict[str, dict[int, list[int]]] = {}
        self.ann_end: dict[str, dict[int, list[int]]] = {}
        self.annotations: dict[tuple[str, int, int], Annotation] = {}
        self._covered: dict[str, set[int]] = {}
        self._positions: dict[str, list[int]] = {}
        self._indexed = False  # _positions holds every word
        self._starts: dict[str, list[int]] = {}
        self._inside: dict[str, list[int]] = {}
        self._first: dict[tuple[Any, ...], list[int]] = {}  # see first_positions
        self._windows: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        self._window_sentences: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        self._sentence_firsts = [s.first_token for s in seg.sentences]
        self._doc_date = doc_date
        self._sentence_texts: dict[int, str] = {}  # sentence start -> its text, see sentence_text

    @property
    def doc_date(self) -> date | None:
        """What "on Thursday" and "last year" count from: the date given, else a dateline's."""
        if self._doc_date is _UNSET:
            self._doc_date = find_document_date(self.text[:400])
        return self._doc_date

    @doc_date.setter
    def doc_date(self, value: date | None) -> None:
        self._doc_date = value

    def set_annotations(self, type_name: str, anns: Iterable[Annotation]) -> None:
        """Replace all annotations of `type_name` (after conflict resolution)."""
        for s, ends in self.ann_start.get(type_name, {}).items():
            for e in ends:
                del self.annotations[(type_name, s, e)]
        starts: dict[int, list[int]] = {}
        ends_at: dict[int, list[int]] = {}
        for a in anns:
            self.annotations[(a.type, a.start, a.end)] = a
            starts.setdefault(a.start, []).append(a.end)
            ends_at.setdefault(a.end, []).append(a.start)
        for lst in starts.values():
            lst.sort(reverse=True)  # longest first
        for lst in ends_at.values():
            lst.sort()
        self.ann_start[type_name] = starts
        self.ann_end[type_name] = ends_at
        self._covered.pop(type_name, None)
        self._starts.pop(type_name, None)
        self._inside.pop(type_name, None)

    def of_type(self, type_name: str) -> list[Annotation]:
        """The annotations of `type_name`, by start."""
        return [
            self.annotations[(type_name, s, e)]
            for s, ends in sorted(self.ann_start.get(type_name, {}).items())
            for e in ends
        ]

    def starts_of(self, type_name: str) -> list[int]:
        """Token indices where an annotation of `type_name` starts, ascending."""
        got = self._starts.get(type_name)
        if got is None:
            got = self._starts[type_name] = sorted(self.ann_start.get(type_name, ()))
        return got

    def inside(self, type_name: str) -> list[int]:
        """covered(type_name), ascending."""
        got = self._inside.get(type_name)
        if got is None:
            got = self._inside[type_name] = sorted(self.covered(type_name))
        return got

    def covered(self, type_name: str) -> set[int]:
        """Token indices inside any annotation of `type_name`."""
        got = self._covered.get(type_name)
        if got is None:
            got = {i for s, ends in self.ann_start.get(type_name, {}).items() for i in range(s, ends[0])}
            self._covered[type_name] = got
        return got

    def present_types(self) -> set[str]:
        """The types with at least one annotation."""
        return {t for t, starts in self.ann_start.items() if starts}

    def prefetch(self, words: frozenset[str]) -> None:
        """Find the token indices of those of `words` (norms) not looked up before. A short
        document (500 tokens or fewer) is scanned once for them; a longer one is indexed
        whole, so that many lookups do not cost a pass each."""
        known = self._positions
        if self._indexed:
            return
        missing = self.words.intersection(words).difference(known)
        if missing and len(self.norms) > 500:
            known.clear()
            for i, w in enumerate(self.norms):
                got = known.get(w)
                if got is None:
                    known[w] = [i]
                else:
                    got.append(i)
            self._indexed = True
        elif missing:
            found: dict[str, list[int]] = {w: [] for w in missing}
            norms = self.norms  # (the positions of any of them found in C, then sorted out)
            for i in compress(range(len(norms)), map(missing.__contains__, norms)):
                found[norms[i]].append(i)
            known.update(found)

    def pairs(self, heads: frozenset[str], types: frozenset[str]) -> dict[Pair, list[tuple[int, int]]]:
        """(head, next word) -> (start, end) of each such head, for each of the words `heads`
        and each annotation of a type in `types` (the head is then the type as a 1-tuple)
        that a word follows."""
        norms = self.norms
        n = len(norms)
        out: dict[Pair, list[tuple[int, int]]] = {}
        hits = self.words.intersection(heads)
        if hits:
            self.prefetch(hits)
            for w in hits:
                for p in self._positions[w]:
                    if p + 1 < n:
                        out.setdefault((w, norms[p + 1]), []).append((p, p + 1))
        for t in types.intersection(self.ann_start):
            head = (t,)
            for s, ends in self.ann_start[t].items():
                for e in ends:
                    if e < n:
                        out.setdefault((head, norms[e]), []).append((s, e))
        return out

    def first_positions(self, cr: Any) -> list[int]:
        """Where a match of the compiled rule `cr` may start in the document, ascending: its
        first words, the starts of its first types, the tokens inside its first-inside types;
        if the rule knows what must follow its first element, only where that follows.
        Kept per document: the types a rule matches are final before it runs."""
        key = (cr.first_words, cr.first_types, cr.first_inside, cr.follow)  # (hashes are cached)
        got = self._first.get(key)
        if got is None:
            fw, ft, fi, follow = key
            if len(fw) > 8:
                got = [i for i, w in enumerate(self.norms) if w in fw]
            else:
                self.prefetch(fw)
                known = self._positions
                got = [i for w in fw if w in known for i in known[w]]
            for t in ft:
                got += self.starts_of(t)
            for t in fi:
                got += self.inside(t)
            got = sorted(set(got)) if ft or fi else sorted(got)
            if follow is not None:
                got = self.followed(got, follow)
            self._first[key] = got
        return got

    def followed(self, starts: list[int], follow: Any) -> list[int]:
        """The `starts` at which what follows the first element of a rule (`follow`, see
        prefilter.Follow) can be found."""
        one_token, types, reach = follow
        heads = [self.ann_start[t] for t in types if t in self.ann_start]
        spans = [(s, e) for s in starts for at in heads for e in at.get(s, ())]
        if one_token:
            spans += [(s, s + 1) for s in starts]
        return self.reaching(spans, reach)

    def reaching(self, heads: list[tuple[int, int]], reach: Any) -> list[int]:
        """The starts of the `heads` ((start, end) of a rule's first element) after which
        every prefilter.Reach holds, ascending and once each."""
        norms = self.norms
        checks = [
            (a, b + 1, ws, [self.starts_of(t) for t in ts if t in self.ann_start]) for a, b, ws, ts in reach
        ]
        out: set[int] = set()
        for s, e in heads:
            for a, b, words, nexts in checks:  # one of the words, or the start of one of the types
                if words.isdisjoint(norms[e + a : e + b]) and not any(within(t, e + a, e + b) for t in nexts):
                    break
            else:
                out.add(s)
        return sorted(out)

    def windows(self, scope: str, size: int) -> tuple[list[int], list[int]]:
        """The windows of a scope as two lists (first tokens, end tokens), both ascending."""
        got = self._windows.get((scope, size))
        if got is None:
            sents = self.seg.sentences
            firsts, ends = self.window_sentences(scope, size)
            got = ([sents[a].first_token for a in firsts], [sents[b - 1].end_token for b in ends])
            self._windows[(scope, size)] = got
        return got

    def window_sentences(self, scope: str, size: int) -> tuple[list[int], list[int]]:
        """The windows of a scope as sentence ranges: (first sentences, end sentences)."""
        got = self._window_sentences.get((scope, size))
        if got is None:
            pairs: list[tuple[int, int]] = []
            if scope == "paragraph":
                pairs = [(p.first_sentence, p.end_sentence) for p in self.seg.paragraphs]
                pairs = [(a, b) for a, b in pairs if b > a]
            elif scope == "window":
                for p in self.seg.paragraphs:  # windows stop at the paragraph's end
                    for i in range(p.first_sentence, p.end_sentence):
                        pairs.append((i, min(p.end_sentence, i + size)))
            else:
                pairs = [(i, i + 1) for i in range(len(self.seg.sentences))]
            got = ([a for a, _ in pairs], [b for _, b in pairs])
            self._window_sentences[(scope, size)] = got
        return got

    def sentence_index(self, token: int) -> int:
        """The index of the sentence holding token index `token`."""
        return bisect.bisect_right(self._sentence_firsts, token) - 1

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of tokens [start, end)."""
        return self.seg.starts[start], self.seg.ends[end - 1]

    def sentence_of(self, token: int) -> Sentence:
        """The sentence holding token index `token`."""
        return self.seg.sentences[self.sentence_index(token)]

    def sentence_text(self, sent: Sentence) -> str:
        """``text[sent.start:sent.end]``, sliced once per sentence: every statement of the
        sentence holds this one string. (A copy per statement made a long sentence with many
        matches cost sentence length x matches: 1.6 GB for 20,000 matches in 80 KB.)"""
        got = self._sentence_texts.get(sent.start)
        if got is None:
            got = self._sentence_texts[sent.start] = self.text[sent.start : sent.end]
        return got


def within(at: list[int], lo: int, hi: float) -> bool:
    """Whether the ascending `at` holds a position in [lo, hi)."""
    i = bisect.bisect_left(at, lo)
    return i < len(at) and at[i] < hi
