"""Escapes in "quoted strings" (docs/language.md 3.2): \\" \\\\ \\n \\t \\uXXXX and nothing else.

Any other backslash is E114 at the backslash, never Python's reading of the string (which kept
`\\q` as written and printed a warning of its own at the user).
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from ie_dsl.diagnostics import IEDslError, render
from ie_dsl.language import nodes as n
from ie_dsl.language.parser import parse_file, parse_file_recovering, parse_pattern
from ie_dsl.source import SourceFile


def _problems(text: str) -> list:
    _file, problems = parse_file_recovering(text, "m.ie")
    return problems


def _caret(diag, text: str) -> str:
    """The text under the carets of the full rendering."""
    lines = render([diag], {"m.ie": SourceFile("m.ie", text)}).splitlines()
    (k,) = [i for i, line in enumerate(lines) if line.lstrip(" |").startswith("^")]
    start = lines[k].index("^")
    return lines[k - 1][start : start + lines[k].count("^")]


@pytest.mark.parametrize(
    "written, value",
    [
        (r'"\""', '"'),
        (r'"\\"', "\\"),
        (r'"a\nb"', "a\nb"),
        (r'"a\tb"', "a\tb"),
        (r'"caf\u00e9"', "café"),
        (r'"\u00C9t\u00e9"', "Été"),
        (r'"\\q"', "\\q"),  # an escaped backslash, then a letter
        (r'"\\\""', '\\"'),
        ('"#CSTO"', "#CSTO"),
        ('"’s"', "’s"),
    ],
)
def test_known_escapes(written, value):
    pattern = parse_pattern(written, "p")
    assert isinstance(pattern, n.Exact) and pattern.text == value


def test_escapes_in_every_kind_of_string():
    text = (
        'use "sub/common\\u002eie"\n'
        'rule r: ~warn "\\"" => warn(note="a\\tb")\n'
        '    @example "They \\"warned\\"." => note="x\\\\y"\n'
        '    @counterexample "No\\nwarning."\n'
    )
    f = parse_file(text, "m.ie")
    assert f.uses[0].path == "sub/common.ie"
    (rule,) = f.rules
    assert rule.emit is not None and rule.emit.args[0].const == "a\tb"
    assert rule.examples[0].text == 'They "warned".' and rule.examples[0].expect == (("note", "x\\y"),)
    assert rule.examples[1].text == "No\nwarning."


@pytest.mark.parametrize(
    "text, under",
    [
        ('rule r: ~warn "a\\qb"\n', "\\q"),
        ('rule r: ~warn "al\\-Qaeda"\n', "\\-"),
        ('rule r: ~warn "\\x41"\n', "\\x"),  # Python's escapes are not the language's
        ('rule r: ~warn "\\N{BULLET}"\n', "\\N"),
        ('rule r: ~warn "\\0"\n', "\\0"),
        ('rule r: ~warn "\\777"\n', "\\7"),
        ('rule r: ~warn "\\\'s"\n', "\\'"),
        ('rule r: ~warn "\\u12"\n', "\\u12"),  # too few hex digits
        ('rule r: ~warn "\\u12zz"\n', "\\u12"),
        ('rule r: ~warn "\\uD800"\n', "\\uD800"),  # a lone surrogate cannot be written out
        ('rule r: ~warn "a\\ b"\n', "\\ "),
        ('rule r: ~warn [cap & !"\\q"]\n', "\\q"),
        ('rule r: ~warn => warn(note="\\q")\n', "\\q"),
        ('rule r: ~warn\n    @example "\\q" => x="y"\n', "\\q"),
        ('rule r: ~warn\n    @example "x" => x="\\q"\n', "\\q"),
        ('rule r: ~warn\n    @counterexample "\\q"\n', "\\q"),
        ('use "..\\rules\\common.ie"\n', "\\r"),
    ],
)
def test_unknown_escape_is_e114_at_the_backslash(text, under):
    problems = _problems(text)
    assert problems and {d.code for d in problems} == {"E114"}
    first = problems[0]
    assert first.span is not None and text[first.span.start] == "\\"
    assert _caret(first, text) == under
    assert first.hint


def test_the_hint_says_punctuation_needs_no_backslash():
    (d,) = _problems('rule r: "al\\-Qaeda"\n')
    assert d.message == "unknown escape \\- in a string"
    assert d.hint is not None and d.hint.startswith("write - without the backslash")


def test_every_bad_escape_of_a_statement_is_reported_and_good_statements_kept():
    text = 'rule ok: ~warn "\\""\nrule bad: "U\\.S\\." forces\nrule also_ok: ~say\n'
    f, problems = parse_file_recovering(text, "m.ie")
    assert [r.name for r in f.rules] == ["ok", "also_ok"]
    assert [(d.code, SourceFile("m.ie", text).line_col(d.span.start)) for d in problems] == [
        ("E114", (2, 13)),
        ("E114", (2, 16)),
    ]


def test_bad_escapes_come_with_a_bad_repeat():
    with pytest.raises(IEDslError) as info:
        parse_file('rule r: "\\q" a{}\n', "m.ie")
    assert sorted(d.code for d in info.value.diagnostics) == ["E113", "E114"]


def test_a_string_ending_in_an_escaped_backslash_closes_for_the_nesting_check():
    deep = "(" * 70 + "a" + ")" * 70
    with pytest.raises(IEDslError) as info:
        parse_file(f'rule r: "\\\\" {deep}\n', "m.ie")
    assert [d.code for d in info.value.diagnostics] == ["E401"]


def test_parsing_never_emits_a_python_warning():
    strings = ["\\q", "\\x4", "\\N{NOPE}", "\\777", "\\0", "\\u", "\\uD800", "\\U0001F600", "\\'", "\\ "]
    text = "".join(f'rule r{i}: ~warn "{s}"\n' for i, s in enumerate(strings))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = _problems(text)
    assert caught == []
    assert [d.code for d in problems] == ["E114"] * len(strings)


def test_no_python_warning_reaches_the_terminal(tmp_path):
    (tmp_path / "main.ie").write_text('rule r: ~warn "\\q" "\\x4" "\\N{X}"\n', encoding="utf-8")
    code = "import sys; from ie_dsl.cli import app; sys.argv = ['iedsl', 'check', sys.argv[1]]; app()"
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code, str(tmp_path / "main.ie")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr  # errors in the rules: check exits 2
    assert result.stderr.count("error[E114]") == 3
    assert "Warning" not in result.stderr + result.stdout
