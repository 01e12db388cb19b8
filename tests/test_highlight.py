"""Syntax highlighting: the Pygments lexer (ie_dsl.highlight) and the TextMate grammar (editors/).

Both are checked on every shipped rule file, on the DSL examples of docs/language.md and on
the rules of tests/cases: what the parser accepts must highlight without error tokens. The
TextMate grammar is run by a small TextMate engine below (match, begin/end, captures,
includes), with Python's `regex` module standing in for Oniguruma.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml

from ie_dsl.diagnostics import IEDslError
from ie_dsl.parser import parse_file

pygments = pytest.importorskip("pygments")
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename  # noqa: E402
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String  # noqa: E402

from ie_dsl.highlight import IedslLexer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "editors" / "iedsl.tmLanguage.json"

HEADER = "rule warn_of_threat priority 40 mode first group stance:"
PATTERN = "speaker:(PERSON | ORG) ...{0,8} ~warn of /^[A-Z]+$/i"


def _parses(text: str) -> bool:
    try:
        parse_file(text, "x.ie")
    except IEDslError:
        return False
    return True


def _rule_files() -> list[Path]:
    files = sorted((ROOT / "rules").glob("*.ie"))
    assert len(files) >= 3
    return files


def _doc_blocks() -> list[str]:
    """The ``` blocks of docs/language.md that are DSL: untagged, and accepted by the parser."""
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S)
    return [body for tag, body in blocks if not tag and _parses(body)]


def _case_rules() -> list[str]:
    """The DSL rules of tests/cases/*.yaml that the parser accepts."""
    found = []
    for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")).get("cases", []):
            rules = case.get("rules")
            if isinstance(rules, str) and _parses(rules):
                found.append(rules)
    return found


def _corpus() -> list[Any]:
    items = [(p.name, p.read_text(encoding="utf-8")) for p in _rule_files()]
    items += [(f"language.md block {i}", b) for i, b in enumerate(_doc_blocks())]
    items += [(f"case {i}", r) for i, r in enumerate(_case_rules())]
    return [pytest.param(name, text, id=name) for name, text in items]


def test_the_corpus_is_not_empty() -> None:
    assert len(_doc_blocks()) >= 8
    assert len(_case_rules()) >= 100


# ---- Pygments ---------------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[Any, str]]:
    return [(t, v) for t, v in IedslLexer().get_tokens(text) if v.strip()]


def test_pygments_finds_the_lexer_through_the_entry_point() -> None:
    assert type(get_lexer_by_name("iedsl")).__name__ == "IedslLexer"
    assert type(get_lexer_by_name("ie")).__name__ == "IedslLexer"
    assert type(get_lexer_for_filename("x.ie")).__name__ == "IedslLexer"
    assert type(get_lexer_for_filename("rules/stances.ie")).__name__ == "IedslLexer"


def test_iedsl_itself_does_not_import_pygments() -> None:
    code = "import sys, ie_dsl, ie_dsl.cli, ie_dsl.pipeline; print('pygments' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("name", "text"), _corpus())
def test_pygments_has_no_error_tokens(name: str, text: str) -> None:
    tokens = list(IedslLexer().get_tokens(text))
    errors = [v for t, v in tokens if t in Error]
    assert not errors, f"{name}: error tokens {errors}"
    assert "".join(v for _, v in tokens).rstrip("\n") == text.rstrip("\n")


def test_pygments_rule_header() -> None:
    assert _tokens(HEADER) == [
        (Keyword.Declaration, "rule"),
        (Name.Function, "warn_of_threat"),
        (Keyword, "priority"),
        (Number.Integer, "40"),
        (Keyword, "mode"),
        (Name.Constant, "first"),
        (Keyword, "group"),
        (Name.Label, "stance"),
        (Punctuation, ":"),
    ]


def test_pygments_pattern() -> None:
    toks = _tokens(f"rule r:\n    {PATTERN}\n")
    assert toks[3:] == [
        (Name.Variable, "speaker"),
        (Punctuation, ":"),
        (Punctuation, "("),
        (Name.Class, "PERSON"),
        (Operator, "|"),
        (Name.Class, "ORG"),
        (Punctuation, ")"),
        (Operator, "...{0,8}"),
        (Name.Builtin, "~warn"),
        (pygments.token.Text, "of"),
        (String.Regex, "/^[A-Z]+$/i"),
    ]


def test_pygments_other_constructs() -> None:
    text = (
        'use "lexicons/orgs.yaml"   # orgs\n'
        "define NEAR(X, Y) = X ...{0,3} Y\n"
        "entity THREAT scope window 2: [~group & !cap | PLACE] NEAR(a, b) (?<! no) ^ _+? $\n"
        'rule r: x:"CSTO"{1,2} , 6,500 => warn(x, source=x, polarity="neg\\"")\n'
        '    @example "a" => x="CSTO"\n'
        '    @counterexample "b"\n'
    )
    toks = _tokens(text)
    assert not [v for t, v in toks if t in Error]
    expect = [
        (Keyword.Namespace, "use"),
        (Comment.Single, "# orgs"),
        (Keyword.Declaration, "define"),
        (Name.Function, "NEAR"),
        (Name.Variable, "X"),
        (Keyword.Declaration, "entity"),
        (Name.Class, "THREAT"),
        (Keyword, "scope"),
        (Name.Constant, "window"),
        (Number.Integer, "2"),
        (Name.Builtin, "~group"),
        (Operator, "&"),
        (Operator, "!"),
        (Keyword.Type, "cap"),
        (Name.Class, "PLACE"),
        (Operator, "(?<!"),
        (Operator, "^"),
        (Name.Builtin.Pseudo, "_"),
        (Operator, "+?"),
        (Operator, "$"),
        (Name.Variable, "x"),
        (Operator, "{1,2}"),
        (Number, "6,500"),
        (Keyword, "=>"),
        (Name.Function, "warn"),
        (Name.Attribute, "source"),
        (Name.Attribute, "polarity"),
        (String.Escape, '\\"'),
        (Keyword, "@example"),
        (Keyword, "@counterexample"),
    ]
    for pair in expect:
        assert pair in toks, pair
    # a class name is a word outside brackets; a call is a function, the same name bare a type
    assert (Keyword.Type, "number") in _tokens("rule r: [number]")
    assert (pygments.token.Text, "number") in _tokens("rule r: !number")
    assert (Name.Function, "NEAR") in _tokens("rule r: NEAR(a, b)")
    assert (pygments.token.Text, "COVID-19") in _tokens("rule r: COVID-19")


def test_pygments_strings_and_regexes_hide_comments() -> None:
    toks = _tokens('rule r: "#CSTO" /a#b/ # real\n')
    assert (Comment.Single, "# real") in toks
    assert [v for t, v in toks if t in Comment] == ["# real"]


# ---- TextMate ---------------------------------------------------------------------------


def _grammar() -> dict[str, Any]:
    return json.loads(GRAMMAR.read_text(encoding="utf-8"))


def _all_regexes(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end") and isinstance(value, str):
                found.append(value)
            else:
                found += _all_regexes(value)
    elif isinstance(node, list):
        for item in node:
            found += _all_regexes(item)
    return found


def test_textmate_grammar_is_valid() -> None:
    g = _grammar()
    assert g["scopeName"] == "source.iedsl"
    assert g["fileTypes"] == ["ie"]
    repo = g["repository"]
    for key in (
        "comment",
        "use",
        "define",
        "rule-header",
        "entity-header",
        "options",
        "pattern",
        "emit",
        "capture",
        "lookaround",
        "macro-call",
        "string",
        "regex",
        "lemma",
        "type",
        "gap",
        "quantifier",
        "brackets",
        "token-class",
        "number",
        "operator",
    ):
        assert key in repo, key
    # every include points at something
    includes = re.findall(r'"include": "#([\w-]+)"', GRAMMAR.read_text(encoding="utf-8"))
    assert includes and all(name in repo for name in includes)
    regexes = _all_regexes(g)
    assert len(regexes) > 30
    for rx in regexes:
        regex.compile(rx)
        # features Oniguruma does not share with Python are not used
        assert "(?P" not in rx and "\\Z" not in rx and "(?(" not in rx, rx
        # some TextMate engines refuse capture groups inside a negative look-around
        assert not re.search(r"\(\?<?![^)]*\((?!\?)", rx), rx


SAMPLES = {
    "comment": ["# a comment"],
    "capture": ["speaker:", "x :"],
    "lookaround": ["(?=", "(?!", "(?<=", "(?<!"],
    "string": ['"'],
    "regex": ["/^[A-Z]+$/i", r"/a\/b/", "/x/"],
    "lemma": ["~warn", "~suicide-bomber"],
    "type": ["PERSON", "G7", "A"],
    "gap": ["...", "...{0,8}", "...+", "...{2,}?"],
    "quantifier": ["?", "*?", "+", "{3}", "{1,200}", "{,4}?", "{2,}"],
    "token-class": ["cap", "upper", "number", "num", "any"],
    "number": ["2023", "6,500", "3.5"],
    "expect-arg": ["source=", "x ="],
    "macro-call": ["NEAR("],
}
NOT_SAMPLES = {
    "type": ["COVID-19", "ISIS's", "McCain"],
    "token-class": ["capital", "numbers", "any-thing"],
    "lemma": ["warn"],
    "capture": ["a ..."],
}


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_textmate_patterns_match_their_constructs(key: str) -> None:
    rule = _grammar()["repository"][key]
    rx = regex.compile(rule.get("match") or rule["begin"])
    for sample in SAMPLES[key]:
        m = rx.match(sample)
        assert m and m.end() == len(sample), (key, sample)
    for sample in NOT_SAMPLES.get(key, []):
        m = rx.match(sample)
        assert not m or m.end() != len(sample), (key, sample)


class _TextMate:
    """A TextMate tokenizer reduced to what editors/iedsl.tmLanguage.json uses."""

    def __init__(self, grammar: dict[str, Any]):
        self.grammar = grammar
        self.repo = grammar["repository"]

    def _patterns(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        flat: list[dict[str, Any]] = []
        for rule in rules:
            if "include" in rule:
                inc = rule["include"]
                target = self.grammar if inc == "$self" else self.repo[inc[1:]]
                flat += self._patterns(
                    [target] if ("match" in target or "begin" in target) else target["patterns"]
                )
            elif "match" in rule or "begin" in rule:
                flat.append(rule)
            else:
                flat += self._patterns(rule["patterns"])
        return flat

    @staticmethod
    def _paint(
        scopes: list[tuple[str, ...]], m: Any, base: tuple[str, ...], captures: dict[str, Any] | None
    ) -> None:
        for i in range(m.start(), m.end()):
            scopes[i] = base
        for group, spec in sorted((captures or {}).items(), key=lambda kv: int(kv[0])):
            start, end = m.span(int(group))
            if start >= 0 and "name" in spec:
                for i in range(start, end):
                    scopes[i] = base + (spec["name"],)

    def tokenize(self, text: str) -> list[list[tuple[str, tuple[str, ...]]]]:
        """Each line as a list of (text, scopes) runs."""
        out = []
        for line, scopes in zip(text.split("\n"), self.char_scopes(text), strict=True):
            runs: list[tuple[str, tuple[str, ...]]] = []
            for ch, sc in zip(line, scopes, strict=True):
                if runs and runs[-1][1] == sc:
                    runs[-1] = (runs[-1][0] + ch, sc)
                else:
                    runs.append((ch, sc))
            out.append(runs)
        return out

    def char_scopes(self, text: str) -> list[list[tuple[str, ...]]]:
        """For each line, the scopes of each of its characters."""
        stack: list[tuple[dict[str, Any], tuple[str, ...]]] = []
        out = []
        for line in text.split("\n"):
            scopes: list[tuple[str, ...]] = [()] * len(line)
            pos, stalls = 0, 0
            while pos <= len(line):
                outer = stack[-1][1] if stack else ()
                frame = stack[-1][0] if stack else self.grammar
                candidates = [(frame["end"], None)] if stack else []
                candidates += [(p.get("match") or p["begin"], p) for p in self._patterns(frame["patterns"])]
                best = None
                for order, (rx, rule) in enumerate(candidates):
                    m = regex.compile(rx).search(line, pos)
                    if m and (best is None or m.start() < best[0].start()):
                        best = (m, rule, order)
                if best is None:
                    for i in range(pos, len(line)):
                        scopes[i] = outer
                    break
                m, rule, _ = best
                for i in range(pos, m.start()):
                    scopes[i] = outer
                if rule is None:  # the frame ends
                    self._paint(scopes, m, outer, frame.get("endCaptures"))
                    stack.pop()
                else:
                    base = outer + ((rule["name"],) if "name" in rule else ())
                    if "match" in rule:
                        self._paint(scopes, m, base, rule.get("captures"))
                    else:
                        self._paint(scopes, m, base, rule.get("beginCaptures"))
                        stack.append((rule, base))
                stalls = stalls + 1 if m.end() == pos else 0
                assert stalls < 5, f"the grammar loops at {line!r}:{pos}"
                pos = m.end() if m.end() > pos or rule is None else pos + 1
                if pos == len(line) and not stack:
                    break
            out.append(scopes)
        return out


def _scopes(text: str) -> list[tuple[str, tuple[str, ...]]]:
    lines = _TextMate(_grammar()).tokenize(text)
    # unscoped runs (plain words and spaces) are split into words
    return [(w, sc) for runs in lines for t, sc in runs for w in (t.split() if not sc else [t]) if w.strip()]


def _scope_of(text: str, piece: str) -> tuple[str, ...]:
    for t, sc in _scopes(text):
        if t == piece:
            return sc
    raise AssertionError(f"{piece!r} is not one run in {_scopes(text)}")


def test_textmate_rule_header() -> None:
    runs = _scopes(HEADER)
    assert [t for t, _ in runs] == HEADER.replace(":", " :").split()
    assert [sc[-1] if sc else "" for _, sc in runs] == [
        "keyword.control.rule.iedsl",
        "entity.name.function.rule.iedsl",
        "keyword.control.option.iedsl",
        "constant.numeric.integer.iedsl",
        "keyword.control.option.iedsl",
        "constant.language.mode.iedsl",
        "keyword.control.option.iedsl",
        "entity.name.label.group.iedsl",
        "punctuation.separator.colon.iedsl",
    ]


def test_textmate_pattern() -> None:
    text = f"rule r:\n    {PATTERN}\n"
    assert _scope_of(text, "speaker") == ("variable.parameter.capture.iedsl",)
    assert _scope_of(text, "PERSON") == ("entity.name.type.iedsl",)
    assert _scope_of(text, "|") == ("keyword.operator.alternation.iedsl",)
    assert _scope_of(text, "...{0,8}") == ("keyword.operator.gap.iedsl",)
    assert _scope_of(text, "~") == ("support.function.lemma.iedsl", "punctuation.definition.lemma.iedsl")
    assert _scope_of(text, "warn") == ("support.function.lemma.iedsl",)
    assert _scope_of(text, "of") == ()
    assert _scope_of(text, "^[A-Z]+$") == ("string.regexp.iedsl",)
    assert _scope_of(text, "i") == ("string.regexp.iedsl", "keyword.other.flags.iedsl")


def test_textmate_other_constructs() -> None:
    text = (
        'use "lexicons/orgs.yaml"   # orgs\n'
        "define NEAR(X, Y) = X ...{0,3} Y\n"
        "entity THREAT scope window 2:\n"
        "    [~group & !cap | PLACE] NEAR(a, b) (?<! no) ^ _+? $\n"
        'rule r: x:"#CSTO"{1,2} , 6,500 => warn(x, source=y, polarity="neg\\"")\n'
        '    @example "a" => x="CSTO"\n'
    )
    assert _scope_of(text, "use") == ("keyword.control.import.iedsl",)
    assert _scope_of(text, "lexicons/orgs.yaml") == ("string.quoted.double.iedsl",)
    assert _scope_of(text, "# orgs") == ("comment.line.number-sign.iedsl",)
    assert _scope_of(text, "define") == ("keyword.control.define.iedsl",)
    assert _scope_of(text, "NEAR") == ("entity.name.function.macro.iedsl",)
    assert _scope_of(text, "X") == ("variable.parameter.macro.iedsl",)
    assert _scope_of(text, "=") == ("keyword.operator.assignment.iedsl",)
    assert _scope_of(text, "THREAT") == ("entity.name.type.iedsl",)
    assert _scope_of(text, "window") == ("constant.language.scope.iedsl",)
    assert _scope_of(text, "&") == ("meta.token-test.iedsl", "keyword.operator.logical.iedsl")
    assert _scope_of(text, "cap") == ("meta.token-test.iedsl", "support.type.token-class.iedsl")
    assert _scope_of(text, "PLACE") == ("meta.token-test.iedsl", "entity.name.type.iedsl")
    assert _scope_of(text, "(?<!") == ("keyword.operator.lookaround.iedsl",)
    assert _scope_of(text, "^") == ("keyword.operator.anchor.iedsl",)
    assert _scope_of(text, "_") == ("constant.language.any-token.iedsl",)
    assert _scope_of(text, "+?") == ("keyword.operator.quantifier.iedsl",)
    assert _scope_of(text, "#CSTO") == ("string.quoted.double.iedsl",)
    assert _scope_of(text, "6,500") == ("constant.numeric.iedsl",)
    assert _scope_of(text, "=>") == ("keyword.control.emit.iedsl",)
    assert _scope_of(text, "warn") == ("entity.name.function.statement.iedsl",)
    assert _scope_of(text, "source") == ("entity.other.attribute-name.iedsl",)
    assert _scope_of(text, "y") == ("variable.parameter.capture.iedsl",)
    assert _scope_of(text, '\\"') == ("string.quoted.double.iedsl", "constant.character.escape.iedsl")
    assert _scope_of(text, "@example") == ("keyword.control.example.iedsl",)
    # class names are words outside brackets; nothing is scoped inside a plain word
    assert _scope_of("rule r: !number", "number") == ()
    assert _scope_of("rule r: COVID-19 cross-border:", "COVID-19") == ()


@pytest.mark.parametrize(("name", "text"), _corpus())
def test_textmate_tokenizes_the_corpus(name: str, text: str) -> None:
    runs = _scopes(text)
    # every statement keyword at column 0 is scoped as a keyword
    keywords = [
        t for t, sc in runs if sc and sc[-1].startswith("keyword.control.") and t in ("rule", "entity")
    ]
    expected = len(re.findall(r"^(?:rule|entity)\b", text, flags=re.M))
    assert len(keywords) == expected, name


# What the TextMate grammar calls each kind of Pygments token.
AGREE = [
    (Comment, "comment.line.number-sign"),
    (String.Regex, "string.regexp"),
    (String.Double, "string.quoted.double"),
    (String.Escape, "constant.character.escape"),
    (Name.Builtin.Pseudo, "constant.language.any-token"),
    (Name.Builtin, "support.function.lemma"),
    (Name.Class, "entity.name.type"),
    (Name.Function, "entity.name.function"),
    (Name.Variable, "variable.parameter"),
    (Name.Constant, "constant.language"),
    (Name.Label, "entity.name.label"),
    (Name.Attribute, "entity.other.attribute-name"),
    (Keyword.Type, "support.type.token-class"),
    (Keyword, "keyword.control"),
    (Number, "constant.numeric"),
    (Operator, "keyword.operator"),
    (Punctuation, "punctuation"),
]


@pytest.mark.parametrize(("name", "text"), _corpus())
def test_pygments_and_textmate_agree(name: str, text: str) -> None:
    lines = _TextMate(_grammar()).char_scopes(text)
    flat = [sc for scopes in lines for sc in [*scopes, ()]]
    pos = 0
    for ttype, value in IedslLexer().get_tokens(text):
        if value.strip() and pos < len(flat):
            scopes = flat[pos]
            want = next((sc for tt, sc in AGREE if ttype in tt), "")
            if want:
                assert any(sc.startswith(want) for sc in scopes), f"{name}: {value!r} is {ttype} but {scopes}"
            else:
                assert set(scopes) <= {"meta.token-test.iedsl"}, f"{name}: {value!r} is {ttype} but {scopes}"
        pos += len(value)


def test_attribute_filters_and_each_are_highlighted() -> None:
    text = 'rule r: t:PLACE[kind in (a, "b") & x!=y] PLACE[cap] => d(x=each(t))\n'
    assert _scope_of(text, "kind") == ("entity.other.attribute-name.iedsl",)
    assert _scope_of(text, "in") == ("keyword.operator.word.iedsl",)
    assert _scope_of(text, "!=") == ("keyword.operator.comparison.iedsl",)
    assert _scope_of(text, "cap") == ("meta.token-test.iedsl", "support.type.token-class.iedsl")
    assert _scope_of(text, "each") == ("keyword.control.each.iedsl",)
    tokens = _tokens(text)
    assert (Name.Attribute, "kind") in tokens and (Operator.Word, "in") in tokens
    assert (Keyword.Type, "cap") in tokens  # PLACE[cap]: the type, then a token test
    assert (Keyword, "each") in tokens and (Name.Variable, "t") in tokens
