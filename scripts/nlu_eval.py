"""Evaluate the assistant's understanding on the NLU test set (tests/nlu/test_nlu.yml).

Counts what a visitor would get, not what the classifier scored: for an FAQ question the
assistant either answers a topic (right or wrong), or asks a clarifying question.
Used by the threshold tests (tests/test_nlu_thresholds.py) and by `make bench-nlu`.
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
TEST_SET = REPO_ROOT / "tests" / "nlu" / "test_nlu.yml"
MODEL = REPO_ROOT / "models" / "current.tar.gz"
CLARIFY = "clarify"
FALLBACK_LIKE = {"nlu_fallback", "out_of_scope", CLARIFY}


@dataclass(frozen=True)
class Example:
    """A test message and its correct label: ``faq/<key>`` or an intent name."""

    text: str
    label: str


def load_examples(path: Path) -> list[Example]:
    """Read a Rasa YAML NLU file (``- intent:`` blocks with ``examples: |`` lists)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples: list[Example] = []
    for block in data.get("nlu") or []:
        label = block.get("intent")
        if not label:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(Example(text=line[2:].strip(), label=str(label)))
    return examples


def outcome_of(parse: dict[str, Any]) -> str:
    """What the assistant does with a parse result: ``faq/<key>``, ``clarify`` or an intent."""
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    if intent == "nlu_fallback":
        return CLARIFY
    if intent == "faq":
        selector = (parse.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return str(key) if key else CLARIFY
    return str(intent)


@dataclass
class Report:
    """Figures for one system on the test set."""

    name: str
    outcomes: list[tuple[Example, str]] = field(default_factory=list)
    training_seconds: float | None = None

    def _share(self, labels: Callable[[str], bool], good: Callable[[str, str], bool]) -> float:
        rows = [(e, o) for e, o in self.outcomes if labels(e.label)]
        return sum(good(e.label, o) for e, o in rows) / len(rows) if rows else 0.0

    @property
    def faq_accuracy(self) -> float:
        """Share of FAQ questions answered with the right topic."""
        return self._share(lambda lbl: lbl.startswith("faq/"), lambda lbl, o: o == lbl)

    @property
    def faq_wrong_answer_rate(self) -> float:
        """Share of FAQ questions answered with something else than the right topic."""
        return self._share(
            lambda lbl: lbl.startswith("faq/"), lambda lbl, o: o not in (lbl, CLARIFY)
        )

    @property
    def faq_clarification_rate(self) -> float:
        """Share of FAQ questions answered with a clarifying question."""
        return self._share(lambda lbl: lbl.startswith("faq/"), lambda lbl, o: o == CLARIFY)

    @property
    def urgent_recall(self) -> float:
        """Share of red-flag messages that got urgent-care advice."""
        return self._share(lambda lbl: lbl == "urgent_symptoms", lambda lbl, o: o == lbl)

    @property
    def off_topic_handled(self) -> float:
        """Share of off-topic messages sent to out_of_scope or a clarification."""
        return self._share(lambda lbl: lbl == "out_of_scope", lambda lbl, o: o in FALLBACK_LIKE)

    @property
    def other_intent_accuracy(self) -> float:
        """Accuracy on the other intents (greet, booking, medical_advice...)."""
        return self._share(
            lambda lbl: (
                not lbl.startswith("faq/") and lbl not in {"urgent_symptoms", "out_of_scope"}
            ),
            lambda lbl, o: o == lbl,
        )

    @property
    def false_urgent(self) -> list[Example]:
        """Messages that got urgent-care advice but were not red flags."""
        return [e for e, o in self.outcomes if o == "urgent_symptoms" and e.label != o]

    def errors(self) -> list[tuple[Example, str]]:
        """Every example whose outcome is not its label."""
        return [(e, o) for e, o in self.outcomes if o != e.label]

    def confusions(self) -> Counter[tuple[str, str]]:
        """(label, outcome) pairs of errors, most common first."""
        return Counter((e.label, o) for e, o in self.errors())


async def evaluate_model(
    examples: Iterable[Example], model: Path = MODEL, name: str = "assistant"
) -> Report:
    """Parse every example with the trained Rasa model."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa's structured logger prints message text at DEBUG unless configured.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    report = Report(name=name)
    for example in examples:
        parse = await agent.parse_message(example.text)
        report.outcomes.append((example, outcome_of(parse)))
    return report


def evaluate_model_sync(examples: Iterable[Example], model: Path = MODEL) -> Report:
    """Blocking wrapper of ``evaluate_model``."""
    return asyncio.run(evaluate_model(list(examples), model))
