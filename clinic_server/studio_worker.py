"""The staff studio's publishing worker: one publish at a time, outside the web app.

    python -m clinic_server.studio_worker [--once]

Takes queued publishes (``clinic_office.studio``) oldest first and runs, recording each step:

1. **validate**: the published topic files with the drafts over them, in a staging copy of
   the project; ``make topics``'s build, with its plain-word problems;
2. **train**, only when the training data changed (new or changed example questions, a new
   topic). An answer-only change needs no model: the action server reads answers from the
   topic files. When no label changed (the same topics), ``rasa train --finetune`` starts
   from the live model: the sentence classifier encodes only the questions it has not seen
   (``clinic_nlu.components``); a new or removed topic trains in full. Either way ``rasa
   train`` reuses every component whose inputs did not change (Rasa's training cache);
3. **gate**: the candidate against the live model (``clinic_server.publish_gate``), then the
   story tests with ``--fail-on-prediction-errors``. A refusal publishes nothing and says
   why;
4. **hand over**: the model into ``MODELS_DIR`` (the folder the model server of `make run`
   and `make cluster` serves), replaced atomically: every Rasa server polling it switches
   with no restart and no conversation lost;
5. **publish the files**: the topic files and their derived files into the project, which
   the action server re-reads within a second; then a git commit with the staff member as
   author and their message, when the project is a git work tree.

A rollback restores the files and the model that were live before the publish it undoes.

A **trial** job trains a model on the drafts without publishing anything, for the studio's
"try a question": it is kept as ``<data dir>/studio/trial/<digest>.tar.gz``, and the worker
keeps a trial parser running beside it (``clinic_server.trial_server``, on a Unix socket).
Training a trial fills Rasa's training cache, so publishing the same drafts afterwards trains
quickly.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from clinic_office import config
from clinic_office.studio import TRIAL, Job, Studio, training_digest
from clinic_office.topic_files import build_project, load_topic_dir

__all__ = ["Worker", "WorkerSettings", "main"]

logger = logging.getLogger(__name__)

# the files a publish writes into the project, besides data/topics/
DERIVED = ("data/faq.yml", "domain.yml", "docs/faq-topics.yml")
# copied into a staging project
STAGED = ("config.yml", "domain.yml", "docs/faq-topics.yml")
TRAIN_TIMEOUT = 1800
STORY_TIMEOUT = 600
TRIALS_KEPT = 3  # trial models kept (the newest)
# the code's own folder: the story tests live there, whatever CLINIC_HOME is
CODE_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class WorkerSettings:
    """Where the project, the served model and the worker's own files are."""

    home: Path
    models_dir: Path
    work_dir: Path
    python: Path

    @classmethod
    def from_env(cls) -> WorkerSettings:
        """``CLINIC_HOME``, ``MODELS_DIR`` (default build/cluster/models), the data folder."""
        office = config.current()
        models = os.environ.get("MODELS_DIR", "").strip()
        return cls(
            home=office.home,
            models_dir=Path(models).absolute() if models else office.home / "build/cluster/models",
            work_dir=office.data_dir / "studio",
            python=Path(sys.executable),
        )


class PublishError(Exception):
    """A step refused the publish; the message is for staff, in plain words."""


class Worker:
    """Runs publishes and rollbacks, one at a time."""

    def __init__(self, studio: Studio, settings: WorkerSettings) -> None:
        """Publish ``studio``'s drafts into ``settings.home``."""
        self.studio = studio
        self.settings = settings
        self._warmed: tuple[int, int] | None = None
        self._warming: subprocess.Popen[bytes] | None = None
        self._trial_server: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------------------------

    def run_once(self) -> Job | None:
        """Run the next queued job, if any; the job as it ended."""
        job = self.studio.claim_next()
        if job is None:
            return None
        logger.info("studio: %s %d started", job.kind, job.id)
        try:
            if job.kind == "rollback":
                self._rollback(job)
            elif job.kind == TRIAL:
                self._trial(job)
            else:
                self._publish(job)
        except PublishError as error:
            self.studio.finish(job.id, "failed", str(error))
        except Exception:
            logger.exception("studio: %s %d failed", job.kind, job.id)
            self.studio.finish(
                job.id, "failed", "Something went wrong on our side: nothing was published."
            )
        finally:
            shutil.rmtree(self.settings.work_dir / "staging" / str(job.id), ignore_errors=True)
        logger.info("studio: %s %d ended", job.kind, job.id)
        return self.studio.job(job.id)

    def _staging(self, job: Job) -> Path:
        """A copy of the project's training inputs with the drafts over the topic files."""
        home = self.settings.home
        staging = self.settings.work_dir / "staging" / str(job.id)
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "docs").mkdir(parents=True)
        shutil.copytree(home / "data", staging / "data")
        for name in STAGED:
            shutil.copy2(home / name, staging / name)
        topics = staging / "data" / "topics"
        for draft in self.studio.drafts_dir.glob("*.yml"):
            shutil.copy2(draft, topics / draft.name)
        return staging

    def _validated_staging(self, job: Job) -> Path:
        """The staging copy of ``job``, built and checked (PublishError with the problems)."""
        staging = self._staging(job)
        problems = [p for p in build_project(staging) if not p.warning]
        if problems:
            outcome = "they cannot be tried yet" if job.kind == TRIAL else "nothing was published"
            raise PublishError(
                f"The topic files have problems, so {outcome}:\n"
                + "\n".join(f"- {p}" for p in problems)
            )
        return staging

    def _needs_training(self, staging: Path) -> bool:
        """Whether the staged topics teach anything the published ones do not."""
        return (staging / "data" / "faq.yml").read_bytes() != (
            self.settings.home / "data" / "faq.yml"
        ).read_bytes()

    def _base_for_finetuning(self, staging: Path) -> Path | None:
        """The live model, when the staged topics have the same labels (topic keys) as the
        published ones: then training fine-tunes it; else None (a full train)."""
        staged = {p.stem for p in (staging / "data" / "topics").glob("*.yml")}
        published = {p.stem for p in (self.settings.home / "data" / "topics").glob("*.yml")}
        live = self.live_model()
        return live if staged == published and live.is_file() else None

    def _publish(self, job: Job) -> None:
        home, studio = self.settings.home, self.studio
        studio.progress(job.id, "validate", "Checking the topic files")
        staging = self._validated_staging(job)
        trained = self._needs_training(staging)
        candidate = staging / "models" / "candidate.tar.gz"
        if trained:
            studio.progress(job.id, "train", "Teaching the assistant the new questions")
            self._train(staging, self._base_for_finetuning(staging))
            studio.progress(job.id, "gate", "Checking safety and accuracy against the live model")
            self._gate(candidate)
            studio.progress(job.id, "stories", "Checking the conversation stories")
            self._stories(candidate, staging)
        snapshot = self.settings.work_dir / "history" / str(job.id)
        self._snapshot(snapshot)
        if trained:
            studio.progress(job.id, "hand_over", "Handing the new model to every server")
            self._hand_over(candidate)
        studio.progress(job.id, "files", "Publishing the answers")
        self._copy_files(staging, home)
        studio.clear_published_drafts()
        commit = self._commit(job)
        detail = "Published: the new answers are live"
        detail += "; the assistant learned the new questions." if trained else "."
        studio.finish(job.id, "published", detail, trained=trained, commit=commit)

    def _trial(self, job: Job) -> None:
        """Train a trial model on the drafts as they are now; publish nothing."""
        self.studio.progress(job.id, "validate", "Checking the topic files")
        staging = self._validated_staging(job)
        if not self._needs_training(staging):
            self.studio.finish(job.id, "ready", "The drafts teach no new questions.")
            return
        digest = training_digest(load_topic_dir(staging / "data" / "topics")[0])
        trial_dir = self.studio.trial_dir
        self.studio.progress(job.id, "train", "Training a trial model on the drafts")
        self._train(staging, self._base_for_finetuning(staging))
        trial_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(trial_dir, 0o700)
        _replace(staging / "models" / "candidate.tar.gz", trial_dir / f"{digest}.tar.gz")
        kept = sorted(trial_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[TRIALS_KEPT:]:
            old.unlink(missing_ok=True)
        self.ensure_trial_server()
        self.studio.finish(job.id, "ready", f"A trial model is ready ({digest}).")

    def _rollback(self, job: Job) -> None:
        target = self.studio.job(job.target or -1)
        snapshot = self.settings.work_dir / "history" / str(job.target)
        if target is None or not (snapshot / "data" / "topics").is_dir():
            raise PublishError("That publish has no saved previous version to go back to.")
        self.studio.progress(job.id, "files", "Restoring the previous answers")
        if target.trained and (snapshot / "model.tar.gz").is_file():
            self.studio.progress(job.id, "hand_over", "Handing the previous model to every server")
            self._hand_over(snapshot / "model.tar.gz")
        self._copy_files(snapshot, self.settings.home)
        commit = self._commit(job)
        self.studio.finish(
            job.id, "published", f"Rolled back publish {job.target}.", target.trained, commit
        )

    # ------------------------------------------------------------------------------------
    # Steps

    def _run(self, args: list[str], timeout: int, what: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                args,
                cwd=self.settings.home,
                env=_child_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PublishError(f"{what} took too long: nothing was published.") from None

    def _train(self, staging: Path, base: Path | None = None) -> None:
        """Train the staged project into ``staging/models/candidate.tar.gz``: fine-tuning
        ``base`` when given (a full train if Rasa refuses to fine-tune it)."""
        rasa = self.settings.python.parent / "rasa"
        args = [
            str(rasa),
            "train",
            "--config",
            "config.yml",
            "--domain",
            str(staging / "domain.yml"),
            "--data",
            str(staging / "data"),
            "--out",
            str(staging / "models"),
            "--fixed-model-name",
            "candidate",
            "--quiet",
        ]
        result = None
        if base is not None:
            result = self._run([*args, "--finetune", str(base)], TRAIN_TIMEOUT, "Training")
            if result.returncode != 0:
                logger.info("studio: fine-tuning refused (exit %s): full train", result.returncode)
        if result is None or result.returncode != 0:
            result = self._run(args, TRAIN_TIMEOUT, "Training")
        if result.returncode != 0 or not (staging / "models" / "candidate.tar.gz").is_file():
            logger.warning("studio: training failed (exit %s)", result.returncode)
            raise PublishError("Training the assistant failed: nothing was published.")

    def live_model(self) -> Path:
        """The model every server loads now (the served one, else `make train`'s)."""
        live = self.settings.models_dir / "current.tar.gz"
        return live if live.is_file() else self.settings.home / "models" / "current.tar.gz"

    @property
    def gate_cache(self) -> Path:
        """Where the gate keeps each model's outcomes, by file hash."""
        return self.settings.work_dir / "gate-cache"

    def warm(self) -> None:
        """Start computing the live model's gate outcomes in the background (when idle), so
        that the next publish's gate only runs the candidate. Never waits: a publish that
        comes meanwhile goes ahead."""
        live = self.live_model()
        if not live.is_file() or (self._warming is not None and self._warming.poll() is None):
            return
        stamp = (live.stat().st_mtime_ns, live.stat().st_size)
        if stamp == self._warmed:
            return
        self._warmed = stamp
        self._warming = subprocess.Popen(
            [
                str(self.settings.python),
                "-m",
                "clinic_server.publish_gate",
                "--warm",
                "--live",
                str(live),
                "--cache-dir",
                str(self.gate_cache),
            ],
            cwd=self.settings.home,
            env=_child_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def ensure_trial_server(self) -> None:
        """Start the trial parser (``clinic_server.trial_server``) when a trial model exists
        and it is not running."""
        if self._trial_server is not None and self._trial_server.poll() is None:
            return
        if not any(self.studio.trial_dir.glob("*.tar.gz")):
            return
        self._trial_server = subprocess.Popen(
            [
                str(self.settings.python),
                "-m",
                "clinic_server.trial_server",
                "--dir",
                str(self.studio.trial_dir),
            ],
            cwd=self.settings.home,
            env=_child_env(),
            stdout=subprocess.DEVNULL,
        )

    def stop_children(self) -> None:
        """Stop the background computation of outcomes and the trial parser (at shutdown)."""
        for child in (self._warming, self._trial_server):
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _gate(self, candidate: Path) -> None:
        result = self._run(
            [
                str(self.settings.python),
                "-m",
                "clinic_server.publish_gate",
                "--live",
                str(self.live_model()),
                "--candidate",
                str(candidate),
                "--cache-dir",
                str(self.gate_cache),
            ],
            STORY_TIMEOUT,
            "The safety and accuracy check",
        )
        verdict = "\n".join(
            line
            for line in result.stdout.splitlines()
            if line.startswith(("The change", "- ", "Right topic"))
        )
        if result.returncode != 0:
            raise PublishError(verdict or "The safety and accuracy check could not run.")

    def _stories(self, candidate: Path, staging: Path) -> None:
        rasa = self.settings.python.parent / "rasa"
        result = self._run(
            [
                str(rasa),
                "test",
                "core",
                "--model",
                str(candidate),
                "--stories",
                str(CODE_ROOT / "tests" / "stories"),
                "--fail-on-prediction-errors",
                "--out",
                str(staging / "results"),
            ],
            STORY_TIMEOUT,
            "The conversation stories",
        )
        if result.returncode != 0:
            raise PublishError(
                "After this change the assistant no longer follows the conversation stories "
                "(tests/stories): nothing was published."
            )

    def _snapshot(self, snapshot: Path) -> None:
        """The files (and the model) live now, for a rollback."""
        shutil.rmtree(snapshot, ignore_errors=True)
        (snapshot / "docs").mkdir(parents=True)
        (snapshot / "data").mkdir(parents=True)
        home = self.settings.home
        shutil.copytree(home / "data" / "topics", snapshot / "data" / "topics")
        for name in DERIVED:
            shutil.copy2(home / name, snapshot / name)
        live = self.settings.models_dir / "current.tar.gz"
        if live.is_file():
            shutil.copy2(live, snapshot / "model.tar.gz")

    def _hand_over(self, model: Path) -> None:
        target = self.settings.models_dir / "current.tar.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(".current.tar.gz.partial")
        shutil.copyfile(model, partial)
        os.chmod(partial, 0o644)
        partial.replace(target)

    def _copy_files(self, source: Path, home: Path) -> None:
        """The topic files and their derived files from ``source`` into ``home``."""
        topics = home / "data" / "topics"
        published = config.current().topics_dir
        wanted = {p.name for p in (source / "data" / "topics").glob("*.yml")}
        for folder in {topics, published}:
            folder.mkdir(parents=True, exist_ok=True)
            for path in (source / "data" / "topics").glob("*.yml"):
                _replace(path, folder / path.name)
            for path in folder.glob("*.yml"):
                if path.name not in wanted:
                    path.unlink()
        for name in DERIVED:
            _replace(source / name, home / name)

    def _commit(self, job: Job) -> str:
        """Commit the published files with the staff member as author; the commit's id."""
        home = self.settings.home
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=home,
            capture_output=True,
            text=True,
            check=False,
        )
        if inside.returncode != 0:
            return ""
        paths = ["data/topics", *DERIVED]
        subprocess.run(["git", "add", "--all", "--", *paths], cwd=home, check=False)
        staged = subprocess.run(
            ["git", "diff", "--cached", "--quiet", "--", *paths], cwd=home, check=False
        )
        if staged.returncode == 0:
            return ""  # nothing changed in git's eyes
        name = " ".join(job.requested_by.split()) or "staff"
        author = f"{name} <{_mail_name(name)}@staff.invalid>"
        message = f"{job.message}\n\nPublished from the staff studio ({job.kind} {job.id})."
        result = subprocess.run(
            [
                "git",
                "-c",
                "user.name=Staff studio",
                "-c",
                "user.email=studio@staff.invalid",
                "commit",
                "--quiet",
                "--author",
                author,
                "-m",
                message,
                "--",
                *paths,
            ],
            cwd=home,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            logger.warning("studio: git commit failed (exit %s)", result.returncode)
            return ""
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=home, capture_output=True, text=True, check=False
        )
        return head.stdout.strip()


def _child_env() -> dict[str, str]:
    """The environment of the processes the worker starts: its own, Rasa's telemetry off."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def _mail_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "." for c in name.lower()) or "staff"


def _replace(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` atomically."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    partial.replace(target)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: work the queue until stopped (or one job with --once)."""
    parser = argparse.ArgumentParser(description="the staff studio's publishing worker")
    parser.add_argument("--once", action="store_true", help="run queued jobs, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    studio = Studio()
    worker = Worker(studio, WorkerSettings.from_env())
    studio.fail_interrupted()

    def stop(_signal: int, _frame: object) -> None:
        worker.stop_children()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        job = worker.run_once()
        if job is None:
            if args.once:
                worker.stop_children()
                return 0
            worker.warm()
            worker.ensure_trial_server()
            time.sleep(1.0)


if __name__ == "__main__":
    sys.exit(main())
