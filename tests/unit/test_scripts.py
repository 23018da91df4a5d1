"""The helpers behind `make validate` and the NLU evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.nlu_eval import CLARIFY, Example, Report, outcome_of
from scripts.validate import DUPLICATE_FAQ, responses_sent_by_actions, unexpected_warnings


def warning(text: str) -> str:
    return f"/x/rasa/shared/utils/io.py:100: UserWarning: {text}\n"


def test_known_false_alarms_pass() -> None:
    sent = responses_sent_by_actions()
    assert "utter_contact_none" in sent
    output = (
        warning(DUPLICATE_FAQ)
        + warning("The utterance 'utter_contact_none' is not used in any story or rule.")
        + warning("The utterance 'utter_faq' is not used in any story or rule.")
    )
    assert unexpected_warnings(output, sent) == []


@pytest.mark.parametrize(
    "text",
    [
        "The utterance 'utter_forgotten' is not used in any story or rule.",
        "The intent 'greet' is not used in any story or rule.",
        "The example 'hi' was found labeled with multiple different intents.",
        "The following duplicated intents have been found across multiple domain files: greet",
    ],
)
def test_real_warnings_fail(text: str) -> None:
    assert unexpected_warnings(warning(text), responses_sent_by_actions()) == [text]


@pytest.mark.parametrize(
    ("parse", "outcome"),
    [
        ({"intent": {"name": "greet"}}, "greet"),
        ({"intent": {"name": "nlu_fallback"}}, CLARIFY),
        ({}, CLARIFY),
        (
            {
                "intent": {"name": "faq"},
                "response_selector": {"faq": {"response": {"intent_response_key": "faq/x"}}},
            },
            "faq/x",
        ),
        ({"intent": {"name": "faq"}, "response_selector": {}}, CLARIFY),
    ],
)
def test_outcome_of(parse: dict[str, Any], outcome: str) -> None:
    assert outcome_of(parse) == outcome


def test_report_rates() -> None:
    report = Report(name="r")
    report.outcomes = [
        (Example("a", "faq/a"), "faq/a"),
        (Example("b", "faq/b"), "faq/a"),
        (Example("c", "faq/c"), CLARIFY),
        (Example("d", "faq/d"), "faq/d"),
        (Example("e", "urgent_symptoms"), "urgent_symptoms"),
        (Example("f", "urgent_symptoms"), "faq/a"),
        (Example("g", "out_of_scope"), CLARIFY),
        (Example("h", "greet"), "urgent_symptoms"),
    ]
    assert report.faq_accuracy == 0.5
    assert report.faq_wrong_answer_rate == 0.25
    assert report.faq_clarification_rate == 0.25
    assert report.urgent_recall == 0.5
    assert report.off_topic_handled == 1.0
    assert report.false_urgent == [Example("h", "greet")]
