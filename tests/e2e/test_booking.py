"""End to end: a visitor books in the chat over the REST channel; the request is stored
exactly once and staff are notified exactly once by e-mail (a real SMTP server) and by
webhook (a real HTTP sink), although the action server restarts in the middle of the
conversation, the webhook sink is down at first, and the notifier restarts."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import uuid4

import pytest

from clinic_office.booking_store import BookingStore
from tests.e2e.conftest import BIN, ROOT, Servers, start, stop
from tests.e2e.test_conversation import say

pytestmark = pytest.mark.e2e


class Sink:
    """A real local HTTP server that records every POST body."""

    def __init__(self, port: int) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def notifier(servers: Servers) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def launch() -> subprocess.Popen[bytes]:
        process = start(
            [str(BIN / "python"), "-m", "clinic_office.notifier", "--interval", "0.3"],
            servers.logs / "notifier.log",
            servers.env,
        )
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            stop(process)


def requests_in(servers: Servers) -> list[dict[str, Any]]:
    store = BookingStore(servers.database_url, ())
    try:
        store.create_schema()
        return store.list_requests()
    finally:
        store.dispose()


def webhook_state(servers: Servers) -> dict[str, Any]:
    notifications = requests_in(servers)[-1]["notifications"]
    return next(n for n in notifications if n["channel"] == "webhook")


def test_booking_is_stored_and_notified_exactly_once(
    servers: Servers, notifier: Callable[[], subprocess.Popen[bytes]]
) -> None:
    sender = uuid4().hex
    before = len(requests_in(servers))
    assert say(servers, "I'd like to book an appointment please", sender)
    assert say(servers, "Jane Doe", sender)
    assert say(servers, "415 555 2671", sender)
    servers.restart_actions()  # the conversation goes on after an action-server restart
    assert say(servers, "tuesday afternoon", sender)
    assert say(servers, '/affirm{"booking_reason": "sciatica"}', sender)
    assert say(servers, '/affirm{"patient_status": "new"}', sender)
    summary = say(servers, "/affirm", sender)
    assert any("Jane Doe" in str(m.get("text")) for m in summary)
    final = say(servers, "/affirm", sender)

    rows = requests_in(servers)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["conversation_id"] == sender
    assert row["full_name"] == "Jane Doe"
    assert row["phone"] == "+14155552671"
    assert row["preferred_times"] == "tuesday afternoon"
    assert row["reason"] == "sciatica"
    assert row["patient_status"] == "new"
    assert row["consent"] is True
    # the visitor is told the stored reference, after the commit
    assert any(row["reference"] in str(m.get("text")) for m in final)

    # the webhook sink is down: e-mail goes out, the webhook waits and retries
    first = notifier()
    wait_for(lambda: len(servers.mail.messages) == 1)
    wait_for(lambda: webhook_state(servers)["attempts"] >= 1)
    assert webhook_state(servers)["state"] == "pending"
    stop(first)  # the notifier restarts while the webhook is still owed

    sink = Sink(servers.webhook_port)
    try:
        notifier()
        wait_for(lambda: len(sink.bodies) == 1)
        time.sleep(2.0)  # a few more polling rounds: nothing is sent twice
        assert len(sink.bodies) == 1
        assert len(servers.mail.messages) == 1
        assert sink.bodies[0]["idempotency_key"] == f"{row['reference']}:webhook"
        assert sink.bodies[0]["reference"] == row["reference"]
        assert row["reference"] in str(servers.mail.messages[0]["Subject"])
        states = {n["channel"]: n["state"] for n in requests_in(servers)[-1]["notifications"]}
        assert states == {"email": "delivered", "webhook": "delivered"}
    finally:
        sink.close()


def test_stop_leaves_the_form_and_stores_nothing(servers: Servers) -> None:
    sender = uuid4().hex
    before = len(requests_in(servers))
    say(servers, "can I book a session", sender)
    say(servers, "Sam Smith", sender)
    replies = say(servers, "never mind", sender)
    assert replies
    assert len(requests_in(servers)) == before


def test_bookings_command_prints_json_lines(servers: Servers) -> None:
    result = subprocess.run(
        [str(BIN / "python"), "-m", "scripts.bookings"],
        cwd=ROOT,
        env=servers.env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line["reference"] for line in lines] == [r["reference"] for r in requests_in(servers)]
