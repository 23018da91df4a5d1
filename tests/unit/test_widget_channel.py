"""The widget channel's pure parts: signed tokens, rate limits, history."""

from __future__ import annotations

import pytest

from channels.buttons import last_buttons, payload_for
from channels.limits import RateLimiter, TokenSigner, client_address
from channels.widget import history_of

SIGNER = TokenSigner(b"0123456789abcdef0123456789abcdef")


def test_issued_token_verifies_to_its_conversation() -> None:
    conversation_id, token = SIGNER.issue()
    assert SIGNER.verify(token) == conversation_id
    assert len(conversation_id) >= 20


def test_ids_are_random() -> None:
    assert len({SIGNER.issue()[0] for _ in range(100)}) == 100


@pytest.mark.parametrize(
    "token",
    [None, "", "abc", "abc.def", "a.b.c", 42, "x" * 500],
)
def test_bad_tokens_are_refused(token: object) -> None:
    assert SIGNER.verify(token) is None


def test_token_from_another_secret_is_refused() -> None:
    _, token = TokenSigner(b"another-secret-of-enough-length!").issue()
    assert SIGNER.verify(token) is None


def test_tampered_id_is_refused() -> None:
    _, token = SIGNER.issue()
    assert SIGNER.verify("x" + token) is None


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenSigner(b"short")


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")
    assert limiter.allow("b")
    now[0] = 61.0
    assert limiter.allow("a")


def test_history_shows_texts_and_buttons_not_payloads() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hi"},
        {
            "event": "bot",
            "text": "Hello!",
            "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]},
        },
        {"event": "user", "text": "/affirm"},
        {"event": "bot", "text": "Great."},
        {"event": "user", "text": "/deny"},  # no button sent it (typed by hand): not shown
    ]
    assert history_of(events) == [
        {"sender": "user", "text": "hi"},
        {"sender": "bot", "text": "Hello!", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"sender": "user", "text": "Yes"},  # a clicked button shows as its title
        {"sender": "bot", "text": "Great."},
    ]


@pytest.mark.parametrize(
    ("typed", "payload"),
    [
        ("I've been before", '/affirm{"patient_status": "returning"}'),
        ("i’ve been before", '/affirm{"patient_status": "returning"}'),
        ("  IVE BEEN BEFORE!  ", '/affirm{"patient_status": "returning"}'),
        ("I'm new", '/affirm{"patient_status": "new"}'),
        ("I've been before, twice", None),
        ("new", None),
        ("", None),
    ],
)
def test_a_typed_button_title_counts_as_pressing_the_button(
    typed: str, payload: str | None
) -> None:
    events = [
        {"event": "user", "text": "book"},
        {
            "event": "bot",
            "text": "Have you been to the clinic before?",
            "data": {
                "buttons": [
                    {"title": "I'm new", "payload": '/affirm{"patient_status": "new"}'},
                    {
                        "title": "I've been before",
                        "payload": '/affirm{"patient_status": "returning"}',
                    },
                ]
            },
        },
    ]
    assert payload_for(typed, last_buttons(events)) == payload


def test_only_the_last_messages_buttons_count() -> None:
    events = [
        {
            "event": "bot",
            "text": "?",
            "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]},
        },
        {"event": "user", "text": "yes"},
        {"event": "bot", "text": "Thanks."},
    ]
    assert last_buttons(events) == []


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        # no trusted proxy: the header is ignored, whatever it says
        ("203.0.113.9", "198.51.100.1", frozenset(), "203.0.113.9"),
        ("203.0.113.9", "", frozenset(), "203.0.113.9"),
        # behind the gateway: the address it appended
        ("10.0.0.2", "198.51.100.7", frozenset({"10.0.0.2"}), "198.51.100.7"),
        # a client's own forged entries before it are not believed
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", frozenset({"10.0.0.2"}), "198.51.100.7"),
        # two trusted hops
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", frozenset({"10.0.0.2", "10.0.0.3"}), "198.51.100.7"),
        # a trusted proxy that sent no header: itself
        ("10.0.0.2", "", frozenset({"10.0.0.2"}), "10.0.0.2"),
        # an untrusted peer claiming to forward: its own address
        ("198.51.100.8", "10.0.0.2", frozenset({"10.0.0.2"}), "198.51.100.8"),
    ],
)
def test_the_rate_limit_counts_the_real_client(
    peer: str, forwarded: str, trusted: frozenset[str], client: str
) -> None:
    assert client_address(peer, forwarded, trusted) == client
