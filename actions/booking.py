"""The booking conversation: form validation, summary and confirmation, submission.

Shared form logic lives in the abstract ``BookingFormBase``, so it is never registered as an
action. Persistence is in ``clinic_office.booking_store`` (run in a thread: no blocking I/O on the
action server's event loop); staff notification goes through its outbox.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from datetime import datetime
from functools import cache
from typing import Any
from uuid import uuid4

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import clinic_settings, send
from actions.parsing import (
    clean_text,
    format_contact,
    looks_like_reason,
    normalise_times,
    parse_contact,
    parse_name,
    parse_patient_status,
    parse_yes_no,
)
from actions.replies import Reply, contact_route
from clinic_office import config
from clinic_office.booking_store import (
    BookingRequest,
    BookingStore,
    StoreUnavailable,
)

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
    "paused_form",
    "triage_question",
    "triage_pending",
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
    settings = config.current()
    if settings.notify is None:
        # Storing without the notifications staff rely on would lose the request quietly.
        raise StoreUnavailable("staff notification settings are not valid")
    store = BookingStore(settings.booking_database_url, settings.notify.channels)
    try:
        store.create_schema()
    except StoreUnavailable:
        store.dispose()
        raise
    return store


def _submit_blocking(request: BookingRequest) -> str:
    return booking_store().submit(request).reference


# Intents that answer something else: the rules answer them and the form asks again.
DIGRESSIONS = frozenset({"faq", "medical_advice", "bot_challenge", "human_handoff", "deny"})
# Actions that run between a visitor's message and the form's reading of it.
_FORM_STEPS = frozenset({"action_listen", "action_extract_slots"})
# What a skipped answer is stored as: the clinic's team asks for it.
NOT_GIVEN = "(not given)"
# Questions that may be skipped after two misses; without the others nothing can be sent.
SKIPPABLE = frozenset(
    {"booking_name", "booking_times", "booking_reason", "booking_patient_status", "change_details"}
)
GIVE_UP_RESPONSES = {
    "booking_contact": "utter_give_up_contact",
    "booking_consent": "utter_give_up_consent",
}


def fresh_message(tracker: Tracker, form: str) -> bool:
    """The latest message is still to be read: no other action has answered it."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action":
            name = event.get("name")
            if name not in _FORM_STEPS and name not in (form, f"validate_{form}"):
                return False
    return False


_STOP = re.compile(
    r"\b(?:stop|cancel|never ?mind|forget (?:it|that)|quit|leave it|don'?t want|do not want|"
    r"not interested|no thanks?|changed my mind)\b",
    re.IGNORECASE,
)


def wants_to_stop(text: str) -> bool:
    """ "stop", "never mind", "no": leave the form. "maybe" or "not sure" is no answer."""
    return parse_yes_no(text) is False or bool(_STOP.search(text))


def _intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


class BookingFormBase(FormValidationAction, ABC):
    """Reading and checking the answers of the booking and change-request forms.

    Each question's answer is read from the visitor's latest message by a ``read_<slot>``
    method, before the message counts as anything else: "sam at gmail dot com" is an e-mail
    address even if it reads like a question about contact details. A red flag always
    wins. A message that is not an answer but a question (FAQ, medical advice, hand-off) or
    "stop" is left to the rules, and the form asks again after. Anything else is a miss:
    the question is asked again with a hint, and after two misses it is skipped (kept for
    the clinic's team to ask) or, where nothing can be sent without it, the form stops with
    the clinic's contact route.

    The ``validate_<slot>`` methods check values that were already filled, when a form
    starts or resumes.
    """

    @abstractmethod
    def name(self) -> str:
        """Each form's validation action names itself (validate_<form>)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Read the answer to the question asked, then validate what Rasa passes on."""
        answer = await self.read_answer(dispatcher, tracker)
        return [*answer, *(await super().run(dispatcher, tracker, domain))]

    async def read_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """Events for the answer to the requested question; [] to leave the message to rules."""
        slot = tracker.get_slot("requested_slot")
        if not slot or not fresh_message(tracker, self.form_name()):
            return []
        intent = _intent(tracker)
        if intent == "urgent_symptoms":
            return []  # red flags win: the triage rule answers
        reader = getattr(self, f"read_{slot}", None)
        text = clean_text(str(tracker.latest_message.get("text") or ""))
        values = await reader(text, tracker) if reader else None
        if values:
            return [SlotSet(key, value) for key, value in values.items()]
        if intent in DIGRESSIONS and (intent != "deny" or wants_to_stop(text)):
            return []
        return await self._missed(slot, dispatcher, tracker)

    async def _missed(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """Ask again with a hint; after two misses skip the question, or stop kindly."""
        failures = dict(tracker.get_slot("booking_failures") or {})
        failures[slot] = int(failures.get(slot, 0)) + 1
        events = [SlotSet("booking_failures", failures)]
        if failures[slot] < MAX_FAILURES:
            dispatcher.utter_message(response=f"utter_invalid_{slot}")
            return events
        if slot in SKIPPABLE:
            dispatcher.utter_message(response="utter_skip_question")
            return [*events, SlotSet(slot, NOT_GIVEN)]
        response = GIVE_UP_RESPONSES.get(slot, "utter_invalid_twice")
        send(dispatcher, [Reply(response), contact_route(await clinic_settings())])
        return [*events, SlotSet("booking_gave_up", True), SlotSet("requested_slot", None)]

    async def read_booking_name(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """A person's name."""
        name = parse_name(text)
        return {"booking_name": name} if name else None

    async def read_booking_contact(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """A phone number (E.164) or an e-mail address, typed in words or not."""
        contact = parse_contact(text, (await clinic_settings()).default_region)
        return {"booking_contact": contact.value} if contact else None

    async def read_booking_consent(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """Yes (a "no" is the rules' "stop": nothing is sent)."""
        if _intent(tracker) == "affirm" or parse_yes_no(text) is True:
            return {"booking_consent": True}
        return None

    async def read_booking_confirmed(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """Yes sends the request; a correction changes one value and shows the summary again."""
        if _intent(tracker) == "affirm" or parse_yes_no(text) is True:
            return {"booking_confirmed": True}
        if _intent(tracker) == "deny" or not text:
            return None
        region = (await clinic_settings()).default_region
        contact = parse_contact(text, region)
        if contact is not None:
            return {"booking_contact": contact.value, "booking_confirmed": None}
        if "name" in text.lower():
            name = parse_name(text)
            if name is not None:
                return {"booking_name": name, "booking_confirmed": None}
        if self.form_name() == "booking_form":
            normalized = normalise_times(text, datetime.now(), region)
            if normalized is not None:
                return {
                    "booking_times": text,
                    "booking_times_normalized": normalized,
                    "booking_confirmed": None,
                }
        return None

    async def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A filled name stays; one that is not a name is asked again."""
        if value in (None, NOT_GIVEN):
            return {"booking_name": value}
        return {"booking_name": parse_name(str(value))}

    async def validate_booking_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A filled contact, read again (E.164 phone numbers read as themselves)."""
        if value is None:
            return {"booking_contact": None}
        contact = parse_contact(str(value), (await clinic_settings()).default_region)
        return {"booking_contact": contact.value if contact else None}


class ValidateBookingForm(BookingFormBase):
    """Validate the booking-request form."""

    def name(self) -> str:
        """Form validation action name (validate_<form>)."""
        return "validate_booking_form"

    async def read_booking_times(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """The visitor's words, with a reading of each day and time where one can be made."""
        settings = await clinic_settings()
        normalized = normalise_times(text, datetime.now(), settings.default_region)
        if normalized is None and (
            _intent(tracker) in DIGRESSIONS
            or sum(ch.isalpha() for ch in text) < 2
            or parse_contact(text, settings.default_region) is not None
            or parse_yes_no(text) is not None
        ):
            return None
        return {"booking_times": text, "booking_times_normalized": normalized}

    async def read_booking_reason(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """A button's value, or the visitor's own words when they look like a reason."""
        button = _entity(tracker, "booking_reason")
        if button:
            return {"booking_reason": button}
        if _intent(tracker) in DIGRESSIONS:
            return None
        if looks_like_reason(text, (await clinic_settings()).default_region):
            return {"booking_reason": text}
        return None

    async def read_booking_patient_status(
        self, text: str, tracker: Tracker
    ) -> dict[str, Any] | None:
        """ "new" or "returning": a button, or words such as "never been", "yes"."""
        status = _entity(tracker, "patient_status") or parse_patient_status(text)
        return {"booking_patient_status": status} if status in ("new", "returning") else None

    async def validate_booking_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Filled times stay as they are."""
        return {"booking_times": value}

    async def validate_booking_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A filled reason stays."""
        return {"booking_reason": value}

    async def validate_booking_patient_status(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """ "new", "returning", or skipped."""
        ok = value in ("new", "returning", NOT_GIVEN, None)
        return {"booking_patient_status": value if ok else None}


class ValidateChangeForm(BookingFormBase):
    """Validate the change-or-cancel request form."""

    def name(self) -> str:
        """Form validation action name (validate_<form>)."""
        return "validate_change_form"

    async def read_change_details(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """What to change, in the visitor's words."""
        if _intent(tracker) in DIGRESSIONS or not looks_like_reason(
            text, (await clinic_settings()).default_region
        ):
            return None
        return {"change_details": clean_text(text, 500)}

    async def validate_change_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Filled details stay."""
        return {"change_details": value}


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
