"""End to end: the widget's input channel on the real Rasa server, and the demo website."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import Servers

pytestmark = pytest.mark.e2e
ORIGIN = "http://localhost:8080"  # allowed in the test credentials
TIMEOUT = 30.0


def url(servers: Servers, path: str) -> str:
    return f"{servers.rasa}/webhooks/widget/{path}"


def new_token(servers: Servers) -> str:
    reply = requests.post(url(servers, "session"), headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    return str(reply.json()["token"])


def send(servers: Servers, token: str, text: object) -> requests.Response:
    return requests.post(
        url(servers, "message"),
        json={"token": token, "text": text},
        headers={"Origin": ORIGIN},
        timeout=TIMEOUT,
    )


def test_message_gets_the_answer_and_history_keeps_it(servers: Servers) -> None:
    token = new_token(servers)
    reply = send(servers, token, "hello")
    assert reply.status_code == 200
    assert reply.json()["messages"][0]["text"]
    history = requests.post(url(servers, "history"), json={"token": token}, timeout=TIMEOUT)
    # the token in the URL is not accepted
    in_url = requests.get(url(servers, "history"), params={"token": token}, timeout=TIMEOUT)
    assert in_url.status_code in (404, 405)
    assert [m["sender"] for m in history.json()["messages"]] == ["user", "bot"]
    assert history.json()["messages"][0]["text"] == "hello"


@pytest.mark.parametrize(
    ("text", "status", "error"),
    [
        ("", 400, "empty"),
        ("   ", 400, "empty"),
        (None, 400, "empty"),
        ("x" * 10_000, 413, "too_long"),
    ],
)
def test_bad_messages_get_real_error_codes(
    servers: Servers, text: object, status: int, error: str
) -> None:
    reply = send(servers, new_token(servers), text)
    assert reply.status_code == status
    assert reply.json()["error"] == error
    assert reply.json()["message"]


def test_invented_conversation_id_is_refused(servers: Servers) -> None:
    reply = send(servers, "my-own-id.abc", "hello")
    assert reply.status_code == 401


def test_other_origins_are_refused(servers: Servers) -> None:
    reply = requests.post(
        url(servers, "session"), headers={"Origin": "https://evil.example"}, timeout=TIMEOUT
    )
    assert reply.status_code == 403
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_widget_requests_are_cors_simple(servers: Servers) -> None:
    """The widget posts JSON as text/plain: no preflight, the answer allows the site."""
    token = new_token(servers)
    reply = requests.post(
        url(servers, "message"),
        data=f'{{"token": "{token}", "text": "hi"}}',
        headers={"Origin": ORIGIN, "Content-Type": "text/plain;charset=UTF-8"},
        timeout=TIMEOUT,
    )
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_rate_limit_says_slow_down(servers: Servers) -> None:
    token = new_token(servers)
    statuses = [send(servers, token, "hi").status_code for _ in range(22)]
    assert statuses[:20] == [200] * 20
    assert statuses[-1] == 429


def test_forgotten_conversation_is_gone(servers: Servers) -> None:
    token = new_token(servers)
    send(servers, token, "hello")
    reply = requests.post(url(servers, "forget"), json={"token": token}, timeout=TIMEOUT)
    assert reply.status_code == 204
    assert send(servers, token, "hello").status_code == 401
    assert (
        requests.post(url(servers, "history"), json={"token": token}, timeout=TIMEOUT).status_code
        == 401
    )


def test_demo_page_embeds_the_widget_with_one_script_tag(website: str, servers: Servers) -> None:
    page = requests.get(f"{website}/", timeout=TIMEOUT).text
    assert page.count("<script") == 1
    assert 'src="/widget.js"' in page
    assert f'data-server="{servers.rasa}"' in page
    assert "What is Sciatica?" in page
