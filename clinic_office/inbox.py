"""The unanswered-question inbox: what visitors asked that the assistant could not answer well.

Pure back office (no Rasa import), stored with SQLAlchemy Core in one database
(``INBOX_DATABASE_URL``, default ``inbox.db`` in the data folder, created readable by its
owner only). Nothing touches the database or the file system at import.

- An entry is one question: when, why it is here (``KINDS``: the assistant asked which topic
  was meant, did not understand, was asked something off topic, or an answer got a 👎), the
  question scrubbed of personal data (``scrub``), the assistant's topic guess and confidence,
  for a 👎 the topic that was answered, and what staff made of it (``STATUSES``, who, when).
  Nothing else from the conversation: no conversation id, no name, no contact, no booking.
- Nothing is stored from inside a form (the visitor is typing personal details there) nor
  from a message with red-flag talk (a safety event, not a gap in the FAQ): ``storable``.
- ``topic_counts``: per day and topic, how often it was answered, offered in a clarifying
  question, and rated helpful or not. Counts only, no text.
- ``InboxWriter`` is how the assistant writes: a failure (database down) is logged without
  any message text and the answer goes on; the database is not tried again for a while.
- Entries older than the retention period are deleted by ``InboxStore.purge``
  (``python -m clinic_office.retention``).

Times are timezone-aware UTC in this API and naive UTC in the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from clinic_office import config, database

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "INBOX_DATABASE_URL"
DATABASE_FILE = "inbox.db"

CLARIFIED = "clarified"
FALLBACK = "fallback"
OFF_TOPIC = "off_topic"
THUMBS_DOWN = "thumbs_down"
KINDS = (CLARIFIED, FALLBACK, OFF_TOPIC, THUMBS_DOWN)

OPEN = "open"
STATUSES = (OPEN, "added_as_example", "new_topic", "ignored")

ANSWERED = "answered"
CLARIFIED_COUNT = "clarified"
HELPFUL = "helpful"
NOT_HELPFUL = "not_helpful"
COUNTERS = (ANSWERED, CLARIFIED_COUNT, HELPFUL, NOT_HELPFUL)

MAX_QUESTION_LENGTH = 500
MAX_TOPIC_LENGTH = 100
MAX_CANDIDATES = 3
MAX_STAFF_NAME_LENGTH = 64
TOPIC_KEY = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")

DEFAULT_CONNECT_TIMEOUT = 2
SQLITE_BUSY_TIMEOUT = 3
DEFAULT_RETRY_SECONDS = 30.0
# how long an answer waits for the inbox at most (the write goes on in its thread)
DEFAULT_WAIT_SECONDS = 1.0

metadata = sa.MetaData()

entries = sa.Table(
    "inbox_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("question", sa.String(MAX_QUESTION_LENGTH), nullable=False),
    sa.Column("topic_guess", sa.String(MAX_TOPIC_LENGTH), nullable=True),
    # up to MAX_CANDIDATES topic keys, best first, comma-separated
    sa.Column("candidates", sa.String(4 * MAX_TOPIC_LENGTH), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("answered_topic", sa.String(MAX_TOPIC_LENGTH), nullable=True),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("resolved_by", sa.String(MAX_STAFF_NAME_LENGTH), nullable=True),
    sa.Column("resolved_at", sa.DateTime, nullable=True),
    sa.Index("ix_inbox_entries_status_created", "status", "created_at"),
    sa.Index("ix_inbox_entries_created", "created_at"),
)

topic_counts = sa.Table(
    "topic_counts",
    metadata,
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("topic", sa.String(MAX_TOPIC_LENGTH), nullable=False),
    sa.Column(ANSWERED, sa.Integer, nullable=False, default=0),
    sa.Column(CLARIFIED_COUNT, sa.Integer, nullable=False, default=0),
    sa.Column(HELPFUL, sa.Integer, nullable=False, default=0),
    sa.Column(NOT_HELPFUL, sa.Integer, nullable=False, default=0),
    sa.PrimaryKeyConstraint("day", "topic", name="pk_topic_counts"),
)


class InboxUnavailable(Exception):
    """The inbox database cannot be reached or refused the operation; nothing was stored."""


# --- scrubbing personal data (pure) -------------------------------------------------------

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_TLDS = r"com|org|net|co\.uk|org\.uk|nhs\.uk|uk|us|io|info|biz|edu|gov|me|health"
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# "sam at gmail dot com", "sam (at) example (dot) org"
_EMAIL_WORDS = re.compile(
    r"\b[\w.+-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[\w-]+"
    r"(?:\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*[a-z]{2,6}\b)+",
    re.IGNORECASE,
)
_URL = re.compile(
    rf"(?:\bhttps?://|\bwww\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/\S*)?",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b\d{1,2}([/.-])\d{1,2}\1(?:\d{4}|\d{2})\b(?![.:/-]\d)"
    r"|\b(?:19|20)\d{2}([/.-])\d{1,2}\2\d{1,2}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+(?:19|20)\d{{2}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b",
    re.IGNORECASE,
)
# a run of digits with spaces, dashes, dots or parentheses; ``_is_phone`` decides
_PHONE = re.compile(r"(?<![\w+])(?:\+|\b00)?\(?\d[\d \t().-]{5,}\d(?![\w])")
_YEARS = re.compile(r"(?:19|20)\d{2}\s*-\s*(?:19|20)\d{2}")
_UK_POSTCODE = re.compile(
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d(?!(?:st|nd|rd|th)\b)[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE
)
_ZIP_PLUS_4 = re.compile(r"(?<![\w.-])\d{5}-\d{4}(?![\w]|[.-]\d)")
_ZIP = re.compile(r"(?<![\w$£€.,])\d{5}(?:-\d{4})?(?![\w]|[.,]\d)")
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_NAME = re.compile(
    r"\b(my\s+name\s+is|my\s+name['’]s|call\s+me|i['’]?m|i\s+am|this\s+is)\s+"
    rf"((?:dr|mr|mrs|ms|miss|mx)\.?\s+)?({_NAME_WORD})(?:(\s+)({_NAME_WORD}))?",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# capitalised words after "I'm" or "this is" that are not names
_NOT_NAMES = _words(
    "a an the in on at not no so very just still really also here there back new sorry "
    "fine ok okay sure good well interested pregnant worried scared concerned having "
    "getting looking going trying wondering currently already always never only over "
    "under about from with without unable able happy glad diabetic asking calling "
    "writing hoping"
)
# words after a name that are not a surname
_NOT_SURNAMES = _NOT_NAMES | _words(
    "and but or i im i'm i’m my what how can could do does is was from please thanks thank "
    "who we when where why will would should have has had it its it's to for"
)


def _is_phone(match: re.Match[str]) -> bool:
    run = match.group(0)
    digits = sum(ch.isdigit() for ch in run)
    if digits < 7 or _YEARS.fullmatch(run.strip()):
        return False
    groups = re.findall(r"\d+", run)
    # "10.30-11.30": short groups and few digits are times, not a number to call
    return not (digits < 9 and all(len(group) <= 2 for group in groups))


def _phone(match: re.Match[str]) -> str:
    return "[phone]" if _is_phone(match) else match.group(0)


def _name(match: re.Match[str]) -> str:
    cue, title, first, gap, second = match.groups()
    strict = not re.match(r"(my|call)\b", cue, re.IGNORECASE)
    if first.lower() in _NOT_NAMES or (strict and not title and not first[0].isupper()):
        return match.group(0)
    rest = ""
    if second is not None and (
        second.lower() in _NOT_SURNAMES or (strict and not second[0].isupper())
    ):
        rest = f"{gap}{second}"
    return f"{cue} [name]{rest}"


def scrub(text: str) -> str:
    """``text`` with phone numbers, e-mail addresses, URLs, postcodes, dates with a year and
    stated names replaced by placeholders, at most ``MAX_QUESTION_LENGTH`` characters."""
    text = _EMAIL.sub("[email]", text)
    text = _EMAIL_WORDS.sub("[email]", text)
    text = _URL.sub("[url]", text)
    text = _DATE.sub("[date]", text)
    text = _ZIP_PLUS_4.sub("[postcode]", text)
    text = _PHONE.sub(_phone, text)
    text = _UK_POSTCODE.sub("[postcode]", text)
    text = _ZIP.sub("[postcode]", text)
    text = _NAME.sub(_name, text)
    return " ".join(text.split())[:MAX_QUESTION_LENGTH]


# --- what to store from a parsed message (pure) ---------------------------------------------


def _topic_key(value: object) -> str | None:
    key = str(value).removeprefix("faq/") if isinstance(value, str) else ""
    return key if TOPIC_KEY.fullmatch(key) else None


def _score(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0.0 <= value <= 1.0 else None


def storable(parse: Mapping[str, Any], active_loop: str | None) -> bool:
    """Whether a message may go to the inbox: typed by the visitor (not a button), outside
    every form, and with no red-flag talk (urgent, screened or ruled out)."""
    text = parse.get("text")
    if active_loop or not isinstance(text, str) or not text.strip() or text.startswith("/"):
        return False
    intent = parse.get("intent")
    if isinstance(intent, Mapping) and intent.get("name") == "urgent_symptoms":
        return False
    decision = parse.get("decision")
    triage = [
        parse.get("triage"),
        decision.get("triage") if isinstance(decision, Mapping) else None,
    ]
    return not any(triage) and not parse.get("red_flags")


@dataclass(frozen=True)
class NewEntry:
    """An inbox entry before it is stored (its question not yet scrubbed)."""

    kind: str
    question: str
    topic_guess: str | None = None
    confidence: float | None = None
    candidates: tuple[str, ...] = ()
    answered_topic: str | None = None


def entry_from_parse(
    kind: str,
    parse: Mapping[str, Any],
    active_loop: str | None = None,
    answered_topic: str | None = None,
) -> NewEntry | None:
    """The entry for a parsed message (Rasa's ``latest_message``), None when it may not be
    stored (``storable``). The guess: the decision's topic, else its first candidate."""
    if not storable(parse, active_loop):
        return None
    decision = parse.get("decision")
    decision = decision if isinstance(decision, Mapping) else {}
    raw = decision.get("candidates")
    candidates = tuple(
        key
        for key in (_topic_key(c) for c in (raw if isinstance(raw, list) else []))
        if key is not None
    )[:MAX_CANDIDATES]
    guess = _topic_key(decision.get("faq_topic")) or (candidates[0] if candidates else None)
    intent = parse.get("intent")
    score = _score(intent.get("confidence") if isinstance(intent, Mapping) else None)
    if score is None:
        score = _score(decision.get("confidence"))
    return NewEntry(
        kind=kind,
        question=str(parse["text"]),
        topic_guess=guess,
        confidence=score,
        candidates=candidates,
        answered_topic=answered_topic,
    )


# --- the store ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxEntry:
    """One stored inbox entry."""

    id: int
    created_at: datetime
    kind: str
    question: str
    topic_guess: str | None
    candidates: tuple[str, ...]
    confidence: float | None
    answered_topic: str | None
    status: str
    resolved_by: str | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class TopicCounts:
    """How often one topic was answered, offered, and rated, over some days."""

    answered: int = 0
    clarified: int = 0
    helpful: int = 0
    not_helpful: int = 0


def _from_db(value: datetime | None) -> datetime | None:
    return None if value is None else database.from_db(value)


def _checked_topic(topic: str | None, what: str) -> str | None:
    if topic is None:
        return None
    if not isinstance(topic, str) or not TOPIC_KEY.fullmatch(topic):
        raise ValueError(f"{what} must be a topic key such as session_length")
    return topic


def database_url(env: Mapping[str, str] | None = None) -> str:
    """``INBOX_DATABASE_URL``, else ``inbox.db`` in the data folder (``CLINIC_DATA_DIR``)."""
    source = os.environ if env is None else env
    given = source.get(DATABASE_URL_ENV, "").strip()
    if given:
        return given
    data_dir = config.current().data_dir if env is None else config.Settings.from_env(env).data_dir
    return f"sqlite:///{data_dir / DATABASE_FILE}"


private_sqlite_file = database.private_sqlite_file


class InboxStore(database.SqlStore):
    """Inbox entries and per-topic counts in one SQL database."""

    name = "inbox"
    unavailable = InboxUnavailable
    metadata = metadata

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        clock: Callable[[], datetime] = database.utc_now,
    ) -> None:
        """Prepare an engine for ``url`` (no connection yet; a SQLite file is made 0600).

        ``schema``: a database schema for the tables (PostgreSQL), None for the default.
        ``clock``: the current time (tests set it).
        """
        self._clock = clock
        self._open(
            url, schema, connect_timeout=DEFAULT_CONNECT_TIMEOUT, busy_timeout=SQLITE_BUSY_TIMEOUT
        )

    def record(
        self,
        kind: str,
        question: str,
        topic_guess: str | None,
        confidence: float | None,
        answered_topic: str | None = None,
        *,
        candidates: Sequence[str] = (),
    ) -> int | None:
        """Store an open entry with ``question`` scrubbed; its id (None: nothing left to keep).

        Raises ``ValueError`` for a kind or topic that cannot be, ``InboxUnavailable`` when
        the database fails.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        _checked_topic(topic_guess, "topic_guess")
        _checked_topic(answered_topic, "answered_topic")
        keys = [_checked_topic(key, "candidates") or "" for key in candidates][:MAX_CANDIDATES]
        if kind == THUMBS_DOWN and answered_topic is None:
            raise ValueError("a thumbs_down entry needs the answered topic")
        if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
            raise ValueError("confidence must be between 0 and 1")
        text = scrub(question)
        if not text:
            return None
        with self._guard("storing an entry"), self._engine.begin() as connection:
            result = connection.execute(
                entries.insert().values(
                    created_at=database.to_db(self._clock()),
                    kind=kind,
                    question=text,
                    topic_guess=topic_guess,
                    candidates=",".join(keys) or None,
                    confidence=None if confidence is None else float(confidence),
                    answered_topic=answered_topic,
                    status=OPEN,
                )
            )
            return int(result.inserted_primary_key[0])

    def add(self, entry: NewEntry) -> int | None:
        """``record`` for a ``NewEntry``."""
        return self.record(
            entry.kind,
            entry.question,
            entry.topic_guess,
            entry.confidence,
            entry.answered_topic,
            candidates=entry.candidates,
        )

    def count(self, topics: Iterable[str], counter: str) -> None:
        """Add one to today's ``counter`` (``COUNTERS``) of each topic. No text is kept."""
        if counter not in COUNTERS:
            raise ValueError(f"counter must be one of {COUNTERS}")
        keys = list(dict.fromkeys(_checked_topic(t, "topic") or "" for t in topics))
        if not keys:
            return
        day = self._clock().astimezone(timezone.utc).date()
        column = topic_counts.c[counter]
        with self._guard("counting"):
            for key in keys:
                self._increment(day, key, counter, column)

    def _increment(self, day: date, topic: str, counter: str, column: Any) -> None:
        where = (topic_counts.c.day == day, topic_counts.c.topic == topic)
        for _ in range(3):
            with self._engine.begin() as connection:
                updated = connection.execute(
                    topic_counts.update().where(*where).values({counter: column + 1})
                )
                if updated.rowcount:
                    return
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        topic_counts.insert().values(
                            {name: 0 for name in COUNTERS}
                            | {"day": day, "topic": topic}
                            | {counter: 1}
                        )
                    )
                return
            except IntegrityError:
                continue  # another process made today's row meanwhile: update it
        raise InboxUnavailable("could not count: the row kept changing")

    def open_entries(self, limit: int, kinds: Sequence[str] | None = None) -> list[InboxEntry]:
        """The newest open entries, at most ``limit``, of ``kinds`` (default: every kind)."""
        if kinds is not None and (isinstance(kinds, str) or set(kinds) - set(KINDS)):
            raise ValueError(f"kinds must be a sequence of {KINDS}")
        query = sa.select(entries).where(entries.c.status == OPEN)
        if kinds is not None:
            query = query.where(entries.c.kind.in_(list(kinds)))
        query = query.order_by(entries.c.created_at.desc(), entries.c.id.desc()).limit(
            max(0, int(limit))
        )
        with self._guard("reading the entries"), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_entry(row) for row in rows]

    def entry(self, entry_id: int) -> InboxEntry | None:
        """One entry, whatever its status; None when there is none with that id."""
        query = sa.select(entries).where(entries.c.id == entry_id)
        with self._guard("reading an entry"), self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _entry(row)

    def counts_by_topic(self, since: datetime) -> dict[str, TopicCounts]:
        """Each topic's counts summed from the UTC day of ``since`` to today."""
        first = database.to_db(since).date()
        columns = [sa.func.sum(topic_counts.c[name]).label(name) for name in COUNTERS]
        query = (
            sa.select(topic_counts.c.topic, *columns)
            .where(topic_counts.c.day >= first)
            .group_by(topic_counts.c.topic)
            .order_by(topic_counts.c.topic)
        )
        with self._guard("reading the counts"), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return {
            row.topic: TopicCounts(**{name: int(getattr(row, name) or 0) for name in COUNTERS})
            for row in rows
        }

    def resolve(self, entry_id: int, status: str, by: str) -> bool:
        """Set an entry's status, with who did it and when ("open" again clears both).

        False when there is no such entry.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        by = by.strip() if isinstance(by, str) else ""
        if status != OPEN and not 0 < len(by) <= MAX_STAFF_NAME_LENGTH:
            raise ValueError(f"by must be a staff user name of 1 to {MAX_STAFF_NAME_LENGTH}")
        values: dict[str, Any] = {"status": status, "resolved_by": None, "resolved_at": None}
        if status != OPEN:
            values |= {"resolved_by": by, "resolved_at": database.to_db(self._clock())}
        with self._guard("resolving an entry"), self._engine.begin() as connection:
            result = connection.execute(
                entries.update().where(entries.c.id == entry_id).values(values)
            )
        return bool(result.rowcount)

    def purge(self, before: datetime) -> int:
        """Delete every entry made before ``before``, whatever its status; how many went."""
        with self._guard("purging old entries"), self._engine.begin() as connection:
            result = connection.execute(
                entries.delete().where(entries.c.created_at < database.to_db(before))
            )
        return int(result.rowcount or 0)


def _entry(row: Any) -> InboxEntry:
    return InboxEntry(
        id=int(row.id),
        created_at=_from_db(row.created_at) or database.utc_now(),
        kind=row.kind,
        question=row.question,
        topic_guess=row.topic_guess,
        candidates=tuple(filter(None, (row.candidates or "").split(","))),
        confidence=None if row.confidence is None else float(row.confidence),
        answered_topic=row.answered_topic,
        status=row.status,
        resolved_by=row.resolved_by,
        resolved_at=_from_db(row.resolved_at),
    )


class InboxWriter:
    """The inbox as the assistant writes to it: the store is made on first use, and a failure
    is logged (never a message's text) and swallowed, so that an answer never stops for it.

    After a failure the database is left alone for ``retry_seconds``; one warning is logged
    when it stops answering, an info line when it answers again. ``add`` and ``count`` block;
    from async code, ``add_async`` and ``count_async`` run them in a thread and wait at most
    ``wait_seconds``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``url``: the inbox database (default: ``database_url()`` when first used)."""
        self._url = url
        self._retry_seconds = retry_seconds
        self._wait_seconds = wait_seconds
        self._clock = clock
        self._store: InboxStore | None = None
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._down = False

    def _opened(self) -> InboxStore:
        with self._lock:
            if self._store is None:
                store = InboxStore(self._url or database_url())
                try:
                    store.create_schema()
                except InboxUnavailable:
                    store.dispose()
                    raise
                self._store = store
            return self._store

    def _use(self, what: str, work: Callable[[InboxStore], object]) -> bool:
        if self._clock() < self._retry_at:
            return False
        try:
            work(self._opened())
        except (InboxUnavailable, config.ConfigError) as error:
            self._retry_at = self._clock() + self._retry_seconds
            if not self._down:
                self._down = True
                # the error names the database and the failure, never the question
                log.warning("inbox not stored (%s); answers go on without it", error)
            return False
        except ValueError as error:
            log.warning("inbox %s refused: %s", what, error)
            return False
        except Exception as error:  # never let the inbox stop an answer
            self._retry_at = self._clock() + self._retry_seconds
            # only the type: a database error's text can hold the statement's values
            log.warning("inbox %s failed (%s)", what, type(error).__name__)
            return False
        if self._down:
            self._down = False
            log.info("inbox database answers again")
        return True

    def add(self, entry: NewEntry) -> bool:
        """Store ``entry``; False when it was not stored."""
        return self._use("entry", lambda store: store.add(entry))

    def count(self, topics: Iterable[str], counter: str) -> bool:
        """Add one to today's ``counter`` of each topic; False when it was not counted."""
        keys = list(topics)
        return self._use("count", lambda store: store.count(keys, counter))

    async def _in_thread(self, work: Callable[[], bool]) -> bool:
        try:
            return await asyncio.wait_for(asyncio.to_thread(work), self._wait_seconds)
        except asyncio.TimeoutError:
            # the write goes on in its thread; the answer does not wait for it
            log.warning("inbox write slower than %.1f s; the answer went on", self._wait_seconds)
            return False

    async def add_async(self, entry: NewEntry) -> bool:
        """``add`` in a thread, waited for at most ``wait_seconds``."""
        return await self._in_thread(lambda: self.add(entry))

    async def count_async(self, topics: Iterable[str], counter: str) -> bool:
        """``count`` in a thread, waited for at most ``wait_seconds``."""
        keys = [key for key in topics if key]
        return bool(keys) and await self._in_thread(lambda: self.count(keys, counter))

    def close(self) -> None:
        """Close the store's connections."""
        with self._lock:
            if self._store is not None:
                self._store.dispose()
                self._store = None
