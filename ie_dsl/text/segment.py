"""Rule-based paragraph, sentence and token segmentation with exact character offsets.

Everything here is regex-driven (stdlib ``re``) and allocation-light: a document is tokenized by
one ``re.split`` over a master alternation, token offsets come from cumulative part lengths
(computed in C by ``itertools.accumulate``), and sentence/paragraph boundaries are decided only
at the few candidate positions found by two further regex passes.  No token objects are created;
a token is the pair ``(starts[i], ends[i])``.  The policy is documented in docs/segmentation.md.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from ie_dsl.text import _unicode_classes as _classes

__all__ = [
    "Paragraph",
    "Sentence",
    "Segmentation",
    "segment",
    "tokenize",
    "literal_tokens",
    "plain_word",
    "token_words",
    "tokens",
    "norm",
    "norms",
]


class Paragraph(NamedTuple):
    """A paragraph: ``text[start:end]`` is trimmed; its sentences are
    ``sentences[first_sentence:end_sentence]``. (Paragraphs and sentences are NamedTuples
    rather than frozen dataclasses: made for every document, and five times faster to make.)"""

    start: int
    end: int
    first_sentence: int
    end_sentence: int


class Sentence(NamedTuple):
    """A sentence: ``text[start:end]`` is trimmed; its tokens are ``first_token:end_token``."""

    start: int
    end: int
    paragraph: int
    first_token: int
    end_token: int


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Result of :func:`segment`: token offsets as two parallel int lists plus the sentences and
    paragraphs that group them."""

    text: str
    starts: list[int]
    ends: list[int]
    sentences: list[Sentence]
    paragraphs: list[Paragraph]
    texts: list[str]  # text[starts[i]:ends[i]], made by the tokenizer anyway


# --------------------------------------------------------------------------------------------
# Character classes.  stdlib ``re`` has no \p{Lu} / \p{M}, so the classes are built once at
# import from unicodedata.  Only the BMP is scanned (~10 ms); astral upper-case letters and marks
# are too rare in news text to justify a 1.1M-codepoint scan at every import.


def _class_body(members: str) -> str:
    """The inside of a ``[...]`` class matching exactly the (ascending) characters `members`."""
    out = []
    i, n = 0, len(members)
    while i < n:
        j = i
        while j + 1 < n and ord(members[j + 1]) == ord(members[j]) + 1:
            j += 1
        lo, hi = re.escape(members[i]), re.escape(members[j])
        out.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(out)


def unicode_classes() -> tuple[str, str]:
    """(upper, mark) class bodies computed from this Python's unicodedata: upper-case and
    title-case letters (for one character, str.istitle() is exactly isupper() or title
    case), and combining marks (category M)."""
    bmp = "".join(map(chr, range(0x10000)))
    upper = "".join(filter(str.istitle, bmp))
    marks = "".join(c for c, cat in zip(bmp, map(unicodedata.category, bmp), strict=True) if cat[0] == "M")
    return _class_body(upper), _class_body(marks)


def classes_module() -> str:
    """The text of ie_dsl/text/_unicode_classes.py for this Python's Unicode database."""
    upper, mark = unicode_classes()
    return (
        '"""Character classes for the tokenizer, from ie_dsl.text.segment.unicode_classes(). Regenerate:\n'
        "python -c \"import ie_dsl.text.segment as t; print(t.classes_module(), end='')\" \\\n"
        '    > ie_dsl/text/_unicode_classes.py\n"""\n\n# ruff: noqa: E501\n\n'
        f"UNIDATA_VERSION = {unicodedata.unidata_version!r}\nUPPER = {upper!r}\nMARK = {mark!r}\n"
    )


# Scanning the BMP costs ~20 ms, a tenth of start-up: the classes are stored for the Unicode
# version they were made from (tests/test_segmentation.py checks them) and computed otherwise.
if _classes.UNIDATA_VERSION == unicodedata.unidata_version:
    _UPPER, _MARK_BODY = _classes.UPPER, _classes.MARK
else:  # pragma: no cover - another Python's Unicode database
    _UPPER, _MARK_BODY = unicode_classes()
# Combining marks are not \w in Python, yet they belong to the letter before them ("e\u0301",
# Devanagari vowel signs).  Soft hyphen and ZWNJ/ZWJ also occur inside words (Persian, emoji).
_MARK = _MARK_BODY + "\u00ad\u200c\u200d"
# Separators: whitespace plus C0/C1 controls and invisible format characters.  These are never
# (part of) a token, so they are excluded from the catch-all single-character token.
_SEP = r"\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"

_W = r"[^\W_]"  # a letter or digit (Unicode); underscore is punctuation here
_CLITIC = r"(?i:s|re|ve|ll|d|m|t)(?![^\W_])"
_APOS = "'\u2019"

# Abbreviations that keep their period.  Titles never end a sentence; the others end one only
# when the next token is a common sentence starter (e.g. "... Acme Corp. The company ...").
_TITLES = "Mr Mrs Ms Dr Prof Gen Lt Col Maj Capt Sgt Adm Gov Sen Rep Rev Messrs Hon Pres".split()
_OTHER_ABBREVS = (
    "St Mt Jr Sr Inc Co Corp Ltd Bros vs etc Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
).split()
_NEVER_SPLIT = frozenset(
    [w + "." for w in _TITLES]
    + [w.upper() + "." for w in _TITLES]
    + ["No.", "NO.", "vs.", "e.g.", "i.e.", "E.g.", "I.e.", "cf.", "approx."]
)
# Abbreviations whose period also ends the sentence when the sentence ends with them ("... of
# Acme Inc."): there the token is split into the word and a full stop, so that `inc` matches
# it and the full stop stays out of what a rule captures (titles never end a sentence).
FINAL_ABBREVIATIONS = frozenset(
    [w + "." for w in _OTHER_ABBREVS] + [w.upper() + "." for w in _OTHER_ABBREVS if w[0].isupper()]
) - _NEVER_SPLIT
_CLOSER_TOKENS = frozenset("\u201d\"\u2019')]}\u00bb")
_STARTERS = frozenset(
    "The A An He She It They We I This That These Those In On At But And However Meanwhile "
    "There His Her Its Their Our".split()
)


_Trie = dict[str, "_Trie"]


def _trie_regex(words: list[str]) -> str:
    """Factor a word list into a prefix-trie regex, so sre tests one branch per first letter
    instead of ~80 alternatives at every token start."""
    trie: _Trie = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        optional = "" in node
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if optional:
            body = ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return emit(trie)


_ABBREV_WORDS = (
    _TITLES
    + [w.upper() for w in _TITLES]
    + _OTHER_ABBREVS
    + [w.upper() for w in _OTHER_ABBREVS if w[0].isupper()]
    + ["cf", "approx"]
)

_TOKEN_ALTS = [
    # Fast path for the common case (~90% of tokens): a plain letter/digit run followed by
    # nothing that one of the special rules below might want (period, apostrophe, mark, "@",
    # ",digit", "://").  The lookahead also rejects every shorter prefix of the run, so this
    # cannot cut a word short; rejected words fall through to the full rules.
    rf"{_W}+(?![\w.@+\-{_APOS}{_MARK}]|,\d|:/)",
    # Punctuation that begins no other rule below: what the catch-all would match, found
    # without trying the ten rules in between (a "." or "-" only when not "..." or "--").
    rf"(?:[,;:!?()\[\]{{}}\"$%/&*+=<>|~^`\u201c\u201d]|\.(?!\.\.)|-(?!-))[{_MARK}]*",
    # URLs: never end in sentence punctuation or a closing bracket/quote.
    r"(?:https?://|ftp://|www\.)[^\s<>\"'\u201c\u201d\u2018\u2019]*"
    r"[^\s<>\"'\u201c\u201d\u2018\u2019.,;:!?)\]}]",
    # e-mail addresses.  The lookbehind lets the local part start only at the start of a
    # [\w.+-] run, so "ab.cd.ef..." is scanned once, not once per token (linear, not quadratic).
    r"(?<![\w.+-])[^\W_][\w.+-]*@[^\W_][\w-]*(?:\.[\w-]+)+",
    # @handles and #hashtags.
    r"[@#]\w+",
    # Numbers with thousands separators / decimals: 6,500  3.5  1,234.56 (plain digits are words).
    r"\d+(?:[.,]\d+)+",
    # Acronyms with periods: U.S.  e.g.  a.m.
    r"(?:[^\W\d_]\.){2,}",
    # Listed abbreviations; "No." only before a number so "said no." is untouched.
    r"No\.(?=\s*\d)|(?:" + _trie_regex(sorted(set(_ABBREV_WORDS))) + r")\.",
    # Single capital initial followed by a capitalized word: "J. Smith".
    rf"[{_UPPER}]\.(?=\s+[{_UPPER}])",
    # Words: letters/digits with combining marks; an internal apostrophe stays only if what
    # follows is not a clitic (O'Brien, o'clock).
    rf"{_W}+(?:[{_MARK}]+{_W}*|[{_APOS}](?!{_CLITIC}){_W}+)*",
    # Clitics split off a word: 's 're 've 'll 'd 'm, and 't (repaired to n't below).
    rf"(?<={_W})[{_APOS}]{_CLITIC}",
    # Multi-character punctuation.
    r"\.{3,}|-{2,}",
    # Anything else: one character (plus any combining marks riding on it).
    rf"[^{_SEP}][{_MARK}]*",
]
# Leading separators are captured as their own group so that re.split() consumes them inside
# the match (one search step per token instead of one per whitespace character) while their
# length is still counted for the offsets.
_TOKEN_RE = re.compile(f"([{_SEP}]*)(" + "|".join(_TOKEN_ALTS) + ")")
# Every separator character as a plain string, for str.rstrip().
_SEP_CHARS = "".join(re.findall(f"[{_SEP}]", "".join(map(chr, range(0x3000)))) + ["\u3000", "\ufeff"])
# "didn't": the word rule stops at "didn", the clitic rule takes "'t"; move the "n" across.
# The pattern starts with a literal class so sre can skip ahead quickly.
_NT_RE = re.compile(rf"[nN][{_APOS}][tT](?!{_W})")


def _token_lists(text: str) -> tuple[list[int], list[int], list[str]]:
    """Token start and end offsets of ``text`` and the tokens' texts (document order)."""
    # split() yields [gap, separators, token] per match plus a final gap.  Every non-separator
    # character is inside some token, so gaps are empty except for trailing separators, and the
    # cumulative part lengths are exactly the token offsets -- no match object per token.
    # Trailing separators are stripped first: at the very end the match fails and sre would
    # retry from every trailing separator, which is quadratic in their number.
    parts = _TOKEN_RE.split(text.rstrip(_SEP_CHARS))
    cum = list(accumulate(map(len, parts)))
    starts = cum[1::3]
    ends = cum[2::3]
    texts = parts[2::3]
    if "'" in text or "\u2019" in text:
        for m in _NT_RE.finditer(text):
            n_pos = m.start()
            k = bisect_left(starts, n_pos + 1)  # the "'t" token
            if (
                k < len(starts)
                and starts[k] == n_pos + 1
                and ends[k] == n_pos + 3
                and k > 0
                and ends[k - 1] == n_pos + 1
                and starts[k - 1] < n_pos
            ):
                ends[k - 1] = n_pos
                starts[k] = n_pos
                texts[k - 1] = text[starts[k - 1] : n_pos]
                texts[k] = text[n_pos : ends[k]]
    return starts, ends, texts


def tokenize(text: str) -> list[tuple[int, int]]:
    """Token spans of a short string with the same token rules as segment() (no sentence logic).
    Used to tokenize rule literals and lexicon entries exactly as documents are tokenized."""
    starts, ends, _texts = _token_lists(text)
    return list(zip(starts, ends, strict=True))


# Folded characters and their replacements, position by position.
_NORM_TABLE = str.maketrans(
    "\u2018\u2019\u201a\u201b\u2032"  # curly / low / reversed single quotes, prime
    "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"  # curly double quotes, double prime, guillemets
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212",  # hyphen .. em dash, horizontal bar, minus
    "'" * 5 + '"' * 7 + "-" * 7,
)


_CLITIC_START = re.compile(r"^(?:['’]|n['’]t\b)", re.IGNORECASE)


_ONE_WORD = re.compile(f"{_W}+").fullmatch


def plain_word(text: str) -> bool:
    """Is `text` one run of letters and digits and nothing else? Then it is one token, itself:
    the first rule of _TOKEN_RE takes it whole (its look-ahead has nothing after it to refuse)."""
    return _ONE_WORD(text) is not None


def literal_tokens(text: str) -> list[str]:
    """The token texts a rule literal or lexicon entry stands for.

    As tokenize(), except that a literal that is itself a clitic ('s, ’s, n't) is read
    as it would be after a word, where the document tokenizer splits it off as one token.
    """
    if _ONE_WORD(text) is not None:  # most literals (issue 15, F3: 100,000 of them, 3x faster)
        return [text]
    return list(_literal_tokens(text))


def forget_literals() -> None:
    """Drop the literals remembered while a rule set was compiled (pipeline does, when done):
    a large lexicon's aliases would otherwise stay in memory for the process's life."""
    _literal_tokens.cache_clear()


@lru_cache(maxsize=1 << 17)  # checking and lowering both read every literal of a rule set
def _literal_tokens(text: str) -> tuple[str, ...]:
    if _CLITIC_START.match(text):
        spans = tokenize("do" + text)[1:]
        return tuple(text[s - 2 : e - 2] for s, e in spans)
    return tuple(text[s:e] for s, e in tokenize(text))


def norm(token_text: str) -> str:
    """Case-insensitive matching form: lower-cased, curly apostrophes/quotes folded to ' and ",
    dashes (‐ ‑ ‒ – — ― −) folded to '-'.  Same length as the input is not guaranteed."""
    return token_text.lower().translate(_NORM_TABLE)


def norms(texts: list[str]) -> list[str]:
    """[norm(t) for t in texts], in three C-level passes instead of a call per token: lower()
    of the tokens joined by NUL is the tokens' own lower() (NUL is not cased, so even the
    final sigma, whose lower case depends on its neighbours, sees a token boundary)."""
    joined = "\0".join(texts)
    if "\0" in joined and len(texts) - 1 != joined.count("\0"):  # a token holds a NUL
        return [norm(t) for t in texts]
    return joined.lower().translate(_NORM_TABLE).split("\0") if texts else []


# --------------------------------------------------------------------------------------------
# Paragraphs and sentences.

_NL = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BREAK_RE = re.compile(rf"[{_NL}]\s*")  # a line break and the whitespace after it
_LINE_RE = re.compile(rf"\r\n|[{_NL}]")
_CLOSERS = "\u201d\"\u2019')]}\u00bb"
_FINAL = ".!?:;\u2026"
# Sentence-end candidates: terminal punctuation, closing quotes/brackets, whitespace, then a
# sentence opener.  Only these positions get Python-level inspection.
_SENT_RE = re.compile(
    # Only the LAST terminal character of a run can match (the next char must be a closer or
    # whitespace), which keeps long runs like "!!!!" linear and lets sre skip ahead by charset.
    r"[.!?\u2026][" + re.escape(_CLOSERS) + r"]*"
    rf"(?=\s+[{_UPPER}\d\"'\u201c\u2018(\[{{\u00ab\u00bf\u00a1])"
)


def _paragraph_cuts(text: str, starts: list[int]) -> list[int]:
    """Token indices at which a new paragraph begins (excluding 0), ascending."""
    cuts: list[int] = []
    for m in _BREAK_RE.finditer(text):
        b, e = m.span()
        if e >= len(text):
            continue
        if len(_LINE_RE.findall(m.group())) < 2:
            # Single line break: a hard wrap (joined) when the previous line lacks final
            # punctuation and the next line starts lower-case.
            i = b - 1
            while i >= 0 and (text[i] in _CLOSERS or text[i].isspace()):  # short trailing run
                i -= 1
            if i < 0:
                continue
            if text[i] not in _FINAL and text[e].islower():
                continue
        k = bisect_left(starts, e)
        if 0 < k < len(starts) and (not cuts or cuts[-1] != k):
            cuts.append(k)
    return cuts


def _sentence_cuts(text: str, starts: list[int], ends: list[int]) -> list[int]:
    """Token indices at which a new sentence begins inside paragraphs (excluding 0)."""
    cuts: list[int] = []
    n = len(starts)
    for m in _SENT_RE.finditer(text):
        last, p = m.span()  # last terminal character; end of the closing quotes
        k = bisect_left(ends, p)  # token ending exactly at p (p is followed by whitespace)
        if k + 1 >= n or ends[k] != p:
            continue
        j = bisect_right(starts, last) - 1  # token holding the terminal character
        if starts[j] < last and text[starts[j]].isalpha():
            # The period belongs to a longer token: an abbreviation, acronym or initial.  Titles
            # never end a sentence; the others only before a common sentence starter.
            if text[starts[j] : ends[j]] in _NEVER_SPLIT:
                continue
            if text[starts[k + 1] : ends[k + 1]] not in _STARTERS:
                continue
        cuts.append(k + 1)
    return cuts


def _final_periods(texts: list[str], cuts: list[int]) -> list[int]:
    """The tokens that are a listed abbreviation ending a sentence (FINAL_ABBREVIATIONS),
    before any closing quotes or brackets; `cuts` are the sentences' ends, ascending."""
    out: list[int] = []
    first = 0
    for cut in cuts:
        k = cut - 1
        while k > first and texts[k] in _CLOSER_TOKENS:
            k -= 1
        if texts[k] in FINAL_ABBREVIATIONS:
            out.append(k)
        first = cut
    return out


def _split_periods(
    splits: list[int], starts: list[int], ends: list[int], texts: list[str]
) -> tuple[list[int], list[int], list[str]]:
    """The token lists with each token of `splits` (ascending) cut before its last character."""
    new_starts: list[int] = []
    new_ends: list[int] = []
    new_texts: list[str] = []
    at = 0
    for k in splits:
        new_starts += starts[at:k]
        new_ends += ends[at:k]
        new_texts += texts[at:k]
        new_starts += [starts[k], ends[k] - 1]
        new_ends += [ends[k] - 1, ends[k]]
        new_texts += [texts[k][:-1], "."]
        at = k + 1
    return new_starts + starts[at:], new_ends + ends[at:], new_texts + texts[at:]


Tokens = tuple[list[int], list[int], list[str]]  # token starts, ends and texts, in order


def tokens(text: str) -> Tokens:
    """The tokens of ``text`` as segment() begins with them (it may then cut a sentence-final
    abbreviation in two: ``token_words`` says what they can be)."""
    return _token_lists(text)


def token_words(texts: list[str], token_norms: list[str]) -> set[str]:
    """The norms of `texts` (`token_norms`) and of the two pieces segment() may cut each
    sentence-final abbreviation into ("Inc." -> "inc", "."): every norm the document's tokens
    can have."""
    words = set(token_norms)
    cut = FINAL_ABBREVIATIONS.intersection(texts)
    if cut:
        words.update(norm(t[:-1]) for t in cut)
        words.add(".")
    return words


def segment(text: str, tokens: Tokens | None = None) -> Segmentation:
    """Split ``text`` into tokens, sentences and paragraphs.  Never raises on a ``str``; empty or
    whitespace-only text gives empty lists.  All offsets index into ``text``. `tokens`:
    ``tokens(text)``, if the caller has them already (they are not changed)."""
    starts, ends, texts = _token_lists(text) if tokens is None else tokens
    n = len(starts)
    sentences: list[Sentence] = []
    paragraphs: list[Paragraph] = []
    if not n:
        return Segmentation(text, starts, ends, sentences, paragraphs, texts)
    pcuts = _paragraph_cuts(text, starts)
    scuts = sorted(set(_sentence_cuts(text, starts, ends)).union(pcuts))
    scuts.append(n)
    splits = [] if FINAL_ABBREVIATIONS.isdisjoint(texts) else _final_periods(texts, scuts)
    if splits:  # "... Acme Inc." ends in "Inc" and "."; the cuts after each move one on
        starts, ends, texts = _split_periods(splits, starts, ends, texts)
        n = len(starts)
        pcuts = [c + bisect_left(splits, c) for c in pcuts]
        scuts = [c + bisect_left(splits, c) for c in scuts]
    pcut_iter = iter(pcuts + [n])
    next_pcut = next(pcut_iter)
    first = 0
    para_first_sent = 0
    for cut in scuts:
        if cut == first:
            continue
        sentences.append(Sentence(starts[first], ends[cut - 1], len(paragraphs), first, cut))
        if cut == next_pcut:
            para_start = sentences[para_first_sent].start
            paragraphs.append(Paragraph(para_start, ends[cut - 1], para_first_sent, len(sentences)))
            para_first_sent = len(sentences)
            next_pcut = next(pcut_iter, n)
        first = cut
    return Segmentation(text, starts, ends, sentences, paragraphs, texts)
