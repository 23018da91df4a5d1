"""Conversations survive a restart, and "forget" deletes them (issue 8)."""

from __future__ import annotations

from uuid import uuid4

import pytest
import requests
import sqlalchemy as sa

from tests.e2e.conftest import Servers
from tests.e2e.test_conversation import say, texts
from tests.e2e.test_widget_channel import new_token, send, url

pytestmark = pytest.mark.e2e
TIMEOUT = 30.0
TURNS = ["I'd like to book an appointment", "Sam Example"]
NEXT = "sam@example.com"


def stored_rows(servers: Servers, needle: str, column: str = "data") -> int:
    """Events in the conversations database whose ``column`` holds ``needle``."""
    engine = sa.create_engine(servers.env["CONVERSATIONS_DATABASE_URL"], future=True)
    try:
        with engine.connect() as connection:
            query = sa.text(f"SELECT COUNT(*) FROM events WHERE {column} LIKE :needle")
            return int(connection.execute(query, {"needle": f"%{needle}%"}).scalar_one())
    finally:
        engine.dispose()


def test_a_restart_in_the_middle_of_the_booking_form_continues_where_it_was(
    servers: Servers,
) -> None:
    control, restarted = uuid4().hex, uuid4().hex
    for sender in (control, restarted):
        for turn in TURNS:
            assert say(servers, turn, sender)
    expected = texts(say(servers, NEXT, control))
    assert stored_rows(servers, restarted, column="sender_id") > 0

    servers.restart_rasa()

    assert texts(say(servers, NEXT, restarted)) == expected


def test_forget_deletes_the_conversations_rows(servers: Servers) -> None:
    marker = f"quokka{uuid4().hex[:10]}"
    token = new_token(servers)
    assert send(servers, token, f"hello, I am {marker}").status_code == 200
    assert stored_rows(servers, marker) > 0
    reply = requests.post(url(servers, "forget"), json={"token": token}, timeout=TIMEOUT)
    assert reply.status_code == 204
    assert stored_rows(servers, marker) == 0
