"""Lexicon phrases: the token tries compiled from lexicons (`phrase_index`, compiler.py) and
the phrases they find in a document (`phrase_matches`, runtime.annotate). A document position
costs the depth it matches, however many names the lexicons have.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from itertools import compress
from typing import Any

from ie_dsl.engine.conflicts import Candidate
from ie_dsl.language.lexicon import Lexicon
from ie_dsl.text.view import Annotation, DocView

Cand = Candidate[Annotation]  # what conflicts.resolve() takes, for annotations

# A token trie of lexicon phrases: node = (what ends here, next token -> node), where what
# ends here is (type, canonical, attrs, source, priority) per phrase, in load order.
Found = tuple[str, str, tuple[tuple[str, str], ...], str, int]
PhraseNode = tuple[tuple[Found, ...], dict[str, "PhraseNode"]]


def phrase_index(lexicons: Iterable[Lexicon]) -> tuple[dict[str, PhraseNode], dict[str, PhraseNode]]:
    """Two tries, keyed by first token: phrases compared by norm, and case-sensitive phrases
    compared by exact text. A document position costs the depth it matches, not the number
    of phrases sharing its first word, and a lower-case word never wakes a capitalized name."""
    by_norm: dict[str, PhraseNode] = {}
    by_text: dict[str, PhraseNode] = {}
    for lex in lexicons:
        for p in lex.phrases:
            level = by_norm if p.exact is None else by_text
            node: PhraseNode | None = None
            for w in p.norms if p.exact is None else p.exact:
                node = level.get(w)
                if node is None:
                    node = level[w] = ([], {})  # type: ignore[assignment]
                level = node[1]
            assert node is not None  # a phrase has at least one token
            e = p.entry
            source = f"lexicon:{e.span.file}@{e.span.start}"
            node[0].append((e.type, e.canonical, e.attrs, source, e.priority))
    return _frozen(by_norm), _frozen(by_text)


_NO_ENDS: tuple[Found, ...] = ()
_NO_NEXT: dict[str, PhraseNode] = {}  # shared by every leaf: read, never written


def _frozen(level: dict[str, Any]) -> dict[str, PhraseNode]:
    """The trie with each node's list as a tuple and one shared empty tuple and dict for
    the many nodes that end nothing or lead nowhere (a 10k-name trie: 3 MiB less)."""
    return {w: (tuple(ends) or _NO_ENDS, _frozen(nx) if nx else _NO_NEXT) for w, (ends, nx) in level.items()}


def phrase_matches(
    phrases: dict[str, PhraseNode],
    exact: dict[str, PhraseNode],
    view: DocView,
    by_type: dict[str, list[Cand]],
) -> None:
    """Add to `by_type` the lexicon phrases found in the document (two tries, see
    phrase_index), each inside one sentence, walked down a trie from each token that can
    begin one; at one start, longer phrases come first."""
    sentence_ends: list[int] = []
    for trie, tokens in ((phrases, view.norms), (exact, view.texts)):
        if not trie:
            continue
        # (in C: a token's membership, then the positions where it holds)
        starts = list(compress(range(len(tokens)), map(trie.__contains__, tokens)))
        if starts and not sentence_ends:
            sentence_ends = [s.end_token for s in view.seg.sentences]
        last = len(tokens) - 1
        for i in starts:
            ends, nxt = trie[tokens[i]]
            if not ends and (i == last or tokens[i + 1] not in nxt):
                continue  # (only longer phrases begin here, and the next token begins none: "the")
            found = [(1, ends)] if ends else []
            j = i + 1
            if nxt:  # a longer phrase may start here: walk on, inside the sentence
                hi = sentence_ends[bisect.bisect_right(sentence_ends, i)]
                while nxt and j < hi:
                    node = nxt.get(tokens[j])
                    if node is None:
                        break
                    j += 1
                    ends, nxt = node
                    if ends:
                        found.append((j - i, ends))
            for k, ends in reversed(found):
                for type_name, canonical, attrs, source, prio in ends:
                    ann = Annotation(type_name, i, i + k, canonical, attrs, source, prio)
                    by_type.setdefault(type_name, []).append(Candidate(prio, i, i + k, -1, False, ann))
