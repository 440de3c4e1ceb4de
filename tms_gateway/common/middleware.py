"""Request timing (the moment a request reached the gateway), the client's address behind
trusted proxies, and database outages as 503."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


class RequestStartMiddleware:
    """Marks ``request.started_at`` (time.monotonic()); first in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.started_at = time.monotonic()  # type: ignore[attr-defined]
        return self.get_response(request)


def request_started_at(request: HttpRequest) -> float:
    return float(getattr(request, "started_at", time.monotonic()))


def forwarded_client(*, remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The client's address as the outermost of ``trusted_proxies`` proxies saw it.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``; only
    the last ``trusted_proxies`` entries were written by our own proxies, anything before them
    by the client (and may be forged). With no trusted proxy, or fewer entries than proxies,
    the connection's own address stands.
    """
    if trusted_proxies <= 0:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote_addr
    return hops[-trusted_proxies][:64]


class ClientAddressMiddleware:
    """``REMOTE_ADDR`` becomes the real client's address behind TRUSTED_PROXY_COUNT proxies
    (the ingress, a load balancer), so per-address limits (Klarna's /auth, the portal's and the
    admin's sign-in) count clients, not the proxy. 0 (the default) trusts no header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
        if trusted > 0:
            request.META["REMOTE_ADDR"] = forwarded_client(
                remote_addr=str(request.META.get("REMOTE_ADDR") or ""),
                forwarded_for=str(request.META.get("HTTP_X_FORWARDED_FOR") or ""),
                trusted_proxies=trusted,
            )
        return self.get_response(request)


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, set from trusted proxies' headers above."""
    return str(request.META.get("REMOTE_ADDR") or "")


DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """503 with ``Retry-After`` instead of a 500 when the database cannot be reached.

    A database restart or failover is an outage of ours, not a bug in a request: callers get a
    status that says "try again" (Klarna shows the shop's fallback options meanwhile), in the
    shape their API uses, and the log gets one warning line instead of a traceback per request.
    Only connection failures are mapped (``OperationalError``, ``InterfaceError``); any other
    database error is still a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db.utils import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning(
            "database unavailable: %s %s answered 503 (%s)",
            request.method,
            request.path,
            type(exception.__cause__ or exception).__name__,
        )
        message = "The gateway's database is unavailable. Retry shortly."
        response: HttpResponse
        if request.path.startswith("/ksa/"):
            response = JsonResponse(
                {"failure_reason": "service_unavailable", "message": message}, status=503
            )
        elif request.path.startswith("/api/"):
            response = JsonResponse(
                {"code": "service_unavailable", "message": message, "extra": {}}, status=503
            )
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
