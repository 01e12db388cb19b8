"""Which types a rule file sees, so that the pack's names and a user's meet only through `use`.

Types (lexicon types, entity types) are global when rules run. But a macro of the shipped
pack (`define STATE` in `common.ie`) must not clash with a user's type (`entity STATE`)
unless the two meet: a file sees the types declared on its own side (the pack's files, or
all of the user's: `RuleSet.roots`) and in the files it `use`s, directly or not, plus the
built-in types.

`hidden_types(ruleset, file, by_path, builtins)` -> the E214 diagnostics of one file: its
own macros that hide a type it sees, and macros a `use` brings in that hide one (reported
at that `use`, in the file that says it, not in the file that defines the macro).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language import nodes as n
from ie_dsl.language.loader import RuleSet
from ie_dsl.resources import PACK, data_dir


def declared(rs: RuleSet) -> dict[str, dict[str, str]]:
    """File -> {type it declares: where (file:line)}: entity rules and lexicons."""
    out: dict[str, dict[str, str]] = {}
    for f in rs.files:
        for r in f.rules:
            if r.kind == "entity":
                line = rs.sources[f.path].line_col(r.span.start)[0] if f.path in rs.sources else 0
                out.setdefault(f.path, {}).setdefault(r.name, f"{f.path}:{line}")
    for lx in rs.lexicons:
        out.setdefault(lx.path, {}).setdefault(lx.type, lx.path)
    return out


def visible(rs: RuleSet, path: str, types: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The types `path` sees ({type: where it is declared}): those of files on its own side
    (pack or user) and of the files it uses, transitively."""
    root = rs.roots.get(path)
    out: dict[str, str] = {}
    for file, names in types.items():
        if rs.roots.get(file) == root:
            for name, where in names.items():
                out.setdefault(name, where)
    stack, seen = [path], {path}
    while stack:
        for used in rs.imports.get(stack.pop(), []):
            if used not in seen:
                seen.add(used)
                stack.append(used)
                for name, where in types.get(used, {}).items():
                    out.setdefault(name, where)
    return out


def hidden_types(
    rs: RuleSet,
    f: n.RuleFile,
    by_path: Mapping[str, n.RuleFile],
    builtins: frozenset[str],
    types: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Diagnostic]:
    """E214 for each macro visible in `f` that has the name of a type `f` sees (`types`:
    `declared(rs)`, computed once by the caller)."""
    types = declared(rs) if types is None else types
    sees = {name: "built in" for name in builtins} | visible(rs, f.path, types)
    problems = []
    own = {d.name for d in f.defines}
    for d in f.defines:
        if d.name in sees:
            problems.append(
                Diagnostic(
                    "E214",
                    f"define {d.name} hides the type {d.name} ({_where(sees[d.name])})",
                    d.span,
                    "give the macro another name",
                )
            )
    for used in rs.imports.get(f.path, []):
        g = by_path.get(used)
        site = rs.use_sites.get((f.path, used))
        if g is None or site is None:
            continue
        theirs = None  # what `used` itself sees: a clash there is reported there, once
        for d in g.defines:
            if d.name in own or d.name not in sees:
                continue
            theirs = visible(rs, used, types) if theirs is None else theirs
            if d.name in theirs or d.name in builtins:
                continue
            problems.append(
                Diagnostic(
                    "E214",
                    f"this `use` brings in the macro {d.name} of {_name(rs, used)}, which hides "
                    f"your type {d.name} ({_where(sees[d.name])})",
                    site,
                    f"rename your type, or define in this file a macro of another name for what "
                    f"you need from {_name(rs, used)}",
                )
            )
    return problems


def _where(where: str) -> str:
    return where if where == "built in" else f"declared at {where}"


def _name(rs: RuleSet, path: str) -> str:
    """A file as the user names it: `@pack/common.ie` for a file of the shipped pack."""
    if rs.roots.get(path) != PACK:
        return path
    try:
        return f"{PACK}/{Path(path).resolve().relative_to(data_dir('rules').resolve()).as_posix()}"
    except ValueError:
        return path
