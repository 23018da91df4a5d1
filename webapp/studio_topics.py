"""The staff studio's topic pages: list, edit, add, try a question, publish, history.

Every page needs a signed-in account (``webapp.staff``); publishing and rolling back need the
publisher role. Edits are drafts (``clinic_office.studio``) until a publisher publishes them;
the publishing worker (``clinic_server.studio_worker``) runs the publish outside this process
and this site shows its progress. No script: plain forms, so the pages work everywhere and
keep the studio's strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import os
import re
from pathlib import Path
from typing import Any

import aiohttp
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_office import database, inbox
from clinic_office.staff_accounts import StaffSession
from clinic_office.studio import NEW, Job, Studio
from clinic_office.topic_files import (
    KEY_PATTERN,
    SOURCES,
    TopicFile,
    load_topic_dir,
    similar_examples,
    topic_problems,
)
from webapp.staff import (
    EDITOR,
    PUBLISHER,
    STAFF_PATH,
    csrf_field,
    render_header,
    render_page,
    staff_only,
)

__all__ = ["open_topic_studio", "render_home", "render_inbox", "topic_pages"]

log = logging.getLogger(__name__)

SOURCE_NAMES = {
    "seed": "the clinic's article",
    "general": "general knowledge (needs clinic review)",
    "clinic": "the clinic's settings",
}
STATUS_NAMES = {
    "queued": "waiting",
    "running": "in progress",
    "published": "published",
    "failed": "not published",
}
STEP_NAMES = {
    "starting": "Starting",
    "validate": "Checking the topic files",
    "train": "Teaching the assistant the new questions",
    "gate": "Checking safety and accuracy",
    "stories": "Checking the conversation stories",
    "hand_over": "Handing the new model to every server",
    "files": "Publishing the answers",
    "done": "Finished",
}
MAX_FORM_BYTES = 64 * 1024
TRY_TIMEOUT = 10.0
TRIAL_TIMEOUT = 60.0  # the first question after a trial model is made loads it
KIND_NAMES = {
    inbox.CLARIFIED: "the assistant asked which topic was meant",
    inbox.FALLBACK: "the assistant did not understand",
    inbox.OFF_TOPIC: "answered as off-topic",
    inbox.THUMBS_DOWN: "the visitor said the answer did not help",
}
WEEK = dt.timedelta(days=7)


def open_topic_studio(app: Sanic, database_url: str) -> None:
    """Put the drafts and publish queue on ``app.ctx.topic_studio`` (made on first use)."""
    app.ctx.topic_studio_url = database_url
    app.ctx.topic_studio = None
    app.ctx.inbox = None


async def _inbox(request: Request) -> inbox.InboxStore | None:
    """The inbox store (None when its database cannot be opened: the studio goes on)."""
    store: inbox.InboxStore | None = request.app.ctx.inbox
    if store is None:
        try:
            store = inbox.InboxStore(inbox.database_url())
            await asyncio.to_thread(store.create_schema)
        except inbox.InboxUnavailable:
            log.warning("staff studio: the inbox database is unavailable")
            return None
        request.app.ctx.inbox = store
    return store


async def _studio(request: Request) -> Studio:
    studio: Studio | None = request.app.ctx.topic_studio
    if studio is None:
        studio = await asyncio.to_thread(Studio, None, None, request.app.ctx.topic_studio_url)
        request.app.ctx.topic_studio = studio
    return studio


def _form(request: Request, name: str) -> str:
    value = request.form.get(name) if request.form else None
    return value if isinstance(value, str) else ""


def _esc(text: object) -> str:
    return html.escape(str(text))


# ----------------------------------------------------------------------------------------
# Pure rendering


def examples_of(text: str) -> tuple[str, ...]:
    """Example questions from a text box, one a line; blank lines and exact repeats dropped
    (two wordings that differ only in case or punctuation are both kept)."""
    seen: set[str] = set()
    examples: list[str] = []
    for line in text.splitlines():
        example = " ".join(line.split())
        if example and example not in seen:
            seen.add(example)
            examples.append(example)
    return tuple(examples)


def preview(answer: str) -> str:
    """The answer as the widget shows it: an assistant bubble, text only, escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", answer.strip()) if p.strip()] or [""]
    inner = "".join(f"<p>{_esc(' '.join(p.split()))}</p>" for p in paragraphs)
    return f'<div class="bubble">{inner}</div>'


def render_home(
    session: StaffSession,
    topics: list[tuple[str, TopicFile | None, bool]],
    jobs: list[Job],
    counts: dict[str, inbox.TopicCounts] | None = None,
    open_entries: int | None = None,
    problems: tuple[str, ...] = (),
) -> str:
    """The studio's home page: the topics (drafts marked, this week's use), the inbox,
    publishing, recent publishes."""
    rows = []
    for key, topic, drafted in topics:
        title = topic.title if topic else key
        state = "draft, not published yet" if drafted else "published"
        used = (counts or {}).get(key, inbox.TopicCounts())
        rows.append(
            f'<tr><th scope="row"><a href="{STAFF_PATH}/topics/{_esc(key)}">{_esc(title)}</a>'
            f"</th><td>{_esc(SOURCE_NAMES.get(topic.source, '') if topic else '')}</td>"
            f"<td>{len(topic.examples) if topic else 0}</td>"
            f"<td>{used.answered}</td><td>{used.clarified}</td><td>{state}</td></tr>"
        )
    waiting = (
        "The inbox cannot be read just now."
        if open_entries is None
        else f"{open_entries} question{'s' if open_entries != 1 else ''} waiting"
    )
    drafts = sum(1 for _, _, drafted in topics if drafted)
    publish = ""
    if session.account.can(PUBLISHER):
        publish = f"""<form method="post" action="{STAFF_PATH}/publish">
{csrf_field(session)}
<label for="message">What changed (for the history)</label>
<input id="message" name="message" maxlength="200" required>
<button type="submit">Publish {drafts} draft{"s" if drafts != 1 else ""}</button>
</form>"""
    elif drafts:
        publish = "<p>A publisher will review and publish your drafts.</p>"
    trouble = ""
    if problems:
        items = "".join(f"<li>{_esc(p)}</li>" for p in problems)
        trouble = (
            '<div role="alert"><p>The assistant is answering with the last good version of '
            f"these files, because:</p><ul>{items}</ul></div>"
        )
    body = f"""<h1>Staff studio</h1>
{trouble}
<section aria-labelledby="topics-heading">
<h2 id="topics-heading">Topics</h2>
<p><a href="{STAFF_PATH}/new-topic">Add a topic</a></p>
<table>
<caption>Every topic the assistant answers ({len(topics)}); {drafts} not published yet
</caption>
<thead><tr><th scope="col">Topic</th><th scope="col">Answer comes from</th>
<th scope="col">Example questions</th><th scope="col">Answered this week</th>
<th scope="col">Offered in "did you mean" this week</th><th scope="col">State</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody>
</table>
</section>
<section aria-labelledby="inbox-heading">
<h2 id="inbox-heading">Questions the assistant could not answer</h2>
<p><a href="{STAFF_PATH}/inbox">Open the inbox</a>: {_esc(waiting)}</p>
</section>
<section aria-labelledby="try-heading">
<h2 id="try-heading">Try a question</h2>
{render_try_form(session)}
</section>
<section aria-labelledby="publish-heading">
<h2 id="publish-heading">Publish</h2>
{publish or "<p>There is nothing to publish.</p>" if not drafts else publish}
<p><a href="{STAFF_PATH}/publishes">History of publishes</a></p>
{render_jobs(jobs[:3], session, compact=True)}
</section>"""
    return render_page("Studio", body, render_header(session))


def render_try_form(session: StaffSession, question: str = "") -> str:
    """The "try a question" form."""
    return f"""<form method="post" action="{STAFF_PATH}/try">
{csrf_field(session)}
<label for="question">A question, as a visitor would type it</label>
<input id="question" name="question" maxlength="300" required value="{_esc(question)}">
<button type="submit">Try it</button>
</form>"""


def render_topic_form(
    session: StaffSession,
    topic: TopicFile,
    version: str,
    *,
    new: bool = False,
    problems: tuple[str, ...] = (),
    warnings: list[str] | None = None,
    conflict: str | None = None,
    saved: bool = False,
) -> str:
    """The edit page of one topic (or the add page, ``new``)."""
    heading = "Add a topic" if new else f"Edit “{topic.title}”"
    action = f"{STAFF_PATH}/new-topic" if new else f"{STAFF_PATH}/topics/{_esc(topic.key)}"
    notes = ""
    if problems:
        items = "".join(f"<li>{_esc(p)}</li>" for p in problems)
        notes += f'<div role="alert"><p>The topic was not saved:</p><ul>{items}</ul></div>'
    if conflict is not None:
        notes += (
            '<div role="alert"><p>Someone else saved this topic while you were editing it. '
            "Your changes are still in the form below and were not saved. Their version:</p>"
            f"<pre>{_esc(conflict)}</pre><p>Save again to replace their version with yours."
            "</p></div>"
        )
    if saved:
        notes += (
            '<p role="status">Saved as a draft. A publisher publishes it; the history shows '
            "when it is live.</p>"
        )
    if warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in warnings)
        notes += f'<div class="warning"><p>Please check:</p><ul>{items}</ul></div>'
    key_field = ""
    if new:
        key_field = f"""<label for="key">Short name (letters, digits and _; it never changes)
</label>
<input id="key" name="key" required maxlength="50" pattern="[a-z][a-z0-9_]+"
 value="{_esc(topic.key)}" aria-describedby="key-help">
<p id="key-help" class="help">For example: parking_near_clinic</p>
<fieldset><legend>Where the answer comes from</legend>
{"".join(_source_choice(s, topic.source) for s in SOURCES if s != "clinic")}
</fieldset>"""
    facts = ""
    if topic.source == "clinic" and topic.facts:
        names = ", ".join("{" + f + "}" for f in topic.facts)
        facts = (
            '<p class="help" id="answer-help">This answer uses the clinic\'s settings: '
            f"{_esc(names)}. Keep those placeholders; they are filled in from the settings.</p>"
        )
    described = ' aria-describedby="answer-help"' if facts else ""
    return render_page(
        heading,
        f"""<p><a href="{STAFF_PATH}">Back to the topics</a></p>
<h1>{_esc(heading)}</h1>
{notes}
<form method="post" action="{action}">
{csrf_field(session)}
<input type="hidden" name="version" value="{_esc(version)}">
{key_field}
<label for="title">Button title (up to 32 characters)</label>
<input id="title" name="title" required maxlength="32" value="{_esc(topic.title)}">
<label for="answer">Answer</label>
{facts}<textarea id="answer" name="answer" rows="6" required{described}>
{_esc(topic.answer)}</textarea>
<label for="examples">Example questions, one a line (at least 5)</label>
<textarea id="examples" name="examples" rows="12">{_esc(chr(10).join(topic.examples))}</textarea>
<button type="submit">Save draft</button>
</form>
<section aria-labelledby="preview-heading">
<h2 id="preview-heading">Preview: the answer as visitors see it</h2>
{preview(topic.answer)}
</section>""",
        render_header(session),
    )


def _source_choice(source: str, chosen: str) -> str:
    checked = " checked" if source == chosen else ""
    return (
        f'<label class="choice"><input type="radio" name="source" value="{source}"{checked}> '
        f"{_esc(SOURCE_NAMES[source])}</label>"
    )


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def render_jobs(jobs: list[Job], session: StaffSession, compact: bool = False) -> str:
    """Publishes and rollbacks as a table, with rollback buttons for publishers."""
    if not jobs:
        return "<p>Nothing has been published from the studio yet.</p>"
    rows = []
    for job in jobs:
        action = ""
        if (
            not compact
            and session.account.can(PUBLISHER)
            and job.kind == "publish"
            and job.status == "published"
        ):
            action = f"""<form method="post" action="{STAFF_PATH}/publishes/{job.id}/rollback">
{csrf_field(session)}<button type="submit">Roll back publish {job.id}</button></form>"""
        what = "Rollback" if job.kind == "rollback" else "Publish"
        rows.append(
            f'<tr><th scope="row"><a href="{STAFF_PATH}/publishes/{job.id}">{what} {job.id}</a>'
            f"</th><td>{_esc(job.message)}</td><td>{_esc(job.requested_by)}</td>"
            f"<td>{_esc(STATUS_NAMES.get(job.status, job.status))}</td>"
            f"<td>{_when(job.created)}</td><td>{action}</td></tr>"
        )
    return f"""<table>
<caption>{"Latest publishes" if compact else "Every publish, newest first"}</caption>
<thead><tr><th scope="col">Publish</th><th scope="col">What changed</th>
<th scope="col">By</th><th scope="col">State</th><th scope="col">Asked for</th>
<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>{"".join(rows)}</tbody>
</table>"""


def render_job(job: Job, session: StaffSession) -> str:
    """One publish's progress (the page reloads itself until it has ended)."""
    running = job.status in ("queued", "running")
    steps = [s for s in STEP_NAMES if s not in ("starting", "done")]
    if not job.trained and job.status == "published":
        steps = [s for s in steps if s not in ("train", "gate", "stories", "hand_over")]
    reached = steps.index(job.step) if job.step in steps else (len(steps) if not running else -1)
    items = []
    for index, step in enumerate(steps):
        mark = "done" if index < reached else ("now" if index == reached and running else "")
        label = {"done": " (done)", "now": " (in progress)"}.get(mark, "")
        items.append(f"<li>{_esc(STEP_NAMES[step])}{label}</li>")
    detail = "".join(f"<p>{_esc(line)}</p>" for line in job.detail.splitlines() if line.strip())
    role = "alert" if job.status == "failed" else "status"
    # no automatic reload (it would move a screen reader's place): the staff member asks
    check_again = (
        "<p>Publishing with new questions takes a few minutes. "
        f'<a href="{STAFF_PATH}/publishes/{job.id}">Check progress again</a></p>'
    )
    state = STATUS_NAMES.get(job.status, job.status)
    body = f"""<p><a href="{STAFF_PATH}">Back to the topics</a></p>
<h1>{"Rollback" if job.kind == "rollback" else "Publish"} {job.id}: {_esc(state)}</h1>
<p>{_esc(job.message)} (asked for by {_esc(job.requested_by)}, {_when(job.created)})</p>
<ol>{"".join(items)}</ol>
<div role="{role}">{detail or f"<p>{_esc(state.capitalize())}.</p>"}</div>
{check_again if running else ""}"""
    return render_page(f"Publish {job.id}", body, render_header(session))


def render_try(
    session: StaffSession, question: str, result: dict[str, Any] | None, note: str
) -> str:
    """The result of trying a question."""
    if result is None:
        outcome = f'<p role="alert">{_esc(note)}</p>'
    else:
        outcome = f"""<div role="status">
<p>Topic: <strong>{_esc(result["topic"])}</strong>, confidence {result["confidence"]:.0%}</p>
{preview(result["answer"]) if result["answer"] else ""}
<p class="help">{_esc(note)}</p>
</div>"""
    body = f"""<p><a href="{STAFF_PATH}">Back to the topics</a></p>
<h1>Try a question</h1>
{render_try_form(session, question)}
<h2>What the assistant does with it</h2>
{outcome}"""
    return render_page("Try a question", body, render_header(session))


# ----------------------------------------------------------------------------------------
# Routes

topic_pages = Blueprint("staff_topics")


@topic_pages.get(STAFF_PATH)
@staff_only(EDITOR)
async def studio_home(request: Request, session: StaffSession) -> HTTPResponse:
    """The studio's home page: topics, try a question, publishing."""
    studio = await _studio(request)

    def gather() -> tuple[list[tuple[str, TopicFile | None, bool]], list[Job]]:
        drafted = set(studio.drafted())
        topics = [(key, studio.current(key)[0], key in drafted) for key in studio.topic_keys()]
        return topics, studio.history(10)

    topics, jobs = await asyncio.to_thread(gather)
    store = await _inbox(request)
    counts: dict[str, inbox.TopicCounts] | None = None
    waiting: int | None = None
    if store is not None:
        since = database.utc_now() - WEEK
        try:
            counts = await asyncio.to_thread(store.counts_by_topic, since)
            waiting = len(await asyncio.to_thread(store.open_entries, 500))
        except inbox.InboxUnavailable:
            counts, waiting = None, None
    return response.html(
        render_home(session, topics, jobs, counts, waiting, await _file_problems(request, studio))
    )


async def _file_problems(request: Request, studio: Studio) -> tuple[str, ...]:
    """What is wrong with the live settings file and the published topic files, if anything."""

    def check() -> tuple[str, ...]:
        found: list[str] = []
        clinic = request.app.ctx.clinic
        clinic.get()
        if clinic.problem:
            found.append(f"the clinic settings file: {clinic.problem}")
        _, problems = load_topic_dir(studio.topics_dir)
        found.extend(f"the topic file {p}" for p in problems if not p.warning)
        return tuple(found)

    return await asyncio.to_thread(check)


def _topic_from_form(request: Request, key: str, base: TopicFile | None) -> TopicFile:
    return TopicFile(
        key=key,
        title=" ".join(_form(request, "title").split()),
        source=base.source if base else (_form(request, "source") or "general"),
        answer=" ".join(_form(request, "answer").split()),
        examples=examples_of(_form(request, "examples")),
        facts=dict(base.facts) if base else {},
        reviewed_by=request.ctx.staff_user if hasattr(request.ctx, "staff_user") else "",
        reviewed_on=dt.date.today().isoformat(),
    )


async def _others(studio: Studio) -> dict[str, TopicFile]:
    def read() -> dict[str, TopicFile]:
        found = {key: studio.current(key)[0] for key in studio.topic_keys()}
        return {key: topic for key, topic in found.items() if topic is not None}

    return await asyncio.to_thread(read)


def _warnings(topic: TopicFile, others: dict[str, TopicFile]) -> list[str]:
    return [
        f"“{mine}” reads like “{theirs}”, an example of “{others[key].title}”: visitors may get "
        "that "
        "topic's answer instead"
        for mine, key, theirs in similar_examples(topic, others)
    ]


@topic_pages.route(f"{STAFF_PATH}/topics/<key:str>", methods=["GET", "POST"])  # type: ignore[untyped-decorator]
@staff_only(EDITOR)
async def edit_topic(request: Request, session: StaffSession, key: str) -> HTTPResponse:
    """Edit a topic: GET shows it, POST saves a draft (conflicts shown, never overwritten)."""
    if not KEY_PATTERN.match(key):
        return response.text("There is no such topic.", status=404)
    studio = await _studio(request)
    base, version = await asyncio.to_thread(studio.current, key)
    if base is None:
        return response.text("There is no such topic.", status=404)
    if request.method == "GET":
        return response.html(render_topic_form(session, base, version))
    if len(request.body or b"") > MAX_FORM_BYTES:
        return response.text("That is too much text for one topic.", status=413)
    request.ctx.staff_user = session.account.user_name
    topic = _topic_from_form(request, key, base)
    result = await asyncio.to_thread(studio.save_draft, topic, _form(request, "version"))
    if result.problems:
        return response.html(
            render_topic_form(session, topic, _form(request, "version"), problems=result.problems),
            status=422,
        )
    if result.conflict is not None:
        return response.html(
            render_topic_form(session, topic, result.version, conflict=result.conflict),
            status=409,
        )
    await _audit(request, session, "topic_saved", key)
    warnings = _warnings(topic, await _others(studio))
    return response.html(
        render_topic_form(session, topic, result.version, saved=True, warnings=warnings)
    )


@topic_pages.route(f"{STAFF_PATH}/new-topic", methods=["GET", "POST"])  # type: ignore[untyped-decorator]
@staff_only(EDITOR)
async def new_topic(request: Request, session: StaffSession) -> HTTPResponse:
    """Add a topic (a draft until published)."""
    empty = TopicFile(key="", title="", source="general", answer="", examples=())
    if request.method == "GET":
        start_from = request.args.get("from", "")
        store = await _inbox(request) if start_from.isdigit() else None
        entry = await asyncio.to_thread(store.entry, int(start_from)) if store else None
        if entry is not None:
            empty = TopicFile(**{**empty.__dict__, "examples": (entry.question,)})
        return response.html(render_topic_form(session, empty, NEW, new=True))
    if len(request.body or b"") > MAX_FORM_BYTES:
        return response.text("That is too much text for one topic.", status=413)
    request.ctx.staff_user = session.account.user_name
    key = _form(request, "key").strip().lower()
    source = _form(request, "source")
    if source not in ("seed", "general"):
        source = "general"
    topic = _topic_from_form(request, key, None)
    topic = TopicFile(**{**topic.__dict__, "source": source})
    studio = await _studio(request)
    problems = tuple(p.message for p in topic_problems(topic, key) if not p.warning)
    if not problems and key in await asyncio.to_thread(studio.topic_keys):
        problems = (f"There is already a topic called {key}: choose another short name.",)
    if problems:
        return response.html(
            render_topic_form(session, topic, NEW, new=True, problems=problems), status=422
        )
    result = await asyncio.to_thread(studio.save_draft, topic, NEW)
    if not result.saved:
        problems = result.problems or (f"There is already a topic called {key}.",)
        return response.html(
            render_topic_form(session, topic, NEW, new=True, problems=problems), status=409
        )
    await _audit(request, session, "topic_added", key)
    return response.redirect(f"{STAFF_PATH}/topics/{key}", status=303)


async def _audit(request: Request, session: StaffSession, action: str, detail: str) -> None:
    staff = request.app.ctx.staff
    try:
        await staff.call(staff.store.record, session.account.user_name, action, detail)
    except Exception:  # the audit log must not lose the staff member's work
        log.warning("staff studio: the audit log could not record %s", action)


async def _parse(request: Request, question: str) -> dict[str, Any] | None:
    """Rasa's parse of ``question`` through its HTTP API (None when the API is off)."""
    secret = os.environ.get("RASA_JWT_SECRET", "").strip()
    secret_file = os.environ.get("RASA_JWT_SECRET_FILE", "").strip()
    if not secret and secret_file:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError:
            secret = ""
    if not secret or os.environ.get("RASA_ENABLE_API", "0") not in ("1", "true", "yes"):
        return None
    import jwt

    token = jwt.encode({"user": {"username": "studio", "role": "admin"}}, secret, "HS256")
    url = request.app.ctx.settings.rasa_api_url.rstrip("/") + "/model/parse"
    timeout = aiohttp.ClientTimeout(total=TRY_TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(
            url, json={"text": question}, headers={"Authorization": f"Bearer {token}"}
        ) as reply,
    ):
        if reply.status != 200:
            return None
        parsed: dict[str, Any] = await reply.json()
        return parsed


async def _trial_parse(studio: Studio, digest: str, question: str) -> dict[str, Any] | None:
    """The trial model ``digest``'s parse, from the worker's trial parser (Unix socket)."""
    from clinic_server.trial_server import SOCKET_NAME

    socket = studio.trial_dir / SOCKET_NAME
    if not socket.exists():
        return None
    timeout = aiohttp.ClientTimeout(total=TRIAL_TIMEOUT)
    connector = aiohttp.UnixConnector(path=str(socket))
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as http,
        http.post("http://trial/parse", json={"text": question, "model": digest}) as reply,
    ):
        if reply.status != 200:
            return None
        parsed: dict[str, Any] = await reply.json()
        return parsed


async def _what_it_does(studio: Studio, parsed: dict[str, Any]) -> dict[str, Any]:
    """The topic, confidence and drafted answer for a parse, in the studio's words."""
    decision = parsed.get("decision") or {}
    intent = (parsed.get("intent") or {}).get("name") or "unknown"
    confidence = float((parsed.get("intent") or {}).get("confidence") or 0.0)
    key = decision.get("faq_topic")
    answer, topic_name = "", str(intent).replace("_", " ")
    if intent == "urgent_symptoms":
        topic_name = "a red flag: the visitor gets urgent-care advice"
    elif isinstance(key, str):
        topic, _ = await asyncio.to_thread(studio.current, key)
        if topic is not None:
            answer, topic_name = topic.answer, topic.title
    elif intent == "faq":
        topic_name = "not sure which topic: the visitor is asked to choose"
    return {"topic": topic_name, "confidence": confidence, "answer": answer}


@topic_pages.post(f"{STAFF_PATH}/try")
@staff_only(EDITOR)
async def try_question(request: Request, session: StaffSession) -> HTTPResponse:
    """What the draft model does with a question, answered with the drafts' wording.

    When no draft changes the example questions, the live model is the draft model. When one
    does, the worker trains a trial model on the drafts (queued here, about a minute); until
    it is ready the page says so and shows what the live model does meanwhile."""
    question = " ".join(_form(request, "question").split())[:300]
    if not question:
        return response.html(render_try(session, "", None, "Please type a question first."), 400)
    studio = await _studio(request)
    draft, live = await asyncio.gather(
        asyncio.to_thread(studio.draft_digest), asyncio.to_thread(studio.published_digest)
    )
    parsed: dict[str, Any] | None = None
    note = "No draft changes the example questions, so the live model is the draft model."
    if draft != live:
        if await asyncio.to_thread(studio.trial_model, draft) is not None:
            try:
                parsed = await _trial_parse(studio, draft, question)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                parsed = None
            note = (
                "From a trial model that learned your drafts' example questions."
                if parsed is not None
                else "The trial model of your drafts is starting: try again in a moment. "
                "Meanwhile, this is what the live model does."
            )
        else:
            job = await asyncio.to_thread(studio.trial_job, draft)
            if job is not None and job.status == "failed":
                note = f"The drafts cannot be tried yet. {job.detail}"
            else:
                await asyncio.to_thread(studio.request_trial, session.account.user_name, draft)
                note = (
                    "Your drafts change the example questions: the assistant is learning them "
                    "in a trial model now, which takes about a minute. Try again then. "
                    "Meanwhile, this is what the live model does."
                )
    if parsed is None:
        try:
            parsed = await _parse(request, question)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            parsed = None
    if parsed is None:
        unreachable = (
            "The live assistant could not be asked just now (is it running, with its HTTP API "
            "on? `make run` turns it on behind a secret)."
        )
        if draft != live:  # what is happening to the drafts still matters
            unreachable = note.replace("Meanwhile, this is what the live model does.", "")
            unreachable += " The live assistant could not be asked just now."
        return response.html(render_try(session, question, None, unreachable), status=503)
    result = await _what_it_does(studio, parsed)
    return response.html(render_try(session, question, result, note + " The answer as drafted."))


@topic_pages.post(f"{STAFF_PATH}/publish")
@staff_only(PUBLISHER)
async def publish(request: Request, session: StaffSession) -> HTTPResponse:
    """Queue a publish of every draft; on to its progress page."""
    studio = await _studio(request)
    message = " ".join(_form(request, "message").split())[:200] or "Publish from the studio"
    job_id = await asyncio.to_thread(studio.request_publish, session.account.user_name, message)
    await _audit(request, session, "publish_requested", str(job_id))
    return response.redirect(f"{STAFF_PATH}/publishes/{job_id}", status=303)


@topic_pages.get(f"{STAFF_PATH}/publishes")
@staff_only(EDITOR)
async def publishes(request: Request, session: StaffSession) -> HTTPResponse:
    """Every publish and rollback."""
    studio = await _studio(request)
    jobs = await asyncio.to_thread(studio.history, 200)
    body = f"""<p><a href="{STAFF_PATH}">Back to the topics</a></p>
<h1>History of publishes</h1>
{render_jobs(jobs, session)}"""
    return response.html(render_page("History", body, render_header(session)))


@topic_pages.get(f"{STAFF_PATH}/publishes/<job_id:int>")
@staff_only(EDITOR)
async def publish_progress(request: Request, session: StaffSession, job_id: int) -> HTTPResponse:
    """One publish's progress and outcome."""
    studio = await _studio(request)
    job = await asyncio.to_thread(studio.job, job_id)
    if job is None:
        return response.text("There is no such publish.", status=404)
    return response.html(render_job(job, session))


@topic_pages.post(f"{STAFF_PATH}/publishes/<job_id:int>/rollback")
@staff_only(PUBLISHER)
async def rollback(request: Request, session: StaffSession, job_id: int) -> HTTPResponse:
    """Queue the undoing of a finished publish."""
    studio = await _studio(request)
    try:
        new_id = await asyncio.to_thread(studio.request_rollback, job_id, session.account.user_name)
    except ValueError as error:
        return response.text(str(error).capitalize() + ".", status=409)
    await _audit(request, session, "rollback_requested", str(job_id))
    return response.redirect(f"{STAFF_PATH}/publishes/{new_id}", status=303)


def render_inbox(
    session: StaffSession,
    entries: list[inbox.InboxEntry],
    titles: dict[str, str],
    note: str = "",
) -> str:
    """Open inbox entries, each with one-click actions."""
    if not entries:
        listing = "<p>There is nothing in the inbox: every question got an answer.</p>"
    else:
        items = []
        for entry in entries:
            guess = entry.topic_guess or entry.answered_topic or ""
            options = "".join(
                f'<option value="{_esc(key)}"{" selected" if key == guess else ""}>'
                f"{_esc(title)}</option>"
                for key, title in sorted(titles.items(), key=lambda item: item[1].lower())
            )
            guess_text = (
                f"The assistant thought of “{_esc(titles.get(guess, guess))}”"
                + (f" ({entry.confidence:.0%} sure)." if entry.confidence is not None else ".")
                if guess
                else "The assistant had no topic in mind."
            )
            field = f"topic-{entry.id}"
            items.append(
                f"""<li><article aria-labelledby="q-{entry.id}">
<h3 id="q-{entry.id}">“{_esc(entry.question)}”</h3>
<p>{_esc(KIND_NAMES.get(entry.kind, entry.kind))}, {_when(entry.created_at)}. {guess_text}</p>
<form method="post" action="{STAFF_PATH}/inbox/{entry.id}">
{csrf_field(session)}<input type="hidden" name="action" value="example">
<label for="{field}">Add as an example question of</label>
<select id="{field}" name="topic">{options}</select>
<button type="submit">Add as an example</button>
</form>
<form method="post" action="{STAFF_PATH}/inbox/{entry.id}">
{csrf_field(session)}<input type="hidden" name="action" value="new_topic">
<button type="submit">Start a new topic with it</button>
</form>
<form method="post" action="{STAFF_PATH}/inbox/{entry.id}">
{csrf_field(session)}<input type="hidden" name="action" value="ignore">
<button type="submit">Ignore</button>
</form>
</article></li>"""
            )
        listing = f'<ol class="inbox">{"".join(items)}</ol>'
    status = f'<p role="status">{_esc(note)}</p>' if note else ""
    body = f"""<p><a href="{STAFF_PATH}">Back to the topics</a></p>
<h1>Questions the assistant could not answer</h1>
<p>Visitors' questions that ended in a "did you mean", a "sorry, I did not understand", an
off-topic reply or a 👎, without anything else from the conversation: names, phone numbers
and e-mail addresses are removed before they are kept.</p>
{status}
{listing}"""
    return render_page("Inbox", body, render_header(session))


@topic_pages.get(f"{STAFF_PATH}/inbox")
@staff_only(EDITOR)
async def inbox_page(request: Request, session: StaffSession) -> HTTPResponse:
    """The open inbox entries."""
    store = await _inbox(request)
    if store is None:
        return response.text("The inbox cannot be read just now. Please try again later.", 503)
    studio = await _studio(request)
    try:
        entries = await asyncio.to_thread(store.open_entries, 100)
    except inbox.InboxUnavailable:
        return response.text("The inbox cannot be read just now. Please try again later.", 503)
    titles = {key: topic.title for key, topic in (await _others(studio)).items()}
    note = _form_arg(request, "done")
    return response.html(render_inbox(session, entries, titles, note))


def _form_arg(request: Request, name: str) -> str:
    value = request.args.get(name)
    return {"example": "Added as an example: publish to teach it.", "ignore": "Ignored."}.get(
        value or "", ""
    )


@topic_pages.post(f"{STAFF_PATH}/inbox/<entry_id:int>")
@staff_only(EDITOR)
async def inbox_action(request: Request, session: StaffSession, entry_id: int) -> HTTPResponse:
    """One click on an inbox entry: add it as an example, start a new topic, or ignore it."""
    store = await _inbox(request)
    if store is None:
        return response.text("The inbox cannot be read just now. Please try again later.", 503)
    entry = await asyncio.to_thread(store.entry, entry_id)
    if entry is None:
        return response.text("There is no such question in the inbox.", status=404)
    action, by = _form(request, "action"), session.account.user_name
    studio = await _studio(request)
    if action == "example":
        key = _form(request, "topic")
        for _attempt in range(3):  # someone may save the topic meanwhile: read it again
            topic, version = await asyncio.to_thread(studio.current, key)
            if topic is None:
                return response.text("There is no such topic.", status=404)
            if entry.question in topic.examples:
                break
            more = TopicFile(**{**topic.__dict__, "examples": (*topic.examples, entry.question)})
            if (await asyncio.to_thread(studio.save_draft, more, version)).saved:
                break
        else:
            return response.text("The topic kept changing: please try again.", status=409)
        await asyncio.to_thread(store.resolve, entry_id, "added_as_example", by)
        await _audit(request, session, "inbox_added_as_example", key)
        return response.redirect(f"{STAFF_PATH}/inbox?done=example", status=303)
    if action == "new_topic":
        await asyncio.to_thread(store.resolve, entry_id, "new_topic", by)
        await _audit(request, session, "inbox_new_topic", str(entry_id))
        return response.redirect(f"{STAFF_PATH}/new-topic?from={entry_id}", status=303)
    if action == "ignore":
        await asyncio.to_thread(store.resolve, entry_id, "ignored", by)
        await _audit(request, session, "inbox_ignored", str(entry_id))
        return response.redirect(f"{STAFF_PATH}/inbox?done=ignore", status=303)
    return response.text("That is not something the inbox can do.", status=400)
