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
    ActionAskBookingConfirmed,
    ActionAskBookingConsent,
    ActionCancelBooking,
    ActionSubmitBooking,
    ValidateBookingForm,
    ValidateChangeForm,
    booking_store,
)
from actions.booking_store import BookingStore
from actions.settings import ClinicSettings
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


def tracker(slots: dict[str, Any], form: str = "booking_form", text: str = "x") -> Tracker:
    return Tracker(
        sender_id="visitor-1",
        slots=slots,
        latest_message={"text": text, "intent": {"name": "affirm"}, "entities": []},
        events=[],
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


async def validate(
    method: str, value: Any, slots: dict[str, Any] | None = None, form: str = "booking_form"
) -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    action = ValidateBookingForm() if form == "booking_form" else ValidateChangeForm()
    result = await getattr(action, method)(value, dispatcher, tracker(slots or {}, form), DOMAIN)
    return result, responses(dispatcher)


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        ("validate_booking_name", "my name is jane doe", {"booking_name": "Jane Doe"}),
        ("validate_booking_contact", "(415) 555-2671", {"booking_contact": "+14155552671"}),
        (
            "validate_booking_contact",
            "Jane+pt@Example.com",
            {"booking_contact": "Jane+pt@example.com"},
        ),
        ("validate_booking_patient_status", "new", {"booking_patient_status": "new"}),
        ("validate_booking_patient_status", "been before", {"booking_patient_status": "returning"}),
        ("validate_booking_reason", "sciatica", {"booking_reason": "sciatica"}),
        ("validate_booking_confirmed", True, {"booking_confirmed": True}),
    ],
)
async def test_valid_values(
    database: str, method: str, value: Any, expected: dict[str, Any]
) -> None:
    result, sent = await validate(method, value)
    assert result == expected
    assert sent == []


async def test_times_are_kept_verbatim_and_normalised(database: str) -> None:
    result, _ = await validate("validate_booking_times", "asap please")
    assert result == {
        "booking_times": "asap please",
        "booking_times_normalized": "as soon as possible",
    }


@pytest.mark.parametrize(
    ("method", "value", "slot"),
    [
        ("validate_booking_name", "12345", "booking_name"),
        ("validate_booking_contact", "not telling", "booking_contact"),
        ("validate_booking_contact", "555-0000", "booking_contact"),
        ("validate_booking_patient_status", "dunno", "booking_patient_status"),
    ],
)
async def test_invalid_value_asks_again_with_a_hint(
    database: str, method: str, value: str, slot: str
) -> None:
    result, sent = await validate(method, value)
    assert result == {slot: None, "booking_failures": {slot: 1}}
    assert sent == [f"utter_invalid_{slot}"]


async def test_second_failure_offers_the_phone_and_stops(database: str) -> None:
    result, sent = await validate(
        "validate_booking_contact", "nope", {"booking_failures": {"booking_contact": 1}}
    )
    assert result["booking_gave_up"] is True
    assert sent == ["utter_invalid_twice", "utter_faq/contact_details"]
    dispatcher = CollectingDispatcher()
    required = await ValidateBookingForm().required_slots(
        ["booking_name"], dispatcher, tracker({"booking_gave_up": True}), DOMAIN
    )
    assert required == []


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
    result, sent = await validate("validate_booking_confirmed", text, dict(FILLED))
    assert result == {**expected, "booking_confirmed": None}
    assert sent == []


async def test_correction_of_times(database: str) -> None:
    result, _ = await validate("validate_booking_confirmed", "make it thursday morning")
    assert result["booking_times"] == "make it thursday morning"
    assert result["booking_times_normalized"].startswith("Thursday")
    assert result["booking_confirmed"] is None


async def test_unclear_correction_asks_what_to_change(database: str) -> None:
    result, sent = await validate("validate_booking_confirmed", "hmm something is off")
    assert result == {"booking_confirmed": None}
    assert sent == ["utter_ask_what_to_change"]


async def test_change_details(database: str) -> None:
    result, _ = await validate(
        "validate_change_details", "move friday to monday", form="change_form"
    )
    assert result == {"change_details": "move friday to monday"}


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
    monkeypatch.setenv("BOOKING_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
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


@pytest.mark.parametrize(
    "method",
    [
        "validate_booking_name",
        "validate_booking_contact",
        "validate_booking_times",
        "validate_booking_reason",
        "validate_booking_patient_status",
        "validate_booking_confirmed",
    ],
)
async def test_a_reset_slot_is_not_a_failure(database: str, method: str) -> None:
    """Starting a request resets every slot; the resets must not count as wrong answers."""
    result, sent = await validate(method, None)
    assert result == {method.removeprefix("validate_"): None}
    assert sent == []
