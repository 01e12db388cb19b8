"""Positions in rule files: SourceSpan (what nodes carry) and SourceFile (how to show one)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

BOM = "\ufeff"
# A line ends at LF, CRLF, or a CR alone (files saved with classic Mac line endings).
_BREAK = re.compile(r"\r\n?|\n")
_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A character range [start, end) in the file named `file` (0-based offsets)."""

    file: str
    start: int
    end: int


@dataclass(frozen=True)
class SourceFile:
    """A rule or lexicon file's text, able to turn offsets into 1-based line:col.

    `text` is the file's text without a leading byte-order mark: the mark is not part of
    what the user wrote (editors do not show it or count it in columns), so offsets, and
    therefore columns, are counted after it. Whoever reads the same file again and builds a
    SourceFile from it gets the same offsets.
    """

    path: str
    text: str
    _line_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.text.startswith(BOM):
            object.__setattr__(self, "text", self.text[len(BOM) :])
        starts = [0]
        starts.extend(m.end() for m in _BREAK.finditer(self.text))
        object.__setattr__(self, "_line_starts", starts)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of 1-based line `line`, without its line break."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def offset(self, line: int, col: int) -> int:
        """0-based offset of 1-based (line, col)."""
        line = max(1, min(line, len(self._line_starts)))
        return self._line_starts[line - 1] + col - 1


def lf_lines(text: str) -> str:
    """`text` with every CR that is not part of a CRLF turned into LF: the same length, so
    offsets into it are offsets into `text`, and the parser sees the line breaks the
    SourceFile counts (the grammar knows LF and CRLF only)."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text
