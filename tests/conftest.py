"""Shared fixtures: the real spaCy pipeline, clinic settings files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spacy.language import Language

from clinic_office.clinic_settings import ClinicSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
SPACY_MODEL = REPO_ROOT / "build" / "spacy" / "en_clinic"

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
