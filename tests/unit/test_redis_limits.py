"""Rate limits shared in Redis by every Rasa replica (the real Redis; skipped without it).

Set $REDIS_TEST_URL to use another Redis than ``redis://127.0.0.1:6379/15``. Each test
counts under its own random key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError

from channels.limits import RedisLimitStore, RedisRateLimiter

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens there


def redis_unreachable() -> str | None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"Redis not reachable at {REDIS_URL} ({type(error).__name__})"
    finally:
        client.close()
    return None


@pytest.fixture
def live() -> None:
    """Skips a test that needs the real Redis when it is not there."""
    reason = redis_unreachable()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own, and its keys deleted afterwards."""
    prefix = f"test:rl:{uuid.uuid4().hex[:12]}"
    yield prefix
    if redis_unreachable():
        return
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def stored_keys(prefix: str) -> list[str]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return sorted(client.scan_iter(match=f"{prefix}:*"))
    finally:
        client.close()


@pytest.fixture
async def make_store(prefix: str) -> AsyncIterator[Callable[..., RedisLimitStore]]:
    """Stores on the test Redis (one per "replica"), closed afterwards."""
    stores: list[RedisLimitStore] = []

    def make(url: str = REDIS_URL, **options: Any) -> RedisLimitStore:
        store = RedisLimitStore(url, prefix=prefix, **options)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()


@pytest.mark.usefixtures("live")
async def test_the_limit_refuses_then_the_window_passes(
    make_store: Callable[..., RedisLimitStore],
) -> None:
    limiter = RedisRateLimiter(make_store(), "client", 2, 0.5)
    assert await limiter.allow("203.0.113.9")
    assert await limiter.allow("203.0.113.9")
    assert not await limiter.allow("203.0.113.9")
    assert not await limiter.allow("203.0.113.9")  # refused events are not counted
    assert await limiter.allow("198.51.100.7")  # another key has its own count
    await asyncio.sleep(0.6)
    assert await limiter.allow("203.0.113.9")
    assert await limiter.allow("203.0.113.9")
    assert not await limiter.allow("203.0.113.9")


@pytest.mark.usefixtures("live")
async def test_two_replicas_share_the_count(make_store: Callable[..., RedisLimitStore]) -> None:
    first = RedisRateLimiter(make_store(), "conversation", 3, 60.0)
    second = RedisRateLimiter(make_store(), "conversation", 3, 60.0)
    other_limit = RedisRateLimiter(make_store(), "session", 3, 60.0)
    assert await first.allow("conv-1")
    assert await second.allow("conv-1")
    assert await first.allow("conv-1")
    assert not await second.allow("conv-1")
    assert not await first.allow("conv-1")
    assert await other_limit.allow("conv-1")  # another limit, another count


@pytest.mark.usefixtures("live")
async def test_concurrent_events_are_counted_atomically(
    make_store: Callable[..., RedisLimitStore],
) -> None:
    replicas = [RedisRateLimiter(make_store(), "client", 5, 60.0) for _ in range(2)]
    answers = await asyncio.gather(*(replicas[i % 2].allow("203.0.113.9") for i in range(20)))
    assert answers.count(True) == 5


@pytest.mark.usefixtures("live")
async def test_redis_keys_are_hashed_and_expire(
    prefix: str, make_store: Callable[..., RedisLimitStore]
) -> None:
    secret = b"the widget secret, shared by every replica"
    store = make_store(key_secret=secret)
    address, conversation_id = "203.0.113.9", "Zm9vYmFyYmF6cXV4cXV1eA"
    assert await RedisRateLimiter(store, "client", 5, 60.0).allow(address)
    assert await RedisRateLimiter(store, "conversation", 5, 60.0).allow(conversation_id)
    keys = stored_keys(prefix)

    def keyed(text: str) -> str:  # not a plain sha256: trying every address finds nothing
        return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    assert keys == sorted(
        [f"{prefix}:client:{keyed(address)}", f"{prefix}:conversation:{keyed(conversation_id)}"]
    )
    assert hashlib.sha256(address.encode()).hexdigest()[:32] not in " ".join(keys)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        for key in keys:
            assert address not in key and conversation_id not in key
            assert 0 < client.pttl(key) <= 60_000
            # members are random, never the key either
            for member in client.zrange(key, 0, -1):
                assert address not in member and conversation_id not in member
    finally:
        client.close()


async def test_redis_down_falls_back_to_counting_in_process(
    make_store: Callable[..., RedisLimitStore], caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    store = make_store(CLOSED_PORT_URL, retry_seconds=5.0, clock=lambda: now[0])
    limiter = RedisRateLimiter(store, "client", 2, 60.0)
    with caplog.at_level(logging.WARNING, logger="channels.limits"):
        assert await limiter.allow("203.0.113.9")
        assert await limiter.allow("203.0.113.9")
        assert not await limiter.allow("203.0.113.9")
        assert await limiter.allow("198.51.100.7")
        now[0] += 6  # Redis is tried again, and still does not answer
        assert not await limiter.allow("203.0.113.9")
    assert not store.up
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once when Redis stopped answering, not per request
    assert "203.0.113.9" not in caplog.text and "198.51.100.7" not in caplog.text


@pytest.mark.usefixtures("live")
async def test_back_to_redis_when_it_answers_again(
    prefix: str, make_store: Callable[..., RedisLimitStore], caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    store = make_store(retry_seconds=5.0, clock=lambda: now[0])
    limiter = RedisRateLimiter(store, "client", 2, 60.0)
    script = store._script
    calls = [0]
    down = [True]

    async def flaky(**kwargs: Any) -> Any:
        calls[0] += 1
        if down[0]:
            raise RedisConnectionError("Connection refused")
        return await script(**kwargs)

    store._script = flaky
    with caplog.at_level(logging.INFO, logger="channels.limits"):
        assert await limiter.allow("203.0.113.9")  # Redis fails: counted in-process
        assert await limiter.allow("203.0.113.9")
        assert not await limiter.allow("203.0.113.9")
        assert calls[0] == 1  # not retried before retry_seconds
        down[0] = False
        now[0] += 5
        assert await limiter.allow("203.0.113.9")  # Redis again: it had counted nothing
        assert store.up
        assert calls[0] == 2
        assert await limiter.allow("203.0.113.9")
        assert not await limiter.allow("203.0.113.9")
    assert len(stored_keys(prefix)) == 1
    assert [(r.levelno, r.getMessage().split(";")[0]) for r in caplog.records] == [
        (logging.WARNING, "rate limits: Redis does not answer (ConnectionError)"),
        (logging.INFO, "rate limits: Redis answers again"),
    ]


async def test_a_redis_that_hangs_times_out_and_falls_back(
    make_store: Callable[..., RedisLimitStore],
) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # accepts the connection, reads nothing, answers nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        limiter = RedisRateLimiter(
            make_store(f"redis://127.0.0.1:{port}/0", timeout=0.2), "client", 1, 60.0
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await limiter.allow("203.0.113.9")
        assert loop.time() - started < 1.0
        assert not await limiter.allow("203.0.113.9")  # in-process now, without waiting
        assert loop.time() - started < 1.0
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
