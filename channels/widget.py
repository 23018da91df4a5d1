"""The website widget's input channel: plain HTTPS + JSON, no socket.io.

Routes (Rasa mounts them under ``/webhooks/widget/``):
- ``POST session``: a new random conversation id, signed by the server (the browser never
  chooses its own id);
- ``POST message`` ``{"token", "text"}``: the assistant's answers;
- ``POST history`` ``{"token"}``: the conversation so far, as the widget shows it (texts and
  buttons only), to show it again after a reload;
- ``POST forget`` ``{"token"}`` (or ``DELETE conversation``): forget the conversation;
- ``POST feedback`` ``{"token", "id", "helpful"}``: a 👍 or 👎 on an FAQ answer. Each FAQ
  answer (a response ``utter_faq/<topic>``) carries ``"feedback": "<id>"`` in ``message`` and
  ``history``; the id names the answer within its conversation. A 👎 puts the question asked
  just before the answer, scrubbed of personal data, in the staff's inbox with the answered
  topic (``clinic_office.inbox``); a 👍 only counts. An off-topic question and Rasa's own
  fallback are noted in the inbox here too (the actions note the rest).

Tokens travel in the body, never in the URL. A token expires when its conversation has been
idle for ``idle_minutes`` (default 60, Rasa's session length): the widget then starts a new
conversation. ``forget`` still takes an expired token, since forgetting is always allowed.

The widget sends JSON as ``text/plain`` so that its requests are CORS-"simple" (no
preflight): Rasa's own CORS layer answers every OPTIONS request itself.

Errors are real HTTP codes with ``{"error", "message"}``: 400, 401, 403 (origin not
allowed), 413 (message too long), 429 (slow down). CORS is answered only for the configured
site origins. Message text is never logged. The inbox never stops an answer: while its
database is down, nothing is noted and feedback is still thanked (204).

Rate limits (429) count per conversation, per client address, and new conversations per
client address, each per minute. With ``rate_limit_redis_url`` (or $RATE_LIMIT_REDIS_URL)
they are counted in Redis, shared by every Rasa replica (in-process while Redis does not
answer); without it each process counts alone.

credentials.yml::

    channels.widget.WidgetInput:
      allowed_origins: ["http://localhost:8080"]
      max_message_length: 1000
      idle_minutes: 60
      messages_per_minute: 20          # per conversation
      client_messages_per_minute: 60   # per client address (and new conversations)
      rate_limit_redis_url: redis://127.0.0.1:6379/2   # optional
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.buttons import last_buttons, payload_for, title_for
from channels.limits import (
    Limiter,
    RateLimiter,
    RedisLimitStore,
    RedisRateLimiter,
    TokenSigner,
    client_address,
)
from channels.text import utf8_text
from clinic_office.inbox import (
    FALLBACK,
    HELPFUL,
    NOT_HELPFUL,
    OFF_TOPIC,
    THUMBS_DOWN,
    TOPIC_KEY,
    InboxWriter,
    NewEntry,
    entry_from_parse,
)
from clinic_server.tracker_store import delete_conversation, recent_events

logger = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 1000
DEFAULT_IDLE_MINUTES = 60.0
SECRET_ENV = "WIDGET_SECRET"
# addresses of the proxies (the TLS gateway) whose X-Forwarded-For names the client
TRUSTED_PROXIES_ENV = "TRUSTED_PROXIES"
# the Redis that the replicas share their rate limits in, e.g. redis://127.0.0.1:6379/2
RATE_LIMIT_REDIS_ENV = "RATE_LIMIT_REDIS_URL"
LIMIT_WINDOW = 60.0  # seconds
LIMIT_NAMES = ("conversation", "client", "session")
# a conversation's tracker that was not read while checking its token
_NOT_READ = object()
# the responses that answer an FAQ question, and get a 👍 and a 👎
ANSWER_PREFIX = "utter_faq/"
# an answer's id: the time of its event, to the microsecond
ANSWER_ID = re.compile(r"[0-9]{1,12}\.[0-9]{6}")
# replies after which the conversation is read to see whether the question goes to the inbox
UNANSWERED_REPLIES = frozenset({"utter_out_of_scope", "utter_default"})
# how many (conversation, answer) ratings a process remembers, to count each once
MAX_REMEMBERED_RATINGS = 10_000


def _trusted_proxies(value: object) -> frozenset[str]:
    """A comma list (or YAML list) of proxy addresses."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return frozenset(str(item).strip() for item in items if str(item).strip())


def _token(value: object) -> str | None:
    """``value`` if it can be a token (ASCII text), else None: the signer compares
    signatures with ``hmac.compare_digest``, which refuses non-ASCII text."""
    return value if isinstance(value, str) and value.isascii() else None


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status, headers=headers)


def _expired(headers: dict[str, str]) -> HTTPResponse:
    """401 for a token that is unknown, forged or idle too long: the widget starts again."""
    return _error(401, "token", "This conversation has expired. Please start again.", headers)


def answer_id(timestamp: object) -> str | None:
    """The id of an answer given at ``timestamp`` (its event's unix time), None without one."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or timestamp < 0:
        return None
    return f"{float(timestamp):.6f}"


def answer_topic(utter_action: object) -> str | None:
    """The FAQ topic a response answers (``utter_faq/<topic>``), None for any other."""
    if not isinstance(utter_action, str) or not utter_action.startswith(ANSWER_PREFIX):
        return None
    topic = utter_action.removeprefix(ANSWER_PREFIX)
    return topic if TOPIC_KEY.fullmatch(topic) else None


def _bot_message(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": str(message.get("text") or "")}
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in message.get("buttons") or []
    ]
    if buttons:
        out["buttons"] = buttons
    if answer_topic(message.get("utter_action")) is not None:
        # only the last part of an answer sent in parts carries its time
        identity = answer_id(message.get("answered_at"))
        if identity is not None:
            out["feedback"] = identity
    return out


class AnswerCollector(CollectingOutputChannel):
    """Rasa's collecting output channel, keeping which response each message came from and,
    on the last part of each, when its event happened: what an answer's feedback id needs."""

    @staticmethod
    def _tagged(message: dict[str, Any], kwargs: Mapping[str, Any], last: bool) -> dict[str, Any]:
        if isinstance(kwargs.get("utter_action"), str):
            message["utter_action"] = kwargs["utter_action"]
            if last and kwargs.get("timestamp") is not None:
                message["answered_at"] = kwargs["timestamp"]
        return message

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Each paragraph as a message (as Rasa's collector does), tagged."""
        parts = text.strip().split("\n\n")
        for index, part in enumerate(parts):
            message = self._message(recipient_id, text=part)
            await self._persist_message(self._tagged(message, kwargs, index == len(parts) - 1))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """The text and its buttons as one message, tagged."""
        message = self._message(recipient_id, text=text, buttons=buttons)
        await self._persist_message(self._tagged(message, kwargs, True))


@dataclass(frozen=True)
class RatedAnswer:
    """An FAQ answer a visitor rated: its topic, and the inbox entry a 👎 makes (None when
    the question may not be kept: asked inside a form, red-flag talk, not an FAQ question)."""

    topic: str
    entry: NewEntry | None


def _intent(parse: Mapping[str, Any]) -> str | None:
    intent = parse.get("intent")
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return name if isinstance(name, str) else None


def _parse_of(event: Mapping[str, Any]) -> dict[str, Any]:
    parse = event.get("parse_data")
    return {**(parse if isinstance(parse, Mapping) else {}), "text": event.get("text")}


def _question(asked: Sequence[tuple[Mapping[str, Any], str | None]], topic: str) -> NewEntry | None:
    """The 👎 entry for an answer from the visitor's last (at most two) messages before it."""
    if not asked:
        return None
    last, loop = asked[-1]
    text = last.get("text")
    if isinstance(text, str) and text.startswith("/"):
        # a "did you mean...?" button: the question is the one it clarified
        if len(asked) < 2 or _intent(_parse_of(asked[-2][0])) != "nlu_fallback":
            return None
        last, loop = asked[-2]
    elif _intent(_parse_of(last)) != "faq":
        return None  # answered after something else (a red-flag "no", a hand-off)
    return entry_from_parse(THUMBS_DOWN, _parse_of(last), loop, answered_topic=topic)


def rated_answer(events: Sequence[Mapping[str, Any]], identity: str) -> RatedAnswer | None:
    """The FAQ answer ``identity`` names in a conversation's events (``answer_id`` of its
    time), with the 👎 entry for the question before it; None when there is no such answer."""
    loop: str | None = None
    asked: list[tuple[Mapping[str, Any], str | None]] = []
    found: RatedAnswer | None = None
    for event in events:
        kind = event.get("event")
        if kind == "active_loop":
            name = event.get("name")
            loop = name if isinstance(name, str) and name else None
        elif kind in ("restart", "session_started"):
            loop, asked = None, []
        elif kind == "user":
            asked = [*asked[-1:], (event, loop)]
        elif kind == "bot":
            metadata = event.get("metadata")
            topic = answer_topic(
                metadata.get("utter_action") if isinstance(metadata, Mapping) else None
            )
            if topic is not None and answer_id(event.get("timestamp")) == identity:
                found = RatedAnswer(topic, _question(asked, topic))
    return found


def unanswered_entry(events: Sequence[Mapping[str, Any]]) -> NewEntry | None:
    """The inbox entry for the visitor's last message when it was answered by the off-topic
    reply (``off_topic``) or by Rasa's own fallback (``fallback``); None otherwise, or when
    it may not be kept (a form was active, red-flag talk). The actions note the other cases."""
    loop: str | None = None
    last: tuple[Mapping[str, Any], str | None] | None = None
    ran: list[str] = []
    for event in events:
        kind = event.get("event")
        if kind == "active_loop":
            name = event.get("name")
            loop = name if isinstance(name, str) and name else None
        elif kind in ("restart", "session_started"):
            loop, last, ran = None, None, []
        elif kind == "user":
            last, ran = (event, loop), []
        elif kind == "action" and isinstance(event.get("name"), str):
            ran.append(str(event["name"]))
    if last is None:
        return None
    parse = _parse_of(last[0])
    if "utter_out_of_scope" in ran and _intent(parse) == "out_of_scope":
        return entry_from_parse(OFF_TOPIC, parse, last[1])
    if "action_default_fallback" in ran:
        return entry_from_parse(FALLBACK, parse, last[1])
    return None


def history_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The visitor's and the assistant's messages, in order, from tracker events.

    A button's payload shows as the button's title, as the widget showed it when clicked.
    """
    messages: list[dict[str, Any]] = []
    buttons: list[Any] = []
    for event in events:
        if event.get("event") == "user" and event.get("text"):
            text = str(event["text"])
            if text.startswith("/"):
                title = title_for(text, buttons)
                buttons = []
                if title is None:
                    continue
                text = title
            buttons = []
            messages.append({"sender": "user", "text": text})
        elif event.get("event") == "bot" and (event.get("text") or event.get("data")):
            data = event.get("data") or {}
            metadata = event.get("metadata") or {}
            buttons.extend(data.get("buttons") or [])
            message = {
                "text": event.get("text"),
                **data,
                "utter_action": metadata.get("utter_action"),
                "answered_at": event.get("timestamp"),
            }
            messages.append({"sender": "bot", **_bot_message(message)})
    return messages


def _recent_events(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    """The tracker's events since the visitor last wrote, serialised."""
    if tracker is None:
        return []
    recent: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        serialised = event.as_dict()
        recent.append(serialised)
        if serialised.get("event") == "user":
            break
    return list(reversed(recent))


class WidgetInput(InputChannel):
    """Input channel of the website chat widget."""

    @classmethod
    def name(cls) -> str:
        """Mounted at /webhooks/widget/."""
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Settings from credentials.yml; the secret from $WIDGET_SECRET and the rate limits'
        Redis from $RATE_LIMIT_REDIS_URL when not given."""
        config = credentials or {}
        secret = str(config.get("secret") or os.environ.get(SECRET_ENV) or "")
        per_conversation = int(config.get("messages_per_minute") or 20)
        per_client = int(config.get("client_messages_per_minute") or 60)
        redis_url = str(
            config.get("rate_limit_redis_url") or os.environ.get(RATE_LIMIT_REDIS_ENV) or ""
        ).strip()
        limiters: dict[str, Limiter] | None = None
        if redis_url:
            store = RedisLimitStore(redis_url, key_secret=secret.encode())
            limiters = {
                name: RedisRateLimiter(store, name, limit, LIMIT_WINDOW)
                for name, limit in zip(
                    LIMIT_NAMES, (per_conversation, per_client, per_client), strict=True
                )
            }
            logger.info("widget rate limits are counted in Redis")
        return cls(
            allowed_origins=[str(o).rstrip("/") for o in config.get("allowed_origins") or []],
            max_message_length=int(config.get("max_message_length") or DEFAULT_MAX_LENGTH),
            secret=secret.encode() if secret else secrets.token_bytes(32),
            per_conversation=per_conversation,
            per_client=per_client,
            trusted_proxies=_trusted_proxies(
                config.get("trusted_proxies") or os.environ.get(TRUSTED_PROXIES_ENV, "")
            ),
            idle_seconds=60.0 * float(config.get("idle_minutes") or DEFAULT_IDLE_MINUTES),
            limiters=limiters,
        )

    def __init__(
        self,
        allowed_origins: list[str],
        max_message_length: int,
        secret: bytes,
        per_conversation: int = 20,
        per_client: int = 60,
        trusted_proxies: frozenset[str] = frozenset(),
        idle_seconds: float = DEFAULT_IDLE_MINUTES * 60,
        clock: Callable[[], float] = time.time,
        limiters: Mapping[str, Limiter] | None = None,
        inbox: InboxWriter | None = None,
    ) -> None:
        """Keep the settings; limits are per minute; ``clock`` is for tests.

        ``limiters``: the "conversation", "client" and "session" limits to use instead of
        in-process ones built from ``per_conversation`` and ``per_client``. ``inbox``: where
        feedback and unanswered questions go (default: ``INBOX_DATABASE_URL``, first used).
        """
        if idle_seconds <= 0:
            raise ValueError("idle_minutes must be positive")
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.trusted_proxies = trusted_proxies
        self.allowed_origins = set(allowed_origins)
        self.max_message_length = max_message_length
        self.signer = TokenSigner(secret, clock)
        given = dict(limiters or {})
        unknown = set(given) - set(LIMIT_NAMES)
        if unknown:
            raise ValueError(f"unknown rate limits: {sorted(unknown)}")

        def limit(name: str, per_minute: int) -> Limiter:
            chosen = given.get(name)
            return chosen if chosen is not None else RateLimiter(per_minute, LIMIT_WINDOW)

        self.conversation_limit = limit("conversation", per_conversation)
        self.client_limit = limit("client", per_client)
        self.session_limit = limit("session", per_client)
        self.forgotten: set[str] = set()
        self.inbox = inbox if inbox is not None else InboxWriter()
        # (conversation, answer) pairs rated in this process: each rating counts once
        self.rated: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first_rating(self, conversation_id: str, identity: str) -> bool:
        """True the first time this process sees a rating of this answer."""
        key = (conversation_id, identity)
        if key in self.rated:
            return False
        self.rated[key] = None
        while len(self.rated) > MAX_REMEMBERED_RATINGS:
            self.rated.popitem(last=False)
        return True

    async def note_unanswered(self, store: Any, conversation_id: str) -> None:
        """Put the visitor's last message in the inbox if the off-topic reply or Rasa's
        fallback answered it. Never raises: the answer is sent whatever happens here."""
        try:
            tracker = await store.retrieve(conversation_id)
            if tracker is None:
                return
            entry = unanswered_entry([event.as_dict() for event in tracker.events])
            if entry is not None:
                await self.inbox.add_async(entry)
        except Exception as error:  # the inbox never stops an answer
            logger.warning("inbox: the question could not be noted (%s)", type(error).__name__)

    def cors_headers(self, request: Request) -> dict[str, str] | None:
        """CORS headers for an allowed origin, {} without Origin, None for another origin."""
        origin = request.headers.get("origin")
        if not origin:
            return {}
        if origin.rstrip("/") not in self.allowed_origins:
            return None
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def _client(self, request: Request) -> str:
        """The client's address for the rate limits (see ``client_address``)."""
        return client_address(
            request.ip or "",
            request.headers.get("x-forwarded-for", ""),
            self.trusted_proxies,
        )

    async def conversation(self, token: object, store: Any) -> str | None:
        """The conversation of a valid token that is not idle for too long, else None.

        Idle means no event in ``store`` (the tracker store, shared by every replica) for
        ``idle_seconds``, or a token that old and never used.
        """
        found = await self._conversation(token, store)
        return None if found is None else found[0]

    async def _conversation(self, token: object, store: Any) -> tuple[str, Any] | None:
        """``conversation``, with the tracker when checking idleness read it (else
        ``_NOT_READ``), so that a route does not read it a second time."""
        checked = self.signer.check(_token(token))
        if checked is None or checked[0] in self.forgotten:
            return None
        conversation_id, issued = checked
        now = self.clock()
        if now - issued <= self.idle_seconds:
            return conversation_id, _NOT_READ
        tracker = await store.retrieve(conversation_id)
        events = tracker.events if tracker is not None else []
        last = events[-1].timestamp if events else issued
        return (conversation_id, tracker) if now - last <= self.idle_seconds else None

    async def within_limits(self, request: Request, conversation_id: str) -> bool:
        """Whether the visitor's address and the conversation are both within their rate
        limits (each counts this request)."""
        return await self.client_limit.allow(
            self._client(request)
        ) and await self.conversation_limit.allow(conversation_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The widget's routes."""
        bp = Blueprint("widget_webhook", __name__)

        def guard(request: Request) -> tuple[dict[str, str], HTTPResponse | None]:
            headers = self.cors_headers(request)
            if headers is None:
                return {}, _error(403, "origin", "This site may not use the assistant.", {})
            if request.method == "OPTIONS":
                return headers, response.empty(status=204, headers=headers)
            return headers, None

        def body_of(request: Request) -> dict[str, Any]:
            try:
                body = jsonlib.loads(request.body or b"{}")
            except (ValueError, RecursionError):  # RecursionError: nested too deep
                return {}
            return body if isinstance(body, dict) else {}

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/session", methods=["POST", "OPTIONS"])
        async def session(request: Request) -> HTTPResponse:
            headers, early = guard(request)
            if early:
                return early
            if not await self.session_limit.allow(self._client(request)):
                return _error(
                    429, "slow_down", "Too many new conversations. Please wait a minute.", headers
                )
            _, token = self.signer.issue()
            return response.json({"token": token}, headers=headers)

        @bp.route("/message", methods=["POST", "OPTIONS"])
        async def message(request: Request) -> HTTPResponse:
            headers, early = guard(request)
            if early:
                return early
            body = body_of(request)
            store = request.app.ctx.agent.tracker_store
            found = await self._conversation(body.get("token"), store)
            if found is None:
                return _expired(headers)
            conversation_id, tracker = found
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return _error(400, "empty", "Please type a message first.", headers)
            if not utf8_text(text):
                return _error(400, "invalid", "That message could not be read.", headers)
            if len(text) > self.max_message_length:
                return _error(
                    413,
                    "too_long",
                    "That message is too long. Please keep it under "
                    f"{self.max_message_length} characters.",
                    headers,
                )
            if not await self.within_limits(request, conversation_id):
                return _error(
                    429,
                    "slow_down",
                    "You're sending messages very quickly. Please wait a moment.",
                    headers,
                )
            # A typed button title counts as pressing the button.
            # (from the newest stored events when the store can: not the whole conversation)
            recent = None
            if tracker is _NOT_READ:
                recent = await recent_events(store, conversation_id)
            if recent is None:
                if tracker is _NOT_READ:
                    tracker = await store.retrieve(conversation_id)
                recent = _recent_events(tracker)
            text = payload_for(text, last_buttons(recent)) or text
            collector = AnswerCollector()
            await on_new_message(
                UserMessage(
                    text.strip(),
                    collector,
                    conversation_id,
                    input_channel=self.name(),
                    metadata=self.get_metadata(request),
                )
            )
            if any(m.get("utter_action") in UNANSWERED_REPLIES for m in collector.messages):
                await self.note_unanswered(store, conversation_id)
            return response.json(
                {"messages": [_bot_message(m) for m in collector.messages]}, headers=headers
            )

        @bp.route("/feedback", methods=["POST", "OPTIONS"])
        async def feedback(request: Request) -> HTTPResponse:
            headers, early = guard(request)
            if early:
                return early
            body = body_of(request)
            store = request.app.ctx.agent.tracker_store
            found = await self._conversation(body.get("token"), store)
            if found is None:
                return _expired(headers)
            conversation_id, tracker = found
            identity, helpful = body.get("id"), body.get("helpful")
            if (
                not isinstance(identity, str)
                or not ANSWER_ID.fullmatch(identity)
                or not isinstance(helpful, bool)
            ):
                return _error(
                    400, "invalid", "That feedback could not be read. Thank you anyway.", headers
                )
            if not await self.within_limits(request, conversation_id):
                return _error(429, "slow_down", "You're sending feedback very quickly.", headers)
            if tracker is _NOT_READ:
                tracker = await store.retrieve(conversation_id)
            events = [event.as_dict() for event in tracker.events] if tracker else []
            rated = rated_answer(events, identity)
            if rated is None:
                return _error(400, "unknown", "That answer is not in this conversation.", headers)
            if self.first_rating(conversation_id, identity):
                await self.inbox.count_async([rated.topic], HELPFUL if helpful else NOT_HELPFUL)
                if not helpful and rated.entry is not None:
                    await self.inbox.add_async(rated.entry)
                logger.info("widget feedback %s", "helpful" if helpful else "not helpful")
            return response.empty(status=204, headers=headers)

        @bp.route("/history", methods=["POST", "OPTIONS"])
        async def history(request: Request) -> HTTPResponse:
            # the token comes in the body, never in the URL (logs and proxies keep URLs)
            headers, early = guard(request)
            if early:
                return early
            store = request.app.ctx.agent.tracker_store
            found = await self._conversation(body_of(request).get("token"), store)
            if found is None:
                return _expired(headers)
            conversation_id, tracker = found
            if tracker is _NOT_READ:
                tracker = await store.retrieve(conversation_id)
            events = tracker.current_state(EventVerbosity.ALL)["events"] if tracker else []
            return response.json({"messages": history_of(events or [])}, headers=headers)

        @bp.route("/forget", methods=["POST", "OPTIONS"])
        @bp.route("/conversation", methods=["DELETE", "OPTIONS"])
        async def forget(request: Request) -> HTTPResponse:
            headers, early = guard(request)
            if early:
                return early
            # signed is enough: an idle conversation can still be forgotten
            conversation_id = self.signer.verify(_token(body_of(request).get("token")))
            if conversation_id is None or conversation_id in self.forgotten:
                return _error(401, "token", "This conversation has expired.", headers)
            store = request.app.ctx.agent.tracker_store
            # the SQL store's rows are deleted; the in-memory store is overwritten
            if not await delete_conversation(store, conversation_id):
                await store.save(DialogueStateTracker(conversation_id, []))
            self.forgotten.add(conversation_id)
            logger.info("widget conversation forgotten")
            return response.empty(status=204, headers=headers)

        return bp
