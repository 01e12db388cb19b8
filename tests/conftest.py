"""Shared fixtures: write a small rule set to a temp dir and compile it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ie_dsl import RuleBook, compile_rules

ROOT = Path(__file__).resolve().parent.parent

# The shipped pack's fixtures (tests/fixtures/) run as pytest items: iedsl's collector acts
# only where a project opts in (ie_dsl/tools/pytest_plugin.py), and this repository does here.
pytest_plugins = ["ie_dsl.tools.pytest_fixtures"]

# Commands run by the tests (in-process and in subprocesses) cache compiled rule sets here,
# not in the user's ~/.cache.
os.environ["IEDSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="iedsl-test-cache-")

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
