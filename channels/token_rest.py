"""Rasa's REST channel behind a token: for developers and tests, never on by default.

Rasa's own REST channel (``rest:``) takes any ``sender``, so whoever knows a conversation id
can speak in it: the widget channel's signed ids would protect nothing. This channel
answers at the same routes (``/webhooks/rest/webhook``) only to a request carrying
``Authorization: Bearer <token>``; it refuses to start without a token of at least 32
characters. A message that is not a JSON object with a ``sender`` and a ``message``, both
text, gets 400 (Rasa's channel would fail with a 500, or never answer a streamed request); a
message longer than ``max_message_length`` (default 1000, as the widget's) gets 413: the NLU
pipeline's time grows faster than the text (10 000 emoji hold up the whole server for about
10 s, 100 000 for many minutes).
Enable it in a credentials file (``credentials-rest.yml``):

    channels.token_rest.TokenRestInput:
      token: ${REST_TOKEN}
      max_message_length: 1000
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.text import utf8_text
from clinic_server._secrets import same_secret

MIN_TOKEN_LENGTH = 32
DEFAULT_MAX_LENGTH = 1000


def bearer_matches(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (constant-time comparison)."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return same_secret(given.strip(), token)


def well_formed(request: Request) -> bool:
    """Whether a message is a JSON object with a non-empty ``sender`` and a ``message``."""
    try:
        call = request.json
    except InvalidUsage:  # not JSON
        return False
    if not isinstance(call, dict):
        return False
    sender = call.get("sender")
    return (
        utf8_text(sender)
        and bool(sender)
        and utf8_text(call.get("message"))
        and isinstance(call.get("metadata") or {}, dict)
        and utf8_text(call.get("input_channel") or "rest")
    )


class TokenRestInput(RestInput):
    """The REST channel, answering only requests with the configured bearer token."""

    def __init__(self, token: str, max_message_length: int = DEFAULT_MAX_LENGTH) -> None:
        """Refuse a missing or short token: this channel is never open."""
        if len(token or "") < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"the REST channel needs a token of at least {MIN_TOKEN_LENGTH} characters "
                "(REST_TOKEN)"
            )
        self._token = token
        self.max_message_length = max_message_length

    @classmethod
    def name(cls) -> str:
        """Same routes as Rasa's REST channel: /webhooks/rest/..."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        """Build from the credentials file's ``token`` and ``max_message_length``."""
        config = credentials or {}
        return cls(
            str(config.get("token") or ""),
            int(config.get("max_message_length") or DEFAULT_MAX_LENGTH),
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, each behind the token."""
        blueprint: Blueprint = super().blueprint(on_new_message)
        token = self._token
        max_length = self.max_message_length

        @blueprint.middleware("request")  # type: ignore[untyped-decorator]
        async def require_token(request: Request) -> HTTPResponse | None:
            if not bearer_matches(request.headers.get("Authorization", ""), token):
                return response.json({"error": "unauthorised"}, status=401)
            if request.method == "POST":
                if not well_formed(request):
                    return response.json({"error": "bad request"}, status=400)
                if len(request.json["message"]) > max_length:
                    return response.json({"error": "too_long"}, status=413)
            return None

        return blueprint
