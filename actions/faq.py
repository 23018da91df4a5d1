"""Answering FAQ questions, and asking which topic was meant when the assistant is unsure."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import inbox
from actions.replies import Reply, answer_text, clarify_topics, faq_replies, selected_topic
from clinic_office.clinic_settings import ClinicSettings, SettingsStore
from clinic_office.inbox import ANSWERED, CLARIFIED, CLARIFIED_COUNT, FALLBACK, InboxWriter
from clinic_office.topics import Topic, TopicsError, load_topics

_settings = SettingsStore()


def current_topics() -> dict[str, Topic]:
    """The published topics; none (the domain's wording then) if the files never read well."""
    try:
        return load_topics()
    except (TopicsError, OSError):
        return {}


def send(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    """Send each reply as a domain response with its placeholder values; an FAQ answer's
    wording comes from its topic file, so a published edit is live with no training."""
    topics = current_topics()
    for reply in replies:
        text = answer_text(reply, topics)
        if text:
            dispatcher.utter_message(response=reply.response, text=text, **reply.values)
        else:
            dispatcher.utter_message(response=reply.response, **reply.values)


async def clinic_settings() -> ClinicSettings:
    """The current clinic settings, read in a thread: no file I/O on the event loop."""
    return await asyncio.to_thread(_settings.get)


class ActionAnswerFaq(Action):
    """Answer the FAQ topic of the latest message (clinic facts from the settings)."""

    def __init__(self) -> None:
        """The staff's inbox, opened on first use."""
        super().__init__()
        self.inbox = InboxWriter()

    def name(self) -> str:
        """Action name used in rules."""
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the answer of the selected topic, or the default reply when there is none."""
        topics = load_topics()
        key = selected_topic(tracker.latest_message, topics)
        if key is None:
            send(dispatcher, [Reply("utter_default")])
            await inbox.note(self.inbox, FALLBACK, tracker)
            return []
        send(dispatcher, faq_replies(key, topics, (await clinic_settings())))
        await inbox.count(self.inbox, [key], ANSWERED)
        return []


def clarify_buttons(
    candidates: list[str], topics: dict[str, Topic], domain: dict[str, Any]
) -> list[dict[str, Any]]:
    """Buttons for "did you mean...?": the candidate topics, then the response's own."""
    keys = [str(c).removeprefix("faq/") for c in candidates]
    buttons: list[dict[str, Any]] = [
        {"title": topics[key].title, "payload": f'/faq{{"faq_topic":"{key}"}}'}
        for key in keys
        if key in topics
    ]
    if not buttons:
        return []
    # "Something else" comes last (Rasa would put a response's own buttons first).
    for variation in (domain.get("responses") or {}).get("utter_clarify_something_else") or []:
        buttons.extend(variation.get("buttons") or [])
        break
    return buttons


class ActionClarify(Action):
    """Offer the likeliest FAQ topics as buttons instead of risking a wrong answer."""

    def __init__(self) -> None:
        """The staff's inbox, opened on first use."""
        super().__init__()
        self.inbox = InboxWriter()

    def name(self) -> str:
        """Action name used in rules."""
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Ask "did you mean...?" with topic buttons, or ask to rephrase."""
        topics = load_topics()
        offered = clarify_topics(tracker.latest_message, topics)
        buttons = clarify_buttons(offered, topics, domain)
        if not buttons:
            dispatcher.utter_message(response="utter_default")
            await inbox.note(self.inbox, FALLBACK, tracker)
            return []
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        await inbox.note(self.inbox, CLARIFIED, tracker)
        await inbox.count(self.inbox, offered, CLARIFIED_COUNT)
        return []
