"""The names of the captures a rule makes, as lowering numbers them: what its `=>` may name.

`capture_names(rule, macros, scopes, types)` -> the names in the order of lowering's capture
slots (a capture's slot comes after those inside it; implicit ones are named `org`, `org_2`
... in order of appearance, never an explicit capture's name). The rules are those of
engine/lowering.py, read here without building anything:

- `name:PART` captures under `name` (one name written twice is one capture), except inside a
  look-around, where nothing is captured;
- a type or macro written in the rule itself, not inside an explicit capture, a macro body or
  a look-around, is captured implicitly under its lower-cased name;
- a macro's arguments are read where it is called, its body where it is defined (`scopes`);
- a loose rule is read as it is laid out (loose.layout): its elements as written, the
  grammar's gaps and glue as macro bodies.

tests/test_captures.py checks these names against the capture slots lowering makes, for
every rule of the shipped pack and of the case corpus.
"""

from __future__ import annotations

from collections.abc import Mapping

from ie_dsl.language import loose
from ie_dsl.language import nodes as n

Macros = Mapping[str, n.Define]


def capture_names(
    rule: n.Rule, macros: Macros, scopes: Mapping[str, Macros], types: frozenset[str]
) -> tuple[str, ...]:
    """The capture names of `rule`, whose visible macros are `macros` (see the module
    docstring); `types`: every type name, which tells a loose rule's noun phrases."""
    found = _Found(scopes)
    if rule.loose:
        for parts in loose.layout(rule.pattern, macros, types):
            for part in parts:
                for lead in part.lead:
                    found.visit(lead, macros, frozenset(), False, True)
                found.visit(part.node, macros, frozenset(), False, part.kind in ("gap", "NOM"))
    else:
        found.visit(rule.pattern, macros, frozenset(), False, False)
    taken = set(found.explicit)
    counts: dict[str, int] = {}
    return tuple(name if explicit else n.implicit_name(name, counts, taken) for name, explicit in found.slots)


class _Found:
    """The capture slots met so far, in order: (name, True) for an explicit capture (once per
    name), (lower-cased type or macro name, False) for an implicit one."""

    def __init__(self, scopes: Mapping[str, Macros]):
        self.scopes = scopes
        self.slots: list[tuple[str, bool]] = []
        self.explicit: set[str] = set()

    def visit(
        self, p: n.Pattern, macros: Macros, params: frozenset[str], private: bool, captured: bool
    ) -> None:
        """`private`: inside a look-around; `captured`: inside a capture or a macro body."""
        match p:
            case n.Word() | n.Exact() | n.TokenSet() | n.AnyToken() | n.Gap() | n.Anchor():
                pass
            case n.Seq():
                for q in p.items:
                    self.visit(q, macros, params, private, captured)
            case n.Alt():
                for q in p.options:
                    self.visit(q, macros, params, private, captured)
            case n.Repeat():
                self.visit(p.pattern, macros, params, private, captured)
            case n.Look():
                pass  # nothing inside a look-around is captured
            case n.Capture():
                self.visit(p.pattern, macros, params, private, True)
                if not private and p.name not in self.explicit:
                    self.explicit.add(p.name)
                    self.slots.append((p.name, True))
            case n.Ref():
                self.ref(p, macros, params, private, captured)
            case _:
                n.unknown(p)

    def ref(self, p: n.Ref, macros: Macros, params: frozenset[str], private: bool, captured: bool) -> None:
        if p.name in params:
            return  # (its argument was read where the macro was called)
        d = macros.get(p.name)
        if d is not None:
            for arg in p.args[: len(d.params)]:
                self.visit(arg, macros, params, private, captured)
            home = self.scopes.get(d.span.file, macros)
            self.visit(d.body, home, frozenset(d.params), private, True)
        if not (private or captured):
            self.slots.append((p.name.lower(), False))
