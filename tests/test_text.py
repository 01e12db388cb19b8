"""Tests for ie_dsl.text.segment: token rules, sentence/paragraph rules, invariants, seed articles."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ie_dsl.text.segment import FINAL_ABBREVIATIONS, Segmentation, norm, segment, tokenize

_CLOSERS = set("\u201d\"\u2019')]}\u00bb")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def toks(text: str) -> list[str]:
    return [text[s:e] for s, e in tokenize(text)]


def sents(text: str) -> list[str]:
    seg = segment(text)
    return [text[s.start : s.end] for s in seg.sentences]


def paras(text: str) -> list[str]:
    seg = segment(text)
    return [text[p.start : p.end] for p in seg.paragraphs]


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(prefix + "_*.txt")
    return path.read_text(encoding="utf-8")


def check_invariants(seg: Segmentation) -> None:
    text, starts, ends = seg.text, seg.starts, seg.ends
    n = len(starts)
    assert len(ends) == n
    prev_end = 0
    covered = [False] * len(text)
    for s, e in zip(starts, ends, strict=True):
        assert 0 <= s < e <= len(text)
        assert s >= prev_end, "tokens overlap or are out of order"
        assert not any(c.isspace() for c in text[s:e]), repr(text[s:e])
        prev_end = e
        covered[s:e] = [True] * (e - s)
    # Nothing but separators (whitespace, controls, invisible format chars) is left untokenized.
    for i, c in enumerate(text):
        if not covered[i]:
            assert c.isspace() or unicodedata.category(c) in ("Cc", "Cf"), repr(c)
    # Sentences: contiguous partition of the tokens, non-empty, trimmed, ordered.
    expect_tok = 0
    prev = -1
    for si, sent in enumerate(seg.sentences):
        assert sent.first_token == expect_tok
        assert sent.end_token > sent.first_token
        expect_tok = sent.end_token
        assert sent.start > prev
        assert sent.start < sent.end
        piece = text[sent.start : sent.end]
        assert piece == piece.strip()
        assert sent.start <= starts[sent.first_token] and ends[sent.end_token - 1] <= sent.end
        if sent.end_token < n:
            assert ends[sent.end_token - 1] <= sent.end <= starts[sent.end_token]
        prev = sent.end - 1
        para = seg.paragraphs[sent.paragraph]
        assert para.first_sentence <= si < para.end_sentence
        assert para.start <= sent.start and sent.end <= para.end
    assert expect_tok == n
    # Paragraphs: contiguous partition of the sentences, non-empty, trimmed, ordered.
    expect_sent = 0
    prev = -1
    for pi, para in enumerate(seg.paragraphs):
        assert para.first_sentence == expect_sent
        assert para.end_sentence > para.first_sentence
        expect_sent = para.end_sentence
        assert para.start > prev and para.start < para.end
        piece = text[para.start : para.end]
        assert piece == piece.strip()
        prev = para.end - 1
        for sent in seg.sentences[para.first_sentence : para.end_sentence]:
            assert sent.paragraph == pi
    assert expect_sent == len(seg.sentences)
    # tokenize() applies exactly the same token rules, but for the listed abbreviations that
    # end a sentence, which segment() splits into the word and a full stop.
    merged = list(zip(starts, ends, strict=True))
    for sent in reversed(seg.sentences):
        for k in range(sent.end_token - 1, sent.first_token, -1):
            pair = text[starts[k - 1] : ends[k]]
            if text[starts[k] : ends[k]] == "." and ends[k - 1] == starts[k] and pair in FINAL_ABBREVIATIONS:
                merged[k - 1 : k + 1] = [(starts[k - 1], ends[k])]
                after = seg.texts[k + 1 : sent.end_token]
                assert all(t in _CLOSERS for t in after), "split inside a sentence"
                break
    assert tokenize(text) == merged


# ------------------------------------------------------------------------------ token rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Afghanistan’s", ["Afghanistan", "’s"]),
        ("Central Asia's", ["Central", "Asia", "'s"]),
        ("didn't", ["did", "n't"]),
        ("can’t", ["ca", "n’t"]),
        ("groups'", ["groups", "'"]),
        ("o'clock", ["o'clock"]),
        ("O'Brien", ["O'Brien"]),
        (
            "they're we've we'll I'd I'm",
            ["they", "'re", "we", "'ve", "we", "'ll", "I", "'d", "I", "'m"],
        ),
        ("IT'S", ["IT", "'S"]),
    ],
)
def test_apostrophes_and_clitics(text: str, expected: list[str]) -> None:
    assert toks(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("al-Qaeda", ["al", "-", "Qaeda"]),
        ("Tajikistan-Afghanistan", ["Tajikistan", "-", "Afghanistan"]),
        ("Islamic State-Khorasan", ["Islamic", "State", "-", "Khorasan"]),
        ("cross-border", ["cross", "-", "border"]),
        ("2002-2004", ["2002", "-", "2004"]),
    ],
)
def test_hyphens_split(text: str, expected: list[str]) -> None:
    assert toks(text) == expected


def test_hyphen_joined_is_derivable() -> None:
    spans = tokenize("al-Qaeda and al - Qaeda")
    assert spans[0][1] == spans[1][0] and spans[1][1] == spans[2][0]  # written joined
    assert spans[4][1] < spans[5][0]  # written apart


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6,500", ["6,500"]),
        ("1,750 3.5 5.93 2023 55", ["1,750", "3.5", "5.93", "2023", "55"]),
        ("2nd 28th", ["2nd", "28th"]),
        ("10%", ["10", "%"]),
        ("$5", ["$", "5"]),
        ("in 2023.", ["in", "2023", "."]),
        ("6,500, then", ["6,500", ",", "then"]),
    ],
)
def test_numbers(text: str, expected: list[str]) -> None:
    assert toks(text) == expected


@pytest.mark.parametrize(
    "abbr",
    "Mr. Mrs. Ms. Dr. Prof. Gen. Lt. Col. Maj. Capt. Sgt. Adm. Gov. Sen. Rep. Rev. St. Mt. "
    "Jr. Sr. Inc. Co. Corp. Ltd. Bros. vs. etc. e.g. i.e. a.m. p.m. Jan. Feb. Mar. Apr. Jun. "
    "Jul. Aug. Sep. Sept. Oct. Nov. Dec.".split(),
)
def test_listed_abbreviations_keep_period(abbr: str) -> None:
    assert toks(f"{abbr} x") == [abbr, "x"]


def test_abbreviation_edge_cases() -> None:
    assert toks("No. 5") == ["No.", "5"]
    assert toks("said no.") == ["said", "no", "."]  # "No." only before a number
    assert toks("General") == ["General"]
    assert toks("Co") == ["Co"]


@pytest.mark.parametrize("acr", ["U.S.", "U.N.", "U.K.", "E.U.", "U.S.A."])
def test_acronyms_one_token(acr: str) -> None:
    assert toks(f"the {acr} said") == ["the", acr, "said"]


def test_single_initials() -> None:
    assert toks("J. Smith") == ["J.", "Smith"]
    assert toks("John F. Kennedy") == ["John", "F.", "Kennedy"]
    assert toks("Plan B.") == ["Plan", "B", "."]  # not followed by a capitalized word


def test_urls_emails_handles_hashtags() -> None:
    text = "See https://example.com/a?b=1&c=2. Mail john.doe-x@example.co.uk or @rasc_news #CSTO."
    assert toks(text) == [
        "See", "https://example.com/a?b=1&c=2", ".", "Mail", "john.doe-x@example.co.uk", "or",
        "@rasc_news", "#CSTO", ".",
    ]
    assert toks("(www.tolonews.com)") == ["(", "www.tolonews.com", ")"]


def test_punctuation_tokens() -> None:
    assert toks("wait... what… -- “q” ‘r’ (x) [y] {z} a–b — c") == [
        "wait", "...", "what", "…", "--", "“", "q", "”", "‘", "r", "’", "(", "x", ")",
        "[", "y", "]", "{", "z", "}", "a", "–", "b", "—", "c",
    ]
    assert toks('"quoted", yes!?') == ['"', "quoted", '"', ",", "yes", "!", "?"]


def test_unicode_words() -> None:
    assert toks("e\u0301te\u0301 naïve Straße") == ["e\u0301te\u0301", "naïve", "Straße"]
    assert toks("שלום עולם") == ["שלום", "עולם"]
    assert toks("हिन्दी") == ["हिन्दी"]  # vowel signs / virama are combining marks
    assert toks("a\x00b") == ["a", "b"]  # control characters separate, never tokens
    assert toks("x !\u0301") == ["x", "!\u0301"]  # a mark rides on the character before it


def test_long_word_is_one_token() -> None:
    # its speed is timed by benchmarks/growth.py (--cases long-word), not here
    word = "a" * 10_000
    assert tokenize(word) == [(0, 10_000)]
    assert segment(" " + word + " ").starts == [1]


@pytest.mark.parametrize(
    "text",
    [
        " " * 100_000,
        "x" + " " * 100_000,
        "ab." * 30_000,
        "." * 100_000 + "x",
        "!" + "'" * 100_000 + " A",
        "http://" + ")" * 100_000,
        "a-" * 50_000,
        "A. " * 30_000,
        "x\n" * 50_000,
        "word " * 1000 + "\n" * 50_000 + "word",
    ],
)
def test_pathological_inputs_segment_correctly(text: str) -> None:
    # linear time on these is measured by benchmarks/growth.py (--cases segment), not here
    check_invariants(segment(text))


def test_norm() -> None:
    assert norm("Afghanistan’s") == "afghanistan's"
    assert norm("“Q”") == '"q"'
    for dash in "‐‑‒–—−":
        assert norm(dash) == "-"
    assert norm("IS-KP") == "is-kp"


# --------------------------------------------------------------------- sentences, paragraphs


def test_empty_and_whitespace() -> None:
    for text in ["", "   ", "\n\n\t \r\n", "\x00\x01"]:
        seg = segment(text)
        assert seg.starts == [] and seg.ends == [] and seg.sentences == [] and seg.paragraphs == []


def test_basic_sentence_split() -> None:
    assert sents("He left. She stayed! Why? 5 came.") == [
        "He left.", "She stayed!", "Why?", "5 came.",
    ]


def test_no_split_after_titles_and_initials() -> None:
    assert sents("Gen. Andrey Serdyukov spoke. Mr. Smith left.") == [
        "Gen. Andrey Serdyukov spoke.", "Mr. Smith left.",
    ]
    assert sents("It ends Jan. 5 this year.") == ["It ends Jan. 5 this year."]
    assert sents("John F. Kennedy spoke.") == ["John F. Kennedy spoke."]
    assert sents("Gen. The Lord") == ["Gen. The Lord"]  # titles never end a sentence


def test_acronym_splits_only_before_common_starter() -> None:
    assert sents("He went to the U.S. Army base.") == ["He went to the U.S. Army base."]
    assert sents("He went to the U.S. The trip was long.") == [
        "He went to the U.S.", "The trip was long.",
    ]
    assert sents("Shares of Acme Corp. rose. Acme Corp. The firm said.") == [
        "Shares of Acme Corp. rose.", "Acme Corp.", "The firm said.",
    ]


def sentence_tokens(text: str) -> list[list[str]]:
    seg = segment(text)
    return [seg.texts[s.first_token : s.end_token] for s in seg.sentences]


def test_an_abbreviation_ending_a_sentence_is_the_word_and_a_full_stop() -> None:
    text = "Shares of Acme Corp. rose. Acme Corp. The firm bought Beta Inc.\n\nGamma Co. said etc."
    assert sentence_tokens(text) == [
        ["Shares", "of", "Acme", "Corp.", "rose", "."],  # inside a sentence: one token
        ["Acme", "Corp", "."],
        ["The", "firm", "bought", "Beta", "Inc", "."],  # at a paragraph's end
        ["Gamma", "Co.", "said", "etc", "."],  # at the text's end
    ]
    # the sentences and paragraphs themselves are what they were
    assert sents(text) == [
        "Shares of Acme Corp. rose.",
        "Acme Corp.",
        "The firm bought Beta Inc.",
        "Gamma Co. said etc.",
    ]
    assert paras(text) == [
        "Shares of Acme Corp. rose. Acme Corp. The firm bought Beta Inc.",
        "Gamma Co. said etc.",
    ]
    check_invariants(segment(text))


def test_only_listed_non_title_abbreviations_are_split() -> None:
    # before closing quotes too; titles, acronyms and initials are never split
    assert sentence_tokens("He said “we bought Acme Inc.” Then left.") == [
        ["He", "said", "“", "we", "bought", "Acme", "Inc.", "”", "Then", "left", "."]
    ]
    assert sentence_tokens("They sold Acme Inc.”") == [["They", "sold", "Acme", "Inc", ".", "”"]]
    assert sentence_tokens("He went to the U.S.") == [["He", "went", "to", "the", "U.S."]]
    assert sentence_tokens("Ask Gen.") == [["Ask", "Gen."]]
    assert sentence_tokens("Inc.") == [["Inc", "."]]
    assert sentence_tokens("ACME CORP.") == [["ACME", "CORP", "."]]


def test_quotes_and_brackets() -> None:
    assert sents("They said “we are ready.” It is over.") == [
        "They said “we are ready.”", "It is over.",
    ]
    assert sents("“It is over.” he said. Then he left.") == [
        "“It is over.” he said.", "Then he left.",
    ]
    assert sents('He said: "Go." "Now?" she asked.') == ['He said: "Go."', '"Now?" she asked.']
    assert sents("It rose (see above.) The end.") == ["It rose (see above.)", "The end."]
    assert sents("It ended. (Reporting by X)") == ["It ended.", "(Reporting by X)"]


def test_no_split_inside_numbers_urls_lowercase() -> None:
    assert sents("It grew 3.5 pct. at www.x.com today.") == ["It grew 3.5 pct. at www.x.com today."]
    assert sents("It grew 3.5 pct. Then fell.") == ["It grew 3.5 pct.", "Then fell."]
    assert sents("wait. lowercase continues") == ["wait. lowercase continues"]


def test_ellipsis_ends_sentence_before_capital() -> None:
    assert sents("He paused... Then spoke.") == ["He paused...", "Then spoke."]


def test_dateline_dash_is_not_a_boundary() -> None:
    assert sents("KABUL, AFGHANISTAN – The Taliban said on Monday.") == [
        "KABUL, AFGHANISTAN – The Taliban said on Monday."
    ]


def test_paragraph_rules() -> None:
    text = "Headline Without Period\nFirst para. Second sentence.\n\nThird para\nwraps here.\n"
    assert paras(text) == [
        "Headline Without Period",
        "First para. Second sentence.",
        "Third para\nwraps here.",
    ]
    # A line ending in final punctuation followed by lower case is still a new paragraph.
    assert paras("It ended.\nlower start") == ["It ended.", "lower start"]
    # Line followed by an upper-case line: headline is its own paragraph and sentence.
    assert sents("CSTO Warns\nThe group said.") == ["CSTO Warns", "The group said."]
    assert paras("a\r\n\r\nb") == ["a", "b"]
    assert paras("a\r\nb c") == ["a\r\nb c"]
    assert paras("one\u2029Two") == ["one", "Two"]


def test_sentence_records() -> None:
    text = "  A b. C d.\n\nE f.  "
    seg = segment(text)
    assert [(s.start, s.end, s.paragraph, s.first_token, s.end_token) for s in seg.sentences] == [
        (2, 6, 0, 0, 3), (7, 11, 0, 3, 6), (13, 17, 1, 6, 9),
    ]
    assert [(p.start, p.end, p.first_sentence, p.end_sentence) for p in seg.paragraphs] == [
        (2, 11, 0, 2), (13, 17, 2, 3),
    ]


# --------------------------------------------------------------------------- invariants


_POOL = (
    list("abcXYZéßøñ0123456789")
    + list(".,;:!?'\"()[]{}-–—…/\\@#$%&*+=<>_~|^`")
    + [" ", " ", " ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u2028", "\u3000"]
    + ["“", "”", "‘", "’", "«", "»"]
    + ["😀", "👍🏽", "👨\u200d👩", "\ufe0f", "\u0301", "\u0308", "\u093f"]
    + ["ש", "ל", "ו", "ם", "ع", "ر", "ب", "\u200f", "\u200e", "\u202e"]
    + ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\ufeff", "\ud800"]
    + [" U.S. ", " Mr. ", " Gen. ", " J. ", " n't", "'s ", "...", "--", "6,500", "3.5"]
    + ["http://a.b/c.", " x@y.org", " #tag", " @h", " The ", " the ", "\n\nA "]
)


def test_random_strings_keep_invariants() -> None:
    rng = random.Random(20240601)
    for _ in range(3000):
        text = "".join(rng.choice(_POOL) for _ in range(rng.randrange(0, 120)))
        check_invariants(segment(text))


def test_random_words_and_punctuation_keep_invariants() -> None:
    rng = random.Random(7)
    words = ["The", "army", "U.S.", "Dr.", "said", "6,500", "“Yes.”", "al-Qaeda", "…", "it’s"]
    for _ in range(500):
        parts = []
        for _ in range(rng.randrange(1, 60)):
            parts.append(rng.choice(words))
            parts.append(rng.choice([" ", " ", ". ", "! ", "\n", "\n\n", ", ", "? "]))
        check_invariants(segment("".join(parts)))


# ------------------------------------------------------------------------------ seed articles


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_invariants(path: Path) -> None:
    check_invariants(segment(path.read_text(encoding="utf-8")))


def test_seed_000_headline_and_long_sentence() -> None:
    text = seed("000")
    seg = segment(text)
    first = seg.sentences[0]
    assert text[first.start : first.end] == (
        "CSTO Joint Staff Chief Warns of 'Serious Threat' from Terrorist Groups in "
        "Afghanistan to Central Asia"
    )
    assert seg.paragraphs[0].end_sentence == 1  # the headline is a paragraph of its own
    expected = (
        "Andrey Serdyukov, chief of the Joint Staff of the Collective Security Treaty "
        "Organization (CSTO), warned on Thursday at a press conference that the presence of "
        "multiple international extremist and terrorist groups in Afghanistan poses a direct "
        "negative impact on Central Asia's security situation and could lead to the export of "
        "terrorism to neighboring countries."
    )
    assert sents(text)[1] == expected
    assert "More in International" in sents(text)


def test_seed_001_closing_quote_ends_sentence() -> None:
    got = sents(seed("001"))
    i = next(k for k, s in enumerate(got) if s.startswith("Russia also expressed"))
    assert got[i].endswith("“We are apprehensive that Afghanistan might become a haven for "
                           "terrorists.”")
    assert got[i + 1].startswith("It is important to note")
    assert "This program, initially slated for 2023, has been postponed to 2024." in got


def test_seed_002_quote_with_he_said() -> None:
    got = sents(seed("002"))
    assert (
        "“Emerging threats linked to instability in Afghanistan and its border regions require "
        "continuous monitoring and proactive measures,” he said."
    ) in got
    assert len(got) == 15


def test_seed_002_tokens() -> None:
    words = toks(seed("002"))
    assert ["Afghanistan", "’s", "security"] == words[words.index("’s") - 1 : words.index("’s") + 2]
    assert "cross-border" not in words
    i = words.index("cross")
    assert words[i : i + 3] == ["cross", "-", "border"]


def test_seed_003_blank_line_paragraphs() -> None:
    text = seed("003")
    got = paras(text)
    assert got[0] == "CSTO raises concerns over terrorist activity in Afghanistan"
    assert got[-1] == "CSTO raises concerns over terrorist activity in Afghanistan"
    assert len(got) == 10
    words = toks(text)
    i = words.index("Tajikistan", words.index("strengthen"))
    assert words[i : i + 3] == ["Tajikistan", "-", "Afghanistan"]
    assert "55" in words


def test_seed_004_dateline_and_tokens() -> None:
    text = seed("004")
    seg = segment(text)
    p0 = seg.paragraphs[0]
    assert text[p0.start :].startswith("ISLAMABAD, PAKISTAN –")
    assert p0.end_sentence - p0.first_sentence == 1
    assert text[p0.start : p0.end].endswith("border region with Central Asia.")
    words = [text[s:e] for s, e in zip(seg.starts, seg.ends, strict=True)]
    i = words.index("Khorasan")
    assert words[i - 3 : i + 1] == ["Islamic", "State", "-", "Khorasan"]
    assert "6,500" in words and "4,000" in words
    assert words[words.index("Al") : words.index("Al") + 3] == ["Al", "-", "Qaeda"]
    quote = next(s for s in sents(text) if s.startswith("“In particular"))
    assert quote.endswith("southern border,” Serdyukov said.")


def test_stored_unicode_classes_are_this_pythons():
    import unicodedata

    import ie_dsl.text._unicode_classes as stored
    from ie_dsl.text import segment as text

    if stored.UNIDATA_VERSION != unicodedata.unidata_version:
        pytest.skip("another Unicode version: text.py computes the classes itself")
    assert (stored.UPPER, stored.MARK) == text.unicode_classes()
    assert Path(stored.__file__).read_text(encoding="utf-8") == text.classes_module()
    everything = "".join(map(chr, range(0x10000)))
    assert sorted(text._SEP_CHARS) == sorted(re.findall(f"[{text._SEP}]", everything))
    # str.istitle() of one character is exactly "upper case or title case"
    assert all(c.istitle() == (c.isupper() or unicodedata.category(c) == "Lt") for c in everything)


@given(st.lists(st.text(max_size=12), max_size=30))
def test_norms_of_many_tokens_are_their_norms_one_by_one(tokens):
    from ie_dsl.text.segment import norm, norms

    assert norms(tokens) == [norm(t) for t in tokens]
