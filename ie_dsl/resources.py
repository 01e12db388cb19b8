"""Where the grammar and the shipped rule pack live, installed or in a checkout."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The directory `grammar` or `rules`: the wheel's copy if installed, else the checkout's.

    The top-level `grammar/` and `rules/` are the source of truth; the wheel carries
    copies under `ie_dsl/_data/` (see pyproject.toml).
    """
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def grammar_text() -> str:
    """The Lark grammar of the rule language."""
    return (data_dir("grammar") / "iedsl.lark").read_text(encoding="utf-8")


PACK = "@pack"  # names the rule pack shipped with iedsl, wherever rule paths are given


def with_pack(paths: Iterable[str | Path]) -> list[str | Path]:
    """Rule paths with `@pack` replaced by the directory of the shipped pack."""
    return [data_dir("rules") if str(p) == PACK else p for p in paths]
