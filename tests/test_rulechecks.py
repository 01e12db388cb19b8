"""Every E2xx check is made by the checking stage (issue 14.3): `language.check_text` reports
E218, E224 and E227 without lowering or compiling anything, located where the problem is
written, and the later stages never see a rule set with them."""

from __future__ import annotations

import pytest

from ie_dsl import IEDslError
from ie_dsl.engine import lowering
from ie_dsl.language import check_text

ORGS = {"orgs.yaml": "type: ORG\nentries: [Acme]\n"}


def _problems(text: str, files: dict[str, str] | None = None) -> list[tuple[str, int, str]]:
    with pytest.raises(IEDslError) as info:
        check_text(text, {**ORGS, **(files or {})})
    return [(d.code, d.span.start, d.message) for d in info.value.diagnostics if d.severity == "error"]


@pytest.fixture(autouse=True)
def _no_lowering(monkeypatch):
    """The checks must not need lowering: any call to it fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("lowering was called by the checking stage")

    monkeypatch.setattr(lowering, "lower", refuse)
    monkeypatch.setattr(lowering, "lower_rule", refuse)


def test_e218_an_argument_naming_no_capture():
    text = "rule r: x:ORG said => warn(speaker=y)\n"
    assert _problems(text) == [("E218", text.index("speaker"), "no capture named 'y' in rule r")]


def test_e218_knows_implicit_names_macro_captures_and_each():
    ok = (
        "define M = who:ORG said\n"
        "rule r: M ORG => warn(who, m, org, x=?, kind=\"k\")\n"
        "rule s: ORG said => warn(speaker=each(org))\n"
    )
    check_text(ok, ORGS)  # no error
    text = "rule s: ORG said => warn(speaker=each(orgs))\n"
    ((code, _, message),) = _problems(text)
    assert (code, message) == ("E218", "no capture named 'orgs' in rule s")


def test_e218_hint_suggests_a_close_name():
    with pytest.raises(IEDslError) as info:
        check_text("rule r: speaker:ORG said => warn(speakr)\n", ORGS)
    (d,) = info.value.diagnostics
    assert d.code == "E218" and "speaker" in d.hint


def test_e224_a_regex_re2_refuses_is_located_once_where_written():
    text = "define R = /(a)\\1/\nrule r: R said\nrule s: R R\n"
    refused = "token regex refused: invalid escape sequence: \\1"
    assert _problems(text) == [("E224", text.index("/(a)"), refused)]
    text = "rule r: [/abc/x & cap] said\n"
    assert _problems(text) == [("E224", text.index("/abc/x"), "regex flag 'x' is not supported")]


def test_e227_mode_all_with_an_open_repeat_even_inside_a_macro_or_argument():
    for text in (
        "rule r mode all: ORG _* said\n",
        "rule r mode all: ORG ...+ said\n",
        "define G = said _+\nrule r mode all: ORG G\n",
        "define M(X) = X said\nrule r mode all: M(ORG+)\n",
    ):
        ((code, start, _),) = _problems(text)
        assert (code, start) == ("E227", text.index("r mode"))
    # bounded: plain `...` has a default bound, a look-around is answered apart
    check_text("rule r mode all: ORG ... said (?! _* x)\n", ORGS)
    check_text("define M(X) = X said\nrule r mode all: M(ORG{1,3})\nrule s: ORG _* said\n", ORGS)


def test_w229_a_loose_rule_whose_file_sees_no_grammar():
    def w229(text: str, files: dict[str, str]) -> list[tuple[int, str]]:
        checked = check_text(text, {**ORGS, **files})
        return [(d.span.start, d.message) for d in checked.warnings if d.code == "W229"]

    rule = "rule warn loose: ORG warned of ORG\n"
    # the grammar is used by a file this one uses: its macros do not carry over
    common = {"common.ie": 'use "@pack/english.ie"\ndefine HOLDER = ORG\n'}
    text = 'use "common.ie"\n' + rule
    assert w229(text, common) == [
        (text.index("warn loose"), "loose rule warn sees no English phrase grammar: it matches its "
         "skeleton's elements side by side")
    ]
    assert w229('use "@pack/english.ie"\n' + rule, {}) == []
    assert w229("rule warn: ORG warned of ORG\n", {}) == []  # a strict rule needs no grammar
    own = {"mine.ie": "define LOOSE_N_V = (quickly)?\n"}  # any grammar of one's own will do
    assert w229('use "mine.ie"\n' + rule, own) == []
