"""The studio's drafts, publish queue and worker, on a copy of the project in a git repo.

Answer-only publishes need no model, so these run the real worker end to end (no training);
tests/e2e/test_studio_publish.py trains a model for a new example question.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_office import config
from clinic_office.studio import NEW, Studio, version_of
from clinic_office.topic_files import TopicFile, parse_topic
from clinic_office.topics import TopicStore
from clinic_server.studio_worker import Worker, WorkerSettings
from scripts.studio_stack import git

ROOT = Path(__file__).resolve().parents[2]


def project_copy(project: Path) -> Path:
    """A copy of the project's topic files, derived files and contract at ``project``, in a
    git repository of its own."""
    (project / "docs").mkdir(parents=True)
    shutil.copytree(ROOT / "data", project / "data")
    for name in ("domain.yml", "config.yml", "docs/faq-topics.yml"):
        shutil.copy(ROOT / name, project / name)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "start")
    return project


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project copy (topic files, derived files, contract) in its own git repository."""
    project = project_copy(tmp_path / "project")
    monkeypatch.setenv("CLINIC_HOME", str(project))
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CLINIC_TOPICS_DIR", raising=False)
    monkeypatch.delenv("STAFF_DATABASE_URL", raising=False)
    config.current.cache_clear()
    yield project
    config.current.cache_clear()


def edited(studio: Studio, key: str, **changes: object) -> tuple[TopicFile, str]:
    topic, version = studio.current(key)
    assert topic is not None
    return TopicFile(**{**topic.__dict__, **changes}), version


def worker_for(studio: Studio, home: Path, tmp_path: Path) -> Worker:
    settings = WorkerSettings(
        home=home,
        models_dir=tmp_path / "models",
        work_dir=tmp_path / "var" / "studio",
        python=ROOT / ".venv" / "bin" / "python",
    )
    return Worker(studio, settings)


def test_a_second_save_from_the_same_version_is_a_conflict(home: Path) -> None:
    studio = Studio()
    first, version = edited(studio, "session_length", answer="About 45 minutes.")
    second, _ = edited(studio, "session_length", answer="About an hour.")
    assert studio.save_draft(first, version).saved
    clash = studio.save_draft(second, version)
    assert not clash.saved and clash.conflict is not None
    assert "About 45 minutes." in clash.conflict  # what the other person saved
    assert studio.current("session_length")[0].answer == "About 45 minutes."  # type: ignore[union-attr]
    assert studio.save_draft(second, clash.version).saved  # after seeing it, on purpose
    assert studio.drafted() == ["session_length"]


def test_a_draft_with_errors_is_refused_in_plain_words(home: Path) -> None:
    studio = Studio()
    broken, version = edited(studio, "session_length", answer="")
    result = studio.save_draft(broken, version)
    assert not result.saved and result.problems == ("`answer` is empty",)
    assert studio.drafted() == []


def test_a_new_topic_starts_from_nothing(home: Path) -> None:
    studio = Studio()
    assert studio.current("parking") == (None, NEW)
    topic = TopicFile(
        key="parking",
        title="Parking",
        source="general",
        answer="Please ask our team about parking near the clinic.",
        examples=tuple(f"where do I park {n}" for n in range(5)),
    )
    assert studio.save_draft(topic, NEW).saved
    assert not studio.save_draft(topic, NEW).saved  # someone made it meanwhile
    assert "parking" in studio.topic_keys()


def test_one_job_runs_at_a_time(home: Path) -> None:
    studio = Studio()
    first = studio.request_publish("Ana", "one")
    second = studio.request_publish("Ben", "two")
    claimed = studio.claim_next()
    assert claimed is not None and claimed.id == first and claimed.status == "running"
    assert studio.claim_next() is None  # the first is still running
    studio.finish(first, "published", "ok")
    claimed = studio.claim_next()
    assert claimed is not None and claimed.id == second


def test_an_answer_edit_is_published_without_training_committed_and_rolled_back(
    home: Path, tmp_path: Path
) -> None:
    studio = Studio()
    worker = worker_for(studio, home, tmp_path)
    live = TopicStore(home / "data" / "topics", clock=lambda: 0.0)
    before = live.get()["session_length"].answer
    topic, version = edited(
        studio, "session_length", answer="A session takes about 45 minutes.", reviewed_by="Ana"
    )
    assert studio.save_draft(topic, version).saved
    job_id = studio.request_publish("Ana Lopez", "Session length: 45 minutes")

    job = worker.run_once()
    assert job is not None and job.id == job_id
    assert (job.status, job.trained) == ("published", False), job.detail
    assert TopicStore(home / "data" / "topics").get()["session_length"].answer == (
        "A session takes about 45 minutes."
    )
    assert "A session takes about 45 minutes." in (home / "domain.yml").read_text()
    assert studio.drafted() == []
    assert git(home, "log", "-1", "--format=%an|%s") == "Ana Lopez|Session length: 45 minutes"
    assert job.commit == git(home, "rev-parse", "HEAD")
    assert not (tmp_path / "models" / "current.tar.gz").exists()  # no model handed over

    rollback = studio.request_rollback(job_id, "Ben")
    undone = worker.run_once()
    assert undone is not None and undone.id == rollback and undone.status == "published"
    assert TopicStore(home / "data" / "topics").get()["session_length"].answer == before
    assert git(home, "status", "--porcelain") == ""
    assert [j.kind for j in studio.history()] == ["rollback", "publish"]


def test_a_broken_draft_publishes_nothing_and_says_why(home: Path, tmp_path: Path) -> None:
    studio = Studio()
    studio.drafts_dir.mkdir(parents=True)
    (studio.drafts_dir / "session_length.yml").write_text("key: session_length\nanswer: [\n")
    head = git(home, "rev-parse", "HEAD")
    before = (home / "data" / "topics" / "session_length.yml").read_text()
    studio.request_publish("Ana", "broken")
    job = worker_for(studio, home, tmp_path).run_once()
    assert job is not None and job.status == "failed"
    assert "not readable YAML" in job.detail
    assert (home / "data" / "topics" / "session_length.yml").read_text() == before
    assert git(home, "rev-parse", "HEAD") == head


def test_only_a_finished_publish_can_be_rolled_back(home: Path) -> None:
    studio = Studio()
    queued = studio.request_publish("Ana", "x")
    with pytest.raises(ValueError):
        studio.request_rollback(queued, "Ben")
    assert version_of(None) == NEW
    assert parse_topic(studio.current_text("session_length") or "")[0] is not None


def test_the_training_digest_follows_the_examples_not_the_answers(home: Path) -> None:
    studio = Studio()
    live = studio.published_digest()
    assert studio.draft_digest() == live
    topic, version = edited(studio, "session_length", answer="About 45 minutes.")
    assert studio.save_draft(topic, version).saved
    assert studio.draft_digest() == live  # an answer teaches the model nothing
    topic, version = studio.current("session_length")
    assert topic is not None
    more = TopicFile(**{**topic.__dict__, "examples": (*topic.examples, "is it quick")})
    assert studio.save_draft(more, version).saved
    assert studio.draft_digest() != live
    assert studio.published_digest() == live


def test_a_trial_is_queued_once_per_digest_and_is_not_a_publish(home: Path) -> None:
    studio = Studio()
    first = studio.request_trial("ed", "0123456789abcdef")
    assert studio.request_trial("ed", "0123456789abcdef") == first
    other = studio.request_trial("ed", "fedcba9876543210")
    assert other != first
    trial = studio.trial_job("0123456789abcdef")
    assert trial is not None and (trial.id, trial.kind) == (first, "trial")
    assert studio.history() == []  # trials are not publishes
    studio.finish(first, "failed", "no")
    assert studio.request_trial("ed", "0123456789abcdef") not in (first, other)


@pytest.mark.parametrize("digest", ["../../etc/passwd", "0123456789ABCDEF", "", "0" * 64])
def test_a_trial_model_is_only_found_by_a_digest(home: Path, digest: str) -> None:
    studio = Studio()
    studio.trial_dir.mkdir(parents=True)
    (studio.trial_dir / "0123456789abcdef.tar.gz").write_bytes(b"model")
    assert studio.trial_model(digest) is None
    assert studio.trial_model("0123456789abcdef") == studio.trial_dir / "0123456789abcdef.tar.gz"


def test_an_answer_only_trial_trains_nothing(home: Path, tmp_path: Path) -> None:
    studio = Studio()
    topic, version = edited(studio, "session_length", answer="About 45 minutes.")
    assert studio.save_draft(topic, version).saved
    job_id = studio.request_trial("ed", studio.draft_digest())
    job = worker_for(studio, home, tmp_path).run_once()
    assert job is not None and (job.id, job.status) == (job_id, "ready")
    assert not list(studio.trial_dir.glob("*.tar.gz"))


def test_fine_tuning_only_when_the_labels_stay(home: Path, tmp_path: Path) -> None:
    studio = Studio()
    worker = worker_for(studio, home, tmp_path)
    live = worker.live_model()
    live.parent.mkdir(parents=True, exist_ok=True)
    live.write_bytes(b"model")
    staging = tmp_path / "staging"
    shutil.copytree(home / "data", staging / "data")
    assert worker._base_for_finetuning(staging) == live
    shutil.copy(
        staging / "data" / "topics" / "session_length.yml",
        staging / "data" / "topics" / "session_time.yml",
    )
    assert worker._base_for_finetuning(staging) is None  # a new label: a full train
    (staging / "data" / "topics" / "session_time.yml").unlink()
    live.unlink()
    assert worker._base_for_finetuning(staging) is None  # nothing to fine-tune


def test_a_broken_draft_cannot_be_tried_and_the_try_box_is_told_why(
    home: Path, tmp_path: Path
) -> None:
    studio = Studio()
    studio.drafts_dir.mkdir(parents=True)
    (studio.drafts_dir / "session_length.yml").write_text("key: session_length\nanswer: [\n")
    studio.request_trial("Ana", "0123456789abcdef")
    job = worker_for(studio, home, tmp_path).run_once()
    assert job is not None and job.status == "failed"
    assert "cannot be tried yet" in job.detail and "not readable YAML" in job.detail
    assert studio.trial_job("0123456789abcdef") == job
    assert not studio.trial_dir.exists() or not list(studio.trial_dir.glob("*.tar.gz"))
