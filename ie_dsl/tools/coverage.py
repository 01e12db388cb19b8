"""Rule coverage: which rules fired on a set of documents, and which only ever lost conflicts.

`measure(book, documents)` -> one `RuleCoverage` per entity rule and statement rule of the
book, in load order; `render(report)` -> the text `iedsl eval --coverage` and
`iedsl test --coverage` print.

Counts, per document summed over all documents:

- statement rules: `fired` = statements in the output made by the rule; `overridden` =
  matches that lost a conflict in their group (`RuleBook.extract(..., overridden=[])`).
- entity rules: `fired` = annotations of the rule that survived conflict resolution for their
  type; `overridden` = matches that lost to another annotation of the same type (another
  entity rule's, or a lexicon's: then `beaten_by` names `lexicon:<file>`).

A statement that is dropped because another rule produced exactly the same statement
(`runtime._dedupe`) counts for neither rule: it fired but changed nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ie_dsl.engine.compiler import CompiledRule
from ie_dsl.pipeline import RuleBook
from ie_dsl.run.runtime import Annotation, DocView, annotate
from ie_dsl.text.segment import segment


@dataclass(frozen=True)
class RuleCoverage:
    """How one rule fared: `beaten_by` maps the winners of its lost conflicts to counts."""

    rule: str
    file: str
    line: int
    fired: int
    overridden: int
    beaten_by: dict[str, int]

    @property
    def never_fired(self) -> bool:
        """It neither produced anything nor lost a conflict: its pattern never matched."""
        return self.fired == 0 and self.overridden == 0

    @property
    def always_overridden(self) -> bool:
        """It matched, but every match lost to another rule (or a lexicon)."""
        return self.fired == 0 and self.overridden > 0


class Tally:
    """Mutable counts for one rule while documents are measured."""

    def __init__(self) -> None:
        self.fired = 0
        self.overridden = 0
        self.beaten_by: dict[str, int] = {}

    def lost_to(self, winner: str) -> None:
        self.overridden += 1
        self.beaten_by[winner] = self.beaten_by.get(winner, 0) + 1


def _winner_name(ann: Annotation) -> str:
    """A rule's name, or `lexicon:<file>` for a lexicon entry (the offset would be noise)."""
    if ann.source.startswith("rule:"):
        return ann.source[len("rule:") :]
    return ann.source.split("@", 1)[0]


def entity_pass(book: RuleBook, doc_id: str, text: str, tallies: dict[int, Tally]) -> DocView:
    """Annotate one document, recording in `tallies` (by rule load order) each entity
    rule's kept and beaten matches; returns the annotated view."""
    view = DocView(doc_id, text, segment(text))
    outcomes: list[tuple[Annotation, Annotation | None]] = []
    annotate(book.program, view, outcomes)
    for ann, winner in outcomes:
        tally = tallies[ann.order]
        if winner is None:
            tally.fired += 1
        else:
            tally.lost_to(_winner_name(winner))
    return view


def measure(book: RuleBook, documents: Iterable[tuple[str, str]]) -> list[RuleCoverage]:
    """Coverage of every entity rule and statement rule of `book` over (doc id, text) pairs.

    Entity rules come first (stratum by stratum), then statement rules, each in load order.
    A document over its time budget raises runtime.BudgetExceeded, as `extract` does.
    """
    rules: list[CompiledRule] = [cr for stratum in book.program.strata for cr in stratum]
    rules += list(book.program.statements)
    tallies = {cr.rule.order: Tally() for cr in rules}
    by_name = {cr.rule.name: cr.rule.order for cr in book.program.statements}
    cue = book.program.schema.cue_type
    for doc_id, text in documents:
        if book.program.strata:
            entity_pass(book, doc_id, text, tallies)
        lost: list[dict[str, Any]] = []
        for st in book.extract(doc_id, text, overridden=lost):
            tallies[by_name[st["rule"]["name"]]].fired += 1
        for st in lost:
            tally = tallies[by_name[st["rule"]["name"]]]
            if st["type"] == cue:  # applied to the statements around it
                tally.fired += 1
            else:
                tally.lost_to(st["overridden_by"])
    return [
        RuleCoverage(
            cr.rule.name,
            cr.rule.file,
            cr.rule.line,
            tallies[cr.rule.order].fired,
            tallies[cr.rule.order].overridden,
            dict(sorted(tallies[cr.rule.order].beaten_by.items(), key=lambda kv: (-kv[1], kv[0]))),
        )
        for cr in rules
    ]


def render(report: list[RuleCoverage]) -> str:
    """Text listing the rules that never fired and those whose matches were always overridden.

    Ends with a newline; a one-line summary comes first.
    """
    never = [c for c in report if c.never_fired]
    beaten = [c for c in report if c.always_overridden]
    fired = sum(c.fired > 0 for c in report)
    lines = [
        f"Coverage: {fired} of {len(report)} rules produced output; {len(never)} never fired, "
        f"{len(beaten)} always overridden"
    ]
    if never:
        lines.append(f"Never fired ({len(never)}):")
        lines += [f"  {c.rule} ({c.file}:{c.line})" for c in never]
    if beaten:
        lines.append(f"Always overridden ({len(beaten)}):")
        for c in beaten:
            by = ", ".join(f"{name} ×{n}" for name, n in c.beaten_by.items())
            matches = f"{c.overridden} match{'es' if c.overridden != 1 else ''}"
            lines.append(f"  {c.rule} ({c.file}:{c.line}): {matches}, beaten by {by}")
    if not never and not beaten:
        lines.append("Every rule produced output.")
    return "\n".join(lines) + "\n"


def as_json(report: list[RuleCoverage]) -> list[dict[str, Any]]:
    """The report as plain data for `--format json`."""
    return [
        {
            "rule": c.rule,
            "file": c.file,
            "line": c.line,
            "fired": c.fired,
            "overridden": c.overridden,
            "beaten_by": c.beaten_by,
            "never_fired": c.never_fired,
            "always_overridden": c.always_overridden,
        }
        for c in report
    ]
