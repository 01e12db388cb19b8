"""Claim words: statement arguments (topics, holders, places) in, normalized keys to compare
them by (content-word sets, `Holder`s and their groups, `Place`s) out. Which roles hold the
holder and which attributes name an organization or a country, the rule set declares
(`declare claims`, schema.Claims)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ie_dsl.language.schema import Claims

STOP = frozenset(
    "the a an of and or in into to for on at its their his her this these that those from by with as"
    " s is are was were be been has have had it they we he she which who whose than".split()
)
# Words of place names too vague to make two places the same (only used without canonicals).
_GEO = frozenset(
    "north south east west central northern southern eastern western region state country".split()
)
_IRREGULAR = {"crises": "crisis", "people": "person", "analyses": "analysis"}


def _singular(word: str) -> str:
    if word in _IRREGULAR or len(word) <= 3:
        return _IRREGULAR.get(word, word)
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _fold(word: str) -> str:
    """Fold -ism / -ist to one stem: terrorism, terrorist -> terror; extremism, extremist -> extrem."""
    return word[:-3] if len(word) > 6 and word.endswith(("ism", "ist")) else word


def content_words(text: str, drop: frozenset[str] = frozenset()) -> frozenset[str]:
    """Lower-cased, singular, -ism/-ist folded words of `text`, without stop words and `drop`
    (the words a rule set declares generic: `declare claims: generic_words = ...`)."""
    out = set()
    for raw in re.findall(r"[^\W_]+", text.lower()):
        if raw in STOP:
            continue
        word = _fold(_singular(raw))
        if word not in drop and raw not in drop:
            out.add(word)
    return frozenset(out)


def topic_words(arg: Any, generic: frozenset[str] = frozenset()) -> frozenset[str]:
    """Content words of a claim's topic argument: its text and its canonical name together,
    without the `generic` words (those that say nothing about WHICH topic it is)."""
    if isinstance(arg, dict):
        return content_words(f"{arg.get('text') or ''} {arg.get('canonical') or ''}", generic)
    return content_words(str(arg), generic) if isinstance(arg, str) else frozenset()


def _name_key(text: str) -> str:
    words = re.findall(r"[^\W_]+", text.lower())
    return " ".join(words[1:] if words[:1] == ["the"] and len(words) > 1 else words)


def _acronym(text: str) -> str | None:
    """Initials of the capitalized words, as the scorer reads them: CSTO for Collective Security..."""
    capitals = [w[0] for w in re.findall(r"\b[A-Z][\w-]*", text)]
    return "".join(capitals).lower() if len(capitals) >= 2 else None


@dataclass(frozen=True)
class Holder:
    """Who holds a claim: an organization (possibly a speaker's) or, failing that, a speaker.
    `kind` is the declared role it stands for (the organization role or the speaker role)."""

    kind: str
    name: str
    lexical: bool  # the name is a lexicon canonical (or attribute), not just the text
    org: bool = True  # an organization (its acronym names it too), not a person

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, _name_key(self.name)

    def match_keys(self) -> set[tuple[str, str]]:
        keys = {self.key}
        acronym = _acronym(self.name) if self.org else None
        if acronym:
            keys.add((self.kind, acronym))
        return keys


def _org(arg: dict[str, Any], cfg: Claims) -> Holder | None:
    attrs = arg.get("attrs") if isinstance(arg.get("attrs"), dict) else {}
    kind = cfg.organization or ""
    parent = attrs.get(cfg.parent) if cfg.parent else None
    if parent and arg.get("type") in (None, *cfg.organizations):  # a body of an organization
        return Holder(kind, str(parent), True)
    name = arg.get("canonical") or arg.get("text")
    return Holder(kind, str(name), bool(arg.get("canonical"))) if name else None


def holder_of(args: dict[str, Any], cfg: Claims) -> Holder | None:
    """The organization arg; else the speaker's organization (attrs); else the speaker
    (the roles and attributes `cfg` declares)."""
    org = args.get(cfg.organization) if cfg.organization else None
    if isinstance(org, dict) and (found := _org(org, cfg)):
        return found
    if isinstance(org, str) and org.strip():
        return Holder(cfg.organization or "", org.strip(), False)
    speaker = args.get(cfg.speaker) if cfg.speaker else None
    if not isinstance(speaker, dict):
        return None
    attrs = speaker.get("attrs") if isinstance(speaker.get("attrs"), dict) else {}
    for key in cfg.holder_attrs:
        value = attrs.get(key)
        if isinstance(value, dict):
            value = value.get("canonical") or value.get("text")
        if isinstance(value, str) and value.strip():
            return Holder(cfg.organization or "", value.strip(), True)
    if speaker.get("type") in cfg.organizations:
        return _org(speaker, cfg)
    name = speaker.get("canonical") or speaker.get("text")
    return Holder(cfg.speaker or "", str(name), bool(speaker.get("canonical")), org=False) if name else None


def holder_groups(holders: Iterable[Holder]) -> dict[tuple[str, str], tuple[str, str]]:
    """Holder key -> (kind, display name) of its group: names sharing a key or an acronym."""
    holders = list(holders)
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(k: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for h in holders:
        keys = sorted(h.match_keys())
        for k in keys[1:]:
            a, b = root(keys[0]), root(k)
            if a != b:
                parent[max(a, b)] = min(a, b)
    counts = Counter(h.key for h in holders)

    def rank(h: Holder) -> tuple:  # a lexicon name, then the most used, then the longest
        return h.lexical, counts[h.key], len(h.name), h.name

    best: dict[tuple[str, str], Holder] = {}
    for h in holders:
        if root(h.key) not in best or rank(h) > rank(best[root(h.key)]):
            best[root(h.key)] = h
    return {h.key: (best[root(h.key)].kind, best[root(h.key)].name) for h in holders}


@dataclass(frozen=True)
class Place:
    """A source or target: its names (canonical, text, country) and, as a fallback, its words."""

    names: frozenset[str]
    words: frozenset[str]
    lexical: bool
    labels: tuple[str, ...]

    def matches(self, other: Place) -> bool:
        if self.names & other.names:
            return True
        if self.lexical and other.lexical:
            return False
        return bool(self.words & other.words)

    def mentioned_in(self, sentence: str) -> bool:
        return any(_label_re(label).search(sentence) for label in self.labels)


@cache
def _label_re(label: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(label)}(?!\w)", re.I)


def place_of(arg: Any, country: str | None = None, generic: frozenset[str] = frozenset()) -> Place | None:
    """A source or target argument as a `Place` (None when missing or empty); `country`: the
    attribute naming the place's country, if any (its name counts as the place's); `generic`:
    words that never make two places the same, besides compass points and the like."""
    if isinstance(arg, str):
        arg = {"text": arg}
    if not isinstance(arg, dict):
        return None
    attrs = arg.get("attrs") if isinstance(arg.get("attrs"), dict) else {}
    labels = tuple(str(v) for v in (arg.get("canonical"), arg.get("text")) if v)
    names = {_name_key(v) for v in labels}
    if country and attrs.get(country):
        names.add(_name_key(str(attrs[country])))
    names.discard("")
    if not names:
        return None
    words = frozenset().union(*(content_words(v, generic | _GEO) for v in labels))
    return Place(frozenset(names), words, bool(arg.get("canonical")), labels)
