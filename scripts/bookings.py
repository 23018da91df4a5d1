"""Print the stored booking requests as JSON lines, oldest first (`make bookings`).

    python -m scripts.bookings

Reads BOOKING_DATABASE_URL (default: the SQLite file in var/). The output holds visitors'
personal data: it is meant for clinic staff, not for logs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from clinic_office import config
from clinic_office.booking_store import BookingStore, StoreUnavailable


def main(argv: Sequence[str] | None = None) -> int:
    """Print every request; 1 when the database is unavailable."""
    if argv is None:
        argv = sys.argv[1:]
    if argv:
        print("usage: python -m scripts.bookings", file=sys.stderr)
        return 2
    try:
        store = BookingStore(config.current().booking_database_url, channels=())
    except (StoreUnavailable, config.ConfigError) as error:
        print(f"bookings: {error}", file=sys.stderr)
        return 1
    try:
        store.create_schema()
        for request in store.list_requests():
            print(json.dumps(request, ensure_ascii=False, sort_keys=False))
        sys.stdout.flush()
    except StoreUnavailable as error:
        print(f"bookings: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        sys.stderr.close()
    finally:
        store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
