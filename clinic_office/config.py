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
- the staff notification settings, ``NOTIFY_*`` and ``SMTP_*`` (see ``clinic_office.notify``).

Nothing is created or read at import. ``current()`` reads the process environment the first
time it is called; ``Settings.from_env`` reads any mapping (tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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
    retention_days: int
    # None when the notification settings are wrong: ``notify_problem`` says why
    notify: NotifyConfig | None
    notify_problem: str = ""

    @property
    def topics_file(self) -> Path:
        """The FAQ topics: keys, sources and button titles."""
        return self.home / "content" / "topics.yml"

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
            retention_days=_days(get("RETENTION_DAYS")),
            notify=notify,
            notify_problem=problem,
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


@cache
def current() -> Settings:
    """This process's settings, read from the environment on first use."""
    return Settings.from_env()
