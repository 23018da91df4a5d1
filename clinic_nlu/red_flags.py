"""Red flags in a message, and whether each one applies: pure spaCy and medspaCy, no Rasa.

A red flag is a symptom that needs a doctor today, not an FAQ answer (NICE CKS, low back pain
and sciatica): loss of bladder or bowel control, numbness in the groin or saddle area, sudden
or worsening leg weakness, symptoms in both legs, sciatica after a serious fall or accident,
sciatica with fever, new back pain with a history of cancer, unexplained weight loss.

Two steps:

1. **Mentions.** The entity ruler of the clinic pipeline (``clinic_nlu.vocabulary``) marks the
   terms; a term that is a red flag only with a qualifier ("bladder" + "control") needs one
   nearby. Each mention is a span in the doc's span group ``red_flags``.
2. **Context.** ConText (``clinic_nlu.context_rules``: medspaCy's published rules plus lay
   triggers) marks each mention negated, hypothetical, historical, possible or about family.

What a status means, category by category, is decided here: a negated, hypothetical or
historical mention does not apply; a possible one does (safety first); a history of cancer is
the red flag itself, and a relative's cancer is something to ask about, not to alarm about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from clinic_nlu import vocabulary as v
from clinic_nlu.context_rules import EXCLUDED_DEFAULTS, patient_rules

SPAN_GROUP = "red_flags"
# A bare term ("bladder", "weakness") without the qualifier that makes it a red flag.
BARE = "bare"
# How many tokens either side of a term a qualifier may stand.
WINDOW = 8
LEGS_WINDOW = 4

# Statuses of a mention.
ASSERTED = "asserted"
NEGATED = "negated"
HYPOTHETICAL = "hypothetical"
HISTORICAL = "historical"
FAMILY = "family"
POSSIBLE = "possible"
GENERAL = "general"  # asked about in general ("can cancer cause sciatica?")

# Outcomes for a message.
URGENT = "urgent"  # a red flag that applies: urgent-care advice
ASK = "ask"  # something to ask about (a relative's cancer, cancer without pain)
RULED_OUT = "ruled_out"  # red-flag words, none of which applies
NONE = "none"  # no red-flag words

_NEGATION_TOKENS = frozenset({"n't", "nt", "not", "cannot", "unable", "no", "never"})

# Qualifiers that turn a term into a red flag, by the term's label (lemmas or lower forms).
QUALIFIERS: dict[str, tuple[str, frozenset[str]]] = {
    "RF_CONTINENCE": (
        v.BLADDER_BOWEL,
        frozenset(
            {
                "control",
                "lose",
                "lost",
                "loss",
                "losing",
                "leak",
                "leaking",
                "leaky",
                "hold",
                "wet",
                "accident",
                "accidents",
                "numb",
                "numbness",
                "feel",
                "feeling",
                "sensation",
                "retention",
                "retain",
                "empty",
                "emptying",
                "difficulty",
                "difficult",
                "trouble",
                "struggle",
                "struggling",
                "strain",
                "straining",
                "problem",
                "problems",
                "incontinent",
                "stop",
                "stopped",
                "weak",
                "dribble",
                "dribbling",
                "sudden",
                "suddenly",
                "change",
                "changes",
                "able",
                "warning",
                "tell",
                "know",
                "sense",
                "notice",
            }
        ),
    ),
    "RF_SADDLE": (
        v.SADDLE_NUMBNESS,
        frozenset(
            {
                "numb",
                "numbness",
                "numbess",
                "tingle",
                "tingling",
                "tingly",
                "pins",
                "feel",
                "feeling",
                "sensation",
                "dead",
                "asleep",
                "anaesthesia",
                "anesthesia",
            }
        ),
    ),
    "RF_WEAKNESS": (
        v.LEG_WEAKNESS,
        frozenset(
            {
                "sudden",
                "suddenly",
                "worse",
                "worsen",
                "worsening",
                "weaker",
                "getting",
                "gone",
                "went",
                "progressive",
                "progressively",
                "rapidly",
                "quickly",
                "overnight",
                "new",
                "increasingly",
                "more",
                "spreading",
                "lose",
                "losing",
                "lost",
                "collapse",
                "collapsed",
                "fall",
                "fell",
                "drag",
                "dragging",
                "today",
                "yesterday",
            }
        ),
    ),
    "RF_BOTH": (
        v.BOTH_LEGS,
        frozenset(
            {
                "leg",
                "legs",
                "foot",
                "feet",
                "thigh",
                "thighs",
                "calf",
                "calves",
                "side",
                "sides",
                "buttock",
                "buttocks",
                "hip",
                "hips",
                "knee",
                "knees",
                "ankle",
                "ankles",
            }
        ),
    ),
}
# symptoms that make "my legs" both legs
QUALIFIERS["RF_LEGS"] = (
    v.BOTH_LEGS,
    frozenset(
        {
            "numb",
            "numbness",
            "tingle",
            "tingling",
            "tingly",
            "weak",
            "weakness",
            "ache",
            "aching",
            "pain",
            "painful",
            "hurt",
            "hurts",
            "hurting",
            "shooting",
            "burning",
            "sciatica",
            "sciatic",
            "pins",
            "heavy",
            "dead",
            "cramp",
            "cramping",
            "electric",
        }
    ),
)
_CANCER_LABEL = "RF_CANCER"
# Words that turn a negated cancer into a history of it: "five years clear of cancer".
_CANCER_HISTORY = frozenset({"clear", "free", "remission", "survivor", "all-clear"})
_INVESTIGATIONS = frozenset(
    {"scan", "scanned", "scans", "mri", "ct", "x-ray", "xray", "investigated", "tests", "bloods"}
)
_CLEAR_RESULTS = frozenset({"clear", "normal", "fine", "nothing", "mechanical"})
# A history of cancer is a red flag with back or leg pain in the same message.
_PAIN_CONTEXT = frozenset(
    {
        "pain",
        "ache",
        "aching",
        "sore",
        "hurt",
        "hurts",
        "hurting",
        "sciatica",
        "sciatic",
        "agony",
        "throbbing",
        "shooting",
        "burning",
        "numb",
        "numbness",
        "tingling",
        "killing",
        "aches",
        "stiff",
        # "my back is killing me": the back or a leg itself
        "back",
        "spine",
        "leg",
        "legs",
        "hip",
        "buttock",
        "bum",
    }
)

# "fall asleep", "fall under my insurance": uses of "fall" that are not a fall.
_NOT_A_FALL = frozenset({"asleep", "under", "within", "into", "behind", "apart", "pregnant"})

# The visitor speaking of themselves ("I", "mine"), beside a relative's red flag.
_SELF = frozenset({"i", "me", "mine", "myself", "im", "ive"})
# "my issue is...", "my own": the visitor's own problem, after "my"
_MINE = frozenset({"own", "issue", "issues", "problem", "problems", "case", "situation", "one"})

# ConText categories, in order of precedence: "grandad had cancer" is family first,
# historical second.
_CONTEXT_STATUS = (
    ("NEGATED_EXISTENCE", NEGATED),
    ("HYPOTHETICAL", HYPOTHETICAL),
    ("GENERAL_QUESTION", GENERAL),
    ("FAMILY", FAMILY),
    ("HISTORICAL", HISTORICAL),
    ("POSSIBLE_EXISTENCE", POSSIBLE),
)
# Words that make a mention someone's own: "my incontinence", "he has a fever".
_OWNERS = frozenset({"my", "i", "im", "ive", "me", "his", "her", "he", "she", "mine"})


@dataclass(frozen=True)
class Mention:
    """One red-flag mention: its category, its words, and whether it applies."""

    category: str
    text: str
    status: str
    verdict: str

    @property
    def applies(self) -> bool:
        """The red flag applies: urgent-care advice."""
        return self.verdict == URGENT


@dataclass(frozen=True)
class Assessment:
    """What a message's red-flag mentions add up to."""

    outcome: str
    mentions: tuple[Mention, ...]

    @property
    def categories(self) -> list[str]:
        """The categories of the mentions that apply, in order of appearance, once each."""
        return list(dict.fromkeys(m.category for m in self.mentions if m.applies))


def _is_false_fall(span: Span) -> bool:
    doc = span.doc
    if span.label_ != "RED_FLAG" or span.ent_id_ != v.TRAUMA:
        return False
    if span[0].lemma_ != "fall" and span[0].lower_ not in {"fell", "fallen", "falling", "falls"}:
        return False
    return span.end < len(doc) and doc[span.end].lower_ in _NOT_A_FALL


def _window(span: Span, size: int = WINDOW) -> Span:
    doc = span.doc
    return doc[max(0, span.start - size) : min(len(doc), span.end + size)]


def _negated_word(token: Token) -> bool:
    """ "aren't weak", "not numb", "no tingling": a qualifier the visitor denies.

    A denied function ("can't hold", "no control") is a lost function: it still counts.
    """
    if token.lemma_ in v.FUNCTION_WORDS:
        return False
    before = token.doc[max(0, token.i - 2) : token.i]
    return any(t.lower_ in _NEGATION_TOKENS or t.lemma_ == "not" for t in before)


def _has_qualifier(span: Span, qualifiers: frozenset[str], size: int = WINDOW) -> bool:
    for token in _window(span, size):
        if span.start <= token.i < span.end:
            continue
        if (token.lower_ in qualifiers or token.lemma_ in qualifiers) and not _negated_word(token):
            return True
    return False


def _lost_function(span: Span) -> bool:
    """ "can't pee", "not able to go to the toilet": a negated bodily function."""
    doc = span.doc
    for token in doc[max(0, span.start - 5) : span.start]:
        if token.lower_ in _NEGATION_TOKENS or token.lemma_ == "not":
            return True
    return span.start > 0 and doc[span.start - 1].lemma_ in v.FUNCTION_WORDS


def _category(span: Span) -> tuple[str, bool] | None:
    """The red-flag category of an entity, and whether it is one (False: a bare term)."""
    if span.label_ == "RED_FLAG":
        return None if _is_false_fall(span) else (str(span.ent_id_), True)
    if span.label_ == _CANCER_LABEL:
        return v.CANCER, True
    if span.label_ not in QUALIFIERS:
        return None
    if span.label_ == "RF_LEGS" and span.start > 0 and span.doc[span.start - 1].lower_ == "on":
        return None  # "on my feet all day"
    category, qualifiers = QUALIFIERS[span.label_]
    # "my legs" needs its symptom close by: "my legs are numb", not "neuropathy in my feet,
    # will needling help my sciatica"
    size = LEGS_WINDOW if span.label_ == "RF_LEGS" else WINDOW
    if _has_qualifier(span, qualifiers, size):
        return category, True
    if span.label_ == "RF_CONTINENCE" and _lost_function(span):
        return category, True
    return category, False


_SIDES = frozenset({"left", "right"})
_LIMBS = frozenset(
    {
        "leg",
        "side",
        "buttock",
        "bum",
        "cheek",
        "foot",
        "calf",
        "thigh",
        "hip",
        "one",
        "knee",
        "ankle",
        "hamstring",
        "glute",
    }
)


def _sides(doc: Doc) -> Span | None:
    """ "my right leg ... now the left side too": both sides named, each with a limb.

    The span is the later side named, so that ConText reads its own context ("my right
    leg, my left is fine").
    """
    named: dict[str, Span] = {}
    bare: dict[str, Span] = {}
    for token in doc:
        if token.lower_ not in _SIDES:
            continue
        after = doc[token.i + 1 : token.i + 3]
        limb = next((t for t in after if t.lemma_ in _LIMBS or t.lower_ in _LIMBS), None)
        if limb is not None and token.lower_ not in named:
            named[token.lower_] = doc[token.i : limb.i + 1]
        elif limb is None and token.i > 0 and doc[token.i - 1].lower_ in ("the", "my"):
            # "the right leg for months, and now the left is joining in"
            bare.setdefault(token.lower_, doc[token.i : token.i + 1])
    if len(named) == 1:
        (side,) = named
        other = bare.get(({"left", "right"} - {side}).pop())
        if other is not None and other.start > named[side].start:
            named[other.text] = other
    if len(named) < 2:
        return None
    later = max(named.values(), key=lambda span: span.start)
    return Span(doc, later.start, later.end, label=v.BOTH_LEGS)


def candidate_spans(doc: Doc) -> list[Span]:
    """The red-flag mentions of ``doc``, each labelled with its category.

    A term that is a red flag only with a qualifier is kept without one too, marked
    ``kb_id_ == BARE``: "bladder's fine" is no red flag, but it shows one ruled out.
    """
    spans = []
    for ent in doc.ents:
        found = _category(ent)
        if found is not None:
            category, qualified = found
            kb_id = "" if qualified else BARE
            spans.append(Span(doc, ent.start, ent.end, label=category, kb_id=kb_id))
    sides = _sides(doc)
    if sides is not None and not any(s.start < sides.end and sides.start < s.end for s in spans):
        spans.append(sides)
    return sorted(spans, key=lambda span: span.start)


def _status(span: Span) -> str:
    categories = {modifier.category for modifier in span._.modifiers}
    return next(
        (status for category, status in _CONTEXT_STATUS if category in categories), ASSERTED
    )


def _owned(span: Span) -> bool:
    """ "my incontinence", "i have a fever": the mention is someone's, not a general topic."""
    before = span.doc[max(0, span.start - 3) : span.start]
    return any(t.lower_ in _OWNERS or t.lemma_ in _OWNERS for t in before)


def _speaks_of_self(doc: Doc) -> bool:
    """ "I", "mine", or "my" before a symptom or body part ("my sciatica", "my back")."""
    for token in doc:
        if token.lower_ in _SELF:
            return True
        if token.lower_ == "my" and token.i + 1 < len(doc):
            following = doc[token.i + 1]
            if following.ent_type_ in ("SYMPTOM", "BODY_PART", "RF_LEGS"):
                return True
            if following.lower_ in _MINE:
                return True
    return False


def _clear_of_cancer(span: Span) -> bool:
    """ "clear of cancer", "cancer free", "in remission": the negation speaks of a history."""
    return any(t.lower_ in _CANCER_HISTORY for t in _window(span, 4))


def _cleared_by_scan(doc: Doc) -> bool:
    """ "scanned my spine and it's clear": a clinician's investigation came back clear."""
    words = {t.lower_ for t in doc}
    return bool(words & _INVESTIGATIONS) and bool(words & _CLEAR_RESULTS)


def _verdict(span: Span, status: str) -> str | None:
    """Whether a mention with this status applies (URGENT), is to ask about (ASK), or not.

    A bare term only ever rules a red flag out ("bladder's fine", "no weakness"); else None.
    """
    doc, category = span.doc, span.label_
    if status in (NEGATED, HYPOTHETICAL):
        return RULED_OUT
    if span.kb_id_ == BARE:
        return RULED_OUT if status == HISTORICAL else None
    if status == GENERAL:
        # a question about red flags in general is asked about, unless it is about the
        # visitor's own ("does my incontinence mean...?")
        return URGENT if _owned(span) else ASK
    if status == FAMILY and _speaks_of_self(doc):
        # "my husband can't pee" is his red flag; "my sister gets foot drop, mine is only
        # an ache" may not be the visitor's: ask
        return ASK
    if category == v.CANCER and _cleared_by_scan(doc):
        # "my oncologist scanned my spine and it's clear": ask, don't alarm
        return ASK
    if category == v.CANCER:
        # a history of cancer is the red flag itself, with back or leg pain
        has_pain = any(t.lower_ in _PAIN_CONTEXT or t.lemma_ in _PAIN_CONTEXT for t in doc)
        return URGENT if has_pain else ASK
    if status == HISTORICAL:
        return RULED_OUT
    if span.text in v.DIAGNOSES and (status == POSSIBLE or not _owned(span)):
        # "worried about cauda equina", "what's cauda equina?": a diagnosis feared or asked
        # about, not a symptom stated: ask
        return ASK
    return URGENT


class RedFlagDetector:
    """Finds red-flag mentions and decides, with ConText, whether each one applies."""

    def __init__(self, nlp: Language) -> None:
        """Build ConText for ``nlp``'s vocabulary: medspaCy's rules plus the lay rules."""
        from medspacy.context import ConText, ConTextRule

        self._context: Any = ConText(
            nlp,
            rules=None,
            input_span_type="group",
            span_group_name=SPAN_GROUP,
            prune_on_target_overlap=True,
        )
        published = ConTextRule.from_json(self._context.DEFAULT_RULES_FILEPATH)
        rules = [r for r in published if r.literal not in EXCLUDED_DEFAULTS]
        rules += [ConTextRule(**rule) for rule in patient_rules()]
        for rule in rules:
            if rule.direction == "TERMINATE":
                # medspaCy 1.2 limits a trigger's scope only where the two scopes overlap,
                # and its overlap test misses a terminator's whole-sentence scope that
                # contains a trigger's shorter one: a one-token scope keeps the test true.
                rule.max_scope = 1
        self._context.add(rules)

    def assess(self, doc: Doc) -> Assessment:
        """The red-flag mentions of ``doc`` (one processed by the clinic pipeline)."""
        spans = candidate_spans(doc)
        if not spans:
            return Assessment(NONE, ())
        doc.spans[SPAN_GROUP] = spans
        self._context(doc)
        mentions = []
        for span in doc.spans[SPAN_GROUP]:
            status = _status(span)
            if status == NEGATED and span.label_ == v.CANCER and _clear_of_cancer(span):
                # "ten years clear of cancer", "cancer-free since 2015": a history of cancer,
                # which with new back pain is the red flag itself (NICE CKS)
                status = HISTORICAL
            verdict = _verdict(span, status)
            if verdict is not None:
                mentions.append(Mention(span.label_, span.text, status, verdict))
        if any(m.category == v.CANCER and m.status == NEGATED for m in mentions):
            # "my oncologist said it isn't related to the cancer": ask, don't alarm
            mentions = [
                Mention(m.category, m.text, m.status, ASK)
                if m.category == v.CANCER and m.verdict == URGENT
                else m
                for m in mentions
            ]
        verdicts = {m.verdict for m in mentions}
        outcome = next((o for o in (URGENT, ASK, RULED_OUT) if o in verdicts), NONE)
        return Assessment(outcome, tuple(mentions))
