"""The engine names nothing of the shipped pack (issue 13, point 3).

Every type, statement type and role of the pack lives in the pack's rule files, and what the
passes after matching need to know of them in its declarations (rules/schema.ie). So no
string in `ie_dsl/` may be one of those names: the test reads the names from the pack itself
(its lexicons' and entity rules' types, its statements' types and roles, the attributes its
declarations name), so that a name the pack gains is checked too, and scans the source with
`ast`: every string constant but docstrings, with constants joined by `+` folded, and each
word of a constant that is a list of names ("warn concern threat_claim", split at run time).

A few strings are the same word with another meaning (a document's `source` field); they are
listed in ALLOWED with the reason, by file, so that a new use elsewhere still fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ie_dsl import compile_rules
from ie_dsl.tools.evaluate import Scoring

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "ie_dsl"
PACK = ROOT / "rules"

# The names issue 13 lists, in case the pack stops using one of them.
LISTED = {
    "PERSON", "ORG", "GROUP", "TITLE", "DEMONYM", "PLACE", "THREAT", "speaker", "organization",
    "threat", "source", "target", "warn", "deny", "concern", "threat_claim", "cue",
}  # fmt: skip

# (file relative to ie_dsl/, string) -> why it is not the pack's name
ALLOWED = {
    ("scale/reader.py", "source"): "a document's `source` field (where it was read from)",
    ("cli/debug.py", "source"): "an annotation's provenance (lexicon file or rule)",
    ("text/morph_table.py", "deny"): "the English verb's inflections (~deny matches denial)",
    ("text/morph_table.py", "cue"): "an English noun of the table of inflections",
    ("claims/claimwords.py", "country"): "an English word too vague to tell places apart (as north, region)",
}


def pack_names() -> set[str]:
    """The pack's types, statement types, roles and declared attribute names."""
    book = compile_rules([PACK])
    program, schema = book.program, book.program.schema
    names = {lex.type for lex in book.ruleset.lexicons}
    names |= {cr.rule.output for stratum in program.strata for cr in stratum}
    names |= {cr.rule.output for cr in program.statements}
    names |= {role for cr in program.statements for role, _slots in cr.rule.args}
    assert schema.attribution is not None and schema.claims is not None
    a, c = schema.attribution, schema.claims
    attrs = {a.country, a.parent, a.person_org, c.country, c.parent, *c.holder_attrs}
    names |= {x for x in attrs if x}
    names -= {"title"}  # (an attribute named like the `title` field of a JSONL document)
    return names | LISTED


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the constants that are docstrings or bare string statements (comments)."""
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        for stmt in body if isinstance(body, list) else []:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                out.add(id(stmt.value))
    return out


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string constant but docstrings, with `+` of two constants
    folded, and each word of a constant split at run time (`"a b c".split()`)."""
    skip = _docstrings(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = [node.left, node.right]
            if all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
                out.append((node.lineno, parts[0].value + parts[1].value))  # type: ignore[union-attr]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "split":
            held = node.func.value  # type: ignore[attr-defined]
            if isinstance(held, ast.Constant) and isinstance(held.value, str):
                out += [(node.lineno, word) for word in held.value.split()]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            out.append((node.lineno, node.value))
    return out


def offending(names: set[str]) -> list[str]:
    """ie_dsl/FILE:LINE: 'name' for every string of the engine that is one of `names`."""
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        rel = path.relative_to(ENGINE).as_posix()
        for line, text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            if text in names and (rel, text) not in ALLOWED:
                found.append(f"ie_dsl/{rel}:{line}: {text!r}")
    return found


def test_the_scan_finds_names_where_they_are() -> None:
    # the scan itself, on a made-up module: a constant, a list split at run time, a name
    # cut in two, and a docstring (left alone)
    tree = ast.parse('"""doc PERSON"""\nX = "PERSON"\nY = "warn concern".split()\nZ = "spea" + "ker"\n')
    texts = {t for _line, t in _strings(tree)}
    assert {"PERSON", "warn", "concern", "speaker"} <= texts and "doc PERSON" not in texts


def test_the_engine_names_none_of_the_packs_types_roles_or_predicates() -> None:
    names = pack_names()
    assert {"PERSON", "ORG", "cue", "warn", "speaker", "threat", "country"} <= names
    assert offending(names) == []


def test_every_allowed_exception_is_still_needed() -> None:
    names = pack_names()
    for (rel, word), why in ALLOWED.items():
        texts = {t for _line, t in _strings(ast.parse((ENGINE / rel).read_text(encoding="utf-8")))}
        assert word in texts and word in names, f"ALLOWED[{rel}, {word}] ({why}) is no longer needed"


def test_the_pack_declares_what_the_engine_reads() -> None:
    schema = compile_rules([PACK]).program.schema
    assert schema.passes == ("attribution", "cues", "dates", "dedupe")
    assert schema.roles == ("speaker", "organization", "threat", "source", "target")
    assert schema.cue_type == "cue" and schema.cues is not None
    assert schema.cues.by_type == {"deny": "denied", "warn": "warned"}
    assert schema.attribution is not None and schema.attribution.roles == {"speaker", "organization"}
    assert schema.claims is not None and schema.claims.family("concern") == "claim"
    assert schema.claims.family("deny") == "deny" and schema.claims.denials == {"deny"}
    assert Scoring.of(schema) == Scoring(schema.roles, "threat")
