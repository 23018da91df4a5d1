"""Booking-form parsing helpers: valid, invalid and edge cases."""

from __future__ import annotations

from datetime import datetime

import pytest

from actions.parsing import (
    Contact,
    clean_text,
    format_contact,
    looks_like_reason,
    normalise_times,
    parse_contact,
    parse_email,
    parse_name,
    parse_patient_status,
    parse_yes_no,
)

WEDNESDAY = datetime(2026, 12, 2, 10, 0)
MONDAY = datetime(2026, 11, 30, 9, 0)
SUNDAY = datetime(2026, 12, 6, 18, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        ("my name is jane doe", "Jane Doe"),
        ("actually my name is Ann Lee", "Ann Lee"),
        ("Dr. Mary-Jane O'Neil", "Dr. Mary-Jane O'Neil"),
        ("mary-jane o'neil", "Mary-Jane O'Neil"),
        ("José Álvarez", "José Álvarez"),
        ("José García", "José García"),
        ("Li Na", "Li Na"),
        ("Will Smith", "Will Smith"),
        ("Grace Hope", "Grace Hope"),
        ("my name is Tom Baker", "Tom Baker"),
        ("it's Priya", "Priya"),
        ("Priya here", "Priya"),
        ("maria de la cruz", "Maria de la Cruz"),
        ("john mcdonald", "John McDonald"),
        ("Michael Foot", "Michael Foot"),
        ("  Bo  ", "Bo"),
        ("I've been before", None),
        ("what is dry needling", None),
        ("I want to book", None),
        ("my back hurts", None),
        ("I'm new", None),
        ("I'm in pain", None),
        ("back pain", None),
        ("sciatica", None),
        ("Can you help", None),
        ("hello", None),
        ("yes", None),
        ("not sure", None),
        ("idk", None),
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
        ("sam at gmail dot com", "GB", Contact("email", "sam@gmail.com")),
        ("sam (at) gmail (dot) com", "GB", Contact("email", "sam@gmail.com")),
        ("sam[at]gmail[.]com", "GB", Contact("email", "sam@gmail.com")),
        ("Sam AT Gmail DOT com", "GB", Contact("email", "sam@gmail.com")),
        ("i'm at home at the moment", "GB", None),
        ("12345", "US", None),
        ("555-0000", "US", None),
        ("jane@", "US", None),
        ("not telling", "US", None),
        ("", "US", None),
    ],
)
def test_parse_contact(text: str, region: str, expected: Contact | None) -> None:
    assert parse_contact(text, region) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam at gmail dot com", "sam@gmail.com"),
        ("sam (at) gmail (dot) com", "sam@gmail.com"),
        ("sam[at]gmail[.]com", "sam@gmail.com"),
        ("Sam AT Gmail DOT com", "sam@gmail.com"),
        ("sam {at} gmail {dot} com", "sam@gmail.com"),
        ("sam dot smith at gmail dot co dot uk", "sam.smith@gmail.co.uk"),
        ("my email is sam at gmail.com thanks", "sam@gmail.com"),
        ("sam@gmail dot com", "sam@gmail.com"),
        ("sam @ gmail.com", "sam@gmail.com"),
        ("Jane.Doe@Example.org", "Jane.Doe@example.org"),
        ("i'm at home at the moment", None),
        ("I'll be at work. Call me after", None),
        ("at the clinic at 5.30", None),
        ("sam at gmail", None),
        ("dot com", None),
        (None, None),
    ],
)
def test_parse_email(text: str | None, expected: str | None) -> None:
    assert parse_email(text) == expected


def test_format_contact() -> None:
    assert format_contact("+14155552671") == "+1 415-555-2671"
    assert format_contact("a@b.example") == "a@b.example"


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # Options keep their own day and part of day, in the visitor's order.
        (
            WEDNESDAY,
            "tuesday afternoon or thursday morning next week",
            "Tuesday 2026-12-08 afternoon; Thursday 2026-12-10 morning",
        ),
        (WEDNESDAY, "tuesday afternoon", "Tuesday 2026-12-08 afternoon"),
        (WEDNESDAY, "monday or tuesday morning", "Monday 2026-12-07; Tuesday 2026-12-08 morning"),
        (
            WEDNESDAY,
            "monday or tuesday, mornings",
            "Monday 2026-12-07 morning; Tuesday 2026-12-08 morning",
        ),
        (
            WEDNESDAY,
            "monday or tuesday mornings",
            "Monday 2026-12-07 morning; Tuesday 2026-12-08 morning",
        ),
        (
            WEDNESDAY,
            "mornings, tuesday or thursday",
            "Tuesday 2026-12-08 morning; Thursday 2026-12-03 morning",
        ),
        (
            WEDNESDAY,
            "tuesday morning or afternoon",
            "Tuesday 2026-12-08 morning; Tuesday 2026-12-08 afternoon",
        ),
        (
            WEDNESDAY,
            "tuesday afternoon or thursday, mornings",
            "Tuesday 2026-12-08 afternoon; Thursday 2026-12-03 morning",
        ),
        (WEDNESDAY, "weekends or evenings", "weekend; evening"),
        (
            WEDNESDAY,
            "morning tuesday, afternoon friday",
            "Tuesday 2026-12-08 morning; Friday 2026-12-04 afternoon",
        ),
        # Weekdays and their qualifiers; today (Wednesday) counts only with "this" or "today".
        (WEDNESDAY, "wednesday", "Wednesday 2026-12-09"),
        (WEDNESDAY, "this wednesday", "Wednesday 2026-12-02"),
        (WEDNESDAY, "this monday", "Monday 2026-12-07"),
        (WEDNESDAY, "next tuesday", "Tuesday 2026-12-08"),
        (WEDNESDAY, "next friday", "Friday 2026-12-11"),
        (WEDNESDAY, "friday", "Friday 2026-12-04"),
        (WEDNESDAY, "friday this week", "Friday 2026-12-04"),
        (WEDNESDAY, "monday this week", None),
        (WEDNESDAY, "next sat or sun", "Saturday 2026-12-12; Sunday 2026-12-13"),
        (WEDNESDAY, "friday or next tuesday", "Friday 2026-12-04; Tuesday 2026-12-08"),
        (
            WEDNESDAY,
            "tuesday this week or thursday next week",
            "Thursday 2026-12-10",
        ),
        (
            WEDNESDAY,
            "thursday this week or tuesday next week",
            "Thursday 2026-12-03; Tuesday 2026-12-08",
        ),
        (WEDNESDAY, "today", "Wednesday 2026-12-02"),
        (WEDNESDAY, "tonight", "Wednesday 2026-12-02 evening"),
        (WEDNESDAY, "tomorrow morning", "Thursday 2026-12-03 morning"),
        (WEDNESDAY, "the day after tomorrow", "Friday 2026-12-04"),
        (WEDNESDAY, "next week", "week 2026-12-07 to 2026-12-13"),
        (WEDNESDAY, "sometime this week", "week 2026-12-02 to 2026-12-06"),
        (WEDNESDAY, "tuesday to thursday", "Tuesday 2026-12-08 to Thursday 2026-12-10"),
        # Typos and abbreviations.
        (WEDNESDAY, "tuesdy afternoon", "Tuesday 2026-12-08 afternoon"),
        (WEDNESDAY, "thurs am", "Thursday 2026-12-03 morning"),
        (WEDNESDAY, "wed or fri pm", "Wednesday 2026-12-09; Friday 2026-12-04 afternoon"),
        (
            WEDNESDAY,
            "tues/thurs mornings",
            "Tuesday 2026-12-08 morning; Thursday 2026-12-03 morning",
        ),
        (WEDNESDAY, "wensday evning", "Wednesday 2026-12-09 evening"),
        (WEDNESDAY, "tomorow after 5", "Thursday 2026-12-03 after 17:00"),
        # Groups, parts of day and times without a day.
        (WEDNESDAY, "any weekday morning", "weekdays morning"),
        (WEDNESDAY, "any weekday morning next week", "weekdays 2026-12-07 to 2026-12-11 morning"),
        (WEDNESDAY, "mon-fri after 6", "weekdays after 18:00"),
        (WEDNESDAY, "weekends", "weekend"),
        (WEDNESDAY, "this weekend", "weekend 2026-12-05 to 2026-12-06"),
        (WEDNESDAY, "next weekend", "weekend 2026-12-12 to 2026-12-13"),
        (WEDNESDAY, "mornings", "morning"),
        (WEDNESDAY, "after 5pm", "after 17:00"),
        (WEDNESDAY, "evenings after work", "evening"),
        (WEDNESDAY, "any time after 5pm", "after 17:00"),
        (WEDNESDAY, "weds 9-11am", "Wednesday 2026-12-09 09:00-11:00"),
        (WEDNESDAY, "between 10 and 12 on saturday", "Saturday 2026-12-05 10:00-12:00"),
        (WEDNESDAY, "no later than 3pm on friday", "Friday 2026-12-04 before 15:00"),
        (WEDNESDAY, "I'm free at 9.30am on wednesday", "Wednesday 2026-12-09 09:30"),
        (WEDNESDAY, "late afternoon", "late afternoon"),
        # Explicit dates, UK and US.
        (WEDNESDAY, "14 december", "Monday 2026-12-14"),
        (WEDNESDAY, "December 14th", "Monday 2026-12-14"),
        (WEDNESDAY, "dec 3", "Thursday 2026-12-03"),
        (WEDNESDAY, "14/12", "Monday 2026-12-14"),
        (WEDNESDAY, "12/14", "Monday 2026-12-14"),
        (WEDNESDAY, "14.12.2026", "Monday 2026-12-14"),
        (WEDNESDAY, "2026-12-25", "Friday 2026-12-25"),
        (WEDNESDAY, "on the 14th", "Monday 2026-12-14"),
        (WEDNESDAY, "1 december", "Wednesday 2027-12-01"),
        (WEDNESDAY, "Mon 14 Dec am", "Monday 2026-12-14 morning"),
        (WEDNESDAY, "thursday 10/12", "Thursday 2026-12-10"),
        (WEDNESDAY, "03/12", None),
        (WEDNESDAY, "14/12/2025", None),
        (WEDNESDAY, "30 february", None),
        # What the visitor rules out.
        (WEDNESDAY, "not monday, tuesday afternoon", "Tuesday 2026-12-08 afternoon"),
        (WEDNESDAY, "monday doesn't work, tuesday 2-4pm", "Tuesday 2026-12-08 14:00-16:00"),
        (WEDNESDAY, "tuesday, not mornings", "Tuesday 2026-12-08"),
        # As soon as possible.
        (WEDNESDAY, "asap", "as soon as possible"),
        (WEDNESDAY, "ASAP please", "as soon as possible"),
        (WEDNESDAY, "whenever suits", "as soon as possible"),
        (WEDNESDAY, "any time", "as soon as possible"),
        (
            WEDNESDAY,
            "as soon as possible, ideally a tuesday morning",
            "as soon as possible; Tuesday 2026-12-08 morning",
        ),
        # Nothing understood.
        (WEDNESDAY, "blah", None),
        (WEDNESDAY, "", None),
        (WEDNESDAY, None, None),
        (WEDNESDAY, "I don't know", None),
        (WEDNESDAY, "2-3 weeks", None),
        (WEDNESDAY, "07700 900123", None),
        (WEDNESDAY, "any day except friday", None),
        # Today a Monday.
        (MONDAY, "monday", "Monday 2026-12-07"),
        (MONDAY, "this monday", "Monday 2026-11-30"),
        (MONDAY, "monday this week", "Monday 2026-11-30"),
        (MONDAY, "tuesday", "Tuesday 2026-12-01"),
        (MONDAY, "next tuesday", "Tuesday 2026-12-08"),
        (MONDAY, "tomorrow", "Tuesday 2026-12-01"),
        (MONDAY, "weekdays this week", "weekdays 2026-11-30 to 2026-12-04"),
        (
            MONDAY,
            "tuesday afternoon or thursday morning next week",
            "Tuesday 2026-12-08 afternoon; Thursday 2026-12-10 morning",
        ),
        # Today a Sunday: next week starts tomorrow.
        (SUNDAY, "sunday", "Sunday 2026-12-13"),
        (SUNDAY, "this sunday", "Sunday 2026-12-06"),
        (SUNDAY, "next monday", "Monday 2026-12-07"),
        (SUNDAY, "monday", "Monday 2026-12-07"),
        (SUNDAY, "tomorrow", "Monday 2026-12-07"),
        (SUNDAY, "this weekend", "Sunday 2026-12-06"),
        (SUNDAY, "next week", "week 2026-12-07 to 2026-12-13"),
        (SUNDAY, "weekdays this week", None),
        (SUNDAY, "friday next week", "Friday 2026-12-11"),
    ],
)
def test_normalise_times(now: datetime, text: str | None, expected: str | None) -> None:
    assert normalise_times(text, now) == expected


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("03/12", "GB", "Thursday 2026-12-03"),
        ("03/12", "US", "Friday 2027-03-12"),
        ("03/12", None, None),
        ("03/12/2027", "GB", "Friday 2027-12-03"),
        ("03/12/2026", None, "Thursday 2026-12-03"),
        ("12/14", "GB", "Monday 2026-12-14"),
        ("14/12", "US", "Monday 2026-12-14"),
        ("tuesday 10/12", None, "Tuesday 2027-10-12"),
    ],
)
def test_normalise_times_numeric_dates_by_region(
    text: str, region: str | None, expected: str | None
) -> None:
    assert normalise_times(text, WEDNESDAY, region) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm new", "new"),
        ("I've been before", "returning"),
        ("new", "new"),
        ("new patient", "new"),
        ("i'm new", "new"),
        ("first time", "new"),
        ("first time, my back hurts", "new"),
        ("this is my first visit", "new"),
        ("I've never been before", "new"),
        ("I've never been", "new"),
        ("never", "new"),
        ("not been", "new"),
        ("haven't been", "new"),
        ("I haven’t been before", "new"),
        ("no", "new"),
        ("nope", "new"),
        ("no never", "new"),
        ("no, first time", "new"),
        ("I don't think so", "new"),
        ("i'm not new", "returning"),
        ("not a new patient", "returning"),
        ("not my first time", "returning"),
        ("been before", "returning"),
        ("returning", "returning"),
        ("existing patient", "returning"),
        ("came last year", "returning"),
        ("yes", "returning"),
        ("yes, a few times", "returning"),
        ("yeah", "returning"),
        ("once, years ago", "returning"),
        ("I haven't been in a while", "returning"),
        ("no, I've been before", "returning"),
        ("back again", "returning"),
        ("i have", "returning"),
        ("maybe", None),
        ("not sure", None),
        ("my back hurts", None),
        ("I don't remember", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_patient_status(text: str | None, expected: str | None) -> None:
    assert parse_patient_status(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sciatica", True),
        ("back pain", True),
        ("Back Pain", True),
        ("sciatica down my left leg", True),
        ("dry needling", True),
        ("Dry Needling", True),
        ("follow-up", True),
        ("my hip", True),
        ("hip", True),
        ("a check-up for my knee", True),
        ("tennis elbow", True),
        ("morning stiffness", True),
        ("ok so my knee hurts when I run", True),
        ("not sure, maybe sciatica", True),
        ("07700 900123", False),
        ("+44 7700 900123", False),
        ("sam@gmail.com", False),
        ("my email is sam at gmail dot com", False),
        ("12345", False),
        ("yes", False),
        ("ok", False),
        ("no thanks", False),
        ("hello", False),
        ("hi there", False),
        ("good morning", False),
        ("thanks!", False),
        ("not sure", False),
        ("ow", False),
        ("Jane Doe", False),
        ("Mary O'Neil", False),
        ("my name is Jane", False),
        ("", False),
        (None, False),
    ],
)
def test_looks_like_reason(text: str | None, expected: bool) -> None:
    assert looks_like_reason(text, "GB") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yes!", True),
        ("yeah", True),
        ("yep", True),
        ("sure", True),
        ("ok", True),
        ("okay", True),
        ("of course", True),
        ("yes please", True),
        ("that's fine", True),
        ("that’s fine", True),
        ("go ahead", True),
        ("y", True),
        ("Yes, that's fine", True),
        ("sure thing", True),
        ("no", False),
        ("nope", False),
        ("no thanks", False),
        ("rather not", False),
        ("n", False),
        ("nah", False),
        ("no thanks, maybe later", False),
        ("I don't know", None),
        ("maybe", None),
        ("not sure", None),
        ("yes maybe", None),
        ("ok but not now", None),
        ("no idea", None),
        ("hello", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_yes_no(text: str | None, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


def test_clean_text_drops_control_characters_and_limits_length() -> None:
    assert clean_text("a\u0000b\u202e c   d") == "ab c d"
    assert len(clean_text("x" * 10_000)) == 200
