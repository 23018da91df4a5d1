"""Conversations in a SQL database, named by one URL, that "forget" can really delete.

Rasa's SQL tracker store takes a dialect, host, port and database one by one; this one takes
``CONVERSATIONS_DATABASE_URL`` (default: ``conversations.db`` in the data folder, beside the
booking database; see ``clinic_office.config``) so that SQLite and PostgreSQL are configured
the same way, and adds ``delete``, which removes every stored event of a conversation.
``endpoints.yml``:

    tracker_store:
      type: clinic_server.tracker_store.UrlSQLTrackerStore
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import make_url

from clinic_office import config, sqlite

logger = logging.getLogger(__name__)


def connection_settings(url: str) -> dict[str, Any]:
    """The SQL tracker store's arguments for a database URL."""
    parts = make_url(url)
    dialect = parts.get_backend_name()
    if dialect == "sqlite":
        if not parts.database:
            raise ValueError("a SQLite conversations database needs a file name")
        sqlite.make_folder(url)
        return {"dialect": "sqlite", "db": parts.database}
    return {
        "dialect": parts.drivername,
        "host": parts.host,
        "port": parts.port,
        "db": parts.database,
        "username": parts.username,
        "password": parts.password,
        "query": dict(parts.query) or None,
    }


class UrlSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    """Rasa's SQL tracker store, configured by URL, with ``delete``."""

    def __init__(
        self,
        host: str | None = None,
        domain: Any = None,
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        """Connect to ``host`` (a URL from endpoints.yml) or the configured database."""
        url = host or config.current().conversations_database_url
        settings = connection_settings(url)
        logger.info("conversations stored in a %s database", settings["dialect"])
        super().__init__(domain=domain, event_broker=event_broker, **settings)

    async def recent_events(self, sender_id: str, limit: int = 30) -> list[dict[str, Any]] | None:
        """The stored events since the visitor last wrote, oldest first, read from the newest
        rows only (a retrieve reads and replays the whole conversation); None when the last
        ``limit`` rows hold no user message, so the caller reads the tracker instead."""
        with self.session_scope() as session:
            rows = (
                session.query(self.SQLEvent.type_name, self.SQLEvent.data)
                .filter(self.SQLEvent.sender_id == sender_id)
                .order_by(self.SQLEvent.id.desc())
                .limit(limit)
                .all()
            )
        recent: list[dict[str, Any]] = []
        for type_name, data in rows:
            recent.append(json.loads(data))
            if type_name == "user":
                return recent[::-1]
        return recent[::-1] if len(rows) < limit else None

    async def delete(self, sender_id: str) -> int:
        """Remove every stored event of conversation ``sender_id``; how many rows went."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return int(deleted or 0)


async def recent_events(store: Any, sender_id: str) -> list[dict[str, Any]] | None:
    """The conversation's events since the visitor last wrote, when the store can read them
    without the whole tracker (looking through Rasa's fail-safe wrapper); else None."""
    inner = getattr(store, "_tracker_store", store)
    read = getattr(inner, "recent_events", None)
    if read is None:
        return None
    events = await read(sender_id)
    return None if events is None else list(events)


async def delete_conversation(store: Any, sender_id: str) -> bool:
    """Delete a conversation's stored events, looking through Rasa's fail-safe wrapper.

    False when the store cannot delete (the in-memory store: then saving an empty tracker
    over it is all there is to do).
    """
    inner = getattr(store, "_tracker_store", store)
    delete = getattr(inner, "delete", None)
    if delete is None:
        return False
    await delete(sender_id)
    return True
