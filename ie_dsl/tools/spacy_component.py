"""iedsl as a spaCy pipeline component: `nlp.add_pipe("iedsl", config={"rules": ["@pack"]})`.

Registered with spaCy through the `spacy_factories` entry point (pyproject.toml), so that
`pip install 'iedsl[spacy]'` is all it takes. spaCy imports this module whenever it builds
any pipeline, to learn its factories: it must stay cheap to import and never fail, so the
rules are compiled only when the component is created.

For each Doc the component runs the rules over `doc.text` and sets (docs/spacy.md):

- `doc._.statements`: the statements, dicts exactly as `RuleBook.extract` returns them
  (character offsets into `doc.text`);
- `doc.spans[KEY]`: one span per statement (its whole match), labelled with its type;
- `doc.spans[KEY_role]`: for each role the rules can emit, the spans of that role's
  arguments, labelled with the argument's type (or the role when it has none).

KEY is `spans_key` ("iedsl" by default). Every span's `id_` is the index of its statement in
`doc._.statements`. Spans are aligned to spaCy's tokens with `alignment_mode="expand"`:
where an offset falls inside a token, the span grows to the whole token, so its text may be
longer than the argument's `text`; the statement keeps the exact offsets.

The statements are plain JSON-like values stored in `doc.user_data`, which `Doc.to_bytes`
serializes: they survive `nlp.pipe(texts, n_process=2)` and DocBin. A document's id and date
come from `doc.user_data["doc_id"]` and `doc.user_data["doc_date"]` (a `datetime.date` or
`YYYY-MM-DD`) when set, else the id is "" and the date is read from a dateline if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from ie_dsl.resources import PACK, with_pack

EXTENSION = "statements"
USER_DATA_KEY = "iedsl_statements"  # where doc._.statements is kept (see _statements)


class IedslComponent:
    """Runs compiled iedsl rules over each Doc (see the module docstring for what it sets)."""

    def __init__(self, name: str, rules: Sequence[str], spans_key: str = "iedsl"):
        from ie_dsl.cache import compile_cached
        from ie_dsl.scale.frames import layout_of

        if isinstance(rules, str):  # "rules/" would be read as five one-letter paths
            rules = [rules]
        self.name, self.rules, self.spans_key = name, list(rules), spans_key
        # compiled rule sets are cached (ie_dsl/cache.py): a second pipeline, or a worker
        # process that has to rebuild the component, does not compile the pack again
        self.book = compile_cached(with_pack(self.rules))
        self.roles = layout_of(self.book).roles
        if not Doc.has_extension(EXTENSION):
            Doc.set_extension(EXTENSION, getter=_statements, setter=_set_statements)
        elif getattr(Doc.get_extension(EXTENSION)[2], "__module__", None) != __name__:
            raise ValueError(f"doc._.{EXTENSION} is already registered by another package")

    def __call__(self, doc: Doc) -> Doc:
        when = doc.user_data.get("doc_date")
        if isinstance(when, str):
            when = date.fromisoformat(when)
        statements = self.book.extract(str(doc.user_data.get("doc_id", "")), doc.text, doc_date=when)
        doc._.set(EXTENSION, statements)
        whole: list[Span] = []
        by_role: dict[str, list[Span]] = {role: [] for role in self.roles}
        for i, st in enumerate(statements):
            span = _span(doc, st["span"], st["type"], i)
            if span is not None:
                whole.append(span)
            for role, arg in st["args"].items():
                span = _span(doc, arg, arg.get("type") or role, i)
                if span is not None:
                    by_role.setdefault(role, []).append(span)
        doc.spans[self.spans_key] = whole
        for role, spans in by_role.items():
            doc.spans[f"{self.spans_key}_{role}"] = spans
        return doc

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its settings: a process that unpickles it (spaCy's workers where
        processes are spawned) compiles the same rules, from the cache."""
        return (IedslComponent, (self.name, self.rules, self.spans_key))


def _statements(doc: Doc) -> list[dict[str, Any]] | None:
    """`doc._.statements`: None before the component ran. Kept in `doc.user_data`, which
    Doc.to_bytes and DocBin serialize; DocBin reads an array back as a tuple, made a list
    again here, once, so that the value is the same list on every access."""
    value = doc.user_data.get(USER_DATA_KEY)
    if isinstance(value, tuple):
        value = doc.user_data[USER_DATA_KEY] = list(value)
    return value


def _set_statements(doc: Doc, value: list[dict[str, Any]] | None) -> None:
    doc.user_data[USER_DATA_KEY] = value


def _span(doc: Doc, where: dict[str, Any], label: str, index: int) -> Span | None:
    """The token span covering the characters `where` gives, or None if it has none."""
    start, end = where.get("start"), where.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    span.id_ = str(index)
    return span


@Language.factory(
    "iedsl",
    default_config={"rules": [PACK], "spans_key": "iedsl"},
    assigns=[f"doc._.{EXTENSION}", "doc.spans"],
)
def create_component(nlp: Language, name: str, rules: list[str], spans_key: str) -> IedslComponent:
    """The `iedsl` factory: `rules` are rule files or directories (`@pack`: the shipped
    pack), compiled once here; raises IEDslError (with every diagnostic) if they are bad."""
    return IedslComponent(name, rules, spans_key)
