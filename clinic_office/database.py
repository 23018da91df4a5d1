"""Opening a back-office SQL database by URL, as the staff, inbox and booking stores do.

- ``private_sqlite_file``: a SQLite file (and its folder) made readable by its owner only;
- ``open_engine``: the engine for a URL, with a connect timeout (PostgreSQL) or a busy
  timeout (SQLite), and the tables mapped into a schema when one is given (tests);
  a SQLite file is made private, or (``private_file=False``) only its folder is made;
- ``create_tables``: the tables (and the schema) made unless they exist, the DDL retried a
  few times because another process may be making the same tables at the same moment;
- ``SqlStore``: what the stores share on top of these: the engine, the database kind, the
  failure guard, ``create_schema`` and ``dispose``;
- ``utc_now``, ``to_db``, ``from_db``: times as the stores keep them (UTC, stored without
  a zone, read back timezone-aware).

A store names its own error class: what it raises says which database it is about.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clinic_office import sqlite

__all__ = [
    "Opened",
    "SqlStore",
    "create_tables",
    "from_db",
    "guard",
    "open_engine",
    "private_sqlite_file",
    "to_db",
    "utc_now",
]

SCHEMA_ATTEMPTS = 5


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def to_db(moment: datetime) -> datetime:
    """A timezone-aware time as the stores keep it: UTC without a zone (ValueError if naive)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    """A time read back from a store: timezone-aware UTC."""
    return value.replace(tzinfo=timezone.utc)


def private_sqlite_file(url: str) -> None:
    """Create a SQLite URL's file (and folder) readable and writable by its owner only.

    Other URLs are left alone. SQLite gives its journal files the database file's mode.
    """
    parts = make_url(url)
    if parts.get_backend_name() != "sqlite" or parts.database in (None, "", ":memory:"):
        return
    sqlite.make_folder(url)
    path = Path(str(parts.database))
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)


@dataclass(frozen=True)
class Opened:
    """An opened database: its kind, the engine to dispose of, the engine to use."""

    backend: str
    base_engine: Engine
    engine: Engine


def open_engine(
    url: str,
    name: str,
    error: type[Exception],
    *,
    schema: str | None = None,
    connect_timeout: int = 5,
    busy_timeout: int = 15,
    private_file: bool = True,
) -> Opened:
    """The engine for ``url`` (no connection yet); ``error`` (about the ``name`` database)
    for a URL that cannot be, a SQLite file that cannot be made, or a missing driver.

    ``private_file``: make a SQLite file (and its folder) now, readable by its owner only;
    False: only its folder, best effort (a folder that cannot be made shows as the database
    unavailable at the first connection)."""
    try:
        parsed = make_url(url)
    except ArgumentError as problem:
        raise error(f"the {name} database URL is not valid") from problem
    backend = str(parsed.get_backend_name())
    connect_args: dict[str, Any] = {}
    if backend == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = connect_timeout
    if backend == "sqlite":
        connect_args["timeout"] = busy_timeout
        if not private_file:
            with suppress(OSError):
                sqlite.make_folder(url)
        else:
            try:
                private_sqlite_file(url)
            except OSError as problem:
                raise error(
                    f"the {name} database file cannot be made ({problem.strerror})"
                ) from problem
    try:
        base = sa.create_engine(parsed, future=True, pool_pre_ping=True, connect_args=connect_args)
    except ArgumentError as problem:
        raise error(f"no database driver for the {name} database ({backend})") from problem
    engine = base
    if schema is not None:
        engine = base.execution_options(schema_translate_map={None: schema})
    return Opened(backend=backend, base_engine=base, engine=engine)


def create_tables(opened: Opened, metadata: sa.MetaData, schema: str | None = None) -> None:
    """Create ``metadata``'s tables (and ``schema`` on PostgreSQL) unless they exist."""
    for attempt in range(SCHEMA_ATTEMPTS):
        # only the DDL is retried: another process may be creating the same tables
        if attempt:
            time.sleep(0.05 * attempt)
        connection = opened.engine.connect()
        try:
            with connection.begin():
                if schema is not None and opened.backend == "postgresql":
                    preparer = connection.dialect.identifier_preparer
                    connection.execute(
                        sa.text("CREATE SCHEMA IF NOT EXISTS " + preparer.quote_schema(schema))
                    )
                metadata.create_all(connection, checkfirst=True)
            return
        except DBAPIError:
            if attempt == SCHEMA_ATTEMPTS - 1:
                raise
        finally:
            connection.close()


@contextmanager
def guard(name: str, backend: str, error: type[Exception], action: str) -> Iterator[None]:
    """Turn a database failure while ``action`` into ``error``, saying which database and
    what kind of failure (never the statement or its values)."""
    try:
        yield
    except (DBAPIError, PoolTimeoutError) as problem:
        cause = getattr(problem, "orig", None) or problem
        raise error(
            f"{name} database unavailable while {action} ({backend}: {type(cause).__name__})"
        ) from problem


class SqlStore:
    """The database side of a back-office store: a subclass names its database (``name``),
    its error class (``unavailable``) and its tables (``metadata``), and opens its URL with
    ``_open`` in its ``__init__``."""

    name: ClassVar[str]
    unavailable: ClassVar[type[Exception]]
    metadata: ClassVar[sa.MetaData]

    def _open(
        self,
        url: str,
        schema: str | None,
        *,
        connect_timeout: int,
        busy_timeout: int = 15,
        private_file: bool = True,
    ) -> None:
        """Open ``url`` (no connection yet), with ``open_engine``'s options."""
        self._schema = schema
        self._opened = open_engine(
            url,
            self.name,
            self.unavailable,
            schema=schema,
            connect_timeout=connect_timeout,
            busy_timeout=busy_timeout,
            private_file=private_file,
        )
        self._engine = self._opened.engine

    @property
    def backend(self) -> str:
        """The database kind: "sqlite", "postgresql"..."""
        return self._opened.backend

    def _guard(self, action: str) -> contextlib.AbstractContextManager[None]:
        return guard(self.name, self.backend, self.unavailable, action)

    def create_schema(self) -> None:
        """Create the tables (and the schema, when one is set) unless they exist."""
        with self._guard("creating the tables"):
            create_tables(self._opened, self.metadata, self._schema)

    def dispose(self) -> None:
        """Close the pooled connections."""
        self._opened.base_engine.dispose()
