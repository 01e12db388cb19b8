"""Rule files -> checked rules: YAML and .ie reading, the Lark parser (only in parser.py), AST
nodes, lexicons, declarations (schema), scoping, and the checks of names, macros, uses,
literals and declarations: every E2xx problem is found here, before anything is lowered
(E218 from the capture names lowering will make, captures.py; E224 by RE2; E227 with macros
expanded and loose rules laid out).

The stages, callable one by one (no file needed: text in, value out):

- `parse_text(text, name)` -> `nodes.RuleFile`, the AST of one DSL file (IEDslError: E1xx)
- `load_texts({name: text})` / `load_rules(paths)` -> `RuleSet`, what was read, not checked
- `check(ruleset)` -> `CheckedRules` (IEDslError: every problem found, load errors included)
- `check_text(text, files)` -> `CheckedRules`: `load_texts` then `check`

The names are imported when first used, so importing a module of this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ie_dsl.language.analysis import CheckedRules, check
    from ie_dsl.language.loader import RuleSet, load_rules, load_texts
    from ie_dsl.language.nodes import RuleFile

__all__ = ["CheckedRules", "RuleSet", "check", "check_text", "load_rules", "load_texts", "parse_text"]

_LAZY = {
    "CheckedRules": "analysis",
    "check": "analysis",
    "RuleSet": "loader",
    "load_rules": "loader",
    "load_texts": "loader",
}


def __getattr__(name: str) -> Any:
    """The stage functions and types above, imported on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


def parse_text(text: str, name: str = "<text>") -> RuleFile:
    """The text of one DSL rule file -> its AST, spans naming the file `name`; `use`
    statements are kept, not followed. Raises IEDslError with the located E1xx problem."""
    from ie_dsl.language.parser import parse_file

    return parse_file(text, name)


def check_text(text: str, files: Mapping[str, str] | None = None, name: str = "main.ie") -> CheckedRules:
    """A rule file's text (named `name`) and the other files beside it (`files`, name -> text:
    lexicon YAML, rule files it `use`s) -> CheckedRules, as `check(load_rules([a directory
    holding them]))` gives, with the same diagnostics and spans. Raises IEDslError."""
    from ie_dsl.language.analysis import check
    from ie_dsl.language.loader import load_texts

    return check(load_texts({**(files or {}), name: text}))
