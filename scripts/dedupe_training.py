"""Remove training examples that an evaluation set holds too (`make dedupe`).

Training data must never hold a development or test message, or the figures of
`make bench-nlu` would flatter the assistant. Staff and engineers who add examples run this;
it prints only how many lines it removed from each file, never the messages, so that nobody
reads the test set by accident.
"""

from __future__ import annotations

import re
import sys

from scripts.nlu_eval import REPO_ROOT, TRAINING_FILES, evaluation_examples


def normalise(text: str) -> str:
    """Lower case, letters and digits only, single spaces."""
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def main() -> int:
    """Remove, from each training file, every example line an evaluation set holds."""
    held = {normalise(e.text) for e in evaluation_examples()}
    for name in TRAINING_FILES:
        path = REPO_ROOT / "data" / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [
            line
            for line in lines
            if not (line.startswith("    - ") and normalise(line.strip()[2:]) in held)
        ]
        if len(kept) != len(lines):
            path.write_text("".join(kept), encoding="utf-8")
        print(f"data/{name}: {len(lines) - len(kept)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
