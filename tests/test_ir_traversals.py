"""Every traversal of the IR, and of the AST, rejects a kind of node or token test it does
not handle (a `match` over the closed unions ending in `ir.unknown` or `nodes.unknown`), at
the top and nested, instead of passing over it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ie_dsl.engine import compiler, expansion, ir, irbuild, lowering, predicates, prefilter, tokentests
from ie_dsl.language import captures, rulechecks
from ie_dsl.language import nodes as n
from ie_dsl.source import SourceSpan


@dataclass(frozen=True)
class Fake:
    """A kind of node (or test) no traversal knows."""


def _gen(node: Any) -> None:
    compiler._Gen(None, [], {}).gen(node)  # type: ignore[arg-type]


NODE_TRAVERSALS: dict[str, Callable[[Any], object]] = {
    "ir.nullable": ir.nullable,
    "irbuild.direct_types": irbuild.direct_types,
    "irbuild.consumes": irbuild.consumes,
    "lowering._inner_types": lambda node: lowering._inner_types(node, {0}),
    "compiler._plain": lambda node: compiler._plain(node, True),
    "compiler._bounded": compiler._bounded,
    "compiler._used_types": compiler._used_types,
    "compiler._Gen.gen": _gen,
    "prefilter.clauses": prefilter.clauses,
    "prefilter.options": prefilter.options,
    "prefilter.first": prefilter.first,
    "prefilter._unwrap": prefilter._unwrap,
    "prefilter._without_looks": prefilter._without_looks,
    "prefilter.width": prefilter.width,
}

TEST_TRAVERSALS: dict[str, Callable[[Any], object]] = {
    "compiler._tested_types": compiler._tested_types,
    "prefilter._first_of_test": prefilter._first_of_test,
    "tokentests.compile_test": tokentests.compile_test,
    "predicates._reads_annotations": predicates._reads_annotations,
}


@pytest.mark.parametrize("name", sorted(NODE_TRAVERSALS))
@pytest.mark.parametrize("where", ["top", "inside a capture"])
def test_every_node_traversal_rejects_an_unknown_node(name: str, where: str) -> None:
    node = Fake() if where == "top" else ir.Cap(0, Fake())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a kind of IR node or test this traversal handles: Fake"):
        NODE_TRAVERSALS[name](node)


@pytest.mark.parametrize("name", sorted(TEST_TRAVERSALS))
@pytest.mark.parametrize("where", ["top", "inside an and"])
def test_every_test_traversal_rejects_an_unknown_test(name: str, where: str) -> None:
    test = Fake() if where == "top" else ir.TAnd((ir.TTrue(), Fake()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a kind of IR node or test this traversal handles: Fake"):
        TEST_TRAVERSALS[name](test)


def test_the_known_kinds_still_pass_through_each_traversal() -> None:
    # one of every kind of node and test, so that each traversal meets each of its cases
    tests = ir.TAnd(
        (
            ir.TNorm(frozenset({"a"})),
            ir.TText(frozenset({"A"})),
            ir.TRe("a", ""),
            ir.TClass("cap"),
            ir.TIn("ORG"),
            ir.TNot(ir.TTrue()),
            ir.TOr((ir.TTrue(),)),
        )
    )
    node = ir.Seq(
        (
            ir.Assert(True),
            ir.Cap(0, ir.Alt((ir.Ann("ORG"), ir.Tok(tests)))),
            ir.Rep(ir.Tok(ir.TTrue()), 0, 2, True),
            ir.Look(ir.Tok(ir.TNorm(frozenset({"b"}))), True, False),
        )
    )
    for traversal in NODE_TRAVERSALS.values():
        traversal(node)
    for traversal in TEST_TRAVERSALS.values():
        traversal(tests)
    assert prefilter.width(node) == (1, None) and compiler._used_types(node) == {"ORG"}
    assert prefilter.clauses(node) == [frozenset({"w:b"})] and lowering._inner_types(node, {0}) == ("ORG",)


SPAN = SourceSpan("main.ie", 0, 1)


def _lower(pattern: Any) -> object:
    scope = lowering._RuleScope(None)  # type: ignore[arg-type]
    return lowering._Lowerer(frozenset(), {}).node(pattern, scope, {}, {}, False, False)


def _lower_test(test: Any) -> object:
    return lowering._Lowerer(frozenset(), {}).test(test)


PATTERN_TRAVERSALS: dict[str, Callable[[Any], object]] = {
    "nodes.walk": lambda p: list(n.walk(p)),
    "expansion.size": lambda p: expansion.Expansion({}).size(p, {}, {}),
    "expansion.written": lambda p: expansion.Expansion({}).written(p),
    "expansion._refs": expansion._refs,
    "lowering._Lowerer.node": _lower,
    "captures._Found.visit": lambda p: captures._Found({}).visit(p, {}, frozenset(), False, False),
    "rulechecks._bounded": lambda p: rulechecks._bounded(p, {}, {}, {}, frozenset()),
}

TOKEN_TEST_TRAVERSALS: dict[str, Callable[[Any], object]] = {
    "nodes.token_types": lambda t: list(n.token_types(t)),
    "rulechecks._one_token_tests": lambda t: rulechecks._one_token_tests(t, []),
    "rulechecks._regexes": lambda t: list(rulechecks._regexes(t)),
    "lowering._Lowerer.test": _lower_test,
}

AST_UNKNOWN = "not a kind of pattern node or token test this traversal handles: Fake"


@pytest.mark.parametrize("name", sorted(PATTERN_TRAVERSALS))
@pytest.mark.parametrize("where", ["top", "inside a repeat"])
def test_every_pattern_traversal_rejects_an_unknown_node(name: str, where: str) -> None:
    node = Fake() if where == "top" else n.Repeat(Fake(), 1, 2, True, SPAN)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=AST_UNKNOWN):
        PATTERN_TRAVERSALS[name](node)


@pytest.mark.parametrize("name", sorted(TOKEN_TEST_TRAVERSALS))
@pytest.mark.parametrize("where", ["top", "inside an or"])
def test_every_token_test_traversal_rejects_an_unknown_test(name: str, where: str) -> None:
    test = Fake() if where == "top" else n.TOr((n.TWord("a", SPAN), Fake()), SPAN)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=AST_UNKNOWN):
        TOKEN_TEST_TRAVERSALS[name](test)
