"""Red flags in the conversation: the triage actions, run as the action server runs them.

Asserts response keys and events, never wording.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.triage import ActionTriage, ActionTriageAnswer
from tests.conftest import FULL_SETTINGS

DOMAIN: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8")
)
FAQ_THEN = {"intent": "faq", "faq_topic": "session_length"}


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.yml"
    path.write_text(yaml.safe_dump(asdict(FULL_SETTINGS)), encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(path))


def tracker(
    intent: str, decision: dict[str, Any] | None = None, form: str | None = None, **slots: Any
) -> Tracker:
    return Tracker(
        sender_id="visitor",
        slots=slots,
        latest_message={
            "text": "x",
            "intent": {"name": intent},
            "entities": [],
            "decision": decision or {},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


async def run(action: Any, t: Tracker) -> tuple[list[str], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, DOMAIN)
    return [m["response"] for m in dispatcher.messages], events


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def loops(events: list[dict[str, Any]]) -> list[str | None]:
    return [e["name"] for e in events if e["event"] == "active_loop"]


async def test_a_red_flag_gets_urgent_care() -> None:
    said, events = await run(ActionTriage(), tracker("urgent_symptoms", {"triage": "urgent"}))
    assert said == ["utter_urgent_care"]
    assert slots(events)["triage_question"] is None
    assert loops(events) == []


async def test_a_button_press_without_a_decision_is_urgent() -> None:
    said, _ = await run(ActionTriage(), tracker("urgent_symptoms"))
    assert said == ["utter_urgent_care"]


async def test_only_the_classifier_thinks_it_urgent_so_one_question_is_asked() -> None:
    decision = {"triage": "screen", "then": FAQ_THEN}
    said, events = await run(ActionTriage(), tracker("urgent_symptoms", decision))
    assert said == ["utter_red_flag_screen"]
    assert slots(events) == {"triage_question": "screen", "triage_pending": FAQ_THEN}


async def test_a_red_flag_inside_a_form_sets_the_form_aside_and_asks_to_carry_on() -> None:
    t = tracker("urgent_symptoms", {"triage": "urgent"}, form="booking_form")
    said, events = await run(ActionTriage(), t)
    assert said == ["utter_urgent_care", "utter_ask_resume_request"]
    assert slots(events)["paused_form"] == "booking_form"
    assert slots(events)["triage_question"] == "resume"
    assert loops(events) == [None]


async def test_yes_to_the_red_flag_question_gets_urgent_care() -> None:
    t = tracker("affirm", triage_question="screen", triage_pending=FAQ_THEN)
    said, events = await run(ActionTriageAnswer(), t)
    assert said == ["utter_urgent_care"]
    assert slots(events) == {"triage_question": None, "triage_pending": None}


async def test_yes_to_the_red_flag_question_inside_a_form_then_asks_to_carry_on() -> None:
    t = tracker("affirm", triage_question="screen", paused_form="booking_form")
    said, events = await run(ActionTriageAnswer(), t)
    assert said == ["utter_urgent_care", "utter_ask_resume_request"]
    assert slots(events)["triage_question"] == "resume"


@pytest.mark.parametrize(
    ("then", "expected", "loop"),
    [
        (FAQ_THEN, ["utter_faq/session_length"], []),
        ({"intent": "describe_symptoms"}, ["utter_describe_symptoms"], []),
        ({"intent": "medical_advice"}, ["utter_medical_advice"], []),
        (
            {"intent": "book_appointment"},
            ["utter_booking", "utter_booking_link", "utter_booking_form_intro"],
            ["booking_form"],
        ),
        (
            {"intent": "nlu_fallback", "candidates": ["faq/session_length", "faq/aftercare"]},
            ["utter_clarify"],
            [],
        ),
        ({}, ["utter_how_can_i_help"], []),
    ],
)
async def test_no_to_the_red_flag_question_answers_what_was_asked(
    then: dict[str, Any], expected: list[str], loop: list[str]
) -> None:
    t = tracker("deny", triage_question="screen", triage_pending=then)
    said, events = await run(ActionTriageAnswer(), t)
    assert said == expected
    assert slots(events)["triage_question"] is None
    assert loops(events) == loop


async def test_no_to_the_red_flag_question_inside_a_form_carries_on_with_it() -> None:
    t = tracker("deny", triage_question="screen", paused_form="change_form")
    said, events = await run(ActionTriageAnswer(), t)
    assert said == ["utter_resume_request"]
    assert loops(events) == ["change_form"]
    assert slots(events)["paused_form"] is None


async def test_carrying_on_after_urgent_care_advice_resumes_the_form() -> None:
    t = tracker(
        "affirm", triage_question="resume", paused_form="booking_form", booking_name="Jane Doe"
    )
    said, events = await run(ActionTriageAnswer(), t)
    assert said == ["utter_resume_request"]
    assert loops(events) == ["booking_form"]
    assert "booking_name" not in slots(events)  # what the visitor gave is kept


async def test_leaving_after_urgent_care_advice_stores_nothing() -> None:
    t = tracker(
        "deny", triage_question="resume", paused_form="booking_form", booking_name="Jane Doe"
    )
    said, events = await run(ActionTriageAnswer(), t)
    assert said == ["utter_booking_cancelled"]
    assert slots(events)["booking_name"] is None
    assert slots(events)["paused_form"] is None
