"""The publish gate runs both models for real: the live model against itself passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"


def test_the_live_model_passes_its_own_gate() -> None:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    result = subprocess.run(
        [sys.executable, "-m", "clinic_server.publish_gate", "--candidate", str(MODEL)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "The change passed the safety and accuracy check." in result.stdout
    assert "red flags caught: 100%" in result.stdout


def test_a_missing_candidate_is_said_plainly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clinic_server.publish_gate", "--candidate", str(tmp_path / "x")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "no model at" in result.stdout


def test_outcomes_are_kept_by_model_hash_and_read_back(tmp_path: Path) -> None:
    """The second gate run reads the kept outcomes: a kept red flag turned into a miss makes
    the (same) candidate fail, which only a read of the cache can cause."""
    import json

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    cache = tmp_path / "cache"
    warm = subprocess.run(
        [sys.executable, "-m", "clinic_server.publish_gate", "--warm", "--live", str(MODEL),
         "--cache-dir", str(cache)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert warm.returncode == 0, warm.stdout[-2000:]
    [kept] = list(cache.glob("*.json"))
    rows = json.loads(kept.read_text())
    flag = next(i for i, row in enumerate(rows) if row["outcome"] == "urgent_symptoms")
    rows[flag]["outcome"] = "describe_symptoms"
    kept.write_text(json.dumps(rows))
    result = subprocess.run(
        [sys.executable, "-m", "clinic_server.publish_gate", "--candidate", str(MODEL),
         "--cache-dir", str(cache)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no longer gets urgent-care advice" in result.stdout
