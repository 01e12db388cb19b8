"""English inflection without a model: `~warn` -> {warn, warns, warned, warning, ...}.

`inflections(lemma)` is every form `~lemma` matches: the verb forms (`verb_forms`), the noun
plurals (`plurals`) and the plurals of -ing nouns (warnings). Regular forms are made by
spelling rules; the irregular verbs and nouns are listed in ie_dsl.text.morph_table. The regular
rules over-generate a little (travelled and traveled, photos and photoes): a made-up form
never occurs in text, while a missing real form would silently lose matches. An irregular
verb gets only its real forms, so that `~see` does not match "seed" nor `~lead` "leaded".

`lemmas(form)` goes the other way and gives the candidate bases of a word form (acquired ->
{acquire}, left -> {leave, left}). Without a dictionary it guesses from the spelling, so a
candidate may be a made-up word, but every candidate L satisfies `form in inflections(L)`.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from ie_dsl.text import morph_table as _t

_VOWELS = frozenset("aeiou")


class VerbForms(NamedTuple):
    """The forms of a verb, each a set because some verbs have two (burned/burnt)."""

    third: frozenset[str]  # third person singular present: warns, goes
    past: frozenset[str]  # simple past: warned, went
    participle: frozenset[str]  # past participle: warned, gone
    gerund: frozenset[str]  # present participle: warning, going


def _parse_verbs(text: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    table = {}
    for line in text.strip().splitlines():
        base, past, *rest = line.split()
        table[base] = (tuple(past.split("/")), tuple((rest[0] if rest else past).split("/")))
    return table


_IRREGULAR_VERBS = _parse_verbs(_t.VERBS)
_IRREGULAR_NOUNS = {
    base: tuple(plural.split("/"))
    for base, plural in (line.split() for line in _t.NOUNS.strip().splitlines())
}


# ---------------------------------------------------------------- spelling


def _shape(word: str) -> str:
    """'V' or 'C' for each letter: y after a consonant is a vowel (typ-), u after q is not
    (quit), nor is u between g and a vowel (guide)."""
    out: list[str] = []
    for i, ch in enumerate(word):
        if ch == "y":
            out.append("V" if i and out[-1] == "C" else "C")
        elif (
            ch == "u"
            and i
            and (word[i - 1] == "q" or (word[i - 1] == "g" and word[i + 1 : i + 2] in _VOWELS))
        ):
            out.append("C")
        else:
            out.append("V" if ch in _VOWELS else "C")
    return "".join(out)


def _syllables(word: str) -> int:
    """The number of vowel groups: plan 1, open 2, acquir 2."""
    shape = _shape(word)
    return sum(1 for i, s in enumerate(shape) if s == "V" and (i == 0 or shape[i - 1] == "C"))


_PREFIXES = tuple("dis de ex in mis non out over pre re sub trans under un up".split())


def _listed(word: str, words: frozenset[str]) -> bool:
    """`word` is in `words`, or is a prefix (re-, un-, over- ...) and a word in `words`:
    uncommit with commit, unchange with change, refocus with focus."""
    return word in words or any(word.startswith(p) and word[len(p) :] in words for p in _PREFIXES)


_ONSETS = frozenset(
    "bl br ch cl cr dr fl fr gl gr kn pl pr qu sc sh sk sl sm sn sp st sw th tr tw wh wr".split()
)


def _cvc(word: str) -> bool:
    """A short word in consonant-vowel-consonant: plan, stop, quit (not fix, play, show)."""
    return len(word) >= 3 and word[-1] not in "wxy" and _shape(word)[-3:] == "CVC" and _syllables(word) == 1


def _prefixed_cvc(word: str) -> bool:
    """A prefix and a short word in CVC that can start a word: unplan, outgun (not
    re-nder)."""
    for p in _PREFIXES:
        rest = word[len(p) :]
        if word.startswith(p) and _cvc(rest) and (_shape(rest)[:2] != "CC" or rest[:2] in _ONSETS):
            return True
    return False


def _double_final(word: str) -> bool:
    """Whether the last consonant doubles before -ed/-ing: plan -> planned, quit -> quitting,
    admit -> admitted (a listed longer word), unplan -> unplanned; not visit -> visited, nor fix or play."""
    if word in _t.NO_DOUBLING:
        return False
    if _cvc(word) or _listed(word, _t.DOUBLING) or _listed(word, _t.EITHER):
        return True
    return _prefixed_cvc(word)  # unplanned, outgunned


def _l_either(word: str) -> bool:
    """A longer word in a single vowel + l doubles in British spelling only: travelled and
    traveled, fuelled and fueled (not appeal, whose vowel is a pair)."""
    if len(word) < 4 or word[-1] != "l":
        return False
    shape = _shape(word)
    longer = shape[-3] == "C" and _syllables(word) > 1  # trav-el
    pair = shape[-3] == "V" and word[-3:-1] in ("ue", "ia", "ua")  # fu-el, di-al
    return shape[-2] == "V" and (longer or pair)


def _with_suffix(w: str, suffix: str) -> tuple[str, ...]:
    """w + "ed" or w + "ing" with the regular spelling changes (-e dropped, -y to -i,
    consonant doubling, panic -> panicked); two spellings where both are in use."""
    if suffix == "ed":
        if w.endswith("e"):
            return (w + "d",)
        if len(w) > 1 and w[-1] == "y" and w[-2] not in _VOWELS:
            return (w[:-1] + "ied",)
    elif w.endswith("ie"):
        return (w[:-2] + "ying",)
    elif w in _t.KEEP_E:
        return (w + suffix, w[:-1] + suffix)
    elif w.endswith(("ee", "ye", "oe")) or len(w) < 3 and w.endswith("e"):
        return (w + suffix,)
    elif w.endswith("e"):
        return (w[:-1] + suffix,)
    if len(w) >= 3 and w[-1] == "c" and w[-2] in _VOWELS:
        return (w + "k" + suffix,)
    if _double_final(w):
        doubled = w + w[-1] + suffix
        either = _listed(w, _t.EITHER) or _l_either(w) and not _listed(w, _t.DOUBLING)
        return (doubled, w + suffix) if either else (doubled,)
    if _l_either(w):
        return (w + suffix, w + "l" + suffix)
    return (w + suffix,)


def _s_form(w: str, noun: bool) -> tuple[str, ...]:
    """Third person (noun=False) or regular plural (noun=True) of w."""
    if w.endswith(("s", "x", "z", "ch", "sh")):
        if w[-1] in "sz" and _double_final(w) and not _listed(w, _t.S_FINAL):
            return (w + "es", w + w[-1] + "es")  # quizzes, gasses
        return (w + "es",)
    if len(w) > 1 and w[-1] == "y" and w[-2] not in _VOWELS:
        return (w[:-1] + "ies",)
    if len(w) > 1 and w[-1] == "o" and w[-2] not in _VOWELS:
        return (w + "s", w + "es") if noun else (w + "es",)
    return (w + "s",)


def _man(w: str) -> bool:
    """Compounds of man with a plural in -men: gunman, spokesman (not human, German)."""
    return w.endswith("man") and len(w) >= 6 and w[-4] not in "aiou" and w != "german"


# ---------------------------------------------------------------- forms of a lemma


@cache
def verb_forms(lemma: str) -> VerbForms:
    """The verb forms of `lemma` (lower-cased): from the irregular table, else by rule."""
    w = lemma.lower()
    irregular = _IRREGULAR_VERBS.get(w)
    third = _t.THIRD.get(w) or _s_form(w, noun=False)
    gerund = _t.GERUND.get(w) or _with_suffix(w, "ing")
    if irregular:
        past, participle = irregular
    else:
        past = participle = _with_suffix(w, "ed")
    return VerbForms(frozenset(third), frozenset(past), frozenset(participle), frozenset(gerund))


def third_person(lemma: str) -> frozenset[str]:
    """Third person singular present: warn -> {warns}, go -> {goes}, deny -> {denies}."""
    return verb_forms(lemma).third


def past(lemma: str) -> frozenset[str]:
    """Simple past: warn -> {warned}, buy -> {bought}, burn -> {burned, burnt}."""
    return verb_forms(lemma).past


def participles(lemma: str) -> frozenset[str]:
    """Past participles, as a passive needs them: acquire -> {acquired}, take -> {taken}."""
    return verb_forms(lemma).participle


def gerund(lemma: str) -> frozenset[str]:
    """Present participle: warn -> {warning}, flee -> {fleeing}, plan -> {planning}."""
    return verb_forms(lemma).gerund


@cache
def plurals(lemma: str) -> frozenset[str]:
    """Noun plurals: threat -> {threats}, crisis -> {crises}, gunman -> {gunmen}."""
    w = lemma.lower()
    if w in _IRREGULAR_NOUNS:
        return frozenset(_IRREGULAR_NOUNS[w])
    for base in _t.COMPOUND_NOUNS:  # housewife, grandchild, spokesperson
        if w.endswith(base) and len(w) - len(base) >= 3:
            return frozenset(w[: -len(base)] + plural for plural in _IRREGULAR_NOUNS[base])
    if _man(w):
        return frozenset((w[:-3] + "men",))
    if w.endswith("sis") and len(w) > 4:
        return frozenset((w[:-2] + "es",))
    return frozenset(_s_form(w, noun=True))


def is_irregular(lemma: str) -> bool:
    """Whether `lemma` is in the table of irregular verbs (buy, take, flee ...)."""
    return lemma.lower() in _IRREGULAR_VERBS


@cache
def inflections(lemma: str) -> frozenset[str]:
    """All lower-case forms matched by `~lemma` (the lemma itself included)."""
    w = lemma.lower()
    if not w:
        return frozenset((w,))
    verb = verb_forms(w)
    forms = {w, *verb.third, *verb.past, *verb.participle, *verb.gerund}
    if w not in _IRREGULAR_VERBS:  # their nouns (a fight, a cut) take the third-person -s
        forms.update(plurals(w))
    if w in _IRREGULAR_NOUNS:  # a noun in the table may be a regular verb too: man, manned
        forms.update(_s_form(w, noun=True))
    forms.update(_t.EXTRA.get(w, ()))
    forms.update(g + "s" for g in verb.gerund)  # -ing nouns have plurals: warnings
    return frozenset(forms)


# ---------------------------------------------------------------- lemmas of a form


def _reverse() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    verbs: dict[str, set[str]] = {}
    for base in _IRREGULAR_VERBS:
        forms = verb_forms(base)
        for form in (*forms.third, *forms.past, *forms.participle, *forms.gerund):
            verbs.setdefault(form, set()).add(base)
        for form in _t.EXTRA.get(base, ()):
            verbs.setdefault(form, set()).add(base)
    nouns: dict[str, set[str]] = {}
    for base, plural in _IRREGULAR_NOUNS.items():
        for form in plural:
            nouns.setdefault(form, set()).add(base)
    for base, extra in _t.EXTRA.items():
        if base not in _IRREGULAR_VERBS:
            for form in extra:
                nouns.setdefault(form, set()).add(base)
    return verbs, nouns


_VERB_OF, _NOUN_OF = _reverse()
_COMPOUND_PLURALS = tuple((p, base) for base in sorted(_t.COMPOUND_NOUNS) for p in _IRREGULAR_NOUNS[base])


def _nouns_of(w: str) -> set[str]:
    """The nouns of the table whose plural `w` is, compounds included: housewives -> housewife."""
    out = set(_NOUN_OF.get(w, ()))
    for plural, base in _COMPOUND_PLURALS:
        if w.endswith(plural) and len(w) - len(plural) >= 3:
            out.add(w[: -len(plural)] + base)
    return out


def _restore_e(s: str) -> tuple[str, ...]:
    """The base(s) of a stem left by removing -ed or -ing, which may have lost a silent e:
    pos -> pose, warn -> warn, acquir -> acquire, visit -> visit, invit -> invite."""
    e = s + "e"
    if len(s) < 3:
        return (e,)  # used, dyed, eyeing
    listed = (_t.EITHER, _t.DOUBLING, _t.NO_DOUBLING, _t.S_FINAL, _t.S_DOUBLING)
    if any(_listed(s, words) for words in listed):
        return (s,)  # kidnaped, refocused, gases
    if _listed(e, _t.E_FINAL):
        return (e,)  # invited, unchanged
    last, prev = s[-1], s[-2]
    shape = _shape(s)
    if last in "aeioyw" or last == "x":
        return (s,)  # echoed, agreeing, skiing, played, showed, fixed
    if last in "ucv":
        return (e,)  # argued, announced, solved
    if last == "h":
        return (s, e) if prev == "t" else (s,)  # bathed / reached, pushed
    if shape[-2] == "C":  # a consonant cluster ends the stem
        if last == "l":
            return (s,) if prev in "rw" else (e,)  # curled, howled / settled
        if last in "rs":
            return (e,)  # centred, sensed, collapsed
        if last == "g":
            if prev != "n":
                return (e,)  # charged, judged, bulged
            return (e,) if s[-3] in "eu" else (s,)  # avenged, plunged / belonged, banged
        return (s,)  # ended, printed, warned, waltzed
    if len(s) >= 3 and shape[-3] == "V":  # a vowel pair before the last consonant
        if last in "sz" or last == "g":
            return (e,)  # caused, released, seized, gauged
        if last in "td" and s[-3:-1] in ("ia", "ua"):
            return (e,)  # negotiated, evaluated, persuaded
        return (s,)  # rained, feared, needed, defeated
    vowel = prev
    if last in "sz" or _syllables(s) == 1:
        return (e,)  # refused, organized; hoped, ruled (a short word in CVC doubles)
    if last == "l":
        return (s,) if vowel in "aei" else (e,)  # traveled, signaled, penciled / paroled
    if last == "r":
        return (s,) if vowel in "eo" else (e,)  # entered, honored / declared, acquired, secured
    if last == "t":
        return (s,) if vowel in "eio" else (e,)  # targeted, visited, piloted / debated
    if last == "n":
        if vowel == "e":
            return (e,) if s.endswith("ven") else (s,)  # opened / convened
        return (s,) if vowel == "o" else (e,)  # abandoned / determined, attuned
    if last == "p":
        return (s,) if vowel in "oi" else (e,)  # developed, gossiped / escaped
    if last == "m":
        return (s,) if vowel == "o" else (e,)  # ransomed / assumed
    return (e,)  # described, invaded, provoked


def _undouble(s: str, form: str) -> tuple[str, ...]:
    """The base of a stem ending in a doubled consonant: plann -> plan, pass -> pass,
    controll -> control, fulfill -> fulfil and fulfill."""
    single = s[:-1]
    if s[-1] in "sz":
        return (single,) if _listed(single, _t.S_DOUBLING) or _listed(single, _t.EITHER) else (s,)
    if s[-1] == "f":
        return (s,)
    if s[-1] == "l":
        if _listed(s, _t.LL_FINAL):
            return (single, s)  # installed (or the British instal)
        if _listed(single, _t.DOUBLING) or single.endswith(("el", "al")) and _l_either(single):
            return (single,)  # controlled, travelled, dialled
        return (s,)  # called, unfilled, bankrolled
    return (single,) if len(single) >= 3 and form in inflections(single) else (s,)


_ICK_WORDS = ("brick", "click", "kick", "pick", "stick", "trick")


def _stem(s: str, form: str) -> tuple[str, ...]:
    """The base(s) of what is left of `form` once -ed or -ing is removed."""
    if len(s) >= 2 and s[-1] == s[-2] and s[-1] not in _VOWELS:
        return _undouble(s, form)
    if s.endswith("ick") and _syllables(s) > 1 and not s.endswith(_ICK_WORDS):
        return (s[:-1],)  # panicked, trafficking
    return _restore_e(s)


def _rule_lemmas(w: str) -> set[str]:
    """Candidate bases of `w` by the regular suffix rules (unchecked)."""
    out: set[str] = set()
    if w.endswith("ing") and len(w) > 4:
        s = w[:-3]
        if w.endswith("ying"):
            out.add(s if len(s) >= 3 else s + "e")  # denying, playing, eying
            if w[:-4] + "ie" in _t.IE_WORDS:
                out.add(w[:-4] + "ie")  # dying, lying
        else:
            out.update(_stem(s, w))
    elif w.endswith("eed"):
        if _listed(w[:-1], _t.EE_VERBS):
            out.add(w[:-1])  # agreed, disagreed (not need, proceed, linseed)
    elif w.endswith("ied") and len(w) > 4:
        out.add(w[:-1] if w[:-1] in _t.IE_WORDS else w[:-3] + "y")  # tied / denied
    elif w.endswith("ed") and len(w) > 3:
        out.update(_stem(w[:-2], w))
    elif w.endswith("s") and len(w) > 3 and not w.endswith(("ss", "us", "is", "'s")) and w not in _t.S_FINAL:
        if w.endswith("ies"):
            out.add(w[:-1] if w[:-1] in _t.IE_WORDS else w[:-3] + "y")  # ties / denies
        elif w.endswith("oes"):
            short = len(w) <= 5 or _listed(w[:-1], _t.E_FINAL)
            out.add(w[:-1] if short else w[:-2])  # toes, canoes / vetoes, heroes
        elif w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")):
            s = w[:-2]
            if s[-1] == s[-2]:
                out.update(_undouble(s, w))  # passes, buzzes, quizzes
            elif s.endswith(("x", "ch", "sh")):
                out.add(s + "e" if _listed(s + "e", _t.E_FINAL) or len(s) < 3 else s)  # fixes, aches
            else:
                out.update(_restore_e(s))  # causes, focuses, sizes
        else:
            out.add(w[:-1])  # warns, makes, photos
    if w.endswith("men") and len(w) >= 6 and w[-4] not in "aiou":
        out.add(w[:-3] + "man")  # gunmen, spokesmen
    return out


def _plausible(base: str) -> bool:
    """A candidate base has three letters and a vowel before any silent e (not "fle")."""
    core = base[:-1] if base.endswith("e") and not base.endswith("ee") else base
    return len(base) >= 3 and base not in _t.NOT_LEMMA and _syllables(core) > 0


@cache
def lemmas(form: str) -> frozenset[str]:
    """The candidate bases of a word form, each L with `form in inflections(L)`.

    warns -> {warn}; planned -> {plan}; posing -> {pose}; denied -> {deny}; fled -> {flee};
    bought -> {buy}; men -> {man}. The form itself is a candidate when it may be a base too:
    a table word (put, lay), an irregular form that is also a word of its own (left ->
    {leave, left}, found -> {find, found}), an -ing form (warning -> {warn, warning}), or a
    word no rule explains (need, news). Irregular verb forms are not re-analysed by the
    regular rules (does -> {do}, not doe).
    """
    w = form.lower()
    if w in _t.NOT_INFLECTED:
        return frozenset((w,))
    nouns = _nouns_of(w)
    found = set(_VERB_OF.get(w, ())) | nouns
    if w not in _VERB_OF:
        rule = {c for c in _rule_lemmas(w) if _plausible(c)}
        if nouns:  # crises is crisis's, not "crise"'s; lives is life's and live's
            rule &= _t.PLURAL_HOMOGRAPHS
        found |= rule
        if w.endswith("ings") and len(w) > 5:
            found |= lemmas(w[:-1])  # warnings: warning and warn
    base = w in _IRREGULAR_VERBS or w in _IRREGULAR_NOUNS or w in _t.ALSO_BASE
    if base or w.endswith("ing") or not found:
        found.add(w)
    return frozenset(c for c in found if w in inflections(c))
