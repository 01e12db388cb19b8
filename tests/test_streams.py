"""Where `iedsl run` writes, under attack (docs/reliability.md, "Output files and streams").

- `-o` on a device, a FIFO or a socket is refused (exit 2) and the node is left as it was;
  a symbolic link to a regular file is written through, the link kept.
- Every format holds the run's lock on FILE.partial for the whole run: a second run to the
  same `-o` is refused (exit 2), whatever the two formats.
- Closed standard streams: stdout closed with nowhere else to write is one line on stderr
  and exit 1; stderr closed changes nothing but the silence.
- A reader that closes the pipe gives exit 141 and no success summary, for every format; a
  full device on stdout is named "stdout".

Device nodes are made with mknod in a temporary directory (as root; those tests are skipped
otherwise), never the system's own /dev/null or /dev/full.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ie_dsl.cli import app
from ie_dsl.pipeline import RuleBook
from ie_dsl.scale.checkpoint import CheckpointError, lock_partial
from ie_dsl.scale.output import NotRegularFile, write_atomic

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ["jsonl", "json", "csv", "table"]
runner = CliRunner()


def iedsl() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("iedsl")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ie_dsl.cli import main; main()"]


@pytest.fixture
def job(tmp_path: Path) -> dict:
    """Rules, a small corpus, and the statements an undisturbed run writes to stdout."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "main.ie").write_text("rule said: ~say\n")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": f"d{k:02d}", "text": f"He said {k}."}) + "\n" for k in range(20))
    )
    args = ["run", str(tmp_path / "rules"), str(corpus)]
    ref = runner.invoke(app, [*args, "-f", "jsonl", "-q"])
    assert ref.exit_code == 0 and ref.stdout.count("\n") == 20
    return {"dir": tmp_path, "args": args, "ref": ref.stdout.encode()}


def _node(path: Path, kind: str) -> Path:
    """A device, FIFO or socket at `path` (skips the test if this user may not make it)."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":  # bound at a short path (AF_UNIX allows ~107 bytes), then moved
        short = Path(tempfile.mkdtemp(prefix="iedsl-", dir="/tmp"))
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(short / "s"))  # the socket file stays after close
        os.rename(short / "s", path)
        short.rmdir()
    else:
        major_minor = {"null": (1, 3), "full": (1, 7)}[kind]
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(*major_minor))
        except PermissionError:
            pytest.skip("making a device node needs root")
    return path


def _kind(path: Path) -> int:
    return stat.S_IFMT(os.lstat(path).st_mode)


# ---- F1: -o on something that is not a regular file -----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["null", "fifo", "socket"])
def test_output_to_a_device_fifo_or_socket_is_refused_and_left_alone(job, fmt, kind):
    target = _node(job["dir"] / f"target-{kind}", kind)
    before = _kind(target)
    result = runner.invoke(app, [*job["args"], "-f", fmt, "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr
    assert _kind(target) == before  # still the device, the FIFO, the socket
    assert sorted(p.name for p in job["dir"].iterdir()) == sorted(["rules", "corpus.jsonl", target.name])


def test_a_symbolic_link_to_a_device_is_refused(job):
    device = _node(job["dir"] / "null", "null")
    link = job["dir"] / "link"
    link.symlink_to(device)
    result = runner.invoke(app, [*job["args"], "-o", str(link)])
    assert result.exit_code == 2 and "character device" in result.stderr
    assert link.is_symlink() and _kind(device) == stat.S_IFCHR


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_symbolic_link_to_a_file_is_written_through_and_kept(job, fmt):
    real = job["dir"] / "real.out"
    real.write_text("previous\n")
    link = job["dir"] / "link.out"
    link.symlink_to(real.name)  # relative, as links often are
    result = runner.invoke(app, [*job["args"], "-f", fmt, "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == real.name
    if fmt == "jsonl":
        assert real.read_bytes() == job["ref"]
    else:
        assert len(json.loads(real.read_text())) == 20
    assert not [p for p in job["dir"].iterdir() if p.name.endswith((".partial", ".progress", ".tmp"))]


def test_write_atomic_refuses_what_it_cannot_rename_over(tmp_path):
    fifo = _node(tmp_path / "fifo", "fifo")
    with pytest.raises(NotRegularFile) as caught:
        write_atomic(fifo, "text")
    assert caught.value.kind == "a FIFO (named pipe)" and _kind(fifo) == stat.S_IFIFO
    assert str(caught.value) == f"{fifo} is a FIFO (named pipe), not a regular file"  # no [Errno 22]
    assert os.listdir(tmp_path) == ["fifo"]  # no temporary file left either


def test_a_fifo_planted_as_file_partial_is_refused_not_waited_on(job):
    out = job["dir"] / "out.jsonl"
    _node(job["dir"] / "out.jsonl.partial", "fifo")  # opening it for writing would block
    for fmt in ("jsonl", "json"):
        result = runner.invoke(app, [*job["args"], "-f", fmt, "-o", str(out)])
        assert result.exit_code == 2 and "not a regular file" in result.stderr, result.output
    assert not out.exists()


# ---- F9: one run at a time per -o FILE, whatever the formats ----------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_of_any_format_is_refused_while_another_holds_the_output(job, fmt):
    out = job["dir"] / "out.data"
    out.write_text("the other run's\n")
    holder, _ = lock_partial(out)  # what every run to -o out.data holds while it runs
    try:
        result = runner.invoke(app, [*job["args"], "-f", fmt, "-o", str(out)])
    finally:
        holder.close()
    assert result.exit_code == 2 and "another iedsl run is writing" in result.stderr, result.output
    assert out.read_text() == "the other run's\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_holds_the_lock_for_the_whole_run(job, fmt, monkeypatch):
    """Tried from inside the engine, half-way through: the lock is held then; after the run
    it is free, and a FILE.partial the run created for it is gone."""
    out = job["dir"] / "out.data"
    tried: list[str] = []
    original = RuleBook.iter_extract

    def iter_extract(self, did, text, *args, **kwargs):
        if did == "d10":
            try:
                lock_partial(out)[0].close()
                tried.append("free")
            except CheckpointError as exc:
                tried.append(str(exc))
        return original(self, did, text, *args, **kwargs)

    monkeypatch.setattr(RuleBook, "iter_extract", iter_extract)
    monkeypatch.setattr(
        RuleBook, "extract", lambda self, did, text, **kw: list(iter_extract(self, did, text))
    )
    result = runner.invoke(app, [*job["args"], "-f", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(tried) == 1 and "another iedsl run is writing" in tried[0]
    assert sorted(p.name for p in job["dir"].iterdir()) == ["corpus.jsonl", "out.data", "rules"]
    lock_partial(out)[0].close()  # free again


def test_a_json_run_keeps_the_checkpoint_an_interrupted_jsonl_run_left(job):
    out = job["dir"] / "out.data"
    partial = job["dir"] / "out.data.partial"
    partial.write_bytes(b'{"doc": "d00"}\n')  # as an interrupted jsonl run leaves it
    result = runner.invoke(app, [*job["args"], "-f", "json", "-o", str(out)])
    assert result.exit_code == 0 and len(json.loads(out.read_text())) == 20
    assert partial.read_bytes() == b'{"doc": "d00"}\n'  # for its --resume, untouched


def test_an_empty_lock_file_a_killed_run_left_is_removed(job):
    out = job["dir"] / "out.data"
    (job["dir"] / "out.data.partial").touch()  # a json run killed with SIGKILL leaves this
    result = runner.invoke(app, [*job["args"], "-f", "csv", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().count("\n") == 21  # a header and 20 rows
    assert sorted(p.name for p in job["dir"].iterdir()) == ["corpus.jsonl", "out.data", "rules"]


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60  # only against a hang
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("first, second", [("json", "jsonl"), ("jsonl", "csv"), ("table", "json")])
def test_two_processes_to_one_output_the_second_is_refused(job, first, second):
    """The first run reads stdin, which the test holds open: it is running, lock taken, for
    as long as the test needs, whatever the machine's speed."""
    out = job["dir"] / "out.data"
    rules = str(job["dir"] / "rules")
    one = subprocess.Popen(
        [*iedsl(), "run", rules, "-", "-f", first, "-o", str(out), "-q"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(job["dir"] / "out.data.partial", one)  # its lock is taken
        two = subprocess.run(
            [*iedsl(), "run", rules, str(job["dir"] / "corpus.jsonl"), "-f", second, "-o", str(out)],
            capture_output=True,
        )
        assert two.returncode == 2 and b"another iedsl run is writing" in two.stderr, two.stderr
        _, stderr = one.communicate(b'{"id": "x", "text": "She said it."}\n', timeout=60)
    finally:
        if one.poll() is None:
            one.kill()
            one.wait()
    assert one.returncode == 0, stderr
    assert b"She said it." in out.read_bytes()  # the first run's output, in its format
    assert not (job["dir"] / "out.data.partial").exists()


# ---- F10: closed standard streams -----------------------------------------------------------


def _closed(redirect: str, cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run `cmd` with a standard stream closed by the shell (`>&-`, `2>&-`, `<&-`)."""
    return subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", *cmd], **kw)


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_stdout_closed_is_one_line_and_exit_1(job, fmt):
    done = _closed(">&-", [*iedsl(), *job["args"], "-f", fmt], stderr=subprocess.PIPE)
    lines = done.stderr.decode().splitlines()
    assert done.returncode == 1
    assert lines == ["error: cannot write to stdout: it is closed; give -o FILE or run with stdout open"]


def test_stdout_closed_does_not_matter_with_an_output_file(job):
    out = job["dir"] / "out.jsonl"
    done = _closed(">&-", [*iedsl(), *job["args"], "-o", str(out), "-q"], stderr=subprocess.PIPE)
    assert done.returncode == 0 and done.stderr == b""
    assert out.read_bytes() == job["ref"]


@pytest.mark.parametrize("extra", [[], ["-f", "json"], ["--jobs", "2"]])
def test_stderr_closed_the_run_proceeds_and_the_output_is_complete(job, extra):
    done = _closed("2>&-", [*iedsl(), *job["args"], "-f", "jsonl", *extra], stdout=subprocess.PIPE)
    assert done.returncode == 0
    if extra[:2] == ["-f", "json"]:
        assert len(json.loads(done.stdout)) == 20
    else:
        assert done.stdout == job["ref"]


def test_stderr_closed_with_an_output_file_leaves_nothing_in_it_but_statements(job):
    """fd 2 closed: the output file must not become "stderr" (the lowest free descriptor)."""
    out = job["dir"] / "out.jsonl"
    done = _closed("2>&-", [*iedsl(), *job["args"], "-o", str(out), "--jobs", "2"])
    assert done.returncode == 0 and out.read_bytes() == job["ref"]


def test_stdin_closed_is_reported_as_an_input_problem(job):
    rules = str(job["dir"] / "rules")
    done = _closed("<&-", [*iedsl(), "run", rules, "-", "-f", "jsonl"], capture_output=True)
    assert done.returncode == 1 and done.stdout == b""
    assert b"<stdin>: stdin is closed" in done.stderr and b"Traceback" not in done.stderr


# ---- F11: a reader that goes away, a full device --------------------------------------------


@pytest.fixture
def no_reader() -> Iterator[int]:
    """The write end of a pipe whose read end is already closed: every write fails (EPIPE),
    from the first byte, so the test does not depend on the pipe's buffer or on timing."""
    read, write = os.pipe()
    os.close(read)
    yield write
    os.close(write)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_pipe_gives_141_and_no_success_summary(job, fmt, no_reader):
    done = subprocess.run([*iedsl(), *job["args"], "-f", fmt], stdout=no_reader, stderr=subprocess.PIPE)
    assert done.returncode == 128 + signal.SIGPIPE
    assert b"statements from" not in done.stderr and b"Traceback" not in done.stderr
    assert b"Exception ignored" not in done.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_device_on_stdout_is_named_stdout(job, fmt, tmp_path):
    full = _node(tmp_path / "full", "full")
    with open(full, "wb") as device:
        done = subprocess.run([*iedsl(), *job["args"], "-f", fmt], stdout=device, stderr=subprocess.PIPE)
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert stderr.startswith("error: cannot write to stdout: No space left on device"), stderr
    assert stderr.count("\n") == 1 and "None" not in stderr and "Exception ignored" not in stderr


# ---- every other command: closed streams, a reader that goes away, a full device ---------------
# (`run` above handles its streams itself; the others go through cli/streams.py from main())

BROKEN_RULES = 'rule said: ~say\n    @example "He said it."\nrule broken: (said\n'


@pytest.fixture
def other(tmp_path: Path) -> dict:
    """A rule file with one syntax error (`check` has a result to print) and one with a
    passing example (`test` has one)."""
    (tmp_path / "bad.ie").write_text(BROKEN_RULES)
    (tmp_path / "good.ie").write_text(BROKEN_RULES.split("rule broken")[0])
    return {
        "check": [*iedsl(), "check", "-f", "json", str(tmp_path / "bad.ie")],
        "test": [*iedsl(), "test", str(tmp_path / "good.ie")],
        "dir": tmp_path,
    }


@pytest.mark.parametrize("command", ["check", "test"])
def test_other_commands_with_stdout_closed_say_so_in_one_line(other, command):
    done = _closed(">&-", other[command], stderr=subprocess.PIPE)
    assert done.returncode == 1
    lines = done.stderr.decode().splitlines()
    assert lines[-1] == "error: cannot write to stdout: it is closed"
    assert "Traceback" not in done.stderr.decode() and "Exception ignored" not in done.stderr.decode()


def test_other_commands_with_stderr_closed_give_their_whole_result(other):
    done = _closed("2>&-", other["check"], stdout=subprocess.PIPE)
    assert done.returncode == 2  # the rules have an error: check's answer is exit 2
    (problem,) = json.loads(done.stdout)
    assert problem["code"] == "E101"
    junit = other["dir"] / "report.xml"
    done = _closed("2>&-", [*other["test"], "--junit", str(junit)], stdout=subprocess.PIPE)
    assert done.returncode == 0 and done.stdout == b"1 passed, 0 failed\n"
    assert junit.read_text().startswith("<?xml")  # the file did not take fd 2's place


@pytest.mark.parametrize("command", ["check", "test"])
def test_other_commands_on_a_closed_pipe_give_141_and_nothing_more(other, command, no_reader):
    done = subprocess.run(other[command], stdout=no_reader, stderr=subprocess.PIPE)
    assert done.returncode == 128 + signal.SIGPIPE
    # no traceback, no "Exception ignored", no summary: at most `test`'s note before it ran
    assert all(line.startswith(b"note: ") for line in done.stderr.splitlines()), done.stderr


@pytest.mark.parametrize("command", ["check", "test"])
def test_other_commands_on_a_full_device_name_stdout(other, command, tmp_path):
    full = _node(tmp_path / "full", "full")
    with open(full, "wb") as device:
        done = subprocess.run(other[command], stdout=device, stderr=subprocess.PIPE)
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert stderr.splitlines()[-1] == "error: cannot write to stdout: No space left on device", stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
