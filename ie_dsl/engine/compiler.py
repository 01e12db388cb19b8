"""Compile IR rules into a Program: instruction lists for vm.py, a prefilter per rule, and
the lexicon phrase index. Built once; matching never looks at the AST or IR again.

`compile_program(strata, statements, lexicons)` -> Program, or IEDslError (E4xx limits).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, reduce
from operator import or_
from typing import Any, NamedTuple

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.engine import gates, ir, prefilter
from ie_dsl.engine.gates import entry, gated
from ie_dsl.engine.opcodes import ANN, ANY, ASSERT, JMP, LOOK, MATCH, NORM, SAVE, SPLIT, TEST, Code
from ie_dsl.engine.phrases import PhraseNode, phrase_index
from ie_dsl.engine.predicates import Answers, predicate
from ie_dsl.engine.ruleindex import RuleIndex, index
from ie_dsl.language.lexicon import Lexicon
from ie_dsl.language.schema import NOTHING, Schema

MAX_UNROLL = 200  # largest {m,n} bound
MAX_CODE = 50_000  # instructions per rule


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to run: its code, what a window must contain, where a match may start."""

    rule: ir.RuleIR
    code: Code
    nslots: int
    clauses: tuple[frozenset[str], ...]  # each: at least one atom ("w:norm" / "t:TYPE") present
    first_words: frozenset[str] | None  # None: a match may start at any token
    first_types: frozenset[str]
    first_inside: frozenset[str]  # or a token inside an annotation of one of these types
    element_of: tuple[int, ...] = ()  # instruction -> index of the written element it belongs to
    follow: prefilter.Follow | None = None  # what must come right after the first element, if known
    # alternatives of clauses, one of which a window must hold (prefilter.options); () if
    # the pattern is no choice
    options: tuple[tuple[frozenset[str], ...], ...] = ()
    # per alternative, what must begin at increasing positions (prefilter.chains), or ()
    chains: tuple[prefilter.Chain, ...] = ()
    # per option of a first choice, where it begins and what it needs (prefilter.branches)
    branches: tuple[prefilter.Branch, ...] = ()
    # what the first token of a match must be (gates.entry), when the code begins with a
    # choice: checked at a start before searching; else None
    entry: Any = None


class Stating(NamedTuple):
    """The statement rules other than cues, by what wakes them (Program.stating, stage.idle):
    those always looked at (pair-indexed ones), by anchor word, by anchor type; and the
    clause bits of the types an entity rule makes (taken as present before they run). A
    rule's clauses are the statement stage's (RuleIndex.masks and .choices)."""

    checked: tuple[int, ...]
    by_word: dict[str, tuple[int, ...]]
    by_type: dict[str, tuple[int, ...]]
    made: frozenset[str]
    made_bits: int
    every_type: frozenset[str]  # every type a statement rule's clauses name, and its bits
    every_type_bits: int
    by_any_type: frozenset[int]  # checked, and every rule a type wakes (every type present)


@dataclass(frozen=True)
class Program:
    """Everything matching needs, immutable once built."""

    phrases: dict[str, PhraseNode]  # lexicon phrases compared by norm, as a token trie
    exact_phrases: dict[str, PhraseNode]  # case-sensitive phrases, by token text
    strata: tuple[tuple[CompiledRule, ...], ...]
    statements: tuple[CompiledRule, ...]
    stages: tuple[RuleIndex, ...]  # one per stratum, then the statement rules
    types: frozenset[str]
    used: frozenset[str]  # the types some rule matches (built-ins not used are not computed)
    schema: Schema = NOTHING  # what the rules declare: the passes after matching read it

    @property
    def anchors(self) -> dict[str, tuple[CompiledRule, ...]]:
        """Atom ("w:word" / "t:TYPE" / "p:HEAD word") -> the statement rules it wakes."""
        idx = self.stages[-1]
        out = {"w:" + w: tuple(idx.rules[k] for k in ks) for w, ks in idx.words.items()}
        out.update({"t:" + t: tuple(idx.rules[k] for k in ks) for t, ks in idx.types.items()})
        for (head, word), ks in idx.pairs.items():  # "p:ORG warns", "p:oil prices"
            name = f"p:{head if isinstance(head, str) else head[0]} {word}"
            out[name] = tuple(idx.rules[k] for k in ks)
        return out

    @cached_property
    def roles(self) -> dict[str, set[str]]:
        """Statement rule name -> the roles its `=>` names."""
        return {cr.rule.name: {role for role, _ in cr.rule.args} for cr in self.statements}

    @cached_property
    def starting_words(self) -> frozenset[str]:
        """Every word some rule of any stage may start on or is paired by: a document looks
        them all up in one pass (DocView.prefetch), not a pass per stage or rule."""
        out: set[str] = set()
        for stage in self.stages:
            out |= stage.pair_words
            for cr in stage.rules:
                out |= cr.first_words or frozenset()
        return frozenset(out)

    @cached_property
    def stating(self) -> Stating | None:
        """What a document needs for a statement (not a cue: cues only qualify statements)
        to be possible, whatever its entity strata find; None if a statement rule needs
        nothing, or if there are no strata (then the statement stage's own prefilter is as
        quick: `live`). See Stating."""
        idx = self.stages[-1]
        cue = self.schema.cue_type
        ks = {k for k, cr in enumerate(idx.rules) if cr.rule.output != cue}
        if not self.strata or any(not idx.masks[k] and idx.choices[k] is None for k in ks):
            return None
        made = {cr.rule.output for stratum in self.strata for cr in stratum}
        made_types = frozenset(t for t in idx.type_bits if t.split("[", 1)[0] in made)  # (THREAT[kind=x])
        paired = {k for ps in idx.pairs.values() for k in ps}
        return Stating(
            tuple(sorted(ks & (paired | set(idx.always)))),
            {w: tuple(sorted(ks.intersection(rs))) for w, rs in idx.words.items() if ks.intersection(rs)},
            {t: tuple(sorted(ks.intersection(rs))) for t, rs in idx.types.items() if ks.intersection(rs)},
            made_types,
            reduce(or_, (idx.type_bits[t] for t in made_types), 0),
            frozenset(idx.type_bits.keys() | idx.types.keys()),
            reduce(or_, idx.type_bits.values(), 0),
            frozenset(ks & (paired | set(idx.always) | {k for rs in idx.types.values() for k in rs})),
        )

    @property
    def always(self) -> tuple[CompiledRule, ...]:
        """Statement rules tried in every window (no anchor)."""
        idx = self.stages[-1]
        return tuple(idx.rules[k] for k in idx.always)


# ---- code generation ------------------------------------------------------------------


def _plain(node: ir.Node, backward: bool) -> ir.Node:
    """A look-around body: captures dropped (it is zero-width), reversed if `backward`."""
    match node:
        case ir.Seq():
            items = [_plain(i, backward) for i in node.items]
            return ir.Seq(tuple(reversed(items) if backward else items))
        case ir.Alt():
            return ir.Alt(tuple(_plain(o, backward) for o in node.options))
        case ir.Rep():
            return ir.Rep(_plain(node.item, backward), node.min, node.max, node.greedy, node.lazy)
        case ir.Cap():
            return _plain(node.item, backward)
        case ir.Tok() | ir.Ann() | ir.Look() | ir.Assert():  # a nested look-around keeps its own way
            return node
        case _:
            ir.unknown(node)


def _bounded(node: ir.Node) -> bool:
    """Does every match of `node` have at most some number of tokens? (A look-around's body
    is not taken: it is answered apart.)"""
    match node:
        case ir.Seq():
            return all(_bounded(i) for i in node.items)
        case ir.Alt():
            return all(_bounded(o) for o in node.options)
        case ir.Rep():
            return node.max is not None and _bounded(node.item)
        case ir.Cap():
            return _bounded(node.item)
        case ir.Tok() | ir.Ann() | ir.Look() | ir.Assert():
            return True
        case _:
            ir.unknown(node)


class _Gen:
    def __init__(self, rule: ir.RuleIR, errors: list[Diagnostic], shared: dict[Any, Any] | None = None):
        self.code: list[list[Any]] = []
        self.rule = rule
        self.errors = errors
        # what rules compiled together share, by IR: token tests and look-around bodies (a
        # grammar macro's look-around is then one body, answered once per window and
        # position for every rule that uses it)
        self.shared: dict[Any, Any] = {} if shared is None else shared
        self.answers: Answers = self.shared.setdefault(Answers, Answers())

    def add(self, *ins: Any) -> int:
        self.code.append(list(ins))
        if len(self.code) > MAX_CODE:
            raise _TooBig()
        return len(self.code) - 1

    def gen(self, node: ir.Node) -> None:
        match node:
            case ir.Tok(test=ir.TNorm(forms=forms)):
                self.add(NORM, forms)
            case ir.Tok(test=ir.TTrue()):  # `_` and the gaps `...`: no call per token
                self.add(ANY)
            case ir.Tok():
                test = self.shared.get(node.test)
                if test is None:
                    test = self.shared[node.test] = predicate(node.test, self.answers)
                self.add(TEST, test)
            case ir.Ann():
                self.add(ANN, node.type)
            case ir.Seq():
                for item in node.items:
                    self.gen(item)
            case ir.Alt():
                self.alt(node)
            case ir.Rep():
                self.rep(node)
            case ir.Cap():
                self.add(SAVE, 2 * node.slot)
                self.gen(node.item)
                self.add(SAVE, 2 * node.slot + 1)
            case ir.Look():
                self.look(node)
            case ir.Assert():
                self.add(ASSERT, node.at_start)
            case _:
                ir.unknown(node)

    def alt(self, node: ir.Alt) -> None:
        # Options that take no token all go on from the same place: the first that holds
        # is as good as any (mode longest would tie them), and the others need no check.
        ordered = all(prefilter.width(o) == (0, 0) for o in node.options)
        jumps = []
        for option in node.options[:-1]:
            split = self.add(SPLIT, 0, 0, ordered)
            self.code[split][1] = len(self.code)
            self.gen(option)
            jumps.append(self.add(JMP, 0))
            self.code[split][2] = len(self.code)
        self.gen(node.options[-1])
        for j in jumps:
            self.code[j][1] = len(self.code)

    def rep(self, node: ir.Rep) -> None:
        if max(node.min, node.max or 0) > MAX_UNROLL:
            self.errors.append(
                Diagnostic(
                    "E403",
                    f"repeat bound above {MAX_UNROLL} in rule {self.rule.name}",
                    self.rule.span,
                    "use * or + for long runs",
                )
            )
            return
        for _ in range(node.min):
            self.gen(node.item)
        lazy = node.lazy
        iterate, leave = (1, 2) if node.greedy else (2, 1)  # the SPLIT operand each branch goes in
        # An optional iteration that consumes nothing ends the repetition (Python's rule):
        # a body that can match nothing is emitted twice, as it runs before its first token
        # and after it, and only the second copy goes on to another iteration.
        body = self.sub(node.item) if ir.nullable(node.item) else None
        exits: list[tuple[int, int]] = []  # (instruction, operand) to point past the repeat
        if node.max is None:
            loop = self.add(SPLIT, 0, 0, lazy)
            self.code[loop][iterate] = len(self.code)
            if body is None:
                self.gen(node.item)
            else:
                exits.append((self.twice(body), 1))
            self.add(JMP, loop)
            exits.append((loop, leave))
        else:
            for _ in range(node.max - node.min):
                split = self.add(SPLIT, 0, 0, lazy)
                self.code[split][iterate] = len(self.code)
                exits.append((split, leave))
                if body is None:
                    self.gen(node.item)
                else:
                    exits.append((self.twice(body), 1))
        for at, operand in exits:
            self.code[at][operand] = len(self.code)

    def sub(self, node: ir.Node) -> list[list[Any]]:
        """`node`'s code on its own, jump targets relative to its first instruction."""
        sub = _Gen(self.rule, self.errors)
        sub.gen(node)
        return sub.code

    def twice(self, body: list[list[Any]]) -> int:
        """Emit a loop body as two copies: the first runs until the body consumes a token,
        then continues in the second at the next instruction. The first copy's end leaves the
        repetition (returned: the JMP to point past it); the second's falls through."""
        at = []  # where each instruction of the first copy lands
        k = len(self.code)
        for ins in body:
            at.append(k)
            k += 2 if ins[0] in _CONSUMING else 1
        at.append(k)  # the first copy's end: a JMP out of the repetition
        second = k + 1
        for i, ins in enumerate(body):
            self.add(*_retarget(ins, at.__getitem__))
            if ins[0] in _CONSUMING:
                self.add(JMP, second + i + 1)
        leave = self.add(JMP, 0)
        for ins in body:
            self.add(*_retarget(ins, second.__add__))
        return leave

    def look(self, node: ir.Look) -> None:
        # A look-around of bounded length is checked where it stands, walking its body away
        # from the position (a look-behind's body reversed); one of any length is answered
        # by an oracle that runs its body once over the whole window from the far side
        # (vm.oracle): a look-ahead's body reversed from the right, a look-behind's as
        # written from the left.
        bounded = _bounded(node.item)
        body = _plain(node.item, backward=node.ahead != bounded)
        key = ("look", body, node.ahead, bounded)
        code, gate, close = self.shared.get(key) or (None, None, ())
        if code is None:
            before = len(self.errors)
            sub = _Gen(self.rule, self.errors, self.shared)
            sub.gen(body)
            sub.add(MATCH)
            code = sub.freeze()
            # a bounded body is walked where it stands: its gate says at once, from the
            # token next to the position, that most positions cannot hold it
            gate = entry(code, self.answers) if bounded else None
            # and what it needs nearby (prefilter.near): most positions have none of it
            close = prefilter.near(body) if bounded else ()
            if len(self.errors) == before:  # (a body in error is reported for each rule)
                self.shared[key] = code, gate, close
        self.add(LOOK, code, node.ahead, node.negate, bounded, gate, close)

    def freeze(self) -> Code:
        return tuple(tuple(ins) for ins in self.code)


class _TooBig(Exception):
    pass


_CONSUMING = (NORM, TEST, ANY, ANN)


def _retarget(ins: list[Any], where: Callable[[int], int]) -> list[Any]:
    """A copy of an instruction with its jump targets moved by `where`."""
    if ins[0] == SPLIT:
        return [SPLIT, where(ins[1]), where(ins[2]), ins[3]]
    if ins[0] == JMP:
        return [JMP, where(ins[1])]
    return list(ins)


def compile_rule(
    rule: ir.RuleIR,
    errors: list[Diagnostic],
    mark_elements: bool = False,
    shared: dict[Any, Any] | None = None,
) -> CompiledRule | None:
    """One RuleIR -> CompiledRule (None if a limit was hit; the reason is in `errors`).

    `mark_elements` (for explanations) saves where each written element starts and the
    match ends in extra capture slots after the rule's own: 2*len(captures) + k. `shared`:
    a dict the rules of one program share (see _Gen), or None.
    """
    gen = _Gen(rule, errors, shared)
    before = len(errors)
    items = rule.pattern.items if isinstance(rule.pattern, ir.Seq) else (rule.pattern,)
    starts = []
    marks = 2 * len(rule.captures)
    try:
        for k, item in enumerate(items):
            if mark_elements:
                gen.add(SAVE, marks + k)
            starts.append(len(gen.code))
            gen.gen(item)
        if mark_elements:
            gen.add(SAVE, marks + len(items))
        gen.add(MATCH)
    except _TooBig:
        errors.append(
            Diagnostic(
                "E404",
                f"rule {rule.name} compiles to more than {MAX_CODE} instructions",
                rule.span,
                "lower the {m,n} bounds or split the rule",
            )
        )
        return None
    if len(errors) > before:
        return None
    words, types, inside, nullable = prefilter.first(rule.pattern)
    clauses = tuple(dict.fromkeys(prefilter.clauses(rule.pattern)))
    alts = prefilter.options(rule.pattern)
    code = gated(gen.freeze(), gen.answers)
    return CompiledRule(
        rule=rule,
        code=code,
        entry=gates.first(code),
        nslots=marks + (len(items) + 1 if mark_elements else 0),
        clauses=clauses,
        first_words=None if nullable else words,
        first_types=types,
        first_inside=inside,
        follow=prefilter.follow(rule.pattern),
        chains=prefilter.chains(rule.pattern),
        branches=prefilter.branches(rule.pattern),
        options=tuple(tuple(c for c in dict.fromkeys(conj) if c not in clauses) for conj in alts)
        if len(alts) > 1
        else (),
        element_of=tuple(
            bisect.bisect_right(starts, pc) - 1 if pc < len(gen.code) - 1 else len(items)
            for pc in range(len(gen.code))
        ),
    )


def _used_types(node: ir.Node) -> set[str]:
    """The annotation types a pattern matches on (as an element or inside a token test)."""
    match node:
        case ir.Ann():
            return {node.type}
        case ir.Tok():
            return _tested_types(node.test)
        case ir.Seq():
            return set().union(*(_used_types(p) for p in node.items))
        case ir.Alt():
            return set().union(*(_used_types(p) for p in node.options))
        case ir.Rep() | ir.Cap() | ir.Look():
            return _used_types(node.item)
        case ir.Assert():
            return set()
        case _:
            ir.unknown(node)


def _tested_types(test: ir.Test) -> set[str]:
    """The annotation types a token test asks the token to lie inside."""
    match test:
        case ir.TIn():
            return {test.type}
        case ir.TNot():
            return _tested_types(test.test)
        case ir.TAnd() | ir.TOr():
            return set().union(*(_tested_types(t) for t in test.tests))
        case ir.TNorm() | ir.TText() | ir.TRe() | ir.TClass() | ir.TTrue():
            return set()
        case _:
            ir.unknown(test)


def compile_program(
    strata: tuple[tuple[ir.RuleIR, ...], ...],
    statements: tuple[ir.RuleIR, ...],
    lexicons: Iterable[Lexicon],
    types: frozenset[str],
    schema: Schema = NOTHING,
) -> Program:
    """Compile every rule and the lexicons; `schema` (what the rules declare) rides along for
    the passes after matching. Raises IEDslError (E4xx) on limits."""
    lexicons = list(lexicons)
    errors: list[Diagnostic] = []
    shared: dict[Any, Any] = {}
    c_strata = tuple(
        tuple(c for c in (compile_rule(r, errors, shared=shared) for r in s) if c) for s in strata
    )
    c_statements = tuple(c for c in (compile_rule(r, errors, shared=shared) for r in statements) if c)
    if errors:
        raise IEDslError(errors)
    every = [cr for stratum in c_strata for cr in stratum] + list(c_statements)
    by_norm, by_text = phrase_index(lexicons)
    return Program(
        phrases=by_norm,
        exact_phrases=by_text,
        strata=c_strata,
        statements=c_statements,
        stages=tuple(index(rules) for rules in (*c_strata, c_statements)),
        types=types,
        used=frozenset().union(*(_used_types(cr.rule.pattern) for cr in every)),
        schema=schema,
    )
