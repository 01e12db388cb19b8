"""`iedsl run --engine dask`: the job on a Dask cluster (ie_dsl.scale.distributed), then, for a
format other than jsonl, the statements file written from its parts.

The parts (`OUT/part-NNNNN.jsonl`) are the job's output in every format: they are what a
rerun completes or reuses. `-f csv` (json, table, parquet, `--corroborate`) adds
`OUT/statements.csv` (`claims.FORMAT`), written from the parts in input order by the sink a
local `iedsl run -f csv -o FILE` uses, so it holds the same bytes.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ie_dsl.claims.corroborate import corroborate
from ie_dsl.cli.common import EXIT_PROBLEMS, EXIT_USAGE, err, load_book
from ie_dsl.cli.corroborate import render_clusters
from ie_dsl.pipeline import RuleBook
from ie_dsl.scale.checkpoint import CheckpointError, Mark
from ie_dsl.scale.output import MemorySink, NotRegularFile, Sink, write_atomic
from ie_dsl.scale.reader import ReadOptions

_SUFFIX = {"table": "txt"}  # file name suffixes that are not the format's name


def statements_file(out: Path, fmt: str, claims: bool) -> Path:
    """Where a job's statements go in `fmt`: OUT/statements.FMT, or OUT/claims.FMT."""
    return out / f"{'claims' if claims else 'statements'}.{_SUFFIX.get(fmt, fmt)}"


def open_sink(book: RuleBook, target: Path, fmt: str, claims: bool) -> Sink:
    """The sink a local run with `-f fmt -o target` (and --corroborate) writes with. Raises
    CheckpointError (e.g. output.FormatUnavailable: parquet without pyarrow)."""
    if claims:
        shown = fmt if fmt in ("jsonl", "json", "table") else "jsonl"
        schema = book.program.schema
        return MemorySink(shown, target, lambda got: render_clusters(corroborate(got, schema=schema), shown))
    return MemorySink(fmt, target, book=book)


def part_statements(out: Path) -> Iterator[dict[str, Any]]:
    """The statements of a complete job, in input order (the manifest's order of parts)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for part in manifest["parts"]:
        with open(out / part["name"], encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


@dataclass(frozen=True)
class DaskRun:
    """What `iedsl run --engine dask` was asked for (checked by cli/run.py)."""

    out: Path
    fmt: str
    claims: bool
    scheduler: str | None
    workers: int  # of the LocalCluster, without a scheduler
    quiet: bool
    errors: Path | None
    read: ReadOptions
    budget: float | None
    doc_date: date | None
    part_size: int | None
    part_docs: int | None
    restart: bool


def dask_job(rules: list[str], inputs: list[str], run: DaskRun) -> int:
    """Run the job, then write the --errors file and the statements file; returns the exit code."""
    book = load_book(rules)
    # As a local run does (cli/runner.py): the rules' objects stay out of the collector's full
    # passes, here and in the workers of the job's own cluster, which are forked from here.
    gc.freeze()
    try:
        return _job(book, inputs, run)
    finally:
        gc.unfreeze()


def _job(book: RuleBook, inputs: list[str], run: DaskRun) -> int:
    from ie_dsl.scale.distributed import JobError, JobOptions, run_job  # Dask loads only when asked for

    target = statements_file(run.out, run.fmt, run.claims)
    sink = None
    if run.fmt != "jsonl" or run.claims:
        try:  # before the job: a format that cannot be written is a usage error, found at once
            run.out.mkdir(parents=True, exist_ok=True)
            sink = open_sink(book, target, run.fmt, run.claims)
        except (CheckpointError, OSError) as exc:
            err(f"error: {exc}")
            return EXIT_USAGE
    options = JobOptions(
        run.read.encoding_errors, run.read.max_doc_bytes, run.budget, run.doc_date,
        part_size=run.part_size, part_docs=run.part_docs, restart=run.restart,
    )  # fmt: skip
    terminal = not run.quiet and sys.stderr is not None and sys.stderr.isatty()
    try:
        summary = run_job(
            book, inputs, run.out, scheduler=run.scheduler, n_workers=run.workers, options=options,
            on_problem=lambda p: err(f"warning: skipped {p.where}: {p.reason}"),
            progress=sys.stderr if terminal else None,
        )  # fmt: skip
    except BaseException as exc:
        if sink is not None:
            sink.abort()
        if isinstance(exc, JobError):
            err(f"error: {exc}")
            return EXIT_USAGE if "another job" in str(exc) or "stdin" in str(exc) else EXIT_PROBLEMS
        if isinstance(exc, (ImportError, OSError)):
            err(f"error: {exc}")
            return EXIT_USAGE
        raise
    if run.errors is not None:  # in input order, from the manifest (parts complete in any order)
        manifest = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))
        found = manifest["problems"] + [f for part in manifest["parts"] for f in part["failed"]]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in found)
        try:
            write_atomic(run.errors, text)
        except NotRegularFile:  # a device or FIFO: written to, as a local run's --errors is
            with open(run.errors, "w", encoding="utf-8") as fh:
                fh.write(text)
    written = ""
    if sink is not None:
        try:
            sink.add(list(part_statements(run.out)), b"", Mark())
            sink.finish()
        except (OSError, ValueError) as exc:
            sink.abort()
            err(f"error: cannot write {target}: {exc}")
            return EXIT_PROBLEMS
        written = f" and {target.name}"
    for note in summary.notes:
        err(f"note: {note}")
    if not run.quiet:
        kept = f" ({summary.parts_skipped} kept from an earlier run)" if summary.parts_skipped else ""
        failed = f"; {summary.failed} failed" if summary.failed else ""
        err(
            f"{summary.statements} statements from {summary.processed} documents in {summary.seconds:.2f} s: "
            f"{summary.parts_written} parts{written} written to {run.out}{kept}{failed}"
        )
    return EXIT_PROBLEMS if summary.failed else 0
