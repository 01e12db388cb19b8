"""One Diagnostic type for every user-facing problem, and its renderings (used at the CLI edge).

Codes are stable: E1xx syntax, E2xx names and semantics, E3xx lexicons, E4xx limits,
E6xx fixtures; warnings W2xx (rules) and W3xx (lexicons). docs/diagnostics.md lists them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ie_dsl.source import SourceFile, SourceSpan


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in rules, lexicons or inputs, with where it is and what to do."""

    code: str
    message: str
    span: SourceSpan | None = None
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"


class IEDslError(Exception):
    """Raised by library functions when rules cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0].message if self.diagnostics else "unknown error"
        super().__init__(first)


def _location(diag: Diagnostic, sources: Mapping[str, SourceFile]) -> tuple[str, int, int]:
    if diag.span is None:
        return "", 0, 0
    src = sources.get(diag.span.file)
    if src is None:
        return diag.span.file, 0, 0
    line, col = src.line_col(diag.span.start)
    return diag.span.file, line, col


def render_concise(diag: Diagnostic, sources: Mapping[str, SourceFile]) -> str:
    """gcc-style one line: `file:line:col: error E201 message`."""
    path, line, col = _location(diag, sources)
    where = f"{path}:{line}:{col}: " if line else (f"{path}: " if path else "")
    return f"{where}{diag.severity} {diag.code} {diag.message}"


def render_full(diag: Diagnostic, sources: Mapping[str, SourceFile]) -> str:
    """Message, location, the source line with a caret under the culprit, and the hint."""
    out = [f"{diag.severity}[{diag.code}]: {diag.message}"]
    path, line, col = _location(diag, sources)
    if line:
        src = sources[path]
        text = src.line_text(line)
        end_line, end_col = src.line_col(max(diag.span.start, diag.span.end - 1))  # type: ignore[union-attr]
        width = max(1, (end_col - col + 1) if end_line == line else len(text) - col + 1)
        gutter = " " * len(str(line))
        out += [
            f"{gutter}--> {path}:{line}:{col}",
            f"{gutter} |",
            f"{line} | {text}",
            f"{gutter} | {' ' * (col - 1)}{'^' * width}",
        ]
    elif path:
        out.append(f"  --> {path}")
    if diag.hint:
        out.append(f"  = hint: {diag.hint}")
    return "\n".join(out)


def to_dict(diag: Diagnostic, sources: Mapping[str, SourceFile]) -> dict[str, object]:
    """The JSON form of a diagnostic (same fields as the text renderings)."""
    path, line, col = _location(diag, sources)
    return {
        "code": diag.code,
        "severity": diag.severity,
        "message": diag.message,
        "file": path or None,
        "line": line or None,
        "column": col or None,
        "hint": diag.hint,
    }


def render(diags: Iterable[Diagnostic], sources: Mapping[str, SourceFile], fmt: str = "full") -> str:
    """Render diagnostics as `full` (with carets), `concise` (one line each) or `json`."""
    diags = list(diags)
    if fmt == "json":
        return json.dumps([to_dict(d, sources) for d in diags], indent=2)
    if fmt == "concise":
        return "\n".join(render_concise(d, sources) for d in diags)
    return "\n\n".join(render_full(d, sources) for d in diags)
