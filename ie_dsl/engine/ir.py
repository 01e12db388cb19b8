"""The small, closed intermediate representation that lowering.py produces and compiler.py
consumes: no macros, no sugar, literal words already tokenized, names resolved.

`Node` and `Test` are closed unions. Every traversal of them (lowering, the compiler, the
prefilter, the token tests) is a `match` over the kinds that ends in `case _: unknown(node)`:
a kind it does not handle raises TypeError there rather than being passed over, and a type
checker reports the missing case (unknown takes `Never`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Never, NoReturn

from ie_dsl.source import SourceSpan

# ---- single-token tests -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TNorm:
    """norm(token) is one of `forms` (case-insensitive words, inflections)."""

    forms: frozenset[str]


@dataclass(frozen=True, slots=True)
class TText:
    """The token's text is one of `texts` (case-sensitive)."""

    texts: frozenset[str]


@dataclass(frozen=True, slots=True)
class TRe:
    """The token's text contains a match of `pattern` (RE2 syntax, see tokenregex.py)."""

    pattern: str
    flags: str  # letters of tokenregex.FLAGS


@dataclass(frozen=True, slots=True)
class TClass:
    name: str  # cap upper lower title number punct alpha word any


@dataclass(frozen=True, slots=True)
class TIn:
    """The token lies inside an annotation of `type`."""

    type: str


@dataclass(frozen=True, slots=True)
class TNot:
    test: Test


@dataclass(frozen=True, slots=True)
class TAnd:
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class TOr:
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class TTrue:
    pass


Test = TNorm | TText | TRe | TClass | TIn | TNot | TAnd | TOr | TTrue

# ---- patterns -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tok:
    """Exactly one token that passes `test`."""

    test: Test


@dataclass(frozen=True, slots=True)
class Ann:
    """One annotation of `type`, from its first token to its last."""

    type: str


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Rep:
    """`item` min to max times. `greedy` orders the paths (more or fewer repetitions first);
    mode longest then ranks them by their end, except for an explicit lazy quantifier
    (`lazy`), which takes the fewest repetitions that let the rest match in every mode."""

    item: Node
    min: int
    max: int | None  # None: unbounded
    greedy: bool
    lazy: bool = False


@dataclass(frozen=True, slots=True)
class Cap:
    slot: int
    item: Node


@dataclass(frozen=True, slots=True)
class Look:
    item: Node
    ahead: bool
    negate: bool


@dataclass(frozen=True, slots=True)
class Assert:
    at_start: bool  # scope start (^) or end ($)


Node = Tok | Ann | Seq | Alt | Rep | Cap | Look | Assert


def unknown(node: Never) -> NoReturn:
    """The last case of every traversal of `Node` or `Test`: raises TypeError naming the kind
    it was given, which the traversal does not handle (see the module docstring)."""
    raise TypeError(f"not a kind of IR node or test this traversal handles: {type(node).__name__}")


def nullable(node: Node) -> bool:
    """Can `node` match zero tokens?"""
    match node:
        case Tok() | Ann():
            return False
        case Seq():
            return all(nullable(i) for i in node.items)
        case Alt():
            return any(nullable(o) for o in node.options)
        case Rep():
            return node.min == 0 or nullable(node.item)
        case Cap():
            return nullable(node.item)
        case Look() | Assert():  # zero-width
            return True
        case _:
            unknown(node)


# ---- rules --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureInfo:
    name: str
    types: tuple[str, ...]  # types an annotation filling the capture may have


class Variant(NamedTuple):
    """One clause shape of a loose rule that has several (active, passive, nominalization):
    its pattern as a Seq with one item per element or gap, with `elements` and `gaps` as
    RuleIR's, so that an explanation can say what each took in the shape that matched."""

    name: str  # "active", "passive" or "nominalization"
    pattern: Seq
    elements: tuple[tuple[SourceSpan, str | None], ...]
    gaps: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class RuleIR:
    """One rule ready to compile, with the metadata its statements carry."""

    name: str
    kind: str  # "rule" | "entity"
    output: str  # statement type, or the entity's annotation type
    pattern: Node
    captures: tuple[CaptureInfo, ...]
    args: tuple[tuple[str, tuple[int, ...]], ...]  # (role, capture slots: the last one set wins)
    fields: tuple[tuple[str, str], ...]  # constant fields, e.g. polarity
    priority: int
    mode: str
    scope: str
    window: int
    group: str
    file: str
    line: int
    order: int
    span: SourceSpan  # the rule's name where it is written
    # The pattern's top-level elements as written, for explanations: (span, TYPE if the
    # element is one type reference). `pattern` is then a Seq with one item per element.
    elements: tuple[tuple[SourceSpan, str | None], ...] = ()
    # For a loose rule, per element: None for an element as written, else what the expansion
    # put there, as explanations name it: a gap of the grammar between skeleton elements (its
    # macro, LOOSE_N_V: they say what it skipped), or glue of a passive or nominalization
    # (`by`, `of`, NOMINAL_WARN).
    gaps: tuple[str | None, ...] = ()
    # A loose rule with several clause shapes: each apart (`pattern` is their choice, and
    # `elements` the rule as one element), for explanations only.
    variants: tuple[Variant, ...] = ()
    # `role=each(capture)`: (role, the types of the conjuncts) for each such role; a
    # statement is emitted per conjunct of the capture (conjuncts.py)
    each: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Lowered(NamedTuple):
    """What lowering gives: the rules as IR, entity rules in dependency strata."""

    strata: tuple[tuple[RuleIR, ...], ...]  # entity rules, dependencies first
    statements: tuple[RuleIR, ...]  # the statement rules
