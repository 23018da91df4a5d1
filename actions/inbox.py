"""What the assistant could not answer well, noted in the staff's inbox (``clinic_office.inbox``).

The actions call these after choosing their reply: a question the assistant had to clarify or
did not understand becomes an entry (scrubbed of personal data; nothing from inside a form,
nothing with red-flag talk), an answer adds one to its topic's counts. The inbox is written in a
thread and waited for briefly: it never stops an answer, and a failure of its database is
logged (without the message) and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clinic_office.inbox import InboxWriter, entry_from_parse


async def note(inbox: InboxWriter, kind: str, tracker: Any) -> None:
    """An inbox entry of ``kind`` for the visitor's latest message, when it may be kept."""
    entry = entry_from_parse(kind, tracker.latest_message or {}, tracker.active_loop_name)
    if entry is not None:
        await inbox.add_async(entry)


async def count(inbox: InboxWriter, topics: Iterable[str], counter: str) -> None:
    """Add one to today's ``counter`` (answered, clarified...) of each topic. No text."""
    await inbox.count_async(topics, counter)
