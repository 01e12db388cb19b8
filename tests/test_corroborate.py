"""Claim clusters: hand-made statements with known clusters and contradictions, the CLI, the seeds."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules
from ie_dsl.claims.claimwords import content_words
from ie_dsl.claims.corroborate import Cluster, parse_when
from ie_dsl.claims.corroborate import corroborate as corroborate_with
from ie_dsl.cli import app
from ie_dsl.cli.corroborate import load_statements, render_clusters
from ie_dsl.scale.reader import Document
from ie_dsl.tools.report import build_report

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
CSTO = "Collective Security Treaty Organization"
PACK = compile_rules(["@pack/schema.ie"]).program.schema  # the shipped pack's declarations


def corroborate(statements: Any, **options: Any) -> list[Cluster]:
    """Corroboration as the pack's statements are read: with the pack's declarations."""
    return corroborate_with(statements, schema=PACK, **options)


def arg(
    text: str | None, type_: str | None = None, canonical: str | None = None, **attrs: str
) -> dict | None:
    if text is None:
        return None
    out: dict[str, Any] = {"text": text}
    if type_:
        out["type"] = type_
    if canonical:
        out["canonical"] = canonical
    if attrs:
        out["attrs"] = attrs
    return {**out, "start": 0, "end": len(text)}


def st(
    doc: str,
    threat: str | None,
    *,
    kind: str = "warn",
    org: dict | str | None = None,
    speaker: dict | None = None,
    source: str | None = None,
    target: str | None = None,
    polarity: str = "positive",
    when: str | None = None,
    start: int = 0,
    sentence: str | None = None,
) -> dict[str, Any]:
    """A statement as `iedsl run --format jsonl` writes it (places get a lexicon canonical)."""
    args = {
        "speaker": speaker,
        "organization": arg(org, "ORG", org) if isinstance(org, str) else org,
        "threat": arg(threat, "THREAT"),
        "source": arg(source, "PLACE", source),
        "target": arg(target, "PLACE", target),
    }
    text = sentence or f"{org} warned of {threat} from {source} to {target}."
    out = {
        "doc": doc,
        "type": kind,
        "polarity": polarity,
        "args": {k: v for k, v in args.items() if v},
        "span": {"start": start, "end": start + 10},
        "sentence": {"text": text, "start": start, "end": start + len(text)},
        "rule": {"name": f"{kind}_rule", "file": "rules/x.ie", "line": 3},
    }
    if when:
        out["when"] = when
    return out


def docs_of(cluster: Cluster) -> list[str]:
    return sorted(ev["doc"] for ev in cluster.statements)


def by_doc(clusters: list[Cluster], doc: str) -> Cluster:
    (found,) = [c for c in clusters if any(ev["doc"] == doc for ev in c.statements)]
    return found


# ---- what makes one claim ---------------------------------------------------------------


def test_one_claim_in_three_documents_whatever_the_stance():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO, source="Afghanistan", target="Central Asia"),
            st(
                "b",
                "international extremist and terrorist groups",
                org=CSTO,
                kind="concern",
                source="Afghanistan",
            ),
            st("c", "terrorism", org=CSTO, kind="threat_claim", target="Central Asia"),
            st("c", "the terrorist groups' activities", org=CSTO, start=50),
        ]
    )
    assert len(clusters) == 1
    (c,) = clusters
    assert c.documents == 3 and c.docs == ["a", "b", "c"] and len(c.statements) == 4
    assert c.holder == CSTO and c.holder_kind == "organization"
    assert c.stances == {"concern": 1, "threat_claim": 1, "warn": 2}
    assert c.sources == ["Afghanistan"] and c.targets == ["Central Asia"]
    assert c.threats[0] == "terrorist groups" and c.contradictions == []
    assert re.fullmatch(r"claim-[0-9a-f]{10}", c.id)


def test_light_normalization():
    generic = PACK.claims.generic  # the pack's declared generic words
    assert content_words("Terrorist Groups", generic) == {"terror"}
    assert content_words("terrorist group", generic) == {"terror"}
    assert content_words("Afghanistan’s security situation", generic) == {"afghanistan", "security"}
    assert content_words("terrorism and drug trafficking", generic) == {"terror", "drug", "trafficking"}
    assert content_words("such groups", generic) == content_words("no threat", generic) == frozenset()
    assert content_words("activities of militias", generic) == {"militia"}
    assert content_words("such groups") == {"such", "group"}  # nothing is generic unless declared


@pytest.mark.parametrize(
    "other",
    [
        arg("CSTO", "ORG"),  # an acronym with no lexicon entry = the full name
        arg("CSTO Joint Staff", "ORG", "CSTO Joint Staff", parent=CSTO),  # a body rolls up to its parent
        arg("the Collective Security Treaty Organization", "ORG"),
    ],
)
def test_the_same_holder_under_other_names(other):
    clusters = corroborate([st("a", "terrorist groups", org=CSTO), st("b", "terrorist groups", org=other)])
    assert len(clusters) == 1 and clusters[0].documents == 2 and clusters[0].holder == CSTO


def test_the_speakers_organization_is_the_holder():
    speaker = arg("Andrey Serdyukov", "PERSON", "Andrey Serdyukov", organization=CSTO)
    org_speaker = arg("CSTO", "ORG", CSTO)
    minister = arg("Sergei Lavrov", "PERSON", "Sergei Lavrov", country="Russia")
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO),
            st("b", "terrorist groups", speaker=speaker),
            st("c", "terrorist groups", speaker=org_speaker),
            st("d", "terrorist groups", speaker=minister),
            st("e", "terrorist groups", org="Russia"),
        ]
    )
    assert [(c.holder, c.docs) for c in clusters] == [(CSTO, ["a", "b", "c"]), ("Russia", ["d", "e"])]


def test_a_speaker_without_organization_holds_claims_as_a_person():
    lavrov = arg("Sergei Lavrov", "PERSON")
    clusters = corroborate(
        [st("a", "terrorist groups", speaker=lavrov), st("b", "terrorist groups", speaker=lavrov)]
    )
    assert [(c.holder, c.holder_kind, c.documents) for c in clusters] == [("Sergei Lavrov", "speaker", 2)]


def test_different_holders_never_merge():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO, source="Afghanistan"),
            st("b", "terrorist groups", org="Shanghai Cooperation Organisation", source="Afghanistan"),
            st("c", "terrorist groups", org="Russia", source="Afghanistan"),
        ]
    )
    assert sorted(c.holder for c in clusters) == [CSTO, "Russia", "Shanghai Cooperation Organisation"]
    assert all(c.documents == 1 for c in clusters)


def test_statements_without_holder_stay_apart():
    clusters = corroborate([st("a", "terrorist groups"), st("b", "terrorist groups")])
    assert [(c.holder, c.documents) for c in clusters] == [(None, 1), (None, 1)]


def test_different_threats_never_merge():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO),
            st("b", "drug trafficking", org=CSTO),
            st("c", "such groups", org=CSTO),  # nothing but generic words: links to nothing
            st("d", "the threat", org=CSTO),
        ]
    )
    assert len(clusters) == 4 and all(c.documents == 1 for c in clusters)


def test_a_shared_side_threat_does_not_chain_two_claims():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO),
            st("b", "terrorist activity", org=CSTO),
            st("c", "terrorism and drug trafficking", org=CSTO),
            st("d", "radical ideologies and drug trafficking", org=CSTO),  # shares words with c only
        ]
    )
    assert sorted(docs_of(c) for c in clusters) == [["a", "b", "c"], ["d"]]
    assert (
        len(
            corroborate(
                [st("c", "terrorism and drug trafficking", org=CSTO), st("d", "drug trafficking", org=CSTO)]
            )
        )
        == 1
    )


def test_places_must_agree_and_missing_ones_do_not_chain():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO, source="Afghanistan", target="Central Asia"),
            st("b", "terrorist groups", org=CSTO),  # no places: could join either
            st("c", "terrorist groups", org=CSTO, source="Syria", target="Central Asia"),
            st("d", "terrorist groups", org=CSTO, source="Afghanistan", target="Tajikistan"),
        ]
    )
    assert sorted(docs_of(c) for c in clusters) == [["a", "b"], ["c"], ["d"]]


def test_a_province_matches_its_country():
    kunduz = arg("Kunduz", "PLACE", "Kunduz", kind="province", country="Afghanistan")
    a = st("a", "terrorist groups", org=CSTO, source="Afghanistan")
    b = st("b", "terrorist groups", org=CSTO)
    b["args"]["source"] = kunduz
    assert len(corroborate([a, b])) == 1


# ---- dates ------------------------------------------------------------------------------


def test_parse_when():
    d = lambda s: __import__("datetime").date.fromisoformat(s)  # noqa: E731
    assert parse_when("2024-02-14") == (d("2024-02-14"), d("2024-02-14"))
    assert parse_when("2024-02") == (d("2024-02-01"), d("2024-02-29"))
    assert parse_when("2023-12") == (d("2023-12-01"), d("2023-12-31"))
    assert parse_when("2023") == (d("2023-01-01"), d("2023-12-31"))
    assert parse_when("2021-02-14/2024-02-14") == (d("2021-02-14"), d("2024-02-14"))
    assert parse_when("2024-02-14T10:30:00Z") == (d("2024-02-14"), d("2024-02-14"))
    assert parse_when({"value": "2024-02"}) == (d("2024-02-01"), d("2024-02-29"))
    for bad in (None, "", "Thursday", "2024-13-01", "2024-02-30", "2024/2023", "2024-02-14/x"):
        assert parse_when(bad) is None, bad


def test_the_window_is_respected():
    jan, mar = (
        st("a", "terrorist groups", org=CSTO, when="2024-01-01"),
        st("b", "terror", org=CSTO, when="2024-03-01"),
    )
    assert len(corroborate([jan, mar])) == 2
    assert len(corroborate([jan, mar], window_days=90)) == 1
    assert len(corroborate([jan, mar], window_days=None)) == 1
    undated = st("c", "terrorist groups", org=CSTO)
    assert sorted(docs_of(c) for c in corroborate([jan, undated])) == [["a", "c"]]


def test_the_window_holds_for_every_pair_not_along_a_chain():
    days = ["2024-01-01", "2024-01-20", "2024-02-10"]  # 19 and 21 days apart, 40 end to end
    clusters = corroborate([st(f"d{n}", "terrorist groups", org=CSTO, when=w) for n, w in enumerate(days)])
    assert sorted(len(c.statements) for c in clusters) == [1, 2]
    interval = st("d3", "terrorist groups", org=CSTO, when="2023-01-01/2024-01-10")  # overlaps d0
    merged = by_doc(corroborate([st("d0", "terrorist groups", org=CSTO, when=days[0]), interval]), "d0")
    assert merged.documents == 2 and merged.when == "2023-01-01/2024-01-10"


# ---- contradictions ---------------------------------------------------------------------


def test_opposite_polarity_of_the_same_claim():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO, source="Afghanistan"),
            st("b", "terrorist groups", org=CSTO, source="Afghanistan"),
            st("c", "terrorist groups", org=CSTO, source="Afghanistan", polarity="negative"),
        ]
    )
    (c,) = clusters
    assert c.polarity == "positive" and c.docs == ["a", "b"]
    assert [(x["kind"], x["doc"], x["cluster"]) for x in c.contradictions] == [
        ("opposite_polarity", "c", c.id)
    ]


def test_a_denial_by_anyone_disputes_the_claim():
    taliban = arg("Taliban", "GROUP", "Taliban")
    claims = [
        st("a", "terrorist groups", org=CSTO, source="Afghanistan", target="Central Asia"),
        st("b", "terrorist activity", org=CSTO, source="Afghanistan"),
    ]
    denials = [
        st("c", "terrorist groups", kind="deny", polarity="negative", speaker=taliban, source="Afghanistan"),
        # no source argument, but the sentence names the claim's source
        st(
            "d",
            "terrorist groups",
            kind="deny",
            polarity="negative",
            sentence="Kabul denied terrorist groups in Afghanistan.",
        ),
        # a denial about another place, another threat, or naming no place at all: no dispute
        st("e", "terrorist groups", kind="deny", polarity="negative", source="Syria"),
        st("f", "drug trafficking", kind="deny", polarity="negative", source="Afghanistan"),
        st("g", "terrorist groups", kind="deny", polarity="negative", sentence="They denied it."),
        # "no threat" is about any threat, from the place it names (here only in its sentence)
        st(
            "h",
            "no threat",
            kind="deny",
            polarity="negative",
            sentence="There is no threat from Afghanistan.",
        ),
        st("i", "no threat", kind="deny", polarity="negative", sentence="There is no threat at all."),
    ]
    clusters = corroborate(claims + denials)
    claim = by_doc(clusters, "a")
    assert claim.docs == ["a", "b"]
    assert [(x["kind"], x["doc"]) for x in claim.contradictions] == [("denial", d) for d in "cdh"]
    for x in claim.contradictions:
        assert by_doc(clusters, x["doc"]).id == x["cluster"]
        assert by_doc(clusters, x["doc"]).disputes == [claim.id]
    assert all(by_doc(clusters, d).disputes == [] for d in "efgi")


def test_a_negative_claim_of_another_holder_disputes_the_claim():
    clusters = corroborate(
        [
            st("a", "terrorist groups", org=CSTO, source="Afghanistan"),
            st("b", "terrorist groups", org="Taliban", source="Afghanistan", polarity="negative"),
        ]
    )
    claim, other = by_doc(clusters, "a"), by_doc(clusters, "b")
    assert [(x["kind"], x["cluster"]) for x in claim.contradictions] == [("negative_claim", other.id)]
    assert other.polarity == "negative" and other.disputes == [claim.id]


def test_output_does_not_depend_on_input_order():
    statements = [
        st("a", "terrorist groups", org=CSTO, source="Afghanistan"),
        st("b", "terrorism", org="CSTO", kind="concern"),
        st("c", "drug trafficking", org=CSTO),
        st("d", "terrorist groups", kind="deny", polarity="negative", source="Afghanistan"),
        st("e", "terrorist groups", org="Russia", when="2024-01-01"),
    ]
    expected = render_clusters(corroborate(statements), "jsonl")
    for seed in range(5):
        shuffled = statements[:]
        random.Random(seed).shuffle(shuffled)
        assert render_clusters(corroborate(shuffled), "jsonl") == expected
    assert render_clusters(corroborate(statements + statements[:2]), "jsonl") == expected  # twice is once
    first = json.loads(expected.splitlines()[0])
    assert first["documents"] == 2 and list(first)[:4] == ["id", "family", "holder", "holder_kind"]
    ev = first["statements"][0]
    assert {"doc", "type", "polarity", "holder", "args", "span", "sentence", "rule"} <= set(ev)


def test_other_statement_types_are_clustered_apart_from_stances():
    clusters = corroborate(
        [st("a", "terrorist groups", org=CSTO), st("b", "terrorist groups", org=CSTO, kind="meeting")]
    )
    assert sorted(c.family for c in clusters) == ["claim", "meeting"]


# ---- command line -----------------------------------------------------------------------


def test_cli_jsonl_table_and_min_docs(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = [st("a", "terrorist groups", org=CSTO), st("b", "terrorism", org=CSTO), st("c", "drugs", org=CSTO)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ran = runner.invoke(app, ["corroborate", str(path), "--format", "jsonl"])
    assert ran.exit_code == 0, ran.output
    lines = [json.loads(x) for x in ran.stdout.splitlines()]
    assert [x["documents"] for x in lines] == [2, 1]
    ran = runner.invoke(app, ["corroborate", str(path), "-f", "table", "--min-docs", "2"])
    assert ran.exit_code == 0 and "2 docs" in ran.stdout and "drugs" not in ran.stdout
    assert ran.stdout.rstrip().endswith("1 cluster: 1 from more than one document, 0 with contradictions")
    out = tmp_path / "c.json"
    assert runner.invoke(app, ["corroborate", str(path), "-f", "json", "-o", str(out), "-q"]).exit_code == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 2


@pytest.mark.parametrize("where", ["fifo", "directory", "no-directory"])
def test_cli_refuses_an_output_it_cannot_replace(tmp_path, where):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(st("a", "terrorist groups", org=CSTO)) + "\n", encoding="utf-8")
    target = tmp_path / "target"
    if where == "fifo":
        os.mkfifo(target)
    elif where == "directory":
        target.mkdir()
    else:
        target = tmp_path / "missing" / "c.jsonl"
    ran = runner.invoke(app, ["corroborate", str(path), "-o", str(target)])
    assert ran.exit_code == 2 and "Traceback" not in ran.stderr
    (line,) = ran.stderr.splitlines()
    assert line.startswith(f"error: -o {target}: ")
    if where == "fifo":
        assert "FIFO" in line and stat.S_ISFIFO(os.lstat(target).st_mode)


def test_cli_says_when_the_output_cannot_be_written(tmp_path, monkeypatch):
    import ie_dsl.cli.target as target

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(target, "write_atomic", full)
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(st("a", "terrorist groups", org=CSTO)) + "\n", encoding="utf-8")
    out = tmp_path / "c.jsonl"
    ran = runner.invoke(app, ["corroborate", str(path), "-o", str(out)])
    assert ran.exit_code == 1 and not out.exists() and "Traceback" not in ran.stderr
    assert ran.stderr.strip() == f"error: cannot write {out}: No space left on device; it was not changed"
    monkeypatch.undo()
    ran = runner.invoke(app, ["corroborate", str(path), "-o", "-", "-q"])  # - is stdout
    assert ran.exit_code == 0 and json.loads(ran.stdout)["documents"] == 1


def test_cli_problems_and_usage(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(st("a", "terrorist groups", org=CSTO)) + "\nnot json\n[1]\n", encoding="utf-8")
    ran = runner.invoke(app, ["corroborate", str(path), "-f", "jsonl"])
    assert ran.exit_code == 1 and len(ran.stdout.splitlines()) == 1
    assert (
        f"{path}:2: skipped: not JSON" in ran.stderr and f"{path}:3: skipped: not a statement" in ran.stderr
    )
    assert runner.invoke(app, ["corroborate", str(tmp_path / "missing.jsonl")]).exit_code == 2
    assert runner.invoke(app, ["corroborate", str(path), "-f", "xml"]).exit_code == 2
    assert runner.invoke(app, ["corroborate", str(path), "--window", "-1"]).exit_code == 2
    rows, problems = load_statements(json.dumps([st("a", "x"), {"no": 1}]))
    assert len(rows) == 1 and problems == [(0, "item 1 is not a statement")]


# ---- the seeds --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> tuple[list[Document], list[dict[str, Any]]]:
    book = compile_rules([ROOT / "rules"])
    docs = [
        Document(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for p in sorted(ROOT.glob("seeds/*.txt"))
    ]
    return docs, [s for d in docs for s in book.extract(d.id, d.text)]


def test_seeds_csto_warning_is_one_cluster_disputed_by_the_taliban(seeds):
    _docs, statements = seeds
    clusters = corroborate(statements)
    csto = [
        c
        for c in clusters
        if c.holder
        and re.fullmatch(r"CSTO|Collective Security Treaty Organi[sz]ation", c.holder)
        and "Afghanistan" in c.sources
        and "Central Asia" in c.targets
        and any("terror" in t.lower() and "group" in t.lower() for t in c.threats)
    ]
    assert len(csto) == 1, render_clusters(clusters, "table")
    (claim,) = csto
    assert claim.documents >= 4, render_clusters([claim], "table")
    denials = [x for x in claim.contradictions if x["kind"] == "denial" and x["doc"].startswith("seeds/004_")]
    assert any("denied the presence of terrorist groups" in x["sentence"]["text"] for x in denials)


def test_seeds_report_lists_the_claims_and_links_their_statements(seeds):
    docs, statements = seeds
    book = compile_rules([ROOT / "rules"])
    page = build_report(book, docs, claims=True)
    assert build_report(book, docs).count('id="claims"') == 0
    assert page.count('<section class="claims" id="claims">') == 1 and "Claims across documents" in page
    data = json.loads(re.search(r'id="iedsl-data">(.*?)</script>', page, re.S).group(1))
    clusters = [c for c in corroborate(statements) if c.documents > 1]
    assert [c["id"] for c in data["claims"]] == [c.id for c in clusters]
    # every member and contradiction points at the statement of the page it was made from
    for cluster, shown in zip(clusters, data["claims"], strict=True):
        assert shown["n"] == cluster.documents and len(shown["m"]) == len(cluster.statements)
        pairs = [(ev, at) for ev, at in zip(cluster.statements, shown["m"], strict=True)]
        pairs += [(ev, at) for ev, at in zip(cluster.contradictions, shown["x"], strict=True)]
        for ev, (d, i, *kind) in pairs:
            doc = data["docs"][d]
            assert doc["id"] == ev["doc"] and kind == ([ev["kind"]] if "kind" in ev else [])
            s, e = doc["s"][i]["x"]
            assert doc["t"][s:e] == ev["sentence"]["text"] and doc["s"][i]["t"] == ev["type"]


def test_without_declarations_each_statement_type_is_a_family_and_nothing_is_a_topic():
    rows = [
        st("a", "terrorist groups", org=CSTO),
        st("b", "terrorist groups", org=CSTO, kind="concern"),
    ]
    declared = corroborate(rows)
    assert len(declared) == 1 and declared[0].stances == {"warn": 1, "concern": 1}
    bare = corroborate_with(rows)  # nothing declared: the engine knows no family or topic role
    assert sorted(c.family for c in bare) == ["concern", "warn"]
    assert all(c.threats == [] for c in bare)
