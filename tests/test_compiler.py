"""IR -> Program: limits, look-around bounds, prefilter clauses, and the cost bound."""

from __future__ import annotations

import pytest

from ie_dsl.diagnostics import IEDslError
from ie_dsl.engine.vm import Window, search
from ie_dsl.pipeline import compile_text
from ie_dsl.run.runtime import DocView, annotate
from ie_dsl.text.segment import segment


def only_rule(book):
    (cr,) = book.program.statements
    return cr


def codes(rules: str) -> set[str]:
    with pytest.raises(IEDslError) as info:
        compile_text(rules)
    return {d.code for d in info.value.diagnostics}


def test_repeat_bound_limit():
    assert codes("rule r: b a{0,5000}\n") == {"E403"}


def test_look_around_of_any_length_compiles():
    book = compile_text("rule r: a (?= _* b)\nrule q: (?<! x+) a\n")
    assert [st["rule"]["name"] for st in book.extract("d", "x a c c b")] == ["r"]


def test_bad_regex_is_located():
    with pytest.raises(IEDslError) as info:
        compile_text("rule r: /[unclosed/\n")
    (d,) = info.value.diagnostics
    assert d.code == "E224" and d.span.start == len("rule r: ")


def test_prefilter_clauses_and_first_tokens():
    book = compile_text(
        "rule r: ORG (warns | warned) ...{0,3} of THREAT\nentity THREAT: terrorism\n",
        {"o.yaml": "type: ORG\nentries: [CSTO]\n"},
    )
    cr = only_rule(book)
    assert frozenset({"t:ORG"}) in cr.clauses
    assert frozenset({"w:warns", "w:warned"}) in cr.clauses
    assert frozenset({"w:of"}) in cr.clauses and frozenset({"t:THREAT"}) in cr.clauses
    assert cr.first_types == frozenset({"ORG"}) and cr.first_words == frozenset()
    # a head followed by known words: indexed by the pairs, rarer than either atom
    anchors = sorted(k for k, rules in book.program.anchors.items() if cr in rules)
    assert anchors == ["p:ORG warned", "p:ORG warns"]


def test_rule_without_a_known_second_element_is_indexed_by_its_rarest_clause():
    book = compile_text(
        "rule r: ORG ...{0,2} (warns | warned) of THREAT\nentity THREAT: terrorism\n",
        {"o.yaml": "type: ORG\nentries: [CSTO]\n"},
    )
    cr = only_rule(book)
    assert cr.follow is not None and cr.follow[2][0][:2] == (0, 2)  # not right after ORG: no pairs
    # indexed by words, the rarer kind of atom, and not by the function word "of"
    assert sorted(k for k, rules in book.program.anchors.items() if cr in rules) == ["w:warned", "w:warns"]


def test_a_pair_indexed_rule_is_tried_only_where_its_head_is_followed_by_its_word(searched):
    book = compile_text(
        "rule r: actor:ORG warns of threat:[alpha] => warning(actor, threat)\n",
        {"o.yaml": "type: ORG\nentries: [CSTO, CSTO Council, NATO]\n"},
    )
    # ORG and "warns" in one sentence, but not one after the other: not even searched
    assert book.extract("d", "NATO says Moscow warns of floods.") == []
    assert searched == []
    # the longer of two annotations at one start is followed by the word: found
    (st,) = book.extract("d", "The CSTO Council warns of drones, and NATO agrees.")
    assert st["args"]["actor"]["text"] == "CSTO Council" and st["args"]["threat"]["text"] == "drones"
    assert searched == [1]  # one start searched: the ORG before "warns", not NATO


def test_rule_is_not_tried_on_a_window_without_its_words(monkeypatch):
    book = compile_text("rule r: alpha ...{0,3} omega\n")
    calls = []
    import ie_dsl.run.runtime as rt

    real = rt.run_rule
    monkeypatch.setattr(rt, "run_rule", lambda *a: calls.append(a) or real(*a))
    assert book.extract("d", "alpha beta. gamma omega. alpha and omega.") != []
    assert len(calls) == 1  # only the third sentence holds both words


@pytest.mark.parametrize("pattern", ["(a | a)* b", "(a* a*)* b", "(a | a _?)+ b", "(a{0,5} a{0,5}){0,20} b"])
def test_search_cost_is_bounded_by_code_times_positions(pattern):
    book = compile_text(f"rule r: {pattern}\n")
    cr = only_rule(book)
    text = " ".join(["a"] * 400)
    view = DocView("d", text, segment(text))
    annotate(book.program, view)
    w = Window(0, len(view.norms))
    for start in range(len(view.norms)):
        assert search(cr.code, view, w, start, True, cr.nslots) is None
    # no match anywhere, yet every (instruction, position) state was solved at most once
    assert len(w.memo) <= len(cr.code) * (len(view.norms) + 1)


@pytest.mark.parametrize("pattern", [r"/(a)\1/", r"/(?=a)b/", r"/a++/"])
def test_token_regexes_outside_re2_are_refused_with_a_location(pattern):
    with pytest.raises(IEDslError) as info:
        compile_text(f"rule r: {pattern}\n")
    (d,) = info.value.diagnostics
    assert d.code == "E224" and "RE2" in d.hint and d.span.start == len("rule r: ")


def test_a_catastrophic_regex_is_harmless_on_a_huge_token():
    # (a|a)+$ backtracks exponentially in re/regex; RE2 is linear in the token
    book = compile_text("rule r: /^(a|a)+$/\n")
    (st,) = book.extract("d", "a" * 100_000 + "!")
    assert st["span"] == {"start": 0, "end": 100_000}


def test_a_document_over_its_budget_is_stopped():
    from ie_dsl.run.runtime import BudgetExceeded

    book = compile_text("rule r: alpha\n")
    with pytest.raises(BudgetExceeded):
        book.extract("d", "alpha beta. " * 100, budget=-1.0)
    assert len(book.extract("d", "alpha beta. " * 100, budget=60.0)) == 100


def test_a_huge_document_is_matched_piece_by_piece_with_whole_document_offsets(monkeypatch):
    import ie_dsl.run.runtime as rt

    book = compile_text("rule r: alpha ...{0,2} omega\n")
    text = "".join(f"Alpha {i} omega. Filler words here.\n\n" for i in range(300))
    whole = book.extract("d", text)
    monkeypatch.setattr(rt, "CHUNK_CHARS", 500)
    pieces = list(rt.chunks(text, 500))
    assert len(pieces) > 10 and "".join(p for _o, p in pieces) == text
    chunked = book.extract("d", text)
    assert chunked == whole and len(whole) == 300
    assert list(book.iter_extract("d", text)) == whole
    assert all(text[s["span"]["start"] : s["span"]["end"]] == s["sentence"]["text"][:-1] for s in chunked)


@pytest.mark.parametrize("pattern", ["[cap]+", "a _* b", "a ...* b", "(a b{2,})"])
def test_mode_all_with_an_open_repeat_is_refused(pattern):
    # every start is searched to its farthest end: open-ended, that would be quadratic
    with pytest.raises(IEDslError) as info:
        compile_text(f"rule r mode all: {pattern}\n")
    (d,) = info.value.diagnostics
    assert d.code == "E227" and "{0,20}" in d.hint and d.span.start == len("rule ")
    assert compile_text("rule r mode all: a _{0,20} b\n").extract("d", "a x b") != []


def test_a_rule_is_searched_only_where_its_later_words_are_within_reach(searched):
    book = compile_text(
        "rule r: ORG (said | says) (that)? ...{0,2} (oil | wheat)\n",
        {"o.yaml": "type: ORG\nentries: [OPEC]\n"},
    )
    (cr,) = book.program.statements
    assert cr.follow == (
        False,
        frozenset({"ORG"}),
        (
            (0, 0, frozenset({"said", "says"}), frozenset()),
            (1, 4, frozenset({"oil", "wheat"}), frozenset()),
        ),
    )
    # "oil" is five tokens after "said": out of reach, so not searched
    assert book.extract("d", "OPEC said on Monday that its new oil quota holds.") == []
    assert searched == []
    # four tokens after: searched once, and found
    assert len(book.extract("d", "OPEC said that the new oil quota holds.")) == 1
    assert searched == [0]


def test_first_tokens_of_nested_alternatives_look_at_each_part_once(monkeypatch):
    from ie_dsl.engine import ir, prefilter

    node: ir.Node = ir.Tok(ir.TNorm(frozenset({"m"})))
    size = 1
    for _ in range(12):  # (M | M x), nested: each level doubles the tree
        node = ir.Alt((node, ir.Seq((node, ir.Tok(ir.TNorm(frozenset({"x"})))))))
        size = 2 * size + 3
    calls = []
    real = prefilter.first
    monkeypatch.setattr(prefilter, "first", lambda n: calls.append(1) or real(n))
    words, _types, _inside, nullable = prefilter.first(node)
    assert words == frozenset({"m"}) and not nullable
    assert len(calls) <= size  # once per node of the tree (it was three times per level)
