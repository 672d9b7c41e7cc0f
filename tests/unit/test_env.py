from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from movierec.lib.env import EnvError, env_bool, env_float, env_int, env_list

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


def test_env_float_reads_a_number_within_its_bounds(monkeypatch):
    monkeypatch.setenv("SHARE", "0.02")
    assert env_float("SHARE", 0.01, minimum=0.0, maximum=1.0) == 0.02
    monkeypatch.setenv("SHARE", "")
    assert env_float("SHARE", 0.01) == 0.01
    for value, message in [("1.5", "at most 1.0"), ("-0.1", "at least 0.0"), ("nan", "finite"), ("some", "a number")]:
        monkeypatch.setenv("SHARE", value)
        with pytest.raises(EnvError, match=f"SHARE must be .*{message}"):
            env_float("SHARE", 0.01, minimum=0.0, maximum=1.0)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "sometimes", "DEBUG must be one of"),
        ("RETRAIN_DEBOUNCE_SECONDS", "ten", "RETRAIN_DEBOUNCE_SECONDS must be an integer"),
        ("TRAINING_REFIT_SHARE", "2", "TRAINING_REFIT_SHARE must be at most 1.0"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL is not a usable database URL"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_the_variable(variable, value, message, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "ENV_FILE": str(tmp_path / "none.env"),
        "SECRET_KEY": "x",
        "VAR_DIR": str(tmp_path),
        variable: value,
    }
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
            "ENV_FILE": str(tmp_path / "none.env"),
            "DEBUG": "false",
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "movierec.settings",
        },
        capture_output=True,
        text=True,
    )
    assert "SECRET_KEY must be set" in result.stderr


def _manage(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path), "MODEL_DIR": str(tmp_path / "models"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_configuration_error_is_one_clear_line_not_a_traceback(tmp_path):
    # A fresh shell with no .env and no variables: DEBUG is off, so SECRET_KEY is missing
    result = _manage(["check"], tmp_path, ENV_FILE=str(tmp_path / "none.env"))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY must be set when DEBUG is off. "
        "Set it in the environment or in .env (see .env.example)."
    ]


def test_the_demo_env_file_makes_the_everyday_commands_work_in_a_fresh_shell(tmp_path):
    # Given the .env make demo writes (the same lines: scripts/demo.sh), and a shell with nothing exported
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    assert "DEBUG=true\\nSECRET_KEY=%s" in demo
    env_file = tmp_path / ".env"
    env_file.write_text(f"DEBUG=true\nSECRET_KEY=written-by-demo\nDATABASE_URL=sqlite:///{tmp_path / 'db.sqlite3'}\n")

    # Then the README's commands run
    migrate = _manage(["migrate", "-v0"], tmp_path, ENV_FILE=str(env_file))
    recommend = _manage(["recommend", "nobody", "--rows"], tmp_path, ENV_FILE=str(env_file))

    assert migrate.returncode == 0, migrate.stderr
    assert "Configuration error" not in recommend.stderr and "Traceback" not in recommend.stderr


def test_a_variable_already_set_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=from-file\nAPI_PAGE_SIZE=7\n")
    code = "from django.conf import settings; print(settings.API_PAGE_SIZE, settings.SECRET_KEY)"

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "ENV_FILE": str(env_file),
            "API_PAGE_SIZE": "9",
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "movierec.settings",
        },
        capture_output=True,
        text=True,
    )

    assert result.stdout.split() == ["9", "from-file"]
