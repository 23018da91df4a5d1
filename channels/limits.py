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
    """Issues random conversation ids signed with a server secret, and checks them."""

    def __init__(self, secret: bytes) -> None:
        """``secret``: at least 16 bytes."""
        if len(secret) < 16:
            raise ValueError("the widget secret must be at least 16 bytes")
        self._secret = secret

    def _signature(self, conversation_id: str) -> str:
        digest = hmac.new(self._secret, conversation_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")

    def issue(self) -> tuple[str, str]:
        """A new (conversation id, token) pair; the token is ``id.signature``."""
        conversation_id = secrets.token_urlsafe(18)
        return conversation_id, f"{conversation_id}.{self._signature(conversation_id)}"

    def verify(self, token: object) -> str | None:
        """The conversation id of a valid token, None for anything else."""
        if not isinstance(token, str) or len(token) > 200 or token.count(".") != 1:
            return None
        conversation_id, signature = token.split(".")
        if not conversation_id or not hmac.compare_digest(
            signature, self._signature(conversation_id)
        ):
            return None
        return conversation_id


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
