"""`pip install .` (not editable) gives an iedsl that works outside the source tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("iedsl-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(ROOT / "seeds" / "000_64c20344fc942d5c.txt", work / "a.txt")
    iedsl = env_dir / "bin" / "iedsl"
    done = subprocess.run(
        [str(iedsl), "run", "@pack", "a.txt", "--format", "jsonl", "-q"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    statements = [json.loads(line) for line in done.stdout.splitlines()]
    assert any(st["type"] == "warn" for st in statements)
    # the grammar came from the wheel, not from this checkout
    where = subprocess.run(
        [str(py), "-c", "import ie_dsl.resources as r; print(r.data_dir('grammar'))"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (
        str(env_dir) in where
        and (Path(where) / "iedsl.lark").read_text() == (ROOT / "grammar" / "iedsl.lark").read_text()
    )
