"""The deployment files: production settings pass `check --deploy`, the manifests parse and
name their probes, the image is multi-stage and runs as a non-root user."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "tms_gateway.settings.production",
    # 50+ characters with many distinct ones: check --deploy's security.W009 looks at both.
    "DJANGO_SECRET_KEY": "deploy-test-4Kq9zR2mW7xT1vB8nH3jL6pF0sD5gY-aZcXeUiOoQw",
    # Generated values: production refuses placeholders and low-entropy keys.
    "FIELD_ENCRYPTION_KEYS": "q7Vw0bGk3Yt9XyN2cJm5RzL8pD1sF4hA6uE0iO3nB2M=",
    "KSA_SIGNING_KEYS": "p1:Xk4vR9mQ2wZ7tB1nH8jL3pF6sD0gYaCeUiOo",
    "DJANGO_ALLOWED_HOSTS": "gateway.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tms_deploy"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
}
# Variables that would change what production settings decide; never inherited from the caller.
_SCRUBBED = {
    *PRODUCTION_ENV,
    "DJANGO_DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_HSTS_SECONDS",
    "CELERY_TASK_ALWAYS_EAGER",
    "DEMO_SEED_ENABLED",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_without_warnings() -> None:
    result = _manage("check", "--deploy", env=PRODUCTION_ENV)
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert "(security." not in output, output
    assert "WARNINGS" not in output, output


def test_production_requires_allowed_hosts() -> None:
    env = {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": ""}
    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_settings_force_the_safe_values() -> None:
    env = {**PRODUCTION_ENV, "CELERY_TASK_ALWAYS_EAGER": "true", "DEMO_SEED_ENABLED": "true"}
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.CELERY_TASK_ALWAYS_EAGER, s.DEMO_SEED_ENABLED, s.LOG_FORMAT)"
    )
    result = _manage("shell", "--verbosity", "0", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "False", "False", "json"]


YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def test_there_are_deployment_yaml_files() -> None:
    names = {path.relative_to(DEPLOY).as_posix() for path in YAML_FILES}
    assert {"docker-compose.yml", "k8s/web.yaml", "k8s/worker.yaml", "k8s/beat.yaml"} <= names
    assert {"k8s/migrate-job.yaml", "k8s/configmap.yaml", "k8s/secret.yaml"} <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_yaml_file_parses(path: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    assert documents


def _k8s(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / "k8s" / name).read_text()) if d]


def _by_kind(name: str, kind: str) -> dict:
    (doc,) = [d for d in _k8s(name) if d["kind"] == kind]
    return doc


def test_web_probes_are_healthz_and_readyz() -> None:
    (container,) = _by_kind("web.yaml", "Deployment")["spec"]["template"]["spec"]["containers"]

    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # The probes' Host header must be an allowed host, or Django answers 400.
    allowed = _by_kind("configmap.yaml", "ConfigMap")["data"]["DJANGO_ALLOWED_HOSTS"].split(",")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in container[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed


def test_web_has_service_and_cpu_autoscaler() -> None:
    assert _by_kind("web.yaml", "Service")["spec"]["ports"][0]["targetPort"] == "http"
    hpa = _by_kind("web.yaml", "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "tms-gateway-web"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_beat_is_a_single_replica_recreated() -> None:
    beat = _by_kind("beat.yaml", "Deployment")

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("web.yaml", "Deployment"),
        ("worker.yaml", "Deployment"),
        ("beat.yaml", "Deployment"),
        ("migrate-job.yaml", "Job"),
    ],
)
def test_workloads_run_as_non_root_with_resources(name: str, kind: str) -> None:
    pod = _by_kind(name, kind)["spec"]["template"]["spec"]

    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
        assert refs == {"tms-gateway", "tms-gateway-secrets"}


def test_secret_template_names_every_secret_with_placeholders() -> None:
    data = _by_kind("secret.yaml", "Secret")["stringData"]

    assert set(data) == {
        "DJANGO_SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "KSA_SIGNING_KEYS",
        "DATABASE_URL",
        "REDIS_URL",
        "METRICS_TOKEN",
        "SHOPPER_HASH_KEYS",
    }
    assert all("REPLACE" in value for value in data.values())


def test_compose_runs_one_beat_after_migrate() -> None:
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]

    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["restart"] == "unless-stopped"
        assert "healthcheck" in services[name]


def test_dockerfile_is_multi_stage_and_non_root() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.MULTILINE | re.IGNORECASE)
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)

    assert len(stages) >= 2, stages
    assert "COPY --from=builder /opt/venv" in text
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert "HEALTHCHECK" in text and "healthcheck" in text
    assert "collectstatic" in text
    assert "DJANGO_SETTINGS_MODULE=tms_gateway.settings.production" in text


def test_dockerfile_copies_files_that_exist() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    for line in re.findall(r"^COPY\s+(?!--from)(.+)$", text, flags=re.MULTILINE):
        *sources, _destination = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def test_entrypoint_knows_every_role() -> None:
    script = DEPLOY / "entrypoint.sh"
    text = script.read_text()

    assert os.access(script, os.X_OK)
    for role in ("web", "worker", "beat", "migrate", "manage", "healthcheck"):
        assert f"  {role})" in text
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    assert "deploy/gunicorn.conf.py" in text
    assert (ROOT / "deploy" / "gunicorn.conf.py").exists()
