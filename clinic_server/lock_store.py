"""Rasa's Redis lock store, with every change of a lock made atomically (rasa#11256).

Rasa serialises the messages of one conversation with a ticket lock. Its ``RedisLockStore``
changes a lock by reading it, changing it in the process and writing it back, so two Rasa
replicas that take a message of the same conversation at the same moment can both read
"last ticket 4", both issue ticket 5 and both be served at once; one replica's write can also
drop the other's ticket, or delete a lock another replica has just queued on. Rasa's fix
(``ConcurrentRedisLockStore``, rasa#11256) was reverted from Rasa Open Source (rasa#11428).

This store keeps Rasa's lock format and key names and makes each read-change-write one
optimistic Redis transaction (``WATCH`` / ``MULTI``, retried when another replica changed the
lock in between): issuing a ticket, dropping expired tickets, finishing a ticket, and deleting
the lock when nobody waits. ``endpoints.yml``::

    lock_store:
      type: clinic_server.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)

T = TypeVar("T")
# a lock that ends up with no ticket is deleted
_DELETE = object()


class AtomicRedisLockStore(RedisLockStore):  # type: ignore[misc]
    """``RedisLockStore`` whose lock changes are atomic across processes."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        """From ``endpoints.yml`` (``url`` is the Redis host), or Rasa's keyword options."""
        if endpoint_config is not None:
            kwargs = {**endpoint_config.kwargs, "host": endpoint_config.url or "localhost"}
        super().__init__(**kwargs)

    def _change(
        self, conversation_id: str, change: Callable[[TicketLock | None], tuple[T, Any]]
    ) -> T:
        """Apply ``change`` to the stored lock in one transaction; its first result.

        ``change`` returns (result, new lock, or None to leave it, or ``_DELETE``).
        """
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(1000):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    result, new = change(lock)
                    pipe.multi()
                    if new is _DELETE:
                        pipe.delete(key)
                    elif new is not None:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed the lock meanwhile: read it again
        raise LockError("the conversation's lock kept changing: gave up")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket of the conversation's lock (creating it), atomically."""

        def issue(lock: TicketLock | None) -> tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except LockError:
            raise
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop the lock's expired tickets, atomically."""

        def drop_expired(lock: TicketLock | None) -> tuple[None, Any]:
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket ``ticket_number`` from the lock, atomically."""

        def finish(lock: TicketLock | None) -> tuple[None, Any]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish ``ticket_number`` and delete the lock if nobody waits, in one transaction."""

        def finish_and_maybe_delete(lock: TicketLock | None) -> tuple[None, Any]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return None, (lock if lock.is_someone_waiting() else _DELETE)

        self._change(conversation_id, finish_and_maybe_delete)
