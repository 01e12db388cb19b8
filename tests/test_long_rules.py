"""Issue 15, F3: a rule of many one-word alternatives is read, checked, lowered and indexed
in linear time. These tests check the shortcuts that make it so give what the general path
gives (the times themselves are in benchmarks/parse_speed.py and docs/reliability.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ie_dsl.engine import ir, ruleindex
from ie_dsl.engine.lowering import lower
from ie_dsl.language import nodes as n
from ie_dsl.language.analysis import check
from ie_dsl.language.loader import load_rules, load_texts
from ie_dsl.language.nodes import walk
from ie_dsl.pipeline import compile_rules, compile_text
from ie_dsl.text import segment
from ie_dsl.text.segment import FINAL_ABBREVIATIONS, literal_tokens, plain_word

# Letters, digits, marks, apostrophes, dots, hyphens, blanks: what decides a literal's tokens.
LITERAL_CHARS = st.sampled_from(list("aZé9ßİ\u0301'’.-@,: _n t") + ["\u00ad", "\u200d", "٣", "x"])


@given(st.text(LITERAL_CHARS, max_size=8))
def test_a_literal_has_the_tokens_of_the_full_tokenizer(text: str) -> None:
    # the one-word shortcut and the document tokenizer agree on every literal
    segment.forget_literals()
    full = list(segment._literal_tokens.__wrapped__(text))
    assert literal_tokens(text) == full
    assert not plain_word(text) or full == [text]


def test_one_word_literals_are_themselves() -> None:
    for word in ("w99999", "Zürich", "naïve", "٣٤", "İstanbul", "x"):
        assert literal_tokens(word) == [word]
    assert literal_tokens("U.S.") == ["U.S."]
    assert literal_tokens("don't") == ["do", "n't"]
    assert literal_tokens("'s") == ["'s"]
    assert literal_tokens("a_b") == ["a", "_", "b"]


def _pre_order(p: n.Pattern) -> Iterator[n.Pattern]:
    """The reference: every node, parents before children, left to right."""
    yield p
    match p:
        case n.Seq():
            kids: tuple[n.Pattern, ...] = p.items
        case n.Alt():
            kids = p.options
        case n.Capture() | n.Repeat() | n.Look():
            kids = (p.pattern,)
        case n.Ref():
            kids = p.args
        case _:
            kids = ()
    for kid in kids:
        yield from _pre_order(kid)


def test_walk_lists_every_node_in_pre_order() -> None:
    ruleset = load_rules(["@pack"])
    bodies = [r.pattern for f in ruleset.files for r in f.rules] + [
        d.body for f in ruleset.files for d in f.defines
    ]
    assert len(bodies) > 50
    for body in bodies:
        assert [id(x) for x in walk(body)] == [id(x) for x in _pre_order(body)]


def _lowered(text: str) -> ir.Node:
    strata, statements = lower(check(load_texts({"main.ie": text})))
    (rule,) = statements
    return rule.pattern


def _plain(node: ir.Node) -> ir.Node:
    while isinstance(node, ir.Cap):
        node = node.item
    return node


def test_a_long_word_alternation_is_one_set_test() -> None:
    words = [f"w{i}" for i in range(3000)]
    pattern = _plain(_lowered("rule big: (" + " | ".join(words) + ")\n"))
    assert pattern == ir.Tok(ir.TNorm(frozenset(words)))


def test_word_runs_merge_only_between_other_options_in_order() -> None:
    got = _plain(_lowered("rule r: (Alpha | beta | gamma delta | Inc. | epsilon | [cap] | zeta | ~run)\n"))
    assert isinstance(got, ir.Alt)
    first, phrase, inc, single, cap, last = got.options
    assert first == ir.Tok(ir.TNorm(frozenset({"alpha", "beta"})))
    assert isinstance(phrase, ir.Seq) and len(phrase.items) == 2
    assert "Inc." in FINAL_ABBREVIATIONS and isinstance(inc, ir.Alt)  # `Inc.` may end a sentence
    assert single == ir.Tok(ir.TNorm(frozenset({"epsilon"})))
    assert cap == ir.Tok(ir.TClass("cap"))
    assert isinstance(last, ir.Tok) and isinstance(last.test, ir.TNorm)  # zeta and the forms of run
    assert {"zeta", "run", "runs", "ran"} <= last.test.forms


def _reference_index(rules: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    """The words, types, word bits, type bits and masks of ruleindex.index, computed atom by
    atom as the index was first written."""
    bits: dict[frozenset[str], int] = {}
    atom_bits: dict[str, dict[str, int]] = {"w": {}, "t": {}}
    words: dict[str, list[int]] = {}
    types: dict[str, list[int]] = {}
    masks = {}

    def mask_of(conj: tuple[frozenset[str], ...]) -> int:
        mask = 0
        for clause in conj:
            if clause not in bits:
                bits[clause] = 1 << len(bits)
                for atom in clause:
                    table = atom_bits[atom[0]]
                    table[atom[2:]] = table.get(atom[2:], 0) | bits[clause]
            mask |= bits[clause]
        return mask

    def rarity(clause: frozenset[str]) -> tuple[int, str]:
        weight = sum(1000 if a.startswith("t:") else 50 if a[2:] in ruleindex._COMMON else 1 for a in clause)
        return weight, min(clause)

    for k, cr in enumerate(rules):
        masks[str(k)] = mask_of(cr.clauses)
        for conj in cr.options:
            mask_of(conj)
        for b in cr.branches:
            for conj in b[3]:
                mask_of(conj)
        if ruleindex._pairs_of(cr) or not cr.clauses:
            continue
        for atom in sorted(min(cr.clauses, key=rarity)):
            (words if atom.startswith("w:") else types).setdefault(atom[2:], []).append(k)
    as_tuples = [{w: tuple(ks) for w, ks in d.items()} for d in (words, types)]
    return (*as_tuples, atom_bits["w"], atom_bits["t"], masks)


def test_the_index_of_the_pack_is_the_index_made_atom_by_atom() -> None:
    program = compile_rules(["@pack"]).program
    for stage in program.stages:
        words, types, word_bits, type_bits, masks = _reference_index(stage.rules)
        assert stage.words == words and stage.types == types
        assert stage.word_bits == word_bits and stage.type_bits == type_bits
        assert {str(k): m for k, m in enumerate(stage.masks)} == masks
    assert sum(len(stage.words) for stage in program.stages) > 100


def test_a_long_word_alternation_is_indexed_as_one_clause() -> None:
    words = [f"w{i}" for i in range(3000)]
    program = compile_text("rule big: (" + " | ".join(words) + ") said\n").program
    stage = program.stages[-1]
    (rule,) = stage.rules
    assert rule.clauses[0] == frozenset("w:" + w for w in words)  # one clause, one bit
    assert stage.masks == (3,) and set(stage.word_bits) == {*words, "said"}
    assert all(stage.word_bits[w] == 1 for w in words) and stage.word_bits["said"] == 2
    assert stage.words == {"said": (0,)}  # anchored on its rarer clause: one word, not 3,000
