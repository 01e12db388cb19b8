"""docs/diagnostics.md documents exactly the diagnostic codes the code base can emit.

A code is emitted when it appears in ie_dsl's source as a string literal of its own
("E210", as in `Diagnostic("E210", ...)` or the parser's table of friendly messages). Each
needs a `### CODE: title` section in the doc with its meaning, cause, example and fix; a
section for a code that nothing emits any more fails too, unless the section says the code
is retired: codes are stable, so a code that is no longer raised keeps a short section
saying "**No longer raised.**" and what replaced it, and is never used again.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "diagnostics.md"
CODE = re.compile(r"[EW]\d{3}")


def emitted_codes() -> dict[str, list[str]]:
    """code -> the places (file:line) in ie_dsl that write it."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "ie_dsl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
                found.setdefault(node.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


RETIRED = "**No longer raised.**"


def documented_sections() -> dict[str, str]:
    """code -> the text of its `### CODE: ...` section."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### ([EW]\d{3})\b", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def retired_codes() -> set[str]:
    """The codes whose section says they are no longer raised."""
    return {code for code, body in documented_sections().items() if RETIRED in body}


def test_the_source_emits_codes_directly() -> None:
    codes = emitted_codes()
    # a sanity check of the scan itself: one code of each family the code base has
    assert {"E100", "E210", "E301", "E404", "W301"} <= codes.keys()
    assert 'Diagnostic("E210"' in (ROOT / "ie_dsl" / "language" / "analysis.py").read_text(encoding="utf-8")


def test_every_emitted_code_is_documented() -> None:
    missing = {code: where for code, where in emitted_codes().items() if code not in documented_sections()}
    assert not missing, f"add a section to docs/diagnostics.md for: {missing}"


def test_every_documented_code_is_emitted() -> None:
    stale = sorted(documented_sections().keys() - emitted_codes().keys() - retired_codes())
    assert not stale, f"docs/diagnostics.md documents codes nothing emits: {stale}"


def test_retired_codes_are_not_emitted() -> None:
    # E225 became the warning W225; E226 went when look-arounds of any length were allowed
    assert {"E225", "E226"} <= retired_codes()
    back = {code: where for code, where in emitted_codes().items() if code in retired_codes()}
    assert not back, f"retired codes are emitted again (give a new code instead): {back}"
    for code in retired_codes():
        assert f"| [{code}](#{code.lower()}) | no longer raised" in DOC.read_text(encoding="utf-8"), code


def test_each_section_is_complete() -> None:
    for code, body in documented_sections().items():
        if code in retired_codes():
            continue
        for part in ("**What it means.**", "**Typical cause.**", "**Example.**", "**Fix.**"):
            assert part in body, f"{code}: no {part}"
        # the example output shows the code it documents (E121 cannot be triggered)
        if code != "E121":
            assert f"[{code}]" in body, f"{code}: the example does not show {code}"


def test_codes_appear_once_and_in_order() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = re.findall(r"^### ([EW]\d{3})\b", text, flags=re.M)
    assert len(headings) == len(set(headings))
    errors = [c for c in headings if c.startswith("E")]
    warnings = [c for c in headings if c.startswith("W")]
    assert errors == sorted(errors) and warnings == sorted(warnings)
    # the index table at the top links every section
    for code in headings:
        assert f"[{code}](#{code.lower()})" in text, code
        assert f'<a id="{code.lower()}"></a>' in text, code
