"""The spaCy component (docs/spacy.md), on spacy.blank("en"): no model is downloaded."""

from __future__ import annotations

import pickle
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from ie_dsl import IEDslError, compile_rules
from ie_dsl.resources import data_dir
from ie_dsl.tools.spacy_component import IedslComponent

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
ROLES = ["speaker", "organization", "threat", "source", "target"]


@pytest.fixture(scope="module")
def nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("iedsl", config={"rules": ["@pack"]})
    return nlp


def _spans(doc: Doc) -> dict[str, list[tuple[int, int, str, str]]]:
    return {key: [(s.start, s.end, s.label_, s.id_) for s in group] for key, group in doc.spans.items()}


def test_the_factory_is_registered_by_the_entry_point():
    (point,) = [p for p in entry_points(group="spacy_factories") if p.name == "iedsl"]
    assert point.value == "ie_dsl.tools.spacy_component:create_component"
    # a fresh interpreter that never imports ie_dsl itself: spaCy finds the factory
    code = (
        "import spacy; nlp = spacy.blank('en'); nlp.add_pipe('iedsl'); "
        "doc = nlp('The CSTO warned of terrorist groups from Afghanistan.'); "
        "print(doc._.statements[0]['type'], doc.spans['iedsl_source'][0].text)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["warn", "Afghanistan"]


def test_statements_are_what_the_rules_find(nlp):
    book = compile_rules([data_dir("rules")])
    for text in SEEDS:
        doc = nlp(text)
        assert doc._.statements == book.extract("", text)
        assert doc._.statements, "every seed has statements"


def test_argument_spans_are_aligned_and_point_at_their_statement(nlp):
    doc = nlp(SEEDS[0])
    statements = doc._.statements
    assert sorted(doc.spans) == ["iedsl"] + sorted(f"iedsl_{r}" for r in ROLES)
    whole = doc.spans["iedsl"]
    assert [s.label_ for s in whole] == [st["type"] for st in statements]
    assert [int(s.id_) for s in whole] == list(range(len(statements)))
    found = 0
    for role in ROLES:
        for span in doc.spans[f"iedsl_{role}"]:
            arg = statements[int(span.id_)]["args"][role]
            assert span.label_ == arg.get("type", role)
            assert span.start_char <= arg["start"] and arg["end"] <= span.end_char
            if doc.char_span(arg["start"], arg["end"]) is not None:  # on token boundaries
                assert span.text == arg["text"]
            found += 1
    assert found == sum(len(st["args"]) for st in statements)


def test_an_offset_inside_a_token_widens_the_span_to_the_token(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "orgs.yaml").write_text("type: ORG\nentries: [CSTO]\n")
    (rules / "main.ie").write_text("rule named: org:ORG\n")
    nlp = spacy.blank("en")
    nlp.tokenizer.add_special_case("CSTO-led", [{ORTH: "CSTO-led"}])  # one spaCy token
    nlp.add_pipe("iedsl", config={"rules": [str(rules)]})
    doc = nlp("A CSTO-led force.")
    (st,) = doc._.statements
    assert (st["args"]["org"]["start"], st["args"]["org"]["end"]) == (2, 6)
    (span,) = doc.spans["iedsl_org"]
    assert (span.text, span.label_) == ("CSTO-led", "ORG")


def test_statements_survive_worker_processes_and_docbin(nlp):
    one = list(nlp.pipe(SEEDS))
    two = list(nlp.pipe(SEEDS, n_process=2, batch_size=1))
    assert [d._.statements for d in two] == [d._.statements for d in one]
    assert [_spans(d) for d in two] == [_spans(d) for d in one]
    back = list(DocBin(docs=one, store_user_data=True).get_docs(nlp.vocab))
    assert [d._.statements for d in back] == [d._.statements for d in one]  # lists, not tuples
    back[0]._.statements.clear()
    assert back[0]._.statements == []  # the same list on every access


def test_document_id_and_date_from_user_data(nlp):
    doc = nlp.make_doc("The CSTO warned on Thursday of terrorist groups from Afghanistan.")
    doc.user_data.update({"doc_id": "wire-42", "doc_date": "2024-02-15"})
    (st,) = nlp(doc)._.statements
    assert st["doc"] == "wire-42"
    assert (st["when"]["value"], st["when"]["text"]) == ("2024-02-15", "Thursday")


def test_the_component_pickles_and_saves_as_its_settings(nlp, tmp_path):
    component = nlp.get_pipe("iedsl")
    copy = pickle.loads(pickle.dumps(component))
    assert isinstance(copy, IedslComponent) and copy.rules == ["@pack"]
    assert copy(nlp.make_doc(SEEDS[1]))._.statements == nlp(SEEDS[1])._.statements
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded(SEEDS[1])._.statements == nlp(SEEDS[1])._.statements


def test_other_rules_and_bad_rules(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "orgs.yaml").write_text("type: ORG\nentries: [CSTO]\n")
    (rules / "main.ie").write_text("rule warned: org:ORG ~warn\n")
    nlp = spacy.blank("en")
    nlp.add_pipe("iedsl", config={"rules": [str(rules)], "spans_key": "ie"})
    doc = nlp("The CSTO warned.")
    assert [st["type"] for st in doc._.statements] == ["warned"]
    assert sorted(doc.spans) == ["ie", "ie_org"] and doc.spans["ie_org"][0].text == "CSTO"
    (rules / "main.ie").write_text("rule broken: org:NOPE\n")
    with pytest.raises(IEDslError):
        spacy.blank("en").add_pipe("iedsl", config={"rules": [str(rules)]})
