"""What a window must hold for a rule to be tried: clauses, and alternatives kept apart."""

from __future__ import annotations

import pytest

from ie_dsl.engine import ir, prefilter
from ie_dsl.pipeline import compile_text
from ie_dsl.run import runtime


def words(*ws: str) -> ir.Tok:
    return ir.Tok(ir.TNorm(frozenset(ws)))


def test_options_keep_the_alternatives_of_a_choice_apart():
    # ORG warns | PLACE 's warning
    node = ir.Alt(
        (ir.Seq((ir.Ann("ORG"), words("warns"))), ir.Seq((ir.Ann("PLACE"), words("'s"), words("warning"))))
    )
    assert prefilter.clauses(node) == [frozenset({"t:ORG", "t:PLACE"})]
    assert prefilter.options(node) == [
        (frozenset({"t:ORG"}), frozenset({"w:warns"})),
        (frozenset({"t:PLACE"}), frozenset({"w:'s"}), frozenset({"w:warning"})),
    ]


def test_options_of_single_words_merge_and_an_alternative_needing_more_is_dropped():
    node = ir.Alt((words("a"), words("b"), ir.Seq((words("a"), words("c")))))
    assert prefilter.options(node) == [(frozenset({"w:a", "w:b"}),)]
    # an optional part needs nothing, so neither does the choice holding it
    assert prefilter.options(ir.Alt((words("a"), ir.Rep(words("b"), 0, 1, True)))) == [()]


def test_options_past_the_limit_fall_back_to_clauses():
    many = ir.Alt(tuple(ir.Seq((words(f"x{i}"), words(f"y{i}"))) for i in range(prefilter.MAX_OPTIONS + 1)))
    assert prefilter.options(many) == [tuple(prefilter.clauses(many))]


def test_a_window_with_atoms_of_different_alternatives_is_not_tried(monkeypatch):
    book = compile_text(
        'rule r: ORG warns | PLACE "\'s" warning\n',
        {"o.yaml": "type: ORG\nentries: [Acme]\n", "p.yaml": "type: PLACE\nentries: [Ruritania]\n"},
    )
    tried: list[tuple[int, int]] = []
    real = runtime.run_rule

    def counting(cr, view, lo, hi, *rest):
        tried.append((lo, hi))
        return real(cr, view, lo, hi, *rest)

    monkeypatch.setattr(runtime, "run_rule", counting)
    text = "Acme issued a warning. Ruritania warns. Acme warns. Ruritania's warning came."
    found = book.extract("d", text)
    assert [text[st["span"]["start"] : st["span"]["end"]] for st in found] == [
        "Acme warns",
        "Ruritania's warning",
    ]
    assert tried == [(8, 11), (11, 16)]  # the first two sentences hold no alternative whole


def test_chains_list_what_must_begin_in_order_per_alternative():
    org, warns, of = ir.Ann("ORG"), words("warns", "warned"), words("of")
    gap = ir.Rep(ir.Tok(ir.TTrue()), 0, 3, True)
    active = ir.Seq((org, gap, warns, of, ir.Ann("THREAT")))
    passive = ir.Seq((ir.Ann("THREAT"), words("by"), org))
    # each element with how far after the one before it begins (ORG: at the start)
    assert prefilter.chains(active) == (
        (
            (frozenset(), frozenset({"ORG"}), 0, 0),
            (frozenset({"warns", "warned"}), frozenset(), 1, None),  # (an annotation has no bound)
            (frozenset({"of"}), frozenset(), 1, 1),
            (frozenset(), frozenset({"THREAT"}), 1, 1),
        ),
    )
    # what may match nothing is not an element, but its length counts in the distance
    spaced = ir.Seq((words("said"), ir.Rep(words("on"), 0, 1, True), gap, words("talks")))
    assert prefilter.chains(spaced) == (
        ((frozenset({"said"}), frozenset(), 0, 0), (frozenset({"talks"}), frozenset(), 1, 5)),
    )
    assert len(prefilter.chains(ir.Alt((active, passive)))) == 2
    assert prefilter.chains(ir.Alt((active, org))) == ()  # one alternative orders nothing


def test_no_search_starts_after_the_last_place_a_chain_can_begin(searched):
    book = compile_text(
        "rule r: ORG _* warned ...{0,2} of\n",  # (the open gap: no reach from ORG)
        {"o.yaml": "type: ORG\nentries: [Acme, Bolt, Cogs]\n"},
    )
    text = "Acme and Bolt warned of it , Cogs said ."
    assert [st["span"]["start"] for st in book.extract("d", text)] == [0]
    assert searched == [0]  # Cogs comes after the last 'warned': never searched


def test_a_start_is_searched_only_where_its_chain_is_as_close_as_the_rule_says(searched):
    book = compile_text(
        "rule r: ORG _* said on? talks\n",  # (no reach from ORG: the chain alone decides)
        {"o.yaml": "type: ORG\nentries: [Acme, Bolt]\n"},
    )
    found = book.extract("d", "Bolt said on talks . Acme said it had talks .")
    assert [st["span"]["start"] for st in found] == [0]
    # Acme's sentence has said and talks in order, but talks is three tokens after said
    assert searched == [0]


OTHER_SHAPES = tuple(ir.Seq((words(f"x{i}"), words(f"y{i}"))) for i in range(prefilter.MIN_BRANCHES - 2))


def test_branches_give_each_option_of_a_first_choice_its_first_tokens_and_needs():
    new = ir.Seq((words("new", "more"), words("militants")))
    place = ir.Seq((ir.Ann("PLACE"), words("turmoil")))
    got = prefilter.branches(ir.Seq((ir.Alt((new, place, *OTHER_SHAPES)),)))
    assert got[0] == (
        frozenset({"new", "more"}),
        frozenset(),
        frozenset(),
        ((frozenset({"w:new", "w:more"}), frozenset({"w:militants"})),),
    )
    assert got[1][:2] == (frozenset(), frozenset({"PLACE"}))
    assert prefilter.branches(ir.Seq((words("a"), words("b")))) == ()  # no choice first
    assert prefilter.branches(ir.Alt((new, place))) == ()  # too few options to be worth it


def test_a_window_starts_only_where_an_option_it_holds_begins(searched):
    book = compile_text(
        "entity THREAT: (new | more) (militants | fighters) | PLACE (turmoil | unrest)"
        " | x1 y1 | x2 y2 | x3 y3\n",  # (five shapes: see prefilter.MIN_BRANCHES)
        {"p.yaml": "type: PLACE\nentries: [Ruritania]\n"},
    )
    text = "Ruritania saw more rain and new militants. Ruritania turmoil grew with more trade."
    view = runtime.DocView("d", text, runtime.segment(text))
    runtime.annotate(book.program, view, builtins=False)
    assert [(a.start, a.end) for a in view.of_type("THREAT")] == [(5, 7), (8, 10)]
    # first sentence: only the new/more option is held (no turmoil word), so no search from
    # Ruritania; second: only the PLACE option (no militant word), so none from 'more'
    assert searched == [2, 5, 8]


# An entity stage (THREAT), a statement rule and a cue rule (cue statements qualify others,
# are not output).
WARN_WITH_CUE = (
    "entity THREAT: armed groups\n"
    "rule warns: ORG warned of THREAT => warn(org, threat)\n"
    'rule negation mode all group cue: not => cue(polarity="negative")\n'
    "declare cues:\n    type = cue\n"
)


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rules of each stage the matcher runs, in order (runtime._rule_matches
    is wrapped): 1 for the THREAT stage of WARN_WITH_CUE, 2 for its statement stage."""
    ran: list[int] = []
    real = runtime._rule_matches

    def counting(index, view, *rest):
        ran.append(len(index.rules))
        return real(index, view, *rest)

    monkeypatch.setattr(runtime, "_rule_matches", counting)
    return ran


def test_entity_rules_do_not_run_where_no_statement_can_be_made(stages):
    book = compile_text(WARN_WITH_CUE, {"o.yaml": "type: ORG\nentries: [Acme]\n"})
    # no 'warned': no statement can be made (a cue alone is never output), THREAT not sought
    assert book.extract("d", "Acme did not see armed groups.") == []
    assert stages == []
    found = book.extract("d", "Acme warned of armed groups.")
    assert [st["args"]["threat"]["text"] for st in found] == ["armed groups"] and len(stages) == 2
    stages.clear()  # coverage asks for every match, so everything runs
    assert book.extract("d", "Acme did not see armed groups.", overridden=[]) == [] and len(stages) == 2


def test_cue_rules_do_not_run_where_the_entity_rules_made_no_type_a_statement_needs(stages):
    book = compile_text(WARN_WITH_CUE, {"o.yaml": "type: ORG\nentries: [Acme]\n"})
    # 'warned' and an ORG are there, so the entity rules run; they find no THREAT, so no
    # statement can be made and the cue rule ('not') is not looked for
    assert book.extract("d", "Acme warned of rain, not of armed men.") == []
    assert stages == [1]
    found = book.extract("d", "Acme did not say so. Acme warned of armed groups.")
    assert [(st["args"]["threat"]["text"], st["polarity"]) for st in found] == [("armed groups", "positive")]
    assert stages == [1, 1, 2]
    stages.clear()  # coverage asks for every match, so everything runs
    assert book.extract("d", "Acme warned of rain, not of armed men.", overridden=[]) == []
    assert stages == [1, 2]


def test_a_document_where_only_cues_match_makes_no_statement_records(monkeypatch):
    book = compile_text(
        "rule warns: ORG warned => warn(org)\n"
        'rule negation mode all group cue: not => cue(polarity="negative")\n'
        "declare cues:\n    type = cue\n",
        {"o.yaml": "type: ORG\nentries: [Acme]\n"},
    )
    made: list[str] = []
    real = runtime._statement

    def counting(view, cr, *rest):
        made.append(cr.rule.name)
        return real(view, cr, *rest)

    monkeypatch.setattr(runtime, "_statement", counting)
    assert book.extract("d", "Acme did not say it warned.") == []  # 'warned' is there, 'Acme warned' not
    assert made == []
    found = book.extract("d", "Acme warned. It did not.")
    assert [st["type"] for st in found] == ["warn"] and sorted(made) == ["negation", "warns"]


def test_a_document_is_idle_when_no_statement_rule_can_have_its_clauses_there():
    from ie_dsl.engine.stage import idle

    book = compile_text(
        "entity THREAT: (armed | militant) (groups | fighters)\n"
        "rule warn: ORG (warned | warns) of THREAT\n"
        "rule either: ORG denied claims | PLACE rejected claims\n",  # a choice: one alternative whole
        {"o.yaml": "type: ORG\nentries: [Acme]\n", "p.yaml": "type: PLACE\nentries: [Ruritania]\n"},
    )

    def idle_in(text: str) -> bool:
        view = runtime.DocView("d", text, runtime.segment(text))
        runtime.annotate(book.program, view, builtins=False, stating=False)
        return idle(book.program, view)

    assert idle_in("Acme said it might rain .")  # no form of warn
    assert idle_in("Ruritania warned of armed groups .")  # no ORG
    assert not idle_in("Acme warned of armed groups .")
    assert not idle_in("Acme warned of rain .")  # THREAT is taken as present before it runs
    assert idle_in("Acme rejected claims .")  # the second alternative needs a PLACE
    assert not idle_in("Ruritania rejected claims .")
    # before the lexicons are matched, every type is taken as present: only words decide
    from ie_dsl.engine.stage import idle_words

    assert idle_words(book.program, {"acme", "said", "it", "might", "rain", "."})
    assert not idle_words(book.program, {"who", "warned", "of", "what", "."})
    assert not idle_words(book.program, {"they", "rejected", "claims"})
    assert idle_words(book.program, {"they", "rejected", "it"})  # no alternative has claims


def test_a_document_whose_words_rule_every_statement_out_is_not_segmented(monkeypatch):
    book = compile_text(  # (a program with entity rules: see Program.stating)
        "entity THREAT: armed groups\nrule warn: ORG (warned | warns) of (ORG | THREAT)\n",
        {"o.yaml": "type: ORG\nentries: [Acme, Bolt]\n"},
    )
    segmented: list[str] = []
    real = runtime.segment

    def counting(text, *rest):
        segmented.append(text)
        return real(text, *rest)

    monkeypatch.setattr(runtime, "segment", counting)
    assert book.extract("d", "Acme said it would rain. Bolt agreed.") == []
    assert segmented == []  # no form of warn: nothing to look for
    found = book.extract("d", "Acme warned of Bolt.")
    assert [st["type"] for st in found] == ["warn"] and segmented == ["Acme warned of Bolt."]
    # "Inc." may be cut into "Inc" and "." at a sentence's end: both count as its words
    book = compile_text("entity T: t\nrule r: ORG said inc\n", {"o.yaml": "type: ORG\nentries: [Acme]\n"})
    assert [st["type"] for st in book.extract("d", "Acme said Inc.")] == ["r"]
