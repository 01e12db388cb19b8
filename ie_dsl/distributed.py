"""Scale-out on Dask (`pip install iedsl[dask]`): the same extraction as `iedsl run`, on a cluster.

Two entry points (docs/scale-out.md):

- `extract_bag(rules, bag)`: a `dask.bag.Bag` of documents -> a Bag of statement dicts;
- `run_job(rules, inputs, out_dir)`: inputs read as partitions by the workers, each partition
  written atomically as `OUT_DIR/part-NNNNN.jsonl`, then `OUT_DIR/manifest.json`. The parts,
  concatenated in name order, are byte for byte what `iedsl run RULES INPUTS --format jsonl`
  prints; a rerun of a failed job redoes only the parts that are not complete.

The compiled rules travel once per worker (`ShippedRules`, scattered with broadcast), not with
every task. Dask is imported inside the functions only: `import ie_dsl` never needs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ie_dsl import __version__, reader
from ie_dsl.checkpoint import fingerprint
from ie_dsl.compiler import Program
from ie_dsl.output import write_atomic  # _mode_for: private, as write_atomic uses it
from ie_dsl.parallel import outcome
from ie_dsl.partitions import PROGRESS, count_newlines, run_part
from ie_dsl.pipeline import RuleBook, compile_rules
from ie_dsl.reader import DEFAULT_MAX_DOC_BYTES, Document, Problem, ProblemSink

if TYPE_CHECKING:
    from dask.bag import Bag
    from distributed import Client

MANIFEST = "manifest.json"

_RECEIVED = 0  # how many ShippedRules this process unpickled (tests check the rules travel once)
_PROGRAMS: dict[str, Program] = {}  # digest -> the program, loaded once per process
_SCATTERED: dict[tuple[int, str], Any] = {}  # (client, digest) -> the Future of the rules sent


class JobError(Exception):
    """A job cannot start or did not complete; the message says why and what to do."""


def _require_dask() -> None:
    try:
        import dask.bag  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the Dask engine needs dask.distributed ({exc}): install iedsl[dask] (pip install 'iedsl[dask]')"
        ) from None


class ShippedRules:
    """A compiled Program as bytes, for the workers: unpickled once per worker process.

    The blob is cloudpickled (the Program holds closures); the wrapper itself is plain data,
    so Dask sends it without its fallback serializers. A worker running another iedsl
    version refuses it, naming both.
    """

    def __init__(self, program: Program):
        import cloudpickle

        self.blob = cloudpickle.dumps(program)
        self.digest = hashlib.sha256(self.blob).hexdigest()
        self.version = __version__

    def __getstate__(self) -> dict[str, Any]:
        return {"blob": self.blob, "digest": self.digest, "version": self.version}

    def __setstate__(self, state: dict[str, Any]) -> None:
        global _RECEIVED
        _RECEIVED += 1
        self.__dict__.update(state)

    def __dask_tokenize__(self) -> str:
        return self.digest  # the same rules scatter to the same key: a second job sends nothing

    def program(self) -> Program:
        """The Program, from this process's cache if it was loaded before."""
        if self.version != __version__:
            raise RuntimeError(
                f"the client runs iedsl {self.version} but this worker has iedsl {__version__}: "
                "install the same iedsl version on every worker"
            )
        if self.digest not in _PROGRAMS:
            _PROGRAMS.clear()  # one rule set at a time is the common case; do not hoard old ones
            _PROGRAMS[self.digest] = pickle.loads(self.blob)
        return _PROGRAMS[self.digest]


# -- the bag API ------------------------------------------------------------------------------


def _as_document(item: Document | dict[str, Any]) -> Document:
    if isinstance(item, Document):
        return item
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or "id" not in item:
        raise ValueError(f"a document must be a reader.Document or a dict with `id` and `text`: {item!r:.80}")
    meta = {k: v for k, v in item.items() if k not in ("id", "text")}
    return Document(str(item["id"]), item["text"], meta, source=str(item["id"]))


def _extract_partition(
    docs: Sequence[Document | dict[str, Any]],
    shipped: ShippedRules,
    budget: float | None,
    default_date: date | None,
    errors: str,
) -> list[dict[str, Any]]:
    program = shipped.program()
    out: list[dict[str, Any]] = []
    for item in docs:
        doc = _as_document(item)
        got = outcome(program, doc, reader.date_of(doc, default_date)[0], budget, streams=False)
        if got.failure is not None and errors == "raise":
            raise RuntimeError(f"document {doc.id!r}: {got.failure[1]}")
        out.extend(got.statements)
    return out


def extract_bag(
    rules: RuleBook | Program,
    docs: Bag,
    *,
    client: Client | None = None,
    budget: float | None = None,
    default_date: date | None = None,
    errors: str = "raise",
) -> Bag:
    """A Bag of documents (reader.Document, or dicts with `id`, `text` and optionally `date`)
    -> a lazy Bag of statement dicts, in document order, the same as RuleBook.extract gives.

    The rules are scattered to every worker of `client` once (default: the current client);
    without a distributed client they travel as one shared graph key. `budget`: seconds per
    document; `default_date`: the date of documents without their own. A document that fails
    raises (`errors="raise"`) or is left out (`errors="skip"`).
    """
    _require_dask()
    import dask
    from distributed import default_client

    if errors not in ("raise", "skip"):
        raise ValueError("errors must be 'raise' or 'skip'")
    shipped = ShippedRules(rules.program if isinstance(rules, RuleBook) else rules)
    if client is None:
        try:
            client = default_client()
        except ValueError:
            client = None
    if client is None:
        ref: Any = dask.delayed(shipped)
    else:
        ref = client.scatter(shipped, broadcast=True, hash=True)
        # The bag refers to the scattered rules by key only: without a reference held here the
        # client may release them while the scheduler still copies them to workers ("lost
        # dependencies"). Kept per client for the session; rules are small.
        _SCATTERED[(id(client), shipped.digest)] = ref
    return docs.map_partitions(_extract_partition, ref, budget, default_date, errors)


# -- the job, on the client -----------------------------------------------------------------------


@dataclass(frozen=True)
class JobOptions:
    """How a job reads and splits its inputs. The fields that change output are fingerprinted.

    encoding_errors, max_doc_bytes, budget (seconds per document, None: none) and doc_date
    (date of documents without one) mean what `iedsl run`'s options mean. A plain JSONL file is
    split into parts of about `blocksize` bytes (at line starts); a .jsonl.gz file is one part;
    text files go `files_per_part` to a part. `retries`: Dask retries of a failed part task.
    `restart`: an OUT_DIR holding another job's output is cleared instead of refused.
    """

    encoding_errors: str = "strict"
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES
    budget: float | None = None
    doc_date: date | None = None
    blocksize: int = 64_000_000
    files_per_part: int = 256
    retries: int = 2
    restart: bool = False


@dataclass(frozen=True)
class JobSummary:
    """What a job did: totals over every part (this run's and earlier runs'), parts written now
    and parts kept from an earlier run, notes (e.g. a `date` that could not be read), seconds."""

    out_dir: Path
    documents: int
    processed: int
    statements: int
    failed: int
    parts_written: int
    parts_skipped: int
    notes: tuple[str, ...]
    seconds: float


def run_job(
    rules: RuleBook | Sequence[str | Path],
    inputs: Sequence[str],
    out_dir: str | Path,
    *,
    scheduler: str | Client | None = None,
    n_workers: int = 2,
    on_problem: ProblemSink | None = None,
    options: JobOptions = JobOptions(),
) -> JobSummary:
    """Run `rules` (a RuleBook, or rule paths to compile) over `inputs` (files, directories,
    globs, as `iedsl run` takes them) on Dask, writing OUT_DIR/part-NNNNN.jsonl and manifest.json.

    `scheduler`: `tcp://HOST:PORT`, a connected distributed.Client, or None to start a
    LocalCluster of `n_workers` processes for this job. `on_problem` hears of every input or
    document that failed (in the order parts complete; the manifest keeps input order). Raises
    JobError if OUT_DIR holds another job's output (unless options.restart) or parts failed
    (the parts done are kept: run the same job again to complete it).
    """
    _require_dask()
    from distributed import as_completed

    started = time.perf_counter()
    book = rules if isinstance(rules, RuleBook) else compile_rules(rules)
    report = on_problem or (lambda _p: None)
    early: list[Problem] = []
    paths = reader.expand_inputs(inputs, early.append)
    if "-" in paths:
        raise JobError("a Dask job cannot read stdin: give the inputs as files every worker can read")
    out, base = Path(out_dir).resolve(), os.getcwd()
    if any(Path(p).resolve().is_relative_to(out) for p in paths):
        raise JobError(f"the output directory {out} is among the inputs: its parts would be read next time")
    settings = {k: v for k, v in dataclasses.asdict(options).items() if k not in ("retries", "restart")}
    settings.update(doc_date=options.doc_date and options.doc_date.isoformat(), base=base, iedsl=__version__)
    fp = fingerprint({p: s.text for p, s in book.sources.items()}, paths, settings)
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out), _connect(scheduler, n_workers) as client:
        manifest = _read_json(out / MANIFEST)
        if manifest is not None and manifest.get("fingerprint") != fp:
            if not options.restart:
                changed = [k for k in fp if (manifest.get("fingerprint") or {}).get(k) != fp[k]]
                raise JobError(
                    f"{out} holds the output of another job (its {', '.join(changed) or 'format'} differ): "
                    "use another directory, or restart to clear it"
                )
            _clear(out)
            manifest = None
        plan = [_spec(p) for p in manifest["parts"]] if manifest else _plan(client, paths, options, base)
        for stray in out.glob(".*.tmp"):  # temp files of tasks that died; their parts are redone
            stray.unlink(missing_ok=True)
        digest = hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()
        done = {
            i: r for i, part in enumerate(plan) if (r := _done(out, part, digest, manifest, i)) is not None
        }
        if manifest is None or len(done) < len(plan):  # the plan is in place before any part is written
            _write_manifest(
                out, fp, [done.get(i, part) for i, part in enumerate(plan)], early, complete=False
            )
        for p in early:
            report(p)
        for record in done.values():
            for p in record["failed"]:
                report(Problem(**p))
        todo = [i for i in range(len(plan)) if i not in done]
        failures: list[str] = []
        if todo:
            rules_blob = ShippedRules(book.program)
            shipped = client.scatter(rules_blob, broadcast=True, hash=True)
            _SCATTERED[(id(client), rules_blob.digest)] = shipped  # see extract_bag
            ctx = dict(settings, out_dir=str(out), digest=digest)
            run = os.urandom(4).hex()
            futures = client.map(
                run_part,
                [plan[i] for i in todo],
                shipped=shipped,
                ctx=ctx,
                retries=options.retries,
                key=[f"iedsl-part-{run}-{i}" for i in todo],
            )
            index = {f.key: i for f, i in zip(futures, todo, strict=True)}
            for future in as_completed(futures):
                if future.status != "finished":
                    exc = future.exception() if future.status == "error" else future.status
                    failures.append(f"{plan[index[future.key]]['name']}: {exc!r}")
                    continue
                record = done[index[future.key]] = future.result()
                for p in record["failed"]:
                    report(Problem(**p))
        if failures:
            raise JobError(
                f"{len(failures)} of {len(plan)} parts failed ({'; '.join(sorted(failures)[:3])}); "
                f"the other parts are kept in {out}: run the same job again to complete it"
            )
        records = [done[i] for i in range(len(plan))]
        _write_manifest(out, fp, records, early, complete=True)
        _clear(out, parts=False)
    return JobSummary(
        out,
        documents=sum(r["documents"] for r in records),
        processed=sum(r["processed"] for r in records),
        statements=sum(r["statements"] for r in records),
        failed=len(early) + sum(len(r["failed"]) for r in records),
        parts_written=len(todo),
        parts_skipped=len(plan) - len(todo),
        notes=tuple(dict.fromkeys(r["note"] for r in records if "note" in r)),
        seconds=time.perf_counter() - started,
    )


_SPEC_KEYS = ("name", "files", "path", "start", "end", "first_line")


def _spec(record: dict[str, Any]) -> dict[str, Any]:
    """A part's plan entry (name and inputs) out of its record."""
    return {k: record[k] for k in _SPEC_KEYS if k in record}


def _plan(client: Client, paths: list[str], options: JobOptions, base: str) -> list[dict[str, Any]]:
    """Parts in input order: text files `files_per_part` at a time, a .jsonl.gz file whole,
    a plain JSONL file in byte ranges of `blocksize` (line numbers counted on the workers)."""
    units: list[dict[str, Any]] = []
    texts: list[str] = []
    for path in paths:
        if not reader._is_jsonl(path):
            texts.append(path)
            if len(texts) == options.files_per_part:
                units.append({"files": texts})
                texts = []
            continue
        if texts:
            units.append({"files": texts})
            texts = []
        try:
            size = os.stat(os.path.join(base, path)).st_size
        except OSError:
            size = 0  # one part: its worker reports the file
        if path.endswith(".gz") or size <= options.blocksize:
            units.append({"path": path, "start": 0, "end": None, "first_line": 1})
            continue
        starts = list(range(0, size, options.blocksize))
        ends = [*starts[1:], None]
        # A line starting at or past o counts 2 + the newlines in [0, o-1): one for line 1, one for itself.
        counts = client.gather(
            client.map(
                count_newlines,
                [os.path.join(base, path)] * len(starts),
                [max(s - 1, 0) for s in starts],
                [(e or size + 1) - 1 for e in ends],
                pure=False,
            )
        )
        seen = 0
        for n, (start, end) in enumerate(zip(starts, ends, strict=True)):
            units.append({"path": path, "start": start, "end": end, "first_line": 1 if n == 0 else 2 + seen})
            seen += counts[n]
    if texts:
        units.append({"files": texts})
    width = max(5, len(str(len(units) - 1)))
    return [{"name": f"part-{n:0{width}d}.jsonl", **unit} for n, unit in enumerate(units)]


def _done(
    out: Path, part: dict[str, Any], digest: str, manifest: dict[str, Any] | None, index: int
) -> dict[str, Any] | None:
    """The record of a part an earlier run completed for this very job, if its file is intact."""
    progress = _read_json(out / PROGRESS / f"{part['name']}.json")
    if progress is not None and progress.get("fingerprint") == digest:
        record = progress.get("part")
    elif manifest is not None:  # the manifest's fingerprint is this job's: its records are too
        record = manifest["parts"][index]
    else:
        return None
    if not isinstance(record, dict) or "bytes" not in record or _spec(record) != part:
        return None
    try:
        return record if (out / part["name"]).stat().st_size == record["bytes"] else None
    except OSError:
        return None


def _write_manifest(
    out: Path, fp: dict[str, Any], parts: list[dict[str, Any]], early: list[Problem], complete: bool
) -> None:
    manifest: dict[str, Any] = {
        "iedsl_manifest": 1,
        "iedsl": __version__,
        "complete": complete,
        "fingerprint": fp,
    }
    if complete:
        for key in ("documents", "processed", "statements"):
            manifest[key] = sum(p[key] for p in parts)
        manifest["failed"] = len(early) + sum(len(p["failed"]) for p in parts)
    manifest["problems"] = [p.record() for p in early]
    manifest["parts"] = parts
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _clear(out: Path, parts: bool = True) -> None:
    """Remove what a job writes (and nothing else): the completion records, and with `parts`
    the parts and the manifest too."""
    for path in out.glob(f"{PROGRESS}/*"):
        path.unlink(missing_ok=True)
    if (out / PROGRESS).is_dir():
        (out / PROGRESS).rmdir()
    for path in [*out.glob("part-*.jsonl"), out / MANIFEST] if parts else []:
        path.unlink(missing_ok=True)


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One job at a time per OUT_DIR (advisory: flock, which some network filesystems ignore)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(out / ".lock", "a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise JobError(f"another iedsl job is writing {out}") from None
        yield


@contextmanager
def _connect(scheduler: str | Client | None, n_workers: int) -> Iterator[Client]:
    """A client: the one given, one connected to `scheduler`, or one on a LocalCluster for this job."""
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is not None:
        with Client(scheduler) as client:
            yield client
    else:
        # ":0": any free port for the scheduler's HTTP server, so two jobs on one machine do not clash
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        with cluster, Client(cluster) as client:
            yield client
