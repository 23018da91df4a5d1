"""Conversations survive a restart, and "forget" deletes them, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from uuid import uuid4

import pytest
import requests
import sqlalchemy as sa

from tests.e2e.conftest import Servers, free_port, stop, wait_until_up
from tests.e2e.test_conversation import say, texts
from tests.e2e.test_widget_channel import new_token, send, url
from tests.unit.test_booking_store import POSTGRES_URL, postgres_unreachable

pytestmark = pytest.mark.e2e
TIMEOUT = 30.0
TURNS = ["I'd like to book an appointment", "Sam Example"]
NEXT = "sam@example.com"


@pytest.fixture(scope="module")
def on_postgresql(servers: Servers) -> Iterator[Servers]:
    """A second Rasa server, beside the first, keeping conversations in a fresh PostgreSQL
    database; it shares the first one's action server."""
    reason = postgres_unreachable()
    if reason:
        pytest.fail(f"{reason}: the PostgreSQL tests need it (README: what make test sets up)")
    database = f"e2e_{uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    url = sa.engine.make_url(POSTGRES_URL).set(database=database).render_as_string(False)
    port = free_port()
    args = list(servers.rasa_args)
    args[args.index("--port") + 1] = str(port)
    running = dataclasses.replace(
        servers,
        rasa=f"http://127.0.0.1:{port}",
        env={**servers.env, "CONVERSATIONS_DATABASE_URL": url},
        processes={},
        rasa_args=args,
        logs=servers.logs / "postgresql",
    )
    running.logs.mkdir(exist_ok=True)
    try:
        running.start_rasa()
        wait_until_up(
            f"{running.rasa}/webhooks/widget/", running.processes["rasa"], running.logs / "rasa.log"
        )
        yield running
    finally:
        for process in running.processes.values():
            stop(process)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, servers: Servers) -> Servers:
    """The servers with conversations in SQLite, or in PostgreSQL."""
    if request.param == "sqlite":
        return servers
    running: Servers = request.getfixturevalue("on_postgresql")
    return running


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
    deployment: Servers,
) -> None:
    servers = deployment
    control, restarted = uuid4().hex, uuid4().hex
    for sender in (control, restarted):
        for turn in TURNS:
            assert say(servers, turn, sender)
    expected = texts(say(servers, NEXT, control))
    assert stored_rows(servers, restarted, column="sender_id") > 0

    servers.restart_rasa()

    assert texts(say(servers, NEXT, restarted)) == expected


def test_forget_deletes_the_conversations_rows(deployment: Servers) -> None:
    servers = deployment
    marker = f"quokka{uuid4().hex[:10]}"
    token = new_token(servers)
    assert send(servers, token, f"hello, I am {marker}").status_code == 200
    assert stored_rows(servers, marker) > 0
    reply = requests.post(url(servers, "forget"), json={"token": token}, timeout=TIMEOUT)
    assert reply.status_code == 204
    assert stored_rows(servers, marker) == 0
