"""Staff accounts on SQLite and on PostgreSQL: passwords, throttling, sessions, audit, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import argon2
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from clinic_office import staff_accounts
from clinic_office.staff_accounts import (
    ADDRESS_FAILURE_LIMIT,
    LOCKOUT,
    REFUSED,
    SESSION_IDLE,
    SESSION_LIFETIME,
    SIGNED_IN,
    THROTTLED,
    USER_FAILURE_LIMIT,
    Account,
    AccountError,
    StaffStore,
    csrf_for,
    hash_token,
    locked_until,
    read_password,
)

PYTHON = sys.executable
T0 = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)
# cheap parameters for speed; the web tests and the CLI use the real defaults
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
OTHER_PASSWORD = "another long passphrase"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'staff.db'}", None
    url, schema = request.getfixturevalue("postgres_schema")
    return url, schema


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database: tuple[str, str | None], clock: Clock) -> Iterator[StaffStore]:
    url, schema = database
    made = StaffStore(url, schema=schema, clock=clock, hasher=FAST)
    made.create_schema()
    yield made
    made.dispose()


def rows(database: tuple[str, str | None], table: sa.Table) -> list[sa.engine.Row]:
    """Every row of one of the store's tables, read straight from the database."""
    url, schema = database
    engine = sa.create_engine(url, future=True)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.select(table)).all())
    finally:
        engine.dispose()


# accounts and passwords


def test_a_password_is_kept_as_an_argon2id_hash_and_verified(
    store: StaffStore, database: tuple[str, str | None]
) -> None:
    store.add_account("Ana", PASSWORD, "publisher")
    (row,) = rows(database, staff_accounts.accounts)
    assert row.user_name == "ana"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    outcome = store.sign_in("ana", PASSWORD, "10.0.0.1")
    assert outcome.status == SIGNED_IN and outcome.session is not None
    assert outcome.session.account.user_name == "ana"
    assert outcome.session.account.role == "publisher"


@pytest.mark.parametrize(
    ("user", "password"),
    [("ana", "correct horse battery!"), ("ana", ""), ("ana", "x" * 5000), ("nobody", PASSWORD)],
)
def test_a_wrong_password_or_an_unknown_name_is_refused(
    store: StaffStore, user: str, password: str
) -> None:
    store.add_account("ana", PASSWORD, "editor")
    outcome = store.sign_in(user, password, "10.0.0.1")
    assert outcome.status == REFUSED
    assert outcome.session is None and outcome.token == ""


def test_a_disabled_account_cannot_sign_in_and_loses_its_sessions(store: StaffStore) -> None:
    store.add_account("ana", PASSWORD, "editor")
    token = store.sign_in("ana", PASSWORD, "10.0.0.1").token
    store.disable("ana")
    assert store.session(token) is None
    assert store.sign_in("ana", PASSWORD, "10.0.0.1").status == REFUSED
    assert store.account("ana") == Account("ana", "editor", T0, disabled=True)
    store.enable("ana")  # signs in again, with a new session; the old one stays ended
    assert store.sign_in("ana", PASSWORD, "10.0.0.1").status == SIGNED_IN
    assert store.session(token) is None
    with pytest.raises(AccountError, match="no account"):
        store.enable("nobody")


@pytest.mark.parametrize("password", ["", "short", "eleven char"])
def test_a_short_password_is_refused(store: StaffStore, password: str) -> None:
    with pytest.raises(AccountError, match="at least 12 characters"):
        store.add_account("ana", password, "editor")
    store.add_account("ana", PASSWORD, "editor")
    with pytest.raises(AccountError, match="at least 12 characters"):
        store.set_password("ana", password)
    assert store.sign_in("ana", PASSWORD, "10.0.0.1").status == SIGNED_IN


@pytest.mark.parametrize(
    ("user", "role", "message"),
    [
        ("ana", "admin", "role"),
        ("", "editor", "user name"),
        ("an a", "editor", "user name"),
        ("a" * 65, "editor", "user name"),
        ("-ana", "editor", "user name"),
    ],
)
def test_a_wrong_name_or_role_is_refused(
    store: StaffStore, user: str, role: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        store.add_account(user, PASSWORD, role)
    assert store.count_accounts() == 0


def test_a_user_name_is_taken_once_whatever_its_case(store: StaffStore) -> None:
    store.add_account("ana", PASSWORD, "editor")
    with pytest.raises(AccountError, match="taken"):
        store.add_account(" ANA ", OTHER_PASSWORD, "publisher")
    assert [a.user_name for a in store.list_accounts()] == ["ana"]


def test_a_hash_made_with_old_parameters_is_replaced_at_sign_in(
    database: tuple[str, str | None], clock: Clock
) -> None:
    url, schema = database
    old = StaffStore(url, schema=schema, clock=clock, hasher=FAST)
    old.create_schema()
    old.add_account("ana", PASSWORD, "editor")
    old.dispose()
    stronger = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    new = StaffStore(url, schema=schema, clock=clock, hasher=stronger)
    try:
        assert new.sign_in("ana", PASSWORD, "10.0.0.1").status == SIGNED_IN
    finally:
        new.dispose()
    (row,) = rows(database, staff_accounts.accounts)
    parameters = argon2.extract_parameters(row.password_hash)
    assert (parameters.time_cost, parameters.memory_cost) == (2, 1024)
    assert stronger.verify(row.password_hash, PASSWORD)


def test_changing_a_password_ends_the_sessions_and_is_audited(store: StaffStore) -> None:
    store.add_account("ana", PASSWORD, "editor")
    token = store.sign_in("ana", PASSWORD, "10.0.0.1").token
    store.set_password("ana", OTHER_PASSWORD)
    assert store.session(token) is None
    assert store.sign_in("ana", PASSWORD, "10.0.0.1").status == REFUSED
    assert store.sign_in("ana", OTHER_PASSWORD, "10.0.0.1").status == SIGNED_IN
    assert "password_changed" in [entry.action for entry in store.audit_entries()]
    with pytest.raises(AccountError, match="no account"):
        store.set_password("nobody", OTHER_PASSWORD)


# throttling


def test_five_failures_for_a_name_close_it_for_fifteen_minutes(
    store: StaffStore, clock: Clock
) -> None:
    store.add_account("ana", PASSWORD, "editor")
    store.add_account("bob", PASSWORD, "editor")
    for attempt in range(USER_FAILURE_LIMIT):
        assert (
            store.sign_in("ana", f"wrong guess {attempt}!", f"10.0.0.{attempt}").status == REFUSED
        )
        clock.advance(seconds=10)
    # even the right password, from a new address, waits
    assert store.sign_in("ANA", PASSWORD, "10.9.9.9").status == THROTTLED
    assert store.sign_in("bob", PASSWORD, "10.0.0.1").status == SIGNED_IN
    clock.now = (
        T0 + timedelta(seconds=10 * (USER_FAILURE_LIMIT - 1)) + LOCKOUT - timedelta(seconds=1)
    )
    assert store.sign_in("ana", PASSWORD, "10.9.9.9").status == THROTTLED
    clock.advance(seconds=2)
    assert store.sign_in("ana", PASSWORD, "10.9.9.9").status == SIGNED_IN
    assert "sign_in_locked" in [entry.action for entry in store.audit_entries()]


def test_an_unknown_name_is_throttled_like_a_known_one(store: StaffStore) -> None:
    store.add_account("ana", PASSWORD, "editor")
    for name in ("ana", "ghost"):
        for _ in range(USER_FAILURE_LIMIT):
            assert store.sign_in(name, "wrong password!", "10.0.0.1").status == REFUSED
        assert store.sign_in(name, "wrong password!", "10.0.0.1").status == THROTTLED


def test_failures_spread_wider_than_the_window_do_not_close_a_name(
    store: StaffStore, clock: Clock
) -> None:
    store.add_account("ana", PASSWORD, "editor")
    for _ in range(3 * USER_FAILURE_LIMIT):
        assert store.sign_in("ana", "wrong password!", "10.0.0.1").status == REFUSED
        clock.advance(minutes=4)
    assert store.sign_in("ana", PASSWORD, "10.0.0.1").status == SIGNED_IN


def test_twenty_failures_from_an_address_close_it(store: StaffStore, clock: Clock) -> None:
    store.add_account("ana", PASSWORD, "editor")
    for attempt in range(ADDRESS_FAILURE_LIMIT):
        name = f"guess{attempt}"
        assert store.sign_in(name, "wrong password!", "203.0.113.7").status == REFUSED
        clock.advance(seconds=5)
    assert store.sign_in("ana", PASSWORD, "203.0.113.7").status == THROTTLED
    assert store.sign_in("ana", PASSWORD, "198.51.100.1").status == SIGNED_IN
    clock.advance(minutes=15)
    assert store.sign_in("ana", PASSWORD, "203.0.113.7").status == SIGNED_IN


def test_failures_are_kept_under_hashes_never_the_name_typed(
    store: StaffStore, database: tuple[str, str | None]
) -> None:
    typed = "hunter2-typed-as-a-name"
    store.sign_in(typed, "wrong password!", "10.0.0.1")
    kept = rows(database, staff_accounts.sign_in_failures)
    assert len(kept) == 2
    assert all(typed not in row.key_hash and "10.0.0.1" not in row.key_hash for row in kept)
    assert all(
        typed not in (entry.user_name or "") + entry.detail for entry in store.audit_entries()
    )


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ([], None),
        ([0, 1, 2, 3], None),  # four: open
        ([0, 1, 2, 3, 4], 19),  # the fifth closes it for 15 minutes from then
        ([0, 4, 8, 12, 16, 20], None),  # never five within 15 minutes
        ([0, 1, 2, 3, 15], 30),
        ([0, 1, 2, 3, 4, 5, 6], 21),
    ],
)
def test_when_sign_in_reopens(minutes: list[int], expected: int | None) -> None:
    failures = [T0 + timedelta(minutes=m) for m in minutes]
    now = T0 + timedelta(minutes=(minutes[-1] if minutes else 0), seconds=1)
    reopens = locked_until(failures, now, limit=5)
    assert reopens == (None if expected is None else T0 + timedelta(minutes=expected))


# sessions


def test_the_database_keeps_only_the_tokens_hash(
    store: StaffStore, database: tuple[str, str | None]
) -> None:
    store.add_account("ana", PASSWORD, "editor")
    outcome = store.sign_in("ana", PASSWORD, "10.0.0.1")
    assert len(outcome.token) >= 43  # 32 random bytes
    (row,) = rows(database, staff_accounts.sessions)
    assert row.token_hash == hashlib.sha256(outcome.token.encode()).hexdigest()
    assert outcome.token not in repr(tuple(row))
    assert outcome.session is not None and outcome.session.csrf == csrf_for(outcome.token)
    assert outcome.session.csrf != outcome.token and outcome.session.csrf != row.token_hash


def test_a_session_ends_after_thirty_idle_minutes(store: StaffStore, clock: Clock) -> None:
    store.add_account("ana", PASSWORD, "editor")
    token = store.sign_in("ana", PASSWORD, "10.0.0.1").token
    clock.advance(minutes=29)
    assert store.session(token) is not None
    clock.advance(minutes=29)  # 58 minutes in, 29 idle
    assert store.session(token) is not None
    clock.advance(seconds=SESSION_IDLE.total_seconds())
    assert store.session(token) is None
    clock.now = T0
    assert store.session(token) is None  # the ended session was deleted


def test_a_session_ends_after_eight_hours_however_busy(store: StaffStore, clock: Clock) -> None:
    store.add_account("ana", PASSWORD, "editor")
    token = store.sign_in("ana", PASSWORD, "10.0.0.1").token
    while clock.now + timedelta(minutes=20) < T0 + SESSION_LIFETIME:
        clock.advance(minutes=20)
        assert store.session(token) is not None
    clock.now = T0 + SESSION_LIFETIME
    assert store.session(token) is None


def test_sign_out_deletes_the_session(store: StaffStore, database: tuple[str, str | None]) -> None:
    store.add_account("ana", PASSWORD, "editor")
    token = store.sign_in("ana", PASSWORD, "10.0.0.1").token
    other = store.sign_in("ana", PASSWORD, "10.0.0.2").token
    assert store.sign_out(token)
    assert store.session(token) is None
    assert [row.token_hash for row in rows(database, staff_accounts.sessions)] == [
        hash_token(other)
    ]
    assert not store.sign_out(token)
    assert store.session("") is None and store.session("x" * 500) is None


# the audit log


def test_the_audit_log_records_sign_in_failure_and_sign_out_without_the_password(
    store: StaffStore, clock: Clock
) -> None:
    store.add_account("ana", PASSWORD, "editor", how="command line")
    clock.advance(seconds=1)
    store.sign_in("ana", "a wrong password", "10.0.0.1")
    store.sign_in("nobody", "another wrong one", "10.0.0.1")
    outcome = store.sign_in("ana", PASSWORD, "10.0.0.1")
    store.sign_out(outcome.token)
    entries = store.audit_entries()
    assert [(e.user_name, e.action) for e in entries] == [
        ("ana", "account_created"),
        ("ana", "sign_in_failed"),
        (None, "sign_in_failed"),
        ("ana", "sign_in"),
        ("ana", "sign_out"),
    ]
    assert entries[0].detail == "role editor; command line"
    assert entries[1].at == T0 + timedelta(seconds=1)
    for secret in (PASSWORD, "a wrong password", "another wrong one", outcome.token, "nobody"):
        assert all(secret not in f"{e.user_name} {e.action} {e.detail}" for e in entries)


def test_other_parts_of_the_studio_record_their_actions(store: StaffStore) -> None:
    store.record("ana", "topic_saved", "sciatica")
    store.record(None, "published", "x" * 2000)
    first, second = store.audit_entries()[-2:]
    assert (first.user_name, first.action, first.detail) == ("ana", "topic_saved", "sciatica")
    assert len(second.detail) == staff_accounts.MAX_DETAIL_LENGTH
    for action in ("", "Topic Saved", "drop table;"):
        with pytest.raises(ValueError):
            store.record("ana", action)


# the first account


def test_the_first_account_is_made_only_when_there_is_none(store: StaffStore) -> None:
    assert not store.bootstrap("", PASSWORD)
    assert store.bootstrap("Boss", PASSWORD)
    assert store.account("boss") == Account("boss", "publisher", T0)
    assert not store.bootstrap("other", OTHER_PASSWORD)
    assert store.account("other") is None
    assert store.sign_in("boss", PASSWORD, "10.0.0.1").status == SIGNED_IN


# timing and the file


def test_an_unknown_name_costs_a_password_check_like_a_known_one(tmp_path: Path) -> None:
    # a real password check (about 10 ms here) against lookups of a fraction of a millisecond
    hasher = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    store = StaffStore(f"sqlite:///{tmp_path / 'staff.db'}", hasher=hasher)
    store.create_schema()
    store.add_account("ana", PASSWORD, "editor")
    store.sign_in("warm-up", "wrong password!", "10.0.0.0")

    def seconds(user: str, address: str) -> float:
        started = time.perf_counter()
        assert store.sign_in(user, "wrong password!", address).status == REFUSED
        return time.perf_counter() - started

    known = statistics.median(seconds("ana", f"10.0.1.{n}") for n in range(3))
    unknown = statistics.median(seconds(f"ghost{n}", f"10.0.2.{n}") for n in range(3))
    store.dispose()
    assert unknown > known / 2, (known, unknown)


def test_the_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = tmp_path / "data" / "staff.db"
        store = StaffStore(f"sqlite:///{path}", hasher=FAST)
        store.create_schema()
        store.add_account("ana", PASSWORD, "editor")
        store.dispose()
        assert path.stat().st_mode & 0o777 == 0o600
        path.chmod(0o644)  # an older file is narrowed too
        StaffStore(f"sqlite:///{path}", hasher=FAST).dispose()
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(previous)


# the command line


def test_a_password_is_read_from_standard_input_when_it_is_not_a_terminal() -> None:
    assert read_password(io.StringIO(PASSWORD + "\r\nignored\n")) == PASSWORD
    assert read_password(io.StringIO("")) == ""


def cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STAFF_", "CLINIC_"))}
    env["CLINIC_HOME"] = str(home)
    return subprocess.run(
        [PYTHON, "-m", "clinic_office.staff_accounts", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_makes_lists_disables_and_enables_accounts(tmp_path: Path) -> None:
    made = cli(tmp_path, "add", "--user", "Ana", "--role", "publisher", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    path = tmp_path / "var" / "staff.db"
    assert path.stat().st_mode & 0o777 == 0o600
    listed = cli(tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    entry = json.loads(line)
    assert (entry["user"], entry["role"], entry["disabled"]) == ("ana", "publisher", False)

    store = StaffStore(f"sqlite:///{path}", hasher=FAST)
    try:
        assert store.sign_in("ana", PASSWORD, "10.0.0.1").status == SIGNED_IN
        changed = cli(tmp_path, "set-password", "--user", "ana", stdin=OTHER_PASSWORD + "\n")
        assert changed.returncode == 0, changed.stderr
        assert store.sign_in("ana", OTHER_PASSWORD, "10.0.0.1").status == SIGNED_IN
        assert cli(tmp_path, "disable", "--user", "ana").returncode == 0
        assert store.sign_in("ana", OTHER_PASSWORD, "10.0.0.1").status == REFUSED
        assert json.loads(cli(tmp_path, "list").stdout)["disabled"] is True
        assert cli(tmp_path, "enable", "--user", "ana").returncode == 0
        assert store.sign_in("ana", OTHER_PASSWORD, "10.0.0.1").status == SIGNED_IN
    finally:
        store.dispose()
    assert json.loads(cli(tmp_path, "list").stdout)["disabled"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["add", "--user", "bob", "--role", "editor", "--password", PASSWORD],
        ["add", "--user", "bob", "--role", "editor", "--pass", PASSWORD],
        ["add", "--user", "bob", "--role", "editor", PASSWORD],
        ["add", f"--password={PASSWORD}", "--user", "bob", "--role", "editor"],
    ],
)
def test_the_command_line_never_takes_a_password_as_an_argument(
    tmp_path: Path, args: list[str]
) -> None:
    result = cli(tmp_path, *args, stdin=PASSWORD + "\n")
    assert result.returncode == 2
    assert cli(tmp_path, "list").stdout == ""


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "--user", "bob", "--role", "editor"], "too short\n", "at least 12"),
        (["add", "--user", "bob", "--role", "editor"], "", "at least 12"),
        (["add", "--user", "bob", "--role", "admin"], PASSWORD + "\n", "invalid choice"),
        (["disable", "--user", "nobody"], "", "no account"),
        (["enable", "--user", "nobody"], "", "no account"),
        (["set-password", "--user", "nobody"], PASSWORD + "\n", "no account"),
    ],
)
def test_the_command_line_refuses_kindly(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    result = cli(tmp_path, *args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
