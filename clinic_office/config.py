"""The back office's configuration, read once from the environment into one typed object.

Every path comes from here, not from where the source lies, so the code runs from any
directory or install:

- ``CLINIC_HOME``: the project folder holding ``clinic/settings.yml``, ``content/`` and
  ``widget/dist/`` (default: the current directory, as for Rasa itself);
- ``CLINIC_DATA_DIR``: where the embedded SQLite databases live (default ``$CLINIC_HOME/var``);
- ``CLINIC_SETTINGS``: the clinic's settings file (default ``$CLINIC_HOME/clinic/settings.yml``);
- ``BOOKING_DATABASE_URL`` and ``CONVERSATIONS_DATABASE_URL``: SQLAlchemy URLs (default: SQLite
  files in the data folder);
- ``RETENTION_DAYS``: how long idle conversations and finished booking requests are kept (30);
- the staff studio's settings: ``STAFF_DATABASE_URL`` (default: ``staff.db`` in the data
  folder), ``STAFF_COOKIE_SECURE`` (default on), ``STAFF_ORIGIN`` (the site's public origin,
  default: the request's own), ``STAFF_ADMIN_USER`` and ``STAFF_ADMIN_PASSWORD`` (the first
  account, made at the web app's first start when there is none; see
  ``clinic_office.staff_accounts``);
- the staff notification settings, ``NOTIFY_*`` and ``SMTP_*`` (see ``clinic_office.notify``).

Nothing is created or read at import. ``current()`` reads the process environment the first
time it is called; ``Settings.from_env`` reads any mapping (tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from clinic_office.notify import NotifyConfig, NotifyConfigError

DEFAULT_RETENTION_DAYS = 30


class ConfigError(ValueError):
    """A setting in the environment is wrong; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Paths, databases, retention and notifications of one installation."""

    home: Path
    data_dir: Path
    clinic_settings_file: Path
    booking_database_url: str
    conversations_database_url: str
    staff_database_url: str
    retention_days: int
    # None when the notification settings are wrong: ``notify_problem`` says why
    notify: NotifyConfig | None
    notify_problem: str = ""
    # the staff studio's cookies carry Secure unless STAFF_COOKIE_SECURE=0 (plain-HTTP test hosts)
    staff_cookie_secure: bool = True
    # the site's public origin (``https://clinic.example``); "" means the request's own
    staff_origin: str = ""
    # the first staff account, made at the web app's start only when there is no account yet
    staff_admin_user: str = ""
    staff_admin_password: str = field(default="", repr=False)

    # CLINIC_TOPICS_DIR: the published FAQ topic files; None = $CLINIC_HOME/data/topics
    topics_folder: Path | None = None

    @property
    def topics_dir(self) -> Path:
        """The FAQ topic files (data/topics/<key>.yml): answers, examples, titles."""
        return self.topics_folder or self.home / "data" / "topics"

    @property
    def article_file(self) -> Path:
        """The clinic's article, which FAQ answers come from."""
        return self.home / "content" / "clinic-article.txt"

    @property
    def widget_js(self) -> Path:
        """The built chat widget."""
        return self.home / "widget" / "dist" / "widget.js"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``env`` (default: the process environment). Raises ``ConfigError``.

        Wrong notification settings are not raised here: they are kept in ``notify_problem``
        so that answering questions goes on while booking reports the problem.
        """
        source = os.environ if env is None else env

        def get(name: str) -> str:
            return source.get(name, "").strip()

        home = Path(get("CLINIC_HOME") or os.getcwd()).absolute()
        data_dir = Path(get("CLINIC_DATA_DIR") or home / "var").absolute()
        try:
            notify: NotifyConfig | None = NotifyConfig.from_env(source)
            problem = ""
        except NotifyConfigError as error:
            notify, problem = None, str(error)
        return cls(
            home=home,
            data_dir=data_dir,
            clinic_settings_file=Path(
                get("CLINIC_SETTINGS") or home / "clinic" / "settings.yml"
            ).absolute(),
            booking_database_url=get("BOOKING_DATABASE_URL")
            or f"sqlite:///{data_dir / 'bookings.db'}",
            conversations_database_url=get("CONVERSATIONS_DATABASE_URL")
            or f"sqlite:///{data_dir / 'conversations.db'}",
            staff_database_url=get("STAFF_DATABASE_URL") or f"sqlite:///{data_dir / 'staff.db'}",
            retention_days=_days(get("RETENTION_DAYS")),
            topics_folder=Path(get("CLINIC_TOPICS_DIR")).absolute()
            if get("CLINIC_TOPICS_DIR")
            else None,
            notify=notify,
            notify_problem=problem,
            staff_cookie_secure=_flag("STAFF_COOKIE_SECURE", get("STAFF_COOKIE_SECURE"), True),
            staff_origin=_origin("STAFF_ORIGIN", get("STAFF_ORIGIN")),
            staff_admin_user=get("STAFF_ADMIN_USER"),
            # a password keeps any spaces it has: not stripped
            staff_admin_password=source.get("STAFF_ADMIN_PASSWORD", ""),
        )


def _days(raw: str) -> int:
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ConfigError(f"RETENTION_DAYS must be a whole number of days, not {raw!r}") from None
    if days < 1:
        raise ConfigError("RETENTION_DAYS must be at least 1")
    return days


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(name: str, raw: str, default: bool) -> bool:
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true or false), not {raw!r}")


def _origin(name: str, raw: str) -> str:
    if not raw:
        return ""
    parts = urlsplit(raw.rstrip("/"))
    extra = parts.path or parts.query or parts.fragment or parts.username
    if parts.scheme not in ("http", "https") or not parts.hostname or extra:
        raise ConfigError(f"{name} must be an origin such as https://clinic.example, not {raw!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


@cache
def current() -> Settings:
    """This process's settings, read from the environment on first use."""
    return Settings.from_env()
