"""YAML lexicons (gazetteers) -> Lexicon: entries with canonical names, aliases and attrs.

Each alias is tokenized with the document tokenizer, so an entry matches exactly the token
sequences the same words produce in text. Case modes: `insensitive` compares norm() forms,
`sensitive` compares token texts, `smart` (default) is sensitive for all-caps aliases
(acronyms such as CSTO) and for aliases with a capital inside a word (LeT), and
insensitive otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ie_dsl.diagnostics import Diagnostic
from ie_dsl.language.yamlfile import LocDict, LocList, span_of
from ie_dsl.source import SourceFile, SourceSpan
from ie_dsl.text.morph import inflections
from ie_dsl.text.segment import FINAL_ABBREVIATIONS, literal_tokens, norm

TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
CASE_MODES = ("insensitive", "sensitive", "smart")
# Longest name or alias, in tokens. Phrases are kept in a trie one level per token, which
# later stages walk recursively; no gazetteer name comes near this.
MAX_ALIAS_TOKENS = 100


@dataclass(frozen=True, slots=True)
class LexEntry:
    """One lexicon entry: its canonical name, attributes, and where it is written."""

    type: str
    canonical: str
    attrs: tuple[tuple[str, str], ...]
    span: SourceSpan
    priority: int = 0  # the lexicon's: settles overlaps with other annotations of the type


@dataclass(frozen=True, slots=True)
class Phrase:
    """A token sequence that annotates as `entry` (one per alias or inflected form)."""

    norms: tuple[str, ...]
    exact: tuple[str, ...] | None  # token texts to compare when case-sensitive
    entry: LexEntry


@dataclass
class Lexicon:
    type: str
    path: str
    case: str
    priority: int = 0
    entries: list[LexEntry] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)


_FINAL_NORMS = frozenset(norm(a) for a in FINAL_ABBREVIATIONS)


def _case_matters(text: str) -> bool:
    """Under `smart`, aliases written in capitals (CSTO) or with a capital inside a word
    (LeT, JuD) are compared exactly: their lower-case forms are ordinary words."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 2 and all(ch.isupper() for ch in letters):
        return True
    return any(a.islower() and b.isupper() for a, b in zip(text, text[1:], strict=False))


def _phrases_for(alias: str, entry: LexEntry, case: str, inflect: bool) -> list[Phrase]:
    toks = literal_tokens(alias)
    if not toks:
        return []
    sensitive = case == "sensitive" or (case == "smart" and _case_matters(alias))
    norms = tuple(norm(t) for t in toks)
    out = [Phrase(norms, tuple(toks) if sensitive else None, entry)]
    if inflect and not sensitive:
        for form in sorted(inflections(norms[-1]) - {norms[-1]}):
            out.append(Phrase(norms[:-1] + (form,), None, entry))
    return out


def _without_final_period(phrase: Phrase) -> Phrase | None:
    """`Acme Inc.` as `Acme Inc`: at a sentence's end the document has `Inc` and a full
    stop (text.FINAL_ABBREVIATIONS), and the entry then matches the name without it."""
    if phrase.exact is not None and phrase.exact[-1] not in FINAL_ABBREVIATIONS:
        return None
    if phrase.exact is None and phrase.norms[-1] not in _FINAL_NORMS:
        return None
    exact = None if phrase.exact is None else phrase.exact[:-1] + (phrase.exact[-1][:-1],)
    return Phrase(phrase.norms[:-1] + (phrase.norms[-1][:-1],), exact, phrase.entry)


def load_lexicon(data: LocDict, source: SourceFile) -> tuple[Lexicon | None, list[Diagnostic]]:
    """Build a Lexicon from parsed YAML `data`; returns it with any diagnostics (E3xx/W3xx)."""
    diags: list[Diagnostic] = []
    path = source.path
    type_name = data.get("type")
    if not isinstance(type_name, str) or not TYPE_NAME.match(type_name):
        diags.append(
            Diagnostic(
                "E301",
                "a lexicon needs `type:` with an UPPER_CASE type name",
                span_of(data.where("type"), path),
                "e.g. type: ORG",
            )
        )
        return None, diags
    case = data.get("case", "smart")
    if case not in CASE_MODES:
        diags.append(
            Diagnostic(
                "E304",
                f"unknown case mode {case!r}",
                span_of(data.where("case"), path),
                "use insensitive, sensitive or smart",
            )
        )
        case = "smart"
    priority = data.get("priority", 0)
    lex = Lexicon(type_name, path, case, priority if isinstance(priority, int) else 0)
    file_inflect = bool(data.get("inflect", False))
    entries = data.get("entries")
    if not isinstance(entries, LocList):
        diags.append(Diagnostic("E302", "a lexicon needs `entries:` as a list", span_of(data.node, path)))
        return lex, diags
    owner: dict[tuple[tuple[str, ...], tuple[str, ...] | None], str] = {}
    unlisted: list[Phrase] = []  # names ending in `Inc.` and the like, without the period
    for item, node in zip(entries, entries.nodes, strict=False):
        canonical, aliases, attrs, inflect = _entry_fields(item, file_inflect)
        if canonical is None:
            diags.append(
                Diagnostic(
                    "E302",
                    "an entry is a name or a mapping with `name:`",
                    span_of(node, path),
                    "e.g. - name: Kabul",
                )
            )
            continue
        entry = LexEntry(type_name, canonical, attrs, span_of(node, path), lex.priority)
        lex.entries.append(entry)
        for k, alias in enumerate([canonical, *aliases]):
            phrases = _phrases_for(alias, entry, case, inflect)
            if phrases and len(phrases[0].norms) > MAX_ALIAS_TOKENS:
                diags.append(
                    Diagnostic(
                        "E407",
                        f"{'an alias' if k else 'a name'} of {len(phrases[0].norms)} tokens; "
                        f"at most {MAX_ALIAS_TOKENS} are allowed",
                        span_of(_alias_node(item, node, k), path),
                        "a lexicon lists names; match long passages with a rule",
                    )
                )
                continue
            if not phrases:
                diags.append(
                    Diagnostic(
                        "W302",
                        f"entry {alias!r} has no tokens and never matches",
                        span_of(node, path),
                        severity="warning",
                    )
                )
            for phrase in phrases:
                key = (phrase.norms, phrase.exact)
                other = owner.setdefault(key, canonical)
                if other != canonical:
                    diags.append(
                        Diagnostic(
                            "W301",
                            f"{alias!r} is listed for both {other!r} and {canonical!r}",
                            span_of(node, path),
                            f"the first ({other!r}) is kept",
                            severity="warning",
                        )
                    )
                    continue
                lex.phrases.append(phrase)
            bare = _without_final_period(phrases[0]) if phrases else None
            if bare is not None:
                unlisted.append(bare)
    for bare in unlisted:  # after every listed name: a name listed as `Acme Inc` wins quietly
        if (bare.norms, bare.exact) not in owner:
            owner[(bare.norms, bare.exact)] = bare.entry.canonical
            lex.phrases.append(bare)
    return lex, diags


def _alias_node(item: Any, node: Any, k: int) -> Any:
    """Where the entry's name (k = 0) or its alias k is written, as near as is known."""
    if not isinstance(item, LocDict):
        return node
    if k == 0:
        return item.where("name")
    aliases = item.get("aliases")
    if isinstance(aliases, LocList) and k - 1 < len(aliases.nodes):
        return aliases.nodes[k - 1]
    return item.where("aliases")


def _entry_fields(item: Any, file_inflect: bool) -> tuple[str | None, list[str], tuple, bool]:
    if isinstance(item, (str, int, float)) and not isinstance(item, bool):
        return str(item), [], (), file_inflect
    if not isinstance(item, dict) or not isinstance(item.get("name"), (str, int, float)):
        return None, [], (), False
    aliases = item.get("aliases") or []
    if not isinstance(aliases, list):
        aliases = [aliases]
    attrs = item.get("attrs") or {}
    attr_pairs = tuple(sorted((str(k), str(v)) for k, v in attrs.items())) if isinstance(attrs, dict) else ()
    inflect = bool(item.get("inflect", file_inflect))
    return str(item["name"]), [str(a) for a in aliases], attr_pairs, inflect
