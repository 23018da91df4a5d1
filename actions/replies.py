"""Which responses to send, with which values: pure decisions, no rasa_sdk import.

Every wording lives in the domain's responses, but for FAQ answers, whose current wording
comes from their topic files (``answer_text``); these functions choose response names and
the clinic facts that fill their placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clinic_office.clinic_settings import ClinicSettings
from clinic_office.topics import Topic

FAQ_INTENT = "faq"
FAQ_PREFIX = "faq/"
# How many topics a clarifying question offers.
MAX_CLARIFY_TOPICS = 3


@dataclass(frozen=True)
class Reply:
    """One response to send: its name in the domain and the values of its placeholders."""

    response: str
    values: dict[str, str] = field(default_factory=dict)


def contact_route(settings: ClinicSettings) -> Reply:
    """How to reach the clinic, with whatever of phone and e-mail is set."""
    if settings.phone and settings.email:
        return Reply(
            "utter_faq/contact_details", {"phone": settings.phone, "email": settings.email}
        )
    if settings.phone:
        return Reply("utter_contact_phone", {"phone": settings.phone})
    if settings.email:
        return Reply("utter_contact_email", {"email": settings.email})
    return Reply("utter_contact_none")


def join_words(words: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def unknown_facts(labels: list[str], settings: ClinicSettings) -> Reply:
    """One reply naming every fact the clinic has not set, with whatever contact route is."""
    missing = join_words(labels)
    if settings.phone and settings.email:
        return Reply(
            "utter_unknown_facts_phone_email",
            {"missing": missing, "phone": settings.phone, "email": settings.email},
        )
    if settings.phone:
        return Reply("utter_unknown_facts_phone", {"missing": missing, "phone": settings.phone})
    if settings.email:
        return Reply("utter_unknown_facts_email", {"missing": missing, "email": settings.email})
    return Reply("utter_unknown_facts", {"missing": missing})


def clinic_fact_replies(topic: Topic, settings: ClinicSettings) -> list[Reply]:
    """Answer a ``source: clinic`` topic from the settings; one reply names what is not set.

    Every fact set: the topic's answer. Some set: each known fact on its own
    (``utter_clinic_<fact>``), then what is missing. None: what is missing.
    """
    if topic.source != "clinic":
        raise ValueError(f"not a clinic topic: {topic.key}")
    if topic.key == "contact_details":
        return [contact_route(settings)]
    values = {fact: str(getattr(settings, fact)) for fact in topic.facts}
    known = {fact: value for fact, value in values.items() if value}
    missing = [label for fact, label in topic.facts.items() if not values[fact]]
    if not missing:
        replies = [Reply(f"utter_faq/{topic.key}", known)]
        if topic.key == "location" and settings.directions:
            replies.append(Reply("utter_location_directions", {"directions": settings.directions}))
        return replies
    replies = [Reply(f"utter_clinic_{fact}", {fact: value}) for fact, value in known.items()]
    return [*replies, unknown_facts(missing, settings)]


def faq_replies(key: str, topics: Mapping[str, Topic], settings: ClinicSettings) -> list[Reply]:
    """The answer to FAQ topic ``key``: the article's answer, or clinic facts from settings."""
    topic = topics.get(key)
    if topic is None:
        return [Reply("utter_default")]
    if topic.source == "clinic":
        return clinic_fact_replies(topic, settings)
    return [Reply(f"utter_faq/{key}")]


def answer_text(reply: Reply, topics: Mapping[str, Topic]) -> str | None:
    """The current wording of an FAQ answer (``utter_faq/<key>``) from its topic file, with
    its placeholders filled; None for any other reply, or when the file gives none."""
    if not reply.response.startswith("utter_" + FAQ_PREFIX):
        return None
    topic = topics.get(reply.response.removeprefix("utter_" + FAQ_PREFIX))
    if topic is None or not topic.answer:
        return None
    try:
        return topic.answer.format_map(reply.values)
    except (KeyError, ValueError, IndexError, AttributeError):
        return None


def booking_link(settings: ClinicSettings) -> list[Reply]:
    """The online booking link, when the clinic has one."""
    if not settings.booking_url:
        return []
    return [Reply("utter_booking_link", {"booking_url": settings.booking_url})]


def booking_replies(settings: ClinicSettings) -> list[Reply]:
    """The clinic's booking route: the online booking link when set, then the chat form."""
    return [Reply("utter_booking"), *booking_link(settings), Reply("utter_booking_form_intro")]


def manage_replies(settings: ClinicSettings) -> list[Reply]:
    """Introduce a change-or-cancel request, with the online booking link when set."""
    return [Reply("utter_manage_appointment"), *booking_link(settings)]


def _decision(parse: Mapping[str, Any]) -> Mapping[str, Any]:
    decision = parse.get("decision")
    return decision if isinstance(decision, Mapping) else {}


def selected_topic(parse: Mapping[str, Any], topics: Mapping[str, Topic]) -> str | None:
    """The FAQ topic a message asks about.

    A topic chosen with a clarification button (entity ``faq_topic``) wins; otherwise the NLU
    decision's topic (``clinic_nlu.decision``). Unknown keys give None.
    """
    for entity in parse.get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") == "faq_topic" and isinstance(value, str) and value in topics:
            return value
    decided = _decision(parse).get("faq_topic")
    return decided if isinstance(decided, str) and decided in topics else None


def clarify_topics(parse: Mapping[str, Any], topics: Mapping[str, Topic]) -> list[str]:
    """The likeliest FAQ topics to offer when the assistant is unsure, best first."""
    keys = [str(c).removeprefix(FAQ_PREFIX) for c in _decision(parse).get("candidates") or []]
    return [k for k in keys if k in topics][:MAX_CLARIFY_TOPICS]


# What to say for an intent answered by one response (after a red-flag check said "no").
INTENT_RESPONSES = {
    "describe_symptoms": "utter_describe_symptoms",
    "medical_advice": "utter_medical_advice",
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_you_are_welcome",
    "bot_challenge": "utter_iamabot",
    "out_of_scope": "utter_out_of_scope",
}


def carry_on_replies(
    then: Mapping[str, Any], topics: Mapping[str, Topic], settings: ClinicSettings
) -> list[Reply]:
    """The answer to what a visitor asked, once the red-flag question is answered "no".

    ``then`` is the NLU decision kept for that moment (``decision.then``). Booking and
    clarification need buttons or a form: the action handles them before calling this.
    """
    intent = str(then.get("intent") or "")
    if intent == FAQ_INTENT:
        return faq_replies(str(then.get("faq_topic") or ""), topics, settings)
    if intent in INTENT_RESPONSES:
        return [Reply(INTENT_RESPONSES[intent])]
    if intent == "human_handoff":
        return [Reply("utter_handoff"), contact_route(settings)]
    return [Reply("utter_how_can_i_help")]
