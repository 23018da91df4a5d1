"""The back office's settings: one typed object, paths from configuration, no Rasa import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_office.config import ConfigError, Settings

PYTHON = sys.executable


def test_every_path_follows_the_home_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"CLINIC_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.data_dir == tmp_path / "var"
    assert settings.clinic_settings_file == tmp_path / "clinic" / "settings.yml"
    assert settings.topics_dir == tmp_path / "data" / "topics"
    assert settings.article_file == tmp_path / "content" / "clinic-article.txt"
    assert settings.widget_js == tmp_path / "widget" / "dist" / "widget.js"
    assert settings.booking_database_url == f"sqlite:///{tmp_path / 'var' / 'bookings.db'}"
    assert settings.conversations_database_url == (
        f"sqlite:///{tmp_path / 'var' / 'conversations.db'}"
    )
    assert settings.staff_database_url == f"sqlite:///{tmp_path / 'var' / 'staff.db'}"
    assert settings.staff_cookie_secure is True
    assert settings.staff_origin == ""
    assert (settings.staff_admin_user, settings.staff_admin_password) == ("", "")
    assert not (tmp_path / "var").exists()  # reading settings creates nothing


def test_each_setting_can_be_given(tmp_path: Path) -> None:
    env = {
        "CLINIC_HOME": str(tmp_path / "home"),
        "CLINIC_DATA_DIR": str(tmp_path / "data"),
        "CLINIC_SETTINGS": str(tmp_path / "facts.yml"),
        "BOOKING_DATABASE_URL": " postgresql://clinic@db/bookings ",
        "CONVERSATIONS_DATABASE_URL": "postgresql://clinic@db/conversations",
        "RETENTION_DAYS": "7",
        "NOTIFY_CHANNELS": "webhook",
        "NOTIFY_WEBHOOK_URL": "https://staff.example/hook",
        "STAFF_DATABASE_URL": "postgresql://clinic@db/staff",
        "STAFF_COOKIE_SECURE": "0",
        "STAFF_ORIGIN": "https://Clinic.example/",
        "STAFF_ADMIN_USER": "boss",
        "STAFF_ADMIN_PASSWORD": " a passphrase, spaces kept ",
    }
    settings = Settings.from_env(env)
    assert settings.data_dir == tmp_path / "data"
    assert settings.clinic_settings_file == tmp_path / "facts.yml"
    assert settings.booking_database_url == "postgresql://clinic@db/bookings"
    assert settings.conversations_database_url == "postgresql://clinic@db/conversations"
    assert settings.retention_days == 7
    assert settings.notify is not None and settings.notify.channels == ("webhook",)
    assert settings.staff_database_url == "postgresql://clinic@db/staff"
    assert settings.staff_cookie_secure is False
    assert settings.staff_origin == "https://clinic.example"
    assert settings.staff_admin_user == "boss"
    assert settings.staff_admin_password == " a passphrase, spaces kept "
    assert "passphrase" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"STAFF_COOKIE_SECURE": "maybe"}, "STAFF_COOKIE_SECURE"),
        ({"STAFF_ORIGIN": "clinic.example"}, "STAFF_ORIGIN"),
        ({"STAFF_ORIGIN": "https://clinic.example/staff"}, "STAFF_ORIGIN"),
        ({"STAFF_ORIGIN": "ftp://clinic.example"}, "STAFF_ORIGIN"),
    ],
)
def test_a_wrong_staff_setting_is_an_error_that_names_it(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_the_home_folder_defaults_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).data_dir == tmp_path / "var"


def test_wrong_notification_settings_are_kept_not_raised() -> None:
    settings = Settings.from_env({"NOTIFY_CHANNELS": "pigeon"})
    assert settings.notify is None
    assert "pigeon" in settings.notify_problem


@pytest.mark.parametrize("value", ["0", "soon"])
def test_a_wrong_retention_period_is_an_error_that_names_it(value: str) -> None:
    with pytest.raises(ConfigError, match="RETENTION_DAYS"):
        Settings.from_env({"RETENTION_DAYS": value})


def test_the_back_office_imports_no_rasa() -> None:
    modules = [
        "clinic_office",
        "clinic_office.booking_store",
        "clinic_office.clinic_settings",
        "clinic_office.notifier",
        "clinic_office.retention",
        "clinic_office.staff_accounts",
        "clinic_office.topics",
        "webapp",
        "webapp.staff",
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'rasa_sdk'}))\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_the_back_office_runs_from_any_directory(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "clinic-home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env["CLINIC_HOME"] = str(home)
    result = subprocess.run(
        [PYTHON, "-m", "clinic_office.retention"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 conversations and 0 booking requests deleted" in result.stdout
    assert (home / "var" / "bookings.db").is_file()
    assert list(elsewhere.iterdir()) == []
