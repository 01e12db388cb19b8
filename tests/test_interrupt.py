"""Interrupted runs (docs/reliability.md, "Interrupted runs"): no lost or half-written results.

The first tests stop a real `iedsl run` process over a few thousand documents with SIGINT,
SIGTERM and SIGKILL once its checkpoint shows some hundred documents done, check that the
target is the previous file (or absent), then `--resume` and compare the result byte for
byte with an uninterrupted run. The others interrupt a run in-process at a chosen document
(by sending the signal from inside the engine) to cover each way resuming can go.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl.cli import app
from ie_dsl.pipeline import RuleBook
from ie_dsl.scale.checkpoint import Checkpoint, CheckpointError

REUTERS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
)
N_DOCS = 3000
BAD_AT = (5, 1500, 2900)  # broken lines: their reports must survive an interruption too
RULES = "rule said: ~say\nrule move: ~rise | ~fall | ~gain\nrule pct: NUMBER pct\n"
runner = CliRunner()


def iedsl() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("iedsl")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ie_dsl.cli import main; main()"]


def _texts() -> list[str]:
    if REUTERS.is_file():  # read in place, never copied
        with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
            return [json.loads(next(fh))["text"] for _ in range(N_DOCS)]
    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    base = [p.read_text(encoding="utf-8") + " Prices rose 5 pct, he said." for p in seeds]
    return [base[k % len(base)] + f" Item {k}." for k in range(N_DOCS)]


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A corpus, rules, and the output of one uninterrupted run (the reference)."""
    d = tmp_path_factory.mktemp("interrupt")
    (d / "rules").mkdir()
    (d / "rules" / "main.ie").write_text(RULES)
    lines = [json.dumps({"id": f"doc-{k:05d}", "text": t}) for k, t in enumerate(_texts())]
    for k in BAD_AT:
        lines[k] = '{"id": "broken", "text": '
    (d / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = [*iedsl(), "run", str(d / "rules"), str(d / "corpus.jsonl"), "-f", "jsonl"]
    started = time.perf_counter()
    ref = subprocess.run(
        [*args, "-o", str(d / "ref.jsonl"), "--errors", str(d / "ref.errors")], capture_output=True
    )
    elapsed = time.perf_counter() - started
    assert ref.returncode == 1, ref.stderr  # the broken lines
    assert (d / "ref.jsonl").stat().st_size > 100_000
    ref_bytes, errors = (d / "ref.jsonl").read_bytes(), (d / "ref.errors").read_bytes()
    return {"dir": d, "args": args, "ref": ref_bytes, "errors": errors, "seconds": elapsed}


def _last_mark(progress: Path) -> dict | None:
    try:
        lines = progress.read_bytes().split(b"\n")[:-1]
        return json.loads(lines[-1]) if len(lines) > 1 else None
    except (OSError, ValueError):
        return None


def _start_and_signal(
    job: dict, out: Path, sig: int, at_least: int, resume: bool = False
) -> tuple[int, str, float]:
    """Start a run writing `out`, send `sig` once its checkpoint counts `at_least` documents;
    returns (exit code, stderr, seconds from the signal to the exit)."""
    errors = out.with_name(out.name + ".errors")
    extra = ["--resume"] if resume else []
    proc = subprocess.Popen(
        [*job["args"], "-o", str(out), "--errors", str(errors), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    progress = out.with_name(out.name + ".progress")
    deadline = time.monotonic() + 120
    while (mark := _last_mark(progress)) is None or mark["docs"] < at_least:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    sent = time.perf_counter()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr.decode(), time.perf_counter() - sent


def _resume(job: dict, out: Path) -> tuple[subprocess.CompletedProcess, float]:
    errors = out.with_name(out.name + ".errors")
    started = time.perf_counter()
    done = subprocess.run(
        [*job["args"], "-o", str(out), "--errors", str(errors), "--resume"], capture_output=True
    )
    return done, time.perf_counter() - started


def _check_final(job: dict, out: Path, done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 1, done.stderr  # the broken lines, counted once across both runs
    assert out.read_bytes() == job["ref"]
    assert out.with_name(out.name + ".errors").read_bytes() == job["errors"]
    assert not out.with_name(out.name + ".partial").exists()
    assert not out.with_name(out.name + ".progress").exists()
    failed = job["errors"].count(b"\n")  # the broken lines (and any document the engine failed)
    assert failed >= len(BAD_AT) and f"; {failed} failed (resumed after" in done.stderr.decode()


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_keeps_the_previous_file_and_resume_completes_it(job, sig, code):
    out = job["dir"] / f"out-{sig.name}.jsonl"
    if sig == signal.SIGINT:
        out.write_bytes(b"previous results\n")
    rc, stderr, stop_seconds = _start_and_signal(job, out, sig, at_least=300)
    assert rc == code, stderr
    found = re.search(rf"interrupted by {sig.name} \(after (\d+) documents: (\d+) statements", stderr)
    assert found and 300 <= int(found[1]) < N_DOCS, stderr
    assert "run the same command with --resume" in stderr and "Traceback" not in stderr
    if sig == signal.SIGINT:
        assert out.read_bytes() == b"previous results\n"
    else:
        assert not out.exists()
    # What is kept is exactly the statements of the documents counted, nothing half-written.
    partial = out.with_name(out.name + ".partial").read_bytes()
    assert job["ref"].startswith(partial) and partial.count(b"\n") == int(found[2])
    done, resume_seconds = _resume(job, out)
    _check_final(job, out, done)
    print(f"\n{sig.name}: stopped {stop_seconds:.3f} s after the signal at {found[1]} documents; resume took "
          f"{resume_seconds:.2f} s; an uninterrupted run {job['seconds']:.2f} s")  # fmt: skip


def test_sigkill_twice_then_resume_gives_the_same_bytes(job):
    out = job["dir"] / "out-kill.jsonl"
    rc, _, _ = _start_and_signal(job, out, signal.SIGKILL, at_least=300)
    assert rc == -signal.SIGKILL and not out.exists()
    first = _last_mark(out.with_name(out.name + ".progress"))
    rc, _, _ = _start_and_signal(job, out, signal.SIGKILL, at_least=1600, resume=True)
    assert rc == -signal.SIGKILL and not out.exists()
    second = _last_mark(out.with_name(out.name + ".progress"))
    done, resume_seconds = _resume(job, out)
    _check_final(job, out, done)
    when = f"{first['docs']} and {second['docs']} documents"
    print(f"\nSIGKILL at {when}; the last resume took {resume_seconds:.2f} s")


def test_ctrl_c_on_a_run_with_two_processes_then_resume_with_two(job):
    """Ctrl-C reaches the whole process group (workers too): the run stops cleanly at a mark,
    and a resumed run with --jobs 2 completes the same bytes as one uninterrupted process."""
    out = job["dir"] / "out-jobs.jsonl"
    errors = out.with_name(out.name + ".errors")
    args = [*job["args"], "-o", str(out), "--errors", str(errors), "--jobs", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    progress = out.with_name(out.name + ".progress")
    deadline = time.monotonic() + 120
    while (mark := _last_mark(progress)) is None or mark["docs"] < 300:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr.decode(), stderr
    assert re.search(r"interrupted by SIGINT \(after \d+ documents", stderr.decode())
    done = subprocess.run([*args, "--resume"], capture_output=True)
    _check_final(job, out, done)


# ---- in-process: interrupt at a chosen document -------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> dict:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "main.ie").write_text(RULES)
    lines = [
        json.dumps({"id": f"d{k:02d}", "text": f"Officials said prices rose {k} pct."}) for k in range(40)
    ]
    lines[3], lines[20] = "not json", "[1]"
    (tmp_path / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    args = ["run", str(tmp_path / "rules"), str(tmp_path / "corpus.jsonl"), "-f", "jsonl"]
    ref = runner.invoke(app, [*args, "--errors", str(tmp_path / "ref.errors")])
    assert ref.exit_code == 1
    return {
        "dir": tmp_path,
        "args": args,
        "ref": ref.stdout.encode(),
        "errors": (tmp_path / "ref.errors").read_bytes(),
    }


def _interrupt_at(monkeypatch: pytest.MonkeyPatch, doc_id: str, sig: int = signal.SIGINT) -> None:
    """Make the engine send `sig` to this process when it reaches document `doc_id`."""
    original = RuleBook.iter_extract

    def iter_extract(self, did, text, *args, **kwargs):
        if did == doc_id:
            os.kill(os.getpid(), sig)
            time.sleep(0.5)  # the handler runs here, in the middle of the document
        return original(self, did, text, *args, **kwargs)

    monkeypatch.setattr(RuleBook, "iter_extract", iter_extract)
    monkeypatch.setattr(
        RuleBook, "extract", lambda self, did, text, **kw: list(iter_extract(self, did, text))
    )


def test_interrupt_in_process_twice_then_resume(small, monkeypatch):
    out = small["dir"] / "out.jsonl"
    args = [*small["args"], "-o", str(out), "--errors", str(small["dir"] / "out.errors")]
    with monkeypatch.context() as m:
        _interrupt_at(m, "d21")  # after the broken line 20 was reported, before d21 was counted
        result = runner.invoke(app, args)
    assert result.exit_code == 130
    assert "interrupted by SIGINT (after 19 documents" in result.stderr  # d00..d20 less the broken lines
    assert not out.exists()
    with monkeypatch.context() as m:
        _interrupt_at(m, "d30")
        result = runner.invoke(app, [*args, "--resume"])
    assert result.exit_code == 130 and "(after 28 documents: 84 statements" in result.stderr
    result = runner.invoke(app, [*args, "--resume"])
    assert result.exit_code == 1 and "resuming" in result.stderr and "; 2 failed" in result.stderr
    assert out.read_bytes() == small["ref"]
    assert (small["dir"] / "out.errors").read_bytes() == small["errors"]


def test_resume_cuts_off_what_a_crash_left_after_the_last_mark(small, monkeypatch):
    out = small["dir"] / "out.jsonl"
    monkeypatch.setattr("ie_dsl.scale.checkpoint._COMPACT_AT", 500)  # FILE.progress rewritten every few marks
    with monkeypatch.context() as m:
        _interrupt_at(m, "d22", signal.SIGTERM)
        assert runner.invoke(app, [*small["args"], "-o", str(out)]).exit_code == 143
    with open(out.with_name("out.jsonl.partial"), "ab") as fh:
        fh.write(b'{"doc": "d22", "type": "half-writ')  # as if killed in the middle of a write
    progress = out.with_name("out.jsonl.progress")
    assert progress.stat().st_size <= 1000  # compacted: a header and the last marks
    with open(progress, "ab") as fh:
        fh.write(b'{"docs": 99, "bytes": 1')  # and of the mark after it
    result = runner.invoke(app, [*small["args"], "-o", str(out), "--resume"])
    assert result.exit_code == 1, result.stderr
    assert out.read_bytes() == small["ref"]


def test_resume_refuses_changed_rules_inputs_or_options(small, monkeypatch):
    out, d = small["dir"] / "out.jsonl", small["dir"]
    with monkeypatch.context() as m:
        _interrupt_at(m, "d22")
        assert runner.invoke(app, [*small["args"], "-o", str(out)]).exit_code == 130
    resume = [*small["args"], "-o", str(out), "--resume"]
    result = runner.invoke(app, [*resume, "--max-doc-bytes", "1M"])
    assert result.exit_code == 2 and "the options changed" in result.stderr
    (d / "rules" / "main.ie").write_text(RULES + "rule more: ~warn\n")
    result = runner.invoke(app, resume)
    assert result.exit_code == 2 and "the rules changed" in result.stderr
    with open(d / "corpus.jsonl", "a") as fh:
        fh.write(json.dumps({"id": "new", "text": "said"}) + "\n")
    result = runner.invoke(app, resume)
    assert result.exit_code == 2 and "the rules and the inputs changed" in result.stderr
    assert out.with_name("out.jsonl.partial").exists()  # refused: nothing was touched
    result = runner.invoke(app, [*small["args"], "-o", str(out)])
    assert result.exit_code == 1 and "discarding the checkpoint" in result.stderr
    assert out.read_bytes().count(b'"doc": "new"') == 1


def test_resume_with_nothing_to_resume_runs_from_the_start(small):
    out = small["dir"] / "out.jsonl"
    result = runner.invoke(app, [*small["args"], "-o", str(out), "--resume"])
    assert result.exit_code == 1 and "nothing to resume" in result.stderr
    assert out.read_bytes() == small["ref"]
    result = runner.invoke(app, [*small["args"], "--resume"])
    assert result.exit_code == 2 and "--resume needs -o FILE" in result.stderr


def test_a_partial_file_shorter_than_its_checkpoint_is_refused(small, monkeypatch):
    out = small["dir"] / "out.jsonl"
    with monkeypatch.context() as m:
        _interrupt_at(m, "d22")
        assert runner.invoke(app, [*small["args"], "-o", str(out)]).exit_code == 130
    partial = out.with_name("out.jsonl.partial")
    partial.write_bytes(partial.read_bytes()[:-10])  # as after a power cut
    result = runner.invoke(app, [*small["args"], "-o", str(out), "--resume"])
    assert result.exit_code == 2 and "shorter than its checkpoint" in result.stderr


def test_a_second_run_on_the_same_output_is_refused(small):
    out = small["dir"] / "out.jsonl"
    holder = Checkpoint(out, {"rules": "", "inputs": "", "options": {}}, resume=False)
    try:
        result = runner.invoke(app, [*small["args"], "-o", str(out)])
        assert result.exit_code == 2 and "another iedsl run is writing" in result.stderr
        with pytest.raises(CheckpointError):
            Checkpoint(out, {"rules": "", "inputs": "", "options": {}}, resume=True)
    finally:
        holder.rollback()


def test_marks_are_written_at_most_every_mark_every_and_the_last_on_stopping(tmp_path):
    """The throttle on a clock the test moves: independent of uptime, load and speed."""
    from ie_dsl.scale.checkpoint import MARK_EVERY, Mark

    now = [0.0]  # the clock's zero: monotonic() counts from boot, so a fresh machine is near it
    out = tmp_path / "out.jsonl"
    cp = Checkpoint(out, {"rules": "", "inputs": "", "options": {}}, resume=False, clock=lambda: now[0])
    progress = out.with_name(out.name + ".progress")

    def marks() -> list[int]:
        return [json.loads(x)["docs"] for x in progress.read_bytes().splitlines()[1:]]

    done = 0
    # seconds since the first commit; a mark is due at the first commit, then once MARK_EVERY
    # has passed since the last mark written
    for k, at in enumerate([0.0, 0.2, 0.9, 1.0, 1.5, 2.5, 2.6], start=1):
        now[0] = at * MARK_EVERY
        line = f'{{"doc": "d{k}"}}\n'.encode()
        done += len(line)
        cp.commit(line, Mark(docs=k, processed=k, statements=k, bytes=done, last=f"d{k}"))
    # the header's, d1 (the first), d4 (at 1.0), d6 (at 2.5: 1.5 since d4)
    assert marks() == [0, 1, 4, 6]
    cp.write(b'{"doc": "half-writ')  # a document stopped half-way
    cp.rollback()
    assert marks() == [0, 1, 4, 6, 7]  # the last one, written on stopping, whatever the clock
    last = json.loads(progress.read_bytes().splitlines()[-1])
    assert last["last"] == "d7" and last["bytes"] == done
    assert out.with_name(out.name + ".partial").read_bytes().count(b"\n") == 7  # nothing half-written


def test_disk_full_keeps_the_checkpoint_for_resume(small, monkeypatch):
    out = small["dir"] / "out.jsonl"
    original = Checkpoint.commit

    def commit(self, data, mark):
        if mark.last == "d25":
            self._out.write(data[:7])  # part of it got written
            raise OSError(28, "No space left on device")
        original(self, data, mark)

    with monkeypatch.context() as m:
        m.setattr(Checkpoint, "commit", commit)
        result = runner.invoke(app, [*small["args"], "-o", str(out)])
    assert (
        result.exit_code == 1 and "No space left on device" in result.stderr and "--resume" in result.stderr
    )
    assert not out.exists()
    result = runner.invoke(app, [*small["args"], "-o", str(out), "--resume"])
    assert out.read_bytes() == small["ref"]


def test_json_output_interrupted_leaves_the_previous_file(small, monkeypatch):
    out = small["dir"] / "out.json"
    out.write_text("[]\n")
    with monkeypatch.context() as m:
        _interrupt_at(m, "d30")
        result = runner.invoke(app, [*small["args"][:-1], "json", "-o", str(out)])
    assert result.exit_code == 130 and f"{out} was not changed" in result.stderr
    assert out.read_text() == "[]\n"


def test_stdout_interrupted_holds_whole_documents(small, monkeypatch):
    with monkeypatch.context() as m:
        _interrupt_at(m, "d30")
        result = runner.invoke(app, small["args"])
    assert result.exit_code == 130 and "written to stdout" in result.stderr
    assert small["ref"].startswith(result.stdout.encode())
    assert {json.loads(line)["doc"] for line in result.stdout.splitlines()} == {
        f"d{k:02d}" for k in range(30) if k not in (3, 20)
    }


def test_a_document_failing_half_way_leaves_none_of_its_statements(small, monkeypatch):
    out = small["dir"] / "out.jsonl"
    original = RuleBook.iter_extract

    def iter_extract(self, did, text, *args, **kwargs):
        yield from original(self, did, text, *args, **kwargs)
        if did == "d07":  # its statements were already handed over in blocks: they must go
            raise RuntimeError("engine bug")

    monkeypatch.setattr("ie_dsl.cli.runner._BLOCK", 10)
    monkeypatch.setattr(RuleBook, "iter_extract", iter_extract)
    result = runner.invoke(app, [*small["args"], "-o", str(out)])
    assert (
        result.exit_code == 1 and "d07" in result.stderr and "internal error (RuntimeError" in result.stderr
    )
    expected = b"".join(line + b"\n" for line in small["ref"].splitlines() if b'"doc": "d07"' not in line)
    assert out.read_bytes() == expected
