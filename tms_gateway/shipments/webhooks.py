"""The carriers' side: ``POST /webhooks/<carrier>/<token>``, where a carrier that pushes its
tracking events (Budbee, Instabox) sends them for one agreement (the token, issued in the admin).

Answers ``200 {"events", "shipments", "unknown"}`` (parcels of no shipment of the shop are
acknowledged too, so the carrier does not send them again), ``404`` for an address no agreement
has, ``400`` for a body the carrier's parser cannot read, ``413`` above
``CARRIER_WEBHOOK_MAX_BYTES``, ``405`` for anything but POST. Nothing is stored on a refusal.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tms_gateway.common.errors import ApplicationError

from .tracking import tracking_webhook_receive


def _refusal(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@csrf_exempt
@require_POST
def carrier_webhook(request: HttpRequest, carrier: str, token: str) -> JsonResponse:
    limit = settings.CARRIER_WEBHOOK_MAX_BYTES
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _refusal("malformed_webhook", "Content-Length is not a number.", 400)
    if length > limit:
        return _refusal("body_too_large", f"A webhook body is at most {limit} bytes.", 413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refusal("body_too_large", f"A webhook body is at most {limit} bytes.", 413)
    try:
        receipt = tracking_webhook_receive(
            carrier=carrier, token=token, body=body, headers=dict(request.headers)
        )
    except ApplicationError as exc:
        return _refusal(exc.code, exc.message, exc.status_code)
    return JsonResponse(
        {"events": receipt.events, "shipments": receipt.shipments, "unknown": receipt.unknown}
    )
