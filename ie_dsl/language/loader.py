"""Find and read rule files: paths -> RuleSet (parsed DSL and YAML rule files, lexicons).

A directory contributes every `.ie`, `.yaml` and `.yml` file below it, except fixture files
(YAML with a top-level `cases:`, which `iedsl test` reads). Symbolic links to directories
are followed; a file they lead to outside every rule root is refused (E204), as a `use`
there would be. A YAML file with `entries:` is a lexicon; one with `rules:`, `define:` or
`use:` is a rule file. `use` paths are relative to the file that says them and may not
leave the rule roots (the directories given, the directories of the files given, and the
shipped pack); `use "@pack/FILE"` names a file of the shipped pack.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.language import nodes as n
from ie_dsl.language.lexicon import Lexicon, load_lexicon
from ie_dsl.language.yamlfile import LocDict, LocList, load_yaml, span_of
from ie_dsl.language.yamlrules import yaml_rule_file
from ie_dsl.resources import PACK, data_dir, is_pack, pack_path, with_pack
from ie_dsl.source import BOM, SourceFile, SourceSpan, lf_lines

RULE_SUFFIXES = (".ie", ".yaml", ".yml")
MAX_FILE_BYTES = 10_000_000
MAX_RULES = 10_000
# A `rule` or `entity` statement starts a line (continuation lines are indented, and no
# string or comment spans lines), so counting these counts a file's rules without parsing.
_RULE_START = re.compile(r"^(?:rule|entity)\b[ \t]*([^\s:]*)", re.MULTILINE)
# A fixture file (docs/testing.md) has a top-level `cases:` key; a rule file or lexicon never does.
_FIXTURE_MARK = re.compile(rb"^cases\s*:", re.MULTILINE)
# The root under which load_texts places the files it is given: no such directory exists, so
# nothing under it is read from disk, and a `use` that leaves it is refused as on disk.
_GIVEN = Path("/<given>")


@dataclass
class RuleSet:
    """Everything read from disk, not yet checked."""

    files: list[n.RuleFile] = field(default_factory=list)
    lexicons: list[Lexicon] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    imports: dict[str, list[str]] = field(default_factory=dict)  # rule file -> rule files it uses
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)  # files that could not be read or parsed
    read: list[str] = field(default_factory=list)  # real paths of the files read, for the cache
    # file -> whose names it declares: "@pack" (the shipped pack) or "" (the user's); the
    # types of one are not the other's unless a file `use`s them (ie_dsl/language/scoping.py)
    roots: dict[str, str] = field(default_factory=dict)
    # (file, used file) -> where the first says `use`, to report what the use brings in there
    use_sites: dict[tuple[str, str], SourceSpan] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """A path as users should see it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def is_fixture(path: Path) -> bool:
    """Is `path` a fixture file (YAML with a top-level `cases:`)? A cheap look, no parse."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        with open(path, "rb") as fh:
            return bool(_FIXTURE_MARK.search(fh.read(MAX_FILE_BYTES)))
    except OSError:
        return False


def _walk(directory: Path) -> list[tuple[Path, Path | None]]:
    """(file, the symbolic link to a directory it was reached through, or None) for every
    rule file and lexicon below `directory`, sorted; fixture files are left out. Linked
    directories are followed once each (a link back up would loop)."""
    found: list[tuple[Path, Path | None]] = []
    seen: set[str] = set()
    link_of: dict[str, Path | None] = {str(directory): None}
    for top, dirs, names in os.walk(directory, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        via = link_of.get(top)
        for d in dirs:
            sub = os.path.join(top, d)
            link_of[sub] = Path(sub) if os.path.islink(sub) else via
        for name in names:
            path = Path(top, name)
            if path.suffix in RULE_SUFFIXES and path.is_file() and not is_fixture(path):
                found.append((path, via))
    return sorted(found)


def rule_files(directory: Path) -> list[Path]:
    """The rule files and lexicons under a directory (through linked directories too, fixture
    files left out), sorted."""
    return [path for path, _via in _walk(directory)]


class _Loader:
    def __init__(self) -> None:
        self.result = RuleSet()
        self.errors: list[Diagnostic] = []
        self.seen: dict[Path, str] = {}
        self.roots: list[Path] = []
        self.loading: list[Path] = []  # files being read, to find `use` cycles
        self.anywhere = False  # may `use` reach outside the roots?
        self.rules = 0  # rules counted so far, in load order
        self.full = False  # more than MAX_RULES: E405 given, nothing more is read
        self.pack = data_dir("rules").resolve()
        self.texts: dict[Path, str] = {}  # files given as text (load_texts), by their path under _GIVEN

    def shown(self, path: Path) -> str:
        """A file's name in diagnostics: its display path, or the name it was given as text."""
        return path.relative_to(_GIVEN).as_posix() if path.is_relative_to(_GIVEN) else display_path(path)

    def inside(self, target: Path) -> bool:
        """May a file at `target` (resolved) be read: is it under a rule root or the pack?"""
        return self.anywhere or any(target.is_relative_to(root) for root in (*self.roots, self.pack))

    def load_path(self, given: Path) -> None:
        real = given.resolve()
        if real.is_dir():
            found = _walk(real)
            if not found:
                self.errors.append(Diagnostic("E201", f"no rule files (.ie, .yaml) in {given}"))
            refused: set[Path] = set()
            for path, via in found:
                target = path.resolve()
                if self.inside(target):
                    self.load_file(target)
                elif via is not None:  # once per linked directory, not once per file in it
                    if via not in refused:
                        refused.add(via)
                        self.errors.append(self._outside_link(via))
                else:
                    self.errors.append(
                        Diagnostic(
                            "E204",
                            f"{display_path(path)} links outside the rule root",
                            None,
                            "copy the file into the rules directory, or give its directory as a "
                            "rule path too (on the command line or in the project file's `rules`)",
                        )
                    )
        elif real.is_file():
            self.load_file(real)
        elif real.exists():  # a FIFO would block the read; a device is no rule file
            self.errors.append(
                Diagnostic(
                    "E202",
                    f"cannot read {given}: {_kind(real)}, not a regular file",
                    None,
                    "give a rule file (.ie, .yaml) or a directory of them",
                )
            )
        else:
            self.errors.append(Diagnostic("E201", f"rule path not found: {given}"))

    def _outside_link(self, link: Path) -> Diagnostic:
        """E204 for a linked directory whose files lie outside every rule root: nothing in it
        is read, and the message says so rather than leaving the files silently out."""
        try:
            target = os.readlink(link)
        except OSError:
            target = str(link.resolve())
        return Diagnostic(
            "E204",
            f"{display_path(link)} is a symbolic link to {target}, outside the rule root: "
            "none of its files is read",
            None,
            f"give {link.resolve()} as a rule path too (on the command line or in the project "
            "file's `rules`), or pass --allow-outside-root",
        )

    def namespace(self, path: Path) -> str:
        """Whose names a file (resolved) declares: the shipped pack's (`@pack`), or the user's
        (""), however many rule roots the user gave."""
        return PACK if path.is_relative_to(self.pack) else ""

    def load_file(self, path: Path, via: SourceSpan | None = None) -> str | None:
        """Read one file (once); returns its display path, or None if it failed."""
        if path in self.loading:
            chain = " -> ".join(self.shown(p) for p in self.loading[self.loading.index(path) :] + [path])
            self.errors.append(
                Diagnostic(
                    "E207",
                    f"`use` goes round in a cycle: {chain}",
                    via,
                    "move what both files need into a third file they both use",
                )
            )
            return None
        if path in self.seen:
            return self.seen[path]
        if self.full:
            return None
        shown = self.shown(path)
        self.seen[path] = shown
        if path in self.texts:
            return self._given(path, shown)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.errors.append(
                    Diagnostic(
                        "E402",
                        f"{shown} is larger than {MAX_FILE_BYTES} bytes",
                        via,
                        "split it into several files",
                    )
                )
                return None
            data = path.read_bytes()
        except OSError as err:
            self.errors.append(Diagnostic("E202", f"cannot read {shown}: {err.strerror}", via))
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            self.errors.append(self._not_utf8(shown, data, err))
            return None
        self.result.read.append(str(path))
        return self._given(path, shown, text)

    def _given(self, path: Path, shown: str, text: str | None = None) -> str:
        """Read a file's text (read from disk, or given to load_texts) as the file `shown`."""
        self.result.roots[shown] = self.namespace(path)
        self.loading.append(path)
        try:
            return self._read(path, shown, self.texts[path] if text is None else text)
        finally:
            self.loading.pop()

    def _not_utf8(self, shown: str, data: bytes, err: UnicodeDecodeError) -> Diagnostic:
        """E202 for a file that is not UTF-8, at its first bad byte: the byte offset in the
        message, and a span (over the text decoded with U+FFFD for bad bytes) so that the
        line and column are shown too."""
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # the whole file is another encoding
            return Diagnostic(
                "E202",
                f"cannot read {shown}: it is UTF-16 (it starts with a UTF-16 byte-order mark)",
                None,
                "save the file as UTF-8 (e.g. iconv -f utf-16 -t utf-8)",
            )
        at = err.start
        self.result.sources[shown] = SourceFile(shown, data.decode("utf-8", "replace"))
        offset = len(data[:at].decode("utf-8")) - (1 if data.startswith(BOM.encode()) else 0)
        return Diagnostic(
            "E202",
            f"cannot read {shown}: not valid UTF-8 (byte 0x{data[at]:02x} at byte offset {at})",
            SourceSpan(shown, offset, offset + 1),
            "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        )

    def _read(self, path: Path, shown: str, text: str) -> str:
        """Parse one file's text and add what it holds."""
        source = SourceFile(shown, text)  # without a byte-order mark: offsets count after it
        self.result.sources[shown] = source
        try:
            if path.suffix == ".ie":
                if not self._count(shown, [m.span(1) for m in _RULE_START.finditer(source.text)]):
                    return shown
                from ie_dsl.language.parser import parse_file_recovering  # Lark loads only when parsing

                rule_file, problems = parse_file_recovering(lf_lines(source.text), shown)
                self.errors.extend(problems)
                self._add_rule_file(rule_file, path)
            else:
                self._load_yaml(source, path)
        except IEDslError as err:
            self.errors.extend(err.diagnostics)
        return shown

    def _count(self, shown: str, names: list[tuple[int, int]]) -> bool:
        """Count a file's rules (the spans of their names) before they are parsed. Past
        MAX_RULES, E405 is given at the first rule too many and False returned: that file
        and every later one are left unread, since the rule set is refused anyway and
        parsing 100,000 rules to say so would take minutes."""
        if self.rules + len(names) <= MAX_RULES:
            self.rules += len(names)
            return True
        start, end = names[MAX_RULES - self.rules]
        self.errors.append(
            Diagnostic(
                "E405",
                f"more than {MAX_RULES} rules: this is rule {MAX_RULES + 1}",
                SourceSpan(shown, start, max(end, start + 1)),
                f"at most {MAX_RULES} rules are compiled at once: run several rule sets, or put "
                "long lists of words in a lexicon",
            )
        )
        self.full = True
        return False

    def _load_yaml(self, source: SourceFile, path: Path) -> None:
        data = load_yaml(source)
        if isinstance(data, LocDict) and "cases" in data:  # given by name: directories skip them
            self.errors.append(
                Diagnostic(
                    "E203",
                    "this is a fixture file (it has `cases:`), not rules",
                    span_of(data.where("cases"), source.path),
                    "give it to `iedsl test` after the rules, or list it under `fixtures` in the "
                    "project file",
                )
            )
        elif isinstance(data, LocDict) and "entries" in data:
            lexicon, diags = load_lexicon(data, source)
            self._sort(diags)
            if lexicon is not None:
                self.result.lexicons.append(lexicon)
        elif isinstance(data, LocDict) and ({"rules", "define", "use", "declare"} & data.keys()):
            raw = data.get("rules")
            if isinstance(raw, LocList):  # counted before any pattern is parsed
                spans = [span_of(node, source.path) for node in raw.nodes]
                if not self._count(source.path, [(sp.start, sp.end) for sp in spans]):
                    return
            self._add_rule_file(yaml_rule_file(data, source, self.errors), path)
        else:
            self.errors.append(
                Diagnostic(
                    "E203",
                    "YAML file is neither a rule file nor a lexicon",
                    SourceSpan(source.path, 0, 1),
                    "a rule file has `rules:` (and `use:`/`define:`); a lexicon has `type:` and `entries:`",
                )
            )

    def _sort(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            (self.result.warnings if d.severity == "warning" else self.errors).append(d)

    def _add_rule_file(self, rule_file: n.RuleFile, path: Path) -> None:
        self.result.files.append(rule_file)
        used: list[str] = []
        for use in rule_file.uses:
            if is_pack(use.path):
                try:
                    target = pack_path(use.path).resolve()
                except ValueError:
                    self.errors.append(
                        Diagnostic(
                            "E204",
                            f"`use` leaves the shipped pack: {use.path}",
                            use.span,
                            "name a file inside it: @pack/lexicons/places.yaml",
                        )
                    )
                    continue
            else:
                target = (path.parent / use.path).resolve()
            if not self.inside(target):
                self.errors.append(
                    Diagnostic(
                        "E204",
                        f"`use` reaches outside the rule root: {use.path}",
                        use.span,
                        "keep used files inside the rules directory, give their directory as a rule "
                        "path too, or use a file of the shipped pack as @pack/FILE",
                    )
                )
                continue
            if target not in self.texts and not target.is_file():
                self.errors.append(
                    Diagnostic(
                        "E205",
                        f"used file is {_kind(target)}, not a regular file: {use.path}"
                        if target.exists()
                        else f"used file not found: {use.path}",
                        use.span,
                        f"looked for {self.shown(target)}",
                    )
                )
                continue
            shown = self.load_file(target, use.span)
            if shown is not None:
                used.append(shown)
                self.result.use_sites.setdefault((rule_file.path, shown), use.span)
        self.result.imports[rule_file.path] = used


def load_rules(paths: Iterable[str | Path], allow_outside_root: bool = False) -> RuleSet:
    """Read every rule file and lexicon under `paths` (and what they `use`). A `use` may
    reach outside the given paths and the shipped pack (symbolic links resolved) only with
    `allow_outside_root`. `@pack` (and `@pack/FILE`) among `paths` names the shipped pack.

    Files that cannot be read or parsed are left out and their problems listed in
    `RuleSet.errors`, so that checking can still report what is wrong elsewhere.
    """
    loader = _Loader()
    loader.anywhere = allow_outside_root
    paths = [Path(p) for p in with_pack(paths)]
    # every given path is a root before any file is read, so order on the command line
    # does not decide what a `use` may reach
    loader.roots = [p.resolve() if p.is_dir() else p.resolve().parent for p in paths]
    for p in paths:
        loader.load_path(p)
    loader.result.errors = [_within(d, loader.result.sources) for d in loader.errors]
    return loader.result


def load_texts(texts: Mapping[str, str]) -> RuleSet:
    """Rule files and lexicons given as text, name -> text (`{"main.ie": "rule r: ORG said\\n",
    "orgs.yaml": "type: ORG\\nentries: [CSTO]\\n"}`), read as load_rules reads a directory
    holding them: in name order, the same diagnostics, spans naming the files as given. A `use`
    names another of them (relative to the file that says it) or a file of the shipped pack
    (`@pack/FILE`, read from disk); nothing else is read, nothing is written. Raises ValueError
    for a name that is no rule file or lexicon (.ie, .yaml, .yml) or that leaves the names' root."""
    loader = _Loader()
    loader.roots = [_GIVEN]
    for name, text in texts.items():
        path = (_GIVEN / name).resolve()
        if path.suffix not in RULE_SUFFIXES or not path.is_relative_to(_GIVEN) or path == _GIVEN:
            raise ValueError(f"not a rule file or lexicon name: {name!r} (.ie, .yaml, .yml)")
        loader.texts[path] = text
    for path in sorted(loader.texts):
        loader.load_file(path)
    loader.result.errors = [_within(d, loader.result.sources) for d in loader.errors]
    return loader.result


def read_sources(diags: Iterable[Diagnostic]) -> dict[str, SourceFile]:
    """The files the diagnostics point into, read back from disk as the loader read them
    (their bytes, bad UTF-8 as U+FFFD), so that every one is shown with line:col and caret."""
    sources: dict[str, SourceFile] = {}
    for d in diags:
        if d.span and d.span.file not in sources:
            try:
                text = Path(d.span.file).read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            sources[d.span.file] = SourceFile(d.span.file, text)
    return sources


def _kind(path: Path) -> str:
    """What a path that is not a regular file or a directory is, in words."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a special file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"


def _within(diag: Diagnostic, sources: dict[str, SourceFile]) -> Diagnostic:
    """A syntax error found at the end of a file (or of a YAML pattern) points at its last
    character, not past it."""
    src = sources.get(diag.span.file) if diag.span else None
    if src is None or diag.span is None or diag.span.end <= len(src.text):
        return diag
    end = len(src.text)
    start = min(diag.span.start, max(0, end - 1))
    return dataclasses.replace(diag, span=SourceSpan(diag.span.file, start, end))
