"""Every Klarna field name lives here: request parsing and response rendering.

Lenient in what we accept (unknown fields ignored, everything but ``currency`` and ``locale``
optional, ``null`` read as absent), strict in what we send (the same names and types always,
integers in minor units, optional fields omitted rather than null). A known field with the
wrong type is refused, naming the field.

Responses are rendered by plain functions rather than DRF output serializers: the options
answer is the hot path and holds hundreds of small objects.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from typing import Any

from rest_framework import serializers

from carriers.registry import klarna_carrier, shipping_company
from carriers.types import Address, DeliveryEstimate, Location, Timeslot
from tms_gateway.checkout.types import (
    AddonSelection,
    OfferedOption,
    OptionsResult,
    Order,
    OrderLine,
    Recipient,
    Selection,
    Session,
)
from tms_gateway.common.errors import ApplicationError
from tms_gateway.common.money import is_currency, tax_amount
from tms_gateway.shipments.models import Shipment

from .fields import StrictBooleanField, StrictCharField, StrictIntegerField
from .validation import StepAside, fast_check

# Our option kinds in Klarna's words: the KSS ``type`` and Klarna Checkout's ``shipping_method``.
KSA_TYPE = {
    "home": "delivery-address",
    "locker": "pickup-box",
    "pickup_point": "pickup-point",
    "store": "pickup-point",
    "mailbox": "delivery-address",
    "own": "delivery-address",
}
SHIPPING_METHOD = {
    "home": "Home",
    "locker": "BoxReg",
    "pickup_point": "PickUpPoint",
    "store": "PickUpStore",
    "mailbox": "Postal",
    "own": "Own",
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class MalformedRequest(ApplicationError):
    code = "malformed_request"


def _tags() -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(allow_blank=False, allow_null=False, max_length=200),
        required=False,
        allow_null=True,
        max_length=200,
    )


# --- request shapes -------------------------------------------------------------------------


class DimensionsIn(serializers.Serializer):
    height = StrictIntegerField()
    width = StrictIntegerField()
    length = StrictIntegerField()


class LineAttributesIn(serializers.Serializer):
    weight = StrictIntegerField()
    dimensions = DimensionsIn(required=False, allow_null=True)
    tags = _tags()


class OrderLineIn(serializers.Serializer):
    reference = StrictCharField(max_length=255)
    type = StrictCharField(max_length=50)
    quantity = StrictIntegerField(max_value=1_000_000)
    unit_price = StrictIntegerField(min_value=None)
    tax_rate = StrictIntegerField()
    total_discount_amount = StrictIntegerField(min_value=None)
    total_price_including_tax = StrictIntegerField(min_value=None)
    total_tax_amount = StrictIntegerField(min_value=None)
    attributes = LineAttributesIn(required=False, allow_null=True)


class OrderIn(serializers.Serializer):
    id = StrictCharField(max_length=255)
    tags = _tags()
    total_amount = StrictIntegerField()
    total_tax = StrictIntegerField()
    total_weight = StrictIntegerField()
    lines = serializers.ListField(
        child=OrderLineIn(), required=False, allow_null=True, max_length=1000
    )


class RecipientIn(serializers.Serializer):
    given_name = StrictCharField(max_length=255)
    family_name = StrictCharField(max_length=255)
    company_name = StrictCharField(max_length=255)
    care_of = StrictCharField(max_length=255)
    street_address = StrictCharField(max_length=255)
    street_address2 = StrictCharField(max_length=255)
    postal_code = StrictCharField(max_length=20)
    city = StrictCharField(max_length=255)
    region = StrictCharField(max_length=255)
    country = StrictCharField(max_length=2)
    email = StrictCharField(max_length=255)
    phone = StrictCharField(max_length=50)
    customer_type = StrictCharField(max_length=50)

    def validate_country(self, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[A-Za-z]{2}", value):
            raise serializers.ValidationError("Expected an ISO 3166-1 alpha-2 country code.")
        return value.upper() if value else value


class SessionIn(serializers.Serializer):
    currency = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=3)
    locale = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=35)
    session_id = StrictCharField(max_length=255)
    order = OrderIn(required=False, allow_null=True)
    recipient = RecipientIn(required=False, allow_null=True)

    def validate_currency(self, value: str) -> str:
        code = value.upper()
        if not is_currency(code):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code.")
        return code


class IdIn(serializers.Serializer):
    id = StrictCharField(max_length=255)


class AddonDataIn(serializers.Serializer):
    selected = StrictBooleanField()
    text = StrictCharField(max_length=1000, trim_whitespace=False)


class AddonIn(serializers.Serializer):
    id = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=255)
    type = StrictCharField(max_length=50)

    def get_fields(self) -> dict[str, serializers.Field]:
        # Klarna's key is "data", which a Serializer attribute cannot be named.
        fields = super().get_fields()
        fields["data"] = AddonDataIn(required=False, allow_null=True)
        return fields


class SelectedOptionIn(serializers.Serializer):
    id = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=255)
    location = IdIn(required=False, allow_null=True)
    timeslot = IdIn(required=False, allow_null=True)
    addons = serializers.ListField(child=AddonIn(), required=False, allow_null=True, max_length=50)


class SelectionSessionIn(SessionIn):
    selected_shipping_option = SelectedOptionIn(required=True, allow_null=False)


class AuthIn(serializers.Serializer):
    class SecretIn(serializers.Serializer):
        nonce = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=512)
        digest = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=512)

    identifier = StrictCharField(required=True, allow_null=False, allow_blank=False, max_length=255)
    secret = SecretIn(required=True, allow_null=False)


def _first_error(detail: Any, path: str = "") -> str:
    """The first error of a DRF error tree as 'order.lines[0].quantity: message'."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                name = path
            elif isinstance(key, int):
                name = f"{path}[{key}]"
            else:
                name = f"{path}.{key}" if path else str(key)
            return _first_error(value, name)
    if isinstance(detail, list) and detail:
        for index, item in enumerate(detail):
            if isinstance(item, dict | list) and item:
                return _first_error(item, f"{path}[{index}]")
            if not isinstance(item, dict | list):
                return f"{path}: {item}" if path else str(item)
    return f"{path}: invalid" if path else "invalid request"


def validate(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The serializer's ``validated_data``: by its compiled checks when the body is plainly
    valid (validation.py), else by the serializer itself, which names what is wrong."""
    check = fast_check(serializer_class)
    if check is not None:
        try:
            return dict(check(data))
        except StepAside:
            pass
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise MalformedRequest(_first_error(serializer.errors))
    return dict(serializer.validated_data)


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _session(data: dict[str, Any]) -> Session:
    order = data.get("order") or {}
    recipient = data.get("recipient") or {}
    lines = []
    for line in order.get("lines") or []:
        attributes = line.get("attributes") or {}
        dimensions = attributes.get("dimensions") or {}
        lines.append(
            OrderLine(
                quantity=line.get("quantity") if line.get("quantity") is not None else 1,
                type=_s(line.get("type")) or "physical",
                reference=_s(line.get("reference")),
                unit_weight_g=attributes.get("weight"),
                length_mm=dimensions.get("length"),
                width_mm=dimensions.get("width"),
                height_mm=dimensions.get("height"),
                tags=tuple(attributes.get("tags") or ()),
            )
        )
    return Session(
        currency=data["currency"],
        locale=data["locale"],
        session_id=_s(data.get("session_id")),
        order=Order(
            id=_s(order.get("id")),
            tags=tuple(order.get("tags") or ()),
            total_amount=order.get("total_amount"),
            total_weight_g=order.get("total_weight"),
            lines=tuple(lines),
        ),
        recipient=Recipient(
            address=Address(
                country=_s(recipient.get("country")),
                postal_code=_s(recipient.get("postal_code")),
                city=_s(recipient.get("city")),
                street_address=_s(recipient.get("street_address")),
                street_address2=_s(recipient.get("street_address2")),
                region=_s(recipient.get("region")),
            ),
            given_name=_s(recipient.get("given_name")),
            family_name=_s(recipient.get("family_name")),
            company_name=_s(recipient.get("company_name")),
            care_of=_s(recipient.get("care_of")),
            email=_s(recipient.get("email")),
            phone=_s(recipient.get("phone")),
            customer_type=_s(recipient.get("customer_type")).lower(),
        ),
    )


def session_parse(data: Any) -> Session:
    return _session(validate(SessionIn, data))


def selection_session_parse(data: Any) -> tuple[Session, Selection]:
    validated = validate(SelectionSessionIn, data)
    chosen = validated["selected_shipping_option"]
    addons = []
    for addon in chosen.get("addons") or []:
        addon_data = addon.get("data") or {}
        selected = addon_data.get("selected")
        addons.append(
            AddonSelection(
                id=addon["id"],
                # An add-on listed without data was chosen: Klarna lists what the shopper took.
                selected=True if selected is None else selected,
                text=_s(addon_data.get("text")),
            )
        )
    selection = Selection(
        option_id=chosen["id"],
        location_id=_s((chosen.get("location") or {}).get("id")),
        timeslot_id=_s((chosen.get("timeslot") or {}).get("id")),
        addons=tuple(addons),
    )
    return _session(validated), selection


def auth_parse(data: Any) -> tuple[str, str, str]:
    validated = validate(AuthIn, data)
    return validated["identifier"], validated["secret"]["nonce"], validated["secret"]["digest"]


# --- response shapes ------------------------------------------------------------------------


def _hhmm(value: dt.time) -> str:
    return value.isoformat("minutes")  # hundreds of times a call: C, no format parsing


def _address(address: Address) -> dict[str, str]:
    out = {
        "street_address": address.street_address,
        "street_address2": address.street_address2,
        "postal_code": address.postal_code,
        "city": address.city,
        "region": address.region,
        "country": address.country,
    }
    return {k: v for k, v in out.items() if v}


def delivery_time_render(estimate: DeliveryEstimate) -> dict[str, Any]:
    out: dict[str, Any] = {}
    interval = {}
    if estimate.earliest_days is not None:
        interval["earliest"] = estimate.earliest_days
    if estimate.latest_days is not None:
        interval["latest"] = estimate.latest_days
    if interval:
        out["interval"] = interval
    if estimate.cutoff is not None:
        out["cutoff"] = _hhmm(estimate.cutoff)
    if estimate.time_of_day_start is not None and estimate.time_of_day_end is not None:
        out["time_of_day"] = {
            "earliest": _hhmm(estimate.time_of_day_start),
            "latest": _hhmm(estimate.time_of_day_end),
        }
    return out


def location_render(location: Location, *, price: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": location.id, "name": location.name}
    if price is not None:
        out["price"] = price
    out["address"] = _address(location.address)
    if location.coordinates is not None:
        out["coordinates"] = {"lat": location.coordinates.lat, "lng": location.coordinates.lng}
    if location.distance_m is not None:
        out["distance"] = location.distance_m
    if location.opening_hours:
        out["opening_hours"] = [
            {"day": WEEKDAYS[h.weekday], "open": _hhmm(h.opens), "close": _hhmm(h.closes)}
            for h in location.opening_hours
        ]
    return out


def timeslot_render(timeslot: Timeslot, *, price: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": timeslot.id,
        "start": timeslot.start.isoformat(),
        "end": timeslot.end.isoformat(),
    }
    if timeslot.cutoff is not None:
        out["cutoff"] = timeslot.cutoff.isoformat()
    if price is not None:
        out["price"] = price
    return out


def _carrier_product(*, identifier: str, name: str) -> dict[str, str]:
    """Carrier options name the carrier's product; the shop's own options name themselves."""
    return {"identifier": identifier, "name": name}


def option_render(option: OfferedOption) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": option.id,
        "name": option.name,
    }
    if option.description:
        out["description"] = option.description
    out.update(
        {
            "type": KSA_TYPE[option.kind],
            "shipping_method": SHIPPING_METHOD[option.kind],
            "carrier": klarna_carrier(option.carrier, option.carrier_product),
            "class": option.service_class,
            "price": option.price,
            "tax_rate": option.tax_rate,
            "tax_amount": tax_amount(price=option.price, tax_rate=option.tax_rate),
            "preselected": option.preselected,
            "delivery_time": delivery_time_render(option.delivery),
        }
    )
    out["carrier_product"] = _carrier_product(
        identifier=option.carrier_product or option.id,
        name=option.carrier_product_name or option.name,
    )
    if option.locations:
        out["locations"] = [location_render(loc, price=option.price) for loc in option.locations]
    if option.timeslots:
        out["timeslots"] = [timeslot_render(t, price=option.price) for t in option.timeslots]
    if option.addons:
        addons = []
        for addon in option.addons:
            item: dict[str, Any] = {
                "id": addon.id,
                "type": addon.type,
                "price": addon.price,
                "preselected": addon.preselected,
                "required": addon.required,
            }
            if addon.name:
                item["name"] = addon.name
            if addon.max_length is not None:
                item["max_length"] = addon.max_length
            addons.append(item)
        out["addons"] = addons
    return out


def shipping_options_render(result: OptionsResult) -> dict[str, Any]:
    return {"shipping_options": [option_render(o) for o in result.options]}


def shipment_render(shipment: Shipment) -> dict[str, Any]:
    """The get_shipment body, from the stored (internal) selection snapshot."""
    chosen = shipment.snapshot
    kind = chosen.kind
    selected: dict[str, Any] = {
        "id": chosen.option_id,
        "name": chosen.name,
        "type": KSA_TYPE[kind],
        "shipping_method": SHIPPING_METHOD[kind],
        "carrier": klarna_carrier(chosen.carrier, chosen.carrier_product),
        "class": chosen.service_class,
        "price": shipment.price,
        "tax_rate": shipment.tax_rate,
        "tax_amount": tax_amount(price=shipment.price, tax_rate=shipment.tax_rate),
    }
    selected["carrier_product"] = _carrier_product(
        identifier=chosen.carrier_product or chosen.option_id,
        name=chosen.carrier_product_name or chosen.name,
    )
    location = chosen.location
    if location:
        selected["location"] = {
            "id": location.id,
            "name": location.name,
            "address": {k: v for k, v in asdict(location.address).items() if v},
        }
        if location.coordinates:
            selected["location"]["coordinates"] = asdict(location.coordinates)
    timeslot = chosen.timeslot
    if timeslot:
        selected["timeslot"] = {"id": timeslot.id, "start": timeslot.start, "end": timeslot.end}
    if chosen.addons:
        selected["addons"] = [
            {
                "id": a.id,
                "type": a.type,
                "price": a.price,
                "data": {"selected": True, "text": a.text},
            }
            for a in chosen.addons
        ]
    out: dict[str, Any] = {
        "shipment_id": str(shipment.public_id),
        "status": shipment.status,
        "selected_shipping_option": selected,
    }
    if shipment.tracking_number:
        out["tracking_number"] = shipment.tracking_number
        if shipment.tracking_url:
            out["tracking_uri"] = shipment.tracking_url
        out["shipping_company"] = shipping_company(chosen.carrier)
    return out


def order_shipping_option_render(option: OfferedOption) -> dict[str, Any]:
    """One option in Klarna Checkout's order ``shipping_options`` format: what a shop sends
    when it creates a Klarna order, shown by Klarna when the gateway cannot be reached."""
    out: dict[str, Any] = {"id": option.id, "name": option.name}
    if option.description:
        out["description"] = option.description
    out.update(
        {
            "price": option.price,
            "tax_amount": tax_amount(price=option.price, tax_rate=option.tax_rate),
            "tax_rate": option.tax_rate,
            "preselected": option.preselected,
            "shipping_method": SHIPPING_METHOD[option.kind],
        }
    )
    return out


def order_shipping_options_render(result: OptionsResult) -> dict[str, Any]:
    return {"shipping_options": [order_shipping_option_render(o) for o in result.options]}
