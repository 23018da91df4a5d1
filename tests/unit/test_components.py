"""The custom Rasa components: FAQ confidence gate and red-flag override."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language

from clinic_nlu.components import FaqConfidenceGate, RedFlagOverride


def parse(intent: str, confidence: float, answers: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "text": "some question",
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": answers[0][0] if answers else None},
                "ranking": [{"intent_response_key": k, "confidence": c} for k, c in answers],
            }
        },
    }


GATE = FaqConfidenceGate(FaqConfidenceGate.get_default_config())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (parse("faq", 0.99, [("faq/session_length", 0.9), ("faq/relief_timeline", 0.05)]), None),
        (
            parse("faq", 0.99, [("faq/session_length", 0.3), ("faq/relief_timeline", 0.2)]),
            "low_confidence",
        ),
        (
            parse("faq", 0.99, [("faq/session_length", 0.52), ("faq/relief_timeline", 0.48)]),
            "ambiguous",
        ),
        (parse("faq", 0.99, []), "no_answer"),
        (parse("greet", 0.99, [("faq/session_length", 0.1)]), None),
    ],
)
def test_gate_decision(data: dict[str, Any], reason: str | None) -> None:
    assert GATE.decide(data) == reason


def test_gate_sends_unsure_faq_to_fallback() -> None:
    message = Message(data=parse("faq", 0.97, [("faq/a", 0.4), ("faq/b", 0.35)]))
    [out] = GATE.process([message])
    assert out.get("intent")["name"] == "nlu_fallback"
    assert out.get("intent_ranking")[0]["name"] == "nlu_fallback"
    assert out.get("faq_gate") == "low_confidence"
    # the ranking of answers stays for the clarifying question
    assert out.get("response_selector")["faq"]["ranking"][0]["intent_response_key"] == "faq/a"
    assert "faq_gate" in out.as_dict(only_output_properties=True)


def test_gate_keeps_confident_faq() -> None:
    message = Message(data=parse("faq", 0.97, [("faq/a", 0.95), ("faq/b", 0.01)]))
    [out] = GATE.process([message])
    assert out.get("intent")["name"] == "faq"


def test_gate_leaves_button_payloads_alone() -> None:
    data = parse("faq", 0.2, [])
    data["text"] = '/faq{"faq_topic":"session_length"}'
    [out] = GATE.process([Message(data=data)])
    assert out.get("intent")["name"] == "faq"


def message_with_doc(nlp: Language, text: str, intent: str) -> Message:
    data = parse(intent, 0.9, [("faq/dry_needling_effectiveness", 0.9)])
    data["text"] = text
    message = Message(data=data)
    message.set("text_spacy_doc", nlp(text.lower()))
    return message


def test_red_flag_overrides_a_confident_faq(nlp: Language) -> None:
    message = message_with_doc(nlp, "I lost bladder control, will dry needling help?", "faq")
    [out] = RedFlagOverride().process([message])
    assert out.get("intent") == {"name": "urgent_symptoms", "confidence": 1.0}
    assert out.get("intent_ranking")[0]["name"] == "urgent_symptoms"
    assert out.as_dict(only_output_properties=True)["red_flags"] == ["bladder_bowel"]


def test_no_red_flag_keeps_intent(nlp: Language) -> None:
    message = message_with_doc(nlp, "will dry needling help my sciatica?", "faq")
    [out] = RedFlagOverride().process([message])
    assert out.get("intent")["name"] == "faq"
    assert out.get("red_flags") == []


def test_red_flag_override_without_spacy_doc_keeps_intent() -> None:
    message = Message(data=parse("faq", 0.9, [("faq/a", 0.9)]))
    [out] = RedFlagOverride().process([message])
    assert out.get("intent")["name"] == "faq"
