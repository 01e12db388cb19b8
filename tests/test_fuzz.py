"""Property tests (Hypothesis): hostile rule text and hostile documents never crash iedsl.

What is fuzzed and why is in docs/fuzzing.md. In short:

- rule text (arbitrary text and bytes, token soup from the grammar's vocabulary, grammar-aware
  rules with mutations; as `.ie` files and as YAML patterns) either compiles or fails with
  located diagnostics, and `diagnose` never raises;
- documents (control characters, combining marks, RTL, emoji, lone surrogates, 10,000-character
  words, whitespace only, very long lines) never crash segmentation or a run of the shipped
  pack, and every offset invariant holds, through the library and the real CLI;
- parsing is deterministic and does not depend on the whitespace between tokens (there is no
  formatter yet to round-trip through).

Profiles: `ci` (the default: few examples, derandomized, fast) and `long` (`make fuzz`,
`IEDSL_FUZZ_PROFILE=long`; `IEDSL_FUZZ_EXAMPLES` sets the examples per property). When
`IEDSL_FUZZ_COUNTS` names a file, the number of examples each property ran is written there.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ie_dsl import IEDslError, RuleBook, compile_rules
from ie_dsl.cli import app
from ie_dsl.diagnostics import Diagnostic, render
from ie_dsl.language.parser import parse_file_recovering
from ie_dsl.pipeline import diagnose
from ie_dsl.source import SourceFile
from ie_dsl.text.segment import Segmentation, segment
from ie_dsl.tools.dump import dump_ast

ROOT = Path(__file__).resolve().parent.parent

# A rule string such as "\q" is unquoted with ast.literal_eval, which warns about the escape.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence")

# ---- profiles -------------------------------------------------------------------------------

_SLOW_OK = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples on every run: no flaky CI
    database=None,  # nothing written into the repository
    suppress_health_check=_SLOW_OK,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no (slow) explain phase
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("IEDSL_FUZZ_EXAMPLES", "10000")),
    deadline=None,
    derandomize=False,  # a fresh random seed on every run
    database=None,
    suppress_health_check=_SLOW_OK,
    print_blob=True,  # a failure prints @reproduce_failure(...) to replay it
)
PROFILE = settings.get_profile(os.environ.get("IEDSL_FUZZ_PROFILE", "ci"))


def fuzz(ci: int, long_share: float = 1.0, **overrides: Any) -> settings:
    """`ci` examples in the default profile; in the long one, `long_share` of its examples."""
    if PROFILE is settings.get_profile("ci"):
        return settings(PROFILE, max_examples=ci, **overrides)
    return settings(PROFILE, max_examples=max(ci, int(PROFILE.max_examples * long_share)), **overrides)


COUNTS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    if pack_dir.cache_info().currsize:  # the snapshot of rules/ (see pack_dir)
        shutil.rmtree(pack_dir().parent, ignore_errors=True)
    target = os.environ.get("IEDSL_FUZZ_COUNTS")
    if target:
        Path(target).write_text(json.dumps(dict(COUNTS), indent=1), encoding="utf-8")


# ---- checks shared by the properties --------------------------------------------------------

CODE = re.compile(r"[EW]\d{3}")
# Codes about a whole file (or a path): they may come without a span, or with a one-character
# span at the start of a file that may be empty.
# about a whole rule set or file: no span (E401 here: a chain of macros, entities or `use`
# too long to follow; E405: too many rules)
WHOLE_FILE = {"E201", "E202", "E203", "E401", "E402", "E405"}
SPAN_MAY_PASS_END: set[str] = set()  # every span stays inside its file


def check_diagnostics(diags: list[Diagnostic], sources: dict[str, SourceFile]) -> None:
    """Every diagnostic has a stable code and, unless it is about a whole file, a span inside
    the file it names; every rendering works."""
    for d in diags:
        assert CODE.fullmatch(d.code), d
        assert d.severity == ("error" if d.code[0] == "E" else "warning"), d
        assert isinstance(d.message, str) and d.message.strip(), d
        if d.span is None:
            assert d.code in WHOLE_FILE, f"{d.code} has no location: {d}"
            continue
        src = sources.get(d.span.file)
        assert src is not None, f"{d.code} names a file that was not read: {d}"
        start, end, size = d.span.start, d.span.end, len(src.text)
        at_end = start == size and end == size + 1  # the end of the file, e.g. an early end
        inside = 0 <= start <= end <= size or at_end or (d.code in WHOLE_FILE and (start, end) == (0, 1))
        assert inside or (d.code in SPAN_MAY_PASS_END and 0 <= start <= end), f"span outside the file: {d}"
    for fmt in ("full", "concise", "json"):
        render(diags, sources, fmt)


# Separators per docs/segmentation.md: whitespace, C0/C1 controls, invisible format characters
# (soft hyphen, zero-width space/joiners, LRM/RLM, bidi embeddings and isolates, word joiner and
# the invisible operators after it, BOM).
_INVISIBLE = set("\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff")
_INVISIBLE |= {chr(c) for c in range(0x2060, 0x2065)} | {chr(c) for c in range(0x2066, 0x206A)}


def is_separator(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cc" or ch in _INVISIBLE


def check_segmentation(text: str, seg: Segmentation) -> None:
    """The guarantees of docs/segmentation.md."""
    starts, ends = seg.starts, seg.ends
    n = len(starts)
    assert len(ends) == n and seg.text is text
    prev = 0
    for i in range(n):
        s, e = starts[i], ends[i]
        assert prev <= s < e <= len(text), (i, s, e)
        assert not any(ch.isspace() for ch in text[s:e]), (i, text[s:e])
        assert all(is_separator(ch) for ch in text[prev:s]), (i, text[prev:s])
        prev = e
    assert all(is_separator(ch) for ch in text[prev:]), text[prev:]
    if n == 0:
        assert seg.sentences == [] and seg.paragraphs == []
        return
    # sentences: consecutive token ranges covering every token, trimmed, inside their paragraph
    assert seg.sentences and seg.sentences[0].first_token == 0
    assert seg.sentences[-1].end_token == n
    for k, sent in enumerate(seg.sentences):
        assert sent.first_token < sent.end_token
        if k:
            assert sent.first_token == seg.sentences[k - 1].end_token
            assert seg.sentences[k - 1].end <= sent.start
        assert sent.start <= starts[sent.first_token] and ends[sent.end_token - 1] <= sent.end
        if sent.first_token:
            assert ends[sent.first_token - 1] <= sent.start
        if sent.end_token < n:
            assert sent.end <= starts[sent.end_token]
        body = text[sent.start : sent.end]
        assert body and body == body.strip(), (k, body)
        assert 0 <= sent.paragraph < len(seg.paragraphs)
        para = seg.paragraphs[sent.paragraph]
        assert para.first_sentence <= k < para.end_sentence
        assert para.start <= sent.start and sent.end <= para.end
    assert seg.paragraphs[0].first_sentence == 0
    assert seg.paragraphs[-1].end_sentence == len(seg.sentences)
    for p, para in enumerate(seg.paragraphs):
        assert para.first_sentence < para.end_sentence
        if p:
            assert para.first_sentence == seg.paragraphs[p - 1].end_sentence
            assert seg.paragraphs[p - 1].end <= para.start
        body = text[para.start : para.end]
        assert body and body == body.strip(), (p, body)


def scopes_of(book: RuleBook) -> dict[str, str]:
    return {cr.rule.name: cr.rule.scope for cr in book.program.statements}


def check_statements(
    text: str, doc_id: str, statements: list[dict[str, Any]], seg: Segmentation, scopes: dict[str, str]
) -> None:
    """Offsets of statements: `text[start:end]` is each text shown; a statement starts in its
    sentence and ends in it (sentence scope) or in its paragraph (wider scopes)."""
    sentences = {(s.start, s.end): s for s in seg.sentences}
    keys = []
    for st_ in statements:
        assert st_["doc"] == doc_id
        start, end = st_["span"]["start"], st_["span"]["end"]
        assert 0 <= start < end <= len(text), st_
        sent = st_["sentence"]
        where = sentences.get((sent["start"], sent["end"]))
        assert where is not None, f"not a sentence of the document: {sent}"
        assert sent["text"] == text[sent["start"] : sent["end"]]
        assert sent["start"] <= start < sent["end"], st_
        if scopes.get(st_["rule"]["name"], "sentence") == "sentence":
            assert end <= sent["end"], st_
        else:
            assert end <= seg.paragraphs[where.paragraph].end, st_
        for role, arg in st_["args"].items():
            check_arg(text, arg)
            if role not in ATTRIBUTED and "start" in arg:
                assert start <= arg["start"] < arg["end"] <= end, (role, arg, st_["span"])
        assert isinstance(st_["rule"]["line"], int) and st_["rule"]["line"] >= 1
        json.dumps(st_)  # serialisable (ASCII escapes: lone surrogates included)
        keys.append((start, end, st_["type"], st_["rule"]["name"]))
    assert keys == sorted(keys)


# Roles the shipped pack's attribution may resolve from elsewhere in the document.
ATTRIBUTED = ("speaker", "organization")


def check_arg(text: str, arg: dict[str, Any]) -> None:
    """An argument's (and its `via` mention's) offsets give back its text."""
    if "start" in arg or "text" in arg:
        assert 0 <= arg["start"] < arg["end"] <= len(text), arg
        assert text[arg["start"] : arg["end"]] == arg["text"], arg
    if "via" in arg:
        check_arg(text, arg["via"])


def run_book(book: RuleBook, doc_id: str, text: str) -> list[dict[str, Any]]:
    """Run a book over one document and check everything; returns the statements."""
    seg = segment(text)
    check_segmentation(text, seg)
    overridden: list[dict[str, Any]] = []
    found = book.extract(doc_id, text, overridden)
    scopes = scopes_of(book)
    check_statements(text, doc_id, found, seg, scopes)
    for lost in overridden:
        # a match that lost a conflict names its winner; an applied cue is not output
        assert lost["type"] == "cue" or isinstance(lost.get("overridden_by"), str)
    check_statements(text, doc_id, sorted(overridden, key=_order), seg, scopes)
    assert book.extract(doc_id, text) == found  # deterministic, with or without `overridden`
    return found


def _order(st_: dict[str, Any]) -> tuple[int, int, str, str]:
    return (st_["span"]["start"], st_["span"]["end"], st_["type"], st_["rule"]["name"])


# ---- rule files ------------------------------------------------------------------------------

FIXED_FILES = {
    "places.yaml": "type: PLACE\nentries: [Afghanistan, Central Asia, Tajikistan]\n",
    "orgs.yaml": "type: ORG\nentries:\n  - name: Collective Security Treaty Organization\n"
    "    aliases: [CSTO]\n",
    "common.ie": "define WARN = ~warn | ~caution | raised alarms\n",
}

# A short text with most words of the vocabulary below, so fuzzed rules have something to match.
TEXT = (
    "The CSTO warned of terrorist groups from Afghanistan. They said a threat was grave, x y z; "
    "the rule of law. Gen. Smith's 6,500 fighters didn't cross-border into Central Asia! Why? "
    'In 2023 two thousand said: "no" \u2014 U.S. troops #CSTO @handle o\'clock na\u00efve a b c.\n\n'
    "Tajikistan cautioned about armed groups in Central Asia, warning of a threat to us."
)


def check_rule_dir(directory: Path) -> None:
    """Compile a rule directory: a RuleBook or located diagnostics; diagnose never raises;
    a compiled book runs over TEXT and over its own examples."""
    book: RuleBook | None = None
    try:
        book = compile_rules([directory])
    except IEDslError as err:
        assert err.diagnostics, "IEDslError without diagnostics"
        errors = err.diagnostics
    diags, sources = diagnose([directory])
    sources = dict(sources)
    check_diagnostics(list(diags), sources)
    has_errors = any(d.severity == "error" for d in diags)
    if book is None:
        check_diagnostics(errors, sources)
        assert has_errors, f"compile_rules failed ({errors[0].code}) but diagnose found no error"
        # diagnose reports at least what compile_rules reports (it goes on where that stops)
        assert {d.code for d in errors} <= {d.code for d in diags}, (errors, diags)
        return
    assert not has_errors, f"compile_rules succeeded but diagnose found {diags}"
    check_diagnostics(list(book.warnings), dict(book.sources))
    run_book(book, "doc", TEXT)
    for rule_file in book.ruleset.files:
        for rule in rule_file.rules:
            for example in rule.examples:
                run_book(book, "example", example.text)


def write_dir(files: dict[str, str | bytes]) -> tempfile.TemporaryDirectory[str]:
    tmp = tempfile.TemporaryDirectory(prefix="iedsl-fuzz-")
    for name, content in {**FIXED_FILES, **files}.items():
        path = Path(tmp.name) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return tmp


# Known crashes: inputs that match are left out of the properties (assume) while the engine
# is being fixed; each has a strict-xfail regression test at the end of this file. Remove an
# entry when its test passes.
KNOWN_CRASHES: dict[str, re.Pattern[str]] = {}  # none known: add one with its regression test


def check_rules(files: dict[str, str | bytes]) -> None:
    with write_dir(files) as tmp:
        check_rule_dir(Path(tmp))


def avoid_known_crashes(content: str | bytes) -> None:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    assume(not any(known.search(text) for known in KNOWN_CRASHES.values()))


def fuzz_rules(label: str, files: dict[str, str | bytes]) -> None:
    """check_rules, except on inputs that would hit a known crash."""
    for content in files.values():
        avoid_known_crashes(content)
    COUNTS[label] += 1
    check_rules(files)


# ---- strategies: rule text -------------------------------------------------------------------

KEYWORDS = ["rule", "entity", "define", "use", "priority", "mode", "scope", "group"]
OPTION_WORDS = ["longest", "first", "all", "sentence", "paragraph", "window", "bogus"]
TYPES = ["ORG", "PLACE", "NUMBER", "THREAT", "EVENT", "UNKNOWN", "WARN", "X", "Y", "A", "I", "G7"]
MACRO_CALLS = ["NEAR(", "WARN(", "M(", "THREAT(", "ORG("]
WORDS = (
    "a the of warned said threat x y z b c Gen. u.s. said. 6,500 2023 naïve o'clock COVID-19 "
    "Afghanistan's didn't cross-border cap upper lower title alpha word punct number num any rule"
).split()
LEMMAS = "~warn ~say ~group ~threat ~cross-border ~caution ~be".split()
STRINGS = r""""CSTO" "al-Qaeda" "(" "" "\"" "'s" "n't" "#CSTO" "\\" "U.S." "“" "\q" """.split()
STRINGS += ['" "', '"a b"']
REGEXES = r"/^[A-Z]{2,5}$/ /stan$/i /(a|a)+$/ /[/ /a/m /\// /(?<=a)b/ /^\w+$/a /(?P<n>a)(?P=n)/".split()
REGEXES += r"/a{99999}/ /\p{L}/ /(?i)x/s /[[:alpha:]]/ /\/".split() + [r"/ \w+ # c/x"]
QUANTS = "? * + {2} {1,3} {,5} {3,} {0} {0,0} {5,2} {201} ?? *? +? {2,4}? {99999999999999999999} {}".split()
GAPS = "... ...{0,8} ...* ...+ ...? ...{3,} ...{2} ...{,4} ...{9,1}".split()
LOOKS = ["(?=", "(?!", "(?<=", "(?<!"]
PUNCT = list("()[]|&!_^$:,;.=-'{}@%\\/~#?*+") + ["=>"]
EXTRAS = '@example @counterexample "places.yaml" "common.ie" "../x.ie" "missing.ie" "/etc/passwd"'.split()
EXTRAS += ["# a comment", "w(", "x=", "polarity=", '"negative"', "5", "-3", "+2", "0"]
VOCAB = (
    KEYWORDS
    + OPTION_WORDS
    + TYPES
    + MACRO_CALLS
    + WORDS
    + LEMMAS
    + STRINGS
    + REGEXES
    + QUANTS
    + GAPS
    + LOOKS
    + PUNCT
    + EXTRAS
)
SEPARATORS = [" ", " ", " ", "", "\n", "\n    ", "\t", "\r\n", "\n\n", "\n  \t"]

# arbitrary text: anything UTF-8 can encode, control characters and unassigned code points included
any_text = st.text(st.characters(codec="utf-8"), max_size=300)
vocab_token = st.sampled_from(VOCAB)
token_soup = st.builds(
    lambda head, parts: head + "".join(tok + sep for tok, sep in parts),
    st.sampled_from(["", "rule r: ", "rule r:\n    ", "entity THREAT: ", "define M = ", "rule r mode "]),
    st.lists(st.tuples(vocab_token, st.sampled_from(SEPARATORS)), max_size=40),
)


def _concat(parts: list[list[str]]) -> list[str]:
    return [tok for part in parts for tok in part]


def _join(sep: str, parts: list[list[str]]) -> list[str]:
    out: list[str] = []
    for k, part in enumerate(parts):
        if k:
            out.append(sep)
        out += part
    return out


# Patterns as lists of lexemes (a lexeme is never split by whitespace), so that the same
# pattern can be written with different spacing.
t_atom = st.sampled_from(WORDS + LEMMAS + STRINGS + REGEXES + TYPES).map(lambda t: [t])
t_test = st.recursive(
    t_atom,
    lambda inner: st.one_of(
        inner.map(lambda t: ["!", *t]),
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: _join("&", ts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: _join("|", ts)),
        inner.map(lambda t: ["(", *t, ")"]),
    ),
    max_leaves=6,
)
token_set = t_test.map(lambda t: ["[", *t, "]"])
leaf = st.one_of(
    st.sampled_from(WORDS + LEMMAS + STRINGS + REGEXES + TYPES + GAPS + ["_", "^", "$", ",", ";", "."]).map(
        lambda t: [t]
    ),
    token_set,
    st.one_of(st.sampled_from(WORDS + LEMMAS + STRINGS + REGEXES).map(lambda t: [t]), token_set).map(
        lambda t: ["!", *t]
    ),
)
pattern = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=4).map(_concat),
        st.lists(inner, min_size=2, max_size=3).map(lambda ps: _join("|", ps)),
        inner.map(lambda p: ["(", *p, ")"]),
        st.tuples(inner, st.sampled_from(QUANTS)).map(lambda t: ["(", *t[0], ")", t[1]]),
        st.tuples(leaf, st.sampled_from(QUANTS)).map(lambda t: [*t[0], t[1]]),
        st.tuples(st.sampled_from(["x", "y", "speaker", "threat"]), inner).map(
            lambda t: [t[0], ":", "(", *t[1], ")"]
        ),
        st.tuples(st.sampled_from(["x", "source"]), leaf).map(lambda t: [t[0], ":", *t[1]]),
        st.tuples(st.sampled_from(LOOKS), inner).map(lambda t: [t[0], *t[1], ")"]),
        st.tuples(st.sampled_from(MACRO_CALLS), st.lists(inner, min_size=1, max_size=3)).map(
            lambda t: [t[0], *_join(",", t[1]), ")"]
        ),
    ),
    max_leaves=10,
)

options = st.lists(
    st.sampled_from(
        [
            ["priority", "5"],
            ["priority", "-3"],
            ["mode", "first"],
            ["mode", "longest"],
            ["mode", "all"],
            ["mode", "bogus"],
            ["scope", "sentence"],
            ["scope", "paragraph"],
            ["scope", "window", "2"],
            ["scope", "window", "0"],
            ["scope", "sentence", "3"],
            ["scope", "nowhere"],
            ["group", "g"],
        ]
    ),
    max_size=3,
).map(_concat)
emit_arg = st.sampled_from(
    [
        ["x"],
        ["speaker"],
        ["threat"],
        ["place"],
        ["org"],
        ["role", "=", "x"],
        ["polarity", "=", '"negative"'],
        ["doc", "=", '"x"'],
        ["missing"],
    ]
)
emit = st.tuples(st.sampled_from(["w", "warn", "T"]), st.lists(emit_arg, max_size=3)).map(
    lambda t: ["=>", t[0], "(", *_join(",", t[1]), ")"]
)
example = st.one_of(
    st.tuples(
        st.sampled_from(['"They warned of a threat."', '"CSTO warned of Afghanistan."', '""']),
        st.sampled_from([[], ["=>", "x", "=", '"threat"']]),
    ).map(lambda t: ["@example", t[0], *t[1]]),
    st.sampled_from(['"nothing here"', '"x y z"']).map(lambda s: ["@counterexample", s]),
)
rule_stmt = st.tuples(
    st.sampled_from(["rule", "entity"]),
    st.sampled_from(["r", "r2", "warn_of", "THREAT", "EVENT", "w"]),
    options,
    pattern,
    st.one_of(st.just([]), emit),
    st.lists(example, max_size=2).map(_concat),
).map(lambda t: [t[0], t[1], *t[2], ":", *t[3], *t[4], *t[5]])
define_stmt = st.one_of(
    st.tuples(st.sampled_from(["M", "THREAT", "W2", "m"]), pattern).map(
        lambda t: ["define", t[0], "=", *t[1]]
    ),
    pattern.map(lambda p: ["define", "NEAR(", "X", ",", "Y", ")", "=", "X", "...{0,3}", *p, "Y"]),
)
use_stmt = st.sampled_from(['"places.yaml"', '"common.ie"', '"missing.ie"', '"../x.ie"', '"main.ie"']).map(
    lambda p: ["use", p]
)
rule_file = st.lists(
    st.one_of(rule_stmt, rule_stmt, define_stmt, use_stmt), min_size=1, max_size=5
)  # a list of statements, each a list of lexemes


def render_file(statements: list[list[str]], seps: Iterator[str] | None = None) -> str:
    """Statements at column 0, lexemes separated by one space (or by what `seps` yields)."""
    lines = []
    for stmt in statements:
        out = stmt[0]
        for lexeme in stmt[1:]:
            out += (next(seps) if seps is not None else " ") + lexeme
        lines.append(out)
    return "\n".join(lines) + "\n"


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """`base` text with a few random edits: deletions, insertions, duplications, swaps."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 24)))
        op = draw(st.sampled_from(["delete", "insert", "char", "dup", "swap", "cut"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(vocab_token) + text[i:]
        elif op == "char":
            text = text[:i] + draw(st.characters(codec="utf-8")) + text[i:]
        elif op == "dup":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "swap":
            k = draw(st.integers(j, len(text)))
            text = text[:i] + text[j:k] + text[i:j] + text[k:]
        else:
            text = text[:i]
    return text


grammar_text = rule_file.map(render_file)
grammar_mutated = mutated(grammar_text)
pattern_text = st.one_of(pattern.map(" ".join), mutated(pattern.map(" ".join)), token_soup, any_text)


@st.composite
def yaml_rule_files(draw: st.DrawFn) -> str:
    """A YAML rule file whose patterns come from the strategies above, usually in block scalars."""
    lines = []
    use = draw(st.sampled_from([None, "use: [places.yaml, common.ie]", "use: common.ie", "use: ../x.ie"]))
    if use:
        lines.append(use)
    if draw(st.booleans()):
        lines += ["define:", f"  NEAR(X, Y): {json.dumps('X ...{0,3} ' + draw(pattern_text) + ' Y')}"]
    lines.append("rules:")
    for k in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(["name", "name", "entity"]))
        lines.append(f"  - {key}: {draw(st.sampled_from(['r', f'r{k}', 'THREAT', 'EVENT', 'x y']))}")
        for opt in draw(
            st.lists(
                st.sampled_from(
                    [
                        "priority: 5",
                        "priority: high",
                        "mode: first",
                        "mode: all",
                        "scope: window 2",
                        "scope: paragraph",
                        "scope: window",
                        "group: g",
                        "emit: {type: w, args: {x: x}}",
                        "emit: {polarity: negative, confidence: high}",
                        "emit: [1, 2]",
                        "examples: [{text: They warned of a threat., expect: [{args: {x: threat}}]}]",
                        "counterexamples: [nothing]",
                        "examples: [1, {text: [2]}]",
                    ]
                ),
                max_size=3,
                unique=True,
            )
        ):
            lines.append(f"    {opt}")
        text = draw(pattern_text)
        style = draw(st.sampled_from(["|", "|", ">", "|-", "|+", ">-", "quoted", "plain"]))
        if style == "quoted":
            lines.append(f"    pattern: {json.dumps(text)}")
        elif style == "plain":
            lines.append(f"    pattern: {text}")
        else:
            lines.append(f"    pattern: {style}")
            lines += ["      " + line for line in text.split("\n")]
    return "\n".join(lines) + "\n"


# ---- properties: rule text ---------------------------------------------------------------------


@fuzz(ci=150)
@given(
    content=st.one_of(any_text, any_text.map(lambda s: "rule r: " + s), st.binary(max_size=300)),
    suffix=st.sampled_from([".ie", ".ie", ".yaml"]),
)
def test_arbitrary_rule_text(content: str | bytes, suffix: str) -> None:
    fuzz_rules("arbitrary rule text and bytes", {"main" + suffix: content})


@fuzz(ci=100)
@given(content=token_soup)
def test_token_soup_rules(content: str) -> None:
    fuzz_rules("token soup", {"main.ie": content})


@fuzz(ci=120)
@given(content=st.one_of(grammar_text, grammar_mutated))
def test_grammar_aware_rules(content: str) -> None:
    fuzz_rules("grammar-aware rules, mutated", {"main.ie": content})


@fuzz(ci=200)
@given(content=st.one_of(yaml_rule_files(), mutated(yaml_rule_files())))
def test_yaml_rules(content: str) -> None:
    fuzz_rules("YAML rule files", {"main.yaml": content})


# ---- properties: parsing is deterministic --------------------------------------------------------

SPACING = st.lists(st.sampled_from([" ", "  ", "\t", " \t ", "\n    ", "\n\t", "\n  "]), min_size=1)


@fuzz(ci=200)
@given(statements=rule_file, spacing=SPACING)
def test_parse_is_deterministic_and_whitespace_insensitive(
    statements: list[list[str]], spacing: list[str]
) -> None:
    plain = render_file(statements)
    avoid_known_crashes(plain)
    COUNTS["parser determinism"] += 1
    first, problems = parse_file_recovering(plain, "f.ie")
    again, problems_again = parse_file_recovering(plain, "f.ie")
    assert first == again and problems == problems_again  # spans included
    assert dump_ast(first) == dump_ast(again)

    def cycle() -> Iterator[str]:
        while True:
            yield from spacing

    spaced = render_file(statements, cycle())
    other, other_problems = parse_file_recovering(spaced, "f.ie")
    if not problems:
        # the same lexemes with other whitespace (line continuations included): the same AST
        assert not other_problems, (spaced, other_problems)
        assert dump_ast(other) == dump_ast(first)
    elif not any("\n" in s for s in spacing):
        assert [p.code for p in other_problems] == [p.code for p in problems]


runner = CliRunner()


@fuzz(ci=10, long_share=0.05)
@given(statements=rule_file)
def test_debug_ast_is_stable(statements: list[list[str]]) -> None:
    text = render_file(statements)
    avoid_known_crashes(text)
    COUNTS["iedsl debug ast stability"] += 1
    outputs = []
    for _ in range(2):
        with write_dir({"main.ie": text}) as tmp:
            result = runner.invoke(app, ["debug", "ast", tmp])
            assert result.exit_code in (0, 2), result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
            outputs.append((result.exit_code, result.stdout.replace(tmp, "<dir>")))
    assert outputs[0] == outputs[1]


# ---- strategies: documents -------------------------------------------------------------------------

NEWS = [
    "The CSTO warned of terrorist groups from Afghanistan.",
    "Tajikistan warned of armed groups massing in Kunduz.",
    "The Taliban has repeatedly denied the presence of terrorist groups in Afghanistan.",
    "The Taliban claims that there is no threat from Afghanistan's territory.",
    "Imangali Tasmagambetov highlighted that Afghanistan remains a primary source of instability "
    "in Central Asia.",
    "Russian Foreign Minister Sergei Lavrov expressed concern over terrorist groups in Afghanistan.",
    "Senator Lindsey Graham spoke after the vote.",
    "\u201cEmerging threats linked to instability in Afghanistan require monitoring,\u201d he said.",
    "Some 6,500 fighters of the Islamic State-Khorasan Province were seen near Tajikistan\u2019s border.",
    "Gen. Serdyukov said the U.S. withdrew; see https://example.com/a?b=1. #CSTO @rasc_news",
]
SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
control = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.characters(
    min_codepoint=0x7F, max_codepoint=0x9F
)
combining = st.characters(categories=["Mn", "Mc", "Me"])
rtl = st.characters(min_codepoint=0x0590, max_codepoint=0x06FF) | st.sampled_from(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)
invisible = st.sampled_from("\u00ad\u200b\u200c\u200d\u2060\u2061\u2064\u206a\ufeff\u180e\u034f")
emoji = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
emoji_sequence = st.sampled_from(
    [
        "\U0001f3f3\ufe0f\u200d\U0001f308",
        "\U0001f469\u200d\U0001f469\u200d\U0001f467",
        "\U0001f1e6\U0001f1eb",
        "\U0001f44d\U0001f3fd",
        "\u2764\ufe0f",
        "#\ufe0f\u20e3",
    ]
)
surrogate = st.characters(categories=["Cs"])
anything = st.characters(codec=None, exclude_categories=())  # every code point, surrogates too
hostile_char = st.one_of(
    control, combining, rtl, invisible, emoji, surrogate, anything, st.sampled_from(SPACES)
)
tricky = st.sampled_from(
    [
        "U.S.",
        "Gen.",
        "No. 5",
        "said no.",
        "6,500",
        "1,234.56",
        "https://x.org/a).",
        "www.x.org)",
        "#CSTO",
        "@handle",
        "a.b@c.co",
        "o'clock",
        "didn't",
        "can\u2019t",
        "groups'",
        "al-Qaeda",
        "...",
        "\u2026",
        "--",
        "10%",
        "$5",
        "J. Smith",
        "e\u0301te\u0301",
        "\u05e9\u05dc\u05d5\u05dd",
        "\u0627\u0644\u0633\u0644\u0627\u0645",
        "\u0939\u093f\u0928\u094d\u0926\u0940",
        "'s",
        "n't",
        "\u2019",
        "\u201c",
        "(",
        ")",
        "Mr.",
        "U.S.A.",
        "a.m.",
    ]
)
repeated = st.tuples(
    st.one_of(
        st.sampled_from(
            [
                "a",
                "\u00e9",
                "\u05d0",
                "1",
                "!",
                ".",
                "-",
                " ",
                "\n",
                "e\u0301",
                "\U0001f44d",
                "\u200b",
                "a.",
                "'",
                "A",
                "ab-",
                "\u0301",
            ]
        ),
        hostile_char,
    ),
    st.sampled_from([2, 50, 1000, 10_000]),
).map(lambda t: t[0] * t[1])
piece = st.one_of(
    st.sampled_from(NEWS),
    st.sampled_from(NEWS),
    tricky,
    emoji_sequence,
    repeated,
    st.text(hostile_char, max_size=12),
    st.text(max_size=12),
)
joiner = st.sampled_from(["", " ", " ", "\n", "\n\n", "\r\n", "\u2029", "\t"])
documents = st.one_of(
    st.lists(st.tuples(piece, joiner), max_size=25).map(lambda ps: "".join(a + b for a, b in ps)),
    st.text(st.sampled_from(SPACES), max_size=200),  # only whitespace
    st.text(hostile_char, max_size=300),
    st.lists(st.sampled_from(NEWS), min_size=1, max_size=5).map(lambda s: " ".join(s * 15)),  # a long line
)


@functools.cache
def pack_dir() -> Path:
    """A snapshot of the shipped rule pack: the library and the CLI runs compare statements
    from the same rules even while rules/ is being edited."""
    target = Path(tempfile.mkdtemp(prefix="iedsl-fuzz-pack-")) / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


@functools.cache
def pack() -> RuleBook:
    """The shipped rule pack (compiled once)."""
    return compile_rules([pack_dir()])


@fuzz(ci=200)
@given(text=documents)
def test_documents_never_crash_and_offsets_hold(text: str) -> None:
    COUNTS["hostile documents, shipped pack"] += 1
    run_book(pack(), "doc", text)


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def _raw_ok(text: str) -> bool:
    """Whether `text` can go to iedsl as a plain UTF-8 file: no NUL (read as binary), no
    leading BOM (removed on reading, which would shift the offsets)."""
    return "\x00" not in text and not text.startswith("\ufeff") and not _has_surrogate(text)


# no shrinking: shrinking a failing CLI run takes minutes (test_documents... shrinks well)
@fuzz(ci=4, long_share=0.02, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(files=st.lists(documents, min_size=1, max_size=5), stdin=documents)
def test_cli_run_on_hostile_inputs(files: list[str], stdin: str) -> None:
    """One `iedsl run rules/ FILES... corpus.jsonl - --format jsonl` over hostile documents:
    text files, JSONL lines (for text a file cannot carry) and stdin. A document with a lone
    surrogate (possible only through a JSON escape) is reported and skipped, exit code 1
    (the reading policy of ie_dsl/scale/reader.py); every other document gives what the library gives."""
    COUNTS["hostile documents, iedsl run"] += len(files) + 1
    with tempfile.TemporaryDirectory(prefix="iedsl-fuzz-") as tmp:
        expected: dict[str, str] = {}
        args: list[str] = []
        lines: list[str] = []
        for k, text in enumerate(files):
            if _raw_ok(text):
                path = Path(tmp) / f"{k:02d}.txt"
                path.write_bytes(text.encode("utf-8"))
                args.append(str(path))
                expected[str(path)] = text
            else:
                lines.append(json.dumps({"id": f"line{k}", "text": text}))
                expected[f"line{k}"] = text
        if lines:
            corpus = Path(tmp) / "corpus.jsonl"
            corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
            args.append(str(corpus))
        data = stdin.encode("utf-8", "surrogatepass")
        if _raw_ok(stdin) and data.lstrip()[:1] != b"{":
            expected["<stdin>"] = stdin
        else:  # a line of JSONL
            data = json.dumps({"id": "stdin", "text": stdin}).encode() + b"\n"
            expected["stdin"] = stdin
        result = runner.invoke(
            app, ["run", str(pack_dir()), *args, "-", "--format", "jsonl", "-q"], input=data
        )
    refused = {doc for doc, text in expected.items() if _has_surrogate(text)}
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == (1 if refused else 0), (result.exit_code, result.stderr, result.exception)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert bool(result.stderr.strip()) == bool(refused), result.stderr
    found: dict[str, list[dict[str, Any]]] = {doc: [] for doc in expected}
    for line in result.stdout.splitlines():
        statement = json.loads(line)
        found[statement["doc"]].append(statement)
    for doc, text in expected.items():
        if doc in refused:
            assert not found[doc], doc
            continue
        assert found[doc] == pack().extract(doc, text), doc
        check_statements(text, doc, found[doc], segment(text), scopes_of(pack()))


# ---- explicit cases: deep nesting and the crashes fuzzing found ---------------------------------------


def located_error(files: dict[str, str | bytes], code: str | None = None) -> None:
    """Compiling `files` fails with located diagnostics (of `code`), and diagnose agrees."""
    with write_dir(files) as tmp:
        with pytest.raises(IEDslError) as err:
            compile_rules([tmp])
        diags, sources = diagnose([tmp])
        check_diagnostics(err.value.diagnostics, dict(sources))
        check_diagnostics(list(diags), dict(sources))
        assert all(d.span is not None for d in err.value.diagnostics)
        if code is not None:
            assert code in {d.code for d in err.value.diagnostics}, err.value.diagnostics


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
@pytest.mark.parametrize(
    "opener, closer",
    [("(", ")"), ("[", "]"), ("(?=", ")"), ("NEAR(", ")"), ("(", ""), ("x:(", ")")],
)
def test_deep_nesting_is_a_located_error(depth: int, opener: str, closer: str) -> None:
    pattern = opener * depth + "a" + closer * depth
    located_error({"main.ie": f"rule r: {pattern}\n"}, "E401")
    located_error({"main.yaml": f"rules:\n  - name: r\n    pattern: |\n      {pattern}\n"}, "E401")


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_yaml_is_a_located_error(depth: int) -> None:
    located_error({"main.yaml": "rules: " + "[" * depth + "\n"}, "E120")
    located_error({"main.yaml": "rules:\n" + "".join(" " * i + "- \n" for i in range(min(depth, 2000)))})


# Crashes found while writing these tests, each the smallest input found; fixed since
# (deep chains are E401, an empty {} is E113, spans stay inside the file).


def test_negation_chain_in_brackets() -> None:
    check_rules({"main.ie": "rule r: [" + "!" * 1_000 + "x]\n"})


def test_macro_chain() -> None:
    lines = [f"define M{i} = M{i + 1} a" for i in range(1_000)] + ["define M1000 = b", "rule r: M0"]
    check_rules({"main.ie": "\n".join(lines) + "\n"})


def test_entity_chain() -> None:
    lines = [f"entity E{i}: E{i + 1} a" for i in range(1_000)] + ["entity E1000: b", "rule r: E0"]
    check_rules({"main.ie": "\n".join(lines) + "\n"})


def test_use_chain() -> None:
    files: dict[str, str | bytes] = {f"f{i}.ie": f'use "f{i + 1}.ie"\nrule r{i}: a\n' for i in range(1_000)}
    files["f1000.ie"] = "rule last: b\n"
    check_rules(files)


@pytest.mark.parametrize(
    "name, text",
    [
        ("main.ie", "define\n"),
        ("main.ie", "rule r:\n    "),
        ("main.ie", "rule r: a (b\n"),
        ("main.yaml", "rules:\n  - name: r\n    pattern: |\n      a (b\n"),
        ("main.yaml", "rules:\n  - name: r\n    pattern: |+\n      \n"),
    ],
)
def test_syntax_error_span_stays_inside_the_file(name: str, text: str) -> None:
    with write_dir({name: text}) as tmp:
        diags, _sources = diagnose([tmp])
        (error,) = [d for d in diags if d.severity == "error"]
        assert error.span is not None and error.span.end <= len(text), error


@pytest.mark.parametrize("pattern", ["a{}", "a ...{}"])
def test_empty_quantifier(pattern: str) -> None:
    check_rules({"main.ie": f"rule r: {pattern}\n"})


# Found by the long campaign; fixed since (the parser survives lark's error, and diagnose
# reports a recursive macro without expanding it).


@pytest.mark.parametrize(
    "name, text",
    [
        ("main.ie", "rule r: [(a\n"),
        ("main.ie", "rule r: [a & (b\n"),
        ("main.ie", "rule r: [(a b\n"),
        ("main.ie", "define M = [ (rule ( a ) ) ]\ndefine M = a\n"),
        ("main.yaml", "rules:\n  - name: r\n    pattern: |\n      [(0:)\n"),
    ],
)
def test_unclosed_group_in_brackets(name: str, text: str) -> None:
    # was: TypeError from lark's match_examples (it formats a ParserState with %d)
    check_rules({name: text})


@pytest.mark.parametrize(
    "name, text",
    [
        ("main.ie", "define M = a M\nrule r: M\n"),
        ("main.yaml", 'define:\n  M(X): "X M(a)"\nrules:\n  - name: r\n    pattern: M(a)\n'),
        (
            "main.yaml",
            'define:\n  NEAR(X, Y): "X ...{0,3} NEAR((0)) Y"\nrules:\n  - name: r\n    pattern: NEAR( a )\n',
        ),
    ],
)
def test_recursive_macro_is_e212_in_diagnose(name: str, text: str) -> None:
    # was: diagnose expanded the macro until the stack ran out, then said E401 with no place
    check_rules({name: text})
    with write_dir({name: text}) as tmp:
        errors = [d for d in diagnose([tmp])[0] if d.severity == "error"]
        assert errors and all(d.span is not None for d in errors), errors
        assert "E212" in {d.code for d in errors}, errors
