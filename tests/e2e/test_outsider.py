"""The servers tried the way an outsider on the network would (issue 8)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from typing import Any
from uuid import uuid4

import pytest
import requests

from tests.e2e.conftest import Servers
from tests.e2e.test_booking import requests_in
from tests.e2e.test_conversation import say

TIMEOUT = 30
MARKER = "Forged Person 7f3a"


def forged_booking_call() -> dict[str, Any]:
    """A hand-written call asking the action server to file a booking request."""
    slots = {
        "patient_name": MARKER,
        "patient_phone": "+44 7700 900123",
        "patient_email": "forged@example.com",
        "visit_reason": "sciatica",
        "patient_status": "new",
        "preferred_times": "Monday morning",
        "consent": True,
    }
    return {
        "next_action": "action_submit_booking",
        "sender_id": "outsider",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "outsider",
            "slots": slots,
            "latest_message": {"text": "book", "intent": {"name": "affirm"}, "entities": []},
            "events": [],
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.mark.parametrize("headers", [{}, {"X-Action-Secret": "guessed-" + "x" * 40}])
def test_a_forged_call_is_refused_and_files_nothing(
    servers: Servers, headers: dict[str, str]
) -> None:
    before = len(requests_in(servers))
    reply = requests.post(
        f"{servers.actions}/webhook", json=forged_booking_call(), headers=headers, timeout=TIMEOUT
    )
    assert reply.status_code == 401
    assert MARKER not in reply.text
    assert len(requests_in(servers)) == before
    listing = requests.get(f"{servers.actions}/actions", headers=headers, timeout=TIMEOUT)
    assert listing.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"not json " + MARKER.encode(),
        json.dumps({"next_action": "action_submit_booking", "note": MARKER}).encode(),
        json.dumps({"tracker": {"slots": {"patient_name": MARKER}}}).encode(),
    ],
)
def test_errors_never_echo_the_request(servers: Servers, body: bytes) -> None:
    reply = requests.post(
        f"{servers.actions}/webhook",
        data=body,
        headers={
            "X-Action-Secret": servers.env["ACTION_SECRET"],
            "Content-Type": "application/json",
        },
        timeout=TIMEOUT,
    )
    assert reply.status_code < 500
    assert MARKER not in reply.text
    assert "request_body" not in reply.text
    assert requests.get(f"{servers.actions}/health", timeout=TIMEOUT).status_code == 200


def non_loopback_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback."""
    try:
        found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
    except OSError:
        return []
    return [a for a in found.stdout.split() if "." in a and not a.startswith("127.")]


def test_the_action_server_listens_on_loopback_only(servers: Servers) -> None:
    addresses = non_loopback_addresses()
    if not addresses:
        pytest.skip("this machine has no address but loopback")
    for address in addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(3)
            assert probe.connect_ex((address, servers.actions_port)) != 0, address


def test_a_conversation_cannot_be_read_without_a_jwt(servers: Servers) -> None:
    sender = uuid4().hex
    say(servers, "my name is Sam, my phone is 07700 900123", sender)
    url = f"{servers.rasa}/conversations/{sender}/tracker"
    for headers in ({}, servers.api_headers(secret="not-the-server-secret-" + "x" * 20)):
        reply = requests.get(url, headers=headers, timeout=TIMEOUT)
        assert reply.status_code == 401
        assert "07700" not in reply.text
    reply = requests.get(url, headers=servers.api_headers(), timeout=TIMEOUT)
    assert reply.status_code == 200


def test_put_model_is_refused_without_a_jwt(servers: Servers) -> None:
    reply = requests.put(
        f"{servers.rasa}/model", json={"model_file": "/etc/passwd"}, timeout=TIMEOUT
    )
    assert reply.status_code == 401


@pytest.mark.parametrize("token", [None, "guessed-" + "x" * 40])
def test_the_rest_channel_needs_its_token(servers: Servers, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    reply = requests.post(
        f"{servers.rasa}/webhooks/rest/webhook",
        json={"sender": uuid4().hex, "message": "what is dry needling?"},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert reply.status_code == 401
    assert reply.json() == {"error": "unauthorised"}


@pytest.mark.parametrize("path", ["/", "/widget.js", "/no-such-page"])
def test_the_site_sends_security_headers(website: str, path: str) -> None:
    reply = requests.get(f"{website}{path}", timeout=TIMEOUT)
    policy = reply.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "no-referrer"


def test_the_page_has_no_inline_script(website: str) -> None:
    page = requests.get(website, timeout=TIMEOUT).text
    tags = re.findall(r"<script\b[^>]*>", page, flags=re.IGNORECASE)
    assert tags, "the widget is embedded"
    assert all(re.search(r"\bsrc=", tag) for tag in tags)
    assert not re.search(r"\son[a-z]+=", page, flags=re.IGNORECASE)
