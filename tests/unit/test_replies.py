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
    join_words,
    selected_topic,
)
from clinic_office.clinic_settings import ClinicSettings
from clinic_office.topics import load_topics

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
    replies = clinic_fact_replies(TOPICS[key], full_settings)
    assert names(replies) == expected
    for reply in replies:
        assert all(value for value in reply.values.values())


@pytest.mark.parametrize(
    ("key", "missing"),
    [
        ("opening_hours", "opening hours"),
        ("location", "address"),
        ("cost_and_insurance", "prices or insurance and payment details"),
    ],
)
def test_missing_clinic_facts_get_one_reply_naming_them(
    key: str, missing: str, empty_settings: ClinicSettings
) -> None:
    """Never invented, never three bubbles, never a word about a fact nobody asked for."""
    assert clinic_fact_replies(TOPICS[key], empty_settings) == [
        Reply("utter_unknown_facts", {"missing": missing})
    ]


def test_missing_contact_details_say_so(empty_settings: ClinicSettings) -> None:
    assert names(clinic_fact_replies(TOPICS["contact_details"], empty_settings)) == [
        "utter_contact_none"
    ]


@pytest.mark.parametrize(
    ("phone", "email", "response"),
    [
        ("555", "", "utter_unknown_facts_phone"),
        ("", "a@b.example", "utter_unknown_facts_email"),
        ("555", "a@b.example", "utter_unknown_facts_phone_email"),
    ],
)
def test_a_missing_fact_comes_with_the_contact_route_that_is_set(
    phone: str, email: str, response: str
) -> None:
    settings = ClinicSettings(phone=phone, email=email, prices="$90")
    replies = clinic_fact_replies(TOPICS["cost_and_insurance"], settings)
    assert names(replies) == ["utter_clinic_prices", response]
    assert replies[1].values["missing"] == "insurance and payment details"


@pytest.mark.parametrize(
    ("labels", "joined"),
    [([], ""), (["a"], "a"), (["a", "b"], "a or b"), (["a", "b", "c"], "a, b or c")],
)
def test_join_words(labels: list[str], joined: str) -> None:
    assert join_words(labels) == joined


def test_location_without_directions() -> None:
    settings = ClinicSettings(address="1 High St")
    assert names(clinic_fact_replies(TOPICS["location"], settings)) == ["utter_faq/location"]


def test_clinic_fact_rejects_other_topics(full_settings: ClinicSettings) -> None:
    with pytest.raises(ValueError):
        clinic_fact_replies(TOPICS["what_is_sciatica"], full_settings)


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


def with_decision(decision: dict[str, Any], entities: Any = ()) -> dict[str, Any]:
    return {
        "intent": {"name": decision.get("intent")},
        "entities": list(entities),
        "decision": decision,
    }


def test_selected_topic_from_the_decision() -> None:
    parse = with_decision({"intent": "faq", "faq_topic": "session_length"})
    assert selected_topic(parse, TOPICS) == "session_length"


def test_selected_topic_button_choice_wins() -> None:
    data = with_decision(
        {"intent": "faq", "faq_topic": "session_length"},
        [{"entity": "faq_topic", "value": "aftercare"}],
    )
    assert selected_topic(data, TOPICS) == "aftercare"


@pytest.mark.parametrize(
    "data",
    [
        with_decision({"intent": "faq"}),
        with_decision({"intent": "faq", "faq_topic": "not_a_topic"}),
        with_decision({"intent": "faq"}, [{"entity": "faq_topic", "value": "<script>"}]),
        # typed by hand as /faq{"faq_topic": [1, 2]}: not a topic, and no error
        with_decision({"intent": "faq"}, [{"entity": "faq_topic", "value": [1, 2]}]),
        with_decision({"intent": "faq"}, [{"entity": "faq_topic", "value": {"a": 1}}]),
        with_decision({"intent": "faq", "faq_topic": ["aftercare"]}),
        {"intent": {"name": "faq"}},
    ],
)
def test_selected_topic_none(data: dict[str, Any]) -> None:
    assert selected_topic(data, TOPICS) is None


def test_clarify_offers_the_decisions_candidates() -> None:
    candidates = [
        "faq/session_length",
        "faq/relief_timeline",
        "faq/nope",
        "faq/number_of_sessions",
        "faq/aftercare",
    ]
    data = with_decision({"intent": "nlu_fallback", "candidates": candidates})
    assert clarify_topics(data, TOPICS) == [
        "session_length",
        "relief_timeline",
        "number_of_sessions",
    ]
    assert len(clarify_topics(data, TOPICS)) == MAX_CLARIFY_TOPICS


def test_clarify_nothing_without_candidates() -> None:
    assert clarify_topics(with_decision({"intent": "nlu_fallback"}), TOPICS) == []
