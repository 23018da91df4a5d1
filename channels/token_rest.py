"""Rasa's REST channel behind a token: for developers and tests, never on by default.

Rasa's own REST channel (``rest:``) takes any ``sender``, so whoever knows a conversation id
can speak in it: the widget channel's signed ids would protect nothing. This channel
answers at the same routes (``/webhooks/rest/webhook``) only to a request carrying
``Authorization: Bearer <token>``; it refuses to start without a token of at least 32
characters. Enable it in a credentials file (``credentials-rest.yml``):

    channels.token_rest.TokenRestInput:
      token: ${REST_TOKEN}
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

MIN_TOKEN_LENGTH = 32


def bearer_matches(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (constant-time comparison)."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


class TokenRestInput(RestInput):
    """The REST channel, answering only requests with the configured bearer token."""

    def __init__(self, token: str) -> None:
        """Refuse a missing or short token: this channel is never open."""
        if len(token or "") < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"the REST channel needs a token of at least {MIN_TOKEN_LENGTH} characters "
                "(REST_TOKEN)"
            )
        self._token = token

    @classmethod
    def name(cls) -> str:
        """Same routes as Rasa's REST channel: /webhooks/rest/..."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        """Build from the credentials file's ``token``."""
        return cls(str((credentials or {}).get("token") or ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, each behind the token."""
        blueprint: Blueprint = super().blueprint(on_new_message)
        token = self._token

        @blueprint.middleware("request")  # type: ignore[untyped-decorator]
        async def require_token(request: Request) -> HTTPResponse | None:
            if bearer_matches(request.headers.get("Authorization", ""), token):
                return None
            return response.json({"error": "unauthorised"}, status=401)

        return blueprint
