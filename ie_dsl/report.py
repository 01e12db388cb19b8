"""One self-contained HTML page showing what rules found in documents.

`build_report(book, documents)` takes a compiled `RuleBook` and documents (anything with
`.id` and `.text`, such as `reader.Document`) and returns the page as a string: each
document's text with its annotations highlighted by type, the statements found in it
beside the text, filters by statement type and rule, and hover cards naming the role,
type, canonical name and the rule or lexicon entry behind each argument. CSS and JS are
inline, nothing is fetched, and a Content-Security-Policy with the hashes of the page's
own style and script forbids anything else, so a hostile document cannot run code.

The text is cut at every annotation, sentence and argument boundary into `<span data-o=
OFFSET>` pieces (offsets are Python character offsets), so the script highlights a
sentence or an argument by toggling classes on whole pieces. Per-document data the
script needs (annotations, statements) travels as one JSON block.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ie_dsl.corroborate import Cluster, corroborate
from ie_dsl.pipeline import RuleBook
from ie_dsl.report_assets import BASE_CSS, SCRIPT
from ie_dsl.runtime import Annotation, DocView, annotate
from ie_dsl.text import segment

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
_SURROGATE = re.compile("[\ud800-\udfff]")
_STANDARD_KEYS = {"doc", "type", "polarity", "args", "span", "sentence", "rule", "overridden_by"}


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


class Report:
    """Collects documents (`add`) and renders the page (`html`).

    `statement_count` and `document_count` tell what was added so far.
    """

    def __init__(self, book: RuleBook):
        self.book = book
        program = book.program
        self.ann_types = sorted(set(program.types) | {"NUMBER"})
        self.stmt_types = sorted({cr.rule.output for cr in program.statements})
        self.rule_names = sorted({cr.rule.name for cr in program.statements})
        self.rule_where: dict[str, str] = {}
        for cr in [*program.statements, *(cr for s in program.strata for cr in s)]:
            self.rule_where.setdefault(cr.rule.name, f"{cr.rule.file}:{cr.rule.line}")
        self.sources: list[str] = []  # labels of what made annotations: rule or lexicon entry
        self._source_index: dict[str, int] = {}
        self.docs_json: list[dict[str, Any]] = []
        self.docs_html: list[str] = []
        self.statement_count = 0
        self.type_counts: dict[str, int] = {}
        self.rule_counts: dict[str, int] = {}
        self.statements: list[dict[str, Any]] = []  # every statement added, for `corroborate`
        self._where: dict[tuple, tuple[int, int]] = {}  # statement -> (document, index)

    @property
    def document_count(self) -> int:
        return len(self.docs_html)

    # ---- per document ------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> int:
        """Run the rules over one document and add it; returns its number of statements."""
        text = _SURROGATE.sub("\ufffd", text)  # same length, so offsets stay right
        statements = self.book.extract(doc_id, text)
        view = DocView(doc_id, text, segment(text))
        annotate(self.book.program, view)
        by_place: dict[tuple[str, int, int], int] = {}
        anns: list[tuple[int, int, Annotation]] = []
        for ann in sorted(view.annotations.values(), key=lambda a: (a.start, -a.end, a.type)):
            cs, ce = view.char_span(ann.start, ann.end)
            by_place[(ann.type, cs, ce)] = len(anns)
            anns.append((cs, ce, ann))
        stmts = [self._statement_json(st, by_place) for st in statements]
        cuts: set[int] = set()
        for st in stmts:
            cuts.update(st["x"])
            for arg in st["a"]:
                cuts.update(arg[1:3])
        number = len(self.docs_html)
        for i, st in enumerate(statements):
            self._where.setdefault(_statement_key(st), (number, i))
        self.statements.extend(statements)
        self.docs_json.append({"n": [self._ann_json(a) for _s, _e, a in anns], "s": stmts})
        self.docs_html.append(self._doc_html(number, doc_id, text, anns, cuts, statements, stmts))
        self.statement_count += len(statements)
        for st in statements:
            self.type_counts[st["type"]] = self.type_counts.get(st["type"], 0) + 1
            self.rule_counts[st["rule"]["name"]] = self.rule_counts.get(st["rule"]["name"], 0) + 1
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

    def _ann_json(self, ann: Annotation) -> list[Any]:
        """[type index, canonical, attrs as text, source index]."""
        attrs = "; ".join(f"{k}={v}" for k, v in ann.attrs)
        if ann.value is not None:
            attrs = f"value={ann.value}" + (f"; {attrs}" if attrs else "")
        return [self._type_index(ann.type), ann.canonical or "", attrs, self._source_id(ann.source)]

    def _statement_json(self, st: dict[str, Any], by_place: dict[tuple[str, int, int], int]) -> dict:
        """t type, r rule, f file:line, x sentence [start, end], a args [[role, s, e, ann or -1]]."""
        args = []
        for role, arg in st["args"].items():
            ann = by_place.get((arg.get("type", ""), arg["start"], arg["end"]), -1)
            args.append([role, arg["start"], arg["end"], ann])
        rule = st["rule"]
        sent = st["sentence"]
        return {
            "t": st["type"],
            "r": rule["name"],
            "f": f"{rule['file']}:{rule['line']}",
            "x": [sent["start"], sent["end"]],
            "a": args,
        }

    def _doc_html(
        self,
        number: int,
        doc_id: str,
        text: str,
        anns: list[tuple[int, int, Annotation]],
        cuts: set[int],
        statements: list[dict[str, Any]],
        stmts: list[dict[str, Any]],
    ) -> str:
        out = [
            f'<section class="doc" id="doc-{number}" data-d="{number}">'
            f'<h2><span class="docid">{esc(doc_id)}</span> <span class="count">{len(statements)}</span>'
            f' <span class="muted">of {len(statements)} statements</span></h2><div class="text">',
            _pieces(text, anns, cuts, self._type_index),
            '</div><div class="side">',
        ]
        if not statements:
            out.append('<p class="none">No statements.</p>')
        out.append('<ol class="stmts">')
        for i, (st, js) in enumerate(zip(statements, stmts, strict=True)):
            out.append(self._statement_html(number, i, text, st, js))
        out.append("</ol></div></section>")
        return "".join(out)

    def _statement_html(self, number: int, i: int, text: str, st: dict[str, Any], js: dict) -> str:
        kind = self.stmt_types.index(st["type"]) if st["type"] in self.stmt_types else 0
        parts = [
            f'<li class="st" tabindex="0" data-d="{number}" data-i="{i}" data-type="{esc(st["type"])}"'
            f' data-rule="{esc(js["r"])}"><div class="st-head"><span class="badge s{kind % len(PALETTE)}">'
            f"{esc(st['type'])}</span>"
        ]
        if st.get("polarity", "positive") != "positive":
            parts.append(f' <span class="pol">{esc(st["polarity"])}</span>')
        parts.append(f' <span class="rule">{esc(js["r"])} · {esc(js["f"])}</span></div><div class="args">')
        for k, (role, s, e, _ann) in enumerate(js["a"]):
            t = st["args"][role].get("type")
            cls = f" t{self._type_index(t)}" if t else ""
            parts.append(
                f'<span class="arg{cls}" data-k="{k}" data-s="{s}" data-e="{e}">'
                f'<span class="role">{esc(role)}</span> <span class="val">{esc(text[s:e])}</span></span>'
            )
        extra = [(k, v) for k, v in st.items() if k not in _STANDARD_KEYS]
        if extra:
            fields = ", ".join(f"{k}={v}" for k, v in extra)
            parts.append(f'<span class="fields">{esc(fields)}</span>')
        parts.append("</div></li>")
        return "".join(parts)

    # ---- the page ----------------------------------------------------------------------

    def html(
        self,
        title: str = "iedsl report",
        problems: Iterable[tuple[str, str]] = (),
        clusters: Iterable[Cluster] | None = None,
    ) -> str:
        """The whole page; `problems` are (where, reason) of documents that were skipped.

        With `clusters` (from `corroborate.corroborate(report.statements)`, filtered as the
        caller likes) the page starts with a section listing those claims, their statements
        (a click selects the statement in its document) and their contradictions.
        """
        css = self._css()
        data = {"types": self.ann_types, "src": self.sources, "docs": self.docs_json}
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
            for k, t in enumerate(self.stmt_types)
        )
        rules = "".join(
            f'<option value="{esc(r)}">{esc(r)} ({self.rule_counts.get(r, 0)})</option>'
            for r in self.rule_names
        )
        problem_list = "".join(f"<li>{esc(w)}: {esc(r)}</li>" for w, r in problems)
        body = "".join(self.docs_html) or '<p class="none">No documents.</p>'
        claims = ""
        if clusters is not None:
            clusters = list(clusters)
            claims = f' · <a href="#claims">{len(clusters)} claim clusters</a>'
            body = self._claims_html(clusters) + body
        return (
            "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">'
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{css}</style></head><body>"
            f'<header id="bar"><h1>{esc(title)}</h1><span class="summary"><span id="shown">'
            f"{self.statement_count}</span> of {self.statement_count} statements in "
            f"{self.document_count} documents{claims}</span>"
            f'<div class="filters"><span class="lab">Statements</span><span id="f-types">{kinds}</span>'
            f'<select id="f-rule" aria-label="rule"><option value="">all rules</option>{rules}</select>'
            '<label><input type="checkbox" id="f-only"> only documents with statements</label></div>'
            f'<div class="legend"><span class="lab">Annotations</span>{legend}</div></header>'
            + (f'<ul class="problems">{problem_list}</ul>' if problem_list else "")
            + f'<main>{body}</main><div id="tip" role="tooltip" hidden></div><script type="application/json"'
            f' id="iedsl-data">{_json_for_script(data)}</script><script>{SCRIPT}</script></body></html>\n'
        )

    def _claims_html(self, clusters: list[Cluster]) -> str:
        """The claim-clusters section: one item per cluster, its statements and contradictions."""
        out = [
            '<section class="claims" id="claims"><h2>Claims across documents '
            f'<span class="muted">{len(clusters)} clusters</span></h2><ol class="clusters">'
        ]
        for c in clusters:
            stances = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in c.stances.items())
            pol = "" if c.polarity == "positive" else f' <span class="pol">{esc(c.polarity)}</span>'
            out.append(
                f'<li class="cl" id="{esc(c.id)}"><div class="cl-head"><span class="cl-n">{c.documents}'
                f" document{'s' if c.documents != 1 else ''}</span> <b>{esc(c.holder or '(no holder)')}</b>"
                f'{pol} <span class="muted">{esc(stances)}</span> <span class="rule">{esc(c.id)}</span></div>'
            )
            parts = (("threat", c.threats), ("from", c.sources), ("to", c.targets))
            claim = " · ".join(f'<span class="role">{k}</span> {esc(" | ".join(v))}' for k, v in parts if v)
            out.append(f'<div class="cl-claim">{claim}</div><ul class="cl-ev">')
            out.extend(self._evidence_html(ev, "") for ev in c.statements)
            out.extend(self._evidence_html(ev, f"✗ {ev['kind']}") for ev in c.contradictions)
            out.append("</ul></li>")
        if not clusters:
            out.append('<li class="none">No claims.</li>')
        out.append("</ol></section>")
        return "".join(out)

    def _evidence_html(self, ev: dict[str, Any], contradiction: str) -> str:
        """One statement of a cluster: its document (a link that selects it), type and sentence."""
        where = self._where.get(_statement_key(ev))
        name = esc(str(ev.get("doc")).rsplit("/", 1)[-1])
        if where:
            name = f'<a class="go" href="#doc-{where[0]}" data-go="{where[0]} {where[1]}">{name}</a>'
        kind = self.stmt_types.index(ev["type"]) if ev.get("type") in self.stmt_types else 0
        head = (
            f'<li class="cl-con"><span class="con">{esc(contradiction)}</span> ' if contradiction else "<li>"
        )
        if ev.get("polarity", "positive") != "positive":
            name += f' <span class="pol">{esc(ev["polarity"])}</span>'
        sentence = esc((ev.get("sentence") or {}).get("text", ""))
        badge = f'<span class="badge s{kind % len(PALETTE)}">{esc(ev.get("type"))}</span>'
        return f"{head}{name} {badge} {sentence}</li>"

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


def _pieces(
    text: str, anns: list[tuple[int, int, Annotation]], cuts: set[int], type_index: Callable[[str], int]
) -> str:
    """The text as `<span data-o=OFFSET>` pieces cut at every boundary in `anns` and `cuts`.

    A piece inside annotations lists their indexes in `data-a`, takes the innermost one's
    colour (class tK) and the outermost one's underline (uK) when their types differ.
    """
    size = len(text)
    bounds = {0, size}
    bounds.update(c for c in cuts if 0 < c < size)
    for s, e, _a in anns:
        bounds.update((s, e))
    edges = sorted(bounds)
    out = []
    active: list[int] = []
    nxt = 0
    for a, b in zip(edges, edges[1:], strict=False):
        while nxt < len(anns) and anns[nxt][0] <= a:
            active.append(nxt)
            nxt += 1
        active = [i for i in active if anns[i][1] > a]
        piece = esc(text[a:b])
        if not active:
            out.append(f'<span data-o="{a}">{piece}</span>')
            continue
        inner = min(active, key=lambda i: (anns[i][1] - anns[i][0], -anns[i][0]))
        outer = max(active, key=lambda i: (anns[i][1] - anns[i][0], -anns[i][0]))
        cls = f"a t{type_index(anns[inner][2].type)}"
        if anns[outer][2].type != anns[inner][2].type:
            cls += f" u{type_index(anns[outer][2].type)}"
        ids = " ".join(map(str, active))
        out.append(f'<span data-o="{a}" data-a="{ids}" class="{cls}">{piece}</span>')
    return "".join(out)


def build_report(
    book: RuleBook,
    documents: Iterable[_HasText],
    *,
    title: str = "iedsl report",
    problems: Iterable[tuple[str, str]] = (),
    on_error: Callable[[str, str], None] | None = None,
    claims: bool = False,
) -> str:
    """Rules run over `documents` (objects with `.id` and `.text`) -> one HTML page.

    `problems` ((where, reason) pairs, read once all documents are in, so the reader's
    error list can be passed) are listed at the top. With `on_error`, a document whose
    extraction raises is reported to it, listed, and left out; without, the error propagates.
    With `claims`, the page starts with the claims found in more than one document
    (`corroborate`), their statements and contradictions.
    """
    report = Report(book)
    skipped = report.add_all(documents, on_error)
    clusters = [c for c in corroborate(report.statements) if c.documents > 1] if claims else None
    return report.html(title, [*problems, *skipped], clusters)  # read now: the reader may have added some
