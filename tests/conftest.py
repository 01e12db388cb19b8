"""Shared fixtures: a small rule set compiled from text (`book`); the pack's fixtures as items."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ie_dsl import RuleBook
from ie_dsl.pipeline import compile_text

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
def book() -> Callable[..., RuleBook]:
    """book(rules_text, **extra_files) -> RuleBook compiled from main.ie (rules_text) beside
    BASE_LEXICONS and `extra_files`, all given as text (pipeline.compile_text): no file written."""

    def make(rules: str, **files: str) -> RuleBook:
        return compile_text(rules, {**BASE_LEXICONS, **files})

    return make


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The token each matcher search starts at, in order (runtime.search is wrapped): what
    the prefilter's tests count to see which starts it let through."""
    from ie_dsl.run import runtime

    starts: list[int] = []
    real = runtime.search

    def counting(code: Any, d: Any, w: Any, start: int, *rest: Any) -> Any:
        starts.append(start)
        return real(code, d, w, start, *rest)

    monkeypatch.setattr(runtime, "search", counting)
    return starts
