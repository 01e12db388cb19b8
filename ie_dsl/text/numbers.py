"""The built-in NUMBER type: number expressions over norm()-ed sentence tokens.

Input is the list of ``norm()`` forms of one sentence's tokens exactly as ``segment()`` splits
them (so "twenty-five" arrives as ``["twenty", "-", "five"]`` and "6,500" as ``["6,500"]``).
Output is a list of non-overlapping ``(first_token, end_token_exclusive, value)`` triples,
leftmost-longest.  Everything is a dict/set lookup per token; parsing from one start position
only moves forward, and a successful parse resumes after its end, so the scan is linear.
See docs/segmentation.md for the recognised expressions.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext

__all__ = ["NUMBER_WORDS", "exact_arithmetic", "find_numbers", "number_at", "plain"]

# Digit tokens: plain, thousands-separated, or decimal.  "2nd", "1.2.3" and "1,2" are not numbers.
_DIGITS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
# Words below 100 that cannot take a following unit ("zero", "ten" .. "nineteen").
_SMALL = dict(
    _UNITS,
    zero=0, ten=10, eleven=11, twelve=12, thirteen=13, fourteen=14, fifteen=15,
    sixteen=16, seventeen=17, eighteen=18, nineteen=19,
)
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
# Scale words, including the newswire abbreviations "mln", "bln", "trn".
_SCALES = {
    "thousand": 10**3, "million": 10**6, "mln": 10**6,
    "billion": 10**9, "bln": 10**9, "trillion": 10**12, "trn": 10**12,
}
# The words a number expression can begin with (besides digits and "a"/"an").
NUMBER_WORDS = frozenset(_SMALL) | frozenset(_TENS) | frozenset(_SCALES) | {"hundred", "dozen"}
# Exact arithmetic: the default 28-digit context would round long digit strings.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_ARTICLES = frozenset({"a", "an"})
# Words that let "a"/"an" stand for 1: "a hundred", "a million", "a dozen".
_AFTER_ARTICLE = frozenset(_SCALES) | {"hundred", "dozen"}


def _below_100(norms: list[str], j: int, n: int) -> tuple[int, int] | None:
    """Parse a 1..99 word number at j ("seven", "fifteen", "forty", "forty-two", "forty two").
    Returns (end, value) or None."""
    word = norms[j]
    if word in _SMALL:
        return j + 1, _SMALL[word]
    if word not in _TENS:
        return None
    value = _TENS[word]
    if j + 1 < n and norms[j + 1] in _UNITS:
        return j + 2, value + _UNITS[norms[j + 1]]
    if j + 2 < n and norms[j + 1] == "-" and norms[j + 2] in _UNITS:
        return j + 3, value + _UNITS[norms[j + 2]]
    return j + 1, value


def _group(norms: list[str], j: int, n: int, digits_ok: bool) -> tuple[int, Decimal] | None:
    """Parse one group below a scale word: a digit token, "a"/"an" (before hundred/scale/dozen),
    or a 1..99 word number, optionally times "hundred" plus "[and] 1..99"; or a bare "hundred".
    Returns (end, value) or None."""
    word = norms[j]
    value: Decimal
    can_hundred = True
    if digits_ok and _DIGITS_RE.fullmatch(word):
        try:
            value = Decimal(word.replace(",", ""))
        except InvalidOperation:  # defensive: the regex should only admit valid decimals
            return None
        j += 1
    elif word in _ARTICLES:
        if j + 1 >= n or norms[j + 1] not in _AFTER_ARTICLE:
            return None
        value, j = Decimal(1), j + 1
    elif word == "hundred":
        value = Decimal(1)  # bare "hundred" = 100; the multiplication happens below
    else:
        parsed = _below_100(norms, j, n)
        if parsed is None:
            return None
        j, small = parsed
        value = Decimal(small)
        can_hundred = small != 0
    if can_hundred and j < n and norms[j] == "hundred":
        value *= 100
        j += 1
        # "two hundred [and] five": only take "and" if a 1..99 number follows it.
        k = j + 1 if j < n and norms[j] == "and" else j
        if k < n:
            rest = _below_100(norms, k, n)
            if rest is not None:
                j, small = rest
                value += small
    return j, value


def _number_at(norms: list[str], i: int, n: int) -> tuple[int, Decimal] | None:
    """Longest number expression starting at token i, as (end, value), or None."""
    word = norms[i]
    if word in _SCALES:  # bare scale word: "thousand" = 1000
        first: tuple[int, Decimal] | None = (i, Decimal(1))
    elif word == "dozen":
        return i + 1, Decimal(12)
    else:
        first = _group(norms, i, n, digits_ok=True)
    if first is None:
        return None
    j, value = first
    total = Decimal(0)
    last_scale = 10**13
    while True:
        scale = _SCALES.get(norms[j]) if j < n else None
        if scale is not None and scale < last_scale:
            # Scales must decrease: "three million two thousand", not "thousand thousand".
            total += value * scale
            last_scale = scale
            j += 1
            k = j + 1 if j < n and norms[j] == "and" else j
            nxt = _group(norms, k, n, digits_ok=False) if k < n else None
            if nxt is None:
                return j, total
            j, value = nxt
            continue
        if j < n and norms[j] == "dozen" and last_scale > 10**12:
            return j + 1, value * 12  # "two dozen", "a dozen"
        return j, total + value


def exact_arithmetic() -> AbstractContextManager[Context]:
    """The decimal context number_at needs to be exact (`with exact_arithmetic(): ...`)."""
    return localcontext(_EXACT)


def number_at(norms: list[str], i: int) -> tuple[int, Decimal] | None:
    """The longest number expression starting at token `i` of `norms` (as find_numbers reads
    them), as (end token, value), or None. For the MONEY type (money.py), which reads amounts
    with the same grammar; call it inside `exact_arithmetic()` for exact values."""
    if i >= len(norms):
        return None
    parsed = _number_at(norms, i, len(norms))
    return parsed if parsed is not None and parsed[0] > i else None


def plain(value: Decimal) -> int | float:
    """int when integral, else float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def find_numbers(norms: list[str]) -> list[tuple[int, int, int | float]]:
    """Given the norm() forms of a sentence's tokens (as segment() splits them), return
    non-overlapping (first_token, end_token_exclusive, value) for every number expression,
    leftmost-longest.  Values are ints when integral ("6.5 million" -> 6500000), else floats."""
    out: list[tuple[int, int, int | float]] = []
    n = len(norms)
    i = 0
    with localcontext(_EXACT):
        while i < n:
            parsed = _number_at(norms, i, n)
            if parsed is None or parsed[0] <= i:
                i += 1
                continue
            end, value = parsed
            out.append((i, end, plain(value)))
            i = end
    return out
