"""Answers are live without training, and a broken file never silences the assistant.

The running action server reads each FAQ answer's wording from the published topic files
(a copy the servers fixture makes, ``CLINIC_TOPICS_DIR``) and the clinic's facts from the
settings file. These tests edit those files under the real Rasa and action servers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clinic_office.topic_files import parse_topic, write_topic
from tests.conftest import FULL_SETTINGS
from tests.e2e.conftest import Servers
from tests.e2e.test_conversation import response_text, say, texts

pytestmark = pytest.mark.e2e

QUESTION = "how long does a dry needling session take?"
POLL_FOR = 15.0  # seconds: the topic store looks at the files once a second


def wait_for(check: Callable[[], bool], seconds: float = POLL_FOR) -> float:
    """Seconds until ``check()`` held (AssertionError if it never did)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds:g} s")


@pytest.fixture
def topic_file(servers: Servers) -> Iterator[Path]:
    """The published session_length topic file, restored (and live again) afterwards."""
    path = Path(servers.env["CLINIC_TOPICS_DIR"]) / "session_length.yml"
    original = path.read_text(encoding="utf-8")
    yield path
    path.write_text(original, encoding="utf-8")
    wait_for(lambda: texts(say(servers, QUESTION)) == [response_text("utter_faq/session_length")])


def test_an_answer_edit_is_live_without_training_or_restart(
    servers: Servers, topic_file: Path
) -> None:
    assert texts(say(servers, QUESTION)) == [response_text("utter_faq/session_length")]
    topic, _ = parse_topic(topic_file.read_text(encoding="utf-8"))
    assert topic is not None
    edited = "A session usually takes 45 minutes, assessment included."
    write_topic(topic_file.parent, type(topic)(**{**topic.__dict__, "answer": edited}))
    wait_for(lambda: texts(say(servers, QUESTION)) == [edited])


def test_a_broken_topic_file_keeps_the_last_good_answer(servers: Servers, topic_file: Path) -> None:
    topic_file.write_text("key: session_length\nanswer: [a typo\n", encoding="utf-8")
    time.sleep(1.5)  # past the store's next look at the files
    assert texts(say(servers, QUESTION)) == [response_text("utter_faq/session_length")]


@pytest.fixture
def settings_file(servers: Servers) -> Iterator[Path]:
    path = Path(servers.env["CLINIC_SETTINGS"])
    original = path.read_text(encoding="utf-8")
    yield path
    path.write_text(original, encoding="utf-8")


def test_a_broken_settings_file_leaves_the_assistant_answering(
    servers: Servers, settings_file: Path
) -> None:
    hours = response_text("utter_faq/opening_hours", opening_hours=FULL_SETTINGS.opening_hours)
    assert texts(say(servers, "what are your opening hours?")) == [hours]
    settings_file.write_text("phone: 555\n  opening_hours: [typo\n", encoding="utf-8")
    assert texts(say(servers, "what is dry needling?")) == [
        response_text("utter_faq/what_is_dry_needling")
    ]
    # the last good settings stay in use
    assert texts(say(servers, "what are your opening hours?")) == [hours]
