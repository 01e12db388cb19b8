"""Golden files: the AST, IR and program dumps of small rule sets, compared line for line.

Each directory tests/golden/<case>/ holds a rule set in `rules/` (DSL and YAML rule files,
lexicons) and what the three stages make of it, in `ast.txt`, `ir.txt` and `program.txt`:
the text `iedsl debug ast|ir|program rules` prints when run in that directory (ie_dsl/tools/dump.py
makes it; file names are as statements give them, `rules/main.ie`). A change in parsing,
lowering or compiling shows as a diff here. When the change is meant, regenerate every golden
file with one command and review the diff in git:

    .venv/bin/python tests/test_golden.py --update

A new case is a new directory with a `rules/` folder; the same command writes its files.
"""

from __future__ import annotations

import difflib
import shutil
import sys
from pathlib import Path

import pytest

from ie_dsl import compile_rules
from ie_dsl.pipeline import provenance
from ie_dsl.tools.dump import dump_ast, dump_ir, dump_program

GOLDEN = Path(__file__).resolve().parent / "golden"
STAGES = ("ast", "ir", "program")
UPDATE = ".venv/bin/python tests/test_golden.py --update"


def cases(root: Path = GOLDEN) -> list[Path]:
    """The case directories under `root`: those with a `rules/` folder."""
    return sorted(p for p in root.iterdir() if (p / "rules").is_dir())


def dumps(case: Path) -> dict[str, str]:
    """Stage name -> the dump of the rules in `case`/rules, as `iedsl debug` prints it."""
    rules = case / "rules"
    book = compile_rules([rules])
    names = provenance([rules], book.ruleset.read)
    program = book.program
    compiled = [*(c for s in program.strata for c in s), *program.statements]
    ast = [f"# {names.get(f.path, f.path)}\n{dump_ast(f)}" for f in book.ruleset.files]
    anchors = (
        f"# anchors: {len(program.anchors)} atoms index {len(program.statements)} statement rules; "
        f"{len(program.always)} always tried"
    )
    return {
        "ast": "\n".join(ast) + "\n",
        "ir": "\n".join(dump_ir(cr.rule) for cr in compiled) + "\n",
        "program": "\n".join([*(dump_program(cr) for cr in compiled), anchors]) + "\n",
    }


def update(root: Path = GOLDEN) -> list[Path]:
    """Write every case's golden files under `root`; returns the files whose text changed."""
    changed = []
    for case in cases(root):
        for stage, text in dumps(case).items():
            path = case / f"{stage}.txt"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                changed.append(path)
    return changed


def test_there_are_golden_cases() -> None:
    found = {c.name for c in cases()}
    assert {"tokens", "operators", "types", "macros", "loose", "yaml"} <= found
    for case in cases():
        assert sorted(p.name for p in case.glob("*.txt")) == sorted(f"{s}.txt" for s in STAGES), case


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_dumps_match_their_golden_files(case: Path) -> None:
    problems = []
    for stage, got in dumps(case).items():
        path = case / f"{stage}.txt"
        want = path.read_text(encoding="utf-8") if path.exists() else ""
        if got != want:
            name = str(path.relative_to(GOLDEN.parent.parent))
            diff = difflib.unified_diff(
                want.splitlines(keepends=True), got.splitlines(keepends=True), name, f"{name} (now)"
            )
            problems.append("".join(diff))
    if problems:
        pytest.fail(
            "".join(problems) + f"\nIf the change is meant, regenerate the golden files: {UPDATE}",
            pytrace=False,
        )


def test_the_update_command_writes_what_the_test_compares(tmp_path: Path) -> None:
    case = cases()[0]
    copy = tmp_path / case.name
    shutil.copytree(case / "rules", copy / "rules")
    (copy / "ir.txt").write_text("stale\n", encoding="utf-8")
    assert sorted(p.name for p in update(tmp_path)) == sorted(f"{s}.txt" for s in STAGES)
    for stage in STAGES:
        assert (copy / f"{stage}.txt").read_text(encoding="utf-8") == (case / f"{stage}.txt").read_text(
            encoding="utf-8"
        )
    assert update(tmp_path) == []  # a second run changes nothing


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        print(f"usage: {UPDATE}", file=sys.stderr)
        raise SystemExit(2)
    written = update()
    for path in written:
        print(f"updated {path.relative_to(GOLDEN.parent.parent)}")
    print(f"{len(written)} golden files changed, {len(cases()) * len(STAGES)} in all")
