"""Guards of the staff admin: a throttled sign-in, and 400 for NUL bytes in its addresses.

Staff accounts issue Klarna keys and read carrier traces, so ``/admin/login/`` has the portal's
sign-in throttle (merchants/portal/throttle.py), in its own scope ``"admin"``: its own counts
and limits (``ADMIN_LOGIN_ATTEMPTS`` per account and per address in
``ADMIN_LOGIN_WINDOW_SECONDS``), so failures in the portal never lock a staff sign-in nor the
other way round. ``admin_login`` is routed before ``admin.site.urls`` (tms_gateway/urls.py)
and wraps ``admin.site.login`` unchanged: once throttled, 429 with ``Retry-After``.

PostgreSQL cannot hold a NUL byte in a text value: a changelist filter or search with one
(``?status=%00``) made psycopg raise, a 500. ``AdminNulQueryMiddleware`` answers 400 instead,
for every page of the admin site, before any query runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.views.decorators.cache import never_cache

from merchants.portal.throttle import (
    login_failure_record,
    login_is_throttled,
    login_success_record,
    login_throttled_response,
)
from tms_gateway.common.middleware import client_address


@never_cache
def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """``admin.site.login``, refused with 429 once the account or the address is throttled."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    username = str(request.POST.get("username", ""))
    address = client_address(request)
    if login_is_throttled(scope="admin", username=username, address=address):
        return login_throttled_response(
            request,
            scope="admin",
            template_name="admin/login_throttled.html",
            context={**admin.site.each_context(request), "title": "Too many attempts"},
        )
    response = admin.site.login(request, extra_context)
    # Django's LoginView answers a valid form with a redirect (the user is then signed in)
    # and an invalid one with the form again.
    if isinstance(response, HttpResponseRedirect) and request.user.is_authenticated:
        login_success_record(scope="admin", username=username)
    else:
        login_failure_record(scope="admin", username=username, address=address)
    return response


def _has_nul(request: HttpRequest, view_kwargs: dict[str, Any]) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in str(value) for value in view_kwargs.values()):
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class AdminNulQueryMiddleware:
    """400 for a page of the admin site whose address (path or query) holds a NUL byte."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or admin.site.name not in match.namespaces:
            return None
        if not _has_nul(request, view_kwargs):
            return None
        return HttpResponseBadRequest(
            "Bad request: the address holds a NUL byte.", content_type="text/plain; charset=utf-8"
        )
