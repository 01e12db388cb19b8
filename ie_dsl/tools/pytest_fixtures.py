"""iedsl fixture files as pytest items, one per case (turned on by ie_dsl/tools/pytest_plugin.py).

Collected: `.yaml`/`.yml` fixture files (a top-level `cases:` key). In a project (a project
file found from pytest's rootdir), those under the project's `fixtures` paths; without one,
those inside a directory named `fixtures` (at any depth below the rootdir). Each case is an
item named after the case; a failing one shows the same diff as `iedsl test`. Rules: the
fixture's `rules:`, else the project's `rules`, else the `iedsl_rules` ini option (paths
relative to the ini file). Rules that do not compile are a collection error showing every
problem as `file:line:col` with the line and a caret. Rule examples are not collected:
`iedsl test` runs them.

The engine is imported only when a fixture file is found.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_BOOKS = pytest.StashKey[dict[tuple[str, ...], Any]]()
_PROJECT = pytest.StashKey[Any]()


def _project(config: pytest.Config) -> Any:
    """The project of pytest's rootdir (or None), found once per run."""
    if _PROJECT not in config.stash:
        from ie_dsl.language.project import ProjectError, find_project

        try:
            config.stash[_PROJECT] = find_project(config.rootpath)
        except ProjectError as exc:
            raise pytest.UsageError(f"iedsl: {exc}") from None
    return config.stash[_PROJECT]


def _in_fixtures_dir(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        parts = path.parts[:-1]
    return "fixtures" in parts


def _wanted(path: Path, config: pytest.Config) -> bool:
    project = _project(config)
    if project is None:
        return _in_fixtures_dir(path, config.rootpath)
    real = path.resolve()
    return any(real == Path(f) or real.is_relative_to(Path(f)) for f in project.fixtures)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or not _wanted(file_path, parent.config):
        return None
    from ie_dsl.tools.fixtures import is_fixture_file

    if not is_fixture_file(file_path):
        return None
    return FixtureFile.from_parent(parent, path=file_path)


def _shown(path: Path | str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


class FixtureFile(pytest.File):
    """One fixture file: loads it (located errors become a collection error) and its rules."""

    def collect(self) -> Iterator[pytest.Item]:
        from ie_dsl.diagnostics import IEDslError, render
        from ie_dsl.language.loader import read_sources
        from ie_dsl.pipeline import compile_rules
        from ie_dsl.tools.fixtures import FixtureError, load_fixture

        try:
            fixture = load_fixture(_shown(self.path))
        except FixtureError as exc:
            raise self.CollectError(render(exc.diagnostics, exc.sources)) from None
        project = _project(self.config)
        rules = fixture.rules
        if not rules and project is not None:
            rules = tuple(r if r.startswith("@") else _shown(r) for r in project.rules)
        if not rules:
            rules = tuple(_shown(p) for p in self.config.getini("iedsl_rules"))
        if not rules:
            raise self.CollectError(
                f"{fixture.path}: this fixture names no rules: add `rules: <path>` to it, "
                "`rules` to the project file, or `iedsl_rules` to the pytest configuration"
            )
        books = self.config.stash.setdefault(_BOOKS, {})
        if rules not in books:
            allow = project is not None and project.allow_outside_root
            try:
                books[rules] = compile_rules(rules, allow_outside_root=allow)
            except IEDslError as exc:
                books[rules] = exc
        book = books[rules]
        if isinstance(book, IEDslError):
            shown = render(book.diagnostics, read_sources(book.diagnostics))
            raise self.CollectError(f"rules {', '.join(rules)} do not compile:\n{shown}")
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
        from ie_dsl.tools.fixtures import run_case

        result = run_case(self.book, self.case)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            from ie_dsl.tools.fixtures import render_failure

            return render_failure(excinfo.value.result)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.file}:{self.case.line} {self.case.name}"
