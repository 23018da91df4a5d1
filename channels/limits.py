"""Signed conversation tokens and rate limits for the widget channel (no Rasa import).

Rate limits: ``RateLimiter`` counts in this process; ``RedisRateLimiter`` counts in Redis,
shared by every Rasa replica, and falls back to counting in this process while Redis is
unreachable. Both are ``Limiter``s: ``await limiter.allow(key)``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import redis.asyncio
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


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


class Limiter(Protocol):
    """At most so many events per window for each key."""

    async def allow(self, key: str) -> bool:
        """Count one event for ``key``; False when over the limit (then it is not counted)."""
        ...


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (sliding window), counted
    in this process."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Set the limit; ``clock`` is for tests."""
        self._limit = limit
        self._window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    async def allow(self, key: str) -> bool:
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


# A sliding window log, atomic in Redis: the sorted set KEYS[1] holds one member per counted
# event, scored by the time of the event in microseconds, by the Redis server's clock (so
# that the replicas' clocks do not matter). ARGV: limit, window in microseconds, a unique
# member. Returns 1 when the event is counted, 0 when over the limit (then not counted).
_SLIDING_WINDOW = """
if redis.replicate_commands then redis.replicate_commands() end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 1
"""

_REDIS_DOWN = (RedisError, OSError, asyncio.TimeoutError)


class RedisLimitStore:
    """The Redis that ``RedisRateLimiter``s count in, and whether it answers.

    Redis calls time out after ``timeout`` seconds. When a call fails, the limiters count in
    this process; Redis is tried again at most every ``retry_seconds`` (by one request at a
    time). One warning is logged when Redis stops answering (not one per request), and an info
    line when it answers again.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "clinic:rl",
        timeout: float = 0.5,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        key_secret: bytes = b"",
    ) -> None:
        """``url``: e.g. ``redis://127.0.0.1:6379/2``; ``prefix`` of every key in Redis;
        ``key_secret`` keys the hash of stored keys (the same on every replica)."""
        self.prefix = prefix
        self.key_secret = key_secret
        self.clock = clock
        self._retry_seconds = retry_seconds
        self._redis = redis.asyncio.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._script = self._redis.register_script(_SLIDING_WINDOW)
        self._up = True
        self._retry_at = 0.0

    @property
    def up(self) -> bool:
        """False since a Redis call failed, until one succeeds again."""
        return self._up

    async def count(self, key: str, limit: int, window: float) -> bool | None:
        """Count one event in Redis: True if allowed, False if over the limit, None when
        Redis is not to be asked now (down, or retried by another request)."""
        now = self.clock()
        if now < self._retry_at:
            return None
        if not self._up:  # this request probes; the others keep counting in-process
            self._retry_at = now + self._retry_seconds
        try:
            counted = await self._script(
                keys=[key], args=[limit, max(1, round(window * 1e6)), secrets.token_hex(8)]
            )
        except _REDIS_DOWN as error:
            self._retry_at = self.clock() + self._retry_seconds
            if self._up:
                self._up = False
                logger.warning(
                    "rate limits: Redis does not answer (%s); each process counts alone "
                    "until it does",
                    type(error).__name__,
                )
            return None
        self._retry_at = 0.0
        if not self._up:
            self._up = True
            logger.info("rate limits: Redis answers again; the limits are shared again")
        return bool(counted)

    async def close(self) -> None:
        """Close the connections to Redis."""
        await self._redis.close(close_connection_pool=True)


class RedisRateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (sliding window), counted
    in Redis and so shared by every process that uses the same Redis, prefix and ``name``.

    A key is stored hashed (``<prefix>:<name>:<HMAC-SHA256 of the key>``, keyed with the
    store's secret so that an address cannot be found by trying every one), never in clear:
    keys are client addresses and conversation ids. While Redis does not answer, the limit is
    counted in this process (fail open: the visitor still gets an answer).
    """

    def __init__(self, store: RedisLimitStore, name: str, limit: int, window: float) -> None:
        """``name`` tells this limit's keys from other limits' keys in ``store``."""
        self.name = name
        self._store = store
        self._limit = limit
        self._window = window
        self._fallback = RateLimiter(limit, window, clock=store.clock)

    def redis_key(self, key: str) -> str:
        """Where ``key``'s events are counted in Redis."""
        digest = hmac.new(
            self._store.key_secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256
        ).hexdigest()[:32]
        return f"{self._store.prefix}:{self.name}:{digest}"

    async def allow(self, key: str) -> bool:
        """Count one event for ``key``; False when over the limit (then it is not counted)."""
        counted = await self._store.count(self.redis_key(key), self._limit, self._window)
        if counted is None:
            return await self._fallback.allow(key)
        return counted


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
