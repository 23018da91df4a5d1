"""The widget channel's pure parts: signed tokens, rate limits, history."""

from __future__ import annotations

import pytest

from channels.limits import RateLimiter, TokenSigner
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
    ]
    assert history_of(events) == [
        {"sender": "user", "text": "hi"},
        {"sender": "bot", "text": "Hello!", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"sender": "bot", "text": "Great."},
    ]
