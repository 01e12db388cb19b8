"""Shared fixtures: write a small rule set to a temp dir and compile it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ie_dsl import RuleBook, compile_rules

ROOT = Path(__file__).resolve().parent.parent

BASE_LEXICONS = {
    "orgs.yaml": """type: ORG
case: smart
entries:
  - name: Collective Security Treaty Organization
    aliases: [CSTO]
    attrs: {kind: military alliance}
  - United Nations
""",
    "places.yaml": """type: PLACE
entries: [Afghanistan, Central Asia, Tajikistan, Russia]
""",
}


@pytest.fixture
def book(tmp_path: Path) -> Callable[..., RuleBook]:
    """book(rules_text, **extra_files) -> RuleBook compiled from a fresh directory."""

    def make(rules: str, **files: str) -> RuleBook:
        for name, text in {**BASE_LEXICONS, **files}.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        (tmp_path / "main.ie").write_text(rules, encoding="utf-8")
        return compile_rules([tmp_path])

    return make
