"""Syntax highlighting: one token table (ie_dsl.tools.lexical, read from grammar/iedsl.lark), the
Pygments lexer built from it (ie_dsl.tools.highlight) and the TextMate grammar generated from it
(ie_dsl.tools.textmate -> editors/iedsl.tmLanguage.json).

What keeps the three from drifting apart:
- every terminal of the grammar has a place in the table (a new kind of token fails here);
- the TextMate file is what the generator makes today (regenerate it after changing the grammar);
- every keyword of the grammar is a keyword in both highlighters;
- over every shipped rule file, the DSL examples of docs/language.md and the rules of
  tests/cases, each token the parser reads starts a Pygments token of its kind, and the
  TextMate grammar (run by the small TextMate engine below, with Python's `regex` module
  standing in for Oniguruma) gives every Pygments token the matching scope.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml
from lark import Lark, Token

from ie_dsl.diagnostics import IEDslError
from ie_dsl.language.parse_engine import continues
from ie_dsl.language.parser import parse_file
from ie_dsl.resources import grammar_text
from ie_dsl.tools.lexical import table, unplaced
from ie_dsl.tools.textmate import render

pygments = pytest.importorskip("pygments")
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename  # noqa: E402
from pygments.token import (  # noqa: E402
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
)

from ie_dsl.tools.highlight import IedslLexer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "editors" / "iedsl.tmLanguage.json"
REGENERATE = "python -m ie_dsl.tools.textmate editors/iedsl.tmLanguage.json"


def _parses(text: str) -> bool:
    try:
        parse_file(text, "x.ie")
    except IEDslError:
        return False
    return True


def _corpus() -> list[tuple[str, str]]:
    """(name, text) of every shipped rule file, the DSL blocks of docs/language.md (untagged,
    accepted by the parser) and the DSL rules of tests/cases."""
    items = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "rules").glob("*.ie"))]
    doc = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", doc, flags=re.M | re.S)
    items += [(f"language.md block {i}", b) for i, (tag, b) in enumerate(blocks) if not tag and _parses(b)]
    for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")).get("cases", [])):
            rules = case.get("rules")
            if isinstance(rules, str) and _parses(rules):
                items.append((f"{path.name} case {i}", rules))
    return items


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    items = _corpus()
    assert sum(name.endswith(".ie") for name, _ in items) >= 3
    assert sum(name.startswith("language.md") for name, _ in items) >= 8
    assert len(items) >= 100
    return items


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problems, the first ones:\n" + "\n".join(problems[:12])


# ---- the table and the generated file ----------------------------------------------------


def test_the_token_table_places_every_terminal_of_the_grammar() -> None:
    assert unplaced() == [], "grammar/iedsl.lark has terminals ie_dsl/tools/lexical.py does not place"
    t = table()
    assert {"use", "define", "entity", "rule"} <= {s.keyword for s in t.statements}
    assert {"priority", "mode", "scope", "group", "loose"} <= {o.keyword for o in t.options}


def test_the_textmate_file_is_generated_from_the_grammar() -> None:
    assert GRAMMAR.read_text(encoding="utf-8") == render(), (
        f"{GRAMMAR.relative_to(ROOT)} is not what the grammar makes: run `{REGENERATE}` "
        "(and edit ie_dsl/tools/textmate.py, not the JSON file)"
    )


def _all_regexes(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end") and isinstance(value, str):
                yield value
            else:
                yield from _all_regexes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_regexes(item)


def test_the_textmate_grammar_is_well_formed() -> None:
    g = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    assert (g["scopeName"], g["fileTypes"]) == ("source.iedsl", ["ie"])
    includes = re.findall(r'"include": "#([\w-]+)"', GRAMMAR.read_text(encoding="utf-8"))
    assert includes and all(name in g["repository"] for name in includes)
    for rx in _all_regexes(g):
        regex.compile(rx)
        # features Oniguruma does not share with Python are not used
        assert "(?P" not in rx and "\\Z" not in rx and "(?(" not in rx, rx
        # some TextMate engines refuse capture groups inside a negative look-around
        assert not re.search(r"\(\?<?![^)]*\((?!\?)", rx), rx


# ---- Pygments is found, and only by Pygments -----------------------------------------------


def test_pygments_finds_the_lexer_through_the_entry_point() -> None:
    for lexer in (get_lexer_by_name("iedsl"), get_lexer_by_name("ie"), get_lexer_for_filename("rules/x.ie")):
        assert type(lexer).__name__ == "IedslLexer"


def test_iedsl_itself_does_not_import_pygments() -> None:
    code = "import sys, ie_dsl, ie_dsl.cli, ie_dsl.pipeline; print('pygments' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- a small TextMate engine ---------------------------------------------------------------


_Candidate = tuple[Any, "dict[str, Any] | None"]  # a compiled expression and its rule (None: the end)


class _TextMate:
    """A TextMate tokenizer reduced to what editors/iedsl.tmLanguage.json uses: match,
    begin/end, captures, includes; the earliest match wins, then the first rule."""

    def __init__(self, grammar: dict[str, Any]):
        self.grammar = grammar
        self.repo = grammar["repository"]
        self._candidates: dict[int, list[_Candidate]] = {}

    def candidates(self, frame: dict[str, Any], inside: bool) -> list[_Candidate]:
        """The compiled expressions tried in `frame`: its end (None) first, then its patterns."""
        if id(frame) not in self._candidates:
            found: list[_Candidate] = [(regex.compile(frame["end"]), None)] if inside else []
            for p in self._patterns(frame["patterns"]):
                found.append((regex.compile(p.get("match") or p["begin"]), p))
            self._candidates[id(frame)] = found
        return self._candidates[id(frame)]

    def _patterns(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        flat: list[dict[str, Any]] = []
        for rule in rules:
            if "include" in rule:
                target = self.repo[rule["include"][1:]]
                whole = "match" in target or "begin" in target
                flat += self._patterns([target] if whole else target["patterns"])
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
                best = None
                for rx, rule in self.candidates(frame, bool(stack)):
                    m = rx.search(line, pos)
                    if m and (best is None or m.start() < best[0].start()):
                        best = (m, rule)
                if best is None:
                    for i in range(pos, len(line)):
                        scopes[i] = outer
                    break
                m, rule = best
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


def _textmate() -> _TextMate:
    return _TextMate(json.loads(GRAMMAR.read_text(encoding="utf-8")))


# ---- the three agree ------------------------------------------------------------------------


class _Continuations:
    """The parser's post-lexer: an indented line continues the statement above."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        for tok in stream:
            if tok.type != "_NL" or not continues(tok):
                yield tok


@cache
def _stock_parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", postlex=_Continuations(), keep_all_tokens=True)


def _parser_tokens(text: str) -> list[Token]:
    tree = _stock_parser().parse(text if text.endswith("\n") else text + "\n")
    return [tok for tok in tree.scan_values(lambda v: isinstance(v, Token)) if tok.type != "_NL"]


def _kinds() -> dict[str, tuple[Any, ...]]:
    """What the Pygments lexer may call each terminal (by name) or literal (by text)."""
    t = table()
    names = (Name.Function, Name.Variable, Name.Attribute, Name.Constant, Name.Label)
    kinds: dict[str, tuple[Any, ...]] = {
        "WORD": (Text, Number, Keyword.Type, *names),  # never a type, a lemma, a string...
        "TYPE_NAME": (Name.Class, Name.Function, Name.Variable),
        "TYPE_FILTER": (Name.Class,),
        "MACRO_CALL": (Name.Function,),
        "LEMMA": (Name.Builtin,),
        "STRING": (String.Double,),
        "REGEX": (String.Regex,),
        "QUANT": (Operator,),
        "GAP": (Operator,),
        "EACH": (Keyword,),
        "SIGNED_INT": (Number,),
        "INT": (Number,),
        "PUNCT": (Punctuation,),
        "COMMA": (Punctuation,),
    }
    keywords = [s.keyword for s in t.statements] + [o.keyword for o in t.options]
    keywords += [t.emit, t.resolved, *t.examples]
    kinds.update({k: (Keyword,) for k in keywords})
    kinds.update({k: (Operator,) for k in (*t.lookarounds, *t.operators, *t.anchors, "=")})
    kinds.update({k: (Punctuation,) for k in t.punctuation if k != "="})
    kinds[t.any_token] = (Name.Builtin.Pseudo,)
    return kinds


def test_pygments_reads_the_corpus_as_the_parser_does(corpus: list[tuple[str, str]]) -> None:
    kinds = _kinds()
    problems = []
    for name, text in [*corpus, ("CONSTRUCTS", CONSTRUCTS)]:
        tokens = list(IedslLexer().get_tokens(text))
        assert "".join(v for _, v in tokens).rstrip("\n") == text.rstrip("\n"), name
        problems += [f"{name}: error token {v!r}" for t, v in tokens if t in Error]
        starts, pos = [], 0
        for _, value in tokens:
            starts.append(pos)
            pos += len(value)
        for tok in _parser_tokens(text):
            want = kinds.get(tok.type) or kinds.get(str(tok))
            # the Pygments token the parser's token starts in (a gap and its quantifier are one)
            got = tokens[bisect_right(starts, tok.start_pos) - 1][0]
            if want is None:
                problems.append(f"{name}: the parser's {tok.type} {str(tok)!r} has no expected kind")
            elif not any(got in k for k in want):
                problems.append(f"{name}:{tok.line}: {tok.type} {str(tok)!r} is shown as {got}")
    assert not problems, _report(problems)


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


def _disagreements(name: str, text: str, tm: _TextMate) -> Iterator[str]:
    flat = [sc for scopes in tm.char_scopes(text) for sc in [*scopes, ()]]
    pos = 0
    for ttype, value in IedslLexer().get_tokens(text):
        if value.strip() and pos < len(flat):
            scopes = flat[pos]
            want = next((sc for tt, sc in AGREE if ttype in tt), "")
            if want and not any(sc.startswith(want) for sc in scopes):
                yield f"{name}: {value!r} is {ttype} but {scopes}"
            if not want and not set(scopes) <= {"meta.token-test.iedsl"}:
                yield f"{name}: {value!r} is {ttype} but {scopes}"
        pos += len(value)


def test_textmate_agrees_with_pygments_on_the_corpus(corpus: list[tuple[str, str]]) -> None:
    tm = _textmate()
    problems = [p for name, text in corpus for p in _disagreements(name, text, tm)]
    assert not problems, _report(problems)


def _keyword_samples() -> str:
    """A rule file using every keyword and operator of the grammar (taken from the table)."""
    t = table()
    values = {"SIGNED_INT": "10", "INT": "2", "WORD": "value"}
    lines = []
    for s in t.statements:
        name = {"TYPE_NAME": " NAME", "WORD": " name"}.get(s.name or "", "")
        options = " ".join(" ".join([o.keyword, *(values[x] for x in o.operands)]) for o in t.options)
        lines.append(f"{s.keyword}{name} {options}:" if s.header else f"{s.keyword}{name}")
    looks = " ".join(f"{la} a)" for la in t.lookarounds)
    lines.append(f"    {' '.join(t.anchors)} {looks} {t.any_token} ...{{0,2}} a+? !b (c | d) [e & f]")
    lines.append(f"    {t.emit} s(x, y={t.resolved}, z={t.each}(w))")
    lines += [f'    {ex} "text"' for ex in t.examples]
    return "\n".join(lines) + "\n"


def test_every_keyword_of_the_grammar_is_highlighted() -> None:
    text = _keyword_samples()
    t = table()
    words = {s.keyword for s in t.statements} | {o.keyword for o in t.options}
    words |= {t.emit, t.each, t.resolved, *t.examples}
    shown = {v: tt for tt, v in IedslLexer().get_tokens(text)}
    missing = [w for w in sorted(words) if w not in shown or shown[w] not in Keyword]
    assert not missing, f"not shown as keywords by the Pygments lexer: {missing}\n{text}"
    ops = [*t.lookarounds, *t.anchors, "...{0,2}", "+?", "!", "|", "&"]
    assert [o for o in ops if shown.get(o) not in Operator] == [], text
    problems = list(_disagreements("keywords", text, _textmate()))
    assert not problems, _report(problems)


# ---- what each construct looks like ---------------------------------------------------------


CONSTRUCTS = (
    'use "lexicons/orgs.yaml"   # orgs\n'
    "define NEAR(X, Y) = X ...{0,3} Y\n"
    "entity THREAT scope window 2:\n"
    "    [~group & !cap | PLACE] NEAR(a, b) (?<! no) ^ _+? $\n"
    "rule warn_of_threat priority 40 mode first group stance:\n"
    '    speaker:(PERSON | ORG) ~warn of /^[A-Z]+$/i x:"#CSTO"{1,2} , 6,500 COVID-19 U.S. [number] !number\n'
    '    t:PLACE[kind in (a, "b") & k!=y] PLACE[cap] cross-border:_\n'
    '    => warn(x, source=y, polarity="neg\\"", who=?, target=each(t))\n'
    '    @example "a" => x="CSTO"\n'
    '    @counterexample "b"\n'
)
# (piece, its nth occurrence, the Pygments token, the innermost TextMate scope or "" for none)
SHOWN = [
    ("use", 0, Keyword.Namespace, "keyword.control.import"),
    ("lexicons/orgs.yaml", 0, String.Double, "string.quoted.double"),
    ("# orgs", 0, Comment.Single, "comment.line.number-sign"),
    ("define", 0, Keyword.Declaration, "keyword.control.define"),
    ("NEAR", 0, Name.Function, "entity.name.function.macro"),
    ("X", 0, Name.Variable, "variable.parameter.macro"),
    ("...{0,3}", 0, Operator, "keyword.operator.gap"),
    ("THREAT", 0, Name.Class, "entity.name.type"),
    ("scope", 0, Keyword, "keyword.control.option"),
    ("window", 0, Name.Constant, "constant.language.scope"),
    ("2", 0, Number.Integer, "constant.numeric.integer"),
    ("~group", 0, Name.Builtin, "support.function.lemma"),
    ("&", 0, Operator, "keyword.operator.logical"),
    ("cap", 0, Keyword.Type, "support.type.token-class"),
    ("PLACE", 0, Name.Class, "entity.name.type"),
    ("NEAR", 1, Name.Function, "entity.name.function.macro"),
    ("(?<!", 0, Operator, "keyword.operator.lookaround"),
    ("^", 0, Operator, "keyword.operator.anchor"),
    ("_", 0, Name.Builtin.Pseudo, "constant.language.any-token"),
    ("+?", 0, Operator, "keyword.operator.quantifier"),
    ("$", 0, Operator, "keyword.operator.anchor"),
    ("rule", 0, Keyword.Declaration, "keyword.control.rule"),
    ("warn_of_threat", 0, Name.Function, "entity.name.function.rule"),
    ("40", 0, Number.Integer, "constant.numeric.integer"),
    ("first", 0, Name.Constant, "constant.language.mode"),
    ("stance", 0, Name.Label, "entity.name.label.group"),
    ("speaker", 0, Name.Variable, "variable.parameter.capture"),
    ("|", 1, Operator, "keyword.operator.alternation"),
    ("ORG", 0, Name.Class, "entity.name.type"),
    ("of", 0, Text, ""),
    ("/^[A-Z]+$/i", 0, String.Regex, "string.regexp"),
    ("{1,2}", 0, Operator, "keyword.operator.quantifier"),
    ("6,500", 0, Number, "constant.numeric"),
    ("COVID-19", 0, Text, ""),
    ("U.S.", 0, Text, ""),
    ("number", 0, Keyword.Type, "support.type.token-class"),  # a class inside brackets,
    ("number", 1, Text, ""),  # a word outside them
    ("kind", 0, Name.Attribute, "entity.other.attribute-name"),
    ("in", 0, Operator.Word, "keyword.operator.word"),
    ("!=", 0, Operator, "keyword.operator.comparison"),
    ("cap", 1, Keyword.Type, "support.type.token-class"),  # PLACE[cap]: a type, then a test
    ("cross-border", 0, Name.Variable, "variable.parameter.capture"),  # a name is a WORD
    ("=>", 0, Keyword, "keyword.control.emit"),
    ("warn", 0, Name.Function, "entity.name.function.statement"),
    ("source", 0, Name.Attribute, "entity.other.attribute-name"),
    ('\\"', 0, String.Escape, "constant.character.escape"),
    ("?", 0, Keyword, "keyword.control.resolved"),
    ("each", 0, Keyword, "keyword.control.each"),
    ("@example", 0, Keyword, "keyword.control.example"),
    ("@counterexample", 0, Keyword, "keyword.control.example"),
]


def test_each_construct_is_shown_as_documented() -> None:
    lines = _textmate().char_scopes(CONSTRUCTS)
    flat = [sc for scopes in lines for sc in [*scopes, ()]]
    seen: dict[str, int] = {}
    pos = 0
    found: dict[tuple[str, int], tuple[Any, set[str]]] = {}
    for ttype, value in IedslLexer().get_tokens(CONSTRUCTS):
        if value.strip():
            nth = seen.get(value, 0)
            seen[value] = nth + 1
            scopes = {sc.removesuffix(".iedsl") for i in range(pos, pos + len(value)) for sc in flat[i]}
            found[value, nth] = (ttype, scopes - {"meta.token-test"} or {""})
        pos += len(value)
    wrong = [
        (piece, nth, found.get((piece, nth)))
        for piece, nth, ttype, scope in SHOWN
        if (piece, nth) not in found or found[piece, nth][0] != ttype or scope not in found[piece, nth][1]
    ]
    assert not wrong, f"(piece, nth, (Pygments token, TextMate scopes)) not as documented: {wrong}"
    assert not [piece for piece, (ttype, _) in found.items() if ttype in Error]
