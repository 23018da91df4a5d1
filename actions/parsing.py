"""Reading what visitors type into the booking form: pure helpers, no rasa_sdk import."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAX_FIELD_LENGTH = 200
_EMAIL_CANDIDATE = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+")
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[ '\-.]+[^\W\d_]+)*\.?$")
_NAME_PREFIX = re.compile(
    r"^(?:(?:actually|sorry|oh|ok|okay)[, ]+)*(?:my name is|my name's|name is|name's|i am|i'm|im|"
    r"it's|its|this is|call me)\s+",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank you",
        "yes",
        "no",
        "ok",
        "okay",
        "bye",
        "goodbye",
        "sure",
        "yeah",
        "nope",
        "stop",
        "cancel",
        "help",
        "why",
        "what",
        "sciatica",
    }
)
_ASAP = re.compile(r"\b(asap|as soon as possible|soonest|earliest|any ?time|whenever)\b", re.I)
_PARTS_OF_DAY = ("morning", "afternoon", "evening", "lunchtime")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Contact:
    """A validated way to reach the visitor: ``kind`` is "phone" (E.164) or "email"."""

    kind: str
    value: str


def clean_text(text: str | None, limit: int = MAX_FIELD_LENGTH) -> str:
    """Text without control characters, with white space folded, at most ``limit`` long."""
    if not text:
        return ""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return " ".join(kept.split())[:limit]


def parse_name(text: str | None) -> str | None:
    """A person's name from "Jane Doe" or "my name is Jane Doe"; None when it is not one."""
    name = _NAME_PREFIX.sub("", clean_text(text, 120)).strip(" .!,")
    if not 2 <= len(name) <= 100 or not _NAME_OK.match(name) or name.lower() in _NOT_NAMES:
        return None
    return " ".join(
        part[:1].upper() + part[1:] if part.islower() else part for part in name.split()
    )


def parse_email(text: str | None) -> str | None:
    """The first syntactically valid e-mail address in ``text`` (no network lookup)."""
    for candidate in _EMAIL_CANDIDATE.findall(clean_text(text)):
        try:
            result = validate_email(candidate.strip("."), check_deliverability=False)
        except EmailNotValidError:
            continue
        return str(result.normalized)
    return None


def parse_phone(text: str | None, region: str) -> str | None:
    """The first valid phone number in ``text`` as E.164, read with ``region`` as default."""
    cleaned = clean_text(text)
    for match in phonenumbers.PhoneNumberMatcher(cleaned, region or "US", leniency=1):
        if phonenumbers.is_valid_number(match.number):
            return str(
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            )
    return None


def parse_contact(text: str | None, region: str) -> Contact | None:
    """A phone number or an e-mail address, whichever the text holds (e-mail first)."""
    email = parse_email(text)
    if email:
        return Contact("email", email)
    phone = parse_phone(text, region)
    if phone:
        return Contact("phone", phone)
    return None


def format_contact(value: str) -> str:
    """A stored contact as a person reads it: phone numbers in international format."""
    if value.startswith("+"):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return value
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return value


def normalise_times(text: str | None, now: datetime) -> str | None:
    """A normalised reading of preferred days and times, or None when nothing is understood.

    "asap" -> "as soon as possible"; "tuesday afternoon" -> "Tuesday 2026-12-01, afternoon";
    "any weekday morning" -> "weekdays, morning". The visitor's words are always kept too.
    """
    cleaned = clean_text(text).lower()
    if not cleaned:
        return None
    if _ASAP.search(cleaned):
        return "as soon as possible"
    parts = [p for p in _PARTS_OF_DAY if p in cleaned]
    part = f", {' or '.join(parts)}" if parts else ""
    if re.search(r"\bweekdays?\b", cleaned):
        return f"weekdays{part}"
    if re.search(r"\bweekends?\b", cleaned):
        return f"weekend{part}"
    import dateparser
    from dateparser.search import search_dates

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    found = search_dates(cleaned, languages=["en"], settings=settings)
    dates = [d for _, d in found or [] if d.date() >= now.date()]
    if not dates:
        parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)
        dates = [parsed] if parsed and parsed.date() >= now.date() else []
    if dates:
        days = ", ".join(sorted({d.strftime("%A %Y-%m-%d") for d in dates}))
        return f"{days}{part}"
    days_named = [d.title() for d in _WEEKDAYS if d in cleaned]
    if days_named or parts:
        return ", ".join(days_named) + part if days_named else part.lstrip(", ")
    return None


def parse_patient_status(text: str | None) -> str | None:
    """ "new" or "returning" from the visitor's words, None when unclear."""
    cleaned = clean_text(text).lower()
    if re.search(
        r"\b(returning|been before|existing|came before|come before|again|back)\b", cleaned
    ):
        return "returning"
    if re.search(r"\b(new|first|never|not been|haven't been|havent been)\b", cleaned):
        return "new"
    return None
