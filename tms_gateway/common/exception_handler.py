"""The one DRF exception handler: maps errors to the shape of each audience.

Views serving Klarna set ``error_style = "klarna"``: 401 has an empty body, every other 4xx is
``{"failure_reason": code, "message": text}``. Other JSON APIs answer ``{code, message, extra}``.
"""

import math
from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from .errors import ApplicationError

RATE_LIMITED_MESSAGE = "Too many requests; retry after the time in Retry-After."


def _error_parts(exc: Exception) -> tuple[int, str, str, dict[str, Any]] | None:
    if isinstance(exc, ApplicationError):
        return exc.status_code, exc.code, exc.message or exc.code, exc.extra
    if isinstance(exc, RequestDataTooBig):
        return 413, "payload_too_large", "The request body is larger than allowed.", {}
    if isinstance(exc, drf_exceptions.ParseError):
        return 400, "malformed_request", str(exc.detail), {}
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return 415, "unsupported_media_type", str(exc.detail), {}
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return 405, "method_not_allowed", str(exc.detail), {}
    if isinstance(exc, drf_exceptions.NotFound):
        return 404, "not_found", "Not found.", {}
    if isinstance(exc, drf_exceptions.Throttled):
        return 429, "rate_limited", RATE_LIMITED_MESSAGE, {}
    if isinstance(exc, drf_exceptions.APIException):
        return exc.status_code, exc.default_code, str(exc.detail), {}
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    view = context.get("view")
    klarna = getattr(view, "error_style", "") == "klarna"
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        if klarna:
            response = Response(status=401)
            response["WWW-Authenticate"] = 'Bearer realm="ksa"'
            return response
        codes = exc.get_codes()
        response = Response(
            {
                "code": codes if isinstance(codes, str) else exc.default_code,
                "message": str(exc.detail),
                "extra": {},
            },
            status=exc.status_code,
        )
        # The view's authenticator says how to authenticate (DRF sets it before the handler).
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
        return response
    parts = _error_parts(exc)
    if parts is None:
        return None
    status, code, message, extra = parts
    headers = {}
    wait = getattr(exc, "wait", None) if isinstance(exc, drf_exceptions.Throttled) else None
    if wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if klarna:
        return Response(
            {"failure_reason": code, "message": message}, status=status, headers=headers
        )
    return Response(
        {"code": code, "message": message, "extra": extra}, status=status, headers=headers
    )
