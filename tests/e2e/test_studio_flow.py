"""The staff studio end to end, in Debian's Chromium with role locators only.

A stack like `make run`'s, on a copy of the project in its own git repository: the model
server, a Rasa server that polls it, the action server answering from the published topic
files, the web app with the studio, and the publishing worker. An editor changes an answer
and teaches a new phrasing; a publisher publishes (validate, train, gate, stories, hand
over, commit); a visitor in the widget gets the new answer, and the new phrasing finds its
topic. Every studio page on the way is checked with axe (no serious or critical violation).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FULL_SETTINGS
from tests.e2e.conftest import BIN, ROOT, free_port, start, stop, wait_until_up
from tests.e2e.test_browser import AXE, CHROMIUM, OPEN

pytestmark = pytest.mark.e2e

PUBLISHER = ("pia", "publisher passphrase 1")
EDITOR = ("eddie", "editor passphrase 22")
NEW_ANSWER = "A dry needling session here takes about 45 minutes, assessment included."
NEW_PHRASING = "how much of my afternoon will the needle appointment eat up"
PUBLISH_TIMEOUT = 900_000  # ms: training, the gate and the stories on 2 cores


@dataclass
class Stack:
    home: Path
    site: str
    rasa: str
    env: dict[str, str]


def git(home: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = ROOT / "models" / "current.tar.gz"
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train`")
    tmp = tmp_path_factory.mktemp("studio")
    home = tmp / "home"
    for name in ("data", "content", "clinic", "docs"):
        shutil.copytree(ROOT / name, home / name)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, home / name)
    (home / "widget" / "dist").mkdir(parents=True)
    shutil.copy(ROOT / "widget" / "dist" / "widget.js", home / "widget" / "dist" / "widget.js")
    (home / ".gitignore").write_text("build\n.rasa\nvar\nserved\n")
    git(home, "init", "-q")
    git(home, "add", ".")
    git(home, "commit", "-qm", "the clinic's topics")
    (home / "build").symlink_to(ROOT / "build")  # the spaCy pipeline and the encoder
    if (ROOT / ".rasa").exists():
        (home / ".rasa").symlink_to(ROOT / ".rasa")  # Rasa's training cache
    served = home / "served"
    served.mkdir()
    shutil.copy(model, served / "current.tar.gz")
    settings = tmp / "settings.yml"
    settings.write_text(yaml.safe_dump(asdict(FULL_SETTINGS)), encoding="utf-8")
    ports = {name: free_port() for name in ("rasa", "actions", "models", "web")}
    web = f"http://127.0.0.1:{ports['web']}"
    credentials = tmp / "credentials.yml"
    credentials.write_text(
        f'channels.widget.WidgetInput:\n  allowed_origins: ["{web}"]\n', encoding="utf-8"
    )
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
        "RASA_ENABLE_API": "1",
        "RASA_JWT_SECRET": secrets.token_urlsafe(36),
        "RASA_TELEMETRY_ENABLED": "false",
        "STAFF_COOKIE_SECURE": "0",
        "STAFF_ADMIN_USER": PUBLISHER[0],
        "STAFF_ADMIN_PASSWORD": PUBLISHER[1],
    }
    for name in ("CLINIC_TOPICS_DIR", "STAFF_DATABASE_URL", "CONVERSATIONS_DATABASE_URL"):
        env.pop(name, None)
    python = str(BIN / "python")
    commands = {
        "models": [python, "-m", "clinic_server.model_server", "--port", str(ports["models"]),
                   "--dir", str(served)],
        "actions": [python, "-m", "clinic_server.action_server", "--port", str(ports["actions"])],
        "rasa": [python, "-m", "clinic_server.rasa_server", "--model", "", "--port",
                 str(ports["rasa"]), "--endpoints", str(ROOT / "endpoints-run.yml"),
                 "--credentials", str(credentials)],
        "web": [python, "-m", "webapp", "--port", str(ports["web"]), "--rasa-url",
                f"http://127.0.0.1:{ports['rasa']}", "--rasa-api-url",
                f"http://127.0.0.1:{ports['rasa']}"],
        "worker": [python, "-m", "clinic_server.studio_worker"],
    }  # fmt: skip
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            processes[name] = start(command, tmp / f"{name}.log", {**env, "PWD": str(home)})
        rasa = f"http://127.0.0.1:{ports['rasa']}"
        wait_until_up(f"{rasa}/webhooks/widget/", processes["rasa"], tmp / "rasa.log")
        wait_until_up(f"{web}/staff/login", processes["web"], tmp / "web.log")
        # the publisher was made at the web app's first start (STAFF_ADMIN_*); the editor now
        subprocess.run(
            [str(BIN / "python"), "-m", "clinic_office.staff_accounts", "add", "--user", EDITOR[0],
             "--role", "editor"],
            input=f"{EDITOR[1]}\n",
            text=True,
            env=env,
            cwd=home,
            check=True,
            capture_output=True,
        )  # fmt: skip
        yield Stack(home=home, site=web, rasa=rasa, env=env)
    finally:
        for process in processes.values():
            stop(process)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def axe_clean(page: Any) -> None:
    """No serious or critical axe violation on the page as it is now."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        (v["id"], v["impact"], v["help"], page.url)
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def sign_in(page: Any, site: str, who: tuple[str, str]) -> None:
    page.goto(f"{site}/staff/login")
    axe_clean(page)
    page.get_by_role("textbox", name="User name").fill(who[0])
    # a password field has no ARIA role: its label is the only accessible way to it
    page.get_by_label("Password", exact=True).fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    if alert.count():
        pytest.fail(f"sign-in refused: {alert.inner_text()}")
    heading = page.get_by_role("heading", name="Staff studio")
    if not heading.count():
        pytest.fail(f"after sign-in: {page.url} {page.content()[:1500]}")


def test_an_editor_changes_an_answer_and_teaches_a_phrasing_a_publisher_publishes(
    stack: Stack, browser: Any
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make browser`")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # the editor
    sign_in(page, stack.site, EDITOR)
    axe_clean(page)
    page.get_by_role("link", name="How long a session takes").click()
    page.get_by_role("heading", name=re.compile("How long a session takes")).wait_for()
    axe_clean(page)
    page.get_by_role("textbox", name="Answer", exact=True).fill(NEW_ANSWER)
    examples = page.get_by_role("textbox", name=re.compile("Example questions"))
    examples.fill(examples.input_value() + "\n" + NEW_PHRASING)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("status").get_by_text("Saved as a draft").wait_for()
    axe_clean(page)
    assert page.get_by_role("region", name=re.compile("Preview")).get_by_text(NEW_ANSWER).count()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Staff sign-in").wait_for()

    # the publisher
    sign_in(page, stack.site, PUBLISHER)
    page.get_by_role("textbox", name="What changed (for the history)").fill(
        "Session length: 45 minutes"
    )
    page.get_by_role("button", name=re.compile(r"Publish 1 draft")).click()
    page.get_by_role("heading", name=re.compile(r"Publish 1")).wait_for()
    axe_clean(page)
    done = page.get_by_role("heading", name=re.compile(r"Publish 1: (published|not published)"))
    for _ in range(PUBLISH_TIMEOUT // 5000):
        if done.count():
            break
        page.wait_for_timeout(5000)
        page.get_by_role("link", name="Check progress again").click()
        page.wait_for_load_state()
    assert page.get_by_role("heading", name="Publish 1: published").count(), page.content()
    axe_clean(page)
    assert git(stack.home, "log", "-1", "--format=%an|%s") == "pia|Session length: 45 minutes"

    # a visitor on the demo page: the new answer, and the new phrasing finds its topic
    visitor = context.new_page()
    visitor.goto(stack.site)
    visitor.get_by_role("button", name=OPEN).click()
    box = visitor.get_by_role("textbox")
    answers = visitor.get_by_role("log").get_by_text(NEW_ANSWER)
    for question in ("how long does a dry needling session take?", NEW_PHRASING):
        for _attempt in range(20):  # the Rasa server loads the published model within seconds
            before = answers.count()
            box.fill(question)
            box.press("Enter")
            visitor.get_by_role("log").get_by_text(question).last.wait_for(timeout=15_000)
            for _tick in range(30):
                visitor.wait_for_timeout(500)
                if answers.count() > before:
                    break
            if answers.count() > before:
                break
        else:
            pytest.fail(f"{question!r} did not get the published answer")
    context.close()
