"""The booking conversation: form validation, summary and confirmation, submission.

Shared form logic lives in the abstract ``BookingFormBase``, so it is never registered as an
action. Persistence is in ``actions.booking_store`` (run in a thread: no blocking I/O on the
action server's event loop); staff notification goes through its outbox.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import datetime
from functools import cache
from typing import Any
from uuid import uuid4

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_store import (
    BookingRequest,
    BookingStore,
    StoreUnavailable,
    database_url_from_env,
)
from actions.faq import clinic_settings, send
from actions.notify import NotifyConfig, NotifyConfigError
from actions.parsing import (
    clean_text,
    format_contact,
    normalise_times,
    parse_contact,
    parse_name,
    parse_patient_status,
)
from actions.replies import Reply, contact_route

logger = logging.getLogger(__name__)

BOOKING_SLOTS = (
    "booking_id",
    "booking_name",
    "booking_contact",
    "booking_times",
    "booking_times_normalized",
    "booking_reason",
    "booking_patient_status",
    "change_details",
    "booking_consent",
    "booking_confirmed",
    "booking_failures",
    "booking_gave_up",
)
MAX_FAILURES = 2


def reset_booking_slots() -> list[dict[str, Any]]:
    """Events that forget everything the booking form collected."""
    return [SlotSet(slot, None) for slot in BOOKING_SLOTS]


def start_booking() -> list[dict[str, Any]]:
    """Events that start a fresh booking request with its own id (for idempotency)."""
    return [*reset_booking_slots(), SlotSet("booking_id", uuid4().hex)]


@cache
def booking_store() -> BookingStore:
    """The process's booking store, its tables created on first use (not at import).

    A failure is not cached: the next request tries again.
    """
    try:
        channels = NotifyConfig.from_env().channels
    except NotifyConfigError as error:
        # Storing without the notifications staff rely on would lose the request quietly.
        raise StoreUnavailable("staff notification settings are not valid") from error
    store = BookingStore(database_url_from_env(), channels)
    try:
        store.create_schema()
    except StoreUnavailable:
        store.dispose()
        raise
    return store


def _submit_blocking(request: BookingRequest) -> str:
    return booking_store().submit(request).reference


class BookingFormBase(FormValidationAction, ABC):
    """Validation shared by the booking form and the change-request form."""

    @abstractmethod
    def name(self) -> str:
        """Each form's validation action names itself (validate_<form>)."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """No more questions once the visitor has been offered the phone instead."""
        if tracker.get_slot("booking_gave_up"):
            return []
        return list(domain_slots)

    async def _failed(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Ask again with a hint; after two failures offer the clinic's contact and stop."""
        failures = dict(tracker.get_slot("booking_failures") or {})
        failures[slot] = int(failures.get(slot, 0)) + 1
        if failures[slot] >= MAX_FAILURES:
            send(dispatcher, [Reply("utter_invalid_twice"), contact_route(await clinic_settings())])
            return {slot: None, "booking_failures": failures, "booking_gave_up": True}
        dispatcher.utter_message(response=f"utter_invalid_{slot}")
        return {slot: None, "booking_failures": failures}

    async def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A person's name, cleaned up."""
        if value is None:
            return {"booking_name": None}
        name = parse_name(str(value or ""))
        if name is None:
            return await self._failed("booking_name", dispatcher, tracker)
        return {"booking_name": name}

    async def validate_booking_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A valid phone number (E.164) or e-mail address."""
        if value is None:
            return {"booking_contact": None}
        contact = parse_contact(str(value or ""), (await clinic_settings()).default_region)
        if contact is None:
            return await self._failed("booking_contact", dispatcher, tracker)
        return {"booking_contact": contact.value}

    async def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Yes sends the request; a correction updates one value and asks again."""
        if value is None:
            return {"booking_confirmed": None}
        if value is True:
            return {"booking_confirmed": True}
        text = clean_text(str(value or ""))
        contact = parse_contact(text, (await clinic_settings()).default_region)
        if contact is not None:
            return {"booking_contact": contact.value, "booking_confirmed": None}
        lowered = text.lower()
        if "name" in lowered:
            name = parse_name(text)
            if name is not None:
                return {"booking_name": name, "booking_confirmed": None}
        if tracker.active_loop.get("name") == "booking_form":
            normalized = normalise_times(text, datetime.now())
            if normalized is not None:
                return {
                    "booking_times": text,
                    "booking_times_normalized": normalized,
                    "booking_confirmed": None,
                }
        dispatcher.utter_message(response="utter_ask_what_to_change")
        return {"booking_confirmed": None}


class ValidateBookingForm(BookingFormBase):
    """Validate the booking-request form."""

    def name(self) -> str:
        """Form validation action name (validate_<form>)."""
        return "validate_booking_form"

    async def validate_booking_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Keep the visitor's words; add a normalised reading where one can be made."""
        if value is None:
            return {"booking_times": None}
        text = clean_text(str(value or ""))
        if len(text) < 2:
            return await self._failed("booking_times", dispatcher, tracker)
        return {
            "booking_times": text,
            "booking_times_normalized": normalise_times(text, datetime.now()),
        }

    async def validate_booking_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Any reason in the visitor's words, or a button's value."""
        if value is None:
            return {"booking_reason": None}
        text = clean_text(str(value or ""))
        return {"booking_reason": text or "other"}

    async def validate_booking_patient_status(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """ "new" or "returning"."""
        if value is None:
            return {"booking_patient_status": None}
        text = str(value or "")
        status = text if text in {"new", "returning"} else parse_patient_status(text)
        if status is None:
            return await self._failed("booking_patient_status", dispatcher, tracker)
        return {"booking_patient_status": status}


class ValidateChangeForm(BookingFormBase):
    """Validate the change-or-cancel request form."""

    def name(self) -> str:
        """Form validation action name (validate_<form>)."""
        return "validate_change_form"

    async def validate_change_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """What to change, in the visitor's words."""
        if value is None:
            return {"change_details": None}
        text = clean_text(str(value or ""), 500)
        if len(text) < 2:
            return await self._failed("change_details", dispatcher, tracker)
        return {"change_details": text}


class ActionAskBookingConsent(Action):
    """Ask for consent to be contacted, with the privacy notice link when it is set."""

    def name(self) -> str:
        """Ask action of the booking_consent slot."""
        return "action_ask_booking_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the consent question."""
        privacy_url = (await clinic_settings()).privacy_url
        if privacy_url:
            dispatcher.utter_message(
                response="utter_ask_booking_consent_with_link", privacy_url=privacy_url
            )
        else:
            dispatcher.utter_message(response="utter_ask_booking_consent")
        return []


class ActionAskBookingConfirmed(Action):
    """Show the summary of the request and ask to send it."""

    def name(self) -> str:
        """Ask action of the booking_confirmed slot."""
        return "action_ask_booking_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the summary with Yes / Cancel buttons."""
        name = str(tracker.get_slot("booking_name") or "")
        contact = format_contact(str(tracker.get_slot("booking_contact") or ""))
        if tracker.active_loop.get("name") == "change_form":
            details = str(tracker.get_slot("change_details") or "")
            dispatcher.utter_message(
                response="utter_change_summary", name=name, contact=contact, details=details
            )
            return []
        times = str(tracker.get_slot("booking_times") or "")
        normalized = tracker.get_slot("booking_times_normalized")
        dispatcher.utter_message(
            response="utter_booking_summary",
            name=name,
            contact=contact,
            times=f"{times} ({normalized})" if normalized and normalized != times else times,
            reason=str(tracker.get_slot("booking_reason") or ""),
            patient_status=str(tracker.get_slot("booking_patient_status") or ""),
        )
        return []


class ActionCancelBooking(Action):
    """Leave the booking conversation: nothing is stored."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_cancel_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Say so and forget what was collected."""
        dispatcher.utter_message(response="utter_booking_cancelled")
        return reset_booking_slots()


def request_from(tracker: Tracker) -> BookingRequest:
    """The booking request the visitor confirmed, from the form's slots."""
    kind = "change" if tracker.get_slot("change_details") else "booking"
    contact = str(tracker.get_slot("booking_contact") or "")
    booking_id = str(tracker.get_slot("booking_id") or "")
    if not booking_id:
        # No id (an old conversation): one request per conversation and kind.
        booking_id = kind
    return BookingRequest(
        kind=kind,
        conversation_id=tracker.sender_id,
        submission_key=f"{tracker.sender_id}:{booking_id}"[:200],
        full_name=str(tracker.get_slot("booking_name") or ""),
        phone=contact if contact.startswith("+") else None,
        email=contact if "@" in contact else None,
        preferred_times=str(tracker.get_slot("booking_times") or ""),
        preferred_times_normalized=tracker.get_slot("booking_times_normalized"),
        reason=str(tracker.get_slot("booking_reason") or ("change" if kind == "change" else "")),
        patient_status=tracker.get_slot("booking_patient_status"),
        consent=bool(tracker.get_slot("booking_consent")),
        details=tracker.get_slot("change_details"),
    )


class ActionSubmitBooking(Action):
    """Store the confirmed request (and its staff notifications) and give its reference."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Commit first, then tell the visitor; tell the truth when the database is down."""
        if (
            tracker.get_slot("booking_gave_up")
            or tracker.get_slot("booking_confirmed") is not True
            or tracker.get_slot("booking_consent") is not True
        ):
            return reset_booking_slots()
        request = request_from(tracker)
        try:
            reference = await asyncio.to_thread(_submit_blocking, request)
        except StoreUnavailable:
            logger.warning("booking request not stored: database unavailable")
            send(
                dispatcher,
                [Reply("utter_booking_not_saved"), contact_route(await clinic_settings())],
            )
            return []
        logger.info("booking request stored: %s (%s)", reference, request.kind)
        received = "utter_change_received" if request.kind == "change" else "utter_booking_received"
        dispatcher.utter_message(response=received, reference=reference)
        return reset_booking_slots()
