"""Custom Rasa graph components of the clinic pipeline.

Both run after the classifiers and change only the *decision*, so that ``/model/parse``,
tests and analytics all see it:

- ``FaqConfidenceGate``: Rasa's FallbackClassifier looks only at the intent confidence, so a
  message classified ``faq`` with high confidence can still get a wrong sub-answer
  (RasaHQ/rasa#9723, #9751). The gate also requires the ResponseSelector to be confident
  and unambiguous; otherwise the intent becomes ``nlu_fallback`` and the assistant asks a
  clarifying question instead of answering.
- ``RedFlagOverride``: runs last. A red-flag symptom found by ``clinic_nlu.red_flags``
  turns the intent into ``urgent_symptoms`` whatever the classifiers said, and the
  categories found are added to the parse result under ``red_flags``.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message

from clinic_nlu.red_flags import detect_red_flags

INTENT = "intent"
INTENT_RANKING = "intent_ranking"
RESPONSE_SELECTOR = "response_selector"
SPACY_DOC = "text_spacy_doc"
FAQ_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
URGENT_INTENT = "urgent_symptoms"
RED_FLAGS = "red_flags"
FAQ_GATE = "faq_gate"


def _is_command(message: Message) -> bool:
    """Messages like ``/greet`` are button payloads, decided by Rasa's regex handler."""
    text = message.get("text") or ""
    return str(text).startswith("/")


def _set_intent(message: Message, name: str, confidence: float) -> None:
    intent = {"name": name, "confidence": confidence}
    ranking = [i for i in message.get(INTENT_RANKING) or [] if i.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING, [intent, *ranking], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FaqConfidenceGate(GraphComponent, IntentClassifier):
    """Send a ``faq`` message to clarification when the ResponseSelector is unsure."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs an intent classifier before it."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Minimum answer confidence, and minimum lead over the second-best answer."""
        return {"retrieval_intent": FAQ_INTENT, "threshold": 0.5, "ambiguity_threshold": 0.1}

    def __init__(self, config: dict[str, Any]) -> None:
        """Store the thresholds."""
        self._retrieval_intent = str(config["retrieval_intent"])
        self._threshold = float(config["threshold"])
        self._ambiguity = float(config["ambiguity_threshold"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqConfidenceGate:
        """Create the component from its config."""
        return cls(config)

    def decide(self, parse: dict[str, Any]) -> str | None:
        """Return why the FAQ answer must not be given, or None when it may be given."""
        intent = parse.get(INTENT) or {}
        if intent.get("name") != self._retrieval_intent:
            return None
        selector = (parse.get(RESPONSE_SELECTOR) or {}).get(self._retrieval_intent) or {}
        ranking = selector.get("ranking") or []
        if not ranking:
            return "no_answer"
        first = float(ranking[0].get("confidence", 0.0))
        second = float(ranking[1].get("confidence", 0.0)) if len(ranking) > 1 else 0.0
        if first < self._threshold:
            return "low_confidence"
        if first - second < self._ambiguity:
            return "ambiguous"
        return None

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace an unsure ``faq`` intent with ``nlu_fallback``."""
        for message in messages:
            if _is_command(message):
                continue
            reason = self.decide(message.data)
            if reason is None:
                continue
            confidence = float((message.get(INTENT) or {}).get("confidence", 0.0))
            _set_intent(message, FALLBACK_INTENT, confidence)
            message.set(FAQ_GATE, reason, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagOverride(GraphComponent, IntentClassifier):
    """Turn any message with a red-flag symptom into ``urgent_symptoms``."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs an intent classifier before it (and SpacyNLP for the doc)."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No settings: the vocabulary lives in the spaCy pipeline."""
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagOverride:
        """Create the component."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Set intent ``urgent_symptoms`` (confidence 1.0) where a red flag is found."""
        for message in messages:
            if _is_command(message):
                continue
            doc = message.get(SPACY_DOC)
            flags = detect_red_flags(doc) if doc is not None else []
            message.set(RED_FLAGS, [f.category for f in flags], add_to_output=True)
            if flags:
                _set_intent(message, URGENT_INTENT, 1.0)
        return messages
