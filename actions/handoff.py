"""Hand-offs to the clinic's staff: a person to talk to, booking, appointment changes."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import start_booking
from actions.faq import clinic_settings, send
from actions.replies import Reply, booking_replies, contact_route, manage_replies


class ActionHumanHandoff(Action):
    """Tell the visitor how to reach a person at the clinic."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the hand-off message and the clinic's contact details from the settings."""
        send(dispatcher, [Reply("utter_handoff"), contact_route(await clinic_settings())])
        return []


class ActionBookAppointment(Action):
    """Offer the online booking link when set, then start the booking-request form."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the booking link when set and introduce the booking form."""
        send(dispatcher, booking_replies(await clinic_settings()))
        return start_booking()


class ActionManageAppointment(Action):
    """Start a change-or-cancel request for the clinic's staff (no calendar here)."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_manage_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Introduce the change-request form, with the online booking link when set."""
        send(dispatcher, manage_replies(await clinic_settings()))
        return start_booking()
