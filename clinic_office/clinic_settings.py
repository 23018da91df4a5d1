"""The clinic's settings file: the only source of clinic facts (hours, address, prices...).

Pure module (no rasa_sdk import). The file is re-read when it changes on disk, so staff
edits apply without a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from clinic_office import config

logger = logging.getLogger(__name__)


class SettingsError(ValueError):
    """The settings file cannot be read or has a wrong shape."""


@dataclass(frozen=True)
class ClinicSettings:
    """Clinic facts. An empty string means "not set": the assistant must not give it."""

    clinic_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    directions: str = ""
    opening_hours: str = ""
    prices: str = ""
    insurance: str = ""
    booking_url: str = ""
    privacy_url: str = ""
    default_region: str = "US"

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ClinicSettings:
        """Build settings from a parsed YAML mapping; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(unknown)}")
        values: dict[str, str] = {}
        for key, value in data.items():
            if value is None:
                value = ""
            if not isinstance(value, str | int | float):
                raise SettingsError(f"setting {key!r} must be text")
            values[key] = " ".join(str(value).split())
        return cls(**values)


def parse_settings(text: str) -> ClinicSettings:
    """Parse the YAML text of a settings file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SettingsError(f"not valid YAML: {error}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SettingsError("the settings file must be a list of `name: value` lines")
    return ClinicSettings.from_mapping(data)


class SettingsStore:
    """Loads the settings file and reloads it when its modification time changes.

    A file with an error (a YAML typo, an unknown setting) does not stop the assistant: the
    last good settings stay in use (none set, if there never were good ones: the assistant
    then says it does not have a fact), and ``problem`` says what is wrong.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Use ``path``, or the configured settings file (``CLINIC_SETTINGS``) when None."""
        self._path = path
        self._mtime: float | None = None
        self._settings = ClinicSettings()
        self.problem = ""

    @property
    def path(self) -> Path:
        """The file this store reads."""
        return self._path or config.current().clinic_settings_file

    def get(self) -> ClinicSettings:
        """Current settings. A missing file means nothing is set."""
        path = self.path
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            self._mtime, self._settings = None, ClinicSettings()
            return self._settings
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self._settings = parse_settings(path.read_text(encoding="utf-8"))
                self.problem = ""
            except (SettingsError, OSError, UnicodeDecodeError) as error:
                self.problem = f"{path.name}: {error}"
                logger.warning("the clinic settings file has an error: the last good settings stay")
        return self._settings
