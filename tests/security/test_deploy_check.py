"""Production settings pass Django's deployment checklist and refuse to start without a secret key."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PRODUCTION", "DJANGO_SETTINGS_MODULE",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"PRODUCTION": "1", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "helpdesk.example.com", "DJANGO_SETTINGS_MODULE": "helpdesk.settings"})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_with_production_settings():
    # given production settings; when Django's deployment checks run
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())

    # then none fails and none warns
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_production_settings_turn_on_https_only_cookies_hsts_and_csp():
    # given production settings; when they are loaded
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_CONTENT_TYPE_NOSNIFF, "
            "'csp.middleware.CSPMiddleware' in s.MIDDLEWARE, 'axes.middleware.AxesMiddleware' in s.MIDDLEWARE)")
    result = run(["-c", code], production_env())

    # then every deploy-time guarantee is on
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "True", "True", "True"]


def test_production_refuses_to_start_without_secret_key():
    # given production without SECRET_KEY; when Django starts
    result = run(["-c", "import django; django.setup()"], production_env(SECRET_KEY=None))

    # then it stops with ImproperlyConfigured naming the setting
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_the_development_secret_key():
    from helpdesk import settings as project_settings

    result = run(["-c", "import django; django.setup()"],
                 production_env(SECRET_KEY=project_settings._DEV_SECRET))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_a_short_or_published_secret_key():
    # given production with a key Django only warns about (W009) or one copied from a template
    for weak in ("short-but-not-empty-key", "x" * 60, "django-insecure-" + "a1b2c3d4" * 7):
        result = run(["-c", "import django; django.setup()"], production_env(SECRET_KEY=weak))

        # then it does not start
        assert result.returncode != 0, weak
        assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_outbound_allowed_networks_must_be_networks():
    result = run(["-c", "import django; django.setup()"],
                 production_env(OUTBOUND_ALLOWED_NETWORKS="10.0.0.0/8,intranet"))

    assert result.returncode != 0
    assert "OUTBOUND_ALLOWED_NETWORKS" in result.stderr
