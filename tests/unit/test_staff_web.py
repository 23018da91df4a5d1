"""The staff studio over HTTP: the web app on a real socket, with the real staff store."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from argon2 import PasswordHasher
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_office.config import Settings
from clinic_office.staff_accounts import StaffSession, StaffStore
from webapp.app import WebSettings, create_app
from webapp.staff import (
    PUBLISHER,
    from_origin,
    is_staff_path,
    require_staff,
    staff_only,
)

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "the first account's passphrase"
TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass
class Reply:
    """What a test reads of a response."""

    status: int
    headers: Mapping[str, str]
    set_cookies: list[str]
    text: str

    def cookie(self, name: str) -> str:
        """The Set-Cookie header of ``name``."""
        (line,) = [c for c in self.set_cookies if c.startswith(f"{name}=")]
        return line

    def cookie_value(self, name: str) -> str:
        """The value ``name`` is set to."""
        return self.cookie(name).split(";", 1)[0].split("=", 1)[1].strip('"')


@dataclass
class Site:
    """The running web app, its origin, and a store on the same staff database."""

    origin: str
    store: StaffStore
    client: aiohttp.ClientSession

    async def request(
        self,
        method: str,
        path: str,
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request with exactly these cookies (the client keeps none), no redirects."""
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        async with self.client.request(
            method, self.origin + path, headers=sent, data=data, allow_redirects=False
        ) as resp:
            return Reply(
                resp.status,
                dict(resp.headers),
                resp.headers.getall("Set-Cookie", []),
                await resp.text(),
            )

    async def login_form(self) -> tuple[str, str]:
        """The sign-in form's CSRF cookie value and hidden field value."""
        page = await self.request("GET", "/staff/login")
        assert page.status == 200
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match is not None
        return page.cookie_value("staff_csrf"), match.group(1)

    async def sign_in(self, user: str, password: str = PASSWORD, **headers: str) -> Reply:
        """Post the sign-in form as a browser on this site would."""
        cookie, field = await self.login_form()
        return await self.request(
            "POST",
            "/staff/login",
            cookies={"staff_csrf": cookie},
            headers=headers or {"Origin": self.origin},
            data={"csrf": field, "user": user, "password": password},
        )

    async def session(self, user: str, password: str = PASSWORD) -> tuple[str, str]:
        """A signed-in session's cookie value and CSRF token."""
        signed = await self.sign_in(user, password)
        assert signed.status == 303, signed.text
        token = signed.cookie_value("staff_session")
        page = await self.request("GET", "/staff", cookies={"staff_session": token})
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match is not None
        return token, match.group(1)


def extra_routes(app: Sanic) -> None:
    """A publisher-only route and a JSON route, as later studio work will add."""

    @app.post("/staff/test-publish")
    @staff_only(PUBLISHER)
    async def publish(_request: Request, session: StaffSession) -> HTTPResponse:
        return response.text(f"published by {session.account.user_name}")

    @app.put("/staff/test-draft")
    async def draft(request: Request) -> HTTPResponse:
        who = await require_staff(request)
        if isinstance(who, HTTPResponse):
            return who
        return response.text(f"drafted by {who.account.user_name}")


@pytest.fixture
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    # several apps in one process (as sanic-testing does)
    monkeypatch.setattr(Sanic, "test_mode", True)


async def start_site(tmp_path: Path, env: dict[str, str] | None = None) -> AsyncIterator[Site]:
    """The web app on a free loopback port, with its staff database in ``tmp_path``."""
    office = Settings.from_env({"CLINIC_HOME": str(tmp_path), **(env or {})})
    app = create_app(WebSettings.from_config(office), name=f"staff_{uuid.uuid4().hex[:12]}")
    extra_routes(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    store = StaffStore(office.staff_database_url, hasher=FAST)
    try:
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=TIMEOUT
        ) as client:
            yield Site(f"http://127.0.0.1:{port}", store, client)
    finally:
        store.dispose()
        await server.before_stop()
        close = server.close()
        if close is not None:
            await close
        await server.after_stop()
        sock.close()


@pytest.fixture
async def site(tmp_path: Path, sanic_test_mode: None) -> AsyncIterator[Site]:
    async for running in start_site(tmp_path):
        running.store.add_account("ana", PASSWORD, "publisher")
        running.store.add_account("eve", PASSWORD, "editor")
        yield running


# headers and pages


async def test_the_studio_without_a_session_sends_to_the_sign_in_page(site: Site) -> None:
    reply = await site.request("GET", "/staff")
    assert reply.status == 303
    assert reply.headers["Location"] == "/staff/login"
    assert reply.headers["Cache-Control"] == "no-store"
    reply = await site.request("GET", "/staff", cookies={"staff_session": "forged-token"})
    assert reply.status == 303
    assert "Max-Age=0" in reply.cookie("staff_session")


async def test_staff_pages_have_their_own_policy_and_the_site_keeps_its_own(site: Site) -> None:
    staff = await site.request("GET", "/staff/login")
    policy = staff.headers["Content-Security-Policy"]
    assert "form-action 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy  # no script at all
    assert "unsafe-inline" not in policy
    assert staff.headers["Cache-Control"] == "no-store"
    assert staff.headers["Referrer-Policy"] == "same-origin"
    assert "<script" not in staff.text and " style=" not in staff.text
    css = await site.request("GET", "/staff/studio.css")
    assert css.status == 200 and ":focus-visible" in css.text
    assert css.headers["Cache-Control"] == "no-store"
    missing = await site.request("GET", "/staff/nothing-here")
    assert missing.status == 404 and missing.headers["Cache-Control"] == "no-store"
    page = await site.request("GET", "/widget.js")  # a route of the site, not the studio
    assert "form-action 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


async def test_the_sign_in_page_is_accessible(site: Site) -> None:
    page = (await site.request("GET", "/staff/login")).text
    assert '<html lang="en">' in page
    assert page.count("<h1>") == 1 and "<main>" in page
    assert 'name="viewport"' in page
    assert '<label for="user">' in page and 'id="user"' in page
    assert '<label for="password">' in page and 'id="password"' in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page
    assert 'role="alert"' not in page
    refused = await site.sign_in("ana", "not the password")
    assert refused.status == 401
    assert 'role="alert"' in refused.text and 'aria-invalid="true"' in refused.text


# signing in and out


async def test_sign_in_sets_a_strict_cookie_and_opens_the_studio(site: Site) -> None:
    signed = await site.sign_in(" Ana ")
    assert signed.status == 303
    assert signed.headers["Location"] == "/staff"
    cookie = signed.cookie("staff_session")
    flags = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in flags and "secure" in flags
    assert "samesite=strict" in flags and "path=/staff" in flags
    token = signed.cookie_value("staff_session")
    assert len(token) >= 43
    assert "Max-Age=0" in signed.cookie("staff_csrf")  # the pre-session token is spent
    studio = await site.request("GET", "/staff", cookies={"staff_session": token})
    assert studio.status == 200
    assert "Signed in as <strong>ana</strong> (publisher)" in studio.text
    assert '<section aria-labelledby="topics-heading">' in studio.text
    assert '<h2 id="topics-heading">Topics</h2>' in studio.text
    assert 'action="/staff/logout"' in studio.text
    again = await site.request("GET", "/staff/login", cookies={"staff_session": token})
    assert again.status == 303 and again.headers["Location"] == "/staff"


async def test_cookies_lose_secure_only_when_the_setting_says_so(
    tmp_path: Path, sanic_test_mode: None
) -> None:
    async for running in start_site(tmp_path, {"STAFF_COOKIE_SECURE": "0"}):
        running.store.add_account("ana", PASSWORD, "editor")
        signed = await running.sign_in("ana")
        assert signed.status == 303
        assert "secure" not in signed.cookie("staff_session").lower()
        assert "HttpOnly" in signed.cookie("staff_session")


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(site: Site) -> None:
    wrong = await site.sign_in("ana", "not the password")
    unknown = await site.sign_in("nobody", "not the password")
    assert wrong.status == unknown.status == 401
    assert not [c for c in wrong.set_cookies if c.startswith("staff_session=")]

    def alert(text: str) -> str:
        match = re.search(r'role="alert">([^<]*)<', text)
        assert match is not None
        return match.group(1)

    assert alert(wrong.text) == alert(unknown.text)
    assert "not the password" not in wrong.text


async def test_sign_in_is_paused_after_five_failures(site: Site) -> None:
    for _ in range(5):
        assert (await site.sign_in("ana", "not the password")).status == 401
    paused = await site.sign_in("ana", PASSWORD)
    assert paused.status == 429
    assert "paused for 15 minutes" in paused.text
    assert not [c for c in paused.set_cookies if c.startswith("staff_session=")]
    assert (await site.sign_in("eve", PASSWORD)).status == 303


async def test_sign_out_ends_the_session(site: Site) -> None:
    token, csrf = await site.session("ana")
    out = await site.request(
        "POST",
        "/staff/logout",
        cookies={"staff_session": token},
        headers={"Origin": site.origin},
        data={"csrf": csrf},
    )
    assert out.status == 303 and out.headers["Location"] == "/staff/login"
    assert "Max-Age=0" in out.cookie("staff_session")
    assert site.store.session(token) is None
    assert (await site.request("GET", "/staff", cookies={"staff_session": token})).status == 303


# CSRF


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"Origin": "ORIGIN"}, None),  # no token
        ({"Origin": "ORIGIN"}, "wrong-token"),
        ({"Origin": "https://evil.example"}, "CSRF"),
        ({"Origin": "null"}, "CSRF"),
        ({}, "CSRF"),  # neither Origin nor Referer
        ({"Referer": "https://evil.example/staff"}, "CSRF"),
        ({"Origin": "ORIGIN", "X-CSRF-Token": "wrong-token"}, None),
    ],
)
async def test_a_state_change_without_token_and_origin_is_refused(
    site: Site, headers: dict[str, str], field: str | None
) -> None:
    token, csrf = await site.session("ana")
    sent = {name: value.replace("ORIGIN", site.origin) for name, value in headers.items()}
    data = {} if field is None else {"csrf": field.replace("CSRF", csrf)}
    refused = await site.request(
        "POST", "/staff/logout", cookies={"staff_session": token}, headers=sent, data=data
    )
    assert refused.status == 403
    assert "Please go back, reload the page and try again." in refused.text
    assert site.store.session(token) is not None  # still signed in


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "ORIGIN"}, {"Referer": "ORIGIN/staff"}],
)
async def test_a_state_change_with_token_and_origin_is_accepted(
    site: Site, headers: dict[str, str]
) -> None:
    token, csrf = await site.session("ana")
    sent = {name: value.replace("ORIGIN", site.origin) for name, value in headers.items()}
    accepted = await site.request(
        "POST",
        "/staff/test-publish",
        cookies={"staff_session": token},
        headers=sent,
        data={"csrf": csrf},
    )
    assert (accepted.status, accepted.text) == (200, "published by ana")
    by_header = await site.request(
        "PUT",
        "/staff/test-draft",
        cookies={"staff_session": token},
        headers={**sent, "X-CSRF-Token": csrf},
    )
    assert (by_header.status, by_header.text) == (200, "drafted by ana")


@pytest.mark.parametrize(
    ("cookie", "field", "origin"),
    [
        (True, False, "ORIGIN"),
        (False, True, "ORIGIN"),
        (True, True, "https://evil.example"),
        (True, True, None),
    ],
)
async def test_the_sign_in_form_needs_its_cookie_and_this_origin(
    site: Site, cookie: bool, field: bool, origin: str | None
) -> None:
    cookie_value, field_value = await site.login_form()
    refused = await site.request(
        "POST",
        "/staff/login",
        cookies={"staff_csrf": cookie_value} if cookie else None,
        headers={} if origin is None else {"Origin": origin.replace("ORIGIN", site.origin)},
        data={"user": "ana", "password": PASSWORD, **({"csrf": field_value} if field else {})},
    )
    assert refused.status == 403
    assert not [c for c in refused.set_cookies if c.startswith("staff_session=")]
    # another browser's token does not do either
    other_cookie, _ = await site.login_form()
    crossed = await site.request(
        "POST",
        "/staff/login",
        cookies={"staff_csrf": other_cookie},
        headers={"Origin": site.origin},
        data={"user": "ana", "password": PASSWORD, "csrf": field_value},
    )
    assert crossed.status == 403


# roles


async def test_an_editor_is_refused_a_publishers_route(site: Site) -> None:
    token, csrf = await site.session("eve")
    refused = await site.request(
        "POST",
        "/staff/test-publish",
        cookies={"staff_session": token},
        headers={"Origin": site.origin},
        data={"csrf": csrf},
    )
    assert refused.status == 403
    assert "publisher" in refused.text
    drafted = await site.request(
        "PUT",
        "/staff/test-draft",
        cookies={"staff_session": token},
        headers={"Origin": site.origin, "X-CSRF-Token": csrf},
    )
    assert (drafted.status, drafted.text) == (200, "drafted by eve")
    studio = await site.request("GET", "/staff", cookies={"staff_session": token})
    assert "Signed in as <strong>eve</strong> (editor)" in studio.text


# the audit log


async def test_the_audit_log_records_sign_in_failure_and_sign_out(site: Site) -> None:
    await site.sign_in("ana", "a wrong password here")
    token, csrf = await site.session("ana")
    await site.request(
        "POST",
        "/staff/logout",
        cookies={"staff_session": token},
        headers={"Origin": site.origin},
        data={"csrf": csrf},
    )
    entries = [(e.user_name, e.action) for e in site.store.audit_entries()]
    assert entries[-3:] == [("ana", "sign_in_failed"), ("ana", "sign_in"), ("ana", "sign_out")]
    logged = " ".join(f"{e.user_name} {e.action} {e.detail}" for e in site.store.audit_entries())
    assert "a wrong password here" not in logged and PASSWORD not in logged and token not in logged


# the first account


async def test_the_first_account_comes_from_the_environment_only_when_there_is_none(
    tmp_path: Path, sanic_test_mode: None
) -> None:
    env = {"STAFF_ADMIN_USER": "Boss", "STAFF_ADMIN_PASSWORD": ADMIN_PASSWORD}
    async for running in start_site(tmp_path, env):
        assert [(a.user_name, a.role) for a in running.store.list_accounts()] == [
            ("boss", "publisher")
        ]
        assert (await running.sign_in("boss", ADMIN_PASSWORD)).status == 303
    path = tmp_path / "var" / "staff.db"
    assert path.stat().st_mode & 0o777 == 0o600
    env = {"STAFF_ADMIN_USER": "second", "STAFF_ADMIN_PASSWORD": ADMIN_PASSWORD}
    async for running in start_site(tmp_path, env):
        assert [a.user_name for a in running.store.list_accounts()] == ["boss"]


async def test_no_first_account_from_a_short_password(
    tmp_path: Path, sanic_test_mode: None
) -> None:
    env = {"STAFF_ADMIN_USER": "boss", "STAFF_ADMIN_PASSWORD": "short"}
    async for running in start_site(tmp_path, env):
        assert running.store.list_accounts() == []
        assert (await running.request("GET", "/staff/login")).status == 200


# pure parts


@pytest.mark.parametrize(
    ("origin", "referer", "accepted"),
    [
        ("https://clinic.example", None, True),
        ("HTTPS://CLINIC.EXAMPLE", None, True),
        ("https://clinic.example:8443", None, False),
        ("http://clinic.example", None, False),
        ("null", "https://clinic.example/staff", False),  # an Origin wins over a Referer
        (None, "https://clinic.example/staff/login", True),
        (None, "https://clinic.example.evil.example/", False),
        (None, "", False),
        (None, None, False),
    ],
)
def test_which_origins_count_as_this_site(
    origin: str | None, referer: str | None, accepted: bool
) -> None:
    assert from_origin(origin, referer, "https://clinic.example") is accepted


def test_which_paths_are_the_studios() -> None:
    assert is_staff_path("/staff") and is_staff_path("/staff/login")
    assert not is_staff_path("/staffroom") and not is_staff_path("/")


async def test_the_site_starts_and_the_studio_says_so_when_its_database_is_down(
    tmp_path: Path, sanic_test_mode: None
) -> None:
    env = {"STAFF_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nothing?connect_timeout=2"}
    async for running in start_site(tmp_path, env):
        page = await running.request("GET", "/widget.js")  # the site itself answers
        assert page.status in (200, 503) and "studio" not in page.text
        cookie, field = await running.login_form()  # the form needs no database
        down = await running.request(
            "POST",
            "/staff/login",
            cookies={"staff_csrf": cookie},
            headers={"Origin": running.origin},
            data={"csrf": field, "user": "ana", "password": PASSWORD},
        )
        assert down.status == 503
        assert "cannot reach its database" in down.text
        assert "postgres" not in down.text
