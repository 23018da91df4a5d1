"""Reading what visitors type into the booking form: pure helpers, no rasa_sdk import.

The package's surface is the names below; its private modules hold one concern each:
``_text`` (cleaning, shared word helpers), ``_contact`` (e-mail, phone), ``_names``,
``_answers`` (yes/no, new or returning, reasons) and ``_times`` (days and times, with the
rules ``normalise_times`` follows in its docstring).
"""

from __future__ import annotations

from actions.parsing._answers import looks_like_reason, parse_patient_status, parse_yes_no
from actions.parsing._contact import (
    Contact,
    format_contact,
    parse_contact,
    parse_email,
    parse_phone,
)
from actions.parsing._names import parse_name
from actions.parsing._text import MAX_FIELD_LENGTH, clean_text
from actions.parsing._times import normalise_times

__all__ = [
    "MAX_FIELD_LENGTH",
    "Contact",
    "clean_text",
    "format_contact",
    "looks_like_reason",
    "normalise_times",
    "parse_contact",
    "parse_email",
    "parse_name",
    "parse_patient_status",
    "parse_phone",
    "parse_yes_no",
]
