"""The checkout preview: the form, the session it describes, the context and the templates.

Runs against the demo shop and the built-in static carrier source (no HTTP).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from carriers.breaker import breaker
from carriers.types import Address
from merchants.demo import demo_merchant_seed
from merchants.models import Carrier, CarrierAgreement, Merchant
from merchants.preview import (
    PIN_COLOURS,
    SPARE_PIN_COLOURS,
    PreviewForm,
    _pin_colours,
    preview_context,
    preview_session,
)
from tests.checkout.conftest import STATIC_ADAPTERS
from tests.factories import DeliveryOptionFactory, MerchantFactory
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import Order, OrderLine, Recipient, Session
from tms_gateway.ksa.serializers import shipping_options_render

pytestmark = pytest.mark.django_db

# A Thursday afternoon in Stockholm: every call of a test sees the same time slots.
THURSDAY = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
STOCKHOLM = {"country": "SE", "postal_code": "11151", "city": "Stockholm"}
DEMO_SE_OPTIONS = [
    "postnord-home",
    "budbee-home",
    "instabox-locker",
    "budbee-box",
    "postnord-service-point",
    "dhl-service-point-se",
    "bring-pickup-point-se",
    "store-pickup",
    "postnord-letter",
    "own-courier",
]


@pytest.fixture(autouse=True)
def _static_carriers(settings: Any) -> Iterator[None]:
    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def demo() -> Merchant:
    return demo_merchant_seed(identifier="demo", key="demo-key")


def _form(**data: str) -> PreviewForm:
    return PreviewForm(data={**STOCKHOLM, "total_weight_g": "1000", **data})


def _context(merchant: Merchant, **data: str) -> dict[str, Any]:
    return preview_context(merchant=merchant, form=_form(**data), now=THURSDAY)


def _not_offered(context: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in context["not_offered"]}


# --- the form and the session -------------------------------------------------------------


def test_the_session_takes_the_country_s_currency_and_language_when_none_is_chosen() -> None:
    form = PreviewForm(data={"country": "NO", "postal_code": "0150", "city": "Oslo"})

    assert preview_session(form=form) == Session(
        currency="NOK",
        locale="nb-NO",
        session_id="preview",
        order=Order(id="preview"),
        recipient=Recipient(
            address=Address(country="NO", postal_code="0150", city="Oslo"),
            customer_type="person",
        ),
    )


def test_the_session_carries_the_cart_in_minor_units_grams_and_millimetres() -> None:
    form = PreviewForm(
        data={
            **STOCKHOLM,
            "postal_code": " 111  51 ",
            "street_address": "Storgatan 1",
            "currency": "EUR",
            "locale": "en-GB",
            "customer_type": "organization",
            "order_total": "499.5",
            "total_weight_g": "1200",
            "length_mm": "600",
            "width_mm": "400",
            "height_mm": "300",
            "quantity": "2",
            "tags": " fragile, bulky,,fragile ",
        }
    )

    session = preview_session(form=form)

    assert session.currency == "EUR"
    assert session.locale == "en-GB"
    assert session.order == Order(
        id="preview",
        tags=("fragile", "bulky"),
        total_amount=49950,
        total_weight_g=1200,
        lines=(OrderLine(quantity=2, length_mm=600, width_mm=400, height_mm=300),),
    )
    assert session.recipient.address.postal_code == "111 51"
    assert session.recipient.address.street_address == "Storgatan 1"
    assert session.recipient.customer_type == "organization"


def test_a_session_needs_a_valid_form() -> None:
    with pytest.raises(ValueError, match="valid PreviewForm"):
        preview_session(form=PreviewForm(data={"country": "XX"}))


# --- the context ----------------------------------------------------------------------------


def test_the_preview_lists_the_demo_shop_s_swedish_options(demo: Merchant) -> None:
    context = _context(demo)

    assert context["ran"] is True
    assert context["error"] == ""
    assert context["currency"] == "SEK"
    assert [row["id"] for row in context["options"]] == DEMO_SE_OPTIONS
    rows = {row["id"]: row for row in context["options"]}
    assert rows["postnord-service-point"] == {
        "id": "postnord-service-point",
        "name": "PostNord ombud",
        "type": "Pickup point",
        "carrier": "PostNord",
        "price": "49.00 SEK",
        "preselected": True,
        "delivery": "1-3 business days, order by 14:00",
        "locations": 10,
        "timeslots": 0,
        "addons": 0,
        "fallback": False,
        "remembered": "",
    }
    assert rows["budbee-home"]["delivery"] == (
        "1-2 business days, order by 14:00, delivered 17:00-22:00"
    )
    assert rows["budbee-home"]["timeslots"] == 5
    assert rows["store-pickup"]["price"] == "0.00 SEK"
    assert rows["store-pickup"]["carrier"] == "Shop's own"
    assert rows["store-pickup"]["locations"] == 2
    assert rows["postnord-home"]["addons"] == 2
    assert [row["id"] for row in context["options"] if row["preselected"]] == [
        "postnord-service-point"
    ]
    assert [(c["carrier"], c["name"], c["ok"], c["error"]) for c in context["carriers"]] == [
        ("postnord", "PostNord", True, ""),
        ("budbee", "Budbee", True, ""),
        ("instabox", "Instabox", True, ""),
        ("dhl", "DHL", True, ""),
        ("bring", "Bring", True, ""),
    ]
    assert all(c["duration"] == f"{c['duration_ms']} ms" for c in context["carriers"])
    assert context["map_tile_url"] == ""  # the test settings: markers on a plain background
    assert context["map_tile_attribution"] == "&copy; OpenStreetMap contributors"


def test_the_klarna_json_is_exactly_what_klarna_receives(demo: Merchant) -> None:
    form = _form()
    context = preview_context(merchant=demo, form=form, now=THURSDAY)

    result = options_build(merchant=demo, session=preview_session(form=form), now=THURSDAY)

    assert json.loads(context["klarna_json"]) == shipping_options_render(result)
    assert context["klarna_json"] == json.dumps(
        shipping_options_render(result), indent=2, ensure_ascii=False
    )
    assert "PostNord ombud" in context["klarna_json"]  # readable, not \u-escaped


def test_there_is_one_marker_per_location_of_every_option(demo: Merchant) -> None:
    form = _form()
    context = preview_context(merchant=demo, form=form, now=THURSDAY)
    result = options_build(merchant=demo, session=preview_session(form=form), now=THURSDAY)

    locations = [(o, loc) for o in result.options for loc in o.locations]
    assert len(locations) == 52
    assert len(context["markers"]) == len(locations)
    assert sum(row["locations"] for row in context["options"]) == len(locations)
    assert context["markers"] == [
        {
            "lat": loc.coordinates.lat,
            "lng": loc.coordinates.lng,
            "name": loc.name,
            "option": option.id,
            "option_name": option.name,
            "address": f"{loc.address.street_address}, {loc.address.postal_code} "
            f"{loc.address.city}",
            "carrier": option.carrier,
            "colour": option.carrier,  # each demo carrier has its own pin colour
        }
        for option, loc in locations
        if loc.coordinates is not None
    ]
    assert json.loads(context["markers_json"]) == context["markers"]
    store = next(m for m in context["markers"] if m["option"] == "store-pickup")
    assert store == {
        "lat": 59.3343,
        "lng": 18.0627,
        "name": "Demo Shop Drottninggatan",
        "option": "store-pickup",
        "option_name": "Hämta i butik",
        "address": "Drottninggatan 53, 11121 Stockholm",
        "carrier": "generic",
        "colour": "generic",
    }


def test_the_legend_lists_each_carrier_on_the_map_with_its_pin_colour(demo: Merchant) -> None:
    context = preview_context(merchant=demo, form=_form(), now=THURSDAY)

    carriers = list(dict.fromkeys(m["carrier"] for m in context["markers"]))
    assert [row["carrier"] for row in context["legend"]] == carriers
    assert len(carriers) >= 3
    for row in context["legend"]:
        assert row["colour"] == PIN_COLOURS[row["carrier"]]
        assert row["count"] == sum(m["carrier"] == row["carrier"] for m in context["markers"])
    assert {row["name"] for row in context["legend"]} >= {"Shop's own"}


def test_a_carrier_without_a_colour_of_its_own_takes_a_spare_one() -> None:
    assert _pin_colours(["bring", "sixth", "seventh", "sixth"]) == {
        "bring": "bring",
        "sixth": SPARE_PIN_COLOURS[0],
        "seventh": SPARE_PIN_COLOURS[1],
    }


def test_not_offered_explains_each_option_left_out(demo: Merchant) -> None:
    context = _context(demo)

    # The checkout reports the first condition an option fails: currency before country.
    assert context["not_offered"] == [
        {
            "id": code,
            "name": name,
            "reason": "currency",
            "explanation": "The option has no price in this currency.",
            "detail": "no price in SEK",
        }
        for code, name in [
            ("courier-international", "Hemleverans med bud"),
            ("courier-international-express", "Expressbud"),
            ("dhl-service-point", "DHL ombud"),
            ("bring-pickup-point", "Bring utlämningsställe"),
        ]
    ]


def test_not_offered_explains_the_norway_only_option_by_country(demo: Merchant) -> None:
    context = _context(demo, currency="NOK")

    assert _not_offered(context)["bring-pickup-point"] == {
        "id": "bring-pickup-point",
        "name": "Bring utlämningsställe",
        "reason": "country",
        "explanation": "The option is not offered in this country.",
        "detail": "SE is not one of NO",
    }


def test_not_offered_explains_the_letter_by_the_size_of_a_large_parcel(demo: Merchant) -> None:
    context = _context(demo, length_mm="600", width_mm="400", height_mm="300")

    assert "postnord-letter" not in [row["id"] for row in context["options"]]
    assert _not_offered(context)["postnord-letter"] == {
        "id": "postnord-letter",
        "name": "Brev till brevlådan (PostNord Varubrev)",
        "reason": "dimensions",
        "explanation": "An item is larger than the option allows.",
        "detail": "a line (600x400x300 mm)",
    }


def test_not_offered_words_the_other_conditions(demo: Merchant) -> None:
    heavy = _not_offered(_context(demo, total_weight_g="3000"))
    outside = _not_offered(_context(demo, postal_code="41119", city="Göteborg"))

    assert (heavy["postnord-letter"]["reason"], heavy["postnord-letter"]["explanation"]) == (
        "weight",
        "The order is heavier than the option allows.",
    )
    assert heavy["postnord-letter"]["detail"] == "3000 g is over 2000 g"
    assert outside["own-courier"]["explanation"] == (
        "The postal code is outside the option's postal-code areas."
    )


def test_a_failing_carrier_is_reported_and_its_options_explained(demo: Merchant) -> None:
    agreement = CarrierAgreement.objects.get(merchant=demo, carrier="postnord")
    agreement.credentials = {"static_behaviour": "fail"}
    agreement.save()

    context = _context(demo)

    carriers = {c["carrier"]: c for c in context["carriers"]}
    assert carriers["postnord"]["ok"] is False
    assert carriers["postnord"]["name"] == "PostNord"
    assert "static source told to fail" in carriers["postnord"]["error"]
    assert (carriers["budbee"]["ok"], carriers["instabox"]["ok"]) == (True, True)
    not_offered = _not_offered(context)
    for code in ("postnord-home", "postnord-letter"):
        assert not_offered[code]["reason"] == "carrier_unavailable"
        assert not_offered[code]["explanation"] == (
            "The carrier failed or did not answer in time, and the option is not a fallback option."
        )
        assert "static source told to fail" in not_offered[code]["detail"]
    # The fallback option is still offered, from configuration, without locations.
    rows = {row["id"]: row for row in context["options"]}
    assert (
        rows["postnord-service-point"]["fallback"],
        rows["postnord-service-point"]["locations"],
    ) == (
        True,
        0,
    )
    assert not any(m["option"] == "postnord-service-point" for m in context["markers"])
    assert len(context["markers"]) == 42


def test_an_invalid_form_shows_its_errors_and_builds_nothing(demo: Merchant) -> None:
    form = PreviewForm(
        data={"country": "XX", "postal_code": "<b>", "total_weight_g": "-5", "order_total": "x"}
    )

    context = preview_context(merchant=demo, form=form, now=THURSDAY)

    assert set(form.errors) == {"country", "postal_code", "city", "total_weight_g", "order_total"}
    assert context["ran"] is False
    assert (context["options"], context["not_offered"], context["carriers"]) == ([], [], [])
    assert (context["markers"], context["markers_json"], context["klarna_json"]) == ([], "[]", "")
    assert context["form"] is form


def test_an_unbound_form_builds_nothing(demo: Merchant) -> None:
    form = PreviewForm()

    context = preview_context(merchant=demo, form=form)

    assert context["ran"] is False
    assert form.errors == {}
    assert context["options"] == []


def test_a_currency_the_shop_does_not_price_in_is_explained() -> None:
    merchant = MerchantFactory.create(default_locale="en")
    DeliveryOptionFactory.create(
        merchant=merchant, carrier=Carrier.GENERIC, prices={"SEK": 4900}, countries=[]
    )

    context = preview_context(merchant=merchant, form=_form(currency="CHF"), now=THURSDAY)

    assert context["ran"] is False
    assert context["error"] == (
        "The shop has no prices in CHF: Klarna would be refused with currency_not_supported "
        "and the shopper would see no shipping options."
    )
    assert context["options"] == []


# --- the templates and the static files -----------------------------------------------------


def _attribute(page: str, name: str) -> str:
    match = re.search(rf'id="preview-map"[^>]*?\s{name}="([^"]*)"', page, re.DOTALL)
    assert match is not None, name
    return html.unescape(match.group(1))


def test_the_template_renders_the_options_the_map_and_the_reasons(demo: Merchant) -> None:
    context = _context(demo, currency="NOK")

    page = render_to_string("merchants/preview/preview.html", context)

    assert page.count('<div id="preview-map"') == 1
    assert json.loads(_attribute(page, "data-markers")) == context["markers"]
    assert len(context["markers"]) > 0
    assert _attribute(page, "data-tile-url") == ""
    legend = page.split('<ul class="tms-preview-legend"')[1].split("</ul>")[0]
    assert re.findall(r'<li data-carrier="([^"]+)"', legend) == [
        row["carrier"] for row in context["legend"]
    ]
    assert 'class="tms-pin-swatch tms-pin--postnord"' in legend
    options_table = page.split('<table class="tms-preview-options">')[1].split("</table>")[0]
    assert re.findall(r'<tr data-option-id="([^"]+)"', options_table) == [
        row["id"] for row in context["options"]
    ]
    assert "Bring utlämningsställe" in page
    assert "The option is not offered in this country." in page
    assert "SE is not one of NO" in page
    assert '<tr data-carrier="postnord" data-ok="true">' in page
    pre = page.split('<pre class="tms-preview-json">')[1].split("</pre>")[0]
    assert json.loads(html.unescape(pre)) == json.loads(context["klarna_json"])
    for name in ("country", "postal_code", "city", "street_address", "currency", "locale"):
        assert f'name="{name}"' in page
    for name in ("customer_type", "order_total", "total_weight_g", "length_mm", "tags"):
        assert f'name="{name}"' in page


def test_the_template_escapes_what_carriers_and_shops_name(demo: Merchant) -> None:
    context = _context(demo)
    context["markers"] = [{"lat": 59.3, "lng": 18.0, "name": '"><script>x</script>', "option": "o"}]
    context["markers_json"] = json.dumps(context["markers"])

    page = render_to_string("merchants/preview/preview.html", context)

    assert "<script>x</script>" not in page
    assert json.loads(_attribute(page, "data-markers"))[0]["name"] == '"><script>x</script>'


def test_the_template_of_an_unbound_form_shows_only_the_form(demo: Merchant) -> None:
    context = preview_context(merchant=demo, form=PreviewForm())

    page = render_to_string("merchants/preview/preview.html", context)

    assert 'name="postal_code"' in page
    assert '<option value="SE" selected>' in page
    assert 'type="submit"' in page
    assert "preview-map" not in page
    assert "tms-preview-options" not in page


def test_the_assets_template_links_the_local_leaflet_and_the_preview_script() -> None:
    page = render_to_string("merchants/preview/assets.html")

    assert '<link rel="stylesheet" href="/static/merchants/vendor/leaflet/leaflet.css">' in page
    assert '<link rel="stylesheet" href="/static/merchants/preview.css">' in page
    assert '<script src="/static/merchants/vendor/leaflet/leaflet.js" defer></script>' in page
    assert '<script src="/static/merchants/preview.js" defer></script>' in page
    assert "http" not in page  # no CDN


@pytest.mark.parametrize(
    "path",
    [
        "merchants/vendor/leaflet/leaflet.js",
        "merchants/vendor/leaflet/leaflet.css",
        "merchants/vendor/leaflet/images/marker-icon.png",
        "merchants/vendor/leaflet/images/marker-icon-2x.png",
        "merchants/vendor/leaflet/images/marker-shadow.png",
        "merchants/vendor/leaflet/LICENSE",
        "merchants/preview.js",
        "merchants/preview.css",
    ],
)
def test_the_static_files_are_found(path: str) -> None:
    assert finders.find(path) is not None


def test_the_vendored_leaflet_is_1_9_4_under_its_bsd_licence() -> None:
    leaflet = finders.find("merchants/vendor/leaflet/leaflet.js")
    licence = finders.find("merchants/vendor/leaflet/LICENSE")
    assert isinstance(leaflet, str)
    assert isinstance(licence, str)

    with open(leaflet, encoding="utf-8") as handle:
        assert "Leaflet 1.9.4" in handle.read(200)
    with open(licence, encoding="utf-8") as handle:
        assert handle.readline().strip() == "BSD 2-Clause License"
