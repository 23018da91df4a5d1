"""The booking store on SQLite and on PostgreSQL: idempotent submissions and the outbox."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from clinic_office import booking_store
from clinic_office.booking_store import (
    BACKOFF_CAP,
    REFERENCE_PATTERN,
    BookingRequest,
    BookingStore,
    StoreUnavailable,
    backoff_delay,
)

# the conversations store's tests and the end-to-end tests take these from here
from tests.conftest import POSTGRES_URL as POSTGRES_URL
from tests.conftest import postgres_unreachable as postgres_unreachable

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)

MakeStore = Callable[..., BookingStore]


def booking(key: str = "conv-1:1", **changes: object) -> BookingRequest:
    request = BookingRequest(
        kind="booking",
        conversation_id="conv-1",
        submission_key=key,
        full_name="Jane Roe",
        phone="+15550100199",
        email="jane.roe@example.org",
        preferred_times="Tuesday morning",
        preferred_times_normalized="Tuesday 2030-01-08, morning",
        reason="lower back pain",
        patient_status="new",
        consent=True,
        details=None,
    )
    return replace(request, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """A factory of stores on one fresh database: a SQLite file, or a PostgreSQL schema."""
    schema: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bookings.db'}"
    else:
        url, schema = request.getfixturevalue("postgres_schema")
    stores: list[BookingStore] = []

    def make(
        channels: Sequence[str] = ("email", "webhook"), create: bool = True, **options: object
    ) -> BookingStore:
        store = BookingStore(url, channels, schema=schema, **options)  # type: ignore[arg-type]
        if create:
            store.create_schema()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.dispose()


def test_submit_stores_the_request_once(make_store: MakeStore) -> None:
    store = make_store()
    request = booking()
    submitted = store.submit(request)
    assert submitted.created
    [stored] = store.list_requests()
    assert stored["reference"] == submitted.reference
    assert stored["kind"] == "booking"
    assert stored["status"] == "new"
    assert datetime.fromisoformat(stored["created_at"]).tzinfo is not None
    for name in booking_store.REQUEST_FIELDS:
        assert stored[name] == getattr(request, name), name


def test_same_submission_twice_is_one_request(make_store: MakeStore) -> None:
    store = make_store()
    first = store.submit(booking())
    again = store.submit(booking())
    # Another process (a second action server) resubmitting the same form.
    from_elsewhere = make_store().submit(booking(full_name="Changed Name"))
    assert again.reference == from_elsewhere.reference == first.reference
    assert (first.created, again.created, from_elsewhere.created) == (True, False, False)
    [stored] = store.list_requests()
    assert stored["full_name"] == "Jane Roe"
    assert len(stored["notifications"]) == 2


def test_concurrent_submissions_of_one_form_store_one_request(make_store: MakeStore) -> None:
    stores = [make_store() for _ in range(4)]
    results: list[booking_store.Submitted] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(stores))

    def submit(store: BookingStore) -> None:
        start.wait()
        try:
            results.append(store.submit(booking()))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(result.created for result in results) == 1
    assert len({result.reference for result in results}) == 1
    assert len(stores[0].list_requests()) == 1


def test_references_are_short_unambiguous_and_unique(make_store: MakeStore) -> None:
    store = make_store(channels=())
    references = [store.submit(booking(key=f"k{index}")).reference for index in range(40)]
    assert len(set(references)) == 40
    for reference in references:
        assert REFERENCE_PATTERN.fullmatch(reference), reference
        assert not set(reference[3:]) & set("01ILOUV")


def test_a_reference_taken_already_is_drawn_again(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store()
    drawn = iter(["CM-AAAAA", "CM-AAAAA", "CM-BBBBB"])
    monkeypatch.setattr(booking_store, "new_reference", lambda: next(drawn))
    assert store.submit(booking(key="a")).reference == "CM-AAAAA"
    second = store.submit(booking(key="b"))
    assert (second.reference, second.created) == ("CM-BBBBB", True)


def test_one_outbox_row_per_channel(make_store: MakeStore) -> None:
    store = make_store(channels=("webhook", "email", "webhook"))
    reference = store.submit(booking()).reference
    [stored] = store.list_requests()
    assert stored["notifications"] == [
        {"channel": "email", "state": "pending", "attempts": 0, "last_error": None},
        {"channel": "webhook", "state": "pending", "attempts": 0, "last_error": None},
    ]
    items = store.claim_due(T0 + timedelta(days=3650), 10)
    assert sorted(item.idempotency_key for item in items) == [
        f"{reference}:email",
        f"{reference}:webhook",
    ]
    assert {item.reference for item in items} == {reference}
    assert all(item.request == booking() for item in items)


def test_no_channel_no_outbox_row(make_store: MakeStore) -> None:
    store = make_store(channels=())
    store.submit(booking())
    assert store.list_requests()[0]["notifications"] == []
    assert store.claim_due(T0 + timedelta(days=3650), 10) == []


def test_claim_mark_and_backoff(make_store: MakeStore) -> None:
    store = make_store(channels=("webhook",), lease=timedelta(minutes=5))
    store.submit(booking())
    now = datetime.now(timezone.utc)
    [item] = store.claim_due(now, 10)
    assert item.attempts == 1
    assert store.claim_due(now, 10) == [], "a claimed row is leased"
    assert store.mark_failed(item.id, "webhook answered HTTP 503", now) == now + timedelta(
        seconds=2
    )
    assert store.claim_due(now + timedelta(seconds=1.9), 10) == []
    [item] = store.claim_due(now + timedelta(seconds=2), 10)
    assert item.attempts == 2
    later = now + timedelta(seconds=2)
    assert store.mark_failed(item.id, "x" * 5000, later) == later + timedelta(seconds=4)
    [note] = store.list_requests()[0]["notifications"]
    assert note["state"] == "pending"
    assert note["attempts"] == 2
    assert len(note["last_error"]) == booking_store.MAX_ERROR_LENGTH

    [item] = store.claim_due(later + timedelta(seconds=4), 10)
    store.mark_delivered(item.id, later + timedelta(seconds=5))
    store.mark_delivered(item.id, later + timedelta(seconds=6))  # a repeat changes nothing
    assert store.mark_failed(item.id, "late", later + timedelta(seconds=7)) is None
    assert store.claim_due(now + timedelta(days=365), 10) == []
    [note] = store.list_requests()[0]["notifications"]
    assert note == {"channel": "webhook", "state": "delivered", "attempts": 3, "last_error": None}


def test_a_lease_that_ends_makes_the_row_due_again(make_store: MakeStore) -> None:
    store = make_store(channels=("email",), lease=timedelta(seconds=30))
    store.submit(booking())
    [first] = store.claim_due(T0, 10)
    # The worker died before marking: after the lease, the row is due again, same key.
    assert store.claim_due(T0 + timedelta(seconds=29), 10) == []
    [again] = make_store(channels=("email",)).claim_due(T0 + timedelta(seconds=30), 10)
    assert (again.id, again.idempotency_key) == (first.id, first.idempotency_key)
    assert again.attempts == 2


def test_backoff_doubles_from_two_seconds_up_to_ten_minutes() -> None:
    assert [backoff_delay(n).total_seconds() for n in range(1, 11)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        600,
    ]
    assert backoff_delay(0) == timedelta(seconds=2)
    assert backoff_delay(10_000) == BACKOFF_CAP


def test_claims_respect_the_limit_and_never_overlap(make_store: MakeStore) -> None:
    seed = make_store(channels=("email", "webhook"))
    for index in range(10):
        seed.submit(booking(key=f"k{index}"))
    workers = [make_store() for _ in range(4)]
    claimed: list[list[int]] = []
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def claim(store: BookingStore) -> None:
        start.wait()
        try:
            claimed.append([item.id for item in store.claim_due(T0 + timedelta(days=1), 6)])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(store,)) for store in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert all(len(ids) <= 6 for ids in claimed)
    every = [item_id for ids in claimed for item_id in ids]
    assert len(every) == len(set(every)), "a row was claimed twice"
    rest = seed.claim_due(T0 + timedelta(days=1), 100)
    assert len(every) + len(rest) == 20


def test_list_is_oldest_first(make_store: MakeStore) -> None:
    store = make_store()
    references = [store.submit(booking(key=f"k{index}")).reference for index in range(5)]
    change = store.submit(booking(key="c", kind="change", details="move to Friday"))
    listed = store.list_requests()
    assert [entry["reference"] for entry in listed] == [*references, change.reference]
    assert listed[-1]["kind"] == "change"
    assert listed[-1]["details"] == "move to Friday"


def test_create_schema_is_idempotent(make_store: MakeStore) -> None:
    store = make_store()
    store.submit(booking())
    store.create_schema()
    make_store().create_schema()
    assert len(store.list_requests()) == 1


def test_processes_starting_together_create_the_tables_once(make_store: MakeStore) -> None:
    stores = [make_store(create=False) for _ in range(4)]
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def create(store: BookingStore) -> None:
        start.wait()
        try:
            store.create_schema()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert stores[0].submit(booking()).created


def test_naive_times_are_refused(make_store: MakeStore) -> None:
    store = make_store()
    with pytest.raises(ValueError, match="timezone-aware"):
        store.claim_due(datetime(2030, 1, 1), 10)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/x?connect_timeout=2",
        "sqlite:///{tmp}/a-file/bookings.db",  # the folder is a file: it cannot be made
    ],
)
def test_dead_database_raises_store_unavailable(url: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    store = BookingStore(url.format(tmp=tmp_path), ["email"])
    with pytest.raises(StoreUnavailable, match="unavailable"):
        store.create_schema()
    with pytest.raises(StoreUnavailable, match="storing a booking request"):
        store.submit(booking())
    with pytest.raises(StoreUnavailable):
        store.claim_due(T0, 10)
    with pytest.raises(StoreUnavailable):
        store.list_requests()
    store.dispose()


def test_a_bad_url_or_channel_is_refused() -> None:
    with pytest.raises(StoreUnavailable):
        BookingStore("not a url", [])
    with pytest.raises(StoreUnavailable):
        BookingStore("nosuchdriver://x/y", [])
    with pytest.raises(ValueError, match="unknown notification channels"):
        BookingStore("sqlite://", ["sms"])
    with pytest.raises(ValueError, match="not one string"):
        BookingStore("sqlite://", "email")


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "cancel"},
        {"submission_key": ""},
        {"patient_status": "old"},
        {"phone": "555 0100"},
        {"consent": "yes"},
    ],
)
def test_bad_requests_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        booking(**changes)


def test_a_sqlite_store_makes_its_folder(tmp_path: Path) -> None:
    store = BookingStore(f"sqlite:///{tmp_path / 'new' / 'folder' / 'b.db'}", ())
    try:
        store.create_schema()
        assert (tmp_path / "new" / "folder" / "b.db").is_file()
    finally:
        store.dispose()


def test_retention_purges_old_finished_requests_and_keeps_pending_ones(
    make_store: MakeStore,
) -> None:
    store = make_store(channels=("email",))
    told = store.submit(booking("conv-1:1", full_name="Told Person")).reference
    waiting = store.submit(booking("conv-2:1", full_name="Waiting Person")).reference
    moment = datetime.now(timezone.utc)
    for item in store.claim_due(moment + timedelta(seconds=1), limit=10):
        if item.reference == told:
            store.mark_delivered(item.id, moment)
    # nothing is older than a day yet
    assert store.purge_finished(moment - timedelta(days=1)) == 0
    assert store.purge_finished(moment + timedelta(days=1)) == 1
    assert [r["reference"] for r in store.list_requests()] == [waiting]
