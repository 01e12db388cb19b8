"""Which of a stage's rules a document and each of its windows can hold, and where their
searches may start: the per-document half of the prefilter (prefilter.py makes what it
reads at compile time; runtime._rule_matches runs the searches it allows). docs/architecture.md
says why a window pays only for rules that can match it; docs/performance.md counts it.

- `live`: the rules woken by the document's anchors or pairs whose clauses it holds, and
  the clause bits of each sentence (`sentence_bits`).
- `last_start`: the last token of a window a rule's skeleton (prefilter.chains) can begin at;
  `spaced`: the starts from which it can be found with its elements as close as it says.
- `first_positions`, `Starts`, `forked`: where a rule, or the options of its first choice
  that a window holds (prefilter.branches), may begin.
- `idle`: whether no statement can be made in a document whatever its entity rules find;
  `idle_words`: whether its words alone rule every statement out (before it is segmented).
"""

from __future__ import annotations

import bisect
import math
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from ie_dsl.engine.compiler import CompiledRule, Program, RuleIndex
from ie_dsl.engine.prefilter import Chain, Link
from ie_dsl.text.view import DocView, within


def live(
    index: RuleIndex, view: DocView
) -> tuple[list[int], dict[int, list[int]], list[int], dict[int, Any]]:
    """The rules (ascending indexes) woken by the document's anchors or pairs that meet all
    their clauses in it (and, if woken by pairs, with what follows found there too); where
    those woken by pairs may start; the clause bits of each sentence (_sentence_bits); for
    the rules that are a choice, what of it the document holds (a window needs one): the
    masks of its alternatives, or for a rule with forks (RuleIndex.forks) its options as
    (index, masks of their alternatives)."""
    rules, masks, choices = index.rules, index.masks, index.choices
    words, types = view.words, view.present_types()
    woken = set(index.always)
    for w in index.words.keys() & words:
        woken.update(index.words[w])
    for t in index.types.keys() & types:
        woken.update(index.types[t])
    heads: dict[int, list[tuple[int, int]]] = {}  # (start, end) of the first element
    if index.pairs:
        found = view.pairs(index.pair_words, index.pair_types)
        for pair in index.pairs.keys() & found.keys():
            for k in index.pairs[pair]:
                heads.setdefault(k, []).extend(found[pair])
        woken.update(heads)
    if not woken:
        return [], {}, [], {}
    if any(masks[k] or choices[k] is not None or index.forks[k] is not None for k in woken):
        bits = sentence_bits(index, view, index.type_bits.keys() & types)
        have = reduce(or_, bits, 0)
    else:  # (PERSON alone, say: rules that need no atom are tried in every window)
        bits, have = [0] * len(view.seg.sentences), 0
    live = []
    at: dict[int, list[int]] = {}
    viable: dict[int, Any] = {}
    for k in sorted(woken):
        if masks[k] & have == masks[k]:
            fork = index.forks[k]
            if fork is not None:  # the options whose alternatives the document holds
                held_options = []
                for i, ms in enumerate(fork):
                    held = [m for m in ms if m & have == m]
                    if held:
                        held_options.append((i, held))
                if not held_options:
                    continue
                viable[k] = held_options
            elif choices[k] is not None:
                viable[k] = tuple(m for m in choices[k] if m & have == m)
                if not viable[k]:
                    continue
            follow = rules[k].follow
            if k in heads and follow is not None:  # the pair is there: is the rest of what follows?
                at[k] = view.reaching(heads[k], follow[2][1:])
                if not at[k]:
                    continue
            live.append(k)
    return live, at, bits, {k: viable[k] for k in live if k in viable}


def sentence_bits(index: RuleIndex, view: DocView, type_hits: set[str]) -> list[int]:
    """Per sentence, the clause bits of its atoms: its words and the types starting in it
    (OR-ed together, the document's)."""
    norms, word_bits = view.norms, index.word_bits
    bit_of, keys = word_bits.__getitem__, word_bits.keys()
    out = [
        reduce(or_, map(bit_of, keys & norms[sent.first_token : sent.end_token]), 0)
        for sent in view.seg.sentences
    ]
    for t in type_hits:
        bit = index.type_bits[t]
        for i in view.starts_of(t):
            out[view.sentence_index(i)] |= bit
    return out


def last_start(chains: tuple[Chain, ...], view: DocView, lo: int, hi: int) -> int:
    """The last token of [lo, hi) from which one of a rule's chains (prefilter.chains) can
    be found in order, or -1: no match can start after it. One backward pass per chain,
    which reads the order of its elements, not their distances (see `spaced`)."""
    norms, ann_start = view.norms, view.ann_start
    best = -1
    for chain in chains:
        at = hi
        for words, types, _, _ in reversed(chain):
            at -= 1
            starts: set[int] = set()
            for t in types:
                starts.update(ann_start.get(t, ()))  # (the positions an annotation begins at)
            if starts:
                while at >= lo and norms[at] not in words and at not in starts:
                    at -= 1
            else:
                while at >= lo and norms[at] not in words:
                    at -= 1
            if at < lo:
                break
        else:
            best = max(best, at)
    return best


def spaced(chains: tuple[Chain, ...], view: DocView, lo: int, hi: int, starts: list[int]) -> list[int]:
    """The `starts` in [lo, hi) from which one of a rule's chains can be found with each
    element as far from the one before as the chain allows (`ORG said (on)? talks`: talks
    one or two tokens after said), ascending. Per chain, one backward pass over where its
    elements are in the window: the begins of each element from which the rest can follow.
    A chain whose distances the window is too short to break is taken as found."""
    ok: set[int] = set()
    for chain in chains:
        if all(most is None or most >= hi - lo for _, _, _, most in chain[1:]):
            return starts
        after: list[int] = []  # where the next element may begin, with the rest after it
        for k in range(len(chain) - 1, -1, -1):
            here = _inside(view, chain[k], lo, hi)
            if k < len(chain) - 1:
                _, _, fewest, most = chain[k + 1]
                here = [p for p in here if within(after, p + fewest, _end(p, most))]
            after = here
            if not after:
                break
        else:
            _, _, fewest, most = chain[0]
            ok.update(s for s in starts if within(after, s + fewest, _end(s, most)))
    return [s for s in starts if s in ok]


def _inside(view: DocView, link: Link, lo: int, hi: int) -> list[int]:
    """Where in [lo, hi) one of the link's words is, or an annotation of its types begins."""
    words, types, _, _ = link
    norms = view.norms
    here = [i for i in range(lo, hi) if norms[i] in words] if words else []
    for t in types:
        begins = view.ann_start.get(t)
        if begins:
            here += [p for p in begins if lo <= p < hi]
    return sorted(here) if types else here


def _end(at: int, most: int | None) -> float:
    """The end (exclusive) of where an element may begin, `most` tokens at most after `at`."""
    return math.inf if most is None else at + most + 1


def first_positions(view: DocView, cr: Any) -> list[int] | None:
    """Where a rule (or a Starts) may start in the document, ascending; None: anywhere. A
    rule that starts on one type alone (a loose rule's subject) starts where it does."""
    if cr.first_words is None:
        return None
    if not cr.first_words and not cr.first_inside and cr.follow is None and len(cr.first_types) == 1:
        (only,) = cr.first_types
        return view.starts_of(only)
    return view.first_positions(cr)


class Starts(NamedTuple):
    """What DocView.first_positions reads of a rule, with its first words cut down to those
    a document holds (found by the stage's one pass, not by a pass of their own)."""

    first_words: frozenset[str]
    rule: CompiledRule

    @property
    def first_types(self) -> frozenset[str]:
        return self.rule.first_types

    @property
    def first_inside(self) -> frozenset[str]:
        return self.rule.first_inside

    @property
    def follow(self) -> Any:
        return self.rule.follow


class _FirstOf(NamedTuple):
    """What DocView.first_positions reads of a rule, for one option of its first choice."""

    first_words: frozenset[str]
    first_types: frozenset[str]
    first_inside: frozenset[str]
    follow: Any = None


def forked(
    cr: CompiledRule,
    fork: list[tuple[int, list[int]]],
    held: int,
    view: DocView,
    lo: int,
    hi: int,
    ways: dict[tuple[int, int], list[int]],
) -> list[int] | None:
    """Where in [lo, hi) a rule that begins with a choice may start: where an option whose
    clauses the window holds (`held`) begins (CompiledRule.branches); None if such an
    option may begin anywhere. `fork`: the options the document holds, with the masks of
    their alternatives; `ways` keeps each option's positions for the document."""
    got: set[int] = set()
    for i, masks in fork:
        for m in masks:
            if m & held == m:
                break
        else:
            continue  # the window holds none of the option's alternatives
        where = ways.get((cr.rule.order, i))
        if where is None:
            words, types, inside, _ = cr.branches[i]
            if words is None:
                return None
            mine = _FirstOf(frozenset(view.words.intersection(words)), types, inside)
            where = ways[(cr.rule.order, i)] = view.first_positions(mine)
        got.update(where[bisect.bisect_left(where, lo) : bisect.bisect_left(where, hi)])
    return sorted(got)


def idle(program: Program, view: DocView, settled: bool = False) -> bool:
    """Can no statement (cues aside) be made in the document, whatever its entity rules
    find? No statement rule that its words and the types annotated so far would wake (with
    every type an entity rule makes taken as present, unless `settled`: they have run) has
    all its clauses there (Program.stating). Most news articles hold no word a threat
    statement needs: their entity rules need not run; and most of the rest have none of
    the types it needs once they have: the cue rules need not run."""
    stating = program.stating
    if stating is None:
        return False
    types = view.present_types() if settled else view.present_types() | stating.made
    ks = set(stating.checked)
    for t in stating.by_type.keys() & types:
        ks.update(stating.by_type[t])
    bits = program.stages[-1].type_bits
    have = reduce(or_, (bits[t] for t in bits.keys() & types), 0 if settled else stating.made_bits)
    return _hopeless(program, stating, ks, view.words, have)


def idle_words(program: Program, words: set[str]) -> bool:
    """idle() with every type taken as present: can the document's words alone rule every
    statement out? Then it need not be segmented into sentences, nor its lexicons matched."""
    stating = program.stating
    if stating is None:
        return False
    return _hopeless(program, stating, set(stating.by_any_type), words, stating.every_type_bits)


def _hopeless(program: Program, stating: Any, ks: set[int], words: set[str], have: int) -> bool:
    """No statement rule among `ks` (those the types woke) or woken by `words` has its clauses
    there (`have`: the clause bits of the types)."""
    for w in stating.by_word.keys() & words:
        ks.update(stating.by_word[w])
    if not ks:
        return True
    idx = program.stages[-1]
    have = reduce(or_, map(idx.word_bits.__getitem__, idx.word_bits.keys() & words), have)
    masks, choices = idx.masks, idx.choices
    for k in ks:  # (usually none or a few: one integer test each)
        if masks[k] & have == masks[k] and (choices[k] is None or any(m & have == m for m in choices[k])):
            return False
    return True
