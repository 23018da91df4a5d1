"""FAQ topics as the running assistant sees them: the topic files (data/topics/<key>.yml).

``load_topics()`` gives every topic by key: title (button), source, the clinic settings its
answer names, and the answer's current wording. It reads the files again when one changes
(modification times, checked at most once a second), so a published answer is live within
seconds with no training. When the files have an error (a typo in YAML, a topic without an
answer), the last good set stays in use and ``topics_problem()`` says what is wrong; with no
good set ever read, the error is raised. Pure module.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic_office import config
from clinic_office.topic_files import TopicFile, load_topic_dir

logger = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds between looks at the files' modification times


@dataclass(frozen=True)
class Topic:
    """One FAQ topic: ``source`` is seed (article), general, or clinic (settings)."""

    key: str
    title: str
    source: str
    # clinic topics: the settings the answer is made of, with the words naming each one
    facts: dict[str, str] = field(default_factory=dict)
    # the answer's wording ({setting} placeholders for clinic topics); "" = the domain's
    answer: str = ""

    @classmethod
    def from_file(cls, topic: TopicFile) -> Topic:
        """The topic a topic file describes."""
        return cls(topic.key, topic.title, topic.source, dict(topic.facts), topic.answer)


class TopicsError(ValueError):
    """The topic files have errors and no good set was read before."""


class TopicStore:
    """The topics of one folder, re-read when a file changes; the last good set kept."""

    def __init__(self, directory: Path, clock: Callable[[], float] | None = None) -> None:
        """Read ``directory`` (data/topics) on first use."""
        self.directory = directory
        self.problem = ""
        self._clock = clock or time.monotonic
        self._stamp: tuple[tuple[str, float, int], ...] | None = None
        self._checked = float("-inf")
        self._topics: dict[str, Topic] | None = None
        self._lock = threading.Lock()

    def _stamps(self) -> tuple[tuple[str, float, int], ...]:
        stamps = []
        for path in sorted(self.directory.glob("*.yml")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            stamps.append((path.name, stat.st_mtime, stat.st_size))
        return tuple(stamps)

    def get(self) -> dict[str, Topic]:
        """The current topics (TopicsError if the files never read well)."""
        with self._lock:
            now = self._clock()
            if self._topics is None or now - self._checked >= CHECK_EVERY:
                self._checked = now
                stamp = self._stamps()
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._read()
            if self._topics is None:
                raise TopicsError(self.problem or "no topics")
            return self._topics

    def _read(self) -> None:
        files, problems = load_topic_dir(self.directory)
        errors = [p for p in problems if not p.warning]
        if errors:
            self.problem = "; ".join(str(p) for p in errors)
            logger.warning(
                "the FAQ topic files have %d error(s): the last good ones stay", len(errors)
            )
            return
        self.problem = ""
        self._topics = {key: Topic.from_file(topic) for key, topic in files.items()}


_stores: dict[Path, TopicStore] = {}
_stores_lock = threading.Lock()


def store_for(directory: Path) -> TopicStore:
    """The one store of ``directory`` in this process."""
    with _stores_lock:
        store = _stores.get(directory)
        if store is None:
            store = _stores[directory] = TopicStore(directory)
        return store


def load_topics(directory: Path | None = None) -> dict[str, Topic]:
    """All topics by key, from ``directory`` or the configured data/topics folder."""
    return store_for(directory or config.current().topics_dir).get()


def topics_problem(directory: Path | None = None) -> str:
    """What is wrong with the topic files now ("" when nothing is)."""
    store = store_for(directory or config.current().topics_dir)
    with contextlib.suppress(TopicsError):
        store.get()
    return store.problem
