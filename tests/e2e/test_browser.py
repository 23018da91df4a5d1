"""The widget in a real browser (Debian's Chromium driven by Playwright) against the real
servers: the demo page, role-based controls only (button named "chat", text box, role=log)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import ROOT, Servers

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "results" / "screenshots"
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
OPEN = re.compile(r"open chat", re.I)


def first_text(name: str) -> str:
    return str(DOMAIN["responses"][name][0]["text"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, website: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.dialogs: list[str] = []  # type: ignore[misc]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(website)
    yield page
    context.close()


def open_chat(page: Any) -> Any:
    page.get_by_role("button", name=OPEN).click()
    return page.get_by_role("textbox")


def log(page: Any) -> Any:
    return page.get_by_role("log")


def ask(page: Any, text: str) -> None:
    box = page.get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def test_ask_a_question_and_get_the_answer(page: Any) -> None:
    open_chat(page)
    ask(page, "how long does a dry needling session take?")
    answer = first_text("utter_faq/session_length")[:40]
    log(page).get_by_text(answer, exact=False).wait_for(timeout=30_000)


def test_quick_reply_sends_its_payload_and_disappears(page: Any) -> None:
    open_chat(page)
    ask(page, "I'd like to book an appointment")
    log(page).get_by_text(first_text("utter_ask_booking_name")).wait_for(timeout=30_000)
    ask(page, "Jane Doe")
    log(page).get_by_text(first_text("utter_ask_booking_contact")).wait_for(timeout=30_000)
    ask(page, "415 555 2671")
    log(page).get_by_text(first_text("utter_ask_booking_times")[:30], exact=False).wait_for(
        timeout=30_000
    )
    ask(page, "tuesday afternoon")
    sciatica = page.get_by_role("button", name="Sciatica")
    sciatica.wait_for(timeout=30_000)
    sciatica.click()
    log(page).get_by_text(first_text("utter_ask_booking_patient_status")).wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Something else").count() == 0
    ask(page, "stop")
    log(page).get_by_text(first_text("utter_booking_cancelled")[:30], exact=False).wait_for(
        timeout=30_000
    )


def test_history_survives_a_reload(page: Any) -> None:
    open_chat(page)
    ask(page, "what is sciatica")
    answer = first_text("utter_faq/what_is_sciatica")[:40]
    log(page).get_by_text(answer, exact=False).wait_for(timeout=30_000)
    page.reload()
    if not page.get_by_role("log").is_visible():
        open_chat(page)
    log(page).get_by_text("what is sciatica", exact=True).wait_for(timeout=30_000)
    log(page).get_by_text(answer, exact=False).wait_for(timeout=30_000)


def test_html_in_a_message_is_text_and_runs_nothing(page: Any) -> None:
    open_chat(page)
    attack = "<img src=x onerror=alert(1)>"
    ask(page, attack)
    log(page).get_by_text(attack, exact=True).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0


def test_whole_flow_with_the_keyboard_only(page: Any) -> None:
    launcher = page.get_by_role("button", name=OPEN)
    for _ in range(40):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el.matches(':focus')"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox")
    box.wait_for()
    assert box.evaluate("el => el.matches(':focus')")
    page.keyboard.type("is dry needling safe?")
    page.keyboard.press("Enter")
    log(page).get_by_text(first_text("utter_faq/is_it_safe")[:40], exact=False).wait_for(
        timeout=30_000
    )
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert launcher.evaluate("el => el.matches(':focus')")


def test_server_unreachable_then_retry_keeps_the_text(page: Any, servers: Servers) -> None:
    open_chat(page)
    page.route(re.compile(r".*/webhooks/widget/message.*"), lambda route: route.abort())
    ask(page, "what should I wear")
    retry = page.get_by_role("button", name="Retry")
    retry.wait_for(timeout=30_000)
    page.unroute(re.compile(r".*/webhooks/widget/message.*"))
    retry.click()
    log(page).get_by_text(first_text("utter_faq/what_to_wear")[:40], exact=False).wait_for(
        timeout=30_000
    )


def test_no_serious_accessibility_violations(page: Any) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make browser`")
    open_chat(page)
    ask(page, "hello")
    log(page).get_by_text(first_text("utter_greet")[:30], exact=False).wait_for(timeout=30_000)
    # the site's CSP forbids inline script (as it should): run axe through the DevTools
    # protocol, which CSP does not govern, rather than as a <script> element
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        (v["id"], v["impact"], v["help"])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize(
    ("label", "width", "height"), [("desktop", 1280, 800), ("phone", 390, 844)]
)
def test_screenshots(browser: Any, website: str, label: str, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(website)
    open_chat(page)
    ask(page, "what is dry needling?")
    answer = first_text("utter_faq/what_is_dry_needling")[:40]
    log(page).get_by_text(answer, exact=False).wait_for(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"widget-{label}.png"
    page.screenshot(path=str(path))
    if label == "phone":
        box = page.get_by_role("dialog").bounding_box()
        assert box is not None and box["width"] >= width - 1  # full screen below 600 px
    context.close()
    assert path.stat().st_size > 0
