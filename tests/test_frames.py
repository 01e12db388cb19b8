"""Statements as a flat table: `-f parquet`, `-f csv` and `ie_dsl.to_frame` (docs/tables.md)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ie_dsl import compile_rules, to_frame
from ie_dsl.cli import app
from ie_dsl.scale import frames, output

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

STATEMENT_COLUMNS = [
    ("doc", "VARCHAR"),
    ("type", "VARCHAR"),
    ("polarity", "VARCHAR"),
    ("modality", "VARCHAR"),
    ("span_start", "BIGINT"),
    ("span_end", "BIGINT"),
    ("sentence_text", "VARCHAR"),
    ("sentence_start", "BIGINT"),
    ("sentence_end", "BIGINT"),
    ("when_value", "VARCHAR"),
    ("when_from", "DATE"),
    ("when_until", "DATE"),
    ("when_grain", "VARCHAR"),
    ("when_text", "VARCHAR"),
    ("when_start", "BIGINT"),
    ("when_end", "BIGINT"),
    ("rule_name", "VARCHAR"),
    ("rule_file", "VARCHAR"),
    ("rule_line", "BIGINT"),
]
ARG_COLUMNS = [
    ("text", "VARCHAR"),
    ("canonical", "VARCHAR"),
    ("type", "VARCHAR"),
    ("start", "BIGINT"),
    ("end", "BIGINT"),
    ("value", "VARCHAR"),
    ("attrs", "VARCHAR"),
]
PACK_ROLES = ["speaker", "organization", "threat", "source", "target"]


def _run(*args: str) -> Any:
    result = runner.invoke(app, ["run", *args, "-q"])
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    """The seeds' statements as JSONL gives them, and the same run as Parquet. --doc-date
    gives relative dates a value, so that some statements have a `when`."""
    out = tmp_path_factory.mktemp("frames") / "seeds.parquet"
    base = [str(ROOT / "rules"), str(ROOT / "seeds"), "--doc-date", "2024-02-15"]
    lines = _run(*base, "-f", "jsonl").stdout.splitlines()
    _run(*base, "-f", "parquet", "-o", str(out))
    return [json.loads(line) for line in lines], out


def test_duckdb_reads_the_documented_schema(seeds):
    statements, path = seeds
    described = duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()
    expected = STATEMENT_COLUMNS + [(f"arg_{r}_{p}", t) for r in PACK_ROLES for p, t in ARG_COLUMNS]
    assert [(name, kind) for name, kind, *_ in described] == expected
    assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall() == [(len(statements),)]


def _expected_row(st: dict[str, Any]) -> dict[str, Any]:
    """What the table should hold for one JSONL statement, column by column."""
    when = st.get("when") or {}
    row = {
        "doc": st["doc"],
        "type": st["type"],
        "polarity": st["polarity"],
        "modality": st["modality"],
        "span_start": st["span"]["start"],
        "span_end": st["span"]["end"],
        "sentence_text": st["sentence"]["text"],
        "sentence_start": st["sentence"]["start"],
        "sentence_end": st["sentence"]["end"],
        "when_value": when.get("value"),
        "when_grain": when.get("grain"),
        "when_text": when.get("text"),
        "when_start": when.get("start"),
        "when_end": when.get("end"),
        "rule_name": st["rule"]["name"],
        "rule_file": st["rule"]["file"],
        "rule_line": st["rule"]["line"],
    }
    for role in PACK_ROLES:
        arg = st["args"].get(role) or {}
        for part in ("text", "canonical", "type", "start", "end"):
            row[f"arg_{role}_{part}"] = arg.get(part)
        row[f"arg_{role}_attrs"] = arg.get("attrs")
    return row


def test_duckdb_values_are_the_jsonl_statements(seeds):
    statements, path = seeds
    relation = duckdb.sql(f"SELECT * FROM '{path}'")
    rows = [dict(zip(relation.columns, values, strict=True)) for values in relation.fetchall()]
    assert len(rows) == len(statements) > 20
    for row, st in zip(rows, statements, strict=True):
        expected = _expected_row(st)
        for role in PACK_ROLES:  # attrs are a JSON object in a string
            attrs = row[f"arg_{role}_attrs"]
            row[f"arg_{role}_attrs"] = json.loads(attrs) if attrs is not None else None
        assert {k: row[k] for k in expected} == expected
    dated = [row for row in rows if row["when_value"]]
    assert dated, "the seeds with --doc-date have dated statements"
    for row in dated:
        assert row["when_from"] < row["when_until"]
    # a SQL user filters and groups without unnesting anything
    per_type = duckdb.sql(
        f"SELECT type, count(*) FROM '{path}' WHERE arg_threat_text IS NOT NULL GROUP BY type ORDER BY type"
    ).fetchall()
    counts: dict[str, int] = {}
    for st in statements:
        if "threat" in st["args"]:
            counts[st["type"]] = counts.get(st["type"], 0) + 1
    assert per_type == sorted(counts.items())


def test_a_day_is_a_half_open_interval_of_dates(seeds):
    _statements, path = seeds
    rows = duckdb.sql(
        f"SELECT when_value, when_from, when_until FROM '{path}' WHERE when_text = 'Thursday' LIMIT 1"
    ).fetchall()
    assert rows == [("2024-02-15", date(2024, 2, 15), date(2024, 2, 16))]


def test_pandas_reads_the_file_and_to_frame_is_the_same_table(seeds):
    statements, path = seeds
    frame = to_frame(statements, rules=compile_rules([ROOT / "rules"]))  # the pack's role order
    assert list(frame.columns) == [name for name, _ in STATEMENT_COLUMNS] + [
        f"arg_{r}_{p}" for r in PACK_ROLES for p, _ in ARG_COLUMNS
    ]
    assert str(frame["span_start"].dtype) == "Int64" and str(frame["doc"].dtype) == "string"
    assert frame["doc"].tolist() == [st["doc"] for st in statements]
    assert frame["arg_speaker_canonical"].isna().tolist() == [
        "canonical" not in st["args"].get("speaker", {}) for st in statements
    ]
    pd.testing.assert_frame_equal(frame, pd.read_parquet(path, dtype_backend="numpy_nullable"))
    plain = pd.read_parquet(path)  # numpy dtypes: also readable as is
    assert plain["type"].tolist() == [st["type"] for st in statements]


def test_the_parquet_schema_uses_only_types_spark_reads(seeds):
    _statements, path = seeds
    schema = pq.read_schema(path)
    assert {str(field.type) for field in schema} == {"string", "int64", "date32[day]"}
    # Spark refuses these characters in Parquet column names
    assert not [f.name for f in schema if set(f.name) & set(" ,;{}()\n\t=")]
    physical = pq.ParquetFile(path).schema
    assert {physical.column(i).physical_type for i in range(len(schema))} == {"BYTE_ARRAY", "INT64", "INT32"}


def _two_news(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "orgs.yaml").write_text(
        "type: ORG\nentries:\n  - name: Collective Security Treaty Organization\n"
        "    aliases: [CSTO]\n    attrs: {kind: alliance}\n"
    )
    (rules / "main.ie").write_text('rule warned: org:ORG ~warn => warned(org, source_kind="wire")\n')
    for outlet in ("a", "b"):
        (tmp_path / outlet).mkdir()
        (tmp_path / outlet / "news.txt").write_text("The CSTO warned again.")
    return rules, tmp_path


def test_csv_has_the_same_columns_and_the_full_document_id(tmp_path, monkeypatch):
    rules, base = _two_news(tmp_path)
    monkeypatch.chdir(base)
    text = _run(str(rules), "a", "b", "-f", "csv").stdout
    table = list(csv.reader(io.StringIO(text)))
    _run(str(rules), "a", "b", "-f", "parquet", "-o", "out.parquet")
    parquet = pq.read_table("out.parquet")
    assert table[0] == parquet.column_names
    assert table[0][-8:] == ["field_source_kind"] + [f"arg_org_{p}" for p, _ in ARG_COLUMNS]
    docs = [row[0] for row in table[1:]]
    assert docs == ["a/news.txt", "b/news.txt"] == parquet.column("doc").to_pylist()
    as_text = [["" if v is None else str(v) for v in row.values()] for row in parquet.to_pylist()]
    assert table[1:] == as_text
    row = dict(zip(table[0], table[1], strict=True))
    assert row["field_source_kind"] == "wire" and json.loads(row["arg_org_attrs"]) == {"kind": "alliance"}
    assert row["arg_org_canonical"] == "Collective Security Treaty Organization"


def test_the_columns_come_from_the_rules_whatever_the_documents(tmp_path, monkeypatch):
    """A run that finds nothing has the same schema as one that finds something; roles named
    like statement columns (`when`, `sentence`) get their own columns."""
    rules, base = _two_news(tmp_path)
    (rules / "main.ie").write_text(
        "rule warned: org:ORG ~warn => warned(when=org, sentence=org, note=\"x\")\n"
    )
    (base / "c").mkdir()
    (base / "c" / "quiet.txt").write_text("Nothing here.")
    monkeypatch.chdir(base)
    _run(str(rules), "c", "-f", "parquet", "-o", "none.parquet")
    _run(str(rules), "a", "-f", "parquet", "-o", "one.parquet")
    none, one = pq.read_table("none.parquet"), pq.read_table("one.parquet")
    assert none.num_rows == 0 and one.num_rows == 1
    assert none.schema == one.schema
    assert "arg_when_text" in one.column_names and "arg_sentence_start" in one.column_names
    got = one.to_pylist()[0]
    assert (got["arg_when_text"], got["field_note"]) == ("CSTO", "x")
    assert got["sentence_text"] == "The CSTO warned again."
    assert got["when_value"] is None


def test_to_frame_with_the_rules_has_their_columns(tmp_path):
    rules, _ = _two_news(tmp_path)
    book = compile_rules([rules])
    empty = to_frame([], rules=book)
    assert len(empty) == 0
    assert [c for c in empty.columns if c.startswith(("arg_", "field_"))] == ["field_source_kind"] + [
        f"arg_org_{p}" for p, _ in ARG_COLUMNS
    ]
    found = book.extract("x", "The CSTO warned.")
    assert to_frame(found, rules=book)["arg_org_text"].tolist() == ["CSTO"]
    # without the rules: the roles the statements have, and no others
    columns = [c for c in to_frame(found).columns if c.endswith("_text")]
    assert columns == ["sentence_text", "when_text", "arg_org_text"]


def test_a_number_value_and_odd_statements(tmp_path):
    rows = to_frame(
        [
            {"doc": "d", "type": "t", "args": {"n": {"text": "6,500", "type": "NUMBER", "value": 6500,
                                                      "start": 0, "end": 5}}},  # fmt: skip
            {"doc": "e", "type": "t", "args": {}, "when": {"value": "not a date"}},
        ]
    )
    assert rows["arg_n_value"].tolist()[0] == "6500" and rows["arg_n_start"].tolist()[0] == 0
    assert rows["when_from"].isna().all() and rows["polarity"].isna().all()


def test_without_pyarrow_parquet_is_a_one_line_usage_error(tmp_path, monkeypatch):
    rules, base = _two_news(tmp_path)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"old")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = runner.invoke(app, ["run", str(rules), str(base / "a"), "-f", "parquet", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: -f parquet: Parquet and DataFrames need pyarrow: pip install 'iedsl[arrow]'"
    ]
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "a", "b", "out.parquet", "rules"
    ]  # fmt: skip
    with pytest.raises(frames.MissingArrow, match=r"pip install 'iedsl\[arrow\]'"):
        to_frame([])
    # the text formats need no pyarrow
    assert runner.invoke(app, ["run", str(rules), str(base / "a"), "-f", "csv"]).exit_code == 0


def test_parquet_is_refused_on_a_terminal_and_written_to_a_pipe(tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(output.FormatUnavailable, match="give -o FILE"):
        output.MemorySink("parquet", None)
    monkeypatch.undo()
    rules, base = _two_news(tmp_path)
    result = runner.invoke(app, ["run", str(rules), str(base / "a"), "-f", "parquet", "-q"])
    assert result.exit_code == 0
    docs = pq.read_table(io.BytesIO(result.stdout_bytes)).column("doc").to_pylist()
    assert docs == [str(base / "a" / "news.txt")]


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    rules, base = _two_news(tmp_path)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"old")

    def broken(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(frames, "write_parquet", broken)
    result = runner.invoke(app, ["run", str(rules), str(base / "a"), "-f", "parquet", "-o", str(out)])
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "out.parquet", "rules"]


@pytest.mark.parametrize(
    "value, bounds",
    [
        ("2024-02-15", (date(2024, 2, 15), date(2024, 2, 16))),
        ("2023-12", (date(2023, 12, 1), date(2024, 1, 1))),
        ("2023", (date(2023, 1, 1), date(2024, 1, 1))),
        ("2024-02-05/2024-02-12", (date(2024, 2, 5), date(2024, 2, 12))),
        ("2024-13", None),
        ("2024-02-12/2024-02-05", None),
        ("", None),
        (None, None),
    ],
)
def test_when_bounds(value, bounds):
    assert frames.when_bounds(value) == bounds


def test_docs_tables_md_lists_every_column():
    text = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_<>]+)`", text))
    for name, _kind in frames.COLUMNS:
        assert name in documented, name
    for part, _kind in frames.ARG_PARTS:
        assert f"arg_<role>_{part}" in documented, part
    assert "field_<name>" in documented
