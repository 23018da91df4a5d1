"""Booking requests and their staff notifications, stored with SQLAlchemy Core.

Pure module (no rasa_sdk import). Nothing touches the database or the file system at import:
the engine connects on first use.

- ``BookingStore.submit`` writes the request and one notification row per configured channel
  in ONE transaction (transactional outbox) and returns only after the commit. The same
  ``submission_key`` twice stores one request: the second call returns the first reference.
- A worker (``clinic_office.notifier``) claims due notification rows (``claim_due``), delivers them
  and marks them (``mark_delivered`` only after a successful send, ``mark_failed`` schedules
  the next attempt with exponential backoff). All delivery state is in the database, so it
  survives restarts. A claim leases the row (its ``next_attempt_at`` moves ``lease`` into the
  future) so that no other worker takes it meanwhile; on PostgreSQL rows are selected with
  ``FOR UPDATE SKIP LOCKED``, and everywhere the claim is a conditional UPDATE, so two workers
  never claim the same row at once. A worker that dies between sending and marking leaves the
  row to be sent again when the lease ends, with the same idempotency key
  (``"<reference>:<channel>"``), which lets the receiver drop the repeat.
- Database errors (connection refused, timeouts, locked database...) are raised as
  ``StoreUnavailable``.

Times are timezone-aware UTC in this API and naive UTC in the database.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from clinic_office import database

log = logging.getLogger(__name__)


KINDS = ("booking", "change")
PATIENT_STATUSES = ("new", "returning")
CHANNELS = ("email", "webhook")
PENDING = "pending"
DELIVERED = "delivered"
NEW_STATUS = "new"

REFERENCE_PREFIX = "CM"
# No 0/O, 1/I/L or U/V look-alikes: a reference read out on the phone is unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REFERENCE_LENGTH = 5
REFERENCE_PATTERN = re.compile(rf"{REFERENCE_PREFIX}-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}")
_REFERENCE_TRIES = 8

BACKOFF_START = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=10)
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_CONNECT_TIMEOUT = 5
MAX_ERROR_LENGTH = 500
MAX_SUBMISSION_KEY_LENGTH = 200

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")

metadata = sa.MetaData()

booking_requests = sa.Table(
    "booking_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False),
    sa.Column("submission_key", sa.String(MAX_SUBMISSION_KEY_LENGTH), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("full_name", sa.Text, nullable=False),
    sa.Column("phone", sa.String(32), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("preferred_times", sa.Text, nullable=False),
    sa.Column("preferred_times_normalized", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("patient_status", sa.String(16), nullable=True),
    sa.Column("consent", sa.Boolean, nullable=False),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("reference", name="uq_booking_requests_reference"),
    sa.UniqueConstraint("submission_key", name="uq_booking_requests_submission_key"),
    sa.Index("ix_booking_requests_created_at", "created_at", "id"),
)

notification_outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "request_id",
        sa.Integer,
        sa.ForeignKey("booking_requests.id", name="fk_notification_outbox_request"),
        nullable=False,
    ),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("delivered_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("request_id", "channel", name="uq_notification_outbox_request_channel"),
    sa.UniqueConstraint("idempotency_key", name="uq_notification_outbox_idempotency_key"),
    sa.Index("ix_notification_outbox_due", "state", "next_attempt_at"),
)


class StoreUnavailable(Exception):
    """The booking database cannot be reached or refused the operation; nothing was stored."""


@dataclass(frozen=True)
class BookingRequest:
    """What the visitor asked for, as the booking form collected it."""

    kind: str
    conversation_id: str
    submission_key: str
    full_name: str
    phone: str | None
    email: str | None
    preferred_times: str
    preferred_times_normalized: str | None
    reason: str
    patient_status: str | None
    consent: bool
    details: str | None = None

    def __post_init__(self) -> None:
        """Reject values that the database must never hold."""
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if not self.submission_key or len(self.submission_key) > MAX_SUBMISSION_KEY_LENGTH:
            raise ValueError(
                f"submission_key must have 1 to {MAX_SUBMISSION_KEY_LENGTH} characters"
            )
        if self.patient_status is not None and self.patient_status not in PATIENT_STATUSES:
            raise ValueError(f"patient_status must be one of {PATIENT_STATUSES} or None")
        if self.phone is not None and not _E164.fullmatch(self.phone):
            raise ValueError("phone must be in E.164 form (+15550100199) or None")
        if not isinstance(self.consent, bool):
            raise ValueError("consent must be a bool")


@dataclass(frozen=True)
class Submitted:
    """The outcome of ``BookingStore.submit``."""

    reference: str
    created: bool


@dataclass(frozen=True)
class OutboxItem:
    """A claimed notification: one channel for one request, with what to send."""

    id: int
    channel: str
    idempotency_key: str
    attempts: int
    reference: str
    kind: str
    created_at: datetime
    request: BookingRequest


REQUEST_FIELDS = tuple(f.name for f in fields(BookingRequest))


def new_reference() -> str:
    """A random reference such as ``CM-7K3Q9`` (uniqueness is checked by the database)."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{REFERENCE_PREFIX}-{body}"


def idempotency_key(reference: str, channel: str) -> str:
    """The key a receiver uses to drop a repeated notification."""
    return f"{reference}:{channel}"


def backoff_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 2 s, 4 s, 8 s... at most 10 minutes."""
    exponent = min(max(attempts, 1) - 1, 20)
    return min(BACKOFF_START * (1 << exponent), BACKOFF_CAP)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else database.from_db(value).isoformat()


def _channels(channels: Sequence[str]) -> tuple[str, ...]:
    if isinstance(channels, str):
        raise ValueError("channels must be a sequence of channel names, not one string")
    unknown = [channel for channel in channels if channel not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown notification channels {unknown}: use {CHANNELS}")
    return tuple(dict.fromkeys(channels))


class BookingStore(database.SqlStore):
    """Booking requests and their notification outbox in one SQL database."""

    name = "booking"
    unavailable = StoreUnavailable
    metadata = metadata

    def __init__(
        self,
        url: str,
        channels: Sequence[str],
        *,
        schema: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        """Prepare an engine for ``url`` (no connection yet).

        ``channels``: where each new request is to be notified ("email", "webhook").
        ``schema``: a database schema to put the tables in (PostgreSQL), None for the default.
        ``lease``: how long a claimed notification stays reserved for the worker that claimed
        it; after that it is due again (the worker is taken to have died).
        """
        self._channels = _channels(channels)
        if lease <= timedelta(0):
            raise ValueError("lease must be positive")
        self._lease = lease
        # the booking database's file is made by SQLite at the first connection (only its
        # folder now, best effort), and SQLite enforces its foreign keys
        self._open(url, schema, connect_timeout=DEFAULT_CONNECT_TIMEOUT, private_file=False)
        if self.backend == "sqlite":
            event.listen(self._opened.base_engine, "connect", _sqlite_on_connect)

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels each new request gets a notification row for."""
        return self._channels

    def submit(self, request: BookingRequest) -> Submitted:
        """Store ``request`` and its notifications, committed before returning.

        A ``submission_key`` seen before stores nothing and returns the earlier reference
        with ``created=False``. Raises ``StoreUnavailable`` when the database fails.
        """
        with self._guard("storing a booking request"):
            existing = self._reference_of(request.submission_key)
            if existing is not None:
                log.info("booking request repeated ref=%s", existing)
                return Submitted(existing, created=False)
            for _ in range(_REFERENCE_TRIES):
                reference = new_reference()
                try:
                    self._insert(request, reference)
                except IntegrityError:
                    existing = self._reference_of(request.submission_key)
                    if existing is not None:
                        log.info("booking request repeated ref=%s", existing)
                        return Submitted(existing, created=False)
                    if self._reference_taken(reference):
                        continue
                    raise
                log.info(
                    "booking request stored ref=%s kind=%s notifications=%d",
                    reference,
                    request.kind,
                    len(self._channels),
                )
                return Submitted(reference, created=True)
        raise StoreUnavailable("could not allocate a unique booking reference")

    def _insert(self, request: BookingRequest, reference: str) -> None:
        now = database.to_db(datetime.now(timezone.utc))
        values = {name: getattr(request, name) for name in REQUEST_FIELDS}
        with self._engine.begin() as connection:
            result = connection.execute(
                booking_requests.insert().values(
                    reference=reference, status=NEW_STATUS, created_at=now, **values
                )
            )
            request_id = result.inserted_primary_key[0]
            if self._channels:
                connection.execute(
                    notification_outbox.insert(),
                    [
                        {
                            "request_id": request_id,
                            "channel": channel,
                            "idempotency_key": idempotency_key(reference, channel),
                            "state": PENDING,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                        for channel in self._channels
                    ],
                )

    def _reference_of(self, submission_key: str) -> str | None:
        with self._engine.connect() as connection:
            value = connection.execute(
                sa.select(booking_requests.c.reference).where(
                    booking_requests.c.submission_key == submission_key
                )
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def _reference_taken(self, reference: str) -> bool:
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(booking_requests.c.id).where(booking_requests.c.reference == reference)
            ).first()
        return found is not None

    def list_requests(self) -> list[dict[str, Any]]:
        """Every stored request, oldest first, with the state of its notifications."""
        requests = booking_requests
        outbox = notification_outbox
        with self._guard("listing booking requests"), self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(requests).order_by(requests.c.created_at, requests.c.id)
            ).all()
            notes = connection.execute(
                sa.select(
                    outbox.c.request_id,
                    outbox.c.channel,
                    outbox.c.state,
                    outbox.c.attempts,
                    outbox.c.last_error,
                ).order_by(outbox.c.request_id, outbox.c.channel)
            ).all()
        by_request: dict[int, list[dict[str, Any]]] = {}
        for note in notes:
            by_request.setdefault(note.request_id, []).append(
                {
                    "channel": note.channel,
                    "state": note.state,
                    "attempts": note.attempts,
                    "last_error": note.last_error,
                }
            )
        listed: list[dict[str, Any]] = []
        for row in rows:
            entry: dict[str, Any] = {
                "reference": row.reference,
                "kind": row.kind,
                "status": row.status,
                "created_at": _iso(row.created_at),
            }
            entry.update({name: getattr(row, name) for name in REQUEST_FIELDS})
            entry["consent"] = bool(row.consent)
            entry["notifications"] = by_request.get(row.id, [])
            listed.append(entry)
        return listed

    def purge_finished(self, before: datetime) -> int:
        """Delete requests made before ``before`` whose notifications are all delivered.

        A request with a notification still pending is kept, however old: staff have not
        been told yet. Returns how many requests went.
        """
        cutoff = database.to_db(before)
        pending = sa.select(notification_outbox.c.request_id).where(
            notification_outbox.c.state != DELIVERED
        )
        finished = sa.select(booking_requests.c.id).where(
            booking_requests.c.created_at < cutoff, booking_requests.c.id.not_in(pending)
        )
        with self._guard("purging old requests"), self._engine.begin() as connection:
            ids = [row.id for row in connection.execute(finished)]
            if not ids:
                return 0
            connection.execute(
                sa.delete(notification_outbox).where(notification_outbox.c.request_id.in_(ids))
            )
            connection.execute(sa.delete(booking_requests).where(booking_requests.c.id.in_(ids)))
        return len(ids)

    def claim_due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Reserve up to ``limit`` pending notifications due at ``now``, oldest due first.

        Each claimed row counts one more attempt and is not due again until ``now + lease``
        (unless marked before). Rows another worker holds are skipped.
        """
        if limit < 1:
            return []
        moment = database.to_db(now)
        outbox = notification_outbox
        requests = booking_requests
        due = (
            sa.select(outbox.c.id)
            .where(outbox.c.state == PENDING, outbox.c.next_attempt_at <= moment)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        if self.backend == "postgresql":
            due = due.with_for_update(skip_locked=True)
        with self._guard("claiming notifications"), self._engine.begin() as connection:
            claimed: list[int] = []
            for item_id in connection.execute(due).scalars().all():
                result = connection.execute(
                    outbox.update()
                    .where(
                        outbox.c.id == item_id,
                        outbox.c.state == PENDING,
                        outbox.c.next_attempt_at <= moment,
                    )
                    .values(
                        attempts=outbox.c.attempts + 1,
                        next_attempt_at=database.to_db(now + self._lease),
                    )
                )
                if result.rowcount == 1:
                    claimed.append(int(item_id))
            if not claimed:
                return []
            rows = connection.execute(
                sa.select(
                    outbox.c.id.label("item_id"),
                    outbox.c.channel,
                    outbox.c.idempotency_key,
                    outbox.c.attempts,
                    requests,
                )
                .select_from(outbox.join(requests, outbox.c.request_id == requests.c.id))
                .where(outbox.c.id.in_(claimed))
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
            ).all()
        order = {item_id: position for position, item_id in enumerate(claimed)}
        items = [
            OutboxItem(
                id=int(row.item_id),
                channel=row.channel,
                idempotency_key=row.idempotency_key,
                attempts=int(row.attempts),
                reference=row.reference,
                kind=row.kind,
                created_at=database.from_db(row.created_at),
                request=BookingRequest(
                    **{name: getattr(row, name) for name in REQUEST_FIELDS}
                    | {"consent": bool(row.consent)}
                ),
            )
            for row in rows
        ]
        return sorted(items, key=lambda item: order[item.id])

    def mark_delivered(self, item_id: int, now: datetime) -> None:
        """Record that the notification was sent; it is never claimed again."""
        outbox = notification_outbox
        with self._guard("marking a notification delivered"), self._engine.begin() as connection:
            connection.execute(
                outbox.update()
                .where(outbox.c.id == item_id, outbox.c.state == PENDING)
                .values(state=DELIVERED, delivered_at=database.to_db(now), last_error=None)
            )

    def mark_failed(self, item_id: int, error: str, now: datetime) -> datetime | None:
        """Record a failed attempt; the next one is due after ``backoff_delay(attempts)``.

        Returns when the next attempt is due (None when the row is delivered or unknown).
        """
        outbox = notification_outbox
        current = sa.select(outbox.c.attempts).where(
            outbox.c.id == item_id, outbox.c.state == PENDING
        )
        if self.backend == "postgresql":
            current = current.with_for_update()
        with self._guard("marking a notification failed"), self._engine.begin() as connection:
            attempts = connection.execute(current).scalar_one_or_none()
            if attempts is None:
                return None
            next_attempt = now + backoff_delay(int(attempts))
            connection.execute(
                outbox.update()
                .where(outbox.c.id == item_id, outbox.c.state == PENDING)
                .values(
                    last_error=error[:MAX_ERROR_LENGTH],
                    next_attempt_at=database.to_db(next_attempt),
                )
            )
        return next_attempt


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()
