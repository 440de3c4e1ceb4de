"""OpenAPI annotations of the merchant API (drf-spectacular), tag ``merchant``.

Importing this module registers the bearer security scheme ``merchantToken`` of
``MerchantTokenAuthentication``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from . import serializers as s

TAG = "merchant"
SECURITY_SCHEME = "merchantToken"


class MerchantTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tms_gateway.api.authentication.MerchantTokenAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A merchant API token, `tms_<8 hex>_<secret>`, issued by shop staff in the "
                "portal (`/portal/api-tokens/`), shown once, revocable there."
            ),
        }


Error = inline_serializer(
    "ApiError",
    {
        "code": serializers.CharField(help_text="A stable code, e.g. order_not_found."),
        "message": serializers.CharField(help_text="What went wrong, in English."),
        "extra": serializers.DictField(
            help_text="Details; for invalid_request, `fields`: {field: [reasons]}."
        ),
    },
)

SHIPMENT_EXAMPLE = {
    "shipment_id": "3f0c5a4e-8c1b-4f57-9d55-2b7f6f0f2a11",
    "klarna_order_id": "f3392f8b-6116-4073-ab96-e330819e2c07",
    "status": "confirmed",
    "option_id": "postnord-home",
    "carrier": "postnord",
    "carrier_product": "17",
    "confirmed_by": "shop",
    "confirmed_at": "2026-03-02T10:15:00Z",
    "merchant_reference": "10042",
    "needs_attention": False,
    "attention_reason": "",
    "tracking_number": "",
    "tracking_url": "",
}
ATTENTION_EXAMPLE = {
    **SHIPMENT_EXAMPLE,
    "status": "expired",
    "confirmed_by": "",
    "confirmed_at": None,
    "merchant_reference": "",
    "needs_attention": True,
    "attention_reason": "Expired without a confirm from Klarna or the shop: the order may have "
    "been paid. Confirm it by hand if it was, or dismiss this.",
}


def _error(description: str, *examples: tuple[str, str, dict[str, Any]]) -> OpenApiResponse:
    return OpenApiResponse(
        Error,
        description=description,
        examples=[
            OpenApiExample(
                code, value={"code": code, "message": message, "extra": extra}, response_only=True
            )
            for code, message, extra in examples
        ],
    )


UNAUTHORIZED = _error(
    'No bearer token, or an unknown or revoked one. Header `WWW-Authenticate: Bearer realm="api"`.',
    ("not_authenticated", "Authentication credentials were not provided.", {}),
    ("authentication_failed", "The API token is unknown or revoked.", {}),
)
NOT_FOUND = _error(
    "No shipment was reserved for this order id in this shop (another shop's order is not "
    "found either).",
    (
        "order_not_found",
        "No shipment was reserved for Klarna order 'f3392f8b-6116-4073-ab96-e330819e2c07'.",
        {},
    ),
)
_FIELD_REFUSED = (
    "invalid_request",
    "merchant_reference: Not a valid string.",
    {"fields": {"merchant_reference": ["Not a valid string."]}},
)
INVALID_BODY = _error(
    "A field of the wrong type, too long or unknown (invalid_request, the reasons per field in "
    "extra.fields), or a body that is not JSON (malformed_request).",
    _FIELD_REFUSED,
    ("malformed_request", "JSON parse error - Expecting value: line 1 column 1 (char 0)", {}),
)
INVALID_QUERY = _error(
    "A parameter of the wrong type, out of range or unknown; the reasons per parameter in "
    "extra.fields.",
    (
        "invalid_request",
        "limit: Ensure this value is less than or equal to 100.",
        {"fields": {"limit": ["Ensure this value is less than or equal to 100."]}},
    ),
)
CONFLICT = _error(
    "The shipment's state does not allow a confirm (it was cancelled meanwhile).",
    ("shipment_not_modifiable", "The shipment is cancelled.", {}),
)
TOO_LARGE = _error(
    "The body is larger than 16 KiB.",
    ("payload_too_large", "The request body is larger than 16384 bytes.", {}),
)
UNSUPPORTED = _error(
    "A body that is not application/json.",
    ("unsupported_media_type", 'Unsupported media type "text/plain" in request.', {}),
)
RATE_LIMITED = _error(
    "Over MERCHANT_API_RATE_LIMIT_PER_MINUTE calls this minute with this token; retry after "
    "the `Retry-After` seconds.",
    ("rate_limited", "Too many requests; retry after the time in Retry-After.", {}),
)

ORDER_ID = OpenApiParameter(
    "klarna_order_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Klarna's order id (the order_id of the Klarna order the shop created).",
)

order_confirm_schema = extend_schema(
    operation_id="merchant_order_confirm",
    tags=[TAG],
    summary="Confirm the shipment of a Klarna order (the purchase went through)",
    description=(
        "Does what Klarna's own confirm does, for the shop's order flow: Klarna sends its "
        "confirm once, best effort, so the shop confirms too. Idempotent, whoever comes first: "
        "a shipment already confirmed (by Klarna, the shop or the gateway) answers 200 "
        "unchanged, except that a `merchant_reference` is kept when it had none. A confirm is "
        "proof of purchase: it books a reservation that has already expired too, and clears "
        "its needs-attention flag. The body may be empty."
    ),
    parameters=[ORDER_ID],
    request={"application/json": s.OrderConfirmIn},
    examples=[
        OpenApiExample(
            "with a reference", value={"merchant_reference": "10042"}, request_only=True
        ),
        OpenApiExample("empty", value={}, request_only=True),
    ],
    responses={
        200: OpenApiResponse(
            s.ShipmentOut,
            description="The shipment, confirmed; its booking is queued.",
            examples=[OpenApiExample("confirmed", value=SHIPMENT_EXAMPLE, response_only=True)],
        ),
        400: INVALID_BODY,
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        409: CONFLICT,
        413: TOO_LARGE,
        415: UNSUPPORTED,
        429: RATE_LIMITED,
    },
)

order_shipment_schema = extend_schema(
    operation_id="merchant_order_shipment",
    tags=[TAG],
    summary="Read the shipment of a Klarna order",
    description="The shipment reserved for the order (the latest, if the shopper went through "
    "several checkouts).",
    parameters=[ORDER_ID],
    responses={
        200: OpenApiResponse(
            s.ShipmentOut,
            description="The shipment (a reservation past its lifetime is shown expired).",
            examples=[OpenApiExample("booked", value=SHIPMENT_EXAMPLE, response_only=True)],
        ),
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        429: RATE_LIMITED,
    },
)

shipments_list_schema = extend_schema(
    operation_id="merchant_shipments_list",
    tags=[TAG],
    summary="List the shop's shipments (poll those needing attention)",
    description=(
        "`?needs_attention=true` lists the reservations that expired without any confirm while "
        "their order may have been paid, newest first: poll it and confirm the paid ones. "
        "Paginated by `limit` (at most 100) and `offset`; `next` is the following page."
    ),
    parameters=[s.ShipmentListIn],
    responses={
        200: OpenApiResponse(
            s.ShipmentPageOut,
            description="One page of the shop's shipments.",
            examples=[
                OpenApiExample(
                    "needing attention",
                    value={
                        "count": 1,
                        "limit": 50,
                        "offset": 0,
                        "next": None,
                        "previous": None,
                        "results": [ATTENTION_EXAMPLE],
                    },
                    response_only=True,
                )
            ],
        ),
        400: INVALID_QUERY,
        401: UNAUTHORIZED,
        429: RATE_LIMITED,
    },
)
