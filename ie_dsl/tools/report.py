"""One self-contained HTML page showing what rules found in documents, at any scale.

`build_report(book, documents)` takes a compiled `RuleBook` and documents (anything with
`.id` and `.text`, such as `reader.Document`) and returns the page as a string. The page is
a small fixed frame (a bar with the search box, filters, pager and annotation legend; a
document index; an empty area for the documents) and one JSON block with the data, from
which its script renders the matching documents a page at a time and the index a chunk at
a time: 20,000 documents cost what their data costs to parse, not 20,000 rendered cards.
CSS and JS are inline (`report_assets`), nothing is fetched, and a Content-Security-Policy
with the hashes of the page's own style and script forbids anything else, so a hostile
document cannot run code; the script builds every element with textContent.

The data (`Report.data()`): `types` (annotation type names), `src` (labels of the rules and
lexicon entries that made annotations), `kinds` (what annotations are, each once: [type
index, canonical, attributes as text, source index]), `roles`, `page` (documents per page),
`left_out` (documents without statements not kept), `claims` (see `_claims_json`) and per
document `id`, `t` (text), `n` (annotations: [kind index, start, end], by start then longest
first) and `s` (statements: t type, r rule, f file:line, x sentence [start, end], a args
[[role, start, end, annotation index or -1]], and when they apply p polarity, m modality,
w when [ISO value, grain, text, start, end], e other fields).
Offsets are Python character offsets, as in the statements; the script renders the text as
`<span data-o=OFFSET>` pieces cut at every annotation, sentence and argument boundary.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ie_dsl.claims.corroborate import Cluster, corroborate
from ie_dsl.pipeline import RuleBook
from ie_dsl.run.runtime import Annotation, DocView, annotate
from ie_dsl.text.segment import segment
from ie_dsl.tools.report_assets import BASE_CSS, SCRIPT

# Background and strong colours for annotation types, in order; more types cycle hues.
PALETTE = [
    ("#ffd8a8", "#e8590c"),
    ("#b2f2bb", "#2b8a3e"),
    ("#a5d8ff", "#1971c2"),
    ("#fcc2d7", "#c2255c"),
    ("#d0bfff", "#6741d9"),
    ("#ffec99", "#e67700"),
    ("#96f2d7", "#087f5b"),
    ("#ffc9c9", "#c92a2a"),
    ("#c5f6fa", "#0b7285"),
    ("#d8f5a2", "#5c940d"),
    ("#eebefa", "#9c36b5"),
    ("#dee2e6", "#495057"),
]
KEEP_EMPTY_UP_TO = 200  # past this many documents, those without statements are left out
PAGE_SIZE = 20  # documents rendered at a time
_SURROGATE = re.compile("[\ud800-\udfff]")
_STANDARD_KEYS = frozenset("doc type polarity modality when args span sentence rule overridden_by".split())


class _HasText(Protocol):
    id: str
    text: str


def esc(value: object) -> str:
    """Any value -> text safe inside an HTML element or a quoted attribute."""
    return html.escape(str(value), quote=True)


def colours(index: int) -> tuple[str, str]:
    """(background, strong) colour of the `index`-th type."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 137.508) % 360
    return f"hsl({hue:.0f} 85% 85%)", f"hsl({hue:.0f} 60% 35%)"


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element or open a comment inside it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, sub in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, sub)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _when_json(when: Any) -> list[Any]:
    """A statement's `when` -> [ISO value, grain, text, start, end] (what is known of it)."""
    if not isinstance(when, dict):
        return [str(when)]
    out = [str(when.get("value") or ""), str(when.get("grain") or ""), str(when.get("text") or "")]
    if isinstance(when.get("start"), int) and isinstance(when.get("end"), int):
        out += [when["start"], when["end"]]
    return out


class Report:
    """Collects documents (`add`) and renders the page (`html`).

    Documents without statements are kept while at most `keep_empty_up_to` documents were
    added (all of them with `all_documents`); past that, those kept so far are dropped and
    later ones are not kept, only counted (`left_out`). `document_count` counts every
    document added, `statement_count` every statement.
    """

    def __init__(
        self, book: RuleBook, *, all_documents: bool = False, keep_empty_up_to: int = KEEP_EMPTY_UP_TO
    ):
        self.book = book
        self.all_documents = all_documents
        self.keep_empty_up_to = keep_empty_up_to
        program = book.program
        self.ann_types = sorted(set(program.types) | {"NUMBER"})
        self.stmt_types = sorted({cr.rule.output for cr in program.statements})
        self.rule_names = sorted({cr.rule.name for cr in program.statements})
        self.rule_where: dict[str, str] = {}
        for cr in [*program.statements, *(cr for s in program.strata for cr in s)]:
            self.rule_where.setdefault(cr.rule.name, f"{cr.rule.file}:{cr.rule.line}")
        self.sources: list[str] = []  # labels of what made annotations: rule or lexicon entry
        self._source_index: dict[str, int] = {}
        self.kinds: list[list[Any]] = []  # what annotations are: see _ann_json
        self._kind_index: dict[tuple[int, str, str, int], int] = {}
        self.docs: list[dict[str, Any]] = []  # the data of each document kept
        self.document_count = 0
        self.left_out = 0
        self._dropped = False
        self.statement_count = 0
        self.type_counts: dict[str, int] = {}
        self.rule_counts: dict[str, int] = {}
        self.roles: set[str] = set()
        self.statements: list[dict[str, Any]] = []  # every statement added, for `corroborate`
        self._where: dict[tuple, tuple[dict[str, Any], int]] = {}  # statement -> (its document, index)

    @property
    def shown_documents(self) -> int:
        """The number of documents kept (those in the page)."""
        return len(self.docs)

    # ---- per document ------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> int:
        """Run the rules over one document and add it; returns its number of statements."""
        text = _SURROGATE.sub("\ufffd", text)  # same length, so offsets stay right
        statements = self.book.extract(doc_id, text)
        if not self._keeps(bool(statements)):
            return 0
        view = DocView(doc_id, text, segment(text))
        annotate(self.book.program, view)
        anns = [(ann, *view.char_span(ann.start, ann.end)) for ann in view.annotations.values()]
        return self._add(doc_id, text, statements, anns)

    def add_found(
        self,
        doc_id: str,
        text: str,
        statements: Iterable[dict[str, Any]],
        annotations: Iterable[Annotation] = (),
    ) -> int:
        """Add a document whose statements were found elsewhere (dicts as `iedsl run` writes
        them), with the annotations to highlight (their start and end in characters, not
        tokens); returns its number of statements."""
        text = _SURROGATE.sub("\ufffd", text)
        statements = list(statements)
        if not self._keeps(bool(statements)):
            return 0
        return self._add(doc_id, text, statements, [(a, a.start, a.end) for a in annotations])

    def _keeps(self, has_statements: bool) -> bool:
        """Count a document; False if it is left out (no statements, past the size)."""
        self.document_count += 1
        if not self.all_documents and self.document_count > self.keep_empty_up_to:
            if not self._dropped:  # the size was just passed: drop those kept so far
                self._dropped = True
                kept = [d for d in self.docs if d["s"]]
                self.left_out += len(self.docs) - len(kept)
                self.docs = kept
            if not has_statements:
                self.left_out += 1
                return False
        return True

    def _add(
        self,
        doc_id: str,
        text: str,
        statements: list[dict[str, Any]],
        anns: list[tuple[Annotation, int, int]],
    ) -> int:
        """Keep one document: its statements and its annotations (each with its characters)."""
        by_place: dict[tuple[str, int, int], int] = {}
        found: list[list[Any]] = []
        for ann, cs, ce in sorted(anns, key=lambda x: (x[1], -x[2], x[0].type)):
            by_place[(ann.type, cs, ce)] = len(found)
            found.append(self._ann_json(ann, cs, ce))
        entry = {
            "id": doc_id,
            "t": text,
            "n": found,
            "s": [self._statement_json(st, by_place) for st in statements],
        }
        for i, st in enumerate(statements):
            self._where.setdefault(_statement_key(st), (entry, i))
            self.type_counts[st["type"]] = self.type_counts.get(st["type"], 0) + 1
            self.rule_counts[st["rule"]["name"]] = self.rule_counts.get(st["rule"]["name"], 0) + 1
            self.roles.update(st["args"])
        self.docs.append(entry)
        self.statements.extend(statements)
        self.statement_count += len(statements)
        return len(statements)

    def add_all(
        self, documents: Iterable[_HasText], on_error: Callable[[str, str], None] | None = None
    ) -> list[tuple[str, str]]:
        """`add` each document; returns (id, reason) of those whose extraction raised.

        Without `on_error` the first such error propagates; with it, each is reported to
        `on_error(id, reason)` and the document is left out.
        """
        skipped: list[tuple[str, str]] = []
        for doc in documents:
            try:
                self.add(doc.id, doc.text)
            except Exception as exc:
                if on_error is None:
                    raise
                skipped.append((doc.id, f"{exc.__class__.__name__}: {exc}"))
                on_error(*skipped[-1])
        return skipped

    def _type_index(self, name: str) -> int:
        if name not in self.ann_types:  # not declared by the program: give it a colour anyway
            self.ann_types.append(name)
        return self.ann_types.index(name)

    def _source_label(self, source: str) -> str:
        kind, _, rest = source.partition(":")
        if kind == "rule":
            return f"rule {rest} ({self.rule_where.get(rest, '?')})"
        if kind == "lexicon":
            path, _, offset = rest.rpartition("@")
            src = self.book.sources.get(path)
            if src is None or not offset.isdigit():
                return f"lexicon entry in {path}"
            line, _col = src.line_col(int(offset))
            return f"lexicon entry “{src.line_text(line).strip()}” ({path}:{line})"
        if kind == "builtin":
            return f"built-in {rest}"
        return source

    def _source_id(self, source: str) -> int:
        got = self._source_index.get(source)
        if got is None:
            got = self._source_index[source] = len(self.sources)
            self.sources.append(self._source_label(source))
        return got

    def _ann_json(self, ann: Annotation, start: int, end: int) -> list[int]:
        """[kind index, start, end]; a kind is [type index, canonical, attrs as text, source
        index], kept once for all the annotations that share it (a lexicon entry's matches)."""
        attrs = "; ".join(f"{k}={v}" for k, v in ann.attrs)
        if ann.value is not None:
            attrs = f"value={ann.value}" + (f"; {attrs}" if attrs else "")
        kind = (self._type_index(ann.type), ann.canonical or "", attrs, self._source_id(ann.source))
        got = self._kind_index.get(kind)
        if got is None:
            got = self._kind_index[kind] = len(self.kinds)
            self.kinds.append(list(kind))
        return [got, start, end]

    def _statement_json(self, st: dict[str, Any], by_place: dict[tuple[str, int, int], int]) -> dict:
        """A statement as the page's data holds it (see the module docstring)."""
        args = []
        for role, arg in st["args"].items():
            ann = by_place.get((arg.get("type", ""), arg["start"], arg["end"]), -1)
            args.append([role, arg["start"], arg["end"], ann])
        rule, sent = st["rule"], st["sentence"]
        out: dict[str, Any] = {
            "t": st["type"],
            "r": rule["name"],
            "f": f"{rule['file']}:{rule['line']}",
            "x": [sent["start"], sent["end"]],
            "a": args,
        }
        if st.get("polarity", "positive") != "positive":
            out["p"] = st["polarity"]
        if st.get("modality"):
            out["m"] = str(st["modality"])
        if st.get("when") is not None:
            out["w"] = _when_json(st["when"])
        extra = [(k, v) for k, v in st.items() if k not in _STANDARD_KEYS]
        if extra:
            out["e"] = ", ".join(
                f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}" for k, v in extra
            )
        return out

    # ---- the page ----------------------------------------------------------------------

    def data(self, clusters: list[Cluster] | None = None) -> dict[str, Any]:
        """What the page's script reads (see the module docstring)."""
        return {
            "types": self.ann_types,
            "src": self.sources,
            "kinds": self.kinds,
            "roles": sorted(self.roles),
            "page": PAGE_SIZE,
            "left_out": self.left_out,
            "docs": self.docs,
            "claims": None if clusters is None else self._claims_json(clusters),
        }

    def html(
        self,
        title: str = "iedsl report",
        problems: Iterable[tuple[str, str]] = (),
        clusters: Iterable[Cluster] | None = None,
    ) -> str:
        """The whole page; `problems` are (where, reason) of documents that were skipped.

        With `clusters` (from `corroborate.corroborate(report.statements)`, filtered as the
        caller likes) the page starts with a section listing those claims, a few statements
        of each (a click selects the statement in its document) and their contradictions.
        """
        clusters = None if clusters is None else list(clusters)
        css = self._css()
        csp = (
            f"default-src 'none'; style-src {_sha256(css)}; script-src {_sha256(SCRIPT)}; "
            "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"
        )
        legend = "".join(
            f'<button type="button" class="key t{k}" data-t="{k}" title="show or hide {esc(name)}">'
            f"{esc(name)}</button>"
            for k, name in enumerate(self.ann_types)
        )
        kinds = "".join(
            f'<label class="badge s{k % len(PALETTE)}"><input type="checkbox" value="{esc(t)}" checked> '
            f"{esc(t)} <span class=n>{self.type_counts.get(t, 0)}</span></label>"
            for k, t in enumerate(sorted(set(self.stmt_types) | set(self.type_counts)))
        )
        rules = "".join(
            f'<option value="{esc(r)}">{esc(r)} ({self.rule_counts.get(r, 0)})</option>'
            for r in sorted(set(self.rule_names) | set(self.rule_counts))
        )
        problem_list = "".join(f"<li>{esc(w)}: {esc(r)}</li>" for w, r in problems)
        left = (
            f'; <span id="left-out">{self.left_out} documents without statements left out'
            " (<code>iedsl show --all-documents</code> keeps them)</span>"
            if self.left_out
            else ""
        )
        claims = ""
        if clusters is not None:
            claims = (
                '<section class="claims" id="claims"><details open><summary>Claims across documents '
                f'<span class="muted">{len(clusters)} clusters</span></summary><ol class="clusters"></ol>'
                '<button type="button" class="more" id="claims-more" hidden></button></details></section>'
            )
        return (
            "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">'
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{css}</style></head><body>"
            f'<header id="bar"><h1>{esc(title)}</h1><span class="summary"><span id="shown">'
            f'{self.statement_count}</span> of {self.statement_count} statements in <span id="ndocs">'
            f"{len(self.docs)}</span> of {len(self.docs)} documents{left}"
            + (f' · <a href="#claims">{len(clusters)} claim clusters</a>' if clusters is not None else "")
            + "</span>"
            '<div class="filters"><input type="search" id="q" placeholder="search: words, type:warn, '
            'source:Syria" aria-label="search" autocomplete="off">'
            f'<span id="f-types">{kinds}</span>'
            f'<select id="f-rule" aria-label="rule"><option value="">all rules</option>{rules}</select>'
            '<label><input type="checkbox" id="f-only"> only documents with statements</label>'
            '<span class="pager"><button type="button" id="prev" aria-label="previous page">‹</button>'
            '<span id="pos"></span><button type="button" id="next" aria-label="next page">›</button></span>'
            '</div><div class="legend"><span class="lab">Annotations</span>'
            f"{legend}</div></header>"
            + (f'<ul class="problems">{problem_list}</ul>' if problem_list else "")
            + '<div id="layout"><nav id="index" aria-label="documents"><h2>Documents</h2>'
            '<ol id="index-list"></ol><button type="button" class="more" id="index-more" hidden></button>'
            "</nav>"
            f'<main>{claims}<div id="docs"></div><p class="none" id="nothing" hidden>No documents match.</p>'
            '</main></div><div id="tip" role="tooltip" hidden></div><script type="application/json"'
            f' id="iedsl-data">{_json_for_script(self.data(clusters))}</script><script>{SCRIPT}</script>'
            "</body></html>\n"
        )

    def _claims_json(self, clusters: list[Cluster]) -> list[dict[str, Any]]:
        """Per cluster: id, n documents, h holder, p polarity, k stances, c claim [[label,
        text]], w when, m members and x contradictions: each [document number, statement
        index] (with the kind for a contradiction), or, for a statement not in the page, an
        object {d: document, t: type, p: polarity, x: sentence, k: kind}."""
        numbers = {id(d): n for n, d in enumerate(self.docs)}

        def evidence(ev: dict[str, Any], kind: str | None) -> Any:
            where = self._where.get(_statement_key(ev))
            if where is not None and id(where[0]) in numbers:
                found: list[Any] = [numbers[id(where[0])], where[1]]
                return found + [kind] if kind else found
            text = (ev.get("sentence") or {}).get("text", "")
            out = {"d": str(ev.get("doc")), "t": ev.get("type"), "p": ev.get("polarity"), "x": text}
            return {**out, "k": kind} if kind else out

        out = []
        for c in clusters:
            parts = (("about", c.threats), ("from", c.sources), ("to", c.targets))
            out.append(
                {
                    "id": c.id,
                    "n": c.documents,
                    "h": c.holder or "(no holder)",
                    "p": c.polarity,
                    "k": ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in c.stances.items()),
                    "c": [[label, " | ".join(v)] for label, v in parts if v],
                    "w": c.when,
                    "m": [evidence(ev, None) for ev in c.statements],
                    "x": [evidence(ev, ev["kind"]) for ev in c.contradictions],
                }
            )
        return out

    def _css(self) -> str:
        rules = [BASE_CSS]
        for k in range(len(self.ann_types)):
            bg, strong = colours(k)
            rules.append(f".t{k}{{background:{bg};box-shadow:inset 0 -1px 0 {strong}}}")
            rules.append(f".off-{k} .text .t{k}{{background:none;box-shadow:none}}")
            rules.append(f".key.t{k}{{border-color:{strong}}}")
        for k in range(len(self.ann_types)):
            rules.append(f".text .u{k}{{box-shadow:inset 0 -3px 0 {colours(k)[1]}}}")
        for k, (_bg, strong) in enumerate(PALETTE):
            rules.append(f".s{k}{{background:{strong};color:#fff}}")
        return "\n".join(rules)


def _statement_key(st: dict[str, Any]) -> tuple:
    span, rule = st.get("span") or {}, st.get("rule") or {}
    return st.get("doc"), span.get("start"), span.get("end"), st.get("type"), rule.get("name")


def build_report(
    book: RuleBook,
    documents: Iterable[_HasText],
    *,
    title: str = "iedsl report",
    problems: Iterable[tuple[str, str]] = (),
    on_error: Callable[[str, str], None] | None = None,
    claims: bool = False,
    all_documents: bool = False,
) -> str:
    """Rules run over `documents` (objects with `.id` and `.text`) -> one HTML page.

    `problems` ((where, reason) pairs, read once all documents are in, so the reader's
    error list can be passed) are listed at the top. With `on_error`, a document whose
    extraction raises is reported to it, listed, and left out; without, the error propagates.
    With `claims`, the page starts with the claims found in more than one document
    (`corroborate`), their statements and contradictions. Past KEEP_EMPTY_UP_TO documents,
    those without statements are left out unless `all_documents`.
    """
    report = Report(book, all_documents=all_documents)
    skipped = report.add_all(documents, on_error)
    found = corroborate(report.statements, schema=book.program.schema) if claims else None
    clusters = [c for c in found if c.documents > 1] if found is not None else None
    return report.html(title, [*problems, *skipped], clusters)  # read now: the reader may have added some
