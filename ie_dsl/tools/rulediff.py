"""Rule diffs: what changes in the output when the rules change, rule by rule.

`compare(old_book, new_book, documents)` runs both rule sets over the same documents and
returns, per rule, the statements gained and lost. `materialize(spec, other)` turns a git
revision of a rules directory into a temporary directory (see `docs/evaluation.md` for the
syntax), so a working copy can be compared with a commit.

Two statements are the same when they are equal except for the file and line of their rule:
moving or re-numbering a rule changes nothing, renaming it moves its statements to the new name.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ie_dsl.pipeline import RuleBook


class RuleDiffError(Exception):
    """A rules argument that is neither a path nor a usable git revision."""


# ---- git revisions ---------------------------------------------------------------------------


def _git(args: list[str], cwd: Path, binary: bool = False) -> Any:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise RuleDiffError(f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuleDiffError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return done.stdout if binary else done.stdout.decode("utf-8", "replace").strip()


@dataclass(frozen=True)
class Revision:
    """A path inside one commit: `rev:path`, the path relative to the repository's top."""

    top: Path  # the repository's working tree
    rev: str
    path: str  # "" for the top of the repository

    @property
    def label(self) -> str:
        return f"{self.rev}:{self.path}"


def parse_revision(spec: str, other: str | None) -> Revision:
    """Read a git-revision rules argument.

    - `REV:PATH` names PATH at REV, PATH relative to the top of the repository holding the
      current directory (as git reads it), or to the current directory if it starts with
      `./` or `../`.
    - a bare `REV` names, at REV, the same path as `other` (the other rules argument, which
      must then be a directory or file in a git working tree).
    Raises RuleDiffError when git does not know the revision or the path.
    """
    if ":" in spec:
        rev, path = spec.split(":", 1)
        cwd = Path.cwd()
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd))
        if path.startswith(("./", "../")) or path in (".", ".."):
            path = posixpath.normpath(posixpath.join(_git(["rev-parse", "--show-prefix"], cwd), path))
    else:
        if other is None or not Path(other).exists():
            raise RuleDiffError(
                f"{spec!r} is not a path; as a git revision it needs the other rules argument to be a "
                "path in a git working tree (or write REV:PATH)"
            )
        rev = spec
        target = Path(other).resolve()
        top = Path(_git(["rev-parse", "--show-toplevel"], target if target.is_dir() else target.parent))
        path = Path(os.path.relpath(target, top)).as_posix()
    path = "" if path in (".", "") else path.strip("/")
    if path.startswith(".."):
        raise RuleDiffError(f"{spec}: the path is outside the repository at {top}")
    if not rev:
        raise RuleDiffError(f"{spec}: no revision before ':'")
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except RuleDiffError:
        raise RuleDiffError(f"{spec!r} is neither a path nor a revision known to git in {top}") from None
    return Revision(top, rev, path)


@contextmanager
def materialize(spec: str, other: str | None) -> Iterator[tuple[str, Revision | None]]:
    """Yield (rules path to load, the revision or None): `spec` itself when it is a path (or
    `@pack`), else the revision's files written to a temporary directory removed afterwards."""
    if spec == "@pack" or Path(spec).exists():
        yield spec, None
        return
    revision = parse_revision(spec, other)
    kind = _git(["cat-file", "-t", revision.label], revision.top)
    if kind not in ("tree", "blob"):
        raise RuleDiffError(f"{revision.label} is a {kind}, not a directory or file")
    # A single rule file is loaded from its directory's tree, so the files it `use`s exist.
    tree = revision.path if kind == "tree" else posixpath.dirname(revision.path)
    data = _git(["archive", "--format=tar", f"{revision.rev}:{tree}"], revision.top, binary=True)
    with tempfile.TemporaryDirectory(prefix="iedsl-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            if hasattr(tarfile, "data_filter"):  # refuse links and paths leaving the directory
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - Python without the extraction filters
                tar.extractall(tmp)  # noqa: S202 - git archive of the user's own repository
        root = Path(tmp) if kind == "tree" else Path(tmp) / posixpath.basename(revision.path)
        if kind == "tree" and not any(root.rglob("*.ie")) and not any(root.rglob("*.y*ml")):
            raise RuleDiffError(f"{revision.label} holds no rule files")
        yield str(root), revision


def relabel(statement: dict[str, Any], loaded_from: str, revision: Revision | None) -> dict[str, Any]:
    """The statement with its rule file shown as `REV:path/file` instead of a temporary path."""
    if revision is None:
        return statement
    rule = dict(statement["rule"])
    base = Path(loaded_from).resolve()
    base = base if base.is_dir() else base.parent
    # statements name a rule file by its root's name and the path inside (pipeline.provenance)
    if not str(rule["file"]).startswith(f"{base.name}/"):
        return statement
    inner = str(rule["file"])[len(base.name) + 1 :]
    folder = revision.path if Path(loaded_from).is_dir() else posixpath.dirname(revision.path)
    rule["file"] = f"{revision.rev}:{posixpath.join(folder, inner)}"
    return {**statement, "rule": rule}


# ---- comparing outputs ------------------------------------------------------------------------


def statement_key(st: dict[str, Any]) -> str:
    """What makes two statements the same: everything but the rule's file and line."""
    rule = {k: v for k, v in st.get("rule", {}).items() if k not in ("file", "line")}
    return json.dumps({**st, "rule": rule}, sort_keys=True, ensure_ascii=False)


@dataclass
class RuleChange:
    """One rule's output before and after; `gained`/`lost` are full statements."""

    rule: str
    file: str
    line: int
    old: int = 0  # statements it made with the old rules
    new: int = 0
    gained: list[dict[str, Any]] = field(default_factory=list)
    lost: list[dict[str, Any]] = field(default_factory=list)
    status: str = "both"  # "both", "added" (only in the new rules) or "removed"

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost)


@dataclass
class RuleDiff:
    """Per rule (statement rules of either rule set, new load order, then removed ones)."""

    rules: list[RuleChange]
    documents: int
    skipped: list[str] = field(default_factory=list)  # documents that could not be run

    @property
    def identical(self) -> bool:
        return not any(r.changed for r in self.rules)

    @property
    def gained(self) -> int:
        return sum(len(r.gained) for r in self.rules)

    @property
    def lost(self) -> int:
        return sum(len(r.lost) for r in self.rules)


def _position(st: dict[str, Any]) -> tuple[str, int, int]:
    return (str(st.get("doc")), st["span"]["start"], st["span"]["end"])


def compare(
    old: RuleBook,
    new: RuleBook,
    documents: Iterable[tuple[str, str]],
    relabel_old: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    relabel_new: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> RuleDiff:
    """Run `old` and `new` over (doc id, text) pairs and list each rule's gained and lost
    statements, ordered by document and position.

    `relabel_old(statement) -> statement` (and `relabel_new`) may rewrite a rule set's
    statements (e.g. `relabel`) so their rule files read as the user knows them. A document on which either
    rule set times out is left out of the comparison and listed in `skipped`.
    """
    fix_old = relabel_old or (lambda st: st)
    fix_new = relabel_new or (lambda st: st)
    changes: dict[str, RuleChange] = {}
    for book, fix, status in ((new, fix_new, "added"), (old, fix_old, "removed")):
        for cr in book.program.statements:
            if cr.rule.name in changes:
                changes[cr.rule.name].status = "both"
                continue
            shown = fix({"rule": {"name": cr.rule.name, "file": cr.rule.file, "line": cr.rule.line}})["rule"]
            changes[cr.rule.name] = RuleChange(cr.rule.name, shown["file"], shown["line"], status=status)
    count = 0
    skipped = []
    for doc_id, text in documents:
        try:
            before = [fix_old(st) for st in old.extract(doc_id, text)]
            after = [fix_new(st) for st in new.extract(doc_id, text)]
        except TimeoutError:
            skipped.append(doc_id)
            continue
        count += 1
        for st in before:
            changes[st["rule"]["name"]].old += 1
        for st in after:
            changes[st["rule"]["name"]].new += 1
        for st in _unmatched(after, before):
            changes[st["rule"]["name"]].gained.append(st)
        for st in _unmatched(before, after):
            changes[st["rule"]["name"]].lost.append(st)
    for change in changes.values():
        change.gained.sort(key=_position)
        change.lost.sort(key=_position)
    return RuleDiff(list(changes.values()), count, skipped)


# ---- output ------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(st: dict[str, Any]) -> str:
    """`doc type [polarity] role="text" ...` on one line."""
    args = st.get("args") or {}
    roles = "  ".join(f"{r}={_cut(str(a.get('text', '')), 40)!r}" for r, a in args.items())
    polarity = f" ({st['polarity']})" if st.get("polarity", "positive") != "positive" else ""
    return f"{Path(str(st.get('doc'))).name}  {st.get('type')}{polarity}  {roles}".rstrip()


def render_text(diff: RuleDiff) -> str:
    """Per changed rule its lost (-) and gained (+) statements with their sentences, in document
    order, then a count per rule and a total line. Ends with a newline."""
    lines: list[str] = []
    for change in diff.rules:
        if not change.changed:
            continue
        status = {"added": " [new rule]", "removed": " [removed rule]"}.get(change.status, "")
        lines.append(
            f"{change.rule} ({change.file}:{change.line}){status}: +{len(change.gained)} -{len(change.lost)}"
        )
        marked = [("-", st) for st in change.lost] + [("+", st) for st in change.gained]
        for sign, st in sorted(marked, key=lambda m: (*_position(m[1]), m[0] == "+")):
            lines.append(f"  {sign} {describe(st)}")
            lines.append(f"      > {_cut(st['sentence']['text'], 150)}")
        lines.append("")
    width = max([4, *(len(c.rule) for c in diff.rules)])
    lines.append(f"{'rule':<{width}}  {'old':>5} {'new':>5} {'gained':>6} {'lost':>5}")
    lines.append("-" * (width + 26))
    for c in diff.rules:
        note = {"added": "  (new rule)", "removed": "  (removed rule)"}.get(c.status, "")
        lines.append(f"{c.rule:<{width}}  {c.old:>5} {c.new:>5} {len(c.gained):>6} {len(c.lost):>5}{note}")
    changed = sum(c.changed for c in diff.rules)
    verdict = (
        "identical output"
        if diff.identical
        else f"{diff.gained} gained, {diff.lost} lost in {changed} rule{'s' if changed != 1 else ''}"
    )
    lines.append(f"{verdict} on {diff.documents} documents")
    return "\n".join(lines) + "\n"


def as_json(diff: RuleDiff) -> dict[str, Any]:
    """The diff as plain data: totals, then per rule the counts and the statements."""
    return {
        "identical": diff.identical,
        "documents": diff.documents,
        "skipped": diff.skipped,
        "gained": diff.gained,
        "lost": diff.lost,
        "rules": [
            {
                "rule": c.rule,
                "file": c.file,
                "line": c.line,
                "status": c.status,
                "old": c.old,
                "new": c.new,
                "gained": c.gained,
                "lost": c.lost,
            }
            for c in diff.rules
        ],
    }


def _unmatched(these: list[dict[str, Any]], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statements of `these` with no equal (by statement_key) left in `others`, as a multiset."""
    left = Counter(statement_key(st) for st in others)
    out = []
    for st in these:
        k = statement_key(st)
        if left[k] > 0:
            left[k] -= 1
        else:
            out.append(st)
    return out
