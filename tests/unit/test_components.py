"""The custom Rasa components: both classifiers and the decision, run as Rasa runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from clinic_nlu.components import (
    OPINIONS,
    ClinicDecision,
    LabelClassifier,
    SentenceEmbeddingClassifier,
    TfidfLabelClassifier,
    column_ordered,
    intent_ranking,
)

MINILM = Path(__file__).resolve().parents[2] / "build" / "minilm"
EXAMPLES = [
    ("how long does a session last", "faq", "faq/session_length"),
    ("how many minutes is an appointment", "faq", "faq/session_length"),
    ("session duration please", "faq", "faq/session_length"),
    ("does dry needling hurt", "faq", "faq/does_it_hurt"),
    ("is needling painful", "faq", "faq/does_it_hurt"),
    ("will the needles be sore", "faq", "faq/does_it_hurt"),
    ("hello there", "greet", None),
    ("hi", "greet", None),
    ("good morning", "greet", None),
]


def training_data() -> TrainingData:
    messages = []
    for text, intent, key in EXAMPLES:
        data: dict[str, Any] = {"text": text, "intent": intent}
        if key:
            data["intent_response_key"] = key
        messages.append(Message(data=data))
    return TrainingData(messages)


def train_and_load(cls: type[LabelClassifier], config: dict[str, Any], tmp_path: Path) -> Any:
    storage = LocalModelStorage(tmp_path)
    resource = Resource(cls.__name__)
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**cls.get_default_config(), **config}
    cls.create(config, storage, resource, context).train(training_data())
    return cls.load(config, storage, resource, context)


def opinion_of(component: LabelClassifier, text: str) -> dict[str, float]:
    [message] = component.process([Message(data={"text": text})])
    return dict(message.get(OPINIONS)[component.name])


def test_tfidf_classifier_is_trained_stored_and_loaded(tmp_path: Path) -> None:
    loaded = train_and_load(TfidfLabelClassifier, {}, tmp_path)
    opinion = opinion_of(loaded, "how long is a session")
    assert max(opinion, key=opinion.__getitem__) == "faq/session_length"
    assert sum(opinion.values()) == pytest.approx(1.0)


def test_column_ordered_weights_give_the_same_probabilities(tmp_path: Path) -> None:
    """Stored column by column, the TF-IDF model scores without copying its weights, and
    gives exactly what the row-ordered weights gave."""
    import numpy as np

    loaded = train_and_load(TfidfLabelClassifier, {}, tmp_path)
    model = loaded._model
    final = model.steps[-1][1]
    assert final.coef_.T.flags["C_CONTIGUOUS"]  # what load leaves
    texts = ["how long is a session", "do the needles hurt", "hello", "the"]
    ordered = model.predict_proba(texts)
    final.coef_ = np.ascontiguousarray(final.coef_)  # as scikit-learn fits it
    assert not final.coef_.T.flags["C_CONTIGUOUS"]
    assert np.array_equal(model.predict_proba(texts), ordered)
    assert column_ordered(model) is model and final.coef_.T.flags["C_CONTIGUOUS"]
    assert column_ordered(object()) is not None  # no linear model: left as it is


def test_a_classifier_without_a_trained_model_gives_no_opinion(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = TfidfLabelClassifier.get_default_config()
    component = TfidfLabelClassifier.load(config, storage, Resource("none"), context)
    [message] = component.process([Message(data={"text": "hi"})])
    assert message.get(OPINIONS) is None


@pytest.mark.skipif(not MINILM.exists(), reason="no sentence encoder: run `make minilm`")
def test_embedding_classifier_understands_a_paraphrase(tmp_path: Path) -> None:
    loaded = train_and_load(SentenceEmbeddingClassifier, {"model_path": str(MINILM)}, tmp_path)
    opinion = opinion_of(loaded, "will it be painful when the needles go in")
    assert max(opinion, key=opinion.__getitem__) == "faq/does_it_hurt"


@pytest.mark.skipif(not MINILM.exists(), reason="no sentence encoder: run `make minilm`")
def test_fine_tuning_encodes_only_new_questions_and_fits_the_same_model(tmp_path: Path) -> None:
    """``rasa train --finetune`` loads the stored classifier with ``is_finetuning``: the
    embeddings of the questions it was trained on are reused (kept by hash, not text), only
    a new question is encoded, and the refit gives what a full train gives."""
    import numpy as np

    config = {**SentenceEmbeddingClassifier.get_default_config(), "model_path": str(MINILM)}
    for name in ("first", "tuned", "full"):
        (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / "first")
    resource = Resource("embedding")
    full = ExecutionContext(GraphSchema({}), "test")
    SentenceEmbeddingClassifier.create(config, storage, resource, full).train(training_data())
    with storage.read_from(resource) as directory:
        stored = (directory / "embedding_keys.json").read_text(encoding="utf-8")
    assert "session" not in stored  # hashes only

    more = training_data()
    more.training_examples.append(
        Message(
            data={
                "text": "is it a quick thing",
                "intent": "faq",
                "intent_response_key": "faq/session_length",
            }
        )
    )
    finetuning = ExecutionContext(GraphSchema({}), "test", is_finetuning=True)
    tuned = SentenceEmbeddingClassifier.load(config, storage, resource, finetuning)
    encoded: list[list[str]] = []
    encode = tuned._encoder.encode

    def counting(texts: list[str], **kwargs: Any) -> Any:
        encoded.append(list(texts))
        return encode(texts, **kwargs)

    tuned._encoder.encode = counting
    tuned._storage, tuned._resource = LocalModelStorage(tmp_path / "tuned"), Resource("tuned")
    tuned.train(more)
    assert encoded == [["is it a quick thing"]]

    fresh = SentenceEmbeddingClassifier.create(
        config, LocalModelStorage(tmp_path / "full"), Resource("full"), full
    )
    fresh.train(more)
    texts = ["is it a quick thing", "do the needles hurt", "hello"]
    assert np.allclose(
        tuned._model.predict_proba(tuned.features(texts)),
        fresh._model.predict_proba(fresh.features(texts)),
        atol=1e-4,
    )


def test_tfidf_fine_tuning_starts_from_the_stored_weights_and_ends_where_a_full_fit_does(
    tmp_path: Path,
) -> None:
    """Fine-tuned, the regression starts from the stored model's weights (mapped n-gram by
    n-gram onto the new vocabulary) and converges to the full fit's solution in fewer
    iterations."""
    import numpy as np

    config = TfidfLabelClassifier.get_default_config()
    for name in ("first", "tuned", "full"):
        (tmp_path / name).mkdir()
    storage, resource = LocalModelStorage(tmp_path / "first"), Resource("tfidf")
    full = ExecutionContext(GraphSchema({}), "test")
    TfidfLabelClassifier.create(config, storage, resource, full).train(training_data())
    more = training_data()
    more.training_examples.append(
        Message(data={"text": "is it a quick thing", "intent": "faq",
                      "intent_response_key": "faq/session_length"})
    )  # fmt: skip
    finetuning = ExecutionContext(GraphSchema({}), "test", is_finetuning=True)
    tuned = TfidfLabelClassifier.load(config, storage, resource, finetuning)
    tuned._storage, tuned._resource = LocalModelStorage(tmp_path / "tuned"), Resource("tuned")
    tuned.train(more)
    fresh = TfidfLabelClassifier.create(
        config, LocalModelStorage(tmp_path / "full"), Resource("full"), full
    )
    fresh.train(more)
    tuned_fit, fresh_fit = tuned._model.steps[-1][1], fresh._model.steps[-1][1]
    assert tuned_fit.n_iter_[0] < fresh_fit.n_iter_[0]
    assert not tuned_fit.warm_start  # a later plain fit starts from nothing again
    texts = ["is it a quick thing", "do the needles hurt", "hello", "how long"]
    assert np.allclose(
        tuned._model.predict_proba(tuned.features(texts)),
        fresh._model.predict_proba(fresh.features(texts)),
        atol=1e-3,
    )


def test_intent_ranking_sums_faq_topics() -> None:
    assert intent_ranking([("faq/a", 0.4), ("greet", 0.3), ("faq/b", 0.2)]) == {
        "faq": pytest.approx(0.6),
        "greet": pytest.approx(0.3),
    }


def message(nlp: Language, text: str, *opinions: dict[str, float]) -> Message:
    result = Message(data={"text": text})
    result.set("text_spacy_doc", nlp(text.lower()))
    result.set(OPINIONS, {f"model{i}": opinion for i, opinion in enumerate(opinions)})
    return result


DECIDE = ClinicDecision(ClinicDecision.get_default_config())
SURE_HURT = {"faq/does_it_hurt": 0.9, "greet": 0.1}


def parse_of(out: Message) -> dict[str, Any]:
    return dict(out.as_dict(only_output_properties=True))


def test_decision_answers_when_the_models_agree(nlp: Language) -> None:
    [out] = DECIDE.process(
        [message(nlp, "does it hurt", SURE_HURT, SURE_HURT)], SpacyModel(nlp, "x")
    )
    parse = parse_of(out)
    assert parse["intent"]["name"] == "faq"
    assert parse["decision"]["faq_topic"] == "does_it_hurt"
    assert parse["intent_ranking"][0]["name"] == "faq"
    assert parse["red_flags"] == [] and parse.get("triage") is None


def test_a_red_flag_overrides_a_confident_faq(nlp: Language) -> None:
    text = "I lost bladder control, will dry needling help?"
    [out] = DECIDE.process([message(nlp, text, SURE_HURT, SURE_HURT)], SpacyModel(nlp, "x"))
    parse = parse_of(out)
    assert parse["intent"] == {"name": "urgent_symptoms", "confidence": 1.0}
    assert parse["red_flags"] == ["bladder_bowel"]
    assert parse["triage"] == "urgent"


def test_a_ruled_out_red_flag_is_answered(nlp: Language) -> None:
    urgent = {"urgent_symptoms": 0.8, "faq/does_it_hurt": 0.2}
    text = "no fever, no weakness, just an ache. does needling hurt?"
    [out] = DECIDE.process([message(nlp, text, urgent, urgent)], SpacyModel(nlp, "x"))
    parse = parse_of(out)
    assert (parse["intent"]["name"], parse["triage"]) == ("faq", "ruled_out")


def test_button_payloads_are_left_alone(nlp: Language) -> None:
    data = Message(data={"text": '/faq{"faq_topic":"session_length"}', "intent": {"name": "faq"}})
    [out] = DECIDE.process([data], SpacyModel(nlp, "x"))
    assert out.get("intent") == {"name": "faq"}
    assert out.get("decision") is None
