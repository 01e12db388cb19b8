"""Load YAML safely and keep positions: rule files and lexicons come through here.

Only plain data is built (no tags, no object construction). Aliases, duplicate keys and
nesting deeper than MAX_DEPTH are refused with a located diagnostic: the first is an
expansion bomb, the second silently loses data, the third crashes PyYAML (RecursionError)
or libyaml (segfault).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.source import SourceFile, SourceSpan

MAX_DEPTH = 32
MAX_BYTES = 10_000_000


class LocDict(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers where each key's value is (`where(key)`)."""

    node: Node
    value_nodes: dict[str, Node]

    def where(self, key: str) -> Node:
        return self.value_nodes.get(key, self.node)


class LocList(list):  # type: ignore[type-arg]
    """A YAML sequence that remembers where each item is (`nodes[i]`)."""

    node: Node
    nodes: list[Node]


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting while composing."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in rule files", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def span_of(node: Node, path: str) -> SourceSpan:
    """The span of a YAML node in its file."""
    return SourceSpan(path, node.start_mark.index, max(node.end_mark.index, node.start_mark.index + 1))


_PLAIN_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}


def _convert(node: Node, path: str, loader: _Loader) -> Any:
    if node.tag not in _PLAIN_TAGS:  # !!python/object and friends: refused, never built
        raise IEDslError(
            [
                Diagnostic(
                    "E120",
                    f"YAML tag {node.tag!r} is not allowed",
                    span_of(node, path),
                    "rule files hold plain strings, numbers, lists and mappings",
                )
            ]
        )
    if isinstance(node, ScalarNode):
        value = loader.construct_object(node)
        return value
    if isinstance(node, SequenceNode):
        out = LocList(_convert(child, path, loader) for child in node.value)
        out.node, out.nodes = node, list(node.value)
        return out
    if isinstance(node, MappingNode):
        out_d = LocDict()
        out_d.node, out_d.value_nodes = node, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out_d:
                raise IEDslError(
                    [
                        Diagnostic(
                            "E120",
                            f"duplicate key {key!r}",
                            span_of(key_node, path),
                            "each key may appear once in a mapping; the earlier value would be lost",
                        )
                    ]
                )
            out_d[key] = _convert(value_node, path, loader)
            out_d.value_nodes[key] = value_node
        return out_d
    raise IEDslError([Diagnostic("E121", "unsupported YAML node", span_of(node, path))])


_C_LOADER = getattr(yaml, "CSafeLoader", None)
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")


def _fast_loader(source: SourceFile) -> Any:
    """libyaml's loader (several times faster), once its events show no alias and no
    nesting deeper than MAX_DEPTH; None where libyaml is missing or must not see the text
    (an unbalanced run of brackets: libyaml crashes on very deep flow nesting)."""
    if _C_LOADER is None:
        return None
    depth = 0
    for m in _FLOW_BRACKETS.finditer(source.text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > 1000:
            return None
    depth = 0
    for event in yaml.parse(source.text, Loader=_C_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in rule files", event.start_mark
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return _C_LOADER(source.text)


def load_yaml(source: SourceFile) -> Any:
    """Parse YAML text into plain data (LocDict/LocList/scalars). Raises IEDslError."""
    if len(source.text) > MAX_BYTES:
        raise IEDslError(
            [Diagnostic("E402", f"file larger than {MAX_BYTES} bytes", SourceSpan(source.path, 0, 1))]
        )
    loader = None
    try:
        loader = _fast_loader(source) or _Loader(source.text)
        node = loader.get_single_node()
        if node is None:
            return None
        return _convert(node, source.path, loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        offset = mark.index if mark is not None else 0
        message = (err.problem or err.context or "invalid YAML").strip()
        raise IEDslError(
            [
                Diagnostic(
                    "E120",
                    f"YAML: {message}",
                    SourceSpan(source.path, offset, offset + 1),
                    "check indentation and quoting around this point",
                )
            ]
        ) from None
    except yaml.YAMLError as err:
        raise IEDslError([Diagnostic("E120", f"YAML: {err}", SourceSpan(source.path, 0, 1))]) from None
    except RecursionError:
        raise IEDslError(
            [Diagnostic("E401", "YAML nested too deeply", SourceSpan(source.path, 0, 1))]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


_BREAKS = "\r\n\x85\u2028\u2029"
_EOF = "\0"  # what peek() gives past the end (YAML refuses a NUL in the text, so it is never real)
# The escapes of a double-quoted YAML scalar (YAML 1.1, as PyYAML and libyaml read them).
_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_BLOCK_HEADER = re.compile(r"[|>](?:([1-9])([+-])?|([+-])([1-9])?)?")  # indentation, chomping: either order


class _Decoder:
    """Reads one scalar again from the file's text, the way the YAML scanner does, noting
    for each character of the value the file offsets [start, end) of the text it came from.

    PyYAML gives a scalar's value and its start and end marks only; a pattern's columns need
    more where the value is not a copy of the text (escapes, `''`, folded lines, block
    indentation). An escape maps to its backslash, a line break folded into a space to the end
    of its line's text (so a token's end never moves onto the next line).
    """

    def __init__(self, text: str, at: int, line_start: int) -> None:
        self.text, self.i, self.line_start = text, at, line_start
        self.value: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if j < len(self.text) else _EOF

    def at_break(self) -> bool:
        return self.peek() in _BREAKS and self.peek() != _EOF

    def column(self) -> int:
        return self.i - self.line_start

    def put(self, chars: str, start: int, end: int) -> None:
        for ch in chars:
            self.value.append(ch)
            self.starts.append(start)
            self.ends.append(end)

    def copy(self, count: int) -> None:
        """`count` characters of the text that stand for themselves."""
        for k in range(self.i, self.i + count):
            self.put(self.text[k], k, k + 1)
        self.i += count

    def line_break(self) -> tuple[str, int, int]:
        """One line break as the scanner reads it (value, start, end): CR LF, CR and NEL are
        a LF; LS and PS are kept. ("", i, i) where there is none."""
        at, ch = self.i, self.peek()
        if ch not in _BREAKS or ch == _EOF:
            return "", at, at
        self.i += 2 if self.text.startswith("\r\n", at) else 1
        self.line_start = self.i
        return ("\n" if ch in "\r\n\x85" else ch), at, self.i

    def skip_blanks(self) -> int:
        """Skip spaces and tabs; returns where they started."""
        start = self.i
        while self.peek() in " \t":
            self.i += 1
        return start

    def fold(self, gap: int) -> None:
        """At a line break in a plain or quoted scalar (`gap`: where the line's text ended).

        A single break is a space; a break followed by blank lines keeps only those.
        """
        first = self.line_break()
        breaks = []
        self.skip_blanks()
        while self.at_break():
            breaks.append(self.line_break())
            self.skip_blanks()
        if first[0] != "\n":
            self.put(*first)
        elif not breaks:
            self.put(" ", gap, first[1])
        for b in breaks:
            self.put(*b)

    def blanks(self) -> None:
        """Spaces and tabs: kept as written inside a line, folded at a line break."""
        gap = self.skip_blanks()
        if self.at_break():
            self.fold(gap)
        else:
            end, self.i = self.i, gap
            self.copy(end - gap)

    def plain(self, end: int) -> None:
        """A plain scalar ends at its end mark (on its last non-blank character)."""
        while self.i < end:
            if self.peek() in " \t" or self.at_break():
                self.blanks()
            else:
                self.copy(1)

    def quoted(self) -> None:
        quote = self.peek()
        self.i += 1
        while True:
            ch = self.peek()
            if ch == _EOF:
                raise ValueError("unterminated quoted scalar")
            if ch == quote == "'" and self.peek(1) == "'":
                self.put("'", self.i, self.i + 2)
                self.i += 2
            elif ch == quote:
                self.i += 1
                return
            elif ch == "\\" and quote == '"':
                self.escape()
            elif ch in " \t" or self.at_break():
                self.blanks()
            else:
                self.copy(1)

    def escape(self) -> None:
        at, ch = self.i, self.peek(1)
        if ch in _ESCAPES and ch != _EOF:
            self.i += 2
            self.put(_ESCAPES[ch], at, self.i)
        elif ch in _HEX_ESCAPES:
            digits = self.text[at + 2 : at + 2 + _HEX_ESCAPES[ch]]
            if len(digits) != _HEX_ESCAPES[ch] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("bad hexadecimal escape")
            self.i = at + 2 + len(digits)
            self.put(chr(int(digits, 16)), at, self.i)
        elif ch in _BREAKS and ch != _EOF:  # an escaped line break joins the lines, no space
            self.i += 1
            self.line_break()
            self.skip_blanks()
            while self.at_break():
                self.put(*self.line_break())
                self.skip_blanks()
        else:
            raise ValueError("unknown escape")

    def block(self, indent: int | None) -> None:
        """A `|` or `>` scalar; `indent`: its content's column, given when the header has an
        indentation indicator (the indicator counts from the parent's indentation)."""
        folded = self.peek() == ">"
        header = _BLOCK_HEADER.match(self.text, self.i)
        if header is None:
            raise ValueError("not a block scalar header")
        chomp = header.group(2) or header.group(3)
        keep, strip = chomp == "+", chomp == "-"
        self.i = header.end()
        self.skip_blanks()
        if self.peek() == "#":
            while not self.at_break() and self.peek() != _EOF:
                self.i += 1
        self.line_break()
        if indent is None:  # the first non-blank line sets the indentation
            breaks, deepest = [], 0
            while self.peek() == " " or self.at_break():
                if self.peek() == " ":
                    self.i += 1
                    deepest = max(deepest, self.column())
                else:
                    breaks.append(self.line_break())
            indent = max(1, deepest)
        else:
            breaks = self.block_breaks(indent)
        last = ("", self.i, self.i)
        while self.column() == indent and self.peek() != _EOF:
            for b in breaks:
                self.put(*b)
            leading_text = self.peek() not in " \t"
            count = 0
            while self.peek(count) not in _BREAKS and self.peek(count) != _EOF:
                count += 1
            self.copy(count)
            last = self.line_break()
            breaks = self.block_breaks(indent)
            if self.column() != indent or self.peek() == _EOF:
                break
            if folded and last[0] == "\n" and leading_text and self.peek() not in " \t":
                if not breaks:
                    self.put(" ", last[1], last[2])
            else:
                self.put(*last)
        if not strip:
            self.put(*last)
        if keep:
            for b in breaks:
                self.put(*b)

    def block_breaks(self, indent: int) -> list[tuple[str, int, int]]:
        """Blank lines inside a block scalar (their indentation up to `indent` skipped)."""
        breaks = []
        while self.column() < indent and self.peek() == " ":
            self.i += 1
        while self.at_break():
            breaks.append(self.line_break())
            while self.column() < indent and self.peek() == " ":
                self.i += 1
        return breaks


def _decoded(node: ScalarNode, text: str) -> _Decoder | None:
    """The scalar read again with its offsets, or None if that reading does not give exactly
    the value the YAML loader gave (a corner of YAML this reading does not know)."""
    at = node.start_mark.index
    line_start = at - node.start_mark.column  # (not a search back: files hold thousands of patterns)
    while text.startswith("!", at):  # a tag (`!!str x`) comes before the scalar's own text
        while at < len(text) and text[at] not in " \t" + _BREAKS:
            at += 1
        while at < len(text) and text[at] in " \t" + _BREAKS:
            at += 1
            if text[at - 1] in _BREAKS and text[at - 1 : at + 1] != "\r\n":
                line_start = at
    style = node.style or ""
    header = _BLOCK_HEADER.match(text, at) if style in ("|", ">") else None
    increment = header and (header.group(1) or header.group(4))
    # The indicator counts from the parent's indentation, which lies left of the scalar.
    indents = [int(increment) + p for p in range(node.start_mark.column + 1)] if increment else [None]
    for indent in indents:
        decoder = _Decoder(text, at, line_start)
        try:
            if style in ('"', "'"):
                decoder.quoted()
            elif style in ("|", ">"):
                decoder.block(indent)
            else:
                decoder.plain(node.end_mark.index)
        except (ValueError, OverflowError):
            return None
        if "".join(decoder.value) == node.value:
            return decoder
    return None


def pattern_origin(node: Node, source: SourceFile) -> Callable[[int], int]:
    """Map offsets in a YAML string scalar's value to offsets in the file, exact for every
    scalar style. Where the value cannot be read again from the text, every offset maps to
    the scalar's start: a caret at the start of the pattern, never under the wrong word.

    An offset at or past the value's end maps to just after its last non-blank character,
    where a pattern that ends too early ends.
    """
    start = node.start_mark.index
    if not isinstance(node, ScalarNode):
        return lambda offset: start
    quoted = node.style in ('"', "'")
    inner, end = start + quoted, node.end_mark.index - quoted
    if (quoted or not node.style) and source.text[inner:end] == node.value:
        # written as is (one line, no escape, no tag): a shift, nothing to read again
        tail = inner + len(node.value.rstrip())
        return lambda offset: inner + offset if 0 <= offset < len(node.value) else tail
    decoder = _decoded(node, source.text)
    if decoder is None:
        return lambda offset: start
    starts = decoder.starts
    solid = [k for k, ch in enumerate(decoder.value) if not ch.isspace()]
    tail = decoder.ends[solid[-1]] if solid else (starts[0] if starts else start)

    def origin(offset: int) -> int:
        return starts[offset] if 0 <= offset < len(starts) else tail

    return origin
