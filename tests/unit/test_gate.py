"""The publish gate refuses a model that is worse than the live one, and says why."""

from __future__ import annotations

import pytest

from clinic_office.gate import Outcome, figures, judge

TITLES = {"session_length": "How long a session takes", "number_of_sessions": "How many sessions"}


def faq(n: int, label: str = "faq/session_length", outcome: str | None = None) -> list[Outcome]:
    return [Outcome(f"question {label} {i}", label, outcome or label) for i in range(n)]


LIVE = [
    *faq(95),
    *faq(5, "faq/number_of_sessions"),
    Outcome("I can't control my bladder", "urgent_symptoms", "urgent_symptoms"),
    Outcome("numb saddle area", "asserted", "urgent_symptoms"),
    Outcome("no fever at all", "ruled_out", "describe_symptoms"),
    Outcome("hello", "greet", "greet"),
]


def changed(index: int, outcome: str) -> list[Outcome]:
    out = list(LIVE)
    out[index] = Outcome(out[index].text, out[index].label, outcome)
    return out


def test_the_same_outcomes_pass() -> None:
    verdict = judge(LIVE, LIVE, TITLES)
    assert verdict.passed and verdict.reasons == ()
    assert "passed" in verdict.summary()


def test_a_missed_red_flag_is_refused_even_if_everything_else_improves() -> None:
    verdict = judge(LIVE, changed(101, "describe_symptoms"), TITLES)
    assert not verdict.passed
    assert verdict.reasons == (
        "after your change, “numb saddle area” no longer gets urgent-care advice",
    )
    assert verdict.candidate.red_flags_caught == 0.5


def test_one_point_of_faq_accuracy_may_move_two_may_not() -> None:
    one = changed(0, "clarify")  # 1 of 100 FAQ questions: exactly one point
    assert judge(LIVE, one, TITLES).passed
    two = changed(1, "clarify")
    two[0] = Outcome(two[0].text, two[0].label, "faq/number_of_sessions")
    verdict = judge(LIVE, two, TITLES)
    assert not verdict.passed
    assert (
        "after your change, “question faq/session_length 0” is answered with “How many sessions”"
        in verdict.reasons
    )
    assert (
        "after your change, “question faq/session_length 1” gets a clarifying question "
        "instead of an answer" in verdict.reasons
    )


def test_new_false_alarms_are_refused() -> None:
    verdict = judge(LIVE, changed(102, "urgent_symptoms"), TITLES, tolerance=0.0)
    assert not verdict.passed
    assert verdict.reasons[0].startswith("urgent-care advice now goes to")


def test_the_models_must_have_answered_the_same_messages() -> None:
    with pytest.raises(ValueError):
        judge(LIVE, LIVE[:-1], TITLES)


def test_figures() -> None:
    shares = figures(changed(0, "faq/number_of_sessions"))
    assert (shares.faq_right, shares.faq_wrong) == (0.99, 0.01)
    assert (shares.faq_count, shares.red_flag_count) == (100, 2)
    assert shares.red_flags_caught == 1.0 and shares.false_alarms == 0.0
