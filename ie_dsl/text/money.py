"""The built-in MONEY type: amounts of money in a sentence's tokens, with their value and
ISO 4217 currency.

`find_money(norms, texts, joined)` reads one sentence's tokens as segment() splits them
(`joined[i]`: no space between token i and the next) and returns non-overlapping `Money`
mentions, leftmost first, each as long as it goes. `money_annotations(view)` gives the
MONEY annotations of a whole document, looking only at the sentences that hold a currency
word, sign or code.

A mention is an amount (read by the NUMBER grammar, numbers.number_at, plus the short
multipliers `m`, `bn`, `k` ... and compact tokens such as `20m`), with a currency before
it (`$`, `US$`, `€`, `USD`, `DM`) or after it (`dlrs`, `Canadian dlrs`, `stg`, `yen`,
`USD`), or a range of two amounts (`$1-2 billion`, `5 to 10 mln dlrs`, `between 5 and 10
mln dlrs`), whose first amount takes the second's multiplier. Every step is a dict or set
lookup and a mention is a bounded number of tokens, so a sentence costs time linear in its
length, whatever it holds (no backtracking regex). docs/language.md section 5.3 has the
forms and the currencies.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from decimal import Context, Decimal
from itertools import compress
from typing import Any, NamedTuple

from ie_dsl.text.numbers import NUMBER_WORDS, exact_arithmetic, number_at, plain
from ie_dsl.text.view import Annotation, DocView

__all__ = ["CURRENCIES", "CURRENCY_CODES", "Money", "find_money", "money_annotations"]


class Money(NamedTuple):
    """One money mention: tokens [start, end) of the sentence, the amount (the low end of a
    range) and the high end of a range (else None), in units of `currency`."""

    start: int
    end: int
    low: Decimal
    high: Decimal | None
    currency: str


# ISO 4217 codes recognised when written in capitals before or after an amount ("USD 50
# mln", "20 mln EUR"), with the former European currencies that news archives still hold.
CURRENCY_CODES = frozenset(
    "USD EUR GBP JPY CHF CAD AUD NZD HKD SGD TWD CNY INR PKR KRW SEK NOK DKK ISK ZAR BRL MXN "
    "ARS CLP COP PEN RUB UAH TRY PLN HUF CZK RON ILS SAR AED QAR KWD BHD OMR EGP NGN KES THB "
    "MYR IDR PHP VND XEU DEM FRF ITL NLG BEF LUF ESP PTE ATS FIM IEP GRD".split()
)
_CODE_ALIASES = {"ECU": "XEU"}  # the European Currency Unit's own abbreviation
# Signs before an amount, by token text.
_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB",
          "₺": "TRY", "₪": "ILS", "₦": "NGN", "₱": "PHP", "₫": "VND", "฿": "THB", "₴": "UAH"}  # fmt: skip
# Letters written against a `$` ("US$5", "C$20m", "HK$1 billion"), by token text.
_DOLLAR_PREFIXES = {
    "US": "USD", "U.S.": "USD", "C": "CAD", "CA": "CAD", "CAN": "CAD", "Can": "CAD", "A": "AUD",
    "AU": "AUD", "AUS": "AUD", "NZ": "NZD", "HK": "HKD", "S": "SGD", "SG": "SGD", "NT": "TWD",
    "R": "BRL", "Mex": "MXN",
}  # fmt: skip
# Other abbreviations written before an amount ("DM 500 mln", "SFr 20m", "Rs 50 crore").
_LETTER_PREFIXES = {"DM": "DEM", "SFr": "CHF", "SFR": "CHF", "Sfr": "CHF", "FFr": "FRF",
                    "Rs": "INR", "Rs.": "INR", "Dfl": "NLG", "BFr": "BEF", "Skr": "SEK"}  # fmt: skip

# Currency words after an amount (norms), with their default currency where the word alone
# says it (newswire usage: "dlrs" are U.S. dollars, "stg" pounds sterling, "francs" French
# francs, "marks" West German marks); None where it needs a qualifier ("Swedish crowns").
_FAMILIES: dict[str, tuple[str, ...]] = {
    "dollar": ("dlrs", "dlr", "dollars", "dollar"),
    "cent": ("cts", "ct", "cents", "cent"),
    "pound": ("pounds", "stg", "sterling", "pound"),
    "penny": ("pence", "penny"),
    "franc": ("francs", "franc"),
    "mark": ("marks", "mark", "deutschemarks", "deutschmarks"),
    "markka": ("markka", "markkaa"),
    "crown": ("crowns", "crown", "kronor", "krona", "kroner", "krone"),
    "dinar": ("dinars", "dinar"),
    "peso": ("pesos", "peso"),
    "rupee": ("rupees", "rupee"),
    "riyal": ("riyals", "riyal", "rials", "rial"),
    "shilling": ("shillings", "schillings", "shilling", "schilling"),
    "lira": ("lire", "lira", "liras"),
    "yen": ("yen",),
    "yuan": ("yuan", "renminbi"),
    "won": ("won",),
    "rand": ("rand",),
    "euro": ("euros", "euro"),
    "ecu": ("ecus", "ecu"),
    "guilder": ("guilders", "guilder"),
    "peseta": ("pesetas", "peseta"),
    "escudo": ("escudos", "escudo"),
    "drachma": ("drachmas", "drachmae", "drachma"),
    "rouble": ("roubles", "rubles", "rouble", "ruble"),
    "naira": ("naira",),
    "baht": ("baht",),
    "ringgit": ("ringgit",),
    "rupiah": ("rupiah",),
    "zloty": ("zlotys", "zloty", "zlotych"),
    "forint": ("forints", "forint"),
    "shekel": ("shekels", "shekel"),
    "real": ("reais",),
    "cruzado": ("cruzados",),
    "austral": ("australs",),
    "bolivar": ("bolivars",),
}
_DEFAULTS = {
    "dollar": "USD", "cent": "USD", "pound": "GBP", "penny": "GBP", "franc": "FRF", "mark": "DEM",
    "markka": "FIM", "rupee": "INR", "riyal": "SAR", "lira": "ITL", "yen": "JPY", "yuan": "CNY",
    "won": "KRW", "rand": "ZAR", "euro": "EUR", "ecu": "XEU", "guilder": "NLG", "peseta": "ESP",
    "escudo": "PTE", "drachma": "GRD", "rouble": "RUB", "naira": "NGN", "baht": "THB",
    "ringgit": "MYR", "rupiah": "IDR", "zloty": "PLN", "forint": "HUF", "shekel": "ILS",
    "real": "BRL", "cruzado": "BRC", "austral": "ARA", "bolivar": "VEB",
}  # fmt: skip
# Singulars that are too often something else ("passed the one billion mark", "a pound of")
# count only after a qualifier ("German mark"); common words ("won") and rare singulars
# ("one cent") only after a multiplier or a qualifier.
_QUALIFIED_ONLY = frozenset({"mark", "pound", "crown", "krona", "krone"})
_CAREFUL = frozenset({"won"})
# Amounts in cents and pence are hundredths of the unit.
_HUNDREDTHS = frozenset(_FAMILIES["cent"] + _FAMILIES["penny"])
# Qualifiers before a currency word: (qualifier tokens, family) -> currency.
_QUALIFIED_SPEC = {
    "dollar cent": "u.s.=USD us=USD american=USD canadian=CAD can=CAD australian=AUD "
    "aust=AUD new_zealand=NZD n.z.=NZD hong_kong=HKD h.k.=HKD singapore=SGD taiwan=TWD "
    "taiwanese=TWD new_taiwan=TWD jamaican=JMD bahamian=BSD bermuda=BMD barbados=BBD "
    "brunei=BND fiji=FJD zimbabwe=ZWD east_caribbean=XCD liberian=LRD namibian=NAD",
    "franc": "swiss=CHF french=FRF belgian=BEF luxembourg=LUF cfa=XOF",
    "pound penny": "british=GBP irish=IEP egyptian=EGP lebanese=LBP cyprus=CYP cypriot=CYP "
    "syrian=SYP sudanese=SDG maltese=MTL",
    "crown": "swedish=SEK norwegian=NOK danish=DKK czech=CZK icelandic=ISK",
    "mark": "west_german=DEM german=DEM east_german=DDM finnish=FIM",
    "dinar": "kuwaiti=KWD iraqi=IQD jordanian=JOD libyan=LYD bahraini=BHD algerian=DZD "
    "tunisian=TND yugoslav=YUD",
    "peso": "mexican=MXN philippine=PHP argentine=ARS chilean=CLP colombian=COP uruguayan=UYU",
    "rupee": "indian=INR pakistani=PKR sri_lankan=LKR nepalese=NPR mauritian=MUR",
    "riyal": "saudi=SAR qatari=QAR omani=OMR iranian=IRR yemeni=YER",
    "shilling": "kenyan=KES ugandan=UGX tanzanian=TZS somali=SOS austrian=ATS",
    "won": "south_korean=KRW korean=KRW",
    "lira": "italian=ITL turkish=TRY",
    "yen": "japanese=JPY",
    "yuan": "chinese=CNY",
    "rand": "south_african=ZAR",
}


def _qualified() -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for families, spec in _QUALIFIED_SPEC.items():
        for pair in spec.split():
            qualifier, code = pair.split("=")
            for family in families.split():
                for word in _FAMILIES[family]:
                    out[(*qualifier.split("_"), word)] = code
    return out


_QUALIFIED = _qualified()
_QUALIFIER_WORDS = frozenset(k[0] for k in _QUALIFIED)
_FAMILY_OF = {word: family for family, words in _FAMILIES.items() for word in words}
_UNITS = {word: _DEFAULTS.get(family) for word, family in _FAMILY_OF.items()}

# Multipliers after an amount: words the NUMBER grammar does not read ("bn", "m"), and the
# suffixes of compact tokens ("20m", "5mln", "3bn", "10k").
_MULTIPLIERS = {"k": 10**3, "m": 10**6, "mn": 10**6, "mln": 10**6, "bn": 10**9, "b": 10**9,
                "bln": 10**9, "tn": 10**12, "trn": 10**12}  # fmt: skip
_LOOSE_MULTIPLIERS = frozenset({"mn", "mln", "bn", "bln", "tn", "trn"})  # may stand apart
# The NUMBER grammar's scale words: an amount ending in one is already multiplied.
_SCALES = {"thousand": 10**3, "million": 10**6, "mln": 10**6, "billion": 10**9, "bln": 10**9,
           "trillion": 10**12, "trn": 10**12}  # fmt: skip
# A fraction (1/3) has no exact decimal: it is rounded to 12 digits, not divided exactly
# (which, in numbers.exact_arithmetic, would not end).
_FRACTIONS = Context(prec=12)
_COMPACT = re.compile(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(k|m|mn|mln|bn|b|bln|tn|trn)")

# Every currency a mention may have (what a filter MONEY[currency=...] can compare with).
CURRENCIES = frozenset(
    CURRENCY_CODES
    | set(_CODE_ALIASES.values())
    | set(_SIGNS.values())
    | set(_DOLLAR_PREFIXES.values())
    | set(_LETTER_PREFIXES.values())
    | set(_DEFAULTS.values())
    | set(_QUALIFIED.values())
)

# Norms a mention may begin with, besides those starting with a digit.
_OPENERS = frozenset(
    NUMBER_WORDS
    | {"between", "a", "an"}
    | {p.lower() for p in (*_SIGNS, *_DOLLAR_PREFIXES, *_LETTER_PREFIXES, *CURRENCY_CODES, *_CODE_ALIASES)}
)

# Norms that some money mention must hold; a sentence without one is not looked at.
MARKERS = frozenset(
    set(_FAMILY_OF)
    | set(_SIGNS)
    | {c.lower() for c in CURRENCY_CODES | _CODE_ALIASES.keys()}
    | {p.lower() for p in _LETTER_PREFIXES}
)


class _Reader:
    """One sentence's tokens and the readings of its parts."""

    def __init__(self, norms: list[str], texts: list[str], joined: list[bool]):
        self.norms, self.texts, self.joined, self.n = norms, texts, joined, len(norms)

    def code(self, i: int) -> str | None:
        """The ISO code written at token i in capitals, if any."""
        text = self.texts[i]
        return text if text in CURRENCY_CODES else _CODE_ALIASES.get(text)

    def prefix(self, i: int) -> tuple[str, int] | None:
        """A currency written before an amount at token i: (code, where the amount starts)."""
        if i >= self.n:
            return None
        text = self.texts[i]
        if text in _SIGNS:
            return _SIGNS[text], i + 1
        if text in _DOLLAR_PREFIXES and i + 1 < self.n and self.texts[i + 1] == "$" and self.joined[i]:
            return _DOLLAR_PREFIXES[text], i + 2
        code = self.code(i) or _LETTER_PREFIXES.get(text)
        return (code, i + 1) if code is not None else None

    def amount(self, i: int) -> tuple[int, Decimal, int] | None:
        """An amount at token i: (end, value, the multiplier its last word applied, else 1)."""
        if i >= self.n:
            return None
        norms = self.norms
        compact = _COMPACT.fullmatch(norms[i])
        if compact is not None:
            scale = _MULTIPLIERS[compact.group(2)]
            return i + 1, Decimal(compact.group(1).replace(",", "")) * scale, scale
        parsed = number_at(norms, i)
        if parsed is None:
            return None
        end, value = parsed
        if (
            self.hyphen(end)
            and end + 3 < self.n
            and norms[end + 2] == "/"
            and all(self.joined[end : end + 3])
        ):
            above, below = norms[end + 1], norms[end + 3]  # "17-1/2 dlrs": 17.5
            if above.isdigit() and below.isdigit() and 0 < int(above) < int(below):
                return end + 4, value + _FRACTIONS.divide(Decimal(above), Decimal(below)), 1
        scale = _SCALES.get(norms[end - 1], 1)
        if scale == 1 and end < self.n:
            at = end + 1 if self.hyphen(end) else end  # "a 45-mln-dlr loan"
            word = norms[at] if at < self.n else ""
            scale = _SCALES.get(word) or _MULTIPLIERS.get(word, 1)
            if word in _MULTIPLIERS and not (word in _LOOSE_MULTIPLIERS or self.joined[at - 1]):
                scale = 1
            if scale > 1:
                return at + 1, value * scale, scale
        return end, value, scale

    def hyphen(self, i: int) -> bool:
        """Is token i a hyphen written between two words (`mln-dlr`)?"""
        return 0 < i < self.n - 1 and self.norms[i] == "-" and self.joined[i - 1] and self.joined[i]

    def suffix(self, i: int, scaled: bool) -> tuple[str, int, bool] | None:
        """A currency written after an amount, from token i: (code, end, in hundredths)."""
        if i >= self.n:
            return None
        norms = self.norms
        code = self.code(i)
        if code is not None:
            return code, i + 1, False
        if self.hyphen(i):  # "500 mln-dlr"
            i += 1
        word = norms[i]
        if word in _QUALIFIER_WORDS:
            for size in (3, 2):  # "Hong Kong dlrs", "U.S. dlrs"
                key = tuple(norms[i : i + size])
                if key in _QUALIFIED and i + size <= self.n:
                    return _QUALIFIED[key], i + size, key[-1] in _HUNDREDTHS
        default = _UNITS.get(word)
        if default is None or word in _QUALIFIED_ONLY or (word in _CAREFUL and not scaled):
            return None
        if word == "pounds" and i + 1 < self.n and norms[i + 1] == "of":  # a weight
            return None
        return default, i + 1, word in _HUNDREDTHS

    def money_at(self, i: int) -> Money | None:
        """The money mention starting at token i, or None."""
        norms, start = self.norms, i
        between = norms[i] == "between"
        if between:
            i += 1
        pre = self.prefix(i)
        first = self.amount(pre[1] if pre else i)
        if first is None:
            return None
        end, low, low_scale = first
        high: Decimal | None = None
        high_scale = 1
        sep = norms[end] if end < self.n else None
        if (
            (sep == "and")
            if between
            else (sep == "-" or sep == "to" and not (start and norms[start - 1] == "from"))
        ):
            k: int | None = end + 1
            again = self.prefix(end + 1)
            if again is not None:  # "$5 to $10 million": the same currency, or no range
                k = again[1] if pre is not None and again[0] == pre[0] else None
            second = self.amount(k) if k is not None else None
            if second is not None and second[1] >= low * (second[2] if low_scale == 1 else 1):
                end, high, high_scale = second
                if low_scale == 1:  # "$1-2 billion": the first takes the second's multiplier
                    low *= high_scale
        if between and high is None:
            return None
        if pre is not None:
            return Money(start, end, low, high, pre[0])
        after = self.suffix(end, max(low_scale, high_scale) > 1)
        if after is None:
            return None
        code, end, hundredths = after
        if hundredths:
            low, high = low.scaleb(-2), None if high is None else high.scaleb(-2)
        return Money(start, end, low, high, code)


def find_money(norms: list[str], texts: list[str], joined: list[bool]) -> list[Money]:
    """The money mentions of one sentence, leftmost first, each as long as it goes, not
    overlapping. `norms` and `texts` are its tokens' norm() forms and texts, `joined[i]` is
    True when token i touches the next (no space between)."""
    reader = _Reader(norms, texts, joined)
    out: list[Money] = []
    i = 0
    with exact_arithmetic():
        while i < reader.n:
            # most tokens can begin no mention: one set lookup rules them out
            word = norms[i]
            found = reader.money_at(i) if word[:1].isdigit() or word in _OPENERS else None
            if found is None:
                i += 1
                continue
            out.append(found)
            i = found.end
    return out


def amount_text(value: Decimal) -> str:
    """An amount as the canonical name shows it: thousands separated, no exponent."""
    return format(value.normalize(), ",f")


def money_annotations(view: DocView) -> list[Annotation]:
    """MONEY annotations (view.Annotation) of a DocView's document: value (the amount, the
    low end of a range), attrs currency (ISO 4217) and, for a range, low and high, and the
    canonical name "USD 1,500,000" ("USD 1,000,000,000-2,000,000,000" for a range). Only
    the sentences holding a currency word, sign or code (MARKERS) are read."""
    norms = view.norms
    if view.words.isdisjoint(MARKERS):
        return []
    seg = view.seg
    firsts = [s.first_token for s in seg.sentences]
    todo = sorted(
        {bisect_right(firsts, i) - 1 for i in compress(range(len(norms)), map(MARKERS.__contains__, norms))}
    )
    out = []
    starts, ends = seg.starts, seg.ends
    for k in todo:
        sent = seg.sentences[k]
        lo, hi = sent.first_token, sent.end_token
        joined = [ends[i] == starts[i + 1] for i in range(lo, hi - 1)] + [False]
        for m in find_money(norms[lo:hi], view.texts[lo:hi], joined):
            attrs: tuple[tuple[str, Any], ...] = (("currency", m.currency),)
            name = f"{m.currency} {amount_text(m.low)}"
            if m.high is not None:
                attrs += (("low", plain(m.low)), ("high", plain(m.high)))
                name += f"-{amount_text(m.high)}"
            out.append(
                Annotation(
                    "MONEY", lo + m.start, lo + m.end, name, attrs, "builtin:MONEY", value=plain(m.low)
                )
            )
    return out
