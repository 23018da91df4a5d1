"""The conversation lock shared by Rasa replicas, on a real Redis (rasa#11256)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import uuid4

import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from clinic_server.lock_store import AtomicRedisLockStore

DB = 14  # a database of its own: the tests delete only their keys
PREFIX = "locktest"


def redis_unreachable() -> str | None:
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis not reachable at 127.0.0.1:6379 ({type(error).__name__})"
    return None


@pytest.fixture
def conversation() -> Iterator[str]:
    reason = redis_unreachable()
    if reason:
        pytest.skip(reason)
    conversation_id = f"c-{uuid4().hex}"
    yield conversation_id
    client = redis.Redis(host="127.0.0.1", port=6379, db=DB)
    for key in client.scan_iter(f"{PREFIX}:*"):
        client.delete(key)


def replica(kind: type[RedisLockStore]) -> RedisLockStore:
    """One replica's lock store: its own connection to the shared Redis."""
    return kind(host="127.0.0.1", port=6379, db=DB, key_prefix=PREFIX)


def test_rasas_own_store_issues_one_ticket_twice_when_replicas_interleave(
    conversation: str,
) -> None:
    """The race of rasa#11256, played step by step: both replicas read the lock before
    either writes it back, and both get ticket 0, so both would be served at once."""
    first, second = replica(RedisLockStore), replica(RedisLockStore)
    lock_a = first.get_or_create_lock(conversation)
    lock_b = second.get_or_create_lock(conversation)
    ticket_a, ticket_b = lock_a.issue_ticket(60), lock_b.issue_ticket(60)
    first.save_lock(lock_a)
    second.save_lock(lock_b)
    assert ticket_a == ticket_b  # what AtomicRedisLockStore prevents


def test_replicas_issuing_at_once_never_share_a_ticket(conversation: str) -> None:
    stores = [replica(AtomicRedisLockStore) for _ in range(4)]
    tickets: list[int] = []
    start = threading.Barrier(len(stores))

    def issue(store: RedisLockStore) -> None:
        start.wait()
        for _ in range(50):
            tickets.append(store.issue_ticket(conversation, 60))

    threads = [threading.Thread(target=issue, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(200))
    lock = stores[0].get_lock(conversation)
    assert lock is not None and len(lock.tickets) == 200  # no ticket was overwritten


async def test_a_conversations_messages_are_served_one_at_a_time_across_replicas(
    conversation: str,
) -> None:
    import asyncio

    stores = [replica(AtomicRedisLockStore) for _ in range(3)]
    inside = 0
    most = 0
    served = 0

    async def handle(store: LockStore) -> None:
        nonlocal inside, most, served
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.005)
            inside -= 1
            served += 1

    await asyncio.gather(*(handle(stores[i % 3]) for i in range(30)))
    assert (served, most) == (30, 1)
    assert stores[0].get_lock(conversation) is None  # the last one out deleted the lock


def test_it_is_built_from_endpoints_yml(conversation: str) -> None:
    config = EndpointConfig(
        url="127.0.0.1",
        type="clinic_server.lock_store.AtomicRedisLockStore",
        port=6379,
        db=DB,
        key_prefix=PREFIX,
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.issue_ticket(conversation, 60) == 0
    assert store.issue_ticket(conversation, 60) == 1
    store.cleanup(conversation, 0)
    store.cleanup(conversation, 1)
    assert store.get_lock(conversation) is None
