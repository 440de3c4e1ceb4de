"""Production settings refuse to run without their secrets and never seed the demo shop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "tms_gateway.settings.production",
    # Generated values: production refuses placeholders and low-entropy keys.
    "DJANGO_SECRET_KEY": "Vb3Qn8zK1wR6tY0mX4cJ7hL2pF9sD5gA-eUiOoZaWqErTyHnMkPl",
    "FIELD_ENCRYPTION_KEYS": "q7Vw0bGk3Yt9XyN2cJm5RzL8pD1sF4hA6uE0iO3nB2M=",
    "KSA_SIGNING_KEYS": "p1:Xk4vR9mQ2wZ7tB1nH8jL3pF6sD0gYaCeUiOo",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tms_gateway",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DJANGO_ALLOWED_HOSTS": "gateway.example.com",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_never_seeds_the_demo_shop() -> None:
    result = _manage("seed_demo", env=PRODUCTION_ENV)

    assert result.returncode == 1
    assert "DEMO_SEED_ENABLED" in result.stderr


def test_production_refuses_to_start_without_its_secrets() -> None:
    for missing in ("DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "KSA_SIGNING_KEYS", "REDIS_URL"):
        env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
        result = _manage("check", env=env)
        assert result.returncode != 0
        assert f"{missing} must be set in production" in result.stderr
