"""Staff notifications against a real SMTP server (aiosmtpd) and a real HTTP sink."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from clinic_office.booking_store import BookingRequest, BookingStore
from clinic_office.notify import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    NotifyConfig,
    NotifyConfigError,
    deliver_due,
    payload,
    send_webhook,
    verify_signature,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-for-tests"
STAFF = ("desk@clinic.example", "manager@clinic.example")

REQUEST = BookingRequest(
    kind="booking",
    conversation_id="conv-42",
    submission_key="conv-42:form-1",
    full_name="Jane Roe",
    phone="+15550100199",
    email="jane.roe@example.org",
    preferred_times="Tuesday morning",
    preferred_times_normalized="Tuesday 2030-01-08, morning",
    reason="lower back pain since a fall",
    patient_status="new",
    consent=True,
)
PERSONAL = (
    "Jane",
    "Roe",
    "5550100199",
    "jane.roe",
    "Tuesday",
    "back pain",
    "conv-42",
    "form-1",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HttpSink:
    """A local HTTP server recording each POST; ``status`` is what it answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hooks/booking"
        self.status = 200
        self.location = ""
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.received.append((dict(self.headers.items()), body))
                self.send_response(sink.status)
                if sink.location:
                    self.send_header("Location", sink.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                sink.received.append((dict(self.headers.items()), b"GET"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on localhost keeping every message it accepts."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[str, list[str], Message]] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    """An HTTP sink on a free port, not started."""
    sink = HttpSink(free_port())
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free port, not started."""
    sink = SmtpSink(free_port())
    yield sink
    sink.stop()


@pytest.fixture
def env(http_sink: HttpSink, smtp_sink: SmtpSink) -> dict[str, str]:
    """Notification settings for both local sinks."""
    return {
        "NOTIFY_CHANNELS": "email, webhook",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_sink.port),
        "SMTP_FROM": "assistant@clinic.example",
        "NOTIFY_EMAIL_TO": ",".join(STAFF),
        "SMTP_STARTTLS": "false",
        "NOTIFY_WEBHOOK_URL": http_sink.url,
        "NOTIFY_WEBHOOK_SECRET": SECRET,
        "NOTIFY_TIMEOUT": "3",
    }


@pytest.fixture
def config(env: dict[str, str]) -> NotifyConfig:
    return NotifyConfig.from_env(env)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bookings.db'}"


@pytest.fixture
def open_store(db_url: str) -> Iterator[Callable[..., BookingStore]]:
    """Opens stores on one SQLite file, as separate processes would; disposes them."""
    stores: list[BookingStore] = []

    def open_(channels: tuple[str, ...] = ("email", "webhook")) -> BookingStore:
        store = BookingStore(db_url, channels)
        store.create_schema()
        stores.append(store)
        return store

    yield open_
    for store in stores:
        store.dispose()


def now() -> datetime:
    return datetime.now(timezone.utc)


def states(store: BookingStore) -> list[tuple[str, str, int]]:
    return [
        (note["channel"], note["state"], note["attempts"])
        for entry in store.list_requests()
        for note in entry["notifications"]
    ]


def test_each_channel_is_delivered_exactly_once(
    open_store: Callable[..., BookingStore],
    config: NotifyConfig,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
) -> None:
    http_sink.start()
    smtp_sink.start()
    store = open_store()
    reference = store.submit(REQUEST).reference
    start = now()
    report = deliver_due(store, config, start)
    assert (report.claimed, report.delivered, report.failed) == (2, 2, 0)
    for later in (start, start + timedelta(minutes=11), start + timedelta(days=30)):
        assert deliver_due(store, config, later).claimed == 0
    assert len(http_sink.received) == 1
    assert len(smtp_sink.messages) == 1
    assert states(store) == [("email", "delivered", 1), ("webhook", "delivered", 1)]
    assert http_sink.payloads()[0]["reference"] == reference


def test_webhook_payload_carries_the_idempotency_key_and_a_signature(
    open_store: Callable[..., BookingStore], config: NotifyConfig, http_sink: HttpSink
) -> None:
    http_sink.start()
    store = open_store(("webhook",))
    reference = store.submit(REQUEST).reference
    deliver_due(store, config, now())
    [(headers, body)] = http_sink.received
    data = json.loads(body)
    assert data["idempotency_key"] == f"{reference}:webhook"
    assert headers[IDEMPOTENCY_HEADER] == f"{reference}:webhook"
    assert headers["Content-Type"].startswith("application/json")
    header = headers[SIGNATURE_HEADER]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert abs(time.time() - timestamp) < 60
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert header == f"t={timestamp},sha256={expected.hexdigest()}"
    assert verify_signature(header, body, SECRET, now=time.time())
    # a replay later, a changed body, another secret: refused
    assert not verify_signature(header, body, SECRET, now=time.time() + 3600)
    assert not verify_signature(header, body + b" ", SECRET, now=time.time())
    assert not verify_signature(header, body, "other-secret", now=time.time())
    assert not verify_signature("sha256=" + expected.hexdigest(), body, SECRET, now=time.time())
    assert data["reference"] == reference
    assert data["kind"] == "booking"
    assert datetime.fromisoformat(data["created_at"]).tzinfo is not None
    for name in (
        "full_name",
        "phone",
        "email",
        "preferred_times",
        "preferred_times_normalized",
        "reason",
        "patient_status",
        "consent",
        "details",
        "conversation_id",
    ):
        assert data[name] == getattr(REQUEST, name), name
    assert "submission_key" not in data


def test_email_reaches_staff_with_the_callback_details(
    open_store: Callable[..., BookingStore], config: NotifyConfig, smtp_sink: SmtpSink
) -> None:
    smtp_sink.start()
    store = open_store(("email",))
    reference = store.submit(REQUEST).reference
    deliver_due(store, config, now())
    [(mail_from, recipients, message)] = smtp_sink.messages
    assert mail_from == "assistant@clinic.example"
    assert recipients == list(STAFF)
    assert message["Subject"] == f"Booking request {reference}"
    assert message["X-Idempotency-Key"] == f"{reference}:email"
    assert message["Message-ID"] == f"<{reference}.email@clinic.example>"
    text = message.get_payload(decode=True).decode()
    for value in ("Jane Roe", "+15550100199", "jane.roe@example.org", "Tuesday morning"):
        assert value in text


def test_no_email_in_clear_text_unless_starttls_is_turned_off(
    open_store: Callable[..., BookingStore], env: dict[str, str], smtp_sink: SmtpSink
) -> None:
    """The test sink offers no STARTTLS: by default nothing may be sent to it."""
    smtp_sink.start()
    store = open_store(("email",))
    store.submit(REQUEST)
    settings = {k: v for k, v in env.items() if k != "SMTP_STARTTLS"}
    deliver_due(store, NotifyConfig.from_env(settings), now())
    assert smtp_sink.messages == []


@pytest.mark.parametrize("channel", ["email", "webhook"])
def test_a_receiver_down_at_first_gets_the_notification_once_it_is_up(
    channel: str,
    open_store: Callable[..., BookingStore],
    config: NotifyConfig,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
) -> None:
    sink: HttpSink | SmtpSink = smtp_sink if channel == "email" else http_sink
    store = open_store((channel,))
    store.submit(REQUEST)
    start = now()
    assert deliver_due(store, config, start).failed == 1
    [entry] = store.list_requests()
    [note] = entry["notifications"]
    assert (note["state"], note["attempts"]) == ("pending", 1)
    assert note["last_error"]
    assert deliver_due(store, config, start + timedelta(seconds=1)).claimed == 0, "backoff"
    assert deliver_due(store, config, start + timedelta(seconds=5)).failed == 1
    sink.start()
    assert deliver_due(store, config, start + timedelta(seconds=5)).claimed == 0, "backoff"
    assert deliver_due(store, config, start + timedelta(seconds=20)).delivered == 1
    assert deliver_due(store, config, start + timedelta(days=1)).claimed == 0
    delivered = smtp_sink.messages if channel == "email" else http_sink.received
    assert len(delivered) == 1
    assert states(store) == [(channel, "delivered", 3)]


def test_non_2xx_and_redirects_are_failures(
    open_store: Callable[..., BookingStore], config: NotifyConfig, http_sink: HttpSink
) -> None:
    http_sink.start()
    store = open_store(("webhook",))
    store.submit(REQUEST)
    start = now()
    http_sink.status = 503
    assert deliver_due(store, config, start).failed == 1
    assert store.list_requests()[0]["notifications"][0]["last_error"] == "webhook answered HTTP 503"
    http_sink.status, http_sink.location = 302, http_sink.url + "/moved"
    assert deliver_due(store, config, start + timedelta(seconds=10)).failed == 1
    assert store.list_requests()[0]["notifications"][0]["last_error"] == "webhook answered HTTP 302"
    assert all(body != b"GET" for _, body in http_sink.received), "redirect not followed"
    http_sink.status, http_sink.location = 204, ""
    assert deliver_due(store, config, start + timedelta(seconds=60)).delivered == 1
    assert states(store) == [("webhook", "delivered", 3)]


def test_a_restarted_worker_keeps_the_retry_state_and_does_not_redeliver(
    open_store: Callable[..., BookingStore],
    config: NotifyConfig,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
) -> None:
    submitter = open_store()
    submitter.submit(REQUEST)
    start = now()
    first_worker = open_store()
    assert deliver_due(first_worker, config, start).failed == 2
    first_worker.dispose()

    http_sink.start()
    smtp_sink.start()
    second_worker = open_store()
    assert deliver_due(second_worker, config, start + timedelta(seconds=1)).claimed == 0
    assert deliver_due(second_worker, config, start + timedelta(seconds=10)).delivered == 2
    second_worker.dispose()

    third_worker = open_store()
    for later in (timedelta(minutes=6), timedelta(hours=2), timedelta(days=7)):
        assert deliver_due(third_worker, config, start + later).claimed == 0
    assert len(http_sink.received) == 1
    assert len(smtp_sink.messages) == 1
    assert states(third_worker) == [("email", "delivered", 2), ("webhook", "delivered", 2)]


def test_a_crash_between_send_and_mark_resends_with_the_same_key(
    open_store: Callable[..., BookingStore], config: NotifyConfig, http_sink: HttpSink
) -> None:
    http_sink.start()
    store = open_store(("webhook",))
    store.submit(REQUEST)
    start = now()
    crashed = open_store(("webhook",))
    [item] = crashed.claim_due(start, 10)
    send_webhook(item, config)  # sent, then the worker dies before mark_delivered
    crashed.dispose()

    restarted = open_store(("webhook",))
    assert deliver_due(restarted, config, start + timedelta(minutes=1)).claimed == 0, "leased"
    assert deliver_due(restarted, config, start + timedelta(minutes=5)).delivered == 1
    assert deliver_due(restarted, config, start + timedelta(days=1)).claimed == 0
    [(first_headers, first_body), (second_headers, second_body)] = http_sink.received
    assert first_headers[IDEMPOTENCY_HEADER] == second_headers[IDEMPOTENCY_HEADER]
    assert first_body == second_body
    assert len({data["idempotency_key"] for data in http_sink.payloads()}) == 1


def test_info_logs_name_no_personal_data(
    open_store: Callable[..., BookingStore],
    config: NotifyConfig,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store()
    reference = store.submit(REQUEST).reference
    store.submit(REQUEST)
    start = now()
    deliver_due(store, config, start)  # both fail: nothing listens yet
    http_sink.start()
    smtp_sink.start()
    deliver_due(store, config, start + timedelta(minutes=1))
    ours = [
        record
        for record in caplog.records
        if record.name.startswith("clinic_office") and record.levelno >= logging.INFO
    ]
    messages = [record.getMessage() for record in ours]
    assert any("delivered" in text and reference in text for text in messages)
    assert any("failed" in text and reference in text for text in messages)
    for text in messages:
        for value in PERSONAL:
            assert value not in text, (value, text)


def test_settings_from_the_environment(env: dict[str, str]) -> None:
    config = NotifyConfig.from_env(env | {"SMTP_USER": "bot", "SMTP_PASSWORD": "pw-123"})
    assert config.channels == ("email", "webhook")
    assert config.email_to == STAFF
    assert config.smtp_port == int(env["SMTP_PORT"])
    assert config.smtp_starttls is False
    assert config.timeout == 3
    assert "pw-123" not in repr(config)
    assert SECRET not in repr(config)
    assert NotifyConfig.from_env({}).channels == ()
    assert NotifyConfig.from_env({"SMTP_STARTTLS": "yes"}).smtp_starttls
    # STARTTLS unless explicitly disabled
    assert NotifyConfig.from_env({}).smtp_starttls
    assert not NotifyConfig.from_env({"SMTP_STARTTLS": "false"}).smtp_starttls


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"NOTIFY_CHANNELS": "email,sms"}, "unknown channel"),
        ({"SMTP_HOST": ""}, "SMTP_HOST"),
        ({"SMTP_FROM": "not an address"}, "SMTP_FROM"),
        ({"NOTIFY_EMAIL_TO": ""}, "NOTIFY_EMAIL_TO"),
        ({"SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"SMTP_USER": "bot"}, "SMTP_PASSWORD"),
        ({"NOTIFY_WEBHOOK_URL": "ftp://x/y"}, "NOTIFY_WEBHOOK_URL"),
        ({"NOTIFY_WEBHOOK_URL": ""}, "NOTIFY_WEBHOOK_URL"),
        ({"NOTIFY_TIMEOUT": "-1"}, "NOTIFY_TIMEOUT"),
    ],
)
def test_wrong_settings_are_named(
    env: dict[str, str], changes: dict[str, str], problem: str
) -> None:
    with pytest.raises(NotifyConfigError, match=problem):
        NotifyConfig.from_env(env | changes)


def test_payload_is_json_serialisable(open_store: Callable[..., BookingStore]) -> None:
    store = open_store(("webhook",))
    store.submit(REQUEST)
    [item] = store.claim_due(now(), 1)
    assert json.loads(json.dumps(payload(item)))["idempotency_key"] == item.idempotency_key


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_worker_process_delivers_and_stops_cleanly_on_sigterm(
    db_url: str,
    env: dict[str, str],
    open_store: Callable[..., BookingStore],
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
) -> None:
    http_sink.start()
    smtp_sink.start()
    reference = open_store().submit(REQUEST).reference
    process_env = os.environ | env | {"BOOKING_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "clinic_office.notifier", "--interval", "0.2"]
    worker = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        delivered = wait_for(lambda: len(http_sink.received) + len(smtp_sink.messages) >= 2)
        time.sleep(0.5)  # a poll or two more: nothing may be sent again
    finally:
        worker.send_signal(signal.SIGTERM)
        _, logs = worker.communicate(timeout=30)
    assert delivered, logs
    assert worker.returncode == 0, logs
    assert "notifier stopped" in logs
    assert f"notification delivered ref={reference} channel=webhook attempt=1" in logs
    assert f"notification delivered ref={reference} channel=email attempt=1" in logs
    for value in PERSONAL:
        assert value not in logs

    once = subprocess.run(
        [*command, "--once"], cwd=REPO_ROOT, env=process_env, capture_output=True, text=True
    )
    assert once.returncode == 0, once.stderr
    assert len(http_sink.received) == 1
    assert len(smtp_sink.messages) == 1


def test_the_bookings_script_prints_json_lines(
    db_url: str, open_store: Callable[..., BookingStore]
) -> None:
    store = open_store()
    first = store.submit(REQUEST).reference
    second = store.submit(BookingRequest(**{**REQUEST.__dict__, "submission_key": "k2"})).reference
    listing = subprocess.run(
        [sys.executable, "-m", "scripts.bookings"],
        cwd=REPO_ROOT,
        env=os.environ | {"BOOKING_DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [row["reference"] for row in rows] == [first, second]
    assert rows[0]["notifications"][0]["state"] == "pending"
