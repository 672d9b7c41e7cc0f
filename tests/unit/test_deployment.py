"""Production defaults, read from a fresh process as a server would: HTTPS, HSTS, mail, proxies, CSP, the broker."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-0123456789abcdefghijklmnop",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "movierec.example.org",
}


def settings_of(env: dict[str, str], tmp_path: Path, *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: repr(getattr(settings, name, None)) for name in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "ENV_FILE": str(tmp_path / "none.env"),
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "movierec.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_are_safe(tmp_path):
    values = settings_of(
        PRODUCTION,
        tmp_path,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "EMAIL_BACKEND",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_SECURE",
    )

    assert values["SECURE_SSL_REDIRECT"] == "True"
    assert int(values["SECURE_HSTS_SECONDS"]) >= 31_536_000
    assert "smtp" in values["EMAIL_BACKEND"]  # never a password-reset link in a log
    assert values["SECURE_PROXY_SSL_HEADER"] == "None"  # X-Forwarded-Proto is a client's header unless a proxy sets it
    assert values["SESSION_COOKIE_SECURE"] == "True"


def test_a_proxy_that_sets_forwarded_proto_is_trusted_only_when_configured(tmp_path):
    values = settings_of({**PRODUCTION, "PROXY_SETS_FORWARDED_PROTO": "true"}, tmp_path, "SECURE_PROXY_SSL_HEADER")

    assert values["SECURE_PROXY_SSL_HEADER"] == repr(("HTTP_X_FORWARDED_PROTO", "https"))


def test_check_deploy_is_clean_with_the_production_variables_of_env_example(tmp_path):
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    # The example's database and Redis may not run here; check --deploy looks at settings, not at servers.
    env = {**example, **PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MODEL_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ENV_FILE": str(tmp_path / "none.env"), "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(("threshold", "options"), [(None, {"server_side_binding": True, "prepare_threshold": 5}),
                                                    ("0", {})])  # fmt: skip
def test_on_postgresql_recurring_statements_are_prepared_unless_turned_off(tmp_path, threshold, options):
    env = {**PRODUCTION, "DATABASE_URL": "postgres://app@db.example.org:5432/movierec"}
    if threshold is not None:
        env["DB_PREPARE_THRESHOLD"] = threshold

    values = settings_of(env, tmp_path, "DATABASES")

    assert ast.literal_eval(values["DATABASES"])["default"].get("OPTIONS", {}) == options


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only the PostgreSQL settings prepare statements; SQLite (make demo, no services) has no such setting",
)
def test_a_statement_run_on_every_api_call_is_planned_once_per_connection(user, api_as):
    client = api_as(user)
    for _ in range(6):
        assert client.get("/api/v1/me/").status_code == 200

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]

    assert any("accounts_devicetoken" in statement for statement in prepared), prepared


def test_with_redis_url_set_but_redis_down_the_process_still_uses_redis(tmp_path):
    # Given Redis configured but not answering when the process starts
    values = settings_of({**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:1/0"}, tmp_path, "CELERY_BROKER_URL", "CACHES")

    # Then there is no quiet second broker: the process keeps to Redis, and recovers when it returns
    assert values["CELERY_BROKER_URL"] == repr("redis://127.0.0.1:1/0")
    assert "django_redis" in values["CACHES"]
    assert not (tmp_path / "broker").exists()


def test_only_without_redis_url_is_the_embedded_broker_used(tmp_path):
    values = settings_of(PRODUCTION, tmp_path, "CELERY_BROKER_URL")

    assert values["CELERY_BROKER_URL"] == repr("filesystem://localhost//")


def test_the_embedded_broker_connects_without_kombus_no_hostname_warning(tmp_path):
    # Given no REDIS_URL (make demo on a laptop), when a process opens the broker as a worker or a publisher does
    code = (
        "import logging, django; logging.basicConfig(); django.setup(); from movierec.celery import app; "
        "connection = app.connection_for_write(); print(connection.info()['transport']); connection.release()"
    )
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": str(tmp_path / "none.env"), "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "movierec.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    # Then it reaches the embedded transport, and logs nothing about a missing hostname
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("filesystem")
    assert "No hostname" not in result.stderr


def directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy header as {directive: its sources}; the header's order is not fixed."""
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")

    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    # and the pages themselves have no inline script the policy would block
    assert b"<script>" not in response.content


@pytest.mark.django_db
def test_the_api_docs_run_no_inline_script_and_only_they_may_style_inline(client):
    docs = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    policy = directives(docs.headers["Content-Security-Policy"])
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["script-src"] == "'self'"
    assert b"<script>" not in docs.content  # the split view serves Swagger UI's setup as a file of our own
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert directives(client.get("/accounts/login/").headers["Content-Security-Policy"])["style-src"] == "'self'"
