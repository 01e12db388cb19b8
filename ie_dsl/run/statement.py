"""A statement as a typed value, and its one serialised form.

`Statement` is what a run makes of one match: built here only (`make`, and `conjoined` for
each() roles; runtime calls them), changed by the passes only through `dataclasses.replace`
(a Statement is frozen), and turned into the output's dict by `to_dict`, which alone
decides the order of keys
(LANGUAGE.md section 5): doc, type, polarity, modality (once the cues pass gave one), the
rule's constant fields by name, when, args (in the rule's, or the declared role, order),
span, sentence, rule, and overridden_by (coverage's lost matches only).

`RuleBook.extract` returns `to_dict` of each; `RuleBook.statements` the typed values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from typing import Any

from ie_dsl.engine.compiler import CompiledRule
from ie_dsl.engine.conjuncts import MAX_STATEMENTS, conjuncts
from ie_dsl.language.attrfilter import base_type
from ie_dsl.text.view import DocView

Value = int | float | str | None  # NUMBER's number, MONEY's amount, DATE's ISO 8601 value


@dataclass(frozen=True, slots=True)
class Via:
    """The mention in a statement's own sentence that a resolved argument was found from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Arg:
    """A statement's argument: its text, with the annotation it is (if any): type,
    canonical name, attrs and value; character offsets into the document."""

    text: str
    type: str | None = None
    canonical: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    value: Value = None
    start: int | None = None
    end: int | None = None
    via: Via | None = None  # attribution: where the statement's sentence points to it


@dataclass(frozen=True, slots=True)
class When:
    """The DATE of the statement's sentence nearest to it: ISO 8601 value, its attrs (grain)."""

    value: Value
    attrs: tuple[tuple[str, str], ...]
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SentenceRef:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RuleRef:
    name: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of one document (offsets are characters of the document's text)."""

    doc: str
    type: str
    polarity: str
    fields: tuple[tuple[str, str], ...]  # the rule's other constant fields, by name
    args: tuple[tuple[str, Arg], ...]  # (role, argument), in output order
    span: Span
    sentence: SentenceRef
    rule: RuleRef
    modality: str | None = None  # set by the cues pass
    when: When | None = None  # set by the dates pass
    overridden_by: str | None = None  # a lost match (coverage): the rule that beat it

    def field(self, name: str) -> str | None:
        """The constant field `name` the rule gave, if any."""
        for key, value in self.fields:
            if key == name:
                return value
        return None

    def arg(self, role: str) -> Arg | None:
        """The argument of `role`, if the statement has one."""
        for key, value in self.args:
            if key == role:
                return value
        return None

    @property
    def roles(self) -> dict[str, Arg]:
        """The arguments by role, in output order."""
        return dict(self.args)

    def content(self) -> tuple[Any, ...]:
        """What makes two statements the same (dedupe): everything but their rule and
        sentence (a span fixes the sentence)."""
        return (
            self.doc,
            self.type,
            self.polarity,
            self.modality,
            self.fields,
            self.when,
            self.args,
            self.span,
            self.overridden_by,
        )

    def shifted(self, offset: int) -> Statement:
        """The statement with every character offset moved by `offset` (a piece of a long
        document -> the whole document): span, sentence, when, arguments and their via."""
        if not offset:
            return self
        when, sent = self.when, self.sentence
        return replace(
            self,
            span=Span(self.span.start + offset, self.span.end + offset),
            sentence=SentenceRef(sent.text, sent.start + offset, sent.end + offset),
            when=None if when is None else replace(when, start=when.start + offset, end=when.end + offset),
            args=tuple((role, _shifted(a, offset)) for role, a in self.args),
        )


def _shifted(a: Arg, offset: int) -> Arg:
    via = a.via
    return replace(
        a,
        start=None if a.start is None else a.start + offset,
        end=None if a.end is None else a.end + offset,
        via=None if via is None else Via(via.text, via.start + offset, via.end + offset),
    )


def tokens_arg(view: DocView, s: int, e: int, types: tuple[str, ...], base: bool = False) -> Arg:
    """The argument tokens [s, e) make: its text and offsets, and the first annotation of
    `types` on exactly those tokens, if any (as its type's base name if `base`)."""
    cs, ce = view.char_span(s, e)
    for t in types:
        ann = view.annotations.get((t, s, e))
        if ann is not None:
            return Arg(
                view.text[cs:ce], base_type(t) if base else t, ann.canonical, ann.attrs, ann.value, cs, ce
            )
    return Arg(view.text[cs:ce], start=cs, end=ce)


def make(view: DocView, cr: CompiledRule, s: int, e: int, caps: list[int]) -> Statement:
    """The statement of a match of `cr` on tokens [s, e) with capture slots `caps`: each
    role's argument is its last slot that took something."""
    r = cr.rule
    args = []
    for role, slots in r.args:
        for slot in reversed(slots):
            a, b = caps[2 * slot], caps[2 * slot + 1]
            if 0 <= a < b:
                args.append((role, tokens_arg(view, a, b, r.captures[slot].types)))
                break
    cs, ce = view.char_span(s, e)
    sent = view.sentence_of(s)
    fields = dict(r.fields)
    polarity = fields.pop("polarity", "positive")
    return Statement(
        view.doc_id,
        r.output,
        polarity,
        tuple(sorted(fields.items())),
        tuple(args),
        Span(cs, ce),
        SentenceRef(view.sentence_text(sent), sent.start, sent.end),
        RuleRef(r.name, r.file, r.line),
    )


def conjoined(view: DocView, cr: CompiledRule, st: Statement, caps: list[int]) -> list[Statement]:
    """The statements of a match whose rule has each() roles (engine/conjuncts): one per
    combination of their conjuncts (at most MAX_STATEMENTS), else the match's own."""
    roles = st.roles
    choices = [
        (role, [tokens_arg(view, a, b, types, base=True) for a, b in parts])
        for role, types, parts in conjuncts(view, cr.rule, roles, caps)
    ]
    if not choices:
        return [st]
    out = []
    for combination in product(*(found for _role, found in choices)):
        args = dict(roles)
        for (role, _found), a in zip(choices, combination, strict=True):
            args[role] = a
        out.append(replace(st, args=tuple(args.items())))
        if len(out) == MAX_STATEMENTS:
            break
    return out


def arg_dict(a: Arg) -> dict[str, Any]:
    """An argument's serialised form: text, type, canonical, attrs, value, start, end, via
    (each only if it has one)."""
    out: dict[str, Any] = {"text": a.text}
    if a.type is not None:
        out["type"] = a.type
    if a.canonical is not None:
        out["canonical"] = a.canonical
    if a.attrs:
        out["attrs"] = dict(a.attrs)
    if a.value is not None:
        out["value"] = a.value
    if a.start is not None:
        out["start"], out["end"] = a.start, a.end
    if a.via is not None:
        out["via"] = {"text": a.via.text, "start": a.via.start, "end": a.via.end}
    return out


def to_dict(st: Statement) -> dict[str, Any]:
    """The statement's serialised form, the one `extract` returns and every output format
    writes: the only place that decides the order of its keys."""
    out: dict[str, Any] = {"doc": st.doc, "type": st.type, "polarity": st.polarity}
    if st.modality is not None:
        out["modality"] = st.modality
    out.update(st.fields)
    if st.when is not None:
        w = st.when
        out["when"] = {"value": w.value, **dict(w.attrs), "text": w.text, "start": w.start, "end": w.end}
    out["args"] = {role: arg_dict(a) for role, a in st.args}
    out["span"] = {"start": st.span.start, "end": st.span.end}
    s = st.sentence
    out["sentence"] = {"text": s.text, "start": s.start, "end": s.end}
    out["rule"] = {"name": st.rule.name, "file": st.rule.file, "line": st.rule.line}
    if st.overridden_by is not None:
        out["overridden_by"] = st.overridden_by
    return out
