"""The topic contract (docs/faq-topics.yml) holds across training data, domain, content, tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinic_nlu.vocabulary import CATEGORIES
from clinic_office.topics import load_topics
from scripts.nlu_eval import (
    DEV_SETS,
    TEST_SET,
    TRIAGE_DEV_SETS,
    TRIAGE_TEST_SET,
    load_examples,
    load_triage,
    training_examples,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "docs" / "faq-topics.yml"
SHARED_SPEC = ROOT.parent / "shared" / "spec" / "faq-topics.yml"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


SPEC = load(SPEC_PATH)
DOMAIN = load(ROOT / "domain.yml")
TRAINING = training_examples()
DEVELOPMENT = [e for path in DEV_SETS.values() for e in load_examples(path)]
TESTING = load_examples(TEST_SET)


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def test_spec_copy_matches_shared_spec() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip("no shared/spec beside this clone; the repository copy is the contract")
    assert load(SHARED_SPEC) == SPEC


@pytest.mark.parametrize("key", sorted(SPEC["faq"]))
def test_every_topic_is_trained_answered_and_titled(key: str) -> None:
    examples = [e for e in TRAINING if e.label == f"faq/{key}"]
    assert len(examples) >= 25, f"faq/{key} needs many varied training examples"
    assert f"utter_faq/{key}" in DOMAIN["responses"]
    topic = load_topics()[key]
    assert topic.source == SPEC["faq"][key]["source"]
    assert 0 < len(topic.title) <= 32


def test_no_other_topics() -> None:
    trained = {e.label.removeprefix("faq/") for e in TRAINING if e.label.startswith("faq/")}
    assert trained == set(SPEC["faq"]) == set(load_topics())


def test_every_intent_is_in_domain_and_trained() -> None:
    domain_intents = {i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]}
    assert domain_intents == set(SPEC["intents"]) | {"faq"}
    trained = {e.label.split("/")[0] for e in TRAINING}
    assert trained == domain_intents


@pytest.mark.parametrize("examples", [DEVELOPMENT, TESTING], ids=["dev", "test"])
def test_evaluation_sets_cover_every_topic_and_intent(examples: list[Any]) -> None:
    labels = {e.label for e in examples}
    assert {f"faq/{k}" for k in SPEC["faq"]} <= labels
    assert set(SPEC["intents"]) <= labels


def test_evaluation_sets_are_not_copied_from_training_or_each_other() -> None:
    trained = {normalise(e.text) for e in TRAINING}
    triage = [e for path in TRIAGE_DEV_SETS.values() for e in load_triage(path)]
    development = {normalise(e.text) for e in DEVELOPMENT + triage}
    test = [e.text for e in TESTING + load_triage(TRIAGE_TEST_SET)]
    assert [t for t in test if normalise(t) in trained] == []
    assert [t for t in test if normalise(t) in development] == []
    assert [e.text for e in DEVELOPMENT if normalise(e.text) in trained] == []


def test_triage_sets_hold_every_kind() -> None:
    for path in (*TRIAGE_DEV_SETS.values(), TRIAGE_TEST_SET):
        examples = load_triage(path)
        asserted = {e.kind for e in examples if e.label == "asserted"}
        ruled_out = {e.kind for e in examples if e.label == "ruled_out"}
        assert asserted == set(CATEGORIES), path.name
        assert ruled_out == {"negated", "hypothetical", "historical", "clinician", "family"}
        assert any(e.label == "ordinary" for e in examples)


def test_no_training_example_under_two_labels() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for example in TRAINING:
        key = normalise(example.text)
        if key in seen and seen[key] != example.label:
            clashes.append((example.text, seen[key], example.label))
        seen[key] = example.label
    assert clashes == []


@pytest.mark.parametrize(
    "key", sorted(k for k, v in SPEC["faq"].items() if v["source"] == "clinic")
)
def test_clinic_facts_are_placeholders_only(key: str) -> None:
    """Clinic facts come from the settings: their responses hold placeholders, no facts."""
    for variation in DOMAIN["responses"][f"utter_faq/{key}"]:
        assert re.search(r"\{[a-z_]+\}", variation["text"])
        assert not re.search(r"\d", variation["text"])


def test_article_answers_hold_no_clinic_facts() -> None:
    for name, variations in DOMAIN["responses"].items():
        if not name.startswith("utter_faq/"):
            continue
        for variation in variations:
            text = variation["text"]
            assert not re.search(r"\$|@|https?://|\(\d{3}\)|\d{3}[-. ]\d{4}", text), name
