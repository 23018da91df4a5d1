"""The studio's topic pages over HTTP: list, edit, conflicts, add, publish, history, rollback.

The web app runs on a real socket with a copy of the project's topic files in a git repo;
the publishing worker runs in this process (answer-only publishes need no model).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clinic_office import config
from clinic_office.studio import Studio
from clinic_office.topic_files import TopicFile
from clinic_office.topics import TopicStore
from clinic_server.studio_worker import Worker, WorkerSettings
from scripts.studio_stack import git
from tests.unit.test_staff_web import PASSWORD, Site, sanic_test_mode, start_site
from tests.unit.test_studio import project_copy
from webapp.studio_topics import _warnings as studio_warnings
from webapp.studio_topics import examples_of, preview

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["sanic_test_mode"]  # the fixture, shared with test_staff_web


@pytest.fixture
async def studio_site(
    tmp_path: Path, sanic_test_mode: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Site, Path]]:
    home = project_copy(tmp_path / "home")
    for name, value in {"CLINIC_HOME": str(home), "CLINIC_DATA_DIR": str(home / "var")}.items():
        monkeypatch.setenv(name, value)
    for name in ("CLINIC_TOPICS_DIR", "STAFF_DATABASE_URL", "RASA_ENABLE_API"):
        monkeypatch.delenv(name, raising=False)
    config.current.cache_clear()
    async for site in start_site(home):
        site.store.add_account("ana", PASSWORD, "publisher")
        site.store.add_account("eve", PASSWORD, "editor")
        yield site, home
    config.current.cache_clear()


def csrf_of(text: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', text)
    assert match is not None
    return match.group(1)


def version_of_page(text: str) -> str:
    match = re.search(r'name="version" value="([^"]+)"', text)
    assert match is not None
    return match.group(1)


async def post(site: Site, path: str, token: str, csrf: str, **fields: str) -> object:
    return await site.request(
        "POST",
        path,
        cookies={"staff_session": token},
        headers={"Origin": site.origin},
        data={"csrf": csrf, **fields},
    )


async def test_edit_conflict_publish_and_rollback(studio_site: tuple[Site, Path]) -> None:
    site, home = studio_site
    eve, eve_csrf = await site.session("eve")
    ana, ana_csrf = await site.session("ana")

    home_page = await site.request("GET", "/staff", cookies={"staff_session": eve})
    assert home_page.status == 200
    assert '<a href="/staff/topics/session_length">How long a session takes</a>' in home_page.text
    assert "Publish 0 drafts" not in home_page.text  # an editor has no publish button

    page = await site.request("GET", "/staff/topics/session_length", cookies={"staff_session": eve})
    assert page.status == 200 and "Most dry needling sessions" in page.text
    version = version_of_page(page.text)
    examples = re.search(r'<textarea id="examples"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert examples is not None
    fields = {
        "version": version,
        "title": "How long a session takes",
        "answer": "A session takes about 45 minutes.",
        "examples": html.unescape(examples.group(1)) + "\nhow long do I stay for the needling",
    }
    saved = await post(site, "/staff/topics/session_length", eve, eve_csrf, **fields)
    assert saved.status == 200 and 'role="status"' in saved.text  # type: ignore[attr-defined]
    # Ana started from the same version: her save shows the conflict, overwrites nothing
    clash = await post(
        site, "/staff/topics/session_length", ana, ana_csrf, **{**fields, "answer": "An hour."}
    )
    assert clash.status == 409  # type: ignore[attr-defined]
    assert "Someone else saved this topic" in clash.text  # type: ignore[attr-defined]
    assert "A session takes about 45 minutes." in clash.text  # type: ignore[attr-defined]
    # forged: no CSRF token
    forged = await site.request(
        "POST",
        "/staff/topics/session_length",
        cookies={"staff_session": eve},
        headers={"Origin": site.origin},
        data={**fields, "version": version},
    )
    assert forged.status == 403

    assert (await post(site, "/staff/publish", eve, eve_csrf, message="x")).status == 403  # type: ignore[attr-defined]
    queued = await post(site, "/staff/publish", ana, ana_csrf, message="Session length")
    assert queued.status == 303  # type: ignore[attr-defined]
    progress_path = queued.headers["Location"]  # type: ignore[attr-defined]
    waiting = await site.request("GET", progress_path, cookies={"staff_session": eve})
    assert "waiting" in waiting.text and "Check progress again" in waiting.text

    settings = WorkerSettings(
        home=home,
        models_dir=home / "models-served",
        work_dir=home / "var" / "studio",
        python=ROOT / ".venv" / "bin" / "python",
    )
    worker = Worker(Studio(), settings)
    # the new example question needs training: skip it here by publishing the answer only
    studio = Studio()
    topic, version = studio.current("session_length")
    assert topic is not None
    original = TopicStore(home / "data" / "topics").get()["session_length"]
    answer_only = TopicFile(**{**topic.__dict__, "examples": tuple(topic.examples[:-1])})
    assert studio.save_draft(answer_only, version).saved
    job = worker.run_once()
    assert job is not None and job.status == "published", job.detail if job else None
    done = await site.request("GET", progress_path, cookies={"staff_session": eve})
    assert "published" in done.text and "Check progress again" not in done.text
    assert git(home, "log", "-1", "--format=%an|%s") == "ana|Session length"
    live = TopicStore(home / "data" / "topics").get()["session_length"]
    assert live.answer == "A session takes about 45 minutes."

    history = await site.request("GET", "/staff/publishes", cookies={"staff_session": ana})
    assert "Roll back publish 1" in history.text
    undo = await post(site, "/staff/publishes/1/rollback", ana, ana_csrf)
    assert undo.status == 303  # type: ignore[attr-defined]
    assert worker.run_once() is not None
    assert TopicStore(home / "data" / "topics").get()["session_length"] == original


async def test_adding_a_topic(studio_site: tuple[Site, Path]) -> None:
    site, _ = studio_site
    eve, csrf = await site.session("eve")
    form = await site.request("GET", "/staff/new-topic", cookies={"staff_session": eve})
    assert form.status == 200 and 'name="source"' in form.text
    examples = "\n".join(f"where can I park near the clinic {n}" for n in range(5))
    bad = await post(
        site,
        "/staff/new-topic",
        eve,
        csrf,
        key="Parking!",
        title="Parking",
        source="general",
        answer="Ask us.",
        examples=examples,
    )
    assert bad.status == 422  # type: ignore[attr-defined]
    assert "lower-case letters" in bad.text  # type: ignore[attr-defined]
    good = await post(
        site,
        "/staff/new-topic",
        eve,
        csrf,
        key="parking",
        title="Parking",
        source="general",
        answer="Please ask our team about parking near the clinic.",
        examples=examples,
    )
    assert good.status == 303  # type: ignore[attr-defined]
    listed = await site.request("GET", "/staff", cookies={"staff_session": eve})
    assert '<a href="/staff/topics/parking">Parking</a>' in listed.text
    assert "draft, not published yet" in listed.text
    again = await post(
        site,
        "/staff/new-topic",
        eve,
        csrf,
        key="parking",
        title="Parking 2",
        source="general",
        answer="x",
        examples=examples,
    )
    assert again.status == 422  # type: ignore[attr-defined]


async def test_trying_a_question_without_the_api_says_so(studio_site: tuple[Site, Path]) -> None:
    site, _ = studio_site
    eve, csrf = await site.session("eve")
    reply = await post(site, "/staff/try", eve, csrf, question="how long is a session")
    assert reply.status == 503  # type: ignore[attr-defined]
    assert "could not be asked just now" in reply.text  # type: ignore[attr-defined]


async def test_trying_a_draft_with_new_examples_queues_one_trial_model(
    studio_site: tuple[Site, Path],
) -> None:
    site, _ = studio_site
    eve, csrf = await site.session("eve")
    studio = Studio()
    topic, version = studio.current("session_length")
    assert topic is not None
    answer_only = TopicFile(**{**topic.__dict__, "answer": "About 45 minutes."})
    assert studio.save_draft(answer_only, version).saved
    reply = await post(site, "/staff/try", eve, csrf, question="is it quick")
    assert "trial model" not in reply.text  # type: ignore[attr-defined]
    assert studio.trial_job(studio.draft_digest()) is None  # the live model is the draft's

    topic, version = studio.current("session_length")
    assert topic is not None
    more = TopicFile(**{**topic.__dict__, "examples": (*topic.examples, "is it quick")})
    assert studio.save_draft(more, version).saved
    for _ in range(2):  # asked twice: one trial
        reply = await post(site, "/staff/try", eve, csrf, question="is it quick")
        assert "learning them in a trial model" in reply.text  # type: ignore[attr-defined]
    trial = studio.trial_job(studio.draft_digest())
    assert trial is not None and trial.status == "queued" and trial.requested_by == "eve"
    assert studio.history() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\n\n b  c \nd\na", ("a", "b c", "d")),
        ("", ()),
        ("Same?\nsame", ("Same?", "same")),
    ],
)
def test_examples_from_a_text_box(text: str, expected: tuple[str, ...]) -> None:
    assert examples_of(text) == expected


def test_the_preview_escapes_html() -> None:
    assert preview("<b>hi</b>") == '<div class="bubble"><p>&lt;b&gt;hi&lt;/b&gt;</p></div>'


def test_the_editor_names_the_topic_an_example_reads_like() -> None:
    mine = TopicFile("a", "A", "general", "x", ("how long is a session please",))
    other = TopicFile("b", "How long", "seed", "y", ("how long is a session",))
    (warning,) = studio_warnings(mine, {"b": other})
    assert "“how long is a session”" in warning and "“How long”" in warning
    assert studio_warnings(mine, {"b": TopicFile("b", "B", "seed", "y", ("parking",))}) == []


async def test_the_inbox_one_click_actions(
    studio_site: tuple[Site, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_office import inbox

    site, _ = studio_site
    # an inbox of this test's own (the session's is shared with every other test)
    monkeypatch.setenv("INBOX_DATABASE_URL", f"sqlite:///{tmp_path / 'inbox.db'}")
    store = inbox.InboxStore(inbox.database_url())
    store.create_schema()
    kept = store.record(
        inbox.CLARIFIED, "my name is Sam, how long do I lie on the table", "session_length", 0.4
    )
    dropped = store.record(inbox.OFF_TOPIC, "who won the football", None, None)
    assert kept is not None and dropped is not None
    eve, csrf = await site.session("eve")
    page = await site.request("GET", "/staff/inbox", cookies={"staff_session": eve})
    assert page.status == 200
    assert "how long do I lie on the table" in page.text and "Sam" not in page.text
    assert '<option value="session_length" selected>' in page.text
    added = await post(
        site, f"/staff/inbox/{kept}", eve, csrf, action="example", topic="session_length"
    )
    assert added.status == 303  # type: ignore[attr-defined]
    topic, _ = Studio().current("session_length")
    assert topic is not None and topic.examples[-1].endswith("how long do I lie on the table")
    ignored = await post(site, f"/staff/inbox/{dropped}", eve, csrf, action="ignore")
    assert ignored.status == 303  # type: ignore[attr-defined]
    assert store.open_entries(10) == []
    home = await site.request("GET", "/staff", cookies={"staff_session": eve})
    assert "0 questions waiting" in home.text
    store.dispose()


async def test_a_broken_topic_file_is_shown_in_the_studio(studio_site: tuple[Site, Path]) -> None:
    site, home = studio_site
    eve, _ = await site.session("eve")
    clean = await site.request("GET", "/staff", cookies={"staff_session": eve})
    assert "last good version" not in clean.text
    (home / "data" / "topics" / "session_length.yml").write_text("key: [oops\n")
    broken = await site.request("GET", "/staff", cookies={"staff_session": eve})
    assert 'role="alert"' in broken.text and "last good version" in broken.text
    assert "session_length.yml" in broken.text and "not readable YAML" in broken.text
