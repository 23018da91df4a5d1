"""The trained model on the development sets: safety properties and regression floors.

Only the development sets of the rounds (tests/nlu/dev*.yml, triage_dev*.yml; not
triage_vocab.yml, whose wordings the vocabulary is still growing to cover) are used here:
the test sets are for `make bench-nlu`'s final figures and no choice, and no failing
test, may look at them. Every figure is in `make bench-nlu`; these tests fail the build
when safety breaks or accuracy falls well below what docs/benchmark.md reports.
"""

from __future__ import annotations

import pytest

from scripts.nlu_eval import (
    ASSERTED,
    MODEL,
    ORDINARY,
    RULED_OUT,
    SCREEN,
    URGENT,
    Report,
    development_examples,
    evaluate_model_sync,
)

# Regression floors, below the development figures of docs/benchmark.md.
FAQ_RIGHT_MIN = 0.93
FAQ_WRONG_MAX = 0.02
OFF_TOPIC_MIN = 0.95
MEDICAL_ADVICE_MIN = 0.85


@pytest.fixture(scope="module")
def report() -> Report:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    examples = development_examples(vocabulary=False)
    return evaluate_model_sync(examples, MODEL)


def describe(report: Report, labels: set[str], bad: set[str] | None = None) -> str:
    return "\n".join(
        f"  {e.label}/{e.kind} -> {o}: {e.text}"
        for e, o in report.outcomes
        if e.label in labels and (bad is None or o in bad)
    )


def test_red_flags_get_urgent_care_or_the_red_flag_question(report: Report) -> None:
    safe = {URGENT, SCREEN}
    missed = [(e, o) for e, o in report.outcomes if e.label in (ASSERTED, URGENT) and o not in safe]
    assert missed == [], describe(report, {ASSERTED, URGENT})


def test_ordinary_and_ruled_out_symptoms_never_get_the_alarm(report: Report) -> None:
    assert report.alarmed(ORDINARY) == 0.0, describe(report, {ORDINARY}, {URGENT})
    assert report.alarmed(RULED_OUT) == 0.0, describe(report, {RULED_OUT}, {URGENT})


def test_faq_answers_stay_right(report: Report) -> None:
    assert report.faq_accuracy >= FAQ_RIGHT_MIN
    assert report.faq_wrong_answer_rate <= FAQ_WRONG_MAX


def test_off_topic_and_personal_questions_are_recognised(report: Report) -> None:
    assert report.off_topic_handled >= OFF_TOPIC_MIN
    assert report.intent_rate("medical_advice") >= MEDICAL_ADVICE_MIN
