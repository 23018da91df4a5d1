"""Cues that a message asks about the visitor's own case: features for the classifiers.

"Could mine be a herniated disc?" uses the words of the sciatica-causes FAQ, but asks for a
diagnosis; "should I stop my naproxen?" uses the medication FAQ's words, but asks for a
treatment decision. Both are ``medical_advice``. What tells them apart is how the question
is framed: about the visitor ("in my case", "mine", "my scan"), asking for a decision
("should I", "do I need") or a diagnosis ("do I have", "does that mean"), or about a
medicine. Each cue adds a marker word to the text the TF-IDF classifier sees, and a feature
beside the sentence embedding, so that the classifiers can weigh the framing beside the
topic's words; the markers alone decide nothing.

The lists were chosen on the development set (tests/nlu/dev.yml), never the test set.
"""

from __future__ import annotations

import re

_CUES: dict[str, str] = {
    # the visitor's own case
    "cuemycase": r"\b(?:in my case|for me personally|for me|in my situation|my particular|"
    r"my own|mine|someone like me|people like me|for my (?:\w+ )?(?:sciatica|pain|back|leg|"
    r"condition|disc|nerve|problem|symptoms)|with my (?:\w+ )?(?:condition|diabetes|epilepsy|"
    r"heart|pacemaker|blood|osteoporosis|arthritis|history|age|pregnancy)|at my age|"
    r"am i too|am i ok|am i okay|am i alright|ok for me|okay for me|safe for me|"
    r"i'?m pregnant|i am pregnant|weeks pregnant|breastfeeding|i have (?:a |an )?(?:pacemaker|"
    r"diabetes|epilepsy|heart|implant|metal|haemophilia|hemophilia|clotting)|i'?m diabetic|"
    r"will my|how long will my)\b",
    # a decision to make for the visitor
    "cuedecide": r"\b(?:should i|shall i|do you think i|do you think my|would you recommend|"
    r"do i need|is it ok for me|is it safe for me|can i still|ought i|would it be better for "
    r"me|should my)\b",
    # a diagnosis of the visitor's symptoms
    "cuediagnose": r"\b(?:do i have|have i got|what i have|what i'?ve got|what'?s wrong|"
    r"what is wrong|wrong with me|what'?s causing|what is causing|causing my|caused my|"
    r"does (?:that|this|it) mean|"
    r"is (?:that|this|it|mine) (?:a |my )?(?:sciatica|disc|slipped|herniated|piriformis|"
    r"stenosis|serious|nerve|normal|arthritis|permanent)|is my \w+ (?:from|caused|the cause|a|"
    r"permanent|serious)|are my symptoms|do my symptoms|could (?:it|mine|this) be|"
    r"could my \w+ be|my (?:scan|mri|x[- ]?ray|report|results)|what is my problem|"
    r"what'?s my problem|sound like|sounds like)\b",
    # a medicine, a test or a procedure
    "cuemedicine": r"\b(?:gabapentin|pregabalin|ibuprofen|naproxen|paracetamol|acetaminophen|"
    r"codeine|co-?codamol|tramadol|amitriptyline|duloxetine|diazepam|diclofenac|warfarin|"
    r"apixaban|aspirin|morphine|tablets?|pills?|meds|medication|medicine|painkillers?|"
    r"dose|steroids?|injections?|jab|surgery|operation|epidural|mri|x[- ]?ray|xray|scan)\b",
}
_PATTERNS = {marker: re.compile(pattern, re.IGNORECASE) for marker, pattern in _CUES.items()}
MARKERS = tuple(_CUES)


def cue_markers(text: str) -> list[str]:
    """The marker words of the cues found in ``text``."""
    return [marker for marker, pattern in _PATTERNS.items() if pattern.search(text)]


def with_cues(text: str) -> str:
    """``text`` with its cue markers appended, as the linear classifier reads it."""
    markers = cue_markers(text)
    return f"{text} {' '.join(markers)}" if markers else text


def cue_vector(text: str) -> list[float]:
    """1.0 or 0.0 for each cue in ``MARKERS``: features beside a sentence embedding."""
    return [1.0 if pattern.search(text) else 0.0 for pattern in _PATTERNS.values()]
