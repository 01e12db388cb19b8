"""A diagnostic inside a YAML `pattern:` (or `define:` body) points at the offending text in
the file, whatever the scalar's style: double-quoted with escapes, single-quoted with `''`,
plain folded over lines, block `|`/`>` with indicators and blank lines, in flow mappings.

Each case is checked with libyaml's loader and with PyYAML's own (the one used where libyaml
is missing or must not see the text): both give the same values and marks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ie_dsl.diagnostics import Diagnostic, render
from ie_dsl.language import yamlfile
from ie_dsl.language.yamlfile import load_yaml, pattern_origin
from ie_dsl.pipeline import diagnose
from ie_dsl.source import SourceFile


@pytest.fixture(params=["libyaml", "pure"])
def loader(request, monkeypatch):
    if request.param == "pure":
        monkeypatch.setattr(yamlfile, "_C_LOADER", None)
    elif yamlfile._C_LOADER is None:
        pytest.skip("PyYAML without libyaml")
    return request.param


def _diagnose(tmp_path: Path, text: str, newline: str = "\n") -> tuple[list[Diagnostic], dict]:
    path = tmp_path / "r.yaml"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    diags, sources = diagnose([path])
    return [d for d in diags if d.severity == "error"], dict(sources)


def _where(diag: Diagnostic, sources: dict) -> tuple[int, int]:
    assert diag.span is not None
    return sources[diag.span.file].line_col(diag.span.start)


def _caret_text(diag: Diagnostic, sources: dict) -> str:
    """The text of the source line above the carets, under the carets (from render())."""
    lines = render([diag], sources).splitlines()
    (k,) = [i for i, line in enumerate(lines) if line.lstrip(" |").startswith("^")]
    source_line, carets = lines[k - 1], lines[k]
    start = carets.index("^")
    return source_line[start : start + carets.count("^")]


def _one(tmp_path: Path, text: str, code: str, newline: str = "\n") -> tuple[Diagnostic, dict]:
    diags, sources = _diagnose(tmp_path, text, newline)
    assert [d.code for d in diags] == [code], render(diags, sources)
    return diags[0], sources


RULE = "rules:\n  - name: r\n    pattern: "

# (name, YAML text): each has an unknown type THRET, written once, and nothing else wrong
UNKNOWN_TYPE = [
    ("double quotes with escapes", RULE + '"~warn \\"of\\" THRET"\n'),
    ("double quotes, \\u and \\t", RULE + '"~warn\\u0020of\\tthe THRET"\n'),
    ("double quotes over lines", RULE + '"~warn \\"of\\"\n      the\n\n      THRET"\n'),
    ("double quotes, escaped line break", RULE + '"~warn of \\\n      THRET"\n'),
    ("single quotes with ''", RULE + "'~warn \"''s\" of THRET'\n"),
    ("single quotes over lines", RULE + "'~warn \"''s\"\n     of THRET'\n"),
    ("plain", RULE + "~warn of THRET\n"),
    ("plain folded", RULE + "~warn   \n      of\n\n        the   THRET\n    mode: longest\n"),
    ("plain folded, comment after", RULE + "~warn of\n      THRET  # the threat\n"),
    ("literal", RULE + "|\n      ~warn of\n      THRET\n"),
    ("literal, blank first line", RULE + "|\n\n      ~warn of\n        the THRET\n"),
    ("literal, blank lines with spaces", RULE + "|\n   \n      ~warn of\n          \n      THRET\n"),
    ("literal, strip", RULE + "|-\n      ~warn of THRET\n"),
    ("literal, keep, comment", RULE + "|+  # a comment\n      ~warn of THRET\n\n\n"),
    ("literal, indentation indicator", RULE + "|2\n        ~warn of\n          THRET\n"),
    ("folded", RULE + ">\n      ~warn\n      of THRET\n"),
    ("folded, blank first line", RULE + ">-\n\n\n      ~warn of\n\n      THRET\n"),
    ("folded, indicator and chomping", RULE + ">1-\n       ~warn of\n        THRET\n"),
    ("folded, chomping and indicator", RULE + ">-3\n         ~warn of\n         THRET\n"),
    ("flow mapping, plain", "rules:\n  - {name: r, pattern: ~warn of THRET}\n"),
    ("flow mapping, quoted", 'rules:\n  - {name: r, pattern: "~warn \\"of\\"\n      THRET"}\n'),
    (
        "flow mapping over lines",
        "rules:\n  - {name: r,\n     pattern: ~warn of\n       THRET,\n     mode: all}\n",
    ),
    ("flow sequence of rules", "rules: [{name: r, pattern: '~warn \"''s\" THRET'}]\n"),
    ("tagged", RULE + '!!str "~warn \\"of\\" THRET"\n'),
    ("define body", 'define:\n  W: "~warn \\"of\\" THRET"\nrules:\n  - name: r\n    pattern: W\n'),
    ("non-ASCII before", RULE + '"Déjà \\u00e9t\\u00e9 \\"vu\\" THRET"\n'),
]


def _expected(text: str, word: str) -> tuple[int, int]:
    """Line and column of the one place `word` is written in `text`."""
    assert text.count(word) == 1
    return SourceFile("x", text).line_col(text.index(word))


@pytest.mark.parametrize("name, text", UNKNOWN_TYPE, ids=[c[0] for c in UNKNOWN_TYPE])
def test_unknown_type_inside_a_pattern_is_located_exactly(tmp_path, loader, name, text):
    diag, sources = _one(tmp_path, text, "E210")
    assert _where(diag, sources) == _expected(text, "THRET")
    assert _caret_text(diag, sources) == "THRET"


def test_the_cases_pin_down_columns(tmp_path):
    """Two cases spelled out, lest a shared mistake in _expected hide one."""
    diag, sources = _one(tmp_path, UNKNOWN_TYPE[0][1], "E210")
    assert _where(diag, sources) == (3, 28)  # `    pattern: "~warn \"of\" THRET"`
    diag, sources = _one(tmp_path, UNKNOWN_TYPE[10][1], "E210")
    assert _where(diag, sources) == (6, 13)  # `        the THRET`, after a blank first line


@pytest.mark.parametrize("name, text", UNKNOWN_TYPE[:12:3], ids=[c[0] for c in UNKNOWN_TYPE[:12:3]])
def test_windows_line_breaks_change_nothing(tmp_path, loader, name, text):
    diag, sources = _one(tmp_path, text, "E210", newline="\r\n")
    assert _where(diag, sources) == _expected(text, "THRET")
    assert _caret_text(diag, sources) == "THRET"


# (name, YAML text, code, the text the carets are under, written once; or ("after", text):
# the pattern ended too early, and the caret is right after that text, its last)
SYNTAX = [
    ("E113 after escapes", RULE + '"\\"a\\" \\"b\\" c{} d"\n', "E113", "{}"),
    ("E110 after ''", RULE + "'\"''s\" of ; a % b'\n", "E110", "%"),
    ("E113 in a folded block", RULE + ">\n\n      ~warn of\n\n      c{,} d\n", "E113", "{,}"),
    (
        "E101 at the end of a literal block",
        RULE + "|\n      ~warn (of\n      THREAT\n\n",
        "E101",
        ("after", "THREAT"),
    ),
    (
        "E101 at the end of a plain scalar",
        RULE + "~warn (of\n      THREAT\n    mode: all\n",
        "E101",
        ("after", "THREAT"),
    ),
    ("E102 at the end of a quoted scalar", RULE + '"~warn \\"of\\" [cap"\n', "E102", ("after", "[cap")),
    ("E100 in a flow mapping", 'rules:\n  - {name: r, pattern: "\\"a\\" ~warn )"}\n', "E100", ")"),
    ("E114 in single quotes", RULE + "'~warn \"U\\.S.\"'\n", "E114", "\\."),
    ("E114 in double quotes", RULE + '"~warn \\"U\\\\.S.\\""\n', "E114", "\\\\."),
    ("E114 in a block", RULE + '|\n      ~warn\n      "al\\-Qaeda"\n', "E114", "\\-"),
]


@pytest.mark.parametrize("name, text, code, under", SYNTAX, ids=[c[0] for c in SYNTAX])
def test_syntax_error_inside_a_pattern_is_located_exactly(tmp_path, loader, name, text, code, under):
    diag, sources = _one(tmp_path, text, code)
    if isinstance(under, tuple):
        line, col = _expected(text, under[1])
        assert _where(diag, sources) == (line, col + len(under[1]))
    else:
        assert _where(diag, sources) == _expected(text, under)
        assert _caret_text(diag, sources) == under


def test_an_error_spanning_a_fold_starts_on_its_line(tmp_path, loader):
    text = RULE + "~warn of\n      THRET\n"
    diag, sources = _one(tmp_path, text, "E210")
    src = sources[diag.span.file]
    assert src.text[diag.span.start : diag.span.end] == "THRET"


def test_a_value_the_decoder_disagrees_with_points_at_the_scalar_start():
    text = RULE + '"~warn \\"of\\" THRET"\n'
    source = SourceFile("r.yaml", text)
    node = load_yaml(source)["rules"][0].where("pattern")
    node.value = node.value.replace("of", "on")  # as if YAML read the text otherwise
    origin = pattern_origin(node, source)
    start = text.index('"~warn')
    assert {origin(k) for k in range(len(node.value) + 2)} == {start}


def test_offsets_of_every_style_map_back_to_the_same_characters(loader):
    """Each value character that stands for itself maps to itself in the file; an escape
    maps to its backslash; a folded line break to the end of its line's text."""
    docs = [
        {"p": 'THRET "x" \\ é\ttab  two  spaces'},
        {"p": "line one\nline two\n\n  indented\nlast "},
        {"p": "a 'quoted' word and a #hash: colon"},
        {"p": " lead and trail "},
    ]
    for data in docs:
        for style in (None, '"', "'", "|", ">"):
            for width in (12, 80):
                text = yaml.dump(data, default_style=style, width=width, allow_unicode=True)
                source = SourceFile("d.yaml", text)
                node = load_yaml(source).where("p")
                decoded = yamlfile._decoded(node, text)
                assert decoded is not None, (style, text)
                for ch, start, end in zip(decoded.value, decoded.starts, decoded.ends, strict=True):
                    raw = text[start:end]
                    folded = ch in " \n" and text[start] in " \t\r\n"  # a break, or a space for one
                    assert raw == ch or raw[:1] == "\\" or raw == "''" or folded, (ch, raw)
