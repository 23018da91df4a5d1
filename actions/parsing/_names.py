"""A person's name: "Jane Doe", "my name is jane doe"; never a sentence or ordinary words."""

from __future__ import annotations

import re

from actions.parsing._text import _CLINIC_WORDS, _words, clean_text

_SENTENCE_WORDS = _words(
    """
    i me my mine myself you your yours he him his she her hers we us our they them their it its
    this that these those the is are was were be been being am have has had does did would
    could should shall must want wants wanted need needs like get got what when where why how
    which who whom whose not no never to for with about from into at of if because and or but
    please thanks thank hi hello hey hiya yes yeah yep yup ok okay sure nope nah bye goodbye
    there here some any just very really much new before first time again today tomorrow
    """
)
# Ordinary words that can be part of a name ("Will Smith") but are not a name on their own.
_COMMON_WORDS = _words(
    """
    a in on so can will may up down out off over little bit lot idk dunno na none nothing
    something anything test testing unknown anonymous skip later whatever asap soon same
    """
)
_CONTRACTION = re.compile(r"\w'(?:m|s|ve|re|ll|d)$|n'?t$")

_NAME_OK = re.compile(r"^[^\W\d_]+(?:[ '\-.]+[^\W\d_]+)*\.?$")
_NAME_PREFIX = re.compile(
    r"^(?:(?:actually|sorry|oh|ok|okay)[, ]+)*(?:my name is|my name's|name is|name's|i am|i'm|im|"
    r"it's|its|this is|call me)\s+",
    re.IGNORECASE,
)
_NAME_SUFFIX = re.compile(r"\s+here$", re.IGNORECASE)
_NAME_PARTICLES = _words("de del della der di da du la le van von bin ibn al el ter ten")


def _is_sentence(name: str) -> bool:
    """Whether a would-be name is made of ordinary English or clinic words ("my back hurts")."""
    words = [w.strip(".").replace("’", "'") for w in name.lower().split()]
    if any(w in _SENTENCE_WORDS or _CONTRACTION.search(w) for w in words):
        return True
    pieces = [p for w in words for p in w.split("-") if p]
    ordinary = _CLINIC_WORDS | _SENTENCE_WORDS | _COMMON_WORDS
    return all(piece in ordinary for piece in pieces)


def _capitalise_piece(piece: str) -> str:
    """One lower-case name piece capitalised: "neil" -> "Neil", "o'neil" -> "O'Neil"."""
    head, apostrophe, tail = piece.partition("'")
    if apostrophe and len(head) == 1 and tail:
        return f"{head.upper()}'{tail[:1].upper()}{tail[1:]}"
    if piece.startswith("mc") and len(piece) > 2:
        return f"Mc{piece[2].upper()}{piece[3:]}"
    return piece[:1].upper() + piece[1:]


def _capitalise(word: str, first: bool) -> str:
    """A name word as written if it has capitals, else capitalised ("mary-jane" -> "Mary-Jane")."""
    if not word.islower() or (not first and word in _NAME_PARTICLES):
        return word
    return "-".join(_capitalise_piece(piece) for piece in word.split("-"))


def parse_name(text: str | None) -> str | None:
    """A person's name from "Jane Doe" or "my name is Jane Doe"; None for sentences and words."""
    name = _NAME_PREFIX.sub("", clean_text(text, 120)).strip(" .!,")
    name = _NAME_SUFFIX.sub("", name)
    if not 2 <= len(name) <= 100 or not _NAME_OK.match(name) or _is_sentence(name):
        return None
    return " ".join(_capitalise(word, i == 0) for i, word in enumerate(name.split()))
