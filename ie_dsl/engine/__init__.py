"""Checked rules -> a Program, and a Program over a DocView -> matches: IR, lowering, token tests,
prefilter, compiler, VM, conflicts. Knows no rule set's types or roles.

The stages, callable one by one:

- `lower(checked, warnings)` -> `ir.Lowered(strata, statements)`: each checked rule as IR
  (macros expanded, literals tokenized, captures resolved); IEDslError for E406 (a rule too
  large once expanded)
- `compile_program(strata, statements, lexicons, types, schema)` -> `Program`; IEDslError (E4xx)
- `compile_checked(checked, warnings)` -> `Program`: the two above in one
- `vm.search(code, view, window, start, longest, nslots)` -> one rule's match at a start,
  over a `DocView` whose annotations are already made; annotating a view and reading statements off the
  matches is the run layer's (`run.runtime.extract`), and `pipeline.compile_text` gives a
  RuleBook whose `extract` does both.

The names are imported when first used, so importing a module of this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ie_dsl.diagnostics import Diagnostic
    from ie_dsl.engine.compiler import Program, compile_program
    from ie_dsl.engine.ir import Lowered
    from ie_dsl.engine.lowering import lower
    from ie_dsl.language.analysis import CheckedRules

__all__ = ["Lowered", "Program", "compile_checked", "compile_program", "lower"]

_LAZY = {"Program": "compiler", "compile_program": "compiler", "Lowered": "ir", "lower": "lowering"}


def __getattr__(name: str) -> Any:
    """The stage functions and types above, imported on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


def compile_checked(checked: CheckedRules, warnings: list[Diagnostic] | None = None) -> Program:
    """Checked rules -> their Program: lowered, then compiled with the rules' lexicons, types
    and declarations. The warnings of lowering (W225) are added to `warnings` when given.
    Raises IEDslError with the errors of lowering or compiling (E4xx)."""
    from ie_dsl.engine.compiler import compile_program
    from ie_dsl.engine.lowering import lower

    strata, statements = lower(checked, warnings)
    return compile_program(strata, statements, checked.lexicons, checked.types, checked.schema)
