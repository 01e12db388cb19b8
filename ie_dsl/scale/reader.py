"""Inputs -> Documents: files, directories, globs, `-` for stdin, and JSONL documents.

A `.jsonl` (`.jsonl.gz`, `.ndjson`) file, or stdin whose first non-blank line starts with
`{`, holds one JSON object per line with `text` (and optionally `id`, `date`, ...).
Anything else is one document of UTF-8 text.

Every input is either read or reported as a `Problem` (where, what class, why) through a
callback, and reading goes on: one bad line or file never costs the others. The policy:

- Text is UTF-8 (a leading BOM is dropped). Invalid UTF-8 and lone surrogates (which JSON
  can smuggle in as `"\\ud800"`) are errors by default; with `encoding_errors="replace"`
  each bad sequence becomes U+FFFD and the document is processed (offsets then count
  characters of the decoded text). A lone surrogate becomes one U+FFFD, so offsets of the
  rest of the text do not move.
- A file with a NUL byte is binary and always refused; so is UTF-16 (named as such), a
  text file or a JSONL file alike.
- A JSONL object with the same key twice (at any depth) is refused: which value is meant
  is ambiguous, and json.loads would silently keep the last.
- An empty file is a document with no statements, not an error; blank JSONL lines are skipped.
- A document (a text file, or a JSONL line) over `max_doc_bytes` is refused without being
  read into memory; 0 means no limit.
- Expanded inputs are sorted and de-duplicated, so the order of the arguments does not
  change the output; the lines of a JSONL file keep their order.
"""

from __future__ import annotations

import email.utils
import glob
import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
DEFAULT_MAX_DOC_BYTES = 50_000_000
ENCODING_ERRORS = ("strict", "replace")
STDIN = "<stdin>"

_SURROGATE = re.compile("[\ud800-\udfff]")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)b?\s*$", re.IGNORECASE)
_CHUNK = 1 << 20  # how much of an over-long JSONL line is read at a time while skipping it


@dataclass(frozen=True)
class Document:
    """One document: its id (the path for a text file), text, and the other JSONL fields.

    `source` and `line` say where it came from (`line` only for JSONL), for error reports.
    """

    id: str
    text: str
    meta: dict[str, object] = field(default_factory=dict)
    source: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Problem:
    """An input that could not be processed.

    `kind` is one of: missing, unreadable, binary, encoding, too_large, json, not_object,
    text, id (reading) and timeout, internal (set by the runner).
    `line` and `offset` (the line's first byte, uncompressed) are set for JSONL lines.
    """

    source: str
    kind: str
    reason: str
    line: int | None = None
    offset: int | None = None
    doc: str | None = None

    @property
    def where(self) -> str:
        """`path:line`, or `path` for a whole file; then the document's id if it says more."""
        place = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{place} ({self.doc})" if self.doc and self.doc not in (place, self.source) else place

    def record(self) -> dict[str, Any]:
        """The problem as one JSON object of an errors file."""
        return {
            "source": self.source,
            "line": self.line,
            "offset": self.offset,
            "doc": self.doc,
            "kind": self.kind,
            "reason": self.reason,
        }


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def date_of(doc: Document, default: date | None) -> tuple[date | None, str | None]:
    """What a document's relative dates count from: its own `date`, else `default`; a `date`
    that cannot be read gives None and a note saying so (worth a note, not the document)."""
    try:
        return document_date(doc) or default, None
    except ValueError as exc:
        where = f"{doc.source}:{doc.line}" if doc.line else doc.source
        return None, f"{where}: {exc}; dates then count from a dateline, if any"


def document_date(doc: Document) -> date | None:
    """The `date` field of a JSONL document as a date, or None if it has none.

    Read: ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`: the date part), Reuters'
    `26-FEB-1987 15:02:20.00`, and e-mail dates (`Thu, 26 Feb 1987 15:02:20 +0000`). Month
    names are matched here, not through the locale, so every machine reads them alike.
    Raises ValueError for a `date` that is none of these.
    """
    value = doc.meta.get("date")
    if value is None:
        return None
    text = str(value).strip()
    try:
        if m := re.match(r"(\d{4})-(\d{2})-(\d{2})", text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if (m := re.match(r"(\d{1,2})[- ]([A-Za-z]{3})[a-z]*[- ](\d{4})", text)) and m[2].lower() in _MONTHS:
            return date(int(m[3]), _MONTHS.index(m[2].lower()) + 1, int(m[1]))
        if parsed := email.utils.parsedate_tz(text):
            return date(parsed[0], parsed[1], parsed[2])
    except (ValueError, OverflowError):
        pass
    raise ValueError(f"`date` {text[:40]!r} is not a date iedsl reads (use YYYY-MM-DD)")


ErrorSink = Callable[[str, str], None]  # (where, reason): the simple callback of read_documents
ProblemSink = Callable[[Problem], None]


@dataclass(frozen=True)
class ReadOptions:
    """How to treat bad text: `encoding_errors` strict | replace; `max_doc_bytes` (0: no limit)."""

    encoding_errors: str = "strict"
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES


def parse_size(text: str) -> int:
    """'50M', '200MB', '1g', '65536', '0' -> bytes (K, M, G are powers of 1000). Raises ValueError."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. 50M, 1G or a number of bytes)")
    return int(m.group(1)) * 1000 ** " kmg".index(m.group(2).lower() or " ")


def _is_jsonl(path: str) -> bool:
    return path.endswith(JSONL_SUFFIXES)


def _display(path: str) -> str:
    """A path as an id: bytes of a file name that are not UTF-8 become U+FFFD, so the id can
    be written out (os gives them as lone surrogates, which UTF-8 cannot encode)."""
    return os.fsencode(path).decode("utf-8", "replace") if _SURROGATE.search(path) else path


def _normal(path: str) -> str:
    # Two spellings of one file ("./a.txt", "a.txt") read it once under one id; `..` is
    # left alone because collapsing it through a symlink could name another file.
    return path if ".." in path.split(os.sep) else os.path.normpath(path)


def expand_inputs(inputs: Iterable[str], on_problem: ProblemSink | None = None) -> list[str]:
    """Input arguments -> sorted, de-duplicated file paths (and `-`).

    A directory gives its files with a known suffix (symlinked directories are not
    followed, so there are no loops); a glob gives the files it matches (directories among
    them are ignored). A directory or glob that gives no file is a `missing` problem. A
    plain path is kept as it is, existing or not: reading reports it.
    """
    found: set[str] = set()
    for item in inputs:
        if item == "-":
            found.add(item)
            continue
        if os.path.isdir(item):
            files = [
                os.path.join(root, name)
                for root, _dirs, names in os.walk(item)
                for name in names
                if name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES) and os.path.isfile(os.path.join(root, name))
            ]
            what = f"no {', '.join(TEXT_SUFFIXES + JSONL_SUFFIXES)} files in this directory"
        elif any(ch in item for ch in "*?[") and not os.path.exists(item):
            files = [p for p in glob.glob(item, recursive=True) if os.path.isfile(p)]
            what = "no files match this pattern"
        else:
            files, what = [item], ""
        if not files and on_problem is not None:
            on_problem(Problem(_display(item), "missing", what))
        found.update(_normal(f) for f in files)
    # Plain code-point order: the same on every machine and locale.
    return sorted(found)


def read_documents(
    inputs: Iterable[str],
    on_error: ErrorSink,
    *,
    encoding_errors: str = "strict",
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES,
) -> Iterator[Document]:
    """Every document named by `inputs`, in sorted input order; problems go to `on_error(where, reason)`."""

    def sink(problem: Problem) -> None:
        on_error(problem.where, problem.reason)

    options = ReadOptions(encoding_errors, max_doc_bytes)
    yield from read_paths(expand_inputs(inputs, sink), sink, options)


def read_paths(paths: Iterable[str], on_problem: ProblemSink, options: ReadOptions) -> Iterator[Document]:
    """Documents of already expanded `paths` (see expand_inputs), in that order."""
    if options.encoding_errors not in ENCODING_ERRORS:
        raise ValueError(f"encoding_errors must be one of {ENCODING_ERRORS}")
    for path in paths:
        if path == "-":
            yield from _read_stdin(on_problem, options)
        elif _is_jsonl(path):
            yield from _read_jsonl_file(path, on_problem, options)
        else:
            yield from _read_text_file(path, on_problem, options)


def _read_text_file(path: str, on_problem: ProblemSink, options: ReadOptions) -> Iterator[Document]:
    limit, name = options.max_doc_bytes, _display(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if limit and size > limit:  # refused before reading: a 200 MB file costs nothing
                on_problem(Problem(name, "too_large", _too_large(size, limit)))
                return
            # A bounded read also covers pipes and devices, whose size fstat does not know.
            data = fh.read(limit + 1) if limit else fh.read()
    except OSError as exc:
        on_problem(_os_problem(name, exc))
        return
    if limit and len(data) > limit:
        on_problem(Problem(name, "too_large", _too_large(None, limit)))
        return
    text = _decode_text(data, name, on_problem, options)
    del data  # not held while the document is matched: a big file would count twice
    if text is not None:
        yield Document(name, text, source=name)


def _read_jsonl_file(path: str, on_problem: ProblemSink, options: ReadOptions) -> Iterator[Document]:
    lines, name = _Lines(), _display(path)
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as fh:
            yield from _jsonl_docs(fh, name, on_problem, options, lines)
    except (OSError, EOFError, zlib.error) as exc:
        # A truncated or corrupt .gz fails part-way: the lines before stay processed.
        if lines.number:
            reason = f"cannot read past line {lines.number}: {_os_reason(exc)}"
            on_problem(Problem(name, "unreadable", reason, lines.number + 1, lines.offset))
        else:
            on_problem(_os_problem(name, exc))


def _read_stdin(on_problem: ProblemSink, options: ReadOptions) -> Iterator[Document]:
    if sys.stdin is None:  # the process started with fd 0 closed (`<&-`)
        on_problem(Problem(STDIN, "unreadable", "stdin is closed"))
        return
    stream = sys.stdin.buffer
    limit = options.max_doc_bytes
    head: list[bytes] = []
    while True:  # look at the first non-blank line to tell JSONL from text
        line = stream.readline(limit + 1 if limit else -1)
        head.append(line)
        if not line or line.strip():
            break
    if line.lstrip()[:1] == b"{":
        yield from _jsonl_docs(_Pushback(head, stream), STDIN, on_problem, options, _Lines())
        return
    data = b"".join(head)
    data += stream.read(limit + 1 - len(data)) if limit else stream.read()
    if limit and len(data) > limit:
        on_problem(Problem(STDIN, "too_large", _too_large(None, limit)))
        return
    text = _decode_text(data, STDIN, on_problem, options)
    del data, head
    if text is not None:
        yield Document(STDIN, text, source=STDIN)


class _Pushback:
    """A binary stream with some lines already read put back in front."""

    def __init__(self, head: list[bytes], stream: IO[bytes]):
        self.head = head
        self.stream = stream

    def readline(self, size: int = -1) -> bytes:
        return self.head.pop(0) if self.head else self.stream.readline(size)


@dataclass
class _Lines:
    """How far a JSONL reader got: lines read and the byte offset after them."""

    number: int = 0
    offset: int = 0


def _jsonl_docs(
    fh: Any, source: str, on_problem: ProblemSink, options: ReadOptions, lines: _Lines
) -> Iterator[Document]:
    limit = options.max_doc_bytes
    while True:
        raw = fh.readline(limit + 1) if limit else fh.readline()
        if not raw:
            return
        lines.number += 1
        start = lines.offset
        lines.offset += len(raw)
        where = (source, lines.number, start)
        if lines.number == 1 and (utf16 := _utf16(raw)):
            # Not UTF-8 at all: every line would fail (and the NUL after each newline makes a
            # line of its own), so the file is reported once, as a UTF-16 text file is.
            on_problem(Problem(source, "encoding", utf16))
            return
        if limit and len(raw) > limit and not raw.endswith(b"\n"):
            size = len(raw)
            while not raw.endswith(b"\n"):  # skip the rest of the line, a chunk at a time
                raw = fh.readline(_CHUNK)
                if not raw:
                    break
                size += len(raw)
                lines.offset += len(raw)
            on_problem(Problem(source, "too_large", _too_large(size, limit), lines.number, start))
            continue
        if not raw.strip():
            continue
        if lines.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a BOM: json.loads would refuse it
        doc = _jsonl_doc(raw, where, on_problem, options)
        raw = b""  # not held while the document is matched
        if doc is not None:
            yield doc


def _jsonl_doc(
    raw: bytes, where: tuple[str, int, int], on_problem: ProblemSink, options: ReadOptions
) -> Document | None:
    source, number, offset = where

    def problem(kind: str, reason: str) -> None:
        on_problem(Problem(source, kind, reason, number, offset))

    try:
        line = raw.decode("utf-8", errors=options.encoding_errors)
    except UnicodeDecodeError as exc:
        problem("encoding", f"invalid UTF-8 at byte offset {exc.start} of the line{_HINT}")
        return None
    try:
        # strict=False: a raw tab or CR inside a string is unambiguous, so it is accepted.
        obj = json.loads(line, strict=False, object_pairs_hook=_object)
    except _DuplicateKey as exc:
        problem("json", f"the key {exc.key!r} appears twice in an object: which value is meant is ambiguous")
        return None
    except json.JSONDecodeError as exc:
        problem("json", f"not valid JSON ({exc.msg}, column {exc.colno})")
        return None
    except RecursionError:  # [[[[... 100,000 deep
        problem("json", "not valid JSON here (nested too deeply)")
        return None
    except ValueError as exc:  # e.g. a 5,000-digit number
        problem("json", f"not valid JSON here ({str(exc).split(':')[0][:100]})")
        return None
    if not isinstance(obj, dict):
        problem("not_object", f"a JSONL line must be an object, not {_json_type(obj)}")
        return None
    text = obj.get("text")
    if not isinstance(text, str):
        reason = (
            "no `text` field" if "text" not in obj else f"`text` must be a string, not {_json_type(text)}"
        )
        problem("text", reason)
        return None
    raw_id = obj.get("id")
    if raw_id is None:
        doc_id = f"{source}:{number}"
    elif isinstance(raw_id, str) or (isinstance(raw_id, int) and not isinstance(raw_id, bool)):
        doc_id = str(raw_id)
    else:
        problem("id", f"`id` must be a string or an integer, not {_json_type(raw_id)}")
        return None
    if options.encoding_errors == "strict":
        for name, value in (("id", doc_id), ("text", text)):
            bad = _SURROGATE.search(value)
            if bad is not None:
                code = f"U+{ord(bad.group()):04X}"
                problem("encoding", f"`{name}` has a lone surrogate {code} at character {bad.start()}{_HINT}")
                return None
    else:  # one character for one: the offsets of the rest of the text stay right
        doc_id, text = _SURROGATE.sub("\ufffd", doc_id), _SURROGATE.sub("\ufffd", text)
    meta = {k: v for k, v in obj.items() if k not in ("id", "text")}
    return Document(doc_id, text, meta, source=source, line=number)


_HINT = " (--encoding-errors replace reads it with U+FFFD)"


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs -> dict, refusing a key given twice (raises _DuplicateKey)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


_UTF16_REASON = "UTF-16 text ({}): iedsl reads UTF-8"


def _utf16(data: bytes) -> str | None:
    """Why `data` (the start of a file) is UTF-16, or None: a byte-order mark, or, for JSON,
    whose first character is ASCII, a NUL beside it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _UTF16_REASON.format("byte-order mark")
    if data[:2] in (b"{\x00", b"\x00{"):
        return _UTF16_REASON.format("no byte-order mark")
    return None


def _decode_text(data: bytes, source: str, on_problem: ProblemSink, options: ReadOptions) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        on_problem(Problem(source, "encoding", _UTF16_REASON.format("byte-order mark")))
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        on_problem(Problem(source, "binary", f"binary file (NUL byte at offset {nul})"))
        return None
    try:
        return data.decode("utf-8-sig", errors=options.encoding_errors)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        reason = f"invalid UTF-8 at byte offset {exc.start} (line {line}, column {column}){_HINT}"
        on_problem(Problem(source, "encoding", reason))
        return None


def _too_large(size: int | None, limit: int) -> str:
    what = f"{size:,} bytes" if size is not None else "more bytes"
    return f"too large: {what} over the limit of {limit:,} (raise it with --max-doc-bytes)"


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _os_problem(path: str, exc: OSError | EOFError | zlib.error) -> Problem:
    missing = isinstance(exc, FileNotFoundError)
    return Problem(path, "missing" if missing else "unreadable", _os_reason(exc))


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
