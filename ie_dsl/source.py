"""Positions in rule files: SourceSpan (what nodes carry) and SourceFile (how to show one)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A character range [start, end) in the file named `file` (0-based offsets)."""

    file: str
    start: int
    end: int


@dataclass(frozen=True)
class SourceFile:
    """A rule or lexicon file's text, able to turn offsets into 1-based line:col."""

    path: str
    text: str
    _line_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
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
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def offset(self, line: int, col: int) -> int:
        """0-based offset of 1-based (line, col)."""
        line = max(1, min(line, len(self._line_starts)))
        return self._line_starts[line - 1] + col - 1
