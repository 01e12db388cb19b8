"""`iedsl test [RULES...] [FIXTURES...]`: run fixture cases and rule examples, show what differs.

Results and the summary line go to stdout, diagnostics and notes to stderr. Exit codes:
0 every case passed; 1 a case failed (or none ran); 2 unusable rules, fixtures or options.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from ie_dsl.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    current_project,
    err,
    kind_of,
    load_book,
    show_diagnostics,
)
from ie_dsl.cli.target import output_problem
from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language.project import PROJECT_FILE
from ie_dsl.pipeline import RuleBook
from ie_dsl.resources import is_pack
from ie_dsl.scale.output import NotRegularFile, write_atomic
from ie_dsl.source import SourceFile, SourceSpan
from ie_dsl.tools.fixtures import (
    Case,
    Fixture,
    FixtureError,
    Result,
    example_cases,
    find_fixture_files,
    junit_xml,
    load_fixture,
    parse_fixture,
    render_failure,
    result_json,
    run_case,
    select,
)
from ie_dsl.tools.fixtures.update import rewrite


def _is_fixture_arg(arg: str) -> bool:
    """A fixture file, or a directory with fixture files and no rules (cli.common.kind_of)."""
    return kind_of(arg) == "fixtures"


def split_args(paths: list[str]) -> tuple[list[str], list[str]]:
    """(rule paths, fixture paths) as given: the rules come first; the first fixture ends
    them. Exits 2 when neither is given and there is no project."""
    k = 0
    while k < len(paths) and not _is_fixture_arg(paths[k]):
        k += 1
    rules, fixtures = paths[:k], paths[k:]
    for arg in fixtures:
        if not Path(arg).exists():
            err(f"error: no such fixture file or directory: {arg}")
            raise typer.Exit(EXIT_USAGE)
        if not _is_fixture_arg(arg):
            err(f"error: {arg} is not a fixture (a YAML file with `cases:`); rules come before fixtures")
            raise typer.Exit(EXIT_USAGE)
    if not rules and not fixtures and current_project() is None:
        err(
            f"error: no rules or fixtures given, and no {PROJECT_FILE} here or above: "
            "iedsl test RULES... [FIXTURES...], or make a project with `iedsl init`"
        )
        raise typer.Exit(EXIT_USAGE)
    return rules, fixtures


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


def default_fixtures(rules: list[str]) -> list[str]:
    """The fixtures to run when none are given: the project's, when the rules are the
    project's or lie inside it; else the fixture files inside the rule directories and a
    `tests/fixtures` (or `fixtures`) directory beside the first rules path or one level up.
    Never higher: another checkout's fixtures are not this rule set's."""
    project = current_project()
    if project is not None and rules and all(is_pack(r) or project.owns(r) for r in rules):
        if all(is_pack(r) for r in rules) and not set(rules) <= set(project.rules):
            return []
        return [_shown(Path(f)) for f in project.fixtures if Path(f).exists()]
    found: list[str] = []
    for r in rules:
        if not is_pack(r) and Path(r).is_dir() and find_fixture_files(Path(r)):
            found.append(r)  # fixtures kept beside the rules (never loaded as rules)
    first = next((r for r in rules if not is_pack(r)), None)
    if first is None:
        return found
    start = Path(first).resolve()
    start = start if start.is_dir() else start.parent
    for d in (start, start.parent):
        for sub in (d / "tests" / "fixtures", d / "fixtures"):
            if sub.is_dir() and not sub.resolve().is_relative_to(start) and find_fixture_files(sub):
                return [*found, _shown(sub)]
    return found


def _load_fixtures(paths: list[str]) -> list[Fixture]:
    """Every fixture under `paths`, or exit 2 with every problem of every file shown."""
    fixtures, diags, sources = [], [], {}
    for arg in paths:
        for path in find_fixture_files(Path(arg)):
            try:
                fixtures.append(load_fixture(_shown(path) if path.is_absolute() else str(path)))
            except FixtureError as exc:
                diags += exc.diagnostics
                sources.update(exc.sources)
    if diags:
        _fail_usage(diags, sources, "fixtures")
    return fixtures


def _fail_usage(diags: list[Diagnostic], sources: dict[str, SourceFile], what: str) -> None:
    show_diagnostics(diags, sources)
    err(f"{len(diags)} error{'s' if len(diags) != 1 else ''} in {what}; nothing was run")
    raise typer.Exit(EXIT_USAGE)


def plan(
    rules: list[str], fixtures: list[Fixture], fallback: tuple[str, ...] = ()
) -> list[tuple[RuleBook, list[Case]]]:
    """The books to compile and the cases each runs: rule examples first, then fixture cases.

    With rules on the command line every fixture uses them; without, each fixture uses its
    own `rules:`, else `fallback` (the project's rules); fixtures naming the same rules share
    one compiled book."""
    groups: dict[tuple[str, ...], list[Fixture]] = {}
    missing = []
    for fx in fixtures:
        key = tuple(rules) or fx.rules or fallback
        if not key:
            missing.append(
                Diagnostic(
                    "E608",
                    "this fixture names no rules",
                    SourceSpan(fx.path, 0, 1),
                    "give RULES on the command line, `rules: <path>` in the fixture, or make a "
                    "project (iedsl init)",
                )
            )
        groups.setdefault(key, []).append(fx)
    if missing:
        _fail_usage(missing, {fx.path: fx.source for fx in fixtures}, "fixtures")
    if (rules or fallback) and not groups:
        groups[tuple(rules) or fallback] = []
    out = []
    for key, members in groups.items():
        book = load_book(list(key))
        try:
            cases = example_cases(book)
        except FixtureError as exc:
            _fail_usage(exc.diagnostics, exc.sources, "rule examples")
        out.append((book, cases + [c for fx in members for c in fx.cases]))
    return out


def run_tests_cli(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Rule files or directories (@pack: the shipped pack), then fixture files or "
            "directories. No rules: the project's, else each fixture's `rules:`. No fixtures: "
            "the project's, else those beside the rules."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write JUnit XML to this file.")] = None,
    keyword: Annotated[
        str | None, typer.Option("-k", help="Run only cases whose id (file:line name) contains this.")
    ] = None,
    update: Annotated[
        bool,
        typer.Option("--update", help="Rewrite the `expect:` of failing fixture cases from current output."),
    ] = False,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="Also list rules that never fired or were always overridden.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list the cases that passed.")
    ] = False,
) -> None:
    """Run fixture cases and the examples written in rules; show a diff for each failure."""
    if fmt not in ("text", "json"):
        err(f"error: unknown format {fmt!r}; use text or json")
        raise typer.Exit(EXIT_USAGE)
    problem = output_problem(junit, "--junit") if junit is not None else None
    if problem:  # before any work, as `run -o`: a device, a FIFO, a directory, no directory
        err(f"error: {problem}")
        raise typer.Exit(EXIT_USAGE)
    rules, fixture_args = split_args(paths or [])
    project = current_project()
    fallback = project.rules if project is not None else ()
    if not fixture_args:
        fixture_args = default_fixtures(rules or list(fallback))
        if not fixture_args:
            where = "in the project" if current_project() is not None else "beside the rules"
            err(f"note: no fixtures given, none {where}: rule examples only")
    fixtures = _load_fixtures(fixture_args)
    started = time.perf_counter()
    results: list[Result] = []
    cover: list[Any] = []
    for book, cases in plan(rules, fixtures, fallback):
        chosen = select(cases, keyword)
        results += [run_case(book, case) for case in chosen]
        if coverage:
            from ie_dsl.tools.coverage import measure

            cover += measure(book, ((c.id, text) for c in chosen for text in c.texts))
    elapsed = time.perf_counter() - started
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    _report(results, fmt, verbose, cover if coverage else None)
    written = _write(junit, junit_xml(results, elapsed)) if junit is not None else True
    if fmt == "text":
        typer.echo(f"{passed} passed, {failed} failed")
    # the counts above are of the run; after --update, only what it could not rewrite fails
    remaining = failed - _update(fixtures, results) if update else failed
    if not results:
        err("no cases ran" + (f" (none matches -k {keyword!r})" if keyword else ""))
        raise typer.Exit(EXIT_PROBLEMS)
    raise typer.Exit(EXIT_PROBLEMS if remaining or not written else EXIT_OK)


def _write(path: Path, text: str, verb: str = "write") -> bool:
    """Write `text` to `path` atomically; a failure (a full disk, a directory made read-only
    or a FIFO put there since the check) is one line on stderr, the file left as it was."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        reason = str(exc) if isinstance(exc, NotRegularFile) else exc.strerror or str(exc)
        err(f"error: cannot {verb} {path}: {reason}; it was not changed")
        return False
    return True


def _report(results: list[Result], fmt: str, verbose: bool, cover: list[Any] | None) -> None:
    if fmt == "json":
        out: dict[str, Any] = {
            "passed": sum(r.passed for r in results),
            "failed": sum(not r.passed for r in results),
            "cases": [result_json(r) for r in results],
        }
        if cover is not None:
            out["coverage"] = [asdict(c) for c in cover]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in results:
        if not r.passed:
            typer.echo(render_failure(r) + "\n")
        elif verbose:
            typer.echo(f"PASS {r.case.id}")
    if cover is not None:
        from ie_dsl.tools.coverage import render

        typer.echo(render(cover))


def _update(fixtures: list[Fixture], results: list[Result]) -> int:
    """Rewrite failing fixture cases; returns how many were rewritten (they now pass)."""
    rewritten = 0
    for fx in fixtures:
        mine = [r for r in results if r.case.file == fx.path and r.case.kind == "fixture" and not r.passed]
        if not mine:
            continue
        text, done, skipped = rewrite(fx, mine)
        for reason in skipped:
            err(f"not updated: {reason}")
        if not done:
            continue
        try:  # never write a file that would no longer load
            parse_fixture(SourceFile(fx.path, text))
        except FixtureError as exc:
            show_diagnostics(exc.diagnostics, exc.sources)
            err(f"error: the update of {fx.path} would not load; the file was left as it was")
            continue
        if not _write(Path(fx.path), text, "update"):
            continue
        rewritten += len(done)
        err(f"updated {len(done)} case{'s' if len(done) != 1 else ''} in {fx.path}")
    for r in results:
        if not r.passed and r.case.kind != "fixture":
            err(f"not updated: {r.case.id}: rule examples are edited in the rule file")
    return rewritten
