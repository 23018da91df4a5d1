"""Clinical vocabulary for the spaCy entity ruler.

Every pattern is matched on lower-cased text (Rasa lower-cases messages before spaCy sees
them). Plain strings become phrase patterns on ``LOWER``; lists are token patterns, which
can use ``LEMMA`` so that "fell", "falling" and "fallen" all match the lemma "fall".

Labels:
- ``BODY_PART``, ``SYMPTOM``, ``TREATMENT``: general clinical terms.
- ``RED_FLAG`` (with an ``id`` naming the category): a red flag on its own.
- ``RF_CONTINENCE``, ``RF_SADDLE``, ``RF_WEAKNESS``: a red flag only together with a
  qualifier nearby (see ``clinic_nlu.red_flags``), e.g. "bladder" + "control".
"""

from __future__ import annotations

from typing import Any

Pattern = dict[str, Any]

# Red-flag categories, the values the parse result reports under ``red_flags``.
BLADDER_BOWEL = "bladder_bowel"
SADDLE_NUMBNESS = "saddle_numbness"
LEG_WEAKNESS = "leg_weakness"
BOTH_LEGS = "both_legs"
TRAUMA = "trauma"
FEVER = "fever"
CATEGORIES = (BLADDER_BOWEL, SADDLE_NUMBNESS, LEG_WEAKNESS, BOTH_LEGS, TRAUMA, FEVER)

BODY_PARTS = [
    "back", "lower back", "spine", "hip", "hips", "leg", "legs", "foot", "feet", "toe", "toes",
    "buttock", "buttocks", "bum", "butt", "glute", "glutes", "thigh", "thighs", "calf", "calves",
    "hamstring", "hamstrings", "knee", "ankle", "pelvis", "piriformis", "sciatic nerve", "nerve",
    "disc", "disk", "muscle", "muscles", "erector spinae", "hip flexor", "hip flexors",
]
SYMPTOMS = [
    "pain", "ache", "aching", "sore", "soreness", "numb", "numbness", "tingling", "tingly",
    "pins and needles", "burning", "shooting pain", "stiff", "stiffness", "cramp", "cramps",
    "spasm", "spasms", "bruise", "bruising", "twitch", "sciatica", "sciatic pain",
    "pinched nerve", "trapped nerve", "herniated disc", "slipped disc", "bulging disc",
    "spinal stenosis", "stenosis", "trigger point", "trigger points", "knot", "knots",
]
TREATMENTS = [
    "dry needling", "needling", "needles", "needle", "acupuncture", "electrical stimulation",
    "e-stim", "estim", "physical therapy", "physiotherapy", "physio", "manual therapy",
    "massage", "exercises", "stretches", "surgery", "injection", "medication", "painkillers",
]

# Red flags that need no qualifier.
DIRECT_RED_FLAGS: dict[str, list[str | list[Pattern]]] = {
    BLADDER_BOWEL: [
        "incontinence", "incontinent", "incontinance", "incontenent", "cauda equina",
        "wet myself", "wetting myself", "wet my pants", "wet the bed", "wetting the bed",
        "peed myself", "pee myself", "peeing myself", "pissed myself", "pooped myself",
        "soiled myself", "soiling myself", "messed myself", "urinary retention",
        "bladder control", "bowel control", "loss of bladder", "loss of bowel",
    ],
    SADDLE_NUMBNESS: [
        "saddle anaesthesia", "saddle anesthesia", "saddle numbness", "numb saddle",
        "saddle area", "saddle region",
    ],
    LEG_WEAKNESS: [
        "foot drop", "drop foot", "dropfoot", "footdrop", "weaker", "getting weak",
        "gave way", "give way", "gives way", "giving way", "buckled", "buckling", "buckles",
        "paralysed", "paralyzed", "paralysis", "can't lift my foot", "cannot lift my foot",
        "cant lift my foot", "dragging my foot", "dragging my leg", "foot is slapping",
        "foot slapping", "trip over my foot", "tripping over my foot", "lost strength",
        "losing strength", "no strength", "legs collapsed", "leg collapsed",
        "slapping the floor", "slaps the floor", "slapping on the floor", "foot slaps",
        "foot flops", "foot is floppy", "floppy foot", "catching my toes", "toes catch",
        "can't stand on my toes", "cannot stand on my toes", "can't walk on my heels",
        "cannot walk on my heels", "can't walk on my toes", "gave out", "giving out",
        "gives out", "went from under me", "go from under me", "legs went", "leg went",
    ],
    BOTH_LEGS: [
        "both legs", "both my legs", "both of my legs", "both feet", "both my feet",
        "both of my feet", "both thighs", "both calves", "both sides", "both buttocks",
        "both hips", "both of them", "both knees", "both ankles", "bilateral", "bilaterally",
        "two legs", "my legs", "my feet", "both leg", "legs are both", "legs both",
        [
            {"LOWER": "both"},
            {"IS_ALPHA": True, "OP": "?"},
            {"IS_ALPHA": True, "OP": "?"},
            {"IS_ALPHA": True, "OP": "?"},
            {"LEMMA": {"IN": ["leg", "foot", "thigh", "calf", "buttock", "hip", "side"]}},
        ],
        "left and right leg", "right and left leg", "one leg then the other",
        "other leg too", "other leg as well", "other leg now", "the other side too",
        "spread to the other leg", "spreading to the other leg",
    ],
    TRAUMA: [
        [{"LEMMA": "fall"}], [{"LOWER": {"IN": ["fell", "fallen", "falling", "falls"]}}],
        "accident", "car crash", "crash", "collision", "whiplash", "trauma", "hit by a car",
        "knocked off my bike", "knocked down", "rear-ended", "rear ended", "car wreck",
        "came off my bike", "came off my horse", "thrown from", "thrown off", "slipped on",
        "slipped and", "landed on", "landed hard", "landing on", "tumble", "tripped",
        "hit my back", "hit my head", "knocked over",
    ],
    FEVER: [
        "fever", "feverish", "fevers", "high temperature", "a temperature", "temperature",
        "chills", "shivering", "shivers", "night sweats", "sweats", "burning up", "pyrexia",
        "rigors", "hot and cold", "feeling very unwell", "flu-like", "high temp",
        "running a temp", "sweating at night", "infection", "feverishness",
    ],
}

# Terms that are red flags only with a qualifier nearby.
QUALIFIED_TERMS: dict[str, list[str]] = {
    "RF_CONTINENCE": [
        "bladder", "bowel", "bowels", "bowl", "pee", "peeing", "urine", "urinate", "urinating",
        "wee", "weeing", "poo", "pooing", "poop", "pooping", "stool", "stools", "toilet",
        "bathroom", "loo", "number two", "continence", "pass water", "passing water",
    ],
    "RF_SADDLE": [
        "groin", "saddle", "genitals", "genital", "genitalia", "crotch", "perineum", "taint",
        "private parts", "privates", "down there", "inner thigh", "inner thighs", "vagina",
        "penis", "anus", "back passage", "scrotum", "testicles", "between my legs",
        "around my bottom", "my bottom", "buttocks and groin", "wipe", "wiping", "sex",
        "sexual", "erection", "erections",
    ],
    "RF_WEAKNESS": ["weak", "weakness", "weakened", "strength", "floppy", "heavy", "wobbly"],
}


def entity_ruler_patterns() -> list[Pattern]:
    """All patterns for the spaCy entity ruler, red flags before general terms."""
    patterns: list[Pattern] = []

    def add(label: str, items: list[str | list[Pattern]], ent_id: str | None = None) -> None:
        for item in items:
            pattern: Pattern = {"label": label, "pattern": item}
            if ent_id is not None:
                pattern["id"] = ent_id
            patterns.append(pattern)

    for category, items in DIRECT_RED_FLAGS.items():
        add("RED_FLAG", items, category)
    for label, terms in QUALIFIED_TERMS.items():
        add(label, list(terms))
    add("BODY_PART", list(BODY_PARTS))
    add("SYMPTOM", list(SYMPTOMS))
    add("TREATMENT", list(TREATMENTS))
    return patterns
