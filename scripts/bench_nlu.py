"""`make bench-nlu`: what visitors would get, the assistant beside a simple baseline.

Trains the NLU model from scratch (to time it), evaluates it on the NLU test set
(tests/nlu/test_nlu.yml), and compares it with a TF-IDF + logistic-regression baseline
trained on the same training data. Prints a Markdown table; figures, not pass/fail.

    python -m scripts.bench_nlu [--config config.yml] [--model PATH] [--errors]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.nlu_eval import (
    CLARIFY,
    REPO_ROOT,
    TEST_SET,
    Example,
    Report,
    evaluate_model,
    load_examples,
)

CLARIFY_BELOW = 0.5


def training_examples() -> list[Example]:
    """All training examples under data/nlu."""
    return [e for p in sorted((REPO_ROOT / "data" / "nlu").glob("*.yml")) for e in load_examples(p)]


def baseline_reports(train: list[Example], test: list[Example]) -> list[Report]:
    """TF-IDF (words and character n-grams) + logistic regression, always answering or not."""
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
    probabilities = model.predict_proba([e.text for e in test])
    labels = list(model.classes_)
    always = Report(name="TF-IDF + LR baseline", training_seconds=seconds)
    gated = Report(name=f"baseline, clarify below p={CLARIFY_BELOW}", training_seconds=seconds)
    for example, row in zip(test, probabilities, strict=True):
        best = int(row.argmax())
        always.outcomes.append((example, labels[best]))
        gated.outcomes.append((example, labels[best] if row[best] >= CLARIFY_BELOW else CLARIFY))
    return [always, gated]


def train_assistant(config: Path, out: Path) -> tuple[Path, float]:
    """Train the NLU model with ``config``; return its path and the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "rasa"),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            "data/nlu",
            "--domain",
            "domain.yml",
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


def table(reports: list[Report]) -> str:
    """A Markdown table of the figures of each report."""
    head = (
        "| system | FAQ right answer | FAQ wrong answer | FAQ clarification | red flags caught "
        "| off-topic handled | other intents | training time |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    rows = [head]
    for r in reports:
        seconds = f"{r.training_seconds:.0f} s" if r.training_seconds is not None else "n/a"
        rows.append(
            f"| {r.name} | {r.faq_accuracy:.1%} | {r.faq_wrong_answer_rate:.1%} "
            f"| {r.faq_clarification_rate:.1%} | {r.urgent_recall:.1%} | {r.off_topic_handled:.1%} "
            f"| {r.other_intent_accuracy:.1%} | {seconds} |"
        )
    return "\n".join(rows)


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config.yml")
    parser.add_argument("--model", type=Path, help="evaluate this model instead of training one")
    parser.add_argument("--errors", action="store_true", help="list the assistant's errors")
    args = parser.parse_args()

    test = load_examples(TEST_SET)
    train = training_examples()
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            model, seconds = args.model, None
        else:
            model, seconds = train_assistant(args.config, Path(tmp))
        assistant = asyncio.run(evaluate_model(test, model, name="assistant (Rasa, this config)"))
        assistant.training_seconds = seconds
    reports = [assistant, *baseline_reports(train, test)]
    print(
        f"\nNLU test set: {len(test)} messages ({TEST_SET.relative_to(REPO_ROOT)}), "
        f"training data: {len(train)} examples\n"
    )
    print(table(reports))
    if args.errors:
        print("\nAssistant errors (label -> outcome: text):")
        for example, outcome in assistant.errors():
            print(f"  {example.label} -> {outcome}: {example.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
