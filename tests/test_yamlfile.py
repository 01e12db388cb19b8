"""Rule files and lexicons are YAML read safely, with positions."""

from __future__ import annotations

import pytest

from ie_dsl.diagnostics import IEDslError
from ie_dsl.language.yamlfile import load_yaml
from ie_dsl.source import SourceFile


def load(text: str):
    return load_yaml(SourceFile("f.yaml", text))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("a: &x [1, 2]\nb: *x\n", "aliases"),
        ("type: ORG\nentries: [A]\nentries: [B]\n", "duplicate key 'entries'"),
        ("[" * 60_000, "nesting deeper"),  # libyaml would crash; never handed to it
        ("- " * 40 + "x\n", "nesting deeper"),
        ("a: !!python/object/apply:os.system [echo hi]\n", "YAML"),
        ("a: [1, 2\n", "YAML"),
    ],
)
def test_unsafe_or_broken_yaml_is_a_located_error(text, fragment):
    with pytest.raises(IEDslError) as info:
        load(text)
    (d,) = info.value.diagnostics
    assert fragment in d.message and d.span is not None and d.span.file == "f.yaml"


def test_values_remember_where_they_are():
    text = "rules:\n  - name: r\n    pattern: ORG said\n"
    data = load(text)
    rule = data["rules"][0]
    node = rule.where("pattern")
    assert text[node.start_mark.index : node.end_mark.index] == "ORG said"
