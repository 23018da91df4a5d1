"""The action server's secret handling, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_server.action_server import (
    MIN_SECRET_LENGTH,
    ConfigurationError,
    authorised,
    create_app,
    read_secret,
)

SECRET = "s" * MIN_SECRET_LENGTH


@pytest.mark.parametrize("environ", [{}, {"ACTION_SECRET": "short"}, {"ACTION_SECRET": ""}])
def test_no_start_without_a_long_secret(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        read_secret(environ)


def test_secret_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert read_secret({"ACTION_SECRET": SECRET}) == SECRET
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n", encoding="utf-8")
    assert read_secret({"ACTION_SECRET_FILE": str(path)}) == SECRET


class Request:
    """The part of a Sanic request that ``authorised`` reads."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, False),
        ({"X-Action-Secret": ""}, False),
        ({"X-Action-Secret": "wrong"}, False),
        ({"X-Action-Secret": SECRET + "x"}, False),
        ({"X-Action-Secret": SECRET}, True),
    ],
)
def test_only_the_secret_opens_the_door(headers: dict[str, str], allowed: bool) -> None:
    assert authorised(Request(headers), SECRET) is allowed  # type: ignore[arg-type]


def test_the_app_replaces_rasa_sdks_echoing_error_handler() -> None:
    app = create_app(SECRET, "actions")
    handler = app.error_handler.lookup(RuntimeError(), None)
    assert handler is not None
    assert handler.__name__ == "no_echo"
