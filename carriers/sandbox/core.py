"""Building blocks every carrier module of the sandbox uses: requests, responses, routes.

The sandbox's data is deterministic: locations come from ``carriers.static`` (the same points
for the same postal code, every run), so tests can assert exact values and a demo looks real.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class SandboxRequest:
    method: str
    path: str  # below the carrier prefix, e.g. "/rest/businesslocation/v5/servicepoints/ids"
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def param(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @classmethod
    def build(
        cls, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> SandboxRequest:
        return cls(
            method=method.upper(),
            path=path,
            query=parse_qs(query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )


@dataclass
class SandboxResponse:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode()


Handler = Callable[[SandboxRequest, re.Match[str]], SandboxResponse]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class BookingLedger:
    """Live bookings made in the sandbox, counted per carrier and booking reference: a count
    of 2 is a double booking; a booking cancelled at the carrier no longer counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._records: dict[tuple[str, str], dict[str, Any]] = {}
        self._sequence = 0

    def record(self, carrier: str, reference: str, data: dict[str, Any]) -> int:
        """Count a booking; returns a sequence number for generating ids."""
        with self._lock:
            self._counts[(carrier, reference)] += 1
            self._sequence += 1
            self._records[(carrier, reference)] = data
            return self._sequence

    def cancel(self, carrier: str, reference: str) -> None:
        """A booking of ``reference`` was cancelled at the carrier: it no longer counts (a
        booking cancelled and made again is one booking, not a duplicate)."""
        with self._lock:
            if self._counts[(carrier, reference)] > 0:
                self._counts[(carrier, reference)] -= 1
            if not self._counts[(carrier, reference)]:
                del self._counts[(carrier, reference)]

    def find(self, carrier: str, reference: str) -> dict[str, Any] | None:
        with self._lock:
            return self._records.get((carrier, reference))

    def counts(self) -> dict[str, dict[str, int]]:
        with self._lock:
            out: dict[str, dict[str, int]] = {}
            for (carrier, reference), count in self._counts.items():
                out.setdefault(carrier, {})[reference] = count
            return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._records.clear()
            self._sequence = 0


ledger = BookingLedger()


class CarrierSandbox:
    """One carrier's fake API: its routes, its auth check and its error body shape."""

    def __init__(
        self,
        slug: str,
        *,
        authenticate: Callable[[SandboxRequest], SandboxResponse | None] | None = None,
        error: Callable[[int, str], SandboxResponse] | None = None,
    ) -> None:
        self.slug = slug
        self.routes: list[Route] = []
        self._reset_hooks: list[Callable[[], None]] = []
        self._authenticate = authenticate
        self._error = error

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method.upper(), re.compile(f"^{pattern}$"), handler))
            return handler

        return register

    def on_reset(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Register what clears this carrier's own records when the sandbox is reset."""
        self._reset_hooks.append(hook)
        return hook

    def reset(self) -> None:
        for hook in self._reset_hooks:
            hook()

    def authenticate(self, request: SandboxRequest) -> SandboxResponse | None:
        """None when the request carries the carrier's credentials, else its refusal."""
        return self._authenticate(request) if self._authenticate else None

    def error(self, status: int, message: str) -> SandboxResponse:
        """An error in this carrier's own body shape (used by fault injection too)."""
        if self._error is not None:
            return self._error(status, message)
        return SandboxResponse(status, {"message": message})

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        refusal = self.authenticate(request)
        if refusal is not None:
            return refusal
        path_matched = False
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            path_matched = True
            if route.method == request.method:
                try:
                    return route.handler(request, match)
                except (ValueError, KeyError, TypeError) as exc:
                    return self.error(400, f"Bad request: {exc}")
        if path_matched:
            return self.error(405, f"Method {request.method} not allowed")
        return self.error(404, f"No route for {request.method} {request.path}")


def label_pdf(*lines: str) -> bytes:
    """A one-page PDF with a few lines of text: small, valid, with a correct xref table."""
    text = "".join(
        f"BT /F1 14 Tf 40 {780 - 24 * i} Td ({line.replace('(', '[').replace(')', ']')}) Tj ET\n"
        for i, line in enumerate(lines)
    ).encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 421] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(text)).encode() + b" >>\nstream\n" + text + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
