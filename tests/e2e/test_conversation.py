"""End to end: the real Rasa server and action server, over HTTP.

Replies are compared with the domain's responses (filled with the test clinic's settings),
so wording can change in the domain without touching the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import requests
import yaml

from tests.conftest import FULL_SETTINGS
from tests.e2e.conftest import Servers

pytestmark = pytest.mark.e2e

DOMAIN: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8")
)
TIMEOUT = 30.0


def response_text(name: str, **values: str) -> str:
    return str(DOMAIN["responses"][name][0]["text"]).format(**values)


def say(servers: Servers, message: str, sender: str | None = None) -> list[dict[str, Any]]:
    reply = requests.post(
        f"{servers.rasa}/webhooks/rest/webhook",
        json={"sender": sender or uuid4().hex, "message": message},
        headers=servers.rest_headers(),
        timeout=TIMEOUT,
    )
    reply.raise_for_status()
    return list(reply.json())


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("text")) for r in replies]


def parse(servers: Servers, text: str) -> dict[str, Any]:
    reply = requests.post(
        f"{servers.rasa}/model/parse",
        json={"text": text},
        headers=servers.api_headers(),
        timeout=TIMEOUT,
    )
    reply.raise_for_status()
    return dict(reply.json())


def test_action_server_serves_every_action(servers: Servers) -> None:
    reply = requests.get(
        f"{servers.actions}/actions",
        headers={"X-Action-Secret": servers.env["ACTION_SECRET"]},
        timeout=TIMEOUT,
    )
    names = {a["name"] for a in reply.json()}
    assert names == set(DOMAIN["actions"])


def test_greeting(servers: Servers) -> None:
    assert texts(say(servers, "hello")) == [response_text("utter_greet")]


def test_faq_answer_from_the_article(servers: Servers) -> None:
    assert texts(say(servers, "how long does a dry needling session take?")) == [
        response_text("utter_faq/session_length")
    ]


def test_clinic_fact_from_the_settings(servers: Servers) -> None:
    assert texts(say(servers, "what are your opening hours?")) == [
        response_text("utter_faq/opening_hours", opening_hours=FULL_SETTINGS.opening_hours)
    ]


def test_booking_gives_the_booking_route(servers: Servers) -> None:
    replies = texts(say(servers, "I'd like to book an appointment"))
    assert replies == [
        response_text("utter_booking"),
        response_text("utter_booking_link", booking_url=FULL_SETTINGS.booking_url),
        response_text("utter_booking_form_intro"),
        response_text("utter_ask_booking_name"),
    ]


def test_red_flag_beats_the_faq_question(servers: Servers) -> None:
    message = "I can't control my bladder since yesterday, can dry needling help?"
    assert texts(say(servers, message)) == [response_text("utter_urgent_care")]
    parsed = parse(servers, message)
    assert parsed["intent"]["name"] == "urgent_symptoms"
    assert parsed["red_flags"] == ["bladder_bowel"]


def test_clarification_button_payload_answers_the_chosen_topic(servers: Servers) -> None:
    assert texts(say(servers, '/faq{"faq_topic":"aftercare"}')) == [
        response_text("utter_faq/aftercare")
    ]


def test_conversation_keeps_going_after_urgent_advice(servers: Servers) -> None:
    sender = uuid4().hex
    assert texts(say(servers, "I fell off a ladder and now have sciatica", sender)) == [
        response_text("utter_urgent_care")
    ]
    assert texts(say(servers, "is dry needling safe?", sender)) == [
        response_text("utter_faq/is_it_safe")
    ]


def test_bot_challenge_admits_being_automated(servers: Servers) -> None:
    assert texts(say(servers, "am I talking to a bot?")) == [response_text("utter_iamabot")]


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "<img src=x onerror=alert(1)>",
        "what is dry needling? " * 500,
        "\u0000\u202e weird \U0001f600 input",
    ],
)
def test_bad_input_gets_an_answer(servers: Servers, message: str) -> None:
    replies = say(servers, message)
    assert replies, "every message gets an answer"
    for reply in replies:
        assert "<img" not in str(reply.get("text", ""))


def test_no_message_text_in_the_server_logs(servers: Servers) -> None:
    marker = f"zebra{uuid4().hex[:8]} my sciatica hurts"
    say(servers, marker)
    say(servers, f"I lost bladder control {marker}")
    for log in ("rasa.log", "actions.log"):
        assert marker not in (servers.logs / log).read_text(encoding="utf-8", errors="replace")
