"""The Rasa server, with its HTTP API off unless asked for, and then behind a JWT.

``rasa run --enable-api`` serves every conversation's tracker and accepts ``PUT /model`` to
anyone who can reach it unless a token is given, and the token or JWT secret can only be
given on the command line, where ``ps`` shows it. This entry point reads the secret from the
environment or a file instead:

- ``RASA_ENABLE_API`` unset or ``0``: no HTTP API at all; only the channels of the
  credentials file (the widget's) answer;
- ``RASA_ENABLE_API=1``: the API, every route of which needs a JWT signed (HS256) with
  ``RASA_JWT_SECRET`` or the contents of ``RASA_JWT_SECRET_FILE`` (at least 32 characters);
  the server will not start without it. A JWT it cannot read (another algorithm, none, a
  header that is not UTF-8) gets 401, where sanic-jwt would let PyJWT's error through as 500.

Run: ``python -m clinic_server.rasa_server --model models/current.tar.gz``.
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass
from typing import Any

from clinic_server import parse_cache
from clinic_server._secrets import ConfigurationError, secret_from_env

__all__ = ["ApiSettings", "ConfigurationError", "api_settings", "main"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiSettings:
    """Whether the HTTP API is on, and the JWT secret that guards it."""

    enabled: bool
    jwt_secret: str | None = None


def api_settings(environ: dict[str, str] | None = None) -> ApiSettings:
    """The API's settings from the environment (closed unless ``RASA_ENABLE_API=1``)."""
    env = os.environ if environ is None else environ
    if env.get("RASA_ENABLE_API", "0").strip().lower() not in ("1", "true", "yes"):
        return ApiSettings(enabled=False)
    secret = secret_from_env("RASA_JWT_SECRET", env, "RASA_ENABLE_API=1 signs the API's JWTs")
    return ApiSettings(enabled=True, jwt_secret=secret)


def unreadable_credentials(_request: Any, _error: Exception) -> Any:
    """401 for an Authorization header that cannot be read (no detail, no echo)."""
    from sanic import response

    return response.json({"error": "unauthorised"}, status=401)


async def refuse_unreadable_jwts(app: Any, _loop: Any) -> None:
    """Answer 401, not 500, to JWTs sanic-jwt passes on as errors (before the server starts).

    sanic-jwt turns a bad signature or an expired token into 401 but lets PyJWT's
    ``InvalidAlgorithmError`` (a token whose "alg" is none, missing or not HS256) and a
    ``UnicodeError`` (header bytes that are not UTF-8) escape.
    """
    import jwt

    app.error_handler.add(jwt.exceptions.PyJWTError, unreadable_credentials)
    app.error_handler.add(UnicodeError, unreadable_credentials)


def validate_action_results_once_compiled() -> None:
    """Check action-server responses against a validator compiled once, not per response.

    Rasa validates every action server response with ``jsonschema.validate``, which checks
    the schema itself and builds a validator each time: about 13 % of a replica's time under
    load (py-spy, docs/benchmark.md). Same schema, same errors, one compiled validator.
    """
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    kind = validator_for(schema)
    kind.check_schema(schema)
    validator = kind(schema)

    def validate(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your "
                "response from the Action endpoint is valid. For more information about the "
                f"format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = validate


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="models/current.tar.gz")
    parser.add_argument("--interface", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--credentials", default="credentials.yml")
    args = parser.parse_args(argv)
    try:
        api = api_settings()
        cache = parse_cache.cache_settings(os.environ)
    except (ConfigurationError, OSError, ValueError) as error:
        print(f"Rasa server not started: {error}")
        return 2

    import rasa.utils.common
    from rasa.core.run import serve_application
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.log_utils import configure_structlog

    # as `rasa run` does: INFO, so that no message text reaches the logs
    rasa.utils.common.configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    validate_action_results_once_compiled()
    parse_cache.install(cache)
    logger.info("Rasa HTTP API %s", "on, behind a JWT" if api.enabled else "off")
    logger.info("parse cache: %s", f"{cache.size} entries" if cache.size else "off")
    serve_application(
        model_path=args.model or None,  # "" with a model server (endpoints.yml `models:`)
        interface=args.interface,
        port=args.port,
        credentials=args.credentials,
        enable_api=api.enabled,
        jwt_secret=api.jwt_secret,
        jwt_method="HS256",
        endpoints=AvailableEndpoints.read_endpoints(args.endpoints),
        server_listeners=[(refuse_unreadable_jwts, "before_server_start")],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
