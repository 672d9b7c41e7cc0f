from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from movierec.lib.env import EnvError, env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", default=False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", default=True) is False


def test_env_bool_rejects_garbage_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(EnvError, match="FLAG"):
        env_bool("FLAG", default=False)


def test_env_int_enforces_minimum(monkeypatch):
    monkeypatch.setenv("DEBOUNCE", "-3")
    with pytest.raises(EnvError, match="DEBOUNCE must be at least 0"):
        env_int("DEBOUNCE", 30, minimum=0)
    monkeypatch.setenv("DEBOUNCE", "soon")
    with pytest.raises(EnvError, match="DEBOUNCE must be an integer"):
        env_int("DEBOUNCE", 30)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "sometimes", "DEBUG must be one of"),
        ("RETRAIN_DEBOUNCE_SECONDS", "ten", "RETRAIN_DEBOUNCE_SECONDS must be an integer"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL is not a usable database URL"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_the_variable(variable, value, message, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x", "VAR_DIR": str(tmp_path), variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.DEBUG"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "movierec.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_missing_secret_key_in_production_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.DEBUG"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "false",
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "movierec.settings",
        },
        capture_output=True,
        text=True,
    )
    assert "SECRET_KEY must be set" in result.stderr
