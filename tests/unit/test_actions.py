"""Every custom action, run as the action server runs it. Asserts response keys."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionClarify
from actions.handoff import ActionBookAppointment, ActionHumanHandoff, ActionManageAppointment
from actions.triage import ActionTriage, ActionTriageAnswer
from clinic_office.clinic_settings import ClinicSettings
from scripts.validate import responses_sent_by_actions
from tests.conftest import FULL_SETTINGS

DOMAIN: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8")
)


def use_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: ClinicSettings) -> None:
    path = tmp_path / "settings.yml"
    path.write_text(yaml.safe_dump(asdict(settings)), encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(path))


def tracker(parse: dict[str, Any]) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={},
        latest_message=parse,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def faq_parse(key: str | None, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    decision: dict[str, Any] = {"intent": "faq", "confidence": 0.95}
    if key:
        decision["faq_topic"] = key
    return {
        "text": "question",
        "intent": {"name": "faq", "confidence": 0.95},
        "entities": entities or [],
        "decision": decision,
    }


async def run(action: Action, parse: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(parse), DOMAIN)
    return dispatcher.messages, events


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


@pytest.mark.parametrize(
    "action",
    [
        ActionAnswerFaq,
        ActionClarify,
        ActionBookAppointment,
        ActionHumanHandoff,
        ActionManageAppointment,
        ActionTriage,
        ActionTriageAnswer,
    ],
)
def test_name_matches_class_and_domain(action: type[Action]) -> None:
    name = action().name()
    assert name in DOMAIN["actions"]
    assert "".join(part.title() for part in name.split("_")) == action.__name__


async def test_answer_article_topic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_settings(monkeypatch, tmp_path, FULL_SETTINGS)
    messages, events = await run(ActionAnswerFaq(), faq_parse("session_length"))
    assert responses(messages) == ["utter_faq/session_length"]
    assert events == []


async def test_answer_clinic_fact_from_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_settings(monkeypatch, tmp_path, FULL_SETTINGS)
    messages, _ = await run(ActionAnswerFaq(), faq_parse("opening_hours"))
    assert responses(messages) == ["utter_faq/opening_hours"]
    assert messages[0]["opening_hours"] == "Monday to Friday 8am-6pm"


async def test_answer_clinic_fact_not_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_settings(monkeypatch, tmp_path, ClinicSettings(phone="555"))
    messages, _ = await run(ActionAnswerFaq(), faq_parse("opening_hours"))
    assert responses(messages) == ["utter_unknown_facts_phone"]
    assert messages[0]["missing"] == "opening hours"


async def test_answer_button_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_settings(monkeypatch, tmp_path, FULL_SETTINGS)
    parse = faq_parse(None, [{"entity": "faq_topic", "value": "aftercare"}])
    messages, _ = await run(ActionAnswerFaq(), parse)
    assert responses(messages) == ["utter_faq/aftercare"]


async def test_answer_without_topic_gets_default() -> None:
    messages, _ = await run(ActionAnswerFaq(), faq_parse(None))
    assert responses(messages) == ["utter_default"]


async def test_clarify_offers_topic_buttons_then_something_else() -> None:
    parse = {
        "text": "how long",
        "intent": {"name": "nlu_fallback"},
        "entities": [],
        "decision": {
            "intent": "nlu_fallback",
            "gate": "disagreement",
            "candidates": ["faq/session_length", "faq/relief_timeline"],
        },
    }
    messages, _ = await run(ActionClarify(), parse)
    assert responses(messages) == ["utter_clarify"]
    # Rasa puts a response's own buttons before the action's: the response has none
    assert not DOMAIN["responses"]["utter_clarify"][0].get("buttons")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [
        '/faq{"faq_topic":"session_length"}',
        '/faq{"faq_topic":"relief_timeline"}',
        "/deny",
    ]
    assert all(b["title"] for b in messages[0]["buttons"])


async def test_clarify_without_candidates_asks_to_rephrase() -> None:
    parse = {
        "text": "zzz",
        "intent": {"name": "nlu_fallback"},
        "intent_ranking": [],
        "entities": [],
    }
    messages, _ = await run(ActionClarify(), parse)
    assert responses(messages) == ["utter_default"]


@pytest.mark.parametrize(
    ("action", "settings", "expected"),
    [
        (ActionHumanHandoff, FULL_SETTINGS, ["utter_handoff", "utter_faq/contact_details"]),
        (ActionHumanHandoff, ClinicSettings(), ["utter_handoff", "utter_contact_none"]),
    ],
)
async def test_handoff_actions(
    action: type[Action],
    settings: ClinicSettings,
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_settings(monkeypatch, tmp_path, settings)
    messages, events = await run(action(), {"text": "x", "intent": {}, "entities": []})
    assert responses(messages) == expected
    assert events == []


@pytest.mark.parametrize(
    ("action", "settings", "expected"),
    [
        (
            ActionBookAppointment,
            FULL_SETTINGS,
            ["utter_booking", "utter_booking_link", "utter_booking_form_intro"],
        ),
        (ActionBookAppointment, ClinicSettings(), ["utter_booking", "utter_booking_form_intro"]),
        (
            ActionManageAppointment,
            FULL_SETTINGS,
            ["utter_manage_appointment", "utter_booking_link"],
        ),
        (ActionManageAppointment, ClinicSettings(), ["utter_manage_appointment"]),
    ],
)
async def test_booking_actions_start_a_fresh_request(
    action: type[Action],
    settings: ClinicSettings,
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_settings(monkeypatch, tmp_path, settings)
    messages, events = await run(action(), {"text": "x", "intent": {}, "entities": []})
    assert responses(messages) == expected
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots.pop("booking_id")
    assert set(slots.values()) == {None}


def test_every_response_an_action_can_send_exists() -> None:
    """Every name in actions/, literal or composed (f-strings, expanded), is in the domain."""
    sent = responses_sent_by_actions()
    assert {"utter_invalid_change_details", "utter_clinic_prices", "utter_red_flag_screen"} <= sent
    assert {name for name in sent if name not in DOMAIN["responses"]} == set()


def test_action_server_registers_exactly_the_domain_actions() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(DOMAIN["actions"])
