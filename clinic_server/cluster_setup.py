"""Prepare the databases of ``make cluster``: ``python -m clinic_server.cluster_setup``.

Creates the PostgreSQL database that ``CONVERSATIONS_DATABASE_URL`` names when it is missing
(the server must be reachable; other databases are left alone) and the booking tables. Prints
no URL: it may hold a password.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from clinic_office import config
from clinic_office.booking_store import BookingStore, StoreUnavailable


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` if it does not exist; whether it was made."""
    parts = sa.engine.make_url(url)
    if parts.get_backend_name() != "postgresql" or not parts.database:
        return False
    admin = sa.create_engine(
        parts.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parts.database},
            ).first()
            if exists:
                return False
            quoted = admin.dialect.identifier_preparer.quote(parts.database)
            connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        admin.dispose()


def main() -> int:
    """Command-line entry point."""
    settings = config.current()
    try:
        made = ensure_database(settings.conversations_database_url)
        if settings.booking_database_url != settings.conversations_database_url:
            made = ensure_database(settings.booking_database_url) or made
        store = BookingStore(settings.booking_database_url, ())
        try:
            store.create_schema()
        finally:
            store.dispose()
    except (sa.exc.DBAPIError, StoreUnavailable) as error:
        print(f"cluster databases not ready: {type(error).__name__}", file=sys.stderr)
        return 1
    print("cluster databases ready" + (" (created)" if made else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
