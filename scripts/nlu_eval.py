"""Evaluate what visitors would get, on the development, test and triage sets.

- ``tests/nlu/dev.yml`` and ``dev2.yml`` to ``dev8.yml``: the development sets. Every choice
  (training data, thresholds, vocabulary, ConText rules) was made by looking at them: their
  figures are optimistic. ``dev2`` to ``dev8`` were each written fresh as the test set of
  a round; their figures were seen once, then each became a development set.
- ``tests/nlu/test.yml``: the test set, written fresh and never used for a choice.
- ``tests/nlu/triage_vocab.yml``: red-flag wordings written (like the others, from the spec
  and the article only) to widen the red-flag vocabulary; a development set.
- ``tests/nlu/triage_dev*.yml``, ``triage_test.yml``: red flags that
  apply (``asserted``), red flags ruled out (negated, hypothetical, historical, by a
  clinician, a relative's) and ordinary symptoms, likewise split.

Counts what a visitor would get, not what a classifier scored: for an FAQ question the
assistant answers a topic (right or wrong) or asks a clarifying question; a red flag gets
urgent-care advice (``urgent_symptoms``) or the screening question (``screen``).
Used by the NLU tests (tests/test_nlu_thresholds.py) and by `make bench-nlu`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
NLU_SETS = REPO_ROOT / "tests" / "nlu"
# The development sets, oldest first: round 1's, then each round's former test set.
DEV_SETS = {
    name: NLU_SETS / f"{name}.yml"
    for name in ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8")
}
TRIAGE_DEV_SETS = {f"triage_{name}": NLU_SETS / f"triage_{name}.yml" for name in DEV_SETS}
# red-flag wordings written to widen the vocabulary (a development set of triage only)
TRIAGE_DEV_SETS["triage_vocab"] = NLU_SETS / "triage_vocab.yml"
DEV_SET = DEV_SETS["dev"]
TRIAGE_DEV_SET = TRIAGE_DEV_SETS["triage_dev"]
TEST_SET = NLU_SETS / "test.yml"
TRIAGE_TEST_SET = NLU_SETS / "triage_test.yml"
MODEL = REPO_ROOT / "models" / "current.tar.gz"
TRAINING_FILES = ("nlu.yml", "faq.yml", "symptoms.yml", "appointments.yml")
CLARIFY = "clarify"
SCREEN = "screen"
URGENT = "urgent_symptoms"
FALLBACK_LIKE = {"nlu_fallback", "out_of_scope", CLARIFY}
# triage labels
ASSERTED = "asserted"
RULED_OUT = "ruled_out"
ORDINARY = "ordinary"


@dataclass(frozen=True)
class Example:
    """A message and its correct label: ``faq/<key>``, an intent, or a triage label."""

    text: str
    label: str
    kind: str = ""  # triage: the red-flag category, or how it is ruled out


def _lines(block: str) -> list[str]:
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]


def load_examples(path: Path) -> list[Example]:
    """Read a Rasa YAML NLU file (``- intent:`` blocks with ``examples: |`` lists)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Example(text=text, label=str(block["intent"]))
        for block in data.get("nlu") or []
        if block.get("intent")
        for text in _lines(str(block.get("examples") or ""))
    ]


def load_triage(path: Path) -> list[Example]:
    """Read a triage file (``- label:`` blocks with a category or kind and examples)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Example(
            text=text,
            label=str(block["label"]),
            kind=str(block.get("category") or block.get("kind") or ""),
        )
        for block in data.get("triage") or []
        for text in _lines(str(block.get("examples") or ""))
    ]


def development_examples(*, vocabulary: bool = True) -> list[Example]:
    """Every message of the development sets, NLU and triage.

    ``vocabulary=False`` leaves out ``triage_vocab``, the set of wordings that the red-flag
    vocabulary is still growing to cover: the regression tests hold the round sets to 100%.
    """
    triage = [
        path for name, path in TRIAGE_DEV_SETS.items() if vocabulary or name != "triage_vocab"
    ]
    return [
        *(e for path in DEV_SETS.values() for e in load_examples(path)),
        *(e for path in triage for e in load_triage(path)),
    ]


def evaluation_examples() -> list[Example]:
    """Every message of every development and test set (none may be trained on)."""
    test = [*load_examples(TEST_SET)] if TEST_SET.exists() else []
    if TRIAGE_TEST_SET.exists():
        test += load_triage(TRIAGE_TEST_SET)
    return [*development_examples(), *test]


def training_examples() -> list[Example]:
    """All NLU training examples under data/."""
    return [e for name in TRAINING_FILES for e in load_examples(REPO_ROOT / "data" / name)]


def outcome_of(parse: dict[str, Any]) -> str:
    """What the assistant does with a parse result.

    ``faq/<key>``, ``clarify``, ``screen`` (the red-flag question), or an intent.
    """
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    decision = parse.get("decision") or {}
    if intent == URGENT and decision.get("triage") == "screen":
        return SCREEN
    if intent == "nlu_fallback":
        return CLARIFY
    if intent == "faq":
        topic = decision.get("faq_topic")
        if topic:
            return f"faq/{topic}"
        selector = (parse.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return str(key) if key else CLARIFY
    return str(intent)


@dataclass
class Report:
    """Figures for one system on one set."""

    name: str
    outcomes: list[tuple[Example, str]] = field(default_factory=list)
    training_seconds: float | None = None

    def share(self, labels: Callable[[Example], bool], good: Callable[[str], bool]) -> float:
        """Share of the examples chosen by ``labels`` whose outcome is ``good``."""
        rows = [o for e, o in self.outcomes if labels(e)]
        return sum(good(o) for o in rows) / len(rows) if rows else float("nan")

    def count(self, labels: Callable[[Example], bool]) -> int:
        """How many examples ``labels`` chooses."""
        return sum(1 for e, _ in self.outcomes if labels(e))

    def _faq(self, good: Callable[[str, str], bool]) -> float:
        rows = [(e, o) for e, o in self.outcomes if e.label.startswith("faq/")]
        return sum(good(e.label, o) for e, o in rows) / len(rows) if rows else float("nan")

    @property
    def faq_accuracy(self) -> float:
        """Share of FAQ questions answered with the right topic."""
        return self._faq(lambda label, o: o == label)

    @property
    def faq_wrong_answer_rate(self) -> float:
        """Share of FAQ questions answered with anything but the right topic or a question."""
        return self._faq(lambda label, o: o not in (label, CLARIFY))

    @property
    def faq_clarification_rate(self) -> float:
        """Share of FAQ questions answered with a clarifying question."""
        return self._faq(lambda label, o: o == CLARIFY)

    def intent_rate(self, intent: str) -> float:
        """Share of messages of ``intent`` recognised as it."""
        return self.share(lambda e: e.label == intent, lambda o: o == intent)

    @property
    def urgent_recall(self) -> float:
        """Share of red-flag messages that got urgent-care advice."""
        return self.intent_rate(URGENT)

    @property
    def urgent_or_screened(self) -> float:
        """Share of red-flag messages that got urgent-care advice or the red-flag question."""
        return self.share(lambda e: e.label == URGENT, lambda o: o in (URGENT, SCREEN))

    @property
    def off_topic_handled(self) -> float:
        """Share of off-topic messages sent to out_of_scope or a clarification."""
        return self.share(lambda e: e.label == "out_of_scope", lambda o: o in FALLBACK_LIKE)

    @property
    def other_intent_accuracy(self) -> float:
        """Accuracy on the other intents (greet, booking, hand-off...)."""
        special = {URGENT, "out_of_scope", "medical_advice", "describe_symptoms"}
        rows = [
            (e, o)
            for e, o in self.outcomes
            if not e.label.startswith("faq/") and e.label not in special
        ]
        return sum(o == e.label for e, o in rows) / len(rows) if rows else float("nan")

    @property
    def false_urgent(self) -> list[Example]:
        """Messages that got urgent-care advice but were not red flags."""
        return [e for e, o in self.outcomes if o == URGENT and e.label not in (URGENT, ASSERTED)]

    def errors(self) -> list[tuple[Example, str]]:
        """Every example whose outcome is not its label."""
        return [(e, o) for e, o in self.outcomes if o != e.label]

    def confusions(self) -> Counter[tuple[str, str]]:
        """(label, outcome) pairs of errors, most common first."""
        return Counter((e.label, o) for e, o in self.errors())

    # triage sets
    def alarmed(self, label: str) -> float:
        """Share of triage messages of ``label`` that got urgent-care advice."""
        return self.share(lambda e: e.label == label, lambda o: o == URGENT)

    def screened(self, label: str) -> float:
        """Share of triage messages of ``label`` that got the red-flag question."""
        return self.share(lambda e: e.label == label, lambda o: o == SCREEN)

    def triage_errors(self) -> list[tuple[Example, str]]:
        """Red flags without urgent-care advice, and alarms without a red flag."""
        return [(e, o) for e, o in self.outcomes if (e.label == ASSERTED) != (o == URGENT)]


async def parse_all(examples: Iterable[Example], model: Path) -> list[dict[str, Any]]:
    """Parse every example with the trained Rasa model."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa's structured logger prints message text at DEBUG unless configured.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(example.text) for example in examples]


async def evaluate_model(
    examples: Iterable[Example], model: Path = MODEL, name: str = "assistant"
) -> Report:
    """What the trained model does with every example."""
    examples = list(examples)
    report = Report(name=name)
    for example, parse in zip(examples, await parse_all(examples, model), strict=True):
        report.outcomes.append((example, outcome_of(parse)))
    return report


def evaluate_model_sync(examples: Iterable[Example], model: Path = MODEL) -> Report:
    """Blocking wrapper of ``evaluate_model``."""
    return asyncio.run(evaluate_model(list(examples), model))
