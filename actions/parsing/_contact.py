"""Contact details: e-mail addresses (also written in words) and phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from actions.parsing._text import clean_text


@dataclass(frozen=True)
class Contact:
    """A validated way to reach the visitor: ``kind`` is "phone" (E.164) or "email"."""

    kind: str
    value: str


_EMAIL_CANDIDATE = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+")
_AT = r"(?:\s*[\(\[\{<]\s*(?:at|@)\s*[\)\]\}>]\s*|\s+at\s+|\s*@\s*)"
_DOT = r"(?:\s*[\(\[\{<]\s*(?:dot|\.)\s*[\)\]\}>]\s*|\s+dot\s+|\.)"
_AT_RE = re.compile(_AT, re.IGNORECASE)
_DOT_RE = re.compile(_DOT, re.IGNORECASE)
_SPELLED_EMAIL = re.compile(
    rf"[\w+%-]+(?:{_DOT}[\w+%-]+)*{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.IGNORECASE
)


def _compact_email(match: re.Match[str]) -> str:
    """An address written in words ("sam at gmail dot com") as one, lower-cased address."""
    written = match.group()
    compact = _DOT_RE.sub(".", _AT_RE.sub("@", written))
    return written if compact == written else compact.lower()


def _unspell_emails(text: str) -> str:
    """``text`` with addresses written in words turned into ordinary addresses."""
    return _SPELLED_EMAIL.sub(_compact_email, text)


def parse_email(text: str | None) -> str | None:
    """The first valid e-mail address in ``text``, also written as "sam at gmail dot com"."""
    for candidate in _EMAIL_CANDIDATE.findall(_unspell_emails(clean_text(text))):
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
