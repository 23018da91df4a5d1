"""The widget channel's pure parts: signed tokens, rate limits, history."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.buttons import last_buttons, payload_for
from channels.limits import RateLimiter, RedisRateLimiter, TokenSigner, client_address
from channels.widget import RATE_LIMIT_REDIS_ENV, WidgetInput, history_of

SIGNER = TokenSigner(b"0123456789abcdef0123456789abcdef")


def test_issued_token_verifies_to_its_conversation() -> None:
    conversation_id, token = SIGNER.issue()
    assert SIGNER.verify(token) == conversation_id
    assert len(conversation_id) >= 20


def test_ids_are_random() -> None:
    assert len({SIGNER.issue()[0] for _ in range(100)}) == 100


@pytest.mark.parametrize(
    "token",
    [None, "", "abc", "abc.def", "a.b.c", "a.b.c.d", 42, "x" * 500],
)
def test_bad_tokens_are_refused(token: object) -> None:
    assert SIGNER.verify(token) is None


def test_token_from_another_secret_is_refused() -> None:
    _, token = TokenSigner(b"another-secret-of-enough-length!").issue()
    assert SIGNER.verify(token) is None


def test_tampered_id_is_refused() -> None:
    _, token = SIGNER.issue()
    assert SIGNER.verify("x" + token) is None


def test_a_token_says_when_it_was_issued_and_that_cannot_be_changed() -> None:
    signer = TokenSigner(b"0123456789abcdef0123456789abcdef", clock=lambda: 1_700_000_000.5)
    conversation_id, token = signer.issue()
    assert signer.check(token) == (conversation_id, 1_700_000_000.0)
    identity, issued, signature = token.split(".")
    later = int(issued, 36) + 3600
    forged = f"{identity}.{later:x}.{signature}"  # another time under the same signature
    assert signer.check(forged) is None
    assert signer.check(f"{identity}.{signature}") is None  # the old two-part format


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenSigner(b"short")


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])

    def allow(key: str) -> bool:
        return asyncio.run(limiter.allow(key))

    assert allow("a") and allow("a")
    assert not allow("a")
    assert allow("b")
    now[0] = 61.0
    assert allow("a")


class Refuse:
    """A limiter that refuses everything and remembers what it was asked."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def allow(self, key: str) -> bool:
        self.keys.append(key)
        return False


def test_injected_limiters_are_used_by_the_routes() -> None:
    refuse = Refuse()
    channel = WidgetInput(
        allowed_origins=[],
        max_message_length=1000,
        secret=b"0123456789abcdef0123456789abcdef",
        limiters={"session": refuse},
    )
    assert channel.session_limit is refuse
    assert isinstance(channel.client_limit, RateLimiter)
    assert isinstance(channel.conversation_limit, RateLimiter)

    async def on_new_message(message: Any) -> None:
        raise AssertionError("no message expected")

    # the blueprint's routes before they are registered on an app (Sanic 21.12)
    routes = {r.uri: r.handler for r in channel.blueprint(on_new_message)._future_routes}
    request = SimpleNamespace(method="POST", ip="203.0.113.9", headers={})
    answer = asyncio.run(routes["/session"](request))
    assert answer.status == 429
    assert refuse.keys == ["203.0.113.9"]


def test_unknown_limiter_names_are_refused() -> None:
    with pytest.raises(ValueError):
        WidgetInput([], 1000, b"0123456789abcdef0123456789abcdef", limiters={"chat": Refuse()})


def test_the_rate_limits_are_in_redis_when_a_redis_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(RATE_LIMIT_REDIS_ENV, raising=False)
    local = WidgetInput.from_credentials({"secret": "0123456789abcdef"})
    assert isinstance(local, WidgetInput)
    assert isinstance(local.session_limit, RateLimiter)

    # no connection is made until a limit is counted
    shared = WidgetInput.from_credentials(
        {"secret": "0123456789abcdef", "rate_limit_redis_url": "redis://127.0.0.1:6379/15"}
    )
    assert isinstance(shared, WidgetInput)
    limits = (shared.conversation_limit, shared.client_limit, shared.session_limit)
    assert all(isinstance(limit, RedisRateLimiter) for limit in limits)
    names = [limit.name for limit in limits if isinstance(limit, RedisRateLimiter)]
    assert names == ["conversation", "client", "session"]

    monkeypatch.setenv(RATE_LIMIT_REDIS_ENV, "redis://127.0.0.1:6379/15")
    from_env = WidgetInput.from_credentials({"secret": "0123456789abcdef"})
    assert isinstance(from_env, WidgetInput)
    assert isinstance(from_env.client_limit, RedisRateLimiter)


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


HOUR = 3600.0


def widget(now: list[float]) -> WidgetInput:
    """A widget channel whose tokens expire after an hour idle, on a settable clock."""
    return WidgetInput(
        allowed_origins=[],
        max_message_length=1000,
        secret=b"0123456789abcdef0123456789abcdef",
        idle_seconds=HOUR,
        clock=lambda: now[0],
    )


def said_at(conversation_id: str, moment: float) -> DialogueStateTracker:
    tracker = DialogueStateTracker(conversation_id, [])
    tracker.update(UserUttered("hello", timestamp=moment))
    return tracker


def test_a_token_expires_after_an_idle_hour_and_activity_keeps_it_alive() -> None:
    now = [1_000_000.0]
    channel = widget(now)
    store = InMemoryTrackerStore(Domain.empty())
    conversation_id, token = channel.signer.issue()

    def valid() -> bool:
        return asyncio.run(channel.conversation(token, store)) == conversation_id

    now[0] += HOUR - 1
    assert valid()  # never used, but not an hour old yet
    now[0] += 2
    assert not valid()  # never used for an hour
    asyncio.run(store.save(said_at(conversation_id, now[0] - 60)))
    assert valid()  # the conversation spoke a minute ago
    now[0] += 3 * HOUR
    assert not valid()  # and then fell silent for three hours


def test_a_forgotten_conversations_token_is_refused() -> None:
    now = [1_000_000.0]
    channel = widget(now)
    store = InMemoryTrackerStore(Domain.empty())
    conversation_id, token = channel.signer.issue()
    channel.forgotten.add(conversation_id)
    assert asyncio.run(channel.conversation(token, store)) is None
