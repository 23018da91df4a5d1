"""The website widget's input channel: plain HTTPS + JSON, no socket.io.

Routes (Rasa mounts them under ``/webhooks/widget/``):
- ``POST session``: a new random conversation id, signed by the server (the browser never
  chooses its own id);
- ``POST message`` ``{"token", "text"}``: the assistant's answers;
- ``POST history`` ``{"token"}``: the conversation so far, as the widget shows it (texts and
  buttons only), to show it again after a reload;
- ``POST forget`` ``{"token"}`` (or ``DELETE conversation``): forget the conversation.

Tokens travel in the body, never in the URL. A token expires when its conversation has been
idle for ``idle_minutes`` (default 60, Rasa's session length): the widget then starts a new
conversation. ``forget`` still takes an expired token, since forgetting is always allowed.

The widget sends JSON as ``text/plain`` so that its requests are CORS-"simple" (no
preflight): Rasa's own CORS layer answers every OPTIONS request itself.

Errors are real HTTP codes with ``{"error", "message"}``: 400, 401, 403 (origin not
allowed), 413 (message too long), 429 (slow down). CORS is answered only for the configured
site origins. Message text is never logged.

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
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
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


def _bot_message(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": str(message.get("text") or "")}
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in message.get("buttons") or []
    ]
    if buttons:
        out["buttons"] = buttons
    return out


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
            buttons.extend(data.get("buttons") or [])
            messages.append({"sender": "bot", **_bot_message({"text": event.get("text"), **data})})
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
    ) -> None:
        """Keep the settings; limits are per minute; ``clock`` is for tests.

        ``limiters``: the "conversation", "client" and "session" limits to use instead of
        in-process ones built from ``per_conversation`` and ``per_client``.
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
                return _error(
                    401, "token", "This conversation has expired. Please start again.", headers
                )
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
            if not await self.client_limit.allow(
                self._client(request)
            ) or not await self.conversation_limit.allow(conversation_id):
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
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text.strip(),
                    collector,
                    conversation_id,
                    input_channel=self.name(),
                    metadata=self.get_metadata(request),
                )
            )
            return response.json(
                {"messages": [_bot_message(m) for m in collector.messages]}, headers=headers
            )

        @bp.route("/history", methods=["POST", "OPTIONS"])
        async def history(request: Request) -> HTTPResponse:
            # the token comes in the body, never in the URL (logs and proxies keep URLs)
            headers, early = guard(request)
            if early:
                return early
            store = request.app.ctx.agent.tracker_store
            found = await self._conversation(body_of(request).get("token"), store)
            if found is None:
                return _error(
                    401, "token", "This conversation has expired. Please start again.", headers
                )
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
