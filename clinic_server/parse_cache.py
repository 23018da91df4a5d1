"""Repeated messages parsed once: an in-memory cache of NLU results that holds no text.

Visitors ask the same questions in the same words ("what is dry needling?"), and the NLU
pipeline (spaCy, the MiniLM encoder, TF-IDF, red-flag triage) gives the same parse for the
same text and model every time: it reads the message's text and nothing else of the
conversation. Under load the pipeline was the largest share of a replica's time
(docs/benchmark.md), so a replica keeps the parses of recent messages:

- the key is an HMAC-SHA256 of the model id and the text under a key drawn at random when
  the process starts: the cache holds no message text, and its keys are worthless outside
  the process;
- the value is the parse without its ``text``: intent, ranking, the decision's labels and
  red flags, nothing copied from the text. A parse with entities (values taken from the
  text, such as a name or a phone number) is not kept;
- at most ``size`` entries, least recently used first out, each for at most ``ttl``
  seconds; a new model id makes old entries unreachable (they age out);
- every hit is a deep copy, so nothing downstream can change a cached parse.

``PARSE_CACHE_SIZE`` (default 2048; 0 turns it off) and ``PARSE_CACHE_SECONDS`` (default
3600) set it. ``install(size, ttl)`` puts it in front of Rasa's
``MessageProcessor._parse_message_with_graph``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CacheSettings", "ParseCache", "cache_settings", "cached_parse", "install"]

ParseFunction = Callable[..., dict[str, Any]]

DEFAULT_SIZE = 2048
DEFAULT_SECONDS = 3600.0


@dataclass(frozen=True)
class CacheSettings:
    """How many parses a replica keeps, and for how long."""

    size: int = DEFAULT_SIZE
    seconds: float = DEFAULT_SECONDS


def cache_settings(environ: Mapping[str, str]) -> CacheSettings:
    """``PARSE_CACHE_SIZE`` and ``PARSE_CACHE_SECONDS``; a clear error for a bad value."""
    raw_size = environ.get("PARSE_CACHE_SIZE", "").strip() or str(DEFAULT_SIZE)
    raw_seconds = environ.get("PARSE_CACHE_SECONDS", "").strip() or str(DEFAULT_SECONDS)
    try:
        size = int(raw_size)
        seconds = float(raw_seconds)
    except ValueError:
        raise ValueError(
            "PARSE_CACHE_SIZE must be a whole number and PARSE_CACHE_SECONDS a number"
        ) from None
    if size < 0 or not seconds > 0:
        raise ValueError("PARSE_CACHE_SIZE must be 0 or more and PARSE_CACHE_SECONDS above 0")
    return CacheSettings(size=size, seconds=seconds)


class ParseCache:
    """Parses by (model id, text), keyed by an HMAC of both; no text is stored."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Keep at most ``size`` parses for at most ``ttl`` seconds each."""
        if size < 1 or not ttl > 0:
            raise ValueError("a parse cache needs a size of 1 or more and a positive ttl")
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self.hits = 0
        self.misses = 0
        self._secret = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[float, dict[str, Any]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def key(self, model_id: str, text: str) -> bytes:
        """The entry's key: an HMAC of the model id and the text (never the text)."""
        message = model_id.encode("utf-8", "surrogatepass") + b"\0"
        message += text.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def get(self, key: bytes, text: str) -> dict[str, Any] | None:
        """A copy of the parse kept under ``key`` with ``text`` put back, or None."""
        entry = self._entries.get(key)
        if entry is not None and self.clock() - entry[0] > self.ttl:
            del self._entries[key]
            entry = None
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        parse = copy.deepcopy(entry[1])
        parse["text"] = text
        return parse

    def put(self, key: bytes, parse: Mapping[str, Any]) -> bool:
        """Keep a copy of ``parse`` without its text; False (not kept) if it has entities."""
        if parse.get("entities"):
            return False
        kept = copy.deepcopy({name: value for name, value in parse.items() if name != "text"})
        self._entries[key] = (self.clock(), kept)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return True


def cached_parse(parse_with_graph: ParseFunction, cache: ParseCache) -> ParseFunction:
    """``MessageProcessor._parse_message_with_graph`` in front of ``cache``."""

    def parse(
        self: Any, message: Any, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        text = message.text
        if not only_output_properties or not isinstance(text, str):
            return dict(parse_with_graph(self, message, tracker, only_output_properties))
        key = cache.key(str(self.model_metadata.model_id), text)
        parsed = cache.get(key, text)
        if parsed is None:
            parsed = dict(parse_with_graph(self, message, tracker, only_output_properties))
            cache.put(key, parsed)
        return parsed

    return parse


def install(settings: CacheSettings) -> ParseCache | None:
    """Put a parse cache in front of Rasa's NLU graph (none when ``size`` is 0)."""
    if settings.size == 0:
        return None
    from rasa.core.processor import MessageProcessor

    cache = ParseCache(settings.size, settings.seconds)
    MessageProcessor._parse_message_with_graph = cached_parse(
        MessageProcessor._parse_message_with_graph, cache
    )
    return cache
