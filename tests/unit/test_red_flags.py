"""Red flags and whether they apply (ConText), on the real clinic spaCy pipeline."""

from __future__ import annotations

import pytest
from spacy.language import Language

from clinic_nlu.red_flags import (
    ASK,
    NONE,
    RULED_OUT,
    URGENT,
    Assessment,
    RedFlagDetector,
)
from clinic_nlu.spacy_pipeline import build_pipeline


@pytest.fixture(scope="module")
def detector(nlp: Language) -> RedFlagDetector:
    return RedFlagDetector(nlp)


def assess(nlp: Language, text: str) -> Assessment:
    # Rasa lower-cases messages before spaCy sees them.
    return RedFlagDetector(nlp).assess(nlp(text.lower()))


def categories(nlp: Language, text: str) -> list[str]:
    return assess(nlp, text).categories


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I can't control my bladder since yesterday", "bladder_bowel"),
        ("lost control of my bowels this morning, can dry needling help?", "bladder_bowel"),
        ("I wet myself and I have sciatica", "bladder_bowel"),
        ("trouble peeing and my back is killing me", "bladder_bowel"),
        ("i cant feel when i need the toilet", "bladder_bowel"),
        ("numbness in my groin", "saddle_numbness"),
        ("I can't feel anything down there", "saddle_numbness"),
        ("tingling in my inner thighs and privates", "saddle_numbness"),
        ("saddle numbness", "saddle_numbness"),
        ("my leg weakness is getting worse", "leg_weakness"),
        ("sudden weakness in my right leg", "leg_weakness"),
        ("my leg keeps giving way", "leg_weakness"),
        ("I think I have foot drop", "leg_weakness"),
        ("my leg is getting weaker every day", "leg_weakness"),
        ("pain and numbness in both legs", "both_legs"),
        ("sciatica down both my legs now", "both_legs"),
        ("I fell down the stairs and now have sciatica", "trauma"),
        ("sciatica after a car accident", "trauma"),
        ("I have a fever and sciatica", "fever"),
        ("back pain with chills and night sweats", "fever"),
    ],
)
def test_red_flag_found(nlp: Language, text: str, category: str) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "what is sciatica",
        "is leg weakness a symptom of sciatica",
        "tingling in my left foot",
        "shooting pain down my left leg",
        "my leg falls asleep when I sit",
        "does dry needling fall under my insurance",
        "how long is a session",
        "where do I go to the bathroom at the clinic",
        "does dry needling hurt",
        "pain in my groin when I run",
    ],
)
def test_no_red_flag(nlp: Language, text: str) -> None:
    assert categories(nlp, text) == []


def test_one_flag_per_category(nlp: Language) -> None:
    assert categories(nlp, "fever, a high temperature and chills") == ["fever"]


def test_build_is_deterministic() -> None:
    first, second = build_pipeline(), build_pipeline()
    assert first.pipe_names == second.pipe_names == ["sentencizer", "lemmatizer", "entity_ruler"]
    text = "both legs are numb and i fell"
    assert [(e.text, e.label_) for e in first(text).ents] == [
        (e.text, e.label_) for e in second(text).ents
    ]


def test_pipeline_lemmatizes(nlp: Language) -> None:
    assert [t.lemma_ for t in nlp("needles legs fell")] == ["needle", "leg", "fall"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my foot has started slapping the floor when I walk", "leg_weakness"),
        ("my legs gave out on the stairs", "leg_weakness"),
        ("slipped on ice and landed hard on my back", "trauma"),
        ("pain in both of my lower legs", "both_legs"),
        ("it used to be one leg now its both", "both_legs"),
        ("my thighs are numb and so are both calves", "both_legs"),
        ("numb when I wipe after the toilet", "saddle_numbness"),
        ("could it be an infection, I feel awful and my back hurts", "fever"),
    ],
)
def test_red_flag_lay_wording(nlp: Language, text: str, category: str) -> None:
    assert category in categories(nlp, text)


def test_slipped_disc_is_not_a_fall(nlp: Language) -> None:
    assert categories(nlp, "can a slipped disc cause sciatica") == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my foot keeps dragging and it's worse every day", "leg_weakness"),
        ("I can't stand on tiptoe on my left foot anymore", "leg_weakness"),
        ("came off my motorbike and now leg pain", "trauma"),
    ],
)
def test_more_lay_wording(nlp: Language, text: str, category: str) -> None:
    assert category in categories(nlp, text)


def test_coming_off_medication_is_not_a_fall(nlp: Language) -> None:
    assert categories(nlp, "should I come off my painkillers") == []


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        # the examples: ruled out, so not urgent
        (
            "no fever, no weakness, just an ache down the back of my thigh. does needling hurt?",
            RULED_OUT,
        ),
        (
            "my GP already ruled out cauda equina, so can I book dry needling for my sciatica?",
            RULED_OUT,
        ),
        ("it's only in one leg, not both", RULED_OUT),
        ("I had a fall years ago but that's healed", RULED_OUT),
        ("what if I get a fever after needling?", RULED_OUT),
        ("my bladder and bowels are fine, it's just my bum that aches", RULED_OUT),
        ("i dont have a fever", RULED_OUT),
        ("my legs aren't weak, it's only the pain", RULED_OUT),
        ("my bladder is fine", RULED_OUT),
        ("my bladder", NONE),
        # ordinary sciatica: no red-flag words at all
        ("shooting pain down the back of my leg to my foot", NONE),
        ("sciatica down my left leg", NONE),
        ("pain down my leg", NONE),
        # stated red flags, including the ways people deny a function they have lost
        ("I've lost control of my bladder since yesterday", URGENT),
        ("i can't control my bladder", URGENT),
        ("i have no feeling in my groin", URGENT),
        ("i cant pee and my back is agony", URGENT),
        ("i dont make it to the toilet in time anymore", URGENT),
        ("no fever, but my legs are both going numb", URGENT),
        ("no fever, i've been wetting myself", URGENT),
        ("not just one leg, both now", URGENT),
        ("it started in my right buttock and now the left side is doing the same", URGENT),
        ("it's my left leg, my right one is fine", RULED_OUT),
        ("turn right at the lights, my left leg is sore", NONE),
        ("I think I might be losing some bladder control", URGENT),
        ("my husband can't pee since his back went", URGENT),
        # the two red flags the vocabulary lacked
        ("had breast cancer three years ago and now this new back pain", URGENT),
        ("lost 8 kilos without trying and my lower back aches all the time", URGENT),
        ("i'm in remission from lymphoma and have new pain in my lower back", URGENT),
        # something to ask about rather than alarm about
        ("my dad had bowel cancer, my sciatica is just from sitting", ASK),
        ("I'm worried about cauda equina", ASK),
        ("I had chemo last year, is dry needling safe for me?", ASK),
    ],
)
def test_context_decides_whether_a_red_flag_applies(
    detector: RedFlagDetector, nlp: Language, text: str, outcome: str
) -> None:
    assert detector.assess(nlp(text.lower())).outcome == outcome


def test_mentions_carry_their_status(detector: RedFlagDetector, nlp: Language) -> None:
    assessment = detector.assess(nlp("no fever but i can't feel my groin"))
    statuses = {m.category: m.status for m in assessment.mentions}
    assert statuses == {"fever": "negated", "saddle_numbness": "asserted"}
    assert assessment.categories == ["saddle_numbness"]


@pytest.mark.parametrize(
    "text",
    [
        "whats the top temperature tomorrow in leeds",
        "zoom keeps crashing on my laptop",
        "should i just potter about gently after the session or put my feet up",
        "i sit on a hard stool at work all day, can that irritate the sciatic nerve",
        "can a slipped disc cause sciatica",
        "is there a risk of infection from the needles",
    ],
)
def test_everyday_words_are_not_red_flags(
    detector: RedFlagDetector, nlp: Language, text: str
) -> None:
    assert detector.assess(nlp(text.lower())).outcome == NONE
