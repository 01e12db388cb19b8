"""Spark reads `-f parquet` as is (issue 16): a real local Spark session, started here.

Spark runs on the JVM: `make test` installs a Java runtime when it is missing (see the
Makefile's `system` target). The session runs in a child process so that its JVM and its
threads end with the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent

READ = """
import json, sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[1]").appName("iedsl-test")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(sys.argv[1])
rows = df.orderBy("doc", "span_start", "rule_name").collect()
print(json.dumps({
    "schema": [[f.name, f.dataType.simpleString()] for f in df.schema.fields],
    "rows": [[r["doc"], r["type"], r["span_start"], r["span_end"], r["rule_file"], r["rule_line"],
              r["arg_threat_text"], r["arg_threat_start"], r["when_value"]] for r in rows],
}))
spark.stop()
"""


def test_spark_reads_the_parquet_output_with_its_types_and_values(tmp_path: Path) -> None:
    out = tmp_path / "seeds.parquet"
    run = [sys.executable, "-m", "ie_dsl", "run", str(ROOT / "rules"), str(ROOT / "seeds"), "-q"]
    subprocess.run([*run, "-f", "parquet", "-o", str(out)], check=True, cwd=ROOT)
    lines = subprocess.run([*run, "-f", "jsonl"], check=True, capture_output=True, cwd=ROOT).stdout

    done = subprocess.run([sys.executable, "-c", READ, str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])

    # The schema Spark infers is the documented one, column for column (docs/tables.md).
    arrow = pq.read_schema(out)
    assert [name for name, _ in got["schema"]] == arrow.names
    kinds = dict(got["schema"])
    assert kinds["doc"] == "string" and kinds["span_start"] == "bigint" and kinds["rule_line"] == "bigint"
    assert kinds["when_from"] == "date" and kinds["arg_threat_start"] == "bigint"

    # Every statement is a row with the JSONL statement's values.
    statements = [json.loads(line) for line in lines.splitlines()]
    expected = sorted(
        [
            st["doc"], st["type"], st["span"]["start"], st["span"]["end"], st["rule"]["file"],
            st["rule"]["line"], (st["args"].get("threat") or {}).get("text"),
            (st["args"].get("threat") or {}).get("start"), (st.get("when") or {}).get("value"),
        ]
        for st in statements
    )  # fmt: skip
    assert len(statements) > 20
    assert sorted(got["rows"], key=lambda r: [str(x) for x in r]) == sorted(
        expected, key=lambda r: [str(x) for x in r]
    )
