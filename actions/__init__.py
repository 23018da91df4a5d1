"""Custom actions of the clinic assistant: thin rasa-sdk adapters, run by the action server.

The back office they call (settings, topics, bookings, notifications) is ``clinic_office``,
which has no Rasa import. Modules by concern:
- ``replies``: which response to send with which values (pure).
- ``parsing``: reading names, phone numbers, e-mail addresses and times (pure).
- ``faq``: answering FAQ questions and asking which topic was meant.
- ``triage``: red-flag symptoms and the question that checks one.
- ``booking``: the booking form and submitting a request.
- ``handoff``: human hand-off, booking and appointment changes.
"""
