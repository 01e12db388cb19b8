"""Where a long document may be cut into pieces that are matched alone (runtime.iter_extract).

`chunks(text, size, sentences)` -> (offset, piece) pairs covering the text, cut only where a
paragraph (or a sentence) starts and where segmenting the two sides apart gives exactly what
segmenting the whole gives (a piece's statements are moved to the whole document's offsets
by run/statement.Statement.shifted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ie_dsl.text.segment import segment


def chunks(text: str, size: int, sentences: bool = False) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering `text` in order, cut only where a paragraph starts (or a
    sentence, if `sentences`): at the last such place within `size` characters of the
    piece's start, else (a paragraph or sentence longer than `size`) at the first one after;
    a text with none is one piece. A cut is made only where segmenting the two sides apart
    gives the tokens, sentences (and paragraphs) of the whole text (_cut_at), so every piece
    segments exactly as its part of the whole."""
    start = 0
    while len(text) - start > size:
        cut = next(_cuts(text, start, start + size, sentences, backward=True), None)
        if cut is None:
            cut = next(_cuts(text, start + size, len(text), sentences), None)
        if cut is None:
            break
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


# Where a paragraph may start: after a line break (those of text.segment); a sentence: also
# after a sentence's last character. Candidates only: a cut is checked by segmenting (_cut_at).
_NL = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CLOSING = "”\"’')]}»"
_FINAL = ".!?:;…"  # a line ending in one of these ends a paragraph (see text._paragraph_cuts)
_LINE_BREAK = re.compile(f"[{_NL}]")
_LINES = re.compile(f"\r\n|[{_NL}]")
_BREAK_OR_END = re.compile(rf"[{_NL}]|[.!?…][{re.escape(_CLOSING)}]*(?=\s)")
_SPACES = re.compile(r"\s*")
_SPACE = re.compile(r"\s")
# A piece may start with one of these (or a letter or a digit): not a closing quote or
# bracket, over which segment() looks back from the next line break.
_OPENING = "“‘«„([{¿¡•*#-–—"
MARGIN = 256  # characters either side of a cut that are segmented to check it


def _cuts(text: str, lo: int, hi: int, sentences: bool, backward: bool = False) -> Iterator[int]:
    """Where `text` may be cut (see _cut_at), after the line breaks (and sentence ends, if
    `sentences`) in [lo, hi): from the last one back if `backward`, else from the first on.
    Always past `lo`."""
    if backward:
        blocks = ((max(lo, b - 65536), b) for b in range(hi, lo, -65536))
    else:
        blocks = ((a, min(hi, a + 65536)) for a in range(lo, hi, 65536))
    found = _BREAK_OR_END if sentences else _LINE_BREAK
    last = -1
    for a, b in blocks:
        marks = [m.end() for m in found.finditer(text, a, b)]
        for at in reversed(marks) if backward else marks:
            end = _SPACES.match(text, at).end()  # the end of the whitespace after the mark
            if end == last or end <= lo:
                continue
            last = end
            run = end
            while run > 0 and text[run - 1].isspace():
                run -= 1
            if _may_start(text, run, end, sentences):
                cut = _cut_at(text, run, end, sentences)
                if cut is not None:
                    yield cut


def _may_start(text: str, run: int, end: int, sentences: bool) -> bool:
    """Quickly: might a paragraph (or a sentence, if `sentences`) start at `end`, after the
    whitespace text[run:end]? Not after a single line break between a line not ending a
    sentence and one starting in lower case (a hard wrap: the commonest line break in
    running text), nor after a space before a lower-case word, nor before a closing quote or
    bracket (see _OPENING)."""
    if end >= len(text) or run == end or not (text[end].isalnum() or text[end] in _OPENING):
        return False
    if not text[end].islower():
        return True
    first = _LINE_BREAK.search(text, run, end)
    if first is None:
        return False
    if len(_LINES.findall(text, first.start(), end)) > 1:
        return True
    i = first.start() - 1
    while i >= 0 and (text[i] in _CLOSING or text[i].isspace()):
        i -= 1
    return i >= 0 and text[i] in _FINAL


def _cut_at(text: str, run: int, end: int, sentences: bool) -> int | None:
    """`end` (after text[run:end], whitespace) if a paragraph of `text` starts there (or a
    sentence, if `sentences`), and text[:end] and text[end:] segmented apart give exactly the
    tokens and sentences (and paragraphs, unless `sentences`) of the text segmented whole;
    else None.

    Checked on the text around the cut: from the last whitespace at least MARGIN characters
    before the run (tokens are read from there on as in the whole text) to MARGIN characters
    after it. Segmentation looks across a cut only over that run and what is next to it: a
    single line break ends a paragraph or not by the last character of its line (past
    closing quotes) and the first of the next; a sentence ends by the word after it; "J."
    before a capitalized word is an initial, "No." before a number an abbreviation.
    """
    left = run - MARGIN
    if left > 0:  # start after a whitespace: a token is never read from its middle
        spaces = [m.end() for m in _SPACE.finditer(text, max(0, left - 16 * MARGIN), left)]
        if not spaces:
            return None  # no whitespace in 4 KB: not text, not worth a cut
        left = spaces[-1]
    left = max(0, left)
    window = text[left : end + MARGIN]
    at = end - left
    whole, before, after = segment(window), segment(window[:at]), segment(window[at:])
    if not after.sentences or after.sentences[0].start != 0:
        return None
    bounds = [(s.start, s.end) for s in before.sentences] + [
        (s.start + at, s.end + at) for s in after.sentences
    ]
    same = (
        whole.starts == before.starts + [s + at for s in after.starts]
        and whole.ends == before.ends + [e + at for e in after.ends]
        and [(s.start, s.end) for s in whole.sentences] == bounds
    )
    if same and not sentences:
        paragraphs = [p.start for p in before.paragraphs] + [p.start + at for p in after.paragraphs]
        same = [p.start for p in whole.paragraphs] == paragraphs
    return end if same else None
