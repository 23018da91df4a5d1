"""The clinic settings file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from clinic_office.clinic_settings import (
    ClinicSettings,
    SettingsError,
    SettingsStore,
    parse_settings,
)

SHIPPED = Path(__file__).resolve().parents[2] / "clinic" / "settings.yml"


def test_shipped_settings_parse() -> None:
    settings = parse_settings(SHIPPED.read_text(encoding="utf-8"))
    assert settings.clinic_name
    assert settings.default_region == "US"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ClinicSettings()),
        ("phone: ''", ClinicSettings()),
        ("phone:", ClinicSettings()),
        ("phone: '  (555)   010 0199 '", ClinicSettings(phone="(555) 010 0199")),
        (
            "opening_hours: |\n  Mon-Fri 8-6\n  Sat 9-1\n",
            ClinicSettings(opening_hours="Mon-Fri 8-6 Sat 9-1"),
        ),
        ("phone: 5550100199", ClinicSettings(phone="5550100199")),
    ],
)
def test_parse_settings(text: str, expected: ClinicSettings) -> None:
    assert parse_settings(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("phone: [1, 2]", "must be text"),
        ("fax: '123'", "unknown settings: fax"),
        ("- phone", "name: value"),
        ("phone: 'unclosed", "not valid YAML"),
    ],
)
def test_bad_settings_are_explained(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings(text)


def test_store_reloads_on_change(tmp_path: Path) -> None:
    path = tmp_path / "settings.yml"
    path.write_text("phone: '111'\n", encoding="utf-8")
    store = SettingsStore(path)
    assert store.get().phone == "111"
    path.write_text("phone: '222'\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert store.get().phone == "222"


def test_store_missing_file_means_nothing_set(tmp_path: Path) -> None:
    assert SettingsStore(tmp_path / "absent.yml").get() == ClinicSettings()


def test_store_uses_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.yml"
    path.write_text("email: 'x@y.example'\n", encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(path))
    assert SettingsStore().get().email == "x@y.example"
