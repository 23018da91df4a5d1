"""`make bench-nlu`: what visitors would get, the assistant beside a simple baseline.

Evaluates the trained model on the development set (every choice was made on it), the test
set (written fresh, never used for a choice) and both triage sets, and compares it with a
TF-IDF + logistic-regression baseline trained on the same training data. Prints Markdown
tables, and the issue's targets on the test sets; figures, not pass/fail.

    python -m scripts.bench_nlu [--model PATH] [--train] [--errors SET]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from scripts.nlu_eval import (
    ASSERTED,
    CLARIFY,
    DEV_SETS,
    MODEL,
    ORDINARY,
    REPO_ROOT,
    RULED_OUT,
    TEST_SET,
    TRIAGE_DEV_SETS,
    TRIAGE_TEST_SET,
    Example,
    Report,
    load_examples,
    load_triage,
    outcome_of,
    parse_all,
    training_examples,
)

BASELINE = "TF-IDF + LR baseline"
ALARMED_OR_ASKED = ("urgent_symptoms", "screen")
SETS = {
    **{name: (path, load_examples) for name, path in DEV_SETS.items()},
    "test": (TEST_SET, load_examples),
    **{name: (path, load_triage) for name, path in TRIAGE_DEV_SETS.items()},
    "triage_test": (TRIAGE_TEST_SET, load_triage),
}
# The targets, on the test sets: (what, figure, at least / at most, bound).
TARGETS: list[tuple[str, str, Callable[[Report], float], str, float]] = [
    ("FAQ right", "test", lambda r: r.faq_accuracy, ">=", 0.96),
    ("FAQ wrong", "test", lambda r: r.faq_wrong_answer_rate, "<=", 0.015),
    ("off-topic deflected", "test", lambda r: r.off_topic_handled, ">=", 0.95),
    ("personal medical questions", "test", lambda r: r.intent_rate("medical_advice"), ">=", 0.90),
    ("asserted red flags: urgent care", "triage_test", lambda r: r.alarmed(ASSERTED), ">=", 1.0),
    ("ordinary: alarmed", "triage_test", lambda r: r.alarmed(ORDINARY), "<=", 0.05),
    ("ruled out: alarmed", "triage_test", lambda r: r.alarmed(RULED_OUT), "<=", 0.05),
]


def baseline_outcomes(train: list[Example], sets: dict[str, list[Example]]) -> dict[str, Report]:
    """TF-IDF (words and character n-grams) + logistic regression, always answering."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    started = time.perf_counter()
    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(max_iter=2000, C=10.0),
    )
    model.fit([e.text for e in train], [e.label for e in train])
    seconds = time.perf_counter() - started
    reports = {}
    for name, examples in sets.items():
        report = Report(name=BASELINE, training_seconds=seconds)
        predicted = model.predict([e.text for e in examples]) if examples else []
        report.outcomes = [(e, str(p)) for e, p in zip(examples, predicted, strict=True)]
        reports[name] = report
    return reports


def train_assistant(out: Path) -> tuple[Path, float]:
    """Train the full model from scratch; return its path and the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "rasa"),
            "train",
            "--out",
            str(out),
            "--fixed-model-name",
            "bench",
            "--quiet",
        ],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out / "bench.tar.gz", time.perf_counter() - started


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def nlu_table(rows: list[tuple[str, str, Report]]) -> str:
    """FAQ answers and intents, one row per system and set."""
    lines = [
        "| system | set | n | FAQ right | FAQ wrong | FAQ clarify | off-topic deflected "
        "| medical advice | describes symptoms | other intents | red flags: urgent care "
        "| red flags: urgent or asked |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for system, set_name, r in rows:
        lines.append(
            f"| {system} | {set_name} | {len(r.outcomes)} | {_pct(r.faq_accuracy)} "
            f"| {_pct(r.faq_wrong_answer_rate)} | {_pct(r.faq_clarification_rate)} "
            f"| {_pct(r.off_topic_handled)} | {_pct(r.intent_rate('medical_advice'))} "
            f"| {_pct(r.intent_rate('describe_symptoms'))} | {_pct(r.other_intent_accuracy)} "
            f"| {_pct(r.urgent_recall)} | {_pct(r.urgent_or_screened)} |"
        )
    return "\n".join(lines)


def triage_table(rows: list[tuple[str, str, Report]]) -> str:
    """Red flags that apply, ruled out, and ordinary symptoms, one row per system and set."""
    lines = [
        "| system | set | asserted: urgent care | asserted: urgent or asked "
        "| ruled out: alarmed | ruled out: asked | ordinary: alarmed | ordinary: asked |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for system, set_name, r in rows:
        lines.append(
            f"| {system} | {set_name} (n={r.count(lambda e: e.label == ASSERTED)}"
            f"/{r.count(lambda e: e.label == RULED_OUT)}/{r.count(lambda e: e.label == ORDINARY)})"
            f" | {_pct(r.alarmed(ASSERTED))} "
            f"| {_pct(r.share(lambda e: e.label == ASSERTED, lambda o: o in ALARMED_OR_ASKED))} "
            f"| {_pct(r.alarmed(RULED_OUT))} | {_pct(r.screened(RULED_OUT))} "
            f"| {_pct(r.alarmed(ORDINARY))} | {_pct(r.screened(ORDINARY))} |"
        )
    return "\n".join(lines)


def targets(assistant: dict[str, Report], baseline: dict[str, Report]) -> str:
    """The issue's targets on the test sets, met or not, beside the baseline."""
    lines = ["| target | set | assistant | baseline | met |", "|---|---|---|---|---|"]
    for what, set_name, figure, op, bound in TARGETS:
        if set_name not in assistant:
            continue
        mine, theirs = figure(assistant[set_name]), figure(baseline[set_name])
        met = mine >= bound if op == ">=" else mine <= bound
        lines.append(
            f"| {what} {op} {bound:.1%} | {set_name} | {_pct(mine)} | {_pct(theirs)} "
            f"| {'yes' if met else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL, help="the model to evaluate")
    parser.add_argument("--train", action="store_true", help="train a fresh model, timed")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--errors", choices=list(SETS), help="list the assistant's errors")
    args = parser.parse_args()

    sets = {name: SETS[name][1](SETS[name][0]) for name in args.sets if SETS[name][0].exists()}
    train = training_examples()
    seconds = None
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if args.train:
            model, seconds = train_assistant(Path(tmp))
        assistant: dict[str, Report] = {}
        for name, examples in sets.items():
            report = Report(name="assistant", training_seconds=seconds)
            parses = asyncio.run(parse_all(examples, model))
            report.outcomes = [(e, outcome_of(p)) for e, p in zip(examples, parses, strict=True)]
            assistant[name] = report
    baseline = baseline_outcomes(train, sets)
    print(f"\nTraining data: {len(train)} examples. Model: {model}.")
    if seconds is not None:
        print(
            f"Training the full model took {seconds:.0f} s; the baseline "
            f"{next(iter(baseline.values())).training_seconds:.0f} s."
        )
    nlu = [n for n in sets if not n.startswith("triage")]
    triage = [n for n in sets if n.startswith("triage")]
    rows = [(s, n, r[n]) for n in nlu for s, r in (("assistant", assistant), (BASELINE, baseline))]
    print("\n" + nlu_table(rows))
    rows = [
        (s, n, r[n]) for n in triage for s, r in (("assistant", assistant), (BASELINE, baseline))
    ]
    print("\n" + triage_table(rows))
    print("\nTargets (test sets only):\n\n" + targets(assistant, baseline))
    if args.errors and args.errors in assistant:
        report = assistant[args.errors]
        errors = report.triage_errors() if args.errors.startswith("triage") else report.errors()
        print(f"\nAssistant errors on {args.errors} (label -> outcome: text):")
        for example, outcome in errors:
            label = f"{example.label}/{example.kind}" if example.kind else example.label
            triage = args.errors.startswith("triage")
            # on a triage set, a clarification is no error unless a red flag was asserted
            if outcome != CLARIFY or example.label == ASSERTED or not triage:
                print(f"  {label} -> {outcome}: {example.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
