"""The NLU decision: triage outcomes, both models' labels, the confidence gate (pure)."""

from __future__ import annotations

import pytest

from clinic_nlu.decision import (
    FALLBACK,
    TRIAGE_RULED_OUT,
    TRIAGE_SCREEN,
    TRIAGE_URGENT,
    URGENT,
    Decision,
    Settings,
    average,
    decide,
    flat_ranking,
)

SESSION = {"faq/session_length": 0.86, "faq/number_of_sessions": 0.1, "greet": 0.04}
CLASSIFIER_URGENT = {"urgent_symptoms": 0.9, "faq/session_length": 0.08, "describe_symptoms": 0.02}


def test_flat_ranking_multiplies_the_faq_intent_by_the_topic() -> None:
    scores = flat_ranking([("faq", 0.95), ("greet", 0.05)], [("faq/session_length", 0.9)])
    assert scores == {"faq/session_length": pytest.approx(0.855), "greet": pytest.approx(0.05)}


def test_average_of_opinions() -> None:
    assert average([{"a": 1.0}, {"a": 0.5, "b": 0.5}]) == {"a": 0.75, "b": 0.25}


def test_a_confident_faq_is_answered() -> None:
    decision = decide([SESSION, SESSION], "none")
    assert (decision.intent, decision.faq_topic, decision.triage) == ("faq", "session_length", None)


@pytest.mark.parametrize(
    ("opinion", "gate"),
    [
        ({"faq/session_length": 0.25, "faq/relief_timeline": 0.2, "greet": 0.55}, None),
        (
            {"faq/session_length": 0.28, "faq/relief_timeline": 0.27, "a": 0.23, "b": 0.22},
            "low_confidence",
        ),
        ({"faq/session_length": 0.52, "faq/relief_timeline": 0.48}, "ambiguous"),
    ],
)
def test_an_unsure_faq_asks_which_topic_was_meant(
    opinion: dict[str, float], gate: str | None
) -> None:
    decision = decide([opinion], "none")
    if gate is None:  # a sure greeting is no FAQ question
        assert decision.intent == "greet"
        return
    assert decision.intent == FALLBACK
    assert decision.gate == gate
    assert decision.candidates == ("faq/session_length", "faq/relief_timeline")


def test_two_models_must_agree_on_the_topic() -> None:
    first = {"faq/session_length": 0.5, "faq/number_of_sessions": 0.3, "greet": 0.2}
    second = {"faq/number_of_sessions": 0.5, "faq/session_length": 0.36, "greet": 0.14}
    decision = decide([first, second], "none", settings=Settings(ambiguity=0.0))
    assert (decision.intent, decision.gate) == (FALLBACK, "disagreement")
    assert set(decision.candidates) == {"faq/session_length", "faq/number_of_sessions"}


def test_a_sure_average_answers_without_agreement() -> None:
    first = {"faq/session_length": 0.99, "faq/number_of_sessions": 0.01}
    second = {"faq/number_of_sessions": 0.45, "faq/session_length": 0.44, "greet": 0.11}
    decision = decide([first, second], "none", settings=Settings(confident=0.7))
    assert (decision.intent, decision.faq_topic) == ("faq", "session_length")


def test_two_models_that_agree_answer() -> None:
    second = {"faq/session_length": 0.8, "faq/number_of_sessions": 0.2}
    decision = decide([SESSION, second], "none")
    assert decision.faq_topic == "session_length"


def test_a_red_flag_that_applies_wins_over_everything() -> None:
    decision = decide([SESSION], "urgent", ["bladder_bowel"])
    assert decision == Decision(URGENT, 1.0, triage=TRIAGE_URGENT, red_flags=("bladder_bowel",))


def test_only_the_classifier_thinks_it_urgent_so_the_visitor_is_asked() -> None:
    decision = decide([CLASSIFIER_URGENT], "none")
    assert (decision.intent, decision.triage) == (URGENT, TRIAGE_SCREEN)
    # what to do on "no": the best of the rest, renormalised without urgent_symptoms
    assert decision.then is not None
    assert (decision.then.intent, decision.then.faq_topic) == ("faq", "session_length")


def test_ruled_out_red_flags_are_answered_as_what_was_asked() -> None:
    decision = decide([CLASSIFIER_URGENT], "ruled_out")
    assert (decision.intent, decision.faq_topic, decision.triage) == (
        "faq",
        "session_length",
        TRIAGE_RULED_OUT,
    )


def test_a_relatives_cancer_is_asked_about_even_when_the_classifier_says_faq() -> None:
    decision = decide([SESSION], "ask")
    assert (decision.intent, decision.triage) == (URGENT, TRIAGE_SCREEN)
    assert decision.then is not None and decision.then.faq_topic == "session_length"


def test_the_parse_result_says_why() -> None:
    decision = decide([CLASSIFIER_URGENT], "none")
    out = decision.as_dict()
    assert out["triage"] == "screen"
    assert out["then"]["faq_topic"] == "session_length"
    assert "ranking" not in out


def test_ruled_out_symptom_talk_without_a_clear_question_is_described_symptoms() -> None:
    unsure = {"urgent_symptoms": 0.6, "faq/treatment_areas": 0.1, "greet": 0.1, "thank": 0.1}
    decision = decide([{**unsure, "describe_symptoms": 0.1}], "ruled_out")
    assert (decision.intent, decision.triage) == ("describe_symptoms", TRIAGE_RULED_OUT)
