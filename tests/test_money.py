"""The built-in MONEY type: ie_dsl.text.money over tokens as segment() splits them, and MONEY in
rules and in every output format."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ie_dsl import compile_rules
from ie_dsl.scale.output import write
from ie_dsl.text.money import find_money, money_annotations
from ie_dsl.text.segment import norms, segment
from ie_dsl.text.view import DocView

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from growth import LINEAR_RATIO, line_growth  # noqa: E402


def money(text: str) -> list[tuple[str, str, Decimal, Decimal | None]]:
    """(the mention's text, currency, low, high) for each mention in `text`."""
    seg = segment(text)
    joined = [seg.ends[i] == seg.starts[i + 1] for i in range(len(seg.texts) - 1)] + [False]
    out = []
    for m in find_money(norms(seg.texts), seg.texts, joined):
        out.append((text[seg.starts[m.start] : seg.ends[m.end - 1]], m.currency, m.low, m.high))
    return out


@pytest.mark.parametrize(
    ("text", "mention", "currency", "value"),
    [
        ("It paid 50 mln dlrs for it.", "50 mln dlrs", "USD", 50_000_000),
        ("a 1.5 billion dlr loan", "1.5 billion dlr", "USD", 1_500_000_000),
        ("It sold for $1.5 billion.", "$1.5 billion", "USD", 1_500_000_000),
        ("EU gave €20m to them", "€20m", "EUR", 20_000_000),
        ("a 20 mln stg loan", "20 mln stg", "GBP", 20_000_000),
        ("worth £3.5bn", "£3.5bn", "GBP", 3_500_000_000),
        ("for US$20m", "US$20m", "USD", 20_000_000),
        ("for C$5 bln", "C$5 bln", "CAD", 5_000_000_000),
        ("HK$1 billion", "HK$1 billion", "HKD", 1_000_000_000),
        ("USD 50 million", "USD 50 million", "USD", 50_000_000),
        ("20 mln EUR", "20 mln EUR", "EUR", 20_000_000),
        ("DM 500 mln", "DM 500 mln", "DEM", 500_000_000),
        ("three hundred million yen", "three hundred million yen", "JPY", 300_000_000),
        ("50 mln Canadian dlrs", "50 mln Canadian dlrs", "CAD", 50_000_000),
        ("1.5 billion Hong Kong dlrs", "1.5 billion Hong Kong dlrs", "HKD", 1_500_000_000),
        ("8.3 mln U.S. Dlrs", "8.3 mln U.S. Dlrs", "USD", 8_300_000),
        ("15 mln Swiss francs", "15 mln Swiss francs", "CHF", 15_000_000),
        ("300 mln francs", "300 mln francs", "FRF", 300_000_000),
        ("5 mln marks", "5 mln marks", "DEM", 5_000_000),
        ("2.5 billion Swedish crowns", "2.5 billion Swedish crowns", "SEK", 2_500_000_000),
        ("five billion euros", "five billion euros", "EUR", 5_000_000_000),
        ("Shr 12 cts", "12 cts", "USD", Decimal("0.12")),
        ("20 Canadian cts", "20 Canadian cts", "CAD", Decimal("0.2")),
        ("loss one ct vs", "one ct", "USD", Decimal("0.01")),
        ("a 45-mln-dlr loan", "45-mln-dlr", "USD", 45_000_000),
        ("a 500 mln-dlr facility", "500 mln-dlr", "USD", 500_000_000),
        ("at 10-7/8 dlrs", "10-7/8 dlrs", "USD", Decimal("10.875")),
        ("at 10-1/3 dlrs", "10-1/3 dlrs", "USD", Decimal("10.333333333333")),  # rounded, not endless
        ("5 bln won", "5 bln won", "KRW", 5_000_000_000),
    ],
)
def test_one_mention(text: str, mention: str, currency: str, value: int | Decimal) -> None:
    assert money(text) == [(mention, currency, value, None)]


@pytest.mark.parametrize(
    ("text", "mention", "currency", "low", "high"),
    [
        ("$1-2 billion", "$1-2 billion", "USD", 1_000_000_000, 2_000_000_000),
        ("between 5 and 10 mln dlrs", "between 5 and 10 mln dlrs", "USD", 5_000_000, 10_000_000),
        ("5 to 10 mln dlrs", "5 to 10 mln dlrs", "USD", 5_000_000, 10_000_000),
        ("$5 to $10 million", "$5 to $10 million", "USD", 5_000_000, 10_000_000),
        ("one to 1.5 billion dlrs", "one to 1.5 billion dlrs", "USD", 1_000_000_000, 1_500_000_000),
        ("140-150 yen", "140-150 yen", "JPY", 140, 150),
        ("at 17-1/2 to 19 dlrs each", "17-1/2 to 19 dlrs", "USD", Decimal("17.5"), 19),
    ],
)
def test_ranges(text: str, mention: str, currency: str, low: int | Decimal, high: int) -> None:
    assert money(text) == [(mention, currency, low, high)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("rose 5 pct to 10", []),  # no currency
        ("the 1987 budget", []),
        ("10 pounds of sugar", []),  # a weight
        ("passed the one billion mark", []),  # a singular mark needs a qualifier
        ("he won 5 seats", []),  # "won" needs a multiplier
        ("5 mln crowns", []),  # crowns of which country?
        ("a $ sign", []),
        ("between 5 mln dlrs", ["5 mln dlrs"]),  # no "and": not a range
        ("rose from 5 to 10 mln dlrs", ["10 mln dlrs"]),  # a change, not a range
        ("gains of 0.50 to 0.20 stg", ["0.20 stg"]),  # the low end above the high one
        ("A $5 fee", ["$5"]),  # "A" is not Australian: not written against the sign
        ("Shr 46 cts vs 55 cts", ["46 cts", "55 cts"]),
    ],
)
def test_what_is_not_money(text: str, found: list[str]) -> None:
    assert [m[0] for m in money(text)] == found


def test_document_annotations_carry_value_currency_and_range() -> None:
    text = "Acme paid 50 mln dlrs. Beta paid $1-2 billion.\n\nNothing here."
    view = DocView("d", text, segment(text))
    anns = money_annotations(view)
    assert [(a.type, a.value, dict(a.attrs), a.canonical) for a in anns] == [
        ("MONEY", 50_000_000, {"currency": "USD"}, "USD 50,000,000"),
        (
            "MONEY",
            1_000_000_000,
            {"currency": "USD", "low": 1_000_000_000, "high": 2_000_000_000},
            "USD 1,000,000,000-2,000,000,000",
        ),
    ]
    assert [text[view.seg.starts[a.start] : view.seg.ends[a.end - 1]] for a in anns] == [
        "50 mln dlrs",
        "$1-2 billion",
    ]
    assert type(anns[0].value) is int


def test_a_document_without_a_currency_is_not_read() -> None:
    text = "It rose 5 pct to 10.5 in 1987."
    assert money_annotations(DocView("d", text, segment(text))) == []


def test_money_is_linear_in_the_sentence() -> None:
    """Lines executed, not seconds: x4 the tokens is about x4 the work."""
    assert line_growth("money") <= LINEAR_RATIO


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("money")
    (root / "r.ie").write_text(
        "rule paid: ~pay amount:MONEY\nrule usd: x:MONEY[currency=USD]\n", encoding="utf-8"
    )
    return compile_rules([root])


def test_money_in_rules_and_filters(book) -> None:  # type: ignore[no-untyped-def]
    got = book.extract("d", "Acme paid 50 mln dlrs. It paid €20m.")
    paid = [
        (st["args"]["amount"]["text"], st["args"]["amount"]["attrs"]["currency"])
        for st in got
        if st["type"] == "paid"
    ]
    assert paid == [("50 mln dlrs", "USD"), ("€20m", "EUR")]
    usd = [st["args"]["x"] for st in got if st["type"] == "usd"]
    assert usd == [
        {
            "text": "50 mln dlrs",
            "type": "MONEY",
            "canonical": "USD 50,000,000",
            "attrs": {"currency": "USD"},
            "value": 50_000_000,
            "start": 10,
            "end": 21,
        }
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_money_shows_in_every_text_format(book, fmt: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "Acme paid 50 mln dlrs." if fmt == "table" else "Beta paid $1-2 billion."
    got = [st for st in book.extract("d", text) if st["type"] == "paid"]
    out = tmp_path / "out"
    with out.open("w", encoding="utf-8") as f:
        write(got, fmt, f)
    text = out.read_text(encoding="utf-8")
    if fmt == "table":
        assert "USD 50,000,000" in text  # the canonical name: amount and currency
    elif fmt == "csv":
        assert ",1000000000," in text and '""currency"": ""USD""' in text and '""high"": 2000000000' in text
    else:
        rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        amount = rows[0]["args"]["amount"]
        assert (amount["value"], amount["attrs"]) == (
            1_000_000_000,
            {"currency": "USD", "low": 1_000_000_000, "high": 2_000_000_000},
        )


def test_money_shows_in_parquet(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pq = pytest.importorskip("pyarrow.parquet")
    from ie_dsl.scale.frames import layout_of, write_parquet

    got = [st for st in book.extract("d", "Acme paid 50 mln dlrs.") if st["type"] == "paid"]
    path = tmp_path / "out.parquet"
    write_parquet(got, path, layout_of(book))
    row = pq.read_table(path).to_pylist()[0]
    assert (row["arg_amount_value"], json.loads(row["arg_amount_attrs"])) == ("50000000", {"currency": "USD"})
    assert row["arg_amount_canonical"] == "USD 50,000,000"
