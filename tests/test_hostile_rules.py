"""Hostile or odd rule files are refused quickly with a located diagnostic, or accepted when
they only look odd (reliability review 106a39a: F2, F3, 1.17, 1.18, 1.20, 1.23, 1.24, 1.30).

No test here measures wall-clock time: each checks what is reported, and where a limit must
act before some work is done, that the work is not done (a stage that must not run is made
to fail if it is called)."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest

import ie_dsl.engine.lowering as lowering
import ie_dsl.language.loader as loader
import ie_dsl.language.parser as parser
from ie_dsl import IEDslError, compile_rules
from ie_dsl.diagnostics import Diagnostic, render_concise
from ie_dsl.engine import ir
from ie_dsl.engine.expansion import Expansion
from ie_dsl.engine.lowering import lower
from ie_dsl.language.analysis import check
from ie_dsl.language.loader import load_rules
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
    count = 5_000
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
    # at most one set per word and one for the merge (now only the merge: a plain word goes to
    # it as its norm): merging pairwise built sets of 2, 3, ... words, count**2 / 2 forms in all
    assert len(made) <= count + 1 and sum(made) <= 2 * count


def test_merging_alternatives_keeps_their_order(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": "rule r: (a | b | c d | e | f | g)\n"})
    pattern = _statement_ir(tmp_path).pattern
    assert isinstance(pattern, ir.Alt)
    shown = [
        sorted(o.test.forms) if isinstance(o, ir.Tok) and isinstance(o.test, ir.TNorm) else type(o).__name__
        for o in pattern.options
    ]
    assert shown == [["a", "b"], "Seq", ["e", "f", "g"]]


# ---- F2: macros that expand exponentially ---------------------------------------------------


def _doubling(depth: int, alternation: bool) -> str:
    """define M0 = warned; define Mi = M(i-1) M(i-1) (or (M(i-1) | M(i-1))); rule r: M<depth> of"""
    lines = ["define M0 = warned"]
    for i in range(1, depth + 1):
        body = f"(M{i - 1} | M{i - 1})" if alternation else f"M{i - 1} M{i - 1}"
        lines.append(f"define M{i} = {body}")
    return "\n".join(lines) + f"\nrule r: M{depth} of\n"


def _never_lowered(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make lowering the named rules fail the test: they must be refused before it."""
    real = lowering.lower_rule

    def guarded(cr: Any, *args: Any) -> Any:
        assert cr.rule.name not in names, f"rule {cr.rule.name} was expanded"
        return real(cr, *args)

    monkeypatch.setattr(lowering, "lower_rule", guarded)


@pytest.mark.parametrize("alternation", [False, True])
@pytest.mark.parametrize("depth", [18, 20, 22, 40])
def test_doubling_macros_are_refused_before_expansion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int, alternation: bool
) -> None:
    _write(tmp_path, {"main.ie": _doubling(depth, alternation)})
    _never_lowered(monkeypatch, "r")
    errors, sources = _errors(tmp_path)
    (d,) = errors
    assert d.code == "E406"
    assert d.message == f"macro M{depth} would expand to more than 100000 pattern elements in rule r"
    assert _where(d, sources) == (depth + 2, 9)  # the use of M<depth> in rule r
    # M15 is the first whose expansion (about 5 * 2**15 elements) passes 100,000
    assert d.hint is not None and d.hint.startswith("M15 (") and ":16)" in d.hint
    with pytest.raises(IEDslError) as info:
        compile_rules([tmp_path])
    assert [x.code for x in info.value.diagnostics] == ["E406"]


def test_doubling_below_the_limit_compiles_and_matches(tmp_path: Path) -> None:
    _write(tmp_path, {"main.ie": _doubling(6, alternation=False)})
    book = compile_rules([tmp_path])
    text = "warned " * 64 + "of it."
    (st,) = book.extract("d", text)
    assert st["span"]["start"] == 0 and text[st["span"]["start"] : st["span"]["end"]].endswith("warned of")


@pytest.mark.parametrize(
    "rules",
    [
        # a parameter is copied wherever it is written: D(D(...)) nine deep is 4**9 copies of a
        "define D(X) = X X X X\nrule r: D(D(D(D(D(D(D(D(D(a)))))))))\n",
        # each level uses the one below inside its own argument: the size squares per level
        "define N0(X) = X X\n"
        + "".join(f"define N{i}(X) = N{i - 1}(N{i - 1}(X))\n" for i in range(1, 40))
        + "rule r: N39(a)\n",
        # the same through a YAML rule file
        "",
    ],
    ids=["parameter copies", "squaring", "yaml"],
)
def test_expansion_through_parameters_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules: str
) -> None:
    if rules:
        _write(tmp_path, {"main.ie": rules})
    else:
        defines = "".join(f"  M{i}: M{i - 1} M{i - 1}\n" for i in range(1, 41))
        _write(
            tmp_path,
            {"main.yaml": f"define:\n  M0: warned\n{defines}rules:\n  - name: r\n    pattern: M40 of\n"},
        )
    _never_lowered(monkeypatch, "r")
    (d,) = _errors(tmp_path)[0]
    assert d.code == "E406" and "in rule r" in d.message


def test_words_written_in_a_rule_are_not_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lowering, "MAX_EXPANSION", 100)
    words = " | ".join(f"w{i}" for i in range(1_000))
    _write(tmp_path, {"main.ie": f"define LIST(X) = X\nrule r: LIST(({words})) end\n"})
    assert _errors(tmp_path)[0] == []  # 1,000 words written, none added by the macro
    _write(tmp_path, {"main.ie": f"define TWICE(X) = X X\nrule r: TWICE(({words})) end\n"})
    (d,) = _errors(tmp_path)[0]
    assert d.code == "E406" and d.message.startswith("macro TWICE would expand")


def test_the_limit_over_all_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lowering, "MAX_EXPANSION_TOTAL", 40)
    # each use adds 10: the alternation (1), ~warn, ~caution, raised alarms (3), issued a warning (4)
    rules = "define W = (~warn | ~caution | raised alarms | issued a warning)\n"
    rules += "".join(f"rule r{i}: W of\n" for i in range(6)) + "rule plain: a b c\n"
    _write(tmp_path, {"main.ie": rules})
    _never_lowered(monkeypatch, "r4", "r5")
    errors, sources = _errors(tmp_path)
    (d,) = errors  # one diagnostic, at the rule that passes the total
    assert d.code == "E406" and d.message.endswith("over all rules, passed at rule r4")
    assert _where(d, sources) == (6, 6)


def _ir_size(node: ir.Node) -> int:
    """How many IR nodes `node` is as a tree (shared parts counted at each place)."""
    kids = getattr(node, "items", None) or getattr(node, "options", None) or ()
    inner = getattr(node, "item", None)
    return 1 + sum(_ir_size(k) for k in (*kids, *([inner] if inner is not None else [])))


@pytest.mark.parametrize(
    "rules",
    [
        "define M0 = warned of\n" + "".join(f"define M{i} = (M{i - 1} | M{i - 1} x)\n" for i in range(1, 8)),
        'define D(X, Y) = X (?= Y) X? Y{1,2}\ndefine E(X) = D(D(X, b), "c d") z:X\n',
        "define P(X) = [cap] X ~say ...{0,3} X\ndefine Q = P(P(P((a | b c))))\n",
    ],
)
def test_the_count_is_never_below_what_lowering_builds(tmp_path: Path, rules: str) -> None:
    head = rules.split("\n")[-2].split()[1].split("(")[0]
    use = f"{head}(alpha)" if "(X" in rules.split("\n")[-2] else head
    _write(tmp_path, {"main.ie": rules + f"rule r: {use} ORG\n", "orgs.yaml": "type: ORG\nentries: [CSTO]\n"})
    checked = check(load_rules([tmp_path]))
    (cr,) = checked.statements
    counted = Expansion(checked.scopes).size(cr.rule.pattern, cr.macros, {}).base
    built = _ir_size(lower(checked)[1][0].pattern)
    assert built <= counted <= 3 * built


# ---- 1.30: very long lexicon entries ---------------------------------------------------------


def test_a_very_long_alias_is_refused_where_it_is_written(tmp_path: Path) -> None:
    long = " ".join(f"w{i}" for i in range(600))
    orgs = f'type: ORG\nentries:\n  - name: Big\n    aliases: [BG, "{long}"]\n  - "{long} x"\n'
    _write(tmp_path, {"main.ie": "rule r: ORG said\n", "orgs.yaml": orgs})
    errors, sources = _errors(tmp_path)
    assert [(d.code, d.message, _where(d, sources)) for d in errors] == [
        ("E407", "an alias of 600 tokens; at most 100 are allowed", (4, 19)),
        ("E407", "a name of 601 tokens; at most 100 are allowed", (5, 5)),
    ]


def test_an_alias_of_one_hundred_tokens_matches(tmp_path: Path) -> None:
    long = " ".join(f"w{i}" for i in range(100))
    orgs = f'type: ORG\nentries:\n  - name: Big\n    aliases: ["{long}"]\n'
    _write(tmp_path, {"main.ie": "rule r: x:ORG said\n", "orgs.yaml": orgs})
    book = compile_rules([tmp_path])
    (st,) = book.extract("d", f"Then {long} said so.")
    assert st["args"]["x"]["text"] == long


def test_compiling_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    # the collector is paused while rules are read and compiled (it cost a third of the time)
    _write(tmp_path, {"main.ie": "rule r: a\n"})
    assert gc.isenabled()
    compile_rules([tmp_path])
    assert gc.isenabled()
    gc.disable()
    try:
        diagnose([tmp_path])
        assert not gc.isenabled()
    finally:
        gc.enable()
    _write(tmp_path, {"main.ie": "rule r: (\n"})
    with pytest.raises(IEDslError):
        compile_rules([tmp_path])
    assert gc.isenabled()
