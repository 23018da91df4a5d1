"""FAQ topics: keys, sources and button titles (content/topics.yml). Pure module."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from clinic_office import config


@dataclass(frozen=True)
class Topic:
    """One FAQ topic: ``source`` is seed (article), general, or clinic (settings)."""

    key: str
    title: str
    source: str
    # clinic topics: the settings the answer is made of, with the words naming each one
    facts: dict[str, str] = field(default_factory=dict)


def load_topics(path: Path | None = None) -> dict[str, Topic]:
    """All topics by key, from ``path`` or the configured ``content/topics.yml``."""
    return _load(path or config.current().topics_file)


@cache
def _load(path: Path) -> dict[str, Topic]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        key: Topic(
            key=key,
            title=str(value["title"]),
            source=str(value["source"]),
            facts={str(k): str(v) for k, v in (value.get("facts") or {}).items()},
        )
        for key, value in data.items()
    }
