"""App factory and blueprints of the demo website."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_office import config
from clinic_office.clinic_settings import SettingsStore
from clinic_office.config import Settings
from webapp.staff import StaffOptions, is_staff_path, open_studio, staff_pages
from webapp.studio_topics import open_topic_studio, topic_pages


@dataclass(frozen=True)
class WebSettings:
    """Where the page's parts come from, and where the widget talks to."""

    article: Path
    widget_js: Path
    clinic_settings: Path
    rasa_url: str = "http://localhost:5005"
    # where this process reaches the Rasa server's HTTP API (the studio's "try a question")
    rasa_api_url: str = "http://127.0.0.1:5005"
    # who may frame the site (CSP frame-ancestors): nobody unless a setting says so
    frame_ancestors: str = "'none'"
    # the staff studio (/staff); None: from this process's environment at start
    staff: StaffOptions | None = None

    @classmethod
    def from_config(
        cls,
        office: Settings,
        rasa_url: str = "http://localhost:5005",
        frame_ancestors: str = "'none'",
    ) -> WebSettings:
        """The site of the installation ``office`` describes (``clinic_office.config``)."""
        return cls(
            article=office.article_file,
            widget_js=office.widget_js,
            clinic_settings=office.clinic_settings_file,
            rasa_url=rasa_url,
            frame_ancestors=frame_ancestors,
            staff=StaffOptions.from_config(office),
        )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, for the CSP's connect-src."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def security_headers(settings: WebSettings) -> dict[str, str]:
    """Headers every response of the site carries: no inline script, no sniffing, no framing."""
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # the page's and the widget's own <style> elements; never inline script
            "style-src 'self' 'unsafe-inline'",
            f"connect-src 'self' {origin_of(settings.rasa_url)}".strip(),
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {settings.frame_ancestors}",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def staff_security_headers() -> dict[str, str]:
    """Headers of every /staff response: forms post to the site itself, no script, no cache."""
    policy = "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            # staff pages are never framed, whatever FRAME_ANCESTORS allows for the site
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        # not no-referrer: with it browsers send "Origin: null" on the studio's own form
        # posts, which the CSRF check then refuses; other sites still get no referrer
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def render_page(settings: WebSettings, clinic_name: str, privacy_url: str) -> str:
    """The demo page: the article as paragraphs and the widget embedded with one script tag."""
    lines = [line.strip() for line in settings.article.read_text(encoding="utf-8").splitlines()]
    title, *rest = [line for line in lines if line]
    body = "\n".join(
        f"<h2>{html.escape(line)}</h2>"
        if len(line) < 70 and not line.endswith(".")
        else f"<p>{html.escape(line)}</p>"
        for line in rest
    )
    name = html.escape(clinic_name or "Clinic")
    attrs = (
        f'data-server="{html.escape(settings.rasa_url)}" '
        f'data-title="{name}" '
        f'data-privacy-url="{html.escape(privacy_url)}"'
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}: sciatica and dry needling</title>
<style>
body{{font:18px/1.6 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem}}
body{{color:#1d2330}}
</style>
</head>
<body>
<header><h1>{name}</h1></header>
<main>
<p><strong>{html.escape(title)}</strong></p>
{body}
</main>
<script src="/widget.js" {attrs} defer></script>
</body>
</html>
"""


pages = Blueprint("pages")
widget_files = Blueprint("widget_files")


@pages.get("/")
async def index(request: Request) -> HTTPResponse:
    """The demo clinic page."""
    settings: WebSettings = request.app.ctx.settings
    clinic = request.app.ctx.clinic.get()
    page = render_page(settings, clinic.clinic_name, clinic.privacy_url)
    return response.html(page, headers={"Cache-Control": "no-cache"})


@widget_files.get("/widget.js")
async def widget_js(request: Request) -> HTTPResponse:
    """The widget script (built by `make widget`, read once at start-up)."""
    script: str | None = request.app.ctx.widget_js
    if script is None:
        return response.text("The widget is not built: run `make widget`.", status=503)
    return response.text(
        script,
        content_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def create_app(settings: WebSettings, name: str = "clinic_web") -> Sanic:
    """The demo website app."""
    app = Sanic(name)
    app.blueprint(pages)
    app.blueprint(widget_files)
    app.blueprint(staff_pages)
    app.blueprint(topic_pages)
    headers = security_headers(settings)
    staff_headers = staff_security_headers()

    @app.middleware("response")  # type: ignore[untyped-decorator, no-untyped-call]
    async def add_security_headers(request: Request, resp: HTTPResponse) -> None:
        chosen = staff_headers if is_staff_path(request.path) else headers
        for name, value in chosen.items():
            resp.headers[name] = value

    @app.before_server_start
    async def setup(app: Sanic, _loop: object) -> None:
        app.ctx.settings = settings
        app.ctx.clinic = SettingsStore(settings.clinic_settings)
        path = settings.widget_js
        app.ctx.widget_js = path.read_text(encoding="utf-8") if path.exists() else None
        staff = settings.staff or StaffOptions.from_config(config.current())
        app.ctx.staff = open_studio(staff)
        open_topic_studio(app, staff.database_url)

    @app.after_server_stop
    async def close(app: Sanic, _loop: object) -> None:
        app.ctx.staff.store.dispose()

    return app
