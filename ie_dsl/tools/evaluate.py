"""Score extracted statements against gold statements: precision, recall, F1 and role accuracy.

The gold format and the matching criteria are those of the shared scorer
(`shared/tools/score.py`), re-implemented here so the project does not depend on it:

- gold: JSONL, one statement per line: `article` (a document key), `sentence`, `predicate`
  (the statement type), `polarity`, and a value for each role scored: the rule set's
  declared roles (`declare roles`; `Scoring.of(schema)`).
- a document key is the file name without its suffix (`seeds/000_x.txt` -> `000_x`), for
  predicted `doc` values and gold `article` values alike.
- a predicted statement matches a gold one when the document and the type are equal, the
  sentences agree (one contains the other, whitespace and case ignored) and their key role
  (the declared claim topic, `declare claims: topic = ...`), if there is one, shares a
  content word. Matching is one-to-one and greedy: pairs that agree on more roles first.
- a role is right when both sides are empty, or both are filled and share a content word; an
  acronym counts as the words it abbreviates ("CSTO" = "Collective Security Treaty Organization").

`evaluate(statements, gold_rows)` -> `Evaluation`; `near_misses(...)` says, for each false
negative, which rules came nearest to finding it (see ie_dsl.tools.explain).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ie_dsl.language.schema import Schema
from ie_dsl.text.segment import segment

# Words that never make two phrases "the same": exactly the shared scorer's list.
STOP = frozenset(
    "the a an of and in to for on its their his her this these that those from by with 's s".split()
)
_WORD = re.compile(r"\w+")
_CAPITAL = re.compile(r"\b[A-Z][\w-]*")
_SPACE = re.compile(r"\s+")


class GoldError(ValueError):
    """A gold or ignore file that cannot be used; the message starts with `file:line:`."""


# ---- the matching criteria ------------------------------------------------------------


@dataclass(frozen=True)
class Scoring:
    """What is scored: the roles compared (in order), and the role that must overlap for a
    prediction to match a gold statement (None: none must)."""

    roles: tuple[str, ...] = ()
    key: str | None = None

    @classmethod
    def of(cls, schema: Schema) -> Scoring:
        """The declared roles, and the claim topic (else the role attribution or cues
        measure the claim by) as the key."""
        claims, attribution, cues = schema.claims, schema.attribution, schema.cues
        key = next(
            (
                k
                for k in (
                    claims.topic if claims else None,
                    attribution.claim if attribution else None,
                    cues.claim if cues else None,
                )
                if k
            ),
            None,
        )
        return cls(schema.roles, key)


def doc_key(value: object) -> str:
    """The document key of a doc id or gold article: the file name without its suffix."""
    name = Path(str(value)).name
    suffix = Path(name).suffix
    return name[: -len(suffix)] if suffix else name


def norm_space(text: str | None) -> str:
    """Lower-cased, whitespace runs made one space, trimmed."""
    return _SPACE.sub(" ", text or "").strip().lower()


def content_words(text: str | None) -> set[str]:
    """Lower-cased words minus stop words, plus the acronym of two or more capitalised words."""
    found = {w for w in _WORD.findall((text or "").lower()) if w not in STOP}
    capitals = [w[0] for w in _CAPITAL.findall(text or "")]
    if len(capitals) >= 2:
        found.add("".join(capitals).lower())
    return found


def text_of(value: Any) -> str | None:
    """The text of an argument as a statement or a gold row holds it (dict, list or string)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get("text") or value.get("canonical")
    if isinstance(value, list):
        return " ".join(filter(None, (text_of(v) for v in value))) or None
    return str(value)


def same_sentence(a: str, b: str) -> bool:
    """Two normalised sentences agree when both are non-empty and one contains the other."""
    return bool(a) and bool(b) and (a in b or b in a)


def overlap(a: str | None, b: str | None) -> bool:
    """The two phrases share a content word."""
    return bool(content_words(a) & content_words(b))


def role_right(p: str | None, g: str | None) -> bool:
    """A role is right when both are empty, or both are filled and overlap."""
    if not p and not g:
        return True
    return bool(p) and bool(g) and overlap(p, g)


@dataclass(frozen=True)
class View:
    """What matching looks at in a predicted or gold statement."""

    doc: str
    type: str
    polarity: str
    sentence: str  # normalised (norm_space)
    roles: dict[str, str | None]


def predicted_view(st: Mapping[str, Any], scoring: Scoring) -> View:
    args = st.get("args") or {}
    return View(
        doc_key(st.get("doc", "")),
        str(st.get("type")),
        st.get("polarity", "positive"),
        norm_space(text_of(st.get("sentence"))),
        {r: text_of(args.get(r)) for r in scoring.roles},
    )


def gold_view(row: Mapping[str, Any], scoring: Scoring) -> View:
    return View(
        doc_key(row["article"]),
        str(row["predicate"]),
        row.get("polarity", "positive"),
        norm_space(row["sentence"]),
        {r: text_of(row.get(r)) for r in scoring.roles},
    )


def agreement(p: View, g: View) -> int:
    """How many roles of `p` are right against `g`."""
    return sum(role_right(p.roles[r], g.roles[r]) for r in p.roles)


def match(preds: list[View], golds: list[View], key: str | None) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs, greedy by role agreement.

    Ties go to the earlier gold, then the earlier prediction, as in the shared scorer.
    """
    pairs = []
    for gi, g in enumerate(golds):
        for pi, p in enumerate(preds):
            if (
                p.doc == g.doc
                and p.type == g.type
                and same_sentence(p.sentence, g.sentence)
                and (key is None or overlap(p.roles.get(key), g.roles.get(key)))
            ):
                pairs.append((-agreement(p, g), gi, pi))
    pairs.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, gi, pi in pairs:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


# ---- reading gold and ignore files ------------------------------------------------------


def read_jsonl(path: str | Path) -> list[tuple[int, Any]]:
    """(line number, value) for each non-blank line. Raises GoldError on unreadable files."""
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append((n, json.loads(line)))
                    except json.JSONDecodeError as exc:
                        raise GoldError(f"{path}:{n}: not JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return rows


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Gold rows of a JSONL file; each needs `article`, `sentence` and `predicate`."""
    rows = []
    for n, row in read_jsonl(path):
        missing = [
            k for k in ("article", "sentence", "predicate") if not isinstance(row, dict) or k not in row
        ]
        if missing:
            raise GoldError(f"{path}:{n}: a gold statement needs {', '.join(missing)}")
        rows.append(row)
    return rows


def load_ignored(path: str | Path) -> set[tuple[str, str]]:
    """(document key, normalised sentence) pairs from `{"article", "sentence"}` rows, or from
    rows with a `borderline_excluded` list of such objects (or of plain sentences)."""
    ignored = set()
    for n, row in read_jsonl(path):
        if not isinstance(row, dict):
            raise GoldError(f"{path}:{n}: expected an object")
        items = row["borderline_excluded"] if "borderline_excluded" in row else [row]
        article = row.get("id", row.get("article"))
        for item in items:
            sentence = item.get("sentence") if isinstance(item, dict) else item
            where = item.get("article", article) if isinstance(item, dict) else article
            if sentence:
                ignored.add((doc_key(where), norm_space(sentence)))
    return ignored


def drop_ignored(
    statements: Iterable[dict[str, Any]], ignored: set[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept, dropped): statements on an ignored sentence are neither right nor wrong."""
    kept, dropped = [], []
    for st in statements:
        v = predicted_view(st, Scoring())
        hit = any(v.doc == doc and same_sentence(v.sentence, sent) for doc, sent in ignored)
        (dropped if hit else kept).append(st)
    return kept, dropped


# ---- scores -------------------------------------------------------------------------------


@dataclass
class Counts:
    """Predicted, gold and matched counts, and the scores they give (0.0 when undefined)."""

    predicted: int = 0
    gold: int = 0
    matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if self.matched else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted,
            "gold": self.gold,
            "matched": self.matched,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


@dataclass
class Evaluation:
    """The result of `evaluate`.

    `by_rule[name].gold` is the number of gold statements of the types the rule produced, so
    a rule's recall is its share of its types' gold, and the recalls of the rules of one type
    add up to the type's recall.
    """

    overall: Counts
    by_type: dict[str, Counts]
    by_rule: dict[str, Counts]
    rule_where: dict[str, tuple[str, int]]  # rule name -> (file, line)
    role_hits: dict[str, int]
    polarity_hits: int
    matches: list[tuple[dict[str, Any], dict[str, Any]]]  # (gold row, statement)
    false_positives: list[dict[str, Any]]
    false_negatives: list[dict[str, Any]]
    ignored: list[dict[str, Any]] = field(default_factory=list)  # statements not scored
    scoring: Scoring = Scoring()  # what was scored

    @property
    def role_accuracy(self) -> dict[str, float]:
        tp = self.overall.matched
        return {r: hits / tp if tp else 0.0 for r, hits in self.role_hits.items()}

    @property
    def polarity_accuracy(self) -> float:
        tp = self.overall.matched
        return self.polarity_hits / tp if tp else 0.0


def evaluate(
    statements: Iterable[dict[str, Any]],
    gold_rows: Iterable[dict[str, Any]],
    ignored: set[tuple[str, str]] | None = None,
    scoring: Scoring | None = None,
) -> Evaluation:
    """Score statements (as `RuleBook.extract` makes them) against gold rows.

    `ignored` (from `load_ignored`): statements on those sentences are left out first.
    `scoring`: the roles compared and the key role (`Scoring.of(book.program.schema)`;
    by default none: statements match by document, type and sentence).
    Statements without a `rule` (e.g. read back from elsewhere) are charged to the rule `?`.
    """
    scoring = scoring or Scoring()
    statements, dropped = drop_ignored(statements, ignored or set())
    gold_rows = list(gold_rows)
    preds = [predicted_view(st, scoring) for st in statements]
    golds = [gold_view(g, scoring) for g in gold_rows]
    pairs = match(preds, golds, scoring.key)
    matched_p = {pi for _, pi in pairs}
    matched_g = {gi for gi, _ in pairs}

    by_type: dict[str, Counts] = {}
    for g in golds:
        by_type.setdefault(g.type, Counts()).gold += 1
    for p in preds:
        by_type.setdefault(p.type, Counts()).predicted += 1
    for _, pi in pairs:
        by_type[preds[pi].type].matched += 1

    by_rule: dict[str, Counts] = {}
    rule_types: dict[str, set[str]] = {}
    where: dict[str, tuple[str, int]] = {}
    for pi, st in enumerate(statements):
        rule = st.get("rule") or {}
        name = str(rule.get("name", "?"))
        where.setdefault(name, (str(rule.get("file", "?")), int(rule.get("line", 0))))
        counts = by_rule.setdefault(name, Counts())
        counts.predicted += 1
        counts.matched += pi in matched_p
        rule_types.setdefault(name, set()).add(preds[pi].type)
    for name, types in rule_types.items():
        by_rule[name].gold = sum(by_type[t].gold for t in types)

    return Evaluation(
        overall=Counts(len(preds), len(golds), len(pairs)),
        by_type=dict(sorted(by_type.items())),
        by_rule={name: by_rule[name] for name in sorted(by_rule, key=lambda n: (*where[n], n))},
        rule_where=where,
        role_hits={
            r: sum(role_right(preds[pi].roles[r], golds[gi].roles[r]) for gi, pi in pairs)
            for r in scoring.roles
        },
        polarity_hits=sum(preds[pi].polarity == golds[gi].polarity for gi, pi in pairs),
        matches=[(gold_rows[gi], statements[pi]) for gi, pi in sorted(pairs)],
        false_positives=[st for pi, st in enumerate(statements) if pi not in matched_p],
        false_negatives=[g for gi, g in enumerate(gold_rows) if gi not in matched_g],
        ignored=dropped,
        scoring=scoring,
    )


# ---- why a gold statement was missed ---------------------------------------------------------


@dataclass(frozen=True)
class NearMiss:
    """For one false negative: where its sentence is, the rules that came nearest, and what
    was extracted on that sentence instead (statements of any type or threat)."""

    gold: dict[str, Any]
    sentence: tuple[int, int] | None  # character offsets in the document; None if not found
    attempts: tuple[Any, ...]  # ie_dsl.tools.explain.Attempt, best first
    found_instead: tuple[dict[str, Any], ...]


def find_sentences(text: str, sentence: str) -> list[tuple[int, int]]:
    """Offsets of the document's sentences that agree with `sentence` (as matching compares)."""
    want = norm_space(sentence)
    seg = segment(text)
    return [(s.start, s.end) for s in seg.sentences if same_sentence(norm_space(text[s.start : s.end]), want)]


def near_misses(
    book: Any,
    documents: Mapping[str, tuple[str, str]],
    evaluation: Evaluation,
    limit: int = 3,
    scoring: Scoring | None = None,
) -> list[NearMiss]:
    """Explain each false negative of `evaluation`.

    `book` is the RuleBook that made the statements; `documents` maps a document key to its
    (doc id, text). The rules tried are the statement rules that emit the gold type (all
    statement rules if none does); `limit` attempts are kept per miss, best first;
    `scoring` as evaluate's (by default, the evaluation's).
    """
    scoring = scoring or evaluation.scoring
    from ie_dsl.tools.explain import attempts  # imported late: only eval's false negatives need it

    by_type: dict[str, list[str]] = {}
    for cr in book.program.statements:
        by_type.setdefault(cr.rule.output, []).append(cr.rule.name)
    out = []
    for g in evaluation.false_negatives:
        gv = gold_view(g, scoring)
        doc = documents.get(gv.doc)
        if doc is None:
            out.append(NearMiss(g, None, (), ()))
            continue
        doc_id, text = doc
        spans = find_sentences(text, g["sentence"])
        span = (spans[0][0], spans[-1][1]) if spans else None
        best: dict[str, Any] = {}  # attempts come best first: keep each rule's first
        if span is not None:
            for a in attempts(book, doc_id, text, sentence=span, rules=by_type.get(gv.type)):
                best.setdefault(a.rule, a)
        instead = tuple(
            st
            for st in evaluation.false_positives + [st for _, st in evaluation.matches]
            if (pv := predicted_view(st, scoring)).doc == gv.doc and same_sentence(pv.sentence, gv.sentence)
        )
        out.append(NearMiss(g, span, tuple(best.values())[:limit], instead))
    return out
