"""The merchant API (``/api/v1/``): the shop's own systems, one APIView per endpoint.

A shop authenticates with a bearer token it issued in the portal; everything it reads or
changes is its own (another shop's order id is not found, like an unknown one). Refusals are
``{code, message, extra}``. Order of refusals: an oversize body (413), authentication (401),
the rate limit per token (429), then the request itself (400, 404, 409).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from merchants.models import Merchant, MerchantApiToken
from tms_gateway.common.errors import ApplicationError, NotFound
from tms_gateway.common.throttling import FixedWindowThrottle
from tms_gateway.ops import metrics
from tms_gateway.shipments.models import ConfirmSource
from tms_gateway.shipments.services import (
    shipment_confirm_by_order,
    shipment_expire_if_stale,
    shipment_get_by_order,
)

from . import serializers as s
from .authentication import HasMerchantApiToken, MerchantTokenAuthentication
from .schema import order_confirm_schema, order_shipment_schema, shipments_list_schema
from .selectors import merchant_shipments

#: A confirm's body is a reference at most; nothing legitimate comes near this.
MAX_BODY_BYTES = 16 * 1024
#: ShipmentEvent.actor's length.
_ACTOR_MAX_LENGTH = 100


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"


class ApiTokenThrottle(FixedWindowThrottle):
    """MERCHANT_API_RATE_LIMIT_PER_MINUTE calls per API token."""

    scope = "api"

    def limit(self) -> int:
        return int(settings.MERCHANT_API_RATE_LIMIT_PER_MINUTE)

    def subject(self, request: Request, view: Any) -> str | None:
        auth = request.auth
        return str(auth.pk) if isinstance(auth, MerchantApiToken) else None


class MerchantApi(APIView):
    authentication_classes = [MerchantTokenAuthentication]
    permission_classes = [HasMerchantApiToken]
    throttle_classes = [ApiTokenThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        super().initial(request, *args, **kwargs)

    @property
    def token(self) -> MerchantApiToken:
        auth = self.request.auth
        if not isinstance(auth, MerchantApiToken):
            raise NotAuthenticated()
        return auth

    @property
    def merchant(self) -> Merchant:
        return self.token.merchant

    @staticmethod
    def order_id(klarna_order_id: str) -> str:
        """The path's order id; one that no shipment can have is not found straight away."""
        order_id = s.order_id_parse(klarna_order_id)
        if order_id is None:
            raise NotFound(
                "No shipment was reserved for this Klarna order.", code="order_not_found"
            )
        return order_id


class OrderConfirmApi(MerchantApi):
    @order_confirm_schema
    def post(self, request: Request, klarna_order_id: str) -> Response:
        merchant_reference = s.order_confirm_parse(request.data)
        outcome = shipment_confirm_by_order(
            merchant=self.merchant,
            klarna_order_id=self.order_id(klarna_order_id),
            source=ConfirmSource.SHOP,
            actor=f"shop api: {self.token.name}"[:_ACTOR_MAX_LENGTH],
            merchant_reference=merchant_reference,
        )
        metrics.shipment_confirm_observe(outcome)
        return Response(s.shipment_render(outcome.shipment))


class OrderShipmentApi(MerchantApi):
    @order_shipment_schema
    def get(self, request: Request, klarna_order_id: str) -> Response:
        shipment = shipment_get_by_order(
            merchant=self.merchant, klarna_order_id=self.order_id(klarna_order_id)
        )
        if shipment_expire_if_stale(shipment=shipment):
            metrics.reservation_expired_observe(attention=True)
        return Response(s.shipment_render(shipment))


class ShipmentListApi(MerchantApi):
    @shipments_list_schema
    def get(self, request: Request) -> Response:
        query = s.shipment_list_parse(request.query_params)
        limit, offset = int(query["limit"]), int(query["offset"])
        rows = merchant_shipments(
            merchant=self.merchant, needs_attention=query.get("needs_attention")
        )
        count = rows.count()
        page = list(rows[offset : offset + limit])
        url = request.build_absolute_uri()
        following = offset + limit
        previous: str | None = None
        if offset > 0:
            previous = replace_query_param(url, "offset", max(0, offset - limit))
            if offset - limit <= 0:
                previous = remove_query_param(previous, "offset")
        data = {
            "count": count,
            "limit": limit,
            "offset": offset,
            "next": replace_query_param(url, "offset", following) if following < count else None,
            "previous": previous,
            "results": page,
        }
        return Response(s.ShipmentPageOut(data).data)
