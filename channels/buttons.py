"""A typed button title counts as pressing the button. Pure functions, no Rasa import.

Visitors often type what a button says ("I've been before", "No", "Yes, send it") instead of
clicking it. The channel looks at the buttons of the assistant's last message and, when the
text is one of their titles, sends the button's payload instead, exactly as a click would.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

_NOT_WORD = re.compile(r"[^\w]+")


def normalise_title(text: str) -> str:
    """Lower case, typographic apostrophes folded, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("'", "")
    return " ".join(_NOT_WORD.sub(" ", folded.lower()).split())


def last_buttons(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The buttons of the assistant's messages since the visitor last wrote."""
    buttons: list[Mapping[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            buttons = []
        elif kind == "bot":
            data = event.get("data") or {}
            buttons.extend(b for b in data.get("buttons") or [] if isinstance(b, Mapping))
    return buttons


def payload_for(text: str, buttons: Iterable[Mapping[str, Any]]) -> str | None:
    """The payload of the button whose title the visitor typed, or None."""
    typed = normalise_title(text)
    if not typed:
        return None
    for button in buttons:
        title, payload = button.get("title"), button.get("payload")
        if (
            isinstance(title, str)
            and isinstance(payload, str)
            and payload.startswith("/")
            and normalise_title(title) == typed
        ):
            return payload
    return None


def title_for(payload: str, buttons: Iterable[Mapping[str, Any]]) -> str | None:
    """The title of the button that sends ``payload`` (what the widget showed when clicked)."""
    for button in buttons:
        if button.get("payload") == payload and isinstance(button.get("title"), str):
            return str(button["title"])
    return None
