"""pytest plugin (entry point `iedsl`): iedsl fixture files become test items, one per case.

Collected: `.yaml`/`.yml` files inside a directory named `fixtures` (at any depth below the
rootdir) whose top level has a `cases:` key. Each case is an item named after the case; a
failing one shows the same diff as `iedsl test`. Rules: the fixture's `rules:`, else the
`iedsl_rules` ini option (paths relative to the ini file). Rule examples are not collected:
`iedsl test` runs them.

Only pytest is imported at start-up: the engine is imported when a fixture file is found,
so the plugin costs nothing in projects that have none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_BOOKS = pytest.StashKey[dict[tuple[str, ...], Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "iedsl_rules",
        "iedsl rule paths for fixture files that have no `rules:` key",
        type="paths",
        default=[],
    )


def _in_fixtures_dir(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        parts = path.parts[:-1]
    return "fixtures" in parts


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or not _in_fixtures_dir(file_path, parent.config.rootpath):
        return None
    from ie_dsl.fixtures import is_fixture_file

    if not is_fixture_file(file_path):
        return None
    return FixtureFile.from_parent(parent, path=file_path)


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


class FixtureFile(pytest.File):
    """One fixture file: loads it (located errors become a collection error) and its rules."""

    def collect(self) -> Iterator[pytest.Item]:
        from ie_dsl.diagnostics import IEDslError, render
        from ie_dsl.fixtures import FixtureError, load_fixture
        from ie_dsl.pipeline import compile_rules

        try:
            fixture = load_fixture(_shown(self.path))
        except FixtureError as exc:
            raise self.CollectError(render(exc.diagnostics, exc.sources)) from None
        rules = fixture.rules or tuple(_shown(p) for p in self.config.getini("iedsl_rules"))
        if not rules:
            raise self.CollectError(
                f"{fixture.path}: this fixture names no rules: add `rules: <path>` to it, "
                "or `iedsl_rules` to the pytest configuration"
            )
        books = self.config.stash.setdefault(_BOOKS, {})
        if rules not in books:
            try:
                books[rules] = compile_rules(rules)
            except IEDslError as exc:
                books[rules] = exc
        book = books[rules]
        if isinstance(book, IEDslError):
            raise self.CollectError(
                f"rules {', '.join(rules)} do not compile:\n" + render(book.diagnostics, {})
            )
        for case in fixture.cases:
            yield CaseItem.from_parent(self, name=case.name, case=case, book=book)


class CaseFailed(Exception):
    """Raised by a failing case; carries its result for `repr_failure`."""

    def __init__(self, result: Any):
        super().__init__(result.case.id)
        self.result = result


class CaseItem(pytest.Item):
    """One fixture case run against its compiled rules."""

    def __init__(self, *, case: Any, book: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case
        self.book = book

    def runtest(self) -> None:
        from ie_dsl.fixtures import run_case

        result = run_case(self.book, self.case)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            from ie_dsl.fixtures import render_failure

            return render_failure(excinfo.value.result)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.file}:{self.case.line} {self.case.name}"
