"""Topic files: one file per FAQ topic, plain-word problems, derived files, the live store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from actions.replies import Reply, answer_text
from clinic_office.clinic_settings import ClinicSettings, SettingsStore
from clinic_office.topic_files import (
    TopicFile,
    build_project,
    check_project,
    load_topic_dir,
    parse_topic,
    render_topic,
    write_topic,
)
from clinic_office.topics import TopicsError, TopicStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = tuple(f"how long is session number {n}" for n in range(6))


def topic(**changes: object) -> TopicFile:
    values: dict[str, object] = {
        "key": "session_length",
        "title": "How long a session takes",
        "source": "seed",
        "answer": "Most sessions last 30 to 60 minutes.",
        "examples": EXAMPLES,
    }
    values.update(changes)
    return TopicFile(**values)  # type: ignore[arg-type]


def messages(text: str) -> list[str]:
    _, problems = parse_topic(text, "t.yml")
    return [p.message for p in problems if not p.warning]


def test_the_project_topic_files_are_sound_and_the_derived_files_current() -> None:
    assert [str(p) for p in check_project(ROOT) if not p.warning] == []


@pytest.mark.parametrize(
    "made",
    [
        topic(),
        topic(answer='A: {odd} — ‘quotes’ "and" #hash', source="clinic", facts={"odd": "x"}),
        topic(
            key="opening_hours",
            source="clinic",
            answer="The clinic's opening hours are: {opening_hours}",
            facts={"opening_hours": "opening hours"},
            reviewed_by="Ana",
            reviewed_on="2026-12-02",
        ),
        topic(examples=("what's it: a question?", "- dash first", "'quoted'", "yes", "no", "1")),
    ],
)
def test_a_written_file_reads_back_the_same(made: TopicFile) -> None:
    read, _ = parse_topic(render_topic(made))
    assert read == made


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key: x\n  title: [", "this is not readable YAML near line 2: check the indentation"),
        ("- just\n- a list\n", "the file must be a list of `name: value` lines"),
        (render_topic(topic(answer="")), "`answer` is empty"),
        (render_topic(topic(title="")), "`title` (the button text) is missing"),
        (render_topic(topic(title="x" * 33)), "`title` is longer than 32 characters"),
        (render_topic(topic(source="blog")), "`source` must be one of seed, general, clinic"),
        (render_topic(topic(examples=EXAMPLES[:2])), "give at least 5 example questions (2)"),
        (
            render_topic(topic(answer="Open {hours}")),
            "only clinic topics may have {placeholders} in their answer",
        ),
        (
            render_topic(topic(source="clinic", answer="Open {hours}", facts={"x": "y"})),
            "the answer uses {hours}, which `facts` does not declare",
        ),
        (
            render_topic(topic(source="clinic", answer="Open {hours}", facts={"hours": "h"})),
            "`hours` is not a clinic setting (clinic_name, opening_hours, address, directions, "
            "phone, email, prices, insurance, booking_url)",
        ),
        (
            render_topic(topic(answer="50% {off")),
            "the answer has a { or } that is not a {setting} placeholder",
        ),
        (
            render_topic(topic(reviewed_on="last week")),
            "`reviewed_on` must be a date like 2026-12-02",
        ),
        (
            render_topic(topic(key="Session Length")),
            "`key` must be 2 to 50 lower-case letters, digits or _, letter first",
        ),
    ],
)
def test_problems_are_said_in_plain_words(text: str, expected: str) -> None:
    assert expected in messages(text)


def test_a_folder_reports_key_mismatches_and_shared_examples(tmp_path: Path) -> None:
    folder = tmp_path / "topics"
    write_topic(folder, topic())
    write_topic(folder, topic(key="number_of_sessions", title="How many sessions"))
    (folder / "renamed.yml").write_text(render_topic(topic(key="other", title="Other")))
    _, problems = load_topic_dir(folder)
    said = [str(p) for p in problems]
    assert "topics/renamed.yml: error: `key` is 'other'; the file is renamed.yml" in said
    assert any("is also an example of 'number_of_sessions'" in s for s in said)


def test_writing_a_topic_with_errors_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="`answer` is empty"):
        write_topic(tmp_path, topic(answer=""))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's topic files, derived files and contract."""
    (tmp_path / "data").mkdir()
    (tmp_path / "docs").mkdir()
    shutil.copytree(ROOT / "data" / "topics", tmp_path / "data" / "topics")
    for name in ("data/faq.yml", "domain.yml", "docs/faq-topics.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_an_edit_makes_the_derived_files_stale_until_built(project: Path) -> None:
    path = project / "data" / "topics" / "session_length.yml"
    read, _ = parse_topic(path.read_text())
    assert read is not None
    changed = TopicFile(
        **{
            **read.__dict__,
            "answer": "Sessions take about 45 minutes.",
            "examples": (*read.examples, "is it 45 minutes"),
        }
    )
    write_topic(path.parent, changed)
    stale = [str(p) for p in check_project(project)]
    assert "data/faq.yml: error: is out of date: run `make topics`" in stale
    assert "domain.yml: error: is out of date: run `make topics`" in stale
    assert [p for p in build_project(project) if not p.warning] == []
    assert [p for p in check_project(project) if not p.warning] == []
    domain = yaml.safe_load((project / "domain.yml").read_text())
    assert domain["responses"]["utter_faq/session_length"] == [
        {"text": "Sessions take about 45 minutes."}
    ]
    nlu = yaml.safe_load((project / "data" / "faq.yml").read_text())["nlu"]
    [entry] = [e for e in nlu if e["intent"] == "faq/session_length"]
    assert "- is it 45 minutes" in entry["examples"].splitlines()


def test_a_new_topic_extends_the_contract(project: Path) -> None:
    new = topic(
        key="parking",
        title="Parking",
        source="general",
        answer="Please ask the team about parking.",
        examples=tuple(f"where can I park my car {n}" for n in range(5)),
    )
    write_topic(project / "data" / "topics", new)
    assert "docs/faq-topics.yml: error: does not list parking: run `make topics`" in [
        str(p) for p in check_project(project)
    ]
    build_project(project)
    contract = yaml.safe_load((project / "docs" / "faq-topics.yml").read_text())
    assert contract["faq"]["parking"]["source"] == "general"
    assert "parking" not in contract["intents"]
    assert "utter_faq/parking" in yaml.safe_load((project / "domain.yml").read_text())["responses"]
    assert [p for p in check_project(project) if not p.warning] == []


def test_a_build_with_errors_changes_nothing(project: Path) -> None:
    before = {name: (project / name).read_text() for name in ("data/faq.yml", "domain.yml")}
    (project / "data" / "topics" / "session_length.yml").write_text("key: [broken\n")
    problems = build_project(project)
    assert any("not readable YAML" in str(p) for p in problems)
    assert {name: (project / name).read_text() for name in before} == before


def test_a_contract_topic_may_not_go_missing(project: Path) -> None:
    (project / "data" / "topics" / "session_length.yml").unlink()
    assert (
        "topics/session_length.yml: error: the contract (docs/faq-topics.yml) has this topic"
        in [str(p) for p in check_project(project)]
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_store_picks_up_an_edit_and_keeps_the_last_good_set(tmp_path: Path) -> None:
    clock = Clock()
    write_topic(tmp_path, topic())
    store = TopicStore(tmp_path, clock=clock)
    assert store.get()["session_length"].answer == "Most sessions last 30 to 60 minutes."
    write_topic(tmp_path, topic(answer="About 45 minutes."))
    clock.now += 1.0
    assert store.get()["session_length"].answer == "About 45 minutes."
    (tmp_path / "session_length.yml").write_text("key: session_length\nanswer: [oops\n")
    clock.now += 1.0
    assert store.get()["session_length"].answer == "About 45 minutes."  # the last good set
    assert "not readable YAML" in store.problem
    write_topic(tmp_path, topic(answer="Fixed."))
    clock.now += 1.0
    assert store.get()["session_length"].answer == "Fixed." and store.problem == ""


def test_a_store_that_never_read_well_says_why(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text("key: [")
    with pytest.raises(TopicsError, match="not readable YAML"):
        TopicStore(tmp_path).get()


def test_an_faq_answer_takes_its_wording_from_the_topic_file(tmp_path: Path) -> None:
    write_topic(tmp_path, topic(answer="About 45 minutes."))
    clinic = topic(
        key="opening_hours",
        title="Opening hours",
        source="clinic",
        answer="We are open {opening_hours}.",
        facts={"opening_hours": "opening hours"},
        examples=tuple(f"when are you open {n}" for n in range(5)),
    )
    write_topic(tmp_path, clinic)
    topics = TopicStore(tmp_path).get()
    assert answer_text(Reply("utter_faq/session_length"), topics) == "About 45 minutes."
    hours = Reply("utter_faq/opening_hours", {"opening_hours": "9 to 5 {weekdays}"})
    assert answer_text(hours, topics) == "We are open 9 to 5 {weekdays}."
    assert answer_text(Reply("utter_faq/opening_hours"), topics) is None  # a value missing
    assert answer_text(Reply("utter_greet"), topics) is None
    assert answer_text(Reply("utter_faq/unknown_topic"), topics) is None


def test_a_broken_settings_file_keeps_the_last_good_settings(tmp_path: Path) -> None:
    path = tmp_path / "settings.yml"
    path.write_text("phone: '111'\n")
    store = SettingsStore(path)
    assert store.get().phone == "111" and store.problem == ""
    path.write_text("phone: '222'\n  email: [typo\n")
    import os

    os.utime(path, (1, 1))  # a new modification time, whatever the clock's resolution
    assert store.get().phone == "111"
    assert "settings.yml: not valid YAML" in store.problem
    never = tmp_path / "never.yml"
    never.write_text("phone: [\n")
    assert SettingsStore(never).get() == ClinicSettings()
