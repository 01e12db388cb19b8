"""How lowering puts IR together, and what it asks of what it built: sequences are flattened,
neighbouring one-word options merged into one set test (`alt`); the types a capture of a
node may hold (`direct_types`); whether a node can match a token (`consumes`).
"""

from __future__ import annotations

from ie_dsl.engine import ir
from ie_dsl.language.attrfilter import base_type


def direct_types(node: ir.Node) -> tuple[str, ...]:
    """The types an annotation filling a capture of `node` may have: those of `node` if it
    is one annotation, or a choice of them (a sequence or a repetition is not one)."""
    match node:
        case ir.Ann():  # PLACE[kind=country] is a PLACE annotation
            return (base_type(node.type),)
        case ir.Alt():
            out: list[str] = []
            for o in node.options:
                out.extend(t for t in direct_types(o) if t not in out)
            return tuple(out)
        case ir.Cap():
            return direct_types(node.item)
        case ir.Tok() | ir.Seq() | ir.Rep() | ir.Look() | ir.Assert():
            return ()
        case _:
            ir.unknown(node)


def seq(items: list[ir.Node]) -> ir.Node:
    flat: list[ir.Node] = []
    for it in items:
        flat.extend(it.items if isinstance(it, ir.Seq) else (it,))
    return flat[0] if len(flat) == 1 else ir.Seq(tuple(flat))


def alt(options: list[ir.Node | str]) -> ir.Node:
    """Alternation; neighbouring one-word alternatives merge into one set test (one
    lookup). Only neighbours merge, so the order in which options are tried is kept. An
    option may be given as the norm of its one word (`lowering._Lowerer.one_word`): no node is made
    for it unless it stays alone.

    A run of one-word options is gathered first and made one set at its end: merging
    pairwise would copy the set at every step, which is quadratic in the run's length."""
    out: list[ir.Node] = []
    run: list[ir.Node | str] = []  # one-word options in a row, not merged yet
    forms: set[str] = set()  # their words

    def merge_run() -> None:
        if len(run) == 1:
            alone = run[0]
            out.append(ir.Tok(ir.TNorm(frozenset([alone]))) if isinstance(alone, str) else alone)
        elif run:
            out.append(ir.Tok(ir.TNorm(frozenset(forms))))
        run.clear()
        forms.clear()

    for o in options:
        if isinstance(o, str):
            run.append(o)
            forms.add(o)
        elif isinstance(o, ir.Tok) and isinstance(o.test, ir.TNorm):
            run.append(o)
            forms.update(o.test.forms)
        else:
            merge_run()
            out.append(o)
    merge_run()
    return out[0] if len(out) == 1 else ir.Alt(tuple(out))


def consumes(node: ir.Node) -> bool:
    """Can `node` match one token or more? (Look-arounds and anchors never consume.)"""
    match node:
        case ir.Tok() | ir.Ann():
            return True
        case ir.Seq():
            return any(consumes(i) for i in node.items)
        case ir.Alt():
            return any(consumes(o) for o in node.options)
        case ir.Rep():
            return node.max != 0 and consumes(node.item)
        case ir.Cap():
            return consumes(node.item)
        case ir.Look() | ir.Assert():
            return False
        case _:
            ir.unknown(node)
