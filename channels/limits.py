"""Signed conversation tokens and rate limits for the widget channel (pure, no Rasa import)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable


class TokenSigner:
    """Issues random conversation ids signed with a server secret, and checks them.

    A token is ``<id>.<issued>.<signature>``: ``issued`` is the unix time of issue in base
    36, covered by the signature, so that a channel can tell how old a token is.
    """

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        """``secret``: at least 16 bytes; ``clock`` is for tests."""
        if len(secret) < 16:
            raise ValueError("the widget secret must be at least 16 bytes")
        self._secret = secret
        self._clock = clock

    def _signature(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")

    def issue(self) -> tuple[str, str]:
        """A new (conversation id, token) pair."""
        conversation_id = secrets.token_urlsafe(18)
        body = f"{conversation_id}.{_base36(int(self._clock()))}"
        return conversation_id, f"{body}.{self._signature(body)}"

    def check(self, token: object) -> tuple[str, float] | None:
        """(conversation id, unix time of issue) of a valid token, None for anything else."""
        if not isinstance(token, str) or len(token) > 200 or token.count(".") != 2:
            return None
        conversation_id, issued, signature = token.split(".")
        if not conversation_id or not issued or len(issued) > 8:
            return None
        if not hmac.compare_digest(signature, self._signature(f"{conversation_id}.{issued}")):
            return None
        try:
            return conversation_id, float(int(issued, 36))
        except ValueError:
            return None

    def verify(self, token: object) -> str | None:
        """The conversation id of a valid token, None for anything else."""
        checked = self.check(token)
        return None if checked is None else checked[0]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if not number:
            return text


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (sliding window)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Set the limit; ``clock`` is for tests."""
        self._limit = limit
        self._window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for ``key``; False when over the limit (then it is not counted)."""
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle keys now and then
            for idle in [
                k for k, v in self._events.items() if not v or v[-1] <= now - self._window
            ]:
                del self._events[idle]
        return True


def client_address(peer: str, forwarded_for: str, trusted_proxies: frozenset[str]) -> str:
    """The address a rate limit counts: the TCP peer, unless it is a trusted proxy.

    Behind a trusted proxy (the TLS gateway), the client is the address that proxy appended
    last to ``X-Forwarded-For``; whatever the client itself put there is not believed. With
    no trusted proxy configured, the header is ignored entirely.
    """
    if peer not in trusted_proxies:
        return peer or "?"
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    # walk back from the nearest hop, past any further trusted proxies
    while hops and hops[-1] in trusted_proxies:
        hops.pop()
    return hops[-1] if hops else peer or "?"
