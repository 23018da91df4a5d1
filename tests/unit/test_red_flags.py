"""Red-flag detection on the real clinic spaCy pipeline."""

from __future__ import annotations

import pytest
from spacy.language import Language

from clinic_nlu.red_flags import detect_red_flags
from clinic_nlu.spacy_pipeline import build_pipeline


def categories(nlp: Language, text: str) -> list[str]:
    # Rasa lower-cases messages before spaCy sees them.
    return [flag.category for flag in detect_red_flags(nlp(text.lower()))]


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
    assert first.pipe_names == second.pipe_names == ["lemmatizer", "entity_ruler"]
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
