"""The package's import contract (issue 14): layers import only downwards, and no two
modules import each other.

Layers, lowest first (docs/architecture.md draws them):

    text < language < engine < run < core < claims < scale < tools < cli

`core` is the top-level pipeline and cache (RuleBook, compiled-rule cache). `source`,
`diagnostics` and `resources` are shared by every layer; the package's `__init__` (the
public face) and `__main__` may import anything, and any module may read the package's
`__version__`. Every import counts, wherever it stands (a function-level import is still a
dependency); imports under `if TYPE_CHECKING:` run nowhere, so they are left out of the
cycle check but not of the layer check.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ie_dsl"
ORDER = ["text", "language", "engine", "run", "core", "claims", "scale", "tools", "cli"]
SHARED = {"source", "diagnostics", "resources"}
CORE = {"pipeline", "cache"}
FACE = {"", "__main__"}


def _name(package: Path, path: Path) -> str:
    """ie_dsl/engine/vm.py -> engine.vm; ie_dsl/__init__.py -> ''."""
    parts = list(path.relative_to(package).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str | None:
    """The layer of a module named as _name gives (None: shared, or the public face)."""
    if module in SHARED or module in FACE:
        return None
    return "core" if module in CORE else module.split(".")[0]


def _imports(package: Path, path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, under TYPE_CHECKING) for each import of the package in a file;
    `from ie_dsl.x import y` is an import of x.y when y is a module, else of x."""
    found: list[tuple[str, int, bool]] = []

    def is_module(name: str) -> bool:
        base = package / name.replace(".", "/")
        return base.with_suffix(".py").exists() or (base / "__init__.py").exists()

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None)
            if isinstance(child, ast.If) and ast.unparse(test).endswith("TYPE_CHECKING"):
                for sub in child.body:
                    visit_node(sub, True)
                for sub in child.orelse:
                    visit_node(sub, typing_only)
            else:
                visit_node(child, typing_only)

    def visit_node(node: ast.AST, typing_only: bool) -> None:
        top = package.name
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == top or alias.name.startswith(top + "."):
                    found.append((alias.name[len(top) + 1 :], node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == top:
            base = (node.module or "")[len(top) + 1 :]
            for alias in node.names:
                sub = f"{base}.{alias.name}".lstrip(".")
                if is_module(sub):
                    found.append((sub, node.lineno, typing_only))
                elif not (base == "" and alias.name == "__version__"):
                    found.append((base, node.lineno, typing_only))
        visit(node, typing_only)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def problems(package: Path) -> list[str]:
    """Every breach of the contract in `package`, as 'file:line: what'."""
    modules = {_name(package, p): p for p in sorted(package.rglob("*.py"))}
    edges = {m: _imports(package, p) for m, p in modules.items()}
    out = []
    for module, path in modules.items():
        mine = layer(module)
        where = path.relative_to(package.parent)
        if mine is not None and mine not in ORDER:
            out.append(f"{where}:1: {module} is in no layer (one of {ORDER}, or shared)")
            continue
        for target, line, _typing in edges[module]:
            theirs = layer(target)
            if mine is None or theirs is None or theirs not in ORDER or target == module:
                continue
            if ORDER.index(theirs) > ORDER.index(mine):
                out.append(f"{where}:{line}: {module} ({mine}) imports {target} ({theirs}), a higher layer")
    running = {m: {t for t, _line, typing in e if not typing and t != m} for m, e in edges.items()}
    for a, targets in running.items():
        for b in sorted(targets):
            if a < b and a in running.get(b, set()):
                out.append(f"{modules[a].relative_to(package.parent)}:1: {a} and {b} import each other")
    return out


def test_the_package_keeps_its_layers():
    assert problems(PACKAGE) == []


def test_every_layer_says_what_it_takes_and_gives():
    for name in ORDER:
        init = PACKAGE / name / "__init__.py"
        if name != "core":
            assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), init


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "ie_dsl"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    for d in [p for p in root.rglob("*") if p.is_dir()]:
        (d / "__init__.py").touch()
    return root


def test_an_upward_import_is_reported_with_its_place(tmp_path):
    root = _package(
        tmp_path,
        {
            "engine/vm.py": "from ie_dsl.text.view import DocView\n\n"
            "def f():\n    from ie_dsl.tools import dump\n",
            "text/view.py": "DocView = object\n",
            "tools/dump.py": "from ie_dsl.engine import vm\n",
        },
    )
    assert problems(root) == [
        "ie_dsl/engine/vm.py:4: engine.vm (engine) imports tools.dump (tools), a higher layer",
        "ie_dsl/engine/vm.py:1: engine.vm and tools.dump import each other",
    ]


def test_modules_that_import_each_other_are_reported_unless_only_for_typing(tmp_path):
    root = _package(
        tmp_path,
        {
            "engine/a.py": "from ie_dsl.engine import b\n",
            "engine/b.py": "from ie_dsl.engine.a import x\n",
            "engine/c.py": "import typing\nif typing.TYPE_CHECKING:\n    from ie_dsl.engine import d\n",
            "engine/d.py": "import ie_dsl.engine.c\n",
            "nowhere.py": "",
        },
    )
    assert sorted(problems(root)) == [
        "ie_dsl/engine/a.py:1: engine.a and engine.b import each other",
        f"ie_dsl/nowhere.py:1: nowhere is in no layer (one of {ORDER}, or shared)",
    ]
