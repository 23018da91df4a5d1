"""The staff studio's trial parser: what a trial model (trained on the drafts) makes of a question.

    python -m clinic_server.trial_server --dir <data dir>/studio/trial

Listens on a Unix socket, ``<dir>/parse.sock`` (mode 0600, in a 0700 folder), never on a
network port: only the web app of the same installation, running as the same user, can ask
it. ``POST /parse`` with ``{"text": ..., "model": <digest>}`` loads ``<dir>/<digest>.tar.gz``
(the last one asked for stays loaded until 15 minutes unused) and answers Rasa's parse of the
text. The publishing worker (``clinic_server.studio_worker``) trains the trial models and
starts this process. Message text is never logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from clinic_office.studio import DIGEST

__all__ = ["SOCKET_NAME", "TrialModels", "create_app", "main"]

SOCKET_NAME = "parse.sock"
MAX_TEXT = 300
IDLE_SECONDS = 900.0  # a trial model unused this long is let go

logger = logging.getLogger(__name__)


@dataclass
class TrialModels:
    """The trial model loaded last, by digest; one at a time, loaded outside the event loop,
    and let go after ``idle`` seconds unused (a model holds hundreds of MB)."""

    folder: Path
    idle: float = IDLE_SECONDS
    digest: str = ""
    agent: Any = None
    last_used: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def parse(self, digest: str, text: str) -> dict[str, Any] | None:
        """The parse of ``text`` by the trial model ``digest``; None when there is no such model."""
        path = self.folder / f"{digest}.tar.gz"
        async with self.lock:
            if digest != self.digest or self.agent is None:
                if not path.is_file():
                    return None
                self.agent = await asyncio.to_thread(_load, path)
                self.digest = digest
            agent = self.agent
            self.last_used = time.monotonic()
        parsed: dict[str, Any] = await agent.parse_message(text)
        return parsed

    async def let_go_if_idle(self, now: float) -> bool:
        """Drop the loaded model when unused for ``idle`` seconds at ``now``; whether it did."""
        async with self.lock:
            if self.agent is None or now - self.last_used < self.idle:
                return False
            self.agent, self.digest = None, ""
            return True


def _load(path: Path) -> Any:
    import logging as _logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa's structured logger prints message text at DEBUG unless configured.
    configure_structlog(_logging.WARNING)
    return Agent.load(str(path))


def create_app(folder: Path) -> web.Application:
    """The trial parser's app: ``POST /parse`` only."""
    models = TrialModels(folder)

    async def parse(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "expected JSON"}, status=400)
        text = body.get("text") if isinstance(body, dict) else None
        digest = body.get("model") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return web.json_response({"error": "text: 1 to 300 characters"}, status=400)
        if not isinstance(digest, str) or not DIGEST.match(digest):
            return web.json_response({"error": "model: a trial model's digest"}, status=400)
        parsed = await models.parse(digest, text)
        if parsed is None:
            return web.json_response({"error": "no such trial model"}, status=404)
        return web.json_response(parsed)

    async def let_go_when_idle(app: web.Application) -> Any:
        async def watch() -> None:
            while True:
                await asyncio.sleep(60)
                await models.let_go_if_idle(time.monotonic())

        task = asyncio.create_task(watch())
        yield
        task.cancel()

    app = web.Application(client_max_size=16 * 1024)
    app.router.add_post("/parse", parse)
    app.cleanup_ctx.append(let_go_when_idle)
    return app


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: serve ``--dir``'s trial models on its Unix socket."""
    parser = argparse.ArgumentParser(description="the staff studio's trial parser")
    parser.add_argument("--dir", type=Path, required=True, help="the trial models' folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    socket = folder / SOCKET_NAME
    socket.unlink(missing_ok=True)
    old = os.umask(0o177)  # the socket is created 0600
    try:
        web.run_app(create_app(folder), path=str(socket), print=None, access_log=None)
    finally:
        os.umask(old)
        socket.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
