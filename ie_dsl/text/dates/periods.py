"""DATE parsers for periods: this week, last year, the past three years, two days ago, Q3 2023,
the third quarter, the 1990s, early July, mid-2023, the end of the month, earlier this month.

Each parser takes (ctx, i) and returns (end, Span) or None.  Conventions: docs/dates.md."""

from __future__ import annotations

from datetime import timedelta

from ie_dsl.text.dates import calendar as cal
from ie_dsl.text.dates.days import p_month_first
from ie_dsl.text.dates.tokens import (
    DECADE_RE,
    NEXT_MODS,
    PART_OF_WORDS,
    PART_WORDS,
    PAST_MODS,
    PERIOD_UNITS,
    Q_RE,
    QUARTER_ORDS,
    REL_MODS,
    SHORT_DECADE_RE,
    WEEKEND_CONTEXT,
    YQ_RE,
    Ctx,
    Match,
    count_at,
    make_span,
    period,
    rel_year,
    rolling,
    two_digit_year,
    unknown,
    year_at,
)


def p_rel_period(c: Ctx, i: int) -> Match | None:
    """this / last / next / past week, month, year, quarter, decade; weekends."""
    the = c.w(i) == "the"
    j = i + 1 if the else i
    mod = c.w(j)
    if mod == "weekend" and (the or c.w(i - 1) in WEEKEND_CONTEXT):
        if c.ref is None:
            return j + 1, unknown("week", "weekend")
        return j + 1, make_span(*cal.pick_weekend(c.ref, c.prefer), "week", "weekend")
    if mod == "this" and c.w(j + 1) in ("past", "coming") and c.w(j + 2) == "weekend":
        if c.ref is None:
            return j + 3, unknown("week", "weekend")
        prefer = "past" if c.w(j + 1) == "past" else "future"
        return j + 3, make_span(*cal.pick_weekend(c.ref, prefer), "week", "weekend")
    unit = c.w(j + 1)
    if mod == "past" or (the and mod == "last"):
        if unit not in cal.UNITS or unit.endswith("s"):
            return None
        grain = cal.UNITS[unit][0]
        if c.ref is None:
            return j + 2, unknown(grain, "interval-past")
        return j + 2, make_span(*rolling(c.ref, 1, unit, True), grain, "interval-past")
    if mod not in REL_MODS:
        return None
    if unit == "weekend":
        if c.ref is None:
            return j + 2, unknown("week", "weekend")
        start = cal.week_span(c.ref)[0] + timedelta(days=5 + 7 * REL_MODS[mod])
        return j + 2, make_span(start, start + timedelta(days=2), "week", "weekend")
    grain = PERIOD_UNITS.get(unit)
    if grain is None:
        return None
    if c.ref is None:
        return j + 2, unknown(grain, f"relative-{grain}")
    return j + 2, make_span(*period(c.ref, grain, REL_MODS[mod]), grain, f"relative-{grain}")


def p_past_n(c: Ctx, i: int) -> Match | None:
    """the past three years, the last five months, over the next 3 days."""
    j = i + 1 if c.w(i) == "the" else i
    mod = c.w(j)
    if mod not in PAST_MODS and mod not in NEXT_MODS:
        return None
    counted = count_at(c, j + 1)
    if counted is None or c.w(counted[1]) not in cal.UNITS:
        return None
    n, k = counted
    unit = c.w(k)
    grain = cal.UNITS[unit][0]
    kind = "interval-past" if mod in PAST_MODS else "interval-next"
    if c.ref is None:
        return k + 1, unknown(grain, kind)
    return k + 1, make_span(*rolling(c.ref, n, unit, mod in PAST_MODS), grain, kind)


def p_ago(c: Ctx, i: int) -> Match | None:
    """two days ago, a week ago, three months ago: the day that many units before the reference."""
    counted = count_at(c, i)
    if counted is None:
        return None
    n, k = counted
    if c.w(k) not in cal.UNITS or c.w(k + 1) != "ago":
        return None
    if c.ref is None:
        return k + 2, unknown("day", "ago")
    return k + 2, make_span(*cal.day_span(cal.shift(c.ref, -n, c.w(k))), "day", "ago")


def quarter_only_span(c: Ctx, q: int, y: int | None, end: int) -> Match:
    if y is None:
        if c.ref is None:
            return end, unknown("quarter", "quarter")
        y = cal.pick_quarter_year(c.ref, q, c.prefer)
    return end, make_span(*cal.quarter_span(y, q), "quarter", "quarter")


def p_quarter(c: Ctx, i: int) -> Match | None:
    """Q3 2023, 2016 Q3, 2018Q4, the third quarter [of 2016 / this year], third-quarter."""
    w = c.w(i)
    if (m := YQ_RE.fullmatch(w)) is not None:
        y = int(m.group(1))
        return quarter_only_span(c, int(m.group(2)), two_digit_year(y) if y < 100 else y, i + 1)
    if year_at(c, i) is not None and (m := Q_RE.fullmatch(c.w(i + 1))) is not None:
        return quarter_only_span(c, int(m.group(1)), year_at(c, i), i + 2)
    j = i + 1 if w == "the" else i
    if (m := Q_RE.fullmatch(c.w(j))) is not None:
        q, k = int(m.group(1)), j + 1
    else:
        q = QUARTER_ORDS.get(c.w(j), 4 if c.w(j) in ("final", "last", "fourth") else 0)
        k = j + 2 if c.w(j + 1) == "-" else j + 1
        if not q or c.w(k) not in ("quarter", "qtr"):
            return None
        k += 1
        if c.w(j) == "last" and c.w(k) != "of":
            return None  # "last quarter" is the previous quarter (p_rel_period)
    t = k + 1 if c.w(k) in ("of", ",") else k
    y = year_at(c, t)
    if y is not None:
        return quarter_only_span(c, q, y, t + 1)
    rel = rel_year(c, t)
    if rel is not None:
        ry, end = rel
        return (end, unknown("quarter", "quarter")) if ry is None else quarter_only_span(c, q, ry, end)
    return quarter_only_span(c, q, None, k)


def p_decade(c: Ctx, i: int) -> Match | None:
    """the 1990s, 1990s, the 1990's, the '90s, the nineties."""
    the = c.w(i) == "the"
    j = i + 1 if the else i
    w = c.w(j)
    if (m := DECADE_RE.fullmatch(w)) is not None:
        return j + 1, make_span(*cal.decade_span(int(m.group(1))), "decade", "decade")
    if the and len(w) == 4 and w.endswith("0") and year_at(c, j) is not None and c.w(j + 1) == "'s":
        return j + 2, make_span(*cal.decade_span(int(w)), "decade", "decade")
    if not the:
        return None
    if w == "'":
        j += 1
        w = c.w(j)
    end = j + 1
    if (m := SHORT_DECADE_RE.fullmatch(w)) is not None:
        yy = int(m.group(1))
    elif len(w) == 2 and w.endswith("0") and w.isdigit() and c.w(j + 1) == "'s":
        yy, end = int(w), j + 2
    elif w in cal.DECADE_WORDS and c.w(i + 1) != "'":
        yy = cal.DECADE_WORDS[w]
    else:
        return None
    if c.ref is None:
        return end, unknown("decade", "decade")
    return end, make_span(*cal.decade_span(cal.pick_decade(c.ref, yy, c.prefer)), "decade", "decade")


def period_target(c: Ctx, i: int) -> Match | None:
    """The period after "early", "end of", "earlier": a year, a month, a decade, a quarter,
    this/next/last week|month|year, the year, the month."""
    y = year_at(c, i)
    if y is not None:
        return i + 1, make_span(*cal.year_span(y), "year", "year")
    j = i + 1 if c.w(i) == "the" else i
    if c.w(j) in ("week", "month", "year", "quarter", "decade"):
        if c.ref is None:
            return j + 1, unknown(c.w(j), "relative")
        return j + 1, make_span(*period(c.ref, c.w(j), 0), c.w(j), "relative")
    for parser in (p_rel_period, p_decade, p_quarter):
        found = parser(c, i)
        if found is not None and found[1].kind not in ("interval-past", "weekend"):
            return found
    return p_month_first(c, i, bare_ok=True)


def p_part(c: Ctx, i: int) -> Match | None:
    """early July, mid-2023, late last year, the end of the month, the early 1990s, earlier
    this month, later this year."""
    j = i + 1 if c.w(i) == "the" else i
    w = c.w(j)
    if w in PART_OF_WORDS and c.w(j + 1) == "of":
        part, k = PART_OF_WORDS[w], j + 2
    elif w in PART_WORDS:
        part, k = PART_WORDS[w], j + 1
        if c.w(k) == "-":
            k += 1
        if c.w(k) == "in" and c.w(k + 1) == "the":  # "early in the year"
            k += 1
    elif w in ("earlier", "later"):
        part, k = w, j + 2 if c.w(j + 1) == "in" else j + 1
    else:
        return None
    target = period_target(c, k)
    if target is None:
        return None
    end, span = target
    if span.grain not in cal.PART_GRAIN:
        return None
    grain = cal.PART_GRAIN[span.grain]
    if part in ("earlier", "later"):
        if span.start is None or c.ref is None:
            return end, unknown(grain, f"{part}-in-period")
        if span.end is None or not span.start <= c.ref < span.end:
            return None
        start, stop = (span.start, c.ref) if part == "earlier" else (c.ref, span.end)
        if start >= stop:
            return None
        return end, make_span(start, stop, grain, f"{part}-in-period")
    if span.start is None or span.end is None:
        return end, unknown(grain, "part-of-period")
    piece = cal.part_of(span.start, span.end, span.grain, part)
    return None if piece is None else (end, make_span(*piece, grain, "part-of-period"))
