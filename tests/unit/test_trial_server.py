"""The studio's trial parser: a Unix socket only its own user can use, and strict input.

Parsing with a real trial model is exercised by tests/e2e/test_studio_flow.py.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from clinic_server.trial_server import SOCKET_NAME, TrialModels, create_app

DIGEST = "0123456789abcdef"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "how long is a session", "model": DIGEST}, 404),  # no such model yet
        ({"text": "", "model": DIGEST}, 400),
        ({"text": "x" * 301, "model": DIGEST}, 400),
        ({"text": "hi", "model": "../../models/current"}, 400),
        ({"text": "hi", "model": DIGEST.upper()}, 400),
        ({"text": "hi"}, 400),
        (["hi"], 400),
    ],
)
async def test_the_parser_takes_a_short_text_and_a_trial_models_digest(
    tmp_path: Path, body: Any, status: int
) -> None:
    async with TestClient(TestServer(create_app(tmp_path))) as client:
        reply = await client.post("/parse", json=body)
        assert reply.status == status
        assert "error" in await reply.json()


async def test_only_parse_is_served(tmp_path: Path) -> None:
    async with TestClient(TestServer(create_app(tmp_path))) as client:
        assert (await client.get("/parse")).status == 405
        assert (await client.post("/model/parse", json={})).status == 404
        assert (await client.post("/parse", data=b"not json")).status == 400


async def test_it_listens_on_a_private_unix_socket_only(tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    process = subprocess.Popen(
        [sys.executable, "-m", "clinic_server.trial_server", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = folder / SOCKET_NAME
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.1)
        assert stat.S_ISSOCK(socket.stat().st_mode)
        assert stat.S_IMODE(socket.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        connector = aiohttp.UnixConnector(path=str(socket))
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            http.post("http://trial/parse", json={"text": "hi", "model": DIGEST}) as reply,
        ):
            assert reply.status == 404
        listening = subprocess.run(
            ["ss", "-ltnp"], capture_output=True, text=True, check=False
        ).stdout
        assert f"pid={process.pid}," not in listening  # no TCP port at all
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not socket.exists()
    assert os.path.isdir(folder)


async def test_an_idle_trial_model_is_let_go_and_loaded_again_when_asked(tmp_path: Path) -> None:
    models = TrialModels(tmp_path, idle=60.0)
    assert not await models.let_go_if_idle(1e9)  # nothing loaded
    (tmp_path / f"{DIGEST}.tar.gz").write_bytes(b"a model")
    loaded: list[Path] = []

    class Agent:
        async def parse_message(self, text: str) -> dict[str, Any]:
            return {"text": text}

    def load(path: Path) -> Agent:
        loaded.append(path)
        return Agent()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("clinic_server.trial_server._load", load)
        assert await models.parse(DIGEST, "hi") == {"text": "hi"}
        await models.parse(DIGEST, "again")
        assert len(loaded) == 1  # kept while in use
        used = models.last_used
        assert not await models.let_go_if_idle(used + 59)
        assert await models.let_go_if_idle(used + 61)
        assert models.agent is None
        await models.parse(DIGEST, "later")
        assert len(loaded) == 2  # loaded again on the next question
