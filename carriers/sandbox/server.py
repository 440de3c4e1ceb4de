"""The sandbox HTTP server: dispatch to carrier modules, inject faults, expose controls.

Control API (JSON):

* ``POST /_sandbox/faults`` ``{"carrier": "budbee", "latency_ms": 100, "status": 503,
  "malformed": false, "hang": false, "times": null, "path": ""}`` — from now on, requests to
  that carrier (``"*"``: every carrier) (whose path contains ``path``, if given) get the fault; ``times`` limits how many.
  ``"*"`` means the carriers only: a fake of another service (SANDBOX_EXTRA_SERVICES, e.g.
  ``klarna``) gets a fault only when named.
  ``status`` answers in the carrier's own error shape (``429`` adds ``Retry-After: 1``);
  ``malformed`` answers 200 with a broken body; ``hang`` never answers (until the client gives
  up); ``latency_ms`` delays a normal answer.
* ``DELETE /_sandbox/faults`` clears every fault; ``GET /_sandbox/stats`` gives request counts
  per carrier and booking counts per carrier and reference; ``POST /_sandbox/reset`` clears all.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from carriers.registry import adapters

from .core import CarrierSandbox, SandboxRequest, SandboxResponse, ledger

logger = logging.getLogger(__name__)


def _sandboxes() -> dict[str, CarrierSandbox]:
    """The imitation of every configured carrier that declares one (or has one at the usual
    place, ``carriers.sandbox.<slug>``)."""
    found: dict[str, CarrierSandbox] = {}
    for slug, adapter in adapters().items():
        declared = adapter.declaration.sandbox if adapter.declaration is not None else ""
        try:
            sandbox = import_string(declared or f"carriers.sandbox.{slug}.sandbox")
        except ImportError:
            if declared:
                raise
            continue
        found[sandbox.slug] = sandbox
    return found


def _extra_services(carriers: dict[str, CarrierSandbox]) -> dict[str, CarrierSandbox]:
    """Fakes of the other services the gateway calls (Klarna's checkout API), served beside
    the carriers: dotted paths in the SANDBOX_EXTRA_SERVICES setting, so that this package
    needs no import of them."""
    found: dict[str, CarrierSandbox] = {}
    for dotted in getattr(settings, "SANDBOX_EXTRA_SERVICES", ()):
        sandbox = import_string(dotted)
        if sandbox.slug in carriers or sandbox.slug in found:
            raise ImproperlyConfigured(f"sandbox path /{sandbox.slug} is served twice")
        found[sandbox.slug] = sandbox
    return found


CARRIER_SANDBOXES: dict[str, CarrierSandbox] = _sandboxes()
EXTRA_SANDBOXES: dict[str, CarrierSandbox] = _extra_services(CARRIER_SANDBOXES)
SANDBOXES: dict[str, CarrierSandbox] = {**CARRIER_SANDBOXES, **EXTRA_SANDBOXES}
HANG_SECONDS = 120.0
#: A fault for every carrier at once (not the extra services): ``{"carrier": "*", ...}``.
ALL_CARRIERS = "*"


@dataclass
class Fault:
    latency_ms: int = 0
    status: int | None = None
    malformed: bool = False
    hang: bool = False
    times: int | None = None
    path: str = ""


class SandboxState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: dict[str, Fault] = {}
        self.requests: Counter[str] = Counter()
        self.stop = threading.Event()

    def fault_for(self, carrier: str, path: str) -> Fault | None:
        with self._lock:
            self.requests[carrier] += 1
            fault = self.faults.get(carrier)
            if fault is None or (fault.path and fault.path not in path):
                return None
            if fault.times is not None:
                if fault.times <= 0:
                    del self.faults[carrier]
                    return None
                fault.times -= 1
            return Fault(**asdict(fault))

    def set_fault(self, carrier: str, fault: Fault) -> None:
        with self._lock:
            self.faults[carrier] = fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "bookings": ledger.counts(),
                "faults": {c: asdict(f) for c, f in self.faults.items()},
            }

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()
        ledger.reset()
        for sandbox in SANDBOXES.values():
            sandbox.reset()


def sandbox_answer(
    state: SandboxState,
    *,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> SandboxResponse | None:
    """The answer to one request below the sandbox's root (``/<carrier>/...``), faults applied;
    None for a hang (after HANG_SECONDS or the sandbox's stop). Served over HTTP by the server
    and in-process by transport.py."""
    segments = path.split("/", 2)
    head = segments[1] if len(segments) > 1 else ""
    rest = "/" + segments[2] if len(segments) > 2 else "/"
    carrier = SANDBOXES.get(head)
    if carrier is None:
        return SandboxResponse(404, {"message": f"unknown carrier {head!r}"})
    request = SandboxRequest.build(method, rest, query, headers, body)
    fault = state.fault_for(carrier.slug, rest)
    if fault is not None:
        if fault.hang:
            state.stop.wait(HANG_SECONDS)
            return None
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.status is not None:
            response = carrier.error(fault.status, f"Injected fault: HTTP {fault.status}")
            response.status = fault.status
            if fault.status == 429:
                response.headers.setdefault("Retry-After", "1")
            return response
        if fault.malformed:
            return SandboxResponse(200, '{"truncated": [1, 2', content_type="application/json")
    return carrier.dispatch(request)


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's delayed ACK
    # would add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        segments = parts.path.split("/", 2)
        if len(segments) > 1 and segments[1] == "_sandbox":
            rest = "/" + segments[2] if len(segments) > 2 else "/"
            self._send(self._control(self.command, rest, body))
            return
        response = sandbox_answer(
            self.server.state,
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=dict(self.headers),
            body=body,
        )
        if response is None:  # a hang: the client gives up first
            self.close_connection = True
            return
        self._send(response)

    def _control(self, method: str, path: str, body: bytes) -> SandboxResponse:
        state = self.server.state
        if path == "/faults" and method == "POST":
            data = json.loads(body or b"{}")
            carrier = data.pop("carrier", "")
            if carrier != ALL_CARRIERS and carrier not in SANDBOXES:
                return SandboxResponse(400, {"message": f"unknown carrier {carrier!r}"})
            for slug in CARRIER_SANDBOXES if carrier == ALL_CARRIERS else (carrier,):
                state.set_fault(slug, Fault(**data))
            return SandboxResponse(200, state.stats())
        if path == "/faults" and method == "DELETE":
            state.clear_faults()
            return SandboxResponse(200, state.stats())
        if path == "/stats" and method == "GET":
            return SandboxResponse(200, state.stats())
        if path == "/reset" and method == "POST":
            state.reset()
            return SandboxResponse(200, state.stats())
        if path == "/health" and method == "GET":
            return SandboxResponse(
                200,
                {
                    "status": "ok",
                    "carriers": sorted(CARRIER_SANDBOXES),
                    "services": sorted(EXTRA_SANDBOXES),
                },
            )
        return SandboxResponse(404, {"message": f"no control {method} {path}"})

    def _send(self, response: SandboxResponse) -> None:
        payload = response.encoded()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.state = SandboxState()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="carrier-sandbox", daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        self.state.stop.set()
        super().shutdown()
        self.server_close()
