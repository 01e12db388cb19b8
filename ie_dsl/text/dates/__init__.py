"""The built-in DATE type: date expressions over a sentence's tokens, normalized against the
document date.

Input is a sentence's tokens as ``ie_dsl.text.segment.segment`` splits them, twice: their ``norm()`` forms
(for matching) and their original texts (for capitalization: "May" the month, "may" the verb).
Output is a list of non-overlapping ``(first_token, end_token_exclusive, DateValue)``, leftmost
then longest.  Each token is routed to the few parsers that can start with it (``_ROUTES``);
each parser is a small recursive-descent reader of a bounded number of tokens
(``dates_days``, ``dates_periods``); the longest match wins and the scan resumes after it, so
the cost is linear in the sentence.  Conventions and the supported expressions: docs/dates.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from ie_dsl.text.dates import calendar as cal
from ie_dsl.text.dates.calendar import DAY, Span
from ie_dsl.text.dates.days import (
    p_day_first,
    p_deictic,
    p_month_first,
    p_numeric,
    p_on_the_nth,
    p_rel_month,
    p_weekday,
    p_year,
)
from ie_dsl.text.dates.periods import p_ago, p_decade, p_part, p_past_n, p_quarter, p_rel_period
from ie_dsl.text.dates.tokens import (
    NUMBER_WORDS,
    PART_OF_WORDS,
    PART_WORDS,
    QUARTER_ORDS,
    REL_MODS,
    Ctx,
    Match,
    Ref,
    make_span,
)
from ie_dsl.text.segment import norm, tokenize

__all__ = ["DateValue", "find_dates", "find_document_date"]


@dataclass(frozen=True, slots=True)
class DateValue:
    """A normalized date expression.

    ``value`` is ISO 8601: a day ``2024-02-14``, a month ``2023-06``, a year ``2023``, or an
    interval ``2021-01-01/2024-01-01`` (start inclusive, end exclusive) for everything else
    (weeks, quarters, decades, parts of periods, "the past three years"); ``""`` when the
    expression is relative and there was no reference date.  ``start`` / ``end`` are the ISO
    dates of the interval (``end`` exclusive), ``None`` when unknown.  ``grain`` is the precision
    written: day, week, month, quarter, year or decade.  ``text_kind`` names the expression type
    ("weekday", "month-day", "relative-year", "interval-past", ...)."""

    value: str
    grain: str
    start: str | None
    end: str | None
    text_kind: str


def p_since(c: Ctx, i: int) -> Match | None:
    """since 2021, since last year, since March: from the start of the date to the reference."""
    if c.w(i) != "since":
        return None
    inner = _longest(c, i + 1, inner=True)
    if inner is None:
        return None
    end, span = inner
    if span.start is None or c.ref is None:
        return end, Span(span.start, None, span.grain, "interval-since")
    stop = c.ref if c.ref > span.start else span.end
    return end, make_span(span.start, stop, span.grain, "interval-since")


_Parser = Callable[[Ctx, int], "Match | None"]

# Which parsers can start at a token, by the token's norm (digit tokens: _DIGIT_ROUTE).
_ROUTES: dict[str, tuple[_Parser, ...]] = {}


def _route(words: Iterable[str], *parsers: _Parser) -> None:
    for w in words:
        _ROUTES[w] = _ROUTES.get(w, ()) + tuple(p for p in parsers if p not in _ROUTES.get(w, ()))


_route(cal.MONTHS, p_month_first)
_route([*cal.WEEKDAYS, *cal.SAFE_WEEKDAY_ABBRS, *cal.WEAK_WEEKDAY_ABBRS], p_weekday)
_route(["the"], p_deictic, p_rel_period, p_past_n, p_day_first, p_on_the_nth, p_quarter, p_decade, p_part)
_route(["yesterday", "today", "tomorrow", "day"], p_deictic)
_route(REL_MODS, p_rel_period, p_past_n, p_rel_month, p_weekday, p_quarter)
_route(["past"], p_rel_period, p_past_n, p_weekday)
_route(["weekend"], p_rel_period)
_route([*PART_WORDS, *PART_OF_WORDS, "earlier", "later"], p_part)
_route([*NUMBER_WORDS, "a", "an", "few", "couple"], p_ago, p_day_first)
_route([*cal.ORDINAL_WORDS, *QUARTER_ORDS, "final"], p_day_first, p_quarter)
_route(["q1", "q2", "q3", "q4"], p_quarter)
_route(["since"], p_since)
_DIGIT_ROUTE: tuple[_Parser, ...] = (p_ago, p_year, p_day_first, p_numeric, p_quarter, p_decade)


def _longest(c: Ctx, i: int, inner: bool = False) -> Match | None:
    """The longest match starting at token i (``inner``: not "since", inside "since ...")."""
    w = c.w(i)
    parsers = _DIGIT_ROUTE if w[:1].isdigit() else _ROUTES.get(w)
    if not parsers:
        return None
    best: Match | None = None
    for parser in parsers:
        if inner and parser is p_since:
            continue
        try:
            found = parser(c, i)
        except (ValueError, OverflowError):  # dates outside 1..9999 ("the past 5000 years")
            found = None
        if found is not None and found[0] > i and (best is None or found[0] > best[0]):
            best = found
    return best


def _value(span: Span) -> DateValue:
    start, end, grain = span.start, span.end, span.grain
    if start is None or end is None:
        return DateValue("", grain, None if start is None else start.isoformat(), None, span.kind)
    if grain == "day" and end - start == DAY:
        value = start.isoformat()
    elif grain == "month" and start.day == 1 and end == cal.add_months(start, 1):
        value = start.isoformat()[:7]
    elif grain == "year" and (start.month, start.day) == (1, 1) and end == date(start.year + 1, 1, 1):
        value = start.isoformat()[:4]
    else:
        value = f"{start.isoformat()}/{end.isoformat()}"
    return DateValue(value, grain, start.isoformat(), end.isoformat(), span.kind)


def find_dates(
    norms: list[str], texts: list[str], ref: Ref, *, prefer: str = "past"
) -> list[tuple[int, int, DateValue]]:
    """Given a sentence's tokens (norm() forms and original texts, as ie_dsl.text.segment.segment splits
    them) and the document date, return non-overlapping (first_token, end_token_exclusive,
    DateValue), leftmost-longest.

    ``prefer`` ("past", the default for news, or "future") decides which occurrence a weekday, a
    month, a quarter or a day of the month written alone refers to: the latest one on or before
    ``ref``, or the earliest one on or after it.  A month and day without a year ("November 28") is
    always the occurrence nearest to ``ref``; ``ref`` may be a function that gives the date,
    called only if a date found needs it.  See docs/dates.md."""
    if prefer not in ("past", "future"):
        raise ValueError(f"prefer must be 'past' or 'future', not {prefer!r}")
    if len(norms) != len(texts):
        raise ValueError("norms and texts must have the same length")
    c = Ctx(norms, texts, ref, prefer)
    out: list[tuple[int, int, DateValue]] = []
    routes = _ROUTES
    i = 0
    while i < c.n:
        w = norms[i]
        found = _longest(c, i) if w in routes or w[:1].isdigit() else None
        if found is None:
            i += 1
            continue
        end, span = found
        out.append((i, end, _value(span)))
        i = end
    return out


# "ISLAMABAD, Feb 14 (Reuters) -", "KABUL, Afghanistan, March 3 --": a place, a month, a day, then
# an agency in brackets or a dash.  (Datelines with a year are found by find_dates itself.)
_DATELINE_RE = re.compile(
    r"\s*[A-Z][A-Za-z .'\u2019-]*(?:,\s*[A-Za-z .'\u2019-]+)?,\s*"
    r"(?P<month>[A-Za-z]{3,9}\.?)\s+(?P<day>\d{1,2})\b\s*(?:\(|[-\u2013\u2014])"
)
_HEAD_LINES = 5
_DIGIT_RE = re.compile(r"\d")


def find_document_date(text: str, *, year: int | None = None) -> date | None:
    """A dateline or a date in the first lines: "ISLAMABAD, Feb 14 (Reuters) -", "February 14,
    2024", "2024-02-14", "14 February 2024".

    Looks at the first five non-empty lines, in order, for a full date with a year (a dated
    dateline counts, so does "Wednesday 14 February 2024").  A dateline without a year
    ("ISLAMABAD, Feb 14 (Reuters) -") is dated only with ``year`` (for example from the file's
    metadata): a month and a day do not tell the year.  ``None`` when nothing is found."""
    lines = [ln for ln in text[:4000].splitlines() if ln.strip()][:_HEAD_LINES]
    for line in lines:
        if not _DIGIT_RE.search(line):  # a whole date has a year, and a year is in digits
            continue
        toks = tokenize(line)
        texts = [line[s:e] for s, e in toks]
        for _a, _b, value in find_dates([norm(t) for t in texts], texts, None):
            # A period ("the week ended February 22") has grain day but is no one date.
            if value.grain == "day" and value.value and "/" not in value.value:
                return date.fromisoformat(value.value)
    if year is None:
        return None
    for line in lines:
        m = _DATELINE_RE.match(line)
        month = None if m is None else cal.MONTHS.get(m.group("month").lower())
        if m is None or month is None:
            continue
        try:
            return date(year, month, int(m.group("day")))
        except ValueError:
            return None
    return None
