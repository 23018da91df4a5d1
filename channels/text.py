"""What the channels accept as message text (pure, no Rasa import)."""

from __future__ import annotations


def utf8_text(value: object) -> bool:
    """Whether ``value`` is text that UTF-8 can encode: JSON may carry a lone surrogate such
    as "\\ud800", which the NLU pipeline cannot read."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
