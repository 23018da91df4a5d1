"""Start the real action server and Rasa server once for the end-to-end tests, with a real
SMTP server (aiosmtpd) for staff notifications and a booking database in a temp folder."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

from scripts import server_up
from scripts.server_up import stop
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
    """Return once ``url`` answers 200 (RuntimeError when the process ends or START_TIMEOUT
    seconds pass)."""
    server_up.wait_until_up(url, process, log, START_TIMEOUT)


def start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(args, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env=env)


class MailSink:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class Servers:
    """The running servers, their environment, and where their logs go."""

    rasa: str
    actions: str
    logs: Path
    env: dict[str, str]
    database_url: str
    mail: MailSink
    webhook_port: int
    actions_port: int
    web_port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    rasa_args: list[str] = field(default_factory=list)

    def start_rasa(self) -> None:
        """Start the Rasa server (``wait_rasa`` waits until it answers)."""
        log = self.logs / "rasa.log"
        with log.open("a", encoding="utf-8") as previous:
            previous.write("\n--- (re)start ---\n")
        self.processes["rasa"] = start(self.rasa_args, log, self.env)

    def restart_rasa(self) -> None:
        """Stop the Rasa server and start it again, as a deploy would."""
        stop(self.processes["rasa"])
        self.start_rasa()
        wait_until_up(
            f"{self.rasa}/webhooks/widget/", self.processes["rasa"], self.logs / "rasa.log"
        )

    def rest_headers(self) -> dict[str, str]:
        """The REST channel's bearer token (the channel refuses requests without it)."""
        return {"Authorization": f"Bearer {self.env['REST_TOKEN']}"}

    def api_headers(self, secret: str | None = None) -> dict[str, str]:
        """A JWT for Rasa's HTTP API, signed with the server's secret (or ``secret``)."""
        import jwt

        claims = {"user": {"username": "tests", "role": "admin"}}
        token = jwt.encode(claims, secret or self.env["RASA_JWT_SECRET"], algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    def start_actions(self) -> None:
        """Start the action server and wait until it answers."""
        log = self.logs / "actions.log"
        self.processes["actions"] = start(
            [
                str(BIN / "python"),
                "-m",
                "clinic_server.action_server",
                "--port",
                str(self.actions_port),
            ],
            log,
            self.env,
        )
        wait_until_up(f"{self.actions}/health", self.processes["actions"], log)

    def restart_actions(self) -> None:
        """Stop the action server and start it again."""
        stop(self.processes["actions"])
        self.start_actions()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Real action server and Rasa server over HTTP, clinic settings all set, notifications
    to a real SMTP server and to a webhook sink that the tests start when they want."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    tmp = tmp_path_factory.mktemp("servers")
    settings = tmp / "settings.yml"
    settings.write_text(yaml.safe_dump(asdict(FULL_SETTINGS)), encoding="utf-8")
    rasa_port, actions_port, smtp_port, webhook_port, web_port = (free_port() for _ in range(5))
    credentials = tmp / "credentials.yml"
    credentials.write_text(
        "channels.token_rest.TokenRestInput:\n"
        "  token: ${REST_TOKEN}\n"
        # a 10,000-character paste reaches the NLU (test_bad_input_gets_an_answer)
        "  max_message_length: 20000\n"
        "channels.widget.WidgetInput:\n"
        f'  allowed_origins: ["http://127.0.0.1:{web_port}", "http://localhost:8080"]\n'
        "  max_message_length: 1000\n",
        encoding="utf-8",
    )
    # the shipped endpoints.yml: the action server's port and shared secret come from the
    # environment
    endpoints = ROOT / "endpoints.yml"
    action_secret = secrets.token_urlsafe(36)
    mail = MailSink()
    controller = Controller(mail, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    database_url = f"sqlite:///{tmp / 'bookings.db'}"
    # the published topic files: a copy, which tests/e2e/test_live_answers.py edits
    topics = tmp / "topics"
    shutil.copytree(ROOT / "data" / "topics", topics)
    env = {
        **os.environ,
        "CLINIC_SETTINGS": str(settings),
        "CLINIC_TOPICS_DIR": str(topics),
        "RASA_TELEMETRY_ENABLED": "false",
        "BOOKING_DATABASE_URL": database_url,
        "NOTIFY_CHANNELS": "email,webhook",
        "SMTP_HOST": "127.0.0.1",
        # the test SMTP sink speaks no TLS: STARTTLS explicitly off
        "SMTP_STARTTLS": "false",
        "SMTP_PORT": str(smtp_port),
        "SMTP_FROM": "assistant@clinic.example",
        "NOTIFY_EMAIL_TO": "desk@clinic.example",
        "NOTIFY_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/bookings",
        "NOTIFY_TIMEOUT": "3",
        "ACTIONS_PORT": str(actions_port),
        "ACTION_SECRET": action_secret,
        "REST_TOKEN": secrets.token_urlsafe(36),
        "RASA_ENABLE_API": "1",
        "RASA_JWT_SECRET": secrets.token_urlsafe(36),
        "WIDGET_SECRET": secrets.token_urlsafe(36),
        "CONVERSATIONS_DATABASE_URL": f"sqlite:///{tmp / 'conversations.db'}",
    }
    running = Servers(
        rasa=f"http://127.0.0.1:{rasa_port}",
        actions=f"http://127.0.0.1:{actions_port}",
        logs=tmp,
        env=env,
        database_url=database_url,
        mail=mail,
        webhook_port=webhook_port,
        actions_port=actions_port,
        web_port=web_port,
    )
    running.rasa_args = [
        str(BIN / "python"),
        "-m",
        "clinic_server.rasa_server",
        "--model",
        str(MODEL),
        "--interface",
        "127.0.0.1",
        "--port",
        str(rasa_port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
    ]
    try:
        running.start_rasa()
        running.start_actions()
        wait_until_up(
            f"{running.rasa}/webhooks/widget/", running.processes["rasa"], tmp / "rasa.log"
        )
        yield running
    finally:
        for process in running.processes.values():
            stop(process)
        controller.stop()


@pytest.fixture(scope="session")
def website(servers: Servers) -> Iterator[str]:
    """The demo website (python -m webapp) with the widget, talking to the Rasa server."""
    log = servers.logs / "webapp.log"
    process = start(
        [
            str(BIN / "python"),
            "-m",
            "webapp",
            "--port",
            str(servers.web_port),
            "--rasa-url",
            servers.rasa,
        ],
        log,
        servers.env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{servers.web_port}/", process, log)
        yield f"http://127.0.0.1:{servers.web_port}"
    finally:
        stop(process)
