"""The one thing SQLite needs before it can create a database file: its folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url


def make_folder(url: str) -> str:
    """Create the folder of a SQLite file URL (other URLs untouched); the URL.

    Raises ``OSError`` when the folder cannot be made.
    """
    parts = make_url(url)
    if parts.get_backend_name() == "sqlite" and parts.database not in (None, "", ":memory:"):
        Path(str(parts.database)).parent.mkdir(parents=True, exist_ok=True)
    return url
