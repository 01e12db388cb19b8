"""Gates (ie_dsl/engine/gates.py): what a branch can take first, and the solved states they save."""

from __future__ import annotations

from ie_dsl.engine.gates import gated
from ie_dsl.engine.opcodes import ANY, JMP, LOOK, MATCH, NORM, SPLIT, TEST
from ie_dsl.engine.vm import Window, search
from ie_dsl.pipeline import compile_text
from ie_dsl.run.runtime import DocView, annotate
from ie_dsl.text.segment import segment


def view_of(book, text: str) -> DocView:
    view = DocView("d", text, segment(text))
    annotate(book.program, view, builtins=False)
    return view


def test_a_gate_holds_every_first_word_of_a_branch_through_nested_choices():
    # (a | b c)? d: the optional branch begins with a choice; the other goes on to d
    code = (
        (SPLIT, 1, 6, False),
        (SPLIT, 2, 4, False),
        (NORM, frozenset({"a"})),
        (JMP, 6),
        (NORM, frozenset({"b"})),
        (NORM, frozenset({"c"})),
        (NORM, frozenset({"d"})),
        (MATCH,),
    )
    out = gated(code)
    words, mask, types, tests, _known, _answers = out[0][4]
    assert {w for w, bit in words.items() if bit & mask} == {"a", "b"}
    words, mask, types, tests, _known, _answers = out[0][5]
    assert {w for w, bit in words.items() if bit & mask} == {"d"}
    assert types == () and tests == ()
    assert out[2:] == code[2:]  # only SPLITs change


def test_no_gate_where_a_branch_may_take_any_token_or_end_the_match():
    always = lambda d, i: True  # noqa: E731
    code = (
        (SPLIT, 1, 3, False),
        (ANY,),
        (JMP, 4),
        (TEST, always),
        (SPLIT, 5, 6, False),
        (NORM, frozenset("x")),
        (MATCH,),
    )
    out = gated(code)
    assert out[0][4] is None  # ANY
    assert out[0][5] is not None and out[0][5][3] == (always,)
    assert out[4][5] is None  # reaches MATCH without a token


def test_a_gap_the_sentence_does_not_use_solves_no_state():
    # every optional part begins with a choice: without gates each was a solved state
    book = compile_text(
        "define PART = (very | quite) (much | little) | (in | on) (fact | truth) | , (well | so) ,\n"
        "rule r: ORG PART? PART? PART? (warned | said)\n",
        {"o.yaml": "type: ORG\nentries: [Acme]\n"},
    )
    (cr,) = book.program.statements
    view = view_of(book, "Acme warned today.")
    w = Window(0, len(view.norms))
    assert search(cr.code, view, w, 0, True, cr.nslots) is not None
    assert w.memo == {}
    view = view_of(book, "Acme , well , in fact said so.")
    w = Window(0, len(view.norms))
    found = search(cr.code, view, w, 0, True, cr.nslots)
    assert found is not None and found[0] == 7


def test_gates_keep_the_matches():
    book = compile_text(
        "rule r: ORG (, [!punct]{1,4} ,)? (also | again)? (warned | said) [lower]{0,2} THREAT\n"
        "entity THREAT: (armed)? (groups | militants)\n",
        {"o.yaml": "type: ORG\nentries: [Acme, NATO]\n"},
    )
    found = book.extract("d", "NATO, the alliance, also warned of armed groups. Acme said militants.")
    assert [st["args"]["threat"]["text"] if "threat" in st["args"] else None for st in found] == [
        "armed groups",
        "militants",
    ]


def looks_of(cr) -> list[tuple]:
    return [ins for ins in cr.code if ins[0] == LOOK]


def test_a_look_around_the_next_token_cannot_begin_is_answered_without_a_walk():
    book = compile_text("rule r: (?<! of | the) ORG warned\n", {"o.yaml": "type: ORG\nentries: [Acme]\n"})
    (cr,) = book.program.statements
    view = view_of(book, "Then Acme warned.")
    w = Window(0, len(view.norms))
    assert search(cr.code, view, w, 1, True, cr.nslots) is not None
    assert w.held == {}  # 'then' begins no body: no walk
    view = view_of(book, "Then the Acme warned.")
    w = Window(0, len(view.norms))
    assert search(cr.code, view, w, 2, True, cr.nslots) is None
    assert list(w.held.values()) == [True]


def test_a_look_behind_of_a_type_sees_the_annotation_ending_there():
    book = compile_text("rule r: (?<= ORG) warned\n", {"o.yaml": "type: ORG\nentries: [Acme Corp]\n"})
    found = book.extract("d", "Acme Corp warned. Corp warned. Acme warned.")
    assert [st["span"]["start"] for st in found] == [10]


def test_options_that_take_no_token_stop_at_the_first_that_holds():
    book = compile_text(
        "rule r: ((?<= [lower]) | (?<= [lower] [lower])) ORG\n",
        {"o.yaml": "type: ORG\nentries: [Acme]\n"},
    )
    (cr,) = book.program.statements
    view = view_of(book, "so he said Acme")
    w = Window(0, len(view.norms))
    assert search(cr.code, view, w, 3, True, cr.nslots) == (4, [3, 4])
    assert len(w.held) == 1  # the second look-behind was not needed


def test_rules_compiled_together_share_a_look_around_body():
    book = compile_text(
        "define FREE = (?<! of | the)\nrule r: FREE ORG warned\nrule q: FREE ORG said\n",
        {"o.yaml": "type: ORG\nentries: [Acme]\n"},
    )
    (r_look,), (q_look,) = (looks_of(cr) for cr in book.program.statements)
    assert r_look[1] is q_look[1]


def test_a_gate_remembers_what_its_tests_answered_per_token_text():
    book = compile_text(
        "rule r: ORG ([/ly$/] | , [!punct]{1,3} ,)? warned\n",
        {"o.yaml": "type: ORG\nentries: [Acme]\n"},
    )
    (cr,) = book.program.statements
    (split,) = [ins for ins in cr.code if ins[0] == SPLIT and ins[4] is not None and ins[4][3]][:1]
    known = split[4][4]
    assert known is not None and known == {}
    found = book.extract("d", "Acme duly warned. Acme warned. Acme , sadly , warned.")
    assert [st["span"]["start"] for st in found] == [0, 18, 31]
    assert known["duly"] is True and known["warned"] is False
    assert all(answer == text.endswith("ly") for text, answer in known.items())


def test_a_look_around_needing_a_word_out_of_its_reach_is_answered_without_a_walk():
    book = compile_text(
        "define DET = the | a\n"
        "rule r: (?<! of DET? [lower]{1,3}) ORG warned\n"
        "rule q: ORG (?= [lower]{0,2} (warned | said))\n",
        {"o.yaml": "type: ORG\nentries: [Acme]\n"},
    )
    r, q = book.program.statements
    # the word needed furthest away is still in reach: the body is walked, and holds
    text = "They spoke of the very big bad Acme warned. Of the very big bad old Acme warned."
    assert [st["span"]["start"] for st in book.extract("d", text) if st["rule"]["name"] == "r"] == [68]
    view = view_of(book, "Then Acme warned.")
    w = Window(0, len(view.norms))
    assert search(r.code, view, w, 1, True, r.nslots) is not None
    assert w.held == {}  # no 'of' in reach before Acme: no walk
    view = view_of(book, "Then Acme very very much warned.")
    w = Window(0, len(view.norms))
    assert search(q.code, view, w, 1, True, q.nslots) is None
    assert w.held == {}  # neither 'warned' nor 'said' in reach after Acme: no walk
    found = book.extract("d", "Acme very much warned. Acme very very much warned. Acme said.")
    assert [st["span"]["start"] for st in found if st["rule"]["name"] == "q"] == [0, 51]


def test_a_rule_beginning_with_a_choice_checks_its_first_token_once_per_start(searched):
    book = compile_text('entity THREAT: (?<= by | of) "IS" | armed (groups | men) | terrorists\n')
    (cr,) = book.program.strata[0]
    assert cr.entry is not None
    view = view_of(book, "This is what IS is: attacks by IS and armed men.")
    assert [(a.start, a.end) for a in view.of_type("THREAT")] == [(8, 9), (10, 12)]
    assert searched == [3, 8, 10]  # "is" (the norm of "IS") is no first token: not searched
