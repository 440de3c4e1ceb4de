"""Content-Security-Policy of the pages people open: the admin, the portal and the API docs.

Only scripts and styles of our own origin run: static files, never an inline ``<script>``, an
``on*=`` handler, a ``style=`` attribute or a ``<style>`` block (security review, issue 13, item
9). Should markup or a value from a carrier or a shop ever reach a page unescaped, the browser
runs none of it. Images may also be ``data:`` URIs (the admin's and Leaflet's icons) and the
checkout preview's map tiles, from the origin of ``MAP_TILE_URL`` (``{s}`` subdomains as
``*``). No page may be framed (as ``X-Frame-Options: DENY``), nor post a form elsewhere.

Scripts that set ``element.style`` (Leaflet, the admin's widgets) are unaffected: the policy
restricts style markup, not the CSS object model.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: The HTML answers under these paths carry the policy. Others are JSON (the APIs) or Django's
#: own debug pages, whose inline styles and scripts the policy would break.
CSP_PATH_PREFIXES = ("/admin/", "/portal/", "/api/docs/")
HEADER = "Content-Security-Policy"


def map_tile_source(tile_url: str) -> str:
    """The CSP source of a Leaflet tile URL template: its scheme and host ("" if none)."""
    parts = urlsplit(tile_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def content_security_policy(*, tile_url: str) -> str:
    img_src = " ".join(filter(None, ["'self'", "data:", map_tile_source(tile_url)]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img_src}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Sets the policy on HTML answers under ``CSP_PATH_PREFIXES`` that have none of their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(CSP_PATH_PREFIXES)
            and response.get("Content-Type", "").startswith("text/html")
            and HEADER not in response
        ):
            response[HEADER] = content_security_policy(tile_url=settings.MAP_TILE_URL)
        return response
