"""Secrets from the environment or a file, never the command line, and never short; and how a
request's header is compared with one."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path

MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """A server cannot start safely with this configuration."""


def secret_from_env(name: str, env: Mapping[str, str], purpose: str) -> str:
    """``$name``, or the contents of the file ``$name_FILE`` names; at least 32 characters.

    Raises ``ConfigurationError`` saying what to set (``purpose``: what the secret is for).
    """
    secret = env.get(name, "")
    if not secret and env.get(f"{name}_FILE"):
        secret = Path(env[f"{name}_FILE"]).read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"set {name} (or {name}_FILE) to a secret of at least {MIN_SECRET_LENGTH} "
            f"characters: {purpose}"
        )
    return secret


def same_secret(given: str, secret: str) -> bool:
    """Whether a header's ``given`` value is ``secret``, compared in constant time.

    A header's bytes that are not UTF-8 arrive as lone surrogates: they are compared as those
    bytes, and never match.
    """
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode("utf-8"))
