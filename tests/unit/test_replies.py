"""Pure reply decisions: which response, with which clinic facts. Asserts keys, not wording."""

from __future__ import annotations

from typing import Any

import pytest

from actions.replies import (
    MAX_CLARIFY_TOPICS,
    Reply,
    booking_replies,
    clarify_topics,
    clinic_fact_replies,
    contact_route,
    faq_replies,
    selected_topic,
)
from actions.settings import ClinicSettings
from actions.topics import load_topics

TOPICS = load_topics()


def names(replies: list[Reply]) -> list[str]:
    return [r.response for r in replies]


@pytest.mark.parametrize(
    ("phone", "email", "expected"),
    [
        (
            "555",
            "a@b.example",
            Reply("utter_faq/contact_details", {"phone": "555", "email": "a@b.example"}),
        ),
        ("555", "", Reply("utter_contact_phone", {"phone": "555"})),
        ("", "a@b.example", Reply("utter_contact_email", {"email": "a@b.example"})),
        ("", "", Reply("utter_contact_none")),
    ],
)
def test_contact_route(phone: str, email: str, expected: Reply) -> None:
    assert contact_route(ClinicSettings(phone=phone, email=email)) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("opening_hours", ["utter_faq/opening_hours"]),
        ("location", ["utter_faq/location", "utter_location_directions"]),
        ("cost_and_insurance", ["utter_faq/cost_and_insurance"]),
        ("contact_details", ["utter_faq/contact_details"]),
    ],
)
def test_clinic_facts_when_set(
    key: str, expected: list[str], full_settings: ClinicSettings
) -> None:
    replies = clinic_fact_replies(key, full_settings)
    assert names(replies) == expected
    for reply in replies:
        assert all(value for value in reply.values.values())


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("opening_hours", ["utter_unknown_opening_hours", "utter_contact_none"]),
        ("location", ["utter_unknown_location", "utter_contact_none"]),
        (
            "cost_and_insurance",
            ["utter_unknown_prices", "utter_unknown_insurance", "utter_contact_none"],
        ),
        ("contact_details", ["utter_contact_none"]),
    ],
)
def test_clinic_facts_never_invented(
    key: str, expected: list[str], empty_settings: ClinicSettings
) -> None:
    assert names(clinic_fact_replies(key, empty_settings)) == expected


def test_unknown_fact_offers_the_contact_that_is_set() -> None:
    settings = ClinicSettings(phone="555", prices="$90")
    assert names(clinic_fact_replies("cost_and_insurance", settings)) == [
        "utter_clinic_prices",
        "utter_unknown_insurance",
        "utter_contact_phone",
    ]


def test_location_without_directions(full_settings: ClinicSettings) -> None:
    settings = ClinicSettings(address="1 High St")
    assert names(clinic_fact_replies("location", settings)) == ["utter_faq/location"]


def test_clinic_fact_rejects_other_topics(full_settings: ClinicSettings) -> None:
    with pytest.raises(ValueError):
        clinic_fact_replies("what_is_sciatica", full_settings)


@pytest.mark.parametrize("key", [k for k, t in TOPICS.items() if t.source != "clinic"])
def test_article_topics_use_their_response(key: str, full_settings: ClinicSettings) -> None:
    assert faq_replies(key, TOPICS, full_settings) == [Reply(f"utter_faq/{key}")]


def test_unknown_topic_gets_default(full_settings: ClinicSettings) -> None:
    assert faq_replies("no_such_topic", TOPICS, full_settings) == [Reply("utter_default")]


def test_booking_with_link(full_settings: ClinicSettings) -> None:
    replies = booking_replies(full_settings)
    assert names(replies) == ["utter_booking", "utter_booking_link", "utter_booking_form_intro"]
    assert replies[1].values == {"booking_url": "https://clinic.example/book"}


def test_booking_without_anything(empty_settings: ClinicSettings) -> None:
    assert names(booking_replies(empty_settings)) == ["utter_booking", "utter_booking_form_intro"]


def parse_with(
    intents: list[str], answers: list[tuple[str, float]], entities: Any = ()
) -> dict[str, Any]:
    return {
        "intent": {"name": intents[0], "confidence": 0.9},
        "intent_ranking": [{"name": i, "confidence": 0.5} for i in intents],
        "entities": list(entities),
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": answers[0][0] if answers else None},
                "ranking": [{"intent_response_key": k, "confidence": c} for k, c in answers],
            }
        },
    }


def test_selected_topic_from_response_selector() -> None:
    assert (
        selected_topic(parse_with(["faq"], [("faq/session_length", 0.9)]), TOPICS)
        == "session_length"
    )


def test_selected_topic_button_choice_wins() -> None:
    data = parse_with(
        ["faq"], [("faq/session_length", 0.9)], [{"entity": "faq_topic", "value": "aftercare"}]
    )
    assert selected_topic(data, TOPICS) == "aftercare"


@pytest.mark.parametrize(
    "data",
    [
        parse_with(["faq"], []),
        parse_with(["faq"], [("faq/not_a_topic", 0.9)]),
        parse_with(["faq"], [], [{"entity": "faq_topic", "value": "<script>"}]),
    ],
)
def test_selected_topic_none(data: dict[str, Any]) -> None:
    assert selected_topic(data, TOPICS) is None


def test_clarify_offers_likeliest_topics() -> None:
    answers = [
        ("faq/session_length", 0.4),
        ("faq/relief_timeline", 0.3),
        ("faq/number_of_sessions", 0.2),
        ("faq/aftercare", 0.1),
    ]
    data = parse_with(["nlu_fallback", "faq", "greet"], answers)
    assert clarify_topics(data, TOPICS) == [
        "session_length",
        "relief_timeline",
        "number_of_sessions",
    ]
    assert len(clarify_topics(data, TOPICS)) == MAX_CLARIFY_TOPICS


def test_clarify_skips_unlikely_topics() -> None:
    data = parse_with(
        ["nlu_fallback", "faq"], [("faq/session_length", 0.9), ("faq/aftercare", 0.01)]
    )
    assert clarify_topics(data, TOPICS) == ["session_length"]


def test_clarify_nothing_when_faq_unlikely() -> None:
    data = parse_with(
        ["nlu_fallback", "out_of_scope", "greet", "faq"], [("faq/session_length", 0.9)]
    )
    assert clarify_topics(data, TOPICS) == []
