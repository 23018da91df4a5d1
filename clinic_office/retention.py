"""Purge what the clinic no longer needs: ``python -m clinic_office.retention [--days N]``.

Conversations idle for longer than the retention period (``RETENTION_DAYS``, default 30)
are deleted from the conversations database, and booking requests older than that whose
staff notifications were all delivered are deleted from the booking database. A request
whose notification is still pending is kept. Inbox entries older than that go too
(``clinic_office.inbox``; its per-topic counts hold no text and are kept). Prints counts
only. ``make purge`` runs it once; ``make run`` runs it at start and then daily.

No Rasa import: conversations are deleted straight from the ``events`` table of Rasa's SQL
tracker store (one row per event, with ``sender_id`` and ``timestamp``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from clinic_office import config, inbox, sqlite
from clinic_office.booking_store import BookingStore

EVENTS_TABLE = "events"


def purge_conversations(url: str, before: float) -> int:
    """Delete every conversation whose last event is older than ``before`` (unix time).

    Returns how many conversations went; 0 when no conversation was ever stored.
    """
    engine = sa.create_engine(sqlite.make_folder(url), future=True)
    try:
        if not sa.inspect(engine).has_table(EVENTS_TABLE):
            return 0
        events = sa.Table(EVENTS_TABLE, sa.MetaData(), autoload_with=engine)
        idle = (
            sa.select(events.c.sender_id)
            .group_by(events.c.sender_id)
            .having(sa.func.max(events.c.timestamp) < before)
        )
        with engine.begin() as connection:
            senders = [row[0] for row in connection.execute(idle)]
            for start in range(0, len(senders), 500):
                chunk = senders[start : start + 500]
                connection.execute(sa.delete(events).where(events.c.sender_id.in_(chunk)))
        return len(senders)
    finally:
        engine.dispose()


def purge(settings: config.Settings, days: int, now: datetime) -> tuple[int, int]:
    """Delete idle conversations and finished old requests; (conversations, requests)."""
    cutoff = now - timedelta(days=days)
    conversations = purge_conversations(settings.conversations_database_url, cutoff.timestamp())
    store = BookingStore(settings.booking_database_url, ())
    try:
        store.create_schema()
        requests = store.purge_finished(cutoff)
    finally:
        store.dispose()
    return conversations, requests


def purge_inbox(url: str, before: datetime) -> int:
    """Delete the inbox entries made before ``before``; how many went."""
    store = inbox.InboxStore(url)
    try:
        store.create_schema()
        return store.purge(before)
    finally:
        store.dispose()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=None, help="default: $RETENTION_DAYS or 30")
    args = parser.parse_args(argv)
    try:
        settings = config.current()
    except config.ConfigError as error:
        print(f"retention: {error}", file=sys.stderr)
        return 2
    days = args.days if args.days is not None else settings.retention_days
    if days < 1:
        parser.error("--days must be at least 1")
    started = time.monotonic()
    now = datetime.now(timezone.utc)
    conversations, requests = purge(settings, days, now)
    entries = purge_inbox(inbox.database_url(), now - timedelta(days=days))
    print(
        f"retention {days} days: {conversations} conversations and {requests} booking "
        f"requests deleted, and {entries} inbox entries ({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
