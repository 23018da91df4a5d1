"""Booking-form parsing helpers: valid, invalid and edge cases."""

from __future__ import annotations

from datetime import datetime

import pytest

from actions.parsing import (
    Contact,
    clean_text,
    format_contact,
    normalise_times,
    parse_contact,
    parse_name,
    parse_patient_status,
)

NOW = datetime(2026, 11, 27, 10, 0)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        ("my name is jane doe", "Jane Doe"),
        ("actually my name is Ann Lee", "Ann Lee"),
        ("Dr. Mary-Jane O'Neil", "Dr. Mary-Jane O'Neil"),
        ("José Álvarez", "José Álvarez"),
        ("  Bo  ", "Bo"),
        ("a", None),
        ("1234", None),
        ("<b>Jane</b>", None),
        ("", None),
        (None, None),
        ("x" * 150, None),
    ],
)
def test_parse_name(text: str | None, expected: str | None) -> None:
    assert parse_name(text) == expected


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("(415) 555-2671", "US", Contact("phone", "+14155552671")),
        ("call me on 415.555.2671 please", "US", Contact("phone", "+14155552671")),
        ("+44 20 7946 0958", "US", Contact("phone", "+442079460958")),
        ("020 7946 0958", "GB", Contact("phone", "+442079460958")),
        ("jane+clinic@example.com", "US", Contact("email", "jane+clinic@example.com")),
        ("my email is Jane.Doe@Example.org.", "US", Contact("email", "Jane.Doe@example.org")),
        ("12345", "US", None),
        ("555-0000", "US", None),
        ("jane@", "US", None),
        ("not telling", "US", None),
        ("", "US", None),
    ],
)
def test_parse_contact(text: str, region: str, expected: Contact | None) -> None:
    assert parse_contact(text, region) == expected


def test_format_contact() -> None:
    assert format_contact("+14155552671") == "+1 415-555-2671"
    assert format_contact("a@b.example") == "a@b.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("asap", "as soon as possible"),
        ("ASAP please", "as soon as possible"),
        ("whenever suits", "as soon as possible"),
        ("tuesday afternoon", "Tuesday 2026-12-01, afternoon"),
        ("any weekday morning next week", "weekdays, morning"),
        ("weekends", "weekend"),
        ("dec 3", "Thursday 2026-12-03"),
        ("mornings", "morning"),
        ("blah", None),
        ("", None),
    ],
)
def test_normalise_times(text: str, expected: str | None) -> None:
    assert normalise_times(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new", "new"),
        ("first time", "new"),
        ("I've never been", "new"),
        ("returning", "returning"),
        ("I've been before", "returning"),
        ("existing patient", "returning"),
        ("maybe", None),
    ],
)
def test_parse_patient_status(text: str, expected: str | None) -> None:
    assert parse_patient_status(text) == expected


def test_clean_text_drops_control_characters_and_limits_length() -> None:
    assert clean_text("a\u0000b\u202e c   d") == "ab c d"
    assert len(clean_text("x" * 10_000)) == 200
