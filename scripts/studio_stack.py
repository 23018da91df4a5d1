"""A `make run`-like stack on a copy of the project, for the studio's end-to-end test and
``make bench-studio``.

The copy (topic files, domain, config, data, content, the built widget) is its own git
repository, so that publishing commits there and never here. It shares this checkout's
``build/`` (the spaCy pipeline and the sentence encoder) and Rasa's training cache
(``.rasa/``), as a real installation does with its own. Started: the model server, the
action server, a Rasa server polling the model server (``endpoints-run.yml``), the web app
with the studio, and the publishing worker.

    with studio_stack(tmp, settings_yaml, accounts) as stack:
        ...stack.site, stack.rasa, stack.home...
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.server_up import stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "current.tar.gz"
START_TIMEOUT = 300.0

__all__ = ["Stack", "free_port", "git", "studio_stack"]


@dataclass
class Stack:
    """The running stack: the project copy, the site and Rasa's addresses, the environment."""

    home: Path
    site: str
    rasa: str
    env: dict[str, str]
    logs: Path

    def jwt_headers(self) -> dict[str, str]:
        """A JWT for Rasa's HTTP API, signed with the stack's secret."""
        import jwt

        claims = {"user": {"username": "bench", "role": "admin"}}
        token = jwt.encode(claims, self.env["RASA_JWT_SECRET"], algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git(home: Path, *args: str) -> str:
    """Run git in ``home`` (with a fixed committer), its output."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _copy_project(home: Path) -> None:
    for name in ("data", "content", "clinic", "docs"):
        shutil.copytree(ROOT / name, home / name)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, home / name)
    (home / "widget" / "dist").mkdir(parents=True)
    shutil.copy(ROOT / "widget" / "dist" / "widget.js", home / "widget" / "dist" / "widget.js")
    (home / ".gitignore").write_text("build\n.rasa\nvar\nserved\n", encoding="utf-8")
    git(home, "init", "-q")
    git(home, "add", ".")
    git(home, "commit", "-qm", "the clinic's topics")
    (home / "build").symlink_to(ROOT / "build")
    (ROOT / ".rasa").mkdir(exist_ok=True)
    (home / ".rasa").symlink_to(ROOT / ".rasa")


@contextmanager
def studio_stack(
    tmp: Path,
    settings_yaml: str,
    accounts: dict[str, tuple[str, str]],
    model: Path = MODEL,
    cache_dir: Path | None = None,
) -> Iterator[Stack]:
    """The stack in ``tmp``; ``accounts``: role -> (name, password); the publisher is made
    from STAFF_ADMIN_* at the web app's first start, the others with the CLI afterwards.
    ``model``: the live model; ``cache_dir``: a Rasa training cache of its own (else the
    checkout's)."""
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make train`")
    tmp.mkdir(parents=True, exist_ok=True)
    home = tmp / "home"
    _copy_project(home)
    served = home / "served"
    served.mkdir()
    shutil.copy(model, served / "current.tar.gz")
    settings = tmp / "settings.yml"
    settings.write_text(settings_yaml, encoding="utf-8")
    ports = {name: free_port() for name in ("rasa", "actions", "models", "web")}
    site = f"http://127.0.0.1:{ports['web']}"
    rasa = f"http://127.0.0.1:{ports['rasa']}"
    credentials = tmp / "credentials.yml"
    credentials.write_text(
        f'channels.widget.WidgetInput:\n  allowed_origins: ["{site}"]\n'
        "channels.token_rest.TokenRestInput:\n  token: ${REST_TOKEN}\n",
        encoding="utf-8",
    )
    publisher = accounts["publisher"]
    env = {
        **os.environ,
        "CLINIC_HOME": str(home),
        "CLINIC_DATA_DIR": str(home / "var"),
        "CLINIC_SETTINGS": str(settings),
        "MODELS_DIR": str(served),
        "MODEL_SERVER_PORT": str(ports["models"]),
        "ACTIONS_PORT": str(ports["actions"]),
        "ACTION_SECRET": secrets.token_urlsafe(36),
        "WIDGET_SECRET": secrets.token_urlsafe(36),
        "REST_TOKEN": secrets.token_urlsafe(36),
        "RASA_ENABLE_API": "1",
        "RASA_JWT_SECRET": secrets.token_urlsafe(36),
        "RASA_TELEMETRY_ENABLED": "false",
        "STAFF_COOKIE_SECURE": "0",
        "STAFF_ADMIN_USER": publisher[0],
        "STAFF_ADMIN_PASSWORD": publisher[1],
        "INBOX_DATABASE_URL": f"sqlite:///{home / 'var' / 'inbox.db'}",
    }
    for name in ("CLINIC_TOPICS_DIR", "STAFF_DATABASE_URL", "CONVERSATIONS_DATABASE_URL"):
        env.pop(name, None)
    if cache_dir is not None:
        env["RASA_CACHE_DIRECTORY"] = str(cache_dir)
    python = str(BIN / "python")
    commands = {
        "models": [python, "-m", "clinic_server.model_server", "--port", str(ports["models"]),
                   "--dir", str(served)],
        "actions": [python, "-m", "clinic_server.action_server", "--port", str(ports["actions"])],
        "rasa": [python, "-m", "clinic_server.rasa_server", "--model", "", "--port",
                 str(ports["rasa"]), "--endpoints", str(ROOT / "endpoints-run.yml"),
                 "--credentials", str(credentials)],
        "web": [python, "-m", "webapp", "--port", str(ports["web"]), "--rasa-url", rasa,
                "--rasa-api-url", rasa],
        "worker": [python, "-m", "clinic_server.studio_worker"],
    }  # fmt: skip
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            log = (tmp / f"{name}.log").open("ab")
            processes[name] = subprocess.Popen(
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        wait_until_up(
            f"{rasa}/webhooks/widget/", processes["rasa"], tmp / "rasa.log", START_TIMEOUT
        )
        wait_until_up(f"{site}/staff/login", processes["web"], tmp / "web.log", START_TIMEOUT)
        for role, (name, password) in accounts.items():
            if role == "publisher":
                continue
            subprocess.run(
                [python, "-m", "clinic_office.staff_accounts", "add", "--user", name, "--role",
                 role],
                input=f"{password}\n",
                text=True,
                env=env,
                cwd=home,
                check=True,
                capture_output=True,
            )  # fmt: skip
        yield Stack(home=home, site=site, rasa=rasa, env=env, logs=tmp)
    finally:
        stop(*processes.values())
