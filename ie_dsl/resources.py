"""Where the grammar and the shipped rule pack live, installed or in a checkout, and how
`@pack` names them."""

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


def is_pack(path: str | Path) -> bool:
    """Does `path` name the shipped pack or a file in it (`@pack`, `@pack/lexicons/places.yaml`)?"""
    text = str(path)
    return text == PACK or text.startswith(PACK + "/")


def pack_path(path: str | Path) -> Path:
    """`@pack` -> the pack's directory; `@pack/X` -> X inside it. The result may not exist
    (the caller reports that), and never lies outside the pack: `@pack/../x` is refused
    with ValueError."""
    text = str(path)
    root = data_dir("rules")
    if text == PACK:
        return root
    inner = text[len(PACK) + 1 :]
    target = (root / inner).resolve()
    if Path(inner).is_absolute() or not target.is_relative_to(root.resolve()):
        raise ValueError(f"{text} leaves the shipped pack")
    return root / inner


def with_pack(paths: Iterable[str | Path]) -> list[str | Path]:
    """Rule paths with `@pack` (and `@pack/FILE`) replaced by where the shipped pack is.
    A path that leaves the pack (`@pack/../x`) is kept as written: reading it reports it."""
    out: list[str | Path] = []
    for p in paths:
        try:
            out.append(pack_path(p) if is_pack(p) else p)
        except ValueError:
            out.append(p)
    return out
