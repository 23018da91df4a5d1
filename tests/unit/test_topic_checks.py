"""Topic files against the evaluation sets (labels only) and against each other's examples."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

import pytest

from clinic_office.topic_files import (
    Problem,
    TopicFile,
    check_project,
    evaluation_problems,
    fold,
    load_topic_dir,
    similar_examples,
    write_topic,
)

ROOT = Path(__file__).resolve().parents[2]


def topic(key: str, *examples: str) -> TopicFile:
    filler = tuple(f"{key} question number {n}" for n in range(5))
    return TopicFile(
        key=key,
        title=key.replace("_", " ").capitalize(),
        source="seed",
        answer=f"The answer about {key}.",
        examples=(*examples, *filler),
    )


SESSION = topic("session_length", "how long does a session last")
PARKING = topic("parking", "where can i leave my car")


def nlu(*labels: str) -> str:
    blocks = "".join(f"- intent: {label}\n  examples: |\n    - a message\n" for label in labels)
    return f'version: "3.1"\nnlu:\n{blocks}'


def make_project(
    root: Path, topics: tuple[TopicFile, ...], tests: dict[str, str] | None
) -> list[Problem]:
    """A project of ``topics`` and, unless None, test files ``{name: text}``; its check."""
    for made in topics:
        write_topic(root / "data" / "topics", made)
    if tests is not None:
        (root / "tests" / "nlu").mkdir(parents=True)
        for name, text in tests.items():
            (root / "tests" / "nlu" / name).write_text(text, encoding="utf-8")
    return check_project(root)


def said(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        (
            {"dev.yml": nlu("faq/session_length", "faq/parking", "faq/foo")},
            "tests/nlu/dev.yml: error: uses the topic 'foo', which has no topic file "
            "(data/topics/foo.yml)",
        ),
        (
            {"dev.yml": nlu("faq/session_length"), "test.yml": nlu("greet", "faq/parkng")},
            "tests/nlu/test.yml: error: uses the topic 'parkng', which has no topic file "
            "(data/topics/parkng.yml)",
        ),
        (
            {"dev.yml": nlu("faq/session_length", "faq/parking"), "dev2.yml": "nlu: [oops\n"},
            "tests/nlu/dev2.yml: error: this is not readable YAML near line 2: "
            "check the indentation",
        ),
    ],
)
def test_a_label_that_is_no_topic_is_an_error(
    tmp_path: Path, tests: dict[str, str], expected: str
) -> None:
    problems = make_project(tmp_path, (SESSION, PARKING), tests)
    assert expected in said(problems)
    assert not [p for p in problems if p.where.startswith("topics/") and not p.warning]


UNCOVERED = (
    "topics/parking.yml: warning: no test or development question asks about this topic "
    "yet; add some to tests/nlu/ so a publish can check it"
)


@pytest.mark.parametrize(
    ("tests", "uncovered"),
    [
        ({"dev.yml": nlu("faq/session_length", "greet")}, True),
        ({"dev.yml": nlu("faq/session_length"), "triage_dev.yml": "triage: []\n"}, True),
        ({"dev.yml": nlu("faq/session_length"), "empty.yml": ""}, True),
        ({"dev.yml": nlu("faq/session_length"), "test.yml": nlu("faq/parking")}, False),
        ({"dev.yml": nlu("faq/session_length", "faq/parking")}, False),
    ],
)
def test_a_topic_no_evaluation_file_asks_about_is_a_warning(
    tmp_path: Path, tests: dict[str, str], uncovered: bool
) -> None:
    problems = make_project(tmp_path, (SESSION, PARKING), tests)
    assert (UNCOVERED in said(problems)) is uncovered
    assert not [p for p in problems if p.where.startswith("tests/")]
    assert not any("session_length.yml" in s and "asks about" in s for s in said(problems))


def test_a_copy_without_tests_is_not_checked_against_them(tmp_path: Path) -> None:
    problems = make_project(tmp_path, (SESSION, PARKING), None)
    assert not [p for p in problems if "tests/" in str(p)]
    assert evaluation_problems({}, tmp_path / "tests" / "nlu") == []


@pytest.mark.parametrize(
    ("mine", "theirs", "similar"),
    [
        ("how long does a session last", "session: how long does a session last", True),
        ("how long does a session last", "a session, how long does it last", True),  # 6/7
        ("does a session last long", "how long does a session last", True),  # 5/6 shared
        ("how long does it last", "how long does it last now", True),  # 5/6 shared
        ("how long does a visit last", "how long does a session last", False),  # 5/7
        ("how long does a session last", "where can i leave my car", False),
    ],
)
def test_an_example_like_another_topics_is_a_warning(
    tmp_path: Path, mine: str, theirs: str, similar: bool
) -> None:
    problems = make_project(
        tmp_path,
        (topic("session_length", mine), topic("parking", theirs)),
        {"dev.yml": nlu("faq/session_length", "faq/parking")},
    )
    warnings = [str(p) for p in problems if "reads much like" in p.message]
    expected = (
        f"topics/parking.yml: warning: the example {theirs!r} reads much like {mine!r}, "
        "an example of 'session_length': the assistant may mix up the two topics; reword "
        "one, or keep the question in one topic"
    )
    assert warnings == ([expected] if similar else [])
    assert all(p.warning for p in problems if p.where.startswith("topics/"))


def test_similar_examples_names_the_other_topic_and_its_example() -> None:
    mine = topic("session_length", "how long does a session last", "is it safe")
    others = {
        "session_length": mine,
        "parking": topic("parking", "how long does the session last", "a session last long"),
        "safety": topic("safety", "is it safe?"),
    }
    assert similar_examples(mine, others) == [
        ("is it safe", "safety", "is it safe?"),
    ]
    assert similar_examples(mine, others, threshold=0.7) == [
        ("how long does a session last", "parking", "how long does the session last"),
        ("is it safe", "safety", "is it safe?"),
    ]
    assert similar_examples(mine, {"session_length": mine}) == []
    assert similar_examples(topic("x", "?!"), others) == []


def brute_force(
    topic: TopicFile, others: Mapping[str, TopicFile], threshold: float
) -> list[tuple[str, str, str]]:
    """The studio's first check (webapp/studio_topics.py), every pair compared, as reference."""
    found: list[tuple[str, str, str]] = []
    for example in topic.examples:
        words = set(fold(example).split())
        if not words:
            continue
        for key, other in others.items():
            if key == topic.key:
                continue
            for theirs in other.examples:
                their_words = set(fold(theirs).split())
                shared = len(words & their_words) / len(words | their_words)
                if shared >= threshold:
                    found.append((example, key, theirs))
                    break
            else:
                continue
            break
    return found


@pytest.mark.parametrize("seed", range(6))
def test_similar_examples_finds_what_comparing_every_pair_finds(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(rng.choice((4, 8, 20)))]

    def example() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 7))) or "?"

    topics = {
        f"topic{n}": TopicFile(
            key=f"topic{n}",
            title=f"Topic {n}",
            source="seed",
            answer="An answer.",
            examples=tuple(example() for _ in range(rng.randint(0, 12))),
        )
        for n in rng.sample(range(10), 6)  # not in key order
    }
    for threshold in (-1.0, 0.0, 0.2, 0.5, 2 / 3, 0.75, 0.8, 0.9, 1.0, 1.5):
        for topic in topics.values():
            assert similar_examples(topic, topics, threshold) == brute_force(
                topic, topics, threshold
            ), (seed, threshold, topic.key)


def test_the_projects_test_labels_are_all_topics() -> None:
    topics, _ = load_topic_dir(ROOT / "data" / "topics")
    problems = evaluation_problems(topics, ROOT / "tests" / "nlu")
    assert [str(p) for p in problems if not p.warning] == []


def test_the_project_check_has_no_errors() -> None:
    assert [str(p) for p in check_project(ROOT) if not p.warning] == []
