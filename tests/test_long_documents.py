"""Documents over CHUNK_CHARS are matched piece by piece (runtime.iter_extract): the statements
must be those of the same text matched whole, with exact offsets; and dense matches in a long
sentence must not cost a copy of the sentence per statement.

CHUNK_CHARS is lowered here (monkeypatch) so that small documents are split and the tests
stay fast; `whole` matches with it out of reach.
"""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import ie_dsl.run.runtime as rt
from ie_dsl import compile_rules
from ie_dsl.run.statement import Arg, RuleRef, SentenceRef, Span, Statement, Via, When, to_dict
from ie_dsl.text.segment import segment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack():
    return compile_rules([ROOT / "rules"])


def whole(book: Any, text: str, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> list[dict[str, Any]]:
    """The statements of `text` matched in one piece."""
    with monkeypatch.context() as m:
        m.setattr(rt, "CHUNK_CHARS", len(text) + 1)
        return book.extract("d", text, **kw)


def parts(st: dict[str, Any]) -> list[dict[str, Any]]:
    """Every part of a statement that has offsets: span aside, each has its text."""
    out = [st["sentence"], st.get("when")]
    for arg in st["args"].values():
        out += [arg, arg.get("via")]
    return [p for p in out if p is not None and "start" in p]


def moved(arg: dict[str, Any], offset: int) -> dict[str, Any]:
    """A serialised argument with its offsets (and its via's) moved by `offset`."""
    out = {**arg, "start": arg["start"] + offset, "end": arg["end"] + offset}
    if "via" in arg:
        out["via"] = {**arg["via"], "start": arg["via"]["start"] + offset, "end": arg["via"]["end"] + offset}
    return out


def assert_exact(text: str, statements: list[dict[str, Any]]) -> None:
    for st in statements:
        for p in parts(st):
            assert text[p["start"] : p["end"]] == p["text"], (st["rule"]["name"], p)
        # a match's sentence is the one it starts in (a paragraph or window match goes on)
        assert st["sentence"]["start"] <= st["span"]["start"] < st["sentence"]["end"]
        assert st["span"]["start"] < st["span"]["end"] <= len(text)


def split(monkeypatch: pytest.MonkeyPatch, text: str, size: int, sentences: bool = False) -> list[int]:
    """Lower CHUNK_CHARS to `size` and return the offsets of text's pieces (more than one)
    when cut between paragraphs (or sentences)."""
    monkeypatch.setattr(rt, "CHUNK_CHARS", size)
    offsets = [o for o, _piece in rt.chunks(text, size, sentences)]
    assert len(offsets) > 1
    return offsets


FILLER = "Nothing happened here today. " * 20 + "\n\n"  # 582 characters, one paragraph


def test_when_is_shifted_to_the_whole_document(pack, monkeypatch):
    # F4 (a): `when` kept the piece's offsets
    from datetime import date

    text = FILLER * 4 + "The CSTO warned on Thursday of terrorist groups operating in Afghanistan.\n"
    expected = whole(pack, text, monkeypatch, doc_date=date(2024, 2, 15))
    split(monkeypatch, text, 1000)
    got = pack.extract("d", text, doc_date=date(2024, 2, 15))
    assert got == expected and list(pack.iter_extract("d", text, doc_date=date(2024, 2, 15))) == expected
    (st,) = got
    assert st["when"]["text"] == "Thursday" and st["when"]["start"] == text.index("Thursday")
    assert_exact(text, got)


def test_an_argument_shared_by_statements_is_shifted_once(pack, monkeypatch):
    # F4 (b): attribution gives both statements Lavrov's organization, one dict; it moved twice
    text = (
        "x " * 400
        + "\n\n"
        + "Greece's Sergei Lavrov warned of terrorist groups in Afghanistan.\n\n"
        + "The CSTO official said he warned of terrorist groups in Afghanistan.\n"
    )
    expected = whole(pack, text, monkeypatch)
    assert split(monkeypatch, text, 500) == [0, 802]
    got = pack.extract("d", text)
    assert got == expected and len(got) == 2
    assert [st["args"]["organization"]["text"] for st in got] == ["Greece", "Greece"]
    assert_exact(text, got)


def test_shifted_moves_every_offset_of_a_statement_and_leaves_it_as_it_was():
    org = Arg("Greece", "PLACE", start=0, end=6, via=Via("its", 20, 23))
    st = Statement(
        "d",
        "warn",
        "positive",
        (),
        (("organization", org), ("threat", Arg("x"))),  # an argument with no offsets keeps none
        Span(1, 2),
        SentenceRef("s", 0, 9),
        RuleRef("r", "f.ie", 1),
        when=When("2024-02-15", (("grain", "day"),), "Thursday", 3, 11),
    )
    moved = st.shifted(100)
    assert to_dict(moved)["args"] == {
        "organization": {
            "text": "Greece",
            "type": "PLACE",
            "start": 100,
            "end": 106,
            "via": {"text": "its", "start": 120, "end": 123},
        },
        "threat": {"text": "x"},
    }
    assert (moved.span, moved.sentence.start, moved.when and moved.when.start) == (Span(101, 102), 100, 103)
    assert st.span == Span(1, 2) and st.arg("organization") == org and st.shifted(0) is st


def test_a_paragraph_longer_than_a_piece_is_not_cut(book, monkeypatch):
    # F5: the piece was cut inside the paragraph (no blank line), and the match was lost
    b = book("rule para scope paragraph: alpha ...* omega\nrule near: filler words\n")
    text = "Intro.\n\nAlpha begins. " + "Filler words here. " * 200 + "Omega ends.\n\nAfter.\n"
    expected = whole(b, text, monkeypatch)
    assert [st["type"] for st in expected].count("para") == 1
    offsets = split(monkeypatch, text, 500)
    assert offsets == [0, 8, text.index("After")]  # the long paragraph is one piece
    got = b.extract("d", text)
    assert got == expected
    assert_exact(text, got)


def test_a_sentence_longer_than_a_piece_is_the_statements_sentence(book, monkeypatch):
    b = book("rule r: alpha omega\n")
    sentence = "Words " + "and more words " * 100 + "then alpha omega at last."
    text = "First paragraph here.\n\n" + sentence + "\n\nLast one.\n"
    expected = whole(b, text, monkeypatch)
    assert split(monkeypatch, text, 300, sentences=True) == [0, 23, text.index("Last")]
    (st,) = b.extract("d", text)
    assert [st] == expected
    assert st["sentence"]["text"] == sentence and text[st["sentence"]["start"] :].startswith(sentence)


def test_window_scope_and_entities_across_many_pieces_equal_the_whole(book, monkeypatch):
    b = book(
        "entity PAIR: alpha beta\n"
        "rule w scope window 2: PAIR ...{0,8} omega\n"
        "rule s: omega\n"
        "rule low priority 1 group g: gamma\n"
        "rule high priority 5 group g: gamma delta\n"
    )
    paragraphs = [
        "Alpha beta here. Then omega came.",
        "gamma delta and gamma again.",
        "Alpha beta. Omega!",
        "No match at all in this one.",
    ]
    text = "\n\n".join(paragraphs * 30) + "\n"
    lost_whole: list = []
    expected = whole(b, text, monkeypatch, overridden=lost_whole)
    split(monkeypatch, text, 120)
    lost: list = []
    got = b.extract("d", text, lost)
    assert got == expected and len(got) > 100
    assert lost == lost_whole and len(lost) == 30  # losers have whole-document offsets too
    assert_exact(text, got)
    assert_exact(text, lost)


def test_a_dateline_at_a_pieces_start_does_not_date_it(pack, monkeypatch):
    # only the document's own start is a dateline: a piece's start is not
    text = (
        "Nothing happened here today. " * 15
        + "\n\nFebruary 14, 2024\n\nThe CSTO warned on Thursday of terrorist groups in Afghanistan.\n"
    )
    expected = whole(pack, text, monkeypatch)
    assert split(monkeypatch, text, 450)[1] == text.index("February")
    got = pack.extract("d", text)
    assert got == expected and "when" not in got[0]


def test_attribution_looks_in_the_statements_piece_only(pack, monkeypatch):
    # A choice, documented in iter_extract: speakers and organizations are resolved within
    # the statement's piece (at least CHUNK_CHARS of whole paragraphs), as if the piece were
    # the document; "He" does not reach Lavrov, named in an earlier piece.
    p1 = "Russian Foreign Minister Sergei Lavrov arrived in Dushanbe on Monday.\n\n"
    p2 = "Delegations met in the capital for talks.\n\nHe warned of terrorist groups in Afghanistan.\n"
    text = p1 + p2
    (in_whole,) = whole(pack, text, monkeypatch)
    assert in_whole["args"]["speaker"]["text"] == "Sergei Lavrov"
    assert split(monkeypatch, text, 80) == [0, len(p1), text.index("He warned")]
    (got,) = pack.extract("d", text)
    assert "speaker" not in got["args"]
    (alone,) = whole(pack, text[len(p1) :], monkeypatch)  # the statement's piece, as a document
    assert got["args"] == {role: moved(a, len(p1)) for role, a in alone["args"].items()}
    assert_exact(text, [got])


def test_a_rule_set_with_a_scope_beyond_a_paragraph_is_matched_whole(book, monkeypatch):
    b = book("rule para scope paragraph: alpha ...* omega\n")
    text = "Alpha begins.\n\n" + "Filler words here.\n\n" * 50 + "Omega ends.\n"
    monkeypatch.setattr(rt, "CHUNK_CHARS", 100)
    monkeypatch.setattr(rt, "PARAGRAPH_SCOPES", frozenset({"sentence"}))  # as if paragraphs could be cut

    def no_chunks(text: str, size: int):
        raise AssertionError("split")

    monkeypatch.setattr(rt, "chunks", no_chunks)
    assert b.extract("d", text) == [] and list(b.iter_extract("d", text)) == []


def _segmented(text: str, char: int = 0, token: int = 0, paragraphs: bool = True) -> tuple[list, ...]:
    seg = segment(text)
    return (
        [(s + char, e + char) for s, e in zip(seg.starts, seg.ends, strict=True)],
        [(s.start + char, s.end + char, s.first_token + token, s.end_token + token) for s in seg.sentences],
        [p.start + char for p in seg.paragraphs] if paragraphs else [],
    )


ATOMS = ["a", "Word", "J.", "No.", "5", "U.S.", "Mr.", ".", "!", "didn't", "e.g.", ","]
ATOMS += ['"', "”", ")", "(", "“"]
SPACES = [" ", " ", " ", "\n", "\n\n", "\r\n", " \n", "\t", "\u2028", "\x0c"]


@pytest.mark.parametrize("sentences", [False, True])
@pytest.mark.parametrize("seed", range(2))
def test_pieces_segment_as_the_whole_text(seed, sentences):
    # A cut is made only where segmenting apart gives what segmenting whole does: initials
    # ("J." before a capital), "No." before a number, "Mr." and "e.g." before a word, single
    # line breaks that are hard wraps, closing quotes after a line break, CRLF and the other
    # line breaks. Cut between sentences, the paragraphs may differ (no rule then uses them).
    rnd = random.Random(seed)
    for _ in range(120):
        text = "".join(rnd.choice(ATOMS) + rnd.choice(SPACES) for _ in range(rnd.randint(1, 100)))
        pieces = list(rt.chunks(text, rnd.randint(5, 120), sentences))
        assert "".join(piece for _o, piece in pieces) == text
        got: tuple[list, ...] = ([], [], [])
        for offset, piece in pieces:
            for mine, theirs in zip(got, _segmented(piece, offset, len(got[0]), not sentences), strict=True):
                mine.extend(theirs)
        assert got == _segmented(text, paragraphs=not sentences), (text, [o for o, _p in pieces])


def test_chunks_without_a_paragraph_break_is_one_piece():
    text = "one long line of words " * 100
    assert list(rt.chunks(text, 50)) == [(0, text)] == list(rt.chunks(text, 50, sentences=True))
    text = "Para one.\n\n" + "x" * 300 + "\n\nPara three.\n"
    assert [o for o, _p in rt.chunks(text, 50)] == [0, 11, 313]
    text = "First one here. Second one. Third, with Mr. Smith and J. Doe. Fourth.\n"
    assert [o for o, _p in rt.chunks(text, 20)] == [0]  # one paragraph
    assert [o for o, _p in rt.chunks(text, 20, sentences=True)] == [0, 16, 28, 62]


def test_a_sentence_scoped_rule_set_is_cut_between_sentences(book, pack, monkeypatch):
    # A run-on paragraph (a text with no line breaks) need not be one piece when every rule
    # stays in its sentence, as the shipped pack's do.
    assert rt._cut_between(pack.program) == "sentence"
    b = book("entity PAIR: alpha beta\nrule r: PAIR ...{0,3} omega\nrule s: omega\n")
    text = " ".join(["Alpha beta and omega.", "Then nothing.", "Omega alone!", "Alpha, beta, omega."] * 40)
    expected = whole(b, text, monkeypatch)
    offsets = split(monkeypatch, text, 100, sentences=True)
    assert len(offsets) > 20 and rt._cut_between(b.program) == "sentence"
    got = b.extract("d", text)
    assert got == expected and len(got) == 40 * 4
    assert_exact(text, got)


def test_the_statements_of_a_sentence_share_its_text(book):
    # F6: each statement held its own copy of the sentence
    b = book("rule r: a b\n")
    got = b.extract("d", "a b " * 500)
    assert len(got) == 500
    first = got[0]["sentence"]["text"]
    assert all(st["sentence"]["text"] is first for st in got)


def _peak(b: Any, text: str) -> int:
    tracemalloc.start()
    try:
        count = sum(1 for _st in b.iter_extract("d", text))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert count == text.count("a b")


def test_memory_for_a_dense_sentence_grows_with_the_sentence_not_its_square(book):
    # One sentence, a match every 4 characters. With a copy of the sentence per statement the
    # peak grew 12x for 4x the text (6 MB, 71 MB here; 1.6 GB for 80 KB); shared, about 4x
    # (1.8 MB, 6.7 MB: some 1.7 KB a statement).
    b = book("rule r: a b\n")
    _peak(b, "a b " * 100)  # warm up: caches filled once
    small, large = _peak(b, "a b " * 1000), _peak(b, "a b " * 4000)
    assert large < 7 * small, (small, large)
    assert large < 1_000 * len("a b " * 4000), large


def test_dedupe_still_drops_duplicates_from_other_rules(book):
    b = book("rule one group g1: a b => t()\nrule two group g2: a b => t()\nrule three: a => t()\n")
    got = b.extract("d", "a b. a b.")
    assert [st["rule"]["name"] for st in got] == ["three", "one", "three", "one"]
    assert json.dumps(got[1]["span"]) == '{"start": 0, "end": 3}'
