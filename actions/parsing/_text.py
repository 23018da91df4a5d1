"""Text cleaning and the word helpers and word sets the other parsing modules share."""

from __future__ import annotations

import re
import unicodedata

MAX_FIELD_LENGTH = 200


def clean_text(text: str | None, limit: int = MAX_FIELD_LENGTH) -> str:
    """Text without control characters, with white space folded, at most ``limit`` long."""
    if not text:
        return ""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return " ".join(kept.split())[:limit]


def _plain(text: str | None) -> str:
    """Lower-case words only: straight apostrophes, punctuation dropped, spaces folded."""
    lowered = clean_text(text).lower().replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^\w'\s]|(?<!\w)'|'(?!\w)", " ", lowered).split())


def _words(text: str) -> frozenset[str]:
    """The set of white-space separated words in ``text``."""
    return frozenset(text.split())


def _phrases(text: str) -> frozenset[str]:
    """The set of "|"-separated phrases in ``text``, each with its white space folded."""
    return frozenset(" ".join(phrase.split()) for phrase in text.split("|"))


# Clinic words: never a name on their own (names), never in a bare full name (reasons).
_CLINIC_WORDS = _words(
    """
    sciatica sciatic needling needle needles dry pain pains painful back neck shoulder shoulders
    knee knees hip hips leg legs arm arms foot feet ankle ankles wrist wrists elbow elbows hand
    hands head headache headaches migraine migraines spine spinal joint joints muscle muscles
    injury injuries injured sore hurts hurt hurting ache aches aching stiff stiffness physio
    physiotherapy therapy therapist massage appointment appointments booking book session
    treatment clinic consultation assessment check checkup check-up follow up follow-up followup
    returning patient price prices cost insurance help question info information hours open
    email phone number address name tennis golfer's sports sport running posture rehab
    rehabilitation surgery operation strain sprain sprained fracture tendon tendinitis tendonitis
    arthritis bursitis fasciitis plantar whiplash scoliosis concussion vertigo disc hernia
    hamstring calf achilles rotator cuff frozen carpal tunnel pelvic pregnancy jaw tmj chest rib
    ribs glute groin thigh heel toe toes lumbar cervical thoracic nerve numbness tingling
    swelling swollen weak weakness pulled torn tear acl mcl meniscus pilates acupuncture
    """
)
