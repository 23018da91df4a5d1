"""Red-flag detection on a spaCy ``Doc`` processed by the clinic pipeline.

A red flag is a symptom that needs a doctor today, not an FAQ answer: loss of bladder or
bowel control, numbness in the groin or saddle area, sudden or worsening leg weakness,
symptoms in both legs, sciatica after a serious fall or accident, sciatica with fever.

The entity ruler of the clinic pipeline (``clinic_nlu.vocabulary``) marks the terms; this
module decides. Safety beats helpfulness: a mention is enough, negation is not trusted
("no fever" still gets urgent-care advice, because a false alarm costs a sentence and a
missed red flag can cost a patient's continence).
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from clinic_nlu import vocabulary as v

# How many tokens either side of a term a qualifier may stand.
WINDOW = 8

NEGATIONS = frozenset({"n't", "nt", "not", "cannot", "cant", "unable", "no", "never"})

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
                "trouble",
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
            }
        )
        | NEGATIONS,
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
        )
        | NEGATIONS,
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

# "fall asleep", "fall under my insurance": uses of "fall" that are not a fall.
_NOT_A_FALL = frozenset({"asleep", "under", "within", "into", "behind", "through"})


@dataclass(frozen=True)
class RedFlag:
    """One red flag found in a message: its category and the words that showed it."""

    category: str
    text: str


def _is_false_fall(span: Span) -> bool:
    doc = span.doc
    if span.label_ != "RED_FLAG" or span.ent_id_ != v.TRAUMA:
        return False
    if span[0].lemma_ != "fall" and span[0].lower_ not in {"fell", "fallen", "falling", "falls"}:
        return False
    return span.end < len(doc) and doc[span.end].lower_ in _NOT_A_FALL


def _has_qualifier(span: Span, qualifiers: frozenset[str]) -> bool:
    doc = span.doc
    window = doc[max(0, span.start - WINDOW) : min(len(doc), span.end + WINDOW)]
    for token in window:
        if span.start <= token.i < span.end:
            continue
        if token.lower_ in qualifiers or token.lemma_ in qualifiers:
            return True
        if token.ent_type_ == "SYMPTOM" and token.lower_ in qualifiers:
            return True
    return False


def detect_red_flags(doc: Doc) -> list[RedFlag]:
    """Return the red flags in ``doc``, at most one per category, in order of appearance."""
    found: dict[str, RedFlag] = {}
    for span in doc.ents:
        category: str | None = None
        if span.label_ == "RED_FLAG":
            if not _is_false_fall(span):
                category = span.ent_id_
        elif span.label_ in QUALIFIERS:
            flag_category, qualifiers = QUALIFIERS[span.label_]
            if _has_qualifier(span, qualifiers):
                category = flag_category
        if category and category not in found:
            found[category] = RedFlag(category=category, text=span.text)
    return list(found.values())
