"""End to end: the staff's inbox on the real servers, over the widget channel.

A 👎 on an FAQ answer puts the question before it in the inbox (scrubbed) with the answered
topic, a 👍 only counts, an off-topic question and a clarified one are noted, and nothing
is kept from inside the booking form or from a red-flag message. The inbox is a SQLite file
of this module's own (``INBOX_DATABASE_URL``); when the servers were started without it,
both are restarted with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from clinic_office.inbox import InboxEntry, InboxStore, TopicCounts, scrub
from tests.e2e.conftest import Servers
from tests.e2e.test_conversation import parse

pytestmark = pytest.mark.e2e
ORIGIN = "http://localhost:8080"  # allowed in the test credentials
TIMEOUT = 30.0
FAQ_QUESTION = "how long does a dry needling session take?"
# tried in turn for a question the assistant is unsure about (it asks "did you mean...?")
UNSURE = ["how long", "needles?", "is it worth it", "what about the nerve", "how many"]


@pytest.fixture(scope="module")
def inbox_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The servers' inbox database, a temporary SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('inbox') / 'inbox.db'}"
    before = os.environ.get("INBOX_DATABASE_URL")
    os.environ["INBOX_DATABASE_URL"] = url  # for servers started from here on
    try:
        servers: Servers = request.getfixturevalue("servers")
        if servers.env.get("INBOX_DATABASE_URL") != url:
            servers.env["INBOX_DATABASE_URL"] = url
            servers.restart_actions()
            servers.restart_rasa()
        yield url
    finally:
        if before is None:
            os.environ.pop("INBOX_DATABASE_URL", None)
        else:
            os.environ["INBOX_DATABASE_URL"] = before


def post(servers: Servers, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{servers.rasa}/webhooks/widget/{path}",
        json=body,
        headers={"Origin": ORIGIN},
        timeout=TIMEOUT,
    )


def new_token(servers: Servers) -> str:
    reply = post(servers, "session", {})
    assert reply.status_code == 200
    return str(reply.json()["token"])


def say(servers: Servers, token: str, text: str) -> list[dict[str, Any]]:
    reply = post(servers, "message", {"token": token, "text": text})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["messages"])


def inbox(url: str) -> tuple[list[InboxEntry], dict[str, TopicCounts]]:
    store = InboxStore(url)
    store.create_schema()
    try:
        since = datetime.now(timezone.utc) - timedelta(days=1)
        return store.open_entries(500), store.counts_by_topic(since)
    finally:
        store.dispose()


def test_a_thumbs_down_puts_the_question_in_the_inbox(servers: Servers, inbox_url: str) -> None:
    token = new_token(servers)
    messages = say(servers, token, FAQ_QUESTION)
    rated = [m for m in messages if m.get("feedback")]
    assert len(rated) == 1, messages
    _, counts = inbox(inbox_url)
    answered = counts["session_length"].answered
    not_helpful = counts["session_length"].not_helpful

    reply = post(
        servers, "feedback", {"token": token, "id": rated[0]["feedback"], "helpful": False}
    )
    assert reply.status_code == 204
    entries, counts = inbox(inbox_url)
    mine = [e for e in entries if e.kind == "thumbs_down" and e.question == scrub(FAQ_QUESTION)]
    assert len(mine) >= 1
    assert mine[0].answered_topic == "session_length"
    assert counts["session_length"].not_helpful == not_helpful + 1
    assert counts["session_length"].answered == answered

    # the history shows the same answer with the same id
    history = post(servers, "history", {"token": token}).json()["messages"]
    assert [m.get("feedback") for m in history if m.get("feedback")] == [rated[0]["feedback"]]


def test_malformed_and_forged_feedback_is_refused_kindly(servers: Servers, inbox_url: str) -> None:
    token = new_token(servers)
    say(servers, token, FAQ_QUESTION)
    for body, status in [
        ({"token": token, "id": "1.000000", "helpful": False}, 400),
        ({"token": token, "id": "x", "helpful": False}, 400),
        ({"token": token, "helpful": "no"}, 400),
        ({"token": "forged.abc.def", "id": "1.000000", "helpful": False}, 401),
    ]:
        reply = post(servers, "feedback", body)
        assert reply.status_code == status
        assert reply.json()["message"]


def test_a_thumbs_up_only_counts(servers: Servers, inbox_url: str) -> None:
    token = new_token(servers)
    [answer] = [m for m in say(servers, token, FAQ_QUESTION) if m.get("feedback")]
    before, counts = inbox(inbox_url)
    helpful = counts["session_length"].helpful
    reply = post(servers, "feedback", {"token": token, "id": answer["feedback"], "helpful": True})
    assert reply.status_code == 204
    after, counts = inbox(inbox_url)
    assert counts["session_length"].helpful == helpful + 1
    assert len(after) == len(before)


def test_an_off_topic_question_is_noted(servers: Servers, inbox_url: str) -> None:
    text = "what's the weather like today"
    messages = say(servers, new_token(servers), text)
    assert not any(m.get("feedback") for m in messages)
    entries, _ = inbox(inbox_url)
    assert any(e.kind == "off_topic" and e.question == text for e in entries)


def test_a_clarified_question_is_noted(servers: Servers, inbox_url: str) -> None:
    unsure = [text for text in UNSURE if parse(servers, text)["intent"]["name"] == "nlu_fallback"]
    if not unsure:
        pytest.fail(f"none of {UNSURE} makes the assistant unsure any more: add one that does")
    messages = say(servers, new_token(servers), unsure[0])
    assert any(m.get("buttons") for m in messages)
    entries, _ = inbox(inbox_url)
    assert any(e.kind in ("clarified", "fallback") and e.question == unsure[0] for e in entries)


def test_nothing_is_kept_from_the_booking_form_or_a_red_flag(
    servers: Servers, inbox_url: str
) -> None:
    before, _ = inbox(inbox_url)
    token = new_token(servers)
    say(servers, token, "I'd like to book an appointment")
    say(servers, token, "Jane Roe")
    say(servers, token, "what's the weather, jane.roe@example.org")
    say(servers, new_token(servers), "I suddenly can't control my bladder and my groin is numb")
    after, _ = inbox(inbox_url)
    assert [e for e in after if e not in before] == []
