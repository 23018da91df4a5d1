"""The staff studio's web side under ``/staff``: sign-in, sign-out, the studio page, roles.

Accounts and sessions are ``clinic_office.staff_accounts``. The browser holds the
``staff_session`` cookie (a random token; HttpOnly, SameSite=Strict, Path=/staff, Secure
unless ``STAFF_COOKIE_SECURE=0``). Every state-changing request needs the session's CSRF
token (form field ``csrf`` or header ``X-CSRF-Token``) and an ``Origin`` (without one, a
``Referer``) of this site; the sign-in form has a pre-session CSRF cookie (double submit) and
the same Origin check. Other studio routes use ``require_staff`` (or the ``staff_only``
decorator) and render ``csrf_field`` in their forms. The store is ``app.ctx.staff``, made by
``open_studio`` when the server starts.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_office.config import Settings
from clinic_office.staff_accounts import (
    EDITOR,
    PUBLISHER,
    REFUSED,
    SESSION_LIFETIME,
    THROTTLED,
    AccountError,
    StaffSession,
    StaffStore,
    StaffStoreUnavailable,
    check_role,
    new_token,
    same_token,
)

log = logging.getLogger(__name__)

STAFF_PATH = "/staff"
LOGIN_PATH = "/staff/login"
LOGOUT_PATH = "/staff/logout"
STYLESHEET_PATH = "/staff/studio.css"
SESSION_COOKIE = "staff_session"
LOGIN_CSRF_COOKIE = "staff_csrf"
LOGIN_CSRF_SECONDS = 2 * 60 * 60
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_LOGIN_BYTES = 16 * 1024
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")

REFUSED_MESSAGE = (
    "That user name and password did not match an account that can sign in. "
    "Please check them and try again."
)
THROTTLED_MESSAGE = (
    "There have been too many sign-in attempts, so signing in is paused for 15 minutes "
    "to keep the account safe. Please try again later, or ask the person who manages "
    "the studio's accounts for help."
)
FORBIDDEN_MESSAGE = (
    "Sorry, this request could not be accepted: the page may have expired, or the request "
    "did not come from this site. Please go back, reload the page and try again."
)
ROLE_MESSAGE = (
    "Sorry, your account cannot do this: it needs the {role} role. "
    "Please ask a publisher to do it, or to change your role."
)
UNAVAILABLE_MESSAGE = (
    "Sorry, the staff studio cannot reach its database just now. Please try again in a minute."
)

STYLESHEET = """\
*,*::before,*::after{box-sizing:border-box}
body{font:18px/1.5 system-ui,sans-serif;color:#1d2330;background:#fff;margin:0}
header,main{max-width:40rem;margin:0 auto;padding:1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;
justify-content:space-between;border-bottom:1px solid #c8ccd4}
header p,header form{margin:0}
h1{font-size:1.6rem;line-height:1.25}
h2{font-size:1.25rem}
label{display:block;margin-top:1rem;font-weight:600}
input{display:block;width:100%;max-width:24rem;font:inherit;padding:.5rem;
border:2px solid #5b6270;border-radius:4px;background:#fff;color:inherit}
button{font:inherit;min-height:44px;margin-top:1rem;padding:.5rem 1.25rem;cursor:pointer;
border:2px solid #1d4ed8;border-radius:4px;background:#1d4ed8;color:#fff}
header button{margin-top:0;background:#fff;color:#1d4ed8}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
[role=alert]{border-left:4px solid #b91c1c;background:#fef2f2;color:#7f1d1d;padding:.5rem 1rem}
textarea{display:block;width:100%;font:inherit;padding:.5rem;border:2px solid #5b6270;
border-radius:4px;color:inherit}
table{border-collapse:collapse;width:100%;margin:1rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem;border-bottom:1px solid #c8ccd4}
a{color:#1d4ed8}
.help{color:#3d4451;font-size:.95rem;margin:.25rem 0}
.warning{border-left:4px solid #b45309;background:#fffbeb;padding:.5rem 1rem}
.bubble{background:#eef1f6;border-radius:12px;padding:.25rem 1rem;max-width:28rem}
fieldset{margin-top:1rem;border:1px solid #c8ccd4}
label.choice{font-weight:400;display:flex;gap:.5rem;align-items:center;margin-top:.5rem}
label.choice input{width:auto;display:inline}
pre{white-space:pre-wrap;background:#f6f7f9;padding:.5rem;max-height:20rem;overflow:auto}
select{font:inherit;padding:.4rem;border:2px solid #5b6270;border-radius:4px;max-width:100%}
ol.inbox{padding-left:1.25rem}
ol.inbox article{border-bottom:1px solid #c8ccd4;padding-bottom:.5rem}
h3{font-size:1.05rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media (max-width:40rem){th,td{display:block;border:0}
tr{display:block;border-bottom:1px solid #c8ccd4}}
"""

P = ParamSpec("P")
T = TypeVar("T")
StaffHandler = Callable[Concatenate[Request, StaffSession, P], Awaitable[HTTPResponse]]
RouteHandler = Callable[Concatenate[Request, P], Coroutine[Any, Any, HTTPResponse]]


@dataclass(frozen=True)
class StaffOptions:
    """Where staff accounts are stored and how the studio's cookies and checks behave."""

    database_url: str
    cookie_secure: bool = True
    # the site's public origin (``https://clinic.example``); "" means the request's own
    origin: str = ""
    # the first account, made at start only when there is none (both must be set)
    admin_user: str = ""
    admin_password: str = field(default="", repr=False)

    @classmethod
    def from_config(cls, office: Settings) -> StaffOptions:
        """The studio options of the installation ``office`` describes."""
        return cls(
            database_url=office.staff_database_url,
            cookie_secure=office.staff_cookie_secure,
            origin=office.staff_origin,
            admin_user=office.staff_admin_user,
            admin_password=office.staff_admin_password,
        )


class StaffStudio:
    """What the studio's routes share (``app.ctx.staff``): the store and the options."""

    def __init__(self, store: StaffStore, options: StaffOptions) -> None:
        """Hold ``store`` (tables not made yet: see ``prepare``) and ``options``."""
        self.store = store
        self.options = options
        self.ready = False

    def prepare(self) -> None:
        """Make the tables, and the first account from ``STAFF_ADMIN_*`` when there is none."""
        self.store.create_schema()
        self.ready = True
        user, password = self.options.admin_user, self.options.admin_password
        if bool(user) != bool(password):
            log.warning("staff studio: set both STAFF_ADMIN_USER and STAFF_ADMIN_PASSWORD")
            return
        try:
            if user and self.store.bootstrap(user, password):
                log.info("staff studio: the first account was made from STAFF_ADMIN_USER")
        except AccountError as error:
            log.error("staff studio: STAFF_ADMIN_USER was not made: %s", error)

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store call in a thread (password checks take a while); tables made first."""
        if not self.ready:
            await asyncio.to_thread(self.prepare)
        return await asyncio.to_thread(function, *args, **kwargs)


def open_studio(options: StaffOptions) -> StaffStudio:
    """The studio for ``options``: its tables made now when the database answers."""
    studio = StaffStudio(StaffStore(options.database_url), options)
    try:
        studio.prepare()
    except StaffStoreUnavailable as error:
        log.error("staff studio: %s; trying again at the first request", error)
    return studio


def is_staff_path(path: str) -> bool:
    """Whether ``path`` is the studio's (``/staff`` or under it)."""
    return path == STAFF_PATH or path.startswith(STAFF_PATH + "/")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` in lower case, or "" when it has none."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def from_origin(origin: str | None, referer: str | None, expected: str) -> bool:
    """Whether a request's ``Origin`` (without one, its ``Referer``) is ``expected``.

    ``Origin: null`` and a request with neither header are refused.
    """
    if not expected:
        return False
    if origin is not None:
        return origin.strip().lower() == expected.lower()
    return bool(referer) and origin_of(referer or "") == expected.lower()


def site_origin(request: Request, options: StaffOptions) -> str:
    """This site's origin: ``STAFF_ORIGIN`` when set, else the request's scheme and host."""
    if options.origin:
        return options.origin
    host = request.host
    return f"{request.scheme}://{host}".lower() if host else ""


def client_address(request: Request) -> str:
    """The client's address: Sanic's proxied address only if configured, else the socket's."""
    return str(request.remote_addr or request.ip or "unknown")


def csrf_field(session: StaffSession) -> str:
    """The hidden input that carries ``session``'s CSRF token in a studio form."""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(session.csrf)}">'


def _studio(request: Request) -> StaffStudio:
    studio: StaffStudio = request.app.ctx.staff
    return studio


def _form_value(request: Request, name: str) -> str:
    value = request.form.get(name) if request.form else None
    return value if isinstance(value, str) else ""


def _sent_csrf(request: Request) -> str:
    return str(request.headers.get(CSRF_HEADER, "")) or _form_value(request, CSRF_FIELD)


def _this_site(request: Request, options: StaffOptions) -> bool:
    return from_origin(
        request.headers.get("origin"),
        request.headers.get("referer"),
        site_origin(request, options),
    )


def _set_cookie(resp: HTTPResponse, name: str, value: str, secure: bool, max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = STAFF_PATH
    cookie["max-age"] = max_age
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["secure"] = secure


def _redirect(to: str) -> HTTPResponse:
    return response.redirect(to, status=303)


def forbidden(message: str = FORBIDDEN_MESSAGE) -> HTTPResponse:
    """A 403 with a kind plain message."""
    return response.text(message, status=403)


async def require_staff(request: Request, role: str = EDITOR) -> StaffSession | HTTPResponse:
    """The signed-in session when it may act as ``role``; otherwise the response to send.

    Without a live session: 303 to the sign-in page. A POST, PUT, PATCH or DELETE also needs
    an Origin of this site and the session's CSRF token, else 403; a role too low is 403.
    """
    check_role(role)
    studio = _studio(request)
    unsafe = request.method.upper() in UNSAFE_METHODS
    if unsafe and not _this_site(request, studio.options):
        return forbidden()
    token = str(request.cookies.get(SESSION_COOKIE, ""))
    session = await studio.call(studio.store.session, token) if token else None
    if session is None:
        resp = _redirect(LOGIN_PATH)
        if token:
            _set_cookie(resp, SESSION_COOKIE, "", studio.options.cookie_secure, 0)
        return resp
    if unsafe and not same_token(_sent_csrf(request), session.csrf):
        return forbidden()
    if not session.account.can(role):
        return forbidden(ROLE_MESSAGE.format(role=role))
    return session


def staff_only(role: str = EDITOR) -> Callable[[StaffHandler[P]], RouteHandler[P]]:
    """Decorate a studio route: it runs with the session as its second argument, or the
    sign-in redirect or the 403 of ``require_staff`` is sent instead."""
    check_role(role)

    def decorate(handler: StaffHandler[P]) -> RouteHandler[P]:
        async def route(request: Request, /, *args: P.args, **kwargs: P.kwargs) -> HTTPResponse:
            who = await require_staff(request, role)
            if isinstance(who, HTTPResponse):
                return who
            return await handler(request, who, *args, **kwargs)

        functools.update_wrapper(route, handler)
        return route

    return decorate


# pages


def render_page(title: str, body: str, header: str = "") -> str:
    """A studio page: one ``<h1>`` (in ``body``), ``<main>``, the studio's stylesheet."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{html.escape(title)} - staff studio</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
{header}
<main>
{body}
</main>
</body>
</html>
"""


def render_login(csrf: str, user_name: str = "", error: str = "") -> str:
    """The sign-in page, with ``error`` (if any) announced to screen readers."""
    invalid = ' aria-invalid="true" aria-describedby="sign-in-error"' if error else ""
    alert = f'<p id="sign-in-error" role="alert">{html.escape(error)}</p>\n' if error else ""
    body = f"""<h1>Staff sign-in</h1>
{alert}<form method="post" action="{LOGIN_PATH}">
<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(csrf)}">
<label for="user">User name</label>
<input id="user" name="user" type="text" autocomplete="username" autocapitalize="none"
 spellcheck="false" maxlength="64" required value="{html.escape(user_name)}"{invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required{invalid}>
<button type="submit">Sign in</button>
</form>"""
    return render_page("Sign in", body)


def render_header(session: StaffSession) -> str:
    """Every studio page's header: who is signed in, and sign-out."""
    account = session.account
    return f"""<header>
<p>Signed in as <strong>{html.escape(account.user_name)}</strong> ({html.escape(account.role)})</p>
<form method="post" action="{LOGOUT_PATH}">
{csrf_field(session)}
<button type="submit">Sign out</button>
</form>
</header>"""


# routes

staff_pages = Blueprint("staff")


@staff_pages.exception(StaffStoreUnavailable)  # type: ignore[untyped-decorator]
async def store_unavailable(_request: Request, error: Exception) -> HTTPResponse:
    """503 with a kind message when the staff database does not answer."""
    log.error("staff studio: %s", error)
    return response.text(UNAVAILABLE_MESSAGE, status=503)


@staff_pages.get(STYLESHEET_PATH)
async def stylesheet(_request: Request) -> HTTPResponse:
    """The studio's stylesheet (no inline style or script anywhere in the studio)."""
    return response.text(STYLESHEET, content_type="text/css; charset=utf-8")


def _login_response(
    request: Request, status: int = 200, user_name: str = "", error: str = ""
) -> HTTPResponse:
    sent = str(request.cookies.get(LOGIN_CSRF_COOKIE, ""))
    csrf = sent if _TOKEN.fullmatch(sent) else new_token()
    resp = response.html(render_login(csrf, user_name, error), status=status)
    secure = _studio(request).options.cookie_secure
    _set_cookie(resp, LOGIN_CSRF_COOKIE, csrf, secure, LOGIN_CSRF_SECONDS)
    return resp


@staff_pages.get(LOGIN_PATH)
async def login_form(request: Request) -> HTTPResponse:
    """The sign-in form (straight to the studio when already signed in)."""
    studio = _studio(request)
    token = str(request.cookies.get(SESSION_COOKIE, ""))
    if token and await studio.call(studio.store.session, token) is not None:
        return _redirect(STAFF_PATH)
    return _login_response(request)


@staff_pages.post(LOGIN_PATH)
async def login(request: Request) -> HTTPResponse:
    """Check the name and password: 303 to the studio with a new session, or the form again."""
    studio = _studio(request)
    if len(request.body or b"") > MAX_LOGIN_BYTES:
        return response.text("That request is too large.", status=413)
    sent = _form_value(request, CSRF_FIELD)
    expected = str(request.cookies.get(LOGIN_CSRF_COOKIE, ""))
    if not _this_site(request, studio.options) or not same_token(sent, expected):
        return forbidden()
    user_name = _form_value(request, "user")[:64]
    password = _form_value(request, "password")
    outcome = await studio.call(studio.store.sign_in, user_name, password, client_address(request))
    if outcome.status == THROTTLED:
        return _login_response(request, 429, user_name, THROTTLED_MESSAGE)
    if outcome.status == REFUSED or not outcome.token:
        return _login_response(request, 401, user_name, REFUSED_MESSAGE)
    previous = str(request.cookies.get(SESSION_COOKIE, ""))
    if previous:
        await studio.call(studio.store.sign_out, previous)
    resp = _redirect(STAFF_PATH)
    secure = studio.options.cookie_secure
    _set_cookie(resp, SESSION_COOKIE, outcome.token, secure, int(SESSION_LIFETIME.total_seconds()))
    _set_cookie(resp, LOGIN_CSRF_COOKIE, "", secure, 0)
    return resp


@staff_pages.post(LOGOUT_PATH)
@staff_only(EDITOR)
async def logout(request: Request, _session: StaffSession) -> HTTPResponse:
    """End the session: 303 to the sign-in page."""
    studio = _studio(request)
    await studio.call(studio.store.sign_out, str(request.cookies.get(SESSION_COOKIE, "")))
    resp = _redirect(LOGIN_PATH)
    _set_cookie(resp, SESSION_COOKIE, "", studio.options.cookie_secure, 0)
    return resp


__all__ = [
    "EDITOR",
    "PUBLISHER",
    "StaffOptions",
    "StaffStudio",
    "csrf_field",
    "is_staff_path",
    "open_studio",
    "render_header",
    "render_page",
    "require_staff",
    "staff_only",
    "staff_pages",
]
