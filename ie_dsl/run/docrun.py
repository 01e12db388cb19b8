"""What one run of a Program over one document (or one piece of it) holds besides the view.

A `DocView` is the document as the matcher sees it (tokens, annotations); a `DocRun` is the
run's own state: when matching must stop, where the matches that lost a conflict and the
cues that were applied go (for coverage), and the DATEs found per sentence for `when`.
runtime.extract makes one per document (per piece, for a long one) and hands it to the
passes; nothing of it outlives the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ie_dsl.text.view import Annotation, DocView


@dataclass(slots=True)
class DocRun:
    """One run over one segmented text: its view and the run's state."""

    view: DocView
    deadline: float | None = None  # time.monotonic() past which matching stops (BudgetExceeded)
    # if a list: every match that lost a conflict, and every cue applied, as statements
    overridden: list[dict[str, Any]] | None = None
    dates: dict[int, list[Annotation]] = field(default_factory=dict)  # sentence's first token -> its DATEs
