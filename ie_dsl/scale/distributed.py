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
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ie_dsl import __version__
from ie_dsl.engine.compiler import Program
from ie_dsl.pipeline import RuleBook, compile_rules
from ie_dsl.scale import reader
from ie_dsl.scale.checkpoint import fingerprint
from ie_dsl.scale.output import FORMATS, write_atomic
from ie_dsl.scale.parallel import outcome
from ie_dsl.scale.partitions import PROGRESS, ShippedRules, Split, auto_size, input_bytes, plan, run_part
from ie_dsl.scale.reader import DEFAULT_MAX_DOC_BYTES, Document, Problem, ProblemSink

if TYPE_CHECKING:
    from dask.bag import Bag
    from distributed import Client

MANIFEST = "manifest.json"
SKIPPED = "iedsl-skipped"  # the worker event topic of documents extract_bag(errors="skip") left out

_log = logging.getLogger(__name__)
_METHOD = "distributed.worker.multiprocessing-method"
_FORKS = sys.platform.startswith("linux")  # a job's own LocalCluster forks its workers (_connect)
# A job's own cluster has no dashboard to feed: Dask's statistical profiler (which samples the
# matcher's deep stacks every 10 ms), the 20 ms event-loop tick, the 0.5 s system monitor and
# the 0.1 s memory monitor are off or slowed down. Idle, the client and two workers then use
# 0.11 s of CPU in 10 s instead of 0.61 s, and a worker's matching thread is interrupted less.
_QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
}

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


# -- the bag API ------------------------------------------------------------------------------


def _as_document(item: Document | dict[str, Any]) -> Document:
    if isinstance(item, Document):
        return item
    if not isinstance(item, dict) or "id" not in item:
        raise ValueError(f"a document must be a reader.Document or a dict with `id` and `text`: {item!r:.80}")
    if not isinstance(item.get("text"), str):
        raise ValueError(
            f"document {item['id']!r} has no `text` string: a dict with `id` and `text` is needed"
        )
    meta = {k: v for k, v in item.items() if k not in ("id", "text")}
    return Document(str(item["id"]), item["text"], meta, source=str(item["id"]))


def _skipped(item: Any, kind: str, reason: str) -> None:
    """Report a document extract_bag(errors="skip") leaves out: in the worker's log, and as an
    event the client can read (`client.get_events(SKIPPED)`)."""
    doc = item.id if isinstance(item, Document) else item.get("id") if isinstance(item, dict) else None
    record = {"doc": None if doc is None else str(doc), "kind": kind, "reason": reason}
    _log.warning("iedsl skipped document %r: %s", record["doc"], reason)
    try:
        from distributed import get_worker

        get_worker().log_event(SKIPPED, record)
    except (ImportError, ValueError):  # not on a distributed worker (a local Dask scheduler)
        pass


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
        try:
            doc = _as_document(item)
        except ValueError as exc:
            if errors == "raise":
                raise
            _skipped(item, "document", str(exc))
            continue
        got = outcome(program, doc, reader.date_of(doc, default_date)[0], budget, streams=False)
        if got.failure is not None:
            if errors == "raise":
                raise RuntimeError(f"document {doc.id!r}: {got.failure[1]}")
            _skipped(doc, *got.failure)
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
    raises (`errors="raise"`) or is left out (`errors="skip"`); so is a record that is no
    document (no `id`, no `text`). What is left out is logged on the worker and logged as an
    event of topic SKIPPED ({"doc", "kind", "reason"}): `client.get_events(SKIPPED)`.
    """
    _require_dask()
    import dask
    from distributed import default_client

    if errors not in ("raise", "skip"):
        raise ValueError("errors must be 'raise' or 'skip'")
    shipped = ShippedRules(rules)
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
    (date of documents without one) mean what `iedsl run`'s options mean.

    Splitting (docs/scale-out.md): `part_docs` lines (documents) of a JSONL file, or text
    files, per part; else parts of about `part_size` bytes (of JSONL, uncompressed; of text
    files, at most 256 of them). Neither: the inputs' size is cut into four parts per worker
    thread, of at most 64 MB. A JSONL file is never joined to another in a part.
    `retries`: Dask retries of a failed part task. `restart`: an OUT_DIR holding another
    job's output is cleared instead of refused.
    """

    encoding_errors: str = "strict"
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES
    budget: float | None = None
    doc_date: date | None = None
    part_size: int | None = None
    part_docs: int | None = None
    retries: int = 2
    restart: bool = False

    def __post_init__(self) -> None:
        if self.part_size is not None and self.part_docs is not None:
            raise ValueError("give part_size or part_docs, not both")
        if any(n is not None and n < 1 for n in (self.part_size, self.part_docs)):
            raise ValueError("part_size and part_docs must be at least 1")


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
    progress: IO[str] | None = None,
) -> JobSummary:
    """Run `rules` (a RuleBook, or rule paths to compile) over `inputs` (files, directories,
    globs, as `iedsl run` takes them) on Dask, writing OUT_DIR/part-NNNNN.jsonl and manifest.json.

    `scheduler`: `tcp://HOST:PORT`, a connected distributed.Client, or None to start a
    LocalCluster of `n_workers` processes for this job. `on_problem` hears of every input or
    document that failed (in the order parts complete; the manifest keeps input order). Raises
    JobError if OUT_DIR holds another job's output (unless options.restart) or parts failed
    (the parts done are kept: run the same job again to complete it). `progress`: a stream
    (a terminal) on which a progress bar of the parts is drawn (tqdm), None for none.
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
    # Made before the cluster starts: the workers of the job's own cluster, forked after it,
    # have the compiled rules, and nothing needs to be pickled for them.
    rules_blob = ShippedRules(book, inherited=scheduler is None and _FORKS)
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
        if manifest:
            parts = [_spec(p) for p in manifest["parts"]]
        else:
            parts = plan(client, paths, _split(client, paths, options, base, n_workers, scheduler), base)
        for stray in out.glob(".*.tmp"):  # temp files of tasks that died; their parts are redone
            stray.unlink(missing_ok=True)
        digest = hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()
        done = {
            i: r for i, part in enumerate(parts) if (r := _done(out, part, digest, manifest, i)) is not None
        }
        if manifest is None or len(done) < len(parts):  # the plan is in place before any part is written
            _write_manifest(
                out, fp, [done.get(i, part) for i, part in enumerate(parts)], early, complete=False
            )
        for p in early:
            report(p)
        for record in done.values():
            for p in record["failed"]:
                report(Problem(**p))
        todo = [i for i in range(len(parts)) if i not in done]
        failures: list[str] = []
        if todo:
            shipped = client.scatter(rules_blob, broadcast=True, hash=True)
            if scheduler is not None:  # a client that outlives the job: see extract_bag
                _SCATTERED[(id(client), rules_blob.digest)] = shipped
            ctx = dict(settings, out_dir=str(out), digest=digest)
            run = os.urandom(4).hex()
            futures = client.map(
                run_part,
                [parts[i] for i in todo],
                shipped=shipped,
                ctx=ctx,
                retries=options.retries,
                key=[f"iedsl-part-{run}-{i}" for i in todo],
            )
            index = {f.key: i for f, i in zip(futures, todo, strict=True)}
            with _progress_bar(progress, len(parts), len(done)) as bar:
                for future in as_completed(futures):
                    bar.update()
                    if future.status != "finished":
                        exc = future.exception() if future.status == "error" else future.status
                        failures.append(f"{parts[index[future.key]]['name']}: {exc!r}")
                        continue
                    record = done[index[future.key]] = future.result()
                    for p in record["failed"]:
                        report(Problem(**p))
        if failures:
            raise JobError(
                f"{len(failures)} of {len(parts)} parts failed ({'; '.join(sorted(failures)[:3])}); "
                f"the other parts are kept in {out}: run the same job again to complete it"
            )
        records = [done[i] for i in range(len(parts))]
        _write_manifest(out, fp, records, early, complete=True)
        _clear(out, parts=False)
    return JobSummary(
        out,
        documents=sum(r["documents"] for r in records),
        processed=sum(r["processed"] for r in records),
        statements=sum(r["statements"] for r in records),
        failed=len(early) + sum(len(r["failed"]) for r in records),
        parts_written=len(todo),
        parts_skipped=len(parts) - len(todo),
        notes=tuple(dict.fromkeys(r["note"] for r in records if "note" in r)),
        seconds=time.perf_counter() - started,
    )


_SPEC_KEYS = ("name", "files", "path", "start", "end", "first_line")


def _spec(record: dict[str, Any]) -> dict[str, Any]:
    """A part's plan entry (name and inputs) out of its record."""
    return {k: record[k] for k in _SPEC_KEYS if k in record}


def _split(
    client: Client, paths: list[str], options: JobOptions, base: str, n_workers: int, scheduler: Any
) -> Split:
    """How this job's inputs are cut: as the options say, else by the inputs' size and the
    worker threads of the cluster (the LocalCluster's `n_workers` if the job started it)."""
    if options.part_docs is not None:
        return Split(size=1, docs=options.part_docs)
    if options.part_size is not None:
        return Split(size=options.part_size)
    workers = n_workers if scheduler is None else sum(client.nthreads().values())
    total = sum(input_bytes(os.path.join(base, p)) for p in paths)
    return Split(size=auto_size(total, workers))


@contextmanager
def _progress_bar(stream: IO[str] | None, total: int, done: int) -> Iterator[Any]:
    """A tqdm bar of parts on `stream` (nothing without one)."""
    if stream is None:
        yield _NoBar()
        return
    from tqdm import tqdm

    with tqdm(total=total, initial=done, unit="part", desc="iedsl", file=stream, leave=False) as bar:
        yield bar


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


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
    the parts, the manifest and the statements files made from them (`iedsl run -f FORMAT`)."""
    for path in out.glob(f"{PROGRESS}/*"):
        path.unlink(missing_ok=True)
    if (out / PROGRESS).is_dir():
        (out / PROGRESS).rmdir()
    made = [out / f"{name}.{ext}" for name in ("statements", "claims") for ext in (*FORMATS, "txt")]
    for path in [*out.glob("part-*.jsonl"), out / MANIFEST, *made] if parts else []:
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
    import dask
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is not None:
        with Client(scheduler) as client:
            yield client
    else:
        # Forked workers start in a tenth of the time of spawned ones, which import Dask and
        # iedsl afresh (0.4 s against 2-4 s for two), and they inherit the compiled rules
        # (ShippedRules). Where fork is not safe (macOS, Windows), Dask's default stays.
        method = "fork" if _FORKS else dask.config.get(_METHOD)
        # ":0": any free port for the scheduler's HTTP server, so two jobs on one machine do not clash
        with dask.config.set({_METHOD: method, **_QUIET}):
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
        with cluster, Client(cluster) as client:
            yield client
