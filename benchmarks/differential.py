"""Differential check: iedsl and spaCy (EntityRuler + Matcher) on equivalent rules must agree.

Each engine's matches are reduced to a set of (rule id, char start, char end), keeping the
farthest end per (rule, start): iedsl rules are `mode all` (one match per start, the farthest
end), spaCy's Matcher without `greedy` returns every (start, end). iedsl rules are
sentence-scoped and spaCy's blank pipeline has no sentences, so spaCy matches that cross an
iedsl sentence boundary are dropped before reducing.

Used by benchmarks/bench.py (a corpus sample) and tests/test_differential_spacy.py (small
hand-written texts). spaCy is a dev-only dependency, imported only here.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Match = tuple[str, int, int]  # rule id, char start, char end


def spacy_engine(
    entity_patterns: list[dict[str, Any]], rules: dict[str, list[dict[str, Any]]], flush_cache: bool = True
) -> tuple[Any, Any]:
    """A blank English pipeline with an EntityRuler (phrase patterns on ORTH), and a Matcher
    holding one pattern per rule id. Returns (nlp, matcher).

    `flush_cache`: EntityRuler.add_patterns tokenizes every name first, filling the
    tokenizer's 10,000-entry cache with rare words, which slows the text ~1.5x for the rest of
    the process (docs/performance.md); re-assigning the rules empties the cache."""
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(entity_patterns)
    matcher = Matcher(nlp.vocab)
    for rid, pattern in rules.items():
        matcher.add(rid, [pattern])
    if flush_cache:
        nlp.tokenizer.rules = nlp.tokenizer.rules
    return nlp, matcher


def load_spacy_engine(entity_jsonl: Path, rules_json: Path, flush_cache: bool = True) -> tuple[Any, Any]:
    """spacy_engine from the files workloads.prepare writes."""
    with entity_jsonl.open() as fh:
        ents = [json.loads(line) for line in fh]
    return spacy_engine(ents, json.loads(rules_json.read_text()), flush_cache)


def longest_per_start(matches: Iterable[Match]) -> set[Match]:
    """Keep, for each (rule, start), only the farthest end."""
    best: dict[tuple[str, int], int] = {}
    for rid, s, e in matches:
        if e > best.get((rid, s), -1):
            best[rid, s] = e
    return {(rid, s, e) for (rid, s), e in best.items()}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """iedsl's sentences as (char start, char end)."""
    from ie_dsl.text.segment import segment

    return [(s.start, s.end) for s in segment(text).sentences]


def in_one_sentence(start: int, end: int, sents: Sequence[tuple[int, int]]) -> bool:
    """Whether [start, end) lies inside one sentence."""
    k = bisect.bisect_right(sents, (start, float("inf"))) - 1
    return k >= 0 and sents[k][0] <= start and end <= sents[k][1]


def iedsl_matches(book: Any, doc_id: str, text: str) -> set[Match]:
    """iedsl's statements as reduced matches (the statement type is the rule's name)."""
    return longest_per_start(
        (st["rule"]["name"], st["span"]["start"], st["span"]["end"]) for st in book.extract(doc_id, text)
    )


def spacy_matches(
    nlp: Any, matcher: Any, text: str, sents: Sequence[tuple[int, int]] | None = None
) -> set[Match]:
    """spaCy's matches as reduced matches, without those crossing an iedsl sentence boundary."""
    doc = nlp(text)
    sents = sentence_spans(text) if sents is None else sents
    strings = nlp.vocab.strings
    found = []
    for key, s, e in matcher(doc):
        cs, ce = doc[s].idx, doc[e - 1].idx + len(doc[e - 1])
        if in_one_sentence(cs, ce, sents):
            found.append((strings[key], cs, ce))
    return longest_per_start(found)


def tokens_agree(nlp: Any, text: str, start: int, end: int) -> bool:
    """Whether both tokenizers cut text[start:end] into the same tokens (spaCy's whitespace
    tokens ignored)."""
    from ie_dsl.text.segment import segment

    piece = text[start:end]
    seg = segment(piece)  # (not tokenize: an "Inc." ending a sentence is two tokens there)
    ours = list(zip(seg.starts, seg.ends, strict=True))
    theirs = [(t.idx, t.idx + len(t)) for t in nlp.make_doc(piece) if not t.is_space]
    return ours == theirs


@dataclass
class Difference:
    """A match one engine found and the other did not (or found with another end)."""

    doc: str
    engine: str  # the engine that found it: "iedsl" or "spacy"
    match: Match
    text: str  # the matched text
    sentence: str  # iedsl's sentence around the start
    tokens_agree: bool  # both tokenizers cut that sentence the same way


@dataclass
class Report:
    """Agreement of the two engines over some documents."""

    docs: int = 0
    docs_agree: int = 0
    iedsl: int = 0
    spacy: int = 0
    common: int = 0
    differences: list[Difference] = field(default_factory=list)
    n_differences: int = 0
    explained_by_tokens: int = 0  # differences in sentences the tokenizers cut differently

    @property
    def agreement(self) -> float:
        """Common matches over the union of both engines' matches (1.0 when both are empty)."""
        union = self.iedsl + self.spacy - self.common
        return self.common / union if union else 1.0

    def as_dict(self, examples: int = 10) -> dict[str, Any]:
        d = {
            k: getattr(self, k)
            for k in (
                "docs",
                "docs_agree",
                "iedsl",
                "spacy",
                "common",
                "n_differences",
                "explained_by_tokens",
            )
        }
        d["agreement"] = round(self.agreement, 6)
        d["differences"] = [vars(x) for x in self.differences[:examples]]
        return d


def compare(
    texts: Sequence[str], book: Any, nlp: Any, matcher: Any, ids: Sequence[str] | None = None, keep: int = 50
) -> Report:
    """Run both engines over `texts` and compare; keeps the first `keep` differences."""
    rep = Report()
    for i, text in enumerate(texts):
        doc_id = ids[i] if ids else str(i)
        sents = sentence_spans(text)
        ours = iedsl_matches(book, doc_id, text)
        theirs = spacy_matches(nlp, matcher, text, sents)
        common = ours & theirs
        rep.docs += 1
        rep.iedsl += len(ours)
        rep.spacy += len(theirs)
        rep.common += len(common)
        if ours == theirs:
            rep.docs_agree += 1
            continue
        for engine, only in (("iedsl", ours - theirs), ("spacy", theirs - ours)):
            for m in sorted(only, key=lambda m: (m[1], m[0])):
                k = max(0, bisect.bisect_right(sents, (m[1], float("inf"))) - 1)
                s0, s1 = sents[k] if sents else (m[1], m[2])
                agree = tokens_agree(nlp, text, s0, max(s1, m[2]))
                rep.n_differences += 1
                rep.explained_by_tokens += not agree
                if len(rep.differences) < keep:
                    rep.differences.append(
                        Difference(doc_id, engine, m, text[m[1] : m[2]], text[s0:s1], agree)
                    )
    return rep
