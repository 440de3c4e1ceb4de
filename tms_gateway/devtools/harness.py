"""The process harness of the developer tools (``make bench``, ``make faults``): the
gateway's and the carrier sandbox's processes, free ports, ``manage.py``, the children's
environment and the sandbox's control API."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"

# Our own PostgreSQL and Redis: the children's by default (the bench's database, BENCH_DATABASE,
# default tms_gateway_bench; Redis db 13).
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "tms_gateway_bench")
DATABASE_URL = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{BENCH_DATABASE}"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: Redis dbs of their own: BENCH_REDIS_DB for the bench's servers (13), BENCH_COMPUTED_REDIS_DB
#: (12) for the gunicorn of options_computed, so that its carrier cache is not the others'.
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))
COMPUTED_REDIS_DB = int(os.environ.get("BENCH_COMPUTED_REDIS_DB", "12"))
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
COMPUTED_REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{COMPUTED_REDIS_DB}"
SETTINGS_MODULE = "tms_gateway.settings.local"
WEB_CONCURRENCY = 2
GUNICORN_THREADS = 16

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


class BenchError(RuntimeError):
    """The bench cannot run (a service down, a server that does not start); the text says why."""


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(
    *,
    web_port: int,
    sandbox_port: int,
    database_url: str = DATABASE_URL,
    redis_url: str = REDIS_URL,
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CARRIER_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        HOST="127.0.0.1",
        PORT=str(web_port),
        WEB_CONCURRENCY=str(WEB_CONCURRENCY),
        GUNICORN_THREADS=str(GUNICORN_THREADS),
        PYTHONUNBUFFERED="1",
    )
    # local settings default to DEBUG on, which records every SQL query: not what production
    # runs. DJANGO_DEBUG=true in the environment still wins.
    env.setdefault("DJANGO_DEBUG", "false")
    # One demo merchant carries the whole load here: its per-merchant rate limits (sized for a
    # shop's real traffic) would turn the measurement into one of 429s. Set them to measure
    # the limiter itself.
    env.setdefault("KSA_RATE_LIMIT_PER_MINUTE", "0")
    env.setdefault("KSA_RATE_LIMIT_AUTH_PER_MINUTE", "0")
    return env


def text_tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def manage(args: Sequence[str], env: Mapping[str, str]) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        command, cwd=ROOT, env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(
            f"`manage.py {' '.join(args)}` failed ({done.returncode}):\n"
            + text_tail(done.stdout + done.stderr)
        )
    return done.stdout


def http_get(port: int, path: str, *, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A child server in its own session (Ctrl-C reaches us, not it), output to a log file."""

    def __init__(
        self,
        *,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        port: int,
        ready: str,
        log_path: Path | None = None,
        append: bool = False,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.port = port
        self.ready_path = ready
        self.log_path = log_path or VAR / f"bench-{name}.log"
        #: Append to the log (a restarted server keeps the log of the one before it).
        self.append = append
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab" if self.append else "wb")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv of our own tools
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        assert self.proc is not None
        limit = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < limit:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited ({self.proc.returncode}) before answering; "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = http_get(self.port, self.ready_path, timeout=1.0)
                if status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(
            f"{self.name} did not answer {self.ready_path} within {READY_TIMEOUT_SECONDS:g} s; "
            f"{self.log_path}:\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        try:
            return text_tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after a while; then no member is left."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            with contextlib.suppress(ProcessLookupError):  # workers the master left behind
                os.killpg(proc.pid, signal.SIGKILL)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


@contextlib.contextmanager
def servers_running(servers: Sequence[Server]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        for server in servers:
            server.wait_ready()
        yield


class Sandbox:
    """The carrier sandbox's control API."""

    def __init__(self, port: int) -> None:
        self.port = port

    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, f"/_sandbox{path}", payload, headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise BenchError(f"carrier sandbox {method} {path}: {exc}") from exc
        finally:
            conn.close()
        if response.status != 200:
            raise BenchError(f"carrier sandbox {method} {path}: HTTP {response.status} {data!r}")
        return json.loads(data)

    def request_counts(self) -> dict[str, int]:
        stats = self.control("GET", "/stats")
        return {str(k): int(v) for k, v in (stats.get("requests") or {}).items()}

    def faults_clear(self) -> None:
        self.control("DELETE", "/faults")


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM: stop the servers like Ctrl-C does
