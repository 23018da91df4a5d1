"""Staff accounts of the studio: roles, passwords, sessions, sign-in throttling and the audit log.

Pure back office (no Rasa import), stored with SQLAlchemy Core in one database
(``STAFF_DATABASE_URL``, default ``staff.db`` in the data folder, created readable by its
owner only). Nothing touches the database or the file system at import.

- Accounts: a user name, an argon2id hash (``argon2.PasswordHasher``; a hash made with older
  parameters is replaced at the next sign-in), a role (``editor`` drafts, ``publisher`` drafts
  and publishes), when it was made, and whether it is disabled. Passwords have at least
  ``MIN_PASSWORD_LENGTH`` characters.
- Sessions are server-side: the browser holds a random token, the database only its SHA-256.
  A session ends after ``SESSION_LIFETIME`` (8 hours), or ``SESSION_IDLE`` (30 minutes)
  without a request, or at sign-out. Its CSRF token is derived from the session token, so it
  is stored nowhere.
- Throttling: after ``USER_FAILURE_LIMIT`` failed sign-ins for one user name, or
  ``ADDRESS_FAILURE_LIMIT`` from one address, within ``THROTTLE_WINDOW``, sign-in is refused
  for ``LOCKOUT``, whether or not the user exists (failures are kept under hashes of the name
  and the address, never the name typed). An unknown user name costs the same password check
  as a known one.
- The audit log: time, user, action, detail. Never a password, a token or visitor data.

Command line (the password is asked for twice, or read from standard input when it is not a
terminal; never from an argument)::

    python -m clinic_office.staff_accounts add --user NAME --role editor|publisher
    python -m clinic_office.staff_accounts list
    python -m clinic_office.staff_accounts disable --user NAME
    python -m clinic_office.staff_accounts enable --user NAME
    python -m clinic_office.staff_accounts set-password --user NAME

Times are timezone-aware UTC in this API and naive UTC in the database.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from clinic_office import config, database

log = logging.getLogger(__name__)

EDITOR = "editor"
PUBLISHER = "publisher"
ROLES = (EDITOR, PUBLISHER)
# what each role may do includes everything of the roles ranked below it
_ROLE_RANK = {EDITOR: 1, PUBLISHER: 2}

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_USER_NAME_LENGTH = 64
_USER_NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")

SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE = timedelta(minutes=30)
THROTTLE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
USER_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128

# the audit actions of this module; other parts of the studio add theirs (topic_saved...)
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_LOCKED = "sign_in_locked"
SIGN_OUT = "sign_out"
ACCOUNT_CREATED = "account_created"
ACCOUNT_DISABLED = "account_disabled"
ACCOUNT_ENABLED = "account_enabled"
PASSWORD_CHANGED = "password_changed"
_ACTION = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_DETAIL_LENGTH = 500

DEFAULT_CONNECT_TIMEOUT = 5
SQLITE_BUSY_TIMEOUT = 15

metadata = sa.MetaData()

accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_name", sa.String(MAX_USER_NAME_LENGTH), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.UniqueConstraint("user_name", name="uq_staff_accounts_user_name"),
)

sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_name",
        sa.String(MAX_USER_NAME_LENGTH),
        sa.ForeignKey("staff_accounts.user_name", name="fk_staff_sessions_account"),
        nullable=False,
    ),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Index("ix_staff_sessions_user_name", "user_name"),
)

sign_in_failures = sa.Table(
    "staff_sign_in_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # SHA-256 of "user:<name>" or "address:<address>": never the name typed
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_staff_sign_in_failures_key", "key_hash", "at"),
)

audit_log = sa.Table(
    "staff_audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("user_name", sa.String(MAX_USER_NAME_LENGTH), nullable=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("detail", sa.String(MAX_DETAIL_LENGTH), nullable=False),
    sa.Index("ix_staff_audit_log_at", "at", "id"),
)


class AccountError(ValueError):
    """An account cannot be made or changed this way; the message says why, kindly."""


class StaffStoreUnavailable(Exception):
    """The staff database cannot be reached or refused the operation."""


@dataclass(frozen=True)
class Account:
    """A staff member's account (never the password hash)."""

    user_name: str
    role: str
    created_at: datetime
    disabled: bool = False

    def can(self, role: str) -> bool:
        """Whether this account may do what ``role`` may (a publisher may do all an editor may)."""
        return not self.disabled and _ROLE_RANK.get(self.role, 0) >= _ROLE_RANK[role]


@dataclass(frozen=True)
class StaffSession:
    """A signed-in session: whose, since when, and the CSRF token its forms carry."""

    account: Account
    created_at: datetime
    last_seen_at: datetime
    csrf: str = field(repr=False)


@dataclass(frozen=True)
class SignIn:
    """The outcome of ``StaffStore.sign_in``: ``session`` and ``token`` are set on success."""

    # "signed_in", "refused" (wrong name or password, or disabled) or "throttled"
    status: str
    session: StaffSession | None = None
    token: str = field(default="", repr=False)


SIGNED_IN = "signed_in"
REFUSED = "refused"
THROTTLED = "throttled"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    user_name: str | None
    action: str
    detail: str


def normalize_user_name(raw: str) -> str:
    """A user name as stored and compared: without surrounding spaces, lower case."""
    return raw.strip().lower()


def check_user_name(user_name: str) -> str:
    """``user_name`` normalised; raises ``AccountError`` when it cannot be one."""
    name = normalize_user_name(user_name)
    if not _USER_NAME.fullmatch(name):
        raise AccountError(
            "a user name has 1 to 64 characters: letters, digits and . _ @ + -, "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> None:
    """Raise ``AccountError`` unless ``password`` may be a staff password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def check_role(role: str) -> str:
    """``role`` when it is one of ``ROLES``; raises ``AccountError`` otherwise."""
    if role not in ROLES:
        raise AccountError(f"the role must be {EDITOR} or {PUBLISHER}")
    return role


def new_token() -> str:
    """A new session token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def csrf_for(token: str) -> str:
    """The CSRF token of the session whose token is ``token`` (an HMAC, so stored nowhere)."""
    key = token.encode("utf-8", "surrogateescape")
    return hmac.new(key, b"staff-studio-csrf", hashlib.sha256).hexdigest()


def same_token(given: str, expected: str) -> bool:
    """Whether two tokens are equal, compared in constant time (never equal when empty)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def throttle_keys(user_name: str, address: str) -> tuple[str, str]:
    """The keys failures are counted under: one for the user name, one for the address."""
    user = hashlib.sha256(f"user:{normalize_user_name(user_name)}".encode()).hexdigest()
    place = hashlib.sha256(f"address:{address}".encode()).hexdigest()
    return user, place


def locked_until(
    failures: Sequence[datetime],
    now: datetime,
    limit: int,
    window: timedelta = THROTTLE_WINDOW,
    lockout: timedelta = LOCKOUT,
) -> datetime | None:
    """When sign-in reopens for a key that failed at ``failures``; None when it is open.

    ``limit`` failures within ``window`` close it for ``lockout`` from the last of them.
    """
    times = sorted(failures)
    reopens: datetime | None = None
    for last in range(limit - 1, len(times)):
        if times[last] - times[last - limit + 1] <= window:
            until = times[last] + lockout
            if until > now and (reopens is None or until > reopens):
                reopens = until
    return reopens


def session_expired(created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """Whether a session made at ``created_at`` and last used at ``last_seen_at`` has ended."""
    return now >= created_at + SESSION_LIFETIME or now >= last_seen_at + SESSION_IDLE


def _account(row: Any) -> Account:
    return Account(
        user_name=row.user_name,
        role=row.role,
        created_at=database.from_db(row.created_at),
        disabled=bool(row.disabled),
    )


private_sqlite_file = database.private_sqlite_file


class StaffStore(database.SqlStore):
    """Staff accounts, sessions, sign-in failures and the audit log in one SQL database."""

    name = "staff"
    unavailable = StaffStoreUnavailable
    metadata = metadata

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        clock: Callable[[], datetime] = database.utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        """Prepare an engine for ``url`` (no connection yet; a SQLite file is made 0600).

        ``schema``: a database schema for the tables (PostgreSQL), None for the default.
        ``clock``: the current time (tests set it). ``hasher``: argon2id with RFC 9106's
        low-memory parameters unless given.
        """
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = ""
        self._open(
            url, schema, connect_timeout=DEFAULT_CONNECT_TIMEOUT, busy_timeout=SQLITE_BUSY_TIMEOUT
        )

    # accounts

    def count_accounts(self) -> int:
        """How many accounts exist, disabled ones included."""
        with self._guard("counting accounts"), self._engine.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(accounts)).scalar()
        return int(count or 0)

    def add_account(self, user_name: str, password: str, role: str, *, how: str = "") -> Account:
        """Make an account; raises ``AccountError`` (name taken, short password, bad role).

        ``how``: a few words for the audit log on how it was made ("command line"...).
        """
        name = check_user_name(user_name)
        check_role(role)
        check_password(password)
        password_hash = self._hasher.hash(password)
        now = self._clock()
        with self._guard("adding an account"):
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        accounts.insert().values(
                            user_name=name,
                            password_hash=password_hash,
                            role=role,
                            created_at=database.to_db(now),
                            disabled=False,
                        )
                    )
                    detail = f"role {role}; {how}".strip("; ")
                    self._record(connection, name, ACCOUNT_CREATED, detail)
            except IntegrityError:
                raise AccountError("that user name is taken") from None
        return Account(user_name=name, role=role, created_at=now.astimezone(timezone.utc))

    def account(self, user_name: str) -> Account | None:
        """The account of ``user_name``, or None."""
        name = normalize_user_name(user_name)
        with self._guard("reading an account"), self._engine.connect() as connection:
            row = connection.execute(
                sa.select(accounts).where(accounts.c.user_name == name)
            ).first()
        return None if row is None else _account(row)

    def list_accounts(self) -> list[Account]:
        """Every account, oldest first."""
        with self._guard("listing accounts"), self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(accounts).order_by(accounts.c.created_at, accounts.c.id)
            ).all()
        return [_account(row) for row in rows]

    def disable(self, user_name: str) -> None:
        """Disable an account and end its sessions; raises ``AccountError`` when unknown."""
        self._set_disabled(user_name, True)

    def enable(self, user_name: str) -> None:
        """Let a disabled account sign in again; raises ``AccountError`` when unknown."""
        self._set_disabled(user_name, False)

    def _set_disabled(self, user_name: str, disabled: bool) -> None:
        name = normalize_user_name(user_name)
        doing = "disabling an account" if disabled else "enabling an account"
        with self._guard(doing), self._engine.begin() as connection:
            changed = connection.execute(
                accounts.update().where(accounts.c.user_name == name).values(disabled=disabled)
            ).rowcount
            if not changed:
                raise AccountError("there is no account with that user name")
            if disabled:
                connection.execute(sa.delete(sessions).where(sessions.c.user_name == name))
            self._record(connection, name, ACCOUNT_DISABLED if disabled else ACCOUNT_ENABLED, "")

    def set_password(self, user_name: str, password: str) -> None:
        """Give an account a new password and end its sessions; raises ``AccountError``."""
        name = normalize_user_name(user_name)
        check_password(password)
        password_hash = self._hasher.hash(password)
        with self._guard("changing a password"), self._engine.begin() as connection:
            changed = connection.execute(
                accounts.update()
                .where(accounts.c.user_name == name)
                .values(password_hash=password_hash)
            ).rowcount
            if not changed:
                raise AccountError("there is no account with that user name")
            connection.execute(sa.delete(sessions).where(sessions.c.user_name == name))
            self._record(connection, name, PASSWORD_CHANGED, "")

    def bootstrap(self, user_name: str, password: str) -> bool:
        """Make ``user_name`` a publisher when there is no account at all; whether it did.

        Raises ``AccountError`` when the name or password cannot be used.
        """
        if not user_name or not password or self.count_accounts():
            return False
        try:
            self.add_account(user_name, password, PUBLISHER, how="STAFF_ADMIN_USER at start")
        except AccountError:
            if self.count_accounts():  # another process made the first account meanwhile
                return False
            raise
        return True

    # signing in and out

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if not self._dummy_hash:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def sign_in(self, user_name: str, password: str, address: str) -> SignIn:
        """Check a name and password from ``address``; a new session when they are right.

        Refused alike for an unknown name, a wrong password and a disabled account, after a
        password check of the same cost; "throttled" (nothing checked) while too many recent
        failures for the name or the address hold sign-in closed.
        """
        now = self._clock()
        name = normalize_user_name(user_name)
        user_key, address_key = throttle_keys(name, address)
        with self._guard("signing in"):
            if self._closed(user_key, address_key, now):
                return SignIn(THROTTLED)
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(accounts).where(accounts.c.user_name == name)
                ).first()
            too_long = len(password) > MAX_PASSWORD_LENGTH
            if row is None:
                self._verify(self._dummy(), password[:MAX_PASSWORD_LENGTH])
                return self._failed(None, "unknown user name", user_key, address_key, now)
            right = self._verify(row.password_hash, password[:MAX_PASSWORD_LENGTH])
            if not right or too_long:
                return self._failed(name, "wrong password", user_key, address_key, now)
            if row.disabled:
                return self._failed(name, "account disabled", user_key, address_key, now)
            token = new_token()
            with self._engine.begin() as connection:
                if self._hasher.check_needs_rehash(row.password_hash):
                    connection.execute(
                        accounts.update()
                        .where(accounts.c.id == row.id)
                        .values(password_hash=self._hasher.hash(password))
                    )
                connection.execute(
                    sa.delete(sign_in_failures).where(sign_in_failures.c.key_hash == user_key)
                )
                connection.execute(
                    sa.delete(sessions).where(
                        sa.or_(
                            sessions.c.created_at <= database.to_db(now - SESSION_LIFETIME),
                            sessions.c.last_seen_at <= database.to_db(now - SESSION_IDLE),
                        )
                    )
                )
                connection.execute(
                    sessions.insert().values(
                        token_hash=hash_token(token),
                        user_name=name,
                        created_at=database.to_db(now),
                        last_seen_at=database.to_db(now),
                    )
                )
                self._record(connection, name, SIGN_IN, "")
        log.info("staff sign-in")
        session = StaffSession(_account(row), now, now, csrf_for(token))
        return SignIn(SIGNED_IN, session=session, token=token)

    def _closed(self, user_key: str, address_key: str, now: datetime) -> bool:
        since = database.to_db(now - THROTTLE_WINDOW - LOCKOUT)
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(sign_in_failures.c.key_hash, sign_in_failures.c.at).where(
                    sign_in_failures.c.key_hash.in_((user_key, address_key)),
                    sign_in_failures.c.at > since,
                )
            ).all()
        by_user = [database.from_db(row.at) for row in rows if row.key_hash == user_key]
        by_address = [database.from_db(row.at) for row in rows if row.key_hash == address_key]
        return (
            locked_until(by_user, now, USER_FAILURE_LIMIT) is not None
            or locked_until(by_address, now, ADDRESS_FAILURE_LIMIT) is not None
        )

    def _failed(
        self, name: str | None, why: str, user_key: str, address_key: str, now: datetime
    ) -> SignIn:
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(sign_in_failures).where(
                    sign_in_failures.c.at <= database.to_db(now - THROTTLE_WINDOW - LOCKOUT)
                )
            )
            connection.execute(
                sign_in_failures.insert(),
                [{"key_hash": key, "at": database.to_db(now)} for key in (user_key, address_key)],
            )
            self._record(connection, name, SIGN_IN_FAILED, why)
        if self._closed(user_key, address_key, now):
            self.record(name, SIGN_IN_LOCKED, "sign-in closed for 15 minutes after failures")
        log.info("staff sign-in refused")
        return SignIn(REFUSED)

    def session(self, token: str) -> StaffSession | None:
        """The live session of ``token`` (its last use now), or None; an ended one is deleted."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        now = self._clock()
        key = hash_token(token)
        query = (
            sa.select(
                sessions.c.created_at.label("session_created_at"),
                sessions.c.last_seen_at.label("session_last_seen_at"),
                accounts,
            )
            .select_from(sessions.join(accounts, sessions.c.user_name == accounts.c.user_name))
            .where(sessions.c.token_hash == key)
        )
        with self._guard("reading a session"), self._engine.begin() as connection:
            row = connection.execute(query).first()
            if row is None:
                return None
            created = database.from_db(row.session_created_at)
            last_seen = database.from_db(row.session_last_seen_at)
            if row.disabled or session_expired(created, last_seen, now):
                connection.execute(sa.delete(sessions).where(sessions.c.token_hash == key))
                return None
            connection.execute(
                sessions.update()
                .where(sessions.c.token_hash == key)
                .values(last_seen_at=database.to_db(now))
            )
        return StaffSession(_account(row), created, now, csrf_for(token))

    def sign_out(self, token: str) -> bool:
        """End the session of ``token``; whether there was one."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return False
        key = hash_token(token)
        with self._guard("signing out"), self._engine.begin() as connection:
            name = connection.execute(
                sa.select(sessions.c.user_name).where(sessions.c.token_hash == key)
            ).scalar_one_or_none()
            if name is None:
                return False
            connection.execute(sa.delete(sessions).where(sessions.c.token_hash == key))
            self._record(connection, str(name), SIGN_OUT, "")
        log.info("staff sign-out")
        return True

    # the audit log

    def record(self, user_name: str | None, action: str, detail: str = "") -> None:
        """Add to the audit log: who (or None), what (``topic_saved``...), a short detail.

        Never pass a password, a token or anything a visitor wrote.
        """
        with self._guard("writing the audit log"), self._engine.begin() as connection:
            self._record(connection, user_name, action, detail)

    def _record(
        self, connection: sa.engine.Connection, user_name: str | None, action: str, detail: str
    ) -> None:
        if not _ACTION.fullmatch(action):
            raise ValueError(f"an audit action is a short snake_case word, not {action!r}")
        name = None if user_name is None else normalize_user_name(user_name)[:MAX_USER_NAME_LENGTH]
        connection.execute(
            audit_log.insert().values(
                at=database.to_db(self._clock()),
                user_name=name,
                action=action,
                detail=detail[:MAX_DETAIL_LENGTH],
            )
        )
        log.debug("staff audit: %s", action)

    def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """The newest ``limit`` lines of the audit log, oldest first."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(max(limit, 0))
        with self._guard("reading the audit log"), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            AuditEntry(database.from_db(row.at), row.user_name, row.action, row.detail)
            for row in reversed(rows)
        ]


# the command line


def read_password(stdin: TextIO, confirm: bool = True) -> str:
    """A password asked for on the terminal (twice), or the first line of ``stdin`` otherwise."""
    if stdin.isatty():
        password = getpass.getpass("Password (at least 12 characters): ")
        if confirm and getpass.getpass("The same password again: ") != password:
            raise AccountError("the two passwords differ")
        return password
    return stdin.readline().rstrip("\r\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clinic_office.staff_accounts",
        description="Staff accounts of the studio. Passwords are asked for, never arguments.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="make an account", allow_abbrev=False)
    add.add_argument("--user", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    commands.add_parser("list", help="the accounts as JSON lines", allow_abbrev=False)
    disable = commands.add_parser("disable", help="disable an account", allow_abbrev=False)
    disable.add_argument("--user", required=True)
    enable = commands.add_parser(
        "enable", help="let a disabled account sign in again", allow_abbrev=False
    )
    enable.add_argument("--user", required=True)
    change = commands.add_parser("set-password", help="a new password", allow_abbrev=False)
    change.add_argument("--user", required=True)
    return parser


def run(args: argparse.Namespace, store: StaffStore, stdin: TextIO, stdout: TextIO) -> None:
    """Carry out one parsed command on ``store``; raises ``AccountError``."""
    if args.command == "add":
        name = check_user_name(args.user)
        password = read_password(stdin)
        account = store.add_account(name, password, args.role, how="command line")
        print(f"account {account.user_name} made ({account.role})", file=stdout)
    elif args.command == "list":
        for item in store.list_accounts():
            entry = {
                "user": item.user_name,
                "role": item.role,
                "created_at": item.created_at.isoformat(),
                "disabled": item.disabled,
            }
            print(json.dumps(entry), file=stdout)
    elif args.command == "disable":
        store.disable(args.user)
        print(f"account {normalize_user_name(args.user)} disabled", file=stdout)
    elif args.command == "enable":
        store.enable(args.user)
        print(f"account {normalize_user_name(args.user)} enabled", file=stdout)
    elif args.command == "set-password":
        if store.account(args.user) is None:
            raise AccountError("there is no account with that user name")
        store.set_password(args.user, read_password(stdin))
        print(f"password of {normalize_user_name(args.user)} changed", file=stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: 0 done, 1 refused or database unavailable, 2 usage."""
    args = _parser().parse_args(argv)
    try:
        url = config.current().staff_database_url
    except config.ConfigError as error:
        print(f"staff accounts: {error}", file=sys.stderr)
        return 2
    try:
        store = StaffStore(url)
    except StaffStoreUnavailable as error:
        print(f"staff accounts: {error}", file=sys.stderr)
        return 1
    try:
        store.create_schema()
        run(args, store, sys.stdin, sys.stdout)
    except (AccountError, StaffStoreUnavailable) as error:
        print(f"staff accounts: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("", file=sys.stderr)
        return 1
    finally:
        with suppress(Exception):
            store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
