"""Word lists for ie_dsl.text.morph: irregular verbs and nouns, and spelling exceptions.

Data only; the rules that use it are in ie_dsl.text.morph. A verb line is `base past
[participle]`, alternatives separated by "/"; a missing participle is the past (buy bought).
The third person and the gerund are made by the regular rules, so only the past and the
participle are listed. A regular variant (burned/burnt) is listed with the irregular one.
"""

from __future__ import annotations

VERBS = """
abide abode/abided
alight alighted/alit
arise arose arisen
awake awoke awoken
babysit babysat
backslide backslid
be was/were been
bear bore borne/born
beat beat beaten/beat
become became become
befall befell befallen
beget begot/begat begotten
begin began begun
behold beheld
bend bent
bereave bereaved/bereft
beseech besought/beseeched
beset beset
bespeak bespoke bespoken
bet bet/betted
bid bid/bade bid/bidden
bind bound
bite bit bitten
bleed bled
blow blew blown
break broke broken
breastfeed breastfed
breed bred
bring brought
broadcast broadcast/broadcasted
browbeat browbeat browbeaten
build built
burn burned/burnt
burst burst
bust bust/busted
buy bought
cast cast
catch caught
choose chose chosen
cleave cleaved/cleft/clove cleaved/cleft/cloven
cling clung
clothe clothed/clad
come came come
cost cost/costed
creep crept
crossbreed crossbred
cut cut
deal dealt
dig dug
disprove disproved disproven/disproved
dive dived/dove
do did done
draw drew drawn
dream dreamed/dreamt
drink drank drunk
drive drove driven
dwell dwelt/dwelled
eat ate eaten
fall fell fallen
feed fed
feel felt
fight fought
find found
fit fitted/fit
flee fled
fling flung
fly flew flown
forbear forbore forborne
forbid forbade/forbad/forbid forbidden/forbid
forecast forecast/forecasted
forego forewent foregone
foresee foresaw foreseen
foretell foretold
forget forgot forgotten/forgot
forgive forgave forgiven
forgo forwent forgone
forsake forsook forsaken
forswear forswore forsworn
freeze froze frozen
gainsay gainsaid
get got got/gotten
ghostwrite ghostwrote ghostwritten
gild gilded/gilt
gird girded/girt
give gave given
go went gone
grind ground
grow grew grown
hamstring hamstrung
hang hung/hanged
have had
hear heard
heave heaved/hove
hew hewed hewn/hewed
hide hid hidden/hid
hit hit
hold held
hurt hurt
inlay inlaid
input input/inputted
inset inset
interbreed interbred
interweave interwove/interweaved interwoven/interweaved
keep kept
kneel knelt/kneeled
knit knitted/knit
know knew known
lay laid
lead led
lean leaned/leant
leap leaped/leapt
learn learned/learnt
leave left
lend lent
let let
lie lay/lied lain/lied
light lit/lighted
lose lost
make made
mean meant
meet met
miscast miscast
misdeal misdealt
mishear misheard
mislay mislaid
mislead misled
misread misread
misspeak misspoke misspoken
misspell misspelled/misspelt
misspend misspent
mistake mistook mistaken
misunderstand misunderstood
mow mowed mown/mowed
offset offset
outbid outbid
outdo outdid outdone
outfight outfought
outgrow outgrew outgrown
output output/outputted
outrun outran outrun
outsell outsold
outshine outshone
outspend outspent
outthink outthought
overbid overbid
overblow overblew overblown
overbuild overbuilt
overbuy overbought
overcome overcame overcome
overdo overdid overdone
overdraw overdrew overdrawn
overeat overate overeaten
overfeed overfed
overfly overflew overflown
overgrow overgrew overgrown
overhang overhung
overhear overheard
overlay overlaid
overlie overlay overlain
overpay overpaid
override overrode overridden
overrun overran overrun
oversee oversaw overseen
oversell oversold
overshoot overshot
oversleep overslept
overspend overspent
overtake overtook overtaken
overthink overthought
overthrow overthrew overthrown
overwrite overwrote overwritten
partake partook partaken
pay paid
plead pleaded/pled
prepay prepaid
preset preset
proofread proofread
prove proved proven/proved
put put
quit quit/quitted
read read
rebid rebid
rebind rebound
rebroadcast rebroadcast/rebroadcasted
rebuild rebuilt
recast recast
redo redid redone
redraw redrew redrawn
regrow regrew regrown
rehear reheard
relight relit/relighted
remake remade
rend rent
repay repaid
reread reread
rerun reran rerun
resell resold
resend resent
reset reset
resit resat
retake retook retaken
reteach retaught
retell retold
rethink rethought
rewind rewound
rewrite rewrote rewritten
rid rid/ridded
ride rode ridden
ring rang/ringed rung/ringed
rise rose risen
run ran run
saw sawed sawn/sawed
say said
see saw seen
seek sought
sell sold
send sent
set set
sew sewed sewn/sewed
shake shook shaken
shave shaved shaved/shaven
shear sheared shorn/sheared
shed shed
shine shone/shined
shoe shod/shoed
shoot shot
show showed shown/showed
shrink shrank/shrunk shrunk/shrunken
shut shut
sing sang sung
sink sank/sunk sunk/sunken
sit sat
slay slew/slayed slain/slayed
sleep slept
slide slid
sling slung
slink slunk
slit slit
smell smelled/smelt
smite smote smitten
sneak sneaked/snuck
sow sowed sown/sowed
speak spoke spoken
speed sped/speeded
spell spelled/spelt
spend spent
spill spilled/spilt
spin spun
spit spat/spit
split split
spoil spoiled/spoilt
spotlight spotlighted/spotlit
spread spread
spring sprang/sprung sprung
stand stood
steal stole stolen
stick stuck
sting stung
stink stank/stunk stunk
strew strewed strewn/strewed
stride strode stridden
strike struck struck/stricken
string strung
strive strove/strived striven/strived
sublet sublet
swear swore sworn
sweep swept
swell swelled swollen/swelled
swim swam swum
swing swung
take took taken
teach taught
tear tore torn
telecast telecast
tell told
think thought
thrive thrived/throve thrived/thriven
throw threw thrown
thrust thrust
tread trod trodden/trod
troubleshoot troubleshot/troubleshooted
typecast typecast
typeset typeset
unbend unbent
unbind unbound
undercut undercut
underfeed underfed
undergo underwent undergone
underlie underlay underlain
underpay underpaid
undersell undersold
undershoot undershot
underspend underspent
understand understood
undertake undertook undertaken
underwrite underwrote underwritten
undo undid undone
unfreeze unfroze unfrozen
unlearn unlearned/unlearnt
unmake unmade
unstick unstuck
unstring unstrung
unwind unwound
uphold upheld
upset upset
wake woke/waked woken/waked
waylay waylaid
wear wore worn
weave wove/weaved woven/weaved
wed wed/wedded
weep wept
wet wet/wetted
win won
wind wound
withdraw withdrew withdrawn
withhold withheld
withstand withstood
work worked/wrought
wring wrung
write wrote written
"""

# Forms the regular rules get wrong, and forms that are not inflections at all.
THIRD = {"be": ("is",), "have": ("has",)}
GERUND = {"be": ("being",)}
EXTRA = {"be": ("am", "are", "'s", "'re"), "have": ("'ve",), "deny": ("denial", "denials")}

# base plural[/plural]: plurals that are not base+s
NOUNS = """
alga algae
alumnus alumni
analysis analyses
antenna antennae/antennas
appendix appendices/appendixes
axis axes
bacterium bacteria
basis bases
bureau bureaus/bureaux
cactus cacti/cactuses
calf calves
child children
corpus corpora
crisis crises
criterion criteria
curriculum curricula/curriculums
datum data
diagnosis diagnoses
elf elves
ellipsis ellipses
emphasis emphases
focus foci/focuses
foot feet
formula formulae/formulas
fungus fungi/funguses
genus genera
goose geese
half halves
hoof hooves/hoofs
hypothesis hypotheses
index indices/indexes
knife knives
larva larvae
leaf leaves
life lives
loaf loaves
louse lice
man men
matrix matrices
medium media/mediums
memorandum memoranda/memorandums
mouse mice
nucleus nuclei
oasis oases
ox oxen
parenthesis parentheses
passerby passersby
penny pennies/pence
person people/persons
phenomenon phenomena
prognosis prognoses
radius radii
referendum referendums/referenda
scarf scarves/scarfs
self selves
sheaf sheaves
shelf shelves
stimulus stimuli
stratum strata
syllabus syllabi/syllabuses
symposium symposia/symposiums
synopsis synopses
thesis theses
thief thieves
tooth teeth
vertebra vertebrae
vertex vertices
wharf wharves/wharfs
wife wives
wolf wolves
woman women
"""

# Nouns of the table that end compounds with the same plural: grandchild, housewife.
COMPOUND_NOUNS = frozenset("child foot knife mouse person shelf thief tooth wife woman".split())

# Irregular forms that are also base words of their own: lemmas("left") is {leave, left}.
ALSO_BASE = frozenset(
    "bit bore bound clove data dove drove drunk felt fell found ground left media people "
    "rebound rent resent rose rung shot slew smelt spat spoke stole thought wound".split()
)

# Words that look inflected but are not (lemmas returns only the word itself).
NOT_INFLECTED = frozenset(
    "afterwards always anything besides chaos during economics ethics ethos evening everything "
    "hers his hundred indeed its kindred kudos lens mathematics morning naked news nothing "
    "ours ourselves perhaps physics politics sacred series something sometimes species theirs "
    "themselves towards whereas wicked yes yours yourselves".split()
)

# Regular words with a form that is also an irregular plural: lives (life, live), bases.
PLURAL_HOMOGRAPHS = frozenset("analyse axe base calve diagnose halve leave live shelve thieve".split())

# Never offered as the lemma of another word (theses is not a form of "these").
NOT_LEMMA = frozenset("these those".split())

# Longer words whose final consonant doubles: admit/admitted, occur/occurring.
DOUBLING = frozenset(
    "abet abhor abut acquit admit allot annul appal aver babysit befit beget begin beset "
    "bootleg commit compel concur confer control defer demur deter dispel distil embed emit "
    "enrol enthral equip excel expel extol forbid forget format handicap impel incur infer "
    "input inset instil inter leapfrog occur offset omit outbid outfit outrun outwit overbid "
    "overlap overrun overstep patrol permit prefer preset propel rebel rebid rebut recap "
    "recur refer refit regret remit repel rerun reset resit retrofit sidestep sublet submit "
    "transfer transmit typeset unclog underbid undercut unpin unplug unwrap unzip upset "
    "output zigzag".split()
)

# Words that look like a prefix and a short word but do not double: debited, debuted.
NO_DOUBLING = frozenset("debit debut".split())

# Words that take both spellings: benefited/benefitted, focused/focussed.
EITHER = frozenset("benefit bias combat diagram focus kidnap program worship".split())

# Short words in -s/-z that double: gas/gassed, quiz/quizzes (pass/passed does not).
S_DOUBLING = frozenset("bus gas quiz whiz".split())

# Words in -s that keep no silent e: focused is focus+ed, not focuse+d.
S_FINAL = frozenset(
    "alias apparatus atlas bias bonus bus campus canvas caucus census chorus circus "
    "consensus corpus fetus focus genius lens minus nexus nonplus octopus plus prospectus "
    "sinus status surplus thesaurus virus walrus".split()
)

# Silent-e verbs that the spelling rules in morph._restore_e would not guess.
E_FINAL = frozenset(
    "ache adhere adore atone bore cajole canoe cite cohere complete compete concrete condone "
    "connote core create delete delineate demote denote deplete dethrone devote dote elope "
    "emote enthrone excite expedite explore extradite ignite ignore implore incite interfere "
    "intone invite misquote mete nauseate note oboe permeate persevere postpone procreate "
    "promote quote recite recreate restore revere reunite score secrete snore spite store "
    "taste telephone tiptoe tote underscore unite vote waste paste haste baste niche cache "
    "avalanche moustache mustache psyche quiche cliche change range arrange exchange estrange "
    "derange shortchange interchange binge singe tinge hinge impinge infringe cringe fringe "
    "syringe whinge exhale inhale impale regale compile reconcile exile defile stockpile "
    "beguile revile profile welcome".split()
)

# -ie words: dies is die+s, not dy+ies; everything else in -ies is -y (denies: deny).
IE_WORDS = frozenset(
    "belie birdie bookie brownie calorie cookie die freebie goalie hippie hogtie hoodie "
    "indie junkie lie magpie movie necktie newbie pie prairie rookie selfie smoothie sortie tie "
    "untie vie yuppie zombie".split()
)

# Regular verbs in -ee: agreed is agree+d (need, proceed are words of their own).
EE_VERBS = frozenset("agree decree disagree emcee free guarantee knee pee referee tee".split())

# Longer words that end in -ll (installed is install+ed; controlled is control+led).
LL_FINAL = frozenset(
    "appall backfill blackball distill enroll enthrall eyeball forestall fulfill install "
    "instill overfill recall refill snowball stonewall".split()
)

# Words in -ge/-ue whose gerund may keep the e: ageing, bingeing, queueing.
KEEP_E = frozenset("age binge cue eye queue singe tinge whinge".split())
