"""Production refuses placeholder and weak secrets (security review, issue 13, item 7).

Every placeholder the repository ships (deploy/k8s/secret.yaml, .env.example,
deploy/env.production.example, the development and test settings' keys) and short or low-entropy
values stop `manage.py check --deploy` and gunicorn with a message naming the variable; freshly
generated values start."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from cryptography.fernet import Fernet

from tms_gateway.settings.secret_checks import secret_problems

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_YAML = yaml.safe_load((ROOT / "deploy" / "k8s" / "secret.yaml").read_text())["stringData"]


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.strip().startswith("#")}


ENV_EXAMPLE = _env_file(ROOT / ".env.example")
ENV_PRODUCTION_EXAMPLE = _env_file(ROOT / "deploy" / "env.production.example")

#: Freshly generated values, as deploy-check and the runbook make them.
STRONG = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "KSA_SIGNING_KEYS": f"k1:{secrets.token_urlsafe(32)}",
    "METRICS_TOKEN": secrets.token_urlsafe(32),
}
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "tms_gateway.settings.production",
    "DJANGO_ALLOWED_HOSTS": "gateway.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tms_deploy"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
    **STRONG,
}
_SCRUBBED = {
    *PRODUCTION_ENV,
    "DJANGO_DEBUG",
    "DJANGO_SECURE_SSL_REDIRECT",
    "METRICS_REQUIRE_TOKEN",
    "CARRIER_ALLOWED_HOSTS",
    "CARRIER_SANDBOX_URL",
    "CARRIER_BASE_URLS",
    # Set for the whole run once the browser tests have started Playwright; a production
    # process never has it, and `check --deploy` warns about it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
FERNET_HINT = (
    "generate one: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)
SECRET_HINT = "generate one: python -c 'import secrets; print(secrets.token_urlsafe(64))'"


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "manage.py", "check", "--deploy"], {**PRODUCTION_ENV, **overrides})


CASES = [
    # (variable, value, the line production's start-up prints)
    (
        "DJANGO_SECRET_KEY",
        SECRET_YAML["DJANGO_SECRET_KEY"],
        f"DJANGO_SECRET_KEY is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "DJANGO_SECRET_KEY",
        ENV_EXAMPLE["DJANGO_SECRET_KEY"],
        f"DJANGO_SECRET_KEY is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "DJANGO_SECRET_KEY",
        ENV_PRODUCTION_EXAMPLE["DJANGO_SECRET_KEY"],
        f"DJANGO_SECRET_KEY is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "DJANGO_SECRET_KEY",
        "dev-only-insecure-secret-key-change-me",
        f"DJANGO_SECRET_KEY is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "DJANGO_SECRET_KEY",
        "Kq9zR2mW7xT1vB8nH3jL6pF0sD5gY",
        f"DJANGO_SECRET_KEY is too short (29 characters, at least 50): {SECRET_HINT}",
    ),
    (
        "DJANGO_SECRET_KEY",
        "x" * 60,
        "DJANGO_SECRET_KEY has too little entropy (about 0 bits or a repeated pattern, at least "
        f"128 random bits): {SECRET_HINT}",
    ),
    (
        "DJANGO_SECRET_KEY",
        "abcdefghij" * 6,
        "DJANGO_SECRET_KEY has too little entropy (about 199 bits or a repeated pattern, at "
        f"least 128 random bits): {SECRET_HINT}",
    ),
    (
        "FIELD_ENCRYPTION_KEYS",
        SECRET_YAML["FIELD_ENCRYPTION_KEYS"],
        f"FIELD_ENCRYPTION_KEYS entry 1 is a placeholder, not a key: {FERNET_HINT}",
    ),
    (
        "FIELD_ENCRYPTION_KEYS",
        ENV_PRODUCTION_EXAMPLE["FIELD_ENCRYPTION_KEYS"],
        f"FIELD_ENCRYPTION_KEYS entry 1 is a placeholder, not a key: {FERNET_HINT}",
    ),
    (
        # the development settings' key: base64 of readable text
        "FIELD_ENCRYPTION_KEYS",
        f"{Fernet.generate_key().decode()},ZGV2LW9ubHktZmllbGQta2V5LTAwMDAwMDAwMDAwMDA=",
        "FIELD_ENCRYPTION_KEYS entry 2 is typed, not generated (its 32 bytes are readable text "
        f"or repeat): {FERNET_HINT}",
    ),
    (
        "FIELD_ENCRYPTION_KEYS",
        "c2hvcnQta2V5",
        "FIELD_ENCRYPTION_KEYS entry 1 is not a Fernet key (urlsafe base64 of 32 bytes): "
        f"{FERNET_HINT}",
    ),
    (
        "KSA_SIGNING_KEYS",
        SECRET_YAML["KSA_SIGNING_KEYS"],
        "KSA_SIGNING_KEYS entry 1 (kid 'REPLACE-kid') is a placeholder, not a secret: "
        f"{SECRET_HINT}",
    ),
    (
        "KSA_SIGNING_KEYS",
        ENV_PRODUCTION_EXAMPLE["KSA_SIGNING_KEYS"],
        f"KSA_SIGNING_KEYS entry 1 (kid 'k2026a') is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "SHOPPER_HASH_KEYS",
        ENV_PRODUCTION_EXAMPLE["SHOPPER_HASH_KEYS"],
        f"SHOPPER_HASH_KEYS entry 1 (kid 's2026a') is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "SHOPPER_HASH_KEYS",
        SECRET_YAML["SHOPPER_HASH_KEYS"],
        "SHOPPER_HASH_KEYS entry 1 (kid 'REPLACE-kid') is a placeholder, not a secret: "
        f"{SECRET_HINT}",
    ),
    (
        "KSA_SIGNING_KEYS",
        "t1:test-signing-secret-one-0123456789ab",
        f"KSA_SIGNING_KEYS entry 1 (kid 't1') is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "KSA_SIGNING_KEYS",
        "p1:" + "s" * 40,
        "KSA_SIGNING_KEYS entry 1 (kid 'p1') has too little entropy (about 0 bits or a repeated "
        f"pattern, at least 128 random bits): {SECRET_HINT}",
    ),
    (
        "KSA_SIGNING_KEYS",
        f"k2:{secrets.token_urlsafe(32)},k1:Zx81mQ2w",
        "KSA_SIGNING_KEYS entry 2 (kid 'k1') is too short (8 characters, at least 32): "
        f"{SECRET_HINT}",
    ),
    (
        "KSA_SIGNING_KEYS",
        secrets.token_urlsafe(40),
        "KSA_SIGNING_KEYS entry 1 is not kid:secret",
    ),
    (
        "METRICS_TOKEN",
        SECRET_YAML["METRICS_TOKEN"],
        f"METRICS_TOKEN is a placeholder, not a secret: {SECRET_HINT}",
    ),
    (
        "METRICS_TOKEN",
        "metrics",
        f"METRICS_TOKEN is too short (7 characters, at least 32): {SECRET_HINT}",
    ),
    (
        "DATABASE_URL",
        SECRET_YAML["DATABASE_URL"],
        "DATABASE_URL has a placeholder password: set the real one",
    ),
    (
        "REDIS_URL",
        SECRET_YAML["REDIS_URL"],
        "REDIS_URL has a placeholder password: set the real one",
    ),
]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    CASES,
    ids=[f"{case[0]}-{number}" for number, case in enumerate(CASES)],
)
def test_check_deploy_refuses_a_placeholder_or_weak_value(
    variable: str, value: str, message: str
) -> None:
    result = _check_deploy(**{variable: value})

    assert result.returncode == 1
    assert "Production refuses placeholder or weak secrets:" in result.stderr
    refused = re.findall(r"^  (\S.*)$", result.stderr, flags=re.MULTILINE)
    assert refused[-1:] == [message], result.stderr[-2000:]
    if len(value) >= 8 and variable not in ("DATABASE_URL", "REDIS_URL"):
        assert value not in result.stderr  # the message names the variable, never the value


def test_every_problem_is_said_at_once() -> None:
    problems = secret_problems(
        secret_key="change-me",
        field_encryption_keys=[SECRET_YAML["FIELD_ENCRYPTION_KEYS"]],
        ksa_signing_keys=[SECRET_YAML["KSA_SIGNING_KEYS"]],
        metrics_token=SECRET_YAML["METRICS_TOKEN"],
        database_url=SECRET_YAML["DATABASE_URL"],
        redis_url=SECRET_YAML["REDIS_URL"],
    )

    assert [p.split(" ", 1)[0] for p in problems] == [
        "DJANGO_SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "KSA_SIGNING_KEYS",
        "METRICS_TOKEN",
        "DATABASE_URL",
        "REDIS_URL",
    ]


def test_generated_values_are_accepted() -> None:
    for _ in range(200):
        assert (
            secret_problems(
                secret_key=secrets.token_urlsafe(50),
                field_encryption_keys=[Fernet.generate_key().decode() for _ in range(2)],
                ksa_signing_keys=[f"k{n}:{secrets.token_urlsafe(32)}" for n in range(2)],
                metrics_token=secrets.token_hex(32),
                database_url=f"postgres://tms:{secrets.token_urlsafe(16)}@db:5432/tms",
                redis_url="redis://redis:6379/0",
            )
            == []
        )


def test_check_deploy_passes_with_generated_values() -> None:
    result = _check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_forces_the_metrics_token_and_allows_no_sandbox() -> None:
    code = (
        "from django.conf import settings as s; "
        "from carriers.hosts import allowed_hosts; "
        "from carriers.registry import get_adapter; "
        "print(s.METRICS_REQUIRE_TOKEN, "
        "allowed_hosts('postnord', own=get_adapter('postnord').own_hosts()))"
    )
    result = _run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        {**PRODUCTION_ENV, "METRICS_REQUIRE_TOKEN": "false"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "True ('api2.postnord.com', 'atapi2.postnord.com')"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "deploy/gunicorn.conf.py",
            "tms_gateway.wsgi",
        ],
        cwd=ROOT,
        env={**clean, **env, "PORT": str(port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_gunicorn_does_not_start_with_a_placeholder() -> None:
    port = _free_port()
    server = _gunicorn({**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "change-me"}, port)
    try:
        _out, err = server.communicate(timeout=60)
    finally:
        server.kill()

    assert server.returncode == 3  # gunicorn: a worker failed to boot
    assert f"DJANGO_SECRET_KEY is a placeholder, not a secret: {SECRET_HINT}" in err
    assert "Worker failed to boot." in err


def test_gunicorn_starts_with_generated_values() -> None:
    port = _free_port()
    server = _gunicorn(PRODUCTION_ENV, port)
    try:
        status = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/healthz",
                    headers={"Host": "gateway.example.com"},
                    timeout=2,
                )
            except requests.ConnectionError:
                time.sleep(0.2)
                continue
            status = response.status_code
            break
    finally:
        server.terminate()
        server.communicate(timeout=30)

    assert status == 200


def test_production_refuses_the_in_process_carrier_sandbox() -> None:
    result = _check_deploy(
        CARRIER_HTTP_TRANSPORT="carriers.sandbox.transport.InProcessSandboxAdapter"
    )

    assert result.returncode != 0
    assert "CARRIER_HTTP_TRANSPORT is for development and the bench only" in result.stderr
