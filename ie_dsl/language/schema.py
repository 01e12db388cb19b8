"""What a rule set declares about its statements: the passes after matching and what they read.

The engine knows no type, role or statement type of any rule set. What attribution, cues,
the output's role order and corroboration need to know (which type is a person, which role
is filled with the speaker, which statement type is a cue, ...) a rule set says in
`declare` statements (docs/language.md, "Declarations"):

    declare passes: attribution, cues, dates, dedupe
    declare roles: speaker, organization, threat
    declare cues:
        type = cue
        claim_role = threat

`build_schema(files)` reads the Declare nodes of every rule file (DSL `declare`, or YAML
`declare:`, which yamlrules reads into the same nodes) into a `Schema` (frozen, carried by
the compiled Program) and returns the problems found, located at the declaration
(E230-E233, E115, W230). A rule set that declares nothing gets `Schema()`: no
attribution, no cues, the passes `dates` and `dedupe`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import nodes as n
from ie_dsl.language.attrfilter import derived_name, parse_filter
from ie_dsl.source import SourceFile, SourceSpan

# The passes the engine has, in the order they run when a rule set does not list them.
PASSES = ("attribution", "cues", "dates", "dedupe")
# Passes that need a section of their own to know what to do.
CONFIGURED = ("attribution", "cues")
DEFAULT_MODALITY = "asserted"


@dataclass(frozen=True)
class Attribution:
    """What `attribution.attribute` reads: the roles it fills, the types it looks at."""

    person: str  # the type of people's names
    speaker: str | None = None  # the role filled with a person
    organization: str | None = None  # the role filled with an organization (or a state)
    claim: str | None = None  # the role holding what is claimed: its holder is written around it
    title: str | None = None  # the type of titles ("Foreign Minister")
    organizations: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # places a person may be of ("X of Russia")
    states: tuple[str, ...] = ()  # derived names (PLACE[kind=country]): places that may hold a stance
    demonyms: tuple[str, ...] = ()  # types that stand for a place ("Russian")
    country: str | None = None  # the attribute of a demonym naming its place
    parent: str | None = None  # the attribute of an organization naming the whole it is part of
    person_org: str | None = None  # a person's attribute naming their organization
    person_title: str | None = None  # a person's attribute naming their title
    pronouns: frozenset[str] = frozenset()  # words that refer to the last person named
    collectives: frozenset[str] = frozenset()  # "the alliance": the last organization named

    @property
    def roles(self) -> frozenset[str]:
        """The roles attribution fills."""
        return frozenset(r for r in (self.speaker, self.organization) if r)


@dataclass(frozen=True)
class Cues:
    """What `context.apply_context` reads: which statements are cues, and the modalities."""

    type: str  # the statement type of cues: applied to the statements around them, not output
    claim: str | None = None  # the role a cue's reach is measured from (else the match's start)
    modalities: tuple[str, ...] = (DEFAULT_MODALITY,)  # weakest first; the first is the default
    by_type: Mapping[str, str] = field(default_factory=dict)  # statement type -> its default modality


@dataclass(frozen=True)
class Claims:
    """What corroboration reads: families of statement types, denials, and the roles that
    say what a claim is about (`topic`), where (`places`: a source and a target) and whose."""

    families: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # family -> its types
    denials: frozenset[str] = frozenset()
    topic: str | None = None
    places: tuple[str, ...] = ()
    organization: str | None = None  # the role naming the holder
    speaker: str | None = None  # the role naming a person holding it
    holder_attrs: tuple[str, ...] = ()  # a speaker's attributes naming whom they speak for
    organizations: tuple[str, ...] = ()  # a speaker of these types is an organization
    parent: str | None = None  # the attribute naming the whole an organization is part of
    country: str | None = None  # the attribute naming a place's country
    generic: frozenset[str] = frozenset()  # topic words that say nothing about WHICH topic

    def family(self, kind: str) -> str:
        """The family of a statement type: the declared one holding it, else the type itself."""
        return next((name for name, types in self.families.items() if kind in types), kind)


@dataclass(frozen=True)
class Schema:
    """Everything a rule set declares; the defaults are what a rule set that declares
    nothing gets."""

    passes: tuple[str, ...] = ("dates", "dedupe")
    roles: tuple[str, ...] = ()  # argument order in every output; other roles follow by name
    attribution: Attribution | None = None
    cues: Cues | None = None
    claims: Claims | None = None

    @property
    def cue_type(self) -> str | None:
        """The statement type the cues pass consumes, if it runs."""
        return self.cues.type if self.cues is not None and "cues" in self.passes else None

    @property
    def types(self) -> frozenset[str]:
        """The types the declarations name (a filter's type for a filter)."""
        a, c = self.attribution, self.claims
        named = [*(c.organizations if c else ())]
        if a is not None:
            named += [a.person, *((a.title,) if a.title else ()), *a.organizations, *a.places, *a.demonyms]
            named += [name.split("[", 1)[0] for name in a.states]
        return frozenset(named)

    def role_key(self, role: str) -> tuple[int, str]:
        """Sort key of a role: declared roles in their order, then the others by name."""
        return (self.roles.index(role), role) if role in self.roles else (len(self.roles), role)


NOTHING = Schema()  # what a rule set that declares nothing gets


# ---- reading declarations ---------------------------------------------------------------

# What a value may be: a role (not UPPER-case), a statement type (any name), a TYPE, a
# TYPE[filter], or a word.
ROLE, NAME, TYPE, FILTER, WORD = "role", "name", "type", "filter", "word"
_ROLE_RE = re.compile(r"[^\W\d][\w'’-]*")
_TYPE_RE = re.compile(r"[A-Z][A-Z0-9_]*")
_FILTER_RE = re.compile(r"([A-Z][A-Z0-9_]*)\[(.*)\]", re.S)


@dataclass(frozen=True)
class _Key:
    kind: str
    many: bool = False
    required: bool = False


# section -> its keys; a section given as None is a plain list, a str is a mapping whose
# keys are free (statement types, families) and whose values are of that kind
_SECTIONS: dict[str, dict[str, _Key] | tuple[str, bool] | None] = {
    "passes": None,
    "roles": None,
    "attribution": {
        "person": _Key(TYPE, required=True),
        "person_role": _Key(ROLE),
        "org_role": _Key(ROLE),
        "claim_role": _Key(ROLE),
        "title": _Key(TYPE),
        "organizations": _Key(TYPE, many=True),
        "places": _Key(TYPE, many=True),
        "states": _Key(FILTER, many=True),
        "demonyms": _Key(TYPE, many=True),
        "country_attr": _Key(WORD),
        "parent_attr": _Key(WORD),
        "org_attr": _Key(WORD),
        "title_attr": _Key(WORD),
        "pronouns": _Key(WORD, many=True),
        "collectives": _Key(WORD, many=True),
    },
    "cues": {
        "type": _Key(NAME, required=True),
        "claim_role": _Key(ROLE),
        "modalities": _Key(WORD, many=True),
    },
    "modality": (WORD, False),  # statement type = its default modality
    "families": (NAME, True),  # family = its statement types
    "claims": {
        "topic_role": _Key(ROLE, required=True),
        "place_roles": _Key(ROLE, many=True),
        "denials": _Key(NAME, many=True),
        "org_role": _Key(ROLE),
        "person_role": _Key(ROLE),
        "holder_attrs": _Key(WORD, many=True),
        "organizations": _Key(TYPE, many=True),
        "parent_attr": _Key(WORD),
        "country_attr": _Key(WORD),
        "generic_words": _Key(WORD, many=True),
    },
}


def _suggest(name: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean {close[0]}?" if close else "known: " + ", ".join(choices)


class _Reader:
    def __init__(self, sources: Mapping[str, SourceFile], types: frozenset[str] | None) -> None:
        self.problems: list[Diagnostic] = []
        self.seen: dict[str, SourceSpan] = {}
        self.sources = sources
        self.types = types

    def known(self, type_name: str, span: SourceSpan) -> None:
        """W231 for a declared type that no lexicon, entity rule or built-in makes."""
        if self.types is not None and type_name not in self.types:
            self.problems.append(
                Diagnostic(
                    "W231",
                    f"nothing makes {type_name}: the passes will find none",
                    span,
                    _suggest(type_name, sorted(self.types)) if self.types else "no type is defined",
                    severity="warning",
                )
            )

    def where(self, span: SourceSpan) -> str:
        """file:line:col of a span, as diagnostics show it."""
        src = self.sources.get(span.file)
        if src is None:
            return span.file
        line, col = src.line_col(span.start)
        return f"{span.file}:{line}:{col}"

    def error(self, code: str, message: str, span: SourceSpan, hint: str) -> None:
        self.problems.append(Diagnostic(code, message, span, hint))

    def value(self, kind: str, text: str, span: SourceSpan) -> str | None:
        """A value checked for its kind; a filter in its canonical form (PLACE[kind=country])."""
        if kind == TYPE and not _TYPE_RE.fullmatch(text):
            self.error("E231", f"{text!r} is not a type name", span, "types are UPPER-case: PERSON")
            return None
        if kind == TYPE:
            self.known(text, span)
        if kind in (ROLE, NAME) and not _ROLE_RE.fullmatch(text):
            self.error("E231", f"{text!r} is not a name", span, "write a role or a statement type: speaker")
            return None
        if kind == ROLE and _TYPE_RE.fullmatch(text):
            self.error("E231", f"{text!r} is a type name, not a role", span, "roles are lower-case: speaker")
            return None
        if kind == FILTER:
            m = _FILTER_RE.fullmatch(text)
            if m is None:
                self.error(
                    "E231",
                    f"{text!r} is not a filtered type",
                    span,
                    'write TYPE[key=value]: PLACE[kind="country"]',
                )
                return None
            # the filter's offsets: past the type's name and `[` in the file (a YAML value
            # written in quotes is one further; the caret then falls one short)
            test, problems = parse_filter(m[2], span.file, lambda at: span.start + at, len(m[1]) + 1)
            self.problems.extend(problems)
            self.known(m[1], span)
            return derived_name(m[1], test) if test is not None else None
        return text

    def values(self, key: _Key, item: n.DeclareItem, where: str) -> tuple[str, ...] | None:
        if not key.many and len(item.values) != 1:
            self.error("E231", f"{where} takes one value, not {len(item.values)}", item.span, "give one")
            return None
        got = [self.value(key.kind, v, sp) for v, sp in zip(item.values, item.value_spans, strict=True)]
        return None if any(g is None for g in got) else tuple(g for g in got if g is not None)

    def section(self, decl: n.Declare) -> Any:
        """A section's content: a tuple (a list section), or a dict key -> values."""
        name = decl.section
        if name not in _SECTIONS:
            self.error("E230", f"unknown declaration {name!r}", decl.span, _suggest(name, _SECTIONS))
            return None
        if name in self.seen:
            self.error(
                "E232",
                f"{name} is declared twice",
                decl.span,
                f"first declared at {self.where(self.seen[name])}",
            )
            return None
        self.seen[name] = decl.span
        spec = _SECTIONS[name]
        if spec is None:  # a plain list
            if any(i.key is not None for i in decl.items):
                self.error(
                    "E231",
                    f"`declare {name}` is a list of names, not keys",
                    decl.span,
                    f"declare {name}: a, b",
                )
                return None
            # (no items: the YAML values were refused, E206)
            return self.values(_Key(ROLE, many=True), decl.items[0], name) if decl.items else None
        if any(i.key is None for i in decl.items):
            self.error(
                "E231", f"`declare {name}` takes `key = value` lines", decl.span, "one per line, indented"
            )
            return None
        out: dict[str, tuple[str, ...]] = {}
        for item in decl.items:
            key = item.key or ""
            if key in out:
                self.error("E232", f"{name}: {key} is declared twice", item.span, "keep one")
                continue
            if isinstance(spec, tuple):
                kind = _Key(spec[0], many=spec[1])
                got = self.value(NAME, key, item.span) and self.values(kind, item, f"{name} {key}")
            elif key not in spec:
                self.error("E231", f"unknown key {key!r} in `declare {name}`", item.span, _suggest(key, spec))
                continue
            else:
                got = self.values(spec[key], item, f"{name} {key}")
            if got is not None:
                out[key] = got
        if isinstance(spec, dict):
            for key, k in spec.items():
                if k.required and key not in out and not any(i.key == key for i in decl.items):
                    self.error(
                        "E231",
                        f"`declare {name}` needs `{key} = ...`",
                        decl.span,
                        f"add a line `{key} = ...`",
                    )
                    return None
        return out


def _one(values: dict[str, tuple[str, ...]], key: str) -> str | None:
    got = values.get(key)
    return got[0] if got else None


def build_schema(
    files: Iterable[n.RuleFile],
    sources: Mapping[str, SourceFile] | None = None,
    types: frozenset[str] | None = None,
) -> tuple[Schema, list[Diagnostic]]:
    """The Schema the declarations of `files` make, and the problems found in them
    (`sources`: the files' text, for where a section was first declared; `types`: the types
    the rule set defines, to warn of a declared type nothing makes)."""
    reader = _Reader(sources or {}, types)
    read: dict[str, Any] = {}
    decls: dict[str, n.Declare] = {}
    for f in files:
        for decl in f.declares:
            got = reader.section(decl)
            if got is not None:
                read[decl.section], decls[decl.section] = got, decl
    spans = {name: decl.span for name, decl in decls.items()}
    problems = reader.problems
    a, c, cl = read.get("attribution"), read.get("cues"), read.get("claims")
    attribution = None
    if a is not None and "person" in a:
        attribution = Attribution(
            person=a["person"][0],
            speaker=_one(a, "person_role"),
            organization=_one(a, "org_role"),
            claim=_one(a, "claim_role"),
            title=_one(a, "title"),
            organizations=a.get("organizations", ()),
            places=a.get("places", ()),
            states=a.get("states", ()),
            demonyms=a.get("demonyms", ()),
            country=_one(a, "country_attr"),
            parent=_one(a, "parent_attr"),
            person_org=_one(a, "org_attr"),
            person_title=_one(a, "title_attr"),
            pronouns=frozenset(w.lower() for w in a.get("pronouns", ())),
            collectives=frozenset(w.lower() for w in a.get("collectives", ())),
        )
    cues = None
    if c is not None and "type" in c:
        by_type = {k: v[0] for k, v in (read.get("modality") or {}).items()}
        cues = Cues(c["type"][0], _one(c, "claim_role"), c.get("modalities") or (DEFAULT_MODALITY,), by_type)
    elif "modality" in read:
        problems.append(
            Diagnostic(
                "W230",
                "`declare modality` does nothing without `declare cues`",
                spans["modality"],
                "declare the cue statement type: `declare cues:` then `type = cue`",
                severity="warning",
            )
        )
    claims = None
    if cl is not None and "topic_role" in cl:
        claims = Claims(
            families=dict(read.get("families") or {}),
            denials=frozenset(cl.get("denials", ())),
            topic=cl["topic_role"][0],
            places=cl.get("place_roles", ()),
            organization=_one(cl, "org_role"),
            speaker=_one(cl, "person_role"),
            holder_attrs=cl.get("holder_attrs", ()),
            organizations=cl.get("organizations", ()),
            parent=_one(cl, "parent_attr"),
            country=_one(cl, "country_attr"),
            generic=frozenset(w.lower() for w in cl.get("generic_words", ())),
        )
        if len(claims.places) > 2:
            problems.append(
                Diagnostic(
                    "E231",
                    "claims have at most two place roles (a source and a target)",
                    spans["claims"],
                    "keep two",
                )
            )
    sections = {"attribution": attribution, "cues": cues}
    if "passes" in read:
        passes = _passes(decls["passes"], sections, problems)
        for name, section in sections.items():
            if section is not None and name not in passes:
                problems.append(
                    Diagnostic(
                        "W230",
                        f"`declare {name}` does nothing: `declare passes` does not run {name}",
                        spans[name],
                        f"add {name} to `declare passes`, or drop the declaration",
                        severity="warning",
                    )
                )
    else:
        passes = tuple(p for p in PASSES if p not in CONFIGURED or sections.get(p) is not None)
    schema = Schema(passes, tuple(read.get("roles") or ()), attribution, cues, claims)
    return schema, problems


def _passes(decl: n.Declare, sections: dict[str, Any], problems: list[Diagnostic]) -> tuple[str, ...]:
    """The passes `declare passes` lists, those that cannot run left out (with an E233)."""
    out: list[str] = []
    item = decl.items[0]
    for name, span in zip(item.values, item.value_spans, strict=True):
        if name not in PASSES:
            problems.append(Diagnostic("E233", f"unknown pass {name!r}", span, _suggest(name, PASSES)))
        elif name in out:
            problems.append(Diagnostic("E233", f"pass {name} is listed twice", span, "list each pass once"))
        elif name in CONFIGURED and sections.get(name) is None:
            problems.append(
                Diagnostic(
                    "E233",
                    f"pass {name} needs `declare {name}`",
                    span,
                    f"say what it reads: docs/language.md, `declare {name}`",
                )
            )
        else:
            out.append(name)
    if "dedupe" in out and out[-1] != "dedupe":
        at = item.value_spans[item.values.index("dedupe")]
        problems.append(
            Diagnostic(
                "E233", "dedupe must be the last pass", at, "it compares the final statements, in order"
            )
        )
    return tuple(out)
