"""Request ids and request metrics; both sit right after RequestStartMiddleware."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from tms_gateway.common.middleware import request_started_at

from . import metrics
from .logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from(value: str | None) -> str:
    """The caller's id when it is sane (≤ 64 of ``[A-Za-z0-9._-]``), else a fresh one."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` (or makes one), puts it on every log record of the request and
    echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        request_finished.connect(_request_id_clear, dispatch_uid="ops-request-id-clear")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Kept until the response is closed (request_finished), not reset on the way out:
        # Django logs 4xx and 5xx answers ("Not Found: ...") after the middleware returns.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _request_id_clear(**kwargs: object) -> None:
    request_id_var.set("-")


class RequestMetricsMiddleware:
    """Latency per Django URL name (namespaced), method and status class."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = request_started_at(request)
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        metrics.http_request_observe(
            endpoint=(match.view_name if match is not None else "") or "",
            method=request.method or "",
            status=response.status_code,
            seconds=time.monotonic() - started,
        )
        return response
