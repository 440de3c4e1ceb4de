"""The Content-Security-Policy in a real browser (Debian's chromium): the portal's checkout
preview with map tiles, the admin's pages with their copy buttons and the API docs work under
it, and chromium reports no violation (tms_gateway/common/csp.py; security review, item 9).

The map tiles come from a tile server of the test's own on 127.0.0.1 (MAP_TILE_URL), so the
policy's img-src is exercised with a tile host without leaving the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from merchants.demo import demo_merchant_seed
from merchants.models import Merchant, MerchantUser
from tests.checkout.conftest import STATIC_ADAPTERS

from .conftest import screenshot
from .preview_map import preview_map_shown

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-csp-password-1"
# A 1x1 transparent PNG, every tile.
TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
# Collects what chromium reports to the page; console messages are checked too.
VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " at " +
    event.sourceFile + ":" + event.lineNumber
  );
});
"""


class _Tiles(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(TILE)))
        self.end_headers()
        self.wfile.write(TILE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(settings: Settings, tile_server: str) -> Merchant:
    from carriers.breaker import breaker

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    settings.MAP_TILE_URL = f"{tile_server}/{{z}}/{{x}}/{{y}}.png"
    breaker.reset()
    return demo_merchant_seed(identifier="demo", key="demo-key")


@pytest.fixture
def watched(page: Any, live_server: Any) -> Iterator[Any]:
    """The page, with every CSP violation chromium reports (events and console) collected, and
    the clipboard allowed for the copy buttons."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.add_init_script(VIOLATIONS)
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_console = console
    yield page


def violations(page: Any) -> list[str]:
    return [*page.evaluate("window.__cspViolations"), *page.csp_console]


def test_the_portal_preview_shows_tiles_and_markers_and_copies_with_no_csp_violation(
    watched: Any, live_server: Any, shop: Merchant
) -> None:
    page = watched
    user = User.objects.create_user("anna@demo-shop.example", "anna@demo-shop.example", PASSWORD)
    MerchantUser.objects.create(user=user, merchant=shop)
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("input[name=username]", "anna@demo-shop.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action*='login'] button[type=submit]")
    page.wait_for_url("**/portal/bookings/**")
    assert violations(page) == []

    # the checkout preview: Leaflet, its markers and the tiles of the tile host
    page.goto(f"{live_server.url}/portal/preview/")
    page.fill("input[name=postal_code]", "11151")
    page.fill("input[name=city]", "Stockholm")
    page.click("form[action*='preview'] button[type=submit]")
    page.wait_for_selector("#preview-map .leaflet-marker-icon")
    page.wait_for_selector("#preview-map img.leaflet-tile-loaded")
    assert len(preview_map_shown(page)["markers"]) > 10  # pins and clusters, styled by class
    screenshot(page, "csp-portal-preview")
    assert violations(page) == []

    # an issued API token is copied by the static copy script
    page.goto(f"{live_server.url}/portal/api-tokens/")
    page.fill("input[name=name]", "order system")
    page.click("form[action*='api-tokens'] button[type=submit]")
    page.click("button[data-copy=issued-token]")
    page.wait_for_selector("button[data-copy=issued-token]:text('Copied')")
    token = page.inner_text("#issued-token").strip()
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert violations(page) == []

    page.goto(f"{live_server.url}/portal/fallback/?country=SE&currency=SEK&locale=en-GB")
    page.click("#copy-block")
    page.wait_for_selector("#copy-block:text('Copied')")
    assert violations(page) == []


def test_admin_pages_and_api_docs_work_with_no_csp_violation(
    watched: Any, live_server: Any, shop: Merchant
) -> None:
    page = watched
    User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-ops-123456")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto(f"{live_server.url}/admin/merchants/merchant/{shop.pk}/change/")
    # the onboarding table's rules come from the static admin.css
    assert page.locator("table.onboarding td").first.evaluate(
        "e => getComputedStyle(e).verticalAlign"
    ) == ("top")
    page.goto(
        f"{live_server.url}/admin/merchants/merchant/{shop.pk}/preview/"
        "?country=SE&postal_code=11151&city=Stockholm"
    )
    page.wait_for_selector("#preview-map .leaflet-marker-icon")
    page.wait_for_selector("#preview-map img.leaflet-tile-loaded")
    screenshot(page, "csp-admin-preview")
    assert violations(page) == []

    # a new Klarna key: shown once, selected on click, copied by the static copy script
    page.goto(f"{live_server.url}/admin/merchants/merchant/{shop.pk}/credentials/issue/")
    page.click("#content-main form [type=submit]")
    page.wait_for_selector("#ksa-key")
    key = page.input_value("#ksa-key")
    page.click("#ksa-key")
    assert page.evaluate("window.getSelection().toString() || document.activeElement.value")
    page.click("button[data-copy=ksa-key]")
    page.wait_for_selector("button[data-copy=ksa-key]:text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert violations(page) == []

    for path in ("/admin/shipments/shipment/", "/admin/carriers/carriertrace/"):
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == [], path

    # Swagger UI, its set-up script a same-origin file
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
    screenshot(page, "csp-api-docs")
    assert violations(page) == []
