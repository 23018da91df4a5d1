"""Custom actions of the clinic assistant (a rasa-sdk package, run by the action server).

Modules by concern:
- ``settings``: the clinic's settings file (pure, no rasa_sdk import).
- ``topics``: the FAQ topics and their button titles (pure).
- ``replies``: which response to send with which values (pure).
- ``faq``: answering FAQ questions and asking which topic was meant.
- ``handoff``: human hand-off, booking and appointment changes.
"""
