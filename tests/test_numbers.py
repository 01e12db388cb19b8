"""Tests for ie_dsl.text.numbers.find_numbers over norm()-ed tokens as segment() produces them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ie_dsl.text.numbers import find_numbers
from ie_dsl.text.segment import norm, tokenize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from growth import FACTOR, LINEAR_RATIO, line_growth, lines_executed  # noqa: E402


def nums(text: str) -> list[tuple[str, int | float]]:
    """(matched token text joined by spaces, value) for each number found in text."""
    norms = [norm(text[s:e]) for s, e in tokenize(text)]
    return [(" ".join(norms[a:b]), v) for a, b, v in find_numbers(norms)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6,500 members", [("6,500", 6500)]),
        ("1,750 dlrs", [("1,750", 1750)]),
        ("155,221 bags", [("155,221", 155221)]),
        ("1,234.5", [("1,234.5", 1234.5)]),
        ("3.5 pct", [("3.5", 3.5)]),
        ("in 2023", [("2023", 2023)]),
        ("55 personnel", [("55", 55)]),
        ("2.0", [("2.0", 2)]),
        ("1.50", [("1.50", 1.5)]),
    ],
)
def test_digit_tokens(text: str, expected: list[tuple[str, int | float]]) -> None:
    assert nums(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("zero", 0), ("one", 1), ("seven", 7), ("twelve", 12), ("nineteen", 19),
        ("twenty", 20), ("ninety", 90), ("twenty-five", 25), ("twenty five", 25),
        ("Forty–Two", 42), ("two hundred", 200), ("one hundred and five", 105),
        ("three thousand five hundred", 3500), ("two hundred thousand", 200000),
        ("ten million", 10_000_000), ("a hundred", 100), ("a dozen", 12), ("dozen", 12),
        ("two dozen", 24), ("a million", 1_000_000), ("hundred", 100), ("thousand", 1000),
        ("one thousand and five", 1005),
        ("two million three hundred thousand four hundred and twelve", 2_300_412),
        ("6.5 million", 6_500_000), ("5.93 mln", 5_930_000), ("1.2 billion", 1_200_000_000),
        ("3 bln", 3_000_000_000), ("2 trillion", 2 * 10**12), ("4 hundred", 400),
    ],
)
def test_single_expression(text: str, value: int | float) -> None:
    got = nums(text)
    assert len(got) == 1
    assert got[0][1] == value
    assert type(got[0][1]) is type(value)
    assert len(got[0][0].split()) == len(tokenize(text))  # the whole text is the expression


def test_offsets_and_leftmost_longest() -> None:
    norms = ["about", "three", "thousand", "five", "hundred", "troops", "and", "6,500", "more"]
    assert find_numbers(norms) == [(1, 5, 3500), (7, 8, 6500)]


def test_mln_newswire() -> None:
    assert nums("cumulative total of 5.93 mln against 5.81") == [("5.93 mln", 5930000),
                                                                  ("5.81", 5.81)]


def test_not_numbers() -> None:
    assert nums("2nd 28th first") == []
    assert nums("a man") == []
    assert nums("1,2 and 1.2.3") == []
    assert nums("thousands of millions") == []


def test_separate_expressions() -> None:
    assert nums("one two") == [("one", 1), ("two", 2)]
    assert nums("five twenty") == [("five", 5), ("twenty", 20)]
    assert nums("nineteen eighty-four") == [("nineteen", 19), ("eighty - four", 84)]
    assert nums("2002-2004") == [("2002", 2002), ("2004", 2004)]
    assert nums("thousand thousand") == [("thousand", 1000), ("thousand", 1000)]


def test_dangling_connectors_not_consumed() -> None:
    assert nums("twenty - people") == [("twenty", 20)]
    assert nums("one hundred and counting") == [("one hundred", 100)]
    assert nums("one thousand and") == [("one thousand", 1000)]


def test_no_one_is_a_number() -> None:
    # Documented simplification: "one" is always NUMBER 1, also in "no one".
    assert nums("no one came") == [("one", 1)]


def test_empty_and_exactness() -> None:
    assert find_numbers([]) == []
    (_, _, value) = find_numbers(["9" * 60])[0]
    assert value == 10**60 - 1  # exact, not rounded to 28 digits


def test_linear_time() -> None:
    """Lines executed, not seconds (the same on any machine): x FACTOR the tokens is about x FACTOR
    the work. The time is measured on demand by benchmarks/growth.py."""
    norms = ["one", "hundred", "and", "x"] * 20_000 + ["twenty", "-", "x"] * 20_000
    assert len(find_numbers(norms)) == 40_000
    assert line_growth("numbers") <= LINEAR_RATIO


def test_the_line_count_sees_quadratic_work() -> None:
    """The check above can fail: work quadratic in Python code grows x FACTOR squared."""

    def quadratic(n: int) -> None:
        for i in range(n):
            for _ in range(i):
                pass

    growth = lines_executed(lambda: quadratic(4 * FACTOR)) / lines_executed(lambda: quadratic(4))
    assert growth > LINEAR_RATIO
