"""Polarity and modality from cue rules, in the style of medspaCy's ConText.

Cues are ordinary rules whose statements have the type a rule set declares (`declare cues:`
`type = cue`, schema.Cues; see rules/context.ie). Their constant fields say what they do:

- `polarity="negative"` and/or `modality="possible"` (or alleged, hypothetical,
  question, ...): what a statement in the cue's scope takes;
- `direction="forward"` (default), `"backward"` or `"both"`, and `scope="6"` (tokens): how
  far the cue reaches from its own tokens, within its sentence;
- `terminate="yes"`: a terminator (but, however, ...) that stops other cues' scopes;
- `pseudo="yes"`: a phrase that looks like a cue and is not ("not only", "will not allow
  its soil to be used"); cues inside it do nothing.

`apply_context(view, statements, cues)` sets `polarity` and `modality` on every other
statement from the cues whose scope reaches the claim (from the statement's argument of the
declared `claim` role, else its start, to the end of its match), and drops the cue
statements. Every statement gets a modality: the strongest of its cues' (in the declared
order of `modalities`, weakest first; a modality not listed is stronger than all), else its
type's declared default (`declare modality`), else the first of `modalities`.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Any

from ie_dsl.language.schema import Cues
from ie_dsl.run.statement import Statement

DEFAULT_SCOPE = 6


def _rank(modality: str, strength: tuple[str, ...]) -> int:
    """When several cues reach a statement, the strongest modality wins; a rule may name
    a modality of its own: it ranks above the declared ones."""
    return strength.index(modality) if modality in strength else len(strength)


def _token(view: Any, offset: int) -> int:
    return max(0, bisect.bisect_right(view.seg.starts, offset) - 1)


class _Spans:
    """Token spans [a, b) sorted by start, for the spans near a token found by bisection."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = sorted(spans)
        self.starts = [a for a, _b in self.spans]
        self.ends = sorted(b for _a, b in spans)
        self.longest = max((b - a for a, b in spans), default=0)

    def first_start_in(self, lo: int, hi: int) -> int | None:
        """The smallest span start in (lo, hi), if any."""
        k = bisect.bisect_right(self.starts, lo)
        return self.starts[k] if k < len(self.starts) and self.starts[k] < hi else None

    def last_end_in(self, lo: int, hi: int) -> int | None:
        """The largest span end in [lo, hi], if any."""
        k = bisect.bisect_right(self.ends, hi) - 1
        return self.ends[k] if k >= 0 and self.ends[k] >= lo else None

    def holding(self, a: int, b: int) -> bool:
        """Does some span hold [a, b)?"""
        k = bisect.bisect_right(self.starts, a) - 1
        while k >= 0 and self.starts[k] >= a - self.longest:
            if b <= self.spans[k][1]:
                return True
            k -= 1
        return False


def _reach(view: Any, cue: Statement, stops: _Spans) -> tuple[int, int]:
    """Tokens [lo, hi) a cue covers: its own, plus `scope` tokens in its direction, within
    its sentence and not past a terminator."""
    first, last = _token(view, cue.span.start), _token(view, cue.span.end - 1)
    sent = view.sentence_of(first)
    scope, direction = cue.field("scope"), cue.field("direction")
    size = int(DEFAULT_SCOPE if scope is None else scope)
    direction = "forward" if direction is None else direction
    lo, hi = first, last + 1
    if direction in ("forward", "both"):
        hi = min(sent.end_token, hi + size)
        stop = stops.first_start_in(last, hi)
        hi = hi if stop is None else stop
    if direction in ("backward", "both"):
        lo = max(sent.first_token, lo - size)
        stop = stops.last_end_in(lo, first)
        lo = lo if stop is None else stop
    return lo, hi


def apply_context(
    view: Any, statements: list[Statement], cfg: Cues, applied: list[Statement] | None = None
) -> list[Statement]:
    """The statements without cues (statements of type `cfg.type`), each with `polarity`
    and `modality` from its cues; the cues themselves go to `applied` if given (coverage
    counts them)."""
    if not statements:
        return []
    cue_type, claim, strength = cfg.type, cfg.claim, cfg.modalities
    cues = [st for st in statements if st.type == cue_type]
    if applied is not None:
        applied.extend(cues)
    rest = [st for st in statements if st.type != cue_type]
    spans = [(_token(view, c.span.start), _token(view, c.span.end - 1) + 1) for c in cues]
    pseudo = _Spans([sp for c, sp in zip(cues, spans, strict=True) if c.field("pseudo") == "yes"])
    stops = _Spans([sp for c, sp in zip(cues, spans, strict=True) if c.field("terminate") == "yes"])
    active = [
        (c, _reach(view, c, stops))
        for c, (a, b) in zip(cues, spans, strict=True)
        if c.field("pseudo") != "yes" and c.field("terminate") != "yes" and not pseudo.holding(a, b)
    ]
    reaches = _Spans([reach for _c, reach in active])
    order = sorted(range(len(active)), key=lambda k: active[k][1])  # reaches' order, as in _Spans
    out = []
    for st in rest:
        # the claim: from its claim argument (not the speaker before it) to the end of the match
        threat = st.arg(claim) if claim else None
        first = _token(view, threat.start if threat and threat.start is not None else st.span.start)
        last = _token(view, st.span.end - 1) + 1
        modality = cfg.by_type.get(st.type, strength[0])
        polarity = st.polarity
        # the cues reaching into [first, last), applied in the order they were found
        k = bisect.bisect_left(reaches.starts, last) - 1
        near = []
        while k >= 0 and reaches.starts[k] >= first - reaches.longest:
            if reaches.spans[k][1] > first:
                near.append(order[k])
            k -= 1
        for cue, _reach_span in (active[i] for i in sorted(near)):
            if cue.polarity:
                polarity = cue.polarity
            cued = cue.field("modality")
            if cued and _rank(cued, strength) > _rank(modality, strength):
                modality = cued
        # a rule's own `modality` field is the statement's modality now (to_dict puts it
        # right after polarity)
        fields = tuple(f for f in st.fields if f[0] != "modality")
        out.append(replace(st, polarity=polarity, modality=modality, fields=fields))
    return out
