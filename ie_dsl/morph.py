"""English inflection without a model: `~warn` -> {warn, warns, warned, warning, ...}.

`inflections(lemma)` over-generates regular noun and verb forms plus a table of irregular
ones. Over-generation is harmless here: a made-up form such as "groupped" never occurs in
text, while a missing real form would silently lose matches.
"""

from __future__ import annotations

from functools import cache

_VOWELS = set("aeiou")

# base -> irregular forms (past, participle, 3sg, gerund, plural ...)
_IRREGULAR: dict[str, tuple[str, ...]] = {
    "be": ("is", "are", "was", "were", "been", "being", "am", "'s", "'re"),
    "have": ("has", "had", "having", "'ve"),
    "do": ("does", "did", "done", "doing"),
    "go": ("goes", "went", "gone", "going"),
    "say": ("says", "said", "saying"),
    "tell": ("tells", "told", "telling"),
    "speak": ("speaks", "spoke", "spoken", "speaking"),
    "make": ("makes", "made", "making"),
    "take": ("takes", "took", "taken", "taking"),
    "give": ("gives", "gave", "given", "giving"),
    "see": ("sees", "saw", "seen", "seeing"),
    "come": ("comes", "came", "coming"),
    "become": ("becomes", "became", "becoming"),
    "know": ("knows", "knew", "known", "knowing"),
    "show": ("shows", "showed", "shown", "showing"),
    "grow": ("grows", "grew", "grown", "growing"),
    "rise": ("rises", "rose", "risen", "rising"),
    "arise": ("arises", "arose", "arisen", "arising"),
    "lead": ("leads", "led", "leading"),
    "seek": ("seeks", "sought", "seeking"),
    "hold": ("holds", "held", "holding"),
    "meet": ("meets", "met", "meeting"),
    "keep": ("keeps", "kept", "keeping"),
    "think": ("thinks", "thought", "thinking"),
    "bring": ("brings", "brought", "bringing"),
    "fight": ("fights", "fought", "fighting"),
    "begin": ("begins", "began", "begun", "beginning"),
    "get": ("gets", "got", "gotten", "getting"),
    "find": ("finds", "found", "finding"),
    "stand": ("stands", "stood", "standing"),
    "understand": ("understands", "understood", "understanding"),
    "run": ("runs", "ran", "running"),
    "write": ("writes", "wrote", "written", "writing"),
    "draw": ("draws", "drew", "drawn", "drawing"),
    "withdraw": ("withdraws", "withdrew", "withdrawn", "withdrawing"),
    "foresee": ("foresees", "foresaw", "foreseen", "foreseeing"),
    "spread": ("spreads", "spreading"),
    "put": ("puts", "putting"),
    "set": ("sets", "setting"),
    "let": ("lets", "letting"),
    "cut": ("cuts", "cutting"),
    "hit": ("hits", "hitting"),
    "pose": ("poses", "posed", "posing"),
    "deny": ("denies", "denied", "denying", "denial", "denials"),
    "fear": ("fears", "feared", "fearing"),
    "man": ("men",),
    "woman": ("women",),
    "child": ("children",),
    "person": ("people", "persons"),
    "crisis": ("crises",),
    "analysis": ("analyses",),
    "criterion": ("criteria",),
    "phenomenon": ("phenomena",),
}


def _double_final(word: str) -> bool:
    """Short consonant-vowel-consonant words double the consonant: plan -> planned."""
    return (
        len(word) >= 3
        and word[-1] not in _VOWELS
        and word[-1] not in "wxy"
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
        and sum(ch in _VOWELS for ch in word) == 1
    )


@cache
def inflections(lemma: str) -> frozenset[str]:
    """All lower-case forms matched by `~lemma` (the lemma itself included)."""
    w = lemma.lower()
    forms = {w}
    forms.update(_IRREGULAR.get(w, ()))
    if w.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(w + "es")
    elif w.endswith("y") and len(w) > 1 and w[-2] not in _VOWELS:
        forms.add(w[:-1] + "ies")
    else:
        forms.add(w + "s")
    if w.endswith("e"):
        forms.update((w + "d", w[:-1] + "ing"))
        if w.endswith("ie"):
            forms.add(w[:-2] + "ying")
    elif w.endswith("y") and len(w) > 1 and w[-2] not in _VOWELS:
        forms.update((w[:-1] + "ied", w + "ing"))
    else:
        forms.update((w + "ed", w + "ing"))
        if _double_final(w):
            forms.update((w + w[-1] + "ed", w + w[-1] + "ing"))
    # -ing nouns have plurals too ("warnings", "briefings")
    forms.update(f + "s" for f in list(forms) if f.endswith("ing"))
    return frozenset(forms)
