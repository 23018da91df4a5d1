"""The booking conversation's actions, run as the action server runs them, on a real SQLite
database. Asserts response keys and stored rows, never wording."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import (
    NOT_GIVEN,
    ActionAskBookingConfirmed,
    ActionAskBookingConsent,
    ActionCancelBooking,
    ActionSubmitBooking,
    BookingFormBase,
    ValidateBookingForm,
    ValidateChangeForm,
    booking_store,
)
from clinic_office.booking_store import BookingStore
from clinic_office.clinic_settings import ClinicSettings
from tests.conftest import FULL_SETTINGS

DOMAIN: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8")
)
FILLED = {
    "booking_id": "b1",
    "booking_name": "Jane Doe",
    "booking_contact": "+14155552671",
    "booking_times": "tuesday afternoon",
    "booking_times_normalized": "Tuesday 2026-12-01, afternoon",
    "booking_reason": "sciatica",
    "booking_patient_status": "new",
    "booking_consent": True,
    "booking_confirmed": True,
}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'bookings.db'}"
    settings = tmp_path / "settings.yml"
    settings.write_text(yaml.safe_dump(asdict(FULL_SETTINGS)), encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(settings))
    monkeypatch.setenv("BOOKING_DATABASE_URL", url)
    monkeypatch.setenv("NOTIFY_CHANNELS", "webhook")
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    booking_store.cache_clear()
    yield url
    booking_store.cache_clear()


def tracker(
    slots: dict[str, Any],
    form: str = "booking_form",
    text: str = "x",
    intent: str = "affirm",
    entities: list[dict[str, Any]] | None = None,
    after: list[str] = (),  # type: ignore[assignment]
) -> Tracker:
    """A tracker whose latest message is the visitor's answer (then ``after`` actions ran)."""
    message = {"text": text, "intent": {"name": intent}, "entities": entities or []}
    events = [{"event": "user", "text": text, "parse_data": message}]
    events += [{"event": "action", "name": name} for name in ("action_extract_slots", *after)]
    return Tracker(
        sender_id="visitor-1",
        slots=slots,
        latest_message=message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def stored(url: str) -> list[dict[str, Any]]:
    store = BookingStore(url, ())
    store.create_schema()
    return store.list_requests()


def form_for(form: str) -> BookingFormBase:
    return ValidateBookingForm() if form == "booking_form" else ValidateChangeForm()


async def answer(
    slot: str,
    text: str,
    intent: str = "affirm",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    form: str = "booking_form",
    after: list[str] = (),  # type: ignore[assignment]
) -> tuple[dict[str, Any], list[str]]:
    """What the form reads from ``text`` typed at the question for ``slot``."""
    dispatcher = CollectingDispatcher()
    t = tracker({**(slots or {}), "requested_slot": slot}, form, text, intent, entities, after)
    events = await form_for(form).read_answer(dispatcher, t)
    return {e["name"]: e["value"] for e in events}, responses(dispatcher)


@pytest.mark.parametrize(
    ("slot", "text", "intent", "expected"),
    [
        ("booking_name", "my name is jane doe", "affirm", {"booking_name": "Jane Doe"}),
        ("booking_contact", "(415) 555-2671", "nlu_fallback", {"booking_contact": "+14155552671"}),
        (
            "booking_contact",
            "Jane+pt@Example.com",
            "faq",
            {"booking_contact": "Jane+pt@example.com"},
        ),
        # an answer before a new intent: this reads like a question about contact details
        ("booking_contact", "sam at gmail dot com", "faq", {"booking_contact": "sam@gmail.com"}),
        (
            "booking_reason",
            "sciatica down my left leg",
            "describe_symptoms",
            {"booking_reason": "sciatica down my left leg"},
        ),
        (
            "booking_patient_status",
            "I've never been before",
            "deny",
            {"booking_patient_status": "new"},
        ),
        (
            "booking_patient_status",
            "first time, my back hurts",
            "describe_symptoms",
            {"booking_patient_status": "new"},
        ),
        ("booking_patient_status", "no", "deny", {"booking_patient_status": "new"}),
        ("booking_patient_status", "yes", "affirm", {"booking_patient_status": "returning"}),
        (
            "booking_patient_status",
            "I've been before",
            "bot_challenge",
            {"booking_patient_status": "returning"},
        ),
        ("booking_consent", "yes please", "affirm", {"booking_consent": True}),
        ("booking_confirmed", "yes", "affirm", {"booking_confirmed": True}),
    ],
)
async def test_answers_are_read_as_answers_first(
    database: str, slot: str, text: str, intent: str, expected: dict[str, Any]
) -> None:
    assert await answer(slot, text, intent) == (expected, [])


async def test_times_are_kept_verbatim_with_a_reading_of_each_option(database: str) -> None:
    read, _ = await answer("booking_times", "tuesday afternoon or thursday morning next week")
    assert read["booking_times"] == "tuesday afternoon or thursday morning next week"
    tuesday, thursday = read["booking_times_normalized"].split("; ")
    assert tuesday.startswith("Tuesday ") and tuesday.endswith(" afternoon")
    assert thursday.startswith("Thursday ") and thursday.endswith(" morning")


async def test_a_button_value_is_the_answer(database: str) -> None:
    entities = [{"entity": "booking_reason", "value": "sciatica"}]
    assert await answer("booking_reason", "/affirm", "affirm", entities) == (
        {"booking_reason": "sciatica"},
        [],
    )


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        # red flags win, even when the words would do as an answer
        ("booking_reason", "I've lost control of my bladder", "urgent_symptoms"),
        ("booking_name", "my leg feels odd", "urgent_symptoms"),
        # questions and "stop" are left to the rules; the form asks again after
        ("booking_name", "what is dry needling?", "faq"),
        ("booking_reason", "should i stop my tablets", "medical_advice"),
        ("booking_times", "am i talking to a bot", "bot_challenge"),
        ("booking_contact", "stop", "deny"),
        ("booking_consent", "no", "deny"),
        ("booking_confirmed", "cancel", "deny"),
    ],
)
async def test_red_flags_questions_and_stop_are_left_to_the_rules(
    database: str, slot: str, text: str, intent: str
) -> None:
    assert await answer(slot, text, intent) == ({}, [])


async def test_a_message_already_answered_is_not_read_again(database: str) -> None:
    read = await answer("booking_name", "Jane Doe", "faq", after=["action_answer_faq"])
    assert read == ({}, [])


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("booking_name", "12345", "nlu_fallback"),
        ("booking_contact", "not telling", "nlu_fallback"),
        ("booking_contact", "555-0000", "nlu_fallback"),
        ("booking_reason", "+1 415 555 2671", "nlu_fallback"),  # a phone number is no reason
        ("booking_patient_status", "dunno", "nlu_fallback"),
        ("booking_consent", "what's the weather like", "out_of_scope"),
        ("booking_consent", "maybe", "deny"),  # no answer, not a "stop"
        ("booking_name", "not sure", "deny"),
        ("booking_confirmed", "hmm something is off", "nlu_fallback"),
    ],
)
async def test_a_miss_asks_again_with_a_hint(
    database: str, slot: str, text: str, intent: str
) -> None:
    read, sent = await answer(slot, text, intent)
    assert read == {"booking_failures": {slot: 1}}
    assert sent == [f"utter_invalid_{slot}"]


@pytest.mark.parametrize(
    "slot", ["booking_name", "booking_times", "booking_reason", "booking_patient_status"]
)
async def test_a_second_miss_skips_the_question_and_keeps_the_rest(
    database: str, slot: str
) -> None:
    slots = {"booking_name": "Jane Doe", "booking_failures": {slot: 1}}
    read, sent = await answer(slot, "12", "nlu_fallback", slots=slots)
    assert read == {"booking_failures": {slot: 2}, slot: NOT_GIVEN}
    assert sent == ["utter_skip_question"]


@pytest.mark.parametrize(
    ("slot", "response"),
    [
        ("booking_contact", "utter_give_up_contact"),
        ("booking_consent", "utter_give_up_consent"),
        ("booking_confirmed", "utter_invalid_twice"),
    ],
)
async def test_a_second_miss_where_nothing_can_be_sent_stops_with_the_contact_route(
    database: str, slot: str, response: str
) -> None:
    read, sent = await answer(slot, "zzz", "nlu_fallback", slots={"booking_failures": {slot: 1}})
    assert read["booking_gave_up"] is True
    assert read["requested_slot"] is None  # the form ends; nothing is submitted
    assert sent == [response, "utter_faq/contact_details"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actually my number is 415 555 2672", {"booking_contact": "+14155552672"}),
        ("use jane@example.org instead", {"booking_contact": "jane@example.org"}),
        ("sorry my name is Ann Lee", {"booking_name": "Ann Lee"}),
    ],
)
async def test_correction_at_the_summary(
    database: str, text: str, expected: dict[str, Any]
) -> None:
    read, sent = await answer("booking_confirmed", text, "nlu_fallback", slots=dict(FILLED))
    assert read == {**expected, "booking_confirmed": None}
    assert sent == []


async def test_correction_of_times(database: str) -> None:
    read, _ = await answer("booking_confirmed", "make it thursday morning", "nlu_fallback")
    assert read["booking_times"] == "make it thursday morning"
    assert read["booking_times_normalized"].startswith("Thursday")
    assert read["booking_confirmed"] is None


async def test_change_details(database: str) -> None:
    read, _ = await answer(
        "change_details",
        "move my friday slot to monday",
        "manage_appointment",
        form="change_form",
    )
    assert read == {"change_details": "move my friday slot to monday"}


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        ("validate_booking_name", "Jane Doe", "Jane Doe"),
        ("validate_booking_name", NOT_GIVEN, NOT_GIVEN),
        ("validate_booking_contact", "+14155552671", "+14155552671"),
        ("validate_booking_contact", "sam@gmail.com", "sam@gmail.com"),
        ("validate_booking_patient_status", "returning", "returning"),
        ("validate_booking_patient_status", "maybe", None),
        ("validate_booking_reason", "sciatica", "sciatica"),
        ("validate_booking_times", "tuesday", "tuesday"),
    ],
)
async def test_filled_values_are_checked_when_a_form_starts_or_resumes(
    database: str, method: str, value: Any, expected: Any
) -> None:
    dispatcher = CollectingDispatcher()
    result = await getattr(ValidateBookingForm(), method)(value, dispatcher, tracker({}), DOMAIN)
    assert result == {method.removeprefix("validate_"): expected}
    assert responses(dispatcher) == []


async def run_action(
    action: Any, slots: dict[str, Any], form: str = "booking_form"
) -> tuple[list[str], list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(slots, form), DOMAIN)
    return responses(dispatcher), events, dispatcher


async def test_submit_stores_once_and_gives_the_reference(database: str) -> None:
    sent, events, dispatcher = await run_action(ActionSubmitBooking(), dict(FILLED))
    assert sent == ["utter_booking_received"]
    reference = dispatcher.messages[0]["reference"]
    [row] = stored(database)
    assert row["reference"] == reference
    assert row["kind"] == "booking"
    assert {e["name"] for e in events} >= {"booking_name", "booking_contact", "booking_id"}
    # the same conversation submitted again (a retry, a double click): still one request
    sent_again, _, dispatcher_again = await run_action(ActionSubmitBooking(), dict(FILLED))
    assert sent_again == ["utter_booking_received"]
    assert dispatcher_again.messages[0]["reference"] == reference
    assert len(stored(database)) == 1


async def test_change_request_is_stored_as_a_change(database: str) -> None:
    slots = {**FILLED, "change_details": "move friday to monday", "booking_patient_status": None}
    sent, _, _ = await run_action(ActionSubmitBooking(), slots, "change_form")
    assert sent == ["utter_change_received"]
    [row] = stored(database)
    assert row["kind"] == "change"


@pytest.mark.parametrize(
    "slots",
    [
        {**FILLED, "booking_confirmed": None},
        {**FILLED, "booking_consent": None},
        {**FILLED, "booking_gave_up": True},
    ],
)
async def test_nothing_is_stored_without_confirmation_and_consent(
    database: str, slots: dict[str, Any]
) -> None:
    sent, events, _ = await run_action(ActionSubmitBooking(), slots)
    assert sent == []
    assert stored(database) == []
    assert all(e["value"] is None for e in events)


async def test_database_down_is_told_honestly(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing listens on port 1: the connection is refused, as when the database is down
    monkeypatch.setenv("BOOKING_DATABASE_URL", "postgresql://clinic@127.0.0.1:1/bookings")
    booking_store.cache_clear()
    sent, events, _ = await run_action(ActionSubmitBooking(), dict(FILLED))
    assert sent == ["utter_booking_not_saved", "utter_faq/contact_details"]
    assert events == []  # nothing forgotten: the visitor's answers are kept


async def test_cancel_forgets_everything(database: str) -> None:
    sent, events, _ = await run_action(ActionCancelBooking(), dict(FILLED))
    assert sent == ["utter_booking_cancelled"]
    assert events and all(e["value"] is None for e in events)
    assert stored(database) == []


@pytest.mark.parametrize(
    ("privacy_url", "expected"),
    [
        ("https://clinic.example/privacy", "utter_ask_booking_consent_with_link"),
        ("", "utter_ask_booking_consent"),
    ],
)
async def test_consent_question_links_the_privacy_notice(
    privacy_url: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "s.yml"
    settings.write_text(
        yaml.safe_dump(asdict(ClinicSettings(privacy_url=privacy_url))), encoding="utf-8"
    )
    monkeypatch.setenv("CLINIC_SETTINGS", str(settings))
    sent, _, dispatcher = await run_action(ActionAskBookingConsent(), {})
    assert sent == [expected]
    if privacy_url:
        assert dispatcher.messages[0]["privacy_url"] == privacy_url


async def test_summary_shows_what_will_be_sent(database: str) -> None:
    sent, _, dispatcher = await run_action(ActionAskBookingConfirmed(), dict(FILLED))
    assert sent == ["utter_booking_summary"]
    message = dispatcher.messages[0]
    assert message["name"] == "Jane Doe"
    assert message["contact"] == "+1 415-555-2671"
    assert "tuesday afternoon" in message["times"]
    sent, _, _ = await run_action(
        ActionAskBookingConfirmed(), {**FILLED, "change_details": "x"}, "change_form"
    )
    assert sent == ["utter_change_summary"]
