"""DATE parsers for days and months: yesterday, Thursday, next Friday, Wednesday, February 14,
November 28, 14 February 2024, June 2023, June, on the 15th, 2024-02-14, 14/02/2024, in 2023.

Each parser takes (ctx, i) and returns (end, Span) or None.  Conventions: docs/dates.md."""

from __future__ import annotations

from datetime import date, timedelta

from ie_dsl.text.dates import calendar as cal
from ie_dsl.text.dates.calendar import Span
from ie_dsl.text.dates.tokens import (
    DOTTED_DMY_RE,
    DOTTED_YMD_RE,
    HOLIDAY_BEFORE,
    NEWSPAPER_AFTER,
    NTH_FOLLOW,
    NUMERIC_CONTEXT,
    REL_MODS,
    YEAR_CONTEXT,
    Ctx,
    Match,
    bare_month_ok,
    day_at,
    make_span,
    month_at,
    rel_year,
    two_digit_year,
    unknown,
    weekday_at,
    year_at,
)


def p_deictic(c: Ctx, i: int) -> Match | None:
    """yesterday, today, tomorrow, the day before yesterday, the day after tomorrow."""
    offsets = {"yesterday": -1, "today": 0, "tomorrow": 1}
    w = c.w(i)
    end = i + 1
    if w in offsets:
        off = offsets[w]
    else:
        j = i + 1 if w == "the" else i
        if c.w(j) != "day":
            return None
        if (c.w(j + 1), c.w(j + 2)) == ("before", "yesterday"):
            off = -2
        elif (c.w(j + 1), c.w(j + 2)) == ("after", "tomorrow"):
            off = 2
        else:
            return None
        end = j + 3
    if c.ref is None:
        return end, unknown("day", "deictic-day")
    return end, make_span(*cal.day_span(c.ref + timedelta(days=off)), "day", "deictic-day")


def p_year(c: Ctx, i: int) -> Match | None:
    """in 2023, since 2021 (the word before is context, not part of the match)."""
    y = year_at(c, i)
    if y is None:
        return None
    if c.w(i - 1) not in YEAR_CONTEXT and not (c.w(i - 1) in ("and", "or", "to") and year_at(c, i - 2)):
        return None  # "in 2020 and 2021": the second year counts too
    return i + 1, make_span(*cal.year_span(y), "year", "year")


def month_day_span(c: Ctx, m: int, d: int, y: int | None, wd: int | None, kind: str) -> Span | None:
    """A month and day, with the year written or inferred (nearest occurrence to the reference)."""
    if y is not None:
        try:
            return make_span(*cal.day_span(date(y, m, d)), "day", kind)
        except ValueError:
            return None
    if c.ref is None:
        try:
            date(2000, m, d)  # still reject impossible days (2000 is a leap year)
        except ValueError:
            return None
        return unknown("day", kind)
    found = cal.nearest_month_day(c.ref, m, d, wd)
    return None if found is None else make_span(*cal.day_span(found), "day", kind)


def month_only_span(c: Ctx, m: int, y: int | None, kind: str) -> Span:
    if y is None:
        if c.ref is None:
            return unknown("month", kind)
        y = cal.pick_month_year(c.ref, m, c.prefer)
    return make_span(*cal.month_span(y, m), "month", kind)


def p_month_first(c: Ctx, i: int, wd: int | None = None, bare_ok: bool = False) -> Match | None:
    """February 14[, 2024]; Feb. 14; February the 15th; June 2023; June of next year; June."""
    got = month_at(c, i)
    if got is None:
        return None
    m, j, strength = got
    kind = "weekday-date" if wd is not None else "month-day"
    k = j + 1 if c.w(j) in ("-", "/", "the") else j
    day = day_at(c, k, spelled=c.cap(i) and c.w(j) != "the")
    if day is not None and not (c.w(j) in ("-", "/") and day[2] != "digits"):
        d, end, _form = day
        t = end + 1 if c.w(end) == "," else end
        y = year_at(c, t)
        if y is not None:
            end = t + 1
            wd = None  # a written year decides; a contradicting weekday is ignored
        elif c.w(end) == ",":
            trailing = weekday_at(c, end + 1)  # "Jul 18, Fri"
            if trailing is not None and wd is None:
                wd, end, kind = trailing[0], trailing[1], "weekday-date"
        span = month_day_span(c, m, d, y, wd, kind if y is None else "date")
        return None if span is None else (end, span)
    if wd is not None:
        return None
    t = j + 1 if c.w(j) in (",", "of") else j
    y = year_at(c, t)
    if y is not None:
        return t + 1, month_only_span(c, m, y, "month-year")
    rel = rel_year(c, t)
    if rel is not None:
        ry, end = rel
        if ry is None:
            return end, unknown("month", "month-year")
        return end, make_span(*cal.month_span(ry, m), "month", "month-year")
    if not bare_ok and not bare_month_ok(c, i, strength):
        return None
    return j, month_only_span(c, m, None, "month")


def p_day_first(c: Ctx, i: int, wd: int | None = None) -> Match | None:
    """14 February 2024, 15th february, the 1st of March, 4th of July, 31/Oct/1974."""
    the = c.w(i) == "the"
    j = i + 1 if the else i
    day = day_at(c, j)
    if day is None:
        return None
    d, k, form = day
    if form == "digits" and c.w(k) == ".":
        k += 1  # "16. Nov. 2016"
    sep = c.w(k)
    if sep in ("of", "/", "-"):
        if sep != "of" and form != "digits":
            return None
        k += 1
    elif c.w(j) in cal.ORDINAL_WORDS and not the:
        return None  # "second March": only "the second of March", "second of March"
    got = month_at(c, k)
    if got is None:
        return None
    m, end, strength = got
    t = end + 1 if c.w(end) in (",", "/", "-") else end
    y = year_at(c, t)
    if y is not None:
        end = t + 1
        wd = None
    elif strength == "word" and not c.cap(k) and sep != "of":
        return None  # "5 may": the verb
    kind = "date" if y is not None else ("weekday-date" if wd is not None else "month-day")
    span = month_day_span(c, m, d, y, wd, kind)
    return None if span is None else (end, span)


def p_rel_month(c: Ctx, i: int) -> Match | None:
    """this September, next March, last June."""
    mod = c.w(i)
    if mod not in ("this", "next", "last"):
        return None
    got = month_at(c, i + 1)
    if got is None or (got[2] == "word" and not c.cap(i + 1)):
        return None
    m, end, _strength = got
    if c.ref is None:
        return end, unknown("month", "relative-month")
    ref = c.ref
    if mod == "this":
        y = ref.year
    elif mod == "next":
        y = ref.year if m > ref.month else ref.year + 1
    else:
        y = ref.year if m < ref.month else ref.year - 1
    return end, make_span(*cal.month_span(y, m), "month", "relative-month")


def weekday_in_week(c: Ctx, wd: int, off: int, end: int) -> Match:
    if c.ref is None:
        return end, unknown("day", "weekday-in-week")
    day = cal.week_span(c.ref)[0] + timedelta(days=7 * off + wd)
    return end, make_span(*cal.day_span(day), "day", "weekday-in-week")


def p_weekday(c: Ctx, i: int) -> Match | None:
    """Thursday; on/this/next/last Friday; Wednesday, February 14; Tuesday the 19th; Friday
    next week; next week on Friday."""
    mod = c.w(i)
    if mod == "this" and c.w(i + 1) in ("coming", "past"):
        mod, j = c.w(i + 1), i + 2
    elif mod in ("this", "next", "last", "coming", "past"):
        j = i + 1
    else:
        mod, j = "", i
    got = weekday_at(c, j)
    if got is None:
        if mod in ("this", "next", "last") and c.w(i + 1) == "week":  # "next week on Friday"
            k = i + 3 if c.w(i + 2) in ("on", ",", "'s") else i + 2
            got = weekday_at(c, k)
            if got is not None and not got[2]:
                return weekday_in_week(c, got[0], REL_MODS[mod], got[1])
        return None
    wd, k, weak = got
    if c.w(j - 1) in HOLIDAY_BEFORE or (c.w(k) in NEWSPAPER_AFTER and c.cap(k)):
        return None
    if mod:
        if c.ref is None:
            return k, unknown("day", "weekday-relative")
        if mod in ("this", "next", "last"):
            day = cal.week_span(c.ref)[0] + timedelta(days=7 * REL_MODS[mod] + wd)
            return k, make_span(*cal.day_span(day), "day", "weekday-relative")
        prefer = "past" if mod == "past" else "future"
        return k, make_span(
            *cal.day_span(cal.pick_weekday(c.ref, wd, prefer, strict=True)), "day", "weekday-relative"
        )
    # Continuations: a date, a day of the month, a week.
    k1 = k + 1 if c.w(k) == "." and weak else k
    k1 = k1 + 1 if c.w(k1) == "," else k1
    best: Match | None = None
    for parser in (p_month_first, p_day_first):
        found = parser(c, k1, wd)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None:
        the = c.w(k1) == "the"
        day = day_at(c, k1 + 1 if the else k1, spelled=the)
        if day is not None and (the or day[2] == "ordinal") and month_at(c, day[1]) is None:
            if c.ref is None:
                best = day[1], unknown("day", "weekday-day")
            else:
                found_day = cal.pick_day_of_month(c.ref, day[0], c.prefer, wd)
                if found_day is not None:
                    best = day[1], make_span(*cal.day_span(found_day), "day", "weekday-day")
    if best is None:  # "Friday next week", "Friday of this week", "Sunday from last week"
        k2 = k + 1 if c.w(k) in ("of", "from") else k
        if c.w(k2) in ("this", "next", "last") and c.w(k2 + 1) == "week":
            best = weekday_in_week(c, wd, REL_MODS[c.w(k2)], k2 + 2)
    if best is not None:
        return best
    if weak and c.w(k) != ".":
        return None
    if c.ref is None:
        return k, unknown("day", "weekday")
    return k, make_span(*cal.day_span(cal.pick_weekday(c.ref, wd, c.prefer)), "day", "weekday")


def p_on_the_nth(c: Ctx, i: int) -> Match | None:
    """on the 15th (the day of the month alone; "on" is context)."""
    if c.w(i) != "the" or c.w(i - 1) != "on":
        return None
    day = day_at(c, i + 1)
    if day is None:
        return None
    d, end, _form = day
    follower = c.w(end)
    if follower[:1].isalnum() and follower not in NTH_FOLLOW:
        return None
    if c.ref is None:
        return end, unknown("day", "day-of-month")
    found = cal.pick_day_of_month(c.ref, d, c.prefer)
    return None if found is None else (end, make_span(*cal.day_span(found), "day", "day-of-month"))


def numeric_dmy(a: int, b: int, y: int, end: int, kind: str) -> Match | None:
    """Day and month from two numbers: the one above 12 is the day; if both are 12 or less the
    first is the month (US order, as both public specification suites read it)."""
    month, day = (b, a) if a > 12 else (a, b)
    try:
        return end, make_span(*cal.day_span(date(y, month, day)), "day", kind)
    except ValueError:
        return None


def p_numeric(c: Ctx, i: int) -> Match | None:
    """2024-02-14, 2015/08/12, 14/02/2024, 9-18-15, 13.5.2015, 2016-11, 11/2016, on 4/22."""
    w = c.w(i)
    if (m := DOTTED_DMY_RE.fullmatch(w)) is not None:
        return numeric_dmy(int(m.group(1)), int(m.group(2)), int(m.group(3)), i + 1, "numeric-date")
    if (m := DOTTED_YMD_RE.fullmatch(w)) is not None:
        return numeric_dmy(int(m.group(2)), int(m.group(3)), int(m.group(1)), i + 1, "iso-date")
    if not w.isdigit() or (c.w(i - 1) in ("/", "-") and c.w(i - 2).isdigit()):
        return None  # not inside another number sequence ("31/02/2024" is not "02/2024")
    sep, b = c.w(i + 1), c.w(i + 2)
    if sep not in ("-", "/") or not b.isdigit():
        return None
    if len(w) == 4 and len(b) <= 2:  # year first
        if c.w(i + 3) == sep and c.w(i + 4).isdigit() and len(c.w(i + 4)) <= 2:
            try:
                day = date(int(w), int(b), int(c.w(i + 4)))
            except ValueError:
                return None
            return i + 5, make_span(*cal.day_span(day), "day", "iso-date")
        if not 1 <= int(b) <= 12 or (sep == "-" and len(b) == 2 and int(b) == (int(w) + 1) % 100):
            return None  # "2010-11" is a season or fiscal year, not November 2010
        return i + 3, make_span(*cal.month_span(int(w), int(b)), "month", "numeric-month")
    if len(w) > 2:
        return None
    a = int(w)
    if len(b) == 4:  # month/year
        if not 1 <= a <= 12:
            return None
        return i + 3, make_span(*cal.month_span(int(b), a), "month", "numeric-month")
    if len(b) > 2:
        return None
    y = c.w(i + 4)
    if c.w(i + 3) == sep and y.isdigit() and len(y) in (2, 4):
        year = two_digit_year(int(y)) if len(y) == 2 else int(y)
        return numeric_dmy(a, int(b), year, i + 5, "numeric-date")
    if sep != "/" or c.w(i - 1) not in NUMERIC_CONTEXT or (a <= 12) == (int(b) <= 12):
        return None  # a day/month without a year: only unambiguous, after "on", "by", ...
    month, day_n = (int(b), a) if a > 12 else (a, int(b))
    span = month_day_span(c, month, day_n, None, None, "numeric-date")
    return None if span is None else (i + 3, span)
