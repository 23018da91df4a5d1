"""Run the publish gate: the live and the candidate model on the test and triage test sets.

    python -m clinic_server.publish_gate --candidate new.tar.gz [--live models/current.tar.gz]

Both models parse every message of ``tests/nlu/test.yml`` and ``tests/nlu/triage_test.yml``
in this process; ``clinic_office.gate.judge`` compares the outcomes. Prints the verdict in
plain words; exits 0 when the candidate may go live, 1 when not, 2 when it could not run.
The story tests (``make test-stories``) are a separate step of publishing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from clinic_office.gate import Outcome, Verdict, judge
from clinic_office.topics import load_topics

__all__ = ["evaluate", "main", "run_gate"]


async def evaluate(model: Path) -> list[Outcome]:
    """What ``model`` does with every message of the test and triage test sets."""
    from scripts.nlu_eval import (
        TEST_SET,
        TRIAGE_TEST_SET,
        load_examples,
        load_triage,
        outcome_of,
        parse_all,
    )

    examples = [*load_examples(TEST_SET), *load_triage(TRIAGE_TEST_SET)]
    parses = await parse_all(examples, model)
    return [
        Outcome(e.text, e.label, outcome_of(parse))
        for e, parse in zip(examples, parses, strict=True)
    ]


def run_gate(live: Path, candidate: Path) -> Verdict:
    """The verdict on ``candidate`` against ``live``."""
    titles = {key: topic.title for key, topic in load_topics().items()}
    before = asyncio.run(evaluate(live))
    after = asyncio.run(evaluate(candidate))
    return judge(before, after, titles)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="the publish gate: candidate against live")
    parser.add_argument("--candidate", type=Path, required=True)
    parser.add_argument("--live", type=Path, default=Path("models/current.tar.gz"))
    args = parser.parse_args(argv)
    for path in (args.live, args.candidate):
        if not path.is_file():
            print(f"no model at {path}")
            return 2
    verdict = run_gate(args.live, args.candidate)
    print(verdict.summary())
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
