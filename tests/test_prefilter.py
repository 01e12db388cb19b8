"""What a window must hold for a rule to be tried: clauses, and alternatives kept apart."""

from __future__ import annotations

from ie_dsl import compile_rules, ir, prefilter, runtime


def book_of(tmp_path, rules: str, **files: str):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "main.ie").write_text(rules)
    return compile_rules([tmp_path])


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


def test_a_window_with_atoms_of_different_alternatives_is_not_tried(tmp_path, monkeypatch):
    book = book_of(
        tmp_path,
        "rule r: ORG warns | PLACE \"'s\" warning\n",
        **{"o.yaml": "type: ORG\nentries: [Acme]\n", "p.yaml": "type: PLACE\nentries: [Ruritania]\n"},
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
