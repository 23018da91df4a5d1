"""Custom Rasa graph components of the clinic pipeline.

Two classifiers give independent opinions on what a message is about, each a distribution
over one set of labels (the intents, and ``faq/<key>`` for each FAQ topic):

- ``SentenceEmbeddingClassifier``: the meaning of the message, from all-MiniLM-L6-v2
  sentence embeddings (``clinic_nlu.minilm``, NumPy only) and logistic regression;
- ``TfidfLabelClassifier``: its words, from TF-IDF word and character n-grams and logistic
  regression.

Fine-tuning (``rasa train --finetune``, which the staff studio uses when no label changed)
refits both classifiers on every question, faster: the sentence classifier keeps each
training question's embedding in the model (by the question's hash, not its text) and
encodes only the questions it has not seen; the TF-IDF regression starts from the stored
weights. The result is the model a full train gives, up to the solver's tolerance (the same
outcome for every development-set message, docs/benchmark.md).

Both also see the cues that a message asks about the visitor's own case
(``clinic_nlu.cues``). ``ClinicDecision`` runs last and makes the decision
(``clinic_nlu.decision``): red-flag triage with ConText (``clinic_nlu.red_flags``), the
averaged opinions, and the confidence gate, which answers an FAQ question only when both
models agree on its topic. It replaces the intent with the decision, so ``/model/parse``,
the dialogue, tests and analytics all see the same thing: ``decision``, ``triage``,
``red_flags``, ``faq_gate``.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic_nlu.cues import cue_vector, with_cues
from clinic_nlu.decision import FAQ, Decision, Settings, decide, flat_ranking

logger = logging.getLogger(__name__)

INTENT = "intent"
INTENT_RANKING = "intent_ranking"
RESPONSE_SELECTOR = "response_selector"
SPACY_DOC = "text_spacy_doc"
OPINIONS = "label_opinions"
DECISION = "decision"
TRIAGE = "triage"
RED_FLAGS = "red_flags"
FAQ_GATE = "faq_gate"
MODEL_FILE = "classifier.joblib"
EMBEDDINGS_FILE = "embeddings.npy"
EMBEDDING_KEYS_FILE = "embedding_keys.json"


def column_ordered(model: Any) -> Any:
    """``model`` with its linear classifier's weights stored column by column (in place).

    scikit-learn scores with ``X @ coef_.T``. With ``X`` sparse (TF-IDF), SciPy copies a
    ``coef_.T`` that is not C-contiguous before multiplying: 45 labels by 35,000 n-grams,
    12 MB copied for every message, 9 % of a replica's time under load (docs/benchmark.md).
    Stored in Fortran order, ``coef_.T`` is C-contiguous: the same numbers, no copy.
    """
    import numpy as np

    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if getattr(final, "coef_", None) is not None:
        final.coef_ = np.asfortranarray(final.coef_)
    return model


def _is_command(message: Message) -> bool:
    """Messages like ``/greet`` are button payloads, decided by Rasa's regex handler."""
    text = message.get("text") or ""
    return str(text).startswith("/")


def _label(message: Message) -> str | None:
    intent = message.get(INTENT)
    if not intent:
        return None
    if intent == FAQ:
        return str(message.get("intent_response_key") or "") or None
    return str(intent)


def _text(message: Message) -> str:
    return str(message.get("text") or "").lower()


class LabelClassifier(GraphComponent, ABC):
    """A scikit-learn classifier over intents and FAQ topics, persisted with the model.

    Subclasses say how a text becomes features; this base trains, stores, loads, and adds
    the distribution to each message under ``label_opinions``. Abstract: never registered.
    """

    name = "label_classifier"

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
    ) -> None:
        """Store the config and, once trained or loaded, the scikit-learn model."""
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LabelClassifier:
        """A new, untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LabelClassifier:
        """Load the trained model; without one the component gives no opinion."""
        import joblib

        try:
            with model_storage.read_from(resource) as directory:
                model = column_ordered(joblib.load(directory / MODEL_FILE))
                component = cls(config, model_storage, resource, model)
                if execution_context.is_finetuning:
                    component.resume(directory)
                return component
        except (ValueError, FileNotFoundError):
            logger.warning("%s: no trained model found", cls.__name__)
            return cls(config, model_storage, resource, None)

    def resume(self, directory: Path) -> None:
        """Read what fine-tuning can reuse from the stored model (nothing by default)."""

    def persist_extra(self, directory: Path, texts: list[str]) -> None:
        """Store what a later fine-tuning can reuse, beside the classifier (nothing here)."""

    def fit(self, model: Any, features: Any, labels: list[str], previous: Any) -> None:
        """Fit ``model`` (a fresh ``new_model()``) on the training questions; ``previous``:
        the stored model when fine-tuning (loaded, then trained again), else None."""
        model.fit(features, labels)

    def class_weights(self) -> dict[str, float] | None:
        """Weights of labels that matter more than their share of examples (config)."""
        weights = self._config.get("class_weights") or {}
        return {str(k): float(v) for k, v in weights.items()} or None

    @abstractmethod
    def new_model(self) -> Any:
        """An untrained scikit-learn estimator with ``fit`` and ``predict_proba``."""

    @abstractmethod
    def features(self, texts: list[str]) -> Any:
        """The features of lower-cased texts, as ``new_model()`` takes them."""

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every intent example (FAQ examples by their topic)."""
        import joblib

        pairs = [(_text(m), _label(m)) for m in training_data.intent_examples]
        texts = [text for text, label in pairs if label]
        labels = [label for _, label in pairs if label]
        previous, self._model = self._model, self.new_model()
        self.fit(self._model, self.features(texts), labels, previous)
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / MODEL_FILE)
            self.persist_extra(directory, texts)
        column_ordered(self._model)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Add this model's distribution over the labels to each message."""
        if self._model is None or not messages:
            return messages
        probabilities = self._model.predict_proba(self.features([_text(m) for m in messages]))
        labels = [str(label) for label in self._model.classes_]
        for message, row in zip(messages, probabilities, strict=True):
            opinions = dict(message.get(OPINIONS) or {})
            opinions[self.name] = dict(zip(labels, (float(p) for p in row), strict=True))
            message.set(OPINIONS, opinions)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfLabelClassifier(LabelClassifier):
    """TF-IDF word and character n-grams with logistic regression: what the words say."""

    name = "tfidf"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularisation (C) and n-gram ranges (chosen on the development set)."""
        return {
            "C": 30.0,
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "max_iter": 3000,
            "class_weights": {},
        }

    def new_model(self) -> Any:
        """Word and character TF-IDF, then logistic regression."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        words, chars = self._config["word_ngrams"], self._config["char_ngrams"]
        return make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(words[0], words[1]), sublinear_tf=True),
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(chars[0], chars[1]), sublinear_tf=True
                ),
            ),
            LogisticRegression(
                C=float(self._config["C"]),
                max_iter=int(self._config["max_iter"]),
                class_weight=self.class_weights(),
                random_state=0,
            ),
        )

    def features(self, texts: list[str]) -> Any:
        """The texts with their cue markers (the pipeline vectorises them)."""
        return [with_cues(text) for text in texts]

    def fit(self, model: Any, features: Any, labels: list[str], previous: Any) -> None:
        """Fit the n-grams, then the regression: when fine-tuning with the same labels, from
        the stored model's weights (each n-gram's own; 0 for a new one). The regression is
        strictly convex, so the start changes only how soon it converges, not where."""
        import numpy as np

        union, regression = model.steps[0][1], model.steps[-1][1]
        matrix = union.fit_transform(features)
        old = previous.steps[-1][1] if previous is not None else None
        if old is not None and np.array_equal(old.classes_, np.unique(labels)):
            known = {name: i for i, name in enumerate(previous.steps[0][1].get_feature_names_out())}
            names = union.get_feature_names_out()
            found = np.array([known.get(name, -1) for name in names])
            start = np.zeros((len(old.classes_), len(names)))
            start[:, found >= 0] = np.asarray(old.coef_)[:, found[found >= 0]]
            regression.set_params(warm_start=True)
            regression.coef_, regression.intercept_ = start, np.array(old.intercept_)
        regression.fit(matrix, labels)
        regression.set_params(warm_start=False)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SentenceEmbeddingClassifier(LabelClassifier):
    """all-MiniLM-L6-v2 sentence embeddings with logistic regression: what the message means."""

    name = "embedding"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Where the encoder is (``make minilm``), and regularisation (C)."""
        return {
            "model_path": "build/minilm",
            "C": 30.0,
            "max_iter": 5000,
            "batch_size": 32,
            "class_weights": {},
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
    ) -> None:
        """Load the sentence encoder beside the classifier."""
        from clinic_nlu.minilm import Encoder

        super().__init__(config, model_storage, resource, model)
        self._encoder = Encoder.load(Path(str(config["model_path"])))
        self._known: dict[str, Any] = {}  # a text's key -> its embedding (fine-tuning only)
        self._encoded: dict[str, Any] = {}  # the embeddings of the last training

    def resume(self, directory: Path) -> None:
        """The embeddings of the questions the stored model was trained on."""
        import json

        import numpy as np

        try:
            keys = json.loads((directory / EMBEDDING_KEYS_FILE).read_text(encoding="utf-8"))
            vectors = np.load(directory / EMBEDDINGS_FILE)
        except (OSError, ValueError):
            return  # a model from before fine-tuning kept them: encode everything
        if len(keys) == len(vectors):
            self._known = dict(zip(keys, vectors, strict=True))

    def persist_extra(self, directory: Path, texts: list[str]) -> None:
        """Each training question's embedding, by the question's hash (never its text)."""
        import json

        import numpy as np

        keys = sorted({_key(text) for text in texts})
        if not keys:
            return
        np.save(directory / EMBEDDINGS_FILE, np.stack([self._encoded[k] for k in keys]))
        (directory / EMBEDDING_KEYS_FILE).write_text(json.dumps(keys), encoding="utf-8")

    def embed(self, texts: list[str]) -> Any:
        """The texts' sentence embeddings; those fine-tuning already knows are not encoded."""
        import numpy as np

        keys = [_key(text) for text in texts]
        new = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self._known}.items()
        )
        if new:
            encoded = self._encoder.encode(
                [text for _, text in new], batch_size=int(self._config["batch_size"])
            )
            fresh = dict(zip((k for k, _ in new), encoded, strict=True))
        else:
            fresh = {}
        self._encoded = {k: self._known.get(k, fresh.get(k)) for k in keys}
        return np.stack([self._encoded[k] for k in keys]).astype(np.float32)

    def new_model(self) -> Any:
        """Logistic regression on the embedding and the cue features."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
            class_weight=self.class_weights(),
            random_state=0,
        )

    def features(self, texts: list[str]) -> Any:
        """Each text's embedding, with its cue features appended."""
        import numpy as np

        embeddings = self.embed(texts)
        cues = np.array([cue_vector(text) for text in texts], dtype=np.float32)
        return np.hstack([embeddings, cues.reshape(len(texts), -1)])


def _key(text: str) -> str:
    """A training question's key in the stored embeddings: a hash, never the text."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def intent_ranking(labels: Any) -> dict[str, float]:
    """Label scores summed by intent (every ``faq/<key>`` counts for ``faq``), best first."""
    scores: dict[str, float] = {}
    for label, score in labels:
        name = str(label).split("/", 1)[0]
        scores[name] = scores.get(name, 0.0) + float(score)
    return dict(sorted(scores.items(), key=lambda item: -item[1]))


def _diet_opinion(message: Message) -> dict[str, float]:
    """Rasa's own DIETClassifier and ResponseSelector as one more opinion, when configured."""
    if not message.get(RESPONSE_SELECTOR):
        return {}
    intents = [
        (str(i.get("name")), float(i.get("confidence", 0.0)))
        for i in message.get(INTENT_RANKING) or []
    ]
    selector = (message.get(RESPONSE_SELECTOR) or {}).get(FAQ) or {}
    topics = [
        (str(r.get("intent_response_key")), float(r.get("confidence", 0.0)))
        for r in selector.get("ranking") or []
    ]
    return flat_ranking(intents, topics)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP"
)
class ClinicDecision(GraphComponent, IntentClassifier):
    """The decision: red-flag triage, the classifiers' opinions, the confidence gate."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Thresholds: see ``clinic_nlu.decision.Settings``."""
        defaults = Settings()
        return {
            "threshold": defaults.threshold,
            "ambiguity_threshold": defaults.ambiguity,
            "require_agreement": defaults.require_agreement,
            "confident": defaults.confident,
            "screen_at": defaults.screen_at,
            "alarm_at": defaults.alarm_at,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        """Store the thresholds; the red-flag detector is built on first use."""
        self._settings = Settings(
            threshold=float(config["threshold"]),
            ambiguity=float(config["ambiguity_threshold"]),
            require_agreement=bool(config["require_agreement"]),
            confident=float(config["confident"]),
            screen_at=float(config["screen_at"]),
            alarm_at=float(config["alarm_at"]),
        )
        self._detector: Any = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ClinicDecision:
        """Create the component from its config."""
        return cls(config)

    def _detect(self, model: SpacyModel) -> Any:
        if self._detector is None:
            from clinic_nlu.red_flags import RedFlagDetector

            self._detector = RedFlagDetector(model.model)
        return self._detector

    def decide(self, message: Message, model: SpacyModel) -> Decision:
        """The decision for one message (its spaCy doc set by SpacyNLP)."""
        doc = message.get(SPACY_DOC)
        if doc is None:
            outcome, flags = "none", []
        else:
            assessment = self._detect(model).assess(doc)
            outcome, flags = assessment.outcome, assessment.categories
        opinions = [*(message.get(OPINIONS) or {}).values(), _diet_opinion(message)]
        return decide(opinions, outcome, flags, self._settings)

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Replace the intent with the decision and add its reasons to the parse result."""
        for message in messages:
            if _is_command(message):
                continue
            decision = self.decide(message, model)
            intent = {"name": decision.intent, "confidence": decision.confidence}
            ranking = [
                {"name": name, "confidence": score}
                for name, score in intent_ranking(decision.ranking).items()
                if name != decision.intent
            ]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING, [intent, *ranking], add_to_output=True)
            message.set(DECISION, decision.as_dict(), add_to_output=True)
            message.set(TRIAGE, decision.triage, add_to_output=True)
            message.set(RED_FLAGS, list(decision.red_flags), add_to_output=True)
            message.set(FAQ_GATE, decision.gate, add_to_output=True)
        return messages
