"""`iedsl init DIR`: a new rule project whose `iedsl test` passes at once.

It writes a project file (`iedsl.toml`, or `[tool.iedsl]` appended to an existing
`pyproject.toml` with `--pyproject`), `rules/` with an example rule that reuses a lexicon of
the shipped pack, `lexicons/` with a small lexicon, and `fixtures/` with a fixture for the
example. Nothing that exists is overwritten: a file already there is a usage error (exit 2)
and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ie_dsl.cli.common import EXIT_USAGE, err
from ie_dsl.language.project import PROJECT_FILE, PYPROJECT
from ie_dsl.scale.output import write_atomic

SETTINGS = """\
# Rule paths: files or directories, relative to this file; @pack/FILE is a file of the
# rule pack shipped with iedsl. Every iedsl command run here or below uses them.
rules = ["rules", "lexicons"]
# Fixture files or directories: what `iedsl test` (and pytest, below) runs.
fixtures = ["fixtures"]
# true: `pytest` collects the fixtures as test items (the iedsl plugin).
pytest = false
# true: `use` may read files outside the rule paths above.
allow-outside-root = false

# Defaults for a command's options, by their long names (docs/own-rules.md):
# [{table}run]
# format = "jsonl"
# jobs = 2
"""

EXAMPLE_RULE = """\
# An example rule: it shows the parts of a rule. Change it, or replace it with your own;
# docs/own-rules.md explains the project, docs/language.md the rule language.

# Place names from the lexicon shipped with iedsl: reused, not copied.
use "@pack/lexicons/places.yaml"

rule opens_site:
    company:COMPANY ~open ...{0,4} (~office | ~plant | ~factory) in place:PLACE
    => opens(company, place)
    @example "Acme Corp opened a new office in Kenya." => company="Acme Corp", place="Kenya"
    @counterexample "Acme Corp closed its office in Kenya."
"""

EXAMPLE_LEXICON = """\
# A lexicon: every entry (and alias) is annotated as a COMPANY wherever it occurs.
type: COMPANY
entries:
  - name: Acme Corp
    aliases: [Acme]
  - Globex
"""

EXAMPLE_FIXTURE = """\
# Test cases for the rules (docs/testing.md): `iedsl test` runs them.
cases:
  - name: a company opens a site abroad
    text: Globex opened two new factories in Vietnam last year.
    expect:
      - type: opens
        args: {company: Globex, place: Vietnam}

  - name: closing is not opening
    nothing:
      - Acme closed its office in Kenya.
"""


def _files(pyproject: bool) -> dict[str, str]:
    files = {
        "rules/example.ie": EXAMPLE_RULE,
        "lexicons/companies.yaml": EXAMPLE_LEXICON,
        "fixtures/example.yaml": EXAMPLE_FIXTURE,
    }
    if not pyproject:
        files[PROJECT_FILE] = SETTINGS.format(table="")
    return files


def init_cli(
    directory: Annotated[Path, typer.Argument(help="Where to make the project (made if missing).")] = Path(),
    pyproject: Annotated[
        bool,
        typer.Option(
            "--pyproject", help="Put the settings in pyproject.toml as [tool.iedsl] instead of iedsl.toml."
        ),
    ] = False,
) -> None:
    """Make a rule project: a project file, rules/, lexicons/, fixtures/ and an example rule
    with a passing fixture. Then: cd DIRECTORY && iedsl test."""
    if directory.exists() and not directory.is_dir():
        err(f"error: {directory} exists and is not a directory")
        raise typer.Exit(EXIT_USAGE)
    files = _files(pyproject)
    taken = [name for name in files if (directory / name).exists()]
    if (directory / PROJECT_FILE).exists():
        taken.append(PROJECT_FILE)
    pyproject_path = directory / PYPROJECT
    if pyproject and pyproject_path.exists() and "[tool.iedsl]" in _read(pyproject_path):
        taken.append(f"{PYPROJECT} [tool.iedsl]")
    if taken:
        err(f"error: {directory} already has {', '.join(sorted(set(taken)))}; nothing was written")
        raise typer.Exit(EXIT_USAGE)
    try:
        for name, text in files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, text)
        if pyproject:
            before = _read(pyproject_path) if pyproject_path.exists() else ""
            sep = "" if not before or before.endswith("\n\n") else ("\n" if before.endswith("\n") else "\n\n")
            write_atomic(
                pyproject_path, before + sep + "[tool.iedsl]\n" + SETTINGS.format(table="tool.iedsl.")
            )
    except OSError as exc:
        err(f"error: cannot write in {directory}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from None
    where = "pyproject.toml [tool.iedsl]" if pyproject else PROJECT_FILE
    typer.echo(
        f"made a rule project in {directory}: {where}, rules/example.ie, lexicons/companies.yaml, "
        f"fixtures/example.yaml\nnext: cd {directory} && iedsl test"
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err(f"error: cannot read {path}: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
