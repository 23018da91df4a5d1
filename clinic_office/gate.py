"""The publish gate: a new model goes live only if it is no worse than the live one.

Both models answer the same evaluation messages (the project's test set and triage test
set, ``tests/nlu/``); ``judge`` compares what each did, and explains a refusal in plain
words that staff can act on:

- every red flag gets urgent-care advice, always (100 %, whatever the live model did):
  "after your change, "I can't feel my saddle area" no longer gets urgent-care advice";
- no more false alarms: the share of messages without a red flag that get urgent-care advice
  may not rise by more than ``tolerance``;
- FAQ questions answered with the right topic may not fall, and those answered with a wrong
  topic may not rise, by more than ``tolerance`` (1 point): "after your change, "how long is
  a session" is answered with "How many sessions you may need"".

Pure module: outcomes come in as plain data (``clinic_server.publish_gate`` runs the models).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Figures", "Outcome", "Verdict", "figures", "judge"]

URGENT = "urgent_symptoms"
RED_FLAG_LABELS = frozenset({URGENT, "asserted"})
CLARIFY = "clarify"
SCREEN = "screen"
TOLERANCE = 0.01  # one point
MAX_EXAMPLES = 5  # changed answers quoted in an explanation


@dataclass(frozen=True)
class Outcome:
    """What a model did with one evaluation message: ``faq/<key>``, an intent, clarify..."""

    text: str
    label: str
    outcome: str


@dataclass(frozen=True)
class Figures:
    """Shares (0 to 1) over one model's outcomes; NaN-free: 1.0 when there is nothing."""

    faq_right: float
    faq_wrong: float
    red_flags_caught: float
    false_alarms: float
    faq_count: int
    red_flag_count: int


def _share(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def _false_alarm_share(outcomes: Sequence[Outcome]) -> float:
    calm = [o for o in outcomes if o.label not in RED_FLAG_LABELS]
    return _share(sum(o.outcome == URGENT for o in calm), len(calm)) if calm else 0.0


def figures(outcomes: Sequence[Outcome]) -> Figures:
    """The gate's figures for one model."""
    faq = [o for o in outcomes if o.label.startswith("faq/")]
    flags = [o for o in outcomes if o.label in RED_FLAG_LABELS]
    return Figures(
        faq_right=_share(sum(o.outcome == o.label for o in faq), len(faq)),
        faq_wrong=_share(sum(o.outcome not in (o.label, CLARIFY) for o in faq), len(faq))
        if faq
        else 0.0,
        red_flags_caught=_share(sum(o.outcome == URGENT for o in flags), len(flags)),
        false_alarms=_false_alarm_share(outcomes),
        faq_count=len(faq),
        red_flag_count=len(flags),
    )


@dataclass(frozen=True)
class Verdict:
    """Whether the candidate may go live, why not in plain words, and the figures."""

    passed: bool
    reasons: tuple[str, ...]
    live: Figures
    candidate: Figures

    def summary(self) -> str:
        """One paragraph for the studio and the publish log."""
        lines = [
            "The change passed the safety and accuracy check."
            if self.passed
            else "The change was not published: it failed the safety and accuracy check."
        ]
        lines.extend(f"- {reason}" for reason in self.reasons)
        live, new = self.live, self.candidate
        lines.append(
            f"Right topic: {new.faq_right:.1%} (live {live.faq_right:.1%}); wrong topic: "
            f"{new.faq_wrong:.1%} (live {live.faq_wrong:.1%}); red flags caught: "
            f"{new.red_flags_caught:.0%} of {new.red_flag_count}; false alarms: "
            f"{new.false_alarms:.1%} (live {live.false_alarms:.1%})."
        )
        return "\n".join(lines)


def describe(outcome: str, titles: Mapping[str, str]) -> str:
    """What an outcome looks like to staff: a topic's title, or what the assistant did."""
    if outcome.startswith("faq/"):
        key = outcome.removeprefix("faq/")
        return f"is answered with “{titles.get(key, key)}”"
    return {
        CLARIFY: "gets a clarifying question instead of an answer",
        SCREEN: "gets the red-flag question instead of an answer",
        URGENT: "gets urgent-care advice",
        "out_of_scope": "is treated as off-topic",
    }.get(outcome, f"is understood as “{outcome.replace('_', ' ')}”")


def judge(
    live: Sequence[Outcome],
    candidate: Sequence[Outcome],
    titles: Mapping[str, str],
    tolerance: float = TOLERANCE,
) -> Verdict:
    """Compare the candidate's outcomes with the live model's on the same messages."""
    if [(o.text, o.label) for o in live] != [(o.text, o.label) for o in candidate]:
        raise ValueError("the two models were not given the same messages")
    before, after = figures(live), figures(candidate)
    reasons: list[str] = []
    missed = [c for c in candidate if c.label in RED_FLAG_LABELS and c.outcome != URGENT]
    for c in missed[:MAX_EXAMPLES]:
        reasons.append(f"after your change, “{c.text}” no longer gets urgent-care advice")
    if len(missed) > MAX_EXAMPLES:
        reasons.append(f"and {len(missed) - MAX_EXAMPLES} more red flags are missed")
    if after.false_alarms > before.false_alarms + tolerance:
        reasons.append(
            f"urgent-care advice now goes to {after.false_alarms:.1%} of messages without a red "
            f"flag (live: {before.false_alarms:.1%})"
        )
    faq_worse = (
        after.faq_right < before.faq_right - tolerance
        or after.faq_wrong > before.faq_wrong + tolerance
    )
    if faq_worse:
        reasons.append(
            f"FAQ questions with the right answer: {after.faq_right:.1%} (live "
            f"{before.faq_right:.1%}); with a wrong answer: {after.faq_wrong:.1%} (live "
            f"{before.faq_wrong:.1%}). Allowed: {tolerance:.0%} either way"
        )
        lost = [
            c
            for b, c in zip(live, candidate, strict=True)
            if c.label.startswith("faq/") and b.outcome == b.label and c.outcome != c.label
        ]
        for c in lost[:MAX_EXAMPLES]:
            reasons.append(f"after your change, “{c.text}” {describe(c.outcome, titles)}")
    return Verdict(passed=not reasons, reasons=tuple(reasons), live=before, candidate=after)
