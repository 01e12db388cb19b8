"""Shared pieces of the DATE parsers (``ie_dsl.text.dates``): the sentence context, the word
classes that decide what a token can be, and the small readers for months, weekdays, days,
years and counts.  Conventions: docs/dates.md."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from ie_dsl.text.dates import calendar as cal
from ie_dsl.text.dates.calendar import DAY, Span
from ie_dsl.text.numbers import find_numbers

Match = tuple[int, Span]
"""What a parser returns: (end token, resolved span)."""

Ref = date | None | Callable[[], date | None]  # a reference date, or what gives it

YEAR_RE = re.compile(r"[12]\d{3}")
DAYNUM_RE = re.compile(r"\d{1,2}")
ORD_RE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")
Q_RE = re.compile(r"q([1-4])")
YQ_RE = re.compile(r"(\d{2}|\d{4})q([1-4])")
DOTTED_DMY_RE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
DOTTED_YMD_RE = re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})")
DECADE_RE = re.compile(r"(1\d\d0|20\d0)s")
SHORT_DECADE_RE = re.compile(r"(\d0)s")

# A bare year ("2023") is a date only after one of these words ("in 2023", "since 2021").
YEAR_CONTEXT = frozenset(
    (
        "in since during by until till through throughout from before after of for between around circa year"
    ).split()
)
# Bare "March", "May" (capitalized) and bare abbreviations ("Sept.") need one of these before them.
MONTH_CONTEXT = YEAR_CONTEXT | frozenset("early mid late last next this - end beginning start".split())
# A numeric day/month without a year ("4/22") needs one of these before it.
NUMERIC_CONTEXT = frozenset("on by from until till since before after through dated".split())
WEEKEND_CONTEXT = frozenset("on over at during this next last coming past".split())
# "Black Friday", "Good Friday", "Super Tuesday", "Bloody Sunday": holidays and names, not weekdays.
HOLIDAY_BEFORE = frozenset(
    (
        "black good super cyber ash maundy holy palm easter bloody whit shrove trinity white"
        " clean lazarus fat"
    ).split()
)
# "Sunday Times", "Sunday Telegraph": newspapers (only when capitalized).
NEWSPAPER_AFTER = frozenset(
    (
        "times telegraph express mirror herald post observer mail independent tribune star sport"
        " people journal"
    ).split()
)
# Words that may follow "on the 15th" (anything else, e.g. "on the 15th floor", is not a date).
NTH_FOLLOW = frozenset("at and or when before after as in".split())
REL_MODS = {"this": 0, "current": 0, "last": -1, "previous": -1, "next": 1, "coming": 1, "upcoming": 1}
PERIOD_UNITS = {
    "week": "week", "month": "month", "year": "year", "yr": "year",
    "quarter": "quarter", "qtr": "quarter", "decade": "decade",
}  # fmt: skip
PAST_MODS = frozenset({"past", "last", "previous"})
NEXT_MODS = frozenset({"next", "coming"})
QUARTER_ORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
PART_WORDS = {"early": "early", "mid": "mid", "middle": "mid", "late": "late"}
PART_OF_WORDS = {"beginning": "early", "start": "early", "middle": "mid", "end": "late"}
NUMBER_WORDS = frozenset(cal.CARDINAL_SMALL) | set(cal.DAY_TENS) | {"forty", "fifty", "sixty", "seventy"}
NUMBER_WORDS |= {"eighty", "ninety", "hundred", "dozen"}


class Ctx:
    """One sentence being scanned."""

    __slots__ = ("norms", "texts", "n", "_ref", "prefer")

    def __init__(self, norms: list[str], texts: list[str], ref: Ref, prefer: str) -> None:
        self.norms = norms
        self.texts = texts
        self.n = len(norms)
        self._ref = ref
        self.prefer = prefer

    @property
    def ref(self) -> date | None:
        """The reference date; a callable given for it is called once, when first needed (a
        document's date costs a scan of its first lines, and most sentences need none)."""
        if callable(self._ref):
            self._ref = self._ref()
        return self._ref

    def w(self, i: int) -> str:
        """The norm of token i, or "" outside the sentence."""
        return self.norms[i] if 0 <= i < self.n else ""

    def cap(self, i: int) -> bool:
        return 0 <= i < self.n and self.texts[i][:1].isupper()


def make_span(start: date, end: date, grain: str, kind: str) -> Span:
    return Span(start, end, grain, kind)


def unknown(grain: str, kind: str) -> Span:
    """A relative expression without a reference date."""
    return Span(None, None, grain, kind)


# --------------------------------------------------------------------------------------------
# Pieces: months, weekdays, days, years, counts.


def month_at(c: Ctx, i: int) -> tuple[int, int, str] | None:
    """(month, end, strength) at i; strength is "full", "word" (may, march) or "abbr"."""
    w = c.w(i)
    m = cal.MONTHS.get(w)
    if m is None:
        return None
    if w in cal.WORD_MONTHS:
        return m, i + 1, "word"
    return m, i + 1, "full" if w in cal.FULL_MONTHS else "abbr"


def bare_month_ok(c: Ctx, i: int, strength: str) -> bool:
    """May a month stand alone here ("June", "in March"; not "may", "May I", "March on", "Jan")?
    "March" and "May" need a capital and a date word before them, or to be a capitalized sentence
    fragment of their own ("March." as a heading); abbreviations need a date word before them."""
    if strength == "full":
        return True
    if strength == "word" and not c.cap(i):
        return False
    if strength == "word" and i == 0 and c.w(i + 1) in ("", "."):
        return True
    return c.w(i - 1) in MONTH_CONTEXT


def weekday_at(c: Ctx, i: int) -> tuple[int, int, bool] | None:
    """(weekday, end, weak) at i; weak abbreviations (mon, wed, sat, sun) need a period or a date."""
    w = c.w(i)
    if w in cal.WEEKDAYS:
        return cal.WEEKDAYS[w], i + 1, False
    if w in cal.SAFE_WEEKDAY_ABBRS:
        return cal.SAFE_WEEKDAY_ABBRS[w], i + 1, False
    if w in cal.WEAK_WEEKDAY_ABBRS:
        return cal.WEAK_WEEKDAY_ABBRS[w], i + 1, True
    return None


def day_at(c: Ctx, i: int, spelled: bool = False) -> tuple[int, int, str] | None:
    """(day, end, form) at i: form "digits" (14), "ordinal" (14th, fourteenth, twenty-first) or,
    when ``spelled``, "spelled" (twenty one)."""
    w = c.w(i)
    d, end, form = 0, i + 1, "ordinal"
    if DAYNUM_RE.fullmatch(w):
        d, form = int(w), "digits"
    elif (m := ORD_RE.fullmatch(w)) is not None:
        d = int(m.group(1))
    elif w in cal.ORDINAL_WORDS:
        d = cal.ORDINAL_WORDS[w]
    elif w in cal.DAY_TENS:
        d = cal.DAY_TENS[w]
        j = i + 2 if c.w(i + 1) == "-" else i + 1
        if c.w(j) in cal.ORDINAL_UNITS:
            d, end = d + cal.ORDINAL_UNITS[c.w(j)], j + 1
        elif spelled and c.w(j) in cal.CARDINAL_UNITS:
            d, end, form = d + cal.CARDINAL_UNITS[c.w(j)], j + 1, "spelled"
        elif spelled:
            form = "spelled"
        else:
            return None
    elif spelled and w in cal.CARDINAL_SMALL:
        d, form = cal.CARDINAL_SMALL[w], "spelled"
    else:
        return None
    return (d, end, form) if 1 <= d <= 31 else None


def year_at(c: Ctx, i: int) -> int | None:
    w = c.w(i)
    return int(w) if len(w) == 4 and YEAR_RE.fullmatch(w) else None


def count_at(c: Ctx, i: int) -> tuple[int, int] | None:
    """(n, end) for the count in "the past three years", "two days ago", "a few days ago"."""
    w = c.w(i)
    if w.isdigit() and len(w) <= 4:
        return (int(w), i + 1) if int(w) > 0 else None
    if w in ("a", "an"):
        if c.w(i + 1) == "few":
            return 3, i + 2
        if c.w(i + 1) == "couple":
            return 2, i + 3 if c.w(i + 2) == "of" else i + 2
        return 1, i + 1
    if w == "few":
        return 3, i + 1
    if w == "couple":
        return 2, i + 2 if c.w(i + 1) == "of" else i + 1
    if w in NUMBER_WORDS:
        found = find_numbers(c.norms[i : i + 8])
        if found and found[0][0] == 0 and isinstance(found[0][2], int) and found[0][2] > 0:
            return found[0][2], i + found[0][1]
    return None


# --------------------------------------------------------------------------------------------
# Calendar periods relative to the reference date.


def period(ref: date, grain: str, k: int) -> tuple[date, date]:
    """The period of ``grain`` containing ``ref``, moved by ``k`` periods."""
    if grain == "week":
        start, _ = cal.week_span(ref)
        start += timedelta(days=7 * k)
        return start, start + timedelta(days=7)
    if grain == "month":
        start = cal.add_months(date(ref.year, ref.month, 1), k)
        return start, cal.add_months(start, 1)
    if grain == "quarter":
        start = cal.add_months(date(ref.year, 3 * ((ref.month - 1) // 3) + 1, 1), 3 * k)
        return start, cal.add_months(start, 3)
    if grain == "decade":
        return cal.decade_span(ref.year // 10 * 10 + 10 * k)
    return cal.year_span(ref.year + k)


def rolling(ref: date, n: int, unit: str, past: bool) -> tuple[date, date]:
    """``n`` units ending at ``ref`` (exclusive), or starting the day after ``ref``."""
    if past:
        return cal.shift(ref, -n, unit), ref
    start = ref + DAY
    return start, cal.shift(start, n, unit)


def rel_year(c: Ctx, k: int) -> tuple[int | None, int] | None:
    """ "this year", "next year", "last year" at k: (year or None without a reference, end)."""
    if c.w(k) in ("this", "next", "last") and c.w(k + 1) in ("year", "yr"):
        off = REL_MODS[c.w(k)]
        return (None if c.ref is None else c.ref.year + off), k + 2
    return None


def two_digit_year(yy: int) -> int:
    return 2000 + yy if yy < 50 else 1900 + yy
