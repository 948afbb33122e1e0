"""Named word lists, one per purpose.

Each list belongs to the one job it was tuned for; two lists that look alike
are kept apart on purpose (merging them would change what a stage keeps), so
a list's name says what it is for.  All are frozensets of lowercase words.
"""

from __future__ import annotations

#: English function words (NLTK's stop-word list, lowercased, contractions
#: split the way the tokenizer splits them) plus question words.  Left out of
#: search queries: in an OR query they match nearly every memory and only add
#: noise to the bm25 ranking.  Kept when a query has nothing else.
SEARCH_STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could d did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just ll m me might more most must my
    myself no nor not now o of off on once only or other ought our ours ourselves out over own re s same shall
    she should so some such t than that the their theirs them themselves then there these they this those
    through to too under until up ve very was we were what when where which while who whom whose why will with
    would y you your yours yourself yourselves
    """.split()
)

#: Words too common to link memories into a pattern community (function words,
#: the words every memory uses -- user, prefers, session, tool -- dates and
#: shell commands): :func:`dreaming.patterns.communities.terms_of`.
PATTERN_STOP_WORDS = frozenset(
    """a an the and or but so to of in on at for with from by about as is are was were be been being am i me my we our
    us you your it its this that these those there here have has had do does did not no yes just really very also too
    some any all more most much many can could will would should might may shall must then than user users team
    assistant prefers prefer uses use wants want likes like said says one two new old same other others only when
    after before while into over under again still even ever never always what which who whom whose where why how
    instead worked work works working failed fail fails error errors tool workaround standing instruction goal
    session summary compact note notes fact facts memory memories others time times day days week weeks month
    months year years today yesterday tomorrow january february march april may june july august september
    october november december monday tuesday wednesday thursday friday saturday sunday
    he she him her his hers they them their theirs its during through because about seeing getting having
    bash shell python python3 import print open read write file files text pages page docs run with get set
    true false none self return def class echo cat grep sed awk sudo pip npm node exec command""".split()
)

#: Function words left out when two texts' content words are compared to
#: decide whether a candidate restates a stored memory
#: (:mod:`dreaming.normalise.restatements`).
RESTATEMENT_STOP_WORDS = frozenset(
    "the a an and or but so to of in on at for with from by about as is are was were be been being has have had do "
    "does did not no it its this that these those there here his her their them they she he him who which what "
    "really very just also too some any all more most much many can could will would should might may others "
    "and others".split()
)

#: Function words (with the contractions a speaker uses) left out of a
#: statement's content words (:mod:`dreaming.extract.statements`).
STATEMENT_STOP_WORDS = frozenset(
    "i'm i've i'd i'll we're we've it's that's there's "
    "a an the and or but so to of in on at for with from by about as is are was were be been being am i me my we our us "
    "you your it its this that these those there here have has had do does did not no yes just really very also too "
    "some any all more most much many can could will would should might may shall must then than".split()
)

#: Common English past tenses that do not end in -ed (and "moved"), for telling
#: a past statement from a present one:
#: :mod:`dreaming.extract.phrasing` leaves them unconjugated and
#: :mod:`dreaming.normalise.times` reads "went yesterday" as a past event.
IRREGULAR_PAST = frozenset({
    "was", "were", "had", "did", "went", "got", "made", "took", "came", "saw", "gave", "found", "thought",
    "told", "became", "left", "felt", "kept", "began", "brought", "bought", "built", "wrote", "read", "ran",
    "met", "paid", "sent", "spent", "won", "lost", "sold", "taught", "caught", "held", "heard", "knew",
    "put", "set", "let", "cut", "quit", "hit", "shut", "moved", "drove", "flew", "grew", "chose", "fell",
})
