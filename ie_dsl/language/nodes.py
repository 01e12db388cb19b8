"""The rule AST: frozen dataclasses built by parser.py (DSL) and loader.py (YAML).

Every node carries a SourceSpan in file coordinates, so later stages can point at what the
user wrote. Pattern nodes mirror the grammar's pattern rules; single-token tests (the
`[ ... ]` sub-language) are the T* nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Never, NoReturn

from ie_dsl.source import SourceSpan

# ---- single-token tests ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TWord:
    """Token equals `text`, case-insensitively. Inside [ ], a class name such as `cap`
    names a class instead (`literal` is set where a class name is just a word: `!number`)."""

    text: str
    span: SourceSpan
    literal: bool = False


@dataclass(frozen=True, slots=True)
class TExact:
    text: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class TLemma:
    """Any inflection of `lemma` (~warn: warn, warns, warned, warning)."""

    lemma: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class TRegex:
    pattern: str
    flags: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class TType:
    """Token lies inside an annotation of type `name` (whose attributes pass `where`, if
    given: `[PLACE[kind=country]]`)."""

    name: str
    span: SourceSpan
    where: AttrTest | None = None


@dataclass(frozen=True, slots=True)
class TNot:
    test: TokenTest
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class TAnd:
    tests: tuple[TokenTest, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class TOr:
    tests: tuple[TokenTest, ...]
    span: SourceSpan


TokenTest = TWord | TExact | TLemma | TRegex | TType | TNot | TAnd | TOr

# ---- attribute filters: TYPE[key=value] -----------------------------------------------


@dataclass(frozen=True, slots=True)
class AttrCmp:
    """`key=value`, `key!=value` (`negate`) or `key in (v1, v2)` inside `TYPE[ ... ]`.
    Each value is (text, exact): a bare word compares in any case, a "quoted" one exactly."""

    key: str
    values: tuple[tuple[str, bool], ...]
    negate: bool
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class AttrNot:
    test: AttrTest
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class AttrAnd:
    tests: tuple[AttrTest, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class AttrOr:
    tests: tuple[AttrTest, ...]
    span: SourceSpan


AttrTest = AttrCmp | AttrNot | AttrAnd | AttrOr

# ---- patterns ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """A bare word or punctuation: its tokens in order, case-insensitively."""

    text: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Exact:
    """A quoted string: its tokens in order, case-sensitively."""

    text: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class TokenSet:
    """One token satisfying a single-token test (`[ ... ]`, `!x`, `~lemma`, `/re/`)."""

    test: TokenTest
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class AnyToken:
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Gap:
    """`...{min,max}`: a lazy run of any tokens. Plain `...` has the default bound;
    `...{m,}`, `...*` and `...+` are unbounded (`open`)."""

    min: int
    max: int | None
    span: SourceSpan
    open: bool = False


@dataclass(frozen=True, slots=True)
class Ref:
    """An upper-case name: a type (lexicon, entity, built-in) or a macro (with args)."""

    name: str
    args: tuple[Pattern, ...]
    span: SourceSpan
    called: bool = False  # written NAME(...)
    where: AttrTest | None = None  # TYPE[key=value]: only annotations whose attributes pass


@dataclass(frozen=True, slots=True)
class Capture:
    name: str
    pattern: Pattern
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Repeat:
    pattern: Pattern
    min: int
    max: int | None
    greedy: bool
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Pattern, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Pattern, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Look:
    pattern: Pattern
    ahead: bool
    negate: bool
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Anchor:
    at_start: bool
    span: SourceSpan


Pattern = Word | Exact | TokenSet | AnyToken | Gap | Ref | Capture | Repeat | Seq | Alt | Look | Anchor

# ---- statements ---------------------------------------------------------------------


RESOLVED = "?"  # `role=?`: the role is resolved from the whole document (attribution)


@dataclass(frozen=True, slots=True)
class EmitArg:
    """`role`, `role=capture`, `role=?`, `role=each(capture)` or `field="constant"` inside
    `=> type(...)`."""

    role: str
    capture: str | None
    const: str | None
    span: SourceSpan
    each: bool = False  # role=each(capture): one statement per conjunct of the capture


@dataclass(frozen=True, slots=True)
class Emit:
    type: str
    args: tuple[EmitArg, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Example:
    """A sentence the rule must match (with expected argument texts) or must not match."""

    text: str
    expect: tuple[tuple[str, str], ...]
    positive: bool
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Rule:
    """`rule` (emits statements) or `entity` (makes annotations of type `name`)."""

    kind: str  # "rule" | "entity"
    name: str
    pattern: Pattern
    span: SourceSpan
    emit: Emit | None = None
    priority: int = 0
    mode: str = "longest"  # longest | first | all
    scope: str = "sentence"  # sentence | paragraph | window
    window: int = 1
    group: str | None = None
    loose: bool = False  # the pattern is a skeleton; English may stand between (loose.py)
    examples: tuple[Example, ...] = ()
    option_spans: tuple[tuple[str, SourceSpan], ...] = ()


@dataclass(frozen=True, slots=True)
class Define:
    name: str
    params: tuple[str, ...]
    body: Pattern
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Use:
    path: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class DeclareItem:
    """One `key = value, value` line of a declaration; `key` None for a section that is a
    plain list (`declare passes: cues, dates`)."""

    key: str | None
    values: tuple[str, ...]
    value_spans: tuple[SourceSpan, ...]
    span: SourceSpan  # the key (or, without one, the first value)


@dataclass(frozen=True, slots=True)
class Declare:
    """`declare SECTION: ...`: what the passes after matching read (schema.py)."""

    section: str
    items: tuple[DeclareItem, ...]
    span: SourceSpan  # the section's name


@dataclass(frozen=True)
class RuleFile:
    """One parsed rule file (DSL or YAML)."""

    path: str
    uses: tuple[Use, ...] = ()
    defines: tuple[Define, ...] = ()
    rules: tuple[Rule, ...] = ()
    declares: tuple[Declare, ...] = ()
    meta: dict[str, object] = field(default_factory=dict)


def unknown(node: Never) -> NoReturn:
    """The last case of every traversal of `Pattern` or `TokenTest` (a `match` over the kinds,
    as engine/ir.py's are): raises TypeError naming the kind given, which the traversal does
    not handle; a type checker reports the missing case."""
    raise TypeError(f"not a kind of pattern node or token test this traversal handles: {type(node).__name__}")


def implicit_name(base: str, counts: dict[str, int], taken: set[str]) -> str:
    """The next name of an implicit capture: `base`, `base_2` ... in order of appearance,
    never one in `taken` (which it then joins); `counts` remembers each base's count."""
    k = counts.get(base, 0) + 1
    while (base if k == 1 else f"{base}_{k}") in taken:
        k += 1
    counts[base] = k
    name = base if k == 1 else f"{base}_{k}"
    taken.add(name)
    return name


# ---- traversals ---------------------------------------------------------------------


def walk(pattern: Pattern) -> Iterator[Pattern]:
    """Every pattern node below `pattern` (itself included), macro arguments included, in
    pre-order. The stack holds iterators over children, not nodes, so a flat alternation of
    100,000 words is one loop over its options (issue 15, F3), not a push and a pop each."""
    stack: list[Iterator[Pattern]] = [iter((pattern,))]
    while stack:
        for node in stack[-1]:
            yield node
            match node:  # the leaves first: most nodes are
                case Word() | Exact() | TokenSet() | AnyToken() | Gap() | Anchor():
                    continue
                case Seq():
                    below: tuple[Pattern, ...] = node.items
                case Alt():
                    below = node.options
                case Capture() | Repeat() | Look():
                    below = (node.pattern,)
                case Ref():
                    below = node.args
                case _:
                    unknown(node)
            stack.append(iter(below))
            break
        else:
            stack.pop()


def attr_tests(test: AttrTest) -> Iterator[AttrCmp]:
    """The comparisons of an attribute filter."""
    stack: list[AttrTest] = [test]
    while stack:
        t = stack.pop()
        if isinstance(t, AttrCmp):
            yield t
        elif isinstance(t, AttrNot):
            stack.append(t.test)
        else:
            stack.extend(reversed(t.tests))


def token_types(test: TokenTest) -> Iterator[TType]:
    stack: list[TokenTest] = [test]
    while stack:
        t = stack.pop()
        match t:
            case TType():
                yield t
            case TNot():
                stack.append(t.test)
            case TAnd() | TOr():
                stack.extend(t.tests)
            case TWord() | TExact() | TLemma() | TRegex():
                pass
            case _:
                unknown(t)
