"""The OpenAPI description of the KSA callback API (tag ``ksa``) and the merchant API (tag
``merchant``).

drf-spectacular builds the schema (/api/schema/) and Swagger UI (/api/docs/); the UI's assets
come from drf-spectacular-sidecar, served as our own static files (no CDN).
"""

from typing import Any

# base.py adds these to its INSTALLED_APPS and REST_FRAMEWORK (this module imports no other).
API_APPS: list[str] = ["drf_spectacular", "drf_spectacular_sidecar"]

API_REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "TMS gateway API",
    "DESCRIPTION": (
        "The Klarna Shipping Assistant (KSA) callback API this gateway serves under `/ksa/v1/`: "
        "Klarna calls `POST /auth` with the merchant's identifier and SHA-256(nonce + key) and "
        "gets a bearer JWT (1 hour), then calls the other endpoints with "
        "`Authorization: Bearer <token>`.\n\n"
        "Requests are JSON, sent as `application/json` or one of Klarna's "
        "`application/vdn.klarna.shipping.*+json` types; an answer carries the media type of "
        "its request. Every 4xx except 401 has the body `{failure_reason, message}`; 401 has "
        'an empty body and `WWW-Authenticate: Bearer realm="ksa"`. A body over 1 MiB is '
        "refused with 413 before anything else, then authentication (401), then validation.\n\n"
        "The merchant API under `/api/v1/` is for the shops' own systems: shop staff issue a "
        "token in the portal (`/portal/api-tokens/`, shown once) and call it with "
        "`Authorization: Bearer <token>`. Its main call confirms the shipment of a Klarna "
        "order, as Klarna's own confirm would (Klarna sends that once, best effort). Every "
        "refusal has the body `{code, message, extra}`; 401 also carries "
        '`WWW-Authenticate: Bearer realm="api"`; calls are limited per token '
        "(MERCHANT_API_RATE_LIMIT_PER_MINUTE, then 429 with Retry-After).\n\n"
        "Partner staff have no JSON API: they use the admin; shops also have the portal (HTML)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Both APIs: /ksa/v1/ (Klarna) and /api/v1/ (the shops); every operation names its tag and id.
    "SCHEMA_PATH_PREFIX": r"/(ksa|api)/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": [
        {"name": "ksa", "description": "Klarna Shipping Assistant callback API"},
        {"name": "merchant", "description": "Merchant API: the shop's own order flow"},
    ],
}
