"""End to end over the widget channel: triage in context, describing symptoms, booking answers.

The real Rasa server and action server, the model `make train` built, and the booking
database. Replies are compared with the domain's responses, never with literal wording.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Servers
from tests.e2e.test_booking import requests_in
from tests.e2e.test_conversation import parse, response_text
from tests.e2e.test_widget_channel import new_token, send

pytestmark = pytest.mark.e2e


class Visitor:
    """One widget conversation."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.token = new_token(servers)

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = send(self.servers, self.token, text)
        assert reply.status_code == 200, reply.text
        return list(reply.json()["messages"])

    def texts(self, text: str) -> list[str]:
        return [str(m["text"]) for m in self.say(text)]


def test_ordinary_sciatica_gets_the_describe_symptoms_reply(servers: Servers) -> None:
    visitor = Visitor(servers)
    replies = visitor.texts("I've had sciatica for two months, it shoots down my leg")
    assert replies == [response_text("utter_describe_symptoms")]


@pytest.mark.parametrize(
    "text",
    [
        "shooting pain down the back of my leg to my foot",
        "sciatica down my left leg",
        "no fever, no weakness, just an ache down the back of my thigh. does needling hurt?",
        "it's only in one leg, not both",
        "I had a fall years ago but that's healed",
    ],
)
def test_ordinary_and_ruled_out_mentions_get_no_alarm(servers: Servers, text: str) -> None:
    replies = Visitor(servers).texts(text)
    assert response_text("utter_urgent_care") not in replies
    assert parse(servers, text)["intent"]["name"] != "urgent_symptoms" or (
        parse(servers, text)["triage"] == "screen"
    )


def test_a_ruled_out_red_flag_is_answered_as_asked(servers: Servers) -> None:
    text = "no fever, no weakness, just an ache down the back of my thigh. does needling hurt?"
    parsed = parse(servers, text)
    assert parsed["triage"] == "ruled_out"
    assert Visitor(servers).texts(text) == [response_text("utter_faq/does_it_hurt")]


def test_a_red_flag_gets_urgent_care(servers: Servers) -> None:
    replies = Visitor(servers).texts("I've lost control of my bladder since yesterday")
    assert replies == [response_text("utter_urgent_care")]


ASK_ABOUT = "my dad had bowel cancer, my sciatica is just from sitting at a desk"


def test_the_red_flag_question_then_no_answers_what_was_said(servers: Servers) -> None:
    visitor = Visitor(servers)
    assert visitor.texts(ASK_ABOUT) == [response_text("utter_red_flag_screen")]
    replies = visitor.texts("No")  # the button's title, typed
    assert replies
    assert response_text("utter_urgent_care") not in replies
    assert response_text("utter_red_flag_screen") not in replies


def test_the_red_flag_question_then_yes_gets_urgent_care(servers: Servers) -> None:
    visitor = Visitor(servers)
    assert visitor.texts(ASK_ABOUT) == [response_text("utter_red_flag_screen")]
    assert visitor.texts("Yes, I have one of these") == [response_text("utter_urgent_care")]


def test_a_red_flag_in_the_middle_of_the_booking_form(servers: Servers) -> None:
    visitor = Visitor(servers)
    visitor.say("I'd like to book an appointment")
    visitor.say("Sam Smith")
    replies = visitor.texts("I've lost control of my bladder since yesterday")
    assert replies == [
        response_text("utter_urgent_care"),
        response_text("utter_ask_resume_request"),
    ]
    # carrying on keeps the name and asks the next question
    replies = visitor.texts("yes")
    assert replies == [
        response_text("utter_resume_request"),
        response_text("utter_ask_booking_contact"),
    ]


def test_typed_button_title_and_answers_read_as_answers(servers: Servers) -> None:
    visitor = Visitor(servers)
    before = len(requests_in(servers))
    visitor.say("I'd like to book an appointment")
    visitor.say("Sam Smith")
    assert visitor.texts("sam at gmail dot com") == [response_text("utter_ask_booking_times")]
    visitor.say("tuesday afternoon or thursday morning next week")
    visitor.say("sciatica down my left leg")
    # the button's own title, typed
    assert visitor.texts("I've been before")[-1].startswith(
        response_text("utter_ask_booking_consent").split("?")[0]
    )
    summary = visitor.texts("yes")
    assert any("sam@gmail.com" in text for text in summary)
    visitor.say("Yes, send it")
    rows = requests_in(servers)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["email"] == "sam@gmail.com"
    assert row["reason"] == "sciatica down my left leg"
    assert row["patient_status"] == "returning"
    today = date.today()
    next_monday = today + timedelta(days=7 - today.weekday())
    tuesday, thursday = next_monday + timedelta(days=1), next_monday + timedelta(days=3)
    assert row["preferred_times_normalized"] == (
        f"Tuesday {tuesday.isoformat()} afternoon; Thursday {thursday.isoformat()} morning"
    )
