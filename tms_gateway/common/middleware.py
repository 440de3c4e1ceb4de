"""Request timing: the moment a request reached the gateway, for deadlines counted from it."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class RequestStartMiddleware:
    """Marks ``request.started_at`` (time.monotonic()); first in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.started_at = time.monotonic()  # type: ignore[attr-defined]
        return self.get_response(request)


def request_started_at(request: HttpRequest) -> float:
    return float(getattr(request, "started_at", time.monotonic()))
