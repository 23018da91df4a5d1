"""The unanswered-question inbox: scrubbing, what may be kept, the store on SQLite and
PostgreSQL, and the actions noting questions without ever holding an answer up."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionClarify
from clinic_office import inbox
from clinic_office.inbox import (
    MAX_QUESTION_LENGTH,
    InboxStore,
    InboxUnavailable,
    InboxWriter,
    NewEntry,
    TopicCounts,
    entry_from_parse,
    scrub,
    storable,
)
from tests.unit.test_actions import DOMAIN

# a closed port: the database is down
DOWN_URL = "postgresql://clinic@127.0.0.1:1/inbox"
T0 = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)

MakeStore = Callable[..., InboxStore]


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # phone numbers: international, UK and US formats, any separators
        ("call me on 07700 900123 please", "call me on [phone] please"),
        ("my number is +44 20 7946 0958", "my number is [phone]"),
        ("ring (555) 010-0199 tomorrow", "ring [phone] tomorrow"),
        ("555.010.0199", "[phone]"),
        ("+1-555-010-0199 after 5", "[phone] after 5"),
        ("5550100199", "[phone]"),
        ("0044 7700 900123", "[phone]"),
        ("01 23 45 67 89", "[phone]"),
        # e-mail addresses, also typed in words
        ("email sam.jones+pt@example.co.uk now", "email [email] now"),
        ("it's sam at gmail dot com", "it's [email]"),
        # URLs
        ("see https://example.com/a?b=1 and www.clinic.org", "see [url] and [url]"),
        ("my page is sam-jones.co.uk/about", "my page is [url]"),
        # postcodes and ZIP codes
        ("I live at SW1A 1AA, is that near?", "I live at [postcode], is that near?"),
        ("postcode m1 1ae", "postcode [postcode]"),
        ("zip 90210 please", "zip [postcode] please"),
        ("Springfield, IL 62704-1234", "Springfield, IL [postcode]"),
        # dates of birth (dates with a year)
        ("born 12/03/1985", "born [date]"),
        ("dob 1985-03-12", "dob [date]"),
        ("born on 12 March 1985", "born on [date]"),
        ("March 12, 1985 is my birthday", "[date] is my birthday"),
        ("born 1.2.1990.", "born [date]."),
        # names the visitor states
        ("my name is Sam Jones and I have sciatica", "my name is [name] and I have sciatica"),
        ("my name is sam and i hurt", "my name is [name] and i hurt"),
        ("I'm Sam, can you help", "I'm [name], can you help"),
        ("I am Maria Lopez", "I am [name]"),
        ("This is Dr Patel from the surgery", "This is [name] from the surgery"),
        ("hi, call me Jo", "hi, call me [name]"),
        # several at once
        (
            "I'm Sam Jones, 07700 900123, sam@example.org, SW1A 1AA, born 1/2/1980",
            "I'm [name], [phone], [email], [postcode], born [date]",
        ),
        # whitespace is tidied
        ("  what\n is   dry needling  ", "what is dry needling"),
    ],
)
def test_scrub_replaces_personal_data(text: str, scrubbed: str) -> None:
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "How long is a session? 30 to 60 minutes?",
        "do i need 3 sessions",
        "pain at L5-S1 and L4-L5",
        "is it 1.5 hours",
        "can I come 10.30-11.30",
        "from 2019-2023 I had pain",
        "it costs $12000?",
        "I'm worried about needles",
        "i'm in pain",
        "Hi, I'm Not sure",
        "this is painful",
        "I am 45 and my leg hurts",
        "L4 5th vertebra",
        "does it help after 2 weeks or 6-8 weeks",
        "is the 2nd visit cheaper",
        "what is dry needling?",
        "is 20 mins enough",
    ],
)
def test_scrub_keeps_what_is_not_personal(text: str) -> None:
    assert scrub(text) == text


def test_scrub_truncates_to_500_characters() -> None:
    assert scrub("why " * 300) == ("why " * 300)[:MAX_QUESTION_LENGTH]
    assert len(scrub("x" * 10_000)) == MAX_QUESTION_LENGTH


def faq(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "faq", "confidence": 0.81},
        "entities": [],
        "decision": {"intent": "faq", "confidence": 0.81, "faq_topic": "session_length"},
        **extra,
    }


def unclear(text: str = "how long then", **decision: Any) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.28},
        "entities": [],
        "decision": {
            "intent": "nlu_fallback",
            "confidence": 0.28,
            "gate": "disagreement",
            "candidates": ["faq/session_length", "faq/relief_timeline"],
            **decision,
        },
    }


@pytest.mark.parametrize(
    ("parse", "active_loop", "kept"),
    [
        (faq("how long is a session"), None, True),
        (unclear(), None, True),
        # inside a form the visitor types personal details
        (faq("how long is a session"), "booking_form", False),
        (unclear(), "change_form", False),
        # red-flag talk is a safety event, not a gap in the FAQ
        (
            {"text": "I can't feel my groin", "intent": {"name": "urgent_symptoms"}},
            None,
            False,
        ),
        (unclear(triage="screen"), None, False),
        (faq("no fever, how long is a session", triage="ruled_out"), None, False),
        (faq("x", red_flags=["saddle_anaesthesia"]), None, False),
        # a button's payload is not the visitor's words
        (faq('/faq{"faq_topic":"session_length"}'), None, False),
        (faq("   "), None, False),
        ({"intent": {"name": "faq"}}, None, False),
    ],
)
def test_what_may_be_kept(parse: dict[str, Any], active_loop: str | None, kept: bool) -> None:
    assert storable(parse, active_loop) is kept
    assert (entry_from_parse("clarified", parse, active_loop) is not None) is kept


def test_an_entry_from_a_parse_has_the_guess_and_the_confidence() -> None:
    entry = entry_from_parse("clarified", unclear("how long"))
    assert entry == NewEntry(
        kind="clarified",
        question="how long",
        topic_guess="session_length",
        confidence=0.28,
        candidates=("session_length", "relief_timeline"),
    )
    answered = entry_from_parse("thumbs_down", faq("x"), answered_topic="session_length")
    assert answered is not None
    assert (answered.topic_guess, answered.answered_topic) == ("session_length", "session_length")
    bare = entry_from_parse("off_topic", {"text": "weather?", "intent": {"name": "out_of_scope"}})
    assert bare == NewEntry("off_topic", "weather?")


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """A factory of stores on one fresh database: a SQLite file, or a PostgreSQL schema."""
    schema: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'inbox.db'}"
    else:
        url, schema = request.getfixturevalue("postgres_schema")
    stores: list[InboxStore] = []

    def make(clock: Callable[[], datetime] = lambda: T0) -> InboxStore:
        store = InboxStore(url, schema=schema, clock=clock)
        store.create_schema()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.dispose()


def test_entries_round_trip(make_store: MakeStore) -> None:
    clock = Clock(T0)
    store = make_store(clock)
    first = store.record(
        "clarified",
        "how long, my name is Sam Jones, 07700 900123",
        "session_length",
        0.28,
        candidates=["session_length", "relief_timeline"],
    )
    clock.now = T0 + timedelta(minutes=1)
    second = store.record("thumbs_down", "does it hurt?", "does_it_hurt", 0.9, "does_it_hurt")
    clock.now = T0 + timedelta(minutes=2)
    third = store.record("off_topic", "what's the weather", None, None)
    assert store.record("fallback", "  ", None, None) is None  # nothing left to keep
    newest_first = store.open_entries(10)
    assert [e.id for e in newest_first] == [third, second, first]
    oldest = newest_first[-1]
    assert oldest.question == "how long, my name is [name], [phone]"
    assert (oldest.kind, oldest.topic_guess, oldest.confidence) == (
        "clarified",
        "session_length",
        0.28,
    )
    assert oldest.candidates == ("session_length", "relief_timeline")
    assert oldest.answered_topic is None
    assert (oldest.status, oldest.resolved_by, oldest.resolved_at) == ("open", None, None)
    assert oldest.created_at == T0
    assert newest_first[1].answered_topic == "does_it_hurt"
    assert newest_first[0].topic_guess is None and newest_first[0].confidence is None
    assert [e.id for e in store.open_entries(1)] == [third]
    assert [e.id for e in store.open_entries(10, kinds=["thumbs_down", "clarified"])] == [
        second,
        first,
    ]
    assert store.open_entries(10, kinds=[]) == []


def test_resolving_an_entry_records_who_and_when(make_store: MakeStore) -> None:
    clock = Clock(T0)
    store = make_store(clock)
    entry_id = store.record("clarified", "how long", "session_length", 0.3)
    assert entry_id is not None
    clock.now = T0 + timedelta(hours=2)
    assert store.resolve(entry_id, "added_as_example", "editor1")
    assert store.open_entries(10) == []
    resolved = store.entry(entry_id)
    assert resolved is not None
    assert (resolved.status, resolved.resolved_by) == ("added_as_example", "editor1")
    assert resolved.resolved_at == T0 + timedelta(hours=2)
    assert store.resolve(entry_id, "open", "")
    reopened = store.entry(entry_id)
    assert reopened is not None
    assert (reopened.status, reopened.resolved_by, reopened.resolved_at) == ("open", None, None)
    assert not store.resolve(entry_id + 100, "ignored", "editor1")
    with pytest.raises(ValueError):
        store.resolve(entry_id, "done", "editor1")
    with pytest.raises(ValueError):
        store.resolve(entry_id, "ignored", "  ")


def test_counts_by_topic_sum_the_days_asked_for(make_store: MakeStore) -> None:
    clock = Clock(T0 - timedelta(days=8))
    store = make_store(clock)
    store.count(["session_length"], "answered")  # more than a week ago
    clock.now = T0 - timedelta(days=2)
    store.count(["session_length"], "answered")
    store.count(["session_length", "relief_timeline"], "clarified")
    clock.now = T0
    store.count(["session_length"], "answered")
    store.count(["session_length"], "not_helpful")
    store.count(["relief_timeline"], "helpful")
    store.count(["relief_timeline", "relief_timeline"], "helpful")  # once per call
    week = store.counts_by_topic(T0 - timedelta(days=7))
    assert week == {
        "relief_timeline": TopicCounts(answered=0, clarified=1, helpful=2, not_helpful=0),
        "session_length": TopicCounts(answered=2, clarified=1, helpful=0, not_helpful=1),
    }
    assert store.counts_by_topic(T0 - timedelta(days=30))["session_length"].answered == 3
    assert store.counts_by_topic(T0 + timedelta(days=1)) == {}
    # another process counting the same day and topic adds to the same row
    make_store(clock).count(["session_length"], "answered")
    assert store.counts_by_topic(T0)["session_length"].answered == 2


def test_purge_deletes_old_entries_whatever_their_status(make_store: MakeStore) -> None:
    clock = Clock(T0 - timedelta(days=40))
    store = make_store(clock)
    old = store.record("fallback", "old question", None, None)
    assert old is not None
    store.resolve(old, "ignored", "editor1")
    store.record("fallback", "old open question", None, None)
    clock.now = T0
    kept = store.record("fallback", "new question", None, None)
    assert store.purge(T0 - timedelta(days=30)) == 2
    assert [e.id for e in store.open_entries(10)] == [kept]
    assert store.entry(old) is None


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (("surprised", "q", None, None), "kind"),
        (("clarified", "q", "Session Length!", None), "topic_guess"),
        (("thumbs_down", "q", None, None), "answered topic"),
        (("clarified", "q", None, 1.5), "confidence"),
    ],
)
def test_the_store_refuses_what_cannot_be(
    make_store: MakeStore, arguments: tuple[Any, ...], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        make_store().record(*arguments)


def test_the_store_refuses_unknown_counters_and_kinds(make_store: MakeStore) -> None:
    store = make_store()
    with pytest.raises(ValueError):
        store.count(["session_length"], "loved")
    with pytest.raises(ValueError):
        store.count(["../etc"], "answered")
    with pytest.raises(ValueError):
        store.open_entries(10, kinds="clarified")


def test_the_sqlite_file_is_private(tmp_path: Path) -> None:
    store = InboxStore(f"sqlite:///{tmp_path / 'data' / 'inbox.db'}")
    store.create_schema()
    store.record("fallback", "a question", None, None)
    store.dispose()
    assert stat.S_IMODE((tmp_path / "data" / "inbox.db").stat().st_mode) == 0o600


def test_the_database_defaults_to_the_data_folder(tmp_path: Path) -> None:
    env = {"CLINIC_DATA_DIR": str(tmp_path / "data")}
    assert inbox.database_url(env) == f"sqlite:///{tmp_path / 'data' / 'inbox.db'}"
    given = env | {"INBOX_DATABASE_URL": " postgresql://clinic@db/inbox "}
    assert inbox.database_url(given) == "postgresql://clinic@db/inbox"


def test_a_database_that_is_down_raises_store_unavailable() -> None:
    store = InboxStore(DOWN_URL)
    with pytest.raises(InboxUnavailable, match="postgresql"):
        store.create_schema()
    store.dispose()


def test_the_writer_logs_no_text_and_leaves_a_down_database_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    writer = InboxWriter(DOWN_URL, retry_seconds=30.0, clock=lambda: now[0])
    entry = NewEntry("clarified", "my secret question 07700 900123")
    with caplog.at_level(logging.DEBUG):
        assert writer.add(entry) is False
        assert writer.count(["session_length"], "answered") is False  # not tried: too soon
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "secret" not in caplog.text and "07700" not in caplog.text
    now[0] = 31.0
    assert writer.add(entry) is False  # tried again, still down: no second warning
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    writer.close()


def test_the_writer_writes_and_says_when_the_database_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    writer = InboxWriter(url)
    assert writer.add(NewEntry("off_topic", "weather?"))
    assert writer.count(["session_length"], "answered")
    assert not writer.count(["Not A Key"], "answered")  # refused, logged, no exception
    writer.close()
    store = InboxStore(url)
    assert [e.question for e in store.open_entries(5)] == ["weather?"]
    store.dispose()


def test_the_back_office_inbox_imports_no_rasa() -> None:
    code = (
        "import sys, clinic_office.inbox\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'rasa_sdk'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


# --- the actions ------------------------------------------------------------------------


@pytest.fixture
def inbox_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The actions' inbox in a temporary SQLite file."""
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    monkeypatch.setenv("INBOX_DATABASE_URL", url)
    return url


def stored(url: str) -> tuple[list[inbox.InboxEntry], dict[str, TopicCounts]]:
    store = InboxStore(url)
    store.create_schema()
    try:
        return store.open_entries(50), store.counts_by_topic(T0 - timedelta(days=3650))
    finally:
        store.dispose()


def tracker(parse: dict[str, Any], active_loop: str | None = None) -> Tracker:
    return Tracker(
        sender_id="conversation-1",
        slots={},
        latest_message=parse,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run(action: Any, parse: dict[str, Any], active_loop: str | None = None) -> list[str]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker(parse, active_loop), DOMAIN)
    return [m["response"] for m in dispatcher.messages]


async def test_a_clarified_question_goes_to_the_inbox_scrubbed(inbox_url: str) -> None:
    sent = await run(ActionClarify(), unclear("how long, I'm Sam Jones on 07700 900123"))
    assert sent == ["utter_clarify"]
    [entry], counts = stored(inbox_url)
    assert entry.kind == "clarified"
    assert entry.question == "how long, I'm [name] on [phone]"
    assert (entry.topic_guess, entry.confidence) == ("session_length", 0.28)
    assert entry.candidates == ("session_length", "relief_timeline")
    assert counts["session_length"].clarified == counts["relief_timeline"].clarified == 1


async def test_a_question_not_understood_is_a_fallback_entry(inbox_url: str) -> None:
    parse = {"text": "zzz", "intent": {"name": "nlu_fallback", "confidence": 0.1}}
    assert await run(ActionClarify(), parse) == ["utter_default"]
    unknown_topic = faq("tell me about cupping")
    unknown_topic["decision"]["faq_topic"] = "cupping"
    assert await run(ActionAnswerFaq(), unknown_topic) == ["utter_default"]
    entries, _ = stored(inbox_url)
    assert [(e.kind, e.question, e.topic_guess) for e in entries] == [
        ("fallback", "tell me about cupping", "cupping"),
        ("fallback", "zzz", None),
    ]


async def test_an_answer_is_counted_without_text(inbox_url: str) -> None:
    assert await run(ActionAnswerFaq(), faq("how long is a session")) == [
        "utter_faq/session_length"
    ]
    entries, counts = stored(inbox_url)
    assert entries == []
    assert counts == {"session_length": TopicCounts(answered=1)}


@pytest.mark.parametrize(
    ("parse", "active_loop"),
    [
        (unclear("07700 900123"), "booking_form"),
        (unclear("Jane Roe, Tuesday morning"), "change_form"),
        (unclear("can't feel my legs and how long", triage="screen"), None),
        (
            {
                "text": "numb groin and how long",
                "intent": {"name": "nlu_fallback"},
                "triage": "urgent",
                "red_flags": ["saddle_anaesthesia"],
            },
            None,
        ),
    ],
)
async def test_nothing_is_kept_from_a_form_or_a_red_flag(
    inbox_url: str, parse: dict[str, Any], active_loop: str | None
) -> None:
    await run(ActionClarify(), parse, active_loop)
    entries, _ = stored(inbox_url)
    assert entries == []


async def test_the_inbox_down_never_stops_an_answer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("INBOX_DATABASE_URL", DOWN_URL)
    question = "how long, my name is Secretname"
    with caplog.at_level(logging.DEBUG):
        assert await run(ActionClarify(), unclear(question)) == ["utter_clarify"]
        assert await run(ActionAnswerFaq(), faq(question)) == ["utter_faq/session_length"]
        parse = {"text": question, "intent": {"name": "nlu_fallback"}}
        assert await run(ActionClarify(), parse) == ["utter_default"]
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert "Secretname" not in caplog.text


async def test_a_wrong_inbox_url_never_stops_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INBOX_DATABASE_URL", "nosuchdb://what")
    assert await run(ActionAnswerFaq(), faq("how long")) == ["utter_faq/session_length"]


def test_retention_purges_old_inbox_entries(tmp_path: Path) -> None:
    from clinic_office.retention import purge_inbox

    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    clock = Clock(T0 - timedelta(days=31))
    store = InboxStore(url, clock=clock)
    store.create_schema()
    store.record("fallback", "old", None, None)
    store.count(["session_length"], "answered")
    clock.now = T0
    store.record("fallback", "new", None, None)
    assert purge_inbox(url, T0 - timedelta(days=30)) == 1
    assert [e.question for e in store.open_entries(10)] == ["new"]
    # the counts hold no text: kept
    assert store.counts_by_topic(T0 - timedelta(days=60))["session_length"].answered == 1
    store.dispose()
