"""The checking stage's capture names (language/captures.py) are lowering's, slot for slot.

E218 (an `=>` argument names no capture) is made before lowering from these names, so they
must be exactly the names of the capture slots lowering makes: checked here on the shipped
pack, on every compiling case of the case corpus, and on rules written for the corners
(captures in macros and their arguments, look-arounds, implicit numbering around explicit
names, loose rules with their passive and nominal variants).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ie_dsl.engine.lowering import lower_rule
from ie_dsl.language import check_text
from ie_dsl.language.analysis import CheckedRules, check
from ie_dsl.language.captures import capture_names
from ie_dsl.language.loader import load_rules

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
GRAMMAR = ("english.ie", "lexicons/titles.yaml")
ENGLISH = {f: (ROOT / "rules" / f).read_text(encoding="utf-8") for f in GRAMMAR}
LEXICONS = {
    "orgs.yaml": "type: ORG\nentries: [Acme, Bolt]\n",
    "places.yaml": "type: PLACE\nentries: [Ruritania]\n",
}


def _pairs(checked: CheckedRules) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(rule, capture_names, lowering's slot names) for every rule that lowers."""
    out = []
    for cr in [c for stratum in checked.strata for c in stratum] + list(checked.statements):
        lowered, _ = lower_rule(cr, checked.types, checked.scopes)
        if lowered is not None:
            mine = capture_names(cr.rule, cr.macros, checked.scopes, checked.types)
            out.append((cr.rule.name, mine, tuple(c.name for c in lowered.captures)))
    return out


def test_the_names_of_every_rule_of_the_pack_are_lowerings():
    pairs = _pairs(check(load_rules([ROOT / "rules"])))
    assert len(pairs) > 50
    assert [p for p in pairs if p[1] != p[2]] == []


def _case_rule_sets() -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        shared = {**(ENGLISH if "grammar" in data else {}), **(data.get("files") or {})}
        for case in data["cases"]:
            if "error" not in case:
                files = {**shared, **(case.get("files") or {})}
                out.append((f"{path.name}::{case['name']}", case["rules"], files))
    return out


def test_the_names_of_every_case_of_the_corpus_are_lowerings():
    checked = 0
    for case_id, rules, files in _case_rule_sets():
        try:
            rule_set = check_text(rules, files)
        except Exception:  # (a case may stand for a later stage's error)
            continue
        for name, mine, lowered in _pairs(rule_set):
            assert mine == lowered, f"{case_id}: rule {name}"
            checked += 1
    assert checked > 300


CORNERS = [
    # implicit names are numbered around the explicit ones, in slot order
    ("rule r: ORG x:ORG ORG org:PLACE org_2:ORG", ("org_3", "x", "org_4", "org", "org_2")),
    # one explicit name written twice is one capture
    ("rule r: x:ORG said x:PLACE", ("x",)),
    # a macro's captures are the rule's; the macro itself is captured by its name
    ("define M = who:ORG said\nrule r: M PLACE", ("who", "m", "place")),
    # an argument is read where the macro is called, once, whether the body uses it or not
    ("define M(X) = X X\ndefine N(X) = PLACE\nrule r: M(a:ORG) N(b:ORG)", ("a", "m", "b", "n")),
    # nothing inside a look-around is captured, not even by name
    ("rule r: (?<= x:ORG) said (?! PLACE) y:PLACE", ("y",)),
    # a capture's slot comes after those inside it
    ("rule r: outer:(ORG inner:PLACE ORG)", ("inner", "outer")),
]


@pytest.mark.parametrize(("rules", "names"), CORNERS)
def test_corner_cases_give_lowerings_names(rules: str, names: tuple[str, ...]):
    pairs = _pairs(check_text(rules, LEXICONS))
    assert [(mine, lowered) for _, mine, lowered in pairs] == [(names, names)]


def test_a_loose_rule_has_the_names_of_its_elements_in_every_variant():
    rules = 'use "english.ie"\nrule r loose: ORG acquires buyer:ORG\nrule s loose: ORG warned of PLACE\n'
    pairs = _pairs(check_text(rules, {**ENGLISH, **LEXICONS}))
    assert [(mine, lowered) for _, mine, lowered in pairs] == [
        (("org", "buyer"), ("org", "buyer")),
        (("org", "place"), ("org", "place")),
    ]
