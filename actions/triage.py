"""Red flags in the conversation: urgent-care advice, the screening question, and what follows.

The NLU decision (``clinic_nlu.decision``) says, for a message of intent ``urgent_symptoms``,
whether a red flag applies (``triage: urgent``) or the visitor is to be asked (``screen``).
Inside a form, the form is paused (its answers kept): after urgent-care advice the visitor
is asked whether they still want to leave their request; after a "no" to the screening
question the form carries on.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import inbox
from actions.booking import reset_booking_slots, start_booking
from actions.faq import clarify_buttons, clinic_settings, send
from actions.replies import Reply, booking_replies, carry_on_replies
from clinic_office.inbox import ANSWERED, InboxWriter
from clinic_office.topics import load_topics

# slot values of triage_question: which question the visitor is answering
SCREEN = "screen"
RESUME = "resume"


def _triage_of(tracker: Tracker) -> dict[str, Any]:
    decision = tracker.latest_message.get("decision")
    return decision if isinstance(decision, dict) else {}


def pause_form(tracker: Tracker) -> list[dict[str, Any]]:
    """Events that set the active form aside, keeping its answers."""
    form = tracker.active_loop.get("name")
    if not form:
        return []
    return [SlotSet("paused_form", form), SlotSet("requested_slot", None), ActiveLoop(None)]


def resume_form(form: str) -> list[dict[str, Any]]:
    """Events that take the paused form up again: it asks its next unanswered question."""
    return [SlotSet("paused_form", None), SlotSet("triage_question", None), ActiveLoop(form)]


class ActionTriage(Action):
    """Urgent-care advice for a red flag, or one question that lists the red flags."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Screen when only the classifier thinks it urgent; else urgent-care advice."""
        decision = _triage_of(tracker)
        events = pause_form(tracker)
        paused = bool(events)
        if decision.get("triage") == "screen":
            dispatcher.utter_message(response="utter_red_flag_screen")
            return [
                *events,
                SlotSet("triage_question", SCREEN),
                SlotSet("triage_pending", decision.get("then") or {}),
            ]
        # a red flag the visitor states, or the "yes" button of the screening question
        dispatcher.utter_message(response="utter_urgent_care")
        if paused:
            dispatcher.utter_message(response="utter_ask_resume_request")
            return [*events, SlotSet("triage_question", RESUME), SlotSet("triage_pending", None)]
        return [SlotSet("triage_question", None), SlotSet("triage_pending", None)]


class ActionTriageAnswer(Action):
    """The visitor's yes or no to the screening question or to carrying on with a request."""

    def __init__(self) -> None:
        """The staff's inbox (answers are counted there, no text), opened on first use."""
        super().__init__()
        self.inbox = InboxWriter()

    def name(self) -> str:
        """Action name used in rules."""
        return "action_triage_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Yes to a red flag: urgent care. No: carry on with the question or the form."""
        question = tracker.get_slot("triage_question")
        said_yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        paused = tracker.get_slot("paused_form")
        if question == SCREEN and said_yes:
            dispatcher.utter_message(response="utter_urgent_care")
            if paused:
                dispatcher.utter_message(response="utter_ask_resume_request")
                return [SlotSet("triage_question", RESUME), SlotSet("triage_pending", None)]
            return [SlotSet("triage_question", None), SlotSet("triage_pending", None)]
        if question == RESUME and not said_yes:
            dispatcher.utter_message(response="utter_booking_cancelled")
            return [
                *reset_booking_slots(),
                SlotSet("paused_form", None),
                SlotSet("triage_question", None),
            ]
        if paused:
            dispatcher.utter_message(response="utter_resume_request")
            return [*resume_form(str(paused)), SlotSet("triage_pending", None)]
        if question is None:
            # no question open (already answered): a plain yes or no
            dispatcher.utter_message(
                response="utter_how_can_i_help" if said_yes else "utter_anything_else"
            )
            return []
        return await self._carry_on(dispatcher, tracker, domain)

    async def _carry_on(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        then = tracker.get_slot("triage_pending") or {}
        done = [SlotSet("triage_question", None), SlotSet("triage_pending", None)]
        intent = then.get("intent") if isinstance(then, dict) else None
        settings = await clinic_settings()
        if intent == "book_appointment":
            send(dispatcher, booking_replies(settings))
            return [*done, *start_booking(), ActiveLoop("booking_form")]
        topics = load_topics()
        if intent == "nlu_fallback":
            buttons = clarify_buttons(then.get("candidates") or [], topics, domain)
            if buttons:
                dispatcher.utter_message(response="utter_clarify", buttons=buttons)
                return done
        send(
            dispatcher,
            carry_on_replies(then if isinstance(then, dict) else {}, topics, settings)
            or [Reply("utter_how_can_i_help")],
        )
        if intent == "faq" and then.get("faq_topic") in topics:
            # the question itself had red-flag talk: counted, never kept as an entry
            await inbox.count(self.inbox, [str(then["faq_topic"])], ANSWERED)
        return done
