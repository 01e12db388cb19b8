"""Hostile or odd rule files are refused quickly with a located diagnostic, or accepted when
they only look odd (reliability review 106a39a: F2, F3, 1.17, 1.18, 1.20, 1.23, 1.24, 1.30).

No test here measures wall-clock time: each checks what is reported, and where a limit must
act before some work is done, that the work is not done (a stage that must not run is made
to fail if it is called)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ie_dsl.loader as loader
import ie_dsl.parser as parser
from ie_dsl import IEDslError, compile_rules, ir
from ie_dsl.analysis import check
from ie_dsl.diagnostics import Diagnostic, render_concise
from ie_dsl.loader import load_rules
from ie_dsl.lowering import lower
from ie_dsl.pipeline import diagnose
from ie_dsl.source import SourceFile

BOM = b"\xef\xbb\xbf"


def _write(directory: Path, files: dict[str, bytes | str]) -> Path:
    for name, body in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, str):
            body = body.encode("utf-8")
        (directory / name).write_bytes(body)
    return directory


def _errors(directory: Path) -> tuple[list[Diagnostic], dict[str, SourceFile]]:
    found, sources = diagnose([directory])
    return [d for d in found if d.severity == "error"], dict(sources)


def _where(d: Diagnostic, sources: dict[str, SourceFile]) -> tuple[int, int]:
    assert d.span is not None, d
    return sources[d.span.file].line_col(d.span.start)


# ---- 1.23: a UTF-8 byte-order mark -------------------------------------------------------


def test_a_bom_is_not_part_of_the_rules(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": BOM + b"define W = ~warn\nrule r: W of threat\n"})
    book = compile_rules([tmp_path])
    assert [s["rule"]["name"] for s in book.extract("d", "They warned of threat.")] == ["r"]


def test_columns_after_a_bom_are_the_columns_an_editor_shows(tmp_path: Path) -> None:
    text = "rule r: ~warn of THRET\nrule s: ~say NATOO\n"
    _write(tmp_path, {"main.ie": BOM + text.encode()})
    errors, sources = _errors(tmp_path)
    assert [(d.code, _where(d, sources)) for d in errors] == [("E210", (1, 18)), ("E210", (2, 14))]
    # the CLI reads a file back from disk to show the line: it must find the same place
    (d, _) = errors
    assert d.span is not None
    again = SourceFile(d.span.file, (tmp_path / "main.ie").read_text(encoding="utf-8"))
    assert again.line_col(d.span.start) == (1, 18)
    assert again.text[d.span.start : d.span.end] == "THRET"
    assert render_concise(d, {d.span.file: again}).endswith(":1:18: error E210 unknown type or macro THRET")


def test_a_bom_in_a_yaml_rule_file_keeps_its_places(tmp_path: Path) -> None:
    yaml_text = "rules:\n  - name: r\n    pattern: ~warn of THRET\n"
    _write(tmp_path, {"main.yaml": BOM + yaml_text.encode()})
    errors, sources = _errors(tmp_path)
    assert [(d.code, _where(d, sources)) for d in errors] == [("E210", (3, 23))]


# ---- 1.24: line breaks that are a CR alone ---------------------------------------------------


def test_cr_only_line_endings_read_like_lf(tmp_path: Path) -> None:
    rules = "define W = ~warn\r# a comment\rrule r: W of\r    x:_\r    => w(x)\r"
    _write(tmp_path, {"main.ie": rules})
    book = compile_rules([tmp_path])
    (st,) = book.extract("d", "They warned of war.")
    assert st["args"]["x"]["text"] == "war"


def test_cr_only_line_endings_locate_errors_by_line(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": "define W = ~warn\rrule r: W of\r  THRET\r"})
    errors, sources = _errors(tmp_path)
    (d,) = errors
    assert (d.code, _where(d, sources)) == ("E210", (3, 3))
    assert sources[d.span.file].line_text(3) == "  THRET"  # type: ignore[union-attr]


def test_mixed_line_endings_count_each_break_once() -> None:
    src = SourceFile("m.ie", "a\r\nb\rc\nd")
    assert [src.line_text(k) for k in (1, 2, 3, 4)] == ["a", "b", "c", "d"]
    assert src.line_col(src.text.index("c")) == (3, 1)
    assert src.line_col(src.text.index("d")) == (4, 1)


# ---- 1.17: a FIFO (or other special file) as a rule path ------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_given_as_the_rule_path_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "p.ie"
    os.mkfifo(fifo)
    found, _ = diagnose([fifo])  # reading it would block forever
    assert [(d.code, d.message) for d in found] == [
        ("E202", f"cannot read {fifo}: a named pipe (FIFO), not a regular file")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_named_by_use_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.ie.in")  # not a rule file by its name, so only `use` reaches it
    _write(tmp_path, {"main.ie": 'use "p.ie.in"\nrule r: a\n'})
    errors, sources = _errors(tmp_path)
    (d,) = errors
    assert d.code == "E205" and "a named pipe (FIFO), not a regular file" in d.message
    assert _where(d, sources) == (1, 1)


def test_a_directory_named_by_use_is_not_a_file(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": 'use "sub"\nrule r: a\n', "sub/x.txt": "x"})
    (d,) = _errors(tmp_path)[0]
    assert d.code == "E205" and "is a directory, not a regular file" in d.message


# ---- 1.18: a rule file that is not UTF-8 --------------------------------------------------


def test_invalid_utf8_is_located_at_its_first_bad_byte(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": BOM + b"rule r: ok\nrule s: caf\xe9 au lait\xff\n"})
    errors, sources = _errors(tmp_path)
    (d,) = errors
    assert d.code == "E202"
    assert "not valid UTF-8 (byte 0xe9 at byte offset 25)" in d.message  # the BOM is 3 bytes
    assert _where(d, sources) == (2, 12)
    assert sources[d.span.file].line_text(2).startswith("rule s: caf\ufffd")  # type: ignore[union-attr]


def test_a_utf16_rule_file_says_so(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": "rule r: a\n".encode("utf-16")})
    (d,) = _errors(tmp_path)[0]
    assert d.code == "E202" and "it is UTF-16" in d.message and "utf-16" in (d.hint or "")


# ---- 1.20: too many rules is found before they are parsed --------------------------------


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("rules were parsed after the limit was known to be passed")

    monkeypatch.setattr(parser, "parse_file_recovering", refuse)
    monkeypatch.setattr(parser, "parse_pattern", refuse)


def test_too_many_rules_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_RULES", 3)
    _write(tmp_path, {"main.ie": "define W = ~warn\nrule a: x\nentity T: y\nrule b: z\n  w\nrule c: W\n"})
    _no_parsing(monkeypatch)
    errors, sources = _errors(tmp_path)
    (d,) = errors
    assert (d.code, d.message) == ("E405", "more than 3 rules: this is rule 4")
    assert _where(d, sources) == (6, 6)  # the name of rule c
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    assert [x.code for x in info.value.diagnostics] == ["E405"]


def test_too_many_rules_over_several_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_RULES", 3)
    _write(
        tmp_path,
        {
            "a.ie": "rule a: x\nrule b: y\n",
            "b.yaml": "rules:\n  - name: c\n    pattern: z\n  - name: d\n    pattern: w\n",
            "c.ie": "rule e: (\n",  # never read: a syntax error here is not reported
        },
    )
    errors, sources = _errors(tmp_path)
    (d,) = errors
    assert d.code == "E405" and d.span is not None and d.span.file.endswith("b.yaml")
    assert _where(d, sources) == (4, 5)
    assert not any(f.endswith("c.ie") for f in sources)


def test_exactly_the_limit_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_RULES", 3)
    _write(tmp_path, {"main.ie": "rule a: x\nrule b: y\nentity T: z\n# rule d: a comment\n"})
    assert _errors(tmp_path)[0] == []


def test_ten_thousand_and_one_rules_are_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"main.ie": "".join(f"rule r{i}: alpha{i} beta\n" for i in range(10_001))})
    _no_parsing(monkeypatch)
    (d,) = _errors(tmp_path)[0]
    assert d.code == "E405" and d.message == "more than 10000 rules: this is rule 10001"


# ---- F3: many one-word alternatives ----------------------------------------------------------


def _statement_ir(directory: Path) -> ir.RuleIR:
    (rule,) = lower(check(load_rules([directory])))[1]
    return rule


def test_many_one_word_alternatives_merge_into_one_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 20_000
    words = [f"w{i}" for i in range(count)]
    _write(tmp_path, {"main.ie": "rule r: (" + " | ".join(words) + ")\n"})
    made: list[int] = []  # the size of every set test lowering builds

    class Counted(ir.TNorm):
        __slots__ = ()

        def __init__(self, forms: frozenset[str]) -> None:
            made.append(len(forms))
            super().__init__(forms)

    monkeypatch.setattr(ir, "TNorm", Counted)
    rule = _statement_ir(tmp_path)
    tok = rule.pattern
    assert isinstance(tok, ir.Tok) and isinstance(tok.test, ir.TNorm)
    assert tok.test.forms == frozenset(words)
    # one set per word and one for the merge: merging pairwise built sets of 2, 3, ... words,
    # about count**2 / 2 forms copied in all
    assert len(made) == count + 1 and sum(made) == 2 * count


def test_merging_alternatives_keeps_their_order(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": "rule r: (a | b | c d | e | f | g)\n"})
    pattern = _statement_ir(tmp_path).pattern
    assert isinstance(pattern, ir.Alt)
    shown = [
        sorted(o.test.forms) if isinstance(o, ir.Tok) and isinstance(o.test, ir.TNorm) else type(o).__name__
        for o in pattern.options
    ]
    assert shown == [["a", "b"], "Seq", ["e", "f", "g"]]
