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
import hashlib
import json
import sys
from pathlib import Path

from clinic_nlu.minilm_build import sha256_file
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


def fingerprint(model: Path) -> str:
    """A model file's SHA-256: what its outcomes are kept under."""
    return sha256_file(model)


def outcomes_for(model: Path, cache_dir: Path | None = None) -> list[Outcome]:
    """``model``'s outcomes on the evaluation sets, read from ``cache_dir`` when a run of the
    same model file (and the same sets) left them there; else computed (and kept there)."""
    from scripts.nlu_eval import TEST_SET, TRIAGE_TEST_SET

    sets = hashlib.sha256(TEST_SET.read_bytes() + TRIAGE_TEST_SET.read_bytes()).hexdigest()
    path = cache_dir / f"{fingerprint(model)}-{sets[:16]}.json" if cache_dir else None
    if path is not None and path.is_file():
        return [Outcome(**row) for row in json.loads(path.read_text(encoding="utf-8"))]
    outcomes = asyncio.run(evaluate(model))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps([o.__dict__ for o in outcomes]), encoding="utf-8")
        partial.replace(path)
    return outcomes


def run_gate(live: Path, candidate: Path, cache_dir: Path | None = None) -> Verdict:
    """The verdict on ``candidate`` against ``live`` (outcomes kept in ``cache_dir``)."""
    titles = {key: topic.title for key, topic in load_topics().items()}
    return judge(outcomes_for(live, cache_dir), outcomes_for(candidate, cache_dir), titles)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="the publish gate: candidate against live")
    parser.add_argument("--candidate", type=Path)
    parser.add_argument("--live", type=Path, default=Path("models/current.tar.gz"))
    parser.add_argument(
        "--cache-dir", type=Path, help="keep each model's outcomes here (by file hash)"
    )
    parser.add_argument(
        "--warm", action="store_true", help="only compute the live model's outcomes"
    )
    args = parser.parse_args(argv)
    if args.warm:
        if not args.live.is_file() or args.cache_dir is None:
            print("--warm needs a live model and --cache-dir")
            return 2
        outcomes_for(args.live, args.cache_dir)
        return 0
    if args.candidate is None:
        parser.error("--candidate is required")
    for path in (args.live, args.candidate):
        if not path.is_file():
            print(f"no model at {path}")
            return 2
    verdict = run_gate(args.live, args.candidate, args.cache_dir)
    print(verdict.summary())
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
