"""Building blocks every carrier module of the sandbox uses: requests, responses, routes.

The sandbox's data is deterministic: locations come from ``carriers.static`` (the same points
for the same postal code, every run), so tests can assert exact values and a demo looks real.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
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


#: An A6 page (105 x 148 mm) in points, the size of a parcel label.
LABEL_PAGE = (298, 421)
_LABEL_MARGIN = 20


def _pdf_text(text: str, size: float, width: float) -> bytes:
    """``text`` as a PDF string in WinAnsi (Latin-1) encoding, cut to fit ``width`` points.

    Helvetica's glyphs average about half the font size; a cut line ends with "...".
    """
    fit = max(4, int(width / (size * 0.52)))
    if len(text) > fit:
        text = text[: fit - 3].rstrip() + "..."
    raw = text.encode("latin-1", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _barcode_bars(code: str) -> list[tuple[int, int]]:
    """Bars (offset, width) in modules: barcode-like, from the code's characters, not scannable.

    Start and stop guards, then per character its byte's bits as thin and thick bars.
    """
    bars = [(0, 2), (3, 1)]
    x = 6
    for byte in code.encode("latin-1", errors="replace"):
        for bit in range(4):
            width = 2 if byte >> bit & 1 else 1
            bars.append((x, width))
            x += width + 1 + (byte >> (bit + 4) & 1)
    bars += [(x + 1, 1), (x + 3, 2)]
    return bars


def label_pdf(
    carrier: str,
    tracking: str,
    *,
    recipient: str = "",
    address: Sequence[str] = (),
    lines: Sequence[str] = (),
) -> bytes:
    """A one-page A6 label PDF whose text is drawn on the page, like a carrier's.

    The carrier's name, the recipient's name and address, further ``lines`` (product, routing,
    pieces), a barcode-like block and the tracking number under it, in Helvetica. Built by hand:
    small and valid, with a correct xref table; any PDF reader shows and extracts the text.
    """
    page_width, page_height = LABEL_PAGE
    left = _LABEL_MARGIN
    width = page_width - 2 * _LABEL_MARGIN
    ops: list[bytes] = []

    def text(font: str, size: float, y: float, value: str) -> None:
        if value:
            ops.append(
                f"BT /{font} {size:g} Tf {left} {y:g} Td ".encode()
                + _pdf_text(value, size, width)
                + b" Tj ET"
            )

    y = page_height - _LABEL_MARGIN - 20
    text("F2", 20, y, carrier)
    y -= 12
    ops.append(f"1.5 w {left} {y} m {page_width - left} {y} l S".encode())
    y -= 18
    if recipient or address:
        text("F2", 8, y, "TO")
        y -= 16
        text("F2", 13, y, recipient)
        y -= 15 if recipient else 0
        for line in address:
            if line:
                text("F1", 11, y, line)
                y -= 14
        y -= 6
        ops.append(f"0.5 w {left} {y} m {page_width - left} {y} l S".encode())
        y -= 16
    for line in lines:
        if line and y > 150:
            text("F1", 9, y, line)
            y -= 12
    bars = _barcode_bars(tracking)
    modules = bars[-1][0] + bars[-1][1]
    module = min(1.6, width / modules)
    x0 = left + (width - modules * module) / 2
    bottom = _LABEL_MARGIN + 26
    ops.append(b"0 g")
    ops.extend(
        f"{x0 + offset * module:.2f} {bottom} {bar * module:.2f} 70 re f".encode()
        for offset, bar in bars
    )
    text("F2", 12, _LABEL_MARGIN + 8, tracking)
    stream = b"\n".join(ops) + b"\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_width} {page_height}] ".encode()
        + b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
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
