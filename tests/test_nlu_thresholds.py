"""The trained model on the NLU test set: thresholds that fail the build.

The test set (tests/nlu/test_nlu.yml) is written independently of the training data
(see tests/unit/test_contract.py). `make bench-nlu` prints the same figures in full.
"""

from __future__ import annotations

import pytest

from scripts.nlu_eval import MODEL, TEST_SET, Report, evaluate_model_sync, load_examples

FAQ_ACCURACY_MIN = 0.90
FAQ_WRONG_ANSWER_MAX = 0.05
URGENT_RECALL_MIN = 1.0
OFF_TOPIC_HANDLED_MIN = 0.85


@pytest.fixture(scope="module")
def report() -> Report:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    return evaluate_model_sync(load_examples(TEST_SET), MODEL)


def describe(report: Report, label_filter: str) -> str:
    return "\n".join(
        f"  {e.label} -> {o}: {e.text}" for e, o in report.errors() if label_filter in e.label
    )


def test_faq_topic_accuracy(report: Report) -> None:
    assert report.faq_accuracy >= FAQ_ACCURACY_MIN, describe(report, "faq/")


def test_faq_wrong_answers_are_rare(report: Report) -> None:
    assert report.faq_wrong_answer_rate <= FAQ_WRONG_ANSWER_MAX, describe(report, "faq/")


def test_every_red_flag_gets_urgent_care_advice(report: Report) -> None:
    assert report.urgent_recall >= URGENT_RECALL_MIN, describe(report, "urgent_symptoms")


def test_off_topic_messages_are_not_answered(report: Report) -> None:
    assert report.off_topic_handled >= OFF_TOPIC_HANDLED_MIN, describe(report, "out_of_scope")
