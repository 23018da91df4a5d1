"""The widget channel: signed tokens, rate limits, history, and 👍/👎 feedback on answers."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.buttons import last_buttons, payload_for
from channels.limits import RateLimiter, RedisRateLimiter, TokenSigner, client_address
from channels.widget import (
    RATE_LIMIT_REDIS_ENV,
    AnswerCollector,
    WidgetInput,
    _bot_message,
    answer_id,
    answer_topic,
    history_of,
    rated_answer,
    unanswered_entry,
)
from clinic_office.inbox import InboxEntry, InboxStore, InboxWriter, TopicCounts

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


# --- 👍 / 👎 on FAQ answers, and the inbox ------------------------------------------------

SECRET = b"0123456789abcdef0123456789abcdef"
ASKED_AT = 1_700_000_000.0
ANSWERED_AT = 1_700_000_001.25
ANSWER_ID = "1700000001.250000"


def faq_asked(text: str, topic: str = "session_length", **extra: Any) -> UserUttered:
    parse = {
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": [],
        "decision": {"intent": "faq", "confidence": 0.9, "faq_topic": topic},
        **extra,
    }
    return UserUttered(text, parse_data=parse, timestamp=ASKED_AT)


def unclear_asked(text: str) -> UserUttered:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "entities": [],
        "decision": {"intent": "nlu_fallback", "candidates": ["faq/session_length"]},
    }
    return UserUttered(text, parse_data=parse, timestamp=ASKED_AT - 10)


def answered(topic: str = "session_length", at: float = ANSWERED_AT) -> list[Event]:
    return [
        ActionExecuted("action_answer_faq", timestamp=at),
        BotUttered(
            "Sessions last 30 to 60 minutes.",
            metadata={"utter_action": f"utter_faq/{topic}"},
            timestamp=at,
        ),
    ]


def as_dicts(events: list[Event]) -> list[dict[str, Any]]:
    return [event.as_dict() for event in events]


def test_answer_ids_name_the_time_of_the_answer() -> None:
    assert answer_id(ANSWERED_AT) == ANSWER_ID
    assert answer_id(None) is None and answer_id(True) is None and answer_id(-1) is None
    assert answer_topic("utter_faq/session_length") == "session_length"
    assert answer_topic("utter_ask_booking_name") is None
    assert answer_topic("utter_faq/../x") is None


async def test_only_the_last_part_of_an_faq_answer_gets_feedback() -> None:
    collector = AnswerCollector()
    await collector.send_response(
        "c1",
        {
            "text": "First part.\n\nSecond part.",
            "utter_action": "utter_faq/aftercare",
            "timestamp": ANSWERED_AT,
        },
    )
    await collector.send_response(
        "c1", {"text": "Your name?", "utter_action": "utter_ask_booking_name", "timestamp": 5.0}
    )
    await collector.send_response(
        "c1",
        {
            "text": "Did you mean?",
            "buttons": [{"title": "Aftercare", "payload": "/faq"}],
            "utter_action": "utter_clarify",
            "timestamp": 6.0,
        },
    )
    await collector.send_response("c1", {"text": "No response name", "timestamp": 7.0})
    assert [_bot_message(m) for m in collector.messages] == [
        {"text": "First part."},
        {"text": "Second part.", "feedback": ANSWER_ID},
        {"text": "Your name?"},
        {"text": "Did you mean?", "buttons": [{"title": "Aftercare", "payload": "/faq"}]},
        {"text": "No response name"},
    ]


def test_history_marks_faq_answers_for_feedback() -> None:
    events = as_dicts([faq_asked("how long?"), *answered()])
    assert history_of(events) == [
        {"sender": "user", "text": "how long?"},
        {"sender": "bot", "text": "Sessions last 30 to 60 minutes.", "feedback": ANSWER_ID},
    ]


@pytest.mark.parametrize(
    ("events", "question"),
    [
        # the question just before the answer, scrubbed when stored
        ([faq_asked("how long? I'm Sam")], "how long? I'm Sam"),
        # a "did you mean" button: the question it clarified
        (
            [
                unclear_asked("how long then"),
                ActionExecuted("action_clarify"),
                UserUttered(
                    '/faq{"faq_topic":"session_length"}', parse_data={"intent": {"name": "faq"}}
                ),
            ],
            "how long then",
        ),
        # asked inside the booking form: the answer is counted, the question not kept
        ([ActiveLoop("booking_form"), faq_asked("how long?")], None),
        # the form stopped before the question: kept
        ([ActiveLoop("booking_form"), ActiveLoop(None), faq_asked("how long?")], "how long?"),
        # answered after "no" to the red-flag question: not kept
        (
            [
                UserUttered(
                    "numb legs, how long?", parse_data={"intent": {"name": "urgent_symptoms"}}
                ),
                UserUttered("no", parse_data={"intent": {"name": "deny"}}),
            ],
            None,
        ),
        # red-flag talk ruled out: not kept either
        ([faq_asked("no fever; how long?", triage="ruled_out")], None),
        # a button not after a clarifying question
        ([UserUttered("/faq", parse_data={"intent": {"name": "faq"}})], None),
    ],
)
def test_a_rated_answer_knows_its_topic_and_the_question_before_it(
    events: list[Event], question: str | None
) -> None:
    rated = rated_answer(as_dicts([*events, *answered()]), ANSWER_ID)
    assert rated is not None
    assert rated.topic == "session_length"
    assert (rated.entry.question if rated.entry else None) == question
    if rated.entry is not None:
        assert rated.entry.kind == "thumbs_down"
        assert rated.entry.answered_topic == "session_length"


def test_only_an_faq_answer_of_this_conversation_can_be_rated() -> None:
    events = as_dicts([faq_asked("how long?"), *answered()])
    assert rated_answer(events, "1700000009.000000") is None
    other = as_dicts(
        [
            faq_asked("hi"),
            BotUttered("Hello", metadata={"utter_action": "utter_greet"}, timestamp=ANSWERED_AT),
        ]
    )
    assert rated_answer(other, ANSWER_ID) is None


@pytest.mark.parametrize(
    ("events", "kind"),
    [
        (
            [
                UserUttered(
                    "what's the weather, I'm Sam", parse_data={"intent": {"name": "out_of_scope"}}
                ),
                ActionExecuted("utter_out_of_scope"),
            ],
            "off_topic",
        ),
        (
            [
                UserUttered("blorp", parse_data={"intent": {"name": "deny"}}),
                ActionExecuted("action_default_fallback"),
            ],
            "fallback",
        ),
        # the actions note their own: nothing more here
        ([unclear_asked("how long"), ActionExecuted("action_clarify")], None),
        # inside a form: never
        (
            [
                ActiveLoop("booking_form"),
                UserUttered("Tuesday", parse_data={"intent": {"name": "out_of_scope"}}),
                ActionExecuted("utter_out_of_scope"),
            ],
            None,
        ),
        # an earlier turn's off-topic reply does not count for this message
        (
            [
                UserUttered("weather?", parse_data={"intent": {"name": "out_of_scope"}}),
                ActionExecuted("utter_out_of_scope"),
                UserUttered("hello", parse_data={"intent": {"name": "greet"}}),
                ActionExecuted("utter_greet"),
            ],
            None,
        ),
    ],
)
def test_off_topic_and_rasas_fallback_are_noted_by_the_channel(
    events: list[Event], kind: str | None
) -> None:
    entry = unanswered_entry(as_dicts(events))
    assert (entry.kind if entry else None) == kind


class Site:
    """The widget channel's routes on an in-memory tracker store, with the inbox in SQLite."""

    def __init__(self, tmp_path: Path, inbox_url: str | None = None, **options: Any) -> None:
        self.url = inbox_url or f"sqlite:///{tmp_path / 'inbox.db'}"
        self.channel = WidgetInput(
            allowed_origins=["https://clinic.example"],
            max_message_length=1000,
            secret=SECRET,
            inbox=InboxWriter(self.url),
            **options,
        )
        self.store = InMemoryTrackerStore(Domain.empty())
        self.replies: list[dict[str, Any]] = []
        self.reply_events: list[Event] = []

        async def on_new_message(message: Any) -> None:
            tracker = await self.store.get_or_create_tracker(message.sender_id)
            tracker.update(
                UserUttered(message.text, parse_data={"intent": {"name": "out_of_scope"}})
            )
            for event in self.reply_events:
                tracker.update(event)
            await self.store.save(tracker)
            for reply in self.replies:
                await message.output_channel.send_response(message.sender_id, dict(reply))

        self.routes = {
            r.uri: r.handler for r in self.channel.blueprint(on_new_message)._future_routes
        }

    def post(self, path: str, body: object, origin: str | None = None) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = SimpleNamespace(
            method="POST",
            ip="203.0.113.9",
            headers={"origin": origin} if origin else {},
            body=raw,
            app=SimpleNamespace(
                ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=self.store))
            ),
        )
        return asyncio.run(self.routes[path](request))

    def conversation(self, events: list[Event]) -> str:
        conversation_id, token = self.channel.signer.issue()
        tracker = DialogueStateTracker(conversation_id, [])
        for event in events:
            tracker.update(event)
        asyncio.run(self.store.save(tracker))
        return token

    def inbox(self) -> tuple[list[InboxEntry], dict[str, TopicCounts]]:
        store = InboxStore(self.url)
        store.create_schema()
        try:
            since = datetime.now(timezone.utc) - timedelta(days=1)
            return store.open_entries(20), store.counts_by_topic(since)
        finally:
            store.dispose()


def test_feedback_needs_a_valid_token(tmp_path: Path) -> None:
    site = Site(tmp_path)
    answer = site.post("/feedback", {"token": "forged.abc.def", "id": ANSWER_ID, "helpful": False})
    assert answer.status == 401
    assert json.loads(answer.body)["error"] == "token"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b"{" * 5000,
        {"id": ANSWER_ID, "helpful": "no"},
        {"id": ANSWER_ID, "helpful": 0},
        {"id": ANSWER_ID},
        {"helpful": False},
        {"id": 1700000001.25, "helpful": False},
        {"id": "1700000001.25", "helpful": False},
        {"id": ["x"], "helpful": False},
        {"id": "x" * 5000, "helpful": True},
    ],
)
def test_malformed_feedback_is_a_kind_400(tmp_path: Path, body: object) -> None:
    site = Site(tmp_path)
    token = site.conversation([faq_asked("how long?"), *answered()])
    if isinstance(body, dict):
        body = {"token": token, **body}
    else:
        assert isinstance(body, bytes)
    answer = site.post("/feedback", body)
    if not isinstance(body, dict):
        assert answer.status == 401  # no token to be read in it: refused first
        return
    assert answer.status == 400
    error = json.loads(answer.body)
    assert error["error"] == "invalid" and error["message"]


def test_feedback_on_an_answer_not_in_the_conversation_is_a_400(tmp_path: Path) -> None:
    site = Site(tmp_path)
    token = site.conversation([faq_asked("how long?"), *answered()])
    answer = site.post("/feedback", {"token": token, "id": "1700000099.000000", "helpful": False})
    assert answer.status == 400
    assert json.loads(answer.body)["error"] == "unknown"
    assert site.inbox() == ([], {})


def test_a_thumbs_down_puts_the_scrubbed_question_in_the_inbox(tmp_path: Path) -> None:
    site = Site(tmp_path)
    question = "how long is a session? I'm Sam Jones, 07700 900123, sam@example.org"
    token = site.conversation([faq_asked(question), *answered()])
    answer = site.post(
        "/feedback", {"token": token, "id": ANSWER_ID, "helpful": False}, "https://clinic.example"
    )
    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    # the same rating again is counted once
    assert site.post("/feedback", {"token": token, "id": ANSWER_ID, "helpful": False}).status == 204
    [entry], counts = site.inbox()
    assert entry.kind == "thumbs_down"
    assert entry.question == "how long is a session? I'm [name], [phone], [email]"
    assert (entry.answered_topic, entry.topic_guess, entry.confidence) == (
        "session_length",
        "session_length",
        0.9,
    )
    assert counts == {"session_length": TopicCounts(not_helpful=1)}


def test_a_thumbs_up_only_counts(tmp_path: Path) -> None:
    site = Site(tmp_path)
    token = site.conversation([faq_asked("how long?"), *answered()])
    assert site.post("/feedback", {"token": token, "id": ANSWER_ID, "helpful": True}).status == 204
    assert site.inbox() == ([], {"session_length": TopicCounts(helpful=1)})


def test_a_thumbs_down_inside_the_form_keeps_no_text(tmp_path: Path) -> None:
    site = Site(tmp_path)
    token = site.conversation([ActiveLoop("booking_form"), faq_asked("how long?"), *answered()])
    assert site.post("/feedback", {"token": token, "id": ANSWER_ID, "helpful": False}).status == 204
    assert site.inbox() == ([], {"session_length": TopicCounts(not_helpful=1)})


def test_feedback_from_another_site_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path)
    token = site.conversation([faq_asked("how long?"), *answered()])
    body = {"token": token, "id": ANSWER_ID, "helpful": False}
    assert site.post("/feedback", body, "https://evil.example").status == 403
    assert site.inbox() == ([], {})


def test_feedback_is_rate_limited(tmp_path: Path) -> None:
    refuse = Refuse()
    site = Site(tmp_path, limiters={"conversation": refuse})
    token = site.conversation([faq_asked("how long?"), *answered()])
    answer = site.post("/feedback", {"token": token, "id": ANSWER_ID, "helpful": False})
    assert answer.status == 429
    assert len(refuse.keys) == 1
    assert site.inbox() == ([], {})


def test_feedback_with_the_inbox_down_still_thanks_the_visitor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = Site(tmp_path, inbox_url="postgresql://clinic@127.0.0.1:1/inbox")
    token = site.conversation([faq_asked("how long? Secretname here"), *answered()])
    answer = site.post("/feedback", {"token": token, "id": ANSWER_ID, "helpful": False})
    assert answer.status == 204
    assert "Secretname" not in caplog.text


def test_an_off_topic_question_goes_to_the_inbox_and_the_answer_is_sent(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.replies = [
        {
            "text": "Sorry, that's outside what I can help with.",
            "utter_action": "utter_out_of_scope",
        }
    ]
    site.reply_events = [ActionExecuted("utter_out_of_scope")]
    _, token = site.channel.signer.issue()
    answer = site.post("/message", {"token": token, "text": "what's the weather in SW1A 1AA"})
    assert answer.status == 200
    assert json.loads(answer.body) == {
        "messages": [{"text": "Sorry, that's outside what I can help with."}]
    }
    [entry], _ = site.inbox()
    assert (entry.kind, entry.question) == ("off_topic", "what's the weather in [postcode]")


def test_the_inbox_down_never_stops_a_message(tmp_path: Path) -> None:
    site = Site(tmp_path, inbox_url="postgresql://clinic@127.0.0.1:1/inbox")
    site.replies = [{"text": "Sorry.", "utter_action": "utter_out_of_scope"}]
    site.reply_events = [ActionExecuted("utter_out_of_scope")]
    _, token = site.channel.signer.issue()
    answer = site.post("/message", {"token": token, "text": "weather?"})
    assert answer.status == 200
    assert json.loads(answer.body) == {"messages": [{"text": "Sorry."}]}
