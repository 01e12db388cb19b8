"""Load YAML safely and keep positions: rule files and lexicons come through here.

Only plain data is built (no tags, no object construction). Aliases, duplicate keys and
nesting deeper than MAX_DEPTH are refused with a located diagnostic: the first is an
expansion bomb, the second silently loses data, the third crashes PyYAML (RecursionError)
or libyaml (segfault).
"""

from __future__ import annotations

import re
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


def pattern_origin(node: Node, source: SourceFile):  # type: ignore[no-untyped-def]
    """Map offsets in a YAML string scalar's value to offsets in the file.

    Block scalars (| and >) keep one value line per file line at a fixed indentation;
    quoted and plain scalars start one character (or zero) after their mark.
    """
    style = getattr(node, "style", None)
    start = node.start_mark
    if style in ("|", ">"):
        first_line = start.line + 2  # 1-based line after the indicator
        text = source.line_text(first_line)
        indent = len(text) - len(text.lstrip(" "))
        value: str = node.value

        line_starts = [0]
        line_starts.extend(i + 1 for i, ch in enumerate(value) if ch == "\n")

        def block(offset: int) -> int:
            import bisect

            k = bisect.bisect_right(line_starts, offset) - 1
            return source.offset(first_line + k, indent + 1) + (offset - line_starts[k])

        return block
    shift = start.index + (1 if style in ("'", '"') else 0)
    return lambda offset: shift + offset
