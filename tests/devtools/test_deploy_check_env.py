"""The environment `make deploy-check` gives its production containers: fresh generated secrets
that production's start-up accepts, and the sandbox container as an allowed carrier host (the
only one besides the carriers' own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tms_gateway.devtools.deploy_check import ROOT, SANDBOX_URL, _env_file
from tms_gateway.settings.secret_checks import secret_problems


def _read(path: Path) -> dict[str, str]:
    # Compose and `docker run --env-file` take each line's value literally.
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_the_generated_secrets_pass_productions_checks(tmp_path: Path) -> None:
    env = _read(_env_file(tmp_path, "pw-0123456789abcdef"))

    assert (
        secret_problems(
            secret_key=env["DJANGO_SECRET_KEY"],
            field_encryption_keys=env["FIELD_ENCRYPTION_KEYS"].split(","),
            ksa_signing_keys=env["KSA_SIGNING_KEYS"].split(","),
            metrics_token=env["METRICS_TOKEN"],
            database_url=env["DATABASE_URL"],
            redis_url=env["REDIS_URL"],
        )
        == []
    )


def test_production_settings_start_with_it_and_allow_the_sandbox_container(
    tmp_path: Path,
) -> None:
    env = _read(_env_file(tmp_path, "pw-0123456789abcdef"))
    code = (
        "from carriers.hosts import carrier_host_refusal as r; "
        f"print(repr(r('postnord', '{SANDBOX_URL}/postnord')), "
        "repr(r('postnord', 'http://127.0.0.1:8090/postnord')))"
    )
    inherited = {k: v for k, v in os.environ.items() if k not in env and k != "CARRIER_SANDBOX_URL"}

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    allowed, local = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert allowed == "''"
    assert local.startswith("'http://127.0.0.1:8090 is not an allowed host for PostNord")
