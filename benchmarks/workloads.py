"""Deterministic benchmark workloads: gazetteers and token rules, written for iedsl AND spaCy.

Everything derived from the corpus (name lists, rule files, spaCy patterns) is written to a
work directory OUTSIDE the project (default /tmp/iedsl-bench, env IEDSL_BENCH_WORK): the
Reuters-21578 terms allow research use only, so nothing derived from it may enter the repo.

- Gazetteers: maximal runs of capitalised tokens in the corpus (as in the research baselines),
  ranked by frequency, typed ORG/PERSON/PLACE/NAME by a word-list heuristic. 1k and 10k are the
  top of one ranked list; 100k pads every real name with seeded synthetic names made of the
  same capitalised words. Written as iedsl YAML lexicons (one file per type, `case:
  sensitive`) and as spaCy EntityRuler phrase patterns (ORTH, the EntityRuler default).
- Rules: 10/100/1,000 seeded rules of four realistic shapes (entity + verb + optional
  preposition + gap + object word or entity), as one `.ie` file (`mode all`) and as spaCy
  Matcher patterns (ENT_TYPE with ENT_IOB for entities, LOWER IN sets for words).

Why the two forms are equivalent (docs/performance.md, "Equivalence"):
- iedsl annotations of one type never overlap and are resolved longest, then leftmost; the
  EntityRuler resolves all labels together the same way. So real names are accepted only when
  they cannot overlap a name of another type in any text (no containment, no suffix = prefix);
  then the per-type and the global resolution keep the same spans.
- An iedsl `TYPE` step consumes a whole annotation; spaCy's `B` + `I*` could stop inside an
  entity. In every shape an entity is followed by a verb or ends the rule, and no name contains
  a verb form, so `I*` must reach the entity's end (at the rule's end, the longest match per
  start is the one compared).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 1987
VERSION = 7  # bump when generation changes, so cached work files are rebuilt
LEXICON_SIZES = (1_000, 10_000, 100_000)
RULE_COUNTS = (10, 100, 1_000)
TYPES = ("ORG", "PERSON", "PLACE", "NAME")

# ---------------------------------------------------------------------------- rule vocabulary
# Hand-written (not taken from the corpus): business-news verbs with their inflections,
# object nouns and prepositions. Verb and object sets are disjoint, and none of them is an
# iedsl keyword that cannot be a bare word (`rule`, `entity`, `use`).
VERBS: dict[str, tuple[str, ...]] = {  # lemma -> its forms
    (forms := tuple(v.split()))[0]: forms
    for v in (
        "say says said saying; report reports reported reporting; post posts posted posting; raise raises "
        "raised raising; buy buys bought buying; sell sells sold selling; acquire acquires acquired "
        "acquiring; agree agrees agreed agreeing; plan plans planned planning; expect expects expected "
        "expecting; announce announces announced announcing; reduce reduces reduced reducing; complete "
        "completes completed completing; approve approves approved approving; sign signs signed signing; "
        "seek seeks sought seeking; estimate estimates estimated estimating; receive receives received "
        "receiving; lower lowers lowered lowering; boost boosts boosted boosting; hold holds held "
        "holding; own owns owned owning; propose proposes proposed proposing; reject rejects rejected "
        "rejecting; launch launches launched launching; suspend suspends suspended suspending; extend "
        "extends extended extending; win wins won winning; pay pays paid paying; declare declares "
        "declared declaring; tell tells told telling; forecast forecasts forecasted forecasting"
    ).split(";")
}
OBJECTS = tuple(
    "stake stakes shares dividend dividends profit profits earnings loss losses revenue revenues "
    "sales bid bids tender agreement merger acquisition subsidiary debt loan loans credit bonds notes "
    "stock prices price rates rate output production imports exports tonnes crude oil wheat grain "
    "sugar coffee cocoa talks deal contract plant reserves surplus deficit inflation growth interest "
    "capital assets securities payment payments quota quotas tariffs unit operations company offer "
    "proposal year quarter reporters statement".split()
)
PREPS = tuple("of to for in on at from with by about into over".split())
VERB_FORMS = frozenset(w for forms in VERBS.values() for w in forms)

# ---------------------------------------------------------------------------- name heuristics
CONNECTORS = frozenset({"of", "and", "de", "du", "la", "von", "van", "der"})
LEADING = frozenset(
    "The A An In On At But And It He She They We This That These Those Its His Her Their Our "
    "For By To As If When While After Before Under Among Also Other Some Such".split()
)
REJECT = frozenset(  # date and table words: "Jan", "Shr", "Qtr" runs are not names
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday "
    "Saturday Sunday Shr Shrs Net Revs Qtr Avg Oper Mths Mln Dlrs Cts Vs Note Loss Profit "
    "Year Nine Six Reuter Reuters".split()
)
ORG_WORDS = frozenset(
    "Corp Inc Co Ltd Bank Group Association Board Ministry Commission Exchange Council "
    "Department Industries Airlines Petroleum Oil Motors Fund Agency Reserve Committee Securities "
    "Trust Holdings Energy Foods Systems Technologies Partners Chemical Steel Mining Authority "
    "Organisation Organization Union Institute Court Party Office Bureau Federation Market "
    "Electric Financial Capital Savings Communications Resources Services Products Company "
    "Companies Corporation Incorporated Limited Plc PLC Bancorp Airways Insurance".split()
)
PLACE_WORDS = frozenset(
    "York States Kingdom Africa America Germany Japan City Island Islands Republic Arabia "
    "Zealand Kong Korea Province County Bay River Gulf Sea Coast Europe Asia Lanka Rica Emirates "
    "Jersey Dakota Carolina Virginia Columbia Texas California Wales Scotland Ireland Canada "
    "Mexico Ocean Valley".split()
)
PERSON_FIRST = frozenset(
    "Mr Mrs Ms Dr Sir Lord President Minister Chairman Senator Governor Secretary Prime John "
    "James Robert Michael William David Richard Charles Joseph Thomas Paul Peter George Edward "
    "Henry Frank Jack Donald Ronald Margaret Mary Helmut Jacques Yasuhiro Kiichi Gerhard Karl "
    "Hans Pierre Francois Alan Howard Brian Kenneth Nigel Geoffrey Norman Ian Leon Lee Carl Jim "
    "Tom Bill Bob Walter Fred Arthur Harold Stephen Steven Daniel Mark Andrew Anthony Roger "
    "Gary Larry Jeffrey Martin Alfred Clayton Malcolm Nicholas Jean Claude Karl Otto".split()
)


def type_of(tokens: tuple[str, ...]) -> str:
    """The heuristic type of a name: an org word anywhere, a title or first name up front,
    a place word anywhere, else NAME."""
    if any(t in ORG_WORDS for t in tokens):
        return "ORG"
    if tokens[0] in PERSON_FIRST:
        return "PERSON"
    if any(t in PLACE_WORDS for t in tokens):
        return "PLACE"
    return "NAME"


def load_texts(corpus: Path, limit: int | None = None) -> list[str]:
    """The `text` fields of the corpus JSONL(.gz), in file order (at most `limit`)."""
    opener = gzip.open if str(corpus).endswith(".gz") else open
    texts: list[str] = []
    with opener(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and len(texts) >= limit:
                break
            texts.append(json.loads(line)["text"])
    return texts


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper() and tok.isalpha()


def _runs(words: list[str]) -> list[tuple[str, ...]]:
    """Maximal runs of capitalised words (connectors allowed between two of them) in one
    sentence, leading function words stripped, 2-6 words, without date/table words or verbs."""
    out: list[tuple[str, ...]] = []
    i, n = 0, len(words)
    while i < n:
        if not _is_cap(words[i]):
            i += 1
            continue
        j = i + 1
        while j < n and (
            _is_cap(words[j]) or (words[j] in CONNECTORS and j + 1 < n and _is_cap(words[j + 1]))
        ):
            j += 1
        run = words[i:j]
        while run and run[0] in LEADING:
            run = run[1:]
        while run and run[-1] in CONNECTORS:
            run = run[:-1]
        i = j
        if not 2 <= len(run) <= 6 or all(t.isupper() for t in run if t not in CONNECTORS):
            continue  # one word, too long, or a headline in capitals
        if any(t in REJECT or t.lower() in VERB_FORMS for t in run):
            continue
        out.append(tuple(run))
    return out


def name_candidates(texts: list[str], seed: int = SEED) -> list[tuple[str, ...]]:
    """Every capitalised run of the corpus (sentence by sentence, iedsl's segmentation), most
    frequent first, ties broken by a seeded hash (so the order does not depend on hashing)."""
    from ie_dsl.text.segment import segment  # the tokenizer both the lexicon and the text go through

    freq: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        seg = segment(text)
        for s in seg.sentences:
            span = range(s.first_token, s.end_token)
            words = [text[seg.starts[k] : seg.ends[k]] for k in span]
            freq.update(_runs(words))
    return sorted(freq, key=lambda t: (-freq[t], _hash(seed, " ".join(t))))


def _hash(seed: int, s: str) -> str:
    return hashlib.sha1(f"{seed}:{s}".encode()).hexdigest()


class _Overlaps:
    """The names accepted so far, indexed so that "could this name overlap, in some text, an
    accepted name of another type?" is a few set look-ups."""

    def __init__(self) -> None:
        self.full: dict[str, set[tuple[str, ...]]] = {t: set() for t in TYPES}
        self.sub: dict[str, set[tuple[str, ...]]] = {t: set() for t in TYPES}
        self.pre: dict[str, set[tuple[str, ...]]] = {t: set() for t in TYPES}
        self.suf: dict[str, set[tuple[str, ...]]] = {t: set() for t in TYPES}

    def clashes(self, name: tuple[str, ...], typ: str) -> set[str]:
        """The other types with a name that contains `name`, is contained in it, or overlaps
        it partly (a proper suffix of one is a proper prefix of the other)."""
        n = len(name)
        subs = {name[i:j] for i in range(n) for j in range(i + 1, n + 1)}
        out = set()
        for t in TYPES:
            if t == typ:
                continue
            if (
                name in self.sub[t]
                or subs & self.full[t]
                or any(name[k:] in self.pre[t] or name[:k] in self.suf[t] for k in range(1, n))
            ):
                out.add(t)
        return out

    def add(self, name: tuple[str, ...], typ: str) -> None:
        n = len(name)
        self.full[typ].add(name)
        self.sub[typ].update(name[i:j] for i in range(n) for j in range(i + 1, n + 1))
        self.pre[typ].update(name[:k] for k in range(1, n))
        self.suf[typ].update(name[k:] for k in range(1, n))


def typed_names(cands: list[tuple[str, ...]]) -> list[tuple[tuple[str, ...], str]]:
    """The candidates, in rank order, each with its type; a name that could overlap a name of
    another type takes that type when that is consistent, else it is left out."""
    index = _Overlaps()
    out = []
    for name in cands:
        typ = type_of(name)
        clash = index.clashes(name, typ)
        if clash:
            if len(clash) > 1:
                continue
            typ = clash.pop()
            if index.clashes(name, typ):
                continue
        index.add(name, typ)
        out.append((name, typ))
    return out


def synthetic_names(
    real: list[tuple[tuple[str, ...], str]], count: int, seed: int = SEED
) -> list[tuple[tuple[str, ...], str]]:
    """`count` new seeded names of 2-3 capitalised words taken from the real names (30% with an
    org word at the end), typed by the same heuristic. Used only by the iedsl 100k case."""
    rng = random.Random(seed)
    vocab = sorted({t for name, _ in real for t in name if t not in CONNECTORS})
    suffixes = sorted(ORG_WORDS)
    seen = {name for name, _ in real}
    out = []
    while len(out) < count:
        name = tuple(rng.choice(vocab) for _ in range(rng.choice((2, 2, 3))))
        if rng.random() < 0.3:
            name = name[:2] + (rng.choice(suffixes),)
        if name in seen:
            continue
        seen.add(name)
        out.append((name, type_of(name)))
    return out


# ---------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rule:
    """One token rule as engine-neutral elements: ("ent", types), ("words", words, optional),
    ("gap", lo, hi)."""

    id: str
    shape: int
    elements: tuple[tuple[Any, ...], ...]


def make_rules(n: int, seed: int = SEED) -> list[Rule]:
    """`n` seeded rules, four shapes in rotation:
    0 `ENT VERB PREP? ...{0,3} OBJ`              Acme Corp said on Monday its profit
    1 `ENT VERB PREP? ...{0,3} ENT`              Acme Corp bought 20 pct of Beta Inc
    2 `ENT VERB ...{0,3} OBJ PREP ENT`           Acme Corp said it bought a stake in Beta Inc
    3 `OBJ PREP ...{0,2} ENT`                    a stake in the Beta Inc"""
    rng = random.Random(seed)  # one sequence: the 10 rules are the first 10 of the 100, and so on
    lemmas = sorted(VERBS)

    def ents(pool: tuple[str, ...]) -> tuple[str, ...]:
        # the first type of the pool is the common one in newswire (ORG): drawn half the time
        first = pool[0] if rng.random() < 0.5 else rng.choice(pool[1:])
        more = rng.sample([t for t in pool if t != first], 1) if rng.random() < 1 / 3 else []
        return tuple(sorted([first, *more]))

    def verb() -> tuple[str, ...]:
        picked = rng.sample(lemmas, rng.choice((1, 1, 1, 2)))
        if "say" not in picked and rng.random() < 0.25:  # newswire: "X said ..." is the common case
            picked[0] = "say"
        return tuple(f for lemma in picked for f in VERBS[lemma])

    def objs(lo: int = 3, hi: int = 15) -> tuple[str, ...]:
        return tuple(rng.sample(OBJECTS, rng.randint(lo, hi)))

    def preps(lo: int = 1, hi: int = 3) -> tuple[str, ...]:
        return tuple(rng.sample(PREPS, rng.randint(lo, hi)))

    subjects, targets = ("ORG", "NAME", "PERSON"), ("ORG", "NAME", "PLACE")
    rules = []
    for i in range(n):
        shape = i % 4
        if shape == 0:
            el = (
                ("ent", ents(subjects)),
                ("words", verb(), False),
                ("words", preps(), True),
                ("gap", 0, 3),
                ("words", objs(), False),
            )
        elif shape == 1:
            el = (
                ("ent", ents(subjects)),
                ("words", verb(), False),
                ("words", preps(), True),
                ("gap", 0, 3),
                ("ent", ents(targets)),
            )
        elif shape == 2:
            el = (
                ("ent", ents(subjects)),
                ("words", verb(), False),
                ("gap", 0, 3),
                ("words", objs(), False),
                ("words", preps(1, 2), False),
                ("ent", ents(targets)),
            )
        else:
            el = (
                ("words", objs(2, 8), False),
                ("words", preps(1, 2), False),
                ("gap", 0, 2),
                ("ent", ents(targets)),
            )
        rules.append(Rule(f"r{i:04d}", shape, el))
    return rules


def rule_to_ie(rule: Rule, loose: bool = False) -> str:
    """The rule in the iedsl language; `mode all` reports one match (the farthest end) per
    start, which is what the differential compares. `loose`: the same skeleton as a loose
    rule (no hand-sized gaps: the English grammar says what may stand between)."""
    parts = []
    for el in rule.elements:
        if el[0] == "gap" and loose:
            continue
        if el[0] == "ent":
            parts.append(el[1][0] if len(el[1]) == 1 else "(" + " | ".join(el[1]) + ")")
        elif el[0] == "words":
            alt = el[1][0] if len(el[1]) == 1 else "(" + " | ".join(el[1]) + ")"
            parts.append((alt if len(el[1]) > 1 else f"({alt})") + "?" if el[2] else alt)
        else:
            parts.append(f"...{{{el[1]},{el[2]}}}")
    return f"rule {rule.id}{' loose' if loose else ''} mode all: " + " ".join(parts)


def rule_to_spacy(rule: Rule) -> list[dict[str, Any]]:
    """The rule as one spaCy Matcher pattern. An entity is its `B` token then any `I` tokens;
    words are `LOWER IN` sets (iedsl compares lower-cased norms); a gap is `{}` repeated."""
    pat: list[dict[str, Any]] = []
    for el in rule.elements:
        if el[0] == "ent":
            types = list(el[1])
            pat.append({"ENT_IOB": "B", "ENT_TYPE": types[0] if len(types) == 1 else {"IN": types}})
            pat.append({"ENT_IOB": "I", "OP": "*"})
        elif el[0] == "words":
            tok: dict[str, Any] = {"LOWER": {"IN": list(el[1])}}
            if el[2]:
                tok["OP"] = "?"
            pat.append(tok)
        else:
            pat.append({"OP": f"{{{el[1]},{el[2]}}}"})
    return pat


# ---------------------------------------------------------------------------- files
def write_lexicon_dir(entries: list[tuple[tuple[str, ...], str]], out: Path) -> Path:
    """One iedsl YAML lexicon per type (`case: sensitive`, as spaCy's ORTH) under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for typ in TYPES:
        names = [" ".join(name) for name, t in entries if t == typ]
        body = "".join(f"  - {json.dumps(n)}\n" for n in names)  # JSON strings are YAML strings
        (out / f"{typ.lower()}.yaml").write_text(f"type: {typ}\ncase: sensitive\nentries:\n{body}")
    return out


def spacy_entity_patterns(entries: list[tuple[tuple[str, ...], str]]) -> list[dict[str, str]]:
    """EntityRuler phrase patterns ({"label", "pattern"}) for the same names."""
    return [{"label": typ, "pattern": " ".join(name)} for name, typ in entries]


@dataclass(frozen=True)
class Workloads:
    """Paths of the generated files in the work directory."""

    root: Path

    def lexicon(self, size: int) -> Path:
        return self.root / f"lex{size // 1000}k"

    def entity_patterns(self, size: int) -> Path:
        return self.root / f"entities{size // 1000}k.jsonl"

    def rules_ie(self, n: int) -> Path:
        return self.root / f"rules{n}" / "rules.ie"

    def rules_loose(self, n: int) -> Path:
        """The rules as loose rules, beside the pack's English grammar they use."""
        return self.root / f"rules{n}_loose"

    def rules_spacy(self, n: int) -> Path:
        return self.root / f"rules{n}.spacy.json"

    def stats(self) -> dict[str, Any]:
        return json.loads((self.root / "manifest.json").read_text())["stats"]


def prepare(work: Path, corpus: Path, seed: int = SEED, log: Any = print) -> Workloads:
    """Generate every workload under `work/workloads` unless a manifest for the same corpus,
    seed and generator version is already there. Returns where the files are."""
    root = work / "workloads"
    key = {"corpus": str(corpus), "size": corpus.stat().st_size, "seed": seed, "version": VERSION}
    manifest = root / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("key") == key:
        return Workloads(root)
    log(f"generating workloads in {root} ...")
    root.mkdir(parents=True, exist_ok=True)
    texts = load_texts(corpus)
    cands = name_candidates(texts, seed)
    real = typed_names(cands)
    stats: dict[str, Any] = {"candidates": len(cands), "accepted": len(real)}
    wl = Workloads(root)
    for size in LEXICON_SIZES:
        entries = real[:size]
        if len(entries) < size:
            entries = entries + synthetic_names(entries, size - len(entries), seed)
        write_lexicon_dir(entries, wl.lexicon(size))
        with wl.entity_patterns(size).open("w") as fh:
            for p in spacy_entity_patterns(entries):
                fh.write(json.dumps(p) + "\n")
        stats[f"lex{size}"] = dict(Counter(t for _, t in entries), real=min(size, len(real)))
    for n in RULE_COUNTS:
        rules = make_rules(n, seed)
        wl.rules_ie(n).parent.mkdir(parents=True, exist_ok=True)
        wl.rules_ie(n).write_text("".join(rule_to_ie(r) + "\n" for r in rules))
        wl.rules_spacy(n).write_text(json.dumps({r.id: rule_to_spacy(r) for r in rules}))
        loose = wl.rules_loose(n)
        (loose / "lexicons").mkdir(parents=True, exist_ok=True)
        pack = Path(__file__).resolve().parent.parent / "rules"
        shutil.copy(pack / "english.ie", loose / "english.ie")
        shutil.copy(pack / "lexicons" / "titles.yaml", loose / "lexicons" / "titles.yaml")
        body = "".join(rule_to_ie(r, loose=True) + "\n" for r in rules)
        (loose / "rules.ie").write_text('use "english.ie"\n' + body)
    manifest.write_text(json.dumps({"key": key, "stats": stats}, indent=1))
    return wl
