"""What the assistant does with a message: pure decision logic, no Rasa import.

The classifiers give rankings; this module turns them, with the red-flag assessment
(``clinic_nlu.red_flags``), into one decision that ``/model/parse``, the dialogue, tests and
analytics all see:

1. **Triage.** A red flag that applies wins: ``urgent_symptoms``. A message that only the
   classifier thinks urgent, or that mentions something to ask about (a relative's cancer), is
   *screened*: one question lists the red flags; what to do on "No" is kept under ``then``.
   (The classifiers think a message urgent when ``urgent_symptoms`` is their best label, or
   scores ``screen_at`` on average.)
   When every red-flag mention is ruled out (negated, hypothetical, over), the classifier's
   ``urgent_symptoms`` is dropped and the message is answered as what else it is.
2. **Labels.** Intents and FAQ topics are ranked together as labels (``faq/<key>`` for a
   topic). Each classifier gives its opinion, a distribution over the labels; the decision
   averages them.
3. **Confidence.** The best label needs ``threshold`` and a lead of ``ambiguity`` over the
   next; an FAQ answer also needs every model's best label to be that topic, unless the
   average alone is ``confident``. Otherwise the assistant asks which topic was meant
   (``nlu_fallback``), offering the likeliest ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FAQ = "faq"
FAQ_PREFIX = "faq/"
FALLBACK = "nlu_fallback"
URGENT = "urgent_symptoms"
DESCRIBE = "describe_symptoms"

# triage outcomes
TRIAGE_URGENT = "urgent"
TRIAGE_SCREEN = "screen"
TRIAGE_RULED_OUT = "ruled_out"

Ranking = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class Settings:
    """Decision thresholds (chosen on the development set: docs/benchmark.md)."""

    threshold: float = 0.3
    ambiguity: float = 0.05
    # an FAQ answer needs every model's best label to be its topic...
    require_agreement: bool = True
    # ...unless the averaged score alone is this sure
    confident: float = 0.45
    # the red-flag question, without a red flag found, when urgent_symptoms scores this much
    screen_at: float = 0.3
    # a red flag found gets urgent care when urgent_symptoms scores at least this much, the
    # red-flag question below it (0: always urgent care)
    alarm_at: float = 0.0
    max_candidates: int = 3
    min_candidate: float = 0.05


@dataclass(frozen=True)
class Decision:
    """One message's decision: the intent, its FAQ topic, and why."""

    intent: str
    confidence: float
    faq_topic: str | None = None
    # why an FAQ question is not answered: low_confidence, ambiguous, disagreement
    gate: str | None = None
    # labels to offer when asking which was meant, best first
    candidates: tuple[str, ...] = ()
    # urgent / screen / ruled_out, or None without any red-flag talk
    triage: str | None = None
    red_flags: tuple[str, ...] = ()
    # for a screened message: what to do once the visitor says no red flag applies
    then: Decision | None = None
    ranking: tuple[tuple[str, float], ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the full ranking)."""
        out: dict[str, Any] = {"intent": self.intent, "confidence": round(self.confidence, 4)}
        if self.faq_topic:
            out["faq_topic"] = self.faq_topic
        if self.gate:
            out["gate"] = self.gate
        if self.candidates:
            out["candidates"] = list(self.candidates)
        if self.triage:
            out["triage"] = self.triage
        if self.red_flags:
            out["red_flags"] = list(self.red_flags)
        if self.then is not None:
            out["then"] = self.then.as_dict()
        return out


def flat_ranking(intents: Ranking, topics: Ranking) -> dict[str, float]:
    """One ranking of intents and ``faq/<key>`` labels from an intent and a topic ranking."""
    scores: dict[str, float] = {}
    faq = 0.0
    for name, confidence in intents:
        if name == FALLBACK:
            continue
        if name == FAQ:
            faq = confidence
        else:
            scores[name] = scores.get(name, 0.0) + confidence
    for key, confidence in topics:
        label = key if key.startswith(FAQ_PREFIX) else FAQ_PREFIX + key
        scores[label] = scores.get(label, 0.0) + faq * confidence
    return scores


Opinion = Mapping[str, float]


def average(opinions: Sequence[Opinion]) -> dict[str, float]:
    """The mean of label distributions."""
    labels = {label for opinion in opinions for label in opinion}
    return {
        label: sum(opinion.get(label, 0.0) for opinion in opinions) / len(opinions)
        for label in labels
    }


def _sorted(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _without(scores: Mapping[str, float], label: str) -> dict[str, float]:
    kept = {k: v for k, v in scores.items() if k != label}
    total = sum(kept.values())
    return {k: v / total for k, v in kept.items()} if total > 0 else kept


def _best(scores: Mapping[str, float]) -> str | None:
    ranked = _sorted(scores)
    return ranked[0][0] if ranked else None


def _candidates(ranked: Iterable[tuple[str, float]], settings: Settings) -> tuple[str, ...]:
    faq = [
        label
        for label, score in ranked
        if label.startswith(FAQ_PREFIX) and score >= settings.min_candidate
    ]
    return tuple(faq[: settings.max_candidates])


def _answer(
    scores: Mapping[str, float], opinions: Sequence[Opinion], settings: Settings
) -> Decision:
    ranked = _sorted(scores)
    if not ranked:
        return Decision(FALLBACK, 0.0, gate="no_answer")
    (label, score) = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    gate = None
    if score < settings.threshold:
        gate = "low_confidence"
    elif score - runner_up < settings.ambiguity:
        gate = "ambiguous"
    elif (
        label.startswith(FAQ_PREFIX)
        and settings.require_agreement
        and score < settings.confident
        and any(_best(opinion) != label for opinion in opinions)
    ):
        gate = "disagreement"
    ranking = tuple(ranked[:10])
    if gate is not None:
        return Decision(
            FALLBACK, score, gate=gate, candidates=_candidates(ranked, settings), ranking=ranking
        )
    if label.startswith(FAQ_PREFIX):
        return Decision(FAQ, score, faq_topic=label.removeprefix(FAQ_PREFIX), ranking=ranking)
    return Decision(label, score, ranking=ranking)


def decide(
    opinions: Sequence[Opinion],
    red_flag_outcome: str,
    red_flags: Sequence[str] = (),
    settings: Settings = Settings(),
) -> Decision:
    """The decision for one message.

    ``opinions`` are the classifiers' distributions over the labels; ``red_flag_outcome`` is
    ``clinic_nlu.red_flags``' outcome: urgent, ask, ruled_out or none.
    """
    flags = tuple(red_flags)
    opinions = [opinion for opinion in opinions if opinion]
    scores = average(opinions) if opinions else {}
    if red_flag_outcome == "urgent":
        if not opinions or scores.get(URGENT, 0.0) >= settings.alarm_at:
            return Decision(URGENT, 1.0, triage=TRIAGE_URGENT, red_flags=flags)
        # a red flag found, but both models read the message as something else entirely
        # ("no fever, i was wondering about parking"): ask rather than alarm
        red_flag_outcome = "ask"
    classifier_urgent = _best(scores) == URGENT or scores.get(URGENT, 0.0) >= settings.screen_at
    if classifier_urgent:
        # what else the message is, given it is not a red flag
        scores = _without(scores, URGENT)
        opinions = [_without(opinion, URGENT) for opinion in opinions]
    then = _answer(scores, opinions, settings)
    if red_flag_outcome == "ask" or (classifier_urgent and red_flag_outcome != "ruled_out"):
        return Decision(URGENT, then.confidence, triage=TRIAGE_SCREEN, then=then)
    if red_flag_outcome == "ruled_out":
        if then.intent == FALLBACK and then.gate == "low_confidence":
            # symptom talk, red flags ruled out, and no clear question: "it's only one leg,
            # not both" is someone describing their symptoms
            return Decision(DESCRIBE, then.confidence, triage=TRIAGE_RULED_OUT)
        return Decision(
            then.intent,
            then.confidence,
            faq_topic=then.faq_topic,
            gate=then.gate,
            candidates=then.candidates,
            triage=TRIAGE_RULED_OUT,
            ranking=then.ranking,
        )
    return then
