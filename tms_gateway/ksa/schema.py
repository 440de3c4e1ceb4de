"""OpenAPI annotations of the KSA callback API (drf-spectacular).

The views answer plain dicts (rendered by functions in ``serializers``), so the response shapes
are described here with inline serializers; request shapes are the real input serializers.
Importing this module registers the bearer security scheme of ``KsaTokenAuthentication``.
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

JSON = "application/json"
AUTH_TYPE = "application/vdn.klarna.shipping.auth-v1+json"
SELECT_TYPE = "application/vdn.klarna.shipping.select_option-v1+json"
TAG = "ksa"


class KsaTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tms_gateway.ksa.authentication.KsaTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "The token answered by POST /ksa/v1/auth (HS256 JWT, valid 1 hour).",
        }


# --- response bodies --------------------------------------------------------------------------

Error = inline_serializer(
    "KsaError",
    {
        "failure_reason": serializers.CharField(
            help_text="A stable code, e.g. malformed_request, shipping_option_not_available."
        ),
        "message": serializers.CharField(help_text="Text for the shopper, in the locale."),
    },
)

Token = inline_serializer("KsaToken", {"token": serializers.CharField(help_text="Bearer JWT.")})

_CarrierProduct = inline_serializer(
    "KsaCarrierProduct", {"identifier": serializers.CharField(), "name": serializers.CharField()}
)
_Address = inline_serializer(
    "KsaAddress",
    {
        name: serializers.CharField(required=False)
        for name in (
            "street_address",
            "street_address2",
            "postal_code",
            "city",
            "region",
            "country",
        )
    },
)
_Coordinates = inline_serializer(
    "KsaCoordinates", {"lat": serializers.FloatField(), "lng": serializers.FloatField()}
)
_OpeningHours = inline_serializer(
    "KsaOpeningHours",
    {
        "day": serializers.ChoiceField(choices=s.WEEKDAYS),
        "open": serializers.CharField(help_text="HH:MM"),
        "close": serializers.CharField(help_text="HH:MM"),
    },
)
_Location = inline_serializer(
    "KsaLocation",
    {
        "id": serializers.CharField(),
        "name": serializers.CharField(),
        "price": serializers.IntegerField(required=False),
        "address": _Address,
        "coordinates": _Coordinates,
        "distance": serializers.IntegerField(required=False, help_text="Metres."),
        "opening_hours": _OpeningHours,
    },
)
_Location.fields["coordinates"].required = False
_Location.fields["opening_hours"].required = False
_Interval = inline_serializer(
    "KsaInterval",
    {
        "earliest": serializers.IntegerField(required=False),
        "latest": serializers.IntegerField(required=False),
    },
)
_TimeOfDay = inline_serializer(
    "KsaTimeOfDay", {"earliest": serializers.CharField(), "latest": serializers.CharField()}
)
_DeliveryTime = inline_serializer(
    "KsaDeliveryTime",
    {
        "interval": _Interval,
        "cutoff": serializers.CharField(required=False, help_text="HH:MM"),
        "time_of_day": _TimeOfDay,
    },
)
_Timeslot = inline_serializer(
    "KsaTimeslot",
    {
        "id": serializers.CharField(),
        "start": serializers.DateTimeField(),
        "end": serializers.DateTimeField(),
        "cutoff": serializers.DateTimeField(required=False),
        "price": serializers.IntegerField(required=False),
    },
)
_OfferedAddon = inline_serializer(
    "KsaOfferedAddon",
    {
        "id": serializers.CharField(),
        "type": serializers.CharField(),
        "name": serializers.CharField(required=False),
        "price": serializers.IntegerField(),
        "preselected": serializers.BooleanField(),
        "required": serializers.BooleanField(),
        "max_length": serializers.IntegerField(required=False),
    },
)
_KSA_TYPES = sorted(set(s.KSA_TYPE.values()))
_METHODS = sorted(set(s.SHIPPING_METHOD.values()))
_common_option_fields: dict[str, serializers.Field] = {
    "id": serializers.CharField(),
    "name": serializers.CharField(),
    "type": serializers.ChoiceField(choices=_KSA_TYPES),
    "shipping_method": serializers.ChoiceField(choices=_METHODS),
    "carrier": serializers.CharField(
        help_text="Klarna's carrier value as the carrier declares it (postnord, budbee, "
        "budbee-box, instabox, dhl, bring; KLARNA_CARRIER_VALUES overrides it); generic for "
        "the shop's own options."
    ),
    "class": serializers.CharField(),
    "price": serializers.IntegerField(help_text="Minor units, tax included."),
    "tax_rate": serializers.IntegerField(help_text="Two implied decimals: 2500 = 25 %."),
    "tax_amount": serializers.IntegerField(),
    "carrier_product": _CarrierProduct,
}
_ShippingOption = inline_serializer(
    "KsaShippingOption",
    {
        **_common_option_fields,
        "description": serializers.CharField(required=False),
        "preselected": serializers.BooleanField(),
        "delivery_time": _DeliveryTime,
        "locations": serializers.ListField(child=_Location, required=False),
        "timeslots": serializers.ListField(child=_Timeslot, required=False),
        "addons": serializers.ListField(child=_OfferedAddon, required=False),
    },
)
ShippingOptions = inline_serializer(
    "KsaShippingOptions", {"shipping_options": serializers.ListField(child=_ShippingOption)}
)

_SelectedLocation = inline_serializer(
    "KsaSelectedLocation",
    {
        "id": serializers.CharField(),
        "name": serializers.CharField(),
        "address": _Address,
        "coordinates": _Coordinates,
    },
)
_SelectedLocation.fields["coordinates"].required = False
_SelectedTimeslot = inline_serializer(
    "KsaSelectedTimeslot",
    {
        "id": serializers.CharField(),
        "start": serializers.DateTimeField(),
        "end": serializers.DateTimeField(),
    },
)
_SelectedAddon = inline_serializer(
    "KsaSelectedAddon",
    {
        "id": serializers.CharField(),
        "type": serializers.CharField(),
        "price": serializers.IntegerField(),
        "data": inline_serializer(
            "KsaSelectedAddonData",
            {"selected": serializers.BooleanField(), "text": serializers.CharField()},
        ),
    },
)
_SelectedOption = inline_serializer(
    "KsaSelectedShippingOption",
    {
        **_common_option_fields,
        "location": _SelectedLocation,
        "timeslot": _SelectedTimeslot,
        "addons": serializers.ListField(child=_SelectedAddon, required=False),
    },
)
_SelectedOption.fields["location"].required = False
_SelectedOption.fields["timeslot"].required = False
Shipment = inline_serializer(
    "KsaShipment",
    {
        "shipment_id": serializers.CharField(),
        "status": serializers.ChoiceField(
            choices=["reserved", "confirmed", "booking", "booked", "failed", "expired", "cancelled"]
        ),
        "selected_shipping_option": _SelectedOption,
        "tracking_number": serializers.CharField(required=False),
        "tracking_uri": serializers.CharField(required=False),
        "shipping_company": serializers.CharField(required=False),
    },
)

# --- responses ----------------------------------------------------------------------------------

UNAUTHORIZED = OpenApiResponse(
    description=(
        "Missing, invalid or expired credentials or token. Empty body; "
        'header `WWW-Authenticate: Bearer realm="ksa"`. Klarna runs /auth again.'
    )
)


def _error(description: str, code: str) -> OpenApiResponse:
    return OpenApiResponse(
        Error,
        description=description,
        examples=[
            OpenApiExample(
                code,
                value={"failure_reason": code, "message": "…"},
                response_only=True,
            )
        ],
    )


BAD_REQUEST = _error(
    "Refused: malformed body (the message names the field), unsupported currency, option, "
    "location, timeslot, recipient or add-on not acceptable.",
    "malformed_request",
)
TOO_LARGE = _error("The body is larger than 1 MiB.", "payload_too_large")
NOT_FOUND = _error("No such shipment for this merchant.", "shipment_not_found")
CONFLICT = _error("The shipment's state does not allow this change.", "invalid_transition")
GONE = _error(
    "The reservation expired (not confirmed within 1 hour of its last POST/PUT).",
    "reservation_expired",
)

CONFIRM_RECORDED = OpenApiResponse(
    inline_serializer(
        "KsaConfirmRecorded",
        {"shipment_id": serializers.CharField(), "message": serializers.CharField()},
    ),
    description=(
        "The database is unreachable: the confirm is recorded and applied once it is back "
        "(Klarna sends a confirm once and ignores the answer, so it is never refused for an "
        "outage of ours)."
    ),
)

SHIPMENT_ID = OpenApiParameter(
    "shipment_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The shipment_id answered by POST /shipment.",
)


def _location(*statuses: int) -> OpenApiParameter:
    return OpenApiParameter(
        "Location",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="/ksa/v1/shipment/{shipment_id}",
        response=list(statuses),
    )


def _both(status: int, body: Any, vdn: str) -> dict[Any, Any]:
    """A JSON body answered as application/json or as the request's vdn type."""
    return {(status, JSON): body, (status, vdn): body}


def _errors(vdn: str, **statuses: OpenApiResponse) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for status, response in statuses.items():
        out.update(_both(int(status.lstrip("s")), response, vdn))
    return out


# --- per operation ------------------------------------------------------------------------------

auth_schema = extend_schema(
    operation_id="auth",
    tags=[TAG],
    summary="Get a bearer token",
    description=(
        "Klarna proves it holds the merchant's key: `digest` is the hex SHA-256 of nonce + key "
        "(case-insensitive). A nonce is accepted once per identifier within the token's "
        "lifetime (1 hour). Unauthenticated. Failed calls are limited per client address and "
        "identifier: over the limit a failure answers 429 with `Retry-After`; a correct digest "
        "is always accepted."
    ),
    auth=[],
    request={JSON: s.AuthIn, AUTH_TYPE: s.AuthIn},
    responses={
        **_both(201, Token, AUTH_TYPE),
        **_errors(AUTH_TYPE, s400=BAD_REQUEST, s413=TOO_LARGE),
        401: UNAUTHORIZED,
    },
)

shippingoptions_schema = extend_schema(
    operation_id="shippingoptions",
    tags=[TAG],
    summary="List shipping options for the session",
    description=(
        "Only `currency` and `locale` are required; unknown fields are ignored. Answers within "
        "the checkout deadline (1.5 s by default) whatever the carriers do."
    ),
    request={JSON: s.SessionIn, SELECT_TYPE: s.SessionIn},
    responses={
        **_both(200, ShippingOptions, SELECT_TYPE),
        **_errors(SELECT_TYPE, s400=BAD_REQUEST, s413=TOO_LARGE),
        401: UNAUTHORIZED,
    },
)

shipment_create_schema = extend_schema(
    operation_id="postshipment",
    tags=[TAG],
    summary="Reserve the selected shipping option",
    description=(
        "Needs `session_id` and `selected_shipping_option`. A repeated POST for the same session "
        "answers 201 with the same shipment_id and replaces the selection."
    ),
    request={JSON: s.SelectionSessionIn, SELECT_TYPE: s.SelectionSessionIn},
    parameters=[_location(201)],
    responses={
        **_both(201, Shipment, SELECT_TYPE),
        **_errors(SELECT_TYPE, s400=BAD_REQUEST, s409=CONFLICT, s413=TOO_LARGE),
        401: UNAUTHORIZED,
    },
)

shipment_get_schema = extend_schema(
    operation_id="getshipment",
    tags=[TAG],
    summary="Read a shipment",
    parameters=[SHIPMENT_ID],
    responses={
        200: Shipment,
        401: UNAUTHORIZED,
        404: NOT_FOUND,
    },
)

shipment_update_schema = extend_schema(
    operation_id="putshipment",
    tags=[TAG],
    summary="Update the reservation",
    request={JSON: s.SelectionSessionIn, SELECT_TYPE: s.SelectionSessionIn},
    parameters=[SHIPMENT_ID, _location(200)],
    responses={
        **_both(200, Shipment, SELECT_TYPE),
        **_errors(
            SELECT_TYPE,
            s400=BAD_REQUEST,
            s404=NOT_FOUND,
            s409=CONFLICT,
            s410=GONE,
            s413=TOO_LARGE,
        ),
        401: UNAUTHORIZED,
    },
)

shipment_confirm_schema = extend_schema(
    operation_id="shipmentconfirm",
    tags=[TAG],
    summary="Confirm the reservation (the purchase went through)",
    description=(
        "No request body. Idempotent: a confirmed shipment answers 200 again, whoever confirmed "
        "it first (Klarna, the shop's order flow through the merchant API, or the gateway "
        "reading Klarna's checkout order). A confirm is proof of purchase, so it books a "
        "reservation that has already expired too. While the gateway's database is "
        "unreachable, a confirm with a valid token is recorded and answered 202; it is applied "
        "(and the booking queued) once the database is back."
    ),
    request=None,
    parameters=[SHIPMENT_ID, _location(200)],
    responses={
        200: Shipment,
        202: CONFIRM_RECORDED,
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        409: CONFLICT,
    },
)
