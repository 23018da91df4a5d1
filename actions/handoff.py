"""Hand-offs to the clinic's staff: a person to talk to, booking, appointment changes."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import send, settings_store
from actions.replies import Reply, booking_replies, contact_route


class ActionHumanHandoff(Action):
    """Tell the visitor how to reach a person at the clinic."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the hand-off message and the clinic's contact details from the settings."""
        send(dispatcher, [Reply("utter_handoff"), contact_route(settings_store().get())])
        return []


class ActionBookAppointment(Action):
    """Give the clinic's booking route (online link and contact details)."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the booking link when set, and how to reach the clinic."""
        send(dispatcher, booking_replies(settings_store().get()))
        return []


class ActionManageAppointment(Action):
    """Point a visitor who wants to cancel or reschedule to the clinic's staff."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_manage_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the appointment-change message and the contact route."""
        send(
            dispatcher,
            [Reply("utter_manage_appointment"), contact_route(settings_store().get())],
        )
        return []
