"""Word tables, calendar arithmetic and the year/occurrence conventions behind ``ie_dsl.text.dates``.

Everything here is pure: dates in, dates out.  Intervals are half-open ``[start, end)``.  The
conventions (which Thursday, which June, which year for "November 28") are documented in
docs/dates.md; this module is the single place that implements them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "DAY",
    "Span",
    "add_months",
    "shift",
    "day_span",
    "month_span",
    "year_span",
    "week_span",
    "quarter_span",
    "decade_span",
    "part_of",
    "pick_weekday",
    "pick_month_year",
    "pick_quarter_year",
    "nearest_month_day",
    "pick_day_of_month",
    "pick_decade",
    "pick_weekend",
]

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Span:
    """A resolved expression: ``[start, end)``, both ``None`` when it is relative and there was no
    reference date; ``grain`` is the precision written, ``kind`` the expression type."""

    start: date | None
    end: date | None
    grain: str
    kind: str


# --------------------------------------------------------------------------------------------
# Words.

MONTHS: dict[str, int] = {}
for _m, _name in enumerate(calendar.month_name[1:], 1):
    MONTHS[_name.lower()] = _m
# Abbreviations, with and without the period the tokenizer keeps ("Jan." is one token).
for _abbr, _m in {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}.items():  # fmt: skip
    MONTHS[_abbr] = _m
    MONTHS[_abbr + "."] = _m
FULL_MONTHS = frozenset(name.lower() for name in calendar.month_name[1:])
# Month names that are also common English words: only months with a day, a year or a
# capitalized spelling after a date preposition ("in March", not "the march", not "May I").
WORD_MONTHS = frozenset({"may", "march"})

WEEKDAYS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.day_name)}
# Abbreviations that are not English words: accepted alone.
SAFE_WEEKDAY_ABBRS = {"tue": 1, "tues": 1, "thu": 3, "thur": 3, "thurs": 3, "fri": 4}
# Abbreviations that are words ("mon", "wed", "sat", "sun"): only with a period or a date after.
WEAK_WEEKDAY_ABBRS = {"mon": 0, "wed": 2, "sat": 5, "sun": 6}

_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
}  # fmt: skip
ORDINAL_WORDS = dict(
    _ORDINAL_UNITS,
    tenth=10, eleventh=11, twelfth=12, thirteenth=13, fourteenth=14, fifteenth=15,
    sixteenth=16, seventeenth=17, eighteenth=18, nineteenth=19, twentieth=20, thirtieth=30,
)  # fmt: skip
ORDINAL_UNITS = _ORDINAL_UNITS
CARDINAL_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
CARDINAL_SMALL = dict(
    CARDINAL_UNITS,
    ten=10, eleven=11, twelve=12, thirteen=13, fourteen=14, fifteen=15,
    sixteen=16, seventeen=17, eighteen=18, nineteen=19,
)  # fmt: skip
DAY_TENS = {"twenty": 20, "thirty": 30}
DECADE_WORDS = {
    "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
    "seventies": 70, "eighties": 80, "nineties": 90, "noughties": 0,
}  # fmt: skip

# Units of "the past N ...", "N ... ago": (grain, months, days) per unit.
UNITS: dict[str, tuple[str, int, int]] = {}
for _words, _unit in (
    (("day", "days"), ("day", 0, 1)),
    (("week", "weeks"), ("week", 0, 7)),
    (("fortnight", "fortnights"), ("week", 0, 14)),
    (("month", "months"), ("month", 1, 0)),
    (("quarter", "quarters", "qtr", "qtrs"), ("quarter", 3, 0)),
    (("year", "years", "yr", "yrs"), ("year", 12, 0)),
    (("decade", "decades"), ("decade", 120, 0)),
):
    for _w in _words:
        UNITS[_w] = _unit


# --------------------------------------------------------------------------------------------
# Arithmetic.


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, the day clamped to the month's length (Mar 31 - 1 = Feb 28)."""
    y, m0 = divmod(d.month - 1 + n, 12)
    y += d.year
    return date(y, m0 + 1, min(d.day, calendar.monthrange(y, m0 + 1)[1]))


def shift(d: date, n: int, unit: str) -> date:
    """``d`` moved by ``n`` units (a key of ``UNITS``); negative ``n`` goes back."""
    _grain, months, days = UNITS[unit]
    return add_months(d, n * months) + timedelta(days=n * days)


def day_span(d: date) -> tuple[date, date]:
    return d, d + DAY


def month_span(y: int, m: int) -> tuple[date, date]:
    start = date(y, m, 1)
    return start, add_months(start, 1)


def year_span(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y + 1, 1, 1)


def week_span(d: date) -> tuple[date, date]:
    """The Monday-to-Sunday week containing ``d``."""
    start = d - timedelta(days=d.weekday())
    return start, start + timedelta(days=7)


def quarter_span(y: int, q: int) -> tuple[date, date]:
    start = date(y, 3 * q - 2, 1)
    return start, add_months(start, 3)


def decade_span(y0: int) -> tuple[date, date]:
    return date(y0, 1, 1), date(y0 + 10, 1, 1)


# Parts of a period, as (start offset, end offset) in the period's sub-unit, and the grain of
# the part.  early / mid / late: thirds of a month (1-10, 11-20, 21-end) and of a year
# (Jan-Apr, May-Aug, Sep-Dec); a week is Mon-Wed / Tue-Fri / Fri-Sun.
_PARTS: dict[str, dict[str, tuple[int, int]]] = {
    "year": {"early": (0, 4), "mid": (4, 8), "late": (8, 12)},  # months
    "quarter": {"early": (0, 1), "mid": (1, 2), "late": (2, 3)},  # months
    "decade": {"early": (0, 4), "mid": (4, 7), "late": (7, 10)},  # years
    "week": {"early": (0, 3), "mid": (1, 5), "late": (4, 7)},  # days
    "month": {"early": (0, 10), "mid": (10, 20), "late": (20, 31)},  # days, end clamped
}
PART_GRAIN = {"year": "month", "quarter": "month", "decade": "year", "week": "day", "month": "day"}


def part_of(start: date, end: date, grain: str, part: str) -> tuple[date, date] | None:
    """The early / mid / late part of the period ``[start, end)`` of the given grain."""
    table = _PARTS.get(grain)
    if table is None:
        return None
    a, b = table[part]
    if grain in ("year", "quarter"):
        return add_months(start, a), add_months(start, b)
    if grain == "decade":
        return date(start.year + a, 1, 1), date(start.year + b, 1, 1)
    piece = start + timedelta(days=a), min(end, start + timedelta(days=b))
    return piece if piece[0] < piece[1] else None


# --------------------------------------------------------------------------------------------
# Which occurrence: the conventions.  ``prefer`` is "past" or "future".


def pick_weekday(ref: date, wd: int, prefer: str, strict: bool = False) -> date:
    """The weekday ``wd`` (0 = Monday) on or before ``ref`` ("past") or on or after it ("future");
    ``strict`` excludes ``ref`` itself ("this past Sunday", "this coming Friday")."""
    if prefer == "past":
        back = (ref.weekday() - wd) % 7 or (7 if strict else 0)
        return ref - timedelta(days=back)
    ahead = (wd - ref.weekday()) % 7 or (7 if strict else 0)
    return ref + timedelta(days=ahead)


def pick_month_year(ref: date, m: int, prefer: str) -> int:
    """Year of a month named without one: the latest such month that has begun ("past", so the
    current month counts) or the earliest one that has not ended ("future")."""
    if prefer == "past":
        return ref.year if m <= ref.month else ref.year - 1
    return ref.year if m >= ref.month else ref.year + 1


def pick_quarter_year(ref: date, q: int, prefer: str) -> int:
    """Year of a quarter named without one, by the same rule as months."""
    current = (ref.month - 1) // 3 + 1
    if prefer == "past":
        return ref.year if q <= current else ref.year - 1
    return ref.year if q >= current else ref.year + 1


def nearest_month_day(ref: date, m: int, d: int, wd: int | None = None) -> date | None:
    """A month and day written without a year: the occurrence nearest to ``ref`` (ties go to the
    past).  A weekday written with it ("Friday, July 18") picks, among the occurrences of the year
    before, the year of and the year after ``ref``, the nearest one falling on that weekday; if none
    does, the weekday is ignored.  ``None`` for impossible dates (February 30)."""
    cands = []
    for y in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cands.append(date(y, m, d))
        except ValueError:
            pass
    if wd is not None:
        cands = [c for c in cands if c.weekday() == wd] or cands
    if not cands:
        return None
    return min(cands, key=lambda c: (abs((c - ref).days), c > ref))


def pick_day_of_month(ref: date, d: int, prefer: str, wd: int | None = None) -> date | None:
    """A day of the month written alone ("on the 15th", "Tuesday the 19th"): the latest such day on
    or before ``ref`` ("past") or the earliest on or after it ("future"), on weekday ``wd`` if given."""
    step = -1 if prefer == "past" else 1
    for k in range(48):
        first = add_months(date(ref.year, ref.month, 1), step * k)
        try:
            cand = date(first.year, first.month, d)
        except ValueError:
            continue
        if (prefer == "past" and cand > ref) or (prefer != "past" and cand < ref):
            continue
        if wd is None or cand.weekday() == wd:
            return cand
    return None


def pick_decade(ref: date, yy: int, prefer: str) -> int:
    """First year of a decade written without its century ("the '70s", "the nineties"): the latest
    such decade that has begun ("past") or the earliest that has not ended ("future")."""
    y0 = ref.year // 100 * 100 + yy
    if prefer == "past":
        return y0 - 100 if y0 > ref.year else y0
    return y0 + 100 if y0 + 10 <= ref.year else y0


def pick_weekend(ref: date, prefer: str) -> tuple[date, date]:
    """ "The weekend": the latest Saturday-Sunday that has begun ("past") or the earliest that has
    not ended ("future")."""
    if prefer == "past":
        sat = ref - timedelta(days=(ref.weekday() - 5) % 7)
    else:
        sat = ref - timedelta(days=1) if ref.weekday() == 6 else ref + timedelta(days=(5 - ref.weekday()) % 7)
    return sat, sat + timedelta(days=2)
