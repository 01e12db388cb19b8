"""The index that finds the rules worth trying: from the compiled rules of a stage, a
RuleIndex, which wakes rules by their rarest clause or by (first element, next word) pairs,
and holds every clause as a bit so a window is checked against a rule with one integer test
(prefilter.py says what each rule needs). runtime._rule_matches and stage.py read it;
docs/architecture.md says why a window pays only for rules that can match it.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, NamedTuple

from ie_dsl.text.view import Pair

if TYPE_CHECKING:
    from ie_dsl.engine.compiler import CompiledRule


@dataclass(frozen=True)
class RuleIndex:
    """The rules of one stage (an entity stratum or the statement rules), indexed by what
    wakes them: the atoms of their rarest clause, or (first element, next word) pairs. A
    rule is tried only in windows that meet all its clauses, from starts where what must
    follow its first element does; so a stage costs what its woken rules cost, however many
    rules it has."""

    rules: tuple[CompiledRule, ...]
    words: dict[str, tuple[int, ...]]  # norm -> indexes into rules
    types: dict[str, tuple[int, ...]]  # annotation type -> indexes into rules
    always: tuple[int, ...]  # rules with no anchor: tried in every window
    # The clauses as bit sets, so that checking a rule against a window is one integer test
    # however many clauses it has: each distinct clause of the stage is a bit, an atom sets
    # the bits of the clauses it is in, and a rule can match in a window only if the bits
    # of the window's atoms cover its mask.
    word_bits: dict[str, int]
    type_bits: dict[str, int]
    masks: tuple[int, ...]  # by rule
    # Rules whose pattern is a choice (a loose rule's variants, an entity's shapes) may
    # also need one of several masks, one per alternative (prefilter.options); None: no choice.
    choices: tuple[tuple[int, ...] | None, ...]
    # For a rule that begins with a choice (CompiledRule.branches): per option, the masks
    # of its alternatives (a window holds the option if it covers one); None: no branches.
    forks: tuple[tuple[tuple[int, ...], ...] | None, ...]
    first_words: frozenset[str]  # the words other rules start on (sets of up to 8): found in one pass
    # Rules that begin with known words or types followed by known words are woken instead
    # by those pairs, which are much rarer than either: (head, next word) -> rules, where a
    # head is a word, or a type as a 1-tuple.
    pairs: dict[Pair, tuple[int, ...]]
    pair_words: frozenset[str]  # the word heads
    pair_types: frozenset[str]  # the type heads


# Words too common to anchor a rule on when a rarer clause exists.
_COMMON = frozenset(
    "the a an of to in on at for by with from and or but as is are was were be been has have had "
    "it its this that these those he she they we i you his her their our not no said says say".split()
)


_COMMON_ATOMS = frozenset("w:" + w for w in _COMMON)
_NAME = itemgetter(slice(2, None))  # "w:oil" -> "oil"


class _Clause(NamedTuple):
    """A clause as the index reads it: its words and its types, each sorted, and its rarity:
    how often its atoms may be expected in a window, as a sort key (lower: rarer). Words are
    rarer than types (a type such as ORG is on most sentences), uncommon words rarer than
    function words, and fewer atoms rarer than more: each type weighs 1000, each common word
    50, each other word 1; ties go to the clause with the least atom."""

    words: list[str]
    types: list[str]
    rarity: tuple[int, str]


def _read(clause: frozenset[str]) -> _Clause:
    """The clause read, with no loop in Python over its atoms: it may have 100,000."""
    atoms = sorted(clause)
    cut = bisect_left(atoms, "w:")  # "t:TYPE" atoms sort before "w:word" ones
    common = len(clause & _COMMON_ATOMS)  # (a type weighs 1000, a common word 50, a word 1)
    rarity = 1000 * cut + 50 * common + len(atoms) - cut - common, atoms[0] if atoms else ""
    return _Clause(list(map(_NAME, atoms[cut:])), list(map(_NAME, atoms[:cut])), rarity)


def index(rules: tuple[CompiledRule, ...]) -> RuleIndex:
    words: dict[str, list[int]] = {}
    types: dict[str, list[int]] = {}
    always: list[int] = []
    bits: dict[frozenset[str], int] = {}
    word_bits: dict[str, int] = {}
    type_bits: dict[str, int] = {}
    masks: list[int] = []
    choices: list[tuple[int, ...] | None] = []
    forks: list[tuple[tuple[int, ...], ...] | None] = []
    first_words: set[str] = set()
    pairs: dict[Pair, list[int]] = {}
    reading = cache(_read)  # each distinct clause is read once

    def mask_of(conj: tuple[frozenset[str], ...]) -> int:
        mask = 0
        for clause in conj:
            bit = bits.get(clause)
            if bit is None:
                bit = bits[clause] = 1 << len(bits)
                got = reading(clause)
                for table, names in ((word_bits, got.words), (type_bits, got.types)):
                    had = {name: table[name] | bit for name in table.keys() & names}
                    table.update(dict.fromkeys(names, bit))
                    table.update(had)
            mask |= bit
        return mask

    for k, cr in enumerate(rules):
        masks.append(mask_of(cr.clauses))
        alts = tuple(mask_of(conj) for conj in cr.options)
        choices.append(alts if len(alts) > 1 and all(alts) else None)
        forks.append(tuple(tuple(mask_of(conj) for conj in b[3]) for b in cr.branches) or None)
        paired = _pairs_of(cr)
        if paired:  # (the pairs found also tell where the rule may start)
            for pair in paired:
                pairs.setdefault(pair, []).append(k)
            continue
        if cr.first_words is not None and len(cr.first_words) <= 8:
            first_words |= cr.first_words
        if not cr.clauses:
            always.append(k)
            continue
        # its anchor: every atom of the clause wakes the rule, so the best is the rarest
        anchor = min((reading(c) for c in cr.clauses), key=attrgetter("rarity"))
        for table, names in ((words, anchor.words), (types, anchor.types)):
            for name in table.keys() & names:
                table[name].append(k)
            table.update({name: [k] for name in names if name not in table})
    return RuleIndex(
        rules,
        {w: tuple(ks) for w, ks in words.items()},
        {t: tuple(ks) for t, ks in types.items()},
        tuple(always),
        word_bits,
        type_bits,
        tuple(masks),
        tuple(choices),
        tuple(forks),
        frozenset(first_words),
        {p: tuple(ks) for p, ks in pairs.items()},
        frozenset(h for h, _ in pairs if isinstance(h, str)),
        frozenset(h[0] for h, _ in pairs if isinstance(h, tuple)),
    )


def _pairs_of(cr: CompiledRule) -> list[Pair]:
    """The (head, next word) pairs to index a rule by: if its first element is known words
    or types, what follows right after is known words, and the pairs are not too many to
    list; else none."""
    if cr.follow is None or cr.first_words is None or cr.first_inside:
        return []
    fewest, most, words, types = cr.follow[2][0]
    if (fewest, most) != (0, 0) or types:
        return []
    heads: list[str | tuple[str]] = [*sorted(cr.first_words), *((t,) for t in sorted(cr.first_types))]
    if len(heads) * len(words) > 256 or not _COMMON.isdisjoint(cr.first_words):
        return []  # (a head such as `the` is on every line: its pairs cost more than they save)
    return [(head, word) for head in heads for word in sorted(words)]
