"""The Rasa server's API settings and the REST channel's token, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.token_rest import TokenRestInput, bearer_matches
from clinic_server.rasa_server import ApiSettings, ConfigurationError, api_settings

SECRET = "j" * 32


@pytest.mark.parametrize("environ", [{}, {"RASA_ENABLE_API": "0"}, {"RASA_JWT_SECRET": SECRET}])
def test_the_api_is_off_unless_asked_for(environ: dict[str, str]) -> None:
    assert api_settings(environ) == ApiSettings(enabled=False)


@pytest.mark.parametrize("secret", ["", "short"])
def test_the_api_never_opens_without_a_long_jwt_secret(secret: str) -> None:
    with pytest.raises(ConfigurationError):
        api_settings({"RASA_ENABLE_API": "1", "RASA_JWT_SECRET": secret})


def test_the_jwt_secret_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert api_settings({"RASA_ENABLE_API": "1", "RASA_JWT_SECRET": SECRET}).jwt_secret == SECRET
    path = tmp_path / "jwt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    settings = api_settings({"RASA_ENABLE_API": "true", "RASA_JWT_SECRET_FILE": str(path)})
    assert settings == ApiSettings(enabled=True, jwt_secret=SECRET)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("", False),
        (f"Basic {SECRET}", False),
        ("Bearer wrong", False),
        (f"Bearer {SECRET}x", False),
        (f"Bearer {SECRET}", True),
        (f"bearer {SECRET}", True),
    ],
)
def test_the_rest_channel_token(header: str, ok: bool) -> None:
    assert bearer_matches(header, SECRET) is ok


@pytest.mark.parametrize("credentials", [None, {}, {"token": "short"}])
def test_the_rest_channel_never_opens_without_a_token(credentials: dict[str, str] | None) -> None:
    with pytest.raises(ValueError):
        TokenRestInput.from_credentials(credentials)


def test_action_results_are_validated_as_rasa_does_with_one_compiled_validator() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    from clinic_server.rasa_server import validate_action_results_once_compiled

    action = RemoteAction("action_answer_faq", None)
    good = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
    bad = {"events": [{"event": 42}], "responses": "not a list"}
    original = RemoteAction._validate_action_result
    assert original(action, good)
    with pytest.raises(jsonschema.ValidationError):
        original(action, bad)
    try:
        validate_action_results_once_compiled()
        assert RemoteAction._validate_action_result is not original
        assert action._validate_action_result(good)
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
            action._validate_action_result(bad)
    finally:
        RemoteAction._validate_action_result = original
