"""The staff studio's back office: drafts of topic files, and the queue of publishes.

- **Drafts.** An edit is saved as a draft topic file under ``<data dir>/studio/drafts/``, over
  the published one (``data/topics/<key>.yml``), until it is published. Every save names the
  version it started from (the SHA-256 of the text the editor was shown): when someone else
  saved the topic since, the save is refused with the other version, never overwritten.
- **Publishes.** ``request_publish`` queues a publish; the worker
  (``clinic_server.studio_worker``) takes them one at a time, oldest first, and records each
  step (validate, train, gate, hand over, commit) with a plain-words detail. ``history`` lists
  them all; ``request_rollback`` queues the undoing of a finished publish.

Pure module: no Rasa import. The jobs live in the staff database (``STAFF_DATABASE_URL``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from clinic_office import config, sqlite
from clinic_office.topic_files import TopicFile, parse_topic, render_topic, topic_problems

__all__ = ["Job", "SaveResult", "Studio", "training_digest", "version_of"]

NEW = "new"  # the version a topic that does not exist yet starts from
TRIAL = "trial"  # a job that trains a trial model on the drafts, for "try a question"
DIGEST = re.compile(r"^[0-9a-f]{16}$")

_metadata = sa.MetaData()
_jobs = sa.Table(
    "studio_publishes",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # publish | rollback | trial
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("message", sa.String(500), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued running published failed
    sa.Column("step", sa.String(32), nullable=False, default=""),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("target", sa.Integer, nullable=True),  # rollback: the publish undone
    sa.Column("trained", sa.Boolean, nullable=False, default=False),
    sa.Column("commit", sa.String(64), nullable=False, default=""),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("finished", sa.DateTime, nullable=True),
)


def version_of(text: str | None) -> str:
    """A topic text's version: its SHA-256, or ``new`` for none."""
    if text is None:
        return NEW
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def training_digest(topics: dict[str, TopicFile]) -> str:
    """What a model learns from the topics (each key and its example questions), as 16 hex
    digits: two sets of topics with the same digest train the same FAQ model, whatever their
    answers say."""
    canonical = json.dumps(
        {key: list(topic.examples) for key, topic in topics.items()}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SaveResult:
    """A draft save: ``saved``, or why not (``conflict`` with the other version, ``problems``)."""

    saved: bool
    version: str = ""
    conflict: str | None = None  # the text someone else saved meanwhile
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    """One publish or rollback, as the history shows it."""

    id: int
    kind: str
    requested_by: str
    message: str
    status: str
    step: str
    detail: str
    target: int | None
    trained: bool
    commit: str
    created: dt.datetime
    finished: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Studio:
    """Drafts over the published topic files, and the publish queue."""

    def __init__(
        self,
        topics_dir: Path | None = None,
        data_dir: Path | None = None,
        database_url: str | None = None,
    ) -> None:
        """Use the configured folders and staff database unless given."""
        settings = config.current()
        self.topics_dir = topics_dir or settings.topics_dir
        self.studio_dir = (data_dir or settings.data_dir) / "studio"
        self.drafts_dir = self.studio_dir / "drafts"
        url = database_url or settings.staff_database_url
        sqlite.make_folder(url)
        self.engine = sa.create_engine(url, future=True, pool_pre_ping=True)
        _metadata.create_all(self.engine)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------
    # Drafts

    def _published(self, key: str) -> str | None:
        path = self.topics_dir / f"{key}.yml"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def _draft(self, key: str) -> str | None:
        path = self.drafts_dir / f"{key}.yml"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def current_text(self, key: str) -> str | None:
        """The topic as staff see it: the draft if there is one, else the published file."""
        draft = self._draft(key)
        return draft if draft is not None else self._published(key)

    def current(self, key: str) -> tuple[TopicFile | None, str]:
        """The topic staff see, and its version (what a save must name)."""
        text = self.current_text(key)
        if text is None:
            return None, NEW
        topic, _ = parse_topic(text, f"{key}.yml")
        return topic, version_of(text)

    def topic_keys(self) -> list[str]:
        """Every topic key, published or drafted."""
        names = {p.stem for p in self.topics_dir.glob("*.yml")}
        names |= {p.stem for p in self.drafts_dir.glob("*.yml")}
        return sorted(names)

    def drafted(self) -> list[str]:
        """The keys with a draft that differs from the published file."""
        return [
            key
            for key in sorted(p.stem for p in self.drafts_dir.glob("*.yml"))
            if self._draft(key) != self._published(key)
        ]

    def _topics(self, with_drafts: bool) -> dict[str, TopicFile]:
        keys = (
            self.topic_keys()
            if with_drafts
            else sorted(p.stem for p in self.topics_dir.glob("*.yml"))
        )
        topics: dict[str, TopicFile] = {}
        for key in keys:
            text = self.current_text(key) if with_drafts else self._published(key)
            topic = parse_topic(text, f"{key}.yml")[0] if text is not None else None
            if topic is not None:
                topics[key] = topic
        return topics

    def draft_digest(self) -> str:
        """The training digest of the topics with the drafts over them."""
        return training_digest(self._topics(with_drafts=True))

    def published_digest(self) -> str:
        """The training digest of the published topics (what the live model learned)."""
        return training_digest(self._topics(with_drafts=False))

    @property
    def trial_dir(self) -> Path:
        """Where the worker keeps trial models (``<digest>.tar.gz``) and their parser."""
        return self.studio_dir / "trial"

    def trial_model(self, digest: str) -> Path | None:
        """The trial model trained on topics with ``digest``, when the worker has made it."""
        if not DIGEST.match(digest):
            return None
        path = self.trial_dir / f"{digest}.tar.gz"
        return path if path.is_file() else None

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One save at a time, across threads and processes."""
        self.drafts_dir.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.studio_dir / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save_draft(self, topic: TopicFile, base_version: str) -> SaveResult:
        """Save ``topic`` as a draft if nobody saved it since ``base_version``."""
        problems = tuple(
            p.message for p in topic_problems(topic, f"{topic.key}.yml") if not p.warning
        )
        if problems:
            return SaveResult(saved=False, problems=problems)
        text = render_topic(topic)
        with self._exclusive():
            now = self.current_text(topic.key)
            if version_of(now) != base_version:
                return SaveResult(saved=False, version=version_of(now), conflict=now or "")
            path = self.drafts_dir / f"{topic.key}.yml"
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
        return SaveResult(saved=True, version=version_of(text))

    def discard_draft(self, key: str) -> None:
        """Forget a topic's draft (the published file stays)."""
        with self._exclusive():
            (self.drafts_dir / f"{key}.yml").unlink(missing_ok=True)

    def clear_published_drafts(self) -> None:
        """Remove the drafts that now equal the published files."""
        with self._exclusive():
            for path in self.drafts_dir.glob("*.yml"):
                if path.read_text(encoding="utf-8") == self._published(path.stem):
                    path.unlink()

    # ------------------------------------------------------------------------------------
    # The publish queue

    def _queue(self, kind: str, by: str, message: str, target: int | None = None) -> int:
        with self.engine.begin() as db:
            result = db.execute(
                _jobs.insert().values(
                    kind=kind,
                    requested_by=by[:100],
                    message=" ".join(message.split())[:500],
                    status="queued",
                    step="",
                    detail="",
                    target=target,
                    trained=False,
                    commit="",
                    created=_now(),
                )
            )
            return int(result.inserted_primary_key[0])

    def request_publish(self, by: str, message: str) -> int:
        """Queue a publish of every draft; its id."""
        return self._queue("publish", by, message or "Publish from the staff studio")

    def request_trial(self, by: str, digest: str) -> int:
        """Queue the training of a trial model on the drafts (``digest``: what they teach)
        unless one is queued or running for the same digest; the job's id."""
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(_jobs.c.id).where(
                    _jobs.c.kind == TRIAL,
                    _jobs.c.message == digest,
                    _jobs.c.status.in_(("queued", "running")),
                )
            ).first()
        if row is not None:
            return int(row.id)
        return self._queue(TRIAL, by, digest)

    def trial_job(self, digest: str) -> Job | None:
        """The latest trial job for ``digest``."""
        with self.engine.connect() as db:
            row = (
                db.execute(
                    sa.select(_jobs)
                    .where(_jobs.c.kind == TRIAL, _jobs.c.message == digest)
                    .order_by(_jobs.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return Job(**dict(row)) if row else None

    def request_rollback(self, target: int, by: str) -> int:
        """Queue the undoing of finished publish ``target``; ValueError if it cannot be."""
        job = self.job(target)
        if job is None or job.kind != "publish" or job.status != "published":
            raise ValueError("only a finished publish can be rolled back")
        return self._queue("rollback", by, f"Roll back publish {target}", target)

    def job(self, job_id: int) -> Job | None:
        """One publish or rollback."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(_jobs).where(_jobs.c.id == job_id)).mappings().first()
        return Job(**dict(row)) if row else None

    def history(self, limit: int = 50) -> list[Job]:
        """The latest publishes and rollbacks, newest first (trial models are not publishes)."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(_jobs)
                .where(_jobs.c.kind != TRIAL)
                .order_by(_jobs.c.id.desc())
                .limit(limit)
            )
            return [Job(**dict(row)) for row in rows.mappings()]

    def claim_next(self) -> Job | None:
        """The oldest queued job, now running (none while another one runs)."""
        with self.engine.begin() as db:
            running = db.execute(
                sa.select(sa.func.count()).select_from(_jobs).where(_jobs.c.status == "running")
            ).scalar_one()
            if running:
                return None
            row = db.execute(
                sa.select(_jobs.c.id).where(_jobs.c.status == "queued").order_by(_jobs.c.id)
            ).first()
            if row is None:
                return None
            claimed = db.execute(
                _jobs.update()
                .where(_jobs.c.id == row.id, _jobs.c.status == "queued")
                .values(status="running", step="starting")
            ).rowcount
        return self.job(int(row.id)) if claimed else None

    def progress(self, job_id: int, step: str, detail: str = "") -> None:
        """Record the step a running job is on."""
        with self.engine.begin() as db:
            db.execute(_jobs.update().where(_jobs.c.id == job_id).values(step=step, detail=detail))

    def finish(
        self, job_id: int, status: str, detail: str, trained: bool = False, commit: str = ""
    ) -> None:
        """Record how a job ended: ``published`` or ``failed``, and why in plain words."""
        with self.engine.begin() as db:
            db.execute(
                _jobs.update()
                .where(_jobs.c.id == job_id)
                .values(
                    status=status,
                    step="done",
                    detail=detail,
                    trained=trained,
                    commit=commit,
                    finished=_now(),
                )
            )

    def fail_interrupted(self) -> int:
        """Mark jobs left running by a stopped worker as failed; how many."""
        with self.engine.begin() as db:
            return int(
                db.execute(
                    _jobs.update()
                    .where(_jobs.c.status == "running")
                    .values(
                        status="failed",
                        step="done",
                        detail="The publishing worker stopped during this publish. Check "
                        "the history, then publish again.",
                        finished=_now(),
                    )
                ).rowcount
                or 0
            )
