"""The conversations store on SQLite and a real PostgreSQL: survives a new process, forgets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic_office.config import ConfigError, Settings
from clinic_office.retention import purge_conversations
from clinic_server.tracker_store import (
    UrlSQLTrackerStore,
    connection_settings,
    delete_conversation,
)
from tests.unit.test_booking_store import POSTGRES_URL, postgres_unreachable


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'conversations.db'}"
        return
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    yield POSTGRES_URL


def test_sqlite_settings_make_the_folder(tmp_path: Path) -> None:
    settings = connection_settings(f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    assert settings == {"dialect": "sqlite", "db": str(tmp_path / "a" / "b.db")}
    assert (tmp_path / "a").is_dir()


def test_postgresql_settings_from_a_url() -> None:
    settings = connection_settings("postgresql://clinic:s3cret@db.internal:6543/assistant")
    assert settings["dialect"] == "postgresql"
    assert (settings["host"], settings["port"], settings["db"]) == (
        "db.internal",
        6543,
        "assistant",
    )
    assert (settings["username"], settings["password"]) == ("clinic", "s3cret")


def test_a_conversation_survives_a_new_store_and_forget_deletes_it(database_url: str) -> None:
    sender = f"test-{uuid4().hex}"
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))

    async def scenario() -> None:
        first = UrlSQLTrackerStore(host=database_url, domain=domain)
        tracker = DialogueStateTracker(sender, domain.slots)
        tracker.update(UserUttered("my name is Sam", {"name": "greet", "confidence": 1.0}))
        tracker.update(SlotSet("booking_name", "Sam Example"))
        await first.save(tracker)

        # a new process: a new store on the same database
        second = UrlSQLTrackerStore(host=database_url, domain=domain)
        restored = await second.retrieve(sender)
        assert restored is not None
        assert restored.get_slot("booking_name") == "Sam Example"
        assert restored.latest_message.text == "my name is Sam"

        assert await delete_conversation(second, sender)
        assert await UrlSQLTrackerStore(host=database_url, domain=domain).retrieve(sender) is None

    asyncio.run(scenario())


def test_retention_deletes_idle_conversations_only(database_url: str) -> None:
    old, recent = f"test-old-{uuid4().hex}", f"test-new-{uuid4().hex}"
    moment = time.time()

    async def scenario() -> None:
        store = UrlSQLTrackerStore(host=database_url)
        for sender, age_days in ((old, 40), (recent, 1)):
            tracker = DialogueStateTracker(sender, [])
            tracker.update(UserUttered("hello", timestamp=moment - age_days * 86400))
            await store.save(tracker)
        assert purge_conversations(database_url, moment - 30 * 86400) >= 1
        assert await store.retrieve(old) is None
        kept = await store.retrieve(recent)
        assert kept is not None
        await delete_conversation(store, recent)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("environ", "days"), [({}, 30), ({"RETENTION_DAYS": "7"}, 7), ({"RETENTION_DAYS": " "}, 30)]
)
def test_retention_days_setting(environ: dict[str, str], days: int) -> None:
    assert Settings.from_env(environ).retention_days == days


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_retention_days_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(ConfigError, match="RETENTION_DAYS"):
        Settings.from_env({"RETENTION_DAYS": value})


def test_retention_on_a_database_never_used_deletes_nothing(tmp_path: Path) -> None:
    assert purge_conversations(f"sqlite:///{tmp_path / 'new' / 'c.db'}", time.time()) == 0


def test_recent_events_are_those_since_the_visitor_last_wrote(database_url: str) -> None:
    """The widget's button lookup reads the newest rows only, and finds what a retrieve finds."""
    from rasa.shared.core.events import ActionExecuted, BotUttered

    from channels.buttons import last_buttons
    from channels.widget import _recent_events
    from clinic_server.tracker_store import recent_events

    sender = f"test-{uuid4().hex}"
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    offer = [{"title": "Opening hours", "payload": '/faq{"faq_topic": "opening_hours"}'}]

    async def scenario() -> None:
        store = UrlSQLTrackerStore(host=database_url, domain=domain)
        assert await recent_events(store, sender) == []  # nothing stored yet
        tracker = DialogueStateTracker(sender, domain.slots)
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        tracker.update(BotUttered("old offer", {"buttons": [{"title": "x", "payload": "/x"}]}))
        tracker.update(UserUttered("hours?", {"name": "faq", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_clarify"))
        tracker.update(BotUttered("Which did you mean?", {"buttons": offer}))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

        recent = await recent_events(store, sender)
        assert recent is not None
        assert [event["event"] for event in recent] == ["user", "action", "bot", "action"]
        assert recent == _recent_events(await store.retrieve(sender))
        assert last_buttons(recent) == offer

        # more rows since the last user message than it reads: the caller retrieves instead
        for _ in range(31):
            tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        assert await store.recent_events(sender) is None
        assert await recent_events(store, sender) is None

        await delete_conversation(store, sender)

    asyncio.run(scenario())


def test_recent_events_is_none_for_a_store_that_cannot_read_rows() -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore

    from clinic_server.tracker_store import recent_events

    assert asyncio.run(recent_events(InMemoryTrackerStore(Domain.empty()), "anyone")) is None
