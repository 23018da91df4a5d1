"""Waiting for a server process to come up, and stopping server processes: shared by the
stacks the scripts start (``scripts.studio_stack``) and the end-to-end tests' servers
(``tests/e2e/conftest.py``)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import requests

__all__ = ["stop", "wait_until_up"]


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Return once ``url`` answers 200; RuntimeError, with the end of ``log``, when
    ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2.0).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def stop(*processes: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Ask every process to stop (SIGTERM), then wait for each; kill one that has not
    stopped within ``timeout`` seconds."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
