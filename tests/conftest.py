"""Shared fixtures: the real spaCy pipeline, clinic settings files, a throwaway PostgreSQL
schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from spacy.language import Language

from clinic_office.clinic_settings import ClinicSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
SPACY_MODEL = REPO_ROOT / "build" / "spacy" / "en_clinic"
# the test PostgreSQL (trust authentication), as make test sets it up
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

FULL_SETTINGS = ClinicSettings(
    clinic_name="Test Clinic",
    phone="(555) 010-0199",
    email="desk@clinic.example",
    address="12 Main Street, Springfield",
    directions="Free parking behind the building.",
    opening_hours="Monday to Friday 8am-6pm",
    prices="A first visit is $120.",
    insurance="Most major insurers accepted.",
    booking_url="https://clinic.example/book",
    privacy_url="https://clinic.example/privacy",
)


@pytest.fixture(autouse=True)
def fresh_configuration() -> Iterator[None]:
    """Each test reads the settings from its own environment (they are read once per process)."""
    from clinic_office import config

    config.current.cache_clear()
    yield
    config.current.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def private_inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test writes the real inbox (var/inbox.db): the servers tests start inherit this."""
    import os

    before = os.environ.get("INBOX_DATABASE_URL")
    if before is None:
        path = tmp_path_factory.mktemp("inbox") / "inbox.db"
        os.environ["INBOX_DATABASE_URL"] = f"sqlite:///{path}"
    yield
    if before is None:
        os.environ.pop("INBOX_DATABASE_URL", None)


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The clinic spaCy pipeline as Rasa loads it (built by `make spacy`)."""
    import spacy

    from clinic_nlu.spacy_pipeline import build_pipeline

    if SPACY_MODEL.exists():
        return spacy.load(SPACY_MODEL, disable=["parser"])
    return build_pipeline()


@pytest.fixture
def full_settings() -> ClinicSettings:
    """Settings with every fact set."""
    return FULL_SETTINGS


@pytest.fixture
def empty_settings() -> ClinicSettings:
    """Settings with nothing set."""
    return ClinicSettings()


def postgres_unreachable() -> str | None:
    """Why the test PostgreSQL cannot be used (None when it can)."""
    engine = sa.create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({type(error.orig).__name__})"
    finally:
        engine.dispose()
    return None


@pytest.fixture
def postgres_schema(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The test PostgreSQL's URL and the name of a schema of the test's own, dropped after
    the test with all in it (the store under test makes it). Skips when PostgreSQL is down."""
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    module = request.module.__name__.rpartition(".")[2]
    schema = f"{module}_{uuid.uuid4().hex[:12]}"
    yield POSTGRES_URL, schema
    engine = sa.create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()
