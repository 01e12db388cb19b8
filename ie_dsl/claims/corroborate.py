"""Claim clusters: the same claim made in different documents, and the statements that dispute it.

`corroborate(statements, window_days=30, schema)` takes statements as `iedsl run --format
jsonl` writes them and returns `Cluster`s, biggest first. What a claim is, the rule set
declares (`declare families`, `declare claims`: schema.Claims): a cluster holds statements of
one family (declared families group statement types; any other type is its own) with the
same canonical holder, pairwise-compatible places (the declared source and target roles),
dates within the window, and topics (the declared topic role: `threats` in a cluster)
linked by shared content words (constrained single-link: see docs/corroboration.md).
Members of the minority polarity, denials (the declared denial types) by anyone and negative
claims by other holders become the cluster's contradictions. Without a schema nothing is
declared: each statement type is its own family (`iedsl corroborate` reads the shipped
pack's declarations unless `--rules` names others).
`ie_dsl.cli.corroborate.write_clusters` renders clusters as jsonl, json or a table, and
`report.Report.html(clusters=...)` as a section of the HTML report."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from ie_dsl.claims.claimlink import link
from ie_dsl.claims.claimwords import Holder, Place, holder_groups, holder_of, place_of, topic_words
from ie_dsl.language.schema import Claims, Schema

DEFAULT_WINDOW_DAYS = 30.0


class _Reading:
    """How one corroboration reads statements: the declared claims and the role order."""

    def __init__(self, schema: Schema) -> None:
        self.claims = schema.claims or Claims()
        self.role_key = schema.role_key
        places = (*self.claims.places, None, None)
        self.topic, self.source, self.target = self.claims.topic, places[0], places[1]

    def arg(self, args: dict[str, Any], role: str | None) -> Any:
        return args.get(role) if role else None


@dataclass
class Cluster:
    """One claim: who holds it, what it is about, where it was found, and who disputes it.

    `statements` and `contradictions` are evidence records (doc, type, polarity, holder,
    args as text, span, sentence, rule, and when/modality if present); a contradiction also
    has `kind` (opposite_polarity | denial | negative_claim) and `cluster` (the id of the
    cluster the disputing statement belongs to). `disputes` lists the ids of the clusters
    this cluster's statements contradict.
    """

    id: str
    family: str
    holder: str | None
    holder_kind: str | None
    holder_names: list[str]
    polarity: str
    stances: dict[str, int]
    threats: list[str]
    sources: list[str]
    targets: list[str]
    when: str | None
    docs: list[str]
    statements: list[dict[str, Any]]
    contradictions: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        """The number of distinct documents the claim was found in."""
        return len(self.docs)

    def to_json(self) -> dict[str, Any]:
        """The cluster as a JSON object: its fields in order, with `documents` before `docs`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "docs":
                out["documents"] = self.documents
            out[f.name] = getattr(self, f.name)
        return out


# ---- dates -------------------------------------------------------------------------------

_POINT = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.,]*(?:Z|[+-]\d{2}:?\d{2})?)?")


def _point(text: str) -> tuple[date, date] | None:
    """An ISO date of any grain (2024, 2024-02, 2024-02-14, a date-time) -> its first and last day."""
    m = _POINT.fullmatch(text.strip())
    try:
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
        if day:
            return date(year, month, day), date(year, month, day)
        if month:
            return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None


def parse_when(value: Any) -> tuple[date, date] | None:
    """A statement's `when` (an ISO 8601 date of any grain, or an interval `start/end`; of a
    dict, its `value`) -> (first day, last day); None when missing or unreadable."""
    if isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, str):
        return None
    ends = [_point(part) for part in value.split("/")]
    if not 1 <= len(ends) <= 2 or None in ends:
        return None
    first, last = ends[0][0], ends[-1][1]  # type: ignore[index]
    return (first, last) if first <= last else None


# ---- statements as comparable items ------------------------------------------------------


@dataclass
class _Item:
    key: tuple
    st: dict[str, Any]
    family: str
    holder: Holder | None
    threat: frozenset[str]
    source: Place | None
    target: Place | None
    when: tuple[date, date] | None


def _sort_key(st: dict[str, Any]) -> tuple:
    span = st.get("span") or {}
    rule = st.get("rule") or {}
    return (
        str(st.get("doc", "")),
        span.get("start", 0),
        span.get("end", 0),
        str(st.get("type", "")),
        str(rule.get("name", "")),
        json.dumps(st, sort_keys=True, ensure_ascii=False, default=str),
    )


def _item(st: dict[str, Any], r: _Reading) -> _Item:
    args = st.get("args") if isinstance(st.get("args"), dict) else {}
    country, generic = r.claims.country, r.claims.generic
    return _Item(
        key=_sort_key(st),
        st=st,
        family=r.claims.family(str(st.get("type", ""))),
        holder=holder_of(args, r.claims),
        threat=topic_words(r.arg(args, r.topic), generic),
        source=place_of(r.arg(args, r.source), country, generic),
        target=place_of(r.arg(args, r.target), country, generic),
        when=parse_when(st.get("when")),
    )


# ---- building clusters -------------------------------------------------------------------


def _text(arg: Any) -> str:
    if isinstance(arg, dict):
        return str(arg.get("canonical") or arg.get("text") or "")
    return str(arg) if arg else ""


def _args(st: dict[str, Any]) -> dict[str, Any]:
    return st["args"] if isinstance(st.get("args"), dict) else {}


def _polarity(st: dict[str, Any]) -> str:
    return str(st.get("polarity") or "positive")


def _evidence(it: _Item, r: _Reading, **first: str) -> dict[str, Any]:
    """Where a statement was found and what it says, for a cluster's lists."""
    st, args = it.st, _args(it.st)
    out: dict[str, Any] = {**first, "doc": st.get("doc"), "type": st.get("type"), "polarity": _polarity(st)}
    out.update((k, st[k]) for k in ("modality", "when") if k in st)
    out["holder"] = it.holder.name if it.holder else None
    out["args"] = {role: _text(args[role]) for role in sorted(args, key=r.role_key)}
    out.update((k, st.get(k)) for k in ("span", "sentence", "rule"))
    return out


def _ranked(values: Iterable[str]) -> list[str]:
    """Distinct non-empty values, case ignored, most frequent first (then by first appearance),
    each in its most frequent spelling (lower case on a tie)."""
    seen = [v for v in values if v]
    folded = [v.casefold() for v in seen]
    counts, spellings = Counter(folded), Counter(seen)
    best: dict[str, str] = {}
    for v, k in zip(seen, folded, strict=True):
        if k not in best or (spellings[v], v.islower()) > (spellings[best[k]], best[k].islower()):
            best[k] = v
    return [best[k] for k in sorted(counts, key=lambda k: (-counts[k], folded.index(k)))]


def _make(items: list[_Item], holder: tuple[str, str] | None, r: _Reading) -> tuple[Cluster, list[_Item]]:
    """A cluster from linked statements, and the members that carry its (majority) polarity."""
    items = sorted(items, key=lambda it: it.key)
    key = json.dumps([items[0].family, [it.key[:5] for it in items]], default=str)
    cid = "claim-" + hashlib.sha1(key.encode()).hexdigest()[:10]
    docs: dict[str, set[str]] = {}
    for it in items:
        docs.setdefault(_polarity(it.st), set()).add(str(it.st.get("doc")))
    count = Counter(_polarity(it.st) for it in items)
    polarity = min(docs, key=lambda p: (-len(docs[p]), -count[p], p != "positive", p))
    members = [it for it in items if _polarity(it.st) == polarity]
    spans = [it.when for it in members if it.when]
    args = [_args(it.st) for it in members]
    cluster = Cluster(
        id=cid,
        family=items[0].family,
        holder=holder[1] if holder else None,
        holder_kind=holder[0] if holder else None,
        holder_names=_ranked([it.holder.name for it in members if it.holder]),
        polarity=polarity,
        stances=dict(sorted(Counter(str(it.st.get("type")) for it in members).items())),
        threats=_ranked([_text(r.arg(a, r.topic)) for a in args]),
        sources=_ranked([_text(r.arg(a, r.source)) for a in args]),
        targets=_ranked([_text(r.arg(a, r.target)) for a in args]),
        when=f"{min(s for s, _ in spans)}/{max(e for _, e in spans)}" if spans else None,
        docs=sorted(docs[polarity]),
        statements=[_evidence(it, r) for it in members],
        contradictions=[
            _evidence(it, r, kind="opposite_polarity", cluster=cid)
            for it in items
            if _polarity(it.st) != polarity
        ],
    )
    return cluster, members


@dataclass
class _Claim:
    """What a positive claim cluster offers to the statements that might dispute it."""

    words: frozenset[str]
    sources: list[Place]
    targets: list[Place]
    first: date | None
    last: date | None

    @classmethod
    def of(cls, members: list[_Item]) -> _Claim:
        spans = [m.when for m in members if m.when]
        return cls(
            frozenset().union(*(m.threat for m in members)),
            [m.source for m in members if m.source],
            [m.target for m in members if m.target],
            min(s for s, _ in spans) if spans else None,
            max(e for _, e in spans) if spans else None,
        )

    def disputed_by(self, item: _Item, window: timedelta | None) -> bool:
        """Does `item` (a denial or a negative claim) dispute this claim?

        Its threat shares a word with the claim's (a threat of generic words only, "no
        threat", is about any threat, but then the claim must name a source); its source
        matches one of the claim's or, when it has none, its sentence names one; its target,
        if any, matches the claim's; its date is within the window of the claim's.
        """
        if not item.threat & self.words and (item.threat or not self.sources):
            return False
        if self.sources and item.source and not any(item.source.matches(s) for s in self.sources):
            return False
        sentence = str((item.st.get("sentence") or {}).get("text", ""))
        if self.sources and not item.source and not any(s.mentioned_in(sentence) for s in self.sources):
            return False
        if item.target and not all(item.target.matches(t) for t in self.targets):
            return False
        if window is None or not item.when or self.first is None or self.last is None:
            return True
        return item.when[0] - self.last <= window and self.first - item.when[1] <= window


def _link_disputes(built: list[tuple[Cluster, list[_Item]]], window: timedelta | None, r: _Reading) -> None:
    """Add to each positive claim the denials (anyone's) and negative claims (other holders',
    same family) that dispute it; candidates come from an index by topic word."""
    denials = r.claims.denials
    disputers = [
        (other, it, "denial" if other.family in denials else "negative_claim")
        for other, others in built
        if other.family in denials or other.polarity != "positive"
        for it in others
    ]
    by_word: dict[str, set[int]] = {}
    for n, (_c, it, _k) in enumerate(disputers):
        for w in it.threat or {""}:  # "": a generic threat, a candidate for every claim
            by_word.setdefault(w, set()).add(n)
    for claim, members in built:
        if claim.polarity != "positive" or claim.family in denials:
            continue
        target = _Claim.of(members)
        for n in sorted(set().union(*(by_word.get(w, ()) for w in {"", *target.words}))):
            other, it, kind = disputers[n]
            if other is claim or (
                kind == "negative_claim" and (other.holder == claim.holder or other.family != claim.family)
            ):
                continue
            if target.disputed_by(it, window):
                claim.contradictions.append(_evidence(it, r, kind=kind, cluster=other.id))
                other.disputes.append(claim.id)


def corroborate(
    statements: Iterable[dict[str, Any]],
    window_days: float | None = DEFAULT_WINDOW_DAYS,
    schema: Schema | None = None,
) -> list[Cluster]:
    """Group statements making the same claim into clusters; see the module docstring.

    `window_days`: members' dates (`when`) lie within this many days of each other (None:
    no window); a statement without a readable `when` is never held back by it. `schema`:
    what the rules that made the statements declare (`book.program.schema`; None: nothing
    declared, so each statement type is a family of its own, with no topic or places). The
    result does not depend on the order of `statements`; clusters come biggest
    first (distinct documents, then statements), then by holder and first statement.
    """
    r = _Reading(schema if schema is not None else Schema())
    window = None if window_days is None else timedelta(days=window_days)
    unique = {(it := _item(st, r)).key: it for st in statements if isinstance(st, dict)}  # twice is once
    items = [unique[k] for k in sorted(unique)]
    names = holder_groups(it.holder for it in items if it.holder)
    groups: dict[tuple, list[_Item]] = {}
    for n, it in enumerate(items):  # a statement with no holder is a group of its own
        groups.setdefault((it.family, names[it.holder.key]) if it.holder else (it.family, n), []).append(it)
    built = [
        _make(part, names[group[0].holder.key] if group[0].holder else None, r)
        for group in groups.values()
        for part in link(group, window)
    ]
    _link_disputes(built, window, r)
    for c, _m in built:
        c.disputes = sorted(set(c.disputes))
        c.contradictions.sort(key=lambda x: (x["kind"], str(x["doc"]), (x["span"] or {}).get("start", 0)))
    first = {c.id: _sort_key(m[0].st) for c, m in built}
    return sorted(
        (c for c, _m in built),
        key=lambda c: (-c.documents, -len(c.statements), c.holder is None, c.holder or "", first[c.id]),
    )
