"""The Content-Security-Policy of the admin, the portal and the API docs (tms_gateway/common/csp.py;
security review, issue 13, item 9): the exact header on every main page, and no page or template
that needs what the policy refuses (inline scripts, on*= handlers, style attributes and blocks,
javascript: links). The browser tests check that chromium reports no violation.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from merchants.demo import demo_merchant_seed
from merchants.models import CarrierAgreement, DeliveryOption, KlarnaCredential, MerchantUser
from tests.checkout.conftest import STATIC_ADAPTERS
from tests.factories import ShipmentFactory
from tms_gateway.common.csp import content_security_policy, map_tile_source

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-csp-test-123456"
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
POLICY_WITH_OSM_TILES = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: https://tile.openstreetmap.org; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class _Refused(HTMLParser):
    """What the policy would refuse in a page: inline scripts, <style>, style= and on*=
    attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append(f"<script> without src at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")


def refused_in(html: str) -> list[str]:
    parser = _Refused()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture
def world(settings: Settings) -> dict[str, object]:
    """The demo shop on static carriers, a superuser's admin session and a shop user's portal
    session, a failed booking and one that needs attention, the map tiles from OpenStreetMap."""
    from carriers.breaker import breaker

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    settings.MAP_TILE_URL = OSM
    breaker.reset()
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    root = User.objects.create_superuser("root", "root@partner.example", PASSWORD)
    shop_user = User.objects.create_user("anna", "anna@demo-shop.example", PASSWORD)
    MerchantUser.objects.create(user=shop_user, merchant=merchant)
    staff, shop = Client(), Client()
    assert staff.login(username=root.username, password=PASSWORD)
    assert shop.login(username=shop_user.username, password=PASSWORD)
    failed = ShipmentFactory.create(
        merchant=merchant,
        option_id="budbee-box",
        confirmed=True,
        status="failed",
        booking_error="refused by Budbee",
    )
    attention = ShipmentFactory.create(
        merchant=merchant,
        option_id="postnord-service-point",
        attention_since=timezone.now() - dt.timedelta(hours=2),
        attention_reason="Klarna has not confirmed",
    )
    return {
        "merchant": merchant,
        "staff": staff,
        "shop": shop,
        "failed": failed,
        "attention": attention,
    }


def admin_pages(world: dict[str, object]) -> list[tuple[str, str, dict[str, str] | None]]:
    """(method, path, data) of the admin's main pages, ours and Django's."""
    m = world["merchant"].pk  # type: ignore[attr-defined]
    agreement = CarrierAgreement.objects.filter(merchant_id=m).first()
    option = DeliveryOption.objects.filter(merchant_id=m).first()
    credential = KlarnaCredential.objects.filter(merchant_id=m).first()
    assert agreement and option and credential
    failed, attention = world["failed"].pk, world["attention"].pk  # type: ignore[attr-defined]
    return [
        ("get", "/admin/", None),
        ("get", "/admin/merchants/merchant/", None),
        ("get", f"/admin/merchants/merchant/{m}/change/", None),
        ("get", f"/admin/merchants/merchant/{m}/preview/", None),
        (
            "get",
            f"/admin/merchants/merchant/{m}/preview/",
            {"country": "SE", "postal_code": "11151", "city": "Stockholm"},
        ),
        ("get", f"/admin/merchants/merchant/{m}/invite/", None),
        ("get", f"/admin/merchants/merchant/{m}/credentials/issue/", None),
        # the page that shows a new key once (its script; here the key was shown already)
        ("get", f"/admin/merchants/merchant/{m}/credentials/{credential.pk}/key/", None),
        ("get", f"/admin/merchants/carrieragreement/{agreement.pk}/change/", None),
        ("get", f"/admin/merchants/deliveryoption/{option.pk}/change/", None),
        ("get", "/admin/merchants/deliveryoption/add/", None),
        ("get", f"/admin/merchants/klarnacredential/{credential.pk}/change/", None),
        ("get", "/admin/shipments/shipment/", None),
        ("get", f"/admin/shipments/shipment/{failed}/change/", None),
        ("get", f"/admin/shipments/shipment/{attention}/change/", None),
        ("get", f"/admin/shipments/shipment/{failed}/cancel/", None),
        ("get", "/admin/carriers/carriertrace/", None),
        ("get", "/admin/auth/user/add/", None),
    ]


def portal_pages(world: dict[str, object]) -> list[tuple[str, str, dict[str, str] | None]]:
    booking = world["failed"].public_id  # type: ignore[attr-defined]
    return [
        ("get", "/portal/bookings/", None),
        ("get", f"/portal/bookings/{booking}/", None),
        ("get", "/portal/dashboard/", None),
        ("get", "/portal/fallback/", {"country": "SE", "currency": "SEK", "locale": "en-GB"}),
        ("get", "/portal/preview/", None),
        (
            "post",
            "/portal/preview/",
            {"country": "SE", "postal_code": "11151", "city": "Stockholm"},
        ),
        ("get", "/portal/api-tokens/", None),
        # the page that shows a new token once, with its copy buttons
        ("post", "/portal/api-tokens/", {"name": "order system"}),
    ]


SIGNED_OUT_PAGES = [
    "/admin/login/",
    "/portal/login/",
    "/portal/password-reset/",
    "/api/docs/",
]


def _fetch(client: Client, method: str, path: str, data: dict[str, str] | None) -> str:
    response = getattr(client, method)(path, data or {})
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Security-Policy"] == POLICY_WITH_OSM_TILES, path
    return str(response.content.decode())


def test_every_main_admin_page_has_the_exact_policy_and_nothing_it_refuses(
    world: dict[str, object],
) -> None:
    staff: Client = world["staff"]  # type: ignore[assignment]
    for method, path, data in admin_pages(world):
        html = _fetch(staff, method, path, data)
        assert refused_in(html) == [], (method, path)


def test_every_main_portal_page_has_the_exact_policy_and_nothing_it_refuses(
    world: dict[str, object],
) -> None:
    shop: Client = world["shop"]  # type: ignore[assignment]
    for method, path, data in portal_pages(world):
        html = _fetch(shop, method, path, data)
        assert refused_in(html) == [], (method, path)
    # the pages with copy buttons load them from a static file
    issued = shop.post("/portal/api-tokens/", {"name": "billing"}).content.decode()
    assert '<script src="/static/merchants/copy.js" defer></script>' in issued


def test_the_sign_in_pages_and_the_api_docs_have_the_exact_policy_and_nothing_it_refuses(
    world: dict[str, object],
) -> None:
    for path in SIGNED_OUT_PAGES:
        html = _fetch(Client(), "get", path, None)
        assert refused_in(html) == [], path
    # Swagger UI's set-up script is a same-origin file, not inline
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_answers_that_are_not_html_pages_of_admin_portal_or_docs_have_no_policy(
    world: dict[str, object],
) -> None:
    shop: Client = world["shop"]  # type: ignore[assignment]
    assert "Content-Security-Policy" not in shop.get("/portal/bookings/export.csv")
    assert "Content-Security-Policy" not in Client().get("/api/schema/")
    assert "Content-Security-Policy" not in Client().get("/healthz")
    assert "Content-Security-Policy" not in Client().get("/ksa/v1/shipment/x")


def test_without_map_tiles_images_come_from_our_origin_and_data_uris_only(
    world: dict[str, object], settings: Settings
) -> None:
    settings.MAP_TILE_URL = ""
    staff: Client = world["staff"]  # type: ignore[assignment]

    response = staff.get("/admin/")

    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        (OSM, "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.com/{z}/{x}/{y}.png", "https://*.tile.example.com"),
        ("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
        ("", ""),
        ("/tiles/{z}/{x}/{y}.png", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_the_map_tile_source_is_the_tile_urls_origin(tile_url: str, source: str) -> None:
    assert map_tile_source(tile_url) == source
    assert f"img-src 'self' data:{' ' + source if source else ''};" in content_security_policy(
        tile_url=tile_url
    )


# Templates are scanned as text too: a page not visited above must not bring them back.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I | re.S)


def _our_templates() -> list[Path]:
    roots = [ROOT / "merchants", ROOT / "tms_gateway", ROOT / "carriers"]
    return sorted(
        path for root in roots for path in root.rglob("templates/**/*.html") if path.is_file()
    )


COMMENT = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.S)


def test_no_template_of_ours_has_an_inline_script_handler_or_style() -> None:
    templates = _our_templates()
    assert len(templates) > 30
    offending = {}
    for path in templates:
        source = COMMENT.sub("", path.read_text())
        found = [m.group(0) for p in (INLINE_SCRIPT, HANDLER, STYLE) for m in p.finditer(source)]
        if found:
            offending[str(path.relative_to(ROOT))] = found
    assert offending == {}
