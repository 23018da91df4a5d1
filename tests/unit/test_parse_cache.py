"""The parse cache: repeated texts parsed once, no text kept, bounded in size and time."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from clinic_server.parse_cache import (
    DEFAULT_SECONDS,
    DEFAULT_SIZE,
    CacheSettings,
    ParseCache,
    cache_settings,
    cached_parse,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def parse_of(text: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": entities or [],
        "decision": {"intent": "faq", "faq_topic": "what_is_dry_needling"},
    }


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, CacheSettings(DEFAULT_SIZE, DEFAULT_SECONDS)),
        ({"PARSE_CACHE_SIZE": "0"}, CacheSettings(0, DEFAULT_SECONDS)),
        ({"PARSE_CACHE_SIZE": " 10 ", "PARSE_CACHE_SECONDS": "5"}, CacheSettings(10, 5.0)),
        ({"PARSE_CACHE_SIZE": ""}, CacheSettings(DEFAULT_SIZE, DEFAULT_SECONDS)),
    ],
)
def test_settings(environ: dict[str, str], expected: CacheSettings) -> None:
    assert cache_settings(environ) == expected


@pytest.mark.parametrize(
    "environ",
    [
        {"PARSE_CACHE_SIZE": "many"},
        {"PARSE_CACHE_SIZE": "-1"},
        {"PARSE_CACHE_SECONDS": "0"},
        {"PARSE_CACHE_SECONDS": "soon"},
    ],
)
def test_bad_settings_say_which(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="PARSE_CACHE"):
        cache_settings(environ)


def test_a_hit_is_a_copy_with_the_text_put_back() -> None:
    cache = ParseCache(4, 60)
    key = cache.key("model-1", "What is dry needling?")
    assert cache.get(key, "What is dry needling?") is None
    assert cache.put(key, parse_of("What is dry needling?"))
    hit = cache.get(key, "What is dry needling?")
    assert hit == parse_of("What is dry needling?")
    hit["intent"]["name"] = "changed downstream"
    again = cache.get(key, "What is dry needling?")
    assert again is not None and again["intent"]["name"] == "faq"
    assert (cache.hits, cache.misses) == (2, 1)


def test_no_text_is_kept() -> None:
    cache = ParseCache(4, 60)
    text = "my sciatica started after lifting a sofa"
    cache.put(cache.key("m", text), parse_of(text))
    assert text.encode() not in pickle.dumps(cache._entries)
    assert b"sofa" not in pickle.dumps(cache._entries)


def test_parses_with_entities_are_not_kept() -> None:
    cache = ParseCache(4, 60)
    text = "I'm Sam, 07700 900123"
    key = cache.key("m", text)
    phone = [{"entity": "phone", "value": "07700 900123"}]
    assert not cache.put(key, parse_of(text, phone))
    assert cache.get(key, text) is None
    assert len(cache) == 0


def test_keys_depend_on_the_model_the_text_and_the_process() -> None:
    cache = ParseCache(4, 60)
    assert cache.key("m1", "hi") == cache.key("m1", "hi")
    assert cache.key("m1", "hi") != cache.key("m2", "hi")
    assert cache.key("m1", "hi") != cache.key("m1", "Hi")
    assert cache.key("m1", "hi") != ParseCache(4, 60).key("m1", "hi")  # a new random key
    assert len(cache.key("m", "\ud800 lone surrogate")) == 32


def test_least_recently_used_goes_first() -> None:
    cache = ParseCache(2, 60)
    a, b, c = (cache.key("m", t) for t in "abc")
    cache.put(a, parse_of("a"))
    cache.put(b, parse_of("b"))
    assert cache.get(a, "a") is not None  # a is now the most recent
    cache.put(c, parse_of("c"))
    assert len(cache) == 2
    assert cache.get(b, "b") is None
    assert cache.get(a, "a") is not None and cache.get(c, "c") is not None


def test_entries_expire() -> None:
    clock = Clock()
    cache = ParseCache(4, 60, clock=clock)
    key = cache.key("m", "hello")
    cache.put(key, parse_of("hello"))
    clock.now += 60
    assert cache.get(key, "hello") is not None
    clock.now += 0.5
    assert cache.get(key, "hello") is None
    assert len(cache) == 0


@pytest.mark.parametrize(("size", "ttl"), [(0, 60), (-1, 60), (4, 0)])
def test_a_cache_needs_room_and_time(size: int, ttl: float) -> None:
    with pytest.raises(ValueError):
        ParseCache(size, ttl)


class FakeMetadata:
    def __init__(self, model_id: str) -> None:
        self.model_id = model_id


class FakeProcessor:
    """Stands in for Rasa's MessageProcessor: a model id and a counted NLU graph."""

    def __init__(self, model_id: str) -> None:
        self.model_metadata = FakeMetadata(model_id)
        self.calls = 0

    def parse_with_graph(
        self, message: Any, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        self.calls += 1
        return parse_of(message.text)


class FakeMessage:
    def __init__(self, text: Any) -> None:
        self.text = text


def test_the_wrapper_runs_the_graph_once_per_text_and_model() -> None:
    cache = ParseCache(8, 60)
    parse = cached_parse(FakeProcessor.parse_with_graph, cache)
    first = FakeProcessor("model-1")
    assert parse(first, FakeMessage("hello"), None) == parse_of("hello")
    assert parse(first, FakeMessage("hello"), None) == parse_of("hello")
    assert first.calls == 1
    assert parse(first, FakeMessage("Hello"), None) == parse_of("Hello")
    assert first.calls == 2
    published = FakeProcessor("model-2")  # a new model parses again
    parse(published, FakeMessage("hello"), None)
    assert published.calls == 1


def test_the_wrapper_passes_through_what_it_does_not_cache() -> None:
    cache = ParseCache(8, 60)
    parse = cached_parse(FakeProcessor.parse_with_graph, cache)
    processor = FakeProcessor("m")
    parse(processor, FakeMessage("hello"), None, only_output_properties=False)
    parse(processor, FakeMessage("hello"), None, only_output_properties=False)
    assert processor.calls == 2
    assert len(cache) == 0
