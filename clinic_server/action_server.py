"""The action server: rasa-sdk's app, reachable only by the Rasa server that holds the secret.

rasa-sdk binds every interface (``SANIC_HOST``, default 0.0.0.0), accepts any caller and
answers an error with the whole request body. This entry point wraps its app:

- it listens on 127.0.0.1 unless ``ACTIONS_HOST`` names another (private) address;
- every route but ``/health`` needs the ``X-Action-Secret`` header, which the Rasa server
  sends with each call (``endpoints.yml``: ``action_endpoint.headers``); a missing or wrong
  secret gets 401 and runs nothing;
- it will not start without a secret of at least 32 characters (``ACTION_SECRET``, or a file
  named by ``ACTION_SECRET_FILE``);
- a call that is not JSON naming an action with a tracker of the shape rasa-sdk reads
  (deflated or not) gets 400; errors answer ``{"error": "..."}`` and never echo the request.

Run: ``python -m clinic_server.action_server [--port 5055]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import zlib
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_server._secrets import (
    MIN_SECRET_LENGTH,
    ConfigurationError,
    same_secret,
    secret_from_env,
)

__all__ = ["MIN_SECRET_LENGTH", "ConfigurationError", "authorised", "create_app", "read_secret"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Action-Secret"
OPEN_PATHS = frozenset({"/health"})
# a deflated call larger than this once inflated is refused (rasa-sdk would inflate it all)
MAX_INFLATED_BYTES = 32 * 1024 * 1024


def read_secret(environ: dict[str, str] | None = None) -> str:
    """The shared secret, from ``ACTION_SECRET`` or the file ``ACTION_SECRET_FILE`` names."""
    env = os.environ if environ is None else environ
    return secret_from_env("ACTION_SECRET", env, "the Rasa server sends it with every call")


def authorised(request: Request, secret: str) -> bool:
    """Whether ``request`` carries the shared secret (compared in constant time)."""
    return same_secret(request.headers.get(SECRET_HEADER, ""), secret)


def _optional(value: object, kind: type | tuple[type, ...]) -> bool:
    return value is None or isinstance(value, kind)


def _tracker_well_formed(tracker: object) -> bool:
    """Whether ``tracker`` has the fields rasa-sdk's ``Tracker.from_dict`` reads, as their types."""
    if not isinstance(tracker, dict):
        return False
    events = tracker.get("events", [])
    return (
        isinstance(tracker.get("sender_id"), str)
        and isinstance(tracker.get("slots", {}), dict)
        and isinstance(tracker.get("latest_message", {}), dict)
        and isinstance(events, list)
        and all(isinstance(event, dict) for event in events)
        and isinstance(tracker.get("paused", False), bool)
        and _optional(tracker.get("followup_action"), str)
        and isinstance(tracker.get("active_loop", tracker.get("active_form", {})), dict)
        and _optional(tracker.get("latest_action_name"), str)
    )


def _body(request: Request) -> bytes:
    """The call's bytes, inflated when deflated (as rasa-sdk does); ValueError if too large."""
    body = request.body or b""
    if request.headers.get("Content-Encoding") != "deflate":
        return body
    try:
        inflater = zlib.decompressobj()
        inflated = inflater.decompress(body, MAX_INFLATED_BYTES)
    except zlib.error as error:
        raise ValueError("not deflated") from error
    if inflater.unconsumed_tail:
        raise ValueError("too large once inflated")
    if not inflater.eof:
        raise ValueError("truncated")  # zlib.decompress, as rasa-sdk calls it, would fail
    return inflated


def well_formed(request: Request) -> bool:
    """Whether a webhook call is JSON naming an action, with a tracker rasa-sdk can read."""
    try:
        call = json.loads(_body(request) or b"null")
    except (ValueError, RecursionError):  # not JSON, not deflated, or nested too deep
        return False
    return (
        isinstance(call, dict)
        and isinstance(call.get("next_action"), str)
        and _optional(call.get("version"), str)
        and isinstance(call.get("domain", {}), dict)
        and _tracker_well_formed(call.get("tracker"))
    )


def create_app(secret: str, package: str = "actions") -> Sanic:
    """rasa-sdk's action app for ``package``, closed to callers without ``secret``."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app: Sanic = create_sdk_app(package, cors_origins=None)

    @app.middleware("request")  # type: ignore[untyped-decorator, no-untyped-call]
    async def require_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not authorised(request, secret):
            logger.warning("action server: refused a call without the shared secret")
            return response.json({"error": "unauthorised"}, status=401)
        if request.path == "/webhook" and not well_formed(request):
            return response.json({"error": "bad request"}, status=400)
        return None

    async def no_echo(request: Request, exception: Exception) -> HTTPResponse:
        status = int(getattr(exception, "status_code", 500) or 500)
        if status >= 500:
            logger.error("action server: %s", type(exception).__name__, exc_info=exception)
            return response.json({"error": "the action failed"}, status=500)
        return response.json({"error": "bad request"}, status=status)

    # replaces rasa-sdk's handler, which answers with the request body
    app.error_handler.add(Exception, no_echo)

    return app


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--actions", default="actions", help="the package of actions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        secret = read_secret()
    except (ConfigurationError, OSError) as error:
        logger.error("action server not started: %s", error)
        return 2
    app = create_app(secret, args.actions)
    logger.info(
        "action server on http://%s:%d (calls need the shared secret)", args.host, args.port
    )
    run: Any = app.run
    run(host=args.host, port=args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
