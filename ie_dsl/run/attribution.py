"""Who holds a statement's stance, resolved across the whole document.

`attribute(view, statements, ...)` -> the statements, with the `speaker` and `organization`
arguments filled in those whose rule emits those roles, from what the document says elsewhere:

- people: every PERSON mention, with the title and the organization or state written
  around it ("Russian Foreign Minister Sergei Lavrov" -> Russia; "Andrey Serdyukov, chief
  of the Joint Staff of the CSTO" -> CSTO; "X of Russia who serves as CSTO chief" -> CSTO),
  or given by the lexicon entry's attrs (`org`, `title`);
- a speaker written as a surname ("Serdyukov said"), a pronoun ("He warned": the last
  person named before), a title ("The Foreign Minister": the person with that title, the
  nearest before, else after) or an organization's official ("The CSTO official");
- an organization: the speaker's, else the one the sentence is about (its first
  organization, group or state), else "the organization"/"the alliance" for the last one
  named.

A resolved argument is a mention in the document (the one it was resolved from), so
`text[start:end] == text` holds; `via` is the mention in the statement's own sentence that
pointed there. An organization known from a demonym ("Kazakh": Kazakhstan) is the
country's mention where the document has one, else the demonym with the country as its
canonical name. Which types are people, titles, organizations, places and demonyms, which
roles are filled and which attributes and words say what is what, the rule set declares
(`declare attribution`, schema.Attribution); a rule set that declares nothing is left as it is.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ie_dsl.language.attrfilter import base_type, predicate
from ie_dsl.language.schema import Attribution
from ie_dsl.run.statement import Arg, Statement, Via

APPOSITION = 18  # tokens after a name that may still describe it
REACH = 40  # tokens around a claim where its holder may be written


@dataclass
class _Person:
    canonical: str
    text: str
    start: int  # character offsets of the mention
    end: int
    token: int  # first token
    ann: Any = None  # the PERSON annotation
    titles: set[str] = field(default_factory=set)
    org: Arg | None = None  # an organization argument, ready to use

    @property
    def surname(self) -> str:
        return self.canonical.split()[-1]


class _People(list):  # type: ignore[type-arg]
    """The people of a document in order, indexed by the tokens of their names and by
    surname, so that looking one up does not cost a scan per token."""

    def __init__(self, people: list[_Person]):
        super().__init__(people)
        self.by_token: dict[int, _Person] = {}
        self.by_surname: dict[str, list[_Person]] = {}
        for p in people:
            for t in range(p.token, p.token + len(p.text.split())):
                self.by_token.setdefault(t, p)
            self.by_surname.setdefault(p.surname, []).append(p)


def _arg(view: Any, ann: Any) -> Arg:
    cs, ce = view.char_span(ann.start, ann.end)
    return Arg(view.text[cs:ce], ann.type, ann.canonical or None, start=cs, end=ce)


def _org_of(view: Any, anns: _Anns, ann: Any, cfg: Attribution) -> Arg:
    """An organization argument; a part of an organization speaks for the whole (the
    CSTO Joint Staff for the CSTO), a demonym for its country (Russian -> Russia)."""
    attrs = dict(ann.attrs)
    arg = _arg(view, ann)
    # a demonym speaks for its country, a part for its parent: where the document names
    # them, that mention; else this one, standing for them
    country = attrs.get(cfg.country) if cfg.country and ann.type in cfg.demonyms else None
    if country:
        return _mention(view, anns, None, country) or replace(arg, canonical=country)
    parent = attrs.get(cfg.parent) if cfg.parent else None
    return (_mention(view, anns, None, parent) if parent else None) or arg


class _Anns:
    """A document's annotations by type, in order of start, with the lookups attribution
    makes for every statement answered by bisection instead of a scan of the document."""

    def __init__(self, view: Any):
        by_type: dict[str, list[Any]] = {}
        for (t, _s, _e), ann in view.annotations.items():
            by_type.setdefault(t, []).append(ann)
        self.first: dict[tuple[str | None, str], Any] = {}  # (type or None, canonical) -> first
        for anns in by_type.values():
            anns.sort(key=lambda a: (a.start, -a.end))
            for a in anns:
                if a.canonical:
                    self.first.setdefault((a.type, a.canonical), a)
                    known = self.first.get((None, a.canonical))
                    if known is None or a.start < known.start:
                        self.first[(None, a.canonical)] = a
        self.by_type = by_type
        self._starts = {t: [a.start for a in anns] for t, anns in by_type.items()}
        self._longest = {t: max(a.end - a.start for a in anns) for t, anns in by_type.items()}

    def get(self, type_name: str) -> list[Any]:
        return self.by_type.get(type_name, [])

    def starting(self, types: tuple[str, ...], lo: int, hi: int) -> list[Any]:
        """Annotations of `types` (type by type, each in order) starting in tokens [lo, hi)."""
        out: list[Any] = []
        for t in types:
            starts = self._starts.get(t)
            if starts:
                out += self.by_type[t][bisect.bisect_left(starts, lo) : bisect.bisect_left(starts, hi)]
        return out

    def covering(self, type_name: str, i: int) -> list[Any]:
        """Annotations of `type_name` holding token `i`, in order."""
        starts = self._starts.get(type_name)
        if not starts:
            return []
        lo = bisect.bisect_left(starts, i - self._longest[type_name] + 1)
        return [a for a in self.by_type[type_name][lo : bisect.bisect_right(starts, i)] if i < a.end]

    def last_ending_by(self, types: tuple[str, ...], token: int) -> Any | None:
        """The annotation of `types` that starts last among those ending by `token`."""
        best = None
        for t in types:
            for a in reversed(self.starting((t,), 0, token)):
                if a.end <= token:
                    if best is None or a.start > best.start:
                        best = a
                    break
        return best


def _mention(view: Any, anns: _Anns, type_name: str | None, canonical: str) -> Arg | None:
    """The first mention in the document of `canonical` (any type if None)."""
    ann = anns.first.get((type_name, canonical))
    return None if ann is None else _arg(view, ann)


def _people(view: Any, anns: _Anns, cfg: Attribution) -> list[_Person]:
    people = []
    titles, orgs_t, places = (cfg.title,) if cfg.title else (), cfg.organizations, cfg.places
    for ann in anns.get(cfg.person):
        cs, ce = view.char_span(ann.start, ann.end)
        text = view.text[cs:ce]
        p = _Person(ann.canonical or text, text, cs, ce, ann.start, ann)
        attrs = dict(ann.attrs)
        sent = view.sentence_of(ann.start)
        near = max(sent.first_token, ann.start - 6 - max(anns._longest.values(), default=0))
        before = [
            a
            for a in anns.starting((*titles, *orgs_t, *places, *cfg.demonyms), near, ann.start)
            if a.end <= ann.start and ann.start - a.end <= 6
        ]
        after_end = min(sent.end_token, ann.end + APPOSITION)
        after = [
            a
            for a in anns.starting((*titles, *orgs_t, *places), ann.end, after_end)
            if a.end <= after_end and _apposed(view, ann.end, a.start)
        ]
        p.titles = {(a.canonical or "").lower() for a in before + after if a.type in titles}
        if cfg.person_title and attrs.get(cfg.person_title):
            p.titles.add(attrs[cfg.person_title].lower())
        orgs = [a for a in after if a.type in orgs_t] or [a for a in before if a.type in orgs_t]
        orgs = (
            orgs
            or [a for a in before if a.type in places or a.type in cfg.demonyms]
            or [a for a in after if a.type in places]
        )
        if orgs:
            p.org = _org_of(view, anns, orgs[0], cfg)
        elif cfg.person_org and attrs.get(cfg.person_org):  # from the lexicon, where the document names it
            p.org = _mention(view, anns, None, attrs[cfg.person_org])
        people.append(p)
    # what one mention says about a person holds for all of theirs
    same: dict[str, list[_Person]] = {}
    for p in people:
        same.setdefault(p.canonical, []).append(p)
    for group in same.values():
        titles = set().union(*(q.titles for q in group))
        org = next((q.org for q in group if q.org), None)
        for p in group:
            p.titles = titles
            p.org = p.org or org
    return _People(people)


def _mentions(view: Any, people: list[_Person], sentence: Any) -> Iterator[tuple[int, _Person]]:
    """(token, person) for every name or known surname in a sentence, in order (lazily:
    callers want the first, and a run-on sentence may be long)."""
    for i in range(sentence.first_token, sentence.end_token):
        named = people.by_token.get(i)
        if named is not None:
            if named.token == i:
                yield i, named
            continue
        known = people.by_surname.get(view.texts[i], [])
        if known:
            yield i, ([p for p in known if p.token < i] or known)[-1]


LOOK_BACK = 10  # sentences searched for whom a pronoun refers to


def _sentence_index(view: Any, token: int) -> int:
    return bisect.bisect_right(view._sentence_firsts, token) - 1


def _topic_before(view: Any, people: list[_Person], token: int) -> _Person | None:
    """Whom "he" or "she" refers to: the first person named in the nearest earlier sentence
    that names anyone (the subject, more often than the last name mentioned), among the
    last LOOK_BACK sentences."""
    sentences = view.seg.sentences
    index = _sentence_index(view, token)
    for k in range(index - 1, max(-1, index - 1 - LOOK_BACK), -1):
        found = next(_mentions(view, people, sentences[k]), None)
        if found is not None:
            return found[1]
    return None


def _apposed(view: Any, name_end: int, at: int) -> bool:
    """Is token `at` inside an apposition or a relative clause right after a name?"""
    first = view.norms[name_end] if name_end < len(view.norms) else ""
    if first not in (",", "of", "who", "(", "-"):
        return False
    stops = sum(1 for i in range(name_end + 1, at) if view.norms[i] == ",")
    return stops == 0 or (first == "," and stops == 0)


def _speaker_at(view: Any, people: list[_Person], anns: _Anns, i: int, cfg: Attribution) -> _Person | None:
    """The person token `i` refers to: a name, a surname, a pronoun or a title."""
    named = people.by_token.get(i)
    if named is not None:
        return named
    word = view.texts[i]
    known = people.by_surname.get(word, [])
    if known:
        before = [p for p in known if p.token < i]
        return (before or known)[-1]
    if view.norms[i] in cfg.pronouns:
        return _topic_before(view, people, i)
    for title in anns.covering(cfg.title, i) if cfg.title else ():
        named_next = people.by_token.get(title.end)
        if named_next is None or named_next.token != title.end:
            holders = [p for p in people if (title.canonical or "").lower() in p.titles]
            if not holders:  # "the CSTO official": someone who speaks for the CSTO
                org = next((a for t in cfg.organizations for a in anns.get(t) if a.end == title.start), None)
                holders = [p for p in people if org is not None and p.org and _same_org(p.org, org, cfg)]
            before = [p for p in holders if p.token < i]
            return (before[-1] if before else holders[0]) if holders else None
    return None


def _same_org(arg: Arg, ann: Any, cfg: Attribution) -> bool:
    names = {arg.canonical, arg.text}
    parent = dict(ann.attrs).get(cfg.parent) if cfg.parent else None
    return bool({ann.canonical, parent} & names - {None})


def _region(view: Any, st: Statement, claim: str | None) -> list[int]:
    """Tokens of the statement's sentence outside its claim (the argument of role `claim`),
    nearest to the claim first: before it right to left, then after it left to right."""
    sent = view.sentence_of(_token_at(view, st.sentence.start))
    threat = st.arg(claim) if claim else None
    if threat is None or threat.start is None or threat.end is None:
        return list(range(sent.first_token, min(sent.end_token, sent.first_token + REACH)))
    t0, t1 = _token_at(view, threat.start), _token_at(view, threat.end - 1) + 1
    # a holder is written near its claim; a run-on "sentence" must not cost its whole length
    first, last = max(sent.first_token, t0 - REACH), min(sent.end_token, t1 + REACH)
    return list(range(t0 - 1, first - 1, -1)) + list(range(t1, last))


def _token_at(view: Any, offset: int) -> int:
    return max(0, bisect.bisect_right(view.seg.starts, offset) - 1)


def _person_arg(view: Any, anns: _Anns, p: _Person, via: int | None, title: str | None) -> Arg:
    out = _arg(view, p.ann)  # as every argument: canonical where the annotation has one
    if via is not None and not (p.token <= via < p.token + len(p.text.split())):
        cs, ce = view.seg.starts[via], view.seg.ends[via]
        for t in anns.covering(title, via) if title else ():
            cs, ce = view.char_span(t.start, t.end)
        out = replace(out, via=Via(view.text[cs:ce], cs, ce))
    return out


def _speaks(place: Any, view: Any, cfg: Attribution) -> bool:
    """Can a place hold a stance? One the declared `states` filters keep (a country, or a
    capital for its government) can; a region, a valley or a dateline's capitals
    ("ISLAMABAD, PAKISTAN -") cannot."""
    attrs = dict(place.attrs)
    state = any(predicate(name)(attrs) for name in cfg.states if base_type(name) == place.type)
    return state and not view.texts[place.start].isupper()


def _subject_org(view: Any, anns: _Anns, st: Statement, cfg: Attribution) -> Arg | None:
    """The organization a sentence is about: its first organization, group or state (not a
    dateline, and not one the statement already names as the threat's source or target),
    or the last one named for "the organization"."""
    sent = view.sentence_of(_token_at(view, st.sentence.start))
    threat = st.arg(cfg.claim) if cfg.claim else None
    t0 = _token_at(view, threat.start) if threat and threat.start is not None else sent.end_token
    taken = [(a.start, a.end) for _role, a in st.args if a.start is not None and a.end is not None]
    states = tuple(dict.fromkeys(base_type(name) for name in cfg.states))
    found = anns.starting((*cfg.organizations, *states), sent.first_token, t0)
    found = [
        a
        for a in found
        if (a.type not in states or _speaks(a, view, cfg))
        and not any(s <= view.char_span(a.start, a.end)[0] < e for s, e in taken)
    ]
    if found:
        return _org_of(view, anns, min(found, key=lambda a: a.start), cfg)
    for i in range(max(sent.first_token, t0 - REACH), t0):
        if view.norms[i] in cfg.collectives and i > 0 and view.norms[i - 1] == "the":
            earlier = anns.last_ending_by(cfg.organizations, sent.first_token)
            if earlier is not None:
                return _org_of(view, anns, earlier, cfg)
    return None


QUOTES = frozenset('“"‘«')


def _named_next(view: Any, people: list[_Person], st: Statement) -> tuple[_Person | None, int | None]:
    """A quotation with no speaker of its own is often attributed in the next sentence
    ("“...” Serdyukov said this at a briefing"): its first person, if it names one."""
    sentences = view.seg.sentences
    here = _sentence_index(view, _token_at(view, st.sentence.start))
    if here + 1 >= len(sentences):
        return None, None
    found = next(_mentions(view, people, sentences[here + 1]), None)
    return (found[1], found[0]) if found else (None, None)


def attribute(
    view: Any,
    statements: list[Statement],
    roles: dict[str, set[str]],
    cfg: Attribution,
    role_key: Callable[[str], Any],
) -> list[Statement]:
    """The statements, with the speaker and organization roles `cfg` names filled in those
    whose rule emits them; `roles` maps a rule name to the roles its `=>` names; `role_key`
    sorts a statement's arguments (the declared role order)."""
    speaker, organization = cfg.speaker, cfg.organization
    wanted = [k for k, st in enumerate(statements) if roles.get(st.rule.name, set()) & cfg.roles]
    if not wanted:
        return statements
    anns = _Anns(view)
    people = _people(view, anns, cfg)
    out = list(statements)
    for k in wanted:
        st = statements[k]
        args = st.roles
        person = None
        held = args.get(speaker)
        if held is not None and held.start is not None:
            person = _speaker_at(view, people, anns, _token_at(view, held.start), cfg)
        via = None
        if person is None:
            for i in _region(view, st, cfg.claim):
                person = _speaker_at(view, people, anns, i, cfg)
                if person is not None:
                    via = i
                    break
        if person is None and st.sentence.text[:1] in QUOTES:
            person, via = _named_next(view, people, st)
        wants = roles[st.rule.name]
        if person is not None and speaker in wants:
            args[speaker] = _person_arg(view, anns, person, via, cfg.title)
        org = person.org if person is not None and person.org else None
        if org is None and organization is not None and organization not in args:
            org = _subject_org(view, anns, st, cfg)
        if org is not None and organization in wants:
            args[organization] = org
        out[k] = replace(st, args=tuple((r, args[r]) for r in sorted(args, key=role_key)))
    return out
