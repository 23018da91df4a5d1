"""Which responses to send, with which values: pure decisions, no rasa_sdk import.

Every wording lives in the domain's responses; these functions only choose response
names and the clinic facts that fill their placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actions.settings import ClinicSettings
from actions.topics import Topic

FAQ_INTENT = "faq"
FAQ_PREFIX = "faq/"
# How many topics a clarifying question offers, and how likely each must be.
MAX_CLARIFY_TOPICS = 3
MIN_CLARIFY_CONFIDENCE = 0.05


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


def clinic_fact_replies(key: str, settings: ClinicSettings) -> list[Reply]:
    """Answer a ``source: clinic`` topic from the settings; say so where a fact is not set."""
    replies: list[Reply] = []
    unknown = False
    if key == "opening_hours":
        if settings.opening_hours:
            replies.append(
                Reply("utter_faq/opening_hours", {"opening_hours": settings.opening_hours})
            )
        else:
            replies.append(Reply("utter_unknown_opening_hours"))
            unknown = True
    elif key == "location":
        if settings.address:
            replies.append(Reply("utter_faq/location", {"address": settings.address}))
            if settings.directions:
                replies.append(
                    Reply("utter_location_directions", {"directions": settings.directions})
                )
        else:
            replies.append(Reply("utter_unknown_location"))
            unknown = True
    elif key == "cost_and_insurance":
        prices, insurance = settings.prices, settings.insurance
        if prices and insurance:
            replies.append(
                Reply("utter_faq/cost_and_insurance", {"prices": prices, "insurance": insurance})
            )
        else:
            if prices:
                replies.append(Reply("utter_clinic_prices", {"prices": prices}))
            else:
                replies.append(Reply("utter_unknown_prices"))
            if insurance:
                replies.append(Reply("utter_clinic_insurance", {"insurance": insurance}))
            else:
                replies.append(Reply("utter_unknown_insurance"))
            unknown = True
    elif key == "contact_details":
        return [contact_route(settings)]
    else:
        raise ValueError(f"not a clinic topic: {key}")
    if unknown:
        replies.append(contact_route(settings))
    return replies


def faq_replies(key: str, topics: Mapping[str, Topic], settings: ClinicSettings) -> list[Reply]:
    """The answer to FAQ topic ``key``: the article's answer, or clinic facts from settings."""
    topic = topics.get(key)
    if topic is None:
        return [Reply("utter_default")]
    if topic.source == "clinic":
        return clinic_fact_replies(key, settings)
    return [Reply(f"utter_faq/{key}")]


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


def selected_topic(parse: Mapping[str, Any], topics: Mapping[str, Topic]) -> str | None:
    """The FAQ topic a message asks about.

    A topic chosen with a clarification button (entity ``faq_topic``) wins; otherwise the
    ResponseSelector's answer. Unknown keys give None.
    """
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "faq_topic" and entity.get("value") in topics:
            return str(entity["value"])
    selector = (parse.get("response_selector") or {}).get(FAQ_INTENT) or {}
    full_key = (selector.get("response") or {}).get("intent_response_key") or ""
    key = full_key.removeprefix(FAQ_PREFIX)
    return key if key in topics else None


def clarify_topics(parse: Mapping[str, Any], topics: Mapping[str, Topic]) -> list[str]:
    """The likeliest FAQ topics to offer when the assistant is unsure, best first.

    Offered only when ``faq`` is among the two likeliest intents (besides nlu_fallback).
    """
    ranking = [
        i.get("name") for i in parse.get("intent_ranking") or [] if i.get("name") != "nlu_fallback"
    ]
    if FAQ_INTENT not in ranking[:2]:
        return []
    selector = (parse.get("response_selector") or {}).get(FAQ_INTENT) or {}
    keys: list[str] = []
    for candidate in selector.get("ranking") or []:
        key = str(candidate.get("intent_response_key") or "").removeprefix(FAQ_PREFIX)
        if (
            key in topics
            and key not in keys
            and candidate.get("confidence", 0.0) >= MIN_CLARIFY_CONFIDENCE
        ):
            keys.append(key)
        if len(keys) == MAX_CLARIFY_TOPICS:
            break
    return keys
