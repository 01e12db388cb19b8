"""pytest plugin (entry point `iedsl`): turns on iedsl's fixture items only where asked.

Installing iedsl registers this module in every pytest run of the environment, so by itself
it does nothing but declare the `iedsl_rules` ini option. It loads the collector,
`ie_dsl.tools.pytest_fixtures`, when the project file of pytest's rootdir (`iedsl.toml`, or
`[tool.iedsl]` in `pyproject.toml`, found as the iedsl commands find it) says
`pytest = true`. A `conftest.py` opts in with `pytest_plugins = ["ie_dsl.tools.pytest_fixtures"]`
(or the command line with `-p ie_dsl.tools.pytest_fixtures`). An unrelated test suite that
happens to have `fixtures/*.yaml` files with a `cases:` key is left alone.

Only pytest and the small project-file reader are imported at start-up.
"""

from __future__ import annotations

import pytest

COLLECTOR = "ie_dsl.tools.pytest_fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "iedsl_rules",
        "iedsl rule paths for fixture files that have no `rules:` key (and no project file)",
        type="paths",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.has_plugin(COLLECTOR):
        return  # a conftest.py or -p opted in already
    from ie_dsl.language.project import ProjectError, find_project

    try:
        project = find_project(config.rootpath)
    except ProjectError as exc:
        # iedsl.toml or [tool.iedsl] is iedsl's own file: a broken one is this run's problem
        raise pytest.UsageError(f"iedsl: {exc}") from None
    if project is not None and project.pytest:
        config.pluginmanager.import_plugin(COLLECTOR)
