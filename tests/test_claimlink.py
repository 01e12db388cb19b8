"""claimlink.link gives exactly the clusters of the pair-by-pair definition, with far less work."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

import ie_dsl.claims.claimlink as claimlink
from ie_dsl.claims.claimlink import State, link
from ie_dsl.claims.claimwords import Place, place_of


@dataclass
class Item:
    n: int
    threat: frozenset[str]
    source: Place | None
    target: Place | None
    when: tuple[date, date] | None


def reference(items: list[Item], window: timedelta | None) -> list[list[int]]:
    """The definition, literally: every linked pair (i < j) sorted by (-overlap, -places both
    name, i, j), each joining its two clusters if the union stays consistent."""
    edges = []
    for i, a in enumerate(items):
        for j in range(i + 1, len(items)):
            b = items[j]
            if not a.threat & b.threat:
                continue
            if window is not None and a.when and b.when:
                early, late = sorted((a.when, b.when))
                if late[0] - early[1] > window:
                    continue
            if any(x and y and not x.matches(y) for x, y in ((a.source, b.source), (a.target, b.target))):
                continue
            overlap = len(a.threat & b.threat) / min(len(a.threat), len(b.threat))
            agree = (a.source is not None and b.source is not None) + (
                a.target is not None and b.target is not None
            )
            edges.append((-overlap, -agree, i, j))
    parent = list(range(len(items)))
    state = {i: State(it) for i, it in enumerate(items)}

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for _o, _a, i, j in sorted(edges):
        ri, rj = root(i), root(j)
        if ri != rj and (merged := state[ri].merged(state[rj], window)) is not None:
            parent[max(ri, rj)] = min(ri, rj)
            state[min(ri, rj)] = merged
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


PLACES = [
    None,
    place_of({"text": "Afghanistan", "canonical": "Afghanistan"}),
    place_of({"text": "Kunduz", "canonical": "Kunduz", "attrs": {"country": "Afghanistan"}}, "country"),
    place_of({"text": "Syria", "canonical": "Syria"}),
    place_of("northern Afghanistan"),  # no canonical: matched by its words
    place_of("Central Asia"),
]
WORDS = ["terror", "drug", "militia", "arms", "extrem"]
WINDOWS = [None, timedelta(days=30), timedelta(days=0), timedelta(days=-1)]


def random_item(r: random.Random, n: int) -> Item:
    threat = frozenset(w for w in WORDS[: r.randint(1, 5)] if r.random() < 0.5)
    day = date(2024, 1, 1) + timedelta(days=r.choice([0, 10, 25, 40, 70]))
    when = r.choice([None, (day, day), (day, day + timedelta(days=r.choice([0, 5, 60])))])
    return Item(n, threat, r.choice(PLACES), r.choice(PLACES), when)


def random_claims(seed: int) -> tuple[list[Item], timedelta | None]:
    """Up to 90 items, most of them repeating a few prototypes (as news repeats a claim), the
    rest random: merges are refused often, and copies of one claim can end up apart."""
    r = random.Random(seed)
    protos = [random_item(r, 0) for _ in range(r.randint(1, 8))]
    items = []
    for n in range(r.randint(1, 90)):
        p = r.choice(protos) if r.random() < 0.7 else random_item(r, n)
        items.append(Item(n, p.threat, p.source, p.target, p.when))
    return items, r.choice(WINDOWS)


@pytest.mark.parametrize("block", range(4))
def test_link_is_the_pairwise_definition(block):
    refused = 0
    real = State.merged

    def counting(self: State, other: State, window: timedelta | None) -> State | None:
        nonlocal refused
        got = real(self, other, window)
        refused += got is None
        return got

    State.merged = counting  # type: ignore[method-assign]
    try:
        for seed in range(block * 100, block * 100 + 100):
            items, window = random_claims(seed)
            got = [[it.n for it in group] for group in link(items, window)]
            assert got == reference(items, window), f"seed {seed}"
    finally:
        State.merged = real  # type: ignore[method-assign]
    assert refused > 100  # the cases do exercise refused merges, where order matters


def test_a_repeated_claim_costs_work_linear_in_its_copies(monkeypatch):
    """2,000 copies of one claim and 2,000 of another used to be 4 million pairs; now each
    copy is tried against a cluster a bounded number of times (counted, not timed)."""
    afghanistan, syria = PLACES[1], PLACES[3]
    day = (date(2024, 3, 1), date(2024, 3, 1))
    items = [Item(n, frozenset({"terror"}), afghanistan if n % 2 else syria, None, day) for n in range(4000)]
    calls = 0
    real = State.merged

    def counting(self: State, other: State, window: timedelta | None) -> State | None:
        nonlocal calls
        calls += 1
        return real(self, other, window)

    monkeypatch.setattr(claimlink.State, "merged", counting)
    groups = link(items, timedelta(days=30))
    assert sorted(len(g) for g in groups) == [2000, 2000]
    assert calls < 3 * len(items)
