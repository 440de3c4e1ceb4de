"""The Klarna Shipping Assistant callback API: one APIView per endpoint.

Each view parses and authenticates, calls one service, and renders the answer. Order of
refusals: an oversize body (413) first, then authentication (401), then validation (4xx).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tms_gateway.checkout.services import options_build
from tms_gateway.common.cache import cache_count, cache_count_and_get
from tms_gateway.common.errors import ApplicationError, NotFound
from tms_gateway.common.middleware import request_started_at
from tms_gateway.common.throttling import FixedWindowThrottle
from tms_gateway.experiments.assign import experiment_assign, shopper_identity
from tms_gateway.insights.recorder import record_answer
from tms_gateway.ops import metrics
from tms_gateway.shipments.confirms import confirm_journal
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.selectors import shipment_get
from tms_gateway.shipments.services import (
    ReservationExpired,
    shipment_confirm_outcome,
    shipment_expire_if_stale,
    shipment_reserve,
    shipment_update,
)

from . import serializers as s
from .answers import answer_get, answer_key, answer_set
from .authentication import (
    IsKsaAuthenticated,
    KsaPrincipal,
    KsaTokenAuthentication,
    bearer_token,
    credential_authenticate,
    token_claims,
    token_issue,
)
from .messages import message_for
from .ratelimit import MerchantRateThrottle, ksa_auth_failure
from .schema import (
    auth_schema,
    shipment_confirm_schema,
    shipment_create_schema,
    shipment_get_schema,
    shipment_update_schema,
    shippingoptions_schema,
)

JSON = "application/json"

# A JSON escape of a UTF-16 surrogate: the only way a lone one gets into a parsed body (raw
# bytes of one are invalid UTF-8, refused by the parser). Pairs match too; the walk tells.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_NAMED_KEY_CHARS = 40


def _printable(name: str) -> str:
    return name[:_NAMED_KEY_CHARS].encode("utf-8", "backslashreplace").decode()


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def lone_surrogate_problem(data: Any, path: str = "") -> str | None:
    """Where a parsed body holds a lone surrogate (not Unicode: it cannot be stored, hashed or
    sent on), as a ``malformed_request`` message naming the field; None when it holds none."""
    if isinstance(data, str):
        if _is_unicode(data):
            return None
        return f"{path or 'body'}: the text is not valid Unicode (it holds a lone surrogate)."
    if isinstance(data, list):
        for index, item in enumerate(data):
            problem = lone_surrogate_problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{_printable(key)}" if path else _printable(key)
            if not _is_unicode(key):
                return f"{name}: the field name is not valid Unicode (it holds a lone surrogate)."
            problem = lone_surrogate_problem(value, name)
            if problem is not None:
                return problem
    return None


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"


class AnyJsonNegotiation(BaseContentNegotiation):
    """Always answer JSON, whatever Accept says (Klarna may ask for its vdn media types)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> None:
        return None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return next(iter(renderers)), JSON


class KsaApi(APIView):
    error_style = "klarna"
    authentication_classes = [KsaTokenAuthentication]
    permission_classes = [IsKsaAuthenticated]
    throttle_classes = [MerchantRateThrottle]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyJsonNegotiation
    parser_classes: list[Any] = []
    locale = ""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge("The request body is larger than 1 MiB.")
        super().initial(request, *args, **kwargs)

    @property
    def principal(self) -> KsaPrincipal:
        auth = self.request.auth
        if not isinstance(auth, KsaPrincipal):
            raise AuthenticationFailed()
        return auth

    def body(self) -> Any:
        """The JSON body. Content-Type is not enforced: Klarna's vdn types are JSON too."""
        try:
            raw = self.request._request.body
        except RequestDataTooBig as exc:
            raise PayloadTooLarge("The request body is larger than 1 MiB.") from exc
        if not raw.strip():
            data: Any = {}
        else:
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                # What orjson refuses and json takes (NaN, integers beyond 64 bits, escaped
                # lone surrogates, found below), and json's own message for the rest.
                try:
                    data = json.loads(raw)
                except (ValueError, RecursionError) as exc:
                    raise s.MalformedRequest(f"The body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise s.MalformedRequest("The body must be a JSON object.")
        if _SURROGATE_ESCAPE.search(raw):
            problem = lone_surrogate_problem(data)
            if problem is not None:
                raise s.MalformedRequest(problem)
        locale = data.get("locale")
        if isinstance(locale, str):
            self.locale = locale
        return data

    def respond(self, data: Any, *, status: int = 200, **headers: str) -> Response:
        response = Response(data, status=status, content_type=self.response_media_type())
        for name, value in headers.items():
            response[name] = value
        return response

    def response_media_type(self) -> str:
        sent = self.request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        return sent if sent.startswith("application/vdn.klarna.shipping.") else JSON

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApplicationError) and self.locale:
            text = message_for(code=exc.code, locale=self.locale)
            if text is not None:
                exc.message = text
        response = super().handle_exception(exc)
        if response.status_code != 401:
            response["Content-Type"] = self.response_media_type()
        return response

    def shipment_or_404(self, shipment_id: str) -> Shipment:
        shipment = shipment_get(merchant=self.principal.merchant, shipment_id=shipment_id)
        if shipment is None:
            raise NotFound("No such shipment.", code="shipment_not_found")
        return shipment

    def location_of(self, shipment: Shipment) -> str:
        return reverse("ksa:shipment-detail", kwargs={"shipment_id": str(shipment.public_id)})


class AuthApi(KsaApi):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @auth_schema
    def post(self, request: Request) -> Response:
        identifier, nonce, digest = s.auth_parse(self.body())
        result = credential_authenticate(identifier=identifier, nonce=nonce, digest=digest)
        if result.credential is None:
            # Counted only here: a correct digest is never refused for others' failures.
            ksa_auth_failure(
                view=self, request=request, identifier=identifier, reason=result.failure
            )
            raise AuthenticationFailed()
        token = token_issue(credential=result.credential, key=result.key)
        return self.respond({"token": token}, status=201)


class ShippingOptionsApi(KsaApi):
    def check_throttles(self, request: Request) -> None:
        """Deferred to :meth:`post`: the merchant's count and the answer cache's lookup go to
        Redis in one round trip."""

    def counted_answer_get(self, request: Request, key: str) -> bytes | None:
        """Count this call against the throttles (429 over a limit) and read the answer
        cached under ``key``: one round trip for both."""
        lookup = settings.CHECKOUT_ANSWER_CACHE_SECONDS > 0
        found: Any = None
        for throttle in self.get_throttles():
            counter = None
            if isinstance(throttle, FixedWindowThrottle):
                counter = throttle.counter(request, self)
            if counter is None or not isinstance(throttle, FixedWindowThrottle):
                if not throttle.allow_request(request, self):
                    raise Throttled(wait=throttle.wait())
                continue
            count_key, timeout, now = counter
            if lookup:
                count, found = cache_count_and_get(count_key, timeout=timeout, get_key=key)
                lookup = False
            else:
                count = cache_count(count_key, timeout=timeout)
            if not throttle.allowed(count, now):
                raise Throttled(wait=throttle.wait())
        if lookup:
            return answer_get(key)
        return found if isinstance(found, bytes) else None

    @shippingoptions_schema
    def post(self, request: Request) -> HttpResponse:
        try:
            body = self.body()
        except ApplicationError:
            super().check_throttles(request)  # over a limit, 429 comes first, as elsewhere
            raise
        merchant = self.principal.merchant
        # Before the cache: sessions share kept answers, so the variant is part of the key.
        recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
        assignment = experiment_assign(
            merchant_id=merchant.pk,
            session_id=str(body.get("session_id") or ""),
            identity=lambda: shopper_identity(
                merchant=merchant,
                email=str(recipient.get("email") or ""),
                phone=str(recipient.get("phone") or ""),
                country=str(recipient.get("country") or ""),
            ),
        )
        key = answer_key(
            merchant_id=merchant.pk,
            body=body,
            variant=f"{assignment.experiment_id}:{assignment.variant}" if assignment else "",
        )
        payload = self.counted_answer_get(request, key)
        if payload is None:
            session = s.session_parse(body)
            result = options_build(
                merchant=merchant,
                session=session,
                started_at=request_started_at(request._request),
                assignment=assignment,
            )
            payload = orjson.dumps(s.shipping_options_render(result))  # compact UTF-8 bytes
            if all(c.ok for c in result.carriers):
                answer_set(key, payload)
            record_answer(merchant_id=merchant.pk, session=session, result=result)
        else:  # the kept bytes are recorded as they are, read once stored (insights)
            record_answer(
                merchant_id=merchant.pk,
                session_id=str(body.get("session_id") or ""),
                payload=payload,
                assignment=assignment,
                country=str(recipient.get("country") or ""),
                currency=str(body.get("currency") or ""),
            )
        return HttpResponse(payload, content_type=self.response_media_type())


class ShipmentCreateApi(KsaApi):
    @shipment_create_schema
    def post(self, request: Request) -> Response:
        session, selection = s.selection_session_parse(self.body())
        shipment = shipment_reserve(
            merchant=self.principal.merchant, session=session, selection=selection
        )
        return self.respond(
            s.shipment_render(shipment), status=201, Location=self.location_of(shipment)
        )


class ShipmentDetailApi(KsaApi):
    @shipment_get_schema
    def get(self, request: Request, shipment_id: str) -> Response:
        shipment = self.shipment_or_404(shipment_id)
        if shipment_expire_if_stale(shipment=shipment):
            metrics.reservation_expired_observe(attention=True)
        return self.respond(s.shipment_render(shipment))

    @shipment_update_schema
    def put(self, request: Request, shipment_id: str) -> Response:
        body = self.body()
        shipment = self.shipment_or_404(shipment_id)
        session, selection = s.selection_session_parse(body)
        try:
            shipment = shipment_update(
                merchant=self.principal.merchant,
                shipment=shipment,
                session=session,
                selection=selection,
            )
        except ReservationExpired as exc:
            if exc.expired_now:
                metrics.reservation_expired_observe(attention=True)
            raise
        return self.respond(s.shipment_render(shipment), Location=self.location_of(shipment))


class ShipmentConfirmApi(KsaApi):
    @shipment_confirm_schema
    def post(self, request: Request, shipment_id: str) -> Response:
        shipment = self.shipment_or_404(shipment_id)
        outcome = shipment_confirm_outcome(merchant=self.principal.merchant, shipment=shipment)
        metrics.shipment_confirm_observe(outcome)
        shipment = outcome.shipment
        return self.respond(s.shipment_render(shipment), Location=self.location_of(shipment))

    def handle_exception(self, exc: Exception) -> Response:
        """The database is unreachable: note the confirm and answer 202 (see confirms.py).

        Klarna sends a confirm once and ignores any answer but 401, so refusing it would leave
        a paid order unbooked. The token's signature is checked without the database.
        """
        if isinstance(exc, OperationalError | InterfaceError):
            token = bearer_token(self.request)
            claims = token_claims(token=token) if token else None
            shipment_id = str(self.kwargs.get("shipment_id", ""))
            if claims is not None and confirm_journal(
                merchant_public_id=str(claims["sub"]),
                credential_id=int(claims["cid"]),
                shipment_id=shipment_id,
                now=timezone.now(),
            ):
                return self.respond(
                    {
                        "shipment_id": shipment_id,
                        "message": "Confirm recorded; it is applied as soon as the gateway's "
                        "database is back.",
                    },
                    status=202,
                )
        return super().handle_exception(exc)
