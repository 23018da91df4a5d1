"""The notification worker: delivers the outbox rows of booking requests to staff.

    python -m clinic_office.notifier [--once] [--interval 2] [--batch 20]

Creates the tables when missing, then delivers due notifications every ``--interval``
seconds until SIGTERM or SIGINT (a send in progress is finished and marked first; exit 0).
``--once`` delivers what is due now and exits (1 when the database is unavailable).
Settings: ``clinic_office.config`` (BOOKING_DATABASE_URL, NOTIFY_*, SMTP_*).
Logs references, channels and attempt counts only.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from types import FrameType

from clinic_office import config as configuration
from clinic_office.booking_store import BookingStore, StoreUnavailable
from clinic_office.notify import DEFAULT_BATCH, NotifyConfig, deliver_due

log = logging.getLogger(__name__)


def run(
    store: BookingStore,
    config: NotifyConfig,
    stop: threading.Event,
    *,
    once: bool = False,
    interval: float = 2.0,
    batch: int = DEFAULT_BATCH,
) -> int:
    """Deliver until ``stop`` is set (or once); the exit status."""
    schema_ready = False
    while not stop.is_set():
        try:
            if not schema_ready:
                store.create_schema()
                schema_ready = True
            report = deliver_due(store, config, datetime.now(timezone.utc), limit=batch)
        except StoreUnavailable as error:
            log.error("%s; next try in %.1f s", error, interval)
            if once:
                return 1
            stop.wait(interval)
            continue
        if report.claimed < batch:
            if once:
                return 0
            stop.wait(interval)
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m clinic_office.notifier",
        description="Deliver booking notifications to staff.",
    )
    parser.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    parser.add_argument(
        "--interval", type=float, default=2.0, help="seconds between polls (default 2)"
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help="notifications claimed per poll"
    )
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.batch < 1:
        parser.error("--interval must be positive and --batch at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the worker; the process exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = configuration.current()
    except configuration.ConfigError as error:
        log.error("settings: %s", error)
        return 2
    config = settings.notify
    if config is None:
        log.error("notification settings: %s", settings.notify_problem)
        return 2
    if not config.channels:
        log.warning("NOTIFY_CHANNELS is empty: new booking requests get no staff notification")
    try:
        store = BookingStore(settings.booking_database_url, config.channels)
    except StoreUnavailable as error:
        log.error("%s", error)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGTERM, signal.SIGINT)
    }
    log.info(
        "notifier started backend=%s channels=%s interval=%.1fs",
        store.backend,
        ",".join(config.channels) or "-",
        args.interval,
    )
    try:
        status = run(store, config, stop, once=args.once, interval=args.interval, batch=args.batch)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        store.dispose()
    log.info("notifier stopped")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
