"""Start the real action server and Rasa server once for the end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import FULL_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "current.tar.gz"
START_TIMEOUT = 240.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2.0).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


@dataclass(frozen=True)
class Servers:
    """Base URLs of the running servers, and where their logs go."""

    rasa: str
    actions: str
    logs: Path


def start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(args, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env=env)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The real action server and Rasa server over HTTP, with clinic settings all set."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    tmp = tmp_path_factory.mktemp("servers")
    settings = tmp / "settings.yml"
    settings.write_text(yaml.safe_dump(asdict(FULL_SETTINGS)), encoding="utf-8")
    rasa_port, actions_port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n', encoding="utf-8"
    )
    env = {**os.environ, "CLINIC_SETTINGS": str(settings), "RASA_TELEMETRY_ENABLED": "false"}
    actions = start(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
        tmp / "actions.log",
        env,
    )
    rasa = start(
        [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(MODEL),
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(rasa_port),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
        ],
        tmp / "rasa.log",
        env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", actions, tmp / "actions.log")
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status", rasa, tmp / "rasa.log")
        yield Servers(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}", tmp)
    finally:
        stop(rasa)
        stop(actions)
        sys.stdout.flush()
