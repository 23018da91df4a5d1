"""Purge what the clinic no longer needs: ``python -m clinic_server.retention [--days N]``.

Conversations idle for longer than the retention period (``RETENTION_DAYS``, default 30)
are deleted from the conversations database, and booking requests older than that whose
staff notifications were all delivered are deleted from the booking database. A request
whose notification is still pending is kept. Prints counts only. ``make purge`` runs it once;
``make run`` runs it at start and then daily.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timedelta, timezone

DEFAULT_DAYS = 30


def retention_days(environ: dict[str, str] | None = None) -> int:
    """``RETENTION_DAYS`` (a whole number of days, at least 1), default 30."""
    env = os.environ if environ is None else environ
    raw = env.get("RETENTION_DAYS", "").strip() or str(DEFAULT_DAYS)
    days = int(raw)
    if days < 1:
        raise ValueError("RETENTION_DAYS must be at least 1")
    return days


def purge(days: int, now: datetime) -> tuple[int, int]:
    """Delete idle conversations and finished old requests; (conversations, requests)."""
    from actions.booking_store import BookingStore, database_url_from_env
    from clinic_server.tracker_store import UrlSQLTrackerStore

    cutoff = now - timedelta(days=days)
    conversations = UrlSQLTrackerStore().purge_idle(cutoff.timestamp())
    store = BookingStore(database_url_from_env(), ())
    try:
        store.create_schema()
        requests = store.purge_finished(cutoff)
    finally:
        store.dispose()
    return conversations, requests


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=None, help="default: $RETENTION_DAYS or 30")
    args = parser.parse_args(argv)
    days = args.days if args.days is not None else retention_days()
    started = time.monotonic()
    conversations, requests = purge(days, datetime.now(timezone.utc))
    print(
        f"retention {days} days: {conversations} conversations and {requests} booking "
        f"requests deleted ({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
